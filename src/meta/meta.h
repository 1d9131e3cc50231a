/* Meta-learning an initialisation that adapts fast: MAML (Finn et al., ICML 2017) with
 * its exact second-order meta-gradient, first-order MAML, Reptile (Nichol et al. 2018),
 * learned inner learning rates (Meta-SGD, Li et al. 2017; MAML++'s per-layer per-step
 * rates, Antoniou et al., ICLR 2019), adapting chosen layers only (ANIL, Raghu et al.,
 * ICLR 2020), and the multitask baseline.
 *
 * Inner loop, for a task with support set S (k steps, rate r_{l,j} of layer l at step j,
 * or with Meta-SGD's rates one r_p per parameter p at every step; zero for layers that
 * do not adapt):
 *     theta_{j+1} = theta_j - D_j grad L_S(theta_j),   D_j = diag(r_{layer(p), j}) or diag(r_p).
 * MAML meta-gradient (backwards through every step, H_j = Hessian of L_S at theta_j):
 *     g <- grad L_Q(theta_k);  for j = k-1..0:  dL/dr_{l,j} = -<g|_l, grad_l L_S(theta_j)>
 *                                                (dL/dr_p += -g_p grad_p L_S(theta_j)),
 *                                                g <- g - H_j (D_j g).
 * Memory: the k parameter vectors theta_j (never k sets of activations; each H_j v
 * recomputes them). MAML++'s multi-step loss (Antoniou et al., ICLR 2019) meta-learns
 * sum_j w_j L_Q(theta_j), j = 1..k: g starts at w_k grad L_Q(theta_k), and after each
 * g <- g - H_j (D_j g) with j >= 1 adds w_j grad L_Q(theta_j).
 * FOMAML: g = grad L_Q(theta_k) (and g_{j+1} = that g in the rate gradient).
 * Reptile: g = theta - theta_k; with the query set after the support set in its inner
 * loop (Reptile over all of a task's utterances, Nichol et al.'s inner loop), two steps
 * of the two sets give g = r (grad L_S(theta) + grad L_Q(theta - r grad L_S(theta))):
 * multitask's gradients, the second taken after a step on the first. Multitask: g = grad L_{S+Q}(theta); with learned rates, the
 * rates get FOMAML's rate gradient (the look-ahead theta_k is used for nothing else).
 * iMAML (Rajeswaran et al., NeurIPS 2019): the inner loss has a proximal term,
 *     theta_{j+1} = theta_j - D_j (grad L_S(theta_j) + lambda (theta_j - theta)),
 * whose minimum phi(theta) the k steps approximate; its meta-gradient, by the implicit
 * function theorem at phi = theta_k (A: adapted parameters, F: the others, H: the
 * Hessian of L_S on the whole support set at phi, g = grad L_Q(phi)):
 *     g_A <- x = (I + H_AA / lambda)^{-1} g_A    (conjugate gradient on exact H v),
 *     g_F <- g_F - H_FA x / lambda               (phi_A moves with theta_F too),
 * independent of the path to phi: memory does not grow with k.
 *
 * Layering, so a job can compute its share of a meta-batch and another apply the step:
 *   meta_batch_grad   summed meta-gradient of a list of tasks at (theta, rates),
 *                     in a fixed order whatever the threads;
 *   the outer step    nnet/optim.h's optimiser (SGD/Adam, clipping) on [theta; rates]. */
#ifndef META_META_H
#define META_META_H

#include <stdbool.h>
#include <stdint.h>

#include "base/options.h"
#include "base/rng.h"
#include "base/strmap.h"
#include "io/table.h"
#include "nnet/data.h"
#include "nnet/nnet.h"
#include "nnet/optim.h"
#include "tasks/tasks.h"

/* Names of the extra vectors meta-train stores in the model (fast-adapt's defaults): the
 * inner loop the model was meta-trained for. */
#define META_EXTRA_RATES "meta-inner-lr"       /* L * kr learned rates, index j*L + l */
#define META_EXTRA_PARAM_RATES "meta-inner-lr-param" /* P learned rates, one per parameter */
#define META_EXTRA_ADAPT "meta-adapt-layers"   /* L values, 1 = the layer adapts */
#define META_EXTRA_STEPS "meta-inner-steps"    /* 1 value: inner steps */
#define META_EXTRA_BATCH "meta-inner-batch"    /* 1 value: utterances a step, 0 = all */
#define META_EXTRA_RATE "meta-inner-rate"      /* 1 value: the rate, when not learned */
#define META_EXTRA_PROX "meta-inner-prox"      /* 1 value: imaml's proximal lambda */

