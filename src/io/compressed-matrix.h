/* Kaldi's compressed matrices (CompressedMatrix in matrix/compressed-matrix.cc), bit for
 * bit: what Kaldi's copy-feats --compress=true --compression-method=N writes, we write,
 * and both read them back to the same floats.
 *
 * Three formats, each a header {float min_value, range; int32 rows, cols} then data:
 *   CM  (1): per column four uint16 "percentiles" (0, 25, 75, 100%) on the global
 *            [min, min+range] scale, then one byte per element, column by column,
 *            interpolated piecewise-linearly between the column's percentiles;
 *   CM2 (2): one uint16 per element, row by row, linear on [min, min+range];
 *   CM3 (3): one uint8 per element, row by row, linear on [min, min+range].
 * The arithmetic mixes float and double exactly where Kaldi's does; compile without
 * contraction to fused multiply-add (the Makefile's -std=c11 ensures it). */
#ifndef IO_COMPRESSED_MATRIX_H
#define IO_COMPRESSED_MATRIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/options.h"
#include "matrix/matrix.h"

/* Kaldi's CompressionMethod (the values of --compression-method). */
typedef enum {
  CM_AUTOMATIC = 1,               /* CM_SPEECH_FEATURE above 8 rows, else CM_TWO_BYTE_AUTO */
  CM_SPEECH_FEATURE = 2,          /* CM */
  CM_TWO_BYTE_AUTO = 3,           /* CM2 on the matrix's [min, max] */
  CM_TWO_BYTE_SIGNED_INTEGER = 4, /* CM2 on [-32768, 32767]: exact for such integers */
  CM_ONE_BYTE_AUTO = 5,           /* CM3 on the matrix's [min, max] */
  CM_ONE_BYTE_UNSIGNED_INTEGER = 6, /* CM3 on [0, 255] */
  CM_ONE_BYTE_ZERO_ONE = 7        /* CM3 on [0, 1] */
} CompressionMethod;

typedef struct {
  int format; /* 1 CM, 2 CM2, 3 CM3 */
  float min_value, range;
  int32_t rows, cols; /* both 0 for an empty matrix (then data is NULL) */
  uint8_t *data;      /* what follows the header, cmat_data_size bytes, native byte order */
} CompressedMatrix;

/* Bytes of data after the header for c's format and size. */
size_t cmat_data_size(const CompressedMatrix *c);
/* The token that introduces the format in a binary archive: "CM", "CM2" or "CM3". */
const char *cmat_token(int format);
/* 1, 2 or 3 for "CM", "CM2", "CM3"; 0 for any other token. */
int cmat_format_from_token(const char *token);

/* Compresses m as Kaldi's CompressedMatrix::CopyFromMat(m, method) into *c (whose previous
 * data is freed). False with a message when the method is not 1..7 or, for the methods
 * that scale to the matrix's range (1, 2, 3, 5), when m has a NaN or infinity; NaN is
 * refused by every method (Kaldi silently stores 0 for it under 4, 6 and 7). */
bool cmat_compress(Mat m, int method, CompressedMatrix *c, char *err, size_t errlen);
/* The floats Kaldi's CompressedMatrix::CopyToMat gives, into *m (released and allocated). */
void cmat_decompress(const CompressedMatrix *c, Mat *m);
void cmat_free(CompressedMatrix *c);

/* --compress and --compression-method, as Kaldi's copy-feats registers them. Programs
 * that write feature matrices register these and open their writer with
 * tbl_matrix_writer_open (io/table.h). */
typedef struct {
  bool compress;
  int method;
} CompressOpts;
CompressOpts compress_opts_default(void); /* false, 1 (automatic) */
void compress_opts_register(CompressOpts *o, Options *po);

#endif
