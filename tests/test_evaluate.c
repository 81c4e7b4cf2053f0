/* Policy evaluation (experiments/stk_evaluate.h): the metrics against hand-computed values
 * on a constructed path and on a noiseless SDE path that follows the Euler scheme of
 * the ODE ds/dt = b(s, u), and the results on any number of ranks against a serial
 * evaluation on each rank. */
#include "stk_test.h"
#include "stk_evaluate.h"
#include <string.h>

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

static PetscErrorCode ModelCreate(MPI_Comm comm, StkModel *model)
{
  PetscFunctionBeginUser;
  PetscCall(StkModelCreate(comm, model));
  PetscCall(StkModelSetType(*model, STK_MODEL_STAKING));
  PetscCall(StkModelSetFromOptions(*model));
  PetscCall(StkModelSetUp(*model));
  PetscFunctionReturn(0);
}

static PetscErrorCode EvaluateCreate(MPI_Comm comm, StkModel model, StkEvaluate *ev)
{
  PetscFunctionBeginUser;
  PetscCall(StkEvaluateCreate(comm, ev));
  PetscCall(StkEvaluateSetModel(*ev, model));
  PetscCall(StkEvaluateSetFromOptions(*ev));
  PetscCall(StkEvaluateSetUp(*ev));
  PetscFunctionReturn(0);
}

/* The metrics' context of a path spaced dt = 0.1 yr apart (sbar 0.6, band 0.02). */
static StkMetricContext Context(StkModel model, PetscReal hold, PetscReal t_shock, PetscInt n_agents)
{
  StkMetricContext mc = {model, 0.6, 0, 0.1, t_shock, 0.02, hold, n_agents};

  assert_petsc(StkModelGetDiscount(model, &mc.rho));
  return mc;
}

/* Five records 0.1 yr apart, metrics by hand (default cost: w_s 1, w_u 10, ubar 0.03,
 * eta 0, rho 0.05; sbar 0.6). */
static void test_path_metrics_by_hand(void **state)
{
  StkModel         model;
  PetscReal        t[5] = {0, 0.1, 0.2, 0.3, 0.4}, s[5] = {0.6, 0.61, 0.7, 0.55, 0.605}, z[5] = {0}, u[5] = {0.03, 0.05, 0.01, 0.03, 0.09};
  StkSimPath       path = {t, s, z, u};
  StkMetricContext mc;
  PetscReal        m[STK_METRIC_COUNT], cost = 0, um = 0.03, uv = 0;

  WITH_OPTIONS("-dim 1", ModelCreate(PETSC_COMM_SELF, &model));
  /* hold 0.15 yr = 2 intervals: records 3.. are out, so no run of 3 in-band records
   * after a shock at t = 0.1 (records 1, 2: 0.61 in, 0.7 out): censored */
  mc = Context(model, 0.15, 0.1, 1000);
  assert_petsc(StkPathMetrics(&mc, 4, &path, m));
  assert_close(m[STK_METRIC_TRACKING_RMSE], sqrt((0.0 + 1e-4 + 1e-2 + 25e-4) / 4), 1e-14, 0);
  assert_close(m[STK_METRIC_TRACKING_MAE], (0.0 + 0.01 + 0.1 + 0.05) / 4, 1e-14, 0);
  assert_close(m[STK_METRIC_TIME_IN_BAND], 0.5, 0, 0); /* 0.6 and 0.61 */
  assert_close(m[STK_METRIC_MEAN_S], (0.6 + 0.61 + 0.7 + 0.55) / 4, 1e-14, 0);
  assert_close(m[STK_METRIC_FINAL_S], 0.605, 0, 0);
  assert_close(m[STK_METRIC_MEAN_U], um, 1e-14, 0);
  for (int k = 0; k < 4; k++) uv += (u[k] - um) * (u[k] - um) / 4;
  assert_close(m[STK_METRIC_STD_U], sqrt(uv), 1e-13, 0); /* sqrt(0.0002) */
  for (int k = 0; k < 4; k++) cost += exp(-0.05 * t[k]) * ((s[k] - 0.6) * (s[k] - 0.6) + 10 * (u[k] - 0.03) * (u[k] - 0.03)) * 0.1;
  assert_close(m[STK_METRIC_DISCOUNTED_COST], cost, 1e-13, 0);
  assert_close(m[STK_METRIC_RECOVERY_CENSORED], 1, 0, 0);
  assert_close(m[STK_METRIC_RECOVERY_TIME], 0.3, 1e-14, 0); /* time left after the shock */
  assert_close(m[STK_METRIC_HERFINDAHL], (1.0 / 600 + 1.0 / 610 + 1.0 / 700 + 1.0 / 550) / 4, 1e-14, 0);
  /* hold 0.05 yr = 1 interval, no shock: records 0, 1 in band -> recovered at t = 0 */
  mc = Context(model, 0.05, (PetscReal)NAN, 0);
  assert_petsc(StkPathMetrics(&mc, 4, &path, m));
  assert_close(m[STK_METRIC_RECOVERY_TIME], 0, 0, 0);
  assert_close(m[STK_METRIC_RECOVERY_CENSORED], 0, 0, 0);
  assert_true(PetscIsNanReal(m[STK_METRIC_HERFINDAHL]));
  /* with the shock at t = 0.3: records 3 (out), 4 (in) and no record after: censored */
  mc = Context(model, 0.05, 0.3, 0);
  assert_petsc(StkPathMetrics(&mc, 4, &path, m));
  assert_close(m[STK_METRIC_RECOVERY_CENSORED], 1, 0, 0);
  assert_close(m[STK_METRIC_RECOVERY_TIME], 0.1, 1e-14, 0);
  /* the shock at t = 0.2 with no hold: records 2, 3 out, 4 in -> recovered 0.2 yr after */
  mc = Context(model, 0, 0.2, 0);
  assert_petsc(StkPathMetrics(&mc, 4, &path, m));
  assert_close(m[STK_METRIC_RECOVERY_CENSORED], 0, 0, 0);
  assert_close(m[STK_METRIC_RECOVERY_TIME], 0.2, 1e-14, 0);
  assert_petsc(StkModelDestroy(&model));
}

