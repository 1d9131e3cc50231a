/* make-tasks: groups the utterances of a data directory into tasks and samples episodes. */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/options.h"
#include "base/util.h"
#include "io/stream.h"
#include "tasks/tasks.h"

static const char *usage =
    "Groups the utterances of a data directory into tasks by one or more keys (key X is read\n"
    "from <data-dir>/utt2X: lang, dialect, spk, cond ...) and samples meta-learning episodes:\n"
    "a task (uniformly or by size), a support set and a disjoint query set of its utterances.\n"
    "Writes one episode a line:\n"
    "  <episode-id> <task-id> support <utt>,<utt>,... query <utt>,<utt>,...\n"
    "where a task id joins the key values with '+' (e.g. fr+white-10db) and an empty query\n"
    "set is '-'. Tasks too small for the sets are reported and skipped.\n"
    "Copies of one recording (utterances with the same value in the --group-key file, by\n"
    "default <data-dir>/utt2uniq when it exists) are never split between support and query:\n"
    "each set is made of whole recordings drawn at random, all their copies included, and\n"
    "holds --support (--query) utterances (or seconds), the last recording drawn cut short\n"
    "(its other copies are then in neither set). A support set may thus hold several copies of\n"
    "one recording, as augmented adaptation data does; the query set holds none of them.\n"
    "Usage: make-tasks [options] <data-dir> <episodes-wxfilename>\n"
    "e.g.: make-tasks --task-key=lang,cond --support=5 --query=5 --num-episodes=2000 "
    "data/train exp/tasks/episodes.txt\n";

int main(int argc, char **argv) {
  const char *task_key = "lang";
  double frame_shift = 0.01;
  const char *list_tasks = "";
  const char *group_key = "auto";
  TaskEpisodeOpts eo = task_episode_opts_default();
  Options *po = opts_new(usage);
  opts_string(po, "task-key", &task_key,
              "Comma-separated keys whose values define a task (key X reads <data-dir>/utt2X)");
  opts_string(po, "group-key", &group_key,
              "Utterances that share a value of this key (X reads <data-dir>/utt2X; utt2X also "
              "does; a name with a '/' is a file) are copies of one recording, kept on one side "
              "of each episode. auto: uniq when <data-dir>/utt2uniq exists, else none; empty: none");
  opts_double(po, "frame-shift", &frame_shift,
              "Seconds per frame, for durations from utt2num_frames (when there is no utt2dur)");
  opts_string(po, "list-tasks", &list_tasks,
              "If set, also write the tasks to this file: <task-id> <num-utts> <seconds> <eligible:0|1>");
  task_episode_opts_register(&eo, po);
  opts_parse(po, argc, argv);
  if (opts_num_args(po) != 2) opts_usage_exit(po);
  const char *data_dir = opts_arg(po, 0), *episodes_wxfilename = opts_arg(po, 1);
  if (frame_shift <= 0) ERROR("--frame-shift must be positive (got %g)", frame_shift);

  TaskSet *ts = task_set_new(data_dir, task_key, strcmp(group_key, "auto") ? group_key : NULL,
                             frame_shift);
  if (ts->group_file)
    LOG("%s: %d utterances of %d recordings (by %s) in %d tasks by %s", data_dir, ts->num_utts,
        ts->num_groups, ts->group_file, ts->num_tasks, task_key);
  else
    LOG("%s: %d utterances in %d tasks by %s", data_dir, ts->num_utts, ts->num_tasks, task_key);
  if (*list_tasks) {
    bool *eligible = xmalloc((size_t)ts->num_tasks * sizeof *eligible);
    task_eligible(ts, &eo, eligible);
    Output *out = output_open(list_tasks);
    for (int t = 0; t < ts->num_tasks; t++)
      output_printf(out, "%s %d %.2f %d\n", ts->tasks[t].id, ts->tasks[t].num_utts,
                    ts->tasks[t].seconds, eligible[t]);
    output_close(out);
    free(eligible);
  }
  TaskEpisodes *e = task_episodes_sample(ts, &eo);
  task_episodes_write(e, episodes_wxfilename);
  long ns = 0, nq = 0;
  for (int i = 0; i < e->num; i++) { ns += e->ep[i].num_support; nq += e->ep[i].num_query; }
  LOG("Done %d episodes (%.1f support, %.1f query utterances on average) written to %s", e->num,
      (double)ns / e->num, (double)nq / e->num, episodes_wxfilename);
  task_episodes_free(e);
  task_set_free(ts);
  opts_free(po);
  return 0;
}
