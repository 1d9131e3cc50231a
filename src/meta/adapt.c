/* fast-adapt: the inner loop of meta-training run on a new task's utterances, by default
 * the one the model was meta-trained for (its steps, batch, rates, adapted layers and
 * imaml's proximal term, stored in the model by meta-train), and optional early stopping
 * on a held-out part of the utterances. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/strmap.h"
#include "base/util.h"
#include "io/table.h"
#include "meta/meta-internal.h"

MetaAdaptOpts meta_adapt_opts_default(void) {
  return (MetaAdaptOpts){.steps = -1, .batch = -1, .patience = 0, .heldout_every = 1, .seed = 777, .num_threads = 1,
                         .lr = 0, .prox_lambda = -1, .adapt_layers = "", .heldout_fraction = 0,
                         .passes = 0,
                         .utt2uniq = "", .cache_frozen = true,
                         .binary = true};
}

void meta_adapt_opts_register(MetaAdaptOpts *o, Options *po) {
  opts_int(po, "steps", &o->steps,
           "Gradient steps (-1: the inner steps the model was meta-trained with, else 10); "
           "with --passes: the most steps (-1: no limit)");
  opts_float(po, "passes", &o->passes,
             "Budget in passes over the adaptation utterances (those not held out): "
             "ceil(passes x utterances / batch) steps, at most --steps (0: --steps steps)");
  opts_float(po, "lr", &o->lr,
             "Learning rate (0: the model's learned inner rates, else the inner rate it was "
             "meta-trained with, else 0.01)");
  opts_float(po, "prox-lambda", &o->prox_lambda,
             "Add (lambda/2)|phi - phi_0|^2 to the loss of the adapted layers, phi_0 the model's "
             "parameters: the proximal term of implicit MAML's inner loop (-1: the lambda the "
             "model was meta-trained with by meta-train --algo=imaml, else 0)");
  opts_int(po, "batch", &o->batch,
           "Utterances per step (0: all adaptation utterances; -1: the inner batch the model "
           "was meta-trained with, else all)");
  opts_string(po, "adapt-layers", &o->adapt_layers,
              "Layers to adapt: all, last, or indices like 3,5 (default: the model's stored "
              "choice from meta-train, else all)");
  opts_float(po, "heldout-fraction", &o->heldout_fraction,
             "Hold out this fraction of the utterances for early stopping (0: none)");
  opts_string(po, "utt2uniq", &o->utt2uniq,
              "rspecifier mapping each utterance to the recording it derives from (e.g. "
              "ark:data/x/utt2uniq): the held-out part takes whole recordings, so no copy of a "
              "held-out recording is adapted on (no effect without --heldout-fraction)");
  opts_int(po, "patience", &o->patience,
           "With a held-out part: stop after this many steps without improvement (0: never stop "
           "early, still keep the best step)");
  opts_int(po, "heldout-every", &o->heldout_every,
           "With a held-out part: its loss after every this many steps (and the last), the "
           "steps that can be kept; each is a forward pass over the held-out utterances");
  opts_bool(po, "cache-frozen", &o->cache_frozen,
            "Compute the layers below the first adapted one once, not at every step (same "
            "result; much faster when only the last layers adapt)");
  opts_int(po, "seed", &o->seed, "Random seed (held-out choice, mini-batch order)");
  opts_int(po, "num-threads", &o->num_threads,
           "Threads, each computing the gradient of a share of a step's utterances");
  opts_bool(po, "binary", &o->binary, "Write the model in binary");
}

/* A one-value setting meta-train stored in the model (meta_inner_to_model): true and *v
 * when present. */
static bool stored_setting(const Nnet *n, const char *name, float *v) {
  int dim;
  const float *x = nnet_get_extra(n, name, &dim);
  if (!x) return false;
  if (dim != 1 || !(x[0] >= 0)) ERROR("%s: extra %s should be one value >= 0", nnet_source(n), name);
  *v = x[0];
  return true;
}

/* The inner loop of this adaptation: each setting from the command line, else the one the
 * model was meta-trained with, else the default; fills in o's steps and batch (-1) and
 * logs what it uses. */
