/* Token holders (docs/model.md#the-token-holders): cost distributions, the threshold equilibrium,
 * the mean-field drift, parameter checks and the StkPopulation object. */
#define _POSIX_C_SOURCE 200809L /* mkstemp */
#include "stk_test.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "stk_agents.h"

/* The empirical family's test sample: the 400 quantiles (j + 1/2)/400 of the baseline
 * lognormal, so its F is close to the lognormal's. */
#define EMP_N 400
static PetscReal emp_sample[EMP_N];

static void FillEmpiricalSample(void)
{
  StkAgentParams ln;
  assert_petsc(StkAgentParamsDefault(&ln));
  for (int j = 0; j < EMP_N; j++) emp_sample[j] = StkCostQuantile(&ln.cost, (j + 0.5) / EMP_N);
}

/* Baseline parameters with the cost family switched to `type` (other fields default). */
static StkAgentParams ParamsOfType(StkCostType type)
{
  StkAgentParams p;
  assert_petsc(StkAgentParamsDefault(&p));
  p.cost.type = type;
  if (type == STK_COST_EMPIRICAL) {
    if (emp_sample[0] == 0) FillEmpiricalSample();
    p.cost.sample  = emp_sample;
    p.cost.nsample = EMP_N;
  }
  return p;
}

/* An interval of costs where each family has non-negligible mass; the uniform one
 * stays clear of its kinks at lo and hi, the empirical one inside its support. */
static void CostRange(const StkCostDist *F, PetscReal *a, PetscReal *b)
{
  switch (F->type) {
  case STK_COST_LOGNORMAL: *a = 0.005, *b = 0.3; break;
  case STK_COST_UNIFORM: *a = F->lo + 1e-3, *b = F->hi - 1e-3; break;
  case STK_COST_GAMMA: *a = 0.002, *b = 0.15; break;
  case STK_COST_EMPIRICAL: *a = F->sample[0] + 1e-6, *b = F->sample[F->nsample - 1] - 1e-6; break;
  default: *a = F->loc - 8 * F->scale, *b = F->loc + 8 * F->scale; break;
  }
}

/* Whether an order statistic of an empirical F (a kink of its cdf) lies within r of c. */
static PetscBool NearKnot(const StkCostDist *F, PetscReal c, PetscReal r)
{
  if (F->type != STK_COST_EMPIRICAL) return PETSC_FALSE;
  for (PetscInt j = 0; j < F->nsample; j++)
    if (PetscAbsReal(F->sample[j] - c) <= r) return PETSC_TRUE;
  return PETSC_FALSE;
}

static void test_cost_pdf_is_cdf_derivative(void **state)
{
  for (int t = 0; t < STK_COST_NTYPES; t++) {
    const StkAgentParams p = ParamsOfType((StkCostType)t);
    const StkCostDist   *F = &p.cost;
    PetscReal            a, b, maxrel = 0;

    CostRange(F, &a, &b);
    for (int i = 0; i <= 200; i++) {
      const PetscReal c = a + (b - a) * i / 200, h = 1e-6 * (b - a);
      if (NearKnot(F, c, h)) continue; /* the piecewise-constant pdf jumps there */
      const PetscReal fd = (StkCostCdf(F, c + h) - StkCostCdf(F, c - h)) / (2 * h), pdf = StkCostPdf(F, c);
      assert_true(pdf > 0);
      assert_close(pdf, fd, 1e-6, 0);
      maxrel = PetscMax(maxrel, PetscAbsReal(pdf - fd) / pdf);
    }
    printf("  %-9s max |pdf - FD(cdf)| / pdf = %.2e\n", StkCostTypes[t], (double)maxrel);
  }
  { /* outside the support the density is zero */
    const StkAgentParams ln = ParamsOfType(STK_COST_LOGNORMAL), un = ParamsOfType(STK_COST_UNIFORM);
    assert_true(StkCostPdf(&ln.cost, -0.01) == 0 && StkCostCdf(&ln.cost, -0.01) == 0 && StkCostCdf(&ln.cost, 0) == 0);
    assert_true(StkCostPdf(&un.cost, 0.15) == 0 && StkCostCdf(&un.cost, 0.15) == 1 && StkCostCdf(&un.cost, -0.05) == 0);
    const StkAgentParams ga = ParamsOfType(STK_COST_GAMMA), em = ParamsOfType(STK_COST_EMPIRICAL);
    assert_true(StkCostPdf(&ga.cost, -0.01) == 0 && StkCostCdf(&ga.cost, -0.01) == 0 && StkCostPdf(&ga.cost, 0) == 0);
    assert_true(StkCostPdf(&em.cost, emp_sample[0] - 1e-9) == 0 && StkCostCdf(&em.cost, emp_sample[0] - 1e-9) == 0);
    assert_true(StkCostPdf(&em.cost, emp_sample[EMP_N - 1]) == 0 && StkCostCdf(&em.cost, emp_sample[EMP_N - 1]) == 1);
  }
  { /* the empirical pdf is the slope of its piecewise-linear cdf: exact on each gap */
    const StkAgentParams em = ParamsOfType(STK_COST_EMPIRICAL);
    for (int j = 0; j + 1 < EMP_N; j++) {
      const PetscReal c = 0.5 * (emp_sample[j] + emp_sample[j + 1]);
      assert_close(StkCostPdf(&em.cost, c), 1 / ((EMP_N - 1) * (emp_sample[j + 1] - emp_sample[j])), 1e-14, 0);
      assert_close(StkCostCdf(&em.cost, emp_sample[j]), (double)j / (EMP_N - 1), 1e-14, 0);
      assert_close(StkCostCdf(&em.cost, c), (j + 0.5) / (EMP_N - 1), 1e-12, 0);
    }
  }
}

