/* meta-train's loop: meta-batches of episodes, the outer step, progress lines,
 * validation with keep-best, checkpoints and resume, divergence handling.
 *
 * All randomness derives from (seed, iteration): epoch e visits the episodes in the
 * order of a shuffle seeded by split(split(base, 0), e); the tasks of iteration i get
 * seeds from split(split(base, 1), i); validation uses split(base, 2). So a run resumed
 * at iteration i continues exactly as if never stopped. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "meta/meta-internal.h"
#include "meta/parallel.h"

MetaTrainOpts meta_train_opts_default(void) {
  MetaTrainOpts o = {.algo = "maml", .inner_steps = 1, .inner_batch = 0, .inner_lr = 0.1f, .inner_set = "support",
                         .learn_inner_lr = "none", .adapt_layers = "all",
                         .multi_step_loss = false, .msl_anneal_iters = 100,
                         .imaml_lambda = META_IMAML_LAMBDA, .imaml_cg_steps = META_IMAML_CG_STEPS,
                         .clip = 0, .meta_batch = 4,
                         .iterations = 100, .seed = 777, .num_threads = 1, .thread_mode = "tasks",
                         .progress_every = 10, .valid_every = 0, .checkpoint_every = 0,
                         .max_bad_steps = 5, .valid_episodes = "", .checkpoint = "",
                         .keep_best = false, .resume = false, .skip_missing = false,
                         .binary = true, .job = 1, .num_jobs = 1, .write_meta_grad = ""};
  nnet_optim_opts_default(&o.outer);
  o.outer.type = "adam";
  o.outer.lr = 0.001f;
  return o;
}

void meta_train_opts_register(MetaTrainOpts *o, Options *po) {
  opts_choice(po, "algo", &o->algo, "maml|fomaml|reptile|multitask|imaml",
              "Meta-learning algorithm (multitask: pooled training, the baseline; imaml: "
              "implicit MAML, inner steps with a proximal term and the implicit meta-gradient)");
  opts_int(po, "inner-steps", &o->inner_steps, "Inner gradient steps on a task's support set");
  opts_float(po, "inner-lr", &o->inner_lr, "Inner learning rate (initial value when learned)");
  opts_int(po, "inner-batch", &o->inner_batch, "Support utterances per inner step (0: all)");
  opts_choice(po, "inner-set", &o->inner_set, "support|support+query",
              "Utterances of the inner loop: the support set, or (reptile only) the support set "
              "and then the query set, in the episode's order, --inner-batch at a time (0: all of "
              "both). Reptile over all of a task's utterances: with 2 steps and --inner-batch "
              "equal to the support size, the update is multitask's two gradients, the query's "
              "taken after a step on the support set, at multitask's cost. The query loss after "
              "adaptation is then a training loss; progress lines show the loss before in its "
              "place, and validation still adapts on the support set alone");
  opts_choice(po, "learn-inner-lr", &o->learn_inner_lr, "none|per-layer|per-layer-step|per-parameter",
              "Meta-learn the inner rates (maml, fomaml, multitask, reptile): one per layer, per "
              "layer and inner step (MAML++), or per parameter (Meta-SGD), each starting at "
              "--inner-lr; stored in the model for fast-adapt. With multitask, theta is trained as "
              "multitask trains it and only the rates are meta-learned, through FOMAML's rate "
              "gradient. With reptile, the rates minimise the mean loss of each inner step's batch "
              "before its step (after the steps on the batches before it), to first order");
  opts_string(po, "adapt-layers", &o->adapt_layers,
              "Layers changed in the inner loop: all, last, or indices like 3,5 (stored in the model)");
  opts_bool(po, "multi-step-loss", &o->multi_step_loss,
            "maml: meta-learn the weighted sum of the query losses after every inner step "
            "(MAML++'s multi-step loss), not only after the last");
  opts_int(po, "msl-anneal-iters", &o->msl_anneal_iters,
           "With --multi-step-loss: the weights go from uniform to the last step's over this "
           "many iterations, after which only the last step's loss counts");
  opts_float(po, "imaml-lambda", &o->imaml_lambda,
             "imaml: lambda of the inner loop's proximal term (lambda/2)|phi - theta|^2 (stored "
             "in the model for fast-adapt). The implicit gradient holds at the minimum of that "
             "problem, which the inner loop nears when inner-lr x lambda x inner-steps is about 3 "
             "or more; a larger lambda keeps phi nearer theta. 2: the setting of the authors' "
             "Omniglot example (16 inner steps of 0.1)");
  opts_int(po, "imaml-cg-steps", &o->imaml_cg_steps,
           "imaml: conjugate-gradient iterations of the implicit meta-gradient, each a "
           "Hessian-vector product on the support set");
  nnet_optim_register(po, &o->outer, "outer-");
  opts_float(po, "clip", &o->clip,
             "Clip the mean meta-gradient to this norm (0: as --outer-max-grad-norm)");
  opts_int(po, "meta-batch", &o->meta_batch, "Tasks (episodes) per outer step");
  opts_int(po, "iterations", &o->iterations, "Outer steps in total");
  opts_int(po, "seed", &o->seed, "Random seed (episode order, inner mini-batches)");
  opts_int(po, "num-threads", &o->num_threads, "Threads");
  opts_choice(po, "thread-mode", &o->thread_mode, "tasks|blas",
              "tasks: the tasks of a meta-batch in parallel, one BLAS thread each; blas: one "
              "task at a time on threaded BLAS");
  opts_int(po, "progress-every", &o->progress_every, "Log progress every this many iterations (0: never)");
  opts_string(po, "valid-episodes", &o->valid_episodes, "Held-out episodes for validation");
  opts_int(po, "valid-every", &o->valid_every, "Validate every this many iterations (0: at the end)");
  opts_bool(po, "keep-best", &o->keep_best, "Write the model with the best validation loss");
  opts_int(po, "checkpoint-every", &o->checkpoint_every,
           "Write a checkpoint every this many iterations (0: never)");
  opts_string(po, "checkpoint", &o->checkpoint, "Checkpoint file (default: <model-out>.ckpt)");
  opts_bool(po, "resume", &o->resume, "Continue from the checkpoint file when it exists");
  opts_bool(po, "skip-missing", &o->skip_missing,
            "Skip (and count) episode utterances missing from the tables");
  opts_int(po, "max-bad-steps", &o->max_bad_steps,
           "Stop with an error after this many consecutive steps skipped for non-finite values");
  opts_bool(po, "binary", &o->binary, "Write the model in binary");
  meta_parallel_opts_register(o, po);
}

/* The state a checkpoint keeps besides the model and the optimiser. */
typedef struct {
  const MetaTrainOpts *o;
  Nnet *model;
  MetaInner *inner;
  NnetData *data;
  TaskEpisodes *episodes[2];
  MetaTasks *tasks, *valid;
  MetaPool *pool;
  NnetOptim *outer;
  int P, R;             /* parameters, learned rates */
  float *mp, *grad;     /* meta-parameters [theta; rates] and their mean meta-gradient */
  MetaTrainState st;
  int *perm, perm_epoch;
} Trainer;

