/* The supervised training loop (train.h). */
#include "nnet/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/rng.h"
#include "base/util.h"
#include "io/table.h"

void nnet_train_opts_default(NnetTrainOpts *o) {
  *o = (NnetTrainOpts){16, 1, 777, 1, 10, 0, 0, 0, 0.0f, "", false, "frame", {0}};
  nnet_optim_opts_default(&o->optim);
}

void nnet_train_register(Options *po, NnetTrainOpts *o) {
  opts_int(po, "minibatch-size", &o->minibatch_size, "Utterances per minibatch");
  opts_int(po, "num-epochs", &o->num_epochs, "Passes over the training data");
  opts_int(po, "seed", &o->seed, "Random seed (utterance order, held-out selection)");
  opts_int(po, "num-threads", &o->num_threads, "Threads for matrix products and CTC");
  opts_int(po, "progress-every", &o->progress_every, "Log progress every this many minibatches (0: never)");
  opts_int(po, "checkpoint-every", &o->checkpoint_every,
           "Write the checkpoint every this many minibatches (0: at the end of each epoch only)");
  opts_int(po, "max-batches", &o->max_batches, "Stop after this many minibatches in this run (0: no limit)");
  opts_int(po, "sort-window", &o->sort_window,
           "Sort the shuffled utterances by length within windows of this many minibatches, so batches "
           "need less padding (0: no sorting)");
  opts_float(po, "valid-fraction", &o->valid_fraction,
             "Fraction of the training utterances held out for validation when no --valid-feats");
  opts_string(po, "checkpoint", &o->checkpoint, "Checkpoint file (model, optimiser state, position; \"\": none)");
  opts_bool(po, "resume", &o->resume, "Continue from --checkpoint if it exists");
  opts_choice(po, "normalize", &o->normalize, "frame|utt|sum",
              "Loss normalisation: per input frame, per utterance, or summed");
  nnet_optim_register(po, &o->optim, "");
}

static NnetNorm norm_of(const char *s) {
  return !strcmp(s, "utt") ? NNET_NORM_UTT : !strcmp(s, "sum") ? NNET_NORM_SUM : NNET_NORM_FRAME;
}

/* Drops the utterances n cannot use (WARNING each, once). */
static int filter_usable(const Nnet *n, NnetData *d) {
  bool *bad = xcalloc((size_t)d->n + 1, sizeof(bool));
  int nbad = 0;
  for (int i = 0; i < d->n; i++) {
    char why[256];
    const char *p = nnet_utterance_problem(n, d->feats[i], d->labels[i], why, sizeof(why));
    if (p) WARN("skipping utterance %s: %s", d->keys[i], p), bad[i] = true, nbad++;
  }
  nnet_data_free(nnet_data_split(d, bad));
  free(bad);
  return nbad;
}

double nnet_data_loss(const Nnet *n, const NnetData *d, int mb, NnetNorm norm) {
  NnetBatch *b = nnet_batch_new();
  NnetWork *w = nnet_work_new(n);
  nnet_batch_set_normalize(b, NNET_NORM_SUM);
  double sum = 0;
  long frames = 0;
  int utts = 0;
  for (int i = 0; i < d->n; i += mb) {
    int k = d->n - i < mb ? d->n - i : mb;
    nnet_batch_fill(b, n, k, d->feats + i, d->labels + i, (const char *const *)d->keys + i);
    NnetStats st;
    nnet_loss_grad(n, nnet_params_const(n), w, b, NULL, &st);
    sum += st.loss_sum, frames += st.frames, utts += st.utts;
  }
  nnet_work_free(w);
  nnet_batch_free(b);
  double F = norm == NNET_NORM_FRAME ? (double)frames : norm == NNET_NORM_UTT ? utts : 1;
  return utts ? sum / F : NAN;
}

static int by_length(const void *a, const void *b, void *arg) {
  const NnetData *d = arg;
  int x = *(const int *)a, y = *(const int *)b;
  int lx = d->feats[x].rows, ly = d->feats[y].rows;
  return lx != ly ? (lx > ly) - (lx < ly) : (x > y) - (x < y);
}

/* The order of epoch e: a shuffle from rng_split(seed, e), then (with sort_window)
 * sorted by length within each window of sort_window minibatches. */
