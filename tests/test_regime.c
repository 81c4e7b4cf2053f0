/* Regime-switching systems (solver/stk_regime.h): the coupled Riccati closed form, the
 * regime-switching LQ problem at first order in 1-D and 2-D with 2 and 3 regimes, the
 * coupled operator an M-matrix, the joint density a probability, q = 0 giving the
 * single-regime solves, and the solve on all ranks equal to the solve on one. */
#include "stk_test.h"
#include "stk_hjb.h"
#include "stk_regime.h"
#include "stk_riccati.h"

#define MAXR 3

/* M regimes of `type`: regime r reads its options under "r<r>_" from `options` (a
 * private database, used only while the objects are set up), the grid has n nodes per
 * direction and follows regime 0's model. */
typedef struct {
  PetscInt        M;
  StkModel        models[MAXR];
  StkGrid         grid;
  StkRegimeSolver solver;
} Problem;

static PetscErrorCode ProblemCreate(MPI_Comm comm, const char type[], PetscInt dim, PetscInt M, PetscInt n, const PetscReal q[], const char options[], Problem *P)
{
  PetscOptions db;
  const char  *names[MAXR] = {"r0", "r1", "r2"};
  PetscInt     sizes[STK_MAX_DIM] = {n, n, n};

  PetscFunctionBeginUser;
  P->M = M;
  PetscCall(PetscOptionsCreate(&db));
  PetscCall(PetscOptionsInsertString(db, options));
  PetscCall(PetscOptionsPush(db));
  for (PetscInt r = 0; r < M; r++) {
    char pre[8];
    PetscCall(PetscSNPrintf(pre, sizeof(pre), "r%" PetscInt_FMT "_", r));
    PetscCall(StkModelCreate(comm, &P->models[r]));
    PetscCall(StkModelSetOptionsPrefix(P->models[r], pre));
    PetscCall(StkModelSetType(P->models[r], type));
    PetscCall(StkModelSetDimension(P->models[r], dim));
    PetscCall(StkModelSetFromOptions(P->models[r]));
  }
  PetscCall(StkGridCreate(comm, &P->grid));
  PetscCall(StkModelConfigureGrid(P->models[0], P->grid));
  PetscCall(StkGridSetSizes(P->grid, sizes));
  PetscCall(StkGridSetUp(P->grid));
  PetscCall(StkRegimeSolverCreate(comm, &P->solver));
  PetscCall(StkRegimeSolverSetModels(P->solver, M, P->models, names));
  if (q) PetscCall(StkRegimeSolverSetRates(P->solver, q));
  PetscCall(StkRegimeSolverSetGrid(P->solver, P->grid));
  PetscCall(StkRegimeSolverSetFromOptions(P->solver));
  PetscCall(StkRegimeSolverSetUp(P->solver));
  PetscCall(PetscOptionsPop());
  PetscCall(PetscOptionsDestroy(&db));
  PetscFunctionReturn(0);
}

static PetscErrorCode ProblemDestroy(Problem *P)
{
  PetscFunctionBeginUser;
  PetscCall(StkRegimeSolverDestroy(&P->solver));
  PetscCall(StkGridDestroy(&P->grid));
  for (PetscInt r = 0; r < P->M; r++) PetscCall(StkModelDestroy(&P->models[r]));
  PetscFunctionReturn(0);
}

/* Regimes of the LQ test model differing in drift, state cost, volatility and discount. */
static const char lq1[] = "-hjb_central 0 -hjb_rtol 1e-10 "
                          "-r0_lq_a -0.5 -r0_lq_q 1 -r0_lq_sigma 0.3 -r0_hjb_rho 0.5 "
                          "-r1_lq_a 0.2 -r1_lq_q 3 -r1_lq_sigma 0.6 -r1_hjb_rho 0.8 -r1_lq_b 0.7 "
                          "-r2_lq_a -1.0 -r2_lq_q 0.5 -r2_lq_sigma 0.1 -r2_hjb_rho 0.3 -r2_lq_r 2";
static const char lq2[] = "-hjb_central 0 -hjb_rtol 1e-10 "
                          "-r0_hjb_rho 0.5 "
                          "-r1_lq_a -0.2,0.4,0,-0.6 -r1_lq_q 2,0.5,0.5,1 -r1_lq_sigma 0.5,0.3 -r1_hjb_rho 0.8 "
                          "-r2_lq_a -1,0,0.3,-0.2 -r2_lq_q 0.5,0,0,2 -r2_lq_sigma 0.2,0.4 -r2_hjb_rho 0.3 -r2_lq_r 2,1";
static const PetscReal q2[4] = {0, 0.7, 1.2, 0};
static const PetscReal q3[9] = {0, 0.7, 0.3, 1.2, 0, 0.5, 0.4, 0.9, 0};

