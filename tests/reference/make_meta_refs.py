#!/usr/bin/python3
"""Reference meta-gradients for tests/unit/test-meta.c, by PyTorch's second-order autograd.

A tiny network (the same layers, parameter layout and loss as src/nnet), a support and a
query set of random utterances, and for several inner-loop settings:
    theta_{j+1} = theta_j - D_j grad L_S(theta_j)     (D_j: rate of each parameter's layer
                                                       at step j, or of each parameter (Meta-SGD),
                                                       0 where a layer does not adapt)
    meta-gradient = d L_Q(theta_k) / d theta_0  and  d L_Q(theta_k) / d rates
with create_graph=True through every inner step (exact second order, float64).
CTC is written in plain torch ops (a log-sum-exp recursion) so it differentiates twice.
THE LOSS (src/nnet/nnet.h): sum over utterances of -log p(labels | feats), divided by the
total number of input frames.

The multi-step loss cases (msl*) meta-learn sum_j w_j L_Q(theta_j) (MAML++) instead, with
the weights of MAML++'s annealing schedule, whose values for a few settings go to
meta_msl_weights.txt. Writes meta_dnn.txt, meta_lstm.txt and meta_lhuc.txt (a DNN with
LHUC scales whose inner loop adapts only them): one record a line, "name n v1 ... vn",
strings as "name s text". Run: /usr/bin/python3 tests/reference/make_meta_refs.py
"""
import os

import torch

torch.set_default_dtype(torch.float64)
NEG = -1e30  # "log 0": finite, so unreachable CTC states give no NaN in the gradients


def ctc_loss(logp, labels):
    """-log p(labels | logp) for one utterance; logp is T x K log-probabilities."""
    ext = [0]
    for l in labels:
        ext += [l, 0]
    S, T = len(ext), logp.shape[0]
    ext_t = torch.tensor(ext)
    skip = torch.tensor([s >= 2 and ext[s] != 0 and ext[s] != ext[s - 2] for s in range(S)])
    neg = torch.full((S,), NEG)
    init = torch.full((S,), NEG)
    init[0] = 0.0
    if S > 1:
        init[1] = 0.0
    alpha = torch.where(init > NEG / 2, logp[0, ext_t], neg)
    pad = torch.full((1,), NEG)
    for t in range(1, T):
        a1 = torch.cat([pad, alpha[:-1]])
        a2 = torch.cat([pad, pad, alpha[:-2]]) if S > 2 else torch.full((S,), NEG)
        a2 = torch.where(skip, a2, neg)
        alpha = logp[t, ext_t] + torch.logsumexp(torch.stack([alpha, a1, a2]), dim=0)
    ends = alpha[-2:] if S > 1 else alpha[-1:]
    return -torch.logsumexp(ends, dim=0)


class Dnn:
    """affine(H) tanh affine(K) log-softmax; affine parameters W (O x I, row-major) then b."""

    def __init__(self, D, H, K):
        self.D, self.H, self.K = D, H, K
        self.config = "affine dim=%d;tanh;affine;log-softmax" % H
        self.layers = [D * H + H, 0, H * K + K, 0]  # parameters per layer

    def logprobs(self, theta, x):
        D, H, K = self.D, self.H, self.K
        o = 0
        W1 = theta[o:o + H * D].view(H, D); o += H * D
        b1 = theta[o:o + H]; o += H
        W2 = theta[o:o + K * H].view(K, H); o += K * H
        b2 = theta[o:o + K]
        h = torch.tanh(x @ W1.T + b1)
        return torch.log_softmax(h @ W2.T + b2, dim=1)


class DnnLhuc:
    """affine(H) tanh lhuc affine(K) log-softmax: LHUC scales 2 sigmoid(r) on the hidden
    units (src/nnet/lhuc.c), the layer MAML adapts alone in the lhuc cases."""

    def __init__(self, D, H, K):
        self.D, self.H, self.K = D, H, K
        self.config = "affine dim=%d;tanh;lhuc;affine;log-softmax" % H
        self.layers = [D * H + H, 0, H, H * K + K, 0]

    def logprobs(self, theta, x):
        D, H, K = self.D, self.H, self.K
        o = 0
        W1 = theta[o:o + H * D].view(H, D); o += H * D
        b1 = theta[o:o + H]; o += H
        r = theta[o:o + H]; o += H
        W2 = theta[o:o + K * H].view(K, H); o += K * H
        b2 = theta[o:o + K]
        h = torch.tanh(x @ W1.T + b1) * 2 * torch.sigmoid(r)
        return torch.log_softmax(h @ W2.T + b2, dim=1)


