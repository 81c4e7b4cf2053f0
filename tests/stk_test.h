/* Shared cmocka helpers: PETSc initialized once per group, a tolerance-aware
 * comparison (cmocka 1.1.5 compares floats as float), and PETSc call checks. */
#pragma once
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <math.h>
#include <stdio.h>
#include <cmocka.h>
#include <petscsys.h>

extern int    stk_test_argc;
extern char **stk_test_argv;

/* |a - b| <= atol + rtol |b|, with both numbers printed on failure. */
#define assert_close(a, b, rtol, atol) stk_assert_close((double)(a), (double)(b), (rtol), (atol), #a, #b, __FILE__, __LINE__)
static inline void stk_assert_close(double a, double b, double rtol, double atol, const char *ea, const char *eb, const char *file, int line)
{
  if (!(fabs(a - b) <= atol + rtol * fabs(b))) {
    print_error("%s = %.17g and %s = %.17g differ by %.3g (rtol %.1g, atol %.1g)\n", ea, a, eb, b, fabs(a - b), rtol, atol);
    _fail(file, line);
  }
}
/* A PETSc call that must succeed. */
#define assert_petsc(call) assert_int_equal((int)(call), 0)

/* Use as: STK_TEST_MAIN(tests) after defining `static const struct CMUnitTest tests[]`
 * (STK_TEST_MAIN_GROUP with cmocka group setup and teardown functions, or NULL).
 * PETSc is initialized once for the group; under MPI only rank 0 prints cmocka's report
 * (a failure on another rank still shows in the exit status). */
#define STK_TEST_MAIN_GROUP(tests, setup, teardown) \
  int    stk_test_argc; \
  char **stk_test_argv; \
  int    main(int argc, char **argv) \
  { \
    PetscMPIInt rank; \
    int         failed; \
    stk_test_argc = argc; \
    stk_test_argv = argv; \
    if (PetscInitialize(&argc, &argv, NULL, NULL)) return 1; \
    if (MPI_Comm_rank(PETSC_COMM_WORLD, &rank)) return 1; \
    if (rank != 0 && (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))) return 1; \
    failed = cmocka_run_group_tests(tests, setup, teardown); \
    if (PetscFinalize()) return 1; \
    return failed; \
  }
#define STK_TEST_MAIN(tests) STK_TEST_MAIN_GROUP(tests, NULL, NULL)
