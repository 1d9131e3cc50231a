/* The model file (format in nnet.h). Every layer is stored as its kind and settings,
 * so reading re-runs the kind's configure() and checks the stored dims and parameter
 * count against it: a file from a different version of a layer is rejected, not
 * misread. Text mode prints floats with 9 significant digits (exact round trip). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "nnet/nnet-internal.h"

#define NNET_FILE_VERSION 1

static void write_floats(Output *out, bool binary, const float *v, int n) {
  if (binary) {
    kio_write_floats(out, true, v, n);
    return;
  }
  output_putc(out, '[');
  for (int i = 0; i < n; i++) output_printf(out, "%s%.9g", i % 8 ? " " : "\n  ", v[i]);
  output_printf(out, " ]\n");
}

void nnet_write_to(const Nnet *n, Output *out, bool binary) {
  if (binary) output_write(out, "\0B", 2);
  kio_write_token(out, binary, "<Nnet>");
  kio_write_token(out, binary, "<Version>");
  kio_write_int32(out, binary, NNET_FILE_VERSION);
  kio_write_token(out, binary, "<InputDim>");
  kio_write_int32(out, binary, n->input_dim);
  kio_write_token(out, binary, "<OutputDim>");
  kio_write_int32(out, binary, n->output_dim);
  kio_write_token(out, binary, "<NumLayers>");
  kio_write_int32(out, binary, n->num_layers);
  kio_write_token(out, binary, "<NumParams>");
  kio_write_int32(out, binary, n->num_params);
  for (int i = 0; i < n->num_layers; i++) {
    const NnetLayer *l = &n->layers[i];
    if (!binary) output_putc(out, '\n');
    kio_write_token(out, binary, "<Layer>");
    kio_write_token(out, binary, l->kind->name);
    char cfg[NNET_CONFIG_LEN], *save = NULL;
    snprintf(cfg, sizeof(cfg), "%s", l->config);
    int nargs = 0;
    for (const char *p = cfg; *p; p++) nargs += (p == cfg || p[-1] == ' ') && *p != ' ';
    kio_write_token(out, binary, "<Config>");
    kio_write_int32(out, binary, nargs);
    for (char *tok = strtok_r(cfg, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
      kio_write_token(out, binary, tok);
    kio_write_token(out, binary, "<InDim>");
    kio_write_int32(out, binary, l->in_dim);
    kio_write_token(out, binary, "<OutDim>");
    kio_write_int32(out, binary, l->out_dim);
    kio_write_token(out, binary, "<NumParams>");
    kio_write_int32(out, binary, l->num_params);
    kio_write_token(out, binary, "<Params>");
    write_floats(out, binary, n->params + l->param_offset, l->num_params);
  }
  if (!binary) output_putc(out, '\n');
  kio_write_token(out, binary, "<NumExtras>");
  kio_write_int32(out, binary, n->num_extras);
  for (int i = 0; i < n->num_extras; i++) {
    kio_write_token(out, binary, "<Extra>");
    kio_write_token(out, binary, n->extras[i].name);
    kio_write_token(out, binary, "<Dim>");
    kio_write_int32(out, binary, n->extras[i].dim);
    write_floats(out, binary, n->extras[i].v, n->extras[i].dim);
  }
  kio_write_token(out, binary, "</Nnet>");
  if (!binary) output_putc(out, '\n');
}

void nnet_write(const Nnet *n, const char *wxfilename, bool binary) {
  Output *out = output_open(wxfilename);
  nnet_write_to(n, out, binary);
  output_close(out);
}

/* Readers that ERROR with the file name and what was expected. */
typedef struct {
  Input *in;
  const char *name;
  bool binary;
} Reader;

static _Noreturn void bad(const Reader *r, const char *what) {
  ERROR("%s: bad or truncated model file: %s", r->name, what);
}

static void expect(const Reader *r, const char *tok) {
  char buf[256];
  if (!kio_read_token(r->in, buf, sizeof(buf))) bad(r, tok);
  if (strcmp(buf, tok) != 0) {
    char msg[400];
    snprintf(msg, sizeof(msg), "expected %s, found '%s'", tok, buf);
    bad(r, msg);
  }
}

static int read_int(const Reader *r, const char *tok) {
  expect(r, tok);
  int v;
  if (!kio_read_int32(r->in, r->binary, &v)) bad(r, tok);
  return v;
}

static void read_floats(const Reader *r, float *v, int n, const char *what) {
  if (r->binary) {
    if (!kio_read_floats(r->in, true, v, n)) bad(r, what);
    return;
  }
  expect(r, "[");
  if (!kio_read_floats(r->in, false, v, n)) bad(r, what);
  expect(r, "]");
}

/* A model with a NaN or an infinity computes nothing meaningful: rejected at reading,
 * naming the part (layer or extra vector, index and name) that holds it. */
static void check_finite(const Reader *r, const float *v, int n, const char *part, int index, const char *name) {
  for (int k = 0; k < n; k++)
    if (!isfinite(v[k]))
      ERROR("%s: %s %d (%s) has a non-finite parameter: %s at position %d of %d", r->name, part, index, name,
            isnan(v[k]) ? "NaN" : "infinity", k, n);
}

