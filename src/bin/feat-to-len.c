/* feat-to-len: writes the number of frames of each utterance, or the total. */
#include <stdio.h>

#include "base/log.h"
#include "base/options.h"
#include "io/table.h"

int main(int argc, char **argv) {
  const char *usage =
      "Write the number of frames of each utterance (as an int32 table), or with one argument\n"
      "print the total number of frames to stdout.\n"
      "Usage: feat-to-len [options] <feats-rspecifier> [<len-wspecifier>]\n"
      "e.g.: feat-to-len scp:feats.scp ark,t:data/train/utt2num_frames\n";
  Options *po = opts_new(usage);
  opts_parse(po, argc, argv);
  if (opts_num_args(po) < 1 || opts_num_args(po) > 2) opts_usage_exit(po);
  TableReader *reader = tbl_reader_open(opts_arg(po, 0), &tbl_matrix_holder);
  TableWriter *writer = opts_num_args(po) == 2 ? tbl_writer_open(opts_arg(po, 1), &tbl_int32_holder) : NULL;
  long long total = 0;
  int n = 0;
  for (; !tbl_reader_done(reader); tbl_reader_next(reader), n++) {
    const Mat *m = tbl_reader_value(reader);
    total += m->rows;
    if (writer) tbl_writer_write(writer, tbl_reader_key(reader), &m->rows);
  }
  tbl_reader_close(reader);
  if (writer) tbl_writer_close(writer);
  else printf("%lld\n", total);
  LOG("Read %d utterances, %lld frames", n, total);
  opts_free(po);
  return 0;
}
