/* Tests of implicit MAML (meta-train --algo=imaml): its meta-gradient against PyTorch's
 * (tests/reference/meta_imaml_*.txt, made by make_imaml_refs.py) with the same number of
 * conjugate-gradient iterations, and with many iterations against PyTorch's direct solve
 * of (I + H/lambda) x = g; against central differences of theta -> L_Q(phi(theta)) with
 * the inner loop run to the minimum of its proximal problem, where the implicit gradient
 * is exact; and fast-adapt's proximal term against steps composed by hand. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "meta/meta.h"
#include "meta-ref.h"
#include "meta-testutil.h"
#include "testing.h"

/* An imaml inner loop: k steps at per-layer `rates` (L values) of the layers adapt[l]. */
static MetaInner *imaml_inner(const Nnet *n, int k, const double *rates, const double *adapt,
                              float lambda, int cg) {
  MetaInner *in = meta_inner_new(n, META_IMAML, k, 0, 0.1f, META_LR_NONE);
  for (int l = 0; l < in->num_layers; l++) {
    in->rates[l] = (float)rates[l];
    in->adapt[l] = adapt[l] != 0;
  }
  in->prox_lambda = lambda;
  in->cg_steps = cg;
  return in;
}

/* Every case of a reference file: our meta-gradient with the case's CG iterations
 * against PyTorch's, and with 60 (more than the parameters) against the direct solve. */
static void check_imaml_file(const char *file) {
  RefFile *rf = ref_read(file);
  CHECK(rf != NULL);
  if (!rf) return;
  Nnet *n;
  NnetData *d;
  MetaTask t;
  ref_setup(rf, &n, &d, &t);
  int P = nnet_num_params(n), cases = 0;
  float *grad = xmalloc(sizeof(float) * (size_t)P);
  while (rf->pos < rf->num) {
    const char *name = ref_next(rf, "case")->str;
    int steps = (int)ref_next(rf, "steps")->v[0];
    Rec *rates = ref_next(rf, "rates"), *adapt = ref_next(rf, "adapt");
    float lambda = (float)ref_next(rf, "lambda")->v[0];
    int cg = (int)ref_next(rf, "cg")->v[0];
    double qa = ref_next(rf, "query_after")->v[0];
    Rec *gcg = ref_next(rf, "cg_grad"), *gdirect = ref_next(rf, "direct_grad");
    Rec *gfo = ref_next(rf, "fo_grad");
    MetaInner *in = imaml_inner(n, steps, rates->v, adapt->v, lambda, cg);
    MetaWork *w = meta_work_new(n, in);
    MetaTaskStats st;
    CHECK(meta_task_grad(n, in, w, d, &t, 1, nnet_params(n), grad, NULL, &st));
    double e_cg = rel_err(grad, gcg->v, P);
    CHECK_NEAR(st.query_after, qa, 1e-5 * fabs(qa));
    in->cg_steps = 60;
    CHECK(meta_task_grad(n, in, w, d, &t, 1, nnet_params(n), grad, NULL, &st));
    double e_direct = rel_err(grad, gdirect->v, P), e_fo = rel_err(grad, gfo->v, P);
    printf("  %s: %d CG iterations, rel. error %.2e; 60, against the direct solve %.2e "
           "(the first-order gradient is %.2e from it)\n", name, cg, e_cg, e_direct, e_fo);
    CHECK(e_cg < 1e-5);
    CHECK(e_direct < 1e-5);
    meta_work_free(w);
    meta_inner_free(in);
    cases++;
  }
  CHECK(cases >= 1);
  free(grad);
  ref_model_free(n, d, &t);
  ref_free(rf);
}

static void test_imaml_dnn_vs_pytorch(void) { check_imaml_file("meta_imaml_dnn.txt"); }
/* The LHUC scales adapted alone: every other layer's gradient goes through phi. */
static void test_imaml_lhuc_vs_pytorch(void) { check_imaml_file("meta_imaml_lhuc.txt"); }

/* With 300 inner steps phi is the minimum of the proximal problem (to float precision),
 * where the implicit gradient is the derivative of theta -> L_Q(phi(theta)): checked by
 * central differences along the gradient and a random direction, all layers adapting and
 * the last one alone (the first layer's gradient then only through phi). */
