/* Levenshtein distance and alignment with Kaldi's tie-breaking. */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "score/score.h"

typedef struct {
  int ins, del, sub, cost;
} Cell;

static bool same(const char *a, const char *b) { return strcmp(a, b) == 0; }

/* Row-by-row over hyp, one cell per ref prefix; a cell carries the error counts of
 * the best path reaching it. Tie-break as Kaldi: substitution/match only when it is
 * strictly cheaper than both others, then deletion when strictly cheaper than
 * insertion, else insertion. */
int score_edit_distance(const char *const *ref, int nref, const char *const *hyp, int nhyp,
                        ScoreErrors *e) {
  Cell *prev = xmalloc(sizeof(Cell) * (size_t)(nref + 1));
  Cell *cur = xmalloc(sizeof(Cell) * (size_t)(nref + 1));
  for (int r = 0; r <= nref; r++) prev[r] = (Cell){0, r, 0, r};
  for (int h = 1; h <= nhyp; h++) {
    cur[0] = prev[0];
    cur[0].ins++;
    cur[0].cost++;
    for (int r = 1; r <= nref; r++) {
      int differ = !same(hyp[h - 1], ref[r - 1]);
      int ins = prev[r].cost + 1, del = cur[r - 1].cost + 1, sub = prev[r - 1].cost + differ;
      if (sub < ins && sub < del) {
        cur[r] = prev[r - 1];
        cur[r].sub += differ;
        cur[r].cost = sub;
      } else if (del < ins) {
        cur[r] = cur[r - 1];
        cur[r].del++;
        cur[r].cost = del;
      } else {
        cur[r] = prev[r];
        cur[r].ins++;
        cur[r].cost = ins;
      }
    }
    Cell *t = prev; prev = cur; cur = t;
  }
  Cell last = prev[nref];
  if (e) *e = (ScoreErrors){last.ins, last.del, last.sub};
  free(prev);
  free(cur);
  return last.cost;
}

static int min2(int a, int b) { return a < b ? a : b; }

ScorePair *score_align(const char *const *ref, int nref, const char *const *hyp, int nhyp,
                       int *n) {
  int w = nhyp + 1;
  int *d = xmalloc(sizeof(int) * (size_t)(nref + 1) * (size_t)w);
  for (int h = 0; h <= nhyp; h++) d[h] = h;
  for (int r = 1; r <= nref; r++) {
    d[r * w] = d[(r - 1) * w] + 1;
    for (int h = 1; h <= nhyp; h++) {
      int sub = d[(r - 1) * w + h - 1] + !same(ref[r - 1], hyp[h - 1]);
      d[r * w + h] = min2(sub, min2(d[(r - 1) * w + h] + 1, d[r * w + h - 1] + 1));
    }
  }
  ScorePair *out = xmalloc(sizeof(ScorePair) * (size_t)(nref + nhyp + 1));
  int k = 0, r = nref, h = nhyp;
  while (r > 0 || h > 0) { /* trace back, reversed below */
    int lr = r, lh = h;
    if (r == 0) lh = h - 1;
    else if (h == 0) lr = r - 1;
    else {
      int sub = d[(r - 1) * w + h - 1] + !same(ref[r - 1], hyp[h - 1]);
      int del = d[(r - 1) * w + h] + 1, ins = d[r * w + h - 1] + 1;
      if (sub <= min2(del, ins)) { lr = r - 1; lh = h - 1; }
      else if (del <= ins) lr = r - 1;
      else lh = h - 1;
    }
    out[k++] = (ScorePair){lr == r ? NULL : ref[lr], lh == h ? NULL : hyp[lh]};
    r = lr;
    h = lh;
  }
  for (int i = 0; i < k / 2; i++) {
    ScorePair t = out[i]; out[i] = out[k - 1 - i]; out[k - 1 - i] = t;
  }
  free(d);
  *n = k;
  return out;
}

/* Length of the UTF-8 sequence starting at s, 1 for an invalid byte. */
static int utf8_len(const unsigned char *s) {
  int n = s[0] < 0x80 ? 1 : (s[0] >> 5) == 6 ? 2 : (s[0] >> 4) == 14 ? 3 : (s[0] >> 3) == 30 ? 4 : 1;
  for (int i = 1; i < n; i++)
    if ((s[i] & 0xC0) != 0x80) return 1;
  return n;
}

char **score_utf8_chars(const char *const *tok, int ntok, int *n) {
  size_t bytes = 0;
  for (int i = 0; i < ntok; i++) bytes += strlen(tok[i]);
  /* worst case every byte a character: pointers + each char and its NUL */
  char **out = xmalloc(bytes * (sizeof(char *) + 2) + 1);
  char *pool = (char *)(out + bytes);
  int k = 0;
  for (int i = 0; i < ntok; i++) {
    const unsigned char *s = (const unsigned char *)tok[i];
    while (*s) {
      int len = utf8_len(s);
      out[k++] = pool;
      memcpy(pool, s, (size_t)len);
      pool[len] = 0;
      pool += len + 1;
      s += len;
    }
  }
  *n = k;
  return out;
}
