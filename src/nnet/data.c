/* In-memory utterance sets for training. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "feat/feat.h"
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

static bool skip_bad;

void nnet_register_data_checks(Options *po) {
  feat_register_strict(po);
  opts_bool(po, "skip-bad", &skip_bad,
            "Skip with a warning an utterance that does not fit the model (features of another "
            "dimension than its input, a label outside its output units); default: stop with an error");
}

bool nnet_utterance_fits(const Nnet *n, const char *key, Mat f, const char *feats_rspec,
                         const IntVec *labels, const char *labels_rspec) {
  char why[512] = "";
  int K = nnet_output_dim(n);
  if (f.cols != nnet_input_dim(n))
    snprintf(why, sizeof why, "features in %s have dimension %d, the model's input dimension is %d", feats_rspec,
             f.cols, nnet_input_dim(n));
  for (int i = 0; labels && !*why && i < labels->len; i++)
    if (labels->data[i] < 1 || labels->data[i] >= K)
      snprintf(why, sizeof why, "label %d in %s is outside the model's output units 1..%d (0 is the blank)",
               labels->data[i], labels_rspec, K - 1);
  if (!*why) return true;
  if (!skip_bad) ERROR("utterance %s: %s; use --skip-bad to skip such utterances", key, why);
  WARN("utterance %s: %s; skipped (--skip-bad)", key, why);
  return false;
}

NnetData *nnet_data_read(const Nnet *n, const char *feats_rspec, const char *labels_rspec, int *missing) {
  NnetData *d = xcalloc(1, sizeof(*d));
  int cap = 0, miss = 0;
  TableReader *fr = tbl_reader_open(feats_rspec, &tbl_matrix_holder);
  RandomReader *lr = tbl_random_open(labels_rspec, &tbl_int_vector_holder);
  for (; !tbl_reader_done(fr); tbl_reader_next(fr)) {
    const char *key = tbl_reader_key(fr);
    const Mat *f = tbl_reader_value(fr);
    const IntVec *lab = tbl_random_value(lr, key);
    if (!lab) {
      WARN("no labels for utterance %s in %s: skipped", key, labels_rspec);
      miss++;
      continue;
    }
    if (!nnet_utterance_fits(n, key, *f, feats_rspec, lab, labels_rspec)) {
      d->bad++;
      continue;
    }
    if (!feat_check_finite(feats_rspec, key, *f)) {
      d->nonfinite++;
      continue;
    }
    IntVec copy = {xmalloc(sizeof(int) * (size_t)(lab->len + 1)), lab->len};
    if (lab->len) memcpy(copy.data, lab->data, sizeof(int) * (size_t)lab->len);
    Mat *m = tbl_reader_take_value(fr);
    push(d, &cap, xstrdup(key), *m, copy);
    free(m);
  }
  d->unreadable = tbl_reader_num_skipped(fr);
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
