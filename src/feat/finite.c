/* Features holding a NaN or an infinity (feat.h): one rule for every program that
 * consumes features. */
#include <math.h>

#include "base/log.h"
#include "feat/feat.h"

static bool strict_features;

void feat_register_strict(Options *po) {
  opts_bool(po, "strict", &strict_features,
            "Stop with an error on features holding a NaN or an infinity (default: skip the utterance "
            "with a warning)");
}

bool feat_check_finite(const char *rspec, const char *key, Mat f) {
  int r, c;
  if (mat_all_finite(f, &r, &c)) return true;
  const char *what = isnan(*mat_at(f, r, c)) ? "NaN" : "infinity";
  if (strict_features) ERROR("%s: utterance %s: %s at frame %d, dimension %d (--strict)", rspec, key, what, r, c);
  WARN("%s: utterance %s: %s at frame %d, dimension %d; skipped", rspec, key, what, r, c);
  return false;
}
