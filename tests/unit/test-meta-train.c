/* Meta-training behaviour on a synthetic family of CTC tasks: each task renders the
 * labels 1..3 with its own permutation of three feature prototypes, so no single model
 * fits all tasks, but a few gradient steps on a task's support set can find its
 * permutation. The MAML initialisation must adapt (k steps) to a lower query loss on new
 * episodes than the multitask initialisation trained on the same episodes (and the
 * first-order and implicit MAML ones too, by any margin). Also: the
 * summed meta-gradient of a meta-batch does not depend on the number of threads. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meta-testutil.h"
#include "testing.h"

#define D 4        /* 3 prototypes + blank */
#define K 4        /* blank + 3 labels */
#define PER_SET 4  /* support and query utterances per episode */

static const int perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};

/* One utterance of task `perm`: blank, l1 x2, blank, l2 x2, blank (7 frames). */
static int add_utt(NnetData *d, int perm, Rng *r) {
  int lab[2];
  lab[0] = 1 + rng_int(r, 3);
  do lab[1] = 1 + rng_int(r, 3); while (lab[1] == lab[0]);
  int proto[7] = {3, perms[perm][lab[0] - 1], perms[perm][lab[0] - 1], 3,
                  perms[perm][lab[1] - 1], perms[perm][lab[1] - 1], 3};
  Mat f = mat_alloc(7, D);
  for (int t = 0; t < 7; t++)
    for (int c = 0; c < D; c++) *mat_at(f, t, c) = (c == proto[t]) + 0.2f * (float)rng_gauss(r);
  return data_add(d, f, lab, 2);
}

/* num episodes of random tasks, each with fresh support and query utterances. */
static MetaTasks *make_episodes(NnetData *d, int num, Rng *r) {
  MetaTasks *ts = xcalloc(1, sizeof(*ts));
  ts->t = xcalloc((size_t)num, sizeof(MetaTask));
  for (int e = 0; e < num; e++) {
    MetaTask *t = &ts->t[ts->num++];
    int perm = rng_int(r, 6);
    t->id = t->task = "synthetic";
    t->ns = t->nq = PER_SET;
    t->s = xmalloc(sizeof(int) * PER_SET);
    t->q = xmalloc(sizeof(int) * PER_SET);
    for (int i = 0; i < PER_SET; i++) t->s[i] = add_utt(d, perm, r);
    for (int i = 0; i < PER_SET; i++) t->q[i] = add_utt(d, perm, r);
    t->frames = 2 * PER_SET * 7;
  }
  return ts;
}

/* Outer training: meta-batches of 4 random episodes, Adam. */
static void train(Nnet *n, MetaAlgo algo, int steps, float inner_lr, const NnetData *d,
                  const MetaTasks *tr, int iters) {
  int P = nnet_num_params(n);
  MetaInner *in = meta_inner_new(n, algo, steps, 0, inner_lr, META_LR_NONE);
  MetaPool *pool = meta_pool_new(n, in, 1, false);
  NnetOptimOpts oo;
  nnet_optim_opts_default(&oo);
  oo.type = "adam";
  oo.lr = 0.01f;
  NnetOptim *opt = nnet_optim_new(&oo, P);
  float *grad = xmalloc(sizeof(float) * (size_t)P);
  Rng r;
  rng_seed(&r, 11);
  int idx[4];
  for (int it = 0; it < iters; it++) {
    for (int i = 0; i < 4; i++) idx[i] = rng_int(&r, tr->num);
    Rng sr = rng_split(&r, (uint64_t)it);
    MetaBatchStats st;
    meta_batch_grad(pool, d, tr, idx, 4, &sr, nnet_params(n), grad, &st);
    CHECK(st.tasks_ok == 4);
    vec_scale(P, 0.25f, grad);
    nnet_optim_step(opt, nnet_params(n), grad, 0, NULL);
  }
  free(grad);
  nnet_optim_free(opt);
  meta_pool_free(pool);
  meta_inner_free(in);
}

