/* Voting on the objective (experiments/stk_govern.h): the voting rules on hand-made
 * ballots (odd and even counts, ties, weights, Borda with tied distances and tied
 * totals), their errors, and `govern` with identical voters reaching their common
 * objective in the first round under each rule. */
#include "stk_test.h"
#include "stk_govern.h"

static PetscErrorCode Quiet(MPI_Comm comm, int line, const char *fun, const char *file, PetscErrorCode n, PetscErrorType p, const char *mess, void *ctx)
{
  return n;
}

static PetscReal Median(PetscInt n, const PetscReal x[], const PetscReal w[])
{
  PetscReal m = NAN;
  assert_petsc(StkVoteWeightedMedian(n, x, w, &m));
  return m;
}

static void median_counts_and_ties(void **state)
{
  const PetscReal odd[] = {3, 1, 2}, even[] = {4, 1, 3, 2}, ties[] = {1, 2, 2, 2, 5}, even_ties[] = {5, 2, 1, 2}, one[] = {7};
  assert_close(Median(3, odd, NULL), 2, 0, 0);
  assert_close(Median(4, even, NULL), 2.5, 0, 0); /* mean of the two middle values */
  assert_close(Median(5, ties, NULL), 2, 0, 0);
  assert_close(Median(4, even_ties, NULL), 2, 0, 0); /* both middle values are 2 */
  assert_close(Median(1, one, NULL), 7, 0, 0);
}

static void median_weights(void **state)
{
  const PetscReal x[] = {1, 2, 3}, w[] = {1, 1, 3};
  const PetscReal y[] = {10, 1, 2}, v[] = {2, 1, 1}; /* W = 4: cumulative 1, 2 (= W/2), 4 */
  const PetscReal ones[] = {1, 1, 1, 1}, even[] = {4, 1, 3, 2};
  assert_close(Median(3, x, w), 3, 0, 0);                /* the heavy voter alone is > W/2 */
  assert_close(Median(3, y, v), 6, 0, 0);                /* exactly W/2 below 10: (2 + 10) / 2 */
  assert_close(Median(4, even, ones), Median(4, even, NULL), 0, 0);
}

static void median_errors(void **state)
{
  const PetscReal x[] = {1, 2}, w[] = {1, 0};
  PetscReal       m;
  PetscPushErrorHandler(Quiet, NULL);
  assert_int_not_equal(StkVoteWeightedMedian(0, x, NULL, &m), 0);
  assert_int_not_equal(StkVoteWeightedMedian(2, x, w, &m), 0);
  PetscPopErrorHandler();
}

/* Candidates 0, 1, 2 on a line; voters at 0, 2 and 1.1: rankings (0 1 2), (2 1 0),
 * (1 2 0) give 2 + 0 + 0, 1 + 1 + 2, 0 + 2 + 1 points. */
static void borda_scores(void **state)
{
  const PetscReal cand[] = {0, 1, 2}, ideal[] = {0, 2, 1.1};
  PetscReal       score[3];
  PetscInt        win;
  assert_petsc(StkVoteBorda(3, 1, ideal, NULL, 3, cand, score, &win));
  assert_close(score[0], 2, 0, 0);
  assert_close(score[1], 4, 0, 0);
  assert_close(score[2], 3, 0, 0);
  assert_int_equal(win, 1);
}

/* A voter at 0.5 between candidates 0 and 1 gives each half a point above 2 (1.5, 1.5,
 * 0); tied totals go to the lowest index; weights break them. */
static void borda_ties_and_weights(void **state)
{
  const PetscReal cand[] = {0, 1, 2}, mid[] = {0.5}, two[] = {0, 1}, w[] = {1, 2};
  PetscReal       score[3];
  PetscInt        win;
  assert_petsc(StkVoteBorda(1, 1, mid, NULL, 3, cand, score, &win));
  assert_close(score[0], 1.5, 0, 0);
  assert_close(score[1], 1.5, 0, 0);
  assert_close(score[2], 0, 0, 0);
  assert_int_equal(win, 0);
  assert_petsc(StkVoteBorda(2, 1, two, NULL, 2, cand, score, &win)); /* 1 : 1 */
  assert_int_equal(win, 0);
  assert_petsc(StkVoteBorda(2, 1, two, w, 2, cand, score, &win)); /* 1 : 2 */
  assert_close(score[1], 2, 0, 0);
  assert_int_equal(win, 1);
  PetscPushErrorHandler(Quiet, NULL);
  assert_int_not_equal(StkVoteBorda(2, 1, two, NULL, 0, cand, score, &win), 0); /* empty menu */
  PetscPopErrorHandler();
}

