/* Fuzzes the archive reader with every built-in holder (binary and text matrices,
 * compressed matrices decoded and as stored, vectors, int32 vectors, tokens), the first
 * byte choosing the holder; permissive reading (",p") so a bad entry ends the read
 * instead of exiting. */
#include <stdint.h>

#include "fuzz.h"
#include "io/table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const TblHolder *holders[] = {&tbl_matrix_holder,     &tbl_double_matrix_holder, &tbl_vector_holder,
                                       &tbl_int_vector_holder, &tbl_tokens_holder,        &tbl_int32_holder,
                                       &tbl_compressed_matrix_holder};
  fuzz_quiet();
  if (size < 1) return 0;
  const TblHolder *h = holders[data[0] % 7];
  char spec[96];
  snprintf(spec, sizeof spec, "ark,p:%s", fuzz_file(data + 1, size - 1));
  /* Permissive reading never ERRORs on content, so leaks here are real. */
  TableReader *r = tbl_reader_open(spec, h);
  for (; !tbl_reader_done(r); tbl_reader_next(r)) (void)tbl_reader_value(r);
  tbl_reader_close(r);
  fuzz_close();
  return 0;
}
