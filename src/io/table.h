/* Kaldi tables: archives (ark) and script files (scp) of key -> object.
 *
 * rspecifier: "ark:file", "scp:file", "ark:-", "ark:cmd |", "ark:file.gz", with options
 *   after the type: "ark,t:", "ark,s,cs:", "scp,p:", "ark,o:" (s sorted, cs called in
 *   sorted order, o each key once, p permissive: stop quietly at a bad entry).
 * wspecifier: "ark:file", "ark,t:-", "ark,scp:f.ark,f.scp", "scp:f.scp" (objects go to
 *   the files the scp names), "ark:| cmd", options t/b (text/binary) and f/nf (flush).
 * scp lines are "key rxfilename", where rxfilename may be "f.ark:1234" (byte offset of
 *   the object), a pipe "cmd |", and may end in a range "[a:b]" or "[a:b,c:d]" of rows
 *   (and columns) of a matrix, inclusive as in Kaldi.
 *
 * A holder says how one type of object is read and written, exactly as Kaldi writes it
 * (binary objects start with "\0B"). Holders here: float matrix (reads FM, DM and the
 * compressed CM, CM2, CM3; writes FM), compressed matrix (CM, CM2, CM3 as stored), double
 * matrix (DM), float vector (FV), int32 vector (labels, alignments), token vector (text,
 * one line) and the scalars int32 and float (Kaldi's Int32Writer, BaseFloatWriter). Other
 * libraries define their own (a WAV holder in feat/). */
#ifndef IO_TABLE_H
#define IO_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "io/compressed-matrix.h"
#include "io/stream.h"
#include "matrix/matrix.h"

typedef struct {
  double *data; /* row-major, contiguous */
  int rows, cols;
} DMat;

typedef struct {
  int *data;
  int len;
} IntVec;

typedef struct {
  char **tok;
  int len;
} Tokens;

typedef struct TblHolder {
  const char *name;  /* for messages: "matrix", "int32 vector", ... */
  size_t value_size; /* sizeof the value struct (Mat, DMat, Vec, IntVec, Tokens, ...) */
  /* Frees what a value owns and zeroes it. */
  void (*clear)(void *value);
  /* Reads one object (its "\0B" binary marker included) into value, which holds the
   * previous value or zeroes. On failure returns false with a message in err. */
  bool (*read)(Input *in, void *value, char *err, size_t errlen);
  /* Writes one object (binary marker included when binary). */
  void (*write)(Output *out, bool binary, const void *value);
  /* Restricts a read value to the rows [r0,r1] and columns [c0,c1] of an scp range;
   * NULL for holders without ranges. False with a message when out of bounds. */
  bool (*range)(void *value, int r0, int r1, int c0, int c1, char *err, size_t errlen);
} TblHolder;

extern const TblHolder tbl_matrix_holder;        /* Mat */
extern const TblHolder tbl_compressed_matrix_holder; /* CompressedMatrix */
extern const TblHolder tbl_double_matrix_holder; /* DMat */
extern const TblHolder tbl_vector_holder;        /* Vec */
extern const TblHolder tbl_int_vector_holder;    /* IntVec */
extern const TblHolder tbl_tokens_holder;        /* Tokens (text only) */
extern const TblHolder tbl_int32_holder;         /* int (one number: lengths, dims) */
extern const TblHolder tbl_float_holder;         /* float (one number: durations) */

/* ---- Sequential reading ----
 *   TableReader *r = tbl_reader_open("ark:feats.ark", &tbl_matrix_holder);
 *   for (; !tbl_reader_done(r); tbl_reader_next(r)) {
 *     const Mat *m = tbl_reader_value(r);  ... tbl_reader_key(r) ...
 *   }
 *   tbl_reader_close(r);
 * A malformed archive, a missing scp target or a failing pipe is an ERROR naming the
 * file and key (with ",p" the reader stops quietly instead). */
typedef struct TableReader TableReader;
TableReader *tbl_reader_open(const char *rspecifier, const TblHolder *holder);
bool tbl_reader_done(TableReader *r);
const char *tbl_reader_key(TableReader *r);
const void *tbl_reader_value(TableReader *r); /* valid until tbl_reader_next */
void *tbl_reader_take_value(TableReader *r);  /* hands the value over: caller clears & frees */
void tbl_reader_next(TableReader *r);
/* Entries of an scp read with ",p" that could not be read and were skipped (with a
 * WARNING each): programs count them among the entries they report ("Done N out of M"). */
