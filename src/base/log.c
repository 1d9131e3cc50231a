#include "base/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char program[256] = "";
static int verbose_level = 0;
static void (*fatal_hook)(void);

void log_set_fatal_hook(void (*hook)(void)) { fatal_hook = hook; }

void log_set_program(const char *argv0) {
  const char *slash = strrchr(argv0, '/');
  snprintf(program, sizeof program, "%s", slash ? slash + 1 : argv0);
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
