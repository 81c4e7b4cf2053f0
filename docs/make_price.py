#!/usr/bin/python3
"""Generate docs/price.md (the token-price economy, issue 16) from scratch.

    /usr/bin/python3 docs/make_price.py build/cli/stakehjb [--agents 5000] [--years 5] [--paths 4]

Solves the default staking model (the expert's solution file) and the price-aware model
(`-model staking_price`, the price-aware expert's), then runs `stakehjb price` with the
expert, the price-aware expert and the real rules (ethereum, cosmos, polkadot, tezos) in the agent-based
environment with the default token price (docs/model.md#token-price) in three scenarios:
no shock, a 30 % price crash and a 10 % supply dump at mid-horizon, and the price-aware
planner at w_p = 0, 1, 10 without a shock; files in out/price/. Writes the report to a
temporary name and renames it. About 2 to 4 minutes on a shared 2-core machine."""
import argparse
import csv
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
POLICIES = "expert,price_aware,network,ethereum,cosmos,polkadot,tezos"  # network: fitted to price_aware
REAL = ["ethereum", "cosmos", "polkadot", "tezos"]
WEIGHTS = [0, 1, 10]
GRID2 = "257,129"    # s x ln P: 0.5 % estimated error of V (the default 257 x 65: 2 %)
GRID3 = "129,17,33"  # s x z x ln P
HEADLINE = [("discounted_cost", "cost", "{:.4f}"), ("tracking_rmse", "tracking RMSE", "{:.4f}"),
            ("price_volatility", "price vol. (1/sqrt(yr))", "{:.4f}"), ("price_resilience", "resilience R", "{:.2f}")]
COLUMNS = [("discounted_cost", "cost", "{:.4f}"), ("tracking_rmse", "tracking RMSE", "{:.4f}"), ("mean_u", "mean u (1/yr)", "{:.4f}"),
           ("mean_s", "mean s", "{:.3f}"), ("price_volatility", "price vol. (1/sqrt(yr))", "{:.4f}"),
           ("price_entropy", "return entropy (nat)", "{:.3f}"), ("price_resilience", "resilience R", "{:.2f}"),
           ("price_recovery_time", "price recovery (yr)", "{:.3f}"), ("mean_price", "mean price (USD)", "{:.4f}"),
           ("herfindahl_holdings", "HHI of stake", "{:.5f}")]


