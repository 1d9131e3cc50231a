#!/usr/bin/python3
"""Makes tests/reference/cmvn_sliding.txt, the reference for apply-cmvn-sliding
(tests/unit/test-feat.c): Kaldi's SlidingWindowCmnInternal (src/feat/feature-functions.cc)
re-implemented step by step in numpy float64 - the window rules, the running sums that
drop the leaving frame before adding the entering one, the variance floor of 1e-10 and
a zero output for a one-frame window under variance normalisation.

Run from the top of the source tree:  /usr/bin/python3 tests/reference/make_cmvn_sliding_refs.py
(Debian's python3-numpy). Layout, every number as float32 written with 9 digits:
    input NAME ROWS COLS          then ROWS lines of COLS numbers
    case NAME INPUT ROWS COLS     then a line "opts --opt=value ..." (apply-cmvn-sliding's
                                  options) and ROWS lines of the expected output
"""
import numpy as np

OUT = "tests/reference/cmvn_sliding.txt"


def sliding_cmn(x, cmn_window=600, min_window=100, norm_vars=False, center=False):
    assert cmn_window > 0
    if center:
        assert 0 < min_window <= cmn_window
    x = x.astype(np.float64)
    n, dim = x.shape
    out = np.zeros((n, dim))
    cur_sum = np.zeros(dim)
    cur_sumsq = np.zeros(dim)
    last_start = last_end = -1
    for t in range(n):
        if center:
            start = t - cmn_window // 2
            end = start + cmn_window
        else:
            start = t - cmn_window
            end = t + 1
        if start < 0:
            end -= start
            start = 0
        if not center and end > t:
            end = max(t + 1, min_window)
        if end > n:
            start -= end - n
            end = n
            start = max(start, 0)
        if last_start == -1:
            for r in range(start, end):  # one frame at a time, as Kaldi's axpy loop
                cur_sum += x[r]
                cur_sumsq += x[r] * x[r]
        else:
            if start > last_start:
                assert start == last_start + 1
                cur_sum += -1.0 * x[last_start]
                cur_sumsq += -1.0 * x[last_start] * x[last_start]
            if end > last_end:
                assert end == last_end + 1
                cur_sum += x[last_end]
                cur_sumsq += x[last_end] * x[last_end]
        frames = end - start
        last_start, last_end = start, end
        y = x[t] + (-1.0 / frames) * cur_sum
        if norm_vars:
            if frames == 1:
                y = np.zeros(dim)
            else:
                var = cur_sumsq * (1.0 / frames)
                var = var + (-1.0 / (frames * frames)) * cur_sum * cur_sum
                var = np.maximum(var, 1.0e-10)
                y = y * np.power(var, -0.5)
        out[t] = y
    return out.astype(np.float32)


def opts_of(cmn_window=600, min_window=100, norm_vars=False, center=False):
    b = lambda v: "true" if v else "false"
    return (f"--cmn-window={cmn_window} --min-cmn-window={min_window} "
            f"--norm-vars={b(norm_vars)} --center={b(center)}")


def write_mat(f, head, m, opts=None):
    f.write(f"{head} {m.shape[0]} {m.shape[1]}\n")
    if opts is not None:
        f.write(f"opts {opts}\n")
    for row in m:
        f.write(" ".join(f"{v:.9g}" for v in row) + "\n")


def main():
    rng = np.random.default_rng(20)
    # Filterbank-like values: a slow drift (what CMN removes) plus noise. "short" has fewer
    # frames than the minimum window; "small" has a column constant in its first half and
    # moving by one float step in its second (variance 0, then ~1e-13: both floored).
    long_ = (rng.normal(size=(650, 2)) + np.linspace(0, 8, 650)[:, None] + [10, -3]).astype(np.float32)
    small = (rng.normal(size=(60, 4)) * [1, 2, 0.5, 1] + [5, -1, 2, 0]).astype(np.float32)
    small[:, 3] = 7.25
    small[30::2, 3] = np.nextafter(np.float32(7.25), np.float32(8))
    short = rng.normal(size=(3, 4)).astype(np.float32)
    inputs = {"long": long_, "small": small, "short": short}
    cases = [
        ("default", "long", {}),
        ("center-vars", "long", dict(center=True, norm_vars=True)),
        ("w20", "small", dict(cmn_window=20, min_window=5)),
        ("w20-vars", "small", dict(cmn_window=20, min_window=5, norm_vars=True)),
        ("w20-center", "small", dict(cmn_window=20, min_window=5, center=True)),
        ("w21-center-vars", "small", dict(cmn_window=21, min_window=5, center=True, norm_vars=True)),
        ("w3-min1-vars", "small", dict(cmn_window=3, min_window=1, norm_vars=True)),
        ("short-default", "short", {}),
        ("short-center-vars", "short", dict(center=True, norm_vars=True)),
    ]
    with open(OUT, "w") as f:
        for name, m in inputs.items():
            write_mat(f, f"input {name}", m)
        for name, inp, kw in cases:
            write_mat(f, f"case {name} {inp}", sliding_cmn(inputs[inp], **kw), opts_of(**kw))

if __name__ == "__main__":
    main()
