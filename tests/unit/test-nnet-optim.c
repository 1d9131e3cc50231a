/* Optimisers against torch.optim (tests/reference/nnet-optim.ref), clipping, skipped
 * non-finite steps and checkpointed state. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "io/stream.h"
#include "nnet-ref.h"
#include "nnet/optim.h"
#include "testing.h"

enum { DIM = 6, STEPS = 5 };

static NnetOptimOpts opts(const char *name) {
  NnetOptimOpts o;
  nnet_optim_opts_default(&o);
  if (!strcmp(name, "sgd")) o.lr = 0.1f;
  if (!strcmp(name, "momentum") || !strcmp(name, "nesterov")) o.lr = 0.1f, o.momentum = 0.9f;
  if (!strcmp(name, "nesterov")) o.nesterov = true;
  if (!strcmp(name, "adam")) o.type = "adam", o.lr = 0.01f, o.beta1 = 0.8f, o.beta2 = 0.99f, o.eps = 1e-6f;
  if (!strcmp(name, "adam-schedule"))
    o.type = "adam", o.lr = 0.01f, o.warmup_steps = 3, o.schedule = "exponential", o.decay = 0.5f, o.decay_steps = 2;
  return o;
}

static void test_against_torch(void) {
  Ref r;
  ref_load("tests/reference/nnet-optim.ref", &r);
  const char *names[] = {"sgd", "momentum", "nesterov", "adam", "adam-schedule"};
  for (int k = 0; k < 5; k++) {
    const Arr *p0 = get(&r, "p0"), *want = get(&r, names[k]);
    CHECK(p0 && want);
    if (!p0 || !want) continue;
    NnetOptimOpts o = opts(names[k]);
    NnetOptim *opt = nnet_optim_new(&o, DIM);
    float p[DIM], g[DIM];
    for (int i = 0; i < DIM; i++) p[i] = (float)p0->v[i];
    for (int t = 0; t < STEPS; t++) {
      char key[8];
      snprintf(key, sizeof(key), "g%d", t);
      const Arr *ga = get(&r, key);
      for (int i = 0; i < DIM; i++) g[i] = (float)ga->v[i];
      CHECK(nnet_optim_step(opt, p, g, 1.0, NULL));
    }
    for (int i = 0; i < DIM; i++) CHECK_NEAR(p[i], want->v[i], 1e-5 * (1 + fabs(want->v[i])));
    CHECK(nnet_optim_num_steps(opt) == STEPS);
    nnet_optim_free(opt);
  }
  ref_free(&r);
}

static void test_clipping_and_schedule(void) {
  NnetOptimOpts o;
  nnet_optim_opts_default(&o);
  o.lr = 1, o.max_grad_norm = 1;
  NnetOptim *opt = nnet_optim_new(&o, 2);
  float p[2] = {0, 0}, g[2] = {3, 4};
  double norm;
  CHECK(nnet_optim_step(opt, p, g, 0, &norm));
  CHECK_NEAR(norm, 5, 1e-6);
  CHECK_NEAR(p[0], -0.6, 1e-6);
  CHECK_NEAR(p[1], -0.8, 1e-6);
  float small[2] = {0.3f, 0.4f};
  CHECK(nnet_optim_step(opt, p, small, 0, NULL)); /* under the limit: unchanged */
  CHECK_NEAR(p[0], -0.9, 1e-6);
  nnet_optim_free(opt);
  o.max_grad_norm = 0, o.warmup_steps = 4, o.schedule = "exponential", o.decay = 0.1f, o.decay_steps = 10;
  opt = nnet_optim_new(&o, 2);
  CHECK_NEAR(nnet_optim_lr(opt), 0.25, 1e-9);
  for (int t = 0; t < 4; t++) nnet_optim_step(opt, p, small, 0, NULL);
  CHECK_NEAR(nnet_optim_lr(opt), pow(0.1, 0.4), 1e-6); /* warm-up done, decayed over 4 of 10 steps */
  nnet_optim_free(opt);
}

static void test_non_finite_skipped(void) {
  NnetOptimOpts o;
  nnet_optim_opts_default(&o);
  o.type = "adam";
  NnetOptim *opt = nnet_optim_new(&o, 2);
  float p[2] = {1, 2}, g[2] = {NAN, 1};
  CHECK(!nnet_optim_step(opt, p, g, 0.5, NULL));
  float g2[2] = {1, 1};
  CHECK(!nnet_optim_step(opt, p, g2, INFINITY, NULL));
  CHECK(p[0] == 1 && p[1] == 2 && nnet_optim_num_steps(opt) == 0);
  CHECK(nnet_optim_step(opt, p, g2, 0.5, NULL));
  CHECK(p[0] != 1 && nnet_optim_num_steps(opt) == 1);
  nnet_optim_free(opt);
}

/* Save after 2 steps, restore into a fresh optimiser: the next steps are identical. */
static void test_state_roundtrip(void) {
  for (int binary = 0; binary < 2; binary++) {
    NnetOptimOpts o;
    nnet_optim_opts_default(&o);
    o.type = "adam";
    NnetOptim *a = nnet_optim_new(&o, 3), *b = nnet_optim_new(&o, 3);
    float pa[3] = {1, 2, 3}, g[3] = {0.1f, -0.2f, 0.3f};
    nnet_optim_step(a, pa, g, 0, NULL);
    nnet_optim_step(a, pa, g, 0, NULL);
    char path[] = "/tmp/optim-test-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    Output *out = output_open(path);
    nnet_optim_write(a, out, binary);
    output_close(out);
    Input *in = input_open(path);
    nnet_optim_read(b, in, path);
    input_close(in, NULL, 0);
    unlink(path);
    float pb[3];
    memcpy(pb, pa, sizeof(pa));
    for (int t = 0; t < 3; t++) {
      float ga[3] = {0.5f, 0.1f, -1}, gb[3] = {0.5f, 0.1f, -1};
      nnet_optim_step(a, pa, ga, 0, NULL);
      nnet_optim_step(b, pb, gb, 0, NULL);
    }
    CHECK(memcmp(pa, pb, sizeof(pa)) == 0 && nnet_optim_num_steps(b) == 5);
    nnet_optim_free(a);
    nnet_optim_free(b);
  }
}

int main(void) {
  RUN(test_against_torch);
  RUN(test_clipping_and_schedule);
  RUN(test_non_finite_skipped);
  RUN(test_state_roundtrip);
  return test_summary();
}
