/* Reading and writing the episodes file (format in tasks.h). */
#include "tasks/tasks.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"

static void write_list(FILE *f, char **utts, int n) {
  if (n == 0) { fputs("-", f); return; }
  for (int i = 0; i < n; i++) {
    if (i) fputc(',', f);
    fputs(utts[i], f);
  }
}

void task_episodes_write(const TaskEpisodes *e, const char *wxfilename) {
  bool to_stdout = !strcmp(wxfilename, "-");
  char *tmp = to_stdout ? NULL : xasprintf("%s.tmp%ld", wxfilename, (long)getpid());
  FILE *f = to_stdout ? stdout : fopen(tmp, "w");
  if (!f) ERROR("cannot write %s: %s", tmp, strerror(errno));
  for (int i = 0; i < e->num; i++) {
    const TaskEpisode *ep = &e->ep[i];
    fprintf(f, "%s %s support ", ep->id, ep->task);
    write_list(f, ep->support, ep->num_support);
    fputs(" query ", f);
    write_list(f, ep->query, ep->num_query);
    fputc('\n', f);
  }
  if (to_stdout) {
    if (fflush(f) != 0 || ferror(f)) ERROR("error writing episodes to stdout");
    return;
  }
  bool ok = !ferror(f);
  ok = (fclose(f) == 0) && ok;
  if (!ok || rename(tmp, wxfilename) != 0) {
    int err = errno;
    remove(tmp);
    ERROR("cannot write %s: %s", wxfilename, strerror(err));
  }
  free(tmp);
}

/* Splits a comma-separated list ("-" is empty) into fresh strings; false on an empty item. */
static bool parse_list(const char *s, char ***out, int *n) {
  *n = 0;
  if (!strcmp(s, "-")) { *out = xmalloc(sizeof **out); return true; }
  int count = 1;
  for (const char *p = s; *p; p++) count += *p == ',';
  *out = xmalloc((size_t)count * sizeof **out);
  const char *p = s;
  for (;;) {
    const char *c = strchr(p, ',');
    size_t len = c ? (size_t)(c - p) : strlen(p);
    if (len == 0) return false;
    char *u = xmalloc(len + 1);
    memcpy(u, p, len);
    u[len] = '\0';
    (*out)[(*n)++] = u;
    if (!c) return true;
    p = c + 1;
  }
}

static void free_episode(TaskEpisode *ep) {
  free(ep->id);
  free(ep->task);
  for (int j = 0; j < ep->num_support; j++) free(ep->support[j]);
  for (int j = 0; j < ep->num_query; j++) free(ep->query[j]);
  free(ep->support);
  free(ep->query);
}

/* Parses one line into ep; NULL on success, else what is wrong. */
static const char *parse_line(char *line, TaskEpisode *ep) {
  char *f[7], *save = NULL;
  int nf = 0;
  for (char *t = strtok_r(line, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
    if (nf == 6) return "more than 6 fields";
    f[nf++] = t;
  }
  if (nf != 6) return "expected 6 fields: <episode-id> <task-id> support <utts> query <utts>";
  if (strcmp(f[2], "support")) return "third field is not 'support'";
  if (strcmp(f[4], "query")) return "fifth field is not 'query'";
  memset(ep, 0, sizeof *ep);
  ep->id = xstrdup(f[0]);
  ep->task = xstrdup(f[1]);
  if (!parse_list(f[3], &ep->support, &ep->num_support)) return "empty utterance id in support list";
  if (ep->num_support == 0) return "empty support set";
  if (!parse_list(f[5], &ep->query, &ep->num_query)) return "empty utterance id in query list";
  for (int i = 0; i < ep->num_support; i++)
    for (int j = 0; j < ep->num_query; j++)
      if (!strcmp(ep->support[i], ep->query[j])) return "an utterance is in both support and query";
  return NULL;
}

TaskEpisodes *task_episodes_read(const char *rxfilename) {
  bool from_stdin = !strcmp(rxfilename, "-");
  FILE *f = from_stdin ? stdin : fopen(rxfilename, "r");
  if (!f) ERROR("cannot open episodes file %s: %s", rxfilename, strerror(errno));
  TaskEpisodes *e = xcalloc(1, sizeof *e);
  int cap = 0, lineno = 0;
  char *line = NULL;
  size_t lcap = 0;
  while (getline(&line, &lcap, f) >= 0) {
    lineno++;
    const char *p = line + strspn(line, " \t\r\n");
    if (*p == '\0' || *p == '#') continue;
    if (e->num == cap) {
      cap = cap ? 2 * cap : 256;
      e->ep = xrealloc(e->ep, (size_t)cap * sizeof *e->ep);
    }
    const char *err = parse_line(line, &e->ep[e->num]);
    if (err) ERROR("%s line %d: %s", rxfilename, lineno, err);
    for (int i = 0; i < e->num; i++) /* episodes files are small: a quadratic check is fine */
      if (!strcmp(e->ep[i].id, e->ep[e->num].id))
        ERROR("%s line %d: episode id %s appears twice", rxfilename, lineno, e->ep[i].id);
    e->num++;
  }
  free(line);
  if (ferror(f)) ERROR("error reading %s", rxfilename);
  if (!from_stdin) fclose(f);
  return e;
}

void task_episodes_free(TaskEpisodes *e) {
  if (!e) return;
  for (int i = 0; i < e->num; i++) free_episode(&e->ep[i]);
  free(e->ep);
  free(e);
}
