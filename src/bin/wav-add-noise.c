/* wav-add-noise: mixes noise into a WAV at a given signal-to-noise ratio and writes a WAV,
 * so that a wav.scp line can make a noisy copy on the fly. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/options.h"
#include "base/util.h"
#include "feat/feat.h"
#include "feat/wav.h"
#include "io/stream.h"

static const char *usage =
    "Add noise to a WAV at a given SNR (per channel: 10 log10 of signal over noise power).\n"
    "The noise is a WAV file (looped from a random start), or white, pink or babble noise\n"
    "(babble: a sum of --babble-talkers random segments of the WAVs listed in --babble-list).\n"
    "Usage: wav-add-noise [options] <wav-in-rxfilename> <wav-out-wxfilename>\n"
    "e.g.: wav.scp line:  utt1 wav-add-noise --snr=5 --noise-type=pink --seed=3 a.wav - |\n";

typedef struct {
  float snr;
  const char *noise, *type, *babble_list;
  int talkers, seed;
} NoiseOpts;

/* Reads the WAVs of --babble-list to mix talkers from: not all of them (a corpus's whole
 * wav.scp may list thousands), but a random subset of 4 x --babble-talkers lines, so each
 * noisy copy costs a few file reads. rxfilenames may be pipes. */
static int read_babble(const char *list, float samp_freq, int talkers, Rng *rng, WavData **out) {
  Input *in = input_open(list);
  char *line = NULL, **files = NULL;
  size_t cap = 0;
  int n = 0;
  while (input_getline(in, &line, &cap)) {
    char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    if (!*p) continue;
    p += strcspn(p, " \t");
    while (*p == ' ' || *p == '\t') p++;
    if (!*p) ERROR("%s: line without a file: %s", list, line);
    files = xrealloc(files, sizeof(char *) * (size_t)(n + 1));
    files[n++] = xstrdup(p);
  }
  free(line);
  input_close(in, NULL, 0);
  if (n == 0) ERROR("--babble-list=%s lists no files", list);
  int *order = xmalloc(sizeof(int) * (size_t)n);
  for (int i = 0; i < n; i++) order[i] = i;
  rng_shuffle_int(rng, order, n);
  int nb = n < 4 * talkers ? n : 4 * talkers;
  WavData *w = xcalloc((size_t)nb, sizeof(WavData));
  for (int i = 0; i < nb; i++) {
    const char *f = files[order[i]];
    wav_read_file(f, &w[i]);
    if (w[i].samp_freq != samp_freq)
      ERROR("%s: %s has sample rate %g, the input has %g", list, f, w[i].samp_freq, samp_freq);
  }
  for (int i = 0; i < n; i++) free(files[i]);
  free(files);
  free(order);
  *out = w;
  return nb;
}

static void make_noise(const NoiseOpts *o, const WavData *file, const WavData *babble, int nb,
                       Rng *rng, float *out, int64_t n) {
  if (file) {
    feat_noise_segment(mat_row(file->data, 0), file->data.cols, n, rng, out);
  } else if (!strcmp(o->type, "white")) {
    feat_white_noise(rng, out, n);
  } else if (!strcmp(o->type, "pink")) {
    feat_pink_noise(rng, out, n);
  } else {
    const float **src = xmalloc(sizeof(float *) * nb);
    int64_t *len = xmalloc(sizeof(int64_t) * nb);
    for (int i = 0; i < nb; i++) { src[i] = mat_row(babble[i].data, 0); len[i] = babble[i].data.cols; }
    feat_babble_noise(src, len, nb, o->talkers, rng, out, n);
    free(src);
    free(len);
  }
}

int main(int argc, char **argv) {
  NoiseOpts o = {10.0f, "", "white", "", 5, 0};
  Options *po = opts_new(usage);
  opts_float(po, "snr", &o.snr, "Signal-to-noise ratio in dB");
  opts_string(po, "noise", &o.noise, "Noise WAV (rxfilename); if given, --noise-type is ignored");
  opts_choice(po, "noise-type", &o.type, "white|pink|babble", "Generated noise: white, pink or babble");
  opts_string(po, "babble-list", &o.babble_list, "wav.scp of speech for --noise-type=babble");
  opts_int(po, "babble-talkers", &o.talkers, "Number of talkers summed for babble noise");
  opts_int(po, "seed", &o.seed, "Random seed (noise samples, start offsets, talkers)");
  opts_parse(po, argc, argv);
  if (opts_num_args(po) != 2) opts_usage_exit(po);
  if (!isfinite(o.snr)) ERROR("--snr must be finite");
  if (o.talkers < 1) ERROR("--babble-talkers must be at least 1");
  bool babble = !*o.noise && !strcmp(o.type, "babble");
  if (babble && !*o.babble_list) ERROR("--noise-type=babble needs --babble-list");
  const char *in_name = opts_arg(po, 0);
  WavData wav = {{0}, 0}, noise = {{0}, 0}, *talkers = NULL;
  wav_read_file(in_name, &wav);
  int nb = 0;
  if (*o.noise) {
    wav_read_file(o.noise, &noise);
    if (noise.samp_freq != wav.samp_freq)
      ERROR("noise %s has sample rate %g but %s has %g", o.noise, noise.samp_freq, in_name, wav.samp_freq);
  }
  Rng rng;
  rng_seed(&rng, (uint64_t)o.seed);
  if (babble) {
    Rng pick = rng_split(&rng, 1); /* which files: a stream of its own */
    nb = read_babble(o.babble_list, wav.samp_freq, o.talkers, &pick, &talkers);
  }
  int64_t n = wav.data.cols;
  float *buf = xmalloc(sizeof(float) * n);
  for (int c = 0; c < wav.data.rows; c++) {
    make_noise(&o, *o.noise ? &noise : NULL, talkers, nb, &rng, buf, n);
    if (!feat_mix_at_snr(mat_row(wav.data, c), buf, n, o.snr))
      WARN("%s channel %d: the signal or the noise is silent; channel left unchanged", in_name, c);
  }
  Output *out = output_open(opts_arg(po, 1));
  wav_write(out, &wav);
  output_close(out);
  free(buf);
  for (int i = 0; i < nb; i++) wav_clear(&talkers[i]);
  free(talkers);
  wav_clear(&wav);
  wav_clear(&noise);
  opts_free(po);
  return 0;
}
