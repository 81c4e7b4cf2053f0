/* Grid sequencing (-hjb_sequence) and inexact policy evaluation (-hjb_linear_forcing)
 * change how the solver gets there, not where: the same V and u to the tolerance,
 * with fewer Howard iterations on the finest grid. */
#include "stk_test_problem.h"

typedef struct {
  PetscReal      dv, du; /* max|V - V_ref| / max|V_ref|, max|u - u_ref| / (u_max - u_min) */
  StkSolverStats stats;
} Comparison;

/* Solve with `options` and compare with the plain solve (`reference` options). */
static void compare(PetscInt dim, const PetscInt n[], const char reference[], const char options[], Comparison *cmp)
{
  StkTestProblem R, P;

  assert_petsc(StkTestProblemCreateUpwind("staking", dim, n, reference, &R));
  assert_petsc(StkTestProblemCreateUpwind("staking", dim, n, options, &P));
  assert_petsc(StkSolverSolve(R.solver));
  assert_petsc(StkSolverSolve(P.solver));
  assert_petsc(StkSolverGetStats(P.solver, &cmp->stats));
  StkTestSolutionDistance(&R, &P, &cmp->dv, &cmp->du);
  assert_petsc(StkTestProblemDestroy(&P));
  assert_petsc(StkTestProblemDestroy(&R));
}

/* 2-D staking on 129 x 33 (two coarser grids: 65 x 17, 33 x 9): the same V to 1e-9,
 * the coarse grids did the work (levels and iterations recorded), and the finest grid
 * needs at most 5 Howard iterations against 8 from the myopic policy. */
static void test_sequence_2d(void **state)
{
  const PetscInt n[] = {129, 33};
  const char     plain_options[] = "-hjb_rtol 1e-10 -hjb_sequence 0 -hjb_linear_forcing 0";
  Comparison     plain, seq;

  compare(2, n, plain_options, plain_options, &plain);
  compare(2, n, plain_options, "-hjb_rtol 1e-10 -hjb_sequence 2 -hjb_linear_forcing 0", &seq);
  print_message("    2-D 129 x 33: plain %" PetscInt_FMT " Howard its; sequenced %" PetscInt_FMT " on the finest grid after %" PetscInt_FMT " levels (%" PetscInt_FMT " coarse its), rel dV %.2e, rel du %.2e\n", plain.stats.iterations, seq.stats.iterations, seq.stats.coarse_levels, seq.stats.coarse_iterations, (double)seq.dv, (double)seq.du);
  assert_true(plain.dv == 0 && plain.stats.coarse_levels == 0);
  assert_true(seq.stats.converged);
  assert_int_equal(seq.stats.coarse_levels, 2);
  assert_true(seq.stats.coarse_iterations >= 2);
  assert_true(seq.stats.iterations <= 5);
  assert_true(seq.stats.iterations < plain.stats.iterations);
  assert_true(seq.dv <= 1e-9);
  assert_true(seq.du <= 1e-6);
}

/* 1-D, with more levels requested than the grid allows: 257 -> 129 -> 65 -> 33 -> 17 -> 9 stops at 9 nodes. */
static void test_sequence_1d_levels(void **state)
{
  const PetscInt n[] = {257};
  Comparison     seq;

  compare(1, n, "-hjb_rtol 1e-10 -hjb_sequence 0", "-hjb_rtol 1e-10 -hjb_sequence 10", &seq);
  print_message("    1-D 257: %" PetscInt_FMT " levels, %" PetscInt_FMT " Howard its on the finest grid, rel dV %.2e, rel du %.2e\n", seq.stats.coarse_levels, seq.stats.iterations, (double)seq.dv, (double)seq.du);
  assert_int_equal(seq.stats.coarse_levels, 5);
  assert_true(seq.stats.iterations <= 5);
  assert_true(seq.dv <= 1e-9);
  assert_true(seq.du <= 1e-6);
}

/* A grid with an odd number of cells cannot be halved: with the default -hjb_sequence
 * the plain solve (the stats record the levels asked for, so the summary can say so);
 * an explicit -hjb_sequence K > 0 on it is an error of user input at SetUp. */
