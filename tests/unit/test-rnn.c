/* Unit tests for the recurrent layers (src/nnet/lstm.c, gru.c).
 *
 * Per-layer checks: the float layer's gradients and exact Hessian-vector products
 * (backward, rforward, rbackward) against central finite differences of an independent
 * double-precision implementation (plain loops, one utterance at a time) of
 *     L(w, x) = sum over valid frames of  0.5 q y^2 + p y
 * on tiny padded batches (different lengths, junk in padded frames), for every kind and
 * direction; padding rules; accumulation; bit-identical reruns. The whole-network check
 * against PyTorch is in the second half of the file. */
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "matrix/matrix.h"
#include "matrix/team.h"
#include "nnet/layer.h"
#include "nnet/nnet.h"
#include "nnet/rnn.h"
#include "nnet-ref.h"
#include "testing.h"

/* ---- double-precision reference ---- */

static double sig(double a) { return 1 / (1 + exp(-a)); }

/* One direction of one utterance: p is that direction's parameter block (rnn.h layout),
 * x rows t*B+b of width I; writes h into y columns [col, col+H). */
static void ref_dir(bool lstm, const double *p, int I, int H, const double *x, int B, int b, int len,
                    int dir, double *y, int ydim, int col) {
  int G = lstm ? 4 : 3;
  const double *Wih = p, *Whh = p + G * H * I, *bih = Whh + G * H * H, *bhh = bih + G * H;
  double h[64] = {0}, c[64] = {0}, gx[256], hh[256];
  for (int k = 0; k < len; k++) {
    int t = dir ? len - 1 - k : k;
    const double *xt = x + (t * B + b) * I;
    for (int r = 0; r < G * H; r++) {
      gx[r] = bih[r], hh[r] = bhh[r];
      for (int i = 0; i < I; i++) gx[r] += Wih[r * I + i] * xt[i];
      for (int i = 0; i < H; i++) hh[r] += Whh[r * H + i] * h[i];
    }
    for (int j = 0; j < H; j++) {
      if (lstm) {
        double ig = sig(gx[j] + hh[j]), fg = sig(gx[H + j] + hh[H + j]);
        double gg = tanh(gx[2 * H + j] + hh[2 * H + j]), og = sig(gx[3 * H + j] + hh[3 * H + j]);
        c[j] = fg * c[j] + ig * gg;
        h[j] = og * tanh(c[j]);
      } else {
        double r = sig(gx[j] + hh[j]), z = sig(gx[H + j] + hh[H + j]);
        double n = tanh(gx[2 * H + j] + r * hh[2 * H + j]);
        h[j] = (1 - z) * n + z * h[j];
      }
    }
    for (int j = 0; j < H; j++) y[(t * B + b) * ydim + col + j] = h[j];
  }
}

typedef struct {
  const char *kind, *settings;
  int I, T, B;
  int len[12];
} Case;

typedef struct {
  Case c;
  NnetLayer l;
  bool lstm;
  int H, dirs, P, X, Y; /* params, input values, output values */
  double *q, *p;        /* loss coefficients, T*B*out each */
} Setup;

/* y (T*B x out_dim) of the reference at valid frames, zero at padded ones. */
static void ref_forward(const Setup *s, const double *w, const double *x, double *y) {
  int N = s->c.T * s->c.B, od = s->l.out_dim;
  memset(y, 0, sizeof(double) * (size_t)N * od);
  for (int d = 0; d < s->dirs; d++)
    for (int b = 0; b < s->c.B; b++)
      ref_dir(s->lstm, w + d * s->P / s->dirs, s->c.I, s->H, x, s->c.B, b, s->c.len[b], d, y, od, d * s->H);
}

/* theta = (w, x): P parameters then X inputs. */
static double ref_loss(const Setup *s, const double *theta) {
  int N = s->c.T * s->c.B, od = s->l.out_dim;
  double *y = malloc(sizeof(double) * (size_t)N * od), L = 0;
  ref_forward(s, theta, theta + s->P, y);
  for (int i = 0; i < N * od; i++) L += 0.5 * s->q[i] * y[i] * y[i] + s->p[i] * y[i];
  free(y);
  return L;
}

static bool valid_row(const Setup *s, int row) { return row / s->c.B < s->c.len[row % s->c.B]; }

