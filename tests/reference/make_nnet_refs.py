#!/usr/bin/python3
"""Reference CTC losses, gradients and Hessian-vector products for tiny networks,
computed in float64 with PyTorch autograd (the C tests read the files this writes).

    /usr/bin/python3 tests/reference/make_nnet_refs.py     # rewrites tests/reference/nnet-*.{mdl,ref}

Networks: dnn (every feed-forward kind), lhuc (LHUC scales after hidden layers) and
adapter (bottleneck adapters after hidden layers).

For each network in NETWORKS: fixed parameters (float32 values, so the C side reads the
very same numbers), a padded batch of utterances with labels, and
    L(theta) = sum_u CTC_u / F,  F = total input frames  (the loss of src/nnet/nnet.h)
    grad = dL/dtheta,  hv = (d^2 L / dtheta^2) v  for a fixed direction v,
CTC written in plain torch operations (log-sum-exp recursion over the extended label
sequence) so autograd differentiates it twice; checked against torch's ctc_loss.

To add a layer kind: a function in LAYERS returning (parameter shapes, forward), where
forward(x, params, settings) maps one utterance (T x D, float64) to its output; then a
network in NETWORKS using it.
"""
import os
import sys

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))


def settings_of(text):
    return dict(kv.split("=", 1) for kv in text.split())


def clamp_gather(x, idx):
    return x[idx.clamp(0, x.shape[0] - 1)]


def splice(in_dim, s):
    if "context" in s:
        a, b = map(int, s["context"].split(":"))
        offs = list(range(a, b + 1))
    else:
        offs = [int(o) for o in s["offsets"].split(",")]

    def fwd(x, p):
        t = torch.arange(x.shape[0])
        return torch.cat([clamp_gather(x, t + o) for o in offs], dim=1)
    return [], fwd, in_dim * len(offs)


