/* -hjb_greedy_newton (issue 14; the default since): the greedy map's fixed points by
 * Newton with the map's analytic slope, and the upwind choice from one side where the
 * drift's sign and the order decide, give the policy of the secant path
 * (-hjb_greedy_newton 0) to round-off: the same V to 1e-12 relative, the same policy at
 * every node to 1e-10 of the control range, the same HJB residual certificate (to 5 %
 * above its round-off floor, 1e-11).  A wrong slope
 * (Newton then stopping short), a wrong side or another fixed point would move u by far
 * more (the forward and backward controls differ by O(h) at every node, 1e-3 here). */
#include "stk_test_problem.h"

typedef struct {
  PetscReal      dv, du, dres; /* max|dV| / max|V|, max|du| / (u_max - u_min), |residual change| / residual */
  StkSolverStats ref, fast;
} Comparison;

/* Solve with `base` plus -hjb_greedy_newton 0 and 1 (the default since issue 14); compare. */
static void compare(PetscInt dim, const PetscInt n[], const char base[], Comparison *cmp)
{
  StkTestProblem R, P;
  char           secant[1024], newton[1024];

  assert_petsc(PetscSNPrintf(secant, sizeof(secant), "%s -hjb_greedy_newton 0", base));
  assert_petsc(PetscSNPrintf(newton, sizeof(newton), "%s -hjb_greedy_newton 1", base));
  assert_petsc(StkTestProblemCreate("staking", dim, n, secant, &R));
  assert_petsc(StkTestProblemCreate("staking", dim, n, newton, &P));
  assert_petsc(StkSolverSolve(R.solver));
  assert_petsc(StkSolverSolve(P.solver));
  assert_petsc(StkSolverGetStats(R.solver, &cmp->ref));
  assert_petsc(StkSolverGetStats(P.solver, &cmp->fast));
  StkTestSolutionDistance(&R, &P, &cmp->dv, &cmp->du);
  cmp->dres = PetscAbsReal(cmp->fast.residual - cmp->ref.residual) / cmp->ref.residual;
  assert_petsc(StkTestProblemDestroy(&P));
  assert_petsc(StkTestProblemDestroy(&R));
}

static void check_within(PetscInt dim, const PetscInt n[], const char base[], PetscReal du_max)
{
  Comparison cmp;

  compare(dim, n, base, &cmp);
  print_message("    %-70s Howard its %" PetscInt_FMT " / %" PetscInt_FMT ", residual %.4e / %.4e, rel dV %.2e, rel du %.2e\n", base, cmp.ref.iterations, cmp.fast.iterations, (double)cmp.ref.residual, (double)cmp.fast.residual, (double)cmp.dv, (double)cmp.du);
  assert_true(cmp.ref.converged && cmp.fast.converged);
  assert_int_equal(cmp.fast.iterations, cmp.ref.iterations);
  assert_int_equal(cmp.fast.coarse_iterations, cmp.ref.coarse_iterations);
  assert_true(cmp.dv <= 1e-12);
  assert_true(cmp.du <= du_max);
  assert_true(cmp.dres * cmp.ref.residual <= 0.05 * cmp.ref.residual + 1e-11); /* the residual is at V's round-off floor (second differences) */
}

static void check(PetscInt dim, const PetscInt n[], const char base[])
{
  check_within(dim, n, base, 1e-10);
}

/* 2-D staking, the upwind scheme, with the defaults (hierarchy reuse and the linear
 * target on) and without them (the defaults before issue 14), and with the coarse grids
 * stopped early; the lognormal cost law (the default). */
static void test_newton_2d(void **state)
{
  const PetscInt n[] = {129, 33};

  check(2, n, "-hjb_central 0");
  check(2, n, "-hjb_central 0 -hjb_pc_reuse_below 0 -hjb_linear_target 0");
  check(2, n, "-hjb_central 0 -hjb_sequence_rtol 1e-3");
}

/* The other cost laws' slopes (gamma, logistic: analytic; uniform: piecewise constant, so
 * Newton's slope is 0 and one step is exact) and the central scheme's branch. */
static void test_newton_cost_laws(void **state)
{
  const PetscInt n[] = {1025};
  const PetscInt n2[] = {65, 17};

  check(1, n, "-hjb_central 0 -agents_cost gamma");
  check(1, n, "-hjb_central 0 -agents_cost logistic");
  check(1, n, "-hjb_central 0 -agents_cost uniform");
  check(2, n2, "-hjb_central 1");
}

/* Where the Hamiltonian is not convex in u (a linear cost of issuance eta, an expensive
 * outside option zbar): the greedy map has several fixed points at some nodes, and the
 * secant, whose safeguards may search the whole control box, reaches a different one than
 * a local Newton iteration unless Newton is kept to warm starts.  Without that rule (and
 * with the current control lost after a secant fallback) these runs ended at other local
 * solutions, V 1e-3 to 1e-2 higher.  The policy at the flat minima is determined to ~1e-8. */
static void test_newton_nonconvex(void **state)
{
  const PetscInt n[] = {129, 33}, n2[] = {65, 17};

  check_within(2, n, "-hjb_central 0 -hjb_eta 0.5", 1e-8);
  check_within(2, n, "-hjb_central 0 -hjb_eta 1 -agents_zbar 0.02", 1e-8);
  check_within(2, n2, "-hjb_central 0 -hjb_eta 1 -agents_zbar 0.02", 1e-8);
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(test_newton_nonconvex),
  cmocka_unit_test(test_newton_2d),
  cmocka_unit_test(test_newton_cost_laws),
};

STK_TEST_MAIN(tests)
