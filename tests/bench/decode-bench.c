/* Speed of CTC decoding on a synthetic posterior matrix shaped like a trained model's
 * (blank dominant on most frames, one or two competing units elsewhere), 40 units.
 * Prints frames per second and the real-time factor at 100 frames/s, with each search's
 * time relative to greedy decoding measured in the same run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/rng.h"
#include "base/util.h"
#include "decode/decode.h"

enum { U = 40, T = 30000 };

static Mat synthetic_posteriors(Rng *r) {
  Mat m = mat_alloc(T, U);
  for (int t = 0; t < T; t++) {
    float *row = mat_row(m, t);
    for (int u = 0; u < U; u++) row[u] = (float)rng_gauss(r);
    if (rng_uniform(r) < 0.6) row[0] += 9;             /* blank frame */
    else {
      row[1 + rng_int(r, U - 1)] += 7;                  /* a unit... */
      if (rng_uniform(r) < 0.5) row[1 + rng_int(r, U - 1)] += 6; /* ...and a competitor */
    }
    double z = 0;
    for (int u = 0; u < U; u++) z += exp(row[u]);
    for (int u = 0; u < U; u++) row[u] -= (float)log(z);
  }
  return m;
}

static DecLm *synthetic_lm(Rng *r, int order, const char *const *syms) {
  enum { S = 3000 };
  const char ***sents = xmalloc(sizeof(char **) * S);
  int *lens = xmalloc(sizeof(int) * S);
  for (int s = 0; s < S; s++) {
    lens[s] = 5 + rng_int(r, 40);
    sents[s] = xmalloc(sizeof(char *) * (size_t)lens[s]);
    int prev = 1;
    for (int i = 0; i < lens[s]; i++) /* a skewed Markov chain over the units */
      sents[s][i] = syms[prev = 1 + (prev * 7 + rng_int(r, 6) * rng_int(r, 7)) % (U - 1)];
  }
  DecLm *lm = dec_lm_estimate_kn((const char *const *const *)sents, lens, S, order);
  for (int s = 0; s < S; s++) free(sents[s]);
  free(sents);
  free(lens);
  return lm;
}

static double time_beam(DecBeamOpts *o, Mat lp, const DecLm *lm, const DecUnits *units) {
  DecBeam *d = dec_beam_new(o, U, lm, units);
  DecHyp h[1];
  double start = now_seconds();
  dec_beam_search(d, lp, h);
  double s = now_seconds() - start;
  dec_beam_free(d);
  return s;
}

static void report(const char *name, double s, double ref) {
  printf("%-28s %9.0f frames/s  RTF %.5f (x%.1f greedy)\n", name, T / s, s / (T / 100.0), s / ref);
}

int main(void) {
  Rng r;
  rng_seed(&r, 1);
  char names[U][8];
  const char *syms[U];
  for (int u = 0; u < U; u++) {
    snprintf(names[u], sizeof names[u], u ? "u%d" : "<blk>", u);
    syms[u] = names[u];
  }
  DecUnits *units = dec_units_new(syms, U);
  Mat lp = synthetic_posteriors(&r);
  double start = now_seconds();
  DecLm *lm = synthetic_lm(&r, 4, syms);
  double lm_s = now_seconds() - start;
  int *out = xmalloc(sizeof(int) * T);
  double score;
  start = now_seconds();
  for (int i = 0; i < 10; i++) dec_greedy(lp, out, &score);
  double greedy = (now_seconds() - start) / 10;
  printf("%d frames x %d units (%.0f s of audio at 100 frames/s); 4-gram LM estimated in %.2f s\n",
         T, U, T / 100.0, lm_s);
  report("greedy", greedy, greedy);
  DecBeamOpts o;
  dec_beam_opts_default(&o);
  report("beam 16, no LM", time_beam(&o, lp, NULL, units), greedy);
  report("beam 16, 4-gram LM", time_beam(&o, lp, lm, units), greedy);
  o.beam = 64;
  report("beam 64, 4-gram LM", time_beam(&o, lp, lm, units), greedy);
  o.beam = 16;
  o.unit_beam = 1000;
  report("beam 16, LM, no unit pruning", time_beam(&o, lp, lm, units), greedy);
  printf("(with a model subsampling frames by 3, divide the RTFs by 3)\n");
  free(out);
  mat_release(&lp);
  dec_lm_free(lm);
  dec_units_free(units);
  return 0;
}
