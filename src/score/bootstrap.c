/* Bootstrap confidence intervals of error rates and the probability of improvement
 * (Bisani and Ney 2004, "Bootstrap estimates for confidence intervals in ASR performance
 * evaluation"), as Kaldi's compute-wer-bootci computes them. */
#include <math.h>

#include "base/log.h"
#include "score/score.h"

/* Accumulates the replications' error rates: their sum and sum of squares. */
typedef struct {
  double sum, sum_sq;
} Moments;

static void moments_add(Moments *m, double x) { m->sum += x; m->sum_sq += x * x; }

/* Kaldi's interval: mean -/+ 1.96 standard deviations of the replications (a normal
 * approximation). The variance, computed as E[x^2] - mean^2, is clamped at 0: when every
 * replication has the same rate rounding can make it slightly negative. */
static void moments_interval(const Moments *m, int replications, double *mean, double *half) {
  *mean = m->sum / replications;
  double var = m->sum_sq / replications - *mean * *mean;
  *half = 1.96 * sqrt(var > 0 ? var : 0);
}

void score_bootstrap(const ScoreUttErrors *u, int n, bool two, int replications, Rng *r,
                     ScoreBootstrap *out) {
  long total_words = 0;
  for (int i = 0; i < n; i++) total_words += u[i].words;
  if (n < 1 || total_words == 0 || replications < 1)
    ERROR("bootstrap needs utterances with reference words and at least one replication "
          "(got %d utterances, %ld words, %d replications)", n, total_words, replications);
  Moments m[2] = {{0, 0}, {0, 0}};
  int improved = 0;
  for (int k = 0; k < replications; k++) {
    long words = 0, errs[2] = {0, 0};
    do { /* a draw of only empty references has no error rate: draw again */
      words = errs[0] = errs[1] = 0;
      for (int j = 0; j < n; j++) {
        const ScoreUttErrors *d = &u[rng_int(r, n)];
        words += d->words;
        errs[0] += d->errs[0];
        errs[1] += d->errs[1];
      }
    } while (words == 0);
    for (int s = 0; s < (two ? 2 : 1); s++) moments_add(&m[s], (double)errs[s] / (double)words);
    improved += two && errs[0] - errs[1] > 0;
  }
  for (int s = 0; s < 2; s++)
    moments_interval(&m[s], replications, &out->mean[s], &out->half_width[s]);
  out->p_improve = two ? (double)improved / replications : 0;
}
