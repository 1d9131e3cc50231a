#!/usr/bin/env bash
# Builds the multilingual corpus offline with espeak-ng: sentences from Debian's language
# resources (fortunes-* real sentences where installed, else sequences of hunspell
# dictionary words), speakers that are espeak-ng voice variants with their own pitch and
# rate, regional voices as dialects, clean and noisy (wav-add-noise pipe) copies, and
# transcripts in graphemes (text, text.char) and IPA phones (text.phone); utt2uniq maps
# each noisy copy to the clean utterance it was made from (its recording).
# Writes <data>/train (source languages), <data>/<lang>/adapt and <data>/<lang>/test for
# each target language, <data>/lang_phone/units.txt and <data>/lang_char/units.txt.
set -o pipefail
[ -f ./path.sh ] && . ./path.sh

src_langs="en-us de fr-fr es it pt nl pl sv da cs ru el ro hr"
tgt_langs="ca uk sk is"
dialects=true         # speakers of en, es, fr, pt use the regional voices too
train_utts=240        # per source language (clean; noisy copies come on top)
train_spk=8           # speakers per source language
adapt_utts=150        # per target language
adapt_spk=5
test_utts=100
test_spk=3
min_words=3
max_words=8
use_fortunes=true     # real sentences from fortunes-* where installed
noise_types="white pink babble"
snrs="20 10 5"
noisy_copies=1        # noisy copies per clean utterance
dict_dir=/usr/share/hunspell
fortunes_dir=/usr/share/games/fortunes
wavdir=               # default: <data>/wav
nj=$(nproc 2>/dev/null || echo 2)
cmd=run.pl
seed=1
tiny=false            # a few utterances per split (for tests)
help_message="Usage: local/prepare_data.sh [options] <data-dir>
Builds the espeak-ng multilingual corpus in <data-dir> (see the top of this script).
Options (defaults in brackets):
  --src-langs '<voices>'   source languages, espeak-ng voice names [$src_langs]
  --tgt-langs '<voices>'   held-out target languages [$tgt_langs]
  --dialects true|false    use regional voices as dialects [$dialects]
  --train-utts N --train-spk N     per source language [$train_utts, $train_spk]
  --adapt-utts N --adapt-spk N     per target language [$adapt_utts, $adapt_spk]
  --test-utts N --test-spk N       per target language [$test_utts, $test_spk]
  --min-words N --max-words N      sentence length [$min_words, $max_words]
  --use-fortunes true|false        real sentences from fortunes-* packages [$use_fortunes]
  --noise-types '<types>' --snrs '<dB>' --noisy-copies N  [$noise_types; $snrs; $noisy_copies]
  --dict-dir DIR --fortunes-dir DIR    where hunspell dictionaries and fortunes are
  --wavdir DIR             where the audio goes [<data-dir>/wav]
  --nj N --cmd CMD         parallel synthesis jobs and how to run them [$nj, $cmd]
  --seed N                 [$seed]
  --tiny true              a few utterances per split, for tests
e.g.: local/prepare_data.sh --nj 2 data"
. utils/parse_options.sh || exit 1
if [ $# -ne 1 ]; then echo "$help_message" >&2; exit 1; fi
data=$1
prog=prepare_data.sh
die() { echo "$prog: ERROR: $*" >&2; exit 1; }
if $tiny; then  # 8 adaptation recordings: the tiny recipe draws up to 8
  train_utts=4; train_spk=2; adapt_utts=8; adapt_spk=2; test_utts=3; test_spk=1; max_words=5
fi
export LC_ALL=C

for tool in espeak-ng sox perl; do
  command -v $tool >/dev/null || die "$tool not found; install the Debian package (make deps)"
done
for v in train_utts train_spk adapt_utts adapt_spk test_utts test_spk min_words max_words noisy_copies nj seed; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || die "--${v//_/-} must be a non-negative integer, got '${!v}'"
done
[ -n "$src_langs$tgt_langs" ] || die "no languages (--src-langs, --tgt-langs)"
for t in $noise_types; do
  case $t in white|pink|babble) ;; *) die "unknown noise type '$t' in --noise-types (white, pink or babble)" ;; esac
done
for s in $snrs; do [[ "$s" =~ ^-?[0-9]+(\.[0-9]+)?$ ]] || die "bad SNR '$s' in --snrs"; done
[ "$noisy_copies" -le $(( $(wc -w <<< "$noise_types") * $(wc -w <<< "$snrs") )) ] ||
  die "--noisy-copies $noisy_copies is more than the number of noise conditions (types x SNRs)"

# A language's code (its data key) and the voices of its dialects.
lang_code() { echo "${1%%-*}"; }
lang_dialects() {
  if ! $dialects; then echo "$1"; return; fi
  case $1 in
    en|en-*) echo "en-us en-gb en-gb-scotland en-us-nyc" ;;
    es|es-*) echo "es es-419" ;;
    fr|fr-*) echo "fr-fr fr-be fr-ch" ;;
    pt|pt-*) echo "pt pt-br" ;;
    *) echo "$1" ;;
  esac
}
# The hunspell dictionary of a language code, and the Debian package that has it.
dict_package() {
  case $1 in
    en) echo hunspell-en-us ;; de) echo hunspell-de-de ;; fr) echo hunspell-fr-classical ;;
    pt) echo hunspell-pt-pt ;; sv) echo hunspell-sv ;; *) echo "hunspell-$1" ;;
  esac
}
dict_file() {
  local c=$1 f
  case $c in en) f=en_US ;; de) f=de_DE ;; fr) f=fr_FR ;; es) f=es_ES ;; pt) f=pt_PT ;; nl) f=nl_NL ;;
             ca) f=ca_ES ;; el) f=el_GR ;; uk) f=uk_UA ;; cs) f=cs_CZ ;; da) f=da_DK ;; sv) f=sv_SE ;;
             *) f=${c}_$(echo "$c" | tr a-z A-Z) ;; esac
  for g in "$dict_dir/$f.dic" "$dict_dir/$c.dic" "$dict_dir/${c}_"*.dic; do
    [ -f "$g" ] && { echo "$g"; return 0; }
  done
  return 1
}

