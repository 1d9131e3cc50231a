/* Episodes files: "<episode-id> <task-id> support <u,u,...> query <u,u,...>". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "io/stream.h"
#include "meta/meta.h"

/* Splits "a,b,c" (or "-" for none) into a new array of new strings. */
static bool split_list(const char *s, char ***out, int *n, char *err, size_t errlen) {
  *out = NULL;
  *n = 0;
  if (strcmp(s, "-") == 0) return true;
  int cap = 1;
  for (const char *p = s; *p; p++) cap += *p == ',';
  char **v = xmalloc(sizeof(char *) * (size_t)cap);
  const char *p = s;
  for (;;) {
    const char *e = strchr(p, ',');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len == 0) {
      for (int i = 0; i < *n; i++) free(v[i]);
      free(v);
      *n = 0;
      snprintf(err, errlen, "empty utterance id in list '%s'", s);
      return false;
    }
    v[*n] = xmalloc(len + 1);
    memcpy(v[*n], p, len);
    v[*n][len] = 0;
    (*n)++;
    if (!e) break;
    p = e + 1;
  }
  *out = v;
  return true;
}

static void episode_clear(MetaEpisode *ep) {
  for (int i = 0; i < ep->num_support; i++) free(ep->support[i]);
  for (int i = 0; i < ep->num_query; i++) free(ep->query[i]);
  free(ep->support);
  free(ep->query);
  free(ep->id);
  free(ep->task);
  memset(ep, 0, sizeof(*ep));
}

/* Reads the value of field `name` starting at tok[*i]: "name value" or "name=value". */
static const char *field(char **tok, int ntok, int *i, const char *name) {
  size_t nl = strlen(name);
  if (*i >= ntok) return NULL;
  if (strcmp(tok[*i], name) == 0 && *i + 1 < ntok) {
    *i += 2;
    return tok[*i - 1];
  }
  if (strncmp(tok[*i], name, nl) == 0 && tok[*i][nl] == '=') return tok[(*i)++] + nl + 1;
  return NULL;
}

bool meta_episode_parse(const char *line, MetaEpisode *ep, char *err, size_t errlen) {
  memset(ep, 0, sizeof(*ep));
  char *buf = xstrdup(line), *tok[8], *save = NULL;
  int ntok = 0;
  for (char *t = strtok_r(buf, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
    if (ntok == 8) { ntok++; break; }
    tok[ntok++] = t;
  }
  bool ok = false;
  int i = 2;
  const char *s = NULL, *q = NULL;
  if (ntok < 4 || ntok > 6) {
    snprintf(err, errlen, "expected '<episode-id> <task-id> support <utts> query <utts>'");
  } else if (!(s = field(tok, ntok, &i, "support")) || !(q = field(tok, ntok, &i, "query")) ||
             i != ntok) {
    snprintf(err, errlen, "expected 'support <u,u,...> query <u,u,...>' after the task id");
  } else {
    ep->id = xstrdup(tok[0]);
    ep->task = xstrdup(tok[1]);
    ok = split_list(s, &ep->support, &ep->num_support, err, errlen) &&
         split_list(q, &ep->query, &ep->num_query, err, errlen);
    if (ok && ep->num_support == 0) {
      snprintf(err, errlen, "episode %s has an empty support set", ep->id);
      ok = false;
    }
    if (!ok) episode_clear(ep);
  }
  free(buf);
  return ok;
}

static int cmp_episode_id(const void *a, const void *b) {
  return strcmp(((const MetaEpisode *)a)->id, ((const MetaEpisode *)b)->id);
}

MetaEpisodes *meta_episodes_read(const char *rxfilename) {
  Input *in = input_open(rxfilename);
  MetaEpisodes *e = xcalloc(1, sizeof(*e));
  int cap = 0, lineno = 0;
  char *line = NULL, err[256];
  size_t lcap = 0;
  while (input_getline(in, &line, &lcap)) {
    lineno++;
    const char *p = line + strspn(line, " \t\r");
    if (*p == 0 || *p == '#') continue;
    if (e->num == cap) {
      cap = cap ? 2 * cap : 64;
      e->ep = xrealloc(e->ep, sizeof(MetaEpisode) * (size_t)cap);
    }
    if (!meta_episode_parse(p, &e->ep[e->num], err, sizeof(err)))
      ERROR("episodes file %s line %d: %s", rxfilename, lineno, err);
    e->num++;
  }
  free(line);
  if (!input_close(in, err, sizeof(err))) ERROR("reading episodes file %s: %s", rxfilename, err);
  if (e->num == 0) ERROR("episodes file %s has no episodes", rxfilename);
  /* Duplicate ids: check on a sorted copy so the file's order is kept. */
  MetaEpisode *sorted = xmalloc(sizeof(MetaEpisode) * (size_t)(e->num ? e->num : 1));
  memcpy(sorted, e->ep, sizeof(MetaEpisode) * (size_t)e->num);
  qsort(sorted, (size_t)e->num, sizeof(MetaEpisode), cmp_episode_id);
  for (int i = 1; i < e->num; i++)
    if (strcmp(sorted[i].id, sorted[i - 1].id) == 0)
      ERROR("episodes file %s: duplicate episode id %s", rxfilename, sorted[i].id);
  free(sorted);
  return e;
}

void meta_episodes_free(MetaEpisodes *e) {
  if (!e) return;
  for (int i = 0; i < e->num; i++) episode_clear(&e->ep[i]);
  free(e->ep);
  free(e);
}
