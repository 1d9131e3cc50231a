/* Unit tests for src/io: specifiers, holders byte for byte, compressed matrices, gzip,
 * pipes, scp offsets and ranges, random access, and failures. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "base/util.h"
#include "io/table.h"
#include "testing.h"

static char dir[] = "/tmp/test-io-XXXXXX";

static char *path(const char *name) { return xasprintf("%s/%s", dir, name); }

static void write_bytes(const char *name, const void *data, size_t n) {
  char *p = path(name);
  FILE *f = fopen(p, "wb");
  fwrite(data, 1, n, f);
  fclose(f);
  free(p);
}

static char *slurp(const char *name, size_t *n) {
  char *p = path(name);
  char *s = read_whole_file(p, n);
  free(p);
  return s;
}

/* Runs fn in a child; true when it exited with status 1 (an ERROR). */
static bool fails(void (*fn)(void)) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    freopen("/dev/null", "w", stderr);
    fn();
    _exit(0);
  }
  int status;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 1;
}

static void test_specifiers(void) {
  TblSpec s;
  CHECK(tbl_parse_rspecifier("ark:foo.ark", &s) && s.type == TBL_ARCHIVE && !strcmp(s.archive, "foo.ark"));
  tbl_spec_free(&s);
  CHECK(tbl_parse_rspecifier("scp,s,cs,p:feats.scp", &s) && s.type == TBL_SCRIPT && s.sorted && s.called_sorted &&
        s.permissive && !strcmp(s.script, "feats.scp"));
  tbl_spec_free(&s);
  CHECK(tbl_parse_rspecifier("ark:gunzip -c x.gz |", &s) && !strcmp(s.archive, "gunzip -c x.gz |"));
  tbl_spec_free(&s);
  CHECK(tbl_parse_wspecifier("ark,scp,t:a.ark,a.scp", &s) && s.type == TBL_BOTH && !s.binary &&
        !strcmp(s.archive, "a.ark") && !strcmp(s.script, "a.scp"));
  tbl_spec_free(&s);
  CHECK(tbl_parse_wspecifier("ark,t,f:-", &s) && !s.binary && s.flush);
  tbl_spec_free(&s);
  CHECK(!tbl_parse_rspecifier("foo.ark", &s));
  CHECK(!tbl_parse_rspecifier("ark:", &s));
  CHECK(!tbl_parse_rspecifier("ark,zz:x", &s));
  CHECK(!tbl_parse_rspecifier("ark,scp:a,b", &s)); /* write-only form */
  CHECK(!tbl_parse_wspecifier("ark,scp:a.ark", &s));
  CHECK(!tbl_parse_wspecifier("ark,o:a.ark", &s)); /* read-only option */
}

/* The exact bytes Kaldi writes for a 2x3 float matrix, binary and text. */
static void test_matrix_bytes(void) {
  float vals[6] = {1, 2, 3, 4, 5, 6.25f};
  Mat m = mat_view(vals, 2, 3, 3);
  char *p = path("m.ark");
  char *spec = xasprintf("ark:%s", p);
  TableWriter *w = tbl_writer_open(spec, &tbl_matrix_holder);
  tbl_write_matrix(w, "utt1", m);
  tbl_writer_close(w);
  size_t n;
  char *got = slurp("m.ark", &n);
  unsigned char expect[5 + 2 + 3 + 10 + 24];
  size_t k = 0;
  memcpy(expect, "utt1 \0BFM ", 10); k = 10;
  expect[k++] = 4; int32_t r = 2; memcpy(expect + k, &r, 4); k += 4;
  expect[k++] = 4; int32_t c = 3; memcpy(expect + k, &c, 4); k += 4;
  memcpy(expect + k, vals, 24); k += 24;
  CHECK(n == k && !memcmp(got, expect, k));
  free(got);
  free(spec);
  spec = xasprintf("ark,t:%s", p);
  w = tbl_writer_open(spec, &tbl_matrix_holder);
  tbl_write_matrix(w, "utt1", m);
  tbl_write_matrix(w, "empty", mat_view(vals, 0, 0, 0));
  tbl_writer_close(w);
  got = slurp("m.ark", &n);
  CHECK(!strcmp(got, "utt1  [\n  1 2 3 \n  4 5 6.25 ]\nempty  [ ]\n"));
  free(got);
  free(spec);
  free(p);
}