static Setup setup_new(Case c, Rng *r) {
  Setup s;
  memset(&s, 0, sizeof(s));
  s.c = c;
  char err[200] = "";
  const NnetLayerKind *k = nnet_layer_kind_find(c.kind);
  CHECK(k != NULL);
  bool ok = nnet_layer_configure(&s.l, k, c.I, c.settings, 0, err, sizeof(err));
  if (!ok) fprintf(stderr, "configure %s %s: %s\n", c.kind, c.settings, err);
  CHECK(ok);
  s.lstm = strcmp(c.kind, "lstm") == 0;
  s.H = s.l.ia[0], s.dirs = s.l.ia[1], s.P = s.l.num_params;
  s.X = c.T * c.B * c.I, s.Y = c.T * c.B * s.l.out_dim;
  s.q = malloc(sizeof(double) * s.Y), s.p = malloc(sizeof(double) * s.Y);
  for (int i = 0; i < s.Y; i++) {
    bool v = valid_row(&s, i / s.l.out_dim);
    s.q[i] = v ? 0.5 + rng_uniform(r) : 0, s.p[i] = v ? rng_gauss(r) : 0;
  }
  return s;
}

static void setup_free(Setup *s) { free(s->q), free(s->p); }

/* Everything the float layer computes for one (w, x, v, rx). */
typedef struct {
  Mat y, ry, dy, rdy, dx, rdx;
  float *dw, *rdw, *work;
} Run;

static Run run_new(const Setup *s) {
  Run o;
  int N = s->c.T * s->c.B, od = s->l.out_dim;
  o.y = mat_alloc(N, od), o.ry = mat_alloc(N, od), o.dy = mat_alloc(N, od), o.rdy = mat_alloc(N, od);
  o.dx = mat_alloc(N, s->c.I), o.rdx = mat_alloc(N, s->c.I);
  o.dw = calloc((size_t)s->P, sizeof(float)), o.rdw = calloc((size_t)s->P, sizeof(float));
  size_t wf = s->l.kind->work_floats(&s->l, s->c.T, s->c.B);
  o.work = aligned_alloc(64, ((wf * sizeof(float) + 63) / 64) * 64);
  return o;
}

static void run_free(Run *o) {
  mat_release(&o->y), mat_release(&o->ry), mat_release(&o->dy), mat_release(&o->rdy);
  mat_release(&o->dx), mat_release(&o->rdx);
  free(o->dw), free(o->rdw), free(o->work);
}

static void fill_nan(float *a, size_t n) {
  for (size_t i = 0; i < n; i++) a[i] = NAN;
}

/* forward, backward, rforward, rbackward as a network would call them, with the loss
 * 0.5 q y^2 + p y: dy = q y + p, R{dy} = q R{y} (zero at padded frames). Scratch and
 * overwritten outputs start as NaN, so reading one before writing it shows. */
static void run_layer(const Setup *s, const float *w, const float *v, Mat x, Mat rx, Run *o) {
  const NnetLayer *l = &s->l;
  NnetSeq seq = {s->c.T, s->c.B, s->c.len};
  fill_nan(o->work, l->kind->work_floats(l, s->c.T, s->c.B));
  fill_nan(o->y.data, (size_t)s->Y), fill_nan(o->ry.data, (size_t)s->Y);
  fill_nan(o->dx.data, (size_t)s->X), fill_nan(o->rdx.data, (size_t)s->X);
  memset(o->dw, 0, sizeof(float) * s->P), memset(o->rdw, 0, sizeof(float) * s->P);
  l->kind->forward(l, w, seq, seq, x, o->y, o->work);
  for (int i = 0; i < s->Y; i++) o->dy.data[i] = (float)(s->q[i] * o->y.data[i] + s->p[i]);
  l->kind->rforward(l, w, v, seq, seq, x, rx, o->y, o->ry, o->work);
  l->kind->backward(l, w, seq, seq, x, o->y, o->dy, o->dx, o->dw, o->work);
  for (int i = 0; i < s->Y; i++) o->rdy.data[i] = (float)(s->q[i] * o->ry.data[i]);
  l->kind->rbackward(l, w, v, seq, seq, x, rx, o->y, o->ry, o->dy, o->rdy, o->rdx, o->rdw, o->work);
}

