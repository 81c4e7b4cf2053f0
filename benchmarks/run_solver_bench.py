#!/usr/bin/python3
"""The solver benchmark suite of issue 7 (docs/performance.md).

usage: /usr/bin/python3 benchmarks/run_solver_bench.py BUILD_DIR [--sections a,b,...] [--max-2d N] [--report-only]

Runs `stakehjb solve -hjb_bench` (the solver times one MatMult with its final matrix in
the same run and records its peak memory) and the SciPy reference, one job at a time,
and writes
  benchmarks/results/<section>.csv   one row per run
  docs/performance.md                the tables (regenerated from every CSV present)
  docs/figures/perf_*.png            the plots
Sections: solvers, gamg, scaling2d, scaling1d, reference, weak, stages, limit (the default set) and
large (2049^2 on 2 ranks, with and without sequencing: ~10 minutes, ~3 GB) and fast (issue 14
item 3, ~12 minutes: data/solve_former.yaml, the defaults and data/solve_fast.yaml in turn, 5
rounds on 1 rank and 3 on 2 at 513^2 and 1025^2).
limit (issue 14, ~10 minutes): the HJB solve in linear-solve equivalents and the density
against the solve, wall and CPU time in the same run: everything before issue 14
(BEFORE_OPTIONS), the defaults and data/solve_fast.yaml, 2-D 257^2..1025^2 on 1 and 2 ranks
(2 ranks with --mca mpi_yield_when_idle 1) and 1-D.
--max-2d caps the 2-D grid of scaling2d (default 1025).
--report-only rebuilds the Markdown and the plots from the CSVs without running.
"""
import csv
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "benchmarks", "results")
FIGURES = os.path.join(ROOT, "docs", "figures")
PYTHON = "/usr/bin/python3"
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1")
FIELDS = ["section", "case", "dim", "n", "nodes", "ranks", "options", "solve_time", "howard", "ksp",
          "coarse_levels", "coarse_howard", "coarse_ksp", "matmult_time", "matmult_equivalents",
          "memory_peak", "memory_solver", "bytes_per_node", "residual", "ref_time", "ref_iterations",
          "speedup", "rel_max_dV", "linear_solve_time", "linear_solve_its", "linear_equivalents", "share_assemble",
          "share_pc_setup", "share_pc_apply", "share_improve", "share_coarse", "density_time", "solve_cpu",
          "linear_solve_cpu", "linear_equivalents_cpu", "density_cpu", "density_ratio_cpu", "density_all_cpu"]
BENCH_RE = re.compile(r"bench: (.*)")


def stakehjb(build):
    return os.path.join(build, "cli", "stakehjb")


def run_solve(build, ranks, args, log_view=False, yield_idle=False):
    """One solve; returns the parsed bench line and the program's output (None on failure).
    yield_idle: ranks waiting in MPI yield the core (a loaded machine: otherwise they spin)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "x.h5")
        mca = ["--mca", "mpi_yield_when_idle", "1"] if yield_idle else []
        cmd = ["mpiexec", "-n", str(ranks), "--oversubscribe"] + mca + [stakehjb(build), "solve", "-hjb_bench", "-o", out] + args
        if log_view:
            cmd.append("-log_view")
        run = subprocess.run(cmd, capture_output=True, text=True, env=ENV)
        if run.returncode != 0:
            print(f"  FAILED: {' '.join(cmd)}\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}", flush=True)
            return None, None
        return parse(run.stdout), run.stdout


def solve_and_reference(build, ranks, args):
    """A solve, then the SciPy reference on the file it wrote (the same grid and tolerance)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "x.h5")
        cmd = ["mpiexec", "-n", str(ranks), "--oversubscribe", stakehjb(build), "solve", "-hjb_bench", "-o", out] + args
        run = subprocess.run(cmd, capture_output=True, text=True, env=ENV, check=True)
        row = parse(run.stdout)
        ref = subprocess.run([PYTHON, os.path.join(ROOT, "benchmarks", "reference_achdou.py"), out, "--json"],
                             capture_output=True, text=True, check=True)
        res = json.loads(ref.stdout)
        row.update(ref_time=res["time"], ref_iterations=res["iterations"], rel_max_dV=res["rel_max_dV"],
                   speedup=res["time"] / float(row["solve_time"]))
        return row