int tbl_reader_num_skipped(const TableReader *r);
void tbl_reader_close(TableReader *r);

/* ---- Random access by key ----
 * scp: looks keys up in the scp and reads the object on demand (open archive files are
 * kept and seeked). ark: reads the archive into memory on first use. */
typedef struct RandomReader RandomReader;
RandomReader *tbl_random_open(const char *rspecifier, const TblHolder *holder);
bool tbl_random_has(RandomReader *r, const char *key);
/* The object for key, or NULL when the key is absent; valid until the next call. */
const void *tbl_random_value(RandomReader *r, const char *key);
/* As tbl_random_value, but ERROR naming the table and key when absent. */
const void *tbl_random_get(RandomReader *r, const char *key);
void tbl_random_close(RandomReader *r);

/* ---- Writing ----
 * Files are written under temporary names and renamed by tbl_writer_close. */
typedef struct TableWriter TableWriter;
TableWriter *tbl_writer_open(const char *wspecifier, const TblHolder *holder);
void tbl_writer_write(TableWriter *w, const char *key, const void *value);
void tbl_writer_close(TableWriter *w);
/* Feature matrices: FM, or compressed as Kaldi's copy-feats --compress=true
 * --compression-method=N writes them when opts->compress (ERROR for a method outside 1..7).
 * Write to it with tbl_write_matrix, which compresses (ERROR naming the key for a matrix
 * the method cannot compress). */
TableWriter *tbl_matrix_writer_open(const char *wspecifier, const CompressOpts *opts);
/* Typed shorthands for the built-in holders. */
void tbl_write_matrix(TableWriter *w, const char *key, Mat m);
void tbl_write_int_vector(TableWriter *w, const char *key, const int *v, int n);

/* ---- Single objects (rxfilename / wxfilename, no key), as Kaldi's ReadKaldiObject ---- */
void tbl_read_object(const char *rxfilename, const TblHolder *holder, void *value);
void tbl_write_object(const char *wxfilename, bool binary, const TblHolder *holder, const void *value);

/* ---- Specifiers (exposed for tests and programs that inspect them) ---- */
typedef enum { TBL_NONE, TBL_ARCHIVE, TBL_SCRIPT, TBL_BOTH } TblType;
typedef struct {
  TblType type;
  bool binary;           /* writers: b (default) or t */
  bool flush;            /* writers: f / nf */
  bool once, sorted, called_sorted, permissive;
  char *archive;         /* ark target (and the ark of "ark,scp:") */
  char *script;          /* scp target (and the scp of "ark,scp:") */
} TblSpec;
/* Parses; false on a malformed specifier. Strings in spec are owned: tbl_spec_free. */
bool tbl_parse_rspecifier(const char *s, TblSpec *spec);
bool tbl_parse_wspecifier(const char *s, TblSpec *spec);
void tbl_spec_free(TblSpec *spec);

/* ---- scp lines (exposed for tests and fuzzing; parsing only, nothing is opened) ---- */
/* Splits an scp line in place into key and target (trailing space removed); false on
 * a malformed line. */
bool tbl_split_scp_line(char *line, char **key, char **target);
typedef struct {
  char *rxfilename;   /* the target without its range (owned: free) */
  int r0, r1, c0, c1; /* inclusive range; r1/c1 = -1 for "to the end" */
  bool has_range;     /* false: the whole object */
} TblScpTarget;
/* "f.ark:12[0:9,3:5]" -> rxfilename "f.ark:12" and the range; false on a bad range. */
bool tbl_parse_scp_target(const char *s, TblScpTarget *t);

/* Low-level Kaldi binary/text primitives, for holders defined elsewhere (models, WAV). */
bool kio_read_binary_marker(Input *in);            /* consumes "\0B" if present */
void kio_write_token(Output *out, bool binary, const char *tok);
bool kio_read_token(Input *in, char *tok, size_t cap); /* skips leading whitespace */
bool kio_expect_token(Input *in, const char *tok);
void kio_write_int32(Output *out, bool binary, int v);
bool kio_read_int32(Input *in, bool binary, int *v);
void kio_write_float(Output *out, bool binary, float v);
bool kio_read_float(Input *in, bool binary, float *v);
void kio_write_floats(Output *out, bool binary, const float *v, int n); /* raw binary / text */
bool kio_read_floats(Input *in, bool binary, float *v, int n);

#endif
