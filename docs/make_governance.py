#!/usr/bin/python3
"""Generate docs/governance.md and docs/figures/governance_*.png from scratch.

    /usr/bin/python3 docs/make_governance.py build/cli/stakehjb [--rounds 12] [--ranks 1] [-- extra govern options]

Runs `stakehjb govern` once per voting rule (token_median, holder_median, borda) in the
sde environment, once more per rule in the agent-based one (5000 holders) and once more
in the agent-based one with the token price (-price: payoffs in value), each for
--rounds rounds, into out/governance/, then writes the report and the figures (about
45 s in all on 2 loaded cores, most of it the price runs).  Every output is written to a temporary name and renamed."""
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
RULES = ("token_median", "holder_median", "borda")
ENVS = (("sde", []), ("abm", ["-govern_sim_type", "abm", "-govern_sim_n", "5000"]),
        ("price", ["-govern_sim_type", "abm", "-govern_sim_n", "1000", "-price"]))  # 1000 holders: the price's sums over holders dominate the time
TITLE = {"sde": "sde environment", "abm": "abm environment", "price": "abm environment with the token price (payoffs in value)"}
UNIT = {"sde": "% /yr", "abm": "% /yr", "price": "US cents /yr"}  # 100 x the payoff per token and year


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def run(exe, ranks, rule, env_opts, rounds, extra, path):
    cmd = [exe, "govern", "-govern_rule", rule, "-govern_rounds", str(rounds), "-o", path] + env_opts + extra
    if ranks > 1:
        cmd = ["mpiexec", "-n", str(ranks), "--oversubscribe"] + cmd
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"failed: {' '.join(cmd)}\n{out.stderr}")
    with h5py.File(path, "r") as f:
        g = f["govern"]
        d = {k: g[k][...] for k in g.keys()}
        a = {k: (text(v) if isinstance(v, (bytes, str)) else v) for k, v in g.attrs.items()}
    return d, a, " ".join(cmd[cmd.index(exe):]).replace(exe, "stakehjb")


def save(fig, name):
    os.makedirs(FIG, exist_ok=True)
    tmp = os.path.join(FIG, "." + name + ".tmp.png")
    fig.savefig(tmp, dpi=110, bbox_inches="tight")
    plt.close(fig)
    os.replace(tmp, os.path.join(FIG, name))
    return "figures/" + name


def trajectories(res, env):
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for i, rule in enumerate(RULES):
        d, a, _ = res[(env, rule)]
        r = np.concatenate([[0], d["round"]])
        axes[0].plot(r, np.concatenate([[a["sbar_fixed"]], d["sbar"]]), "o-", color=f"C{i}", label=rule)
        axes[1].plot(r, np.concatenate([[a["w_u_fixed"]], d["w_u"]]), "o-", color=f"C{i}", label=rule)
    for ax, key, name in ((axes[0], "sbar_fixed", "target staking ratio sbar"), (axes[1], "w_u_fixed", "issuance weight w_u [yr]")):
        ax.axhline(a[key], color="k", ls="--", lw=0.8, label="fixed objective")
        ax.set_xlabel("round (0: the fixed objective)")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[1].set_yscale("log")
    fig.suptitle(f"voted objective per round, {TITLE[env]}", fontsize=10)
    fig.tight_layout()
    return save(fig, f"governance_trajectory_{env}.png")


def welfare(res, env):
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), sharey=False)
    for i, rule in enumerate(RULES):
        d, _, _ = res[(env, rule)]
        for ax, who in zip(axes, ("staker", "holder")):
            ax.plot(d["round"], 100 * (d[who + "_payoff"] - d[who + "_payoff_fixed"]), "o-", color=f"C{i}", label=rule)
    for ax, who in zip(axes, ("stakers", "non-stakers")):
        ax.axhline(0, color="k", lw=0.8)
        ax.set_xlabel("round")
        ax.set_ylabel(f"governed - fixed [{UNIT[env]}]")
        ax.set_title(who, fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"payoff per token against the fixed objective (same noise), {TITLE[env]}", fontsize=10, y=1.02)
    fig.tight_layout()
    return save(fig, f"governance_welfare_{env}.png")


