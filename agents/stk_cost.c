/* Holders' opportunity-cost distributions (docs/model.md#the-token-holders): cdf, pdf, mean and
 * parameter checks.  The cdf/pdf are evaluated at every grid node of every Howard
 * iteration, so they are plain functions without PETSc error handling. */
#include "stk_agentsimpl.h"

const char *const StkCostTypes[] = {"lognormal", "uniform", "logistic", "gamma", "empirical", "StkCostType", "STK_COST_", NULL};

#define STK_GAMMA_MAX_ITS 100000 /* series / continued fraction terms: O(sqrt(k)) are needed */
#define STK_QUANTILE_MAX_ITS 200

/* PETSc 3.18 has PetscErfReal but no erfc; the complement keeps the lower tail accurate. */
static inline PetscReal StkErfc(PetscReal x)
{
#if defined(PETSC_USE_REAL_SINGLE)
  return erfcf(x);
#else
  return (PetscReal)erfc((double)x);
#endif
}

/* log(median), remembered (per thread) for the last median seen: the score sits in the HJB's inner
 * loops (two logs per call otherwise).  Keyed on the value (the struct is public and
 * its median may change any time), so the result is bitwise the same as recomputing. */
static inline PetscReal LogMedian(const StkCostDist *F)
{
  static _Thread_local PetscReal median = (PetscReal)NAN, log_median = (PetscReal)NAN; /* per thread: no data race */

  if (!(F->median == median)) { /* NaN never matches: the first call computes */
    log_median = PetscLogReal(F->median);
    median     = F->median;
  }
  return log_median;
}

/* Standardized log-cost t = (ln c - ln m) / sg of the lognormal (c > 0). */
static inline PetscReal LognormalScore(const StkCostDist *F, PetscReal c)
{
  return (PetscLogReal(c) - LogMedian(F)) / F->logsd;
}

/* Regularized lower incomplete gamma P(a, x) = gamma(a, x) / Gamma(a), a > 0, by the
 * series where it converges fast (x < a + 1) and otherwise as 1 - Q(a, x) with Q from
 * its continued fraction, evaluated by the modified Lentz method (Numerical Recipes
 * 6.2, "gammp").  The prefactor x^a e^-x / Gamma(a) is formed in logs. */
static PetscReal GammaP(PetscReal a, PetscReal x)
{
  if (!(x > 0)) return 0;
  if (PetscIsInfReal(x)) return 1;
  const PetscReal logpre = a * PetscLogReal(x) - x - (PetscReal)lgamma((double)a);
  if (x < a + 1) {
    PetscReal ap = a, term = 1 / a, sum = term;
    for (int n = 0; n < STK_GAMMA_MAX_ITS && PetscAbsReal(term) > PETSC_MACHINE_EPSILON * PetscAbsReal(sum); n++) {
      ap += 1;
      term *= x / ap;
      sum += term;
    }
    return PetscMin(sum * PetscExpReal(logpre), (PetscReal)1);
  } else {
    const PetscReal tiny = 1e-300;
    PetscReal       b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
    for (int i = 1; i < STK_GAMMA_MAX_ITS; i++) {
      const PetscReal an = -i * (i - a);
      b += 2;
      d = an * d + b;
      if (PetscAbsReal(d) < tiny) d = tiny;
      c = b + an / c;
      if (PetscAbsReal(c) < tiny) c = tiny;
      d = 1 / d;
      h *= d * c;
      if (PetscAbsReal(d * c - 1) <= PETSC_MACHINE_EPSILON) break;
    }
    return PetscMax(1 - PetscExpReal(logpre) * h, (PetscReal)0);
  }
}

/* Gamma density of x = c / theta in units of 1/theta; x > 0. */
static inline PetscReal GammaDensity(PetscReal k, PetscReal x)
{
  return PetscExpReal((k - 1) * PetscLogReal(x) - x - (PetscReal)lgamma((double)k));
}

/* Index j in [0, n - 2] of the empirical gap [x_j, x_{j+1}) holding c, for
 * x_0 <= c < x_{n-1}: the last j with x_j <= c, so that x_{j+1} > x_j (ties skipped). */
