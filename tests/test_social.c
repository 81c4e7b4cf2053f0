/* The social gradient on two timescales (policy/stk_policy.h, StkPolicySocialOptimum,
 * -policy social_gradient_2ts) on the 1-D staking model:
 *  - the static social optimum min_u l(s*(u), u) by Brent against a fine scan of L and
 *    the zero of a finite difference of L (independent of the analytic ds*(u)/du);
 *  - the static two-timescale iteration (the holders' mean-field best-response dynamics
 *    s' = b(s, zbar, u) at rate kappa, the policy's leader on the slow timescale with
 *    a(t) -> 0) converges to that optimum to 1e-4;
 *  - the HJB expert's long-run issuance against it: the expert's u at the stationary
 *    point of its noise-free closed loop and the mean of u under its stationary density
 *    (the golden rule of the undiscounted noise-free problem is the static optimum;
 *    discount and noise move the expert off it, here by less than 3e-4). */
#include "stk_test_problem.h"
#include "stk_policy.h"
#include "stk_agents.h"

/* A 1-D staking model from `options` (a fresh options database). */
static StkModel Model(const char options[])
{
  StkModel     m;
  PetscOptions db;

  assert_petsc(PetscOptionsCreate(&db));
  if (options) assert_petsc(PetscOptionsInsertString(db, options));
  assert_petsc(PetscOptionsPush(db));
  assert_petsc(StkModelCreate(PETSC_COMM_SELF, &m));
  assert_petsc(StkModelSetType(m, STK_MODEL_STAKING));
  assert_petsc(StkModelSetDimension(m, 1));
  assert_petsc(StkModelSetFromOptions(m));
  assert_petsc(StkModelSetUp(m));
  assert_petsc(PetscOptionsPop());
  assert_petsc(PetscOptionsDestroy(&db));
  return m;
}

static const StkAgentParams *Params(StkModel m)
{
  StkPopulation         pop;
  const StkAgentParams *mp;

  assert_petsc(StkModelStakingGetPopulation(m, &pop));
  assert_petsc(StkPopulationGetParams(pop, &mp));
  return mp;
}

/* L(u) = l(s*(u), u) straight from the agents' equilibrium and the model's cost. */
static PetscReal StaticCost(StkModel m, PetscReal u)
{
  PetscReal s, ds, x[2], l;
  PetscInt  its;

  assert_petsc(StkAgentsEquilibrium(Params(m), u, Params(m)->zbar, &s, &ds, &its));
  x[0] = s, x[1] = Params(m)->zbar;
  assert_petsc(StkModelCost(m, x, &u, &l));
  return l;
}

static void CheckOptimum(const char options[])
{
  StkModel         m = Model(options);
  StkSocialOptimum opt;
  PetscReal        u_min, u_max, best = PETSC_MAX_REAL, u_scan = 0, lo, hi;
  const PetscInt   n = 20000;

  assert_petsc(StkModelGetControlBounds(m, 0, &u_min, &u_max));
  assert_petsc(StkPolicySocialOptimum(m, Params(m)->zbar, 1e-10, &opt));
  for (PetscInt i = 0; i <= n; i++) {
    const PetscReal u = u_min + (u_max - u_min) * i / n, L = StaticCost(m, u);
    if (L < best) best = L, u_scan = u;
  }
  /* the zero of a central difference of L, by bisection on a bracket around the scan's minimum */
  lo = u_scan - (u_max - u_min) / n, hi = u_scan + (u_max - u_min) / n;
  for (int k = 0; k < 60; k++) {
    const PetscReal mid = 0.5 * (lo + hi), h = 1e-6;
    if (StaticCost(m, mid + h) - StaticCost(m, mid - h) > 0) hi = mid;
    else lo = mid;
  }
  print_message("%s: social optimum u* = %.8f (s* = %.6f, L = %.8f, dL/du = %.2e, %d Brent iterations); scan %.6f, zero of the difference of L %.8f\n", options, (double)opt.u, (double)opt.s, (double)opt.cost, (double)opt.dcost_du, (int)opt.its, (double)u_scan, (double)(0.5 * (lo + hi)));
  assert_true(opt.u > u_min && opt.u < u_max);
  assert_close(opt.u, u_scan, 0, 1.5 * (u_max - u_min) / n);
  assert_close(opt.u, 0.5 * (lo + hi), 0, 1e-7);
  assert_close(opt.cost, StaticCost(m, opt.u), 1e-14, 0);
  assert_true(opt.cost <= best);
  assert_close(opt.dcost_du, 0, 0, 1e-6); /* the analytic gradient vanishes there */
  assert_petsc(StkModelDestroy(&m));
}

