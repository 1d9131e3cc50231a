/* Kaldi-identical speech features: framing and windows, mel filterbanks, MFCC, log-mel
 * filterbank (fbank) and log power spectrogram, plus the feature-space transforms
 * used after them (CMVN, deltas, splicing) and noise mixing.
 *
 * The numbers follow Kaldi's src/feat (feature-window.cc, mel-computations.cc,
 * feature-mfcc.cc, feature-fbank.cc, feature-spectrogram.cc): same frame positions
 * (snip-edges or reflection at the edges), same processing order per frame (dither,
 * DC removal, raw log-energy, pre-emphasis, window, zero padding, power spectrum, mel,
 * log, DCT, lifter), same mel scale 1127 ln(1 + f/700) and triangle weights.
 *
 * Options are grouped per component, each with a register function, as Kaldi's
 * FrameExtractionOptions, MelBanksOptions and MfccOptions. */
#ifndef FEAT_FEAT_H
#define FEAT_FEAT_H

#include <stdbool.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "base/options.h"
#include "base/rng.h"
#include "matrix/matrix.h"

/* ---- Non-finite features ----
 * Features with a NaN or an infinity, in every program that accumulates statistics on
 * them, trains, adapts or decodes: by default the utterance is skipped with a WARNING
 * naming the table, key, frame and dimension; with --strict (one switch for the process,
 * registered by those programs) it is an ERROR. feat_check_finite returns false for an
 * utterance to skip. */
void feat_register_strict(Options *po);
bool feat_check_finite(const char *rspec, const char *key, Mat f);

/* ---- Frame extraction (Kaldi's FrameExtractionOptions) ---- */
typedef struct {
  float samp_freq;       /* Hz */
  float frame_shift_ms;
  float frame_length_ms;
  float dither;          /* stddev of Gaussian noise added to each sample (0: off) */
  float preemph_coeff;
  bool remove_dc_offset;
  const char *window_type; /* povey|hamming|hanning|rectangular|sine|blackman */
  float blackman_coeff;
  bool round_to_power_of_two;
  bool snip_edges;
} FeatFrameOpts;

void feat_frame_opts_default(FeatFrameOpts *o);
void feat_frame_opts_register(FeatFrameOpts *o, Options *po);
int feat_window_size(const FeatFrameOpts *o);   /* samples per frame */
int feat_window_shift(const FeatFrameOpts *o);  /* samples between frames */
int feat_padded_window_size(const FeatFrameOpts *o);
/* Number of frames for num_samples samples (0 when shorter than one frame with snip-edges). */
int feat_num_frames(int64_t num_samples, const FeatFrameOpts *o);
/* First sample of frame f (negative at the start without snip-edges). */
int64_t feat_first_sample(int f, const FeatFrameOpts *o);
/* The window function (Kaldi's FeatureWindowFunction) into w[feat_window_size]. */
void feat_window_function(const FeatFrameOpts *o, float *w);

/* ---- Mel filterbank (Kaldi's MelBanksOptions) ---- */
typedef struct {
  int num_bins;
  float low_freq;   /* Hz */
  float high_freq;  /* Hz; <= 0 means an offset from the Nyquist frequency */
  float vtln_low;   /* Hz: lower inflection point of the VTLN warping function */
  float vtln_high;  /* Hz: upper inflection point; < 0 means an offset from Nyquist */
} FeatMelOpts;

void feat_mel_opts_default(FeatMelOpts *o);
void feat_mel_opts_register(FeatMelOpts *o, Options *po);

/* ---- VTLN (Kaldi's MelBanks::VtlnWarpFreq): a piecewise-linear warp F of [low, high]
 * with F(low) = low, F(high) = high and F(f) = f / warp between the inflection points
 * l = vtln_low * max(1, warp) and h = vtln_high * min(1, warp); frequencies outside
 * [low, high] are returned unchanged. Arguments in Hz; vtln_high already resolved
 * against Nyquist (feat_vtln_cutoffs). The mel variant maps a mel frequency through it. */
