/* Whole networks: gradients of the CTC loss against finite differences, exact H v
 * against finite differences of gradients and its symmetry, loss normalisation,
 * batches (padding, skipped utterances), work reuse, the matrix team's row split, model
 * files and extras. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/rng.h"
#include "matrix/team.h"
#include "nnet/nnet.h"
#include "testing.h"

static const char *tiny_config =
    "# a tiny network using every feed-forward kind\n"
    "input-dim=3\n"
    "splice context=-1:1\n"
    "affine dim=6\n"
    "tanh\n"
    "layer-norm\n"
    "subsample factor=2\n"
    "affine dim=5   # comment after a layer\n"
    "sigmoid\n"
    "affine dim=5\n"
    "relu\n"
    "affine\n"
    "log-softmax\n";

enum { NU = 3 };
static const int lens[NU] = {9, 6, 4};
static int ulabs[NU][4] = {{1, 2, 3}, {2, 2}, {3}};
static const int nlabs[NU] = {3, 2, 1};

typedef struct {
  Mat feats[NU];
  IntVec labels[NU];
} Data;

static Data make_data(uint64_t seed) {
  Data d;
  Rng r;
  rng_seed(&r, seed);
  for (int i = 0; i < NU; i++) {
    d.feats[i] = mat_alloc(lens[i], 3);
    for (int k = 0; k < lens[i] * 3; k++) d.feats[i].data[k] = (float)rng_gauss(&r);
    d.labels[i] = (IntVec){ulabs[i], nlabs[i]};
  }
  return d;
}

static void free_data(Data *d) {
  for (int i = 0; i < NU; i++) mat_release(&d->feats[i]);
}

static Nnet *tiny(uint64_t seed) { return nnet_new_from_string(tiny_config, "tiny", 0, 4, seed); }

static void test_config_shape(void) {
  Nnet *n = tiny(1);
  CHECK(nnet_input_dim(n) == 3 && nnet_output_dim(n) == 4);
  CHECK(nnet_num_layers(n) == 11);
  CHECK(nnet_frame_subsampling(n) == 2);
  CHECK(nnet_output_frames(n, 9) == 5);
  int expect = 9 * 6 + 6 + 12 + 12 * 5 + 5 + 5 * 5 + 5 + 5 * 4 + 4;
  CHECK(nnet_num_params(n) == expect);
  NnetLayerInfo li = nnet_layer_info(n, 9);
  CHECK(strcmp(li.kind, "affine") == 0 && li.count == 24 && li.offset == expect - 24);
  CHECK(strcmp(nnet_layer_info(n, 5).config, "dim=5") == 0);
  /* same seed, same parameters; other seed, others */
  Nnet *m = tiny(1), *o = tiny(2);
  CHECK(memcmp(nnet_params(n), nnet_params(m), sizeof(float) * expect) == 0);
  CHECK(memcmp(nnet_params(n), nnet_params(o), sizeof(float) * expect) != 0);
  CHECK(nnet_same_arch(n, o));
  nnet_free(n); nnet_free(m); nnet_free(o);
}

/* Loss at params p (sum normalisation for FD accuracy). */
static double loss_at(const Nnet *n, const float *p, NnetWork *w, const NnetBatch *b) {
  return nnet_loss_grad(n, p, w, b, NULL, NULL);
}

static void test_gradient_fd(void) {
  Nnet *n = tiny(3);
  Data d = make_data(4);
  NnetBatch *b = nnet_batch_new();
  nnet_batch_set_normalize(b, NNET_NORM_SUM);
  CHECK(nnet_batch_fill(b, n, NU, d.feats, d.labels, NULL) == NU);
  NnetWork *w = nnet_work_new(n);
  int P = nnet_num_params(n);
  float *g = malloc(sizeof(float) * P), *p = malloc(sizeof(float) * P);
  NnetStats st;
  double L = nnet_loss_grad(n, nnet_params(n), w, b, g, &st);
  CHECK(isfinite(L) && L > 0 && st.utts == NU && st.frames == 19);
  CHECK_NEAR(st.loss_sum, L, 1e-9);
  const double eps = 1e-3;
  int bad = 0;
  for (int i = 0; i < P; i++) {
    memcpy(p, nnet_params(n), sizeof(float) * P);
    p[i] += (float)eps;
    double fp = loss_at(n, p, w, b);
    p[i] -= (float)(2 * eps);
    double fm = loss_at(n, p, w, b);
    double fd = (fp - fm) / (2 * eps);
    if (fabs(fd - g[i]) > 2e-3 + 1e-2 * fabs(g[i])) bad++, fprintf(stderr, "  param %d: %g vs fd %g\n", i, g[i], fd);
  }
  CHECK(bad == 0);
  free(g); free(p);
  nnet_work_free(w); nnet_batch_free(b); free_data(&d); nnet_free(n);
}

