/* Fuzzes the ARPA n-gram reader; a model read is also queried (unigram and the longest
 * history), so back-off chains over whatever the file declared are exercised. */
#include <stdint.h>

#include "decode/decode.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_quiet();
  Input *in = input_open(fuzz_file(data, size));
  DecLm *lm = NULL;
  FUZZ_MAY_FAIL(lm = dec_lm_read_arpa_input(in, "fuzz"));
  if (lm) {
    int w[DEC_LM_MAX_ORDER + 1], n = 0;
    int bos = dec_lm_word(lm, "<s>"), eos = dec_lm_word(lm, "</s>");
    for (int i = 0; i <= DEC_LM_MAX_ORDER; i++) w[n++] = i % 2 ? eos : bos;
    (void)dec_lm_logprob(lm, w, DEC_LM_MAX_ORDER, eos);
  }
  dec_lm_free(lm);
  input_close(in, NULL, 0);
  fuzz_close();
  return 0;
}