double feat_vtln_warp_freq(double vtln_low, double vtln_high, double low_freq, double high_freq,
                           double warp, double freq);
double feat_vtln_warp_mel_freq(double vtln_low, double vtln_high, double low_freq,
                               double high_freq, double warp, double mel_freq);
/* The cutoffs in Hz (vtln-high < 0 is an offset from Nyquist, as high-freq <= 0). False with
 * a message in err unless low-freq < vtln-low < vtln-high < high-freq, which warping needs
 * (Kaldi checks it whenever the warp factor is not 1). */
bool feat_vtln_cutoffs(const FeatMelOpts *mel, const FeatFrameOpts *frame, double *vtln_low,
                       double *vtln_high, char *err, size_t errlen);

/* Triangular filters over the FFT bins [0, padded/2): filter b has weights
 * weight[b][0..len[b]) on bins offset[b] ... */
typedef struct {
  int num_bins;
  int *offset, *len;
  float **weight;
  float *center_freq; /* Hz */
} FeatMelBanks;

/* The banks with bin edges and centres warped by vtln_warp (1: none). NULL with a
 * message in err when the options are inconsistent (frequencies, bin count, the VTLN
 * cutoffs or a warp factor that is not positive, or too far from 1 for the cutoffs). */
FeatMelBanks *feat_mel_banks_new(const FeatMelOpts *mel, const FeatFrameOpts *frame,
                                 float vtln_warp, char *err, size_t errlen);
void feat_mel_banks_free(FeatMelBanks *mb);
static inline double feat_mel_scale(double f) { return 1127.0 * log(1.0 + f / 700.0); }
static inline double feat_inverse_mel_scale(double m) { return 700.0 * (exp(m / 1127.0) - 1.0); }

/* ---- MFCC / fbank / spectrogram (Kaldi's MfccOptions and FbankOptions) ---- */
typedef struct {
  int num_ceps;
  bool use_energy;      /* mfcc: C0 replaced by log-energy; fbank: energy prepended */
  float energy_floor;   /* floor on the energy (absolute, not log); 0: none */
  bool raw_energy;      /* energy before pre-emphasis and windowing */
  float cepstral_lifter;
  bool htk_compat;      /* HTK order: energy (or C0 * sqrt 2) last */
  bool use_log_fbank;   /* fbank: log of the mel energies */
  bool use_power;       /* fbank: power (not magnitude) spectrum */
} FeatCepOpts;

typedef enum { FEAT_MFCC, FEAT_FBANK, FEAT_SPECTROGRAM } FeatType;

typedef struct {
  FeatType type;
  FeatFrameOpts frame;
  FeatMelOpts mel;
  FeatCepOpts cep;
} FeatOpts;

/* Kaldi's defaults for the type (use-energy is true for mfcc, false for fbank). */
void feat_opts_default(FeatOpts *o, FeatType type);
void feat_cep_opts_register(FeatCepOpts *o, Options *po);
/* Registers the frame, mel and cepstral groups. */
void feat_opts_register(FeatOpts *o, Options *po);
/* "mfcc" | "fbank" | "spectrogram" -> type; false when unknown. */
bool feat_type_from_name(const char *name, FeatType *type);

typedef struct FeatComputer FeatComputer;
/* Precomputes the window, mel banks (unwarped), DCT, lifter and the FFTW plans (once per
 * run). NULL with a message in err when the options are invalid. */
FeatComputer *feat_computer_new(const FeatOpts *o, char *err, size_t errlen);
void feat_computer_free(FeatComputer *fc);
int feat_computer_dim(const FeatComputer *fc);
/* The VTLN warp factor of the following feat_compute calls (Kaldi's vtln_warp argument of
 * ComputeFeatures): mel banks are made once per factor and kept. The spectrogram has no
 * mel banks and ignores it, as Kaldi's. False with a message in err when the banks cannot
 * be made (the factor stays as it was). */
