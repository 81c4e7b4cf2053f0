/* StkCompare (experiments/stk_compare.h): the statistics table from known per-path
 * values (means, counts, paired differences, exact Wilcoxon p, Holm over the table,
 * identical policies), the pooled statistics per regime and the summary, and a tiny run on common random numbers whose table agrees with
 * its own per-path metrics, the same on every rank (run on 1 and 2 ranks), and the
 * regimes' option prefixes (a YAML value reaches only its regime, the command line every
 * regime). */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include "stk_test.h"
#include "stk_compare.h"
#include "stk_stats.h"
#include "stk_version.h"
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char outdir[256];

/* A temporary directory named by rank 0, the same on every rank. */
static void MakeOutdir(void)
{
  PetscMPIInt rank;

  assert_int_equal(MPI_Comm_rank(PETSC_COMM_WORLD, &rank), 0);
  if (!rank) {
    strcpy(outdir, "/tmp/test_compare_XXXXXX");
    assert_non_null(mkdtemp(outdir));
  }
  assert_int_equal(MPI_Bcast(outdir, sizeof(outdir), MPI_CHAR, 0, PETSC_COMM_WORLD), 0);
}

/* 1 regime x 1 environment x the scenarios x the policies, 8 paths. */
static void CreateCompare(PetscInt nscen, const char *const scen[], PetscInt npol, const char *const pol[], PetscInt paths, StkCompare *cmp)
{
  const char *const regimes[] = {"baseline"}, *const envs[] = {"sde"};
  char              out[PETSC_MAX_PATH_LEN];

  snprintf(out, sizeof(out), "%s/cmp.h5", outdir);
  assert_petsc(StkCompareCreate(PETSC_COMM_WORLD, cmp));
  assert_petsc(StkCompareSetRegimes(*cmp, 1, regimes));
  assert_petsc(StkCompareSetEnvironments(*cmp, 1, envs));
  assert_petsc(StkCompareSetScenarios(*cmp, nscen, scen));
  assert_petsc(StkCompareSetPolicies(*cmp, npol, pol));
  assert_petsc(StkCompareSetPaths(*cmp, paths));
  assert_petsc(StkCompareSetYears(*cmp, 0.5));
  assert_petsc(StkCompareSetSamples(*cmp, 2));
  assert_petsc(StkCompareSetOutput(*cmp, out));
  assert_petsc(StkCompareSetUp(*cmp));
}

static PetscInt Column(StkCompare cmp, const char want[])
{
  PetscInt ncol;
  char     name[64];

  assert_petsc(StkCompareGetSizes(cmp, NULL, NULL, &ncol));
  for (PetscInt j = 0; j < ncol; j++) {
    assert_petsc(StkCompareGetColumnName(cmp, j, name, sizeof(name)));
    if (!strcmp(name, want)) return j;
  }
  fail_msg("no summary column %s", want);
  return -1;
}

/* Policies fixed, fixed (identical), zero; scenarios none and stake_drop.  Per path i:
 * zero's cost is fixed's + (i + 1) (all positive: exact Wilcoxon p = 2 / 2^8), its
 * RMSE fixed's - (i + 1) / 16 (all negative: the same p), recovery censored on the odd
 * paths. */
