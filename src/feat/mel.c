/* Triangular mel filterbank, as Kaldi's MelBanks (mel-computations.cc). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/util.h"
#include "feat/feat.h"

void feat_mel_opts_default(FeatMelOpts *o) {
  o->num_bins = 23;
  o->low_freq = 20.0f;
  o->high_freq = 0.0f;
  o->vtln_low = 100.0f;
  o->vtln_high = -500.0f;
}

void feat_mel_opts_register(FeatMelOpts *o, Options *po) {
  opts_int(po, "num-mel-bins", &o->num_bins, "Number of triangular mel-frequency bins");
  opts_float(po, "low-freq", &o->low_freq, "Low cutoff frequency for mel bins");
  opts_float(po, "high-freq", &o->high_freq,
             "High cutoff frequency for mel bins (if <= 0, offset from Nyquist)");
  opts_float(po, "vtln-low", &o->vtln_low,
             "Low inflection point in piecewise linear VTLN warping function");
  opts_float(po, "vtln-high", &o->vtln_high,
             "High inflection point in piecewise linear VTLN warping function "
             "(if negative, offset from Nyquist)");
}

/* The mel range [low, high] in Hz; false with a message when it is not inside (0, Nyquist]. */
static bool mel_freq_range(const FeatMelOpts *mel, const FeatFrameOpts *frame, double *low,
                           double *high, char *err, size_t errlen) {
  double nyquist = 0.5 * frame->samp_freq;
  *low = mel->low_freq;
  *high = mel->high_freq > 0 ? mel->high_freq : nyquist + mel->high_freq;
  if (*low < 0 || *low >= nyquist || *high <= 0 || *high > nyquist || *high <= *low) {
    snprintf(err, errlen, "bad values in options: low-freq %g and high-freq %g vs. nyquist %g",
             *low, *high, nyquist);
    return false;
  }
  return true;
}

bool feat_vtln_cutoffs(const FeatMelOpts *mel, const FeatFrameOpts *frame, double *vtln_low,
                       double *vtln_high, char *err, size_t errlen) {
  double low, high;
  if (!mel_freq_range(mel, frame, &low, &high, err, errlen)) return false;
  *vtln_low = mel->vtln_low;
  *vtln_high = mel->vtln_high < 0 ? mel->vtln_high + 0.5 * frame->samp_freq : mel->vtln_high;
  if (!(*vtln_low > low && *vtln_high > *vtln_low && *vtln_high < high)) {
    char offset[64] = "";
    if (mel->vtln_high < 0) snprintf(offset, sizeof offset, " (%g from Nyquist)", mel->vtln_high);
    snprintf(err, errlen, "bad values in options: vtln-low %g and vtln-high %g%s, versus "
             "low-freq %g and high-freq %g: VTLN needs low-freq < vtln-low < vtln-high < "
             "high-freq", *vtln_low, *vtln_high, offset, low, high);
    return false;
  }
  return true;
}

double feat_vtln_warp_freq(double vtln_low, double vtln_high, double low_freq, double high_freq,
                           double warp, double freq) {
  if (freq < low_freq || freq > high_freq) return freq;
  /* Inflection points (unwarped): min(l, F(l)) = vtln_low and max(h, F(h)) = vtln_high. */
  double l = vtln_low * fmax(1.0, warp), h = vtln_high * fmin(1.0, warp);
  double scale = 1.0 / warp;
  if (freq < l) return low_freq + (scale * l - low_freq) / (l - low_freq) * (freq - low_freq);
  if (freq < h) return scale * freq;
  return high_freq + (high_freq - scale * h) / (high_freq - h) * (freq - high_freq);
}

double feat_vtln_warp_mel_freq(double vtln_low, double vtln_high, double low_freq,
                               double high_freq, double warp, double mel_freq) {
  return feat_mel_scale(feat_vtln_warp_freq(vtln_low, vtln_high, low_freq, high_freq, warp,
                                            feat_inverse_mel_scale(mel_freq)));
}