/* Episode indices of iteration it: consecutive positions of the epoch permutations. */
static void select_tasks(Trainer *t, int it, int *idx) {
  int N = t->tasks->num, mb = t->o->meta_batch;
  for (int i = 0; i < mb; i++) {
    long pos = (long)it * mb + i;
    int e = (int)(pos / N);
    if (e != t->perm_epoch) {
      Rng pr = rng_split(&t->st.base, 0), r = rng_split(&pr, (uint64_t)e);
      for (int k = 0; k < N; k++) t->perm[k] = k;
      rng_shuffle_int(&r, t->perm, N);
      t->perm_epoch = e;
    }
    idx[i] = t->perm[pos % N];
  }
}

/* Copies the meta-parameters mp into the model (parameters and extras). */
void meta_train_to_model(Nnet *model, MetaInner *inner, const float *mp, int P, int R) {
  memcpy(nnet_params(model), mp, sizeof(float) * (size_t)P);
  if (R) memcpy(inner->rates, mp + P, sizeof(float) * (size_t)R);
  meta_inner_to_model(inner, model);
}

static double validate(Trainer *t, int it) {
  Rng vr = rng_split(&t->st.base, 2); /* the same support subsets at every validation */
  if (t->R) memcpy(t->inner->rates, t->mp + t->P, sizeof(float) * (size_t)t->R);
  double loss = meta_batch_eval(t->pool, t->data, t->valid, &vr, t->mp);
  LOG("Iteration %d: validation query loss after adaptation %.5f over %d episodes%s", it, loss,
      t->valid->num, isfinite(loss) ? "" : " (all failed)");
  if (t->o->keep_best && isfinite(loss) && (!t->st.have_best || loss < t->st.best_loss)) {
    t->st.have_best = true;
    t->st.best_loss = loss;
    t->st.best_iter = it;
    memcpy(t->st.best, t->mp, sizeof(float) * (size_t)(t->P + t->R));
  }
  return loss;
}

