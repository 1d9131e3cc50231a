/* compute-features: MFCC, log-mel filterbank or spectrogram features from WAVs, equal to
 * Kaldi's compute-mfcc-feats / compute-fbank-feats / compute-spectrogram-feats, with their
 * VTLN warping (--vtln-warp, or per utterance or speaker with --vtln-map and --utt2spk). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/options.h"
#include "base/util.h"
#include "feat/feat.h"
#include "feat/wav.h"
#include "io/table.h"

static const char *usage =
    "Create MFCC, filterbank or spectrogram features from WAV files (Kaldi's numbers).\n"
    "Usage:  compute-features [options...] <wav-rspecifier> <feats-wspecifier>\n"
    "e.g.: compute-features --config=conf/mfcc.conf scp:data/train/wav.scp "
    "ark,scp:mfcc/raw.ark,mfcc/raw.scp\n"
    "VTLN per speaker: compute-features --vtln-map=ark:spk2warp --utt2spk=ark:data/train/utt2spk "
    "scp:data/train/wav.scp ark:-\n";

typedef struct {
  const char *type;
  const char *utt2dur;
  int channel;
  int seed;
  float min_duration;
  bool subtract_mean;
  float vtln_warp;
  const char *vtln_map;
  const char *utt2spk;
  FeatOpts feat;
  CompressOpts compress;
} ProgOpts;

static Options *make_options(ProgOpts *p, FeatType type) {
  Options *po = opts_new(usage);
  p->type = type == FEAT_MFCC ? "mfcc" : type == FEAT_FBANK ? "fbank" : "spectrogram";
  p->utt2dur = "";
  p->channel = -1;
  p->seed = 0;
  p->min_duration = 0.0f;
  p->subtract_mean = false;
  p->vtln_warp = 1.0f;
  p->vtln_map = "";
  p->utt2spk = "";
  feat_opts_default(&p->feat, type);
  opts_choice(po, "type", &p->type, "mfcc|fbank|spectrogram", "Type of features");
  opts_string(po, "write-utt2dur", &p->utt2dur,
              "Wspecifier to write duration of each utterance in seconds, e.g. 'ark,t:utt2dur'.");
  opts_int(po, "channel", &p->channel, "Channel to extract (-1 -> expect mono, 0 -> left, 1 -> right)");
  opts_int(po, "seed", &p->seed, "Seed for the dither noise (per utterance, from the seed and the key)");
  opts_float(po, "min-duration", &p->min_duration, "Minimum duration of segments to process (in seconds).");
  opts_bool(po, "subtract-mean", &p->subtract_mean, "Subtract mean of each feature file [CMS; not recommended to do it this way.]");
  opts_float(po, "vtln-warp", &p->vtln_warp,
             "Vtln warp factor (only applicable if vtln-map not specified; mfcc and fbank)");
  opts_string(po, "vtln-map", &p->vtln_map,
              "Map from utterance or speaker-id to vtln warp factor (rspecifier)");
  opts_string(po, "utt2spk", &p->utt2spk,
              "Utterance to speaker-id map rspecifier (if doing VTLN and you have warps per speaker)");
  feat_opts_register(&p->feat, po);
  p->compress = compress_opts_default();
  compress_opts_register(&p->compress, po);
  return po;
}

/* The type's defaults (use-energy differs) must be in place before the options are
 * applied, so a first pass over the command line (and --config files) finds --type. */
static Options *parse_options(ProgOpts *p, int argc, char **argv) {
  char **argv1 = xmalloc(sizeof(char *) * (argc + 1));
  argv1[0] = argv[0];
  argv1[1] = "--print-args=false";
  memcpy(argv1 + 2, argv + 1, sizeof(char *) * (argc - 1));
  ProgOpts scratch;
  Options *po = make_options(&scratch, FEAT_MFCC);
  opts_parse(po, argc + 1, argv1);
  FeatType type;
  if (!feat_type_from_name(scratch.type, &type)) ERROR("unknown --type=%s", scratch.type);
  opts_free(po);
  free(argv1);
  po = make_options(p, type);
  opts_parse(po, argc, argv);
  return po;
}

static uint64_t hash_key(const char *s) { /* FNV-1a */
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
  return h;
}

/* Per-utterance VTLN warp factors (Kaldi's RandomAccessBaseFloatReaderMapped). */
typedef struct {
  RandomReader *map;     /* --vtln-map; NULL: every utterance has --vtln-warp */
  RandomReader *utt2spk; /* --utt2spk; NULL: the map is by utterance */
} VtlnMaps;

/* Checks the VTLN options, opens the maps and selects --vtln-warp. The spectrogram has no
 * mel banks and ignores warping, as Kaldi's. */
static void vtln_open(const ProgOpts *p, FeatComputer *fc, VtlnMaps *v) {
  v->map = v->utt2spk = NULL;
  if (*p->utt2spk && !*p->vtln_map)
    ERROR("The --utt2spk option is only needed if the --vtln-map option is used.");
  bool warping = *p->vtln_map || p->vtln_warp != 1.0f;
  if (p->feat.type == FEAT_SPECTROGRAM) {
    if (warping) WARN("--type=spectrogram ignores --vtln-warp and --vtln-map (no mel banks to warp)");
    return;
  }
  char err[512];
  if (!*p->vtln_map) {
    if (!feat_computer_set_vtln_warp(fc, p->vtln_warp, err, sizeof err))
      ERROR("--vtln-warp=%g: %s", p->vtln_warp, err);
    return;
  }
  double vtln_low, vtln_high; /* checked before the first utterance, not at the first warp */
  if (!feat_vtln_cutoffs(&p->feat.mel, &p->feat.frame, &vtln_low, &vtln_high, err, sizeof err))
    ERROR("--vtln-map=%s: %s", p->vtln_map, err);
  v->map = tbl_random_open(p->vtln_map, &tbl_float_holder);
  if (*p->utt2spk) v->utt2spk = tbl_random_open(p->utt2spk, &tbl_tokens_holder);
}

