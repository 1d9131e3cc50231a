/* Unit tests for src/matrix: views, strides, the BLAS wrappers against plain loops, the
 * products on several threads (one thread's bits), the packed few-row product against
 * sgemm and on several threads, column sums, and the non-finite scan. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "base/util.h"
#include "matrix/matrix.h"
#include "testing.h"

static void fill(Mat m, Rng *r) {
  for (int i = 0; i < m.rows; i++)
    for (int j = 0; j < m.cols; j++) *mat_at(m, i, j) = (float)rng_gauss(r);
}

static void test_gemm_all_transposes(void) {
  Rng r;
  rng_seed(&r, 1);
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++) {
      int m = 5, n = 4, k = 3;
      Mat a = ta ? mat_alloc(k, m) : mat_alloc(m, k);
      Mat b = tb ? mat_alloc(n, k) : mat_alloc(k, n);
      Mat big = mat_alloc(m + 2, n + 3); /* C is a strided view inside it */
      Mat c = mat_view(mat_at(big, 1, 2), m, n, big.stride);
      fill(a, &r); fill(b, &r); fill(c, &r);
      Mat c0 = mat_alloc(m, n);
      mat_copy(c0, c);
      mat_gemm(ta, tb, 2.0f, a, b, 0.5f, c);
      for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
          double s = 0;
          for (int p = 0; p < k; p++)
            s += (double)(ta ? *mat_at(a, p, i) : *mat_at(a, i, p)) * (tb ? *mat_at(b, j, p) : *mat_at(b, p, j));
          CHECK_NEAR(*mat_at(c, i, j), 2 * s + 0.5 * *mat_at(c0, i, j), 1e-5);
        }
      CHECK(*mat_at(big, 0, 0) == 0 && *mat_at(big, m + 1, n + 2) == 0); /* outside untouched */
      mat_release(&a); mat_release(&b); mat_release(&big); mat_release(&c0);
    }
}

/* A product large enough to split among the team (rows of C, or columns when C is wider
 * than tall, in blocks starting at multiples of 16) gives one thread's bits on 2-4
 * threads, for every transpose, lengths that are not multiples of 16, beta 0 and not;
 * C is a strided view whose surroundings stay untouched. */
static void test_gemm_threads(void) {
  Rng r;
  rng_seed(&r, 9);
  int shapes[][3] = {{1000, 300, 70}, {70, 300, 1000}, {513, 129, 257}, {40, 4000, 33}};
  for (size_t s = 0; s < sizeof(shapes) / sizeof(*shapes); s++)
    for (int ta = 0; ta < 2; ta++)
      for (int tb = 0; tb < 2; tb++)
        for (int z = 0; z < 2; z++) {
          int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
          float beta = z ? 0.0f : 0.5f;
          Mat a = ta ? mat_alloc(k, m) : mat_alloc(m, k), b = tb ? mat_alloc(n, k) : mat_alloc(k, n);
          Mat big = mat_alloc(m + 2, n + 3), c = mat_view(mat_at(big, 1, 2), m, n, big.stride);
          Mat c0 = mat_alloc(m, n), one = mat_alloc(m, n);
          fill(a, &r), fill(b, &r), fill(c0, &r);
          mat_set_num_threads(1);
          mat_copy(one, c0);
          mat_gemm(ta, tb, 1.5f, a, b, beta, one);
          for (int t = 2; t <= 4; t++) {
            mat_set_num_threads(t);
            mat_copy(c, c0);
            mat_gemm(ta, tb, 1.5f, a, b, beta, c);
            bool same = true;
            for (int i = 0; i < m; i++)
              same = same && memcmp(mat_row(c, i), mat_row(one, i), sizeof(float) * (size_t)n) == 0;
            CHECK(same);
          }
          mat_set_num_threads(1);
          CHECK(*mat_at(big, 0, 0) == 0 && *mat_at(big, m + 1, n + 2) == 0 && *mat_at(big, 1, 0) == 0);
          CHECK(*mat_at(big, 1, n + 2) == 0);
          mat_release(&a), mat_release(&b), mat_release(&big), mat_release(&c0), mat_release(&one);
        }
}

