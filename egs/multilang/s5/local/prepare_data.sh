#!/usr/bin/env bash
# Builds the multilingual corpus offline with espeak-ng: sentences from Debian's language
# resources (fortunes-* real sentences where installed, else sequences of hunspell
# dictionary words), speakers that are espeak-ng voice variants with their own pitch and
# rate, regional voices as dialects, clean and noisy (wav-add-noise pipe) copies, and
# transcripts in graphemes (text, text.char) and IPA phones (text.phone); utt2uniq maps
# each noisy copy to the clean utterance it was made from (its recording).
# More voices, from recordings, as speakers of their language: festival's festvox voices
# (--festival-voices) and flite's (--flite-voices); utt2engine says which engine spoke
# (espeak, festival, flite), and the phone labels are espeak-ng's IPA of the text in the
# voice's dialect, whoever spoke it. More conditions: reverberant copies (--rooms) and
# speed-perturbed ones (--speeds), as sox pipes in wav.scp; for the source languages only,
# vocal-tract-length-warped ones (--vtlp-warps: the same audio, speakers vtlp<f>-<spk> whose
# warp factor <data>/train/spk2warp gives to the feature extraction), for task augmentation.
# Writes <data>/train (source languages), <data>/<target>/adapt and <data>/<target>/test
# for each held-out target, <data>/lang_phone/units.txt and <data>/lang_char/units.txt.
# The targets, never in <data>/train:
#   --tgt-langs        languages (<data>/<code>: ca, uk ...)
#   --heldout-dialects regional voices of source languages (<data>/<dialect>: en-gb-scotland)
#   --heldout-speakers speakers of source languages, whose voice is in no training speaker
#                      (<data>/<speaker>: de-m3 (espeak-ng's de with variant m3),
#                      cs-festival-machac, en-gb-scotland-flite-awb)
#   --heldout-engines  a language's voices of an engine (<data>/<code>-<engine>: cs-festival)
#   --heldout-conds    conditions none of the copies has (<data>/<cond>: babble-0db,
#                      reverb-hall, speed-1.2), said by new speakers of --cond-langs; every
#                      utterance of such a target is in that condition
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
festival_voices=      # '<dialect>:<voice> ...': festival voices, e.g. cs:czech_dita en-us:kal_diphone
flite_voices=         # '<dialect>:<voice> ...': flite voices, e.g. en-us:slt en-gb-scotland:awb
rooms=                # rooms of the reverberant copies (small medium large hall)
reverb_copies=1       # reverberant copies per clean utterance (with --rooms)
speeds=               # speed-perturbed copies, e.g. '0.9 1.1' (1.0 is the clean one)
vtlp_warps=           # VTLP copies of the source utterances (<data>/train), e.g. '0.9 1.1'
heldout_dialects=
heldout_speakers=
heldout_engines=
heldout_conds=
cond_langs=           # languages of the --heldout-conds targets [--src-langs]
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
  --rooms '<rooms>' --reverb-copies N    reverberant copies: small medium large hall [none; $reverb_copies]
  --speeds '<factors>'     speed-perturbed copies, e.g. '0.9 1.1' [none]
  --vtlp-warps '<factors>' VTLP copies of the source utterances only, e.g. '0.9 1.1' [none]
  --festival-voices '<dialect>:<voice> ...'  festival voices as speakers [none]
  --flite-voices '<dialect>:<voice> ...'     flite voices as speakers [none]
  --heldout-dialects, --heldout-speakers, --heldout-engines, --heldout-conds '<targets>'
                           held-out targets besides --tgt-langs (see the top of this script)
  --cond-langs '<voices>'  languages of the --heldout-conds targets [--src-langs]
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
for v in train_utts train_spk adapt_utts adapt_spk test_utts test_spk min_words max_words noisy_copies reverb_copies nj seed; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || die "--${v//_/-} must be a non-negative integer, got '${!v}'"
done
[ -n "$src_langs$tgt_langs" ] || die "no languages (--src-langs, --tgt-langs)"
for t in $noise_types; do
  case $t in white|pink|babble) ;; *) die "unknown noise type '$t' in --noise-types (white, pink or babble)" ;; esac
done
for s in $snrs; do [[ "$s" =~ ^-?[0-9]+(\.[0-9]+)?$ ]] || die "bad SNR '$s' in --snrs"; done
[ "$noisy_copies" -le $(( $(wc -w <<< "$noise_types") * $(wc -w <<< "$snrs") )) ] ||
  die "--noisy-copies $noisy_copies is more than the number of noise conditions (types x SNRs)"
