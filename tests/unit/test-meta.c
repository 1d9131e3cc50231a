/* Tests of src/meta: episodes parsing; MAML meta-gradients (and learned-rate gradients)
 * against PyTorch's second-order autograd (tests/reference/meta_*.txt, made by
 * make_meta_refs.py) for a DNN, an LSTM and a DNN with LHUC scales adapted alone; FOMAML and Reptile against updates composed by hand from
 * nnet_loss_grad; inner mini-batches against finite differences; thread independence;
 * and a behaviour test: on a family of synthetic CTC tasks, a MAML initialisation adapts
 * to a lower query loss than a multitask one. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "meta/meta.h"
#include "meta-ref.h"
#include "meta-testutil.h"
#include "testing.h"

/* Multitask with learned rates: theta's gradient is multitask's (the pooled gradient,
 * `pooled`), the rates' is FOMAML's (PyTorch's first-order rate gradient, fo). */
static void check_multitask_rates(const Nnet *n, const NnetData *d, const MetaTask *t, int steps,
                                  MetaLrMode mode, const Rec *rates, const Rec *adapt, const Rec *fo,
                                  const float *pooled) {
  int P = nnet_num_params(n);
  float *grad = xmalloc(sizeof(float) * (size_t)P), *rg = xmalloc(sizeof(float) * (size_t)rates->n);
  MetaInner *in = meta_inner_new(n, META_MULTITASK, steps, 0, 0.1f, mode);
  CHECK(meta_inner_num_learned(in) == rates->n);
  for (int i = 0; i < rates->n; i++) in->rates[i] = (float)rates->v[i];
  for (int l = 0; l < in->num_layers; l++) in->adapt[l] = adapt->v[l] != 0;
  MetaWork *w = meta_work_new(n, in);
  MetaTaskStats st;
  CHECK(meta_task_grad(n, in, w, d, t, 1, nnet_params_const(n), grad, rg, &st));
  double eg = rel_err_f(grad, pooled, P), er = rel_err(rg, fo->v, rates->n);
  printf("  multitask with learned rates: gradient rel. error %.2e against the pooled one, rate "
         "gradient %.2e against the first-order reference\n", eg, er);
  CHECK(eg < 1e-5);
  CHECK(er < 1e-3);
  meta_work_free(w);
  meta_inner_free(in);
  free(grad), free(rg);
}

/* Every case of a reference file: MAML (and FOMAML) meta-gradients and rate gradients;
 * a case with weights is MAML with the multi-step loss (no first-order variant). Cases
 * that learn rates also check multitask learning them (check_multitask_rates). */
