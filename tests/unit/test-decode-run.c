/* Unit tests for a decoding run (what the decode program does after the model's
 * forward pass): options as parsed from a command line, text and n-best output,
 * scores, posteriors, the LM's effect, and errors on mismatched inputs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "decode/decode.h"
#include "io/table.h"
#include "testing.h"

static char dir[] = "/tmp/test-decode-run-XXXXXX";

static char *path(const char *name) {
  static char p[8][600];
  static int k;
  char *s = p[k++ % 8];
  snprintf(s, 600, "%s/%s", dir, name);
  return s;
}

static void write_text(const char *name, const char *text) {
  FILE *f = fopen(path(name), "w");
  fputs(text, f);
  fclose(f);
}

static char *slurp(const char *name) {
  FILE *f = fopen(path(name), "r");
  static char buf[8192];
  size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  buf[n] = 0;
  if (f) fclose(f);
  return buf;
}

static Mat probs(int T, int U, const double *p) {
  Mat m = mat_alloc(T, U);
  for (int i = 0; i < T * U; i++) *mat_at(m, i / U, i % U) = (float)log(p[i]);
  return m;
}

/* Options exactly as the decode program parses them. */
static Options *last_po;
static char *last_argv[6];

static void free_parser(void) {
  if (last_po) opts_free(last_po);
  for (int i = 1; i < 6; i++) free(last_argv[i]), last_argv[i] = NULL;
  last_po = NULL;
}

static DecRunOpts parse(const char *a1, const char *a2, const char *a3, const char *a4) {
  static DecRunOpts o;
  free_parser(); /* the previous options' strings are no longer used */
  dec_run_opts_default(&o);
  Options *po = last_po = opts_new("test");
  dec_run_opts_register(po, &o);
  char *argv[6] = {"decode"};
  int argc = 1;
  const char *a[] = {a1, a2, a3, a4};
  for (int i = 0; i < 4; i++)
    if (a[i]) { last_argv[argc] = xstrdup(a[i]); argv[argc] = last_argv[argc]; argc++; }
  opts_parse(po, argc, argv); /* strings stay owned by the parser until the next parse */
  return o;
}

/* u1: a b | a (greedy "a b | a" with a blank between the two a's); u2: b */
static const double kU1[] = {.1, .7, .1, .1, .6, .2, .1, .1, .1, .1, .7, .1,
                             .1, .1, .1, .7, .1, .7, .1, .1, .8, .1, .05, .05};
static const double kU2[] = {.1, .1, .7, .1};

static void run(const DecRunOpts *o, const char *wspec) {
  DecRun *r = dec_run_new(o, 4, wspec);
  Mat a = probs(6, 4, kU1), b = probs(1, 4, kU2);
  CHECK(dec_run_utterance(r, "u1", a));
  CHECK(dec_run_utterance(r, "u2", b));
  dec_run_free(r);
  mat_release(&a);
  mat_release(&b);
}

static void test_greedy_words(void) {
  char units[700];
  snprintf(units, sizeof units, "--units=%s", path("units.txt"));
  DecRunOpts o = parse("--mode=greedy", units, "--word-boundary=|", NULL);
  char ws[700];
  snprintf(ws, sizeof ws, "ark,t:%s", path("g.txt"));
  run(&o, ws);
  CHECK(strcmp(slurp("g.txt"), "u1 ab a \nu2 b \n") == 0);
  o = parse("--mode=greedy", units, NULL, NULL);
  run(&o, ws);
  CHECK(strcmp(slurp("g.txt"), "u1 a b | a \nu2 b \n") == 0);
}

static void test_nbest_and_scores(void) {
  char units[700], sc[700], ws[700];
  snprintf(units, sizeof units, "--units=%s", path("units.txt"));
  snprintf(sc, sizeof sc, "--scores-wspecifier=ark,t:%s", path("s.txt"));
  snprintf(ws, sizeof ws, "ark,t:%s", path("n.txt"));
  DecRunOpts o = parse("--mode=beam", units, "--nbest=2", sc);
  run(&o, ws);
  CHECK(strcmp(slurp("n.txt"), "u1-1 a b | a \nu1-2 a b a \nu2-1 b \nu2-2 \n") == 0);
  /* u2-1: one frame, b (0.7): ln 0.7; u2-2: blank (0.1) */
  RandomReader *rr = tbl_random_open(sc + strlen("--scores-wspecifier="), &tbl_vector_holder);
  const Vec *v = tbl_random_get(rr, "u2-1");
  CHECK(v->dim == 3);
  CHECK_NEAR(v->data[0], log(.7), 1e-5);
  CHECK_NEAR(v->data[1], log(.7), 1e-5);
  CHECK_NEAR(v->data[2], 0, 1e-9);
  v = tbl_random_get(rr, "u2-2");
  CHECK_NEAR(v->data[1], log(.1), 1e-5);
  tbl_random_close(rr);
}

