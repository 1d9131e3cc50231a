/* The utterances of the episodes in memory (features and labels), checked against the
 * model once, and episodes resolved to indices into them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/strmap.h"
#include "base/util.h"
#include "feat/feat.h"
#include "meta/meta.h"
#include "nnet/ctc.h"
#include "nnet/data.h"

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int find_sorted(char *const *keys, int n, const char *key) {
  char *const *p = bsearch(&key, keys, (size_t)n, sizeof(char *), cmp_str);
  return p ? (int)(p - keys) : -1;
}

/* The sorted, de-duplicated utterance ids the episode sets name. */
static char **needed_keys(TaskEpisodes *const *sets, int nsets, int *n) {
  int cap = 0;
  for (int s = 0; s < nsets; s++)
    for (int i = 0; i < sets[s]->num; i++) cap += sets[s]->ep[i].num_support + sets[s]->ep[i].num_query;
  char **k = xmalloc(sizeof(char *) * (size_t)(cap ? cap : 1));
  int m = 0;
  for (int s = 0; s < nsets; s++)
    for (int i = 0; i < sets[s]->num; i++) {
      const TaskEpisode *e = &sets[s]->ep[i];
      for (int j = 0; j < e->num_support; j++) k[m++] = e->support[j];
      for (int j = 0; j < e->num_query; j++) k[m++] = e->query[j];
    }
  qsort(k, (size_t)m, sizeof(char *), cmp_str);
  int u = 0;
  for (int i = 0; i < m; i++)
    if (u == 0 || strcmp(k[u - 1], k[i]) != 0) k[u++] = k[i];
  *n = u;
  return k;
}

/* Checks one utterance against the model (nnet/data.h's rules for every program); false
 * for an utterance left out, with the reason in why. */
static bool check_utt(const Nnet *n, const char *key, const Mat *f, const IntVec *l, const char *feats_rspec,
                      const char *labels_rspec, char *why, size_t len) {
  if (!nnet_utterance_fits(n, key, *f, feats_rspec, l, labels_rspec)) {
    snprintf(why, len, "it does not fit the model (--skip-bad)");
    return false;
  }
  if (!feat_check_finite(feats_rspec, key, *f)) {
    snprintf(why, len, "its features in %s are not finite", feats_rspec);
    return false;
  }
  if (f->rows == 0) {
    WARN("utterance %s: no frames, left out", key);
    snprintf(why, len, "it has no frames in %s", feats_rspec);
    return false;
  }
  int need = nnet_ctc_min_frames(l->data, l->len), have = nnet_output_frames(n, f->rows);
  if (have < need) {
    WARN("utterance %s: %d output frames cannot hold its %d labels under CTC (needs %d), left out",
         key, have, l->len, need);
    snprintf(why, len, "it is too short for its labels under CTC");
    return false;
  }
  return true;
}

/* Records why a key is not among the usable utterances (for meta_tasks_resolve). */
static void left_out(MetaData *d, const char *key, const char *why) {
  if (!d->left_out) d->left_out = strmap_new();
  free(strmap_put(d->left_out, key, xstrdup(why)));
}

