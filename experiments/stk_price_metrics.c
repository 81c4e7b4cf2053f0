/* The price metrics (stk_price_metrics.h). */
#include <math.h>
#include "stk_price_metrics.h"
#include "stk_sim_price.h"

const char *const StkPriceMetricNames[] = {"price_volatility", "price_entropy", "price_resilience", "price_recovery_time", "price_recovery_censored", "mean_price", "herfindahl_holdings"};
const char *const StkPriceMetricUnits[] = {"1/sqrt(yr)", "nat", "1", "yr", "1", "USD", "1"};
const char *const StkPriceMetricHelp[]  = {"standard deviation of the log returns per sqrt(yr)",
                                           "Shannon entropy of the log-return histogram (Freedman-Diaconis bins)",
                                           "1 / mean |Delta ln P| per step over the window after the shock",
                                           "time from the shock until |ln P - ln P(shock)| < band holds for the hold",
                                           "1 if the price did not recover before T",
                                           "time average of the price",
                                           "time average of the Herfindahl index of stake over heterogeneous holdings"};

static int CompareReal(const void *a, const void *b)
{
  const PetscReal x = *(const PetscReal *)a, y = *(const PetscReal *)b;
  return (x > y) - (x < y);
}

/* Type-7 quantile of sorted x. */
static PetscReal Quantile(PetscInt n, const PetscReal x[], PetscReal p)
{
  const PetscReal h = (n - 1) * p;
  const PetscInt  i = (PetscInt)PetscFloorReal(h);
  return i + 1 < n ? x[i] + (h - i) * (x[i + 1] - x[i]) : x[n - 1];
}

PetscErrorCode StkReturnEntropy(PetscInt n, const PetscReal x[], PetscReal *H, PetscInt *nbins)
{
  PetscReal *y, lo, hi, width;
  PetscInt  *count, nb = 1;

  PetscFunctionBeginUser;
  PetscCheck(n >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "StkReturnEntropy needs at least one return, got %" PetscInt_FMT, n);
  PetscCall(PetscMalloc1(n, &y));
  PetscCall(PetscArraycpy(y, x, n));
  qsort(y, (size_t)n, sizeof(PetscReal), CompareReal);
  lo = y[0], hi = y[n - 1];
  width = 2 * (Quantile(n, y, 0.75) - Quantile(n, y, 0.25)) * PetscPowReal((PetscReal)n, -1.0 / 3);
  if (hi > lo) nb = width > 0 ? (PetscInt)PetscMin(PetscMax(PetscCeilReal((hi - lo) / width), 1), 1000) : 1000;
  PetscCall(PetscCalloc1(nb, &count));
  for (PetscInt i = 0; i < n; i++) count[hi > lo ? PetscMin((PetscInt)((y[i] - lo) / (hi - lo) * nb), nb - 1) : 0]++;
  *H = 0;
  for (PetscInt b = 0; b < nb; b++)
    if (count[b]) *H -= (PetscReal)count[b] / n * PetscLogReal((PetscReal)count[b] / n);
  if (nbins) *nbins = nb;
  PetscCall(PetscFree(count));
  PetscCall(PetscFree(y));
  PetscFunctionReturn(0);
}

static void Recovery(PetscInt nsteps, const PetscReal P[], PetscReal dt, PetscInt n0, PetscReal band, PetscReal hold, PetscReal *time, PetscReal *censored)
{
  const PetscInt  need = (PetscInt)PetscCeilReal(hold / dt - 1e-9);
  const PetscReal ref  = PetscLogReal(P[n0]);
  PetscInt        run  = 0;

  for (PetscInt n = n0 + 1; n <= nsteps; n++) {
    run = PetscAbsReal(PetscLogReal(P[n]) - ref) < band ? run + 1 : 0;
    if (run > need) {
      *time     = (n - need - n0) * dt;
      *censored = 0;
      return;
    }
  }
  *time     = (nsteps - n0) * dt;
  *censored = 1;
}

