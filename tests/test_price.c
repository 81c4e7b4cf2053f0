/* The token price (agents/stk_price.h) and its metrics (experiments/stk_price_metrics.h):
 * bonding curves against hand values, their inverses and log slopes; bad parameters;
 * the Herfindahl index of stake against a direct sum; the mean-field drift of ln P
 * against the agent-based average for growing N; volatility, entropy, resilience and
 * recovery on hand-made paths; the same price path on any number of ranks.  Seeds
 * are fixed, so every figure is deterministic. */
#include "stk_test.h"
#include <string.h>
#include "stk_price.h"
#include "stk_price_metrics.h"

#define E_ 2.718281828459045235360287

static StkBondingCurve Curve(StkCurveType type, PetscReal a, PetscReal b, PetscReal c)
{
  StkBondingCurve cv = {type, {a, b, c}};
  return cv;
}

static void test_curve_hand_values(void **state)
{
  const StkBondingCurve lin = Curve(STK_CURVE_LINEAR, 2, 1, 0), lg = Curve(STK_CURVE_LOG, 2, 0, 0);
  const StkBondingCurve ex = Curve(STK_CURVE_EXP, 0.5, 0.1, 0), sg = Curve(STK_CURVE_SIGMOID, 2, 1, 5);

  assert_close(StkBondingCurvePrice(&lin, 3), 7, 1e-15, 0);
  assert_close(StkBondingCurvePrice(&lg, E_ - 1), 2, 1e-15, 0);
  assert_close(StkBondingCurvePrice(&ex, 10), 0.5 * E_, 1e-15, 0);
  assert_close(StkBondingCurvePrice(&sg, 5), 1, 1e-15, 0);
  assert_close(StkBondingCurvePrice(&sg, 5 + PetscLogReal(3)), 1.5, 1e-15, 0);
  /* inverses at the same points */
  assert_close(StkBondingCurveSupply(&lin, 7), 3, 1e-15, 0);
  assert_close(StkBondingCurveSupply(&lg, 2), E_ - 1, 1e-15, 0);
  assert_close(StkBondingCurveSupply(&ex, 0.5 * E_), 10, 1e-14, 0);
  assert_close(StkBondingCurveSupply(&sg, 1.5), 5 + PetscLogReal(3), 1e-15, 0);
  /* outside the range: NaN */
  assert_true(PetscIsNanReal(StkBondingCurveSupply(&lin, 0.5)));
  assert_true(PetscIsNanReal(StkBondingCurveSupply(&ex, 0.4)));
  assert_true(PetscIsNanReal(StkBondingCurveSupply(&sg, 2)));
  assert_true(PetscIsNanReal(StkBondingCurveSupply(&lg, -1)));
}

/* f^{-1}(f(S)) = S over four decades, and d ln f/dS against a centred difference. */
static void test_curve_round_trip(void **state)
{
  const StkBondingCurve c[4] = {Curve(STK_CURVE_LINEAR, 1e-3, 0.2, 0), Curve(STK_CURVE_LOG, 0.145, 0, 0), Curve(STK_CURVE_EXP, 0.5, 6.93e-4, 0), Curve(STK_CURVE_SIGMOID, 2, 2e-3, 1000)};

  for (int k = 0; k < 4; k++) {
    assert_petsc(StkBondingCurveCheck(&c[k], "-price_curve_params"));
    for (PetscReal S = 1; S <= 3000; S *= 1.7) {
      const PetscReal h = 1e-4 * S, fd = (PetscLogReal(StkBondingCurvePrice(&c[k], S + h)) - PetscLogReal(StkBondingCurvePrice(&c[k], S - h))) / (2 * h);
      assert_close(StkBondingCurveSupply(&c[k], StkBondingCurvePrice(&c[k], S)), S, 1e-9, 0);
      assert_close(StkBondingCurveLogSlope(&c[k], S), fd, 1e-6, 0);
    }
  }
}

