/* Fuzzes the data-directory reader make-tasks uses (utt2spk, a key file, utt2dur, the
 * recording groups of utt2uniq) and episode sampling over what it read. The input is
 * split at form feeds into the four files, written to a private temporary directory;
 * the optional ones (utt2dur, utt2uniq) are absent when the input has no part for them. */
#include <stdint.h>
#include <string.h>

#include "base/util.h"
#include "fuzz.h"
#include "tasks/tasks.h"

static void put(const char *dir, const char *name, const uint8_t *p, size_t n) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static char dir[] = "/tmp/fuzz-datadir-XXXXXX";
  static const char *names[] = {"utt2spk", "utt2lang", "utt2dur", "utt2uniq"};
  fuzz_quiet();
  if (dir[sizeof dir - 2] == 'X' && !mkdtemp(dir)) abort();
  size_t start = 0;
  for (int i = 0; i < 4; i++) {
    const uint8_t *ff = start < size ? memchr(data + start, '\f', size - start) : NULL;
    size_t end = ff ? (size_t)(ff - data) : size;
    if (i >= 2 && start >= size) {
      char path[512];
      snprintf(path, sizeof path, "%s/%s", dir, names[i]);
      unlink(path); /* no durations, no groups */
    } else {
      put(dir, names[i], data + (start < size ? start : size), end > start ? end - start : 0);
    }
    start = end + 1;
  }
  TaskSet *ts = NULL;
  TaskEpisodes *e = NULL;
  FUZZ_MAY_FAIL(ts = task_set_new(dir, "lang", NULL, 0.01));
  if (ts) {
    TaskEpisodeOpts o = task_episode_opts_default();
    o.support = 1, o.query = 1, o.num_episodes = 3;
    FUZZ_MAY_FAIL(e = task_episodes_sample(ts, &o));
  }
  task_episodes_free(e);
  task_set_free(ts);
  return 0;
}
