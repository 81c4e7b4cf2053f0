/* The regime chain of the simulators (agents/stk_sim.h, docs/model.md#the-regime-chain):
 * the empirical occupation of many paths against the chain's stationary law (within 4
 * standard errors), the switch counts per unit time against q_ij (Poisson, 4 standard
 * errors), rates 0 bitwise equal to the single-regime simulation of the initial regime
 * (sde and both abm engines), the policy sees the regime, the abm with a chain the same
 * on any number of ranks, and bad input.  Runs on 1, 2 or 3 ranks; seeds fixed. */
#include "stk_test.h"
#include <string.h>
#include "stk_sim.h"

static const PetscReal U_FIXED = 0.03;

/* Two or three distinct populations: the baseline, a bear regime (z higher, kappa
 * faster), a volatile one. */
static void CreatePops(MPI_Comm comm, PetscInt M, StkPopulation pops[])
{
  for (PetscInt i = 0; i < M; i++) {
    StkAgentParams p;
    assert_petsc(StkAgentParamsDefault(&p));
    if (i == 1) p.zbar = 0.02, p.kappa = 4;
    if (i == 2) p.sigma0 = 0.10, p.sigma_z = 0.03;
    assert_petsc(StkPopulationCreate(comm, &pops[i]));
    assert_petsc(StkPopulationSetParams(pops[i], &p));
  }
}

static void DestroyPops(PetscInt M, StkPopulation pops[])
{
  for (PetscInt i = 0; i < M; i++) assert_petsc(StkPopulationDestroy(&pops[i]));
}

static void AllocPath(StkSim sim, StkSimPath *out, PetscInt *nrec)
{
  assert_petsc(StkSimGetNumRecords(sim, nrec));
  assert_petsc(PetscMalloc4(*nrec, &out->t, *nrec, &out->s, *nrec, &out->z, *nrec, &out->u));
}

static void FreePath(StkSimPath *out)
{
  assert_petsc(PetscFree4(out->t, out->s, out->z, out->u));
}

/* pi Q = 0, sum pi = 1 by Gaussian elimination with partial pivoting (M <= 4). */
static void Stationary(PetscInt M, const PetscReal q[], PetscReal pi[])
{
  PetscReal A[4][5];

  for (PetscInt i = 0; i < M; i++) {
    PetscReal out = 0;
    for (PetscInt j = 0; j < M; j++) out += j == i ? 0 : q[i * M + j];
    for (PetscInt j = 0; j < M; j++) A[j][i] = j == i ? -out : q[i * M + j]; /* row j of Q^T */
  }
  for (PetscInt i = 0; i < M; i++) A[M - 1][i] = 1;
  for (PetscInt j = 0; j < M; j++) A[j][M] = j == M - 1;
  for (PetscInt k = 0; k < M; k++) {
    PetscInt piv = k;
    for (PetscInt r = k + 1; r < M; r++)
      if (PetscAbsReal(A[r][k]) > PetscAbsReal(A[piv][k])) piv = r;
    for (PetscInt c = 0; c <= M; c++) {
      const PetscReal t = A[k][c];
      A[k][c] = A[piv][c], A[piv][c] = t;
    }
    for (PetscInt r = 0; r < M; r++) {
      if (r == k) continue;
      const PetscReal f = A[r][k] / A[k][k];
      for (PetscInt c = 0; c <= M; c++) A[r][c] -= f * A[k][c];
    }
  }
  for (PetscInt i = 0; i < M; i++) pi[i] = A[i][M] / A[i][i];
}

/* Policy recording the regime it sees: state counts the evaluations in each regime. */
static PetscErrorCode RegimeCountingPolicy(void *ctx, PetscReal t, const PetscReal x[], PetscReal *u, void *state)
{
  PetscInt64     *seen = (PetscInt64 *)state;
  const PetscInt  r    = (PetscInt)x[STK_SIM_X_REGIME];

  PetscFunctionBeginUser;
  PetscCheck(r >= 0 && r < 3 && (PetscReal)r == x[STK_SIM_X_REGIME], PETSC_COMM_SELF, PETSC_ERR_PLIB, "bad regime %g", (double)x[STK_SIM_X_REGIME]);
  seen[r]++;
  *u = 0.01 + 0.02 * r; /* the regime changes the policy */
  PetscFunctionReturn(0);
}

/* Three regimes, 100 paths of 50 yr: the occupation of each regime (per-path fractions)
 * is within 4 standard errors of the stationary pi; the switches i -> j over the time
 * spent in i are within 4 Poisson standard errors of q_ij; the policy sees the regime
 * of every step (its counts = the chain's steps + the last evaluation). */
