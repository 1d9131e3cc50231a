/* Finite-difference checks of one layer kind (forward/backward/R-forward/R-backward),
 * for the unit tests of every layer kind: include it in tests/unit/test-*.c.
 *
 *   nnet_check_layer("affine", "dim=3", 4, 5, 2, lens, seed);  // in_dim 4, T 5, B 2
 *
 * Objective f = sum over valid output frames of r . y with a fixed random r (so dy = r
 * there, 0 at padded frames); everything accumulated in double, layers in float, central
 * differences with step EPS. Checks:
 *   backward:   dw and dx against (f(+eps) - f(-eps)) / 2eps per coordinate;
 *               dx zero at padded input frames;
 *   R-forward:  ry against (y(theta+eps v, x+eps rx) - y(theta-eps v, x-eps rx)) / 2eps;
 *   R-backward: rdw, rdx against the same difference of (dw, dx), with dy moved by eps rdy.
 *   For a kind with parameters, the short cuts of layer.h: backward with dw NULL gives
 *   the same dx and then the same tangents; rx NULL gives those of rx = 0.
 * Padded input frames hold random values: outputs at valid frames must not depend on them. */
#ifndef TESTS_NNET_CHECK_H
#define TESTS_NNET_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "nnet/layer.h"
#include "testing.h"

#define NC_EPS 1e-3
/* float forward passes limit FD accuracy to about 1e-4 absolute on these sizes */
#define NC_TOL(a) (2e-3 + 1e-2 * fabs(a))

/* One layer under test with its inputs, directions and results. */
typedef struct {
  NnetLayer l;
  const NnetLayerKind *kind;
  NnetSeq in, out;
  int out_len[64];
  size_t nin, nout, P;
  float *work, *w, *v, *r, *rr; /* params, param direction, dy at valid frames, R{dy} */
  Mat x, rx;                     /* input, input direction (zero at padding) */
  Mat y, dx, dy;                 /* scratch of nc_grad */
  float *dw;
  Mat ry, rdx;                   /* analytic tangents */
  float *rdw;
} NcLayer;

static void nc_fill(float *p, size_t n, double scale, Rng *r) {
  for (size_t i = 0; i < n; i++) p[i] = (float)(scale * rng_gauss(r));
}

static bool nc_padded(const NcLayer *c, size_t i) {
  int row = (int)(i / c->l.in_dim);
  return row / c->in.B >= c->in.len[row % c->in.B];
}

static double nc_objective(const NcLayer *c, Mat y, const float *rw) {
  double f = 0;
  for (int t = 0; t < c->out.T; t++)
    for (int b = 0; b < c->out.B; b++) {
      if (t >= c->out.len[b]) continue;
      const float *yr = mat_row(y, t * c->out.B + b), *rr = rw + (size_t)(t * c->out.B + b) * y.cols;
      for (int k = 0; k < y.cols; k++) f += (double)yr[k] * rr[k];
    }
  return f;
}

/* dy = r at valid output frames, zero at padded ones */
static void nc_mask(const NcLayer *c, Mat dy, const float *r) {
  for (int t = 0; t < c->out.T; t++)
    for (int b = 0; b < c->out.B; b++) {
      float *d = mat_row(dy, t * c->out.B + b);
      for (int k = 0; k < dy.cols; k++) d[k] = t < c->out.len[b] ? r[(size_t)(t * c->out.B + b) * dy.cols + k] : 0;
    }
}

static double nc_f(NcLayer *c, const float *w, Mat x) {
  c->kind->forward(&c->l, w, c->in, c->out, x, c->y, c->work);
  return nc_objective(c, c->y, c->r);
}

/* forward + backward at (w, x) with dy = mask(r); fills c->y, c->dx, c->dw */
static void nc_grad(NcLayer *c, const float *w, Mat x, const float *r) {
  c->kind->forward(&c->l, w, c->in, c->out, x, c->y, c->work);
  nc_mask(c, c->dy, r);
  memset(c->dw, 0, sizeof(float) * (c->P + 1));
  c->kind->backward(&c->l, w, c->in, c->out, x, c->y, c->dy, c->dx, c->dw, c->work);
}

