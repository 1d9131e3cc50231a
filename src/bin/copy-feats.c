/* copy-feats: copies feature matrices between tables (binary/text conversion, subsets). */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/options.h"
#include "base/strmap.h"
#include "base/util.h"
#include "io/table.h"

/* Reads the first field of each line of a key list (or an scp / data file). */
static StrMap *read_key_list(const char *rxfilename) {
  StrMap *keys = strmap_new();
  Input *in = input_open(rxfilename);
  char *line = NULL;
  size_t cap = 0;
  while (input_getline(in, &line, &cap)) {
    char *save = NULL, *key = strtok_r(line, " \t", &save);
    if (key) strmap_put(keys, key, keys);
  }
  free(line);
  char err[512];
  if (!input_close(in, err, sizeof err)) ERROR("%s", err);
  return keys;
}

int main(int argc, char **argv) {
  const char *usage =
      "Copy feature matrices, converting between binary and text and optionally keeping a subset.\n"
      "Reads Kaldi's FM, DM and compressed (CM, CM2, CM3) matrices; writes FM (or text), or with\n"
      "--compress=true Kaldi's compressed matrices (--compression-method, 1 to 7).\n"
      "Usage: copy-feats [options] <feats-rspecifier> <feats-wspecifier>\n"
      "e.g.: copy-feats ark:raw.ark ark,t:- | head\n"
      "      copy-feats --include=data/dev/utt_list scp:feats.scp ark,scp:dev.ark,dev.scp\n"
      "      copy-feats --compress=true ark:raw.ark ark,scp:feats.ark,feats.scp\n";
  bool binary = true;
  const char *include = "", *exclude = "";
  CompressOpts compress = compress_opts_default();
  Options *po = opts_new(usage);
  opts_bool(po, "binary", &binary, "Binary-mode output (not relevant if writing to an ark,t: archive)");
  opts_string(po, "include", &include, "Copy only the keys listed (first field of each line) in this file");
  opts_string(po, "exclude", &exclude, "Skip the keys listed (first field of each line) in this file");
  compress_opts_register(&compress, po);
  opts_parse(po, argc, argv);
  if (opts_num_args(po) != 2) opts_usage_exit(po);

  StrMap *keep = *include ? read_key_list(include) : NULL;
  StrMap *drop = *exclude ? read_key_list(exclude) : NULL;
  char *wspec = binary ? xstrdup(opts_arg(po, 1)) : NULL;
  if (!binary) {
    /* --binary=false forces text, as if ",t" were in the wspecifier. */
    const char *w = opts_arg(po, 1), *colon = strchr(w, ':');
    wspec = colon ? xasprintf("%.*s,t%s", (int)(colon - w), w, colon) : xstrdup(w);
  }
  TableReader *reader = tbl_reader_open(opts_arg(po, 0), &tbl_matrix_holder);
  TableWriter *writer = tbl_matrix_writer_open(wspec, &compress);
  int done = 0, skipped = 0;
  for (; !tbl_reader_done(reader); tbl_reader_next(reader)) {
    const char *key = tbl_reader_key(reader);
    if ((keep && !strmap_has(keep, key)) || (drop && strmap_has(drop, key))) {
      skipped++;
      continue;
    }
    tbl_write_matrix(writer, key, *(const Mat *)tbl_reader_value(reader));
    done++;
  }
  tbl_reader_close(reader);
  /* An empty input is a failure and leaves no (empty) output; an empty selection is not. */
  if (done == 0 && skipped == 0) ERROR("no feature matrix in %s; nothing written", opts_arg(po, 0));
  tbl_writer_close(writer);
  LOG("Copied %d feature matrices, %d not selected", done, skipped);
  strmap_free(keep);
  strmap_free(drop);
  free(wspec);
  opts_free(po);
  return 0;
}
