/* Tasks and episodes over a Kaldi data directory.
 *
 * A task is the set of utterances sharing the values of one or more keys: key X is read
 * from <data-dir>/utt2X ("utt value" lines), e.g. lang, dialect, spk, cond. With keys
 * "lang,cond" the task of an utterance with lang "fr" and cond "babble-5db" is
 * "fr+babble-5db" (values joined by TASK_ID_SEP). The utterances of the data directory
 * are those of its utt2spk.
 *
 * Groups keep the copies of one recording together: utterances with the same value in
 * the group file (Kaldi's utt2uniq: a noisy or speed-perturbed copy maps to the utterance
 * it was made from) are never split between the support and the query set of an episode.
 *
 * An episode (one inner loop of meta-learning: Finn et al. 2017, "Model-agnostic
 * meta-learning") is a task with a support set (to adapt on) and a disjoint query set
 * (to evaluate the adapted model on). Episodes file, one episode a line:
 *
 *   <episode-id> <task-id> support <utt>,<utt>,... query <utt>,<utt>,...
 *
 * e.g. "ep0001 fr+white-10db support fr-m1-0003,fr-f2-0017 query fr-m3-0009"; an empty
 * query set is written "-". Utterance lists are in sorted order. Lines starting with
 * '#' and blank lines are ignored by the reader. */
#ifndef TASKS_TASKS_H
#define TASKS_TASKS_H

#include <stdbool.h>

#include "base/options.h"
#include "io/stream.h"

#define TASK_ID_SEP '+'

typedef struct {
  char *id;        /* the key values joined by TASK_ID_SEP */
  int num_utts;
  int *utts;       /* indices into TaskSet.utt_ids, group by group (groups in the order of
                      their first utterance), increasing within a group */
  int num_groups;
  int *group_start;/* group g of the task is utts[group_start[g] .. group_start[g + 1]) */
  double seconds;  /* total duration; 0 when durations are unknown */
} Task;

typedef struct {
  int num_utts;
  char **utt_ids;  /* sorted (strcmp), as in utt2spk */
  double *dur;     /* seconds per utterance (utt2dur, or utt2num_frames * frame shift);
                      NULL when the data directory has neither */
  char *group_file;/* the file utterances are grouped by; NULL: each is its own group */
  int num_groups;
  int *group;      /* group index of each utterance */
  int num_tasks;
  Task *tasks;     /* sorted by id */
} TaskSet;

/* Reads <data_dir>/utt2spk and <data_dir>/utt2<key> for each key of the comma-separated
 * `keys`, plus utt2dur or utt2num_frames when present (frames times frame_shift seconds).
 * group_key names the group file: "uniq" or "utt2uniq" read <data_dir>/utt2uniq, a name
 * with a '/' is a path; "" groups nothing (each utterance its own group); NULL means
 * <data_dir>/utt2uniq when it exists (logged), else nothing. Every utterance must have a
 * group. ERROR on a missing or malformed file, a duplicate utterance, or an utterance a
 * key or group file has that utt2spk lacks; utterances lacking a key value are left out
 * with a WARNING. Caller frees with task_set_free. */
TaskSet *task_set_new(const char *data_dir, const char *keys, const char *group_key,
                      double frame_shift);
void task_set_free(TaskSet *ts);
/* Index of the task with this id, or -1. */
int task_set_find(const TaskSet *ts, const char *id);
/* Index of the utterance with this id, or -1. */
int task_set_find_utt(const TaskSet *ts, const char *utt);

/* How episodes are sampled (make-tasks' options). Support and query sets count
 * utterances; each is made of whole groups taken in random order, the last one cut short
 * to give the count (or duration) asked for, and the two sets share no group: a support
 * set may hold several copies of one recording, the query set none of them. */
typedef struct {
  int support;             /* utterances in the support set */
  int query;               /* utterances in the query set */
  double support_seconds;  /* if > 0: support set of at least this much audio instead */
  double query_seconds;    /* if > 0: query set of at least this much audio instead */
  int num_episodes;
  int seed;
  const char *task_weighting; /* "uniform" or "size" (probability proportional to utterances) */
  const char *exclude_tasks;  /* comma-separated task ids or shell patterns (fnmatch) */
} TaskEpisodeOpts;

TaskEpisodeOpts task_episode_opts_default(void);
void task_episode_opts_register(TaskEpisodeOpts *o, Options *po);

typedef struct {
  char *id;
  char *task;
  int num_support;
  char **support;
  int num_query;
  char **query;
} TaskEpisode;

typedef struct {
  int num;
  TaskEpisode *ep;
} TaskEpisodes;

/* Which tasks episodes may be drawn from: not excluded and large enough for the options.
 * Fills eligible[t] and logs the tasks left out and why; returns how many are eligible. */
int task_eligible(const TaskSet *ts, const TaskEpisodeOpts *o, bool *eligible);
/* Samples o->num_episodes episodes; the same options and seed give the same episodes.
 * ERROR when no task is eligible. Caller frees with task_episodes_free. */
TaskEpisodes *task_episodes_sample(const TaskSet *ts, const TaskEpisodeOpts *o);
/* Writes the episodes file (format above) to a wxfilename: a file (written under a
 * temporary name, renamed when complete), "-" (stdout), "| cmd" or "file.gz". */
void task_episodes_write(const TaskEpisodes *e, const char *wxfilename);
/* Reads an episodes file from an rxfilename (file, "-", "cmd |", gzip read transparently);
 * ERROR naming the file and line on a malformed
 * line or a duplicate episode id. Caller frees with task_episodes_free. */
TaskEpisodes *task_episodes_read(const char *rxfilename);
/* As task_episodes_read from an open input (not closed); name is used in messages. */
TaskEpisodes *task_episodes_read_input(Input *in, const char *name);
void task_episodes_free(TaskEpisodes *e);

#endif