static void nc_axpy(float *dst, const float *a, double s, const float *b, size_t n) {
  for (size_t i = 0; i < n; i++) dst[i] = (float)(a[i] + s * b[i]);
}

static bool nc_setup(NcLayer *c, const char *kind_name, const char *settings, int in_dim, int T, int B,
                     const int *lens, uint64_t seed) {
  memset(c, 0, sizeof(*c));
  char err[256];
  c->kind = nnet_layer_kind_find(kind_name);
  if (!c->kind || !nnet_layer_configure(&c->l, c->kind, in_dim, settings, 3, err, sizeof(err))) {
    fprintf(stderr, "  configure %s %s: %s\n", kind_name, settings, c->kind ? err : "unknown kind");
    return false;
  }
  const NnetLayer *l = &c->l;
  int To = c->kind->out_frames ? c->kind->out_frames(l, T) : T;
  for (int b = 0; b < B; b++) c->out_len[b] = c->kind->out_frames ? c->kind->out_frames(l, lens[b]) : lens[b];
  c->in = (NnetSeq){T, B, lens};
  c->out = (NnetSeq){To, B, c->out_len};
  c->nin = (size_t)T * B * in_dim, c->nout = (size_t)To * B * l->out_dim, c->P = (size_t)l->num_params;
  c->work = calloc((c->kind->work_floats ? c->kind->work_floats(l, T, B) : 0) + 1, sizeof(float));
  Rng rng;
  rng_seed(&rng, seed);
  c->w = calloc(c->P + 1, sizeof(float)), c->v = calloc(c->P + 1, sizeof(float));
  if (c->kind->init) c->kind->init(l, c->w, &rng);
  for (size_t i = 0; i < c->P; i++) c->w[i] += (float)(0.3 * rng_gauss(&rng)); /* gains away from 1 etc. */
  nc_fill(c->v, c->P, 1.0, &rng);
  c->x = mat_alloc(T * B, in_dim), c->rx = mat_alloc(T * B, in_dim);
  nc_fill(c->x.data, c->nin, 1.0, &rng); /* padded frames too: outputs must not depend on them */
  nc_fill(c->rx.data, c->nin, 1.0, &rng);
  for (size_t i = 0; i < c->nin; i++) /* tangents only at valid frames */
    if (nc_padded(c, i)) c->rx.data[i] = 0;
  c->r = malloc(sizeof(float) * (c->nout + 1)), c->rr = malloc(sizeof(float) * (c->nout + 1));
  nc_fill(c->r, c->nout, 1.0, &rng);
  nc_fill(c->rr, c->nout, 1.0, &rng);
  c->y = mat_alloc(To * B, l->out_dim), c->dy = mat_alloc(To * B, l->out_dim), c->dx = mat_alloc(T * B, in_dim);
  c->ry = mat_alloc(To * B, l->out_dim), c->rdx = mat_alloc(T * B, in_dim);
  c->dw = calloc(c->P + 1, sizeof(float)), c->rdw = calloc(c->P + 1, sizeof(float));
  return true;
}

static void nc_free(NcLayer *c) {
  mat_release(&c->x); mat_release(&c->rx); mat_release(&c->y); mat_release(&c->dy); mat_release(&c->dx);
  mat_release(&c->ry); mat_release(&c->rdx);
  free(c->w); free(c->v); free(c->r); free(c->rr); free(c->dw); free(c->rdw); free(c->work);
}