def parse(stdout):
    words = BENCH_RE.search(stdout).group(1).split()
    return {words[i]: words[i + 1] for i in range(0, len(words), 2)}


def record(rows, section, case, dim, n, ranks, options, row):
    if row is None:
        return
    row = dict(row)
    row.update(section=section, case=case, dim=dim, n=n, ranks=ranks, options=" ".join(options).replace(ROOT + os.sep, ""))
    rows.append(row)
    print(f"  {section:9s} {case:22s} n={n:>8} ranks={ranks} solve {float(row['solve_time']):8.3f} s, "
          f"howard {row['howard']} (+{row['coarse_howard']} coarse), ksp {row['ksp']}, "
          f"{float(row['matmult_equivalents']):9.0f} MatMult-eq, {float(row['bytes_per_node']):6.0f} B/node"
          + (f", SciPy {float(row['ref_time']):.2f} s ({float(row['speedup']):.1f}x), dV {float(row['rel_max_dV']):.1e}"
             if "ref_time" in row else ""), flush=True)


def grid2(n):
    return ["-dim", "2", "-grid_n", f"{n},{n}"]


def grid1(n):
    return ["-dim", "1", "-grid_n", str(n)]


def section_solvers(build, args):
    """Linear solvers: hypre, GAMG (with and without reuse of the interpolation), direct."""
    rows = []
    cap = ["-hjb_ksp_max_it", "3000"]
    exact, forcing = ["-hjb_linear_forcing", "0"], ["-hjb_linear_forcing", "0.01"]
    gamg = ["-hjb_pc_type", "gamg"] + cap
    reuse = ["-hjb_pc_gamg_reuse_interpolation", "true"]
    solvers2d = [
        ("hypre", exact),
        ("hypre+forcing", forcing),
        ("hypre+reuse PC+forcing", forcing + ["-hjb_ksp_reuse_preconditioner"]),
        ("gamg (defaults)", gamg + exact),
        ("lu (PETSc)", ["-hjb_pc_type", "lu"] + exact),
        ("mumps", ["-hjb_pc_type", "lu", "-hjb_pc_factor_mat_solver_type", "mumps"] + exact),
    ]
    for n in (129, 257):
        for name, opts in solvers2d:
            opts = opts + ["-hjb_sequence", "0"]
            record(rows, "solvers", name, 2, n, 1, opts, run_solve(build, 1, grid2(n) + opts)[0])
    solvers1d = [
        ("hypre", exact),
        ("hypre+forcing", forcing),
        ("lu (PETSc)", ["-hjb_pc_type", "lu"] + exact),
        ("mumps", ["-hjb_pc_type", "lu", "-hjb_pc_factor_mat_solver_type", "mumps"] + exact),
        ("superlu", ["-hjb_pc_type", "lu", "-hjb_pc_factor_mat_solver_type", "superlu"] + exact),
    ]
    for n in (1001, 10001, 100001):
        for name, opts in solvers1d:
            opts = opts + ["-hjb_sequence", "0"]
            record(rows, "solvers", name, 1, n, 1, opts, run_solve(build, 1, grid1(n) + opts)[0])
    return rows


GAMG_NONSYM = ["-hjb_pc_type", "gamg", "-hjb_pc_gamg_sym_graph", "true", "-hjb_mg_levels_ksp_type", "richardson",
               "-hjb_mg_levels_pc_type", "sor", "-hjb_ksp_max_it", "3000"]


def section_gamg(build, args):
    """GAMG set up for nonsymmetric matrices (symmetrized graph, SOR smoothing instead of
    the Chebyshev default, which diverges on these upwind matrices), with and without
    reuse of the interpolation across policy iterations, against hypre."""
    rows = []
    exact, forcing = ["-hjb_linear_forcing", "0"], ["-hjb_linear_forcing", "0.01"]
    reuse = ["-hjb_pc_gamg_reuse_interpolation", "true"]
    configs = [("hypre", exact), ("hypre+forcing", forcing), ("gamg/sor", GAMG_NONSYM + exact),
               ("gamg/sor+reuse", GAMG_NONSYM + reuse + exact), ("gamg/sor+reuse+forcing", GAMG_NONSYM + reuse + forcing)]
    for dim, sizes in ((2, (129, 257, 513)), (1, (10001, 100001))):
        for n in sizes:
            for name, opts in configs:
                opts = opts + ["-hjb_sequence", "0"]
                grid = grid2(n) if dim == 2 else grid1(n)
                record(rows, "gamg", name, dim, n, 1, opts, run_solve(build, 1, grid + opts)[0])
    return rows


