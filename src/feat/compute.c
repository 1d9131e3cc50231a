/* MFCC, fbank and spectrogram over blocks of frames, as Kaldi's OfflineFeatureTpl with
 * MfccComputer / FbankComputer / SpectrogramComputer. Frames are processed FEAT_BLOCK at a
 * time: one batched FFTW real-to-complex transform, a sparse loop for the mel filters and
 * one gemm for the DCT; every buffer is allocated once in feat_computer_new. */
/* The per-sample loops below (dither, DC removal, pre-emphasis and window, power spectrum,
 * 8-lane dot products) are written to vectorise; at the project's -O2, GCC 12 vectorises
 * only with its "very cheap" cost model, which leaves them scalar (25% slower overall). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("tree-vectorize", "vect-cost-model=dynamic")
#endif
#include <fftw3.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "feat/feat.h"

#define FEAT_BLOCK 64

struct FeatComputer {
  FeatOpts o;
  int win, padded, nspec, dim;
  float *window;      /* [win] */
  FeatMelBanks *mb;   /* the banks of the current VTLN warp factor; NULL for the spectrogram */
  /* Banks made so far, one per warp factor (Kaldi's map from factor to MelBanks): a
   * run sees a few dozen factors at most, so a list searched in order is enough. */
  struct { float warp; FeatMelBanks *mb; } *banks;
  int num_banks;
  Mat dct;            /* num_ceps x num_bins */
  float *lifter;      /* [num_ceps] or NULL */
  float log_energy_floor;
  bool need_raw_energy, need_energy;
  float *frames;      /* FEAT_BLOCK x padded, FFTW-aligned */
  fftwf_complex *spec;/* FEAT_BLOCK x nspec */
  fftwf_plan plan;
  Mat mel;            /* FEAT_BLOCK x num_bins */
  float energy[FEAT_BLOCK];
  float *gauss;       /* [2^GAUSS_BITS] inverse normal CDF table, when dithering */
  float *scratch;     /* [win] */
};

/* Dither: Gaussian deviates by inverse-CDF lookup, table[k] = Phi^-1((k + 1/2) / 2^16), so
 * one 64-bit random draw gives four deviates. This is N(0,1) quantised to 65536 equally
 * likely values (truncated at 4.3 sigma), indistinguishable as dither, and about 20 times
 * cheaper than Box-Muller, which made dither the most expensive step of the front end. */
#define GAUSS_BITS 16
static void make_gauss_table(float *t) {
  int n = 1 << GAUSS_BITS;
  double x = 0;
  for (int k = n / 2; k < n; k++) { /* upper half by Newton from the previous root */
    double p = (k + 0.5) / n;
    for (int it = 0; it < 50; it++) {
      double f = 0.5 * erfc(-x / M_SQRT2) - p, d = exp(-0.5 * x * x) / sqrt(2 * M_PI);
      double step = f / d;
      x -= step;
      if (fabs(step) < 1e-12) break;
    }
    t[k] = (float)x;
    t[n - 1 - k] = (float)-x;
  }
}

static void add_dither(Rng *rng, const float *table, float dither, float *x, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    uint64_t b = rng_next(rng);
    for (int j = 0; j < 4; j++) x[i + j] += dither * table[(b >> (16 * j)) & 0xFFFF];
  }
  uint64_t b = rng_next(rng);
  for (int j = 0; i < n; i++, j++) x[i] += dither * table[(b >> (16 * j)) & 0xFFFF];
}