/* backward's dw and dx against central differences of f, coordinate by coordinate */
static void nc_check_backward(NcLayer *c) {
  nc_grad(c, c->w, c->x, c->r);
  float *dw = malloc(sizeof(float) * (c->P + 1)), *wp = malloc(sizeof(float) * (c->P + 1));
  Mat dx = mat_alloc(c->dx.rows, c->dx.cols), xp = mat_alloc(c->x.rows, c->x.cols);
  memcpy(dw, c->dw, sizeof(float) * c->P);
  mat_copy(dx, c->dx);
  for (size_t i = 0; i < c->P; i++) {
    memcpy(wp, c->w, sizeof(float) * c->P);
    wp[i] = c->w[i] + (float)NC_EPS;
    double fp = nc_f(c, wp, c->x);
    wp[i] = c->w[i] - (float)NC_EPS;
    double fd = (fp - nc_f(c, wp, c->x)) / (2 * NC_EPS);
    CHECK_NEAR(dw[i], fd, NC_TOL(dw[i]));
  }
  for (size_t i = 0; i < c->nin; i++) {
    if (nc_padded(c, i)) {
      CHECK(dx.data[i] == 0);
      continue;
    }
    mat_copy(xp, c->x);
    xp.data[i] = c->x.data[i] + (float)NC_EPS;
    double fp = nc_f(c, c->w, xp);
    xp.data[i] = c->x.data[i] - (float)NC_EPS;
    double fd = (fp - nc_f(c, c->w, xp)) / (2 * NC_EPS);
    CHECK_NEAR(dx.data[i], fd, NC_TOL(dx.data[i]));
  }
  free(dw); free(wp); mat_release(&dx); mat_release(&xp);
}

/* rforward / rbackward against differences of (y, dx, dw) along (v, rx, rr) */
static void nc_check_r(NcLayer *c) {
  nc_grad(c, c->w, c->x, c->r);
  c->kind->rforward(&c->l, c->w, c->v, c->in, c->out, c->x, c->rx, c->y, c->ry, c->work);
  Mat rdy = mat_alloc(c->dy.rows, c->dy.cols);
  nc_mask(c, rdy, c->rr);
  c->kind->rbackward(&c->l, c->w, c->v, c->in, c->out, c->x, c->rx, c->y, c->ry, c->dy, rdy, c->rdx, c->rdw, c->work);
  size_t P = c->P, nin = c->nin, nout = c->nout;
  float *wp = malloc(sizeof(float) * (P + 1)), *rp = malloc(sizeof(float) * (nout + 1));
  double *yd = calloc(nout + 1, sizeof(double)), *dxd = calloc(nin + 1, sizeof(double)), *dwd = calloc(P + 1, sizeof(double));
  Mat xp = mat_alloc(c->x.rows, c->x.cols);
  for (int s = 0; s < 2; s++) {
    double e = s == 0 ? NC_EPS : -NC_EPS, sign = s == 0 ? 1 : -1;
    nc_axpy(wp, c->w, e, c->v, P);
    nc_axpy(xp.data, c->x.data, e, c->rx.data, nin);
    nc_axpy(rp, c->r, e, c->rr, nout);
    nc_grad(c, wp, xp, rp);
    for (size_t i = 0; i < nout; i++) yd[i] += sign * c->y.data[i] / (2 * NC_EPS);
    for (size_t i = 0; i < nin; i++) dxd[i] += sign * c->dx.data[i] / (2 * NC_EPS);
    for (size_t i = 0; i < P; i++) dwd[i] += sign * c->dw[i] / (2 * NC_EPS);
  }
  for (int t = 0; t < c->out.T; t++)
    for (int b = 0; b < c->out.B; b++)
      for (int k = 0; k < c->l.out_dim && t < c->out_len[b]; k++) {
        size_t i = (size_t)(t * c->out.B + b) * c->l.out_dim + k;
        CHECK_NEAR(c->ry.data[i], yd[i], NC_TOL(c->ry.data[i]));
      }
  for (size_t i = 0; i < nin; i++) {
    if (nc_padded(c, i)) CHECK(c->rdx.data[i] == 0);
    else CHECK_NEAR(c->rdx.data[i], dxd[i], NC_TOL(c->rdx.data[i]));
  }
  for (size_t i = 0; i < P; i++) CHECK_NEAR(c->rdw[i], dwd[i], NC_TOL(c->rdw[i]));
  free(wp); free(rp); free(yd); free(dxd); free(dwd); mat_release(&xp); mat_release(&rdy);
}

