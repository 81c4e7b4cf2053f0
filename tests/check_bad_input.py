#!/usr/bin/env python3
"""Bad input fails cleanly (issue 13): every case of tests/bad_input/*.tsv

    id <TAB> command <TAB> arguments <TAB> expected

runs `stakehjb command arguments` ("{F}" replaced by the fixture directory) in a fresh
empty working directory and must exit non-zero, name `expected` in the first line of
stderr (one short block: no PETSc trace), create no file in the working directory,
change no fixture, and leave no temporary (*.tmp*, .locktest*).  The fixtures are made once by every
tests/bad_input/make_fixtures*.py FIXDIR STAKEHJB.

usage: check_bad_input.py STAKEHJB [TABLE.tsv ...]"""
import concurrent.futures
import glob
import hashlib
import os
import shlex
import subprocess
import sys
import tempfile
import time

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bad_input")
TIMEOUT = 60  # s per case: every case must fail before any work


def read_tables(paths):
    cases = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                line = line.rstrip("\n")
                if not line.strip() or line.startswith("#"):
                    continue
                fields = line.split("\t")
                if len(fields) != 4:
                    sys.exit(f"{path}:{n}: expected 4 tab-separated fields, got {len(fields)}")
                cases.append((os.path.basename(path),) + tuple(fields))
    return cases


def snapshot(root):
    """path -> (size, mtime, sha1) of every file under root."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            p = os.path.join(dirpath, name)
            st = os.stat(p)
            with open(p, "rb") as f:
                out[p] = (st.st_size, st.st_mtime_ns, hashlib.sha1(f.read()).hexdigest())
    return out


def temporaries(root):
    found = []
    for dirpath, dirs, files in os.walk(root):
        found += [os.path.join(dirpath, n) for n in files + dirs if ".tmp" in n or n.startswith(".locktest")]
    return found


def run_case(exe, fixdir, case):
    table, cid, command, arguments, expected = case
    args = shlex.split(arguments.replace("{F}", fixdir))
    problems = []
    with tempfile.TemporaryDirectory(prefix="bad_input_") as cwd:
        t0 = time.time()
        try:
            p = subprocess.run([exe, command] + args, cwd=cwd, capture_output=True, text=True, errors="replace", timeout=TIMEOUT)
            rc, stderr = p.returncode, p.stderr
        except subprocess.TimeoutExpired:
            rc, stderr = None, ""
            problems.append(f"no failure within {TIMEOUT} s")
        seconds = time.time() - t0
        first = stderr.splitlines()[0] if stderr.strip() else ""
        if rc == 0:
            problems.append("exit status 0")
        if expected not in first:
            problems.append(f"first stderr line does not name {expected!r}: {first[:200]!r}")
        if "PETSC ERROR" in stderr:
            problems.append("a PETSc trace instead of one short block")
        if rc is not None and rc < 0:
            problems.append(f"killed by signal {-rc}")
        left = sorted(os.path.relpath(os.path.join(d, n), cwd) for d, ds, fs in os.walk(cwd) for n in fs + ds)
        if left:
            problems.append(f"left in the working directory: {left[:5]}")
        problems += [f"temporary left: {t}" for t in temporaries(cwd)]
    return cid, table, command, arguments, problems, seconds, first


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    exe = os.path.abspath(sys.argv[1])
    tables = sys.argv[2:] or sorted(glob.glob(os.path.join(HERE, "*.tsv")))
    cases = read_tables(tables)
    ids = [c[1] for c in cases]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        sys.exit(f"duplicate case ids: {dup}")
    with tempfile.TemporaryDirectory(prefix="bad_input_fixtures_") as fixdir:
        for script in sorted(glob.glob(os.path.join(HERE, "make_fixtures*.py"))):
            subprocess.run([sys.executable, script, fixdir, exe], check=True)
        before = snapshot(fixdir)
        t0 = time.time()
        with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
            results = list(pool.map(lambda c: run_case(exe, fixdir, c), cases))
        if snapshot(fixdir) != before:
            changed = sorted(set(snapshot(fixdir).items()) ^ set(before.items()))
            print(f"FAIL fixtures changed: {[os.path.basename(c[0]) for c in changed]}")
            results.append(("fixtures", "", "", "", ["fixture directory changed"], 0, ""))
        leftover = temporaries(fixdir)
        if leftover:
            results.append(("fixture_temporaries", "", "", "", [f"temporaries in the fixtures: {leftover}"], 0, ""))
    clean = [r for r in results if not r[4]]
    for cid, table, command, arguments, problems, seconds, first in results:
        if problems:
            print(f"NOT CLEAN {cid} ({table}): stakehjb {command} {arguments}")
            for pr in problems:
                print(f"    {pr}")
    slow = sorted(results, key=lambda r: -r[5])[:3]
    print(f"bad input: {len(clean)} clean, {len(results) - len(clean)} not clean, of {len(results)} cases "
          f"over {len({c[2] for c in cases})} commands in {time.time() - t0:.0f} s "
          f"(slowest: {', '.join(f'{r[0]} {r[5]:.1f} s' for r in slow)})")
    sys.exit(0 if len(clean) == len(results) else 1)


if __name__ == "__main__":
    main()
