/* Paired evaluation of policies on common random numbers (docs/model.md#experiments): every
 * policy runs on the same paths of one StkEvaluate (same noise, same start states),
 * so the per-path differences of a metric between a policy and the reference (the
 * first policy added) measure the policies, not the luck of the draw.  A difference
 * is summarized by its mean, a percentile-bootstrap confidence interval and the
 * two-sided Wilcoxon signed-rank p-value (experiments' statistics, stk_stats.h).
 *
 *   StkPairedCreate -> SetEvaluate -> AddPolicy (reference first) ...
 *     [-> SetBootstrap / SetViewMetrics] -> Run -> GetMean / GetDifference / View
 *     -> Destroy */
#pragma once
#include "stk_evaluate.h"

typedef struct _p_StkPaired *StkPaired;

PETSC_EXTERN PetscErrorCode StkPairedCreate(MPI_Comm comm, StkPaired *paired);
/* The evaluation whose paths and metrics are used (borrowed; configured, set up or not). */
PETSC_EXTERN PetscErrorCode StkPairedSetEvaluate(StkPaired paired, StkEvaluate ev);
/* Adds a policy under a name (borrowed policy, copied name); the first is the reference. */
PETSC_EXTERN PetscErrorCode StkPairedAddPolicy(StkPaired paired, const char name[], StkPolicy policy);
/* Bootstrap replicates, confidence level and seed of the intervals (default 2000, 0.95, 7). */
PETSC_EXTERN PetscErrorCode StkPairedSetBootstrap(StkPaired paired, PetscInt nboot, PetscReal level, PetscInt seed);
/* The metrics (StkEvaluate's indices) whose differences View prints (default: cost, rmse). */
PETSC_EXTERN PetscErrorCode StkPairedSetViewMetrics(StkPaired paired, PetscInt n, const PetscInt metrics[]);
/* Evaluates every policy on the evaluation's paths and keeps the per-path metrics
 * (collective; the same on every rank). */
PETSC_EXTERN PetscErrorCode StkPairedRun(StkPaired paired);
/* After Run: the number of paths and of metrics, and the metrics' names (borrowed). */
PETSC_EXTERN PetscErrorCode StkPairedGetSizes(StkPaired paired, PetscInt *npolicies, PetscInt *npaths, PetscInt *nmetrics, const char *const **names);
/* Mean over the paths of metric m under policy q (0: the reference). */
PETSC_EXTERN PetscErrorCode StkPairedGetMean(StkPaired paired, PetscInt q, PetscInt m, PetscReal *mean);
/* Policy q (>= 1) minus the reference in metric m, path by path: the mean, the bootstrap
 * interval [lo, hi] and the Wilcoxon p-value.  Not collective. */
PETSC_EXTERN PetscErrorCode StkPairedGetDifference(StkPaired paired, PetscInt q, PetscInt m, PetscReal *mean, PetscReal *lo, PetscReal *hi, PetscReal *pvalue);
/* Metric m of policy q on every path, copied into out[0..npaths-1].  Not collective. */
PETSC_EXTERN PetscErrorCode StkPairedGetPathValues(StkPaired paired, PetscInt q, PetscInt m, PetscReal out[]);
/* The evaluation, a table of the means of every metric per policy, then one line per
 * view metric and policy with its difference to the reference. */
PETSC_EXTERN PetscErrorCode StkPairedView(StkPaired paired, PetscViewer viewer);
PETSC_EXTERN PetscErrorCode StkPairedDestroy(StkPaired *paired);
