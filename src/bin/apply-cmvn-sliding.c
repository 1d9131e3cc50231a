/* apply-cmvn-sliding: sliding-window cepstral mean (and variance) normalisation per
 * utterance, as Kaldi's: for a new utterance without speaker statistics. */
#include "base/log.h"
#include "base/options.h"
#include "feat/feat.h"
#include "io/table.h"

static const char *usage =
    "Apply sliding-window cepstral mean (and optionally variance)\n"
    "normalization per utterance.  If center == true, window is centered\n"
    "on frame being normalized; otherwise it precedes it in time.\n"
    "Useful for speaker-id and for decoding an utterance without speaker statistics;\n"
    "see also apply-cmvn\n"
    "\n"
    "Usage: apply-cmvn-sliding [options] <feats-rspecifier> <feats-wspecifier>\n"
    "e.g.: apply-cmvn-sliding --center=true --cmn-window=600 scp:feats.scp ark:-\n";

int main(int argc, char **argv) {
  FeatSlidingCmnOpts o;
  feat_sliding_cmn_opts_default(&o);
  Options *po = opts_new(usage);
  feat_sliding_cmn_opts_register(&o, po);
  opts_parse(po, argc, argv);
  if (opts_num_args(po) != 2) opts_usage_exit(po);
  char err[256];
  if (!feat_sliding_cmn_opts_check(&o, err, sizeof err)) ERROR("%s", err);
  TableReader *reader = tbl_reader_open(opts_arg(po, 0), &tbl_matrix_holder);
  TableWriter *writer = tbl_writer_open(opts_arg(po, 1), &tbl_matrix_holder);
  Mat out = {0};
  int num_done = 0, num_err = 0;
  for (; !tbl_reader_done(reader); tbl_reader_next(reader)) {
    const char *utt = tbl_reader_key(reader);
    const Mat *feats = tbl_reader_value(reader);
    if (feats->rows == 0) {
      WARN("Empty feature matrix for utterance %s", utt);
      num_err++;
      continue;
    }
    mat_resize(&out, feats->rows, feats->cols);
    feat_sliding_cmn(&o, *feats, out);
    tbl_writer_write(writer, utt, &out);
    num_done++;
  }
  tbl_reader_close(reader);
  tbl_writer_close(writer);
  LOG("Applied sliding-window cepstral mean %snormalization to %d utterances, %d had errors.",
      o.norm_vars ? "and variance " : "", num_done, num_err);
  mat_release(&out);
  opts_free(po);
  return num_done != 0 ? 0 : 1;
}
