/* Shared by the libFuzzer harnesses: feeding bytes to a reader through a file
 * descriptor, and turning ERROR into a return to the harness instead of exit. */
#ifndef TESTS_FUZZ_H
#define TESTS_FUZZ_H

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <sanitizer/lsan_interface.h>

#include "base/log.h"

/* ERROR exits the process, leaving what was allocated to the OS; in a harness it
 * longjmps back instead, so allocations made under FUZZ_MAY_FAIL are not leaks. */
static jmp_buf fuzz_jump;
#define FUZZ_MAY_FAIL(stmt)                 \
  do {                                      \
    __lsan_disable();                       \
    if (!setjmp(fuzz_jump)) { stmt; }       \
    __lsan_enable();                        \
  } while (0)
static void fuzz_fatal(void) { longjmp(fuzz_jump, 1); }

/* A path ("/dev/fd/N") whose contents are data; close the fd with fuzz_close. */
static int fuzz_fd;
static char fuzz_path[64];
static const char *fuzz_file(const unsigned char *data, size_t size) {
  fuzz_fd = memfd_create("fuzz", 0);
  if (fuzz_fd < 0 || write(fuzz_fd, data, size) != (ssize_t)size) abort();
  lseek(fuzz_fd, 0, SEEK_SET);
  snprintf(fuzz_path, sizeof fuzz_path, "/dev/fd/%d", fuzz_fd);
  return fuzz_path;
}
static void fuzz_close(void) { close(fuzz_fd); }

static void fuzz_quiet(void) {
  static int done;
  if (!done) {
    done = 1;
    log_set_fatal_hook(fuzz_fatal); /* run with -close_fd_mask=2 to hide the parsers' messages */
  }
}

#endif
