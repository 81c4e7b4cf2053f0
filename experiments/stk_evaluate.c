/* StkEvaluate: the path engine of the experiments (stk_evaluate.h): a policy on M paths
 * of an environment, common random numbers, the metrics of stk_metrics.h. */
#define STK_EVAL_MAX_PATHS 100000000 /* paths of one evaluation; far above any use, below int overflow of the tables */
#include "stk_evaluate.h"
#include "stk_options.h"
#include "stk_price_metrics.h"
#include "stk_sim_price.h"
#include <string.h>

const char *const StkEvaluateStarts[]    = {"golden", "stratified", "fixed", "StkEvaluateStart", "STK_EVAL_START_", NULL};
const char *const StkEvaluateParallels[] = {"paths", "agents", "StkEvaluateParallel", "STK_EVAL_PARALLEL_", NULL};

static PetscLogEvent STK_EVENT_Evaluate;

static PetscErrorCode StkEvaluateRegisterEvents(void)
{
  static PetscBool registered = PETSC_FALSE; /* PETSc's own idiom: once per process */
  PetscClassId     classid;

  PetscFunctionBeginUser;
  if (registered) PetscFunctionReturn(0);
  registered = PETSC_TRUE;
  PetscCall(PetscClassIdRegister("StkEvaluate", &classid));
  PetscCall(PetscLogEventRegister("StkEvaluate", classid, &STK_EVENT_Evaluate));
  PetscFunctionReturn(0);
}

struct _p_StkEvaluate {
  MPI_Comm             comm;
  char                *prefix; /* USER part of the options prefix (handed to the sim) */
  StkModel             model;  /* borrowed */
  StkPopulation        pop;    /* borrowed: the environment's holders */
  StkSim               sim;    /* on comm: settings, shocks and their checks */
  StkSim               runner; /* runs the paths: a copy on PETSC_COMM_SELF, or sim itself */
  StkPolicyFn          fn;
  StkPolicyResetFn     reset;
  void                *ctx;
  size_t               state_size;
  StkEvaluateMonitorFn monitor;
  void                *monitor_ctx;
  PetscInt             done, total; /* this rank's paths during Run (for the monitor) */
  unsigned long        calls;
  /* options */
  PetscInt            npaths, seed, nsamples, stride;
  StkEvaluateStart    start;
  StkEvaluateParallel parallel;
  PetscReal           s_lo, s_width, s0, z0, band, hold;
  /* after SetUp */
  PetscBool        setupcalled, spread; /* spread: paths over the ranks */
  StkMetricContext mc;
  PetscInt         nsteps, nrec;
  PetscReal       *values;          /* npaths x STK_METRIC_COUNT */
  PetscReal       *price_values;    /* npaths x STK_PRICE_METRIC_COUNT if the environment carries a price, else NULL */
  PetscReal       *price_ends;      /* npaths x 2: the price at t = 0 and at T (with price_values) */
  PetscReal       *t, *s, *z, *u;   /* nrec; nsamples x nrec each */
  /* the regime chain's record of the last Run, summed over the paths */
  PetscInt   nregimes;
  PetscInt64 regime_steps[STK_SIM_MAX_REGIMES], regime_jumps[STK_SIM_MAX_REGIMES * STK_SIM_MAX_REGIMES];
};

