/* The regime_solution policy (policy/stk_policy_regime_solution.c, docs/policies.md): at
 * every node of the grid and for each regime it returns exactly the policy the
 * regime-switching solver wrote, through StkPolicyEvaluateRegime and through the
 * simulators' function with x = {s, z, regime}; between nodes it interpolates within
 * the nodes' range; the file's regimes and rates are reported; a regime out of range is
 * an error naming -policy_file; regime_expert (the improvement from V_i) reproduces the
 * stored policy at every node to round-off.  Runs on 1 and 2 ranks (the file is written and read
 * collectively). */
#include "stk_test.h"
#include <string.h>
#include <unistd.h>
#include "stk_regime.h"
#include "stk_policy.h"

#define M 2

typedef struct {
  StkModel        models[M];
  StkGrid         grid;
  StkRegimeSolver solver;
  char            path[256];
} Solved;

static const PetscReal Q[M * M] = {0, 0.5, 0.3, 0};

/* The staking model switching between the baseline and a bear regime (zbar 0.02), on a
 * 17 x 9 grid, solved and written to a temporary file (one name on every rank). */
static void SolveAndWrite(Solved *S)
{
  const char *names[M] = {"calm", "bear"};
  PetscInt    sizes[STK_MAX_DIM] = {17, 9, 1};
  long        pid = (long)getpid();

  assert_petsc(PetscOptionsSetValue(NULL, "-bear_agents_zbar", "0.02"));
  for (PetscInt r = 0; r < M; r++) {
    char pre[16];
    assert_petsc(PetscSNPrintf(pre, sizeof(pre), "%s_", names[r]));
    assert_petsc(StkModelCreate(PETSC_COMM_WORLD, &S->models[r]));
    assert_petsc(StkModelSetOptionsPrefix(S->models[r], pre));
    assert_petsc(StkModelSetType(S->models[r], STK_MODEL_STAKING));
    assert_petsc(StkModelSetFromOptions(S->models[r]));
  }
  assert_petsc(PetscOptionsClearValue(NULL, "-bear_agents_zbar"));
  assert_petsc(StkGridCreate(PETSC_COMM_WORLD, &S->grid));
  assert_petsc(StkRegimeConfigureGrid(M, S->models, S->grid));
  assert_petsc(StkGridSetSizes(S->grid, sizes));
  assert_petsc(StkGridSetUp(S->grid));
  assert_petsc(StkRegimeSolverCreate(PETSC_COMM_WORLD, &S->solver));
  assert_petsc(StkRegimeSolverSetModels(S->solver, M, S->models, names));
  assert_petsc(StkRegimeSolverSetRates(S->solver, Q));
  assert_petsc(StkRegimeSolverSetGrid(S->solver, S->grid));
  assert_petsc(StkRegimeSolverSetFromOptions(S->solver));
  assert_petsc(StkRegimeSolverSetUp(S->solver));
  assert_petsc(StkRegimeSolverSolve(S->solver));
  assert_petsc(StkRegimeSolverComputeDensity(S->solver));
  assert_int_equal(MPI_Bcast(&pid, 1, MPI_LONG, 0, PETSC_COMM_WORLD), MPI_SUCCESS);
  snprintf(S->path, sizeof(S->path), "/tmp/stk_test_policy_regime.%ld.h5", pid);
  assert_petsc(StkRegimeSolverWrite(S->solver, S->path));
}

static void SolvedDestroy(Solved *S)
{
  PetscMPIInt rank;
  assert_petsc(StkRegimeSolverDestroy(&S->solver));
  assert_petsc(StkGridDestroy(&S->grid));
  for (PetscInt r = 0; r < M; r++) assert_petsc(StkModelDestroy(&S->models[r]));
  assert_int_equal(MPI_Comm_rank(PETSC_COMM_WORLD, &rank), MPI_SUCCESS);
  assert_int_equal(MPI_Barrier(PETSC_COMM_WORLD), MPI_SUCCESS);
  if (!rank) unlink(S->path);
}

