/* Helpers shared by the meta-learning unit tests: in-memory utterances and networks. */
#ifndef TESTS_META_TESTUTIL_H
#define TESTS_META_TESTUTIL_H

#include <string.h>

#include "base/util.h"
#include "meta/meta.h"

/* In-memory utterances (MetaData owns copies). */
static inline MetaData *data_new(int cap) {
  MetaData *d = xcalloc(1, sizeof(*d));
  d->keys = xmalloc(sizeof(char *) * (size_t)cap);
  d->feats = xmalloc(sizeof(Mat) * (size_t)cap);
  d->labels = xmalloc(sizeof(IntVec) * (size_t)cap);
  return d;
}

/* Keys are zero-padded numbers, so appending in order keeps them sorted. */
static inline int data_add(MetaData *d, Mat f, const int *lab, int L) {
  d->keys[d->num] = xasprintf("u%06d", d->num);
  d->feats[d->num] = f;
  d->labels[d->num].data = xmalloc(sizeof(int) * (size_t)(L + 1));
  memcpy(d->labels[d->num].data, lab, sizeof(int) * (size_t)L);
  d->labels[d->num].len = L;
  return d->num++;
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
