#!/usr/bin/env bash
# Makes a data directory consistent: sorts every per-utterance file (wav.scp, text,
# text.*, utt2*, feats.scp, segments ...) and keeps only the utterances present in all
# of them; removes duplicate keys (keeping the first line); drops speakers left without
# utterances from spk2utt and the per-speaker files (cmvn.scp, spk2gender, spk2warp); remakes
# spk2utt. With a segments file, wav.scp is indexed by recording: segments whose
# recording is not in wav.scp are dropped, and wav.scp, reco2file_and_channel and
# reco2dur keep only the recordings of the remaining segments (without segments these
# two follow the utterances). The files as they were are kept in <data-dir>/.backup/.
help_message="Usage: utils/fix_data_dir.sh <data-dir>
Sorts the files of a data directory and keeps the utterances present in all of them.
e.g.: utils/fix_data_dir.sh data/train"
. "$(dirname "$0")/parse_options.sh" || exit 1
if [ $# -ne 1 ]; then echo "$help_message" >&2; exit 1; fi
data=$1
export LC_ALL=C
prog=fix_data_dir.sh
[ -f "$data/utt2spk" ] || { echo "$prog: ERROR: $data/utt2spk not found" >&2; exit 1; }
has_segments=false
if [ -f "$data/segments" ]; then
  [ -f "$data/wav.scp" ] || { echo "$prog: ERROR: $data/segments exists but not $data/wav.scp" >&2; exit 1; }
  has_segments=true
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

utt_files=""
for f in utt2spk $($has_segments && echo segments || echo wav.scp) feats.scp text \
         $(cd "$data" && ls -1 text.* utt2* 2>/dev/null | grep -v '~$'); do
  [ -f "$data/$f" ] && case " $utt_files " in *" $f "*) ;; *) utt_files="$utt_files $f" ;; esac
done
spk_files=""
for f in cmvn.scp spk2gender spk2warp; do [ -f "$data/$f" ] && spk_files="$spk_files $f"; done
reco_files=""
for f in $($has_segments && echo wav.scp) reco2file_and_channel reco2dur; do
  [ -f "$data/$f" ] && reco_files="$reco_files $f"
done

mkdir -p "$data/.backup"
for f in $utt_files $spk_files $reco_files spk2utt; do [ -f "$data/$f" ] && cp "$data/$f" "$data/.backup/$f"; done

# Sort by key (stable, so the first of duplicate keys is kept) and drop duplicates and
# lines with no value (transcripts excepted: an empty transcript is a transcript).
sort_unique() { # file minfields
  awk -v min="$2" 'NF >= min && !seen[$1]++' "$data/$1" | sort -s -k1,1 > "$tmp/$1"
}
for f in $utt_files; do
  case $f in text|text.*) sort_unique "$f" 1 ;; *) sort_unique "$f" 2 ;; esac
done
for f in $reco_files; do sort_unique "$f" 2; done
if $has_segments; then # a segment whose recording is not in wav.scp has no audio
  awk 'NR == FNR { rec[$1]; next } $2 in rec' "$tmp/wav.scp" "$tmp/segments" > "$tmp/segments.new"
  mv "$tmp/segments.new" "$tmp/segments"
fi
cut -d' ' -f1 "$tmp/utt2spk" > "$tmp/keep"
for f in $utt_files; do
  "$(dirname "$0")/filter_scp.pl" "$tmp/$f" "$tmp/keep" > "$tmp/keep.new"
  mv "$tmp/keep.new" "$tmp/keep"
done
n_before=$(wc -l < "$data/utt2spk")
n_after=$(wc -l < "$tmp/keep")
if [ "$n_after" -eq 0 ]; then
  echo "$prog: ERROR: $data: no utterance is in all of:$utt_files (nothing changed)" >&2; exit 1
fi
for f in $utt_files; do
  "$(dirname "$0")/filter_scp.pl" "$tmp/keep" "$tmp/$f" > "$data/$f"
done
"$(dirname "$0")/utt2spk_to_spk2utt.pl" "$data/utt2spk" > "$data/spk2utt"
for f in $spk_files; do
  sort_unique "$f" 2
  "$(dirname "$0")/filter_scp.pl" "$data/spk2utt" "$tmp/$f" > "$data/$f"
done
if $has_segments; then awk '{ print $2 }' "$data/segments" | sort -u > "$tmp/recordings"
else cp "$tmp/keep" "$tmp/recordings"; fi
for f in $reco_files; do
  "$(dirname "$0")/filter_scp.pl" "$tmp/recordings" "$tmp/$f" > "$data/$f"
done
echo "$prog: $data: kept $n_after of $n_before utterances (files:$utt_files$reco_files); old files in $data/.backup" >&2
exit 0