static void test_cost_cdf_values(void **state)
{
  const StkAgentParams ln = ParamsOfType(STK_COST_LOGNORMAL), un = ParamsOfType(STK_COST_UNIFORM), lg = ParamsOfType(STK_COST_LOGISTIC);
  const PetscReal      m = ln.cost.median, sg = ln.cost.logsd;

  assert_close(StkCostCdf(&ln.cost, m), 0.5, 0, 1e-15);
  assert_close(StkCostCdf(&ln.cost, m * PetscExpReal(sg)), 0.8413447460685429, 0, 1e-15);   /* Phi(1) */
  assert_close(StkCostCdf(&ln.cost, m * PetscExpReal(-10 * sg)), 7.6198530241605261e-24, 1e-12, 0); /* Phi(-10): erfc tail */
  assert_close(StkCostCdf(&un.cost, 0.025), 0.25, 1e-15, 0);
  assert_close(StkCostCdf(&lg.cost, lg.cost.loc + lg.cost.scale * PetscLogReal(3.0)), 0.75, 1e-15, 0);
  assert_close(StkCostCdf(&lg.cost, lg.cost.loc - 50 * lg.cost.scale), PetscExpReal(-50) / (1 + PetscExpReal(-50)), 1e-13, 0);
  /* monotone: non-decreasing everywhere, strictly increasing on the support */
  for (int t = 0; t < STK_COST_NTYPES; t++) {
    const StkAgentParams p = ParamsOfType((StkCostType)t);
    PetscReal            a, b, prev = -1;

    CostRange(&p.cost, &a, &b);
    for (int i = 0; i <= 2000; i++) {
      const PetscReal c = -0.1 + 0.5 * i / 2000, F = StkCostCdf(&p.cost, c);
      assert_true(F >= 0 && F <= 1);
      if (c > a && c < b) assert_true(F > prev);
      else assert_true(F >= prev);
      prev = F;
    }
  }
}

/* The lognormal remembers log(median) for the last median seen (the HJB's inner loop):
 * alternating between two distributions, and changing the median of one in place, each
 * call must give the bits of the formula with log(median) computed afresh. */
static void test_cost_lognormal_median_change(void **state)
{
  StkAgentParams  p = ParamsOfType(STK_COST_LOGNORMAL), q = ParamsOfType(STK_COST_LOGNORMAL);
  const PetscReal c = 0.07;

  q.cost.median = 0.03;
  for (int i = 0; i < 6; i++) {
    StkCostDist    *F  = i % 2 ? &q.cost : &p.cost;
    const PetscReal t  = (PetscLogReal(c) - PetscLogReal(F->median)) / F->logsd;
    const PetscReal pdf = PetscExpReal(-0.5 * t * t) / (c * F->logsd * PetscSqrtReal(2 * PETSC_PI));
    const PetscReal cdf = 0.5 * erfc(-t / PETSC_SQRT2);

    assert_true(StkCostPdf(F, c) == pdf);
    assert_true(StkCostCdf(F, c) == cdf);
    if (i == 3) p.cost.median = 0.11; /* in place: the next call with p sees the new median */
  }
  assert_true(StkCostCdf(&p.cost, 0.11) == 0.5);
}

/* Composite Simpson for int_a^b g(F(c)) dc with g(F) = 1 - F or -F. */
static PetscReal SimpsonTail(const StkCostDist *F, PetscReal a, PetscReal b, PetscBool upper)
{
  const int n   = 20000;
  PetscReal sum = 0;

  for (int i = 0; i <= n; i++) {
    const PetscReal c = a + (b - a) * i / n, Fc = StkCostCdf(F, c), w = (i == 0 || i == n) ? 1 : (i % 2 ? 4 : 2);
    sum += w * (upper ? 1 - Fc : -Fc);
  }
  return sum * (b - a) / n / 3;
}

/* E c = int_0^inf (1 - F) dc - int_-inf^0 F dc, each half by Simpson (the integrand
 * jumps at 0 for the lognormal); the tails beyond |c| = 8 are below 1e-20. */
