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

static int group_size(const Task *t, int g) { return t->group_start[g + 1] - t->group_start[g]; }

/* The most utterances a support set of `count` can use up, over the orders in which its
 * groups may be drawn: the groups drawn before its last one sum to S < count, the last
 * one (of size z) takes it to count or past, and its copies left over go unused, so the
 * answer is the largest such S + z. reach[S]: whether the other groups have a subset
 * summing to S (subset sum, one pass per distinct size z). */
static int support_worst_use(const Task *t, int count) {
  int worst = count, max_size = 0;
  for (int g = 0; g < t->num_groups; g++)
    if (group_size(t, g) > max_size) max_size = group_size(t, g);
  bool *reach = xmalloc((size_t)count * sizeof *reach);
  bool *done = xcalloc((size_t)max_size + 1, sizeof *done);
  for (int last = 0; last < t->num_groups; last++) {
    int z = group_size(t, last);
    if (done[z]) continue;
    done[z] = true;
    memset(reach, 0, (size_t)count * sizeof *reach);
    reach[0] = true;
    for (int g = 0; g < t->num_groups; g++)
      for (int sum = count - 1; g != last && sum >= group_size(t, g); sum--)
        reach[sum] |= reach[sum - group_size(t, g)];
    for (int sum = count - z > 0 ? count - z : 0; sum < count; sum++)
      if (reach[sum] && sum + z > worst) worst = sum + z;
  }
  free(reach);
  free(done);
  return worst;
}

/* Whether task t can give a support and query set of the requested sizes. Counts: every
 * draw succeeds, whatever copies the support set's last group leaves unused. With
 * seconds the test is on totals: a sampled set may still fail, and sampling then
 * retries. */
static bool big_enough(const TaskSet *ts, const Task *t, const TaskEpisodeOpts *o) {
  bool seconds = o->support_seconds > 0 || o->query_seconds > 0;
  bool has_query = o->query_seconds > 0 || o->query > 0;
  if (has_query && t->num_groups < 2) return false;
  if (!seconds)
    return t->num_utts >= o->support &&
           (!has_query || t->num_utts - support_worst_use(t, o->support) >= o->query);
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

/* Takes utterances from perm[*pos..] until `count` of them or `seconds` of audio; -1 when
 * there are too few. Then moves *pos past the copies left of the last group taken, so
 * that the next set starts with a new group (groups are contiguous in perm). */
static int take(const TaskSet *ts, const int *perm, int n, int *pos, int count, double seconds) {
  int start = *pos;
  if (seconds > 0) {
    double sum = 0;
    while (*pos < n && sum < seconds) sum += ts->dur[perm[(*pos)++]];
    if (sum < seconds) return -1;
  } else {
    if (n - start < count) return -1;
    *pos += count;
  }
  int taken = *pos - start;
  while (*pos > 0 && *pos < n && ts->group[perm[*pos]] == ts->group[perm[*pos - 1]]) (*pos)++;
  return taken;
}

/* A random order of task t's utterances in which each group's utterances are contiguous:
 * the groups in random order, each group's copies in random order. order: num_groups ints.
 * Without groups (one utterance each) this is one shuffle of t->utts. */
static void shuffle_by_group(const Task *t, Rng *r, int *order, int *perm) {
  for (int g = 0; g < t->num_groups; g++) order[g] = g;
  rng_shuffle_int(r, order, t->num_groups);
  int n = 0;
  for (int i = 0; i < t->num_groups; i++) {
    int g = order[i], len = group_size(t, g);
    memcpy(perm + n, t->utts + t->group_start[g], (size_t)len * sizeof *perm);
    rng_shuffle_int(r, perm + n, len);
    n += len;
  }
}

static char **utt_list(const TaskSet *ts, int *idx, int n) {
  qsort(idx, (size_t)n, sizeof *idx, cmp_int);
  char **out = xmalloc((size_t)(n ? n : 1) * sizeof *out);
  for (int i = 0; i < n; i++) out[i] = xstrdup(ts->utt_ids[idx[i]]);
  return out;
}

/* One episode from task t; false when the sampled utterances fall short (seconds mode).
 * perm and order: ts->num_utts ints each. */
static bool sample_one(const TaskSet *ts, const Task *t, const TaskEpisodeOpts *o, Rng *r,
                       int *perm, int *order, TaskEpisode *ep) {
  shuffle_by_group(t, r, order, perm);
  int pos = 0;
  int ns = take(ts, perm, t->num_utts, &pos, o->support, o->support_seconds);
  if (ns < 0) return false;
  int qstart = pos;
  int nq = take(ts, perm, t->num_utts, &pos, o->query, o->query_seconds);
  if (nq < 0) return false;
  ep->task = xstrdup(t->id);
  ep->num_support = ns;
  ep->support = utt_list(ts, perm, ns);
  ep->num_query = nq;
  ep->query = utt_list(ts, perm + qstart, nq);
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
  int *order = xmalloc((size_t)ts->num_utts * sizeof *order);
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
    } while (!sample_one(ts, t, o, &r, perm, order, ep));
    ep->id = xasprintf("ep%0*d", width, i + 1);
    e->num++;
  }
  free(perm);
  free(order);
  free(eligible);
  return e;
}