static void test_vector_and_int_bytes(void) {
  float v[2] = {0.5f, -1};
  Vec vec = {v, 2};
  int ints[3] = {3, 0, 17};
  IntVec iv = {ints, 3};
  char *p = path("v.ark");
  char *spec = xasprintf("ark,t:%s", p);
  TableWriter *w = tbl_writer_open(spec, &tbl_vector_holder);
  tbl_writer_write(w, "a", &vec);
  tbl_writer_close(w);
  size_t n;
  char *got = slurp("v.ark", &n);
  CHECK(!strcmp(got, "a  [ 0.5 -1 ]\n"));
  free(got);
  w = tbl_writer_open(spec, &tbl_int_vector_holder);
  tbl_writer_write(w, "a", &iv);
  tbl_writer_close(w);
  got = slurp("v.ark", &n);
  CHECK(!strcmp(got, "a 3 0 17 \n"));
  free(got);
  free(spec);
  spec = xasprintf("ark:%s", p);
  w = tbl_writer_open(spec, &tbl_int_vector_holder);
  tbl_writer_write(w, "a", &iv);
  tbl_writer_close(w);
  got = slurp("v.ark", &n);
  const unsigned char expect[] = {'a', ' ', 0, 'B', 4, 3, 0, 0, 0, 4, 3, 0, 0, 0, 4, 0, 0, 0, 0, 4, 17, 0, 0, 0};
  CHECK(n == sizeof expect && !memcmp(got, expect, n));
  free(got);
  TableReader *r = tbl_reader_open(spec, &tbl_int_vector_holder);
  CHECK(!tbl_reader_done(r));
  const IntVec *back = tbl_reader_value(r);
  CHECK(back->len == 3 && back->data[2] == 17);
  tbl_reader_close(r);
  free(spec);
  free(p);
}

/* Reads a text archive of each holder and writes it back unchanged. */
static void check_text_roundtrip(const TblHolder *h, const char *text) {
  write_bytes("in.txt", text, strlen(text));
  char *in = path("in.txt"), *out = path("out.txt"), *bin = path("out.ark");
  char *rs = xasprintf("ark:%s", in), *ws = xasprintf("ark,t:%s", out), *wb = xasprintf("ark:%s", bin);
  char *rb = xasprintf("ark:%s", bin);
  TableReader *r = tbl_reader_open(rs, h);
  TableWriter *w = tbl_writer_open(wb, h);
  for (; !tbl_reader_done(r); tbl_reader_next(r)) tbl_writer_write(w, tbl_reader_key(r), tbl_reader_value(r));
  tbl_reader_close(r);
  tbl_writer_close(w);
  r = tbl_reader_open(rb, h); /* binary back to text */
  w = tbl_writer_open(ws, h);
  for (; !tbl_reader_done(r); tbl_reader_next(r)) tbl_writer_write(w, tbl_reader_key(r), tbl_reader_value(r));
  tbl_reader_close(r);
  tbl_writer_close(w);
  size_t n;
  char *got = slurp("out.txt", &n);
  if (strcmp(got, text)) fprintf(stderr, "  %s round trip gave:\n%s\n", h->name, got);
  CHECK(!strcmp(got, text));
  free(got); free(in); free(out); free(bin); free(rs); free(ws); free(wb); free(rb);
}

static void test_text_roundtrips(void) {
  check_text_roundtrip(&tbl_matrix_holder, "u1  [\n  1.5 -2 3e-09 \n  0.1234567 5 6 ]\nu2  [\n  7 ]\n");
  check_text_roundtrip(&tbl_double_matrix_holder, "spk1  [\n  10 20 2 \n  50 80 0 ]\n");
  check_text_roundtrip(&tbl_vector_holder, "a  [ 1 2 3 ]\nb  [ ]\n");
  check_text_roundtrip(&tbl_int_vector_holder, "a 1 2 3 \nb \nc 42 \n");
  check_text_roundtrip(&tbl_int32_holder, "a 12 \nb -3 \n");
}

