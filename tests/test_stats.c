/* The experiment statistics against hand-computed cases and scipy 1.10 reference
 * values (stats.wilcoxon), and Holm's adjustment on a worked example. */
#include "stk_test.h"
#include "stk_stats.h"

/* W- = 5 of 12 distinct |d|: subsets of {1..12} with rank sum <= 5 are 10 of 4096, so
 * p = 2 * 10 / 4096 (scipy: statistic 5, p 0.0048828125). */
static void wilcoxon_exact_small(void **state)
{
  const PetscReal d[] = {1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30, -0.4, -0.9, 0.7};
  PetscReal       wplus, p;
  PetscInt        m;
  assert_petsc(StkStatsWilcoxon(12, d, &wplus, &m, &p));
  assert_int_equal(m, 12);
  assert_close(wplus, 73, 0, 0);
  assert_close(p, 20.0 / 4096, 1e-14, 0);
}

/* The zero is dropped; ranks of the 11 others are |d|, negatives 1, 4, 7: W- = 12, and
 * 69 of the 2048 sign patterns have a rank sum <= 12 (enumerated). */
static void wilcoxon_drops_zeros(void **state)
{
  const PetscReal d[] = {0.0, 2, -1, 3, -4, 5, 6, -7, 8, 9, 10, 11};
  PetscReal       wplus, p;
  PetscInt        m;
  assert_petsc(StkStatsWilcoxon(12, d, &wplus, &m, &p));
  assert_int_equal(m, 11);
  assert_close(wplus, 66 - 12, 0, 0);
  assert_close(p, 2 * 69.0 / 2048, 1e-14, 0);
}

/* 80 differences with zeros and many ties: the normal approximation with the tie
 * correction; scipy.stats.wilcoxon(d, method="approx", correction=False) gives
 * p = 0.010038835108769392 with 74 non-zero differences and W+ = 1865. */
static void wilcoxon_normal_ties(void **state)
{
  const PetscReal d[] = {0.6, 1.1, 0.6, -1.0, 1.2, 0.7, -0.2, 0.9, 0.7, 0.6, 0.3, 0.8, -0.4, 0.1, -0.2, 0.9, 0.3, 0.0, -0.5, 0.0, 0.3, 0.0, 1.6, 1.3, -2.4, -1.6, 0.1, -0.1, 0.5, 0.5, 2.4, -0.8, -0.1, 2.3, 0.9, 1.0, -0.2, -1.3, 0.5, 0.4, -0.9, -0.4, 0.2, -0.6, 0.2, 0.4, 0.3, -0.2, 0.9, 1.2, 0.6, -0.5, 1.0, -0.2, 1.2, -0.8, 1.2, 0.3, -0.9, -0.0, 0.4, 0.6, -0.7, -0.8, 0.5, -0.2, 0.5, 1.1, -1.3, 0.6, 1.5, 0.0, -0.5, 1.1, 0.6, 1.2, -0.0, -1.2, 0.2, -0.1};
  PetscReal       wplus, p;
  PetscInt        m;
  assert_petsc(StkStatsWilcoxon(80, d, &wplus, &m, &p));
  assert_int_equal(m, 74);
  assert_close(wplus, 1865, 0, 0);
  assert_close(p, 0.010038835108769392, 1e-12, 0);
}

/* Identical policies on common random numbers: every difference is exactly 0. */
static void identical_policies_zero_difference(void **state)
{
  PetscReal d[25] = {0}, wplus, p, mean, lo, hi;
  PetscInt  m;
  assert_petsc(StkStatsWilcoxon(25, d, &wplus, &m, &p));
  assert_int_equal(m, 0);
  assert_close(p, 1, 0, 0);
  assert_petsc(StkStatsBootstrapMean(25, d, 1000, 0.95, 7, &mean, &lo, &hi));
  assert_true(mean == 0 && lo == 0 && hi == 0);
}

/* d = {0, 1, 5}: the 27 equally likely resamples have means whose 10 % and 90 %
 * quantiles are 1/3 (cdf 4/27 > 0.1 > 1/27) and 11/3 (cdf 23/27 < 0.9 < 26/27). */
static void bootstrap_small_exact(void **state)
{
  const PetscReal d[] = {0, 1, 5};
  PetscReal       mean, lo, hi, lo2, hi2;
  assert_petsc(StkStatsBootstrapMean(3, d, 100000, 0.80, 2026, &mean, &lo, &hi));
  assert_close(mean, 2, 1e-15, 0);
  assert_close(lo, 1.0 / 3, 1e-15, 0);
  assert_close(hi, 11.0 / 3, 1e-15, 0);
  assert_petsc(StkStatsBootstrapMean(3, d, 100000, 0.80, 2026, &mean, &lo2, &hi2));
  assert_true(lo2 == lo && hi2 == hi); /* same seed, same interval */
}

/* For 400 differences the percentile interval approaches mean +- 1.96 sd / sqrt(n). */
static void bootstrap_matches_normal_theory(void **state)
{
  enum { n = 400 };
  PetscReal d[n], sum = 0, sum2 = 0, mean, lo, hi, sd;
  for (PetscInt i = 0; i < n; i++) { /* a skew-free deterministic sample */
    d[i] = sin(1.0 + 0.731 * (PetscReal)i) + 0.25;
    sum += d[i];
    sum2 += d[i] * d[i];
  }
  sd = sqrt((sum2 - sum * sum / n) / n);
  assert_petsc(StkStatsBootstrapMean(n, d, 4000, 0.95, 11, &mean, &lo, &hi));
  assert_close(mean, sum / n, 1e-14, 0);
  assert_close(hi - mean, 1.959964 * sd / sqrt((PetscReal)n), 0.06, 0);
  assert_close(mean - lo, 1.959964 * sd / sqrt((PetscReal)n), 0.06, 0);
}

/* p = {0.01, 0.04, 0.03, 0.005}: sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 give
 * 0.02, 0.03, 0.06, 0.04 -> running max 0.02, 0.03, 0.06, 0.06. */
static void holm_worked_example(void **state)
{
  PetscReal p[] = {0.01, 0.04, 0.03, 0.005}, adj[4];
  assert_petsc(StkStatsHolm(4, p, adj));
  assert_close(adj[0], 0.03, 1e-15, 0);
  assert_close(adj[1], 0.06, 1e-15, 0);
  assert_close(adj[2], 0.06, 1e-15, 0);
  assert_close(adj[3], 0.02, 1e-15, 0);
  p[0] = 0.3, p[1] = 0.4, p[2] = 0.35, p[3] = 0.9; /* 4 x 0.3 caps at 1, in place */
  assert_petsc(StkStatsHolm(4, p, p));
  for (PetscInt i = 0; i < 4; i++) assert_close(p[i], 1, 0, 0);
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(wilcoxon_exact_small),
  cmocka_unit_test(wilcoxon_drops_zeros),
  cmocka_unit_test(wilcoxon_normal_ties),
  cmocka_unit_test(identical_policies_zero_difference),
  cmocka_unit_test(bootstrap_small_exact),
  cmocka_unit_test(bootstrap_matches_normal_theory),
  cmocka_unit_test(holm_worked_example),
};
STK_TEST_MAIN(tests)
