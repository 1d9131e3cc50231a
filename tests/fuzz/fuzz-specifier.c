/* Fuzzes rspecifier/wspecifier parsing. */
#include <stdint.h>
#include <string.h>

#include "base/util.h"
#include "fuzz.h"
#include "io/table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_quiet();
  char *s = xmalloc(size + 1);
  memcpy(s, data, size);
  s[size] = '\0';
  TblSpec spec;
  if (tbl_parse_rspecifier(s, &spec)) tbl_spec_free(&spec);
  if (tbl_parse_wspecifier(s, &spec)) tbl_spec_free(&spec);
  free(s);
  return 0;
}
