/* GRU layer (Cho et al. 2014; PyTorch's equations, gate blocks r, z, n):
 *   gx = W_ih x_t + b_ih,   hh = W_hh h_{t-1} + b_hh               (3H each)
 *   r = sig(gx_r + hh_r), z = sig(gx_z + hh_z), n = tanh(gx_n + r hh_n)
 *   h_t = (1 - z) n + z h_{t-1},   h_{-1} = 0.
 * Config: gru dim=H [bidirectional=true]. Parameter layout, time order and padding:
 * rnn.h (exactly torch.nn.GRU's flat order).
 *
 * Backward (dh_t = dy_t + W_hh^T dhh_{t+1} + z_{t+1} dh_{t+1}):
 *   dn = dh (1-z), dz = dh (h_{t-1} - n), dan = dn (1-n^2), dr = dan hh_n, dhh_n = dan r
 *   dgx = [dr r(1-r), dz z(1-z), dan],  dhh = [dr r(1-r), dz z(1-z), dhh_n]
 *   dW_ih += dgx^T x, db_ih += sum dgx, dW_hh += dhh_t^T h_{t-1}, db_hh += sum dhh.
 * R-operator: rforward differentiates the forward equations in the direction V,
 * rbackward the backward ones (cell_rbackward below).
 * Products as in lstm.c: whole-sequence gemms, and one product a time step for
 * h_{t-1} W_hh^T (dhh_{t+1} W_hh backward, and their tangents) with W_hh packed once a
 * pass (mat_gemm_packed), in nnet_rnn_pass's time loop, which splits it among the
 * matrix team on several threads, with one thread's bits. Work: 26H floats a frame and
 * direction, and the packed W_hh (3H^2, panels padded) a direction. */
#include <string.h>

#include "nnet/rnn.h"

#define GATES 3

/* Work of one direction, each N = T*B rows, time-major. */
typedef struct {
  float *Z;            /* B x 3H zeros: state and carries outside the sequence */
  float *WP;           /* W_hh packed for the per-step products: W_hh^T forward, W_hh backward */
  float *G, *HH;       /* forward: gx then activated r z n; hh */
  float *DGX, *DHH, *DH; /* backward: dL/dgx, dL/dhh, dL/dh */
  float *RG, *RHH;     /* rforward: R{gx} then R{r z n}; R{hh} */
  float *RDGX, *RDHH, *RDH;
} Bufs;

static size_t dir_floats(int H, int T, int B) {
  size_t n = (size_t)T * B, h = (size_t)H;
  return nnet_rnn_round(3 * h * B) + nnet_rnn_round(nnet_rnn_packed_floats(H, GATES)) +
         8 * nnet_rnn_round(3 * h * n) + 2 * nnet_rnn_round(h * n);
}

static size_t gru_work_floats(const NnetLayer *l, int T, int B) {
  return (size_t)l->ia[1] * dir_floats(l->ia[0], T, B);
}

static Bufs bufs(const NnetLayer *l, int T, int B, int dir, float *work) {
  size_t H3 = 3 * (size_t)l->ia[0], n = (size_t)T * B;
  float *p = work + (size_t)dir * dir_floats(l->ia[0], T, B);
  Bufs k;
  k.Z = nnet_rnn_take(&p, H3 * B);
  k.WP = nnet_rnn_take(&p, nnet_rnn_packed_floats(l->ia[0], GATES));
  k.G = nnet_rnn_take(&p, H3 * n);
  k.HH = nnet_rnn_take(&p, H3 * n);
  k.DGX = nnet_rnn_take(&p, H3 * n);
  k.DHH = nnet_rnn_take(&p, H3 * n);
  k.RG = nnet_rnn_take(&p, H3 * n);
  k.RHH = nnet_rnn_take(&p, H3 * n);
  k.RDGX = nnet_rnn_take(&p, H3 * n);
  k.RDHH = nnet_rnn_take(&p, H3 * n);
  k.DH = nnet_rnn_take(&p, H3 / 3 * n);
  k.RDH = nnet_rnn_take(&p, H3 / 3 * n);
  memset(k.Z, 0, sizeof(float) * H3 * B);
  return k;
}

static bool gru_configure(NnetLayer *l, NnetArgs *a, int default_out, char *err, size_t errlen) {
  (void)default_out;
  return nnet_rnn_configure(l, a, GATES, err, errlen);
}