class Lstm:
    """lstm(H) affine(K) log-softmax. LSTM parameters in torch.nn.LSTM's flat order:
    W_ih (4H x I), W_hh (4H x H), b_ih (4H), b_hh (4H), gates i, f, g, o; written out
    here in plain ops so that it differentiates twice."""

    def __init__(self, D, H, K):
        self.D, self.H, self.K = D, H, K
        self.config = "lstm dim=%d;affine;log-softmax" % H
        self.layers = [4 * H * D + 4 * H * H + 8 * H, H * K + K, 0]

    def logprobs(self, theta, x):
        D, H, K = self.D, self.H, self.K
        o = 0
        Wih = theta[o:o + 4 * H * D].view(4 * H, D); o += 4 * H * D
        Whh = theta[o:o + 4 * H * H].view(4 * H, H); o += 4 * H * H
        bih = theta[o:o + 4 * H]; o += 4 * H
        bhh = theta[o:o + 4 * H]; o += 4 * H
        W2 = theta[o:o + K * H].view(K, H); o += K * H
        b2 = theta[o:o + K]
        h, c, out = torch.zeros(H), torch.zeros(H), []
        for t in range(x.shape[0]):
            a = Wih @ x[t] + bih + Whh @ h + bhh
            i, f, g, og = torch.sigmoid(a[:H]), torch.sigmoid(a[H:2 * H]), torch.tanh(a[2 * H:3 * H]), torch.sigmoid(a[3 * H:])
            c = f * c + i * g
            h = og * torch.tanh(c)
            out.append(h)
        hs = torch.stack(out)
        return torch.log_softmax(hs @ W2.T + b2, dim=1)


def loss(net, theta, utts):
    frames = sum(x.shape[0] for x, _ in utts)
    return sum(ctc_loss(net.logprobs(theta, x), l) for x, l in utts) / frames


def rate_vector(net, rates, adapt, j, kr, mode):
    """Per-parameter rates of step j (differentiable in rates): the rate of the parameter's
    layer at step j, or with mode per-parameter rates[p] itself."""
    L = len(net.layers)
    s = min(j, kr - 1)
    parts, o = [], 0
    for l, n in enumerate(net.layers):
        if n == 0:
            continue
        if not adapt[l]:
            r = torch.zeros(n)
        elif mode == "per-parameter":
            r = rates[o:o + n]
        else:
            r = rates[s * L + l].expand(n)
        parts.append(r)
        o += n
    return torch.cat(parts)


def msl_weights(k, it, anneal):
    """MAML++'s multi-step loss weights at outer iteration it (Antoniou et al. 2019, their
    get_per_step_loss_importance_vector, iterations for epochs); after anneal iterations
    the last step's loss alone."""
    if it >= anneal:
        return [0.0] * (k - 1) + [1.0]
    decay, floor = 1.0 / k / anneal, 0.03 / k
    w = [max(1.0 / k - it * decay, floor) for _ in range(k - 1)]
    return w + [min(1.0 / k + it * (k - 1) * decay, 1.0 - (k - 1) * floor)]


def maml(net, theta0, rates, adapt, kr, mode, steps, support, query, second_order=True, weights=None):
    """The meta-objective L_Q(theta_k), or with weights sum_j weights[j-1] L_Q(theta_j),
    and its gradients in theta_0 and the rates."""
    theta0 = theta0.clone().requires_grad_(True)
    rates = rates.clone().requires_grad_(True)
    theta = theta0
    objective = 0
    for j in range(steps):
        g, = torch.autograd.grad(loss(net, theta, support), theta, create_graph=second_order)
        theta = theta - rate_vector(net, rates, adapt, j, kr, mode) * g
        if weights:
            objective = objective + weights[j] * loss(net, theta, query)
    lq = loss(net, theta, query)
    gt, gr = torch.autograd.grad(objective if weights else lq, [theta0, rates], allow_unused=True)
    if gr is None:
        gr = torch.zeros_like(rates)
    return lq.item(), gt, gr


def write(f, name, values):
    f.write("%s %d %s\n" % (name, len(values), " ".join("%.10g" % v for v in values)))


def param_rates(P):
    """Meta-SGD's rates, one per parameter: 0.2 .. 0.6 in a fixed pattern."""
    return [0.2 + 0.04 * ((7 * p) % 11) for p in range(P)]