/* Brent's minimizer against the scan and the zero of dL/du, on two models. */
static void test_social_optimum(void **state)
{
  CheckOptimum("-hjb_eta 0");
  CheckOptimum("-hjb_eta 0.5 -agents_cost_median 0.05 -hjb_w_u 5");
}

/* The policy against the holders' noise-free best-response dynamics s' = b(s, zbar, u):
 * the rate converges to the static social optimum. */
static PetscReal TwoTimescale(StkModel m, const char options[], PetscReal years, PetscReal *s_end, PetscBool print)
{
  const StkAgentParams *mp = Params(m);
  StkPolicy             p;
  PetscOptions          db;
  PetscReal             s = 0.3, u = 0, t = 0, mem[8];
  const PetscReal       dt = 1.0 / 365;
  const PetscInt        steps = (PetscInt)(years * 365 + 0.5);
  StkSocialOptimum      opt;

  assert_petsc(StkPolicySocialOptimum(m, mp->zbar, 1e-12, &opt));
  assert_petsc(PetscOptionsCreate(&db));
  assert_petsc(PetscOptionsInsertString(db, options));
  assert_petsc(PetscOptionsPush(db));
  assert_petsc(StkPolicyCreate(PETSC_COMM_SELF, &p));
  assert_petsc(StkPolicySetModel(p, m));
  assert_petsc(StkPolicySetFromOptions(p));
  assert_petsc(StkPolicySetUp(p));
  assert_petsc(PetscOptionsPop());
  assert_petsc(PetscOptionsDestroy(&db));
  {
    const PetscReal x0[1] = {s};
    assert_petsc(StkPolicyReset(p, 0, x0, mem));
  }
  for (PetscInt k = 0; k <= steps; k++) {
    const PetscReal x[1] = {s};
    t = k * dt;
    assert_petsc(StkPolicyEvaluate(p, t, x, &u, mem));
    if (print && (k == 365 || k == 5 * 365 || k == 20 * 365 || k == 50 * 365 || k == 100 * 365 || k == steps)) print_message("    t %5.0f yr: |u - u*| %.3e, |s - s*| %.3e\n", (double)t, (double)PetscAbsReal(u - opt.u), (double)PetscAbsReal(s - opt.s));
    s += StkAgentsDrift(mp, s, mp->zbar, u) * dt;
  }
  assert_petsc(StkPolicyDestroy(&p));
  *s_end = s;
  return u;
}

static void test_two_timescale_static(void **state)
{
  StkModel         m  = Model("");
  const StkAgentParams *mp = Params(m);
  StkSocialOptimum opt;
  PetscReal        u, s, a_end;

  assert_petsc(StkPolicySocialOptimum(m, mp->zbar, 1e-12, &opt));
  /* the default steps a0 = 0.01, t0 = 1 yr, alpha = 0.602 over 100 years */
  print_message("two timescales, default steps (kappa %g /yr):\n", (double)mp->kappa);
  u = TwoTimescale(m, "-policy social_gradient_2ts -policy_u 0.03", 100, &s, PETSC_TRUE);
  print_message("  after 100 yr: u %.8f, u* %.8f, |u - u*| %.2e, |s - s*| %.2e\n", (double)u, (double)opt.u, (double)PetscAbsReal(u - opt.u), (double)PetscAbsReal(s - opt.s));
  assert_close(u, opt.u, 0, 1e-4);
  assert_close(s, opt.s, 0, 1e-4);
  /* from the other side of the optimum and with alpha = 1 */
  u = TwoTimescale(m, "-policy social_gradient_2ts -policy_u 0.12 -policy_sg2_alpha 1 -policy_sg2_a0 0.05", 100, &s, PETSC_FALSE);
  print_message("  from u = 0.12, alpha 1, a0 0.05: |u - u*| %.2e, |s - s*| %.2e\n", (double)PetscAbsReal(u - opt.u), (double)PetscAbsReal(s - opt.s));
  assert_close(u, opt.u, 0, 1e-4);
  /* the ratio of the timescales goes to zero: a(t) L''(u*) / kappa */
  a_end = StkPolicySocialStepSize(0.01, 1, 0.602, 100);
  assert_true(a_end < StkPolicySocialStepSize(0.01, 1, 0.602, 0) / 10);
  /* the old one-timescale law drives s to sbar instead: not the social optimum */
  u = TwoTimescale(m, "-policy social_gradient", 100, &s, PETSC_FALSE);
  print_message("  one-timescale law (-policy social_gradient) after 100 yr: u %.6f, s %.6f (s* %.6f): |u - u*| %.2e\n", (double)u, (double)s, (double)opt.s, (double)PetscAbsReal(u - opt.u));
  assert_true(PetscAbsReal(u - opt.u) > 3e-4 && PetscAbsReal(s - opt.s) > 3e-3);
  assert_petsc(StkModelDestroy(&m));
}

