/* LSTM layer (Hochreiter & Schmidhuber 1997, with forget gate; PyTorch's equations):
 *   a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh      (4H: blocks i, f, g, o)
 *   i = sig(a_i), f = sig(a_f), g = tanh(a_g), o = sig(a_o)
 *   c_t = f c_{t-1} + i g,   h_t = o tanh(c_t),   h_{-1} = c_{-1} = 0.
 * Config: lstm dim=H [bidirectional=true]; output h (T*B x H), or [h_fwd, h_rev] (2H).
 * Parameter layout, time order and padding: rnn.h (exactly torch.nn.LSTM's flat order).
 *
 * Backward through time (dh_t = dy_t + W_hh^T da_{t+1}, with the carry dc):
 *   dc_t = dh_t o (1 - tc^2) + dc_{t+1} f_{t+1},  tc = tanh(c_t)
 *   da_i = dc g i(1-i), da_f = dc c_{t-1} f(1-f), da_g = dc i (1-g^2), da_o = dh tc o(1-o)
 *   dW_ih += da^T x, dW_hh += da_t^T h_{t-1}, db_ih = db_hh += sum da, dx = da W_ih.
 * R-operator (Pearlmutter 1994) for the direction V: rforward differentiates the forward
 * equations (R{a} = V_ih x + W_ih R{x} + V_hh h_{t-1} + W_hh R{h_{t-1}} + V_b, ...),
 * rbackward the backward ones (cell_rbackward below): exact, no finite step.
 * Products: the input projections of all frames are one gemm, weight gradients one gemm
 * each over all frames; h_{t-1} W_hh^T (and R{da_{t+1}} W_hh, its transposes backward)
 * one product a time step over the B rows of that step, with W_hh packed once a pass
 * (mat_gemm_packed: sgemm would repack it at every step). The time loop of each pass is
 * nnet_rnn_pass's, which on several threads (mat_set_num_threads) splits it among the
 * matrix team, with one thread's bits.
 * Work: 22H floats a frame and direction, and the packed W_hh (4H^2, panels padded) a
 * direction. */
#include <string.h>

#include "nnet/rnn.h"

#define GATES 4

/* Work of one direction, each N = T*B rows, time-major. */
typedef struct {
  float *Z;           /* B x 4H zeros: state, gates and carries outside the sequence */
  float *WP;          /* W_hh packed for the per-step products: W_hh^T forward, W_hh backward */
  float *G, *C, *TC;  /* forward: gates i f g o (activated), c, tanh(c) */
  float *DA, *DC, *DH; /* backward: dL/da, dL/dc, dL/dh */
  float *RG, *RC;     /* rforward: R{a} then R{i f g o}, R{c} */
  float *RDA, *RDH;   /* rbackward: R{da}; R{dh}, overwritten by R{dc} once used */
} Bufs;

static size_t dir_floats(int H, int T, int B) {
  size_t n = (size_t)T * B, h = (size_t)H;
  return nnet_rnn_round(4 * h * B) + nnet_rnn_round(nnet_rnn_packed_floats(H, GATES)) +
         4 * nnet_rnn_round(4 * h * n) + 6 * nnet_rnn_round(h * n);
}

static size_t lstm_work_floats(const NnetLayer *l, int T, int B) {
  return (size_t)l->ia[1] * dir_floats(l->ia[0], T, B);
}

static Bufs bufs(const NnetLayer *l, int T, int B, int dir, float *work) {
  size_t H = (size_t)l->ia[0], n = (size_t)T * B;
  float *p = work + (size_t)dir * dir_floats(l->ia[0], T, B);
  Bufs k;
  k.Z = nnet_rnn_take(&p, 4 * H * B);
  k.WP = nnet_rnn_take(&p, nnet_rnn_packed_floats(l->ia[0], GATES));
  k.G = nnet_rnn_take(&p, 4 * H * n);
  k.DA = nnet_rnn_take(&p, 4 * H * n);
  k.RG = nnet_rnn_take(&p, 4 * H * n);
  k.RDA = nnet_rnn_take(&p, 4 * H * n);
  k.C = nnet_rnn_take(&p, H * n);
  k.TC = nnet_rnn_take(&p, H * n);
  k.DC = nnet_rnn_take(&p, H * n);
  k.DH = nnet_rnn_take(&p, H * n);
  k.RC = nnet_rnn_take(&p, H * n);
  k.RDH = nnet_rnn_take(&p, H * n);
  memset(k.Z, 0, sizeof(float) * 4 * H * B);
  return k;
}

