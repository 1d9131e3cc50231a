/* Batched computation: forward, CTC, backward, and the R-operator passes for H v.
 *
 * Levels: level 0 is the input (the batch's features), level i+1 the output of layer
 * i. act[i] holds level i for the whole batch (T_i*B rows, time-major); g[0..1] are
 * ping-pong buffers for dL/d(level) during backward, rg[0..1] for their R{}-tangents,
 * ract[i] the forward tangents R{level i}, above the first layer with parameters (below
 * it they are zero: nothing there depends on the parameters). Everything lives in two
 * blocks per NnetWork (main, and R for H v), grown to the largest batch seen and carved
 * up again for each batch.
 *
 * Compact levels: a frame-wise layer (layer.h) of a batch with padding runs on the
 * valid frames alone, utterance after utterance (utterance b's frame t at row
 * offs[b] + t), so a batch's padding costs the products nothing: a batch of utterances
 * of unequal lengths is often half padding. The levels such a layer makes are compact;
 * where a layer's input is in the other layout (a frame-wise layer after a splice, an
 * LSTM after an affine), in[i] is a copy in the layer's layout, and its input gradient
 * is copied back the same way. CTC reads the last level in either layout. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "nnet/ctc.h"
#include "nnet/nnet-internal.h"

struct NnetWork {
  int L;
  int *T;             /* frames at each level */
  int *lens;          /* (L+1) x ucap lengths */
  int ucap;
  NnetSeq *seq;
  bool *compact;      /* L: layer i runs on compact levels */
  int *valid;         /* L+1: valid frames of level i (its rows when compact) */
  int *offs;          /* (L+1) x ucap: utterance b's first row at level i when compact */
  int first_param;    /* the first layer with parameters (L if none): below it no dx */
  Mat *act, *ract, g[2], rg[2];
  Mat *in, *rin;      /* L: layer i's input and its tangent in the layer's layout */
  float **lwork;
  float *main_buf, *r_buf;
  size_t main_cap, r_cap;
  int threads;
  double *ctc_work;   /* threads x ctc_stride doubles */
  size_t ctc_cap, ctc_stride;
  double *utt_loss;   /* per utterance, summed in order (same result for any thread count) */
};

