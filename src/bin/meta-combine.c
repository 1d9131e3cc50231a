/* meta-combine: the outer step of parallel meta-training (steps/meta_train.sh), from the
 * meta-gradient files of N jobs, or the average of N jobs' models. */
#include <stdlib.h>

#include "base/log.h"
#include "base/options.h"
#include "meta/meta.h"
#include "meta/parallel.h"
#include "base/util.h"

int main(int argc, char **argv) {
  const char *usage =
      "Take one outer step of meta-training from the meta-gradients N jobs wrote (meta-train\n"
      "--job=J --num-jobs=N --write-meta-grad=FILE), or with --average average N jobs' models;\n"
      "writes the next checkpoint and model. Give it the same options as meta-train.\n"
      "Usage: meta-combine [options] <model-in> <checkpoint-in> <checkpoint-out> <model-out> "
      "<meta-grad-1|model-1> ... <meta-grad-N|model-N>\n"
      "(<checkpoint-in> need not exist: then the run starts at iteration 0 from <model-in>)\n"
      "e.g.: meta-combine --algo=maml --meta-batch=8 init.mdl exp/meta/ckpt.4 exp/meta/ckpt.5 \\\n"
      "        exp/meta/5.mdl exp/meta/grad.4.1 exp/meta/grad.4.2\n";
  Options *po = opts_new(usage);
  MetaTrainOpts o = meta_train_opts_default();
  bool average = false;
  meta_train_opts_register(&o, po);
  opts_bool(po, "average", &average,
            "Average the models given (model averaging; the checkpoint goes to --iterations)");
  opts_parse(po, argc, argv);
  if (opts_num_args(po) < 5) opts_usage_exit(po);
  int n = opts_num_args(po) - 4;
  char **files = xmalloc(sizeof(char *) * (size_t)n);
  for (int i = 0; i < n; i++) files[i] = (char *)opts_arg(po, 4 + i);
  if (average)
    meta_combine_average(&o, opts_arg(po, 0), opts_arg(po, 1), n, files, opts_arg(po, 2),
                         opts_arg(po, 3));
  else
    meta_combine_grads(&o, opts_arg(po, 0), opts_arg(po, 1), n, files, opts_arg(po, 2),
                       opts_arg(po, 3));
  LOG("Done: combined %d %s; wrote %s and %s", n, average ? "models" : "meta-gradients",
      opts_arg(po, 3), opts_arg(po, 2));
  free(files);
  opts_free(po);
  return 0;
}
