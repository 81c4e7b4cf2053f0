#!/usr/bin/python3
"""`stakehjb refine` and `stakehjb run` end to end (issue 4) on a small 1-D problem:
the refined file holds the network and /network/history with the documented columns,
every iterate in the trust region, a numpy forward pass of the refined network stays in
the bounds; 1 and 2 ranks write the same refined weights; `run` prints the comparison;
bad input fails cleanly and writes nothing.
usage: check_refine.py STAKEHJB MPIEXEC"""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

stakehjb, mpiexec = os.path.abspath(sys.argv[1]), sys.argv[2]
checks = []


def check(name, ok, detail=""):
    checks.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}")


def forward(g, x):
    sizes, w = g["layer_sizes"][...].astype(int), g["weights"][...]
    lo, hi = g["input_lo"][...], g["input_hi"][...]
    a, off = 2 * (x - lo) / (hi - lo) - 1, 0
    for l in range(len(sizes) - 1):
        nin, nout = sizes[l], sizes[l + 1]
        block = w[off:off + nout * (nin + 1)].reshape(nout, nin + 1)
        off += nout * (nin + 1)
        pre = a @ block[:, 1:].T + block[:, 0]
        a = np.tanh(pre) if l < len(sizes) - 2 else pre
    umin, umax = g.attrs["u_min"], g.attrs["u_max"]
    return umin + (umax - umin) / (1 + np.exp(-a[:, 0]))


def stk(args, ranks=1, cwd=None):
    cmd = ([mpiexec, "-n", str(ranks), "--oversubscribe"] if ranks > 1 else []) + [stakehjb] + args
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)


small = ["-dim", "1", "-grid_n", "201"]
refine_opts = ["-refine_iterations", "60", "-refine_env", "abm", "-refine_n", "5000", "-refine_radius", "0.5"]
with tempfile.TemporaryDirectory() as tmp:
    sol, net, ref1, ref2 = (os.path.join(tmp, n) for n in ("sol.h5", "net.h5", "ref1.h5", "ref2.h5"))
    run = stk(["solve", "-o", sol] + small)
    check("solve exits 0", run.returncode == 0, run.stderr[-2000:])
    run = stk(["fit", "-i", sol, "-o", net, "-net_widths", "8,8", "-net_fit_max_it", "200"])
    check("fit exits 0", run.returncode == 0, run.stderr[-2000:])
    run = stk(["refine", "-i", net, "-policy_file", sol, "-o", ref1, "-progress_delay", "0"] + refine_opts)
    check("refine exits 0", run.returncode == 0, run.stderr[-2000:])
    print(run.stdout)
    check("progress line on stderr", "refine: iteration 60/60" in run.stderr, run.stderr[-300:])
    check("summary names the output and the estimate", ref1 in run.stdout and "gamma" in run.stdout)
    with h5py.File(ref1, "r") as f:
        h = f["network/history"]
        cols = {"step", "step_size", "step_norm", "distance", "grad_norm", "cost", "gamma", "plan_kappa_factor", "s_end"}
        check("history columns", cols <= set(h.keys()), sorted(h.keys()))
        check("60 iterations recorded", len(h["step"]) == 60)
        check("every iterate in the trust region", np.all(h["distance"][...] <= 0.5 * (1 + 1e-12)), h["distance"][...].max())
        a = h["step_size"][...]
        check("step sizes a0 / (k + k0)^alpha", np.allclose(a, 1.0 / (np.arange(60) + 10.0) ** 0.602, rtol=1e-12))
        check("responsiveness near 1 in the correct model", abs(h["gamma"][-1] - 1) < 0.15, h["gamma"][-1])
        x = np.linspace(0, 1, 1001)[:, None]
        u = forward(f["network"], x)
        check("refined outputs within [u_min, u_max]", u.min() >= 0 and u.max() <= 0.15, (u.min(), u.max()))
    run = stk(["refine", "-i", net, "-policy_file", sol, "-o", ref2] + refine_opts, ranks=2)
    check("refine on 2 ranks exits 0", run.returncode == 0, run.stderr[-2000:])
    with h5py.File(ref1, "r") as f1, h5py.File(ref2, "r") as f2:
        check("1 and 2 ranks: same refined weights", np.array_equal(f1["network/weights"][...], f2["network/weights"][...]))

    # bad input: clear error naming the option, non-zero exit, nothing written
    bad = os.path.join(tmp, "bad.h5")
    for args, needle in ((["-i", os.path.join(tmp, "none.h5"), "-policy_file", sol], "-i"),
                         (["-i", net, "-policy_file", os.path.join(tmp, "none.h5")], "-policy_file"),
                         (["-i", net, "-policy_file", sol, "-refine_alpha", "0.3"], "-refine_alpha"),
                         (["-i", net, "-policy_file", sol, "-refine_env", "ode"], "ode")):
        run = stk(["refine", "-o", bad] + args)
        check(f"refine {' '.join(args[-2:])} fails", run.returncode != 0 and needle in run.stderr and not os.path.exists(bad), run.stderr[-300:])

    # the main job, small: reuse the solution and the network
    outdir = os.path.join(tmp, "job")
    os.mkdir(outdir)
    run = stk(["run", "-run_solution", sol, "-run_network", net, "-refine_iterations", "20", "-refine_n", "2000",
               "-sim_n", "2000", "-sim_t_final", "1", "-eval_paths", "6"], cwd=outdir)
    check("run exits 0", run.returncode == 0, run.stderr[-2000:])
    print(run.stdout)
    check("run compares the three policies", all(w in run.stdout for w in ("expert", "fitted network", "refined network", "95% bootstrap interval")))
    check("run writes out/refined.h5", os.path.exists(os.path.join(outdir, "out", "refined.h5")))

    # run fits the network to its solution in memory (after its own solve) or to
    # -run_solution's: the same weights as `stakehjb fit` on the written solution file
    fast = ["-net_widths", "8,8", "-net_fit_max_it", "40", "-refine_iterations", "2", "-refine_n", "2000",
            "-sim_n", "2000", "-sim_t_final", "0.5", "-sim_shock_t", "0.25", "-eval_paths", "2", "-compare_regimes", "baseline",
            "-compare_envs", "sde", "-compare_scenarios", "none", "-compare_policies", "expert,fixed",
            "-compare_paths", "2", "-compare_years", "0.5", "-compare_samples", "1"]
    for name, extra in (("solve", small), ("run_solution", ["-run_solution", sol])):
        outdir = os.path.join(tmp, "job_" + name)
        os.mkdir(outdir)
        run = stk(["run"] + extra + fast, cwd=outdir)
        check(f"run ({name}) exits 0", run.returncode == 0, run.stderr[-2000:])
        solution = sol if name == "run_solution" else os.path.join(outdir, "out", "solution.h5")
        net_fit = os.path.join(outdir, "fit.h5")
        run = stk(["fit", "-i", solution, "-o", net_fit, "-net_widths", "8,8", "-net_fit_max_it", "40"])
        check(f"fit of run's solution ({name}) exits 0", run.returncode == 0, run.stderr[-2000:])
        with h5py.File(os.path.join(outdir, "out", "network.h5"), "r") as f1, h5py.File(net_fit, "r") as f2:
            check(f"run ({name}) fits the weights fit fits", np.array_equal(f1["network/weights"][...], f2["network/weights"][...]))

print(f"{sum(checks)} of {len(checks)} checks passed")
sys.exit(0 if all(checks) else 1)