MetaData *meta_data_load(const Nnet *n, const char *feats_rspec, const char *labels_rspec,
                         TaskEpisodes *const *sets, int nsets) {
  int nneed = 0;
  char **need = nsets ? needed_keys(sets, nsets, &nneed) : NULL;
  /* Features of the needed keys (all keys when no sets), in table order. */
  int cap = 0, nf = 0, unreadable;
  char **fkeys = NULL;
  Mat *feats = NULL;
  TableReader *r = tbl_reader_open(feats_rspec, &tbl_matrix_holder);
  for (; !tbl_reader_done(r); tbl_reader_next(r)) {
    const char *key = tbl_reader_key(r);
    if (nsets && find_sorted(need, nneed, key) < 0) continue;
    if (nf == cap) {
      cap = cap ? 2 * cap : 256;
      fkeys = xrealloc(fkeys, sizeof(char *) * (size_t)cap);
      feats = xrealloc(feats, sizeof(Mat) * (size_t)cap);
    }
    Mat *m = tbl_reader_take_value(r);
    fkeys[nf] = xstrdup(key);
    feats[nf++] = *m;
    free(m);
  }
  unreadable = tbl_reader_num_skipped(r);
  tbl_reader_close(r);
  /* Sort features by key (index permutation), then read the labels. */
  int *perm = xmalloc(sizeof(int) * (size_t)(nf ? nf : 1));
  char **skeys = xmalloc(sizeof(char *) * (size_t)(nf ? nf : 1));
  if (nf) memcpy(skeys, fkeys, sizeof(char *) * (size_t)nf);
  qsort(skeys, (size_t)nf, sizeof(char *), cmp_str);
  for (int i = 1; i < nf; i++)
    if (strcmp(skeys[i], skeys[i - 1]) == 0) ERROR("%s: duplicate key %s", feats_rspec, skeys[i]);
  for (int i = 0; i < nf; i++) perm[find_sorted(skeys, nf, fkeys[i])] = i;
  IntVec *labs = xcalloc((size_t)(nf ? nf : 1), sizeof(IntVec));
  bool *have = xcalloc((size_t)(nf ? nf : 1), sizeof(bool));
  r = tbl_reader_open(labels_rspec, &tbl_int_vector_holder);
  for (; !tbl_reader_done(r); tbl_reader_next(r)) {
    int i = find_sorted(skeys, nf, tbl_reader_key(r));
    if (i < 0 || have[i]) continue;
    IntVec *v = tbl_reader_take_value(r);
    labs[i] = *v;
    have[i] = true;
    free(v);
  }
  tbl_reader_close(r);

  MetaData *d = xcalloc(1, sizeof(*d));
  d->keys = xmalloc(sizeof(char *) * (size_t)(nf ? nf : 1));
  d->feats = xmalloc(sizeof(Mat) * (size_t)(nf ? nf : 1));
  d->labels = xmalloc(sizeof(IntVec) * (size_t)(nf ? nf : 1));
  char why[1024];
  for (int i = 0; i < nneed; i++)
    if (find_sorted(skeys, nf, need[i]) < 0) {
      snprintf(why, sizeof why, "it is not in the features %s", feats_rspec);
      left_out(d, need[i], why);
    }
  free(need);
  int no_labels = 0, unusable = unreadable;
  for (int i = 0; i < nf; i++) {
    Mat *f = &feats[perm[i]];
    bool ok = have[i];
    if (!ok) {
      if (!nsets) WARN("utterance %s: no labels in %s, left out", skeys[i], labels_rspec);
      snprintf(why, sizeof why, "it has no labels in %s", labels_rspec);
      left_out(d, skeys[i], why);
      no_labels++;
    } else if (!check_utt(n, skeys[i], f, &labs[i], feats_rspec, labels_rspec, why, sizeof why)) {
      left_out(d, skeys[i], why);
      unusable++;
      ok = false;
    }
    if (ok) {
      d->keys[d->num] = skeys[i];
      d->feats[d->num] = *f;
      d->labels[d->num++] = labs[i];
    } else {
      mat_release(f);
      free(labs[i].data);
      free(skeys[i]);
    }
  }
  LOG("Loaded %d utterances from %s and %s (%d without labels, %d unusable)", d->num, feats_rspec,
      labels_rspec, no_labels, unusable);
  free(fkeys);
  free(feats);
  free(skeys);
  free(perm);
  free(labs);
  free(have);
  return d;
}

void meta_data_free(MetaData *d) {
  if (!d) return;
  for (int i = 0; i < d->num; i++) {
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

int meta_data_find(const MetaData *d, const char *key) { return find_sorted(d->keys, d->num, key); }

/* Indices of the utterances of list u (n of them) into out; missing ones are an ERROR or
 * skipped and counted. Returns how many were found. */
static int resolve_list(const MetaData *d, char **u, int n, int *out, const TaskEpisode *e,
                        const char *what, bool skip, int *missing) {
  int m = 0;
  for (int i = 0; i < n; i++) {
    int k = meta_data_find(d, u[i]);
    if (k >= 0) {
      out[m++] = k;
      continue;
    }
    const char *why = d->left_out ? strmap_get(d->left_out, u[i]) : NULL;
    if (!skip)
      ERROR("utterance %s of episode %s (%s) cannot be used: %s; use --skip-missing to skip it", u[i], e->id,
            what, why ? why : "it is not among the loaded utterances");
    (*missing)++;
  }
  return m;
}

MetaTasks *meta_tasks_resolve(const MetaData *d, const TaskEpisodes *e, const char *what,
                              bool skip_missing, int *num_missing) {
  MetaTasks *t = xcalloc(1, sizeof(*t));
  t->t = xcalloc((size_t)e->num, sizeof(MetaTask));
  int missing = 0, dropped = 0;
  for (int i = 0; i < e->num; i++) {
    const TaskEpisode *ep = &e->ep[i];
    MetaTask *k = &t->t[t->num];
    k->id = ep->id;
    k->task = ep->task;
    k->s = xmalloc(sizeof(int) * (size_t)(ep->num_support + 1));
    k->q = xmalloc(sizeof(int) * (size_t)(ep->num_query + 1));
    k->ns = resolve_list(d, ep->support, ep->num_support, k->s, ep, what, skip_missing, &missing);
    k->nq = resolve_list(d, ep->query, ep->num_query, k->q, ep, what, skip_missing, &missing);
    if (k->ns == 0 || (ep->num_query > 0 && k->nq == 0)) {
      WARN("episode %s (%s): no usable %s utterances left, episode dropped", ep->id, what,
           k->ns == 0 ? "support" : "query");
      free(k->s);
      free(k->q);
      dropped++;
      continue;
    }
    k->frames = 0;
    for (int j = 0; j < k->ns; j++) k->frames += d->feats[k->s[j]].rows;
    for (int j = 0; j < k->nq; j++) k->frames += d->feats[k->q[j]].rows;
    t->num++;
  }
  if (missing || dropped)
    WARN("%s: skipped %d missing utterances, dropped %d episodes", what, missing, dropped);
  if (num_missing) *num_missing = missing;
  if (t->num == 0) ERROR("%s: no usable episodes", what);
  return t;
}

void meta_tasks_free(MetaTasks *t) {
  if (!t) return;
  for (int i = 0; i < t->num; i++) {
    free(t->t[i].s);
    free(t->t[i].q);
  }
  free(t->t);
  free(t);
}
