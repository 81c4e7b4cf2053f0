/* The public model-definition API (solver/stk_model.h, docs/library.md), through the
 * installed headers only: the 1-D LQ problem re-expressed as a user type, with and
 * without a greedy map, against the built-in lq and its Riccati value (order ~1 on both
 * paths); parameters from options (with a prefix), round-tripping through
 * StkSolverWrite / StkSolutionLoad; the set-up's errors.  Runs on any number of ranks. */
#define _POSIX_C_SOURCE 200809L /* getpid, unlink */
#include "stk_test_problem.h"
#include "stk_riccati.h"
#include <string.h>
#include <unistd.h>

static PetscMPIInt Rank(void)
{
  PetscMPIInt rank;
  assert_int_equal(MPI_Comm_rank(PETSC_COMM_WORLD, &rank), 0);
  return rank;
}

/* Removes PATH and its XDMF sidecar. */
static void RemoveFiles(const char path[])
{
  char xmf[300];

  assert_int_equal(MPI_Barrier(PETSC_COMM_WORLD), 0);
  if (Rank() != 0) return;
  snprintf(xmf, sizeof(xmf), "%.*s.xmf", (int)(strlen(path) - 3), path);
  (void)unlink(path);
  (void)unlink(xmf);
}

typedef struct {
  PetscReal a, b, q, r, sigma, umax;
  PetscReal P, trace; /* Riccati: V = P x^2 + trace / rho */
} ULQ;

static ULQ *Ctx(StkModel m)
{
  ULQ *u;
  (void)StkModelGetContext(m, &u);
  return u;
}

/* The same floating-point operations as the built-in lq (solver/stk_model_lq.c). */
static PetscErrorCode Drift(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal b[])
{
  b[0] = Ctx(m)->b * u[0];
  b[0] += Ctx(m)->a * x[0];
  return 0;
}

static PetscErrorCode Diffusion(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal a[])
{
  a[0] = 0.5 * Ctx(m)->sigma * Ctx(m)->sigma;
  return 0;
}

static PetscErrorCode Cost(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal l[])
{
  l[0] = 0;
  l[0] += x[0] * Ctx(m)->q * x[0];
  l[0] += Ctx(m)->r * u[0] * u[0];
  return 0;
}

static PetscErrorCode Greedy(StkModel m, const PetscReal x[], PetscInt c, PetscReal p, PetscReal q, const PetscReal u[], PetscReal *uc)
{
  const PetscReal v = -Ctx(m)->b * p / (2 * Ctx(m)->r);
  *uc               = PetscMin(PetscMax(v, -Ctx(m)->umax), Ctx(m)->umax);
  return 0;
}

static PetscErrorCode Exact(StkModel m, const PetscReal x[], PetscReal *V)
{
  PetscReal rho;
  (void)StkModelGetDiscount(m, &rho);
  *V = 0;
  *V += x[0] * Ctx(m)->P * x[0];
  *V += Ctx(m)->trace / rho;
  return 0;
}

static PetscErrorCode SetUp(StkModel m)
{
  ULQ      *u = Ctx(m);
  PetscReal rho;
  PetscInt  its;

  PetscFunctionBeginUser;
  PetscCall(StkModelGetDiscount(m, &rho));
  PetscCall(StkModelSetControl(m, 0, 0, -u->umax, u->umax));
  PetscCall(StkRiccatiSolve(1, &u->a, &u->b, &u->q, &u->r, rho, &u->P, &its));
  u->trace = u->sigma * u->sigma * u->P;
  PetscFunctionReturn(0);
}

static PetscErrorCode FreeCtx(void *ctx)
{
  return PetscFree(ctx);
}