void feat_cep_opts_register(FeatCepOpts *o, Options *po) {
  opts_int(po, "num-ceps", &o->num_ceps,
           "mfcc: number of cepstra in MFCC computation (including C0)");
  opts_bool(po, "use-energy", &o->use_energy,
            "mfcc: use energy instead of C0; fbank: add an extra energy output "
            "(default true for mfcc, false for fbank)");
  opts_float(po, "energy-floor", &o->energy_floor,
             "Floor on energy (absolute, not relative) in MFCC/fbank computation. Only makes a "
             "difference if --use-energy=true; only necessary if --dither=0.0. Suggested values: "
             "0.1 or 1.0");
  opts_bool(po, "raw-energy", &o->raw_energy,
            "If true, compute energy before preemphasis and windowing");
  opts_float(po, "cepstral-lifter", &o->cepstral_lifter,
             "mfcc: constant that controls scaling of MFCCs");
  opts_bool(po, "htk-compat", &o->htk_compat,
            "If true, put energy or C0 last and use a factor of sqrt(2) on C0. Warning: not "
            "sufficient to get HTK compatible features (need to change other parameters).");
  opts_bool(po, "use-log-fbank", &o->use_log_fbank,
            "fbank: if true, produce log-filterbank, else produce linear.");
  opts_bool(po, "use-power", &o->use_power,
            "fbank: if true, use power, else use magnitude.");
}

void feat_opts_default(FeatOpts *o, FeatType type) {
  o->type = type;
  feat_frame_opts_default(&o->frame);
  feat_mel_opts_default(&o->mel);
  o->cep.num_ceps = 13;
  o->cep.use_energy = type == FEAT_MFCC;
  o->cep.energy_floor = 0.0f;
  o->cep.raw_energy = true;
  o->cep.cepstral_lifter = 22.0f;
  o->cep.htk_compat = false;
  o->cep.use_log_fbank = true;
  o->cep.use_power = true;
}

void feat_opts_register(FeatOpts *o, Options *po) {
  feat_frame_opts_register(&o->frame, po);
  feat_mel_opts_register(&o->mel, po);
  feat_cep_opts_register(&o->cep, po);
}

bool feat_type_from_name(const char *name, FeatType *type) {
  if (!strcmp(name, "mfcc")) *type = FEAT_MFCC;
  else if (!strcmp(name, "fbank")) *type = FEAT_FBANK;
  else if (!strcmp(name, "spectrogram")) *type = FEAT_SPECTROGRAM;
  else return false;
  return true;
}

static bool check_opts(const FeatOpts *o, char *err, size_t errlen) {
  const FeatFrameOpts *f = &o->frame;
  float vals[] = {f->samp_freq, f->frame_shift_ms, f->frame_length_ms, f->dither, f->preemph_coeff,
                  f->blackman_coeff, o->mel.low_freq, o->mel.high_freq, o->mel.vtln_low,
                  o->mel.vtln_high, o->cep.energy_floor, o->cep.cepstral_lifter};
  for (size_t i = 0; i < sizeof vals / sizeof *vals; i++)
    if (!isfinite(vals[i])) { snprintf(err, errlen, "NaN or infinite option value"); return false; }
  if (f->samp_freq <= 0) { snprintf(err, errlen, "--sample-frequency must be positive"); return false; }
  if (feat_window_shift(f) <= 0 || feat_window_size(f) < 2) {
    snprintf(err, errlen, "--frame-shift=%g and --frame-length=%g ms give %d and %d samples at %g Hz; "
             "need a shift of at least 1 and a length of at least 2", f->frame_shift_ms,
             f->frame_length_ms, feat_window_shift(f), feat_window_size(f), f->samp_freq);
    return false;
  }
  if (f->dither < 0) { snprintf(err, errlen, "--dither must be >= 0"); return false; }
  if (f->preemph_coeff < 0 || f->preemph_coeff > 1) {
    snprintf(err, errlen, "--preemphasis-coefficient must be in [0, 1]"); return false;
  }
  if (o->cep.energy_floor < 0) { snprintf(err, errlen, "--energy-floor must be >= 0"); return false; }
  if (o->type == FEAT_MFCC && (o->cep.num_ceps < 1 || o->cep.num_ceps > o->mel.num_bins)) {
    snprintf(err, errlen, "--num-ceps=%d must be in [1, --num-mel-bins=%d]", o->cep.num_ceps,
             o->mel.num_bins);
    return false;
  }
  return true;
}

