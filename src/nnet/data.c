/* In-memory utterance sets for training. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "nnet/data.h"

static void push(NnetData *d, int *cap, char *key, Mat f, IntVec l) {
  if (d->n == *cap) {
    *cap = *cap ? 2 * *cap : 64;
    d->keys = xrealloc(d->keys, sizeof(char *) * (size_t)*cap);
    d->feats = xrealloc(d->feats, sizeof(Mat) * (size_t)*cap);
    d->labels = xrealloc(d->labels, sizeof(IntVec) * (size_t)*cap);
  }
  d->keys[d->n] = key, d->feats[d->n] = f, d->labels[d->n] = l;
  d->frames += f.rows;
  d->n++;
}

NnetData *nnet_data_read(const char *feats_rspec, const char *labels_rspec, int *missing) {
  NnetData *d = xcalloc(1, sizeof(*d));
  int cap = 0, miss = 0;
  TableReader *fr = tbl_reader_open(feats_rspec, &tbl_matrix_holder);
  RandomReader *lr = tbl_random_open(labels_rspec, &tbl_int_vector_holder);
  for (; !tbl_reader_done(fr); tbl_reader_next(fr)) {
    const char *key = tbl_reader_key(fr);
    const IntVec *lab = tbl_random_value(lr, key);
    if (!lab) {
      WARN("no labels for utterance %s in %s: skipped", key, labels_rspec);
      miss++;
      continue;
    }
    IntVec copy = {xmalloc(sizeof(int) * (size_t)(lab->len + 1)), lab->len};
    if (lab->len) memcpy(copy.data, lab->data, sizeof(int) * (size_t)lab->len);
    Mat *f = tbl_reader_take_value(fr);
    push(d, &cap, xstrdup(key), *f, copy);
    free(f);
  }
  tbl_reader_close(fr);
  tbl_random_close(lr);
  if (missing) *missing = miss;
  return d;
}

NnetData *nnet_data_split(NnetData *d, const bool *take) {
  NnetData *out = xcalloc(1, sizeof(*out));
  int cap = 0, kept = 0;
  long frames = 0;
  for (int i = 0; i < d->n; i++) {
    if (take[i]) {
      push(out, &cap, d->keys[i], d->feats[i], d->labels[i]);
      continue;
    }
    d->keys[kept] = d->keys[i], d->feats[kept] = d->feats[i], d->labels[kept] = d->labels[i];
    frames += d->feats[i].rows;
    kept++;
  }
  d->n = kept, d->frames = frames;
  return out;
}

void nnet_data_free(NnetData *d) {
  if (!d) return;
  for (int i = 0; i < d->n; i++) {
    free(d->keys[i]);
    mat_release(&d->feats[i]);
    free(d->labels[i].data);
  }
  free(d->keys);
  free(d->feats);
  free(d->labels);
  free(d);
}
