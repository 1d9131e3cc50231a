/* Supervised CTC training of a network on in-memory data (what nnet-train runs):
 * shuffled minibatches, an optimiser step per batch, progress, validation loss,
 * checkpoints and bit-identical resumption.
 *
 * Reproducibility: epoch e visits the utterances in the order of a shuffle drawn from
 * rng_split(seed, e), so a run resumed from a checkpoint (model, optimiser state,
 * epoch and batch) continues exactly as the uninterrupted run would (same threads). */
#ifndef NNET_TRAIN_H
#define NNET_TRAIN_H

#include "base/options.h"
#include "nnet/data.h"
#include "nnet/nnet.h"
#include "nnet/optim.h"

typedef struct {
  int minibatch_size;     /* utterances per batch */
  int num_epochs;
  int seed;
  int num_threads;
  int progress_every;     /* batches between progress lines (0: none) */
  int checkpoint_every;   /* batches between checkpoints (0: only at epoch ends) */
  int max_batches;        /* stop after this many batches in this run (0: no limit) */
  int sort_window;        /* sort by length within windows of this many minibatches (0: off) */
  float valid_fraction;   /* held out from the training data when no validation set */
  const char *checkpoint; /* checkpoint file ("": none) */
  bool resume;            /* continue from the checkpoint when it exists */
  const char *normalize;  /* "frame" | "utt" | "sum" */
  NnetOptimOpts optim;
} NnetTrainOpts;

void nnet_train_opts_default(NnetTrainOpts *o);
void nnet_train_register(Options *po, NnetTrainOpts *o);

typedef struct {
  int utts_used, utts_skipped;
  long batches, steps_skipped;
  double last_train_loss, valid_loss; /* per the normalisation; valid_loss NaN if none */
  bool finished;                      /* false when stopped by max_batches */
} NnetTrainResult;

/* Trains n in place on train (utterances the network cannot use are skipped with a
 * WARNING once); valid may be NULL. */
NnetTrainResult nnet_train(Nnet *n, NnetData *train, NnetData *valid, const NnetTrainOpts *o);

/* Loss of n on a data set (the normalisation of `normalize`), in batches. */
double nnet_data_loss(const Nnet *n, const NnetData *d, int minibatch_size, NnetNorm norm);

#endif
