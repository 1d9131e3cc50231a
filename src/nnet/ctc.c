/* CTC loss, gradient and Hessian-vector product for one utterance (equations in ctc.h).
 * Log-space forward-backward in double; the tangent recursions for H u carry
 * derivatives of log alpha / log beta, whose weights (posteriors of the predecessor
 * states) lie in [0, 1], so they are as stable as the recursions themselves.
 * work layout: la, lb (T x S), then for H u: ra, rb (T x S); then 2K accumulators. */
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
  return 4 * (size_t)T * S + 2 * (size_t)K;
}

/* Label of extended state s: blank at even s. */
static inline int ext(const int *lab, int s) { return (s & 1) ? lab[s >> 1] : 0; }
/* May state s be entered from s-2 (skipping a blank)? */
static inline bool skip_ok(const int *lab, int s) { return (s & 1) && s >= 2 && lab[s >> 1] != lab[(s >> 1) - 1]; }

static inline double lse3(double a, double b, double c) {
  double m = fmax(a, fmax(b, c));
  if (m == -INFINITY) return -INFINITY;
  return m + log(exp(a - m) + exp(b - m) + exp(c - m));
}

typedef struct {
  const float *z;
  int ld, T, K, S;
  const int *lab;
  double *la, *lb;
} Lattice;

static inline double zs(const Lattice *g, int t, int s) { return g->z[(size_t)t * g->ld + ext(g->lab, s)]; }

static void forward(Lattice *g) {
  int S = g->S;
  for (int s = 0; s < S; s++) g->la[s] = -INFINITY;
  g->la[0] = zs(g, 0, 0);
  if (S > 1) g->la[1] = zs(g, 0, 1);
  for (int t = 1; t < g->T; t++) {
    const double *p = g->la + (size_t)(t - 1) * S;
    double *a = g->la + (size_t)t * S;
    for (int s = 0; s < S; s++) {
      double v = lse3(p[s], s >= 1 ? p[s - 1] : -INFINITY, skip_ok(g->lab, s) ? p[s - 2] : -INFINITY);
      a[s] = v == -INFINITY ? v : v + zs(g, t, s);
    }
  }
}

static void backward(Lattice *g) {
  int S = g->S, T = g->T;
  double *last = g->lb + (size_t)(T - 1) * S;
  for (int s = 0; s < S; s++) last[s] = s >= S - 2 ? 0 : -INFINITY;
  for (int t = T - 2; t >= 0; t--) {
    const double *n = g->lb + (size_t)(t + 1) * S;
    double *b = g->lb + (size_t)t * S;
    for (int s = 0; s < S; s++) {
      double x0 = n[s] + zs(g, t + 1, s);
      double x1 = s + 1 < S ? n[s + 1] + zs(g, t + 1, s + 1) : -INFINITY;
      double x2 = s + 2 < S && skip_ok(g->lab, s + 2) ? n[s + 2] + zs(g, t + 1, s + 2) : -INFINITY;
      b[s] = lse3(x0, x1, x2);
    }
  }
}

static double log_prob(const Lattice *g) {
  const double *a = g->la + (size_t)(g->T - 1) * g->S;
  return lse3(a[g->S - 1], g->S > 1 ? a[g->S - 2] : -INFINITY, -INFINITY);
}

/* Tangents of log alpha (ra) and log beta (rb) along u. */
static void tangents(const Lattice *g, const float *u, int ldu, double *ra, double *rb) {
  int S = g->S, T = g->T;
#define U(t, s) ((double)u[(size_t)(t) * ldu + ext(g->lab, s)])
  for (int s = 0; s < S; s++) ra[s] = s < 2 ? U(0, s) : 0;
  for (int t = 1; t < T; t++) {
    const double *pa = g->la + (size_t)(t - 1) * S, *pr = ra + (size_t)(t - 1) * S;
    const double *a = g->la + (size_t)t * S;
    double *r = ra + (size_t)t * S;
    for (int s = 0; s < S; s++) {
      if (a[s] == -INFINITY) { r[s] = 0; continue; }
      double base = a[s] - zs(g, t, s), acc = exp(pa[s] - base) * pr[s];
      if (s >= 1) acc += exp(pa[s - 1] - base) * pr[s - 1];
      if (skip_ok(g->lab, s)) acc += exp(pa[s - 2] - base) * pr[s - 2];
      r[s] = U(t, s) + acc;
    }
  }
  for (int s = 0; s < S; s++) rb[(size_t)(T - 1) * S + s] = 0;
  for (int t = T - 2; t >= 0; t--) {
    const double *nb = g->lb + (size_t)(t + 1) * S, *nr = rb + (size_t)(t + 1) * S;
    const double *b = g->lb + (size_t)t * S;
    double *r = rb + (size_t)t * S;
    for (int s = 0; s < S; s++) {
      if (b[s] == -INFINITY) { r[s] = 0; continue; }
      double acc = 0;
      for (int d = 0; d <= 2; d++) {
        int s2 = s + d;
        if (s2 >= S || (d == 2 && !skip_ok(g->lab, s2))) continue;
        double wgt = exp(nb[s2] + zs(g, t + 1, s2) - b[s]);
        acc += wgt * (nr[s2] + U(t + 1, s2));
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
  Lattice g = {z, ld, T, K, S, lab, work, work + TS};
  forward(&g);
  double lp = log_prob(&g);
  if (!grad && !hu) return -lp;
  backward(&g);
  double *ra = work + 2 * TS, *rb = work + 3 * TS, *acc = work + 4 * TS, *hacc = acc + K, rlp = 0;
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