static bool lstm_configure(NnetLayer *l, NnetArgs *a, int default_out, char *err, size_t errlen) {
  (void)default_out;
  return nnet_rnn_configure(l, a, GATES, err, errlen);
}

/* Row b of frame t of a buffer of width w, or the zeros when t is outside [0, T). */
#define ROW(buf, t, w) ((t) >= 0 && (t) < T ? nnet_rnn_row(buf, t, B, b, w) : k.Z + (size_t)b * 4 * H)
#define SIZE(w) (sizeof(float) * (size_t)(w))

/* A pass's buffers, for its row functions (RnnRowsFn, nnet_rnn_pass). */
typedef struct {
  Bufs k;
  int H, T, B;
  const int *len;
  Mat h; /* forward: h; rforward: R{h} */
} Step;

/* Opens a row function over rows [b0, b1) of frames f: the step's fields and frames as
 * locals (ROW reads k, T, B and b). */
#define STEP_LOCALS(arg, f)                                                         \
  const Step *st = arg;                                                             \
  Bufs k = st->k;                                                                   \
  int H = st->H, T = st->T, B = st->B, t = (f).t, tp = (f).tp, tn = (f).tn;         \
  (void)tn

static void cell_forward(int H, float *g, const float *cp, float *c, float *tc, float *h) {
  nnet_rnn_sigmoid(g, g, 2 * H);
  nnet_rnn_tanh(g + 2 * H, g + 2 * H, H);
  nnet_rnn_sigmoid(g + 3 * H, g + 3 * H, H);
  #pragma omp simd
  for (int j = 0; j < H; j++) c[j] = g[H + j] * cp[j] + g[j] * g[2 * H + j];
  nnet_rnn_tanh(tc, c, H);
  #pragma omp simd
  for (int j = 0; j < H; j++) h[j] = g[3 * H + j] * tc[j];
}

static void forward_rows(const void *arg, RnnFrames f, int b0, int b1) {
  STEP_LOCALS(arg, f);
  for (int b = b0; b < b1; b++) {
    float *g = ROW(k.G, t, 4 * H), *c = ROW(k.C, t, H), *tc = ROW(k.TC, t, H);
    float *hr = mat_row(st->h, t * B + b);
    if (t >= st->len[b]) {
      memset(g, 0, SIZE(4 * H)), memset(c, 0, SIZE(H)), memset(tc, 0, SIZE(H)), memset(hr, 0, SIZE(H));
      continue;
    }
    cell_forward(H, g, ROW(k.C, tp, H), c, tc, hr);
  }
}

static void forward_dir(const NnetLayer *l, const float *w, int dir, NnetSeq in, Mat x, Mat y,
                        float *work) {
  int H = l->ia[0], T = in.T, B = in.B;
  Bufs k = bufs(l, T, B, dir, work);
  RnnWeights p = nnet_rnn_weights(l, w, GATES, dir);
  Mat G = mat_view(k.G, T * B, 4 * H, 4 * H), h = mat_cols(y, dir * H, H);
  Step step = {k, H, T, B, in.len, h};
  nnet_rnn_fill_bias(G, p.bih, p.bhh);
  mat_gemm(false, true, 1.0f, x, p.Wih, 1.0f, G);
  nnet_rnn_pass(&(RnnPass){T, B, H, dir, false, mat_pack(true, p.Whh, k.WP), h, G, forward_rows, &step});
}

static void lstm_forward(const NnetLayer *l, const float *w, NnetSeq in, NnetSeq out, Mat x, Mat y,
                         float *work) {
  (void)out;
  for (int d = 0; d < l->ia[1]; d++) forward_dir(l, w, d, in, x, y, work);
}

/* Given the gates g, tanh(c) tc, c_{t-1} cp, dh and the successor's carry dcn and gates gn:
 * dc and da of this frame. */