static void test_occupation_and_rates(void **state)
{
  const PetscInt  M = 3, npaths = 100;
  const PetscReal q[9] = {0, 2, 1, 0.5, 0, 0.5, 1, 1, 0}; /* pi = (3, 10, 4) / 17 */
  StkPopulation   pops[3];
  StkSim          sim;
  StkSimSettings  set;
  StkSimPath      out;
  PetscInt        nrec, nsteps;
  PetscReal       pi[3], sum[3] = {0, 0, 0}, sum2[3] = {0, 0, 0};
  PetscInt64      steps_all[3] = {0, 0, 0}, jumps_all[9] = {0};

  CreatePops(PETSC_COMM_SELF, M, pops);
  assert_petsc(StkSimCreate(PETSC_COMM_SELF, &sim));
  assert_petsc(StkSimSettingsDefault(&set));
  set.t_final = 50;
  set.seed    = 7;
  assert_petsc(StkSimSetSettings(sim, &set));
  assert_petsc(StkSimSetRegimes(sim, M, pops, NULL, q));
  assert_petsc(StkSimSetPolicy(sim, RegimeCountingPolicy, NULL, NULL));
  AllocPath(sim, &out, &nrec);
  assert_petsc(StkSimGetNumSteps(sim, &nsteps));
  Stationary(M, q, pi);
  for (PetscInt p = 0; p < npaths; p++) {
    PetscInt64 seen[3] = {0, 0, 0}, steps[3], jumps[9];
    PetscInt   last;
    assert_petsc(StkSimResetRegimeStats(sim));
    assert_petsc(StkSimRun(sim, p, seen, &out));
    assert_petsc(StkSimGetRegimeStats(sim, steps, jumps));
    assert_petsc(StkSimGetRegime(sim, &last));
    for (PetscInt i = 0; i < M; i++) {
      const PetscReal f = (PetscReal)steps[i] / nsteps;
      assert_int_equal(seen[i], steps[i] + (i == last));
      sum[i] += f, sum2[i] += f * f;
      steps_all[i] += steps[i];
    }
    for (PetscInt k = 0; k < M * M; k++) jumps_all[k] += jumps[k];
  }
  for (PetscInt i = 0; i < M; i++) {
    const PetscReal mean = sum[i] / npaths, sd = PetscSqrtReal((sum2[i] - npaths * mean * mean) / (npaths - 1)), se = sd / PetscSqrtReal(npaths);
    const PetscReal Ti   = steps_all[i] * set.dt;
    print_message("regime %d: occupation %.4f +- %.4f, stationary %.4f (%.1f se)\n", (int)i, (double)mean, (double)se, (double)pi[i], (double)(PetscAbsReal(mean - pi[i]) / se));
    assert_true(PetscAbsReal(mean - pi[i]) <= 4 * se);
    assert_int_equal(jumps_all[i * M + i], 0);
    for (PetscInt j = 0; j < M; j++) {
      const PetscReal expect = q[i * M + j] * Ti;
      if (j == i) continue;
      print_message("  %d -> %d: %lld switches in %.1f yr, rate %.3f vs q %.3f\n", (int)i, (int)j, (long long)jumps_all[i * M + j], (double)Ti, (double)(jumps_all[i * M + j] / Ti), (double)q[i * M + j]);
      assert_true(PetscAbsReal(jumps_all[i * M + j] - expect) <= 4 * PetscSqrtReal(expect));
    }
  }
  FreePath(&out);
  assert_petsc(StkSimDestroy(&sim));
  DestroyPops(M, pops);
}

/* One path of sim, in fresh arrays. */
static void RunOne(StkSim sim, PetscInt path, StkSimPath *out, PetscInt *nrec)
{
  AllocPath(sim, out, nrec);
  assert_petsc(StkSimRun(sim, path, NULL, out));
}

static PetscBool SamePath(const StkSimPath *a, const StkSimPath *b, PetscInt n)
{
  return (PetscBool)(!memcmp(a->s, b->s, n * sizeof(PetscReal)) && !memcmp(a->z, b->z, n * sizeof(PetscReal)) && !memcmp(a->u, b->u, n * sizeof(PetscReal)));
}

/* With rates 0 a path starting in regime r is bitwise the simulation with r's population
 * alone (no chain): sde in 2-D, abm block engine, abm agent engine with persistent types;
 * and regime 1's path differs from regime 0's (its parameters do drive the dynamics). */
static void test_rates_zero_bitwise(void **state)
{
  const PetscReal q0[4] = {0, 0, 0, 0};
  StkPopulation   pops[2];
  StkSimSettings  set;

  CreatePops(PETSC_COMM_WORLD, 2, pops);
  for (int kind = 0; kind < 3; kind++) {
    StkSim     chain, single, other;
    StkSimPath a, b, c;
    PetscInt   n;

    assert_petsc(StkSimSettingsDefault(&set));
    set.dim     = 2;
    set.t_final = 2;
    set.seed    = 11;
    if (kind) set.type = STK_SIM_ABM, set.n_agents = 3000, set.block = 512;
    if (kind == 2) set.types = STK_ABM_PERSISTENT, set.engine = STK_ABM_ENGINE_AGENT;
    assert_petsc(StkSimCreate(PETSC_COMM_WORLD, &chain));
    assert_petsc(StkSimSetSettings(chain, &set));
    assert_petsc(StkSimSetRegimes(chain, 2, pops, NULL, q0));
    assert_petsc(StkSimSetInitialRegime(chain, 1));
    assert_petsc(StkSimSetPolicy(chain, StkPolicyConstant, NULL, (void *)&U_FIXED));
    assert_petsc(StkSimCreate(PETSC_COMM_WORLD, &single));
    assert_petsc(StkSimSetSettings(single, &set));
    assert_petsc(StkSimSetPopulation(single, pops[1]));
    assert_petsc(StkSimSetPolicy(single, StkPolicyConstant, NULL, (void *)&U_FIXED));
    assert_petsc(StkSimCreate(PETSC_COMM_WORLD, &other));
    assert_petsc(StkSimSetSettings(other, &set));
    assert_petsc(StkSimSetPopulation(other, pops[0]));
    assert_petsc(StkSimSetPolicy(other, StkPolicyConstant, NULL, (void *)&U_FIXED));
    RunOne(chain, 3, &a, &n);
    RunOne(single, 3, &b, &n);
    RunOne(other, 3, &c, &n);
    assert_true(SamePath(&a, &b, n));
    assert_false(SamePath(&a, &c, n));
    FreePath(&a), FreePath(&b), FreePath(&c);
    assert_petsc(StkSimDestroy(&chain));
    assert_petsc(StkSimDestroy(&single));
    assert_petsc(StkSimDestroy(&other));
  }
  DestroyPops(2, pops);
}

