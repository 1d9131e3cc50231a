#!/usr/bin/python3
"""Reference CTC losses, gradients and Hessian-vector products for tiny recurrent
networks (src/nnet/lstm.c, gru.c), computed in float64 with PyTorch autograd; the C test
tests/unit/test-rnn.c reads the files this writes.

    /usr/bin/python3 tests/reference/make_rnn_refs.py   # rewrites tests/reference/rnn-*.{mdl,ref}

The loss, the batch and the file formats are those of make_nnet_refs.py (imported):
    L(theta) = sum_u CTC_u / F,  F = total input frames  (the loss of src/nnet/nnet.h)
    grad = dL/dtheta,  hv = (d^2 L / dtheta^2) v  for a fixed direction v.
The LSTM and GRU cells are written here in plain torch operations, one utterance at a
time at its own length (no padding), so autograd differentiates them twice; each is
first checked against torch.nn.LSTM / torch.nn.GRU loaded from the same flat parameters,
which pins the parameter layout (W_ih, W_hh, b_ih, b_hh per direction, gates i f g o for
the LSTM and r z n for the GRU) to PyTorch's.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_nnet_refs as base  # noqa: E402

HERE = base.HERE


def lstm_dir(x, Wih, Whh, bih, bhh, reverse):
    h = torch.zeros(Whh.shape[1])
    c = torch.zeros(Whh.shape[1])
    gx = x @ Wih.T + bih
    out = [None] * x.shape[0]
    for t in (reversed(range(x.shape[0])) if reverse else range(x.shape[0])):
        i, f, g, o = (gx[t] + Whh @ h + bhh).chunk(4)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        out[t] = h
    return torch.stack(out)


def gru_dir(x, Wih, Whh, bih, bhh, reverse):
    h = torch.zeros(Whh.shape[1])
    gx = x @ Wih.T + bih
    out = [None] * x.shape[0]
    for t in (reversed(range(x.shape[0])) if reverse else range(x.shape[0])):
        xr, xz, xn = gx[t].chunk(3)
        hr, hz, hn = (Whh @ h + bhh).chunk(3)
        r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        h = (1 - z) * n + z * h
        out[t] = h
    return torch.stack(out)


def recurrent(gates, cell, torch_module):
    def make(in_dim, s):
        H = int(s["dim"])
        bidir = s.get("bidirectional", "false") == "true"
        dirs = 2 if bidir else 1
        shapes = [(gates * H, in_dim), (gates * H, H), (gates * H,), (gates * H,)] * dirs

        def fwd(x, p):
            outs = [cell(x, *p[4 * d:4 * d + 4], reverse=d == 1) for d in range(dirs)]
            y = torch.cat(outs, dim=1)
            # the same numbers from PyTorch's own module, loaded from the flat parameters
            m = torch_module(in_dim, H, bidirectional=bidir).double()
            with torch.no_grad():
                for name, q in zip([n for n, _ in m.named_parameters()], p):
                    getattr(m, name).copy_(q)
                ref = m(x.detach().unsqueeze(1))[0].squeeze(1)
            assert torch.allclose(y.detach(), ref, atol=1e-12), "layout differs from torch"
            return y
        return shapes, fwd, dirs * H
    return make


base.LAYERS["lstm"] = recurrent(4, lstm_dir, torch.nn.LSTM)
base.LAYERS["gru"] = recurrent(3, gru_dir, torch.nn.GRU)

NETWORKS = {
    # the tiny BLSTM acoustic model: BLSTM + affine + log-softmax + CTC
    "blstm": dict(in_dim=4, out_dim=5, config=[
        "lstm dim=3 bidirectional=true", "affine", "log-softmax"],
        lengths=[7, 5, 3], labels=[[1, 2, 2], [3, 4], [1]]),
    # every recurrent kind and direction, stacked, with a frame-rate change
    "stack": dict(in_dim=3, out_dim=4, config=[
        "lstm dim=3 bidirectional=true", "subsample factor=2", "gru dim=2 bidirectional=true",
        "lstm dim=3", "gru dim=2", "affine", "log-softmax"],
        lengths=[9, 6, 4], labels=[[1, 2, 2], [3], [2]]),
}


def make(name, spec, seed):
    gen = torch.Generator().manual_seed(seed)
    layers, params = base.build(spec["config"], spec["in_dim"], spec["out_dim"], gen)
    feats = [torch.randn(n, spec["in_dim"], generator=gen, dtype=torch.float32).to(torch.float64)
             for n in spec["lengths"]]
    v = [torch.randn(p.shape, generator=gen, dtype=torch.float32).to(torch.float64) for p in params]
    loss = base.loss_fn(layers, feats, spec["labels"])
    grads = torch.autograd.grad(loss, params, create_graph=True)
    gv = sum((g * d).sum() for g, d in zip(grads, v))
    hv = torch.autograd.grad(gv, params)
    flat = lambda ts: torch.cat([t.detach().reshape(-1) for t in ts])  # noqa: E731
    base.write_model(os.path.join(HERE, f"rnn-{name}.mdl"), layers, spec["in_dim"], spec["out_dim"])
    with open(os.path.join(HERE, f"rnn-{name}.ref"), "w") as f:
        f.write(f"# made by make_rnn_refs.py with torch {torch.__version__}: network {name}\n")
        f.write(f"utts 1 {len(feats)}\n")
        for i, (x, lab) in enumerate(zip(feats, spec["labels"])):
            f.write(f"feats{i} {x.numel() + 1} {x.shape[0]} {base.fmt(x.reshape(-1))}\n")
            f.write(f"labels{i} {len(lab)} {' '.join(map(str, lab))}\n")
        f.write(f"loss 1 {repr(loss.item())}\n")
        for key, val in (("v", flat(v)), ("grad", flat(grads)), ("hv", flat(hv))):
            f.write(f"{key} {val.numel()} {base.fmt(val)}\n")
    print(f"{name}: {flat(params).numel()} parameters, loss {loss.item():.6f}", file=sys.stderr)


if __name__ == "__main__":
    for i, (name, spec) in enumerate(NETWORKS.items()):
        make(name, spec, 2000 + i)
