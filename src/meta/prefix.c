/* Frozen layers computed once: when adaptation changes only layers f.. (ANIL, or
 * --adapt-layers=last), the outputs of layers 0..f-1 never change, so fast-adapt runs
 * them once per utterance and adapts the network of layers f.. on those outputs. The
 * loss and gradients are the same as the whole network's; each step costs only the
 * adapted layers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "meta/meta-internal.h"

#define PREFIX_BATCH 16 /* utterances run through the frozen layers at once */

/* Runs layers [0, f) on utterances idx[0..B) of d as one padded, time-major batch
 * (layer.h's layout: row t*B + b is frame t of utterance b) and stores each one's valid
 * output frames in out[idx[b]]. */
static void prefix_batch(const Nnet *n, int f, const NnetData *d, const int *idx, int B, Mat *out) {
  int T = 0, len[B], olen[B];
  for (int b = 0; b < B; b++) {
    len[b] = d->feats[idx[b]].rows;
    if (len[b] > T) T = len[b];
  }
  Mat x = mat_alloc(T * B, nnet_input_dim(n));
  for (int b = 0; b < B; b++)
    for (int t = 0; t < len[b]; t++)
      memcpy(mat_row(x, t * B + b), mat_row(d->feats[idx[b]], t), sizeof(float) * (size_t)x.cols);
  for (int i = 0; i < f; i++) {
    const NnetLayer *l = nnet_layer(n, i);
    int To = l->kind->out_frames ? l->kind->out_frames(l, T) : T;
    for (int b = 0; b < B; b++) olen[b] = l->kind->out_frames ? l->kind->out_frames(l, len[b]) : len[b];
    Mat y = mat_alloc(To * B, l->out_dim);
    size_t wf = l->kind->work_floats ? l->kind->work_floats(l, T, B) : 0;
    float *work = aligned_alloc(64, ((wf * sizeof(float) + 63) / 64 + 1) * 64);
    if (!work) ERROR("out of memory");
    NnetSeq in = {T, B, len}, os = {To, B, olen};
    l->kind->forward(l, nnet_params_const(n) + l->param_offset, in, os, x, y, work);
    free(work);
    mat_release(&x);
    x = y;
    T = To;
    memcpy(len, olen, sizeof(len));
  }
  for (int b = 0; b < B; b++) {
    out[idx[b]] = mat_alloc(len[b], x.cols);
    for (int t = 0; t < len[b]; t++)
      memcpy(mat_row(out[idx[b]], t), mat_row(x, t * B + b), sizeof(float) * (size_t)x.cols);
  }
  mat_release(&x);
}

Nnet *meta_suffix_net(const Nnet *n, int f) {
  size_t cap = 256, len = 0;
  char *text = xmalloc(cap);
  text[0] = 0;
  for (int i = f; i < nnet_num_layers(n); i++) {
    NnetLayerInfo li = nnet_layer_info(n, i);
    size_t need = strlen(li.kind) + strlen(li.config) + 3;
    if (len + need >= cap) text = xrealloc(text, cap = 2 * (len + need));
    len += (size_t)sprintf(text + len, "%s %s\n", li.kind, li.config);
  }
  NnetLayerInfo first = nnet_layer_info(n, f);
  Nnet *s = nnet_new_from_string(text, "adapted layers", first.in_dim, nnet_output_dim(n), 1);
  free(text);
  int P = nnet_num_params(n) - first.offset;
  if (nnet_num_params(s) != P || nnet_num_layers(s) != nnet_num_layers(n) - f)
    ERROR("cannot rebuild layers %d.. of the model as a network (%d parameters, expected %d)", f,
          nnet_num_params(s), P);
  memcpy(nnet_params(s), nnet_params_const(n) + first.offset, sizeof(float) * (size_t)P);
  return s;
}

NnetData *meta_data_prefix(const Nnet *n, int f, const NnetData *d) {
  NnetData *o = xcalloc(1, sizeof(*o));
  int N = d->n > 0 ? d->n : 1;
  o->keys = xmalloc(sizeof(char *) * (size_t)N);
  o->feats = xmalloc(sizeof(Mat) * (size_t)N);
  o->labels = xmalloc(sizeof(IntVec) * (size_t)N);
  o->in_frames = xmalloc(sizeof(int) * (size_t)N);
  /* Batches of utterances of similar length (sorted by frames), so padding stays small. */
  int *order = xmalloc(sizeof(int) * (size_t)N);
  for (int i = 0; i < d->n; i++) order[i] = i;
  for (int i = 1; i < d->n; i++) /* insertion sort by length: stable, deterministic */
    for (int k = i; k > 0 && d->feats[order[k - 1]].rows > d->feats[order[k]].rows; k--) {
      int tmp = order[k];
      order[k] = order[k - 1];
      order[k - 1] = tmp;
    }
  for (int i = 0; i < d->n; i += PREFIX_BATCH)
    prefix_batch(n, f, d, order + i, d->n - i < PREFIX_BATCH ? d->n - i : PREFIX_BATCH, o->feats);
  free(order);
  for (int i = 0; i < d->n; i++) {
    o->keys[i] = xstrdup(d->keys[i]);
    o->in_frames[i] = d->in_frames ? d->in_frames[i] : d->feats[i].rows;
    o->labels[i].len = d->labels[i].len;
    o->labels[i].data = xmalloc(sizeof(int) * (size_t)(d->labels[i].len + 1));
    if (d->labels[i].len)
      memcpy(o->labels[i].data, d->labels[i].data, sizeof(int) * (size_t)d->labels[i].len);
    o->frames += o->feats[i].rows;
  }
  o->n = d->n;
  return o;
}

MetaInner *meta_inner_suffix(const MetaInner *in, const Nnet *n, int f) {
  MetaInner *s = xcalloc(1, sizeof(*s));
  *s = *in;
  s->step_weights = NULL; /* adaptation only: no meta-objective */
  s->num_layers = in->num_layers - f;
  int offset = nnet_layer_info(n, f).offset; /* the suffix's parameters are n's from here */
  s->num_params = in->num_params - offset;
  s->adapt = xmalloc(sizeof(bool) * (size_t)s->num_layers);
  s->rates = xmalloc(sizeof(float) * (size_t)meta_inner_num_rates(s));
  for (int l = 0; l < s->num_layers; l++) s->adapt[l] = in->adapt[l + f];
  if (in->lr_mode == META_LR_PER_PARAM) {
    memcpy(s->rates, in->rates + offset, sizeof(float) * (size_t)s->num_params);
    return s;
  }
  for (int l = 0; l < s->num_layers; l++)
    for (int j = 0; j < s->rate_steps; j++)
      s->rates[j * s->num_layers + l] = in->rates[j * in->num_layers + l + f];
  return s;
}
