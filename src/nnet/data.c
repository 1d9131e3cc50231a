/* In-memory utterance sets for training. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "feat/feat.h"
#include "nnet/data.h"

static void push(NnetData *d, int *cap, char *key, Mat f, IntVec l, const int *in_frames) {
  if (d->n == *cap) {
    *cap = *cap ? 2 * *cap : 64;
    d->keys = xrealloc(d->keys, sizeof(char *) * (size_t)*cap);
    d->feats = xrealloc(d->feats, sizeof(Mat) * (size_t)*cap);
    d->labels = xrealloc(d->labels, sizeof(IntVec) * (size_t)*cap);
    if (in_frames) d->in_frames = xrealloc(d->in_frames, sizeof(int) * (size_t)*cap);
  }
  d->keys[d->n] = key, d->feats[d->n] = f, d->labels[d->n] = l;
  if (in_frames) d->in_frames[d->n] = *in_frames;
  d->frames += f.rows;
  d->n++;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static bool listed(char *const *keep, int nkeep, const char *key) {
  return bsearch(&key, keep, (size_t)nkeep, sizeof(char *), cmp_str) != NULL;
}

void nnet_data_leave_out(NnetData *d, const char *key, const char *fmt, ...) {
  char why[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  if (!d->left_out) d->left_out = strmap_new();
  free(strmap_put(d->left_out, key, xstrdup(why)));
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

NnetData *nnet_data_read(const Nnet *n, const char *feats_rspec, const char *labels_rspec, char *const *keep,
                         int nkeep, int *missing) {
  NnetData *d = xcalloc(1, sizeof(*d));
  int cap = 0, miss = 0;
  TableReader *fr = tbl_reader_open(feats_rspec, &tbl_matrix_holder);
  RandomReader *lr = tbl_random_open(labels_rspec, &tbl_int_vector_holder);
  for (; !tbl_reader_done(fr); tbl_reader_next(fr)) {
    const char *key = tbl_reader_key(fr);
    if (keep && !listed(keep, nkeep, key)) continue;
    const Mat *f = tbl_reader_value(fr);
    const IntVec *lab = tbl_random_value(lr, key);
    if (!lab) {
      WARN("no labels for utterance %s in %s: skipped", key, labels_rspec);
      nnet_data_leave_out(d, key, "it has no labels in %s", labels_rspec);
      miss++;
      continue;
    }
    if (!nnet_utterance_fits(n, key, *f, feats_rspec, lab, labels_rspec)) {
      nnet_data_leave_out(d, key, "it does not fit the model (--skip-bad)");
      d->bad++;
      continue;
    }
    if (!feat_check_finite(feats_rspec, key, *f)) {
      nnet_data_leave_out(d, key, "its features in %s are not finite", feats_rspec);
      d->nonfinite++;
      continue;
    }
    IntVec copy = {xmalloc(sizeof(int) * (size_t)(lab->len + 1)), lab->len};
    if (lab->len) memcpy(copy.data, lab->data, sizeof(int) * (size_t)lab->len);
    Mat *m = tbl_reader_take_value(fr);
    push(d, &cap, xstrdup(key), *m, copy, NULL);
    free(m);
  }
  d->unreadable = tbl_reader_num_skipped(fr);
  tbl_reader_close(fr);
  tbl_random_close(lr);
  if (missing) *missing = miss;
  return d;
}

static int by_key(const void *a, const void *b, void *keys) {
  char **k = keys;
  return strcmp(k[*(const int *)a], k[*(const int *)b]);
}

/* Reorders an array of n elements of size bytes to order[]. */
static void permute(void *a, size_t size, const int *order, int n) {
  char *tmp = xmalloc(size * (size_t)n), *p = a;
  for (int i = 0; i < n; i++) memcpy(tmp + size * (size_t)i, p + size * (size_t)order[i], size);
  memcpy(a, tmp, size * (size_t)n);
  free(tmp);
}

void nnet_data_sort(NnetData *d, const char *feats_rspec) {
  if (d->n == 0) return;
  int *order = xmalloc(sizeof(int) * (size_t)d->n);
  for (int i = 0; i < d->n; i++) order[i] = i;
  qsort_r(order, (size_t)d->n, sizeof(int), by_key, d->keys);
  permute(d->keys, sizeof(char *), order, d->n);
  permute(d->feats, sizeof(Mat), order, d->n);
  permute(d->labels, sizeof(IntVec), order, d->n);
  if (d->in_frames) permute(d->in_frames, sizeof(int), order, d->n);
  free(order);
  for (int i = 1; i < d->n; i++)
    if (strcmp(d->keys[i], d->keys[i - 1]) == 0) ERROR("%s: duplicate key %s", feats_rspec, d->keys[i]);
}

int nnet_data_find(const NnetData *d, const char *key) {
  char *const *p = bsearch(&key, d->keys, (size_t)d->n, sizeof(char *), cmp_str);
  return p ? (int)(p - d->keys) : -1;
}

NnetData *nnet_data_split(NnetData *d, const bool *take) {
  NnetData *out = xcalloc(1, sizeof(*out));
  int cap = 0, kept = 0;
  long frames = 0;
  for (int i = 0; i < d->n; i++) {
    if (take[i]) {
      push(out, &cap, d->keys[i], d->feats[i], d->labels[i], d->in_frames ? &d->in_frames[i] : NULL);
      continue;
    }
    d->keys[kept] = d->keys[i], d->feats[kept] = d->feats[i], d->labels[kept] = d->labels[i];
    if (d->in_frames) d->in_frames[kept] = d->in_frames[i];
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
  free(d->in_frames);
  if (d->left_out) {
    for (int i = 0; i < strmap_size(d->left_out); i++) free(strmap_value(d->left_out, i));
    strmap_free(d->left_out);
  }
  free(d);
}
