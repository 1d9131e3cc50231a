/* Fuzzes the WAV reader (RIFF/RIFX, PCM and float encodings, extensible headers, streamed
 * sizes), whole and header only (wav-to-duration's): any input must give samples or a
 * message, never a crash, hang or leak. The reader reports problems through its return
 * value, so nothing here may ERROR. */
#include <stdint.h>

#include "feat/wav.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_quiet();
  const char *path = fuzz_file(data, size);
  Input *in = input_open(path);
  WavData w = {0};
  char err[256];
  if (wav_read(in, &w, err, sizeof err)) (void)wav_duration(&w);
  wav_clear(&w);
  input_close(in, NULL, 0);
  in = input_open(path);
  WavInfo info;
  if (wav_read_info(in, &info, err, sizeof err) && !info.streamed) (void)wav_info_duration(&info);
  input_close(in, NULL, 0);
  fuzz_close();
  return 0;
}
