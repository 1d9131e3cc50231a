#!/usr/bin/env python3
"""Independent reference for interpolated Kneser-Ney (Chen & Goodman 1998, sec. 3.5).

Computes p(w | h) recursively from counts, the textbook way (no back-off form, no
hash tables), for a small corpus and order 3, and writes every history of length
0..2 over the vocabulary with every predicted word:
    sent w1 w2 ...            (the corpus, one line per sentence)
    prob h1 h2 | w ln-prob    (history oldest first, possibly empty)
Conventions (those of make-ngram-lm): the highest order and n-grams starting with <s>
use raw counts, other lower orders continuation counts N1+(. g); one discount per
order D = n1 / (n1 + 2 n2) (0.5 when n1 or n2 is 0); unigrams interpolate with the
uniform distribution over the vocabulary without <s> (seen words, </s>, <unk>).
Usage: kn_reference.py > kn-trigram.txt
"""
import math
from collections import defaultdict

ORDER = 3
CORPUS = [
    "a b c", "a b", "b c a", "a b c d", "c c a b", "d a", "a", "b b b c",
    "a c d", "d d a b", "c a b c", "b a",
]


def main():
    sents = [s.split() for s in CORPUS]
    raw = defaultdict(int)  # n-gram tuple -> raw count
    for s in sents:
        t = ["<s>"] + s + ["</s>"]
        for i in range(1, len(t)):
            for n in range(1, ORDER + 1):
                if i - n + 1 >= 0:
                    raw[tuple(t[i - n + 1:i + 1])] += 1
    # adjusted counts a_n
    adj = {}
    for g, c in raw.items():
        if len(g) == ORDER or g[0] == "<s>":
            adj[g] = c
        else:
            adj[g] = len({h[0] for h in raw if len(h) == len(g) + 1 and h[1:] == g})
    vocab = sorted({w for s in sents for w in s} | {"</s>", "<unk>"})
    disc = {}
    for n in range(1, ORDER + 1):
        vals = [c for g, c in adj.items() if len(g) == n]
        n1, n2 = vals.count(1), vals.count(2)
        disc[n] = n1 / (n1 + 2 * n2) if n1 and n2 else 0.5

    def prob(h, w):
        n = len(h) + 1
        if n == 1:
            tot = sum(c for g, c in adj.items() if len(g) == 1)
            types = sum(1 for g in adj if len(g) == 1)
            return max(adj.get((w,), 0) - disc[1], 0) / tot + disc[1] * types / tot / len(vocab)
        ext = {g: c for g, c in adj.items() if len(g) == n and g[:-1] == h}
        lower = prob(h[1:], w)
        if not ext:
            return lower
        tot = sum(ext.values())
        return (max(ext.get(h + (w,), 0) - disc[n], 0) + disc[n] * len(ext) * lower) / tot

    for s in CORPUS:
        print("sent", s)
    hist_words = ["<s>"] + vocab
    hists = [()] + [(x,) for x in hist_words] + [(x, y) for x in hist_words for y in hist_words]
    for h in hists:
        for w in vocab:
            print("prob", *h, "|", w, "%.10f" % math.log(prob(h, w)))


if __name__ == "__main__":
    main()
