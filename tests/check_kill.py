#!/usr/bin/python3
"""SIGINT and SIGTERM during a write leave no trace (docs/hdf5.md, "Output files").

    check_kill.py STAKEHJB MPIEXEC

With the test hook STK_TEST_WRITE_DELAY (every writer sleeps that many seconds between
creating its temporary file and renaming it), a signal is sent while the temporary
exists.  Asserted for a single-file writer (solve, 1 and 2 ranks) and for compare's set
of files (the regimes' solution files, the .h5, the .csv): the program dies of the
signal, no temporary file, staging directory or MPI-IO lock file is left, and the older
good files under the final names are unchanged.  Then the same without a signal: the
hook only delays, the files are replaced."""
import hashlib, os, shutil, signal, subprocess, sys, tempfile, time

EXE, MPIEXEC = os.path.abspath(sys.argv[1]), sys.argv[2]
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "regimes")
SOLVE = ["solve", "-grid_n", "17,9", "-o", "sol.h5"]
COMPARE = ["compare", "-compare_regimes", "baseline,bear", "-compare_regime_dir", DATA, "-compare_paths", "4",
           "-compare_years", "1", "-compare_agents", "500", "-compare_samples", "1", "-grid_n", "17,9", "-o", "cmp/cmp.h5"]
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def snapshot(d):
    """Every file below d (relative name -> content hash)."""
    out = {}
    for root, _, files in os.walk(d):
        for f in files:
            p = os.path.join(root, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, d)] = hashlib.sha256(fh.read()).hexdigest()
    return out


def temporaries(d):
    return sorted(os.path.relpath(os.path.join(r, n), d) for r, dirs, files in os.walk(d) for n in dirs + files
                  if ".tmp" in n or ".locktest" in n)


def wait_for_temporary(d, proc, match, limit=120):
    """Until a temporary file whose name contains `match` exists below d."""
    t0 = time.time()
    while time.time() - t0 < limit and proc.poll() is None:
        if any(match in "/" + t for t in temporaries(d)):
            return True
        time.sleep(0.05)
    return False


def interrupted(cwd, args, sig, ranks, match, delay=30):
    """Runs args with the write of the file matching `match` delayed, sends sig once
    its temporary exists."""
    cmd = ([MPIEXEC, "-n", str(ranks), "--oversubscribe"] if ranks > 1 else []) + [EXE] + args
    env = dict(ENV, STK_TEST_WRITE_DELAY=str(delay), STK_TEST_WRITE_DELAY_MATCH=match)
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    started = wait_for_temporary(cwd, proc, match)
    if started:
        proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    time.sleep(0.5)  # the ranks of mpiexec end after it
    return started, proc.returncode, err


def run(cwd, args):
    subprocess.run([EXE] + args, cwd=cwd, env=ENV, check=True, stdout=subprocess.DEVNULL)


def case(name, cwd, args, sig, ranks, match):
    before = snapshot(cwd)
    started, rc, err = interrupted(cwd, args, sig, ranks, match)
    check(started, f"{name}: the write started (a temporary file appeared)")
    check(rc != 0, f"{name}: non-zero exit ({rc})")
    if ranks == 1:
        check(rc == -sig or rc == 128 + sig, f"{name}: died of the signal (status {rc})")
    check(temporaries(cwd) == [], f"{name}: no temporary or lock file left {temporaries(cwd)}")
    check(snapshot(cwd) == before, f"{name}: the older files are unchanged")


with tempfile.TemporaryDirectory() as d:
    run(d, SOLVE)
    os.makedirs(os.path.join(d, "cmp"))
    run(d, COMPARE)
    check(sorted(os.listdir(os.path.join(d, "cmp"))) == ["cmp.csv", "cmp.h5", "cmp_baseline.h5", "cmp_baseline.xmf", "cmp_bear.h5", "cmp_bear.xmf"],
          "compare writes its set: " + " ".join(sorted(os.listdir(os.path.join(d, "cmp")))))
    for sig in (signal.SIGINT, signal.SIGTERM):
        case(f"solve, {sig.name}", d, SOLVE, sig, 1, "sol.h5.tmp.")
        case(f"solve on 2 ranks, {sig.name}", d, SOLVE, sig, 2, "sol.h5.tmp.")
        # during the last file of the set: the regimes' solution files are written already
        case(f"compare while writing cmp.h5, {sig.name}", d, COMPARE, sig, 1, "/cmp.h5.tmp.")
        case(f"compare while writing a regime's solution, {sig.name}", d, COMPARE, sig, 2, "/cmp_bear.h5.tmp.")
    # the hook only delays: without a signal the files are replaced
    before = snapshot(d)
    subprocess.run([EXE] + SOLVE + ["-hjb_rho", "0.06"], cwd=d, env=dict(ENV, STK_TEST_WRITE_DELAY="0.2"), check=True, stdout=subprocess.DEVNULL)
    after = snapshot(d)
    check(after["sol.h5"] != before["sol.h5"] and temporaries(d) == [], "a delayed write that is not interrupted replaces the file")

if failures:
    print(f"{len(failures)} failure(s)")
    sys.exit(1)
print("all kill checks passed")
