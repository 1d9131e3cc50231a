#!/usr/bin/env bash
# Makes a speed-perturbed copy of a data directory, as Kaldi's
# utils/perturb_data_dir_speed.sh: utterances, speakers (and recordings) get the prefix
# sp<factor>- (with --include-spk-prefix false, utterances and recordings the suffix
# -sp<factor> instead); each wav.scp entry is piped through
# "sox -t wav - -t wav - speed <factor>" (a plain file is read by sox, an archive offset
# through wav-copy); segment times and utt2dur, reco2dur are divided by the factor;
# utt2uniq maps each copy to its source utterance. Features (feats.scp, cmvn.scp,
# utt2num_frames) are not copied: they must be recomputed.
include_spk_prefix=true
help_message="Usage: perturb_data_dir_speed.sh <warping-factor> <srcdir> <destdir>
e.g.:
 $0 0.9 data/train_si284 data/train_si284p
Options:
  --include-spk-prefix <true|false>  # prefix utterances and speakers (else suffix utterances) [$include_spk_prefix]"
utils=$(dirname "$0")
[ -f "$utils/copy_data_dir.sh" ] || utils=$utils/.. # run as utils/data/perturb_data_dir_speed.sh
. "$utils/parse_options.sh" || exit 1
if [ $# -ne 3 ]; then echo "$help_message" >&2; exit 1; fi
export LC_ALL=C
prog=perturb_data_dir_speed.sh
factor=$1 src=$2 dest=$3
die() { echo "$prog: ERROR: $*" >&2; exit 1; }
[[ "$factor" =~ ^[0-9]*\.?[0-9]+$ ]] && awk -v f="$factor" 'BEGIN { exit !(f > 0) }' ||
  die "bad warping factor '$factor' (expected a positive number, e.g. 0.9)"
command -v sox >/dev/null || die "sox: command not found"
[ -f "$src/utt2spk" ] || die "no such file $src/utt2spk"
[ "$src" != "$dest" ] || die "this script requires <srcdir> and <destdir> to be different."
if $include_spk_prefix; then pre=sp$factor- suf=; copy_opts=(--utt-prefix "$pre" --spk-prefix "$pre")
else pre= suf=-sp$factor; copy_opts=(--utt-suffix "$suf"); fi

# The copy, renamed, with utt2uniq (and utt2dur, which the source gets if it has none).
[ -f "$src/utt2dur" ] || "$utils/data/get_utt2dur.sh" "$src" || exit 1
"$utils/copy_data_dir.sh" "${copy_opts[@]}" "$src" "$dest" || exit 1
rm -f "$dest"/{feats.scp,cmvn.scp,vad.scp,utt2num_frames,frame_shift}

# speed_wav FILE PREFIX SUFFIX: wav.scp with each key renamed and its audio sped up.
speed_wav() {
  awk -v p="$2" -v s="$3" -v f="$factor" '{
    match($0, /^[^ \t]+/); key = p substr($0, 1, RLENGTH) s; rx = substr($0, RLENGTH + 1)
    gsub(/^[ \t]+|[ \t]+$/, "", rx); sox = "sox -t wav - -t wav - speed " f " |"
    if (rx ~ /\|$/) { sub(/[ \t]*\|$/, "", rx); print key, rx, "|", sox }
    else if (rx ~ /:[0-9]+$/) print key, "wav-copy", rx, "- |", sox
    else print key, "sox -t wav", rx, "-t wav - speed", f, "|" }' "$1"
}
# scale FILE PREFIX SUFFIX: "key number" lines, the key renamed, the number divided by the factor.
scale() { awk -v p="$2" -v s="$3" -v f="$factor" '{ print p $1 s, $2 / f }' "$1"; }
# Recordings are renamed as utterances are (without segments they are the utterances).
if [ -f "$dest/segments" ]; then
  awk -v p="$pre" -v s="$suf" -v f="$factor" '{ b = $3 / f; e = $4 / f
    if (e > b + 0.01) printf("%s %s%s%s %.2f %.2f\n", $1, p, $2, s, b, e) }' "$dest/segments" > "$dest/segments.tmp" &&
    mv "$dest/segments.tmp" "$dest/segments" || exit 1
fi
[ -f "$src/wav.scp" ] && { speed_wav "$src/wav.scp" "$pre" "$suf" > "$dest/wav.scp" || exit 1; }
[ -f "$src/reco2file_and_channel" ] &&
  awk -v p="$pre" -v s="$suf" '{ $1 = p $1 s; print }' "$src/reco2file_and_channel" > "$dest/reco2file_and_channel"
[ -f "$src/reco2dur" ] && scale "$src/reco2dur" "$pre" "$suf" > "$dest/reco2dur"
scale "$src/utt2dur" "$pre" "$suf" > "$dest/utt2dur" || exit 1

echo "$prog: generated speed-perturbed version of data in $src, in $dest" >&2
"$utils/fix_data_dir.sh" "$dest" || exit 1
"$utils/validate_data_dir.sh" --no-feats --no-text "$dest"
