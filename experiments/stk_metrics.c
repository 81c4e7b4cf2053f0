/* The metrics of one path (definitions and the recovery convention in stk_metrics.h). */
#include "stk_metrics.h"

const char *const StkMetricNames[] = {"tracking_mae", "tracking_rmse", "time_in_band", "mean_s", "final_s", "mean_u", "std_u", "discounted_cost", "recovery_time", "recovery_censored", "herfindahl"};
const char *const StkMetricUnits[] = {"1", "1", "1", "1", "1", "1/yr", "1/yr", "1", "yr", "1", "1"};
const char *const StkMetricHelp[]  = {"mean |s - sbar| over the path",
                                      "root mean square of s - sbar",
                                      "fraction of time with |s - sbar| <= band",
                                      "mean staking ratio",
                                      "staking ratio at T",
                                      "mean issuance rate",
                                      "standard deviation of the issuance rate over time",
                                      "int_0^T exp(-rho t) l(s, u) dt",
                                      "time from the first shock (t = 0 without one) until |s - sbar| < band holds for the recovery hold; censored paths: the time left after the shock",
                                      "1 if the path did not recover before T (recovery_time is then the time left), else 0",
                                      "time average of the Herfindahl index of stake, 1 / number of stakers (abm; NaN for the sde)"};

PetscErrorCode StkMetricContextSetUp(StkModel model, StkSim sim, PetscReal band, PetscReal hold, StkMetricContext *mc)
{
  const StkSimSettings *set;
  PetscReal             ref[STK_MAX_DIM];
  PetscInt              nshock;

  PetscFunctionBeginUser;
  PetscCall(StkSimGetSettings(sim, &set));
  PetscCall(StkModelGetReferencePoint(model, ref));
  PetscCall(StkModelGetDiscount(model, &mc->rho));
  mc->model    = model;
  mc->sbar     = ref[0];
  mc->dt       = set->dt;
  mc->band     = band;
  mc->hold     = hold;
  mc->n_agents = set->type == STK_SIM_ABM ? set->n_agents : 0;
  mc->t_shock  = (PetscReal)NAN;
  PetscCall(StkSimGetNumShocks(sim, &nshock));
  if (nshock) PetscCall(StkSimGetShock(sim, 0, &mc->t_shock, NULL, NULL));
  PetscFunctionReturn(0);
}

/* The first run of need + 1 in-band records from the shock's step n0 on: its start
 * minus n0, in years; none: the time left, censored. */
static void Recovery(const StkMetricContext *mc, PetscInt nsteps, const PetscReal s[], PetscReal *time, PetscReal *censored)
{
  const PetscReal t0 = PetscIsNanReal(mc->t_shock) ? 0 : mc->t_shock;
  const PetscInt  n0 = (PetscInt)PetscCeilReal(t0 / mc->dt - 1e-3), need = (PetscInt)PetscCeilReal(mc->hold / mc->dt - 1e-9);
  PetscInt        run = 0;

  for (PetscInt n = n0; n <= nsteps; n++) {
    run = PetscAbsReal(s[n] - mc->sbar) < mc->band ? run + 1 : 0;
    if (run > need) {
      *time     = (n - need - n0) * mc->dt;
      *censored = 0;
      return;
    }
  }
  *time     = (nsteps - n0) * mc->dt;
  *censored = 1;
}

/* 1 / stakers averaged over the steps; a step without stakers counts as 1 (one holder
 * would hold everything the moment one stakes). */
static PetscReal Herfindahl(const StkMetricContext *mc, PetscInt nsteps, const PetscReal s[])
{
  PetscReal sum = 0;

  if (!mc->n_agents) return (PetscReal)NAN;
  for (PetscInt n = 0; n < nsteps; n++) {
    const PetscReal stakers = PetscFloorReal(s[n] * (PetscReal)mc->n_agents + 0.5);
    sum += stakers >= 1 ? 1 / stakers : 1;
  }
  return sum / nsteps;
}

PetscErrorCode StkPathMetrics(const StkMetricContext *mc, PetscInt nsteps, const StkSimPath *path, PetscReal m[])
{
  PetscReal abs = 0, sq = 0, in = 0, ssum = 0, usum = 0, du = 0, du2 = 0, cost = 0;

  PetscFunctionBeginUser;
  PetscCheck(nsteps >= 1 && mc->dt > 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "A path needs at least 2 records and a positive spacing, got %" PetscInt_FMT " and %g", nsteps + 1, (double)mc->dt);
  for (PetscInt n = 0; n < nsteps; n++) {
    const PetscReal e = path->s[n] - mc->sbar, x[2] = {path->s[n], path->z[n]}, u = path->u[n];
    PetscReal       l;

    PetscCall(StkModelCost(mc->model, x, &u, &l));
    abs += PetscAbsReal(e), sq += e * e, in += PetscAbsReal(e) <= mc->band;
    ssum += x[0], usum += u;
    cost += PetscExpReal(-mc->rho * path->t[n]) * l * mc->dt;
    du += u - path->u[0], du2 += PetscSqr(u - path->u[0]); /* shifted: exactly 0 for a constant u */
  }
  m[STK_METRIC_TRACKING_MAE]    = abs / nsteps;
  m[STK_METRIC_TRACKING_RMSE]   = PetscSqrtReal(sq / nsteps);
  m[STK_METRIC_TIME_IN_BAND]    = in / nsteps;
  m[STK_METRIC_MEAN_S]          = ssum / nsteps;
  m[STK_METRIC_FINAL_S]         = path->s[nsteps];
  m[STK_METRIC_MEAN_U]          = usum / nsteps;
  m[STK_METRIC_STD_U]           = PetscSqrtReal(PetscMax(du2 / nsteps - PetscSqr(du / nsteps), (PetscReal)0));
  m[STK_METRIC_DISCOUNTED_COST] = cost;
  Recovery(mc, nsteps, path->s, &m[STK_METRIC_RECOVERY_TIME], &m[STK_METRIC_RECOVERY_CENSORED]);
  m[STK_METRIC_HERFINDAHL] = Herfindahl(mc, nsteps, path->s);
  PetscFunctionReturn(0);
}
