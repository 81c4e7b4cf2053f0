#!/usr/bin/python3
"""Figures (PNG) of any HDF5 file stakehjb writes; run by `stakehjb plot` and `stakehjb converge`.

    stk_plot.py FILE.h5 [-o DIR]        every figure of FILE into DIR (default: FILE's directory),
                                        named BASENAME_WHAT.png; prints one line per figure
    stk_plot.py FILE.h5 --png OUT.png   only the main figure (convergence: the errors) to OUT.png

The kind of file is its top-level group: solution, simulation, compare, convergence,
network or govern (docs/hdf5.md).  Labels come from the files' own `long_name` and `units`
attributes.  Errors print one line "stakehjb plot: error: NAME: what" and exit 1."""
import math
import os
import sys

PROG = "stakehjb plot"
KINDS = ("solution", "simulation", "compare", "convergence", "network", "govern")


class PlotError(Exception):
    """A user-facing error: the message starts with the file or directory it is about."""


def fail(message):
    sys.stderr.write(f"{PROG}: error: {message}\n")
    sys.exit(1)


def text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def attr(obj, name, default=""):
    return text(obj.attrs[name]) if name in obj.attrs else default


def label(ds, fallback=None):
    """'long name [units]' of a dataset, from its CF attributes."""
    name = attr(ds, "long_name") or attr(ds, "description") or fallback or ds.name.rsplit("/", 1)[-1]
    units = attr(ds, "units")
    return f"{name} [{units}]" if units else name


# ---------------------------------------------------------------------------------------
# Output


class Figures:
    """Saves figures as DIR/BASE_WHAT.png (or the one --png name), each written to a
    temporary name and renamed, so no half PNG is left."""

    def __init__(self, plt, outdir, base, single):
        self.plt, self.outdir, self.base, self.single, self.written = plt, outdir, base, single, []

    def save(self, fig, what, main=False):
        if self.single is not None and not main:
            self.plt.close(fig)
            return
        path = self.single if self.single is not None else os.path.join(self.outdir, f"{self.base}_{what}.png")
        tmp = f"{path}.tmp.{os.getpid()}.png"
        try:
            fig.savefig(tmp, dpi=110, format="png")
            os.replace(tmp, path)
        except OSError as e:
            if os.path.exists(tmp):
                os.remove(tmp)
            self.remove_written()
            raise PlotError(f"{path}: cannot write: {e.strerror}")
        finally:
            self.plt.close(fig)
        self.written.append(path)

    def remove_written(self):
        for path in self.written:
            if os.path.exists(path):
                os.remove(path)
        self.written = []


# ---------------------------------------------------------------------------------------
# Solution: value, policy, drift, density; 1-D lines, 2-D heat maps, 3-D: a heat map of
# the slice through the middle of the last direction (the test problems' reference point)


def coordinate_datasets(g):
    names = attr(g, "coordinates").split()
    if not names:
        raise PlotError(f"{g.file.filename}: group '/solution' has no attribute 'coordinates'")
    return [g[n] for n in names]


def field_panels(g, name, dim):
    """(title, array over the state dimensions) per component of a field: trailing dimension split."""
    ds = g[name]
    a = ds[...]
    if a.ndim == dim:
        return [(None, a)]
    trailing = name == "drift" and "component" or "control"
    coords = attr(g, "coordinates").split()
    panels = []
    for c in range(a.shape[-1]):
        if name == "drift" and c < len(coords):
            title = f"d{coords[c]}/dt"
        else:
            title = f"{trailing} {c}"
        panels.append((title, a[..., c]))
    return panels


def component_units(ds, c):
    units = attr(ds.parent, "drift_component_units").split()
    return units[c] if c < len(units) else attr(ds, "units")


