#!/usr/bin/python3
"""Fixtures of tests/bad_input/plot.tsv: files `stakehjb plot` must refuse cleanly.
usage: make_fixtures_plot.py FIXDIR STAKEHJB"""
import os
import subprocess
import sys

import h5py

fixdir, stakehjb = sys.argv[1], os.path.abspath(sys.argv[2])
good = os.path.join(fixdir, "plot_solution.h5")
subprocess.run([stakehjb, "solve", "-grid_n", "17,9", "-o", good], check=True, capture_output=True)
os.remove(os.path.join(fixdir, "plot_solution.xmf"))  # only the HDF5 file is a fixture
with open(os.path.join(fixdir, "plot_text.h5"), "w") as f:
    f.write("this is not HDF5\n")
open(os.path.join(fixdir, "plot_empty.h5"), "w").close()
with open(good, "rb") as f:
    head = f.read(2048)
with open(os.path.join(fixdir, "plot_truncated.h5"), "wb") as f:
    f.write(head)  # the HDF5 signature, then nothing
with h5py.File(os.path.join(fixdir, "plot_foreign.h5"), "w") as f:
    f.create_group("other")["x"] = [1.0, 2.0]
with h5py.File(os.path.join(fixdir, "plot_broken_solution.h5"), "w") as f:
    g = f.create_group("solution")  # claims to be a solution, has no coordinates
    g["value"] = [[1.0, 2.0], [3.0, 4.0]]
os.mkdir(os.path.join(fixdir, "plot_dir.h5"))
