#!/usr/bin/python3
"""stakehjb compare with the token price (issue 16 item 3), tiny and fast:
- the price metrics of every path equal those of `stakehjb price` (StkPriceCompareRun)
  for the same policy, path (Philox counter), start state, seed and price options, to
  round-off, and so do their means in the summary;
- sde rows carry NaN price metrics, abm rows finite ones; the summary's price means are
  the means of the per-path datasets;
- a policy listed twice: zero paired price differences and p = 1;
- bitwise the same datasets on 1 and 2 ranks;
- without -price no price dataset, column or attribute;
- `stakehjb plot` draws the price figures of the file.
usage: check_compare_price.py STAKEHJB MPIEXEC"""
import csv
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

stakehjb, mpiexec = sys.argv[1], sys.argv[2]
failed = checks = 0
PRICE = ["-price", "-price_crash_time", "0.3", "-price_noise", "0.4"]
TINY = ["-compare_regimes", "baseline", "-compare_policies", "fixed,zero,fixed", "-compare_envs", "sde,abm",
        "-compare_scenarios", "none", "-compare_paths", "2", "-compare_samples", "1", "-compare_years", "0.5",
        "-compare_agents", "300", "-compare_bootstrap", "200", "-compare_seed", "3", "-grid_n", "33,9"]
PRICE_METRICS = ["price_volatility", "price_entropy", "price_resilience", "price_recovery_time",
                 "price_recovery_censored", "mean_price", "herfindahl_holdings"]


def check(ok, what):
    global failed, checks
    checks += 1
    failed += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {what}")


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"FAILED: {' '.join(cmd)}\n{r.stdout}\n{r.stderr}")
    return r.stdout


def compare(ranks, options, path):
    run([mpiexec, "-n", str(ranks), "--oversubscribe", stakehjb, "compare", "-o", path] + options)
    with h5py.File(path, "r") as f:
        g = f["compare"]
        return {k: g[k][...] for k in g.keys()}, dict(g.attrs)


def price_means(tmp, policy, s0, paths):
    """The means of `stakehjb price` over paths 0 .. paths-1 started at s0."""
    out = os.path.join(tmp, "p.csv")
    run([stakehjb, "price", "-sim_type", "abm", "-sim_dim", "2", "-sim_n", "300", "-sim_t_final", "0.5", "-sim_seed", "3",
         "-sim_s0", repr(float(s0)), "-price_paths", str(paths), "-price_policies", policy, "-o", out] + PRICE)
    with open(out) as f:
        row = next(csv.DictReader(f))
    return np.array([float(row[m]) for m in PRICE_METRICS])


def attr_list(a, name):
    v = a[name]
    return (v.decode() if isinstance(v, bytes) else str(v)).split(",")


with tempfile.TemporaryDirectory() as tmp:
    d1, a1 = compare(1, TINY + PRICE, os.path.join(tmp, "c1.h5"))
    d2, a2 = compare(2, TINY + PRICE, os.path.join(tmp, "c2.h5"))
    same = all(np.array_equal(d1[k], d2[k], equal_nan=True) for k in d1) and d1.keys() == d2.keys()
    check(same, f"1 and 2 ranks: the {len(d1)} datasets are bitwise equal")
    envs, pols, cols = attr_list(a1, "envs"), attr_list(a1, "policies"), attr_list(a1, "columns")
    col = {c: i for i, c in enumerate(cols)}
    check(all(m in d1 for m in PRICE_METRICS) and int(a1["price"]) == 1, "per-path price datasets and attribute price = 1")
    nrow = len(envs) * len(pols)
    row = lambda e, p: e * len(pols) + p
    sde, abm = envs.index("sde"), envs.index("abm")
    check(all(np.isnan(d1[m][row(sde, p)]).all() for m in PRICE_METRICS for p in range(len(pols))), "sde rows: price metrics NaN")
    check(all(np.isfinite(d1[m][row(abm, p)]).all() for m in PRICE_METRICS for p in range(len(pols))), "abm rows: price metrics finite")
    S = d1["summary"]
    means_ok = all(np.isclose(S[row(abm, p), col[m]], d1[m][row(abm, p)].mean(), rtol=1e-14, atol=0) and S[row(abm, p), col[m + "_n"]] == 2
                   for m in PRICE_METRICS for p in range(len(pols)))
    check(means_ok, "summary price means = means of the per-path datasets, counts 2")
    diffs = [m + "_diff" for m in ("price_volatility", "price_entropy", "price_resilience", "price_recovery_time", "mean_price", "herfindahl_holdings")]
    self_row = row(abm, 2)
    check(all(S[self_row, col[c]] == 0 and S[self_row, col[c + "_lo"]] == 0 and S[self_row, col[c + "_hi"]] == 0 for c in diffs),
          "fixed against itself: zero price differences and intervals")
    check(all(S[self_row, col[c[:-5] + "_p"]] == 1 and S[self_row, col[c[:-5] + "_p_holm"]] == 1 for c in diffs), "fixed against itself: p = 1, Holm p = 1")
    zero_row = row(abm, 1)
    vdiff = d1["price_volatility"][zero_row] - d1["price_volatility"][row(abm, 0)]
    check(np.isclose(S[zero_row, col["price_volatility_diff"]], vdiff.mean(), rtol=1e-12) and np.isfinite(S[zero_row, col["price_volatility_p_holm"]]),
          f"zero - fixed: price_volatility_diff {S[zero_row, col['price_volatility_diff']]:.3e} = mean paired difference, Holm p present")
    check(np.isnan(S[row(sde, 1), col["price_volatility_diff"]]), "sde rows: no price difference (NaN)")
    # the same paths in `stakehjb price`: path 0 alone; path 1 from the means of 1 and 2 paths at its start
    s0 = d1["s0"]
    worst = 0.0
    for p, name in enumerate(pols[:2]):
        v0 = price_means(tmp, name, s0[0], 1)
        v1 = 2 * price_means(tmp, name, s0[1], 2) - price_means(tmp, name, s0[1], 1)
        for k, m in enumerate(PRICE_METRICS):
            got = d1[m][row(abm, p)]
            worst = max(worst, abs(got[0] - v0[k]) / max(abs(v0[k]), 1e-300), abs(got[1] - v1[k]) / max(abs(v1[k]), 1e-12))
            worst = max(worst, abs(S[row(abm, p), col[m]] - (v0[k] + v1[k]) / 2) / max(abs(v0[k] + v1[k]) / 2, 1e-12))
    check(worst < 1e-9, f"compare's per-path price metrics and means = stakehjb price's (worst relative gap {worst:.1e})")
    figs = run([stakehjb, "plot", os.path.join(tmp, "c1.h5"), "-o", os.path.join(tmp, "fig")])
    check(all(os.path.exists(os.path.join(tmp, "fig", f"c1_{n}.png")) for n in ("price_volatility", "price_volatility_difference", "mean_price", "mean_price_difference")),
          "plot: the price figures of a compare file with the price")
    d0, a0 = compare(1, TINY, os.path.join(tmp, "c0.h5"))
    check(not any(m in d0 for m in PRICE_METRICS) and "price" not in a0 and not any("price" in c for c in attr_list(a0, "columns")),
          "without -price: no price dataset, column or attribute")

print(f"{checks - failed}/{checks} checks passed")
sys.exit(1 if failed else 0)
