/* An in-memory table of transcripts, key -> tokens, with open addressing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "io/table.h"
#include "score/score.h"

typedef struct {
  char *key;
  Tokens tok;
  bool used;
} Entry;

struct ScoreTexts {
  Entry *slot;
  size_t cap, n;
};

static uint64_t hash_str(const char *s) { /* FNV-1a */
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static Entry *lookup(const ScoreTexts *t, const char *key) {
  size_t i = hash_str(key) & (t->cap - 1);
  while (t->slot[i].key && strcmp(t->slot[i].key, key) != 0) i = (i + 1) & (t->cap - 1);
  return &t->slot[i];
}

static void grow(ScoreTexts *t) {
  ScoreTexts old = *t;
  t->cap = old.cap ? old.cap * 2 : 64;
  t->slot = xcalloc(t->cap, sizeof(Entry));
  for (size_t i = 0; i < old.cap; i++)
    if (old.slot[i].key) *lookup(t, old.slot[i].key) = old.slot[i];
  free(old.slot);
}

ScoreTexts *score_texts_read(const char *rspecifier) {
  ScoreTexts *t = xcalloc(1, sizeof *t);
  grow(t);
  TableReader *r = tbl_reader_open(rspecifier, &tbl_tokens_holder);
  for (; !tbl_reader_done(r); tbl_reader_next(r)) {
    const char *key = tbl_reader_key(r);
    if (2 * (t->n + 1) > t->cap) grow(t);
    Entry *e = lookup(t, key);
    if (e->key) ERROR("duplicate key %s in %s", key, rspecifier);
    Tokens *v = tbl_reader_take_value(r);
    *e = (Entry){xstrdup(key), *v, false};
    free(v);
    t->n++;
  }
  tbl_reader_close(r);
  return t;
}

void score_texts_free(ScoreTexts *t) {
  if (!t) return;
  for (size_t i = 0; i < t->cap; i++)
    if (t->slot[i].key) {
      free(t->slot[i].key);
      tbl_tokens_holder.clear(&t->slot[i].tok);
    }
  free(t->slot);
  free(t);
}

int score_texts_size(const ScoreTexts *t) { return (int)t->n; }

bool score_texts_find(ScoreTexts *t, const char *key, const char *const **tok, int *n) {
  Entry *e = lookup(t, key);
  if (!e->key) return false;
  e->used = true;
  *n = e->tok.len;
  *tok = (const char *const *)e->tok.tok;
  return true;
}

int score_texts_unused(const ScoreTexts *t, const char **first) {
  int n = 0;
  for (size_t i = 0; i < t->cap; i++)
    if (t->slot[i].key && !t->slot[i].used) {
      if (n == 0 && first) *first = t->slot[i].key;
      n++;
    }
  return n;
}

/* The smallest key of a that b lacks, or NULL. */
static const char *first_missing(const ScoreTexts *a, const ScoreTexts *b) {
  const char *first = NULL;
  for (size_t i = 0; i < a->cap; i++) {
    const char *k = a->slot[i].key;
    if (k && !lookup(b, k)->key && (!first || strcmp(k, first) < 0)) first = k;
  }
  return first;
}

const char *score_texts_first_difference(const ScoreTexts *a, const ScoreTexts *b, bool *in_a) {
  const char *ka = first_missing(a, b), *kb = first_missing(b, a);
  *in_a = ka && (!kb || strcmp(ka, kb) < 0);
  return *in_a ? ka : kb;
}
