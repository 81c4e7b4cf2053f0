#!/usr/bin/python3
"""Every output is self-describing (CF conventions): xarray opens every group of every
file kind, and every variable and coordinate has `units` and `long_name`; the
coordinates carry the model's units, the density its own, network weights and
compare's sample paths their own dimension scales.
usage: check_xarray.py STAKEHJB"""
import os
import sys
import tempfile
import warnings

import h5py
import xarray as xr

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stk_outputs import make_outputs  # noqa: E402

checks = []


def check(name, ok, detail=""):
    checks.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}")


def groups(path):
    out = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out.append(n) if isinstance(o, h5py.Group) else None)
    return out


warnings.simplefilter("ignore")
with tempfile.TemporaryDirectory() as tmp:
    files = make_outputs(os.path.abspath(sys.argv[1]), tmp)
    opened = {}
    for kind, path in files.items():
        for g in groups(path):
            try:
                ds = xr.open_dataset(path, group=g, engine="h5netcdf")
            except Exception as e:  # noqa: BLE001 - any failure to open is the finding
                check(f"{kind}: xarray opens /{g}", False, f"{type(e).__name__}: {e}")
                continue
            check(f"{kind}: xarray opens /{g}", True, f"dims {dict(ds.sizes)}")
            opened[(kind, g)] = ds
            names = list(ds.variables)
            no_units = [v for v in names if not ds[v].attrs.get("units")]
            no_long = [v for v in names if not ds[v].attrs.get("long_name")]
            check(f"{kind}: /{g}: units on all {len(names)} variables and coordinates", not no_units, f"missing: {no_units}")
            check(f"{kind}: /{g}: long_name on all {len(names)} variables and coordinates", not no_long, f"missing: {no_long}")

    sol = opened[("solution", "solution")]
    check("s in units 1 (fraction of supply)", sol["s"].attrs["units"] == "1", sol["s"].attrs)
    check("z in units 1/yr", sol["z"].attrs["units"] == "1/yr", sol["z"].attrs)
    check("s is a coordinate of value", "s" in sol["value"].coords and "z" in sol["value"].coords)
    check("2-D density per unit of s and z: yr", sol["density"].attrs["units"] == "yr", sol["density"].attrs["units"])
    check("policy in 1/yr", sol["policy"].attrs["units"] == "1/yr")
    with h5py.File(files["solution"], "r") as f:
        comp = f["solution"].attrs["drift_component_units"]
        comp = comp.decode() if isinstance(comp, bytes) else comp
    check("drift component units ds/dt dz/dt", comp == "1/yr 1/yr2", comp)
    one = opened[("solution_1d", "solution")]
    check("1-D density per unit of s: 1", one["density"].attrs["units"] == "1")
    mer = opened[("solution_merton", "solution")]
    check("merton state w has a long name", mer["w"].attrs["long_name"] == "wealth")
    d3 = opened[("solution_mms3d", "solution")]
    check("3-D value on (x0, x1, x2)", d3["value"].dims == ("x0", "x1", "x2") and d3["value"].shape == (9, 11, 13),
          (d3["value"].dims, d3["value"].shape))
    check("3-D policy on (x0, x1, x2, control)", d3["policy"].dims == ("x0", "x1", "x2", "control") and d3.sizes["control"] == 3,
          d3["policy"].dims)
    check("3-D drift on (x0, x1, x2, component)", d3["drift"].dims == ("x0", "x1", "x2", "component"), d3["drift"].dims)
    check("3-D density integrates to 1", abs(float(d3["density"].integrate(["x0", "x1", "x2"])) - 1) < 1e-12,
          float(d3["density"].integrate(["x0", "x1", "x2"])))
    net = opened[("network", "network")]
    check("weights on their own dimension 'weight'", net["weights"].dims == ("weight",), net["weights"].dims)
    cmp = opened[("compare", "compare")]
    check("compare sample_s on (row, sample, t)", cmp["sample_s"].dims == ("row", "sample", "t"), cmp["sample_s"].dims)
    check("compare sample_u's t is the time scale in yr", cmp["sample_u"]["t"].attrs["units"] == "yr"
          and cmp["sample_u"].sizes["t"] == cmp.sizes["t"])
    conv = opened[("convergence", "convergence")]
    check("convergence error_max in V's units", conv["error_max"].attrs["units"] == "1")
    check("convergence solve_time in s", conv["solve_time"].attrs["units"] == "s")
    check("every kind opened", {k for k, _ in opened} == set(files), sorted({k for k, _ in opened}))

print(f"{sum(checks)}/{len(checks)} checks passed")
sys.exit(0 if all(checks) else 1)
