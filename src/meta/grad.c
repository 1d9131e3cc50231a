/* One task's meta-gradient: MAML (exact, back through every inner step with Hessian-
 * vector products), first-order MAML, Reptile, multitask; and evaluation after adapting. */
#include <math.h>
#include <string.h>

#include "base/util.h"
#include "meta/meta-internal.h"

/* The rate gradient of step j: dL_Q/dr_{l,j} = -<g_{j+1}|_l, grad_l L_S(theta_j)>. */
static void rate_grad_step(const Nnet *n, const MetaInner *in, int j, const float *g,
                           const float *gs, float *rate_grad) {
  for (int l = 0; l < in->num_layers; l++) {
    if (!in->adapt[l]) continue;
    NnetLayerInfo li = nnet_layer_info(n, l);
    if (li.count == 0) continue;
    double dot = 0;
    for (int p = li.offset; p < li.offset + li.count; p++) dot += (double)g[p] * gs[p];
    rate_grad[meta_rate_index(in, l, j)] -= (float)dot;
  }
}

/* g <- (I - H_j D_j) g for j = k-1..0 (H_j symmetric, D_j diagonal), recomputing each
 * step's activations inside nnet_hvp at the stored theta_j; with the multi-step loss,
 * then g += w_j grad L_Q(theta_j) for j >= 1 (w->qb holds the query set). */
static bool maml_backward(const Nnet *n, const MetaInner *in, MetaWork *w, const NnetData *d,
                          const MetaTask *t, float *g, float *rate_grad) {
  int P = w->P;
  NnetStats ns;
  for (int j = in->steps - 1; j >= 0; j--) {
    meta_fill_support(n, in, w, d, t, j, false);
    memset(w->v, 0, sizeof(float) * (size_t)P);
    for (int l = 0; l < in->num_layers; l++) {
      float r = meta_inner_rate(in, l, j);
      if (r == 0.0f) continue;
      NnetLayerInfo li = nnet_layer_info(n, l);
      vec_axpy(li.count, r, g + li.offset, w->v + li.offset);
    }
    double L = nnet_hvp(n, w->traj + (size_t)j * P, w->nw, w->sb, w->v, w->hv, w->gs, &ns);
    if (!isfinite(L) || !meta_finite(P, w->hv)) return false;
    if (rate_grad) rate_grad_step(n, in, j, g, w->gs, rate_grad);
    vec_axpy(P, -1.0f, w->hv, g);
    if (j == 0 || !in->step_weights || in->step_weights[j - 1] == 0.0f) continue;
    L = nnet_loss_grad(n, w->traj + (size_t)j * P, w->nw, w->qb, w->hv, &ns);
    if (!isfinite(L) || !meta_finite(P, w->hv)) return false;
    vec_axpy(P, in->step_weights[j - 1], w->hv, g);
  }
  return true;
}

/* Multitask: the gradient of the pooled support + query loss at theta. */
static bool multitask_grad(const Nnet *n, MetaWork *w, const NnetData *d, const MetaTask *t,
                           const float *theta, float *grad, MetaTaskStats *st) {
  int m = t->ns + t->nq;
  if (m > w->ocap) {
    w->ocap = m;
    w->order = xrealloc(w->order, sizeof(int) * (size_t)m * 2);
  }
  memcpy(w->order, t->s, sizeof(int) * (size_t)t->ns);
  memcpy(w->order + t->ns, t->q, sizeof(int) * (size_t)t->nq);
  meta_fill(w, n, w->sb, d, w->order, m);
  NnetStats ns;
  double L = nnet_loss_grad(n, theta, w->nw, w->sb, grad, &ns);
  st->support_first = L;
  st->frames += ns.frames;
  st->query_after = st->query_before;
  return st->ok = isfinite(L) && meta_finite(w->P, grad);
}

bool meta_task_grad(const Nnet *n, const MetaInner *in, MetaWork *w, const NnetData *d,
                    const MetaTask *t, uint64_t seed, const float *theta, float *grad,
                    float *rate_grad, MetaTaskStats *st) {
  int P = w->P;
  NnetStats ns;
  bool learn = meta_inner_num_learned(in) > 0;
  *st = (MetaTaskStats){NAN, NAN, NAN, 0, false};
  if (learn) memset(rate_grad, 0, sizeof(float) * (size_t)meta_inner_num_rates(in));
  if (t->nq > 0) {
    meta_fill(w, n, w->qb, d, t->q, t->nq);
    st->query_before = nnet_loss_grad(n, theta, w->nw, w->qb, NULL, &ns);
  }
  if (in->algo == META_MULTITASK) return multitask_grad(n, w, d, t, theta, grad, st);

  w->keep_traj = in->algo == META_MAML || learn;
  bool ok = meta_inner_adapt(n, in, w, d, t, seed, theta, w->cur, st);
  w->keep_traj = false;
  if (!ok) return false;
  if (in->algo == META_REPTILE) {
    /* Reptile's meta-gradient: theta - theta_k. */
    for (int p = 0; p < P; p++) grad[p] = theta[p] - w->cur[p];
    if (t->nq > 0) st->query_after = nnet_loss_grad(n, w->cur, w->nw, w->qb, NULL, &ns);
    return st->ok = meta_finite(P, grad);
  }
  if (t->nq == 0) return st->ok = false;
  st->query_after = nnet_loss_grad(n, w->cur, w->nw, w->qb, grad, &ns);
  st->frames += ns.frames;
  if (!isfinite(st->query_after) || !meta_finite(P, grad)) return st->ok = false;
  if (in->algo == META_FOMAML) {
    if (learn)
      for (int j = 0; j < in->steps; j++)
        rate_grad_step(n, in, j, grad, w->sgrad + (size_t)j * P, rate_grad);
    return st->ok = true;
  }
  if (in->step_weights) vec_scale(P, in->step_weights[in->steps - 1], grad);
  ok = maml_backward(n, in, w, d, t, grad, learn ? rate_grad : NULL);
  return st->ok = ok && (!learn || meta_finite(meta_inner_num_rates(in), rate_grad));
}

double meta_task_eval(const Nnet *n, const MetaInner *in, MetaWork *w, const NnetData *d,
                      const MetaTask *t, uint64_t seed, const float *theta, MetaTaskStats *st) {
  NnetStats ns;
  *st = (MetaTaskStats){NAN, NAN, NAN, 0, false};
  if (t->nq == 0) return NAN;
  meta_fill(w, n, w->qb, d, t->q, t->nq);
  st->query_before = nnet_loss_grad(n, theta, w->nw, w->qb, NULL, &ns);
  /* Every algorithm is judged the same way: adapt on the support set, loss on the query. */
  if (!meta_inner_adapt(n, in, w, d, t, seed, theta, w->cur, st)) return NAN;
  st->query_after = nnet_loss_grad(n, w->cur, w->nw, w->qb, NULL, &ns);
  st->ok = isfinite(st->query_after);
  return st->ok ? st->query_after : NAN;
}