static inline PetscInt EmpiricalGap(const StkCostDist *F, PetscReal c)
{
  PetscInt lo = 0, hi = F->nsample - 1; /* invariant: x_lo <= c < x_hi */
  while (hi - lo > 1) {
    const PetscInt mid = lo + (hi - lo) / 2;
    if (F->sample[mid] <= c) lo = mid;
    else hi = mid;
  }
  return lo;
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
  case STK_COST_GAMMA:
    return GammaP(F->shape, c / F->gscale);
  case STK_COST_EMPIRICAL: {
    const PetscReal *x = F->sample;
    const PetscInt   n = F->nsample;
    if (c < x[0]) return 0;
    if (c >= x[n - 1]) return 1;
    const PetscInt j = EmpiricalGap(F, c);
    return (j + (c - x[j]) / (x[j + 1] - x[j])) / (n - 1);
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
  case STK_COST_GAMMA:
    if (c < 0) return 0;
    if (c == 0) return F->shape < 1 ? (PetscReal)INFINITY : (F->shape == 1 ? 1 / F->gscale : 0);
    return GammaDensity(F->shape, c / F->gscale) / F->gscale;
  case STK_COST_EMPIRICAL: {
    const PetscReal *x = F->sample;
    if (c < x[0] || c >= x[F->nsample - 1]) return 0;
    const PetscInt j = EmpiricalGap(F, c);
    return 1 / ((F->nsample - 1) * (x[j + 1] - x[j]));
  }
  default:
    return (PetscReal)NAN;
  }
}

/* The density and its slope f'(c) (0 where f is piecewise constant or 0): the Newton solve
 * of the greedy map's fixed point (-hjb_greedy_newton) needs d b_u / du.  The density is
 * bitwise StkCostPdf's; the lognormal's slope reuses its score (one log, one exp). */
PetscReal StkCostPdfSlope(const StkCostDist *F, PetscReal c, PetscReal *df)
{
  *df = 0;
  switch (F->type) {
  case STK_COST_LOGNORMAL: {
    if (c <= 0) return 0;
    const PetscReal t = LognormalScore(F, c), f = PetscExpReal(-0.5 * t * t) / (c * F->logsd * PetscSqrtReal(2 * PETSC_PI));
    *df = -f * (1 + t / F->logsd) / c; /* d ln f / dc = -(1 + t / sg) / c */
    return f;
  }
  case STK_COST_LOGISTIC: {
    const PetscReal x = c - F->loc, e = PetscExpReal(-PetscAbsReal(x) / F->scale), f = e / (F->scale * (1 + e) * (1 + e));
    *df = -(x > 0 ? 1 : (x < 0 ? -1 : 0)) * f * (1 - e) / ((1 + e) * F->scale);
    return f;
  }
  case STK_COST_GAMMA: {
    const PetscReal f = StkCostPdf(F, c);
    if (c > 0 && f > 0) *df = f * ((F->shape - 1) / c - 1 / F->gscale);
    return f;
  }
  default: /* uniform, empirical: piecewise constant */
    return StkCostPdf(F, c);
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
  case STK_COST_GAMMA:
    return F->shape * F->gscale;
  case STK_COST_EMPIRICAL: { /* each gap contributes its midpoint with weight 1/(n - 1) */
    PetscReal sum = 0;
    for (PetscInt j = 0; j < F->nsample; j++) sum += F->sample[j];
    return (sum - 0.5 * (F->sample[0] + F->sample[F->nsample - 1])) / (F->nsample - 1);
  }
  default:
    return (PetscReal)NAN;
  }
}

/* Lower-tail standard normal quantile, q in (0, 1/2]: Abramowitz-Stegun 26.2.23
 * (|error| < 4.5e-4) polished by Halley steps on Phi(z) = q, Phi from erfc so the
 * tail keeps its relative accuracy (cubic convergence: three steps reach round-off). */
