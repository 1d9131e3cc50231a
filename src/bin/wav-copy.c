/* wav-copy: copies a WAV, or a table of WAVs, as Kaldi's wav-copy (e.g. one WAV out of an
 * archive at a byte offset, for a command that reads plain WAV files). */
#include "base/log.h"
#include "base/options.h"
#include "feat/wav.h"
#include "io/table.h"

static const char *usage =
    "Copy wave file or archives of wave files\n"
    "\n"
    "Usage: wav-copy [options] <wav-rspecifier> <wav-wspecifier>\n"
    "  or:  wav-copy [options] <wav-rxfilename> <wav-wxfilename>\n"
    "e.g. wav-copy scp:wav.scp ark:-\n"
    "     wav-copy wav.ark:123456 -\n"
    "See also: wav-to-duration extract-segments\n";

static bool is_specifier(const char *s, bool for_write) {
  TblSpec spec;
  bool ok = for_write ? tbl_parse_wspecifier(s, &spec) : tbl_parse_rspecifier(s, &spec);
  if (ok) tbl_spec_free(&spec);
  return ok;
}

int main(int argc, char **argv) {
  Options *po = opts_new(usage);
  opts_parse(po, argc, argv);
  if (opts_num_args(po) != 2) opts_usage_exit(po);
  const char *in = opts_arg(po, 0), *out = opts_arg(po, 1);
  bool tables = is_specifier(in, false);
  if (tables != is_specifier(out, true)) ERROR("Cannot mix archives with regular files");
  int num_done = 0;
  if (tables) {
    TableReader *reader = tbl_reader_open(in, &tbl_wav_holder);
    TableWriter *writer = tbl_writer_open(out, &tbl_wav_holder);
    for (; !tbl_reader_done(reader); tbl_reader_next(reader), num_done++)
      tbl_writer_write(writer, tbl_reader_key(reader), tbl_reader_value(reader));
    tbl_reader_close(reader);
    tbl_writer_close(writer);
    LOG("Copied %d wave files", num_done);
  } else {
    WavData wav = {{0}, 0};
    tbl_read_object(in, &tbl_wav_holder, &wav);
    tbl_write_object(out, true, &tbl_wav_holder, &wav);
    wav_clear(&wav);
    num_done = 1;
  }
  opts_free(po);
  return num_done != 0 ? 0 : 1;
}
