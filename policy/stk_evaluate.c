/* StkEvaluate: a policy on M paths of an environment, common random numbers, the
 * metrics of MODEL.md section 6 (definitions in stk_evaluate.h, docs/policies.md). */
#include "stk_evaluate.h"
#include "stk_metrics.h"
#include "stk_policyimpl.h" /* STK_DAYS_PER_YEAR */
#include <string.h>

const char *const StkEvaluateStarts[] = {"spread", "fixed", "StkEvaluateStart", "STK_EVAL_START_", NULL};

static const char *const stk_eval_names[STK_EVAL_NMETRICS] = {"rmse", "in_band", "u_mean", "u_vol", "cost", "recovery_time", "recovery_censored", "herfindahl"};

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
  MPI_Comm         comm;
  StkModel         model; /* borrowed */
  StkPopulation    pop;   /* borrowed: the environment's holders */
  StkSim           sim;   /* on PETSC_COMM_SELF */
  StkPolicyFn      fn;
  StkPolicyResetFn reset;
  void            *ctx;
  size_t           state_size;
  /* options */
  PetscInt         npaths, seed;
  StkEvaluateStart start;
  PetscReal        s_lo, s_hi, s0, z0, band, hold_days;
  /* after SetUp */
  PetscBool        setupcalled;
  PetscReal        sbar, t_shock;
  PetscInt         nrec;
  PetscReal       *values; /* npaths x STK_EVAL_NMETRICS */
};

