#!/usr/bin/python3
"""stakehjb govern end to end (issue 16, item 4): for each voting rule the /govern group on
1 and 2 MPI ranks is bitwise equal (the planner solves on every rank, the epochs run on
counter-based noise); the round dimension scale is 1..R; the per-round solution files are
removed; `stakehjb plot` draws the trajectory.
usage: check_govern.py STAKEHJB MPIEXEC"""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

stakehjb, mpiexec = sys.argv[1], sys.argv[2]
ROUNDS = 4
failed = 0


def run(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"FAILED: {' '.join(cmd)}\n{out.stdout}\n{out.stderr}")
    return out.stdout


def govern(ranks, rule, path):
    run([mpiexec, "-n", str(ranks), "--oversubscribe", stakehjb, "govern", "-govern_rule", rule,
         "-govern_rounds", str(ROUNDS), "-o", path])
    with h5py.File(path, "r") as f:
        g = f["govern"]
        return {k: g[k][...] for k in g}, dict(g.attrs)


with tempfile.TemporaryDirectory() as tmp:
    for rule in ("token_median", "holder_median", "borda"):
        d = os.path.join(tmp, rule)
        os.mkdir(d)
        one, attrs = govern(1, rule, os.path.join(d, "np1.h5"))
        two, _ = govern(2, rule, os.path.join(d, "np2.h5"))
        if sorted(os.listdir(d)) != ["np1.h5", "np2.h5"]:
            print(f"FAIL {rule}: files left behind: {sorted(os.listdir(d))}")
            failed += 1
        if not np.array_equal(one["round"], np.arange(1, ROUNDS + 1)):
            print(f"FAIL {rule}: round scale {one['round']}")
            failed += 1
        diff = [k for k in one if one[k].tobytes() != two[k].tobytes()]
        if diff or set(one) != set(two):
            print(f"FAIL {rule}: 1 and 2 ranks differ in {diff}")
            failed += 1
        else:
            print(f"ok {rule}: {len(one)} datasets bitwise equal on 1 and 2 ranks; sbar {one['sbar']}, w_u {one['w_u']}")
        if attrs["rule"] != rule.encode() and attrs["rule"] != rule:
            print(f"FAIL {rule}: attribute rule = {attrs['rule']}")
            failed += 1
    png = os.path.join(tmp, "fig")
    run([stakehjb, "plot", os.path.join(tmp, "borda", "np1.h5"), "-o", png])
    pngs = sorted(os.listdir(png)) if os.path.isdir(png) else []
    if not any(p.endswith("_govern.png") for p in pngs):
        print(f"FAIL plot: no *_govern.png in {pngs}")
        failed += 1
    else:
        print(f"ok plot: {pngs}")
sys.exit(1 if failed else 0)
