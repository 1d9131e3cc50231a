/* compute-wer-bootci: bootstrap confidence interval of the word (or character) error
 * rate of one or two systems, and the probability that the second improves on the first,
 * printing Kaldi's compute-wer-bootci lines. */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/options.h"
#include "base/rng.h"
#include "base/util.h"
#include "io/table.h"
#include "score/score.h"

/* Errors of hyp against ref: words, or UTF-8 characters without spaces (chars). */
static int count_errors(const char *const *ref, int nref, const char *const *hyp, int nhyp,
                        bool chars, int *words) {
  char **rc = NULL, **hc = NULL;
  if (chars) {
    ref = (const char *const *)(rc = score_utf8_chars(ref, nref, &nref));
    hyp = (const char *const *)(hc = score_utf8_chars(hyp, nhyp, &nhyp));
  }
  int errs = score_edit_distance(ref, nref, hyp, nhyp, NULL);
  *words = nref;
  free(rc);
  free(hc);
  return errs;
}

int main(int argc, char **argv) {
  const char *usage =
      "Compute a bootstrapping of WER to extract the 95% confidence interval.\n"
      "Takes a reference and a transcription file (Kaldi text: key tokens...) and prints\n"
      "the bootstrap WER with its confidence interval (Bisani and Ney 2004): each of\n"
      "--replications draws the scored utterances with replacement and takes the error rate\n"
      "of the draw; the interval is the mean -/+ 1.96 standard deviations. With a second\n"
      "transcription file of the same utterances, both are scored on the same draws and the\n"
      "probability that the second improves on the first (has fewer errors) is printed:\n"
      "  Set1: %WER 19.84 95% Conf Interval [ 11.76, 27.92 ]\n"
      "  Set2: %WER 13.26 95% Conf Interval [ 6.57, 19.96 ]\n"
      "  Probability of Set2 improving Set1: 87.79\n"
      "Usage: compute-wer-bootci [options] <ref-rspecifier> <hyp-rspecifier> [<hyp2-rspecifier>]\n"
      "e.g.: compute-wer-bootci --mode=present ark:data/test/text ark:hyp_text\n"
      "or compute-wer-bootci ark:data/test/text ark:hyp_text ark:hyp_text2\n"
      "See also: compute-wer\n";
  const char *mode = "strict", *level = "word";
  int replications = 10000, seed = 0;
  Options *po = opts_new(usage);
  opts_choice(po, "mode", &mode, "present|all|strict",
              "Scoring mode: \"present\" scores only utterances with a hypothesis, \"all\" "
              "treats absent hypotheses as empty, \"strict\" fails on an absent hypothesis");
  opts_int(po, "replications", &replications, "Number of replications to compute the intervals");
  opts_int(po, "seed", &seed, "Random seed of the replications (the same seed, the same output)");
  opts_choice(po, "level", &level, "word|char",
              "Score words, or UTF-8 characters (CER; spaces are not counted)");
  opts_parse(po, argc, argv);
  if (opts_num_args(po) < 2 || opts_num_args(po) > 3) opts_usage_exit(po);
  const char *ref_rspec = opts_arg(po, 0), *hyp_rspec[2] = {opts_arg(po, 1), opts_arg_opt(po, 2)};
  bool two = hyp_rspec[1] != NULL, chars = strcmp(level, "char") == 0;
  if (replications < 1) ERROR("--replications must be at least 1 (got %d)", replications);

  ScoreTexts *hyps[2] = {score_texts_read(hyp_rspec[0]),
                         two ? score_texts_read(hyp_rspec[1]) : NULL};
  if (two) { /* the systems must be compared on the same utterances */
    bool in_first;
    const char *key = score_texts_first_difference(hyps[0], hyps[1], &in_first);
    if (key)
      ERROR("the hypothesis sets have different keys: %s is in %s but not in %s", key,
            hyp_rspec[in_first ? 0 : 1], hyp_rspec[in_first ? 1 : 0]);
  }
  ScoreUttErrors *u = NULL;
  int n = 0, cap = 0, absent = 0;
  long words = 0;
  TableReader *refs = tbl_reader_open(ref_rspec, &tbl_tokens_holder);
  for (; !tbl_reader_done(refs); tbl_reader_next(refs)) {
    const char *key = tbl_reader_key(refs);
    const Tokens *ref = tbl_reader_value(refs);
    const char *const *hyp[2] = {NULL, NULL};
    int nhyp[2] = {0, 0};
    bool found = score_texts_find(hyps[0], key, &hyp[0], &nhyp[0]);
    if (two) score_texts_find(hyps[1], key, &hyp[1], &nhyp[1]); /* the same keys: found too */
    if (!found) {
      if (strcmp(mode, "strict") == 0)
        ERROR("No hypothesis for key %s and strict mode specifier.", key);
      absent++;
      if (strcmp(mode, "present") == 0) continue;
    }
    if (n == cap) u = xrealloc(u, sizeof *u * (size_t)(cap = cap ? 2 * cap : 256));
    for (int s = 0; s < (two ? 2 : 1); s++)
      u[n].errs[s] = count_errors((const char *const *)ref->tok, ref->len, hyp[s], nhyp[s], chars,
                                  &u[n].words);
    words += u[n++].words;
  }
  tbl_reader_close(refs);
  const char *first = NULL;
  int unused = score_texts_unused(hyps[0], &first);
  if (unused) WARN("%d hypotheses have no reference in %s (e.g. key %s); not scored", unused,
                   ref_rspec, first);
  if (n == 0)
    ERROR("no utterance to score in %s (%d without a hypothesis, --mode=%s)", ref_rspec, absent, mode);
  if (words == 0)
    ERROR("the %d references scored in %s have no %s", n, ref_rspec, chars ? "characters" : "words");
  LOG("Bootstrap of %d utterances (%ld %s, %d not present in hyp), %d replications", n, words,
      chars ? "characters" : "words", absent, replications);

  Rng rng;
  rng_seed(&rng, (uint64_t)(int64_t)seed);
  ScoreBootstrap b;
  score_bootstrap(u, n, two, replications, &rng, &b);
  const char *label = chars ? "CER" : "WER";
  for (int s = 0; s < (two ? 2 : 1); s++)
    printf("Set%d: %%%s %.2f 95%% Conf Interval [ %.2f, %.2f ]\n", s + 1, label, 100 * b.mean[s],
           100 * b.mean[s] - 100 * b.half_width[s], 100 * b.mean[s] + 100 * b.half_width[s]);
  if (two) printf("Probability of Set2 improving Set1: %.2f\n", 100 * b.p_improve);
  free(u);
  score_texts_free(hyps[0]);
  score_texts_free(hyps[1]);
  opts_free(po);
  return 0;
}
