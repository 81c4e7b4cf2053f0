/* Token holders (MODEL.md section 2): cost distributions, the threshold equilibrium,
 * the mean-field drift, parameter checks and the StkPopulation object. */
#define _POSIX_C_SOURCE 200809L /* mkstemp */
#include "stk_test.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "stk_agents.h"

/* Baseline parameters with the cost family switched to `type` (other fields default). */
static StkAgentParams ParamsOfType(StkCostType type)
{
  StkAgentParams p;
  assert_petsc(StkAgentParamsDefault(&p));
  p.cost.type = type;
  return p;
}

/* An interval of costs where each family has non-negligible mass; the uniform one
 * stays clear of its kinks at lo and hi. */
static void CostRange(const StkCostDist *F, PetscReal *a, PetscReal *b)
{
  switch (F->type) {
  case STK_COST_LOGNORMAL: *a = 0.005, *b = 0.3; break;
  case STK_COST_UNIFORM: *a = F->lo + 1e-3, *b = F->hi - 1e-3; break;
  default: *a = F->loc - 8 * F->scale, *b = F->loc + 8 * F->scale; break;
  }
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
    assert_close(StkCostMean(&p.cost), sum, 1e-8, 0);
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

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(test_cost_pdf_is_cdf_derivative),
  cmocka_unit_test(test_cost_cdf_values),
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