static void test_tokens(void) {
  const char *text = "utt1 hello  world\nutt2\nutt3 a\n";
  write_bytes("text", text, strlen(text));
  char *p = path("text"), *spec = xasprintf("ark:%s", p);
  TableReader *r = tbl_reader_open(spec, &tbl_tokens_holder);
  const Tokens *t = tbl_reader_value(r);
  CHECK(!strcmp(tbl_reader_key(r), "utt1") && t->len == 2 && !strcmp(t->tok[1], "world"));
  tbl_reader_next(r);
  CHECK(!strcmp(tbl_reader_key(r), "utt2") && ((const Tokens *)tbl_reader_value(r))->len == 0);
  tbl_reader_next(r);
  CHECK(!strcmp(tbl_reader_key(r), "utt3"));
  tbl_reader_next(r);
  CHECK(tbl_reader_done(r));
  tbl_reader_close(r);
  free(p);
  free(spec);
}

/* Compressed matrices built byte by byte from Kaldi's published layout. */
static void test_compressed(void) {
  unsigned char buf[256];
  size_t k = 0;
  float minv = -1, range = 2;
  int32_t rows = 2, cols = 2;
#define PUT(x) (memcpy(buf + k, &(x), sizeof(x)), k += sizeof(x))
  /* CM2: uint16 row-major, value = min + range * v / 65535 */
  memcpy(buf, "a \0BCM2 ", 8); k = 8;
  PUT(minv); PUT(range); PUT(rows); PUT(cols);
  uint16_t v2[4] = {0, 65535, 32768, 16384};
  PUT(v2);
  /* CM3: uint8 row-major, value = min + range * v / 255 */
  memcpy(buf + k, "b \0BCM3 ", 8); k += 8;
  PUT(minv); PUT(range); PUT(rows); PUT(cols);
  uint8_t v3[4] = {0, 255, 51, 102};
  PUT(v3);
  /* CM: per-column percentiles then bytes column-major. With min 0 and range 65535 the
   * uint16 header values decode to themselves; percentiles 0/64/192/255 make every byte
   * decode to itself. The second column is (p0,p25,p75,p100) = (10,20,30,40). */
  float min1 = 0, range1 = 65535;
  memcpy(buf + k, "c \0BCM ", 7); k += 7;
  rows = 3;
  PUT(min1); PUT(range1); PUT(rows); PUT(cols);
  uint16_t ph[8] = {0, 64, 192, 255, 10, 20, 30, 40};
  PUT(ph);
  uint8_t bytes[6] = {0, 100, 255, /* col 2: */ 32, 128, 223};
  PUT(bytes);
#undef PUT
  write_bytes("c.ark", buf, k);
  char *p = path("c.ark"), *spec = xasprintf("ark:%s", p);
  TableReader *r = tbl_reader_open(spec, &tbl_matrix_holder);
  const Mat *m = tbl_reader_value(r);
  CHECK_NEAR(*mat_at(*m, 0, 0), -1, 1e-6);
  CHECK_NEAR(*mat_at(*m, 0, 1), 1, 1e-6);
  CHECK_NEAR(*mat_at(*m, 1, 0), -1 + 2 * 32768 / 65535.0, 1e-6);
  CHECK_NEAR(*mat_at(*m, 1, 1), -1 + 2 * 16384 / 65535.0, 1e-6);
  tbl_reader_next(r);
  m = tbl_reader_value(r);
  CHECK_NEAR(*mat_at(*m, 0, 1), 1, 1e-6);
  CHECK_NEAR(*mat_at(*m, 1, 0), -1 + 2 * 51 / 255.0, 1e-6);
  CHECK_NEAR(*mat_at(*m, 1, 1), -1 + 2 * 102 / 255.0, 1e-6);
  tbl_reader_next(r);
  m = tbl_reader_value(r);
  CHECK(m->rows == 3 && m->cols == 2);
  CHECK_NEAR(*mat_at(*m, 0, 0), 0, 1e-3);
  CHECK_NEAR(*mat_at(*m, 1, 0), 100, 1e-3);
  CHECK_NEAR(*mat_at(*m, 2, 0), 255, 1e-3);
  CHECK_NEAR(*mat_at(*m, 0, 1), 10 + 10 * 32 / 64.0, 1e-3);     /* first segment */
  CHECK_NEAR(*mat_at(*m, 1, 1), 20 + 10 * 64 / 128.0, 1e-3);    /* middle segment */
  CHECK_NEAR(*mat_at(*m, 2, 1), 30 + 10 * 31 / 63.0, 1e-3);     /* last segment */
  tbl_reader_next(r);
  CHECK(tbl_reader_done(r));
  tbl_reader_close(r);
  free(p);
  free(spec);
}

