/* Meta-training on many machines (steps/meta_train.sh), Kaldi style: job J of N takes
 * its part of each meta-batch.
 *  - Exact mode: for one iteration, each job writes the summed meta-gradient of its part
 *    (meta-train --job=J --num-jobs=N --write-meta-grad=FILE); meta-combine sums the N
 *    files in job order, divides by the number of tasks, takes the outer step and writes
 *    the next checkpoint and model. Equal (to float rounding) to one process.
 *  - Model averaging: each job runs several outer steps on its parts (meta-train --job=J
 *    --num-jobs=N, from the same checkpoint); meta-combine --average averages the models.
 * Part of job J (1-based) of N in a meta-batch of B tasks: positions [(J-1)B/N, JB/N);
 * each task keeps the seed it has in the whole batch (meta_batch_grad_at). */
#ifndef META_PARALLEL_H
#define META_PARALLEL_H

#include "meta/meta.h"

/* Registers --job, --num-jobs, --write-meta-grad (meta-train's options). */
void meta_parallel_opts_register(MetaTrainOpts *o, Options *po);
/* ERROR unless 1 <= job <= num_jobs <= meta_batch. */
void meta_parallel_opts_check(const MetaTrainOpts *o);
void meta_share_range(int meta_batch, int job, int num_jobs, int *lo, int *hi);

/* A job's meta-gradient file (binary, Kaldi tokens, written to a temporary name and
 * renamed, so a reader never sees part of one):
 *   <MetaGrad> <Version> 1 <Iteration> i <Job> j <NumJobs> n <NumMeta> m <Tasks> t
 *   <TasksOk> k <Frames> f <QueryBefore> x <QueryAfter> y <Sum> m floats </MetaGrad>
 * <Sum> is the sum over the part's finite tasks of their meta-gradients w.r.t. the
 * meta-parameters [theta; learned rates]; iteration i is 0-based. */
typedef struct {
  int iter, job, num_jobs, num_meta, tasks, tasks_ok;
  long frames;
  double query_before, query_after;  /* sums over the finite tasks */
  float *grad;                       /* num_meta floats */
} MetaGradFile;

void meta_grad_file_write(const char *wxfilename, const MetaGradFile *g);
/* ERROR naming the file when it is not a complete meta-gradient file. */
MetaGradFile *meta_grad_file_read(const char *rxfilename);
void meta_grad_file_free(MetaGradFile *g);

/* meta-combine: reads the model and the checkpoint ckpt_in (when it exists; else the run
 * starts at iteration 0 from model_in, as meta-train does), then
 *   meta_combine_grads:   checks the n files are jobs 1..n of n for the checkpoint's
 *                         iteration with the model's number of meta-parameters, takes
 *                         the outer step with their mean (a step without any finite task
 *                         is skipped, as meta-train does; --max-bad-steps in a row is an
 *                         ERROR);
 *   meta_combine_average: sets the meta-parameters to the mean of the n models' (which
 *                         have the model's architecture) and the iteration to
 *                         o->iterations (the outer optimiser state is kept);
 * and writes model_out, then ckpt_out (last, so a checkpoint implies its model). */
void meta_combine_grads(const MetaTrainOpts *o, const char *model_in, const char *ckpt_in,
                        int n, char *const *grad_files, const char *ckpt_out,
                        const char *model_out);
void meta_combine_average(const MetaTrainOpts *o, const char *model_in, const char *ckpt_in,
                          int n, char *const *models, const char *ckpt_out,
                          const char *model_out);

#endif
