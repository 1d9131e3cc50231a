/* Byte streams behind Kaldi's rxfilenames and wxfilenames.
 *
 * Input (rxfilename):  "file", "file:1234" (seek to byte offset), "-" (stdin),
 *                      "cmd args |" (read a command's stdout). gzip is detected and
 *                      decompressed transparently (zlib), whatever the source.
 * Output (wxfilename): "file" (written to a temporary name, renamed on output_close),
 *                      "-" (stdout), "| cmd args" (a command's stdin), "file.gz" (gzip).
 * A command that exits non-zero makes input_close/output_close fail with its name.
 * Files still open at exit (after an ERROR, say) have their temporary names removed,
 * so a failed program never leaves a file that looks complete. */
#ifndef IO_STREAM_H
#define IO_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Input Input;
typedef struct Output Output;

/* Opens for reading; ERROR (naming the file) when it cannot be opened. */
Input *input_open(const char *rxfilename);
/* As input_open, but returns NULL and leaves a message in err instead of ERROR. */
Input *input_try_open(const char *rxfilename, char *err, size_t errlen);
const char *input_name(const Input *in);
int input_getc(Input *in);               /* EOF at end */
int input_peek(Input *in);               /* next byte without consuming it, EOF at end */
size_t input_read(Input *in, void *buf, size_t n); /* bytes read; < n only at end */
bool input_seek(Input *in, int64_t offset);        /* files only */
int64_t input_tell(Input *in);
bool input_eof(Input *in);
/* Reads one line (without the newline) into *line (grown as needed); false at end. */
bool input_getline(Input *in, char **line, size_t *cap);
/* Closes; false (message in err if non-NULL) when a pipe's command failed or a read error occurred. */
bool input_close(Input *in, char *err, size_t errlen);

/* Opens for writing; ERROR when it cannot be opened. */
Output *output_open(const char *wxfilename);
const char *output_name(const Output *out);
void output_write(Output *out, const void *buf, size_t n);
void output_printf(Output *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void output_putc(Output *out, int c);
int64_t output_tell(const Output *out);  /* bytes written so far */
void output_flush(Output *out);
/* Flushes, closes and (for files) renames into place; ERROR on any write failure. */
void output_close(Output *out);
/* Closes and removes the temporary file without committing (for a run that failed). */
void output_abort(Output *out);

/* A whole small file into memory (NUL-terminated); ERROR if unreadable. Caller frees. */
char *read_whole_file(const char *rxfilename, size_t *len);

#endif
