/* apply-cmvn: cepstral mean (and optionally variance) normalisation from Kaldi-format stats,
 * per utterance, per speaker (--utt2spk) or global. */
#include <string.h>

#include "base/log.h"
#include "base/options.h"
#include "feat/feat.h"
#include "io/table.h"

static const char *usage =
    "Apply cepstral mean and (optionally) variance normalization.\n"
    "Per-utterance by default, or per-speaker if --utt2spk is given; global if the stats\n"
    "argument is a filename (rxfilename), not an rspecifier.\n"
    "Usage: apply-cmvn [options] (<cmvn-stats-rspecifier>|<cmvn-stats-rxfilename>) "
    "<feats-rspecifier> <feats-wspecifier>\n"
    "e.g.: apply-cmvn --utt2spk=ark:data/train/utt2spk scp:data/train/cmvn.scp "
    "scp:data/train/feats.scp ark:-\n";

static bool is_table(const char *s) {
  return (!strncmp(s, "ark", 3) || !strncmp(s, "scp", 3)) && (s[3] == ',' || s[3] == ':');
}

int main(int argc, char **argv) {
  const char *utt2spk = "";
  bool norm_vars = false, norm_means = true;
  CompressOpts compress = compress_opts_default();
  Options *po = opts_new(usage);
  opts_string(po, "utt2spk", &utt2spk, "rspecifier for utterance to speaker map");
  opts_bool(po, "norm-vars", &norm_vars, "If true, normalize variances.");
  opts_bool(po, "norm-means", &norm_means, "You can set this to false to turn off mean normalization.");
  compress_opts_register(&compress, po);
  opts_parse(po, argc, argv);
  if (opts_num_args(po) != 3) opts_usage_exit(po);
  if (norm_vars && !norm_means) ERROR("You cannot normalize the variance but not the mean.");
  const char *stats_arg = opts_arg(po, 0);
  RandomReader *stats_reader = NULL, *spk_reader = NULL;
  DMat global = {NULL, 0, 0};
  if (is_table(stats_arg)) stats_reader = tbl_random_open(stats_arg, &tbl_double_matrix_holder);
  else if (*utt2spk) ERROR("--utt2spk needs per-speaker stats (an rspecifier), got %s", stats_arg);
  else tbl_read_object(stats_arg, &tbl_double_matrix_holder, &global);
  if (*utt2spk) spk_reader = tbl_random_open(utt2spk, &tbl_tokens_holder);
  TableReader *reader = tbl_reader_open(opts_arg(po, 1), &tbl_matrix_holder);
  TableWriter *writer = tbl_matrix_writer_open(opts_arg(po, 2), &compress);
  Mat feats = {0};
  int num_done = 0, num_err = 0;
  char err[256];
  for (; !tbl_reader_done(reader); tbl_reader_next(reader)) {
    const char *utt = tbl_reader_key(reader), *key = utt;
    if (!norm_means) { /* nothing to do, as Kaldi: a copy */
      tbl_write_matrix(writer, utt, *(const Mat *)tbl_reader_value(reader));
      num_done++;
      continue;
    }
    if (spk_reader) {
      const Tokens *spk = tbl_random_value(spk_reader, utt);
      if (!spk || spk->len < 1) { WARN("No speaker for utterance %s in %s", utt, utt2spk); num_err++; continue; }
      key = spk->tok[0];
    }
    const DMat *st = stats_reader ? tbl_random_value(stats_reader, key) : &global;
    if (!st) { WARN("No normalization statistics available for key %s, producing no output for this utterance", key); num_err++; continue; }
    const Mat *in = tbl_reader_value(reader);
    if (st->rows != 2 || st->cols != in->cols + 1) {
      WARN("utterance %s: CMVN stats for %s are %d x %d, features have dimension %d", utt, key, st->rows, st->cols, in->cols);
      num_err++;
      continue;
    }
    mat_resize(&feats, in->rows, in->cols);
    mat_copy(feats, *in);
    if (!feat_cmvn_apply(st->data, in->cols, norm_vars, feats, err, sizeof err)) {
      WARN("utterance %s (stats %s): %s", utt, key, err);
      num_err++;
      continue;
    }
    tbl_write_matrix(writer, utt, feats);
    num_done++;
  }
  num_err += tbl_reader_num_skipped(reader);
  tbl_reader_close(reader);
  /* A run that failed on every utterance leaves no (empty) output. */
  if (num_done == 0)
    ERROR("no utterance could be processed (%d read from %s); nothing written", num_err, opts_arg(po, 1));
  tbl_writer_close(writer);
  if (stats_reader) tbl_random_close(stats_reader);
  if (spk_reader) tbl_random_close(spk_reader);
  tbl_double_matrix_holder.clear(&global);
  mat_release(&feats);
  LOG("Applied cepstral mean%s normalization to %d utterances, errors on %d", norm_vars ? " and variance" : "", num_done, num_err);
  opts_free(po);
  return 0;
}
