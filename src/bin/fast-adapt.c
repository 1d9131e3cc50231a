/* fast-adapt: adapts a (meta-trained) model to a few utterances of a new task. */
#include "base/log.h"
#include "base/options.h"
#include "meta/meta.h"
#include "nnet/data.h"

int main(int argc, char **argv) {
  const char *usage =
      "Adapt a model to the given utterances (a new language, dialect, speaker or condition)\n"
      "by a few gradient steps: by default the inner loop the model was meta-trained for (steps,\n"
      "batch, rates, adapted layers and imaml's proximal term, which meta-train stores in the\n"
      "model).\n"
      "Usage: fast-adapt [options] <model-in> <feats-rspecifier> <labels-rspecifier> <model-out>\n"
      "e.g.: fast-adapt --steps=20 --heldout-fraction=0.2 --patience=5 meta.mdl \\\n"
      "        scp:data/new/feats.scp ark:data/new/labels.ark adapted.mdl\n";
  Options *po = opts_new(usage);
  MetaAdaptOpts o = meta_adapt_opts_default();
  meta_adapt_opts_register(&o, po);
  nnet_register_data_checks(po);
  opts_parse(po, argc, argv);
  if (opts_num_args(po) != 4) opts_usage_exit(po);
  Nnet *n = nnet_read(opts_arg(po, 0));
  NnetData *d = meta_data_load(n, opts_arg(po, 1), opts_arg(po, 2), NULL, 0);
  if (d->n == 0) ERROR("no usable utterances in %s with labels in %s", opts_arg(po, 1), opts_arg(po, 2));
  int steps = meta_adapt(&o, n, d);
  nnet_write(n, opts_arg(po, 3), o.binary);
  LOG("Done: %d utterances, %d steps; wrote %s", d->n, steps, opts_arg(po, 3));
  nnet_data_free(d);
  nnet_free(n);
  opts_free(po);
  return 0;
}
