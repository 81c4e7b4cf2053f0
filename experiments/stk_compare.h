/* The experiments of docs/model.md#experiments (`stakehjb compare`, docs/cli.md): for every
 * regime (a YAML file of data/regimes), the HJB expert is solved and every policy is run
 * on M paths of T years in each environment (sde, abm) and shock scenario (none,
 * z_jump, stake_drop) on common random numbers (the path engine StkEvaluate: path p of
 * every policy has the same noise and the same golden-ratio start).  Per path the
 * metrics of stk_metrics.h; per row (regime x environment x scenario x policy) the mean
 * of every metric and, for the compared metrics (discounted_cost, tracking_rmse,
 * time_in_band, std_u, recovery_time; recovery only in the shock scenarios), the paired
 * difference to the reference policy (the first listed) with a bootstrap interval and a
 * Wilcoxon p-value, Holm-adjusted over the whole table (stk_stats.h).
 *
 * Each regime's objects are configured by its YAML file over the user's options: with
 * the regime's prefix P (its name, characters outside [a-z0-9_] made '_', then '_':
 * "bear_"), the file's options and then the user's options (recorded at the first SetUp)
 * are inserted under P, and every object of the regime (model, grid, solver, network,
 * policies, engines) reads under P, so a YAML value reaches only its regime and an
 * option of the command line overrides every regime's file.  Every rank solves the
 * regime's HJB on PETSC_COMM_SELF (so every table is bitwise the same on any number of
 * ranks), and rank 0 writes the solution next to the output, OUT_REGIME.h5.
 *
 * With the token price (-price and the -price_* options of docs/model.md#token-price,
 * read under each regime's prefix as every other option; issue 16) the abm environments
 * carry the price, and per path the price metrics of stk_price_metrics.h join the table
 * (StkSimPriceMetrics' conventions, the same as `stakehjb price`: shock = the first
 * price crash, supply dump or scenario shock), NaN in the sde rows; the summary gains
 * their means and, for the price metrics of StkComparePriceCompared (volatility,
 * entropy, resilience, recovery time, mean price, Herfindahl of holdings), the paired
 * differences with intervals and Holm-adjusted p, in columns after the others.
 * Without -price nothing changes.
 *
 *   StkCompareCreate -> [SetRegimes, SetPaths, ...: defaults] -> SetFromOptions
 *     -> SetOutput -> SetUp -> Run -> View / Write -> Destroy */
#pragma once
#include <petscsys.h>
#include "stk_metrics.h"

typedef struct _p_StkCompare *StkCompare;
/* Called on every rank after each policy has run in a scenario: `done` of `total` runs. */
typedef PetscErrorCode (*StkCompareMonitorFn)(StkCompare cmp, const char regime[], PetscInt done, PetscInt total, void *ctx);

PETSC_EXTERN PetscErrorCode StkCompareCreate(MPI_Comm comm, StkCompare *cmp);
/* Defaults that the -compare_* options (read by SetFromOptions, after) override.
 * Names are copied.  Regimes: names of files in -compare_regime_dir or paths to YAML
 * files; policies: types of docs/policies.md, the first the reference. */
PETSC_EXTERN PetscErrorCode StkCompareSetRegimes(StkCompare cmp, PetscInt n, const char *const names[]);
PETSC_EXTERN PetscErrorCode StkCompareSetPolicies(StkCompare cmp, PetscInt n, const char *const names[]);
PETSC_EXTERN PetscErrorCode StkCompareSetEnvironments(StkCompare cmp, PetscInt n, const char *const names[]);
PETSC_EXTERN PetscErrorCode StkCompareSetScenarios(StkCompare cmp, PetscInt n, const char *const names[]);
PETSC_EXTERN PetscErrorCode StkCompareSetPaths(StkCompare cmp, PetscInt paths);     /* -compare_paths (200) */
PETSC_EXTERN PetscErrorCode StkCompareSetYears(StkCompare cmp, PetscReal years);    /* -compare_years (20) */
PETSC_EXTERN PetscErrorCode StkCompareSetAgents(StkCompare cmp, PetscInt n_agents); /* -compare_agents (10000) */
/* The followers of the abm environment: transitory or persistent types, best response
 * or Hedge learners (persistent types only) with learning rate hedge_rate and
 * forgetting rate hedge_forget (1/yr) (-compare_abm_types, -compare_abm_response,
 * -compare_hedge_rate, -compare_hedge_forget; default transitory best responders, the
 * mean field's). */
