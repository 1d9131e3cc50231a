/* The kernels OpenBLAS runs. On a CPU newer than the installed OpenBLAS knows, which it
 * would give its slowest kernels, a program chooses by the CPU's instruction sets instead
 * (AVX-512: SkylakeX, AVX2: Haswell) before main; OPENBLAS_CORETYPE set by the user wins. */
#ifndef MATRIX_BLAS_KERNELS_H
#define MATRIX_BLAS_KERNELS_H

/* OpenBLAS's name for the kernels it runs: "SkylakeX", "Haswell", "Zen", "Prescott"... */
const char *blas_kernels(void);

#endif