static void epoch_order(const Rng *root, int e, const NnetData *d, const NnetTrainOpts *o, int *order) {
  Rng r = rng_split(root, (uint64_t)e);
  for (int i = 0; i < d->n; i++) order[i] = i;
  rng_shuffle_int(&r, order, d->n);
  if (o->sort_window <= 0) return;
  int w = o->sort_window * o->minibatch_size;
  for (int i = 0; i < d->n; i += w)
    qsort_r(order + i, (size_t)(d->n - i < w ? d->n - i : w), sizeof(int), by_length, (void *)d);
}

/* ---- checkpoints: position, model, optimiser state ---- */
typedef struct {
  int epoch, batch, seed, minibatch, num_utts;
} Position;

static void write_checkpoint(const char *path, const Nnet *n, const NnetOptim *opt, Position p) {
  Output *out = output_open(path);
  output_write(out, "\0B", 2);
  kio_write_token(out, true, "<NnetTrainCheckpoint>");
  int v[5] = {p.epoch, p.batch, p.seed, p.minibatch, p.num_utts};
  for (int i = 0; i < 5; i++) kio_write_int32(out, true, v[i]);
  nnet_write_to(n, out, true);
  nnet_optim_write(opt, out, true);
  output_close(out);
}

/* Restores n's parameters and opt; ERROR when the checkpoint is of another setup. */
static Position read_checkpoint(const char *path, Nnet *n, NnetOptim *opt, Position want) {
  Input *in = input_open(path);
  int v[5];
  if (!kio_read_binary_marker(in) || !kio_expect_token(in, "<NnetTrainCheckpoint>")) ERROR("%s: not a checkpoint", path);
  for (int i = 0; i < 5; i++)
    if (!kio_read_int32(in, true, &v[i])) ERROR("%s: truncated checkpoint", path);
  Position p = {v[0], v[1], v[2], v[3], v[4]};
  if (p.seed != want.seed || p.minibatch != want.minibatch || p.num_utts != want.num_utts)
    ERROR("%s: checkpoint of a run with --seed=%d --minibatch-size=%d and %d utterances; this run has %d, %d, %d",
          path, p.seed, p.minibatch, p.num_utts, want.seed, want.minibatch, want.num_utts);
  Nnet *m = nnet_read_from(in, path);
  if (!nnet_same_arch(m, n)) ERROR("%s: the checkpoint's model differs in architecture from the input model", path);
  memcpy(nnet_params(n), nnet_params(m), sizeof(float) * (size_t)nnet_num_params(n));
  for (int i = 0; i < nnet_num_extras(m); i++) {
    int d;
    const float *e = nnet_get_extra(m, nnet_extra_name(m, i), &d);
    nnet_set_extra(n, nnet_extra_name(m, i), e, d);
  }
  nnet_free(m);
  nnet_optim_read(opt, in, path);
  input_close(in, NULL, 0);
  return p;
}

static void format_eta(double s, char *buf, size_t len) {
  if (!isfinite(s) || s < 0) s = 0;
  long t = (long)(s + 0.5);
  snprintf(buf, len, t >= 3600 ? "%ldh%02ldm" : "%ldm%02lds", t >= 3600 ? t / 3600 : t / 60,
           t >= 3600 ? t / 60 % 60 : t % 60);
}

/* Progress between two progress lines. */
typedef struct {
  double loss_sum, t0, start;
  long frames, utts, batches_total, batches_done;
} Progress;

static void progress_line(Progress *pr, const NnetTrainOpts *o, int epoch, int batch, int nb, NnetNorm norm) {
  double now = now_seconds(), dt = now - pr->t0;
  double F = norm == NNET_NORM_FRAME ? (double)pr->frames : norm == NNET_NORM_UTT ? (double)pr->utts : 1;
  double per_batch = (now - pr->start) / (double)pr->batches_done;
  char eta[32];
  format_eta(per_batch * (double)(pr->batches_total - pr->batches_done), eta, sizeof(eta));
  LOG("epoch %d/%d batch %d/%d: loss %.4f, %.0f frames/s, ETA %s", epoch + 1, o->num_epochs, batch + 1, nb,
      pr->loss_sum / F, dt > 0 ? (double)pr->frames / dt : 0, eta);
  pr->loss_sum = 0, pr->frames = 0, pr->utts = 0, pr->t0 = now;
}

