#!/usr/bin/python3
"""Log-log plot of a `stakehjb converge` table: error against the largest spacing h.
usage: plot_convergence.py TABLE.csv OUT.png"""
import csv
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def column(rows, name):
    return [float(r[name]) for r in rows]


def main(table, png):
    with open(table) as f:
        rows = list(csv.DictReader(f))
    h = column(rows, "h")
    fig, ax = plt.subplots(figsize=(5.5, 4))
    exact = not all(math.isnan(v) for v in column(rows, "error_max"))
    curves = [("error_max", "max-norm error (exact)"), ("error_l2", "L2 error (exact)")] if exact else [
        ("error_richardson_max", "max-norm vs Richardson"), ("difference_next_max", "|V_h - V_h/2| max")]
    for name, label in curves:
        pts = [(x, y) for x, y in zip(h, column(rows, name)) if y > 0 and not math.isnan(y)]
        if pts:
            ax.loglog(*zip(*pts), "o-", label=label)
    for p, style in ((1, ":"), (2, "--")):
        ref = [(x, y) for x, y in zip(h, column(rows, curves[0][0])) if y > 0 and not math.isnan(y)]
        if ref:
            x0, y0 = ref[0]
            ax.loglog(h, [y0 * (x / x0) ** p for x in h], "k" + style, lw=0.8, label=f"order {p}")
    ax.set_xlabel("largest grid spacing h")
    ax.set_ylabel("error in V")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    tmp = f"{png}.tmp.{os.getpid()}.png"  # written to a temporary name, then renamed
    fig.savefig(tmp, dpi=120, format="png")
    os.replace(tmp, png)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
