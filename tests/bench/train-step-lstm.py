"""The PyTorch side of tests/bench/train-step-lstm: the same model and batch shape,
timed the same way (best of STEPS training steps after one warm-up step).
    /usr/bin/python3 train-step-lstm.py LAYERS CELLS THREADS BATCH FRAMES DIM UNITS STEPS
Prints "name value" lines."""
import resource
import sys
import time

import torch
import torch.nn.functional as F

layers, cells, threads, B, T, D, K, steps = map(int, sys.argv[1:9])
torch.set_num_threads(threads)
torch.manual_seed(1)
lstm = torch.nn.LSTM(D, cells, num_layers=layers)
out = torch.nn.Linear(cells, K)
params = list(lstm.parameters()) + list(out.parameters())
opt = torch.optim.SGD(params, lr=0.5)
x = torch.randn(T, B, D)
L = T // 6
targets = torch.randint(1, K, (B, L))
in_len = torch.full((B,), T, dtype=torch.long)
tgt_len = torch.full((B,), L, dtype=torch.long)
best, cpu, first, last = 1e30, 1e30, None, None
for s in range(steps + 1):
    t, c = time.perf_counter(), time.process_time()
    opt.zero_grad()
    logp = torch.log_softmax(out(lstm(x)[0]), dim=-1)
    loss = F.ctc_loss(logp, targets, in_len, tgt_len, blank=0, reduction="sum") / (B * T)
    loss.backward()
    opt.step()
    t, c = time.perf_counter() - t, time.process_time() - c
    if s == 0:
        first = loss.item()
    else:
        best, cpu = min(best, t), min(cpu, c)
    last = loss.item()
print(f"params {sum(p.numel() for p in params)}")
print(f"loss_first {first:.6f}\nloss_last {last:.6f}")
print(f"step_s {best:.4f}\nframes_per_s {B * T / best:.0f}\ncpu_step_s {cpu:.4f}")
print(f"peak_rss_mb {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
