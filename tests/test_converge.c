/* StkConverge (solver/stk_converge.h): first-order convergence of the upwind scheme on
 * the 1-D LQ problem against its closed form, Richardson extrapolation on the 1-D
 * staking model, the table getters against the HDF5 and CSV files, options through a
 * prefix, and errors that name the option. */
#include "stk_test.h"
#include "stk_converge.h"
#include <hdf5.h>
#include <string.h>
#include <unistd.h>

/* A directory for this test's files, made by rank 0 and known to every rank. */
static void make_directory(char dir[PETSC_MAX_PATH_LEN])
{
  PetscMPIInt rank;

  assert_int_equal(MPI_Comm_rank(PETSC_COMM_WORLD, &rank), 0);
  if (rank == 0) {
    snprintf(dir, PETSC_MAX_PATH_LEN, "/tmp/test_converge.XXXXXX");
    assert_petsc(PetscMkdtemp(dir));
  }
  assert_int_equal(MPI_Bcast(dir, PETSC_MAX_PATH_LEN, MPI_CHAR, 0, PETSC_COMM_WORLD), 0);
}

static void remove_directory(const char dir[])
{
  PetscMPIInt rank;
  char        cmd[PETSC_MAX_PATH_LEN + 16];

  assert_int_equal(MPI_Barrier(PETSC_COMM_WORLD), 0);
  assert_int_equal(MPI_Comm_rank(PETSC_COMM_WORLD, &rank), 0);
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  if (rank == 0) assert_int_equal(system(cmd), 0);
}

static StkModel create_model(const char type[], PetscInt dim)
{
  StkModel model;

  assert_petsc(StkModelCreate(PETSC_COMM_WORLD, &model));
  assert_petsc(StkModelSetType(model, type));
  assert_petsc(StkModelSetDimension(model, dim));
  assert_petsc(StkModelSetFromOptions(model));
  return model;
}

typedef struct {
  PetscInt calls, n0[STK_CONVERGE_MAX_LEVELS];
} MonitorLog;

static PetscErrorCode RecordLevel(StkConverge conv, PetscInt level, PetscInt nlevels, const PetscInt n[], void *ctx)
{
  MonitorLog *log = (MonitorLog *)ctx;

  PetscFunctionBeginUser;
  PetscCheck(level == log->calls, PETSC_COMM_SELF, PETSC_ERR_PLIB, "levels out of order");
  log->n0[log->calls++] = n[0];
  PetscFunctionReturn(0);
}

static const PetscReal *column(StkConverge conv, const char name[])
{
  const PetscReal *values = NULL;

  assert_petsc(StkConvergeGetColumn(conv, name, &values));
  return values;
}

/* Equal as bits, NaN equal to NaN (the writers write the getters' numbers). */
static void assert_same(PetscReal a, PetscReal b)
{
  if (!(PetscIsNanReal(a) && PetscIsNanReal(b))) assert_memory_equal(&a, &b, sizeof(a));
}

/* Every column of /convergence in `path` equals the getter's, bit for bit, and the
 * attributes equal the summary. */