static void test_cost_mean_quadrature(void **state)
{
  for (int t = 0; t < STK_COST_NTYPES; t++) {
    const StkAgentParams p   = ParamsOfType((StkCostType)t);
    const PetscReal      sum = SimpsonTail(&p.cost, 0, 8, PETSC_TRUE) + SimpsonTail(&p.cost, -8, 0, PETSC_FALSE);

    printf("  %-9s mean %.15g, quadrature %.15g\n", StkCostTypes[t], (double)StkCostMean(&p.cost), (double)sum);
    /* Simpson is exact on each linear piece but not across the empirical cdf's kinks */
    assert_close(StkCostMean(&p.cost), sum, t == STK_COST_EMPIRICAL ? 1e-6 : 1e-8, 0);
  }
  { /* empirical: the trapezoid rule on the knots integrates its piecewise-linear cdf exactly */
    const StkAgentParams em  = ParamsOfType(STK_COST_EMPIRICAL);
    PetscReal            sum = emp_sample[0];
    for (int j = 0; j + 1 < EMP_N; j++) sum += (emp_sample[j + 1] - emp_sample[j]) * (1 - (j + 0.5) / (EMP_N - 1));
    assert_close(StkCostMean(&em.cost), sum, 1e-13, 0);
    const StkAgentParams ga = ParamsOfType(STK_COST_GAMMA);
    assert_close(StkCostMean(&ga.cost), 4 * 0.0125, 1e-15, 0);
  }
  {
    const StkAgentParams ln = ParamsOfType(STK_COST_LOGNORMAL);
    assert_close(StkCostMean(&ln.cost), 0.05 * exp(0.125), 1e-15, 0);
  }
}

static void test_equilibrium_residual_sweep(void **state)
{
  for (int t = 0; t < STK_COST_NTYPES; t++) {
    const StkAgentParams p = ParamsOfType((StkCostType)t);
    PetscInt             maxits = 0, sumits = 0, n = 0;

    for (int i = 0; i <= 30; i++) {
      for (int j = 0; j <= 12; j++) {
        const PetscReal u = 0.15 * i / 30, z = -0.03 + 0.06 * j / 12;
        PetscReal       s, dsdu;
        PetscInt        its;

        assert_petsc(StkAgentsEquilibrium(&p, u, z, &s, &dsdu, &its));
        assert_true(s > 0 && s <= p.s_max);
        assert_close(s, p.s_max * StkCostCdf(&p.cost, (u + p.phi) / s - z), 0, 1e-12);
        assert_true(dsdu >= 0);
        maxits = PetscMax(maxits, its), sumits += its, n++;
      }
    }
    printf("  %-9s iterations: max %d, mean %.2f over %d (u, z)\n", StkCostTypes[t], (int)maxits, (double)sumits / n, (int)n);
    assert_true(maxits <= 60);
  }
}

static void test_equilibrium_derivative(void **state)
{
  for (int t = 0; t < STK_COST_NTYPES; t++) {
    const StkAgentParams p = ParamsOfType((StkCostType)t);
    PetscReal            maxrel = 0;

    for (int i = 1; i <= 15; i++) {
      for (int j = 0; j <= 6; j++) {
        const PetscReal u = 0.01 * i, z = -0.03 + 0.01 * j, h = 1e-6;
        PetscReal       s, dsdu, sp, sm;

        assert_petsc(StkAgentsEquilibrium(&p, u, z, &s, &dsdu, NULL));
        /* the uniform cdf has a kink at hi, where s* hits s_max and its u-derivative jumps */
        if (p.cost.type == STK_COST_UNIFORM && PetscAbsReal((u + p.phi) / s - z - p.cost.hi) < 1e-3) continue;
        /* the empirical cdf has a kink at every cost; the FD step moves the threshold by < 1e-5 */
        if (NearKnot(&p.cost, (u + p.phi) / s - z, 1e-5)) continue;
        assert_petsc(StkAgentsEquilibrium(&p, u + h, z, &sp, NULL, NULL));
        assert_petsc(StkAgentsEquilibrium(&p, u - h, z, &sm, NULL, NULL));
        assert_close(dsdu, (sp - sm) / (2 * h), 1e-6, 1e-10);
        if (dsdu > 0) maxrel = PetscMax(maxrel, PetscAbsReal(dsdu - (sp - sm) / (2 * h)) / dsdu);
      }
    }
    printf("  %-9s max rel |ds*/du - FD| = %.2e\n", StkCostTypes[t], (double)maxrel);
  }
}

/* g(s) = s - s_max F((u+phi)/s - z) on a fine grid: exactly one change of sign, and
 * the grid cell where it happens holds the returned root. */
static void test_equilibrium_unique_bracket(void **state)
{
  const int N = 4000;

  for (int t = 0; t < STK_COST_NTYPES; t++) {
    const StkAgentParams p = ParamsOfType((StkCostType)t);
    for (int i = 0; i <= 6; i++) {
      for (int j = 0; j <= 2; j++) {
        const PetscReal u = 0.025 * i, z = -0.03 + 0.03 * j;
        PetscReal       s, gprev = -p.s_max, sprev = 0; /* g(0+) = -s_max */
        int             changes = 0;

        assert_petsc(StkAgentsEquilibrium(&p, u, z, &s, NULL, NULL));
        for (int k = 1; k <= N; k++) {
          const PetscReal sk = p.s_max * k / N, g = sk - p.s_max * StkCostCdf(&p.cost, (u + p.phi) / sk - z);
          if (gprev < 0 && g >= 0) {
            changes++;
            assert_true(s >= sprev && s <= sk);
          }
          if (gprev >= 0) assert_true(g >= 0); /* never back below zero */
          gprev = g, sprev = sk;
        }
        assert_int_equal(changes, 1);
      }
    }
  }
}

