/* The inner loop: its settings (rates, which layers adapt), per-thread scratch, and k
 * steps of gradient descent on a task's support set. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "meta/meta-internal.h"

static const char *const algo_names[] = {"maml", "fomaml", "reptile", "multitask", "imaml"};

bool meta_algo_parse(const char *s, MetaAlgo *a) {
  for (int i = 0; i < 5; i++)
    if (strcmp(s, algo_names[i]) == 0) {
      *a = (MetaAlgo)i;
      return true;
    }
  return false;
}

const char *meta_algo_name(MetaAlgo a) { return algo_names[a]; }

bool meta_lr_mode_parse(const char *s, MetaLrMode *m) {
  if (strcmp(s, "none") == 0) *m = META_LR_NONE;
  else if (strcmp(s, "per-layer") == 0) *m = META_LR_PER_LAYER;
  else if (strcmp(s, "per-layer-step") == 0) *m = META_LR_PER_LAYER_STEP;
  else if (strcmp(s, "per-parameter") == 0) *m = META_LR_PER_PARAM;
  else return false;
  return true;
}

const char *meta_lr_mode_extra(MetaLrMode m) {
  return m == META_LR_PER_PARAM ? META_EXTRA_PARAM_RATES
         : m != META_LR_NONE    ? META_EXTRA_RATES
                                : META_EXTRA_RATE;
}

MetaInner *meta_inner_new(const Nnet *n, MetaAlgo algo, int steps, int batch, float lr,
                          MetaLrMode mode) {
  MetaInner *in = xcalloc(1, sizeof(*in));
  in->algo = algo;
  in->steps = steps;
  in->batch = batch;
  in->num_layers = nnet_num_layers(n);
  in->num_params = nnet_num_params(n);
  in->adapt = xmalloc(sizeof(bool) * (size_t)in->num_layers);
  for (int l = 0; l < in->num_layers; l++) in->adapt[l] = nnet_layer_info(n, l).count > 0;
  in->lr_mode = mode;
  in->rate_steps = mode == META_LR_PER_LAYER_STEP && steps > 1 ? steps : 1;
  in->rates = xmalloc(sizeof(float) * (size_t)meta_inner_num_rates(in));
  for (int i = 0; i < meta_inner_num_rates(in); i++) in->rates[i] = lr;
  if (algo == META_IMAML) {
    in->prox_lambda = META_IMAML_LAMBDA;
    in->cg_steps = META_IMAML_CG_STEPS;
  }
  return in;
}

void meta_inner_free(MetaInner *in) {
  if (!in) return;
  free(in->adapt);
  free(in->rates);
  free(in->step_weights);
  free(in);
}

int meta_inner_num_rates(const MetaInner *in) {
  return in->lr_mode == META_LR_PER_PARAM ? in->num_params : in->num_layers * in->rate_steps;
}

int meta_inner_num_learned(const MetaInner *in) {
  /* imaml's implicit meta-gradient does not depend on the inner path: no rate gradient. */
  bool learn = in->lr_mode != META_LR_NONE && in->algo != META_IMAML;
  return learn ? meta_inner_num_rates(in) : 0;
}

int meta_rate_index(const MetaInner *in, int l, int j) {
  int s = j < in->rate_steps ? j : in->rate_steps - 1;
  return s * in->num_layers + l;
}

/* The rates of an adapted layer l at step j: one for the layer (*per_param NULL), or one
 * per parameter (*per_param: the layer's li.count rates). */
static float layer_rate(const MetaInner *in, int l, int j, NnetLayerInfo li, const float **per_param) {
  *per_param = in->lr_mode == META_LR_PER_PARAM ? in->rates + li.offset : NULL;
  return *per_param ? 0.0f : in->rates[meta_rate_index(in, l, j)];
}

void meta_rate_axpy(const Nnet *n, const MetaInner *in, int j, float s, const float *x, float *y) {
  for (int l = 0; l < in->num_layers; l++) {
    NnetLayerInfo li = nnet_layer_info(n, l);
    if (!in->adapt[l] || li.count == 0) continue;
    const float *rp;
    float r = layer_rate(in, l, j, li, &rp);
    if (rp) {
      for (int p = 0; p < li.count; p++) y[li.offset + p] += s * rp[p] * x[li.offset + p];
    } else if (r != 0.0f) {
      vec_axpy(li.count, s * r, x + li.offset, y + li.offset);
    }
  }
}

