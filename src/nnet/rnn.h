/* Pieces shared by the recurrent layers (lstm.c, gru.c); internal to src/nnet.
 *
 * Settings of both kinds: dim=H (units per direction, required) and
 * bidirectional=true|false (default false). A bidirectional layer runs a second,
 * reverse-time recurrence and outputs [h_forward, h_reverse] (out_dim 2H), as PyTorch's
 * bidirectional=True does. ia[0] = H, ia[1] = number of directions.
 *
 * Parameters of one direction, PyTorch's layout and names, for G gates (LSTM 4, GRU 3):
 *   W_ih (G*H x I), W_hh (G*H x H), b_ih (G*H), b_hh (G*H), row-major, one after the
 * other; the reverse direction's block follows the forward one's. So the flat slice is
 * torch's weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0[, *_reverse] concatenated.
 *
 * Time order: direction 0 runs t = 0..T-1, direction 1 runs t = T-1..0 and starts each
 * utterance at len[b]-1 with a zero state. Padded frames (t >= len[b]) get a zero state
 * and output, so the reverse recurrence, reading frame t+1 as its predecessor, starts
 * from zero at len[b]-1 without any special case, and every tangent and gradient row of
 * a padded frame is zero. Whole-sequence products (input projections, weight
 * gradients) are single gemms; only h_{t-1} W_hh^T and its transposes are per step. */
#ifndef NNET_RNN_H
#define NNET_RNN_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#include "matrix/matrix.h"
#include "matrix/team.h"
#include "nnet/layer.h"

/* configure() of a recurrent kind with `gates` gate blocks. */
bool nnet_rnn_configure(NnetLayer *l, NnetArgs *a, int gates, char *err, size_t errlen);

/* PyTorch's initialisation: every parameter uniform in +-1/sqrt(H). */
void nnet_rnn_init(const NnetLayer *l, float *w, Rng *rng);

/* One direction's weights inside a slice w (parameters, gradients or a direction v). */
typedef struct {
  Mat Wih, Whh;     /* G*H x I, G*H x H */
  float *bih, *bhh; /* G*H each */
} RnnWeights;
RnnWeights nnet_rnn_weights(const NnetLayer *l, const float *w, int gates, int dir);

/* Floats of W_hh (G*H x H) packed for the per-step products in either orientation:
 * W_hh^T forward (k = H, n = G*H), W_hh backward (k = G*H, n = H). */
size_t nnet_rnn_packed_floats(int H, int gates);

/* Sets every row of m to a + b (b may be NULL). */
void nnet_rnn_fill_bias(Mat m, const float *a, const float *b);

/* The rows of `cur` whose frame has a predecessor in direction dir's time order, and
 * the rows of `prev` holding those predecessors ((T-1)*B rows each): turns
 * sum_t A_t B_{t-1} into one gemm. */
void nnet_rnn_shift(int T, int B, int dir, Mat cur, Mat prev, Mat *cur_rows, Mat *prev_rows);

/* One direction's weight gradients from its gate gradients: dw.Wih += d_in^T x,
 * dw.Whh += sum_t d_h(t)^T h(t-1), and with_bias: dw.bih += sum d_in, dw.bhh += sum d_h.
 * x.data NULL skips the W_ih term. d_in and d_h may be the same matrix (the LSTM's da):
 * its column sums are then read once for both biases, with the same bits. The R-pass
 * calls it twice: with R{d} and x, h, then without bias with d and R{x}, R{h} (the
 * product rule). */
void nnet_rnn_weight_grads(int T, int B, int dir, Mat d_in, Mat d_h, Mat x, Mat h, bool with_bias,
                           RnnWeights dw);

/* Takes n floats from *p, keeping 64-byte alignment. */
static inline float *nnet_rnn_take(float **p, size_t n) {
  float *r = *p;
  *p += (n + 15) & ~(size_t)15;
  return r;
}
static inline size_t nnet_rnn_round(size_t n) { return (n + 15) & ~(size_t)15; }

/* Frame of step k (0..T-1) of direction dir; its predecessor is t - s, successor t + s. */
static inline int nnet_rnn_frame(int T, int dir, int k) { return dir ? T - 1 - k : k; }
static inline int nnet_rnn_sign(int dir) { return dir ? -1 : 1; }

/* Row b of frame t in a time-major buffer of `width` floats a row. */
static inline float *nnet_rnn_row(float *buf, int t, int B, int b, int width) {
  return buf + ((size_t)t * (size_t)B + (size_t)b) * (size_t)width;
}

/* Frame t of one step of a pass, its predecessor tp and successor tn in the direction's
 * time order (-1: none). */
typedef struct {
  int t, tp, tn;
} RnnFrames;

/* A layer's cell updates of rows [b0, b1) of frame f.t of a pass; step holds the pass's
 * buffers, read-only. Each row's result must not depend on the others. */
typedef void (*RnnRowsFn)(const void *step, RnnFrames f, int b0, int b1);

/* One pass of a recurrence over the T frames of a batch of B rows (row t*B + b), in
 * direction dir's time order, or in reverse when `backward`: at each frame t,
 * C[t] += A[src] op(W) for src its predecessor (its successor when backward), if it has
 * one, then rows(step, frames, 0, B). A and C are T*B-row views, H the units a row.
 * Rows do not mix through time: on a team of several threads (mat_set_num_threads),
 * each takes a block of at least 4 rows through every frame, one hand-off a pass (the
 * packed product keeps its speed down to 4 rows; below, W streams from cache for too
 * few of them). With fewer rows, each frame's product splits its panels and the cell
 * updates their rows (a cell update counting as 8 elementwise operations for
 * mat_team_rows). Either way each row has one thread's bits. */
typedef struct {
  int T, B, H, dir;
  bool backward;
  MatPacked w;
  Mat a, c;
  RnnRowsFn rows;
  const void *step;
} RnnPass;
void nnet_rnn_pass(const RnnPass *p);

/* y = sigmoid(x), y = tanh(x) elementwise, vectorised (y may be x). */
void nnet_rnn_sigmoid(float *y, const float *x, int n);
void nnet_rnn_tanh(float *y, const float *x, int n);
/* The same on a given instruction set (the CPU must have it): every one gives the same
 * bits. For tests. */
void nnet_rnn_act_simd(MatSimd simd, bool is_tanh, float *y, const float *x, int n);

#endif
