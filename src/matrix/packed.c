/* Products of a few rows with a packed right operand (matrix.h: mat_pack,
 * mat_gemm_packed), for the recurrent step of an LSTM: C (B x n) += A (B x k) op(W),
 * the same W at every time step. cblas_sgemm repacks W at each call, which for B of
 * 5-16 rows costs about as much as the product; here W is packed once into panels of
 * MAT_PANEL columns, each stored k-major (MAT_PANEL floats a row of op(W), the last
 * panel padded with zeros), and the product streams the panels.
 *
 * Written with GCC/Clang vector extensions and compiled three times (packed-kernel.h),
 * for AVX-512, AVX2+FMA and the x86-64 baseline (SSE2) with vectors of their width,
 * chosen at run time; they differ only in how many rows share a pass over the panels
 * (what their registers hold). Every C element is its own sum over k in order, from zero,
 * then added to C: the result does not depend on the rows around it, on B, or on
 * threads (on one machine; the targets may round differently from each other).
 * With mat_set_num_threads(n > 1), a large enough product splits its panels among n
 * threads of a persistent team (team.c). */
#include <string.h>

#include "base/log.h"
#include "matrix/matrix.h"
#include "matrix/team.h"

size_t mat_packed_floats(int k, int n) {
  size_t panels = (size_t)(n + MAT_PANEL - 1) / MAT_PANEL;
  return panels * (size_t)k * MAT_PANEL;
}

MatPacked mat_pack(bool trans, Mat w, float *buf) {
  int k = trans ? w.cols : w.rows, n = trans ? w.rows : w.cols;
  MatPacked p = {buf, k, n};
  for (int c0 = 0; c0 < n; c0 += MAT_PANEL) {
    int width = n - c0 < MAT_PANEL ? n - c0 : MAT_PANEL;
    float *panel = buf + (size_t)c0 * (size_t)k;
    if (width < MAT_PANEL) memset(panel, 0, sizeof(float) * (size_t)k * MAT_PANEL); /* the padding */
    if (!trans) {
      for (int r = 0; r < k; r++)
        memcpy(panel + (size_t)r * MAT_PANEL, mat_at(w, r, c0), sizeof(float) * (size_t)width);
      continue;
    }
    for (int r0 = 0; r0 < k; r0 += 16) { /* 16 x 16 tiles: a cache line of each of W's rows */
      int r1 = r0 + 16 < k ? r0 + 16 : k;
      for (int j = 0; j < width; j++)
        for (int r = r0; r < r1; r++) panel[(size_t)r * MAT_PANEL + j] = *mat_at(w, c0 + j, r);
    }
  }
  return p;
}

#define KC 256 /* k a pass: the packed rows of A (KC x rows) stay in L1 */
#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* Rows a pass: 16 accumulators of one zmm (of 32 registers), 6 of two ymm (of 16), 3 of
 * four xmm (of 16). */
#define PK(name) name##_avx512
#define PK_TARGET __attribute__((target("avx512f")))
#define PK_FLOATS 16
#define PK_ROWS 16
#include "matrix/packed-kernel.h"

#define PK(name) name##_avx2
#define PK_TARGET __attribute__((target("avx2,fma")))
#define PK_FLOATS 8
#define PK_ROWS 6
#include "matrix/packed-kernel.h"

#define PK(name) name##_base
#define PK_TARGET
#define PK_FLOATS 4
#define PK_ROWS 3
#include "matrix/packed-kernel.h"

MatSimd mat_simd_best(void) {
  if (__builtin_cpu_supports("avx512f")) return MAT_SIMD_AVX512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return MAT_SIMD_AVX2;
  return MAT_SIMD_BASE;
}

static void gemm_serial(MatSimd simd, Mat a, MatPacked w, Mat c) {
  if (simd == MAT_SIMD_AVX512) gemm_avx512(a, w, c);
  else if (simd == MAT_SIMD_AVX2) gemm_avx2(a, w, c);
  else gemm_base(a, w, c);
}

/* On several threads, the panels (output columns) are cut into runs for all the rows,
 * each taken by whichever thread is free: every element of C is still computed by
 * the same code from the same operands in the same order, so the bits are one thread's. */
typedef struct {
  MatSimd simd;
  Mat a, c;
  MatPacked w;
} PackedJob;

static void gemm_part(void *arg, int part, int parts) {
  const PackedJob *j = arg;
  int panels = (j->w.n + MAT_PANEL - 1) / MAT_PANEL;
  int p0 = (int)((long)panels * part / parts), p1 = (int)((long)panels * (part + 1) / parts);
  if (p0 == p1) return;
  int c0 = p0 * MAT_PANEL, c1 = p1 * MAT_PANEL < j->w.n ? p1 * MAT_PANEL : j->w.n;
  MatPacked w = {j->w.data + (size_t)c0 * (size_t)j->w.k, j->w.k, c1 - c0};
  gemm_serial(j->simd, j->a, w, mat_cols(j->c, c0, c1 - c0));
}

/* Multiply-adds below which a product stays on one thread: a hand-off to a spinning
 * worker costs about a microsecond (1e5 multiply-adds). One run of panels a thread:
 * more runs repack A's rows more often, and a run the worker has not claimed yet goes to
 * the caller anyway. */
#define THREAD_MIN_MADDS (1L << 19)

static void check_shapes(Mat a, MatPacked w, Mat c) {
  if (a.cols != w.k || c.rows != a.rows || c.cols != w.n)
    ERROR("packed gemm shapes: A %dx%d, W %dx%d, C %dx%d", a.rows, a.cols, w.k, w.n, c.rows, c.cols);
}

void mat_gemm_packed_simd(MatSimd simd, Mat a, MatPacked w, Mat c) {
  check_shapes(a, w, c);
  if (simd > mat_simd_best()) ERROR("packed gemm: code path %d needs instructions this CPU lacks", (int)simd);
  int panels = (w.n + MAT_PANEL - 1) / MAT_PANEL, threads = mat_team_size();
  if (threads < 2 || panels < 2 || (long)a.rows * w.k * w.n < THREAD_MIN_MADDS) {
    gemm_serial(simd, a, w, c);
    return;
  }
  PackedJob job = {simd, a, c, w};
  mat_team_run(panels < threads ? panels : threads, gemm_part, &job);
}

void mat_gemm_packed(Mat a, MatPacked w, Mat c) { mat_gemm_packed_simd(mat_simd_best(), a, w, c); }

void mat_gemm_packed_serial(Mat a, MatPacked w, Mat c) {
  check_shapes(a, w, c);
  gemm_serial(mat_simd_best(), a, w, c);
}
