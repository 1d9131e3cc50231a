/* Reads the meta-learning reference files of tests/reference/ (make_meta_refs.py,
 * make_imaml_refs.py): one record a line, "name n v1 ... vn", strings as "name s text";
 * each file starts with a model, its parameters and a support and a query set. */
#ifndef TESTS_META_REF_H
#define TESTS_META_REF_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meta-testutil.h"
#include "testing.h"

typedef struct {
  char name[32];
  char *str;     /* string record */
  int n;
  double *v;
} Rec;

typedef struct {
  int num;
  Rec *r;
  int pos;       /* read cursor */
} RefFile;

static inline RefFile *ref_read(const char *file) {
  const char *top = getenv("TOPDIR");
  char *path = xasprintf("%s/tests/reference/%s", top ? top : ".", file);
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    free(path);
    return NULL;
  }
  RefFile *rf = xcalloc(1, sizeof(*rf));
  char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    rf->r = xrealloc(rf->r, sizeof(Rec) * (size_t)(rf->num + 1));
    Rec *r = &rf->r[rf->num++];
    memset(r, 0, sizeof(*r));
    char *p = line;
    int k = 0;
    sscanf(p, "%31s%n", r->name, &k);
    p += k;
    if (strncmp(p, " s ", 3) == 0) {
      r->str = xstrdup(p + 3);
      r->str[strcspn(r->str, "\n")] = 0;
      continue;
    }
    r->n = (int)strtol(p, &p, 10);
    r->v = xmalloc(sizeof(double) * (size_t)(r->n + 1));
    for (int i = 0; i < r->n; i++) r->v[i] = strtod(p, &p);
  }
  free(line);
  fclose(f);
  free(path);
  return rf;
}

static inline Rec *ref_next(RefFile *rf, const char *name) {
  if (rf->pos >= rf->num || strcmp(rf->r[rf->pos].name, name) != 0) {
    fprintf(stderr, "reference: expected record %s at %d\n", name, rf->pos);
    exit(1);
  }
  return &rf->r[rf->pos++];
}

/* The next record when it is named `name` (an optional record), else NULL. */
static inline Rec *ref_next_if(RefFile *rf, const char *name) {
  return rf->pos < rf->num && strcmp(rf->r[rf->pos].name, name) == 0 ? &rf->r[rf->pos++] : NULL;
}

static inline void ref_free(RefFile *rf) {
  for (int i = 0; i < rf->num; i++) {
    free(rf->r[i].str);
    free(rf->r[i].v);
  }
  free(rf->r);
  free(rf);
}

/* Max |a - b| relative to max |b|. */
static inline double rel_err(const float *a, const double *b, int n) {
  double d = 0, m = 1e-12;
  for (int i = 0; i < n; i++) {
    d = fmax(d, fabs(a[i] - b[i]));
    m = fmax(m, fabs(b[i]));
  }
  return d / m;
}

/* Max |a - b| relative to max |b|, both float. */
static inline double rel_err_f(const float *a, const float *b, int n) {
  double d = 0, m = 1e-12;
  for (int i = 0; i < n; i++) {
    d = fmax(d, fabs(a[i] - b[i]));
    m = fmax(m, fabs(b[i]));
  }
  return d / m;
}

/* Reads the model and utterances of a reference file into n, d, t (support then query). */
static inline void ref_setup(RefFile *rf, Nnet **n, NnetData **d, MetaTask *t) {
  const char *cfg = ref_next(rf, "config")->str;
  Rec *dims = ref_next(rf, "dims");
  *n = net_from_config(cfg, (int)dims->v[0], (int)dims->v[1], 1);
  CHECK(nnet_num_params(*n) == (int)dims->v[2]);
  Rec *p = ref_next(rf, "params");
  for (int i = 0; i < p->n; i++) nnet_params(*n)[i] = (float)p->v[i];
  *d = data_new(64);
  memset(t, 0, sizeof(*t));
  t->id = t->task = "ref";
  t->s = xmalloc(sizeof(int) * 32);
  t->q = xmalloc(sizeof(int) * 32);
  for (int set = 0; set < 2; set++) {
    int cnt = (int)ref_next(rf, set ? "query" : "support")->v[0];
    for (int u = 0; u < cnt; u++) {
      Rec *f = ref_next(rf, "feats"), *l = ref_next(rf, "labels");
      int T = (int)f->v[0], D = (f->n - 1) / T;
      Mat m = mat_alloc(T, D);
      for (int i = 0; i < T * D; i++) m.data[i] = (float)f->v[1 + i];
      int lab[64];
      for (int i = 0; i < l->n; i++) lab[i] = (int)l->v[i];
      int k = data_add(*d, m, lab, l->n);
      if (set) t->q[t->nq++] = k;
      else t->s[t->ns++] = k;
    }
  }
}

/* The model and utterances of a reference file alone (its cases unread); exits if the
 * file cannot be read. */
static inline void ref_model(const char *file, Nnet **n, NnetData **d, MetaTask *t) {
  RefFile *rf = ref_read(file);
  if (!rf) exit(1);
  ref_setup(rf, n, d, t);
  ref_free(rf);
}

/* Frees what ref_setup or ref_model made. */
static inline void ref_model_free(Nnet *n, NnetData *d, MetaTask *t) {
  free(t->s);
  free(t->q);
  nnet_data_free(d);
  nnet_free(n);
}

#endif
