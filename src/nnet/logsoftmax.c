/* Log-softmax over the D values of each frame: y = x - log sum_k exp(x_k).
 * With s = exp(y) (the softmax) and S = sum_k dy_k:
 *   backward   dx = dy - s S
 *   R-forward  R{y} = R{x} - sum_k s_k R{x}_k
 *   R-backward R{dx} = R{dy} - s R{y} S - s sum_k R{dy}_k    (R{s} = s R{y}).
 * Frames are independent: on several threads (mat_set_num_threads) they split among the
 * matrix team (mat_team_rows), with one thread's bits.
 *
 * The backward passes write 0 for a result below FLT_MIN in magnitude (a subnormal, from
 * a softmax value of a confident model, exp(y) < 1e-38): the next products (the output
 * layer's weight gradient, and its input gradient) take 7 times as long on x86 with
 * subnormal operands, and such values add nothing representable to their sums. */
#include <float.h>
#include <math.h>

#include "matrix/team.h"
#include "nnet/layer.h"

/* The operands of a pass; each pass reads and writes its own. */
typedef struct {
  Mat x, y, dy, dx, rx, ry, rdy, rdx;
} Job;

static bool lsm_configure(NnetLayer *l, NnetArgs *a, int default_out, char *err, size_t errlen) {
  (void)a; (void)default_out; (void)err; (void)errlen;
  l->out_dim = l->in_dim;
  l->num_params = 0;
  return true;
}

static void forward_rows(void *arg, int r0, int r1) {
  const Job *j = arg;
  int D = j->x.cols;
  for (int r = r0; r < r1; r++) {
    const float *xr = mat_row(j->x, r);
    float *yr = mat_row(j->y, r);
    float m = xr[0];
    for (int k = 1; k < D; k++) m = xr[k] > m ? xr[k] : m; /* fmaxf without its call; a NaN gives NaNs either way */
    double s = 0;
    for (int k = 0; k < D; k++) s += exp((double)(xr[k] - m));
    float lse = m + (float)log(s);
    for (int k = 0; k < D; k++) yr[k] = xr[k] - lse;
  }
}

static void lsm_forward(const NnetLayer *l, const float *w, NnetSeq in, NnetSeq out, Mat x, Mat y,
                        float *work) {
  (void)l; (void)w; (void)in; (void)out; (void)work;
  Job j = {.x = x, .y = y};
  mat_team_rows(x.rows, x.cols, forward_rows, &j);
}

/* v, or 0 for a subnormal v (see the top); NaN stays NaN. */
static inline float flush_subnormal(float v) { return fabsf(v) < FLT_MIN ? 0.0f : v; }

static double row_sum(const float *a, int n) {
  double s = 0;
  for (int k = 0; k < n; k++) s += a[k];
  return s;
}

static void backward_rows(void *arg, int r0, int r1) {
  const Job *j = arg;
  int D = j->y.cols;
  for (int r = r0; r < r1; r++) {
    const float *yr = mat_row(j->y, r), *dyr = mat_row(j->dy, r);
    float *dxr = mat_row(j->dx, r);
    float S = (float)row_sum(dyr, D);
    for (int k = 0; k < D; k++) dxr[k] = flush_subnormal(dyr[k] - expf(yr[k]) * S);
  }
}

static void lsm_backward(const NnetLayer *l, const float *w, NnetSeq in, NnetSeq out, Mat x, Mat y,
                         Mat dy, Mat dx, float *dw, float *work) {
  (void)l; (void)w; (void)in; (void)out; (void)x; (void)dw; (void)work;
  if (!dx.data) return;
  Job j = {.y = y, .dy = dy, .dx = dx};
  mat_team_rows(y.rows, y.cols, backward_rows, &j);
}

static void rforward_rows(void *arg, int r0, int r1) {
  const Job *j = arg;
  int D = j->y.cols;
  for (int r = r0; r < r1; r++) {
    const float *yr = mat_row(j->y, r), *rxr = mat_row(j->rx, r);
    float *ryr = mat_row(j->ry, r);
    double m = 0;
    for (int k = 0; k < D; k++) m += exp((double)yr[k]) * rxr[k];
    for (int k = 0; k < D; k++) ryr[k] = rxr[k] - (float)m;
  }
}

static void lsm_rforward(const NnetLayer *l, const float *w, const float *v, NnetSeq in, NnetSeq out,
                         Mat x, Mat rx, Mat y, Mat ry, float *work) {
  (void)l; (void)w; (void)v; (void)in; (void)out; (void)x; (void)work;
  Job j = {.y = y, .rx = rx, .ry = ry};
  mat_team_rows(y.rows, y.cols, rforward_rows, &j);
}

static void rbackward_rows(void *arg, int r0, int r1) {
  const Job *j = arg;
  int D = j->y.cols;
  for (int r = r0; r < r1; r++) {
    const float *yr = mat_row(j->y, r), *ryr = mat_row(j->ry, r), *dyr = mat_row(j->dy, r);
    const float *rdyr = mat_row(j->rdy, r);
    float *o = mat_row(j->rdx, r);
    float S = (float)row_sum(dyr, D), RS = (float)row_sum(rdyr, D);
    for (int k = 0; k < D; k++) {
      float s = expf(yr[k]);
      o[k] = flush_subnormal(rdyr[k] - s * (ryr[k] * S + RS));
    }
  }
}

static void lsm_rbackward(const NnetLayer *l, const float *w, const float *v, NnetSeq in, NnetSeq out,
                          Mat x, Mat rx, Mat y, Mat ry, Mat dy, Mat rdy, Mat rdx, float *rdw,
                          float *work) {
  (void)l; (void)w; (void)v; (void)in; (void)out; (void)x; (void)rx; (void)rdw; (void)work;
  if (!rdx.data) return;
  Job j = {.y = y, .ry = ry, .dy = dy, .rdy = rdy, .rdx = rdx};
  mat_team_rows(y.rows, y.cols, rbackward_rows, &j);
}

const NnetLayerKind nnet_logsoftmax_kind = {
    .name = "log-softmax",
    .frame_wise = true,
    .configure = lsm_configure,
    .forward = lsm_forward,
    .backward = lsm_backward,
    .rforward = lsm_rforward,
    .rbackward = lsm_rbackward,
};
