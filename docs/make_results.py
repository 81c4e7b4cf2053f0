#!/usr/bin/python3
"""Generate docs/results.md and docs/figures/results_*.png from scratch.

    /usr/bin/python3 docs/make_results.py build/cli/stakehjb [--ranks 2] [--from FILE.h5] [-- extra compare options]

Runs `stakehjb compare` with its defaults (every regime of data/regimes, every policy,
sde and abm, three shock scenarios, 200 paths of 20 years) into out/results/, then
writes the report and the figures. --from reuses an existing compare file instead.
Every output is written to a temporary name and renamed."""
import argparse
import os
import subprocess
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIG = os.path.join(HERE, "figures")
LABEL = {"discounted_cost": "discounted cost", "tracking_rmse": "tracking RMSE", "time_in_band": "time in band",
         "std_u": "issuance volatility", "recovery_time": "recovery time (yr)"}


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def load(path):
    with h5py.File(path, "r") as f:
        g = f["compare"]
        d = {k: g[k][...] for k in g.keys()}
        a = {k: (text(v) if isinstance(v, (bytes, str)) else v) for k, v in g.attrs.items()}
    for k in ("regimes", "envs", "scenarios", "policies", "columns"):
        a[k] = a[k].split(",")
    return d, a


def save(fig, name):
    os.makedirs(FIG, exist_ok=True)
    tmp = os.path.join(FIG, "." + name + ".tmp.png")
    fig.savefig(tmp, dpi=110, bbox_inches="tight")
    plt.close(fig)
    os.replace(tmp, os.path.join(FIG, name))
    return "figures/" + name


class Table:
    def __init__(self, d, a):
        self.d, self.a = d, a
        self.col = {c: i for i, c in enumerate(a["columns"])}
        self.S = d["summary"]

    def row(self, r, e, c, p):
        a = self.a
        return ((r * len(a["envs"]) + e) * len(a["scenarios"]) + c) * len(a["policies"]) + p

    def get(self, row, name):
        return self.S[row, self.col[name]]

    def recovered(self, row):
        """Mean recovery time over the paths of `row` that recovered, and their number
        (recovery_censored 0; a censored path's recovery_time is the time left)."""
        ok = self.d["recovery_censored"][row] == 0
        return (self.d["recovery_time"][row][ok].mean() if ok.any() else float("nan")), int(ok.sum())


