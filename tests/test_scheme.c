/* The upwind scheme and policy iteration: M-matrix structure, the discrete HJB at the
 * converged policy, and convergence on the staking model. */
#include "stk_test_problem.h"
#include <string.h>

/* Every owned row: positive diagonal, non-positive off-diagonals, and diagonal minus
 * off-diagonal sum >= rho (strict diagonal dominance with margin rho). */
static void assert_m_matrix(Mat A, PetscReal rho)
{
  PetscInt rstart, rend, checked = 0;

  assert_petsc(MatGetOwnershipRange(A, &rstart, &rend));
  for (PetscInt r = rstart; r < rend; r++) {
    PetscInt           ncols;
    const PetscInt    *cols;
    const PetscScalar *vals;
    PetscReal          diag = 0, off = 0;
    assert_petsc(MatGetRow(A, r, &ncols, &cols, &vals));
    for (PetscInt j = 0; j < ncols; j++) {
      if (cols[j] == r) diag = vals[j];
      else {
        assert_true(vals[j] <= 0);
        off += -vals[j];
      }
    }
    assert_petsc(MatRestoreRow(A, r, &ncols, &cols, &vals));
    assert_true(diag > 0);
    assert_true(diag - off >= rho * (1 - 1e-12));
    /* the generator rows sum to zero: the margin is exactly rho */
    assert_close(diag - off, rho, 1e-10, 0);
    checked++;
  }
  assert_true(checked == rend - rstart);
}

static void fill_random_policy(StkTestProblem *P, Vec u, unsigned long seed)
{
  PetscRandom rnd;
  PetscInt    nu, n;
  PetscScalar *ua;
  PetscReal   lo[STK_MAX_CONTROLS], hi[STK_MAX_CONTROLS];

  assert_petsc(StkModelGetNumControls(P->model, &nu));
  for (PetscInt c = 0; c < nu; c++) assert_petsc(StkModelGetControlBounds(P->model, c, &lo[c], &hi[c]));
  assert_petsc(PetscRandomCreate(PETSC_COMM_SELF, &rnd));
  assert_petsc(PetscRandomSetSeed(rnd, seed));
  assert_petsc(PetscRandomSeed(rnd));
  assert_petsc(VecGetLocalSize(u, &n));
  assert_petsc(VecGetArray(u, &ua));
  for (PetscInt i = 0; i < n; i++) {
    PetscReal r;
    assert_petsc(PetscRandomGetValueReal(rnd, &r));
    /* LQ bounds are huge: sample a moderate range there */
    ua[i] = PetscMax(lo[i % nu], -5) + r * (PetscMin(hi[i % nu], 5) - PetscMax(lo[i % nu], -5));
  }
  assert_petsc(VecRestoreArray(u, &ua));
  assert_petsc(PetscRandomDestroy(&rnd));
}

/* The solver's own matrix (whole rows in global column order, MatSetValuesRow) against a
 * matrix from StkSolverCreateMatrix (MatSetValuesLocal): the same pattern and bits. */
static void assert_same_matrix(Mat A, Mat B)
{
  PetscInt rstart, rend;

  assert_petsc(MatGetOwnershipRange(A, &rstart, &rend));
  for (PetscInt r = rstart; r < rend; r++) {
    const PetscInt    *ca, *cb;
    const PetscScalar *va, *vb;
    PetscInt           na, nb;
    assert_petsc(MatGetRow(A, r, &na, &ca, &va));
    assert_petsc(MatGetRow(B, r, &nb, &cb, &vb));
    assert_int_equal(na, nb);
    for (PetscInt c = 0; c < na; c++) {
      assert_int_equal(ca[c], cb[c]);
      assert_true(va[c] == vb[c]);
    }
    assert_petsc(MatRestoreRow(B, r, &nb, &cb, &vb));
    assert_petsc(MatRestoreRow(A, r, &na, &ca, &va));
  }
}

static void check_m_matrix(const char type[], PetscInt dim, const PetscInt n[], const char options[])
{
  StkTestProblem P;
  Mat            A, own;
  Vec            u, rhs, rhs_own, V;
  KSP            ksp;
  PetscReal      rho;
  PetscBool      same;

  assert_petsc(StkTestProblemCreateUpwind(type, dim, n, options, &P));
  assert_petsc(StkModelGetDiscount(P.model, &rho));
  assert_petsc(StkSolverCreateMatrix(P.solver, &A));
  assert_petsc(StkSolverGetPolicy(P.solver, &u));
  assert_petsc(StkSolverGetValue(P.solver, &V));
  assert_petsc(VecDuplicate(V, &rhs));
  assert_petsc(VecDuplicate(V, &rhs_own));
  assert_petsc(StkSolverGetKSP(P.solver, &ksp));
  assert_petsc(KSPGetOperators(ksp, &own, NULL));
  for (unsigned long seed = 1; seed <= 3; seed++) {
    fill_random_policy(&P, u, seed);
    assert_petsc(StkSolverAssemble(P.solver, u, A, rhs));
    assert_m_matrix(A, rho);
    assert_petsc(StkSolverAssemble(P.solver, u, own, rhs_own));
    assert_same_matrix(own, A);
    assert_petsc(VecEqual(rhs, rhs_own, &same));
    assert_true(same);
  }
  assert_petsc(VecDestroy(&rhs_own));
  assert_petsc(VecDestroy(&rhs));
  assert_petsc(MatDestroy(&A));
  assert_petsc(StkTestProblemDestroy(&P));
}

