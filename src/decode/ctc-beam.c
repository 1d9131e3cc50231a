/* CTC greedy decoding and prefix beam search with an optional n-gram LM.
 * Prefixes kept in the beam live in a trie (one node per distinct prefix), so two
 * paths reaching the same prefix meet at one node; a node caches ln P_lm of its
 * prefix. Per frame: every kept prefix is extended by blank, by its last unit (a
 * repeat collapses, unless separated by a blank) and by each unit within unit_beam of
 * the frame's best; the `beam` best prefixes survive. An extension to a prefix not in
 * the trie can be reached from one kept prefix only, so it is scored as a candidate
 * (parent, unit) and becomes a node only if it survives: the trie grows by at most
 * `beam` nodes per frame. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "decode/decode.h"

typedef struct {
  int parent, unit, child, sibling; /* unit -1 at the root */
  int len;
  double lm;      /* ln P_lm of the prefix (without </s>) */
  int stamp, at;  /* frame of the last visit and the entry index there */
} Node;

typedef struct {
  int node;              /* -1 for a candidate new prefix: parent + unit */
  int parent, unit, len;
  double lm;             /* ln P_lm of the prefix */
  double pb, pnb, score; /* ln probabilities of alignments ending in blank / in a unit */
} Entry;

struct DecBeam {
  DecBeamOpts o;
  int num_units;
  const DecLm *lm;
  int *unit2lm;
  Node *nodes;
  int nnodes, cap;
  Entry *cur, *next;
  int ncur, nnext, ecap;
  int *cand, *out_units;
  int *kid; /* per unit: the child of the node being extended, -1 when absent */
  /* LM scores memoised by history: a direct-mapped cache of `ncache` rows, each
   * the history (length, words) and ln P_lm(u | history) per unit (NAN = not yet). */
  int ncache;
  int *cache_hist;     /* ncache x DEC_LM_MAX_ORDER: length then words */
  float *cache_score;  /* ncache x num_units */
};

static const double kNegInf = -INFINITY;

static double log_add(double a, double b) {
  if (a < b) { double t = a; a = b; b = t; }
  if (b == kNegInf) return a;
  return a + log1p(exp(b - a));
}

void dec_beam_opts_default(DecBeamOpts *o) {
  *o = (DecBeamOpts){.beam = 16, .unit_beam = 10.0f, .lm_weight = 0.5f,
                     .insertion_bonus = 0.0f, .nbest = 1};
}

void dec_beam_opts_register(Options *po, DecBeamOpts *o) {
  opts_int(po, "beam", &o->beam, "Prefixes kept per frame in beam search");
  opts_float(po, "unit-beam", &o->unit_beam, "Per frame, skip units whose log-posterior is "
             "more than this below the frame's best");
  opts_float(po, "lm-weight", &o->lm_weight, "Weight of the LM's natural-log probability");
  opts_float(po, "insertion-bonus", &o->insertion_bonus, "Score added per output unit");
  opts_int(po, "nbest", &o->nbest, "Number of hypotheses output per utterance");
}

int dec_greedy(Mat lp, int *out, double *score) {
  int n = 0, prev = 0;
  double total = 0;
  for (int t = 0; t < lp.rows; t++) {
    const float *row = mat_row(lp, t);
    int best = 0;
    for (int u = 1; u < lp.cols; u++)
      if (row[u] > row[best]) best = u;
    total += row[best];
    if (best != 0 && best != prev) out[n++] = best;
    prev = best;
  }
  *score = total;
  return n;
}

DecBeam *dec_beam_new(const DecBeamOpts *opts, int num_units, const DecLm *lm,
                      const DecUnits *units) {
  if (opts->beam < 1 || opts->nbest < 1 || opts->nbest > opts->beam)
    ERROR("need 1 <= --nbest <= --beam, got --nbest=%d --beam=%d", opts->nbest, opts->beam);
  if (num_units < 2) ERROR("need a blank and at least one unit, got %d outputs", num_units);
  DecBeam *d = xcalloc(1, sizeof *d);
  d->o = *opts;
  d->num_units = num_units;
  d->lm = lm;
  if (lm) {
    d->unit2lm = xmalloc(sizeof(int) * (size_t)num_units);
    int missing = 0;
    const char *first = NULL;
    for (int u = 1; u < num_units; u++) {
      d->unit2lm[u] = dec_lm_word(lm, dec_units_symbol(units, u));
      if (d->unit2lm[u] < 0 && !missing++) first = dec_units_symbol(units, u);
    }
    if (missing)
      WARN("%d units are not in the LM's vocabulary (e.g. %s); they score as %s", missing, first,
           dec_lm_unk(lm) >= 0 ? "<unk>" : "log10 p = -99");
  }
  d->ecap = opts->beam * (num_units + 1);
  d->cur = xmalloc(sizeof(Entry) * (size_t)d->ecap);
  d->next = xmalloc(sizeof(Entry) * (size_t)d->ecap);
  d->cand = xmalloc(sizeof(int) * (size_t)num_units);
  d->kid = xmalloc(sizeof(int) * (size_t)num_units);
  for (int u = 0; u < num_units; u++) d->kid[u] = -1;
  if (lm) {
    d->ncache = 1024;
    while (d->ncache > 16 && (size_t)d->ncache * (size_t)num_units > (4u << 20)) d->ncache /= 2;
    d->cache_hist = xmalloc(sizeof(int) * (size_t)d->ncache * DEC_LM_MAX_ORDER);
    for (int i = 0; i < d->ncache; i++) d->cache_hist[i * DEC_LM_MAX_ORDER] = -1;
    d->cache_score = xmalloc(sizeof(float) * (size_t)d->ncache * (size_t)num_units);
  }
  return d;
}