/* The compressed-matrix holder keeps CM, CM2 and CM3 as stored: Kaldi's archives of every
 * method (tests/reference/kaldi) copy through it byte for byte. */
static void test_compressed_holder_copies_kaldi_bytes(void) {
  for (int method = 1; method <= 7; method++) {
    char *src = xasprintf("tests/reference/kaldi/compressed-%d.ark", method), *dst = path("copy.ark");
    char *rspec = xasprintf("ark:%s", src), *wspec = xasprintf("ark:%s", dst);
    TableReader *r = tbl_reader_open(rspec, &tbl_compressed_matrix_holder);
    TableWriter *w = tbl_writer_open(wspec, &tbl_compressed_matrix_holder);
    int n = 0;
    for (; !tbl_reader_done(r); tbl_reader_next(r), n++) tbl_writer_write(w, tbl_reader_key(r), tbl_reader_value(r));
    tbl_reader_close(r);
    tbl_writer_close(w);
    size_t a, b;
    char *x = read_whole_file(src, &a), *y = read_whole_file(dst, &b);
    CHECK(n == 14 && a == b && !memcmp(x, y, a));
    free(x); free(y); free(src); free(dst); free(rspec); free(wspec);
  }
}

/* cmat_compress's refusals, the empty matrix, and integers kept exactly by method 4. */
static void test_compress_edges(void) {
  char err[256];
  CompressedMatrix c = {0};
  Mat m = mat_alloc(2, 3);
  for (int i = 0; i < 6; i++) m.data[i] = (float)(i * 1000 - 2500);
  CHECK(!cmat_compress(m, 0, &c, err, sizeof err) && strstr(err, "1 to 7"));
  CHECK(!cmat_compress(m, 8, &c, err, sizeof err));
  CHECK(cmat_compress(m, CM_TWO_BYTE_SIGNED_INTEGER, &c, err, sizeof err) && c.format == 2);
  Mat back = {0};
  cmat_decompress(&c, &back);
  CHECK(mat_same_shape(back, m) && mat_max_abs_diff(back, m) == 0);
  m.data[4] = NAN;
  CHECK(!cmat_compress(m, CM_ONE_BYTE_ZERO_ONE, &c, err, sizeof err) && strstr(err, "NaN (row 1, column 1)"));
  m.data[4] = INFINITY;
  CHECK(!cmat_compress(m, CM_AUTOMATIC, &c, err, sizeof err) && strstr(err, "infinities"));
  CHECK(cmat_compress(m, CM_ONE_BYTE_UNSIGNED_INTEGER, &c, err, sizeof err));
  /* Empty: "CM " and a zero header (Kaldi's reader takes it; Kaldi's writer adds 4 bytes). */
  mat_release(&m);
  CHECK(cmat_compress(m, CM_AUTOMATIC, &c, err, sizeof err) && c.rows == 0 && !c.data);
  char *p = path("empty.ark"), *spec = xasprintf("ark:%s", p);
  TableWriter *w = tbl_writer_open(spec, &tbl_compressed_matrix_holder);
  tbl_writer_write(w, "e", &c);
  tbl_writer_close(w);
  size_t n;
  char *bytes = slurp("empty.ark", &n);
  CHECK(n == 23 && !memcmp(bytes, "e \0BCM ", 7));
  TableReader *r = tbl_reader_open(spec, &tbl_matrix_holder);
  CHECK(!tbl_reader_done(r) && ((const Mat *)tbl_reader_value(r))->rows == 0);
  tbl_reader_close(r);
  free(bytes); free(p); free(spec);
  mat_release(&back);
  cmat_free(&c);
}

