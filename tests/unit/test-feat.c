/* Unit tests for src/feat: framing, windows, mel banks, option checks, dither, deltas,
 * CMVN and splicing (against tests/reference/transforms.txt, made with torchaudio and
 * numpy), noise mixing, and WAV reading/writing of every supported encoding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "feat/feat.h"
#include "feat/wav.h"
#include "testing.h"

static void test_frames_and_windows(void) {
  FeatFrameOpts o;
  feat_frame_opts_default(&o);
  CHECK(feat_window_size(&o) == 400 && feat_window_shift(&o) == 160);
  CHECK(feat_padded_window_size(&o) == 512);
  CHECK(feat_num_frames(16000, &o) == 98 && feat_num_frames(399, &o) == 0 && feat_num_frames(400, &o) == 1);
  CHECK(feat_first_sample(3, &o) == 480);
  o.snip_edges = false;
  CHECK(feat_num_frames(16000, &o) == 100 && feat_num_frames(79, &o) == 0 && feat_num_frames(80, &o) == 1);
  CHECK(feat_first_sample(0, &o) == 80 - 200);
  o.round_to_power_of_two = false;
  CHECK(feat_padded_window_size(&o) == 400);
  float w[400];
  const char *types[] = {"povey", "hamming", "hanning", "rectangular", "sine", "blackman"};
  float first[] = {0.0f, 0.08f, 0.0f, 1.0f, 0.0f, 0.0f};
  for (int t = 0; t < 6; t++) {
    o.window_type = types[t];
    feat_window_function(&o, w);
    CHECK_NEAR(w[0], first[t], 1e-6);
    CHECK_NEAR(w[0], w[399], 1e-5); /* symmetric */
    CHECK(w[200] > 0.99f && w[200] <= 1.0f);
  }
}

static void test_mel_banks(void) {
  FeatOpts o;
  feat_opts_default(&o, FEAT_FBANK);
  char err[256];
  FeatMelBanks *mb = feat_mel_banks_new(&o.mel, &o.frame, 1.0f, err, sizeof err);
  CHECK(mb && mb->num_bins == 23);
  for (int b = 1; mb && b < mb->num_bins; b++) {
    CHECK(mb->center_freq[b] > mb->center_freq[b - 1]);
    CHECK(mb->offset[b] >= mb->offset[b - 1]);
  }
  CHECK(mb && mb->offset[0] * 16000.0 / 512 > 20.0 && mb->center_freq[22] < 8000);
  feat_mel_banks_free(mb);
  o.mel.high_freq = 10.0f; /* below low-freq */
  CHECK(!feat_mel_banks_new(&o.mel, &o.frame, 1.0f, err, sizeof err) && strstr(err, "high-freq"));
  o.mel.high_freq = -7990.0f; /* offset from Nyquist: 10 Hz */
  CHECK(!feat_mel_banks_new(&o.mel, &o.frame, 1.0f, err, sizeof err));
  o.mel.high_freq = 0;
  o.mel.num_bins = 200; /* more bins than FFT bins can hold */
  CHECK(!feat_mel_banks_new(&o.mel, &o.frame, 1.0f, err, sizeof err) && strstr(err, "num-mel-bins"));
}

/* Kaldi's piecewise-linear VTLN warp: fixed ends, f / warp between the inflection points
 * l = vtln_low * max(1, warp) and h = vtln_high * min(1, warp), continuous at both. */