static void check_reference_file(const char *file) {
  RefFile *rf = ref_read(file);
  CHECK(rf != NULL);
  if (!rf) return;
  Nnet *n;
  NnetData *d;
  MetaTask t;
  ref_setup(rf, &n, &d, &t);
  int P = nnet_num_params(n), cases = 0;
  float *grad = xmalloc(sizeof(float) * (size_t)P), *pooled = xmalloc(sizeof(float) * (size_t)P);
  { /* multitask's gradient: the pooled support + query loss (d holds the support, then the query) */
    NnetBatch *b = nnet_batch_new();
    NnetWork *nw = nnet_work_new(n);
    NnetStats ns;
    nnet_batch_fill(b, n, d->n, d->feats, d->labels, NULL);
    nnet_loss_grad(n, nnet_params(n), nw, b, pooled, &ns);
    nnet_batch_free(b);
    nnet_work_free(nw);
  }
  while (rf->pos < rf->num) {
    const char *name = ref_next(rf, "case")->str;
    int steps = (int)ref_next(rf, "steps")->v[0];
    MetaLrMode mode;
    CHECK(meta_lr_mode_parse(ref_next(rf, "mode")->str, &mode));
    Rec *rates = ref_next(rf, "rates"), *adapt = ref_next(rf, "adapt"), *weights = ref_next_if(rf, "weights");
    float *rg = xmalloc(sizeof(float) * (size_t)rates->n);
    double qa = ref_next(rf, "query_after")->v[0];
    Rec *g2 = ref_next(rf, "grad"), *r2 = ref_next(rf, "rate_grad");
    Rec *g1 = ref_next(rf, "fo_grad"), *r1 = ref_next(rf, "fo_rate_grad");
    for (int fo = 0; fo < (weights ? 1 : 2); fo++) {
      MetaInner *in = meta_inner_new(n, fo ? META_FOMAML : META_MAML, steps, 0, 0.1f, mode);
      CHECK(meta_inner_num_rates(in) == rates->n);
      for (int i = 0; i < rates->n; i++) in->rates[i] = (float)rates->v[i];
      for (int l = 0; l < in->num_layers; l++) in->adapt[l] = adapt->v[l] != 0;
      if (weights) {
        CHECK(weights->n == steps);
        in->step_weights = xmalloc(sizeof(float) * (size_t)steps);
        for (int j = 0; j < steps; j++) in->step_weights[j] = (float)weights->v[j];
      }
      MetaWork *w = meta_work_new(n, in);
      MetaTaskStats st;
      CHECK(meta_task_grad(n, in, w, d, &t, 1, nnet_params(n), grad, rg, &st));
      double eg = rel_err(grad, (fo ? g1 : g2)->v, P);
      printf("  %s %s: meta-gradient rel. error %.2e", name,
             fo ? "first-order" : weights ? "MAML, multi-step loss" : "MAML", eg);
      CHECK(eg < 1e-3);
      CHECK_NEAR(st.query_after, qa, 1e-4 * fabs(qa));
      if (mode != META_LR_NONE) {
        double er = rel_err(rg, (fo ? r1 : r2)->v, rates->n);
        printf(", rate gradient rel. error %.2e", er);
        CHECK(er < 1e-3);
      }
      printf("\n");
      meta_work_free(w);
      meta_inner_free(in);
    }
    if (mode != META_LR_NONE && !weights) check_multitask_rates(n, d, &t, steps, mode, rates, adapt, r1, pooled);
    free(rg);
    cases++;
  }
  CHECK(cases >= 5);
  free(grad), free(pooled);
  ref_model_free(n, d, &t);
  ref_free(rf);
}

static void test_maml_dnn_vs_pytorch(void) { check_reference_file("meta_dnn.txt"); }
static void test_maml_lstm_vs_pytorch(void) { check_reference_file("meta_lstm.txt"); }
/* A DNN with LHUC scales, the inner loop adapting only them (and all layers). */
static void test_maml_lhuc_vs_pytorch(void) { check_reference_file("meta_lhuc.txt"); }

/* MAML++'s multi-step loss weights (meta_msl_weights) against its own code's values. */
static void test_msl_weights_vs_reference(void) {
  RefFile *rf = ref_read("meta_msl_weights.txt");
  CHECK(rf != NULL);
  if (!rf) return;
  for (int i = 0; i < rf->num; i++) {
    int k, it, anneal;
    CHECK(sscanf(rf->r[i].name, "weights_%d_%d_%d", &k, &it, &anneal) == 3);
    float w[16];
    meta_msl_weights(k, it, anneal, w);
    double sum = 0;
    for (int j = 0; j < k; j++) sum += w[j];
    printf("  k=%d iteration %d of %d: rel. error %.2e, sum %.7f\n", k, it, anneal,
           rel_err(w, rf->r[i].v, k), sum);
    CHECK(rel_err(w, rf->r[i].v, k) < 1e-6);
    CHECK_NEAR(sum, 1.0, 1e-6);
  }
  CHECK(rf->num >= 8);
  ref_free(rf);
}

/* FOMAML, Reptile and multitask against updates composed from nnet_loss_grad, with
 * different rates per layer and one layer frozen. */
