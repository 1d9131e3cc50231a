/* Neural networks for CTC acoustic models: a stack of layers (layer.h) described by a
 * config file, ONE flat float array holding every parameter, a model file, batched
 * forward/backward with the CTC loss, and exact Hessian-vector products.
 *
 *   Nnet *n = nnet_new_from_config("conf/dnn.conf", 40, 64, seed);   // or nnet_read
 *   NnetBatch *b = nnet_batch_new();  NnetWork *w = nnet_work_new(n);
 *   nnet_batch_fill(b, n, k, feats, labels, keys);          // pads; skips bad utterances
 *   NnetStats st;
 *   double loss = nnet_loss_grad(n, nnet_params(n), w, b, grad, &st);
 *   nnet_hvp(n, nnet_params(n), w, b, v, hv, NULL, &st);    // H v of the same loss
 *
 * THE LOSS (what every trainer and meta-learner optimises, and what the PyTorch
 * references compute):
 *     L(theta) = sum_u CTC_u(theta) / F,   CTC_u = -log p(labels_u | feats_u),
 * summed over the utterances u of the batch that were not skipped, blank = unit 0,
 * F = sum_u (input feature frames of u)  -- a per-frame mean ("normalize=frame"). With
 * nnet_batch_set_normalize(b, NNET_NORM_UTT) F is the number of utterances instead, with
 * NNET_NORM_SUM F = 1. The gradient and H v returned are those of L itself.
 *
 * Parameters: nnet_params(n) is one array of nnet_num_params(n) floats; layer i owns the
 * slice [offset, offset+count) given by nnet_layer_info. Functions taking `params`
 * evaluate the network at that vector instead of the model's own (MAML's adapted
 * theta_j), so the model itself is never modified by them.
 *
 * Threads: a Nnet is read-only in nnet_loss_grad/nnet_hvp/nnet_forward; each thread uses
 * its own NnetWork and NnetBatch. The matrix team's threads are set by mat_set_num_threads. */
#ifndef NNET_NNET_H
#define NNET_NNET_H

#include <stdbool.h>
#include <stdint.h>

#include "io/table.h"
#include "matrix/matrix.h"
#include "nnet/layer.h"

typedef struct Nnet Nnet;

/* ---- Creation, copies, files ---- */

/* A network from a config file (format in conf/dnn.conf):
 *     # comment
 *     input-dim=40          (optional; the argument input_dim > 0 overrides it)
 *     output-dim=64         (optional; output_dim > 0 overrides; units incl. blank 0)
 *     splice context=-5:5
 *     affine dim=512
 *     relu
 *     affine                (no dim: the output dim)
 *     log-softmax           (the last layer must be log-softmax, for CTC)
 * One layer a line: a kind keyword (nnet_layer_kind_names()) and key=value settings.
 * Parameters are initialised from `seed` alone. ERROR naming file and line on bad input. */
Nnet *nnet_new_from_config(const char *config_path, int input_dim, int output_dim, uint64_t seed);
/* Same, from the text of a config (name used in messages). */
Nnet *nnet_new_from_string(const char *text, const char *name, int input_dim, int output_dim,
                           uint64_t seed);
/* A copy of n with the layers of a config's text (no input-dim=/output-dim= lines)
 * inserted before layer `at` (0 <= at < nnet_num_layers(n)): they take that layer's input
 * dim and must end with it. Their parameters are initialised from seed as
 * nnet_new_from_string's; every other parameter is n's. The copy has no extras (a stored
 * inner loop names the old layers). ERROR naming `name` on a bad config or dims. */
Nnet *nnet_insert(const Nnet *n, int at, const char *text, const char *name, uint64_t seed);
Nnet *nnet_copy(const Nnet *n);
void nnet_free(Nnet *n);

/* Model file (Kaldi-style tokens, binary by default; text when binary is false; gzip
 * when the name ends in .gz; written to a temporary name and renamed):
 *   <Nnet> <Version> 1 <InputDim> D <OutputDim> K <NumLayers> L <NumParams> P
 *   <Layer> kind <Config> n key=value... <InDim> i <OutDim> o <NumParams> p <Params> floats
 *   ... <Extra> name <Dim> n floats ... </Nnet>
 * nnet_read ERRORs naming the file on a bad, truncated or other-version file. */
Nnet *nnet_read(const char *rxfilename);
void nnet_write(const Nnet *n, const char *wxfilename, bool binary);
/* As the above, inside an already open stream (for checkpoints holding more). */
Nnet *nnet_read_from(Input *in, const char *name);
/* The name a model was read from (copies keep it), for messages about what it holds;
 * "model" for one made in memory. */
const char *nnet_source(const Nnet *n);
void nnet_write_to(const Nnet *n, Output *out, bool binary);

/* ---- Shape and parameters ---- */
int nnet_input_dim(const Nnet *n);
int nnet_output_dim(const Nnet *n);
/* Product of the frame-subsampling factors of all layers (1 for none). */
int nnet_frame_subsampling(const Nnet *n);
/* Output frames for an utterance of `frames` input frames. */
int nnet_output_frames(const Nnet *n, int frames);
int nnet_num_params(const Nnet *n);
float *nnet_params(Nnet *n);
const float *nnet_params_const(const Nnet *n);
/* True when a and b have the same layers, settings and dims (so parameters line up). */
bool nnet_same_arch(const Nnet *a, const Nnet *b);

typedef struct {
  const char *kind;   /* "affine", "relu", ... */
  const char *config; /* its settings, "dim=512" */
  int in_dim, out_dim;
  int offset, count;  /* its parameters: nnet_params(n)[offset .. offset+count) */
} NnetLayerInfo;
int nnet_num_layers(const Nnet *n);
NnetLayerInfo nnet_layer_info(const Nnet *n, int i);
const NnetLayer *nnet_layer(const Nnet *n, int i);
/* Human-readable summary (what nnet-info prints) to a stdio stream; extra vectors of up
 * to 32 values are printed with them. */