static void test_gzip_and_pipes(void) {
  const char *text = "x  [\n  1 2 ]\n";
  char *gzp = path("t.ark.gz");
  gzFile gz = gzopen(gzp, "wb");
  gzwrite(gz, text, (unsigned)strlen(text));
  gzclose(gz);
  char *spec = xasprintf("ark:%s", gzp);
  TableReader *r = tbl_reader_open(spec, &tbl_matrix_holder);
  CHECK(!tbl_reader_done(r) && ((const Mat *)tbl_reader_value(r))->cols == 2);
  tbl_reader_close(r);
  free(spec);
  spec = xasprintf("ark:gunzip -c %s |", gzp);
  r = tbl_reader_open(spec, &tbl_matrix_holder);
  CHECK(!tbl_reader_done(r) && !strcmp(tbl_reader_key(r), "x"));
  tbl_reader_close(r);
  free(spec);
  char *outp = path("piped.txt");
  spec = xasprintf("ark,t:| sed 's/x/y/' > %s", outp);
  TableWriter *w = tbl_writer_open(spec, &tbl_matrix_holder);
  float v[2] = {1, 2};
  tbl_write_matrix(w, "x", mat_view(v, 1, 2, 2));
  tbl_writer_close(w);
  size_t n;
  char *got = slurp("piped.txt", &n);
  CHECK(!strcmp(got, "y  [\n  1 2 ]\n"));
  free(got); free(spec); free(outp); free(gzp);
}

static void test_scp_offsets_ranges_random(void) {
  char *ark = path("r.ark"), *scp = path("r.scp");
  char *ws = xasprintf("ark,scp:%s,%s", ark, scp);
  TableWriter *w = tbl_writer_open(ws, &tbl_matrix_holder);
  Mat m = mat_alloc(5, 3);
  for (int i = 0; i < 15; i++) m.data[i] = (float)i;
  tbl_write_matrix(w, "a", m);
  m.data[0] = 100;
  tbl_write_matrix(w, "b", m);
  tbl_writer_close(w);
  /* A range line referring into the archive: rows 1..2, cols 1..2 of b. */
  size_t n;
  char *lines = slurp("r.scp", &n);
  char *b_line = strstr(lines, "b ");
  CHECK(b_line != NULL);
  char *target = xasprintf("%.*s", (int)strcspn(b_line + 2, "\n"), b_line + 2);
  char *extra = xasprintf("%sbr %s[1:2,1:2]\nbrows %s[3:4]\n", lines, target, target);
  write_bytes("r2.scp", extra, strlen(extra));
  char *scp2 = path("r2.scp"), *rs = xasprintf("scp:%s", scp2);
  RandomReader *rr = tbl_random_open(rs, &tbl_matrix_holder);
  CHECK(tbl_random_has(rr, "a") && !tbl_random_has(rr, "zz"));
  const Mat *b = tbl_random_get(rr, "b");
  CHECK(*mat_at(*b, 0, 0) == 100);
  const Mat *a = tbl_random_get(rr, "a");
  CHECK(*mat_at(*a, 0, 0) == 0 && *mat_at(*a, 4, 2) == 14);
  const Mat *br = tbl_random_get(rr, "br");
  CHECK(br->rows == 2 && br->cols == 2 && *mat_at(*br, 0, 0) == 4 && *mat_at(*br, 1, 1) == 8);
  const Mat *brows = tbl_random_get(rr, "brows");
  CHECK(brows->rows == 2 && brows->cols == 3 && *mat_at(*brows, 0, 0) == 9);
  CHECK(tbl_random_value(rr, "zz") == NULL);
  tbl_random_close(rr);
  /* Random access on an archive. */
  free(rs);
  rs = xasprintf("ark:%s", ark);
  rr = tbl_random_open(rs, &tbl_matrix_holder);
  CHECK(*mat_at(*(const Mat *)tbl_random_get(rr, "b"), 0, 0) == 100);
  tbl_random_close(rr);
  mat_release(&m);
  free(ark); free(scp); free(ws); free(lines); free(target); free(extra); free(scp2); free(rs);
}

