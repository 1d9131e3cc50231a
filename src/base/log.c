#include "base/log.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char program[256] = "";
static int verbose_level = 0;
static void (*fatal_hook)(void);

void log_set_fatal_hook(void (*hook)(void)) { fatal_hook = hook; }

/* Results printed to stdout that did not arrive (a full disk, a reader that went away)
 * must not end in exit status 0: stdout is flushed at exit and a failure is an ERROR.
 * Registered first, so it runs after every other exit handler. */
static void check_stdout_at_exit(void) {
  if (fflush(stdout) == 0 && !ferror(stdout)) return;
  int e = errno;
  fprintf(stderr, "ERROR (%s[main]) write error on standard output: %s\n", program, strerror(e ? e : EIO));
  _exit(1);
}

void log_set_program(const char *argv0) {
  const char *slash = strrchr(argv0, '/');
  snprintf(program, sizeof program, "%s", slash ? slash + 1 : argv0);
  static bool registered;
  if (!registered) {
    registered = true;
    signal(SIGPIPE, SIG_IGN); /* a closed pipe is a write error (EPIPE) with a message, not a silent death */
    atexit(check_stdout_at_exit);
  }
}

const char *log_program(void) { return program; }
void log_set_verbose(int level) { verbose_level = level; }
int log_verbose(void) { return verbose_level; }

static void vmessage(const char *kind, const char *func, const char *file, int line,
                     const char *fmt, va_list ap) {
  const char *slash = strrchr(file, '/');
  char msg[4096];
  vsnprintf(msg, sizeof msg, fmt, ap);
  /* One fprintf so lines from parallel jobs sharing a log do not interleave. */
  fprintf(stderr, "%s (%s[%s]:%s:%d) %s\n", kind, program, func, slash ? slash + 1 : file,
          line, msg);
}

void log_message(const char *kind, const char *func, const char *file, int line,
                 const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vmessage(kind, func, file, line, fmt, ap);
  va_end(ap);
}

void log_fatal(const char *func, const char *file, int line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vmessage("ERROR", func, file, line, fmt, ap);
  va_end(ap);
  if (fatal_hook) fatal_hook();
  exit(1); /* atexit hooks remove partial outputs (see io/stream.c) */
}
