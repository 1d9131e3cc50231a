/* nnet-average: weighted average of the parameters of models of one architecture. */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/options.h"
#include "base/util.h"
#include "nnet/nnet.h"

/* "0.2:0.8" into n weights normalised to sum 1; all 1/n when empty. */
static double *parse_weights(const char *s, int n) {
  double *w = xmalloc(sizeof(double) * (size_t)n), sum = 0;
  if (!*s) {
    for (int i = 0; i < n; i++) w[i] = 1.0 / n;
    return w;
  }
  char *copy = xstrdup(s), *save = NULL;
  int k = 0;
  for (char *tok = strtok_r(copy, ":", &save); tok; tok = strtok_r(NULL, ":", &save), k++)
    if (k >= n || !parse_double(tok, &w[k]) || w[k] < 0) ERROR("--weights=%s: expected %d non-negative numbers a:b:...", s, n);
  if (k != n) ERROR("--weights=%s: %d weights for %d models", s, k, n);
  for (int i = 0; i < n; i++) sum += w[i];
  if (!(sum > 0)) ERROR("--weights=%s: weights sum to zero", s);
  for (int i = 0; i < n; i++) w[i] /= sum;
  free(copy);
  return w;
}

/* out = sum_i w_i x_i, accumulated in double. */
static void average(float *out, const float *const *x, const double *w, int m, int n) {
  for (int j = 0; j < n; j++) {
    double s = 0;
    for (int i = 0; i < m; i++) s += w[i] * x[i][j];
    out[j] = (float)s;
  }
}

int main(int argc, char **argv) {
  const char *usage =
      "Average the parameters of several models of the same architecture (model averaging across\n"
      "parallel jobs; Reptile-style interpolation with --weights). Extra vectors present in every\n"
      "model with the same dim are averaged too; others are taken from the first model.\n"
      "Usage: nnet-average [options] <model-in1> <model-in2> ... <model-out>\n"
      "e.g.: nnet-average exp/dnn/1.1.mdl exp/dnn/1.2.mdl exp/dnn/1.mdl\n"
      "      nnet-average --weights=0.9:0.1 old.mdl adapted.mdl new.mdl\n";
  bool binary = true;
  const char *weights = "";
  Options *po = opts_new(usage);
  opts_bool(po, "binary", &binary, "Write the model in binary");
  opts_string(po, "weights", &weights, "Colon-separated weights of the input models (normalised to sum 1; "
                                       "default: equal)");
  opts_parse(po, argc, argv);
  if (opts_num_args(po) < 2) opts_usage_exit(po);
  int m = opts_num_args(po) - 1;
  double *w = parse_weights(weights, m);
  Nnet **nets = xmalloc(sizeof(Nnet *) * (size_t)m);
  const float **x = xmalloc(sizeof(float *) * (size_t)m);
  for (int i = 0; i < m; i++) {
    nets[i] = nnet_read(opts_arg(po, i));
    if (i > 0 && !nnet_same_arch(nets[0], nets[i]))
      ERROR("%s and %s have different architectures", opts_arg(po, 0), opts_arg(po, i));
    x[i] = nnet_params(nets[i]);
  }
  Nnet *out = nnet_copy(nets[0]);
  average(nnet_params(out), x, w, m, nnet_num_params(out));
  for (int e = 0; e < nnet_num_extras(out); e++) {
    const char *name = nnet_extra_name(out, e);
    int dim, d;
    nnet_get_extra(nets[0], name, &dim);
    bool all = true;
    for (int i = 0; i < m; i++) {
      x[i] = nnet_get_extra(nets[i], name, &d);
      all = all && x[i] && d == dim;
    }
    if (!all) {
      WARN("extra vector %s is not in every model with dim %d: taken from %s", name, dim, opts_arg(po, 0));
      continue;
    }
    float *avg = xmalloc(sizeof(float) * (size_t)(dim + 1));
    average(avg, x, w, m, dim);
    nnet_set_extra(out, name, avg, dim);
    free(avg);
  }
  nnet_write(out, opts_arg(po, m), binary);
  LOG("Averaged %d models into %s", m, opts_arg(po, m));
  for (int i = 0; i < m; i++) nnet_free(nets[i]);
  nnet_free(out);
  free(nets); free(x); free(w);
  opts_free(po);
  return 0;
}