def plot_solution(plt, g, out):
    import numpy as np

    coords = coordinate_datasets(g)
    dim = len(coords)
    cut, where = slice_of_last_direction(coords) if dim == 3 else (None, "")
    for name in ("value", "policy", "drift", "density"):
        if name not in g:
            continue
        panels = field_panels(g, name, dim)
        if cut is not None:
            panels = [(title, a[:, :, cut]) for title, a in panels]
        if all(not np_isfinite_any(a) for _, a in panels):
            print(f"{PROG}: {name} has no finite value (e.g. the density of a model with an absorbing boundary): no figure")
            continue
        ds = g[name]
        base_name = attr(ds, "long_name") or name
        fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.2), squeeze=False)
        for c, (title, a) in enumerate(panels):
            ax = axes[0][c]
            units = component_units(ds, c) if name == "drift" else attr(ds, "units")
            what = f"{title}" if title else name
            if dim == 1:
                ax.plot(coords[0][...], a, lw=1.5)
                ax.set_xlabel(label(coords[0]))
                ax.set_ylabel(f"{what} [{units}]")
                ax.grid(True, alpha=0.3)
            else:
                x, y = coords[0][...], coords[1][...]
                if name == "drift":  # diverging colours centred on 0: where the flow turns shows
                    vmax = float(np.nanmax(np.abs(a))) or 1.0
                    mesh = ax.pcolormesh(x, y, a.T, shading="nearest", cmap="RdBu_r", vmin=-vmax, vmax=vmax)
                else:
                    mesh = ax.pcolormesh(x, y, a.T, shading="nearest", cmap="viridis")
                bar = fig.colorbar(mesh, ax=ax)
                bar.set_label(f"{what} [{units}]")
                ax.set_xlabel(label(coords[0]))
                ax.set_ylabel(label(coords[1]))
            if title:
                ax.set_title(title)
        fig.suptitle(wrap(base_name + where), fontsize=10)
        fig.tight_layout()
        out.save(fig, name, main=(name == "value"))


def slice_of_last_direction(coords):
    """Index of the node of direction 2 nearest the middle of its range, and a caption."""
    import numpy as np

    x = coords[2][...]
    cut = int(np.argmin(np.abs(x - 0.5 * (x[0] + x[-1]))))
    return cut, f" (3-D: slice {coords[2].name.split('/')[-1]} = {x[cut]:.4g})"


def np_isfinite_any(a):
    import numpy as np

    return bool(np.isfinite(a).any())


def wrap(s, width=90):
    import textwrap

    return "\n".join(textwrap.wrap(s, width)) or s


# ---------------------------------------------------------------------------------------
# Simulation: state paths and issuance


def plot_simulation(plt, g, out):
    import numpy as np

    t = g["t"][...]
    title = f"{attr(g, 'environment')} environment, policy {attr(g, 'policy')}, {g['s'].shape[0]} paths"
    panels = [n for n in ("s", "z") if n in g and np.isfinite(g[n][...]).any()]
    fig, axes = plt.subplots(len(panels), 1, figsize=(7, 2.8 * len(panels)), sharex=True, squeeze=False)
    for ax, name in zip(axes[:, 0], panels):
        paths_panel(ax, t, g[name][...], label(g[name]))
        if name == "s" and "sbar" in g.attrs:
            ax.axhline(float(g.attrs["sbar"]), color="k", ls="--", lw=0.8, label="target sbar")
            ax.legend(fontsize=8, loc="best")
    shocks = g["shock_t"][...] if "shock_t" in g else []
    for ax in axes[:, 0]:
        for k, ts in enumerate(shocks):
            ax.axvline(ts, color="C3", ls=":", lw=1, label="shock" if k == 0 else None)
    axes[-1, 0].set_xlabel(label(g["t"]))
    if len(shocks):
        axes[0, 0].legend(fontsize=8, loc="best")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    out.save(fig, "paths", main=True)
    fig, ax = plt.subplots(figsize=(7, 3.2))
    paths_panel(ax, t, g["u"][...], label(g["u"]))
    ax.set_xlabel(label(g["t"]))
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    out.save(fig, "issuance")