static void test_imaml_finite_difference(void) {
  Nnet *n;
  NnetData *d;
  MetaTask t;
  ref_model("meta_imaml_dnn.txt", &n, &d, &t);
  int P = nnet_num_params(n);
  float *theta = nnet_params(n), *g = xmalloc(sizeof(float) * P), *fo = xmalloc(sizeof(float) * P);
  float *x = xmalloc(sizeof(float) * P), *u = xmalloc(sizeof(float) * P);
  const double rates[4] = {0.3, 0, 0.3, 0}, all[4] = {1, 0, 1, 0}, last[4] = {0, 0, 1, 0};
  for (int c = 0; c < 2; c++) {
    MetaInner *in = imaml_inner(n, 300, rates, c ? last : all, 1.0f, 60);
    MetaWork *w = meta_work_new(n, in);
    MetaTaskStats st;
    CHECK(meta_task_grad(n, in, w, d, &t, 3, theta, g, NULL, &st));
    in->algo = META_FOMAML; /* the same inner loop; the query gradient at phi */
    CHECK(meta_task_grad(n, in, w, d, &t, 3, theta, fo, NULL, &st));
    in->algo = META_IMAML;
    Rng r;
    rng_seed(&r, 5);
    for (int dir = 0; dir < 2; dir++) {
      for (int p = 0; p < P; p++) u[p] = dir ? (float)rng_gauss(&r) : g[p];
      double norm = vec_norm2(P, u), dot = 0, dot_fo = 0;
      for (int p = 0; p < P; p++) {
        u[p] /= (float)norm;
        dot += (double)u[p] * g[p];
        dot_fo += (double)u[p] * fo[p];
      }
      const float eps = 1e-2f;
      double f[2];
      for (int s = 0; s < 2; s++) {
        for (int p = 0; p < P; p++) x[p] = theta[p] + (s ? -eps : eps) * u[p];
        f[s] = meta_task_eval(n, in, w, d, &t, 3, x, &st);
      }
      double fd = (f[0] - f[1]) / (2 * eps);
      printf("  %s layers, direction %d: <g, u> %.6f, central difference %.6f (first order %.6f)\n",
             c ? "last" : "all", dir, dot, fd, dot_fo);
      CHECK_NEAR(fd, dot, 2e-4 + 2e-3 * fabs(dot));
    }
    meta_work_free(w);
    meta_inner_free(in);
  }
  free(g), free(fo), free(x), free(u);
  ref_model_free(n, d, &t);
}

/* fast-adapt --prox-lambda: three steps phi -= r (grad L(phi) + lambda (phi - phi_0)) on
 * all utterances, composed from nnet_loss_grad; all layers, and the last alone (its
 * frozen layers computed once, the proximal term on the network above them). */
static void test_fast_adapt_prox_by_hand(void) {
  Nnet *n;
  NnetData *d;
  MetaTask t;
  ref_model("meta_imaml_dnn.txt", &n, &d, &t);
  int P = nnet_num_params(n), k = 3;
  const float r = 0.3f, lambda = 1.5f;
  float *phi = xmalloc(sizeof(float) * P), *g = xmalloc(sizeof(float) * P);
  NnetBatch *b = nnet_batch_new();
  NnetWork *nw = nnet_work_new(n);
  nnet_batch_fill(b, n, d->n, d->feats, d->labels, NULL);
  NnetStats st;
  for (int c = 0; c < 2; c++) {
    int lo = c ? nnet_layer_info(n, 2).offset : 0;
    memcpy(phi, nnet_params(n), sizeof(float) * P);
    for (int j = 0; j < k; j++) {
      nnet_loss_grad(n, phi, nw, b, g, &st);
      for (int p = lo; p < P; p++) phi[p] -= r * (g[p] + lambda * (phi[p] - nnet_params(n)[p]));
    }
    MetaAdaptOpts o = meta_adapt_opts_default();
    o.steps = k;
    o.lr = r;
    o.batch = 0;
    o.prox_lambda = lambda;
    o.adapt_layers = c ? "last" : "all";
    Nnet *a = nnet_copy(n), *a0 = nnet_copy(n);
    CHECK(meta_adapt(&o, a, d) == k);
    o.prox_lambda = 0;
    meta_adapt(&o, a0, d);
    double e = rel_err_f(nnet_params(a), phi, P), e0 = rel_err_f(nnet_params(a0), phi, P);
    printf("  %s layers: rel. error %.2e against the hand-composed steps (%.2e without the "
           "proximal term)\n", c ? "last" : "all", e, e0);
    CHECK(e < 1e-5);
    CHECK(e0 > 1e-3);
    nnet_free(a);
    nnet_free(a0);
  }
  nnet_batch_free(b);
  nnet_work_free(nw);
  free(phi), free(g);
  ref_model_free(n, d, &t);
}

int main(void) {
  RUN(test_imaml_dnn_vs_pytorch);
  RUN(test_imaml_lhuc_vs_pytorch);
  RUN(test_imaml_finite_difference);
  RUN(test_fast_adapt_prox_by_hand);
  return test_summary();
}
