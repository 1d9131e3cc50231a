/* The built-in table holders: float and double matrices, float vectors, int32
 * vectors and token vectors, in Kaldi's binary and text forms. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "io/compressed-matrix.h"
#include "io/table.h"

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return false; } while (0)

static void skip_space(Input *in) {
  int c;
  while ((c = input_peek(in)) != -1 && isspace(c)) input_getc(in);
}

/* Reads exactly `bytes` bytes into a new buffer (caller frees), or NULL when the input
 * ends first. The buffer grows as data arrives, so a corrupt header claiming gigabytes
 * costs an error, not an allocation of that size. */
static void *read_exact_alloc(Input *in, size_t bytes) {
  size_t cap = bytes < (1u << 20) ? bytes : (1u << 20), got = 0;
  char *buf = xmalloc(cap ? cap : 1);
  while (got < bytes) {
    if (got == cap) {
      cap = cap * 2 < bytes ? cap * 2 : bytes;
      buf = xrealloc(buf, cap);
    }
    size_t n = input_read(in, buf + got, cap - got);
    if (n == 0) {
      free(buf);
      return NULL;
    }
    got += n;
  }
  return buf;
}

/* ---------- text matrices "[ 1 2 \n 3 4 ]" and vectors "[ 1 2 3 ]" ---------- */

typedef struct {
  double *v;
  size_t n, cap;
  int rows, cols;
} TextNumbers;

static bool push_number(TextNumbers *t, const char *tok) {
  char *end;
  double d = strtod(tok, &end);
  if (*end) return false;
  if (t->n == t->cap) t->v = xrealloc(t->v, (t->cap = t->cap ? 2 * t->cap : 256) * sizeof(double));
  t->v[t->n++] = d;
  return true;
}

/* Reads "[ ... ]"; rows are separated by newlines (a vector is one row). */
static bool read_text_numbers(Input *in, TextNumbers *t, char *err, size_t errlen) {
  skip_space(in);
  if (input_getc(in) != '[') FAIL("expected '[' at the start of a text object");
  size_t row_start = 0;
  char tok[128];
  for (;;) {
    int c = input_peek(in);
    if (c == -1) FAIL("unexpected end of file inside a text object (no ']')");
    if (c == '\n' || c == ']') {
      input_getc(in);
      size_t in_row = t->n - row_start;
      if (in_row > 0) {
        if (t->rows > 0 && (size_t)t->cols != in_row)
          FAIL("row %d has %zu values, expected %d", t->rows + 1, in_row, t->cols);
        t->cols = (int)in_row;
        t->rows++;
        row_start = t->n;
      }
      if (c == ']') return true;
      continue;
    }
    if (isspace(c)) {
      input_getc(in);
      continue;
    }
    size_t k = 0;
    while ((c = input_peek(in)) != -1 && !isspace(c) && c != ']') {
      if (k + 1 >= sizeof tok) FAIL("number too long in text object");
      tok[k++] = (char)input_getc(in);
    }
    tok[k] = '\0';
    if (!push_number(t, tok)) FAIL("bad number '%s' in text object", tok);
  }
}

static void write_text_row(Output *out, const float *v, int n) {
  for (int j = 0; j < n; j++) output_printf(out, "%.7g ", v[j]);
}

/* ---------- compressed matrices (io/compressed-matrix.h) ---------- */

/* Kaldi's GlobalHeader as stored: its format field is not written (the token says it). */
typedef struct {
  float min_value, range;
  int32_t rows, cols;
} CompressedHeader;

/* A compressed matrix's header and data, after its token (format 1 "CM", 2 "CM2", 3 "CM3"). */
static bool read_compressed(Input *in, int format, CompressedMatrix *c, char *err, size_t errlen) {
  CompressedHeader h;
  if (input_read(in, &h, sizeof h) != sizeof h) FAIL("truncated compressed matrix header");
  if (h.rows < 0 || h.cols < 0 || (h.rows == 0) != (h.cols == 0))
    FAIL("bad compressed matrix size %d x %d", h.rows, h.cols);
  CompressedMatrix t = {format, h.min_value, h.range, h.rows, h.cols, NULL};
  if (h.rows > 0 && !(t.data = read_exact_alloc(in, cmat_data_size(&t))))
    FAIL("truncated compressed matrix data");
  cmat_free(c);
  *c = t;
  return true;
}

