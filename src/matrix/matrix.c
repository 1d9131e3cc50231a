#include "matrix/matrix.h"

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "matrix/blas-kernels.h"
#include "matrix/team.h"

Mat mat_alloc(int rows, int cols) {
  if (rows < 0 || cols < 0) ERROR("bad matrix shape %d x %d", rows, cols);
  Mat m = {NULL, rows, cols, cols};
  m.data = xcalloc((size_t)rows * (size_t)cols, sizeof(float));
  return m;
}

void mat_release(Mat *m) {
  free(m->data);
  *m = (Mat){NULL, 0, 0, 0};
}

void mat_resize(Mat *m, int rows, int cols) {
  mat_release(m);
  *m = mat_alloc(rows, cols);
}

Mat mat_view(float *data, int rows, int cols, int stride) { return (Mat){data, rows, cols, stride}; }

Mat mat_rows(Mat m, int first, int n) {
  if (first < 0 || n < 0 || first + n > m.rows) ERROR("row range [%d,%d) outside %d rows", first, first + n, m.rows);
  return (Mat){m.data + (size_t)first * (size_t)m.stride, n, m.cols, m.stride};
}

Mat mat_cols(Mat m, int first, int n) {
  if (first < 0 || n < 0 || first + n > m.cols) ERROR("column range [%d,%d) outside %d columns", first, first + n, m.cols);
  return (Mat){m.data + first, m.rows, n, m.stride};
}

void mat_zero(Mat m) {
  if (m.stride == m.cols) {
    memset(m.data, 0, sizeof(float) * (size_t)m.rows * (size_t)m.cols);
    return;
  }
  for (int r = 0; r < m.rows; r++) memset(mat_row(m, r), 0, sizeof(float) * (size_t)m.cols);
}

void mat_set(Mat m, float value) {
  for (int r = 0; r < m.rows; r++) {
    float *row = mat_row(m, r);
    for (int c = 0; c < m.cols; c++) row[c] = value;
  }
}

bool mat_same_shape(Mat a, Mat b) { return a.rows == b.rows && a.cols == b.cols; }

void mat_copy(Mat dst, Mat src) {
  if (!mat_same_shape(dst, src)) ERROR("copy of %dx%d into %dx%d", src.rows, src.cols, dst.rows, dst.cols);
  for (int r = 0; r < src.rows; r++) memcpy(mat_row(dst, r), mat_row(src, r), sizeof(float) * (size_t)src.cols);
}

void mat_scale(Mat m, float alpha) {
  for (int r = 0; r < m.rows; r++) cblas_sscal(m.cols, alpha, mat_row(m, r), 1);
}

void mat_add(Mat dst, float alpha, Mat src) {
  if (!mat_same_shape(dst, src)) ERROR("add of %dx%d into %dx%d", src.rows, src.cols, dst.rows, dst.cols);
  for (int r = 0; r < src.rows; r++) cblas_saxpy(src.cols, alpha, mat_row(src, r), 1, mat_row(dst, r), 1);
}

double mat_sum(Mat m) {
  double s = 0;
  for (int r = 0; r < m.rows; r++)
    for (int c = 0; c < m.cols; c++) s += mat_row(m, r)[c];
  return s;
}

float mat_max_abs_diff(Mat a, Mat b) {
  if (!mat_same_shape(a, b)) return INFINITY;
  float d = 0;
  for (int r = 0; r < a.rows; r++)
    for (int c = 0; c < a.cols; c++) d = fmaxf(d, fabsf(mat_row(a, r)[c] - mat_row(b, r)[c]));
  return d;
}

/* OpenBLAS on its own threads cuts a product between columns of C, which changes bits
 * on some CPUs (below), and a dot product into partial sums; by default it takes every
 * core, so results would depend on the machine. It runs on one thread, from the first
 * product or sum on, in every program (elementwise calls keep their bits anyway). */
