/* Unit tests for src/decode: greedy and prefix beam search against a brute-force sum
 * over every CTC path, the LM's normalisation and a hand-computed Kneser-Ney value,
 * word joining. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "decode/decode.h"
#include "testing.h"

/* A random T x U log-softmax matrix. */
static Mat random_logprobs(int T, int U, uint64_t seed, double sharp) {
  Rng r;
  rng_seed(&r, seed);
  Mat m = mat_alloc(T, U);
  for (int t = 0; t < T; t++) {
    float *row = mat_row(m, t);
    double z = 0;
    for (int u = 0; u < U; u++) z += exp(row[u] = (float)(sharp * rng_gauss(&r)));
    for (int u = 0; u < U; u++) row[u] -= (float)log(z);
  }
  return m;
}

static Mat probs_matrix(int T, int U, const double *p) {
  Mat m = mat_alloc(T, U);
  for (int t = 0; t < T; t++)
    for (int u = 0; u < U; u++) *mat_at(m, t, u) = (float)log(p[t * U + u]);
  return m;
}

/* ---- brute force: every path of T frames, collapsed; label sequences as base-U numbers ---- */
#define MAXSEQ 4096
typedef struct { int lab[16], len; double ac, score; } Seq;

static int find_or_add(Seq *s, int *n, const int *lab, int len) {
  for (int i = 0; i < *n; i++)
    if (s[i].len == len && memcmp(s[i].lab, lab, sizeof(int) * (size_t)len) == 0) return i;
  s[*n] = (Seq){.len = len, .ac = -INFINITY};
  memcpy(s[*n].lab, lab, sizeof(int) * (size_t)len);
  return (*n)++;
}

static int brute_force(Mat lp, const DecLm *lm, const int *unit2lm, float lmw, float bonus, Seq *s) {
  int T = lp.rows, U = lp.cols, n = 0;
  long paths = 1;
  for (int t = 0; t < T; t++) paths *= U;
  for (long p = 0; p < paths; p++) {
    int lab[16], len = 0, prev = 0;
    long x = p;
    double lpp = 0;
    for (int t = 0; t < T; t++, x /= U) {
      int u = (int)(x % U);
      lpp += *mat_at(lp, t, u);
      if (u && u != prev) lab[len++] = u;
      prev = u;
    }
    int i = find_or_add(s, &n, lab, len);
    double a = s[i].ac, b = lpp, hi = fmax(a, b);
    s[i].ac = hi + log(exp(a - hi) + exp(b - hi));
  }
  for (int i = 0; i < n; i++) {
    double lms = 0;
    if (lm) {
      int hist[20];
      hist[0] = dec_lm_bos(lm);
      for (int k = 0; k < s[i].len; k++) hist[k + 1] = unit2lm[s[i].lab[k]];
      for (int k = 0; k <= s[i].len; k++)
        lms += dec_lm_logprob(lm, hist, k + 1, k < s[i].len ? hist[k + 1] : dec_lm_eos(lm));
    }
    s[i].score = s[i].ac + lmw * lms + bonus * s[i].len;
  }
  return n;
}

static int seq_cmp(const void *a, const void *b) {
  double x = ((const Seq *)a)->score, y = ((const Seq *)b)->score;
  return x > y ? -1 : x < y;
}