static void test_statistics_from_known_values(void **state)
{
  const char *const scen[] = {"none", "stake_drop"}, *const pol[] = {"fixed", "fixed", "zero"};
  const PetscInt    M      = 8, K = STK_METRIC_COUNT;
  StkCompare        cmp;
  PetscInt          nrows, npaths, ncol;
  PetscReal        *v, d[8], mean, lo, hi;
  const PetscReal  *S;

  CreateCompare(2, scen, 3, pol, M, &cmp);
  assert_petsc(StkCompareGetSizes(cmp, &nrows, &npaths, &ncol));
  assert_int_equal(nrows, 6);
  assert_int_equal(npaths, M);
  assert_int_equal(ncol, 2 * K + 1 + 25);
  assert_petsc(PetscMalloc1(nrows * K * M, &v));
  for (PetscInt row = 0; row < nrows; row++)
    for (PetscInt m = 0; m < K; m++)
      for (PetscInt i = 0; i < M; i++) {
        PetscReal x = m + i / 8.0 + (row / 3) / 64.0; /* dyadic: the differences below are exact */
        if (m == STK_METRIC_HERFINDAHL) x = (PetscReal)NAN; /* sde */
        if (m == STK_METRIC_RECOVERY_CENSORED) x = i % 2;
        if (row % 3 == 2 && m == STK_METRIC_DISCOUNTED_COST) x += i + 1;
        if (row % 3 == 2 && m == STK_METRIC_TRACKING_RMSE) x -= (i + 1) / 16.0;
        v[(row * K + m) * M + i] = x;
      }
  assert_petsc(StkCompareSetPathMetrics(cmp, v));
  assert_petsc(StkCompareGetSummary(cmp, &S));
  for (PetscInt row = 0; row < nrows; row++) {
    const PetscReal *col = S + row * ncol;
    PetscReal        cost = 0;
    for (PetscInt i = 0; i < M; i++) cost += v[(row * K + STK_METRIC_DISCOUNTED_COST) * M + i] / M;
    assert_close(col[Column(cmp, "discounted_cost")], cost, 1e-14, 0);
    assert_close(col[Column(cmp, "discounted_cost_n")], M, 0, 0);
    assert_true(PetscIsNanReal(col[Column(cmp, "herfindahl")]));
    assert_close(col[Column(cmp, "herfindahl_n")], 0, 0, 0);
    assert_close(col[Column(cmp, "recovery_censored")], 0.5, 0, 0);
    assert_close(col[Column(cmp, "is_reference")], row % 3 == 0, 0, 0);
    if (row % 3 < 2) { /* the reference and its twin: exactly no difference, p = 1 */
      assert_true(col[Column(cmp, "discounted_cost_diff")] == 0 && col[Column(cmp, "discounted_cost_diff_lo")] == 0 && col[Column(cmp, "discounted_cost_diff_hi")] == 0);
      assert_true(col[Column(cmp, "tracking_rmse_diff")] == 0 && col[Column(cmp, "discounted_cost_p")] == 1);
    } else {
      assert_close(col[Column(cmp, "discounted_cost_diff")], 4.5, 1e-13, 0);
      assert_close(col[Column(cmp, "discounted_cost_p")], 2.0 / 256, 1e-15, 0);
      assert_close(col[Column(cmp, "tracking_rmse_diff")], -4.5 / 16, 1e-15, 0);
      assert_close(col[Column(cmp, "tracking_rmse_p")], 2.0 / 256, 1e-15, 0);
      /* the interval is StkStatsBootstrapMean's of the differences */
      for (PetscInt i = 0; i < M; i++) d[i] = i + 1;
      assert_petsc(StkStatsBootstrapMean(M, d, 2000, 0.95, (uint64_t)(1 * 7919 + row * 31 + 0), &mean, &lo, &hi));
      assert_true(col[Column(cmp, "discounted_cost_diff_lo")] == lo && col[Column(cmp, "discounted_cost_diff_hi")] == hi);
      assert_true(lo >= 1 && lo < 4.5 && hi > 4.5 && hi <= 8);
    }
    /* recovery is compared only where there is a shock; the reference has no Holm p */
    assert_true(PetscIsNanReal(col[Column(cmp, "recovery_time_diff")]) == (row < 3));
    assert_true(PetscIsNanReal(col[Column(cmp, "recovery_time_p")]) == (row < 3));
    assert_true(PetscIsNanReal(col[Column(cmp, "discounted_cost_p_holm")]) == (row % 3 == 0));
  }
  /* Holm over the four non-reference rows of the cost: p = (1, 1/128, 1, 1/128) ->
   * (1, 4/128, 1, 4/128) */
  assert_close(S[1 * ncol + Column(cmp, "discounted_cost_p_holm")], 1, 0, 0);
  assert_close(S[2 * ncol + Column(cmp, "discounted_cost_p_holm")], 4.0 / 128, 1e-15, 0);
  assert_close(S[5 * ncol + Column(cmp, "discounted_cost_p_holm")], 4.0 / 128, 1e-15, 0);
  /* recovery in stake_drop: identical values, so zero differences, p = 1 */
  assert_true(S[5 * ncol + Column(cmp, "recovery_time_diff")] == 0 && S[5 * ncol + Column(cmp, "recovery_time_p")] == 1);
  assert_petsc(PetscFree(v));
  assert_petsc(StkCompareDestroy(&cmp));
}

