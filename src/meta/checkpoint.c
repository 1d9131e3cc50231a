/* meta-train checkpoints: the settings that must not change on resume, the iteration,
 * the RNG, the skipped-step counters, the best validated meta-parameters, the outer
 * optimiser's state and the model (with its learned rates), in one binary file written
 * under a temporary name and renamed, so a killed run never leaves half a checkpoint.
 *
 *   <MetaCheckpoint> <Version> 1 <Algo> maml <InnerSteps> k <MetaBatch> b <Seed> s
 *   <LearnInnerLr> none <NumMeta> n <Iteration> i <Rng> x x x x <BadSteps> a b
 *   <Best> have loss iter [n floats] (outer optimiser state) <Nnet> ... </Nnet>
 *   </MetaCheckpoint> */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/log.h"
#include "base/util.h"
#include "meta/meta-internal.h"

bool meta_checkpoint_exists(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0;
}

static void put_int(Output *out, const char *tok, int v) {
  kio_write_token(out, true, tok);
  kio_write_int32(out, true, v);
}

static void put_tok(Output *out, const char *tok, const char *v) {
  kio_write_token(out, true, tok);
  kio_write_token(out, true, v);
}

void meta_checkpoint_write(const char *path, const MetaTrainOpts *o, const MetaTrainState *st,
                           const NnetOptim *outer, Nnet *model, MetaInner *inner, const float *mp,
                           int P, int R) {
  Output *out = output_open(path);
  char buf[64];
  output_write(out, "\0B", 2);
  kio_write_token(out, true, "<MetaCheckpoint>");
  put_int(out, "<Version>", 2);
  put_tok(out, "<Algo>", o->algo);
  put_int(out, "<InnerSteps>", o->inner_steps);
  put_int(out, "<MetaBatch>", o->meta_batch);
  put_int(out, "<Seed>", o->seed);
  put_tok(out, "<LearnInnerLr>", o->learn_inner_lr);
  put_tok(out, "<InnerSet>", o->inner_set);
  put_int(out, "<NumMeta>", P + R);
  put_int(out, "<Iteration>", st->iter);
  kio_write_token(out, true, "<Rng>");
  for (int i = 0; i < 4; i++) {
    snprintf(buf, sizeof(buf), "%016" PRIx64, st->base.s[i]);
    kio_write_token(out, true, buf);
  }
  put_int(out, "<BadSteps>", st->bad_total);
  kio_write_int32(out, true, st->bad_run);
  put_int(out, "<Best>", st->have_best);
  snprintf(buf, sizeof(buf), "%.17g", st->have_best ? st->best_loss : 0.0);
  kio_write_token(out, true, buf);
  kio_write_int32(out, true, st->best_iter);
  if (st->have_best) kio_write_floats(out, true, st->best, P + R);
  nnet_optim_write(outer, out, true);
  meta_train_to_model(model, inner, mp, P, R);
  nnet_write_to(model, out, true);
  kio_write_token(out, true, "</MetaCheckpoint>");
  output_close(out);
  VLOG(1, "Wrote checkpoint %s at iteration %d", path, st->iter);
}

static void get_int(Input *in, const char *path, const char *tok, int *v) {
  if (!kio_expect_token(in, tok) || !kio_read_int32(in, true, v))
    ERROR("checkpoint %s: expected %s and an integer", path, tok);
}

/* Reads "<tok> value" and ERRORs when value differs from the run's. */
static void same_int(Input *in, const char *path, const char *tok, int want, const char *opt) {
  int v;
  get_int(in, path, tok, &v);
  if (v != want)
    ERROR("checkpoint %s was made with %s=%d, this run has %d: cannot resume", path, opt, v, want);
}

static void same_tok(Input *in, const char *path, const char *tok, const char *want, const char *opt) {
  char v[64];
  if (!kio_expect_token(in, tok) || !kio_read_token(in, v, sizeof(v)))
    ERROR("checkpoint %s: expected %s", path, tok);
  if (strcmp(v, want) != 0)
    ERROR("checkpoint %s was made with %s=%s, this run has %s: cannot resume", path, opt, v, want);
}