/* The cutoffs for a warp factor other than 1 (false with a message when it cannot be used). */
static bool vtln_setup(const FeatMelOpts *mel, const FeatFrameOpts *frame, float warp,
                       double *vtln_low, double *vtln_high, char *err, size_t errlen) {
  if (!(warp > 0) || !isfinite(warp)) {
    snprintf(err, errlen, "VTLN warp factor %g must be positive", warp);
    return false;
  }
  if (!feat_vtln_cutoffs(mel, frame, vtln_low, vtln_high, err, errlen)) return false;
  /* Kaldi does not check this: past it the warp is no longer monotonic. */
  double l = *vtln_low * fmax(1.0, warp), h = *vtln_high * fmin(1.0, warp);
  if (l >= h) {
    snprintf(err, errlen, "VTLN warp factor %g is too far from 1 for vtln-low %g and vtln-high "
             "%g (its inflection points %g and %g Hz cross)", warp, *vtln_low, *vtln_high, l, h);
    return false;
  }
  return true;
}

void feat_mel_banks_free(FeatMelBanks *mb) {
  if (!mb) return;
  for (int b = 0; b < mb->num_bins; b++) free(mb->weight[b]);
  free(mb->weight);
  free(mb->offset);
  free(mb->len);
  free(mb->center_freq);
  free(mb);
}

FeatMelBanks *feat_mel_banks_new(const FeatMelOpts *mel, const FeatFrameOpts *frame,
                                 float vtln_warp, char *err, size_t errlen) {
  int num_bins = mel->num_bins;
  if (num_bins < 3) {
    snprintf(err, errlen, "must have at least 3 mel bins (--num-mel-bins=%d)", num_bins);
    return NULL;
  }
  int padded = feat_padded_window_size(frame);
  if (padded % 2 != 0) {
    snprintf(err, errlen, "the padded window size %d must be even (use --round-to-power-of-two "
             "or change --frame-length)", padded);
    return NULL;
  }
  int num_fft_bins = padded / 2;
  double low, high, vtln_low = 0, vtln_high = 0;
  if (!mel_freq_range(mel, frame, &low, &high, err, errlen)) return NULL;
  bool warped = vtln_warp != 1.0f;
  if (warped && !vtln_setup(mel, frame, vtln_warp, &vtln_low, &vtln_high, err, errlen))
    return NULL;
  /* Kaldi computes these in single precision. */
  float fft_bin_width = frame->samp_freq / padded;
  float mel_low = (float)feat_mel_scale(low), mel_high = (float)feat_mel_scale(high);
  float delta = (mel_high - mel_low) / (num_bins + 1);
  FeatMelBanks *mb = xcalloc(1, sizeof *mb);
  mb->num_bins = num_bins;
  mb->offset = xcalloc(num_bins, sizeof(int));
  mb->len = xcalloc(num_bins, sizeof(int));
  mb->weight = xcalloc(num_bins, sizeof(float *));
  mb->center_freq = xcalloc(num_bins, sizeof(float));
  float *w = xmalloc(num_fft_bins * sizeof(float));
  for (int b = 0; b < num_bins; b++) {
    float left = mel_low + b * delta, center = mel_low + (b + 1) * delta,
          right = mel_low + (b + 2) * delta;
    if (warped) {
      left = (float)feat_vtln_warp_mel_freq(vtln_low, vtln_high, low, high, vtln_warp, left);
      center = (float)feat_vtln_warp_mel_freq(vtln_low, vtln_high, low, high, vtln_warp, center);
      right = (float)feat_vtln_warp_mel_freq(vtln_low, vtln_high, low, high, vtln_warp, right);
    }
    mb->center_freq[b] = (float)feat_inverse_mel_scale(center);
    int first = -1, last = -1;
    for (int i = 0; i < num_fft_bins; i++) {
      float m = (float)feat_mel_scale(fft_bin_width * i);
      w[i] = 0;
      if (m > left && m < right) {
        w[i] = m <= center ? (m - left) / (center - left) : (right - m) / (right - center);
        if (first < 0) first = i;
        last = i;
      }
    }
    if (first < 0) {
      snprintf(err, errlen, "mel bin %d is empty: --num-mel-bins=%d is too large for the FFT "
               "size %d%s", b, num_bins, padded, warped ? " with this VTLN warp factor" : "");
      mb->num_bins = b;
      feat_mel_banks_free(mb);
      free(w);
      return NULL;
    }
    mb->offset[b] = first;
    mb->len[b] = last + 1 - first;
    mb->weight[b] = xmalloc(mb->len[b] * sizeof(float));
    for (int i = first; i <= last; i++) mb->weight[b][i - first] = w[i];
  }
  free(w);
  return mb;
}