static void test_vtln_warp_function(void) {
  double lo = 20, hi = 8000, vl = 100, vh = 7500;
  for (int k = 0; k < 2; k++) {
    double w = k ? 1.1 : 0.9, l = vl * fmax(1, w), h = vh * fmin(1, w);
    CHECK_NEAR(feat_vtln_warp_freq(vl, vh, lo, hi, w, lo), lo, 1e-9);
    CHECK_NEAR(feat_vtln_warp_freq(vl, vh, lo, hi, w, hi), hi, 1e-9);
    CHECK_NEAR(feat_vtln_warp_freq(vl, vh, lo, hi, w, 1000), 1000 / w, 1e-9);
    CHECK_NEAR(feat_vtln_warp_freq(vl, vh, lo, hi, w, l - 1e-9), l / w, 1e-6);
    CHECK_NEAR(feat_vtln_warp_freq(vl, vh, lo, hi, w, h - 1e-9), h / w, 1e-6);
    CHECK_NEAR(feat_vtln_warp_freq(vl, vh, lo, hi, w, h), h / w, 1e-6);
    CHECK(feat_vtln_warp_freq(vl, vh, lo, hi, w, 10) == 10);   /* outside [low, high] */
    CHECK(feat_vtln_warp_freq(vl, vh, lo, hi, w, 8001) == 8001);
    double m = feat_mel_scale(3000);
    CHECK_NEAR(feat_vtln_warp_mel_freq(vl, vh, lo, hi, w, m), feat_mel_scale(3000 / w), 1e-9);
  }
}

static void test_vtln_mel_banks(void) {
  FeatOpts o;
  feat_opts_default(&o, FEAT_FBANK);
  char err[256];
  FeatMelBanks *plain = feat_mel_banks_new(&o.mel, &o.frame, 1.0f, err, sizeof err);
  FeatMelBanks *warped = feat_mel_banks_new(&o.mel, &o.frame, 1.1f, err, sizeof err);
  CHECK(plain && warped);
  /* Centres between the inflection points (110 Hz, 7500 Hz) move to f / 1.1. */
  for (int b = 0; plain && warped && b < 23; b++)
    if (plain->center_freq[b] > 200 && plain->center_freq[b] < 7000)
      CHECK_NEAR(warped->center_freq[b], plain->center_freq[b] / 1.1, 0.01 * plain->center_freq[b]);
  feat_mel_banks_free(plain);
  feat_mel_banks_free(warped);
  /* Kaldi checks the cutoffs only when warping: vtln-low at or below low-freq, vtln-high at
   * or above high-freq (after adding Nyquist to a negative one), vtln-low above vtln-high. */
  o.mel.vtln_low = 20;
  CHECK(!feat_mel_banks_new(&o.mel, &o.frame, 0.9f, err, sizeof err) && strstr(err, "vtln-low 20"));
  plain = feat_mel_banks_new(&o.mel, &o.frame, 1.0f, err, sizeof err);
  CHECK(plain != NULL);
  feat_mel_banks_free(plain);
  o.mel.vtln_low = 100;
  o.mel.vtln_high = -10;
  o.mel.high_freq = -20; /* 7980 Hz; vtln-high 7990 Hz */
  CHECK(!feat_mel_banks_new(&o.mel, &o.frame, 0.9f, err, sizeof err) && strstr(err, "vtln-high 7990"));
  o.mel.high_freq = 0;
  o.mel.vtln_high = 90;
  CHECK(!feat_mel_banks_new(&o.mel, &o.frame, 0.9f, err, sizeof err) && strstr(err, "vtln-high 90"));
  o.mel.vtln_high = -500;
  CHECK(!feat_mel_banks_new(&o.mel, &o.frame, 0.0f, err, sizeof err) && strstr(err, "positive"));
  CHECK(!feat_mel_banks_new(&o.mel, &o.frame, NAN, err, sizeof err) && strstr(err, "positive"));
  CHECK(!feat_mel_banks_new(&o.mel, &o.frame, 100.0f, err, sizeof err) && strstr(err, "too far"));
  double vl, vh;
  CHECK(feat_vtln_cutoffs(&o.mel, &o.frame, &vl, &vh, err, sizeof err) && vl == 100 && vh == 7500);
}

