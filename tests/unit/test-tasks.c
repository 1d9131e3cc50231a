/* Tests of the tasks library: grouping by keys, episode sampling, the episodes file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/util.h"
#include "tasks/tasks.h"
#include "testing.h"

static char dir[] = "/tmp/test-tasks-XXXXXX";

static void write_file(const char *name, const char *text) {
  char *path = xasprintf("%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
  free(path);
}

/* 12 utterances: en (8: 4 clean, 4 noisy) and fr (4 clean); speakers a, b, c. */
static void make_data_dir(void) {
  char utt2spk[2048] = "", utt2lang[2048] = "", utt2cond[2048] = "", utt2dur[2048] = "";
  for (int i = 0; i < 12; i++) {
    const char *spk = i < 4 ? "a" : i < 8 ? "b" : "c";
    char line[128];
    snprintf(line, sizeof line, "%s-%02d %s\n", spk, i, spk);
    strcat(utt2spk, line);
    snprintf(line, sizeof line, "%s-%02d %s\n", spk, i, i < 8 ? "en" : "fr");
    strcat(utt2lang, line);
    snprintf(line, sizeof line, "%s-%02d %s\n", spk, i, i >= 4 && i < 8 ? "pink-5db" : "clean");
    strcat(utt2cond, line);
    snprintf(line, sizeof line, "%s-%02d %d.5\n", spk, i, 1 + i % 3); /* 1.5, 2.5, 3.5 s */
    strcat(utt2dur, line);
  }
  write_file("utt2spk", utt2spk);
  write_file("utt2lang", utt2lang);
  write_file("utt2cond", utt2cond);
  write_file("utt2dur", utt2dur);
}

static void test_group_one_key(void) {
  TaskSet *ts = task_set_new(dir, "lang", "", 0.01);
  CHECK(ts->num_utts == 12);
  CHECK(ts->num_tasks == 2);
  CHECK(!strcmp(ts->tasks[0].id, "en") && ts->tasks[0].num_utts == 8);
  CHECK(!strcmp(ts->tasks[1].id, "fr") && ts->tasks[1].num_utts == 4);
  CHECK_NEAR(ts->tasks[1].seconds, 3.5 + 1.5 + 2.5 + 3.5, 1e-9); /* utts 8..11 */
  CHECK(task_set_find(ts, "fr") == 1 && task_set_find(ts, "de") == -1);
  CHECK(task_set_find_utt(ts, "c-09") == 9);
  for (int i = 1; i < ts->tasks[0].num_utts; i++) CHECK(ts->tasks[0].utts[i] > ts->tasks[0].utts[i - 1]);
  task_set_free(ts);
}

static void test_group_two_keys(void) {
  TaskSet *ts = task_set_new(dir, "lang,cond", "", 0.01);
  CHECK(ts->num_tasks == 3);
  CHECK(!strcmp(ts->tasks[0].id, "en+clean") && ts->tasks[0].num_utts == 4);
  CHECK(!strcmp(ts->tasks[1].id, "en+pink-5db") && ts->tasks[1].num_utts == 4);
  CHECK(!strcmp(ts->tasks[2].id, "fr+clean") && ts->tasks[2].num_utts == 4);
  task_set_free(ts);
  ts = task_set_new(dir, "spk", "", 0.01);
  CHECK(ts->num_tasks == 3 && !strcmp(ts->tasks[2].id, "c"));
  task_set_free(ts);
}

static void test_missing_values_left_out(void) {
  write_file("utt2dialect", "a-00 x\na-01 x\nb-05 y\n");
  TaskSet *ts = task_set_new(dir, "dialect", "", 0.01);
  CHECK(ts->num_tasks == 2 && ts->tasks[0].num_utts == 2 && ts->tasks[1].num_utts == 1);
  task_set_free(ts);
}

static void test_durations_from_frames(void) {
  char sub[256];
  snprintf(sub, sizeof sub, "%s/frames", dir);
  mkdir(sub, 0755);
  char *p = xasprintf("%s/utt2spk", sub);
  FILE *f = fopen(p, "w"); fputs("u1 s\nu2 s\n", f); fclose(f); free(p);
  p = xasprintf("%s/utt2num_frames", sub);
  f = fopen(p, "w"); fputs("u1 150\nu2 250\n", f); fclose(f); free(p);
  TaskSet *ts = task_set_new(sub, "spk", "", 0.01);
  CHECK(ts->dur && fabs(ts->dur[0] - 1.5) < 1e-9 && fabs(ts->dur[1] - 2.5) < 1e-9);
  CHECK_NEAR(ts->tasks[0].seconds, 4.0, 1e-9);
  task_set_free(ts);
}

