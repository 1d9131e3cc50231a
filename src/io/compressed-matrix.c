/* Kaldi's CompressedMatrix (matrix/compressed-matrix.cc): compression and decompression
 * with Kaldi's exact mix of float and double arithmetic, so that the bytes written and
 * the floats read back are identical to Kaldi's. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "io/compressed-matrix.h"

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return false; } while (0)

/* CM's per-column header: the column's 0, 25, 75 and 100th percentiles as uint16 on the
 * global [min_value, min_value + range] scale. */
typedef struct {
  uint16_t p0, p25, p75, p100;
} PerColHeader;

size_t cmat_data_size(const CompressedMatrix *c) {
  size_t n = (size_t)c->rows * (size_t)c->cols;
  if (c->format == 1) return (size_t)c->cols * sizeof(PerColHeader) + n;
  return c->format == 2 ? 2 * n : n;
}

const char *cmat_token(int format) { return format == 1 ? "CM" : format == 2 ? "CM2" : "CM3"; }

int cmat_format_from_token(const char *token) {
  return !strcmp(token, "CM") ? 1 : !strcmp(token, "CM2") ? 2 : !strcmp(token, "CM3") ? 3 : 0;
}

void cmat_free(CompressedMatrix *c) {
  free(c->data);
  *c = (CompressedMatrix){0};
}

/* ---------- Kaldi's scalar conversions ---------- */

/* static_cast<int>(x) as x86-64 computes it (cvttsd2si): truncation toward zero, and
 * INT_MIN for NaN and out-of-range values (C leaves those undefined). Kaldi reaches them
 * in degenerate columns, e.g. (value - p75) / (p100 - p75) with p100 == p75 in float. */
static int to_int(double x) { return x > -2147483649.0 && x < 2147483648.0 ? (int)x : INT_MIN; }

/* base + to_int(x) with the wrap-around of Kaldi's int addition. */
static int offset_to_int(int base, double x) { return (int)((unsigned)base + (unsigned)to_int(x)); }

/* FloatToUint16 / FloatToUint8: f * 65535 is float, + 0.499 is double. */
static uint16_t float_to_uint16(const CompressedMatrix *h, float value) {
  float f = (value - h->min_value) / h->range;
  if (f > 1.0f) f = 1.0f;
  if (f < 0.0f) f = 0.0f;
  return (uint16_t)to_int((double)(f * 65535.0f) + 0.499);
}

static uint8_t float_to_uint8(const CompressedMatrix *h, float value) {
  float f = (value - h->min_value) / h->range;
  if (f > 1.0f) f = 1.0f;
  if (f < 0.0f) f = 0.0f;
  return (uint8_t)to_int((double)(f * 255.0f) + 0.499);
}

/* Uint16ToFloat: all float, with Kaldi's float constant for 1/65535. */
static float uint16_to_float(const CompressedMatrix *h, uint16_t v) {
  return h->min_value + h->range * 1.52590218966964e-05f * (float)v;
}

/* FloatToChar: bytes 0..64 cover [p0, p25), 64..192 [p25, p75), 192..255 [p75, p100];
 * the quotient is float, the rounding (+ 0.5) double. */
static uint8_t float_to_char(const float p[4], float value) {
  int ans;
  if (value < p[1]) {
    float f = (value - p[0]) / (p[1] - p[0]);
    ans = to_int((double)(f * 64.0f) + 0.5);
    ans = ans < 0 ? 0 : ans > 64 ? 64 : ans;
  } else if (value < p[2]) {
    float f = (value - p[1]) / (p[2] - p[1]);
    ans = offset_to_int(64, (double)(f * 128.0f) + 0.5);
    ans = ans < 64 ? 64 : ans > 192 ? 192 : ans;
  } else {
    float f = (value - p[2]) / (p[3] - p[2]);
    ans = offset_to_int(192, (double)(f * 63.0f) + 0.5);
    ans = ans < 192 ? 192 : ans > 255 ? 255 : ans;
  }
  return (uint8_t)ans;
}

/* CharToFloat: (p25 - p0) * byte is float, the scaling by 1/64.0 (1/128.0, 1/63.0) and
 * the addition are double, the result is rounded to float. */
