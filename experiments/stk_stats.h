/* Paired-comparison statistics for the experiments (`stakehjb compare`,
 * docs/model.md#experiments): per regime and pair of policies, the per-path
 * differences d_i of a metric on common random numbers are summarized by their mean,
 * a bootstrap confidence interval, and a Wilcoxon signed-rank p-value; the p-values of
 * a family of comparisons are adjusted with Holm's step-down method. */
#pragma once
#include <petscsys.h>
#include <stdint.h>

/* Percentile bootstrap interval for the mean of d[0..n-1] at confidence `level`
 * (0.95: the 2.5 % and 97.5 % quantiles of nboot resampled means, numpy's default
 * linear interpolation between order statistics).  Resampling indices come from a
 * counter-based hash of (seed, replicate, draw), so the interval depends on the seed
 * only, never on the number of ranks or on call order.  n = 0 gives NaNs. */
PETSC_EXTERN PetscErrorCode StkStatsBootstrapMean(PetscInt n, const PetscReal d[], PetscInt nboot, PetscReal level, uint64_t seed, PetscReal *mean, PetscReal *lo, PetscReal *hi);

/* Two-sided Wilcoxon signed-rank test of "the d_i are symmetric about 0".  Zero
 * differences are dropped (Wilcoxon's convention, scipy's zero_method="wilcox"); tied
 * |d_i| get average ranks.  With at most 50 non-zero differences and no ties the
 * p-value is exact (the null distribution of W+ counted by dynamic programming),
 * otherwise it is the normal approximation with the tie correction of the variance and
 * no continuity correction.  Returns W+ (sum of the ranks of the positive d_i), the
 * number of non-zero differences and p (1 when all differences are zero). */
PETSC_EXTERN PetscErrorCode StkStatsWilcoxon(PetscInt n, const PetscReal d[], PetscReal *wplus, PetscInt *nused, PetscReal *pvalue);

/* Holm's step-down adjustment of m p-values: with p_(1) <= ... <= p_(m),
 * p~_(j) = max_{k <= j} min(1, (m - k + 1) p_(k)), returned in the input order
 * (padj may alias p). */
PETSC_EXTERN PetscErrorCode StkStatsHolm(PetscInt m, const PetscReal p[], PetscReal padj[]);

/* Counter-based uniform in [0, 1) from (seed, a, b): SplitMix64 finalizers, 53 bits. */
PETSC_EXTERN PetscReal StkStatsUniform(uint64_t seed, uint64_t a, uint64_t b);