static void read_all(const char *spec) {
  TableReader *r = tbl_reader_open(spec, &tbl_matrix_holder);
  while (!tbl_reader_done(r)) tbl_reader_next(r);
  tbl_reader_close(r);
}
static char *fail_spec;
static void read_fail_spec(void) { read_all(fail_spec); }
static void random_missing_key(void) {
  RandomReader *rr = tbl_random_open(fail_spec, &tbl_matrix_holder);
  tbl_random_get(rr, "nope");
}

static bool spec_fails(void (*fn)(void), const char *fmt, const char *name) {
  char *p = path(name);
  fail_spec = xasprintf(fmt, p);
  bool f = fails(fn);
  free(fail_spec);
  free(p);
  return f;
}

static void test_failures(void) {
  const char trunc[] = "u \0BFM \4\2\0\0\0\4\2\0\0\0\0\0\200?";
  write_bytes("trunc.ark", trunc, sizeof trunc - 1);
  write_bytes("badtok.ark", "u \0BXX \4\1\0\0\0", 11);
  write_bytes("notext.ark", "u  [ 1 2 \n 3 ]\n", 15);
  write_bytes("ok.ark", "u  [ 1 ]\n", 9);
  /* Found by fuzzing: a header claiming 65535 x 65535 floats must fail as truncated,
   * without trying to allocate 16 GiB first. */
  const char huge[] = "u \0BFM \4\377\377\0\0\4\377\377\0\0\0\0\0\0";
  write_bytes("huge.ark", huge, sizeof huge - 1); /* (a length past the literal read beyond it) */
  CHECK(spec_fails(read_fail_spec, "ark:%s", "trunc.ark"));
  CHECK(spec_fails(read_fail_spec, "ark:%s", "badtok.ark"));
  CHECK(spec_fails(read_fail_spec, "ark:%s", "notext.ark")); /* ragged rows */
  CHECK(spec_fails(read_fail_spec, "ark:%s", "missing.ark"));
  CHECK(spec_fails(read_fail_spec, "ark:%s", "huge.ark"));
  CHECK(spec_fails(read_fail_spec, "ark:false |%s", "x"));
  CHECK(spec_fails(read_fail_spec, "notaspec%s", "x"));
  CHECK(spec_fails(random_missing_key, "ark:%s", "ok.ark"));
  CHECK(!spec_fails(read_fail_spec, "ark:%s", "ok.ark"));
  CHECK(!spec_fails(read_fail_spec, "ark,p:%s", "trunc.ark")); /* permissive stops quietly */
}

int main(void) {
  if (!mkdtemp(dir)) return 1;
  RUN(test_specifiers);
  RUN(test_matrix_bytes);
  RUN(test_vector_and_int_bytes);
  RUN(test_text_roundtrips);
  RUN(test_tokens);
  RUN(test_compressed);
  RUN(test_compressed_holder_copies_kaldi_bytes);
  RUN(test_compress_edges);
  RUN(test_gzip_and_pipes);
  RUN(test_scp_offsets_ranges_random);
  RUN(test_failures);
  char *cmd = xasprintf("rm -rf %s", dir);
  if (system(cmd) != 0) return 1;
  free(cmd);
  return test_summary();
}