/* Banks are made once per warp factor and reused; the spectrogram ignores the factor. */
static void test_vtln_computer(void) {
  int n = 8000;
  float *x = xmalloc(n * sizeof(float));
  Rng r;
  rng_seed(&r, 3);
  feat_white_noise(&r, x, n);
  for (int i = 0; i < n; i++) x[i] = 1000 * x[i] + 3000 * sinf(0.3f * i);
  FeatOpts o;
  feat_opts_default(&o, FEAT_MFCC);
  o.frame.dither = 0;
  char err[256];
  FeatComputer *fc = feat_computer_new(&o, err, sizeof err);
  Mat plain = {0}, a = {0}, b = {0}, c = {0};
  feat_compute(fc, x, n, NULL, &plain);
  CHECK(feat_computer_set_vtln_warp(fc, 0.9f, err, sizeof err));
  feat_compute(fc, x, n, NULL, &a);
  CHECK(feat_computer_set_vtln_warp(fc, 1.1f, err, sizeof err));
  feat_compute(fc, x, n, NULL, &b);
  CHECK(feat_computer_set_vtln_warp(fc, 0.9f, err, sizeof err));
  feat_compute(fc, x, n, NULL, &c);
  CHECK(mat_max_abs_diff(a, c) == 0);
  CHECK(mat_max_abs_diff(a, plain) > 0.1f && mat_max_abs_diff(a, b) > 0.1f);
  CHECK(!feat_computer_set_vtln_warp(fc, -1.0f, err, sizeof err) && strstr(err, "positive"));
  feat_compute(fc, x, n, NULL, &b); /* a failed factor leaves the last one */
  CHECK(mat_max_abs_diff(a, b) == 0);
  CHECK(feat_computer_set_vtln_warp(fc, 1.0f, err, sizeof err));
  feat_compute(fc, x, n, NULL, &b);
  CHECK(mat_max_abs_diff(plain, b) == 0);
  feat_computer_free(fc);
  feat_opts_default(&o, FEAT_SPECTROGRAM);
  o.frame.dither = 0;
  fc = feat_computer_new(&o, err, sizeof err);
  feat_compute(fc, x, n, NULL, &a);
  CHECK(feat_computer_set_vtln_warp(fc, 0.9f, err, sizeof err));
  feat_compute(fc, x, n, NULL, &b);
  CHECK(mat_max_abs_diff(a, b) == 0);
  feat_computer_free(fc);
  mat_release(&plain); mat_release(&a); mat_release(&b); mat_release(&c);
  free(x);
}

static void test_option_checks(void) {
  FeatOpts o;
  char err[256];
  feat_opts_default(&o, FEAT_MFCC);
  o.cep.num_ceps = 24;
  CHECK(!feat_computer_new(&o, err, sizeof err) && strstr(err, "num-ceps"));
  feat_opts_default(&o, FEAT_MFCC);
  o.frame.dither = NAN;
  CHECK(!feat_computer_new(&o, err, sizeof err) && strstr(err, "NaN"));
  feat_opts_default(&o, FEAT_MFCC);
  o.frame.frame_shift_ms = 0.01f;
  CHECK(!feat_computer_new(&o, err, sizeof err) && strstr(err, "frame-shift"));
  feat_opts_default(&o, FEAT_FBANK);
  o.frame.round_to_power_of_two = false;
  o.frame.frame_length_ms = 25.0625f; /* 401 samples: odd FFT size */
  CHECK(!feat_computer_new(&o, err, sizeof err) && strstr(err, "even"));
  FeatType t;
  CHECK(feat_type_from_name("fbank", &t) && t == FEAT_FBANK && !feat_type_from_name("plp", &t));
}

