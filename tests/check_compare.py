#!/usr/bin/python3
"""stakehjb compare end to end (issue 5), small and fast:
- the table has one row per regime x environment x scenario x policy, every metric
  finite where it must be, and the paired statistics in range;
- common random numbers: a policy listed twice gives exactly zero paired differences
  (p = 1), and the reference row is marked;
- the summary is recomputable from the per-path metrics in the file (means);
- the same seed gives bitwise the same file contents on 1 and 2 ranks;
- bad input (unknown regime, environment or scenario; too few paths): clear error,
  non-zero exit, no file.
usage: check_compare.py STAKEHJB MPIEXEC"""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

stakehjb, mpiexec = sys.argv[1], sys.argv[2]
failed = checks = 0
SMALL = ["-compare_regimes", "baseline,sluggish", "-compare_policies", "fixed,expert,fixed,cosmos,social_gradient,network,social_gradient_2ts",
         "-compare_paths", "8", "-compare_years", "2", "-compare_agents", "2000", "-compare_bootstrap", "200",
         "-compare_samples", "2", "-grid_n", "65,17"]


def check(ok, what):
    global failed, checks
    checks += 1
    failed += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {what}")


def compare(ranks, options, path):
    cmd = [mpiexec, "-n", str(ranks), "--oversubscribe", stakehjb, "compare", "-o", path] + options
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"FAILED: {' '.join(cmd)}\n{run.stdout}\n{run.stderr}")
    with h5py.File(path, "r") as f:
        g = f["compare"]
        return {k: g[k][...] for k in g.keys()}, dict(g.attrs), run.stdout


def attr_list(a, name):
    v = a[name]
    return (v.decode() if isinstance(v, bytes) else str(v)).split(",")


