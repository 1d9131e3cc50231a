#!/usr/bin/python3
"""PyTorch side of tests/bench/meta-step: one outer step of meta-training, the same
algorithm, network, tasks and sizes as the C driver (tests/bench/meta-step.c):
  maml     k inner SGD steps on the support set with create_graph=True, the query loss
           at theta_k differentiated back to theta (exact second order). PyTorch's own
           CTC has no second derivative, so the support loss is the CTC forward
           recursion of tests/reference/make_meta_refs.py in torch operations, batched
           over the utterances; the LSTM is written out in operations too (nn.LSTM
           takes no functional parameters).
  fomaml   the same inner steps without the graph (nn.LSTM, F.ctc_loss); the
           meta-gradient is the query gradient at theta_k.
  reptile  the same inner steps; the meta-gradient is theta - theta_k.
The loss is CTC summed over the utterances divided by their input frames; the outer
step averages the tasks' meta-gradients and takes an Adam step (lr 1e-3, gradient norm
clipped to 5). Prints step_s (the best of STEPS after a warm-up step) and peak_rss_mb.
  meta-step.py ALGO MODEL INNER_STEPS THREADS TASKS SUPPORT QUERY FRAMES DIM UNITS LABELS STEPS
MODEL: dnn (egs/multilang/s5/conf/dnn.conf: pairs of frames stacked, +-2 of them
spliced, 3 x 256 ReLU, affine, log-softmax) or lstm (2 x 256 LSTM, affine, log-softmax).
"""
import resource
import sys
import time

import torch
import torch.nn.functional as F

NEG = -1e30  # "log 0", finite as in make_meta_refs.py


def ctc_ops(logp, labels):
    """Summed -log p(labels | logp) in torch operations (twice differentiable):
    logp T x B x K log-probabilities, labels B x L (every utterance T frames, L labels)."""
    T, B, _ = logp.shape
    L = labels.shape[1]
    S = 2 * L + 1
    ext = torch.zeros(B, S, dtype=torch.long)
    ext[:, 1::2] = labels
    skip = torch.zeros(B, S, dtype=torch.bool)
    skip[:, 3::2] = labels[:, 1:] != labels[:, :-1]
    lpe = logp.gather(2, ext.unsqueeze(0).expand(T, B, S)).unbind(0)  # T of B x S
    neg = torch.full((B, 1), NEG)
    alpha = torch.cat([lpe[0][:, :2], torch.full((B, S - 2), NEG)], dim=1)
    for t in range(1, T):
        a1 = torch.cat([neg, alpha[:, :-1]], dim=1)
        a2 = torch.where(skip, torch.cat([neg, neg, alpha[:, :-2]], dim=1), torch.full_like(alpha, NEG))
        alpha = lpe[t] + torch.logsumexp(torch.stack([alpha, a1, a2]), dim=0)
    return -torch.logsumexp(alpha[:, -2:], dim=1).sum()


def ctc_native(logp, labels):
    T, B, _ = logp.shape
    return F.ctc_loss(logp, labels, torch.full((B,), T, dtype=torch.long),
                      torch.full((B,), labels.shape[1], dtype=torch.long), reduction="sum")