/* max |a - b| / max(max |b|, 1e-3), printed with a name. */
static double rel_err(const char *what, const Case *c, const double *a, const double *b, int n) {
  double d = 0, m = 1e-3;
  for (int i = 0; i < n; i++) d = fmax(d, fabs(a[i] - b[i])), m = fmax(m, fabs(b[i]));
  fprintf(stderr, "  %s %-28s %-10s rel err %.2e (max %.3g)\n", c->kind, c->settings, what, d / m, m);
  return d / m;
}

/* Random float parameters, inputs (junk of a larger scale in padded frames), direction. */
typedef struct {
  float *w, *v;
  Mat x, rx;
} Point;

static Point point_new(const Setup *s, Rng *r) {
  Point pt;
  int N = s->c.T * s->c.B;
  pt.w = malloc(sizeof(float) * s->P), pt.v = malloc(sizeof(float) * s->P);
  s->l.kind->init(&s->l, pt.w, r);
  for (int i = 0; i < s->P; i++) pt.v[i] = (float)rng_gauss(r);
  pt.x = mat_alloc(N, s->c.I), pt.rx = mat_alloc(N, s->c.I);
  for (int i = 0; i < s->X; i++) {
    float junk = valid_row(s, i / s->c.I) ? 1.0f : 7.0f;
    pt.x.data[i] = junk * (float)rng_gauss(r), pt.rx.data[i] = junk * (float)rng_gauss(r);
  }
  return pt;
}

static void point_free(Point *pt) { free(pt->w), free(pt->v), mat_release(&pt->x), mat_release(&pt->rx); }

/* theta = (w, x) and u = (v, rx) in double. */
static void joint(const Setup *s, const float *w, Mat x, double *theta) {
  for (int i = 0; i < s->P; i++) theta[i] = w[i];
  for (int i = 0; i < s->X; i++) theta[s->P + i] = x.data[i];
}

/* Full gradient and H u of L(theta) by central differences on the double reference:
 * g_j = (L(+h e_j) - L(-h e_j)) / 2h,
 * (Hu)_j = (L(+e u + h e_j) - L(+e u - h e_j) - L(-e u + h e_j) + L(-e u - h e_j)) / 4eh. */
static void fd_grad_hvp(const Setup *s, const double *theta, const double *u, double *g, double *hu) {
  int n = s->P + s->X;
  double h = 1e-4, e = 1e-4, *t = malloc(sizeof(double) * n);
  for (int j = 0; j < n; j++) {
    double f[2][2];
    for (int a = 0; a < 2; a++)
      for (int c = 0; c < 2; c++) {
        for (int i = 0; i < n; i++) t[i] = theta[i] + (a ? -e : e) * u[i];
        t[j] += c ? -h : h;
        f[a][c] = ref_loss(s, t);
      }
    for (int i = 0; i < n; i++) t[i] = theta[i];
    t[j] = theta[j] + h;
    double lp = ref_loss(s, t);
    t[j] = theta[j] - h;
    g[j] = (lp - ref_loss(s, t)) / (2 * h);
    hu[j] = (f[0][0] - f[0][1] - f[1][0] + f[1][1]) / (4 * e * h);
  }
  free(t);
}

static const Case tiny_cases[] = {
    {"lstm", "dim=2", 3, 4, 3, {4, 1, 3}},
    {"lstm", "dim=2 bidirectional=true", 3, 4, 3, {4, 1, 3}},
    {"gru", "dim=2", 3, 4, 3, {4, 1, 3}},
    {"gru", "dim=2 bidirectional=true", 3, 4, 3, {2, 4, 3}},
    {"lstm", "dim=3 bidirectional=true", 2, 1, 2, {1, 1}}, /* a single frame */
    {"gru", "dim=3 bidirectional=true", 2, 1, 1, {1}},
};

/* Gradient and H v (with an input tangent R{x} too) of every parameter and input value
 * against finite differences; padded input frames get exactly zero. */