#define ALIGN_FLOATS 16 /* 64 bytes */
static size_t aligned(size_t n) { return (n + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS; }

static void *xaligned(size_t floats) {
  void *p = NULL;
  if (posix_memalign(&p, 64, sizeof(float) * (floats ? floats : 1)) != 0) ERROR("out of memory (%zu floats)", floats);
  return p;
}

NnetWork *nnet_work_new(const Nnet *n) {
  NnetWork *w = xcalloc(1, sizeof(*w));
  int L = w->L = n->num_layers;
  w->T = xcalloc((size_t)L + 1, sizeof(int));
  w->seq = xcalloc((size_t)L + 1, sizeof(NnetSeq));
  w->act = xcalloc((size_t)L + 1, sizeof(Mat));
  w->ract = xcalloc((size_t)L + 1, sizeof(Mat));
  w->compact = xcalloc((size_t)L + 1, sizeof(bool));
  w->valid = xcalloc((size_t)L + 1, sizeof(int));
  w->in = xcalloc((size_t)L + 1, sizeof(Mat));
  w->rin = xcalloc((size_t)L + 1, sizeof(Mat));
  w->lwork = xcalloc((size_t)L, sizeof(float *));
  w->threads = 1;
  return w;
}

void nnet_work_free(NnetWork *w) {
  if (!w) return;
  free(w->T); free(w->lens); free(w->seq); free(w->act); free(w->ract); free(w->lwork);
  free(w->compact); free(w->valid); free(w->offs); free(w->in); free(w->rin);
  free(w->main_buf); free(w->r_buf); free(w->ctc_work); free(w->utt_loss);
  free(w);
}

size_t nnet_work_bytes(const NnetWork *w) {
  return sizeof(float) * (w->main_cap + w->r_cap) + sizeof(double) * w->ctc_cap;
}

/* Frames, lengths and layouts at every level for batch b. */
static void set_shapes(const Nnet *n, NnetWork *w, const NnetBatch *b) {
  int L = w->L, B = b->B;
  if (B > w->ucap) {
    free(w->lens);
    free(w->offs);
    free(w->utt_loss);
    w->lens = xmalloc(sizeof(int) * (size_t)(L + 1) * (size_t)B);
    w->offs = xmalloc(sizeof(int) * (size_t)(L + 1) * (size_t)B);
    w->utt_loss = xmalloc(sizeof(double) * (size_t)B);
    w->ucap = B;
  }
  w->T[0] = b->T;
  memcpy(w->lens, b->len, sizeof(int) * (size_t)B);
  for (int i = 0; i < L; i++) {
    const NnetLayer *l = &n->layers[i];
    int *in = w->lens + (size_t)i * w->ucap, *out = in + w->ucap;
    w->T[i + 1] = l->kind->out_frames ? l->kind->out_frames(l, w->T[i]) : w->T[i];
    for (int k = 0; k < B; k++) out[k] = l->kind->out_frames ? l->kind->out_frames(l, in[k]) : in[k];
  }
  for (int i = 0; i <= L; i++) {
    w->seq[i] = (NnetSeq){w->T[i], B, w->lens + (size_t)i * w->ucap};
    int *off = w->offs + (size_t)i * w->ucap;
    w->valid[i] = 0;
    for (int k = 0; k < B; k++) off[k] = w->valid[i], w->valid[i] += w->seq[i].len[k];
  }
  for (int i = 0; i < L; i++) w->compact[i] = n->layers[i].kind->frame_wise && w->valid[i] < w->T[i] * B;
  w->first_param = L;
  for (int i = L - 1; i >= 0; i--)
    if (n->layers[i].num_params > 0) w->first_param = i;
}

/* Level i as its maker stores it (the features: padded). */
static bool level_compact(const NnetWork *w, int i) { return i > 0 && w->compact[i - 1]; }
static int level_rows(const NnetWork *w, int i, bool compact) {
  return compact ? w->valid[i] : w->T[i] * w->seq[i].B;
}
/* Layer i's input and output shapes in its layout. */
static NnetSeq layer_seq(const NnetWork *w, int layer, int level) {
  return w->compact[layer] ? (NnetSeq){w->valid[level], 1, &w->valid[level]} : w->seq[level];
}
static NnetSeq seq_in(const NnetWork *w, int i) { return layer_seq(w, i, i); }
static NnetSeq seq_out(const NnetWork *w, int i) { return layer_seq(w, i, i + 1); }

/* Level i from the padded layout into the compact one (to_compact), or back, with the
 * padded rows zeroed (finite activations; the zero gradients layer.h asks for). */
static void relayout(const NnetWork *w, int i, Mat src, Mat dst, bool to_compact) {
  NnetSeq s = w->seq[i];
  const int *off = w->offs + (size_t)i * w->ucap;
  size_t bytes = sizeof(float) * (size_t)src.cols;
  for (int b = 0; b < s.B; b++)
    for (int t = 0; t < s.T; t++) {
      int pr = t * s.B + b, cr = off[b] + t;
      if (t >= s.len[b]) {
        if (!to_compact) memset(mat_row(dst, pr), 0, bytes);
      } else if (to_compact) {
        memcpy(mat_row(dst, cr), mat_row(src, pr), bytes);
      } else {
        memcpy(mat_row(dst, pr), mat_row(src, cr), bytes);
      }
    }
}

static int level_dim(const Nnet *n, int i) { return i == 0 ? n->input_dim : n->layers[i - 1].out_dim; }
/* Floats of level i in the given layout (padded: as much as any layout needs). */
static size_t stored_floats(const Nnet *n, const NnetWork *w, int i, bool compact) {
  return (size_t)level_rows(w, i, compact) * (size_t)level_dim(n, i);
}
static Mat level_view(const Nnet *n, const NnetWork *w, float *p, int i, bool compact) {
  return mat_view(p, level_rows(w, i, compact), level_dim(n, i), level_dim(n, i));
}
/* Space for level i in its maker's layout and, where layer i reads the other, a copy. */
static size_t level_need(const Nnet *n, const NnetWork *w, int i) {
  size_t need = i > 0 ? aligned(stored_floats(n, w, i, level_compact(w, i))) : 0;
  if (i < w->L && w->compact[i] != level_compact(w, i)) need += aligned(stored_floats(n, w, i, w->compact[i]));
  return need;
}
/* Carves level i (act or ract, and in or rin) from p; returns the rest. Level 0's act
 * is the batch's features (or, for ract, set by the caller). */
static float *carve_level(const Nnet *n, NnetWork *w, float *p, int i, Mat *act, Mat *in) {
  if (i > 0) {
    act[i] = level_view(n, w, p, i, level_compact(w, i));
    p += aligned(stored_floats(n, w, i, level_compact(w, i)));
  }
  if (i == w->L) return p;
  in[i] = act[i];
  if (w->compact[i] != level_compact(w, i)) {
    in[i] = level_view(n, w, p, i, w->compact[i]);
    p += aligned(stored_floats(n, w, i, w->compact[i]));
  }
  return p;
}

/* Carves act, g and layer work (and, with r, ract and rg) out of the blocks. */
static void layout(const Nnet *n, NnetWork *w, const NnetBatch *b, bool r) {
  int L = w->L;
  size_t need = 0, gmax = 0;
  for (int i = 0; i <= L; i++) {
    need += level_need(n, w, i);
    if (i > 0 && stored_floats(n, w, i, false) > gmax) gmax = stored_floats(n, w, i, false);
  }
  need += 2 * aligned(gmax);
  for (int i = 0; i < L; i++) {
    const NnetLayer *l = &n->layers[i];
    if (l->kind->work_floats) need += aligned(l->kind->work_floats(l, seq_in(w, i).T, seq_in(w, i).B));
  }
  if (need > w->main_cap) {
    free(w->main_buf);
    w->main_buf = xaligned(need);
    w->main_cap = need;
  }
  float *p = w->main_buf;
  w->act[0] = b->feats;
  for (int i = 0; i <= L; i++) p = carve_level(n, w, p, i, w->act, w->in);
  float *g0 = p, *g1 = p + aligned(gmax);
  w->g[0] = mat_view(g0, 0, 0, 0), w->g[1] = mat_view(g1, 0, 0, 0);
  p += 2 * aligned(gmax);
  for (int i = 0; i < L; i++) {
    const NnetLayer *l = &n->layers[i];
    w->lwork[i] = p;
    if (l->kind->work_floats) p += aligned(l->kind->work_floats(l, seq_in(w, i).T, seq_in(w, i).B));
  }
  if (!r) return;
  size_t rneed = 2 * aligned(gmax);
  for (int i = 0; i <= L; i++) rneed += level_need(n, w, i);
  if (rneed > w->r_cap) {
    free(w->r_buf);
    w->r_buf = xaligned(rneed);
    w->r_cap = rneed;
  }
  p = w->r_buf;
  w->ract[0] = (Mat){0}; /* the features do not depend on the parameters */
  for (int i = 0; i <= L; i++) p = carve_level(n, w, p, i, w->ract, w->rin);
  w->rg[0] = mat_view(p, 0, 0, 0), w->rg[1] = mat_view(p + aligned(gmax), 0, 0, 0);
}

/* Gradient buffer k shaped as level i in the given layout. */
static Mat gbuf(const Nnet *n, const NnetWork *w, const Mat *g, int k, int i, bool compact) {
  return level_view(n, w, g[k].data, i, compact);
}

static void prepare(const Nnet *n, NnetWork *w, const NnetBatch *b, bool r) {
  if (w->L != n->num_layers) ERROR("work made for a network of %d layers used with one of %d", w->L, n->num_layers);
  if (b->B > 0 && b->dim != n->input_dim) ERROR("batch feature dim %d, network input dim %d", b->dim, n->input_dim);
  set_shapes(n, w, b);
  layout(n, w, b, r);
  size_t ctc = 0;
  int Tl = w->T[w->L];
  for (int k = 0; k < b->B; k++) {
    size_t c = nnet_ctc_work_doubles(Tl, b->lab_len[k], n->output_dim);
    if (c > ctc) ctc = c;
  }
  w->ctc_stride = ctc;
  if (ctc * (size_t)w->threads > w->ctc_cap) {
    free(w->ctc_work);
    w->ctc_cap = ctc * (size_t)w->threads;
    w->ctc_work = xmalloc(sizeof(double) * w->ctc_cap);
  }
}

/* R{x} of layer i: none below the first layer with parameters (layer.h). */
static Mat layer_rin(const NnetWork *w, int i) { return i > w->first_param ? w->rin[i] : (Mat){0}; }

/* The forward pass (unless w holds it already: !primal) and, with v, its tangents. */
static void forward(const Nnet *n, const float *params, NnetWork *w, const float *v, bool primal) {
  for (int i = 0; i < w->L; i++) {
    const NnetLayer *l = &n->layers[i];
    const float *p = params + l->param_offset;
    bool copy = w->in[i].data != w->act[i].data;
    if (primal) {
      if (copy) relayout(w, i, w->act[i], w->in[i], w->compact[i]);
      l->kind->forward(l, p, seq_in(w, i), seq_out(w, i), w->in[i], w->act[i + 1], w->lwork[i]);
    }
    if (!v || i < w->first_param) continue;
    if (copy && i > w->first_param) relayout(w, i, w->ract[i], w->rin[i], w->compact[i]);
    l->kind->rforward(l, p, v + l->param_offset, seq_in(w, i), seq_out(w, i), w->in[i], layer_rin(w, i),
                      w->act[i + 1], w->ract[i + 1], w->lwork[i]);
  }
}

static double normaliser(const NnetBatch *b) {
  return b->norm == NNET_NORM_FRAME ? (double)b->total_frames : b->norm == NNET_NORM_UTT ? (double)b->B : 1.0;
}

void nnet_work_set_num_threads(NnetWork *w, int n) { w->threads = n < 1 ? 1 : n; }

/* CTC of utterances first, first+step, ... (one thread's share). */
typedef struct {
  const Nnet *n;
  NnetWork *w;
  const NnetBatch *b;
  bool grad, hv;
  float scale;
  int first, step;
} CtcJob;

static void *ctc_job(void *arg) {
  const CtcJob *j = arg;
  NnetWork *w = j->w;
  int L = w->L, B = j->b->B, K = j->n->output_dim;
  bool compact = level_compact(w, L);
  int ld = compact ? K : B * K;
  const int *off = w->offs + (size_t)L * w->ucap;
  double *work = w->ctc_work + (size_t)j->first * w->ctc_stride;
  float *z = w->act[L].data, *gz = w->g[0].data, *rz = j->hv ? w->ract[L].data : NULL;
  float *rgz = j->hv ? w->rg[0].data : NULL;
  for (int k = j->first; k < B; k += j->step) {
    const int *lab = j->b->lab + j->b->lab_off[k];
    int T = w->seq[L].len[k], nl = j->b->lab_len[k];
    size_t o = (size_t)(compact ? off[k] : k) * K;
    w->utt_loss[k] = j->hv ? nnet_ctc_utt_hvp(z + o, ld, T, K, lab, nl, rz + o, ld, j->scale, gz + o, rgz + o, ld, work)
                           : nnet_ctc_utt(z + o, ld, T, K, lab, nl, j->scale, j->grad ? gz + o : NULL, ld, work);
  }
  return NULL;
}

/* CTC on the last level into g (gradient) and, with hv, rg (H_ctc R{z}); returns loss
 * sum. Utterances are shared round-robin among the work's threads. */
static double ctc_all(const Nnet *n, NnetWork *w, const NnetBatch *b, bool grad, bool hv, float scale) {
  int L = w->L, B = b->B;
  if (grad) mat_zero(gbuf(n, w, w->g, 0, L, level_compact(w, L)));
  if (hv) mat_zero(gbuf(n, w, w->rg, 0, L, level_compact(w, L)));
  int nt = w->threads < B ? w->threads : B;
  CtcJob jobs[64];
  pthread_t tid[64];
  if (nt > 64) nt = 64;
  for (int t = 0; t < nt; t++) jobs[t] = (CtcJob){n, w, b, grad, hv, scale, t, nt};
  for (int t = 1; t < nt; t++)
    if (pthread_create(&tid[t], NULL, ctc_job, &jobs[t]) != 0) ERROR("cannot start a thread");
  ctc_job(&jobs[0]);
  for (int t = 1; t < nt; t++) pthread_join(tid[t], NULL);
  double sum = 0;
  for (int k = 0; k < B; k++) sum += w->utt_loss[k];
  return sum;
}

/* Backward (and with v, R-backward) through every layer from the last, down to the
 * first with parameters (no gradient needs the input gradients below it); grad NULL:
 * the tangents alone. */
static void backward(const Nnet *n, const float *params, NnetWork *w, float *grad, const float *v, float *hv) {
  int cur = 0;
  for (int i = w->L - 1; i >= w->first_param; i--) {
    const NnetLayer *l = &n->layers[i];
    const float *p = params + l->param_offset;
    bool c = w->compact[i], need_dx = i > w->first_param;
    Mat dy = gbuf(n, w, w->g, cur, i + 1, c), dx = need_dx ? gbuf(n, w, w->g, 1 - cur, i, c) : (Mat){0};
    l->kind->backward(l, p, seq_in(w, i), seq_out(w, i), w->in[i], w->act[i + 1], dy, dx,
                      grad ? grad + l->param_offset : NULL, w->lwork[i]);
    Mat rdx = v && need_dx ? gbuf(n, w, w->rg, 1 - cur, i, c) : (Mat){0};
    if (v)
      l->kind->rbackward(l, p, v + l->param_offset, seq_in(w, i), seq_out(w, i), w->in[i], layer_rin(w, i),
                         w->act[i + 1], w->ract[i + 1], dy, gbuf(n, w, w->rg, cur, i + 1, c), rdx,
                         hv + l->param_offset, w->lwork[i]);
    if (need_dx && c != level_compact(w, i)) { /* into the layout of the layer below */
      relayout(w, i, dx, gbuf(n, w, w->g, cur, i, !c), !c);
      if (v) relayout(w, i, rdx, gbuf(n, w, w->rg, cur, i, !c), !c);
    } else {
      cur = 1 - cur;
    }
  }
}

static double finish(const NnetBatch *b, double sum, NnetStats *st) {
  double F = normaliser(b), loss = b->B ? sum / F : 0;
  if (st) *st = (NnetStats){b->B ? sum : 0, loss, b->total_frames, b->B};
  return loss;
}

double nnet_loss_grad(const Nnet *n, const float *params, NnetWork *w, const NnetBatch *b, float *grad_out,
                      NnetStats *st) {
  if (grad_out) memset(grad_out, 0, sizeof(float) * (size_t)n->num_params);
  if (b->B == 0) return finish(b, 0, st);
  prepare(n, w, b, false);
  forward(n, params, w, NULL, true);
  double sum = ctc_all(n, w, b, grad_out != NULL, false, (float)(1.0 / normaliser(b)));
  if (grad_out) backward(n, params, w, grad_out, NULL, NULL);
  return finish(b, sum, st);
}

/* H v, with the forward pass computed here (primal) or held in w from the last one. */
static double hvp(const Nnet *n, const float *params, NnetWork *w, const NnetBatch *b, const float *v,
                  float *hv_out, float *grad_out, bool primal, NnetStats *st) {
  if (grad_out) memset(grad_out, 0, sizeof(float) * (size_t)n->num_params);
  memset(hv_out, 0, sizeof(float) * (size_t)n->num_params);
  if (b->B == 0) return finish(b, 0, st);
  prepare(n, w, b, true); /* the same batch is carved the same way: a held pass stays put */
  forward(n, params, w, v, primal);
  double sum = ctc_all(n, w, b, true, true, (float)(1.0 / normaliser(b)));
  backward(n, params, w, grad_out, v, hv_out);
  return finish(b, sum, st);
}

double nnet_hvp(const Nnet *n, const float *params, NnetWork *w, const NnetBatch *b, const float *v, float *hv_out,
                float *grad_out, NnetStats *st) {
  return hvp(n, params, w, b, v, hv_out, grad_out, true, st);
}

double nnet_hvp_held(const Nnet *n, const float *params, NnetWork *w, const NnetBatch *b, const float *v,
                     float *hv_out, NnetStats *st) {
  return hvp(n, params, w, b, v, hv_out, NULL, false, st);
}

Mat nnet_forward(const Nnet *n, const float *params, NnetWork *w, const NnetBatch *b, const int **out_len) {
  prepare(n, w, b, false);
  forward(n, params, w, NULL, true);
  if (out_len) *out_len = w->seq[w->L].len;
  if (!level_compact(w, w->L)) return w->act[w->L];
  Mat y = gbuf(n, w, w->g, 0, w->L, false);
  relayout(w, w->L, w->act[w->L], y, false);
  return y;
}

Mat nnet_compute_logprobs(Nnet *n, Mat feats) {
  if (feats.cols != n->input_dim) ERROR("features have dim %d, the network wants %d", feats.cols, n->input_dim);
  if (feats.rows < 1) ERROR("no frames");
  if (!n->scratch_work) n->scratch_work = nnet_work_new(n), n->scratch_batch = nnet_batch_new();
  IntVec none = {NULL, 0};
  const char *key = "utterance";
  nnet_batch_fill(n->scratch_batch, n, 1, &feats, &none, &key);
  const int *len;
  Mat y = nnet_forward(n, n->params, n->scratch_work, n->scratch_batch, &len);
  Mat out = mat_alloc(len[0], y.cols);
  mat_copy(out, mat_rows(y, 0, len[0]));
  return out;
}
