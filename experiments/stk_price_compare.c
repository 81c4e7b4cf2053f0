/* Policies in the environment with the token price (stk_price_compare.h). */
#include "stk_price_compare.h"
#include "stk_sim_price.h"

const char *StkPriceCompareColumnName(PetscInt j)
{
  return j < STK_METRIC_COUNT ? StkMetricNames[j] : StkPriceMetricNames[j - STK_METRIC_COUNT];
}

/* The means of every column over the paths of one policy. */
static PetscErrorCode RunPolicy(StkSim sim, const StkMetricContext *mc, StkPolicy policy, PetscInt npaths, PetscInt nsteps, StkSimPath *path, PetscReal mean[])
{
  StkPolicyFn      fn;
  StkPolicyResetFn reset;
  void            *ctx, *state = NULL;
  size_t           size;

  PetscFunctionBeginUser;
  PetscCall(StkPolicyGetFunction(policy, &fn, &reset, &ctx, &size));
  PetscCall(StkSimSetPolicy(sim, fn, reset, ctx));
  if (size) PetscCall(PetscCalloc(size, &state));
  PetscCall(PetscArrayzero(mean, STK_PRICE_COMPARE_COLUMNS));
  for (PetscInt p = 0; p < npaths; p++) {
    PetscReal m[STK_PRICE_COMPARE_COLUMNS];
    PetscCall(StkSimRun(sim, p, state, path));
    PetscCall(StkPathMetrics(mc, nsteps, path, m));
    PetscCall(StkSimPriceMetrics(sim, m + STK_METRIC_COUNT)); /* the conventions shared with StkCompare */
    for (PetscInt j = 0; j < STK_PRICE_COMPARE_COLUMNS; j++) mean[j] += m[j] / npaths;
  }
  PetscCall(PetscFree(state));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPriceCompareRun(MPI_Comm comm, const char prefix[], StkModel model, PetscInt npolicies, StkPolicy policies[], PetscInt npaths, PetscReal means[])
{
  StkSim           sim;
  StkPopulation    pop;
  StkMetricContext mc;
  StkSimPath       path;
  PetscInt         nrec, nsteps;
  PetscBool        on;

  PetscFunctionBeginUser;
  PetscCheck(npaths >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "StkPriceCompareRun needs at least one path, got %" PetscInt_FMT, npaths);
  PetscCall(StkModelStakingGetPopulation(model, &pop));
  PetscCall(StkSimCreate(comm, &sim));
  if (prefix) PetscCall(StkSimSetOptionsPrefix(sim, prefix));
  PetscCall(StkSimSetPopulation(sim, pop));
  PetscCall(StkSimSetFromOptions(sim));
  PetscCall(StkSimHasPrice(sim, &on));
  PetscCheck(on, comm, PETSC_ERR_USER_INPUT, "-%sprice: not given: the comparison needs the token price", prefix ? prefix : "");
  PetscCall(StkSimSetUp(sim));
  PetscCall(StkSimGetNumRecords(sim, &nrec));
  PetscCall(StkSimGetNumSteps(sim, &nsteps));
  {
    const StkSimSettings *set;
    PetscCall(StkSimGetSettings(sim, &set));
    PetscCheck(set->every == 1, comm, PETSC_ERR_USER_INPUT, "-sim_every: %" PetscInt_FMT " is out of range: the price comparison records every step (1)", set->every);
  }
  PetscCall(StkMetricContextSetUp(model, sim, 0.02, 30.0 / 365, &mc));
  PetscCall(PetscMalloc4(nrec, &path.t, nrec, &path.s, nrec, &path.z, nrec, &path.u));
  for (PetscInt i = 0; i < npolicies; i++) PetscCall(RunPolicy(sim, &mc, policies[i], npaths, nsteps, &path, means + i * STK_PRICE_COMPARE_COLUMNS));
  PetscCall(PetscFree4(path.t, path.s, path.z, path.u));
  PetscCall(StkSimDestroy(&sim));
  PetscFunctionReturn(0);
}
