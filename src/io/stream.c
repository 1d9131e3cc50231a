#include "io/stream.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "base/log.h"
#include "base/util.h"

/* ---------- commands ---------- */

/* Runs "sh -c cmd" with its stdout (for_read) or stdin connected to the returned fd. */
static int spawn_command(const char *cmd, bool for_read, pid_t *pid) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  fflush(NULL);
  *pid = fork();
  if (*pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return -1;
  }
  if (*pid == 0) {
    if (for_read) dup2(fds[1], STDOUT_FILENO);
    else dup2(fds[0], STDIN_FILENO);
    close(fds[0]);
    close(fds[1]);
    signal(SIGPIPE, SIG_DFL);
    execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
    _exit(127);
  }
  close(for_read ? fds[1] : fds[0]);
  int fd = for_read ? fds[0] : fds[1];
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  return fd;
}

/* 0 when the command exited 0; otherwise its exit status (or 128+signal). */
static int wait_command(pid_t pid) {
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

static char *trim_copy(const char *s, size_t n) {
  while (n && (*s == ' ' || *s == '\t')) s++, n--;
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
  char *r = xmalloc(n + 1);
  memcpy(r, s, n);
  r[n] = '\0';
  return r;
}

/* ---------- input ---------- */

struct Input {
  char *name;
  gzFile gz;
  pid_t pid; /* > 0 for a pipe */
};

/* "file:1234" -> file and offset; returns the offset or -1 when there is none. */
static int64_t split_offset(const char *name, char **file) {
  const char *colon = strrchr(name, ':');
  if (colon && colon[1]) {
    const char *p = colon + 1;
    while (*p >= '0' && *p <= '9') p++;
    if (*p == '\0') {
      *file = xasprintf("%.*s", (int)(colon - name), name);
      return strtoll(colon + 1, NULL, 10);
    }
  }
  *file = xstrdup(name);
  return -1;
}

Input *input_try_open(const char *rxfilename, char *err, size_t errlen) {
  size_t n = strlen(rxfilename);
  Input *in = xcalloc(1, sizeof *in);
  in->name = xstrdup(rxfilename);
  int fd = -1;
  int64_t offset = -1;
  if (n > 0 && rxfilename[n - 1] == '|') {
    char *cmd = trim_copy(rxfilename, n - 1);
    fd = spawn_command(cmd, true, &in->pid);
    free(cmd);
    if (fd < 0) snprintf(err, errlen, "cannot start command '%s': %s", rxfilename, strerror(errno));
  } else if (!strcmp(rxfilename, "-")) {
    fd = dup(STDIN_FILENO);
    if (fd < 0) snprintf(err, errlen, "cannot read standard input");
  } else {
    char *file;
    offset = split_offset(rxfilename, &file);
    if (offset >= 0 && access(file, F_OK) != 0 && access(rxfilename, F_OK) == 0) {
      free(file); /* a file whose name really ends in ":digits" */
      file = xstrdup(rxfilename);
      offset = -1;
    }
    fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) snprintf(err, errlen, "cannot open %s: %s", file, strerror(errno));
    free(file);
  }
  if (fd >= 0) in->gz = gzdopen(fd, "rb");
  if (fd >= 0 && !in->gz) {
    snprintf(err, errlen, "cannot read %s", rxfilename);
    close(fd);
  }
  if (in->gz) {
    gzbuffer(in->gz, 1 << 17);
    if (offset >= 0 && !input_seek(in, offset)) {
      snprintf(err, errlen, "cannot seek to offset %lld in %s", (long long)offset, rxfilename);
      input_close(in, NULL, 0);
      return NULL;
    }
    return in;
  }
  if (in->pid > 0) wait_command(in->pid);
  free(in->name);
  free(in);
  return NULL;
}

Input *input_open(const char *rxfilename) {
  char err[1024];
  Input *in = input_try_open(rxfilename, err, sizeof err);
  if (!in) ERROR("%s", err);
  return in;
}

const char *input_name(const Input *in) { return in->name; }
int input_getc(Input *in) { return gzgetc(in->gz); }

int input_peek(Input *in) {
  int c = gzgetc(in->gz);
  if (c != -1) gzungetc(c, in->gz);
  return c;
}