/* The coupled Riccati solution solves its equations, and with q = 0 is the regimes' own. */
static void test_coupled_riccati(void **state)
{
  const PetscReal A[2 * 4] = {-0.5, 0.2, 0.1, -0.3, -0.2, 0.4, 0, -0.6}, B[4] = {1, 0.8, 1, 1}, Q[8] = {1, 0.3, 0.3, 0.8, 2, 0.5, 0.5, 1};
  const PetscReal R[4] = {1, 0.5, 1, 1}, S[4] = {0.3, 0.2, 0.5, 0.3}, rho[2] = {0.5, 0.8}, zero[4] = {0};
  PetscReal       P[8], c[2], P0[4];
  PetscInt        its;

  assert_petsc(StkRiccatiSolveCoupled(2, 2, A, B, Q, R, S, rho, q2, P, c, &its));
  print_message("    coupled Riccati 2-D, 2 regimes: %" PetscInt_FMT " sweeps, residual %.2e\n", its, (double)StkRiccatiCoupledResidual(2, 2, A, B, Q, R, S, rho, q2, P, c));
  assert_true(StkRiccatiCoupledResidual(2, 2, A, B, Q, R, S, rho, q2, P, c) < 1e-12);
  assert_petsc(StkRiccatiSolveCoupled(2, 2, A, B, Q, R, S, rho, zero, P, c, NULL));
  for (PetscInt i = 0; i < 2; i++) {
    assert_petsc(StkRiccatiSolve(2, &A[4 * i], &B[2 * i], &Q[4 * i], &R[2 * i], rho[i], P0, NULL));
    for (PetscInt e = 0; e < 4; e++) assert_close(P[4 * i + e], P0[e], 1e-12, 1e-14);
    assert_close(c[i], (S[2 * i] * S[2 * i] * P0[0] + S[2 * i + 1] * S[2 * i + 1] * P0[3]) / rho[i], 1e-12, 1e-14);
  }
}

static void check_order(PetscInt dim, PetscInt M, const PetscReal q[], const char options[], PetscInt n0)
{
  PetscReal err[3];

  for (PetscInt g = 0; g < 3; g++) {
    Problem              P;
    StkRegimeSolverStats st;
    PetscReal            vmax;
    const PetscInt       n = (n0 - 1) * (1 << g) + 1;
    PetscBool            has;
    assert_petsc(ProblemCreate(PETSC_COMM_WORLD, "lq", dim, M, n, q, options, &P));
    assert_petsc(StkRegimeSolverHasExactSolution(P.solver, &has));
    assert_true(has);
    assert_petsc(StkRegimeSolverSolve(P.solver));
    assert_petsc(StkRegimeSolverGetStats(P.solver, &st));
    assert_true(st.converged);
    assert_petsc(StkRegimeSolverComputeError(P.solver, &err[g], &vmax));
    print_message("    regime lq %" PetscInt_FMT "-D, %" PetscInt_FMT " regimes, n = %3" PetscInt_FMT ": max error %.4e (max |V| %.3f), %" PetscInt_FMT " Howard its", dim, M, n, (double)err[g], (double)vmax, st.iterations);
    if (g) print_message(", observed order %.3f", (double)PetscLog2Real(err[g - 1] / err[g]));
    print_message("\n");
    assert_petsc(ProblemDestroy(&P));
  }
  for (PetscInt g = 1; g < 3; g++) assert_true(PetscLog2Real(err[g - 1] / err[g]) >= 0.9);
}

static void test_lq_1d_m2(void **state) { check_order(1, 2, q2, lq1, 33); }
static void test_lq_1d_m3(void **state) { check_order(1, 3, q3, lq1, 33); }
static void test_lq_2d_m2(void **state) { check_order(2, 2, q2, lq2, 33); }
static void test_lq_2d_m3(void **state) { check_order(2, 3, q3, lq2, 33); }

/* Regimes of the reflecting manufactured model (a stationary density exists). */
static const char mms[] = "-hjb_rtol 1e-10 -r0_mms_sigma 0.3 -r1_mms_sigma 0.6 -r1_hjb_rho 0.5 -r2_mms_sigma 0.45 -r2_hjb_rho 2";

