"""examples/huggett.c with two income regimes, on 1 and 2 ranks, against an independent
reference: the HACT algorithm (Achdou et al., huggett_partialeq.m: implicit upwind
steps with the boundary conditions V'(a_min) = u'(y + r a_min), V'(a_max) = u'(y + r
a_max)) written here in numpy, iterated to convergence on the same grid.  Both solve
the same discrete equations, so V, c and the stationary distribution must agree to the
solvers' tolerances; the borrowing limit must bind in the low income state."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from example_check import ARTIFACT, STAKEHJB, check, done, np, run, solve  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = ",".join(os.path.join(HERE, f) for f in ("huggett_low.yaml", "huggett_high.yaml"))
N, Y, LAM, R, RHO, GAMMA, AMIN, AMAX = 501, (0.1, 0.2), (1.2, 1.2), 0.035, 0.05, 2.0, -0.15, 5.0


def hact_reference():
    """V (utility form), c and the stationary probabilities of the HACT scheme."""
    a = np.linspace(AMIN, AMAX, N)
    da = a[1] - a[0]
    z = np.array(Y)[None, :]
    aa = a[:, None]
    up = lambda c: c ** -GAMMA  # noqa: E731
    util = lambda c: c ** (1 - GAMMA) / (1 - GAMMA)  # noqa: E731
    V = util(z + R * aa) / RHO
    switch = np.block([[-LAM[0] * np.eye(N), LAM[0] * np.eye(N)], [LAM[1] * np.eye(N), -LAM[1] * np.eye(N)]])
    delta = 1e6
    for _ in range(200):
        dVf = np.empty_like(V)
        dVb = np.empty_like(V)
        dVf[:-1] = (V[1:] - V[:-1]) / da
        dVf[-1] = up(z[0] + R * AMAX)
        dVb[1:] = (V[1:] - V[:-1]) / da
        dVb[0] = up(z[0] + R * AMIN)
        cf, cb = dVf ** (-1 / GAMMA), dVb ** (-1 / GAMMA)
        ssf, ssb = z + R * aa - cf, z + R * aa - cb
        c0 = z + R * aa
        If, Ib = ssf > 0, ssb < 0
        I0 = ~If & ~Ib
        c = cf * If + cb * Ib + c0 * I0
        X, Z = -np.minimum(ssb, 0) / da, np.maximum(ssf, 0) / da
        A = switch.copy()
        for j in range(2):
            o = j * N
            A[o + np.arange(N), o + np.arange(N)] += -X[:, j] - Z[:, j]
            A[o + np.arange(1, N), o + np.arange(N - 1)] += X[1:, j]
            A[o + np.arange(N - 1), o + np.arange(1, N)] += Z[:-1, j]
        B = (RHO + 1 / delta) * np.eye(2 * N) - A
        Vnew = np.linalg.solve(B, util(c).T.ravel() + V.T.ravel() / delta).reshape(2, N).T
        change = np.abs(Vnew - V).max()
        V = Vnew
        if change < 1e-13 * np.abs(V).max():
            break
    AT = A.T.copy()
    AT[0, :] = 0
    AT[0, 0] = 1
    rhs = np.zeros(2 * N)
    rhs[0] = 1
    p = np.linalg.solve(AT, rhs)
    return a, V, c, (p / p.sum()).reshape(2, N).T


a_ref, V_ref, c_ref, p_ref = hact_reference()
args = ["-regime_files", FILES, "-regime_rates", f"0,{LAM[0]},{LAM[1]},0", "-grid_n", str(N), "-hjb_rtol", "1e-12"]
sols = [solve("huggett", f"huggett{r}.h5", r, args) for r in (1, 2)]
s = sols[0]
a, V, c, g = s["a"][:], s["value"][:], s["policy"][:], s["density"][:]
check(np.abs(a - a_ref).max() < 1e-14, "the same uniform grid of 501 nodes")
eV = np.abs(V + V_ref).max() / np.abs(V_ref).max()  # stakehjb minimizes: V = -v
check(eV < 1e-8, f"V against the HACT reference: max relative difference {eV:.2e}")
ec = np.abs(c - c_ref).max()
check(ec < 1e-8, f"consumption against the HACT reference: max difference {ec:.2e}")
w = np.full(N, a[1] - a[0])
w[0] = w[-1] = 0.5 * (a[1] - a[0])
p = g * w[:, None]
check(abs(p.sum() - 1) < 1e-10, f"joint stationary distribution: mass {p.sum():.12f}")
ep = np.abs(p - p_ref).max() / p_ref.max()
check(ep < 1e-6, f"stationary distribution against the HACT reference: max relative difference {ep:.2e}")
bind = abs(c[0, 0] - (Y[0] + R * AMIN))
check(bind < 1e-12, f"borrowing limit binds in the low state: c(a_min) = y + r a_min to {bind:.1e}")
check(p[0, 0] > 5 * p[0, 1], f"more mass at the borrowing limit in the low state: {p[0, 0]:.3f} of the total (high state: {p[0, 1]:.1e})")
drift = np.array(Y)[None, :] + R * a[:, None] - c
check(drift[0].min() >= -1e-14 and drift[-1].max() <= 1e-14, "the drift points inward at both ends (state constraints)")
dV = np.abs(sols[1]["value"][:] - V).max() / np.abs(V).max()
check(dV < 1e-9, f"1 and 2 ranks agree: max |dV| / max |V| = {dV:.2e}")
done()
