/* extract-segments: cuts the segments of a segments file out of the recordings of a
 * wav.scp and writes them as WAVs, as Kaldi's extract-segments. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/options.h"
#include "base/util.h"
#include "feat/wav.h"
#include "io/table.h"

static const char *usage =
    "Extract segments from a large audio file in WAV format.\n"
    "Usage:  extract-segments [options] <wav-rspecifier> <segments-file> <wav-wspecifier>\n"
    "e.g. extract-segments scp:wav.scp segments ark:- | <some-other-program>\n"
    " segments-file format: each line is either\n"
    "<segment-id> <recording-id> <start-time> <end-time>\n"
    "e.g. call-861225-A-0050-0065 call-861225-A 5.0 6.5\n"
    "or (less frequently, and not supported in scripts):\n"
    "<segment-id> <wav-file-name> <start-time> <end-time> <channel>\n"
    "where <channel> will normally be 0 (left) or 1 (right)\n"
    "e.g. call-861225-A-0050-0065 call-861225 5.0 6.5 1\n"
    "And <end-time> of -1 means the segment runs till the end of the WAV file\n"
    "A malformed line, or a segment starting after its recording's end or ending more than\n"
    "--max-overshoot after it, is an error naming the line (Kaldi skips it with a warning);\n"
    "a segment whose recording is not in the table, or shorter than --min-segment-length,\n"
    "is skipped with a warning.\n"
    "See also: wav-to-duration, wav-copy\n";

typedef struct {
  const char *file; /* for messages: the segments file and line */
  int line;
  char *segment, *recording;
  double start, end; /* seconds; end -1: to the end of the recording */
  int channel;       /* -1: not given */
} Segment;

/* Splits the line in place into Kaldi's fields and checks them; ERROR naming the line. */
static void parse_segment(char *line, Segment *s) {
  char *f[6];
  int n = 0;
  for (char *save = NULL, *p = strtok_r(line, " \t\r", &save); p; p = strtok_r(NULL, " \t\r", &save))
    if (n < 6) f[n++] = p;
    else n++;
  if (n != 4 && n != 5)
    ERROR("%s:%d: expected <segment-id> <recording-id> <start-time> <end-time> [<channel>], "
          "got %d fields", s->file, s->line, n);
  s->segment = f[0];
  s->recording = f[1];
  if (!parse_double(f[2], &s->start)) ERROR("%s:%d: segment %s: bad start time '%s'", s->file, s->line, f[0], f[2]);
  if (!parse_double(f[3], &s->end)) ERROR("%s:%d: segment %s: bad end time '%s'", s->file, s->line, f[0], f[3]);
  if (s->start < 0 || (s->end != -1.0 && s->end <= 0) || (s->start >= s->end && s->end > 0))
    ERROR("%s:%d: segment %s: empty or invalid segment [%s, %s]", s->file, s->line, f[0], f[2], f[3]);
  s->channel = -1;
  if (n == 5 && (!parse_int(f[4], &s->channel) || s->channel < 0))
    ERROR("%s:%d: segment %s: bad channel '%s'", s->file, s->line, f[0], f[4]);
}

/* The segment's samples [*first, *last) and channel in the recording, with Kaldi's rules
 * and rounding; false (with a warning) to skip the segment. */
static bool segment_samples(const Segment *s, const WavData *wav, float min_length, float max_overshoot,
                            int *channel, int32_t *first, int32_t *last) {
  int num_samp = wav->data.cols, num_chan = wav->data.rows;
  float samp_freq = wav->samp_freq, file_length = num_samp / samp_freq;
  double start = s->start, end = s->end;
  if (start > file_length)
    ERROR("%s:%d: segment %s starts at %g s, after the end of recording %s (%g s)", s->file, s->line,
          s->segment, start, s->recording, file_length);
  if (end > file_length + max_overshoot)
    ERROR("%s:%d: segment %s ends at %g s, beyond the end of recording %s (%g s) by more than "
          "--max-overshoot=%g", s->file, s->line, s->segment, end, s->recording, file_length, max_overshoot);
  if (end < 0 || end > file_length) end = file_length;
  if (end - start < min_length) {
    WARN("%s:%d: segment %s too short (%g s < --min-segment-length=%g), skipping it.", s->file, s->line,
         s->segment, end - start, min_length);
    return false;
  }
  *channel = s->channel;
  if (*channel == -1) {
    if (num_chan != 1)
      ERROR("%s:%d: segment %s: recording %s has %d channels; you must specify the channel in the "
            "segments file", s->file, s->line, s->segment, s->recording, num_chan);
    *channel = 0;
  } else if (*channel >= num_chan) {
    WARN("%s:%d: invalid channel %d >= %d. Skipping segment %s", s->file, s->line, *channel, num_chan, s->segment);
    return false;
  }
  *first = (int32_t)(start * samp_freq + 0.5f);
  *last = (int32_t)(end * samp_freq + 0.5f);
  if (*last > num_samp) *last = num_samp;
  if (*last <= *first) {
    WARN("%s:%d: segment %s has no samples, skipping it.", s->file, s->line, s->segment);
    return false;
  }
  return true;
}

int main(int argc, char **argv) {
  float min_segment_length = 0.1f, max_overshoot = 0.5f;
  Options *po = opts_new(usage);
  opts_float(po, "min-segment-length", &min_segment_length, "Minimum segment length in seconds (reject shorter segments)");
  opts_float(po, "max-overshoot", &max_overshoot,
             "End segments overshooting audio by less than this (in seconds) are truncated, else rejected.");
  opts_parse(po, argc, argv);
  if (opts_num_args(po) != 3) opts_usage_exit(po);
  const char *segments_file = opts_arg(po, 1);

  RandomReader *reader = tbl_random_open(opts_arg(po, 0), &tbl_wav_holder);
  TableWriter *writer = tbl_writer_open(opts_arg(po, 2), &tbl_wav_holder);
  Input *in = input_open(segments_file);
  char *line = NULL, *cached_key = NULL;
  size_t cap = 0;
  const WavData *wav = NULL; /* the last recording read: segments usually come in its order */
  int num_lines = 0, num_success = 0;
  while (input_getline(in, &line, &cap)) {
    Segment s = {.file = segments_file, .line = ++num_lines};
    if (!line[strspn(line, " \t\r")]) continue;
    parse_segment(line, &s);
    if (!cached_key || strcmp(cached_key, s.recording)) {
      const WavData *w = tbl_random_value(reader, s.recording);
      if (!w) {
        WARN("%s:%d: could not find recording %s, skipping segment %s", s.file, s.line, s.recording, s.segment);
        continue;
      }
      wav = w;
      free(cached_key);
      cached_key = xstrdup(s.recording);
    }
    int channel;
    int32_t first, last;
    if (!segment_samples(&s, wav, min_segment_length, max_overshoot, &channel, &first, &last)) continue;
    WavData segment = {{mat_row(wav->data, channel) + first, 1, last - first, last - first}, wav->samp_freq};
    tbl_writer_write(writer, s.segment, &segment);
    num_success++;
  }
  char err[512];
  if (!input_close(in, err, sizeof err)) ERROR("%s", err);
  tbl_writer_close(writer);
  tbl_random_close(reader);
  LOG("Successfully processed %d lines out of %d in the segments file. ", num_success, num_lines);
  free(line);
  free(cached_key);
  opts_free(po);
  return num_success > 0 || num_lines == 0 ? 0 : 1;
}
