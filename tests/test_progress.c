/* Progress lines (grids/stk_progress.h) written to a file: whole lines only (no
 * carriage return), the first at once with delay 0, then one per 10 % of the work and
 * the last at 100 %; nothing on ranks other than 0, nothing with -progress false or
 * before the delay; a negative delay is refused. */
#include "stk_test.h"
#include "stk_progress.h"
#include <string.h>

/* Runs the updates 0, 1, 5, 12, 50, 100 % into a temporary file; returns its text. */
static void Updates(PetscReal delay, char text[], size_t len)
{
  const PetscReal fraction[] = {0, 0.01, 0.05, 0.12, 0.5, 1};
  StkProgress     p;
  FILE           *fp = tmpfile();
  size_t          n;

  assert_non_null(fp);
  assert_petsc(StkProgressCreate(PETSC_COMM_WORLD, "step", &p));
  assert_petsc(StkProgressSetStream(p, fp));
  assert_petsc(StkProgressSetDelay(p, delay));
  for (size_t i = 0; i < sizeof(fraction) / sizeof(fraction[0]); i++) assert_petsc(StkProgressUpdate(p, fraction[i], "work %d", (int)i));
  assert_petsc(StkProgressDestroy(&p));
  rewind(fp);
  n       = fread(text, 1, len - 1, fp);
  text[n] = 0;
  fclose(fp);
}

static void test_whole_lines_in_a_file(void **state)
{
  char        text[2048];
  PetscMPIInt rank;

  assert_int_equal(MPI_Comm_rank(PETSC_COMM_WORLD, &rank), 0);
  Updates(0, text, sizeof(text));
  if (rank) {
    assert_string_equal(text, "");
    return;
  }
  assert_null(strchr(text, '\r'));
  assert_non_null(strstr(text, "step: work 0, 0 %, "));
  assert_null(strstr(text, "work 1,")); /* 1 % and 5 %: less than 10 % since the last line */
  assert_null(strstr(text, "work 2,"));
  assert_non_null(strstr(text, "step: work 3, 12 %, "));
  assert_non_null(strstr(text, "step: work 4, 50 %, "));
  assert_non_null(strstr(text, "step: work 5, 100 %, "));
  assert_null(strstr(text, "about")); /* under 2 s: no estimate */
  {
    int lines = 0;
    for (char *c = text; *c; c++) lines += *c == '\n';
    assert_int_equal(lines, 4);
    assert_int_equal(text[strlen(text) - 1], '\n');
  }
}

static void test_off_and_delayed(void **state)
{
  char           text[2048];
  StkProgress    p;
  PetscErrorCode ierr;

  Updates(1000, text, sizeof(text));
  assert_string_equal(text, ""); /* before the delay */
  assert_petsc(PetscOptionsSetValue(NULL, "-progress", "false"));
  Updates(0, text, sizeof(text));
  assert_petsc(PetscOptionsClearValue(NULL, "-progress"));
  assert_string_equal(text, "");
  assert_petsc(StkProgressCreate(PETSC_COMM_WORLD, "step", &p));
  assert_petsc(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = StkProgressSetDelay(p, -1);
  assert_int_equal(ierr, PETSC_ERR_ARG_OUTOFRANGE);
  assert_petsc(PetscOptionsSetValue(NULL, "-progress_delay", "nan"));
  ierr = StkProgressCreate(PETSC_COMM_WORLD, "step", &p);
  assert_int_equal(ierr, PETSC_ERR_USER_INPUT);
  assert_petsc(PetscOptionsClearValue(NULL, "-progress_delay"));
  assert_petsc(PetscPopErrorHandler());
  assert_petsc(StkProgressDestroy(&p));
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(test_whole_lines_in_a_file),
  cmocka_unit_test(test_off_and_delayed),
};

STK_TEST_MAIN(tests)
