#!/usr/bin/python3
"""`stakehjb fit` end to end (issue 4): solve the default 2-D model, fit the network,
and read the network file as docs/network.md describes it: a numpy forward pass from
the stored layout reproduces the solution's policy with the stored errors; 1 and 2
ranks write the same weights; bad input fails cleanly and writes nothing.
usage: check_fit.py STAKEHJB MPIEXEC"""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

stakehjb, mpiexec = sys.argv[1], sys.argv[2]
checks = []


def check(name, ok, detail=""):
    checks.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}")


def forward(g, x):
    """The network of group g at the points x (m x nin), from the documented layout."""
    sizes = g["layer_sizes"][...].astype(int)
    w = g["weights"][...]
    lo, hi = g["input_lo"][...], g["input_hi"][...]
    a = 2 * (x - lo) / (hi - lo) - 1
    off = 0
    for l in range(len(sizes) - 1):
        nin, nout = sizes[l], sizes[l + 1]
        block = w[off:off + nout * (nin + 1)].reshape(nout, nin + 1)  # per neuron: bias, weights
        off += nout * (nin + 1)
        pre = a @ block[:, 1:].T + block[:, 0]
        a = np.tanh(pre) if l < len(sizes) - 2 else pre
    check("every weight used", off == len(w), f"{off} of {len(w)}")
    umin, umax = g.attrs["u_min"], g.attrs["u_max"]
    return umin + (umax - umin) / (1 + np.exp(-a[:, 0]))


def fit(args, ranks=1):
    cmd = ([mpiexec, "-n", str(ranks), "--oversubscribe"] if ranks > 1 else []) + [stakehjb, "fit"] + args
    return subprocess.run(cmd, capture_output=True, text=True)


with tempfile.TemporaryDirectory() as tmp:
    sol, net, net2 = (os.path.join(tmp, n) for n in ("sol.h5", "net.h5", "net2.h5"))
    run = subprocess.run([stakehjb, "solve", "-o", sol], capture_output=True, text=True)
    check("solve exits 0", run.returncode == 0, run.stderr[-2000:])
    run = fit(["-i", sol, "-o", net, "-net_fit_stride", "4"])
    check("fit exits 0", run.returncode == 0, run.stderr[-2000:])
    print(run.stdout)
    check("summary prints RMSE relative to the range", "% of u_max - u_min" in run.stdout and net in run.stdout)
    with h5py.File(sol, "r") as f, h5py.File(net, "r") as n:
        s, z, u = f["solution/s"][...], f["solution/z"][...], f["solution/policy"][...]
        g = n["network"]
        S, Z = np.meshgrid(s, z, indexing="ij")  # C order, s slowest
        pred = forward(g, np.column_stack([S.ravel(), Z.ravel()])).reshape(u.shape)
        rng = g.attrs["u_max"] - g.attrs["u_min"]
        rmse, maxerr = np.sqrt(np.mean((pred - u) ** 2)) / rng, np.max(np.abs(pred - u)) / rng
        check("RMSE below 1 % of the range on every node", rmse < 0.01, f"{100 * rmse:.4f} %")
        check("stored RMSE and max error match numpy's", abs(rmse - g.attrs["fit_rmse_relative"]) < 1e-10 and abs(maxerr - g.attrs["fit_max_error_relative"]) < 1e-10,
              f"{rmse:.6e} vs {g.attrs['fit_rmse_relative']:.6e}")
        check("input names and bounds", g.attrs["input_names"] == b"s z" and g["input_lo"][0] == s[0] and g["input_hi"][1] == z[-1])
        check("input_lo has the input scale", g["input_lo"].dims[0][0].name == "/network/input")
        check("samples: every 4th node and the last", g.attrs["fit_samples"] == 65 * 17)
    run = fit(["-i", sol, "-o", net2, "-net_fit_stride", "4"], ranks=2)
    check("fit on 2 ranks exits 0", run.returncode == 0, run.stderr[-2000:])
    with h5py.File(net, "r") as a, h5py.File(net2, "r") as b:
        d = np.max(np.abs(a["network/weights"][...] - b["network/weights"][...]))
        check("2 ranks give the same weights", d <= 1e-12 * np.max(np.abs(a["network/weights"][...])), f"max difference {d:.1e}")

    # the default sample (issue 14): about 500 regular nodes plus the kinks, the same on 1 and 2 ranks,
    # RMSE <= 0.15 % of the range on every node of the default 257 x 65 solution
    net3, net4 = os.path.join(tmp, "net3.h5"), os.path.join(tmp, "net4.h5")
    run1, run2 = fit(["-i", sol, "-o", net3]), fit(["-i", sol, "-o", net4], ranks=2)
    check("default fit on 1 and 2 ranks exits 0", run1.returncode == 0 and run2.returncode == 0, (run1.stderr + run2.stderr)[-2000:])
    with h5py.File(net3, "r") as a, h5py.File(net4, "r") as b:
        wa, wb = a["network/weights"][...], b["network/weights"][...]
        check("default fit: 2 ranks give the same weights", np.array_equal(wa, wb), f"max difference {np.max(np.abs(wa - wb)):.1e}")
        ga = a["network"]
        check("default fit: a subsample", 500 < ga.attrs["fit_samples"] < 257 * 65 // 8, f"{ga.attrs['fit_samples']} nodes")
        check("default fit: RMSE <= 0.15 % of the range on every node", ga.attrs["fit_rmse_relative"] <= 0.0015,
              f"{100 * ga.attrs['fit_rmse_relative']:.4f} %")

    def expect_failure(name, pattern, args):
        out = os.path.join(tmp, name + ".h5")
        run = fit(args + ["-o", out])
        log = run.stdout + run.stderr
        left = [f for f in os.listdir(tmp) if f.startswith(name + ".h5")]
        check(f"error: {name}", run.returncode != 0 and pattern in log and not left, f"exit {run.returncode}" if pattern in log else log[-800:])

    expect_failure("missing_input", "no_such.h5", ["-i", os.path.join(tmp, "no_such.h5")])
    expect_failure("widths_mismatch", "-net_widths has 3 values but -net_layers is 2", ["-i", sol, "-net_layers", "2", "-net_widths", "8,8,8"])
    expect_failure("bad_l2", "-net_fit_l2 must be >= 0, got -1", ["-i", sol, "-net_fit_l2", "-1"])
    expect_failure("inverted_bounds", "-net_u_min 0.2 must be below -net_u_max 0.1", ["-i", sol, "-net_u_min", "0.2", "-net_u_max", "0.1"])
    lq = os.path.join(tmp, "lq.h5")
    subprocess.run([stakehjb, "solve", "-model", "lq", "-dim", "1", "-grid_n", "33", "-o", lq], capture_output=True)
    expect_failure("lq_without_bounds", "give -net_u_min and -net_u_max", ["-i", lq])

print(f"{sum(checks)} of {len(checks)} checks passed")
sys.exit(0 if all(checks) else 1)