size_t input_read(Input *in, void *buf, size_t n) {
  size_t done = 0;
  while (done < n) {
    unsigned chunk = (n - done) > (1u << 30) ? (1u << 30) : (unsigned)(n - done);
    int got = gzread(in->gz, (char *)buf + done, chunk);
    if (got <= 0) break;
    done += (size_t)got;
  }
  return done;
}

bool input_seek(Input *in, int64_t offset) {
  if (in->pid > 0) return false;
  if (gzseek(in->gz, (z_off_t)offset, SEEK_SET) != (z_off_t)offset) return false;
  /* A seek past the end succeeds in zlib: check that something is there. */
  return input_peek(in) != -1;
}

int64_t input_tell(Input *in) { return (int64_t)gztell(in->gz); }
bool input_eof(Input *in) { return input_peek(in) == -1; }

bool input_getline(Input *in, char **line, size_t *cap) {
  size_t len = 0;
  int c = gzgetc(in->gz);
  if (c == -1) return false;
  for (; c != -1 && c != '\n'; c = gzgetc(in->gz)) {
    if (len + 2 > *cap) {
      *cap = *cap ? 2 * *cap : 256;
      *line = xrealloc(*line, *cap);
    }
    (*line)[len++] = (char)c;
  }
  if (!*line) *line = xmalloc(*cap = 256);
  if (len && (*line)[len - 1] == '\r') len--;
  (*line)[len] = '\0';
  return true;
}

bool input_close(Input *in, char *err, size_t errlen) {
  bool ok = true;
  int errnum = 0;
  const char *msg = gzerror(in->gz, &errnum);
  if (errnum < 0 && errnum != Z_BUF_ERROR) {
    ok = false;
    if (err) snprintf(err, errlen, "read error on %s: %s", in->name, msg);
  }
  if (in->pid > 0) {
    /* Drain the pipe so the writer is not killed by SIGPIPE when we stop early. */
    char buf[4096];
    while (gzread(in->gz, buf, sizeof buf) > 0) {}
  }
  gzclose(in->gz);
  if (in->pid > 0) {
    int status = wait_command(in->pid);
    if (status != 0) {
      ok = false;
      if (err) snprintf(err, errlen, "command '%s' failed with status %d", in->name, status);
    }
  }
  free(in->name);
  free(in);
  return ok;
}

char *read_whole_file(const char *rxfilename, size_t *len) {
  Input *in = input_open(rxfilename);
  size_t cap = 1 << 16, n = 0;
  char *buf = xmalloc(cap);
  size_t got;
  while ((got = input_read(in, buf + n, cap - n - 1)) > 0) {
    n += got;
    if (n + 1 == cap) buf = xrealloc(buf, cap *= 2);
  }
  buf[n] = '\0';
  char err[1024];
  if (!input_close(in, err, sizeof err)) ERROR("%s", err);
  if (len) *len = n;
  return buf;
}

/* ---------- output ---------- */

struct Output {
  char *name;     /* as given */
  char *target;   /* final file name (files only) */
  char *tmp;      /* temporary name, renamed to target on close */
  FILE *fp;
  gzFile gz;
  pid_t pid;
  int64_t written;
  Output *next_pending;
};

/* Outputs not yet committed; their temporary files are removed at exit. */
static Output *pending;
static bool cleanup_registered;

static void remove_pending_outputs(void) {
  for (Output *o = pending; o; o = o->next_pending)
    if (o->tmp) unlink(o->tmp);
}

static void unlink_pending(Output *out) {
  for (Output **p = &pending; *p; p = &(*p)->next_pending)
    if (*p == out) {
      *p = out->next_pending;
      return;
    }
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && !strcmp(s + n - m, suffix);
}

/* Opens file for writing under a temporary name (devices and FIFOs in place); false with
 * a message naming the file the user gave (never the temporary one) in err. */
