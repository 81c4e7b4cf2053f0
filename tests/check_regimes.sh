#!/bin/bash
# Every regime of data/regimes solves to convergence (on a reduced grid).  The
# "volatile" regime makes the closed-form greedy map cycle; the solver must detect the
# stall and finish with the exact minimization (solver/stk_hjb.c).
# usage: check_regimes.sh STAKEHJB DATADIR
exe=$1
datadir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
for f in "$datadir"/regimes/*.yaml; do
  name=$(basename "$f" .yaml)
  log=$("$exe" solve -options_file "$f" -grid_n 65,17 -hjb_monitor -o "$tmp/$name.h5" 2>&1)
  if grep -q "^  converged in" <<<"$log" && [ -f "$tmp/$name.h5" ]; then
    echo "ok   $name: $(grep '^  converged in' <<<"$log" | sed 's/^ *//')$(grep -q stalled <<<"$log" && echo ' (after switching to the exact minimization)')"
  else
    echo "FAIL $name:"; echo "$log" | tail -5; failed=$((failed + 1))
  fi
done
exit $failed
