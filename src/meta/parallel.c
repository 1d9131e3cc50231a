/* Parallel meta-training: job parts, meta-gradient files and the combine step (see
 * parallel.h). The combine step rebuilds just the part of meta-train's state it needs
 * (model, inner-loop rates, outer optimiser, checkpoint state) without loading data. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "meta/meta-internal.h"
#include "meta/parallel.h"

void meta_parallel_opts_register(MetaTrainOpts *o, Options *po) {
  opts_int(po, "job", &o->job, "This job's number, 1..--num-jobs (parallel training)");
  opts_int(po, "num-jobs", &o->num_jobs,
           "Jobs sharing each meta-batch: job J takes tasks [(J-1)B/N, JB/N) of the B");
  opts_string(po, "write-meta-grad", &o->write_meta_grad,
              "Compute this job's part of the next iteration's meta-gradient (from the "
              "checkpoint with --resume), write it to this file for meta-combine, and stop");
}

void meta_parallel_opts_check(const MetaTrainOpts *o) {
  if (o->num_jobs < 1 || o->job < 1 || o->job > o->num_jobs)
    ERROR("--job=%d --num-jobs=%d: need 1 <= job <= num-jobs", o->job, o->num_jobs);
  if (o->num_jobs > o->meta_batch)
    ERROR("--num-jobs=%d is more than --meta-batch=%d: a job would have no task", o->num_jobs,
          o->meta_batch);
}

void meta_share_range(int meta_batch, int job, int num_jobs, int *lo, int *hi) {
  *lo = (int)((long)(job - 1) * meta_batch / num_jobs);
  *hi = (int)((long)job * meta_batch / num_jobs);
}

static void put_int(Output *out, const char *tok, int v) {
  kio_write_token(out, true, tok);
  kio_write_int32(out, true, v);
}

static void put_double(Output *out, const char *tok, double v) {
  char buf[64];
  snprintf(buf, sizeof(buf), "%.17g", v);
  kio_write_token(out, true, tok);
  kio_write_token(out, true, buf);
}

void meta_grad_file_write(const char *wxfilename, const MetaGradFile *g) {
  Output *out = output_open(wxfilename);
  output_write(out, "\0B", 2);
  kio_write_token(out, true, "<MetaGrad>");
  put_int(out, "<Version>", 1);
  put_int(out, "<Iteration>", g->iter);
  put_int(out, "<Job>", g->job);
  put_int(out, "<NumJobs>", g->num_jobs);
  put_int(out, "<NumMeta>", g->num_meta);
  put_int(out, "<Tasks>", g->tasks);
  put_int(out, "<TasksOk>", g->tasks_ok);
  put_double(out, "<Frames>", (double)g->frames);
  put_double(out, "<QueryBefore>", g->query_before);
  put_double(out, "<QueryAfter>", g->query_after);
  kio_write_token(out, true, "<Sum>");
  kio_write_floats(out, true, g->grad, g->num_meta);
  kio_write_token(out, true, "</MetaGrad>");
  output_close(out);
}

static void get_int(Input *in, const char *path, const char *tok, int *v) {
  if (!kio_expect_token(in, tok) || !kio_read_int32(in, true, v))
    ERROR("meta-gradient file %s: expected %s and an integer (truncated or not such a file)",
          path, tok);
}

static void get_double(Input *in, const char *path, const char *tok, double *v) {
  char buf[64];
  if (!kio_expect_token(in, tok) || !kio_read_token(in, buf, sizeof(buf)) || !parse_double(buf, v))
    ERROR("meta-gradient file %s: expected %s and a number", path, tok);
}

MetaGradFile *meta_grad_file_read(const char *path) {
  Input *in = input_open(path);
  MetaGradFile *g = xcalloc(1, sizeof(*g));
  int version;
  double frames;
  if (!kio_read_binary_marker(in) || !kio_expect_token(in, "<MetaGrad>"))
    ERROR("%s is not a meta-gradient file (meta-train --write-meta-grad writes them)", path);
  get_int(in, path, "<Version>", &version);
  if (version != 1) ERROR("meta-gradient file %s: version %d, expected 1", path, version);
  get_int(in, path, "<Iteration>", &g->iter);
  get_int(in, path, "<Job>", &g->job);
  get_int(in, path, "<NumJobs>", &g->num_jobs);
  get_int(in, path, "<NumMeta>", &g->num_meta);
  get_int(in, path, "<Tasks>", &g->tasks);
  get_int(in, path, "<TasksOk>", &g->tasks_ok);
  get_double(in, path, "<Frames>", &frames);
  get_double(in, path, "<QueryBefore>", &g->query_before);
  get_double(in, path, "<QueryAfter>", &g->query_after);
  g->frames = (long)frames;
  if (g->num_meta < 1 || g->num_jobs < 1 || g->job < 1 || g->job > g->num_jobs || g->iter < 0 ||
      g->tasks_ok < 0 || g->tasks_ok > g->tasks)
    ERROR("meta-gradient file %s: inconsistent header (job %d of %d, %d values, %d/%d tasks)",
          path, g->job, g->num_jobs, g->num_meta, g->tasks_ok, g->tasks);
  g->grad = xmalloc(sizeof(float) * (size_t)g->num_meta);
  if (!kio_expect_token(in, "<Sum>") || !kio_read_floats(in, true, g->grad, g->num_meta) ||
      !kio_expect_token(in, "</MetaGrad>"))
    ERROR("meta-gradient file %s: truncated (expected %d values and </MetaGrad>)", path,
          g->num_meta);
  input_close(in, NULL, 0);
  return g;
}

void meta_grad_file_free(MetaGradFile *g) {
  if (!g) return;
  free(g->grad);
  free(g);
}
