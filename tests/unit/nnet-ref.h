/* Reads the reference files of tests/reference/ (lines "name count values...", #
 * comments) for the unit tests. */
#ifndef TESTS_NNET_REF_H
#define TESTS_NNET_REF_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  char name[64];
  int n;
  double *v;
} Arr;

typedef struct {
  Arr a[64];
  int n;
} Ref;

/* path relative to the top of the tree ($TOPDIR or the current directory) */
static void ref_load(const char *rel, Ref *r) {
  char path[1200];
  snprintf(path, sizeof(path), "%s/%s", getenv("TOPDIR") ? getenv("TOPDIR") : ".", rel);
  FILE *f = fopen(path, "r");
  r->n = 0;
  if (!f) {
    fprintf(stderr, "  cannot open %s\n", path);
    return;
  }
  char line[64];
  while (fscanf(f, "%63s", line) == 1) {
    if (line[0] == '#') {
      int c;
      while ((c = fgetc(f)) != '\n' && c != EOF) {}
      continue;
    }
    Arr *a = &r->a[r->n++];
    snprintf(a->name, sizeof(a->name), "%s", line);
    if (fscanf(f, "%d", &a->n) != 1) a->n = 0;
    a->v = malloc(sizeof(double) * (size_t)(a->n + 1));
    for (int i = 0; i < a->n; i++)
      if (fscanf(f, "%lf", &a->v[i]) != 1) a->v[i] = NAN;
  }
  fclose(f);
}

static const Arr *get(const Ref *r, const char *name) {
  for (int i = 0; i < r->n; i++)
    if (strcmp(r->a[i].name, name) == 0) return &r->a[i];
  fprintf(stderr, "  reference has no %s\n", name);
  return NULL;
}

static void ref_free(Ref *r) {
  for (int i = 0; i < r->n; i++) free(r->a[i].v);
  r->n = 0;
}

#endif
