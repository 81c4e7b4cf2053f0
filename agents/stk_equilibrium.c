/* Agent parameters, the mean-field drift and volatility of the staking ratio, and the
 * static threshold equilibrium s = s_max F((u + phi)/s - z) (docs/model.md#the-token-holders). */
#include "stk_agentsimpl.h"

#define STK_EQ_MAX_ITS 200
#define STK_EQ_GTOL    1e-14 /* residual of s - s_max F relative to s (<= 1e-14 absolute as s <= 1) */
#define STK_EQ_STOL    1e-15 /* bracket width relative to its upper end */

PetscErrorCode StkAgentParamsDefault(StkAgentParams *p)
{
  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(p, sizeof(*p)));
  p->cost.type   = STK_COST_LOGNORMAL;
  p->cost.median = 0.05;
  p->cost.logsd  = 0.5;
  /* the other families' defaults, used when -agents_cost selects them */
  p->cost.lo    = 0.0;
  p->cost.hi    = 0.1;
  p->cost.loc   = 0.05;
  p->cost.scale = 0.01;
  p->cost.shape  = 4.0; /* gamma with the lognormal's median scale: mean 0.05, CV 0.5 */
  p->cost.gscale = 0.0125;
  p->s_max      = 0.90;
  p->phi        = 0.002;
  p->kappa      = 2.0;
  p->sigma0     = 0.05;
  p->zbar       = 0.0;
  p->theta      = 1.0;
  p->sigma_z    = 0.01;
  PetscFunctionReturn(0);
}

