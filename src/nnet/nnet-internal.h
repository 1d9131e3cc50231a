/* The inside of a Nnet, shared by the files of this library only. */
#ifndef NNET_NNET_INTERNAL_H
#define NNET_NNET_INTERNAL_H

#include "nnet/nnet.h"

#define NNET_EXTRA_NAME 64

typedef struct {
  char name[NNET_EXTRA_NAME];
  float *v;
  int dim;
} NnetExtra;

struct Nnet {
  int input_dim, output_dim;
  int num_layers;
  NnetLayer *layers;
  int num_params;
  float *params;
  int num_extras;
  NnetExtra *extras;
  char *source;   /* the file it was read from (nnet_source), or NULL */
  /* scratch for nnet_compute_logprobs, made on first use */
  NnetWork *scratch_work;
  NnetBatch *scratch_batch;
};

/* An empty network with these layers (copied); parameters zero. */
Nnet *nnet_from_layers(int input_dim, const NnetLayer *layers, int num_layers);
/* Checks a network is usable for CTC (last layer log-softmax ...); false + err. */
bool nnet_check(const Nnet *n, char *err, size_t errlen);

#endif
