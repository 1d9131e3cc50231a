#include "base/log.h"

#include <errno.h>
#include <poll.h>
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

static bool stdout_closed;

/* A pipe on stdout whose reader went away (`prog ... | head`): writing gives EPIPE, and
 * poll reports POLLERR on the write end. */
static bool stdout_is_closed_pipe(void) {
  struct pollfd p = {STDOUT_FILENO, POLLOUT, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
}

/* Results printed to stdout that did not arrive (a full disk) must not end in exit
 * status 0: stdout is flushed at exit and a failure is an ERROR. A reader that went away
 * is not an error of ours: the program dies quietly of SIGPIPE, as Kaldi's programs do
 * (after the other exit handlers have removed unfinished outputs). Registered first, so
 * it runs after every other exit handler. */
static void check_stdout_at_exit(void) {
  if (!stdout_closed && fflush(stdout) == 0 && !ferror(stdout)) return;
  int e = errno;
  if (stdout_closed || e == EPIPE || stdout_is_closed_pipe()) {
    signal(SIGPIPE, SIG_DFL);
    raise(SIGPIPE);
  }
  fprintf(stderr, "ERROR (%s[main]) write error on standard output: %s\n", program, strerror(e ? e : EIO));
  _exit(1);
}

void log_exit_stdout_closed(void) {
  stdout_closed = true;
  exit(1);
}

void log_set_program(const char *argv0) {
  const char *slash = strrchr(argv0, '/');
  snprintf(program, sizeof program, "%s", slash ? slash + 1 : argv0);
  static bool registered;
  if (!registered) {
    registered = true;
    signal(SIGPIPE, SIG_IGN); /* EPIPE instead: stdout is handled above, other pipes are write errors */
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