static bool nc_same(const float *a, const float *b, size_t n) { return memcmp(a, b, sizeof(float) * n) == 0; }

/* NaN everywhere: what a pass leaves unwritten cannot pass for a result. */
static void nc_spoil(Mat m) { memset(m.data, 0xff, sizeof(float) * (size_t)m.rows * (size_t)m.cols); }

/* The tangents (ry, rdx, rdw) for rx, after a backward pass with dw or, last, without. */
static void nc_tangents(NcLayer *c, Mat rx, bool with_dw, Mat rdy) {
  nc_grad(c, c->w, c->x, c->r);
  if (!with_dw) {
    nc_spoil(c->dx);
    c->kind->backward(&c->l, c->w, c->in, c->out, c->x, c->y, c->dy, c->dx, NULL, c->work);
  }
  nc_spoil(c->ry), nc_spoil(c->rdx);
  memset(c->rdw, 0, sizeof(float) * (c->P + 1));
  c->kind->rforward(&c->l, c->w, c->v, c->in, c->out, c->x, rx, c->y, c->ry, c->work);
  c->kind->rbackward(&c->l, c->w, c->v, c->in, c->out, c->x, rx, c->y, c->ry, c->dy, rdy, c->rdx, c->rdw, c->work);
}

/* layer.h's dw NULL and rx NULL against the full computation */
static void nc_check_short_cuts(NcLayer *c) {
  if (c->P == 0) return;
  Mat zero = mat_alloc(c->rx.rows, c->rx.cols), rdy = mat_alloc(c->dy.rows, c->dy.cols);
  Mat dx = mat_alloc(c->dx.rows, c->dx.cols), ry = mat_alloc(c->ry.rows, c->ry.cols);
  Mat rdx = mat_alloc(c->rdx.rows, c->rdx.cols);
  float *rdw = malloc(sizeof(float) * (c->P + 1));
  nc_mask(c, rdy, c->rr);
  nc_tangents(c, zero, true, rdy);
  mat_copy(dx, c->dx), mat_copy(ry, c->ry), mat_copy(rdx, c->rdx);
  memcpy(rdw, c->rdw, sizeof(float) * c->P);
  nc_tangents(c, zero, false, rdy);
  CHECK(nc_same(dx.data, c->dx.data, c->nin) && nc_same(ry.data, c->ry.data, c->nout));
  CHECK(nc_same(rdx.data, c->rdx.data, c->nin) && nc_same(rdw, c->rdw, c->P));
  nc_tangents(c, (Mat){0}, true, rdy);
  for (size_t i = 0; i < c->nout; i++) CHECK_NEAR(c->ry.data[i], ry.data[i], 1e-6 * (1 + fabs(ry.data[i])));
  for (size_t i = 0; i < c->nin; i++) CHECK_NEAR(c->rdx.data[i], rdx.data[i], 1e-6 * (1 + fabs(rdx.data[i])));
  for (size_t i = 0; i < c->P; i++) CHECK_NEAR(c->rdw[i], rdw[i], 1e-6 * (1 + fabs(rdw[i])));
  mat_release(&zero), mat_release(&rdy), mat_release(&dx), mat_release(&ry), mat_release(&rdx);
  free(rdw);
}

static int nnet_check_layer(const char *kind_name, const char *settings, int in_dim, int T, int B, const int *lens,
                            uint64_t seed) {
  int before = testing_failed_checks;
  NcLayer c;
  if (!nc_setup(&c, kind_name, settings, in_dim, T, B, lens, seed)) {
    CHECK(0);
    return 1;
  }
  nc_check_backward(&c);
  nc_check_r(&c);
  nc_check_short_cuts(&c);
  nc_free(&c);
  if (testing_failed_checks != before) fprintf(stderr, "  (layer %s %s)\n", kind_name, settings);
  return testing_failed_checks - before;
}

#endif
