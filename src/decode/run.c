/* One decoding run: units, optional LM, search, and the output tables. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "decode/decode.h"
#include "io/table.h"

struct DecRun {
  DecRunOpts o;
  DecUnits *units;
  DecLm *lm;
  DecBeam *beam;
  TableWriter *out, *scores;
  int *best;     /* greedy output, grown to the longest utterance */
  int best_cap;
  DecHyp *hyps;
  double seconds;
};

void dec_run_opts_default(DecRunOpts *o) {
  *o = (DecRunOpts){.mode = "beam", .units = "", .word_boundary = "", .lm = "",
                    .scores_wspecifier = "", .write_posteriors = false};
  dec_beam_opts_default(&o->beam);
}

void dec_run_opts_register(Options *po, DecRunOpts *o) {
  opts_choice(po, "mode", &o->mode, "greedy|beam", "Search: best path, or CTC prefix beam search");
  opts_string(po, "units", &o->units, "Output units of the model, \"symbol integer\" lines, "
              "<blk> 0 (required for text output)");
  opts_string(po, "word-boundary", &o->word_boundary, "If set, join units into words: this "
              "unit separates words, a unit starting with it begins one (e.g. '|' or '\xe2\x96\x81')");
  opts_string(po, "lm", &o->lm, "ARPA n-gram LM over the units (from make-ngram-lm or another "
              "tool) for beam search");
  opts_string(po, "scores-wspecifier", &o->scores_wspecifier, "If set, write per output key a "
              "vector [score acoustic-log-likelihood lm-log-prob]");
  opts_bool(po, "write-posteriors", &o->write_posteriors, "Write the log-posterior matrices "
            "(T x units) to the output instead of text");
  dec_beam_opts_register(po, &o->beam);
}

DecRun *dec_run_new(const DecRunOpts *o, int num_outputs, const char *wspecifier) {
  DecRun *r = xcalloc(1, sizeof *r);
  r->o = *o;
  bool beam = strcmp(o->mode, "beam") == 0;
  if (o->write_posteriors) {
    r->out = tbl_writer_open(wspecifier, &tbl_matrix_holder);
    return r;
  }
  if (!*o->units) ERROR("--units is required to write text (or use --write-posteriors)");
  r->units = dec_units_read(o->units);
  if (dec_units_count(r->units) != num_outputs)
    ERROR("%s has %d units but the model has %d outputs", o->units, dec_units_count(r->units),
          num_outputs);
  if (*o->lm && !beam) ERROR("--lm needs --mode=beam");
  if (!beam && o->beam.nbest != 1) ERROR("--nbest needs --mode=beam");
  if (*o->lm) r->lm = dec_lm_read_arpa(o->lm);
  if (beam) {
    r->beam = dec_beam_new(&o->beam, num_outputs, r->lm, r->units);
    r->hyps = xmalloc(sizeof(DecHyp) * (size_t)o->beam.nbest);
  }
  r->out = tbl_writer_open(wspecifier, &tbl_tokens_holder);
  if (*o->scores_wspecifier) r->scores = tbl_writer_open(o->scores_wspecifier, &tbl_vector_holder);
  return r;
}

static void write_hyp(DecRun *r, const char *key, const DecHyp *h) {
  int n;
  char **words = dec_units_to_words(r->units, h->units, h->len, r->o.word_boundary, &n);
  Tokens t = {words, n};
  tbl_writer_write(r->out, key, &t);
  free(words);
  if (r->scores) {
    float v[3] = {(float)h->score, (float)h->acoustic, (float)h->lm};
    Vec sv = {v, 3};
    tbl_writer_write(r->scores, key, &sv);
  }
}

static bool finite_matrix(Mat m) {
  for (int t = 0; t < m.rows; t++)
    for (int u = 0; u < m.cols; u++)
      if (!isfinite(*mat_at(m, t, u)) && *mat_at(m, t, u) != -INFINITY) return false;
  return true;
}

bool dec_run_utterance(DecRun *r, const char *key, Mat lp) {
  if (r->o.write_posteriors) {
    tbl_writer_write(r->out, key, &lp);
    return true;
  }
  if (lp.cols != dec_units_count(r->units)) {
    WARN("utterance %s: %d log-posterior columns for %d units; skipped", key, lp.cols, dec_units_count(r->units));
    return false;
  }
  if (!finite_matrix(lp)) {
    WARN("utterance %s: log-posteriors contain NaN or +inf; skipped", key);
    return false;
  }
  double start = now_seconds();
  int n = 1;
  if (r->beam) {
    n = dec_beam_search(r->beam, lp, r->hyps);
  } else {
    if (lp.rows > r->best_cap) r->best = xrealloc(r->best, sizeof(int) * (size_t)(r->best_cap = lp.rows));
    DecHyp h = {r->best, 0, 0, 0, 0};
    h.len = dec_greedy(lp, r->best, &h.score);
    h.acoustic = h.score;
    r->hyps = r->hyps ? r->hyps : xmalloc(sizeof(DecHyp));
    r->hyps[0] = h;
  }
  r->seconds += now_seconds() - start;
  VLOG(1, "utterance %s: log-likelihood %.4f over %d frames (%.4f per frame)%s", key,
       r->hyps[0].acoustic, lp.rows, lp.rows ? r->hyps[0].acoustic / lp.rows : 0.0,
       r->beam ? "" : " (best path)");
  for (int i = 0; i < n; i++) {
    if (r->o.beam.nbest == 1) {
      write_hyp(r, key, &r->hyps[i]);
    } else {
      char *k = xasprintf("%s-%d", key, i + 1);
      write_hyp(r, k, &r->hyps[i]);
      VLOG(1, "%s: score %.4f, acoustic %.4f, lm %.4f", k, r->hyps[i].score, r->hyps[i].acoustic, r->hyps[i].lm);
      free(k);
    }
  }
  return true;
}

double dec_run_free(DecRun *r) {
  tbl_writer_close(r->out);
  if (r->scores) tbl_writer_close(r->scores);
  double s = r->seconds;
  dec_beam_free(r->beam);
  dec_lm_free(r->lm);
  dec_units_free(r->units);
  free(r->best);
  free(r->hyps);
  free(r);
  return s;
}
