/* decode: CTC decoding of features with an acoustic model, optionally with an n-gram LM. */
#include <stdlib.h>

#include "base/log.h"
#include "base/options.h"
#include "base/util.h"
#include "decode/decode.h"
#include "feat/feat.h"
#include "io/table.h"
#include "nnet/data.h"
#include "nnet/nnet.h"

/* The only place the acoustic model is used: T x D features to T' x units
 * log-softmax outputs (T' = T / frame subsampling). Caller releases. */
static Mat model_logprobs(Nnet *nnet, Mat feats) { return nnet_compute_logprobs(nnet, feats); }

int main(int argc, char **argv) {
  const char *usage =
      "Decode features with a CTC acoustic model: greedy (best path) or prefix beam search,\n"
      "optionally with an ARPA n-gram LM over the units; writes Kaldi text (utt-id symbols...),\n"
      "or the log-posteriors with --write-posteriors.\n"
      "Usage: decode [options] <model> <feats-rspecifier> <hyp-wspecifier>\n"
      "e.g.: decode --units=data/lang/units.txt --word-boundary='|' --lm=data/lang/lm.arpa \\\n"
      "        exp/adapt/final.mdl scp:data/test/feats.scp ark,t:exp/decode/hyp.txt\n";
  DecRunOpts ro;
  dec_run_opts_default(&ro);
  Options *po = opts_new(usage);
  dec_run_opts_register(po, &ro);
  nnet_register_data_checks(po);
  opts_parse(po, argc, argv);
  if (opts_num_args(po) != 3) opts_usage_exit(po);

  Nnet *nnet = nnet_read(opts_arg(po, 0));
  DecRun *run = dec_run_new(&ro, nnet_output_dim(nnet), opts_arg(po, 2));
  int done = 0, total = 0;
  long in_frames = 0;
  double start = now_seconds();
  TableReader *feats = tbl_reader_open(opts_arg(po, 1), &tbl_matrix_holder);
  for (; !tbl_reader_done(feats); tbl_reader_next(feats)) {
    const char *key = tbl_reader_key(feats);
    const Mat *f = tbl_reader_value(feats);
    total++;
    if (!nnet_utterance_fits(nnet, key, *f, opts_arg(po, 1), NULL, NULL) ||
        !feat_check_finite(opts_arg(po, 1), key, *f))
      continue;
    if (f->rows < nnet_frame_subsampling(nnet)) {
      WARN("utterance %s: %d frames, too short for the model; skipped", key, f->rows);
      continue;
    }
    Mat lp = model_logprobs(nnet, *f);
    if (dec_run_utterance(run, key, lp)) {
      done++;
      in_frames += f->rows;
    }
    mat_release(&lp);
  }
  total += tbl_reader_num_skipped(feats);
  tbl_reader_close(feats);
  /* A run that decoded nothing fails, and leaves no (empty) output. */
  if (done == 0) ERROR("no utterance decoded (0 out of %d in %s)", total, opts_arg(po, 1));
  double search = dec_run_free(run), elapsed = now_seconds() - start;
  double audio = in_frames / 100.0; /* seconds of audio at a 10 ms frame shift */
  LOG("Real-time factor %.4f (search alone %.4f) over %.1f s of audio (100 input frames/s)",
      audio > 0 ? elapsed / audio : 0.0, audio > 0 ? search / audio : 0.0, audio);
  LOG("Done %d out of %d utterances", done, total);
  nnet_free(nnet);
  opts_free(po);
  return 0;
}
