/* Scoring: edit distance between token sequences and Kaldi-identical WER/SER reports.
 *
 * Tokens are strings compared byte for byte. The counts follow Kaldi's
 * LevenshteinEditDistance (util/edit-distance-inl.h) including its tie-breaking
 * (substitution only when strictly cheaper, then deletion, then insertion), so
 * ins/del/sub breakdowns equal Kaldi's compute-wer; the alignment follows Kaldi's
 * LevenshteinAlignment (align-text): prefer match/substitution, then deletion. */
#ifndef SCORE_SCORE_H
#define SCORE_SCORE_H

#include <stdbool.h>
#include <stdio.h>

#include "base/rng.h"

typedef struct {
  int ins, del, sub;
} ScoreErrors;

/* Minimum number of edits turning ref into hyp; breakdown in *e (may be NULL). */
int score_edit_distance(const char *const *ref, int nref, const char *const *hyp, int nhyp,
                        ScoreErrors *e);

/* One aligned pair; NULL stands for epsilon (an insertion has ref NULL). */
typedef struct {
  const char *ref, *hyp;
} ScorePair;

/* Aligns ref and hyp; returns a newly allocated array of *n pairs (caller frees;
 * the strings point into ref/hyp). */
ScorePair *score_align(const char *const *ref, int nref, const char *const *hyp, int nhyp,
                       int *n);

/* Splits the tokens into UTF-8 characters (spaces between tokens are not
 * characters). Returns a newly allocated array of *n strings, one allocation
 * (free the array only). Invalid UTF-8 bytes count as one character each. */
char **score_utf8_chars(const char *const *tok, int ntok, int *n);

/* Totals of a scoring run, as Kaldi's compute-wer accumulates them. */
typedef struct {
  long words, errs, ins, del, sub;
  long sents, sent_errs, absent;
} ScoreStats;

/* Adds one scored sentence. */
void score_stats_add(ScoreStats *s, const char *const *ref, int nref, const char *const *hyp,
                     int nhyp);
/* "%WER 45.83 [ 11 / 24, 6 ins, 2 del, 3 sub ]" (+ " [PARTIAL]" when sentences were
 * absent), exactly as Kaldi prints it; label "WER" or "CER". No newline. */
void score_format_wer(const ScoreStats *s, const char *label, char *buf, size_t len);
/* "%SER 50.00 [ 1 / 2 ]", no newline. */
void score_format_ser(const ScoreStats *s, char *buf, size_t len);
/* A percentage as Kaldi prints it: 100*num/den in single precision, "%.2f";
 * over zero it prints "-nan" (0/0) or "inf" as Kaldi does on x86-64 Linux. */
void score_format_percent(long num, long den, char *buf, size_t len);

/* One scored utterance: its reference words and the errors of one or two systems. */
typedef struct {
  int words;
  int errs[2];
} ScoreUttErrors;

/* Bootstrap estimates over n utterances (Bisani and Ney 2004; Kaldi's
 * compute-wer-bootci): each of `replications` draws n utterances with replacement (a draw
 * of only empty references is drawn again) and takes each system's error rate over the
 * draw, sum(errs) / sum(words); both systems (two = true) are scored on the same draws.
 * ERROR when the references have no words. */
typedef struct {
  double mean[2];       /* per system: the mean of the replications' error rates */
  double half_width[2]; /* and 1.96 times their standard deviation (the 95% interval) */
  double p_improve;     /* the share of replications where system 2 makes fewer errors */
} ScoreBootstrap;
void score_bootstrap(const ScoreUttErrors *u, int n, bool two, int replications, Rng *r,
                     ScoreBootstrap *out);

/* A whole table of hypotheses (Kaldi text: key tokens...) kept in memory, so the
 * hypothesis rspecifier may be a pipe or stdin and keys never asked for can be
 * reported. A duplicate key is an ERROR naming the table. */
typedef struct ScoreTexts ScoreTexts;
ScoreTexts *score_texts_read(const char *rspecifier);
void score_texts_free(ScoreTexts *t);
int score_texts_size(const ScoreTexts *t);
/* The tokens of key in *tok, *n (marking it used); false when absent. */
bool score_texts_find(ScoreTexts *t, const char *key, const char *const **tok, int *n);
/* Number of keys never found; the first few are written to *first (or NULL). */
int score_texts_unused(const ScoreTexts *t, const char **first);
/* The first key (in strcmp order) that one table has and the other lacks, or NULL when
 * both have the same keys; *in_a tells which table has it. */
const char *score_texts_first_difference(const ScoreTexts *a, const ScoreTexts *b, bool *in_a);

#endif
