/* StkPaired: policies evaluated on common random numbers and their paired differences
 * to a reference (stk_paired.h). */
#include "stk_paired.h"
#include "stk_stats.h"
#include <stdio.h>

struct _p_StkPaired {
  MPI_Comm           comm;
  StkEvaluate        ev; /* borrowed */
  PetscInt           npol, maxpol;
  StkPolicy         *pol;    /* borrowed */
  char             **names;  /* own copies */
  PetscReal        **values; /* per policy, after Run: npaths x nmetrics */
  PetscInt           npaths, nmetrics;
  const char *const *metric_names;
  PetscInt           nboot, seed;
  PetscReal          level;
  PetscInt           nview, view[STK_METRIC_COUNT];
  PetscBool          ran;
};

PetscErrorCode StkPairedCreate(MPI_Comm comm, StkPaired *paired)
{
  StkPaired pd;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&pd));
  pd->comm    = comm;
  pd->nboot   = 2000;
  pd->level   = 0.95;
  pd->seed    = 7;
  pd->nview   = 2;
  pd->view[0] = STK_METRIC_DISCOUNTED_COST;
  pd->view[1] = STK_METRIC_TRACKING_RMSE;
  *paired     = pd;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPairedSetEvaluate(StkPaired pd, StkEvaluate ev)
{
  PetscFunctionBeginUser;
  pd->ev  = ev;
  pd->ran = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPairedAddPolicy(StkPaired pd, const char name[], StkPolicy policy)
{
  PetscFunctionBeginUser;
  PetscCheck(name && policy, pd->comm, PETSC_ERR_ARG_NULL, "StkPairedAddPolicy needs a name and a policy");
  if (pd->npol == pd->maxpol) {
    pd->maxpol = PetscMax(2 * pd->maxpol, 4);
    PetscCall(PetscRealloc(pd->maxpol * sizeof(*pd->pol), &pd->pol));
    PetscCall(PetscRealloc(pd->maxpol * sizeof(*pd->names), &pd->names));
    PetscCall(PetscRealloc(pd->maxpol * sizeof(*pd->values), &pd->values));
  }
  pd->pol[pd->npol] = policy;
  PetscCall(PetscStrallocpy(name, &pd->names[pd->npol]));
  pd->values[pd->npol] = NULL;
  pd->npol++;
  pd->ran = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPairedSetBootstrap(StkPaired pd, PetscInt nboot, PetscReal level, PetscInt seed)
{
  PetscFunctionBeginUser;
  PetscCheck(nboot >= 1, pd->comm, PETSC_ERR_ARG_OUTOFRANGE, "bootstrap replicates must be >= 1, got %" PetscInt_FMT, nboot);
  PetscCheck(level > 0 && level < 1, pd->comm, PETSC_ERR_ARG_OUTOFRANGE, "confidence level must lie in (0, 1), got %g", (double)level);
  PetscCheck(seed >= 0, pd->comm, PETSC_ERR_ARG_OUTOFRANGE, "bootstrap seed must be >= 0, got %" PetscInt_FMT, seed);
  pd->nboot = nboot;
  pd->level = level;
  pd->seed  = seed;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPairedSetViewMetrics(StkPaired pd, PetscInt n, const PetscInt metrics[])
{
  PetscFunctionBeginUser;
  PetscCheck(n >= 0 && n <= STK_METRIC_COUNT, pd->comm, PETSC_ERR_ARG_OUTOFRANGE, "at most %d view metrics, got %" PetscInt_FMT, STK_METRIC_COUNT, n);
  for (PetscInt i = 0; i < n; i++) PetscCheck(metrics[i] >= 0 && metrics[i] < STK_METRIC_COUNT, pd->comm, PETSC_ERR_ARG_OUTOFRANGE, "metric index must lie in [0, %d), got %" PetscInt_FMT, STK_METRIC_COUNT, metrics[i]);
  pd->nview = n;
  for (PetscInt i = 0; i < n; i++) pd->view[i] = metrics[i];
  PetscFunctionReturn(0);
}

/* Policy q on the evaluation's paths; its metrics copied into values[q]. */
static PetscErrorCode RunPolicy(StkPaired pd, PetscInt q)
{
  StkPolicyFn      fn;
  StkPolicyResetFn reset;
  void            *ctx;
  size_t           size;
  const PetscReal *v;

  PetscFunctionBeginUser;
  PetscCall(StkPolicyGetFunction(pd->pol[q], &fn, &reset, &ctx, &size));
  PetscCall(StkEvaluateSetPolicy(pd->ev, fn, reset, ctx, size));
  PetscCall(StkEvaluateRun(pd->ev));
  PetscCall(StkEvaluateGetMetrics(pd->ev, &pd->npaths, &pd->nmetrics, &pd->metric_names, &v));
  PetscCall(PetscFree(pd->values[q]));
  PetscCall(PetscMalloc1(pd->npaths * pd->nmetrics, &pd->values[q]));
  PetscCall(PetscArraycpy(pd->values[q], v, pd->npaths * pd->nmetrics));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPairedRun(StkPaired pd)
{
  PetscFunctionBeginUser;
  PetscCheck(pd->ev, pd->comm, PETSC_ERR_ARG_WRONGSTATE, "StkPairedSetEvaluate must be called before StkPairedRun");
  PetscCheck(pd->npol >= 1, pd->comm, PETSC_ERR_ARG_WRONGSTATE, "StkPairedAddPolicy must be called before StkPairedRun");
  PetscCall(StkEvaluateSetUp(pd->ev));
  for (PetscInt q = 0; q < pd->npol; q++) PetscCall(RunPolicy(pd, q));
  pd->ran = PETSC_TRUE;
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckIndices(StkPaired pd, PetscInt q, PetscInt m)
{
  PetscFunctionBeginUser;
  PetscCheck(pd->ran, pd->comm, PETSC_ERR_ARG_WRONGSTATE, "StkPairedRun must be called first");
  PetscCheck(q >= 0 && q < pd->npol, pd->comm, PETSC_ERR_ARG_OUTOFRANGE, "policy index must lie in [0, %" PetscInt_FMT "), got %" PetscInt_FMT, pd->npol, q);
  PetscCheck(m >= 0 && m < pd->nmetrics, pd->comm, PETSC_ERR_ARG_OUTOFRANGE, "metric index must lie in [0, %" PetscInt_FMT "), got %" PetscInt_FMT, pd->nmetrics, m);
  PetscFunctionReturn(0);
}

PetscErrorCode StkPairedGetSizes(StkPaired pd, PetscInt *npolicies, PetscInt *npaths, PetscInt *nmetrics, const char *const **names)
{
  PetscFunctionBeginUser;
  PetscCheck(pd->ran, pd->comm, PETSC_ERR_ARG_WRONGSTATE, "StkPairedRun must be called first");
  if (npolicies) *npolicies = pd->npol;
  if (npaths) *npaths = pd->npaths;
  if (nmetrics) *nmetrics = pd->nmetrics;
  if (names) *names = pd->metric_names;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPairedGetMean(StkPaired pd, PetscInt q, PetscInt m, PetscReal *mean)
{
  const PetscInt M = pd->npaths;

  PetscFunctionBeginUser;
  PetscCall(CheckIndices(pd, q, m));
  *mean = 0;
  for (PetscInt p = 0; p < M; p++) *mean += pd->values[q][p * pd->nmetrics + m] / M;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPairedGetDifference(StkPaired pd, PetscInt q, PetscInt m, PetscReal *mean, PetscReal *lo, PetscReal *hi, PetscReal *pvalue)
{
  const PetscInt M = pd->npaths, nm = pd->nmetrics;
  PetscReal     *d, mn, l, h, w, pv;
  PetscInt       nused;

  PetscFunctionBeginUser;
  PetscCall(CheckIndices(pd, q, m));
  PetscCheck(q >= 1, pd->comm, PETSC_ERR_ARG_OUTOFRANGE, "policy 0 is the reference: differences need q >= 1");
  PetscCall(PetscMalloc1(M, &d));
  for (PetscInt p = 0; p < M; p++) d[p] = pd->values[q][p * nm + m] - pd->values[0][p * nm + m];
  PetscCall(StkStatsBootstrapMean(M, d, pd->nboot, pd->level, (uint64_t)pd->seed, &mn, &l, &h));
  PetscCall(StkStatsWilcoxon(M, d, &w, &nused, &pv));
  PetscCall(PetscFree(d));
  if (mean) *mean = mn;
  if (lo) *lo = l;
  if (hi) *hi = h;
  if (pvalue) *pvalue = pv;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPairedGetPathValues(StkPaired pd, PetscInt q, PetscInt m, PetscReal out[])
{
  PetscFunctionBeginUser;
  PetscCall(CheckIndices(pd, q, m));
  for (PetscInt p = 0; p < pd->npaths; p++) out[p] = pd->values[q][p * pd->nmetrics + m];
  PetscFunctionReturn(0);
}

/* One row per policy: the means over the paths of every metric. */
static PetscErrorCode ViewMeans(StkPaired pd, PetscViewer viewer)
{
  PetscFunctionBeginUser;
  PetscCall(PetscViewerASCIIPrintf(viewer, "%-8s", "policy"));
  PetscCall(PetscViewerASCIIUseTabs(viewer, PETSC_FALSE));
  for (PetscInt m = 0; m < pd->nmetrics; m++) PetscCall(PetscViewerASCIIPrintf(viewer, " %17s", pd->metric_names[m]));
  PetscCall(PetscViewerASCIIPrintf(viewer, "   (means over %" PetscInt_FMT " paths)\n", pd->npaths));
  PetscCall(PetscViewerASCIIUseTabs(viewer, PETSC_TRUE));
  for (PetscInt q = 0; q < pd->npol; q++) {
    PetscCall(PetscViewerASCIIPrintf(viewer, "%-8s", pd->names[q]));
    PetscCall(PetscViewerASCIIUseTabs(viewer, PETSC_FALSE));
    for (PetscInt m = 0; m < pd->nmetrics; m++) {
      PetscReal mean;
      PetscCall(StkPairedGetMean(pd, q, m, &mean));
      PetscCall(PetscViewerASCIIPrintf(viewer, " %17.6g", (double)mean));
    }
    PetscCall(PetscViewerASCIIPrintf(viewer, "\n"));
    PetscCall(PetscViewerASCIIUseTabs(viewer, PETSC_TRUE));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode StkPairedView(StkPaired pd, PetscViewer viewer)
{
  char level[32];

  PetscFunctionBeginUser;
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(pd->comm, &viewer));
  PetscCheck(pd->ran, pd->comm, PETSC_ERR_ARG_WRONGSTATE, "StkPairedRun must be called before StkPairedView");
  PetscCall(StkEvaluateView(pd->ev, viewer));
  PetscCall(ViewMeans(pd, viewer));
  snprintf(level, sizeof(level), "%g%%", (double)(100 * pd->level)); /* PETSc's %g would print 95 as "95." */
  for (PetscInt i = 0; i < pd->nview; i++) {
    const PetscInt m = pd->view[i];
    for (PetscInt q = 1; q < pd->npol; q++) {
      PetscReal mean, lo, hi, pv;
      PetscCall(StkPairedGetDifference(pd, q, m, &mean, &lo, &hi, &pv));
      PetscCall(PetscViewerASCIIPrintf(viewer, "%-7s - %s  %-6s %+.4e  %s CI [%+.4e, %+.4e]  Wilcoxon p = %.3g\n", pd->names[q], pd->names[0], pd->metric_names[m], (double)mean, level, (double)lo, (double)hi, (double)pv));
    }
  }
  PetscFunctionReturn(0);
}

PetscErrorCode StkPairedDestroy(StkPaired *paired)
{
  StkPaired pd = *paired;

  PetscFunctionBeginUser;
  if (!pd) PetscFunctionReturn(0);
  for (PetscInt q = 0; q < pd->npol; q++) {
    PetscCall(PetscFree(pd->names[q]));
    PetscCall(PetscFree(pd->values[q]));
  }
  PetscCall(PetscFree(pd->pol));
  PetscCall(PetscFree(pd->names));
  PetscCall(PetscFree(pd->values));
  PetscCall(PetscFree(*paired));
  PetscFunctionReturn(0);
}