/* ---------- binary matrix bodies ---------- */

static bool read_dims(Input *in, int *rows, int *cols, char *err, size_t errlen) {
  if (!kio_read_int32(in, true, rows) || !kio_read_int32(in, true, cols)) FAIL("truncated matrix header");
  if (*rows < 0 || *cols < 0 || (int64_t)*rows * *cols > (1LL << 34)) FAIL("bad matrix size %d x %d", *rows, *cols);
  return true;
}

/* Reads "FM"/"DM"/"CM*" binary matrix bodies into a Mat (want_double false) or a DMat. */
static bool read_binary_matrix(Input *in, bool want_double, void *value, char *err, size_t errlen) {
  char tok[16];
  if (!kio_read_token(in, tok, sizeof tok)) FAIL("truncated matrix: no type token");
  bool is_double = !strcmp(tok, "DM");
  int compressed = cmat_format_from_token(tok);
  if (strcmp(tok, "FM") && !is_double && !compressed) FAIL("expected a matrix (FM, DM, CM, CM2, CM3), got token '%s'", tok);
  int rows, cols;
  void *raw; /* the elements as stored: float (FM, and CM* once decoded) or double (DM) */
  Mat decoded = {0};
  if (compressed) {
    CompressedMatrix c = {0};
    if (!read_compressed(in, compressed, &c, err, errlen)) return false;
    cmat_decompress(&c, &decoded);
    cmat_free(&c);
    rows = decoded.rows, cols = decoded.cols;
    raw = decoded.data;
  } else {
    if (!read_dims(in, &rows, &cols, err, errlen)) return false;
    raw = read_exact_alloc(in, (size_t)rows * (size_t)cols * (is_double ? 8 : 4));
    if (!raw) FAIL("truncated matrix data (%d x %d)", rows, cols);
  }
  size_t count = (size_t)rows * (size_t)cols;
  if (want_double) {
    DMat *d = value;
    free(d->data);
    if (is_double) {
      *d = (DMat){raw, rows, cols};
      return true;
    }
    *d = (DMat){xmalloc((count ? count : 1) * sizeof(double)), rows, cols};
    for (size_t i = 0; i < count; i++) d->data[i] = ((float *)raw)[i];
  } else {
    Mat *m = value;
    mat_release(m);
    if (!is_double) {
      *m = (Mat){raw, rows, cols, cols};
      return true;
    }
    *m = mat_alloc(rows, cols);
    for (size_t i = 0; i < count; i++) m->data[i] = (float)((double *)raw)[i];
  }
  free(raw);
  return true;
}

/* ---------- float matrix holder ---------- */

static void matrix_clear(void *v) { mat_release(v); }

static bool matrix_read(Input *in, void *value, char *err, size_t errlen) {
  if (kio_read_binary_marker(in)) return read_binary_matrix(in, false, value, err, errlen);
  TextNumbers t = {0};
  bool ok = read_text_numbers(in, &t, err, errlen);
  if (ok) {
    Mat *m = value;
    mat_release(m);
    *m = mat_alloc(t.rows, t.cols);
    for (size_t i = 0; i < t.n; i++) m->data[i] = (float)t.v[i];
  }
  free(t.v);
  return ok;
}

static void matrix_write(Output *out, bool binary, const void *value) {
  const Mat *m = value;
  if (binary) {
    output_write(out, "\0B", 2);
    kio_write_token(out, true, "FM");
    kio_write_int32(out, true, m->rows);
    kio_write_int32(out, true, m->cols);
    for (int r = 0; r < m->rows; r++) output_write(out, mat_row(*m, r), 4 * (size_t)m->cols);
    return;
  }
  if (m->rows == 0) {
    output_write(out, " [ ]\n", 5);
    return;
  }
  output_write(out, " [", 2);
  for (int r = 0; r < m->rows; r++) {
    output_write(out, "\n  ", 3);
    write_text_row(out, mat_row(*m, r), m->cols);
  }
  output_write(out, "]\n", 2);
}

