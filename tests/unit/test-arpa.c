/* Unit tests for ARPA reading and writing: round trip of an estimated model, files in
 * the layouts of SRILM and KenLM, and clear errors on bad files and units. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "decode/decode.h"
#include "testing.h"

static char dir[] = "/tmp/test-arpa-XXXXXX";

static const char *write_file(const char *name, const char *text) {
  static char path[4][512];
  static int k;
  char *p = path[k++ % 4];
  snprintf(p, 512, "%s/%s", dir, name);
  FILE *f = fopen(p, "w");
  fputs(text, f);
  fclose(f);
  return p;
}

/* Runs fn(arg) in a child process; true when it exits non-zero with `want` in stderr. */
static bool fails_with(void (*fn)(const char *), const char *arg, const char *want) {
  char errpath[600];
  snprintf(errpath, sizeof errpath, "%s/stderr", dir);
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    if (!freopen(errpath, "w", stderr)) _exit(99);
    fn(arg);
    _exit(0);
  }
  int status;
  waitpid(pid, &status, 0);
  char buf[4096] = {0};
  FILE *f = fopen(errpath, "r");
  size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  buf[n] = 0;
  if (f) fclose(f);
  bool ok = WIFEXITED(status) && WEXITSTATUS(status) != 0 && strstr(buf, want) != NULL;
  if (!ok) fprintf(stderr, "  wanted failure with \"%s\", got status %d and: %s\n", want, status, buf);
  return ok;
}

static void read_lm(const char *path) { dec_lm_free(dec_lm_read_arpa(path)); }
static void read_units(const char *path) { dec_units_free(dec_units_read(path)); }

static void test_round_trip(void) {
  const char *s1[] = {"a", "b", "a", "b", "c"}, *s2[] = {"b", "b", "a"}, *s3[] = {"c", "a", "b"};
  const char *const *sents[] = {s1, s2, s3};
  int lens[] = {5, 3, 3};
  DecLm *lm = dec_lm_estimate_kn(sents, lens, 3, 4);
  char path[600];
  snprintf(path, sizeof path, "%s/rt.arpa", dir);
  dec_lm_write_arpa(lm, path);
  DecLm *back = dec_lm_read_arpa(path);
  CHECK(dec_lm_order(back) == 4);
  for (int n = 1; n <= 4; n++) CHECK(dec_lm_num_ngrams(back, n) == dec_lm_num_ngrams(lm, n));
  const char *words[] = {"<s>", "a", "b", "c", "</s>", "<unk>"};
  int h[3];
  for (int i = 0; i < 216; i++) { /* every history of three words from the list above */
    for (int k = 0; k < 3; k++) h[k] = dec_lm_word(lm, words[(i / (k == 0 ? 1 : k == 1 ? 6 : 36)) % 6]);
    int hb[3];
    for (int k = 0; k < 3; k++) hb[k] = dec_lm_word(back, words[(i / (k == 0 ? 1 : k == 1 ? 6 : 36)) % 6]);
    for (int w = 1; w < 6; w++)
      CHECK_NEAR(dec_lm_logprob(back, hb, 3, dec_lm_word(back, words[w])),
                 dec_lm_logprob(lm, h, 3, dec_lm_word(lm, words[w])), 1e-5);
  }
  dec_lm_free(lm);
  dec_lm_free(back);
}

/* SRILM: a comment before \data\, tabs, no back-off on the highest order, -99 for <s>.
 * KenLM: the same with spaces in "ngram 1=..." and back-offs omitted when zero. */