static void fmt_time(double s, char *buf, size_t n) {
  long x = (long)(s + 0.5);
  if (x >= 3600) snprintf(buf, n, "%ldh%02ldm", x / 3600, x / 60 % 60);
  else snprintf(buf, n, "%ldm%02lds", x / 60, x % 60);
}

typedef struct {
  double before, after, t0, run_t0;
  long frames;
  int tasks, run_iters;
} Window;

static void progress(Trainer *t, int it, Window *w) {
  double now = now_seconds(), el = now - w->t0;
  double per_it = (now - w->run_t0) / (w->run_iters > 0 ? w->run_iters : 1);
  char eta[32];
  fmt_time(per_it * (t->o->iterations - it), eta, sizeof(eta));
  LOG("Iteration %d/%d: query loss %.5g before, %.5g after adaptation (%d tasks), %.0f frames/s, ETA %s",
      it, t->o->iterations, w->tasks ? w->before / w->tasks : NAN,
      w->tasks ? w->after / w->tasks : NAN, w->tasks, el > 0 ? w->frames / el : 0.0, eta);
  w->before = w->after = 0;
  w->frames = 0;
  w->tasks = 0;
  w->t0 = now;
}

/* The summed meta-gradient of this job's part of iteration it's meta-batch (the whole
 * batch for one job) at mp, into t->grad. */
static void share_grad(Trainer *t, int it, int *idx, MetaBatchStats *bs) {
  int lo, hi;
  select_tasks(t, it, idx);
  meta_share_range(t->o->meta_batch, t->o->job, t->o->num_jobs, &lo, &hi);
  Rng tb = rng_split(&t->st.base, 1), tr = rng_split(&tb, (uint64_t)it);
  if (t->R) memcpy(t->inner->rates, t->mp + t->P, sizeof(float) * (size_t)t->R);
  if (t->inner->step_weights)
    meta_msl_weights(t->o->inner_steps, it, t->o->msl_anneal_iters, t->inner->step_weights);
  meta_batch_grad_at(t->pool, t->data, t->tasks, idx + lo, hi - lo, lo, &tr, t->mp, t->grad, bs);
}

/* --write-meta-grad: this job's part of the next iteration, for meta-combine. */
static void write_share(Trainer *t, const char *path) {
  int *idx = xmalloc(sizeof(int) * (size_t)t->o->meta_batch);
  MetaBatchStats bs;
  if (t->st.iter >= t->o->iterations)
    ERROR("the checkpoint is at iteration %d, --iterations is %d: nothing to compute", t->st.iter,
          t->o->iterations);
  share_grad(t, t->st.iter, idx, &bs);
  MetaGradFile g = {.iter = t->st.iter, .job = t->o->job, .num_jobs = t->o->num_jobs,
                    .num_meta = t->P + t->R, .tasks = bs.tasks, .tasks_ok = bs.tasks_ok,
                    .frames = bs.frames, .query_before = bs.query_before,
                    .query_after = bs.query_after, .grad = t->grad};
  meta_grad_file_write(path, &g);
  LOG("Iteration %d, job %d of %d: meta-gradient of %d tasks (%d finite) written to %s",
      t->st.iter + 1, t->o->job, t->o->num_jobs, bs.tasks, bs.tasks_ok, path);
  free(idx);
}

/* One outer step; false when it was skipped for non-finite values. */
static bool outer_iteration(Trainer *t, int it, int *idx, Window *w) {
  MetaBatchStats bs;
  share_grad(t, it, idx, &bs);
  w->frames += bs.frames;
  if (bs.tasks_ok == 0 || !meta_finite(t->P + t->R, t->grad)) return false;
  vec_scale(t->P + t->R, 1.0f / (float)bs.tasks_ok, t->grad);
  if (!nnet_optim_step(t->outer, t->mp, t->grad, 0.0, NULL)) return false;
  w->before += bs.query_before;
  w->after += bs.query_after;
  w->tasks += bs.tasks_ok;
  return true;
}

