/* CTC decoding over a log-posterior matrix, and n-gram language models over units.
 *
 * Input of every decoder: a T x U matrix of log-softmax outputs (natural log), one
 * row per frame, column 0 the CTC blank. Decoders:
 *  - greedy: the best unit per frame, repeats collapsed, blanks removed;
 *  - prefix beam search (Hannun et al. 2014, "First-pass large vocabulary continuous
 *    speech recognition using bi-directional recurrent DNNs", alg. 1): keeps, per
 *    prefix, the probability of all alignments ending in blank (pb) and in a unit
 *    (pnb); ranks prefixes by log(pb + pnb) + lm_weight * ln P_lm(prefix)
 *    + insertion_bonus * |prefix|; the LM (optional) is an n-gram over units.
 * Language models are ARPA back-off n-grams (log10 in the file, natural log here). */
#ifndef DECODE_DECODE_H
#define DECODE_DECODE_H

#include <stdbool.h>

#include "base/options.h"
#include "matrix/matrix.h"

/* ---- Units: "symbol integer" lines, ids 0..n-1 each exactly once, blank = 0 ---- */
typedef struct DecUnits DecUnits;
DecUnits *dec_units_read(const char *rxfilename); /* ERROR naming file and line */
DecUnits *dec_units_new(const char *const *symbols, int n); /* id i is symbols[i] */
void dec_units_free(DecUnits *u);
int dec_units_count(const DecUnits *u);
const char *dec_units_symbol(const DecUnits *u, int id);
int dec_units_find(const DecUnits *u, const char *symbol); /* -1 when absent */
/* Joins unit ids into words. boundary NULL/"": one word per unit. Otherwise a unit
 * equal to boundary ends the current word, and a unit starting with boundary (like
 * SentencePiece's "▁the") starts a new word with the rest; other units are appended
 * to the current word. Returns a newly allocated array of *nwords strings in one
 * allocation (free the array only). */
char **dec_units_to_words(const DecUnits *u, const int *ids, int n, const char *boundary,
                          int *nwords);

/* ---- N-gram language models ---- */
#define DEC_LM_MAX_ORDER 10
typedef struct DecLm DecLm;
/* Reads an ARPA file (SRILM, KenLM, this toolkit): ERROR naming the file and line on a
 * missing section, a count that does not match the entries, a malformed line or an
 * n-gram with a word absent from the unigrams. */
DecLm *dec_lm_read_arpa(const char *rxfilename);
void dec_lm_write_arpa(const DecLm *lm, const char *wxfilename);
void dec_lm_free(DecLm *lm);
int dec_lm_order(const DecLm *lm);
int dec_lm_num_ngrams(const DecLm *lm, int n); /* entries of order n (1-based) */
int dec_lm_word(const DecLm *lm, const char *word); /* -1 when absent */
int dec_lm_bos(const DecLm *lm);                    /* <s> */
int dec_lm_eos(const DecLm *lm);                    /* </s> */
int dec_lm_unk(const DecLm *lm);                    /* <unk>, -1 when absent */
/* ln P(word | history), history oldest first (only its last order-1 words matter),
 * with Katz back-off through the stored back-off weights. */
double dec_lm_logprob(const DecLm *lm, const int *hist, int nhist, int word);

/* Estimates an interpolated Kneser-Ney n-gram (Chen & Goodman 1998, sec. 3.5, one
 * discount per order D = n1 / (n1 + 2 n2)) from sentences of words, written in
 * back-off form as SRILM's -interpolate -kndiscount does. Lower orders use
 * continuation counts, except n-grams starting at <s>, which keep raw counts. The
 * vocabulary is every word seen plus </s> and <unk>. */
DecLm *dec_lm_estimate_kn(const char *const *const *sents, const int *lens, int nsents,
                          int order);

/* ---- Decoding ---- */
typedef struct {
  int beam;              /* prefixes kept per frame */
  float unit_beam;       /* per frame, units scoring below best - unit_beam are skipped */
  float lm_weight;       /* weight of ln P_lm */
  float insertion_bonus; /* added per output unit */
  int nbest;             /* hypotheses returned */
} DecBeamOpts;
void dec_beam_opts_default(DecBeamOpts *o);
void dec_beam_opts_register(Options *po, DecBeamOpts *o);

typedef struct {
  int *units;  /* owned by the decoder; valid until its next call */
  int len;
  double score;    /* acoustic + lm_weight * lm + insertion_bonus * len */
  double acoustic; /* ln sum over CTC alignments of the prefix (log-likelihood) */
  double lm;       /* ln P_lm(units </s>), 0 without an LM */
} DecHyp;

/* Best path: writes at most T units to out and returns their number; *score is the
 * best path's log-probability. */
int dec_greedy(Mat logprobs, int *out, double *score);

typedef struct DecBeam DecBeam;
/* lm may be NULL; with an lm, units maps unit ids to LM words by symbol (a unit the
 * LM lacks scores as <unk>, or ln 10^-99 without <unk>, with a warning). */
DecBeam *dec_beam_new(const DecBeamOpts *opts, int num_units, const DecLm *lm,
                      const DecUnits *units);
void dec_beam_free(DecBeam *d);
/* Decodes one utterance; returns the number of hypotheses (<= opts.nbest), best first. */
int dec_beam_search(DecBeam *d, Mat logprobs, DecHyp *out);

/* ---- A decoding run: what the decode program does with each utterance's
 * log-posteriors (model forward excluded), so it can be driven without a model ---- */
typedef struct {
  const char *mode;          /* "greedy" | "beam" */
  const char *units;         /* units.txt (rxfilename); needed for text output */
  const char *word_boundary; /* join units into words at this symbol ("" = no) */
  const char *lm;            /* ARPA file ("" = none; needs mode beam) */
  const char *scores_wspecifier; /* per output key: vector [score, acoustic, lm] */
  bool write_posteriors;     /* write the log-posterior matrices instead of text */
  DecBeamOpts beam;
} DecRunOpts;
void dec_run_opts_default(DecRunOpts *o);
void dec_run_opts_register(Options *po, DecRunOpts *o);

typedef struct DecRun DecRun;
/* Checks the options against the model's number of outputs (ERROR on a units file of
 * another size, an LM with greedy search, ...) and opens the output table. */
DecRun *dec_run_new(const DecRunOpts *o, int num_outputs, const char *wspecifier);
/* Decodes one utterance and writes its outputs; false (with a WARNING naming the key)
 * when the utterance cannot be decoded. nbest > 1 writes keys key-1, key-2, ... */
bool dec_run_utterance(DecRun *r, const char *key, Mat logprobs);
/* Closes the outputs; returns the seconds spent searching. */
double dec_run_free(DecRun *r);

#endif
