#!/usr/bin/python3
"""Reference implicit-MAML meta-gradients for tests/unit/test-imaml.c, by PyTorch autograd.

The tiny networks, utterances and THE LOSS of make_meta_refs.py, in float64. The inner
loop has iMAML's proximal term (Rajeswaran et al., NeurIPS 2019), D the rate of each
parameter's layer (0 where the layer does not adapt):
    phi_0 = theta,   phi_{j+1} = phi_j - D (grad L_S(phi_j) + lambda (phi_j - theta)).
Its meta-gradient at phi = phi_k, with g = grad L_Q(phi), A the adapted parameters, F the
others and H the Hessian of L_S at phi, is the implicit function theorem's on
grad_A L_S(phi) + lambda (phi_A - theta_A) = 0:
    g_A <- x = (I + H_AA / lambda)^{-1} g_A,    g_F <- g_F - H_FA x / lambda.
Written per case: cg_grad, x by `cg` iterations of conjugate gradient from 0 with H p by
double backward (what meta-train computes), g_F from one more H x; direct_grad, x by a
direct solve with H formed in full; fo_grad, g itself. Checked here before writing: the
system is positive definite, CG with as many iterations as adapted parameters reaches the direct
solve, and with the inner loop run to its minimum, central differences of
theta -> L_Q(phi(theta)) along a random direction match direct_grad.
Writes meta_imaml_dnn.txt and meta_imaml_lhuc.txt in make_meta_refs.py's format.
Run: /usr/bin/python3 tests/reference/make_imaml_refs.py
"""
import os

import torch

from make_meta_refs import Dnn, DnnLhuc, loss, make_task, rate_vector, write, write_task

torch.set_default_dtype(torch.float64)


def grad(net, phi, utts):
    phi = phi.detach().requires_grad_(True)
    return torch.autograd.grad(loss(net, phi, utts), phi)[0]


def hvp(net, phi, utts, v):
    phi = phi.detach().requires_grad_(True)
    g, = torch.autograd.grad(loss(net, phi, utts), phi, create_graph=True)
    return torch.autograd.grad(g @ v, phi)[0]


def inner(net, theta, rates, adapt, lam, steps, support):
    """phi_k of the proximal inner loop."""
    d = rate_vector(net, torch.tensor(rates), adapt, 0, 1, "per-layer")
    phi = theta.clone()
    for _ in range(steps):
        phi = phi - d * (grad(net, phi, support) + lam * (phi - theta))
    return phi


def mask_of(net, adapt):
    return torch.cat([torch.full((n,), float(adapt[l])) for l, n in enumerate(net.layers) if n])


def cg_grad(net, phi, support, g, m, lam, iters):
    """x by conjugate gradient on (I + H_AA/lam) x = g_A (vectors zero outside A)."""
    def apply(p):
        return p + m * hvp(net, phi, support, p) / lam
    x = torch.zeros_like(g)
    r = m * g
    p = r.clone()
    rr = r @ r
    for _ in range(iters):
        ap = apply(p)
        alpha = rr / (p @ ap)
        x = x + alpha * p
        r = r - alpha * ap
        rr, rr_prev = r @ r, rr
        p = r + rr / rr_prev * p
    return x + (1 - m) * (g - hvp(net, phi, support, x) / lam)


def direct_grad(net, phi, support, g, m, lam):
    """x by a direct solve, H formed in full; returns the gradient and I + H_AA/lam."""
    H = torch.autograd.functional.hessian(lambda p: loss(net, p, support), phi)
    A, F = m.nonzero().flatten(), (1 - m).nonzero().flatten()
    M = torch.eye(len(A)) + H[A][:, A] / lam
    x = torch.linalg.solve(M, g[A])
    out = g.clone()
    out[A] = x
    out[F] = g[F] - H[F][:, A] @ x / lam
    return out, M


def fd_check(net, theta, rates, adapt, lam, support, query, gen):
    """Central differences of theta -> L_Q(phi(theta)), phi at the minimum, against the
    implicit gradient there."""
    conv = 400
    phi = inner(net, theta, rates, adapt, lam, conv, support)
    m = mask_of(net, adapt)
    stat = m * (grad(net, phi, support) + lam * (phi - theta))
    assert stat.norm() < 1e-10, "inner loop not converged: %g" % stat.norm()
    g, _ = direct_grad(net, phi, support, grad(net, phi, query), m, lam)
    u = torch.randn(len(theta), generator=gen)
    u /= u.norm()
    eps = 1e-5
    f = [loss(net, inner(net, theta + s * eps * u, rates, adapt, lam, conv, support), query).item()
         for s in (1, -1)]
    fd = (f[0] - f[1]) / (2 * eps)
    print("  finite differences at the minimum: %.9f, <implicit gradient, u> %.9f" % (fd, g @ u))
    assert abs(fd - g @ u) < 1e-6 * max(1, abs(fd))


def make(path, net, seed, cases):
    theta, support, query = make_task(net, seed)
    gen = torch.Generator().manual_seed(seed + 1)
    with open(path, "w") as f:
        write_task(f, net, theta, support, query)
        for name, steps, rates, adapt, lam, cg in cases:
            phi = inner(net, theta, rates, adapt, lam, steps, support)
            g = grad(net, phi, query)
            m = mask_of(net, adapt)
            gc = cg_grad(net, phi, support, g, m, lam, cg)
            gd, M = direct_grad(net, phi, support, g, m, lam)
            ev = torch.linalg.eigvalsh(M)
            assert ev.min() > 0.05, "I + H/lambda not positive definite"
            gcn = cg_grad(net, phi, support, g, m, lam, int(m.sum()))
            assert (gcn - gd).norm() < 1e-9 * gd.norm(), "CG does not reach the direct solve"
            print("%s: eigenvalues of I + H_AA/lambda in [%.3f, %.3f]; |cg - direct| / |direct| = "
                  "%.2e, |first-order - direct| / |direct| = %.3f" %
                  (name, ev.min(), ev.max(), (gc - gd).norm() / gd.norm(), (g - gd).norm() / gd.norm()))
            fd_check(net, theta, rates, adapt, lam, support, query, gen)
            f.write("case s %s\n" % name)
            write(f, "steps", [steps])
            write(f, "rates", rates)
            write(f, "adapt", adapt)
            write(f, "lambda", [lam])
            write(f, "cg", [cg])
            write(f, "query_after", [loss(net, phi, query).item()])
            write(f, "cg_grad", gc.tolist())
            write(f, "direct_grad", gd.tolist())
            write(f, "fo_grad", g.tolist())
    print("wrote", path)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    # name, inner steps, rate of each layer, which layers adapt, lambda, CG iterations
    make(os.path.join(here, "meta_imaml_dnn.txt"), Dnn(3, 5, 4), 1234, [
        ("all3", 3, [0.3] * 4, [1, 0, 1, 0], 2.0, 5),
        ("all1-cg2", 1, [0.3] * 4, [1, 0, 1, 0], 3.0, 2),
        ("last3", 3, [0.0, 0.0, 0.5, 0.0], [0, 0, 1, 0], 1.0, 5),  # layer 0's gradient through phi
    ])
    make(os.path.join(here, "meta_imaml_lhuc.txt"), DnnLhuc(3, 5, 4), 2468, [
        ("lhuc3", 3, [0.0, 0.0, 1.0, 0.0, 0.0], [0, 0, 1, 0, 0], 1.0, 5),
    ])


if __name__ == "__main__":
    main()
