/* The linear-quadratic problem has a closed-form value: the upwind scheme converges to
 * it at first order in the max norm (docs/model.md#discretization; issue 2). */
#include "stk_test_problem.h"

/* Max-norm error against the closed form over interior nodes. */
static PetscReal interior_error(StkTestProblem *P)
{
  DM               da;
  Vec              V;
  const PetscReal *x[STK_MAX_DIM];
  PetscInt         dim, n[STK_MAX_DIM], xs[3], xm[3];
  const PetscScalar *va;
  PetscReal        err = 0;

  assert_petsc(StkSolverGetValue(P->solver, &V));
  assert_petsc(StkGridGetDM(P->grid, &da));
  assert_petsc(StkGridGetDimension(P->grid, &dim));
  assert_petsc(StkGridGetSizes(P->grid, n));
  for (PetscInt k = 0; k < dim; k++) assert_petsc(StkGridGetCoordinates(P->grid, k, &x[k]));
  assert_petsc(DMDAGetCorners(da, &xs[0], &xs[1], &xs[2], &xm[0], &xm[1], &xm[2]));
  if (dim == 1) xs[1] = 0, xm[1] = 1;
  assert_petsc(VecGetArrayRead(V, &va));
  for (PetscInt j = xs[1], o = 0; j < xs[1] + xm[1]; j++)
    for (PetscInt i = xs[0]; i < xs[0] + xm[0]; i++, o++) {
      PetscReal pt[2] = {x[0][i], dim > 1 ? x[1][j] : 0}, exact;
      if (i == 0 || i == n[0] - 1 || (dim > 1 && (j == 0 || j == n[1] - 1))) continue;
      assert_petsc(StkModelExactValue(P->model, pt, &exact));
      err = PetscMax(err, PetscAbsReal(va[o] - exact));
    }
  assert_petsc(VecRestoreArrayRead(V, &va));
  assert_int_equal(MPI_Allreduce(MPI_IN_PLACE, &err, 1, MPIU_REAL, MPIU_MAX, PETSC_COMM_WORLD), 0);
  return err;
}

static void check_order(PetscInt dim, const char options[])
{
  const PetscInt ngrid = 4;
  PetscReal      err[4];

  for (PetscInt g = 0; g < ngrid; g++) {
    StkTestProblem P;
    StkSolverStats st;
    PetscInt       n[2];
    n[0] = n[1] = 32 * (1 << g) + 1;
    assert_petsc(StkTestProblemCreateUpwind("lq", dim, n, options, &P));
    assert_petsc(StkSolverSolve(P.solver));
    assert_petsc(StkSolverGetStats(P.solver, &st));
    assert_true(st.converged);
    err[g] = interior_error(&P);
    print_message("    lq %" PetscInt_FMT "-D n = %3" PetscInt_FMT ": max error %.4e, %" PetscInt_FMT " Howard its%s", dim, n[0], (double)err[g], st.iterations, g ? "" : "\n");
    if (g) print_message(", observed order %.3f\n", (double)PetscLog2Real(err[g - 1] / err[g]));
    assert_petsc(StkTestProblemDestroy(&P));
  }
  for (PetscInt g = 1; g < ngrid; g++) assert_true(PetscLog2Real(err[g - 1] / err[g]) >= 0.9);
}

static void test_lq_1d_order(void **state)
{
  check_order(1, "-hjb_rtol 1e-10");
}

static void test_lq_2d_order(void **state)
{
  check_order(2, "-hjb_rtol 1e-10");
}

static void test_lq_2d_order_exact_greedy(void **state)
{
  check_order(2, "-hjb_rtol 1e-10 -hjb_greedy exact");
}

/* Central drift differences are exact on quadratics: where the row stays monotone
 * everywhere (fine enough grids), the LQ value is reproduced to round-off. */
static void test_lq_central_exact_on_quadratics(void **state)
{
  for (PetscInt dim = 1; dim <= 2; dim++) {
    StkTestProblem P;
    StkSolverStats st;
    PetscInt       n[2] = {129, 129};
    PetscReal      err;
    assert_petsc(StkTestProblemCreate("lq", dim, n, "-hjb_rtol 1e-12 -hjb_central", &P));
    assert_petsc(StkSolverSolve(P.solver));
    assert_petsc(StkSolverGetStats(P.solver, &st));
    err = interior_error(&P);
    print_message("    lq %" PetscInt_FMT "-D central, n = 129: max error %.3e, %" PetscInt_FMT " Howard its\n", dim, (double)err, st.iterations);
    assert_true(st.converged);
    assert_true(err < 1e-9);
    assert_petsc(StkTestProblemDestroy(&P));
  }
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(test_lq_central_exact_on_quadratics),
  cmocka_unit_test(test_lq_1d_order),
  cmocka_unit_test(test_lq_2d_order),
  cmocka_unit_test(test_lq_2d_order_exact_greedy),
};

STK_TEST_MAIN(tests)