static void read_layer(const Reader *r, int i, int in_dim, NnetLayer *l) {
  char kind_name[64], settings[NNET_CONFIG_LEN] = "", msg[600];
  expect(r, "<Layer>");
  if (!kio_read_token(r->in, kind_name, sizeof(kind_name))) bad(r, "layer kind");
  const NnetLayerKind *kind = nnet_layer_kind_find(kind_name);
  if (!kind) ERROR("%s: layer %d has unknown kind '%s' (known: %s)", r->name, i, kind_name, nnet_layer_kind_names());
  int nargs = read_int(r, "<Config>");
  if (nargs < 0 || nargs > NNET_MAX_ARGS) bad(r, "layer settings count");
  for (int k = 0; k < nargs; k++) {
    char tok[160];
    if (!kio_read_token(r->in, tok, sizeof(tok))) bad(r, "layer settings");
    size_t len = strlen(settings);
    snprintf(settings + len, sizeof(settings) - len, "%s%s", k ? " " : "", tok);
  }
  char err[300];
  if (!nnet_layer_configure(l, kind, in_dim, settings, 0, err, sizeof(err)))
    ERROR("%s: layer %d (%s %s): %s", r->name, i, kind_name, settings, err);
  int id = read_int(r, "<InDim>"), od = read_int(r, "<OutDim>"), np = read_int(r, "<NumParams>");
  if (id != l->in_dim || od != l->out_dim || np != l->num_params) {
    snprintf(msg, sizeof(msg), "layer %d (%s %s) stored as %d->%d with %d parameters, expected %d->%d with %d", i,
             kind_name, settings, id, od, np, l->in_dim, l->out_dim, l->num_params);
    bad(r, msg);
  }
}

Nnet *nnet_read_from(Input *in, const char *name) {
  Reader r = {in, name, kio_read_binary_marker(in)};
  char tok[64];
  if (!kio_read_token(in, tok, sizeof(tok)) || strcmp(tok, "<Nnet>") != 0)
    ERROR("%s: not a model file (no <Nnet> at the start)", name);
  int version = read_int(&r, "<Version>");
  if (version != NNET_FILE_VERSION)
    ERROR("%s: model file version %d, this program reads version %d", name, version, NNET_FILE_VERSION);
  int in_dim = read_int(&r, "<InputDim>"), out_dim = read_int(&r, "<OutputDim>");
  int L = read_int(&r, "<NumLayers>"), P = read_int(&r, "<NumParams>");
  if (in_dim <= 0 || out_dim <= 0 || L <= 0 || L > 100000 || P < 0) bad(&r, "header values");
  NnetLayer *layers = xcalloc((size_t)L, sizeof(NnetLayer));
  float *params = xmalloc(sizeof(float));
  int dim = in_dim, total = 0;
  size_t cap = 0;
  for (int i = 0; i < L; i++) {
    read_layer(&r, i, dim, &layers[i]);
    dim = layers[i].out_dim;
    if (layers[i].num_params > NNET_MAX_PARAMS - total) bad(&r, "more parameters than a network may have");
    expect(&r, "<Params>");
    if (!r.binary) expect(&r, "[");
    /* in chunks, growing the buffer as data arrives: a truncated file claiming a huge
     * layer fails before it is all allocated */
    for (int done = 0, chunk; done < layers[i].num_params; done += chunk) {
      chunk = layers[i].num_params - done < (1 << 20) ? layers[i].num_params - done : (1 << 20);
      if ((size_t)(total + done + chunk) > cap) {
        cap = 2 * cap > (size_t)(total + done + chunk) ? 2 * cap : (size_t)(total + done + chunk);
        params = xrealloc(params, sizeof(float) * cap);
      }
      if (!kio_read_floats(in, r.binary, params + total + done, chunk)) bad(&r, "parameters");
    }
    if (!r.binary) expect(&r, "]");
    check_finite(&r, params + total, layers[i].num_params, "layer", i, layers[i].kind->name);
    total += layers[i].num_params;
  }
  Nnet *n = nnet_from_layers(in_dim, layers, L);
  free(layers);
  if (total != P || n->output_dim != out_dim) bad(&r, "header disagrees with the layers");
  memcpy(n->params, params, sizeof(float) * (size_t)total);
  free(params);
  char err[256];
  if (!nnet_check(n, err, sizeof(err))) ERROR("%s: %s", name, err);
  int ne = read_int(&r, "<NumExtras>");
  if (ne < 0 || ne > 100000) bad(&r, "extras count");
  for (int i = 0; i < ne; i++) {
    char ename[NNET_EXTRA_NAME];
    expect(&r, "<Extra>");
    if (!kio_read_token(in, ename, sizeof(ename))) bad(&r, "extra name");
    int d = read_int(&r, "<Dim>");
    if (d < 0 || d > NNET_MAX_DIM) bad(&r, "extra dim");
    float *v = xmalloc(sizeof(float) * (size_t)(d + 1));
    read_floats(&r, v, d, "extra vector");
    check_finite(&r, v, d, "extra vector", i, ename);
    nnet_set_extra(n, ename, v, d);
    free(v);
  }
  expect(&r, "</Nnet>");
  n->source = xstrdup(name);
  return n;
}

Nnet *nnet_read(const char *rxfilename) {
  Input *in = input_open(rxfilename);
  Nnet *n = nnet_read_from(in, rxfilename);
  char err[256];
  if (!input_close(in, err, sizeof(err))) ERROR("%s: %s", rxfilename, err);
  return n;
}
