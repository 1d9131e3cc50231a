# Sourced by the recipes' run.sh: stage bookkeeping, the settings that made a stage's
# outputs, and progress of background jobs. Expects $stage, $stop_stage and $exp, and a
# die() that prints an error and exits. The scripts a stage runs (local/train_inits.sh ...)
# source it for the settings and the progress, which need die() alone (and $prog, the
# name their messages start with).

# Stage bookkeeping: exp/stage_times holds "<stage> <name> <seconds>" of the last run of
# each stage that did some work (a stage with nothing to do keeps its time).
stage_run() { # N name: true when stage N is selected; starts its clock
  [ $1 -ge $stage ] && [ $1 -le $stop_stage ] || return 1
  cur_stage=$1 cur_name=$2 cur_start=$SECONDS cur_epoch=$(date +%s.%N) worked=false
  echo "$(date '+%F %T') run.sh: stage $1: $2" >&2
}
stage_done() {
  local t=$((SECONDS - cur_start))
  if ! $worked; then echo "$(date '+%F %T') run.sh: stage $cur_stage ($cur_name): nothing to do" >&2; return; fi
  { grep -v "^$cur_stage " $exp/stage_times 2>/dev/null || true; echo "$cur_stage $cur_name $t"; } |
    sort -n > $exp/stage_times.tmp && mv $exp/stage_times.tmp $exp/stage_times
  echo "$(date '+%F %T') run.sh: stage $cur_stage ($cur_name) took $t s" >&2
}
# Whether a stage whose work a script does did some: a file (find <dir> <tests>) written
# since the stage began.
wrote_since_stage() { [ -n "$(find "$@" -newermt "@$cur_epoch" -print -quit 2>/dev/null)" ]; }
# Settings of a stage's outputs: <dir>/.settings holds the settings that made them. A
# rerun with other settings stops instead of mixing outputs of two setups.
settings_check() { # dir settings: false when the outputs are to be made
  local f=$1/.settings
  [ -f $f ] || return 1
  # (runs of spaces count as one: an empty option leaves two, and is no other setting)
  [ "$(tr -s ' ' < $f)" = "$(echo "$2" | tr -s ' ')" ] && return 0
  die "$1 was made with other settings than this run's:
  then: $(cat $f)
  now:  $2
Remove $1 (or give another --data/--exp/--adapt-dir) to make it again."
}
settings_save() { mkdir -p $1 && echo "$2" > $1/.settings; }
# A file's settings: its name and the options in it (comments left out).
conf_settings() { echo "$1: $(grep -v '^#' $1 | tr '\n' ' ')"; }
# Progress of a background job on the terminal: every 30 s, the line <status-cmd> prints.
wait_with_progress() { # pid status-cmd...
  local pid=$1 last=$SECONDS; shift
  while kill -0 $pid 2>/dev/null; do
    sleep 1
    if [ $((SECONDS - last)) -ge 30 ]; then last=$SECONDS; echo "$(date '+%F %T') ${prog:-run.sh}: $("$@")" >&2; fi
  done
  wait $pid
}