static void test_fomaml_reptile_by_hand(void) {
  Nnet *n;
  NnetData *d;
  MetaTask t;
  ref_model("meta_dnn.txt", &n, &d, &t);
  int P = nnet_num_params(n), k = 3;
  float *theta = nnet_params(n), *g = xmalloc(sizeof(float) * P), *cur = xmalloc(sizeof(float) * P);
  float *want = xmalloc(sizeof(float) * P), *got = xmalloc(sizeof(float) * P);
  NnetBatch *sb = nnet_batch_new(), *qb = nnet_batch_new(), *ab = nnet_batch_new();
  NnetWork *nw = nnet_work_new(n);
  Mat f[8];
  IntVec l[8];
  for (int i = 0; i < d->n; i++) f[i] = d->feats[i], l[i] = d->labels[i];
  nnet_batch_fill(sb, n, t.ns, f, l, NULL);
  nnet_batch_fill(qb, n, t.nq, f + t.ns, l + t.ns, NULL);
  nnet_batch_fill(ab, n, t.ns + t.nq, f, l, NULL);
  NnetStats st;
  /* By hand: layer 0 at rate 0.3, layer 2 frozen. */
  memcpy(cur, theta, sizeof(float) * P);
  NnetLayerInfo l0 = nnet_layer_info(n, 0);
  for (int j = 0; j < k; j++) {
    nnet_loss_grad(n, cur, nw, sb, g, &st);
    for (int p = l0.offset; p < l0.offset + l0.count; p++) cur[p] -= 0.3f * g[p];
  }
  double lq = nnet_loss_grad(n, cur, nw, qb, want, &st);
  const MetaAlgo algos[3] = {META_FOMAML, META_REPTILE, META_MULTITASK};
  for (int a = 0; a < 3; a++) {
    MetaInner *in = meta_inner_new(n, algos[a], k, 0, 0.3f, META_LR_NONE);
    meta_inner_set_adapt(in, n, "0");
    MetaWork *w = meta_work_new(n, in);
    MetaTaskStats ts;
    CHECK(meta_task_grad(n, in, w, d, &t, 7, theta, got, NULL, &ts));
    if (algos[a] == META_REPTILE)
      for (int p = 0; p < P; p++) want[p] = theta[p] - cur[p];
    if (algos[a] == META_MULTITASK) nnet_loss_grad(n, theta, nw, ab, want, &st);
    double e = rel_err_f(got, want, P);
    printf("  %s: rel. error %.2e against the hand-composed update\n", meta_algo_name(algos[a]), e);
    CHECK(e < 1e-6);
    if (algos[a] == META_FOMAML) CHECK_NEAR(ts.query_after, lq, 1e-6);
    meta_work_free(w);
    meta_inner_free(in);
  }
  nnet_batch_free(sb);
  nnet_batch_free(qb);
  nnet_batch_free(ab);
  nnet_work_free(nw);
  free(g), free(cur), free(want), free(got);
  ref_model_free(n, d, &t);
}

/* Reptile with the query set in its inner loop (--inner-set=support+query) against steps
 * composed by hand: in batches of the support set's size the steps take the support set,
 * the query set, the support set again; with --inner-batch=0 both sets at every step.
 * Validation still adapts on the support set alone. */
static void test_reptile_with_query_by_hand(void) {
  Nnet *n;
  NnetData *d;
  MetaTask t;
  ref_model("meta_dnn.txt", &n, &d, &t);
  int P = nnet_num_params(n);
  float *theta = nnet_params(n), *g = xmalloc(sizeof(float) * P), *cur = xmalloc(sizeof(float) * P);
  float *got = xmalloc(sizeof(float) * P);
  NnetBatch *b[3] = {nnet_batch_new(), nnet_batch_new(), nnet_batch_new()}; /* S, Q, S+Q */
  NnetWork *nw = nnet_work_new(n);
  Mat f[8];
  IntVec l[8];
  for (int i = 0; i < d->n; i++) f[i] = d->feats[i], l[i] = d->labels[i];
  nnet_batch_fill(b[0], n, t.ns, f, l, NULL);
  nnet_batch_fill(b[1], n, t.nq, f + t.ns, l + t.ns, NULL);
  nnet_batch_fill(b[2], n, t.ns + t.nq, f, l, NULL);
  CHECK(t.ns == t.nq); /* so that a batch of the support set's size is one set */
  const int batches[2] = {t.ns, 0}, steps[2] = {3, 2}, sets[2][3] = {{0, 1, 0}, {2, 2, 2}};
  NnetStats st;
  for (int c = 0; c < 2; c++) {
    memcpy(cur, theta, sizeof(float) * P);
    for (int j = 0; j < steps[c]; j++) {
      nnet_loss_grad(n, cur, nw, b[sets[c][j]], g, &st);
      vec_axpy(P, -0.3f, g, cur);
    }
    MetaInner *in = meta_inner_new(n, META_REPTILE, steps[c], batches[c], 0.3f, META_LR_NONE);
    MetaWork *w = meta_work_new(n, in);
    MetaTaskStats ts;
    in->with_query = true;
    CHECK(meta_task_grad(n, in, w, d, &t, 7, theta, got, NULL, &ts));
    for (int p = 0; p < P; p++) cur[p] = theta[p] - cur[p];
    double e = rel_err_f(got, cur, P);
    printf("  --inner-batch=%d, %d steps: rel. error %.2e against the hand-composed update\n", batches[c],
           steps[c], e);
    CHECK(e < 1e-6);
    CHECK(ts.query_after == ts.query_before);
    double with_query = meta_task_eval(n, in, w, d, &t, 7, theta, &ts);
    in->with_query = false;
    CHECK(meta_task_eval(n, in, w, d, &t, 7, theta, &ts) == with_query);
    meta_work_free(w);
    meta_inner_free(in);
  }
  for (int i = 0; i < 3; i++) nnet_batch_free(b[i]);
  nnet_work_free(nw);
  free(g), free(cur), free(got);
  ref_model_free(n, d, &t);
}