void nnet_print_info(const Nnet *n, void *FILE_stream);

/* Extra named float vectors stored in the model file (e.g. learned per-layer inner
 * learning rates). set copies the values (replacing an older vector of that name);
 * get returns NULL when absent, else the stored array with its length in *dim. */
void nnet_set_extra(Nnet *n, const char *name, const float *v, int dim);
const float *nnet_get_extra(const Nnet *n, const char *name, int *dim);
/* Removes the extra vector of that name, if any. */
void nnet_remove_extra(Nnet *n, const char *name);
int nnet_num_extras(const Nnet *n);
const char *nnet_extra_name(const Nnet *n, int i);

/* ---- Batches of padded utterances ---- */
typedef enum { NNET_NORM_FRAME = 0, NNET_NORM_UTT, NNET_NORM_SUM } NnetNorm;

typedef struct {
  int B, T, dim;       /* utterances kept, padded input frames, feature dim */
  Mat feats;           /* (T*B) x dim view, time-major (row t*B+b), zero padding */
  int *len;            /* len[b] input frames of utterance b */
  int *lab_off, *lab_len; /* labels of b: lab[lab_off[b] .. + lab_len[b]) */
  int *lab;
  int num_skipped;     /* utterances given to nnet_batch_fill but not kept */
  NnetNorm norm;       /* how the loss is normalised (default NNET_NORM_FRAME) */
  long total_frames;   /* sum of len[] */
  /* private: buffers grown as needed, reused across fills */
  float *fbuf; size_t fcap;
  int ucap, lcap, kcap;
  char *kbuf; int *kidx, *src;
} NnetBatch;

NnetBatch *nnet_batch_new(void);
void nnet_batch_free(NnetBatch *b);
void nnet_batch_set_normalize(NnetBatch *b, NnetNorm norm);
/* Packs k utterances (feature matrices and int32 label vectors) for network n,
 * reusing the batch's buffers (no allocation once they have grown). An utterance is
 * skipped with a WARNING naming its key (keys may be NULL: "utterance #i") when its
 * feature dim differs from the network's input dim, it has no frames, a label is
 * outside [1, output_dim-1], or its labels cannot fit its output frames under CTC
 * (needs frames' >= labels + adjacent repeats). Returns the number kept. */
int nnet_batch_fill(NnetBatch *b, const Nnet *n, int k, const Mat *feats, const IntVec *labels,
                    const char *const *keys);
const char *nnet_batch_key(const NnetBatch *b, int i);
/* Why nnet_batch_fill would skip this utterance (the reasons above), or NULL when it
 * is usable; why (len bytes) holds the message. */
const char *nnet_utterance_problem(const Nnet *n, Mat feats, IntVec labels, char *why, size_t len);

/* ---- Computation ---- */
typedef struct NnetWork NnetWork;
/* Scratch for one thread computing with networks of n's architecture: activations,
 * gradients, tangents and each layer's work, grown to the largest batch seen. */
NnetWork *nnet_work_new(const Nnet *n);
void nnet_work_free(NnetWork *w);
/* Threads this work uses for the per-utterance parts (CTC); default 1. Matrix products
 * use the matrix team's threads (mat_set_num_threads). Results do not depend on it. */
void nnet_work_set_num_threads(NnetWork *w, int n);
/* Bytes currently held (for peak-memory reports). */
size_t nnet_work_bytes(const NnetWork *w);

typedef struct {
  double loss_sum;     /* sum over kept utterances of -log p(labels|feats) */
  double loss;         /* L: loss_sum / F (see THE LOSS above) */
  long frames;         /* input frames of the kept utterances */
  int utts;            /* utterances in the batch */
} NnetStats;

/* Forward + CTC + backward at `params` (nnet_num_params(n) floats, layout of n).
 * grad_out (may be NULL: loss only) receives dL/dparams (overwritten). Returns L. A batch
 * with no utterances returns 0 and a zero gradient. */
double nnet_loss_grad(const Nnet *n, const float *params, NnetWork *w, const NnetBatch *b,
                      float *grad_out, NnetStats *st);
/* Exact Hessian-vector product of the same L at params: hv_out = (d^2 L/dparams^2) v,
 * by the R-operator through every layer and the CTC forward-backward recursions.
 * grad_out (may be NULL) receives the gradient, computed on the way. Returns L. */
double nnet_hvp(const Nnet *n, const float *params, NnetWork *w, const NnetBatch *b,
                const float *v, float *hv_out, float *grad_out, NnetStats *st);
/* nnet_hvp without the gradient and without the forward pass, which w still holds: the
 * last call on w was nnet_loss_grad or nnet_hvp at these params on a batch of the same
 * utterances (MAML's Hessian-vector products at the inner steps' parameters reuse the
 * inner steps' forward passes this way). */
double nnet_hvp_held(const Nnet *n, const float *params, NnetWork *w, const NnetBatch *b,
                     const float *v, float *hv_out, NnetStats *st);

/* Log-probabilities (output frames x output_dim, log-softmax) of one utterance; a new
 * matrix the caller releases (mat_release). Uses scratch kept inside n: one thread per
 * Nnet at a time. ERROR when feats.cols differs from the input dim. */
Mat nnet_compute_logprobs(Nnet *n, Mat feats);

/* Output of the whole network for a batch at params (T'*B x output_dim, time-major),
 * a view into w valid until its next use; out_len receives each utterance's frames. */
Mat nnet_forward(const Nnet *n, const float *params, NnetWork *w, const NnetBatch *b,
                 const int **out_len);

#endif
