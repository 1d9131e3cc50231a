/* One code path of packed.c's product C += A op(W), included once per instruction set
 * with these defined (and undefined here after use):
 *   PK(name)    name with the path's suffix, for everything defined here
 *   PK_TARGET   the target attribute ("avx2,fma", ...), or nothing for the baseline
 *   PK_FLOATS   floats a native vector of the target: 16, 8 or 4
 *   PK_ROWS     rows of A a pass over the panels (the accumulators the registers hold)
 * Defines static void PK(gemm)(Mat a, MatPacked w, Mat c). */

typedef float PK(vec) __attribute__((vector_size(PK_FLOATS * sizeof(float))));
#define PK_NV (MAT_PANEL / PK_FLOATS) /* vectors a panel row */

/* C (rows x np*MAT_PANEL, or x width when np is 1; row stride ldc) += the rows of A
 * packed k-major in ap (kc x rows) times np consecutive panels' kc rows (panel q at
 * panel + q * pstride). rows and np are constants where this is inlined, so the
 * accumulators live in registers; a few rows take several panels at once, for enough
 * independent sums to fill the pipeline (each C element's sum is the same either way). */
PK_TARGET ALWAYS_INLINE void PK(panels_rows)(int rows, int np, const float *ap, int kc, const float *panel,
                                            size_t pstride, float *c, int ldc, int width) {
  PK(vec) acc[PK_ROWS][4][PK_NV];
#pragma GCC unroll 16
  for (int r = 0; r < rows; r++)
#pragma GCC unroll 4
    for (int q = 0; q < np; q++)
#pragma GCC unroll 4
      for (int v = 0; v < PK_NV; v++) acc[r][q][v] = (PK(vec)){0};
  for (int p = 0; p < kc; p++) {
    PK(vec) w[4][PK_NV];
#pragma GCC unroll 4
    for (int q = 0; q < np; q++)
#pragma GCC unroll 4
      for (int v = 0; v < PK_NV; v++) /* one vector at a time: a vector load each */
        memcpy(&w[q][v], panel + q * pstride + (size_t)p * MAT_PANEL + v * PK_FLOATS, sizeof(w[q][v]));
#pragma GCC unroll 16
    for (int r = 0; r < rows; r++)
#pragma GCC unroll 4
      for (int q = 0; q < np; q++)
#pragma GCC unroll 4
        for (int v = 0; v < PK_NV; v++) acc[r][q][v] += ap[p * rows + r] * w[q][v];
  }
#pragma GCC unroll 16
  for (int r = 0; r < rows; r++) {
    float *cr = c + (size_t)r * (size_t)ldc;
    PK(vec) old[PK_NV] = {{0}};
    if (np == 1 && width < MAT_PANEL) {
      memcpy(old, cr, sizeof(float) * (size_t)width);
#pragma GCC unroll 4
      for (int v = 0; v < PK_NV; v++) old[v] += acc[r][0][v];
      memcpy(cr, old, sizeof(float) * (size_t)width);
      continue;
    }
#pragma GCC unroll 4
    for (int q = 0; q < np; q++)
#pragma GCC unroll 4
      for (int v = 0; v < PK_NV; v++) { /* constant sizes: vector loads and stores */
        float *cv = cr + q * MAT_PANEL + v * PK_FLOATS;
        memcpy(&old[v], cv, sizeof(old[v]));
        old[v] += acc[r][q][v];
        memcpy(cv, &old[v], sizeof(old[v]));
      }
  }
}

/* Rows [i, i+rows) of C += those of A times op(W): for each KC-long slice of k, the
 * slice of A copied k-major (the rows' next elements side by side, whatever A's stride),
 * then the panels, np full ones at a time while they last. Each element of C thus gets
 * its slices' sums in k order. */
PK_TARGET ALWAYS_INLINE void PK(block_rows)(int rows, Mat a, int i, MatPacked w, Mat c) {
  const int NP = PK_ROWS / rows >= 4 ? 4 : PK_ROWS / rows >= 2 ? 2 : 1; /* a constant once inlined */
  float ap[KC * PK_ROWS];
  size_t pstride = (size_t)w.k * MAT_PANEL;
  for (int k0 = 0; k0 < w.k; k0 += KC) {
    int kc = w.k - k0 < KC ? w.k - k0 : KC, c0 = 0;
    for (int r = 0; r < rows; r++) {
      const float *ar = mat_at(a, i + r, k0);
      for (int p = 0; p < kc; p++) ap[p * rows + r] = ar[p];
    }
    const float *slice = w.data + (size_t)k0 * MAT_PANEL; /* of the first panel */
    for (; c0 + NP * MAT_PANEL <= w.n; c0 += NP * MAT_PANEL)
      PK(panels_rows)(rows, NP, ap, kc, slice + (size_t)c0 * (size_t)w.k, pstride, mat_at(c, i, c0), c.stride,
                      MAT_PANEL);
    for (; c0 < w.n; c0 += MAT_PANEL) {
      int width = w.n - c0 < MAT_PANEL ? w.n - c0 : MAT_PANEL;
      PK(panels_rows)(rows, 1, ap, kc, slice + (size_t)c0 * (size_t)w.k, pstride, mat_at(c, i, c0), c.stride,
                      width);
    }
  }
}

/* The fewest blocks of at most PK_ROWS rows, of sizes as equal as can be (50 rows in
 * 12 + 12 + 13 + 13, not 16 + 16 + 16 + 2: each block streams all of W). */
PK_TARGET static void PK(gemm)(Mat a, MatPacked w, Mat c) {
  int blocks = (a.rows + PK_ROWS - 1) / PK_ROWS;
  for (int b = 0, i = 0, rows; b < blocks; b++, i += rows) {
    rows = (a.rows - i) / (blocks - b);
    switch (rows) {
#define PK_CASE(n)                                 \
  case n:                                          \
    if (n <= PK_ROWS) PK(block_rows)(n, a, i, w, c); \
    break;
      PK_CASE(1) PK_CASE(2) PK_CASE(3) PK_CASE(4) PK_CASE(5) PK_CASE(6) PK_CASE(7) PK_CASE(8)
      PK_CASE(9) PK_CASE(10) PK_CASE(11) PK_CASE(12) PK_CASE(13) PK_CASE(14) PK_CASE(15) PK_CASE(16)
#undef PK_CASE
    }
  }
}

#undef PK_NV
#undef PK
#undef PK_TARGET
#undef PK_FLOATS
#undef PK_ROWS