/* Reptile's learned rates (meta-train --algo=reptile --learn-inner-lr): the rate gradient
 * of the mean loss of each inner step's batch before its step. With two steps, the support
 * set then the query set, that loss is the query loss after one step on the support set,
 * whose derivative in the rates is exact: checked, one rate per layer, by central
 * differences through meta_task_eval's one-step adaptation. */
static void test_reptile_rates_finite_difference(void) {
  Nnet *n;
  NnetData *d;
  MetaTask t;
  ref_model("meta_dnn.txt", &n, &d, &t);
  float *theta = nnet_params(n), *grad = xmalloc(sizeof(float) * nnet_num_params(n));
  MetaTaskStats st;
  MetaInner *in = meta_inner_new(n, META_REPTILE, 2, t.ns, 0.3f, META_LR_PER_LAYER);
  MetaInner *one = meta_inner_new(n, META_REPTILE, 1, 0, 0.3f, META_LR_PER_LAYER);
  in->with_query = true;
  int R = meta_inner_num_rates(in);
  for (int i = 0; i < R; i++) in->rates[i] = one->rates[i] = 0.2f + 0.1f * (float)i;
  float *rg = xmalloc(sizeof(float) * (size_t)R);
  MetaWork *w = meta_work_new(n, in);
  CHECK(meta_task_grad(n, in, w, d, &t, 7, theta, grad, rg, &st));
  for (int i = 0; i < R; i++) {
    const float eps = 1e-2f, r = one->rates[i];
    double f[2];
    for (int s = 0; s < 2; s++) {
      one->rates[i] = r + (s ? -eps : eps);
      f[s] = meta_task_eval(n, one, w, d, &t, 7, theta, &st);
    }
    one->rates[i] = r;
    double fd = (f[0] - f[1]) / (2 * eps);
    printf("  rate of layer %d: gradient %.6f, central difference %.6f\n", i, rg[i], fd);
    CHECK_NEAR(fd, rg[i], 1e-3 + 1e-2 * fabs(fd));
  }
  meta_work_free(w);
  meta_inner_free(in);
  meta_inner_free(one);
  free(rg), free(grad);
  ref_model_free(n, d, &t);
}

/* The same with three steps on the support set, one rate per parameter: against the
 * first-order formula composed by hand, -(g_1 g_0 + g_2 (g_0 + g_1)) / 2; the update is
 * Reptile's. */