static void test_nodes_exact(void **state)
{
  Solved             S;
  StkPolicy          p;
  StkPolicyFn        fn;
  void              *ctx;
  const PetscReal   *xs, *xz, *rates;
  const char        *names;
  PetscInt           n[STK_MAX_DIM], nreg, checked = 0;
  PetscReal          umin = PETSC_MAX_REAL, umax = -PETSC_MAX_REAL, differ = 0;
  PetscErrorCode     ierr;

  SolveAndWrite(&S);
  assert_petsc(StkPolicyCreate(PETSC_COMM_WORLD, &p));
  assert_petsc(StkPolicySetType(p, STK_POLICY_REGIME_SOLUTION));
  assert_petsc(StkPolicySetFile(p, S.path));
  assert_petsc(StkPolicySetUp(p));
  assert_petsc(StkPolicyRegimeSolutionGetRegimes(p, &nreg, &names, &rates));
  assert_int_equal(nreg, M);
  assert_string_equal(names, "calm,bear");
  assert_close(rates[1], Q[1], 0, 0);
  assert_close(rates[2], Q[2], 0, 0);
  assert_petsc(StkPolicyGetFunction(p, &fn, NULL, &ctx, NULL));
  assert_petsc(StkGridGetSizes(S.grid, n));
  assert_petsc(StkGridGetCoordinates(S.grid, 0, &xs));
  assert_petsc(StkGridGetCoordinates(S.grid, 1, &xz));
  for (PetscInt r = 0; r < M; r++) {
    Vec                u, nat;
    const PetscScalar *a;
    assert_petsc(StkRegimeSolverGetPolicy(S.solver, r, &u));
    assert_petsc(StkGridGatherField(S.grid, u, &nat));
    assert_petsc(VecGetArrayRead(nat, &a));
    for (PetscInt j = 0; j < n[1]; j++)
      for (PetscInt i = 0; i < n[0]; i++) {
        const PetscReal x[STK_SIM_X_LEN] = {xs[i], xz[j], (PetscReal)r}, want = PetscRealPart(a[i + n[0] * j]);
        PetscReal       got, got_fn;
        assert_petsc(StkPolicyEvaluateRegime(p, 0, x, r, &got, NULL));
        assert_petsc(fn(ctx, 0, x, &got_fn, NULL));
        assert_true(got == want && got_fn == want);
        umin = PetscMin(umin, want), umax = PetscMax(umax, want);
        checked++;
      }
    if (r == 1) { /* the regimes' policies differ somewhere: the regime matters */
      Vec                u0, nat0;
      const PetscScalar *a0;
      assert_petsc(StkRegimeSolverGetPolicy(S.solver, 0, &u0));
      assert_petsc(StkGridGatherField(S.grid, u0, &nat0));
      assert_petsc(VecGetArrayRead(nat0, &a0));
      for (PetscInt k = 0; k < n[0] * n[1]; k++) differ = PetscMax(differ, PetscAbsReal(PetscRealPart(a[k] - a0[k])));
      assert_petsc(VecRestoreArrayRead(nat0, &a0));
      assert_petsc(VecDestroy(&nat0));
    }
    assert_petsc(VecRestoreArrayRead(nat, &a));
    assert_petsc(VecDestroy(&nat));
  }
  print_message("%d node values exact over %d regimes; policies differ by up to %.4f /yr between regimes\n", (int)checked, M, (double)differ);
  assert_int_equal(checked, M * n[0] * n[1]);
  assert_true(differ > 1e-4);
  { /* between nodes: within the range of the values */
    const PetscReal x[2] = {0.5 * (xs[3] + xs[4]), 0.5 * (xz[2] + xz[3])};
    PetscReal       u;
    assert_petsc(StkPolicyEvaluateRegime(p, 0, x, 1, &u, NULL));
    assert_true(u >= umin && u <= umax);
  }
  assert_petsc(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  {
    const PetscReal x[2] = {0.5, 0};
    PetscReal       u;
    ierr = StkPolicyEvaluateRegime(p, 0, x, M, &u, NULL);
  }
  assert_petsc(PetscPopErrorHandler());
  assert_int_equal(ierr, PETSC_ERR_ARG_OUTOFRANGE);
  assert_petsc(StkPolicyDestroy(&p));
  SolvedDestroy(&S);
}

/* regime_expert (policy/stk_policy_regime_expert.c): the solver's improvement from V_i at
 * a node is the solver's stored u*(x, i) to round-off, in every regime; between nodes it
 * lies within the bounds; a regime out of range is an error. */
static void test_regime_expert_nodes(void **state)
{
  Solved           S;
  StkPolicy        p;
  StkPolicyFn      fn;
  void            *ctx;
  const PetscReal *xs, *xz;
  PetscInt         n[STK_MAX_DIM], checked = 0;
  PetscReal        worst = 0, umin, umax;
  PetscErrorCode   ierr;

  SolveAndWrite(&S);
  assert_petsc(StkPolicyCreate(PETSC_COMM_WORLD, &p));
  assert_petsc(StkPolicySetType(p, STK_POLICY_REGIME_EXPERT));
  assert_petsc(StkPolicySetFile(p, S.path));
  assert_petsc(StkPolicySetUp(p));
  assert_petsc(StkPolicyGetBounds(p, &umin, &umax));
  assert_petsc(StkPolicyGetFunction(p, &fn, NULL, &ctx, NULL));
  assert_petsc(StkGridGetSizes(S.grid, n));
  assert_petsc(StkGridGetCoordinates(S.grid, 0, &xs));
  assert_petsc(StkGridGetCoordinates(S.grid, 1, &xz));
  for (PetscInt r = 0; r < M; r++) {
    Vec                u, nat;
    const PetscScalar *a;
    assert_petsc(StkRegimeSolverGetPolicy(S.solver, r, &u));
    assert_petsc(StkGridGatherField(S.grid, u, &nat));
    assert_petsc(VecGetArrayRead(nat, &a));
    for (PetscInt j = 0; j < n[1]; j++)
      for (PetscInt i = 0; i < n[0]; i++) {
        const PetscReal x[STK_SIM_X_LEN] = {xs[i], xz[j], (PetscReal)r}, want = PetscRealPart(a[i + n[0] * j]);
        PetscReal       got;
        assert_petsc(fn(ctx, 0, x, &got, NULL));
        worst = PetscMax(worst, PetscAbsReal(got - want));
        checked++;
      }
    assert_petsc(VecRestoreArrayRead(nat, &a));
    assert_petsc(VecDestroy(&nat));
  }
  print_message("regime_expert: %d node values, max |u - u*| = %.2e\n", (int)checked, (double)worst);
  assert_int_equal(checked, M * n[0] * n[1]);
  assert_true(worst <= 1e-12);
  {
    const PetscReal x[STK_SIM_X_LEN] = {0.5 * (xs[3] + xs[4]), 0.5 * (xz[2] + xz[3]), 1};
    PetscReal       u;
    assert_petsc(fn(ctx, 0, x, &u, NULL));
    assert_true(u >= umin && u <= umax);
  }
  assert_petsc(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  {
    const PetscReal x[STK_SIM_X_LEN] = {0.5, 0, M};
    PetscReal       u;
    ierr = fn(ctx, 0, x, &u, NULL);
  }
  assert_petsc(PetscPopErrorHandler());
  assert_int_equal(ierr, PETSC_ERR_ARG_OUTOFRANGE);
  assert_petsc(StkPolicyDestroy(&p));
  SolvedDestroy(&S);
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(test_nodes_exact),
  cmocka_unit_test(test_regime_expert_nodes),
};

STK_TEST_MAIN(tests)
