/* A small unit-test harness. Each check prints nothing when it holds; a test function
 * prints "PASS: name" or "FAIL: name" once; tests/run-tests.sh counts those lines.
 *
 *   static void test_roundtrip(void) { CHECK(x == 1); CHECK_NEAR(a, b, 1e-6); }
 *   int main(void) { RUN(test_roundtrip); return test_summary(); }
 */
#ifndef TESTS_TESTING_H
#define TESTS_TESTING_H

#include <math.h>
#include <stdio.h>

static int testing_failed_checks, testing_failed_tests, testing_passed_tests;

#define CHECK(cond)                                                                  \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      fprintf(stderr, "  check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond);  \
      testing_failed_checks++;                                                       \
    }                                                                                \
  } while (0)

#define CHECK_NEAR(a, b, tol)                                                        \
  do {                                                                               \
    double testing_a_ = (a), testing_b_ = (b);                                       \
    if (!(fabs(testing_a_ - testing_b_) <= (tol))) {                                 \
      fprintf(stderr, "  check failed at %s:%d: %s = %.9g vs %s = %.9g (tol %g)\n",  \
              __FILE__, __LINE__, #a, testing_a_, #b, testing_b_, (double)(tol));    \
      testing_failed_checks++;                                                       \
    }                                                                                \
  } while (0)

#define RUN(fn)                                                                      \
  do {                                                                               \
    int testing_before_ = testing_failed_checks;                                     \
    fn();                                                                            \
    if (testing_failed_checks == testing_before_) {                                  \
      printf("PASS: %s\n", #fn);                                                     \
      testing_passed_tests++;                                                        \
    } else {                                                                         \
      printf("FAIL: %s\n", #fn);                                                     \
      testing_failed_tests++;                                                        \
    }                                                                                \
    fflush(stdout);                                                                  \
  } while (0)

static inline int test_summary(void) { return testing_failed_tests ? 1 : 0; }

#endif