static void test_dither_and_short_input(void) {
  FeatOpts o;
  feat_opts_default(&o, FEAT_MFCC);
  char err[256];
  FeatComputer *fc = feat_computer_new(&o, err, sizeof err);
  int n = 4000;
  float *x = xcalloc(n, sizeof(float)); /* digital silence: only dither gives energy */
  Mat a = {0}, b = {0}, c = {0};
  Rng r;
  rng_seed(&r, 7); feat_compute(fc, x, n, &r, &a);
  rng_seed(&r, 7); feat_compute(fc, x, n, &r, &b);
  rng_seed(&r, 8); feat_compute(fc, x, n, &r, &c);
  CHECK(a.rows == 23 && a.cols == 13);
  CHECK(mat_max_abs_diff(a, b) == 0);
  CHECK(mat_max_abs_diff(a, c) > 0.01f);
  /* Unit-variance dither on 400 samples: log-energy near log(400). */
  CHECK_NEAR(*mat_at(a, 0, 0), log(400.0), 0.3);
  feat_compute(fc, x, 399, &r, &a);
  CHECK(a.rows == 0);
  feat_computer_free(fc);
  free(x);
  mat_release(&a); mat_release(&b); mat_release(&c);
}

/* "what [pre...] rows cols [post...]" then the rows; extra gets pre then post. */
static Mat read_ref(FILE *f, const char *what, int *extra, int npre, int npost) {
  char tag[32];
  int rows, cols;
  Mat m = {0};
  if (fscanf(f, " %31s", tag) != 1 || strcmp(tag, what)) return m;
  for (int i = 0; i < npre; i++)
    if (fscanf(f, "%d", &extra[i]) != 1) return m;
  if (fscanf(f, "%d %d", &rows, &cols) != 2) return m;
  for (int i = npre; i < npre + npost; i++)
    if (fscanf(f, "%d", &extra[i]) != 1) return m;
  m = mat_alloc(rows, cols);
  for (int i = 0; i < rows * cols; i++)
    if (fscanf(f, "%f", &m.data[i]) != 1) mat_release(&m);
  return m;
}

static float max_diff_rows(Mat a, Mat b, int first, int last) {
  float d = 0;
  for (int r = first; r <= last; r++)
    for (int j = 0; j < a.cols; j++) d = fmaxf(d, fabsf(*mat_at(a, r, j) - *mat_at(b, r, j)));
  return d;
}

static void test_deltas_and_cmvn_vs_reference(void) {
  FILE *f = fopen("tests/reference/transforms.txt", "r");
  CHECK(f != NULL);
  if (!f) return;
  Mat in = read_ref(f, "input", NULL, 0, 0), out = {0};
  CHECK(in.rows == 40 && in.cols == 13);
  if (in.rows != 40) { fclose(f); return; }
  for (int k = 0; k < 3; k++) {
    int e[4] = {0};
    Mat ref = read_ref(f, "deltas", e, 2, 2);
    CHECK(ref.rows == 40);
    feat_add_deltas(in, e[0], e[1], &out);
    CHECK(out.cols == 13 * (e[0] + 1) && ref.cols == out.cols);
    if (ref.cols == out.cols) CHECK(max_diff_rows(out, ref, e[2], e[3]) < 1e-4f);
    mat_release(&ref);
  }
  double stats[2 * 14];
  char err[256];
  feat_cmvn_init(stats, 13);
  feat_cmvn_acc(stats, 13, mat_rows(in, 0, 15));
  feat_cmvn_acc(stats, 13, mat_rows(in, 15, 25));
  CHECK(stats[13] == 40 && stats[27] == 0);
  for (int nv = 0; nv < 2; nv++) {
    int e[1];
    Mat ref = read_ref(f, "cmvn", e, 1, 0);
    CHECK(e[0] == nv && ref.rows == 40);
    if (ref.rows != 40 || in.rows != 40) break;
    mat_resize(&out, 40, 13);
    mat_copy(out, in);
    CHECK(feat_cmvn_apply(stats, 13, nv, out, err, sizeof err));
    CHECK(max_diff_rows(out, ref, 0, 39) < 1e-4f);
    mat_release(&ref);
  }
  feat_cmvn_init(stats, 13);
  CHECK(!feat_cmvn_apply(stats, 13, false, out, err, sizeof err) && strstr(err, "count"));
  fclose(f);
  mat_release(&in); mat_release(&out);
}

