/* nnet-init: creates a randomly initialised network from a config file. */
#include "base/log.h"
#include "base/options.h"
#include "nnet/nnet.h"

int main(int argc, char **argv) {
  const char *usage =
      "Create a network with random parameters from a config file (one layer a line; see conf/dnn.conf).\n"
      "Usage: nnet-init [options] <config> <model-out>\n"
      "e.g.: nnet-init --input-dim=40 --output-dim=48 --seed=1 conf/dnn.conf exp/dnn/0.mdl\n";
  int seed = 777, input_dim = 0, output_dim = 0;
  bool binary = true;
  Options *po = opts_new(usage);
  opts_int(po, "seed", &seed, "Random seed for the initial parameters");
  opts_int(po, "input-dim", &input_dim, "Feature dim (0: the config's input-dim=)");
  opts_int(po, "output-dim", &output_dim, "Output units including the blank 0 (0: the config's output-dim=)");
  opts_bool(po, "binary", &binary, "Write the model in binary");
  opts_parse(po, argc, argv);
  if (opts_num_args(po) != 2) opts_usage_exit(po);
  if (input_dim < 0 || output_dim < 0) ERROR("--input-dim and --output-dim must be >= 0");
  Nnet *n = nnet_new_from_config(opts_arg(po, 0), input_dim, output_dim, (uint64_t)seed);
  nnet_write(n, opts_arg(po, 1), binary);
  LOG("Wrote %s: %d layers, %d parameters, %d -> %d", opts_arg(po, 1), nnet_num_layers(n), nnet_num_params(n),
      nnet_input_dim(n), nnet_output_dim(n));
  nnet_free(n);
  opts_free(po);
  return 0;
}
