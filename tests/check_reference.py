#!/usr/bin/python3
"""Bitwise reference runs: the same seeds give the same outputs as the recorded ones.

    check_reference.py STAKEHJB MPIEXEC [--generate]

Runs a small solve (1 rank), then a fit, three simulations, a refinement and a
comparison from it on 1 and 2 ranks, hashes every dataset and every attribute (timings, versions and HDF5 dimension-scale
bookkeeping excluded) and compares the hashes with tests/reference/hashes.json, recorded by
--generate with the code before the structure refactor (issue 11).  Outputs that changed on
purpose since then are listed in CHANGED with the reason; everything else must be equal,
and 1 and 2 ranks must agree.  The solves use the solver settings in force when the reference
was recorded (FORMER_SOLVER: the upwind scheme, which issue 17 replaced by central-where-monotone;
the secant improvement, a fresh AMG hierarchy every step and linear solves to the forcing, which
issue 14 replaced by Newton, hierarchy reuse and the linear target, each changing V within the
certificate but not bitwise), so the chain from the solution on stays comparable bitwise."""
import hashlib, json, os, re, shutil, subprocess, sys, tempfile
import h5py, numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "reference", "hashes.json")
FORMER_SOLVER = ["-hjb_central", "0", "-hjb_greedy_newton", "0", "-hjb_pc_reuse_below", "0", "-hjb_linear_target", "0"]
IGNORED = {"DIMENSION_LIST", "REFERENCE_LIST", "CLASS", "NAME", "version", "ranks"}
# regular expression on a key (file:object[policy][@attribute]) -> why it changed on purpose
CHANGED = {
    r"^(sol|cmp_[a-z]+)\.h5:solution/density$":
        "the stationary density is solved with BoomerAMG (issue 14; since items 2-3 with forward SOR/Jacobi smoothing, rtol 1e-11 and the coarser grid's density as initial guess), equal to the former block Jacobi/ILU and AMG solves to ~1e-11 relative (tests/test_scheme.c), not bitwise",
    r"^cmp\.h5:compare/.*\[(ethereum|tezos|tezos_sbar)\](\[.*\])?$":
        "one days-per-year constant (365, the simulator's day): Ethereum's epochs per year and Tezos's cycle length were on 365.25",
    r"^(cmp|sim_sde|sim_abm|sim_sol)\.h5:(compare|simulation)/recovery_time(\[[a-z_]*\])?(@description)?$":
        "one recovery convention: a path that never recovers gets the time left after the shock (and recovery_censored = 1) instead of NaN",
    r"^cmp\.h5:compare/summary\[[a-z_]*\]\[recovery_time(_n)?\]$":
        "the mean of recovery_time over every path now (censored ones at the time left), not over the recovered ones",
    r"^cmp\.h5:compare/column$|^cmp\.h5:compare@columns$":
        "new summary columns recovery_censored, recovery_censored_n",
    r"^(cmp|sim_sde|sim_abm|sim_sol)\.h5:(compare|simulation)/recovery_censored(\[[a-z_]*\])?(@units|@description)?$":
        "new per-path metric recovery_censored",
    r"^cmp\.h5:compare/summary\[[a-z_]*\]\[recovery_censored(_n)?\]$":
        "new summary columns recovery_censored, recovery_censored_n",
    r"^sim_sol\.h5:simulation@policy_description$":
        "-policy solution is a policy type of the policy layer now: its description is the type's",
    r"^cmp\.h5:compare/sample_[su](\[[a-z_]*\])?(@description)?$":
        "CF: the sample paths are (row, sample, t) with their own scales sample and t (were (row, sample*t) with the path "
        "scale of another length attached); the same values in the same order",
    r"^(sol|cmp_baseline|cmp_bear)\.h5:solution/density@units$":
        "CF: the density is per unit of state area, 1/(units of s * units of z) = yr for the 2-D staking model (was 1)",
    r"^(net|ref)\.h5:network/input_(lo|hi)@description$":
        "CF: the description (and new long_name) says the inputs are in the units of their state variables (units 'mixed')",
    r"^(net|ref)\.h5:network(/weights|@fit_[a-z_]+)$":
        "fit made faster (issue 14): batched forward/backward over blocks of nodes (other summation order), and by default "
        "a subsample of about 500 nodes plus the kinks: other weights, errors and TAO counts",
    r"^ref\.h5:network/history/[a-z_]+$":
        "fit made faster (issue 14): the refinement starts from the new fitted weights",
    r"^cmp\.h5:compare/[a-z_]+\[network\](\[[a-z_]+\])?$":
        "fit made faster (issue 14): the compared network is the new fit (automatic sample instead of -net_fit_stride 4)",
}