def policy_styles(policies):
    """Grouped styles that keep 13 policies apart: one colour per rule family (a rule and
    its target-anchored _sbar variant share it), dashed for the _sbar variant, and a
    marker once the families outnumber the 10 colours."""
    bases = []
    for name in policies:
        base = name[:-5] if name.endswith("_sbar") else name
        if base not in bases:
            bases.append(base)
    styles = {}
    for name in policies:
        k = bases.index(name[:-5] if name.endswith("_sbar") else name)
        styles[name] = dict(color=f"C{k % 10}", ls="--" if name.endswith("_sbar") else "-",
                            marker=None if k < 10 else "os^"[(k // 10 - 1) % 3], markevery=0.1)
    return styles


def fig_paths(t, regime=0, env=0, scen=0):
    d, a = t.d, t.a
    K, S = int(a["nrec"]), int(a["samples"])
    tt = d["t"]
    style = policy_styles(a["policies"])
    fig, ax = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    for p, name in enumerate(a["policies"]):
        row = t.row(regime, env, scen, p)
        ax[0].plot(tt, d["sample_s"][row].reshape(S, K)[0], lw=1, label=name, **style[name])
        ax[1].plot(tt, d["sample_u"][row].reshape(S, K)[0], lw=1, **style[name])
    ax[0].axhline(0.6, color="k", ls=":", lw=0.8)
    ax[0].set_ylabel("staking ratio s [1]")
    ax[1].set_ylabel("issuance rate u [1/yr]")
    ax[1].set_xlabel("time t [yr]")
    ax[0].legend(ncol=3, fontsize=7)
    ax[0].set_title(f"sample path 0: regime {a['regimes'][regime]}, {a['envs'][env]}, scenario {a['scenarios'][scen]}")
    return save(fig, "results_paths.png")


def fig_recovery(t, regime=0, env=0):
    d, a = t.d, t.a
    if "stake_drop" not in a["scenarios"]:
        return None
    c = a["scenarios"].index("stake_drop")
    K, S = int(a["nrec"]), int(a["samples"])
    tt = d["t"] - float(a["shock_time"])
    keep = (tt >= -0.5) & (tt <= 3)
    style = policy_styles(a["policies"])
    fig, ax = plt.subplots(figsize=(9, 4))
    for p, name in enumerate(a["policies"]):
        s = d["sample_s"][t.row(regime, env, c, p)].reshape(S, K).mean(axis=0)
        ax.plot(tt[keep], s[keep], lw=1.2, label=name, **style[name])
    ax.axhspan(0.58, 0.62, color="grey", alpha=0.2, label="band")
    ax.set_xlabel("time after the shock [yr]")
    ax.set_ylabel(f"mean staking ratio s over {S} sample paths [1]")
    ax.set_title(f"recovery after a stake drop: regime {a['regimes'][regime]}, {a['envs'][env]}")
    ax.legend(ncol=3, fontsize=7)
    return save(fig, "results_recovery.png")


def fig_tracking(t, env=0, scen=0):
    d, a = t.d, t.a
    R, P = len(a["regimes"]), len(a["policies"])
    fig, axes = plt.subplots(1, R, figsize=(2.2 * R + 1, 4), sharey=True)
    axes = np.atleast_1d(axes)
    for r in range(R):
        data = [d["tracking_rmse"][t.row(r, env, scen, p)] for p in range(P)]
        axes[r].boxplot(data, showfliers=False)
        axes[r].set_xticks(range(1, P + 1), a["policies"], rotation=90, fontsize=7)
        axes[r].set_yscale("log")
        axes[r].set_title(a["regimes"][r], fontsize=9)
    axes[0].set_ylabel("tracking RMSE of s - sbar per path")
    fig.suptitle(f"distribution of tracking error per policy ({a['envs'][env]}, scenario {a['scenarios'][scen]})")
    return save(fig, "results_tracking.png")


def fig_solution(solution):
    if not os.path.exists(solution):
        return None, None
    with h5py.File(solution, "r") as f:
        g = f["solution"]
        s, z, V, u = g["s"][...], g["z"][...], g["value"][...], g["policy"][...]
        dens = g["density"][...] if "density" in g else None
        dens_units = g["density"].attrs.get("units", b"") if dens is not None else b""
    dens_units = dens_units.decode() if isinstance(dens_units, bytes) else str(dens_units)
    # The file stores F[i, j] at (s[i], z[j]); pcolormesh(s, z, C) wants C[j, i]: transpose
    # (a reshape would scramble the nodes).
    V, u = V.T, u.T
    fig, ax = plt.subplots(1, 2, figsize=(11, 4))
    for k, (F, name, unit) in enumerate(((V, "value V(s, z)", "1"), (u, "policy u*(s, z)", "1/yr"))):
        m = ax[k].pcolormesh(s, z, F, shading="auto")
        fig.colorbar(m, ax=ax[k]).set_label(f"{name} [{unit}]")
        ax[k].set_xlabel("staking ratio s [1]")
        ax[k].set_ylabel("outside-yield shifter z [1/yr]")
        ax[k].set_title(name)
    val = save(fig, "results_value_policy.png")
    den = None
    if dens is not None:
        dens = dens.T
        fig, ax = plt.subplots(1, 2, figsize=(11, 4))
        m = ax[0].pcolormesh(s, z, dens, shading="auto")
        fig.colorbar(m, ax=ax[0]).set_label(f"density [{dens_units}]")
        ax[0].set_xlabel("staking ratio s [1]")
        ax[0].set_ylabel("outside-yield shifter z [1/yr]")
        ax[0].set_title("stationary density under u*")
        # Marginal of s: integrate over z with the trapezoidal rule of the (possibly
        # stretched) grid, then normalise over s the same way.
        marginal = np.trapz(dens, z, axis=0)
        marginal = marginal / max(np.trapz(marginal, s), 1e-300)
        ax[1].plot(s, marginal)
        ax[1].axvline(0.6, color="k", ls=":", label="target sbar")
        ax[1].set_xlabel("staking ratio s [1]")
        ax[1].set_ylabel("marginal density of s [1]")
        ax[1].set_title("marginal density of s")
        ax[1].legend(fontsize=8)
        den = save(fig, "results_density.png")
    return val, den


def fmt(x, digits=4):
    return "" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.{digits}g}"


def diff_cell(t, row, m):
    mid, lo, hi, ph = (t.get(row, f"{m}_{k}") for k in ("diff", "diff_lo", "diff_hi", "p_holm"))
    if np.isnan(mid):
        return "", ""
    return f"{mid:+.3g} [{lo:+.3g}, {hi:+.3g}]", f"{ph:.1e}"


def claims(t):
    """Which of the experiments' claims hold (docs/model.md#experiments: does the expert
    track the target at lower cost than the other rules?), counted over the cells of the
    table. The HJB-derived mechanism is the expert and, where listed, the network fitted
    to it."""
    a = t.a
    R, E, C, P = (len(a[k]) for k in ("regimes", "envs", "scenarios", "policies"))
    hjb = [p for p in range(P) if a["policies"][p] in ("expert", "network")]
    other = [p for p in range(P) if p not in hjb]
    name = " / ".join(a["policies"][p] for p in hjb)
    lines, cells = [], R * E * C
    wins = {"discounted_cost": 0, "tracking_rmse": 0, "time_in_band": 0}
    signif = {"discounted_cost": 0, "tracking_rmse": 0}
    losers, net_same = [], 0
    for r in range(R):
        for e in range(E):
            for c in range(C):
                rows = [t.row(r, e, c, p) for p in range(P)]
                val = {m: [t.get(x, m) for x in rows] for m in wins}
                wins["discounted_cost"] += int(min(val["discounted_cost"][p] for p in hjb) < min(val["discounted_cost"][p] for p in other))
                wins["tracking_rmse"] += int(min(val["tracking_rmse"][p] for p in hjb) < min(val["tracking_rmse"][p] for p in other))
                wins["time_in_band"] += int(max(val["time_in_band"][p] for p in hjb) > max(val["time_in_band"][p] for p in other))
                best_other = min(other, key=lambda p: val["tracking_rmse"][p])
                if min(val["tracking_rmse"][p] for p in hjb) > val["tracking_rmse"][best_other]:
                    losers.append((a["regimes"][r], a["envs"][e], a["scenarios"][c], a["policies"][best_other], min(val["tracking_rmse"][p] for p in hjb), val["tracking_rmse"][best_other]))
                for m in signif:
                    signif[m] += int(all(t.get(rows[p], f"{m}_diff_lo") > 0 and t.get(rows[p], f"{m}_p_holm") < 0.05 for p in other))
                if "network" in a["policies"]:
                    x = rows[a["policies"].index("network")]
                    net_same += int(t.get(x, "discounted_cost_diff_lo") <= 0 <= t.get(x, "discounted_cost_diff_hi"))
    lines.append(f"- Lowest mean discounted cost (the planner's objective): {name} in {wins['discounted_cost']} of {cells} cells (regime x environment x scenario); "
                 f"every other policy costs more than the expert with the whole 95 % interval of the paired difference above 0 and Holm-adjusted p < 0.05 in {signif['discounted_cost']} of {cells}.")
    lines.append(f"- Lowest tracking RMSE: {name} in {wins['tracking_rmse']} of {cells} cells; every other policy tracks significantly worse than the expert in {signif['tracking_rmse']} of {cells}.")
    lines.append(f"- Largest time within +-{a['band']:g} of the target: {name} in {wins['time_in_band']} of {cells} cells.")
    if "network" in a["policies"]:
        costs = [t.get(t.row(r, e, c, a["policies"].index("network")), "discounted_cost") / t.get(t.row(r, e, c, 0), "discounted_cost") - 1
                 for r in range(R) for e in range(E) for c in range(C)]
        lines.append(f"- The mechanism network fitted to the expert: its mean cost is within {100 * max(abs(x) for x in costs):.2f} % of the expert's in every cell, and the 95 % interval of the paired difference contains 0 in {net_same} of {cells} cells.")
    if losers:
        lines.append("- Where another policy tracks the target more closely than the HJB mechanism (it minimizes w_s (s - sbar)^2 + w_u (u - ubar)^2 + eta u, not the tracking error alone, so a rule that pays more issuance can track more closely at a higher cost):")
        for reg, env, sc, best, mine, low in losers[:40]:
            lines.append(f"  - {reg}, {env}, {sc}: {best} has RMSE {low:.4f} vs {mine:.4f}")
        if len(losers) > 40:
            lines.append(f"  - ... and {len(losers) - 40} more (see the CSV)")
    return lines


def recovery(t):
    """Mean recovery time (recovered paths) and share recovered, per policy, over the shock cells."""
    a = t.a
    P = len(a["policies"])
    paths = float(a["paths"])
    rec, share = {p: [] for p in range(P)}, {p: [] for p in range(P)}
    for row in range(t.S.shape[0]):
        if a["scenarios"][int(t.d["row_scenario"][row])] == "none":
            continue
        p = row % P
        mean, n = t.recovered(row)
        share[p].append(n / paths)
        if n > 0:
            rec[p].append(mean)
    if not any(share.values()):
        return []
    parts = [f"{a['policies'][p]} {np.mean(rec[p]) if rec[p] else float('nan'):.2f} yr ({100 * np.mean(share[p]):.0f} %)" for p in range(P)]
    return ["- Recovery after a shock (back within the band for 30 days; mean over the recovered paths of every shock cell, and the share of paths that recovered before T): " + ", ".join(parts) + "."]


def stability(t):
    a = t.a
    P = len(a["policies"])
    std = {p: [] for p in range(P)}
    for row in range(t.S.shape[0]):
        std[row % P].append(t.get(row, "std_u"))
    parts = [f"{a['policies'][p]} {np.mean(std[p]):.4f}" for p in range(P)]
    return "- Issuance volatility (standard deviation of u over a path, averaged over every row): " + ", ".join(parts) + "."


def report(path, figs, cmd, t):
    a, d = t.a, t.d
    R, E, C, P = (len(a[k]) for k in ("regimes", "envs", "scenarios", "policies"))
    out = ["# Results: the HJB expert against real issuance rules, across regimes", "",
           "Generated by `/usr/bin/python3 docs/make_results.py build/cli/stakehjb` (do not edit by hand), which ran", "",
           f"    {cmd}", "",
           f"({a['version']}; {a['paths']} paths of {a['years']:g} years per row, seed {a['seed']}, {a['n_agents']} holders in the agent-based environment, "
           f"{a['ranks']} rank(s), {a['wall_time']:.0f} s). Every row is one regime x environment x scenario x policy on common random numbers: "
           "path p of every policy has the same noise and start state. Differences are to the expert (the first policy): mean of the paired per-path "
           f"differences, 95 % percentile bootstrap interval ({a['bootstrap']} replicates), two-sided Wilcoxon signed-rank p-value Holm-adjusted over every "
           f"comparison of the same metric in the table. Shocks at t = {a['shock_time']:g} yr: z_jump raises z by {a['shock_dz']:g}; stake_drop makes each "
           f"staker leave with probability {a['shock_frac']:g}. Metrics and options: [cli.md](cli.md#stakehjb-compare); the file layout: [hdf5.md](hdf5.md).", "",
           "## What the data say", ""]
    out += claims(t)
    out += recovery(t)
    out += [stability(t), "",
            "Caveats: the expert is optimal for the model it was solved with, and the environments here are that model (sde) or its agent-based "
            "microfoundation with the same parameters (abm), so its advantage in cost is expected by construction; the comparison against real rules measures "
            "how far those rules, mapped to this model's units (policies.md), are from the planner's objective, not how they behave on their own chains. "
            "Robustness to a misspecified model is the subject of the refinement experiments (network.md).", "",
            "## Figures", ""]
    for f, caption in figs:
        if f:
            out += [f"![{caption}]({f})", "", f"*{caption}*", ""]
    out += ["## The full table", "",
            "cost: mean discounted cost; rmse: tracking RMSE; band: fraction of time within the band; u, sd(u): mean and volatility of issuance; "
            "recovery: mean recovery time of the paths that recovered (n of them). Differences are policy minus expert.", ""]
    for r in range(R):
        out += [f"### {a['regimes'][r]}", "",
                "| env | scenario | policy | cost | rmse | band | u | sd(u) | recovery (n) | cost - expert [95 % CI] | p_holm | rmse - expert [95 % CI] | p_holm |",
                "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for e in range(E):
            for c in range(C):
                for p in range(P):
                    row = t.row(r, e, c, p)
                    g = lambda m: t.get(row, m)  # noqa: E731
                    rec = "" if a["scenarios"][c] == "none" else "%s (%d)" % (fmt(t.recovered(row)[0], 3), t.recovered(row)[1])
                    dc, pc = diff_cell(t, row, "discounted_cost") if p else ("(reference)", "")
                    dr, pr = diff_cell(t, row, "tracking_rmse") if p else ("", "")
                    out.append(f"| {a['envs'][e]} | {a['scenarios'][c]} | {a['policies'][p]} | {fmt(g('discounted_cost'))} | {fmt(g('tracking_rmse'))} | "
                               f"{fmt(g('time_in_band'), 3)} | {fmt(g('mean_u'), 3)} | {fmt(g('std_u'), 3)} | {rec} | {dc} | {pc} | {dr} | {pr} |")
        out.append("")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(out))
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("stakehjb")
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--from", dest="source")
    ap.add_argument("--out", default=os.path.join(HERE, "results.md"))
    ap.add_argument("extra", nargs="*")
    args = ap.parse_args()
    h5 = args.source or os.path.join("out", "results", "compare.h5")
    cmd = f"mpiexec -n {args.ranks} {args.stakehjb} compare -o {h5} " + " ".join(args.extra)
    if args.source:
        cmd = f"mpiexec -n {args.ranks} {args.stakehjb} compare -o {h5} " + " ".join(args.extra) + "   (run once; this page was rebuilt from its file with --from)"
    if not args.source:
        os.makedirs(os.path.dirname(h5), exist_ok=True)
        env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
        run = subprocess.run(["mpiexec", "--oversubscribe", "-n", str(args.ranks), args.stakehjb, "compare", "-o", h5] + args.extra, env=env)
        if run.returncode:
            sys.exit(f"make_results: {cmd} failed with exit {run.returncode}")
    d, a = load(h5)
    t = Table(d, a)
    base = os.path.splitext(h5)[0] + f"_{a['regimes'][0]}.h5"
    val, den = fig_solution(base)
    figs = [(fig_paths(t), f"Sample paths of s and u per policy ({a['regimes'][0]}, {a['envs'][0]}, no shock)."),
            (val, f"Value surface and policy map of the expert ({a['regimes'][0]})."),
            (den, f"Stationary density of (s, z) under the expert ({a['regimes'][0]})."),
            (fig_tracking(t), "Distribution over paths of the tracking RMSE per policy and regime (first environment, no shock)."),
            (fig_recovery(t), "Mean staking ratio of the sample paths around a stake-drop shock.")]
    report(args.out, figs, cmd, t)
    print(f"make_results: wrote {args.out} and {len([f for f, _ in figs if f])} figures in {FIG}")


if __name__ == "__main__":
    main()
