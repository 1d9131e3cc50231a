/* Sequential and random-access table readers, and table writers. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/strmap.h"
#include "base/util.h"
#include "io/table.h"

/* ---------- script-file entries ---------- */

static bool parse_range_part(const char *s, size_t n, int *a, int *b) {
  if (n == 0) {
    *a = 0;
    *b = -1;
    return true;
  }
  char buf[64];
  if (n >= sizeof buf) return false;
  memcpy(buf, s, n);
  buf[n] = '\0';
  char *colon = strchr(buf, ':');
  if (!colon) return false;
  *colon = '\0';
  return parse_int(buf, a) && parse_int(colon + 1, b) && *a >= 0 && *b >= *a;
}

/* "f.ark:12[0:9,3:5]" -> rxfilename and range. */
bool tbl_parse_scp_target(const char *s, TblScpTarget *t) {
  size_t n = strlen(s);
  *t = (TblScpTarget){NULL, 0, -1, 0, -1, false};
  const char *open = n && s[n - 1] == ']' ? strrchr(s, '[') : NULL;
  if (!open) {
    t->rxfilename = xstrdup(s);
    return true;
  }
  const char *inner = open + 1, *close = s + n - 1;
  const char *comma = memchr(inner, ',', (size_t)(close - inner));
  bool ok = comma ? parse_range_part(inner, (size_t)(comma - inner), &t->r0, &t->r1) &&
                        parse_range_part(comma + 1, (size_t)(close - comma - 1), &t->c0, &t->c1)
                  : parse_range_part(inner, (size_t)(close - inner), &t->r0, &t->r1);
  if (!ok) return false;
  t->has_range = true;
  t->rxfilename = xasprintf("%.*s", (int)(open - s), s);
  return true;
}

bool tbl_split_scp_line(char *line, char **key, char **target) {
  char *p = line;
  while (isspace((unsigned char)*p)) p++;
  if (!*p) return false;
  *key = p;
  while (*p && !isspace((unsigned char)*p)) p++;
  if (!*p) return false;
  *p++ = '\0';
  while (isspace((unsigned char)*p)) p++;
  char *end = p + strlen(p);
  while (end > p && isspace((unsigned char)end[-1])) *--end = '\0';
  *target = p;
  return *p != '\0';
}

/* Keeps one archive file open between scp entries that point into it. */
typedef struct {
  char *file;
  Input *in;
} OpenArchive;

static void open_archive_close(OpenArchive *oa) {
  if (oa->in) input_close(oa->in, NULL, 0);
  free(oa->file);
  *oa = (OpenArchive){0};
}

/* Puts the file (or command) an object came from before a holder's message. */
static void name_source(char *err, size_t errlen, const char *rxfilename) {
  char *msg = xstrdup(err);
  snprintf(err, errlen, "%s: %s", rxfilename, msg);
  free(msg);
}

/* Reads the object an scp target names into value. */
static bool read_scp_object(const TblHolder *h, OpenArchive *cache, const char *target, void *value, char *err,
                            size_t errlen) {
  TblScpTarget t;
  if (!tbl_parse_scp_target(target, &t)) {
    snprintf(err, errlen, "bad range in '%s'", target);
    return false;
  }
  bool ok = false;
  size_t n = strlen(t.rxfilename);
  bool is_pipe = n && t.rxfilename[n - 1] == '|';
  const char *colon = strrchr(t.rxfilename, ':');
  char *file = NULL;
  long offset = -1;
  if (!is_pipe && colon && parse_long(colon + 1, &offset) && offset >= 0)
    file = xasprintf("%.*s", (int)(colon - t.rxfilename), t.rxfilename);
  if (file) {
    if (!cache->file || strcmp(cache->file, file) != 0) {
      open_archive_close(cache);
      cache->in = input_try_open(file, err, errlen);
      cache->file = xstrdup(file);
    }
    if (!cache->in) {
      open_archive_close(cache);
    } else if (!input_seek(cache->in, offset)) {
      snprintf(err, errlen, "offset %ld is past the end of %s", offset, file);
    } else if (!(ok = h->read(cache->in, value, err, errlen))) {
      name_source(err, errlen, t.rxfilename);
    }
  } else {
    Input *in = input_try_open(t.rxfilename, err, errlen);
    if (in) {
      ok = h->read(in, value, err, errlen);
      char cerr[512];
      if (!input_close(in, cerr, sizeof cerr)) {
        /* A command that failed explains an unreadable output better than the output does. */
        if (!ok) snprintf(cerr + strlen(cerr), sizeof cerr - strlen(cerr), " (its output: %s)", err);
        snprintf(err, errlen, "%s", cerr);
        ok = false;
      } else if (!ok) {
        name_source(err, errlen, t.rxfilename);
      }
    }
  }
  if (ok && t.has_range) {
    if (!h->range) {
      snprintf(err, errlen, "ranges are not supported for %s objects", h->name);
      ok = false;
    } else {
      ok = h->range(value, t.r0, t.r1, t.c0, t.c1, err, errlen);
    }
  }
  free(file);
  free(t.rxfilename);
  return ok;
}

