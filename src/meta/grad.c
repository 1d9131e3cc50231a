/* One task's meta-gradient: MAML (exact, back through every inner step with Hessian-
 * vector products), first-order MAML, Reptile, multitask, iMAML (implicit, by conjugate
 * gradient on Hessian-vector products at the adapted parameters); and evaluation after
 * adapting. */
#include <math.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "meta/meta-internal.h"

/* The rate gradient of step j: dL_Q/dr_{l,j} = -<g_{j+1}|_l, grad_l L_S(theta_j)>, or per
 * parameter dL_Q/dr_p += -g_{j+1,p} grad_p L_S(theta_j). */
static void rate_grad_step(const Nnet *n, const MetaInner *in, int j, const float *g,
                           const float *gs, float *rate_grad) {
  for (int l = 0; l < in->num_layers; l++) {
    if (!in->adapt[l]) continue;
    NnetLayerInfo li = nnet_layer_info(n, l);
    if (li.count == 0) continue;
    if (in->lr_mode == META_LR_PER_PARAM) {
      for (int p = li.offset; p < li.offset + li.count; p++) rate_grad[p] -= g[p] * gs[p];
      continue;
    }
    double dot = 0;
    for (int p = li.offset; p < li.offset + li.count; p++) dot += (double)g[p] * gs[p];
    rate_grad[meta_rate_index(in, l, j)] -= (float)dot;
  }
}

/* Reptile's rates minimise the mean over inner steps j >= 1 of L_j(theta_j), the loss of
 * step j's batch before that step: each batch's loss after the steps on those before it.
 * To first order theta_j = theta_0 - sum_{i<j} r_i grad L_i(theta_i), so dL_j/dr_i =
 * -g_j g_i with g_i = grad L_i(theta_i) (exact for two steps: g_0 does not depend on the
 * rates); rate i's term takes the sum of the g_j after it, kept in w->v. */
static void reptile_rate_grad(const Nnet *n, const MetaInner *in, MetaWork *w, float *rate_grad) {
  int P = w->P, k = in->steps;
  float *later = w->v;
  memset(later, 0, sizeof(float) * (size_t)P);
  for (int i = k - 1; i >= 0; i--) {
    const float *g = w->sgrad + (size_t)i * P;
    if (i < k - 1) rate_grad_step(n, in, i, later, g, rate_grad);
    vec_axpy(P, 1.0f, g, later);
  }
  vec_scale(meta_inner_num_rates(in), 1.0f / (float)(k - 1), rate_grad);
}

/* g <- (I - H_j D_j) g for j = k-1..0 (H_j symmetric, D_j diagonal), at the stored
 * theta_j on the forward pass that inner step j left in w->step_nw[j]; with the multi-step
 * loss, then g += w_j grad L_Q(theta_j) for j >= 1 (w->qb holds the query set). */
static bool maml_backward(const Nnet *n, const MetaInner *in, MetaWork *w, const NnetData *d, float *g,
                          float *rate_grad) {
  int P = w->P;
  NnetStats ns;
  for (int j = in->steps - 1; j >= 0; j--) {
    meta_fill_support(n, in, w, d, j, false);
    memset(w->v, 0, sizeof(float) * (size_t)P);
    meta_rate_axpy(n, in, j, 1.0f, g, w->v);
    double L = nnet_hvp_held(n, w->traj + (size_t)j * P, w->step_nw[j], w->sb, w->v, w->hv, &ns);
    if (!isfinite(L) || !meta_finite(P, w->hv)) return false;
    if (rate_grad) rate_grad_step(n, in, j, g, w->sgrad + (size_t)j * P, rate_grad);
    vec_axpy(P, -1.0f, w->hv, g);
    if (j == 0 || !in->step_weights || in->step_weights[j - 1] == 0.0f) continue;
    L = nnet_loss_grad(n, w->traj + (size_t)j * P, w->nw, w->qb, w->hv, &ns);
    if (!isfinite(L) || !meta_finite(P, w->hv)) return false;
    vec_axpy(P, in->step_weights[j - 1], w->hv, g);
  }
  return true;
}

