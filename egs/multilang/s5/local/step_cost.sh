#!/usr/bin/env bash
# The compute of one meta-train outer step, in utterance gradient evaluations: a forward
# and backward pass over one utterance counts 1, a forward pass alone 1/3, a Hessian-
# vector product 2 (a forward, an R-forward, a backward and an R-backward pass). Per task
# of the meta-batch, with S support and Q query utterances (or --inner-batch b of the
# support set per inner step) and k inner steps:
#   multitask  S + Q (one gradient of the pooled loss) + Q/3 (the query loss it logs);
#              with --learn-inner-lr: Q + k S + Q (the query gradient at theta, the inner
#              steps, whose first gradient the pooled one reuses, the query gradient after)
#   reptile    k S + 2Q/3          (inner steps; query loss before and after); with
#              --inner-set=support+query k (S+Q) + Q/3, or k b with --inner-batch b
#              (inner steps over both sets; the query loss before)
#   fomaml     k S + Q + Q/3       (inner steps, the query gradient, the query loss before)
#   maml       k S + Q + Q/3 + 2 k S (and a Hessian-vector product per inner step)
#              + (k-1) Q with --multi-step-loss (the query gradient after every step)
#   imaml      k S + Q + Q/3 + 2 m S' (and a Hessian-vector product on the whole support
#              set, S' utterances, per conjugate-gradient iteration; m = --imaml-cg-steps)
# Options are read as meta-train reads them: the config file, then the command line.
support=10
query=10
help_message="Usage: local/step_cost.sh [--support S] [--query Q] <meta-train-config> [meta-train options]
Prints the utterance gradient evaluations of one outer step (rounded to an integer).
e.g.: local/step_cost.sh --support 10 --query 10 conf/meta/maml.conf --inner-steps=5"
. utils/parse_options.sh || exit 1
[ $# -ge 1 ] || { echo "$help_message" >&2; exit 1; }
conf=$1; shift
[ -f $conf ] || { echo "step_cost.sh: ERROR: no config $conf" >&2; exit 1; }
{ grep -v '^#' $conf; printf '%s\n' "$@"; } | awk -v S=$support -v Q=$query -F= '
  BEGIN { algo = "maml"; k = 1; b = 0; mb = 4; msl = 0; m = 5; lr = "none"; set = "support" }   # meta-train defaults
  $1 == "--algo" { algo = $2 } $1 == "--inner-steps" { k = $2 }
  $1 == "--multi-step-loss" { msl = ($2 == "" || $2 == "true") }
  $1 == "--inner-batch" { b = $2 } $1 == "--meta-batch" { mb = $2 }
  $1 == "--imaml-cg-steps" { m = $2 } $1 == "--learn-inner-lr" { lr = $2 } $1 == "--inner-set" { set = $2 }
  END {
    s = (b > 0 && b < S) ? b : S
    if (algo == "multitask" && lr != "none") c = Q + k * S + Q
    else if (algo == "multitask") c = S + Q + Q / 3
    else if (algo == "reptile" && set == "support+query") c = k * ((b > 0 && b < S + Q) ? b : S + Q) + Q / 3
    else if (algo == "reptile") c = k * s + 2 * Q / 3
    else if (algo == "fomaml") c = k * s + Q + Q / 3
    else if (algo == "maml") c = k * s + Q + Q / 3 + 2 * k * s + msl * (k - 1) * Q
    else if (algo == "imaml") c = k * s + Q + Q / 3 + 2 * m * S
    else { print "step_cost.sh: ERROR: unknown --algo=" algo > "/dev/stderr"; exit 1 }
    printf "%d\n", mb * c + 0.5
  }'
