#!/usr/bin/env python3
"""Independent reference for compute-wer-bootci: the exact bootstrap quantities.

A bootstrap replication draws the n scored utterances n times with replacement and takes
the error rate of the draw, E / W (errors over reference words, summed over the draw); a
draw of only empty references (W = 0) is drawn again. compute-wer-bootci estimates, by
Monte Carlo over its replications, the mean of E / W, its standard deviation (the
interval is the mean -/+ 1.96 of them) and the probability that system 2 makes fewer
errors than system 1 on the same draw. Here the same quantities are computed exactly:
the distribution of the draw's sums is the n-fold convolution of the distribution of one
utterance's (errors, words) - or of errors1 - errors2 - over the n utterances, each with
probability 1/n. Errors are counted by a textbook Levenshtein distance.

Writes, for each case, <dir>/<case>.ref, <case>.hyp1 and <case>.hyp2 (Kaldi text) and
prints the expected values, in percent:
    <case> set<k> <mean> <lower> <upper>
    <case> improve <probability>
Usage: bootci_reference.py <dir> > bootci.txt      (e.g. tests/reference/bootci)
"""
import math
import os
import sys
from collections import defaultdict

# Two systems on 12 utterances: the second is better on eight, worse on three.
REF = [
    "the cat sat on the mat",
    "a quick brown fox jumps over the lazy dog",
    "she sells sea shells",
    "by the sea shore",
    "peter piper picked a peck of pickled peppers",
    "how much wood would a woodchuck chuck",
    "red lorry yellow lorry",
    "unique new york",
    "toy boat toy boat toy boat",
    "six slippery snails slid slowly seaward",
    "the rain in spain stays mainly in the plain",
    "i scream you scream we all scream for ice cream",
]
HYP1 = [
    "the cat sat on a mat",
    "a quick brown fox jump over lazy dog",
    "she sell see shells",
    "by the sea shore",
    "peter piper picked peck of pickle peppers",
    "how much would a wood chuck chuck",
    "red lorry yellow lorry",
    "unique new yolk",
    "toy boat toy boat boat",
    "six slippery snail slid slowly seaward",
    "the rain in spain stays mainly on the plane",
    "i scream you scream we all scream for ice cream",
]
HYP2 = [
    "the cat sat on the mat",
    "a quick brown fox jumps over lazy dog",
    "she sells see shells",
    "by a sea shore",
    "peter piper picked a peck of pickled peppers",
    "how much wood would a wood chuck chuck",
    "red lolly yellow lolly",
    "unique new york",
    "toy boat toy boat toy boot",
    "six slippery snails slid slowly seaward",
    "the rain in spain stays mainly in the plane",
    "i scream you scream we scream for ice cream",
]
CASES = {
    "pair": (REF, HYP1, HYP2),
    # One empty reference with an insertion, one of 2 words with 1 error: by hand, the
    # draws with words are AB, BA (rate 2/2) and BB (2/4), each AA is drawn again, so the
    # mean is 2/3 * 1 + 1/3 * 0.5 = 83.33% and the deviation sqrt(0.75 - 0.8333^2).
    "empty": (["", "x y"], ["oops", "x z"], None),
}


def edit_distance(ref, hyp):
    prev = list(range(len(ref) + 1))
    for i, h in enumerate(hyp, 1):
        cur = [i] + [0] * len(ref)
        for j, r in enumerate(ref, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def convolve_n(one, n):
    """The distribution of the sum of n independent draws from `one` (value -> prob)."""
    total = {tuple(0 for _ in next(iter(one))): 1.0}
    for _ in range(n):
        nxt = defaultdict(float)
        for s, p in total.items():
            for v, q in one.items():
                nxt[tuple(a + b for a, b in zip(s, v))] += p * q
        total = nxt
    return total


def rate_interval(errs, words):
    n = len(errs)
    one = defaultdict(float)
    for e, w in zip(errs, words):
        one[(e, w)] += 1.0 / n
    dist = {k: p for k, p in convolve_n(one, n).items() if k[1] > 0}
    z = sum(dist.values())
    mean = sum(p * e / w for (e, w), p in dist.items()) / z
    sq = sum(p * (e / w) ** 2 for (e, w), p in dist.items()) / z
    half = 1.96 * math.sqrt(max(sq - mean * mean, 0.0))
    return mean, mean - half, mean + half


def p_improve(errs1, errs2):
    n = len(errs1)
    one = defaultdict(float)
    for a, b in zip(errs1, errs2):
        one[(a - b,)] += 1.0 / n
    return sum(p for (d,), p in convolve_n(one, n).items() if d > 0)


def write(path, lines):
    with open(path, "w") as f:
        for i, line in enumerate(lines):
            f.write(("utt%02d %s" % (i + 1, line)).rstrip() + "\n")


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, (ref, *hyps) in CASES.items():
        hyps = [h for h in hyps if h is not None]
        write(os.path.join(out, name + ".ref"), ref)
        words = [len(r.split()) for r in ref]
        errs = []
        for k, hyp in enumerate(hyps, 1):
            write(os.path.join(out, "%s.hyp%d" % (name, k)), hyp)
            errs.append([edit_distance(r.split(), h.split()) for r, h in zip(ref, hyp)])
            print("%s set%d %.6f %.6f %.6f" % ((name, k) + tuple(100 * x for x in rate_interval(errs[-1], words))))
        if len(hyps) == 2:
            # Draws are never redrawn here (no empty reference), so the probability needs
            # no conditioning on W > 0.
            assert min(words) > 0
            print("%s improve %.6f" % (name, 100 * p_improve(errs[0], errs[1])))


if __name__ == "__main__":
    main()