static void check_against_brute_force(Mat lp, const DecLm *lm, const DecUnits *units, float lmw,
                                      float bonus) {
  static Seq s[MAXSEQ];
  int unit2lm[16];
  for (int u = 1; u < lp.cols && lm; u++) unit2lm[u] = dec_lm_word(lm, dec_units_symbol(units, u));
  int n = brute_force(lp, lm, unit2lm, lmw, bonus, s);
  qsort(s, (size_t)n, sizeof(Seq), seq_cmp);
  DecBeamOpts o;
  dec_beam_opts_default(&o);
  o.beam = 1000; /* keeps every prefix: the search is exact */
  o.unit_beam = 1000;
  o.nbest = 5;
  o.lm_weight = lmw;
  o.insertion_bonus = bonus;
  DecBeam *d = dec_beam_new(&o, lp.cols, lm, units);
  DecHyp h[5];
  int k = dec_beam_search(d, lp, h);
  CHECK(k == 5);
  for (int i = 0; i < k; i++) {
    CHECK(h[i].len == s[i].len);
    CHECK(h[i].len != s[i].len || memcmp(h[i].units, s[i].lab, sizeof(int) * (size_t)h[i].len) == 0);
    CHECK_NEAR(h[i].score, s[i].score, 1e-4);
    CHECK_NEAR(h[i].acoustic, s[i].ac, 1e-4);
  }
  dec_beam_free(d);
}

static const char *kSyms[] = {"<blk>", "a", "b", "c"};

static void test_beam_exact_no_lm(void) {
  DecUnits *u = dec_units_new(kSyms, 4);
  for (uint64_t seed = 1; seed <= 3; seed++) {
    Mat lp = random_logprobs(6, 3, seed, 1.5);
    check_against_brute_force(lp, NULL, u, 0, 0);
    check_against_brute_force(lp, NULL, u, 0, 0.7f);
    mat_release(&lp);
  }
  Mat lp = random_logprobs(5, 4, 9, 1.0);
  check_against_brute_force(lp, NULL, u, 0, -0.3f);
  mat_release(&lp);
  dec_units_free(u);
}

static DecLm *small_lm(int order) {
  const char *s1[] = {"a", "b", "a", "b"}, *s2[] = {"a", "b", "b"}, *s3[] = {"b", "a", "a", "b"},
             *s4[] = {"a", "c", "b"};
  const char *const *sents[] = {s1, s2, s3, s4};
  int lens[] = {4, 3, 4, 3};
  return dec_lm_estimate_kn(sents, lens, 4, order);
}

static void test_beam_exact_with_lm(void) {
  DecUnits *u = dec_units_new(kSyms, 4);
  DecLm *lm = small_lm(3);
  for (uint64_t seed = 4; seed <= 6; seed++) {
    Mat lp = random_logprobs(6, 3, seed, 1.0);
    check_against_brute_force(lp, lm, u, 0.8f, 0.5f);
    check_against_brute_force(lp, lm, u, 2.0f, 0);
    mat_release(&lp);
  }
  Mat lp = random_logprobs(5, 4, 11, 1.0);
  check_against_brute_force(lp, lm, u, 1.0f, 0.2f);
  mat_release(&lp);
  dec_lm_free(lm);
  dec_units_free(u);
}

static void test_greedy(void) {
  /* best units per frame: a a blank a b b blank -> "a a b" */
  double p[] = {.1, .8, .1, .1, .7, .2, .6, .3, .1, .2, .5, .3, .1, .2, .7, .2, .1, .7, .5, .2, .3};
  Mat lp = probs_matrix(7, 3, p);
  int out[7];
  double score;
  int n = dec_greedy(lp, out, &score);
  CHECK(n == 3 && out[0] == 1 && out[1] == 1 && out[2] == 2);
  CHECK_NEAR(score, log(.8 * .7 * .6 * .5 * .7 * .7 * .5), 1e-5);
  mat_release(&lp);
}

