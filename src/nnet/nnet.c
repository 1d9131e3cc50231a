/* Networks: creation from a config, copies, shapes, parameter slices, extras. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "io/stream.h"
#include "nnet/nnet-internal.h"

Nnet *nnet_from_layers(int input_dim, const NnetLayer *layers, int num_layers) {
  Nnet *n = xcalloc(1, sizeof(*n));
  n->input_dim = input_dim;
  n->num_layers = num_layers;
  n->layers = xmalloc(sizeof(NnetLayer) * (size_t)(num_layers > 0 ? num_layers : 1));
  memcpy(n->layers, layers, sizeof(NnetLayer) * (size_t)num_layers);
  int off = 0;
  for (int i = 0; i < num_layers; i++) {
    n->layers[i].param_offset = off;
    if (n->layers[i].num_params > NNET_MAX_PARAMS - off) ERROR("network of more than %d parameters", NNET_MAX_PARAMS);
    off += n->layers[i].num_params;
  }
  n->num_params = off;
  n->output_dim = num_layers ? layers[num_layers - 1].out_dim : input_dim;
  n->params = xcalloc((size_t)(off > 0 ? off : 1), sizeof(float));
  return n;
}

bool nnet_check(const Nnet *n, char *err, size_t errlen) {
  if (n->num_layers == 0) {
    snprintf(err, errlen, "no layers");
    return false;
  }
  for (int i = 1; i < n->num_layers; i++)
    if (n->layers[i].in_dim != n->layers[i - 1].out_dim) {
      snprintf(err, errlen, "layer %d input dim %d != layer %d output dim %d", i, n->layers[i].in_dim, i - 1,
               n->layers[i - 1].out_dim);
      return false;
    }
  if (n->layers[0].in_dim != n->input_dim) {
    snprintf(err, errlen, "first layer input dim %d != input dim %d", n->layers[0].in_dim, n->input_dim);
    return false;
  }
  if (strcmp(n->layers[n->num_layers - 1].kind->name, "log-softmax") != 0) {
    snprintf(err, errlen, "the last layer must be log-softmax (CTC needs log-probabilities)");
    return false;
  }
  if (n->output_dim < 2) {
    snprintf(err, errlen, "output dim %d: CTC needs blank (0) and at least one unit", n->output_dim);
    return false;
  }
  return true;
}

/* Trims comments and surrounding blanks in place. */
static char *trim(char *s) {
  char *h = strchr(s, '#');
  if (h) *h = 0;
  while (isspace((unsigned char)*s)) s++;
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1])) s[--n] = 0;
  return s;
}

/* "input-dim=N" / "output-dim=N" lines; true when the line is one of them. */
static bool header_line(const char *line, const char *name, int lineno, int *dims) {
  const char *keys[2] = {"input-dim=", "output-dim="};
  for (int k = 0; k < 2; k++) {
    size_t kl = strlen(keys[k]);
    if (strncmp(line, keys[k], kl) != 0) continue;
    if (!parse_int(line + kl, &dims[k]) || dims[k] <= 0)
      ERROR("%s line %d: bad value in '%s'", name, lineno, line);
    return true;
  }
  return false;
}

/* The layers of a config's text, the first taking in_dim (0: the config's input-dim=);
 * affine without dim= gets output_dim (0: the config's output-dim=). dims[] returns the
 * config's own input-dim= and output-dim= (0 when absent). */
static NnetLayer *parse_layers(const char *text, const char *name, int in_dim, int output_dim, int dims[2],
                               int *num_out) {
  char *buf = xstrdup(text);
  int cap = 8, num = 0, lineno = 0;
  dims[0] = dims[1] = 0;
  NnetLayer *layers = xmalloc(sizeof(NnetLayer) * (size_t)cap);
  for (int pass = 0; pass < 2; pass++) {
    strcpy(buf, text);
    lineno = 0;
    if (pass == 1) {
      if (in_dim <= 0) in_dim = dims[0];
      if (output_dim <= 0) output_dim = dims[1];
      if (in_dim <= 0) ERROR("%s: no input dim (give input-dim=N in the config or as an option)", name);
    }
    for (char *save = NULL, *raw = strtok_r(buf, "\n", &save); raw; raw = strtok_r(NULL, "\n", &save)) {
      lineno++;
      char *line = trim(raw);
      if (!*line) continue;
      int ignored[2];
      if (header_line(line, name, lineno, pass == 0 ? dims : ignored) || pass == 0) continue;
      char *sp = line + strcspn(line, " \t");
      if (*sp) *sp++ = 0;
      const NnetLayerKind *kind = nnet_layer_kind_find(line);
      if (!kind) ERROR("%s line %d: unknown layer '%s' (known: %s)", name, lineno, line, nnet_layer_kind_names());
      if (num == cap) layers = xrealloc(layers, sizeof(NnetLayer) * (size_t)(cap *= 2));
      char err[256];
      if (!nnet_layer_configure(&layers[num], kind, in_dim, sp, output_dim, err, sizeof(err)))
        ERROR("%s line %d: %s", name, lineno, err);
      in_dim = layers[num++].out_dim;
    }
  }
  free(buf);
  *num_out = num;
  return layers;
}

