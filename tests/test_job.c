/* The main job of `stakehjb run` (experiments/stk_job.h): its setters act as defaults
 * that -run_solution / -run_network override, and bad settings error naming the option
 * (or the setter) and the value. */
#include "stk_test.h"
#include "stk_job.h"
#include <string.h>

static void push_options(PetscOptions *db, const char options[])
{
  assert_petsc(PetscOptionsCreate(db));
  assert_petsc(PetscOptionsInsertString(*db, options));
  assert_petsc(PetscOptionsPush(*db));
}

static void pop_options(PetscOptions *db)
{
  assert_petsc(PetscOptionsPop());
  assert_petsc(PetscOptionsDestroy(db));
}

/* `call` fails with `code` and its message contains `text`. */
#define assert_fails_with(call, code, text) \
  do { \
    char *specific_ = NULL; \
    assert_petsc(PetscPushErrorHandler(PetscReturnErrorHandler, NULL)); \
    assert_int_equal((int)(call), (int)(code)); \
    assert_petsc(PetscPopErrorHandler()); \
    assert_petsc(PetscErrorMessage((code), NULL, &specific_)); \
    if (!specific_ || !strstr(specific_, (text))) fail_msg("error message '%s' does not contain '%s'", specific_ ? specific_ : "(none)", (text)); \
  } while (0)

/* This test's executable: a readable file to reuse (never opened as HDF5 here). */
static const char *readable(void) { return stk_test_argv[0]; }

/* A job with `options` as the only options database, its files set before. */
static void job_from_options(const char options[], const char solution[], StkJob *job)
{
  PetscOptions db;

  push_options(&db, options);
  assert_petsc(StkJobCreate(PETSC_COMM_WORLD, job));
  assert_petsc(StkJobSetOutputs(*job, "s.h5", "n.h5", "r.h5", "c.h5"));
  if (solution) assert_petsc(StkJobSetSolution(*job, solution));
  assert_petsc(StkJobSetFromOptions(*job));
  pop_options(&db);
}

static void test_setters_are_defaults(void **state)
{
  StkJob      job;
  const char *s, *n, *r, *c;
  PetscBool   reuse_s, reuse_n;
  StkRefine   refine;
  StkSolver   solver;
  FILE       *other;
  char        options[PETSC_MAX_PATH_LEN + 32];

  (void)state;
  job_from_options("-dim 1", NULL, &job); /* the outputs as set, nothing reused */
  assert_petsc(StkJobGetFiles(job, &s, &n, &r, &c, &reuse_s, &reuse_n));
  assert_string_equal(s, "s.h5");
  assert_string_equal(n, "n.h5");
  assert_string_equal(r, "r.h5");
  assert_string_equal(c, "c.h5");
  assert_false(reuse_s);
  assert_false(reuse_n);
  assert_petsc(StkJobGetSolver(job, &solver)); /* the pieces exist after SetFromOptions */
  assert_petsc(StkJobGetRefine(job, &refine));
  assert_non_null(solver);
  assert_non_null(refine);
  assert_petsc(StkJobDestroy(&job));

  job_from_options("-dim 1", readable(), &job); /* the setter's file */
  assert_petsc(StkJobGetFiles(job, &s, &n, NULL, NULL, &reuse_s, &reuse_n));
  assert_string_equal(s, readable());
  assert_string_equal(n, "n.h5");
  assert_true(reuse_s);
  assert_false(reuse_n);
  assert_petsc(StkJobDestroy(&job));

  /* the options override the setter */
  other = fopen("test_job_other.tmp", "w"); /* another readable file */
  assert_non_null(other);
  fclose(other);
  assert_petsc(PetscSNPrintf(options, sizeof(options), "-dim 1 -run_solution %s -run_network %s", "test_job_other.tmp", readable()));
  job_from_options(options, readable(), &job);
  assert_petsc(StkJobGetFiles(job, &s, &n, NULL, NULL, &reuse_s, &reuse_n));
  assert_string_equal(s, "test_job_other.tmp");
  assert_string_equal(n, readable());
  assert_true(reuse_s);
  assert_true(reuse_n);
  assert_petsc(StkJobDestroy(&job));
  remove("test_job_other.tmp");
}

static void test_bad_settings(void **state)
{
  StkJob       job;
  PetscOptions db;

  (void)state;
  assert_petsc(StkJobCreate(PETSC_COMM_WORLD, &job));
  assert_fails_with(StkJobSetSolution(job, ""), PETSC_ERR_ARG_WRONG, "StkJobSetSolution");
  assert_fails_with(StkJobRun(job), PETSC_ERR_ARG_WRONGSTATE, "StkJobSetFromOptions");
  push_options(&db, "-dim 1 -run_solution /nonexistent/solution.h5");
  assert_fails_with(StkJobSetFromOptions(job), PETSC_ERR_FILE_OPEN, "-run_solution /nonexistent/solution.h5");
  pop_options(&db);
  assert_petsc(StkJobDestroy(&job));

  assert_petsc(StkJobCreate(PETSC_COMM_WORLD, &job));
  push_options(&db, "-dim 1 -run_network /nonexistent/network.h5");
  assert_fails_with(StkJobSetFromOptions(job), PETSC_ERR_FILE_OPEN, "-run_network /nonexistent/network.h5");
  pop_options(&db);
  assert_petsc(StkJobDestroy(&job));
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(test_setters_are_defaults),
  cmocka_unit_test(test_bad_settings),
};

STK_TEST_MAIN(tests)
