/* nnet-info: prints a network's layers, shapes and parameter counts. */
#include <stdio.h>

#include "base/options.h"
#include "nnet/nnet.h"

int main(int argc, char **argv) {
  const char *usage =
      "Print a model's input/output dims, frame subsampling, layers (kind, settings, dims, parameters)\n"
      "and extra vectors.\n"
      "Usage: nnet-info [options] <model-in>\n"
      "e.g.: nnet-info exp/dnn/final.mdl\n";
  Options *po = opts_new(usage);
  opts_parse(po, argc, argv);
  if (opts_num_args(po) != 1) opts_usage_exit(po);
  Nnet *n = nnet_read(opts_arg(po, 0));
  nnet_print_info(n, stdout);
  nnet_free(n);
  opts_free(po);
  return 0;
}
