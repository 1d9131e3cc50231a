/* CTC loss, gradient and Hessian-vector product for one utterance (equations in ctc.h).
 * Log-space forward-backward in double; the tangent recursions for H u carry
 * derivatives of log alpha / log beta, whose weights (posteriors of the predecessor
 * states) lie in [0, 1], so they are as stable as the recursions themselves.
 *
 * Speed: log-sum-exp over a state's 2-3 predecessors costs one exp and one log per
 * state per frame: the previous frame's values are exponentiated once, relative to
 * their maximum M (e_j = exp(v_j - M)), and the sum for a state is M + log(sum of its
 * e_j). A state whose predecessors all underflow relative to M (e_j = 0 while some
 * v_j is finite: more than ~700 nats below the frame's best state) is recomputed
 * exactly with the full log-sum-exp, so the result is the log-space one in every case.
 *
 * work layout: la, lb (T x S), then for H u: ra, rb (T x S); then 2K accumulators,
 * then 2S for the exponentiated frame. */
#include "nnet/ctc.h"

#include <math.h>
#include <string.h>

int nnet_ctc_min_frames(const int *lab, int L) {
  int n = L;
  for (int i = 1; i < L; i++) n += lab[i] == lab[i - 1];
  return n;
}

size_t nnet_ctc_work_doubles(int T, int L, int K) {
  size_t S = 2 * (size_t)L + 1;
  return 4 * (size_t)T * S + 2 * (size_t)K + 2 * S;
}

/* Label of extended state s: blank at even s. */
static inline int ext(const int *lab, int s) { return (s & 1) ? lab[s >> 1] : 0; }
/* May state s be entered from s-2 (skipping a blank)? */
static inline bool skip_ok(const int *lab, int s) { return (s & 1) && s >= 2 && lab[s >> 1] != lab[(s >> 1) - 1]; }

/* The larger of a and b: fmax without its call (GCC does not inline it). The same for
 * numbers; where a NaN comes in, the result is NaN either way (the caller then skips the
 * utterance for its non-finite loss). */
static inline double max2(double a, double b) { return a > b ? a : b; }

static inline double lse3(double a, double b, double c) {
  double m = max2(a, max2(b, c));
  if (m == -INFINITY) return -INFINITY;
  return m + log(exp(a - m) + exp(b - m) + exp(c - m));
}

typedef struct {
  const float *z;
  int ld, T, K, S;
  const int *lab;
  double *la, *lb;
  double *e, *q; /* S each: exponentiated frame, shifted values */
} Lattice;

/* e[s] = exp(v[s] - M) for the S values v; returns M (-inf when all are -inf). */
static double exp_frame(const double *v, int S, double *e) {
  double M = -INFINITY;
  for (int s = 0; s < S; s++) M = max2(M, v[s]);
  if (M == -INFINITY) {
    for (int s = 0; s < S; s++) e[s] = 0;
    return M;
  }
  for (int s = 0; s < S; s++) e[s] = exp(v[s] - M);
  return M;
}

/* log(exp(v[i]) + exp(v[j]) [+ exp(v[k]) if k >= 0]) given e = exp(v - M). */
static inline double lse_sum(const double *v, const double *e, double M, int i, int j, int k) {
  double sum = e[i] + (j >= 0 ? e[j] : 0) + (k >= 0 ? e[k] : 0);
  if (sum > 1e-280) return M + log(sum);
  return lse3(v[i], j >= 0 ? v[j] : -INFINITY, k >= 0 ? v[k] : -INFINITY); /* underflow: exact */
}

static inline double zs(const Lattice *g, int t, int s) { return g->z[(size_t)t * g->ld + ext(g->lab, s)]; }

