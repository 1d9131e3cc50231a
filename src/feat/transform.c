/* Feature-space transforms: CMVN (Kaldi's cmvn.cc), sliding-window CMN (SlidingWindowCmn
 * in feature-functions.cc), deltas (DeltaFeatures) and splicing (SpliceFrames). */
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

void feat_sliding_cmn_opts_default(FeatSlidingCmnOpts *o) {
  *o = (FeatSlidingCmnOpts){.cmn_window = 600, .min_window = 100, .max_warnings = 5,
                            .norm_vars = false, .center = false};
}

void feat_sliding_cmn_opts_register(FeatSlidingCmnOpts *o, Options *po) {
  opts_int(po, "cmn-window", &o->cmn_window, "Window in frames for running average CMN computation");
  opts_int(po, "min-cmn-window", &o->min_window, "Minimum CMN window used at start of decoding "
           "(adds latency only at start). Only applicable if center == false, ignored if center==true");
  opts_int(po, "max-warnings", &o->max_warnings, "Maximum warnings to report per utterance. "
           "0 to disable, -1 to show all.");
  opts_bool(po, "norm-vars", &o->norm_vars, "If true, normalize variance to one.");
  opts_bool(po, "center", &o->center, "If true, use a window centered on the current frame (to "
            "the extent possible, modulo end effects). If false, window is to the left.");
}

bool feat_sliding_cmn_opts_check(const FeatSlidingCmnOpts *o, char *err, size_t errlen) {
  if (o->cmn_window <= 0 || o->cmn_window > 1000000000) { /* (window ends stay in an int) */
    snprintf(err, errlen, "--cmn-window=%d must be in [1, 1000000000]", o->cmn_window);
    return false;
  }
  if (o->center && (o->min_window <= 0 || o->min_window > o->cmn_window)) {
    snprintf(err, errlen, "--min-cmn-window=%d must be in [1, --cmn-window=%d] (Kaldi checks it "
             "even with --center=true, which ignores it)", o->min_window, o->cmn_window);
    return false;
  }
  return true;
}

/* Frame t's window [*start, *end) in an utterance of n frames, by Kaldi's rules: centred
 * on t, or the cmn_window frames up to t (at least min_window at the start); moved, not
 * shrunk, where it would leave the utterance. */
static void sliding_window(const FeatSlidingCmnOpts *o, int t, int n, int *start, int *end) {
  int s = o->center ? t - o->cmn_window / 2 : t - o->cmn_window;
  int e = o->center ? s + o->cmn_window : t + 1;
  if (s < 0) { e -= s; s = 0; }
  if (!o->center && e > t) e = t + 1 > o->min_window ? t + 1 : o->min_window;
  if (e > n) { s -= e - n; e = n; if (s < 0) s = 0; }
  *start = s;
  *end = e;
}

static void add_frame(double *sum, double *sumsq, const float *x, int dim, double sign) {
  for (int d = 0; d < dim; d++) {
    sum[d] += sign * x[d];
    if (sumsq) sumsq[d] += sign * x[d] * (double)x[d];
  }
}

/* The running sums move by whole frames as the window slides: the frame that leaves is
 * subtracted before the one that enters is added, as in Kaldi's SlidingWindowCmnInternal,
 * and each operation (axpy with -1/n, scale by 1/n, floor at 1e-10, pow -0.5) is written
 * as Kaldi's, so the rounding and the output are Kaldi's. */
void feat_sliding_cmn(const FeatSlidingCmnOpts *o, Mat in, Mat out) {
  int n = in.rows, dim = in.cols, warnings = 0, ws = 0, we = 0; /* the window summed so far */
  double *sum = xcalloc(3 * (size_t)dim, sizeof(double)), *sumsq = sum + dim, *y = sum + 2 * dim;
  double *sq = o->norm_vars ? sumsq : NULL;
  for (int t = 0; t < n; t++) {
    int s, e;
    sliding_window(o, t, n, &s, &e);
    for (; ws < s; ws++) add_frame(sum, sq, mat_row(in, ws), dim, -1.0);
    for (; we < e; we++) add_frame(sum, sq, mat_row(in, we), dim, 1.0);
    int w = e - s;
    const float *x = mat_row(in, t);
    for (int d = 0; d < dim; d++) y[d] = x[d] + -1.0 / w * sum[d];
    if (o->norm_vars && w == 1) {
      for (int d = 0; d < dim; d++) y[d] = 0.0;
    } else if (o->norm_vars) {
      int floored = 0;
      for (int d = 0; d < dim; d++) {
        double var = sumsq[d] * (1.0 / w);
        var += -1.0 / ((double)w * w) * sum[d] * sum[d];
        if (var < 1.0e-10) { var = 1.0e-10; floored++; }
        y[d] *= pow(var, -0.5);
      }
      if (floored > 0 && n > 1) {
        if (warnings == o->max_warnings)
          WARN("Suppressing the remaining variance flooring warnings. Run program with "
               "--max-warnings=-1 to see all warnings.");
        else if (o->max_warnings < 0 || o->max_warnings > warnings)
          WARN("Flooring when normalizing variance, floored %d elements; num-frames was %d",
               floored, w);
        warnings++;
      }
    }
    float *z = mat_row(out, t);
    for (int d = 0; d < dim; d++) z[d] = (float)y[d];
  }
  free(sum);
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
