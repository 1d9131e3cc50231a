/* Log-softmax over the D values of each frame: y = x - log sum_k exp(x_k).
 * With s = exp(y) (the softmax) and S = sum_k dy_k:
 *   backward   dx = dy - s S
 *   R-forward  R{y} = R{x} - sum_k s_k R{x}_k
 *   R-backward R{dx} = R{dy} - s R{y} S - s sum_k R{dy}_k    (R{s} = s R{y}). */
#include <math.h>

#include "nnet/layer.h"

static bool lsm_configure(NnetLayer *l, NnetArgs *a, int default_out, char *err, size_t errlen) {
  (void)a; (void)default_out; (void)err; (void)errlen;
  l->out_dim = l->in_dim;
  l->num_params = 0;
  return true;
}

static void lsm_forward(const NnetLayer *l, const float *w, NnetSeq in, NnetSeq out, Mat x, Mat y,
                        float *work) {
  (void)l; (void)w; (void)in; (void)out; (void)work;
  for (int r = 0; r < x.rows; r++) {
    const float *xr = mat_row(x, r);
    float *yr = mat_row(y, r);
    float m = xr[0];
    for (int k = 1; k < x.cols; k++) m = fmaxf(m, xr[k]);
    double s = 0;
    for (int k = 0; k < x.cols; k++) s += exp((double)(xr[k] - m));
    float lse = m + (float)log(s);
    for (int k = 0; k < x.cols; k++) yr[k] = xr[k] - lse;
  }
}

static double row_sum(const float *a, int n) {
  double s = 0;
  for (int k = 0; k < n; k++) s += a[k];
  return s;
}

static void lsm_backward(const NnetLayer *l, const float *w, NnetSeq in, NnetSeq out, Mat x, Mat y,
                         Mat dy, Mat dx, float *dw, float *work) {
  (void)l; (void)w; (void)in; (void)out; (void)x; (void)dw; (void)work;
  if (!dx.data) return;
  for (int r = 0; r < y.rows; r++) {
    const float *yr = mat_row(y, r), *dyr = mat_row(dy, r);
    float *dxr = mat_row(dx, r);
    float S = (float)row_sum(dyr, y.cols);
    for (int k = 0; k < y.cols; k++) dxr[k] = dyr[k] - expf(yr[k]) * S;
  }
}

static void lsm_rforward(const NnetLayer *l, const float *w, const float *v, NnetSeq in, NnetSeq out,
                         Mat x, Mat rx, Mat y, Mat ry, float *work) {
  (void)l; (void)w; (void)v; (void)in; (void)out; (void)x; (void)work;
  for (int r = 0; r < y.rows; r++) {
    const float *yr = mat_row(y, r), *rxr = mat_row(rx, r);
    float *ryr = mat_row(ry, r);
    double m = 0;
    for (int k = 0; k < y.cols; k++) m += exp((double)yr[k]) * rxr[k];
    for (int k = 0; k < y.cols; k++) ryr[k] = rxr[k] - (float)m;
  }
}

static void lsm_rbackward(const NnetLayer *l, const float *w, const float *v, NnetSeq in, NnetSeq out,
                          Mat x, Mat rx, Mat y, Mat ry, Mat dy, Mat rdy, Mat rdx, float *rdw,
                          float *work) {
  (void)l; (void)w; (void)v; (void)in; (void)out; (void)x; (void)rx; (void)rdw; (void)work;
  if (!rdx.data) return;
  for (int r = 0; r < y.rows; r++) {
    const float *yr = mat_row(y, r), *ryr = mat_row(ry, r), *dyr = mat_row(dy, r), *rdyr = mat_row(rdy, r);
    float *o = mat_row(rdx, r);
    float S = (float)row_sum(dyr, y.cols), RS = (float)row_sum(rdyr, y.cols);
    for (int k = 0; k < y.cols; k++) {
      float s = expf(yr[k]);
      o[k] = rdyr[k] - s * (ryr[k] * S + RS);
    }
  }
}

const NnetLayerKind nnet_logsoftmax_kind = {
    .name = "log-softmax",
    .configure = lsm_configure,
    .forward = lsm_forward,
    .backward = lsm_backward,
    .rforward = lsm_rforward,
    .rbackward = lsm_rbackward,
};