static PetscReal NormalLowerQuantile(PetscReal q)
{
  const PetscReal t = PetscSqrtReal(-2 * PetscLogReal(q));
  PetscReal       z = -(t - (2.515517 + t * (0.802853 + t * 0.010328)) / (1 + t * (1.432788 + t * (0.189269 + t * 0.001308))));

  for (int it = 0; it < 3; it++) {
    const PetscReal e = 0.5 * StkErfc(-z / PETSC_SQRT2) - q;
    if (e == 0) break;
    const PetscReal r = e * PetscSqrtReal(2 * PETSC_PI) * PetscExpReal(0.5 * z * z); /* e / phi(z) */
    z -= r / (1 + 0.5 * z * r);
  }
  return z;
}

static PetscReal NormalQuantile(PetscReal p)
{
  return p <= 0.5 ? NormalLowerQuantile(p) : -NormalLowerQuantile(1 - p); /* 1 - p exact for p >= 1/2 */
}

/* F(c) = p by Newton on the bracket [lo, hi] (F(lo) <= p <= F(hi)) from c, a step
 * that leaves the bracket replaced by bisection; every evaluation shrinks the bracket. */
static PetscReal InvertCdf(const StkCostDist *F, PetscReal p, PetscReal lo, PetscReal hi, PetscReal c)
{
  for (int it = 0; it < STK_QUANTILE_MAX_ITS && hi - lo > 4 * PETSC_MACHINE_EPSILON * PetscAbsReal(c); it++) {
    const PetscReal g = StkCostCdf(F, c) - p, f = StkCostPdf(F, c);
    PetscReal       cn;

    if (g == 0) break;
    if (g < 0) lo = c;
    else hi = c;
    cn = c - g / f;
    if (!(cn > lo && cn < hi)) cn = 0.5 * (lo + hi); /* also catches f = 0 and f = inf */
    if (PetscAbsReal(cn - c) <= 2 * PETSC_MACHINE_EPSILON * PetscAbsReal(c)) {
      c = cn;
      break;
    }
    c = cn;
  }
  return c;
}

/* Gamma: Wilson-Hilferty start (the small-x series start x^k / Gamma(k + 1) = p
 * where that is negative), bracket [0, hi] by doubling, then InvertCdf. */
static PetscReal GammaQuantile(const StkCostDist *F, PetscReal p)
{
  const PetscReal k = F->shape, z = NormalQuantile(p), w = 1 - 1 / (9 * k) + z / (3 * PetscSqrtReal(k));
  PetscReal       x = k * w * w * w, hi = PetscMax(k, (PetscReal)1);

  if (!(x > 0) || k < 1) x = PetscExpReal((PetscLogReal(p) + (PetscReal)lgamma((double)k + 1)) / k);
  while (GammaP(k, hi) < p && hi < 1e300) hi *= 2;
  x = PetscMin(x, hi);
  return InvertCdf(F, p, 0, hi * F->gscale, x * F->gscale);
}

PetscReal StkCostQuantile(const StkCostDist *F, PetscReal p)
{
  if (!(p > 0 && p < 1)) return (PetscReal)NAN;
  switch (F->type) {
  case STK_COST_LOGNORMAL:
    return F->median * PetscExpReal(F->logsd * NormalQuantile(p));
  case STK_COST_UNIFORM:
    return F->lo + p * (F->hi - F->lo);
  case STK_COST_LOGISTIC:
    return F->loc + F->scale * PetscLogReal(p / (1 - p));
  case STK_COST_GAMMA:
    return GammaQuantile(F, p);
  case STK_COST_EMPIRICAL: {
    const PetscReal pos = p * (F->nsample - 1);
    const PetscInt  j   = PetscMin((PetscInt)pos, F->nsample - 2);
    return F->sample[j] + (pos - j) * (F->sample[j + 1] - F->sample[j]);
  }
  default:
    return (PetscReal)NAN;
  }
}