# The copies' conditions and the held-out ones (a held-out noise type, room or speed is
# in no copy).
copy_opts="--noise-types '$noise_types' --snrs '$snrs' --copies $noisy_copies --rooms '$rooms'"
copy_opts="$copy_opts --reverb-copies $reverb_copies --speeds '$speeds' --seed $seed"
copy_opts="$copy_opts --vtlp '$vtlp_warps' --vtlp-dir $data/train"
eval local/make_data_dirs.pl $copy_opts --check --conds "'$heldout_conds'" 2>&1 | sed "s/^make_data_dirs.pl: /$prog: ERROR: /" >&2
[ ${PIPESTATUS[0]} -eq 0 ] || exit 1

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

# The Debian package of a festival voice.
festival_package() {
  case $1 in
    kal_diphone) echo festvox-kallpc16k ;; ked_diphone) echo festvox-kdlpc16k ;;
    cmu_us_slt_arctic_hts) echo festvox-us-slt-hts ;; czech_*) echo "festvox-czech-${1#czech_}" ;;
    upc_ca_ona_hts) echo festvox-ca-ona-hts ;; pc_diphone) echo festvox-itapc16k ;;
    lp_diphone) echo festvox-italp16k ;; msu_ru_nsh_clunits) echo festvox-ru ;;
    suo_fi_lj_diphone) echo festvox-suopuhe-lj ;; hy_fi_mv_diphone) echo festvox-suopuhe-mv ;;
    *) echo "festvox-*" ;;
  esac
}
# engine_voices <code> <engine>: the "engine/voice/dialect" speakers of a language.
engine_voices() {
  local v list=$festival_voices
  [ $2 = flite ] && list=$flite_voices
  for v in $list; do [ "$(lang_code "${v%%:*}")" = $1 ] && echo "$2/${v#*:}/${v%%:*}"; done
  true
}
in_list() { local l=" $(echo $2) "; [[ "$l" == *" $1 "* ]]; }   # in_list <word> '<words>'

# Check every language and voice before any work: espeak-ng voices, dictionaries,
# engine voices and the held-out targets.
known_voices=$(espeak-ng --voices | awk 'NR > 1 { print $2 }')
espeak_knows() {
  grep -qx -- "$1" <<< "$known_voices" ||
    die "espeak-ng does not know the language '$1' (espeak-ng --voices lists the known ones)"
}
codes=""
for l in $src_langs $tgt_langs; do
  c=$(lang_code "$l")
  in_list "$c" "$codes" && die "language $c is given twice (in --src-langs / --tgt-langs)"
  codes="$codes $c"
  for v in $(lang_dialects "$l"); do espeak_knows "$v"; done
