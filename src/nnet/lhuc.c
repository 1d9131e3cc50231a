/* LHUC, learning hidden unit contributions (Swietojanski, Li & Renals, IEEE/ACM TASLP 24,
 * 2016): one parameter r_k per unit scales it by a(r_k) = 2 sigmoid(r_k), in (0, 2):
 *   y = x * a(r)   (x, y: N x D, N = T*B; r: D, initialised to 0, the identity).
 * Placed after a hidden layer's nonlinearity, it gives a speaker or language a few
 * parameters per layer to adapt (meta-train/fast-adapt --adapt-layers naming them).
 * With s = sigmoid(r): a' = 2 s (1 - s), a'' = a' (1 - 2 s).
 * Backward:   dx = dy * a,  dr += sum_rows dy * x * a'.
 * R-forward:  R{y} = R{x} * a + x * a' * v.
 * R-backward: R{dx} = R{dy} * a + dy * a' * v,
 *             R{dr} += sum_rows (R{dy} * x + dy * R{x}) * a' + dy * x * a'' * v.
 * Work: D doubles (column sums), then a, a', a'' (3 x D floats), made from r at every pass. */
#include <math.h>

#include "nnet/layer.h"

static bool lhuc_configure(NnetLayer *l, NnetArgs *a, int default_out, char *err, size_t errlen) {
  (void)a; (void)default_out; (void)err; (void)errlen;
  l->out_dim = l->in_dim;
  l->num_params = l->in_dim;
  return true;
}

static size_t lhuc_work(const NnetLayer *l, int T, int B) {
  (void)T; (void)B;
  return 5 * (size_t)l->in_dim; /* 2 floats a double */
}

static void lhuc_init(const NnetLayer *l, float *w, Rng *rng) {
  (void)rng;
  for (int k = 0; k < l->in_dim; k++) w[k] = 0;
}

/* a, a', a'' of r into work (3 rows of D after the D doubles); returns a. */
static float *scales(const NnetLayer *l, const float *r, float *work) {
  int D = l->in_dim;
  work += 2 * D;
  for (int k = 0; k < D; k++) {
    float s = 1.0f / (1.0f + expf(-r[k]));
    work[k] = 2 * s;
    work[D + k] = 2 * s * (1 - s);
    work[2 * D + k] = work[D + k] * (1 - 2 * s);
  }
  return work;
}

/* out = p * a (+ q * b when q) row by row, a and b of D values */
static void scale_rows(Mat p, const float *a, Mat q, const float *b, Mat out) {
  for (int r = 0; r < p.rows; r++) {
    const float *pr = mat_row(p, r);
    float *o = mat_row(out, r);
    for (int k = 0; k < p.cols; k++) o[k] = pr[k] * a[k];
    if (!q.data) continue;
    const float *qr = mat_row(q, r);
    for (int k = 0; k < p.cols; k++) o[k] += qr[k] * b[k];
  }
}

/* acc[k] += c[k] * sum_rows p * q, summed in double row by row in sum (D doubles) */
static void add_col_dots(Mat p, Mat q, const float *c, float *acc, double *sum) {
  int D = p.cols;
  for (int k = 0; k < D; k++) sum[k] = 0;
  for (int r = 0; r < p.rows; r++) {
    const float *pr = mat_row(p, r), *qr = mat_row(q, r);
    for (int k = 0; k < D; k++) sum[k] += (double)pr[k] * qr[k];
  }
  for (int k = 0; k < D; k++) acc[k] += (float)(sum[k] * c[k]);
}

static void lhuc_forward(const NnetLayer *l, const float *w, NnetSeq in, NnetSeq out, Mat x, Mat y,
                         float *work) {
  (void)in; (void)out;
  scale_rows(x, scales(l, w, work), (Mat){0}, NULL, y);
}

static void lhuc_backward(const NnetLayer *l, const float *w, NnetSeq in, NnetSeq out, Mat x, Mat y,
                          Mat dy, Mat dx, float *dw, float *work) {
  (void)in; (void)out; (void)y;
  const float *a = scales(l, w, work), *a1 = a + l->in_dim;
  if (dw) add_col_dots(dy, x, a1, dw, (double *)work);
  if (dx.data) scale_rows(dy, a, (Mat){0}, NULL, dx);
}

static void lhuc_rforward(const NnetLayer *l, const float *w, const float *v, NnetSeq in, NnetSeq out,
                          Mat x, Mat rx, Mat y, Mat ry, float *work) {
  (void)in; (void)out; (void)y;
  int D = l->in_dim;
  float *a = scales(l, w, work), *a1v = a + D;
  for (int k = 0; k < D; k++) a1v[k] *= v[k]; /* a' v in place of a' */
  if (rx.data) scale_rows(rx, a, x, a1v, ry);
  else scale_rows(x, a1v, (Mat){0}, NULL, ry); /* R{x} = 0 */
}

static void lhuc_rbackward(const NnetLayer *l, const float *w, const float *v, NnetSeq in, NnetSeq out,
                           Mat x, Mat rx, Mat y, Mat ry, Mat dy, Mat rdy, Mat rdx, float *rdw,
                           float *work) {
  (void)in; (void)out; (void)y; (void)ry;
  int D = l->in_dim;
  float *a = scales(l, w, work), *a1 = a + D, *a2v = a1 + D;
  for (int k = 0; k < D; k++) a2v[k] *= v[k];
  add_col_dots(rdy, x, a1, rdw, (double *)work);
  if (rx.data) add_col_dots(dy, rx, a1, rdw, (double *)work);
  add_col_dots(dy, x, a2v, rdw, (double *)work);
  if (!rdx.data) return;
  for (int k = 0; k < D; k++) a1[k] *= v[k];
  scale_rows(rdy, a, dy, a1, rdx);
}

const NnetLayerKind nnet_lhuc_kind = {
    .name = "lhuc",
    .frame_wise = true,
    .configure = lhuc_configure,
    .work_floats = lhuc_work,
    .init = lhuc_init,
    .forward = lhuc_forward,
    .backward = lhuc_backward,
    .rforward = lhuc_rforward,
    .rbackward = lhuc_rbackward,
};
