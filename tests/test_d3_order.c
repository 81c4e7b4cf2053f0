/* Three state dimensions (issue 12, item 5): first-order convergence of the upwind scheme
 * on the 3-D lq and mms problems against their closed forms, through the convergence
 * study (solver/stk_converge.h) on 17^3, 33^3 and 65^3 nodes, and the solver's error
 * estimate against the true error.  One problem per run
 * (argument lq or mms) so each stays a short test. */
#include "stk_test.h"
#include "stk_converge.h"
#include <string.h>

static const char *problem = "lq";

static const PetscReal *Column(StkConverge conv, const char name[])
{
  const PetscReal *values = NULL;

  assert_petsc(StkConvergeGetColumn(conv, name, &values));
  return values;
}

/* The errors fall by about half per refinement, the order of the finest refinement is at
 * least 0.9 and the orders rise towards 1 (pre-asymptotic on 17^3); the table's nodes and
 * n2 are those of a cube. */
static void test_order_3d(void **state)
{
  StkModel           model;
  StkConverge        conv;
  StkConvergeSummary s;
  const PetscInt     nmin[] = {17};
  const PetscReal   *emax, *el2, *order, *n2, *nodes, *time;

  assert_petsc(StkModelCreate(PETSC_COMM_WORLD, &model));
  assert_petsc(StkModelSetType(model, problem));
  assert_petsc(StkModelSetDimension(model, 3));
  assert_petsc(StkModelSetFromOptions(model));
  assert_petsc(StkConvergeCreate(PETSC_COMM_WORLD, &conv));
  assert_petsc(StkConvergeSetModel(conv, model));
  assert_petsc(StkConvergeSetLevels(conv, 3));
  assert_petsc(StkConvergeSetCoarsestSizes(conv, 1, nmin));
  assert_petsc(PetscOptionsInsertString(NULL, "-hjb_central 0")); /* the upwind scheme's first order */
  assert_petsc(StkConvergeRun(conv));
  assert_petsc(PetscOptionsClearValue(NULL, "-hjb_central"));

  emax  = Column(conv, "error_max");
  el2   = Column(conv, "error_l2");
  order = Column(conv, "order_max");
  n2    = Column(conv, "n2");
  nodes = Column(conv, "nodes");
  time  = Column(conv, "solve_time");
  for (PetscInt l = 0; l < 3; l++) {
    const PetscReal n = 16 * (1 << l) + 1;
    print_message("    %s 3-D %3.0f^3: error max %.4e, L2 %.4e, order (max) %.3f, solve %.2f s\n", problem, (double)n, (double)emax[l], (double)el2[l], (double)order[l], (double)time[l]);
    assert_close(n2[l], n, 0, 0);
    assert_close(nodes[l], n * n * n, 0, 0);
  }
  assert_true(PetscIsNanReal(order[0]));
  for (PetscInt l = 1; l < 3; l++) {
    assert_close(order[l], PetscLog2Real(emax[l - 1] / emax[l]), 1e-14, 0);
    assert_true(emax[l] / emax[l - 1] > 0.45 && emax[l] / emax[l - 1] < 0.65);
    assert_true(el2[l] / el2[l - 1] > 0.45 && el2[l] / el2[l - 1] < 0.65);
  }
  assert_true(order[2] >= 0.9);
  assert_true(order[2] > order[1]);
  /* the solver's own a-posteriori estimate (its coarser grids) within a factor 3 of the
   * true max error in 3-D too */
  for (PetscInt l = 1; l < 3; l++) {
    const PetscReal ratio = Column(conv, "estimate_ratio")[l];
    print_message("    %s 3-D: estimated / true max error %.2f\n", problem, (double)ratio);
    assert_true(ratio >= 1.0 / 3 && ratio <= 3);
  }
  assert_petsc(StkConvergeGetSummary(conv, &s));
  assert_true(s.exact);
  assert_petsc(StkConvergeDestroy(&conv));
  assert_petsc(StkModelDestroy(&model));
}

int stk_test_argc;
char **stk_test_argv;

int main(int argc, char **argv)
{
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_order_3d)};
  PetscMPIInt             rank;
  int                     failed;

  stk_test_argc = argc;
  stk_test_argv = argv;
  if (argc > 1 && argv[1][0] != '-') problem = argv[1]; /* before PETSc sees the options */
  if (PetscInitialize(&argc, &argv, NULL, NULL)) return 1;
  if (MPI_Comm_rank(PETSC_COMM_WORLD, &rank)) return 1;
  if (rank != 0 && (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))) return 1;
  failed = cmocka_run_group_tests(tests, NULL, NULL);
  if (PetscFinalize()) return 1;
  return failed;
}
