/* Sampling episodes: a task, then a support set and a disjoint query set. */
#include "tasks/tasks.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/rng.h"
#include "base/util.h"

TaskEpisodeOpts task_episode_opts_default(void) {
  return (TaskEpisodeOpts){.support = 5, .query = 5, .support_seconds = 0, .query_seconds = 0,
                           .num_episodes = 1000, .seed = 0, .task_weighting = "uniform",
                           .exclude_tasks = ""};
}

void task_episode_opts_register(TaskEpisodeOpts *o, Options *po) {
  opts_int(po, "support", &o->support, "Utterances in each episode's support set");
  opts_int(po, "query", &o->query, "Utterances in each episode's query set (0: none)");
  opts_double(po, "support-seconds", &o->support_seconds,
              "If > 0, the support set takes random utterances of the task until they hold at least "
              "this many seconds (needs utt2dur or utt2num_frames); overrides --support");
  opts_double(po, "query-seconds", &o->query_seconds,
              "If > 0, the query set likewise holds at least this many seconds; overrides --query");
  opts_int(po, "num-episodes", &o->num_episodes, "Number of episodes to sample");
  opts_int(po, "seed", &o->seed, "Random seed");
  opts_choice(po, "task-weighting", &o->task_weighting, "uniform|size",
              "How a task is drawn: uniform, or with probability proportional to its utterances");
  opts_string(po, "exclude-tasks", &o->exclude_tasks,
              "Comma-separated task ids (or shell patterns, e.g. 'ca+*') to hold out");
}

static bool excluded(const char *id, const char *list) {
  if (!list || !*list) return false;
  char *copy = xstrdup(list), *save = NULL;
  bool hit = false;
  for (char *p = strtok_r(copy, ",", &save); p && !hit; p = strtok_r(NULL, ",", &save))
    hit = fnmatch(p, id, 0) == 0;
  free(copy);
  return hit;
}

/* Whether task t can give a support and query set of the requested sizes. With seconds
 * the test is on totals: a sampled set may still fail, and sampling then retries. */
static bool big_enough(const TaskSet *ts, const Task *t, const TaskEpisodeOpts *o) {
  int nmin = (o->support_seconds > 0 ? 1 : o->support) + (o->query_seconds > 0 ? 1 : o->query);
  if (t->num_utts < nmin) return false;
  double smin = (o->support_seconds > 0 ? o->support_seconds : 0) +
                (o->query_seconds > 0 ? o->query_seconds : 0);
  return !ts->dur || t->seconds >= smin;
}

static void check_opts(const TaskSet *ts, const TaskEpisodeOpts *o) {
  if (o->support_seconds <= 0 && o->support < 1) ERROR("--support must be at least 1 (got %d)", o->support);
  if (o->query_seconds <= 0 && o->query < 0) ERROR("--query must be 0 or more (got %d)", o->query);
  if (o->num_episodes < 1) ERROR("--num-episodes must be at least 1 (got %d)", o->num_episodes);
  if ((o->support_seconds > 0 || o->query_seconds > 0) && !ts->dur)
    ERROR("--support-seconds/--query-seconds need utt2dur or utt2num_frames in the data directory");
  if (strcmp(o->task_weighting, "uniform") && strcmp(o->task_weighting, "size"))
    ERROR("--task-weighting must be uniform or size, got '%s'", o->task_weighting);
}

int task_eligible(const TaskSet *ts, const TaskEpisodeOpts *o, bool *eligible) {
  check_opts(ts, o);
  int n = 0, nsmall = 0, nexcl = 0;
  char small[512] = "", excl[512] = "";
  for (int i = 0; i < ts->num_tasks; i++) {
    const Task *t = &ts->tasks[i];
    eligible[i] = false;
    if (excluded(t->id, o->exclude_tasks)) {
      if (nexcl++ < 20) snprintf(excl + strlen(excl), sizeof excl - strlen(excl), " %s", t->id);
    } else if (!big_enough(ts, t, o)) {
      if (nsmall++ < 20)
        snprintf(small + strlen(small), sizeof small - strlen(small), " %s(%d)", t->id, t->num_utts);
    } else {
      eligible[i] = true;
      n++;
    }
  }
  if (nexcl) LOG("Held out %d task(s):%s%s", nexcl, excl, nexcl > 20 ? " ..." : "");
  if (nsmall)
    WARN("Skipped %d task(s) too small for the support and query sets (task(utterances)):%s%s",
         nsmall, small, nsmall > 20 ? " ..." : "");
  return n;
}

