#!/usr/bin/python3
"""`stakehjb solve -hjb_horizon T -hjb_time_steps K` end to end (issue 12 item 6): the
group time_series (a time scale on dimension 0, value/policy/density with a leading time
dimension), mass 1 of every stored density, the XDMF temporal collection, the summary
lines; 1, 2 and 3 ranks agree on every time step; -kfe_horizon with an infinite horizon
writes the density only; without either option no time series and no _time.xmf.
usage: check_horizon.py STAKEHJB MPIEXEC"""
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

import h5py
import numpy as np

stakehjb, mpiexec = sys.argv[1], sys.argv[2]
FINITE = ["-model", "lq", "-dim", "2", "-grid_n", "33,33", "-lq_terminal_p", "1,0,0,1", "-hjb_horizon", "2",
          "-hjb_time_steps", "20", "-hjb_store_every", "4", "-kfe_initial_mean", "0.2,-0.1", "-kfe_initial_sd", "0.15",
          "-hjb_rtol", "1e-11"]
KFE = ["-model", "mms", "-dim", "1", "-grid_n", "101", "-kfe_horizon", "50", "-kfe_time_steps", "25"]
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def solve(ranks, options, path):
    cmd = [mpiexec, "-n", str(ranks), "--oversubscribe", stakehjb, "solve", "-o", path] + options
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"FAILED: {' '.join(cmd)}\n{run.stdout}\n{run.stderr}")
    return run.stdout


def dual_widths(x):
    w = np.empty_like(x)
    w[1:-1] = 0.5 * (x[2:] - x[:-2])
    w[0], w[-1] = 0.5 * (x[1] - x[0]), 0.5 * (x[-1] - x[-2])
    return w


def read_series(path):
    with h5py.File(path, "r") as f:
        g = f["time_series"]
        out = {k: g[k][...] for k in ("time", "value", "policy", "density") if k in g}
        out["dims"] = {k: [d.label for d in g[k].dims] for k in ("value", "policy", "density") if k in g}
        out["scale0"] = {k: [s.name for s in g[k].dims[0].values()] for k in ("value", "policy", "density") if k in g}
        out["coords"] = [g[c][...] for c in g.attrs["coordinates"].decode().split()]
        out["attrs"] = dict(g.attrs)
        out["solution_value"] = f["solution/value"][...]
    return out


with tempfile.TemporaryDirectory() as tmp:
    ref_path = os.path.join(tmp, "finite-1.h5")
    out = solve(1, FINITE, ref_path)
    check("finite horizon T = 2: 20 implicit steps of dt = 0.1" in out, "summary line of the finite horizon")
    check("density in time: 20 implicit steps over [0, 2]" in out, "summary line of the density in time")
    check("time series: 6 times from 0 to 2 in group time_series" in out, "summary line of the time series")
    ref = read_series(ref_path)
    check(np.allclose(ref["time"], np.linspace(0, 2, 6), rtol=0, atol=1e-15), "time = 0, 0.4, ..., 2 (every 4th step)")
    check(ref["value"].shape == (6, 33, 33) and ref["policy"].shape == (6, 33, 33, 2) and ref["density"].shape == (6, 33, 33),
          "shapes (time, x0, x1[, control])")
    check(all(s == ["/time_series/time"] for s in ref["scale0"].values()), "the time scale is attached to dimension 0")
    check(np.array_equal(ref["value"][0], ref["solution_value"]), "solution/value is V at t = 0")
    x0, x1 = ref["coords"]
    check(np.allclose(ref["value"][-1], x0[:, None] ** 2 + x1[None, :] ** 2, rtol=1e-15, atol=0), "V(T) = terminal cost x'P_T x")
    vol = np.outer(dual_widths(x0), dual_widths(x1))
    mass = [float(np.sum(g * vol)) for g in ref["density"]]
    check(max(abs(m - 1) for m in mass) < 1e-12, f"mass 1 at every stored time (max |mass - 1| {max(abs(m - 1) for m in mass):.1e})")
    check(ref["density"].min() > -1e-12, f"density >= 0 (min {ref['density'].min():.1e})")
    check(ref["attrs"]["mass_error"] < 1e-12 and ref["attrs"]["time_steps"] == 20 and ref["attrs"]["store_every"] == 4, "attributes")
    xmf = os.path.join(tmp, "finite-1_time.xmf")
    root = ET.parse(xmf).getroot()
    coll = root.find("Domain/Grid")
    check(coll.get("CollectionType") == "Temporal" and len(coll.findall("Grid")) == 6, "XDMF temporal collection of 6 grids")
    check([float(g.find("Time").get("Value")) for g in coll.findall("Grid")] == list(ref["time"]), "XDMF times")
    check({a.get("Name") for a in coll.find("Grid").findall("Attribute")} == {"value", "density"}, "XDMF fields (scalar ones)")
    for ranks in (2, 3):
        path = os.path.join(tmp, f"finite-{ranks}.h5")
        solve(ranks, FINITE, path)
        s = read_series(path)
        dv = np.max(np.abs(s["value"] - ref["value"])) / np.max(np.abs(ref["value"]))
        du = np.max(np.abs(s["policy"] - ref["policy"])) / np.ptp(ref["policy"])
        dg = np.max(np.abs(s["density"] - ref["density"])) / np.max(ref["density"])
        check(max(dv, du, dg) < 1e-7, f"{ranks} ranks vs 1: every time step, rel max|dV| {dv:.1e}, |du| {du:.1e}, |dg| {dg:.1e}")

    path = os.path.join(tmp, "kfe.h5")
    out = solve(1, KFE, path)
    s = read_series(path)
    check(set(k for k in ("value", "policy", "density") if k in s) == {"density"} and s["density"].shape == (26, 101),
          "-kfe_horizon: the density only, (time, x0)")
    with h5py.File(path, "r") as f:
        stationary = f["solution/density"][...]
    gap = np.max(np.abs(s["density"][-1] - stationary)) / np.max(stationary)
    check(gap < 1e-8, f"-kfe_horizon 50: the density at T is the stationary one ({gap:.1e})")

    path = os.path.join(tmp, "plain.h5")
    solve(1, ["-model", "lq", "-dim", "1", "-grid_n", "65"], path)
    with h5py.File(path, "r") as f:
        check("time_series" not in f, "no time series without a horizon")
    check(not os.path.exists(os.path.join(tmp, "plain_time.xmf")), "no _time.xmf without a horizon")

print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