PetscErrorCode StkEvaluateCreate(MPI_Comm comm, StkEvaluate *ev)
{
  StkEvaluate e;

  PetscFunctionBeginUser;
  PetscCall(StkEvaluateRegisterEvents());
  PetscCall(PetscNew(&e));
  e->comm      = comm;
  e->npaths    = 16;
  e->seed      = 12345;
  e->start     = STK_EVAL_START_SPREAD;
  e->s_lo      = 0.2;
  e->s_hi      = 0.9;
  e->s0        = 0.5;
  e->z0        = (PetscReal)NAN;
  e->band      = 0.02;
  e->hold_days = 30;
  PetscCall(StkSimCreate(PETSC_COMM_SELF, &e->sim));
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

PetscErrorCode StkEvaluateSetNumPaths(StkEvaluate ev, PetscInt npaths)
{
  PetscFunctionBeginUser;
  PetscCheck(npaths >= 1, ev->comm, PETSC_ERR_ARG_OUTOFRANGE, "-eval_paths must be >= 1, got %" PetscInt_FMT, npaths);
  ev->npaths      = npaths;
  ev->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateGetSim(StkEvaluate ev, StkSim *sim)
{
  PetscFunctionBeginUser;
  *sim = ev->sim;
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateSetFromOptions(StkEvaluate ev)
{
  PetscFunctionBeginUser;
  PetscOptionsBegin(ev->comm, "eval_", "Policy evaluation on common random numbers (MODEL.md section 6)", NULL);
  PetscCall(PetscOptionsInt("-paths", "Number of paths M", "StkEvaluateSetFromOptions", ev->npaths, &ev->npaths, NULL));
  PetscCall(PetscOptionsInt("-seed", "Key of the paths' noise (replaces -sim_seed)", "", ev->seed, &ev->seed, NULL));
  PetscCall(PetscOptionsEnum("-start", "Start states: spread (stratified s0 in [s_lo, s_hi], z0 = zbar) or fixed (s0, z0)", "", StkEvaluateStarts, (PetscEnum)ev->start, (PetscEnum *)&ev->start, NULL));
  PetscCall(PetscOptionsReal("-s_lo", "spread: lowest start staking ratio", "", ev->s_lo, &ev->s_lo, NULL));
  PetscCall(PetscOptionsReal("-s_hi", "spread: highest start staking ratio", "", ev->s_hi, &ev->s_hi, NULL));
  PetscCall(PetscOptionsReal("-s0", "fixed: start staking ratio", "", ev->s0, &ev->s0, NULL));
  PetscCall(PetscOptionsReal("-z0", "fixed: start z, 1/yr (NaN: zbar)", "", ev->z0, &ev->z0, NULL));
  PetscCall(PetscOptionsReal("-band", "Half-width of the band around sbar for in_band and recovery_time", "", ev->band, &ev->band, NULL));
  PetscCall(PetscOptionsReal("-hold_days", "Days |s - sbar| < band must hold to count as recovered", "", ev->hold_days, &ev->hold_days, NULL));
  PetscOptionsEnd();
  PetscCall(StkSimSetFromOptions(ev->sim));
  ev->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

static PetscErrorCode StkEvaluateCheck(StkEvaluate ev)
{
  const char *type;

  PetscFunctionBeginUser;
  PetscCheck(ev->model, ev->comm, PETSC_ERR_ARG_WRONGSTATE, "StkEvaluateSetModel must be called before StkEvaluateSetUp");
  PetscCall(StkModelGetType(ev->model, &type));
  PetscCheck(!strcmp(type, STK_MODEL_STAKING), ev->comm, PETSC_ERR_ARG_WRONG, "Policy evaluation needs a staking model, got -model %s", type);
  PetscCheck(ev->npaths >= 1, ev->comm, PETSC_ERR_ARG_OUTOFRANGE, "-eval_paths must be >= 1, got %" PetscInt_FMT, ev->npaths);
  PetscCheck(ev->seed >= 0, ev->comm, PETSC_ERR_ARG_OUTOFRANGE, "-eval_seed must be >= 0, got %" PetscInt_FMT, ev->seed);
  PetscCheck(ev->s_lo >= 0 && ev->s_lo <= ev->s_hi && ev->s_hi <= 1, ev->comm, PETSC_ERR_ARG_OUTOFRANGE, "-eval_s_lo %g and -eval_s_hi %g must satisfy 0 <= s_lo <= s_hi <= 1", (double)ev->s_lo, (double)ev->s_hi);
  PetscCheck(ev->s0 >= 0 && ev->s0 <= 1, ev->comm, PETSC_ERR_ARG_OUTOFRANGE, "-eval_s0 must lie in [0, 1], got %g", (double)ev->s0);
  PetscCheck(ev->band > 0, ev->comm, PETSC_ERR_ARG_OUTOFRANGE, "-eval_band must be > 0, got %g", (double)ev->band);
  PetscCheck(ev->hold_days >= 0, ev->comm, PETSC_ERR_ARG_OUTOFRANGE, "-eval_hold_days must be >= 0, got %g", (double)ev->hold_days);
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateSetUp(StkEvaluate ev)
{
  PetscReal      ref[STK_MAX_DIM];
  StkSimSettings set;
  const StkSimSettings *cur;
  PetscInt       nshock;

  PetscFunctionBeginUser;
  if (ev->setupcalled) PetscFunctionReturn(0);
  PetscCall(StkEvaluateCheck(ev));
  PetscCall(StkModelSetUp(ev->model));
  PetscCall(StkModelGetReferencePoint(ev->model, ref));
  ev->sbar = ref[0];
  if (!ev->pop) PetscCall(StkModelStakingGetPopulation(ev->model, &ev->pop));
  PetscCall(StkSimSetPopulation(ev->sim, ev->pop));
  PetscCall(StkSimGetSettings(ev->sim, &cur));
  set      = *cur;
  set.seed = ev->seed;
  PetscCall(StkSimSetSettings(ev->sim, &set));
  PetscCall(StkSimSetUp(ev->sim));
  PetscCall(StkSimGetNumRecords(ev->sim, &ev->nrec));
  PetscCheck(ev->nrec >= 2, ev->comm, PETSC_ERR_ARG_OUTOFRANGE, "-sim_t_final / (-sim_dt -sim_every) gives %" PetscInt_FMT " record(s); the metrics need at least 2", ev->nrec);
  PetscCall(StkSimGetNumShocks(ev->sim, &nshock));
  ev->t_shock = (PetscReal)NAN;
  if (nshock) PetscCall(StkSimGetShock(ev->sim, 0, &ev->t_shock, NULL, NULL));
  PetscCall(PetscFree(ev->values));
  PetscCall(PetscCalloc1(ev->npaths * STK_EVAL_NMETRICS, &ev->values));
  ev->setupcalled = PETSC_TRUE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateGetStart(StkEvaluate ev, PetscInt p, PetscReal *s0, PetscReal *z0)
{
  PetscFunctionBeginUser;
  if (ev->start == STK_EVAL_START_SPREAD) {
    *s0 = ev->s_lo + (ev->s_hi - ev->s_lo) * (p + 0.5) / ev->npaths;
    *z0 = (PetscReal)NAN;
  } else {
    *s0 = ev->s0;
    *z0 = ev->z0;
  }
  PetscFunctionReturn(0);
}

/* ---- Metrics of one path ---- */

/* Years from the shock to the first record r >= shock such that records r .. r + m
 * all lie strictly inside the band (m = ceil(hold / h) intervals); censored: the
 * time left. */
static void Recovery(PetscReal sbar, PetscReal band, PetscReal hold, PetscReal t_shock, PetscInt n, PetscReal h, const StkSimPath *path, PetscReal *time, PetscReal *censored)
{
  const PetscReal t0   = PetscIsNanReal(t_shock) ? 0 : t_shock;
  const PetscInt  m    = (PetscInt)PetscCeilReal(hold / h - 1e-9);
  PetscInt        run0 = -1, k = 0;

  while (k < n && path->t[k] < t0 - 1e-3 * h) k++;
  for (; k < n; k++) {
    if (PetscAbsReal(path->s[k] - sbar) < band) {
      if (run0 < 0) run0 = k;
      if (k - run0 >= m) {
        *time     = path->t[run0] - t0;
        *censored = 0;
        return;
      }
    } else run0 = -1;
  }
  *time     = path->t[n - 1] - t0;
  *censored = 1;
}

PetscErrorCode StkEvaluatePathMetrics(StkModel model, PetscReal sbar, PetscReal band, PetscReal hold, PetscReal t_shock, PetscInt n_agents, PetscInt n, PetscReal h, const StkSimPath *path, PetscReal metrics[])
{
  StkMetricContext mc;
  PetscReal        m[STK_METRIC_COUNT];

  PetscFunctionBeginUser;
  PetscCheck(n >= 2 && h > 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "A path needs at least 2 records and a positive spacing, got %" PetscInt_FMT " and %g", n, (double)h);
  /* The metrics of simulate and compare (policy/stk_metrics.c), with this object's
   * recovery convention: measured from t = 0 without a shock, censored at the horizon. */
  PetscCall(PetscMemzero(&mc, sizeof(mc)));
  mc.model    = model;
  mc.sbar     = sbar;
  mc.dt       = h;
  mc.band     = band;
  mc.hold     = hold;
  mc.t_shock  = (PetscReal)NAN;
  mc.n_agents = n_agents;
  PetscCall(StkModelGetDiscount(model, &mc.rho));
  PetscCall(StkPathMetrics(&mc, n - 1, path, m));
  metrics[STK_EVAL_RMSE]       = m[STK_METRIC_TRACKING_RMSE];
  metrics[STK_EVAL_IN_BAND]    = m[STK_METRIC_TIME_IN_BAND];
  metrics[STK_EVAL_U_MEAN]     = m[STK_METRIC_MEAN_U];
  metrics[STK_EVAL_U_VOL]      = m[STK_METRIC_STD_U];
  metrics[STK_EVAL_COST]       = m[STK_METRIC_DISCOUNTED_COST];
  metrics[STK_EVAL_HERFINDAHL] = m[STK_METRIC_HERFINDAHL];
  Recovery(sbar, band, hold, t_shock, n, h, path, &metrics[STK_EVAL_RECOVERY], &metrics[STK_EVAL_CENSORED]);
  PetscFunctionReturn(0);
}

/* ---- Run ---- */

static PetscErrorCode RunPath(StkEvaluate ev, PetscInt p, void *state, StkSimPath *path, PetscReal metrics[])
{
  const StkSimSettings *cur;
  StkSimSettings        set;

  PetscFunctionBeginUser;
  PetscCall(StkSimGetSettings(ev->sim, &cur));
  set = *cur;
  PetscCall(StkEvaluateGetStart(ev, p, &set.s0, &set.z0));
  PetscCall(StkSimSetSettings(ev->sim, &set));
  PetscCall(StkSimRun(ev->sim, p, state, path));
  PetscCall(StkEvaluatePathMetrics(ev->model, ev->sbar, ev->band, ev->hold_days / STK_DAYS_PER_YEAR, ev->t_shock, set.type == STK_SIM_ABM ? set.n_agents : 0, ev->nrec, set.dt * set.every, path, metrics));
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateRun(StkEvaluate ev)
{
  PetscMPIInt rank, size;
  StkSimPath  path;
  void       *state = NULL;
  PetscReal  *local;
  const PetscInt nv = ev->npaths * STK_EVAL_NMETRICS;

  PetscFunctionBeginUser;
  PetscCall(StkEvaluateSetUp(ev));
  PetscCheck(ev->fn, ev->comm, PETSC_ERR_ARG_WRONGSTATE, "StkEvaluateSetPolicy must be called before StkEvaluateRun");
  PetscCall(StkSimSetPolicy(ev->sim, ev->fn, ev->reset, ev->ctx));
  PetscCallMPI(MPI_Comm_rank(ev->comm, &rank));
  PetscCallMPI(MPI_Comm_size(ev->comm, &size));
  PetscCall(PetscMalloc4(ev->nrec, &path.t, ev->nrec, &path.s, ev->nrec, &path.z, ev->nrec, &path.u));
  if (ev->state_size) PetscCall(PetscMalloc(ev->state_size, &state));
  PetscCall(PetscCalloc1(nv, &local));
  PetscCall(PetscLogEventBegin(STK_EVENT_Evaluate, 0, 0, 0, 0));
  for (PetscInt p = rank; p < ev->npaths; p += size) PetscCall(RunPath(ev, p, state, &path, local + p * STK_EVAL_NMETRICS));
  PetscCall(PetscLogEventEnd(STK_EVENT_Evaluate, 0, 0, 0, 0));
  /* Each entry is set by one rank and zero elsewhere: the sum is exact, so the gathered
   * metrics are bitwise those of a serial run. */
  PetscCallMPI(MPI_Allreduce(local, ev->values, (PetscMPIInt)nv, MPIU_REAL, MPI_SUM, ev->comm));
  PetscCall(PetscFree(local));
  PetscCall(PetscFree(state));
  PetscCall(PetscFree4(path.t, path.s, path.z, path.u));
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateGetMetrics(StkEvaluate ev, PetscInt *npaths, PetscInt *nmetrics, const char *const **names, const PetscReal **values)
{
  PetscFunctionBeginUser;
  PetscCheck(ev->setupcalled, ev->comm, PETSC_ERR_ARG_WRONGSTATE, "StkEvaluateRun must be called before StkEvaluateGetMetrics");
  if (npaths) *npaths = ev->npaths;
  if (nmetrics) *nmetrics = STK_EVAL_NMETRICS;
  if (names) *names = stk_eval_names;
  if (values) *values = ev->values;
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateGetMetric(StkEvaluate ev, PetscInt m, PetscReal out[])
{
  PetscFunctionBeginUser;
  PetscCheck(m >= 0 && m < STK_EVAL_NMETRICS, ev->comm, PETSC_ERR_ARG_OUTOFRANGE, "Metric index must lie in [0, %d), got %" PetscInt_FMT, STK_EVAL_NMETRICS, m);
  PetscCheck(ev->setupcalled, ev->comm, PETSC_ERR_ARG_WRONGSTATE, "StkEvaluateRun must be called before StkEvaluateGetMetric");
  for (PetscInt p = 0; p < ev->npaths; p++) out[p] = ev->values[p * STK_EVAL_NMETRICS + m];
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateView(StkEvaluate ev, PetscViewer viewer)
{
  char start[96];

  PetscFunctionBeginUser;
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(ev->comm, &viewer));
  if (ev->start == STK_EVAL_START_SPREAD) PetscCall(PetscSNPrintf(start, sizeof(start), "s0 in [%g, %g], z0 = zbar", (double)ev->s_lo, (double)ev->s_hi));
  else PetscCall(PetscSNPrintf(start, sizeof(start), "s0 = %g, z0 = %g", (double)ev->s0, (double)ev->z0));
  PetscCall(PetscViewerASCIIPrintf(viewer, "Policy evaluation: %" PetscInt_FMT " paths, noise key %" PetscInt_FMT ", start %s (%s)\n", ev->npaths, ev->seed, StkEvaluateStarts[ev->start], start));
  PetscCall(PetscViewerASCIIPrintf(viewer, "band +-%g around sbar, recovery held for %g days\n", (double)ev->band, (double)ev->hold_days));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  PetscCall(StkSimView(ev->sim, viewer));
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(0);
}

PetscErrorCode StkEvaluateDestroy(StkEvaluate *ev)
{
  PetscFunctionBeginUser;
  if (!*ev) PetscFunctionReturn(0);
  PetscCall(StkSimDestroy(&(*ev)->sim));
  PetscCall(PetscFree((*ev)->values));
  PetscCall(PetscFree(*ev));
  PetscFunctionReturn(0);
}