/* The sample invariants that the cdf, pdf and quantile rely on. */
static PetscErrorCode EmpiricalCheck(MPI_Comm comm, const char pre[], const StkCostDist *F)
{
  PetscFunctionBeginUser;
  PetscCheck(F->sample && F->nsample > 0, comm, PETSC_ERR_USER_INPUT, "-%scost empirical needs a cost sample: give -%scost_file", pre, pre);
  for (PetscInt j = 0; j < F->nsample; j++) {
    PetscCheck(F->sample[j] >= 0 && !PetscIsInfReal(F->sample[j]), comm, PETSC_ERR_ARG_OUTOFRANGE, "-%scost empirical: cost %" PetscInt_FMT " must be >= 0 and finite, got %g", pre, j, (double)F->sample[j]);
    PetscCheck(j == 0 || F->sample[j] >= F->sample[j - 1], comm, PETSC_ERR_ARG_WRONG, "-%scost empirical: the sample must be sorted, cost %" PetscInt_FMT " = %g < cost %" PetscInt_FMT " = %g", pre, j, (double)F->sample[j], j - 1, (double)F->sample[j - 1]);
  }
  PetscCheck(F->nsample >= 2 && F->sample[F->nsample - 1] > F->sample[0], comm, PETSC_ERR_ARG_OUTOFRANGE, "-%scost empirical needs at least 2 distinct costs, got %" PetscInt_FMT " cost(s) spanning [%g, %g]", pre, F->nsample, (double)F->sample[0], (double)F->sample[F->nsample - 1]);
  PetscFunctionReturn(0);
}

/* Only the parameters of the selected family are checked: the others are unused.
 * Conditions are written positively so that NaN fails them. */
PetscErrorCode StkCostCheckPrefixed(MPI_Comm comm, const char pre[], const StkCostDist *F)
{
  PetscFunctionBeginUser;
  PetscCheck(F->type >= STK_COST_LOGNORMAL && F->type < STK_COST_NTYPES, comm, PETSC_ERR_ARG_OUTOFRANGE, "-%scost must be lognormal, uniform, logistic, gamma or empirical, got type %d", pre, (int)F->type);
  switch (F->type) {
  case STK_COST_LOGNORMAL:
    PetscCheck(F->median > 0 && !PetscIsInfReal(F->median), comm, PETSC_ERR_ARG_OUTOFRANGE, "-%scost_median must be > 0 and finite, got %g", pre, (double)F->median);
    PetscCheck(F->logsd > 0 && !PetscIsInfReal(F->logsd), comm, PETSC_ERR_ARG_OUTOFRANGE, "-%scost_logsd must be > 0 and finite, got %g", pre, (double)F->logsd);
    break;
  case STK_COST_UNIFORM:
    PetscCheck(F->lo < F->hi && !PetscIsInfReal(F->lo) && !PetscIsInfReal(F->hi), comm, PETSC_ERR_ARG_OUTOFRANGE, "-%scost_lo must be < -%scost_hi (both finite), got lo %g, hi %g", pre, pre, (double)F->lo, (double)F->hi);
    break;
  case STK_COST_LOGISTIC:
    PetscCheck(!PetscIsInfOrNanReal(F->loc), comm, PETSC_ERR_ARG_OUTOFRANGE, "-%scost_loc must be finite, got %g", pre, (double)F->loc);
    PetscCheck(F->scale > 0 && !PetscIsInfReal(F->scale), comm, PETSC_ERR_ARG_OUTOFRANGE, "-%scost_scale must be > 0 and finite, got %g", pre, (double)F->scale);
    break;
  case STK_COST_GAMMA:
    PetscCheck(F->shape > 0 && !PetscIsInfReal(F->shape), comm, PETSC_ERR_ARG_OUTOFRANGE, "-%scost_shape must be > 0 and finite, got %g", pre, (double)F->shape);
    PetscCheck(F->gscale > 0 && !PetscIsInfReal(F->gscale), comm, PETSC_ERR_ARG_OUTOFRANGE, "-%scost_gscale must be > 0 and finite, got %g", pre, (double)F->gscale);
    break;
  case STK_COST_EMPIRICAL:
    PetscCall(EmpiricalCheck(comm, pre, F));
    break;
  default:
    break;
  }
  PetscFunctionReturn(0);
}