done
for e in festival flite; do
  list=$festival_voices; [ $e = flite ] && list=$flite_voices
  [ -n "$list" ] || continue
  command -v $e >/dev/null || die "$e not found; install the Debian package $e (make deps)"
  if [ $e = festival ]; then
    installed=$(echo '(print (voice.list))' | festival --pipe 2>/dev/null | tr -d '()' | tr ' ' '\n' | grep .)
  else
    installed=$(flite -lv | sed 's/^Voices available://' | tr ' ' '\n' | grep .)
  fi
  for dv in $list; do
    d=${dv%%:*} v=${dv#*:}
    [[ "$dv" == *:* ]] && [ -n "$d" ] && [ -n "$v" ] || die "bad --$e-voices entry '$dv' (expected <dialect>:<voice>, e.g. en-us:slt)"
    grep -qx -- "$v" <<< "$installed" || {
      [ $e = festival ] && die "festival has no voice '$v' (it has: $(echo $installed)); install its Debian package $(festival_package "$v") (make deps)"
      die "flite has no voice '$v' (flite -lv: $(echo $installed))"; }
    espeak_knows "$d"
    c=$(lang_code "$d")
    in_list "$c" "$codes $(for t in $heldout_engines; do echo "${t%-*}"; done)" ||
      die "$e voice '$v': its language $c is no source or target language (--src-langs, --tgt-langs) and no held-out engine target's (--heldout-engines $c-$e)"
  done
done

# Voice variants: the files of espeak-ng's voices/!v directory (names with spaces left out).
espeak_data=$(espeak-ng --version | sed -n 's/.*Data at: *//p')
variants=$(ls -1 "$espeak_data/voices/!v" 2>/dev/null | grep -v ' ')
[ -n "$variants" ] || die "no espeak-ng voice variants found in $espeak_data/voices/!v"

# Held-out targets: each is a pair of splits (adapt and test) of a language, its speakers
# given as make_lists.pl's split fields; splits_of[<code>] collects a language's splits,
# voices_out the engine voices held out of training.
declare -A splits_of=() voices_out=()
add_target() { # code name num-adapt-speakers num-test-speakers dialects adapt-voices test-voices cond
  local c=$1 t=$2 as=$3 ts=$4 d=$5 av=$6 tv=$7 k=$8 au=$adapt_utts tu=$test_utts n
  if [ "$k" != - ]; then  # a held-out condition: its utterances shared out over --cond-langs
    n=$(wc -w <<< "$cond_langs")
    au=$(( (adapt_utts + n - 1) / n )) tu=$(( (test_utts + n - 1) / n ))
    as=$(( (adapt_spk + n - 1) / n )) ts=$(( (test_spk + n - 1) / n ))
  fi
  splits_of[$c]="${splits_of[$c]} --split ${t}_adapt:$data/$t/adapt:$au:$as:$d:$av:$k --split ${t}_test:$data/$t/test:$tu:$ts:$d:$tv:$k"
}
t=$(for x in $tgt_langs; do lang_code "$x"; done; echo $heldout_dialects $heldout_speakers $heldout_engines $heldout_conds | tr ' ' '\n')
[ -z "$(sort <<< "$t" | uniq -d)" ] || die "target $(sort <<< "$t" | uniq -d | head -n 1) is given twice"
source_dialects() { for l in $src_langs; do lang_dialects "$l"; done; }
for d in $heldout_dialects; do
  l=$(for s in $src_langs; do in_list "$d" "$(lang_dialects "$s")" && echo "$s"; done)
  [ -n "$l" ] || die "held-out dialect '$d' is no dialect of a source language (they are: $(source_dialects | tr '\n' ' '))"
  add_target "$(lang_code "$l")" "$d" "$adapt_spk" "$test_spk" "$d" "" "" -
done
# Every speaker a source language can have (espeak-ng variants on its dialects, and the
# engine voices), by id.
speakers=$({ for d in $(source_dialects); do sed "s|^|espeak/$d+|" <<< "$variants"; done
  for l in $src_langs; do engine_voices "$(lang_code "$l")" festival; engine_voices "$(lang_code "$l")" flite; done
} | local/make_lists.pl --speaker-ids) || exit 1
excluded=
for s in $heldout_speakers; do
  v=$(awk -F'\t' -v s="$s" '$1 == s { print $2; exit }' <<< "$speakers")
  [ -n "$v" ] || die "held-out speaker '$s' is no speaker of a source language (espeak-ng's: <dialect>-<variant>, e.g. $(head -n 1 <<< "$speakers" | cut -f1); engine voices: $(grep -v $'\tespeak/' <<< "$speakers" | cut -f1 | paste -sd' '))"
  case $v in
    espeak/*) d=${v#espeak/}; d=${d%%+*}; excluded="$excluded,${v#*+}" ;;
    *) d=${v##*/}; voices_out[$v]=1 ;;
  esac
  add_target "$(lang_code "$d")" "$s" 0 0 "" "$v" "$v" -