/* Conditions are written positively so that NaN fails them. */
PetscErrorCode StkAgentParamsCheckPrefixed(MPI_Comm comm, const char pre[], const StkAgentParams *p)
{
  PetscFunctionBeginUser;
  PetscCheck(p->s_max > 0 && p->s_max <= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-%ss_max must be in (0, 1], got %g", pre, (double)p->s_max);
  PetscCheck(p->phi >= 0 && !PetscIsInfReal(p->phi), comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sphi must be >= 0 and finite, got %g", pre, (double)p->phi);
  PetscCheck(p->kappa > 0 && !PetscIsInfReal(p->kappa), comm, PETSC_ERR_ARG_OUTOFRANGE, "-%skappa must be > 0 and finite, got %g", pre, (double)p->kappa);
  PetscCheck(p->sigma0 >= 0 && !PetscIsInfReal(p->sigma0), comm, PETSC_ERR_ARG_OUTOFRANGE, "-%ssigma0 must be >= 0 and finite, got %g", pre, (double)p->sigma0);
  PetscCheck(!PetscIsInfOrNanReal(p->zbar), comm, PETSC_ERR_ARG_OUTOFRANGE, "-%szbar must be finite, got %g", pre, (double)p->zbar);
  PetscCheck(p->theta > 0 && !PetscIsInfReal(p->theta), comm, PETSC_ERR_ARG_OUTOFRANGE, "-%stheta must be > 0 and finite, got %g", pre, (double)p->theta);
  PetscCheck(p->sigma_z >= 0 && !PetscIsInfReal(p->sigma_z), comm, PETSC_ERR_ARG_OUTOFRANGE, "-%ssigma_z must be >= 0 and finite, got %g", pre, (double)p->sigma_z);
  PetscCall(StkCostCheckPrefixed(comm, pre, &p->cost));
  PetscFunctionReturn(0);
}

PetscErrorCode StkAgentParamsCheck(MPI_Comm comm, const StkAgentParams *p)
{
  PetscFunctionBeginUser;
  PetscCall(StkAgentParamsCheckPrefixed(comm, "agents_", p));
  PetscFunctionReturn(0);
}

/* The per-point functions below sit in the HJB's inner loops: plain C, no error handling. */

/* The yield, inlined into the drift and its derivative (the exported function cannot be:
 * a shared library's symbols may be interposed). */
static inline PetscReal Yield(const StkAgentParams *p, PetscReal s, PetscReal u)
{
  return (u + p->phi) / PetscMax(s, (PetscReal)STK_S_FLOOR);
}

PetscReal StkAgentsYield(const StkAgentParams *p, PetscReal s, PetscReal u)
{
  return Yield(p, s, u);
}

PetscReal StkAgentsDrift(const StkAgentParams *p, PetscReal s, PetscReal z, PetscReal u)
{
  return p->kappa * (p->s_max * StkCostCdf(&p->cost, Yield(p, s, u) - z) - s);
}

PetscReal StkAgentsDriftU(const StkAgentParams *p, PetscReal s, PetscReal z, PetscReal u)
{
  return p->kappa * p->s_max * StkCostPdf(&p->cost, Yield(p, s, u) - z) / PetscMax(s, (PetscReal)STK_S_FLOOR);
}

PetscReal StkAgentsDriftUSlope(const StkAgentParams *p, PetscReal s, PetscReal z, PetscReal u, PetscReal *b_uu)
{
  const PetscReal sf = PetscMax(s, (PetscReal)STK_S_FLOOR), k = p->kappa * p->s_max;
  PetscReal       df;
  const PetscReal f = StkCostPdfSlope(&p->cost, Yield(p, s, u) - z, &df);

  *b_uu = k * df / (sf * sf); /* dy/du = 1 / sf */
  return k * f / sf;
}

PetscReal StkAgentsVolatility(const StkAgentParams *p, PetscReal s)
{
  if (!(s > 0 && s < 1)) return 0;
  return p->sigma0 * PetscSqrtReal(s * (1 - s));
}

PetscReal StkAgentsZHalfWidth(const StkAgentParams *p)
{
  return 4 * p->sigma_z / PetscSqrtReal(2 * p->theta);
}

/* g(s) = s - s_max F(a/s - z), a = u + phi, and g'(s) = 1 + s_max f a / s^2 > 0.
 * No yield floor here: the root is strictly positive.  The product is grouped so
 * that f = 0 gives 0 even where a / s^2 would overflow. */
static void EquilibriumResidual(const StkAgentParams *p, PetscReal a, PetscReal z, PetscReal s, PetscReal *g, PetscReal *dg)
{
  const PetscReal y = a / s;

  *g  = s - p->s_max * StkCostCdf(&p->cost, y - z);
  *dg = 1 + (p->s_max * StkCostPdf(&p->cost, y - z) * y) / s;
}

/* g is increasing with g(0+) = -s_max F(inf) = -s_max < 0 and g(s_max) = s_max (1 - F) >= 0,
 * so [0, s_max] brackets the unique root.  Newton from s_max; a step that leaves the
 * bracket, or follows a Newton step that did not halve |g|, is replaced by bisection.
 * Every evaluation shrinks the bracket. */
PetscErrorCode StkAgentsEquilibrium(const StkAgentParams *p, PetscReal u, PetscReal z, PetscReal *s_star, PetscReal *ds_du, PetscInt *its)
{
  const PetscReal a  = u + p->phi;
  PetscReal       lo = 0, hi = p->s_max, s = hi, g, dg, gprev = PETSC_MAX_REAL;
  PetscBool       converged, newton = PETSC_FALSE;
  PetscInt        k = 0;

  PetscFunctionBeginUser;
  PetscCheck(a > 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Equilibrium needs u + phi > 0 (-agents_phi), got u %g, phi %g", (double)u, (double)p->phi);
  PetscCheck(!PetscIsInfOrNanReal(z) && !PetscIsInfReal(a), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Equilibrium needs finite u and z, got u %g, z %g", (double)u, (double)z);
  EquilibriumResidual(p, a, z, s, &g, &dg);
  converged = (PetscBool)(g <= STK_EQ_GTOL * s); /* everyone stakeable stakes: s* = s_max */
  while (!converged && k < STK_EQ_MAX_ITS) {
    PetscReal snew = s - g / dg;

    if (!(snew > lo && snew < hi) || (newton && PetscAbsReal(g) > 0.5 * PetscAbsReal(gprev))) {
      snew   = 0.5 * (lo + hi);
      newton = PETSC_FALSE;
    } else newton = PETSC_TRUE;
    gprev = g;
    s     = snew;
    EquilibriumResidual(p, a, z, s, &g, &dg);
    k++;
    if (g < 0) lo = s;
    else hi = s;
    /* relative to s, both terms of g being of size s: tiny roots (u + phi -> 0) keep digits */
    converged = (PetscBool)(PetscAbsReal(g) <= STK_EQ_GTOL * s || hi - lo <= STK_EQ_STOL * hi);
  }
  PetscCheck(converged, PETSC_COMM_SELF, PETSC_ERR_NOT_CONVERGED, "Equilibrium not converged in %d iterations at u %g, z %g: bracket [%g, %g], residual %g", STK_EQ_MAX_ITS, (double)u, (double)z, (double)lo, (double)hi, (double)g);
  *s_star = s;
  if (ds_du) {
    /* implicit differentiation of g(s, u) = 0: ds/du = -g_u / g_s
     *   = (s_max f / s) / (1 + s_max f y / s) = s_max f / (s + s_max f y) */
    const PetscReal y = a / s, sf = p->s_max * StkCostPdf(&p->cost, y - z);
    *ds_du = sf / (s + sf * y);
  }
  if (its) *its = k;
  PetscFunctionReturn(0);
}
