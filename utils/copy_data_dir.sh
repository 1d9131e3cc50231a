#!/usr/bin/env bash
# Copies a data directory, possibly adding a prefix or a suffix to the utterance and/or
# speaker names, as Kaldi's utils/copy_data_dir.sh. Recording names stay the same: with
# a segments file, wav.scp, reco2file_and_channel and reco2dur are copied as they are
# (without one they are indexed by utterance, and renamed with it).
# Per-utterance files (text, text.*, utt2*, feats.scp, vad.scp, segments) get the new
# utterance names, per-speaker files (cmvn.scp, spk2gender, spk2warp) the new speaker names.
# With a new utterance name, utt2uniq maps each copy to its source utterance (or to the
# source's utt2uniq value). A file of the destination that the source lacks is moved to
# <destdir>/.backup. The copy is checked with utils/validate_data_dir.sh.
spk_prefix=
utt_prefix=
spk_suffix=
utt_suffix=
validate_opts=   # should rarely be needed.
help_message="Usage: utils/copy_data_dir.sh [options] <srcdir> <destdir>
e.g.:
 utils/copy_data_dir.sh --spk-prefix=1- --utt-prefix=1- data/train data/train_1
Options
   --spk-prefix=<prefix>     # Prefix for speaker ids, default empty
   --utt-prefix=<prefix>     # Prefix for utterance ids, default empty
   --spk-suffix=<suffix>     # Suffix for speaker ids, default empty
   --utt-suffix=<suffix>     # Suffix for utterance ids, default empty
   --validate-opts=<opts>    # Options for utils/validate_data_dir.sh, e.g. --no-wav"
utils=$(dirname "$0")
. "$utils/parse_options.sh" || exit 1
if [ $# -ne 2 ]; then echo "$help_message" >&2; exit 1; fi
export LC_ALL=C
prog=copy_data_dir.sh
src=$1 dest=$2
die() { echo "$prog: ERROR: $*" >&2; exit 1; }
[ -f "$src/utt2spk" ] || die "no such file $src/utt2spk"
[ "$(cd "$src" && pwd)" != "$(mkdir -p "$dest" && cd "$dest" && pwd)" ] ||
  die "this script requires <srcdir> and <destdir> to be different."

# rename FILE PREFIX SUFFIX [PREFIX2 SUFFIX2]: each line's first field (and its second,
# with PREFIX2/SUFFIX2) gets the prefix and suffix; the rest of the line is kept as it is.
rename() {
  awk -v p="$2" -v s="$3" -v p2="${4-}" -v s2="${5-}" -v two="$#" '{
    match($0, /^[^ \t]+/); key = substr($0, 1, RLENGTH); rest = substr($0, RLENGTH + 1)
    if (two == 5) { match(rest, /^[ \t]+/); k2 = substr(rest, 1, RLENGTH) p2; rest = substr(rest, RLENGTH + 1)
                    match(rest, /^[^ \t]+/); k2 = k2 substr(rest, 1, RLENGTH) s2; rest = substr(rest, RLENGTH + 1) }
    print p key s k2 rest }' "$1"
}
rename "$src/utt2spk" "$utt_prefix" "$utt_suffix" "$spk_prefix" "$spk_suffix" > "$dest/utt2spk" || exit 1
"$utils/utt2spk_to_spk2utt.pl" "$dest/utt2spk" > "$dest/spk2utt" || exit 1
files="utt2spk" # the files written, for the clean-up below
if [ -f "$src/utt2uniq" ]; then
  rename "$src/utt2uniq" "$utt_prefix" "$utt_suffix" > "$dest/utt2uniq" && files="$files utt2uniq"
elif [ -n "$utt_prefix$utt_suffix" ]; then
  awk -v p="$utt_prefix" -v s="$utt_suffix" '{ print p $1 s, $1 }' "$src/utt2spk" > "$dest/utt2uniq" &&
    files="$files utt2uniq"
fi
has_segments=false; [ -f "$src/segments" ] && has_segments=true
for f in feats.scp vad.scp text $($has_segments && echo segments || echo wav.scp) \
         $(cd "$src" && ls -1 text.* utt2* 2>/dev/null | grep -v '~$'); do
  case $f in utt2spk|utt2uniq) continue ;; esac
  [ -f "$src/$f" ] && rename "$src/$f" "$utt_prefix" "$utt_suffix" > "$dest/$f" && files="$files $f"
done
for f in cmvn.scp spk2gender spk2warp; do
  [ -f "$src/$f" ] && rename "$src/$f" "$spk_prefix" "$spk_suffix" > "$dest/$f" && files="$files $f"
done
for f in reco2file_and_channel reco2dur; do # the recording is the utterance without segments
  [ -f "$src/$f" ] || continue
  if $has_segments; then cp "$src/$f" "$dest/$f"
  else rename "$src/$f" "$utt_prefix" "$utt_suffix" > "$dest/$f"; fi
  files="$files $f"
done
for f in $($has_segments && echo wav.scp) frame_shift stm glm ctm; do
  [ -f "$src/$f" ] && cp "$src/$f" "$dest/$f" && files="$files $f"
done
echo "$prog: copied data from $src to $dest" >&2

for f in $(cd "$dest" && ls -1 feats.scp cmvn.scp vad.scp text text.* utt2* wav.scp segments reco2* \
                               spk2gender spk2warp frame_shift stm glm ctm 2>/dev/null); do
  if [[ " $files " != *" $f "* ]]; then
    echo "$prog: file $f exists in dest $dest but not in src $src.  Moving it to $dest/.backup/$f" >&2
    mkdir -p "$dest/.backup" && mv "$dest/$f" "$dest/.backup/"
  fi
done
[ -f "$src/text" ] || validate_opts="$validate_opts --no-text"
"$utils/validate_data_dir.sh" $validate_opts "$dest"
