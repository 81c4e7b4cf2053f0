#!/usr/bin/env python3
"""Fixtures of tests/bad_input/options.tsv: a small solution.h5 and its network.h5, a
good YAML options file and broken ones.  usage: make_fixtures.py FIXDIR STAKEHJB"""
import os
import subprocess
import sys

fixdir, exe = sys.argv[1], sys.argv[2]
os.makedirs(fixdir, exist_ok=True)
quiet = dict(check=True, stdout=subprocess.DEVNULL, cwd=fixdir)
subprocess.run([exe, "solve", "-grid_n", "17,9", "-o", os.path.join(fixdir, "solution.h5")], **quiet)
subprocess.run([exe, "fit", "-i", os.path.join(fixdir, "solution.h5"), "-o", os.path.join(fixdir, "network.h5"),
                "-net_fit_max_it", "50"], **quiet)
for leftover in ("solution.xmf",):  # the solve's ParaView companion is no fixture
    p = os.path.join(fixdir, leftover)
    if os.path.exists(p):
        os.remove(p)

files = {
    "good.yaml": "hjb:\n  rho: 0.05\n  sbar: 0.6\nagents:\n  kappa: 2.0\n",
    "unknown_key.yaml": "hjb:\n  rho: 0.05\n  rhoo: 0.1\n",
    "unknown_section.yaml": "hbj:\n  rho: 0.05\n",
    "truncated.yaml": "hjb:\n  rho: 0.05\n  sbar: [0.6\n",
    "truncated_key.yaml": "hjb:\n  rho: 0.05\nagents\n",
    "bad_indent.yaml": "hjb:\n  rho: 0.05\n sbar: 0.6\n",
    "empty_value.yaml": "hjb:\n  rho:\n",
    "text_value.yaml": "hjb:\n  rho: fast\n",
    "inf_value.yaml": "hjb:\n  rho: .inf\n",
    "nan_value.yaml": "agents:\n  kappa: nan\n",
    "negative.yaml": "hjb:\n  rho: -0.05\n",
    "tabs.yaml": "hjb:\n\trho: 0.05\n",
    "binary.yaml": "hjb:\n  rho: \x00\x01\x02\n",
}
for name, text in files.items():
    with open(os.path.join(fixdir, name), "w", encoding="utf-8") as f:
        f.write(text)
