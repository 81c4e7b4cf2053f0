/* Metrics of one simulated path (docs/model.md#experiments): the one vocabulary of every
 * experiment (StkEvaluate, `stakehjb simulate`, `stakehjb compare`, `stakehjb run`).
 *
 * A path is recorded at every step: records n = 0 .. N (N = nsteps), t_n = n dt, with
 * u_n held on [t_n, t_n + dt).  Time integrals are left Riemann sums over [0, T],
 * T = N dt: int f dt = sum_{n<N} f(t_n) dt; time averages divide by T.
 *
 * Recovery (the one convention): t_0 is the first shock's time (t_0 = 0 without
 * shocks) and n_0 = ceil(t_0 / dt - 1e-3) the step at which the shock is applied.  The
 * path has recovered at the first record r >= n_0 such that records r .. r + m all lie
 * strictly inside the band, |s - sbar| < band, with m = ceil(hold / dt) (the hold in
 * steps); then
 *   recovery_time = (r - n_0) dt,  recovery_censored = 0.
 * A path that never does is censored at the horizon:
 *   recovery_time = (N - n_0) dt (the time left after the shock),  recovery_censored = 1.
 * Both are finite, so paired differences of recovery times are defined for every path
 * (a censored path counts with the time it was observed, a conservative value). */
#pragma once
#include "stk_model.h"
#include "stk_sim.h"

typedef enum {
  STK_METRIC_TRACKING_MAE,
  STK_METRIC_TRACKING_RMSE,
  STK_METRIC_TIME_IN_BAND,
  STK_METRIC_MEAN_S,
  STK_METRIC_FINAL_S,
  STK_METRIC_MEAN_U,
  STK_METRIC_STD_U,
  STK_METRIC_DISCOUNTED_COST,
  STK_METRIC_RECOVERY_TIME,
  STK_METRIC_RECOVERY_CENSORED,
  STK_METRIC_HERFINDAHL,
  STK_METRIC_COUNT
} StkMetric;
PETSC_EXTERN const char *const StkMetricNames[]; /* dataset and column names */
PETSC_EXTERN const char *const StkMetricUnits[];
PETSC_EXTERN const char *const StkMetricHelp[];

typedef struct {
  StkModel  model;    /* the planner's model: the running cost l(s, u) */
  PetscReal sbar, rho; /* its target and discount rate */
  PetscReal dt;       /* spacing of the records (the simulator's step) */
  PetscReal t_shock;  /* first shock time (NaN: none; recovery is then measured from t = 0) */
  PetscReal band;     /* tracking band half-width around sbar (0.02) */
  PetscReal hold;     /* how long s must stay in the band to count as recovered, yr */
  PetscInt  n_agents; /* agent-based environment: N (0 for the sde: herfindahl is NaN) */
} StkMetricContext;

/* From the model (sbar, rho) and the simulator's settings (dt, abm N) and first shock. */
PETSC_EXTERN PetscErrorCode StkMetricContextSetUp(StkModel model, StkSim sim, PetscReal band, PetscReal hold, StkMetricContext *mc);
/* The STK_METRIC_COUNT metrics of a path of nsteps + 1 records (not collective).
 * herfindahl (abm only, else NaN) is the time average of the Herfindahl index of
 * stake, 1 / (number of stakers round(s N)) since every holder has the same holdings
 * in this model (a step without stakers counts as 1). */
PETSC_EXTERN PetscErrorCode StkPathMetrics(const StkMetricContext *mc, PetscInt nsteps, const StkSimPath *path, PetscReal m[]);