/* sigma0 = 0, z frozen, constant u = ubar from s0 = 0.3: the path is the Euler
 * recursion s_{n+1} = s_n + dt b(s_n, ubar), recomputed here, and so are the metrics. */
static void check_ode_path(PetscReal sbar, PetscReal *recovery, PetscReal *censored)
{
  const PetscReal        dt = 1.0 / 365, T = 3, u = 0.03, hold = 30 / STK_DAYS_PER_YEAR;
  const PetscInt         N  = 3 * 365;
  StkModel               model;
  StkEvaluate            ev;
  StkPopulation          pop;
  const StkAgentParams  *p;
  const PetscReal       *v;
  const char *const     *names;
  PetscInt               M, nm, run0 = -1, m = (PetscInt)ceil(hold / dt - 1e-9);
  PetscReal              s = 0.3, sq = 0, band = 0, cost = 0, rec = T, cen = 1;
  char                   opts[256];

  snprintf(opts, sizeof(opts), "-dim 1 -agents_sigma0 0 -hjb_sbar %g -sim_type sde -sim_t_final %g -eval_paths 3 -eval_start fixed -eval_s0 0.3", (double)sbar, (double)T);
  WITH_OPTIONS(opts, ModelCreate(PETSC_COMM_WORLD, &model));
  WITH_OPTIONS(opts, EvaluateCreate(PETSC_COMM_WORLD, model, &ev));
  assert_petsc(StkEvaluateSetPolicy(ev, StkPolicyConstant, NULL, (void *)&u, 0));
  assert_petsc(StkEvaluateRun(ev));
  assert_petsc(StkEvaluateGetMetrics(ev, &M, &nm, &names, &v));
  assert_int_equal(M, 3);
  assert_int_equal(nm, STK_METRIC_COUNT);
  assert_string_equal(names[STK_METRIC_DISCOUNTED_COST], "discounted_cost");
  assert_petsc(StkModelStakingGetPopulation(model, &pop));
  assert_petsc(StkPopulationGetParams(pop, &p));
  for (PetscInt n = 0; n <= N; n++) {
    const PetscReal e = s - sbar;
    if (n < N) {
      sq += e * e / N;
      band += (fabs(e) <= 0.02) / (double)N;
      cost += exp(-0.05 * n * dt) * e * e * dt; /* u = ubar: no issuance cost */
    }
    if (fabs(e) < 0.02) {
      if (run0 < 0) run0 = n;
      if (n - run0 >= m && cen == 1) rec = run0 * dt, cen = 0;
    } else run0 = -1;
    s += dt * StkAgentsDrift(p, s, p->zbar, u);
  }
  for (PetscInt q = 0; q < M; q++) { /* no noise: every path is the same */
    const PetscReal *mq = v + q * nm;
    assert_close(mq[STK_METRIC_TRACKING_RMSE], sqrt(sq), 1e-12, 0);
    assert_close(mq[STK_METRIC_TIME_IN_BAND], band, 1e-12, 0);
    assert_close(mq[STK_METRIC_MEAN_U], u, 1e-13, 0); /* a sum of 1095 equal terms */
    assert_close(mq[STK_METRIC_STD_U], 0, 0, 1e-14);
    assert_close(mq[STK_METRIC_DISCOUNTED_COST], cost, 1e-12, 0);
    assert_close(mq[STK_METRIC_RECOVERY_TIME], rec, 1e-12, 0);
    assert_close(mq[STK_METRIC_RECOVERY_CENSORED], cen, 0, 0);
  }
  *recovery = rec, *censored = cen;
  assert_petsc(StkEvaluateDestroy(&ev));
  assert_petsc(StkModelDestroy(&model));
}

