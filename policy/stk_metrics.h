/* Metrics of one simulated path (MODEL.md section 6), shared by `stakehjb simulate`
 * and the experiments (`stakehjb compare`).  Time integrals over [0, T] from every
 * step, with u_n held on [t_n, t_n + dt). */
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
  STK_METRIC_HERFINDAHL,
  STK_METRIC_COUNT
} StkMetric;
PETSC_EXTERN const char *const StkMetricNames[]; /* dataset and column names */
PETSC_EXTERN const char *const StkMetricUnits[];
PETSC_EXTERN const char *const StkMetricHelp[];

typedef struct {
  StkModel  model;    /* the planner's model: sbar, rho and the running cost l(s, u) */
  PetscReal sbar, rho, dt;
  PetscReal t_shock;  /* first shock time (NaN: none) */
  PetscReal band;     /* tracking band half-width around sbar (0.02) */
  PetscReal hold;     /* how long s must stay in the band to count as recovered (30 days) */
  PetscInt  n_agents; /* agent-based environment: N (0 for the sde) */
} StkMetricContext;

/* From the model and the simulator's settings and first shock. */
PETSC_EXTERN PetscErrorCode StkMetricContextSetUp(StkModel model, StkSim sim, PetscReal band, PetscReal hold, StkMetricContext *mc);
/* The STK_METRIC_COUNT metrics of a path recorded at every step (nsteps + 1 records).
 * recovery_time is NaN without a shock or when s does not recover before T;
 * herfindahl (abm only, else NaN) is the time average of the Herfindahl index of stake,
 * 1 / (number of stakers) since every holder has the same holdings in this model. */
PETSC_EXTERN PetscErrorCode StkPathMetrics(const StkMetricContext *mc, PetscInt nsteps, const StkSimPath *path, PetscReal m[]);
