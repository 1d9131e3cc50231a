# Sourced by the nnet shell tests: make_toy_data PREFIX NUM_UTTS SEED writes PREFIX.feats.ark
# (binary, 5-dim) and PREFIX.labels.txt (int32 vectors, units 1..4): each label lasts 3-6
# frames whose features are a noisy one-hot of the label, with blank-like frames between,
# so a network can learn it.
make_toy_data() {
  local prefix=$1 n=$2 seed=$3
  awk -v n="$n" -v seed="$seed" -v prefix="$prefix" 'BEGIN {
    srand(seed)
    feats = prefix ".feats.txt"; labs = prefix ".labels.txt"
    for (u = 0; u < n; u++) {
      key = sprintf("utt%03d", u); nl = 2 + int(rand() * 4)
      printf "%s  [\n", key > feats; line = key
      for (j = 0; j < nl; j++) {
        lab = 1 + int(rand() * 4); line = line " " lab
        for (g = 0; g < 1 + int(rand() * 2); g++) frame(0)
        for (f = 0; f < 3 + int(rand() * 4); f++) frame(lab)
      }
      frame(0)
      printf "]\n" > feats; print line > labs
    }
  }
  function frame(k,   d) {
    for (d = 0; d < 5; d++) printf " %.4f", (d == k ? 1.5 : 0) + 0.3 * (rand() - 0.5) > feats
    printf "\n" > feats
  }'
  copy-feats "ark:$prefix.feats.txt" "ark:$prefix.feats.ark" 2>/dev/null
}
