/* Utterances with their labels, held in memory for training, adaptation and
 * meta-training: features from a feature table, labels (int32 vectors) looked up by
 * key in a label table. */
#ifndef NNET_DATA_H
#define NNET_DATA_H

#include "base/options.h"
#include "base/strmap.h"
#include "io/table.h"
#include "matrix/matrix.h"
#include "nnet/nnet.h"

typedef struct {
  int n;
  char **keys;      /* table order, or sorted by nnet_data_sort */
  Mat *feats;
  IntVec *labels;
  int *in_frames;   /* NULL, or the network's input frames of each utterance when feats
                       are the outputs of frozen layers (the loss stays normalised by the
                       input frames, as for the whole network) */
  StrMap *left_out; /* NULL, or key -> why an utterance of the table was not kept (no
                       labels, does not fit, not finite, or what nnet_data_leave_out says) */
  long frames;    /* sum of feature rows */
  int nonfinite;  /* utterances skipped at reading for NaN or infinite features */
  int bad;        /* utterances skipped at reading for not fitting the model (--skip-bad) */
  int unreadable; /* scp entries skipped at reading under ",p" */
} NnetData;

/* The checks every program that trains, adapts or decodes makes of its utterances, with
 * the same switches (registered by nnet_register_data_checks):
 *  - features with a NaN or an infinity: skipped with a WARNING, an ERROR with --strict
 *    (feat_check_finite);
 *  - an utterance that does not fit the model (features of another dimension than its
 *    input, a label outside its output units 1..K-1): Kaldi's rule, an ERROR naming the
 *    key and the table, unless --skip-bad, which skips it with a WARNING. */
void nnet_register_data_checks(Options *po);
/* True when the utterance fits n; else ERROR, or WARNING and false with --skip-bad.
 * labels may be NULL (decoding: features only). */
bool nnet_utterance_fits(const Nnet *n, const char *key, Mat feats, const char *feats_rspec,
                         const IntVec *labels, const char *labels_rspec);

/* Reads every utterance of feats_rspec that has labels in labels_rspec, in table order,
 * checked as above against n; when keep is not NULL, only the keys it lists (nkeep of
 * them, sorted by strcmp). An utterance without labels is a WARNING naming its key
 * (counted in *missing, may be NULL). */
NnetData *nnet_data_read(const Nnet *n, const char *feats_rspec, const char *labels_rspec, char *const *keep,
                         int nkeep, int *missing);
/* Sorts the utterances by key; a key that appears twice is an ERROR naming feats_rspec. */
void nnet_data_sort(NnetData *d, const char *feats_rspec);
/* Index of key in a sorted set, -1 when absent. */
int nnet_data_find(const NnetData *d, const char *key);
/* Records in d->left_out why key was not kept (a printf format), for later messages. */
void nnet_data_leave_out(NnetData *d, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Moves the utterances whose index is marked in take[] (n flags) into a new set. */
NnetData *nnet_data_split(NnetData *d, const bool *take);
void nnet_data_free(NnetData *d);

#endif
