#!/usr/bin/python3
"""Hostile input files for tests/bad_input/files.tsv (docs/cli.md, "Output files").

    make_fixtures_files.py FIXDIR STAKEHJB

Writes into FIXDIR, every name starting with "f_": a small good solution (solve -grid_n
17,9) and network (fit), copies of them damaged one way each (NaN values, constant or
decreasing coordinates, u_min > u_max, missing or wrongly shaped datasets, NaN weights,
truncated, not HDF5), hostile cost files (empty, text, negative, NUL byte, BOM only,
binary), YAML files (binary garbage, a directory named .yaml, a good one to be refused
as an output)."""
import os, shutil, subprocess, sys
import h5py, numpy as np

FIX, EXE = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
os.makedirs(FIX, exist_ok=True)


def p(name):
    return os.path.join(FIX, name)


def stakehjb(*args):
    subprocess.run([EXE, *args], cwd=FIX, env=ENV, check=True, stdout=subprocess.DEVNULL)


SOL, NET = p("f_solution.h5"), p("f_network.h5")
stakehjb("solve", "-grid_n", "17,9", "-o", SOL)
stakehjb("fit", "-i", SOL, "-o", NET, "-net_fit_max_it", "5")


def damaged(src, name, change):
    """A copy of src changed by change(h5py.File)."""
    shutil.copy(src, p(name))
    with h5py.File(p(name), "r+") as f:
        change(f)


def replace(f, path, data):
    """Dataset path with new data of another shape (its attributes are dropped)."""
    del f[path]
    f[path] = data


def fill(path, value):
    def change(f):
        d = f[path]
        d[...] = np.full(d.shape, value)
    return change


def setattr_(group, **attrs):
    def change(f):
        for k, v in attrs.items():
            f[group].attrs[k] = v
    return change


# solutions
damaged(SOL, "f_sol_nan_value.h5", fill("solution/value", np.nan))
damaged(SOL, "f_sol_inf_policy.h5", lambda f: f["solution/policy"].__setitem__((3, 4), np.inf))
damaged(SOL, "f_sol_const_s.h5", fill("solution/s", 0.5))
damaged(SOL, "f_sol_decreasing_z.h5", lambda f: f["solution/z"].__setitem__(slice(None), f["solution/z"][()][::-1]))
damaged(SOL, "f_sol_nan_coord.h5", lambda f: f["solution/s"].__setitem__(2, np.nan))
damaged(SOL, "f_sol_umin_gt_umax.h5", setattr_("solution", u_min=0.2, u_max=0.01))
damaged(SOL, "f_sol_nan_rho.h5", setattr_("solution", rho=np.nan))
damaged(SOL, "f_sol_nan_sbar.h5", setattr_("solution", sbar=np.nan))
damaged(SOL, "f_sol_no_value.h5", lambda f: f["solution"].__delitem__("value"))
damaged(SOL, "f_sol_no_policy.h5", lambda f: f["solution"].__delitem__("policy"))
damaged(SOL, "f_sol_no_group.h5", lambda f: f.move("solution", "other"))
damaged(SOL, "f_sol_shape_value.h5", lambda f: replace(f, "solution/value", np.zeros((3, 3))))
damaged(SOL, "f_sol_shape_policy.h5", lambda f: replace(f, "solution/policy", np.zeros(17)))
damaged(SOL, "f_sol_one_coord.h5", lambda f: replace(f, "solution/z", np.zeros(1)))
with open(SOL, "rb") as f:
    whole = f.read()
with open(p("f_sol_truncated.h5"), "wb") as f:
    f.write(whole[: len(whole) // 2])
with open(p("f_not_hdf5.h5"), "w") as f:
    f.write("this is not an HDF5 file\n")
open(p("f_empty.h5"), "w").close()

# networks
damaged(NET, "f_net_nan_weights.h5", lambda f: f["network/weights"].__setitem__(0, np.nan))
damaged(NET, "f_net_inf_weights.h5", lambda f: f["network/weights"].__setitem__(-1, -np.inf))
damaged(NET, "f_net_umin_gt_umax.h5", setattr_("network", u_min=0.2, u_max=0.01))
damaged(NET, "f_net_nan_umax.h5", setattr_("network", u_max=np.nan))
damaged(NET, "f_net_shape_weights.h5", lambda f: replace(f, "network/weights", np.zeros(5)))
damaged(NET, "f_net_no_weights.h5", lambda f: f["network"].__delitem__("weights"))
damaged(NET, "f_net_input_bounds.h5", lambda f: f["network/input_hi"].__setitem__(0, f["network/input_lo"][0]))
damaged(NET, "f_net_nan_input_lo.h5", lambda f: f["network/input_lo"].__setitem__(1, np.nan))

# cost files
files = {
    "f_costs_empty.csv": b"",
    "f_costs_text.csv": b"hello\nworld\n",
    "f_costs_negative.csv": b"cost\n0.02\n-0.01\n0.05\n",
    "f_costs_nul.csv": b"cost\n0.02\n0.0\x003\n0.05\n",
    "f_costs_bom_only.csv": b"\xef\xbb\xbf",
    "f_costs_nan.csv": b"0.01\nnan\n0.03\n",
    "f_costs_single.csv": b"0.04\n",
    "f_costs_binary.csv": bytes(range(1, 256)) * 4,
    "f_garbage.yaml": b"\x00\x01\x02\xff\xfe{{{[[[: : :\x00\n\tgarbage",
    "f_costs_good.csv": b"cost\n0.02\n0.04\n0.06\n",
    "f_good.yaml": b"grid:\n  n: 17,9\n",
}
for name, data in files.items():
    with open(p(name), "wb") as f:
        f.write(data)
os.makedirs(p("f_directory.yaml"), exist_ok=True)