PetscErrorCode StkPricePathMetrics(PetscInt nsteps, const PetscReal P[], PetscReal dt, PetscInt n_shock, PetscInt window, PetscReal band, PetscReal hold, PetscReal hhi, PetscReal m[])
{
  const PetscInt n0 = PetscMax(n_shock, 0);
  PetscReal     *r, mean = 0, var = 0, absum = 0, psum = 0;
  PetscInt       nw = 0;

  PetscFunctionBeginUser;
  PetscCheck(nsteps >= 2 && dt > 0 && n0 < nsteps, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "A price path needs at least 3 records, a positive spacing and the shock before its end, got %" PetscInt_FMT ", %g, %" PetscInt_FMT, nsteps + 1, (double)dt, n_shock);
  PetscCall(PetscMalloc1(nsteps, &r));
  for (PetscInt n = 0; n < nsteps; n++) {
    PetscCheck(P[n] > 0 && P[n + 1] > 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Price %g at record %" PetscInt_FMT " is not positive", (double)PetscMin(P[n], P[n + 1]), n);
    r[n] = PetscLogReal(P[n + 1]) - PetscLogReal(P[n]);
    mean += r[n], psum += P[n];
  }
  mean /= nsteps;
  for (PetscInt n = 0; n < nsteps; n++) var += PetscSqr(r[n] - mean);
  for (PetscInt n = n0; n < PetscMin(n0 + window, nsteps); n++) absum += PetscAbsReal(r[n]), nw++;
  m[STK_PRICE_METRIC_VOLATILITY] = PetscSqrtReal(var / (nsteps - 1) / dt);
  PetscCall(StkReturnEntropy(nsteps, r, &m[STK_PRICE_METRIC_ENTROPY], NULL));
  m[STK_PRICE_METRIC_RESILIENCE] = nw ? (absum > 0 ? nw / absum : (PetscReal)INFINITY) : 0;
  Recovery(nsteps, P, dt, n0, band, hold, &m[STK_PRICE_METRIC_RECOVERY_TIME], &m[STK_PRICE_METRIC_RECOVERY_CENSORED]);
  m[STK_PRICE_METRIC_MEAN_PRICE] = psum / nsteps;
  m[STK_PRICE_METRIC_HERFINDAHL] = hhi;
  PetscCall(PetscFree(r));
  PetscFunctionReturn(0);
}

/* The first shock's step: price crash, supply dump or the simulator's stake shock (-1: none). */
static PetscErrorCode FirstShockStep(StkSim sim, const StkPriceParams *pp, PetscReal dt, PetscInt *n)
{
  PetscReal t = PETSC_INFINITY, ts;
  PetscInt  nshock;

  PetscFunctionBeginUser;
  if (!PetscIsNanReal(pp->crash_time)) t = PetscMin(t, pp->crash_time);
  if (!PetscIsNanReal(pp->dump_time)) t = PetscMin(t, pp->dump_time);
  PetscCall(StkSimGetNumShocks(sim, &nshock));
  if (nshock) {
    PetscCall(StkSimGetShock(sim, 0, &ts, NULL, NULL));
    t = PetscMin(t, ts);
  }
  *n = PetscIsInfReal(t) ? -1 : (PetscInt)PetscCeilReal(t / dt - 1e-3);
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimPriceMetrics(StkSim sim, PetscReal m[])
{
  const StkSimSettings *set;
  const StkPriceParams *pp;
  const PetscReal      *P;
  PetscReal             hhi, hold = 30.0 / 365;
  PetscInt              nsteps, n_shock = -1, window;

  PetscFunctionBeginUser;
  PetscCall(StkSimGetPricePath(sim, &P, &pp, &hhi));
  PetscCheck(P, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "StkSimPriceMetrics needs a simulator with the price (-price) that ran a path");
  PetscCall(StkSimGetSettings(sim, &set));
  PetscCall(StkSimGetNumSteps(sim, &nsteps));
  window = (PetscInt)PetscCeilReal(hold / set->dt - 1e-9);
  PetscCall(FirstShockStep(sim, pp, set->dt, &n_shock));
  PetscCall(StkPricePathMetrics(nsteps, P, set->dt, n_shock, window, 0.05, hold, hhi, m));
  PetscFunctionReturn(0);
}