/* Diagonal > 0, off-diagonal <= 0, row sums >= min rho_i: an M-matrix. */
static void test_m_matrix(void **state)
{
  Problem  P;
  Mat      A;
  PetscInt rs, re, bad = 0;

  assert_petsc(ProblemCreate(PETSC_COMM_WORLD, "mms", 2, 3, 17, q3, mms, &P));
  assert_petsc(StkRegimeSolverSolve(P.solver));
  assert_petsc(StkRegimeSolverGetMatrix(P.solver, &A));
  assert_petsc(MatGetOwnershipRange(A, &rs, &re));
  for (PetscInt r = rs; r < re; r++) {
    PetscInt           nc;
    const PetscInt    *cols;
    const PetscScalar *vals;
    PetscReal          sum = 0, diag = 0;
    PetscBool          offdiag_ok = PETSC_TRUE;
    assert_petsc(MatGetRow(A, r, &nc, &cols, &vals));
    for (PetscInt k = 0; k < nc; k++) {
      sum += vals[k];
      if (cols[k] == r) diag = vals[k];
      else if (vals[k] > 0) offdiag_ok = PETSC_FALSE;
    }
    assert_petsc(MatRestoreRow(A, r, &nc, &cols, &vals));
    if (!(diag > 0) || !offdiag_ok || sum < 0.5 * (1 - 1e-10)) bad++; /* min rho_i = 0.5 */
  }
  assert_int_equal(MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPIU_INT, MPI_SUM, PETSC_COMM_WORLD), 0);
  assert_int_equal(bad, 0);
  assert_petsc(ProblemDestroy(&P));
}

/* The joint density: >= 0, sums (with the cell volumes) to 1 over nodes and regimes, and
 * its regime marginals are the chain's own stationary distribution (the switching does not
 * depend on x): for q3 pi solves pi' Q = 0. */
static void test_density(void **state)
{
  Problem   P;
  Vec       g;
  PetscReal pi[3], gmin, total = 0, flow;

  assert_petsc(ProblemCreate(PETSC_COMM_WORLD, "mms", 2, 3, 17, q3, mms, &P));
  assert_petsc(StkRegimeSolverSolve(P.solver));
  assert_petsc(StkRegimeSolverComputeDensity(P.solver));
  assert_petsc(StkRegimeSolverGetDensity(P.solver, &g));
  assert_petsc(VecMin(g, NULL, &gmin));
  assert_true(gmin >= -1e-12);
  assert_petsc(StkRegimeSolverGetRegimeProbabilities(P.solver, pi));
  for (PetscInt i = 0; i < 3; i++) total += pi[i];
  assert_close(total, 1, 1e-12, 0);
  for (PetscInt j = 0; j < 3; j++) { /* balance of regime j: inflow = outflow */
    flow = 0;
    for (PetscInt i = 0; i < 3; i++)
      if (i != j) flow += pi[i] * q3[3 * i + j] - pi[j] * q3[3 * j + i];
    assert_close(flow, 0, 0, 1e-9);
  }
  print_message("    joint density: min %.2e, regime probabilities %.6f %.6f %.6f\n", (double)gmin, (double)pi[0], (double)pi[1], (double)pi[2]);
  assert_petsc(ProblemDestroy(&P));
}

/* Without a connected chain (regime 2 is never left nor entered) the joint density is not
 * unique: NaN. */
static void test_density_reducible(void **state)
{
  const PetscReal q[9] = {0, 0.7, 0, 1.2, 0, 0, 0, 0, 0};
  Problem         P;
  PetscReal       pi[3];

  assert_petsc(ProblemCreate(PETSC_COMM_WORLD, "mms", 1, 3, 17, q, mms, &P));
  assert_petsc(StkRegimeSolverSolve(P.solver));
  assert_petsc(StkRegimeSolverGetRegimeProbabilities(P.solver, pi));
  for (PetscInt i = 0; i < 3; i++) assert_true(PetscIsNanReal(pi[i]));
  assert_petsc(ProblemDestroy(&P));
}

/* With q = 0 each regime is its own problem: the single-regime solver's V and u. */
static void test_no_switching(void **state)
{
  Problem P;

  assert_petsc(ProblemCreate(PETSC_COMM_WORLD, "lq", 2, 3, 17, NULL, lq2, &P));
  assert_petsc(StkRegimeSolverSolve(P.solver));
  for (PetscInt i = 0; i < 3; i++) {
    StkSolver S;
    Vec       V, u, Vi, ui;
    PetscReal d, vmax;
    assert_petsc(StkSolverCreate(PETSC_COMM_WORLD, &S));
    assert_petsc(StkSolverSetModel(S, P.models[i]));
    assert_petsc(StkSolverSetGrid(S, P.grid));
    {
      PetscOptions db;
      assert_petsc(PetscOptionsCreate(&db));
      assert_petsc(PetscOptionsInsertString(db, "-hjb_central 0 -hjb_rtol 1e-10 -hjb_sequence 0 -hjb_error_estimate 0 -hjb_linear_forcing 0"));
      assert_petsc(PetscOptionsPush(db));
      assert_petsc(StkSolverSetFromOptions(S));
      assert_petsc(PetscOptionsPop());
      assert_petsc(PetscOptionsDestroy(&db));
    }
    assert_petsc(StkSolverSolve(S));
    assert_petsc(StkSolverGetValue(S, &V));
    assert_petsc(StkSolverGetPolicy(S, &u));
    assert_petsc(StkRegimeSolverGetValue(P.solver, i, &Vi));
    assert_petsc(StkRegimeSolverGetPolicy(P.solver, i, &ui));
    assert_petsc(VecNorm(V, NORM_INFINITY, &vmax));
    {
      Vec diff;
      assert_petsc(VecDuplicate(V, &diff));
      assert_petsc(VecWAXPY(diff, -1.0, V, Vi));
      assert_petsc(VecNorm(diff, NORM_INFINITY, &d));
      assert_petsc(VecDestroy(&diff));
    }
    print_message("    q = 0, regime %" PetscInt_FMT ": max |V - V_single| %.2e (max |V| %.3f)\n", i, (double)d, (double)vmax);
    assert_true(d <= 1e-8 * vmax);
    {
      Vec diff;
      assert_petsc(VecDuplicate(u, &diff));
      assert_petsc(VecWAXPY(diff, -1.0, u, ui));
      assert_petsc(VecNorm(diff, NORM_INFINITY, &d));
      assert_petsc(VecDestroy(&diff));
    }
    assert_true(d <= 1e-6);
    assert_petsc(StkSolverDestroy(&S));
  }
  assert_petsc(ProblemDestroy(&P));
}