/* The expert's long-run issuance on `options`: u at the stationary point of the
 * noise-free closed loop (b(s, zbar, u_expert(s)) = 0, by bisection on the grid's
 * interpolant) and the mean of u under the stationary density. */
static void ExpertLongRun(const char options[], PetscReal *u_point, PetscReal *u_mean, StkSocialOptimum *opt)
{
  StkTestProblem  P;
  const PetscInt  n[1] = {401};
  Vec             u, g, u_all, g_all;
  const PetscReal *ua, *ga, *x;
  StkGrid         grid;
  PetscInt        N;
  PetscReal       lo, hi, num = 0, den = 0;
  const StkAgentParams *mp;

  assert_petsc(StkTestProblemCreate("staking", 1, n, options, &P));
  assert_petsc(StkSolverSolve(P.solver));
  assert_petsc(StkSolverComputeDensity(P.solver));
  assert_petsc(StkSolverGetGrid(P.solver, &grid));
  assert_petsc(StkSolverGetPolicy(P.solver, &u));
  assert_petsc(StkSolverGetDensity(P.solver, &g));
  assert_petsc(StkGridGatherField(grid, u, &u_all));
  assert_petsc(StkGridGatherField(grid, g, &g_all));
  assert_petsc(VecGetSize(u_all, &N));
  assert_petsc(VecGetArrayRead(u_all, &ua));
  assert_petsc(VecGetArrayRead(g_all, &ga));
  assert_petsc(StkGridGetCoordinates(grid, 0, &x));
  mp = Params(P.model);
  for (PetscInt i = 0; i < N; i++) { /* dual-cell widths */
    const PetscReal w = 0.5 * ((i + 1 < N ? x[i + 1] : x[i]) - (i > 0 ? x[i - 1] : x[i]));
    num += ga[i] * w * ua[i];
    den += ga[i] * w;
  }
  *u_mean = num / den;
  /* the drift under the expert, piecewise linear u between nodes */
  lo = x[1], hi = x[N - 2];
  for (int k = 0; k < 100; k++) {
    const PetscReal mid = 0.5 * (lo + hi);
    PetscInt        j   = 0;
    PetscReal       uu;
    while (j + 2 < N && x[j + 1] < mid) j++;
    uu = ua[j] + (ua[j + 1] - ua[j]) * (mid - x[j]) / (x[j + 1] - x[j]);
    if (StkAgentsDrift(mp, mid, mp->zbar, uu) > 0) lo = mid;
    else hi = mid;
  }
  {
    PetscInt j = 0;
    while (j + 2 < N && x[j + 1] < lo) j++;
    *u_point = ua[j] + (ua[j + 1] - ua[j]) * (lo - x[j]) / (x[j + 1] - x[j]);
  }
  assert_petsc(StkPolicySocialOptimum(P.model, mp->zbar, 1e-12, opt));
  assert_petsc(VecRestoreArrayRead(u_all, &ua));
  assert_petsc(VecRestoreArrayRead(g_all, &ga));
  assert_petsc(VecDestroy(&u_all));
  assert_petsc(VecDestroy(&g_all));
  assert_petsc(StkTestProblemDestroy(&P));
}

/* The default model (rho 0.05, sigma0, z at zbar), 401 nodes.  Where the drift changes
 * sign the upwind scheme sets u so that b = 0 at a node, so the stationary point sits on
 * a node (spacing 0.0025 in s, i.e. about 3e-4 in u through ds*(u)/du): the density's mean
 * of u is the finer measure. */
static void test_expert_long_run(void **state)
{
  PetscReal        u_point, u_mean;
  StkSocialOptimum opt;

  ExpertLongRun("", &u_point, &u_mean, &opt);
  print_message("  social optimum u* %.7f (s* %.6f); expert: u at its stationary point %.7f (distance %.2e), stationary mean of u %.7f (distance %.2e)\n", (double)opt.u, (double)opt.s, (double)u_point, (double)PetscAbsReal(u_point - opt.u), (double)u_mean, (double)PetscAbsReal(u_mean - opt.u));
  assert_close(u_point, opt.u, 0, 3e-4);
  assert_close(u_mean, opt.u, 0, 3e-4);
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(test_social_optimum),
  cmocka_unit_test(test_two_timescale_static),
  cmocka_unit_test(test_expert_long_run),
};
STK_TEST_MAIN(tests)
