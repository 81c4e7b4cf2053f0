#!/usr/bin/python3
"""`stakehjb simulate` with the regime chain end to end (docs/model.md#the-regime-chain,
docs/policies.md regime_solution): the closed loop of a regime_solution policy solved with
data/regimes/baseline.yaml and bear.yaml and the same rates, in the sde and abm
environments, bitwise the same on 1 and 2 ranks (paths, time shares, switches); the time
shares printed are the file's; with rates 0 and -sim_regime0 1 the paths are bitwise those
of a single-regime run with the bear's parameters (-agents_zbar 0.02); the policy does see
the regime (u differs from the baseline-only run); the command line's -agents_ options
reach every regime and a regime's own (-bear_agents_kappa) wins; -help lists the options.

usage: check_regime_sim.py STAKEHJB MPIEXEC DATADIR"""
import os
import re
import subprocess
import sys
import tempfile

import h5py
import numpy as np

exe, mpiexec, data = sys.argv[1], sys.argv[2], sys.argv[3]
files = ",".join(os.path.join(data, "regimes", n + ".yaml") for n in ("baseline", "bear"))
rates = "0,0.5,0.3,0"
checks = []


def check(name, ok, detail=""):
    checks.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}", flush=True)


def run(args, ranks=1):
    cmd = ([mpiexec, "-n", str(ranks), "--oversubscribe"] if ranks > 1 else []) + [exe] + args
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        print(" ".join(cmd), r.stdout, r.stderr)
    return r


def load(path):
    with h5py.File(path, "r") as f:
        g = f["simulation"]
        return {k: g[k][()] for k in g if isinstance(g[k], h5py.Dataset)}, dict(g.attrs)


with tempfile.TemporaryDirectory(prefix="regime_sim_") as tmp:
    sol = os.path.join(tmp, "regimes.h5")
    r = run(["solve", "-regime_files", files, "-regime_rates", rates, "-grid_n", "33,9", "-o", sol])
    check("regime-switching solve", r.returncode == 0)
    common = ["-sim_regime_files", files, "-sim_regime_rates", rates, "-policy", "regime_solution", "-policy_file", sol,
              "-sim_paths", "4", "-sim_t_final", "10"]
    for env in ("sde", "abm"):
        out = {}
        for np_ in (1, 2):
            path = os.path.join(tmp, f"{env}_{np_}.h5")
            r = run(["simulate", "-sim_type", env, "-sim_n", "3000"] + common + ["-o", path], np_)
            check(f"{env} closed loop on {np_} rank(s)", r.returncode == 0)
            out[np_] = load(path) + (r.stdout,)
        a, b = out[1][0], out[2][0]
        same = all(np.array_equal(a[k], b[k]) for k in ("s", "z", "u", "regime_share", "regime_switches", "discounted_cost"))
        check(f"{env}: 1 and 2 ranks bitwise equal (paths, time shares, switches)", same)
        shares = [float(x) for x in re.findall(r"time share ([0-9.]+)", out[1][2])]
        check(f"{env}: printed time shares are the file's", len(shares) == 2 and np.allclose(shares, a["regime_share"], atol=6e-5),
              f"{shares} vs {a['regime_share']}")
        check(f"{env}: both regimes visited, shares sum to 1", np.all(a["regime_share"] > 0) and abs(a["regime_share"].sum() - 1) < 1e-12,
              f"{a['regime_share']}, switches {a['regime_switches'].ravel()}")
        check(f"{env}: file records the chain", out[1][1].get("regime_names") in (b"baseline,bear", "baseline,bear")
              and np.array_equal(a["regime_rates"], [[0, 0.5], [0.3, 0]]))
    # the policy sees the regime: the same noise with the baseline-only chain (rates 0) gives other u
    base_only = os.path.join(tmp, "base_only.h5")
    r = run(["simulate", "-sim_regime_files", files, "-sim_regime_rates", "0,0,0,0", "-policy", "regime_solution", "-policy_file", sol,
             "-sim_paths", "4", "-sim_t_final", "10", "-sim_regime0", "1", "-o", base_only])
    bear_u = load(base_only)[0]["u"]
    r = run(["simulate", "-sim_regime_files", files, "-sim_regime_rates", "0,0,0,0", "-policy", "regime_solution", "-policy_file", sol,
             "-sim_paths", "4", "-sim_t_final", "10", "-o", base_only])
    base_u = load(base_only)[0]["u"]
    check("the policy sees the regime (u in bear != u in baseline, same noise)", np.max(np.abs(bear_u - base_u)) > 1e-4,
          f"max |du| {np.max(np.abs(bear_u - base_u)):.2e}")
    # rates 0: the chain started in bear is the single-regime run with the bear's parameters
    for env in ("sde", "abm"):
        chain, single = os.path.join(tmp, f"chain0_{env}.h5"), os.path.join(tmp, f"single_{env}.h5")
        fixed = ["simulate", "-sim_type", env, "-sim_n", "3000", "-policy", "fixed", "-sim_paths", "3", "-sim_t_final", "5"]
        run(fixed + ["-sim_regime_files", files, "-sim_regime_rates", "0,0,0,0", "-sim_regime0", "1", "-o", chain])
        run(fixed + ["-agents_zbar", "0.02", "-o", single])
        a, b = load(chain)[0], load(single)[0]
        check(f"{env}: rates 0 from bear bitwise = single-regime bear run", all(np.array_equal(a[k], b[k]) for k in ("s", "z", "u")),
              f"z0 {a['z'][0, 0]} vs {b['z'][0, 0]}")
        check(f"{env}: rates 0: all the time in bear, no switch", np.array_equal(a["regime_share"], [0, 1]) and not a["regime_switches"].any())
    # the command line's -agents_kappa applies to every regime (after the planner read it),
    # a regime's own -bear_agents_kappa wins for that regime
    fixed = ["simulate", "-policy", "fixed", "-sim_paths", "2", "-sim_t_final", "3"]
    chain0 = ["-sim_regime_files", files, "-sim_regime_rates", "0,0,0,0", "-sim_regime0", "1"]
    pairs = ((chain0 + ["-agents_kappa", "3"], ["-agents_zbar", "0.02", "-agents_kappa", "3"], "-agents_kappa 3 reaches the regimes"),
             (chain0 + ["-agents_kappa", "3", "-bear_agents_kappa", "5"], ["-agents_zbar", "0.02", "-agents_kappa", "5"], "-bear_agents_kappa 5 wins for bear"))
    for a_args, b_args, name in pairs:
        pa, pb = os.path.join(tmp, "ka.h5"), os.path.join(tmp, "kb.h5")
        ok = run(fixed + a_args + ["-o", pa]).returncode == 0 and run(fixed + b_args + ["-o", pb]).returncode == 0
        check(name, ok and np.array_equal(load(pa)[0]["s"], load(pb)[0]["s"]))
    r = run(["simulate", "-help"])
    check("-help lists -sim_regime_files, -sim_regime_rates, -sim_regime0",
          all(o in r.stdout for o in ("-sim_regime_files", "-sim_regime_rates", "-sim_regime0")))

print(f"{sum(checks)}/{len(checks)} checks passed")
sys.exit(0 if all(checks) else 1)
