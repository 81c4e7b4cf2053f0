#include "stk_stats.h"
#include <math.h>

static uint64_t SplitMix64(uint64_t x)
{
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

PetscReal StkStatsUniform(uint64_t seed, uint64_t a, uint64_t b)
{
  uint64_t h = SplitMix64(SplitMix64(SplitMix64(seed) ^ a) ^ b);
  return (PetscReal)(h >> 11) * 0x1.0p-53;
}

/* numpy.quantile's default: linear interpolation at position q (n - 1) of sorted x. */
static PetscReal SortedQuantile(PetscInt n, const PetscReal x[], PetscReal q)
{
  PetscReal pos = q * (PetscReal)(n - 1);
  PetscInt  k   = (PetscInt)floor(pos);
  if (k >= n - 1) return x[n - 1];
  return x[k] + (pos - (PetscReal)k) * (x[k + 1] - x[k]);
}

PetscErrorCode StkStatsBootstrapMean(PetscInt n, const PetscReal d[], PetscInt nboot, PetscReal level, uint64_t seed, PetscReal *mean, PetscReal *lo, PetscReal *hi)
{
  PetscReal *means, sum = 0;

  PetscFunctionBeginUser;
  PetscCheck(nboot >= 2, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "bootstrap replicates must be >= 2, got %" PetscInt_FMT, nboot);
  PetscCheck(level > 0 && level < 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "confidence level must be in (0, 1), got %g", (double)level);
  if (n == 0) {
    *mean = *lo = *hi = NAN;
    PetscFunctionReturn(0);
  }
  for (PetscInt i = 0; i < n; i++) sum += d[i];
  *mean = sum / (PetscReal)n;
  PetscCall(PetscMalloc1(nboot, &means));
  for (PetscInt b = 0; b < nboot; b++) {
    PetscReal s = 0;
    for (PetscInt i = 0; i < n; i++) {
      PetscInt j = (PetscInt)(StkStatsUniform(seed, (uint64_t)b, (uint64_t)i) * (PetscReal)n);
      s += d[PetscMin(j, n - 1)];
    }
    means[b] = s / (PetscReal)n;
  }
  PetscCall(PetscSortReal(nboot, means));
  *lo = SortedQuantile(nboot, means, 0.5 * (1 - level));
  *hi = SortedQuantile(nboot, means, 0.5 * (1 + level));
  PetscCall(PetscFree(means));
  PetscFunctionReturn(0);
}

/* Average ranks (1-based) of |d| over the non-zero d, ordered as in `order`; returns
 * W+ and whether any |d| tie, and the tie term sum (t^3 - t) of the variance. */
static void SignedRanks(PetscInt m, const PetscReal absd[], const PetscInt order[], const PetscReal sign[], PetscReal *wplus, PetscReal *tieterm)
{
  PetscInt i = 0;
  *wplus = 0;
  *tieterm = 0;
  while (i < m) {
    PetscInt  j = i;
    PetscReal rank;
    while (j + 1 < m && absd[order[j + 1]] == absd[order[i]]) j++;
    rank = 0.5 * (PetscReal)(i + j) + 1;
    for (PetscInt k = i; k <= j; k++)
      if (sign[order[k]] > 0) *wplus += rank;
    if (j > i) {
      PetscReal t = (PetscReal)(j - i + 1);
      *tieterm += t * t * t - t;
    }
    i = j + 1;
  }
}

/* P(W+ <= w) and P(W+ >= w) under the null, by counting subsets of {1..m} with rank
 * sum k (each sign pattern has probability 2^-m; counts below 2^53 are exact). */
static PetscErrorCode ExactTails(PetscInt m, PetscInt w, PetscReal *below, PetscReal *above)
{
  PetscInt   kmax = m * (m + 1) / 2;
  PetscReal *count, total = ldexp(1.0, (int)m), lo = 0, hi = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscCalloc1(kmax + 1, &count));
  count[0] = 1;
  for (PetscInt r = 1; r <= m; r++)
    for (PetscInt k = r * (r + 1) / 2; k >= r; k--) count[k] += count[k - r];
  for (PetscInt k = 0; k <= kmax; k++) {
    if (k <= w) lo += count[k];
    if (k >= w) hi += count[k];
  }
  *below = lo / total;
  *above = hi / total;
  PetscCall(PetscFree(count));
  PetscFunctionReturn(0);
}

PetscErrorCode StkStatsWilcoxon(PetscInt n, const PetscReal d[], PetscReal *wplus, PetscInt *nused, PetscReal *pvalue)
{
  PetscInt  *order, m = 0;
  PetscReal *absd, *sign, tieterm;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc3(n, &order, n, &absd, n, &sign));
  for (PetscInt i = 0; i < n; i++) {
    PetscCheck(!PetscIsInfOrNanReal(d[i]), PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "Wilcoxon test: difference %" PetscInt_FMT " is not finite (%g)", i, (double)d[i]);
    if (d[i] == 0) continue;
    absd[m]  = PetscAbsReal(d[i]);
    sign[m]  = d[i] > 0 ? 1 : -1;
    order[m] = m;
    m++;
  }
  PetscCall(PetscSortRealWithPermutation(m, absd, order));
  SignedRanks(m, absd, order, sign, wplus, &tieterm);
  *nused = m;
  if (m == 0) *pvalue = 1;
  else if (m <= 50 && tieterm == 0) {
    PetscReal below = 1, above = 1;
    PetscCall(ExactTails(m, (PetscInt)llround(*wplus), &below, &above));
    *pvalue = PetscMin(1.0, 2 * PetscMin(below, above));
  } else {
    PetscReal mm = (PetscReal)m, mu = mm * (mm + 1) / 4, var = mm * (mm + 1) * (2 * mm + 1) / 24 - tieterm / 48;
    *pvalue = var > 0 ? erfc(PetscAbsReal(*wplus - mu) / sqrt(2 * var)) : 1;
  }
  PetscCall(PetscFree3(order, absd, sign));
  PetscFunctionReturn(0);
}

PetscErrorCode StkStatsHolm(PetscInt m, const PetscReal p[], PetscReal padj[])
{
  PetscInt  *order;
  PetscReal *sorted, running = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc2(m, &order, m, &sorted));
  for (PetscInt i = 0; i < m; i++) {
    PetscCheck(p[i] >= 0 && p[i] <= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Holm adjustment: p-value %" PetscInt_FMT " must be in [0, 1], got %g", i, (double)p[i]);
    order[i]  = i;
    sorted[i] = p[i];
  }
  PetscCall(PetscSortRealWithPermutation(m, sorted, order));
  for (PetscInt j = 0; j < m; j++) {
    PetscReal step = PetscMin(1.0, (PetscReal)(m - j) * p[order[j]]);
    running        = PetscMax(running, step);
    sorted[j]      = running;
  }
  for (PetscInt j = 0; j < m; j++) padj[order[j]] = sorted[j];
  PetscCall(PetscFree2(order, sorted));
  PetscFunctionReturn(0);
}
