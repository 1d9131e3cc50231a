/* Elementwise nonlinearities y = f(x), no parameters, any shape (N x D, N = T*B).
 *   backward:  dx = dy f'(x)
 *   R-forward: R{y} = f'(x) R{x}
 *   R-backward: R{dx} = R{dy} f'(x) + dy f''(x) R{x}
 * Derivatives are written through y: relu f' = [x > 0], f'' = 0;
 * tanh f' = 1 - y^2, f'' = -2 y (1 - y^2); sigmoid f' = y (1 - y), f'' = y (1 - y)(1 - 2y).
 * Rows are independent: on several threads (mat_set_num_threads) they split among the
 * matrix team (mat_team_rows), with one thread's bits. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "matrix/team.h"
#include "nnet/layer.h"

enum { RELU, TANH, SIGMOID };

static bool nonlin_configure(NnetLayer *l, NnetArgs *a, int default_out, char *err, size_t errlen) {
  (void)a; (void)default_out; (void)err; (void)errlen;
  l->out_dim = l->in_dim;
  l->num_params = 0;
  return true;
}

typedef float v4sf __attribute__((vector_size(16)));
typedef int v4si __attribute__((vector_size(16)));

/* o = sel > 0 ? a : 0, four lanes at a time with a mask (SSE2, the x86-64 baseline): the
 * ReLU (sel = a = x) and its derivative (sel = y). The compiler leaves the plain loop
 * scalar with a branch that the signs of activations mispredict half the time. */
static void keep_positive(float *o, const float *sel, const float *a, int n) {
  int c = 0;
  for (; c + 4 <= n; c += 4) {
    v4sf s, v;
    memcpy(&s, sel + c, sizeof(s));
    memcpy(&v, a + c, sizeof(v));
    v = (v4sf)((s > 0.0f) & (v4si)v);
    memcpy(o + c, &v, sizeof(v));
  }
  for (; c < n; c++) o[c] = sel[c] > 0 ? a[c] : 0;
}

/* The operands of apply (x, y) or chain (y, a, b, c, out). */
typedef struct {
  int kind;
  Mat x, y, a, b, c, out;
} Job;

/* One loop per kind, the kind tested once a row. */
static void apply_rows(void *arg, int r0, int r1) {
  const Job *j = arg;
  int kind = j->kind;
  Mat x = j->x, y = j->y;
  for (int r = r0; r < r1; r++) {
    const float *xr = mat_row(x, r);
    float *yr = mat_row(y, r);
    int n = x.cols;
    if (kind == RELU)
      keep_positive(yr, xr, xr, n);
    else if (kind == TANH)
      for (int c = 0; c < n; c++) yr[c] = tanhf(xr[c]);
    else
      for (int c = 0; c < n; c++) yr[c] = 1.0f / (1.0f + expf(-xr[c]));
  }
}

static void apply(int kind, Mat x, Mat y) {
  Job j = {.kind = kind, .x = x, .y = y};
  mat_team_rows(x.rows, x.cols, apply_rows, &j);
}

/* out = a * f'(y) + b * f''(y) * c (b absent: the first term alone) */
static void chain_rows(void *arg, int r0, int r1) {
  const Job *j = arg;
  int kind = j->kind, n = j->y.cols;
  for (int r = r0; r < r1; r++) {
    const float *yr = mat_row(j->y, r), *ar = mat_row(j->a, r);
    float *o = mat_row(j->out, r);
    if (kind == RELU)
      keep_positive(o, yr, ar, n);
    else if (kind == TANH)
      for (int k = 0; k < n; k++) o[k] = ar[k] * (1 - yr[k] * yr[k]);
    else
      for (int k = 0; k < n; k++) o[k] = ar[k] * yr[k] * (1 - yr[k]);
    if (!j->b.data || kind == RELU) continue;
    const float *br = mat_row(j->b, r), *cr = mat_row(j->c, r);
    if (kind == TANH)
      for (int k = 0; k < n; k++) o[k] += br[k] * cr[k] * (-2 * yr[k] * (1 - yr[k] * yr[k]));
    else
      for (int k = 0; k < n; k++) o[k] += br[k] * cr[k] * yr[k] * (1 - yr[k]) * (1 - 2 * yr[k]);
  }
}

static void chain(int kind, Mat y, Mat a, Mat b, Mat c, Mat out) {
  Job j = {.kind = kind, .y = y, .a = a, .b = b, .c = c, .out = out};
  mat_team_rows(y.rows, y.cols, chain_rows, &j);
}

#define NONLIN_KIND(NAME, KIND, STR)                                                              \
  static void NAME##_forward(const NnetLayer *l, const float *w, NnetSeq in, NnetSeq out, Mat x,  \
                             Mat y, float *work) {                                                \
    (void)l; (void)w; (void)in; (void)out; (void)work;                                            \
    apply(KIND, x, y);                                                                            \
  }                                                                                               \
  static void NAME##_backward(const NnetLayer *l, const float *w, NnetSeq in, NnetSeq out, Mat x, \
                              Mat y, Mat dy, Mat dx, float *dw, float *work) {                    \
    (void)l; (void)w; (void)in; (void)out; (void)x; (void)dw; (void)work;                         \
    if (dx.data) chain(KIND, y, dy, (Mat){0}, (Mat){0}, dx);                                      \
  }                                                                                               \
  static void NAME##_rforward(const NnetLayer *l, const float *w, const float *v, NnetSeq in,     \
                              NnetSeq out, Mat x, Mat rx, Mat y, Mat ry, float *work) {           \
    (void)l; (void)w; (void)v; (void)in; (void)out; (void)x; (void)work;                          \
    chain(KIND, y, rx, (Mat){0}, (Mat){0}, ry);                                                   \
  }                                                                                               \
  static void NAME##_rbackward(const NnetLayer *l, const float *w, const float *v, NnetSeq in,    \
                               NnetSeq out, Mat x, Mat rx, Mat y, Mat ry, Mat dy, Mat rdy,        \
                               Mat rdx, float *rdw, float *work) {                                \
    (void)l; (void)w; (void)v; (void)in; (void)out; (void)x; (void)ry; (void)rdw; (void)work;     \
    if (rdx.data) chain(KIND, y, rdy, dy, rx, rdx);                                               \
  }                                                                                               \
  const NnetLayerKind nnet_##NAME##_kind = {                                                      \
      .name = STR,                                                                                \
      .frame_wise = true,                                                                         \
      .configure = nonlin_configure,                                                              \
      .forward = NAME##_forward,                                                                  \
      .backward = NAME##_backward,                                                                \
      .rforward = NAME##_rforward,                                                                \
      .rbackward = NAME##_rbackward,                                                              \
  };

NONLIN_KIND(relu, RELU, "relu")
NONLIN_KIND(tanh, TANH, "tanh")
NONLIN_KIND(sigmoid, SIGMOID, "sigmoid")