/* C += A op(W) through the packed panels (each code path the CPU has) against cblas_sgemm
 * (mat_gemm), for row counts around every block size, k around the slice length and
 * widths that are not multiples of a panel; C is a strided
 * view whose surroundings stay untouched. Each row is also computed alone: the same bits
 * (a row's result does not depend on the rows beside it). */
static void check_gemm_packed(MatSimd simd, int m, int k, int n, bool trans, Rng *r) {
  Mat a = mat_alloc(m, k), w = trans ? mat_alloc(n, k) : mat_alloc(k, n);
  Mat big = mat_alloc(m + 2, n + 3), c = mat_view(mat_at(big, 1, 2), m, n, big.stride);
  Mat c0 = mat_alloc(m, n), ref = mat_alloc(m, n), one = mat_alloc(1, n);
  fill(a, r), fill(w, r), fill(c, r);
  mat_copy(c0, c);
  mat_copy(ref, c);
  float *buf = xmalloc(sizeof(float) * mat_packed_floats(k, n));
  MatPacked wp = mat_pack(trans, w, buf);
  mat_gemm_packed_simd(simd, a, wp, c);
  mat_gemm(false, trans, 1.0f, a, w, 1.0f, ref);
  CHECK(mat_max_abs_diff(c, ref) <= 1e-5f * sqrtf((float)k) * 4);
  for (int i = 0; i < m; i++) {
    mat_copy(one, mat_rows(c0, i, 1));
    mat_gemm_packed_simd(simd, mat_rows(a, i, 1), wp, one);
    CHECK(memcmp(mat_row(one, 0), mat_row(c, i), sizeof(float) * (size_t)n) == 0);
  }
  CHECK(*mat_at(big, 0, 0) == 0 && *mat_at(big, m + 1, n + 2) == 0 && *mat_at(big, 1, 0) == 0);
  CHECK(*mat_at(big, 1, n + 2) == 0);
  free(buf);
  mat_release(&a), mat_release(&w), mat_release(&big), mat_release(&c0), mat_release(&ref), mat_release(&one);
}

static void test_gemm_packed(void) {
  Rng r;
  rng_seed(&r, 5);
  int ms[] = {1, 2, 3, 5, 6, 7, 8, 12, 13, 16, 17, 25, 40}, ks[] = {1, 7, 64, 256, 300}, ns[] = {1, 15, 16, 17, 40, 100};
  for (size_t i = 0; i < sizeof(ms) / sizeof(*ms); i++)
    for (size_t j = 0; j < sizeof(ks) / sizeof(*ks); j++)
      for (size_t l = 0; l < sizeof(ns) / sizeof(*ns); l++)
        for (int t = 0; t < 2; t++)
          for (MatSimd s = MAT_SIMD_BASE; s <= mat_simd_best(); s++) check_gemm_packed(s, ms[i], ks[j], ns[l], t, &r);
}

/* C += A op(W) on 2-4 threads (each a run of panels) gives one thread's bits, for each
 * code path, row counts across the block sizes and widths with a partial last panel;
 * C is a strided view whose surroundings stay untouched. */
