/* Batched computation: forward, CTC, backward, and the R-operator passes for H v.
 *
 * Levels: level 0 is the input (the batch's features), level i+1 the output of layer
 * i. act[i] holds level i for the whole batch (T_i*B rows, time-major); g[0..1] are
 * ping-pong buffers for dL/d(level) during backward, rg[0..1] for their R{}-tangents,
 * ract[i] the forward tangents R{level i} (ract[0] = 0: features do not depend on
 * the parameters). Everything lives in two blocks per NnetWork (main, and R for H v),
 * grown to the largest batch seen and carved up again for each batch. */
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
  Mat *act, *ract, g[2], rg[2];
  float **lwork;
  float *main_buf, *r_buf, *dw_scratch;
  size_t main_cap, r_cap;
  int dw_cap;
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
  w->lwork = xcalloc((size_t)L, sizeof(float *));
  w->threads = 1;
  return w;
}

void nnet_work_free(NnetWork *w) {
  if (!w) return;
  free(w->T); free(w->lens); free(w->seq); free(w->act); free(w->ract); free(w->lwork);
  free(w->main_buf); free(w->r_buf); free(w->dw_scratch); free(w->ctc_work); free(w->utt_loss);
  free(w);
}

size_t nnet_work_bytes(const NnetWork *w) {
  return sizeof(float) * (w->main_cap + w->r_cap + (size_t)w->dw_cap) + sizeof(double) * w->ctc_cap;
}

