/* Evaluation of an issuance policy on a simulation environment (MODEL.md section 6):
 * M paths on common random numbers, with the per-path metrics
 *
 *   rmse              tracking RMSE of s - sbar over time
 *   in_band           fraction of time with |s - sbar| <= band (0.02)
 *   u_mean, u_vol     mean and standard deviation over time of the issuance u (1/yr)
 *   cost              discounted cost int_0^T e^{-rho t} l(x, u) dt (the model's l, rho)
 *   recovery_time     years from the first shock (t = 0 without shocks) to the first
 *                     time |s - sbar| < band then holds for hold_days (30) days
 *   recovery_censored 1 if that never happened before the horizon (recovery_time is
 *                     then the time left after the shock), else 0
 *   herfindahl        abm: time average of 1/S, S = round(s N) stakers (the Herfindahl
 *                     index of stake shares when every holder has the same holdings:
 *                     S shares of 1/S each); sde: NaN
 *
 * Time integrals are left Riemann sums over the recorded points (spacing h = dt
 * -sim_every): int f dt = sum_{k=0}^{K-1} f(t_k) h, T = K h; time averages divide by T.
 *
 * Path p uses the noise of replication p (StkSimRun's `path`, with -eval_seed as the
 * generator's key) and starts at s0_p = s_lo + (s_hi - s_lo) (p + 1/2) / M, z0 = zbar
 * (-eval_start spread, stratified) or at (-eval_s0, -eval_z0) (-eval_start fixed), so
 * two policies evaluated by the same object see the same noise and the same starts.
 * Paths are spread over the ranks (path p on rank p mod size, each simulated on
 * PETSC_COMM_SELF) and gathered: every rank holds every metric, bitwise the same on any
 * number of ranks.
 *
 *   StkEvaluateCreate -> SetModel [-> SetPopulation] -> SetFromOptions -> SetUp
 *     -> (SetPolicy -> Run -> GetMetrics)* -> Destroy */
#pragma once
#include "stk_policy.h"
#include "stk_sim.h"

typedef enum { STK_EVAL_START_SPREAD, STK_EVAL_START_FIXED } StkEvaluateStart;
PETSC_EXTERN const char *const StkEvaluateStarts[];

enum { STK_EVAL_RMSE, STK_EVAL_IN_BAND, STK_EVAL_U_MEAN, STK_EVAL_U_VOL, STK_EVAL_COST, STK_EVAL_RECOVERY, STK_EVAL_CENSORED, STK_EVAL_HERFINDAHL, STK_EVAL_NMETRICS };

typedef struct _p_StkEvaluate *StkEvaluate;

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
/* The number of paths M (default 16; -eval_paths overrides it). */
PETSC_EXTERN PetscErrorCode StkEvaluateSetNumPaths(StkEvaluate ev, PetscInt npaths);
/* -eval_paths M, -eval_seed, -eval_start spread|fixed, -eval_s_lo, -eval_s_hi,
 * -eval_s0, -eval_z0, -eval_band, -eval_hold_days, and the environment's -sim_*
 * options (type, dim, dt, t_final, n, shocks, ...; -sim_seed and -sim_s0 are replaced
 * by -eval_seed and the start rule). */
PETSC_EXTERN PetscErrorCode StkEvaluateSetFromOptions(StkEvaluate ev);
/* The environment's simulator (created on PETSC_COMM_SELF; every rank has its own
 * copy with the same settings): callers may change its settings or add shocks before
 * SetUp.  Borrowed. */
PETSC_EXTERN PetscErrorCode StkEvaluateGetSim(StkEvaluate ev, StkSim *sim);
PETSC_EXTERN PetscErrorCode StkEvaluateSetUp(StkEvaluate ev);
/* Simulates the M paths under the current policy and computes the metrics (collective). */
PETSC_EXTERN PetscErrorCode StkEvaluateRun(StkEvaluate ev);
/* The metrics of the last Run: values[p * nmetrics + m] for path p, metric m, named
 * names[m] (borrowed, valid until the next Run or Destroy; the same on every rank). */
PETSC_EXTERN PetscErrorCode StkEvaluateGetMetrics(StkEvaluate ev, PetscInt *npaths, PetscInt *nmetrics, const char *const **names, const PetscReal **values);
/* Metric m of every path, copied into out[0..M-1]. */
PETSC_EXTERN PetscErrorCode StkEvaluateGetMetric(StkEvaluate ev, PetscInt m, PetscReal out[]);
/* The start state of path p. */
PETSC_EXTERN PetscErrorCode StkEvaluateGetStart(StkEvaluate ev, PetscInt p, PetscReal *s0, PetscReal *z0);
PETSC_EXTERN PetscErrorCode StkEvaluateView(StkEvaluate ev, PetscViewer viewer);
PETSC_EXTERN PetscErrorCode StkEvaluateDestroy(StkEvaluate *ev);

/* The metrics of one recorded path (n records spaced h apart, t[0] the start), with
 * the model's cost and discount, target sbar, band, hold time (yr), first shock time
 * (NaN: none), and agent count (0: no Herfindahl index, NaN).  Not collective; the
 * building block of Run, public so the refinement and the tests share it. */
PETSC_EXTERN PetscErrorCode StkEvaluatePathMetrics(StkModel model, PetscReal sbar, PetscReal band, PetscReal hold, PetscReal t_shock, PetscInt n_agents, PetscInt n, PetscReal h, const StkSimPath *path, PetscReal metrics[]);