static void check_packed_threads(MatSimd simd, int m, int k, int n, bool trans, Rng *r) {
  Mat a = mat_alloc(m, k), w = trans ? mat_alloc(n, k) : mat_alloc(k, n);
  Mat big = mat_alloc(m + 2, n + 3), c = mat_view(mat_at(big, 1, 2), m, n, big.stride), one = mat_alloc(m, n);
  fill(a, r), fill(w, r), fill(one, r);
  float *buf = xmalloc(sizeof(float) * mat_packed_floats(k, n));
  MatPacked wp = mat_pack(trans, w, buf);
  mat_set_num_threads(1);
  Mat c0 = mat_alloc(m, n);
  mat_copy(c0, one);
  mat_gemm_packed_simd(simd, a, wp, one);
  for (int t = 2; t <= 4; t++) {
    mat_set_num_threads(t);
    mat_copy(c, c0);
    mat_gemm_packed_simd(simd, a, wp, c);
    bool same = true;
    for (int i = 0; i < m; i++) same = same && memcmp(mat_row(c, i), mat_row(one, i), sizeof(float) * (size_t)n) == 0;
    CHECK(same);
  }
  mat_set_num_threads(1);
  CHECK(*mat_at(big, 0, 0) == 0 && *mat_at(big, m + 1, n + 2) == 0 && *mat_at(big, 1, 0) == 0);
  CHECK(*mat_at(big, 1, n + 2) == 0);
  free(buf);
  mat_release(&a), mat_release(&w), mat_release(&big), mat_release(&c0), mat_release(&one);
}

static void test_gemm_packed_threads(void) {
  Rng r;
  rng_seed(&r, 6);
  int ms[] = {1, 5, 16, 17, 50}, ks[] = {256, 1000}, ns[] = {256, 1000};
  for (size_t i = 0; i < sizeof(ms) / sizeof(*ms); i++)
    for (size_t j = 0; j < sizeof(ks) / sizeof(*ks); j++)
      for (size_t l = 0; l < sizeof(ns) / sizeof(*ns); l++)
        for (int t = 0; t < 2; t++)
          for (MatSimd s = MAT_SIMD_BASE; s <= mat_simd_best(); s++) check_packed_threads(s, ms[i], ks[j], ns[l], t, &r);
}

/* Two threads that call mat_gemm_packed at once with the team set to 2 threads (one of
 * them then runs its products alone): every product has one thread's bits. */
enum { CONCURRENT_REPS = 100 };
typedef struct {
  Mat a;
  MatPacked w;
  Mat want;
  bool same;
} Concurrent;

static void *concurrent_products(void *arg) {
  Concurrent *j = arg;
  Mat c = mat_alloc(j->a.rows, j->w.n);
  j->same = true;
  for (int i = 0; i < CONCURRENT_REPS; i++) {
    mat_zero(c);
    mat_gemm_packed(j->a, j->w, c);
    for (int r = 0; r < c.rows; r++)
      j->same = j->same && memcmp(mat_row(c, r), mat_row(j->want, r), sizeof(float) * (size_t)c.cols) == 0;
  }
  mat_release(&c);
  return NULL;
}

static void test_gemm_packed_concurrent_callers(void) {
  Rng r;
  rng_seed(&r, 8);
  int k = 256, n = 1024;
  Mat w = mat_alloc(n, k), a = mat_alloc(16, k), want = mat_alloc(16, n);
  fill(w, &r), fill(a, &r);
  float *buf = xmalloc(sizeof(float) * mat_packed_floats(k, n));
  MatPacked wp = mat_pack(true, w, buf);
  mat_set_num_threads(1);
  mat_gemm_packed(a, wp, want);
  Concurrent jobs[2] = {{a, wp, want, false}, {a, wp, want, false}};
  mat_set_num_threads(2);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, concurrent_products, &jobs[1]) == 0);
  concurrent_products(&jobs[0]);
  pthread_join(t, NULL);
  mat_set_num_threads(1);
  CHECK(jobs[0].same && jobs[1].same);
  mat_release(&w), mat_release(&a), mat_release(&want);
  free(buf);
}

/* Bias-gradient column sums, blocked for speed, give the plain loop's bits (each column
 * summed in row order) for widths around the vector and block sizes, on a strided view;
 * the two-destination form gives each destination, from its own values, the same bits. */
