/* The table of layer kinds the config parser and the model reader know, and the
 * key=value helpers kinds use in configure(). A new kind: define
 * `const NnetLayerKind nnet_KIND_kind` in src/nnet/KIND.c, declare it below and add it
 * to the table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "nnet/layer.h"

extern const NnetLayerKind nnet_affine_kind, nnet_relu_kind, nnet_tanh_kind, nnet_sigmoid_kind,
    nnet_splice_kind, nnet_subsample_kind, nnet_layernorm_kind, nnet_logsoftmax_kind,
    nnet_lhuc_kind, nnet_adapter_kind;
/* Recurrent layers (lstm.c, gru.c; bidirectional=true is a setting of each). */
extern const NnetLayerKind nnet_lstm_kind, nnet_gru_kind;

static const NnetLayerKind *const kinds[] = {
    &nnet_affine_kind, &nnet_relu_kind, &nnet_tanh_kind, &nnet_sigmoid_kind,
    &nnet_splice_kind, &nnet_subsample_kind, &nnet_layernorm_kind, &nnet_logsoftmax_kind,
    &nnet_lhuc_kind, &nnet_adapter_kind, &nnet_lstm_kind, &nnet_gru_kind,
};
#define NUM_KINDS ((int)(sizeof(kinds) / sizeof(kinds[0])))

const NnetLayerKind *nnet_layer_kind_find(const char *name) {
  for (int i = 0; i < NUM_KINDS; i++)
    if (strcmp(kinds[i]->name, name) == 0) return kinds[i];
  return NULL;
}

const char *nnet_layer_kind_names(void) {
  static char buf[512];
  if (!buf[0])
    for (int i = 0; i < NUM_KINDS; i++) {
      if (i) strncat(buf, "|", sizeof(buf) - strlen(buf) - 1);
      strncat(buf, kinds[i]->name, sizeof(buf) - strlen(buf) - 1);
    }
  return buf;
}

static int find_arg(NnetArgs *a, const char *key) {
  for (int i = 0; i < a->n; i++)
    if (strcmp(a->key[i], key) == 0) {
      a->used[i] = true;
      return i;
    }
  return -1;
}

const char *nnet_arg_str(NnetArgs *a, const char *key) {
  int i = find_arg(a, key);
  return i < 0 ? NULL : a->val[i];
}

bool nnet_arg_int(NnetArgs *a, const char *key, int *v, char *err, size_t errlen) {
  int i = find_arg(a, key);
  if (i < 0) return true;
  if (!parse_int(a->val[i], v)) {
    snprintf(err, errlen, "%s=%s: expected an integer", key, a->val[i]);
    return false;
  }
  return true;
}

bool nnet_arg_float(NnetArgs *a, const char *key, float *v, char *err, size_t errlen) {
  int i = find_arg(a, key);
  if (i < 0) return true;
  if (!parse_float(a->val[i], v)) {
    snprintf(err, errlen, "%s=%s: expected a number", key, a->val[i]);
    return false;
  }
  return true;
}

bool nnet_arg_bool(NnetArgs *a, const char *key, bool *v, char *err, size_t errlen) {
  int i = find_arg(a, key);
  if (i < 0) return true;
  if (!parse_bool(a->val[i], v)) {
    snprintf(err, errlen, "%s=%s: expected true or false", key, a->val[i]);
    return false;
  }
  return true;
}

/* Splits "k1=v1 k2=v2" into args; false + err on a malformed item. */
static bool split_args(const char *settings, NnetArgs *a, char *err, size_t errlen) {
  memset(a, 0, sizeof(*a));
  const char *p = settings;
  while (*p) {
    while (*p == ' ' || *p == '\t') p++;
    if (!*p) break;
    const char *end = p;
    while (*end && *end != ' ' && *end != '\t') end++;
    const char *eq = memchr(p, '=', (size_t)(end - p));
    if (!eq || eq == p || eq + 1 == end) {
      snprintf(err, errlen, "'%.*s': expected key=value", (int)(end - p), p);
      return false;
    }
    size_t kl = (size_t)(eq - p), vl = (size_t)(end - eq - 1);
    if (a->n == NNET_MAX_ARGS || kl >= sizeof(a->key[0]) || vl >= sizeof(a->val[0])) {
      snprintf(err, errlen, "too many or too long settings");
      return false;
    }
    memcpy(a->key[a->n], p, kl);
    memcpy(a->val[a->n], eq + 1, vl);
    a->n++;
    p = end;
  }
  return true;
}

bool nnet_layer_configure(NnetLayer *l, const NnetLayerKind *kind, int in_dim, const char *settings,
                          int default_out, char *err, size_t errlen) {
  memset(l, 0, sizeof(*l));
  l->kind = kind;
  l->in_dim = in_dim;
  if (strlen(settings) >= sizeof(l->config)) {
    snprintf(err, errlen, "settings too long");
    return false;
  }
  NnetArgs args;
  if (!split_args(settings, &args, err, errlen)) return false;
  /* canonical form: single spaces between items */
  for (int i = 0; i < args.n; i++) {
    size_t len = strlen(l->config);
    snprintf(l->config + len, sizeof(l->config) - len, "%s%s=%s", i ? " " : "", args.key[i], args.val[i]);
  }
  if (in_dim <= 0 || in_dim > NNET_MAX_DIM) {
    snprintf(err, errlen, "input dim %d (must be 1..%d)", in_dim, NNET_MAX_DIM);
    return false;
  }
  if (!kind->configure(l, &args, default_out, err, errlen)) return false;
  for (int i = 0; i < args.n; i++)
    if (!args.used[i]) {
      snprintf(err, errlen, "unknown setting '%s' for layer %s", args.key[i], kind->name);
      return false;
    }
  if (l->out_dim <= 0 || l->out_dim > NNET_MAX_DIM || l->num_params < 0 || l->num_params > NNET_MAX_PARAMS) {
    snprintf(err, errlen, "layer %s: output dim %d or %d parameters out of range (dims up to %d, parameters up to %d)",
             kind->name, l->out_dim, l->num_params, NNET_MAX_DIM, NNET_MAX_PARAMS);
    return false;
  }
  return true;
}

void nnet_fill_uniform(float *w, int n, float r, Rng *rng) {
  for (int i = 0; i < n; i++) w[i] = (float)((2 * rng_uniform(rng) - 1) * r);
}
