#!/usr/bin/python3
"""stakehjb simulate end to end (issue 3):
- the same seed gives bitwise the same paths and metrics on 1, 2 and 3 ranks (sde
  paths spread over ranks; abm agents spread over ranks, block and agent engines);
- the metrics in the file are those of the recorded paths (recomputed here);
- long paths are subsampled: the records are every stride-th step of the full path;
- -policy solution applies u*(x) of a solution file (multilinear interpolation).
usage: check_simulate.py STAKEHJB MPIEXEC"""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np
from scipy.interpolate import RegularGridInterpolator

stakehjb, mpiexec = sys.argv[1], sys.argv[2]
failed = 0
checks = 0


def check(ok, what):
    global failed, checks
    checks += 1
    failed += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {what}")


def simulate(ranks, options, path):
    cmd = [mpiexec, "-n", str(ranks), "--oversubscribe", stakehjb, "simulate", "-o", path] + options
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"FAILED: {' '.join(cmd)}\n{run.stdout}\n{run.stderr}")
    with h5py.File(path, "r") as f:
        g = f["simulation"]
        return {k: g[k][...] for k in g.keys()}, dict(g.attrs)


def metrics(d, a):
    """The metrics of docs/model.md#experiments from fully recorded paths (record_stride 1)."""
    s, u, t = d["s"][:, :-1], d["u"][:, :-1], d["t"][:-1]
    e = s - a["sbar"]
    dt = a["dt"]
    cost = a["w_s"] * e**2 + a["w_u"] * (u - a["ubar"]) ** 2 + a["eta"] * u
    return {
        "tracking_mae": np.abs(e).mean(axis=1),
        "tracking_rmse": np.sqrt((e**2).mean(axis=1)),
        "time_in_band": (np.abs(e) <= a["band"]).mean(axis=1),
        "mean_s": s.mean(axis=1),
        "final_s": d["s"][:, -1],
        "mean_u": u.mean(axis=1),
        "std_u": u.std(axis=1),
        "discounted_cost": (np.exp(-a["rho"] * t) * cost).sum(axis=1) * dt,
    }


def recovery(d, a):
    """First time after the first shock (t = 0 without one) from which |s - sbar| < band
    holds for the hold; a path that never recovers is censored: the time left, flag 1."""
    dt, t_shock = a["dt"], d["shock_t"][0] if "shock_t" in d else 0.0
    n0, need = int(np.ceil(t_shock / dt - 1e-3)), int(np.ceil(a["recovery_hold"] / dt - 1e-9))
    out, censored = [], []
    for s in d["s"]:
        inband = np.abs(s - a["sbar"]) < a["band"]
        run, rt, cen = 0, (len(s) - 1 - n0) * dt, 1.0
        for n in range(n0, len(s)):
            run = run + 1 if inband[n] else 0
            if run > need:
                rt, cen = (n - need - n0) * dt, 0.0
                break
        out.append(rt)
        censored.append(cen)
    return np.array(out), np.array(censored)


COMMON = ["-sim_t_final", "2", "-sim_seed", "11", "-sim_max_records", "100000", "-hjb_sbar", "0.55"]  # sbar near s*(ubar): recoveries happen
CASES = [
    ("sde", ["-sim_type", "sde", "-sim_paths", "7", "-sim_shock_t", "0.5", "-sim_shock_frac", "0.2"]),
    ("abm-block", ["-sim_type", "abm", "-sim_n", "30001", "-sim_abm_block", "2048", "-sim_paths", "3", "-sim_shock_t", "0.5", "-sim_shock_frac", "0.2"]),
    ("abm-hedge", ["-sim_type", "abm", "-sim_n", "5003", "-sim_abm_block", "512", "-sim_paths", "2", "-sim_abm_types", "persistent", "-sim_abm_response", "hedge"]),
]
KEYS = ["s", "z", "u", "tracking_mae", "tracking_rmse", "time_in_band", "mean_u", "std_u", "final_s", "discounted_cost", "recovery_time", "recovery_censored"]

