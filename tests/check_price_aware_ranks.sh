#!/bin/bash
# stakehjb price with the price-aware expert (issue 16 item 2): the table is bitwise the
# same on 1 and 2 ranks, and the price-aware expert issues differently from the plain one.
# usage: check_price_aware_ranks.sh STAKEHJB MPIEXEC
set -euo pipefail
exe=$1 mpiexec=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$exe" solve -grid_n 65,17 -o "$dir/plain.h5" > /dev/null
"$exe" solve -model staking_price -grid_n 65,33 -staking_price_w_p 4 -o "$dir/aware.h5" > /dev/null
args=(price -price -sim_type abm -sim_n 3001 -sim_t_final 0.5 -price_paths 2 -price_crash_time 0.2
  -price_policies expert,price_aware -price_expert_file "$dir/plain.h5" -price_aware_file "$dir/aware.h5")
"$exe" "${args[@]}" -o "$dir/one.csv" > /dev/null
"$mpiexec" -n 2 --oversubscribe "$exe" "${args[@]}" -o "$dir/two.csv" > /dev/null
cmp "$dir/one.csv" "$dir/two.csv"
/usr/bin/python3 - "$dir/one.csv" <<'PY'
import csv, sys
rows = {r["policy"]: r for r in csv.DictReader(open(sys.argv[1]))}
du = abs(float(rows["expert"]["mean_u"]) - float(rows["price_aware"]["mean_u"]))
assert du > 1e-3, du
print("ranks agree; mean u expert", rows["expert"]["mean_u"], "price_aware", rows["price_aware"]["mean_u"])
PY