/* Row b of frame t of a buffer of width w, or zeros when t is outside [0, T). */
#define ROW(buf, t, w) ((t) >= 0 && (t) < T ? nnet_rnn_row(buf, t, B, b, w) : k.Z + (size_t)b * 3 * H)
/* Row b of frame t of a column view (h or R{h}), or zeros. */
#define HROW(m, t) ((t) >= 0 && (t) < T ? mat_row(m, (t) * B + b) : k.Z + (size_t)b * 3 * H)
#define SIZE(w) (sizeof(float) * (size_t)(w))

/* A pass's buffers, for its row functions (RnnRowsFn, nnet_rnn_pass). */
typedef struct {
  Bufs k;
  int H, T, B;
  const int *len;
  Mat h, rh; /* h; R{h} (rforward, rbackward) */
} Step;

/* Opens a row function over rows [b0, b1) of frames f: the step's fields and frames as
 * locals (ROW and HROW read k, T, B and b). */
#define STEP_LOCALS(arg, f)                                                         \
  const Step *st = arg;                                                             \
  Bufs k = st->k;                                                                   \
  int H = st->H, T = st->T, B = st->B, t = (f).t, tp = (f).tp, tn = (f).tn;         \
  Mat h = st->h, rh = st->rh;                                                       \
  (void)tn, (void)rh

static void cell_forward(int H, float *g, const float *hh, const float *hp, float *h) {
  #pragma omp simd
  for (int j = 0; j < 2 * H; j++) g[j] += hh[j];
  nnet_rnn_sigmoid(g, g, 2 * H);
  #pragma omp simd
  for (int j = 0; j < H; j++) g[2 * H + j] += g[j] * hh[2 * H + j];
  nnet_rnn_tanh(g + 2 * H, g + 2 * H, H);
  #pragma omp simd
  for (int j = 0; j < H; j++) h[j] = (1 - g[H + j]) * g[2 * H + j] + g[H + j] * hp[j];
}

static void forward_rows(const void *arg, RnnFrames f, int b0, int b1) {
  STEP_LOCALS(arg, f);
  for (int b = b0; b < b1; b++) {
    float *g = ROW(k.G, t, 3 * H), *hh = ROW(k.HH, t, 3 * H), *hr = mat_row(h, t * B + b);
    if (t >= st->len[b]) {
      memset(g, 0, SIZE(3 * H)), memset(hh, 0, SIZE(3 * H)), memset(hr, 0, SIZE(H));
      continue;
    }
    cell_forward(H, g, hh, HROW(h, tp), hr);
  }
}

static void forward_dir(const NnetLayer *l, const float *w, int dir, NnetSeq in, Mat x, Mat y,
                        float *work) {
  int H = l->ia[0], T = in.T, B = in.B;
  Bufs k = bufs(l, T, B, dir, work);
  RnnWeights p = nnet_rnn_weights(l, w, GATES, dir);
  Mat G = mat_view(k.G, T * B, 3 * H, 3 * H), HH = mat_view(k.HH, T * B, 3 * H, 3 * H);
  Mat h = mat_cols(y, dir * H, H);
  nnet_rnn_fill_bias(G, p.bih, NULL);
  mat_gemm(false, true, 1.0f, x, p.Wih, 1.0f, G);
  nnet_rnn_fill_bias(HH, p.bhh, NULL);
  MatPacked WT = mat_pack(true, p.Whh, k.WP);
  Step step = {k, H, T, B, in.len, h, {0}};
  nnet_rnn_pass(&(RnnPass){T, B, H, dir, false, WT, h, HH, forward_rows, &step});
}

static void gru_forward(const NnetLayer *l, const float *w, NnetSeq in, NnetSeq out, Mat x, Mat y,
                        float *work) {
  (void)out;
  for (int d = 0; d < l->ia[1]; d++) forward_dir(l, w, d, in, x, y, work);
}

/* dh (in: dy + W_hh^T dhh_{t+1}) gets the direct path z_{t+1} dh_{t+1}; then dgx, dhh. */
static void cell_backward(int H, const float *g, const float *hh, const float *hp, const float *gn,
                          const float *dhn, float *dh, float *dgx, float *dhh) {
  #pragma omp simd
  for (int j = 0; j < H; j++) {
    float r = g[j], z = g[H + j], nn = g[2 * H + j];
    float d = dh[j] + gn[H + j] * dhn[j];
    float dn = d * (1 - z), dz = d * (hp[j] - nn), dan = dn * (1 - nn * nn);
    float dr = dan * hh[2 * H + j];
    dh[j] = d;
    dgx[j] = dhh[j] = dr * r * (1 - r);
    dgx[H + j] = dhh[H + j] = dz * z * (1 - z);
    dgx[2 * H + j] = dan;
    dhh[2 * H + j] = dan * r;
  }
}