void dec_beam_free(DecBeam *d) {
  if (!d) return;
  free(d->unit2lm);
  free(d->nodes);
  free(d->cur);
  free(d->next);
  free(d->cand);
  free(d->kid);
  free(d->cache_hist);
  free(d->cache_score);
  free(d->out_units);
  free(d);
}

/* The LM history of the prefix ending at node: its last order-1 units as LM words
 * (with <s> when the prefix is shorter), oldest first; returns its length. */
static int lm_history(const DecBeam *d, int node, int *hist) {
  int n = 0, max = dec_lm_order(d->lm) - 1, p = node;
  for (; p > 0 && n < max; p = d->nodes[p].parent) hist[n++] = d->unit2lm[d->nodes[p].unit];
  if (p == 0 && n < max) hist[n++] = dec_lm_bos(d->lm);
  for (int i = 0; i < n / 2; i++) { int t = hist[i]; hist[i] = hist[n - 1 - i]; hist[n - 1 - i] = t; }
  return n;
}

/* ln P_lm(word | the prefix ending at node). */
static double lm_step(DecBeam *d, int node, int lm_word) {
  int hist[DEC_LM_MAX_ORDER];
  int n = lm_history(d, node, hist);
  return dec_lm_logprob(d->lm, hist, n, lm_word);
}

/* The cache row of LM scores after this history (claimed and cleared on a miss). */
static float *lm_scores(DecBeam *d, const int *hist, int n) {
  uint64_t h = (uint64_t)n;
  for (int i = 0; i < n; i++) h = (h ^ (uint32_t)hist[i]) * 0x9E3779B97F4A7C15ull;
  size_t row = (size_t)((h >> 32) % (uint64_t)d->ncache);
  int *key = d->cache_hist + row * DEC_LM_MAX_ORDER;
  float *scores = d->cache_score + row * (size_t)d->num_units;
  if (key[0] != n || memcmp(key + 1, hist, sizeof(int) * (size_t)n) != 0) {
    key[0] = n;
    memcpy(key + 1, hist, sizeof(int) * (size_t)n);
    for (int u = 0; u < d->num_units; u++) scores[u] = NAN;
  }
  return scores;
}

static int new_node(DecBeam *d, int parent, int unit, double lm) {
  if (d->nnodes == d->cap) {
    d->cap = d->cap ? 2 * d->cap : 1024;
    d->nodes = xrealloc(d->nodes, sizeof(Node) * (size_t)d->cap);
  }
  int i = d->nnodes++;
  Node *n = &d->nodes[i];
  *n = (Node){parent, unit, -1, -1, 0, lm, -1, -1};
  if (parent >= 0) {
    Node *p = &d->nodes[parent];
    n->len = p->len + 1;
    n->sibling = p->child;
    p->child = i;
  }
  return i;
}


/* The entry of node in the next frame's set, created empty on first visit. */
static Entry *next_entry(DecBeam *d, int node, int t) {
  Node *n = &d->nodes[node];
  if (n->stamp != t) {
    n->stamp = t;
    n->at = d->nnext;
    d->next[d->nnext++] = (Entry){node, n->parent, n->unit, n->len, n->lm, kNegInf, kNegInf, 0};
  }
  return &d->next[n->at];
}

static double rank_score(const DecBeam *d, const Entry *e, bool final) {
  double lm = e->lm;
  if (final && d->lm) lm += lm_step((DecBeam *)d, e->node, dec_lm_eos(d->lm));
  return log_add(e->pb, e->pnb) + d->o.lm_weight * lm + d->o.insertion_bonus * e->len;
}

static int entry_cmp(const void *a, const void *b) {
  const Entry *x = a, *y = b;
  if (x->score != y->score) return x->score > y->score ? -1 : 1;
  if (x->node != y->node) return x->node - y->node; /* deterministic order among ties */
  if (x->parent != y->parent) return x->parent - y->parent;
  return x->unit - y->unit;
}

/* Extends one prefix by blank, its last unit and the candidates. The node's children
 * are indexed by unit in d->kid first, so finding each is O(1). */