void meta_msl_weights(int k, int iter, int anneal_iters, float *w) {
  if (iter >= anneal_iters) {
    for (int j = 0; j < k; j++) w[j] = j == k - 1 ? 1.0f : 0.0f;
    return;
  }
  double decay = 1.0 / k / anneal_iters, floor = 0.03 / k;
  for (int j = 0; j < k - 1; j++) w[j] = (float)fmax(1.0 / k - iter * decay, floor);
  w[k - 1] = (float)fmin(1.0 / k + iter * (k - 1) * decay, 1.0 - (k - 1) * floor);
}

void meta_inner_set_adapt(MetaInner *in, const Nnet *n, const char *spec) {
  int L = in->num_layers;
  if (strcmp(spec, "all") == 0) {
    for (int l = 0; l < L; l++) in->adapt[l] = nnet_layer_info(n, l).count > 0;
    return;
  }
  for (int l = 0; l < L; l++) in->adapt[l] = false;
  if (strcmp(spec, "last") == 0) {
    for (int l = L - 1; l >= 0; l--)
      if (nnet_layer_info(n, l).count > 0) {
        in->adapt[l] = true;
        return;
      }
    ERROR("--adapt-layers=last: the model has no layer with parameters");
  }
  char *buf = xstrdup(spec), *save = NULL;
  for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    int l;
    if (!parse_int(t, &l) || l < 0 || l >= L)
      ERROR("--adapt-layers=%s: '%s' is not a layer index in [0, %d] (or use all, last)", spec, t,
            L - 1);
    if (nnet_layer_info(n, l).count == 0)
      ERROR("--adapt-layers=%s: layer %d (%s) has no parameters", spec, l, nnet_layer_info(n, l).kind);
    in->adapt[l] = true;
  }
  free(buf);
}

bool meta_inner_from_model(MetaInner *in, const Nnet *n) {
  int dim, L = in->num_layers;
  const float *a = nnet_get_extra(n, META_EXTRA_ADAPT, &dim);
  if (a) {
    if (dim != L)
      ERROR("%s: extra %s has %d values for %d layers", nnet_source(n), META_EXTRA_ADAPT, dim, L);
    for (int l = 0; l < L; l++) in->adapt[l] = a[l] != 0 && nnet_layer_info(n, l).count > 0;
  }
  const float *r = nnet_get_extra(n, META_EXTRA_PARAM_RATES, &dim);
  if (r) {
    if (dim != in->num_params)
      ERROR("%s: extra %s has %d values for %d parameters", nnet_source(n), META_EXTRA_PARAM_RATES,
            dim, in->num_params);
    in->rate_steps = 1;
    in->lr_mode = META_LR_PER_PARAM;
  } else if ((r = nnet_get_extra(n, META_EXTRA_RATES, &dim))) {
    if (dim <= 0 || dim % L != 0)
      ERROR("%s: extra %s has %d values, not a multiple of %d layers", nnet_source(n),
            META_EXTRA_RATES, dim, L);
    in->rate_steps = dim / L;
    in->lr_mode = in->rate_steps > 1 ? META_LR_PER_LAYER_STEP : META_LR_PER_LAYER;
  } else {
    return false;
  }
  free(in->rates);
  in->rates = xmalloc(sizeof(float) * (size_t)dim);
  memcpy(in->rates, r, sizeof(float) * (size_t)dim);
  return true;
}

