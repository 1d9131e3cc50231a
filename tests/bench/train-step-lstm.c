/* The C side of tests/bench/train-step-lstm: times CTC training steps (forward, CTC,
 * backward, SGD update) and Hessian-vector products of an LSTM acoustic model on one
 * padded batch of random features and labels, and sgemm on large matrices for the peak.
 *   train-step-lstm-c CONFIG THREADS BATCH FRAMES DIM UNITS STEPS
 * Prints "name value" lines (frames_per_s, gflops, checksum of the trained parameters,
 * peak_rss_mb, ...) for the script to compare. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "base/rng.h"
#include "base/util.h"
#include "matrix/matrix.h"
#include "nnet/nnet.h"

/* Multiply-adds x 2 of one forward+backward step over N frames: gemm work only. */
static double step_flops(const Nnet *n, double N) {
  double f = 0;
  for (int i = 0; i < nnet_num_layers(n); i++) {
    NnetLayerInfo li = nnet_layer_info(n, i);
    double I = li.in_dim, O = li.out_dim, first = i == 0;
    if (strcmp(li.kind, "lstm") == 0) {
      double dirs = strstr(li.config, "bidirectional=true") ? 2 : 1, H = O / dirs;
      /* forward x W_ih^T, h W_hh^T; backward dW_ih, dW_hh, dh, dx */
      f += dirs * 2 * N * 4 * H * (I + H + I + H + H + (first ? 0 : I));
    } else if (strcmp(li.kind, "affine") == 0) {
      f += 2 * N * I * O * (first ? 2 : 3);
    }
  }
  return f;
}

static double cpu_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double sgemm_peak(void) {
  int d = 2048;
  Mat a = mat_alloc(d, d), b = mat_alloc(d, d), c = mat_alloc(d, d);
  mat_set(a, 0.5f), mat_set(b, 0.25f);
  mat_gemm(false, false, 1.0f, a, b, 0.0f, c);
  double best = 1e30;
  for (int k = 0; k < 3; k++) {
    double t = now_seconds();
    mat_gemm(false, false, 1.0f, a, b, 0.0f, c);
    t = now_seconds() - t;
    if (t < best) best = t;
  }
  mat_release(&a), mat_release(&b), mat_release(&c);
  return 2.0 * d * d * d / best / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 8) {
    fprintf(stderr, "usage: %s CONFIG THREADS BATCH FRAMES DIM UNITS STEPS\n", argv[0]);
    return 1;
  }
  int threads = atoi(argv[2]), B = atoi(argv[3]), T = atoi(argv[4]), D = atoi(argv[5]);
  int K = atoi(argv[6]), steps = atoi(argv[7]);
  mat_set_num_threads(threads);
  Nnet *n = nnet_new_from_config(argv[1], D, K, 1);
  Rng r;
  rng_seed(&r, 7);
  Mat *feats = xcalloc((size_t)B, sizeof(Mat));
  IntVec *labels = xcalloc((size_t)B, sizeof(IntVec));
  for (int b = 0; b < B; b++) {
    feats[b] = mat_alloc(T, D);
    for (int i = 0; i < T * D; i++) feats[b].data[i] = (float)rng_gauss(&r);
    int L = T / 6 / nnet_frame_subsampling(n);
    labels[b] = (IntVec){xmalloc(sizeof(int) * (size_t)L), L};
    for (int i = 0; i < L; i++) labels[b].data[i] = 1 + rng_int(&r, K - 1);
  }
  NnetBatch *batch = nnet_batch_new();
  if (nnet_batch_fill(batch, n, B, feats, labels, NULL) != B) return 1;
  NnetWork *w = nnet_work_new(n);
  int P = nnet_num_params(n);
  float *grad = xmalloc(sizeof(float) * (size_t)P), *hv = xmalloc(sizeof(float) * (size_t)P);
  float *params = nnet_params(n);
  double first = 0, last = 0, t_train = 1e30, t_hvp = 1e30, c_train = 1e30;
  for (int s = 0; s <= steps; s++) { /* step 0 warms up (allocations, page faults) */
    double t = now_seconds(), c = cpu_seconds();
    double L = nnet_loss_grad(n, params, w, batch, grad, NULL);
    vec_axpy(P, -0.5f, grad, params);
    t = now_seconds() - t, c = cpu_seconds() - c;
    if (s == 0) first = L;
    else if (t < t_train) t_train = t;
    if (s > 0 && c < c_train) c_train = c;
    last = L;
  }
  for (int s = 0; s <= 2; s++) {
    double t = now_seconds();
    nnet_hvp(n, params, w, batch, grad, hv, NULL, NULL);
    t = now_seconds() - t;
    if (s > 0 && t < t_hvp) t_hvp = t;
  }
  double frames = (double)B * T;
  printf("params %d\n", P);
  printf("loss_first %.6f\nloss_last %.6f\n", first, last);
  printf("step_s %.4f\nframes_per_s %.0f\n", t_train, frames / t_train);
  printf("cpu_step_s %.4f\n", c_train);
  printf("gflops %.1f\n", step_flops(n, frames / nnet_frame_subsampling(n)) / t_train / 1e9);
  printf("hvp_s %.4f\nhvp_frames_per_s %.0f\n", t_hvp, frames / t_hvp);
  printf("sgemm_peak_gflops %.1f\n", sgemm_peak());
  printf("work_mb %.0f\n", nnet_work_bytes(w) / 1e6);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("peak_rss_mb %.0f\n", ru.ru_maxrss / 1024.0);
  uint64_t h = 1469598103934665603ULL; /* FNV-1a over the bytes of the parameters */
  const unsigned char *bytes = (const unsigned char *)params;
  for (size_t i = 0; i < sizeof(float) * (size_t)P; i++) h = (h ^ bytes[i]) * 1099511628211ULL;
  printf("checksum %016llx\n", (unsigned long long)h);
  return 0;
}