static void forward(Lattice *g) {
  int S = g->S;
  for (int s = 0; s < S; s++) g->la[s] = -INFINITY;
  g->la[0] = zs(g, 0, 0);
  if (S > 1) g->la[1] = zs(g, 0, 1);
  for (int t = 1; t < g->T; t++) {
    const double *p = g->la + (size_t)(t - 1) * S;
    double *a = g->la + (size_t)t * S, M = exp_frame(p, S, g->e);
    for (int s = 0; s < S; s++) {
      double v = lse_sum(p, g->e, M, s, s - 1, skip_ok(g->lab, s) ? s - 2 : -1);
      a[s] = v == -INFINITY ? v : v + zs(g, t, s);
    }
  }
}

/* Successor values of frame t+1: q[s] = log beta_{t+1}(s) + z_{t+1}(l'_s). */
static void successors(const Lattice *g, int t, double *q) {
  const double *n = g->lb + (size_t)(t + 1) * g->S;
  for (int s = 0; s < g->S; s++) q[s] = n[s] + zs(g, t + 1, s);
}

static void backward(Lattice *g) {
  int S = g->S, T = g->T;
  double *last = g->lb + (size_t)(T - 1) * S;
  for (int s = 0; s < S; s++) last[s] = s >= S - 2 ? 0 : -INFINITY;
  for (int t = T - 2; t >= 0; t--) {
    double *b = g->lb + (size_t)t * S;
    successors(g, t, g->q);
    double M = exp_frame(g->q, S, g->e);
    for (int s = 0; s < S; s++)
      b[s] = lse_sum(g->q, g->e, M, s, s + 1 < S ? s + 1 : -1, s + 2 < S && skip_ok(g->lab, s + 2) ? s + 2 : -1);
  }
}

static double log_prob(const Lattice *g) {
  const double *a = g->la + (size_t)(g->T - 1) * g->S;
  return lse3(a[g->S - 1], g->S > 1 ? a[g->S - 2] : -INFINITY, -INFINITY);
}

/* Tangents of log alpha (ra) and log beta (rb) along u: each is the posterior-weighted
 * mean of its predecessors' (successors') tangents, the weights e_j / sum e_j. */
static void tangents(Lattice *g, const float *u, int ldu, double *ra, double *rb) {
  int S = g->S, T = g->T;
  double *e = g->e;
#define U(t, s) ((double)u[(size_t)(t) * ldu + ext(g->lab, s)])
  for (int s = 0; s < S; s++) ra[s] = s < 2 ? U(0, s) : 0;
  for (int t = 1; t < T; t++) {
    const double *pa = g->la + (size_t)(t - 1) * S, *pr = ra + (size_t)(t - 1) * S;
    const double *a = g->la + (size_t)t * S;
    double *r = ra + (size_t)t * S;
    exp_frame(pa, S, e);
    for (int s = 0; s < S; s++) {
      if (a[s] == -INFINITY) { r[s] = 0; continue; }
      int k = skip_ok(g->lab, s) ? s - 2 : -1;
      double sum = e[s] + (s >= 1 ? e[s - 1] : 0) + (k >= 0 ? e[k] : 0), acc;
      if (sum > 1e-280) {
        acc = e[s] * pr[s] + (s >= 1 ? e[s - 1] * pr[s - 1] : 0) + (k >= 0 ? e[k] * pr[k] : 0);
        acc /= sum;
      } else { /* underflow relative to M: exact weights */
        double base = a[s] - zs(g, t, s);
        acc = exp(pa[s] - base) * pr[s] + (s >= 1 ? exp(pa[s - 1] - base) * pr[s - 1] : 0) +
              (k >= 0 ? exp(pa[k] - base) * pr[k] : 0);
      }
      r[s] = U(t, s) + acc;
    }
  }
  for (int s = 0; s < S; s++) rb[(size_t)(T - 1) * S + s] = 0;
  for (int t = T - 2; t >= 0; t--) {
    const double *nr = rb + (size_t)(t + 1) * S, *b = g->lb + (size_t)t * S;
    double *r = rb + (size_t)t * S;
    successors(g, t, g->q);
    exp_frame(g->q, S, e);
    for (int s = 0; s < S; s++) {
      if (b[s] == -INFINITY) { r[s] = 0; continue; }
      double num = 0, sum = 0;
      bool exact = false;
      for (int d = 0; d <= 2; d++) {
        int s2 = s + d;
        if (s2 >= S || (d == 2 && !skip_ok(g->lab, s2))) continue;
        sum += e[s2];
        num += e[s2] * (nr[s2] + U(t + 1, s2));
      }
      if (!(sum > 1e-280)) exact = true;
      if (!exact) {
        r[s] = num / sum;
        continue;
      }
      double acc = 0;
      for (int d = 0; d <= 2; d++) {
        int s2 = s + d;
        if (s2 >= S || (d == 2 && !skip_ok(g->lab, s2))) continue;
        acc += exp(g->q[s2] - b[s]) * (nr[s2] + U(t + 1, s2));
      }
      r[s] = acc;
    }
  }
#undef U
}