static void test_unit_beam_and_bonus(void) {
  double p[] = {.5, .3, .2};
  Mat lp = probs_matrix(1, 3, p);
  DecBeamOpts o;
  dec_beam_opts_default(&o);
  o.nbest = 3;
  o.unit_beam = 100;
  DecBeam *d = dec_beam_new(&o, 3, NULL, NULL);
  DecHyp h[3];
  CHECK(dec_beam_search(d, lp, h) == 3);
  CHECK(h[0].len == 0 && h[1].len == 1 && h[1].units[0] == 1 && h[2].units[0] == 2);
  dec_beam_free(d);
  o.unit_beam = (float)log(.5 / .3) + 0.01f; /* b (0.2) is out of the unit beam */
  d = dec_beam_new(&o, 3, NULL, NULL);
  CHECK(dec_beam_search(d, lp, h) == 2);
  dec_beam_free(d);
  o.nbest = 1;
  o.unit_beam = 100;
  o.insertion_bonus = 1.0f; /* ln .3 + 1 > ln .5 */
  d = dec_beam_new(&o, 3, NULL, NULL);
  CHECK(dec_beam_search(d, lp, h) == 1 && h[0].len == 1 && h[0].units[0] == 1);
  CHECK_NEAR(h[0].score, log(.3) + 1, 1e-6);
  dec_beam_free(d);
  /* beam 1 keeps only the best prefix per frame: still a valid (not better) result */
  Mat big = random_logprobs(40, 4, 3, 2.0);
  o.insertion_bonus = 0;
  o.beam = 1;
  d = dec_beam_new(&o, 4, NULL, NULL);
  DecHyp one;
  CHECK(dec_beam_search(d, big, &one) == 1);
  dec_beam_free(d);
  o.beam = 32;
  d = dec_beam_new(&o, 4, NULL, NULL);
  CHECK(dec_beam_search(d, big, h) == 1 && h[0].score >= one.score - 1e-9);
  dec_beam_free(d);
  mat_release(&big);
  mat_release(&lp);
}

/* Sum over the vocabulary (without <s>) of P(w | h) for every stored history. */
static void test_kn_normalised(void) {
  DecLm *lm = small_lm(3);
  int V = 6; /* <s> </s> <unk> a b c, ids 0..5 */
  CHECK(dec_lm_word(lm, "c") == 5 && dec_lm_word(lm, "zz") < 0);
  int hists[][2] = {{0, 0}, {0, 3}, {3, 4}, {4, 4}, {3, 5}, {0, 5}, {2, 2}};
  for (int len = 0; len <= 2; len++)
    for (size_t i = 0; i < sizeof hists / sizeof hists[0]; i++) {
      double sum = 0;
      for (int w = 1; w < V; w++) sum += exp(dec_lm_logprob(lm, hists[i] + 2 - len, len, w));
      CHECK_NEAR(sum, 1.0, 1e-5);
    }
  CHECK(dec_lm_num_ngrams(lm, 1) == 6);
  dec_lm_free(lm);
}

/* Bigram KN on sentences "a b" and "a": by hand.
 * Bigrams (raw counts): <s> a:2, a b:1, b </s>:1, a </s>:1.
 * Unigram continuation counts: a:1 (after <s>), b:1, </s>:2; n1=2, n2=1, D1=2/4=0.5;
 * total 4, 3 types, |V| = 4 (</s> <unk> a b): p(b) = 0.5/4 + 0.5*3/4/4 = 0.21875.
 * Bigram counts of counts: n1=3, n2=1: D2 = 3/5 = 0.6. Context a: S=2, 2 types:
 * p(b|a) = (1-0.6)/2 + 0.6*2/2 * p(b) = 0.2 + 0.6 * 0.21875 = 0.33125;
 * p(<unk>|a) = 0.6 * p(<unk>) = 0.6 * 0.5*3/4/4 = 0.05625. */
static void test_kn_by_hand(void) {
  const char *s1[] = {"a", "b"}, *s2[] = {"a"};
  const char *const *sents[] = {s1, s2};
  int lens[] = {2, 1};
  DecLm *lm = dec_lm_estimate_kn(sents, lens, 2, 2);
  int a = dec_lm_word(lm, "a"), b = dec_lm_word(lm, "b");
  CHECK_NEAR(exp(dec_lm_logprob(lm, NULL, 0, b)), 0.21875, 1e-6);
  CHECK_NEAR(exp(dec_lm_logprob(lm, &a, 1, b)), 0.33125, 1e-6);
  CHECK_NEAR(exp(dec_lm_logprob(lm, &a, 1, dec_lm_unk(lm))), 0.05625, 1e-6);
  CHECK_NEAR(exp(dec_lm_logprob(lm, &a, 1, -1)), 0.05625, 1e-6); /* OOV scores as <unk> */
  dec_lm_free(lm);
}

