/* feat-to-dim: prints the dimension of the features. */
#include <stdio.h>

#include "base/log.h"
#include "base/options.h"
#include "io/table.h"

int main(int argc, char **argv) {
  const char *usage =
      "Print the dimension of the feature matrices (that of the first one, after checking the\n"
      "rest agree) to a file or stdout, or, given a wspecifier, each utterance's dimension.\n"
      "Usage: feat-to-dim [options] <feats-rspecifier> (<dim-wxfilename>|<dim-wspecifier>)\n"
      "e.g.: feat-to-dim scp:feats.scp -\n";
  Options *po = opts_new(usage);
  opts_parse(po, argc, argv);
  if (opts_num_args(po) != 2) opts_usage_exit(po);
  TblSpec spec;
  bool per_utt = tbl_parse_wspecifier(opts_arg(po, 1), &spec);
  if (per_utt) tbl_spec_free(&spec);
  TableReader *reader = tbl_reader_open(opts_arg(po, 0), &tbl_matrix_holder);
  TableWriter *writer = per_utt ? tbl_writer_open(opts_arg(po, 1), &tbl_int32_holder) : NULL;
  int dim = -1, n = 0;
  for (; !tbl_reader_done(reader); tbl_reader_next(reader), n++) {
    const Mat *m = tbl_reader_value(reader);
    if (writer) {
      tbl_writer_write(writer, tbl_reader_key(reader), &m->cols);
    } else if (dim < 0) {
      dim = m->cols;
    } else if (m->cols != dim) {
      ERROR("utterance %s has dimension %d, the first had %d", tbl_reader_key(reader), m->cols, dim);
    }
  }
  tbl_reader_close(reader);
  if (writer) {
    tbl_writer_close(writer);
  } else {
    if (n == 0) ERROR("no features in %s", opts_arg(po, 0));
    Output *out = output_open(opts_arg(po, 1));
    output_printf(out, "%d\n", dim);
    output_close(out);
  }
  opts_free(po);
  return 0;
}