/* Kaldi's ComputeDctMatrix: orthonormal DCT-II rows 0..num_ceps-1. */
static void make_dct(FeatComputer *fc) {
  int k = fc->o.cep.num_ceps, n = fc->o.mel.num_bins;
  fc->dct = mat_alloc(k, n);
  for (int j = 0; j < n; j++) *mat_at(fc->dct, 0, j) = (float)sqrt(1.0 / n);
  for (int r = 1; r < k; r++)
    for (int j = 0; j < n; j++)
      *mat_at(fc->dct, r, j) = (float)(sqrt(2.0 / n) * cos(M_PI / n * (j + 0.5) * r));
  if (fc->o.cep.cepstral_lifter != 0) { /* Kaldi's ComputeLifterCoeffs */
    double q = fc->o.cep.cepstral_lifter;
    fc->lifter = xmalloc(k * sizeof(float));
    for (int i = 0; i < k; i++) fc->lifter[i] = (float)(1.0 + 0.5 * q * sin(M_PI * i / q));
  }
}

FeatComputer *feat_computer_new(const FeatOpts *o, char *err, size_t errlen) {
  if (!check_opts(o, err, errlen)) return NULL;
  FeatComputer *fc = xcalloc(1, sizeof *fc);
  fc->o = *o;
  fc->win = feat_window_size(&o->frame);
  fc->padded = feat_padded_window_size(&o->frame);
  fc->nspec = fc->padded / 2 + 1;
  if (o->type != FEAT_SPECTROGRAM) {
    if (!feat_computer_set_vtln_warp(fc, 1.0f, err, errlen)) { free(fc); return NULL; }
    fc->mel = mat_alloc(FEAT_BLOCK, o->mel.num_bins);
  }
  if (o->type == FEAT_MFCC) make_dct(fc);
  fc->dim = o->type == FEAT_MFCC ? o->cep.num_ceps
          : o->type == FEAT_FBANK ? o->mel.num_bins + (o->cep.use_energy ? 1 : 0) : fc->nspec;
  bool energy = o->type == FEAT_SPECTROGRAM || o->cep.use_energy;
  fc->need_energy = energy;
  fc->need_raw_energy = energy && o->cep.raw_energy;
  fc->log_energy_floor = o->cep.energy_floor > 0 ? logf(o->cep.energy_floor) : -INFINITY;
  if (o->frame.dither != 0) {
    fc->gauss = xmalloc(sizeof(float) << GAUSS_BITS);
    make_gauss_table(fc->gauss);
  }
  fc->window = xmalloc(fc->win * sizeof(float));
  fc->scratch = xmalloc(fc->win * sizeof(float));
  feat_window_function(&o->frame, fc->window);
  fc->frames = fftwf_alloc_real((size_t)FEAT_BLOCK * fc->padded);
  fc->spec = fftwf_alloc_complex((size_t)FEAT_BLOCK * fc->nspec);
  /* FFTW_ESTIMATE: the plan (hence the rounding) is the same on every run. */
  fc->plan = fftwf_plan_many_dft_r2c(1, &fc->padded, FEAT_BLOCK, fc->frames, NULL, 1, fc->padded,
                                     fc->spec, NULL, 1, fc->nspec, FFTW_ESTIMATE);
  memset(fc->frames, 0, sizeof(float) * FEAT_BLOCK * fc->padded);
  return fc;
}

void feat_computer_free(FeatComputer *fc) {
  if (!fc) return;
  fftwf_destroy_plan(fc->plan);
  fftwf_free(fc->frames);
  fftwf_free(fc->spec);
  for (int i = 0; i < fc->num_banks; i++) feat_mel_banks_free(fc->banks[i].mb);
  free(fc->banks);
  mat_release(&fc->dct);
  mat_release(&fc->mel);
  free(fc->lifter);
  free(fc->window);
  free(fc->gauss);
  free(fc->scratch);
  free(fc);
}

