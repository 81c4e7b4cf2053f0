/* Metrics of a price path P[0..N] recorded every dt (docs/model.md#price-metrics),
 * with r_n = ln P_{n+1} - ln P_n the log returns (n < N).
 *
 *   volatility  sqrt(sample variance of r / dt), 1/sqrt(yr)
 *   entropy     Shannon entropy (nats) of the histogram of r: Freedman-Diaconis bins,
 *               width 2 IQR N^{-1/3} (IQR from the type-7 quartiles), ceil(range / width)
 *               bins (at least 1, at most 1000) on [min r, max r]; 0 if all r are equal
 *   resilience  R = 1 / mean |r_n| over the window n0 <= n < n0 + w after the shock
 *               (n0 the shock's step), per step; 0 if the window is empty, +inf if flat
 *   recovery    the first record r >= n0 + 1 such that records r .. r + m all have
 *               |ln P - ln P_{n0}| < band (m = ceil(hold / dt)): (r - n0) dt; never:
 *               (N - n0) dt, censored (the convention of stk_metrics.h) */
#pragma once
#include <petscsys.h>
#include "stk_sim.h"

typedef enum {
  STK_PRICE_METRIC_VOLATILITY,
  STK_PRICE_METRIC_ENTROPY,
  STK_PRICE_METRIC_RESILIENCE,
  STK_PRICE_METRIC_RECOVERY_TIME,
  STK_PRICE_METRIC_RECOVERY_CENSORED,
  STK_PRICE_METRIC_MEAN_PRICE,
  STK_PRICE_METRIC_HERFINDAHL,
  STK_PRICE_METRIC_COUNT
} StkPriceMetric;
PETSC_EXTERN const char *const StkPriceMetricNames[]; /* price_volatility, ... */
PETSC_EXTERN const char *const StkPriceMetricUnits[];
PETSC_EXTERN const char *const StkPriceMetricHelp[];

/* Shannon entropy (nats) of the Freedman-Diaconis histogram of x[0..n-1]; *nbins the bins used. */
PETSC_EXTERN PetscErrorCode StkReturnEntropy(PetscInt n, const PetscReal x[], PetscReal *H, PetscInt *nbins);
/* The STK_PRICE_METRIC_COUNT metrics of P[0..nsteps]; n_shock < 0: no shock (resilience
 * and recovery measured from n0 = 0); window (steps) for the resilience; band, hold (yr)
 * for the recovery; hhi the path's mean stake Herfindahl index (stored as given). */
PETSC_EXTERN PetscErrorCode StkPricePathMetrics(PetscInt nsteps, const PetscReal P[], PetscReal dt, PetscInt n_shock, PetscInt window, PetscReal band, PetscReal hold, PetscReal hhi, PetscReal m[]);

/* The price metrics of the path the simulator (with the price, -price) just ran
 * (StkSimRun), with the conventions every command shares (docs/model.md#price-metrics):
 * the shock is the first price crash, supply dump or stake shock of the simulator, at
 * step ceil(t / dt - 1e-3) (none: measured from step 0); the resilience window and the
 * recovery hold are 30 days, the recovery band |ln P - ln P(shock)| < 0.05.  Not
 * collective (the price path is the same on every rank that ran it). */
PETSC_EXTERN PetscErrorCode StkSimPriceMetrics(StkSim sim, PetscReal m[]);
