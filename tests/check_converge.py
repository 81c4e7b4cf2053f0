#!/usr/bin/python3
"""`stakehjb converge` (issue 6): the table in CSV and HDF5, the plot, and observed
orders: first order on the LQ problem (exact solution) and, without one, on the 1-D
staking model by successive differences and Richardson extrapolation; a 3-D study.
usage: check_converge.py STAKEHJB"""
import csv
import math
import os
import subprocess
import sys
import tempfile

import h5py

stakehjb = sys.argv[1]
checks = []


def check(name, ok, detail=""):
    checks.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}")


def converge(tmp, name, options):
    path = os.path.join(tmp, name + ".h5")
    run = subprocess.run([stakehjb, "converge", "-o", path] + options, capture_output=True, text=True)
    check(f"{name}: exit 0", run.returncode == 0, run.stderr[-1500:] if run.returncode else "")
    with open(os.path.join(tmp, name + ".csv")) as f:
        rows = list(csv.DictReader(f))
    return path, rows, run.stdout


with tempfile.TemporaryDirectory() as tmp:
    path, rows, out = converge(tmp, "lq1", ["-model", "lq", "-dim", "1", "-converge_nmin", "33", "-converge_levels", "4"])
    orders = [float(r["order_max"]) for r in rows[1:]]
    check("lq 1-D: 4 rows, n = 33..257", [int(float(r["n0"])) for r in rows] == [33, 65, 129, 257])
    check("lq 1-D: upwind order >= 0.9 against the closed form", all(o >= 0.9 for o in orders), str([round(o, 3) for o in orders]))
    errors = [float(r["error_max"]) for r in rows]
    check("lq 1-D: error halves", all(0.4 < b / a < 0.6 for a, b in zip(errors, errors[1:])), str(errors))
    with h5py.File(path) as f:
        g = f["convergence"]
        check("HDF5 columns with a level scale", g["error_max"].shape == (4,) and g["error_max"].dims[0][0].name == "/convergence/level")
        check("HDF5 model attributes", g.attrs["model"] in (b"lq", "lq"))
    check("PNG written", os.path.getsize(os.path.join(tmp, "lq1.png")) > 1000)

    path, rows, out = converge(tmp, "staking1", ["-dim", "1", "-converge_nmin", "65", "-converge_levels", "4", "-converge_plot", "0"])
    orders = [float(r["order_max"]) for r in rows if not math.isnan(float(r["order_max"]))]
    check("staking 1-D: observed order from successive differences in [0.8, 1.2]", orders and 0.8 <= orders[-1] <= 1.2, str(orders))
    rich = [float(r["error_richardson_max"]) for r in rows[:-1]]
    check("staking 1-D: error against Richardson falls", all(b < a for a, b in zip(rich, rich[1:])), str(rich))
    means = [float(r["mean_x0"]) for r in rows]
    check("staking 1-D: stationary mean of s settles", abs(means[-1] - means[-2]) < abs(means[0] - means[1]) and 0.5 < means[-1] < 0.7, str(means))
    check("no PNG with -converge_plot 0", not os.path.exists(os.path.join(tmp, "staking1.png")))

    check("staking 1-D: errors of the policy at the target and of E[s] against their extrapolation",
          all(not math.isnan(float(r["policy_reference_error"])) and not math.isnan(float(r["mean_x0_error"])) for r in rows))
    with h5py.File(path) as f:
        a = f["convergence"].attrs
        check("staking 1-D: extrapolated policy and mean as attributes", abs(float(a["mean_x0_extrapolated"]) - means[-1]) < 1e-3 and a["policy_reference_value_is"] in (b"richardson", "richardson"))

    # Merton (two controls): exact value and policy; c* = nu w with nu = 0.04625 at w = 2.
    path, rows, out = converge(tmp, "merton", ["-model", "merton", "-converge_nmin", "33", "-converge_levels", "4", "-converge_plot", "0"])
    orders = [float(r["order_max"]) for r in rows[1:]]
    check("merton: upwind order >= 0.9 against the closed form", all(o >= 0.9 for o in orders), str([round(o, 3) for o in orders]))
    perr = [float(r["policy_error_l2"]) for r in rows]
    check("merton: policy error against the closed form falls", all(b < a for a, b in zip(perr, perr[1:])), str(perr))
    with h5py.File(path) as f:
        a = f["convergence"].attrs
        check("merton: exact policy at the reference point", a["policy_reference_value_is"] in (b"exact", "exact") and abs(float(a["policy_reference_value"]) - 0.0925) < 1e-12, str(a["policy_reference_value"]))
    check("merton: no stationary mean (Dirichlet faces)", all(math.isnan(float(r["mean_x0"])) for r in rows))

    # 3-D (issue 12): the command end to end on 5^3, 9^3, 17^3 with a stationary density;
    # the column n2 and the HDF5 table carry the third direction.
    path, rows, out = converge(tmp, "mms3", ["-model", "mms", "-dim", "3", "-converge_nmin", "5", "-converge_levels", "3",
                                             "-converge_density", "1", "-converge_plot", "0"])
    sizes = [(int(float(r["n0"])), int(float(r["n1"])), int(float(r["n2"])), int(float(r["nodes"]))) for r in rows]
    check("mms 3-D: n0, n1, n2 and nodes of cubes", sizes == [(n, n, n, n ** 3) for n in (5, 9, 17)], str(sizes))
    errors = [float(r["error_max"]) for r in rows]
    check("mms 3-D: the error falls", all(b < a for a, b in zip(errors, errors[1:])), str(errors))
    means = [float(r["mean_x0"]) for r in rows]
    check("mms 3-D: stationary mean of x0 = 1/2 by symmetry", all(abs(m - 0.5) < 1e-6 for m in means), str(means))
    with h5py.File(path) as f:
        n2 = f["convergence"]["n2"]
        check("mms 3-D: HDF5 column n2 on the level scale", list(n2[...]) == [5, 9, 17] and n2.dims[0][0].name == "/convergence/level")

    bad = subprocess.run([stakehjb, "converge", "-model", "bangbang", "-dim", "2", "-o", os.path.join(tmp, "bad.h5")], capture_output=True, text=True)
    check("bangbang -dim 2 rejected with the option's name", bad.returncode != 0 and "-dim" in bad.stderr and "bangbang" in bad.stderr)
    bad = subprocess.run([stakehjb, "converge", "-converge_nmin", "20", "-o", os.path.join(tmp, "bad.h5")], capture_output=True, text=True)
    check("bad -converge_nmin rejected with its name", bad.returncode != 0 and "-converge_nmin" in bad.stderr and "20" in bad.stderr)
    check("nothing written on bad input", not any(n.startswith("bad") for n in os.listdir(tmp)))

print(f"{sum(checks)} passed, {len(checks) - sum(checks)} failed")
sys.exit(0 if all(checks) else 1)