static void run(Trainer *t, const char *ckpt) {
  const MetaTrainOpts *o = t->o;
  int *idx = xmalloc(sizeof(int) * (size_t)o->meta_batch);
  Window w = {0};
  w.t0 = w.run_t0 = now_seconds();
  for (int it = t->st.iter; it < o->iterations; it++) {
    if (!outer_iteration(t, it, idx, &w)) {
      t->st.bad_total++;
      WARN("Iteration %d: step skipped (no task with finite losses and meta-gradient)", it + 1);
      if (++t->st.bad_run >= o->max_bad_steps)
        ERROR("diverged: %d consecutive steps with non-finite values at iteration %d; the last "
              "good checkpoint (if any) is %s",
              t->st.bad_run, it + 1, ckpt);
    } else {
      t->st.bad_run = 0;
    }
    t->st.iter = it + 1;
    w.run_iters++;
    if (o->progress_every > 0 && (it + 1) % o->progress_every == 0) progress(t, it + 1, &w);
    if (t->valid && o->valid_every > 0 && (it + 1) % o->valid_every == 0) validate(t, it + 1);
    if (o->checkpoint_every > 0 && (it + 1) % o->checkpoint_every == 0) {
      if (meta_finite(t->P + t->R, t->mp))
        meta_checkpoint_write(ckpt, t->o, &t->st, t->outer, t->model, t->inner, t->mp, t->P, t->R);
      else
        WARN("Iteration %d: non-finite parameters, checkpoint not written", it + 1);
    }
  }
  if (t->valid && (o->valid_every <= 0 || o->iterations % o->valid_every != 0 || t->st.iter == 0))
    validate(t, t->st.iter);
  free(idx);
}

MetaInner *meta_train_inner(const MetaTrainOpts *o, const Nnet *n) {
  MetaAlgo algo;
  MetaLrMode mode;
  if (!meta_algo_parse(o->algo, &algo)) ERROR("unknown --algo=%s", o->algo);
  if (!meta_lr_mode_parse(o->learn_inner_lr, &mode))
    ERROR("unknown --learn-inner-lr=%s", o->learn_inner_lr);
  MetaInner *in = meta_inner_new(n, algo, o->inner_steps, o->inner_batch, o->inner_lr, mode);
  if (o->multi_step_loss) in->step_weights = xmalloc(sizeof(float) * (size_t)o->inner_steps);
  in->with_query = !strcmp(o->inner_set, "support+query");
  if (algo == META_IMAML) {
    in->prox_lambda = o->imaml_lambda;
    in->cg_steps = o->imaml_cg_steps;
  }
  meta_inner_set_adapt(in, n, o->adapt_layers);
  return in;
}

/* ERROR on options that do not go together or are out of range. */
static void check_opts(const MetaTrainOpts *o) {
  MetaAlgo algo;
  MetaLrMode mode;
  meta_algo_parse(o->algo, &algo);
  meta_lr_mode_parse(o->learn_inner_lr, &mode);
  if (o->inner_steps < 1) ERROR("--inner-steps must be >= 1 (got %d)", o->inner_steps);
  if (o->meta_batch < 1 || o->iterations < 0 || o->inner_batch < 0 || o->max_bad_steps < 1)
    ERROR("--meta-batch and --max-bad-steps must be >= 1, --iterations and --inner-batch >= 0");
  meta_parallel_opts_check(o);
  if (mode != META_LR_NONE && algo == META_IMAML)
    ERROR("--learn-inner-lr=%s needs --algo=maml, fomaml, multitask or reptile (imaml's implicit "
          "meta-gradient does not depend on the inner path, so has none for rates)",
          o->learn_inner_lr);
  if (mode != META_LR_NONE && algo == META_REPTILE && o->inner_steps < 2)
    ERROR("--algo=reptile --learn-inner-lr=%s needs --inner-steps >= 2 (its rates are learned from "
          "the loss of each step after the first; got %d)", o->learn_inner_lr, o->inner_steps);
  if (mode != META_LR_NONE && algo == META_MULTITASK && o->inner_batch > 0)
    ERROR("--algo=multitask --learn-inner-lr=%s needs --inner-batch=0 (its pooled gradient reuses "
          "the first inner step's gradient on the whole support set; got %d)", o->learn_inner_lr,
          o->inner_batch);
  if (!strcmp(o->inner_set, "support+query") && algo != META_REPTILE)
    ERROR("--inner-set=support+query needs --algo=reptile (got %s: its meta-objective is the "
          "query loss after the inner loop, which must not see the query set)", o->algo);
  if (o->multi_step_loss && algo != META_MAML)
    ERROR("--multi-step-loss needs --algo=maml (got %s)", o->algo);
  if (o->msl_anneal_iters < 0) ERROR("--msl-anneal-iters must be >= 0 (got %d)", o->msl_anneal_iters);
  if (!(o->imaml_lambda > 0)) ERROR("--imaml-lambda must be > 0 (got %g)", o->imaml_lambda);
  if (o->imaml_cg_steps < 1) ERROR("--imaml-cg-steps must be >= 1 (got %d)", o->imaml_cg_steps);
  /* Along directions of little curvature the proximal pull leaves this fraction of phi's
   * initial distance from the minimum after the inner loop. */
  double left = pow(fabs(1.0 - (double)o->inner_lr * o->imaml_lambda), o->inner_steps);
  if (algo == META_IMAML && left > 0.5)
    WARN("--algo=imaml: the inner loop stops far from the minimum of its proximal problem, where "
         "the implicit gradient holds: (1 - inner-lr x imaml-lambda)^inner-steps = %.2f (raise "
         "--inner-steps, --inner-lr or --imaml-lambda)", left);
}

