#!/usr/bin/env bash
# Combines data directories into one: each file present in every source is concatenated
# and sorted; a file present in only some sources is left out with a warning (the result
# would not cover every utterance). An utterance in two sources is an error, and so is a
# speaker whose per-speaker lines (cmvn.scp, spk2gender, spk2warp) differ between sources; the
# same holds for recordings (wav.scp, reco2file_and_channel, reco2dur). As in Kaldi,
# utt2uniq is made where a source lacks it (each of its utterances its own
# recording), and segments are kept when any source has them: a source without them gets one segment
# per utterance covering its whole recording, from its utt2dur (made by
# utils/data/get_utt2dur.sh if missing). spk2utt is remade.
help_message="Usage: utils/combine_data.sh <dest-dir> <src-dir1> <src-dir2> ...
Combines the data directories <src-dir*> into <dest-dir>.
e.g.: utils/combine_data.sh data/train_all data/train_clean data/train_noisy"
. "$(dirname "$0")/parse_options.sh" || exit 1
if [ $# -lt 2 ]; then echo "$help_message" >&2; exit 1; fi
export LC_ALL=C
prog=combine_data.sh
utils=$(dirname "$0")
dest=$1; shift
for s in "$@"; do
  [ -s "$s/utt2spk" ] || { echo "$prog: ERROR: $s/utt2spk missing or empty" >&2; exit 1; }
  [ "$(cd "$s" && pwd)" != "$(mkdir -p "$dest" && cd "$dest" && pwd)" ] ||
    { echo "$prog: ERROR: $s is also the destination" >&2; exit 1; }
done
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
files=$(for s in "$@"; do (cd "$s" && ls -1 wav.scp feats.scp text text.* utt2* cmvn.scp spk2gender spk2warp \
                                          reco2file_and_channel reco2dur 2>/dev/null); done | grep -v '~$' | sort -u)
has_segments=false
for s in "$@"; do [ -f "$s/segments" ] && has_segments=true; done
if $has_segments; then
  for s in "$@"; do
    if [ -f "$s/segments" ]; then cat "$s/segments"; continue; fi
    echo "$prog: $s has no segments: one segment per utterance, from $s/utt2dur" >&2
    [ -s "$s/utt2dur" ] || "$utils/data/get_utt2dur.sh" "$s" >&2 || exit 1
    awk '{ print $1, $1, 0, $2 }' "$s/utt2dur"
  done > "$tmp/segments.all" || exit 1
  sort -s -k1,1 "$tmp/segments.all" > "$tmp/segments"
fi
for f in $files; do
  missing=""
  for s in "$@"; do [ -f "$s/$f" ] || missing="$missing $s"; done
  if [ -n "$missing" ] && [ "$f" != utt2uniq ]; then
    echo "$prog: WARNING: leaving out $f: not in$missing" >&2; continue
  fi
  case $f in
    utt2uniq) for s in "$@"; do
                if [ -f "$s/$f" ]; then cat "$s/$f"; else awk '{ print $1, $1 }' "$s/utt2spk"; fi
              done | sort -s -k1,1 > "$tmp/$f" ;;
    # A speaker or a recording may be in several sources, with the same line in each.
    cmvn.scp|spk2gender|spk2warp|wav.scp|reco2*) for s in "$@"; do cat "$s/$f"; done | sort -u | sort -s -k1,1 > "$tmp/$f" ;;
    *) for s in "$@"; do cat "$s/$f"; done | sort -s -k1,1 > "$tmp/$f" ;;
  esac
  dup=$(awk '{print $1}' "$tmp/$f" | uniq -d | head -n 1)
  if [ -n "$dup" ]; then
    echo "$prog: ERROR: key $dup is in $f of more than one source directory" >&2; exit 1
  fi
done
$has_segments && files="$files segments"
rm -f "$dest"/{wav.scp,feats.scp,text,text.*,utt2*,spk2utt,cmvn.scp,spk2gender,spk2warp,segments,reco2*}
for f in $files; do [ -f "$tmp/$f" ] && cp "$tmp/$f" "$dest/$f"; done
"$utils/utt2spk_to_spk2utt.pl" "$dest/utt2spk" > "$dest/spk2utt"
echo "$prog: $dest: $(wc -l < "$dest/utt2spk") utterances from $# directories" >&2
exit 0
