# Sourced by the parallel meta-training tests: make_scale_data DIR writes a small
# meta-learning problem for the 4-input, 5-unit model tests/reference/nnet-dnn.mdl:
# DIR/feats.ark (binary), DIR/labels.txt (units 1..4), DIR/episodes.txt (16 episodes of
# 4 tasks, 2 support and 2 query utterances each). Each task shifts the features its
# own way, so adapting to it helps.
make_scale_data() {
  local dir=$1
  mkdir -p "$dir"
  awk -v dir="$dir" 'BEGIN {
    srand(17)
    feats = dir "/feats.txt"; labs = dir "/labels.txt"; eps = dir "/episodes.txt"
    for (u = 0; u < 32; u++) {
      task = u % 4; key = sprintf("t%d-utt%02d", task, u); nl = 2 + int(rand() * 2)
      printf "%s  [\n", key > feats; line = key
      for (j = 0; j < nl; j++) {
        lab = 1 + int(rand() * 4); line = line " " lab
        frame(0, task)
        for (f = 0; f < 2 + int(rand() * 3); f++) frame(lab, task)
      }
      frame(0, task)
      printf "]\n" > feats; print line > labs
    }
    for (e = 0; e < 16; e++) {
      t = e % 4; b = 4 * int(e / 4) % 32
      printf "ep%02d task%d support t%d-utt%02d,t%d-utt%02d query t%d-utt%02d,t%d-utt%02d\n", e, t,
        t, (t + 4 * ((e + 0) % 8)), t, (t + 4 * ((e + 1) % 8)), t, (t + 4 * ((e + 2) % 8)),
        t, (t + 4 * ((e + 3) % 8)) > eps
    }
  }
  function frame(k, task,   d) {
    for (d = 0; d < 4; d++)
      printf " %.4f", (d == k % 4 ? 1.2 : 0) + 0.4 * (d == task) + 0.3 * (rand() - 0.5) > feats
    printf "\n" > feats
  }'
  copy-feats "ark:$dir/feats.txt" "ark:$dir/feats.ark" 2>/dev/null
}
