/* A team of persistent worker threads for a job of tens of microseconds or more split
 * into a few parts: packed.c's per-step products, the recurrent layers' per-step cell
 * updates (src/nnet/rnn.h), which run between them, or their whole passes by blocks of
 * rows, the feed-forward layers' elementwise passes (mat_team_rows), and mat_gemm's
 * large products. Its size is set by mat_set_num_threads. */
#ifndef MATRIX_TEAM_H
#define MATRIX_TEAM_H

/* Part `part` of `parts` of a job. */
typedef void (*MatTeamFn)(void *arg, int part, int parts);

/* Threads a job may use, the caller's included (1: the caller alone). Workers start at
 * the first job that needs them and stay. */
void mat_team_set_size(int n);
int mat_team_size(void);

/* Runs fn(arg, i, parts) once for each i = 0..parts-1 and returns when all have
 * returned; the parts go to whichever of the calling thread and the workers is free
 * first. When another thread's job holds the team, or no worker can start, the caller
 * runs them all: fn must give the same result whichever thread runs a part. */
void mat_team_run(int parts, MatTeamFn fn, void *arg);

/* Rows r0..r1-1 of a job over rows independent of each other. */
typedef void (*MatRowsFn)(void *arg, int r0, int r1);

/* Runs fn over rows [0, rows) of a rows x cols job of elementwise work: in one range a
 * thread of the team when the job is large enough to pay for the hand-off, else in one
 * call. fn must give each row the same result whichever range holds it. */
void mat_team_rows(int rows, int cols, MatRowsFn fn, void *arg);

#endif