static float char_to_float(const float p[4], uint8_t v) {
  if (v <= 64) return (float)(p[0] + (double)((p[1] - p[0]) * (float)v) * (1 / 64.0));
  if (v <= 192) return (float)(p[1] + (double)((p[2] - p[1]) * (float)(v - 64)) * (1 / 128.0));
  return (float)(p[2] + (double)((p[3] - p[2]) * (float)(v - 192)) * (1 / 63.0));
}

static void col_header_floats(const CompressedMatrix *h, const PerColHeader *ph, float p[4]) {
  p[0] = uint16_to_float(h, ph->p0);
  p[1] = uint16_to_float(h, ph->p25);
  p[2] = uint16_to_float(h, ph->p75);
  p[3] = uint16_to_float(h, ph->p100);
}

/* ---------- compression ---------- */

static uint16_t min_u16(int a, int b) { return (uint16_t)(a < b ? a : b); }
static uint16_t max_u16(int a, int b) { return (uint16_t)(a > b ? a : b); }

static int compare_floats(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

/* ComputeColHeader: the percentiles are the order statistics 0, n/4, 3(n/4) and n-1
 * (Kaldi finds them with nth_element; sorting gives the same values), forced strictly
 * increasing. Columns of fewer than 5 rows use their first four sorted values. */
static PerColHeader column_header(const CompressedMatrix *h, float *col, int n) {
  qsort(col, (size_t)n, sizeof(float), compare_floats);
  PerColHeader ph;
  int q = n / 4, i25 = n >= 5 ? q : 1, i75 = n >= 5 ? 3 * q : 2, i100 = n >= 5 ? n - 1 : 3;
  ph.p0 = min_u16(float_to_uint16(h, col[0]), 65532);
  ph.p25 = i25 < n ? min_u16(max_u16(float_to_uint16(h, col[i25]), ph.p0 + 1), 65533) : ph.p0 + 1;
  ph.p75 = i75 < n ? min_u16(max_u16(float_to_uint16(h, col[i75]), ph.p25 + 1), 65534) : ph.p25 + 1;
  ph.p100 = i100 < n ? max_u16(float_to_uint16(h, col[i100]), ph.p75 + 1) : ph.p75 + 1;
  return ph;
}

/* CM: the per-column headers, then each column's bytes. */
static void compress_by_columns(Mat m, CompressedMatrix *c) {
  uint8_t *bytes = c->data + (size_t)c->cols * sizeof(PerColHeader);
  float *col = xmalloc(sizeof(float) * (size_t)m.rows), *sorted = xmalloc(sizeof(float) * (size_t)m.rows);
  for (int j = 0; j < m.cols; j++, bytes += m.rows) {
    for (int i = 0; i < m.rows; i++) col[i] = *mat_at(m, i, j);
    memcpy(sorted, col, sizeof(float) * (size_t)m.rows);
    PerColHeader ph = column_header(c, sorted, m.rows);
    memcpy(c->data + (size_t)j * sizeof ph, &ph, sizeof ph);
    float p[4];
    col_header_floats(c, &ph, p);
    for (int i = 0; i < m.rows; i++) bytes[i] = float_to_char(p, col[i]);
  }
  free(col);
  free(sorted);
}

/* ComputeGlobalHeader: the format and the [min_value, min_value + range] scale. */
static bool global_header(Mat m, int requested, CompressedMatrix *c, char *err, size_t errlen) {
  int method = requested;
  if (method == CM_AUTOMATIC) method = m.rows > 8 ? CM_SPEECH_FEATURE : CM_TWO_BYTE_AUTO;
  c->format = method == CM_SPEECH_FEATURE ? 1 : method <= CM_TWO_BYTE_SIGNED_INTEGER ? 2 : 3;
  c->rows = m.rows;
  c->cols = m.cols;
  if (method == CM_TWO_BYTE_SIGNED_INTEGER) c->min_value = -32768.0f, c->range = 65535.0f;
  else if (method == CM_ONE_BYTE_UNSIGNED_INTEGER) c->min_value = 0.0f, c->range = 255.0f;
  else if (method == CM_ONE_BYTE_ZERO_ONE) c->min_value = 0.0f, c->range = 1.0f;
  else {
    /* Matrix::Min() and Max(): a scan in row order with strict comparisons. */
    float min_value = m.data[0], max_value = m.data[0];
    for (int i = 0; i < m.rows; i++)
      for (int j = 0; j < m.cols; j++) {
        float x = *mat_at(m, i, j);
        if (x < min_value) min_value = x;
        if (x > max_value) max_value = x;
      }
    /* A constant matrix gets a positive range (computed in double, as Kaldi's). */
    if (max_value == min_value) max_value = (float)(min_value + (1.0 + fabs(min_value)));
    if (!isfinite(min_value) || !isfinite(max_value))
      FAIL("cannot compress a matrix with infinities (compression method %d)", requested);
    c->min_value = min_value;
    c->range = max_value - min_value;
  }
  return true;
}

bool cmat_compress(Mat m, int method, CompressedMatrix *c, char *err, size_t errlen) {
  if (method < CM_AUTOMATIC || method > CM_ONE_BYTE_ZERO_ONE)
    FAIL("invalid compression method %d (Kaldi's CompressionMethod, 1 to 7)", method);
  for (int i = 0; i < m.rows; i++)
    for (int j = 0; j < m.cols; j++)
      if (isnan(*mat_at(m, i, j))) FAIL("cannot compress a matrix with a NaN (row %d, column %d)", i, j);
  cmat_free(c);
  c->format = 1;
  if (m.rows == 0 || m.cols == 0) return true; /* Kaldi stores the empty matrix as CM 0 x 0 */
  if (!global_header(m, method, c, err, errlen)) return false;
  c->data = xmalloc(cmat_data_size(c));
  if (c->format == 1) {
    compress_by_columns(m, c);
    return true;
  }
  for (int i = 0; i < m.rows; i++) {
    const float *x = mat_row(m, i);
    for (int j = 0; j < m.cols; j++) {
      size_t k = (size_t)i * (size_t)m.cols + (size_t)j;
      if (c->format == 2) {
        uint16_t v = float_to_uint16(c, x[j]);
        memcpy(c->data + 2 * k, &v, 2);
      } else {
        c->data[k] = float_to_uint8(c, x[j]);
      }
    }
  }
  return true;
}

/* ---------- decompression (CopyToMat) ---------- */

void cmat_decompress(const CompressedMatrix *c, Mat *m) {
  mat_release(m);
  *m = mat_alloc(c->rows, c->cols);
  if (c->rows == 0) return;
  if (c->format == 1) {
    const uint8_t *bytes = c->data + (size_t)c->cols * sizeof(PerColHeader);
    for (int j = 0; j < c->cols; j++, bytes += c->rows) {
      PerColHeader ph;
      memcpy(&ph, c->data + (size_t)j * sizeof ph, sizeof ph);
      float p[4];
      col_header_floats(c, &ph, p);
      for (int i = 0; i < c->rows; i++) *mat_at(*m, i, j) = char_to_float(p, bytes[i]);
    }
    return;
  }
  /* The step is the double product range * (1.0 / 65535.0) (or / 255.0) rounded to float;
   * each value is min_value + v * step in float. */
  float step = (float)(c->range * (c->format == 2 ? 1.0 / 65535.0 : 1.0 / 255.0));
  for (int i = 0; i < c->rows; i++) {
    float *x = mat_row(*m, i);
    for (int j = 0; j < c->cols; j++) {
      size_t k = (size_t)i * (size_t)c->cols + (size_t)j;
      uint16_t v;
      if (c->format == 2) memcpy(&v, c->data + 2 * k, 2);
      else v = c->data[k];
      x[j] = c->min_value + (float)v * step;
    }
  }
}

/* ---------- options ---------- */

CompressOpts compress_opts_default(void) { return (CompressOpts){false, CM_AUTOMATIC}; }

void compress_opts_register(CompressOpts *o, Options *po) {
  opts_bool(po, "compress", &o->compress, "If true, write output in compressed form (Kaldi's CompressedMatrix)");
  opts_int(po, "compression-method", &o->method,
           "Only relevant if --compress=true; the method (1 through 7) to compress the matrix: 1 automatic "
           "(2 above 8 rows, else 3), 2 speech feature (CM), 3 two-byte auto (CM2), 4 two-byte signed "
           "integer, 5 one-byte auto (CM3), 6 one-byte unsigned integer, 7 one-byte zero-one, as Kaldi's "
           "CompressionMethod");
}