with tempfile.TemporaryDirectory() as tmp:
    d1, a, out = compare(1, SMALL, os.path.join(tmp, "c1.h5"))
    cols = attr_list(a, "columns")
    regimes, envs, scen, pols = (attr_list(a, k) for k in ("regimes", "envs", "scenarios", "policies"))
    nrows = len(regimes) * len(envs) * len(scen) * len(pols)
    check(d1["summary"].shape == (nrows, len(cols)) and nrows == 2 * 2 * 3 * 7, f"summary has {nrows} rows = regimes x envs x scenarios x policies")
    check(os.path.exists(os.path.join(tmp, "c1.csv")) and sum(1 for _ in open(os.path.join(tmp, "c1.csv"))) == nrows + 1, "CSV summary has a header and one line per row")
    for r in range(len(regimes)):
        check(os.path.exists(os.path.join(tmp, f"c1_{regimes[r]}.h5")), f"expert solution file of regime {regimes[r]} kept")
    S = d1["summary"]
    col = {c: i for i, c in enumerate(cols)}
    finite = ["discounted_cost", "tracking_rmse", "tracking_mae", "time_in_band", "mean_u", "std_u", "mean_s", "final_s"]
    check(all(np.isfinite(d1[m]).all() for m in finite), "per-path metrics finite: " + ", ".join(finite))
    abm_rows = d1["row_env"] == envs.index("abm")
    check(np.isfinite(d1["herfindahl"][abm_rows]).all() and np.isnan(d1["herfindahl"][~abm_rows]).all(), "herfindahl defined for the abm only")
    h = d1["herfindahl"][abm_rows]
    check(np.all((h > 1 / 2000) & (h < 1 / (0.1 * 2000))), f"herfindahl ~ 1/(s N) in [{h.min():.2e}, {h.max():.2e}]")
    shock_rows = d1["row_scenario"] != scen.index("none")
    rt, cen = d1["recovery_time"], d1["recovery_censored"]
    check(np.isfinite(rt).all() and np.isin(cen, (0, 1)).all() and (cen == 1).any(), "recovery_time finite on every path, recovery_censored 0 or 1")
    left = np.where(shock_rows, a["years"] - a["shock_time"], a["years"])[:, None] * np.ones_like(rt)
    check(np.allclose(rt[cen == 1], left[cen == 1], rtol=0, atol=1e-12) and np.all(rt[cen == 0] < left[cen == 0]),
          "a censored path's recovery_time is the time left after the shock (t = 0 without one)")
    check(np.isnan(S[~shock_rows, col["recovery_time_p"]]).all() and np.isfinite(S[shock_rows, col["recovery_time_p"]]).all(),
          "recovery times are compared in the shock scenarios only")
    # the means of the summary are the means of the per-path metrics
    err = max(np.nanmax(np.abs(S[:, col[m]] - np.nanmean(d1[m], axis=1))) for m in finite)
    check(err < 1e-12, f"summary means recomputed from the per-path metrics (max diff {err:.1e})")
    # common random numbers: the reference 'fixed' listed twice
    pol = d1["row_policy"].astype(int)
    f1, f2 = 0, 2
    same = np.array_equal(d1["discounted_cost"][pol == f1], d1["discounted_cost"][pol == f2])
    check(same, "two identical policies give bitwise identical per-path costs")
    for m in ("discounted_cost", "tracking_rmse"):
        z = S[pol == f2]
        check(np.all(z[:, col[m + "_diff"]] == 0) and np.all(z[:, col[m + "_diff_lo"]] == 0) and np.all(z[:, col[m + "_p"]] == 1),
              f"{m}: paired difference of identical policies is exactly 0 with p = 1")
    ref = S[:, col["is_reference"]] == 1
    check(np.array_equal(ref, pol == 0) and np.all(S[ref, col["discounted_cost_diff"]] == 0), "reference rows are the first policy (difference to itself 0)")
    exp_cost = S[pol == pols.index("expert"), col["discounted_cost"]]
    fix_cost = S[pol == 0, col["discounted_cost"]]
    check(np.all(exp_cost < fix_cost), f"the expert's mean cost is below the fixed rate's in every row ({exp_cost.max():.4f} vs {fix_cost.min():.4f})")
    p = S[~ref, col["discounted_cost_p"]]
    ph = S[~ref, col["discounted_cost_p_holm"]]
    check(np.all((p >= 0) & (p <= 1)) and np.all(ph >= p - 1e-15) and np.all(ph <= 1), "p-values in [0, 1], Holm-adjusted >= raw")
    lo, mid, hi = (S[~ref, col["discounted_cost_" + k]] for k in ("diff_lo", "diff", "diff_hi"))
    check(np.all((lo <= mid + 1e-15) & (mid <= hi + 1e-15)), "bootstrap intervals contain the mean difference")
    check("paired differences to fixed" in out, "summary printed")
    # ranks
    d2, _, _ = compare(2, SMALL, os.path.join(tmp, "c2.h5"))
    bad = [k for k in d1 if not np.array_equal(d1[k], d2[k], equal_nan=True)]
    check(not bad, f"1 and 2 ranks give bitwise the same datasets (differ: {bad})")
    # bad input
    for name, opts, want in [("unknown regime", ["-compare_regimes", "baseline,nosuch"], "nosuch"),
                             ("unknown environment", ["-compare_envs", "sde,xyz"], "-compare_envs: unknown environment 'xyz'"),
                             ("unknown scenario", ["-compare_scenarios", "quake"], "-compare_scenarios: unknown scenario 'quake'"),
                             ("one path", ["-compare_paths", "1"], "-compare_paths must be >= 2, got 1"),
                             ("unknown policy", ["-compare_policies", "expert,magic"], "magic")]:
        path = os.path.join(tmp, "bad.h5")
        run = subprocess.run([stakehjb, "compare", "-o", path] + SMALL + opts, capture_output=True, text=True)
        check(run.returncode != 0 and want in run.stdout + run.stderr and not os.path.exists(path) and not os.path.exists(path[:-3] + ".csv"),
              f"{name}: exit {run.returncode}, message names it, no file")

print(f"{checks - failed}/{checks} checks passed")
sys.exit(1 if failed else 0)
