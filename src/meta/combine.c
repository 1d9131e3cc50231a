/* meta-combine's two steps (parallel.h): the outer step from the jobs' meta-gradient
 * files, and model averaging. The state is meta-train's (train.c) without the data:
 * the model, the inner-loop rates, the outer optimiser and the checkpoint counters. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "matrix/matrix.h"
#include "meta/meta-internal.h"
#include "meta/parallel.h"

typedef struct {
  const MetaTrainOpts *o;
  Nnet *model;
  MetaInner *inner;
  NnetOptim *outer;
  int P, R;
  float *mp;            /* meta-parameters [theta; rates] */
  MetaTrainState st;
} Combiner;

/* As meta-train's setup and resume: the state before the checkpoint's iteration. */
static void combiner_load(Combiner *c, const MetaTrainOpts *o, const char *model_in,
                          const char *ckpt_in) {
  c->o = o;
  c->model = nnet_read(model_in);
  c->inner = meta_train_inner(o, c->model);
  c->P = nnet_num_params(c->model);
  c->R = meta_inner_num_learned(c->inner);
  c->mp = xmalloc(sizeof(float) * (size_t)(c->P + c->R));
  memcpy(c->mp, nnet_params(c->model), sizeof(float) * (size_t)c->P);
  memcpy(c->mp + c->P, c->inner->rates, sizeof(float) * (size_t)c->R);
  NnetOptimOpts oo = o->outer; /* as meta-train's setup */
  if (o->clip > 0) oo.max_grad_norm = o->clip;
  nnet_optim_check(&oo, "outer-");
  c->outer = nnet_optim_new(&oo, c->P + c->R);
  c->st.best = xmalloc(sizeof(float) * (size_t)(c->P + c->R));
  rng_seed(&c->st.base, (uint64_t)o->seed);
  if (meta_checkpoint_exists(ckpt_in))
    meta_checkpoint_read(ckpt_in, o, &c->st, c->outer, c->model, c->mp, c->P, c->R);
  else
    LOG("No checkpoint %s: iteration 0 from %s", ckpt_in, model_in);
}

/* The model first, then the checkpoint: a checkpoint on disk implies its model is. */
static void combiner_save(Combiner *c, const char *ckpt_out, const char *model_out) {
  if (!meta_finite(c->P + c->R, c->mp))
    ERROR("non-finite meta-parameters after iteration %d: nothing written", c->st.iter);
  meta_train_to_model(c->model, c->inner, c->mp, c->P, c->R);
  nnet_write(c->model, model_out, c->o->binary);
  meta_checkpoint_write(ckpt_out, c->o, &c->st, c->outer, c->model, c->inner, c->mp, c->P, c->R);
}

static void combiner_free(Combiner *c) {
  nnet_free(c->model);
  meta_inner_free(c->inner);
  nnet_optim_free(c->outer);
  free(c->mp);
  free(c->st.best);
}

/* Reads the n files, checks they are jobs 1..n of this iteration; returns them in job order. */
static MetaGradFile **read_parts(const Combiner *c, int n, char *const *files) {
  MetaGradFile **g = xcalloc((size_t)n, sizeof(*g));
  for (int i = 0; i < n; i++) {
    MetaGradFile *f = meta_grad_file_read(files[i]);
    if (f->num_jobs != n)
      ERROR("%s is job %d of %d, but %d meta-gradient files were given", files[i], f->job,
            f->num_jobs, n);
    if (f->iter != c->st.iter)
      ERROR("%s is for iteration %d, the checkpoint is at iteration %d", files[i], f->iter + 1,
            c->st.iter + 1);
    if (f->num_meta != c->P + c->R)
      ERROR("%s has %d values, the model has %d meta-parameters", files[i], f->num_meta,
            c->P + c->R);
    if (g[f->job - 1]) ERROR("%s: job %d given twice", files[i], f->job);
    g[f->job - 1] = f;
  }
  return g;
}

void meta_combine_grads(const MetaTrainOpts *o, const char *model_in, const char *ckpt_in,
                        int n, char *const *grad_files, const char *ckpt_out,
                        const char *model_out) {
  Combiner c = {0};
  combiner_load(&c, o, model_in, ckpt_in);
  MetaGradFile **g = read_parts(&c, n, grad_files);
  int M = c.P + c.R, tasks = 0, ok = 0;
  double before = 0, after = 0;
  float *sum = xcalloc((size_t)M, sizeof(float));
  for (int j = 0; j < n; j++) { /* job order: the sum does not depend on arrival order */
    vec_axpy(M, 1.0f, g[j]->grad, sum);
    tasks += g[j]->tasks;
    ok += g[j]->tasks_ok;
    before += g[j]->query_before;
    after += g[j]->query_after;
  }
  if (tasks != o->meta_batch)
    ERROR("the %d files hold %d tasks, --meta-batch is %d", n, tasks, o->meta_batch);
  double norm = 0;
  if (ok > 0) vec_scale(M, 1.0f / (float)ok, sum);
  if (ok == 0 || !meta_finite(M, sum) || !nnet_optim_step(c.outer, c.mp, sum, 0.0, &norm)) {
    c.st.bad_total++;
    WARN("Iteration %d: step skipped (no task with finite losses and meta-gradient)", c.st.iter + 1);
    if (++c.st.bad_run >= o->max_bad_steps)
      ERROR("diverged: %d consecutive steps with non-finite values at iteration %d", c.st.bad_run,
            c.st.iter + 1);
  } else {
    c.st.bad_run = 0;
    LOG("Iteration %d: query loss %.5f before, %.5f after adaptation (%d tasks from %d jobs), "
        "meta-gradient norm %.4g",
        c.st.iter + 1, before / ok, after / ok, ok, n, norm);
  }
  c.st.iter++;
  combiner_save(&c, ckpt_out, model_out);
  for (int j = 0; j < n; j++) meta_grad_file_free(g[j]);
  free(g);
  free(sum);
  combiner_free(&c);
}

void meta_combine_average(const MetaTrainOpts *o, const char *model_in, const char *ckpt_in,
                          int n, char *const *models, const char *ckpt_out,
                          const char *model_out) {
  Combiner c = {0};
  combiner_load(&c, o, model_in, ckpt_in);
  if (o->iterations < c.st.iter)
    ERROR("--iterations=%d is before the checkpoint's iteration %d", o->iterations, c.st.iter);
  memset(c.mp, 0, sizeof(float) * (size_t)(c.P + c.R));
  for (int j = 0; j < n; j++) {
    Nnet *m = nnet_read(models[j]);
    if (!nnet_same_arch(m, c.model))
      ERROR("%s has another architecture than %s: cannot average", models[j], model_in);
    vec_axpy(c.P, 1.0f / (float)n, nnet_params_const(m), c.mp);
    if (c.R) {
      int dim;
      const float *r = nnet_get_extra(m, META_EXTRA_RATES, &dim);
      if (!r || dim != c.R) ERROR("%s lacks its %d learned inner rates", models[j], c.R);
      vec_axpy(c.R, 1.0f / (float)n, r, c.mp + c.P);
    }
    nnet_free(m);
  }
  LOG("Averaged %d models (iterations %d to %d)", n, c.st.iter + 1, o->iterations);
  c.st.iter = o->iterations;
  combiner_save(&c, ckpt_out, model_out);
  combiner_free(&c);
}