static void test_posteriors(void) {
  char ws[700];
  snprintf(ws, sizeof ws, "ark:%s", path("p.ark"));
  DecRunOpts o = parse("--write-posteriors", NULL, NULL, NULL);
  run(&o, ws);
  RandomReader *rr = tbl_random_open(ws, &tbl_matrix_holder);
  const Mat *m = tbl_random_get(rr, "u1");
  CHECK(m->rows == 6 && m->cols == 4);
  CHECK_NEAR(*mat_at(*m, 3, 3), log(.7), 1e-6);
  tbl_random_close(rr);
}

/* The LM prefers "b" after <s>: one ambiguous frame decodes to "a" without it, "b" with. */
static void test_lm_changes_result(void) {
  char units[700], lm[700], ws[700], text[700];
  snprintf(units, sizeof units, "--units=%s", path("units.txt"));
  snprintf(lm, sizeof lm, "--lm=%s", path("lm.arpa"));
  snprintf(ws, sizeof ws, "ark,t:%s", path("l.txt"));
  const char *s[] = {"b"};
  const char *const *sents[] = {s, s, s, s};
  int lens[] = {1, 1, 1, 1};
  DecLm *model = dec_lm_estimate_kn(sents, lens, 4, 2);
  dec_lm_write_arpa(model, path("lm.arpa"));
  dec_lm_free(model);
  double p[] = {.1, .5, .4, 0.0001};
  for (int with_lm = 0; with_lm < 2; with_lm++) {
    DecRunOpts o = parse(units, with_lm ? lm : NULL, "--lm-weight=2", NULL);
    DecRun *r = dec_run_new(&o, 4, ws);
    Mat a = probs(1, 4, p);
    CHECK(dec_run_utterance(r, "x", a));
    dec_run_free(r);
    mat_release(&a);
    snprintf(text, sizeof text, "x %s \n", with_lm ? "b" : "a");
    CHECK(strcmp(slurp("l.txt"), text) == 0);
  }
}

static void test_bad_utterance(void) {
  char units[700], ws[700];
  snprintf(units, sizeof units, "--units=%s", path("units.txt"));
  snprintf(ws, sizeof ws, "ark,t:%s", path("b.txt"));
  DecRunOpts o = parse(units, NULL, NULL, NULL);
  DecRun *r = dec_run_new(&o, 4, ws);
  Mat a = probs(1, 4, kU2);
  *mat_at(a, 0, 2) = NAN;
  CHECK(!dec_run_utterance(r, "nan", a));
  Mat b = mat_alloc(2, 3);
  CHECK(!dec_run_utterance(r, "narrow", b));
  Mat e = mat_alloc(0, 4);
  CHECK(dec_run_utterance(r, "empty", e)); /* no frames: an empty hypothesis */
  dec_run_free(r);
  CHECK(strcmp(slurp("b.txt"), "empty \n") == 0);
  mat_release(&a);
  mat_release(&b);
  mat_release(&e);
}

static bool fails_with(DecRunOpts o, int outputs, const char *want) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    if (!freopen(path("err"), "w", stderr)) _exit(99);
    dec_run_new(&o, outputs, "ark,t:/dev/null");
    _exit(0);
  }
  int status;
  waitpid(pid, &status, 0);
  bool ok = WIFEXITED(status) && WEXITSTATUS(status) != 0 && strstr(slurp("err"), want);
  if (!ok) fprintf(stderr, "  wanted \"%s\", got: %s\n", want, slurp("err"));
  return ok;
}

static void test_bad_setup(void) {
  char units[700], lm[700];
  snprintf(units, sizeof units, "--units=%s", path("units.txt"));
  snprintf(lm, sizeof lm, "--lm=%s", path("lm.arpa"));
  CHECK(fails_with(parse(units, NULL, NULL, NULL), 5, "units.txt has 4 units but the model has 5 outputs"));
  CHECK(fails_with(parse("--mode=greedy", units, lm, NULL), 4, "--lm needs --mode=beam"));
  CHECK(fails_with(parse("--mode=greedy", units, "--nbest=2", NULL), 4, "--nbest needs --mode=beam"));
  CHECK(fails_with(parse(units, "--nbest=5", "--beam=2", NULL), 4, "--nbest <= --beam"));
  CHECK(fails_with(parse(NULL, NULL, NULL, NULL), 4, "--units is required"));
}

int main(void) {
  if (!mkdtemp(dir)) return 1;
  write_text("units.txt", "<blk> 0\na 1\nb 2\n| 3\n");
  RUN(test_greedy_words);
  RUN(test_nbest_and_scores);
  RUN(test_posteriors);
  RUN(test_lm_changes_result);
  RUN(test_bad_utterance);
  RUN(test_bad_setup);
  free_parser();
  char cmd[700];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) return 1;
  return test_summary();
}
