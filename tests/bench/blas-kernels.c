/* Prints the OpenBLAS kernels the toolkit's programs run on this machine. */
#include <stdio.h>

#include "matrix/blas-kernels.h"

int main(void) {
  puts(blas_kernels());
  return 0;
}