static bool in_task(const TaskSet *ts, const char *task, const char *utt) {
  const Task *t = &ts->tasks[task_set_find(ts, task)];
  int u = task_set_find_utt(ts, utt);
  for (int i = 0; i < t->num_utts; i++)
    if (t->utts[i] == u) return true;
  return false;
}

static void test_sample_counts(void) {
  TaskSet *ts = task_set_new(dir, "lang", "", 0.01);
  TaskEpisodeOpts o = task_episode_opts_default();
  o.support = 2; o.query = 2; o.num_episodes = 50; o.seed = 7;
  TaskEpisodes *e = task_episodes_sample(ts, &o);
  CHECK(e->num == 50);
  CHECK(!strcmp(e->ep[0].id, "ep01") && !strcmp(e->ep[49].id, "ep50"));
  for (int i = 0; i < e->num; i++) {
    TaskEpisode *ep = &e->ep[i];
    CHECK(ep->num_support == 2 && ep->num_query == 2);
    for (int j = 0; j < 2; j++) {
      CHECK(in_task(ts, ep->task, ep->support[j]) && in_task(ts, ep->task, ep->query[j]));
      for (int k = 0; k < 2; k++) CHECK(strcmp(ep->support[j], ep->query[k]));
    }
    CHECK(strcmp(ep->support[0], ep->support[1]) < 0);
  }
  /* Same seed, same episodes; another seed, others. */
  TaskEpisodes *e2 = task_episodes_sample(ts, &o);
  o.seed = 8;
  TaskEpisodes *e3 = task_episodes_sample(ts, &o);
  int same2 = 0, same3 = 0;
  for (int i = 0; i < e->num; i++) {
    same2 += !strcmp(e->ep[i].support[0], e2->ep[i].support[0]) && !strcmp(e->ep[i].query[1], e2->ep[i].query[1]);
    same3 += !strcmp(e->ep[i].support[0], e3->ep[i].support[0]) && !strcmp(e->ep[i].query[1], e3->ep[i].query[1]);
  }
  CHECK(same2 == 50);
  CHECK(same3 < 40);
  task_episodes_free(e);
  task_episodes_free(e2);
  task_episodes_free(e3);
  task_set_free(ts);
}

/* Uniform weighting draws en and fr equally often; size weighting 8:4. */
static void test_weighting(void) {
  TaskSet *ts = task_set_new(dir, "lang", "", 0.01);
  TaskEpisodeOpts o = task_episode_opts_default();
  o.support = 1; o.query = 1; o.num_episodes = 6000;
  for (int w = 0; w < 2; w++) {
    o.task_weighting = w ? "size" : "uniform";
    TaskEpisodes *e = task_episodes_sample(ts, &o);
    int en = 0;
    for (int i = 0; i < e->num; i++) en += !strcmp(e->ep[i].task, "en");
    CHECK_NEAR((double)en / e->num, w ? 8.0 / 12 : 0.5, 0.025);
    task_episodes_free(e);
  }
  task_set_free(ts);
}

static void test_sample_seconds(void) {
  TaskSet *ts = task_set_new(dir, "lang", "", 0.01);
  TaskEpisodeOpts o = task_episode_opts_default();
  o.support_seconds = 4.0; o.query = 1; o.num_episodes = 100;
  TaskEpisodes *e = task_episodes_sample(ts, &o);
  int varied = 0;
  for (int i = 0; i < e->num; i++) {
    double sum = 0, min = 1e9;
    for (int j = 0; j < e->ep[i].num_support; j++) {
      double d = ts->dur[task_set_find_utt(ts, e->ep[i].support[j])];
      sum += d;
      if (d < min) min = d;
    }
    CHECK(sum >= 4.0);
    CHECK(sum - min < 4.0 + 3.5); /* no more than needed, give or take the order drawn */
    CHECK(e->ep[i].num_query == 1);
    varied += e->ep[i].num_support != 2;
  }
  CHECK(varied > 0); /* 1.5+2.5 = 4 needs 2, 1.5+1.5+... needs 3 */
  task_episodes_free(e);
  task_set_free(ts);
}