static void fill_gauss(float *v, int n, Rng *r) {
  for (int i = 0; i < n; i++) v[i] = (float)rng_gauss(r);
}

/* H v of network n against central differences of its gradient with step eps, symmetry,
 * and the held forward pass (nnet_hvp_held); frees n. */
static void check_hvp(Nnet *n, double eps) {
  Data d = make_data(6);
  NnetBatch *b = nnet_batch_new();
  nnet_batch_set_normalize(b, NNET_NORM_SUM);
  nnet_batch_fill(b, n, NU, d.feats, d.labels, NULL);
  NnetWork *w = nnet_work_new(n);
  int P = nnet_num_params(n);
  Rng r;
  rng_seed(&r, 7);
  float *v = malloc(sizeof(float) * P), *u = malloc(sizeof(float) * P), *hv = malloc(sizeof(float) * P);
  float *hu = malloc(sizeof(float) * P), *g = malloc(sizeof(float) * P), *g2 = malloc(sizeof(float) * P);
  float *gp = malloc(sizeof(float) * P), *gm = malloc(sizeof(float) * P), *p = malloc(sizeof(float) * P);
  fill_gauss(v, P, &r);
  fill_gauss(u, P, &r);
  double L1 = nnet_hvp(n, nnet_params(n), w, b, v, hv, g, NULL);
  double L2 = nnet_loss_grad(n, nnet_params(n), w, b, g2, NULL);
  CHECK(L1 == L2);
  CHECK(memcmp(g, g2, sizeof(float) * P) == 0); /* same gradient on the way */
  for (int s = 0; s < 2; s++) {
    for (int i = 0; i < P; i++) p[i] = nnet_params(n)[i] + (float)((s ? -eps : eps) * v[i]);
    nnet_loss_grad(n, p, w, b, s ? gm : gp, NULL);
  }
  double num = 0, den = 0;
  int bad = 0;
  for (int i = 0; i < P; i++) {
    double diff = (gp[i] - gm[i]) / (2 * eps);
    num += (diff - hv[i]) * (diff - hv[i]), den += (double)hv[i] * hv[i];
    if (fabs(diff - hv[i]) > 5e-3 + 2e-2 * fabs(hv[i])) bad++, fprintf(stderr, "  hv[%d] %g vs fd %g\n", i, hv[i], diff);
  }
  CHECK(bad == 0);
  CHECK(sqrt(num / den) < 1e-2);
  nnet_hvp(n, nnet_params(n), w, b, u, hu, NULL, NULL);
  /* On the forward pass w holds, after a gradient or another H v: the same bits. */
  for (int s = 0; s < 2; s++) {
    if (s) nnet_hvp(n, nnet_params(n), w, b, u, gp, NULL, NULL);
    else nnet_loss_grad(n, nnet_params(n), w, b, g2, NULL);
    CHECK(nnet_hvp_held(n, nnet_params(n), w, b, v, gm, NULL) == L1);
    CHECK(memcmp(hv, gm, sizeof(float) * P) == 0);
  }
  double uhv = 0, vhu = 0, norm = 0;
  for (int i = 0; i < P; i++) uhv += (double)u[i] * hv[i], vhu += (double)v[i] * hu[i], norm += fabs(u[i] * hv[i]);
  CHECK_NEAR(uhv, vhu, 1e-5 * norm); /* H is symmetric: exact R-op keeps that to float precision */
  free(v); free(u); free(hv); free(hu); free(g); free(g2); free(gp); free(gm); free(p);
  nnet_work_free(w); nnet_batch_free(b); free_data(&d); nnet_free(n);
}

static void test_hvp_fd_and_symmetry(void) { check_hvp(tiny(5), 1e-3); }

