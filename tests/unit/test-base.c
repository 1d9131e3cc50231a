/* Unit tests for src/base: options, config files, numeric parsing, rng. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/options.h"
#include "base/rng.h"
#include "base/util.h"
#include "testing.h"

static void test_parse_numbers(void) {
  int i; double d; bool b;
  CHECK(parse_int("42", &i) && i == 42);
  CHECK(!parse_int("42x", &i));
  CHECK(!parse_int("99999999999", &i));
  CHECK(parse_double("-1.5e3", &d) && d == -1500);
  CHECK(!parse_double("nan", &d));
  CHECK(!parse_double("inf", &d));
  CHECK(!parse_double("", &d));
  CHECK(parse_bool("true", &b) && b);
  CHECK(parse_bool("false", &b) && !b);
  CHECK(!parse_bool("yes", &b));
}

static void test_options_and_config(void) {
  char path[] = "/tmp/test-base-XXXXXX";
  int fd = mkstemp(path);
  const char *cfg = "# a comment\n--num-ceps=20\n  --use-energy=false  # trailing\n\n--type=fbank\n";
  CHECK(write(fd, cfg, strlen(cfg)) == (ssize_t)strlen(cfg));
  close(fd);
  int num_ceps = 13, frames = 1;
  bool use_energy = true, binary = false;
  float lr = 0.1f;
  const char *type = "mfcc";
  Options *po = opts_new("test");
  opts_int(po, "num-ceps", &num_ceps, "");
  opts_int(po, "frames", &frames, "");
  opts_bool(po, "use-energy", &use_energy, "");
  opts_bool(po, "binary", &binary, "");
  opts_float(po, "lr", &lr, "");
  opts_choice(po, "type", &type, "mfcc|fbank", "");
  char *config_arg = xasprintf("--config=%s", path);
  char *argv[] = {"prog", config_arg, "--num_ceps=23", "--binary", "--lr=0.5", "--print-args=false", "a", "--b", NULL};
  opts_parse(po, 8, argv);
  CHECK(num_ceps == 23); /* command line overrides config */
  CHECK(!use_energy);
  CHECK(binary);
  CHECK(lr == 0.5f);
  CHECK(!strcmp(type, "fbank"));
  CHECK(frames == 1);
  CHECK(opts_num_args(po) == 2);
  CHECK(!strcmp(opts_arg(po, 0), "a") && !strcmp(opts_arg(po, 1), "--b"));
  CHECK(opts_arg_opt(po, 2) == NULL);
  opts_free(po);
  free(config_arg);
  unlink(path);
}

static void test_rng_reproducible(void) {
  Rng a, b;
  rng_seed(&a, 7);
  rng_seed(&b, 7);
  for (int i = 0; i < 100; i++) CHECK(rng_next(&a) == rng_next(&b));
  rng_seed(&a, 8);
  double mean = 0, var = 0;
  int n = 20000;
  for (int i = 0; i < n; i++) { double g = rng_gauss(&a); mean += g; var += g * g; }
  mean /= n; var = var / n - mean * mean;
  CHECK_NEAR(mean, 0.0, 0.03);
  CHECK_NEAR(var, 1.0, 0.05);
  for (int i = 0; i < 1000; i++) { int k = rng_int(&a, 5); CHECK(k >= 0 && k < 5); }
  Rng c1 = rng_split(&a, 1), c2 = rng_split(&a, 2);
  CHECK(rng_next(&c1) != rng_next(&c2));
}

int main(void) {
  RUN(test_parse_numbers);
  RUN(test_options_and_config);
  RUN(test_rng_reproducible);
  return test_summary();
}
