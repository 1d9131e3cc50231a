#!/usr/bin/env bash
# Kaldi data directories from a Common Voice release as downloaded: <corpus>/<lang>/ with
# clips/*.mp3 and train.tsv, dev.tsv, test.tsv, validated.tsv (local/cv_data_dir.pl reads
# one TSV). Writes <data>/train (the source languages' --train-set, combined; each
# language's own in <data>/local/<lang>/train), <data>/<lang>/adapt (--adapt-set) and
# <data>/<lang>/test (--test-set) for each target language, text.phone (espeak-ng's IPA)
# for every language that has an espeak-ng voice, and the units <data>/lang_char/units.txt
# and, when every language has phones, <data>/lang_phone/units.txt (<blk> 0).
# Everything is built in <data>.tmp and moved to <data> when complete: a failure leaves
# no <data>.
src_langs=            # source languages: Common Voice locale codes (folder names)
tgt_langs=            # held-out target languages
train_set=train       # TSV of the source languages
adapt_set=train       # TSV the target languages' adaptation utterances come from
test_set=test         # TSV the target languages are scored on (dev while tuning)
train_utts=2000       # at most this many utterances per source language (0: all)
adapt_utts=300        # per target language
test_utts=300
rate=16000            # sample rate of the decoded clips (the feature config's)
help_message="Usage: local/prepare_data.sh [options] <corpus-dir> <data-dir>
Kaldi data directories from a Common Voice release (see the top of this script).
  --src-langs '<codes>' --tgt-langs '<codes>'   source and held-out languages (folder names)
  --train-set, --adapt-set, --test-set NAME     TSVs used [$train_set, $adapt_set, $test_set]
  --train-utts N --adapt-utts N --test-utts N   at most N utterances per language and set,
                                                evenly spaced (0: all) [$train_utts, $adapt_utts, $test_utts]
  --rate HZ                                     sample rate of the decoded audio [$rate]
e.g.: local/prepare_data.sh --src-langs 'en de fr' --tgt-langs 'ca' /data/cv-corpus-17.0-2024-03-15 data"
[ -f ./path.sh ] && . ./path.sh
. utils/parse_options.sh || exit 1
[ $# -eq 2 ] || { echo "$help_message" >&2; exit 1; }
corpus=$1 data=${2%/}
prog=prepare_data.sh
die() { echo "$prog: ERROR: $*" >&2; exit 1; }
export LC_ALL=C

[ -n "$src_langs" ] && [ -n "$tgt_langs" ] || die "give the source and target languages (--src-langs, --tgt-langs)"
[ "$adapt_set" != "$test_set" ] || die "--adapt-set and --test-set are both $test_set: the adaptation and test utterances would be the same"
for v in train_utts adapt_utts test_utts; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || die "--${v//_/-} must be a non-negative integer, got '${!v}'"
done
[[ "$rate" =~ ^[1-9][0-9]*$ ]] || die "--rate must be a positive integer, got '$rate'"
seen=" "
for l in $src_langs $tgt_langs; do
  case "$seen" in *" $l "*) die "language $l is given twice (in --src-langs / --tgt-langs)" ;; esac
  seen="$seen$l "
  sets=$train_set; [[ " $tgt_langs " == *" $l "* ]] && sets="$adapt_set $test_set"
  for s in $sets; do
    [ -f "$corpus/$l/$s.tsv" ] || die "no $corpus/$l/$s.tsv (is $corpus a Common Voice release with a $l folder?)"
  done
done

# The espeak-ng voice of a Common Voice locale (sv-SE -> sv-se, pa-IN -> pa, zh-CN -> cmn),
# or nothing when espeak-ng has none.
espeak_voice() {
  local l=$(echo "$1" | tr A-Z a-z) v
  for v in $(case $l in zh-cn|zh-tw) echo cmn ;; zh-hk) echo yue ;; kmr) echo ku ;; esac) $l ${l%%-*}; do
    espeak-ng -q --ipa -v "$v" a >/dev/null 2>&1 && { echo "$v"; return; }
  done
}

tmp=$data.tmp
rm -rf "$tmp"
trap '[ -n "$tmp" ] && rm -rf "$tmp"' EXIT
cv() { # <lang> <set> <max-utts> <dir>
  local/cv_data_dir.pl --max-utts $3 --rate $rate "$corpus/$1" $2 $1 $4 || exit 1
}
for l in $src_langs; do cv $l $train_set $train_utts $tmp/local/$l/train; done
for l in $tgt_langs; do
  cv $l $adapt_set $adapt_utts $tmp/$l/adapt
  cv $l $test_set $test_utts $tmp/$l/test
done

# Phones where espeak-ng has a voice for the language.
for l in $src_langs $tgt_langs; do
  v=$(espeak_voice $l)
  if [ -z "$v" ]; then
    echo "$prog: WARNING: espeak-ng has no voice for $l: graphemes only (no text.phone)" >&2; continue
  fi
  for d in $tmp/local/$l/train $tmp/$l/adapt $tmp/$l/test; do
    [ -d $d ] || continue
    local/make_phones.pl --voice $v $d || exit 1
    [ $(wc -l < $d/text.phone) -eq $(wc -l < $d/text) ] || utils/fix_data_dir.sh $d || exit 1
  done
done

utils/combine_data.sh $tmp/train $(for l in $src_langs; do echo $tmp/local/$l/train; done) || exit 1
dirs="$tmp/train $(for l in $tgt_langs; do echo $tmp/$l/adapt $tmp/$l/test; done)"
for u in char phone; do
  missing=$(for d in $dirs; do [ -f $d/text.$u ] || echo $d; done)
  if [ -n "$missing" ]; then
    echo "$prog: WARNING: no text.$u in $(echo $missing | sed "s|$tmp|$data|g"): no $data/lang_$u" >&2; continue
  fi
  mkdir -p $tmp/lang_$u
  for d in $dirs; do cut -d' ' -f2- $d/text.$u; done | tr ' ' '\n' | grep -v '^$' | sort -u |
    awk 'BEGIN { print "<blk> 0" } { print $1, NR }' > $tmp/lang_$u/units.txt
  echo "$prog: $data/lang_$u/units.txt: $(($(wc -l < $tmp/lang_$u/units.txt) - 1)) units and <blk>" >&2
done
for d in $dirs; do utils/validate_data_dir.sh $d || die "$d failed validation"; done

rm -rf "$data" && mv "$tmp" "$data" || die "cannot move $tmp to $data"
tmp=
echo "$prog: done: $(for d in $dirs; do d=$data/${d#$data.tmp/}; printf '%s %d; ' $d $(wc -l < $d/utt2spk); done)" >&2
