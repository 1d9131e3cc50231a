/* add-deltas: appends delta and delta-delta features, as Kaldi's add-deltas. */
#include "base/log.h"
#include "base/options.h"
#include "feat/feat.h"
#include "io/table.h"

static const char *usage =
    "Add deltas (typically to raw mfcc or plp features).\n"
    "Usage: add-deltas [options] <in-rspecifier> <out-wspecifier>\n"
    "e.g.: add-deltas --delta-order=2 ark:feats.ark ark,t:-\n";

int main(int argc, char **argv) {
  int order = 2, window = 2;
  CompressOpts compress = compress_opts_default();
  Options *po = opts_new(usage);
  opts_int(po, "delta-order", &order, "Order of delta computation");
  opts_int(po, "delta-window", &window,
           "Parameter controlling window for delta computation (actual window size for each "
           "delta order is 1 + 2*delta-window-size)");
  compress_opts_register(&compress, po);
  opts_parse(po, argc, argv);
  if (opts_num_args(po) != 2) opts_usage_exit(po);
  if (order < 0 || order > 100) ERROR("--delta-order=%d must be in [0, 100]", order);
  if (window < 1 || window > 1000) ERROR("--delta-window=%d must be in [1, 1000]", window);
  TableReader *reader = tbl_reader_open(opts_arg(po, 0), &tbl_matrix_holder);
  TableWriter *writer = tbl_matrix_writer_open(opts_arg(po, 1), &compress);
  Mat out = {0};
  int num_done = 0, num_err = 0;
  for (; !tbl_reader_done(reader); tbl_reader_next(reader)) {
    const char *key = tbl_reader_key(reader);
    const Mat *feats = tbl_reader_value(reader);
    if (feats->rows == 0) {
      WARN("Empty feature matrix for key %s", key);
      num_err++;
      continue;
    }
    feat_add_deltas(*feats, order, window, &out);
    tbl_write_matrix(writer, key, out);
    num_done++;
  }
  num_err += tbl_reader_num_skipped(reader);
  tbl_reader_close(reader);
  /* A run that failed on every utterance leaves no (empty) output. */
  if (num_done == 0)
    ERROR("no utterance could be processed (%d read from %s); nothing written", num_err, opts_arg(po, 0));
  tbl_writer_close(writer);
  LOG("Done %d out of %d utterances.", num_done, num_done + num_err);
  mat_release(&out);
  opts_free(po);
  return 0;
}