static void backward_rows(const void *arg, RnnFrames f, int b0, int b1) {
  STEP_LOCALS(arg, f);
  for (int b = b0; b < b1; b++) {
    float *dgx = ROW(k.DGX, t, 3 * H), *dhh = ROW(k.DHH, t, 3 * H), *dh = ROW(k.DH, t, H);
    if (t >= st->len[b]) { /* the gradient reaching a padded (constant zero) state stops */
      memset(dgx, 0, SIZE(3 * H)), memset(dhh, 0, SIZE(3 * H)), memset(dh, 0, SIZE(H));
      continue;
    }
    cell_backward(H, ROW(k.G, t, 3 * H), ROW(k.HH, t, 3 * H), HROW(h, tp), ROW(k.G, tn, 3 * H),
                  ROW(k.DH, tn, H), dh, dgx, dhh);
  }
}

static void backward_dir(const NnetLayer *l, const float *w, int dir, NnetSeq in, Mat x, Mat y, Mat dy,
                         float *dw, float *work) {
  int H = l->ia[0], T = in.T, B = in.B;
  Bufs k = bufs(l, T, B, dir, work);
  RnnWeights p = nnet_rnn_weights(l, w, GATES, dir);
  Mat DGX = mat_view(k.DGX, T * B, 3 * H, 3 * H), DHH = mat_view(k.DHH, T * B, 3 * H, 3 * H);
  Mat DH = mat_view(k.DH, T * B, H, H), h = mat_cols(y, dir * H, H);
  MatPacked W = mat_pack(false, p.Whh, k.WP);
  Step step = {k, H, T, B, in.len, h, {0}};
  mat_copy(DH, mat_cols(dy, dir * H, H));
  nnet_rnn_pass(&(RnnPass){T, B, H, dir, true, W, DHH, DH, backward_rows, &step});
  if (dw) nnet_rnn_weight_grads(T, B, dir, DGX, DHH, x, h, true, nnet_rnn_weights(l, dw, GATES, dir));
}

static void gru_backward(const NnetLayer *l, const float *w, NnetSeq in, NnetSeq out, Mat x, Mat y,
                         Mat dy, Mat dx, float *dw, float *work) {
  (void)out;
  int H = l->ia[0], N = in.T * in.B;
  for (int d = 0; d < l->ia[1]; d++) {
    backward_dir(l, w, d, in, x, y, dy, dw, work);
    if (dx.data)
      mat_gemm(false, false, 1.0f, mat_view(bufs(l, in.T, in.B, d, work).DGX, N, 3 * H, 3 * H),
               nnet_rnn_weights(l, w, GATES, d).Wih, d ? 1.0f : 0.0f, dx);
  }
}

/* rg: R{gx} + R{hh} in, R{r z n} out; rh: R{h} from R{h_{t-1}} rhp. */
static void cell_rforward(int H, const float *g, const float *hh, const float *hp, const float *rhp,
                          float *rg, const float *rhh, float *rh) {
  #pragma omp simd
  for (int j = 0; j < H; j++) {
    float r = g[j], z = g[H + j], nn = g[2 * H + j];
    float rr = r * (1 - r) * (rg[j] + rhh[j]), rz = z * (1 - z) * (rg[H + j] + rhh[H + j]);
    float rn = (1 - nn * nn) * (rg[2 * H + j] + rr * hh[2 * H + j] + r * rhh[2 * H + j]);
    rg[j] = rr, rg[H + j] = rz, rg[2 * H + j] = rn;
    rh[j] = (1 - z) * rn + rz * (hp[j] - nn) + z * rhp[j];
  }
}

static void rforward_rows(const void *arg, RnnFrames f, int b0, int b1) {
  STEP_LOCALS(arg, f);
  for (int b = b0; b < b1; b++) {
    float *rg = ROW(k.RG, t, 3 * H), *rhh = ROW(k.RHH, t, 3 * H), *rhr = mat_row(rh, t * B + b);
    if (t >= st->len[b]) {
      memset(rg, 0, SIZE(3 * H)), memset(rhh, 0, SIZE(3 * H)), memset(rhr, 0, SIZE(H));
      continue;
    }
    cell_rforward(H, ROW(k.G, t, 3 * H), ROW(k.HH, t, 3 * H), HROW(h, tp), HROW(rh, tp), rg, rhh, rhr);
  }
}

