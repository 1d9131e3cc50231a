/* Benchmark driver for tests/bench/train-step: times training steps (forward, CTC,
 * backward, SGD update) of a network on one padded batch, and sgemm's peak.
 *   train-step-c CONFIG INPUT_DIM UNITS BATCH FRAMES LABELS STEPS THREADS [UNEVEN]
 * With UNEVEN 1 the utterances' lengths go evenly from FRAMES/2 to 3*FRAMES/2 (the same
 * frames in all), as a corpus's utterances do; frames/s counts the utterances' frames.
 * Prints "frames_per_s F", "gflops G", "peak_gflops P", "peak_rss_mb M", "checksum C". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "base/rng.h"
#include "base/util.h"
#include "matrix/matrix.h"
#include "nnet/nnet.h"
#include "nnet/optim.h"

/* Multiply-adds x2 of the affine layers per frame: forward, weight gradient, input
 * gradient (not for the first layer, whose input gradient is not computed). */
static double flops_per_frame(const Nnet *n) {
  double f = 0;
  int first = 1;
  for (int i = 0; i < nnet_num_layers(n); i++) {
    NnetLayerInfo li = nnet_layer_info(n, i);
    if (li.count == 0) continue;
    double mac = (double)li.in_dim * li.out_dim;
    f += 2 * mac * (first ? 2 : 3);
    first = 0;
  }
  return f;
}

static double sgemm_peak(void) {
  int n = 1024;
  Mat a = mat_alloc(n, n), b = mat_alloc(n, n), c = mat_alloc(n, n);
  for (int i = 0; i < n * n; i++) a.data[i] = 0.001f * (i % 7), b.data[i] = 0.002f * (i % 5);
  mat_gemm(false, false, 1, a, b, 0, c);
  double t0 = now_seconds();
  int reps = 10;
  for (int r = 0; r < reps; r++) mat_gemm(false, false, 1, a, b, 0, c);
  double dt = now_seconds() - t0;
  mat_release(&a); mat_release(&b); mat_release(&c);
  return 2.0 * n * n * n * reps / dt / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 9 && argc != 10) {
    fprintf(stderr, "usage: train-step-c CONFIG INPUT_DIM UNITS BATCH FRAMES LABELS STEPS THREADS [UNEVEN]\n");
    return 1;
  }
  int D = atoi(argv[2]), K = atoi(argv[3]), B = atoi(argv[4]), T = atoi(argv[5]), L = atoi(argv[6]);
  int steps = atoi(argv[7]), threads = atoi(argv[8]), uneven = argc == 10 && atoi(argv[9]);
  mat_set_num_threads(threads);
  Nnet *n = nnet_new_from_config(argv[1], D, K, 1);
  Rng r;
  rng_seed(&r, 2);
  Mat *feats = xmalloc(sizeof(Mat) * B);
  IntVec *labels = xmalloc(sizeof(IntVec) * B);
  long frames = 0;
  for (int b = 0; b < B; b++) {
    int Tb = uneven && B > 1 ? T / 2 + (int)((long)T * b / (B - 1)) : T;
    frames += Tb;
    feats[b] = mat_alloc(Tb, D);
    for (int i = 0; i < Tb * D; i++) feats[b].data[i] = (float)rng_gauss(&r);
    labels[b] = (IntVec){xmalloc(sizeof(int) * L), L};
    for (int i = 0; i < L; i++) labels[b].data[i] = 1 + rng_int(&r, K - 1);
  }
  NnetBatch *batch = nnet_batch_new();
  NnetWork *w = nnet_work_new(n);
  nnet_work_set_num_threads(w, threads);
  NnetOptimOpts oo;
  nnet_optim_opts_default(&oo);
  oo.lr = 1e-3f, oo.momentum = 0.9f;
  NnetOptim *opt = nnet_optim_new(&oo, nnet_num_params(n));
  float *grad = xmalloc(sizeof(float) * nnet_num_params(n));
  double t0 = 0;
  for (int s = -2; s < steps; s++) { /* two warm-up steps */
    if (s == 0) t0 = now_seconds();
    nnet_batch_fill(batch, n, B, feats, labels, NULL);
    double loss = nnet_loss_grad(n, nnet_params(n), w, batch, grad, NULL);
    nnet_optim_step(opt, nnet_params(n), grad, loss, NULL);
  }
  double dt = now_seconds() - t0, fps = (double)frames * steps / dt;
  /* FNV-1a hash of the parameters' bytes: equal only when every bit is */
  unsigned long long sum = 1469598103934665603ULL;
  const unsigned char *bytes = (const unsigned char *)nnet_params(n);
  for (size_t i = 0; i < sizeof(float) * (size_t)nnet_num_params(n); i++) sum = (sum ^ bytes[i]) * 1099511628211ULL;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("frames_per_s %.0f\ngflops %.1f\npeak_gflops %.1f\npeak_rss_mb %.1f\nwork_mb %.1f\nchecksum %016llx\n", fps,
         fps * flops_per_frame(n) / 1e9, sgemm_peak(), ru.ru_maxrss / 1024.0, nnet_work_bytes(w) / 1048576.0, sum);
  return 0;
}
