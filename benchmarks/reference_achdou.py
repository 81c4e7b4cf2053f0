#!/usr/bin/python3
"""Reference solver: the implicit upwind scheme with policy iteration of Achdou, Han,
Lasry, Lions and Moll (the "HACT" codes), in NumPy + scipy.sparse with spsolve, on the
staking model of docs/model.md and the same grid, tolerance and scheme as stakehjb
(solver/stk_scheme.c: upwind first differences, central second differences, reflecting
ends; the closed-form greedy control with the upwind choice of Achdou et al.).

It reads the grid, the model parameters and the tolerance from a stakehjb solution file,
solves, and reports the time and the largest relative difference from stakehjb's value
function and policy.  With an infinite implicit time step (the default) each iteration
is one Howard step, (rho I - A(u_k)) V = l(u_k), exactly as in stakehjb.

usage: reference_achdou.py SOLUTION.h5 [--json]
"""
import json
import sys
import time

import h5py
import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve
from scipy.special import erfc


class Staking:
    """Drift, diffusion, cost and greedy map of solver/stk_model_staking.c and agents/."""

    def __init__(self, attrs):
        def real(name):
            return float(attrs[name])
        dist = attrs["cost_distribution"]
        dist = dist.decode() if isinstance(dist, bytes) else str(dist)
        if dist != "lognormal":
            sys.exit(f"reference_achdou.py: only the lognormal cost distribution is implemented, the file has {dist}")
        for name in ("rho", "sbar", "w_s", "w_u", "ubar", "eta", "u_min", "u_max", "cost_median", "cost_logsd",
                     "s_max", "phi", "kappa", "sigma0", "zbar", "theta", "sigma_z", "s_floor"):
            setattr(self, name, real(name))

    def cdf(self, c):
        out = np.zeros_like(c)
        pos = c > 0
        t = (np.log(c[pos]) - np.log(self.cost_median)) / self.cost_logsd
        out[pos] = 0.5 * erfc(-t / np.sqrt(2.0))
        return out

    def pdf(self, c):
        out = np.zeros_like(c)
        pos = c > 0
        t = (np.log(c[pos]) - np.log(self.cost_median)) / self.cost_logsd
        out[pos] = np.exp(-0.5 * t * t) / (c[pos] * self.cost_logsd * np.sqrt(2 * np.pi))
        return out

    def drift_s(self, s, z, u):
        y = (u + self.phi) / np.maximum(s, self.s_floor)
        return self.kappa * (self.s_max * self.cdf(y - z) - s)

    def drift_u(self, s, z, u):
        y = (u + self.phi) / np.maximum(s, self.s_floor)
        return self.kappa * self.s_max * self.pdf(y - z) / np.maximum(s, self.s_floor)

    def diffusion_s(self, s):
        inside = (s > 0) & (s < 1)
        vol = np.where(inside, self.sigma0 * np.sqrt(np.clip(s * (1 - s), 0, None)), 0.0)
        return 0.5 * vol * vol

    def cost(self, s, u):
        return self.w_s * (s - self.sbar) ** 2 + self.w_u * (u - self.ubar) ** 2 + self.eta * u

    def greedy(self, s, z, p, u):
        v = self.ubar - (self.eta + self.drift_u(s, z, u) * p) / (2 * self.w_u)
        return np.clip(v, self.u_min, self.u_max)


def coefficients(x, b, a):
    """Upwind forward/backward coefficients along one direction (StkSchemeCoefficients)."""
    n = len(x)
    hp = np.empty(n)
    hm = np.empty(n)
    hp[:-1] = np.diff(x)
    hp[-1] = np.nan
    hm[1:] = np.diff(x)
    hm[0] = np.nan
    cf = np.empty(b.shape)
    cb = np.empty(b.shape)

    def idx(sl):  # along axis 0
        return (sl,) + (slice(None),) * (b.ndim - 1)

    shape = (n,) + (1,) * (b.ndim - 1)
    hpb, hmb = hp.reshape(shape), hm.reshape(shape)
    cf[idx(slice(1, n - 1))] = (np.maximum(b, 0) / hpb + 2 * a / (hpb * (hpb + hmb)))[idx(slice(1, n - 1))]
    cb[idx(slice(1, n - 1))] = (np.maximum(-b, 0) / hmb + 2 * a / (hmb * (hpb + hmb)))[idx(slice(1, n - 1))]
    h0, h1 = x[1] - x[0], x[-1] - x[-2]
    cf[idx(0)] = np.maximum(b[idx(0)], 0) / h0 + 2 * a[idx(0)] / (h0 * h0)
    cb[idx(0)] = 0
    cf[idx(n - 1)] = 0
    cb[idx(n - 1)] = np.maximum(-b[idx(n - 1)], 0) / h1 + 2 * a[idx(n - 1)] / (h1 * h1)
    return cf, cb


