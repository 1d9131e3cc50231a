#include "base/options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"

typedef enum { OPT_BOOL, OPT_INT, OPT_FLOAT, OPT_DOUBLE, OPT_STRING } OptType;

typedef struct {
  char *name;
  char *help;
  OptType type;
  void *value;
  const char *choices; /* for strings restricted to a set, else NULL */
  char *default_text;  /* rendered at registration, for --help */
} Option;

struct Options {
  const char *usage;
  Option *opts;
  int num_opts, cap_opts;
  char **strings; /* copies of string values we own */
  int num_strings;
  char **args;
  int num_args;
  bool help;
  const char *config;
  bool print_args;
  int verbose;
};

static char *normalize_name(const char *name) {
  char *s = xstrdup(name);
  for (char *p = s; *p; p++)
    if (*p == '_') *p = '-';
  return s;
}

static char *render_value(const Option *o) {
  switch (o->type) {
    case OPT_BOOL: return xstrdup(*(bool *)o->value ? "true" : "false");
    case OPT_INT: return xasprintf("%d", *(int *)o->value);
    case OPT_FLOAT: return xasprintf("%g", *(float *)o->value);
    case OPT_DOUBLE: return xasprintf("%g", *(double *)o->value);
    case OPT_STRING: {
      const char *s = *(const char **)o->value;
      return xasprintf("\"%s\"", s ? s : "");
    }
  }
  return xstrdup("");
}

static void add_option(Options *po, const char *name, OptType type, void *value,
                       const char *choices, const char *help) {
  if (po->num_opts == po->cap_opts) {
    po->cap_opts = po->cap_opts ? 2 * po->cap_opts : 32;
    po->opts = xrealloc(po->opts, (size_t)po->cap_opts * sizeof(Option));
  }
  Option *o = &po->opts[po->num_opts++];
  *o = (Option){normalize_name(name), xstrdup(help), type, value, choices, NULL};
  o->default_text = render_value(o);
}

Options *opts_new(const char *usage) {
  Options *po = xcalloc(1, sizeof *po);
  po->usage = usage;
  po->print_args = true;
  return po;
}

void opts_free(Options *po) {
  if (!po) return;
  for (int i = 0; i < po->num_opts; i++) {
    free(po->opts[i].name);
    free(po->opts[i].help);
    free(po->opts[i].default_text);
  }
  for (int i = 0; i < po->num_strings; i++) free(po->strings[i]);
  free(po->strings);
  free(po->opts);
  free(po);
}

void opts_bool(Options *po, const char *n, bool *v, const char *h) { add_option(po, n, OPT_BOOL, v, NULL, h); }
void opts_int(Options *po, const char *n, int *v, const char *h) { add_option(po, n, OPT_INT, v, NULL, h); }
void opts_float(Options *po, const char *n, float *v, const char *h) { add_option(po, n, OPT_FLOAT, v, NULL, h); }
void opts_double(Options *po, const char *n, double *v, const char *h) { add_option(po, n, OPT_DOUBLE, v, NULL, h); }
void opts_string(Options *po, const char *n, const char **v, const char *h) { add_option(po, n, OPT_STRING, v, NULL, h); }
void opts_choice(Options *po, const char *n, const char **v, const char *choices, const char *h) {
  add_option(po, n, OPT_STRING, v, choices, h);
}

static Option *find_option(Options *po, const char *name) {
  for (int i = 0; i < po->num_opts; i++)
    if (!strcmp(po->opts[i].name, name)) return &po->opts[i];
  return NULL;
}

static bool in_choices(const char *choices, const char *value) {
  size_t n = strlen(value);
  for (const char *p = choices; *p;) {
    const char *bar = strchr(p, '|');
    size_t len = bar ? (size_t)(bar - p) : strlen(p);
    if (len == n && !strncmp(p, value, n)) return true;
    if (!bar) break;
    p = bar + 1;
  }
  return false;
}

/* Applies "name" = "value" (value NULL when given as a bare --name). `where` names the source. */
static void set_option(Options *po, const char *raw_name, const char *value, const char *where) {
  char *name = normalize_name(raw_name);
  Option *o = find_option(po, name);
  if (!o) ERROR("%s: unknown option --%s (see --help)", where, name);
  free(name);
  if (!value && o->type != OPT_BOOL) ERROR("%s: option --%s needs a value (--%s=...)", where, o->name, o->name);
  bool ok = true;
  switch (o->type) {
    case OPT_BOOL: ok = value ? parse_bool(value, (bool *)o->value) : (*(bool *)o->value = true); break;
    case OPT_INT: ok = parse_int(value, (int *)o->value); break;
    case OPT_FLOAT: ok = parse_float(value, (float *)o->value); break;
    case OPT_DOUBLE: ok = parse_double(value, (double *)o->value); break;
    case OPT_STRING:
      if (o->choices && !in_choices(o->choices, value))
        ERROR("%s: bad value '%s' for --%s: expected one of %s", where, value, o->name, o->choices);
      po->strings = xrealloc(po->strings, (size_t)(po->num_strings + 1) * sizeof(char *));
      po->strings[po->num_strings++] = xstrdup(value);
      *(const char **)o->value = po->strings[po->num_strings - 1];
      break;
  }
  if (!ok) ERROR("%s: bad value '%s' for --%s", where, value, o->name);
}

