/* Holders' opportunity-cost distributions (MODEL.md section 2): cdf, pdf, mean and
 * parameter checks.  The cdf/pdf are evaluated at every grid node of every Howard
 * iteration, so they are plain functions without PETSc error handling. */
#include "stk_agents.h"

const char *const StkCostTypes[] = {"lognormal", "uniform", "logistic", "StkCostType", "STK_COST_", NULL};

/* PETSc 3.18 has PetscErfReal but no erfc; the complement keeps the lower tail accurate. */
static inline PetscReal StkErfc(PetscReal x)
{
#if defined(PETSC_USE_REAL_SINGLE)
  return erfcf(x);
#else
  return (PetscReal)erfc((double)x);
#endif
}

/* Standardized log-cost t = (ln c - ln m) / sg of the lognormal (c > 0). */
static inline PetscReal LognormalScore(const StkCostDist *F, PetscReal c)
{
  return (PetscLogReal(c) - PetscLogReal(F->median)) / F->logsd;
}

PetscReal StkCostCdf(const StkCostDist *F, PetscReal c)
{
  switch (F->type) {
  case STK_COST_LOGNORMAL:
    if (c <= 0) return 0;
    /* Phi(t) = erfc(-t / sqrt 2) / 2: no cancellation for t << 0 */
    return 0.5 * StkErfc(-LognormalScore(F, c) / PETSC_SQRT2);
  case STK_COST_UNIFORM:
    if (c <= F->lo) return 0;
    if (c >= F->hi) return 1;
    return (c - F->lo) / (F->hi - F->lo);
  case STK_COST_LOGISTIC: {
    const PetscReal x = (c - F->loc) / F->scale;
    /* exp of a non-positive argument only: no overflow in either tail */
    if (x >= 0) return 1 / (1 + PetscExpReal(-x));
    const PetscReal e = PetscExpReal(x);
    return e / (1 + e);
  }
  default:
    return (PetscReal)NAN; /* unreachable for a checked distribution */
  }
}

PetscReal StkCostPdf(const StkCostDist *F, PetscReal c)
{
  switch (F->type) {
  case STK_COST_LOGNORMAL: {
    if (c <= 0) return 0;
    const PetscReal t = LognormalScore(F, c);
    return PetscExpReal(-0.5 * t * t) / (c * F->logsd * PetscSqrtReal(2 * PETSC_PI));
  }
  case STK_COST_UNIFORM:
    if (c < F->lo || c > F->hi) return 0;
    return 1 / (F->hi - F->lo);
  case STK_COST_LOGISTIC: {
    const PetscReal e = PetscExpReal(-PetscAbsReal(c - F->loc) / F->scale); /* symmetric density */
    return e / (F->scale * (1 + e) * (1 + e));
  }
  default:
    return (PetscReal)NAN;
  }
}

PetscReal StkCostMean(const StkCostDist *F)
{
  switch (F->type) {
  case STK_COST_LOGNORMAL:
    return F->median * PetscExpReal(0.5 * F->logsd * F->logsd);
  case STK_COST_UNIFORM:
    return 0.5 * (F->lo + F->hi);
  case STK_COST_LOGISTIC:
    return F->loc;
  default:
    return (PetscReal)NAN;
  }
}

/* Only the parameters of the selected family are checked: the others are unused.
 * Conditions are written positively so that NaN fails them. */
PetscErrorCode StkCostCheck(MPI_Comm comm, const StkCostDist *F)
{
  PetscFunctionBeginUser;
  PetscCheck(F->type >= STK_COST_LOGNORMAL && F->type < STK_COST_NTYPES, comm, PETSC_ERR_ARG_OUTOFRANGE, "-agents_cost must be lognormal, uniform or logistic, got type %d", (int)F->type);
  switch (F->type) {
  case STK_COST_LOGNORMAL:
    PetscCheck(F->median > 0 && !PetscIsInfReal(F->median), comm, PETSC_ERR_ARG_OUTOFRANGE, "-agents_cost_median must be > 0 and finite, got %g", (double)F->median);
    PetscCheck(F->logsd > 0 && !PetscIsInfReal(F->logsd), comm, PETSC_ERR_ARG_OUTOFRANGE, "-agents_cost_logsd must be > 0 and finite, got %g", (double)F->logsd);
    break;
  case STK_COST_UNIFORM:
    PetscCheck(F->lo < F->hi && !PetscIsInfReal(F->lo) && !PetscIsInfReal(F->hi), comm, PETSC_ERR_ARG_OUTOFRANGE, "-agents_cost_lo must be < -agents_cost_hi (both finite), got lo %g, hi %g", (double)F->lo, (double)F->hi);
    break;
  case STK_COST_LOGISTIC:
    PetscCheck(!PetscIsInfOrNanReal(F->loc), comm, PETSC_ERR_ARG_OUTOFRANGE, "-agents_cost_loc must be finite, got %g", (double)F->loc);
    PetscCheck(F->scale > 0 && !PetscIsInfReal(F->scale), comm, PETSC_ERR_ARG_OUTOFRANGE, "-agents_cost_scale must be > 0 and finite, got %g", (double)F->scale);
    break;
  default:
    break;
  }
  PetscFunctionReturn(0);
}
