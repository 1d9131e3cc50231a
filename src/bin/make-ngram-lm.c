/* make-ngram-lm: estimates an ARPA n-gram language model over unit symbols. */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/options.h"
#include "base/util.h"
#include "decode/decode.h"
#include "io/table.h"
#include "score/score.h"

typedef struct {
  char ***sent;
  int *len, n, cap;
} Corpus;

static void corpus_add(Corpus *c, char **words, int n) {
  if (c->n == c->cap) {
    c->cap = c->cap ? 2 * c->cap : 256;
    c->sent = xrealloc(c->sent, sizeof(char **) * (size_t)c->cap);
    c->len = xrealloc(c->len, sizeof(int) * (size_t)c->cap);
  }
  c->sent[c->n] = words;
  c->len[c->n++] = n;
}

/* The words of one transcript as characters, `boundary` between words. */
static char **split_chars(const Tokens *t, const char *boundary, int *n) {
  char **out = xmalloc(sizeof(char *) * (size_t)(2 * t->len + 1));
  int k = 0;
  for (int i = 0; i < t->len; i++) {
    if (i) out[k++] = xstrdup(boundary);
    int nc;
    char **c = score_utf8_chars((const char *const *)&t->tok[i], 1, &nc);
    for (int j = 0; j < nc; j++) {
      if (k + 1 >= 2 * t->len + 1) out = xrealloc(out, sizeof(char *) * (size_t)(k + nc + 2 * t->len + 1));
      out[k++] = xstrdup(c[j]);
    }
    free(c);
  }
  *n = k;
  return out;
}

int main(int argc, char **argv) {
  const char *usage =
      "Estimate an n-gram language model over unit symbols (for decode --lm) from\n"
      "transcripts, with interpolated Kneser-Ney smoothing (Chen & Goodman 1998; one\n"
      "discount per order, D = n1/(n1+2 n2)), written as an ARPA back-off model.\n"
      "<s>, </s> and <unk> are added. The transcripts are a Kaldi text table (key then\n"
      "symbols); with --word-boundary each word is split into UTF-8 characters with the\n"
      "boundary symbol between words, for character units.\n"
      "Usage: make-ngram-lm [options] <text-rspecifier> <arpa-wxfilename>\n"
      "e.g.: make-ngram-lm --order=4 --word-boundary='|' ark:data/train/text data/lang/lm.arpa\n";
  int order = 3;
  const char *boundary = "", *units_file = "";
  Options *po = opts_new(usage);
  opts_int(po, "order", &order, "Order of the n-gram model (1..10)");
  opts_string(po, "word-boundary", &boundary, "If set, split words into characters with this "
              "symbol between words (as the units of a character model)");
  opts_string(po, "units", &units_file, "If set, the units file (symbol integer) of the model: "
              "symbols outside it become <unk>, with a warning");
  opts_parse(po, argc, argv);
  if (opts_num_args(po) != 2) opts_usage_exit(po);
  if (order < 1 || order > DEC_LM_MAX_ORDER) ERROR("--order=%d out of range 1..%d", order, DEC_LM_MAX_ORDER);
  DecUnits *units = *units_file ? dec_units_read(units_file) : NULL;
  Corpus c = {0};
  long num_syms = 0, num_unk = 0;
  char *first_unk = NULL;
  TableReader *r = tbl_reader_open(opts_arg(po, 0), &tbl_tokens_holder);
  for (; !tbl_reader_done(r); tbl_reader_next(r)) {
    const Tokens *t = tbl_reader_value(r);
    int n;
    char **w;
    if (*boundary) {
      w = split_chars(t, boundary, &n);
    } else {
      w = xmalloc(sizeof(char *) * (size_t)(t->len + 1));
      for (n = 0; n < t->len; n++) w[n] = xstrdup(t->tok[n]);
    }
    for (int i = 0; units && i < n; i++)
      if (dec_units_find(units, w[i]) <= 0) { /* absent, or the blank */
        if (!num_unk++) first_unk = xstrdup(tbl_reader_key(r));
        free(w[i]);
        w[i] = xstrdup("<unk>");
      }
    num_syms += n;
    corpus_add(&c, w, n);
  }
  tbl_reader_close(r);
  if (num_unk) WARN("%ld symbols are not in %s (first in utterance %s); counted as <unk>",
                    num_unk, units_file, first_unk);
  free(first_unk);
  if (c.n == 0) ERROR("no transcripts in %s", opts_arg(po, 0));
  DecLm *lm = dec_lm_estimate_kn((const char *const *const *)c.sent, c.len, c.n, order);
  dec_lm_write_arpa(lm, opts_arg(po, 1));
  LOG("Estimated a %d-gram from %d sentences, %ld symbols; wrote %s", order, c.n, num_syms,
      opts_arg(po, 1));
  for (int i = 0; i < c.n; i++) {
    for (int j = 0; j < c.len[i]; j++) free(c.sent[i][j]);
    free(c.sent[i]);
  }
  free(c.sent);
  free(c.len);
  dec_lm_free(lm);
  dec_units_free(units);
  opts_free(po);
  return 0;
}