/* The coupled value and density on all ranks equal those of a solve on one rank. */
static void test_ranks_agree(void **state)
{
  Problem     Pw, Ps;
  Vec         Vw, Vs, gw, gs, natw, natg;
  PetscMPIInt rank;

  assert_petsc(ProblemCreate(PETSC_COMM_WORLD, "mms", 2, 2, 17, q2, mms, &Pw));
  assert_petsc(StkRegimeSolverSolve(Pw.solver));
  assert_petsc(StkRegimeSolverGetCoupledValue(Pw.solver, &Vw));
  assert_petsc(StkRegimeSolverGetDensity(Pw.solver, &gw));
  assert_petsc(StkGridGatherField(Pw.grid, Vw, &natw));
  assert_petsc(StkGridGatherField(Pw.grid, gw, &natg));
  assert_int_equal(MPI_Comm_rank(PETSC_COMM_WORLD, &rank), 0);
  assert_petsc(ProblemCreate(PETSC_COMM_SELF, "mms", 2, 2, 17, q2, mms, &Ps));
  assert_petsc(StkRegimeSolverSolve(Ps.solver));
  assert_petsc(StkRegimeSolverGetCoupledValue(Ps.solver, &Vs));
  assert_petsc(StkRegimeSolverGetDensity(Ps.solver, &gs));
  {
    const PetscScalar *a, *b;
    PetscInt           n, ns;
    PetscReal          dv = 0, dg = 0, vmax = 0, gmax = 0;
    assert_petsc(VecGetLocalSize(natw, &n));
    assert_petsc(VecGetLocalSize(Vs, &ns));
    assert_int_equal(n, ns);
    assert_petsc(VecGetArrayRead(natw, &a));
    assert_petsc(VecGetArrayRead(Vs, &b));
    for (PetscInt k = 0; k < n; k++) dv = PetscMax(dv, PetscAbsReal(a[k] - b[k])), vmax = PetscMax(vmax, PetscAbsReal(b[k]));
    assert_petsc(VecRestoreArrayRead(Vs, &b));
    assert_petsc(VecRestoreArrayRead(natw, &a));
    assert_petsc(VecGetArrayRead(natg, &a));
    assert_petsc(VecGetArrayRead(gs, &b));
    for (PetscInt k = 0; k < n; k++) dg = PetscMax(dg, PetscAbsReal(a[k] - b[k])), gmax = PetscMax(gmax, PetscAbsReal(b[k]));
    assert_petsc(VecRestoreArrayRead(gs, &b));
    assert_petsc(VecRestoreArrayRead(natg, &a));
    print_message("    ranks vs one rank: max |dV| %.2e of %.3f, max |dg| %.2e of %.3f\n", (double)dv, (double)vmax, (double)dg, (double)gmax);
    assert_true(dv <= 1e-8 * vmax);
    assert_true(dg <= 1e-8 * gmax);
  }
  assert_petsc(VecDestroy(&natw));
  assert_petsc(VecDestroy(&natg));
  assert_petsc(ProblemDestroy(&Ps));
  assert_petsc(ProblemDestroy(&Pw));
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(test_coupled_riccati), cmocka_unit_test(test_m_matrix), cmocka_unit_test(test_density), cmocka_unit_test(test_density_reducible), cmocka_unit_test(test_no_switching),
  cmocka_unit_test(test_ranks_agree), cmocka_unit_test(test_lq_1d_m2), cmocka_unit_test(test_lq_1d_m3), cmocka_unit_test(test_lq_2d_m2), cmocka_unit_test(test_lq_2d_m3),
};

STK_TEST_MAIN(tests)