static MetaInner *adapt_inner(MetaAdaptOpts *o, const Nnet *n) {
  float v;
  const char *steps_from = "--steps", *batch_from = "--batch", *rate_from = "--lr";
  const char *prox_from = "--prox-lambda";
  if (o->steps < 0) {
    if (o->passes > 0) o->steps = 0, steps_from = "--passes";
    else if (stored_setting(n, META_EXTRA_STEPS, &v)) o->steps = (int)v, steps_from = "meta-train";
    else o->steps = 10, steps_from = "default";
  }
  if (o->batch < 0) {
    if (stored_setting(n, META_EXTRA_BATCH, &v)) o->batch = (int)v, batch_from = "meta-train";
    else o->batch = 0, batch_from = "default";
  }
  MetaInner *in = meta_inner_new(n, META_FOMAML, o->steps, o->batch, 0.01f, META_LR_NONE);
  bool learned = meta_inner_from_model(in, n); /* the adapted layers, learned rates */
  char rate[64];
  if (learned && o->lr <= 0) {
    if (in->lr_mode == META_LR_PER_PARAM) snprintf(rate, sizeof(rate), "the learned rates (one per parameter)");
    else snprintf(rate, sizeof(rate), "the learned rates (%d per layer)", in->rate_steps);
    rate_from = "meta-train";
  } else {
    float lr = o->lr;
    if (lr <= 0 && stored_setting(n, META_EXTRA_RATE, &v) && v > 0) lr = v, rate_from = "meta-train";
    else if (lr <= 0) lr = 0.01f, rate_from = "default";
    else if (learned) LOG("Using --lr=%g instead of the model's learned rates", lr);
    in->rate_steps = 1;
    in->lr_mode = META_LR_NONE;
    in->rates = xrealloc(in->rates, sizeof(float) * (size_t)in->num_layers);
    for (int l = 0; l < in->num_layers; l++) in->rates[l] = lr;
    snprintf(rate, sizeof(rate), "rate %g", lr);
  }
  if (o->adapt_layers[0]) meta_inner_set_adapt(in, n, o->adapt_layers);
  if (o->prox_lambda < 0) {
    if (stored_setting(n, META_EXTRA_PROX, &v)) o->prox_lambda = v, prox_from = "meta-train";
    else o->prox_lambda = 0;
  }
  in->prox_lambda = o->prox_lambda;
  char steps[64], batch[32], prox[64] = "";
  if (o->passes <= 0) snprintf(steps, sizeof(steps), "%d steps", o->steps);
  else if (o->steps > 0) snprintf(steps, sizeof(steps), "--passes=%g, at most %d steps", o->passes, o->steps);
  else snprintf(steps, sizeof(steps), "--passes=%g", o->passes);
  if (o->batch > 0) snprintf(batch, sizeof(batch), "batches of %d", o->batch);
  else snprintf(batch, sizeof(batch), "all utterances a step");
  if (o->prox_lambda > 0)
    snprintf(prox, sizeof(prox), ", proximal term lambda=%g (%s)", o->prox_lambda, prox_from);
  LOG("Inner loop: %s (%s), %s (%s), %s (%s)%s", steps, steps_from, batch, batch_from, rate,
      rate_from, prox);
  return in;
}

/* Orders the utterances of d into all[] with the held-out part last; returns its size
 * (0 without --heldout-fraction). With --utt2uniq the part is made of whole recordings:
 * the recordings are shuffled and taken from the end until the fraction is reached. */
static int heldout_order(const MetaAdaptOpts *o, const NnetData *d, Rng *rng, int *all) {
  int N = d->n;
  for (int i = 0; i < N; i++) all[i] = i;
  if (o->heldout_fraction <= 0) return 0;
  int want = (int)lround(o->heldout_fraction * N);
  if (want < 1) want = 1;
  if (!o->utt2uniq[0]) {
    rng_shuffle_int(rng, all, N);
    if (want >= N)
      ERROR("--heldout-fraction=%g leaves no utterance to adapt on (%d in all)", o->heldout_fraction, N);
    return want;
  }
  /* group[i]: the recording of utterance i, numbered in order of first appearance. */
  RandomReader *r = tbl_random_open(o->utt2uniq, &tbl_tokens_holder);
  StrMap *ids = strmap_new();
  int *group = xmalloc(sizeof(int) * (size_t)N);
  for (int i = 0; i < N; i++) {
    const Tokens *t = tbl_random_value(r, d->keys[i]);
    if (!t || t->len != 1)
      ERROR("--utt2uniq=%s: no recording for utterance %s", o->utt2uniq, d->keys[i]);
    int *g = strmap_get(ids, t->tok[0]);
    if (!g) {
      g = xmalloc(sizeof(int));
      *g = strmap_size(ids);
      strmap_put(ids, t->tok[0], g);
    }
    group[i] = *g;
  }
  tbl_random_close(r);
  int G = strmap_size(ids), n = 0, nh = 0, taken = 0;
  for (int g = 0; g < G; g++) free(strmap_value(ids, g));
  strmap_free(ids);
  int *perm = xmalloc(sizeof(int) * (size_t)G);
  for (int g = 0; g < G; g++) perm[g] = g;
  rng_shuffle_int(rng, perm, G);
  /* Lay the utterances out recording by recording in shuffled order; the held-out part is
   * the last recordings, as many as make up the fraction. */
  int *size = xcalloc((size_t)G, sizeof(int));
  for (int i = 0; i < N; i++) size[group[i]]++;
  for (int g = G - 1; g >= 0 && nh < want; g--, taken++) nh += size[perm[g]];
  if (taken >= G)
    ERROR("--heldout-fraction=%g leaves no recording to adapt on (%d utterances of %d recordings "
          "in %s)", o->heldout_fraction, N, G, o->utt2uniq);
  /* A counting sort by the recording's place in perm (utterances keep their order within a
   * recording): place[r] is where recording r's next utterance goes. */
  int *place = xmalloc(sizeof(int) * (size_t)G);
  for (int g = 0; g < G; g++) {
    place[perm[g]] = n;
    n += size[perm[g]];
  }
  for (int i = 0; i < N; i++) all[place[group[i]]++] = i;
  free(place);
  free(size);
  free(perm);
  free(group);
  return nh;
}

