#!/usr/bin/env bash
# Meta-trains a model with N parallel jobs per outer step, through $cmd (run.pl, slurm.pl,
# queue.pl), like Kaldi's steps/nnet3 training scripts. See --help.
set -o pipefail

cmd=run.pl
nj=1
iterations=100
average_every=0
train_opts=""
cleanup=true

help_message="Usage: $0 [options] <model-in> <feats-rspecifier> <labels-rspecifier> <episodes> <dir>
Meta-trains <model-in> (meta-train's algorithms and options) with --nj jobs per outer step,
run through --cmd, writing <dir>/final.mdl, <dir>/<iter>.mdl and logs in <dir>/log/.
Each iteration job J of N computes the meta-gradient (MAML, FOMAML; for Reptile theta - theta_k)
of its part of the meta-batch from the same model and writes it to <dir>/grad.<iter>.J;
meta-combine checks it has all N, sums them and takes the outer step. With the same
--train-opts (seed, meta-batch ...) the result equals one meta-train process (to float
rounding) for any --nj. The state between iterations is a meta-train checkpoint
(<dir>/ckpt.<iter>), so a rerun after a failed or cancelled job resumes from the last
completed iteration (also with another --nj or --cmd).
e.g.: $0 --nj 4 --cmd \"slurm.pl --mem 2G\" --iterations 2000 \\
        --train-opts \"--algo=maml --inner-steps=3 --meta-batch=16 --outer-lr=0.001\" \\
        exp/init.mdl scp:data/train/feats.scp ark:data/train/labels.ark exp/episodes.txt exp/meta
Options:
  --cmd CMD            job runner, e.g. \"run.pl\", \"slurm.pl --mem 2G\", \"queue.pl\" [$cmd]
  --nj N               jobs per outer step; each takes 1/N of the meta-batch (N <= meta-batch) [$nj]
  --iterations I       outer steps in total [$iterations]
  --average-every K    0: exact parallel steps (above). K > 0: model averaging, the cheaper mode:
                       each job runs K outer steps on its 1/N of every meta-batch from the same
                       model, then the N models are averaged (meta-combine --average). Jobs
                       start K times less often, but each job's steps see only 1/N of the
                       meta-batch (noisier steps), the average of K-step trajectories is not a
                       K-step trajectory, and Adam's moments of the jobs are dropped at each
                       average: the result differs from one process and needs more iterations
                       or a smaller --outer-lr for the same loss. [$average_every]
  --train-opts OPTS    options for meta-train and meta-combine (--algo, --inner-steps,
                       --inner-lr, --meta-batch, --seed, --outer-optimizer, --outer-lr ...);
                       validation and --keep-best are not done here. [\"$train_opts\"]
  --cleanup BOOL       delete each iteration's meta-gradient files and older checkpoints [$cleanup]"

. "$(dirname "$0")/../utils/parse_options.sh" || exit 1
if [ $# -ne 5 ]; then printf '%s\n' "$help_message" >&2; exit 1; fi
model_in=$1 feats=$2 labels=$3 episodes=$4 dir=$5

die() { echo "$0: ERROR: $*" >&2; exit 1; }
[[ "$nj" =~ ^[1-9][0-9]*$ ]] || die "--nj must be a positive integer (got '$nj')"
[[ "$iterations" =~ ^[0-9]+$ ]] || die "--iterations must be an integer >= 0 (got '$iterations')"
[[ "$average_every" =~ ^[0-9]+$ ]] || die "--average-every must be an integer >= 0 (got '$average_every')"
[ -f "$model_in" ] || die "no model file $model_in"
[ -f "$episodes" ] || die "no episodes file $episodes"
command -v meta-train >/dev/null && command -v meta-combine >/dev/null ||
  die "meta-train and meta-combine must be on PATH (source path.sh)"
mkdir -p "$dir/log" || exit 1

# Resume: the last iteration with a checkpoint (written last, after its model).
it=0
for ((i = iterations; i > 0; i--)); do
  if [ -f "$dir/ckpt.$i" ]; then it=$i; break; fi
done
[ "$it" -gt 0 ] && echo "$0: resuming at iteration $it of $iterations (found $dir/ckpt.$it)"

start=$(date +%s)
while [ "$it" -lt "$iterations" ]; do
  if [ "$average_every" -eq 0 ]; then
    next=$((it + 1))
    rm -f "$dir"/grad."$it".*
    $cmd JOB=1:$nj "$dir/log/train.$it.JOB.log" \
      meta-train $train_opts --iterations=$iterations --resume=true --checkpoint="$dir/ckpt.$it" \
        --job=JOB --num-jobs=$nj --write-meta-grad="$dir/grad.$it.JOB" \
        "$model_in" "$feats" "$labels" "$episodes" /dev/null ||
      die "iteration $next: a meta-gradient job failed (log named above); rerun to resume"
    parts=(); for j in $(seq $nj); do parts+=("$dir/grad.$it.$j"); done
    combine_opts=""
  else
    next=$((it + average_every > iterations ? iterations : it + average_every))
    rm -f "$dir"/avg."$it".*.mdl
    $cmd JOB=1:$nj "$dir/log/train.$it.JOB.log" \
      meta-train $train_opts --iterations=$next --resume=true --checkpoint="$dir/ckpt.$it" \
        --checkpoint-every=0 --job=JOB --num-jobs=$nj \
        "$model_in" "$feats" "$labels" "$episodes" "$dir/avg.$it.JOB.mdl" ||
      die "iterations $((it + 1))-$next: a training job failed (log named above); rerun to resume"
    parts=(); for j in $(seq $nj); do parts+=("$dir/avg.$it.$j.mdl"); done
    combine_opts="--average=true"
  fi
  $cmd "$dir/log/combine.$it.log" \
    meta-combine $train_opts --iterations=$next $combine_opts \
      "$model_in" "$dir/ckpt.$it" "$dir/ckpt.$next" "$dir/$next.mdl" "${parts[@]}" ||
    die "iteration $next: meta-combine failed, see $dir/log/combine.$it.log; rerun to resume"
  if $cleanup; then rm -f "${parts[@]}" "$dir/ckpt.$it"; fi
  grep -hE '^LOG.*(Iteration|Averaged)' "$dir/log/combine.$it.log" | sed 's/^LOG ([^)]*) /  /'
  it=$next
done

if [ "$iterations" -eq 0 ]; then cp "$model_in" "$dir/final.mdl.tmp"
else cp "$dir/$iterations.mdl" "$dir/final.mdl.tmp"; fi && mv "$dir/final.mdl.tmp" "$dir/final.mdl" || exit 1
elapsed=$(($(date +%s) - start))
echo "$0: wrote $dir/final.mdl after $iterations iterations with $nj jobs (${elapsed}s this run)"
