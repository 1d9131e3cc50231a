/* WAV files: reading (RIFF/RIFX WAVE; PCM 8/16/24/32-bit, IEEE float 32/64-bit, plain or
 * WAVE_FORMAT_EXTENSIBLE; any number of channels) and writing (16-bit PCM).
 * Samples are kept as float in int16 scale, as Kaldi's WaveData: 16-bit values as they
 * are, other encodings scaled to the same range (float 1.0 -> 32768).
 *
 * As Kaldi's WaveInfo::Read: chunks before "fmt " and between "fmt " and "data" are
 * skipped; a header whose sizes are 0, 0xFFFFFFFF or SoX's 0x7FFFF000 (written by
 * programs writing to a pipe) means "read to the end"; a data size past the end of
 * the input gives a warning ("truncated file?") and the samples that are there. */
#ifndef FEAT_WAV_H
#define FEAT_WAV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io/stream.h"
#include "io/table.h"
#include "matrix/matrix.h"

typedef struct {
  Mat data;        /* num_channels x num_samples, int16 scale */
  float samp_freq; /* Hz */
} WavData;

/* What a WAV's header says, without its samples (Kaldi's WaveInfo). */
typedef struct {
  float samp_freq;      /* Hz */
  int num_channels;
  int64_t samp_count;   /* sample frames the data chunk holds; -1 when streamed */
  bool streamed;        /* the header gives no size (written to a pipe) */
} WavInfo;
static inline float wav_info_duration(const WavInfo *i) { return i->samp_count / i->samp_freq; }

/* Reads one WAV from in into w (previous content released). False with a message in err
 * (not RIFF/WAVE, unsupported encoding, no data ...). */
bool wav_read(Input *in, WavData *w, char *err, size_t errlen);
/* Reads the header of one WAV and skips its samples (so archives of WAVs can be read).
 * False with a message in err. */
bool wav_read_info(Input *in, WavInfo *info, char *err, size_t errlen);
/* Reads a whole WAV file or pipe ("cmd |"); ERROR naming it on failure. */
void wav_read_file(const char *rxfilename, WavData *w);
/* Writes 16-bit PCM, rounding and clipping to [-32768, 32767] (a WARNING counts clips).
 * Writing a WAV without samples is an ERROR, as in Kaldi (nothing could read it back). */
void wav_write(Output *out, const WavData *w);
void wav_clear(WavData *w);
static inline float wav_duration(const WavData *w) { return w->data.cols / w->samp_freq; }

/* Table holders: WavData for "scp:wav.scp" (files or pipes) and archives of WAVs, which
 * it writes as Kaldi's WaveHolder does (each object a complete RIFF file after its key,
 * binary only); WavInfo reads headers only (Kaldi's WaveInfoHolder; no writing). */
extern const TblHolder tbl_wav_holder;
extern const TblHolder tbl_wav_info_holder;

#endif