/* The built-in lq's 1-D defaults, described through the public setters. */
static PetscErrorCode CreateULQ(StkModel m, PetscBool greedy)
{
  ULQ            *u;
  const PetscReal lo = -1, hi = 1;

  PetscFunctionBeginUser;
  PetscCall(StkModelSetDimensionRange(m, 1, 1));
  PetscCall(PetscNew(&u));
  *u = (ULQ){.a = -0.5, .b = 1, .q = 1, .r = 1, .sigma = 0.3, .umax = 1e3};
  PetscCall(StkModelSetContext(m, u, FreeCtx));
  PetscCall(StkModelAddParameter(m, "a", &u->a, "1/yr", "Drift coefficient A"));
  PetscCall(StkModelAddParameter(m, "sigma", &u->sigma, "1/sqrt(yr)", "Volatility"));
  PetscCall(StkModelSetNumControls(m, 1));
  PetscCall(StkModelSetControl(m, 0, 0, -u->umax, u->umax));
  PetscCall(StkModelSetDefaultBox(m, &lo, &hi));
  PetscCall(StkModelSetDriftFunction(m, Drift));
  PetscCall(StkModelSetDiffusionFunction(m, Diffusion));
  PetscCall(StkModelSetCostFunction(m, Cost));
  if (greedy) PetscCall(StkModelSetGreedyFunction(m, Greedy));
  PetscCall(StkModelSetExactValueFunction(m, Exact));
  PetscCall(StkModelSetDirichletFunction(m, Exact));
  for (PetscInt side = 0; side < 2; side++) PetscCall(StkModelSetBoundaryType(m, 0, side, STK_BC_DIRICHLET));
  PetscCall(StkModelSetSetUpFunction(m, SetUp));
  PetscFunctionReturn(0);
}

static PetscErrorCode CreateULQGreedy(StkModel m)
{
  return CreateULQ(m, PETSC_TRUE);
}

static PetscErrorCode CreateULQNoGreedy(StkModel m)
{
  return CreateULQ(m, PETSC_FALSE);
}

/* Broken definitions, each missing or spoiling one thing. */
static PetscErrorCode CreateBroken(StkModel m, int what)
{
  const PetscReal lo = -1, hi = what == 3 ? -1 : 1;

  PetscFunctionBeginUser;
  PetscCall(StkModelSetDimensionRange(m, 1, 1));
  PetscCall(StkModelSetNumControls(m, 1));
  PetscCall(StkModelSetControl(m, 0, what == 1 ? 1 : 0, -1, what == 2 ? -1 : 1));
  PetscCall(StkModelSetDefaultBox(m, &lo, &hi));
  if (what != 0) PetscCall(StkModelSetDriftFunction(m, Drift));
  PetscCall(StkModelSetDiffusionFunction(m, Diffusion));
  PetscCall(StkModelSetCostFunction(m, Cost));
  if (what == 4) PetscCall(StkModelSetBoundaryType(m, 0, 1, STK_BC_DIRICHLET));
  PetscFunctionReturn(0);
}
static PetscErrorCode CreateNoDrift(StkModel m) { return CreateBroken(m, 0); }
static PetscErrorCode CreateBadDirection(StkModel m) { return CreateBroken(m, 1); }
static PetscErrorCode CreateEmptyControl(StkModel m) { return CreateBroken(m, 2); }
static PetscErrorCode CreateEmptyBox(StkModel m) { return CreateBroken(m, 3); }
static PetscErrorCode CreateNoDirichlet(StkModel m) { return CreateBroken(m, 4); }

/* Consumption-savings with a borrowing limit (state constraints at both ends), log
 * utility and r = rho: consuming income plus interest, c = y + r a, is optimal and keeps
 * wealth constant, so V(a) = -log(y + r a) / rho exactly, on the grid too (every node's
 * upwind choice is the drift-zeroing control).  Without the constraint the end node
 * would consume the most it may, its outward drift clamped. */
static PetscErrorCode SavingsDrift(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal b[])
{
  b[0] = 1 + 0.05 * x[0] - u[0];
  return 0;
}

static PetscErrorCode SavingsDiffusion(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal a[])
{
  a[0] = 0;
  return 0;
}

static PetscErrorCode SavingsCost(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal l[])
{
  l[0] = -PetscLogReal(u[0]);
  return 0;
}

