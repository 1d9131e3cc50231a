/* Loss, gradient and Hessian-vector product of tiny networks against PyTorch (float64
 * autograd, CTC by its log-space recursion): files made by
 * tests/reference/make_nnet_refs.py. Gradients must match to 1e-4 and H v to 1e-3,
 * relative to the largest element. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnet/nnet.h"
#include "nnet-ref.h"
#include "testing.h"

/* max |c - ref| / max |ref| */
static double rel_err(const float *c, const Arr *ref) {
  double m = 0, d = 0;
  for (int i = 0; i < ref->n; i++) {
    m = fmax(m, fabs(ref->v[i]));
    d = fmax(d, fabs(c[i] - ref->v[i]));
  }
  return d / m;
}

static void check_network(const char *name) {
  char path[512];
  const char *top = getenv("TOPDIR") ? getenv("TOPDIR") : ".";
  snprintf(path, sizeof(path), "tests/reference/nnet-%s.ref", name);
  Ref r;
  ref_load(path, &r);
  const Arr *utts = get(&r, "utts"), *loss = get(&r, "loss"), *v = get(&r, "v"), *grad = get(&r, "grad"),
            *hv = get(&r, "hv");
  CHECK(utts && loss && v && grad && hv);
  if (!utts || !loss || !v || !grad || !hv) return;
  snprintf(path, sizeof(path), "%s/tests/reference/nnet-%s.mdl", top, name);
  Nnet *n = nnet_read(path);
  int U = (int)utts->v[0], P = nnet_num_params(n), D = nnet_input_dim(n);
  CHECK(P == grad->n && P == hv->n && P == v->n);
  Mat feats[16];
  IntVec labels[16];
  for (int i = 0; i < U; i++) {
    char key[32];
    snprintf(key, sizeof(key), "feats%d", i);
    const Arr *f = get(&r, key);
    snprintf(key, sizeof(key), "labels%d", i);
    const Arr *l = get(&r, key);
    feats[i] = mat_alloc((int)f->v[0], D);
    for (int k = 0; k < feats[i].rows * D; k++) feats[i].data[k] = (float)f->v[k + 1];
    labels[i] = (IntVec){malloc(sizeof(int) * (size_t)(l->n + 1)), l->n};
    for (int k = 0; k < l->n; k++) labels[i].data[k] = (int)l->v[k];
  }
  NnetBatch *b = nnet_batch_new();
  CHECK(nnet_batch_fill(b, n, U, feats, labels, NULL) == U);
  NnetWork *w = nnet_work_new(n);
  float *g = malloc(sizeof(float) * P), *h = malloc(sizeof(float) * P), *vf = malloc(sizeof(float) * P);
  for (int i = 0; i < P; i++) vf[i] = (float)v->v[i];
  double L = nnet_hvp(n, nnet_params(n), w, b, vf, h, g, NULL);
  double eg = rel_err(g, grad), eh = rel_err(h, hv);
  fprintf(stderr, "  %s: loss %.9g vs %.9g, gradient rel. error %.2e, H v rel. error %.2e\n", name, L, loss->v[0], eg,
          eh);
  CHECK_NEAR(L, loss->v[0], 1e-5 * fabs(loss->v[0]));
  CHECK(eg < 1e-4);
  CHECK(eh < 1e-3);
  for (int i = 0; i < U; i++) mat_release(&feats[i]), free(labels[i].data);
  ref_free(&r);
  free(g); free(h); free(vf);
  nnet_work_free(w); nnet_batch_free(b); nnet_free(n);
}

static void test_dnn_vs_pytorch(void) { check_network("dnn"); }
static void test_lhuc_vs_pytorch(void) { check_network("lhuc"); }
static void test_adapter_vs_pytorch(void) { check_network("adapter"); }

int main(void) {
  RUN(test_dnn_vs_pytorch);
  RUN(test_lhuc_vs_pytorch);
  RUN(test_adapter_vs_pytorch);
  return test_summary();
}