/* iMAML's defaults (meta-train's --imaml-lambda, whose help says why, --imaml-cg-steps). */
#define META_IMAML_LAMBDA 2.0f
#define META_IMAML_CG_STEPS 5

/* ---- Episodes ----
 * Episodes files are make-tasks' (src/tasks/tasks.h): task_episodes_read gives TaskEpisodes. */

/* ---- Utterances in memory (nnet/data.h), checked against the model ---- */
/* Loads the utterances the episode sets name (all utterances with labels when
 * nsets == 0) from the two tables, sorted by key, checking each against n as nnet/data.h
 * says (an utterance that does not fit the model is an ERROR naming the key, unless
 * --skip-bad; non-finite features are left out unless --strict); an utterance too short
 * for its labels under CTC is left out with a WARNING. Why each named utterance that is
 * not loaded was left out is in left_out. Free with nnet_data_free. */
NnetData *meta_data_load(const Nnet *n, const char *feats_rspec, const char *labels_rspec,
                         TaskEpisodes *const *sets, int nsets);

/* An episode resolved to utterance indices into a sorted NnetData. */
typedef struct {
  const char *id, *task;  /* point into the episode */
  int ns, nq;
  int *s, *q;
  long frames;           /* input frames of support + query */
} MetaTask;

typedef struct {
  int num;
  MetaTask *t;
} MetaTasks;

/* Resolves episodes (`what` names the file in messages). An utterance missing from d:
 * ERROR naming it, the episode, the file and why (not in the features, no labels, left
 * out as unusable); with skip_missing it is left out and
 * counted in *num_missing (episodes left without support or query are dropped). ERROR
 * when no episode remains. */
MetaTasks *meta_tasks_resolve(const NnetData *d, const TaskEpisodes *e, const char *what,
                              bool skip_missing, int *num_missing);
void meta_tasks_free(MetaTasks *t);

/* ---- The inner loop ---- */
typedef enum { META_MAML, META_FOMAML, META_REPTILE, META_MULTITASK, META_IMAML } MetaAlgo;
typedef enum { META_LR_NONE, META_LR_PER_LAYER, META_LR_PER_LAYER_STEP, META_LR_PER_PARAM } MetaLrMode;

bool meta_algo_parse(const char *s, MetaAlgo *a);
const char *meta_algo_name(MetaAlgo a);
bool meta_lr_mode_parse(const char *s, MetaLrMode *m);
/* The model's extra vector that holds the rates of mode m (META_EXTRA_RATE when none are
 * learned). */
const char *meta_lr_mode_extra(MetaLrMode m);

typedef struct {
  MetaAlgo algo;
  int steps;             /* k */
  int batch;             /* support utterances per inner step; 0: all */
  int num_layers;        /* L */
  int num_params;        /* P */
  bool *adapt;           /* adapt[l]: layer l changes in the inner loop */
  MetaLrMode lr_mode;    /* whether rates are meta-parameters */
  int rate_steps;        /* kr: 1 (one rate per layer) or k (per layer and step); 1 when
                            per parameter */
  float *rates;          /* L * kr: rate of layer l at step j is rates[min(j,kr-1)*L + l];
                            per parameter (Meta-SGD): P, rates[p] at every step */
  float *step_weights;   /* NULL, or k weights: the MAML meta-objective is
                            sum_j step_weights[j-1] L_Q(theta_j) (multi-step loss) */
  float prox_lambda;     /* > 0: the inner steps descend L_S + (lambda/2)|phi - theta|^2
                            over the adapted layers (imaml; fast-adapt --prox-lambda) */
  int cg_steps;          /* imaml: conjugate-gradient iterations */
  bool with_query;       /* reptile: the meta-gradient's inner steps take the support set,
                            then the query set (meta-train --inner-set=support+query) */
} MetaInner;

/* Rates initialised to `lr` for every layer or parameter (kr = k for per-layer-step, else 1); all
 * layers adapt; imaml gets META_IMAML_LAMBDA and META_IMAML_CG_STEPS, the others no
 * proximal term. Caller frees with meta_inner_free. */
MetaInner *meta_inner_new(const Nnet *n, MetaAlgo algo, int steps, int batch, float lr,
                          MetaLrMode mode);
void meta_inner_free(MetaInner *in);
int meta_inner_num_rates(const MetaInner *in); /* L * kr, or P per parameter */
/* Meta-parameters besides theta: the rates when they are learned (maml, fomaml,
 * multitask, reptile), else 0. */