def paths_panel(ax, t, a, ylabel):
    """Each path thin and grey, their mean bold: any number of paths stays readable."""
    for row in a:
        ax.plot(t, row, color="0.6", lw=0.6)
    ax.plot(t, np_nanmean(a), color="C0", lw=1.8, label="mean over paths")
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)


def np_nanmean(a):
    import numpy as np
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(a, axis=0)


# ---------------------------------------------------------------------------------------
# Compare: cost and tracking per policy, with intervals; small multiples


def split(g, name):
    return attr(g, name).split(",")


METRIC_NAMES = {"discounted_cost": "discounted cost", "tracking_rmse": "tracking RMSE of s - sbar",
                "price_volatility": "price volatility", "mean_price": "mean token price"}


def plot_compare(plt, g, out):
    import numpy as np

    regimes, envs, scenarios, policies = (split(g, k) for k in ("regimes", "envs", "scenarios", "policies"))
    columns = split(g, "columns")
    summary = g["summary"][...]
    cells = [(e, sc) for e in range(len(envs)) for sc in range(len(scenarios))]

    def row(r, e, sc, p):
        return ((r * len(envs) + e) * len(scenarios) + sc) * len(policies) + p

    figures = [("discounted_cost", "cost", cells), ("tracking_rmse", "tracking", cells)]
    # with the token price (compare -price): its metrics in the abm cells, which carry it
    figures += [(m, m, [(e, sc) for e, sc in cells if envs[e] == "abm"]) for m in ("price_volatility", "mean_price") if m in g]
    for metric, what, cells in figures:
        data = g[metric][...]
        units = attr(g[metric], "units")
        # Means with a 95 % normal interval over the paths.
        fig, axes = panel_grid(plt, len(regimes), len(cells), len(policies))
        for r in range(len(regimes)):
            for c, (e, sc) in enumerate(cells):
                ax = axes[r][c]
                vals = [data[row(r, e, sc, p)] for p in range(len(policies))]
                mean = np.array([np.nanmean(v) if np.isfinite(v).any() else np.nan for v in vals])
                half = np.array([1.96 * np.nanstd(v, ddof=1) / math.sqrt(max(np.isfinite(v).sum(), 1))
                                 if np.isfinite(v).sum() > 1 else 0.0 for v in vals])
                policy_axis(ax, policies, mean, mean - half, mean + half,
                            reference=[summary[row(r, e, sc, p), columns.index("is_reference")] for p in range(len(policies))])
                ax.set_title(f"{regimes[r]} / {envs[e]} / {scenarios[sc]}", fontsize=9)
                if r == len(regimes) - 1:
                    ax.set_xlabel(f"mean {metric} [{units}] (95 % CI over paths)")
        fig.suptitle(f"{METRIC_NAMES[metric]} ({attr(g[metric], 'long_name')}): mean per policy", fontsize=10)
        fig.tight_layout()
        out.save(fig, what, main=(what == "cost"))
        # Paired differences to the reference, with the file's bootstrap intervals.
        if f"{metric}_diff" not in columns:
            continue
        k = columns.index(f"{metric}_diff")
        fig, axes = panel_grid(plt, len(regimes), len(cells), len(policies))
        for r in range(len(regimes)):
            for c, (e, sc) in enumerate(cells):
                rows = [row(r, e, sc, p) for p in range(len(policies))]
                ax = axes[r][c]
                policy_axis(ax, policies, summary[rows, k], summary[rows, k + 1], summary[rows, k + 2],
                            reference=summary[rows, columns.index("is_reference")])
                ax.axvline(0, color="k", lw=0.8)
                ax.set_title(f"{regimes[r]} / {envs[e]} / {scenarios[sc]}", fontsize=9)
                if r == len(regimes) - 1:
                    ax.set_xlabel(f"{metric} - reference [{units}] (95 % bootstrap CI)")
        fig.suptitle(f"{METRIC_NAMES[metric]}: paired difference to the reference policy (common random numbers)", fontsize=10)
        fig.tight_layout()
        out.save(fig, f"{what}_difference")
    if "sample_s" in g and g["sample_s"].size:
        plot_compare_paths(plt, g, out, regimes, envs, scenarios, policies)


