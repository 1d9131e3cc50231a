/* Batches of padded utterances, time-major (row t*B + b), buffers reused across fills. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "nnet/ctc.h"
#include "nnet/nnet.h"

NnetBatch *nnet_batch_new(void) { return xcalloc(1, sizeof(NnetBatch)); }

void nnet_batch_free(NnetBatch *b) {
  if (!b) return;
  free(b->fbuf);
  free(b->len);
  free(b->lab_off);
  free(b->lab_len);
  free(b->lab);
  free(b->kbuf);
  free(b->kidx);
  free(b->src);
  free(b);
}

void nnet_batch_set_normalize(NnetBatch *b, NnetNorm norm) { b->norm = norm; }

const char *nnet_batch_key(const NnetBatch *b, int i) { return b->kbuf + b->kidx[i]; }

const char *nnet_utterance_problem(const Nnet *n, Mat f, IntVec lab, char *why, size_t len) {
  int K = nnet_output_dim(n);
  if (f.cols != nnet_input_dim(n)) {
    snprintf(why, len, "feature dim %d, the model wants %d", f.cols, nnet_input_dim(n));
    return why;
  }
  if (f.rows < 1) return "no frames";
  for (int j = 0; j < lab.len; j++)
    if (lab.data[j] < 1 || lab.data[j] >= K) {
      snprintf(why, len, "label %d outside [1, %d] (0 is the blank)", lab.data[j], K - 1);
      return why;
    }
  int need = nnet_ctc_min_frames(lab.data, lab.len), have = nnet_output_frames(n, f.rows);
  if (have < need) {
    snprintf(why, len, "%d labels need %d output frames, it has %d (%d input frames)", lab.len, need, have, f.rows);
    return why;
  }
  return NULL;
}

static void grow(void **p, int *cap, int need, size_t size) {
  if (need <= *cap) return;
  int c = *cap ? *cap : 16;
  while (c < need) c *= 2;
  *p = xrealloc(*p, size * (size_t)c);
  *cap = c;
}

/* The per-utterance arrays share one capacity. */
static void grow_utts(NnetBatch *b, int k) {
  if (k <= b->ucap) return;
  int c = b->ucap;
  grow((void **)&b->len, &c, k, sizeof(int));
  c = b->ucap; grow((void **)&b->lab_off, &c, k, sizeof(int));
  c = b->ucap; grow((void **)&b->lab_len, &c, k, sizeof(int));
  c = b->ucap; grow((void **)&b->kidx, &c, k, sizeof(int));
  c = b->ucap; grow((void **)&b->src, &c, k, sizeof(int));
  b->ucap = c;
}

/* Copies utterance i's frames into column b of the time-major matrix, zero padded. */
static void pack(NnetBatch *b, int j, Mat f) {
  size_t row = sizeof(float) * (size_t)b->dim;
  for (int t = 0; t < b->T; t++) {
    float *dst = mat_row(b->feats, t * b->B + j);
    if (t < f.rows) memcpy(dst, mat_row(f, t), row);
    else memset(dst, 0, row);
  }
}

int nnet_batch_fill(NnetBatch *b, const Nnet *n, int k, const Mat *feats, const IntVec *labels,
                    const char *const *keys) {
  grow_utts(b, k);
  int kept = 0, T = 0, nlab = 0, nkey = 0;
  b->num_skipped = 0;
  for (int i = 0; i < k; i++) {
    char why[200], name[32];
    const char *problem = nnet_utterance_problem(n, feats[i], labels[i], why, sizeof(why));
    const char *key = keys && keys[i] ? keys[i] : (snprintf(name, sizeof(name), "utterance #%d", i), name);
    if (problem) {
      WARN("skipping %s: %s", key, problem);
      b->num_skipped++;
      continue;
    }
    int klen = (int)strlen(key) + 1;
    grow((void **)&b->kbuf, &b->kcap, nkey + klen, 1);
    memcpy(b->kbuf + nkey, key, (size_t)klen);
    b->kidx[kept] = nkey;
    nkey += klen;
    grow((void **)&b->lab, &b->lcap, nlab + labels[i].len + 1, sizeof(int));
    if (labels[i].len) memcpy(b->lab + nlab, labels[i].data, sizeof(int) * (size_t)labels[i].len);
    b->lab_off[kept] = nlab;
    b->lab_len[kept] = labels[i].len;
    nlab += labels[i].len;
    b->len[kept] = feats[i].rows;
    b->src[kept] = i;
    if (feats[i].rows > T) T = feats[i].rows;
    kept++;
  }
  int D = nnet_input_dim(n);
  size_t need = (size_t)T * (size_t)kept * (size_t)D;
  if (need > b->fcap) {
    free(b->fbuf);
    b->fbuf = xmalloc(sizeof(float) * need);
    b->fcap = need;
  }
  b->B = kept, b->T = T, b->dim = D;
  b->feats = mat_view(b->fbuf, T * kept, D, D);
  b->total_frames = 0;
  for (int j = 0; j < kept; j++) {
    pack(b, j, feats[b->src[j]]);
    b->total_frames += b->len[j];
  }
  return kept;
}
