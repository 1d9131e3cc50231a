#include "matrix/blas-kernels.h"

#include <cblas.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"

/* OpenBLAS kernels that use AVX2 and FMA or more: the ones worth having on a CPU that has
 * them. OpenBLAS names the others after older CPUs (Prescott, Nehalem, Sandybridge...). */
static bool is_avx2_kernel(const char *name) {
  static const char *const avx2[] = {"Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids"};
  for (size_t i = 0; i < sizeof avx2 / sizeof avx2[0]; i++)
    if (strcmp(name, avx2[i]) == 0) return true;
  return false;
}

/* The kernels OpenBLAS would have chosen had it known this CPU; NULL when it chose as well. */
static const char *better_kernels(void) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (is_avx2_kernel(openblas_get_corename())) return NULL;
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
  return NULL;
}

/* OpenBLAS picks its kernels by the CPU's model number when it is loaded, and on a model
 * newer than it knows it falls back to its SSE3 kernels: Debian 12's OpenBLAS 0.3.21 on an
 * Emerald Rapids Xeon (family 6, model 207) multiplies 3-5 times slower than it can.
 * OPENBLAS_CORETYPE, read at load time only, names the kernels instead; so before main,
 * a program on such a CPU sets it and executes itself again, with the same arguments and
 * nothing read yet. A value the user set is kept, whatever it is. glibc passes main's
 * arguments to the constructors of the program itself. */
__attribute__((constructor)) static void choose_blas_kernels(int argc, char **argv) {
  (void)argc;
  if (getenv("OPENBLAS_CORETYPE") || !argv || !argv[0]) return;
  const char *kernels = better_kernels();
  if (!kernels) return;
  /* The file's own path rather than /proc/self/exe, which would rename the process "exe". */
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = '\0';
    setenv("OPENBLAS_CORETYPE", kernels, 1);
    execv(self, argv);
    unsetenv("OPENBLAS_CORETYPE");
  }
  log_set_program(argv[0]); /* before main, which would set it */
  WARN("OpenBLAS runs its %s kernels on this CPU, and the program could not restart itself with "
       "faster ones: set OPENBLAS_CORETYPE=%s in the environment for its products to run several "
       "times faster", openblas_get_corename(), kernels);
}

const char *blas_kernels(void) { return openblas_get_corename(); }