/* Splits "--name=value" and applies it; returns false if arg is not an option. */
static void apply_arg(Options *po, const char *arg, const char *where) {
  const char *body = arg + 2;
  const char *eq = strchr(body, '=');
  if (!eq) {
    set_option(po, body, NULL, where);
    return;
  }
  char *name = xasprintf("%.*s", (int)(eq - body), body);
  set_option(po, name, eq + 1, where);
  free(name);
}

void opts_read_config(Options *po, const char *path) {
  static int depth; /* --config lines may nest; a file including itself must not loop */
  if (depth >= 16) ERROR("config file %s: --config nested more than 16 deep (a file including itself?)", path);
  FILE *f = fopen(path, "r");
  if (!f) ERROR("cannot open config file %s", path);
  char line[4096];
  int lineno = 0;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    char *hash = strchr(line, '#');
    if (hash) *hash = '\0';
    char *s = line, *e;
    while (*s == ' ' || *s == '\t') s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t')) *--e = '\0';
    if (!*s) continue;
    char where[1100];
    snprintf(where, sizeof where, "config file %s line %d", path, lineno);
    if (strncmp(s, "--", 2) != 0 || s[2] == '\0')
      ERROR("%s: expected --name=value, got '%s'", where, s);
    if (!strncmp(s, "--config=", 9)) {
      depth++;
      opts_read_config(po, s + 9);
      depth--;
      continue;
    }
    apply_arg(po, s, where);
  }
  fclose(f);
}

void opts_parse(Options *po, int argc, char **argv) {
  log_set_program(argv[0]);
  po->config = "";
  opts_string(po, "config", &po->config, "Configuration file to read (this option may be repeated)");
  opts_bool(po, "help", &po->help, "Print out usage message");
  opts_bool(po, "print-args", &po->print_args, "Print the command line arguments (to stderr)");
  opts_int(po, "verbose", &po->verbose, "Verbose level (higher->more logging)");

  int first_positional = argc;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--")) { first_positional = i + 1; break; }
    if (strncmp(argv[i], "--", 2) != 0 || argv[i][2] == '\0') { first_positional = i; break; }
  }
  /* Config files first so the command line overrides them. */
  for (int i = 1; i < first_positional; i++)
    if (!strncmp(argv[i], "--config=", 9)) opts_read_config(po, argv[i] + 9);
  for (int i = 1; i < first_positional; i++) {
    if (!strcmp(argv[i], "--")) break;
    if (strncmp(argv[i], "--config=", 9) != 0) apply_arg(po, argv[i], "command line");
  }
  if (po->help) {
    opts_print_usage(po);
    exit(0);
  }
  log_set_verbose(po->verbose);
  if (po->print_args) {
    for (int i = 0; i < argc; i++) fprintf(stderr, "%s%s", i ? " " : "", argv[i]);
    fputc('\n', stderr);
  }
  po->args = argv + first_positional;
  po->num_args = argc - first_positional;
}

int opts_num_args(const Options *po) { return po->num_args; }

const char *opts_arg(const Options *po, int i) {
  if (i < 0 || i >= po->num_args) ERROR("positional argument %d requested, only %d given", i + 1, po->num_args);
  return po->args[i];
}

const char *opts_arg_opt(const Options *po, int i) {
  return (i >= 0 && i < po->num_args) ? po->args[i] : NULL;
}

static void print_group(const Options *po, FILE *out, bool standard) {
  static const char *std_names[] = {"config", "help", "print-args", "verbose"};
  for (int i = 0; i < po->num_opts; i++) {
    const Option *o = &po->opts[i];
    bool is_std = false;
    for (int k = 0; k < 4; k++) is_std |= !strcmp(o->name, std_names[k]);
    if (is_std != standard) continue;
    static const char *type_names[] = {"bool", "int", "float", "double", "string"};
    char flag[256];
    snprintf(flag, sizeof flag, "--%s", o->name);
    fprintf(out, "  %-28s: %s", flag, o->help);
    if (o->choices) fprintf(out, " {%s}", o->choices);
    fprintf(out, " (%s, default = %s)\n", type_names[o->type], o->default_text);
  }
}

void opts_print_usage(const Options *po) {
  FILE *out = stderr;
  fprintf(out, "\n%s\n", po->usage);
  if (po->num_opts > 4) {
    fprintf(out, "Options:\n");
    print_group(po, out, false);
    fprintf(out, "\n");
  }
  fprintf(out, "Standard options:\n");
  print_group(po, out, true);
  fprintf(out, "\n");
}

void opts_usage_exit(const Options *po) {
  opts_print_usage(po);
  exit(1);
}