static void test_exclude_and_small(void) {
  TaskSet *ts = task_set_new(dir, "lang,cond", "", 0.01);
  TaskEpisodeOpts o = task_episode_opts_default();
  o.support = 2; o.query = 1; o.num_episodes = 200; o.exclude_tasks = "fr+*,en+pink-5db";
  bool el[3];
  CHECK(task_eligible(ts, &o, el) == 1 && el[0] && !el[1] && !el[2]);
  TaskEpisodes *e = task_episodes_sample(ts, &o);
  for (int i = 0; i < e->num; i++) CHECK(!strcmp(e->ep[i].task, "en+clean"));
  task_episodes_free(e);
  /* 4 utterances per task: support 3 + query 2 is too many. */
  o.exclude_tasks = ""; o.support = 3; o.query = 2;
  CHECK(task_eligible(ts, &o, el) == 0);
  o.support = 3; o.query = 1;
  CHECK(task_eligible(ts, &o, el) == 3);
  task_set_free(ts);
}

static void test_write_read(void) {
  TaskSet *ts = task_set_new(dir, "lang", "", 0.01);
  TaskEpisodeOpts o = task_episode_opts_default();
  o.support = 3; o.query = 0; o.num_episodes = 12;
  TaskEpisodes *e = task_episodes_sample(ts, &o);
  char *path = xasprintf("%s/episodes", dir);
  task_episodes_write(e, path);
  char *text = NULL;
  size_t n = 0;
  FILE *f = fopen(path, "r");
  CHECK(getline(&text, &n, f) > 0);
  fclose(f);
  char expect[512];
  snprintf(expect, sizeof expect, "ep01 %s support %s,%s,%s query -\n", e->ep[0].task,
           e->ep[0].support[0], e->ep[0].support[1], e->ep[0].support[2]);
  CHECK(!strcmp(text, expect));
  TaskEpisodes *r = task_episodes_read(path);
  CHECK(r->num == 12);
  for (int i = 0; i < r->num; i++) {
    CHECK(!strcmp(r->ep[i].id, e->ep[i].id) && !strcmp(r->ep[i].task, e->ep[i].task));
    CHECK(r->ep[i].num_support == 3 && r->ep[i].num_query == 0);
    for (int j = 0; j < 3; j++) CHECK(!strcmp(r->ep[i].support[j], e->ep[i].support[j]));
  }
  task_episodes_free(r);
  /* Through gzip and a pipe, as any rxfilename/wxfilename. */
  char *gz = xasprintf("%s/episodes.gz", dir), *pipe = xasprintf("gunzip -c %s |", gz);
  task_episodes_write(e, gz);
  r = task_episodes_read(pipe);
  CHECK(r->num == 12 && !strcmp(r->ep[11].support[2], e->ep[11].support[2]));
  task_episodes_free(r);
  free(gz);
  free(pipe);
  write_file("episodes2", "# comment\n\nep1 fr support a,b query c\nep2 en  support x query y,z\n");
  free(path);
  path = xasprintf("%s/episodes2", dir);
  r = task_episodes_read(path);
  CHECK(r->num == 2 && r->ep[1].num_query == 2 && !strcmp(r->ep[1].query[1], "z"));
  CHECK(!strcmp(r->ep[0].task, "fr") && !strcmp(r->ep[0].support[1], "b"));
  task_episodes_free(r);
  free(text); free(path);
  task_episodes_free(e);
  task_set_free(ts);
}

/* A data directory "groups" of recordings and their copies: en has 5 recordings of 2
 * copies (r0..r4, "rK" and "rK-noisy"), fr 3 recordings of 3 copies. */
static char *make_group_dir(void) {
  char *sub = xasprintf("%s/groups", dir);
  mkdir(sub, 0755);
  char utt2spk[2048] = "", utt2lang[2048] = "", utt2uniq[2048] = "";
  const char *suffix[3] = {"", "-noisy", "-pink"};
  for (int r = 0; r < 8; r++)
    for (int c = 0; c < (r < 5 ? 2 : 3); c++) {
      char line[128];
      snprintf(line, sizeof line, "r%d%s s%d\n", r, suffix[c], r % 2);
      strcat(utt2spk, line);
      snprintf(line, sizeof line, "r%d%s %s\n", r, suffix[c], r < 5 ? "en" : "fr");
      strcat(utt2lang, line);
      snprintf(line, sizeof line, "r%d%s r%d\n", r, suffix[c], r);
      strcat(utt2uniq, line);
    }
  const char *names[3] = {"utt2spk", "utt2lang", "utt2uniq"}, *texts[3] = {utt2spk, utt2lang, utt2uniq};
  for (int i = 0; i < 3; i++) {
    char *p = xasprintf("%s/%s", sub, names[i]);
    FILE *f = fopen(p, "w");
    fputs(texts[i], f);
    fclose(f);
    free(p);
  }
  return sub;
}

