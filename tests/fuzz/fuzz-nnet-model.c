/* Fuzzes the model-file reader (binary and text) and the network config parser: any
 * input must give a network or an ERROR, never a crash, hang or leak. */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "nnet/nnet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_quiet();
  Nnet *n = NULL;
  if (size > 0 && data[0] == '#') { /* a config file */
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    FUZZ_MAY_FAIL(n = nnet_new_from_string(text, "fuzz", 0, 0, 1));
    free(text);
  } else {
    const char *path = fuzz_file(data, size);
    FUZZ_MAY_FAIL(n = nnet_read(path));
    fuzz_close();
  }
  nnet_free(n);
  return 0;
}