def panel_grid(plt, nrows, ncols, npolicies):
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols + 1.2, 0.22 * npolicies * nrows + 1.2 * nrows + 0.6),
                             sharey=True, squeeze=False)
    return fig, axes


def policy_axis(ax, policies, centre, lo, hi, reference):
    """Policies on the y axis, named: 13 policies stay distinguishable without colours."""
    import numpy as np

    y = np.arange(len(policies))
    centre, lo, hi = (np.asarray(a, dtype=float) for a in (centre, lo, hi))
    err = np.vstack([np.where(np.isfinite(lo), centre - lo, 0), np.where(np.isfinite(hi), hi - centre, 0)])
    ref = np.asarray(reference, dtype=float) > 0.5
    ax.errorbar(centre[~ref], y[~ref], xerr=err[:, ~ref], fmt="o", ms=4, color="C0", ecolor="C0", capsize=2, lw=1)
    ax.errorbar(centre[ref], y[ref], xerr=err[:, ref], fmt="D", ms=5, color="C3", ecolor="C3", capsize=2, lw=1,
                label="reference")
    ax.set_yticks(y)
    ax.set_yticklabels(policies, fontsize=8)
    ax.invert_yaxis() if not ax.yaxis_inverted() else None
    ax.grid(True, axis="x", alpha=0.3)


