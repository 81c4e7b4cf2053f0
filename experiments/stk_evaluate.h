/* The path engine of the experiments (docs/model.md#experiments): one policy on M paths of an
 * environment (agents/stk_sim.h, sde or abm) on common random numbers, with the
 * per-path metrics of stk_metrics.h and, optionally, the first paths kept as samples.
 * `stakehjb simulate` (StkSimulation), `stakehjb compare` (StkCompare) and the
 * evaluation of `stakehjb run` all run their paths here.
 *
 * Common random numbers: path p uses the noise of replication p of the seed (StkSimRun's
 * `path`, the Philox counter) and the start state of rule -eval_start, the same for
 * every policy run by the same object, so paired differences between policies are
 * differences on the same noise and the same starts.  Start rules:
 *   golden      s0_p = s_lo + (s_hi - s_lo) frac(0.6180339887498949 p + 1/2), z0 = zbar:
 *               a low-discrepancy spread in which any prefix of the paths is spread and
 *               path p starts at the same state whatever M (the default, [0.2, 0.85]);
 *   stratified  s0_p = s_lo + (s_hi - s_lo) (p + 1/2) / M, z0 = zbar;
 *   fixed       (s0, z0) for every path (z0 NaN: zbar).
 *
 * Parallelism: paths spread over the ranks (path p on rank p mod size, each simulated on
 * PETSC_COMM_SELF; the default), or, for an abm, every path on all ranks with its agents
 * spread over them (-eval_parallel agents: few paths of many agents).  Either way every
 * rank ends with every metric and sample, bitwise the same on any number of ranks (each
 * entry is computed by one rank and gathered by a sum with zeros, which is exact).
 *
 * The simulator records every step and the metrics use them all; the kept samples are
 * every stride-th record of the first nsamples paths.
 *
 *   StkEvaluateCreate -> SetModel [-> SetPopulation] -> SetFromOptions and/or setters
 *     [-> GetSim: settings, shocks] -> SetUp -> (SetPolicy -> Run -> GetMetrics /
 *     GetSamples)* -> View -> Destroy */
#pragma once
#include "stk_policy.h"
#include "stk_sim.h"
#include "stk_metrics.h"

typedef enum { STK_EVAL_START_GOLDEN, STK_EVAL_START_STRATIFIED, STK_EVAL_START_FIXED } StkEvaluateStart;
PETSC_EXTERN const char *const StkEvaluateStarts[];
typedef enum { STK_EVAL_PARALLEL_PATHS, STK_EVAL_PARALLEL_AGENTS } StkEvaluateParallel;
PETSC_EXTERN const char *const StkEvaluateParallels[];

typedef struct _p_StkEvaluate *StkEvaluate;
/* Called on every rank during Run, every 64 steps and at the end of each of this rank's
 * paths: `done` of this rank's `total` paths are finished, the current one is at time t
 * of t_final. */
typedef PetscErrorCode (*StkEvaluateMonitorFn)(StkEvaluate ev, PetscInt done, PetscInt total, PetscReal t, PetscReal t_final, void *ctx);

PETSC_EXTERN PetscErrorCode StkEvaluateCreate(MPI_Comm comm, StkEvaluate *ev);
/* The planner's model: the cost l, the discount rho, the target sbar, and (unless
 * SetPopulation is called) the token holders of the environment.  Borrowed; a staking
 * model.  Call it before SetFromOptions: -sim_dim then defaults to the model's. */
PETSC_EXTERN PetscErrorCode StkEvaluateSetModel(StkEvaluate ev, StkModel model);
/* The environment's token holders when they differ from the model's (misspecification).
 * Borrowed. */
PETSC_EXTERN PetscErrorCode StkEvaluateSetPopulation(StkEvaluate ev, StkPopulation pop);
/* The policy to evaluate (see StkPolicyGetFunction): fn and reset are called on each
 * rank for that rank's paths with a private state of state_size bytes. */
PETSC_EXTERN PetscErrorCode StkEvaluateSetPolicy(StkEvaluate ev, StkPolicyFn fn, StkPolicyResetFn reset, void *ctx, size_t state_size);
/* Setters of what the options below set (defaults in parentheses); the options, read
 * after, override them. */
PETSC_EXTERN PetscErrorCode StkEvaluateSetPaths(StkEvaluate ev, PetscInt npaths);                   /* -eval_paths (16) */
PETSC_EXTERN PetscErrorCode StkEvaluateSetSeed(StkEvaluate ev, PetscInt seed);                      /* -eval_seed (12345) */
PETSC_EXTERN PetscErrorCode StkEvaluateSetStart(StkEvaluate ev, StkEvaluateStart rule);             /* -eval_start (golden) */
PETSC_EXTERN PetscErrorCode StkEvaluateSetStartRange(StkEvaluate ev, PetscReal s_lo, PetscReal s_hi); /* -eval_s_lo, -eval_s_hi (0.2, 0.85) */
PETSC_EXTERN PetscErrorCode StkEvaluateSetStartState(StkEvaluate ev, PetscReal s0, PetscReal z0);   /* -eval_s0, -eval_z0 (0.5, NaN) */
/* Half-width of the band around sbar (time_in_band, recovery) and the recovery hold in
 * years (-eval_band 0.02, -eval_hold_days 30). */