/* Initial parameters of layers first..first+count-1, layer first+i drawing from the
 * seed's stream i alone (so each layer's draw is independent of the others). */
static void init_layers(Nnet *n, int first, int count, uint64_t seed) {
  Rng root;
  rng_seed(&root, seed);
  for (int i = 0; i < count; i++) {
    const NnetLayer *l = &n->layers[first + i];
    Rng r = rng_split(&root, (uint64_t)i);
    if (l->kind->init) l->kind->init(l, n->params + l->param_offset, &r);
  }
}

Nnet *nnet_new_from_string(const char *text, const char *name, int input_dim, int output_dim, uint64_t seed) {
  int dims[2], num;
  NnetLayer *layers = parse_layers(text, name, input_dim, output_dim, dims, &num);
  Nnet *n = nnet_from_layers(input_dim > 0 ? input_dim : dims[0], layers, num);
  free(layers);
  char err[256];
  if (!nnet_check(n, err, sizeof(err))) ERROR("%s: %s", name, err);
  int want = output_dim > 0 ? output_dim : dims[1];
  if (want > 0 && n->output_dim != want)
    ERROR("%s: the network's output dim is %d but the output dim asked for is %d", name, n->output_dim, want);
  init_layers(n, 0, num, seed);
  return n;
}

Nnet *nnet_insert(const Nnet *src, int at, const char *text, const char *name, uint64_t seed) {
  int L = src->num_layers, dims[2], num;
  if (at < 0 || at > L - 1) ERROR("%s: cannot insert at %d: the model has layers 0..%d", name, at, L - 1);
  int dim = src->layers[at].in_dim;
  NnetLayer *part = parse_layers(text, name, dim, src->output_dim, dims, &num);
  if (dims[0] || dims[1]) ERROR("%s: input-dim= and output-dim= belong to a whole network, not to inserted layers", name);
  if (num == 0) ERROR("%s: no layers to insert", name);
  if (part[num - 1].out_dim != dim)
    ERROR("%s: the inserted layers end with dim %d, but layer %d (%s) takes dim %d", name, part[num - 1].out_dim, at,
          src->layers[at].kind->name, dim);
  NnetLayer *all = xmalloc(sizeof(NnetLayer) * (size_t)(L + num));
  memcpy(all, src->layers, sizeof(NnetLayer) * (size_t)at);
  memcpy(all + at, part, sizeof(NnetLayer) * (size_t)num);
  memcpy(all + at + num, src->layers + at, sizeof(NnetLayer) * (size_t)(L - at));
  Nnet *n = nnet_from_layers(src->input_dim, all, L + num);
  free(all);
  free(part);
  for (int i = 0; i < L; i++) {
    const NnetLayer *from = &src->layers[i], *to = &n->layers[i < at ? i : i + num];
    memcpy(n->params + to->param_offset, src->params + from->param_offset, sizeof(float) * (size_t)from->num_params);
  }
  init_layers(n, at, num, seed);
  char err[256];
  if (!nnet_check(n, err, sizeof(err))) ERROR("%s: %s", name, err);
  if (src->source) n->source = xstrdup(src->source);
  return n;
}

Nnet *nnet_new_from_config(const char *config_path, int input_dim, int output_dim, uint64_t seed) {
  char *text = read_whole_file(config_path, NULL);
  Nnet *n = nnet_new_from_string(text, config_path, input_dim, output_dim, seed);
  free(text);
  return n;
}

Nnet *nnet_copy(const Nnet *src) {
  Nnet *n = nnet_from_layers(src->input_dim, src->layers, src->num_layers);
  memcpy(n->params, src->params, sizeof(float) * (size_t)src->num_params);
  for (int i = 0; i < src->num_extras; i++) nnet_set_extra(n, src->extras[i].name, src->extras[i].v, src->extras[i].dim);
  if (src->source) n->source = xstrdup(src->source);
  return n;
}

void nnet_free(Nnet *n) {
  if (!n) return;
  for (int i = 0; i < n->num_extras; i++) free(n->extras[i].v);
  free(n->extras);
  if (n->scratch_work) nnet_work_free(n->scratch_work);
  if (n->scratch_batch) nnet_batch_free(n->scratch_batch);
  free(n->layers);
  free(n->params);
  free(n->source);
  free(n);
}

const char *nnet_source(const Nnet *n) { return n->source ? n->source : "model"; }

int nnet_input_dim(const Nnet *n) { return n->input_dim; }
int nnet_output_dim(const Nnet *n) { return n->output_dim; }
int nnet_num_params(const Nnet *n) { return n->num_params; }
float *nnet_params(Nnet *n) { return n->params; }
const float *nnet_params_const(const Nnet *n) { return n->params; }
int nnet_num_layers(const Nnet *n) { return n->num_layers; }
const NnetLayer *nnet_layer(const Nnet *n, int i) { return &n->layers[i]; }

