#!/bin/bash
# Bad input: a message naming the option or file and the bad value, a non-zero exit,
# and no output file (issue 2).  usage: check_cli_errors.sh STAKEHJB
set -u
exe=$1
datadir=${2:-$(dirname "$0")/../data}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

# expect_failure NAME PATTERN ARGS...: the run fails, stderr+stdout match PATTERN,
# and neither the output file nor a temporary of it exists.
expect_failure() {
  local name=$1 pattern=$2
  shift 2
  local out="$tmp/$name.h5"
  local log
  log=$("$exe" solve -o "$out" "$@" 2>&1)
  local rc=$?
  if [ $rc -ne 0 ] && grep -qE -- "$pattern" <<<"$log" && ! ls "$tmp"/"$name".h5* >/dev/null 2>&1; then
    echo "ok   $name (exit $rc)"
    passed=$((passed + 1))
  else
    echo "FAIL $name: exit $rc, expected message /$pattern/ and no $out*; output was:"
    echo "$log" | head -20
    failed=$((failed + 1))
  fi
}

expect_failure negative_volatility '-agents_sigma0.*-0.1' -agents_sigma0 -0.1
expect_failure negative_lq_volatility '-lq_sigma' -model lq -lq_sigma -0.2,0.1
expect_failure too_few_nodes '-grid_n.*2' -grid_n 2,17
expect_failure inverted_bounds '-hjb_u_min.*0.2.*-hjb_u_max' -hjb_u_min 0.2 -hjb_u_max 0.1
expect_failure sbar_out_of_range '-hjb_sbar.*1.5' -hjb_sbar 1.5
expect_failure unknown_model "-model 'foo'" -model foo
expect_failure bad_dimension '-dim.*7' -dim 7
expect_failure negative_sequence '-hjb_sequence.*-1' -hjb_sequence -1
expect_failure bad_forcing '-hjb_linear_forcing.*1.5' -hjb_linear_forcing 1.5
expect_failure bad_sequence_rtol '-hjb_sequence_rtol.*0' -hjb_sequence_rtol 0

printf 'hjb:\n  rho: [0.05\n  bad: : :\n' >"$tmp/bad.yaml"
expect_failure malformed_yaml 'bad.yaml' -options_file "$tmp/bad.yaml"
expect_failure missing_yaml 'nothere.yaml' -options_file "$tmp/nothere.yaml"

# an unwritable output path: a directory that does not exist, and one that is a file
log=$("$exe" solve -o /nonexistent_dir/x.h5 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q -- "-o.*/nonexistent_dir/x.h5" <<<"$log"; then
  echo "ok   unwritable_output (exit $rc)"; passed=$((passed + 1))
else
  echo "FAIL unwritable_output: exit $rc"; echo "$log" | head; failed=$((failed + 1))
fi
touch "$tmp/afile"
log=$("$exe" solve -o "$tmp/afile/x.h5" 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q -- "-o.*afile/x.h5" <<<"$log" && [ ! -e "$tmp/afile/x.h5" ]; then
  echo "ok   output_under_a_file (exit $rc)"; passed=$((passed + 1))
else
  echo "FAIL output_under_a_file: exit $rc"; echo "$log" | head; failed=$((failed + 1))
fi

# unknown command and no command
"$exe" frobnicate >/dev/null 2>&1 && { echo "FAIL unknown_command exited 0"; failed=$((failed + 1)); } || { echo "ok   unknown_command"; passed=$((passed + 1)); }

# -help lists every option with its default and solves nothing
log=$("$exe" solve -help -o "$tmp/help.h5" 2>&1); rc=$?
missing=""
for opt in -model -dim -grid_n -grid_lo -grid_hi -grid_stretch -grid_cluster -o -hjb_rho -hjb_rtol -hjb_max_it \
  -hjb_sequence -hjb_sequence_rtol -hjb_linear_forcing -hjb_bench \
  -hjb_greedy -hjb_monitor -hjb_ksp_type -hjb_pc_type -hjb_sbar -hjb_w_s -hjb_w_u -hjb_ubar -hjb_eta -hjb_u_min -hjb_u_max \
  -agents_cost -agents_cost_median -agents_cost_logsd -agents_s_max -agents_phi -agents_kappa -agents_sigma0 \
  -agents_zbar -agents_theta -agents_sigma_z -lq_a -lq_b -lq_q -lq_r -lq_sigma; do
  grep -q -- "$opt" <<<"$log" || missing="$missing $opt"
done
if [ $rc -eq 0 ] && [ -z "$missing" ] && [ ! -e "$tmp/help.h5" ]; then
  echo "ok   help_lists_options"; passed=$((passed + 1))
else
  echo "FAIL help_lists_options: exit $rc, missing:$missing"; failed=$((failed + 1))
fi

# every parameter file in data/ loads and solves (small grid), with its values applied
for f in "$datadir"/baseline.yaml "$datadir"/regimes/*.yaml; do
  log=$("$exe" solve -options_file "$f" -grid_n 33,9 -view -o "$tmp/regime.h5" 2>&1); rc=$?
  want=$(sed -n 's/^# Regime.*(\(.*\)).*/\1/p' "$f" | sed 's/ = / /; s/+//; s/, .*//')
  if [ $rc -eq 0 ] && { [ -z "$want" ] || grep -q -- "${want%% *}.*${want##* }" <<<"$log"; }; then
    echo "ok   data file ${f#"$datadir"/} ${want:+($want)}"; passed=$((passed + 1))
  else
    echo "FAIL data file $f: exit $rc, wanted '$want' in -view"; echo "$log" | tail -5; failed=$((failed + 1))
  fi
done

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