def plot_compare_paths(plt, g, out, regimes, envs, scenarios, policies):
    """Sample paths of s, one small panel per policy (first regime, environment, scenario)."""
    t = g["t"][...]
    s = g["sample_s"][...]
    s = s.reshape(s.shape[0], -1, len(t))
    ncols = 5
    nrows = math.ceil(len(policies) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.0 * ncols, 2.2 * nrows + 0.6), sharex=True, sharey=True,
                             squeeze=False)
    for p, name in enumerate(policies):
        ax = axes[p // ncols][p % ncols]
        for path in s[p]:
            ax.plot(t, path, lw=0.8, color="C0")
        if "sbar" in g.attrs:
            ax.axhline(float(g.attrs["sbar"]), color="k", ls="--", lw=0.6)
        ax.set_title(name, fontsize=9)
        ax.grid(True, alpha=0.3)
    for p in range(len(policies), nrows * ncols):
        axes[p // ncols][p % ncols].axis("off")
    for c in range(ncols):  # the time axis under the lowest panel of each column
        last = max(p for p in range(len(policies)) if p % ncols == c) if c < len(policies) else None
        if last is not None:
            ax = axes[last // ncols][c]
            ax.xaxis.set_tick_params(labelbottom=True)
            ax.set_xlabel("time t [yr]")
    for ax in axes[:, 0]:
        ax.set_ylabel(f"staking ratio s [{attr(g['sample_s'], 'units')}]")
    fig.suptitle(f"sample paths of the staking ratio, {regimes[0]} / {envs[0]} / {scenarios[0]}", fontsize=10)
    fig.tight_layout()
    out.save(fig, "paths")


# ---------------------------------------------------------------------------------------
# Convergence: log-log errors with reference slopes


def plot_convergence(plt, g, out):
    import numpy as np

    h = g["h"][...]
    exact = np.isfinite(g["error_max"][...]).any()
    curves = [("error_max", "max-norm error (exact)"), ("error_l2", "L2 error (exact)")] if exact else [
        ("error_richardson_max", "max-norm error vs Richardson"), ("difference_next_max", "|V_h - V_h/2| max")]
    if "policy_error_l2" in g and np.isfinite(g["policy_error_l2"][...]).any():
        curves.append(("policy_error_l2", "policy L2 error"))
    fig, ax = plt.subplots(figsize=(6, 4.4))
    markers = "osD^v"
    first = None
    for i, (name, text_) in enumerate(curves):
        y = g[name][...]
        ok = np.isfinite(y) & (y > 0)
        if ok.any():
            ax.loglog(h[ok], y[ok], markers[i % len(markers)] + "-", label=f"{text_} [{attr(g[name], 'units')}]")
            first = first or (h[ok][0], y[ok][0])
    if first:
        x0, y0 = first
        for p, style in ((1, ":"), (2, "--")):
            ax.loglog(h, y0 * (h / x0) ** p, "k" + style, lw=0.8, label=f"slope {p} (order h^{p})")
    ax.set_xlabel(label(g["h"]))
    ax.set_ylabel("error")
    ax.set_title(f"convergence, model {attr(g, 'model')}", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    out.save(fig, "errors", main=True)


# ---------------------------------------------------------------------------------------
# Network: weights per layer and fit statistics; refinement history


def plot_network(plt, g, out):
    import numpy as np

    sizes = [int(v) for v in g["layer_sizes"][...]]
    w = g["weights"][...]
    fig, ax = plt.subplots(figsize=(7, 4))
    offset, groups = 0, []
    for k in range(1, len(sizes)):
        n = sizes[k] * (sizes[k - 1] + 1)
        groups.append((f"layer {k}\n({sizes[k - 1]}+1 -> {sizes[k]})", w[offset:offset + n]))
        offset += n
    ax.boxplot([v for _, v in groups], labels=[n for n, _ in groups], showfliers=True)
    ax.set_ylabel(f"weight value [{attr(g['weights'], 'units')}]")
    stats = []
    for name in ("fit_rmse", "fit_max_error", "fit_rmse_relative", "fit_iterations", "fit_samples"):
        if name in g.attrs:
            unit = attr(g, f"{name}_units")
            value = g.attrs[name]
            stats.append(f"{name} = {float(value):.3g}" + (f" {unit}" if unit and unit != "1" else ""))
    lines = [", ".join(stats[i:i + 3]) for i in range(0, len(stats), 3)]
    ax.set_title("\n".join(["network weights per layer"] + lines), fontsize=9)
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    out.save(fig, "weights", main=True)
    if "history" in g:
        h = g["history"]
        names = [n for n in ("cost", "distance", "gamma", "s_end") if n in h]
        fig, axes = plt.subplots(len(names), 1, figsize=(7, 2.2 * len(names)), sharex=True, squeeze=False)
        for ax, name in zip(axes[:, 0], names):
            ax.plot(h["step"][...], h[name][...], "o-", ms=3)
            ax.set_ylabel(f"{name} [{attr(h[name], 'units')}]")
            ax.grid(True, alpha=0.3)
        axes[-1, 0].set_xlabel(label(h["step"]))
        fig.suptitle("online refinement history", fontsize=10)
        fig.tight_layout()
        out.save(fig, "history")


# ---------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------
# Governance: the voted objective per round against the fixed one, payoffs per group


def plot_govern(plt, g, out):
    r = g["round"][...]
    fig, axes = plt.subplots(3, 1, figsize=(7, 8), sharex=True)
    for ax, name, fixed in ((axes[0], "sbar", "sbar_fixed"), (axes[1], "w_u", "w_u_fixed")):
        ax.plot(r, g[name][...], "o-", label="planner (after the trust region)")
        ax.plot(r, g["vote_" + name][...], "x:", label="vote")
        ax.plot(r, g["ideal_" + name][...], ".--", lw=0.8, label="mean ideal point")
        ax.axhline(float(g.attrs[fixed]), color="k", ls="--", lw=0.8, label="fixed objective")
        ax.set_ylabel({"sbar": "target staking ratio sbar", "w_u": "issuance weight w_u [yr]"}[name])
        ax.legend(fontsize=8, loc="best")
    axes[1].set_yscale("log")
    ax = axes[2]
    for who, c in (("staker", "C0"), ("holder", "C1")):
        ax.plot(r, g[who + "_payoff"][...], "o-", color=c, label=f"{who}s, governed")
        ax.plot(r, g[who + "_payoff_fixed"][...], "--", color=c, label=f"{who}s, fixed objective")
    ax.set_ylabel(f"payoff per token [{attr(g['staker_payoff'], 'units', '1/yr')}]")  # USD/yr with the price
    ax.set_xlabel(label(g["round"]))
    ax.legend(fontsize=8, loc="best")
    fig.suptitle(f"governance: rule {attr(g, 'rule')}, {attr(g, 'voters')} voters", fontsize=10)
    fig.tight_layout()
    out.save(fig, "govern", main=True)


def parse(argv):
    usage = "usage: stakehjb plot FILE.h5 [-o DIR]"
    path, outdir, single = None, None, None
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-help", "--help", "-h"):
            print(usage + "\n" + __doc__.split("\n\n", 2)[1])
            sys.exit(0)
        if a in ("-o", "--png"):
            if i + 1 >= len(argv) or not argv[i + 1]:
                fail(f"{a}: needs a value")
            if a == "-o":
                outdir = argv[i + 1]
            else:
                single = argv[i + 1]
            i += 2
            continue
        if a.startswith("-"):
            fail(f"{a}: unknown option ({usage})")
        if path is not None:
            fail(f"{a}: only one file at a time ({usage})")
        path = a
        i += 1
    if path is None:
        fail(f"no file given ({usage})")
    return path, outdir, single


def open_file(path):
    import h5py

    if not os.path.exists(path):
        raise PlotError(f"{path}: no such file")
    if os.path.isdir(path):
        raise PlotError(f"{path}: is a directory, not an HDF5 file")
    if not os.access(path, os.R_OK):
        raise PlotError(f"{path}: cannot read (permission denied)")
    if not h5py.is_hdf5(path):
        raise PlotError(f"{path}: not an HDF5 file")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise PlotError(f"{path}: cannot open as HDF5 ({e})")
    kinds = [k for k in KINDS if k in f]
    if not kinds:
        raise PlotError(f"{path}: not a stakehjb output (no group {', '.join('/' + k for k in KINDS)})")
    return f, kinds[0]


def output_dir(path, outdir):
    if outdir is None:
        outdir = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(outdir):
        try:
            os.mkdir(outdir)
        except OSError as e:
            raise PlotError(f"{outdir}: cannot create the output directory: {e.strerror}")
    if not os.access(outdir, os.W_OK | os.X_OK):
        raise PlotError(f"{outdir}: output directory not writable")
    return outdir


def require_modules():
    """Debian's python3-h5py, -numpy and -matplotlib: say which is missing, no traceback."""
    for module, package in (("numpy", "python3-numpy"), ("h5py", "python3-h5py"), ("matplotlib", "python3-matplotlib")):
        try:
            __import__(module)
        except ImportError:
            fail(f"{sys.executable}: cannot import {module} (install {package})")


def main(argv):
    path, outdir, single = parse(argv)
    require_modules()
    try:
        f, kind = open_file(path)
        if single is None:
            outdir = output_dir(path, outdir)
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        base = os.path.splitext(os.path.basename(path))[0]
        out = Figures(plt, outdir, base, single)
        try:
            globals()["plot_" + kind](plt, f[kind], out)
        except (KeyError, ValueError, IndexError, TypeError, OSError) as e:
            out.remove_written()  # all figures or none
            raise PlotError(f"{path}: unexpected content in /{kind} ({e})")
    except PlotError as e:
        fail(str(e))
    if not out.written:
        fail(f"{path}: nothing to plot in /{kind}")
    for p in out.written:
        print(f"wrote {p}")


if __name__ == "__main__":
    main(sys.argv[1:])
