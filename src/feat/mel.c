/* Triangular mel filterbank, as Kaldi's MelBanks (mel-computations.cc). */
#include <stdio.h>
#include <stdlib.h>

#include "base/util.h"
#include "feat/feat.h"

void feat_mel_opts_default(FeatMelOpts *o) {
  o->num_bins = 23;
  o->low_freq = 20.0f;
  o->high_freq = 0.0f;
}

void feat_mel_opts_register(FeatMelOpts *o, Options *po) {
  opts_int(po, "num-mel-bins", &o->num_bins, "Number of triangular mel-frequency bins");
  opts_float(po, "low-freq", &o->low_freq, "Low cutoff frequency for mel bins");
  opts_float(po, "high-freq", &o->high_freq,
             "High cutoff frequency for mel bins (if <= 0, offset from Nyquist)");
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
                                 char *err, size_t errlen) {
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
  double nyquist = 0.5 * frame->samp_freq;
  double low = mel->low_freq, high = mel->high_freq > 0 ? mel->high_freq : nyquist + mel->high_freq;
  if (low < 0 || low >= nyquist || high <= 0 || high > nyquist || high <= low) {
    snprintf(err, errlen, "bad values in options: low-freq %g and high-freq %g vs. nyquist %g",
             low, high, nyquist);
    return NULL;
  }
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
    mb->center_freq[b] = (float)(700.0 * (exp(center / 1127.0) - 1.0));
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
               "size %d", b, num_bins, padded);
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
