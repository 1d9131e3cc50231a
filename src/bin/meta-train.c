/* meta-train: meta-learns an initial model that adapts fast (MAML, first-order MAML,
 * Reptile, implicit MAML, learned inner rates) or trains the multitask baseline on the
 * same episodes. */
#include "base/log.h"
#include "base/options.h"
#include "meta/meta.h"
#include "nnet/data.h"

int main(int argc, char **argv) {
  const char *usage =
      "Meta-train an acoustic model over the tasks of an episodes file (support and query\n"
      "utterance sets, as make-tasks writes), so that a few gradient steps adapt it to a new task.\n"
      "Usage: meta-train [options] <model-in> <feats-rspecifier> <labels-rspecifier> <episodes> "
      "<model-out>\n"
      "e.g.: meta-train --algo=maml --inner-steps=3 --inner-lr=0.05 --meta-batch=8 --iterations=2000 \\\n"
      "        --learn-inner-lr=per-layer --checkpoint-every=100 --resume \\\n"
      "        init.mdl scp:data/train/feats.scp ark:data/train/labels.ark exp/episodes.txt meta.mdl\n";
  Options *po = opts_new(usage);
  MetaTrainOpts o = meta_train_opts_default();
  meta_train_opts_register(&o, po);
  nnet_register_data_checks(po);
  opts_parse(po, argc, argv);
  if (opts_num_args(po) != 5) opts_usage_exit(po);
  meta_train(&o, opts_arg(po, 0), opts_arg(po, 1), opts_arg(po, 2), opts_arg(po, 3), opts_arg(po, 4));
  opts_free(po);
  return 0;
}
