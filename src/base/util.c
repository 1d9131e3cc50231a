#include "base/util.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"

void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) ERROR("out of memory allocating %zu bytes", n);
  return p;
}

void *xcalloc(size_t count, size_t size) {
  void *p = calloc(count ? count : 1, size ? size : 1);
  if (!p) ERROR("out of memory allocating %zu x %zu bytes", count, size);
  return p;
}

void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) ERROR("out of memory reallocating %zu bytes", n);
  return q;
}

char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(xmalloc(n), s, n);
}

char *xasprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *s = xmalloc((size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

bool parse_long(const char *s, long *out) {
  if (!s || !*s) return false;
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *end) return false;
  *out = v;
  return true;
}

bool parse_int(const char *s, int *out) {
  long v;
  if (!parse_long(s, &v) || v < INT_MIN || v > INT_MAX) return false;
  *out = (int)v;
  return true;
}

bool parse_double(const char *s, double *out) {
  if (!s || !*s) return false;
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno == ERANGE || *end || !isfinite(v)) return false;
  *out = v;
  return true;
}

bool parse_float(const char *s, float *out) {
  double v;
  if (!parse_double(s, &v) || fabs(v) > 3.4e38) return false;
  *out = (float)v;
  return true;
}

bool parse_bool(const char *s, bool *out) {
  if (!strcmp(s, "true") || !strcmp(s, "1")) *out = true;
  else if (!strcmp(s, "false") || !strcmp(s, "0")) *out = false;
  else return false;
  return true;
}

double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
