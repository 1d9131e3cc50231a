/* Unit tests for src/score: Kaldi's edit-distance counts and tie-breaking, alignment,
 * UTF-8 characters, and the exact report lines. Expected values worked out by hand. */
#include <stdlib.h>
#include <string.h>

#include "score/score.h"
#include "testing.h"

/* Splits a space-separated literal into at most 32 tokens (static storage). */
static int toks(const char *s, char buf[256], const char *out[32]) {
  strncpy(buf, s, 255);
  buf[255] = 0;
  int n = 0;
  for (char *t = strtok(buf, " "); t && n < 32; t = strtok(NULL, " ")) out[n++] = t;
  return n;
}

static int dist(const char *r, const char *h, ScoreErrors *e) {
  char rb[256], hb[256];
  const char *rt[32], *ht[32];
  int nr = toks(r, rb, rt), nh = toks(h, hb, ht);
  return score_edit_distance(rt, nr, ht, nh, e);
}

static void test_edit_distance(void) {
  ScoreErrors e;
  CHECK(dist("a b c d", "a b c d", &e) == 0 && e.ins == 0 && e.del == 0 && e.sub == 0);
  CHECK(dist("a b c d", "a x c d e", &e) == 2 && e.ins == 1 && e.del == 0 && e.sub == 1);
  CHECK(dist("a b c d", "", &e) == 4 && e.del == 4 && e.ins == 0 && e.sub == 0);
  CHECK(dist("", "a b", &e) == 2 && e.ins == 2 && e.del == 0);
  CHECK(dist("a b c", "b c", &e) == 1 && e.del == 1);
  CHECK(dist("the cat sat on the mat", "cat sat in the the mat", &e) == 3);
  CHECK(e.del == 1 && e.sub == 1 && e.ins == 1);
  /* A tie between sub+sub and del+ins: "a b" vs "b a" costs 2. At the last cell
   * sub (cost 2) is not strictly less than ins (cost 2), del (cost 3) is not less
   * than ins, so Kaldi takes the insertion path: ins 1, del 1. */
  CHECK(dist("a b", "b a", &e) == 2 && e.ins == 1 && e.del == 1 && e.sub == 0);
  /* "a" vs "b": sub 1 < ins 2 and < del 2 */
  CHECK(dist("a", "b", &e) == 1 && e.sub == 1);
}

static void test_align(void) {
  char rb[256], hb[256];
  const char *rt[32], *ht[32];
  int nr = toks("a b c d", rb, rt), nh = toks("a x c e f", hb, ht), n;
  ScorePair *p = score_align(rt, nr, ht, nh, &n);
  CHECK(n == 5);
  /* traced by hand: at the end, d/f (sub, cost 3) ties ins (3) and wins; then e is
   * an insertion (cost 2 < sub 3) */
  const char *want[5][2] = {{"a", "a"}, {"b", "x"}, {"c", "c"}, {NULL, "e"}, {"d", "f"}};
  for (int i = 0; i < n && i < 5; i++) {
    CHECK((p[i].ref == NULL) == (want[i][0] == NULL));
    CHECK(!p[i].ref || !want[i][0] || strcmp(p[i].ref, want[i][0]) == 0);
    CHECK(strcmp(p[i].hyp, want[i][1]) == 0);
  }
  free(p);
  nr = toks("a b c", rb, rt);
  nh = toks("a c", hb, ht);
  p = score_align(rt, nr, ht, nh, &n);
  CHECK(n == 3 && p[1].hyp == NULL && strcmp(p[1].ref, "b") == 0);
  free(p);
  p = score_align(rt, 0, ht, 0, &n);
  CHECK(n == 0);
  free(p);
}

static void test_utf8(void) {
  const char *t[] = {"né", "日本", "a\xff"};
  int n;
  char **c = score_utf8_chars(t, 3, &n);
  CHECK(n == 6);
  if (n == 6) {
    CHECK(strcmp(c[0], "n") == 0 && strcmp(c[1], "é") == 0 && strcmp(c[2], "日") == 0);
    CHECK(strcmp(c[3], "本") == 0 && strcmp(c[4], "a") == 0 && strcmp(c[5], "\xff") == 0);
  }
  free(c);
}

static void test_format(void) {
  char buf[256];
  ScoreStats s = {.words = 24, .errs = 11, .ins = 6, .del = 2, .sub = 3, .sents = 4,
                  .sent_errs = 3, .absent = 1};
  score_format_wer(&s, "WER", buf, sizeof buf);
  CHECK(strcmp(buf, "%WER 45.83 [ 11 / 24, 6 ins, 2 del, 3 sub ] [PARTIAL]") == 0);
  score_format_ser(&s, buf, sizeof buf);
  CHECK(strcmp(buf, "%SER 75.00 [ 3 / 4 ]") == 0);
  s.absent = 0;
  score_format_wer(&s, "CER", buf, sizeof buf);
  CHECK(strcmp(buf, "%CER 45.83 [ 11 / 24, 6 ins, 2 del, 3 sub ]") == 0);
  score_format_percent(0, 0, buf, sizeof buf);
  CHECK(strcmp(buf, "-nan") == 0);
  score_format_percent(3, 0, buf, sizeof buf);
  CHECK(strcmp(buf, "inf") == 0);
  /* 1/32 = 3.125 exactly: printf rounds half to even -> 3.12, as iostream does */
  score_format_percent(1, 32, buf, sizeof buf);
  CHECK(strcmp(buf, "3.12") == 0);
  score_format_percent(2, 3, buf, sizeof buf);
  CHECK(strcmp(buf, "66.67") == 0);
}

static void test_stats(void) {
  ScoreStats s = {0};
  const char *r[] = {"a", "b"}, *h[] = {"a", "b"}, *h2[] = {"a"};
  score_stats_add(&s, r, 2, h, 2);
  score_stats_add(&s, r, 2, h2, 1);
  CHECK(s.words == 4 && s.errs == 1 && s.del == 1 && s.sents == 2 && s.sent_errs == 1);
}

int main(void) {
  RUN(test_edit_distance);
  RUN(test_align);
  RUN(test_utf8);
  RUN(test_format);
  RUN(test_stats);
  return test_summary();
}