static PetscErrorCode SavingsGreedy(StkModel m, const PetscReal x[], PetscInt c, PetscReal p, PetscReal q, const PetscReal u[], PetscReal *uc)
{
  *uc = p < 0 ? PetscMin(-1 / p, 10) : 10; /* argmin of -log c - c p over (0, 10] */
  return 0;
}

static PetscErrorCode SavingsExact(StkModel m, const PetscReal x[], PetscReal *V)
{
  *V = -PetscLogReal(1 + 0.05 * x[0]) / 0.05;
  return 0;
}

static PetscErrorCode CreateSavings(StkModel m, PetscBool greedy)
{
  const PetscReal lo = -2, hi = 10;

  PetscFunctionBeginUser;
  PetscCall(StkModelSetDimensionRange(m, 1, 1));
  PetscCall(StkModelSetNumControls(m, 1));
  PetscCall(StkModelSetControl(m, 0, 0, 0.01, 10));
  PetscCall(StkModelSetDefaultBox(m, &lo, &hi));
  PetscCall(StkModelSetDiscount(m, 0.05));
  for (PetscInt side = 0; side < 2; side++) PetscCall(StkModelSetBoundaryType(m, 0, side, STK_BC_STATE_CONSTRAINT));
  PetscCall(StkModelSetDriftFunction(m, SavingsDrift));
  PetscCall(StkModelSetDiffusionFunction(m, SavingsDiffusion));
  PetscCall(StkModelSetCostFunction(m, SavingsCost));
  if (greedy) PetscCall(StkModelSetGreedyFunction(m, SavingsGreedy));
  PetscCall(StkModelSetExactValueFunction(m, SavingsExact));
  PetscFunctionReturn(0);
}

static PetscErrorCode CreateSavingsGreedy(StkModel m) { return CreateSavings(m, PETSC_TRUE); }
static PetscErrorCode CreateSavingsNoGreedy(StkModel m) { return CreateSavings(m, PETSC_FALSE); }

static int Register(void **state)
{
  if (StkModelRegister("savings", CreateSavingsGreedy) || StkModelRegister("savings_ng", CreateSavingsNoGreedy)) return 1;
  if (StkModelRegister("ulq", CreateULQGreedy) || StkModelRegister("ulq_ng", CreateULQNoGreedy)) return 1;
  if (StkModelRegister("b_nodrift", CreateNoDrift) || StkModelRegister("b_direction", CreateBadDirection) || StkModelRegister("b_control", CreateEmptyControl)) return 1;
  if (StkModelRegister("b_box", CreateEmptyBox) || StkModelRegister("b_dirichlet", CreateNoDirichlet)) return 1;
  return 0;
}

/* Max |V - exact| over the interior nodes, on all ranks. */
static PetscReal MaxError(StkTestProblem *P)
{
  DM                 da;
  Vec                V;
  const PetscReal   *x;
  const PetscScalar *va;
  PetscInt           n[STK_MAX_DIM], xs, xm;
  PetscReal          err = 0;

  assert_petsc(StkSolverGetValue(P->solver, &V));
  assert_petsc(StkGridGetDM(P->grid, &da));
  assert_petsc(StkGridGetSizes(P->grid, n));
  assert_petsc(StkGridGetCoordinates(P->grid, 0, &x));
  assert_petsc(DMDAGetCorners(da, &xs, NULL, NULL, &xm, NULL, NULL));
  assert_petsc(VecGetArrayRead(V, &va));
  for (PetscInt i = xs; i < xs + xm; i++) {
    PetscReal exact;
    if (i == 0 || i == n[0] - 1) continue;
    assert_petsc(StkModelExactValue(P->model, &x[i], &exact));
    err = PetscMax(err, PetscAbsReal(va[i - xs] - exact));
  }
  assert_petsc(VecRestoreArrayRead(V, &va));
  assert_int_equal(MPI_Allreduce(MPI_IN_PLACE, &err, 1, MPIU_REAL, MPIU_MAX, PETSC_COMM_WORLD), 0);
  return err;
}