static void test_col_sums_match_plain_loop(void) {
  Rng r;
  rng_seed(&r, 9);
  int widths[] = {1, 3, 4, 5, 31, 32, 33, 100, 1023, 1024, 1025, 2100};
  for (size_t i = 0; i < sizeof(widths) / sizeof(*widths); i++) {
    int n = widths[i], rows = 37;
    Mat big = mat_alloc(rows, n + 3), m = mat_cols(big, 1, n);
    fill(big, &r);
    float *got = xmalloc(sizeof(float) * (size_t)n), *want = xmalloc(sizeof(float) * (size_t)n);
    float *got2 = xmalloc(sizeof(float) * (size_t)n), *want2 = xmalloc(sizeof(float) * (size_t)n);
    float *both = xmalloc(sizeof(float) * (size_t)n);
    for (int c = 0; c < n; c++) got[c] = want[c] = both[c] = (float)rng_gauss(&r);
    for (int c = 0; c < n; c++) got2[c] = want2[c] = (float)rng_gauss(&r);
    mat_add_col_sums(got, 0.3f, m);
    for (int c = 0; c < n; c++)
      for (int k = 0; k < rows; k++) want[c] += 0.3f * *mat_at(m, k, c), want2[c] += 0.3f * *mat_at(m, k, c);
    CHECK(memcmp(got, want, sizeof(float) * (size_t)n) == 0);
    mat_add_col_sums2(both, got2, 0.3f, m);
    CHECK(memcmp(both, want, sizeof(float) * (size_t)n) == 0);
    CHECK(memcmp(got2, want2, sizeof(float) * (size_t)n) == 0);
    free(got), free(want), free(got2), free(want2), free(both);
    mat_release(&big);
  }
}

static void test_gemv_ger_and_sums(void) {
  Mat a = mat_alloc(3, 2);
  float vals[] = {1, 2, 3, 4, 5, 6};
  for (int i = 0; i < 6; i++) a.data[i] = vals[i];
  float x[2] = {1, -1}, y[3] = {0, 0, 0}, z[3] = {1, 1, 1}, w[2] = {0, 0};
  mat_gemv(false, 1.0f, a, x, 0.0f, y);
  CHECK(y[0] == -1 && y[1] == -1 && y[2] == -1);
  mat_gemv(true, 1.0f, a, z, 0.0f, w);
  CHECK(w[0] == 9 && w[1] == 12);
  mat_ger(1.0f, z, x, a);
  CHECK(*mat_at(a, 2, 1) == 5);
  float cs[2] = {0, 0};
  mat_add_col_sums(cs, 1.0f, a);
  CHECK(cs[0] == 12 && cs[1] == 9);
  Mat rows = mat_rows(a, 1, 2);
  CHECK(rows.rows == 2 && *mat_at(rows, 0, 0) == 4);
  CHECK_NEAR(vec_norm2(2, x), 1.41421356, 1e-6);
  CHECK(vec_dot(2, x, x) == 2);
  mat_release(&a);
}

static void test_all_finite(void) {
  Mat m = mat_alloc(3, 4);
  int r = -1, c = -1;
  CHECK(mat_all_finite(m, &r, &c) && r == -1);
  *mat_at(m, 2, 1) = INFINITY;
  *mat_at(m, 1, 3) = NAN;
  CHECK(!mat_all_finite(m, &r, &c) && r == 1 && c == 3); /* the first in row-major order */
  Mat v = mat_cols(m, 0, 3);                              /* a view: the stride skips column 3 */
  CHECK(!mat_all_finite(v, &r, &c) && r == 2 && c == 1);
  CHECK(mat_all_finite(mat_rows(v, 0, 2), &r, &c));
  mat_release(&m);
}

int main(void) {
  RUN(test_gemm_all_transposes);
  RUN(test_gemm_threads);
  RUN(test_gemm_packed);
  RUN(test_gemm_packed_threads);
  RUN(test_gemm_packed_concurrent_callers);
  RUN(test_col_sums_match_plain_loop);
  RUN(test_gemv_ger_and_sums);
  RUN(test_all_finite);
  return test_summary();
}