static void test_grad_hvp_finite_differences(void) {
  for (size_t ci = 0; ci < sizeof(tiny_cases) / sizeof(tiny_cases[0]); ci++) {
    Rng r;
    rng_seed(&r, 100 + ci);
    Setup s = setup_new(tiny_cases[ci], &r);
    Point pt = point_new(&s, &r);
    Run o = run_new(&s);
    run_layer(&s, pt.w, pt.v, pt.x, pt.rx, &o);
    int n = s.P + s.X;
    double *theta = malloc(sizeof(double) * n), *u = malloc(sizeof(double) * n);
    double *g = malloc(sizeof(double) * n), *hu = malloc(sizeof(double) * n);
    double *cg = malloc(sizeof(double) * n), *chu = malloc(sizeof(double) * n);
    joint(&s, pt.w, pt.x, theta), joint(&s, pt.v, pt.rx, u);
    fd_grad_hvp(&s, theta, u, g, hu);
    for (int i = 0; i < s.P; i++) cg[i] = o.dw[i], chu[i] = o.rdw[i];
    for (int i = 0; i < s.X; i++) cg[s.P + i] = o.dx.data[i], chu[s.P + i] = o.rdx.data[i];
    CHECK(rel_err("dL/dw", &s.c, cg, g, s.P) < 1e-5);
    CHECK(rel_err("dL/dx", &s.c, cg + s.P, g + s.P, s.X) < 1e-5);
    CHECK(rel_err("H u (w)", &s.c, chu, hu, s.P) < 1e-5);
    CHECK(rel_err("H u (x)", &s.c, chu + s.P, hu + s.P, s.X) < 1e-5);
    for (int i = 0; i < s.X; i++)
      if (!valid_row(&s, i / s.c.I)) CHECK(o.dx.data[i] == 0 && o.rdx.data[i] == 0 && g[s.P + i] == 0);
    /* the forward output itself */
    double *y = malloc(sizeof(double) * s.Y), *cy = malloc(sizeof(double) * s.Y);
    ref_forward(&s, theta, theta + s.P, y);
    for (int i = 0; i < s.Y; i++) cy[i] = valid_row(&s, i / s.l.out_dim) ? o.y.data[i] : 0;
    CHECK(rel_err("y", &s.c, cy, y, s.Y) < 2e-6);
    free(theta), free(u), free(g), free(hu), free(cg), free(chu), free(y), free(cy);
    run_free(&o), point_free(&pt), setup_free(&s);
  }
}

static const Case medium_cases[] = {
    {"lstm", "dim=16", 8, 9, 4, {9, 3, 7, 1}},
    {"lstm", "dim=16 bidirectional=true", 8, 9, 4, {9, 3, 7, 1}},
    {"gru", "dim=16", 8, 9, 4, {9, 3, 7, 1}},
    {"gru", "dim=16 bidirectional=true", 8, 9, 4, {2, 9, 9, 5}},
};

/* Larger shapes (real gemm blocking): along a random direction u = (v, R{x}),
 * grad.u = (L(+eu) - L(-eu)) / 2e and u.Hu = (L(+eu) - 2L + L(-eu)) / e^2. */
static void test_directional_derivatives(void) {
  for (size_t ci = 0; ci < sizeof(medium_cases) / sizeof(medium_cases[0]); ci++) {
    Rng r;
    rng_seed(&r, 200 + ci);
    Setup s = setup_new(medium_cases[ci], &r);
    Point pt = point_new(&s, &r);
    Run o = run_new(&s);
    run_layer(&s, pt.w, pt.v, pt.x, pt.rx, &o);
    int n = s.P + s.X;
    double *theta = malloc(sizeof(double) * n), *u = malloc(sizeof(double) * n), *t = malloc(sizeof(double) * n);
    joint(&s, pt.w, pt.x, theta), joint(&s, pt.v, pt.rx, u);
    double e = 1e-4, f[3], gu = 0, uhu = 0, ug = 0, uhu_c = 0;
    for (int a = 0; a < 3; a++) {
      for (int i = 0; i < n; i++) t[i] = theta[i] + (a - 1) * e * u[i];
      f[a] = ref_loss(&s, t);
    }
    gu = (f[2] - f[0]) / (2 * e), uhu = (f[2] - 2 * f[1] + f[0]) / (e * e);
    for (int i = 0; i < s.P; i++) ug += u[i] * o.dw[i], uhu_c += u[i] * o.rdw[i];
    for (int i = 0; i < s.X; i++)
      if (valid_row(&s, i / s.c.I)) ug += u[s.P + i] * o.dx.data[i], uhu_c += u[s.P + i] * o.rdx.data[i];
    fprintf(stderr, "  %s %s: g.u %.8g vs %.8g, u.Hu %.8g vs %.8g\n", s.c.kind, s.c.settings, ug, gu, uhu_c, uhu);
    CHECK(fabs(ug - gu) <= 1e-5 * fabs(gu) + 1e-5);
    CHECK(fabs(uhu_c - uhu) <= 1e-5 * fabs(uhu) + 1e-4);
    free(theta), free(u), free(t);
    run_free(&o), point_free(&pt), setup_free(&s);
  }
}