def runs(exe, out):
    """Run in `out` with relative names, so the files record the same paths."""
    sol, net, out = "sol.h5", "net.h5", "."
    return [
        [exe, "fit", "-i", sol, "-o", net, "-net_fit_max_it", "100"],
        [exe, "simulate", "-sim_type", "sde", "-sim_paths", "6", "-sim_t_final", "2", "-policy", "cosmos", "-o", f"{out}/sim_sde.h5"],
        [exe, "simulate", "-sim_type", "abm", "-sim_n", "3000", "-sim_paths", "4", "-sim_t_final", "2", "-policy", "expert",
         "-policy_file", sol, "-sim_shock_t", "1", "-sim_shock_frac", "0.25", "-o", f"{out}/sim_abm.h5"],
        [exe, "simulate", "-sim_type", "sde", "-sim_paths", "4", "-sim_t_final", "2", "-policy", "solution", "-policy_file", sol,
         "-o", f"{out}/sim_sol.h5"],
        [exe, "refine", "-i", net, "-policy_file", sol, "-refine_iterations", "20", "-o", f"{out}/ref.h5"],
        [exe, "compare", "-compare_regimes", "baseline,bear", "-compare_paths", "6", "-compare_years", "2", "-compare_agents", "2000",
         "-compare_samples", "2", "-grid_n", "65,17"] + FORMER_SOLVER + ["-o", f"{out}/cmp.h5"],
    ]


def digest(value):
    a = np.asarray(value)
    if a.dtype.kind in "OSU":
        return "s:" + repr(a.tolist())
    return f"{a.dtype.str}{a.shape}:" + hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()[:32]


def policy_rows(f):
    """(policy names, policy index of each row) of a compare file, else None."""
    g = f.get("compare")
    if g is None or "row_policy" not in g:
        return None
    names = g.attrs["policies"]
    names = (names.decode() if isinstance(names, bytes) else str(names)).split(",")
    return names, g["row_policy"][()].astype(int)


def summary_columns(f):
    """The column names of a compare file's summary table, else None."""
    g = f.get("compare")
    if g is None or "columns" not in g.attrs:
        return None
    c = g.attrs["columns"]
    return (c.decode() if isinstance(c, bytes) else str(c)).split(",")


def hashes(directory):
    out = {}
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".h5"):
            continue
        with h5py.File(os.path.join(directory, name), "r") as f:
            by_policy = policy_rows(f)

            columns = summary_columns(f)

            def visit(path, obj):
                if path == "compare/summary" and by_policy and columns:  # one entry per policy and column
                    for k, policy in enumerate(by_policy[0]):
                        for j, col in enumerate(columns):
                            out[f"{name}:{path}[{policy}][{col}]"] = digest(obj[()][by_policy[1] == k, j])
                elif isinstance(obj, h5py.Dataset) and by_policy and obj.shape[:1] == (len(by_policy[1]),):
                    for k, policy in enumerate(by_policy[0]):  # compare's tables: one entry per policy
                        out[f"{name}:{path}[{policy}]"] = digest(obj[()][by_policy[1] == k])
                elif isinstance(obj, h5py.Dataset):
                    out[f"{name}:{path}"] = digest(obj[()])
                for k, v in obj.attrs.items():
                    if k not in IGNORED and "time" not in k:
                        out[f"{name}:{path}@{k}"] = digest(v)
            visit("/", f)
            f.visititems(visit)
    return out


def run_all(exe, mpiexec, np_):
    """The solve on 1 rank (its iterates depend on the ranks within the solver
    tolerance), everything after it on np_ ranks from that file."""
    d = tempfile.mkdtemp(prefix=f"stkref{np_}_")
    mpi = [mpiexec, "-n", str(np_), "--oversubscribe"]
    subprocess.run([exe, "solve", "-grid_n", "65,17"] + FORMER_SOLVER + ["-o", "sol.h5"], cwd=d, check=True, stdout=subprocess.DEVNULL)
    for cmd in runs(exe, d):
        subprocess.run(mpi + cmd, cwd=d, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    h = hashes(d)
    shutil.rmtree(d)
    return h


def changed_on_purpose(key):
    return next((why for k, why in CHANGED.items() if re.search(k, key)), None)


def main():
    exe, mpiexec = os.path.abspath(sys.argv[1]), sys.argv[2]
    got = {n: run_all(exe, mpiexec, n) for n in (1, 2)}
    if "--generate" in sys.argv:
        with open(REFERENCE, "w") as f:
            json.dump(got[1], f, indent=0, sort_keys=True)
        print(f"wrote {REFERENCE}: {len(got[1])} entries")
        return 0
    with open(REFERENCE) as f:
        ref = json.load(f)
    bad = [f"1 vs 2 ranks differ: {k}" for k in got[1] if got[1][k] != got[2].get(k)]
    same = purpose = 0
    for k, v in ref.items():
        why = changed_on_purpose(k)
        if why:
            purpose += 1
        elif k not in got[1]:
            bad.append(f"missing now: {k}")
        elif got[1][k] != v:
            bad.append(f"differs from the reference: {k}")
        else:
            same += 1
    new = [k for k in got[1] if k not in ref and not changed_on_purpose(k)]
    print(f"{same} entries bitwise equal to the reference, {purpose} changed on purpose, {len(new)} new entries")
    for k, why in CHANGED.items():
        print(f"  changed on purpose: {k}: {why}")
    for k in new:
        print("  new:", k)
    for b in bad:
        print("FAIL", b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