static void test_ode_path(void **state)
{
  PetscReal rec, cen;

  check_ode_path(0.54, &rec, &cen); /* the equilibrium at ubar is about 0.55: reached */
  print_message("ODE path to sbar 0.54: recovery %.4f yr\n", (double)rec);
  assert_true(cen == 0 && rec > 0.1 && rec < 3);
  check_ode_path(0.70, &rec, &cen); /* never within 0.02 of 0.70: censored at T */
  assert_true(cen == 1);
  assert_close(rec, 3, 1e-12, 0);
}

/* The paths over the ranks of COMM_WORLD against all of them on COMM_SELF: bitwise
 * equal (run under mpiexec -n 2 and 3 by the mpi suite).  A stateful policy (Cosmos)
 * and the abm check the per-path state and the environment. */
static void check_ranks(const char env_options[], const char policy_options[])
{
  StkModel    model;
  StkEvaluate ev_world, ev_self;
  StkPolicy   policy;
  StkPolicyFn fn;
  StkPolicyResetFn reset;
  void       *ctx;
  size_t      size;
  const PetscReal *vw, *vs;
  PetscInt    M, nm;
  char        opts[512];

  snprintf(opts, sizeof(opts), "-dim 2 -eval_paths 7 -sim_t_final 1 -sim_shock_t 0.5 -sim_shock_frac 0.2 %s %s", env_options, policy_options);
  WITH_OPTIONS(opts, ModelCreate(PETSC_COMM_WORLD, &model));
  WITH_OPTIONS(opts, EvaluateCreate(PETSC_COMM_WORLD, model, &ev_world));
  WITH_OPTIONS(opts, EvaluateCreate(PETSC_COMM_SELF, model, &ev_self));
  assert_petsc(StkPolicyCreate(PETSC_COMM_WORLD, &policy));
  assert_petsc(StkPolicySetModel(policy, model));
  WITH_OPTIONS(opts, StkPolicySetFromOptions(policy));
  assert_petsc(StkPolicyGetFunction(policy, &fn, &reset, &ctx, &size));
  assert_petsc(StkEvaluateSetPolicy(ev_world, fn, reset, ctx, size));
  assert_petsc(StkEvaluateSetPolicy(ev_self, fn, reset, ctx, size));
  assert_petsc(StkEvaluateRun(ev_world));
  assert_petsc(StkEvaluateRun(ev_self));
  assert_petsc(StkEvaluateGetMetrics(ev_world, &M, &nm, NULL, &vw));
  assert_petsc(StkEvaluateGetMetrics(ev_self, NULL, NULL, NULL, &vs));
  for (PetscInt i = 0; i < M * nm; i++) {
    if (PetscIsNanReal(vs[i])) assert_true(PetscIsNanReal(vw[i]));
    else assert_true(vw[i] == vs[i]);
  }
  /* the starts are spread: the paths differ */
  assert_true(vw[0 * nm + STK_METRIC_DISCOUNTED_COST] != vw[6 * nm + STK_METRIC_DISCOUNTED_COST]);
  print_message("%s %s: path 0 cost %.6e rmse %.4f, path 6 cost %.6e\n", env_options, policy_options, (double)vw[STK_METRIC_DISCOUNTED_COST], (double)vw[STK_METRIC_TRACKING_RMSE], (double)vw[6 * nm + STK_METRIC_DISCOUNTED_COST]);
  assert_petsc(StkPolicyDestroy(&policy));
  assert_petsc(StkEvaluateDestroy(&ev_self));
  assert_petsc(StkEvaluateDestroy(&ev_world));
  assert_petsc(StkModelDestroy(&model));
}

static void test_ranks_sde(void **state)
{
  check_ranks("-sim_type sde", "-policy proportional");
}

static void test_ranks_abm_stateful(void **state)
{
  check_ranks("-sim_type abm -sim_n 2000", "-policy cosmos");
}

/* Bad options name the option and the value. */
static void test_bad_options(void **state)
{
  StkModel    model;
  StkEvaluate ev;
  PetscOptions db;
  PetscErrorCode ierr;

  WITH_OPTIONS("-dim 1", ModelCreate(PETSC_COMM_WORLD, &model));
  assert_petsc(PetscOptionsCreate(&db));
  assert_petsc(PetscOptionsInsertString(db, "-eval_paths 0"));
  assert_petsc(PetscOptionsPush(db));
  assert_petsc(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = EvaluateCreate(PETSC_COMM_WORLD, model, &ev);
  assert_petsc(PetscPopErrorHandler());
  assert_petsc(PetscOptionsPop());
  assert_petsc(PetscOptionsDestroy(&db));
  assert_int_equal(ierr, PETSC_ERR_ARG_OUTOFRANGE);
  assert_petsc(StkEvaluateDestroy(&ev));
  assert_petsc(StkModelDestroy(&model));
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(test_path_metrics_by_hand),
  cmocka_unit_test(test_ode_path),
  cmocka_unit_test(test_ranks_sde),
  cmocka_unit_test(test_ranks_abm_stateful),
  cmocka_unit_test(test_bad_options),
};

STK_TEST_MAIN(tests)