/* tests/reference/cmvn_sliding.txt (tests/reference/make_cmvn_sliding_refs.py): inputs,
 * then cases "case NAME INPUT R C", "opts ...", the expected rows. */
static Mat read_named(FILE *f, const char *what, char *name, char *input, char *opts) {
  int rows, cols;
  char tag[16];
  Mat m = {0};
  if (fscanf(f, " %15s %63s", tag, name) != 2 || strcmp(tag, what)) return m;
  if (input && fscanf(f, " %63s", input) != 1) return m;
  if (fscanf(f, "%d %d", &rows, &cols) != 2) return m;
  if (opts && fscanf(f, " opts %255[^\n]", opts) != 1) return m;
  m = mat_alloc(rows, cols);
  for (int i = 0; i < rows * cols; i++)
    if (fscanf(f, "%f", &m.data[i]) != 1) { mat_release(&m); break; }
  return m;
}

static void parse_sliding_opts(const char *line, FeatSlidingCmnOpts *o) {
  feat_sliding_cmn_opts_default(o);
  Options *po = opts_new("test");
  feat_sliding_cmn_opts_register(o, po);
  char *copy = xstrdup(line), *argv[16] = {"test"}, *save = NULL;
  int argc = 1;
  for (char *t = strtok_r(copy, " ", &save); t && argc < 16; t = strtok_r(NULL, " ", &save))
    argv[argc++] = t;
  opts_parse(po, argc, argv);
  free(copy);
  opts_free(po); /* only ints and bools: nothing points into it */
}

static void test_sliding_cmn_vs_reference(void) {
  FILE *f = fopen("tests/reference/cmvn_sliding.txt", "r");
  CHECK(f != NULL);
  if (!f) return;
  char names[3][64], name[64], input[64], opts[256];
  Mat in[3];
  for (int i = 0; i < 3; i++) {
    in[i] = read_named(f, "input", names[i], NULL, NULL);
    CHECK(in[i].rows > 0);
  }
  int ncases = 0;
  for (Mat ref; (ref = read_named(f, "case", name, input, opts)).rows > 0; ncases++) {
    int k = 0;
    while (k < 2 && strcmp(names[k], input)) k++;
    CHECK(!strcmp(names[k], input) && mat_same_shape(in[k], ref));
    FeatSlidingCmnOpts o;
    parse_sliding_opts(opts, &o);
    char err[256];
    CHECK(feat_sliding_cmn_opts_check(&o, err, sizeof err));
    Mat out = mat_alloc(in[k].rows, in[k].cols);
    feat_sliding_cmn(&o, in[k], out);
    float d = mat_max_abs_diff(out, ref);
    fprintf(stderr, "  sliding CMN %s (%s): %d x %d, largest difference %g\n", name, opts,
            ref.rows, ref.cols, d);
    CHECK(d == 0.0f);
    mat_release(&out);
    mat_release(&ref);
  }
  CHECK(ncases == 9);
  for (int i = 0; i < 3; i++) mat_release(&in[i]);
  fclose(f);
}

/* A centred window at least as long as the utterance is the whole utterance: the same as
 * per-utterance CMVN from compute-cmvn-stats' statistics. Bad options are refused. */