/* sum of a[p] b[p] over the adapted layers, in double (the conjugate gradient's products). */
static double adapted_dot(const Nnet *n, const MetaInner *in, const float *a, const float *b) {
  double s = 0;
  for (int l = 0; l < in->num_layers; l++) {
    if (!in->adapt[l]) continue;
    NnetLayerInfo li = nnet_layer_info(n, l);
    for (int p = li.offset; p < li.offset + li.count; p++) s += (double)a[p] * b[p];
  }
  return s;
}

/* iMAML's meta-gradient (meta.h) from g = grad L_Q(phi) in grad, phi = w->cur: conjugate
 * gradient from x = 0 on (I + H_AA / lambda) x = g_A, each iteration one exact H p (p is
 * zero outside A) on the whole support set. x = sum_i alpha_i p_i, so x accumulates in
 * grad_A and H x in grad_F with the same products: g_F - H_FA x / lambda. Where the inner
 * problem has curvature below -lambda (p'(I + H/lambda)p <= 0) the solve stops with the
 * x it has (g_A, first order, if at the first iteration), with a WARNING. */
static bool implicit_grad(const Nnet *n, const MetaInner *in, MetaWork *w, const NnetData *d,
                          const MetaTask *t, float *grad) {
  int P = w->P;
  float lambda = in->prox_lambda, *r = w->g, *p = w->v, *hp = w->hv;
  NnetStats ns;
  memset(r, 0, sizeof(float) * (size_t)P);
  memset(p, 0, sizeof(float) * (size_t)P);
  for (int l = 0; l < in->num_layers; l++) {
    if (!in->adapt[l]) continue;
    NnetLayerInfo li = nnet_layer_info(n, l);
    memcpy(r + li.offset, grad + li.offset, sizeof(float) * (size_t)li.count);
    memcpy(p + li.offset, grad + li.offset, sizeof(float) * (size_t)li.count);
    memset(grad + li.offset, 0, sizeof(float) * (size_t)li.count);
  }
  if (w->subset) meta_fill(w, n, w->sb, d, t->s, t->ns);
  double rr = adapted_dot(n, in, r, r);
  for (int i = 0; i < in->cg_steps && rr > 0; i++) {
    double L = i == 0 ? nnet_hvp(n, w->cur, w->nw, w->sb, p, hp, NULL, &ns) /* then held */
                      : nnet_hvp_held(n, w->cur, w->nw, w->sb, p, hp, &ns);
    if (!isfinite(L) || !meta_finite(P, hp)) return false;
    double pap = adapted_dot(n, in, p, p) + adapted_dot(n, in, p, hp) / lambda;
    if (!(pap > 0)) {
      WARN("episode %s (task %s): the support loss has curvature below -lambda at the adapted "
           "parameters (conjugate-gradient iteration %d): --imaml-lambda=%g is too small for it; "
           "using the %s", t->id, t->task, i + 1, lambda, i ? "solution so far" : "first-order gradient");
      if (i == 0) vec_axpy(P, 1.0f, p, grad); /* p = g_A, zero elsewhere */
      break;
    }
    float alpha = (float)(rr / pap);
    for (int l = 0; l < in->num_layers; l++) {
      NnetLayerInfo li = nnet_layer_info(n, l);
      int o = li.offset, c = li.count;
      if (!in->adapt[l]) { /* g_F -= alpha H_FA p / lambda */
        vec_axpy(c, -alpha / lambda, hp + o, grad + o);
        continue;
      }
      vec_axpy(c, alpha, p + o, grad + o);  /* x += alpha p */
      vec_axpy(c, -alpha, p + o, r + o);    /* r -= alpha (I + H/lambda) p */
      vec_axpy(c, -alpha / lambda, hp + o, r + o);
    }
    double rr_next = adapted_dot(n, in, r, r);
    float beta = (float)(rr_next / rr);
    rr = rr_next;
    for (int l = 0; l < in->num_layers; l++) {
      if (!in->adapt[l]) continue;
      NnetLayerInfo li = nnet_layer_info(n, l);
      for (int q = li.offset; q < li.offset + li.count; q++) p[q] = r[q] + beta * p[q];
    }
  }
  return meta_finite(P, grad);
}