static void test_equilibrium_baseline(void **state)
{
  StkAgentParams p;
  PetscReal      s, dsdu;
  PetscInt       its;

  assert_petsc(StkAgentParamsDefault(&p));
  assert_petsc(StkAgentsEquilibrium(&p, 0.03, 0.0, &s, &dsdu, &its));
  printf("  baseline u = ubar = 0.03, z = 0: s* = %.15f, ds*/du = %.10f, %d iterations\n", (double)s, (double)dsdu, (int)its);
  assert_true(s >= 0.5 && s <= 0.6);
  assert_close(s, 0.9 * 0.5 * erfc(-(log(0.032 / s) - log(0.05)) / 0.5 / sqrt(2.0)), 0, 1e-14);
  assert_true(its <= 10);
}

static void test_drift(void **state)
{
  StkAgentParams p;
  PetscReal      s, maxrel = 0;

  assert_petsc(StkAgentParamsDefault(&p));
  for (int i = 0; i <= 6; i++) {
    const PetscReal u = 0.025 * i, z = -0.02 + 0.01 * (i % 5);
    assert_petsc(StkAgentsEquilibrium(&p, u, z, &s, NULL, NULL));
    assert_close(StkAgentsDrift(&p, s, z, u), 0, 0, 1e-12);
    for (int k = 1; k <= 9; k++) { /* b_u against central differences in u */
      const PetscReal sk = 0.1 * k, h = 1e-6;
      const PetscReal fd = (StkAgentsDrift(&p, sk, z, u + h) - StkAgentsDrift(&p, sk, z, u - h)) / (2 * h), bu = StkAgentsDriftU(&p, sk, z, u);
      assert_close(bu, fd, 1e-6, 1e-9); /* atol: round-off eps |b| / h */
      if (bu > 1e-3) maxrel = PetscMax(maxrel, PetscAbsReal(bu - fd) / bu); /* where b_u is material */
    }
  }
  printf("  max rel |b_u - FD| = %.2e\n", (double)maxrel);
  assert_close(StkAgentsDrift(&p, 0, 0, 0.03), p.kappa * p.s_max, 1e-15, 0);      /* floor: everybody stakes */
  assert_close(StkAgentsYield(&p, 0, 0.03), 0.032 / STK_S_FLOOR, 1e-15, 0);
  assert_close(StkAgentsDrift(&p, 1, 0, 0.03), p.kappa * (p.s_max * StkCostCdf(&p.cost, 0.032) - 1), 1e-15, 0);
  assert_true(StkAgentsDrift(&p, 1, -0.03, 0.15) <= p.kappa * (p.s_max - 1));
  assert_true(StkAgentsDrift(&p, 1, -0.03, 0.15) < 0);
  assert_true(StkAgentsVolatility(&p, 0) == 0 && StkAgentsVolatility(&p, 1) == 0);
  assert_close(StkAgentsVolatility(&p, 0.5), 0.5 * p.sigma0, 1e-15, 0);
  assert_close(StkAgentsVolatility(&p, 0.1), p.sigma0 * 0.3, 1e-15, 0);
  assert_close(StkAgentsZHalfWidth(&p), 4 * 0.01 / sqrt(2.0), 1e-15, 0);
}