static void test_sliding_cmn_whole_utterance(void) {
  Rng rng;
  rng_seed(&rng, 5);
  Mat in = mat_alloc(250, 6), a = mat_alloc(250, 6), b = mat_alloc(250, 6);
  for (int i = 0; i < 250 * 6; i++) in.data[i] = 3.0f * (float)rng_gauss(&rng) + (float)(i % 6);
  FeatSlidingCmnOpts o;
  feat_sliding_cmn_opts_default(&o);
  o.center = true;
  char err[256];
  double stats[2 * 7];
  for (int nv = 0; nv < 2; nv++) {
    o.norm_vars = nv;
    feat_sliding_cmn(&o, in, a);
    mat_copy(b, in);
    feat_cmvn_init(stats, 6);
    feat_cmvn_acc(stats, 6, in);
    CHECK(feat_cmvn_apply(stats, 6, nv, b, err, sizeof err));
    CHECK(mat_max_abs_diff(a, b) < 1e-5f);
  }
  o.cmn_window = 0;
  CHECK(!feat_sliding_cmn_opts_check(&o, err, sizeof err) && strstr(err, "--cmn-window=0 must be in"));
  o.cmn_window = 50;
  o.min_window = 100;
  CHECK(!feat_sliding_cmn_opts_check(&o, err, sizeof err) && strstr(err, "--min-cmn-window=100"));
  o.center = false;
  CHECK(feat_sliding_cmn_opts_check(&o, err, sizeof err));
  mat_release(&in); mat_release(&a); mat_release(&b);
}

static void test_splice(void) {
  Mat in = mat_alloc(3, 2), out = {0};
  for (int i = 0; i < 6; i++) in.data[i] = (float)i; /* rows (0,1) (2,3) (4,5) */
  feat_splice(in, 2, 1, &out);
  CHECK(out.rows == 3 && out.cols == 8);
  float row0[] = {0, 1, 0, 1, 0, 1, 2, 3}, row2[] = {0, 1, 2, 3, 4, 5, 4, 5};
  for (int j = 0; j < 8; j++) CHECK(*mat_at(out, 0, j) == row0[j] && *mat_at(out, 2, j) == row2[j]);
  mat_release(&in); mat_release(&out);
}

static void test_noise(void) {
  int n = 1 << 16;
  float *x = xmalloc(n * sizeof(float)), *y = xmalloc(n * sizeof(float)), *z = xmalloc(n * sizeof(float));
  Rng r;
  rng_seed(&r, 1);
  for (int i = 0; i < n; i++) x[i] = 1000.0f * sinf(0.01f * i);
  memcpy(y, x, n * sizeof(float));
  feat_white_noise(&r, z, n);
  CHECK_NEAR(feat_power(z, n), 1.0, 0.03);
  CHECK(feat_mix_at_snr(y, z, n, 5.0));
  for (int i = 0; i < n; i++) y[i] -= x[i]; /* the added noise */
  CHECK_NEAR(10 * log10(feat_power(x, n) / feat_power(y, n)), 5.0, 1e-3);
  /* Pink: a first difference removes more power than from white noise (more low-frequency). */
  feat_pink_noise(&r, z, n);
  CHECK_NEAR(feat_power(z, n), 1.0, 1e-3);
  double diff = 0;
  for (int i = 1; i < n; i++) diff += (double)(z[i] - z[i - 1]) * (z[i] - z[i - 1]);
  CHECK(diff / n < 0.5); /* white noise would give 2 */
  float src[3] = {1, 2, 3}, seg[7];
  feat_noise_segment(src, 3, 7, &r, seg);
  for (int i = 0; i < 6; i++) CHECK(seg[i + 1] == (seg[i] == 3 ? 1 : seg[i] + 1));
  float zero[4] = {0};
  CHECK(!feat_mix_at_snr(zero, src, 3, 0.0));
  free(x); free(y); free(z);
}

/* ---- WAV ---- */
static size_t put(uint8_t *p, uint32_t v, int n) {
  for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
  return (size_t)n;
}