/* Pooled statistics: policies fixed (the reference), zero, proportional over the cells
 * none and stake_drop.  Per path i, zero's cost exceeds fixed's by (i + 1) in the first
 * cell and 2 (i + 1) in the second (pooled: 1.5 (i + 1)), proportional's by 1/32 in
 * both; zero's mean_s is NaN on path 3 of the second cell (that path is skipped).  The
 * best baseline is proportional, the lowest cost the reference's; the summary prints
 * proportional's interval. */
static void test_pooled_statistics(void **state)
{
  const char *const scen[] = {"none", "stake_drop"}, *const pol[] = {"fixed", "zero", "proportional"};
  const PetscInt    M = 8, K = STK_METRIC_COUNT, C = STK_METRIC_DISCOUNTED_COST, S = STK_METRIC_MEAN_S;
  StkCompare        cmp;
  PetscInt          nrows, best;
  PetscReal        *v, d[8], mean, lo, hi, want_lo, want_hi;
  PetscViewer       viewer;
  char              text[4096], path[PETSC_MAX_PATH_LEN];
  FILE             *fp;
  PetscErrorCode    ierr;

  CreateCompare(2, scen, 3, pol, M, &cmp);
  assert_petsc(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = StkCompareGetPooledMean(cmp, 0, 0, (StkMetric)C, &mean);
  assert_int_equal(ierr, PETSC_ERR_ARG_WRONGSTATE); /* no statistics yet */
  assert_petsc(PetscPopErrorHandler());
  assert_petsc(StkCompareGetSizes(cmp, &nrows, NULL, NULL));
  assert_petsc(PetscMalloc1(nrows * K * M, &v));
  for (PetscInt row = 0; row < nrows; row++)
    for (PetscInt m = 0; m < K; m++)
      for (PetscInt i = 0; i < M; i++) {
        const PetscInt p = row % 3, c = row / 3;
        PetscReal      x = 1 + i / 8.0 + c / 64.0;
        if (p == 1 && m == C) x += (c + 1) * (i + 1);
        if (p == 2) x += 1 / 32.0;
        if (p == 1 && m == S && c == 1 && i == 3) x = (PetscReal)NAN;
        v[(row * K + m) * M + i] = x;
      }
  assert_petsc(StkCompareSetPathMetrics(cmp, v));
  assert_petsc(StkCompareGetPooledMean(cmp, 0, 0, (StkMetric)C, &mean));
  assert_close(mean, 1 + 3.5 / 8 + 0.5 / 64, 1e-15, 0);
  assert_petsc(StkCompareGetPooledDifference(cmp, -1, 1, (StkMetric)C, &mean, &lo, &hi));
  assert_close(mean, 1.5 * 4.5, 1e-14, 0);
  for (PetscInt i = 0; i < M; i++) d[i] = 1.5 * (i + 1);
  assert_petsc(StkStatsBootstrapMean(M, d, 2000, 0.95, (uint64_t)(1 * 7919 + 1000003 * 2 + 131 * 1 + C), &mean, &want_lo, &want_hi));
  assert_close(lo, want_lo, 1e-14, 0);
  assert_close(hi, want_hi, 1e-14, 0);
  assert_true(lo > 1.5 && lo < 6.75 && hi > 6.75 && hi < 12);
  assert_petsc(StkCompareGetPooledDifference(cmp, 0, 2, (StkMetric)C, &mean, &lo, &hi));
  assert_true(mean == 1 / 32.0 && lo == 1 / 32.0 && hi == 1 / 32.0);
  assert_petsc(StkCompareGetPooledMean(cmp, 0, 1, (StkMetric)S, &mean)); /* 7 paths */
  assert_close(mean, 1 + 0.5 / 64 + 25.0 / 56, 1e-14, 0);
  assert_petsc(StkCompareGetPooledDifference(cmp, 0, 1, (StkMetric)S, &mean, &lo, &hi));
  assert_true(mean == 0 && lo == 0 && hi == 0); /* the NaN path skipped, the others equal */
  assert_petsc(StkCompareGetBestPolicy(cmp, 0, (StkMetric)C, PETSC_TRUE, &best));
  assert_int_equal(best, 2);
  assert_petsc(StkCompareGetBestPolicy(cmp, -1, (StkMetric)C, PETSC_FALSE, &best));
  assert_int_equal(best, 0);
  assert_petsc(StkCompareFindPolicy(cmp, "zero", &best));
  assert_int_equal(best, 1);
  assert_petsc(StkCompareFindPolicy(cmp, "cosmos", &best));
  assert_int_equal(best, -1);
  snprintf(path, sizeof(path), "%s/summary.txt", outdir);
  assert_petsc(PetscViewerASCIIOpen(PETSC_COMM_WORLD, path, &viewer));
  assert_petsc(StkCompareViewSummary(cmp, viewer));
  assert_petsc(PetscViewerDestroy(&viewer));
  assert_int_equal(MPI_Barrier(PETSC_COMM_WORLD), 0); /* rank 0 wrote and closed it */
  fp = fopen(path, "r");
  assert_non_null(fp);
  text[fread(text, 1, sizeof(text) - 1, fp)] = 0;
  fclose(fp);
  assert_non_null(strstr(text, "baseline    fixed"));
  assert_non_null(strstr(text, "proportional    +3.12e-02 [+3.12e-02, +3.12e-02] +3.12e-02 [+3.12e-02, +3.12e-02]"));
  assert_petsc(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = StkCompareGetPooledMean(cmp, 1, 0, (StkMetric)C, &mean);
  assert_int_equal(ierr, PETSC_ERR_ARG_OUTOFRANGE); /* one regime */
  assert_petsc(PetscPopErrorHandler());
  assert_petsc(PetscFree(v));
  assert_petsc(StkCompareDestroy(&cmp));
}

static PetscErrorCode CountRuns(StkCompare cmp, const char regime[], PetscInt done, PetscInt total, void *ctx)
{
  PetscFunctionBeginUser;
  *(PetscInt *)ctx = done;
  PetscCheck(done <= total && !strcmp(regime, "baseline"), PETSC_COMM_SELF, PETSC_ERR_PLIB, "bad monitor call %s %d/%d", regime, (int)done, (int)total);
  PetscFunctionReturn(0);
}

/* A real run: fixed, zero, fixed on 6 sde paths of half a year with a stake drop.  The
 * two fixed rows have bitwise the same per-path metrics (common random numbers), the
 * summary's means are those of the per-path metrics, every rank holds the same table. */
static void test_tiny_run(void **state)
{
  const char *const scen[] = {"stake_drop"}, *const pol[] = {"fixed", "zero", "fixed"};
  const PetscInt    M      = 6, K = STK_METRIC_COUNT;
  StkCompare        cmp;
  PetscOptions      db;
  PetscInt          nrows, ncol, runs = 0;
  const PetscReal  *v, *S;
  PetscReal         sum = 0, lo, hi;
  const PetscReal   dt = 1 / STK_DAYS_PER_YEAR, left = (183 - PetscCeilReal(0.25 / dt - 1e-3)) * dt; /* 183 steps, the shock at T/2 */
  char              file[PETSC_MAX_PATH_LEN];
  PetscMPIInt       rank;

  assert_petsc(PetscOptionsCreate(&db));
  assert_petsc(PetscOptionsInsertString(db, "-grid_n 33,9 -compare_bootstrap 200"));
  assert_petsc(PetscOptionsPush(db));
  CreateCompare(1, scen, 3, pol, M, &cmp);
  assert_petsc(StkCompareSetFromOptions(cmp)); /* -compare_bootstrap; the setters' values stay */
  assert_petsc(StkCompareSetMonitor(cmp, CountRuns, &runs));
  assert_petsc(StkCompareRun(cmp));
  assert_petsc(StkCompareWrite(cmp));
  assert_petsc(PetscOptionsPop());
  assert_petsc(PetscOptionsDestroy(&db));
  assert_petsc(StkCompareGetSizes(cmp, &nrows, NULL, &ncol));
  assert_int_equal(nrows, 3);
  assert_int_equal(runs, 3);
  assert_petsc(StkCompareGetPathMetrics(cmp, &v));
  assert_petsc(StkCompareGetSummary(cmp, &S));
  assert_memory_equal(v, v + 2 * K * M, K * M * sizeof(PetscReal));
  for (PetscInt row = 0; row < nrows; row++) {
    PetscReal mean = 0;
    for (PetscInt i = 0; i < M; i++) {
      const PetscReal rt = v[(row * K + STK_METRIC_RECOVERY_TIME) * M + i], cen = v[(row * K + STK_METRIC_RECOVERY_CENSORED) * M + i];
      mean += v[(row * K + STK_METRIC_TRACKING_RMSE) * M + i] / M;
      assert_true(rt >= 0 && rt <= left && (cen == 0 || cen == 1)); /* from the shock's step on */
      if (cen == 1) assert_true(rt == left);
    }
    assert_close(S[row * ncol + Column(cmp, "tracking_rmse")], mean, 1e-14, 0);
  }
  assert_true(S[2 * ncol + Column(cmp, "discounted_cost_diff")] == 0 && S[2 * ncol + Column(cmp, "discounted_cost_p")] == 1);
  assert_true(S[1 * ncol + Column(cmp, "discounted_cost_diff")] != 0); /* zero issuance differs */
  for (PetscInt j = 0; j < nrows * K * M; j++)
    if (!PetscIsNanReal(v[j])) sum += v[j];
  assert_int_equal(MPI_Allreduce(&sum, &lo, 1, MPIU_REAL, MPI_MIN, PETSC_COMM_WORLD), 0);
  assert_int_equal(MPI_Allreduce(&sum, &hi, 1, MPIU_REAL, MPI_MAX, PETSC_COMM_WORLD), 0);
  assert_true(lo == hi);
  assert_int_equal(MPI_Comm_rank(PETSC_COMM_WORLD, &rank), 0);
  if (!rank) {
    const char *const names[] = {"cmp.h5", "cmp.csv", "cmp_baseline.h5"};
    for (int k = 0; k < 3; k++) {
      snprintf(file, sizeof(file), "%s/%s", outdir, names[k]);
      assert_int_equal(access(file, R_OK), 0);
    }
  }
  assert_petsc(StkCompareDestroy(&cmp));
}

/* The baseline regime with "rho: 0.05" replaced by `rho`, as DIR/NAME.yaml (rank 0). */
static void WriteRegime(const char name[], const char rho[], char path[], size_t len)
{
  char        line[512];
  FILE       *in, *out;
  PetscMPIInt rank;

  snprintf(path, len, "%s/%s.yaml", outdir, name);
  assert_int_equal(MPI_Comm_rank(PETSC_COMM_WORLD, &rank), 0);
  if (!rank) {
    assert_non_null(in = fopen(STK_DATA_DIR "/regimes/baseline.yaml", "r"));
    assert_non_null(out = fopen(path, "w"));
    while (fgets(line, sizeof(line), in)) fputs(strstr(line, "rho: 0.05") ? rho : line, out);
    fclose(in);
    fclose(out);
  }
  assert_int_equal(MPI_Barrier(PETSC_COMM_WORLD), 0);
}

/* Attribute `name` of group /solution of an expert's file. */
static double SolutionAttribute(const char file[], const char name[])
{
  double v    = 0;
  hid_t  f    = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t  attr = H5Aopen_by_name(f, "solution", name, H5P_DEFAULT, H5P_DEFAULT);

  assert_true(f >= 0 && attr >= 0);
  assert_true(H5Aread(attr, H5T_NATIVE_DOUBLE, &v) >= 0);
  H5Aclose(attr);
  H5Fclose(f);
  return v;
}

/* Two regimes that differ only in hjb rho: each regime's expert is solved with its own
 * rho (its options live under its prefix "ra_", "rb_"), and the user's -hjb_w_u reaches
 * both (it overrides every file). */
static void test_regime_prefixes(void **state)
{
  const char *const scen[] = {"none"}, *const pol[] = {"expert"}, *const envs[] = {"sde"};
  const char       *regimes[2];
  char              ra[PETSC_MAX_PATH_LEN], rb[PETSC_MAX_PATH_LEN], out[PETSC_MAX_PATH_LEN], sol[PETSC_MAX_PATH_LEN];
  StkCompare        cmp;
  PetscOptions      db;
  PetscReal         rho;
  PetscBool         set;

  WriteRegime("ra", "  rho: 0.04\n", ra, sizeof(ra));
  WriteRegime("rb", "  rho: 0.07\n", rb, sizeof(rb));
  regimes[0] = ra, regimes[1] = rb;
  snprintf(out, sizeof(out), "%s/cmp.h5", outdir);
  assert_petsc(PetscOptionsCreate(&db));
  assert_petsc(PetscOptionsInsertString(db, "-grid_n 17,9 -hjb_w_u 7 -compare_bootstrap 200"));
  assert_petsc(PetscOptionsPush(db));
  assert_petsc(StkCompareCreate(PETSC_COMM_WORLD, &cmp));
  assert_petsc(StkCompareSetRegimes(cmp, 2, regimes));
  assert_petsc(StkCompareSetEnvironments(cmp, 1, envs));
  assert_petsc(StkCompareSetScenarios(cmp, 1, scen));
  assert_petsc(StkCompareSetPolicies(cmp, 1, pol));
  assert_petsc(StkCompareSetPaths(cmp, 2));
  assert_petsc(StkCompareSetYears(cmp, 0.1));
  assert_petsc(StkCompareSetSamples(cmp, 1));
  assert_petsc(StkCompareSetFromOptions(cmp));
  assert_petsc(StkCompareSetOutput(cmp, out));
  assert_petsc(StkCompareRun(cmp));
  assert_petsc(StkCompareWrite(cmp)); /* the regimes' solution files come with the set */
  assert_petsc(PetscOptionsGetReal(NULL, NULL, "-hjb_rho", &rho, &set));
  assert_false(set); /* nothing of a regime leaks into the unprefixed names */
  assert_petsc(PetscOptionsPop());
  assert_petsc(PetscOptionsDestroy(&db));
  snprintf(sol, sizeof(sol), "%s/cmp_ra.h5", outdir);
  assert_true(SolutionAttribute(sol, "rho") == 0.04);
  assert_true(SolutionAttribute(sol, "w_u") == 7);
  snprintf(sol, sizeof(sol), "%s/cmp_rb.h5", outdir);
  assert_true(SolutionAttribute(sol, "rho") == 0.07);
  assert_true(SolutionAttribute(sol, "w_u") == 7);
  assert_petsc(StkCompareDestroy(&cmp));
}

/* Setters give defaults; the -compare_* options override them. */
static void test_setters_are_defaults(void **state)
{
  const char *const regimes[] = {"bear", "sluggish"};
  StkCompare        cmp;
  PetscOptions      db;
  PetscInt          nrows, npaths;

  assert_petsc(StkCompareCreate(PETSC_COMM_WORLD, &cmp));
  assert_petsc(StkCompareSetRegimes(cmp, 2, regimes));
  assert_petsc(StkCompareSetPaths(cmp, 24));
  assert_petsc(StkCompareSetSamples(cmp, 4));
  assert_petsc(StkCompareSetOutput(cmp, "/tmp/unused.h5"));
  assert_petsc(PetscOptionsCreate(&db));
  assert_petsc(PetscOptionsInsertString(db, "-compare_paths 7 -compare_envs abm"));
  assert_petsc(PetscOptionsPush(db));
  assert_petsc(StkCompareSetFromOptions(cmp));
  assert_petsc(PetscOptionsPop());
  assert_petsc(PetscOptionsDestroy(&db));
  assert_petsc(StkCompareGetSizes(cmp, &nrows, &npaths, NULL));
  assert_int_equal(npaths, 7);              /* the option over the setter */
  assert_int_equal(nrows, 2 * 1 * 3 * 13); /* the setter's regimes, the option's one environment */
  assert_petsc(StkCompareSetPaths(cmp, 24));
  assert_petsc(StkCompareGetSizes(cmp, NULL, &npaths, NULL));
  assert_int_equal(npaths, 24);
  assert_petsc(StkCompareDestroy(&cmp));
}

/* Bad settings name the option and the value. */
static void test_bad_settings(void **state)
{
  const char *const scen[] = {"quake"}, *const pol[] = {"fixed", "zero"};
  StkCompare        cmp;
  PetscErrorCode    ierr;

  assert_petsc(StkCompareCreate(PETSC_COMM_WORLD, &cmp));
  assert_petsc(StkCompareSetOutput(cmp, "/tmp/unused.h5"));
  assert_petsc(StkCompareSetPolicies(cmp, 2, pol));
  assert_petsc(StkCompareSetScenarios(cmp, 1, scen));
  assert_petsc(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = StkCompareSetUp(cmp);
  assert_int_equal(ierr, PETSC_ERR_ARG_UNKNOWN_TYPE);
  assert_petsc(StkCompareSetPaths(cmp, 1));
  ierr = StkCompareSetUp(cmp);
  assert_int_equal(ierr, PETSC_ERR_ARG_OUTOFRANGE);
  assert_petsc(PetscPopErrorHandler());
  assert_petsc(StkCompareDestroy(&cmp));
}

static int Setup(void **state)
{
  MakeOutdir();
  return 0;
}

static int Teardown(void **state)
{
  PetscMPIInt rank;
  char        cmd[PETSC_MAX_PATH_LEN + 16];

  MPI_Barrier(PETSC_COMM_WORLD);
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  snprintf(cmd, sizeof(cmd), "rm -rf %s", outdir);
  if (!rank && system(cmd)) return 1;
  return 0;
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test_setup_teardown(test_statistics_from_known_values, Setup, Teardown),
  cmocka_unit_test_setup_teardown(test_pooled_statistics, Setup, Teardown),
  cmocka_unit_test_setup_teardown(test_tiny_run, Setup, Teardown),
  cmocka_unit_test_setup_teardown(test_regime_prefixes, Setup, Teardown),
  cmocka_unit_test(test_setters_are_defaults),
  cmocka_unit_test(test_bad_settings),
};

STK_TEST_MAIN(tests)