static void test_m_matrix_staking(void **state)
{
  const PetscInt n1[] = {101}, n2[] = {41, 17};
  check_m_matrix("staking", 1, n1, NULL);
  check_m_matrix("staking", 2, n2, NULL);
  check_m_matrix("staking", 2, n2, "-grid_stretch 0.1,0 -grid_cluster 0.6,0");
}

static void test_m_matrix_lq(void **state)
{
  const PetscInt n2[] = {21, 17};
  check_m_matrix("lq", 2, n2, NULL);
}

/* After convergence, no control from a dense sample of [u_min, u_max] lowers the
 * discrete Hamiltonian at any node (min_u H = 0 is the discrete HJB). */
static void check_discrete_hjb(PetscInt dim, const PetscInt n[], const char options[])
{
  StkTestProblem P;
  StkSolverStats st;
  Vec            V, ustar, usample, Hstar, Hs, diff;
  PetscReal      lo, hi, rho, vmax, hmax, worst = PETSC_MAX_REAL;
  const PetscInt nsample = 301;

  assert_petsc(StkTestProblemCreateUpwind("staking", dim, n, options, &P));
  assert_petsc(StkSolverSolve(P.solver));
  assert_petsc(StkSolverGetStats(P.solver, &st));
  assert_true(st.converged);
  assert_petsc(StkSolverGetValue(P.solver, &V));
  assert_petsc(StkSolverGetPolicy(P.solver, &ustar));
  assert_petsc(StkModelGetControlBounds(P.model, 0, &lo, &hi));
  assert_petsc(StkModelGetDiscount(P.model, &rho));
  assert_petsc(VecNorm(V, NORM_INFINITY, &vmax));
  assert_petsc(VecDuplicate(V, &Hstar));
  assert_petsc(VecDuplicate(V, &Hs));
  assert_petsc(VecDuplicate(V, &diff));
  assert_petsc(VecDuplicate(ustar, &usample));
  assert_petsc(StkSolverHamiltonian(P.solver, V, ustar, Hstar));
  assert_petsc(VecNorm(Hstar, NORM_INFINITY, &hmax));
  assert_true(hmax <= 1e-8 * rho * vmax); /* the discrete HJB holds at the solution */
  for (PetscInt i = 0; i < nsample; i++) {
    PetscReal m;
    assert_petsc(VecSet(usample, lo + (hi - lo) * i / (nsample - 1)));
    assert_petsc(StkSolverHamiltonian(P.solver, V, usample, Hs));
    assert_petsc(VecWAXPY(diff, -1.0, Hstar, Hs));
    assert_petsc(VecMin(diff, NULL, &m));
    worst = PetscMin(worst, m);
  }
  print_message("    discrete HJB (%" PetscInt_FMT "-D, %s): %" PetscInt_FMT " Howard its, |H(u*)| %.2e, min over samples of H(u)-H(u*) %.2e (scale rho|V| %.2e)\n", dim, options, st.iterations, (double)hmax, (double)worst, (double)(rho * vmax));
  assert_true(worst >= -1e-10 * rho * vmax);
  assert_petsc(VecDestroy(&Hstar));
  assert_petsc(VecDestroy(&Hs));
  assert_petsc(VecDestroy(&diff));
  assert_petsc(VecDestroy(&usample));
  assert_petsc(StkTestProblemDestroy(&P));
}

static void test_discrete_hjb_exact(void **state)
{
  const PetscInt n1[] = {201}, n2[] = {65, 17};
  check_discrete_hjb(1, n1, "-hjb_greedy exact -hjb_rtol 1e-11");
  check_discrete_hjb(2, n2, "-hjb_greedy exact -hjb_rtol 1e-11");
}

static void test_discrete_hjb_closed_form(void **state)
{
  const PetscInt n1[] = {201}, n2[] = {65, 17};
  check_discrete_hjb(1, n1, "-hjb_greedy closed_form -hjb_rtol 1e-11");
  check_discrete_hjb(2, n2, "-hjb_greedy closed_form -hjb_rtol 1e-11");
}