/* A WAV of 2 channels x 3 samples; fmt 0xFFFE makes it extensible around `format`. */
static size_t make_wav(uint8_t *b, int format, int bits, const void *data, uint32_t data_size,
                       uint32_t claimed_size, bool extensible) {
  size_t p = 0;
  int ch = 2, align = ch * bits / 8, fmt_size = extensible ? 40 : 16;
  memcpy(b, "RIFF", 4); p += 4;
  p += put(b + p, 4 + 8 + fmt_size + 12 + 8 + claimed_size, 4);
  memcpy(b + p, "WAVEfmt ", 8); p += 8;
  p += put(b + p, fmt_size, 4);
  p += put(b + p, extensible ? 0xFFFE : format, 2);
  p += put(b + p, ch, 2); p += put(b + p, 8000, 4); p += put(b + p, 8000 * align, 4);
  p += put(b + p, align, 2); p += put(b + p, bits, 2);
  if (extensible) {
    p += put(b + p, 22, 2); p += put(b + p, bits, 2); p += put(b + p, 3, 4);
    p += put(b + p, format, 4); p += put(b + p, 0x00100000, 4);
    p += put(b + p, 0xAA000080, 4); p += put(b + p, 0x719B3800, 4);
  }
  memcpy(b + p, "LIST", 4); p += 4; p += put(b + p, 4, 4); memcpy(b + p, "INFO", 4); p += 4;
  memcpy(b + p, "data", 4); p += 4;
  p += put(b + p, claimed_size, 4);
  memcpy(b + p, data, data_size);
  return p + data_size;
}

static bool read_bytes(const uint8_t *b, size_t n, WavData *w, char *err, size_t errlen) {
  char path[] = "/tmp/test-feat-wav-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0 || write(fd, b, n) != (ssize_t)n) return false;
  close(fd);
  Input *in = input_open(path);
  bool ok = wav_read(in, w, err, errlen);
  input_close(in, NULL, 0);
  unlink(path);
  return ok;
}

static void test_wav_encodings(void) {
  /* Samples (ch0, ch1) x 3 in int16 scale: 256, -512 | 32767*?, ... chosen exact in all encodings */
  const float want[2][3] = {{256, -32768, 0}, {-256, 16384, 512}};
  uint8_t u8[6], s16[12], s24[18], s32[24], f32[24], f64[48], b[256];
  for (int i = 0; i < 3; i++)
    for (int c = 0; c < 2; c++) {
      int k = i * 2 + c;
      int v = (int)want[c][i];
      u8[k] = (uint8_t)(v / 256 + 128);
      put(s16 + 2 * k, (uint32_t)v, 2);
      put(s24 + 3 * k, (uint32_t)(v * 256), 3);
      put(s32 + 4 * k, (uint32_t)(v * 65536), 4);
      float fv = v / 32768.0f;
      double dv = v / 32768.0;
      memcpy(f32 + 4 * k, &fv, 4);
      memcpy(f64 + 8 * k, &dv, 8);
    }
  struct { int format, bits; const void *d; uint32_t n; bool ext; } cases[] = {
    {1, 8, u8, 6, false}, {1, 16, s16, 12, false}, {1, 24, s24, 18, true},
    {1, 32, s32, 24, false}, {3, 32, f32, 24, false}, {3, 64, f64, 48, true},
  };
  char err[256];
  for (int k = 0; k < 6; k++) {
    WavData w = {0};
    size_t n = make_wav(b, cases[k].format, cases[k].bits, cases[k].d, cases[k].n, cases[k].n, cases[k].ext);
    CHECK(read_bytes(b, n, &w, err, sizeof err));
    CHECK(w.data.rows == 2 && w.data.cols == 3 && w.samp_freq == 8000);
    for (int c = 0; c < 2 && w.data.rows == 2; c++)
      for (int i = 0; i < 3; i++) CHECK(*mat_at(w.data, c, i) == want[c][i]);
    wav_clear(&w);
  }
  WavData w = {0};
  /* Streamed header (size 0xFFFFFFFF, as pipes write): read to the end. */
  size_t n = make_wav(b, 1, 16, s16, 12, 0xFFFFFFFF, false);
  CHECK(read_bytes(b, n, &w, err, sizeof err) && w.data.cols == 3);
  /* A data size past the end of the file: a warning and the samples that are there. */
  n = make_wav(b, 1, 16, s16, 12, 1000, false);
  CHECK(read_bytes(b, n, &w, err, sizeof err) && w.data.cols == 3);
  /* Errors. */
  n = make_wav(b, 1, 16, s16, 0, 0, false);
  CHECK(!read_bytes(b, n, &w, err, sizeof err) && strstr(err, "no data"));
  n = make_wav(b, 6, 8, u8, 6, 6, false); /* A-law */
  CHECK(!read_bytes(b, n, &w, err, sizeof err) && strstr(err, "unsupported"));
  n = make_wav(b, 6, 8, u8, 6, 6, true);
  CHECK(!read_bytes(b, n, &w, err, sizeof err) && strstr(err, "unsupported"));
  n = make_wav(b, 1, 12, s16, 12, 12, false);
  CHECK(!read_bytes(b, n, &w, err, sizeof err) && strstr(err, "bits"));
  CHECK(!read_bytes((const uint8_t *)"RIFX", 0, &w, err, sizeof err) && strstr(err, "empty"));
  CHECK(!read_bytes((const uint8_t *)"OggS\0\0\0\0\0\0\0\0", 12, &w, err, sizeof err) && strstr(err, "RIFF"));
  n = make_wav(b, 1, 16, s16, 12, 12, false);
  CHECK(!read_bytes(b, 30, &w, err, sizeof err) && strstr(err, "end of WAV header"));
  wav_clear(&w);
}