with tempfile.TemporaryDirectory() as tmp:
    for name, options in CASES:
        ref, attrs = simulate(1, COMMON + options, os.path.join(tmp, f"{name}-1.h5"))
        for ranks in (2, 3):
            d, a = simulate(ranks, COMMON + options, os.path.join(tmp, f"{name}-{ranks}.h5"))
            same = all(np.array_equal(d[k], ref[k], equal_nan=True) for k in KEYS)
            check(same and a["ranks"] == ranks, f"{name}: {ranks} ranks give bitwise the paths and metrics of 1 rank")
        mine = metrics(ref, attrs)
        worst = max(np.max(np.abs(mine[k] - ref[k]) / np.maximum(np.abs(ref[k]), 1e-300)) for k in mine if k != "std_u")
        worst = max(worst, np.max(np.abs(mine["std_u"] - ref["std_u"])) / 0.15)
        check(worst < 1e-10 and attrs["record_stride"] == 1, f"{name}: metrics recomputed from the paths agree (max rel diff {worst:.1e})")
        rt, cen = recovery(ref, attrs)
        check(np.array_equal(rt, ref["recovery_time"]) and np.array_equal(cen, ref["recovery_censored"]) and ("shock_t" not in ref or (cen == 0).any()),
              f"{name}: recovery_time {ref['recovery_time']} (censored {ref['recovery_censored']}) recomputed")
        s0 = ref["s"][:, 0]
        check(np.all((ref["s"] >= 0) & (ref["s"] <= 1)) and np.all(s0 == s0[0]), f"{name}: s in [0, 1], all paths start at s0 = {s0[0]}")

    # subsampling: 10 years of days into at most 100 records
    full, _ = simulate(1, ["-sim_t_final", "10", "-sim_paths", "2", "-sim_max_records", "100000"], os.path.join(tmp, "full.h5"))
    sub, a = simulate(2, ["-sim_t_final", "10", "-sim_paths", "2", "-sim_max_records", "100"], os.path.join(tmp, "sub.h5"))
    k = a["record_stride"]
    ok = k == 37 and sub["s"].shape == (2, 3650 // 37 + 1) and np.array_equal(sub["s"], full["s"][:, ::k]) and np.array_equal(sub["t"], full["t"][::k])
    ok = ok and np.array_equal(sub["tracking_mae"], full["tracking_mae"])  # metrics use every step
    import xarray
    with xarray.open_dataset(os.path.join(tmp, "sub.h5"), group="simulation", engine="h5netcdf") as ds:
        ok = ok and ds["s"].dims == ("path", "t") and np.array_equal(ds["t"].values, sub["t"])
    check(ok, f"subsampling: stride {k}, {sub['s'].shape[1]} records = every {k}-th step; metrics from all steps")

    # -policy solution: the recorded u is u*(s, z) of the file, multilinearly interpolated
    sol = os.path.join(tmp, "sol.h5")
    run = subprocess.run([stakehjb, "solve", "-grid_n", "65,17", "-o", sol], capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"FAILED: solve\n{run.stdout}\n{run.stderr}")
    d, a = simulate(2, ["-policy", "solution", "-policy_file", sol, "-sim_paths", "3", "-sim_t_final", "3"], os.path.join(tmp, "pol.h5"))
    with h5py.File(sol, "r") as f:
        g = f["solution"]
        sg, zg, ug = g["s"][...], g["z"][...], g["policy"][...]
    interp = RegularGridInterpolator((sg, zg), ug)
    pts = np.stack([np.clip(d["s"].ravel(), sg[0], sg[-1]), np.clip(d["z"].ravel(), zg[0], zg[-1])], axis=1)
    err = np.max(np.abs(interp(pts) - d["u"].ravel()))
    check(err < 1e-12 and np.ptp(d["u"]) > 1e-3, f"-policy solution: recorded u = u*(s, z) to {err:.1e}; u ranges over [{d['u'].min():.4f}, {d['u'].max():.4f}]")

print(f"{checks - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
