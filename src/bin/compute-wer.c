/* compute-wer: word (or character) error rate of hypotheses against references,
 * printing Kaldi's compute-wer lines byte for byte. */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/options.h"
#include "base/strmap.h"
#include "base/util.h"
#include "io/table.h"
#include "score/score.h"

typedef struct {
  char *name;
  ScoreStats stats;
} Group;

typedef struct {
  Group *g;
  int n, cap;
} Groups;

static ScoreStats *group_stats(Groups *gs, const char *name) {
  for (int i = 0; i < gs->n; i++)
    if (strcmp(gs->g[i].name, name) == 0) return &gs->g[i].stats;
  if (gs->n == gs->cap) {
    gs->cap = gs->cap ? 2 * gs->cap : 8;
    gs->g = xrealloc(gs->g, sizeof(Group) * (size_t)gs->cap);
  }
  gs->g[gs->n] = (Group){xstrdup(name), {0}};
  return &gs->g[gs->n++].stats;
}

static int group_cmp(const void *a, const void *b) {
  return strcmp(((const Group *)a)->name, ((const Group *)b)->name);
}

static void print_report(const ScoreStats *s, const char *label, const char *prefix) {
  char wer[256], ser[128];
  score_format_wer(s, label, wer, sizeof wer);
  score_format_ser(s, ser, sizeof ser);
  if (prefix) {
    printf("%s %s %s\n", prefix, wer, ser);
  } else {
    printf("%s\n%s\n", wer, ser);
    printf("Scored %ld sentences, %ld not present in hyp.\n", s->sents, s->absent);
  }
}

/* "key r h ; r h ; ..." as Kaldi's align-text writes it, <eps> for epsilon. */
static void write_alignment(Output *out, const char *key, const char *const *ref, int nref,
                            const char *const *hyp, int nhyp) {
  int n;
  ScorePair *p = score_align(ref, nref, hyp, nhyp, &n);
  output_printf(out, "%s", key);
  for (int i = 0; i < n; i++)
    output_printf(out, "%s %s %s", i ? " ;" : "", p[i].ref ? p[i].ref : "<eps>",
                  p[i].hyp ? p[i].hyp : "<eps>");
  output_printf(out, "\n");
  free(p);
}

int main(int argc, char **argv) {
  const char *usage =
      "Compute the word error rate (or character error rate) of hypotheses against\n"
      "reference transcripts, printing Kaldi's %WER / %SER / Scored lines.\n"
      "Usage: compute-wer [options] <ref-rspecifier> <hyp-rspecifier>\n"
      "e.g.: compute-wer --text --mode=present ark:data/test/text ark:exp/decode/hyp.txt\n";
  const char *mode = "strict", *level = "word", *utt2group = "", *details = "";
  bool text = false;
  Options *po = opts_new(usage);
  opts_choice(po, "mode", &mode, "present|all|strict",
              "Scoring mode: \"present\" scores only utterances with a hypothesis, \"all\" "
              "treats absent hypotheses as empty, \"strict\" fails on an absent hypothesis");
  opts_bool(po, "text", &text, "Accepted for compatibility with Kaldi: input is always read "
            "as text tokens (integers included)");
  opts_choice(po, "level", &level, "word|char",
              "Score words, or UTF-8 characters (CER; spaces are not counted)");
  opts_string(po, "utt2group", &utt2group,
              "rspecifier of utt -> group (e.g. ark:data/test/utt2lang): also print one line "
              "of error rates per group");
  opts_string(po, "details", &details,
              "wxfilename for per-utterance alignments, align-text style "
              "(key ref hyp ; ref hyp ; ... with <eps>)");
  opts_parse(po, argc, argv);
  if (opts_num_args(po) != 2) opts_usage_exit(po);
  const char *ref_rspec = opts_arg(po, 0), *hyp_rspec = opts_arg(po, 1);
  bool chars = strcmp(level, "char") == 0;

  ScoreTexts *hyps = score_texts_read(hyp_rspec);
  RandomReader *groups_in = *utt2group ? tbl_random_open(utt2group, &tbl_tokens_holder) : NULL;
  Output *details_out = *details ? output_open(details) : NULL;
  ScoreStats total = {0};
  Groups groups = {0};
  StrMap *ref_keys = strmap_new();
  TableReader *refs = tbl_reader_open(ref_rspec, &tbl_tokens_holder);
  for (; !tbl_reader_done(refs); tbl_reader_next(refs)) {
    const char *key = tbl_reader_key(refs);
    const Tokens *ref = tbl_reader_value(refs);
    if (strmap_put(ref_keys, key, ref_keys)) ERROR("duplicate key %s in %s", key, ref_rspec);
    int nhyp = 0;
    const char *const *hyp = NULL;
    bool found = score_texts_find(hyps, key, &hyp, &nhyp);
    ScoreStats *gstats = NULL;
    if (groups_in) {
      const Tokens *g = tbl_random_value(groups_in, key);
      if (!g || g->len < 1) WARN("utterance %s has no group in %s", key, utt2group);
      else gstats = group_stats(&groups, g->tok[0]);
    }
    if (!found) {
      if (strcmp(mode, "strict") == 0)
        ERROR("No hypothesis for key %s and strict mode specifier.", key);
      total.absent++;
      if (gstats) gstats->absent++;
      if (strcmp(mode, "present") == 0) continue;
    }
    const char *const *r = (const char *const *)ref->tok, *const *h = hyp;
    int nr = ref->len, nh = nhyp;
    char **rc = NULL, **hc = NULL;
    if (chars) {
      r = (const char *const *)(rc = score_utf8_chars(r, nr, &nr));
      h = (const char *const *)(hc = score_utf8_chars(h, nh, &nh));
    }
    score_stats_add(&total, r, nr, h, nh);
    if (gstats) score_stats_add(gstats, r, nr, h, nh);
    if (details_out) write_alignment(details_out, key, r, nr, h, nh);
    free(rc);
    free(hc);
  }
  tbl_reader_close(refs);
  strmap_free(ref_keys);
  const char *first = NULL;
  int unused = score_texts_unused(hyps, &first);
  if (unused) WARN("%d hypotheses have no reference in %s (e.g. key %s); not scored", unused,
                   ref_rspec, first);
  /* An error rate of nothing is not a result. */
  if (total.sents == 0 && total.absent)
    ERROR("no sentence scored: none of the %ld references in %s has a hypothesis in %s (--mode=present)",
          total.absent, ref_rspec, hyp_rspec);
  if (total.sents == 0) ERROR("no sentence scored: no reference in %s", ref_rspec);
  print_report(&total, chars ? "CER" : "WER", NULL);
  if (groups.n) qsort(groups.g, (size_t)groups.n, sizeof(Group), group_cmp);
  for (int i = 0; i < groups.n; i++) {
    char prefix[512];
    snprintf(prefix, sizeof prefix, "group=%s", groups.g[i].name);
    print_report(&groups.g[i].stats, chars ? "CER" : "WER", prefix);
    free(groups.g[i].name);
  }
  free(groups.g);
  if (details_out) output_close(details_out);
  if (groups_in) tbl_random_close(groups_in);
  score_texts_free(hyps);
  opts_free(po);
  return 0;
}
