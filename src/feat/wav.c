/* WAV reading and writing, following Kaldi's wave-reader.cc (see wav.h). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/log.h"
#include "base/util.h"
#include "feat/wav.h"

typedef struct {
  Input *in;
  bool swap; /* RIFX: big-endian */
  char *err;
  size_t errlen;
} Reader;

static bool rd(Reader *r, void *buf, size_t n) {
  if (input_read(r->in, buf, n) == n) return true;
  snprintf(r->err, r->errlen, "unexpected end of WAV header");
  return false;
}
static bool rd_u32(Reader *r, uint32_t *v) {
  uint8_t b[4];
  if (!rd(r, b, 4)) return false;
  *v = r->swap ? (uint32_t)b[3] | (uint32_t)b[2] << 8 | (uint32_t)b[1] << 16 | (uint32_t)b[0] << 24
               : (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
  return true;
}
static bool rd_u16(Reader *r, uint16_t *v) {
  uint8_t b[2];
  if (!rd(r, b, 2)) return false;
  *v = r->swap ? (uint16_t)(b[1] | b[0] << 8) : (uint16_t)(b[0] | b[1] << 8);
  return true;
}
static bool skip(Reader *r, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    if (input_getc(r->in) == EOF) { snprintf(r->err, r->errlen, "unexpected end of WAV header"); return false; }
  return true;
}
static bool tag(Reader *r, char t[5]) {
  t[4] = 0;
  return rd(r, t, 4);
}

typedef struct {
  uint16_t format; /* 1 PCM, 3 float */
  uint16_t channels, block_align, bits;
  uint32_t rate;
  bool streamed;
  uint32_t data_bytes;
} Header;

#define FAIL(...) do { snprintf(r->err, r->errlen, __VA_ARGS__); return false; } while (0)

static bool read_fmt(Reader *r, Header *h, uint32_t size) {
  uint32_t byte_rate;
  if (size < 16) FAIL("fmt chunk of size %u (expected at least 16)", size);
  if (!rd_u16(r, &h->format) || !rd_u16(r, &h->channels) ||
      !rd_u32(r, &h->rate) || !rd_u32(r, &byte_rate) || !rd_u16(r, &h->block_align) ||
      !rd_u16(r, &h->bits))
    return false;
  uint32_t used = 16;
  if (h->format == 0xFFFE) { /* WAVE_FORMAT_EXTENSIBLE: the sub-format GUID's first word */
    uint16_t extra, valid_bits;
    uint32_t mask, g[4];
    if (size < 40) FAIL("malformed WAVE_FORMAT_EXTENSIBLE fmt chunk (size %u)", size);
    if (!rd_u16(r, &extra) || !rd_u16(r, &valid_bits) || !rd_u32(r, &mask)) return false;
    for (int i = 0; i < 4; i++)
      if (!rd_u32(r, &g[i])) return false;
    used = 40;
    if (extra < 22 || g[1] != 0x00100000 || g[2] != 0xAA000080 || g[3] != 0x719B3800 ||
        (g[0] != 1 && g[0] != 3))
      FAIL("unsupported WAVE_FORMAT_EXTENSIBLE sub-format %08x (only PCM and IEEE float)", g[0]);
    h->format = (uint16_t)g[0];
  }
  if (!skip(r, size - used)) return false;
  if (h->format != 1 && h->format != 3)
    FAIL("unsupported encoding: format id %u (only PCM 1, IEEE float 3, extensible)", h->format);
  if (h->channels == 0) FAIL("no channels present");
  bool ok_bits = h->format == 1 ? (h->bits == 8 || h->bits == 16 || h->bits == 24 || h->bits == 32)
                                : (h->bits == 32 || h->bits == 64);
  if (!ok_bits) FAIL("unsupported bits per sample %u for %s", h->bits, h->format == 1 ? "PCM" : "float");
  if (h->block_align != h->channels * h->bits / 8)
    FAIL("unexpected block_align %u for %u channels of %u bits", h->block_align, h->channels, h->bits);
  if (byte_rate != h->rate * h->block_align) FAIL("unexpected byte rate %u", byte_rate);
  if (h->rate == 0) FAIL("sample rate 0");
  return true;
}

static bool read_header(Reader *r, Header *h, const char *name) {
  char t[5];
  uint32_t riff_size, size, riff_read = 4;
  if (!tag(r, t)) FAIL("empty or truncated file (no RIFF header)");
  if (!strcmp(t, "RIFX")) r->swap = true;
  else if (strcmp(t, "RIFF")) FAIL("not a WAV file: expected RIFF or RIFX, got '%.4s'", t);
  if (!rd_u32(r, &riff_size)) return false;
  if (!tag(r, t)) return false;
  if (strcmp(t, "WAVE")) FAIL("not a WAV file: expected WAVE, got '%.4s'", t);
  for (;;) { /* skip e.g. Apple's JUNK before "fmt " */
    if (!tag(r, t) || !rd_u32(r, &size)) return false;
    riff_read += 8;
    if (!strcmp(t, "fmt ")) break;
    if (!skip(r, size)) return false;
    riff_read += size;
  }
  if (!read_fmt(r, h, size)) return false;
  riff_read += size;
  for (;;) { /* skip "fact", "LIST" ... before "data" */
    if (!tag(r, t) || !rd_u32(r, &size)) FAIL("no data chunk");
    riff_read += 8;
    if (!strcmp(t, "data")) break;
    if (!skip(r, size)) FAIL("no data chunk");
    riff_read += size;
  }
  h->data_bytes = size;
  h->streamed = riff_size == 0 || riff_size == 0xFFFFFFFF || size == 0 || size == 0xFFFFFFFF ||
                size == 0x7FFFF000;
  if (!h->streamed && llabs((long long)riff_read + size - riff_size) > 1)
    WARN("%s: expected %u bytes in RIFF chunk, but after the first data chunk there will be "
         "%u + %u (multiple data chunks are not supported)", name, riff_size, riff_read, size);
  return true;
}

static float sample_at(const uint8_t *p, const Header *h, bool swap) {
  int nb = h->bits / 8;
  uint8_t b[8];
  for (int i = 0; i < nb; i++) b[i] = swap ? p[nb - 1 - i] : p[i];
  switch (h->bits + (h->format == 3 ? 1000 : 0)) {
    case 8: return (float)(b[0] - 128) * 256.0f;
    case 16: return (float)(int16_t)(b[0] | b[1] << 8);
    case 24: return (float)((int32_t)((uint32_t)b[0] << 8 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 24) >> 8) / 256.0f;
    case 32: return (float)((double)(int32_t)((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24) / 65536.0);
    case 1032: { float f; memcpy(&f, b, 4); return f * 32768.0f; }
    default: { double d; memcpy(&d, b, 8); return (float)(d * 32768.0); }
  }
}

/* Converts n sample frames (all channels, interleaved as in the file) to floats. */
static void convert(const uint8_t *p, size_t n, const Header *h, bool swap, float *out) {
  size_t count = n * h->channels;
  if (h->format == 1 && h->bits == 16 && !swap) { /* the common case, kept fast */
    for (size_t i = 0; i < count; i++) {
      int16_t v;
      memcpy(&v, p + 2 * i, 2);
      out[i] = v;
    }
    return;
  }
  for (size_t i = 0; i < count; i++) out[i] = sample_at(p + i * (h->bits / 8), h, swap);
}

/* Room for n floats; a long file's buffer asks for transparent huge pages, since first
 * touching 4 kB pages (not the conversion) dominated the reading time. */
static float *alloc_samples(size_t n) {
  size_t bytes = n * sizeof(float), huge = 2u << 20;
  if (bytes < 4 * huge) return xmalloc(bytes);
  float *p = aligned_alloc(huge, (bytes + huge - 1) / huge * huge);
  if (!p) ERROR("out of memory allocating %zu bytes for samples", bytes);
  madvise(p, (bytes + huge - 1) / huge * huge, MADV_HUGEPAGE);
  return p;
}

/* The data chunk, data_bytes bytes or to the end when streamed, converted to interleaved
 * floats through a small reused buffer. Returns the samples, *frames the frame count. */
static float *read_samples(Reader *r, const Header *h, size_t *frames, const char *name) {
  enum { CHUNK = 1 << 16 };
  static _Thread_local uint8_t chunk[CHUNK];
  size_t per = CHUNK / h->block_align, nc = h->channels;
  /* The header's size is a claim, not a fact: the first allocation is capped (a 44-byte
   * file may claim 4 GB) and grows by doubling as samples actually arrive. */
  size_t max_first = ((size_t)1 << 24) / nc + 1;
  size_t cap = h->streamed ? per : h->data_bytes / h->block_align, n = 0;
  if (cap > max_first) cap = max_first;
  uint64_t left = h->streamed ? UINT64_MAX : h->data_bytes, total = 0;
  float *out = alloc_samples((cap ? cap : 1) * nc);
  while (left > 0) {
    size_t want = per * h->block_align;
    if (want > left) want = (size_t)left;
    size_t got = input_read(r->in, chunk, want), m = got / h->block_align;
    total += got;
    if (!h->streamed) left -= got;
    if (n + m > cap) { /* streamed: grow */
      while (n + m > cap) cap = cap ? 2 * cap : 1;
      out = xrealloc(out, cap * nc * sizeof(float));
    }
    convert(chunk, m, h, r->swap, out + n * nc);
    n += m;
    if (got < want) break;
  }
  if (!h->streamed && total < h->data_bytes)
    WARN("%s: expected %u bytes of wave data, but read only %llu bytes. Truncated file?", name,
         h->data_bytes, (unsigned long long)total);
  *frames = n;
  return out;
}

bool wav_read(Input *in, WavData *w, char *err, size_t errlen) {
  Reader rr = {in, false, err, errlen}, *r = &rr;
  Header h;
  const char *name = input_name(in);
  if (!read_header(r, &h, name)) return false;
  size_t ns;
  float *inter = read_samples(r, &h, &ns, name);
  if (ns == 0) {
    free(inter);
    FAIL("empty file (no data)");
  }
  if (ns > (size_t)INT32_MAX) { free(inter); FAIL("too many samples (%zu)", ns); }
  wav_clear(w);
  w->samp_freq = (float)h.rate;
  if (h.channels == 1) { /* interleaved is planar: adopt the buffer */
    w->data = (Mat){inter, 1, (int)ns, (int)ns};
    return true;
  }
  w->data = mat_alloc(h.channels, (int)ns);
  for (int c = 0; c < h.channels; c++) {
    float *row = mat_row(w->data, c);
    for (size_t i = 0; i < ns; i++) row[i] = inter[i * h.channels + c];
  }
  free(inter);
  return true;
}

/* Skips n bytes: a seek on files, reading on pipes and standard input. */
static void skip_bytes(Input *in, uint64_t n) {
  int64_t target = input_tell(in) + (int64_t)n;
  if (input_seek(in, target) || input_tell(in) >= target) return;
  static _Thread_local char buf[1 << 14];
  for (uint64_t left = (uint64_t)(target - input_tell(in)); left > 0;) {
    size_t got = input_read(in, buf, left < sizeof buf ? (size_t)left : sizeof buf);
    if (got == 0) return;
    left -= got;
  }
}

bool wav_read_info(Input *in, WavInfo *info, char *err, size_t errlen) {
  Reader rr = {in, false, err, errlen}, *r = &rr;
  Header h;
  if (!read_header(r, &h, input_name(in))) return false;
  *info = (WavInfo){(float)h.rate, h.channels, -1, h.streamed};
  if (h.streamed) { /* the data run to the end */
    char buf[4096];
    while (input_read(in, buf, sizeof buf) > 0) {}
  } else {
    info->samp_count = h.data_bytes / h.block_align;
    skip_bytes(in, h.data_bytes);
  }
  return true;
}

void wav_read_file(const char *rxfilename, WavData *w) {
  char err[512];
  Input *in = input_open(rxfilename);
  if (!wav_read(in, w, err, sizeof err)) ERROR("%s: %s", rxfilename, err);
  if (!input_close(in, err, sizeof err)) ERROR("%s: %s", rxfilename, err);
}

void wav_clear(WavData *w) {
  mat_release(&w->data);
  w->samp_freq = 0;
}

static void put_u32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void put_u16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }

void wav_write(Output *out, const WavData *w) {
  int nc = w->data.rows, ns = w->data.cols;
  if (nc == 0 || ns == 0) ERROR("%s: attempting to write an empty WAV", output_name(out));
  uint64_t bytes = (uint64_t)nc * ns * 2;
  if (bytes > 0xFFFFFFFFull - 36) ERROR("%s: WAV data too large (%llu bytes)", output_name(out), (unsigned long long)bytes);
  uint8_t hd[44];
  memcpy(hd, "RIFF", 4); put_u32(hd + 4, (uint32_t)(36 + bytes)); memcpy(hd + 8, "WAVEfmt ", 8);
  put_u32(hd + 16, 16); put_u16(hd + 20, 1); put_u16(hd + 22, (uint16_t)nc);
  uint32_t rate = (uint32_t)lrintf(w->samp_freq);
  put_u32(hd + 24, rate); put_u32(hd + 28, rate * nc * 2); put_u16(hd + 32, (uint16_t)(nc * 2));
  put_u16(hd + 34, 16); memcpy(hd + 36, "data", 4); put_u32(hd + 40, (uint32_t)bytes);
  output_write(out, hd, 44);
  enum { CHUNK = 4096 };
  uint8_t buf[CHUNK * 2];
  long clipped = 0;
  int k = 0;
  for (int i = 0; i < ns; i++)
    for (int c = 0; c < nc; c++) {
      long v = lrintf(*mat_at(w->data, c, i));
      if (v > 32767 || v < -32768) { clipped++; v = v > 0 ? 32767 : -32768; }
      put_u16(buf + 2 * k, (uint16_t)(int16_t)v);
      if (++k == CHUNK) { output_write(out, buf, sizeof buf); k = 0; }
    }
  output_write(out, buf, 2 * (size_t)k);
  if (clipped) WARN("%s: clipped %ld of %lld samples", output_name(out), clipped, (long long)nc * ns);
}

static void holder_clear(void *v) { wav_clear(v); }
static bool holder_read(Input *in, void *v, char *err, size_t errlen) { return wav_read(in, v, err, errlen); }
static void holder_write(Output *out, bool binary, const void *v) {
  if (!binary) ERROR("%s: WAV data can only be written in binary mode", output_name(out));
  wav_write(out, v);
}

const TblHolder tbl_wav_holder = {
  .name = "wave", .value_size = sizeof(WavData), .clear = holder_clear,
  .read = holder_read, .write = holder_write, .range = NULL,
};

static void info_clear(void *v) { *(WavInfo *)v = (WavInfo){0}; }
static bool info_read(Input *in, void *v, char *err, size_t errlen) { return wav_read_info(in, v, err, errlen); }
static void info_write(Output *out, bool binary, const void *v) {
  (void)binary, (void)v;
  ERROR("%s: WAV headers cannot be written without their samples", output_name(out));
}

const TblHolder tbl_wav_info_holder = {
  .name = "wave header", .value_size = sizeof(WavInfo), .clear = info_clear,
  .read = info_read, .write = info_write, .range = NULL,
};