/* Multitask: the gradient of the pooled support + query loss at theta. */
static bool multitask_grad(const Nnet *n, const MetaInner *in, MetaWork *w, const NnetData *d,
                           const MetaTask *t, const float *theta, float *grad, MetaTaskStats *st) {
  meta_support_order(in, w, t, 0, true); /* the support set then the query set, unshuffled */
  meta_fill(w, n, w->sb, d, w->order, w->ninner);
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
  /* Multitask with learned rates: the rates as FOMAML learns them, and theta's pooled
   * gradient composed as (F_S grad L_S + F_Q grad L_Q) / (F_S + F_Q) from the first inner
   * step's support gradient and the query gradient at theta, w->g (F: the frames that
   * normalise each loss); so every inner step must use the whole support set (meta-train
   * refuses --inner-batch with it). */
  bool mt_rates = in->algo == META_MULTITASK && learn;
  long query_frames = 0;
  *st = (MetaTaskStats){NAN, NAN, NAN, 0, 0, false};
  if (learn) memset(rate_grad, 0, sizeof(float) * (size_t)meta_inner_num_rates(in));
  if (t->nq > 0) {
    meta_fill(w, n, w->qb, d, t->q, t->nq);
    st->query_before = nnet_loss_grad(n, theta, w->nw, w->qb, mt_rates ? w->g : NULL, &ns);
    query_frames = ns.frames;
  }
  if (in->algo == META_MULTITASK && !learn) return multitask_grad(n, in, w, d, t, theta, grad, st);

  w->keep_traj = true;
  bool ok = meta_inner_adapt(n, in, w, d, t, seed, in->with_query, theta, w->cur, st);
  w->keep_traj = false;
  if (!ok) return false;
  if (in->algo == META_REPTILE) {
    /* Reptile's meta-gradient: theta - theta_k. With the query set in the inner loop, its
     * loss after adapting is a training loss: reported as the loss before, as multitask's. */
    for (int p = 0; p < P; p++) grad[p] = theta[p] - w->cur[p];
    if (learn) reptile_rate_grad(n, in, w, rate_grad);
    if (in->with_query) st->query_after = st->query_before;
    else if (t->nq > 0) st->query_after = nnet_loss_grad(n, w->cur, w->nw, w->qb, NULL, &ns);
    return st->ok = meta_finite(P, grad) && (!learn || meta_finite(meta_inner_num_rates(in), rate_grad));
  }
  if (t->nq == 0) return st->ok = false;
  st->query_after = nnet_loss_grad(n, w->cur, w->nw, w->qb, grad, &ns);
  st->frames += ns.frames;
  if (!isfinite(st->query_after) || !meta_finite(P, grad)) return st->ok = false;
  if (in->algo == META_FOMAML || mt_rates) {
    if (learn)
      for (int j = 0; j < in->steps; j++)
        rate_grad_step(n, in, j, grad, w->sgrad + (size_t)j * P, rate_grad);
    if (!mt_rates) return st->ok = true;
    double fs = (double)st->support_frames, fq = (double)query_frames;
    float as = (float)(fs / (fs + fq)), aq = (float)(fq / (fs + fq));
    for (int p = 0; p < P; p++) grad[p] = as * w->sgrad[p] + aq * w->g[p];
    st->frames += query_frames;
    return st->ok = meta_finite(P, grad);
  }
  if (in->algo == META_IMAML) return st->ok = implicit_grad(n, in, w, d, t, grad);
  if (in->step_weights) vec_scale(P, in->step_weights[in->steps - 1], grad);
  ok = maml_backward(n, in, w, d, grad, learn ? rate_grad : NULL);
  return st->ok = ok && (!learn || meta_finite(meta_inner_num_rates(in), rate_grad));
}

double meta_task_eval(const Nnet *n, const MetaInner *in, MetaWork *w, const NnetData *d,
                      const MetaTask *t, uint64_t seed, const float *theta, MetaTaskStats *st) {
  NnetStats ns;
  *st = (MetaTaskStats){NAN, NAN, NAN, 0, 0, false};
  if (t->nq == 0) return NAN;
  meta_fill(w, n, w->qb, d, t->q, t->nq);
  st->query_before = nnet_loss_grad(n, theta, w->nw, w->qb, NULL, &ns);
  /* Every algorithm is judged the same way: adapt on the support set, loss on the query. */
  if (!meta_inner_adapt(n, in, w, d, t, seed, false, theta, w->cur, st)) return NAN;
  st->query_after = nnet_loss_grad(n, w->cur, w->nw, w->qb, NULL, &ns);
  st->ok = isfinite(st->query_after);
  return st->ok ? st->query_after : NAN;
}
