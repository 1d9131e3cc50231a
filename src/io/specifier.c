/* Kaldi rspecifiers and wspecifiers: "TYPE[,OPT...]:TARGET". */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "io/table.h"

void tbl_spec_free(TblSpec *spec) {
  free(spec->archive);
  free(spec->script);
  *spec = (TblSpec){0};
}

/* Applies one comma-separated option; false when it is unknown. */
static bool apply_option(TblSpec *spec, const char *opt, bool for_write, bool *has_ark, bool *has_scp) {
  if (!strcmp(opt, "ark")) *has_ark = true;
  else if (!strcmp(opt, "scp")) *has_scp = true;
  else if (!strcmp(opt, "b")) spec->binary = true;
  else if (!strcmp(opt, "t")) spec->binary = false;
  else if (!strcmp(opt, "p")) spec->permissive = true;
  else if (for_write && !strcmp(opt, "f")) spec->flush = true;
  else if (for_write && !strcmp(opt, "nf")) spec->flush = false;
  else if (!for_write && !strcmp(opt, "o")) spec->once = true;
  else if (!for_write && !strcmp(opt, "no")) spec->once = false;
  else if (!for_write && !strcmp(opt, "s")) spec->sorted = true;
  else if (!for_write && !strcmp(opt, "ns")) spec->sorted = false;
  else if (!for_write && !strcmp(opt, "cs")) spec->called_sorted = true;
  else if (!for_write && !strcmp(opt, "ncs")) spec->called_sorted = false;
  else if (!for_write && !strcmp(opt, "bg")) {} /* background reading: accepted, not needed */
  else if (!for_write && !strcmp(opt, "np")) spec->permissive = false;
  else return false;
  return true;
}

static bool parse_spec(const char *s, TblSpec *spec, bool for_write) {
  *spec = (TblSpec){TBL_NONE, true, false, false, false, false, false, NULL, NULL};
  const char *colon = strchr(s, ':');
  if (!colon || colon == s) return false;
  char *opts = xasprintf("%.*s", (int)(colon - s), s);
  bool has_ark = false, has_scp = false, ok = true;
  char *save = NULL;
  for (char *o = strtok_r(opts, ",", &save); o && ok; o = strtok_r(NULL, ",", &save))
    ok = apply_option(spec, o, for_write, &has_ark, &has_scp);
  free(opts);
  const char *target = colon + 1;
  while (*target == ' ') target++;
  if (!ok || (!has_ark && !has_scp) || !*target) return false;
  if (has_ark && has_scp) {
    if (!for_write) return false; /* "ark,scp:" is a write-only form */
    const char *comma = strchr(target, ',');
    if (!comma || comma == target || !comma[1]) return false;
    spec->type = TBL_BOTH;
    spec->archive = xasprintf("%.*s", (int)(comma - target), target);
    spec->script = xstrdup(comma + 1);
  } else if (has_ark) {
    spec->type = TBL_ARCHIVE;
    spec->archive = xstrdup(target);
  } else {
    spec->type = TBL_SCRIPT;
    spec->script = xstrdup(target);
  }
  return true;
}

bool tbl_parse_rspecifier(const char *s, TblSpec *spec) { return parse_spec(s, spec, false); }
bool tbl_parse_wspecifier(const char *s, TblSpec *spec) { return parse_spec(s, spec, true); }