void meta_inner_to_model(const MetaInner *in, Nnet *n) {
  float *a = xmalloc(sizeof(float) * (size_t)in->num_layers);
  for (int l = 0; l < in->num_layers; l++) a[l] = in->adapt[l] ? 1.0f : 0.0f;
  nnet_set_extra(n, META_EXTRA_ADAPT, a, in->num_layers);
  free(a);
  if (in->algo == META_MULTITASK && in->lr_mode == META_LR_NONE) {
    /* No inner loop: a procedure stored by an earlier meta-training no longer applies. */
    const char *const names[] = {META_EXTRA_STEPS, META_EXTRA_BATCH, META_EXTRA_RATE,
                                 META_EXTRA_RATES, META_EXTRA_PARAM_RATES, META_EXTRA_PROX};
    for (int i = 0; i < 6; i++) nnet_remove_extra(n, names[i]);
    return;
  }
  float steps = (float)in->steps, batch = (float)in->batch;
  nnet_set_extra(n, META_EXTRA_STEPS, &steps, 1);
  nnet_set_extra(n, META_EXTRA_BATCH, &batch, 1);
  if (in->prox_lambda > 0) nnet_set_extra(n, META_EXTRA_PROX, &in->prox_lambda, 1);
  else nnet_remove_extra(n, META_EXTRA_PROX);
  /* One of the three ways to store the rates; the others, from an earlier meta-training,
   * no longer fit. */
  const char *kept = meta_lr_mode_extra(in->lr_mode);
  const char *const names[] = {META_EXTRA_RATE, META_EXTRA_RATES, META_EXTRA_PARAM_RATES};
  for (int i = 0; i < 3; i++)
    if (strcmp(names[i], kept) != 0) nnet_remove_extra(n, names[i]);
  nnet_set_extra(n, kept, in->rates, in->lr_mode == META_LR_NONE ? 1 : meta_inner_num_rates(in));
}

MetaWork *meta_work_new(const Nnet *n, const MetaInner *in) {
  MetaWork *w = xcalloc(1, sizeof(*w));
  int P = nnet_num_params(n), k = in->steps > 0 ? in->steps : 1;
  w->P = P;
  w->steps = k;
  w->nw = nnet_work_new(n);
  w->sb = nnet_batch_new();
  w->qb = nnet_batch_new();
  if (in->algo == META_MAML) {
    w->traj = xmalloc(sizeof(float) * (size_t)P * (size_t)k);
    w->step_nw = xmalloc(sizeof(NnetWork *) * (size_t)k);
    for (int j = 0; j < k; j++) w->step_nw[j] = nnet_work_new(n);
  }
  if (meta_inner_num_learned(in) > 0) w->sgrad = xmalloc(sizeof(float) * (size_t)P * (size_t)k);
  w->cur = xmalloc(sizeof(float) * (size_t)P);
  w->g = xmalloc(sizeof(float) * (size_t)P);
  w->v = xmalloc(sizeof(float) * (size_t)P);
  w->hv = xmalloc(sizeof(float) * (size_t)P);
  w->gs = xmalloc(sizeof(float) * (size_t)P);
  return w;
}

void meta_work_set_num_threads(MetaWork *w, int threads) {
  nnet_work_set_num_threads(w->nw, threads);
  for (int j = 0; w->step_nw && j < w->steps; j++) nnet_work_set_num_threads(w->step_nw[j], threads);
}

void meta_work_free(MetaWork *w) {
  if (!w) return;
  nnet_work_free(w->nw);
  for (int j = 0; w->step_nw && j < w->steps; j++) nnet_work_free(w->step_nw[j]);
  free(w->step_nw);
  nnet_batch_free(w->sb);
  nnet_batch_free(w->qb);
  free(w->traj);
  free(w->sgrad);
  free(w->cur);
  free(w->g);
  free(w->v);
  free(w->hv);
  free(w->gs);
  free(w->order);
  free(w->fbuf);
  free(w->lbuf);
  free(w->kbuf);
  free(w);
}

/* Packs utterances idx[0..n) of d into batch b. */
void meta_fill(MetaWork *w, const Nnet *n, NnetBatch *b, const NnetData *d, const int *idx, int cnt) {
  if (cnt > w->bcap) {
    w->bcap = cnt;
    w->fbuf = xrealloc(w->fbuf, sizeof(Mat) * (size_t)cnt);
    w->lbuf = xrealloc(w->lbuf, sizeof(IntVec) * (size_t)cnt);
    w->kbuf = xrealloc(w->kbuf, sizeof(char *) * (size_t)cnt);
  }
  for (int i = 0; i < cnt; i++) {
    w->fbuf[i] = d->feats[idx[i]];
    w->lbuf[i] = d->labels[idx[i]];
    w->kbuf[i] = d->keys[idx[i]];
  }
  nnet_batch_fill(b, n, cnt, w->fbuf, w->lbuf, w->kbuf);
}

