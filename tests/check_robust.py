#!/usr/bin/python3
"""`stakehjb robust` end to end (issue 15 item 1) on a tiny 1-D problem: with the
environment equal to the model the oracle is the expert (same cost on every path: gap 0,
closed fraction 0 for every row); with phi x 1.3 the gap is positive and the oracle
closes exactly 1; 1 and 2 ranks write byte-identical tables.
usage: check_robust.py STAKEHJB MPIEXEC"""
import csv
import os
import subprocess
import sys
import tempfile

stakehjb, mpiexec = os.path.abspath(sys.argv[1]), sys.argv[2]
checks = []


def check(name, ok, detail=""):
    checks.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}")


def stk(args, ranks=1, cwd=None):
    cmd = ([mpiexec, "-n", str(ranks), "--oversubscribe"] if ranks > 1 else []) + [stakehjb] + args
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if r.returncode:
        print(r.stdout, r.stderr)
    return r


def table(path):
    with open(path) as f:
        return list(csv.DictReader(f))


with tempfile.TemporaryDirectory() as d:
    sol, net = os.path.join(d, "sol.h5"), os.path.join(d, "net.h5")
    check("solve", stk(["solve", "-dim", "1", "-grid_n", "101", "-o", sol]).returncode == 0)
    check("fit", stk(["fit", "-i", sol, "-o", net, "-net_fit_max_it", "200"]).returncode == 0)
    common = ["-i", net, "-policy_file", sol, "-robust_paths", "6", "-robust_years", "2", "-sim_dim", "1",
              "-robust_policies", "fixed,tezos", "-robust_bootstrap", "200",
              "-robust_oracle_file", os.path.join(d, "oracle.h5"), "-robust_replan_file", os.path.join(d, "rp.h5"),
              "-robust_replan", "1"]
    out = os.path.join(d, "none.csv")
    r = stk(["robust", "-robust_case", "none", "-o", out] + common)
    check("none runs", r.returncode == 0)
    rows = table(out)
    names = [w["policy"] for w in rows]
    check("rows", names == ["expert", "oracle", "network", "refined_hamiltonian", "refined_spsa",
                            "refined_hamiltonian_replan", "refined_spsa_replan", "fixed", "tezos"], names)
    check("none: oracle cost = expert cost", rows[0]["cost"] == rows[1]["cost"], (rows[0]["cost"], rows[1]["cost"]))
    check("none: gap 0", float(rows[0]["gap"]) == 0.0, rows[0]["gap"])
    check("none: closed 0 everywhere", all(float(w["closed"]) == 0.0 for w in rows))
    outs = {}
    for ranks in (1, 2):
        outs[ranks] = os.path.join(d, f"phi{ranks}.csv")
        r = stk(["robust", "-robust_case", "phi", "-robust_factor", "1.3", "-o", outs[ranks]] + common, ranks=ranks)
        check(f"phi on {ranks} rank(s)", r.returncode == 0)
    rows = table(outs[1])
    check("phi: gap > 0", float(rows[0]["gap"]) > 0, rows[0]["gap"])
    check("phi: the oracle closes 1", float(rows[1]["closed"]) == 1.0, rows[1]["closed"])
    check("phi: the expert closes 0", float(rows[0]["closed"]) == 0.0)
    d_net = float(rows[2]["cost"]) - float(rows[0]["cost"])
    check("phi: network's closed = (E - N) / gap", abs(float(rows[2]["closed"]) + d_net / float(rows[0]["gap"])) < 1e-9 * max(1, abs(float(rows[2]["closed"]))))
    # every row but the re-planned ones (the re-planning HJB solve runs on all ranks)
    with open(outs[1]) as a, open(outs[2]) as b:
        la, lb = [l for l in a if "_replan," not in l], [l for l in b if "_replan," not in l]
    check("1 and 2 ranks byte-identical (rows without re-planning)", la == lb and len(la) == 8)
    # the responsiveness under a shifted cost law: the slope through the origin reads the
    # shifted equilibrium as slowness, the regression with an intercept does not
    gam = {}
    for gi in ("false", "true"):
        out = os.path.join(d, f"gamma_{gi}.csv")
        r = stk(["robust", "-robust_case", "median", "-robust_factor", "0.7", "-robust_refinements", "hamiltonian",
                 "-refine_gamma_intercept", gi, "-o", out] + common)
        gam[gi] = float(table(out)[3]["gamma"]) if r.returncode == 0 else float("nan")
    check("gamma through the origin < 0.4 under median x 0.7", gam["false"] < 0.4, gam["false"])
    check("gamma with an intercept in [0.5, 1.5]", 0.5 <= gam["true"] <= 1.5, gam["true"])
    h = stk(["robust", "-help"])
    check("-help lists -robust_case and -refine_a0", "-robust_case" in h.stdout and "-refine_a0" in h.stdout)

print(f"{sum(checks)}/{len(checks)} checks passed")
sys.exit(0 if all(checks) else 1)
