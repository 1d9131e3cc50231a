/* nnet-train: supervised CTC training of a network on a feature and a label archive. */
#include <math.h>
#include <stdlib.h>

#include "base/log.h"
#include "base/options.h"
#include "base/rng.h"
#include "base/util.h"
#include "nnet/data.h"
#include "nnet/nnet.h"
#include "nnet/train.h"

/* Marks a --valid-fraction of the utterances (chosen by the seed) for validation. */
static NnetData *hold_out(NnetData *d, float fraction, int seed) {
  if (!(fraction > 0)) return NULL;
  if (fraction >= 1) ERROR("--valid-fraction=%g must be below 1", fraction);
  int n = d->n, k = (int)(fraction * n + 0.5);
  if (k < 1) k = 1;
  int *order = xmalloc(sizeof(int) * (size_t)(n + 1));
  bool *take = xcalloc((size_t)n + 1, sizeof(bool));
  Rng r, root;
  rng_seed(&root, (uint64_t)seed);
  r = rng_split(&root, 0x76616c6964ULL); /* a stream of its own: "valid" */
  for (int i = 0; i < n; i++) order[i] = i;
  rng_shuffle_int(&r, order, n);
  for (int i = 0; i < k && i < n; i++) take[order[i]] = true;
  NnetData *v = nnet_data_split(d, take);
  free(order);
  free(take);
  return v;
}

int main(int argc, char **argv) {
  const char *usage =
      "Train a network with the CTC loss on utterances and their label sequences (int32 vectors of\n"
      "units 1..K-1; 0 is the CTC blank), with minibatches, an optimiser, validation, checkpoints and\n"
      "--resume.\n"
      "Usage: nnet-train [options] <model-in> <feats-rspecifier> <labels-rspecifier> <model-out>\n"
      "e.g.: nnet-train --num-epochs=10 --optimizer=adam --lr=1e-3 --valid-fraction=0.05 \\\n"
      "        --checkpoint=exp/dnn/ckpt --resume exp/dnn/0.mdl scp:data/train/feats.scp \\\n"
      "        ark:data/train/labels.ark exp/dnn/final.mdl\n";
  NnetTrainOpts to;
  nnet_train_opts_default(&to);
  const char *valid_feats = "", *valid_labels = "";
  bool binary = true;
  Options *po = opts_new(usage);
  nnet_train_register(po, &to);
  nnet_register_data_checks(po);
  opts_string(po, "valid-feats", &valid_feats, "Validation features (rspecifier; with --valid-labels)");
  opts_string(po, "valid-labels", &valid_labels, "Validation labels (rspecifier)");
  opts_bool(po, "binary", &binary, "Write the model in binary");
  opts_parse(po, argc, argv);
  if (opts_num_args(po) != 4) opts_usage_exit(po);
  if (!*valid_feats != !*valid_labels) ERROR("--valid-feats and --valid-labels go together");
  if (*valid_feats && to.valid_fraction > 0) ERROR("give either --valid-feats/--valid-labels or --valid-fraction");
  nnet_optim_check(&to.optim, "");

  Nnet *n = nnet_read(opts_arg(po, 0));
  int missing = 0;
  NnetData *train = nnet_data_read(n, opts_arg(po, 1), opts_arg(po, 2), NULL, 0, &missing);
  int unread = train->nonfinite + train->bad + train->unreadable; /* skipped at reading */
  int total = train->n + missing + unread;
  NnetData *valid = *valid_feats ? nnet_data_read(n, valid_feats, valid_labels, NULL, 0, NULL)
                                 : hold_out(train, to.valid_fraction, to.seed);
  LOG("%d training utterances (%ld frames)%s", train->n, train->frames, missing ? ", some without labels" : "");
  if (valid) LOG("%d validation utterances (%ld frames)", valid->n, valid->frames);
  NnetTrainResult r = nnet_train(n, train, valid, &to);
  nnet_write(n, opts_arg(po, 3), binary);
  int held = *valid_feats || !valid ? 0 : valid->n;
  LOG("Done %d out of %d utterances (%d held out for validation, %d unusable, %d without labels); "
      "%ld minibatches, %ld steps skipped; last minibatch loss %.4f%s",
      r.utts_used, total, held, r.utts_skipped + unread, missing, r.batches, r.steps_skipped, r.last_train_loss,
      r.finished ? "" : " (stopped early: --max-batches)");
  if (valid && isfinite(r.valid_loss)) LOG("final validation loss %.4f", r.valid_loss);
  nnet_data_free(train);
  nnet_data_free(valid);
  nnet_free(n);
  opts_free(po);
  return r.utts_used > 0 ? 0 : 1;
}
