/* compute-features' library against torchaudio.compliance.kaldi (Kaldi's features
 * re-implemented in PyTorch): tests/reference/features.txt is made by
 * tests/reference/make_feature_refs.py from the WAVs next to it. Absolute tolerance
 * 1e-3, or 1e-4 relative for linear (non-log) filterbank energies. */
#include <stdlib.h>
#include <string.h>

#include "base/options.h"
#include "base/util.h"
#include "feat/feat.h"
#include "feat/wav.h"
#include "testing.h"

#define REF_DIR "tests/reference/"

typedef struct {
  char name[64], wav[64], type[16];
  int rows, cols;
  char opts[1024];
  float *ref;
} RefCase;

static bool read_case(FILE *f, RefCase *c) {
  if (fscanf(f, " case %63s %63s %15s %d %d", c->name, c->wav, c->type, &c->rows, &c->cols) != 5)
    return false;
  if (fscanf(f, " opts %1023[^\n]", c->opts) != 1) return false;
  c->ref = xmalloc(sizeof(float) * c->rows * c->cols);
  for (int i = 0; i < c->rows * c->cols; i++)
    if (fscanf(f, "%f", &c->ref[i]) != 1) return false;
  return true;
}

/* Parses the case's option string as compute-features would. */
static Options *parse_opts(const RefCase *c, FeatOpts *o, int *channel, float *vtln_warp) {
  FeatType type;
  CHECK(feat_type_from_name(c->type, &type));
  feat_opts_default(o, type);
  Options *po = opts_new("test");
  feat_opts_register(o, po);
  opts_int(po, "channel", channel, "channel");
  opts_float(po, "vtln-warp", vtln_warp, "VTLN warp factor");
  char *copy = xstrdup(c->opts), *argv[64] = {"test"}, *save = NULL;
  int argc = 1;
  for (char *t = strtok_r(copy, " ", &save); t && argc < 64; t = strtok_r(NULL, " ", &save))
    argv[argc++] = t;
  opts_parse(po, argc, argv);
  free(copy);
  return po; /* owns the option strings */
}

static void check_case(const RefCase *c) {
  FeatOpts o;
  int channel = 0;
  float vtln_warp = 1.0f;
  Options *po = parse_opts(c, &o, &channel, &vtln_warp);
  char err[256], path[256];
  FeatComputer *fc = feat_computer_new(&o, err, sizeof err);
  CHECK(fc != NULL);
  if (!fc) { opts_free(po); return; }
  CHECK(feat_computer_set_vtln_warp(fc, vtln_warp, err, sizeof err));
  WavData w = {0};
  snprintf(path, sizeof path, REF_DIR "features/%s", c->wav);
  wav_read_file(path, &w);
  CHECK(w.samp_freq == o.frame.samp_freq);
  Mat out = {0};
  feat_compute(fc, mat_row(w.data, channel), w.data.cols, NULL, &out);
  CHECK(out.rows == c->rows && out.cols == c->cols);
  CHECK(feat_computer_dim(fc) == c->cols);
  bool linear = o.type == FEAT_FBANK && !o.cep.use_log_fbank;
  double worst = 0;
  int bad = 0;
  for (int r = 0; r < c->rows && r < out.rows; r++) {
    const float *ref = c->ref + r * c->cols;
    float rowmax = ref[1];
    for (int j = 1; j < c->cols; j++) rowmax = fmaxf(rowmax, ref[j]);
    for (int j = 0; j < c->cols && j < out.cols; j++) {
      double a = *mat_at(out, r, j), b = ref[j];
      double tol = linear ? 1e-4 * fabs(b) + 1e-3 : 1e-3, d = fabs(a - b);
      /* A spectrogram bin 60 dB below the frame's peak is a near-cancellation whose log is
       * ill-conditioned in single precision (torchaudio float32 and float64 differ there). */
      if (o.type == FEAT_SPECTROGRAM && j > 0 && b < rowmax - log(1e6)) tol = 0.05;
      if (d > worst) worst = d;
      if (!(d <= tol) && bad++ < 3)
        fprintf(stderr, "  %s: frame %d dim %d: %g vs reference %g\n", c->name, r, j, a, b);
    }
  }
  fprintf(stderr, "  %s: %d x %d, largest difference %g\n", c->name, c->rows, c->cols, worst);
  CHECK(bad == 0);
  mat_release(&out);
  wav_clear(&w);
  feat_computer_free(fc);
  opts_free(po);
}

static void test_features_match_torchaudio(void) {
  FILE *f = fopen(REF_DIR "features.txt", "r");
  CHECK(f != NULL);
  if (!f) return;
  RefCase c;
  int n = 0;
  while (read_case(f, &c)) {
    check_case(&c);
    free(c.ref);
    n++;
  }
  fclose(f);
  CHECK(n == 16);
}

/* The same samples written by sox as 16-bit, 24-bit (WAVE_FORMAT_EXTENSIBLE) and 32-bit float. */
static void test_wav_encodings_agree(void) {
  WavData a = {0}, b = {0}, c = {0};
  wav_read_file(REF_DIR "features/stereo8k.wav", &a);
  wav_read_file(REF_DIR "features/stereo8k-s24.wav", &b);
  wav_read_file(REF_DIR "features/stereo8k-f32.wav", &c);
  CHECK(a.data.rows == 2 && a.data.cols == 3200 && a.samp_freq == 8000);
  CHECK(mat_same_shape(a.data, b.data) && mat_same_shape(a.data, c.data));
  if (mat_same_shape(a.data, b.data)) CHECK(mat_max_abs_diff(a.data, b.data) == 0);
  if (mat_same_shape(a.data, c.data)) CHECK(mat_max_abs_diff(a.data, c.data) == 0);
  CHECK(b.samp_freq == 8000 && c.samp_freq == 8000);
  wav_clear(&a); wav_clear(&b); wav_clear(&c);
}

int main(void) {
  RUN(test_wav_encodings_agree);
  RUN(test_features_match_torchaudio);
  return test_summary();
}