def subsample(in_dim, s):
    f = int(s["factor"])
    stack = int(s.get("stack", f))

    def fwd(x, p):
        t = torch.arange((x.shape[0] + f - 1) // f) * f
        return torch.cat([clamp_gather(x, t + j) for j in range(stack)], dim=1)
    return [], fwd, in_dim * stack


def affine(in_dim, s):
    d = int(s["dim"])
    return [(d, in_dim), (d,)], (lambda x, p: F.linear(x, p[0], p[1])), d


def layer_norm(in_dim, s):
    eps = float(s.get("eps", 1e-5))
    return [(in_dim,), (in_dim,)], (lambda x, p: F.layer_norm(x, (in_dim,), p[0], p[1], eps)), in_dim


def lhuc(in_dim, s):
    return [(in_dim,)], (lambda x, p: x * 2 * torch.sigmoid(p[0])), in_dim


def adapter(in_dim, s):
    d = int(s["dim"])

    def fwd(x, p):
        return x + F.linear(torch.relu(F.linear(x, p[0], p[1])), p[2], p[3])
    return [(d, in_dim), (d,), (in_dim, d), (in_dim,)], fwd, in_dim


def elementwise(fn):
    return lambda in_dim, s: ([], (lambda x, p: fn(x)), in_dim)


LAYERS = {
    "splice": splice,
    "subsample": subsample,
    "affine": affine,
    "layer-norm": layer_norm,
    "lhuc": lhuc,
    "adapter": adapter,
    "relu": elementwise(torch.relu),
    "tanh": elementwise(torch.tanh),
    "sigmoid": elementwise(torch.sigmoid),
    "log-softmax": elementwise(lambda x: torch.log_softmax(x, dim=1)),
}


def ctc_loss(logp, labels):
    """-log p(labels | logp) by the log-space forward recursion (blank = 0)."""
    T = logp.shape[0]
    ext = [0]
    for l in labels:
        ext += [l, 0]
    S = len(ext)
    # unreachable states: a large finite negative number, not -inf, whose logsumexp
    # has NaN derivatives; it contributes exp(-1e30) = 0 exactly
    ninf = torch.tensor(-1e30)
    alpha = [logp[0, ext[0]]] + ([logp[0, ext[1]]] if S > 1 else []) + [ninf] * (S - min(S, 2))
    for t in range(1, T):
        new = []
        for s in range(S):
            terms = [alpha[s]]
            if s >= 1:
                terms.append(alpha[s - 1])
            if s >= 2 and ext[s] != 0 and ext[s] != ext[s - 2]:
                terms.append(alpha[s - 2])
            new.append(torch.logsumexp(torch.stack(terms), 0) + logp[t, ext[s]])
        alpha = new
    return -torch.logsumexp(torch.stack(alpha[-2:] if S > 1 else alpha[-1:]), 0)


def build(config, in_dim, out_dim, gen):
    """Layers from config lines; parameters float32-valued, drawn from gen."""
    layers, params, dim = [], [], in_dim
    for line in config:
        kind, _, rest = line.partition(" ")
        s = settings_of(rest)
        if kind == "affine" and "dim" not in s:
            s["dim"] = str(out_dim)
        shapes, fwd, new_dim = LAYERS[kind](dim, s)
        ps = []
        for shape in shapes:
            w = (torch.randn(shape, generator=gen, dtype=torch.float32) * 0.6)
            if kind == "layer-norm" and not ps:
                w = w + 1  # gains around 1
            ps.append(w.to(torch.float64).requires_grad_())
        canon = " ".join(f"{k}={v}" for k, v in s.items())
        layers.append((kind, canon, dim, new_dim, ps, fwd))
        params += ps
        dim = new_dim
    return layers, params


def fmt(v):
    return " ".join(repr(float(x)) for x in v)


def write_model(path, layers, in_dim, out_dim):
    P = sum(p.numel() for l in layers for p in l[4])
    with open(path, "w") as f:
        f.write(f"<Nnet> <Version> 1 <InputDim> {in_dim} <OutputDim> {out_dim} "
                f"<NumLayers> {len(layers)} <NumParams> {P}\n")
        for kind, canon, di, do, ps, _ in layers:
            nargs = len(canon.split())
            flat = torch.cat([p.detach().reshape(-1) for p in ps]) if ps else torch.zeros(0)
            f.write(f"<Layer> {kind} <Config> {nargs} {canon} <InDim> {di} <OutDim> {do} "
                    f"<NumParams> {flat.numel()} <Params> [ {fmt(flat)} ]\n")
        f.write("<NumExtras> 0 </Nnet>\n")


def loss_fn(layers, feats, labels):
    total, frames = 0, 0
    for x, lab in zip(feats, labels):
        h = x
        for kind, canon, di, do, ps, fwd in layers:
            h = fwd(h, ps)
        loss = ctc_loss(h, lab)
        ref = F.ctc_loss(h.unsqueeze(1), torch.tensor([lab]), torch.tensor([h.shape[0]]),
                         torch.tensor([len(lab)]), blank=0, reduction="sum")
        assert abs(loss.item() - ref.item()) < 1e-9 * max(1, abs(ref.item())), (loss.item(), ref.item())
        total = total + loss
        frames += x.shape[0]
    return total / frames


NETWORKS = {
    # every feed-forward kind, with a frame-rate change in the middle
    "dnn": dict(in_dim=4, out_dim=5, config=[
        "splice context=-2:1", "affine dim=8", "tanh", "layer-norm", "subsample factor=2",
        "affine dim=6", "sigmoid", "splice offsets=-1,0,2", "affine dim=6", "relu",
        "affine", "log-softmax"],
        lengths=[11, 8, 5], labels=[[1, 2, 2, 4], [3, 3], [4]]),
    # LHUC scales after hidden layers (as conf/dnn_lhuc.conf), one after a frame-rate change
    "lhuc": dict(in_dim=3, out_dim=4, config=[
        "splice context=-1:1", "affine dim=7", "relu", "lhuc", "subsample factor=2",
        "affine dim=5", "tanh", "lhuc", "affine", "log-softmax"],
        lengths=[9, 6, 4], labels=[[1, 3, 3], [2, 1], [3]]),
    # bottleneck adapters (src/nnet/adapter.c) after hidden layers, one the first layer
    # with parameters (no input tangent) and one after a frame-rate change
    "adapter": dict(in_dim=3, out_dim=4, config=[
        "adapter dim=2", "splice context=-1:1", "affine dim=6", "relu", "adapter dim=3",
        "subsample factor=2", "affine dim=5", "tanh", "adapter dim=2", "affine", "log-softmax"],
        lengths=[9, 7, 4], labels=[[1, 3, 2], [2, 2], [3]]),
}


def make(name, spec, seed):
    gen = torch.Generator().manual_seed(seed)
    layers, params = build(spec["config"], spec["in_dim"], spec["out_dim"], gen)
    feats = [torch.randn(n, spec["in_dim"], generator=gen, dtype=torch.float32).to(torch.float64)
             for n in spec["lengths"]]
    v = [torch.randn(p.shape, generator=gen, dtype=torch.float32).to(torch.float64) for p in params]
    loss = loss_fn(layers, feats, spec["labels"])
    grads = torch.autograd.grad(loss, params, create_graph=True)
    gv = sum((g * d).sum() for g, d in zip(grads, v))
    hv = torch.autograd.grad(gv, params)
    flat = lambda ts: torch.cat([t.detach().reshape(-1) for t in ts])
    write_model(os.path.join(HERE, f"nnet-{name}.mdl"), layers, spec["in_dim"], spec["out_dim"])
    with open(os.path.join(HERE, f"nnet-{name}.ref"), "w") as f:
        f.write(f"# made by make_nnet_refs.py with torch {torch.__version__}: network {name}\n")
        f.write(f"utts 1 {len(feats)}\n")
        for i, (x, lab) in enumerate(zip(feats, spec["labels"])):
            f.write(f"feats{i} {x.numel() + 1} {x.shape[0]} {fmt(x.reshape(-1))}\n")
            f.write(f"labels{i} {len(lab)} {' '.join(map(str, lab))}\n")
        f.write(f"loss 1 {repr(loss.item())}\n")
        for key, val in (("v", flat(v)), ("grad", flat(grads)), ("hv", flat(hv))):
            f.write(f"{key} {val.numel()} {fmt(val)}\n")
    print(f"{name}: {flat(params).numel()} parameters, loss {loss.item():.6f}", file=sys.stderr)


# Optimisers: torch.optim on a fixed sequence of gradients (src/nnet/optim.h settings).
OPTIMISERS = {
    "sgd": (lambda p: torch.optim.SGD(p, lr=0.1), None),
    "momentum": (lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), None),
    "nesterov": (lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True), None),
    "adam": (lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99), eps=1e-6), None),
    # warm-up over 3 steps, then exponential decay 0.5 per 2 steps
    "adam-schedule": (lambda p: torch.optim.Adam(p, lr=0.01),
                      lambda t: min(1.0, (t + 1) / 3) * 0.5 ** (t / 2)),
}


def make_optim(steps=5, dim=6):
    gen = torch.Generator().manual_seed(77)
    p0 = torch.randn(dim, generator=gen, dtype=torch.float32).to(torch.float64)
    grads = [torch.randn(dim, generator=gen, dtype=torch.float32).to(torch.float64) for _ in range(steps)]
    with open(os.path.join(HERE, "nnet-optim.ref"), "w") as f:
        f.write(f"# made by make_nnet_refs.py with torch {torch.__version__}: {steps} optimiser steps\n")
        f.write(f"p0 {dim} {fmt(p0)}\n")
        for t, g in enumerate(grads):
            f.write(f"g{t} {dim} {fmt(g)}\n")
        for name, (make_opt, schedule) in OPTIMISERS.items():
            p = p0.clone().requires_grad_()
            opt = make_opt([p])
            sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule) if schedule else None
            for g in grads:
                p.grad = g.clone()
                opt.step()
                if sched:
                    sched.step()
            f.write(f"{name} {dim} {fmt(p.detach())}\n")


if __name__ == "__main__":
    for i, (name, spec) in enumerate(NETWORKS.items()):
        make(name, spec, 1000 + i)
    make_optim()