class Problem:
    def __init__(self, path):
        with h5py.File(path, "r") as f:
            g = f["solution"]
            self.attrs = dict(g.attrs)
            self.model = Staking(self.attrs)
            self.dim = int(self.attrs["dim"])
            self.s = g["s"][...]
            self.z = g["z"][...] if self.dim == 2 else np.array([self.model.zbar])
            self.V_c = g["value"][...].reshape(len(self.s), len(self.z))
            self.u_c = g["policy"][...].reshape(len(self.s), len(self.z))
        self.rtol = float(self.attrs["rtol"])
        m = self.model
        self.S, self.Z = np.meshgrid(self.s, self.z, indexing="ij")  # C order: s slowest
        self.a_s = np.broadcast_to(m.diffusion_s(self.s)[:, None], self.S.shape)
        if self.dim == 2:
            bz = m.theta * (m.zbar - self.Z)
            self.cfz, self.cbz = coefficients(self.z, bz.T, np.full(bz.T.shape, 0.5 * m.sigma_z ** 2))
            self.cfz, self.cbz = self.cfz.T, self.cbz.T
        else:
            self.cfz = self.cbz = np.zeros(self.S.shape)

    def s_coefficients(self, u):
        return coefficients(self.s, self.model.drift_s(self.S, self.Z, u), self.a_s)

    def matrix(self, u):
        """rho I - L(u) on the flattened C-order grid (z fastest)."""
        ns, nz = self.S.shape
        cfs, cbs = self.s_coefficients(u)
        diag = self.model.rho + cfs + cbs + self.cfz + self.cbz
        N = ns * nz
        A = sp.diags([diag.ravel(), -cfs.ravel()[:-nz], -cbs.ravel()[nz:]], [0, nz, -nz], shape=(N, N), format="csr")
        if nz > 1:
            A = A + sp.diags([-self.cfz.ravel()[:-1], -self.cbz.ravel()[1:]], [1, -1], shape=(N, N), format="csr")
        return A.tocsc()

    def hamiltonian(self, V, u):
        cfs, cbs = self.s_coefficients(u)
        H = self.model.cost(self.S, u) - self.model.rho * V
        H[:-1, :] += cfs[:-1, :] * (V[1:, :] - V[:-1, :])
        H[1:, :] += cbs[1:, :] * (V[:-1, :] - V[1:, :])
        if self.dim == 2:
            H[:, :-1] += self.cfz[:, :-1] * (V[:, 1:] - V[:, :-1])
            H[:, 1:] += self.cbz[:, 1:] * (V[:, :-1] - V[:, 1:])
        return H

    def self_consistent_greedy(self, p, u0):
        """Fixed point u = G(u; p), safeguarded by bisection on u - G(u) (SelfConsistentGreedy)."""
        m = self.model
        lo, hi = m.u_min, m.u_max
        tol = 1e-14 * (1 + min(hi - lo, 1e3))
        u = np.clip(u0, lo, hi)
        done = np.zeros(u.shape, bool)
        step_old = np.full(u.shape, np.inf)
        bad = np.zeros(u.shape, bool)
        for _ in range(20):
            act = ~done & ~bad
            if not act.any():
                break
            step = np.zeros(u.shape)
            step[act] = m.greedy(self.S[act], self.Z[act], p[act], u[act]) - u[act]
            fin = act & (np.abs(step) <= tol)
            u[fin] += step[fin]
            done |= fin
            grow = act & ~fin & (np.abs(step) > 0.5 * step_old)
            bad |= grow
            go = act & ~fin & ~grow
            step_old[go] = np.abs(step[go])
            u[go] += step[go]
        bad |= ~done
        if bad.any():
            s, z, pb = self.S[bad], self.Z[bad], p[bad]
            a, b = np.full(s.shape, lo), np.full(s.shape, hi)
            fa = a - m.greedy(s, z, pb, a)
            for _ in range(200):
                c = 0.5 * (a + b)
                fc = c - m.greedy(s, z, pb, c)
                left = (fc > 0) == (fa > 0)
                a = np.where(left, c, a)
                fa = np.where(left, fc, fa)
                b = np.where(left, b, c)
                if np.max(b - a) <= tol:
                    break
            u[bad] = 0.5 * (a + b)
        return u

    def improve(self, V, u_old):
        m = self.model
        ds = np.diff(self.s)[:, None]
        pf = np.zeros(V.shape)
        pb = np.zeros(V.shape)
        pf[:-1] = (V[1:] - V[:-1]) / ds
        pb[1:] = (V[1:] - V[:-1]) / ds
        uf = self.self_consistent_greedy(pf, u_old)
        ub = self.self_consistent_greedy(pb, u_old)
        bf = m.drift_s(self.S, self.Z, uf)
        bb = m.drift_s(self.S, self.Z, ub)
        both = (bf > 0) & (bb < 0)
        u = np.where(bf > 0, uf, np.where(bb < 0, ub, np.where(bf == 0, uf, np.where(bb == 0, ub, np.nan))))
        if both.any():
            Hf = self.hamiltonian(V, np.where(both, uf, u_old))
            Hb = self.hamiltonian(V, np.where(both, ub, u_old))
            u = np.where(both, np.where(Hf <= Hb, uf, ub), u)
        zero = np.isnan(u)
        if zero.any():  # the control that zeroes the (increasing) drift between uf and ub
            s, z = self.S[zero], self.Z[zero]
            a, b = np.minimum(uf, ub)[zero], np.maximum(uf, ub)[zero]
            for _ in range(100):
                c = 0.5 * (a + b)
                neg = m.drift_s(s, z, c) < 0
                a = np.where(neg, c, a)
                b = np.where(neg, b, c)
            u[zero] = 0.5 * (a + b)
        return u

    def solve(self, max_it=50):
        m = self.model
        u = np.full(self.S.shape, np.clip(m.ubar - m.eta / (2 * m.w_u), m.u_min, m.u_max))
        V = np.zeros(self.S.shape)
        utol = 1e-12 * (1 + min(m.u_max - m.u_min, 1e3))
        self.linear_time = 0.0
        for it in range(1, max_it + 1):
            A = self.matrix(u)
            t0 = time.perf_counter()
            V_new = spsolve(A, m.cost(self.S, u).ravel()).reshape(V.shape)
            self.linear_time += time.perf_counter() - t0
            change = np.max(np.abs(V_new - V)) / max(np.max(np.abs(V_new)), 1e-300)
            V = V_new
            u_new = self.improve(V, u)
            residual = np.max(np.abs(self.hamiltonian(V, u_new))) / (m.rho * np.max(np.abs(V)))
            floor = 100 * np.finfo(float).eps * np.max(A.diagonal()) / m.rho
            changes = int(np.count_nonzero(np.abs(u_new - u) > utol))
            u = u_new
            if changes == 0 or (change < self.rtol and residual < max(self.rtol, floor)):
                return V, u, it, residual
        return V, u, max_it, residual


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    t0 = time.perf_counter()
    P = Problem(sys.argv[1])
    V, u, its, residual = P.solve()
    elapsed = time.perf_counter() - t0
    dv = float(np.max(np.abs(V - P.V_c)) / np.max(np.abs(P.V_c)))
    du = float(np.max(np.abs(u - P.u_c)) / (P.model.u_max - P.model.u_min))
    result = {"nodes": int(V.size), "time": elapsed, "linear_time": P.linear_time, "iterations": its,
              "residual": float(residual), "rel_max_dV": dv, "rel_max_du": du}
    if "--json" in sys.argv:
        print(json.dumps(result))
    else:
        print(f"reference (SciPy spsolve, Howard): {V.size} nodes, {its} iterations, residual {residual:.2e}, "
              f"{elapsed:.2f} s ({P.linear_time:.2f} s in spsolve); against stakehjb: rel max|dV| {dv:.2e}, "
              f"rel max|du| {du:.2e}")


if __name__ == "__main__":
    main()
