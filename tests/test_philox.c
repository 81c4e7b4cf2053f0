/* The counter-based generator (agents/stk_philox.h): Random123's known-answer
 * vectors for Philox4x32-10, counter purity, and moments and goodness of fit of the
 * uniform, normal, binomial and Poisson draws.  Seeds are fixed, so every figure is
 * deterministic; the bounds are 4-5 standard errors, far from what a wrong sampler
 * gives (a 1 % bias in a mean or a wrong tail shifts them by tens of errors). */
#include "stk_test.h"
#include <stdlib.h>
#include "stk_philox.h"

static void test_philox_known_answers(void **state)
{
  const uint32_t ctr[3][4] = {
    {0, 0, 0, 0},
    {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
    {0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}
  };
  const uint32_t key[3][2] = {
    {0,           0          },
    {0xffffffffu, 0xffffffffu},
    {0xa4093822u, 0x299f31d0u}
  };
  const uint32_t expect[3][4] = {
    {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u},
    {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu},
    {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}
  };

  for (int v = 0; v < 3; v++) {
    uint32_t out[4];
    StkPhilox4x32_10(ctr[v], key[v], out);
    for (int j = 0; j < 4; j++) assert_int_equal(out[j], expect[v][j]);
  }
}

/* The same (seed, counter) gives the same numbers, in any order of evaluation; a
 * change in any counter word or the seed gives different ones. */
static void test_rng_is_pure(void **state)
{
  StkRng a, b;
  double first[8];

  StkRngInit(&a, 12345, 7, 100, 3, STK_RNG_STREAM_GENERIC);
  for (int i = 0; i < 8; i++) first[i] = StkRngUniform(&a);
  StkRngInit(&b, 12345, 7, 100, 3, STK_RNG_STREAM_GENERIC);
  for (int i = 0; i < 8; i++) assert_true(StkRngUniform(&b) == first[i]);
  {
    const uint32_t alt[5][4] = {
      {8, 100, 3, 0},
      {7, 101, 3, 0},
      {7, 100, 4, 0},
      {7, 100, 3, 1},
      {7, 100, 3, 0}
    };
    for (int v = 0; v < 5; v++) {
      StkRngInit(&b, v == 4 ? 12346 : 12345, alt[v][0], alt[v][1], alt[v][2], (StkRngStream)alt[v][3]);
      assert_true(StkRngUniform(&b) != first[0]);
    }
  }
  /* the sequence is the blocks i = 0, 1, ... of the counter: the 3rd uniform is words 0-1 of block 1 */
  {
    uint32_t ctr[4] = {7, 100, 3, 1}, key[2] = {12345, 0}, out[4];
    StkPhilox4x32_10(ctr, key, out);
    assert_true(StkRngWordsToUniform(out[0], out[1]) == first[2]);
  }
}

static void test_uniform_moments(void **state)
{
  const int n = 1000000;
  StkRng    rng;
  double    sum = 0, sum2 = 0, lo = 1, hi = 0;

  StkRngInit(&rng, 1, 0, 0, 0, STK_RNG_STREAM_GENERIC);
  for (int i = 0; i < n; i++) {
    const double u = StkRngUniform(&rng);
    sum += u, sum2 += u * u;
    lo = fmin(lo, u), hi = fmax(hi, u);
  }
  const double mean = sum / n, var = sum2 / n - mean * mean;
  printf("  uniform: mean %.6f (1/2), var %.6f (1/12 = %.6f), range [%.2e, 1 - %.2e]\n", mean, var, 1 / 12.0, lo, 1 - hi);
  assert_close(mean, 0.5, 0, 4 * sqrt(1 / 12.0 / n));
  assert_close(var, 1 / 12.0, 0, 4 * sqrt(1 / 180.0 / n)); /* SE^2 = (mu_4 - sigma^4) / n = (1/80 - 1/144) / n */
  assert_true(lo > 0 && hi < 1);
  /* the extreme words give the extreme values, strictly inside (0, 1) and symmetric */
  assert_true(StkRngWordsToUniform(0, 0) == 0x1p-53);
  assert_true(StkRngWordsToUniform(0xffffffffu, 0xffffffffu) == 1 - 0x1p-53);
}

static void test_normal_moments(void **state)
{
  const int n = 1000000;
  StkRng    rng;
  double    m1 = 0, m2 = 0, m3 = 0, m4 = 0;
  int       tail = 0;

  StkRngInit(&rng, 2, 0, 0, 0, STK_RNG_STREAM_GENERIC);
  for (int i = 0; i < n; i++) {
    const double z = StkRngNormal(&rng);
    m1 += z, m2 += z * z, m3 += z * z * z, m4 += z * z * z * z;
    tail += fabs(z) > 3;
  }
  m1 /= n, m2 /= n, m3 /= n, m4 /= n;
  printf("  normal: mean %.5f, var %.5f, skew %.5f, E z^4 %.4f (3), P(|z|>3) %.5f (0.00270)\n", m1, m2, m3, m4, (double)tail / n);
  assert_close(m1, 0, 0, 4 / sqrt(n));
  assert_close(m2, 1, 0, 4 * sqrt(2.0 / n));
  assert_close(m3, 0, 0, 4 * sqrt(15.0 / n));
  assert_close(m4, 3, 0, 4 * sqrt(96.0 / n));
  assert_close((double)tail / n, 0.0026997960632601866, 0, 4 * sqrt(0.0027 / n));
}

static double BinomialPmf(int64_t n, double p, int64_t k)
{
  return exp(lgamma(n + 1.0) - lgamma(k + 1.0) - lgamma((double)(n - k) + 1) + k * log(p) + (n - k) * log1p(-p));
}
static double PoissonPmf(double mean, int64_t k) { return exp(-mean + k * log(mean) - lgamma(k + 1.0)); }

/* Pearson chi-square of `draws` samples against pmf on [0, kmax], cells with expected
 * count < 5 pooled into their neighbours (tails included); returns the statistic and
 * the degrees of freedom. */
static void ChiSquare(const int64_t *count, const double *pmf, int64_t kmax, int draws, double *chi2, int *dof)
{
  double obs = 0, expct = 0;
  int    cells = 0;

  *chi2 = 0;
  for (int64_t k = 0; k <= kmax; k++) {
    obs += count[k], expct += draws * pmf[k];
    if (expct >= 5 || k == kmax) {
      *chi2 += (obs - expct) * (obs - expct) / expct;
      cells++;
      obs = expct = 0;
    }
  }
  *dof = cells - 1;
}

/* Mean within 4 and variance within 5 standard errors and the chi-square
 * statistic below dof + 5 sqrt(2 dof). */
static void CheckCounts(const char *what, const int64_t *count, const double *pmf, int64_t kmax, int draws, double mean, double var)
{
  double s1 = 0, s2 = 0, chi2;
  int    dof;

  for (int64_t k = 0; k <= kmax; k++) s1 += (double)k * count[k], s2 += (double)k * k * count[k];
  const double m = s1 / draws, v = s2 / draws - m * m;
  ChiSquare(count, pmf, kmax, draws, &chi2, &dof);
  printf("  %-28s mean %.4f (%.4f), var %.4f (%.4f), chi2 %.1f on %d dof\n", what, m, mean, v, var, chi2, dof);
  assert_close(m, mean, 0, 4 * sqrt(var / draws));
  assert_close(v, var, 5 * sqrt((2 + 1 / var) / draws), 0); /* rel. SE^2 = (2 + excess kurtosis) / draws, excess <= 1 / var */
  assert_true(chi2 < dof + 5 * sqrt(2.0 * dof));
}

static void test_binomial(void **state)
{
  /* inversion (n p < 10), BTRS (n p >= 10), both through the p > 1/2 reflection */
  const struct {
    int64_t n;
    double  p;
  } cases[] = {
    {20,      0.3   },
    {4096,    0.0055},
    {100,     0.99  },
    {1000,    0.3   },
    {4096,    0.7   },
    {50,      0.5   },
    {1000000, 0.02  },
  };
  const int draws = 200000;

  for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
    const int64_t n = cases[c].n;
    const double  p = cases[c].p, mean = n * p, var = n * p * (1 - p);
    const int64_t kmax = PetscMin(n, (int64_t)(mean + 12 * sqrt(var) + 20));
    int64_t      *count = calloc(kmax + 1, sizeof(int64_t));
    double       *pmf   = malloc((kmax + 1) * sizeof(double));
    char          what[64];
    StkRng        rng;

    for (int64_t k = 0; k <= kmax; k++) pmf[k] = BinomialPmf(n, p, k);
    for (int i = 0; i < draws; i++) {
      StkRngInit(&rng, 3, (uint32_t)c, (uint32_t)i, 0, STK_RNG_STREAM_GENERIC); /* one counter per draw, as the engines do */
      const int64_t k = StkRngBinomial(&rng, n, p);
      assert_true(k >= 0 && k <= n);
      if (k <= kmax) count[k]++;
    }
    snprintf(what, sizeof(what), "binomial(%lld, %g):", (long long)n, p);
    CheckCounts(what, count, pmf, kmax, draws, mean, var);
    free(count), free(pmf);
  }
  {
    StkRng rng;
    StkRngInit(&rng, 3, 0, 0, 0, STK_RNG_STREAM_GENERIC);
    assert_int_equal(StkRngBinomial(&rng, 0, 0.5), 0);
    assert_int_equal(StkRngBinomial(&rng, 17, 0), 0);
    assert_int_equal(StkRngBinomial(&rng, 17, 1), 17);
    assert_int_equal(StkRngBinomial(&rng, 17, NAN), 0);
  }
}