static void test_reptile_rates_by_hand(void) {
  Nnet *n;
  NnetData *d;
  MetaTask t;
  ref_model("meta_dnn.txt", &n, &d, &t);
  int P = nnet_num_params(n);
  float *theta = nnet_params(n), *grad = xmalloc(sizeof(float) * P);
  MetaTaskStats st;
  MetaInner *in = meta_inner_new(n, META_REPTILE, 3, 0, 0.1f, META_LR_PER_PARAM);
  int R = meta_inner_num_rates(in);
  for (int i = 0; i < R; i++) in->rates[i] = 0.05f + 0.1f * (float)(i % 3);
  float *rg = xmalloc(sizeof(float) * (size_t)R);
  float *g = xmalloc(sizeof(float) * P * 3), *cur = xmalloc(sizeof(float) * P), *want = xmalloc(sizeof(float) * P);
  NnetBatch *sb = nnet_batch_new();
  NnetWork *nw = nnet_work_new(n);
  nnet_batch_fill(sb, n, t.ns, d->feats, d->labels, NULL);
  NnetStats ns;
  memcpy(cur, theta, sizeof(float) * P);
  for (int j = 0; j < 3; j++) {
    nnet_loss_grad(n, cur, nw, sb, g + (size_t)j * P, &ns);
    for (int p = 0; p < P; p++) cur[p] -= in->rates[p] * g[(size_t)j * P + p];
  }
  for (int p = 0; p < P; p++) want[p] = -(g[P + p] * g[p] + g[2 * P + p] * (g[p] + g[P + p])) / 2;
  MetaWork *w = meta_work_new(n, in);
  CHECK(meta_task_grad(n, in, w, d, &t, 7, theta, grad, rg, &st));
  double e = rel_err_f(rg, want, P);
  for (int p = 0; p < P; p++) cur[p] = theta[p] - cur[p];
  double eg = rel_err_f(grad, cur, P);
  printf("  3 steps, a rate per parameter: rate gradient rel. error %.2e, update %.2e against "
         "the hand-composed ones\n", e, eg);
  CHECK(R == P);
  CHECK(e < 1e-5);
  CHECK(eg < 1e-6);
  meta_work_free(w);
  meta_inner_free(in);
  nnet_batch_free(sb);
  nnet_work_free(nw);
  free(rg), free(g), free(cur), free(want), free(grad);
  ref_model_free(n, d, &t);
}

/* With --inner-batch=1 each inner step sees one support utterance (a seeded order); the
 * MAML meta-gradient must then be the derivative of theta -> L_Q(theta_k) for those
 * same subsets: checked by central differences along two directions. */
static void test_inner_batch_finite_difference(void) {
  Nnet *n;
  NnetData *d;
  MetaTask t;
  ref_model("meta_dnn.txt", &n, &d, &t);
  int P = nnet_num_params(n);
  MetaInner *in = meta_inner_new(n, META_MAML, 3, 1, 0.5f, META_LR_NONE);
  MetaInner *all = meta_inner_new(n, META_MAML, 3, 0, 0.5f, META_LR_NONE);
  MetaWork *w = meta_work_new(n, in);
  float *theta = nnet_params(n), *g = xmalloc(sizeof(float) * P), *g_all = xmalloc(sizeof(float) * P);
  float *x = xmalloc(sizeof(float) * P), *u = xmalloc(sizeof(float) * P);
  MetaTaskStats st;
  CHECK(meta_task_grad(n, in, w, d, &t, 99, theta, g, NULL, &st));
  CHECK(meta_task_grad(n, all, w, d, &t, 99, theta, g_all, NULL, &st));
  CHECK(rel_err_f(g, g_all, P) > 1e-2); /* the subsets matter */
  Rng r;
  rng_seed(&r, 5);
  for (int dir = 0; dir < 2; dir++) {
    double norm = 0, dot = 0;
    for (int p = 0; p < P; p++) u[p] = dir ? (float)rng_gauss(&r) : g[p];
    norm = vec_norm2(P, u);
    for (int p = 0; p < P; p++) u[p] /= (float)norm, dot += (double)u[p] * g[p];
    const float eps = 1e-2f;
    double f[2];
    for (int s = 0; s < 2; s++) {
      for (int p = 0; p < P; p++) x[p] = theta[p] + (s ? -eps : eps) * u[p];
      f[s] = meta_task_eval(n, in, w, d, &t, 99, x, &st);
    }
    double fd = (f[0] - f[1]) / (2 * eps);
    printf("  direction %d: <g, u> %.6f, central difference %.6f\n", dir, dot, fd);
    CHECK_NEAR(fd, dot, 2e-3 + 1e-2 * fabs(dot));
  }
  free(g), free(g_all), free(x), free(u);
  meta_work_free(w);
  meta_inner_free(in);
  meta_inner_free(all);
  ref_model_free(n, d, &t);
}