static bool same(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof(float)) == 0; }

/* Other junk in padded frames of x and R{x} changes nothing at valid frames nor any
 * (tangent) gradient, bit for bit; a rerun is bit-identical; dw and R{dw} accumulate. */
static void test_padding_reproducibility_accumulation(void) {
  for (size_t ci = 0; ci < sizeof(medium_cases) / sizeof(medium_cases[0]); ci++) {
    Rng r;
    rng_seed(&r, 300 + ci);
    Setup s = setup_new(medium_cases[ci], &r);
    Point pt = point_new(&s, &r);
    Run a = run_new(&s), b = run_new(&s);
    run_layer(&s, pt.w, pt.v, pt.x, pt.rx, &a);
    run_layer(&s, pt.w, pt.v, pt.x, pt.rx, &b);
    CHECK(same(a.y.data, b.y.data, s.Y) && same(a.ry.data, b.ry.data, s.Y));
    CHECK(same(a.dx.data, b.dx.data, s.X) && same(a.rdx.data, b.rdx.data, s.X));
    CHECK(same(a.dw, b.dw, s.P) && same(a.rdw, b.rdw, s.P));
    for (int i = 0; i < s.X; i++)
      if (!valid_row(&s, i / s.c.I)) pt.x.data[i] = -3 * pt.x.data[i] + 1, pt.rx.data[i] = 5;
    run_layer(&s, pt.w, pt.v, pt.x, pt.rx, &b);
    int od = s.l.out_dim, bad = 0;
    for (int i = 0; i < s.Y; i++)
      if (valid_row(&s, i / od)) bad += a.y.data[i] != b.y.data[i] || a.ry.data[i] != b.ry.data[i];
    for (int i = 0; i < s.Y; i++) bad += !isfinite(b.y.data[i]) || !isfinite(b.ry.data[i]);
    CHECK(bad == 0);
    CHECK(same(a.dx.data, b.dx.data, s.X) && same(a.rdx.data, b.rdx.data, s.X));
    CHECK(same(a.dw, b.dw, s.P) && same(a.rdw, b.rdw, s.P));
    /* a second backward/rbackward adds the same again; no dx wanted (first layer) */
    NnetSeq seq = {s.c.T, s.c.B, s.c.len};
    Mat none = {0};
    s.l.kind->backward(&s.l, pt.w, seq, seq, pt.x, b.y, b.dy, none, b.dw, b.work);
    s.l.kind->rbackward(&s.l, pt.w, pt.v, seq, seq, pt.x, pt.rx, b.y, b.ry, b.dy, b.rdy, none, b.rdw, b.work);
    for (int i = 0; i < s.P; i++) {
      CHECK_NEAR(b.dw[i], 2 * a.dw[i], 1e-5 * fabs(a.dw[i]) + 1e-6);
      CHECK_NEAR(b.rdw[i], 2 * a.rdw[i], 1e-5 * fabs(a.rdw[i]) + 1e-6);
    }
    run_free(&a), run_free(&b), point_free(&pt), setup_free(&s);
  }
}

/* The gate nonlinearities on every instruction set the CPU has: the baseline's bits, for
 * every length (the tails), and within 1e-6 relative of libm's sigmoid and tanh over
 * [-100, 100] (where the result is above 1e-30: exp's clamp flushes smaller ones). */