static bool matrix_range(void *value, int r0, int r1, int c0, int c1, char *err, size_t errlen) {
  Mat *m = value;
  if (r1 < 0) r1 = m->rows - 1;
  if (c1 < 0) c1 = m->cols - 1;
  if (r0 < 0 || r1 >= m->rows || r0 > r1 + 1 || c0 < 0 || c1 >= m->cols || c0 > c1 + 1)
    FAIL("range [%d:%d,%d:%d] outside a %d x %d matrix", r0, r1, c0, c1, m->rows, m->cols);
  Mat sub = mat_alloc(r1 - r0 + 1, c1 - c0 + 1);
  mat_copy(sub, mat_cols(mat_rows(*m, r0, sub.rows), c0, sub.cols));
  mat_release(m);
  *m = sub;
  return true;
}

const TblHolder tbl_matrix_holder = {"matrix", sizeof(Mat), matrix_clear, matrix_read, matrix_write, matrix_range};

/* ---------- compressed matrix holder (CompressedMatrix) ---------- */

static void cmatrix_clear(void *v) { cmat_free(v); }

/* Reads CM, CM2 and CM3 as stored (no decompression). */
static bool cmatrix_read(Input *in, void *value, char *err, size_t errlen) {
  char tok[16];
  if (!kio_read_binary_marker(in) || !kio_read_token(in, tok, sizeof tok) || !cmat_format_from_token(tok))
    FAIL("expected a binary compressed matrix (CM, CM2, CM3)");
  return read_compressed(in, cmat_format_from_token(tok), value, err, errlen);
}

/* Binary: the token, the header and the data, as Kaldi's CompressedMatrix::Write (which
 * for an empty matrix adds 4 stray bytes that its own reader leaves unread; not copied
 * here). Text: the decompressed values, as Kaldi's. */
static void cmatrix_write(Output *out, bool binary, const void *value) {
  const CompressedMatrix *c = value;
  if (!binary) {
    Mat m = {0};
    cmat_decompress(c, &m);
    matrix_write(out, false, &m);
    mat_release(&m);
    return;
  }
  output_write(out, "\0B", 2);
  kio_write_token(out, true, cmat_token(c->format));
  CompressedHeader h = {c->min_value, c->range, c->rows, c->cols};
  output_write(out, &h, sizeof h);
  if (c->data) output_write(out, c->data, cmat_data_size(c));
}

const TblHolder tbl_compressed_matrix_holder = {"compressed matrix", sizeof(CompressedMatrix), cmatrix_clear,
                                                cmatrix_read, cmatrix_write, NULL};

/* ---------- double matrix holder ---------- */

static void dmatrix_clear(void *v) {
  DMat *d = v;
  free(d->data);
  *d = (DMat){0};
}

static bool dmatrix_read(Input *in, void *value, char *err, size_t errlen) {
  if (kio_read_binary_marker(in)) return read_binary_matrix(in, true, value, err, errlen);
  TextNumbers t = {0};
  if (!read_text_numbers(in, &t, err, errlen)) {
    free(t.v);
    return false;
  }
  DMat *d = value;
  free(d->data);
  *d = (DMat){t.v ? t.v : xmalloc(sizeof(double)), t.rows, t.cols};
  return true;
}

static void dmatrix_write(Output *out, bool binary, const void *value) {
  const DMat *d = value;
  if (binary) {
    output_write(out, "\0B", 2);
    kio_write_token(out, true, "DM");
    kio_write_int32(out, true, d->rows);
    kio_write_int32(out, true, d->cols);
    output_write(out, d->data, 8 * (size_t)d->rows * (size_t)d->cols);
    return;
  }
  if (d->rows == 0) {
    output_write(out, " [ ]\n", 5);
    return;
  }
  output_write(out, " [", 2);
  for (int r = 0; r < d->rows; r++) {
    output_write(out, "\n  ", 3);
    for (int c = 0; c < d->cols; c++) output_printf(out, "%.7g ", d->data[(size_t)r * d->cols + c]);
  }
  output_write(out, "]\n", 2);
}

