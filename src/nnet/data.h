/* Utterances with their labels, held in memory for training: features from a
 * feature table, labels (int32 vectors) looked up by key in a label table. */
#ifndef NNET_DATA_H
#define NNET_DATA_H

#include "io/table.h"
#include "matrix/matrix.h"

typedef struct {
  int n;
  char **keys;
  Mat *feats;
  IntVec *labels;
  long frames;   /* sum of feature rows */
} NnetData;

/* Reads every utterance of feats_rspec that has labels in labels_rspec; an utterance
 * without labels is a WARNING naming its key (counted in *missing, may be NULL). */
NnetData *nnet_data_read(const char *feats_rspec, const char *labels_rspec, int *missing);
/* Moves the utterances whose index is marked in take[] (n flags) into a new set. */
NnetData *nnet_data_split(NnetData *d, const bool *take);
void nnet_data_free(NnetData *d);

#endif