/* The abm with a switching chain: its agents spread over PETSC_COMM_WORLD give bitwise
 * the path of a single rank (PETSC_COMM_SELF); the chain switched. */
static void test_abm_chain_any_ranks(void **state)
{
  const PetscReal q[4] = {0, 3, 2, 0};
  StkPopulation   pw[2], ps[2];
  StkSimSettings  set;
  StkSim          world, self;
  StkSimPath      a, b;
  PetscInt        n;
  PetscInt64      jumps[4];

  CreatePops(PETSC_COMM_WORLD, 2, pw);
  CreatePops(PETSC_COMM_SELF, 2, ps);
  assert_petsc(StkSimSettingsDefault(&set));
  set.type = STK_SIM_ABM, set.n_agents = 5000, set.block = 700, set.dim = 2, set.t_final = 3, set.seed = 5;
  assert_petsc(StkSimCreate(PETSC_COMM_WORLD, &world));
  assert_petsc(StkSimCreate(PETSC_COMM_SELF, &self));
  assert_petsc(StkSimSetSettings(world, &set));
  assert_petsc(StkSimSetSettings(self, &set));
  assert_petsc(StkSimSetRegimes(world, 2, pw, NULL, q));
  assert_petsc(StkSimSetRegimes(self, 2, ps, NULL, q));
  assert_petsc(StkSimSetPolicy(world, RegimeCountingPolicy, NULL, NULL));
  assert_petsc(StkSimSetPolicy(self, RegimeCountingPolicy, NULL, NULL));
  {
    PetscInt64 seen[3] = {0, 0, 0}, seen2[3] = {0, 0, 0};
    AllocPath(world, &a, &n);
    AllocPath(self, &b, &n);
    assert_petsc(StkSimRun(world, 2, seen, &a));
    assert_petsc(StkSimRun(self, 2, seen2, &b));
  }
  assert_true(SamePath(&a, &b, n));
  assert_petsc(StkSimGetRegimeStats(world, NULL, jumps));
  assert_true(jumps[1] > 0 && jumps[2] > 0);
  FreePath(&a), FreePath(&b);
  assert_petsc(StkSimDestroy(&world));
  assert_petsc(StkSimDestroy(&self));
  DestroyPops(2, pw);
  DestroyPops(2, ps);
}

/* Bad input names the option: negative or infinite rates, the initial regime out of
 * range, a regime left more than once per step. */
static void test_bad_input(void **state)
{
  const PetscReal neg[4] = {0, -0.5, 1, 0}, fast[4] = {0, 400, 1, 0};
  StkPopulation   pops[2];
  StkSim          sim;
  PetscErrorCode  ierr;

  CreatePops(PETSC_COMM_WORLD, 2, pops);
  assert_petsc(StkSimCreate(PETSC_COMM_WORLD, &sim));
  assert_petsc(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = StkSimSetRegimes(sim, 2, pops, NULL, neg);
  assert_int_equal(ierr, PETSC_ERR_USER_INPUT);
  assert_petsc(StkSimSetRegimes(sim, 2, pops, NULL, fast));
  ierr = StkSimSetUp(sim);
  assert_int_equal(ierr, PETSC_ERR_USER_INPUT);
  assert_petsc(StkSimSetRegimes(sim, 2, pops, NULL, NULL));
  assert_petsc(StkSimSetInitialRegime(sim, 2));
  ierr = StkSimSetUp(sim);
  assert_int_equal(ierr, PETSC_ERR_USER_INPUT);
  assert_petsc(PetscPopErrorHandler());
  assert_petsc(StkSimSetInitialRegime(sim, 1));
  assert_petsc(StkSimSetUp(sim));
  assert_petsc(StkSimDestroy(&sim));
  DestroyPops(2, pops);
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(test_occupation_and_rates),
  cmocka_unit_test(test_rates_zero_bitwise),
  cmocka_unit_test(test_abm_chain_any_ranks),
  cmocka_unit_test(test_bad_input),
};

STK_TEST_MAIN(tests)
