#!/usr/bin/python3
"""PyTorch side of tests/bench/train-step: the same network and batch as the C driver
(splice +-5 frames by indexing, affine/ReLU layers, log-softmax, CTC summed and divided
by the frames, backward, SGD with momentum), timed over STEPS steps after two warm-up
steps.   train-step.py HIDDEN LAYERS INPUT_DIM UNITS BATCH FRAMES LABELS STEPS THREADS [UNEVEN]
With UNEVEN 1 the lengths are the C driver's (FRAMES/2 to 3*FRAMES/2), padded to the
longest as a PyTorch batch is (pad_sequence); frames/s counts the utterances' frames."""
import resource
import sys
import time

import torch
import torch.nn.functional as F

hidden, layers, D, K, B, T, L, steps, threads = map(int, sys.argv[1:10])
uneven = len(sys.argv) > 10 and int(sys.argv[10]) != 0
lens = [T // 2 + T * b // (B - 1) if uneven and B > 1 else T for b in range(B)]
frames = sum(lens)
T = max(lens)
torch.set_num_threads(threads)
torch.manual_seed(1)
ctx = 5
dims = [D * (2 * ctx + 1)] + [hidden] * layers + [K]
model = torch.nn.Sequential()
for i in range(len(dims) - 1):
    model.append(torch.nn.Linear(dims[i], dims[i + 1]))
    if i < len(dims) - 2:
        model.append(torch.nn.ReLU())
opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
feats = torch.randn(T, B, D)                       # time-major, as the C side
labels = torch.randint(1, K, (B, L))
idx = (torch.arange(T)[:, None] + torch.arange(-ctx, ctx + 1)[None, :]).clamp(0, T - 1)
in_len = torch.tensor(lens, dtype=torch.long)
lab_len = torch.full((B,), L, dtype=torch.long)


def step():
    x = feats[idx].permute(0, 2, 1, 3).reshape(T, B, -1)   # (T, B, 11*D)
    logp = torch.log_softmax(model(x), dim=2)
    loss = F.ctc_loss(logp, labels, in_len, lab_len, blank=0, reduction="sum") / frames
    opt.zero_grad()
    loss.backward()
    opt.step()


for _ in range(2):
    step()
t0 = time.perf_counter()
for _ in range(steps):
    step()
dt = time.perf_counter() - t0
print(f"frames_per_s {frames * steps / dt:.0f}")
print(f"peak_rss_mb {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}")
