/* ARPA back-off language model files:
 *   \data\            ngram 1=N1 ...      \1-grams:  log10p w [log10bow] ...  \end\
 * Text before \data\ is ignored (SRILM and KenLM may write a header there). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "decode/lm-internal.h"
#include "io/stream.h"

typedef struct {
  Input *in;
  const char *file;
  char *line;
  size_t cap;
  int lineno;
} Reader;

/* Next line with surrounding whitespace trimmed; false at end of file. */
static bool next_line(Reader *r, char **out) {
  if (!input_getline(r->in, &r->line, &r->cap)) return false;
  r->lineno++;
  char *s = r->line, *e = s + strlen(s);
  while (*s && isspace((unsigned char)*s)) s++;
  while (e > s && isspace((unsigned char)e[-1])) *--e = 0;
  *out = s;
  return true;
}

/* Next non-blank line, or NULL at end of file. */
static char *next_nonblank(Reader *r) {
  char *s;
  while (next_line(r, &s))
    if (*s) return s;
  return NULL;
}

static bool parse_logprob(const char *s, float *v) {
  if (strcmp(s, "-inf") == 0 || strcmp(s, "-Infinity") == 0) { *v = -99; return true; }
  return parse_float(s, v);
}

/* Reads "\data\" and the "ngram N=count" lines; returns the order, counts in counts[]. */
static int read_header(Reader *r, long counts[DEC_LM_MAX_ORDER]) {
  char *s;
  do {
    if (!next_line(r, &s)) ERROR("%s: no \\data\\ section: not an ARPA file", r->file);
  } while (strcmp(s, "\\data\\") != 0);
  int order = 0;
  while ((s = next_nonblank(r)) && strncmp(s, "ngram ", 6) == 0) {
    int n;
    long c;
    char *eq = strchr(s, '=');
    if (!eq) ERROR("%s line %d: expected \"ngram N=count\"", r->file, r->lineno);
    *eq = 0;
    char *ns = s + 6;
    while (*ns == ' ') ns++;
    if (!parse_int(ns, &n) || !parse_long(eq + 1, &c) || c < 0)
      ERROR("%s line %d: bad n-gram count line", r->file, r->lineno);
    if (n != order + 1)
      ERROR("%s line %d: counts must be given for orders 1, 2, ... in turn; got order %d",
            r->file, r->lineno, n);
    if (n > DEC_LM_MAX_ORDER) ERROR("%s: order %d above the maximum %d", r->file, n, DEC_LM_MAX_ORDER);
    counts[order++] = c;
  }
  if (order == 0) ERROR("%s line %d: \\data\\ section has no \"ngram N=count\" lines", r->file, r->lineno);
  if (!s) ERROR("%s: ends after the \\data\\ section; no \\1-grams: section", r->file);
  if (strcmp(s, "\\1-grams:") != 0)
    ERROR("%s line %d: expected \\1-grams:, got \"%.40s\"", r->file, r->lineno, s);
  return order;
}

/* Reads the entries of order n (its header already read); returns the line that ends
 * the section (the next "\..." line) or NULL at end of file. */
static char *read_section(Reader *r, DecLm *lm, int n, long expected) {
  NgramTable *t = &lm->ng[n - 1];
  int key[DEC_LM_MAX_ORDER];
  char *s, *f[DEC_LM_MAX_ORDER + 3];
  long found = 0;
  while ((s = next_nonblank(r)) && s[0] != '\\') {
    int nf = 0;
    for (char *tok = strtok(s, " \t"); tok && nf < n + 3; tok = strtok(NULL, " \t")) f[nf++] = tok;
    float p, b = 0;
    if (nf < n + 1 || nf > n + 2 || !parse_logprob(f[0], &p) || (nf == n + 2 && !parse_logprob(f[n + 1], &b)))
      ERROR("%s line %d: expected \"log10-prob\" then %d words and an optional back-off weight",
            r->file, r->lineno, n);
    for (int i = 0; i < n; i++) {
      key[i] = n == 1 ? lm_add_word(lm, f[1]) : dec_lm_word(lm, f[i + 1]);
      if (key[i] < 0) ERROR("%s line %d: word \"%s\" has no unigram", r->file, r->lineno, f[i + 1]);
    }
    bool is_new;
    int e = ngram_insert(t, key, &is_new);
    if (!is_new) ERROR("%s line %d: %d-gram listed twice", r->file, r->lineno, n);
    t->prob[e] = p;
    t->bow[e] = b;
    found++;
  }
  if (found != expected)
    ERROR("%s: \\data\\ declares %ld %d-grams but the \\%d-grams: section has %ld", r->file,
          expected, n, n, found);
  return s;
}

DecLm *dec_lm_read_arpa(const char *rxfilename) {
  Reader r = {input_open(rxfilename), rxfilename, NULL, 0, 0};
  long counts[DEC_LM_MAX_ORDER];
  int order = read_header(&r, counts);
  DecLm *lm = lm_new(order);
  for (int n = 1; n <= order; n++) {
    char *s = read_section(&r, lm, n, counts[n - 1]);
    char want[32];
    if (n < order) snprintf(want, sizeof want, "\\%d-grams:", n + 1);
    else snprintf(want, sizeof want, "\\end\\");
    if (!s) ERROR("%s: ends without the %s section", rxfilename, want);
    if (strcmp(s, want) != 0)
      ERROR("%s line %d: expected %s, got \"%.40s\"", rxfilename, r.lineno, want, s);
  }
  free(r.line);
  char err[256];
  if (!input_close(r.in, err, sizeof err)) ERROR("%s: %s", rxfilename, err);
  lm->bos = dec_lm_word(lm, "<s>");
  lm->eos = dec_lm_word(lm, "</s>");
  lm->unk = dec_lm_word(lm, "<unk>");
  if (lm->bos < 0 || lm->eos < 0) ERROR("%s: the unigrams lack <s> or </s>", rxfilename);
  return lm;
}

void dec_lm_write_arpa(const DecLm *lm, const char *wxfilename) {
  Output *out = output_open(wxfilename);
  output_printf(out, "\n\\data\\\n");
  for (int k = 0; k < lm->order; k++) output_printf(out, "ngram %d=%d\n", k + 1, lm->ng[k].size);
  for (int k = 0; k < lm->order; k++) {
    const NgramTable *t = &lm->ng[k];
    output_printf(out, "\n\\%d-grams:\n", k + 1);
    for (int e = 0; e < t->size; e++) {
      output_printf(out, "%.7g", (double)t->prob[e]);
      for (int i = 0; i <= k; i++)
        output_printf(out, "%c%s", i ? ' ' : '\t', lm->vocab[t->keys[(size_t)e * t->n + i]]);
      if (k < lm->order - 1) output_printf(out, "\t%.7g", (double)t->bow[e]);
      output_printf(out, "\n");
    }
  }
  output_printf(out, "\n\\end\\\n");
  output_close(out);
}
