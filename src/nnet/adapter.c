/* Bottleneck adapter (Houlsby et al., ICML 2019): a residual branch through a narrow
 * ReLU layer,
 *   h = relu(x Wd^T + bd),  y = x + h Wu^T + bu
 *   x, y (N x I), h (N x D), N = T*B; parameters Wd (D x I), bd (D), Wu (I x D), bu (I).
 * Wu and bu start at 0, so a new adapter is the identity: put into a trained model it
 * changes nothing until it is trained or adapted (meta-train/fast-adapt --adapt-layers
 * naming it), and it gives a task 2DI + D + I parameters a layer instead of a whole
 * layer's. With m = [h > 0] and e = dy Wu:
 * Backward:   dWu += dy^T h, dbu += sum_rows dy; dz = e * m, dWd += dz^T x,
 *             dbd += sum_rows dz; dx = dy + dz Wd.
 * R-forward:  R{h} = (R{x} Wd^T + x Vd^T + vbd) * m,  R{y} = R{x} + R{h} Wu^T + h Vu^T + vbu.
 * R-backward: R{dz} = (R{dy} Wu + dy Vu) * m (relu'' = 0);
 *             R{dWu} += R{dy}^T h + dy^T R{h}, R{dbu} += sum_rows R{dy},
 *             R{dWd} += R{dz}^T x + dz^T R{x}, R{dbd} += sum_rows R{dz},
 *             R{dx} = R{dy} + R{dz} Wd + dz Vd.
 * Work, four N x D blocks: h (forward), R{h} (rforward), dz (backward), R{dz}.
 * Settings: dim=D (the bottleneck). */
#include <math.h>
#include <stdio.h>

#include "nnet/layer.h"

/* The four parameter blocks of a slice w (parameters, gradients or a direction). */
typedef struct {
  Mat down, up;
  float *down_b, *up_b;
} Parts;

static Parts parts(const NnetLayer *l, const float *w) {
  int I = l->in_dim, D = l->ia[0];
  float *p = (float *)w;
  return (Parts){mat_view(p, D, I, I), mat_view(p + (size_t)D * I + D, I, D, D), p + (size_t)D * I,
                 p + (size_t)2 * D * I + D};
}

static bool adapter_configure(NnetLayer *l, NnetArgs *a, int default_out, char *err, size_t errlen) {
  (void)default_out;
  int D = 0;
  if (!nnet_arg_int(a, "dim", &D, err, errlen)) return false;
  if (D <= 0) {
    snprintf(err, errlen, "adapter needs dim= > 0 (the bottleneck)");
    return false;
  }
  if ((2LL * D + 1) * l->in_dim + D > NNET_MAX_PARAMS) {
    snprintf(err, errlen, "adapter %d -> %d: more than %d parameters", l->in_dim, D, NNET_MAX_PARAMS);
    return false;
  }
  l->ia[0] = D;
  l->out_dim = l->in_dim;
  l->num_params = 2 * D * l->in_dim + D + l->in_dim;
  return true;
}

static size_t adapter_work(const NnetLayer *l, int T, int B) { return 4 * (size_t)T * B * l->ia[0]; }

/* The down projection as affine's (+-1/sqrt(I)); the up projection and its bias zero. */
static void adapter_init(const NnetLayer *l, float *w, Rng *rng) {
  int I = l->in_dim, D = l->ia[0];
  nnet_fill_uniform(w, D * I + D, 1.0f / sqrtf((float)I), rng);
  for (int k = D * I + D; k < l->num_params; k++) w[k] = 0;
}

/* Block k (0: h, 1: R{h}, 2: dz, 3: R{dz}) of work for n rows. */
static Mat block(const NnetLayer *l, float *work, int n, int k) {
  int D = l->ia[0];
  return mat_view(work + (size_t)k * n * D, n, D, D);
}

/* The ReLU inside: the relu kind's passes (split among the matrix team, branch-free),
 * in place. relu ignores the layer, parameters, sequences and work it is given. */
extern const NnetLayerKind nnet_relu_kind;

/* h = relu(h) */
static void relu(Mat h) { nnet_relu_kind.forward(NULL, NULL, (NnetSeq){0}, (NnetSeq){0}, h, h, NULL); }

/* m = m * [h > 0] */
static void mask_rows(Mat m, Mat h) {
  nnet_relu_kind.backward(NULL, NULL, (NnetSeq){0}, (NnetSeq){0}, h, h, m, m, NULL, NULL);
}