/* Against tests/reference/kn-trigram.txt, made by tests/reference/kn_reference.py: the
 * same model computed recursively from counts, every history of 0..2 words. */
static void test_kn_reference(void) {
  const char *top = getenv("TOPDIR");
  char path[1024], line[1024];
  snprintf(path, sizeof path, "%s/tests/reference/kn-trigram.txt", top ? top : ".");
  FILE *f = fopen(path, "r");
  CHECK(f != NULL);
  if (!f) return;
  static char words[64][16][16];
  static const char *sent[64][16];
  const char *const *sents[64];
  int lens[64], n = 0, checked = 0;
  DecLm *lm = NULL;
  while (fgets(line, sizeof line, f)) {
    char *tok[8];
    int nt = 0;
    for (char *t = strtok(line, " \n"); t && nt < 8; t = strtok(NULL, " \n")) tok[nt++] = t;
    if (nt && strcmp(tok[0], "sent") == 0 && n < 64) {
      lens[n] = 0;
      for (int i = 1; i < nt && i <= 16; i++) {
        strncpy(words[n][i - 1], tok[i], 15);
        sent[n][lens[n]++] = words[n][i - 1];
      }
      sents[n] = sent[n];
      n++;
    } else if (nt >= 4 && strcmp(tok[0], "prob") == 0) {
      if (!lm) lm = dec_lm_estimate_kn(sents, lens, n, 3);
      int h[2], nh = nt - 4;
      for (int i = 0; i < nh; i++) h[i] = dec_lm_word(lm, tok[1 + i]);
      double want = atof(tok[nt - 1]);
      CHECK_NEAR(dec_lm_logprob(lm, h, nh, dec_lm_word(lm, tok[nt - 2])), want, 2e-5);
      checked++;
    }
  }
  fclose(f);
  CHECK(checked == 342);
  dec_lm_free(lm);
}

static void test_words(void) {
  const char *syms[] = {"<blk>", "h", "i", "|", "\xe2\x96\x81th", "e", "\xe2\x96\x81"};
  DecUnits *u = dec_units_new(syms, 7);
  int ids[] = {3, 1, 2, 3, 2, 3, 3, 1};
  int n;
  char **w = dec_units_to_words(u, ids, 8, "|", &n);
  CHECK(n == 3 && strcmp(w[0], "hi") == 0 && strcmp(w[1], "i") == 0 && strcmp(w[2], "h") == 0);
  free(w);
  w = dec_units_to_words(u, ids, 3, NULL, &n);
  CHECK(n == 3 && strcmp(w[0], "|") == 0 && strcmp(w[2], "i") == 0);
  free(w);
  int sp[] = {4, 5, 6, 1, 2, 4};
  w = dec_units_to_words(u, sp, 6, "\xe2\x96\x81", &n);
  CHECK(n == 3 && strcmp(w[0], "the") == 0 && strcmp(w[1], "hi") == 0 && strcmp(w[2], "th") == 0);
  free(w);
  CHECK(dec_units_find(u, "e") == 5 && dec_units_find(u, "x") == -1);
  dec_units_free(u);
}

int main(void) {
  RUN(test_greedy);
  RUN(test_beam_exact_no_lm);
  RUN(test_beam_exact_with_lm);
  RUN(test_unit_beam_and_bonus);
  RUN(test_kn_normalised);
  RUN(test_kn_by_hand);
  RUN(test_kn_reference);
  RUN(test_words);
  return test_summary();
}
