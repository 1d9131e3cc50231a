/* nnet-insert: inserts freshly initialised layers into a trained model (Kaldi's nnet2
 * program of that name does the same for its networks). */
#include <stdlib.h>

#include "base/log.h"
#include "base/options.h"
#include "io/stream.h"
#include "nnet/nnet.h"

int main(int argc, char **argv) {
  const char *usage =
      "Insert the layers of a config (one layer a line, as nnet-init's, without input-dim= or output-dim=)\n"
      "into a model before layer --insert-at; the other layers keep their parameters. The stored inner\n"
      "loop (meta-* extras) is dropped: it names the old layers.\n"
      "Usage: nnet-insert [options] <model-in> <config> <model-out>\n"
      "e.g.: echo 'adapter dim=64' > adapter.conf\n"
      "      nnet-insert --insert-at=4 exp/multitask/s1/final.mdl adapter.conf - |\n"
      "        nnet-insert --insert-at=7 - adapter.conf - | nnet-insert --insert-at=10 - adapter.conf a.mdl\n";
  int insert_at = -1, seed = 777;
  bool binary = true;
  Options *po = opts_new(usage);
  opts_int(po, "insert-at", &insert_at,
           "Insert before this layer (nnet-info numbers them; -1: before the output affine layer and "
           "log-softmax, the last two)");
  opts_int(po, "seed", &seed, "Random seed for the inserted layers' initial parameters");
  opts_bool(po, "binary", &binary, "Write the model in binary");
  opts_parse(po, argc, argv);
  if (opts_num_args(po) != 3) opts_usage_exit(po);
  Nnet *n = nnet_read(opts_arg(po, 0));
  int L = nnet_num_layers(n), at = insert_at == -1 ? L - 2 : insert_at;
  if (at < 0 || at > L - 1)
    ERROR("--insert-at=%d: %s has layers 0..%d (or -1: before the last two)", insert_at, opts_arg(po, 0), L - 1);
  char *text = read_whole_file(opts_arg(po, 1), NULL);
  Nnet *out = nnet_insert(n, at, text, opts_arg(po, 1), (uint64_t)seed);
  for (int i = 0; i < nnet_num_extras(n); i++) LOG("Dropped the extra %s", nnet_extra_name(n, i));
  nnet_write(out, opts_arg(po, 2), binary);
  LOG("Inserted %d layer(s) before layer %d: %d layers, %d parameters; wrote %s", nnet_num_layers(out) - L, at,
      nnet_num_layers(out), nnet_num_params(out), opts_arg(po, 2));
  free(text);
  nnet_free(out);
  nnet_free(n);
  opts_free(po);
  return 0;
}
