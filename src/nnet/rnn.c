/* Settings, parameter views and time-shift helpers shared by lstm.c and gru.c (rnn.h). */
#include <math.h>
#include <stdio.h>

#include "nnet/rnn.h"

bool nnet_rnn_configure(NnetLayer *l, NnetArgs *a, int gates, char *err, size_t errlen) {
  int dim = 0;
  bool bidir = false;
  if (!nnet_arg_int(a, "dim", &dim, err, errlen)) return false;
  if (!nnet_arg_bool(a, "bidirectional", &bidir, err, errlen)) return false;
  if (dim <= 0) {
    snprintf(err, errlen, "%s needs dim= > 0 (units per direction)", l->kind->name);
    return false;
  }
  int dirs = bidir ? 2 : 1;
  long per_dir = (long)gates * dim * (l->in_dim + dim + 2);
  if (per_dir * dirs > 1000000000L) {
    snprintf(err, errlen, "%s dim=%d: too many parameters", l->kind->name, dim);
    return false;
  }
  l->ia[0] = dim;
  l->ia[1] = dirs;
  l->out_dim = dirs * dim;
  l->num_params = (int)(per_dir * dirs);
  return true;
}

void nnet_rnn_init(const NnetLayer *l, float *w, Rng *rng) {
  nnet_fill_uniform(w, l->num_params, 1.0f / sqrtf((float)l->ia[0]), rng);
}

RnnWeights nnet_rnn_weights(const NnetLayer *l, const float *w, int gates, int dir) {
  int H = l->ia[0], I = l->in_dim, GH = gates * H;
  float *p = (float *)w + (size_t)dir * (size_t)GH * (size_t)(I + H + 2);
  RnnWeights r;
  r.Wih = mat_view(p, GH, I, I);
  r.Whh = mat_view(p + (size_t)GH * I, GH, H, H);
  r.bih = p + (size_t)GH * (I + H);
  r.bhh = r.bih + GH;
  return r;
}

void nnet_rnn_fill_bias(Mat m, const float *a, const float *b) {
  for (int r = 0; r < m.rows; r++) {
    float *row = mat_row(m, r);
    if (b)
      for (int c = 0; c < m.cols; c++) row[c] = a[c] + b[c];
    else
      for (int c = 0; c < m.cols; c++) row[c] = a[c];
  }
}

void nnet_rnn_shift(int T, int B, int dir, Mat cur, Mat prev, Mat *cur_rows, Mat *prev_rows) {
  int n = (T - 1) * B;
  *cur_rows = mat_rows(cur, dir ? 0 : B, n);
  *prev_rows = mat_rows(prev, dir ? B : 0, n);
}
