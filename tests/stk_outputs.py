"""Small runs that make one file of every kind stakehjb writes, for the plot and
xarray checks: {name: path} in DIR (a few seconds on one rank)."""
import os
import subprocess

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")


def runs(d):
    sol = os.path.join(d, "solution.h5")
    net = os.path.join(d, "network.h5")
    return {
        "solution": ["solve", "-grid_n", "33,9", "-o", sol],
        "solution_1d": ["solve", "-dim", "1", "-grid_n", "65", "-o", os.path.join(d, "solution_1d.h5")],
        "solution_lq": ["solve", "-model", "lq", "-dim", "2", "-grid_n", "17,17", "-o", os.path.join(d, "solution_lq.h5")],
        "solution_merton": ["solve", "-model", "merton", "-grid_n", "33", "-o", os.path.join(d, "solution_merton.h5")],
        "solution_mms3d": ["solve", "-model", "mms", "-dim", "3", "-grid_n", "9,11,13", "-o", os.path.join(d, "solution_mms3d.h5")],
        "solution_empirical": ["solve", "-grid_n", "17,9", "-agents_cost", "empirical", "-agents_sigma0", "0.1", "-agents_cost_file",
                               os.path.join(DATA, "costs_example.csv"), "-o", os.path.join(d, "solution_empirical.h5")],
        "network": ["fit", "-i", sol, "-o", net, "-net_fit_max_it", "30"],
        "refined": ["refine", "-i", net, "-policy_file", sol, "-refine_iterations", "4", "-o", os.path.join(d, "refined.h5")],
        "simulation": ["simulate", "-sim_paths", "4", "-sim_t_final", "2", "-policy", "cosmos", "-sim_shock_t", "1",
                       "-o", os.path.join(d, "simulation.h5")],
        "convergence": ["converge", "-converge_levels", "3", "-converge_plot", "0", "-o", os.path.join(d, "convergence.h5")],
        "compare": ["compare", "-compare_regimes", "baseline", "-compare_paths", "4", "-compare_years", "1", "-compare_agents",
                    "1000", "-compare_samples", "2", "-grid_n", "33,9", "-o", os.path.join(d, "compare.h5")],
    }


def make_outputs(stakehjb, d):
    """Runs every command; returns {name: path of its HDF5 file}. Raises on a failed run."""
    files = {}
    for name, args in runs(d).items():
        run = subprocess.run([os.path.abspath(stakehjb)] + args, capture_output=True, text=True, cwd=d)
        if run.returncode:
            raise RuntimeError(f"stakehjb {' '.join(args)} failed:\n{run.stderr[-3000:]}")
        files[name] = args[args.index("-o") + 1]
    return files
