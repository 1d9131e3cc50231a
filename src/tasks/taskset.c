/* Grouping the utterances of a data directory into tasks by key files. */
#include "tasks/tasks.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "io/stream.h"

/* A string -> index map (open addressing, FNV-1a); strings are borrowed. */
typedef struct {
  int cap;         /* a power of two, at least twice the number of entries */
  const char **keys;
  int *vals;
} StrMap;

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ULL;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

static void map_init(StrMap *m, int n) {
  m->cap = 16;
  while (m->cap < 2 * n + 2) m->cap *= 2;
  m->keys = xcalloc((size_t)m->cap, sizeof *m->keys);
  m->vals = xmalloc((size_t)m->cap * sizeof *m->vals);
}

static void map_free(StrMap *m) { free(m->keys); free(m->vals); }

/* Slot holding key, or the empty slot where it would go. */
static int map_slot(const StrMap *m, const char *key) {
  int i = (int)(hash_str(key) & (uint64_t)(m->cap - 1));
  while (m->keys[i] && strcmp(m->keys[i], key)) i = (i + 1) & (m->cap - 1);
  return i;
}

static int map_get(const StrMap *m, const char *key) {
  int i = map_slot(m, key);
  return m->keys[i] ? m->vals[i] : -1;
}

/* Inserts key -> val unless present; returns the value now stored. The map must have
 * been sized for all insertions. */
static int map_put(StrMap *m, const char *key, int val) {
  int i = map_slot(m, key);
  if (!m->keys[i]) { m->keys[i] = key; m->vals[i] = val; }
  return m->vals[i];
}

/* A file of "key value" lines. */
typedef struct {
  int n;
  char **key, **val;
  int *line;
} PairFile;

static void pairs_free(PairFile *p) {
  for (int i = 0; i < p->n; i++) { free(p->key[i]); free(p->val[i]); }
  free(p->key); free(p->val); free(p->line);
}

