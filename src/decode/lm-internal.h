/* Internal to src/decode: n-gram tables and the language model they make up. */
#ifndef DECODE_LM_INTERNAL_H
#define DECODE_LM_INTERNAL_H

#include <stdbool.h>

#include "decode/decode.h"

/* Open-addressing table of n-grams of one order: key = n word ids, with an ARPA
 * log10 probability and back-off weight per entry (entries in insertion order). */
typedef struct {
  int n;
  int *keys;          /* size * n */
  float *prob, *bow;  /* per entry, log10 */
  double *count;      /* per entry, for estimation */
  int *slot;          /* hcap slots: entry index or -1 */
  int size, cap, hcap;
} NgramTable;

void ngram_init(NgramTable *t, int n);
void ngram_release(NgramTable *t);
int ngram_find(const NgramTable *t, const int *key);             /* -1 when absent */
int ngram_insert(NgramTable *t, const int *key, bool *is_new);  /* new entries zeroed */

struct DecLm {
  int order;
  NgramTable ng[DEC_LM_MAX_ORDER]; /* ng[k] holds (k+1)-grams */
  char **vocab;                    /* id -> word */
  int nvocab, vcap;
  int *vslot;                      /* word hash: id or -1 */
  int vhcap;
  int bos, eos, unk;
};

DecLm *lm_new(int order);
int lm_add_word(DecLm *lm, const char *word); /* id of word, added if new */

#endif