bool feat_computer_set_vtln_warp(FeatComputer *fc, float vtln_warp, char *err, size_t errlen);
/* Features of one channel of samples (int16 scale) into *out, resized to
 * feat_num_frames x dim (0 rows when shorter than a frame). rng is used for dither
 * (may be NULL when dither is 0). */
void feat_compute(FeatComputer *fc, const float *wave, int64_t num_samples, Rng *rng, Mat *out);

/* ---- CMVN (Kaldi's cmvn.cc): stats are a 2 x (dim+1) double matrix, row 0 the sums
 * with the count last, row 1 the sums of squares. ---- */
void feat_cmvn_init(double *stats, int dim); /* zeroes 2*(dim+1) values */
void feat_cmvn_acc(double *stats, int dim, Mat feats);
/* Normalises feats in place; false with a message (count < 1, NaN) in err. */
bool feat_cmvn_apply(const double *stats, int dim, bool norm_vars, Mat feats, char *err,
                     size_t errlen);

/* ---- Sliding-window CMN (Kaldi's SlidingWindowCmnOptions, SlidingWindowCmn): each frame
 * minus the mean (and, with norm_vars, over the standard deviation) of a window of frames
 * around it, for audio without speaker statistics. Sums run in double, as Kaldi's. ---- */
typedef struct {
  int cmn_window;    /* frames in the window */
  int min_window;    /* frames used at the start when the window is not centred */
  int max_warnings;  /* variance-flooring warnings per utterance (0: none, -1: all) */
  bool norm_vars;
  bool center;       /* window centred on the frame, else the frames before it */
} FeatSlidingCmnOpts;

void feat_sliding_cmn_opts_default(FeatSlidingCmnOpts *o);
void feat_sliding_cmn_opts_register(FeatSlidingCmnOpts *o, Options *po);
/* False with a message in err when the options are inconsistent (Kaldi's Check()). */
bool feat_sliding_cmn_opts_check(const FeatSlidingCmnOpts *o, char *err, size_t errlen);
/* out (same shape as in, in.rows > 0) = the normalised in. */
void feat_sliding_cmn(const FeatSlidingCmnOpts *o, Mat in, Mat out);

/* ---- Deltas (Kaldi's DeltaFeatures): out is rows x dim*(order+1) ---- */
void feat_add_deltas(Mat in, int order, int window, Mat *out);
/* ---- Splicing (Kaldi's SpliceFrames), edges repeated: out is rows x dim*(l+1+r) ---- */
void feat_splice(Mat in, int left, int right, Mat *out);

/* ---- Noise (for wav-add-noise); samples in int16 scale ---- */
/* Gaussian white noise, unit variance. */
void feat_white_noise(Rng *rng, float *x, int64_t n);
/* Pink (1/f) noise: white noise through Paul Kellet's refined filter (-3 dB/octave within
 * 0.05 dB above 9.2 Hz at 44.1 kHz), scaled to unit power over the n samples. */
void feat_pink_noise(Rng *rng, float *x, int64_t n);
/* out[0..n) = src looped from a random start (src of len samples). */
void feat_noise_segment(const float *src, int64_t len, int64_t n, Rng *rng, float *out);
/* Babble: the sum of num_talkers segments (feat_noise_segment) of sources chosen at random
 * (with replacement) among num_src, each scaled to unit power. */
void feat_babble_noise(const float *const *src, const int64_t *len, int num_src, int num_talkers,
                       Rng *rng, float *out, int64_t n);
/* Mean power (mean square) of x. */
double feat_power(const float *x, int64_t n);
/* x += g * noise with g chosen so that 10 log10(P(x) / P(g noise)) = snr_db. False when
 * x or the noise has zero power (nothing is changed). */
bool feat_mix_at_snr(float *x, const float *noise, int64_t n, double snr_db);

#endif
