#!/usr/bin/python3
"""What the program prints (issue 13): progress lines and the headline of `run`.

    check_output.py STAKEHJB

With stdout and stderr redirected to files (a log), the progress lines of the solve
(hjb), the stationary density, the network fit, the refinement and the comparison are
whole lines without a carriage return; on a terminal (a pty) the line is rewritten in
place; -progress false prints none; an estimate of the time left appears only after 5 %
of the work and 2 s.  A small `run` prints at most 40 lines ending with the headline,
whose numbers are the pooled paired differences of the comparison file, and writes the
evaluation table as CSV."""
import csv, os, pty, re, subprocess, sys, tempfile
import h5py, numpy as np

stakehjb = os.path.abspath(sys.argv[1])
checks = []


def check(name, ok, detail=""):
    checks.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name} {'' if ok else detail}")


def logged(args, cwd):
    """Run with stdout and stderr going to files, as `stakehjb ... > log 2>&1` would."""
    out, err = os.path.join(cwd, "stdout.log"), os.path.join(cwd, "stderr.log")
    with open(out, "wb") as fo, open(err, "wb") as fe:
        rc = subprocess.run([stakehjb] + args, stdout=fo, stderr=fe, cwd=cwd).returncode
    with open(out, "rb") as fo, open(err, "rb") as fe:
        return rc, fo.read().decode(), fe.read().decode()


