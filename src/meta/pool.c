/* A meta-batch on threads. Each task's meta-gradient goes to its own slot and the slots
 * are summed in task order afterwards, so the result does not depend on which thread
 * ran which task, nor when. Threads take the tasks longest first (by frames), so that
 * the last to finish is a short one. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "meta/meta-internal.h"

struct MetaPool {
  const Nnet *n;
  const MetaInner *in;
  int threads;
  bool parallel;
  MetaWork **work;
  float *slots;               /* per task: P + R floats */
  size_t slot_cap;            /* tasks the slots hold */
  MetaTaskStats *stats;
  /* The current job. */
  const NnetData *d;
  const MetaTasks *t;
  const int *idx;
  int nt;
  int *order;                 /* the job's tasks, longest first */
  uint64_t *seeds;
  const float *theta;
  bool eval;
  double *eval_loss;
  atomic_int next;
};

MetaPool *meta_pool_new(const Nnet *n, const MetaInner *in, int threads, bool tasks_parallel) {
  MetaPool *p = xcalloc(1, sizeof(*p));
  p->n = n;
  p->in = in;
  p->threads = threads > 0 ? threads : 1;
  p->parallel = tasks_parallel && p->threads > 1;
  int nw = p->parallel ? p->threads : 1;
  p->work = xmalloc(sizeof(MetaWork *) * (size_t)nw);
  for (int i = 0; i < nw; i++) p->work[i] = meta_work_new(n, in);
  /* One task at a time: its CTC runs on all threads too. */
  if (!p->parallel) meta_work_set_num_threads(p->work[0], p->threads);
  return p;
}

void meta_pool_free(MetaPool *p) {
  if (!p) return;
  for (int i = 0; i < (p->parallel ? p->threads : 1); i++) meta_work_free(p->work[i]);
  free(p->work);
  free(p->slots);
  free(p->stats);
  free(p->order);
  free(p);
}

static size_t slot_size(const MetaPool *p) {
  return (size_t)nnet_num_params(p->n) + (size_t)meta_inner_num_learned(p->in);
}

/* Task i of the current job. */
static const MetaTask *job_task(const MetaPool *p, int i) { return &p->t->t[p->idx ? p->idx[i] : i]; }

static void run_task(MetaPool *p, MetaWork *w, int i) {
  const MetaTask *task = job_task(p, i);
  if (p->eval) {
    p->eval_loss[i] = meta_task_eval(p->n, p->in, w, p->d, task, p->seeds[i], p->theta, &p->stats[i]);
    return;
  }
  float *slot = p->slots + (size_t)i * slot_size(p);
  meta_task_grad(p->n, p->in, w, p->d, task, p->seeds[i], p->theta, slot,
                 slot + nnet_num_params(p->n), &p->stats[i]);
}

static void *worker(void *arg) {
  MetaWork **wp = arg;
  MetaPool *p = (MetaPool *)wp[0];
  MetaWork *w = wp[1];
  for (int i; (i = atomic_fetch_add(&p->next, 1)) < p->nt;) run_task(p, w, p->order[i]);
  return NULL;
}

/* p->order: the job's tasks by frames, most first (ties in task order). */
static void order_longest_first(MetaPool *p) {
  p->order = xrealloc(p->order, sizeof(int) * (size_t)(p->nt ? p->nt : 1));
  for (int i = 0; i < p->nt; i++) {
    int j = i;
    for (; j > 0 && job_task(p, p->order[j - 1])->frames < job_task(p, i)->frames; j--) p->order[j] = p->order[j - 1];
    p->order[j] = i;
  }
}

/* Runs the current job on the pool's threads (or in this thread). */
static void run_job(MetaPool *p) {
  if (!p->parallel) {
    mat_set_num_threads(p->threads);
    for (int i = 0; i < p->nt; i++) run_task(p, p->work[0], i);
    return;
  }
  mat_set_num_threads(1);
  order_longest_first(p);
  atomic_store(&p->next, 0);
  int nth = p->threads < p->nt ? p->threads : p->nt;
  pthread_t tid[nth];
  void *args[nth][2];
  for (int k = 0; k < nth; k++) {
    args[k][0] = p;
    args[k][1] = p->work[k];
    if (pthread_create(&tid[k], NULL, worker, args[k]) != 0) ERROR("cannot create a thread");
  }
  for (int k = 0; k < nth; k++) pthread_join(tid[k], NULL);
}

static void set_job(MetaPool *p, const NnetData *d, const MetaTasks *t, const int *idx, int nt,
                    int first, const Rng *seed_rng, const float *theta, bool eval) {
  p->d = d;
  p->t = t;
  p->idx = idx;
  p->nt = nt;
  p->theta = theta;
  p->eval = eval;
  p->seeds = xmalloc(sizeof(uint64_t) * (size_t)(nt ? nt : 1));
  for (int i = 0; i < nt; i++) {
    Rng r = rng_split(seed_rng, (uint64_t)(first + i));
    p->seeds[i] = rng_next(&r);
  }
  p->stats = xrealloc(p->stats, sizeof(MetaTaskStats) * (size_t)(nt ? nt : 1));
  if (!eval && (size_t)nt > p->slot_cap) {
    p->slot_cap = (size_t)nt;
    free(p->slots);
    p->slots = xmalloc(sizeof(float) * slot_size(p) * p->slot_cap);
  }
}

void meta_batch_grad(MetaPool *p, const NnetData *d, const MetaTasks *t, const int *task_idx,
                     int nt, const Rng *seed_rng, const float *theta, float *grad_sum,
                     MetaBatchStats *st) {
  meta_batch_grad_at(p, d, t, task_idx, nt, 0, seed_rng, theta, grad_sum, st);
}

void meta_batch_grad_at(MetaPool *p, const NnetData *d, const MetaTasks *t, const int *task_idx,
                        int nt, int first, const Rng *seed_rng, const float *theta,
                        float *grad_sum, MetaBatchStats *st) {
  set_job(p, d, t, task_idx, nt, first, seed_rng, theta, false);
  run_job(p);
  size_t S = slot_size(p);
  memset(grad_sum, 0, sizeof(float) * S);
  memset(st, 0, sizeof(*st));
  st->tasks = nt;
  for (int i = 0; i < nt; i++) {
    const MetaTaskStats *ts = &p->stats[i];
    const MetaTask *task = job_task(p, i);
    st->frames += task->frames;
    if (!ts->ok) {
      WARN("episode %s (task %s): non-finite loss or meta-gradient, left out of this step",
           task->id, task->task);
      continue;
    }
    vec_axpy((int)S, 1.0f, p->slots + (size_t)i * S, grad_sum);
    st->tasks_ok++;
    st->query_before += ts->query_before;
    st->query_after += ts->query_after;
  }
  free(p->seeds);
}

double meta_batch_eval(MetaPool *p, const NnetData *d, const MetaTasks *t, const Rng *seed_rng,
                       const float *theta) {
  double *loss = xmalloc(sizeof(double) * (size_t)(t->num ? t->num : 1));
  p->eval_loss = loss;
  set_job(p, d, t, NULL, t->num, 0, seed_rng, theta, true);
  run_job(p);
  double sum = 0;
  int ok = 0;
  for (int i = 0; i < t->num; i++)
    if (isfinite(loss[i])) {
      sum += loss[i];
      ok++;
    }
  free(loss);
  free(p->seeds);
  return ok ? sum / ok : NAN;
}
