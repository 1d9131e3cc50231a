/* Kaldi-style logging to stderr.
 *   LOG (prog[func]:file:line) message
 *   WARNING (prog[func]:file:line) message
 *   ERROR (prog[func]:file:line) message      -> runs exit hooks, exit(1)
 * VLOG(n, ...) prints only when --verbose >= n. */
#ifndef BASE_LOG_H
#define BASE_LOG_H

#include <stdarg.h>

void log_set_program(const char *argv0);
const char *log_program(void);
void log_set_verbose(int level);
int log_verbose(void);

void log_message(const char *kind, const char *func, const char *file, int line,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
_Noreturn void log_fatal(const char *func, const char *file, int line,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* For a write to stdout that failed with EPIPE (its reader went away, as in
 * `copy-feats ark:x.ark ark,t:- | head`): ends the program quietly, as Kaldi's programs
 * end, killed by SIGPIPE, after the exit hooks have removed unfinished outputs. */
_Noreturn void log_exit_stdout_closed(void);

/* Replaces what ERROR does after printing (default: exit(1)). For fuzzing harnesses,
 * which longjmp back; a hook that returns falls back to exit(1). */
void log_set_fatal_hook(void (*hook)(void));

#define LOG(...) log_message("LOG", __func__, __FILE__, __LINE__, __VA_ARGS__)
#define WARN(...) log_message("WARNING", __func__, __FILE__, __LINE__, __VA_ARGS__)
#define ERROR(...) log_fatal(__func__, __FILE__, __LINE__, __VA_ARGS__)
#define VLOG(n, ...) \
  do { if (log_verbose() >= (n)) log_message("VLOG[" #n "]", __func__, __FILE__, __LINE__, __VA_ARGS__); } while (0)

#endif