/* The recording of an utterance: its id up to the first '-'. */
static int recording(const char *utt) { return atoi(utt + 1); }

/* How many episodes have a recording on both sides; *augmented: how many have two copies
 * of one recording in their support set. */
static int leaks(const TaskEpisodes *e, int *augmented) {
  int n = 0;
  *augmented = 0;
  for (int i = 0; i < e->num; i++) {
    const TaskEpisode *ep = &e->ep[i];
    bool leak = false, aug = false;
    for (int j = 0; j < ep->num_support; j++) {
      for (int k = 0; k < ep->num_query; k++) leak |= recording(ep->support[j]) == recording(ep->query[k]);
      for (int k = 0; k < j; k++) aug |= recording(ep->support[j]) == recording(ep->support[k]);
    }
    n += leak;
    *augmented += aug;
  }
  return n;
}

static void test_recording_groups(void) {
  char *sub = make_group_dir();
  TaskSet *ts = task_set_new(sub, "lang", NULL, 0.01); /* utt2uniq by default */
  CHECK(ts->group_file && strstr(ts->group_file, "groups/utt2uniq"));
  CHECK(ts->num_utts == 19 && ts->num_groups == 8 && ts->num_tasks == 2);
  const Task *en = &ts->tasks[0];
  CHECK(en->num_groups == 5 && en->num_utts == 10);
  for (int g = 0; g < en->num_groups; g++) { /* contiguous groups, in order of first utterance */
    CHECK(en->group_start[g + 1] - en->group_start[g] == 2);
    for (int i = en->group_start[g]; i < en->group_start[g + 1]; i++)
      CHECK(recording(ts->utt_ids[en->utts[i]]) == g);
  }
  TaskEpisodeOpts o = task_episode_opts_default();
  o.support = 3; o.query = 3; o.num_episodes = 300; o.seed = 5;
  TaskEpisodes *e = task_episodes_sample(ts, &o);
  int augmented, n_leaks = leaks(e, &augmented);
  CHECK(n_leaks == 0);
  CHECK(augmented > 50); /* copies of one recording do share a support set */
  for (int i = 0; i < e->num; i++) CHECK(e->ep[i].num_support == 3 && e->ep[i].num_query == 3);
  task_episodes_free(e);
  /* en: 10 utterances, but 5 + 5 cannot be cut from recordings of 2 without a leak. */
  o.support = 5; o.query = 5;
  bool el[2];
  CHECK(task_eligible(ts, &o, el) == 0);
  o.support = 5; o.query = 4;
  CHECK(task_eligible(ts, &o, el) == 1 && el[0] && !el[1]);
  o.support = 4; o.query = 6; /* 2 whole recordings, then 3: nothing is left unused */
  CHECK(task_eligible(ts, &o, el) == 1 && el[0] && !el[1]);
  e = task_episodes_sample(ts, &o);
  CHECK(leaks(e, &augmented) == 0 && e->ep[0].num_support == 4 && e->ep[0].num_query == 6);
  task_episodes_free(e);
  task_set_free(ts);
  /* Speaker s0 has recordings of 2, 2, 2 and 3 copies (9), s1 of 2, 2, 3 and 3 (10): a
   * support set of 3 uses up at most 5 utterances (2, then 3 of which 1 is used),
   * leaving 4 (s0) or 5 (s1) for the query set. */
  ts = task_set_new(sub, "spk", NULL, 0.01);
  o.support = 3; o.query = 4;
  CHECK(task_eligible(ts, &o, el) == 2 && el[0] && el[1]);
  o.query = 5;
  CHECK(task_eligible(ts, &o, el) == 1 && !el[0] && el[1]);
  o.query = 6;
  CHECK(task_eligible(ts, &o, el) == 0);
  task_set_free(ts);

  /* The same names for the same file; "" turns groups off, and then recordings leak. */
  char *path = xasprintf("%s/utt2uniq", sub);
  const char *same[3] = {"uniq", "utt2uniq", path};
  for (int i = 0; i < 3; i++) {
    ts = task_set_new(sub, "lang", same[i], 0.01);
    CHECK(ts->num_groups == 8 && !strcmp(ts->group_file, path));
    task_set_free(ts);
  }
  ts = task_set_new(sub, "lang", "", 0.01);
  CHECK(!ts->group_file && ts->num_groups == 19 && ts->tasks[0].num_groups == 10);
  o.support = 3; o.query = 3;
  e = task_episodes_sample(ts, &o);
  CHECK(leaks(e, &augmented) > 50);
  task_episodes_free(e);
  task_set_free(ts);
  /* By speaker: support and query never share a speaker. */
  ts = task_set_new(sub, "lang", "spk", 0.01);
  CHECK(ts->num_groups == 2 && ts->tasks[0].num_groups == 2);
  o.support = 2; o.query = 2;
  e = task_episodes_sample(ts, &o);
  for (int i = 0; i < e->num; i++)
    for (int j = 0; j < 2; j++)
      for (int k = 0; k < 2; k++)
        CHECK(recording(e->ep[i].support[j]) % 2 != recording(e->ep[i].query[k]) % 2);
  task_episodes_free(e);
  task_set_free(ts);
  free(path);
  free(sub);
}

