/* Kaldi-style command-line options shared by every program.
 *
 *   Options *po = opts_new(usage);
 *   opts_int(po, "num-ceps", &num_ceps, "Number of cepstra in MFCC computation");
 *   opts_parse(po, argc, argv);            // --config, --help, --verbose handled here
 *   if (opts_num_args(po) != 2) opts_usage_exit(po);
 *
 * Options come before positional arguments ("--" ends them), as --name=value;
 * a bool may be given as --name (true). --config=file reads one option a line
 * (# starts a comment) before the command line is applied, so the command line
 * wins. An unknown option, a bad value or a malformed config line is an ERROR. */
#ifndef BASE_OPTIONS_H
#define BASE_OPTIONS_H

#include <stdbool.h>

typedef struct Options Options;

Options *opts_new(const char *usage);
/* Registration copies the name and help text (which may be built in a local buffer). */
void opts_free(Options *po);

void opts_bool(Options *po, const char *name, bool *v, const char *help);
void opts_int(Options *po, const char *name, int *v, const char *help);
void opts_float(Options *po, const char *name, float *v, const char *help);
void opts_double(Options *po, const char *name, double *v, const char *help);
/* *v points to a string the caller does not free (a literal or the parser's copy). */
void opts_string(Options *po, const char *name, const char **v, const char *help);
/* Like opts_string, but the value must be one of `choices` ("mfcc|fbank"). */
void opts_choice(Options *po, const char *name, const char **v, const char *choices,
                 const char *help);

/* Parses argv; exits 0 after printing usage on --help, exits 1 with an ERROR on bad input.
 * Also sets the log's program name and verbose level. */
void opts_parse(Options *po, int argc, char **argv);
int opts_num_args(const Options *po);
const char *opts_arg(const Options *po, int i); /* i from 0 */
/* Optional positional argument: the argument, or NULL when absent. */
const char *opts_arg_opt(const Options *po, int i);

void opts_print_usage(const Options *po);
_Noreturn void opts_usage_exit(const Options *po); /* usage to stderr, exit 1 */

/* Reads "--name=value" lines from a config file into po (also used by --config). */
void opts_read_config(Options *po, const char *path);

#endif
