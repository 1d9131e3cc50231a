/* WER/SER totals and Kaldi's exact report lines. */
#include <string.h>

#include "score/score.h"

void score_stats_add(ScoreStats *s, const char *const *ref, int nref, const char *const *hyp,
                     int nhyp) {
  ScoreErrors e;
  s->errs += score_edit_distance(ref, nref, hyp, nhyp, &e);
  s->words += nref;
  s->ins += e.ins;
  s->del += e.del;
  s->sub += e.sub;
  s->sents++;
  bool equal = nref == nhyp;
  for (int i = 0; equal && i < nref; i++) equal = strcmp(ref[i], hyp[i]) == 0;
  s->sent_errs += !equal;
}

/* Kaldi computes BaseFloat percent = 100.0 * float(num) / float(den) and prints it
 * with std::fixed, precision 2 (what printf's "%.2f" does). 0/0 is the x86 default
 * NaN, whose sign bit is set, so glibc prints "-nan"; written out here so the result
 * does not depend on how the compiler folds the division. */
void score_format_percent(long num, long den, char *buf, size_t len) {
  if (den == 0) {
    snprintf(buf, len, "%s", num == 0 ? "-nan" : "inf");
    return;
  }
  float p = (float)(100.0 * (double)(float)num / (double)(float)den);
  snprintf(buf, len, "%.2f", (double)p);
}

void score_format_wer(const ScoreStats *s, const char *label, char *buf, size_t len) {
  char pct[64];
  score_format_percent(s->errs, s->words, pct, sizeof pct);
  snprintf(buf, len, "%%%s %s [ %ld / %ld, %ld ins, %ld del, %ld sub ]%s", label, pct, s->errs,
           s->words, s->ins, s->del, s->sub, s->absent ? " [PARTIAL]" : "");
}

void score_format_ser(const ScoreStats *s, char *buf, size_t len) {
  char pct[64];
  score_format_percent(s->sent_errs, s->sents, pct, sizeof pct);
  snprintf(buf, len, "%%SER %s [ %ld / %ld ]", pct, s->sent_errs, s->sents);
}