def table(res, env):
    rows = ["| rule | round-1 vote (sbar, w_u) | final objective (sbar, w_u) | last change (sbar, w_u; of trust region) | fixed point | stakers: governed - fixed | non-stakers: governed - fixed |",
            "|---|---|---|---|---|---|---|"]
    for rule in RULES:
        d, a, _ = res[(env, rule)]
        ds = 100 * np.mean(d["staker_payoff"] - d["staker_payoff_fixed"])
        dh = 100 * np.mean(d["holder_payoff"] - d["holder_payoff_fixed"])
        rows.append(f"| {rule} | ({d['vote_sbar'][0]:.3f}, {d['vote_w_u'][0]:.2f}) | ({d['sbar'][-1]:.3f}, {d['w_u'][-1]:.2f}) | "
                    f"({a['last_change_sbar']:+.2g}, {a['last_change_w_u']:+.2g}; {a['last_change_fraction']:.2g}) | "
                    f"{'yes' if a['fixed_point'] else 'no'} | {ds:+.3f} {UNIT[env]} | {dh:+.3f} {UNIT[env]} |")
    return "\n".join(rows)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("stakehjb")
    p.add_argument("--rounds", type=int, default=12)
    p.add_argument("--ranks", type=int, default=1)
    p.add_argument("extra", nargs="*")
    o = p.parse_args()
    exe = os.path.abspath(o.stakehjb)
    outdir = os.path.join("out", "governance")
    os.makedirs(outdir, exist_ok=True)
    res = {}
    for env, opts in ENVS:
        for rule in RULES:
            res[(env, rule)] = run(exe, o.ranks, rule, opts, o.rounds, o.extra, os.path.join(outdir, f"govern_{env}_{rule}.h5"))
    a = res[("sde", "token_median")][1]
    lines = ["# Governance: voting on the planner's objective", "",
             "Generated by `/usr/bin/python3 docs/make_governance.py build/cli/stakehjb` "
             f"(--rounds {o.rounds}, {o.ranks} rank(s){', extra options ' + ' '.join(o.extra) if o.extra else ''}); "
             "the model is in docs/model.md#voting-on-the-objective, the command in docs/cli.md.", "",
             f"{a['voters']} holders ({100 * a['staker_share']:.0f} % stakers, lognormal holdings with log-sd "
             f"{a['holdings_logsd']:g}) vote each round on (sbar, w_u); the planner moves toward the winner by at most "
             f"{a['max_step_sbar']:g} in sbar and a factor {a['max_ratio_w_u']:g} in w_u, solves the 1-D staking HJB "
             "for it, and the economy runs one year on 8 paths; holders move their ideal points along the last step if "
             f"it raised their group's payoff (learning rate {a['learning_rate']:g}). The fixed objective is "
             f"(sbar, w_u) = ({a['sbar_fixed']:g}, {a['w_u_fixed']:g}), run on the same noise every round. "
             "Payoffs are per token and year: stakers y(s, u) - u - E[c], non-stakers -u; the welfare columns "
             "are their mean over the rounds. A fixed point: the last change is at most "
             f"{a['fixed_tol']:g} of the trust region.", ""]
    for env, _ in ENVS:
        lines += [f"## {TITLE[env][0].upper() + TITLE[env][1:]}" if env == "price" else f"## {TITLE[env]}", "", table(res, env), "",
                  f"![trajectories]({trajectories(res, env)})", "", f"![welfare]({welfare(res, env)})", "",
                  "Commands:", ""] + [f"    {res[(env, r)][2]}" for r in RULES] + [""]
    lines += ["## Reading it", "",
              "Round 1 takes the vote, clipped by the trust region. After it, each group moves its ideal points "
              "along the step just taken if its payoff (paired, on the same noise) rose, and back if it fell, so "
              "the two groups drift apart by the same amount. Under the token-weighted median the median ballot "
              "lies in the group that gains, the objective keeps moving its way, and the steps shrink by the "
              "learning rate each round (a geometric approach to the fixed point). Under the one-holder-one-vote "
              "median with an even number of voters the median is the mean of the two middle ballots; when they "
              "come from different groups their opposite moves cancel and the objective stops after round 1. "
              "Borda can only pick menu items (the default menu is the 4 x 4 grid sbar in {0.45, 0.55, 0.65, "
              "0.75} x w_u in {5, 10, 20, 40}, without the fixed objective (0.6, 10), which would otherwise win "
              "every round); the planner walks to the winner through the trust region and stays there once no "
              "other candidate overtakes it. Non-stakers, diluted by issuance, "
              "gain from the objectives the medians choose; stakers, paid by issuance, lose a little.", "",
              "With the token price (`-price`, the defaults of docs/model.md#token-price) the payoffs are in value, "
              "USD per token and year: the token payoff at the path's mean price plus the price change of a held "
              "token, (P_T - P_0) / T, the same for both groups (docs/model.md#voting-on-the-objective). The price "
              "change is paired across objectives (same noise), so what separates the objectives is how issuance "
              "moves the price (stakers sell a share of their rewards, the supply grows along the curve) and the "
              "holders' real yield; the welfare columns are in US cents per token and year. Compare the final "
              "objectives with those of the abm section without the price (5000 holders there, 1000 here: the "
              "price's sums over the holders make each step dearer): where the votes settle changes once the "
              "payoffs include the price.", ""]
    tmp = os.path.join(HERE, ".governance.md.tmp")
    with open(tmp, "w") as f:
        f.write("\n".join(lines))
    os.replace(tmp, os.path.join(HERE, "governance.md"))
    print("wrote docs/governance.md")


if __name__ == "__main__":
    main()
