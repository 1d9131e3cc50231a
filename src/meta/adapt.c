/* fast-adapt: the inner loop of meta-training run on a new task's utterances, with the
 * model's learned rates and adapted layers by default, and optional early stopping on
 * a held-out part of the utterances. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "meta/meta-internal.h"

MetaAdaptOpts meta_adapt_opts_default(void) {
  return (MetaAdaptOpts){.steps = 10, .batch = 0, .patience = 0, .seed = 777, .num_threads = 1,
                         .lr = 0, .adapt_layers = "", .heldout_fraction = 0, .cache_frozen = true,
                         .binary = true};
}

void meta_adapt_opts_register(MetaAdaptOpts *o, Options *po) {
  opts_int(po, "steps", &o->steps, "Gradient steps");
  opts_float(po, "lr", &o->lr,
             "Learning rate (0: the model's learned inner rates if it has them, else 0.01)");
  opts_int(po, "batch", &o->batch, "Utterances per step (0: all adaptation utterances)");
  opts_string(po, "adapt-layers", &o->adapt_layers,
              "Layers to adapt: all, last, or indices like 3,5 (default: the model's stored "
              "choice from meta-train, else all)");
  opts_float(po, "heldout-fraction", &o->heldout_fraction,
             "Hold out this fraction of the utterances for early stopping (0: none)");
  opts_int(po, "patience", &o->patience,
           "With a held-out part: stop after this many steps without improvement (0: never stop "
           "early, still keep the best step)");
  opts_bool(po, "cache-frozen", &o->cache_frozen,
            "Compute the layers below the first adapted one once, not at every step (same "
            "result; much faster when only the last layers adapt)");
  opts_int(po, "seed", &o->seed, "Random seed (held-out choice, mini-batch order)");
  opts_int(po, "num-threads", &o->num_threads,
           "Threads, each computing the gradient of a share of a step's utterances");
  opts_bool(po, "binary", &o->binary, "Write the model in binary");
}

/* The rates and layers of this adaptation. */
static MetaInner *adapt_inner(const MetaAdaptOpts *o, const Nnet *n) {
  MetaInner *in = meta_inner_new(n, META_FOMAML, o->steps, o->batch, o->lr > 0 ? o->lr : 0.01f,
                                 META_LR_NONE);
  bool learned = meta_inner_from_model(in, n);
  if (o->lr > 0 && learned) {
    LOG("Using --lr=%g instead of the model's learned rates", o->lr);
    meta_inner_free(in);
    in = meta_inner_new(n, META_FOMAML, o->steps, o->batch, o->lr, META_LR_NONE);
    meta_inner_from_model(in, n); /* the adapted layers only */
    in->rate_steps = 1;
    in->lr_mode = META_LR_NONE;
    free(in->rates);
    in->rates = xmalloc(sizeof(float) * (size_t)in->num_layers);
    for (int l = 0; l < in->num_layers; l++) in->rates[l] = o->lr;
  } else if (learned) {
    LOG("Using the model's learned inner rates (%d per layer)", in->rate_steps);
  }
  if (o->adapt_layers[0]) meta_inner_set_adapt(in, n, o->adapt_layers);
  return in;
}

/* The adaptation loop on network n with inner settings in; gradients on o->num_threads
 * threads, each on a share of the step's utterances. The parameters kept are the best
 * seen: by the loss on the held-out part when there is one, else by the loss on the
 * adaptation utterances (at every step when each step uses them all, else at the start
 * and the end), so a rate that makes the loss diverge leaves the model no worse than it
 * was (with a WARNING), as does a step with a non-finite loss or gradient. Returns the
 * step kept. */