PETSC_EXTERN PetscErrorCode StkCompareSetFollowers(StkCompare cmp, StkAbmTypes types, StkAbmResponse response, PetscReal hedge_rate, PetscReal hedge_forget);
PETSC_EXTERN PetscErrorCode StkCompareSetSamples(StkCompare cmp, PetscInt samples); /* -compare_samples (10) */
/* TAO iterations of the networks fitted to each regime's solution (0, the default: the
 * network's own default; -net_fit_max_it overrides either). */
PETSC_EXTERN PetscErrorCode StkCompareSetFitIterations(StkCompare cmp, PetscInt max_it);
PETSC_EXTERN PetscErrorCode StkCompareSetMonitor(StkCompare cmp, StkCompareMonitorFn monitor, void *ctx);
/* Options prefixes (grids/stk_options.h): the options below are read under USER +
 * "compare_" (after StkCompareSetOptionsPrefix(cmp, "x_"): -x_compare_paths); the
 * regimes' objects read under their own prefixes (above), whatever USER.  A prefix must
 * not start with '-'. */
PETSC_EXTERN PetscErrorCode StkCompareSetOptionsPrefix(StkCompare cmp, const char prefix[]);
PETSC_EXTERN PetscErrorCode StkCompareAppendOptionsPrefix(StkCompare cmp, const char prefix[]);
PETSC_EXTERN PetscErrorCode StkCompareGetOptionsPrefix(StkCompare cmp, const char *prefix[]);
/* -compare_regimes, -compare_regime_dir, -compare_policies, -compare_envs,
 * -compare_scenarios, -compare_paths, -compare_years, -compare_seed, -compare_agents,
 * -compare_shock_time, -compare_shock_dz, -compare_shock_frac, -compare_band,
 * -compare_recovery_hold, -compare_bootstrap, -compare_samples, -compare_sample_every;
 * and -price (the -price_* options are read by each regime). */
PETSC_EXTERN PetscErrorCode StkCompareSetFromOptions(StkCompare cmp);
/* Reads (and checks) the options each regime's objects will read under its prefix
 * REGIME_ (model, grid, solver, the listed policies, network), without the regime's
 * file and without work: so a program can tell an option of a regime (-bear_hjb_rho)
 * from an unknown one before it runs.  After StkCompareSetFromOptions. */
PETSC_EXTERN PetscErrorCode StkCompareReadRegimeOptions(StkCompare cmp);
/* The results file of Write; each regime's expert solution goes next to it, PATH without
 * its extension + _REGIME.h5.  Required before Run.  Errors if it is one of the regime
 * files. */
PETSC_EXTERN PetscErrorCode StkCompareSetOutput(StkCompare cmp, const char path[]);
/* Checks the settings (errors name the option and the value) and that every regime
 * file is readable, before any work.  Collective. */
PETSC_EXTERN PetscErrorCode StkCompareSetUp(StkCompare cmp);
/* Solves and simulates every regime, then computes the statistics (collective).  The
 * regimes' solution files are written into a staging directory next to the output
 * (grids/stk_files.h, StkOutputSet) and appear with the rest of the set at Write; an
 * error, a signal or Destroy before Write removes them. */
PETSC_EXTERN PetscErrorCode StkCompareRun(StkCompare cmp);
/* The table: mean cost and tracking RMSE per row and the cost's paired difference to
 * the reference with its interval and Holm-adjusted p. */
PETSC_EXTERN PetscErrorCode StkCompareView(StkCompare cmp, PetscViewer viewer);
/* A short summary, one line per regime (pooled over its cells, below): the policy of
 * lowest mean cost, the best baseline, and the baseline minus the reference in
 * discounted cost and tracking RMSE with 95 % intervals. */