def default_cases(L, has, last, P):
    """name, steps, learn-mode, kr, rates (L*kr, or P per parameter), adapt"""
    step_rates = [0.3 + 0.1 * i if has[i % L] else 0.0 for i in range(2 * L)]
    return [
        ("maml1", 1, "none", 1, [0.5] * L, [1] * L),
        ("maml2", 2, "none", 1, [0.5] * L, [1] * L),
        ("maml3", 3, "none", 1, [0.4] * L, [1] * L),
        ("lslr2", 2, "per-layer-step", 2, step_rates, [1] * L),
        ("anil2", 2, "per-layer", 1, [0.7 * x for x in last], last),
        # MAML++'s multi-step loss, weights of iteration 20 of 50 annealing iterations
        ("msl3", 3, "none", 1, [0.4] * L, [1] * L, msl_weights(3, 20, 50)),
        ("msl-lslr2", 2, "per-layer-step", 2, step_rates, [1] * L, msl_weights(2, 5, 10)),
        # Meta-SGD: a rate per parameter; the frozen layers' rates are there but unused
        ("msgd1", 1, "per-parameter", 1, param_rates(P), [1] * L),
        ("msgd2", 2, "per-parameter", 1, param_rates(P), [1] * L),
        ("msgd-anil2", 2, "per-parameter", 1, param_rates(P), last),
    ]


def lhuc_cases(L, has, last, P):
    """The inner loop adapts the LHUC layer (index 2) only, as --adapt-layers=2; and all."""
    only = [1 if i == 2 else 0 for i in range(L)]
    rates = [2.0 if i == 2 else 0.0 for i in range(L)]
    return [
        ("lhuc1", 1, "none", 1, rates, only),
        ("lhuc3", 3, "none", 1, rates, only),
        ("lhuc-lr2", 2, "per-layer", 1, [1.5 * x for x in only], only),
        ("lhuc-lslr2", 2, "per-layer-step", 2, [1.5 * x for x in only] + [2.5 * x for x in only], only),
        ("all2", 2, "none", 1, [0.5] * L, [1 if n else 0 for n in has]),
    ]


def make_task(net, seed):
    """The parameters theta and a support and a query set of random utterances."""
    g = torch.Generator().manual_seed(seed)
    theta = torch.randn(sum(net.layers), generator=g) * 0.6

    def utt(T, labels):
        return (torch.randn(T, net.D, generator=g), labels)

    support = [utt(6, [1, 2]), utt(5, [3])]
    query = [utt(7, [2, 2, 1]), utt(5, [3, 1])]
    return theta, support, query


def write_task(f, net, theta, support, query):
    """The records every reference file starts with: the model, its parameters, the sets."""
    f.write("config s %s\n" % net.config)
    write(f, "dims", [net.D, net.K, sum(net.layers)])
    write(f, "params", theta.tolist())
    for name, utts in (("support", support), ("query", query)):
        write(f, name, [len(utts)])
        for x, l in utts:
            write(f, "feats", [x.shape[0]] + x.flatten().tolist())
            write(f, "labels", l)


def make(path, net, seed, cases=default_cases):
    theta, support, query = make_task(net, seed)
    L = len(net.layers)
    has = [1 if n else 0 for n in net.layers]
    last = [0] * L
    last[max(i for i in range(L) if net.layers[i])] = 1
    with open(path, "w") as f:
        write_task(f, net, theta, support, query)
        for name, steps, mode, kr, rates, adapt, *weights in cases(L, has, last, len(theta)):
            weights = weights[0] if weights else None
            r = torch.tensor(rates, dtype=torch.float64)
            lq, gt, gr = maml(net, theta, r, adapt, kr, mode, steps, support, query, weights=weights)
            _, gf, grf = maml(net, theta, r, adapt, kr, mode, steps, support, query, False, weights)
            rel = (gt - gf).norm() / gt.norm()
            print("%s: L_Q(theta_k) = %.6f, |maml - first-order| / |maml| = %.3f" % (name, lq, rel))
            f.write("case s %s\n" % name)
            write(f, "steps", [steps])
            f.write("mode s %s\n" % mode)
            write(f, "rates", rates)
            write(f, "adapt", adapt)
            if weights:
                write(f, "weights", weights)
            write(f, "query_after", [lq])
            write(f, "grad", gt.tolist())
            write(f, "rate_grad", gr.tolist())
            write(f, "fo_grad", gf.tolist())
            write(f, "fo_rate_grad", grf.tolist())
    print("wrote", path)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "meta_msl_weights.txt"), "w") as f:
        for k, it, anneal in [(1, 0, 10), (3, 0, 50), (3, 20, 50), (3, 49, 50), (3, 50, 50),
                              (5, 7, 15), (5, 14, 15), (2, 3, 4)]:
            write(f, "weights_%d_%d_%d" % (k, it, anneal), msl_weights(k, it, anneal))
    make(os.path.join(here, "meta_dnn.txt"), Dnn(3, 5, 4), 1234)
    make(os.path.join(here, "meta_lstm.txt"), Lstm(3, 3, 4), 4321)
    make(os.path.join(here, "meta_lhuc.txt"), DnnLhuc(3, 5, 4), 2468, lhuc_cases)


if __name__ == "__main__":
    main()