static int adapt_loop(const MetaAdaptOpts *o, Nnet *n, const MetaInner *in, const MetaData *d) {
  MetaWork *w = meta_work_new(n, in);
  MetaShards *tr = meta_shards_new(n, o->num_threads), *ho = NULL;
  int N = d->num, P = nnet_num_params(n), nh = 0;
  /* The held-out utterances are the last nh of a shuffled order. */
  int *all = xmalloc(sizeof(int) * (size_t)N);
  for (int i = 0; i < N; i++) all[i] = i;
  Rng rng;
  rng_seed(&rng, (uint64_t)o->seed);
  if (o->heldout_fraction > 0) {
    rng_shuffle_int(&rng, all, N);
    nh = (int)lround(o->heldout_fraction * N);
    if (nh < 1) nh = 1;
    if (nh >= N)
      ERROR("--heldout-fraction=%g leaves no utterance to adapt on (%d in all)", o->heldout_fraction, N);
    ho = meta_shards_new(n, o->num_threads);
    meta_shards_fill(ho, d, all + (N - nh), nh);
  }
  MetaTask task = {.id = "adapt", .task = "adapt", .ns = N - nh, .s = all};
  meta_support_order(in, w, &task, rng_next(&rng));
  float *theta = nnet_params(n), *best = xmalloc(sizeof(float) * (size_t)P);
  memcpy(best, theta, sizeof(float) * (size_t)P);
  meta_shards_fill(tr, d, all, N - nh);
  double first = meta_shards_loss_grad(tr, theta, NULL);
  double best_loss = nh ? meta_shards_loss_grad(ho, theta, NULL) : first;
  int best_step = 0, steps = 0;
  for (int j = 0; j < o->steps; j++) {
    if (w->subset) {
      const int *idx;
      int cnt = meta_step_utts(in, w, &task, j, &idx);
      meta_shards_fill(tr, d, idx, cnt);
    }
    double L = meta_shards_loss_grad(tr, theta, w->gs);
    if (!isfinite(L) || !meta_finite(P, w->gs)) {
      WARN("step %d: non-finite loss or gradient; stopping with the best parameters so far", j + 1);
      break;
    }
    if (!nh && !w->subset && j > 0 && L < best_loss) { /* L is the loss after step j */
      best_loss = L;
      best_step = j;
      memcpy(best, theta, sizeof(float) * (size_t)P);
    }
    meta_inner_step(n, in, j, w->gs, theta);
    steps = j + 1;
    if (nh == 0) continue;
    double H = meta_shards_loss_grad(ho, theta, NULL);
    VLOG(1, "step %d: adaptation loss %.5f, held-out loss %.5f", j + 1, L, H);
    if (isfinite(H) && H < best_loss) {
      best_loss = H;
      best_step = j + 1;
      memcpy(best, theta, sizeof(float) * (size_t)P);
    } else if (o->patience > 0 && j + 1 - best_step >= o->patience) {
      LOG("Early stop after step %d: no held-out improvement for %d steps", j + 1, o->patience);
      break;
    }
  }
  if (w->subset) meta_shards_fill(tr, d, all, N - nh);
  double last = meta_shards_loss_grad(tr, theta, NULL);
  if (nh) {
    LOG("Keeping step %d: held-out loss %.5f (%d held-out utterances)", best_step, best_loss, nh);
  } else if (last <= best_loss) {
    best_step = steps;
  } else if (steps > 0) {
    WARN("the loss on the adaptation utterances went from %.5g to %.5g in %d step(s) (is --lr too high?); "
         "keeping the parameters of step %d (loss %.5g)", first, last, steps, best_step, best_loss);
  }
  if (best_step != steps) {
    memcpy(theta, best, sizeof(float) * (size_t)P);
    last = meta_shards_loss_grad(tr, theta, NULL);
  }
  LOG("Adapted on %d utterances: loss %.5f before, %.5f after %d steps", N - nh, first, last, best_step);
  free(best);
  free(all);
  meta_shards_free(tr);
  meta_shards_free(ho);
  meta_work_free(w);
  return best_step;
}

int meta_adapt(const MetaAdaptOpts *o, Nnet *n, const MetaData *d) {
  if (o->steps < 0 || o->batch < 0 || o->patience < 0 || o->heldout_fraction < 0 ||
      o->heldout_fraction >= 1)
    ERROR("--steps, --batch, --patience must be >= 0 and --heldout-fraction in [0, 1)");
  if (d->num == 0) ERROR("no utterances to adapt on");
  mat_set_num_threads(o->num_threads);
  MetaInner *in = adapt_inner(o, n);
  int f = 0, steps;
  while (f < in->num_layers && !in->adapt[f]) f++;
  if (f == in->num_layers) ERROR("no layer to adapt");
  if (o->cache_frozen && f > 0) {
    LOG("Layers 0..%d are frozen: computing their outputs once", f - 1);
    Nnet *s = meta_suffix_net(n, f);
    MetaData *sd = meta_data_prefix(n, f, d);
    MetaInner *si = meta_inner_suffix(in, f);
    steps = adapt_loop(o, s, si, sd);
    memcpy(nnet_params(n) + nnet_layer_info(n, f).offset, nnet_params(s),
           sizeof(float) * (size_t)nnet_num_params(s));
    meta_inner_free(si);
    meta_data_free(sd);
    nnet_free(s);
  } else {
    steps = adapt_loop(o, n, in, d);
  }
  meta_inner_free(in);
  return steps;
}