static void test_bad_input(void **state)
{
  StkAgentParams p, q;
  PetscReal      s = -1;

  assert_petsc(StkAgentParamsDefault(&p));
  assert_petsc(StkAgentParamsCheck(PETSC_COMM_SELF, &p));
  assert_petsc(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  q = p, q.kappa = 0;
  assert_int_equal(StkAgentParamsCheck(PETSC_COMM_SELF, &q), PETSC_ERR_ARG_OUTOFRANGE);
  q = p, q.kappa = -1;
  assert_int_not_equal(StkAgentParamsCheck(PETSC_COMM_SELF, &q), 0);
  q = p, q.kappa = NAN;
  assert_int_not_equal(StkAgentParamsCheck(PETSC_COMM_SELF, &q), 0);
  q = p, q.sigma0 = -0.01;
  assert_int_not_equal(StkAgentParamsCheck(PETSC_COMM_SELF, &q), 0);
  q = p, q.s_max = 1.1;
  assert_int_not_equal(StkAgentParamsCheck(PETSC_COMM_SELF, &q), 0);
  q = p, q.cost.logsd = 0;
  assert_int_not_equal(StkAgentParamsCheck(PETSC_COMM_SELF, &q), 0);
  q = p, q.cost.type = STK_COST_UNIFORM, q.cost.lo = 0.2;
  assert_int_not_equal(StkAgentParamsCheck(PETSC_COMM_SELF, &q), 0);
  q = p, q.cost.type = STK_COST_LOGISTIC, q.cost.scale = 0;
  assert_int_not_equal(StkAgentParamsCheck(PETSC_COMM_SELF, &q), 0);
  assert_int_equal(StkAgentsEquilibrium(&p, -p.phi, 0, &s, NULL, NULL), PETSC_ERR_ARG_OUTOFRANGE);
  assert_int_not_equal(StkAgentsEquilibrium(&p, -0.01, 0, &s, NULL, NULL), 0);
  assert_true(s == -1); /* output untouched on error */
  assert_petsc(PetscPopErrorHandler());
}

static void SetOption(const char *name, const char *value) { assert_petsc(PetscOptionsSetValue(NULL, name, value)); }
static void ClearOption(const char *name) { assert_petsc(PetscOptionsClearValue(NULL, name)); }

static void test_population_options(void **state)
{
  StkPopulation         pop;
  const StkAgentParams *p;
  StkAgentParams        q;
  const char           *names[] = {"-agents_kappa", "-agents_cost", "-agents_cost_hi", "-agents_s_max", "-agents_sigma_z"};

  assert_petsc(StkPopulationCreate(PETSC_COMM_WORLD, &pop));
  SetOption("-agents_kappa", "3.5");
  SetOption("-agents_cost", "uniform");
  SetOption("-agents_cost_hi", "0.2");
  SetOption("-agents_s_max", "0.8");
  SetOption("-agents_sigma_z", "0.02");
  assert_petsc(StkPopulationSetFromOptions(pop));
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) ClearOption(names[i]);
  assert_petsc(StkPopulationGetParams(pop, &p));
  assert_close(p->kappa, 3.5, 0, 0);
  assert_int_equal(p->cost.type, STK_COST_UNIFORM);
  assert_close(p->cost.hi, 0.2, 0, 0);
  assert_close(p->cost.lo, 0.0, 0, 0);
  assert_close(p->s_max, 0.8, 0, 0);
  assert_close(p->sigma_z, 0.02, 0, 0);
  assert_close(p->phi, 0.002, 0, 0); /* untouched default */

  /* a bad value fails SetFromOptions and leaves the population as it was */
  SetOption("-agents_kappa", "-1");
  assert_petsc(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  assert_int_equal(StkPopulationSetFromOptions(pop), PETSC_ERR_ARG_OUTOFRANGE);
  q       = *p;
  q.phi   = -0.5;
  assert_int_not_equal(StkPopulationSetParams(pop, &q), 0);
  assert_petsc(PetscPopErrorHandler());
  ClearOption("-agents_kappa");
  assert_close(p->kappa, 3.5, 0, 0);
  assert_close(p->phi, 0.002, 0, 0);

  q       = *p;
  q.theta = 2.5;
  assert_petsc(StkPopulationSetParams(pop, &q));
  assert_close(p->theta, 2.5, 0, 0);
  assert_petsc(StkPopulationDestroy(&pop));
  assert_null(pop);
  assert_petsc(StkPopulationDestroy(&pop)); /* NULL is accepted */

  /* with the options cleared a new population is the baseline again */
  assert_petsc(StkPopulationCreate(PETSC_COMM_WORLD, &pop));
  assert_petsc(StkPopulationSetFromOptions(pop));
  assert_petsc(StkPopulationGetParams(pop, &p));
  assert_close(p->kappa, 2.0, 0, 0);
  assert_int_equal(p->cost.type, STK_COST_LOGNORMAL);
  assert_petsc(StkPopulationDestroy(&pop));
}

static void test_population_view(void **state)
{
  StkPopulation pop;
  PetscViewer   viewer;
  StkAgentParams q;
  char          path[] = "/tmp/stk_test_agents_view_XXXXXX", text[2048] = {0};
  int           fd     = mkstemp(path);
  FILE         *fp;

  assert_true(fd >= 0);
  close(fd);
  assert_petsc(StkPopulationCreate(PETSC_COMM_SELF, &pop));
  assert_petsc(StkAgentParamsDefault(&q));
  q.kappa = 0.5;
  assert_petsc(StkPopulationSetParams(pop, &q));
  assert_petsc(PetscViewerASCIIOpen(PETSC_COMM_SELF, path, &viewer));
  assert_petsc(StkPopulationView(pop, viewer));
  assert_petsc(PetscViewerDestroy(&viewer));
  assert_petsc(StkPopulationDestroy(&pop));
  fp = fopen(path, "r");
  assert_non_null(fp);
  assert_true(fread(text, 1, sizeof(text) - 1, fp) > 0);
  fclose(fp);
  unlink(path);
  assert_non_null(strstr(text, "lognormal, median 0.05"));
  assert_non_null(strstr(text, "kappa 0.5 1/yr"));
  assert_non_null(strstr(text, "s_max 0.9"));
}

/* P(k, x) against scipy.special.gammainc (printed to 16 digits), and closed forms:
 * shape 1 is the exponential, shape 1/2 gives erf(sqrt x), integer shapes Erlang.
 * Both branches (series for x < k + 1, continued fraction beyond) are exercised. */
static void test_gamma_cdf_values(void **state)
{
  StkAgentParams p = ParamsOfType(STK_COST_GAMMA);
  const struct {
    PetscReal k, x, P;
  } ref[] = {
    {100,  100,  0.5132987982791487},
    {1000, 1000, 0.5042052441802155},
    {0.5,  0.3,  0.5614219739190003},
    {4,    2,    0.14287653950145296},
    {4,    12,   0.9977082087922086},
    {0.1,  1e-3, 0.526768568392445},
    {2.5,  3.5,  0.7793596920632894},
  };

  p.cost.gscale = 1;
  for (size_t i = 0; i < sizeof(ref) / sizeof(ref[0]); i++) {
    p.cost.shape = ref[i].k;
    assert_close(StkCostCdf(&p.cost, ref[i].x), ref[i].P, 1e-12, 0);
  }
  p.cost.shape = 4; /* upper tail through the continued fraction: 1 - P(4, 40) = 4.888864465181043e-14 */
  assert_close(1 - StkCostCdf(&p.cost, 40), 4.888864465181043e-14, 2e-3, 0);
  for (int i = 1; i <= 60; i++) {
    const PetscReal x = 0.25 * i;
    p.cost.shape = 1;
    assert_close(StkCostCdf(&p.cost, x), -expm1(-x), 1e-14, 0);
    p.cost.shape = 0.5;
    assert_close(StkCostCdf(&p.cost, x), erf(sqrt(x)), 1e-14, 0);
    p.cost.shape = 3;
    assert_close(StkCostCdf(&p.cost, x), 1 - exp(-x) * (1 + x + 0.5 * x * x), 1e-13, 1e-16);
    assert_close(StkCostPdf(&p.cost, x), 0.5 * x * x * exp(-x), 1e-13, 0);
  }
  /* scale: F(c) = P(k, c / theta) */
  p = ParamsOfType(STK_COST_GAMMA);
  assert_close(StkCostCdf(&p.cost, 2 * p.cost.gscale), 0.14287653950145296, 1e-12, 0);
}

/* F(F^{-1}(p)) = p across (0, 1), tails included, for every family. */
static void test_cost_quantile(void **state)
{
  const PetscReal ps[] = {1e-12, 1e-6, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 1 - 1e-6, 1 - 1e-12};

  for (int t = 0; t < STK_COST_NTYPES; t++) {
    const StkAgentParams p = ParamsOfType((StkCostType)t);
    PetscReal            maxerr = 0, prev = -1;
    for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
      /* relative to the nearer tail probability, or to round-off of a cdf value near 1 */
      const PetscReal c = StkCostQuantile(&p.cost, ps[i]), err = PetscAbsReal(StkCostCdf(&p.cost, c) - ps[i]) / PetscMax(PetscMin(ps[i], 1 - ps[i]), 1e-6);
      assert_true(c > prev); /* increasing */
      assert_true(err < 1e-9);
      maxerr = PetscMax(maxerr, err), prev = c;
    }
    printf("  %-9s max |F(Q(p)) - p| / max(min(p, 1 - p), 1e-6) = %.1e\n", StkCostTypes[t], (double)maxerr);
    assert_true(PetscIsNanReal(StkCostQuantile(&p.cost, 0)) && PetscIsNanReal(StkCostQuantile(&p.cost, 1)));
  }
  { /* closed forms: lognormal median, gamma quantile from scipy, empirical order statistics */
    StkAgentParams p = ParamsOfType(STK_COST_LOGNORMAL);
    assert_close(StkCostQuantile(&p.cost, 0.5), 0.05, 1e-15, 0);
    assert_close(StkCostQuantile(&p.cost, 0.8413447460685429), 0.05 * exp(0.5), 1e-14, 0);
    p = ParamsOfType(STK_COST_GAMMA);
    assert_close(StkCostQuantile(&p.cost, 0.3), 0.0345463880326581, 1e-13, 0);
    p.cost.shape = 0.3; /* small shape, deep lower tail: 4.045550283254451e-36 */
    assert_close(StkCostQuantile(&p.cost, 1e-10), 4.045550283254451e-36, 1e-9, 0);
    p = ParamsOfType(STK_COST_EMPIRICAL);
    assert_close(StkCostQuantile(&p.cost, 7.0 / (EMP_N - 1)), emp_sample[7], 1e-13, 0);
  }
}

