#!/usr/bin/python3
"""`stakehjb solve -regime_files` end to end (docs/model.md#regime-switching): the staking
model switching between data/regimes/baseline.yaml and bear.yaml solves and converges;
switching makes the baseline costlier and the bear cheaper than on their own
(V_baseline alone <= V_baseline <= V_bear <= V_bear alone); with q = 0 each regime is the
single-regime solve of its file; the joint density is a probability and its regime
marginals the chain's; 1, 2 and 3 ranks agree; the command line wins over the files
(-hjb_rho for every regime, -bear_hjb_rho for one); the file's layout; -help lists the
options.

usage: check_regime_cli.py STAKEHJB MPIEXEC DATADIR"""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

exe, mpiexec, data = sys.argv[1], sys.argv[2], sys.argv[3]
base, bear = os.path.join(data, "regimes", "baseline.yaml"), os.path.join(data, "regimes", "bear.yaml")
files = f"{base},{bear}"
grid = ["-grid_n", "65,17"]
checks = []


def check(name, ok, detail=""):
    checks.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}", flush=True)


def run(args, ranks=1):
    cmd = ([mpiexec, "-n", str(ranks), "--oversubscribe"] if ranks > 1 else []) + [exe] + args
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        print(r.stdout, r.stderr)
    return r


def dual_widths(x):
    w = np.empty_like(x)
    w[1:-1] = 0.5 * (x[2:] - x[:-2])
    w[0], w[-1] = 0.5 * (x[1] - x[0]), 0.5 * (x[-1] - x[-2])
    return w