int meta_inner_num_learned(const MetaInner *in);
/* --adapt-layers: "all", "last" (the last layer with parameters), or a comma-separated
 * list of layer indices (0-based, as nnet-info numbers them). ERROR on a bad list or a
 * listed layer without parameters. */
void meta_inner_set_adapt(MetaInner *in, const Nnet *n, const char *spec);
/* Reads the adapt mask and learned rates stored in a model (when present); returns true
 * when rates were found (they replace in->rates and set in->lr_mode; kr from their size). */
bool meta_inner_from_model(MetaInner *in, const Nnet *n);
/* Stores the inner loop the model is meta-trained for: the adapt mask (always); for the
 * algorithms with an inner loop its steps, batch, either the learned rates or the
 * constant rate (the other is removed) and imaml's proximal lambda (removed for the
 * others); multitask without learned rates, which has no inner loop, removes them all. */
void meta_inner_to_model(const MetaInner *in, Nnet *n);
/* MAML++'s multi-step loss weights of outer iteration `iter` (from 0) into w (k values,
 * summing to 1): uniform 1/k at first, the non-final ones falling linearly by
 * iter/(k anneal_iters) to at least 0.03/k and the last one taking the rest; from
 * iter >= anneal_iters on, the last step's loss alone (w = 0 ... 0 1). */
void meta_msl_weights(int k, int iter, int anneal_iters, float *w);

/* Per-thread scratch: a network work area, batches, for maml the trajectory
 * theta_0..theta_{k-1}, and the support gradients when FOMAML or multitask learns rates. */
typedef struct MetaWork MetaWork;
MetaWork *meta_work_new(const Nnet *n, const MetaInner *in);
void meta_work_free(MetaWork *w);

/* One task's figures. Losses are NAN when not computed. */
typedef struct {
  double query_before, query_after;  /* L_Q at theta and at theta_k */
  double support_first;              /* L_S at theta (the first inner step) */
  long support_frames;               /* the frames that normalise it */
  long frames;
  bool ok;                           /* false: a non-finite loss or gradient */
} MetaTaskStats;

/* k inner steps from theta into theta_out (P floats, not theta) on the task's support
 * set, with the proximal term toward theta when in->prox_lambda > 0; with inner-batch
 * b < support size, step j uses the utterances [j*b, j*b+b) (cyclic) of the support set
 * shuffled by `seed`. With with_query (meta_task_grad's with in->with_query) the steps go
 * through the support set and then the query set, in the episode's order, unshuffled.
 * Returns false on a non-finite loss or gradient. */
bool meta_inner_adapt(const Nnet *n, const MetaInner *in, MetaWork *w, const NnetData *d,
                      const MetaTask *t, uint64_t seed, bool with_query, const float *theta,
                      float *theta_out, MetaTaskStats *st);
/* The task's meta-gradient at (theta, in->rates) for in->algo: grad (P floats) and, when
 * rates are learned, rate_grad (meta_inner_num_learned floats); both overwritten.
 * Returns false (st->ok false) on a non-finite value. */
bool meta_task_grad(const Nnet *n, const MetaInner *in, MetaWork *w, const NnetData *d,
                    const MetaTask *t, uint64_t seed, const float *theta, float *grad,
                    float *rate_grad, MetaTaskStats *st);
/* Query loss after adapting (validation, evaluation): L_Q(theta_k), NAN on failure. */
double meta_task_eval(const Nnet *n, const MetaInner *in, MetaWork *w, const NnetData *d,
                      const MetaTask *t, uint64_t seed, const float *theta, MetaTaskStats *st);

/* ---- A meta-batch on threads ---- */
typedef struct MetaPool MetaPool;
/* threads workers; with tasks_parallel, tasks run one per thread with single-threaded
 * BLAS, otherwise one task at a time with `threads` BLAS threads. */
MetaPool *meta_pool_new(const Nnet *n, const MetaInner *in, int threads, bool tasks_parallel);
void meta_pool_free(MetaPool *p);

typedef struct {
  int tasks, tasks_ok;               /* tasks given, tasks whose gradient is summed */
  double query_before, query_after;  /* sums over the ok tasks */
  long frames;
} MetaBatchStats;

/* Sum over the tasks task_idx[0..nt) of t of their meta-gradients at (theta, in->rates)
 * into grad_sum (P + meta_inner_num_learned floats: theta's part then the rates'),
 * overwritten. Task i uses the seed rng_split(seed_rng, i). Tasks with a non-finite value
 * are left out with a WARNING (naming the episode) and not counted in tasks_ok. The sum
 * is taken in task order, so it does not depend on the threads' timing. */
