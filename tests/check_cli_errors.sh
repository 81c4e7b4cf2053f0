#!/bin/bash
# Bad input: a message naming the option or file and the bad value, a non-zero exit,
# and no output file (issues 2, 3).  usage: check_cli_errors.sh STAKEHJB [DATADIR]
set -u
exe=$1
datadir=${2:-$(dirname "$0")/../data}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

# expect_failure_of COMMAND NAME PATTERN ARGS...: `stakehjb COMMAND` fails, its
# stderr+stdout match PATTERN, and neither the output file nor a temporary of it exists.
expect_failure_of() {
  local command=$1 name=$2 pattern=$3
  shift 3
  local out="$tmp/$name.h5"
  local log
  log=$("$exe" "$command" -o "$out" "$@" 2>&1)
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
expect_failure() { expect_failure_of solve "$@"; }

expect_failure negative_volatility '-agents_sigma0.*-0.1' -agents_sigma0 -0.1
expect_failure negative_lq_volatility '-lq_sigma' -model lq -lq_sigma -0.2,0.1
expect_failure too_few_nodes '-grid_n.*2' -grid_n 2,17
expect_failure inverted_bounds '-hjb_u_min.*0.2.*-hjb_u_max' -hjb_u_min 0.2 -hjb_u_max 0.1
expect_failure sbar_out_of_range '-hjb_sbar.*1.5' -hjb_sbar 1.5
expect_failure unknown_model "-model 'foo'" -model foo
expect_failure bad_dimension '-dim.*7' -dim 7
expect_failure bangbang_is_1d '-dim 1.*-dim 2' -model bangbang -dim 2
expect_failure negative_mms_volatility '-mms_sigma.*-0.3' -model mms -mms_sigma -0.3
expect_failure merton_log_utility '-merton_gamma.*1' -model merton -merton_gamma 1
expect_failure merton_no_finite_value '-hjb_rho' -model merton -merton_gamma 0.5 -hjb_rho 0.01
expect_failure merton_pi_outside_bounds '-merton_pi_max' -model merton -merton_pi_max 0.5
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

# -help lists the command's options, PETSc's solver and viewer options only with -help all
short=$("$exe" solve -help -o "$tmp/help.h5" 2>&1)
if [ "$(wc -l <<<"$short")" -lt 150 ] && grep -q -- "-hjb_rho" <<<"$short" && ! grep -q -- "-hjb_ksp_type" <<<"$short" \
  && [ "$(grep -n -- '-o <' <<<"$short" | cut -d: -f1)" -lt "$(grep -n -- '-hjb_rho' <<<"$short" | cut -d: -f1)" ]; then
  echo "ok   help_is_short (command's options first, no PETSc solver options)"; passed=$((passed + 1))
else
  echo "FAIL help_is_short: $(wc -l <<<"$short") lines"; failed=$((failed + 1))
fi
# -help all lists every option with its default and solves nothing
log=$("$exe" solve -help all -o "$tmp/help.h5" 2>&1); rc=$?
missing=""
for opt in -model -dim -grid_n -grid_lo -grid_hi -grid_stretch -grid_cluster -o -hjb_rho -hjb_rtol -hjb_max_it \
  -hjb_sequence -hjb_sequence_rtol -hjb_linear_forcing -hjb_bench \
  -hjb_greedy -hjb_monitor -hjb_ksp_type -hjb_pc_type -hjb_sbar -hjb_w_s -hjb_w_u -hjb_ubar -hjb_eta -hjb_u_min -hjb_u_max \
  -agents_cost -agents_cost_median -agents_cost_logsd -agents_s_max -agents_phi -agents_kappa -agents_sigma0 \
  -agents_zbar -agents_theta -agents_sigma_z -lq_a -lq_b -lq_q -lq_r -lq_sigma -bb_sigma -bb_box -mms_sigma \
  -merton_r -merton_mu -merton_sigma -merton_gamma -merton_wlo -merton_whi -merton_cmax -merton_pi_min -merton_pi_max; do
  grep -q -- "$opt" <<<"$log" || missing="$missing $opt"
done
if [ $rc -eq 0 ] && [ -z "$missing" ] && [ ! -e "$tmp/help.h5" ]; then
  echo "ok   help_lists_options"; passed=$((passed + 1))
else
  echo "FAIL help_lists_options: exit $rc, missing:$missing"; failed=$((failed + 1))
fi

# every parameter file in data/ loads and solves (small grid), with its values applied
for f in "$datadir"/baseline.yaml "$datadir"/solve_fast.yaml "$datadir"/solve_former.yaml "$datadir"/regimes/*.yaml; do
  log=$("$exe" solve -options_file "$f" -grid_n 33,9 -view -o "$tmp/regime.h5" 2>&1); rc=$?
  want=$(sed -n 's/^# Regime.*(\(.*\)).*/\1/p' "$f" | sed 's/ = / /; s/+//; s/, .*//')
  if [ $rc -eq 0 ] && { [ -z "$want" ] || grep -q -- "${want%% *}.*${want##* }" <<<"$log"; }; then
    echo "ok   data file ${f#"$datadir"/} ${want:+($want)}"; passed=$((passed + 1))
  else
    echo "FAIL data file $f: exit $rc, wanted '$want' in -view"; echo "$log" | tail -5; failed=$((failed + 1))
  fi
done

# the solver settings: the defaults name hierarchy reuse and the linear target in the
# solver's view, data/solve_former.yaml (the defaults before issue 14) turns both off, and
# data/solve_fast.yaml stops the coarse grids at 0.1 with no error estimate
view_has() { grep -q -- "$2" <<<"$1"; }
log=$("$exe" solve -grid_n 65,17 -view -o "$tmp/default.h5" 2>&1); rc=$?
former=$("$exe" solve -options_file "$datadir/solve_former.yaml" -grid_n 65,17 -view -o "$tmp/former.h5" 2>&1); rc_former=$?
fast=$("$exe" solve -options_file "$datadir/solve_fast.yaml" -grid_n 65,17 -view -o "$tmp/fast.h5" 2>&1); rc_fast=$?
if [ $rc -eq 0 ] && view_has "$log" "-hjb_linear_target" && view_has "$log" "-hjb_pc_reuse_below" && view_has "$log" "^  converged in" \
   && [ $rc_former -eq 0 ] && ! view_has "$former" "-hjb_linear_target" && ! view_has "$former" "-hjb_pc_reuse_below" && view_has "$former" "^  converged in" \
   && [ $rc_fast -eq 0 ] && view_has "$fast" "(rtol 0.1 there)" && view_has "$fast" "error estimate: none" && view_has "$fast" "^  converged in"; then
  echo "ok   solver settings: defaults, data/solve_former.yaml, data/solve_fast.yaml in the solver's view"; passed=$((passed + 1))
else
  echo "FAIL solver settings: exit $rc / $rc_former / $rc_fast"; printf '%s\n' "$log" "$former" "$fast" | grep -E "linear_target|pc_reuse|rtol .* there|error estimate|converged" | tail -12; failed=$((failed + 1))
fi

# stakehjb simulate (issue 3): bad sizes, rates, horizons, cost files and policies
printf 'cost\n0.03\n0.05;\n' >"$tmp/malformed.csv"
printf '# only comments\ncost\n\n' >"$tmp/empty.csv"
printf '0.04\n-0.01\n' >"$tmp/negative.csv"
expect_failure_of simulate sim_no_agents '-sim_n \(number of agents\) must be >= 1, got 0' -sim_type abm -sim_n 0
expect_failure_of simulate sim_negative_agents '-sim_n .*got -5' -sim_type abm -sim_n -5
expect_failure_of simulate sim_zero_kappa '-agents_kappa must be > 0.*got 0' -agents_kappa 0
expect_failure_of simulate sim_negative_kappa '-agents_kappa must be > 0.*got -2' -sim_type abm -agents_kappa -2
expect_failure_of simulate sim_zero_horizon '-sim_t_final must be > 0.*got 0' -sim_t_final 0
expect_failure_of simulate sim_negative_horizon '-sim_t_final must be > 0.*got -1' -sim_type abm -sim_t_final -1
expect_failure_of simulate sim_zero_paths '-sim_paths must be >= 1, got 0' -sim_paths 0
expect_failure_of simulate sim_missing_csv '-agents_cost_file .*nothere.csv: cannot open' -agents_cost_file "$tmp/nothere.csv"
expect_failure_of simulate sim_malformed_csv 'malformed.csv, line 3: "0.05;" is not a number' -agents_cost_file "$tmp/malformed.csv"
expect_failure_of simulate sim_empty_csv 'empty.csv holds no costs' -agents_cost_file "$tmp/empty.csv"
expect_failure_of simulate sim_negative_csv 'negative.csv, line 2: cost -0.01 is negative' -sim_type abm -agents_cost_file "$tmp/negative.csv"
expect_failure_of simulate sim_csv_wrong_family '-agents_cost_file .* needs -agents_cost empirical, got -agents_cost gamma' -agents_cost gamma -agents_cost_file "$datadir/costs_example.csv"
expect_failure_of simulate sim_negative_u '-policy_u must be >= 0.*got -0.01' -policy fixed -policy_u -0.01
expect_failure_of simulate sim_no_policy_file '-policy solution needs -policy_file' -policy solution
expect_failure_of simulate sim_missing_policy_file "nothere.h5: cannot open the HDF5 file" -policy solution -policy_file "$tmp/nothere.h5"
expect_failure_of simulate sim_hedge_transitory '-sim_abm_response hedge needs -sim_abm_types persistent' -sim_type abm -sim_abm_response hedge
expect_failure_of simulate sim_shock_after_end '-sim_shock_t 20.* lies after the end' -sim_t_final 10 -sim_shock_t 20
expect_failure_of simulate sim_lq_model '-model lq has no token holders' -model lq

log=$("$exe" simulate -help -o "$tmp/simhelp.h5" 2>&1); rc=$?
missing=""
for opt in -sim_type -sim_dim -sim_dt -sim_t_final -sim_seed -sim_s0 -sim_z0 -sim_every -sim_n -sim_abm_types -sim_abm_response \
  -sim_abm_engine -sim_abm_block -sim_hedge_rate -sim_hedge_forget -sim_shock_t -sim_shock_dz -sim_shock_frac -sim_paths \
  -sim_max_records -sim_band -sim_recovery_hold -policy -policy_u -policy_file -agents_cost_file -agents_cost_shape -agents_kappa -hjb_sbar -o; do
  grep -q -- "$opt" <<<"$log" || missing="$missing $opt"
done
if [ $rc -eq 0 ] && [ -z "$missing" ] && [ ! -e "$tmp/simhelp.h5" ]; then
  echo "ok   simulate_help_lists_options"; passed=$((passed + 1))
else
  echo "FAIL simulate_help_lists_options: exit $rc, missing:$missing"; failed=$((failed + 1))
fi

# the opt-outs: -allow_unused_options warns and runs, -hjb_allow_not_converged writes anyway
log=$("$exe" solve -grid_n 17,9 -hjb_rhoo 0.1 -allow_unused_options -o "$tmp/unused.h5" 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q -- "warning: -hjb_rhoo: unknown option.*did you mean -hjb_rho" <<<"$log" && [ -e "$tmp/unused.h5" ]; then
  echo "ok   allow_unused_options"; passed=$((passed + 1))
else
  echo "FAIL allow_unused_options: exit $rc"; echo "$log" | head -5; failed=$((failed + 1))
fi
log=$("$exe" solve -grid_n 33,9 -hjb_max_it 1 -hjb_sequence 0 -hjb_allow_not_converged -o "$tmp/nc.h5" 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "NOT CONVERGED" <<<"$log" && [ -e "$tmp/nc.h5" ]; then
  echo "ok   allow_not_converged"; passed=$((passed + 1))
else
  echo "FAIL allow_not_converged: exit $rc"; echo "$log" | head -5; failed=$((failed + 1))
fi
# -version runs nothing; the default sequencing on a grid that cannot be halved says so
log=$("$exe" solve -version -o "$tmp/version.h5" 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "^stakehjb .*PETSc" <<<"$log" && [ ! -e "$tmp/version.h5" ]; then
  echo "ok   command_version"; passed=$((passed + 1))
else
  echo "FAIL command_version: exit $rc"; echo "$log" | head -5; failed=$((failed + 1))
fi
log=$("$exe" solve -grid_n 64,17 -o "$tmp/odd.h5" 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "grid sequencing: off, the grid cannot be halved" <<<"$log"; then
  echo "ok   sequencing_off_noted"; passed=$((passed + 1))
else
  echo "FAIL sequencing_off_noted: exit $rc"; echo "$log" | head -5; failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
