/* Optimisers (conventions in optim.h). */
#include "nnet/optim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "io/table.h"

struct NnetOptim {
  NnetOptimOpts o;
  bool adam;
  int n;
  long step;
  float *m, *v; /* sgd: m = momentum buffer; adam: first and second moments */
};

void nnet_optim_opts_default(NnetOptimOpts *o) {
  *o = (NnetOptimOpts){"sgd", 1e-3f, 0.0f, false, 0.9f, 0.999f, 1e-8f, 0.0f, "constant", 0.5f, 1000, 0};
}

void nnet_optim_register(Options *po, NnetOptimOpts *o, const char *p) {
  char name[64];
#define NAME(s) (snprintf(name, sizeof(name), "%s%s", p, s), name)
  opts_choice(po, NAME("optimizer"), &o->type, "sgd|adam", "Optimiser");
  opts_float(po, NAME("lr"), &o->lr, "Learning rate");
  opts_float(po, NAME("momentum"), &o->momentum, "SGD momentum (0: plain SGD)");
  opts_bool(po, NAME("nesterov"), &o->nesterov, "SGD: Nesterov momentum");
  opts_float(po, NAME("adam-beta1"), &o->beta1, "Adam beta1");
  opts_float(po, NAME("adam-beta2"), &o->beta2, "Adam beta2");
  opts_float(po, NAME("adam-eps"), &o->eps, "Adam epsilon");
  opts_float(po, NAME("max-grad-norm"), &o->max_grad_norm, "Clip the gradient to this norm (0: no clipping)");
  opts_choice(po, NAME("lr-schedule"), &o->schedule, "constant|exponential", "Learning-rate schedule");
  char help[128]; /* the help texts name the options with their prefix */
  snprintf(help, sizeof(help), "exponential schedule: lr factor per --%slr-decay-steps steps", p);
  opts_float(po, NAME("lr-decay"), &o->decay, help);
  snprintf(help, sizeof(help), "exponential schedule: steps per --%slr-decay factor", p);
  opts_int(po, NAME("lr-decay-steps"), &o->decay_steps, help);
  opts_int(po, NAME("warmup-steps"), &o->warmup_steps, "Linear learning-rate warm-up over this many steps (0: none)");
#undef NAME
}

void nnet_optim_check(const NnetOptimOpts *o, const char *p) {
  if (strcmp(o->type, "sgd") != 0 && strcmp(o->type, "adam") != 0) ERROR("--%soptimizer=%s: sgd or adam", p, o->type);
  if (!(o->lr >= 0) || !isfinite(o->lr)) ERROR("--%slr=%g: must be >= 0", p, o->lr);
  if (!(o->momentum >= 0 && o->momentum < 1)) ERROR("--%smomentum=%g: must be in [0, 1)", p, o->momentum);
  if (o->nesterov && o->momentum == 0) ERROR("--%snesterov needs --%smomentum > 0", p, p);
  if (!(o->beta1 >= 0 && o->beta1 < 1) || !(o->beta2 >= 0 && o->beta2 < 1))
    ERROR("--%sadam-beta1/2 must be in [0, 1)", p);
  if (!(o->eps > 0)) ERROR("--%sadam-eps=%g: must be > 0", p, o->eps);
  if (!(o->max_grad_norm >= 0)) ERROR("--%smax-grad-norm=%g: must be >= 0", p, o->max_grad_norm);
  if (!(o->decay > 0 && o->decay <= 1)) ERROR("--%slr-decay=%g: must be in (0, 1]", p, o->decay);
  if (o->decay_steps < 1) ERROR("--%slr-decay-steps=%d: must be >= 1", p, o->decay_steps);
  if (o->warmup_steps < 0) ERROR("--%swarmup-steps=%d: must be >= 0", p, o->warmup_steps);
}

NnetOptim *nnet_optim_new(const NnetOptimOpts *o, int n) {
  nnet_optim_check(o, "");
  NnetOptim *opt = xcalloc(1, sizeof(*opt));
  opt->o = *o;
  opt->adam = strcmp(o->type, "adam") == 0;
  opt->n = n;
  opt->m = xcalloc((size_t)n + 1, sizeof(float));
  if (opt->adam) opt->v = xcalloc((size_t)n + 1, sizeof(float));
  return opt;
}