/* ---------- sequential reader ---------- */

struct TableReader {
  const TblHolder *holder;
  TblSpec spec;
  char *rspecifier;
  Input *in; /* the archive, or the scp file */
  OpenArchive cache;
  char *key;
  size_t key_cap;
  char *line;
  size_t line_cap;
  void *value;
  bool done;
  char *prev_key; /* for the sorted check */
  int num_skipped; /* scp entries skipped under ",p" */
};

static void reader_fail(TableReader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reader_fail(TableReader *r, const char *fmt, ...) {
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (!r->spec.permissive) ERROR("reading %s: %s", r->rspecifier, msg);
  WARN("reading %s: %s (permissive: stopping)", r->rspecifier, msg);
  r->done = true;
}

/* Archive: "key " then the object. */
static bool read_archive_entry(TableReader *r) {
  int c;
  while ((c = input_peek(r->in)) != -1 && isspace(c)) input_getc(r->in);
  if (c == -1) return false;
  size_t n = 0;
  while ((c = input_peek(r->in)) != -1 && !isspace(c)) {
    if (n + 2 > r->key_cap) r->key = xrealloc(r->key, r->key_cap = r->key_cap ? 2 * r->key_cap : 64);
    r->key[n++] = (char)input_getc(r->in);
  }
  r->key[n] = '\0';
  if (c == -1) {
    reader_fail(r, "truncated archive: key '%s' has no object", r->key);
    return false;
  }
  if (c == ' ' || c == '\t') input_getc(r->in);
  char err[1024];
  if (!r->holder->read(r->in, r->value, err, sizeof err)) {
    reader_fail(r, "key %s: %s", r->key, err);
    return false;
  }
  return true;
}

static bool read_script_entry(TableReader *r) {
  for (;;) {
    if (!input_getline(r->in, &r->line, &r->line_cap)) return false;
    char *key, *target;
    char *p = r->line;
    while (isspace((unsigned char)*p)) p++;
    if (!*p) continue;
    if (!tbl_split_scp_line(r->line, &key, &target)) {
      reader_fail(r, "malformed line '%s' (expected: key rxfilename)", r->line);
      return false;
    }
    size_t n = strlen(key);
    if (n + 1 > r->key_cap) r->key = xrealloc(r->key, r->key_cap = n + 64);
    memcpy(r->key, key, n + 1);
    char err[1024];
    if (read_scp_object(r->holder, &r->cache, target, r->value, err, sizeof err)) return true;
    if (!r->spec.permissive) ERROR("reading %s: key %s: %s", r->rspecifier, r->key, err);
    WARN("reading %s: key %s: %s (permissive: skipping)", r->rspecifier, r->key, err);
    r->num_skipped++;
  }
}

static void reader_advance(TableReader *r) {
  if (r->done) return;
  bool got = r->spec.type == TBL_ARCHIVE ? read_archive_entry(r) : read_script_entry(r);
  if (!got) {
    r->done = true;
    return;
  }
  if (r->spec.sorted && r->prev_key && strcmp(r->prev_key, r->key) >= 0)
    reader_fail(r, "keys not sorted: '%s' after '%s' (the 's' option promises sorted keys)", r->key, r->prev_key);
  free(r->prev_key);
  r->prev_key = xstrdup(r->key);
}

TableReader *tbl_reader_open(const char *rspecifier, const TblHolder *holder) {
  TableReader *r = xcalloc(1, sizeof *r);
  r->holder = holder;
  r->rspecifier = xstrdup(rspecifier);
  if (!tbl_parse_rspecifier(rspecifier, &r->spec)) ERROR("bad rspecifier '%s' (expected e.g. ark:f.ark, scp:f.scp)", rspecifier);
  const char *target = r->spec.type == TBL_ARCHIVE ? r->spec.archive : r->spec.script;
  char err[1024];
  r->in = input_try_open(target, err, sizeof err);
  if (!r->in) ERROR("reading %s: %s", rspecifier, err);
  r->value = xcalloc(1, holder->value_size);
  r->key = xmalloc(r->key_cap = 64);
  reader_advance(r);
  return r;
}

bool tbl_reader_done(TableReader *r) { return r->done; }
const char *tbl_reader_key(TableReader *r) { return r->key; }
const void *tbl_reader_value(TableReader *r) { return r->value; }

void *tbl_reader_take_value(TableReader *r) {
  void *v = r->value;
  r->value = xcalloc(1, r->holder->value_size);
  return v;
}

void tbl_reader_next(TableReader *r) { reader_advance(r); }
int tbl_reader_num_skipped(const TableReader *r) { return r->num_skipped; }

void tbl_reader_close(TableReader *r) {
  char err[1024];
  bool ok = input_close(r->in, err, sizeof err);
  open_archive_close(&r->cache);
  if (!ok && !r->spec.permissive) ERROR("reading %s: %s", r->rspecifier, err);
  r->holder->clear(r->value);
  free(r->value);
  free(r->key);
  free(r->line);
  free(r->prev_key);
  free(r->rspecifier);
  tbl_spec_free(&r->spec);
  free(r);
}

/* ---------- random access ---------- */

struct RandomReader {
  const TblHolder *holder;
  char *rspecifier;
  TblSpec spec;
  StrMap *map;        /* scp: key -> target string; ark: key -> value */
  OpenArchive cache;
  void *value;        /* scp: the last value read */
};

RandomReader *tbl_random_open(const char *rspecifier, const TblHolder *holder) {
  RandomReader *r = xcalloc(1, sizeof *r);
  r->holder = holder;
  r->rspecifier = xstrdup(rspecifier);
  if (!tbl_parse_rspecifier(rspecifier, &r->spec)) ERROR("bad rspecifier '%s' (expected e.g. ark:f.ark, scp:f.scp)", rspecifier);
  r->map = strmap_new();
  if (r->spec.type == TBL_SCRIPT) {
    Input *in = input_open(r->spec.script);
    char *line = NULL, *key, *target;
    size_t cap = 0;
    int lineno = 0;
    while (input_getline(in, &line, &cap)) {
      lineno++;
      char *p = line;
      while (isspace((unsigned char)*p)) p++;
      if (!*p) continue;
      if (!tbl_split_scp_line(line, &key, &target))
        ERROR("reading %s: line %d malformed (expected: key rxfilename)", rspecifier, lineno);
      free(strmap_put(r->map, key, xstrdup(target)));
    }
    free(line);
    char err[1024];
    if (!input_close(in, err, sizeof err)) ERROR("reading %s: %s", rspecifier, err);
    r->value = xcalloc(1, holder->value_size);
  } else {
    /* An archive is read whole into memory, as Kaldi does without the s/cs options. */
    TableReader *seq = tbl_reader_open(rspecifier, holder);
    for (; !tbl_reader_done(seq); tbl_reader_next(seq)) {
      void *old = strmap_put(r->map, tbl_reader_key(seq), tbl_reader_take_value(seq));
      if (old) {
        holder->clear(old);
        free(old);
      }
    }
    tbl_reader_close(seq);
  }
  return r;
}

bool tbl_random_has(RandomReader *r, const char *key) { return strmap_has(r->map, key); }

const void *tbl_random_value(RandomReader *r, const char *key) {
  void *entry = strmap_get(r->map, key);
  if (!entry || r->spec.type != TBL_SCRIPT) return entry;
  char err[1024];
  if (!read_scp_object(r->holder, &r->cache, entry, r->value, err, sizeof err))
    ERROR("reading %s: key %s: %s", r->rspecifier, key, err);
  return r->value;
}

const void *tbl_random_get(RandomReader *r, const char *key) {
  const void *v = tbl_random_value(r, key);
  if (!v) ERROR("reading %s: key %s not found", r->rspecifier, key);
  return v;
}

void tbl_random_close(RandomReader *r) {
  for (int i = 0; i < strmap_size(r->map); i++) {
    void *v = strmap_value(r->map, i);
    if (r->spec.type != TBL_SCRIPT) r->holder->clear(v);
    free(v);
  }
  strmap_free(r->map);
  open_archive_close(&r->cache);
  if (r->value) {
    r->holder->clear(r->value);
    free(r->value);
  }
  free(r->rspecifier);
  tbl_spec_free(&r->spec);
  free(r);
}

/* ---------- writer ---------- */

struct TableWriter {
  const TblHolder *holder;
  char *wspecifier;
  TblSpec spec;
  Output *ark, *scp;
  StrMap *scp_targets; /* "scp:" writing: key -> wxfilename */
  int compression_method; /* tbl_matrix_writer_open with --compress; 0: none */
};

TableWriter *tbl_writer_open(const char *wspecifier, const TblHolder *holder) {
  TableWriter *w = xcalloc(1, sizeof *w);
  w->holder = holder;
  w->wspecifier = xstrdup(wspecifier);
  if (!tbl_parse_wspecifier(wspecifier, &w->spec))
    ERROR("bad wspecifier '%s' (expected e.g. ark:f.ark, ark,t:-, ark,scp:f.ark,f.scp)", wspecifier);
  if (w->spec.type == TBL_BOTH && (!strcmp(w->spec.archive, "-") || strchr(w->spec.archive, '|') ||
                                   (strlen(w->spec.archive) > 3 && !strcmp(w->spec.archive + strlen(w->spec.archive) - 3, ".gz"))))
    ERROR("bad wspecifier '%s': an scp with offsets needs a plain archive file", wspecifier);
  if (w->spec.type == TBL_SCRIPT) {
    w->scp_targets = strmap_new();
    Input *in = input_open(w->spec.script);
    char *line = NULL, *key, *target;
    size_t cap = 0;
    while (input_getline(in, &line, &cap))
      if (tbl_split_scp_line(line, &key, &target)) free(strmap_put(w->scp_targets, key, xstrdup(target)));
    free(line);
    input_close(in, NULL, 0);
  } else {
    w->ark = output_open(w->spec.archive);
    if (w->spec.type == TBL_BOTH) w->scp = output_open(w->spec.script);
  }
  if (w->ark && !w->spec.flush) {
    const char *a = w->spec.archive;
    /* Flush each object on streams by default, so a pipeline's next stage starts at once. */
    w->spec.flush = !strcmp(a, "-") || a[strspn(a, " ")] == '|';
  }
  return w;
}

void tbl_writer_write(TableWriter *w, const char *key, const void *value) {
  if (!*key || strpbrk(key, " \t\n\r")) ERROR("writing %s: invalid key '%s' (empty or with whitespace)", w->wspecifier, key);
  if (w->scp_targets) {
    const char *target = strmap_get(w->scp_targets, key);
    if (!target) ERROR("writing %s: key %s is not in the script file", w->wspecifier, key);
    tbl_write_object(target, w->spec.binary, w->holder, value);
    return;
  }
  output_write(w->ark, key, strlen(key));
  output_putc(w->ark, ' ');
  if (w->scp) output_printf(w->scp, "%s %s:%lld\n", key, w->spec.archive, (long long)output_tell(w->ark));
  w->holder->write(w->ark, w->spec.binary, value);
  if (w->spec.flush) output_flush(w->ark);
}

void tbl_writer_close(TableWriter *w) {
  /* Both flushed before either is committed: a full disk under the scp must not leave
   * an archive that looks complete beside it. */
  if (w->ark && w->scp) {
    output_flush(w->ark);
    output_flush(w->scp);
  }
  if (w->ark) output_close(w->ark);
  if (w->scp) output_close(w->scp);
  if (w->scp_targets) {
    for (int i = 0; i < strmap_size(w->scp_targets); i++) free(strmap_value(w->scp_targets, i));
    strmap_free(w->scp_targets);
  }
  free(w->wspecifier);
  tbl_spec_free(&w->spec);
  free(w);
}

TableWriter *tbl_matrix_writer_open(const char *wspecifier, const CompressOpts *opts) {
  if (!opts->compress) return tbl_writer_open(wspecifier, &tbl_matrix_holder);
  if (opts->method < CM_AUTOMATIC || opts->method > CM_ONE_BYTE_ZERO_ONE)
    ERROR("--compression-method=%d: expected 1 to 7 (Kaldi's CompressionMethod)", opts->method);
  TableWriter *w = tbl_writer_open(wspecifier, &tbl_compressed_matrix_holder);
  w->compression_method = opts->method;
  return w;
}

void tbl_write_matrix(TableWriter *w, const char *key, Mat m) {
  if (!w->compression_method) {
    tbl_writer_write(w, key, &m);
    return;
  }
  CompressedMatrix c = {0};
  char err[256];
  if (!cmat_compress(m, w->compression_method, &c, err, sizeof err))
    ERROR("writing %s: key %s: %s", w->wspecifier, key, err);
  tbl_writer_write(w, key, &c);
  cmat_free(&c);
}

void tbl_write_int_vector(TableWriter *w, const char *key, const int *v, int n) {
  IntVec iv = {(int *)v, n};
  tbl_writer_write(w, key, &iv);
}

/* ---------- single objects ---------- */

void tbl_read_object(const char *rxfilename, const TblHolder *holder, void *value) {
  char err[1024];
  OpenArchive cache = {0};
  bool ok = read_scp_object(holder, &cache, rxfilename, value, err, sizeof err);
  open_archive_close(&cache);
  if (!ok) ERROR("reading %s: %s", rxfilename, err);
}

void tbl_write_object(const char *wxfilename, bool binary, const TblHolder *holder, const void *value) {
  Output *out = output_open(wxfilename);
  holder->write(out, binary, value);
  output_close(out);
}