/* A PETSc error handler that keeps the first message, for asserting on its text. */
static char err_msg[1024];
static PetscErrorCode RecordError(MPI_Comm comm, int line, const char *fun, const char *file, PetscErrorCode n, PetscErrorType p, const char *mess, void *ctx)
{
  if (p == PETSC_ERROR_INITIAL && mess) snprintf(err_msg, sizeof(err_msg), "%s", mess);
  return n;
}

/* Rank 0 writes `text` to a fresh temporary file; every rank gets its name in path
 * (the loader reads on rank 0, and its messages name rank 0's path). */
/* Writes `len` bytes (NUL bytes included) to a new temporary file named into path. */
static void WriteTempBytes(char path[], const char *bytes, size_t len)
{
  PetscMPIInt rank;

  assert_int_equal(MPI_Comm_rank(PETSC_COMM_WORLD, &rank), 0);
  if (!rank) {
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, bytes, len), (ssize_t)len);
    close(fd);
  }
  assert_int_equal(MPI_Bcast(path, (int)strlen(path) + 1, MPI_CHAR, 0, PETSC_COMM_WORLD), 0);
}

static void WriteTemp(char path[], const char *text)
{
  PetscMPIInt rank;

  assert_int_equal(MPI_Comm_rank(PETSC_COMM_WORLD, &rank), 0);
  if (!rank) {
    int   fd = mkstemp(path);
    FILE *fp;
    assert_true(fd >= 0);
    fp = fdopen(fd, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
  }
  assert_int_equal(MPI_Bcast(path, (int)strlen(path) + 1, MPI_CHAR, 0, PETSC_COMM_WORLD), 0);
}

/* Rank 0 removes the file once every rank is done with it. */
static void RemoveTemp(const char path[])
{
  PetscMPIInt rank;

  assert_int_equal(MPI_Barrier(PETSC_COMM_WORLD), 0);
  assert_int_equal(MPI_Comm_rank(PETSC_COMM_WORLD, &rank), 0);
  if (!rank) unlink(path);
}

/* Loading `text` fails, with a message naming the file and containing `what`. */
static void ExpectLoadError(const char *text, const char *what)
{
  char       path[] = "/tmp/stk_test_costs_XXXXXX";
  PetscInt   n      = -1;
  PetscReal *x      = NULL;

  WriteTemp(path, text);
  err_msg[0] = 0;
  assert_petsc(PetscPushErrorHandler(RecordError, NULL));
  assert_int_not_equal(StkCostSampleLoad(PETSC_COMM_WORLD, path, &n, &x), 0);
  assert_petsc(PetscPopErrorHandler());
  RemoveTemp(path);
  printf("  error: %s\n", err_msg);
  assert_non_null(strstr(err_msg, path));
  assert_non_null(strstr(err_msg, what));
  assert_int_equal(n, -1);
  assert_null(x);
}

static void test_cost_file(void **state)
{
  char       path[] = "/tmp/stk_test_costs_XXXXXX";
  PetscInt   n;
  PetscReal *x;

  /* header, comments, blank lines, CRLF, exponents; sorted on return */
  WriteTemp(path, "# opportunity costs, 1/yr\ncost\n0.07\n\n  0.01  # low\r\n5e-2\n0.03\n0\n");
  assert_petsc(StkCostSampleLoad(PETSC_COMM_WORLD, path, &n, &x));
  RemoveTemp(path);
  assert_int_equal(n, 5);
  {
    const PetscReal expect[5] = {0, 0.01, 0.03, 0.05, 0.07};
    for (int j = 0; j < 5; j++) assert_close(x[j], expect[j], 0, 0);
  }
  assert_petsc(PetscFree(x));

  ExpectLoadError("cost\n0.01\n0.02\nabc\n", "line 4: \"abc\" is not a number");
  ExpectLoadError("0.01\n0.02, 0.03\n", "line 2: \"0.02, 0.03\" is not a number");
  ExpectLoadError("cost\n0.01\n-0.02\n", "line 3: cost -0.02 is negative");
  ExpectLoadError("0.01\nnan\n", "line 2: cost \"nan\" is not finite");
  ExpectLoadError("0.01\ninf\n", "line 2: cost \"inf\" is not finite");
  ExpectLoadError("# nothing\ncost\n\n", "holds no costs");
  ExpectLoadError("", "holds no costs");
  ExpectLoadError("0.05\n0.05\n", "at least 2 distinct costs");
  ExpectLoadError("\xEF\xBB\xBF", "holds no costs"); /* a byte order mark alone */
  { /* a NUL byte: an error naming the line, not a silently shortened number */
    char       nul[] = "/tmp/stk_test_costs_XXXXXX";
    PetscInt   m     = -1;
    PetscReal *y     = NULL;
    WriteTempBytes(nul, "0.01\n0.0\0003\n0.05\n", 16);
    assert_petsc(PetscPushErrorHandler(RecordError, NULL));
    assert_int_equal(StkCostSampleLoad(PETSC_COMM_WORLD, nul, &m, &y), PETSC_ERR_FILE_UNEXPECTED);
    assert_petsc(PetscPopErrorHandler());
    RemoveTemp(nul);
    printf("  error: %s\n", err_msg);
    assert_non_null(strstr(err_msg, nul));
    assert_non_null(strstr(err_msg, "line 2: holds a NUL byte"));
    assert_null(y);
  }
  /* a UTF-8 byte order mark before the first value: the value is kept, not taken for a header */
  {
    char bom[] = "/tmp/stk_test_costs_XXXXXX";
    WriteTemp(bom, "\xEF\xBB\xBF" "0.02\n0.04\n0.06\n");
    assert_petsc(StkCostSampleLoad(PETSC_COMM_WORLD, bom, &n, &x));
    RemoveTemp(bom);
  }
  assert_int_equal(n, 3);
  assert_close(x[0], 0.02, 0, 0);
  assert_petsc(PetscFree(x));
  { /* a missing file */
    PetscInt   m = -1;
    PetscReal *y = NULL;
    assert_petsc(PetscPushErrorHandler(RecordError, NULL));
    assert_int_equal(StkCostSampleLoad(PETSC_COMM_WORLD, "/nonexistent/costs.csv", &m, &y), PETSC_ERR_FILE_OPEN);
    assert_petsc(PetscPopErrorHandler());
    printf("  error: %s\n", err_msg);
    assert_non_null(strstr(err_msg, "-agents_cost_file /nonexistent/costs.csv: cannot open"));
    assert_null(y);
  }
}

/* -agents_cost empirical -agents_cost_file: the population owns the sample; the
 * parameter block points at it; SetParams copies a foreign sample; errors name the
 * option and leave the population unchanged. */
static void test_population_empirical(void **state)
{
  char                  path[] = "/tmp/stk_test_costs_XXXXXX";
  StkPopulation         pop;
  const StkAgentParams *p;
  StkAgentParams        q;
  const char           *file;
  PetscReal            *mine;

  WriteTemp(path, "cost\n0.02\n0.06\n0.04\n0.08\n");
  assert_petsc(StkPopulationCreate(PETSC_COMM_WORLD, &pop));
  SetOption("-agents_cost", "empirical");
  SetOption("-agents_cost_file", path);
  assert_petsc(StkPopulationSetFromOptions(pop));
  ClearOption("-agents_cost_file");
  assert_petsc(StkPopulationGetParams(pop, &p));
  assert_petsc(StkPopulationGetCostFile(pop, &file));
  assert_string_equal(file, path);
  assert_int_equal(p->cost.type, STK_COST_EMPIRICAL);
  assert_int_equal(p->cost.nsample, 4);
  assert_close(p->cost.sample[2], 0.06, 0, 0);
  assert_close(StkCostCdf(&p->cost, 0.05), 0.5, 1e-15, 0); /* halfway through the middle gap */
  assert_close(StkCostMean(&p->cost), 0.05, 1e-15, 0);
  { /* the equilibrium with the file's F: s = s_max F((u + phi)/s - z) */
    PetscReal s;
    assert_petsc(StkAgentsEquilibrium(p, 0.03, 0, &s, NULL, NULL));
    assert_close(s, p->s_max * StkCostCdf(&p->cost, 0.032 / s), 0, 1e-13);
    assert_true(s > 0.3 && s < 0.9);
  }
  /* a copy of the block can be handed back (no reallocation) */
  q = *p;
  q.kappa = 3;
  assert_petsc(StkPopulationSetParams(pop, &q));
  assert_true(p->cost.sample == q.cost.sample);
  /* a foreign sample is copied: the caller may free it */
  assert_petsc(PetscMalloc1(3, &mine));
  mine[0] = 0.01, mine[1] = 0.02, mine[2] = 0.04;
  q.cost.sample = mine, q.cost.nsample = 3;
  assert_petsc(StkPopulationSetParams(pop, &q));
  assert_petsc(PetscFree(mine));
  assert_int_equal(p->cost.nsample, 3);
  assert_close(StkCostCdf(&p->cost, 0.03), 0.75, 1e-15, 0);

  /* a missing file: the error names the option and file, the population keeps its sample */
  SetOption("-agents_cost_file", "/nonexistent/costs.csv");
  assert_petsc(PetscPushErrorHandler(RecordError, NULL));
  assert_int_equal(StkPopulationSetFromOptions(pop), PETSC_ERR_FILE_OPEN);
  assert_petsc(PetscPopErrorHandler());
  ClearOption("-agents_cost_file");
  assert_non_null(strstr(err_msg, "-agents_cost_file /nonexistent/costs.csv"));
  assert_int_equal(p->cost.nsample, 3);
  assert_petsc(StkPopulationDestroy(&pop));

  /* empirical without a file */
  assert_petsc(StkPopulationCreate(PETSC_COMM_WORLD, &pop));
  assert_petsc(PetscPushErrorHandler(RecordError, NULL));
  assert_int_not_equal(StkPopulationSetFromOptions(pop), 0);
  assert_petsc(PetscPopErrorHandler());
  assert_non_null(strstr(err_msg, "-agents_cost_file"));
  ClearOption("-agents_cost");
  assert_petsc(StkPopulationDestroy(&pop));
  RemoveTemp(path);

  /* gamma options and checks */
  assert_petsc(StkPopulationCreate(PETSC_COMM_WORLD, &pop));
  SetOption("-agents_cost", "gamma");
  SetOption("-agents_cost_shape", "2");
  SetOption("-agents_cost_gscale", "0.03");
  assert_petsc(StkPopulationSetFromOptions(pop));
  assert_petsc(StkPopulationGetParams(pop, &p));
  assert_int_equal(p->cost.type, STK_COST_GAMMA);
  assert_close(StkCostMean(&p->cost), 0.06, 1e-15, 0);
  SetOption("-agents_cost_shape", "-1");
  assert_petsc(PetscPushErrorHandler(RecordError, NULL));
  assert_int_equal(StkPopulationSetFromOptions(pop), PETSC_ERR_ARG_OUTOFRANGE);
  assert_petsc(PetscPopErrorHandler());
  assert_non_null(strstr(err_msg, "-agents_cost_shape must be > 0"));
  SetOption("-agents_cost_shape", "2");
  SetOption("-agents_cost_gscale", "0");
  assert_petsc(PetscPushErrorHandler(RecordError, NULL));
  assert_int_equal(StkPopulationSetFromOptions(pop), PETSC_ERR_ARG_OUTOFRANGE);
  assert_petsc(PetscPopErrorHandler());
  assert_non_null(strstr(err_msg, "-agents_cost_gscale must be > 0"));
  ClearOption("-agents_cost"), ClearOption("-agents_cost_shape"), ClearOption("-agents_cost_gscale");
  assert_petsc(StkPopulationDestroy(&pop));
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(test_gamma_cdf_values),
  cmocka_unit_test(test_cost_quantile),
  cmocka_unit_test(test_cost_file),
  cmocka_unit_test(test_population_empirical),
  cmocka_unit_test(test_cost_pdf_is_cdf_derivative),
  cmocka_unit_test(test_cost_cdf_values),
  cmocka_unit_test(test_cost_lognormal_median_change),
  cmocka_unit_test(test_cost_mean_quadrature),
  cmocka_unit_test(test_equilibrium_residual_sweep),
  cmocka_unit_test(test_equilibrium_derivative),
  cmocka_unit_test(test_equilibrium_unique_bracket),
  cmocka_unit_test(test_equilibrium_baseline),
  cmocka_unit_test(test_drift),
  cmocka_unit_test(test_bad_input),
  cmocka_unit_test(test_population_options),
  cmocka_unit_test(test_population_view),
};

STK_TEST_MAIN(tests)
