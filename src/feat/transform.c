/* Feature-space transforms: CMVN (Kaldi's cmvn.cc), deltas (DeltaFeatures in
 * feature-functions.cc) and splicing (SpliceFrames). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "feat/feat.h"

void feat_cmvn_init(double *stats, int dim) { memset(stats, 0, sizeof(double) * 2 * (dim + 1)); }

/* As Kaldi's AccCmvnStats: x and x * x are float (the product rounded to float), the
 * sums double. */
void feat_cmvn_acc(double *stats, int dim, Mat feats) {
  double *sum = stats, *sq = stats + dim + 1;
  for (int r = 0; r < feats.rows; r++) {
    const float *x = mat_row(feats, r);
    for (int d = 0; d < dim; d++) {
      sum[d] += x[d];
      sq[d] += (double)(x[d] * x[d]);
    }
  }
  sum[dim] += feats.rows;
}

bool feat_cmvn_apply(const double *stats, int dim, bool norm_vars, Mat feats, char *err,
                     size_t errlen) {
  double count = stats[dim];
  if (count < 1.0) {
    snprintf(err, errlen, "insufficient stats for cepstral mean and variance normalization: "
             "count = %g", count);
    return false;
  }
  float *offset = xmalloc(dim * sizeof(float)), *scale = xmalloc(dim * sizeof(float));
  float minus_inv_count = (float)(-1.0 / count);
  for (int d = 0; d < dim; d++) {
    double mean = stats[d] / count, s = 1.0;
    if (norm_vars) {
      double var = stats[dim + 1 + d] / count - mean * mean, floor = 1.0e-20;
      if (var < floor) {
        WARN("flooring cepstral variance from %g to %g", var, floor);
        var = floor;
      }
      s = 1.0 / sqrt(var);
    }
    if (!isfinite(s) || !isfinite(mean)) {
      snprintf(err, errlen, "NaN or infinity in cepstral mean/variance computation");
      free(offset); free(scale);
      return false;
    }
    scale[d] = (float)s;
    if (norm_vars) {
      offset[d] = (float)(-(mean * s));
    } else {
      /* Kaldi's offset.AddVec(-1.0 / count, sums): a zeroed float vector plus the double
       * product of float(-1/count) and the sum (so a zero sum gives +0, not -0). */
      offset[d] = 0.0f;
      offset[d] += minus_inv_count * stats[d];
    }
  }
  for (int r = 0; r < feats.rows; r++) {
    float *x = mat_row(feats, r);
    if (norm_vars)
      for (int d = 0; d < dim; d++) x[d] = x[d] * scale[d] + offset[d];
    else
      for (int d = 0; d < dim; d++) x[d] += offset[d];
  }
  free(offset);
  free(scale);
  return true;
}

/* Kaldi's delta scales: scales[0] = [1]; scales[i] = scales[i-1] convolved with
 * [-w..w] / sum j^2. Returns order+1 arrays, scales[i] of length 2*i*w+1. */
static float **delta_scales(int order, int window) {
  float **s = xcalloc(order + 1, sizeof(float *));
  s[0] = xcalloc(1, sizeof(float));
  s[0][0] = 1.0f;
  for (int i = 1; i <= order; i++) {
    int prev_len = 2 * (i - 1) * window + 1, prev_off = (prev_len - 1) / 2;
    int cur_off = prev_off + window;
    s[i] = xcalloc(prev_len + 2 * window, sizeof(float));
    float norm = 0;
    for (int j = -window; j <= window; j++) {
      norm += (float)(j * j);
      for (int k = -prev_off; k <= prev_off; k++)
        s[i][j + k + cur_off] += (float)j * s[i - 1][k + prev_off];
    }
    for (int k = 0; k < prev_len + 2 * window; k++) s[i][k] *= 1.0f / norm;
  }
  return s;
}

void feat_add_deltas(Mat in, int order, int window, Mat *out) {
  int n = in.rows, dim = in.cols;
  mat_resize(out, n, dim * (order + 1));
  float **scales = delta_scales(order, window);
  for (int t = 0; t < n; t++) {
    float *y = mat_row(*out, t);
    for (int i = 0; i <= order; i++) {
      int max_off = i * window;
      float *yi = y + i * dim;
      for (int j = -max_off; j <= max_off; j++) {
        int f = t + j < 0 ? 0 : t + j >= n ? n - 1 : t + j; /* edges repeated */
        float sc = scales[i][j + max_off];
        if (sc == 0.0f) continue;
        const float *x = mat_row(in, f);
        for (int d = 0; d < dim; d++) yi[d] += sc * x[d];
      }
    }
  }
  for (int i = 0; i <= order; i++) free(scales[i]);
  free(scales);
}

void feat_splice(Mat in, int left, int right, Mat *out) {
  int n = in.rows, dim = in.cols;
  mat_resize(out, n, dim * (left + 1 + right));
  for (int t = 0; t < n; t++)
    for (int j = -left; j <= right; j++) {
      int f = t + j < 0 ? 0 : t + j >= n ? n - 1 : t + j;
      memcpy(mat_row(*out, t) + (j + left) * dim, mat_row(in, f), dim * sizeof(float));
    }
}