/* Found by fuzzing: a header claiming ~2.8 GB of data in a 74-byte file made the reader
 * allocate for the claim up front. Read with the address space limited to 1 GB (in a
 * child; sanitizer builds reserve terabytes of shadow, so there the read runs unlimited). */
static void test_wav_claimed_size_is_not_trusted(void) {
  uint8_t b[256], s16[16] = {1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8, 0};
  size_t n = make_wav(b, 1, 16, s16, 16, 0xA95FFF00u, false);
  pid_t pid = fork();
  if (pid == 0) {
#ifndef __SANITIZE_ADDRESS__
    struct rlimit lim = {1u << 30, 1u << 30};
    setrlimit(RLIMIT_AS, &lim);
#endif
    WavData w = {0};
    char err[256];
    bool ok = read_bytes(b, n, &w, err, sizeof err) && w.data.rows == 2 && w.data.cols == 4;
    _exit(ok ? 0 : 1);
  }
  int status = -1;
  waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_wav_write_roundtrip(void) {
  WavData w = {mat_alloc(2, 5), 22050}, r = {0};
  for (int i = 0; i < 10; i++) w.data.data[i] = (float)(i * 1000 - 4000) + 0.3f;
  w.data.data[9] = 40000.0f; /* clipped */
  char path[] = "/tmp/test-feat-out-XXXXXX";
  close(mkstemp(path));
  Output *out = output_open(path);
  wav_write(out, &w);
  output_close(out);
  wav_read_file(path, &r);
  unlink(path);
  CHECK(r.samp_freq == 22050 && r.data.rows == 2 && r.data.cols == 5);
  for (int i = 0; i < 9 && r.data.cols == 5; i++) CHECK(r.data.data[i] == (float)(i * 1000 - 4000));
  if (r.data.cols == 5) CHECK(r.data.data[9] == 32767.0f);
  wav_clear(&w); wav_clear(&r);
}

int main(void) {
  RUN(test_frames_and_windows);
  RUN(test_mel_banks);
  RUN(test_vtln_warp_function);
  RUN(test_vtln_mel_banks);
  RUN(test_vtln_computer);
  RUN(test_option_checks);
  RUN(test_dither_and_short_input);
  RUN(test_deltas_and_cmvn_vs_reference);
  RUN(test_sliding_cmn_vs_reference);
  RUN(test_sliding_cmn_whole_utterance);
  RUN(test_splice);
  RUN(test_noise);
  RUN(test_wav_encodings);
  RUN(test_wav_claimed_size_is_not_trusted);
  RUN(test_wav_write_roundtrip);
  return test_summary();
}
