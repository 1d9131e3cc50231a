/* The layer interface: what every kind of layer (affine, relu, splice, lstm, ...)
 * implements, so the network code, the model file and the config parser never need
 * to know a layer's insides. A new kind is a file src/nnet/KIND.c defining one
 * `const NnetLayerKind nnet_KIND_kind` and one line in the table in registry.c.
 *
 * Data layout (every activation, gradient and tangent):
 *   a batch of B padded utterances, T frames each, D values a frame, is a Mat of
 *   (T*B) rows x D columns, TIME-MAJOR: row t*B + b is frame t of utterance b.
 *   So the B frames of one time step are B contiguous rows (one gemm per step for a
 *   recurrent layer). Utterance b has len[b] <= T valid frames; rows of padded frames
 *   (t >= len[b]) hold finite values of no meaning. Rules every kind keeps:
 *     - forward/rforward: outputs at valid frames depend only on inputs at valid
 *       frames of the same utterance (a backward LSTM starts at len[b]-1; splice
 *       clamps its context to [0, len[b]-1]); outputs stay finite when inputs are.
 *     - backward/rbackward are called with dy (and rdy) ZERO at padded frames and must
 *       leave dx (and rdx) zero at padded frames; so padding never reaches dw.
 *   A frame-wise kind (frame_wise below) may instead get the valid frames alone,
 *   utterance after utterance, with no padding.
 *
 * Parameters: one flat float array for the whole network (llm.c style); a layer sees
 * only its own slice `w` (num_params floats, starting at param_offset). The layout
 * inside the slice is the kind's business (documented in its file), e.g. affine is
 * W (out_dim x in_dim, row-major) then b (out_dim).
 *
 * Scratch: a layer gets `work`, work_floats(l, T, B) floats owned by the caller's
 * NnetWork (never by the model), so several threads can run one model at once, each
 * with its own NnetWork. What forward stores there may be read by backward, what
 * rforward stores may be read by rbackward (same batch, same work, called in the
 * order forward, rforward, backward, rbackward; rforward/rbackward only for Hessian-
 * vector products). The block is 64-byte aligned and not zeroed between calls.
 *
 * Hessian-vector products use Pearlmutter's R-operator (Neural Computation 6, 1994):
 * R{f} = d/de f(theta + e v) at e = 0 for a parameter direction v. rforward computes
 * the tangent ry = R{y} from rx = R{x} and the layer's slice of v; rbackward computes
 * R{dx} and R{dw} (the tangent of the backward pass) from x, rx, y, ry, dy, rdy. With
 * R{} of the loss gradient at the output this gives H v exactly (no finite step).
 *
 * Gradients ACCUMULATE: dw and rdw are zeroed by the caller, layers add (+=) into them.
 * dx and rdx are OVERWRITTEN; they are NULL (.data == NULL) for the first layer, whose
 * input gradient nobody needs: skip that work. dw is NULL when only H v is wanted (the
 * tangents still need dy and what backward stores in work): skip the parameter gradient.
 * rx is NULL for the first layer with parameters: its input does not depend on them, so
 * R{x} = 0 and every product with it is skipped. */
#ifndef NNET_LAYER_H
#define NNET_LAYER_H

#include <stdbool.h>
#include <stddef.h>

#include "base/rng.h"
#include "matrix/matrix.h"

#define NNET_MAX_ARGS 16       /* key=value settings on one config line */
#define NNET_LAYER_INTS 40     /* kind-specific integer settings (ia) */
#define NNET_LAYER_FLOATS 8    /* kind-specific float settings (fa) */
#define NNET_CONFIG_LEN 200
#define NNET_MAX_DIM (1 << 24)       /* any layer's input or output dim */
#define NNET_MAX_PARAMS (1 << 27)    /* a whole network's parameters (512 MB) */

/* The key=value settings of one config line, e.g. "affine dim=512" -> {dim: 512}.
 * The kind's configure() reads them with nnet_arg_*; keys it never reads are an error
 * reported by the caller (with file and line). */
typedef struct {
  int n;
  char key[NNET_MAX_ARGS][48];
  char val[NNET_MAX_ARGS][96];
  bool used[NNET_MAX_ARGS];
} NnetArgs;

/* Each sets *v when the key is present (a caller sets the default first) and returns
 * true; false with a message in err when the value is malformed. */
bool nnet_arg_int(NnetArgs *a, const char *key, int *v, char *err, size_t errlen);
bool nnet_arg_float(NnetArgs *a, const char *key, float *v, char *err, size_t errlen);
bool nnet_arg_bool(NnetArgs *a, const char *key, bool *v, char *err, size_t errlen);
const char *nnet_arg_str(NnetArgs *a, const char *key); /* NULL when absent */