static void rforward_dir(const NnetLayer *l, const float *w, const float *v, int dir, NnetSeq in, Mat x,
                         Mat rx, Mat y, Mat ry, float *work) {
  int H = l->ia[0], T = in.T, B = in.B;
  Bufs k = bufs(l, T, B, dir, work);
  RnnWeights p = nnet_rnn_weights(l, w, GATES, dir), vp = nnet_rnn_weights(l, v, GATES, dir);
  Mat RG = mat_view(k.RG, T * B, 3 * H, 3 * H), RHH = mat_view(k.RHH, T * B, 3 * H, 3 * H);
  Mat h = mat_cols(y, dir * H, H), rh = mat_cols(ry, dir * H, H), cur, prev;
  nnet_rnn_fill_bias(RG, vp.bih, NULL); /* R{gx} = V_ih x + W_ih R{x} + Vb_ih */
  mat_gemm(false, true, 1.0f, x, vp.Wih, 1.0f, RG);
  if (rx.data) mat_gemm(false, true, 1.0f, rx, p.Wih, 1.0f, RG);
  nnet_rnn_fill_bias(RHH, vp.bhh, NULL); /* R{hh} = V_hh h_{t-1} + Vb_hh + W_hh R{h_{t-1}} */
  nnet_rnn_shift(T, B, dir, RHH, h, &cur, &prev);
  mat_gemm(false, true, 1.0f, prev, vp.Whh, 1.0f, cur);
  MatPacked WT = mat_pack(true, p.Whh, k.WP);
  Step step = {k, H, T, B, in.len, h, rh};
  nnet_rnn_pass(&(RnnPass){T, B, H, dir, false, WT, rh, RHH, rforward_rows, &step});
}

static void gru_rforward(const NnetLayer *l, const float *w, const float *v, NnetSeq in, NnetSeq out,
                         Mat x, Mat rx, Mat y, Mat ry, float *work) {
  (void)out;
  for (int d = 0; d < l->ia[1]; d++) rforward_dir(l, w, v, d, in, x, rx, y, ry, work);
}

/* Pointers of one frame for the tangent of cell_backward; n = the successor frame. */
typedef struct {
  const float *g, *rg, *hh, *rhh, *hp, *rhp, *dgx, *dhh, *dh, *gn, *rgn, *dhn, *rdhn;
  float *rdh; /* in: R{dy} + W_hh^T R{dhh_{t+1}} + V_hh^T dhh_{t+1}; out: R{dh} */
  float *rdgx, *rdhh;
} RRow;

static void cell_rbackward(int H, RRow q) {
  #pragma omp simd
  for (int j = 0; j < H; j++) {
    float r = q.g[j], z = q.g[H + j], nn = q.g[2 * H + j];
    float rr = q.rg[j], rz = q.rg[H + j], rn = q.rg[2 * H + j];
    float hn = q.hh[2 * H + j], rhn = q.rhh[2 * H + j], hp = q.hp[j];
    float dh = q.dh[j], dan = q.dgx[2 * H + j];
    float dn = dh * (1 - z), dz = dh * (hp - nn), dr = dan * hn;
    float rdh = q.rdh[j] + q.rdhn[j] * q.gn[H + j] + q.dhn[j] * q.rgn[H + j];
    float rdn = rdh * (1 - z) - dh * rz;
    float rdz = rdh * (hp - nn) + dh * (q.rhp[j] - rn);
    float rdan = rdn * (1 - nn * nn) - 2 * dn * nn * rn;
    float rdr = rdan * hn + dan * rhn;
    q.rdh[j] = rdh;
    q.rdgx[j] = q.rdhh[j] = rdr * r * (1 - r) + dr * (1 - 2 * r) * rr;
    q.rdgx[H + j] = q.rdhh[H + j] = rdz * z * (1 - z) + dz * (1 - 2 * z) * rz;
    q.rdgx[2 * H + j] = rdan;
    q.rdhh[2 * H + j] = rdan * r + dan * rr;
  }
}