static bool open_file_output(Output *out, const char *file, char *err, size_t errlen) {
  struct stat st;
  if (stat(file, &st) == 0 && !S_ISREG(st.st_mode)) { /* /dev/null, /dev/full, named pipes */
    out->fp = fopen(file, "wb");
    if (!out->fp) snprintf(err, errlen, "cannot open %s for writing: %s", file, strerror(errno));
    return out->fp != NULL;
  }
  out->target = xstrdup(file);
  out->tmp = xasprintf("%s.tmp.XXXXXX", file);
  int fd = mkstemp(out->tmp);
  if (fd < 0) {
    snprintf(err, errlen, "cannot create %s: %s", file, strerror(errno));
    free(out->tmp);
    out->tmp = NULL;
    return false;
  }
  fchmod(fd, 0644);
  if (!cleanup_registered) {
    atexit(remove_pending_outputs);
    cleanup_registered = true;
  }
  out->next_pending = pending;
  pending = out;
  if (ends_with(file, ".gz")) out->gz = gzdopen(fd, "wb6");
  else out->fp = fdopen(fd, "wb");
  if (!out->gz && !out->fp) {
    snprintf(err, errlen, "cannot open %s for writing: %s", file, strerror(errno));
    close(fd);
  }
  return out->gz || out->fp;
}

Output *output_open(const char *wxfilename) {
  Output *out = xcalloc(1, sizeof *out);
  out->name = xstrdup(wxfilename);
  const char *s = wxfilename;
  while (*s == ' ') s++;
  char err[1024] = "";
  if (*s == '|') {
    signal(SIGPIPE, SIG_IGN); /* a reader that goes away becomes a write error, not a silent death */
    int fd = spawn_command(s + 1, false, &out->pid);
    if (fd >= 0 && !(out->fp = fdopen(fd, "wb"))) close(fd);
    if (!out->fp) snprintf(err, sizeof err, "cannot start command '%s'", s + 1);
  } else if (!strcmp(s, "-")) {
    signal(SIGPIPE, SIG_IGN);
    out->fp = stdout;
  } else if (!*s) {
    snprintf(err, sizeof err, "empty output filename");
  } else {
    open_file_output(out, wxfilename, err, sizeof err);
  }
  if (*err) { /* released before the ERROR: nothing left behind, no leak report */
    output_abort(out);
    ERROR("%s", err);
  }
  return out;
}

const char *output_name(const Output *out) { return out->name; }
int64_t output_tell(const Output *out) { return out->written; }

/* A write that failed: stdout's reader going away ends the program quietly (as in
 * Kaldi); anything else is an ERROR naming the output. */
static _Noreturn void write_failed(const Output *out) {
  if (out->fp == stdout && errno == EPIPE) log_exit_stdout_closed();
  ERROR("write error on %s: %s", out->fp == stdout ? "standard output" : out->name, strerror(errno));
}

void output_write(Output *out, const void *buf, size_t n) {
  if (!n) return;
  bool ok = out->gz ? gzwrite(out->gz, buf, (unsigned)n) == (int)n : fwrite(buf, 1, n, out->fp) == n;
  if (!ok) write_failed(out);
  out->written += (int64_t)n;
}

void output_putc(Output *out, int c) {
  char ch = (char)c;
  output_write(out, &ch, 1);
}

void output_printf(Output *out, const char *fmt, ...) {
  char small[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < (int)sizeof small) {
    output_write(out, small, (size_t)n);
    return;
  }
  char *big = xmalloc((size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  output_write(out, big, (size_t)n);
  free(big);
}

void output_flush(Output *out) {
  bool ok = out->gz ? gzflush(out->gz, Z_SYNC_FLUSH) == Z_OK : fflush(out->fp) == 0;
  if (!ok) write_failed(out);
}

static void free_output(Output *out) {
  unlink_pending(out);
  free(out->name);
  free(out->target);
  free(out->tmp);
  free(out);
}

void output_close(Output *out) {
  const char *name = out->name;
  if (out->gz) {
    if (gzclose(out->gz) != Z_OK) ERROR("write error on %s", name);
  } else if (out->fp == stdout) {
    if (fflush(stdout) != 0 || ferror(stdout)) write_failed(out);
  } else if (fclose(out->fp) != 0) {
    ERROR("write error on %s: %s", name, strerror(errno));
  }
  if (out->pid > 0) {
    int status = wait_command(out->pid);
    if (status != 0) ERROR("command '%s' failed with status %d", name, status);
  }
  if (out->tmp && rename(out->tmp, out->target) != 0)
    ERROR("cannot write %s (renaming its temporary file failed): %s", out->target, strerror(errno));
  free_output(out);
}

void output_abort(Output *out) {
  if (out->gz) gzclose(out->gz);
  else if (out->fp && out->fp != stdout) fclose(out->fp);
  if (out->pid > 0) wait_command(out->pid);
  if (out->tmp) unlink(out->tmp);
  free_output(out);
}