class Dnn(torch.nn.Module):
    def __init__(self, D, K, H=256, layers=3, ctx=2):
        super().__init__()
        self.ctx = ctx
        dims = [2 * D * (2 * ctx + 1)] + [H] * layers + [K]
        self.lin = torch.nn.ModuleList(torch.nn.Linear(dims[i], dims[i + 1]) for i in range(len(dims) - 1))

    def splice(self, x):
        T, B, D = x.shape
        x = x[:T // 2 * 2].reshape(T // 2, 2, B, D).permute(0, 2, 1, 3).reshape(T // 2, B, 2 * D)
        T2 = x.shape[0]
        idx = (torch.arange(T2)[:, None] + torch.arange(-self.ctx, self.ctx + 1)[None, :]).clamp(0, T2 - 1)
        return x[idx].permute(0, 2, 1, 3).reshape(T2, B, -1)

    def forward_with(self, p, x):
        x = self.splice(x)
        for i in range(0, len(p) - 2, 2):
            x = torch.relu(F.linear(x, p[i], p[i + 1]))
        return torch.log_softmax(F.linear(x, p[-2], p[-1]), dim=2)

    def forward(self, x):
        return self.forward_with(list(self.parameters()), x)


class Lstm(torch.nn.Module):
    def __init__(self, D, K, H=256, layers=2):
        super().__init__()
        self.lstm = torch.nn.LSTM(D, H, num_layers=layers)
        self.out = torch.nn.Linear(H, K)

    def forward_with(self, p, x):
        """nn.LSTM's computation on parameters p (its flat order, then the affine's)."""
        for l in range(0, len(p) - 2, 4):
            Wih, Whh, bih, bhh = p[l:l + 4]
            xp = F.linear(x, Wih, bih + bhh).unbind(0)  # (indexing xp[t] costs O(T^2) backward)
            h = c = x.new_zeros(x.shape[1], Whh.shape[1])
            hs = []
            for t in range(x.shape[0]):
                i, f, g, o = torch.addmm(xp[t], h, Whh.t()).chunk(4, dim=1)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
                hs.append(h)
            x = torch.stack(hs)
        return torch.log_softmax(F.linear(x, p[-2], p[-1]), dim=2)

    def forward(self, x):
        return torch.log_softmax(self.out(self.lstm(x)[0]), dim=2)


def task_grad(algo, net, theta, k, lr, task):
    """One task's meta-gradient at theta (a list of tensors) and its query loss after."""
    (xs, ls), (xq, lq) = task
    params = list(net.parameters())
    if algo == "maml":
        th0 = [t.detach().requires_grad_(True) for t in theta]
        th = th0
        for _ in range(k):
            loss = ctc_ops(net.forward_with(th, xs), ls) / (xs.shape[0] * xs.shape[1])
            g = torch.autograd.grad(loss, th, create_graph=True)
            th = [a - lr * b for a, b in zip(th, g)]
        # The last loss is differentiated once: PyTorch's CTC serves.
        loss = ctc_native(net.forward_with(th, xq), lq) / (xq.shape[0] * xq.shape[1])
        return torch.autograd.grad(loss, th0), loss.item()
    with torch.no_grad():
        for p, t in zip(params, theta):
            p.copy_(t)
    frames = xs.shape[0] * xs.shape[1]
    for _ in range(k):
        g = torch.autograd.grad(ctc_native(net(xs), ls) / frames, params)
        with torch.no_grad():
            for p, d in zip(params, g):
                p.sub_(lr * d)
    if algo == "reptile":
        with torch.no_grad():
            return [t - p for t, p in zip(theta, params)], float("nan")
    loss = ctc_native(net(xq), lq) / (xq.shape[0] * xq.shape[1])
    return torch.autograd.grad(loss, params), loss.item()


def main():
    algo, model = sys.argv[1], sys.argv[2]
    k, threads, ntasks, S, Q, T, D, K, L, steps = map(int, sys.argv[3:])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    # The two CTCs agree (the one in operations is the one MAML differentiates twice).
    lp = torch.randn(30, 3, 6).log_softmax(2)
    lab = torch.randint(1, 6, (3, 5))
    assert torch.allclose(ctc_ops(lp, lab), ctc_native(lp, lab), rtol=1e-4), "the two CTCs differ"
    net = Dnn(D, K) if model == "dnn" else Lstm(D, K)
    theta = [p.detach().clone() for p in net.parameters()]
    meta = [t.clone().requires_grad_(True) for t in theta]
    opt = torch.optim.Adam(meta, lr=1e-3)
    tasks = [((torch.randn(T, S, D), torch.randint(1, K, (S, L))),
              (torch.randn(T, Q, D), torch.randint(1, K, (Q, L)))) for _ in range(ntasks)]
    best, after = 1e30, 0.0
    for s in range(steps + 1):  # step 0 warms up
        t0 = time.perf_counter()
        theta = [m.detach() for m in meta]
        total = [torch.zeros_like(t) for t in theta]
        after = 0.0
        for task in tasks:
            g, lq = task_grad(algo, net, theta, k, 0.05, task)
            for a, b in zip(total, g):
                a.add_(b)
            after += lq / ntasks
        for m, a in zip(meta, total):
            m.grad = a / ntasks
        torch.nn.utils.clip_grad_norm_(meta, 5.0)
        opt.step()
        dt = time.perf_counter() - t0
        if s > 0:
            best = min(best, dt)
    print(f"step_s {best:.4f}")
    print(f"query_after {after:.4f}")
    print(f"peak_rss_mb {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")


if __name__ == "__main__":
    main()
