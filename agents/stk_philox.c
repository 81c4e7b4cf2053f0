/* Philox4x32-10 and the distributions drawn from it (see stk_philox.h). */
#include <math.h>
#include "stk_philox.h"

#define PHILOX_M0 0xD2511F53u /* round multipliers */
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u /* Weyl key increments (golden ratio, sqrt 3 - 1) */
#define PHILOX_W1 0xBB67AE85u

static inline void PhiloxRound(uint32_t c[4], const uint32_t k[2])
{
  const uint64_t p0 = (uint64_t)PHILOX_M0 * c[0], p1 = (uint64_t)PHILOX_M1 * c[2];
  const uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0, hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;

  c[0] = hi1 ^ c[1] ^ k[0];
  c[1] = lo1;
  c[2] = hi0 ^ c[3] ^ k[1];
  c[3] = lo0;
}

void StkPhilox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
  uint32_t c[4] = {ctr[0], ctr[1], ctr[2], ctr[3]}, k[2] = {key[0], key[1]};

  for (int r = 0; r < 10; r++) {
    if (r) k[0] += PHILOX_W0, k[1] += PHILOX_W1;
    PhiloxRound(c, k);
  }
  out[0] = c[0], out[1] = c[1], out[2] = c[2], out[3] = c[3];
}

void StkRngInit(StkRng *rng, uint64_t seed, uint32_t id, uint32_t step, uint32_t path, StkRngStream stream)
{
  rng->key[0]    = (uint32_t)seed;
  rng->key[1]    = (uint32_t)(seed >> 32);
  rng->ctr[0]    = id;
  rng->ctr[1]    = step;
  rng->ctr[2]    = path;
  rng->ctr[3]    = (uint32_t)stream << 24;
  rng->nword     = 0;
  rng->hasnormal = 0;
}

uint32_t StkRngWord(StkRng *rng)
{
  if (!rng->nword) {
    StkPhilox4x32_10(rng->ctr, rng->key, rng->word);
    rng->ctr[3]++; /* next block index i of this stream */
    rng->nword = 4;
  }
  return rng->word[4 - rng->nword--];
}

double StkRngUniform(StkRng *rng)
{
  const uint32_t hi = StkRngWord(rng);
  return StkRngWordsToUniform(hi, StkRngWord(rng));
}

double StkRngNormal(StkRng *rng)
{
  if (rng->hasnormal) {
    rng->hasnormal = 0;
    return rng->normal;
  }
  const double u1 = StkRngUniform(rng), u2 = StkRngUniform(rng), r = sqrt(-2 * log(u1)), a = 6.283185307179586477 * u2;
  rng->normal    = r * sin(a);
  rng->hasnormal = 1;
  return r * cos(a);
}

/* Sequential search from 0 (Kachitvichyanukul and Schmeiser's BINV), p <= 1/2 and
 * n p < 10.  A search that runs past 110 (probability < 1e-40) or into the round-off
 * of the upper tail restarts with a fresh uniform. */
static int64_t BinomialInversion(StkRng *rng, int64_t n, double p)
{
  const double q = 1 - p, s = p / q, a = (n + 1) * s, f0 = exp((double)n * log1p(-p));

  for (;;) {
    double  u = StkRngUniform(rng), f = f0;
    int64_t x = 0;

    while (u >= f) {
      u -= f;
      if (++x > 110 || x > n) break;
      f *= a / x - s; /* f(x) / f(x - 1) = (n - x + 1) p / (x q) */
    }
    if (x <= 110 && x <= n) return x;
  }
}

/* Hormann's BTRS (Insurance: Math. Econ. 12, 1993), p <= 1/2 and n p >= 10: a
 * transformed-rejection proposal, a squeeze, then the exact log-pmf ratio test. */
static int64_t BinomialBTRS(StkRng *rng, int64_t n, double p)
{
  const double q = 1 - p, spq = sqrt(n * p * q), b = 1.15 + 2.53 * spq, a = -0.0873 + 0.0248 * b + 0.01 * p;
  const double c = n * p + 0.5, alpha = (2.83 + 5.1 / b) * spq, vr = 0.92 - 4.2 / b, lpq = log(p / q);
  const double m = floor((n + 1) * p), h = lgamma(m + 1) + lgamma(n - m + 1);

  for (;;) {
    const double u = StkRngUniform(rng) - 0.5, us = 0.5 - fabs(u);
    double       v = StkRngUniform(rng);
    const double k = floor((2 * a / us + b) * u + c);

    if (k < 0 || k > n) continue;
    if (us >= 0.07 && v <= vr) return (int64_t)k;
    v = log(v * alpha / (a / (us * us) + b));
    if (v <= h - lgamma(k + 1) - lgamma(n - k + 1) + (k - m) * lpq) return (int64_t)k;
  }
}

int64_t StkRngBinomial(StkRng *rng, int64_t n, double p)
{
  if (n <= 0 || !(p > 0)) return 0;
  if (p >= 1) return n;
  const int    flip = p > 0.5;
  const double pp   = flip ? 1 - p : p;
  const int64_t k   = n * pp < 10 ? BinomialInversion(rng, n, pp) : BinomialBTRS(rng, n, pp);
  return flip ? n - k : k;
}

/* Inversion by sequential search, mean < 10; restarts past 200 as above. */
static int64_t PoissonInversion(StkRng *rng, double mean)
{
  for (;;) {
    double  u = StkRngUniform(rng), f = exp(-mean);
    int64_t x = 0;

    while (u >= f && x <= 200) {
      u -= f;
      f *= mean / ++x;
    }
    if (x <= 200) return x;
  }
}

/* Hormann's PTRS (Insurance: Math. Econ. 12, 1993), mean >= 10. */
static int64_t PoissonPTRS(StkRng *rng, double mean)
{
  const double slam = sqrt(mean), loglam = log(mean), b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
  const double invalpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);

  for (;;) {
    const double u = StkRngUniform(rng) - 0.5, v = StkRngUniform(rng), us = 0.5 - fabs(u);
    const double k = floor((2 * a / us + b) * u + mean + 0.43);

    if (us >= 0.07 && v <= vr) return (int64_t)k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (log(v) + log(invalpha) - log(a / (us * us) + b) <= -mean + k * loglam - lgamma(k + 1)) return (int64_t)k;
  }
}

int64_t StkRngPoisson(StkRng *rng, double mean)
{
  if (!(mean > 0)) return 0;
  return mean < 10 ? PoissonInversion(rng, mean) : PoissonPTRS(rng, mean);
}
