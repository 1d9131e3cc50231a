/* The outer optimiser on the meta-parameters: SGD or Adam (Kingma & Ba, ICLR 2015, with
 * bias correction), after clipping the mean meta-gradient to a maximum norm. Its state
 * is written into checkpoints so a resumed run continues exactly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "meta/meta.h"

MetaOuter *meta_outer_new(int n, bool adam, float lr, float clip) {
  MetaOuter *o = xcalloc(1, sizeof(*o));
  o->adam = adam;
  o->lr = lr;
  o->beta1 = 0.9f;
  o->beta2 = 0.999f;
  o->eps = 1e-8f;
  o->clip = clip;
  o->n = n;
  if (adam) {
    o->m = xcalloc((size_t)n, sizeof(float));
    o->v = xcalloc((size_t)n, sizeof(float));
  }
  return o;
}

void meta_outer_free(MetaOuter *o) {
  if (!o) return;
  free(o->m);
  free(o->v);
  free(o);
}

double meta_outer_step(MetaOuter *o, float *params, float *grad) {
  double norm = vec_norm2(o->n, grad);
  if (o->clip > 0 && norm > o->clip) vec_scale(o->n, (float)(o->clip / norm), grad);
  o->t++;
  if (!o->adam) {
    vec_axpy(o->n, -o->lr, grad, params);
    return norm;
  }
  double c1 = 1.0 - pow(o->beta1, (double)o->t), c2 = 1.0 - pow(o->beta2, (double)o->t);
  float step = (float)(o->lr * sqrt(c2) / c1);
  for (int i = 0; i < o->n; i++) {
    o->m[i] = o->beta1 * o->m[i] + (1 - o->beta1) * grad[i];
    o->v[i] = o->beta2 * o->v[i] + (1 - o->beta2) * grad[i] * grad[i];
    params[i] -= step * o->m[i] / (sqrtf(o->v[i]) + o->eps);
  }
  return norm;
}

void meta_outer_write(const MetaOuter *o, Output *out) {
  kio_write_token(out, true, "<MetaOuter>");
  kio_write_token(out, true, o->adam ? "adam" : "sgd");
  kio_write_int32(out, true, o->n);
  kio_write_token(out, true, "<Steps>");
  char buf[32];
  snprintf(buf, sizeof(buf), "%ld", o->t);
  kio_write_token(out, true, buf);
  if (o->adam) {
    kio_write_floats(out, true, o->m, o->n);
    kio_write_floats(out, true, o->v, o->n);
  }
  kio_write_token(out, true, "</MetaOuter>");
}

void meta_outer_read(MetaOuter *o, Input *in, const char *name) {
  char tok[64];
  int n;
  if (!kio_expect_token(in, "<MetaOuter>") || !kio_read_token(in, tok, sizeof(tok)))
    ERROR("%s: bad outer-optimiser state", name);
  if (strcmp(tok, o->adam ? "adam" : "sgd") != 0)
    ERROR("%s: the checkpoint's outer optimiser is %s, not %s", name, tok, o->adam ? "adam" : "sgd");
  if (!kio_read_int32(in, true, &n) || n != o->n)
    ERROR("%s: outer-optimiser state for %d meta-parameters, expected %d", name, n, o->n);
  if (!kio_expect_token(in, "<Steps>") || !kio_read_token(in, tok, sizeof(tok)) ||
      !parse_long(tok, &o->t))
    ERROR("%s: bad outer-optimiser step count", name);
  if (o->adam && (!kio_read_floats(in, true, o->m, n) || !kio_read_floats(in, true, o->v, n)))
    ERROR("%s: truncated outer-optimiser state", name);
  if (!kio_expect_token(in, "</MetaOuter>")) ERROR("%s: bad outer-optimiser state", name);
}