# Check every language before any work: espeak-ng voices and dictionaries.
known_voices=$(espeak-ng --voices | awk 'NR > 1 { print $2 }')
codes=""
for l in $src_langs $tgt_langs; do
  c=$(lang_code "$l")
  case " $codes " in *" $c "*) die "language $c is given twice (in --src-langs / --tgt-langs)" ;; esac
  codes="$codes $c"
  for v in $(lang_dialects "$l"); do
    grep -qx -- "$v" <<< "$known_voices" ||
      die "espeak-ng does not know the language '$v' (espeak-ng --voices lists the known ones)"
  done
  dict_file "$c" >/dev/null ||
    die "no hunspell dictionary for language '$c' in $dict_dir; install the Debian package $(dict_package "$c") (apt-get install $(dict_package "$c"))"
done

[ -n "$wavdir" ] || wavdir=$data/wav
mkdir -p "$data/local" "$wavdir" || exit 1
wavdir=$(cd "$wavdir" && pwd)
tmp=$data/local
# Voice variants: the files of espeak-ng's voices/!v directory (names with spaces left out).
espeak_data=$(espeak-ng --version | sed -n 's/.*Data at: *//p')
ls -1 "$espeak_data/voices/!v" 2>/dev/null | grep -v ' ' > "$tmp/variants"
[ -s "$tmp/variants" ] || die "no espeak-ng voice variants found in $espeak_data/voices/!v"
echo "$prog: $(wc -w <<< "$src_langs") source, $(wc -w <<< "$tgt_langs") target languages; $(wc -l < "$tmp/variants") voice variants" >&2

# Sentences and the utterance plan, language by language.
mkdir -p "$tmp/sentences"
: > "$tmp/plan.tsv"
for l in $src_langs $tgt_langs; do
  c=$(lang_code "$l")
  if [[ " $src_langs " == *" $l "* ]]; then
    n=$train_utts; splits="--split train:$data/train:$train_utts:$train_spk"
  else
    n=$((adapt_utts + test_utts))
    splits="--split ${c}_adapt:$data/$c/adapt:$adapt_utts:$adapt_spk --split ${c}_test:$data/$c/test:$test_utts:$test_spk"
  fi
  fort=""
  $use_fortunes && [ -d "$fortunes_dir/$c" ] && fort="--fortunes $fortunes_dir/$c"
  local/make_sentences.pl --dic "$(dict_file "$c")" $fort --num "$n" --seed "$seed" \
    --min-words "$min_words" --max-words "$max_words" > "$tmp/sentences/$c.txt" || exit 1
  local/make_lists.pl --lang "$c" --dialects "$(lang_dialects "$l")" --sentences "$tmp/sentences/$c.txt" \
    --variants "$tmp/variants" --wavdir "$wavdir" --seed "$seed" $splits >> "$tmp/plan.tsv" || exit 1
done

# Synthesis on all cores.
total=$(wc -l < "$tmp/plan.tsv")
[ "$total" -gt 0 ] || die "no utterances planned"
[ "$nj" -le "$total" ] || nj=$total
[ "$nj" -ge 1 ] || nj=1
rm -rf "$tmp/synth"; mkdir -p "$tmp/synth"
cut -f2,6- "$tmp/plan.tsv" | awk -F'\t' -v nj="$nj" -v d="$tmp/synth" '{ print > (d "/list." ((NR - 1) % nj + 1)) }'
echo "$prog: synthesising $total utterances in $nj jobs (logs in $tmp/synth/log)" >&2
start=$SECONDS
$cmd JOB=1:$nj "$tmp/synth/log/synth.JOB.log" local/synth.sh "$tmp/synth/list.JOB" "$tmp/synth/out.JOB" ||
  die "synthesis failed"
echo "$prog: synthesis took $((SECONDS - start)) s" >&2

# Data directories, units, checks.
for d in $(cut -f1 "$tmp/plan.tsv" | sort -u); do rm -rf "$d"; done
local/make_data_dirs.pl --noise-types "$noise_types" --snrs "$snrs" --copies "$noisy_copies" \
  --seed "$seed" "$tmp/plan.tsv" "$tmp/synth"/out.* || exit 1
dirs=$(cut -f1 "$tmp/plan.tsv" | sort -u)
for u in phone char; do
  mkdir -p "$data/lang_$u"
  for d in $dirs; do cut -d' ' -f2- "$d/text.$u"; done | tr ' ' '\n' | grep -v '^$' | sort -u |
    awk 'BEGIN { print "<blk> 0" } { print $1, NR }' > "$data/lang_$u/units.txt"
  echo "$prog: $data/lang_$u/units.txt: $(($(wc -l < "$data/lang_$u/units.txt") - 1)) units and <blk>" >&2
done
for d in $dirs; do utils/validate_data_dir.sh "$d" || die "$d failed validation"; done
echo "$prog: done: $(for d in $dirs; do printf '%s %d; ' "$d" "$(wc -l < "$d/utt2spk")"; done)" >&2