static void vtln_close(VtlnMaps *v) {
  if (v->map) tbl_random_close(v->map);
  if (v->utt2spk) tbl_random_close(v->utt2spk);
}

/* Selects the warp factor of utterance utt: its entry, or its speaker's, in --vtln-map.
 * False, with Kaldi's warning, when the map has none (the utterance is skipped); an
 * utterance missing from --utt2spk is an error, as in Kaldi. */
static bool vtln_select(const ProgOpts *p, const VtlnMaps *v, FeatComputer *fc, const char *utt) {
  if (!v->map) return true; /* --vtln-warp, selected once */
  const char *key = utt;
  if (v->utt2spk) {
    const Tokens *spk = tbl_random_value(v->utt2spk, utt);
    if (!spk) ERROR("utterance %s is not in the --utt2spk map %s", utt, p->utt2spk);
    if (spk->len != 1)
      ERROR("%s: utterance %s: expected one speaker-id, got %d tokens", p->utt2spk, utt, spk->len);
    key = spk->tok[0];
  }
  const float *warp = tbl_random_value(v->map, key);
  if (!warp) {
    WARN("No vtln-map entry for utterance-id (or speaker-id) %s in %s; skipping utterance %s",
         key, p->vtln_map, utt);
    return false;
  }
  char err[512];
  if (!feat_computer_set_vtln_warp(fc, *warp, err, sizeof err))
    ERROR("--vtln-map=%s: key %s: %s", p->vtln_map, key, err);
  return true;
}

/* Features for one utterance; false (with a warning naming it) to skip it. */
static bool process(const ProgOpts *p, const VtlnMaps *vtln, FeatComputer *fc, const char *key,
                    const WavData *wav, Mat *feats) {
  int nch = wav->data.rows, ch = p->channel;
  if (ch == -1) {
    ch = 0;
    if (nch != 1)
      WARN("utterance %s: channel not specified but the data has %d channels; using channel 0",
           key, nch);
  } else if (ch < 0 || ch >= nch) {
    WARN("utterance %s: the file has %d channel(s) but --channel=%d; skipping", key, nch, ch);
    return false;
  }
  if (wav->samp_freq != p->feat.frame.samp_freq)
    ERROR("sample frequency mismatch for utterance %s: --sample-frequency=%g but the data has %g "
          "(use the --sample-frequency option)", key, p->feat.frame.samp_freq, wav->samp_freq);
  if (wav_duration(wav) < p->min_duration) {
    WARN("utterance %s: duration %g s is below --min-duration=%g; skipping", key,
         wav_duration(wav), p->min_duration);
    return false;
  }
  if (!vtln_select(p, vtln, fc, key)) return false;
  Rng base, rng;
  rng_seed(&base, (uint64_t)p->seed);
  rng = rng_split(&base, hash_key(key));
  feat_compute(fc, mat_row(wav->data, ch), wav->data.cols, &rng, feats);
  if (feats->rows == 0) {
    WARN("utterance %s: %d samples is shorter than one frame (%d samples); skipping", key,
         wav->data.cols, feat_window_size(&p->feat.frame));
    return false;
  }
  if (p->subtract_mean) {
    double stats[2 * (feats->cols + 1)];
    char err[128];
    feat_cmvn_init(stats, feats->cols);
    feat_cmvn_acc(stats, feats->cols, *feats);
    feat_cmvn_apply(stats, feats->cols, false, *feats, err, sizeof err);
  }
  return true;
}

int main(int argc, char **argv) {
  ProgOpts p;
  Options *po = parse_options(&p, argc, argv);
  if (opts_num_args(po) != 2) opts_usage_exit(po);
  char err[512];
  FeatComputer *fc = feat_computer_new(&p.feat, err, sizeof err);
  if (!fc) ERROR("%s", err);
  VtlnMaps vtln;
  vtln_open(&p, fc, &vtln);
  TableReader *reader = tbl_reader_open(opts_arg(po, 0), &tbl_wav_holder);
  TableWriter *writer = tbl_matrix_writer_open(opts_arg(po, 1), &p.compress);
  TableWriter *utt2dur = *p.utt2dur ? tbl_writer_open(p.utt2dur, &tbl_float_holder) : NULL;
  Mat feats = {0};
  int num_utts = 0, num_success = 0;
  for (; !tbl_reader_done(reader); tbl_reader_next(reader)) {
    const char *key = tbl_reader_key(reader);
    num_utts++;
    if (!process(&p, &vtln, fc, key, tbl_reader_value(reader), &feats)) continue;
    tbl_write_matrix(writer, key, feats);
    if (utt2dur) {
      float duration = wav_duration(tbl_reader_value(reader));
      tbl_writer_write(utt2dur, key, &duration);
    }
    if (num_utts % 100 == 0) LOG("Processed %d utterances", num_utts);
    VLOG(2, "Processed features for key %s", key);
    num_success++;
  }
  num_utts += tbl_reader_num_skipped(reader);
  tbl_reader_close(reader);
  /* A run that failed on every utterance leaves no (empty) output. */
  if (num_success == 0)
    ERROR("no utterance could be processed (%d read from %s); nothing written", num_utts, opts_arg(po, 0));
  tbl_writer_close(writer);
  if (utt2dur) tbl_writer_close(utt2dur);
  LOG("Done %d out of %d utterances.", num_success, num_utts);
  mat_release(&feats);
  vtln_close(&vtln);
  feat_computer_free(fc);
  opts_free(po);
  return 0;
}
