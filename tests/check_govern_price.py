#!/usr/bin/python3
"""stakehjb govern with the token price (issue 16, helper pcomp): payoffs in value.
- a constant price (saturated sigmoid curve P = 2, no impact, no market term, no noise):
  every payoff is exactly 2 times the token payoff of the run without the price, and the
  trajectory (votes, objectives, ideal points) is the same;
- with the default price (noise, order flow) the /govern group is bitwise equal on 1 and
  2 ranks, and the payoffs carry the price change (they differ from the run without);
- the payoff datasets are labelled USD/yr and the group has the attribute price = 1;
- the default Borda menu leaves out the fixed objective, so Borda moves the objective
  (issue 16 item 3: with the old menu it never did).
usage: check_govern_price.py STAKEHJB MPIEXEC"""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

stakehjb, mpiexec = sys.argv[1], sys.argv[2]
BASE = ["-govern_rounds", "3", "-govern_sim_type", "abm", "-govern_sim_n", "300", "-govern_voters", "50"]
CONSTANT = ["-price", "-price_curve", "sigmoid", "-price_curve_params", "2,1,1", "-price_kappa", "0", "-price_lambda", "0", "-price_noise", "0"]
PAYOFFS = ["staker_payoff", "holder_payoff", "staker_payoff_fixed", "holder_payoff_fixed"]
failed = checks = 0


def check(ok, what):
    global failed, checks
    checks += 1
    failed += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {what}")


def govern(ranks, options, path):
    cmd = [mpiexec, "-n", str(ranks), "--oversubscribe", stakehjb, "govern", "-o", path] + BASE + options
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"FAILED: {' '.join(cmd)}\n{r.stdout}\n{r.stderr}")
    with h5py.File(path, "r") as f:
        g = f["govern"]
        return {k: g[k][...] for k in g}, dict(g.attrs), {k: g[k].attrs.get("units") for k in g}


with tempfile.TemporaryDirectory() as tmp:
    tok, a0, _ = govern(1, [], os.path.join(tmp, "token.h5"))
    val, a1, units = govern(1, CONSTANT, os.path.join(tmp, "constant.h5"))
    check(all(np.array_equal(val[k], 2 * tok[k]) for k in PAYOFFS), "constant price P = 2: every payoff is exactly 2 x the token payoff")
    others = [k for k in tok if k not in PAYOFFS]
    check(all(np.array_equal(val[k], tok[k]) for k in others), f"constant price: the trajectory ({len(others)} other datasets) is unchanged")
    check(int(a1.get("price", 0)) == 1 and "price" not in a0, "attribute price = 1 only with -price")
    u = units["staker_payoff"]
    check((u.decode() if isinstance(u, bytes) else u) == "USD/yr", "payoffs labelled USD/yr")
    one, _, _ = govern(1, ["-price"], os.path.join(tmp, "np1.h5"))
    two, _, _ = govern(2, ["-price"], os.path.join(tmp, "np2.h5"))
    check(set(one) == set(two) and all(one[k].tobytes() == two[k].tobytes() for k in one), "default price: 1 and 2 ranks bitwise equal")
    check(not np.allclose(one["staker_payoff"], 2 * tok["staker_payoff"]) and np.all(np.isfinite(one["staker_payoff"])), "default price: payoffs carry the price path")

    borda, ab, _ = govern(1, ["-govern_rule", "borda"], os.path.join(tmp, "borda.h5"))
    fixed = (float(ab["sbar_fixed"]), float(ab["w_u_fixed"]))
    check(all((s, w) != fixed for s, w in zip(borda["vote_sbar"], borda["vote_w_u"])) and borda["sbar"][-1] != fixed[0],
          f"default Borda menu: the votes avoid the fixed objective {fixed}, the objective moves to ({borda['sbar'][-1]:g}, {borda['w_u'][-1]:g})")

print(f"{checks - failed}/{checks} checks passed")
sys.exit(1 if failed else 0)
