/* Utterances with their labels, held in memory for training: features from a
 * feature table, labels (int32 vectors) looked up by key in a label table. */
#ifndef NNET_DATA_H
#define NNET_DATA_H

#include "base/options.h"
#include "io/table.h"
#include "matrix/matrix.h"

typedef struct {
  int n;
  char **keys;
  Mat *feats;
  IntVec *labels;
  long frames;   /* sum of feature rows */
  int nonfinite; /* utterances skipped at reading for NaN or infinite features */
} NnetData;

/* Features with a NaN or an infinity, in every program that trains, adapts or decodes:
 * by default the utterance is skipped with a WARNING naming the table, key, row and
 * column; with --strict (one switch for the process, registered by those programs)
 * it is an ERROR. nnet_feats_usable returns false for an utterance to skip. */
void nnet_feats_register_strict(Options *po);
bool nnet_feats_usable(const char *rspec, const char *key, Mat f);

/* Reads every utterance of feats_rspec that has labels in labels_rspec; an utterance
 * without labels is a WARNING naming its key (counted in *missing, may be NULL). */
NnetData *nnet_data_read(const char *feats_rspec, const char *labels_rspec, int *missing);
/* Moves the utterances whose index is marked in take[] (n flags) into a new set. */
NnetData *nnet_data_split(NnetData *d, const bool *take);
void nnet_data_free(NnetData *d);

#endif