static void extend(DecBeam *d, const Entry *e, const float *row, int ncand, int t) {
  double total = log_add(e->pb, e->pnb);
  Entry *same = next_entry(d, e->node, t);
  same->pb = log_add(same->pb, total + row[0]);
  int last = d->nodes[e->node].unit;
  if (last > 0) same->pnb = log_add(same->pnb, e->pnb + row[last]);
  for (int c = d->nodes[e->node].child; c >= 0; c = d->nodes[c].sibling) d->kid[d->nodes[c].unit] = c;
  int hist[DEC_LM_MAX_ORDER], nhist = d->lm ? lm_history(d, e->node, hist) : 0;
  float *lms = d->lm ? lm_scores(d, hist, nhist) : NULL;
  for (int i = 0; i < ncand; i++) {
    int u = d->cand[i];
    double from = u == last ? e->pb : total; /* a repeat needs a blank in between */
    if (from == kNegInf) continue;
    if (d->kid[u] >= 0) {
      Entry *x = next_entry(d, d->kid[u], t);
      x->pnb = log_add(x->pnb, from + row[u]);
    } else { /* a new prefix, reachable from this entry only */
      const Node *p = &d->nodes[e->node];
      if (lms && isnan(lms[u])) lms[u] = (float)dec_lm_logprob(d->lm, hist, nhist, d->unit2lm[u]);
      double lm = p->lm + (lms ? lms[u] : 0);
      d->next[d->nnext++] = (Entry){-1, e->node, u, p->len + 1, lm, kNegInf, from + row[u], 0};
    }
  }
  for (int c = d->nodes[e->node].child; c >= 0; c = d->nodes[c].sibling) d->kid[d->nodes[c].unit] = -1;
}

/* Moves the k best entries (by entry_cmp) to the front, unordered (quickselect). */
static void select_best(Entry *a, int n, int k) {
  int lo = 0, hi = n - 1;
  while (lo < hi) {
    Entry pivot = a[(lo + hi) / 2];
    int i = lo, j = hi;
    while (i <= j) {
      while (entry_cmp(&a[i], &pivot) < 0) i++;
      while (entry_cmp(&a[j], &pivot) > 0) j--;
      if (i <= j) { Entry x = a[i]; a[i] = a[j]; a[j] = x; i++; j--; }
    }
    if (k - 1 <= j) hi = j;
    else if (k - 1 >= i) lo = i;
    else break;
  }
}

int dec_beam_search(DecBeam *d, Mat lp, DecHyp *out) {
  if (lp.cols != d->num_units)
    ERROR("log-posteriors have %d columns, the decoder was set up for %d units", lp.cols, d->num_units);
  d->nnodes = 0;
  new_node(d, -1, -1, 0);
  d->cur[0] = (Entry){0, -1, -1, 0, 0, 0.0, kNegInf, 0};
  d->ncur = 1;
  for (int t = 0; t < lp.rows; t++) {
    const float *row = mat_row(lp, t);
    float best = row[1];
    for (int u = 2; u < lp.cols; u++) best = fmaxf(best, row[u]);
    best = fmaxf(best, row[0]);
    int ncand = 0;
    for (int u = 1; u < lp.cols; u++)
      if (row[u] >= best - d->o.unit_beam) d->cand[ncand++] = u;
    d->nnext = 0;
    for (int i = 0; i < d->ncur; i++) extend(d, &d->cur[i], row, ncand, t);
    for (int i = 0; i < d->nnext; i++) d->next[i].score = rank_score(d, &d->next[i], false);
    for (int i = 0; i < d->nnext; i++)
      if (d->next[i].node >= 0) d->nodes[d->next[i].node].stamp = -1;
    if (d->nnext > d->o.beam) select_best(d->next, d->nnext, d->o.beam);
    Entry *tmp = d->cur; d->cur = d->next; d->next = tmp;
    d->ncur = d->nnext < d->o.beam ? d->nnext : d->o.beam;
    for (int i = 0; i < d->ncur; i++) { /* survivors become nodes */
      Entry *e = &d->cur[i];
      if (e->node < 0) e->node = new_node(d, e->parent, e->unit, e->lm);
    }
  }
  for (int i = 0; i < d->ncur; i++) d->cur[i].score = rank_score(d, &d->cur[i], true);
  qsort(d->cur, (size_t)d->ncur, sizeof(Entry), entry_cmp);
  int n = d->ncur < d->o.nbest ? d->ncur : d->o.nbest, total_len = 0;
  for (int i = 0; i < n; i++) total_len += d->nodes[d->cur[i].node].len;
  d->out_units = xrealloc(d->out_units, sizeof(int) * (size_t)(total_len + 1));
  int *p = d->out_units;
  for (int i = 0; i < n; i++) {
    const Entry *e = &d->cur[i];
    const Node *nd = &d->nodes[e->node];
    double lm = d->lm ? e->lm + lm_step(d, e->node, dec_lm_eos(d->lm)) : 0;
    out[i] = (DecHyp){p, nd->len, e->score, log_add(e->pb, e->pnb), lm};
    for (int k = nd->len - 1, x = e->node; k >= 0; k--, x = d->nodes[x].parent) p[k] = d->nodes[x].unit;
    p += nd->len;
  }
  return n;
}
