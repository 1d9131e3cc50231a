/* copy-int-vector: copies int32 vectors (labels, alignments) between tables. */
#include "base/log.h"
#include "base/options.h"
#include "io/table.h"

int main(int argc, char **argv) {
  const char *usage =
      "Copy int32 vectors (labels, alignments), converting between binary and text.\n"
      "Usage: copy-int-vector [options] <vector-rspecifier> <vector-wspecifier>\n"
      "e.g.: copy-int-vector ark:labels.ark ark,t:- | head\n";
  Options *po = opts_new(usage);
  opts_parse(po, argc, argv);
  if (opts_num_args(po) != 2) opts_usage_exit(po);
  TableReader *reader = tbl_reader_open(opts_arg(po, 0), &tbl_int_vector_holder);
  TableWriter *writer = tbl_writer_open(opts_arg(po, 1), &tbl_int_vector_holder);
  int done = 0;
  for (; !tbl_reader_done(reader); tbl_reader_next(reader), done++)
    tbl_writer_write(writer, tbl_reader_key(reader), tbl_reader_value(reader));
  tbl_reader_close(reader);
  tbl_writer_close(writer);
  LOG("Copied %d vectors", done);
  opts_free(po);
  return 0;
}
