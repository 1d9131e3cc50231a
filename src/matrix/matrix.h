/* Float32 matrices and vectors with a row stride, and the BLAS wrappers every
 * product in the toolkit goes through. Row-major; a Mat is a small value that
 * either owns its data (made by mat_alloc, released by mat_release) or is a view
 * into another (mat_rows, mat_view), which is never released. */
#ifndef MATRIX_MATRIX_H
#define MATRIX_MATRIX_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
  float *data;
  int rows, cols;
  int stride; /* floats between the starts of consecutive rows, >= cols */
} Mat;

typedef struct {
  float *data;
  int dim;
} Vec;

Mat mat_alloc(int rows, int cols);      /* zeroed; caller releases */
void mat_release(Mat *m);               /* frees an owned matrix, leaves it empty */
void mat_resize(Mat *m, int rows, int cols); /* owned matrix: reallocates, zeroed */
Mat mat_view(float *data, int rows, int cols, int stride);
Mat mat_rows(Mat m, int first, int n);  /* view of rows [first, first+n) */
Mat mat_cols(Mat m, int first, int n);  /* view of cols [first, first+n) */
static inline float *mat_row(Mat m, int r) { return m.data + (size_t)r * (size_t)m.stride; }
static inline float *mat_at(Mat m, int r, int c) { return m.data + (size_t)r * (size_t)m.stride + c; }

void mat_zero(Mat m);
void mat_set(Mat m, float value);
void mat_copy(Mat dst, Mat src);        /* same shape */
void mat_scale(Mat m, float alpha);
void mat_add(Mat dst, float alpha, Mat src); /* dst += alpha * src */
bool mat_same_shape(Mat a, Mat b);
double mat_sum(Mat m);
float mat_max_abs_diff(Mat a, Mat b);
/* True when every element is finite; else false with the first NaN or infinity's
 * position in *row, *col (row-major order). */
bool mat_all_finite(Mat m, int *row, int *col);

/* C = alpha * op(A) * op(B) + beta * C, op(X) = X or X^T (cblas_sgemm). On a team of
 * several threads a large product splits C among them, with one thread's bits. */
void mat_gemm(bool trans_a, bool trans_b, float alpha, Mat a, Mat b, float beta, Mat c);
/* y = alpha * op(A) * x + beta * y (cblas_sgemv). */
void mat_gemv(bool trans_a, float alpha, Mat a, const float *x, float beta, float *y);
/* A += alpha * x * y^T (cblas_sger). */
void mat_ger(float alpha, const float *x, const float *y, Mat a);
/* A right operand packed once for many products with few rows (packed.c): op(W), k x n,
 * in panels of MAT_PANEL columns. data points into the caller's buffer of
 * mat_packed_floats(k, n) floats. */
#define MAT_PANEL 16
typedef struct {
  const float *data;
  int k, n;
} MatPacked;
size_t mat_packed_floats(int k, int n);
MatPacked mat_pack(bool trans, Mat w, float *buf); /* op(W) = W^T when trans */
/* C += A op(W) with op(W) packed: for A of a few rows (an LSTM step's batch), where
 * cblas_sgemm would repack W at every call. Deterministic; C must not overlap A or W. */
void mat_gemm_packed(Mat a, MatPacked w, Mat c);
/* The same on the calling thread alone, whatever the team's size (the same bits). */
void mat_gemm_packed_serial(Mat a, MatPacked w, Mat c);
/* Its code paths, each compiled for an instruction set; mat_gemm_packed takes the
 * widest the CPU has (mat_simd_best), the same on every call. For tests. */
typedef enum { MAT_SIMD_BASE, MAT_SIMD_AVX2, MAT_SIMD_AVX512 } MatSimd;
MatSimd mat_simd_best(void);
void mat_gemm_packed_simd(MatSimd simd, Mat a, MatPacked w, Mat c);
/* dst[c] += alpha * sum over rows of m[r][c]: a bias gradient. */
void mat_add_col_sums(float *dst, float alpha, Mat m);
/* The same into dst and dst2 (different arrays) in one pass over m: each gets the bits of
 * its own mat_add_col_sums (an LSTM's b_ih and b_hh gradients, both sums of dL/da). */
void mat_add_col_sums2(float *dst, float *dst2, float alpha, Mat m);
/* Every row of m += v. */
void mat_add_row_vec(Mat m, const float *v);

Vec vec_alloc(int dim);                 /* zeroed; caller releases */
void vec_release(Vec *v);

/* Flat float-array helpers (parameter-space operations in training and meta-learning). */
void vec_axpy(int n, float alpha, const float *x, float *y);   /* y += alpha x */
float vec_dot(int n, const float *x, const float *y);
void vec_scale(int n, float alpha, float *x);
double vec_norm2(int n, const float *x);                       /* Euclidean norm */

/* Threads the matrix team (team.h) may use: mat_gemm's large products, mat_gemm_packed's,
 * the recurrent layers' passes and the elementwise passes split among them.
 * OpenBLAS itself then runs on one thread (see mat_gemm). 0 leaves the defaults:
 * OpenBLAS's threads, and one thread for the team. Process-wide, as OpenBLAS's setting is. */
void mat_set_num_threads(int n);

#endif