static void test_foreign_layouts(void) {
  const char *srilm =
      "# produced by ngram-count\n\n\\data\\\nngram 1=4\nngram 2=3\n\n\\1-grams:\n"
      "-0.30103\t</s>\n-99\t<s>\t-0.5\n-0.60206\tx\t-0.1\n-0.60206\ty\n\n\\2-grams:\n"
      "-0.1\t<s> x\n-0.2\tx y\n-0.3\ty </s>\n\n\\end\\\n";
  DecLm *lm = dec_lm_read_arpa(write_file("srilm.arpa", srilm));
  int s = dec_lm_bos(lm), x = dec_lm_word(lm, "x"), y = dec_lm_word(lm, "y");
  CHECK(dec_lm_unk(lm) < 0 && dec_lm_order(lm) == 2);
  CHECK_NEAR(dec_lm_logprob(lm, &s, 1, x), -0.1 * M_LN10, 1e-6);
  /* back-off: P(y | <s>) = bow(<s>) P(y) */
  CHECK_NEAR(dec_lm_logprob(lm, &s, 1, y), (-0.5 - 0.60206) * M_LN10, 1e-6);
  /* y has no back-off weight: P(x | y) = P(x) */
  CHECK_NEAR(dec_lm_logprob(lm, &y, 1, x), -0.60206 * M_LN10, 1e-6);
  CHECK_NEAR(dec_lm_logprob(lm, &x, 1, dec_lm_eos(lm)), (-0.1 - 0.30103) * M_LN10, 1e-6);
  dec_lm_free(lm);
  const char *kenlm =
      "\\data\\\r\nngram  1=3\r\nngram 2=1\r\n\r\n\\1-grams:\r\n-1.0\t<unk>\t0\r\n-99\t<s>\t-0.2\r\n"
      "-0.5\t</s>\t0\r\n\r\n\\2-grams:\r\n-0.05\t<s> </s>\r\n\r\n\\end\\\r\n";
  lm = dec_lm_read_arpa(write_file("kenlm.arpa", kenlm));
  s = dec_lm_bos(lm);
  CHECK(dec_lm_unk(lm) >= 0);
  CHECK_NEAR(dec_lm_logprob(lm, &s, 1, dec_lm_eos(lm)), -0.05 * M_LN10, 1e-6);
  CHECK_NEAR(dec_lm_logprob(lm, &s, 1, dec_lm_word(lm, "zzz")), (-0.2 - 1.0) * M_LN10, 1e-6);
  dec_lm_free(lm);
}

static void test_bad_arpa(void) {
  const char *head = "\\data\\\nngram 1=3\nngram 2=1\n\n\\1-grams:\n-1\t<s>\t-0.1\n-0.5\t</s>\n-0.5\ta\n\n";
  char buf[1024];
  CHECK(fails_with(read_lm, write_file("b1", "just some text\n"), "no \\data\\ section"));
  snprintf(buf, sizeof buf, "%s\\2-grams:\n-0.1\t<s> a\n-0.1\ta </s>\n\n\\end\\\n", head);
  CHECK(fails_with(read_lm, write_file("b2", buf), "declares 1 2-grams but the \\2-grams: section has 2"));
  snprintf(buf, sizeof buf, "%s\\2-grams:\n-0.1\t<s> a\n", head);
  CHECK(fails_with(read_lm, write_file("b3", buf), "ends without the \\end\\ section"));
  CHECK(fails_with(read_lm, write_file("b4", head), "ends without the \\2-grams: section"));
  snprintf(buf, sizeof buf, "%s\\2-grams:\n-0.1\t<s> b\n\n\\end\\\n", head);
  CHECK(fails_with(read_lm, write_file("b5", buf), "word \"b\" has no unigram"));
  snprintf(buf, sizeof buf, "%s\\2-grams:\n-0.1x\t<s> a\n\n\\end\\\n", head);
  CHECK(fails_with(read_lm, write_file("b6", buf), "line 11: expected \"log10-prob\""));
  CHECK(fails_with(read_lm, write_file("b7", "\\data\\\nngram 1=x\n"), "line 2: bad n-gram count"));
  CHECK(fails_with(read_lm, write_file("b8", "\\data\\\nngram 2=1\n"), "orders 1, 2, ..."));
  CHECK(fails_with(read_lm, write_file("b9", "\\data\\\nngram 1=1\n\n\\1-grams:\n-1\ta\n\n\\end\\\n"),
                   "lack <s> or </s>"));
  CHECK(fails_with(read_lm, "/nonexistent/lm.arpa", "lm.arpa"));
}

static void test_bad_units(void) {
  CHECK(fails_with(read_units, write_file("u1", "<blk> 0\na 1\nb 3\n"), "2 is missing"));
  CHECK(fails_with(read_units, write_file("u2", "<blk> 0\na 1\nb 1\n"), "line 3: id 1 given twice"));
  CHECK(fails_with(read_units, write_file("u3", "<blk> 0\na one\n"), "line 2: expected \"symbol integer\""));
  CHECK(fails_with(read_units, write_file("u4", "<blk> 0\na 1\na 2\n"), "symbol a has two ids"));
  DecUnits *u = dec_units_read(write_file("u5", "<blk> 0\n\nb 2\na 1\n"));
  CHECK(dec_units_count(u) == 3 && strcmp(dec_units_symbol(u, 2), "b") == 0);
  dec_units_free(u);
}

int main(void) {
  if (!mkdtemp(dir)) return 1;
  RUN(test_round_trip);
  RUN(test_foreign_layouts);
  RUN(test_bad_arpa);
  RUN(test_bad_units);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) return 1;
  return test_summary();
}