done
for t in $heldout_engines; do
  c=${t%-*} e=${t##*-}
  case $e in festival|flite) ;; *) die "held-out engine target '$t': expected <language>-festival or <language>-flite" ;; esac
  v=($(engine_voices "$c" "$e"))
  [ ${#v[@]} -gt 0 ] || die "held-out engine target '$t' has no voices: no $e voice of language $c (--$e-voices)"
  for x in "${v[@]}"; do voices_out[$x]=1; done
  # The voices are shared out between adaptation and test; one voice does both.
  na=$(( (${#v[@]} + 1) / 2 )); [ ${#v[@]} -gt 1 ] || na=0
  add_target "$c" "$t" 0 0 "" "$(IFS=,; echo "${v[*]:0:$(( na > 0 ? na : 1 ))}")" "$(IFS=,; echo "${v[*]:$na}")" -
  in_list "$c" "$codes" || codes="$codes $c"
done
[ -n "$cond_langs" ] || cond_langs=$src_langs
for l in $cond_langs; do in_list "$l" "$src_langs" || die "--cond-langs: '$l' is no source language (--src-langs)"; done
for k in $heldout_conds; do
  for l in $cond_langs; do
    add_target "$(lang_code "$l")" "$k" 0 0 "" "" "" "$k"
  done
done
for c in $codes; do
  dict_file "$c" >/dev/null ||
    die "no hunspell dictionary for language '$c' in $dict_dir; install the Debian package $(dict_package "$c") (apt-get install $(dict_package "$c"))"
done

[ -n "$wavdir" ] || wavdir=$data/wav
mkdir -p "$data/local" "$wavdir" || exit 1
wavdir=$(cd "$wavdir" && pwd)
tmp=$data/local
echo "$variants" > "$tmp/variants"
echo "$prog: $(wc -w <<< "$src_langs") source, $(wc -w <<< "$tgt_langs") target languages; $(wc -l < "$tmp/variants") voice variants" >&2

# Sentences and the utterance plan, language by language.
mkdir -p "$tmp/sentences"
: > "$tmp/plan.tsv"
for c in $codes; do
  l=$(for x in $src_langs $tgt_langs; do [ "$(lang_code "$x")" = "$c" ] && echo "$x"; done)
  [ -n "$l" ] || l=$c   # a language of held-out engine voices only
  splits=${splits_of[$c]}
  if in_list "$l" "$src_langs"; then
    # Training: the dialects and engine voices that are not held out.
    d=$(for x in $(lang_dialects "$l"); do in_list "$x" "$heldout_dialects" || echo "$x"; done | paste -sd,)
    [ -n "$d" ] || die "the held-out dialects leave language $c no dialect to train on"
    v=$(for e in festival flite; do for x in $(engine_voices "$c" $e); do [ -n "${voices_out[$x]}" ] || echo "$x"; done; done | paste -sd,)
    splits="--split train:$data/train:$train_utts:$train_spk:$d:$v:- $splits"
  elif in_list "$l" "$tgt_langs"; then
    splits="--split ${c}_adapt:$data/$c/adapt:$adapt_utts:$adapt_spk --split ${c}_test:$data/$c/test:$test_utts:$test_spk $splits"
  fi
  n=$(tr ' ' '\n' <<< "$splits" | awk -F: '/:/ { n += $3 } END { print n + 0 }')
  fort=""
  $use_fortunes && [ -d "$fortunes_dir/$c" ] && fort="--fortunes $fortunes_dir/$c"
  # Festival reads a language in one encoding: the language's sentences must fit it.
  [ -n "$(engine_voices "$c" festival)" ] && fort="$fort --encoding $(local/synth.sh --festival-encoding "$c")"
  local/make_sentences.pl --dic "$(dict_file "$c")" $fort --num "$n" --seed "$seed" \
    --min-words "$min_words" --max-words "$max_words" > "$tmp/sentences/$c.txt" || exit 1
  local/make_lists.pl --lang "$c" --dialects "$(lang_dialects "$l")" --sentences "$tmp/sentences/$c.txt" \
    --variants "$tmp/variants" --wavdir "$wavdir" --seed "$seed" --exclude-variants "${excluded#,}" \
    $splits >> "$tmp/plan.tsv" || exit 1
done

# Synthesis on all cores.
total=$(wc -l < "$tmp/plan.tsv")
[ "$total" -gt 0 ] || die "no utterances planned"
[ "$nj" -le "$total" ] || nj=$total
[ "$nj" -ge 1 ] || nj=1
rm -rf "$tmp/synth"; mkdir -p "$tmp/synth"
# List lines: utt engine voice dialect pitch rate wav text.
awk -F'\t' -v OFS='\t' -v nj="$nj" -v d="$tmp/synth" \
  '{ print $2, $6, $7, $5, $8, $9, $11, $12 > (d "/list." ((NR - 1) % nj + 1)) }' "$tmp/plan.tsv"
echo "$prog: synthesising $total utterances in $nj jobs (logs in $tmp/synth/log)" >&2
start=$SECONDS
$cmd JOB=1:$nj "$tmp/synth/log/synth.JOB.log" local/synth.sh "$tmp/synth/list.JOB" "$tmp/synth/out.JOB" ||
  die "synthesis failed"
echo "$prog: synthesis took $((SECONDS - start)) s" >&2

# Data directories, units, checks.
for d in $(cut -f1 "$tmp/plan.tsv" | sort -u); do rm -rf "$d"; done
eval local/make_data_dirs.pl $copy_opts "$tmp/plan.tsv" "$tmp/synth"/out.\* || exit 1
dirs=$(cut -f1 "$tmp/plan.tsv" | sort -u)
for u in phone char; do
  mkdir -p "$data/lang_$u"
  for d in $dirs; do cut -d' ' -f2- "$d/text.$u"; done | tr ' ' '\n' | grep -v '^$' | sort -u |
    awk 'BEGIN { print "<blk> 0" } { print $1, NR }' > "$data/lang_$u/units.txt"
  echo "$prog: $data/lang_$u/units.txt: $(($(wc -l < "$data/lang_$u/units.txt") - 1)) units and <blk>" >&2
done
for d in $dirs; do utils/validate_data_dir.sh "$d" || die "$d failed validation"; done
echo "$prog: done: $(for d in $dirs; do printf '%s %d; ' "$d" "$(wc -l < "$d/utt2spk")"; done)" >&2
