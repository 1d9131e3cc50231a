/* Layer normalisation (Ba, Kiros & Hinton 2016) over the D values of each frame:
 *   n = (x - mean(x)) / s,  s = sqrt(var(x) + eps),  y = g * n + beta.
 * Parameters g (D, init 1) then beta (D, init 0). Settings: eps=1e-5.
 * Backward: dbeta += sum dy, dg += sum dy*n, dx = J dn with dn = g*dy and
 *   J q = (q - mean(q) - n mean(q*n)) / s   (the normalisation Jacobian, symmetric).
 * R-operator: a = mean(n * R{x}) (= R{s}), R{n} = J R{x},
 *   R{y} = R{g} n + g R{n} + R{beta};
 *   R{dbeta} += sum R{dy}, R{dg} += sum (R{dy} n + dy R{n}), R{dn} = g R{dy} + R{g} dy,
 *   R{dx} = -(a/s) dx + (R{dn} - mean(R{dn}) - R{n} c - n R{c}) / s,
 *   with c = mean(dn*n), R{c} = mean(R{dn} n + dn R{n}).
 * Work (N = T*B rows): n (N x D), 1/s (N), R{n} (N x D), a (N), 2 rows of D. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nnet/layer.h"

static bool ln_configure(NnetLayer *l, NnetArgs *a, int default_out, char *err, size_t errlen) {
  (void)default_out;
  float eps = 1e-5f;
  if (!nnet_arg_float(a, "eps", &eps, err, errlen)) return false;
  if (!(eps > 0)) {
    snprintf(err, errlen, "layer-norm: eps must be > 0");
    return false;
  }
  l->fa[0] = eps;
  l->out_dim = l->in_dim;
  l->num_params = 2 * l->in_dim;
  return true;
}

static size_t ln_work(const NnetLayer *l, int T, int B) {
  size_t N = (size_t)T * (size_t)B, D = (size_t)l->in_dim;
  return 2 * N * D + 2 * N + 2 * D;
}

static void ln_init(const NnetLayer *l, float *w, Rng *rng) {
  (void)rng;
  for (int i = 0; i < l->in_dim; i++) w[i] = 1, w[l->in_dim + i] = 0;
}

typedef struct {
  float *n, *inv_s, *rn, *a, *t1, *t2;
} LnWork;

static LnWork split(const NnetLayer *l, int N, float *work) {
  size_t D = (size_t)l->in_dim;
  LnWork w;
  w.n = work;
  w.inv_s = w.n + (size_t)N * D;
  w.rn = w.inv_s + N;
  w.a = w.rn + (size_t)N * D;
  w.t1 = w.a + N;
  w.t2 = w.t1 + D;
  return w;
}

static double mean(const float *a, int D) {
  double s = 0;
  for (int k = 0; k < D; k++) s += a[k];
  return s / D;
}

static double mean2(const float *a, const float *b, int D) {
  double s = 0;
  for (int k = 0; k < D; k++) s += (double)a[k] * b[k];
  return s / D;
}

/* out = (q - mean(q) - n mean(q n)) * inv_s */
static void jacobian(const float *q, const float *n, float inv_s, int D, float *out) {
  float m = (float)mean(q, D), c = (float)mean2(q, n, D);
  for (int k = 0; k < D; k++) out[k] = (q[k] - m - n[k] * c) * inv_s;
}

static void ln_forward(const NnetLayer *l, const float *w, NnetSeq in, NnetSeq out, Mat x, Mat y,
                       float *work) {
  (void)in; (void)out;
  int D = l->in_dim;
  LnWork s = split(l, x.rows, work);
  for (int r = 0; r < x.rows; r++) {
    const float *xr = mat_row(x, r);
    double mu = mean(xr, D), var = 0;
    for (int k = 0; k < D; k++) var += (xr[k] - mu) * (xr[k] - mu);
    float inv = (float)(1.0 / sqrt(var / D + l->fa[0]));
    float *n = s.n + (size_t)r * D, *yr = mat_row(y, r);
    s.inv_s[r] = inv;
    for (int k = 0; k < D; k++) {
      n[k] = (float)(xr[k] - mu) * inv;
      yr[k] = w[k] * n[k] + w[D + k];
    }
  }
}