int feat_computer_dim(const FeatComputer *fc) { return fc->dim; }

bool feat_computer_set_vtln_warp(FeatComputer *fc, float vtln_warp, char *err, size_t errlen) {
  if (fc->o.type == FEAT_SPECTROGRAM) return true;
  for (int i = 0; i < fc->num_banks; i++)
    if (fc->banks[i].warp == vtln_warp) {
      fc->mb = fc->banks[i].mb;
      return true;
    }
  FeatMelBanks *mb = feat_mel_banks_new(&fc->o.mel, &fc->o.frame, vtln_warp, err, errlen);
  if (!mb) return false;
  fc->banks = xrealloc(fc->banks, (fc->num_banks + 1) * sizeof *fc->banks);
  fc->banks[fc->num_banks].warp = vtln_warp;
  fc->banks[fc->num_banks++].mb = mb;
  fc->mb = mb;
  return true;
}

/* Dot product with 8 independent accumulators: the compiler vectorises it (a single
 * float accumulator is a serial chain it may not reorder), and the order is fixed, so
 * results stay reproducible. */
static float dot8(const float *a, const float *b, int n) {
  float acc[8] = {0};
  int i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; j++) acc[j] += a[i + j] * b[i + j];
  float s = 0;
  for (; i < n; i++) s += a[i] * b[i];
  for (int j = 0; j < 8; j++) s += acc[j];
  return s;
}

static float sum8(const float *a, int n) {
  float acc[8] = {0};
  int i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; j++) acc[j] += a[i + j];
  float s = 0;
  for (; i < n; i++) s += a[i];
  for (int j = 0; j < 8; j++) s += acc[j];
  return s;
}

static float log_energy(const float *x, int n) {
  return logf(fmaxf(dot8(x, x, n), FLT_EPSILON));
}

/* Kaldi's ExtractWindow + ProcessWindow for frame f into out[padded]; returns the raw
 * log-energy when needed. Samples before the start or past the end are reflected. */
static float extract_frame(FeatComputer *fc, const float *wave, int64_t n, int f, Rng *rng,
                           float *out) {
  const FeatFrameOpts *o = &fc->o.frame;
  int win = fc->win;
  int64_t start = feat_first_sample(f, o);
  bool inside = start >= 0 && start + win <= n;
  const float *x = inside ? wave + start : NULL; /* the frame before pre-emphasis, window */
  if (o->dither != 0 || o->remove_dc_offset || !inside) { /* modified: work on a copy */
    float *buf = fc->scratch;
    if (inside) memcpy(buf, wave + start, win * sizeof(float));
    else
      for (int s = 0; s < win; s++) {
        int64_t i = start + s;
        while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - 1 - i;
        buf[s] = wave[i];
      }
    if (o->dither != 0) add_dither(rng, fc->gauss, o->dither, buf, win);
    if (o->remove_dc_offset) {
      float mean = sum8(buf, win) / win;
      for (int s = 0; s < win; s++) buf[s] -= mean;
    }
    x = buf;
  }
  float raw = fc->need_raw_energy ? log_energy(x, win) : 0.0f;
  /* Pre-emphasis (x[-1] taken as x[0]) and window in one pass into the FFT input. */
  float p = o->preemph_coeff;
  const float *w = fc->window;
  out[0] = (x[0] - p * x[0]) * w[0];
  for (int s = 1; s < win; s++) out[s] = (x[s] - p * x[s - 1]) * w[s];
  memset(out + win, 0, (fc->padded - win) * sizeof(float));
  return raw;
}

/* Power (or magnitude) spectrum of row r into the frame buffer row (nspec values). */
static float *power_spectrum(FeatComputer *fc, int r) {
  float *p = fc->frames + (size_t)r * fc->padded;
  const fftwf_complex *c = fc->spec + (size_t)r * fc->nspec;
  for (int k = 0; k < fc->nspec; k++) p[k] = c[k][0] * c[k][0] + c[k][1] * c[k][1];
  return p;
}