/* Reads "key value" lines (exactly two fields); ERROR naming file and line otherwise. */
static void pairs_read(const char *path, PairFile *p) {
  Input *in = input_open(path);
  memset(p, 0, sizeof *p);
  int cap = 0, lineno = 0, bad_line = 0;
  char *line = NULL, *bad_key = NULL;
  size_t lcap = 0;
  while (input_getline(in, &line, &lcap)) {
    lineno++;
    char *save = NULL, *k = strtok_r(line, " \t\r\n", &save);
    if (!k) continue;
    char *v = strtok_r(NULL, " \t\r\n", &save);
    if (!v || strtok_r(NULL, " \t\r\n", &save)) { /* reported after closing the input */
      bad_line = lineno;
      bad_key = xstrdup(k);
      break;
    }
    if (p->n == cap) {
      cap = cap ? 2 * cap : 1024;
      p->key = xrealloc(p->key, (size_t)cap * sizeof *p->key);
      p->val = xrealloc(p->val, (size_t)cap * sizeof *p->val);
      p->line = xrealloc(p->line, (size_t)cap * sizeof *p->line);
    }
    p->key[p->n] = xstrdup(k);
    p->val[p->n] = xstrdup(v);
    p->line[p->n++] = lineno;
  }
  free(line);
  char err[512];
  bool closed = input_close(in, err, sizeof err);
  if (bad_line) ERROR("%s line %d (key %s): expected two fields, 'utterance value'", path, bad_line, bad_key);
  if (!closed) ERROR("%s", err);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads the utterance list from utt2spk into ts (sorted) and indexes it in map. */
static void read_utts(TaskSet *ts, const char *data_dir, StrMap *map) {
  char *path = xasprintf("%s/utt2spk", data_dir);
  PairFile p;
  pairs_read(path, &p);
  if (p.n == 0) ERROR("%s is empty", path);
  ts->num_utts = p.n;
  ts->utt_ids = xmalloc((size_t)p.n * sizeof *ts->utt_ids);
  for (int i = 0; i < p.n; i++) { ts->utt_ids[i] = p.key[i]; p.key[i] = NULL; free(p.val[i]); }
  p.n = 0;
  pairs_free(&p);
  qsort(ts->utt_ids, (size_t)ts->num_utts, sizeof *ts->utt_ids, cmp_str);
  map_init(map, ts->num_utts);
  for (int i = 0; i < ts->num_utts; i++)
    if (map_put(map, ts->utt_ids[i], i) != i)
      ERROR("%s: utterance %s appears more than once", path, ts->utt_ids[i]);
  free(path);
}

/* Reads the "utterance value" file at path; returns the value per utterance (NULL where
 * the file has none). */
static char **read_key(const TaskSet *ts, const StrMap *map, const char *data_dir,
                       const char *path) {
  PairFile p;
  pairs_read(path, &p);
  char **val = xcalloc((size_t)ts->num_utts, sizeof *val);
  for (int i = 0; i < p.n; i++) {
    int u = map_get(map, p.key[i]);
    if (u < 0 || val[u]) {
      /* Everything freed before the ERROR: no leak report on bad input. */
      char msg[1024];
      snprintf(msg, sizeof msg, u < 0 ? "%s line %d: utterance %s is not in %s/utt2spk" : "%s line %d: utterance %s appears more than once",
               path, p.line[i], p.key[i], data_dir);
      for (int j = 0; j < ts->num_utts; j++) free(val[j]);
      free(val);
      pairs_free(&p);
      ERROR("%s", msg);
    }
    val[u] = p.val[i];
    p.val[i] = NULL;
  }
  pairs_free(&p);
  return val;
}

/* Durations from utt2dur, else utt2num_frames * frame_shift, else NULL. */
static double *read_durations(const TaskSet *ts, const StrMap *map, const char *data_dir,
                              double frame_shift) {
  const char *names[2] = {"utt2dur", "utt2num_frames"};
  for (int k = 0; k < 2; k++) {
    char *path = xasprintf("%s/%s", data_dir, names[k]);
    if (access(path, F_OK) != 0) { free(path); continue; }
    char **v = read_key(ts, map, data_dir, path);
    free(path);
    double *dur = xmalloc((size_t)ts->num_utts * sizeof *dur);
    for (int u = 0; u < ts->num_utts; u++) {
      if (!v[u]) ERROR("%s/%s has no entry for utterance %s", data_dir, names[k], ts->utt_ids[u]);
      if (!parse_double(v[u], &dur[u]) || dur[u] <= 0)
        ERROR("%s/%s: utterance %s: bad value '%s', expected a positive number", data_dir,
              names[k], ts->utt_ids[u], v[u]);
      if (k == 1) dur[u] *= frame_shift;
      free(v[u]);
    }
    free(v);
    return dur;
  }
  return NULL;
}

/* The group file a group key names (see task_set_new), or NULL for none. */
static char *group_path(const char *data_dir, const char *group_key) {
  if (!group_key) {
    char *path = xasprintf("%s/utt2uniq", data_dir);
    if (access(path, F_OK) == 0) {
      LOG("Grouping the copies of each recording by %s (the default when it exists; "
          "--group-key= turns it off)", path);
      return path;
    }
    free(path);
    return NULL;
  }
  if (!*group_key) return NULL;
  if (strchr(group_key, '/')) return xstrdup(group_key);
  return xasprintf("%s/%s%s", data_dir, strncmp(group_key, "utt2", 4) ? "utt2" : "", group_key);
}

/* Fills ts->group from the group file, or makes each utterance its own group. */
static void read_groups(TaskSet *ts, const StrMap *umap, const char *data_dir, const char *path) {
  ts->group = xmalloc((size_t)ts->num_utts * sizeof *ts->group);
  if (!path) {
    for (int u = 0; u < ts->num_utts; u++) ts->group[u] = u;
    ts->num_groups = ts->num_utts;
    return;
  }
  ts->group_file = xstrdup(path);
  char **v = read_key(ts, umap, data_dir, path);
  StrMap gmap;
  map_init(&gmap, ts->num_utts);
  for (int u = 0; u < ts->num_utts; u++) {
    if (!v[u]) ERROR("%s has no entry for utterance %s", path, ts->utt_ids[u]);
    ts->group[u] = map_put(&gmap, v[u], ts->num_groups);
    if (ts->group[u] == ts->num_groups) ts->num_groups++;
  }
  map_free(&gmap);
  for (int u = 0; u < ts->num_utts; u++) free(v[u]);
  free(v);
}

/* Splits "a,b,c" into a NULL-terminated array of fresh strings; ERROR on an empty item. */
static char **split_keys(const char *keys, int *n) {
  char *copy = xstrdup(keys), *save = NULL;
  char **out = xmalloc((strlen(keys) + 2) * sizeof *out);
  *n = 0;
  for (char *k = strtok_r(copy, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
    if (strchr(k, '/') || strchr(k, ' ')) ERROR("bad task key '%s' in '%s'", k, keys);
    out[(*n)++] = xstrdup(k);
  }
  out[*n] = NULL;
  free(copy);
  if (*n == 0) ERROR("no task key in '%s' (e.g. --task-key=lang or lang,cond)", keys);
  return out;
}

/* Joins the key values of utterance u into a task id; NULL if one is missing. */
static char *task_id_of(char ***vals, int nkeys, int u) {
  size_t len = 1;
  for (int k = 0; k < nkeys; k++) {
    if (!vals[k][u]) return NULL;
    len += strlen(vals[k][u]) + 1;
  }
  char *id = xmalloc(len), *p = id;
  for (int k = 0; k < nkeys; k++) {
    if (k) *p++ = TASK_ID_SEP;
    size_t l = strlen(vals[k][u]);
    memcpy(p, vals[k][u], l);
    p += l;
  }
  *p = '\0';
  return id;
}

/* Orders t->utts (increasing) group by group, groups in the order of their first
 * utterance, and fills t->group_start. local: ts->num_groups ints, all -1, left so. */
static void order_by_group(const TaskSet *ts, Task *t, int *local) {
  int n = t->num_utts, ng = 0;
  int *size = xcalloc((size_t)n, sizeof *size);
  for (int i = 0; i < n; i++) {
    int g = ts->group[t->utts[i]];
    if (local[g] < 0) local[g] = ng++;
    size[local[g]]++;
  }
  t->num_groups = ng;
  t->group_start = xmalloc((size_t)(ng + 1) * sizeof *t->group_start);
  t->group_start[0] = 0;
  for (int k = 0; k < ng; k++) t->group_start[k + 1] = t->group_start[k] + size[k];
  memcpy(size, t->group_start, (size_t)ng * sizeof *size); /* now the next free slot */
  int *utts = xmalloc((size_t)n * sizeof *utts);
  for (int i = 0; i < n; i++) utts[size[local[ts->group[t->utts[i]]]]++] = t->utts[i];
  for (int i = 0; i < n; i++) local[ts->group[t->utts[i]]] = -1;
  free(t->utts);
  t->utts = utts;
  free(size);
}

static int cmp_task(const void *a, const void *b) {
  return strcmp(((const Task *)a)->id, ((const Task *)b)->id);
}

/* Groups utterances by task id; utterances lacking a value are counted in *missing. */
static void group_tasks(TaskSet *ts, char ***vals, int nkeys, int *missing) {
  StrMap tmap;
  map_init(&tmap, ts->num_utts);
  char **ids = xcalloc((size_t)ts->num_utts, sizeof *ids);
  int *tidx = xmalloc((size_t)ts->num_utts * sizeof *tidx);
  *missing = 0;
  ts->tasks = xcalloc((size_t)ts->num_utts, sizeof *ts->tasks);
  for (int u = 0; u < ts->num_utts; u++) {
    ids[u] = task_id_of(vals, nkeys, u);
    if (!ids[u]) { tidx[u] = -1; (*missing)++; continue; }
    int t = map_put(&tmap, ids[u], ts->num_tasks);
    if (t == ts->num_tasks) ts->tasks[ts->num_tasks++].id = xstrdup(ids[u]);
    tidx[u] = t;
    ts->tasks[t].num_utts++;
  }
  for (int t = 0; t < ts->num_tasks; t++) {
    ts->tasks[t].utts = xmalloc((size_t)ts->tasks[t].num_utts * sizeof(int));
    ts->tasks[t].num_utts = 0;
  }
  for (int u = 0; u < ts->num_utts; u++) {
    if (tidx[u] < 0) continue;
    Task *t = &ts->tasks[tidx[u]];
    t->utts[t->num_utts++] = u;
    if (ts->dur) t->seconds += ts->dur[u];
  }
  int *local = xmalloc((size_t)ts->num_groups * sizeof *local);
  for (int g = 0; g < ts->num_groups; g++) local[g] = -1;
  for (int t = 0; t < ts->num_tasks; t++) order_by_group(ts, &ts->tasks[t], local);
  free(local);
  qsort(ts->tasks, (size_t)ts->num_tasks, sizeof *ts->tasks, cmp_task);
  for (int u = 0; u < ts->num_utts; u++) free(ids[u]);
  free(ids);
  free(tidx);
  map_free(&tmap);
}

TaskSet *task_set_new(const char *data_dir, const char *keys, const char *group_key,
                      double frame_shift) {
  TaskSet *ts = xcalloc(1, sizeof *ts);
  StrMap umap;
  read_utts(ts, data_dir, &umap);
  int nkeys;
  char **key = split_keys(keys, &nkeys);
  char ***vals = xmalloc((size_t)nkeys * sizeof *vals);
  for (int k = 0; k < nkeys; k++) {
    char *path = xasprintf("%s/utt2%s", data_dir, key[k]);
    vals[k] = read_key(ts, &umap, data_dir, path);
    free(path);
  }
  ts->dur = read_durations(ts, &umap, data_dir, frame_shift);
  char *gpath = group_path(data_dir, group_key);
  read_groups(ts, &umap, data_dir, gpath);
  free(gpath);
  int missing;
  group_tasks(ts, vals, nkeys, &missing);
  if (missing)
    WARN("%s: %d of %d utterances have no value for one of the keys %s; left out", data_dir,
         missing, ts->num_utts, keys);
  if (ts->num_tasks == 0) ERROR("%s: no utterance has values for all of the keys %s", data_dir, keys);
  for (int k = 0; k < nkeys; k++) {
    for (int u = 0; u < ts->num_utts; u++) free(vals[k][u]);
    free(vals[k]);
    free(key[k]);
  }
  free(vals);
  free(key);
  map_free(&umap);
  return ts;
}

void task_set_free(TaskSet *ts) {
  if (!ts) return;
  for (int t = 0; t < ts->num_tasks; t++) {
    free(ts->tasks[t].id);
    free(ts->tasks[t].utts);
    free(ts->tasks[t].group_start);
  }
  free(ts->tasks);
  free(ts->group);
  free(ts->group_file);
  for (int u = 0; u < ts->num_utts; u++) free(ts->utt_ids[u]);
  free(ts->utt_ids);
  free(ts->dur);
  free(ts);
}

int task_set_find(const TaskSet *ts, const char *id) {
  int lo = 0, hi = ts->num_tasks - 1;
  while (lo <= hi) {
    int mid = (lo + hi) / 2, c = strcmp(ts->tasks[mid].id, id);
    if (c == 0) return mid;
    if (c < 0) lo = mid + 1; else hi = mid - 1;
  }
  return -1;
}

int task_set_find_utt(const TaskSet *ts, const char *utt) {
  int lo = 0, hi = ts->num_utts - 1;
  while (lo <= hi) {
    int mid = (lo + hi) / 2, c = strcmp(ts->utt_ids[mid], utt);
    if (c == 0) return mid;
    if (c < 0) lo = mid + 1; else hi = mid - 1;
  }
  return -1;
}
