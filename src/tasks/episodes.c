/* Reading and writing the episodes file (format in tasks.h). */
#include "tasks/tasks.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "io/stream.h"

static void write_list(Output *out, char **utts, int n) {
  if (n == 0) { output_putc(out, '-'); return; }
  for (int i = 0; i < n; i++) {
    if (i) output_putc(out, ',');
    output_write(out, utts[i], strlen(utts[i]));
  }
}

void task_episodes_write(const TaskEpisodes *e, const char *wxfilename) {
  Output *out = output_open(wxfilename);
  for (int i = 0; i < e->num; i++) {
    const TaskEpisode *ep = &e->ep[i];
    output_printf(out, "%s %s support ", ep->id, ep->task);
    write_list(out, ep->support, ep->num_support);
    output_printf(out, " query ");
    write_list(out, ep->query, ep->num_query);
    output_putc(out, '\n');
  }
  output_close(out);
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
  Input *in = input_open(rxfilename);
  TaskEpisodes *e = xcalloc(1, sizeof *e);
  int cap = 0, lineno = 0;
  char *line = NULL;
  size_t lcap = 0;
  while (input_getline(in, &line, &lcap)) {
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
  char err[512];
  if (!input_close(in, err, sizeof err)) ERROR("%s", err);
  return e;
}

void task_episodes_free(TaskEpisodes *e) {
  if (!e) return;
  for (int i = 0; i < e->num; i++) free_episode(&e->ep[i]);
  free(e->ep);
  free(e);
}
