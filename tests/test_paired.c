/* The paired evaluation (experiments/stk_paired.h) against the same evaluations run one
 * by one and the statistics called directly; a policy paired with itself differs by
 * exactly 0.  And the setters `stakehjb run` sets its defaults with (StkEvaluate's
 * paths, the network's fit iterations, the refinement's iterations and environment):
 * each takes effect, and the option still overrides it. */
#include "stk_test_problem.h"
#include "stk_paired.h"
#include "stk_refine.h"
#include "stk_stats.h"
#include <string.h>
#include <unistd.h>

/* Runs `call` with `options` as the only options database. */
#define WITH_OPTIONS(options, call) \
  do { \
    PetscOptions db_; \
    PetscErrorCode ierr_; \
    assert_petsc(PetscOptionsCreate(&db_)); \
    assert_petsc(PetscOptionsInsertString(db_, options)); \
    assert_petsc(PetscOptionsPush(db_)); \
    ierr_ = (call); \
    assert_petsc(PetscOptionsPop()); \
    assert_petsc(PetscOptionsDestroy(&db_)); \
    assert_petsc(ierr_); \
  } while (0)

static const char eval_options[] = "-dim 1 -eval_paths 6 -sim_type sde -sim_t_final 1 -sim_shock_t 0.5 -sim_shock_frac 0.2";
static const char *const types[3] = {"fixed", "proportional", "fixed"};

static PetscErrorCode ModelCreate(StkModel *model)
{
  PetscFunctionBeginUser;
  PetscCall(StkModelCreate(PETSC_COMM_WORLD, model));
  PetscCall(StkModelSetType(*model, STK_MODEL_STAKING));
  PetscCall(StkModelSetFromOptions(*model));
  PetscCall(StkModelSetUp(*model));
  PetscFunctionReturn(0);
}

static PetscErrorCode EvaluateCreate(StkModel model, StkEvaluate *ev)
{
  PetscFunctionBeginUser;
  PetscCall(StkEvaluateCreate(PETSC_COMM_WORLD, ev));
  PetscCall(StkEvaluateSetModel(*ev, model));
  PetscCall(StkEvaluateSetFromOptions(*ev));
  PetscFunctionReturn(0);
}

static PetscErrorCode PolicyCreate(StkModel model, const char type[], StkPolicy *policy)
{
  PetscFunctionBeginUser;
  PetscCall(StkPolicyCreate(PETSC_COMM_WORLD, policy));
  PetscCall(StkPolicySetModel(*policy, model));
  PetscCall(StkPolicySetType(*policy, type));
  PetscCall(StkPolicySetFromOptions(*policy));
  PetscCall(StkPolicySetUp(*policy));
  PetscFunctionReturn(0);
}

/* The metrics of `policy` from an evaluation of its own (same options: same paths). */
static void EvaluateAlone(StkModel model, StkPolicy policy, PetscReal **values, PetscInt *M, PetscInt *nm)
{
  StkEvaluate      ev;
  StkPolicyFn      fn;
  StkPolicyResetFn reset;
  void            *ctx;
  size_t           size;
  const PetscReal *v;

  WITH_OPTIONS(eval_options, EvaluateCreate(model, &ev));
  assert_petsc(StkPolicyGetFunction(policy, &fn, &reset, &ctx, &size));
  assert_petsc(StkEvaluateSetPolicy(ev, fn, reset, ctx, size));
  assert_petsc(StkEvaluateRun(ev));
  assert_petsc(StkEvaluateGetMetrics(ev, M, nm, NULL, &v));
  assert_petsc(PetscMalloc1(*M * *nm, values));
  assert_petsc(PetscArraycpy(*values, v, *M * *nm));
  assert_petsc(StkEvaluateDestroy(&ev));
}

/* Means and differences equal, bit for bit, those computed by hand from separate
 * evaluations; the policy paired with itself differs by 0 with p = 1. */