/* Adapters, one the first layer with parameters, their up projections moved off zero.
 * The step is smaller: at 1e-3 it moves some of their ReLUs' inputs across zero, where
 * the gradient jumps (test-nnet-reference checks this H v against PyTorch as well). */
static void test_hvp_adapters(void) {
  Nnet *n = nnet_new_from_string("input-dim=3\nadapter dim=2\nsplice context=-1:1\naffine dim=6\nrelu\n"
                                 "adapter dim=3\nsubsample factor=2\naffine\nlog-softmax\n",
                                 "adapters", 0, 4, 5);
  Rng r;
  rng_seed(&r, 8);
  for (int i = 0; i < nnet_num_params(n); i++) nnet_params(n)[i] += (float)(0.3 * rng_gauss(&r));
  check_hvp(n, 1e-4);
}

static void test_normalisation(void) {
  Nnet *n = tiny(8);
  Data d = make_data(9);
  NnetBatch *b = nnet_batch_new();
  NnetWork *w = nnet_work_new(n);
  int P = nnet_num_params(n);
  float *g1 = malloc(sizeof(float) * P), *g2 = malloc(sizeof(float) * P);
  nnet_batch_fill(b, n, NU, d.feats, d.labels, NULL);
  NnetStats st;
  double lf = nnet_loss_grad(n, nnet_params(n), w, b, g1, &st); /* default: per frame */
  CHECK_NEAR(lf, st.loss_sum / 19, 1e-9);
  nnet_batch_set_normalize(b, NNET_NORM_UTT);
  double lu = nnet_loss_grad(n, nnet_params(n), w, b, g2, NULL);
  CHECK_NEAR(lu, st.loss_sum / 3, 1e-9);
  for (int i = 0; i < P; i++) CHECK_NEAR(g2[i] * 3.0, g1[i] * 19.0, 1e-5 + 1e-4 * fabs(g1[i] * 19));
  free(g1); free(g2);
  nnet_work_free(w); nnet_batch_free(b); free_data(&d); nnet_free(n);
}

/* Each utterance alone and in a padded batch: same summed loss and gradient. */
static void test_padding_invariance(void) {
  Nnet *n = tiny(10);
  Data d = make_data(11);
  NnetBatch *b = nnet_batch_new();
  nnet_batch_set_normalize(b, NNET_NORM_SUM);
  NnetWork *w = nnet_work_new(n);
  int P = nnet_num_params(n);
  float *g = malloc(sizeof(float) * P), *gs = calloc(P, sizeof(float)), *gi = malloc(sizeof(float) * P);
  nnet_batch_fill(b, n, NU, d.feats, d.labels, NULL);
  double all = nnet_loss_grad(n, nnet_params(n), w, b, g, NULL), sum = 0;
  for (int i = 0; i < NU; i++) {
    nnet_batch_fill(b, n, 1, &d.feats[i], &d.labels[i], NULL);
    sum += nnet_loss_grad(n, nnet_params(n), w, b, gi, NULL);
    for (int k = 0; k < P; k++) gs[k] += gi[k];
  }
  CHECK_NEAR(all, sum, 1e-5 * fabs(all));
  for (int k = 0; k < P; k++) CHECK_NEAR(g[k], gs[k], 1e-5 + 1e-4 * fabs(g[k]));
  /* a fresh work gives identical bits to a reused one */
  NnetWork *w2 = nnet_work_new(n);
  nnet_batch_fill(b, n, NU, d.feats, d.labels, NULL);
  double again = nnet_loss_grad(n, nnet_params(n), w2, b, gi, NULL);
  CHECK(again == all && memcmp(g, gi, sizeof(float) * P) == 0);
  /* CTC on 3 threads: the same bits (per-utterance losses are summed in order) */
  nnet_work_set_num_threads(w2, 3);
  double threaded = nnet_loss_grad(n, nnet_params(n), w2, b, gi, NULL);
  CHECK(threaded == all && memcmp(g, gi, sizeof(float) * P) == 0);
  float *v = malloc(sizeof(float) * P), *h1 = malloc(sizeof(float) * P), *h3 = malloc(sizeof(float) * P);
  for (int k = 0; k < P; k++) v[k] = (float)sin(k);
  nnet_hvp(n, nnet_params(n), w2, b, v, h3, NULL, NULL);
  nnet_work_set_num_threads(w2, 1);
  nnet_hvp(n, nnet_params(n), w2, b, v, h1, NULL, NULL);
  CHECK(memcmp(h1, h3, sizeof(float) * P) == 0);
  /* H v too: the batch's (its frame-wise layers on the valid frames alone, the others
   * padded) against the sum of each utterance's */
  memset(gs, 0, sizeof(float) * P);
  for (int i = 0; i < NU; i++) {
    nnet_batch_fill(b, n, 1, &d.feats[i], &d.labels[i], NULL);
    nnet_hvp(n, nnet_params(n), w, b, v, h3, NULL, NULL);
    for (int k = 0; k < P; k++) gs[k] += h3[k];
  }
  for (int k = 0; k < P; k++) CHECK_NEAR(h1[k], gs[k], 1e-5 + 1e-4 * fabs(gs[k]));
  free(v); free(h1); free(h3);
  free(g); free(gs); free(gi);
  nnet_work_free(w); nnet_work_free(w2); nnet_batch_free(b); free_data(&d); nnet_free(n);
}

