/* Checked allocation and small string helpers. Allocation failure is fatal. */
#ifndef BASE_UTIL_H
#define BASE_UTIL_H

#include <stdbool.h>
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* printf into a newly allocated string; caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Strict numeric parsing of a whole string; false on junk, overflow or NaN/inf. */
bool parse_int(const char *s, int *out);
bool parse_long(const char *s, long *out);
bool parse_double(const char *s, double *out);
bool parse_float(const char *s, float *out);
bool parse_bool(const char *s, bool *out);

/* Wall-clock seconds since an arbitrary origin (monotonic). */
double now_seconds(void);

#endif