/* m = c (0 when c is NULL), then m += ones * b^T */
static void set_rows(Mat m, Mat c, const float *b) {
  if (c.data) mat_copy(m, c);
  else mat_zero(m);
  mat_add_row_vec(m, b);
}

static void adapter_forward(const NnetLayer *l, const float *w, NnetSeq in, NnetSeq out, Mat x, Mat y,
                            float *work) {
  (void)in; (void)out;
  Parts p = parts(l, w);
  Mat h = block(l, work, x.rows, 0);
  set_rows(h, (Mat){0}, p.down_b);
  mat_gemm(false, true, 1.0f, x, p.down, 1.0f, h);
  relu(h);
  set_rows(y, x, p.up_b);
  mat_gemm(false, true, 1.0f, h, p.up, 1.0f, y);
}

static void adapter_backward(const NnetLayer *l, const float *w, NnetSeq in, NnetSeq out, Mat x, Mat y,
                             Mat dy, Mat dx, float *dw, float *work) {
  (void)in; (void)out; (void)y;
  Parts p = parts(l, w);
  Mat h = block(l, work, x.rows, 0), dz = block(l, work, x.rows, 2);
  mat_gemm(false, false, 1.0f, dy, p.up, 0.0f, dz); /* kept for rbackward even without dw, dx */
  mask_rows(dz, h);
  if (dw) {
    Parts g = parts(l, dw);
    mat_gemm(true, false, 1.0f, dy, h, 1.0f, g.up);
    mat_add_col_sums(g.up_b, 1.0f, dy);
    mat_gemm(true, false, 1.0f, dz, x, 1.0f, g.down);
    mat_add_col_sums(g.down_b, 1.0f, dz);
  }
  if (!dx.data) return;
  mat_copy(dx, dy);
  mat_gemm(false, false, 1.0f, dz, p.down, 1.0f, dx);
}

static void adapter_rforward(const NnetLayer *l, const float *w, const float *v, NnetSeq in, NnetSeq out,
                             Mat x, Mat rx, Mat y, Mat ry, float *work) {
  (void)in; (void)out; (void)y;
  Parts p = parts(l, w), d = parts(l, v);
  Mat h = block(l, work, x.rows, 0), rh = block(l, work, x.rows, 1);
  set_rows(rh, (Mat){0}, d.down_b);
  mat_gemm(false, true, 1.0f, x, d.down, 1.0f, rh);
  if (rx.data) mat_gemm(false, true, 1.0f, rx, p.down, 1.0f, rh);
  mask_rows(rh, h);
  set_rows(ry, rx, d.up_b);
  mat_gemm(false, true, 1.0f, rh, p.up, 1.0f, ry);
  mat_gemm(false, true, 1.0f, h, d.up, 1.0f, ry);
}

static void adapter_rbackward(const NnetLayer *l, const float *w, const float *v, NnetSeq in, NnetSeq out,
                              Mat x, Mat rx, Mat y, Mat ry, Mat dy, Mat rdy, Mat rdx, float *rdw,
                              float *work) {
  (void)in; (void)out; (void)y; (void)ry;
  Parts p = parts(l, w), d = parts(l, v), g = parts(l, rdw);
  int n = x.rows;
  Mat h = block(l, work, n, 0), rh = block(l, work, n, 1), dz = block(l, work, n, 2),
      rdz = block(l, work, n, 3);
  mat_gemm(false, false, 1.0f, rdy, p.up, 0.0f, rdz);
  mat_gemm(false, false, 1.0f, dy, d.up, 1.0f, rdz);
  mask_rows(rdz, h);
  mat_gemm(true, false, 1.0f, rdy, h, 1.0f, g.up);
  mat_gemm(true, false, 1.0f, dy, rh, 1.0f, g.up);
  mat_add_col_sums(g.up_b, 1.0f, rdy);
  mat_gemm(true, false, 1.0f, rdz, x, 1.0f, g.down);
  if (rx.data) mat_gemm(true, false, 1.0f, dz, rx, 1.0f, g.down);
  mat_add_col_sums(g.down_b, 1.0f, rdz);
  if (!rdx.data) return;
  mat_copy(rdx, rdy);
  mat_gemm(false, false, 1.0f, rdz, p.down, 1.0f, rdx);
  mat_gemm(false, false, 1.0f, dz, d.down, 1.0f, rdx);
}

const NnetLayerKind nnet_adapter_kind = {
    .name = "adapter",
    .frame_wise = true,
    .configure = adapter_configure,
    .work_floats = adapter_work,
    .init = adapter_init,
    .forward = adapter_forward,
    .backward = adapter_backward,
    .rforward = adapter_rforward,
    .rbackward = adapter_rbackward,
};