static void test_paired_statistics(void **state)
{
  StkModel    model;
  StkEvaluate ev;
  StkPaired   paired;
  StkPolicy   pol[3];
  PetscReal  *alone[3], d[64];
  PetscInt    M, nm, npol, npaths, nmetrics;
  const char *const names[3] = {"fixed", "prop", "same"};

  WITH_OPTIONS(eval_options, ModelCreate(&model));
  WITH_OPTIONS(eval_options, EvaluateCreate(model, &ev));
  assert_petsc(StkPairedCreate(PETSC_COMM_WORLD, &paired));
  assert_petsc(StkPairedSetEvaluate(paired, ev));
  for (PetscInt q = 0; q < 3; q++) {
    WITH_OPTIONS(eval_options, PolicyCreate(model, types[q], &pol[q]));
    assert_petsc(StkPairedAddPolicy(paired, names[q], pol[q]));
  }
  assert_petsc(StkPairedRun(paired));
  assert_petsc(StkPairedGetSizes(paired, &npol, &npaths, &nmetrics, NULL));
  assert_int_equal(npol, 3);
  for (PetscInt q = 0; q < 3; q++) EvaluateAlone(model, pol[q], &alone[q], &M, &nm);
  assert_int_equal(npaths, M);
  assert_int_equal(nmetrics, nm);
  assert_true(M == 6 && M <= 64);
  for (PetscInt q = 0; q < 3; q++)
    for (PetscInt m = 0; m < nm; m++) {
      PetscReal mean, expect = 0;
      for (PetscInt p = 0; p < M; p++) expect += alone[q][p * nm + m] / M;
      assert_petsc(StkPairedGetMean(paired, q, m, &mean));
      if (PetscIsNanReal(expect)) assert_true(PetscIsNanReal(mean));
      else assert_true(mean == expect);
    }
  for (PetscInt m = STK_METRIC_TRACKING_RMSE; m <= STK_METRIC_DISCOUNTED_COST; m++) {
    PetscReal mean, lo, hi, pv, emean, elo, ehi, w, epv;
    PetscInt  nused;
    for (PetscInt p = 0; p < M; p++) d[p] = alone[1][p * nm + m] - alone[0][p * nm + m];
    assert_petsc(StkStatsBootstrapMean(M, d, 2000, 0.95, 7, &emean, &elo, &ehi));
    assert_petsc(StkStatsWilcoxon(M, d, &w, &nused, &epv));
    assert_petsc(StkPairedGetDifference(paired, 1, m, &mean, &lo, &hi, &pv));
    assert_true(mean == emean && lo == elo && hi == ehi && pv == epv);
    assert_petsc(StkPairedGetDifference(paired, 2, m, &mean, &lo, &hi, &pv));
    assert_true(mean == 0 && lo == 0 && hi == 0 && pv == 1);
  }
  /* the fixed rule and the proportional rule do differ in cost */
  assert_petsc(StkPairedGetDifference(paired, 1, STK_METRIC_DISCOUNTED_COST, d, NULL, NULL, NULL));
  assert_true(d[0] != 0);
  for (PetscInt q = 0; q < 3; q++) {
    assert_petsc(PetscFree(alone[q]));
    assert_petsc(StkPolicyDestroy(&pol[q]));
  }
  assert_petsc(StkPairedDestroy(&paired));
  assert_petsc(StkPairedDestroy(&paired)); /* NULL is fine */
  assert_petsc(StkEvaluateDestroy(&ev));
  assert_petsc(StkModelDestroy(&model));
}

static PetscBool IsRankZero(void)
{
  PetscMPIInt rank = 0;

  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  return (PetscBool)(rank == 0);
}

/* Reads the ASCII view of an object written by `view` into buf (rank 0's file). */
static void ViewToString(PetscErrorCode (*view)(void *, PetscViewer), void *obj, char buf[], size_t len)
{
  char        path[PETSC_MAX_PATH_LEN];
  PetscViewer viewer;
  FILE       *fp;
  size_t      n;
  long        pid = (long)getpid();

  assert_int_equal(MPI_Bcast(&pid, 1, MPI_LONG, 0, PETSC_COMM_WORLD), 0);
  snprintf(path, sizeof(path), "/tmp/stk_test_paired_view_%ld.txt", pid);
  assert_petsc(PetscViewerASCIIOpen(PETSC_COMM_WORLD, path, &viewer));
  assert_petsc(view(obj, viewer));
  assert_petsc(PetscViewerDestroy(&viewer));
  assert_int_equal(MPI_Barrier(PETSC_COMM_WORLD), 0);
  fp = fopen(path, "r");
  assert_non_null(fp);
  n      = fread(buf, 1, len - 1, fp);
  buf[n] = 0;
  fclose(fp);
  assert_int_equal(MPI_Barrier(PETSC_COMM_WORLD), 0);
  if (IsRankZero()) unlink(path);
}

static PetscErrorCode PairedView(void *obj, PetscViewer viewer)
{
  return StkPairedView((StkPaired)obj, viewer);
}

static PetscErrorCode RefineView(void *obj, PetscViewer viewer)
{
  return StkRefineView((StkRefine)obj, viewer);
}