static void rbackward_rows(const void *arg, RnnFrames f, int b0, int b1) {
  STEP_LOCALS(arg, f);
  for (int b = b0; b < b1; b++) {
    RRow q = {ROW(k.G, t, 3 * H), ROW(k.RG, t, 3 * H), ROW(k.HH, t, 3 * H), ROW(k.RHH, t, 3 * H),
              HROW(h, tp), HROW(rh, tp), ROW(k.DGX, t, 3 * H), ROW(k.DHH, t, 3 * H), ROW(k.DH, t, H),
              ROW(k.G, tn, 3 * H), ROW(k.RG, tn, 3 * H), ROW(k.DH, tn, H), ROW(k.RDH, tn, H),
              ROW(k.RDH, t, H), ROW(k.RDGX, t, 3 * H), ROW(k.RDHH, t, 3 * H)};
    if (t >= st->len[b]) {
      memset(q.rdgx, 0, SIZE(3 * H)), memset(q.rdhh, 0, SIZE(3 * H)), memset(q.rdh, 0, SIZE(H));
      continue;
    }
    cell_rbackward(H, q);
  }
}

static void rbackward_dir(const NnetLayer *l, const float *w, const float *v, int dir, NnetSeq in, Mat x,
                          Mat rx, Mat y, Mat ry, Mat rdy, float *rdw, float *work) {
  int H = l->ia[0], T = in.T, B = in.B;
  Bufs k = bufs(l, T, B, dir, work);
  RnnWeights p = nnet_rnn_weights(l, w, GATES, dir), vp = nnet_rnn_weights(l, v, GATES, dir);
  RnnWeights dp = nnet_rnn_weights(l, rdw, GATES, dir);
  Mat DGX = mat_view(k.DGX, T * B, 3 * H, 3 * H), DHH = mat_view(k.DHH, T * B, 3 * H, 3 * H);
  Mat RDGX = mat_view(k.RDGX, T * B, 3 * H, 3 * H), RDHH = mat_view(k.RDHH, T * B, 3 * H, 3 * H);
  Mat RDH = mat_view(k.RDH, T * B, H, H), h = mat_cols(y, dir * H, H), rh = mat_cols(ry, dir * H, H);
  Mat cur, prev;
  mat_copy(RDH, mat_cols(rdy, dir * H, H));
  nnet_rnn_shift(T, B, dir, DHH, RDH, &cur, &prev);
  mat_gemm(false, false, 1.0f, cur, vp.Whh, 1.0f, prev);
  MatPacked W = mat_pack(false, p.Whh, k.WP);
  Step step = {k, H, T, B, in.len, h, rh};
  nnet_rnn_pass(&(RnnPass){T, B, H, dir, true, W, RDHH, RDH, rbackward_rows, &step});
  nnet_rnn_weight_grads(T, B, dir, RDGX, RDHH, x, h, true, dp);
  nnet_rnn_weight_grads(T, B, dir, DGX, DHH, rx, rh, false, dp);
}

static void gru_rbackward(const NnetLayer *l, const float *w, const float *v, NnetSeq in, NnetSeq out,
                          Mat x, Mat rx, Mat y, Mat ry, Mat dy, Mat rdy, Mat rdx, float *rdw, float *work) {
  (void)out, (void)dy;
  int H = l->ia[0], N = in.T * in.B;
  for (int d = 0; d < l->ia[1]; d++) {
    rbackward_dir(l, w, v, d, in, x, rx, y, ry, rdy, rdw, work);
    if (!rdx.data) continue;
    Bufs k = bufs(l, in.T, in.B, d, work); /* R{dx} = R{dgx} W_ih + dgx V_ih */
    mat_gemm(false, false, 1.0f, mat_view(k.RDGX, N, 3 * H, 3 * H), nnet_rnn_weights(l, w, GATES, d).Wih,
             d ? 1.0f : 0.0f, rdx);
    mat_gemm(false, false, 1.0f, mat_view(k.DGX, N, 3 * H, 3 * H), nnet_rnn_weights(l, v, GATES, d).Wih,
             1.0f, rdx);
  }
}

const NnetLayerKind nnet_gru_kind = {
    .name = "gru",
    .configure = gru_configure,
    .work_floats = gru_work_floats,
    .init = nnet_rnn_init,
    .forward = gru_forward,
    .backward = gru_backward,
    .rforward = gru_rforward,
    .rbackward = gru_rbackward,
};