static void mel_energies(const FeatMelBanks *mb, const float *pow, float *out) {
  for (int b = 0; b < mb->num_bins; b++) {
    out[b] = dot8(mb->weight[b], pow + mb->offset[b], mb->len[b]);
  }
}

static float floor_energy(const FeatComputer *fc, float e) {
  return e < fc->log_energy_floor ? fc->log_energy_floor : e;
}

static void finish_block(FeatComputer *fc, int nb, Mat out) {
  const FeatCepOpts *c = &fc->o.cep;
  int nbins = fc->mb ? fc->mb->num_bins : 0;
  for (int r = 0; r < nb; r++) {
    float *pow = power_spectrum(fc, r), *row = mat_row(out, r);
    if (fc->o.type == FEAT_SPECTROGRAM) {
      for (int k = 0; k < fc->nspec; k++) row[k] = logf(fmaxf(pow[k], FLT_EPSILON));
      row[0] = floor_energy(fc, fc->energy[r]);
      continue;
    }
    if (fc->o.type == FEAT_FBANK && !c->use_power)
      for (int k = 0; k < fc->nspec; k++) pow[k] = sqrtf(pow[k]);
    bool log_mel = fc->o.type == FEAT_MFCC || c->use_log_fbank;
    float *mel = fc->o.type == FEAT_MFCC ? mat_row(fc->mel, r)
               : row + (c->use_energy && !c->htk_compat ? 1 : 0);
    mel_energies(fc->mb, pow, mel);
    if (log_mel)
      for (int b = 0; b < nbins; b++) mel[b] = logf(fmaxf(mel[b], FLT_EPSILON));
    if (fc->o.type == FEAT_FBANK && c->use_energy)
      row[c->htk_compat ? nbins : 0] = floor_energy(fc, fc->energy[r]);
  }
  if (fc->o.type != FEAT_MFCC) return;
  /* out (nb x ceps) = mel (nb x bins) * dct^T */
  mat_gemm(false, true, 1.0f, mat_rows(fc->mel, 0, nb), fc->dct, 0.0f, out);
  int k = c->num_ceps;
  for (int r = 0; r < nb; r++) {
    float *row = mat_row(out, r);
    if (fc->lifter)
      for (int i = 0; i < k; i++) row[i] *= fc->lifter[i];
    if (c->use_energy) row[0] = floor_energy(fc, fc->energy[r]);
    if (c->htk_compat) { /* energy or C0 last; C0 loses the sqrt(1/N) vs sqrt(2/N) scale */
      float e = row[0];
      memmove(row, row + 1, (k - 1) * sizeof(float));
      row[k - 1] = c->use_energy ? e : e * (float)M_SQRT2;
    }
  }
}

void feat_compute(FeatComputer *fc, const float *wave, int64_t num_samples, Rng *rng, Mat *out) {
  int rows = feat_num_frames(num_samples, &fc->o.frame);
  if (num_samples == 0) rows = 0;
  if (out->rows != rows || out->cols != fc->dim || (out->data == NULL && rows > 0))
    mat_resize(out, rows, fc->dim);
  for (int r0 = 0; r0 < rows; r0 += FEAT_BLOCK) {
    int nb = rows - r0 < FEAT_BLOCK ? rows - r0 : FEAT_BLOCK;
    for (int r = 0; r < nb; r++) {
      float *fr = fc->frames + (size_t)r * fc->padded;
      float raw = extract_frame(fc, wave, num_samples, r0 + r, rng, fr);
      fc->energy[r] = fc->need_raw_energy ? raw
                    : fc->need_energy ? log_energy(fr, fc->padded) : 0.0f;
    }
    fftwf_execute(fc->plan);
    finish_block(fc, nb, mat_rows(*out, r0, nb));
  }
}
