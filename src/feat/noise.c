/* Noise generation and mixing at a signal-to-noise ratio. */
#include <math.h>

#include <stdlib.h>

#include "base/util.h"
#include "feat/feat.h"

void feat_white_noise(Rng *rng, float *x, int64_t n) {
  for (int64_t i = 0; i < n; i++) x[i] = (float)rng_gauss(rng);
}

void feat_pink_noise(Rng *rng, float *x, int64_t n) {
  /* Paul Kellet's refined pink filter (musicdsp.org, "pink noise filter"), then scaled
   * to unit power over the segment. */
  double b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0;
  for (int64_t i = 0; i < n; i++) {
    double w = rng_gauss(rng);
    b0 = 0.99886 * b0 + w * 0.0555179;
    b1 = 0.99332 * b1 + w * 0.0750759;
    b2 = 0.96900 * b2 + w * 0.1538520;
    b3 = 0.86650 * b3 + w * 0.3104856;
    b4 = 0.55000 * b4 + w * 0.5329522;
    b5 = -0.7616 * b5 - w * 0.0168980;
    x[i] = (float)(b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362);
    b6 = w * 0.115926;
  }
  double p = feat_power(x, n);
  if (p > 0)
    for (int64_t i = 0; i < n; i++) x[i] = (float)(x[i] / sqrt(p));
}

void feat_noise_segment(const float *src, int64_t len, int64_t n, Rng *rng, float *out) {
  int64_t j = (int64_t)(rng_uniform(rng) * (double)len);
  if (j >= len) j = 0;
  for (int64_t i = 0; i < n; i++) {
    out[i] = src[j];
    if (++j == len) j = 0;
  }
}

void feat_babble_noise(const float *const *src, const int64_t *len, int num_src, int num_talkers,
                       Rng *rng, float *out, int64_t n) {
  float *seg = xmalloc((size_t)n * sizeof(float));
  for (int64_t i = 0; i < n; i++) out[i] = 0;
  for (int t = 0; t < num_talkers; t++) {
    int k = rng_int(rng, num_src);
    feat_noise_segment(src[k], len[k], n, rng, seg);
    double p = feat_power(seg, n);
    if (!(p > 0)) continue;
    float g = (float)(1.0 / sqrt(p));
    for (int64_t i = 0; i < n; i++) out[i] += g * seg[i];
  }
  free(seg);
}

double feat_power(const float *x, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; i++) s += (double)x[i] * x[i];
  return n > 0 ? s / (double)n : 0.0;
}

bool feat_mix_at_snr(float *x, const float *noise, int64_t n, double snr_db) {
  double ps = feat_power(x, n), pn = feat_power(noise, n);
  if (!(ps > 0) || !(pn > 0)) return false;
  double g = sqrt(ps / (pn * pow(10.0, snr_db / 10.0)));
  for (int64_t i = 0; i < n; i++) x[i] += (float)(g * noise[i]);
  return true;
}
