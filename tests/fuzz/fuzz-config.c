/* Fuzzes the option parser's config-file reading (--config=file). */
#include <stdbool.h>
#include <stdint.h>

#include "base/options.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_quiet();
  int num = 1;
  float x = 0;
  bool flag = false;
  const char *type = "mfcc", *name = "";
  Options *po = opts_new("fuzz");
  opts_int(po, "num-ceps", &num, "");
  opts_float(po, "low-freq", &x, "");
  opts_bool(po, "use-energy", &flag, "");
  opts_choice(po, "type", &type, "mfcc|fbank", "");
  opts_string(po, "name", &name, "");
  const char *path = fuzz_file(data, size);
  FUZZ_MAY_FAIL(opts_read_config(po, path));
  fuzz_close();
  opts_free(po);
  return 0;
}