/* The view: the evaluation, the table of means, one line per view metric and policy. */
static void test_paired_view(void **state)
{
  StkModel    model;
  StkEvaluate ev;
  StkPaired   paired;
  StkPolicy   pol[2];
  PetscInt    metrics[1] = {STK_METRIC_TIME_IN_BAND};
  char        buf[8192];

  WITH_OPTIONS(eval_options, ModelCreate(&model));
  WITH_OPTIONS(eval_options, EvaluateCreate(model, &ev));
  assert_petsc(StkPairedCreate(PETSC_COMM_WORLD, &paired));
  assert_petsc(StkPairedSetEvaluate(paired, ev));
  for (PetscInt q = 0; q < 2; q++) {
    WITH_OPTIONS(eval_options, PolicyCreate(model, types[q], &pol[q]));
    assert_petsc(StkPairedAddPolicy(paired, types[q], pol[q]));
  }
  assert_petsc(StkPairedSetViewMetrics(paired, 1, metrics));
  assert_petsc(StkPairedSetBootstrap(paired, 500, 0.9, 3));
  assert_petsc(StkPairedRun(paired));
  ViewToString(PairedView, paired, buf, sizeof(buf));
  print_message("%s", buf);
  assert_non_null(strstr(buf, "Policy evaluation: 6 paths"));
  assert_non_null(strstr(buf, "(means over 6 paths)"));
  assert_non_null(strstr(buf, "proportional - fixed  time_in_band"));
  assert_non_null(strstr(buf, " 90% CI ["));
  assert_null(strstr(buf, "fixed  cost")); /* only the chosen metric's differences */
  for (PetscInt q = 0; q < 2; q++) assert_petsc(StkPolicyDestroy(&pol[q]));
  assert_petsc(StkPairedDestroy(&paired));
  assert_petsc(StkEvaluateDestroy(&ev));
  assert_petsc(StkModelDestroy(&model));
}

