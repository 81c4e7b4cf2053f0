#!/usr/bin/python3
"""Fixtures of tests/bad_input/rsim.tsv: regime files for `stakehjb simulate
-sim_regime_files` (two staking regimes, an lq one, a 2-D one), their regime-switching
solution and a single solution for -policy regime_solution.
usage: make_fixtures_rsim.py FIXDIR STAKEHJB"""
import os
import subprocess
import sys

fixdir, stakehjb = sys.argv[1], os.path.abspath(sys.argv[2])
files = {
    "rsim_calm.yaml": "model: staking\ndim: 1\nhjb:\n  rho: 0.05\n",
    "rsim_bear.yaml": "model: staking\ndim: 1\nhjb:\n  rho: 0.06\nagents:\n  zbar: 0.02\n",
    "rsim_lq.yaml": "model: lq\ndim: 1\nhjb:\n  rho: 0.5\n",
    "rsim_wide.yaml": "model: staking\ndim: 2\n",
}
for name, text in files.items():
    with open(os.path.join(fixdir, name), "w", encoding="utf-8") as f:
        f.write(text)
calm, bear = (os.path.join(fixdir, n) for n in ("rsim_calm.yaml", "rsim_bear.yaml"))
for args, out in (([ "-regime_files", f"{calm},{bear}", "-regime_rates", "0,1,1,0"], "rsim_solution.h5"),
                  (["-options_file", calm], "rsim_single.h5")):
    path = os.path.join(fixdir, out)
    subprocess.run([stakehjb, "solve", "-grid_n", "17"] + args + ["-o", path], check=True, capture_output=True)
    xmf = path[:-3] + ".xmf"
    if os.path.exists(xmf):
        os.remove(xmf)  # only the HDF5 file is a fixture