static void test_sequence_odd_grid(void **state)
{
  const PetscInt n[] = {100, 17};
  Comparison     seq;
  PetscOptions   db;
  StkModel       model;
  StkGrid        grid;
  StkSolver      solver;
  PetscErrorCode ierr;

  compare(2, n, "-hjb_sequence 0", "", &seq);
  assert_int_equal(seq.stats.coarse_levels, 0);
  assert_int_equal(seq.stats.sequence, 4);
  assert_true(seq.dv == 0 && seq.du == 0);

  assert_petsc(PetscOptionsCreate(&db));
  assert_petsc(PetscOptionsInsertString(db, "-grid_n 100,17 -hjb_sequence 3"));
  assert_petsc(PetscOptionsPush(db));
  assert_petsc(StkModelCreate(PETSC_COMM_WORLD, &model));
  assert_petsc(StkModelSetFromOptions(model));
  assert_petsc(StkSolverCreateForModel(PETSC_COMM_WORLD, model, &grid, &solver));
  assert_petsc(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = StkSolverSetUp(solver);
  assert_petsc(PetscPopErrorHandler());
  assert_petsc(PetscOptionsPop());
  assert_int_equal(ierr, PETSC_ERR_USER_INPUT);
  assert_petsc(StkSolverDestroy(&solver));
  assert_petsc(StkGridDestroy(&grid));
  assert_petsc(StkModelDestroy(&model));
  assert_petsc(PetscOptionsDestroy(&db));
}

/* Inexact policy evaluation: the same answer to the tolerance, fewer linear iterations. */
static void test_linear_forcing(void **state)
{
  const PetscInt n[] = {129, 33};
  Comparison     exact, inexact;

  const char     exact_options[] = "-hjb_rtol 1e-10 -hjb_sequence 0 -hjb_linear_forcing 0";

  compare(2, n, exact_options, exact_options, &exact);
  compare(2, n, exact_options, "-hjb_rtol 1e-10 -hjb_sequence 0 -hjb_linear_forcing 0.01", &inexact);
  print_message("    forcing 0.01: %" PetscInt_FMT " Howard / %" PetscInt_FMT " linear its against %" PetscInt_FMT " / %" PetscInt_FMT ", rel dV %.2e\n", inexact.stats.iterations, inexact.stats.ksp_iterations, exact.stats.iterations, exact.stats.ksp_iterations, (double)inexact.dv);
  assert_true(inexact.stats.converged);
  assert_true(inexact.stats.ksp_iterations < exact.stats.ksp_iterations);
  assert_true(inexact.stats.residual < 1e-10);
  assert_true(inexact.dv <= 1e-9);
}

/* The defaults (sequencing and forcing on) against the plain exact solve, 2-D default box. */
static void test_defaults_agree(void **state)
{
  const PetscInt n[] = {257, 65};
  Comparison     def;

  compare(2, n, "-hjb_sequence 0 -hjb_linear_forcing 0", NULL, &def);
  print_message("    defaults on 257 x 65: %" PetscInt_FMT " levels, %" PetscInt_FMT " Howard its on the finest grid, rel dV %.2e, rel du %.2e\n", def.stats.coarse_levels, def.stats.iterations, (double)def.dv, (double)def.du);
  assert_int_equal(def.stats.coarse_levels, 3);
  assert_true(def.stats.converged && def.stats.iterations <= 3); /* issue 7: at most 3 on the finest grid */
  assert_true(def.dv <= 1e-8);
  assert_true(def.du <= 1e-5);
}

/* -hjb_bench: the limit (one linear solve of the final matrix) and the stages are
 * measured in the run, consistently with the solve. */
static void test_bench(void **state)
{
  const PetscInt n[2] = {129, 33};
  StkTestProblem P;
  StkSolverStats st;
  PetscReal      stages;

  assert_petsc(StkTestProblemCreate("staking", 2, n, "-hjb_bench", &P));
  assert_petsc(StkSolverSolve(P.solver));
  assert_petsc(StkSolverGetStats(P.solver, &st));
  stages = st.assemble_time + st.pc_setup_time + st.pc_apply_time + st.improve_time;
  print_message("    bench 129 x 33: solve %.3f s = %.2f linear solves (%" PetscInt_FMT " GMRES its each) = %.0f MatMults; assemble %.3f, PC setup %.3f, PC apply %.3f, improve %.3f s\n", (double)st.solve_time, (double)(st.solve_time / st.linear_solve_time), st.linear_solve_iterations,
                (double)(st.solve_time / st.matmult_time), (double)st.assemble_time, (double)st.pc_setup_time, (double)st.pc_apply_time, (double)st.improve_time);
  assert_true(st.linear_solve_time > 0 && st.matmult_time > 0 && st.matmult_time < st.linear_solve_time);
  assert_true(st.linear_solve_iterations >= 2 && st.linear_solve_iterations <= 50); /* AMG: mesh independent, ~10 */
  assert_true(st.assemble_time > 0 && st.pc_setup_time > 0 && st.pc_apply_time > 0 && st.improve_time > 0);
  assert_true(stages <= 1.05 * st.solve_time); /* the stages lie within the solve */
  assert_true(st.memory_peak > 0);
  assert_petsc(StkTestProblemDestroy(&P));
}

/* PCSetUp calls in the stage "HJB linear solve" so far (logging is on: -hjb_bench). */
static PetscInt PCSetUpCount(void)
{
  PetscLogStage      stage;
  PetscLogEvent      event;
  PetscEventPerfInfo info;

  assert_petsc(PetscLogStageGetId("HJB linear solve", &stage));
  assert_petsc(PetscLogEventGetId("PCSetUp", &event));
  assert_petsc(PetscLogEventGetPerfInfo(stage, event, &info));
  return info.count;
}

/* -hjb_pc_reuse_below (issue 14): fewer AMG setups, the same answer within the
 * certificate (relative HJB residual below -hjb_rtol on both, so each V is within rtol
 * of the discrete solution); with the threshold at 0.99 every step after a grid's first
 * keeps the hierarchy, and the fallback (rebuild when the iterations double) still gets
 * there. */
static void test_pc_reuse(void **state)
{
  const PetscInt n[] = {257, 65};
  const char    *opts[] = {"-hjb_bench -hjb_pc_reuse_below 0", "-hjb_bench -hjb_sequence_rtol 1e-3", "-hjb_bench -hjb_pc_reuse_below 0.99"}; /* off, the default 1e-2, every step */
  PetscInt       setups[3];
  Comparison     cmp[3];
  StkTestProblem P; /* registers the solver's stages */

  assert_petsc(PetscLogDefaultBegin());
  assert_petsc(StkTestProblemCreate("staking", 2, n, NULL, &P));
  assert_petsc(StkTestProblemDestroy(&P));
  for (int k = 0; k < 3; k++) {
    PetscInt before = PCSetUpCount();
    compare(2, n, opts[0], opts[k], &cmp[k]);
    setups[k] = PCSetUpCount() - before;
    print_message("    %-60s %" PetscInt_FMT " + %" PetscInt_FMT " Howard its, %" PetscInt_FMT " + %" PetscInt_FMT " linear its, %" PetscInt_FMT " PC setups (both solves), residual %.2e, rel dV %.2e\n", opts[k], cmp[k].stats.iterations, cmp[k].stats.coarse_iterations, cmp[k].stats.ksp_iterations, cmp[k].stats.coarse_ksp_iterations, setups[k], (double)cmp[k].stats.residual, (double)cmp[k].dv);
    assert_true(cmp[k].stats.converged && cmp[k].stats.residual < 1e-8);
    assert_true(cmp[k].dv <= 2e-8);
  }
  assert_true(cmp[0].dv == 0);
  assert_true(setups[1] < setups[0] && setups[2] < setups[0]);
  assert_true(cmp[1].stats.iterations <= 3);
}

/* -hjb_linear_target (issue 14; default 0.5): on the user's grid the last linear solve stops near what
 * rtol needs, not ~100x below it.  Fewer linear iterations on that grid, the same Howard
 * count, a final residual still below rtol (where the iteration would go on otherwise),
 * and V within the certificate of the solve without it; the coarse grids are untouched. */
static void test_linear_target(void **state)
{
  const PetscInt n[] = {257, 65};
  Comparison     plain, target;

  /* T = 1 with a fresh hierarchy every step, where the target acts on this grid on 1 and
   * 2 ranks; with the default reuse the last step may start from a residual at which the
   * forcing already asks for no more than the target (2 ranks) */
  compare(2, n, "-hjb_pc_reuse_below 0 -hjb_linear_target 0", "-hjb_pc_reuse_below 0 -hjb_linear_target 0", &plain);
  compare(2, n, "-hjb_pc_reuse_below 0 -hjb_linear_target 0", "-hjb_pc_reuse_below 0 -hjb_linear_target 1", &target);
  print_message("    linear target 0: %" PetscInt_FMT " Howard, %" PetscInt_FMT " linear its, residual %.2e; target 1: %" PetscInt_FMT " Howard, %" PetscInt_FMT " linear its, residual %.2e, rel dV %.2e\n", plain.stats.iterations, plain.stats.ksp_iterations, (double)plain.stats.residual, target.stats.iterations, target.stats.ksp_iterations, (double)target.stats.residual, (double)target.dv);
  assert_true(plain.dv == 0);
  assert_true(target.stats.converged && target.stats.residual < 1e-8);
  assert_true(target.stats.residual > plain.stats.residual); /* it stopped earlier */
  assert_true(target.stats.iterations == plain.stats.iterations);
  assert_true(target.stats.ksp_iterations < plain.stats.ksp_iterations);
  assert_true(target.stats.coarse_ksp_iterations == plain.stats.coarse_ksp_iterations);
  assert_true(target.dv <= 2e-8);
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(test_bench), /* first: its stage times are the whole log's */
  cmocka_unit_test(test_pc_reuse),
  cmocka_unit_test(test_defaults_agree),
  cmocka_unit_test(test_sequence_2d),
  cmocka_unit_test(test_sequence_1d_levels),
  cmocka_unit_test(test_sequence_odd_grid),
  cmocka_unit_test(test_linear_forcing),
  cmocka_unit_test(test_linear_target),
};

STK_TEST_MAIN(tests)
