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

/* The lines read so far; ids are placed only once the number of units is known, since
 * an id is a claim (a one-line file may say 555555555) and must be below that number. */
typedef struct {
  int n, cap;
  char **sym;
  int *id, *line;
} UnitLines;

/* Parses "symbol integer"; ERROR on a malformed line. */
static void add_line(UnitLines *l, const char *file, int lineno, char *line) {
  char *sym = strtok(line, " \t\r"), *id_s = strtok(NULL, " \t\r"), *extra = strtok(NULL, " \t\r");
  if (!sym) return; /* blank line */
  int id;
  if (!id_s || extra || !parse_int(id_s, &id) || id < 0)
    ERROR("%s line %d: expected \"symbol integer\"", file, lineno);
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 64;
    l->sym = xrealloc(l->sym, sizeof(char *) * (size_t)l->cap);
    l->id = xrealloc(l->id, sizeof(int) * (size_t)l->cap);
    l->line = xrealloc(l->line, sizeof(int) * (size_t)l->cap);
  }
  l->sym[l->n] = xstrdup(sym), l->id[l->n] = id, l->line[l->n++] = lineno;
}

DecUnits *dec_units_read(const char *rxfilename) {
  Input *in = input_open(rxfilename);
  DecUnits *u = dec_units_read_input(in, rxfilename);
  char err[256];
  if (!input_close(in, err, sizeof err)) ERROR("%s: %s", rxfilename, err);
  return u;
}

DecUnits *dec_units_read_input(Input *in, const char *rxfilename) {
  UnitLines l = {0};
  int lineno = 0;
  char *line = NULL;
  size_t lcap = 0;
  while (input_getline(in, &line, &lcap)) add_line(&l, rxfilename, ++lineno, line);
  free(line);
  if (l.n == 0) ERROR("%s: no units", rxfilename);
  DecUnits *u = xcalloc(1, sizeof *u);
  u->n = l.n;
  u->sym = xcalloc((size_t)l.n, sizeof(char *));
  for (int k = 0; k < l.n; k++) {
    int id = l.id[k];
    if (id >= l.n)
      ERROR("%s line %d: id %d, but the file has %d units (ids must be 0..%d without gaps)", rxfilename,
            l.line[k], id, l.n, l.n - 1);
    if (u->sym[id])
      ERROR("%s line %d: id %d given twice (%s and %s)", rxfilename, l.line[k], id, u->sym[id], l.sym[k]);
    u->sym[id] = l.sym[k];
  }
  free(l.sym), free(l.id), free(l.line);
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