PETSC_EXTERN PetscErrorCode StkEvaluateSetBand(StkEvaluate ev, PetscReal band, PetscReal hold);
/* Keep every stride-th record of the first nsamples paths (0: none, the default). */
PETSC_EXTERN PetscErrorCode StkEvaluateSetSamples(StkEvaluate ev, PetscInt nsamples, PetscInt stride);
PETSC_EXTERN PetscErrorCode StkEvaluateSetParallel(StkEvaluate ev, StkEvaluateParallel mode); /* -eval_parallel (paths) */
PETSC_EXTERN PetscErrorCode StkEvaluateSetMonitor(StkEvaluate ev, StkEvaluateMonitorFn monitor, void *ctx);
/* Options prefixes (grids/stk_options.h): the engine reads its options under USER +
 * "eval_" and hands USER to its simulator (USER + "sim_"); after
 * StkEvaluateSetOptionsPrefix(ev, "bear_") it reads -bear_eval_paths and -bear_sim_dt.
 * A prefix must not start with '-'. */
PETSC_EXTERN PetscErrorCode StkEvaluateSetOptionsPrefix(StkEvaluate ev, const char prefix[]);
PETSC_EXTERN PetscErrorCode StkEvaluateAppendOptionsPrefix(StkEvaluate ev, const char prefix[]);
PETSC_EXTERN PetscErrorCode StkEvaluateGetOptionsPrefix(StkEvaluate ev, const char *prefix[]);
/* -eval_paths M, -eval_seed, -eval_start golden|stratified|fixed, -eval_s_lo, -eval_s_hi,
 * -eval_s0, -eval_z0, -eval_band, -eval_hold_days, -eval_parallel paths|agents, and the
 * environment's -sim_* options (type, dim, dt, t_final, n, shocks, ...; -sim_seed,
 * -sim_s0, -sim_z0 and -sim_every are replaced by the seed, the start rule and the
 * samples' stride of this object). */
PETSC_EXTERN PetscErrorCode StkEvaluateSetFromOptions(StkEvaluate ev);
/* The environment's simulator (on the object's communicator): callers may change its
 * settings or add shocks before SetUp (the settings after SetUp are those the paths
 * run with: seed, every = 1, path 0's start).  Borrowed. */
PETSC_EXTERN PetscErrorCode StkEvaluateGetSim(StkEvaluate ev, StkSim *sim);
/* Checks everything (errors name the option and the value) and builds the simulator
 * that runs the paths.  Collective. */
PETSC_EXTERN PetscErrorCode StkEvaluateSetUp(StkEvaluate ev);
/* Simulates the M paths under the current policy and computes the metrics (collective). */
PETSC_EXTERN PetscErrorCode StkEvaluateRun(StkEvaluate ev);
/* The metrics of the last Run: values[p * nmetrics + m] for path p, metric m
 * (StkMetric), named names[m] (borrowed, valid until the next Run or Destroy; the same
 * on every rank). */
PETSC_EXTERN PetscErrorCode StkEvaluateGetMetrics(StkEvaluate ev, PetscInt *npaths, PetscInt *nmetrics, const char *const **names, const PetscReal **values);
/* The price metrics of the last Run when the environment carries the token price
 * (-sim_type abm with -price, or StkSimSetPrice on GetSim's simulator; stk_sim_price.h):
 * values[p * STK_PRICE_METRIC_COUNT + m] for path p, metric m of stk_price_metrics.h
 * (StkSimPriceMetrics' conventions), and ends[2 p], ends[2 p + 1] the path's price at
 * t = 0 and at T, USD (borrowed, the same on every rank; either output may be NULL);
 * NULL without a price. */
PETSC_EXTERN PetscErrorCode StkEvaluateGetPriceMetrics(StkEvaluate ev, const PetscReal **values, const PetscReal **ends);
/* Metric m of every path, copied into out[0..M-1]. */
PETSC_EXTERN PetscErrorCode StkEvaluateGetMetric(StkEvaluate ev, StkMetric m, PetscReal out[]);
/* The kept samples of the last Run: nrec records t[k] = k stride dt of the first
 * nsamples paths, s[i * nrec + k] for sample i (likewise z, u); borrowed, any output
 * may be NULL. */
PETSC_EXTERN PetscErrorCode StkEvaluateGetSamples(StkEvaluate ev, PetscInt *nsamples, PetscInt *nrec, PetscInt *stride, const PetscReal **t, const PetscReal **s, const PetscReal **z, const PetscReal **u);
/* Steps per path (SetUp runs first: collective). */
PETSC_EXTERN PetscErrorCode StkEvaluateGetNumSteps(StkEvaluate ev, PetscInt *nsteps);
/* The regime chain of the environment (StkSimSetRegimes, -sim_regime_files) over all
 * paths of the last Run: M (0 without a chain), the steps spent in each regime (M) and
 * the switches i -> j (M x M, row-major); the same on every rank (borrowed). */
PETSC_EXTERN PetscErrorCode StkEvaluateGetRegimeStats(StkEvaluate ev, PetscInt *M, const PetscInt64 **steps, const PetscInt64 **jumps);
/* The start state of path p (z0 NaN: zbar). */
PETSC_EXTERN PetscErrorCode StkEvaluateGetStart(StkEvaluate ev, PetscInt p, PetscReal *s0, PetscReal *z0);
PETSC_EXTERN PetscErrorCode StkEvaluateView(StkEvaluate ev, PetscViewer viewer);
PETSC_EXTERN PetscErrorCode StkEvaluateDestroy(StkEvaluate *ev);