/* The inner-loop settings the checkpoint's model stores (meta_inner_to_model), which the
 * header does not hold: ERROR when the run's differs; nothing to check when not stored
 * (an algorithm without that setting, or learned rates). */
static void same_stored(const Nnet *ck, const char *path, const char *extra, float want,
                        const char *opt) {
  int dim;
  const float *v = nnet_get_extra(ck, extra, &dim);
  if (v && dim == 1 && v[0] != want)
    ERROR("checkpoint %s was made with %s=%g, this run has %g: cannot resume", path, opt, v[0], want);
}

void meta_checkpoint_read(const char *path, const MetaTrainOpts *o, MetaTrainState *st,
                          NnetOptim *outer, const Nnet *model, float *mp, int P, int R) {
  Input *in = input_open(path);
  char buf[64];
  int v;
  if (!kio_read_binary_marker(in) || !kio_expect_token(in, "<MetaCheckpoint>"))
    ERROR("%s is not a meta-train checkpoint", path);
  int version;
  get_int(in, path, "<Version>", &version);
  if (version != 1 && version != 2) ERROR("checkpoint %s: version %d, expected 1 or 2", path, version);
  same_tok(in, path, "<Algo>", o->algo, "--algo");
  same_int(in, path, "<InnerSteps>", o->inner_steps, "--inner-steps");
  same_int(in, path, "<MetaBatch>", o->meta_batch, "--meta-batch");
  same_int(in, path, "<Seed>", o->seed, "--seed");
  same_tok(in, path, "<LearnInnerLr>", o->learn_inner_lr, "--learn-inner-lr");
  if (version >= 2) same_tok(in, path, "<InnerSet>", o->inner_set, "--inner-set");
  else if (strcmp(o->inner_set, "support") != 0) /* version 1 came before --inner-set */
    ERROR("checkpoint %s was made with --inner-set=support, this run has %s: cannot resume", path, o->inner_set);
  same_int(in, path, "<NumMeta>", P + R, "meta-parameters");
  get_int(in, path, "<Iteration>", &st->iter);
  if (!kio_expect_token(in, "<Rng>")) ERROR("checkpoint %s: expected <Rng>", path);
  for (int i = 0; i < 4; i++)
    if (!kio_read_token(in, buf, sizeof(buf)) || sscanf(buf, "%" SCNx64, &st->base.s[i]) != 1)
      ERROR("checkpoint %s: bad RNG state", path);
  get_int(in, path, "<BadSteps>", &st->bad_total);
  if (!kio_read_int32(in, true, &st->bad_run)) ERROR("checkpoint %s: truncated", path);
  get_int(in, path, "<Best>", &v);
  st->have_best = v != 0;
  if (!kio_read_token(in, buf, sizeof(buf)) || !parse_double(buf, &st->best_loss) ||
      !kio_read_int32(in, true, &st->best_iter))
    ERROR("checkpoint %s: bad best-model record", path);
  if (st->have_best && !kio_read_floats(in, true, st->best, P + R))
    ERROR("checkpoint %s: truncated best model", path);
  nnet_optim_read(outer, in, path);
  Nnet *ck = nnet_read_from(in, path);
  if (!nnet_same_arch(ck, model)) ERROR("checkpoint %s holds a model of another architecture", path);
  memcpy(mp, nnet_params(ck), sizeof(float) * (size_t)P);
  if (R) {
    int dim;
    MetaLrMode mode = META_LR_PER_LAYER;
    meta_lr_mode_parse(o->learn_inner_lr, &mode);
    const float *r = nnet_get_extra(ck, meta_lr_mode_extra(mode), &dim);
    if (!r || dim != R) ERROR("checkpoint %s: the model lacks its %d learned rates", path, R);
    memcpy(mp + P, r, sizeof(float) * (size_t)R);
  }
  same_stored(ck, path, META_EXTRA_RATE, o->inner_lr, "--inner-lr");
  same_stored(ck, path, META_EXTRA_BATCH, (float)o->inner_batch, "--inner-batch");
  same_stored(ck, path, META_EXTRA_PROX, o->imaml_lambda, "--imaml-lambda");
  nnet_free(ck);
  if (!kio_expect_token(in, "</MetaCheckpoint>")) ERROR("checkpoint %s: truncated", path);
  input_close(in, NULL, 0);
}