/* max |V_a - V_b| of two solves on the same grid. */
static PetscReal Difference(StkTestProblem *A, StkTestProblem *B)
{
  Vec       Va, Vb, d;
  PetscReal diff;

  assert_petsc(StkSolverGetValue(A->solver, &Va));
  assert_petsc(StkSolverGetValue(B->solver, &Vb));
  assert_petsc(VecDuplicate(Va, &d));
  assert_petsc(VecWAXPY(d, -1.0, Va, Vb));
  assert_petsc(VecNorm(d, NORM_INFINITY, &diff));
  assert_petsc(VecDestroy(&d));
  return diff;
}

static void Solve(const char type[], PetscInt n, const char options[], StkTestProblem *P)
{
  StkSolverStats st;
  const PetscInt nn[1] = {n};

  assert_petsc(StkTestProblemCreateUpwind(type, 1, nn, options, P));
  assert_petsc(StkSolverSolve(P->solver));
  assert_petsc(StkSolverGetStats(P->solver, &st));
  assert_true(st.converged);
}

/* With its greedy map the user type is the built-in lq: same values to round-off. */
static void test_user_lq_equals_builtin(void **state)
{
  StkTestProblem U, B;
  PetscBool      has;

  Solve("ulq", 65, "-hjb_rtol 1e-10", &U);
  Solve("lq", 65, "-hjb_rtol 1e-10 -lq_box 1", &B);
  assert_petsc(StkModelHasGreedy(U.model, &has));
  assert_true(has);
  print_message("    ulq vs lq, n = 65: max |dV| = %.3e, error %.4e vs %.4e\n", (double)Difference(&U, &B), (double)MaxError(&U), (double)MaxError(&B));
  assert_close(Difference(&U, &B), 0, 0, 1e-12);
  assert_close(MaxError(&U), MaxError(&B), 1e-9, 1e-14);
  assert_petsc(StkTestProblemDestroy(&U));
  assert_petsc(StkTestProblemDestroy(&B));
}

/* Both paths (closed-form greedy; none, so exact minimization) converge to the Riccati
 * value at order ~1, and the path without greedy matches the built-in's -hjb_greedy exact. */
static void test_user_lq_order(void **state)
{
  const char *types[2] = {"ulq", "ulq_ng"};
  PetscReal   err[2][3];

  for (int t = 0; t < 2; t++)
    for (PetscInt g = 0; g < 3; g++) {
      StkTestProblem P;
      Solve(types[t], 32 * (1 << g) + 1, "-hjb_rtol 1e-10", &P);
      err[t][g] = MaxError(&P);
      print_message("    %-6s n = %3d: max error %.4e%s", types[t], 32 * (1 << g) + 1, (double)err[t][g], g ? "" : "\n");
      if (g) print_message(", observed order %.3f\n", (double)PetscLog2Real(err[t][g - 1] / err[t][g]));
      if (t == 1 && g == 2) { /* the same exact minimization as the built-in's */
        StkTestProblem B;
        Solve("lq", 129, "-hjb_rtol 1e-10 -lq_box 1 -hjb_greedy exact", &B);
        print_message("    ulq_ng vs lq -hjb_greedy exact, n = 129: max |dV| = %.3e\n", (double)Difference(&P, &B));
        assert_close(Difference(&P, &B), 0, 0, 1e-7);
        assert_petsc(StkTestProblemDestroy(&B));
      }
      assert_petsc(StkTestProblemDestroy(&P));
    }
  for (int t = 0; t < 2; t++)
    for (PetscInt g = 1; g < 3; g++) assert_true(PetscLog2Real(err[t][g - 1] / err[t][g]) >= 0.9 && PetscLog2Real(err[t][g - 1] / err[t][g]) <= 1.2);
  assert_close(err[1][2], err[0][2], 1e-3, 0); /* the same minimizer */
}