/* fast-adapt with the frozen layers computed once equals adapting the whole network
 * with those layers frozen (LSTM below, affine adapted), and leaves the LSTM unchanged. */
static void test_fast_adapt_frozen_cache(void) {
  RefFile *rf = ref_read("meta_lstm.txt");
  if (!rf) exit(1);
  Nnet *n;
  NnetData *d;
  MetaTask t;
  ref_setup(rf, &n, &d, &t);
  ref_free(rf);
  MetaAdaptOpts o = meta_adapt_opts_default();
  o.steps = 5;
  o.lr = 0.5f;
  o.batch = 3;
  o.adapt_layers = "last";
  o.heldout_fraction = 0.25f;
  Nnet *a = nnet_copy(n), *b = nnet_copy(n);
  o.cache_frozen = true;
  int sa = meta_adapt(&o, a, d);
  o.cache_frozen = false;
  int sb = meta_adapt(&o, b, d);
  CHECK(sa == sb);
  int P = nnet_num_params(n);
  NnetLayerInfo l0 = nnet_layer_info(n, 0);
  double e = rel_err_f(nnet_params(a), nnet_params(b), P);
  printf("  cached vs uncached frozen layers: rel. error %.2e\n", e);
  CHECK(e < 1e-5);
  CHECK(memcmp(nnet_params(a), nnet_params(n), sizeof(float) * l0.count) == 0);
  CHECK(rel_err_f(nnet_params(a), nnet_params(n), P) > 1e-3);
  nnet_free(a);
  nnet_free(b);
  ref_model_free(n, d, &t);
}

/* fast-adapt's step on 3 threads (shares of the utterances) equals one gradient step
 * composed from nnet_loss_grad over all utterances. */
static void test_fast_adapt_threads_by_hand(void) {
  RefFile *rf = ref_read("meta_lstm.txt");
  if (!rf) exit(1);
  Nnet *n;
  NnetData *d;
  MetaTask t;
  ref_setup(rf, &n, &d, &t);
  ref_free(rf);
  int P = nnet_num_params(n);
  float *g = xmalloc(sizeof(float) * P), *want = xmalloc(sizeof(float) * P);
  NnetBatch *b = nnet_batch_new();
  NnetWork *nw = nnet_work_new(n);
  nnet_batch_fill(b, n, d->n, d->feats, d->labels, NULL);
  NnetStats st;
  nnet_loss_grad(n, nnet_params(n), nw, b, g, &st);
  for (int p = 0; p < P; p++) want[p] = nnet_params(n)[p] - 0.3f * g[p];
  for (int th = 1; th <= 3; th += 2) {
    MetaAdaptOpts o = meta_adapt_opts_default();
    o.steps = 1;
    o.lr = 0.3f;
    o.num_threads = th;
    Nnet *a = nnet_copy(n);
    CHECK(meta_adapt(&o, a, d) == 1);
    double e = rel_err_f(nnet_params(a), want, P);
    printf("  %d threads: rel. error %.2e against the hand-composed step\n", th, e);
    CHECK(e < 1e-5);
    nnet_free(a);
  }
  nnet_batch_free(b);
  nnet_work_free(nw);
  free(g), free(want);
  ref_model_free(n, d, &t);
}

int main(void) {
  RUN(test_maml_dnn_vs_pytorch);
  RUN(test_maml_lstm_vs_pytorch);
  RUN(test_maml_lhuc_vs_pytorch);
  RUN(test_msl_weights_vs_reference);
  RUN(test_fomaml_reptile_by_hand);
  RUN(test_reptile_with_query_by_hand);
  RUN(test_reptile_rates_finite_difference);
  RUN(test_reptile_rates_by_hand);
  RUN(test_inner_batch_finite_difference);
  RUN(test_fast_adapt_frozen_cache);
  RUN(test_fast_adapt_threads_by_hand);
  return test_summary();
}
