/* Fuzzes the units-file reader ("symbol id" lines): units or an ERROR, never a crash. */
#include <stdint.h>

#include "decode/decode.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_quiet();
  Input *in = input_open(fuzz_file(data, size));
  DecUnits *u = NULL;
  FUZZ_MAY_FAIL(u = dec_units_read_input(in, "fuzz"));
  if (u) (void)dec_units_find(u, "<blk>");
  dec_units_free(u);
  input_close(in, NULL, 0);
  fuzz_close();
  return 0;
}
