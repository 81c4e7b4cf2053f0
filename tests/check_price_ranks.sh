#!/bin/bash
# stakehjb price (issue 16): the table is bitwise the same on 1 and 2 ranks, and the
# price changes the staking (the real yield): a price rising fast (buy rate 2/yr) gives
# a higher mean staking ratio than the default market.
# usage: check_price_ranks.sh STAKEHJB MPIEXEC
set -euo pipefail
exe=$1 mpiexec=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
args=(price -price -sim_type abm -sim_n 3001 -sim_t_final 0.5 -price_paths 2 -price_crash_time 0.2 -price_policies ethereum,tezos)
"$exe" "${args[@]}" -o "$dir/one.csv" > /dev/null
"$mpiexec" -n 2 --oversubscribe "$exe" "${args[@]}" -o "$dir/two.csv" > /dev/null
cmp "$dir/one.csv" "$dir/two.csv"
"$exe" "${args[@]}" -price_buy_rate 2 -o "$dir/fast.csv" > /dev/null
/usr/bin/python3 - "$dir/one.csv" "$dir/fast.csv" <<'PY'
import csv, sys
def mean_s(p):
    return {r["policy"]: float(r["mean_s"]) for r in csv.DictReader(open(p))}
a, b = mean_s(sys.argv[1]), mean_s(sys.argv[2])
for k in a:
    assert b[k] > a[k] + 0.01, (k, a[k], b[k])
print("ranks agree; mean s with a rising price", b, "vs", a)
PY