static double run(const float *z, int ld, int T, int K, const int *lab, int L, const float *u, int ldu,
                  float scale, float *grad, float *hu, int ldg, double *work) {
  if (T < 1 || T < nnet_ctc_min_frames(lab, L)) {
    for (int t = 0; t < T; t++) {
      if (grad) memset(grad + (size_t)t * ldg, 0, sizeof(float) * (size_t)K);
      if (hu) memset(hu + (size_t)t * ldg, 0, sizeof(float) * (size_t)K);
    }
    return INFINITY;
  }
  int S = 2 * L + 1;
  size_t TS = (size_t)T * S;
  double *ra = work + 2 * TS, *rb = work + 3 * TS, *acc = work + 4 * TS, *hacc = acc + K, rlp = 0;
  Lattice g = {z, ld, T, K, S, lab, work, work + TS, hacc + K, hacc + K + S};
  forward(&g);
  double lp = log_prob(&g);
  if (!grad && !hu) return -lp;
  backward(&g);
  if (hu) {
    tangents(&g, u, ldu, ra, rb);
    const double *a = g.la + (size_t)(T - 1) * S, *r = ra + (size_t)(T - 1) * S;
    for (int s = S - 2 < 0 ? 0 : S - 2; s < S; s++)
      if (a[s] > -INFINITY) rlp += exp(a[s] - lp) * r[s];
  }
  for (int t = 0; t < T; t++) {
    memset(acc, 0, sizeof(double) * (size_t)K);
    memset(hacc, 0, sizeof(double) * (size_t)K);
    const double *a = g.la + (size_t)t * S, *b = g.lb + (size_t)t * S;
    for (int s = 0; s < S; s++) {
      double lg = a[s] + b[s] - lp;
      if (lg == -INFINITY) continue;
      double gam = exp(lg);
      acc[ext(lab, s)] += gam;
      if (hu) hacc[ext(lab, s)] += gam * (ra[(size_t)t * S + s] + rb[(size_t)t * S + s] - rlp);
    }
    /* loss = -log p: gradient -gamma, H u = -R{gamma} */
    for (int k = 0; k < K; k++) {
      if (grad) grad[(size_t)t * ldg + k] = (float)(-scale * acc[k]);
      if (hu) hu[(size_t)t * ldg + k] = (float)(-scale * hacc[k]);
    }
  }
  return -lp;
}

double nnet_ctc_utt(const float *z, int ld, int T, int K, const int *lab, int L, float scale, float *grad,
                    int ldg, double *work) {
  return run(z, ld, T, K, lab, L, NULL, 0, scale, grad, NULL, ldg, work);
}

double nnet_ctc_utt_hvp(const float *z, int ld, int T, int K, const int *lab, int L, const float *u, int ldu,
                        float scale, float *grad, float *hu, int ldg, double *work) {
  return run(z, ld, T, K, lab, L, u, ldu, scale, grad, hu, ldg, work);
}