/* The inner loop's utterances of a task for this seed: the support set, shuffled when
 * inner-batch < its size; with_query: the support set then the query set, in the
 * episode's order, so that a batch of the support set's size is one set or the other. */
void meta_support_order(const MetaInner *in, MetaWork *w, const MetaTask *t, uint64_t seed,
                        bool with_query) {
  int m = t->ns + (with_query ? t->nq : 0);
  if (m > w->ocap) {
    w->ocap = m;
    w->order = xrealloc(w->order, sizeof(int) * (size_t)m * 2);
  }
  memcpy(w->order, t->s, sizeof(int) * (size_t)t->ns);
  if (with_query) memcpy(w->order + t->ns, t->q, sizeof(int) * (size_t)t->nq);
  w->ninner = m;
  w->subset = in->batch > 0 && in->batch < m;
  if (w->subset && !with_query) {
    Rng r;
    rng_seed(&r, seed);
    rng_shuffle_int(&r, w->order, m);
  }
}

int meta_step_utts(const MetaInner *in, MetaWork *w, int j, const int **idx) {
  if (!w->subset) {
    *idx = w->order;
    return w->ninner;
  }
  int b = in->batch, *sel = w->order + w->ninner;
  for (int i = 0; i < b; i++) sel[i] = w->order[((long)j * b + i) % w->ninner];
  *idx = sel;
  return b;
}

/* Fills w->sb with the support utterances of inner step j (no-op after the first fill
 * when every step uses the whole support set). */
void meta_fill_support(const Nnet *n, const MetaInner *in, MetaWork *w, const NnetData *d, int j,
                       bool first) {
  if (!w->subset && !first) return;
  const int *idx;
  int cnt = meta_step_utts(in, w, j, &idx);
  meta_fill(w, n, w->sb, d, idx, cnt);
}

void meta_inner_step(const Nnet *n, const MetaInner *in, int j, const float *g,
                     const float *anchor, float *theta) {
  float lambda = in->prox_lambda;
  if (lambda <= 0) {
    meta_rate_axpy(n, in, j, -1.0f, g, theta);
    return;
  }
  for (int l = 0; l < in->num_layers; l++) {
    NnetLayerInfo li = nnet_layer_info(n, l);
    if (!in->adapt[l] || li.count == 0) continue;
    const float *rp;
    float r = layer_rate(in, l, j, li, &rp);
    if (!rp && r == 0.0f) continue;
    for (int i = 0; i < li.count; i++) {
      int p = li.offset + i;
      theta[p] -= (rp ? rp[i] : r) * (g[p] + lambda * (theta[p] - anchor[p]));
    }
  }
}

bool meta_finite(int n, const float *x) { return isfinite(vec_norm2(n, x)); }

bool meta_inner_adapt(const Nnet *n, const MetaInner *in, MetaWork *w, const NnetData *d,
                      const MetaTask *t, uint64_t seed, bool with_query, const float *theta,
                      float *theta_out, MetaTaskStats *st) {
  int P = w->P;
  NnetStats ns;
  meta_support_order(in, w, t, seed, with_query);
  memcpy(theta_out, theta, sizeof(float) * (size_t)P);
  for (int j = 0; j < in->steps; j++) {
    meta_fill_support(n, in, w, d, j, j == 0);
    if (w->keep_traj && w->traj) memcpy(w->traj + (size_t)j * P, theta_out, sizeof(float) * (size_t)P);
    NnetWork *nw = w->keep_traj && w->step_nw ? w->step_nw[j] : w->nw;
    double L = nnet_loss_grad(n, theta_out, nw, w->sb, w->gs, &ns);
    if (j == 0) st->support_first = L, st->support_frames = ns.frames;
    st->frames += ns.frames;
    if (!isfinite(L) || !meta_finite(P, w->gs)) return st->ok = false;
    if (w->sgrad && w->keep_traj) memcpy(w->sgrad + (size_t)j * P, w->gs, sizeof(float) * (size_t)P);
    meta_inner_step(n, in, j, w->gs, theta, theta_out);
  }
  return st->ok = true;
}