static void cell_backward(int H, const float *g, const float *tc, const float *cp, const float *dh,
                          const float *dcn, const float *gn, float *dc, float *da) {
  #pragma omp simd
  for (int j = 0; j < H; j++) {
    float i = g[j], f = g[H + j], gg = g[2 * H + j], o = g[3 * H + j];
    float d = dh[j] * o * (1 - tc[j] * tc[j]) + dcn[j] * gn[H + j];
    dc[j] = d;
    da[j] = d * gg * i * (1 - i);
    da[H + j] = d * cp[j] * f * (1 - f);
    da[2 * H + j] = d * i * (1 - gg * gg);
    da[3 * H + j] = dh[j] * tc[j] * o * (1 - o);
  }
}

static void backward_rows(const void *arg, RnnFrames f, int b0, int b1) {
  STEP_LOCALS(arg, f);
  for (int b = b0; b < b1; b++) {
    float *da = ROW(k.DA, t, 4 * H), *dc = ROW(k.DC, t, H), *dh = ROW(k.DH, t, H);
    if (t >= st->len[b]) { /* the gradient reaching a padded (constant zero) state stops */
      memset(da, 0, SIZE(4 * H)), memset(dc, 0, SIZE(H)), memset(dh, 0, SIZE(H));
      continue;
    }
    cell_backward(H, ROW(k.G, t, 4 * H), ROW(k.TC, t, H), ROW(k.C, tp, H), dh, ROW(k.DC, tn, H),
                  ROW(k.G, tn, 4 * H), dc, da);
  }
}

/* Backward of one direction: fills DA, DC, DH; adds this direction's dW (when dw). */
static void backward_dir(const NnetLayer *l, const float *w, int dir, NnetSeq in, Mat x, Mat y, Mat dy,
                         float *dw, float *work) {
  int H = l->ia[0], T = in.T, B = in.B;
  Bufs k = bufs(l, T, B, dir, work);
  RnnWeights p = nnet_rnn_weights(l, w, GATES, dir);
  Mat DA = mat_view(k.DA, T * B, 4 * H, 4 * H), DH = mat_view(k.DH, T * B, H, H);
  Mat h = mat_cols(y, dir * H, H);
  Step step = {k, H, T, B, in.len, h};
  mat_copy(DH, mat_cols(dy, dir * H, H));
  nnet_rnn_pass(&(RnnPass){T, B, H, dir, true, mat_pack(false, p.Whh, k.WP), DA, DH, backward_rows, &step});
  if (dw) nnet_rnn_weight_grads(T, B, dir, DA, DA, x, h, true, nnet_rnn_weights(l, dw, GATES, dir));
}

static void lstm_backward(const NnetLayer *l, const float *w, NnetSeq in, NnetSeq out, Mat x, Mat y,
                          Mat dy, Mat dx, float *dw, float *work) {
  (void)out;
  int H = l->ia[0], N = in.T * in.B;
  for (int d = 0; d < l->ia[1]; d++) {
    backward_dir(l, w, d, in, x, y, dy, dw, work);
    if (dx.data)
      mat_gemm(false, false, 1.0f, mat_view(bufs(l, in.T, in.B, d, work).DA, N, 4 * H, 4 * H),
               nnet_rnn_weights(l, w, GATES, d).Wih, d ? 1.0f : 0.0f, dx);
  }
}

/* rg: R{a} in, R{i f g o} out; rc, rh: R{c}, R{h} from R{c_{t-1}} rcp. */
static void cell_rforward(int H, const float *g, float *rg, const float *tc, const float *cp,
                          const float *rcp, float *rc, float *rh) {
  #pragma omp simd
  for (int j = 0; j < H; j++) {
    float i = g[j], f = g[H + j], gg = g[2 * H + j], o = g[3 * H + j];
    float ri = i * (1 - i) * rg[j], rf = f * (1 - f) * rg[H + j];
    float rgg = (1 - gg * gg) * rg[2 * H + j], ro = o * (1 - o) * rg[3 * H + j];
    rg[j] = ri, rg[H + j] = rf, rg[2 * H + j] = rgg, rg[3 * H + j] = ro;
    rc[j] = rf * cp[j] + f * rcp[j] + ri * gg + i * rgg;
    rh[j] = ro * tc[j] + o * (1 - tc[j] * tc[j]) * rc[j];
  }
}