/* Feed-forward layers wide enough for their rows to split among the matrix team: loss,
 * gradient and H v of a team of 2 and 3 are one thread's bits. */
static void test_team_threads_bits(void) {
  static const char *wide = "input-dim=8\naffine dim=256\ntanh\naffine dim=256\nsigmoid\n"
                            "affine dim=256\nrelu\naffine\nlog-softmax\n";
  static const int wl[3] = {70, 50, 40};
  static int wlab[3][3] = {{1, 2, 3}, {5, 7}, {9}};
  Nnet *n = nnet_new_from_string(wide, "wide", 0, 200, 12);
  Rng r;
  rng_seed(&r, 13);
  Mat feats[3];
  IntVec labels[3];
  for (int i = 0; i < 3; i++) {
    feats[i] = mat_alloc(wl[i], 8);
    for (int k = 0; k < wl[i] * 8; k++) feats[i].data[k] = (float)rng_gauss(&r);
    labels[i] = (IntVec){wlab[i], 3 - i};
  }
  NnetBatch *b = nnet_batch_new();
  nnet_batch_fill(b, n, 3, feats, labels, NULL);
  NnetWork *w = nnet_work_new(n);
  int P = nnet_num_params(n);
  float *v = malloc(sizeof(float) * P), *g[2], *hv[2];
  for (int k = 0; k < P; k++) v[k] = (float)sin(0.1 * k);
  double L[2];
  for (int s = 0; s < 2; s++) g[s] = malloc(sizeof(float) * P), hv[s] = malloc(sizeof(float) * P);
  mat_team_set_size(1);
  L[0] = nnet_hvp(n, nnet_params(n), w, b, v, hv[0], g[0], NULL);
  for (int threads = 2; threads <= 3; threads++) {
    mat_team_set_size(threads);
    L[1] = nnet_hvp(n, nnet_params(n), w, b, v, hv[1], g[1], NULL);
    CHECK(L[1] == L[0] && memcmp(g[0], g[1], sizeof(float) * P) == 0);
    CHECK(memcmp(hv[0], hv[1], sizeof(float) * P) == 0);
  }
  mat_team_set_size(1);
  for (int s = 0; s < 2; s++) free(g[s]), free(hv[s]);
  for (int i = 0; i < 3; i++) mat_release(&feats[i]);
  free(v);
  nnet_work_free(w), nnet_batch_free(b), nnet_free(n);
}