void meta_batch_grad(MetaPool *p, const NnetData *d, const MetaTasks *t, const int *task_idx,
                     int nt, const Rng *seed_rng, const float *theta, float *grad_sum,
                     MetaBatchStats *st);
/* As meta_batch_grad for the tasks at positions first .. first+nt-1 of a meta-batch
 * (task_idx points at position `first`): task i uses the seed rng_split(seed_rng, first+i),
 * the one it has in the whole batch, so the sums of the parts of a meta-batch add up to
 * the whole batch's (parallel training: each job takes a part). */
void meta_batch_grad_at(MetaPool *p, const NnetData *d, const MetaTasks *t, const int *task_idx,
                        int nt, int first, const Rng *seed_rng, const float *theta,
                        float *grad_sum, MetaBatchStats *st);
/* Mean query loss after adaptation over all tasks of t (validation); tasks failing are
 * left out; NAN when all fail. */
double meta_batch_eval(MetaPool *p, const NnetData *d, const MetaTasks *t, const Rng *seed_rng,
                       const float *theta);

/* ---- meta-train: the whole run ---- */
typedef struct {
  const char *algo;             /* maml|fomaml|reptile|multitask|imaml */
  int inner_steps, inner_batch;
  float inner_lr;
  const char *inner_set;        /* support|support+query (reptile) */
  const char *learn_inner_lr;   /* none|per-layer|per-layer-step|per-parameter */
  const char *adapt_layers;     /* all|last|i,j,... */
  bool multi_step_loss;         /* maml: the query loss after every inner step, weighted */
  int msl_anneal_iters;         /* ... annealed to the last step's over these iterations */
  float imaml_lambda;           /* imaml: the proximal term's lambda */
  int imaml_cg_steps;           /* imaml: conjugate-gradient iterations */
  NnetOptimOpts outer;          /* --outer-optimizer, --outer-lr, ... */
  float clip;                   /* > 0: overrides --outer-max-grad-norm */
  int meta_batch, iterations, seed, num_threads;
  const char *thread_mode;      /* tasks|blas */
  int progress_every, valid_every, checkpoint_every, max_bad_steps;
  const char *valid_episodes, *checkpoint;
  bool keep_best, resume, skip_missing, binary;
  int job, num_jobs;            /* this process takes part job of num_jobs of each meta-batch */
  const char *write_meta_grad;  /* "": train; else write the part's meta-gradient and stop */
} MetaTrainOpts;

MetaTrainOpts meta_train_opts_default(void);
void meta_train_opts_register(MetaTrainOpts *o, Options *po);
/* Reads the model, tables and episodes, meta-trains, writes model_out (the best model on
 * the validation episodes with keep_best). ERROR on bad input or divergence. */
void meta_train(const MetaTrainOpts *o, const char *model_in, const char *feats_rspec,
                const char *labels_rspec, const char *episodes, const char *model_out);

/* ---- fast-adapt ---- */
typedef struct {
  int steps;                /* -1: the model's inner steps (meta-train's), else 10 */
  int batch;                /* 0: all; -1: the model's inner batch, else all */
  int patience, seed, num_threads;
  int heldout_every;        /* the held-out loss after every this many steps (and the last) */
  float lr;                 /* <= 0: the model's learned rates, else its inner rate, else 0.01 */
  float prox_lambda;        /* (lambda/2)|phi - phi_0|^2 added to the loss of the adapted
                               layers; -1: the model's (imaml's), else 0 */
  const char *adapt_layers; /* "": the model's stored choice, else all */
  float heldout_fraction;
  float passes;             /* > 0: a budget of this many passes over the adaptation
                               utterances, at most `steps` steps (-1: no limit) */
  const char *utt2uniq;     /* "": hold out single utterances; else an rspecifier mapping
                               each utterance to its recording: hold out whole recordings */
  bool cache_frozen;        /* run the layers below the first adapted one only once */
  bool binary;
} MetaAdaptOpts;

MetaAdaptOpts meta_adapt_opts_default(void);
void meta_adapt_opts_register(MetaAdaptOpts *o, Options *po);
/* Adapts n in place to the utterances of d (all of them, less a held-out part); returns
 * the steps taken (with a held-out part: the step whose parameters were kept). */
int meta_adapt(const MetaAdaptOpts *o, Nnet *n, const NnetData *d);

#endif