void nnet_optim_free(NnetOptim *opt) {
  if (!opt) return;
  free(opt->m);
  free(opt->v);
  free(opt);
}

double nnet_optim_lr(const NnetOptim *opt) {
  const NnetOptimOpts *o = &opt->o;
  double lr = o->lr, t = (double)opt->step;
  if (o->warmup_steps > 0 && t + 1 < o->warmup_steps) lr *= (t + 1) / o->warmup_steps;
  if (strcmp(o->schedule, "exponential") == 0) lr *= pow(o->decay, t / o->decay_steps);
  return lr;
}

long nnet_optim_num_steps(const NnetOptim *opt) { return opt->step; }

bool nnet_optim_step(NnetOptim *opt, float *p, float *g, double loss, double *grad_norm) {
  int n = opt->n;
  double norm = vec_norm2(n, g);
  if (grad_norm) *grad_norm = norm;
  if (!isfinite(loss) || !isfinite(norm)) {
    WARN("non-finite %s (loss %g, gradient norm %g): step %ld skipped", isfinite(loss) ? "gradient" : "loss", loss,
         norm, opt->step + 1);
    return false;
  }
  const NnetOptimOpts *o = &opt->o;
  if (o->max_grad_norm > 0 && norm > o->max_grad_norm) vec_scale(n, (float)(o->max_grad_norm / norm), g);
  float lr = (float)nnet_optim_lr(opt);
  opt->step++;
  if (opt->adam) {
    double c1 = 1 - pow(o->beta1, (double)opt->step), c2 = 1 - pow(o->beta2, (double)opt->step);
    float a = (float)(lr / c1), rc2 = (float)(1 / sqrt(c2));
    for (int i = 0; i < n; i++) {
      opt->m[i] = o->beta1 * opt->m[i] + (1 - o->beta1) * g[i];
      opt->v[i] = o->beta2 * opt->v[i] + (1 - o->beta2) * g[i] * g[i];
      p[i] -= a * opt->m[i] / (sqrtf(opt->v[i]) * rc2 + o->eps);
    }
  } else if (o->momentum > 0) {
    float mu = o->momentum;
    for (int i = 0; i < n; i++) {
      /* PyTorch starts the buffer at g itself on the first step */
      opt->m[i] = opt->step == 1 ? g[i] : mu * opt->m[i] + g[i];
      p[i] -= lr * (o->nesterov ? g[i] + mu * opt->m[i] : opt->m[i]);
    }
  } else {
    vec_axpy(n, -lr, g, p);
  }
  return true;
}

void nnet_optim_write(const NnetOptim *opt, Output *out, bool binary) {
  kio_write_token(out, binary, "<Optim>");
  kio_write_token(out, binary, opt->o.type);
  kio_write_token(out, binary, "<Step>");
  kio_write_int32(out, binary, (int)opt->step);
  kio_write_token(out, binary, "<Dim>");
  kio_write_int32(out, binary, opt->n);
  kio_write_floats(out, binary, opt->m, opt->n);
  if (opt->adam) kio_write_floats(out, binary, opt->v, opt->n);
  kio_write_token(out, binary, "</Optim>");
}

void nnet_optim_read(NnetOptim *opt, Input *in, const char *name) {
  char tok[64];
  int step, dim;
  if (!kio_expect_token(in, "<Optim>") || !kio_read_token(in, tok, sizeof(tok)))
    ERROR("%s: bad or truncated optimiser state", name);
  if (strcmp(tok, opt->o.type) != 0) ERROR("%s: optimiser state is for %s, this run uses %s", name, tok, opt->o.type);
  bool binary = true; /* floats follow the writer's mode: detect from the next token's form */
  if (!kio_expect_token(in, "<Step>")) ERROR("%s: bad or truncated optimiser state", name);
  binary = input_peek(in) == 4;
  if (!kio_read_int32(in, binary, &step) || !kio_expect_token(in, "<Dim>") || !kio_read_int32(in, binary, &dim))
    ERROR("%s: bad or truncated optimiser state", name);
  if (dim != opt->n) ERROR("%s: optimiser state has %d parameters, the model %d", name, dim, opt->n);
  if (!kio_read_floats(in, binary, opt->m, dim) || (opt->adam && !kio_read_floats(in, binary, opt->v, dim)) ||
      !kio_expect_token(in, "</Optim>"))
    ERROR("%s: truncated optimiser state", name);
  opt->step = step;
}