with tempfile.TemporaryDirectory(prefix="regime_cli_") as tmp:
    out = {k: os.path.join(tmp, k + ".h5") for k in ("q", "q0", "q0_same", "np2", "np3", "prec", "single_base", "single_responsive", "single_fee_rich")}
    r = run(["solve", "-regime_files", files, "-regime_rates", "0,0.5,0.3,0"] + grid + ["-o", out["q"]])
    check("switching solve exits 0", r.returncode == 0)
    check("summary names the regimes", "regime 0 baseline" in r.stdout and "regime 1 bear" in r.stdout and "converged" in r.stdout)
    run(["solve", "-regime_files", files, "-regime_rates", "0,0,0,0"] + grid + ["-o", out["q0"]])
    # regimes on the same box (the shared grid is the union of the boxes): each its own solve
    same = [os.path.join(data, "regimes", n + ".yaml") for n in ("baseline", "responsive", "fee_rich")]
    run(["solve", "-regime_files", ",".join(same)] + grid + ["-o", out["q0_same"]])
    for n, path in zip(("single_base", "single_responsive", "single_fee_rich"), same):
        run(["solve", "-options_file", path] + grid + ["-hjb_sequence", "0", "-o", out[n]])
    for np_ in (2, 3):
        r = run(["solve", "-regime_files", files, "-regime_rates", "0,0.5,0.3,0"] + grid + ["-o", out[f"np{np_}"]], np_)
        check(f"switching solve on {np_} ranks exits 0", r.returncode == 0)
    run(["solve", "-regime_files", files, "-regime_rates", "0,0.5,0.3,0", "-hjb_rho", "0.07", "-bear_hjb_rho", "0.08"] + grid + ["-o", out["prec"]])

    with h5py.File(out["q"]) as f, h5py.File(out["q0"]) as f0:
        g, g0 = f["solution"], f0["solution"]
        V, V0 = g["value"][...], g0["value"][...]
        check("value has a trailing regime dimension", V.shape == (65, 17, 2), str(V.shape))
        zb = g["z"][...]
        check("the grid covers both regimes' boxes", zb[0] < -0.028 and zb[-1] > 0.048, f"z in [{zb[0]:.4f}, {zb[-1]:.4f}]")
        check("regime names", g.attrs["regime_names"] in (b"baseline,bear", "baseline,bear"))
        check("converged", int(g.attrs["converged"]) == 1, f"residual {g.attrs['residual']:.2e}")
        check("rates stored", np.allclose(g["rates"][...], [[0, 0.5], [0.3, 0]]))
        check("per-regime model attributes", float(g["regimes/bear"].attrs["rho"]) == 0.05 and g["regimes/bear"].attrs["model"] in (b"staking", "staking"))
        tol = 1e-7 * np.abs(V0).max()
        check("V_baseline alone <= V_baseline", (V0[..., 0] <= V[..., 0] + tol).all())
        check("V_baseline <= V_bear", (V[..., 0] <= V[..., 1] + tol).all())
        check("V_bear <= V_bear alone", (V[..., 1] <= V0[..., 1] + tol).all())
        check("switching changes both regimes", np.abs(V - V0).max() > 1e-3 * np.abs(V0).max(), f"{np.abs(V - V0).max():.3e}")
        s, z = g["s"][...], g["z"][...]
        cell = np.outer(dual_widths(s), dual_widths(z))
        dens = g["density"][...]
        mass = [(dens[..., i] * cell).sum() for i in range(2)]
        check("joint density >= 0 (to the solver tolerance)", dens.min() >= -1e-9 * dens.max(), f"min {dens.min():.2e} of max {dens.max():.2e}")
        check("joint density has mass 1", abs(sum(mass) - 1) < 1e-10, f"{sum(mass):.12f}")
        # the chain does not depend on x: its marginal is pi = (q10, q01) / (q01 + q10)
        check("regime marginals are the chain's", np.allclose(mass, [0.3 / 0.8, 0.5 / 0.8], atol=1e-8), str(mass))
        check("regime_probability", np.allclose(g["regime_probability"][...], mass, atol=1e-12))
        check("density_state is the sum over regimes", np.allclose(g["density_state"][...], dens.sum(axis=2)))
        with h5py.File(out["q0_same"]) as fq:
            Vq, uq = fq["solution/value"][...], fq["solution/policy"][...]
        for i, k in enumerate(("single_base", "single_responsive", "single_fee_rich")):
            with h5py.File(out[k]) as fs:
                Vs = fs["solution/value"][...]
                us = fs["solution/policy"][...]
            d = np.abs(Vq[..., i] - Vs).max()
            check(f"q = 0: regime {i} is its single-regime solve", d <= 1e-6 * np.abs(Vs).max(), f"max |dV| {d:.2e}")
            check(f"q = 0: regime {i} policy", np.abs(uq[..., i] - us).max() <= 1e-5, f"{np.abs(uq[..., i] - us).max():.2e}")
        for np_ in (2, 3):
            with h5py.File(out[f"np{np_}"]) as fp:
                d = np.abs(fp["solution/value"][...] - V).max()
                dd = np.abs(fp["solution/density"][...] - dens).max()
            check(f"{np_} ranks agree with 1", d <= 1e-7 * np.abs(V).max() and dd <= 1e-7 * np.abs(dens).max(), f"max |dV| {d:.2e}, |dg| {dd:.2e}")
    with h5py.File(out["prec"]) as f:
        rb, rr = float(f["solution/regimes/baseline"].attrs["rho"]), float(f["solution/regimes/bear"].attrs["rho"])
        check("-hjb_rho applies to every regime, -bear_hjb_rho to bear", rb == 0.07 and rr == 0.08, f"{rb} {rr}")
    # the regime-switching LQ problem in 2-D (two controls: policy_0, policy_1) against the
    # coupled Riccati solution computed here independently (scipy's CARE, block Gauss-Seidel)
    lq = {"calm": "model: lq\ndim: 2\nhjb:\n  rho: 0.5\n",
          "rough": "model: lq\ndim: 2\nhjb:\n  rho: 0.8\nlq:\n  a: [-0.2, 0.4, 0.0, -0.6]\n  q: [2, 0.5, 0.5, 1]\n  sigma: [0.5, 0.3]\n"}
    for name, text in lq.items():
        with open(os.path.join(tmp, name + ".yaml"), "w") as f:
            f.write(text)
    lq_out = os.path.join(tmp, "lq.h5")
    r = run(["solve", "-regime_files", ",".join(os.path.join(tmp, n + ".yaml") for n in lq), "-regime_rates", "0,0.7,1.2,0",
             "-grid_n", "65,65", "-o", lq_out])
    check("lq regimes solve", r.returncode == 0)
    from scipy.linalg import solve_continuous_are
    A = [np.array([[-0.5, 0.2], [0.1, -0.3]]), np.array([[-0.2, 0.4], [0.0, -0.6]])]
    Q = [np.array([[1, 0.3], [0.3, 0.8]]), np.array([[2, 0.5], [0.5, 1]])]
    S = [np.array([0.3, 0.2]), np.array([0.5, 0.3])]
    B, R = np.diag([1, 0.8]), np.diag([1, 0.5])
    rho, q = [0.5, 0.8], np.array([[0, 0.7], [1.2, 0]])
    P = [np.zeros((2, 2)), np.zeros((2, 2))]
    for _ in range(500):
        for i in range(2):
            j = 1 - i
            P[i] = solve_continuous_are(A[i] - 0.5 * (rho[i] + q[i, j]) * np.eye(2), B, Q[i] + q[i, j] * P[j], R)
    G = np.array([[rho[0] + q[0, 1], -q[0, 1]], [-q[1, 0], rho[1] + q[1, 0]]])
    c = np.linalg.solve(G, [np.sum(S[i] ** 2 * np.diag(P[i])) for i in range(2)])
    with h5py.File(lq_out) as f:
        g = f["solution"]
        x0, x1 = g["x0"][...], g["x1"][...]
        X = np.stack(np.meshgrid(x0, x1, indexing="ij"), axis=-1)
        err = max(np.abs(g["value"][..., i] - (np.einsum("...a,ab,...b->...", X, P[i], X) + c[i])).max() for i in range(2))
        check("lq: policy_0 and policy_1 on (x0, x1, regime)", g["policy_0"].shape == (65, 65, 2) and g["policy_1"].shape == (65, 65, 2))
        check("lq: V_i within O(h) of x'P_i x + c_i", err < 0.03, f"max error {err:.3e} on 65 x 65")
        check("lq: density NaN (Dirichlet boundary)", np.isnan(g["density"][...]).all())
    r = run(["solve", "-help"])
    check("-help lists -regime_files and -regime_rates", "-regime_files" in r.stdout and "-regime_rates" in r.stdout)

print(f"{sum(checks)} of {len(checks)} checks passed")
sys.exit(0 if all(checks) else 1)
