/* The worker team of team.h. A job's parts are claimed one at a time by whoever is free,
 * the caller included, from a word holding (job number, parts, next part): a worker the
 * scheduler has not run yet (a loaded machine) leaves its parts to the others instead of
 * holding up the job, and the caller waits only for parts in progress. A claim is a
 * compare-and-swap of that word, so it succeeds only for the current job, whose fields
 * stay valid until its last part is done. Between jobs the workers spin on the job
 * counter for a while (a recurrence's next product follows within microseconds, and
 * waking a sleeping thread costs about as much as the product), then sleep on it with a
 * futex; the caller waits for the parts in progress the same way. */
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "matrix/team.h"

#define MAX_WORKERS 63
#define MAX_PARTS 0xffff
#define SPIN_NS 50000 /* spin this long before sleeping: longer than a step's other work */

static struct {
  pthread_mutex_t lock; /* held by the caller of the current job */
  atomic_int size;      /* threads a job may use, the caller's included */
  int workers;          /* started (under lock) */
  atomic_uint gen;      /* futex: the current job's number */
  atomic_ullong claim;  /* gen << 32 | parts << 16 | next part */
  atomic_uint done;     /* futex: parts of the current job finished */
  atomic_int sleepers;  /* workers asleep or about to sleep on gen */
  atomic_int caller_sleeps;
  MatTeamFn fn; /* the current job, written under lock before claim and gen move */
  void *arg;
} team = {.lock = PTHREAD_MUTEX_INITIALIZER, .size = 1};

static void futex_wait(atomic_uint *addr, unsigned val) {
  syscall(SYS_futex, (unsigned *)addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}
static void futex_wake(atomic_uint *addr) {
  syscall(SYS_futex, (unsigned *)addr, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* Spins until *word != old or SPIN_NS have passed; true if it changed. */
static bool spin_while_equal(atomic_uint *word, unsigned old) {
  long long end = 0;
  for (int k = 0;; k++) {
    if (atomic_load_explicit(word, memory_order_acquire) != old) return true;
    if ((k & 255) == 255) {
      long long t = now_ns();
      if (!end) end = t + SPIN_NS;
      else if (t > end) return false;
    }
    cpu_relax();
  }
}

/* Claims and runs parts of the current job until none is left. */
static void run_parts(void) {
  unsigned long long c = atomic_load(&team.claim);
  for (;;) {
    unsigned parts = (unsigned)(c >> 16) & MAX_PARTS, next = (unsigned)c & MAX_PARTS;
    if (next >= parts) return;
    if (!atomic_compare_exchange_weak(&team.claim, &c, c + 1)) continue; /* c reloaded */
    team.fn(team.arg, (int)next, (int)parts);
    if (atomic_fetch_add(&team.done, 1) + 1 == parts && atomic_load(&team.caller_sleeps)) futex_wake(&team.done);
    c = atomic_load(&team.claim);
  }
}

/* Waits for gen to move past seen: spins, then sleeps. The sleeper count is raised before
 * gen is read again, and the caller reads it after moving gen (both sequentially
 * consistent): either the caller sees a sleeper and wakes it, or the worker sees the
 * new gen; the futex itself sleeps only while gen still equals seen. */
static unsigned next_job(unsigned seen) {
  while (!spin_while_equal(&team.gen, seen)) {
    atomic_fetch_add(&team.sleepers, 1);
    if (atomic_load(&team.gen) == seen) futex_wait(&team.gen, seen);
    atomic_fetch_sub(&team.sleepers, 1);
  }
  return atomic_load(&team.gen);
}

static void *worker(void *p) {
  for (unsigned seen = (unsigned)(uintptr_t)p;;) {
    seen = next_job(seen);
    run_parts();
  }
  return NULL;
}

/* Starts workers up to n (under lock); false if none can run. */
static bool start_workers(int n) {
  if (n > MAX_WORKERS) n = MAX_WORKERS;
  while (team.workers < n) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &attr, worker, (void *)(uintptr_t)atomic_load(&team.gen));
    pthread_attr_destroy(&attr);
    if (rc != 0) {
      static atomic_bool warned;
      if (!atomic_exchange(&warned, true))
        WARN("cannot start a worker thread for matrix products; using %d threads", team.workers + 1);
      break;
    }
    team.workers++;
  }
  return team.workers > 0;
}

/* Waits until all `parts` parts are done (the same protocol as next_job). */
static void wait_done(unsigned parts) {
  for (;;) {
    unsigned done = atomic_load(&team.done);
    if (done == parts) return;
    if (spin_while_equal(&team.done, done)) continue;
    atomic_store(&team.caller_sleeps, 1);
    if ((done = atomic_load(&team.done)) != parts) futex_wait(&team.done, done);
    atomic_store(&team.caller_sleeps, 0);
  }
}

void mat_team_set_size(int n) { atomic_store(&team.size, n < 1 ? 1 : n > MAX_WORKERS + 1 ? MAX_WORKERS + 1 : n); }
int mat_team_size(void) { return atomic_load(&team.size); }

void mat_team_run(int parts, MatTeamFn fn, void *arg) {
  if (parts > MAX_PARTS) parts = MAX_PARTS;
  int size = atomic_load(&team.size);
  if (parts < 2 || size < 2 || pthread_mutex_trylock(&team.lock) != 0) {
    for (int i = 0; i < parts; i++) fn(arg, i, parts);
    return;
  }
  if (!start_workers(size - 1 < parts - 1 ? size - 1 : parts - 1)) {
    pthread_mutex_unlock(&team.lock);
    for (int i = 0; i < parts; i++) fn(arg, i, parts);
    return;
  }
  team.fn = fn, team.arg = arg;
  atomic_store(&team.done, 0);
  unsigned g = atomic_load(&team.gen) + 1;
  atomic_store(&team.claim, (unsigned long long)g << 32 | (unsigned long long)parts << 16);
  atomic_store(&team.gen, g);
  if (atomic_load(&team.sleepers)) futex_wake(&team.gen);
  run_parts();
  wait_done((unsigned)parts);
  pthread_mutex_unlock(&team.lock);
}

/* Elementwise cells below which a job stays on one thread: a few microseconds of work,
 * against about one for a hand-off to a spinning worker. */
#define ELEMENTWISE_MIN_CELLS 16384

typedef struct {
  int rows;
  MatRowsFn fn;
  void *arg;
} RowsJob;

static void rows_part(void *p, int part, int parts) {
  const RowsJob *j = p;
  int r0 = (int)((long)j->rows * part / parts), r1 = (int)((long)j->rows * (part + 1) / parts);
  if (r0 < r1) j->fn(j->arg, r0, r1);
}

void mat_team_rows(int rows, int cols, MatRowsFn fn, void *arg) {
  int size = mat_team_size(), parts = size < rows ? size : rows;
  if ((long)rows * cols < ELEMENTWISE_MIN_CELLS || parts < 2) {
    if (rows > 0) fn(arg, 0, rows);
    return;
  }
  RowsJob j = {rows, fn, arg};
  mat_team_run(parts, rows_part, &j);
}
