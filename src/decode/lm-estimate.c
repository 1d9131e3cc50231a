/* Interpolated Kneser-Ney estimation (Chen & Goodman 1998, "An empirical study of
 * smoothing techniques for language modeling", sec. 3.5), written in back-off form:
 *   p(w|h) = max(a(h,w) - D, 0) / S(h) + gamma(h) p(w|h'),
 *   gamma(h) = D N1+(h .) / S(h),  S(h) = sum_w a(h,w),
 * where a are the raw counts at the highest order and for n-grams starting with <s>,
 * and continuation counts N1+(. g) (distinct left neighbours) otherwise. The unigram
 * level interpolates with the uniform distribution over the vocabulary (without <s>).
 * In the ARPA file p(w|h) is stored for seen (h,w) and log10 gamma(h) is the back-off
 * weight of h, which reproduces p exactly for unseen w. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "decode/lm-internal.h"

/* Raw counts of every n-gram ending at each predicted position of <s> w... </s>. */
static void count_sentence(DecLm *lm, const int *s, int len) {
  for (int i = 1; i < len; i++)
    for (int n = 1; n <= lm->order && i - n + 1 >= 0; n++) {
      int e = ngram_insert(&lm->ng[n - 1], s + i - n + 1, NULL);
      lm->ng[n - 1].count[e] += 1;
    }
}

/* Lower orders not starting with <s>: the number of distinct left extensions. */
static void continuation_counts(DecLm *lm) {
  for (int n = 1; n < lm->order; n++) {
    NgramTable *t = &lm->ng[n - 1], *up = &lm->ng[n];
    for (int e = 0; e < t->size; e++)
      if (t->keys[(size_t)e * n] != lm->bos) t->count[e] = 0;
    for (int e = 0; e < up->size; e++) {
      int g = ngram_find(t, up->keys + (size_t)e * (n + 1) + 1);
      if (t->keys[(size_t)g * n] != lm->bos) t->count[g] += 1;
    }
  }
}

/* D = n1 / (n1 + 2 n2) over the adjusted counts of one order; 0.5 when undefined. */
static double discount(const NgramTable *t, int n, const DecLm *lm) {
  double n1 = 0, n2 = 0;
  for (int e = 0; e < t->size; e++) {
    if (n == 1 && t->keys[e] == lm->bos) continue;
    n1 += t->count[e] == 1;
    n2 += t->count[e] == 2;
  }
  double d = n1 > 0 && n2 > 0 ? n1 / (n1 + 2 * n2) : 0.5;
  return d;
}

static void estimate_unigrams(DecLm *lm) {
  NgramTable *t = &lm->ng[0];
  double d = discount(t, 1, lm), total = 0, types = 0;
  for (int e = 0; e < t->size; e++)
    if (t->keys[e] != lm->bos) { total += t->count[e]; types += t->count[e] > 0; }
  double uniform = 1.0 / (lm->nvocab - 1); /* every word but <s> */
  for (int e = 0; e < t->size; e++) {
    double p = fmax(t->count[e] - d, 0) / total + d * types / total * uniform;
    t->prob[e] = t->keys[e] == lm->bos ? -99.0f : (float)log10(p);
  }
  LOG("order 1: %d unigrams, discount %.4f", t->size, d);
}

static void estimate_order(DecLm *lm, int n) {
  NgramTable *t = &lm->ng[n - 1], *ctx = &lm->ng[n - 2];
  double d = discount(t, n, lm);
  double *sum = xcalloc((size_t)ctx->size, sizeof(double));
  int *types = xcalloc((size_t)ctx->size, sizeof(int));
  int *cidx = xmalloc(sizeof(int) * (size_t)(t->size ? t->size : 1));
  for (int e = 0; e < t->size; e++) {
    int c = cidx[e] = ngram_find(ctx, t->keys + (size_t)e * n);
    sum[c] += t->count[e];
    types[c]++;
  }
  for (int c = 0; c < ctx->size; c++)
    ctx->bow[c] = types[c] ? (float)log10(d * types[c] / sum[c]) : 0.0f;
  for (int e = 0; e < t->size; e++) {
    const int *key = t->keys + (size_t)e * n;
    double lower = exp(dec_lm_logprob(lm, key + 1, n - 2, key[n - 1]));
    int c = cidx[e];
    double p = fmax(t->count[e] - d, 0) / sum[c] + d * types[c] / sum[c] * lower;
    t->prob[e] = (float)log10(p);
  }
  LOG("order %d: %d n-grams, discount %.4f", n, t->size, d);
  free(sum);
  free(types);
  free(cidx);
}

DecLm *dec_lm_estimate_kn(const char *const *const *sents, const int *lens, int nsents,
                          int order) {
  DecLm *lm = lm_new(order);
  lm->bos = lm_add_word(lm, "<s>");
  lm->eos = lm_add_word(lm, "</s>");
  lm->unk = lm_add_word(lm, "<unk>");
  ngram_insert(&lm->ng[0], &lm->bos, NULL);
  ngram_insert(&lm->ng[0], &lm->eos, NULL);
  ngram_insert(&lm->ng[0], &lm->unk, NULL);
  int cap = 16, *ids = xmalloc(sizeof(int) * (size_t)cap);
  for (int s = 0; s < nsents; s++) {
    if (lens[s] + 2 > cap) ids = xrealloc(ids, sizeof(int) * (size_t)(cap = 2 * (lens[s] + 2)));
    ids[0] = lm->bos;
    for (int i = 0; i < lens[s]; i++) {
      const char *w = sents[s][i];
      if (strcmp(w, "<s>") == 0 || strcmp(w, "</s>") == 0)
        ERROR("sentence %d contains %s, which the estimator adds itself", s + 1, w);
      ids[i + 1] = lm_add_word(lm, w);
    }
    ids[lens[s] + 1] = lm->eos;
    count_sentence(lm, ids, lens[s] + 2);
  }
  free(ids);
  if (lm->ng[0].count[1] == 0) ERROR("no sentences to estimate a language model from");
  continuation_counts(lm);
  estimate_unigrams(lm);
  for (int n = 2; n <= order; n++) estimate_order(lm, n);
  return lm;
}
