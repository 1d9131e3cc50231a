/* Shared between the files of src/meta only. */
#ifndef META_META_INTERNAL_H
#define META_META_INTERNAL_H

#include "meta/meta.h"

struct MetaWork {
  int P, steps;
  NnetWork *nw;
  NnetBatch *sb, *qb;     /* support (of the current inner step) and query batches */
  bool keep_traj;         /* while adapting for a meta-gradient: store theta_j in traj, the
                             support gradients in sgrad and the forward passes in step_nw,
                             where this algorithm has them */
  float *traj;            /* k x P: theta_0 .. theta_{k-1}, only for maml */
  NnetWork **step_nw;     /* k: inner step j's forward pass, held for its H v (maml only) */
  float *sgrad;           /* k x P: grad L_S(theta_j), only when the inner rates are learned */
  float *cur, *g, *v, *hv, *gs; /* P each */
  int *order, ocap;       /* the inner loop's utterances in inner-batch order, then a selection */
  int ninner;             /* how many: the support set's, or with the query set's too */
  bool subset;            /* inner steps use subsets of those utterances */
  Mat *fbuf;
  IntVec *lbuf;
  const char **kbuf;
  int bcap;
};

int meta_rate_index(const MetaInner *in, int l, int j);
/* Threads for the per-utterance parts of one task's computations (nnet_work_set_num_threads). */
void meta_work_set_num_threads(MetaWork *w, int threads);
/* y += s D_j x over the adapted layers (D_j: the rates of inner step j, meta.h). */
void meta_rate_axpy(const Nnet *n, const MetaInner *in, int j, float s, const float *x, float *y);
void meta_fill(MetaWork *w, const Nnet *n, NnetBatch *b, const NnetData *d, const int *idx, int cnt);
void meta_support_order(const MetaInner *in, MetaWork *w, const MetaTask *t, uint64_t seed,
                        bool with_query);
void meta_fill_support(const Nnet *n, const MetaInner *in, MetaWork *w, const NnetData *d, int j,
                       bool first);
/* theta -= D_j (g + lambda (theta - anchor)), the proximal part only when
 * in->prox_lambda > 0 (anchor: the parameters the inner loop started from). */
void meta_inner_step(const Nnet *n, const MetaInner *in, int j, const float *g,
                     const float *anchor, float *theta);
bool meta_finite(int n, const float *x);

/* Frozen layers computed once (prefix.c): the network of layers [f, L) with n's
 * parameters, the utterances of d through layers [0, f) (a new NnetData), and the inner
 * settings of layers [f, L). */
Nnet *meta_suffix_net(const Nnet *n, int f);
NnetData *meta_data_prefix(const Nnet *n, int f, const NnetData *d);
MetaInner *meta_inner_suffix(const MetaInner *in, const Nnet *n, int f);

/* THE LOSS and gradient on threads, one share of the utterances each (shards.c). */
typedef struct MetaShards MetaShards;
MetaShards *meta_shards_new(const Nnet *n, int threads);
void meta_shards_free(MetaShards *m);
/* Packs utterances idx[0..cnt) of d into the shares (contiguous, in order). */
void meta_shards_fill(MetaShards *m, const NnetData *d, const int *idx, int cnt);
/* L at theta; grad (may be NULL) receives dL/dtheta. */
double meta_shards_loss_grad(MetaShards *m, const float *theta, float *grad);
/* The utterances of inner step j (after meta_support_order): count, indices in *idx. */
int meta_step_utts(const MetaInner *in, MetaWork *w, int j, const int **idx);

/* The inner loop meta-train's options describe (meta-train and meta-combine). */
MetaInner *meta_train_inner(const MetaTrainOpts *o, const Nnet *n);

/* meta-train's state besides model and optimiser (what a checkpoint holds). */
typedef struct {
  int iter;              /* outer steps done */
  Rng base;              /* every random choice derives from it and the iteration */
  int bad_total, bad_run; /* steps skipped for non-finite values: in all, in a row */
  bool have_best;
  double best_loss;
  int best_iter;
  float *best;           /* P + R meta-parameters of the best validation */
} MetaTrainState;

void meta_train_to_model(Nnet *model, MetaInner *inner, const float *mp, int P, int R);
bool meta_checkpoint_exists(const char *path);
/* Written atomically (temporary file, renamed). */
void meta_checkpoint_write(const char *path, const MetaTrainOpts *o, const MetaTrainState *st,
                           const NnetOptim *outer, Nnet *model, MetaInner *inner, const float *mp,
                           int P, int R);
/* ERROR when the checkpoint does not match the run's settings or model. */
void meta_checkpoint_read(const char *path, const MetaTrainOpts *o, MetaTrainState *st,
                          NnetOptim *outer, const Nnet *model, float *mp, int P, int R);

#endif
