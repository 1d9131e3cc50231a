/* nnet-copy: copies a model, converting binary/text and compressing (.gz). */
#include "base/log.h"
#include "base/options.h"
#include "nnet/nnet.h"

int main(int argc, char **argv) {
  const char *usage =
      "Copy a model, e.g. to convert between binary and text (--binary=false) or to gzip it (name.gz).\n"
      "Usage: nnet-copy [options] <model-in> <model-out>\n"
      "e.g.: nnet-copy --binary=false exp/dnn/final.mdl - | less\n";
  bool binary = true;
  Options *po = opts_new(usage);
  opts_bool(po, "binary", &binary, "Write the model in binary");
  opts_parse(po, argc, argv);
  if (opts_num_args(po) != 2) opts_usage_exit(po);
  Nnet *n = nnet_read(opts_arg(po, 0));
  nnet_write(n, opts_arg(po, 1), binary);
  LOG("Copied %s to %s", opts_arg(po, 0), opts_arg(po, 1));
  nnet_free(n);
  opts_free(po);
  return 0;
}