const TblHolder tbl_double_matrix_holder = {"double matrix", sizeof(DMat), dmatrix_clear, dmatrix_read,
                                            dmatrix_write, NULL};

/* ---------- float vector holder ---------- */

static void vector_clear(void *v) { vec_release(v); }

static bool vector_read(Input *in, void *value, char *err, size_t errlen) {
  Vec *v = value;
  if (kio_read_binary_marker(in)) {
    char tok[16];
    int dim;
    if (!kio_read_token(in, tok, sizeof tok)) FAIL("truncated vector: no type token");
    bool is_double = !strcmp(tok, "DV");
    if (strcmp(tok, "FV") && !is_double) FAIL("expected a vector (FV, DV), got token '%s'", tok);
    if (!kio_read_int32(in, true, &dim) || dim < 0) FAIL("truncated or bad vector header");
    void *raw = read_exact_alloc(in, (size_t)dim * (is_double ? 8 : 4));
    if (!raw) FAIL("truncated vector data (dim %d)", dim);
    vec_release(v);
    if (!is_double) {
      *v = (Vec){raw, dim};
      return true;
    }
    *v = vec_alloc(dim);
    for (int i = 0; i < dim; i++) v->data[i] = (float)((double *)raw)[i];
    free(raw);
    return true;
  }
  TextNumbers t = {0};
  bool ok = read_text_numbers(in, &t, err, errlen);
  if (ok && t.rows > 1) {
    snprintf(err, errlen, "text vector spans %d lines", t.rows);
    ok = false;
  }
  if (ok) {
    vec_release(v);
    *v = vec_alloc((int)t.n);
    for (size_t i = 0; i < t.n; i++) v->data[i] = (float)t.v[i];
  }
  free(t.v);
  return ok;
}

static void vector_write(Output *out, bool binary, const void *value) {
  const Vec *v = value;
  if (binary) {
    output_write(out, "\0B", 2);
    kio_write_token(out, true, "FV");
    kio_write_int32(out, true, v->dim);
    output_write(out, v->data, 4 * (size_t)v->dim);
    return;
  }
  output_write(out, " [ ", 3);
  write_text_row(out, v->data, v->dim);
  output_write(out, "]\n", 2);
}

const TblHolder tbl_vector_holder = {"vector", sizeof(Vec), vector_clear, vector_read, vector_write, NULL};

/* ---------- int32 vector holder ---------- */

static void intvec_clear(void *v) {
  IntVec *iv = v;
  free(iv->data);
  *iv = (IntVec){0};
}

static void intvec_reserve(IntVec *iv, int n) {
  free(iv->data);
  iv->data = xmalloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
  iv->len = 0;
}

static bool intvec_read(Input *in, void *value, char *err, size_t errlen) {
  IntVec *iv = value;
  if (kio_read_binary_marker(in)) {
    int n;
    if (!kio_read_int32(in, true, &n) || n < 0 || n > (1 << 28)) FAIL("truncated or bad int32 vector header");
    unsigned char *raw = read_exact_alloc(in, 5 * (size_t)n); /* each: size byte 4, then int32 */
    if (!raw) FAIL("truncated int32 vector (%d elements)", n);
    intvec_reserve(iv, n);
    for (int i = 0; i < n; i++) {
      if (raw[5 * i] != 4) {
        int size_byte = raw[5 * i];
        free(raw);
        FAIL("bad int32 vector element %d (size byte %d)", i + 1, size_byte);
      }
      int32_t x;
      memcpy(&x, raw + 5 * i + 1, 4);
      iv->data[i] = x;
    }
    iv->len = n;
    free(raw);
    return true;
  }
  /* Text: integers up to the end of the line. */
  int cap = 64, n = 0;
  intvec_reserve(iv, cap);
  char tok[32];
  for (;;) {
    int c;
    while ((c = input_peek(in)) == ' ' || c == '\t' || c == '\r') input_getc(in);
    if (c == '\n' || c == -1) {
      if (c == '\n') input_getc(in);
      break;
    }
    size_t k = 0;
    while ((c = input_peek(in)) != -1 && !isspace(c)) {
      if (k + 1 >= sizeof tok) FAIL("integer too long in int32 vector");
      tok[k++] = (char)input_getc(in);
    }
    tok[k] = '\0';
    int x;
    if (!parse_int(tok, &x)) FAIL("bad integer '%s' in int32 vector", tok);
    if (n == cap) iv->data = xrealloc(iv->data, sizeof(int) * (size_t)(cap *= 2));
    iv->data[n++] = x;
  }
  iv->len = n;
  return true;
}

