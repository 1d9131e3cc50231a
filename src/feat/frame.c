/* Framing and window functions, as Kaldi's feature-window.cc. */
#include <math.h>
#include <string.h>

#include "feat/feat.h"

void feat_frame_opts_default(FeatFrameOpts *o) {
  o->samp_freq = 16000.0f;
  o->frame_shift_ms = 10.0f;
  o->frame_length_ms = 25.0f;
  o->dither = 1.0f;
  o->preemph_coeff = 0.97f;
  o->remove_dc_offset = true;
  o->window_type = "povey";
  o->blackman_coeff = 0.42f;
  o->round_to_power_of_two = true;
  o->snip_edges = true;
}

void feat_frame_opts_register(FeatFrameOpts *o, Options *po) {
  opts_float(po, "sample-frequency", &o->samp_freq,
             "Waveform data sample frequency (must match the waveform file, if specified there)");
  opts_float(po, "frame-length", &o->frame_length_ms, "Frame length in milliseconds");
  opts_float(po, "frame-shift", &o->frame_shift_ms, "Frame shift in milliseconds");
  opts_float(po, "dither", &o->dither, "Dithering constant (0.0 means no dither)");
  opts_float(po, "preemphasis-coefficient", &o->preemph_coeff,
             "Coefficient for use in signal preemphasis");
  opts_bool(po, "remove-dc-offset", &o->remove_dc_offset,
            "Subtract mean from waveform on each frame");
  opts_choice(po, "window-type", &o->window_type, "povey|hamming|hanning|rectangular|sine|blackman",
              "Type of window (\"hamming\"|\"hanning\"|\"povey\"|\"rectangular\"|\"sine\"|\"blackman\")");
  opts_float(po, "blackman-coeff", &o->blackman_coeff,
             "Constant coefficient for generalized Blackman window.");
  opts_bool(po, "round-to-power-of-two", &o->round_to_power_of_two,
            "If true, round window size to power of two by zero-padding input to FFT.");
  opts_bool(po, "snip-edges", &o->snip_edges,
            "If true, end effects will be handled by outputting only frames that completely fit "
            "in the file, and the number of frames depends on the frame-length.  If false, the "
            "number of frames depends only on the frame-shift, and we reflect the data at the ends.");
}

/* Kaldi truncates (int cast), e.g. 16000 * 0.025 = 400. */
int feat_window_size(const FeatFrameOpts *o) {
  return (int)((double)o->samp_freq * 0.001 * o->frame_length_ms);
}
int feat_window_shift(const FeatFrameOpts *o) {
  return (int)((double)o->samp_freq * 0.001 * o->frame_shift_ms);
}
int feat_padded_window_size(const FeatFrameOpts *o) {
  int n = feat_window_size(o);
  if (!o->round_to_power_of_two) return n;
  int p = 1;
  while (p < n) p <<= 1;
  return p;
}

int feat_num_frames(int64_t num_samples, const FeatFrameOpts *o) {
  int64_t shift = feat_window_shift(o), len = feat_window_size(o);
  if (o->snip_edges) return num_samples < len ? 0 : (int)(1 + (num_samples - len) / shift);
  /* The frame count depends only on the shift: frames are centred on multiples of it. */
  return (int)((num_samples + shift / 2) / shift);
}

int64_t feat_first_sample(int f, const FeatFrameOpts *o) {
  int64_t shift = feat_window_shift(o);
  if (o->snip_edges) return (int64_t)f * shift;
  return shift * f + shift / 2 - feat_window_size(o) / 2;
}

void feat_window_function(const FeatFrameOpts *o, float *w) {
  int n = feat_window_size(o);
  double a = 2.0 * M_PI / (n - 1);
  const char *t = o->window_type;
  for (int i = 0; i < n; i++) {
    double v = 1.0;
    if (!strcmp(t, "hanning")) v = 0.5 - 0.5 * cos(a * i);
    else if (!strcmp(t, "sine")) v = sin(0.5 * a * i);
    else if (!strcmp(t, "hamming")) v = 0.54 - 0.46 * cos(a * i);
    else if (!strcmp(t, "povey")) v = pow(0.5 - 0.5 * cos(a * i), 0.85); /* hann, zero at edges */
    else if (!strcmp(t, "blackman"))
      v = o->blackman_coeff - 0.5 * cos(a * i) + (0.5 - o->blackman_coeff) * cos(2 * a * i);
    w[i] = (float)v;
  }
}