static void check_hdf5(StkConverge conv, const char path[])
{
  PetscInt            nl, nc;
  const char *const  *names;
  StkConvergeSummary  s;
  StkH5               file;
  PetscReal           value;
  char                is[32];
  hid_t               f;

  assert_petsc(StkConvergeGetNumLevels(conv, &nl));
  assert_petsc(StkConvergeGetColumnNames(conv, &nc, &names));
  f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_true(f >= 0);
  for (PetscInt c = 0; c < nc; c++) {
    char      dataset[64];
    double    data[STK_CONVERGE_MAX_LEVELS];
    hid_t     d, space;
    const PetscReal *values = column(conv, names[c]);
    snprintf(dataset, sizeof(dataset), "/convergence/%s", names[c]);
    d = H5Dopen2(f, dataset, H5P_DEFAULT);
    assert_true(d >= 0);
    space = H5Dget_space(d);
    assert_int_equal(H5Sget_simple_extent_npoints(space), nl);
    assert_true(H5Sclose(space) >= 0);
    assert_true(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    for (PetscInt l = 0; l < nl; l++) assert_same(data[l], values[l]);
    assert_true(H5Dclose(d) >= 0);
  }
  assert_true(H5Fclose(f) >= 0);

  assert_petsc(StkConvergeGetSummary(conv, &s));
  assert_petsc(StkH5Open(PETSC_COMM_WORLD, path, &file));
  assert_petsc(StkH5ReadAttributeReal(file, "convergence", "richardson_order", &value));
  assert_same(value, s.richardson_order);
  assert_petsc(StkH5ReadAttributeReal(file, "convergence", "policy_reference_value", &value));
  assert_same(value, s.policy_reference_value);
  assert_petsc(StkH5ReadAttributeReal(file, "convergence", "policy_reference_richardson_order", &value));
  assert_same(value, s.policy_reference_richardson_order);
  assert_petsc(StkH5ReadAttributeReal(file, "convergence", "mean_x0_extrapolated", &value));
  assert_same(value, s.mean_x0_extrapolated);
  assert_petsc(StkH5ReadAttributeReal(file, "convergence", "mean_x0_richardson_order", &value));
  assert_same(value, s.mean_x0_richardson_order);
  assert_petsc(StkH5ReadAttributeString(file, "convergence", "policy_reference_value_is", sizeof(is), is));
  assert_string_equal(is, s.policy_reference_exact ? "exact" : "richardson");
  assert_petsc(StkH5Destroy(&file));
}

/* The CSV's header is the column names and each cell the getter's value as %.10g. */
static void check_csv(StkConverge conv, const char path[])
{
  PetscInt           nl, nc;
  const char *const *names;
  char               line[4096], expect[4096], cell[32];
  FILE              *fp;

  assert_petsc(StkConvergeGetNumLevels(conv, &nl));
  assert_petsc(StkConvergeGetColumnNames(conv, &nc, &names));
  fp = fopen(path, "r");
  assert_non_null(fp);
  expect[0] = 0;
  for (PetscInt c = 0; c < nc; c++) {
    strcat(expect, names[c]);
    strcat(expect, c + 1 < nc ? "," : "\n");
  }
  assert_non_null(fgets(line, sizeof(line), fp));
  assert_string_equal(line, expect);
  for (PetscInt l = 0; l < nl; l++) {
    expect[0] = 0;
    for (PetscInt c = 0; c < nc; c++) {
      snprintf(cell, sizeof(cell), "%.10g%s", (double)column(conv, names[c])[l], c + 1 < nc ? "," : "\n");
      strcat(expect, cell);
    }
    assert_non_null(fgets(line, sizeof(line), fp));
    assert_string_equal(line, expect);
  }
  assert_null(fgets(line, sizeof(line), fp));
  fclose(fp);
}

/* The rendered View of the finished study, on rank 0 (empty elsewhere). */
static void view_to_string(StkConverge conv, const char path[], char text[], size_t len)
{
  PetscViewer viewer;
  PetscMPIInt rank;
  FILE       *fp;
  size_t      n = 0;

  assert_petsc(PetscViewerASCIIOpen(PETSC_COMM_WORLD, path, &viewer));
  assert_petsc(StkConvergeView(conv, viewer));
  assert_petsc(PetscViewerDestroy(&viewer));
  text[0] = 0;
  assert_int_equal(MPI_Comm_rank(PETSC_COMM_WORLD, &rank), 0);
  if (rank) return;
  fp = fopen(path, "r");
  assert_non_null(fp);
  n       = fread(text, 1, len - 1, fp);
  text[n] = 0;
  fclose(fp);
}

/* LQ in 1-D on 33..257 nodes: first order against the closed form (the error halves),
 * the exact policy at the reference point, no density by default, and the files carry
 * the getters' numbers. */
static void test_lq_1d(void **state)
{
  StkModel           model = create_model("lq", 1);
  StkConverge        conv;
  StkConvergeSummary s;
  MonitorLog         log = {0};
  const PetscInt     nmin[] = {33};
  const PetscReal   *n0, *emax, *order, *mean;
  PetscReal          ref[STK_MAX_DIM], ustar[STK_MAX_CONTROLS];
  PetscMPIInt        rank;
  char               dir[PETSC_MAX_PATH_LEN], path[PETSC_MAX_PATH_LEN + 32], text[4096];

  assert_petsc(StkConvergeCreate(PETSC_COMM_WORLD, &conv));
  assert_petsc(StkConvergeSetModel(conv, model));
  {
    StkModel got;
    assert_petsc(StkConvergeGetModel(conv, &got));
    assert_ptr_equal(got, model); /* borrowed, not copied */
  }
  assert_petsc(StkConvergeSetLevels(conv, 4));
  assert_petsc(StkConvergeSetCoarsestSizes(conv, 1, nmin));
  assert_petsc(StkConvergeMonitorSet(conv, RecordLevel, &log));
  assert_petsc(PetscOptionsInsertString(NULL, "-hjb_central 0")); /* the upwind scheme's first order (central is exact on lq) */
  assert_petsc(StkConvergeRun(conv));
  assert_petsc(PetscOptionsClearValue(NULL, "-hjb_central"));

  assert_int_equal(log.calls, 4);
  n0 = column(conv, "n0");
  for (PetscInt l = 0; l < 4; l++) {
    assert_int_equal(log.n0[l], 32 * (1 << l) + 1);
    assert_close(n0[l], 32 * (1 << l) + 1, 0, 0);
    assert_close(column(conv, "h")[l], column(conv, "h")[3] * (1 << (3 - l)), 1e-12, 0);
  }
  emax  = column(conv, "error_max");
  order = column(conv, "order_max");
  mean  = column(conv, "mean_x0");
  print_message("    lq 1-D: error_max %.3e %.3e %.3e %.3e, orders %.3f %.3f %.3f\n", (double)emax[0], (double)emax[1], (double)emax[2], (double)emax[3], (double)order[1], (double)order[2], (double)order[3]);
  assert_true(PetscIsNanReal(order[0]));
  for (PetscInt l = 1; l < 4; l++) {
    assert_true(order[l] >= 0.9);
    assert_close(order[l], PetscLog2Real(emax[l - 1] / emax[l]), 1e-14, 0);
    assert_true(emax[l] / emax[l - 1] > 0.4 && emax[l] / emax[l - 1] < 0.6);
  }
  for (PetscInt l = 0; l < 4; l++) assert_true(PetscIsNanReal(mean[l])); /* no density by default with a closed form */

  assert_petsc(StkConvergeGetSummary(conv, &s));
  assert_true(s.exact && s.policy_reference_exact);
  assert_petsc(StkModelGetReferencePoint(model, ref));
  assert_petsc(StkModelExactPolicy(model, ref, ustar));
  assert_close(s.policy_reference_value, ustar[0], 0, 0);
  assert_true(PetscIsNanReal(s.mean_x0_extrapolated));

  make_directory(dir);
  snprintf(path, sizeof(path), "%s/lq1.h5", dir);
  assert_petsc(StkConvergeWrite(conv, path));
  check_hdf5(conv, path);
  snprintf(path, sizeof(path), "%s/lq1.csv", dir);
  assert_petsc(StkConvergeWriteCSV(conv, path));
  assert_int_equal(MPI_Comm_rank(PETSC_COMM_WORLD, &rank), 0);
  if (rank == 0) check_csv(conv, path);
  snprintf(path, sizeof(path), "%s/view.txt", dir);
  view_to_string(conv, path, text, sizeof(text));
  if (rank == 0) assert_non_null(strstr(text, "policy at the reference point: exact"));
  remove_directory(dir);

  assert_petsc(StkConvergeDestroy(&conv));
  assert_null(conv);
  assert_petsc(StkConvergeDestroy(&conv)); /* NULL is fine */
  assert_petsc(StkModelDestroy(&model));
}

/* Staking in 1-D on 65..513 nodes, without a closed form, configured through a prefix: the policy at the
 * target and the stationary mean are extrapolated as Q_f + (Q_f - Q_c) / (2^p - 1), and
 * the errors against the extrapolation of V fall. */
static void test_staking_1d_prefix(void **state)
{
  StkModel           model = create_model("staking", 1);
  StkConverge        conv;
  StkConvergeSummary s;
  PetscInt           nl;
  const char        *prefix;
  const PetscReal   *pol, *mean, *rich, *mean_err;
  PetscReal          expect;

  assert_petsc(StkConvergeCreate(PETSC_COMM_WORLD, &conv));
  assert_petsc(StkConvergeSetOptionsPrefix(conv, "a_"));
  assert_petsc(StkConvergeAppendOptionsPrefix(conv, "b_"));
  assert_petsc(StkConvergeGetOptionsPrefix(conv, &prefix));
  assert_string_equal(prefix, "a_b_");
  assert_petsc(StkConvergeSetModel(conv, model));
  assert_petsc(PetscOptionsInsertString(NULL, "-a_b_converge_levels 4 -a_b_converge_nmin 65 -converge_levels 9"));
  assert_petsc(StkConvergeSetFromOptions(conv));
  assert_petsc(PetscOptionsClearValue(NULL, "-a_b_converge_levels"));
  assert_petsc(PetscOptionsClearValue(NULL, "-a_b_converge_nmin"));
  assert_petsc(PetscOptionsClearValue(NULL, "-converge_levels"));
  assert_petsc(StkConvergeGetNumLevels(conv, &nl));
  assert_int_equal(nl, 4);
  assert_petsc(PetscOptionsInsertString(NULL, "-a_b_hjb_central 0")); /* the upwind scheme's first order */
  assert_petsc(StkConvergeRun(conv));
  assert_petsc(PetscOptionsClearValue(NULL, "-a_b_hjb_central"));

  assert_close(column(conv, "n0")[0], 65, 0, 0);
  assert_petsc(StkConvergeGetSummary(conv, &s));
  assert_false(s.exact);
  assert_false(s.policy_reference_exact);
  pol  = column(conv, "policy_at_reference");
  mean = column(conv, "mean_x0");
  rich = column(conv, "error_richardson_max");
  mean_err = column(conv, "mean_x0_error");
  print_message("    staking 1-D: V order %.3f, u(target) -> %.8f (p %.2f), E[s] -> %.8f (p %.2f)\n", (double)s.richardson_order, (double)s.policy_reference_value, (double)s.policy_reference_richardson_order, (double)s.mean_x0_extrapolated, (double)s.mean_x0_richardson_order);
  assert_true(s.richardson_order >= 0.8 && s.richardson_order <= 1.2);
  expect = pol[3] + (pol[3] - pol[2]) / (PetscPowReal(2, s.policy_reference_richardson_order) - 1);
  assert_close(s.policy_reference_value, expect, 1e-14, 0);
  expect = mean[3] + (mean[3] - mean[2]) / (PetscPowReal(2, s.mean_x0_richardson_order) - 1);
  assert_close(s.mean_x0_extrapolated, expect, 1e-14, 0);
  assert_true(s.mean_x0_extrapolated > 0.5 && s.mean_x0_extrapolated < 0.7);
  for (PetscInt l = 0; l < 4; l++) assert_close(mean_err[l], PetscAbsReal(mean[l] - s.mean_x0_extrapolated), 0, 0);
  for (PetscInt l = 1; l < 3; l++) assert_true(rich[l] < rich[l - 1]);
  assert_true(PetscIsNanReal(rich[3])); /* no extrapolation on the finest grid */

  assert_petsc(StkConvergeDestroy(&conv));
  assert_petsc(StkModelDestroy(&model));
}

/* Bad settings fail with the option's name; results before Run and unknown columns fail. */
static void test_errors(void **state)
{
  StkModel         model = create_model("lq", 1);
  StkConverge      conv;
  const PetscInt   bad[] = {20}, two[] = {9, 17};
  const PetscReal *values;

  assert_petsc(StkConvergeCreate(PETSC_COMM_WORLD, &conv));
  assert_petsc(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  assert_int_equal(StkConvergeSetFromOptions(conv), PETSC_ERR_ORDER); /* no model yet */
  assert_int_equal(StkConvergeSetLevels(conv, 2), PETSC_ERR_ARG_OUTOFRANGE);
  assert_int_equal(StkConvergeSetLevels(conv, STK_CONVERGE_MAX_LEVELS + 1), PETSC_ERR_ARG_OUTOFRANGE);
  assert_int_equal(StkConvergeSetCoarsestSizes(conv, 1, bad), PETSC_ERR_ARG_OUTOFRANGE);
  assert_int_equal(StkConvergeGetColumn(conv, "n0", &values), PETSC_ERR_ORDER);
  assert_petsc(PetscPopErrorHandler());
  assert_petsc(StkConvergeSetCoarsestSizes(conv, 2, two));
  assert_petsc(StkConvergeSetLevels(conv, 3));
  assert_petsc(StkConvergeSetModel(conv, model));
  assert_petsc(StkConvergeRun(conv));
  assert_close(column(conv, "n0")[2], 33, 0, 0); /* 9 in direction 0 (1-D: the second value unused) */
  assert_close(column(conv, "n1")[2], 0, 0, 0);
  assert_petsc(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  assert_int_equal(StkConvergeGetColumn(conv, "no_such_column", &values), PETSC_ERR_ARG_UNKNOWN_TYPE);
  assert_petsc(PetscPopErrorHandler());
  assert_petsc(StkConvergeDestroy(&conv));
  assert_petsc(StkModelDestroy(&model));
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(test_lq_1d),
  cmocka_unit_test(test_staking_1d_prefix),
  cmocka_unit_test(test_errors),
};

STK_TEST_MAIN(tests)
