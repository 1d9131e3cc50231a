/* Fuzzes scp-line parsing: the split into key and target and the target's row/column
 * range ("f.ark:12[0:9,3:5]"). Parsing only: no target is opened, so no input can name
 * a command to run. */
#include <stdint.h>
#include <string.h>

#include "base/util.h"
#include "fuzz.h"
#include "io/table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_quiet();
  char *text = xmalloc(size + 1);
  memcpy(text, data, size);
  text[size] = '\0';
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *key, *target;
    if (!tbl_split_scp_line(line, &key, &target)) continue;
    TblScpTarget t;
    if (!tbl_parse_scp_target(target, &t)) continue;
    if (t.has_range && (t.r0 < 0 || (t.r1 != -1 && t.r1 < t.r0) || t.c0 < 0 || (t.c1 != -1 && t.c1 < t.c0)))
      abort(); /* the parser promises a valid inclusive range */
    free(t.rxfilename);
  }
  free(text);
  return 0;
}