static void rforward_rows(const void *arg, RnnFrames f, int b0, int b1) {
  STEP_LOCALS(arg, f);
  for (int b = b0; b < b1; b++) {
    float *rg = ROW(k.RG, t, 4 * H), *rc = ROW(k.RC, t, H), *rhr = mat_row(st->h, t * B + b);
    if (t >= st->len[b]) {
      memset(rg, 0, SIZE(4 * H)), memset(rc, 0, SIZE(H)), memset(rhr, 0, SIZE(H));
      continue;
    }
    cell_rforward(H, ROW(k.G, t, 4 * H), rg, ROW(k.TC, t, H), ROW(k.C, tp, H), ROW(k.RC, tp, H), rc, rhr);
  }
}

static void rforward_dir(const NnetLayer *l, const float *w, const float *v, int dir, NnetSeq in, Mat x,
                         Mat rx, Mat y, Mat ry, float *work) {
  int H = l->ia[0], T = in.T, B = in.B;
  Bufs k = bufs(l, T, B, dir, work);
  RnnWeights p = nnet_rnn_weights(l, w, GATES, dir), vp = nnet_rnn_weights(l, v, GATES, dir);
  Mat RG = mat_view(k.RG, T * B, 4 * H, 4 * H), h = mat_cols(y, dir * H, H), rh = mat_cols(ry, dir * H, H);
  Mat cur, prev;
  nnet_rnn_fill_bias(RG, vp.bih, vp.bhh); /* V_b + V_ih x + W_ih R{x} + V_hh h_{t-1} */
  mat_gemm(false, true, 1.0f, x, vp.Wih, 1.0f, RG);
  if (rx.data) mat_gemm(false, true, 1.0f, rx, p.Wih, 1.0f, RG);
  nnet_rnn_shift(T, B, dir, RG, h, &cur, &prev);
  mat_gemm(false, true, 1.0f, prev, vp.Whh, 1.0f, cur);
  Step step = {k, H, T, B, in.len, rh};
  nnet_rnn_pass(&(RnnPass){T, B, H, dir, false, mat_pack(true, p.Whh, k.WP), rh, RG, rforward_rows, &step});
}

static void lstm_rforward(const NnetLayer *l, const float *w, const float *v, NnetSeq in, NnetSeq out,
                          Mat x, Mat rx, Mat y, Mat ry, float *work) {
  (void)out;
  for (int d = 0; d < l->ia[1]; d++) rforward_dir(l, w, v, d, in, x, rx, y, ry, work);
}

/* Pointers of one frame for the tangent of cell_backward; n = the successor frame. */
typedef struct {
  const float *g, *rg, *tc, *rc, *cp, *rcp, *dh, *dc, *dcn, *rdcn, *gn, *rgn;
  float *rdh; /* in: R{dh}; out: R{dc} (the carry the predecessor reads) */
  float *rda;
} RRow;

static void cell_rbackward(int H, RRow r) {
  #pragma omp simd
  for (int j = 0; j < H; j++) {
    float i = r.g[j], f = r.g[H + j], gg = r.g[2 * H + j], o = r.g[3 * H + j];
    float ri = r.rg[j], rf = r.rg[H + j], rgg = r.rg[2 * H + j], ro = r.rg[3 * H + j];
    float tc = r.tc[j], s = 1 - tc * tc, rtc = s * r.rc[j];
    float dh = r.dh[j], dc = r.dc[j], rdh = r.rdh[j];
    float rdc = rdh * o * s + dh * (ro * s - 2 * o * tc * rtc) + r.rdcn[j] * r.gn[H + j] +
                r.dcn[j] * r.rgn[H + j];
    float di = dc * gg, dg = dc * i, df = dc * r.cp[j], dO = dh * tc;
    float rdi = rdc * gg + dc * rgg, rdg = rdc * i + dc * ri;
    float rdf = rdc * r.cp[j] + dc * r.rcp[j], rdo = rdh * tc + dh * rtc;
    r.rda[j] = rdi * i * (1 - i) + di * (1 - 2 * i) * ri;
    r.rda[H + j] = rdf * f * (1 - f) + df * (1 - 2 * f) * rf;
    r.rda[2 * H + j] = rdg * (1 - gg * gg) - 2 * dg * gg * rgg;
    r.rda[3 * H + j] = rdo * o * (1 - o) + dO * (1 - 2 * o) * ro;
    r.rdh[j] = rdc;
  }
}