int nnet_output_frames(const Nnet *n, int frames) {
  for (int i = 0; i < n->num_layers; i++)
    if (n->layers[i].kind->out_frames) frames = n->layers[i].kind->out_frames(&n->layers[i], frames);
  return frames;
}

/* Each layer's factor is measured on a length divisible by every small factor. */
int nnet_frame_subsampling(const Nnet *n) {
  const int N = 720720;
  int f = 1;
  for (int i = 0; i < n->num_layers; i++)
    if (n->layers[i].kind->out_frames) f *= N / n->layers[i].kind->out_frames(&n->layers[i], N);
  return f;
}

bool nnet_same_arch(const Nnet *a, const Nnet *b) {
  if (a->input_dim != b->input_dim || a->num_layers != b->num_layers || a->num_params != b->num_params) return false;
  for (int i = 0; i < a->num_layers; i++) {
    const NnetLayer *x = &a->layers[i], *y = &b->layers[i];
    if (x->kind != y->kind || x->in_dim != y->in_dim || x->out_dim != y->out_dim ||
        x->num_params != y->num_params || strcmp(x->config, y->config) != 0)
      return false;
  }
  return true;
}

NnetLayerInfo nnet_layer_info(const Nnet *n, int i) {
  if (i < 0 || i >= n->num_layers) ERROR("layer %d out of range [0, %d)", i, n->num_layers);
  const NnetLayer *l = &n->layers[i];
  return (NnetLayerInfo){l->kind->name, l->config, l->in_dim, l->out_dim, l->param_offset, l->num_params};
}

#define NNET_INFO_VALUES 32 /* extras up to this long are printed with their values */

void nnet_print_info(const Nnet *n, void *stream) {
  FILE *f = stream;
  fprintf(f, "input-dim %d\noutput-dim %d\nframe-subsampling %d\nnum-layers %d\nnum-params %d\n", n->input_dim,
          n->output_dim, nnet_frame_subsampling(n), n->num_layers, n->num_params);
  for (int i = 0; i < n->num_layers; i++) {
    const NnetLayer *l = &n->layers[i];
    double ss = 0;
    for (int k = 0; k < l->num_params; k++) ss += (double)n->params[l->param_offset + k] * n->params[l->param_offset + k];
    fprintf(f, "layer %d: %s%s%s in-dim=%d out-dim=%d params=%d offset=%d", i, l->kind->name, l->config[0] ? " " : "",
            l->config, l->in_dim, l->out_dim, l->num_params, l->param_offset);
    if (l->num_params) fprintf(f, " rms=%.4g", sqrt(ss / l->num_params));
    fputc('\n', f);
  }
  for (int i = 0; i < n->num_extras; i++) {
    const NnetExtra *e = &n->extras[i];
    fprintf(f, "extra %s dim=%d", e->name, e->dim);
    if (e->dim <= NNET_INFO_VALUES) { /* short ones (settings, rates) with their values */
      fputs(" [", f);
      for (int k = 0; k < e->dim; k++) fprintf(f, " %g", e->v[k]);
      fputs(" ]", f);
    }
    fputc('\n', f);
  }
}

void nnet_set_extra(Nnet *n, const char *name, const float *v, int dim) {
  if (!name[0] || strlen(name) >= NNET_EXTRA_NAME || strpbrk(name, " \t\n"))
    ERROR("bad extra vector name '%s' (1-%d chars, no spaces)", name, NNET_EXTRA_NAME - 1);
  if (dim < 0) ERROR("extra vector %s: dim %d", name, dim);
  int i = 0;
  while (i < n->num_extras && strcmp(n->extras[i].name, name) != 0) i++;
  if (i == n->num_extras) {
    n->extras = xrealloc(n->extras, sizeof(NnetExtra) * (size_t)(++n->num_extras));
    snprintf(n->extras[i].name, NNET_EXTRA_NAME, "%s", name);
    n->extras[i].v = NULL;
  }
  free(n->extras[i].v);
  n->extras[i].v = xmalloc(sizeof(float) * (size_t)(dim > 0 ? dim : 1));
  if (dim) memcpy(n->extras[i].v, v, sizeof(float) * (size_t)dim);
  n->extras[i].dim = dim;
}

const float *nnet_get_extra(const Nnet *n, const char *name, int *dim) {
  for (int i = 0; i < n->num_extras; i++)
    if (strcmp(n->extras[i].name, name) == 0) {
      if (dim) *dim = n->extras[i].dim;
      return n->extras[i].v;
    }
  return NULL;
}

void nnet_remove_extra(Nnet *n, const char *name) {
  for (int i = 0; i < n->num_extras; i++)
    if (strcmp(n->extras[i].name, name) == 0) {
      free(n->extras[i].v);
      memmove(n->extras + i, n->extras + i + 1, sizeof(NnetExtra) * (size_t)(n->num_extras - i - 1));
      n->num_extras--;
      return;
    }
}

int nnet_num_extras(const Nnet *n) { return n->num_extras; }
const char *nnet_extra_name(const Nnet *n, int i) { return n->extras[i].name; }