def sizes2d(args):
    return [n for n in (65, 129, 257, 513, 1025, 2049) if n <= args["max_2d"]]


def section_scaling2d(build, args):
    """2-D staking, defaults, with and without grid sequencing, 1 and 2 ranks."""
    rows = []
    for n in sizes2d(args):
        for ranks in (1, 2):
            for name, opts in (("default", []), ("no sequencing", ["-hjb_sequence", "0"]),
                               ("exact, no seq.", ["-hjb_sequence", "0", "-hjb_linear_forcing", "0"])):
                if (n >= 2049 and (ranks == 1 or opts)) or (n >= 1025 and ranks == 1 and name.startswith("exact")):
                    continue  # minutes per solve: only the default on 2 ranks
                record(rows, "scaling2d", name, 2, n, ranks, opts, run_solve(build, ranks, grid2(n) + opts)[0])
    return rows


def section_large(build, args):
    """2049^2 (4.2 M nodes, ~3 GB): defaults and no sequencing, 2 ranks only (minutes each)."""
    rows = []
    for name, opts in (("default", []), ("no sequencing", ["-hjb_sequence", "0"])):
        record(rows, "large", name, 2, 2049, 2, opts, run_solve(build, 2, grid2(2049) + opts)[0])
    return rows


def section_scaling1d(build, args):
    rows = []
    for n in (1001, 10001, 100001, 1000001):
        for ranks in (1, 2):
            record(rows, "scaling1d", "default", 1, n, ranks, [], run_solve(build, ranks, grid1(n))[0])
    return rows


def section_reference(build, args):
    rows = []
    for n in (129, 257, 513):
        for ranks in (1, 2):
            record(rows, "reference", "vs SciPy", 2, n, ranks, [], solve_and_reference(build, ranks, grid2(n)))
    for n in (1001, 100001):
        record(rows, "reference", "vs SciPy", 1, n, 1, [], solve_and_reference(build, 1, grid1(n)))
    return rows


def section_weak(build, args):
    """Weak scaling: the same number of nodes per rank (s refined with the rank count)."""
    rows = []
    for base in (257, 513):
        for ranks in (1, 2):
            ns = (base - 1) * ranks + 1
            opts = ["-dim", "2", "-grid_n", f"{ns},{base}"]
            record(rows, "weak", f"{base}^2 per rank", 2, f"{ns}x{base}", ranks, [], run_solve(build, ranks, opts)[0])
    return rows


STAGE_RE = re.compile(r"^\s*\d+:\s+(.+?):\s+([\d.e+-]+)\s+([\d.]+)%")


def section_stages(build, args):
    """-log_view stage breakdown at 1025^2 (or the largest grid allowed) on 1 and 2 ranks."""
    n = min(1025, args["max_2d"])
    text = [f"Grid {n} x {n}, defaults.\n"]
    rows = []
    for ranks in (1, 2):
        row, out = run_solve(build, ranks, grid2(n), log_view=True)
        if out is None:
            continue
        record(rows, "stages", "log_view", 2, n, ranks, ["-log_view"], row)
        summary = out[out.find("Summary of Stages"):]
        summary = summary[:summary.find("----", 200)] if "----" in summary[200:] else summary[:2000]
        text.append(f"\n{ranks} rank(s):\n\n```\n{summary.strip()}\n```\n")
    with open(os.path.join(RESULTS, "stages.txt"), "w") as f:
        f.writelines(text)
    return rows