static void ln_backward(const NnetLayer *l, const float *w, NnetSeq in, NnetSeq out, Mat x, Mat y,
                        Mat dy, Mat dx, float *dw, float *work) {
  (void)in; (void)out; (void)y;
  int D = l->in_dim;
  LnWork s = split(l, x.rows, work);
  for (int r = 0; r < x.rows; r++) {
    const float *dyr = mat_row(dy, r), *n = s.n + (size_t)r * D;
    for (int k = 0; k < D; k++) s.t1[k] = w[k] * dyr[k];
    if (dw)
      for (int k = 0; k < D; k++) dw[D + k] += dyr[k], dw[k] += dyr[k] * n[k];
    if (dx.data) jacobian(s.t1, n, s.inv_s[r], D, mat_row(dx, r));
  }
}

static void ln_rforward(const NnetLayer *l, const float *w, const float *v, NnetSeq in, NnetSeq out,
                        Mat x, Mat rx, Mat y, Mat ry, float *work) {
  (void)in; (void)out; (void)y;
  int D = l->in_dim;
  LnWork s = split(l, x.rows, work);
  for (int r = 0; r < x.rows; r++) {
    const float *n = s.n + (size_t)r * D;
    float *rn = s.rn + (size_t)r * D, *ryr = mat_row(ry, r);
    if (rx.data) {
      s.a[r] = (float)mean2(n, mat_row(rx, r), D);
      jacobian(mat_row(rx, r), n, s.inv_s[r], D, rn);
    } else { /* R{x} = 0 */
      s.a[r] = 0;
      memset(rn, 0, sizeof(float) * (size_t)D);
    }
    for (int k = 0; k < D; k++) ryr[k] = v[k] * n[k] + w[k] * rn[k] + v[D + k];
  }
}

static void ln_rbackward(const NnetLayer *l, const float *w, const float *v, NnetSeq in, NnetSeq out,
                         Mat x, Mat rx, Mat y, Mat ry, Mat dy, Mat rdy, Mat rdx, float *rdw,
                         float *work) {
  (void)in; (void)out; (void)rx; (void)y; (void)ry;
  int D = l->in_dim;
  LnWork s = split(l, x.rows, work);
  for (int r = 0; r < x.rows; r++) {
    const float *dyr = mat_row(dy, r), *rdyr = mat_row(rdy, r);
    const float *n = s.n + (size_t)r * D, *rn = s.rn + (size_t)r * D;
    float *dn = s.t1, *rdn = s.t2;
    for (int k = 0; k < D; k++) {
      rdw[D + k] += rdyr[k];
      rdw[k] += rdyr[k] * n[k] + dyr[k] * rn[k];
      dn[k] = w[k] * dyr[k];
      rdn[k] = w[k] * rdyr[k] + v[k] * dyr[k];
    }
    if (!rdx.data) continue;
    float inv = s.inv_s[r], a = s.a[r];
    float c = (float)mean2(dn, n, D), m = (float)mean(rdn, D);
    float rc = (float)(mean2(rdn, n, D) + mean2(dn, rn, D));
    float *o = mat_row(rdx, r);
    jacobian(dn, n, inv, D, o); /* dx */
    for (int k = 0; k < D; k++) o[k] = -a * inv * o[k] + (rdn[k] - m - rn[k] * c - n[k] * rc) * inv;
  }
}

const NnetLayerKind nnet_layernorm_kind = {
    .name = "layer-norm",
    .frame_wise = true,
    .configure = ln_configure,
    .work_floats = ln_work,
    .init = ln_init,
    .forward = ln_forward,
    .backward = ln_backward,
    .rforward = ln_rforward,
    .rbackward = ln_rbackward,
};