/* Without a greedy map the solver uses the exact minimization and records it. */
static void test_user_no_greedy_recorded(void **state)
{
  StkTestProblem    P;
  StkSchemeSettings scheme;
  PetscBool         has;
  char              path[256];

  snprintf(path, sizeof(path), "/tmp/stk_test_user_model_ng.%ld.h5", (long)getpid());
  assert_int_equal(MPI_Bcast(path, (int)sizeof(path), MPI_CHAR, 0, PETSC_COMM_WORLD), 0);
  Solve("ulq_ng", 33, NULL, &P);
  assert_petsc(StkModelHasGreedy(P.model, &has));
  assert_false(has);
  assert_petsc(StkSolverWrite(P.solver, path));
  assert_petsc(StkSolutionLoadScheme(PETSC_COMM_WORLD, path, &scheme));
  assert_int_equal(scheme.greedy, STK_GREEDY_EXACT);
  assert_petsc(StkTestProblemDestroy(&P));
  RemoveFiles(path);
}

/* Parameters from options (under a prefix), written and read back bitwise. */
static void test_user_parameters_round_trip(void **state)
{
  StkTestProblem P;
  StkModel       loaded, prefixed;
  StkGrid        grid;
  Vec            V, u;
  char           path[256];
  const char    *type;
  ULQ           *c;
  PetscOptions   db;

  snprintf(path, sizeof(path), "/tmp/stk_test_user_model.%ld.h5", (long)getpid());
  assert_int_equal(MPI_Bcast(path, (int)sizeof(path), MPI_CHAR, 0, PETSC_COMM_WORLD), 0);
  Solve("ulq", 33, "-ulq_a -0.7 -ulq_sigma 0.4123456789 -hjb_rho 0.2", &P);
  c = Ctx(P.model);
  assert_close(c->a, -0.7, 0, 0);
  assert_petsc(StkSolverWrite(P.solver, path));
  assert_petsc(StkSolutionLoad(PETSC_COMM_WORLD, path, &loaded, &grid, &V, &u));
  assert_petsc(StkModelGetType(loaded, &type));
  assert_string_equal(type, "ulq");
  c = Ctx(loaded);
  assert_true(c->a == -0.7 && c->sigma == 0.4123456789 && c->P == Ctx(P.model)->P);
  {
    PetscReal x = 0.3, v0, v1;
    assert_petsc(StkModelExactValue(P.model, &x, &v0));
    assert_petsc(StkModelExactValue(loaded, &x, &v1));
    assert_true(v0 == v1);
  }
  assert_petsc(StkModelDestroy(&loaded));
  assert_petsc(StkGridDestroy(&grid));
  assert_petsc(VecDestroy(&V));
  assert_petsc(VecDestroy(&u));
  assert_petsc(StkTestProblemDestroy(&P));
  RemoveFiles(path);
  /* the user prefix goes before the type's class */
  assert_petsc(PetscOptionsCreate(&db));
  assert_petsc(PetscOptionsInsertString(db, "-bear_model ulq -bear_ulq_sigma 0.25"));
  assert_petsc(PetscOptionsPush(db));
  assert_petsc(StkModelCreate(PETSC_COMM_WORLD, &prefixed));
  assert_petsc(StkModelSetOptionsPrefix(prefixed, "bear_"));
  assert_petsc(StkModelSetFromOptions(prefixed));
  assert_petsc(StkModelSetUp(prefixed));
  assert_close(Ctx(prefixed)->sigma, 0.25, 0, 0);
  assert_petsc(StkModelDestroy(&prefixed));
  assert_petsc(PetscOptionsPop());
  assert_petsc(PetscOptionsDestroy(&db));
}