static void openblas_one_thread(void) {
  openblas_set_num_threads(1);
  const char *forced = getenv("OPENBLAS_CORETYPE");
  VLOG(1, "OpenBLAS kernels: %s%s%s", blas_kernels(), forced ? ", OPENBLAS_CORETYPE=" : "", forced ? forced : "");
}
static void blas_init(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, openblas_one_thread);
}

static void sgemm(bool ta, bool tb, float alpha, Mat a, Mat b, float beta, Mat c) {
  blas_init();
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, c.rows, c.cols,
              ta ? a.rows : a.cols, alpha, a.data, a.stride, b.data, b.stride, beta, c.data, c.stride);
}

/* On a team of several threads, a large product cuts C into one block of rows for each
 * thread, each block a one-thread sgemm. OpenBLAS's own threads would spin between
 * products (sched_yield) against the team's workers, which run the elementwise work and
 * the recurrent steps in between. Each element of C must be summed over k by the same
 * kernel in the same order as on one thread, so that the bits are one thread's:
 *  - Blocks of rows only. C's rows are the columns of OpenBLAS's column-major product,
 *    which it tiles from the first in steps of its kernel's width (4, 6, 8 or 16 by CPU;
 *    6 on AMD Zen), and an element's bits depend on its place in a tile: so blocks start
 *    at multiples of 48. C's columns, OpenBLAS's rows, it cuts into panels whose sizes
 *    depend on how many rows there are: a cut between columns of C changes bits.
 *  - No block under 2^21 multiply-adds: OpenBLAS has a separate kernel for small
 *    products on some CPUs. */
typedef struct {
  bool ta, tb;
  float alpha, beta;
  Mat a, b, c;
} GemmJob;

#define GEMM_ALIGN 48
#define GEMM_PART_MIN_MADDS (1L << 21)

static void gemm_part(void *arg, int part, int parts) {
  const GemmJob *j = arg;
  int len = j->c.rows, units = (len + GEMM_ALIGN - 1) / GEMM_ALIGN;
  int i0 = units * part / parts * GEMM_ALIGN, i1 = units * (part + 1) / parts * GEMM_ALIGN;
  if (i1 > len) i1 = len;
  if (i0 >= i1) return;
  Mat a = j->ta ? mat_cols(j->a, i0, i1 - i0) : mat_rows(j->a, i0, i1 - i0);
  sgemm(j->ta, j->tb, j->alpha, a, j->b, j->beta, mat_rows(j->c, i0, i1 - i0));
}

void mat_gemm(bool ta, bool tb, float alpha, Mat a, Mat b, float beta, Mat c) {
  int m = ta ? a.cols : a.rows, k = ta ? a.rows : a.cols;
  int kb = tb ? b.cols : b.rows, n = tb ? b.rows : b.cols;
  if (k != kb || c.rows != m || c.cols != n)
    ERROR("gemm shapes: op(A) %dx%d, op(B) %dx%d, C %dx%d", m, k, kb, n, c.rows, c.cols);
  if (m == 0 || n == 0) return;
  if (k == 0) {
    if (beta == 0) mat_zero(c); else mat_scale(c, beta);
    return;
  }
  GemmJob job = {ta, tb, alpha, beta, a, b, c};
  long units = (m + GEMM_ALIGN - 1) / GEMM_ALIGN, most = (long)m * n * k / GEMM_PART_MIN_MADDS;
  long parts = mat_team_size();
  if (parts > units) parts = units;
  if (parts > most) parts = most;
  if (parts < 2) sgemm(ta, tb, alpha, a, b, beta, c);
  else mat_team_run((int)parts, gemm_part, &job);
}

void mat_gemv(bool ta, float alpha, Mat a, const float *x, float beta, float *y) {
  if (a.rows == 0 || a.cols == 0) {
    int ny = ta ? a.cols : a.rows;
    for (int i = 0; i < ny; i++) y[i] = beta == 0 ? 0 : beta * y[i];
    return;
  }
  blas_init();
  cblas_sgemv(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, a.rows, a.cols, alpha, a.data, a.stride, x, 1,
              beta, y, 1);
}