static void setup(Trainer *t, const char *model_in, const char *feats, const char *labels,
                  const char *episodes) {
  const MetaTrainOpts *o = t->o;
  check_opts(o);
  t->model = nnet_read(model_in);
  t->inner = meta_train_inner(o, t->model);
  TaskEpisodes *sets[2] = {task_episodes_read(episodes), NULL};
  if (o->valid_episodes[0]) sets[1] = task_episodes_read(o->valid_episodes);
  t->data = meta_data_load(t->model, feats, labels, sets, sets[1] ? 2 : 1);
  t->tasks = meta_tasks_resolve(t->data, sets[0], episodes, o->skip_missing, NULL);
  if (sets[1]) t->valid = meta_tasks_resolve(t->data, sets[1], o->valid_episodes, o->skip_missing, NULL);
  t->episodes[0] = sets[0];
  t->episodes[1] = sets[1];
  t->P = nnet_num_params(t->model);
  t->R = meta_inner_num_learned(t->inner);
  t->mp = xmalloc(sizeof(float) * (size_t)(t->P + t->R));
  t->grad = xmalloc(sizeof(float) * (size_t)(t->P + t->R));
  memcpy(t->mp, nnet_params(t->model), sizeof(float) * (size_t)t->P);
  memcpy(t->mp + t->P, t->inner->rates, sizeof(float) * (size_t)t->R);
  NnetOptimOpts oo = o->outer;
  if (o->clip > 0) oo.max_grad_norm = o->clip;
  nnet_optim_check(&oo, "outer-");
  t->outer = nnet_optim_new(&oo, t->P + t->R);
  t->st.best = xmalloc(sizeof(float) * (size_t)(t->P + t->R));
  rng_seed(&t->st.base, (uint64_t)o->seed);
  t->perm = xmalloc(sizeof(int) * (size_t)t->tasks->num);
  t->perm_epoch = -1;
  t->pool = meta_pool_new(t->model, t->inner, o->num_threads, strcmp(o->thread_mode, "tasks") == 0);
}

void meta_train(const MetaTrainOpts *o, const char *model_in, const char *feats_rspec,
                const char *labels_rspec, const char *episodes, const char *model_out) {
  Trainer t = {.o = o};
  setup(&t, model_in, feats_rspec, labels_rspec, episodes);
  char *ckpt = o->checkpoint[0] ? xstrdup(o->checkpoint) : xasprintf("%s.ckpt", model_out);
  if (o->resume && meta_checkpoint_exists(ckpt)) {
    meta_checkpoint_read(ckpt, o, &t.st, t.outer, t.model, t.mp, t.P, t.R);
    LOG("Resuming from %s at iteration %d", ckpt, t.st.iter);
  } else if (o->resume) {
    LOG("No checkpoint %s: starting from the beginning", ckpt);
  }
  LOG("%s: %d training episodes, %d parameters + %d learned rates, %d inner steps, meta-batch %d, "
      "%d iterations", o->algo, t.tasks->num, t.P, t.R, o->inner_steps, o->meta_batch, o->iterations);
  if (o->write_meta_grad[0]) {
    write_share(&t, o->write_meta_grad);
  } else {
    run(&t, ckpt);
    const float *final = t.mp;
    if (o->keep_best && t.st.have_best) {
      LOG("Keeping the best model: iteration %d, validation loss %.5f", t.st.best_iter, t.st.best_loss);
      final = t.st.best;
    }
    meta_train_to_model(t.model, t.inner, final, t.P, t.R);
    nnet_write(t.model, model_out, o->binary);
    LOG("Done %d iterations (%d steps skipped for non-finite values); wrote %s", t.st.iter,
        t.st.bad_total, model_out);
  }
  free(ckpt);
  meta_pool_free(t.pool);
  nnet_optim_free(t.outer);
  meta_tasks_free(t.tasks);
  meta_tasks_free(t.valid);
  task_episodes_free(t.episodes[0]);
  task_episodes_free(t.episodes[1]);
  nnet_data_free(t.data);
  meta_inner_free(t.inner);
  nnet_free(t.model);
  free(t.mp);
  free(t.grad);
  free(t.st.best);
  free(t.perm);
}