PetscErrorCode StkEvaluateCreate(MPI_Comm comm, StkEvaluate *ev)
{
  StkEvaluate e;

  PetscFunctionBeginUser;
  PetscCall(StkEvaluateRegisterEvents());
  PetscCall(PetscNew(&e));
  e->comm     = comm;
  e->npaths   = 16;
  e->seed     = 12345;
  e->start    = STK_EVAL_START_GOLDEN;
  e->parallel = STK_EVAL_PARALLEL_PATHS;
  /* The range is held as its start and width: the default [0.2, 0.85] gives exactly
   * 0.2 + 0.65 f (0.85 - 0.2 is not 0.65 in floating point). */
  e->s_lo    = 0.2;
  e->s_width = 0.65;
  e->s0      = 0.5;
  e->z0      = (PetscReal)NAN;
  e->band    = 0.02;
  e->hold    = 30 / STK_DAYS_PER_YEAR;
  e->stride  = 1;
  PetscCall(StkSimCreate(comm, &e->sim));
  *ev = e;
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateSetModel(StkEvaluate ev, StkModel model)
{
  const StkSimSettings *cur;
  StkSimSettings        set;

  PetscFunctionBeginUser;
  ev->model = model;
  /* the environment's dimension defaults to the model's (-sim_dim may override it) */
  PetscCall(StkSimGetSettings(ev->sim, &cur));
  set = *cur;
  PetscCall(StkModelGetDimension(model, &set.dim));
  PetscCall(StkSimSetSettings(ev->sim, &set));
  ev->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateSetPopulation(StkEvaluate ev, StkPopulation pop)
{
  PetscFunctionBeginUser;
  ev->pop         = pop;
  ev->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateSetPolicy(StkEvaluate ev, StkPolicyFn fn, StkPolicyResetFn reset, void *ctx, size_t state_size)
{
  PetscFunctionBeginUser;
  ev->fn         = fn;
  ev->reset      = reset;
  ev->ctx        = ctx;
  ev->state_size = state_size;
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateSetPaths(StkEvaluate ev, PetscInt npaths)
{
  PetscFunctionBeginUser;
  ev->npaths      = npaths;
  ev->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateSetSeed(StkEvaluate ev, PetscInt seed)
{
  PetscFunctionBeginUser;
  ev->seed        = seed;
  ev->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateSetStart(StkEvaluate ev, StkEvaluateStart rule)
{
  PetscFunctionBeginUser;
  ev->start = rule;
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateSetStartRange(StkEvaluate ev, PetscReal s_lo, PetscReal s_hi)
{
  PetscFunctionBeginUser;
  ev->s_lo    = s_lo;
  ev->s_width = s_hi - s_lo;
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateSetStartState(StkEvaluate ev, PetscReal s0, PetscReal z0)
{
  PetscFunctionBeginUser;
  ev->s0 = s0;
  ev->z0 = z0;
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateSetBand(StkEvaluate ev, PetscReal band, PetscReal hold)
{
  PetscFunctionBeginUser;
  ev->band        = band;
  ev->hold        = hold;
  ev->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateSetSamples(StkEvaluate ev, PetscInt nsamples, PetscInt stride)
{
  PetscFunctionBeginUser;
  ev->nsamples    = nsamples;
  ev->stride      = stride;
  ev->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateSetParallel(StkEvaluate ev, StkEvaluateParallel mode)
{
  PetscFunctionBeginUser;
  ev->parallel    = mode;
  ev->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateSetMonitor(StkEvaluate ev, StkEvaluateMonitorFn monitor, void *ctx)
{
  PetscFunctionBeginUser;
  ev->monitor     = monitor;
  ev->monitor_ctx = ctx;
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateGetSim(StkEvaluate ev, StkSim *sim)
{
  PetscFunctionBeginUser;
  *sim = ev->sim;
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateSetOptionsPrefix(StkEvaluate ev, const char prefix[])
{
  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixSet(&ev->prefix, prefix));
  PetscCall(StkSimSetOptionsPrefix(ev->sim, prefix));
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateAppendOptionsPrefix(StkEvaluate ev, const char prefix[])
{
  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixAppend(&ev->prefix, prefix));
  PetscCall(StkSimAppendOptionsPrefix(ev->sim, prefix));
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateGetOptionsPrefix(StkEvaluate ev, const char *prefix[])
{
  PetscFunctionBeginUser;
  *prefix = ev->prefix;
  PetscFunctionReturn(0);
}

/* The values the options set (also called at SetFromOptions: before any work). */
static PetscErrorCode StkEvaluateCheckOptions(StkEvaluate ev)
{
  const PetscReal s_hi = ev->s_lo + ev->s_width;
  const char     *user = ev->prefix ? ev->prefix : ""; /* the prefix in force, for the messages */

  PetscFunctionBeginUser;
  PetscCheck(ev->npaths >= 1, ev->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%seval_paths must be >= 1, got %" PetscInt_FMT, user, ev->npaths);
  PetscCheck(ev->seed >= 0, ev->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%seval_seed must be >= 0, got %" PetscInt_FMT, user, ev->seed);
  PetscCheck(ev->s_lo >= 0 && ev->s_width >= 0 && s_hi <= 1, ev->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%seval_s_lo %g and -%seval_s_hi %g must satisfy 0 <= s_lo <= s_hi <= 1", user, (double)ev->s_lo, user, (double)s_hi);
  PetscCheck(ev->s0 >= 0 && ev->s0 <= 1, ev->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%seval_s0 must lie in [0, 1], got %g", user, (double)ev->s0);
  PetscCheck(!PetscIsInfReal(ev->z0), ev->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%seval_z0 must be finite, got %g", user, (double)ev->z0);
  PetscCheck(ev->band > 0 && !PetscIsInfReal(ev->band), ev->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%seval_band must be > 0 and finite, got %g", user, (double)ev->band);
  PetscCheck(ev->hold >= 0 && !PetscIsInfReal(ev->hold), ev->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%seval_hold_days must be >= 0 and finite, got %g", user, (double)(ev->hold * STK_DAYS_PER_YEAR));
  PetscCheck(ev->npaths <= STK_EVAL_MAX_PATHS, ev->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%seval_paths must be <= %d, got %" PetscInt_FMT, user, STK_EVAL_MAX_PATHS, ev->npaths);
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateSetFromOptions(StkEvaluate ev)
{
  PetscReal s_hi = ev->s_lo + ev->s_width, days = ev->hold * STK_DAYS_PER_YEAR;
  PetscBool lo_set, hi_set, hold_set;
  char      pre[256];

  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixCompose(ev->prefix, "eval_", pre, sizeof(pre)));
  PetscOptionsBegin(ev->comm, pre, "Policy evaluation on common random numbers (docs/policies.md, Evaluation)", NULL);
  PetscCall(PetscOptionsInt("-paths", "Number of paths M", "StkEvaluateSetPaths", ev->npaths, &ev->npaths, NULL));
  PetscCall(PetscOptionsInt("-seed", "Key of the paths' noise (replaces -sim_seed)", "StkEvaluateSetSeed", ev->seed, &ev->seed, NULL));
  PetscCall(PetscOptionsEnum("-start", "Start states: golden (s0 spread over [s_lo, s_hi] by the golden-ratio sequence), stratified (midpoints of M equal cells of [s_lo, s_hi]), fixed (s0, z0)", "StkEvaluateSetStart", StkEvaluateStarts, (PetscEnum)ev->start, (PetscEnum *)&ev->start, NULL));
  PetscCall(PetscOptionsReal("-s_lo", "golden, stratified: lowest start staking ratio", "StkEvaluateSetStartRange", ev->s_lo, &ev->s_lo, &lo_set));
  PetscCall(PetscOptionsReal("-s_hi", "golden, stratified: highest start staking ratio", "StkEvaluateSetStartRange", s_hi, &s_hi, &hi_set));
  PetscCall(PetscOptionsReal("-s0", "fixed: start staking ratio", "StkEvaluateSetStartState", ev->s0, &ev->s0, NULL));
  PetscCall(PetscOptionsReal("-z0", "fixed: start z, 1/yr (default: zbar)", "StkEvaluateSetStartState", ev->z0, &ev->z0, NULL));
  PetscCall(PetscOptionsReal("-band", "Half-width of the band around sbar for time_in_band and recovery_time", "StkEvaluateSetBand", ev->band, &ev->band, NULL));
  PetscCall(PetscOptionsReal("-hold_days", "Days |s - sbar| < band must hold to count as recovered", "StkEvaluateSetBand", days, &days, &hold_set));
  PetscCall(PetscOptionsEnum("-parallel", "Spread the paths over the ranks, or (abm) every path's agents", "StkEvaluateSetParallel", StkEvaluateParallels, (PetscEnum)ev->parallel, (PetscEnum *)&ev->parallel, NULL));
  PetscOptionsEnd();
  if (lo_set || hi_set) ev->s_width = s_hi - ev->s_lo;
  if (hold_set) ev->hold = days / STK_DAYS_PER_YEAR;
  PetscCall(StkSimSetFromOptions(ev->sim));
  PetscCall(StkEvaluateCheckOptions(ev));
  ev->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

static PetscErrorCode StkEvaluateCheck(StkEvaluate ev)
{
  const char     *type;

  PetscFunctionBeginUser;
  PetscCall(StkEvaluateCheckOptions(ev));
  PetscCheck(ev->model, ev->comm, PETSC_ERR_ARG_WRONGSTATE, "StkEvaluateSetModel must be called before StkEvaluateSetUp");
  PetscCall(StkModelGetType(ev->model, &type));
  PetscCheck(!strcmp(type, STK_MODEL_STAKING), ev->comm, PETSC_ERR_ARG_WRONG, "Policy evaluation needs a staking model, got -model %s", type);
  PetscCheck(ev->nsamples >= 0 && ev->nsamples <= ev->npaths, ev->comm, PETSC_ERR_ARG_OUTOFRANGE, "Kept sample paths must lie in [0, %" PetscInt_FMT " paths], got %" PetscInt_FMT, ev->npaths, ev->nsamples);
  PetscCheck(ev->stride >= 1, ev->comm, PETSC_ERR_ARG_OUTOFRANGE, "Stride of the kept samples must be >= 1, got %" PetscInt_FMT, ev->stride);
  PetscFunctionReturn(0);
}

/* A simulator on PETSC_COMM_SELF with the settings and shocks of `proto` (set up). */
static PetscErrorCode SimCopySelf(StkSim proto, StkPopulation pop, StkSim *copy)
{
  const StkSimSettings *set;
  PetscInt              nshock;

  PetscFunctionBeginUser;
  PetscCall(StkSimGetSettings(proto, &set));
  PetscCall(StkSimCreate(PETSC_COMM_SELF, copy));
  PetscCall(StkSimSetPopulation(*copy, pop));
  PetscCall(StkSimSetSettings(*copy, set));
  PetscCall(StkSimCopyRegimes(proto, *copy));
  {
    const StkPriceParams *pp;
    PetscBool             on;
    PetscCall(StkSimHasPrice(proto, &on));
    PetscCall(StkSimGetPricePath(proto, NULL, &pp, NULL));
    if (on) PetscCall(StkSimSetPrice(*copy, pp)); /* issue 16: the copy carries the price too */
  }
  PetscCall(StkSimGetNumShocks(proto, &nshock));
  for (PetscInt i = 0; i < nshock; i++) {
    PetscReal t, dz, frac;
    PetscCall(StkSimGetShock(proto, i, &t, &dz, &frac));
    PetscCall(StkSimAddShock(*copy, t, dz, frac));
  }
  PetscCall(StkSimSetUp(*copy));
  PetscFunctionReturn(0);
}

static PetscErrorCode StkEvaluateDestroyRunner(StkEvaluate ev)
{
  PetscFunctionBeginUser;
  if (ev->runner != ev->sim) PetscCall(StkSimDestroy(&ev->runner));
  ev->runner = NULL;
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateSetUp(StkEvaluate ev)
{
  const StkSimSettings *cur;
  StkSimSettings        set;
  PetscMPIInt           size;
  PetscInt              nv;

  PetscFunctionBeginUser;
  if (ev->setupcalled) PetscFunctionReturn(0);
  PetscCall(StkEvaluateCheck(ev));
  PetscCall(StkModelSetUp(ev->model));
  if (!ev->pop) PetscCall(StkModelStakingGetPopulation(ev->model, &ev->pop));
  PetscCall(StkSimSetPopulation(ev->sim, ev->pop));
  PetscCall(StkSimGetSettings(ev->sim, &cur));
  set       = *cur;
  set.seed  = ev->seed;
  set.every = 1; /* the metrics use every step */
  PetscCall(StkEvaluateGetStart(ev, 0, &set.s0, &set.z0));
  PetscCall(StkSimSetSettings(ev->sim, &set));
  PetscCall(StkSimSetUp(ev->sim)); /* every check of the environment, collectively */
  PetscCall(StkSimGetNumSteps(ev->sim, &ev->nsteps));
  PetscCallMPI(MPI_Comm_size(ev->comm, &size));
  ev->spread = (PetscBool)!(ev->parallel == STK_EVAL_PARALLEL_AGENTS && set.type == STK_SIM_ABM);
  PetscCall(StkEvaluateDestroyRunner(ev));
  if (ev->spread && size > 1) PetscCall(SimCopySelf(ev->sim, ev->pop, &ev->runner));
  else ev->runner = ev->sim;
  PetscCall(StkMetricContextSetUp(ev->model, ev->runner, ev->band, ev->hold, &ev->mc));
  ev->nrec = ev->nsamples ? ev->nsteps / ev->stride + 1 : 0;
  nv       = ev->nsamples * ev->nrec;
  {
    char what[256];
    PetscCall(PetscSNPrintf(what, sizeof(what), "-%seval_paths %" PetscInt_FMT " (or the command's path count) with %" PetscInt_FMT " kept samples of %" PetscInt_FMT " records", ev->prefix ? ev->prefix : "", ev->npaths, ev->nsamples, ev->nrec));
    PetscCall(StkMemoryCheck(ev->comm, 8.0 * ((PetscReal)ev->npaths * STK_METRIC_COUNT + 4.0 * (PetscReal)ev->nsamples * (PetscReal)ev->nrec), what));
  }
  PetscCall(PetscFree(ev->values));
  PetscCall(PetscFree2(ev->price_values, ev->price_ends));
  PetscCall(PetscFree4(ev->t, ev->s, ev->z, ev->u));
  PetscCall(PetscCalloc1(ev->npaths * STK_METRIC_COUNT, &ev->values));
  {
    PetscBool price;
    PetscCall(StkSimHasPrice(ev->sim, &price));
    if (price) PetscCall(PetscCalloc2(ev->npaths * STK_PRICE_METRIC_COUNT, &ev->price_values, 2 * ev->npaths, &ev->price_ends));
  }
  PetscCall(PetscCalloc4(ev->nrec, &ev->t, nv, &ev->s, nv, &ev->z, nv, &ev->u));
  for (PetscInt k = 0; k < ev->nrec; k++) ev->t[k] = k * ev->stride * set.dt; /* as the driver computes t_n */
  ev->setupcalled = PETSC_TRUE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateGetStart(StkEvaluate ev, PetscInt p, PetscReal *s0, PetscReal *z0)
{
  PetscFunctionBeginUser;
  *z0 = (PetscReal)NAN;
  if (ev->start == STK_EVAL_START_GOLDEN) {
    const PetscReal g = 0.6180339887498949 * (PetscReal)p + 0.5;
    *s0               = ev->s_lo + ev->s_width * (g - PetscFloorReal(g));
  } else if (ev->start == STK_EVAL_START_STRATIFIED) {
    *s0 = ev->s_lo + ev->s_width * (p + 0.5) / ev->npaths;
  } else {
    *s0 = ev->s0;
    *z0 = ev->z0;
  }
  PetscFunctionReturn(0);
}

/* ---- Run ---- */

/* The policy, and the monitor every 64 calls. */
static PetscErrorCode MonitoredPolicy(void *ctx, PetscReal t, const PetscReal x[], PetscReal *u, void *state)
{
  StkEvaluate ev = (StkEvaluate)ctx;

  PetscFunctionBeginUser;
  PetscCall(ev->fn(ev->ctx, t, x, u, state));
  if (!(++ev->calls % 64)) PetscCall(ev->monitor(ev, ev->done, ev->total, t, ev->nsteps * ev->mc.dt, ev->monitor_ctx));
  PetscFunctionReturn(0);
}

static PetscErrorCode MonitoredReset(void *ctx, PetscReal t0, const PetscReal x0[], void *state)
{
  StkEvaluate ev = (StkEvaluate)ctx;

  PetscFunctionBeginUser;
  if (ev->reset) PetscCall(ev->reset(ev->ctx, t0, x0, state));
  PetscFunctionReturn(0);
}

static PetscBool SameReal(PetscReal a, PetscReal b)
{
  return (PetscBool)(a == b || (PetscIsNanReal(a) && PetscIsNanReal(b)));
}

/* Path p from its start; the simulator is set up again only when the start changes. */
static PetscErrorCode RunPath(StkEvaluate ev, PetscInt p, void *state, StkSimPath *path)
{
  const StkSimSettings *cur;
  StkSimSettings        set;

  PetscFunctionBeginUser;
  PetscCall(StkSimGetSettings(ev->runner, &cur));
  set = *cur;
  PetscCall(StkEvaluateGetStart(ev, p, &set.s0, &set.z0));
  if (!SameReal(set.s0, cur->s0) || !SameReal(set.z0, cur->z0)) PetscCall(StkSimSetSettings(ev->runner, &set));
  PetscCall(StkSimRun(ev->runner, p, state, path));
  PetscFunctionReturn(0);
}

/* The metrics and the kept records of path p into this rank's buffers (with a price:
 * its metrics into price[], then after the npaths x STK_PRICE_METRIC_COUNT metrics the
 * path's first and last price). */
static PetscErrorCode StorePath(StkEvaluate ev, PetscInt p, const StkSimPath *path, PetscReal values[], PetscReal samples[], PetscReal price[])
{
  const PetscInt nv = ev->nsamples * ev->nrec;

  PetscFunctionBeginUser;
  PetscCall(StkPathMetrics(&ev->mc, ev->nsteps, path, values + p * STK_METRIC_COUNT));
  if (price) {
    const PetscReal *P;
    PetscCall(StkSimPriceMetrics(ev->runner, price + p * STK_PRICE_METRIC_COUNT));
    PetscCall(StkSimGetPricePath(ev->runner, &P, NULL, NULL));
    price[ev->npaths * STK_PRICE_METRIC_COUNT + 2 * p]     = P[0];
    price[ev->npaths * STK_PRICE_METRIC_COUNT + 2 * p + 1] = P[ev->nsteps];
  }
  if (p >= ev->nsamples) PetscFunctionReturn(0);
  for (PetscInt k = 0; k < ev->nrec; k++) {
    const PetscInt n = k * ev->stride, i = p * ev->nrec + k;
    samples[i] = path->s[n], samples[nv + i] = path->z[n], samples[2 * nv + i] = path->u[n];
  }
  PetscFunctionReturn(0);
}

/* Each entry was set by one rank and is zero elsewhere: the sum is exact, so the
 * gathered values are bitwise those of a serial run. */
static PetscErrorCode Gather(StkEvaluate ev, const PetscReal values[], const PetscReal samples[], const PetscReal price[])
{
  const PetscInt nv = ev->nsamples * ev->nrec;
  PetscMPIInt    n;

  PetscFunctionBeginUser;
  PetscCall(PetscMPIIntCast(ev->npaths * STK_METRIC_COUNT, &n));
  PetscCallMPI(MPI_Allreduce(values, ev->values, n, MPIU_REAL, MPI_SUM, ev->comm));
  if (price) {
    PetscCall(PetscMPIIntCast(ev->npaths * STK_PRICE_METRIC_COUNT, &n));
    PetscCallMPI(MPI_Allreduce(price, ev->price_values, n, MPIU_REAL, MPI_SUM, ev->comm));
    PetscCall(PetscMPIIntCast(2 * ev->npaths, &n));
    PetscCallMPI(MPI_Allreduce(price + ev->npaths * STK_PRICE_METRIC_COUNT, ev->price_ends, n, MPIU_REAL, MPI_SUM, ev->comm));
  }
  if (!nv) PetscFunctionReturn(0);
  PetscCall(PetscMPIIntCast(nv, &n));
  PetscCallMPI(MPI_Allreduce(samples, ev->s, n, MPIU_REAL, MPI_SUM, ev->comm));
  PetscCallMPI(MPI_Allreduce(samples + nv, ev->z, n, MPIU_REAL, MPI_SUM, ev->comm));
  PetscCallMPI(MPI_Allreduce(samples + 2 * nv, ev->u, n, MPIU_REAL, MPI_SUM, ev->comm));
  PetscFunctionReturn(0);
}

/* The chain's steps and switches over all paths: summed over the ranks when the paths
 * are spread (integers: exact), else every rank ran every path and holds them already. */
static PetscErrorCode GatherRegimes(StkEvaluate ev)
{
  PetscMPIInt n;

  PetscFunctionBeginUser;
  PetscCall(StkSimGetNumRegimes(ev->runner, &ev->nregimes));
  if (!ev->nregimes) PetscFunctionReturn(0);
  PetscCall(StkSimGetRegimeStats(ev->runner, ev->regime_steps, ev->regime_jumps));
  if (!ev->spread) PetscFunctionReturn(0);
  PetscCall(PetscMPIIntCast(ev->nregimes, &n));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, ev->regime_steps, n, MPIU_INT64, MPI_SUM, ev->comm));
  PetscCall(PetscMPIIntCast(ev->nregimes * ev->nregimes, &n));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, ev->regime_jumps, n, MPIU_INT64, MPI_SUM, ev->comm));
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateGetRegimeStats(StkEvaluate ev, PetscInt *M, const PetscInt64 **steps, const PetscInt64 **jumps)
{
  PetscFunctionBeginUser;
  PetscCheck(ev->setupcalled, ev->comm, PETSC_ERR_ARG_WRONGSTATE, "StkEvaluateRun must be called before StkEvaluateGetRegimeStats");
  if (M) *M = ev->nregimes;
  if (steps) *steps = ev->regime_steps;
  if (jumps) *jumps = ev->regime_jumps;
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateRun(StkEvaluate ev)
{
  PetscMPIInt rank, size;
  StkSimPath  path;
  void       *state = NULL;
  PetscReal  *values, *samples, *price = NULL;
  PetscInt    first, step, n;

  PetscFunctionBeginUser;
  PetscCall(StkEvaluateSetUp(ev));
  n = ev->nsteps + 1; /* known after SetUp */
  PetscCheck(ev->fn, ev->comm, PETSC_ERR_ARG_WRONGSTATE, "StkEvaluateSetPolicy must be called before StkEvaluateRun");
  if (ev->monitor) PetscCall(StkSimSetPolicy(ev->runner, MonitoredPolicy, MonitoredReset, ev));
  else PetscCall(StkSimSetPolicy(ev->runner, ev->fn, ev->reset, ev->ctx));
  PetscCallMPI(MPI_Comm_rank(ev->comm, &rank));
  PetscCallMPI(MPI_Comm_size(ev->comm, &size));
  /* spread: path p on rank p mod size; else every rank runs every path (its share of
   * the agents) and rank 0 keeps the results */
  first     = ev->spread ? rank : 0;
  step      = ev->spread ? size : 1;
  ev->total = (ev->npaths - first + step - 1) / step;
  ev->done  = 0;
  PetscCall(PetscMalloc4(n, &path.t, n, &path.s, n, &path.z, n, &path.u));
  if (ev->state_size) PetscCall(PetscCalloc(ev->state_size, &state));
  PetscCall(PetscCalloc2(ev->npaths * STK_METRIC_COUNT, &values, 3 * ev->nsamples * ev->nrec, &samples));
  if (ev->price_values) PetscCall(PetscCalloc1(ev->npaths * (STK_PRICE_METRIC_COUNT + 2), &price));
  PetscCall(StkSimResetRegimeStats(ev->runner));
  PetscCall(PetscLogEventBegin(STK_EVENT_Evaluate, 0, 0, 0, 0));
  for (PetscInt p = first; p < ev->npaths; p += step) {
    PetscCall(RunPath(ev, p, state, &path));
    if (ev->spread || !rank) PetscCall(StorePath(ev, p, &path, values, samples, price));
    ev->done++;
    if (ev->monitor) PetscCall(ev->monitor(ev, ev->done, ev->total, path.t[ev->nsteps], path.t[ev->nsteps], ev->monitor_ctx));
  }
  PetscCall(PetscLogEventEnd(STK_EVENT_Evaluate, 0, 0, 0, 0));
  PetscCall(Gather(ev, values, samples, price));
  PetscCall(GatherRegimes(ev));
  PetscCall(PetscFree2(values, samples));
  PetscCall(PetscFree(price));
  PetscCall(PetscFree(state));
  PetscCall(PetscFree4(path.t, path.s, path.z, path.u));
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateGetMetrics(StkEvaluate ev, PetscInt *npaths, PetscInt *nmetrics, const char *const **names, const PetscReal **values)
{
  PetscFunctionBeginUser;
  PetscCheck(ev->setupcalled, ev->comm, PETSC_ERR_ARG_WRONGSTATE, "StkEvaluateRun must be called before StkEvaluateGetMetrics");
  if (npaths) *npaths = ev->npaths;
  if (nmetrics) *nmetrics = STK_METRIC_COUNT;
  if (names) *names = StkMetricNames;
  if (values) *values = ev->values;
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateGetMetric(StkEvaluate ev, StkMetric m, PetscReal out[])
{
  PetscFunctionBeginUser;
  PetscCheck(m >= 0 && m < STK_METRIC_COUNT, ev->comm, PETSC_ERR_ARG_OUTOFRANGE, "Metric index must lie in [0, %d), got %d", STK_METRIC_COUNT, (int)m);
  PetscCheck(ev->setupcalled, ev->comm, PETSC_ERR_ARG_WRONGSTATE, "StkEvaluateRun must be called before StkEvaluateGetMetric");
  for (PetscInt p = 0; p < ev->npaths; p++) out[p] = ev->values[p * STK_METRIC_COUNT + m];
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateGetSamples(StkEvaluate ev, PetscInt *nsamples, PetscInt *nrec, PetscInt *stride, const PetscReal **t, const PetscReal **s, const PetscReal **z, const PetscReal **u)
{
  PetscFunctionBeginUser;
  PetscCheck(ev->setupcalled, ev->comm, PETSC_ERR_ARG_WRONGSTATE, "StkEvaluateRun must be called before StkEvaluateGetSamples");
  if (nsamples) *nsamples = ev->nsamples;
  if (nrec) *nrec = ev->nrec;
  if (stride) *stride = ev->stride;
  if (t) *t = ev->t;
  if (s) *s = ev->s;
  if (z) *z = ev->z;
  if (u) *u = ev->u;
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateGetNumSteps(StkEvaluate ev, PetscInt *nsteps)
{
  PetscFunctionBeginUser;
  PetscCall(StkEvaluateSetUp(ev));
  *nsteps = ev->nsteps;
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateView(StkEvaluate ev, PetscViewer viewer)
{
  char start[96];

  PetscFunctionBeginUser;
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(ev->comm, &viewer));
  if (ev->start == STK_EVAL_START_FIXED) PetscCall(PetscSNPrintf(start, sizeof(start), "s0 = %g, z0 = %g", (double)ev->s0, (double)ev->z0));
  else PetscCall(PetscSNPrintf(start, sizeof(start), "s0 in [%g, %g], z0 = zbar", (double)ev->s_lo, (double)(ev->s_lo + ev->s_width)));
  PetscCall(PetscViewerASCIIPrintf(viewer, "Policy evaluation: %" PetscInt_FMT " paths, noise key %" PetscInt_FMT ", start %s (%s), parallel over %s\n", ev->npaths, ev->seed, StkEvaluateStarts[ev->start], start, StkEvaluateParallels[ev->parallel]));
  PetscCall(PetscViewerASCIIPrintf(viewer, "band +-%g around sbar, recovery held for %g days (censored at the horizon)\n", (double)ev->band, (double)(ev->hold * STK_DAYS_PER_YEAR)));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  PetscCall(StkSimView(ev->runner ? ev->runner : ev->sim, viewer));
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateDestroy(StkEvaluate *ev)
{
  PetscFunctionBeginUser;
  if (!*ev) PetscFunctionReturn(0);
  PetscCall(StkEvaluateDestroyRunner(*ev));
  PetscCall(StkSimDestroy(&(*ev)->sim));
  PetscCall(PetscFree((*ev)->values));
  PetscCall(PetscFree2((*ev)->price_values, (*ev)->price_ends));
  PetscCall(PetscFree((*ev)->prefix));
  PetscCall(PetscFree4((*ev)->t, (*ev)->s, (*ev)->z, (*ev)->u));
  PetscCall(PetscFree(*ev));
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateGetPriceMetrics(StkEvaluate ev, const PetscReal **values, const PetscReal **ends)
{
  PetscFunctionBeginUser;
  PetscCheck(ev->setupcalled, ev->comm, PETSC_ERR_ARG_WRONGSTATE, "StkEvaluateRun must be called before StkEvaluateGetPriceMetrics");
  if (values) *values = ev->price_values;
  if (ends) *ends = ev->price_ends;
  PetscFunctionReturn(0);
}
