/* The utterances of the episodes in memory (nnet/data.h), checked against the model
 * once, and episodes resolved to indices into them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/strmap.h"
#include "base/util.h"
#include "meta/meta.h"
#include "nnet/ctc.h"
#include "nnet/data.h"

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
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

/* What nnet_data_read has not checked: frames enough for the labels under CTC; false
 * (WARNING, the reason recorded in d) for an utterance left out. */
static bool long_enough(const Nnet *n, NnetData *d, int i, const char *feats_rspec) {
  const char *key = d->keys[i];
  const IntVec *l = &d->labels[i];
  if (d->feats[i].rows == 0) {
    WARN("utterance %s: no frames, left out", key);
    nnet_data_leave_out(d, key, "it has no frames in %s", feats_rspec);
    return false;
  }
  int need = nnet_ctc_min_frames(l->data, l->len), have = nnet_output_frames(n, d->feats[i].rows);
  if (have < need) {
    WARN("utterance %s: %d output frames cannot hold its %d labels under CTC (needs %d), left out",
         key, have, l->len, need);
    nnet_data_leave_out(d, key, "it is too short for its labels under CTC");
    return false;
  }
  return true;
}

NnetData *meta_data_load(const Nnet *n, const char *feats_rspec, const char *labels_rspec,
                         TaskEpisodes *const *sets, int nsets) {
  int nneed = 0, no_labels = 0;
  char **need = nsets ? needed_keys(sets, nsets, &nneed) : NULL;
  NnetData *d = nnet_data_read(n, feats_rspec, labels_rspec, need, nneed, &no_labels);
  nnet_data_sort(d, feats_rspec);
  for (int i = 0; i < nneed; i++)
    if (nnet_data_find(d, need[i]) < 0 && !(d->left_out && strmap_get(d->left_out, need[i])))
      nnet_data_leave_out(d, need[i], "it is not in the features %s", feats_rspec);
  free(need);
  bool *short_utt = xcalloc((size_t)d->n + 1, sizeof(bool));
  int unusable = d->unreadable + d->bad + d->nonfinite;
  for (int i = 0; i < d->n; i++)
    if (!long_enough(n, d, i, feats_rspec)) short_utt[i] = true, unusable++;
  nnet_data_free(nnet_data_split(d, short_utt));
  free(short_utt);
  LOG("Loaded %d utterances from %s and %s (%d without labels, %d unusable)", d->n, feats_rspec,
      labels_rspec, no_labels, unusable);
  return d;
}

/* Indices of the utterances of list u (n of them) into out; missing ones are an ERROR or
 * skipped and counted. Returns how many were found. */
static int resolve_list(const NnetData *d, char **u, int n, int *out, const TaskEpisode *e,
                        const char *what, bool skip, int *missing) {
  int m = 0;
  for (int i = 0; i < n; i++) {
    int k = nnet_data_find(d, u[i]);
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

MetaTasks *meta_tasks_resolve(const NnetData *d, const TaskEpisodes *e, const char *what,
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