static void test_poisson(void **state)
{
  const double means[] = {0.5, 3, 9.9, 10, 50, 1000};
  const int    draws   = 200000;

  for (size_t c = 0; c < sizeof(means) / sizeof(means[0]); c++) {
    const double  mean = means[c];
    const int64_t kmax = (int64_t)(mean + 12 * sqrt(mean) + 20);
    int64_t      *count = calloc(kmax + 1, sizeof(int64_t));
    double       *pmf   = malloc((kmax + 1) * sizeof(double));
    char          what[64];
    StkRng        rng;

    for (int64_t k = 0; k <= kmax; k++) pmf[k] = PoissonPmf(mean, k);
    StkRngInit(&rng, 4, (uint32_t)c, 0, 0, STK_RNG_STREAM_GENERIC); /* one long stream */
    for (int i = 0; i < draws; i++) {
      const int64_t k = StkRngPoisson(&rng, mean);
      assert_true(k >= 0);
      if (k <= kmax) count[k]++;
    }
    snprintf(what, sizeof(what), "poisson(%g):", mean);
    CheckCounts(what, count, pmf, kmax, draws, mean, mean);
    free(count), free(pmf);
  }
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(test_philox_known_answers),
  cmocka_unit_test(test_rng_is_pure),
  cmocka_unit_test(test_uniform_moments),
  cmocka_unit_test(test_normal_moments),
  cmocka_unit_test(test_binomial),
  cmocka_unit_test(test_poisson),
};

STK_TEST_MAIN(tests)