void mat_ger(float alpha, const float *x, const float *y, Mat a) {
  blas_init();
  if (a.rows && a.cols) cblas_sger(CblasRowMajor, a.rows, a.cols, alpha, x, 1, y, 1, a.data, a.stride);
}

typedef float v4sf __attribute__((vector_size(16)));

/* Sums of up to 1024 columns at a time in a buffer of SSE2 vectors that stays in L1,
 * the rows read in memory order, into nd (1 or 2, a constant once inlined) destinations,
 * each with its own accumulators from its own values. Each column is still summed in
 * row order, so each destination gets the plain loop's result, which the compiler
 * leaves scalar (dst may alias m). */
static inline __attribute__((always_inline)) void add_col_sums(int nd, float *const dst[2], float alpha, Mat m) {
  enum { W = 256 }; /* vectors a block and destination */
  v4sf acc[2][W], x;
  int c0 = 0;
  while (m.cols - c0 >= 4) {
    int nv = (m.cols - c0) / 4 < W ? (m.cols - c0) / 4 : W;
    for (int d = 0; d < nd; d++) memcpy(acc[d], dst[d] + c0, sizeof(v4sf) * (size_t)nv);
    for (int r = 0; r < m.rows; r++) {
      const float *row = mat_row(m, r) + c0;
      for (int v = 0; v < nv; v++) {
        memcpy(&x, row + 4 * v, sizeof(x));
        x *= alpha;
        for (int d = 0; d < nd; d++) acc[d][v] += x;
      }
    }
    for (int d = 0; d < nd; d++) memcpy(dst[d] + c0, acc[d], sizeof(v4sf) * (size_t)nv);
    c0 += 4 * nv;
  }
  for (int d = 0; d < nd; d++)
    for (int c = c0; c < m.cols; c++)
      for (int r = 0; r < m.rows; r++) dst[d][c] += alpha * mat_row(m, r)[c];
}

void mat_add_col_sums(float *dst, float alpha, Mat m) { add_col_sums(1, (float *const[2]){dst, NULL}, alpha, m); }

void mat_add_col_sums2(float *dst, float *dst2, float alpha, Mat m) {
  if (dst == dst2) ERROR("mat_add_col_sums2: the two destinations are the same array");
  add_col_sums(2, (float *const[2]){dst, dst2}, alpha, m);
}

void mat_add_row_vec(Mat m, const float *v) {
  for (int r = 0; r < m.rows; r++) {
    float *row = mat_row(m, r);
    for (int c = 0; c < m.cols; c++) row[c] += v[c];
  }
}

Vec vec_alloc(int dim) {
  if (dim < 0) ERROR("bad vector dim %d", dim);
  return (Vec){xcalloc((size_t)dim, sizeof(float)), dim};
}

void vec_release(Vec *v) {
  free(v->data);
  *v = (Vec){NULL, 0};
}

void vec_axpy(int n, float alpha, const float *x, float *y) { cblas_saxpy(n, alpha, x, 1, y, 1); }
float vec_dot(int n, const float *x, const float *y) {
  blas_init();
  return cblas_sdot(n, x, 1, y, 1);
}
void vec_scale(int n, float alpha, float *x) { cblas_sscal(n, alpha, x, 1); }

double vec_norm2(int n, const float *x) {
  double s = 0;
  for (int i = 0; i < n; i++) s += (double)x[i] * x[i];
  return sqrt(s);
}

void mat_set_num_threads(int n) {
  if (n <= 0) return;
  mat_team_set_size(n); /* the team splits the products (mat_gemm), OpenBLAS does not */
}

bool mat_all_finite(Mat m, int *row, int *col) {
  for (int r = 0; r < m.rows; r++) {
    const float *p = mat_row(m, r);
    for (int c = 0; c < m.cols; c++)
      if (!isfinite(p[c])) {
        *row = r, *col = c;
        return false;
      }
  }
  return true;
}
