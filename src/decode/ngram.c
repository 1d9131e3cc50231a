/* N-gram hash tables and the LM's vocabulary; back-off scoring. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "decode/lm-internal.h"

static uint64_t hash_ids(const int *k, int n) {
  uint64_t h = 0x9E3779B97F4A7C15ull;
  for (int i = 0; i < n; i++) h = (h ^ (uint32_t)k[i]) * 0xFF51AFD7ED558CCDull;
  return h ^ (h >> 29);
}

void ngram_init(NgramTable *t, int n) {
  memset(t, 0, sizeof *t);
  t->n = n;
}

void ngram_release(NgramTable *t) {
  free(t->keys);
  free(t->prob);
  free(t->bow);
  free(t->count);
  free(t->slot);
  memset(t, 0, sizeof *t);
}

static int probe(const NgramTable *t, const int *key) {
  size_t i = hash_ids(key, t->n) & (size_t)(t->hcap - 1);
  while (t->slot[i] >= 0 && memcmp(t->keys + (size_t)t->slot[i] * t->n, key, sizeof(int) * t->n))
    i = (i + 1) & (size_t)(t->hcap - 1);
  return (int)i;
}

int ngram_find(const NgramTable *t, const int *key) {
  return t->hcap ? t->slot[probe(t, key)] : -1;
}

static void rehash(NgramTable *t) {
  free(t->slot);
  t->hcap = t->hcap ? 2 * t->hcap : 64;
  t->slot = xmalloc(sizeof(int) * (size_t)t->hcap);
  memset(t->slot, -1, sizeof(int) * (size_t)t->hcap);
  for (int e = 0; e < t->size; e++) t->slot[probe(t, t->keys + (size_t)e * t->n)] = e;
}

int ngram_insert(NgramTable *t, const int *key, bool *is_new) {
  if (2 * (t->size + 1) > t->hcap) rehash(t);
  int s = probe(t, key);
  if (t->slot[s] >= 0) {
    if (is_new) *is_new = false;
    return t->slot[s];
  }
  if (t->size == t->cap) {
    t->cap = t->cap ? 2 * t->cap : 64;
    t->keys = xrealloc(t->keys, sizeof(int) * (size_t)t->cap * t->n);
    t->prob = xrealloc(t->prob, sizeof(float) * (size_t)t->cap);
    t->bow = xrealloc(t->bow, sizeof(float) * (size_t)t->cap);
    t->count = xrealloc(t->count, sizeof(double) * (size_t)t->cap);
  }
  int e = t->size++;
  memcpy(t->keys + (size_t)e * t->n, key, sizeof(int) * t->n);
  t->prob[e] = t->bow[e] = 0;
  t->count[e] = 0;
  t->slot[s] = e;
  if (is_new) *is_new = true;
  return e;
}

/* ---- vocabulary ---- */

static uint64_t hash_str(const char *s) { /* FNV-1a */
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static int vprobe(const DecLm *lm, const char *w) {
  size_t i = hash_str(w) & (size_t)(lm->vhcap - 1);
  while (lm->vslot[i] >= 0 && strcmp(lm->vocab[lm->vslot[i]], w) != 0)
    i = (i + 1) & (size_t)(lm->vhcap - 1);
  return (int)i;
}

int dec_lm_word(const DecLm *lm, const char *word) {
  return lm->vhcap ? lm->vslot[vprobe(lm, word)] : -1;
}

int lm_add_word(DecLm *lm, const char *word) {
  if (2 * (lm->nvocab + 1) > lm->vhcap) {
    free(lm->vslot);
    lm->vhcap = lm->vhcap ? 2 * lm->vhcap : 64;
    lm->vslot = xmalloc(sizeof(int) * (size_t)lm->vhcap);
    memset(lm->vslot, -1, sizeof(int) * (size_t)lm->vhcap);
    for (int i = 0; i < lm->nvocab; i++) lm->vslot[vprobe(lm, lm->vocab[i])] = i;
  }
  int s = vprobe(lm, word);
  if (lm->vslot[s] >= 0) return lm->vslot[s];
  if (lm->nvocab == lm->vcap) {
    lm->vcap = lm->vcap ? 2 * lm->vcap : 64;
    lm->vocab = xrealloc(lm->vocab, sizeof(char *) * (size_t)lm->vcap);
  }
  lm->vocab[lm->nvocab] = xstrdup(word);
  lm->vslot[s] = lm->nvocab;
  return lm->nvocab++;
}

DecLm *lm_new(int order) {
  if (order < 1 || order > DEC_LM_MAX_ORDER)
    ERROR("n-gram order %d out of range 1..%d", order, DEC_LM_MAX_ORDER);
  DecLm *lm = xcalloc(1, sizeof *lm);
  lm->order = order;
  for (int k = 0; k < order; k++) ngram_init(&lm->ng[k], k + 1);
  lm->bos = lm->eos = lm->unk = -1;
  return lm;
}

void dec_lm_free(DecLm *lm) {
  if (!lm) return;
  for (int k = 0; k < lm->order; k++) ngram_release(&lm->ng[k]);
  for (int i = 0; i < lm->nvocab; i++) free(lm->vocab[i]);
  free(lm->vocab);
  free(lm->vslot);
  free(lm);
}

int dec_lm_order(const DecLm *lm) { return lm->order; }
int dec_lm_num_ngrams(const DecLm *lm, int n) { return n >= 1 && n <= lm->order ? lm->ng[n - 1].size : 0; }
int dec_lm_bos(const DecLm *lm) { return lm->bos; }
int dec_lm_eos(const DecLm *lm) { return lm->eos; }
int dec_lm_unk(const DecLm *lm) { return lm->unk; }

/* Katz back-off: P(w | h) = P*(w | h) when (h, w) is stored, else bow(h) P(w | h')
 * with h' = h without its oldest word (bow(h) = 1 when h is not stored). */
double dec_lm_logprob(const DecLm *lm, const int *hist, int nhist, int word) {
  if (word < 0) word = lm->unk;
  if (word < 0) return -99.0 * M_LN10;
  int key[DEC_LM_MAX_ORDER];
  int k = nhist < lm->order - 1 ? nhist : lm->order - 1;
  double bo = 0;
  for (; k >= 0; k--) {
    if (k) memcpy(key, hist + nhist - k, sizeof(int) * (size_t)k);
    key[k] = word;
    int e = ngram_find(&lm->ng[k], key);
    if (e >= 0) return (bo + lm->ng[k].prob[e]) * M_LN10;
    if (k > 0) {
      int c = ngram_find(&lm->ng[k - 1], key);
      if (c >= 0) bo += lm->ng[k - 1].bow[c];
    }
  }
  return (bo - 99.0) * M_LN10; /* a word without a unigram */
}
