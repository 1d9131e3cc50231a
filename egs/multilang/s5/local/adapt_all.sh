#!/usr/bin/env bash
# The recipes' adaptation stage: for each held-out target, shot count and draw, every
# initialisation of every training seed (<exp>/<init>/s<seed>/final.mdl) adapted to the
# drawn recordings, the target's test set decoded and scored; and each model decoded as it
# is (zero shot): local/adapt_decode.sh, a job per initialisation, seed and target. Draw d
# of N recordings is the first N of the d-th random order of the target's adaptation
# recordings (local/make_draws.sh), so the sets are nested across N; the test set is
# --test-recs recordings (evenly spaced) with every copy of each, or all. <adapt-dir> gets
# draws/, test/, jobs, log/, the cells <init>/s<seed>/<target>/{0,<N>_<d>}/ (one already
# scored is skipped) and .settings (a rerun with other settings stops).
cmd=run.pl
nj=2                  # jobs at a time
inits="multitask reptile-sq-mb2"
train_seeds="1 2 3"
targets=              # held-out targets: data/<target>/{adapt,test}
shots="5 10 20 100"
draws=2
test_recs=50          # 0: all
seed=1
unit=phone
adapt_conf=conf/adapt.conf
adapt_lr=0.05         # fast-adapt's rate for models without learned inner rates
decode_conf=conf/decode.conf
keep_models=false
help_message="Usage: local/adapt_all.sh [options] --targets '<targets>' <data> <exp> <adapt-dir>
  --cmd CMD [$cmd]  --nj N [$nj]  --inits '<names>' [$inits]  --train-seeds '<seeds>' [$train_seeds]
  --shots '<N ...>' [$shots]  --draws D [$draws]  --test-recs N [$test_recs]  --seed N [$seed]
  --unit phone|char [$unit]  --adapt-conf FILE [$adapt_conf]  --adapt-lr R [$adapt_lr]
  --decode-conf FILE [$decode_conf]  --keep-models true|false [$keep_models]
e.g.: local/adapt_all.sh --cmd run.pl --targets 'af ca' --shots '5 10' data exp exp/adapt"
. ./path.sh || exit 1
. utils/parse_options.sh || exit 1
[ $# -eq 3 ] || { echo "$help_message" >&2; exit 1; }
data=$1 exp=$2 adapt_dir=$3
prog=adapt_all.sh
set -e -o pipefail
die() { echo "$prog: ERROR: $*" >&2; exit 1; }
. utils/lib/stages.sh   # settings_check, settings_save, conf_settings, wait_with_progress
for v in nj draws test_recs seed; do [[ "${!v}" =~ ^[0-9]+$ ]] || die "--${v//_/-} must be a non-negative integer, got '${!v}'"; done
[ -n "$inits" ] && [ -n "$targets" ] || die "nothing to adapt (--inits '$inits', --targets '$targets')"
for l in $targets; do for f in $data/$l/adapt/feats_cmvn.scp $data/$l/test/utt2uniq; do
  [ -s $f ] || die "missing $f (run the stages before adaptation)"
done; done

s="$(conf_settings $adapt_conf) lr=$adapt_lr $(conf_settings $decode_conf) shots=$shots draws=$draws test_recs=$test_recs seed=$seed unit=$unit"
settings_check $adapt_dir "$s" || { rm -rf $adapt_dir; settings_save $adapt_dir "$s"; }
mkdir -p $adapt_dir/log
for l in $targets; do   # each target's test list and draws
  t=$adapt_dir/test/$l; mkdir -p $t
  n=$(cut -d' ' -f2 $data/$l/test/utt2uniq | sort -u | wc -l) k=$test_recs
  [ $k -gt 0 ] && [ $k -lt $n ] || k=$n
  utils/subset_data_dir.sh --uniq true $data/$l/test $k $t/data >&2
  cut -d' ' -f1 $t/data/utt2spk > $t/utts
  utils/filter_scp.pl $t/utts $data/$l/test/feats_cmvn.scp > $t/feats.scp
  utils/filter_scp.pl $t/utts $data/$l/test/text.$unit > $t/text
  [ -s $adapt_dir/draws/$l/order_$draws ] ||
    local/make_draws.sh --seed $seed --draws $draws --shots "$shots" $data/$l/adapt $adapt_dir/draws/$l
done
for i in $inits; do for ts in $train_seeds; do for l in $targets; do
  echo "$i $ts $l"
done; done; done > $adapt_dir/jobs
njobs=$(wc -l < $adapt_dir/jobs)
cells=$(( njobs * (1 + $(echo $shots | wc -w) * draws) ))
done_cells() { # of this run's jobs (the directory may hold other initialisations' cells)
  local i ts l
  while read -r i ts l; do [ ! -d $adapt_dir/$i/s$ts/$l ] || find $adapt_dir/$i/s$ts/$l -name wer; done < $adapt_dir/jobs | wc -l
}
before=$(done_cells) start=$SECONDS
adapt_status() {
  local d=$(done_cells) el=$((SECONDS - start)) eta=?
  [ $d -gt $before ] && eta=$(( el * (cells - d) / (d - before) ))s
  echo "adaptation: $d of $cells cells done, ETA $eta (logs: $adapt_dir/log/adapt.*.log)"
}
echo "$prog: $njobs adaptation jobs of $((cells / njobs)) cells (logs: $adapt_dir/log/adapt.*.log)" >&2
$cmd --max-jobs-run $nj JOB=1:$njobs $adapt_dir/log/adapt.JOB.log \
  local/adapt_decode.sh --adapt-conf $adapt_conf --decode-conf $decode_conf --unit $unit \
    --lr $adapt_lr --keep-models $keep_models --job JOB $adapt_dir/jobs $data $exp &
wait_with_progress $! adapt_status || die "adaptation failed (see $adapt_dir/log/adapt.*.log)"