/* Each broken definition fails at set-up with the expected code; a 1-D type refuses -dim 2. */
static void test_user_definition_errors(void **state)
{
  const char          *types[] = {"b_nodrift", "b_direction", "b_control", "b_box", "b_dirichlet"};
  const PetscErrorCode codes[] = {PETSC_ERR_USER_INPUT, PETSC_ERR_ARG_OUTOFRANGE, PETSC_ERR_ARG_OUTOFRANGE, PETSC_ERR_ARG_OUTOFRANGE, PETSC_ERR_USER_INPUT};
  StkModel             m;

  assert_petsc(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
    assert_petsc(StkModelCreate(PETSC_COMM_WORLD, &m));
    assert_petsc(StkModelSetType(m, types[i]));
    assert_int_equal(StkModelSetUp(m), codes[i]);
    assert_petsc(StkModelDestroy(&m));
  }
  assert_petsc(StkModelCreate(PETSC_COMM_WORLD, &m));
  assert_petsc(StkModelSetDimension(m, 2));
  assert_petsc(StkModelSetType(m, "ulq"));
  assert_int_equal(StkModelSetUp(m), PETSC_ERR_ARG_OUTOFRANGE);
  assert_petsc(StkModelDestroy(&m));
  assert_petsc(StkModelCreate(PETSC_COMM_WORLD, &m)); /* without -dim: the type's range */
  assert_petsc(StkModelSetType(m, "ulq"));
  assert_petsc(StkModelSetUp(m));
  assert_petsc(StkModelDestroy(&m));
  assert_int_equal(StkModelLoadPlugin(PETSC_COMM_WORLD, "/nonexistent/libnothing.so"), PETSC_ERR_FILE_OPEN);
  assert_petsc(PetscPopErrorHandler());
}

/* The borrowing limit: V = -log(y + r a) / rho at every node, the end nodes included,
 * with the closed-form greedy and with the exact minimization over the admissible
 * controls; c(a_min) = y + r a_min (drift zero, not outward). */
static void test_state_constraint(void **state)
{
  const char *types[] = {"savings", "savings_ng"};

  for (int t = 0; t < 2; t++) {
    StkTestProblem     P;
    Vec                V, u;
    const PetscScalar *va, *ua;
    const PetscReal   *x;
    PetscInt           xs, xm, n[1];
    PetscReal          err = 0, bind = 0;
    DM                 da;

    Solve(types[t], 65, "-hjb_rtol 1e-12", &P);
    assert_petsc(StkSolverGetValue(P.solver, &V));
    assert_petsc(StkSolverGetPolicy(P.solver, &u));
    assert_petsc(StkGridGetDM(P.grid, &da));
    assert_petsc(StkGridGetSizes(P.grid, n));
    assert_petsc(StkGridGetCoordinates(P.grid, 0, &x));
    assert_petsc(DMDAGetCorners(da, &xs, NULL, NULL, &xm, NULL, NULL));
    assert_petsc(VecGetArrayRead(V, &va));
    assert_petsc(VecGetArrayRead(u, &ua));
    for (PetscInt i = xs; i < xs + xm; i++) {
      PetscReal exact;
      assert_petsc(SavingsExact(P.model, &x[i], &exact));
      err = PetscMax(err, PetscAbsReal(va[i - xs] - exact) / PetscAbsReal(exact));
      if (i == 0 || i == n[0] - 1) bind = PetscMax(bind, PetscAbsReal(ua[i - xs] - (1 + 0.05 * x[i])));
    }
    assert_petsc(VecRestoreArrayRead(V, &va));
    assert_petsc(VecRestoreArrayRead(u, &ua));
    assert_int_equal(MPI_Allreduce(MPI_IN_PLACE, &err, 1, MPIU_REAL, MPIU_MAX, PETSC_COMM_WORLD), 0);
    assert_int_equal(MPI_Allreduce(MPI_IN_PLACE, &bind, 1, MPIU_REAL, MPIU_MAX, PETSC_COMM_WORLD), 0);
    print_message("    %s: max relative error of V %.2e, |c - (y + r a)| at the ends %.2e\n", types[t], (double)err, (double)bind);
    assert_true(err < 1e-8);
    assert_true(bind < 1e-8);
    assert_petsc(StkTestProblemDestroy(&P));
  }
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(test_state_constraint),
  cmocka_unit_test(test_user_lq_equals_builtin),
  cmocka_unit_test(test_user_lq_order),
  cmocka_unit_test(test_user_no_greedy_recorded),
  cmocka_unit_test(test_user_parameters_round_trip),
  cmocka_unit_test(test_user_definition_errors),
};

STK_TEST_MAIN_GROUP(tests, Register, NULL)