NnetTrainResult nnet_train(Nnet *n, NnetData *train, NnetData *valid, const NnetTrainOpts *o) {
  if (o->minibatch_size < 1 || o->num_epochs < 0 || o->progress_every < 0 || o->checkpoint_every < 0 ||
      o->max_batches < 0 || o->num_threads < 1 || o->sort_window < 0)
    ERROR("bad training options: --minibatch-size, --num-threads >= 1; counts >= 0");
  NnetTrainResult res = {0};
  res.valid_loss = NAN;
  mat_set_num_threads(o->num_threads);
  NnetNorm norm = norm_of(o->normalize);
  res.utts_skipped = filter_usable(n, train) + (valid ? filter_usable(n, valid) : 0);
  int N = res.utts_used = train->n, mb = o->minibatch_size, nb = (N + mb - 1) / mb;
  if (N == 0) ERROR("no usable training utterances");
  NnetOptim *opt = nnet_optim_new(&o->optim, nnet_num_params(n));
  Position pos = {0, 0, o->seed, mb, N};
  if (o->resume && *o->checkpoint && access(o->checkpoint, R_OK) == 0) {
    pos = read_checkpoint(o->checkpoint, n, opt, pos);
    LOG("resuming from %s at epoch %d batch %d (%ld steps taken)", o->checkpoint, pos.epoch + 1, pos.batch + 1,
        nnet_optim_num_steps(opt));
  } else if (o->resume) {
    LOG("no checkpoint %s yet: starting from the beginning", *o->checkpoint ? o->checkpoint : "(none given)");
  }
  NnetBatch *b = nnet_batch_new();
  nnet_batch_set_normalize(b, norm);
  NnetWork *w = nnet_work_new(n);
  nnet_work_set_num_threads(w, o->num_threads);
  float *grad = xmalloc(sizeof(float) * (size_t)(nnet_num_params(n) + 1));
  int *order = xmalloc(sizeof(int) * (size_t)N);
  Mat *bf = xmalloc(sizeof(Mat) * (size_t)mb);
  IntVec *bl = xmalloc(sizeof(IntVec) * (size_t)mb);
  const char **bk = xmalloc(sizeof(char *) * (size_t)mb);
  Rng root;
  rng_seed(&root, (uint64_t)o->seed);
  Progress pr = {0, now_seconds(), now_seconds(), 0, 0, (long)(o->num_epochs - pos.epoch) * nb - pos.batch, 0};
  if (o->max_batches && pr.batches_total > o->max_batches) pr.batches_total = o->max_batches;
  res.finished = true;
  if (valid && valid->n && pos.epoch == 0 && pos.batch == 0)
    LOG("initial validation loss %.4f on %d utterances", nnet_data_loss(n, valid, mb, norm), valid->n);
  for (int e = pos.epoch; e < o->num_epochs && res.finished; e++) {
    epoch_order(&root, e, train, o, order);
    for (int k = e == pos.epoch ? pos.batch : 0; k < nb; k++) {
      int cnt = N - k * mb < mb ? N - k * mb : mb;
      for (int j = 0; j < cnt; j++) {
        int u = order[k * mb + j];
        bf[j] = train->feats[u], bl[j] = train->labels[u], bk[j] = train->keys[u];
      }
      nnet_batch_fill(b, n, cnt, bf, bl, bk);
      NnetStats st;
      double loss = nnet_loss_grad(n, nnet_params(n), w, b, grad, &st);
      if (!nnet_optim_step(opt, nnet_params(n), grad, loss, NULL)) res.steps_skipped++;
      res.last_train_loss = loss;
      res.batches++, pr.batches_done++;
      pr.loss_sum += st.loss_sum, pr.frames += st.frames, pr.utts += st.utts;
      if (o->progress_every && (res.batches % o->progress_every == 0 || k == nb - 1))
        progress_line(&pr, o, e, k, nb, norm);
      bool stop = o->max_batches && res.batches >= o->max_batches;
      Position here = {k + 1 == nb ? e + 1 : e, k + 1 == nb ? 0 : k + 1, o->seed, mb, N};
      if (*o->checkpoint && (stop || k + 1 == nb || (o->checkpoint_every && res.batches % o->checkpoint_every == 0)))
        write_checkpoint(o->checkpoint, n, opt, here);
      if (stop && !(k + 1 == nb && e + 1 == o->num_epochs)) {
        LOG("stopping after %ld minibatches (--max-batches)", res.batches);
        res.finished = false;
        break;
      }
    }
    if (valid && valid->n && res.finished) {
      res.valid_loss = nnet_data_loss(n, valid, mb, norm);
      LOG("epoch %d/%d: validation loss %.4f on %d utterances", e + 1, o->num_epochs, res.valid_loss, valid->n);
    }
  }
  free(grad); free(order); free(bf); free(bl); free(bk);
  nnet_batch_free(b);
  nnet_work_free(w);
  nnet_optim_free(opt);
  return res;
}