/* Runs fn in a child; true when it exits with status 1 (an ERROR). */
static bool fails(void (*fn)(const char *), const char *arg) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    freopen("/dev/null", "w", stderr);
    fn(arg);
    _exit(0);
  }
  int status;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 1;
}

static void read_episodes_text(const char *text) {
  write_file("bad", text);
  char *path = xasprintf("%s/bad", dir);
  task_episodes_read(path);
}

static void read_tasks_with(const char *utt2lang) {
  write_file("utt2lang", utt2lang);
  task_set_new(dir, "lang", "", 0.01);
}

static void read_groups_with(const char *utt2uniq) {
  write_file("utt2uniq", utt2uniq);
  task_set_new(dir, "lang", utt2uniq[0] ? NULL : "uniq", 0.01);
}

static void test_bad_input(void) {
  CHECK(!fails(read_episodes_text, "ep1 fr support a,b query c\n"));
  CHECK(fails(read_episodes_text, "ep1 fr support a,b\n"));
  CHECK(fails(read_episodes_text, "ep1 fr supports a,b query c\n"));
  CHECK(fails(read_episodes_text, "ep1 fr support a,,b query c\n"));
  CHECK(fails(read_episodes_text, "ep1 fr support - query c\n"));
  CHECK(fails(read_episodes_text, "ep1 fr support a,b query b\n"));
  CHECK(fails(read_episodes_text, "ep1 fr support a query b\nep1 fr support a query b\n"));
  CHECK(fails(read_tasks_with, "a-00 en\nzz-99 en\n"));     /* unknown utterance */
  CHECK(fails(read_tasks_with, "a-00 en\na-00 fr\n"));      /* duplicate */
  CHECK(fails(read_tasks_with, "a-00 en extra\n"));         /* three fields */
  CHECK(fails(read_tasks_with, "a-00\n"));                  /* one field */
  make_data_dir();
  char all[2048] = "";
  for (int i = 0; i < 12; i++) {
    char line[64];
    snprintf(line, sizeof line, "%s-%02d r%d\n", i < 4 ? "a" : i < 8 ? "b" : "c", i, i % 4);
    strcat(all, line);
  }
  CHECK(!fails(read_groups_with, all));
  char extra[2048];
  snprintf(extra, sizeof extra, "%szz-1 r0\n", all);
  CHECK(fails(read_groups_with, extra));                  /* unknown utterance */
  CHECK(fails(read_groups_with, strchr(all, '\n') + 1)); /* a-00 has no group */
  CHECK(fails(read_groups_with, ""));                     /* --group-key=uniq, empty file */
  char *uniq = xasprintf("%s/utt2uniq", dir);
  unlink(uniq);
  free(uniq);
  make_data_dir();
}

int main(void) {
  if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
  make_data_dir();
  RUN(test_group_one_key);
  RUN(test_group_two_keys);
  RUN(test_missing_values_left_out);
  RUN(test_durations_from_frames);
  RUN(test_sample_counts);
  RUN(test_weighting);
  RUN(test_sample_seconds);
  RUN(test_exclude_and_small);
  RUN(test_write_read);
  RUN(test_recording_groups);
  RUN(test_bad_input);
  char *cmd = xasprintf("rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  free(cmd);
  return test_summary();
}
