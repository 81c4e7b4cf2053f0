#!/usr/bin/python3
"""The solution file of `stakehjb solve` (issue 2, docs/hdf5.md) as a user's
h5py sees it: coordinates as dimension scales, fields in C order with s slowest,
parameters and statistics as attributes, an XDMF sidecar, no temporary left.
usage: check_solution_file.py STAKEHJB"""
import glob
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

stakehjb = sys.argv[1]
checks = []


def check(name, ok, detail=""):
    checks.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}")


with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "sol.h5")
    run = subprocess.run([stakehjb, "solve", "-grid_n", "129,33", "-o", path], capture_output=True, text=True)
    check("solve exits 0", run.returncode == 0, run.stderr[-2000:])
    check("summary names the file", path in run.stdout)
    with h5py.File(path, "r") as f:
        g = f["solution"]
        s, z = g["s"][...], g["z"][...]
        check("coordinates", s.shape == (129,) and z.shape == (33,) and s[0] == 0 and s[-1] == 1)
        check("s and z are dimension scales", g["s"].attrs.get("CLASS") == b"DIMENSION_SCALE" and g["z"].attrs.get("CLASS") == b"DIMENSION_SCALE")
        for name in ("value", "policy", "density"):
            d = g[name]
            check(f"{name} shape (s, z)", d.shape == (129, 33), str(d.shape))
            check(f"{name} scales attached", d.dims[0][0].name == "/solution/s" and d.dims[1][0].name == "/solution/z")
        drift = g["drift"]
        check("drift shape (s, z, component)", drift.shape == (129, 33, 2), str(drift.shape))
        v, u, dens = g["value"][...], g["policy"][...], g["density"][...]
        check("value finite and positive", np.all(np.isfinite(v)) and v.min() > 0)
        check("policy within [u_min, u_max]", u.min() >= g.attrs["u_min"] and u.max() <= g.attrs["u_max"])
        # C order, s slowest: more issuance below the target than above it, along s
        jz = len(z) // 2
        below, above = u[np.searchsorted(s, 0.4), jz], u[np.searchsorted(s, 0.8), jz]
        check("policy issues more below target", below > above, f"u(0.4)={below:.4f} u(0.8)={above:.4f}")
        ds = np.gradient(s)
        dz = np.gradient(z)
        ws = np.concatenate(([0.5 * (s[1] - s[0])], 0.5 * (s[2:] - s[:-2]), [0.5 * (s[-1] - s[-2])]))
        wz = np.concatenate(([0.5 * (z[1] - z[0])], 0.5 * (z[2:] - z[:-2]), [0.5 * (z[-1] - z[-2])]))
        mass = float(np.sum(dens * np.outer(ws, wz)))
        check("density non-negative, unit mass", dens.min() >= -1e-10 * dens.max() and abs(mass - 1) < 1e-10, f"mass {mass:.12f}")
        mean_s = float(np.sum(dens * np.outer(ws * s, wz)))
        check("stationary mean of s near the target", 0.5 < mean_s < 0.7, f"E[s] = {mean_s:.4f}")
        for a in ("iterations", "converged", "residual", "wall_time", "ranks", "version", "kappa", "kappa_units", "rho", "sbar", "model"):
            check(f"attribute {a}", a in g.attrs)
        check("converged", int(g.attrs["converged"]) == 1)
        g_value_at_target = float(v[np.argmin(np.abs(s - 0.6)), np.argmin(np.abs(z))])
    import xarray  # Debian's python3-xarray with python3-h5netcdf
    with xarray.open_dataset(path, group="solution", engine="h5netcdf") as ds:
        check("xarray sees labelled (s, z) fields", ds["value"].dims == ("s", "z") and ds["drift"].dims == ("s", "z", "component"))
        v = float(ds["value"].sel(s=0.6, z=0.0, method="nearest"))
        check("xarray selection by coordinate", abs(v - g_value_at_target) < 1e-15, f"V(0.6, 0) = {v:.6g}")
    check("XDMF sidecar", os.path.exists(os.path.join(tmp, "sol.xmf")))
    check("no temporary left", not glob.glob(os.path.join(tmp, "*.tmp*")))

    # a damaged copy is refused by every reader, the message naming the file and the dataset
    def damaged(name, change):
        bad = os.path.join(tmp, name)
        with open(path, "rb") as src, open(bad, "wb") as dst:
            dst.write(src.read())
        with h5py.File(bad, "r+") as f:
            change(f["solution"])
        return bad

    def refused(what, args, expect, out=True):
        run = subprocess.run([stakehjb, *args] + (["-o", os.path.join(tmp, "out.h5")] if out else []), capture_output=True, text=True)
        check(f"{what} refused", run.returncode != 0 and expect in run.stderr and not os.path.exists(os.path.join(tmp, "out.h5")), run.stderr[-300:])

    nan_value = damaged("nan_value.h5", lambda g: g["value"].__setitem__(Ellipsis, np.nan))
    refused("expert from an all-NaN value function", ["simulate", "-policy", "expert", "-policy_file", nan_value], f"{nan_value}: dataset 'solution/value' contains")
    flat_s = damaged("flat_s.h5", lambda g: g["s"].__setitem__(Ellipsis, 0.5))
    refused("constant coordinates", ["fit", "-i", flat_s], f"{flat_s}: dataset 'solution/s': coordinates must increase strictly")
    bounds = damaged("bounds.h5", lambda g: (g.attrs.__setitem__("u_min", 0.2), g.attrs.__setitem__("u_max", 0.01)))
    refused("u_min > u_max", ["fit", "-i", bounds], f"{bounds}: attributes 'solution/u_min'")
    before = open(path, "rb").read()
    refused("output = input", ["fit", "-i", path, "-o", path], f"-o {path}: is the same file as the input -i {path}", out=False)
    check("the input is unchanged", open(path, "rb").read() == before)

print(f"{sum(checks)} passed, {len(checks) - sum(checks)} failed")
sys.exit(0 if all(checks) else 1)