static void test_batch_skips(void) {
  Nnet *n = tiny(12);
  Mat f[4] = {mat_alloc(4, 3), mat_alloc(4, 3), mat_alloc(4, 2), mat_alloc(6, 3)};
  int l1[] = {1, 2, 3}, l2[] = {1, 4}, l3[] = {1}, l4[] = {1, 2};
  IntVec lab[4] = {{l1, 3}, {l2, 2}, {l3, 1}, {l4, 2}};
  const char *keys[4] = {"too-short", "bad-label", "bad-dim", "good"};
  NnetBatch *b = nnet_batch_new();
  CHECK(nnet_batch_fill(b, n, 4, f, lab, keys) == 1); /* 4 frames -> 2 output frames < 3 labels */
  CHECK(b->num_skipped == 3 && b->B == 1 && b->T == 6 && b->total_frames == 6);
  CHECK(strcmp(nnet_batch_key(b, 0), "good") == 0);
  NnetWork *w = nnet_work_new(n);
  double L = nnet_loss_grad(n, nnet_params(n), w, b, NULL, NULL);
  CHECK(isfinite(L));
  CHECK(nnet_batch_fill(b, n, 1, f, lab, keys) == 0);
  NnetStats st;
  float *g = malloc(sizeof(float) * nnet_num_params(n));
  CHECK(nnet_loss_grad(n, nnet_params(n), w, b, g, &st) == 0 && st.utts == 0);
  CHECK(vec_norm2(nnet_num_params(n), g) == 0);
  free(g);
  for (int i = 0; i < 4; i++) mat_release(&f[i]);
  nnet_work_free(w); nnet_batch_free(b); nnet_free(n);
}

static void test_compute_logprobs(void) {
  Nnet *n = tiny(13);
  Data d = make_data(14);
  Mat y = nnet_compute_logprobs(n, d.feats[0]);
  CHECK(y.rows == 5 && y.cols == 4);
  for (int t = 0; t < y.rows; t++) {
    double s = 0;
    for (int k = 0; k < 4; k++) s += exp(*mat_at(y, t, k));
    CHECK_NEAR(s, 1, 1e-5);
  }
  /* same as frame rows of utterance 0 in a batch */
  NnetBatch *b = nnet_batch_new();
  NnetWork *w = nnet_work_new(n);
  nnet_batch_fill(b, n, NU, d.feats, d.labels, NULL);
  const int *ol;
  Mat z = nnet_forward(n, nnet_params(n), w, b, &ol);
  CHECK(ol[0] == 5 && ol[1] == 3 && ol[2] == 2);
  for (int t = 0; t < 5; t++)
    for (int k = 0; k < 4; k++) CHECK_NEAR(*mat_at(y, t, k), *mat_at(z, t * NU, k), 1e-6);
  mat_release(&y);
  nnet_work_free(w); nnet_batch_free(b); free_data(&d); nnet_free(n);
}

static void roundtrip(const char *name, bool binary) {
  Nnet *n = tiny(15);
  float lr[3] = {0.1f, 0.25f, 1e-7f};
  nnet_set_extra(n, "inner-lr", lr, 3);
  nnet_set_extra(n, "empty", NULL, 0);
  nnet_write(n, name, binary);
  Nnet *m = nnet_read(name);
  CHECK(nnet_same_arch(n, m));
  CHECK(memcmp(nnet_params(n), nnet_params(m), sizeof(float) * nnet_num_params(n)) == 0);
  int dim = -1;
  const float *e = nnet_get_extra(m, "inner-lr", &dim);
  CHECK(e && dim == 3 && memcmp(e, lr, sizeof(lr)) == 0);
  CHECK(nnet_get_extra(m, "empty", &dim) && dim == 0);
  CHECK(nnet_get_extra(m, "absent", &dim) == NULL);
  Nnet *c = nnet_copy(m);
  CHECK(nnet_same_arch(c, n) && nnet_num_extras(c) == 2 && strcmp(nnet_extra_name(c, 0), "inner-lr") == 0);
  nnet_free(n); nnet_free(m); nnet_free(c);
  unlink(name);
}

static void test_model_files(void) {
  char dir[] = "/tmp/nnet-test-XXXXXX", path[100];
  CHECK(mkdtemp(dir) != NULL);
  snprintf(path, sizeof(path), "%s/a.mdl", dir);
  roundtrip(path, true);
  roundtrip(path, false);
  snprintf(path, sizeof(path), "%s/a.mdl.gz", dir);
  roundtrip(path, true);
  rmdir(dir);
}

int main(void) {
  RUN(test_config_shape);
  RUN(test_gradient_fd);
  RUN(test_hvp_fd_and_symmetry);
  RUN(test_hvp_adapters);
  RUN(test_normalisation);
  RUN(test_padding_invariance);
  RUN(test_team_threads_bits);
  RUN(test_batch_skips);
  RUN(test_compute_logprobs);
  RUN(test_model_files);
  return test_summary();
}
