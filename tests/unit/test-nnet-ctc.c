/* CTC loss, gradient and Hessian-vector product against brute force: every one of the
 * K^T paths is enumerated, those collapsing to the labels kept; then
 *   loss = -log sum_pi exp(score pi), grad = -E[phi], H u = -(E[phi (phi.u)] - E[phi] (E[phi].u))
 * with phi(pi)_{t,k} = [pi_t = k] and expectations under P(pi | labels). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "nnet/ctc.h"
#include "testing.h"

enum { T = 6, K = 3 };

static bool collapses_to(const int *path, const int *lab, int L) {
  int n = 0, prev = -1;
  for (int t = 0; t < T; t++) {
    if (path[t] != prev && path[t] != 0) {
      if (n == L || lab[n] != path[t]) return false;
      n++;
    }
    prev = path[t];
  }
  return n == L;
}

static void brute(const float *z, const float *u, const int *lab, int L, double *loss, double *grad, double *hu) {
  int npaths = 1;
  for (int t = 0; t < T; t++) npaths *= K;
  double m = -INFINITY, *score = malloc(sizeof(double) * npaths), *pu = malloc(sizeof(double) * npaths);
  int (*paths)[T] = malloc(sizeof(int[T]) * npaths);
  bool *ok = malloc(sizeof(bool) * npaths);
  for (int p = 0; p < npaths; p++) {
    int c = p;
    score[p] = 0, pu[p] = 0;
    for (int t = 0; t < T; t++, c /= K) {
      paths[p][t] = c % K;
      score[p] += z[t * K + c % K];
      pu[p] += u[t * K + c % K];
    }
    ok[p] = collapses_to(paths[p], lab, L);
    if (ok[p] && score[p] > m) m = score[p];
  }
  double s = 0;
  for (int p = 0; p < npaths; p++) if (ok[p]) s += exp(score[p] - m);
  *loss = -(m + log(s));
  double Eu = 0;
  memset(grad, 0, sizeof(double) * T * K);
  memset(hu, 0, sizeof(double) * T * K);
  for (int p = 0; p < npaths; p++) {
    if (!ok[p]) continue;
    double P = exp(score[p] - m) / s;
    Eu += P * pu[p];
    for (int t = 0; t < T; t++) grad[t * K + paths[p][t]] -= P, hu[t * K + paths[p][t]] -= P * pu[p];
  }
  for (int i = 0; i < T * K; i++) hu[i] -= grad[i] * Eu; /* -(E[phi phi.u] - E[phi] E[phi.u]) */
  free(score); free(pu); free(paths); free(ok);
}

static void check_case_z(const int *lab, int L, uint64_t seed, const float *zin) {
  Rng r;
  rng_seed(&r, seed);
  float z[T * K], u[T * K], g[T * K], h[T * K], g2[T * K];
  for (int t = 0; t < T; t++) { /* rows of log-softmax outputs */
    double s = 0;
    for (int k = 0; k < K; k++) z[t * K + k] = (float)rng_gauss(&r), s += exp(z[t * K + k]);
    for (int k = 0; k < K; k++) z[t * K + k] -= (float)log(s);
  }
  if (zin) memcpy(z, zin, sizeof(z));
  for (int i = 0; i < T * K; i++) u[i] = (float)rng_gauss(&r);
  double *work = malloc(sizeof(double) * nnet_ctc_work_doubles(T, L, K));
  double bl, bg[T * K], bh[T * K];
  brute(z, u, lab, L, &bl, bg, bh);
  double loss = nnet_ctc_utt_hvp(z, K, T, K, lab, L, u, K, 0.5f, g, h, K, work);
  double loss2 = nnet_ctc_utt(z, K, T, K, lab, L, 1.0f, g2, K, work);
  CHECK_NEAR(loss, bl, 1e-9 * fabs(bl) + 1e-12);
  CHECK_NEAR(loss2, bl, 1e-9 * fabs(bl) + 1e-12);
  for (int i = 0; i < T * K; i++) {
    CHECK_NEAR(g2[i], bg[i], 1e-6);
    CHECK_NEAR(g[i], 0.5 * bg[i], 1e-6);
    CHECK_NEAR(h[i], 0.5 * bh[i], 1e-5);
  }
  free(work);
}

static void check_case(const int *lab, int L, uint64_t seed) { check_case_z(lab, L, seed, NULL); }

static void test_labels_12(void) { check_case((int[]){1, 2}, 2, 1); }
static void test_repeat_11(void) { check_case((int[]){1, 1}, 2, 2); }
static void test_single(void) { check_case((int[]){2}, 1, 3); }
static void test_empty(void) { check_case(NULL, 0, 4); }
static void test_tight_fit(void) { check_case((int[]){1, 1, 2, 2}, 4, 5); } /* needs exactly 6 frames */
static void test_long(void) { check_case((int[]){2, 1, 2}, 3, 6); }

static void test_infeasible(void) {
  int lab[] = {1, 1, 1, 2}; /* needs 6 frames; give 5 */
  CHECK(nnet_ctc_min_frames(lab, 4) == 6);
  float z[5 * K] = {0}, g[5 * K];
  for (int i = 0; i < 5 * K; i++) g[i] = 7;
  double work[1024];
  double loss = nnet_ctc_utt(z, K, 5, K, lab, 4, 1.0f, g, K, work);
  CHECK(isinf(loss) && loss > 0);
  for (int i = 0; i < 5 * K; i++) CHECK(g[i] == 0);
}

/* Very peaked posteriors: still finite, still exact (log space, double). */
static void test_extreme_values(void) {
  int lab[] = {1, 2};
  float z[T * K], g[T * K];
  for (int t = 0; t < T; t++) {
    z[t * K + 0] = 0, z[t * K + 1] = -300, z[t * K + 2] = -600;
  }
  double work[4096];
  double loss = nnet_ctc_utt(z, K, T, K, lab, 2, 1.0f, g, K, work);
  CHECK(isfinite(loss));
  CHECK(loss > 800 && loss < 1000);
  double s = 0;
  for (int i = 0; i < T * K; i++) {
    CHECK(isfinite(g[i]));
    s += g[i];
  }
  CHECK_NEAR(s, -T, 1e-5); /* each frame's occupancies sum to 1 */
}

/* Labels the outputs rule out by ~1000 nats a frame: the fast path's exponentials
 * underflow and the exact log-sum-exp takes over; still equal to brute force. */
static void test_underflow_fallback(void) {
  float z[T * K];
  for (int t = 0; t < T; t++) z[t * K] = 0, z[t * K + 1] = -900 - 100 * t, z[t * K + 2] = -1500 + 50 * t;
  check_case_z((int[]){1, 2}, 2, 7, z);
  check_case_z((int[]){2, 1, 2}, 3, 8, z);
}

int main(void) {
  RUN(test_underflow_fallback);
  RUN(test_labels_12);
  RUN(test_repeat_11);
  RUN(test_single);
  RUN(test_empty);
  RUN(test_tight_fit);
  RUN(test_long);
  RUN(test_infeasible);
  RUN(test_extreme_values);
  return test_summary();
}
