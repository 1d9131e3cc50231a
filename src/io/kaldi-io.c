/* Kaldi's basic binary/text encodings: tokens, size-prefixed int32 and float. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "io/table.h"

bool kio_read_binary_marker(Input *in) {
  if (input_peek(in) != '\0') return false;
  input_getc(in);
  if (input_peek(in) != 'B') return false;
  input_getc(in);
  return true;
}

static void skip_space(Input *in) {
  int c;
  while ((c = input_peek(in)) != -1 && isspace(c)) input_getc(in);
}

void kio_write_token(Output *out, bool binary, const char *tok) {
  (void)binary;
  output_write(out, tok, strlen(tok));
  output_putc(out, ' ');
}

bool kio_read_token(Input *in, char *tok, size_t cap) {
  skip_space(in);
  size_t n = 0;
  int c;
  while ((c = input_peek(in)) != -1 && !isspace(c)) {
    if (n + 1 >= cap) return false;
    tok[n++] = (char)input_getc(in);
  }
  tok[n] = '\0';
  if (c != -1) input_getc(in); /* one whitespace ends a token */
  return n > 0;
}

bool kio_expect_token(Input *in, const char *tok) {
  char buf[256];
  return kio_read_token(in, buf, sizeof buf) && !strcmp(buf, tok);
}

/* Text numbers: whitespace-separated, parsed with strtod (accepts inf, nan). */
static bool read_text_number(Input *in, double *v) {
  char buf[128];
  if (!kio_read_token(in, buf, sizeof buf)) return false;
  char *end;
  *v = strtod(buf, &end);
  return *end == '\0';
}

void kio_write_int32(Output *out, bool binary, int v) {
  if (binary) {
    char sz = 4;
    int32_t x = v;
    output_write(out, &sz, 1);
    output_write(out, &x, 4);
  } else {
    output_printf(out, "%d ", v);
  }
}

bool kio_read_int32(Input *in, bool binary, int *v) {
  if (!binary) {
    double d;
    if (!read_text_number(in, &d) || d != (double)(int)d) return false;
    *v = (int)d;
    return true;
  }
  int32_t x;
  if (input_getc(in) != 4 || input_read(in, &x, 4) != 4) return false;
  *v = x;
  return true;
}

void kio_write_float(Output *out, bool binary, float v) {
  if (binary) {
    char sz = 4;
    output_write(out, &sz, 1);
    output_write(out, &v, 4);
  } else {
    output_printf(out, "%.7g ", v);
  }
}

bool kio_read_float(Input *in, bool binary, float *v) {
  if (!binary) {
    double d;
    if (!read_text_number(in, &d)) return false;
    *v = (float)d;
    return true;
  }
  int sz = input_getc(in);
  if (sz == 4) return input_read(in, v, 4) == 4;
  if (sz == 8) {
    double d;
    if (input_read(in, &d, 8) != 8) return false;
    *v = (float)d;
    return true;
  }
  return false;
}

void kio_write_floats(Output *out, bool binary, const float *v, int n) {
  if (binary) {
    output_write(out, v, sizeof(float) * (size_t)n);
    return;
  }
  for (int i = 0; i < n; i++) output_printf(out, "%.7g ", v[i]);
}

bool kio_read_floats(Input *in, bool binary, float *v, int n) {
  if (binary) return input_read(in, v, sizeof(float) * (size_t)n) == sizeof(float) * (size_t)n;
  for (int i = 0; i < n; i++) {
    double d;
    if (!read_text_number(in, &d)) return false;
    v[i] = (float)d;
  }
  return true;
}
