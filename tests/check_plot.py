#!/usr/bin/python3
"""`stakehjb plot` makes valid, non-empty PNGs for every file kind the program writes;
`converge` plots with the same script; the installed script wins over the build
tree's; bad input (missing, non-HDF5, foreign HDF5, unwritable -o DIR) fails with one
line naming the file and leaves no PNG.
usage: check_plot.py STAKEHJB BUILD_ROOT PLOT_PATHS_HEADER"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

import h5py

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stk_outputs import make_outputs  # noqa: E402

stakehjb, build_root, header = (os.path.abspath(a) for a in sys.argv[1:4])
checks = []
PNG = b"\x89PNG\r\n\x1a\n"
# The figures each kind must give (BASENAME_WHAT.png).
EXPECTED = {
    "solution": ["value", "policy", "drift", "density"],
    "solution_1d": ["value", "policy", "drift", "density"],
    "solution_lq": ["value", "policy", "drift"],  # no density: the Dirichlet boundary absorbs
    "solution_merton": ["value", "policy", "drift"],
    "solution_mms3d": ["value", "policy", "drift", "density"],  # 3-D: slices through x2's middle
    "solution_empirical": ["value", "policy", "drift", "density"],
    "simulation": ["paths", "issuance"],
    "compare": ["cost", "tracking", "cost_difference", "tracking_difference", "paths"],
    "convergence": ["errors"],
    "network": ["weights"],
    "refined": ["weights", "history"],
}


def check(name, ok, detail=""):
    checks.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}")


def valid_png(path):
    if not os.path.isfile(path):
        return False, "missing"
    with open(path, "rb") as f:
        head = f.read(8)
    size = os.path.getsize(path)
    return head == PNG and size > 1024, f"{size} bytes, signature {head!r}"


def plot(args, env=None):
    return subprocess.run([stakehjb, "plot"] + args, capture_output=True, text=True, env=env)


def first_line(text):
    return text.splitlines()[0] if text.splitlines() else ""


with tempfile.TemporaryDirectory() as tmp:
    files = make_outputs(stakehjb, tmp)
    for kind, path in files.items():
        out = os.path.join(tmp, "fig_" + kind)
        run = plot([path, "-o", out])
        check(f"plot {kind} exits 0", run.returncode == 0, run.stderr[-1500:])
        base = os.path.splitext(os.path.basename(path))[0]
        for what in EXPECTED[kind]:
            ok, detail = valid_png(os.path.join(out, f"{base}_{what}.png"))
            check(f"plot {kind}: {base}_{what}.png is a PNG > 1 KB", ok, detail)
        made = sorted(os.path.basename(p) for p in glob.glob(os.path.join(out, "*")))
        check(f"plot {kind}: exactly the expected figures, no temporary", made == sorted(f"{base}_{w}.png" for w in EXPECTED[kind]), made)
        check(f"plot {kind}: names each figure", all(f"{base}_{w}.png" in run.stdout for w in EXPECTED[kind]))

    # Default directory: the file's own.
    run = plot([files["simulation"]])
    ok, detail = valid_png(os.path.join(tmp, "simulation_paths.png"))
    check("plot without -o writes next to the file", run.returncode == 0 and ok, detail + run.stderr[-500:])

    # converge draws its figure with the same script.
    conv = os.path.join(tmp, "conv2.h5")
    run = subprocess.run([stakehjb, "converge", "-converge_levels", "3", "-converge_nmin", "9", "-o", conv], capture_output=True, text=True)
    ok, detail = valid_png(os.path.join(tmp, "conv2.png"))
    check("converge makes its PNG with stk_plot.py", run.returncode == 0 and ok and "no plot made" not in run.stdout,
          detail + run.stdout[-500:])

    # Bad input: one line naming the file, non-zero exit, no figure.
    text = os.path.join(tmp, "notes.h5")
    with open(text, "w") as f:
        f.write("not HDF5\n")
    foreign = os.path.join(tmp, "foreign.h5")
    with h5py.File(foreign, "w") as f:
        f.create_group("other")["x"] = [1.0, 2.0]
    blocker = os.path.join(tmp, "blocker")
    with open(blocker, "w") as f:
        f.write("a file, not a directory\n")
    bad_dir = os.path.join(tmp, "bad")
    os.mkdir(bad_dir)
    cases = [
        ("non-HDF5 file", [text, "-o", bad_dir], text, "not an HDF5 file"),
        ("missing file", [os.path.join(tmp, "nope.h5"), "-o", bad_dir], "nope.h5", "no such file"),
        ("HDF5 file of another program", [foreign, "-o", bad_dir], foreign, "not a stakehjb output"),
        ("unwritable -o DIR", [files["solution"], "-o", os.path.join(blocker, "sub")], os.path.join(blocker, "sub"), "cannot create"),
        ("no file", [], "no file given", "no file given"),
        ("unknown option", [files["solution"], "-x"], "-x", "unknown option"),
    ]
    for name, args, named, why in cases:
        run = plot(args)
        line = first_line(run.stderr)
        check(f"plot, {name}: non-zero exit", run.returncode != 0, f"rc {run.returncode}")
        check(f"plot, {name}: first line names it", line.startswith("stakehjb plot: error: ") and named in line and why in line, repr(line))
        check(f"plot, {name}: one short line, no traceback", len(run.stderr.splitlines()) <= 8 and "Traceback" not in run.stderr)
    check("no figure left by the failed runs", not os.listdir(bad_dir) and not glob.glob(os.path.join(tmp, "notes_*"))
          and not glob.glob(os.path.join(tmp, "foreign_*")), os.listdir(bad_dir))
    run = plot(["-help"])
    check("plot -help exits 0 with the usage", run.returncode == 0 and "stakehjb plot FILE.h5 [-o DIR]" in run.stdout)

    # Installed: the script beside the executable (BINDIR/RELATIVE/stk_plot.py) wins over
    # the build tree's, whatever the working directory.
    with open(header) as f:
        rel = re.search(r'STK_PLOT_RELATIVE_DIR "([^"]*)"', f.read()).group(1)
    prefix = os.path.join(tmp, "prefix")
    os.makedirs(os.path.join(prefix, "bin"))
    exe = os.path.join(prefix, "bin", "stakehjb")
    shutil.copy(stakehjb, exe)
    share = os.path.normpath(os.path.join(prefix, "bin", rel)) if not rel.startswith("/") else None
    if share is None:
        check("installed script directory is relative to the executable", False, rel)
    else:
        os.makedirs(share)
        env = dict(os.environ, LD_LIBRARY_PATH=build_root + ":" + os.environ.get("LD_LIBRARY_PATH", ""))
        with open(os.path.join(share, "stk_plot.py"), "w") as f:
            f.write("import sys\nprint('INSTALLED SCRIPT', sys.argv[1:])\n")
        run = subprocess.run([exe, "plot", files["network"]], capture_output=True, text=True, env=env, cwd="/")
        check("an installed program runs its installed script", run.returncode == 0 and "INSTALLED SCRIPT" in run.stdout,
              run.stdout + run.stderr[-500:])
        shutil.copy(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "cli", "stk_plot.py"),
                    os.path.join(share, "stk_plot.py"))
        out = os.path.join(tmp, "installed_figs")
        run = subprocess.run([exe, "plot", files["network"], "-o", out], capture_output=True, text=True, env=env, cwd="/")
        ok, detail = valid_png(os.path.join(out, "network_weights.png"))
        check("the installed program plots without its build tree's script", run.returncode == 0 and ok, detail + run.stderr[-500:])

print(f"{sum(checks)}/{len(checks)} checks passed")
sys.exit(0 if all(checks) else 1)