/* Draws a task index among the eligible ones. */
static int draw_task(const TaskSet *ts, const bool *eligible, bool by_size, double total, Rng *r) {
  double x = rng_uniform(r) * total;
  int last = -1;
  for (int i = 0; i < ts->num_tasks; i++) {
    if (!eligible[i]) continue;
    x -= by_size ? ts->tasks[i].num_utts : 1.0;
    last = i;
    if (x < 0) return i;
  }
  return last;
}

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

/* Takes utterances from perm[*pos..] until `count` of them or `seconds` of audio. */
static int take(const TaskSet *ts, const int *perm, int n, int *pos, int count, double seconds) {
  int start = *pos;
  if (seconds > 0) {
    double sum = 0;
    while (*pos < n && sum < seconds) sum += ts->dur[perm[(*pos)++]];
    return sum >= seconds ? *pos - start : -1;
  }
  if (n - start < count) return -1;
  *pos += count;
  return count;
}

static char **utt_list(const TaskSet *ts, int *idx, int n) {
  qsort(idx, (size_t)n, sizeof *idx, cmp_int);
  char **out = xmalloc((size_t)(n ? n : 1) * sizeof *out);
  for (int i = 0; i < n; i++) out[i] = xstrdup(ts->utt_ids[idx[i]]);
  return out;
}

/* One episode from task t; false when the sampled utterances fall short (seconds mode). */
static bool sample_one(const TaskSet *ts, const Task *t, const TaskEpisodeOpts *o, Rng *r,
                       int *perm, TaskEpisode *ep) {
  memcpy(perm, t->utts, (size_t)t->num_utts * sizeof *perm);
  rng_shuffle_int(r, perm, t->num_utts);
  int pos = 0;
  int ns = take(ts, perm, t->num_utts, &pos, o->support, o->support_seconds);
  if (ns < 0) return false;
  int nq = take(ts, perm, t->num_utts, &pos, o->query, o->query_seconds);
  if (nq < 0) return false;
  ep->task = xstrdup(t->id);
  ep->num_support = ns;
  ep->support = utt_list(ts, perm, ns);
  ep->num_query = nq;
  ep->query = utt_list(ts, perm + ns, nq);
  return true;
}

TaskEpisodes *task_episodes_sample(const TaskSet *ts, const TaskEpisodeOpts *o) {
  bool *eligible = xmalloc((size_t)ts->num_tasks * sizeof *eligible);
  int n = task_eligible(ts, o, eligible);
  if (n == 0) {
    free(eligible); /* before the ERROR: no leak report on bad input */
    ERROR("No task is left to sample episodes from (%d tasks, all held out or too small)", ts->num_tasks);
  }
  bool by_size = !strcmp(o->task_weighting, "size");
  double total = 0;
  for (int i = 0; i < ts->num_tasks; i++)
    if (eligible[i]) total += by_size ? ts->tasks[i].num_utts : 1.0;
  Rng master;
  rng_seed(&master, (uint64_t)(int64_t)o->seed);
  int *perm = xmalloc((size_t)ts->num_utts * sizeof *perm);
  TaskEpisodes *e = xcalloc(1, sizeof *e);
  e->ep = xcalloc((size_t)o->num_episodes, sizeof *e->ep);
  int width = snprintf(NULL, 0, "%d", o->num_episodes);
  for (int i = 0; i < o->num_episodes; i++) {
    /* Each episode draws from its own stream: episode i is the same whatever N is. */
    Rng r = rng_split(&master, (uint64_t)i);
    TaskEpisode *ep = &e->ep[i];
    const Task *t = NULL;
    int attempt = 0;
    do {
      if (attempt++ == 1000) {
        free(perm);
        free(eligible);
        task_episodes_free(e);
        ERROR("Cannot fill support/query sets of the requested duration in 1000 draws "
              "(last tried task %s, %.1f seconds)", t->id, t->seconds);
      }
      t = &ts->tasks[draw_task(ts, eligible, by_size, total, &r)];
    } while (!sample_one(ts, t, o, &r, perm, ep));
    ep->id = xasprintf("ep%0*d", width, i + 1);
    e->num++;
  }
  free(perm);
  free(eligible);
  return e;
}
