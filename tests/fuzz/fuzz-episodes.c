/* Fuzzes the episodes-file reader (make-tasks' output, meta-train's input): any input
 * must give episodes or an ERROR naming the line, never a crash, hang or leak. */
#include <stdint.h>

#include "fuzz.h"
#include "tasks/tasks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_quiet();
  Input *in = input_open(fuzz_file(data, size));
  TaskEpisodes *e = NULL;
  FUZZ_MAY_FAIL(e = task_episodes_read_input(in, "fuzz"));
  task_episodes_free(e);
  input_close(in, NULL, 0);
  fuzz_close();
  return 0;
}