static void test_activations_simd(void) {
  enum { N = 4099 };
  float *x = malloc(sizeof(float) * N), *ref = malloc(sizeof(float) * N), *y = malloc(sizeof(float) * N);
  for (int i = 0; i < N; i++) x[i] = -100.0f + 200.0f * (float)i / (N - 1) * (float)i / (N - 1);
  x[7] = 0.0f, x[8] = 1e-30f, x[9] = -0.624f;
  for (int t = 0; t < 2; t++) {
    nnet_rnn_act_simd(MAT_SIMD_BASE, t, ref, x, N);
    double worst = 0;
    for (int i = 0; i < N; i++) {
      double want = t ? tanh((double)x[i]) : 1.0 / (1.0 + exp(-(double)x[i]));
      double err = fabs(ref[i] - want) / (fabs(want) > 1e-30 ? fabs(want) : 1e-30);
      if (want != 0 && err > worst) worst = err;
    }
    CHECK(worst < 1e-6);
    for (MatSimd simd = MAT_SIMD_AVX2; simd <= mat_simd_best(); simd++)
      for (int n = N - 20; n <= N; n++) {
        memset(y, 0, sizeof(float) * N);
        nnet_rnn_act_simd(simd, t, y, x, n);
        CHECK(memcmp(y, ref, sizeof(float) * (size_t)n) == 0 && (n == N || y[n] == 0));
      }
  }
  free(x), free(ref), free(y);
}

/* With the matrix team on 2 or 3 threads, every pass gives one thread's bits: with 4
 * rows, each step's product split by panels and its cell updates by rows; with 12, blocks
 * of rows through the whole pass (nnet_rnn_pass). Wide enough layers to split. */
static void test_team_threads_bits(void) {
  static const Case wide[] = {
      {"lstm", "dim=512 bidirectional=true", 8, 5, 4, {5, 3, 5, 2}},
      {"gru", "dim=512", 8, 5, 4, {5, 3, 5, 2}},
      {"lstm", "dim=64 bidirectional=true", 8, 5, 12, {5, 3, 5, 2, 4, 5, 1, 5, 3, 2, 5, 4}},
      {"gru", "dim=64 bidirectional=true", 8, 5, 12, {5, 3, 5, 2, 4, 5, 1, 5, 3, 2, 5, 4}},
  };
  for (size_t ci = 0; ci < sizeof(wide) / sizeof(wide[0]); ci++) {
    Rng r;
    rng_seed(&r, 400 + ci);
    Setup s = setup_new(wide[ci], &r);
    Point pt = point_new(&s, &r);
    Run one = run_new(&s);
    mat_team_set_size(1);
    run_layer(&s, pt.w, pt.v, pt.x, pt.rx, &one);
    for (int threads = 2; threads <= 3; threads++) {
      Run a = run_new(&s);
      mat_team_set_size(threads);
      run_layer(&s, pt.w, pt.v, pt.x, pt.rx, &a);
      CHECK(same(a.y.data, one.y.data, s.Y) && same(a.ry.data, one.ry.data, s.Y));
      CHECK(same(a.dx.data, one.dx.data, s.X) && same(a.rdx.data, one.rdx.data, s.X));
      CHECK(same(a.dw, one.dw, s.P) && same(a.rdw, one.rdw, s.P));
      run_free(&a);
    }
    mat_team_set_size(1);
    run_free(&one), point_free(&pt), setup_free(&s);
  }
}

static void test_configure(void) {
  const char *bad[] = {"", "dim=0", "dim=x", "dim=4 bidirectional=maybe", "dim=4 cell=9"};
  char err[200];
  NnetLayer l;
  for (int k = 0; k < 2; k++) {
    const NnetLayerKind *kind = nnet_layer_kind_find(k ? "gru" : "lstm");
    CHECK(kind != NULL);
    if (!kind) return;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
      err[0] = 0;
      CHECK(!nnet_layer_configure(&l, kind, 40, bad[i], 64, err, sizeof(err)));
      CHECK(err[0] != 0);
    }
    int G = k ? 3 : 4;
    CHECK(nnet_layer_configure(&l, kind, 40, "dim=256", 64, err, sizeof(err)));
    CHECK(l.out_dim == 256 && l.num_params == G * 256 * (40 + 256 + 2));
    CHECK(nnet_layer_configure(&l, kind, 40, "dim=256 bidirectional=true", 64, err, sizeof(err)));
    CHECK(l.out_dim == 512 && l.num_params == 2 * G * 256 * (40 + 256 + 2));
    CHECK(nnet_layer_configure(&l, kind, 40, "bidirectional=false dim=8", 64, err, sizeof(err)));
    CHECK(l.out_dim == 8 && l.ia[1] == 1);
  }
}

/* ---- whole networks against PyTorch (tests/reference/make_rnn_refs.py) ---- */

