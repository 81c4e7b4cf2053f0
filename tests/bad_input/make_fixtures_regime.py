#!/usr/bin/env python3
"""Fixtures of tests/bad_input/regime.tsv: regime parameter files for -regime_files (two
staking regimes, an lq one, a broken one).  usage: make_fixtures_regime.py FIXDIR STAKEHJB"""
import os
import sys

fixdir = sys.argv[1]
os.makedirs(os.path.join(fixdir, "other"), exist_ok=True)
files = {
    "regime_calm.yaml": "model: staking\ndim: 1\nhjb:\n  rho: 0.05\n",
    "regime_bear.yaml": "model: staking\ndim: 1\nhjb:\n  rho: 0.06\nagents:\n  zbar: 0.02\n",
    "regime_lq.yaml": "model: lq\ndim: 1\nhjb:\n  rho: 0.5\n",
    "regime_negative.yaml": "model: staking\ndim: 1\nhjb:\n  rho: -0.05\n",
    "other/regime_calm.yaml": "model: staking\ndim: 1\n",
}
for name, text in files.items():
    with open(os.path.join(fixdir, name), "w", encoding="utf-8") as f:
        f.write(text)
