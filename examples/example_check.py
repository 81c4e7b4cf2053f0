"""Helpers of the examples' checks (tests/check_examples.sh runs NAME_check.py ARTIFACT
STAKEHJB MPIEXEC in a scratch directory)."""
import os
import subprocess
import sys
import time

import h5py
import numpy as np

ARTIFACT, STAKEHJB, MPIEXEC = (os.path.abspath(a) if os.path.exists(a) else a for a in sys.argv[1:4])
failures = []


def run(cmd, ranks=1):
    """Runs cmd (a list) on `ranks` MPI ranks; its stdout, and the wall time printed."""
    if ranks > 1:
        cmd = [MPIEXEC, "-n", str(ranks), "--oversubscribe"] + cmd
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode:
        sys.exit(f"FAILED ({p.returncode}): {' '.join(cmd)}\n{p.stdout}\n{p.stderr}")
    print(f"  {time.time() - t0:6.2f} s  {ranks} rank(s): {' '.join(os.path.basename(c) if c in (STAKEHJB, ARTIFACT, MPIEXEC) else c for c in cmd)}")
    return p.stdout + p.stderr


def solve(model, out, ranks=1, args=()):
    """stakehjb solve with the plugin; the solution group of the file."""
    run([STAKEHJB, "solve", "-model_plugin", ARTIFACT, "-model", model, "-o", out] + list(args), ranks)
    return h5py.File(out, "r")["solution"]


def check(cond, what):
    print(f"  {'ok  ' if cond else 'FAIL'} {what}")
    if not cond:
        failures.append(what)


def done():
    sys.exit(1 if failures else 0)


__all__ = ["np", "run", "solve", "check", "done", "ARTIFACT", "STAKEHJB", "MPIEXEC"]