/* The three rules on two voters: a light one at (0.4, 20) and a heavy one at (0.7, 5). */
static void vote_rules(void **state)
{
  PetscReal       ideal[4], w[] = {1, 3}, menu[] = {0.4, 20, 0.7, 5}, s, wu;
  StkGovernToPreference(0.4, 20, &ideal[0]);
  StkGovernToPreference(0.7, 5, &ideal[2]);
  assert_petsc(StkGovernVote(STK_GOVERN_TOKEN_MEDIAN, 2, ideal, w, 0, NULL, &s, &wu));
  assert_close(s, 0.7, 1e-14, 0);
  assert_close(wu, 5, 1e-14, 0);
  assert_petsc(StkGovernVote(STK_GOVERN_HOLDER_MEDIAN, 2, ideal, w, 0, NULL, &s, &wu));
  assert_close(s, 0.55, 1e-14, 0);
  assert_close(wu, 10, 1e-14, 0); /* the mean in ln w_u: the geometric mean */
  assert_petsc(StkGovernVote(STK_GOVERN_BORDA, 2, ideal, w, 2, menu, &s, &wu));
  assert_close(s, 0.7, 0, 0);
  assert_close(wu, 5, 0, 0);
  PetscPushErrorHandler(Quiet, NULL);
  assert_int_not_equal(StkGovernVote(STK_GOVERN_BORDA, 2, ideal, w, 0, menu, &s, &wu), 0);
  PetscPopErrorHandler();
}

/* Every voter at (0.63, 12), within the trust region of the fixed (0.6, 10): the first
 * round's objective is theirs under each rule; with learning rate 0 it stays there. */
static void identical_voters(void **state)
{
  const char *rules[] = {"token_median", "holder_median", "borda"};
  for (int r = 0; r < 3; r++) {
    StkGovern             gv;
    PetscInt              n;
    const StkGovernRound *traj;
    PetscReal             s0, w0;

    assert_petsc(PetscOptionsClearValue(NULL, "-govern_learning_rate"));
    assert_petsc(PetscOptionsSetValue(NULL, "-govern_rule", rules[r]));
    assert_petsc(PetscOptionsSetValue(NULL, "-govern_staker_ideal", "0.63:12"));
    assert_petsc(PetscOptionsSetValue(NULL, "-govern_holder_ideal", "0.63:12"));
    assert_petsc(PetscOptionsSetValue(NULL, "-govern_ideal_spread", "0"));
    assert_petsc(PetscOptionsSetValue(NULL, "-govern_menu", "0.5:5,0.63:12,0.7:20"));
    assert_petsc(PetscOptionsSetValue(NULL, "-govern_rounds", "3"));
    assert_petsc(PetscOptionsSetValue(NULL, "-govern_voters", "9"));
    assert_petsc(PetscOptionsSetValue(NULL, "-govern_eval_paths", "2"));
    assert_petsc(PetscOptionsSetValue(NULL, "-govern_learning_rate", "0"));
    assert_petsc(StkGovernCreate(PETSC_COMM_WORLD, &gv));
    assert_petsc(StkGovernSetFromOptions(gv));
    assert_petsc(StkGovernSetUp(gv));
    assert_petsc(StkGovernRun(gv, "test_govern_identical"));
    assert_petsc(StkGovernGetTrajectory(gv, &n, &traj, &s0, &w0));
    assert_int_equal(n, 3);
    assert_close(s0, 0.6, 0, 0);
    assert_close(w0, 10, 0, 0);
    for (PetscInt k = 0; k < n; k++) {
      assert_close(traj[k].sbar, 0.63, 1e-13, 0);
      assert_close(traj[k].w_u, 12, 1e-13, 0);
    }
    assert_true(traj[0].policy_change > 0); /* the first round re-planned */
    assert_close(traj[1].policy_change, 0, 0, 1e-12);
    assert_petsc(StkGovernDestroy(&gv));
  }
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(median_counts_and_ties), cmocka_unit_test(median_weights), cmocka_unit_test(median_errors), cmocka_unit_test(borda_scores),
  cmocka_unit_test(borda_ties_and_weights), cmocka_unit_test(vote_rules),     cmocka_unit_test(identical_voters),
};

STK_TEST_MAIN(tests)
