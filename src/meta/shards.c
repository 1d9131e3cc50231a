/* THE LOSS and its gradient over a set of utterances on several threads: each thread
 * takes a contiguous share of the utterances with its own work area and one BLAS
 * thread (faster than threaded BLAS for recurrent layers, whose per-frame products are
 * small), computes the summed loss (NNET_NORM_SUM), and the shares are added in order
 * and divided by the total input frames, so L = sum_u CTC_u / F as nnet.h defines it
 * (the whole network's input frames also when the utterances hold frozen layers'
 * outputs, which a subsampling layer may have shortened).
 * Results depend on the number of threads (summation order), never on their timing. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "meta/meta-internal.h"

typedef struct {
  const Nnet *n;
  const float *theta;
  NnetWork *nw;
  NnetBatch *b;
  float *grad;      /* this share's gradient */
  bool want_grad;   /* false: loss only */
  double loss_sum;
  long frames;      /* the network's input frames of the share's utterances */
  bool frames_known; /* frames set at fill time (NnetData.in_frames), not by the batch */
} Share;

struct MetaShards {
  const Nnet *n;
  int k, P;
  Share *s;
  Mat *fbuf;
  IntVec *lbuf;
  const char **kbuf;
  int bcap;
};

MetaShards *meta_shards_new(const Nnet *n, int threads) {
  MetaShards *m = xcalloc(1, sizeof(*m));
  m->n = n;
  m->k = threads > 0 ? threads : 1;
  m->P = nnet_num_params(n);
  m->s = xcalloc((size_t)m->k, sizeof(Share));
  for (int i = 0; i < m->k; i++) {
    m->s[i].n = n;
    m->s[i].nw = nnet_work_new(n);
    m->s[i].b = nnet_batch_new();
    nnet_batch_set_normalize(m->s[i].b, NNET_NORM_SUM);
    m->s[i].grad = xmalloc(sizeof(float) * (size_t)m->P);
  }
  return m;
}

void meta_shards_free(MetaShards *m) {
  if (!m) return;
  for (int i = 0; i < m->k; i++) {
    nnet_work_free(m->s[i].nw);
    nnet_batch_free(m->s[i].b);
    free(m->s[i].grad);
  }
  free(m->s);
  free(m->fbuf);
  free(m->lbuf);
  free(m->kbuf);
  free(m);
}

void meta_shards_fill(MetaShards *m, const NnetData *d, const int *idx, int cnt) {
  if (cnt > m->bcap) {
    m->bcap = cnt;
    m->fbuf = xrealloc(m->fbuf, sizeof(Mat) * (size_t)cnt);
    m->lbuf = xrealloc(m->lbuf, sizeof(IntVec) * (size_t)cnt);
    m->kbuf = xrealloc(m->kbuf, sizeof(char *) * (size_t)cnt);
  }
  for (int i = 0; i < cnt; i++) {
    m->fbuf[i] = d->feats[idx[i]];
    m->lbuf[i] = d->labels[idx[i]];
    m->kbuf[i] = d->keys[idx[i]];
  }
  for (int i = 0; i < m->k; i++) {
    int a = (int)((long)cnt * i / m->k), b = (int)((long)cnt * (i + 1) / m->k);
    Share *s = &m->s[i];
    nnet_batch_fill(s->b, m->n, b - a, m->fbuf + a, m->lbuf + a, m->kbuf + a);
    s->frames_known = d->in_frames != NULL;
    s->frames = 0;
    for (int j = 0; s->frames_known && j < s->b->B; j++) s->frames += d->in_frames[idx[a + s->b->src[j]]];
  }
}

static void *share_run(void *arg) {
  Share *s = arg;
  NnetStats st;
  float *g = s->want_grad ? s->grad : NULL;
  s->loss_sum = s->b->B ? nnet_loss_grad(s->n, s->theta, s->nw, s->b, g, &st) : 0.0;
  if (!s->frames_known) s->frames = s->b->B ? st.frames : 0;
  if (!s->b->B && g) memset(g, 0, sizeof(float) * (size_t)nnet_num_params(s->n));
  return NULL;
}

double meta_shards_loss_grad(MetaShards *m, const float *theta, float *grad) {
  pthread_t tid[m->k];
  for (int i = 0; i < m->k; i++) {
    m->s[i].theta = theta;
    m->s[i].want_grad = grad != NULL;
  }
  if (m->k > 1) mat_set_num_threads(1);
  for (int i = 1; i < m->k; i++)
    if (pthread_create(&tid[i], NULL, share_run, &m->s[i]) != 0) ERROR("cannot create a thread");
  share_run(&m->s[0]);
  for (int i = 1; i < m->k; i++) pthread_join(tid[i], NULL);
  double sum = 0;
  long F = 0;
  for (int i = 0; i < m->k; i++) sum += m->s[i].loss_sum, F += m->s[i].frames;
  if (F == 0) F = 1;
  if (grad) {
    memcpy(grad, m->s[0].grad, sizeof(float) * (size_t)m->P);
    for (int i = 1; i < m->k; i++) vec_axpy(m->P, 1.0f, m->s[i].grad, grad);
    vec_scale(m->P, (float)(1.0 / (double)F), grad);
  }
  return sum / (double)F;
}