def run(cmd):
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def rows_of(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:  # the only network here is the price-aware expert's
        if r["policy"] == "network":
            r["policy"] = "price_aware_network"
    return rows


def headline(results):
    """Means over the scenarios of the headline metrics, per policy, and one sentence."""
    names = [r["policy"] for r in results[0]]
    mean = {n: {k: sum(float(next(r for r in rows if r["policy"] == n)[k]) for rows in results) / len(results)
                for k, _, _ in HEADLINE} for n in names}
    head = "| policy | " + " | ".join(c[1] for c in HEADLINE) + " |"
    sep = "|---" * (len(HEADLINE) + 1) + "|"
    body = ["| " + n + " | " + " | ".join(fmt.format(mean[n][k]) for k, _, fmt in HEADLINE) + " |" for n in names]
    e, a = mean["expert"], mean["price_aware"]
    best = min(REAL, key=lambda n: mean[n]["discounted_cost"])
    b = mean[best]
    text = (f"Averaged over the three scenarios, the price-aware expert's cost is {a['discounted_cost']:.4f} against "
            f"{e['discounted_cost']:.4f} for the expert and {b['discounted_cost']:.4f} for the cheapest real rule ({best}); "
            f"its tracking RMSE {a['tracking_rmse']:.4f} (expert {e['tracking_rmse']:.4f}, {best} {b['tracking_rmse']:.4f}); "
            f"price volatility {a['price_volatility']:.4f} 1/sqrt(yr) (expert {e['price_volatility']:.4f}, {best} {b['price_volatility']:.4f}) "
            f"and resilience R = {a['price_resilience']:.2f} (expert {e['price_resilience']:.2f}, {best} {b['price_resilience']:.2f}).")
    spread = {k: (max(mean[n][k] for n in names) - min(mean[n][k] for n in names)) / min(mean[n][k] for n in names) for k in ("price_volatility", "price_resilience")}
    text += (f" Price volatility and resilience differ across all policies by at most {100 * spread['price_volatility']:.1f} % and "
             f"{100 * spread['price_resilience']:.1f} %: on common random numbers the market noise is the same for every policy "
             f"and dominates, and issuance moves the drift of ln P only by (1 - kappa_P phi) u per year, so no policy here "
             f"stabilizes the price; they differ in cost and tracking.")
    return text + "\n\n" + "\n".join([head, sep] + body)


def sweep_section(sweep, expert):
    cols = [("discounted_cost", "cost", "{:.4f}"), ("tracking_rmse", "tracking RMSE", "{:.4f}"), ("mean_u", "mean u (1/yr)", "{:.4f}"),
            ("price_volatility", "price vol. (1/sqrt(yr))", "{:.4f}"), ("mean_price", "mean price (USD)", "{:.4f}")]
    head = "| planner | " + " | ".join(c[1] for c in cols) + " |"
    sep = "|---" * (len(cols) + 1) + "|"
    body = ["| expert (nominal yield, no price) | " + " | ".join(f.format(float(expert[k])) for k, _, f in cols) + " |"]
    body += [f"| {label} | " + " | ".join(f.format(float(r[k])) for k, _, f in cols) + " |" for label, r in sweep]
    w0 = sweep[0][1]
    return f"""
## The price weight

The price-aware planner at w_p = {", ".join(f"{w:g}" for w in WEIGHTS)} 1/yr (everything else at its
defaults; 2-D on {GRID2} nodes, and the 3-D model, which also sees z, on {GRID3}),
scenario without a shock, the same paths as above. At w_p = 0 the planner
differs from the expert only in its model of the holders (the real yield, with ln P as a
state): tracking RMSE {float(w0['tracking_rmse']):.4f} against the expert's
{float(expert['tracking_rmse']):.4f}. Raising w_p buys a mean price closer to P_bar = 1 USD
with tracking and issuance; the price volatility barely moves, since issuance changes the
drift of ln P by (1 - kappa_P phi) u per year (linear curve: the curve's lift minus the
stakers' sales), small against the market noise sigma_eta = 0.3 1/sqrt(yr).

{chr(10).join([head, sep] + body)}
"""


def table(path):
    rows = rows_of(path)
    head = "| policy | " + " | ".join(c[1] for c in COLUMNS) + " |"
    sep = "|---" * (len(COLUMNS) + 1) + "|"
    body = ["| " + r["policy"] + " | " + " | ".join(fmt.format(float(r[k])) for k, _, fmt in COLUMNS) + " |" for r in rows]
    return "\n".join([head, sep] + body)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("stakehjb")
    ap.add_argument("--agents", type=int, default=5000)
    ap.add_argument("--years", type=float, default=5)
    ap.add_argument("--paths", type=int, default=4)
    a = ap.parse_args()
    out = os.path.join("out", "price")
    os.makedirs(out, exist_ok=True)
    sol = os.path.join(out, "solution.h5")
    run([a.stakehjb, "solve", "-o", sol])
    aware = os.path.join(out, "solution_price_wp1.h5")
    run([a.stakehjb, "solve", "-model", "staking_price", "-grid_n", GRID2, "-o", aware])
    net = os.path.join(out, "network_price.h5")
    run([a.stakehjb, "fit", "-i", aware, "-o", net])
    half = str(a.years / 2)
    scenarios = [("none", "no shock", []), ("crash", f"price crash of 30 % at t = {half} yr", ["-price_crash_time", half]),
                 ("dump", f"supply dump of 10 % at t = {half} yr", ["-price_dump_time", half])]
    base = [a.stakehjb, "price", "-price", "-sim_type", "abm", "-sim_n", str(a.agents), "-sim_t_final", str(a.years),
            "-price_paths", str(a.paths), "-price_policies", POLICIES, "-price_expert_file", sol, "-price_aware_file", aware, "-policy_file", net]
    parts, results = [], []
    for name, title, extra in scenarios:
        csv_path = os.path.join(out, name + ".csv")
        run(base + extra + ["-o", csv_path])
        results.append(rows_of(csv_path))
        parts.append(f"## Scenario: {title}\n\n{table(csv_path)}\n")
    text = f"""# The token-price economy

Generated by `/usr/bin/python3 docs/make_price.py build/cli/stakehjb` (do not edit by hand).

The expert (the HJB policy of the default staking model, `stakehjb solve`), the
price-aware expert (`price_aware`: the policy u*(s, ln P) of the price-aware planner,
`stakehjb solve -model staking_price -grid_n {GRID2}` at its defaults, [model.md](model.md#the-price-aware-planner):
w_p = 1 1/yr, ln P_bar = 0, i.e. a target of 1 USD, the curve price at S_0), the
mechanism network fitted to it (`price_aware_network`: `stakehjb fit -i` of that file,
inputs (s, ln P), run as `-price_policies network -policy_file`; docs/policies.md) and the real
issuance rules in the agent-based environment with the token price of
[model.md](model.md#token-price) at its defaults (linear bonding curve, Pareto(1.5)
holdings, kappa_P = 1, lambda = 0.5 1/yr, sigma_eta = 0.3 1/sqrt(yr), stakers selling half
their rewards), {a.agents} holders, {a.years:g} years, {a.paths} paths per policy on common
random numbers (`stakehjb price`, docs/cli.md). Holders compare the real yield (nominal
yield plus the expected change of ln P) with their cost. Metrics: docs/model.md#price-metrics
(resilience over 30 days after the shock, recovery to within 5 % of the pre-shock price
for 30 days; without a shock both are measured from t = 0). The cost column is the
staking model's discounted running cost (tracking and issuance, no price term) for every
policy, so the columns compare like with like; the price term shows in the price columns.

## Headline

{headline(results)}

The plain expert was solved for holders who compare the nominal yield with their cost;
in this environment they compare the real yield (nominal plus the expected change of
ln P), so its model of their response is off wherever ln P is expected to move. The
price-aware planner's model has the environment's real-yield response (its mean field,
supply frozen at S_0); [the price weight](#the-price-weight) below separates that from
the price term w_p (ln P - ln P_bar)^2. Its policy is not smooth: the Hamiltonian is not
convex in u (the cost law F is S-shaped, and issuance moves the real yield), and over a
region of high stake and price it stops issuing (u* = 0), where the plain expert issues
about 1 %/yr (`stakehjb plot out/price/solution_price_wp1.h5` draws u*(s, ln P)).

""" + "\n".join(parts)
    sweep = []
    for w, dim, grid in [(w, "2", GRID2) for w in WEIGHTS] + [(1, "3", GRID3)]:
        label = f"price-aware, w_p = {w:g}" + (", 3-D (s, z, ln P)" if dim == "3" else "")
        if w == 1 and dim == "2":  # the headline's price_aware: the no-shock run above
            sweep.append((label, next(r for r in results[0] if r["policy"] == "price_aware")))
            continue
        sol_w = os.path.join(out, f"solution_price_wp{w:g}_{dim}d.h5")
        run([a.stakehjb, "solve", "-model", "staking_price", "-dim", dim, "-grid_n", grid, "-staking_price_w_p", f"{w:g}", "-o", sol_w])
        csv_path = os.path.join(out, f"sweep_wp{w:g}_{dim}d.csv")
        run(base[:-8] + ["-price_policies", "price_aware", "-price_aware_file", sol_w, "-o", csv_path])
        sweep.append((label, rows_of(csv_path)[0]))
    expert_none = next(r for r in results[0] if r["policy"] == "expert")
    text += sweep_section(sweep, expert_none)
    path = os.path.join(HERE, "price.md")
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)
    print("wrote", path)


if __name__ == "__main__":
    main()