typedef struct NnetLayerKind NnetLayerKind;

/* One layer of a network: its kind, its dimensions and settings. Plain data: copied
 * with memcpy, written to the model file as (kind name, config string, dims). */
typedef struct {
  const NnetLayerKind *kind;
  int in_dim, out_dim;
  int num_params, param_offset;   /* slice of the network's flat parameter array */
  int ia[NNET_LAYER_INTS];        /* kind-specific settings, set by configure() */
  float fa[NNET_LAYER_FLOATS];
  char config[NNET_CONFIG_LEN];   /* the key=value settings as given ("dim=512") */
} NnetLayer;

/* Frames and lengths of a batch at one layer's input or output. */
typedef struct {
  int T, B;          /* padded frames, utterances */
  const int *len;    /* len[b] valid frames of utterance b, 1 <= len[b] <= T */
} NnetSeq;

struct NnetLayerKind {
  const char *name;  /* the config keyword: "affine", "relu", "lstm", ... */

  /* True for a kind whose output row r depends on input row r alone and which never
   * reads its NnetSeqs (affine, the nonlinearities, log-softmax, layer-norm, lhuc).
   * The network code may then give it only the valid frames, utterance after utterance
   * (see compute.c), so padded frames cost nothing; its NnetSeq is {rows, 1, &rows}. */
  bool frame_wise;

  /* Reads the settings from args (l->in_dim is set, and `default_out` is the
   * network's output dim, for layers like "affine" without dim=); sets l->out_dim,
   * l->num_params, l->ia/fa. False with a message in err on a bad setting. */
  bool (*configure)(NnetLayer *l, NnetArgs *args, int default_out, char *err, size_t errlen);

  /* Output frames for an utterance of n input frames (NULL: n, same frame rate). */
  int (*out_frames)(const NnetLayer *l, int n);

  /* Floats of scratch this layer needs for a batch of B utterances of T input frames,
   * for all four passes (NULL: none). */
  size_t (*work_floats)(const NnetLayer *l, int T, int B);

  /* Random initial parameters into w (num_params floats), drawing only from rng. */
  void (*init)(const NnetLayer *l, float *w, Rng *rng);

  /* y (out.T*B x out_dim) = f(x (in.T*B x in_dim); w). */
  void (*forward)(const NnetLayer *l, const float *w, NnetSeq in, NnetSeq out, Mat x, Mat y,
                  float *work);
  /* Given dy = dL/dy: dx = dL/dx (overwrite; skipped when dx.data is NULL) and
   * dw += dL/dw. */
  void (*backward)(const NnetLayer *l, const float *w, NnetSeq in, NnetSeq out, Mat x, Mat y,
                   Mat dy, Mat dx, float *dw, float *work);
  /* ry = R{y} given rx = R{x} and v, this layer's slice of the parameter direction. */
  void (*rforward)(const NnetLayer *l, const float *w, const float *v, NnetSeq in, NnetSeq out,
                   Mat x, Mat rx, Mat y, Mat ry, float *work);
  /* rdx = R{dx} (overwrite; skipped when rdx.data is NULL) and rdw += R{dw}, given
   * rdy = R{dy}. */
  void (*rbackward)(const NnetLayer *l, const float *w, const float *v, NnetSeq in, NnetSeq out,
                    Mat x, Mat rx, Mat y, Mat ry, Mat dy, Mat rdy, Mat rdx, float *rdw,
                    float *work);
};

/* The registered kinds (registry.c), looked up by config keyword; NULL if unknown. */
const NnetLayerKind *nnet_layer_kind_find(const char *name);
/* "affine|relu|..." for messages. */
const char *nnet_layer_kind_names(void);

/* Configures l (kind, in_dim, settings) from "key=value ..." text; false + err on error. */
bool nnet_layer_configure(NnetLayer *l, const NnetLayerKind *kind, int in_dim,
                          const char *settings, int default_out, char *err, size_t errlen);

/* Helpers shared by kinds. */
/* Uniform(-r, r) fill. */
void nnet_fill_uniform(float *w, int n, float r, Rng *rng);
/* Frame t of utterance b clamped into [0, len[b]-1]: the row index t'*B + b. */
static inline int nnet_clamped_row(NnetSeq s, int t, int b) {
  int n = s.len[b];
  if (t < 0) t = 0;
  if (t >= n) t = n - 1;
  return t * s.B + b;
}

#endif
