#!/usr/bin/python3
"""Bad plugins for tests/bad_input/api.tsv (-model_plugin, docs/library.md#plugins).

    make_fixtures_api.py FIXDIR STAKEHJB

Writes into FIXDIR: p_text.so (a text file), p_nosym.so (a shared object without
StkPluginRegister), p_dir.so/ (a directory)."""
import os, subprocess, sys

FIX = os.path.abspath(sys.argv[1])
os.makedirs(FIX, exist_ok=True)
with open(os.path.join(FIX, "p_text.so"), "w") as f:
    f.write("not a shared object\n")
src = os.path.join(FIX, "p_nosym.c")
with open(src, "w") as f:
    f.write("int StkPluginRegistr(void) { return 0; } /* misspelt: no registration function */\n")
subprocess.run(["cc", "-shared", "-fPIC", src, "-o", os.path.join(FIX, "p_nosym.so")], check=True)
os.makedirs(os.path.join(FIX, "p_dir.so"), exist_ok=True)