/* max |c - ref| / max |ref| */
static double ref_rel_err(const float *c, const Arr *ref) {
  double m = 0, d = 0;
  for (int i = 0; i < ref->n; i++) m = fmax(m, fabs(ref->v[i])), d = fmax(d, fabs(c[i] - ref->v[i]));
  return d / m;
}

/* Loss, gradient (to 1e-4 relative) and H v (1e-3) of network `name`; a second
 * evaluation is bit-identical. */
static void check_network(const char *name) {
  char path[512];
  snprintf(path, sizeof(path), "tests/reference/rnn-%s.ref", name);
  Ref r;
  ref_load(path, &r);
  const Arr *utts = get(&r, "utts"), *loss = get(&r, "loss"), *v = get(&r, "v"), *grad = get(&r, "grad"),
            *hv = get(&r, "hv");
  CHECK(utts && loss && v && grad && hv);
  if (!utts || !loss || !v || !grad || !hv) return;
  snprintf(path, sizeof(path), "%s/tests/reference/rnn-%s.mdl", getenv("TOPDIR") ? getenv("TOPDIR") : ".", name);
  Nnet *n = nnet_read(path);
  int U = (int)utts->v[0], P = nnet_num_params(n), D = nnet_input_dim(n);
  CHECK(P == grad->n && P == hv->n && P == v->n && U <= 8);
  Mat feats[8];
  IntVec labels[8];
  for (int i = 0; i < U; i++) {
    char key[32];
    snprintf(key, sizeof(key), "feats%d", i);
    const Arr *f = get(&r, key);
    snprintf(key, sizeof(key), "labels%d", i);
    const Arr *l = get(&r, key);
    feats[i] = mat_alloc((int)f->v[0], D);
    for (int k = 0; k < feats[i].rows * D; k++) feats[i].data[k] = (float)f->v[k + 1];
    labels[i] = (IntVec){malloc(sizeof(int) * (size_t)(l->n + 1)), l->n};
    for (int k = 0; k < l->n; k++) labels[i].data[k] = (int)l->v[k];
  }
  NnetBatch *b = nnet_batch_new();
  CHECK(nnet_batch_fill(b, n, U, feats, labels, NULL) == U);
  NnetWork *w = nnet_work_new(n);
  float *g = malloc(sizeof(float) * P), *h = malloc(sizeof(float) * P), *vf = malloc(sizeof(float) * P);
  float *g2 = malloc(sizeof(float) * P), *h2 = malloc(sizeof(float) * P);
  for (int i = 0; i < P; i++) vf[i] = (float)v->v[i];
  double L = nnet_hvp(n, nnet_params(n), w, b, vf, h, g, NULL);
  double eg = ref_rel_err(g, grad), eh = ref_rel_err(h, hv);
  fprintf(stderr, "  %s: loss %.9g vs %.9g, gradient rel. error %.2e, H v rel. error %.2e\n", name, L,
          loss->v[0], eg, eh);
  CHECK_NEAR(L, loss->v[0], 1e-5 * fabs(loss->v[0]));
  CHECK(eg < 1e-4);
  CHECK(eh < 1e-3);
  double L2 = nnet_hvp(n, nnet_params(n), w, b, vf, h2, g2, NULL);
  CHECK(L2 == L && same(g, g2, P) && same(h, h2, P));
  double L3 = nnet_loss_grad(n, nnet_params(n), w, b, g2, NULL);
  CHECK(L3 == L && same(g, g2, P));
  for (int i = 0; i < U; i++) mat_release(&feats[i]), free(labels[i].data);
  ref_free(&r);
  free(g), free(h), free(vf), free(g2), free(h2);
  nnet_work_free(w), nnet_batch_free(b), nnet_free(n);
}

static void test_blstm_vs_pytorch(void) { check_network("blstm"); }
static void test_rnn_stack_vs_pytorch(void) { check_network("stack"); }

int main(void) {
  RUN(test_configure);
  RUN(test_activations_simd);
  RUN(test_grad_hvp_finite_differences);
  RUN(test_directional_derivatives);
  RUN(test_padding_reproducibility_accumulation);
  RUN(test_team_threads_bits);
  RUN(test_blstm_vs_pytorch);
  RUN(test_rnn_stack_vs_pytorch);
  return test_summary();
}