/* Steps of this adaptation: --steps, or the --passes budget over the n utterances adapted
 * on (at most --steps when that is > 0). */
static int adapt_steps(const MetaAdaptOpts *o, const MetaInner *in, int n) {
  if (o->passes <= 0) return o->steps;
  int b = in->batch > 0 && in->batch < n ? in->batch : n;
  int steps = (int)ceil(o->passes * n / b);
  if (o->steps > 0 && steps > o->steps) steps = o->steps;
  LOG("--passes=%g over %d utterances in batches of %d: %d steps", o->passes, n, b, steps);
  return steps;
}

/* The adaptation loop on network n with inner settings in; gradients on o->num_threads
 * threads, each on a share of the step's utterances. The parameters kept are the best
 * seen: by the loss on the held-out part when there is one, else by the loss on the
 * adaptation utterances (at every step when each step uses them all, else at the start
 * and the end), so a rate that makes the loss diverge leaves the model no worse than it
 * was (with a WARNING), as does a step with a non-finite loss or gradient. Returns the
 * step kept. */
static int adapt_loop(const MetaAdaptOpts *o, Nnet *n, const MetaInner *in, const NnetData *d) {
  MetaWork *w = meta_work_new(n, in);
  MetaShards *tr = meta_shards_new(n, o->num_threads), *ho = NULL;
  int N = d->n, P = nnet_num_params(n);
  int *all = xmalloc(sizeof(int) * (size_t)N);
  Rng rng;
  rng_seed(&rng, (uint64_t)o->seed);
  int nh = heldout_order(o, d, &rng, all);
  if (nh) {
    ho = meta_shards_new(n, o->num_threads);
    meta_shards_fill(ho, d, all + (N - nh), nh);
  }
  int max_steps = adapt_steps(o, in, N - nh);
  MetaTask task = {.id = "adapt", .task = "adapt", .ns = N - nh, .s = all};
  meta_support_order(in, w, &task, rng_next(&rng), false);
  float *theta = nnet_params(n), *best = xmalloc(sizeof(float) * (size_t)P);
  memcpy(best, theta, sizeof(float) * (size_t)P);
  float *anchor = NULL; /* phi_0 of the proximal term */
  if (in->prox_lambda > 0) {
    anchor = xmalloc(sizeof(float) * (size_t)P);
    memcpy(anchor, theta, sizeof(float) * (size_t)P);
  }
  meta_shards_fill(tr, d, all, N - nh);
  double first = meta_shards_loss_grad(tr, theta, NULL);
  double best_loss = nh ? meta_shards_loss_grad(ho, theta, NULL) : first;
  int best_step = 0, steps = 0;
  for (int j = 0; j < max_steps; j++) {
    if (w->subset) {
      const int *idx;
      int cnt = meta_step_utts(in, w, j, &idx);
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
    meta_inner_step(n, in, j, w->gs, anchor, theta);
    steps = j + 1;
    if (nh == 0 || (steps % o->heldout_every != 0 && steps != max_steps)) continue;
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
  free(anchor);
  free(all);
  meta_shards_free(tr);
  meta_shards_free(ho);
  meta_work_free(w);
  return best_step;
}

int meta_adapt(const MetaAdaptOpts *opts, Nnet *n, const NnetData *d) {
  if (opts->steps < -1 || opts->batch < -1 || opts->patience < 0 || opts->heldout_every < 1 ||
      !(opts->passes >= 0) ||
      opts->heldout_fraction < 0 || opts->heldout_fraction >= 1 ||
      !(opts->prox_lambda >= 0 || opts->prox_lambda == -1))
    ERROR("--steps, --batch and --prox-lambda must be >= 0 (or -1: as meta-trained), --patience "
          "and --passes >= 0, --heldout-every >= 1, --heldout-fraction in [0, 1)");
  if (d->n == 0) ERROR("no utterances to adapt on");
  MetaAdaptOpts copy = *opts, *o = &copy;
  mat_set_num_threads(o->num_threads);
  MetaInner *in = adapt_inner(o, n);
  int f = 0, steps;
  while (f < in->num_layers && !in->adapt[f]) f++;
  if (f == in->num_layers) ERROR("no layer to adapt");
  if (o->cache_frozen && f > 0) {
    LOG("Layers 0..%d are frozen: computing their outputs once", f - 1);
    Nnet *s = meta_suffix_net(n, f);
    NnetData *sd = meta_data_prefix(n, f, d);
    MetaInner *si = meta_inner_suffix(in, n, f);
    steps = adapt_loop(o, s, si, sd);
    memcpy(nnet_params(n) + nnet_layer_info(n, f).offset, nnet_params(s),
           sizeof(float) * (size_t)nnet_num_params(s));
    meta_inner_free(si);
    nnet_data_free(sd);
    nnet_free(s);
  } else {
    steps = adapt_loop(o, n, in, d);
  }
  meta_inner_free(in);
  return steps;
}
