/* The output units of a CTC model: symbol table and joining units into words. */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "decode/decode.h"
#include "io/stream.h"

struct DecUnits {
  char **sym; /* by id */
  int n;
};

DecUnits *dec_units_new(const char *const *symbols, int n) {
  DecUnits *u = xcalloc(1, sizeof *u);
  u->sym = xcalloc((size_t)(n ? n : 1), sizeof(char *));
  u->n = n;
  for (int i = 0; i < n; i++) u->sym[i] = xstrdup(symbols[i]);
  return u;
}

/* Parses "symbol integer" into the table, growing it; ERROR on any problem. */
static void add_line(DecUnits *u, int *cap, const char *file, int lineno, char *line) {
  char *sym = strtok(line, " \t\r"), *id_s = strtok(NULL, " \t\r"), *extra = strtok(NULL, " \t\r");
  if (!sym) return; /* blank line */
  int id;
  if (!id_s || extra || !parse_int(id_s, &id) || id < 0)
    ERROR("%s line %d: expected \"symbol integer\"", file, lineno);
  if (id >= *cap) {
    int old = *cap;
    *cap = id + 1 > 2 * old ? id + 1 : 2 * old;
    u->sym = xrealloc(u->sym, sizeof(char *) * (size_t)*cap);
    memset(u->sym + old, 0, sizeof(char *) * (size_t)(*cap - old));
  }
  if (u->sym[id]) ERROR("%s line %d: id %d given twice (%s and %s)", file, lineno, id, u->sym[id], sym);
  u->sym[id] = xstrdup(sym);
  if (id >= u->n) u->n = id + 1;
}

DecUnits *dec_units_read(const char *rxfilename) {
  DecUnits *u = xcalloc(1, sizeof *u);
  int cap = 0, lineno = 0;
  Input *in = input_open(rxfilename);
  char *line = NULL;
  size_t lcap = 0;
  while (input_getline(in, &line, &lcap)) add_line(u, &cap, rxfilename, ++lineno, line);
  free(line);
  char err[256];
  if (!input_close(in, err, sizeof err)) ERROR("%s: %s", rxfilename, err);
  if (u->n == 0) ERROR("%s: no units", rxfilename);
  for (int i = 0; i < u->n; i++)
    if (!u->sym[i]) ERROR("%s: ids must be 0..%d without gaps, %d is missing", rxfilename, u->n - 1, i);
  for (int i = 0; i < u->n; i++)
    for (int j = i + 1; j < u->n; j++)
      if (strcmp(u->sym[i], u->sym[j]) == 0)
        ERROR("%s: symbol %s has two ids (%d and %d)", rxfilename, u->sym[i], i, j);
  return u;
}

void dec_units_free(DecUnits *u) {
  if (!u) return;
  for (int i = 0; i < u->n; i++) free(u->sym[i]);
  free(u->sym);
  free(u);
}

int dec_units_count(const DecUnits *u) { return u->n; }

const char *dec_units_symbol(const DecUnits *u, int id) {
  return id >= 0 && id < u->n ? u->sym[id] : NULL;
}

int dec_units_find(const DecUnits *u, const char *symbol) {
  for (int i = 0; i < u->n; i++)
    if (strcmp(u->sym[i], symbol) == 0) return i;
  return -1;
}

char **dec_units_to_words(const DecUnits *u, const int *ids, int n, const char *boundary,
                          int *nwords) {
  size_t bytes = 0;
  for (int i = 0; i < n; i++) bytes += strlen(u->sym[ids[i]]) + 1;
  char **w = xmalloc(sizeof(char *) * (size_t)(n + 1) + bytes + 1);
  char *pool = (char *)(w + n + 1), *cur = NULL; /* cur: the word being built */
  size_t blen = boundary ? strlen(boundary) : 0;
  int k = 0;
  for (int i = 0; i < n; i++) {
    const char *s = u->sym[ids[i]];
    if (blen && strcmp(s, boundary) == 0) {
      cur = NULL; /* ends the word */
      continue;
    }
    if (blen && strncmp(s, boundary, blen) == 0) {
      cur = NULL;
      s += blen;
    }
    if (!blen || !cur) { /* a new word */
      cur = pool;
      w[k++] = cur;
    } else {
      pool--; /* overwrite the terminator of the current word */
    }
    size_t len = strlen(s);
    memcpy(pool, s, len);
    pool += len;
    *pool++ = 0;
    if (!blen) cur = NULL;
  }
  *nwords = k;
  return w;
}
