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

/* The gate nonlinearities, vectorised with GCC/Clang vector extensions (no -ffast-math)
 * for the widest instruction set the CPU has (rnn-act.h; mat_simd_best at each call, a
 * cached CPU flag): SSE2's 4 lanes (the x86-64 baseline), AVX2's 8 or AVX-512's 16, with
 * the same bits. */
#define ACT_INLINE static inline __attribute__((always_inline))

#define ACT(name) act_##name##_avx512
#define ACT_TARGET __attribute__((target("avx512f")))
#define ACT_FLOATS 16
#include "nnet/rnn-act.h"

#define ACT(name) act_##name##_avx2
#define ACT_TARGET __attribute__((target("avx2")))
#define ACT_FLOATS 8
#include "nnet/rnn-act.h"

#define ACT(name) act_##name##_base
#define ACT_TARGET
#define ACT_FLOATS 4
#include "nnet/rnn-act.h"

void nnet_rnn_act_simd(MatSimd simd, bool is_tanh, float *y, const float *x, int n) {
  if (simd == MAT_SIMD_AVX512) is_tanh ? act_tanh_avx512(y, x, n) : act_sigmoid_avx512(y, x, n);
  else if (simd == MAT_SIMD_AVX2) is_tanh ? act_tanh_avx2(y, x, n) : act_sigmoid_avx2(y, x, n);
  else is_tanh ? act_tanh_base(y, x, n) : act_sigmoid_base(y, x, n);
}

void nnet_rnn_sigmoid(float *y, const float *x, int n) { nnet_rnn_act_simd(mat_simd_best(), false, y, x, n); }
void nnet_rnn_tanh(float *y, const float *x, int n) { nnet_rnn_act_simd(mat_simd_best(), true, y, x, n); }

#define PASS_MIN_ROWS 4 /* rows a thread for the packed product to keep its speed */

static RnnFrames pass_frames(const RnnPass *p, int i) {
  int n = p->backward ? p->T - 1 - i : i, t = nnet_rnn_frame(p->T, p->dir, n), s = nnet_rnn_sign(p->dir);
  return (RnnFrames){t, n ? t - s : -1, n < p->T - 1 ? t + s : -1};
}

/* C[f.t] += A[src] op(W) over rows b0..b0+n-1, src being the frame the pass reads (the
 * predecessor, or the successor going backward), when there is one; on this thread, or
 * split among the team (`split`). */
static void frame_product(const RnnPass *p, RnnFrames f, int b0, int n, bool split) {
  int src = p->backward ? f.tn : f.tp;
  if (src < 0) return;
  Mat a = mat_rows(p->a, src * p->B + b0, n), c = mat_rows(p->c, f.t * p->B + b0, n);
  if (split) mat_gemm_packed(a, p->w, c);
  else mat_gemm_packed_serial(a, p->w, c);
}

/* Part `part` of `parts` of the batch's rows, through every frame. */
static void pass_part(void *arg, int part, int parts) {
  const RnnPass *p = arg;
  int b0 = p->B * part / parts, n = p->B * (part + 1) / parts - b0;
  for (int i = 0; i < p->T; i++) {
    RnnFrames f = pass_frames(p, i);
    frame_product(p, f, b0, n, false);
    p->rows(p->step, f, b0, b0 + n);
  }
}

typedef struct {
  const RnnPass *p;
  RnnFrames f;
} FrameRows;

static void frame_rows(void *arg, int b0, int b1) {
  const FrameRows *r = arg;
  r->p->rows(r->p->step, r->f, b0, b1);
}

void nnet_rnn_pass(const RnnPass *p) {
  int parts = mat_team_size(), most = p->B / PASS_MIN_ROWS;
  if (parts > most) parts = most;
  if (parts >= 2) {
    mat_team_run(parts, pass_part, (void *)p);
    return;
  }
  for (int i = 0; i < p->T; i++) { /* too few rows for blocks: each frame split */
    FrameRows r = {p, pass_frames(p, i)};
    frame_product(p, r.f, 0, p->B, true);
    mat_team_rows(p->B, 8 * p->H, frame_rows, &r);
  }
}