static double eval_after(Nnet *n, int steps, float lr, const NnetData *d, const MetaTasks *te) {
  MetaInner *in = meta_inner_new(n, META_MAML, steps, 0, lr, META_LR_NONE);
  MetaPool *pool = meta_pool_new(n, in, 1, false);
  Rng r;
  rng_seed(&r, 3);
  double loss = meta_batch_eval(pool, d, te, &r, nnet_params(n));
  meta_pool_free(pool);
  meta_inner_free(in);
  return loss;
}

static const char *cfg = "affine dim=16;tanh;affine;log-softmax";

static void test_meta_beats_multitask(void) {
  NnetData *d = data_new(4096);
  Rng r;
  rng_seed(&r, 2024);
  MetaTasks *tr = make_episodes(d, 120, &r), *te = make_episodes(d, 40, &r);
  const int k = 2, iters = 300;
  const float alpha = 0.5f;
  Nnet *init = net_from_config(cfg, D, K, 5);
  double before = eval_after(init, k, alpha, d, te);
  const MetaAlgo algos[4] = {META_MULTITASK, META_MAML, META_FOMAML, META_IMAML};
  double after[4];
  for (int a = 0; a < 4; a++) {
    Nnet *n = nnet_copy(init);
    train(n, algos[a], k, alpha, d, tr, iters);
    after[a] = eval_after(n, k, alpha, d, te);
    printf("  %-9s initialisation: query loss after %d steps %.4f (untrained %.4f)\n",
           meta_algo_name(algos[a]), k, after[a], before);
    nnet_free(n);
  }
  CHECK(after[1] < 0.8 * after[0]);  /* MAML clearly better than multitask */
  CHECK(after[2] < after[0]);         /* and first-order MAML better too */
  CHECK(after[3] < after[0]);         /* and implicit MAML (lambda 2, 5 CG iterations) */
  meta_tasks_free(tr);
  meta_tasks_free(te);
  nnet_free(init);
  nnet_data_free(d);
}

/* The summed meta-gradient is bit-identical with 1 thread and with 3 task threads, for
 * every algorithm (and learned per-layer-step rates; imaml's Hessian on the whole support
 * set while its inner steps take 3 of the 4 utterances). */
static void test_threads_do_not_change_the_sum(void) {
  NnetData *d = data_new(256);
  Rng r;
  rng_seed(&r, 77);
  MetaTasks *ts = make_episodes(d, 7, &r);
  Nnet *n = net_from_config(cfg, D, K, 9);
  const MetaAlgo algos[5] = {META_MAML, META_FOMAML, META_REPTILE, META_MULTITASK, META_IMAML};
  for (int a = 0; a < 5; a++) {
    MetaLrMode mode = a < 2 ? META_LR_PER_LAYER_STEP : META_LR_NONE;
    MetaInner *in = meta_inner_new(n, algos[a], 2, 3, 0.3f, mode);
    int S = nnet_num_params(n) + meta_inner_num_learned(in);
    float *g1 = xmalloc(sizeof(float) * S), *g3 = xmalloc(sizeof(float) * S);
    int idx[6] = {6, 0, 3, 3, 1, 5};
    MetaBatchStats s1, s3;
    MetaPool *p1 = meta_pool_new(n, in, 1, false), *p3 = meta_pool_new(n, in, 3, true);
    meta_batch_grad(p1, d, ts, idx, 6, &r, nnet_params(n), g1, &s1);
    meta_batch_grad(p3, d, ts, idx, 6, &r, nnet_params(n), g3, &s3);
    CHECK(s1.tasks_ok == 6 && s3.tasks_ok == 6);
    CHECK(memcmp(g1, g3, sizeof(float) * S) == 0);
    CHECK(s1.query_after == s3.query_after);
    CHECK(vec_norm2(S, g1) > 0);
    meta_pool_free(p1);
    meta_pool_free(p3);
    meta_inner_free(in);
    free(g1);
    free(g3);
  }
  nnet_free(n);
  meta_tasks_free(ts);
  nnet_data_free(d);
}

int main(void) {
  RUN(test_threads_do_not_change_the_sum);
  RUN(test_meta_beats_multitask);
  return test_summary();
}
