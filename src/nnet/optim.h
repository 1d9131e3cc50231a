/* Optimisers over flat parameter arrays (the network's, or anything else: meta-training
 * reuses them for its outer step): SGD with momentum or Nesterov momentum, Adam;
 * gradient-norm clipping; learning-rate schedules; non-finite steps skipped.
 *
 *   NnetOptimOpts o; nnet_optim_opts_default(&o); nnet_optim_register(po, &o, "");
 *   NnetOptim *opt = nnet_optim_new(&o, n);
 *   nnet_optim_step(opt, params, grad, loss);     // params -= update(grad)
 *
 * Conventions are PyTorch's torch.optim (so results match it):
 *   sgd:  b = momentum*b + g;  d = nesterov ? g + momentum*b : b;  p -= lr*d
 *   adam: m = b1*m + (1-b1) g;  v = b2*v + (1-b2) g^2;
 *         p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)
 * Learning rate at step t (0-based): lr * min(1, (t+1)/warmup-steps) *
 *   (schedule=exponential: decay^(t/decay-steps); constant: 1).
 * Clipping: when max-grad-norm > 0 and ||g|| > it, g is scaled to norm max-grad-norm
 * first. A non-finite loss or gradient skips the step (WARNING; state and step count
 * unchanged). */
#ifndef NNET_OPTIM_H
#define NNET_OPTIM_H

#include <stdbool.h>

#include "base/options.h"
#include "io/stream.h"

typedef struct {
  const char *type;      /* "sgd" | "adam" */
  float lr;
  float momentum;        /* sgd */
  bool nesterov;         /* sgd */
  float beta1, beta2, eps; /* adam */
  float max_grad_norm;   /* 0: no clipping */
  const char *schedule;  /* "constant" | "exponential" */
  float decay;           /* exponential: factor per decay_steps steps */
  int decay_steps;
  int warmup_steps;      /* 0: none */
} NnetOptimOpts;

void nnet_optim_opts_default(NnetOptimOpts *o);
/* Registers the options as --PREFIXoptimizer, --PREFIXlr, --PREFIXmomentum ... ("" or
 * e.g. "outer-"). */
void nnet_optim_register(Options *po, NnetOptimOpts *o, const char *prefix);
/* ERROR (naming the option) when a setting is out of range. */
void nnet_optim_check(const NnetOptimOpts *o, const char *prefix);

typedef struct NnetOptim NnetOptim;
NnetOptim *nnet_optim_new(const NnetOptimOpts *o, int num_params);
void nnet_optim_free(NnetOptim *opt);
/* One step: params -= update(grad). grad may be scaled in place by clipping. Returns
 * false (and does nothing but WARN) if loss or grad is not finite. Pass loss = 0 when
 * there is none. *grad_norm, if non-NULL, receives ||grad|| before clipping. */
bool nnet_optim_step(NnetOptim *opt, float *params, float *grad, double loss, double *grad_norm);
/* The learning rate the next step will use, and the number of steps taken. */
double nnet_optim_lr(const NnetOptim *opt);
long nnet_optim_num_steps(const NnetOptim *opt);
/* State (step count, momentum / moments) for checkpoints, Kaldi-token style. */
void nnet_optim_write(const NnetOptim *opt, Output *out, bool binary);
/* ERROR naming `name` when the stored state does not fit this optimiser. */
void nnet_optim_read(NnetOptim *opt, Input *in, const char *name);

#endif