/* Non-positive parameters of every family and an unknown curve name: user-input errors. */
static void test_curve_bad_params(void **state)
{
  const StkBondingCurve bad[6] = {Curve(STK_CURVE_LINEAR, 0, 1, 0), Curve(STK_CURVE_LINEAR, 1, -1, 0), Curve(STK_CURVE_LOG, -2, 0, 0), Curve(STK_CURVE_EXP, 1, 0, 0), Curve(STK_CURVE_SIGMOID, 2, 1, 0), Curve(STK_CURVE_EXP, NAN, 1, 0)};
  StkPriceParams        p;
  PetscBool             on;

  assert_petsc(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  for (int k = 0; k < 6; k++) assert_int_equal(StkBondingCurveCheck(&bad[k], "-price_curve_params"), PETSC_ERR_USER_INPUT);
  assert_petsc(StkPriceParamsDefault(&p));
  assert_petsc(PetscOptionsSetValue(NULL, "-t_price_curve", "cubic"));
  assert_int_equal(StkPriceParamsFromOptions("t_", &p, &on), PETSC_ERR_USER_INPUT);
  assert_petsc(PetscOptionsSetValue(NULL, "-t_price_curve", "exp"));
  assert_petsc(PetscOptionsSetValue(NULL, "-t_price_curve_params", "1,-2"));
  assert_int_equal(StkPriceParamsFromOptions("t_", &p, &on), PETSC_ERR_USER_INPUT);
  assert_petsc(PetscOptionsSetValue(NULL, "-t_price_curve_params", "1,2,3"));
  assert_int_equal(StkPriceParamsFromOptions("t_", &p, &on), PETSC_ERR_USER_INPUT);
  assert_petsc(PetscOptionsSetValue(NULL, "-t_price_curve_params", "1,2"));
  assert_petsc(PetscOptionsSetValue(NULL, "-t_price_wealth_shape", "1"));
  assert_int_equal(StkPriceParamsFromOptions("t_", &p, &on), PETSC_ERR_USER_INPUT);
  assert_petsc(PetscOptionsClearValue(NULL, "-t_price_wealth_shape"));
  assert_petsc(PetscOptionsSetValue(NULL, "-t_price", NULL));
  assert_petsc(StkPriceParamsFromOptions("t_", &p, &on));
  assert_true(on && p.curve.type == STK_CURVE_EXP && p.curve.p[0] == 1 && p.curve.p[1] == 2);
  assert_petsc(PetscOptionsClearValue(NULL, "-t_price_curve"));
  assert_petsc(PetscOptionsClearValue(NULL, "-t_price_curve_params"));
  assert_petsc(PetscOptionsClearValue(NULL, "-t_price"));
  assert_petsc(PetscPopErrorHandler());
}

/* Every holder stakes: the stake HHI is sum x^2 / (sum x)^2 over all holdings; equal
 * holdings would give 1/N, Pareto(1.5) holdings a far larger index. */
static void test_hhi_holdings(void **state)
{
  const PetscInt64 N = 2000;
  StkPriceParams   p;
  StkPrice         pr;
  StkPriceState    st;
  const PetscReal *x;
  PetscReal        X, s1 = 0, s2 = 0;
  uint8_t          all[2000];

  memset(all, 1, sizeof(all));
  assert_petsc(StkPriceParamsDefault(&p));
  assert_petsc(StkPriceCreate(PETSC_COMM_SELF, &p, N, 0, N, 7, &pr));
  assert_petsc(StkPriceReset(pr, 0));
  assert_petsc(StkPriceStep(pr, 0, 1.0 / 365, 1, 0.03, all, &st));
  assert_petsc(StkPriceGetHoldings(pr, &x, &X));
  for (PetscInt64 i = 0; i < N; i++) s1 += x[i], s2 += x[i] * x[i];
  assert_close(X, s1, 1e-12, 0);
  assert_close(st.hhi, s2 / (s1 * s1), 1e-12, 0);
  assert_true(st.hhi > 5.0 / N);
  /* nobody stakes: the index of an empty stake is 1 by convention; q = non-stakers' trades */
  memset(all, 0, sizeof(all));
  assert_petsc(StkPriceStep(pr, 1, 1.0 / 365, 0, 0.03, all, &st));
  assert_close(st.hhi, 1, 0, 0);
  assert_petsc(StkPriceDestroy(&pr));
}

/* The mean-field drift of ln P against the agent-based average: per step,
 * e_n = Delta ln P / dt - StkPriceLogDrift(S_n, s, u) (no market noise, so only the
 * holders' staking draws and trades are random).  Its mean lies within 4 standard
 * errors of 0 for every N, and its spread shrinks like 1/sqrt(N) (lognormal holdings:
 * sum of squared shares ~ e^{sigma^2} / N). */
static void test_mean_field_drift(void **state)
{
  const PetscInt  K = 400, Ns[3] = {1000, 10000, 100000};
  const PetscReal dt = 1.0 / 365, s = 0.6, u = 0.03;
  PetscReal       spread[3];
  StkPriceParams  p;

  assert_petsc(StkPriceParamsDefault(&p));
  p.noise        = 0;
  p.wealth       = STK_WEALTH_LOGNORMAL;
  p.wealth_shape = 1;
  p.demand       = 1100; /* the market-interaction term is active */
  for (int k = 0; k < 3; k++) {
    StkPrice      pr;
    StkPriceState st;
    PetscReal     sum = 0, sum2 = 0, mean, sd, lnP, S, m;
    assert_petsc(StkPriceCreate(PETSC_COMM_SELF, &p, Ns[k], 0, Ns[k], 11, &pr));
    assert_petsc(StkPriceReset(pr, 0));
    assert_petsc(StkPriceGetState(pr, &st));
    lnP = PetscLogReal(st.P), S = st.S, m = st.m;
    for (PetscInt n = 0; n < K; n++) {
      PetscReal e;
      assert_petsc(StkPriceStep(pr, (uint32_t)n, dt, s, u, NULL, &st));
      e   = (PetscLogReal(st.P) - lnP) / dt - StkPriceLogDrift(&p, S, m, s, u);
      lnP = PetscLogReal(st.P), S = st.S, m = st.m;
      sum += e, sum2 += e * e;
    }
    mean      = sum / K;
    sd        = PetscSqrtReal((sum2 - K * mean * mean) / (K - 1));
    spread[k] = sd;
    print_message("N = %6d: mean gap %+.3e 1/yr, standard error %.3e, spread %.3e\n", (int)Ns[k], (double)mean, (double)(sd / PetscSqrtReal(K)), (double)sd);
    assert_true(PetscAbsReal(mean) < 4 * sd / PetscSqrtReal(K));
    assert_petsc(StkPriceDestroy(&pr));
  }
  for (int k = 0; k < 2; k++) {
    const PetscReal ratio = spread[k] / spread[k + 1];
    assert_true(ratio > PetscSqrtReal(10) / 1.5 && ratio < PetscSqrtReal(10) * 1.5);
  }
}

static void PathFromReturns(PetscInt n, const PetscReal r[], PetscReal P[])
{
  P[0] = 1;
  for (PetscInt i = 0; i < n; i++) P[i + 1] = P[i] * PetscExpReal(r[i]);
}

/* Returns 0, 1, ..., 7 (x 0.01): quartiles 1.75 and 5.25, Freedman-Diaconis width
 * 2 x 3.5 / 2 = 3.5 on a range of 7: two bins of 4, entropy ln 2; a flat path: 0. */
static void test_entropy_volatility(void **state)
{
  PetscReal r[8], P[9], m[STK_PRICE_METRIC_COUNT], H, flat[5] = {2, 2, 2, 2, 2};
  PetscInt  nb;

  for (int i = 0; i < 8; i++) r[i] = 0.01 * i;
  assert_petsc(StkReturnEntropy(8, r, &H, &nb));
  assert_int_equal(nb, 2);
  assert_close(H, PetscLogReal(2), 1e-15, 0);
  PathFromReturns(8, r, P);
  assert_petsc(StkPricePathMetrics(8, P, 0.25, -1, 8, 0.1, 0, 0.5, m));
  assert_close(m[STK_PRICE_METRIC_ENTROPY], PetscLogReal(2), 1e-12, 0);
  /* sample variance of 0.01 x (0..7) is 6e-4; per dt = 0.25 */
  assert_close(m[STK_PRICE_METRIC_VOLATILITY], PetscSqrtReal(6e-4 / 0.25), 1e-10, 0);
  assert_close(m[STK_PRICE_METRIC_HERFINDAHL], 0.5, 0, 0);
  assert_petsc(StkPricePathMetrics(4, flat, 1, -1, 4, 0.1, 0, 0, m));
  assert_close(m[STK_PRICE_METRIC_VOLATILITY], 0, 0, 0);
  assert_close(m[STK_PRICE_METRIC_ENTROPY], 0, 0, 0);
  assert_close(m[STK_PRICE_METRIC_MEAN_PRICE], 2, 0, 0);
  assert_true(PetscIsInfReal(m[STK_PRICE_METRIC_RESILIENCE]));
}

/* A crash at step 3 halves the price, which doubles back two steps later: over a
 * window of 4 steps the mean |Delta ln P| is ln 2 / 2, R = 2 / ln 2; back within the
 * band at record 6, recovery 3 dt (also with a hold of 2 dt: records 6, 7, 8). */
static void test_resilience_recovery(void **state)
{
  const PetscReal P[10] = {1, 1, 1, 1, 0.5, 0.5, 1, 1, 1, 1}, low[10] = {1, 1, 1, 1, 0.5, 0.5, 0.6, 0.7, 0.8, 0.85};
  const PetscReal dt = 0.1;
  PetscReal       m[STK_PRICE_METRIC_COUNT];

  assert_petsc(StkPricePathMetrics(9, P, dt, 3, 4, 0.1, 0, 0, m));
  assert_close(m[STK_PRICE_METRIC_RESILIENCE], 2 / PetscLogReal(2), 1e-14, 0);
  assert_close(m[STK_PRICE_METRIC_RECOVERY_TIME], 3 * dt, 1e-14, 0);
  assert_close(m[STK_PRICE_METRIC_RECOVERY_CENSORED], 0, 0, 0);
  assert_petsc(StkPricePathMetrics(9, P, dt, 3, 4, 0.1, 2 * dt, 0, m));
  assert_close(m[STK_PRICE_METRIC_RECOVERY_TIME], 3 * dt, 1e-14, 0);
  /* a hold of 4 dt needs 5 records in the band, records 6..9 are 4: censored at the time left, 6 dt */
  assert_petsc(StkPricePathMetrics(9, P, dt, 3, 4, 0.1, 4 * dt, 0, m));
  assert_close(m[STK_PRICE_METRIC_RECOVERY_TIME], 6 * dt, 1e-14, 0);
  assert_close(m[STK_PRICE_METRIC_RECOVERY_CENSORED], 1, 0, 0);
  assert_petsc(StkPricePathMetrics(9, low, dt, 3, 4, 0.1, 0, 0, m));
  assert_close(m[STK_PRICE_METRIC_RECOVERY_CENSORED], 1, 0, 0);
  /* the window's returns ln 0.5, 0, ln 1.2, ln(7/6) */
  assert_close(m[STK_PRICE_METRIC_RESILIENCE], 4 / (PetscLogReal(2) + PetscLogReal(1.2) + PetscLogReal(7.0 / 6)), 1e-14, 0);
}

/* A price path with both shocks on PETSC_COMM_WORLD (holders split over the ranks)
 * equals, bit for bit, the same path computed by one rank alone. */
static void test_ranks_bitwise(void **state)
{
  const PetscInt64 N = 5001;
  const PetscInt   K = 60;
  PetscMPIInt      rank, size;
  StkPriceParams   p;
  StkPrice         pw, ps;
  PetscReal        s[60], u[60], Pw[61], Ps[61], hw, hs;

  assert_petsc(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  assert_petsc(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  assert_petsc(StkPriceParamsDefault(&p));
  p.crash_time = 10.0 / 365, p.dump_time = 30.0 / 365;
  for (PetscInt n = 0; n < K; n++) s[n] = 0.5 + 0.002 * n, u[n] = 0.03 + 0.0005 * n;
  assert_petsc(StkPriceCreate(PETSC_COMM_WORLD, &p, N, N * rank / size, N * (rank + 1) / size, 99, &pw));
  assert_petsc(StkPriceRunPath(pw, 3, 1.0 / 365, K, s, u, Pw, &hw));
  assert_petsc(StkPriceCreate(PETSC_COMM_SELF, &p, N, 0, N, 99, &ps));
  assert_petsc(StkPriceRunPath(ps, 3, 1.0 / 365, K, s, u, Ps, &hs));
  assert_memory_equal(Pw, Ps, sizeof(Pw));
  assert_memory_equal(&hw, &hs, sizeof(hw));
  /* the crash takes 30 % off the market factor at step 10 */
  assert_true(Pw[11] < 0.8 * Pw[10]);
  assert_petsc(StkPriceDestroy(&pw));
  assert_petsc(StkPriceDestroy(&ps));
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(test_curve_hand_values),
  cmocka_unit_test(test_curve_round_trip),
  cmocka_unit_test(test_curve_bad_params),
  cmocka_unit_test(test_hhi_holdings),
  cmocka_unit_test(test_mean_field_drift),
  cmocka_unit_test(test_entropy_volatility),
  cmocka_unit_test(test_resilience_recovery),
  cmocka_unit_test(test_ranks_bitwise),
};

STK_TEST_MAIN(tests)
