/* The C side of tests/bench/meta-step: times outer steps of meta-training (the summed
 * meta-gradient of a meta-batch of tasks, then Adam with clipping, as meta-train does)
 * on random features and labels.
 *   meta-step-c CONFIG ALGO INNER_STEPS THREADS TASKS SUPPORT QUERY FRAMES DIM UNITS LABELS STEPS
 * ALGO is maml (exact second order), fomaml or reptile; the inner steps use the whole
 * support set at rate 0.05; the tasks run one per thread (meta-train's --thread-mode=tasks).
 * Prints "name value" lines: step_s (the best of STEPS steps after a warm-up step),
 * query losses before and after adaptation, peak_rss_mb. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "base/rng.h"
#include "base/util.h"
#include "meta/meta.h"

/* TASKS tasks of SUPPORT + QUERY utterances, each FRAMES x DIM Gaussian features with
 * LABELS random labels in [1, UNITS). */
static NnetData *random_data(int n, int T, int D, int K, int L, Rng *r) {
  NnetData *d = xcalloc(1, sizeof(*d));
  d->keys = xmalloc(sizeof(char *) * (size_t)n);
  d->feats = xmalloc(sizeof(Mat) * (size_t)n);
  d->labels = xmalloc(sizeof(IntVec) * (size_t)n);
  for (int u = 0; u < n; u++) {
    d->keys[u] = xasprintf("u%06d", u); /* sorted, as meta_data_load leaves them */
    d->feats[u] = mat_alloc(T, D);
    for (int i = 0; i < T * D; i++) d->feats[u].data[i] = (float)rng_gauss(r);
    d->labels[u] = (IntVec){xmalloc(sizeof(int) * (size_t)L), L};
    for (int i = 0; i < L; i++) d->labels[u].data[i] = 1 + rng_int(r, K - 1);
    d->frames += T;
  }
  d->n = n;
  return d;
}

static MetaTasks *consecutive_tasks(int num, int S, int Q, int T) {
  MetaTasks *ts = xcalloc(1, sizeof(*ts));
  ts->t = xcalloc((size_t)num, sizeof(MetaTask));
  for (int k = 0; k < num; k++) {
    MetaTask *t = &ts->t[ts->num++];
    t->id = t->task = "random";
    t->ns = S, t->nq = Q;
    t->s = xmalloc(sizeof(int) * (size_t)S);
    t->q = xmalloc(sizeof(int) * (size_t)Q);
    for (int i = 0; i < S; i++) t->s[i] = k * (S + Q) + i;
    for (int i = 0; i < Q; i++) t->q[i] = k * (S + Q) + S + i;
    t->frames = (long)(S + Q) * T;
  }
  return ts;
}

int main(int argc, char **argv) {
  if (argc != 13) {
    fprintf(stderr, "usage: %s CONFIG ALGO INNER_STEPS THREADS TASKS SUPPORT QUERY FRAMES DIM UNITS "
            "LABELS STEPS\n", argv[0]);
    return 1;
  }
  MetaAlgo algo;
  if (!meta_algo_parse(argv[2], &algo)) return 1;
  int k = atoi(argv[3]), threads = atoi(argv[4]), nt = atoi(argv[5]), S = atoi(argv[6]);
  int Q = atoi(argv[7]), T = atoi(argv[8]), D = atoi(argv[9]), K = atoi(argv[10]);
  int L = atoi(argv[11]), steps = atoi(argv[12]);
  Nnet *n = nnet_new_from_config(argv[1], D, K, 1);
  Rng r;
  rng_seed(&r, 7);
  NnetData *d = random_data(nt * (S + Q), T, D, K, L, &r);
  MetaTasks *tasks = consecutive_tasks(nt, S, Q, T);
  MetaInner *in = meta_inner_new(n, algo, k, 0, 0.05f, META_LR_NONE);
  MetaPool *pool = meta_pool_new(n, in, threads, true);
  NnetOptimOpts oo;
  nnet_optim_opts_default(&oo);
  oo.type = "adam", oo.lr = 1e-3f, oo.max_grad_norm = 5;
  int P = nnet_num_params(n);
  NnetOptim *opt = nnet_optim_new(&oo, P);
  float *grad = xmalloc(sizeof(float) * (size_t)P);
  int *idx = xmalloc(sizeof(int) * (size_t)nt);
  for (int i = 0; i < nt; i++) idx[i] = i;
  double best = 1e30, before = 0, after = 0;
  for (int s = 0; s <= steps; s++) { /* step 0 warms up */
    Rng sr = rng_split(&r, (uint64_t)s);
    MetaBatchStats st;
    double t = now_seconds();
    meta_batch_grad(pool, d, tasks, idx, nt, &sr, nnet_params(n), grad, &st);
    vec_scale(P, 1.0f / (float)nt, grad);
    nnet_optim_step(opt, nnet_params(n), grad, 0.0, NULL);
    t = now_seconds() - t;
    if (st.tasks_ok != nt) return 1;
    if (s > 0 && t < best) best = t;
    before = st.query_before / nt, after = st.query_after / nt;
  }
  printf("params %d\nstep_s %.4f\n", P, best);
  printf("query_before %.4f\nquery_after %.4f\n", before, after);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("peak_rss_mb %.0f\n", ru.ru_maxrss / 1024.0);
  free(idx);
  free(grad);
  nnet_optim_free(opt);
  meta_pool_free(pool);
  meta_inner_free(in);
  meta_tasks_free(tasks);
  nnet_data_free(d);
  nnet_free(n);
  return 0;
}