def on_terminal(args, cwd):
    """Run with stderr on a pseudo-terminal; returns what the terminal received."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([stakehjb] + args, stdout=subprocess.DEVNULL, stderr=slave, cwd=cwd)
    os.close(slave)
    data = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    os.close(master)
    return proc.wait(), data.decode(errors="replace")


def estimates_meaningful(text):
    """Every 'about N s left' comes with >= 5 % done and >= 2 s elapsed."""
    for line in re.split(r"[\r\n]", text):
        if "left" in line:
            m = re.search(r", (\d+) %, ([\d.]+) s, about \d+ s left", line)
            if not m or int(m.group(1)) < 5 or float(m.group(2)) < 2:
                return False, line
    return True, ""


with tempfile.TemporaryDirectory() as tmp:
    rc, out, err = logged(["solve", "-grid_n", "129,33", "-progress_delay", "0", "-o", "sol.h5"], tmp)
    check("solve exits 0", rc == 0, err[-2000:])
    check("solve: no carriage return in the log", "\r" not in out + err)
    check("solve: progress lines of the HJB solve and the density", re.search(r"^hjb: grid 129 x 33, Howard iteration \d+", err, re.M)
          and re.search(r"^density: Krylov iteration \d+, residual", err, re.M), err[-500:])

    fit = ["fit", "-i", "sol.h5", "-o", "net.h5", "-net_fit_max_it", "60", "-net_fit_stride", "4", "-progress_delay", "0"]
    rc, out, err = logged(fit, tmp)
    check("fit exits 0", rc == 0, err[-2000:])
    lines = [l for l in err.splitlines() if l.startswith("fit: TAO iteration")]
    check("fit: whole progress lines, one per 10 % or so", 2 <= len(lines) <= 12 and "\r" not in out + err, err[-800:])
    check("fit: the last line at 100 %", lines and lines[-1].startswith("fit: TAO iteration 60/60") and ", 100 %" in lines[-1], lines[-1:])

    rc, out, err = logged(fit + ["-progress", "false"], tmp)
    check("-progress false: no progress line", rc == 0 and "fit:" not in err, err[-300:])

    rc, term = on_terminal(fit, tmp)
    check("on a terminal the line is rewritten in place", rc == 0 and "\rfit: TAO iteration" in term and term.endswith("\n"), repr(term[-200:]))

    # run, small: one line per step, then the headline; every table in a file
    small = ["-dim", "1", "-grid_n", "201", "-net_widths", "8,8", "-net_fit_max_it", "40", "-refine_iterations", "4",
             "-refine_n", "2000", "-sim_n", "2000", "-sim_t_final", "0.5", "-sim_shock_t", "0.25", "-eval_paths", "4",
             "-compare_regimes", "baseline", "-compare_envs", "sde", "-compare_scenarios", "none,stake_drop",
             "-compare_paths", "6", "-compare_years", "0.5", "-compare_samples", "1", "-progress_delay", "0"]
    rc, out, err = logged(["run"] + small, tmp)
    check("run exits 0", rc == 0, err[-2000:])
    print(out)
    lines = out.splitlines()
    check("run prints at most 40 lines", len(lines) <= 40, len(lines))
    check("run: one line per step", all(any(l.startswith(f"{k}. ") for l in lines) for k in range(1, 6)))
    check("run: no carriage return", "\r" not in out + err)
    for step in ("hjb", "density", "fit", "refine", "compare"):
        check(f"run: progress lines of {step} on stderr", re.search(rf"^{step}: ", err, re.M))
    ok, bad = estimates_meaningful(err)
    check("estimates only once meaningful", ok, bad)
    check("run: the headline", "Headline" in out and "(best baseline)" in out and "fitted network" in out and "refined network" in out)
    with h5py.File(os.path.join(tmp, "out", "compare.h5"), "r") as f:
        g = f["compare"]
        policies = g.attrs["policies"].split(",") if isinstance(g.attrs["policies"], str) else g.attrs["policies"].decode().split(",")
        cost, rmse, rp = g["discounted_cost"][...], g["tracking_rmse"][...], g["row_policy"][...].astype(int)
    for rule in ("cosmos", "polkadot", "ethereum", "tezos"):
        row = next((l for l in lines if l.split()[:1] == [rule]), None)
        q = policies.index(rule)
        # per path: the mean over the cells, policy minus expert; then the mean over paths
        d_cost = (cost[rp == q] - cost[rp == 0]).mean(axis=0).mean()
        d_rmse = (rmse[rp == q] - rmse[rp == 0]).mean(axis=0).mean()
        printed = [float(x) for x in re.findall(r"[+-]\d\.\d\de[+-]\d\d", row or "")][0::3] if row else []
        check(f"headline {rule} - expert is the pooled paired difference", len(printed) == 2 and
              abs(printed[0] - d_cost) <= 0.006 * abs(d_cost) and abs(printed[1] - d_rmse) <= 0.006 * abs(d_rmse), (row, d_cost, d_rmse))
    with open(os.path.join(tmp, "out", "evaluation.csv")) as f:
        rows = list(csv.DictReader(f))
    check("evaluation.csv: expert, fitted, refined with differences", [r["policy"] for r in rows] == ["expert", "fitted", "refined"]
          and rows[0]["discounted_cost_diff"] == "" and rows[1]["discounted_cost_diff"] != "", [r["policy"] for r in rows])
    frow = next((l for l in lines if l.startswith("  fitted network")), "")
    check("headline: the fitted network's difference is the CSV's", f"{float(rows[1]['discounted_cost_diff']):+.2e}" in frow, frow)

    # compare prints its summary before the table
    rc, out, err = logged(["compare", "-dim", "1", "-grid_n", "201", "-compare_regimes", "baseline,bear", "-compare_envs", "sde",
                           "-compare_scenarios", "none", "-compare_paths", "4", "-compare_years", "0.5", "-compare_samples", "1",
                           "-o", "cmp.h5"], tmp)
    check("compare exits 0", rc == 0, err[-2000:])
    head = out.split("stakehjb compare:")[0]
    check("compare: summary per regime before the table", "summary per regime" in head and
          re.search(r"^  baseline +\w+ .*\[", head, re.M) and re.search(r"^  bear +\w+ .*\[", head, re.M), head)

print(f"{sum(checks)} of {len(checks)} checks passed")
sys.exit(0 if all(checks) else 1)
