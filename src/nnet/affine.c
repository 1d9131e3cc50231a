/* Affine layer: y = x W^T + b.
 *   x (N x I), y (N x O), N = T*B rows; parameters W (O x I, row-major) then b (O).
 * Backward: dW += dy^T x, db += sum_rows dy, dx = dy W.
 * R-operator (direction V, vb): R{y} = R{x} W^T + x V^T + vb;
 *   R{dW} = R{dy}^T x + dy^T R{x}, R{db} = sum_rows R{dy}, R{dx} = R{dy} W + dy V.
 * Settings: dim=O (default: the network's output dim). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "matrix/team.h"
#include "nnet/layer.h"

static bool affine_configure(NnetLayer *l, NnetArgs *a, int default_out, char *err, size_t errlen) {
  int dim = default_out;
  if (!nnet_arg_int(a, "dim", &dim, err, errlen)) return false;
  if (dim <= 0) {
    snprintf(err, errlen, "affine needs dim= > 0 (or an output dim for the network)");
    return false;
  }
  if ((long long)dim * (l->in_dim + 1) > NNET_MAX_PARAMS) {
    snprintf(err, errlen, "affine %d -> %d: more than %d parameters", l->in_dim, dim, NNET_MAX_PARAMS);
    return false;
  }
  if (!nnet_arg_str(a, "dim")) { /* record the default, so the model file says it */
    size_t n = strlen(l->config);
    snprintf(l->config + n, sizeof(l->config) - n, "%sdim=%d", n ? " " : "", dim);
  }
  l->out_dim = dim;
  l->num_params = dim * l->in_dim + dim;
  return true;
}

/* PyTorch's nn.Linear default: W and b uniform in +-1/sqrt(I). */
static void affine_init(const NnetLayer *l, float *w, Rng *rng) {
  nnet_fill_uniform(w, l->num_params, 1.0f / sqrtf((float)l->in_dim), rng);
}

static Mat weight(const NnetLayer *l, const float *w) {
  return mat_view((float *)w, l->out_dim, l->in_dim, l->in_dim);
}

/* The bias and the output of affine_forward's fill. */
typedef struct {
  Mat y;
  const float *b;
} Fill;

static void fill_rows(void *arg, int r0, int r1) {
  const Fill *f = arg;
  for (int r = r0; r < r1; r++) memcpy(mat_row(f->y, r), f->b, sizeof(float) * (size_t)f->y.cols);
}

/* y = b (every row, split among the matrix team), then y += x W^T */
static void affine_forward(const NnetLayer *l, const float *w, NnetSeq in, NnetSeq out, Mat x, Mat y,
                           float *work) {
  (void)in; (void)out; (void)work;
  Fill f = {y, w + (size_t)l->out_dim * l->in_dim};
  mat_team_rows(y.rows, y.cols, fill_rows, &f);
  mat_gemm(false, true, 1.0f, x, weight(l, w), 1.0f, y);
}

static void affine_backward(const NnetLayer *l, const float *w, NnetSeq in, NnetSeq out, Mat x, Mat y,
                            Mat dy, Mat dx, float *dw, float *work) {
  (void)in; (void)out; (void)y; (void)work;
  if (dw) {
    mat_gemm(true, false, 1.0f, dy, x, 1.0f, weight(l, dw));
    mat_add_col_sums(dw + (size_t)l->out_dim * l->in_dim, 1.0f, dy);
  }
  if (dx.data) mat_gemm(false, false, 1.0f, dy, weight(l, w), 0.0f, dx);
}

static void affine_rforward(const NnetLayer *l, const float *w, const float *v, NnetSeq in, NnetSeq out,
                            Mat x, Mat rx, Mat y, Mat ry, float *work) {
  (void)y;
  affine_forward(l, v, in, out, x, ry, work); /* x V^T + vb */
  if (rx.data) mat_gemm(false, true, 1.0f, rx, weight(l, w), 1.0f, ry);
}

static void affine_rbackward(const NnetLayer *l, const float *w, const float *v, NnetSeq in, NnetSeq out,
                             Mat x, Mat rx, Mat y, Mat ry, Mat dy, Mat rdy, Mat rdx, float *rdw,
                             float *work) {
  (void)in; (void)out; (void)y; (void)ry; (void)work;
  Mat rdW = weight(l, rdw);
  mat_gemm(true, false, 1.0f, rdy, x, 1.0f, rdW);
  if (rx.data) mat_gemm(true, false, 1.0f, dy, rx, 1.0f, rdW);
  mat_add_col_sums(rdw + (size_t)l->out_dim * l->in_dim, 1.0f, rdy);
  if (rdx.data) {
    mat_gemm(false, false, 1.0f, rdy, weight(l, w), 0.0f, rdx);
    mat_gemm(false, false, 1.0f, dy, weight(l, v), 1.0f, rdx);
  }
}

const NnetLayerKind nnet_affine_kind = {
    .name = "affine",
    .frame_wise = true,
    .configure = affine_configure,
    .init = affine_init,
    .forward = affine_forward,
    .backward = affine_backward,
    .rforward = affine_rforward,
    .rbackward = affine_rbackward,
};
