/* wav-to-duration: the duration of each WAV in seconds, from its header or (with
 * --read-entire-file) its samples, as Kaldi's wav-to-duration. */
#include <math.h>

#include "base/log.h"
#include "base/options.h"
#include "feat/wav.h"
#include "io/table.h"

static const char *usage =
    "Read wav files and output an archive consisting of a single float:\n"
    "the duration of each one in seconds.\n"
    "Usage:  wav-to-duration [options...] <wav-rspecifier> <duration-wspecifier>\n"
    "E.g.: wav-to-duration scp:wav.scp ark,t:-\n"
    "See also: wav-copy extract-segments feat-to-len\n";

int main(int argc, char **argv) {
  bool read_entire_file = false;
  Options *po = opts_new(usage);
  opts_bool(po, "read-entire-file", &read_entire_file,
            "If true, read the samples instead of only the header, to ensure the returned "
            "duration is correct (needed for WAVs written to a pipe, e.g. by sox).");
  opts_parse(po, argc, argv);
  if (opts_num_args(po) != 2) opts_usage_exit(po);

  TableReader *reader = tbl_reader_open(opts_arg(po, 0), read_entire_file ? &tbl_wav_holder : &tbl_wav_info_holder);
  TableWriter *writer = tbl_writer_open(opts_arg(po, 1), &tbl_float_holder);
  double sum = 0, min = INFINITY, max = 0;
  int num_done = 0;
  for (; !tbl_reader_done(reader); tbl_reader_next(reader)) {
    const char *key = tbl_reader_key(reader);
    float duration;
    if (read_entire_file) {
      duration = wav_duration(tbl_reader_value(reader));
    } else {
      const WavInfo *info = tbl_reader_value(reader);
      if (info->streamed)
        ERROR("member %s has no duration in header. Check the source, and/or try --read-entire-file.", key);
      duration = wav_info_duration(info);
    }
    tbl_writer_write(writer, key, &duration);
    sum += duration;
    min = fmin(min, duration);
    max = fmax(max, duration);
    num_done++;
  }
  tbl_reader_close(reader);
  tbl_writer_close(writer);
  LOG("Printed duration for %d audio files.", num_done);
  if (num_done > 0) LOG("Mean duration was %g, min and max durations were %g, %g", sum / num_done, min, max);
  opts_free(po);
  return num_done != 0 ? 0 : 1;
}