PETSC_EXTERN PetscErrorCode StkCompareViewSummary(StkCompare cmp, PetscViewer viewer);
/* The results in group /compare of the output (docs/hdf5.md) and the summary in
 * OUTPUT.csv (rank 0), then the whole set (with the regimes' solution files) moved into
 * place at once.  Collective. */
PETSC_EXTERN PetscErrorCode StkCompareWrite(StkCompare cmp);
PETSC_EXTERN PetscErrorCode StkCompareDestroy(StkCompare *cmp);

/* The table's shape after SetUp: rows = regimes x environments x scenarios x policies,
 * row = ((regime * nenvs + env) * nscenarios + scenario) * npolicies + policy. */
PETSC_EXTERN PetscErrorCode StkCompareGetSizes(StkCompare cmp, PetscInt *nrows, PetscInt *npaths, PetscInt *ncolumns);
/* The per-path metrics, values[(row * STK_METRIC_COUNT + metric) * npaths + path]
 * (borrowed; the same on every rank). */
PETSC_EXTERN PetscErrorCode StkCompareGetPathMetrics(StkCompare cmp, const PetscReal **values);
/* With -price: the per-path price metrics, values[(row * STK_PRICE_METRIC_COUNT + metric)
 * * npaths + path] (borrowed; NaN in rows without a price); NULL without -price. */
PETSC_EXTERN PetscErrorCode StkCompareGetPricePathMetrics(StkCompare cmp, const PetscReal **values);
/* Replaces the per-path metrics (same layout, copied) and recomputes the statistics:
 * re-analysis of stored metrics, and tests with known values.  After SetUp. */
PETSC_EXTERN PetscErrorCode StkCompareSetPathMetrics(StkCompare cmp, const PetscReal values[]);
/* The summary, summary[row * ncolumns + j], and the name of column j: per metric M the
 * columns M (mean over the paths with a value) and M_n (their count), then
 * is_reference, then per compared metric M_diff, M_diff_lo, M_diff_hi (mean paired
 * difference to the reference and its 95 % bootstrap interval), M_p (Wilcoxon) and
 * M_p_holm; with -price then per price metric P the columns P and P_n, then per
 * compared price metric P_diff, P_diff_lo, P_diff_hi, P_p, P_p_holm. */
PETSC_EXTERN PetscErrorCode StkCompareGetSummary(StkCompare cmp, const PetscReal **summary);
PETSC_EXTERN PetscErrorCode StkCompareGetColumnName(StkCompare cmp, PetscInt j, char name[], size_t len);

/* The compared set's names (borrowed) and the index of the reference policy. */
PETSC_EXTERN PetscErrorCode StkCompareGetNames(StkCompare cmp, PetscInt *nregimes, const char *const **regimes, PetscInt *npolicies, const char *const **policies, PetscInt *reference);
/* The index of the policy called `name`, or -1. */
PETSC_EXTERN PetscErrorCode StkCompareFindPolicy(StkCompare cmp, const char name[], PetscInt *policy);
/* Pooled statistics after Run.  A regime's value on path i is the mean over its cells
 * (environments x scenarios) of the metric on path i; regime -1 pools every regime's
 * cells.  Paths remain the units (cells share a path's noise, paths are independent):
 * GetPooledMean is the mean over the paths, GetPooledDifference the mean over the paths
 * of policy minus the reference with its 95 % bootstrap interval (the comparison's
 * -compare_bootstrap replicates; paths with a NaN are skipped).  Not collective (the
 * table is the same on every rank). */
PETSC_EXTERN PetscErrorCode StkCompareGetPooledMean(StkCompare cmp, PetscInt regime, PetscInt policy, StkMetric metric, PetscReal *mean);
PETSC_EXTERN PetscErrorCode StkCompareGetPooledDifference(StkCompare cmp, PetscInt regime, PetscInt policy, StkMetric metric, PetscReal *mean, PetscReal *lo, PetscReal *hi);
/* The policy of the lowest pooled mean of `metric` in `regime` (-1: every regime); with
 * baselines_only the reference, the expert and the network are left out.  -1 if none. */
PETSC_EXTERN PetscErrorCode StkCompareGetBestPolicy(StkCompare cmp, PetscInt regime, StkMetric metric, PetscBool baselines_only, PetscInt *best);
