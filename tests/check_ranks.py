#!/usr/bin/python3
"""The program on 1, 2, 3 and 4 MPI ranks (3 and 4 oversubscribed) gives the same value
and policy (issues 2 and 7; 3-D lq and mms: issue 12): to 1e-10 with tight tolerances, and to the solver tolerance
at the defaults, with and without grid sequencing and inexact linear solves.
usage: check_ranks.py STAKEHJB MPIEXEC"""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

stakehjb, mpiexec = sys.argv[1], sys.argv[2]
TIGHT = ["-hjb_rtol", "1e-13", "-hjb_linear_rtol", "1e-14"]
CASES = [  # (name, options, tolerance on max|dV|/max|V| and on max|du|/(u_max-u_min))
    ("staking-2d-tight", ["-dim", "2", "-grid_n", "65,17"] + TIGHT, 1e-10),
    ("staking-1d-tight", ["-dim", "1", "-grid_n", "201"] + TIGHT, 1e-10),
    ("lq-2d-tight", ["-model", "lq", "-dim", "2", "-grid_n", "33,33"] + TIGHT, 1e-10),
    ("staking-2d-default", ["-dim", "2", "-grid_n", "65,17"], 1e-6),
    ("staking-2d-sequence-tight", ["-dim", "2", "-grid_n", "65,33", "-hjb_sequence", "2"] + TIGHT, 1e-10),
    ("staking-2d-no-sequence-forcing", ["-dim", "2", "-grid_n", "65,33", "-hjb_sequence", "0", "-hjb_linear_forcing", "0.01"], 1e-6),
    ("lq-3d-tight", ["-model", "lq", "-dim", "3", "-grid_n", "17,17,17"] + TIGHT, 1e-10),
    ("mms-3d-default", ["-model", "mms", "-dim", "3", "-grid_n", "17,13,9"], 1e-6),
]
RANKS = (2, 3, 4)


def solve(ranks, options, path):
    cmd = [mpiexec, "-n", str(ranks), "--oversubscribe", stakehjb, "solve", "-o", path] + options
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"FAILED: {' '.join(cmd)}\n{run.stdout}\n{run.stderr}")
    with h5py.File(path, "r") as f:
        g = f["solution"]
        return g["value"][...], g["policy"][...], int(g.attrs["ranks"])


failed = 0
with tempfile.TemporaryDirectory() as tmp:
    for name, options, tol in CASES:
        ref_v, ref_u, _ = solve(1, options, os.path.join(tmp, f"{name}-1.h5"))
        scale_u = max(np.ptp(ref_u), 1e-300)
        for ranks in RANKS:
            v, u, written_ranks = solve(ranks, options, os.path.join(tmp, f"{name}-{ranks}.h5"))
            dv = np.max(np.abs(v - ref_v)) / np.max(np.abs(ref_v))
            du = np.max(np.abs(u - ref_u)) / scale_u
            ok = dv <= tol and du <= tol and written_ranks == ranks
            failed += not ok
            print(f"{name}: {ranks} ranks vs 1: rel max|dV| {dv:.2e}, rel max|du| {du:.2e} (tol {tol:g}) {'ok' if ok else 'FAIL'}")

print(f"{len(CASES) * len(RANKS) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
