/* Settings, parameter views and time-shift helpers shared by lstm.c and gru.c (rnn.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nnet/rnn.h"

bool nnet_rnn_configure(NnetLayer *l, NnetArgs *a, int gates, char *err, size_t errlen) {
  int dim = 0;
  bool bidir = false;
  if (!nnet_arg_int(a, "dim", &dim, err, errlen)) return false;
  if (!nnet_arg_bool(a, "bidirectional", &bidir, err, errlen)) return false;
  if (dim <= 0) {
    snprintf(err, errlen, "%s needs dim= > 0 (units per direction)", l->kind->name);
    return false;
  }
  int dirs = bidir ? 2 : 1;
  long per_dir = (long)gates * dim * (l->in_dim + dim + 2);
  if (per_dir * dirs > 1000000000L) {
    snprintf(err, errlen, "%s dim=%d: too many parameters", l->kind->name, dim);
    return false;
  }
  l->ia[0] = dim;
  l->ia[1] = dirs;
  l->out_dim = dirs * dim;
  l->num_params = (int)(per_dir * dirs);
  return true;
}

void nnet_rnn_init(const NnetLayer *l, float *w, Rng *rng) {
  nnet_fill_uniform(w, l->num_params, 1.0f / sqrtf((float)l->ia[0]), rng);
}

RnnWeights nnet_rnn_weights(const NnetLayer *l, const float *w, int gates, int dir) {
  int H = l->ia[0], I = l->in_dim, GH = gates * H;
  float *p = (float *)w + (size_t)dir * (size_t)GH * (size_t)(I + H + 2);
  RnnWeights r;
  r.Wih = mat_view(p, GH, I, I);
  r.Whh = mat_view(p + (size_t)GH * I, GH, H, H);
  r.bih = p + (size_t)GH * (I + H);
  r.bhh = r.bih + GH;
  return r;
}

size_t nnet_rnn_packed_floats(int H, int gates) {
  size_t fwd = mat_packed_floats(H, gates * H), bwd = mat_packed_floats(gates * H, H);
  return fwd > bwd ? fwd : bwd;
}

void nnet_rnn_fill_bias(Mat m, const float *a, const float *b) {
  if (m.rows == 0) return;
  float *first = mat_row(m, 0);
  for (int c = 0; c < m.cols; c++) first[c] = b ? a[c] + b[c] : a[c];
  for (int r = 1; r < m.rows; r++) memcpy(mat_row(m, r), first, sizeof(float) * (size_t)m.cols);
}

void nnet_rnn_shift(int T, int B, int dir, Mat cur, Mat prev, Mat *cur_rows, Mat *prev_rows) {
  int n = (T - 1) * B;
  *cur_rows = mat_rows(cur, dir ? 0 : B, n);
  *prev_rows = mat_rows(prev, dir ? B : 0, n);
}

void nnet_rnn_weight_grads(int T, int B, int dir, Mat d_in, Mat d_h, Mat x, Mat h, bool with_bias,
                           RnnWeights dw) {
  Mat cur, prev;
  if (x.data) mat_gemm(true, false, 1.0f, d_in, x, 1.0f, dw.Wih);
  nnet_rnn_shift(T, B, dir, d_h, h, &cur, &prev);
  mat_gemm(true, false, 1.0f, cur, prev, 1.0f, dw.Whh);
  if (!with_bias) return;
  if (d_in.data == d_h.data) { /* the LSTM: one gate gradient for both biases, read once */
    mat_add_col_sums2(dw.bih, dw.bhh, 1.0f, d_in);
    return;
  }
  mat_add_col_sums(dw.bih, 1.0f, d_in);
  mat_add_col_sums(dw.bhh, 1.0f, d_h);
}

/* Vectorised exp for the gate nonlinearities (Cephes' expf: exp(x) = 2^n exp(r),
 * r = x - n ln2 in [-ln2/2, ln2/2], a degree-7 polynomial; about 1 ulp), four lanes
 * with GCC/Clang vector extensions (SSE2, the x86-64 baseline; no -ffast-math). */
typedef float v4sf __attribute__((vector_size(16)));
typedef int v4si __attribute__((vector_size(16)));

static inline v4sf select4(v4si mask, v4sf a, v4sf b) { return (v4sf)((mask & (v4si)a) | (~mask & (v4si)b)); }

static inline v4sf exp4(v4sf x) {
  const v4sf hi = {88.3762626647949f, 88.3762626647949f, 88.3762626647949f, 88.3762626647949f};
  x = select4(x > hi, hi, x);
  x = select4(x < -hi, -hi, x);
  v4sf fx = x * 1.44269504088896341f + 0.5f;
  v4sf t = __builtin_convertvector(__builtin_convertvector(fx, v4si), v4sf);
  fx = t + __builtin_convertvector(t > fx, v4sf); /* floor: the mask is -1 where t > fx */
  x = x - fx * 0.693359375f + fx * 2.12194440e-4f;
  v4sf z = x * x;
  v4sf y = 1.9875691500e-4f * x + 1.3981999507e-3f;
  y = y * x + 8.3334519073e-3f;
  y = y * x + 4.1665795894e-2f;
  y = y * x + 1.6666665459e-1f;
  y = y * x + 5.0000001201e-1f;
  y = y * z + x + 1.0f;
  v4si e = (__builtin_convertvector(fx, v4si) + 127) << 23;
  return y * (v4sf)e;
}

/* Applies expr (of the vector v) to n floats from x into y (may be the same array),
 * four at a time; the tail goes through a padded vector, so every element gets the
 * same arithmetic wherever it lies. */
#define MAP4(y, x, n, expr)                                         \
  do {                                                              \
    int i_ = 0;                                                     \
    for (; i_ + 4 <= (n); i_ += 4) {                                \
      v4sf v;                                                       \
      memcpy(&v, (x) + i_, sizeof(v));                              \
      v = (expr);                                                   \
      memcpy((y) + i_, &v, sizeof(v));                              \
    }                                                               \
    if (i_ < (n)) {                                                 \
      v4sf v = {0, 0, 0, 0};                                        \
      memcpy(&v, (x) + i_, sizeof(float) * (size_t)((n) - i_));    \
      v = (expr);                                                   \
      memcpy((y) + i_, &v, sizeof(float) * (size_t)((n) - i_));    \
    }                                                               \
  } while (0)

/* Cells of a step below which it stays on one thread: 2048 LSTM cells take several
 * microseconds, a hand-off to the team's spinning workers about one. */
#define ROWS_MIN_CELLS 2048

void nnet_rnn_rows(int B, int H, MatTeamFn fn, void *arg) {
  int parts = (long)B * H < ROWS_MIN_CELLS ? 1 : mat_team_size() < B ? mat_team_size() : B;
  mat_team_run(parts, fn, arg);
}

void nnet_rnn_sigmoid(float *y, const float *x, int n) { MAP4(y, x, n, 1.0f / (1.0f + exp4(-v))); }

/* Cephes' tanhf: an odd polynomial for |x| < 0.625, else 1 - 2 / (exp(2|x|) + 1) with
 * the sign of x; about 1 ulp relative everywhere. */
static inline v4sf tanh4(v4sf x) {
  v4si neg = x < 0.0f;
  v4sf a = select4(neg, -x, x), z = x * x;
  v4sf p = -5.70498872745e-3f * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  v4sf small = p * z * x + x;
  v4sf big = 1.0f - 2.0f / (exp4(a + a) + 1.0f);
  return select4(a < 0.625f, small, select4(neg, -big, big));
}

void nnet_rnn_tanh(float *y, const float *x, int n) { MAP4(y, x, n, tanh4(v)); }
