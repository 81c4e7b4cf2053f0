/* StkSimulation: one policy, one environment, M paths from one start (stk_simulation.h). */
#include "stk_simulation.h"
#include "stk_options.h"
#include "stk_version.h"
#include <petsctime.h>
#include <string.h>

struct _p_StkSimulation {
  MPI_Comm    comm;
  char       *prefix; /* USER part of the options prefix (handed to the engine) */
  StkModel    model;  /* borrowed */
  StkPolicy   policy; /* borrowed */
  StkEvaluate ev;
  char        source[PETSC_MAX_PATH_LEN];      /* the policy's file ("" if none) */
  char        description[PETSC_MAX_PATH_LEN]; /* for the summary and the file */
  PetscInt    paths, max_records;
  PetscReal   band, hold; /* tracking band around sbar; recovery hold, yr */
  PetscReal   wall;       /* seconds of the last Run */
};

PetscErrorCode StkSimulationCreate(MPI_Comm comm, StkSimulation *sm)
{
  StkSimulation s;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&s));
  s->comm        = comm;
  s->paths       = 10;
  s->max_records = 2000;
  s->band        = 0.02;
  s->hold        = 30 / STK_DAYS_PER_YEAR;
  PetscCall(StkEvaluateCreate(comm, &s->ev));
  PetscCall(StkEvaluateSetParallel(s->ev, STK_EVAL_PARALLEL_AGENTS)); /* few paths of many agents */
  *sm = s;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimulationSetModel(StkSimulation sm, StkModel model)
{
  StkPopulation pop;
  StkSim        sim;

  PetscFunctionBeginUser;
  PetscCall(StkModelStakingGetPopulation(model, &pop)); /* a staking model, or a clear error */
  sm->model = model;
  PetscCall(StkEvaluateSetModel(sm->ev, model));
  PetscCall(StkEvaluateGetSim(sm->ev, &sim));
  PetscCall(StkSimSetPopulation(sim, pop));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimulationSetPolicy(StkSimulation sm, StkPolicy policy, const char source[])
{
  const char *type;

  PetscFunctionBeginUser;
  sm->policy = policy;
  PetscCall(PetscStrncpy(sm->source, source ? source : "", sizeof(sm->source)));
  PetscCall(StkPolicyGetType(policy, &type));
  PetscCall(PetscSNPrintf(sm->description, sizeof(sm->description), "%s (docs/policies.md)%s%s", type, sm->source[0] ? ", file " : "", sm->source));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimulationSetMonitor(StkSimulation sm, StkEvaluateMonitorFn monitor, void *ctx)
{
  PetscFunctionBeginUser;
  PetscCall(StkEvaluateSetMonitor(sm->ev, monitor, ctx));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimulationSetOptionsPrefix(StkSimulation sm, const char prefix[])
{
  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixSet(&sm->prefix, prefix));
  PetscCall(StkEvaluateSetOptionsPrefix(sm->ev, prefix));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimulationAppendOptionsPrefix(StkSimulation sm, const char prefix[])
{
  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixAppend(&sm->prefix, prefix));
  PetscCall(StkEvaluateAppendOptionsPrefix(sm->ev, prefix));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimulationGetOptionsPrefix(StkSimulation sm, const char *prefix[])
{
  PetscFunctionBeginUser;
  *prefix = sm->prefix;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimulationSetFromOptions(StkSimulation sm)
{
  StkSim sim;
  char   pre[256];

  PetscFunctionBeginUser;
  PetscCall(StkEvaluateGetSim(sm->ev, &sim));
  PetscCall(StkSimSetFromOptions(sim));
  PetscCall(StkOptionsPrefixCompose(sm->prefix, "sim_", pre, sizeof(pre)));
  PetscOptionsBegin(sm->comm, pre, "stakehjb simulate", NULL);
  PetscCall(PetscOptionsInt("-paths", "Number of paths M (replications 0 .. M-1 of -sim_seed)", "", sm->paths, &sm->paths, NULL));
  PetscCall(PetscOptionsInt("-max_records", "Most records per path in the file (longer paths are subsampled; -sim_every is the finest stride)", "", sm->max_records, &sm->max_records, NULL));
  PetscCall(PetscOptionsReal("-band", "Half-width of the tracking band around sbar (time_in_band, recovery_time)", "", sm->band, &sm->band, NULL));
  PetscCall(PetscOptionsReal("-recovery_hold", "How long s must stay in the band to count as recovered, yr", "", sm->hold, &sm->hold, NULL));
  PetscOptionsEnd();
  PetscFunctionReturn(0);
}

static PetscErrorCode StkSimulationCheck(StkSimulation sm)
{
  const char *user = sm->prefix ? sm->prefix : ""; /* the prefix in force, for the messages */

  PetscFunctionBeginUser;
  PetscCheck(sm->model && sm->policy, sm->comm, PETSC_ERR_ARG_WRONGSTATE, "StkSimulationSetModel and StkSimulationSetPolicy must be called before StkSimulationSetUp");
  PetscCheck(sm->paths >= 1, sm->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%ssim_paths must be >= 1, got %" PetscInt_FMT, user, sm->paths);
  PetscCheck(sm->max_records >= 2, sm->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%ssim_max_records must be >= 2, got %" PetscInt_FMT, user, sm->max_records);
  { /* the kept paths (s, z, u and t per record), before the engine allocates them */
    char what[256];
    PetscCall(PetscSNPrintf(what, sizeof(what), "-%ssim_paths %" PetscInt_FMT " x -%ssim_max_records %" PetscInt_FMT, user, sm->paths, user, sm->max_records));
    PetscCall(StkMemoryCheck(sm->comm, 32.0 * (PetscReal)sm->paths * (PetscReal)sm->max_records, what));
  }
  PetscCheck(sm->band > 0 && !PetscIsInfReal(sm->band), sm->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%ssim_band must be > 0 and finite, got %g", user, (double)sm->band);
  PetscCheck(sm->hold >= 0 && !PetscIsInfReal(sm->hold), sm->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%ssim_recovery_hold must be >= 0 and finite, got %g", user, (double)sm->hold);
  PetscFunctionReturn(0);
}

/* A regime_solution policy needs the environment's chain to have the file's regimes, in
 * the file's order (names, from the files' basenames); other rates than the file's are
 * a warning (a legitimate robustness experiment). */
static PetscErrorCode CheckPolicyRegimes(StkSimulation sm, StkSim sim)
{
  const char      *type, *fnames;
  const PetscReal *frates, *srates;
  char             snames[STK_SIM_MAX_REGIMES * 64] = "", pre[256];
  PetscInt         fM, sM;
  PetscBool        regime;

  PetscFunctionBeginUser;
  PetscCall(StkPolicyGetType(sm->policy, &type));
  PetscCall(PetscStrcmp(type, STK_POLICY_REGIME_SOLUTION, &regime));
  if (!regime) PetscFunctionReturn(0);
  PetscCall(StkOptionsPrefixCompose(sm->prefix, "sim_", pre, sizeof(pre)));
  PetscCall(StkPolicyRegimeSolutionGetRegimes(sm->policy, &fM, &fnames, &frates));
  PetscCall(StkSimGetNumRegimes(sim, &sM));
  for (PetscInt i = 0; i < sM; i++) {
    const char *name;
    PetscCall(StkSimGetRegimeName(sim, i, &name));
    if (i) PetscCall(PetscStrlcat(snames, ",", sizeof(snames)));
    PetscCall(PetscStrlcat(snames, name, sizeof(snames)));
  }
  PetscCheck(sM, sm->comm, PETSC_ERR_USER_INPUT, "-%sregime_files: not given, but the regime_solution policy's -policy_file %s has %" PetscInt_FMT " regimes (%s): give the regime files it was solved with", pre, sm->source, fM, fnames);
  PetscCheck(sM == fM && !strcmp(snames, fnames), sm->comm, PETSC_ERR_USER_INPUT, "-%sregime_files: regimes %s, but -policy_file %s was solved for %s: give the same files in the same order", pre, snames, sm->source, fnames);
  PetscCall(StkSimGetRegimeRates(sim, &srates));
  for (PetscInt k = 0; k < sM * sM; k++)
    if (k / sM != k % sM && PetscAbsReal(srates[k] - frates[k]) > 1e-12 * PetscMax(PetscAbsReal(frates[k]), (PetscReal)1)) PetscCall(PetscFPrintf(sm->comm, PETSC_STDERR, "warning: -policy_file %s was solved with q_%" PetscInt_FMT "%" PetscInt_FMT " = %g, this run has -%sregime_rates %g there\n", sm->source, k / sM, k % sM, (double)frates[k], pre, (double)srates[k]));
  PetscFunctionReturn(0);
}

/* The engine runs the simulator's own seed and start for every path and keeps every
 * path, every stride-th step: the user's -sim_every, or coarser to fit -sim_max_records. */
PetscErrorCode StkSimulationSetUp(StkSimulation sm)
{
  StkSim                sim;
  const StkSimSettings *set;
  StkPolicyFn           fn;
  StkPolicyResetFn      reset;
  void                 *ctx;
  size_t                state_size;
  PetscInt              nsteps, stride;

  PetscFunctionBeginUser;
  PetscCall(StkSimulationCheck(sm));
  PetscCall(StkModelSetUp(sm->model));
  PetscCall(StkEvaluateGetSim(sm->ev, &sim));
  PetscCall(StkSimGetNumSteps(sim, &nsteps)); /* every check of the environment, collectively */
  PetscCall(CheckPolicyRegimes(sm, sim));
  PetscCall(StkSimGetSettings(sim, &set));
  stride = PetscMax(set->every, (nsteps + sm->max_records - 2) / (sm->max_records - 1));
  PetscCall(StkEvaluateSetPaths(sm->ev, sm->paths));
  PetscCall(StkEvaluateSetSeed(sm->ev, set->seed));
  PetscCall(StkEvaluateSetStart(sm->ev, STK_EVAL_START_FIXED));
  PetscCall(StkEvaluateSetStartState(sm->ev, set->s0, set->z0));
  PetscCall(StkEvaluateSetBand(sm->ev, sm->band, sm->hold));
  PetscCall(StkEvaluateSetSamples(sm->ev, sm->paths, stride));
  PetscCall(StkPolicyGetFunction(sm->policy, &fn, &reset, &ctx, &state_size));
  PetscCall(StkEvaluateSetPolicy(sm->ev, fn, reset, ctx, state_size));
  PetscCall(StkEvaluateSetUp(sm->ev));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimulationRun(StkSimulation sm)
{
  PetscLogDouble t0, t1;

  PetscFunctionBeginUser;
  PetscCall(StkSimulationSetUp(sm));
  PetscCall(PetscTime(&t0));
  PetscCall(StkEvaluateRun(sm->ev));
  PetscCall(PetscTime(&t1));
  sm->wall = t1 - t0;
  PetscFunctionReturn(0);
}

/* Mean, standard deviation, min and max over the paths, NaNs (herfindahl of an sde) skipped. */
static void PathStats(PetscInt M, PetscInt m, const PetscReal v[], PetscReal *mean, PetscReal *sd, PetscReal *lo, PetscReal *hi, PetscInt *n)
{
  PetscReal sum = 0, sum2 = 0;

  *n = 0, *lo = PETSC_MAX_REAL, *hi = -PETSC_MAX_REAL;
  for (PetscInt p = 0; p < M; p++) {
    const PetscReal x = v[p * STK_METRIC_COUNT + m];
    if (PetscIsNanReal(x)) continue;
    sum += x, (*n)++, *lo = PetscMin(*lo, x), *hi = PetscMax(*hi, x);
  }
  *mean = *n ? sum / *n : (PetscReal)NAN;
  for (PetscInt p = 0; p < M; p++)
    if (!PetscIsNanReal(v[p * STK_METRIC_COUNT + m])) sum2 += PetscSqr(v[p * STK_METRIC_COUNT + m] - *mean);
  *sd = *n > 1 ? PetscSqrtReal(sum2 / (*n - 1)) : (PetscReal)NAN;
  if (!*n) *lo = *hi = (PetscReal)NAN;
}

/* Time share of each regime over all paths and the switches per year spent in each. */
static PetscErrorCode ViewRegimes(StkSimulation sm, StkSim sim, PetscViewer viewer)
{
  const StkSimSettings *set;
  const PetscInt64     *steps, *jumps;
  const PetscReal      *q;
  PetscInt64            total = 0;
  PetscInt              M, r0;

  PetscFunctionBeginUser;
  PetscCall(StkEvaluateGetRegimeStats(sm->ev, &M, &steps, &jumps));
  if (!M) PetscFunctionReturn(0);
  PetscCall(StkSimGetSettings(sim, &set));
  PetscCall(StkSimGetRegimeRates(sim, &q));
  PetscCall(StkSimGetInitialRegime(sim, &r0));
  for (PetscInt i = 0; i < M; i++) total += steps[i];
  PetscCall(PetscViewerASCIIPrintf(viewer, "  regime chain (%" PetscInt_FMT " regimes, paths start in regime %" PetscInt_FMT "): time share, switches out per year in the regime (q_i)\n", M, r0));
  for (PetscInt i = 0; i < M; i++) {
    const char *name;
    PetscInt64  out = 0;
    PetscReal   qi  = 0;
    for (PetscInt j = 0; j < M; j++) out += jumps[i * M + j], qi += j == i ? 0 : q[i * M + j];
    PetscCall(StkSimGetRegimeName(sim, i, &name));
    PetscCall(PetscViewerASCIIPrintf(viewer, "  regime %" PetscInt_FMT " %-12s time share %.4f, %" PetscInt64_FMT " switches out, %.4g per yr (q_i %g)\n", i, name, (double)steps[i] / (double)total, out, steps[i] ? (double)out / (steps[i] * set->dt) : 0.0, (double)qi));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimulationView(StkSimulation sm, PetscViewer viewer)
{
  StkSim                sim;
  const StkSimSettings *set;
  const PetscReal      *v;
  PetscInt              M, nsteps;
  PetscMPIInt           size;

  PetscFunctionBeginUser;
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(sm->comm, &viewer));
  PetscCall(StkEvaluateGetSim(sm->ev, &sim));
  PetscCall(StkSimGetSettings(sim, &set));
  PetscCall(StkEvaluateGetNumSteps(sm->ev, &nsteps));
  PetscCall(StkEvaluateGetMetrics(sm->ev, &M, NULL, NULL, &v));
  PetscCallMPI(MPI_Comm_size(sm->comm, &size));
  PetscCall(PetscViewerASCIIPrintf(viewer, "stakehjb simulate: %s environment", StkSimTypes[set->type]));
  if (set->type == STK_SIM_ABM) PetscCall(PetscViewerASCIIPrintf(viewer, " (%" PetscInt_FMT " agents, %s types, %s)", set->n_agents, StkAbmTypesList[set->types], set->response == STK_ABM_BEST ? "best response" : "Hedge learners"));
  PetscCall(PetscViewerASCIIPrintf(viewer, ", policy %s\n", sm->description));
  PetscCall(PetscViewerASCIIPrintf(viewer, "  %" PetscInt_FMT " path(s) of %g yr (%" PetscInt_FMT " steps of %g yr), seed %" PetscInt_FMT ", %d rank(s), %.2f s\n", M, (double)(nsteps * set->dt), nsteps, (double)set->dt, set->seed, (int)size, (double)sm->wall));
  PetscCall(PetscViewerASCIIPrintf(viewer, "  %-17s %12s %12s %12s %12s %8s\n", "metric", "mean", "sd", "min", "max", "paths"));
  for (PetscInt m = 0; m < STK_METRIC_COUNT; m++) {
    PetscReal mean, sd, lo, hi;
    PetscInt  n;
    PathStats(M, m, v, &mean, &sd, &lo, &hi, &n);
    PetscCall(PetscViewerASCIIPrintf(viewer, "  %-17s %12.6g %12.6g %12.6g %12.6g %8" PetscInt_FMT "\n", StkMetricNames[m], (double)mean, (double)sd, (double)lo, (double)hi, n));
  }
  PetscCall(PetscViewerASCIIPrintf(viewer, "  (band +-%g around sbar; recovery: in the band for %g yr, from the first shock or t = 0, censored at T)\n", (double)sm->band, (double)sm->hold));
  PetscCall(ViewRegimes(sm, sim, viewer));
  PetscFunctionReturn(0);
}

/* ---- The file (docs/hdf5.md, group /simulation) ---- */

static PetscErrorCode WriteSettings(StkSimulation sm, StkH5 file, const char g[], const StkSimSettings *set, PetscInt nsteps, PetscInt stride, PetscReal z0)
{
  const char *type;
  PetscMPIInt size;

  PetscFunctionBeginUser;
  PetscCall(StkPolicyGetType(sm->policy, &type));
  PetscCallMPI(MPI_Comm_size(sm->comm, &size));
  PetscCall(StkH5WriteAttributeString(file, g, "program", "stakehjb simulate"));
  PetscCall(StkH5WriteAttributeString(file, g, "version", STK_VERSION));
  PetscCall(StkH5WriteAttributeString(file, g, "environment", StkSimTypes[set->type]));
  PetscCall(StkH5WriteAttributeString(file, g, "policy", type));
  PetscCall(StkH5WriteAttributeString(file, g, "policy_description", sm->description));
  if (!strcmp(type, STK_POLICY_FIXED)) {
    const PetscReal x[2] = {0.5, 0};
    PetscReal       u;
    PetscCall(StkPolicyEvaluate(sm->policy, 0, x, &u, NULL));
    PetscCall(StkH5WriteAttributeReal(file, g, "policy_u", u, "1/yr"));
  }
  if (sm->source[0]) PetscCall(StkH5WriteAttributeString(file, g, "policy_file", sm->source));
  PetscCall(StkH5WriteAttributeInt(file, g, "paths", sm->paths));
  PetscCall(StkH5WriteAttributeInt(file, g, "seed", set->seed));
  PetscCall(StkH5WriteAttributeInt(file, g, "sim_dim", set->dim));
  PetscCall(StkH5WriteAttributeReal(file, g, "dt", set->dt, "yr"));
  PetscCall(StkH5WriteAttributeReal(file, g, "t_final", nsteps * set->dt, "yr"));
  PetscCall(StkH5WriteAttributeInt(file, g, "nsteps", nsteps));
  PetscCall(StkH5WriteAttributeInt(file, g, "record_stride", stride));
  PetscCall(StkH5WriteAttributeReal(file, g, "s0", set->s0, "1"));
  PetscCall(StkH5WriteAttributeReal(file, g, "z0", z0, "1/yr"));
  PetscCall(StkH5WriteAttributeReal(file, g, "band", sm->band, "1"));
  PetscCall(StkH5WriteAttributeReal(file, g, "recovery_hold", sm->hold, "yr"));
  if (set->type == STK_SIM_ABM) {
    PetscCall(StkH5WriteAttributeInt(file, g, "n_agents", set->n_agents));
    PetscCall(StkH5WriteAttributeString(file, g, "abm_types", StkAbmTypesList[set->types]));
    PetscCall(StkH5WriteAttributeString(file, g, "abm_response", StkAbmResponses[set->response]));
    PetscCall(StkH5WriteAttributeString(file, g, "abm_engine", StkAbmEngines[set->engine]));
    PetscCall(StkH5WriteAttributeInt(file, g, "abm_block", set->block));
    if (set->response == STK_ABM_HEDGE) {
      PetscCall(StkH5WriteAttributeReal(file, g, "hedge_rate", set->hedge_rate, "1"));
      PetscCall(StkH5WriteAttributeReal(file, g, "hedge_forget", set->hedge_forget, "1/yr"));
    }
  }
  PetscCall(StkH5WriteAttributeInt(file, g, "ranks", size));
  PetscCall(StkH5WriteAttributeReal(file, g, "wall_time", sm->wall, "s"));
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteShocks(StkH5 file, const char g[], StkSim sim)
{
  PetscReal *sh;
  PetscInt   nshock;

  PetscFunctionBeginUser;
  PetscCall(StkSimGetNumShocks(sim, &nshock));
  if (!nshock) PetscFunctionReturn(0);
  PetscCall(PetscMalloc1(3 * nshock, &sh));
  for (PetscInt i = 0; i < nshock; i++) PetscCall(StkSimGetShock(sim, i, &sh[i], &sh[nshock + i], &sh[2 * nshock + i]));
  PetscCall(StkH5WriteArray(file, g, "shock_t", "shock_t", nshock, sh, "yr", "shock times"));
  PetscCall(StkH5WriteArray(file, g, "shock_dz", "shock_t", nshock, sh + nshock, "1/yr", "jump of z at each shock"));
  PetscCall(StkH5WriteArray(file, g, "shock_frac", "shock_t", nshock, sh + 2 * nshock, "1", "fraction of stake leaving at each shock"));
  PetscCall(PetscFree(sh));
  PetscFunctionReturn(0);
}

/* With a regime chain only (a file without one is unchanged): the names, the rates, the
 * initial regime, and the steps and switches over all paths. */
static PetscErrorCode WriteRegimes(StkSimulation sm, StkH5 file, const char g[], StkSim sim)
{
  const PetscInt64 *steps, *jumps;
  const PetscReal  *q;
  PetscReal        *buf;
  char              names[STK_SIM_MAX_REGIMES * 64] = "";
  PetscInt64        total = 0;
  PetscInt          M, r0;

  PetscFunctionBeginUser;
  PetscCall(StkEvaluateGetRegimeStats(sm->ev, &M, &steps, &jumps));
  if (!M) PetscFunctionReturn(0);
  PetscCall(StkSimGetRegimeRates(sim, &q));
  PetscCall(StkSimGetInitialRegime(sim, &r0));
  for (PetscInt i = 0; i < M; i++) {
    const char *name;
    PetscCall(StkSimGetRegimeName(sim, i, &name));
    if (i) PetscCall(PetscStrlcat(names, ",", sizeof(names)));
    PetscCall(PetscStrlcat(names, name, sizeof(names)));
    total += steps[i];
  }
  PetscCall(PetscMalloc1(M * M, &buf));
  for (PetscInt i = 0; i < M; i++) buf[i] = i;
  PetscCall(StkH5WriteArray(file, g, "regime", "regime", M, buf, "1", "regime index, in the order of the attribute regime_names")); /* the dimension scale */
  PetscCall(StkH5WriteAttributeString(file, g, "regime_names", names));
  PetscCall(StkH5WriteAttributeInt(file, g, "regime0", r0));
  PetscCall(StkH5WriteArray2D(file, g, "regime_rates", "regime", "regime", M, M, q, "1/yr", "switching intensities q_ij of the environment's regime chain, row i = from regime i, diagonal 0"));
  for (PetscInt i = 0; i < M; i++) buf[i] = (PetscReal)steps[i] / (PetscReal)total;
  PetscCall(StkH5WriteArray(file, g, "regime_share", "regime", M, buf, "1", "share of the simulated time (all paths) spent in each regime"));
  for (PetscInt k = 0; k < M * M; k++) buf[k] = (PetscReal)jumps[k];
  PetscCall(StkH5WriteArray2D(file, g, "regime_switches", "regime", "regime", M, M, buf, "1", "switches from regime i (row) to regime j (column), all paths"));
  PetscCall(PetscFree(buf));
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteContents(StkSimulation sm, StkH5 file)
{
  const char            g[] = "simulation";
  StkSim                sim;
  const StkSimSettings *set;
  const PetscReal      *v, *t, *s, *z, *u;
  PetscReal            *col;
  PetscInt              M, nrec, stride, nsteps;

  PetscFunctionBeginUser;
  PetscCall(StkEvaluateGetSim(sm->ev, &sim));
  PetscCall(StkSimGetSettings(sim, &set));
  PetscCall(StkEvaluateGetNumSteps(sm->ev, &nsteps));
  PetscCall(StkEvaluateGetMetrics(sm->ev, &M, NULL, NULL, &v));
  PetscCall(StkEvaluateGetSamples(sm->ev, NULL, &nrec, &stride, &t, &s, &z, &u));
  PetscCall(PetscMalloc1(M, &col));
  for (PetscInt p = 0; p < M; p++) col[p] = p;
  PetscCall(StkH5WriteArray(file, g, "path", "path", M, col, "1", "replication index of the noise (the Philox counter word)"));
  PetscCall(StkH5WriteArray(file, g, "t", "t", nrec, t, "yr", "record times (every record_stride-th step)"));
  PetscCall(StkH5WriteArray2D(file, g, "s", "path", "t", M, nrec, s, "1", "staking ratio"));
  PetscCall(StkH5WriteArray2D(file, g, "z", "path", "t", M, nrec, z, "1/yr", "outside-yield shifter"));
  PetscCall(StkH5WriteArray2D(file, g, "u", "path", "t", M, nrec, u, "1/yr", "issuance rate chosen by the policy at the record time"));
  for (PetscInt m = 0; m < STK_METRIC_COUNT; m++) {
    for (PetscInt p = 0; p < M; p++) col[p] = v[p * STK_METRIC_COUNT + m];
    PetscCall(StkH5WriteArray(file, g, StkMetricNames[m], "path", M, col, StkMetricUnits[m], StkMetricHelp[m]));
  }
  PetscCall(PetscFree(col));
  PetscCall(WriteShocks(file, g, sim));
  PetscCall(WriteRegimes(sm, file, g, sim));
  PetscCall(StkModelWriteAttributes(sm->model, file, g));
  PetscCall(WriteSettings(sm, file, g, set, nsteps, stride, z[0]));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimulationWrite(StkSimulation sm, const char path[])
{
  StkH5          file;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(StkH5Create(sm->comm, path, &file));
  ierr = WriteContents(sm, file);
  if (!ierr) ierr = StkH5Commit(file, "simulation", NULL, 0, NULL);
  PetscCall(StkH5Destroy(&file));
  PetscCall(ierr);
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimulationGetEvaluate(StkSimulation sm, StkEvaluate *ev)
{
  PetscFunctionBeginUser;
  *ev = sm->ev;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimulationDestroy(StkSimulation *sm)
{
  PetscFunctionBeginUser;
  if (!*sm) PetscFunctionReturn(0);
  PetscCall(StkEvaluateDestroy(&(*sm)->ev));
  PetscCall(PetscFree((*sm)->prefix));
  PetscCall(PetscFree(*sm));
  PetscFunctionReturn(0);
}
