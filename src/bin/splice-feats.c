/* splice-feats: stacks each frame with its neighbours, as Kaldi's splice-feats. */
#include "base/log.h"
#include "base/options.h"
#include "feat/feat.h"
#include "io/table.h"

static const char *usage =
    "Splice features with left and right context (e.g. prior to LDA).\n"
    "Usage: splice-feats [options] <feature-rspecifier> <feature-wspecifier>\n"
    "e.g.: splice-feats --left-context=4 --right-context=4 scp:feats.scp ark:-\n";

int main(int argc, char **argv) {
  int left = 4, right = 4;
  CompressOpts compress = compress_opts_default();
  Options *po = opts_new(usage);
  opts_int(po, "left-context", &left, "Number of frames of left context");
  opts_int(po, "right-context", &right, "Number of frames of right context");
  compress_opts_register(&compress, po);
  opts_parse(po, argc, argv);
  if (opts_num_args(po) != 2) opts_usage_exit(po);
  if (left < 0 || right < 0 || left > 1000 || right > 1000)
    ERROR("--left-context=%d and --right-context=%d must be in [0, 1000]", left, right);
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
    feat_splice(*feats, left, right, &out);
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