/* Misuse fails with an error, not a crash. */
static void test_paired_errors(void **state)
{
  StkPaired      paired;
  PetscReal      mean;
  PetscInt       bad[1] = {STK_METRIC_COUNT};
  PetscErrorCode ierr[4];

  assert_petsc(StkPairedCreate(PETSC_COMM_WORLD, &paired));
  assert_petsc(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr[0] = StkPairedRun(paired);
  ierr[1] = StkPairedGetMean(paired, 0, 0, &mean);
  ierr[2] = StkPairedSetViewMetrics(paired, 1, bad);
  ierr[3] = StkPairedSetBootstrap(paired, 100, 1.5, 1);
  assert_petsc(PetscPopErrorHandler());
  assert_int_equal(ierr[0], PETSC_ERR_ARG_WRONGSTATE);
  assert_int_equal(ierr[1], PETSC_ERR_ARG_WRONGSTATE);
  assert_int_equal(ierr[2], PETSC_ERR_ARG_OUTOFRANGE);
  assert_int_equal(ierr[3], PETSC_ERR_ARG_OUTOFRANGE);
  assert_petsc(StkPairedDestroy(&paired));
}

/* StkEvaluateSetPaths takes effect; -eval_paths overrides it. */
static void test_evaluate_paths_setter(void **state)
{
  StkModel    model;
  StkEvaluate ev;
  PetscInt    M;
  const char *opts[2] = {"-dim 1", "-dim 1 -eval_paths 5"};
  PetscInt    expect[2] = {3, 5};

  WITH_OPTIONS("-dim 1", ModelCreate(&model));
  for (PetscInt i = 0; i < 2; i++) {
    assert_petsc(StkEvaluateCreate(PETSC_COMM_WORLD, &ev));
    assert_petsc(StkEvaluateSetModel(ev, model));
    assert_petsc(StkEvaluateSetPaths(ev, 3));
    WITH_OPTIONS(opts[i], StkEvaluateSetFromOptions(ev));
    assert_petsc(StkEvaluateSetUp(ev));
    assert_petsc(StkEvaluateGetMetrics(ev, &M, NULL, NULL, NULL));
    assert_int_equal(M, expect[i]);
    assert_petsc(StkEvaluateDestroy(&ev));
  }
  assert_petsc(StkModelDestroy(&model));
}

/* StkNetSetFitMaxIterations caps the fit's TAO iterations; -net_fit_max_it overrides it. */
static void test_net_fit_iterations_setter(void **state)
{
  PetscReal x[21], u[21];
  const char *opts[2] = {"", "-net_fit_max_it 2"};
  PetscInt    expect[2] = {4, 2};

  for (PetscInt i = 0; i < 21; i++) {
    x[i] = -1 + 0.1 * i;
    u[i] = 0.05 + 0.04 * PetscSinReal(3 * x[i]);
  }
  for (PetscInt i = 0; i < 2; i++) {
    StkNet         net;
    StkNetFitStats st;
    assert_petsc(StkNetCreate(PETSC_COMM_WORLD, &net));
    assert_petsc(StkNetSetOutputBounds(net, 0, 0.15));
    assert_petsc(StkNetSetFitMaxIterations(net, 4));
    WITH_OPTIONS(opts[i], StkNetSetFromOptions(net));
    assert_petsc(StkNetSetUp(net));
    WITH_OPTIONS(opts[i], StkNetFit(net, 21, x, u, &st));
    assert_int_equal(st.iterations, expect[i]);
    assert_petsc(StkNetDestroy(&net));
  }
}

/* The refinement's iterations and environment from the setters, -refine_iterations and
 * -refine_env overriding them; the progress monitor runs and the view summarizes. */
static void test_refine_setters(void **state)
{
  StkTestProblem P;
  PetscInt       n = 51, iters;
  char           solution[PETSC_MAX_PATH_LEN], buf[4096];
  long           pid = (long)getpid();
  const char    *opts[2] = {"-refine_n 500 -refine_window 0.05 -refine_dt 0.01", "-refine_n 500 -refine_window 0.05 -refine_dt 0.01 -refine_iterations 2 -refine_env sde"};
  const char    *env[2]  = {"abm environment of 500 holders", "sde environment"};
  PetscInt       expect[2] = {3, 2};

  assert_int_equal(MPI_Bcast(&pid, 1, MPI_LONG, 0, PETSC_COMM_WORLD), 0);
  snprintf(solution, sizeof(solution), "/tmp/stk_test_paired_sol_%ld.h5", pid);
  assert_petsc(StkTestProblemCreate(STK_MODEL_STAKING, 1, &n, NULL, &P));
  assert_petsc(StkSolverSolve(P.solver));
  assert_petsc(StkSolverWrite(P.solver, solution));
  for (PetscInt i = 0; i < 2; i++) {
    StkPolicy              expert;
    StkNet                 net;
    StkRefine              refine;
    const StkRefineRecord *h;
    assert_petsc(StkPolicyCreate(PETSC_COMM_WORLD, &expert));
    assert_petsc(StkPolicySetType(expert, STK_POLICY_EXPERT));
    assert_petsc(StkPolicySetFile(expert, solution));
    assert_petsc(StkPolicySetUp(expert));
    assert_petsc(StkNetCreate(PETSC_COMM_WORLD, &net));
    assert_petsc(StkNetSetInputsFromGrid(net, P.grid));
    assert_petsc(StkNetSetOutputBounds(net, 0, 0.15));
    assert_petsc(StkNetSetUp(net));
    assert_petsc(StkRefineCreate(PETSC_COMM_WORLD, &refine));
    assert_petsc(StkRefineSetNetwork(refine, net));
    assert_petsc(StkRefineSetExpert(refine, expert));
    assert_petsc(StkRefineSetEnvironment(refine, STK_SIM_ABM));
    assert_petsc(StkRefineSetIterations(refine, 3));
    WITH_OPTIONS(opts[i], StkRefineSetFromOptions(refine));
    assert_petsc(StkRefineSetMonitor(refine, StkRefineMonitorProgress, NULL));
    assert_petsc(StkRefineRun(refine));
    assert_petsc(StkRefineGetHistory(refine, &iters, &h));
    assert_int_equal(iters, expect[i]);
    ViewToString(RefineView, refine, buf, sizeof(buf));
    print_message("%s", buf);
    assert_non_null(strstr(buf, env[i]));
    assert_non_null(strstr(buf, "  mean window cost: first tenth"));
    assert_petsc(StkRefineDestroy(&refine));
    assert_petsc(StkNetDestroy(&net));
    assert_petsc(StkPolicyDestroy(&expert));
  }
  assert_petsc(StkTestProblemDestroy(&P));
  assert_int_equal(MPI_Barrier(PETSC_COMM_WORLD), 0);
  if (IsRankZero()) {
    unlink(solution);
    strcpy(solution + strlen(solution) - 3, ".xmf");
    unlink(solution);
  }
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(test_paired_statistics),
  cmocka_unit_test(test_paired_view),
  cmocka_unit_test(test_paired_errors),
  cmocka_unit_test(test_evaluate_paths_setter),
  cmocka_unit_test(test_net_fit_iterations_setter),
  cmocka_unit_test(test_refine_setters),
};

STK_TEST_MAIN(tests)