/* Policy iteration converges in few iterations; the policy issues more below the target. */
static void test_staking_converges(void **state)
{
  const PetscInt sizes[3][2] = {{101, 17}, {201, 33}, {401, 65}};
  for (PetscInt dim = 1; dim <= 2; dim++) {
    for (PetscInt g = 0; g < 3; g++) {
      StkTestProblem P;
      StkSolverStats st;
      PetscInt       n[2] = {sizes[g][0], sizes[g][1]};
      assert_petsc(StkTestProblemCreateUpwind("staking", dim, n, NULL, &P));
      assert_petsc(StkSolverSolve(P.solver));
      assert_petsc(StkSolverGetStats(P.solver, &st));
      print_message("    staking %" PetscInt_FMT "-D, n0 = %" PetscInt_FMT ": %" PetscInt_FMT " Howard iterations, residual %.2e\n", dim, n[0], st.iterations, (double)st.residual);
      assert_true(st.converged);
      assert_true(st.iterations <= 20);
      assert_true(st.residual < 1e-8 || st.policy_changes == 0);
      assert_petsc(StkTestProblemDestroy(&P));
    }
  }
}

/* Solve the density again with `options` (then cleared) and return max|g - g_ref| / max|g|. */
static PetscReal DensityDifference(StkSolver solver, Vec g_ref, const char options[])
{
  Vec       g, d;
  PetscReal diff, scale;

  char      copy[1024], *word;

  assert_petsc(PetscOptionsInsertString(NULL, options));
  assert_petsc(StkSolverComputeDensity(solver));
  assert_petsc(PetscStrncpy(copy, options, sizeof(copy)));
  for (word = strtok(copy, " "); word; word = strtok(NULL, " "))
    if (word[0] == '-' && (word[1] < '0' || word[1] > '9')) assert_petsc(PetscOptionsClearValue(NULL, word));
  assert_petsc(StkSolverGetDensity(solver, &g));
  assert_petsc(VecNorm(g, NORM_INFINITY, &scale));
  assert_petsc(VecDuplicate(g, &d));
  assert_petsc(VecWAXPY(d, -1.0, g_ref, g));
  assert_petsc(VecNorm(d, NORM_INFINITY, &diff));
  assert_petsc(VecDestroy(&d));
  return diff / scale;
}

/* The default density of the staking problem in `dim` directions (401 or 129 x 33 nodes)
 * against the one the solver gives with `options`: max relative difference. */
static PetscReal DefaultDensityAgainst(PetscInt dim, const char options[])
{
  const PetscInt sizes[2][2] = {{401, 1}, {129, 33}};
  PetscInt       n[2]        = {sizes[dim - 1][0], sizes[dim - 1][1]};
  StkTestProblem P;
  Vec            g, g_default;
  PetscReal      diff;

  assert_petsc(StkTestProblemCreate("staking", dim, n, NULL, &P));
  assert_petsc(StkSolverSolve(P.solver));
  assert_petsc(StkSolverGetDensity(P.solver, &g));
  assert_petsc(VecDuplicate(g, &g_default));
  assert_petsc(VecCopy(g, g_default));
  diff = DensityDifference(P.solver, g_default, options);
  assert_petsc(VecDestroy(&g_default));
  assert_petsc(StkTestProblemDestroy(&P));
  return diff;
}

/* Issue 14: the density's default (BoomerAMG with forward SOR/Jacobi smoothing, rtol 1e-11,
 * initial guess from the coarser grid) equals the former AMG default (PETSc's BoomerAMG
 * defaults, symmetric smoothing, rtol 1e-12, zero guess) to 1e-10 relative, in 1-D and 2-D. */
static void test_density_fast_amg(void **state)
{
  const char former[] = "-density_pc_hypre_boomeramg_relax_type_all symmetric-SOR/Jacobi -density_pc_hypre_boomeramg_coarsen_type Falgout -density_pc_hypre_boomeramg_interp_type classical -density_pc_hypre_boomeramg_P_max 0 -density_ksp_rtol 1e-12";
  for (PetscInt dim = 1; dim <= 2; dim++) {
    const PetscReal diff = DefaultDensityAgainst(dim, former);
    print_message("    density %" PetscInt_FMT "-D: fast AMG against the former AMG settings, max relative difference %.2e\n", dim, (double)diff);
    assert_true(diff < 1e-10);
    assert_true(diff > 0); /* a different solver did run */
  }
}

/* The stationary density with the default AMG preconditioner equals the one with the
 * former default (block Jacobi / ILU(0)) to 1e-10 relative, in 1-D and 2-D. */
static void test_density_amg(void **state)
{
  for (PetscInt dim = 1; dim <= 2; dim++) {
    const PetscReal diff = DefaultDensityAgainst(dim, "-density_pc_type bjacobi -density_ksp_rtol 1e-12"); /* the former default */
    print_message("    density %" PetscInt_FMT "-D: AMG against block Jacobi/ILU, max relative difference %.2e\n", dim, (double)diff);
    assert_true(diff < 1e-10);
  }
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(test_density_amg),
  cmocka_unit_test(test_density_fast_amg),
  cmocka_unit_test(test_m_matrix_staking),
  cmocka_unit_test(test_m_matrix_lq),
  cmocka_unit_test(test_staking_converges),
  cmocka_unit_test(test_discrete_hjb_exact),
  cmocka_unit_test(test_discrete_hjb_closed_form),
};

STK_TEST_MAIN(tests)