# issue 14: the solver settings files (data/): the defaults before issue 14 (bitwise) and the
# fastest settings (no error estimate)
FORMER_OPTIONS = ["-options_file", os.path.join(ROOT, "data", "solve_former.yaml")]
FAST_OPTIONS = ["-options_file", os.path.join(ROOT, "data", "solve_fast.yaml")]
# before issue 14: the former HJB defaults and the former density solver (PETSc's BoomerAMG
# defaults, rtol 1e-12; the coarser grid's density as initial guess stays, having no option)
BEFORE_OPTIONS = FORMER_OPTIONS + ["-density_pc_hypre_boomeramg_relax_type_all", "symmetric-SOR/Jacobi", "-density_ksp_rtol", "1e-12"]


def section_limit(build, args):
    """The HJB solve against one linear solve of its final matrix and the density against the
    solve (issue 14), each measured in the same run: before issue 14, the defaults, FAST_OPTIONS."""
    rows = []
    cases = (("before", BEFORE_OPTIONS), ("default", []), ("fast", FAST_OPTIONS))
    for n in [n for n in (257, 513, 1025) if n <= args["max_2d"]]:
        for ranks in (1, 2):
            for name, opts in cases:
                record(rows, "limit", name, 2, n, ranks, opts, run_solve(build, ranks, grid2(n) + opts, yield_idle=True)[0])
    for n in (100001, 1000001):
        for name, opts in cases[1:]:
            record(rows, "limit", name, 1, n, 1, opts, run_solve(build, 1, grid1(n) + opts)[0])
    return rows


def section_fast(build, args):
    """The HJB solve in linear-solve equivalents with the former defaults, the defaults and
    data/solve_fast.yaml, run in turn for several rounds (one configuration's ratio varies
    10-25 % from run to run on a shared machine: the report gives min, median and max)."""
    rows = []
    cases = (("former", FORMER_OPTIONS), ("default", []), ("solve_fast.yaml", FAST_OPTIONS))
    for n in [n for n in (513, 1025) if n <= args["max_2d"]]:
        for ranks, rounds in ((1, 5), (2, 3)):
            for _ in range(rounds):
                for name, opts in cases:
                    record(rows, "fast", name, 2, n, ranks, opts, run_solve(build, ranks, grid2(n) + opts, yield_idle=True)[0])
    return rows


SECTIONS = {"fast": section_fast, "solvers": section_solvers, "limit": section_limit, "scaling2d": section_scaling2d, "scaling1d": section_scaling1d,
            "reference": section_reference, "weak": section_weak, "stages": section_stages, "large": section_large,
            "gamg": section_gamg}
DEFAULT_SECTIONS = ["solvers", "gamg", "scaling2d", "scaling1d", "reference", "weak", "stages", "limit"]


def write_csv(section, rows):
    path = os.path.join(RESULTS, f"{section}.csv")
    with open(path + ".tmp", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    os.replace(path + ".tmp", path)


def read_csv(section):
    path = os.path.join(RESULTS, f"{section}.csv")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return list(csv.DictReader(f))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    build = sys.argv[1]
    args = {"max_2d": 1025, "sections": list(DEFAULT_SECTIONS), "report_only": False}
    argv = sys.argv[2:]
    for i, a in enumerate(argv):
        if a == "--sections":
            args["sections"] = argv[i + 1].split(",")
        elif a == "--max-2d":
            args["max_2d"] = int(argv[i + 1])
        elif a == "--report-only":
            args["report_only"] = True
    unknown = [s for s in args["sections"] if s not in SECTIONS]
    if unknown:
        sys.exit(f"run_solver_bench.py: unknown section(s) {unknown}; known: {list(SECTIONS)}")
    if not args["report_only"] and not os.access(stakehjb(build), os.X_OK):
        sys.exit(f"run_solver_bench.py: no executable {stakehjb(build)}; build first (bash .ci/build)")
    os.makedirs(RESULTS, exist_ok=True)
    os.makedirs(FIGURES, exist_ok=True)
    if not args["report_only"]:
        for section in args["sections"]:
            print(f"== {section}", flush=True)
            write_csv(section, SECTIONS[section](build, args))
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    import bench_report
    bench_report.write_report({s: read_csv(s) for s in SECTIONS}, RESULTS, FIGURES, os.path.join(ROOT, "docs", "performance.md"))


if __name__ == "__main__":
    main()
