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

typedef struct {
  NnetLayer l;
  NnetSeq in, out;
  int out_len[64];
  float *work;
  Mat y, dx;
  float *dw;
} NcLayer;

static void nc_fill(float *p, size_t n, double scale, Rng *r) {
  for (size_t i = 0; i < n; i++) p[i] = (float)(scale * rng_gauss(r));
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

static double nc_f(NcLayer *c, const float *w, Mat x, const float *r) {
  c->l.kind->forward(&c->l, w, c->in, c->out, x, c->y, c->work);
  return nc_objective(c, c->y, r);
}

/* forward + backward at (w, x) with dy = mask(r); fills c->dx, c->dw */
static void nc_grad(NcLayer *c, const float *w, Mat x, const float *r, Mat dy) {
  c->l.kind->forward(&c->l, w, c->in, c->out, x, c->y, c->work);
  nc_mask(c, dy, r);
  memset(c->dw, 0, sizeof(float) * (size_t)(c->l.num_params + 1));
  c->l.kind->backward(&c->l, w, c->in, c->out, x, c->y, dy, c->dx, c->dw, c->work);
}

static void nc_axpy(float *dst, const float *a, double s, const float *b, size_t n) {
  for (size_t i = 0; i < n; i++) dst[i] = (float)(a[i] + s * b[i]);
}

static int nnet_check_layer(const char *kind_name, const char *settings, int in_dim, int T, int B, const int *lens,
                            uint64_t seed) {
  int before = testing_failed_checks;
  NcLayer c;
  memset(&c, 0, sizeof(c));
  char err[256];
  const NnetLayerKind *kind = nnet_layer_kind_find(kind_name);
  CHECK(kind != NULL);
  if (!kind) return 1;
  if (!nnet_layer_configure(&c.l, kind, in_dim, settings, 3, err, sizeof(err))) {
    fprintf(stderr, "  configure %s %s: %s\n", kind_name, settings, err);
    CHECK(0);
    return 1;
  }
  NnetLayer *l = &c.l;
  int To = kind->out_frames ? kind->out_frames(l, T) : T;
  for (int b = 0; b < B; b++) c.out_len[b] = kind->out_frames ? kind->out_frames(l, lens[b]) : lens[b];
  c.in = (NnetSeq){T, B, lens};
  c.out = (NnetSeq){To, B, c.out_len};
  size_t nin = (size_t)T * B * in_dim, nout = (size_t)To * B * l->out_dim, P = (size_t)l->num_params;
  size_t wf = kind->work_floats ? kind->work_floats(l, T, B) : 0;
  c.work = calloc(wf + 1, sizeof(float));
  Rng rng;
  rng_seed(&rng, seed);
  float *w = calloc(P + 1, sizeof(float)), *v = calloc(P + 1, sizeof(float)), *wp = calloc(P + 1, sizeof(float));
  if (kind->init) kind->init(l, w, &rng);
  for (size_t i = 0; i < P; i++) w[i] += (float)(0.3 * rng_gauss(&rng));
  nc_fill(v, P, 1.0, &rng);
  Mat x = mat_alloc(T * B, in_dim), rx = mat_alloc(T * B, in_dim), xp = mat_alloc(T * B, in_dim);
  nc_fill(x.data, nin, 1.0, &rng);
  nc_fill(rx.data, nin, 1.0, &rng);
  /* tangents only at valid frames: padding is not part of the function */
  for (int t = 0; t < T; t++)
    for (int b = 0; b < B; b++)
      if (t >= lens[b]) memset(mat_row(rx, t * B + b), 0, sizeof(float) * (size_t)in_dim);
  float *r = malloc(sizeof(float) * (nout + 1)), *rr = malloc(sizeof(float) * (nout + 1));
  nc_fill(r, nout, 1.0, &rng);
  nc_fill(rr, nout, 1.0, &rng);
  c.y = mat_alloc(To * B, l->out_dim);
  c.dx = mat_alloc(T * B, in_dim);
  c.dw = calloc(P + 1, sizeof(float));
  Mat dy = mat_alloc(To * B, l->out_dim), rdy = mat_alloc(To * B, l->out_dim);
  Mat ry = mat_alloc(To * B, l->out_dim), rdx = mat_alloc(T * B, in_dim);
  float *rdw = calloc(P + 1, sizeof(float));

  /* analytic gradient, tangents */
  nc_grad(&c, w, x, r, dy);
  Mat dx0 = mat_alloc(T * B, in_dim), y0 = mat_alloc(To * B, l->out_dim);
  float *dw0 = calloc(P + 1, sizeof(float));
  mat_copy(dx0, c.dx);
  mat_copy(y0, c.y);
  memcpy(dw0, c.dw, sizeof(float) * P);
  kind->rforward(l, w, v, c.in, c.out, x, rx, c.y, ry, c.work);
  nc_mask(&c, rdy, rr);
  kind->rbackward(l, w, v, c.in, c.out, x, rx, c.y, ry, dy, rdy, rdx, rdw, c.work);

  /* backward vs finite differences of f */
  for (size_t i = 0; i < P; i++) {
    memcpy(wp, w, sizeof(float) * P);
    wp[i] = w[i] + (float)NC_EPS;
    double fp = nc_f(&c, wp, x, r);
    wp[i] = w[i] - (float)NC_EPS;
    double fm = nc_f(&c, wp, x, r);
    double fd = (fp - fm) / (2 * NC_EPS);
    if (fabs(fd - dw0[i]) > NC_TOL(dw0[i])) fprintf(stderr, "  %s dw[%zu]\n", kind_name, i);
    CHECK_NEAR(dw0[i], fd, NC_TOL(dw0[i]));
  }
  for (size_t i = 0; i < nin; i++) {
    int row = (int)(i / in_dim), t = row / B, b = row % B;
    if (t >= lens[b]) {
      CHECK(dx0.data[i] == 0);
      continue;
    }
    mat_copy(xp, x);
    xp.data[i] = x.data[i] + (float)NC_EPS;
    double fp = nc_f(&c, w, xp, r);
    xp.data[i] = x.data[i] - (float)NC_EPS;
    double fm = nc_f(&c, w, xp, r);
    double fd = (fp - fm) / (2 * NC_EPS);
    if (fabs(fd - dx0.data[i]) > NC_TOL(dx0.data[i])) fprintf(stderr, "  %s dx[%zu]\n", kind_name, i);
    CHECK_NEAR(dx0.data[i], fd, NC_TOL(dx0.data[i]));
  }
  /* R-forward and R-backward vs differences along (v, rx, rdy) */
  Mat yp = mat_alloc(To * B, l->out_dim), dxp = mat_alloc(T * B, in_dim);
  float *dwp = calloc(P + 1, sizeof(float)), *rp = malloc(sizeof(float) * (nout + 1));
  for (int s = 0; s < 2; s++) {
    double e = s == 0 ? NC_EPS : -NC_EPS;
    nc_axpy(wp, w, e, v, P);
    nc_axpy(xp.data, x.data, e, rx.data, nin);
    nc_axpy(rp, r, e, rr, nout);
    nc_grad(&c, wp, xp, rp, dy);
    for (size_t i = 0; i < nout; i++) yp.data[i] = (float)(s == 0 ? c.y.data[i] : yp.data[i] - c.y.data[i]);
    for (size_t i = 0; i < nin; i++) dxp.data[i] = (float)(s == 0 ? c.dx.data[i] : dxp.data[i] - c.dx.data[i]);
    for (size_t i = 0; i < P; i++) dwp[i] = (float)(s == 0 ? c.dw[i] : dwp[i] - c.dw[i]);
  }
  for (int t = 0; t < To; t++)
    for (int b = 0; b < B; b++)
      for (int k = 0; k < l->out_dim && t < c.out_len[b]; k++) {
        size_t i = (size_t)(t * B + b) * l->out_dim + k;
        CHECK_NEAR(ry.data[i], yp.data[i] / (2 * NC_EPS), NC_TOL(ry.data[i]));
      }
  for (size_t i = 0; i < nin; i++) {
    int row = (int)(i / in_dim), t = row / B, b = row % B;
    if (t >= lens[b]) CHECK(rdx.data[i] == 0);
    else CHECK_NEAR(rdx.data[i], dxp.data[i] / (2 * NC_EPS), NC_TOL(rdx.data[i]));
  }
  for (size_t i = 0; i < P; i++) CHECK_NEAR(rdw[i], dwp[i] / (2 * NC_EPS), NC_TOL(rdw[i]));
  (void)y0;

  mat_release(&x); mat_release(&rx); mat_release(&xp); mat_release(&c.y); mat_release(&c.dx);
  mat_release(&dy); mat_release(&rdy); mat_release(&ry); mat_release(&rdx); mat_release(&dx0);
  mat_release(&y0); mat_release(&yp); mat_release(&dxp);
  free(w); free(v); free(wp); free(r); free(rr); free(c.dw); free(rdw); free(dw0); free(dwp); free(rp); free(c.work);
  if (testing_failed_checks != before) fprintf(stderr, "  (layer %s %s)\n", kind_name, settings);
  return testing_failed_checks - before;
}

#endif