static void intvec_write(Output *out, bool binary, const void *value) {
  const IntVec *iv = value;
  if (binary) {
    output_write(out, "\0B", 2);
    kio_write_int32(out, true, iv->len);
    for (int i = 0; i < iv->len; i++) kio_write_int32(out, true, iv->data[i]);
    return;
  }
  for (int i = 0; i < iv->len; i++) output_printf(out, "%d ", iv->data[i]);
  output_putc(out, '\n');
}

const TblHolder tbl_int_vector_holder = {"int32 vector", sizeof(IntVec), intvec_clear, intvec_read, intvec_write,
                                         NULL};

/* ---------- token vector holder (text only, one line) ---------- */

static void tokens_clear(void *v) {
  Tokens *t = v;
  for (int i = 0; i < t->len; i++) free(t->tok[i]);
  free(t->tok);
  *t = (Tokens){0};
}

static bool tokens_read(Input *in, void *value, char *err, size_t errlen) {
  Tokens *t = value;
  tokens_clear(t);
  if (input_peek(in) == '\0') FAIL("token vectors are text only, found binary data");
  char *line = NULL;
  size_t cap = 0;
  if (!input_getline(in, &line, &cap)) line = xstrdup("");
  int tok_cap = 0;
  for (char *save = NULL, *p = strtok_r(line, " \t", &save); p; p = strtok_r(NULL, " \t", &save)) {
    if (t->len == tok_cap) t->tok = xrealloc(t->tok, sizeof(char *) * (size_t)(tok_cap = tok_cap ? 2 * tok_cap : 16));
    t->tok[t->len++] = xstrdup(p);
  }
  free(line);
  return true;
}

static void tokens_write(Output *out, bool binary, const void *value) {
  (void)binary;
  const Tokens *t = value;
  for (int i = 0; i < t->len; i++) {
    output_write(out, t->tok[i], strlen(t->tok[i]));
    output_putc(out, ' ');
  }
  output_putc(out, '\n');
}

const TblHolder tbl_tokens_holder = {"token vector", sizeof(Tokens), tokens_clear, tokens_read, tokens_write, NULL};

/* ---------- int32 scalar holder (frame counts, dims) ---------- */

static void int32_clear(void *v) { *(int *)v = 0; }

static bool int32_read(Input *in, void *value, char *err, size_t errlen) {
  bool binary = kio_read_binary_marker(in);
  if (!kio_read_int32(in, binary, value)) FAIL("expected an int32");
  return true;
}

static void int32_write(Output *out, bool binary, const void *value) {
  if (binary) output_write(out, "\0B", 2);
  kio_write_int32(out, binary, *(const int *)value);
  if (!binary) output_putc(out, '\n');
}

const TblHolder tbl_int32_holder = {"int32", sizeof(int), int32_clear, int32_read, int32_write, NULL};

/* ---------- float scalar holder (durations) ---------- */

static void float_clear(void *v) { *(float *)v = 0; }

static bool float_read(Input *in, void *value, char *err, size_t errlen) {
  bool binary = kio_read_binary_marker(in);
  if (!kio_read_float(in, binary, value)) FAIL("expected a float");
  return true;
}

static void float_write(Output *out, bool binary, const void *value) {
  if (binary) output_write(out, "\0B", 2);
  kio_write_float(out, binary, *(const float *)value);
  if (!binary) output_putc(out, '\n');
}

const TblHolder tbl_float_holder = {"float", sizeof(float), float_clear, float_read, float_write, NULL};
