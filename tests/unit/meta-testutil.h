/* Helpers shared by the meta-learning unit tests: in-memory utterances and networks. */
#ifndef TESTS_META_TESTUTIL_H
#define TESTS_META_TESTUTIL_H

#include <string.h>

#include "base/util.h"
#include "meta/meta.h"

/* In-memory utterances (NnetData owns copies). */
static inline NnetData *data_new(int cap) {
  NnetData *d = xcalloc(1, sizeof(*d));
  d->keys = xmalloc(sizeof(char *) * (size_t)cap);
  d->feats = xmalloc(sizeof(Mat) * (size_t)cap);
  d->labels = xmalloc(sizeof(IntVec) * (size_t)cap);
  return d;
}

/* Keys are zero-padded numbers, so appending in order keeps them sorted. */
static inline int data_add(NnetData *d, Mat f, const int *lab, int L) {
  d->keys[d->n] = xasprintf("u%06d", d->n);
  d->feats[d->n] = f;
  d->labels[d->n].data = xmalloc(sizeof(int) * (size_t)(L + 1));
  memcpy(d->labels[d->n].data, lab, sizeof(int) * (size_t)L);
  d->labels[d->n].len = L;
  d->frames += f.rows;
  return d->n++;
}

static inline Nnet *net_from_config(const char *cfg, int D, int K, uint64_t seed) {
  char *text = xstrdup(cfg);
  for (char *p = text; *p; p++)
    if (*p == ';') *p = '\n';
  Nnet *n = nnet_new_from_string(text, "test", D, K, seed);
  free(text);
  return n;
}

#endif