static void rbackward_rows(const void *arg, RnnFrames f, int b0, int b1) {
  STEP_LOCALS(arg, f);
  for (int b = b0; b < b1; b++) {
    RRow r = {ROW(k.G, t, 4 * H), ROW(k.RG, t, 4 * H), ROW(k.TC, t, H), ROW(k.RC, t, H), ROW(k.C, tp, H),
              ROW(k.RC, tp, H), ROW(k.DH, t, H), ROW(k.DC, t, H), ROW(k.DC, tn, H), ROW(k.RDH, tn, H),
              ROW(k.G, tn, 4 * H), ROW(k.RG, tn, 4 * H), ROW(k.RDH, t, H), ROW(k.RDA, t, 4 * H)};
    if (t >= st->len[b]) {
      memset(r.rda, 0, SIZE(4 * H)), memset(r.rdh, 0, SIZE(H));
      continue;
    }
    cell_rbackward(H, r);
  }
}

/* R{dh_t} = R{dy_t} + W_hh^T R{da_{t+1}} + V_hh^T da_{t+1}; then per frame the tangent of
 * cell_backward; then R{dW} = R{da}^T x + da^T R{x} (and h, R{h} for W_hh). */
static void rbackward_dir(const NnetLayer *l, const float *w, const float *v, int dir, NnetSeq in, Mat x,
                          Mat rx, Mat y, Mat ry, Mat rdy, float *rdw, float *work) {
  int H = l->ia[0], T = in.T, B = in.B;
  Bufs k = bufs(l, T, B, dir, work);
  RnnWeights p = nnet_rnn_weights(l, w, GATES, dir), vp = nnet_rnn_weights(l, v, GATES, dir);
  RnnWeights dp = nnet_rnn_weights(l, rdw, GATES, dir);
  Mat DA = mat_view(k.DA, T * B, 4 * H, 4 * H), RDA = mat_view(k.RDA, T * B, 4 * H, 4 * H);
  Mat RDH = mat_view(k.RDH, T * B, H, H), h = mat_cols(y, dir * H, H), rh = mat_cols(ry, dir * H, H);
  Mat cur, prev;
  mat_copy(RDH, mat_cols(rdy, dir * H, H));
  nnet_rnn_shift(T, B, dir, DA, RDH, &cur, &prev);
  mat_gemm(false, false, 1.0f, cur, vp.Whh, 1.0f, prev);
  Step step = {k, H, T, B, in.len, rh};
  nnet_rnn_pass(&(RnnPass){T, B, H, dir, true, mat_pack(false, p.Whh, k.WP), RDA, RDH, rbackward_rows, &step});
  nnet_rnn_weight_grads(T, B, dir, RDA, RDA, x, h, true, dp);
  nnet_rnn_weight_grads(T, B, dir, DA, DA, rx, rh, false, dp);
}

static void lstm_rbackward(const NnetLayer *l, const float *w, const float *v, NnetSeq in, NnetSeq out,
                           Mat x, Mat rx, Mat y, Mat ry, Mat dy, Mat rdy, Mat rdx, float *rdw, float *work) {
  (void)out, (void)dy;
  int H = l->ia[0], N = in.T * in.B;
  for (int d = 0; d < l->ia[1]; d++) {
    rbackward_dir(l, w, v, d, in, x, rx, y, ry, rdy, rdw, work);
    if (!rdx.data) continue;
    Bufs k = bufs(l, in.T, in.B, d, work); /* R{dx} = R{da} W_ih + da V_ih */
    mat_gemm(false, false, 1.0f, mat_view(k.RDA, N, 4 * H, 4 * H), nnet_rnn_weights(l, w, GATES, d).Wih,
             d ? 1.0f : 0.0f, rdx);
    mat_gemm(false, false, 1.0f, mat_view(k.DA, N, 4 * H, 4 * H), nnet_rnn_weights(l, v, GATES, d).Wih, 1.0f,
             rdx);
  }
}

const NnetLayerKind nnet_lstm_kind = {
    .name = "lstm",
    .configure = lstm_configure,
    .work_floats = lstm_work_floats,
    .init = nnet_rnn_init,
    .forward = lstm_forward,
    .backward = lstm_backward,
    .rforward = lstm_rforward,
    .rbackward = lstm_rbackward,
};