/* Frames and lengths at every level for batch b. */
static void set_shapes(const Nnet *n, NnetWork *w, const NnetBatch *b) {
  int L = w->L, B = b->B;
  if (B > w->ucap) {
    free(w->lens);
    free(w->utt_loss);
    w->lens = xmalloc(sizeof(int) * (size_t)(L + 1) * (size_t)B);
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
  for (int i = 0; i <= L; i++) w->seq[i] = (NnetSeq){w->T[i], B, w->lens + (size_t)i * w->ucap};
}

static int level_dim(const Nnet *n, int i) { return i == 0 ? n->input_dim : n->layers[i - 1].out_dim; }
static size_t level_floats(const Nnet *n, const NnetWork *w, int i, int B) {
  return (size_t)w->T[i] * (size_t)B * (size_t)level_dim(n, i);
}

/* Carves act, g and layer work (and, with r, ract and rg) out of the blocks. */
static void layout(const Nnet *n, NnetWork *w, const NnetBatch *b, bool r) {
  int L = w->L, B = b->B;
  size_t need = 0, gmax = 0;
  for (int i = 1; i <= L; i++) {
    need += aligned(level_floats(n, w, i, B));
    if (level_floats(n, w, i, B) > gmax) gmax = level_floats(n, w, i, B);
  }
  need += 2 * aligned(gmax);
  for (int i = 0; i < L; i++) {
    const NnetLayer *l = &n->layers[i];
    if (l->kind->work_floats) need += aligned(l->kind->work_floats(l, w->T[i], B));
  }
  if (need > w->main_cap) {
    free(w->main_buf);
    w->main_buf = xaligned(need);
    w->main_cap = need;
  }
  float *p = w->main_buf;
  w->act[0] = b->feats;
  for (int i = 1; i <= L; i++) {
    w->act[i] = mat_view(p, w->T[i] * B, level_dim(n, i), level_dim(n, i));
    p += aligned(level_floats(n, w, i, B));
  }
  float *g0 = p, *g1 = p + aligned(gmax);
  w->g[0] = mat_view(g0, 0, 0, 0), w->g[1] = mat_view(g1, 0, 0, 0);
  p += 2 * aligned(gmax);
  for (int i = 0; i < L; i++) {
    const NnetLayer *l = &n->layers[i];
    w->lwork[i] = p;
    if (l->kind->work_floats) p += aligned(l->kind->work_floats(l, w->T[i], B));
  }
  if (!r) return;
  size_t rneed = 2 * aligned(gmax);
  for (int i = 0; i <= L; i++) rneed += aligned(level_floats(n, w, i, B));
  if (rneed > w->r_cap) {
    free(w->r_buf);
    w->r_buf = xaligned(rneed);
    w->r_cap = rneed;
  }
  p = w->r_buf;
  for (int i = 0; i <= L; i++) {
    w->ract[i] = mat_view(p, w->T[i] * B, level_dim(n, i), level_dim(n, i));
    p += aligned(level_floats(n, w, i, B));
  }
  mat_zero(w->ract[0]);
  w->rg[0] = mat_view(p, 0, 0, 0), w->rg[1] = mat_view(p + aligned(gmax), 0, 0, 0);
}

/* Gradient buffer k shaped as level i. */
static Mat gbuf(const Nnet *n, const NnetWork *w, const Mat *g, int k, int i) {
  int d = level_dim(n, i);
  return mat_view(g[k].data, w->T[i] * w->seq[i].B, d, d);
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

static void forward(const Nnet *n, const float *params, NnetWork *w, const float *v) {
  for (int i = 0; i < w->L; i++) {
    const NnetLayer *l = &n->layers[i];
    const float *p = params + l->param_offset;
    l->kind->forward(l, p, w->seq[i], w->seq[i + 1], w->act[i], w->act[i + 1], w->lwork[i]);
    if (v)
      l->kind->rforward(l, p, v + l->param_offset, w->seq[i], w->seq[i + 1], w->act[i], w->ract[i],
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
  int L = w->L, B = j->b->B, K = j->n->output_dim, ld = B * K;
  double *work = w->ctc_work + (size_t)j->first * w->ctc_stride;
  float *z = w->act[L].data, *gz = w->g[0].data, *rz = j->hv ? w->ract[L].data : NULL;
  float *rgz = j->hv ? w->rg[0].data : NULL;
  for (int k = j->first; k < B; k += j->step) {
    const int *lab = j->b->lab + j->b->lab_off[k];
    int T = w->seq[L].len[k], nl = j->b->lab_len[k];
    size_t o = (size_t)k * K;
    w->utt_loss[k] = j->hv ? nnet_ctc_utt_hvp(z + o, ld, T, K, lab, nl, rz + o, ld, j->scale, gz + o, rgz + o, ld, work)
                           : nnet_ctc_utt(z + o, ld, T, K, lab, nl, j->scale, j->grad ? gz + o : NULL, ld, work);
  }
  return NULL;
}

/* CTC on the last level into g (gradient) and, with hv, rg (H_ctc R{z}); returns loss
 * sum. Utterances are shared round-robin among the work's threads. */
static double ctc_all(const Nnet *n, NnetWork *w, const NnetBatch *b, bool grad, bool hv, float scale) {
  int L = w->L, B = b->B;
  if (grad) mat_zero(gbuf(n, w, w->g, 0, L));
  if (hv) mat_zero(gbuf(n, w, w->rg, 0, L));
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

/* Backward (and with v, R-backward) through every layer from the last. */
static void backward(const Nnet *n, const float *params, NnetWork *w, float *grad, const float *v, float *hv) {
  int cur = 0;
  for (int i = w->L - 1; i >= 0; i--) {
    const NnetLayer *l = &n->layers[i];
    const float *p = params + l->param_offset;
    Mat dy = gbuf(n, w, w->g, cur, i + 1), dx = i > 0 ? gbuf(n, w, w->g, 1 - cur, i) : (Mat){0};
    l->kind->backward(l, p, w->seq[i], w->seq[i + 1], w->act[i], w->act[i + 1], dy, dx, grad + l->param_offset,
                      w->lwork[i]);
    if (v) {
      Mat rdy = gbuf(n, w, w->rg, cur, i + 1), rdx = i > 0 ? gbuf(n, w, w->rg, 1 - cur, i) : (Mat){0};
      l->kind->rbackward(l, p, v + l->param_offset, w->seq[i], w->seq[i + 1], w->act[i], w->ract[i], w->act[i + 1],
                         w->ract[i + 1], dy, rdy, rdx, hv + l->param_offset, w->lwork[i]);
    }
    cur = 1 - cur;
  }
}

static float *dw_scratch(const Nnet *n, NnetWork *w) {
  if (n->num_params > w->dw_cap) {
    free(w->dw_scratch);
    w->dw_scratch = xmalloc(sizeof(float) * (size_t)(n->num_params > 0 ? n->num_params : 1));
    w->dw_cap = n->num_params;
  }
  return w->dw_scratch;
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
  forward(n, params, w, NULL);
  double sum = ctc_all(n, w, b, grad_out != NULL, false, (float)(1.0 / normaliser(b)));
  if (grad_out) backward(n, params, w, grad_out, NULL, NULL);
  return finish(b, sum, st);
}

double nnet_hvp(const Nnet *n, const float *params, NnetWork *w, const NnetBatch *b, const float *v, float *hv_out,
                float *grad_out, NnetStats *st) {
  float *grad = grad_out ? grad_out : dw_scratch(n, w);
  memset(grad, 0, sizeof(float) * (size_t)n->num_params);
  memset(hv_out, 0, sizeof(float) * (size_t)n->num_params);
  if (b->B == 0) return finish(b, 0, st);
  prepare(n, w, b, true);
  forward(n, params, w, v);
  double sum = ctc_all(n, w, b, true, true, (float)(1.0 / normaliser(b)));
  backward(n, params, w, grad, v, hv_out);
  return finish(b, sum, st);
}

Mat nnet_forward(const Nnet *n, const float *params, NnetWork *w, const NnetBatch *b, const int **out_len) {
  prepare(n, w, b, false);
  forward(n, params, w, NULL);
  if (out_len) *out_len = w->seq[w->L].len;
  return w->act[w->L];
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
