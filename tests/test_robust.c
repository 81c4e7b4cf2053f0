/* The misspecification experiments' arithmetic (experiments/stk_robust.h): the gap and
 * the closed fraction on hand-made per-path tables, their bootstrap intervals, and the
 * environments of the cases (docs/robustness.md). */
#include "stk_test.h"
#include "stk_robust.h"

/* Expert costs 3, 5; oracle 1, 2 (gap mean((2, 3)) = 2.5); a policy at 2, 3.5 closes
 * (1 + 1.5) / (2 + 3) = 0.5; one at 4, 6 is worse than the expert: -0.4. */
static void test_closed_fraction_by_hand(void **state)
{
  const PetscReal e[2] = {3, 5}, o[2] = {1, 2}, half[2] = {2, 3.5}, worse[2] = {4, 6};
  PetscReal       gap, closed, lo, hi;

  assert_petsc(StkRobustClosedFraction(2, e, o, half, 200, 1, &gap, &closed, &lo, &hi));
  assert_close(gap, 2.5, 1e-15, 0);
  assert_close(closed, 0.5, 1e-15, 0);
  /* each resample is (1,1)/(2,2) = 0.5, (1.5,1.5)/(3,3) = 0.5 or the mix: always 0.5 */
  assert_close(lo, 0.5, 1e-15, 0);
  assert_close(hi, 0.5, 1e-15, 0);
  assert_petsc(StkRobustClosedFraction(2, e, o, worse, 200, 1, NULL, &closed, &lo, &hi));
  assert_close(closed, -0.4, 1e-15, 0);
  assert_true(lo <= closed + 1e-15 && closed <= hi + 1e-15);
  assert_petsc(StkRobustClosedFraction(2, e, o, o, 200, 1, NULL, &closed, NULL, NULL));
  assert_close(closed, 1, 1e-15, 0);
  assert_petsc(StkRobustClosedFraction(2, e, o, e, 200, 1, NULL, &closed, NULL, NULL));
  assert_close(closed, 0, 0, 0);
}

/* The oracle below the expert gives a negative gap: the sign is kept, and a policy
 * halfway still closes 0.5. */
static void test_gap_sign(void **state)
{
  const PetscReal e[3] = {1, 1, 1}, o[3] = {2, 3, 4}, q[3] = {1.5, 2, 2.5};
  PetscReal       gap, closed;

  assert_petsc(StkRobustClosedFraction(3, e, o, q, 100, 3, &gap, &closed, NULL, NULL));
  assert_close(gap, -2, 1e-15, 0);
  assert_close(closed, 0.5, 1e-15, 0);
}

/* Identical environment: no gap, and the closed fraction is 0 for any policy. */
static void test_zero_gap(void **state)
{
  const PetscReal e[3] = {1, 2, 3}, q[3] = {0.5, 2.5, 9};
  PetscReal       gap, closed, lo, hi;

  assert_petsc(StkRobustClosedFraction(3, e, e, q, 100, 3, &gap, &closed, &lo, &hi));
  assert_close(gap, 0, 0, 0);
  assert_close(closed, 0, 0, 0);
  assert_close(lo, 0, 0, 0);
  assert_close(hi, 0, 0, 0);
}

static void test_truth(void **state)
{
  StkAgentParams m, t;

  assert_petsc(StkAgentParamsDefault(&m));
  assert_petsc(StkRobustTruth(PETSC_COMM_WORLD, &m, STK_ROBUST_NONE, 7, &t));
  assert_memory_equal(&m, &t, sizeof(m));
  assert_petsc(StkRobustTruth(PETSC_COMM_WORLD, &m, STK_ROBUST_REGIME, 7, &t)); /* the chain holds the truth */
  assert_memory_equal(&m, &t, sizeof(m));
  assert_petsc(StkRobustTruth(PETSC_COMM_WORLD, &m, STK_ROBUST_MEDIAN, 0.7, &t));
  assert_close(t.cost.median, 0.7 * m.cost.median, 1e-15, 0);
  assert_close(t.cost.logsd, m.cost.logsd, 0, 0);
  assert_petsc(StkRobustTruth(PETSC_COMM_WORLD, &m, STK_ROBUST_LOGSD, 1.3, &t));
  assert_close(t.cost.logsd, 1.3 * m.cost.logsd, 1e-15, 0);
  assert_petsc(StkRobustTruth(PETSC_COMM_WORLD, &m, STK_ROBUST_PHI, 1.3, &t));
  assert_close(t.phi, 1.3 * m.phi, 1e-15, 0);
  assert_petsc(StkRobustTruth(PETSC_COMM_WORLD, &m, STK_ROBUST_KAPPA, 0.25, &t));
  assert_close(t.kappa, 0.25 * m.kappa, 1e-15, 0);
  /* gamma: the lognormal's mean and variance */
  assert_petsc(StkRobustTruth(PETSC_COMM_WORLD, &m, STK_ROBUST_GAMMA, 1, &t));
  assert_int_equal(t.cost.type, STK_COST_GAMMA);
  {
    const double s2 = m.cost.logsd * m.cost.logsd, mean = m.cost.median * exp(s2 / 2), var = (exp(s2) - 1) * mean * mean;
    assert_close(t.cost.shape * t.cost.gscale, mean, 1e-13, 0);
    assert_close(t.cost.shape * t.cost.gscale * t.cost.gscale, var, 1e-13, 0);
    assert_close(StkCostMean(&t.cost), StkCostMean(&m.cost), 1e-12, 0);
  }
}

static void test_errors(void **state)
{
  const PetscReal e[1] = {1};
  StkAgentParams  m, t;

  assert_int_not_equal(StkRobustClosedFraction(0, e, e, e, 100, 1, NULL, NULL, NULL, NULL), 0);
  assert_petsc(StkAgentParamsDefault(&m));
  m.cost.type = STK_COST_UNIFORM;
  m.cost.lo   = 0;
  m.cost.hi   = 0.1;
  assert_int_not_equal(StkRobustTruth(PETSC_COMM_WORLD, &m, STK_ROBUST_MEDIAN, 0.7, &t), 0);
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(test_closed_fraction_by_hand),
  cmocka_unit_test(test_gap_sign),
  cmocka_unit_test(test_zero_gap),
  cmocka_unit_test(test_truth),
  cmocka_unit_test(test_errors),
};
STK_TEST_MAIN(tests)
