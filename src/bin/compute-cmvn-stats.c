/* compute-cmvn-stats: cepstral mean and variance statistics per utterance, per speaker
 * or global, in Kaldi's format (a 2 x (dim+1) double matrix: sums and count, squares). */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/options.h"
#include "feat/feat.h"
#include "io/table.h"

static const char *usage =
    "Compute cepstral mean and variance normalization statistics, per utterance by default,\n"
    "per speaker with --spk2utt, or globally if the output is a filename, not a wspecifier.\n"
    "Usage: compute-cmvn-stats [options] <feats-rspecifier> (<stats-wspecifier>|<stats-wxfilename>)\n"
    "e.g.: compute-cmvn-stats --spk2utt=ark:data/train/spk2utt scp:data/train/feats.scp "
    "ark,scp:cmvn.ark,cmvn.scp\n";

static bool is_table(const char *s) {
  return (!strncmp(s, "ark", 3) || !strncmp(s, "scp", 3)) && (s[3] == ',' || s[3] == ':');
}

/* Adds feats to the stats in *d (allocated at the first utterance); false (WARNING) on a
 * dimension mismatch or non-finite features (ERROR with --strict). */
static bool acc(DMat *d, const Mat *feats, const char *rspec, const char *key) {
  if (!feat_check_finite(rspec, key, *feats)) return false;
  if (!d->data) {
    d->rows = 2;
    d->cols = feats->cols + 1;
    d->data = calloc(2 * (size_t)d->cols, sizeof(double));
    if (!d->data) ERROR("out of memory");
  }
  if (feats->cols != d->cols - 1) {
    WARN("utterance %s: feature dimension %d, expected %d; skipping", key, feats->cols, d->cols - 1);
    return false;
  }
  feat_cmvn_acc(d->data, feats->cols, *feats);
  return true;
}

/* Global statistics are written as a float matrix, as Kaldi's (its tables hold doubles). */
static void write_global_stats(const char *wxfilename, bool binary, const DMat *d) {
  Mat m = mat_alloc(d->rows, d->cols);
  for (int r = 0; r < d->rows; r++)
    for (int c = 0; c < d->cols; c++) *mat_at(m, r, c) = (float)d->data[(size_t)r * d->cols + c];
  tbl_write_object(wxfilename, binary, &tbl_matrix_holder, &m);
  mat_release(&m);
}

static void reset(DMat *d) {
  free(d->data);
  *d = (DMat){NULL, 0, 0};
}

int main(int argc, char **argv) {
  const char *spk2utt = "";
  bool binary = true;
  Options *po = opts_new(usage);
  opts_string(po, "spk2utt", &spk2utt, "rspecifier for speaker to utterance-list map");
  opts_bool(po, "binary", &binary, "write in binary mode (applies only to global CMN/CVN)");
  feat_register_strict(po);
  opts_parse(po, argc, argv);
  if (opts_num_args(po) != 2) opts_usage_exit(po);
  const char *rspec = opts_arg(po, 0), *out = opts_arg(po, 1);
  int num_done = 0, num_err = 0;
  DMat stats = {NULL, 0, 0};
  if (*spk2utt) {
    if (!is_table(out)) ERROR("with --spk2utt the output must be a wspecifier, got %s", out);
    RandomReader *feats = tbl_random_open(rspec, &tbl_matrix_holder);
    TableReader *spk = tbl_reader_open(spk2utt, &tbl_tokens_holder);
    TableWriter *w = tbl_writer_open(out, &tbl_double_matrix_holder);
    for (; !tbl_reader_done(spk); tbl_reader_next(spk)) {
      const Tokens *utts = tbl_reader_value(spk);
      for (int i = 0; i < utts->len; i++) {
        const Mat *m = tbl_random_value(feats, utts->tok[i]);
        if (!m) {
          WARN("Did not find features for utterance %s", utts->tok[i]);
          num_err++;
        } else if (acc(&stats, m, rspec, utts->tok[i])) num_done++;
        else num_err++;
      }
      if (stats.data) tbl_writer_write(w, tbl_reader_key(spk), &stats);
      else WARN("no features for any utterance of speaker %s", tbl_reader_key(spk));
      reset(&stats);
    }
    tbl_reader_close(spk);
    if (num_done == 0) ERROR("no statistics accumulated (0 out of %d utterances in %s); nothing written", num_err, rspec);
    tbl_writer_close(w);
    tbl_random_close(feats);
  } else {
    bool per_utt = is_table(out);
    TableReader *r = tbl_reader_open(rspec, &tbl_matrix_holder);
    TableWriter *w = per_utt ? tbl_writer_open(out, &tbl_double_matrix_holder) : NULL;
    for (; !tbl_reader_done(r); tbl_reader_next(r)) {
      const char *key = tbl_reader_key(r);
      if (!acc(&stats, tbl_reader_value(r), rspec, key)) { num_err++; continue; }
      num_done++;
      if (per_utt) {
        tbl_writer_write(w, key, &stats);
        reset(&stats);
      }
    }
    num_err += tbl_reader_num_skipped(r);
    tbl_reader_close(r);
    /* A run that failed on every utterance leaves no (empty) output. */
    if (num_done == 0) ERROR("no statistics accumulated (0 out of %d utterances in %s); nothing written", num_err, rspec);
    if (w) tbl_writer_close(w);
    else write_global_stats(out, binary, &stats);
    reset(&stats);
  }
  LOG("Done accumulating CMVN stats for %d utterances; %d had errors.", num_done, num_err);
  opts_free(po);
  return 0;
}
