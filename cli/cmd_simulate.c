/* stakehjb simulate: run one environment (sde or abm, agents/stk_sim.h) under one
 * policy for T years over M paths of one seed, compute the per-path metrics of
 * MODEL.md section 6, print a summary and write paths and metrics to HDF5
 * (docs/hdf5.md, docs/cli.md).
 *
 * sde paths are independent: each rank runs paths rank, rank + size, ... on
 * PETSC_COMM_SELF.  abm paths spread their agents over all ranks instead.  Either
 * way a path depends only on (seed, path), not on the number of ranks. */
#include "stk_cli.h"
#include "stk_model.h"
#include "stk_sim.h"
#include "stk_policy.h"
#include "stk_metrics.h"
#include "stk_version.h"
#include <petsctime.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------------------------ */
/* Policies.  StkCliSimPolicyFromOptions is the one place that turns options into a
 * policy; the policy layer (policy/) will replace it with its registry. */

typedef struct {
  char             name[32];                        /* solution or a policy-layer type */
  char             description[PETSC_MAX_PATH_LEN]; /* for the summary and the file */
  StkPolicyFn      fn;
  StkPolicyResetFn reset;
  void            *ctx;
  size_t           state_size; /* bytes of per-path state (0: stateless) */
  PetscErrorCode (*destroy)(void *ctx);
  PetscReal u_fixed;  /* the rate of fixed (for the file) */
  char      file[PETSC_MAX_PATH_LEN];
} StkCliSimPolicy;


/* The policy u*(x) of a `stakehjb solve` file, interpolated multilinearly (clamped to
 * the solved box); every rank holds the whole field. */
typedef struct {
  StkGrid            grid;
  Vec                u_all;
  const PetscScalar *u;
} SolutionPolicy;

static PetscErrorCode SolutionPolicyEval(void *ctx, PetscReal t, const PetscReal x[], PetscReal *u, void *state)
{
  SolutionPolicy *sp = (SolutionPolicy *)ctx;

  PetscFunctionBeginUser;
  PetscCall(StkGridInterpolate(sp->grid, sp->u, 1, 0, x, u));
  PetscFunctionReturn(0);
}

static PetscErrorCode SolutionPolicyDestroy(void *ctx)
{
  SolutionPolicy *sp = (SolutionPolicy *)ctx;

  PetscFunctionBeginUser;
  if (!sp) PetscFunctionReturn(0);
  if (sp->u_all) PetscCall(VecRestoreArrayRead(sp->u_all, &sp->u));
  PetscCall(VecDestroy(&sp->u_all));
  PetscCall(StkGridDestroy(&sp->grid));
  PetscCall(PetscFree(sp));
  PetscFunctionReturn(0);
}

/* A policy solved for other agents is legitimate (a robustness experiment) but worth
 * a warning: names each agent parameter of the file that differs from the run's. */
static PetscErrorCode WarnParameterMismatch(StkH5 file, const char path[], const StkAgentParams *p)
{
  const char *names[]  = {"s_max", "phi", "kappa", "sigma0", "zbar", "theta", "sigma_z"};
  PetscReal   values[] = {p->s_max, p->phi, p->kappa, p->sigma0, p->zbar, p->theta, p->sigma_z};

  PetscFunctionBeginUser;
  for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
    PetscReal v;
    PetscCall(StkH5ReadAttributeReal(file, "solution", names[k], &v));
    if (PetscAbsReal(v - values[k]) > 1e-12 * PetscMax(PetscAbsReal(v), (PetscReal)1))
      PetscCall(PetscFPrintf(PETSC_COMM_WORLD, PETSC_STDERR, "stakehjb simulate: warning: -policy_file %s was solved with %s = %g, this run has -agents_%s %g\n", path, names[k], (double)v, names[k], (double)values[k]));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode SolutionPolicyLoad(MPI_Comm comm, const char path[], const StkAgentParams *p, SolutionPolicy **out)
{
  SolutionPolicy *sp;
  StkH5           file;
  Vec             u;
  char            model[64];

  PetscFunctionBeginUser;
  PetscCheck(path[0], comm, PETSC_ERR_ARG_WRONG, "-policy solution needs -policy_file FILE.h5 (written by stakehjb solve)");
  PetscCall(StkH5Open(comm, path, &file));
  PetscCall(StkH5ReadAttributeString(file, "solution", "model", sizeof(model), model));
  PetscCheck(!strcmp(model, STK_MODEL_STAKING), comm, PETSC_ERR_FILE_UNEXPECTED, "-policy_file %s holds a '%s' model, not a staking policy", path, model);
  PetscCall(WarnParameterMismatch(file, path, p));
  PetscCall(PetscNew(&sp));
  PetscCall(StkH5ReadGrid(file, "solution", &sp->grid));
  PetscCall(StkH5ReadField(file, "solution", "policy", sp->grid, 1, &u));
  PetscCall(StkH5Destroy(&file));
  PetscCall(StkGridGatherField(sp->grid, u, &sp->u_all));
  PetscCall(VecDestroy(&u));
  PetscCall(VecGetArrayRead(sp->u_all, &sp->u));
  *out = sp;
  PetscFunctionReturn(0);
}

/* A policy of the policy layer (policy/stk_policy.h): every baseline, the social
 * gradient and the HJB expert, configured by its own -policy_* options. */
static PetscErrorCode PolicyLayerDestroy(void *ctx)
{
  StkPolicy p = (StkPolicy)ctx;

  PetscFunctionBeginUser;
  PetscCall(StkPolicyDestroy(&p));
  PetscFunctionReturn(0);
}

static PetscErrorCode PolicyLayerCreate(MPI_Comm comm, StkModel model, const char name[], StkCliSimPolicy *pol)
{
  StkPolicy p;

  PetscFunctionBeginUser;
  PetscCall(StkPolicyCreate(comm, &p));
  pol->ctx     = p;
  pol->destroy = PolicyLayerDestroy;
  PetscCall(StkPolicySetType(p, name));
  PetscCall(StkPolicySetModel(p, model));
  PetscCall(StkPolicySetFromOptions(p));
  if (StkHelpRequested()) PetscFunctionReturn(0);
  PetscCall(StkPolicySetUp(p));
  PetscCall(StkPolicyGetFunction(p, &pol->fn, &pol->reset, &pol->ctx, &pol->state_size));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-policy_file", pol->file, sizeof(pol->file), NULL));
  if (!strcmp(name, STK_POLICY_FIXED)) {
    const PetscReal x[2] = {0.5, 0};
    PetscCall(StkPolicyEvaluate(p, 0, x, &pol->u_fixed, NULL));
  }
  PetscCall(PetscSNPrintf(pol->description, sizeof(pol->description), "%s (docs/policies.md)%s%s", name, pol->file[0] ? ", file " : "", pol->file));
  PetscFunctionReturn(0);
}

/* -policy solution (u*(x) of -policy_file, interpolated) is handled here; every other
 * name goes to the policy layer, which reads its own options (-policy_u, -policy_gain,
 * -policy_file for the expert, ...). */
static PetscErrorCode StkCliSimPolicyFromOptions(MPI_Comm comm, StkModel model, const StkAgentParams *p, StkCliSimPolicy *pol)
{
  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(pol, sizeof(*pol)));
  PetscCall(PetscStrncpy(pol->name, STK_POLICY_FIXED, sizeof(pol->name)));
  PetscOptionsBegin(comm, NULL, "Policy for stakehjb simulate", NULL);
  PetscCall(PetscOptionsString("-policy", "Issuance policy: solution (u*(x) of -policy_file, interpolated) or a policy of docs/policies.md: zero, fixed, proportional, cosmos, polkadot, ethereum, tezos, social_gradient, expert", "", pol->name, pol->name, sizeof(pol->name), NULL));
  PetscOptionsEnd();
  if (strcmp(pol->name, "solution")) {
    PetscCall(PolicyLayerCreate(comm, model, pol->name, pol));
    PetscFunctionReturn(0);
  }
  PetscCall(PetscOptionsGetString(NULL, NULL, "-policy_file", pol->file, sizeof(pol->file), NULL));
  if (StkHelpRequested()) PetscFunctionReturn(0);
  {
    SolutionPolicy *sp = NULL;
    PetscCall(SolutionPolicyLoad(comm, pol->file, p, &sp));
    pol->fn      = SolutionPolicyEval;
    pol->ctx     = sp;
    pol->destroy = SolutionPolicyDestroy;
    PetscCall(PetscSNPrintf(pol->description, sizeof(pol->description), "solution: u*(x) interpolated from %s", pol->file));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode StkCliSimPolicyDestroy(StkCliSimPolicy *pol)
{
  PetscFunctionBeginUser;
  if (pol->destroy) PetscCall(pol->destroy(pol->ctx));
  pol->ctx = NULL, pol->destroy = NULL;
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* Progress: the policy is called once per step, so a wrapper around it sees the run
 * advance; rank 0 prints a line on stderr once the run has taken more than 2 s. */

typedef struct {
  const StkCliSimPolicy *inner;
  PetscReal              t_final;
  PetscInt               done, total; /* this rank's paths */
  PetscLogDouble         start, last;
  PetscBool              printing, shown;
  unsigned long          calls;
} Progress;

static PetscErrorCode ProgressTick(Progress *pg, PetscReal t)
{
  PetscLogDouble now, frac, elapsed;

  PetscFunctionBeginUser;
  if (!pg->printing || ++pg->calls % 64) PetscFunctionReturn(0);
  PetscCall(PetscTime(&now));
  elapsed = now - pg->start;
  if (elapsed < 2 || now - pg->last < 0.5) PetscFunctionReturn(0);
  pg->last  = now;
  pg->shown = PETSC_TRUE;
  frac      = (pg->done + t / pg->t_final) / pg->total;
  fprintf(stderr, "\rstakehjb simulate: path %d/%d, t = %.1f yr, %3.0f%%, %.0f s elapsed, about %.0f s left   ", (int)(pg->done + 1), (int)pg->total, (double)t, 100 * frac, elapsed, frac > 0 ? elapsed * (1 - frac) / frac : 0.0);
  fflush(stderr);
  PetscFunctionReturn(0);
}

static PetscErrorCode ProgressPolicy(void *ctx, PetscReal t, const PetscReal x[], PetscReal *u, void *state)
{
  Progress *pg = (Progress *)ctx;

  PetscFunctionBeginUser;
  PetscCall(pg->inner->fn(pg->inner->ctx, t, x, u, state));
  PetscCall(ProgressTick(pg, t));
  PetscFunctionReturn(0);
}

static PetscErrorCode ProgressReset(void *ctx, PetscReal t0, const PetscReal x0[], void *state)
{
  Progress *pg = (Progress *)ctx;

  PetscFunctionBeginUser;
  if (pg->inner->reset) PetscCall(pg->inner->reset(pg->inner->ctx, t0, x0, state));
  PetscFunctionReturn(0);
}

typedef struct {
  PetscInt  paths, max_records;
  PetscReal band, hold; /* tracking band around sbar; recovery hold, yr */
} SimulateOptions;

/* ------------------------------------------------------------------------------------ */
/* The command */

static PetscErrorCode ReadSimulateOptions(SimulateOptions *o)
{
  PetscFunctionBeginUser;
  o->paths       = 10;
  o->max_records = 2000;
  o->band        = 0.02;
  o->hold        = 30.0 / 365;
  PetscOptionsBegin(PETSC_COMM_WORLD, NULL, "stakehjb simulate", NULL);
  PetscCall(PetscOptionsInt("-sim_paths", "Number of paths M (replications 0 .. M-1 of -sim_seed)", "", o->paths, &o->paths, NULL));
  PetscCall(PetscOptionsInt("-sim_max_records", "Most records per path in the file (longer paths are subsampled; -sim_every is the finest stride)", "", o->max_records, &o->max_records, NULL));
  PetscCall(PetscOptionsReal("-sim_band", "Half-width of the tracking band around sbar (time_in_band, recovery_time)", "", o->band, &o->band, NULL));
  PetscCall(PetscOptionsReal("-sim_recovery_hold", "How long s must stay in the band to count as recovered, yr", "", o->hold, &o->hold, NULL));
  PetscOptionsEnd();
  PetscCheck(o->paths >= 1, PETSC_COMM_WORLD, PETSC_ERR_ARG_OUTOFRANGE, "-sim_paths must be >= 1, got %" PetscInt_FMT, o->paths);
  PetscCheck(o->max_records >= 2, PETSC_COMM_WORLD, PETSC_ERR_ARG_OUTOFRANGE, "-sim_max_records must be >= 2, got %" PetscInt_FMT, o->max_records);
  PetscCheck(o->band > 0 && !PetscIsInfReal(o->band), PETSC_COMM_WORLD, PETSC_ERR_ARG_OUTOFRANGE, "-sim_band must be > 0 and finite, got %g", (double)o->band);
  PetscCheck(o->hold >= 0 && !PetscIsInfReal(o->hold), PETSC_COMM_WORLD, PETSC_ERR_ARG_OUTOFRANGE, "-sim_recovery_hold must be >= 0 and finite, got %g", (double)o->hold);
  PetscFunctionReturn(0);
}

/* The simulator, its options read and checked once on PETSC_COMM_WORLD (one message,
 * one -help); an sde gets a copy on PETSC_COMM_SELF so that ranks run different
 * paths.  It records every step (the metrics use them all); *every is the user's
 * -sim_every, the finest stride of the file.  z follows -dim unless -sim_dim is given. */
static PetscErrorCode CreateSimulator(StkModel model, StkPopulation pop, StkSim *sim, PetscBool *spread, PetscInt *every)
{
  StkSim                proto;
  StkSimSettings        set;
  const StkSimSettings *cur;
  PetscInt              nshock;

  PetscFunctionBeginUser;
  PetscCall(StkSimCreate(PETSC_COMM_WORLD, &proto));
  PetscCall(StkSimSetPopulation(proto, pop));
  PetscCall(StkSimGetSettings(proto, &cur));
  set = *cur;
  PetscCall(StkModelGetDimension(model, &set.dim));
  PetscCall(StkSimSetSettings(proto, &set));
  PetscCall(StkSimSetFromOptions(proto));
  *sim    = proto;
  *spread = PETSC_FALSE;
  if (StkHelpRequested()) PetscFunctionReturn(0);
  PetscCall(StkSimSetUp(proto)); /* every check, collectively */
  PetscCall(StkSimGetSettings(proto, &cur));
  set        = *cur;
  *every     = set.every;
  set.every  = 1;
  if (set.type == STK_SIM_ABM) {
    PetscCall(StkSimSetSettings(proto, &set));
    PetscFunctionReturn(0);
  }
  PetscCall(StkSimCreate(PETSC_COMM_SELF, sim));
  PetscCall(StkSimSetPopulation(*sim, pop));
  PetscCall(StkSimSetSettings(*sim, &set));
  PetscCall(StkSimGetNumShocks(proto, &nshock));
  for (PetscInt i = 0; i < nshock; i++) {
    PetscReal t, dz, frac;
    PetscCall(StkSimGetShock(proto, i, &t, &dz, &frac));
    PetscCall(StkSimAddShock(*sim, t, dz, frac));
  }
  PetscCall(StkSimDestroy(&proto));
  *spread = PETSC_TRUE;
  PetscFunctionReturn(0);
}

typedef struct {
  PetscInt   paths, nsteps, stride, nout;
  PetscReal *t;          /* nout record times */
  PetscReal *s, *z, *u;  /* paths x nout, C order */
  PetscReal *metrics;    /* paths x STK_METRIC_COUNT */
} Results;

static PetscErrorCode ResultsAllocate(StkSim sim, const SimulateOptions *o, PetscInt every, Results *res)
{
  const StkSimSettings *set;

  PetscFunctionBeginUser;
  PetscCall(StkSimGetSettings(sim, &set));
  PetscCall(StkSimGetNumSteps(sim, &res->nsteps));
  res->paths  = o->paths;
  res->stride = PetscMax(every, (res->nsteps + o->max_records - 2) / (o->max_records - 1));
  res->nout   = res->nsteps / res->stride + 1;
  PetscCall(PetscCalloc5(res->nout, &res->t, res->paths * res->nout, &res->s, res->paths * res->nout, &res->z, res->paths * res->nout, &res->u, res->paths * STK_METRIC_COUNT, &res->metrics));
  for (PetscInt k = 0; k < res->nout; k++) res->t[k] = k * res->stride * set->dt; /* as the driver computes t_n */
  PetscFunctionReturn(0);
}

static PetscErrorCode ResultsDestroy(Results *res)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree5(res->t, res->s, res->z, res->u, res->metrics));
  PetscFunctionReturn(0);
}

/* Sums rank 0's buffer with the others' zeros: x + 0 is exact, so rank 0 gets the
 * owners' bits. */
static PetscErrorCode ReduceToRankZero(PetscInt n, PetscReal x[])
{
  PetscMPIInt rank, count;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCall(PetscMPIIntCast(n, &count));
  PetscCallMPI(MPI_Reduce(rank ? x : MPI_IN_PLACE, x, count, MPIU_REAL, MPI_SUM, 0, PETSC_COMM_WORLD));
  PetscFunctionReturn(0);
}

static PetscErrorCode RunPaths(StkSim sim, PetscBool spread, const StkCliSimPolicy *pol, const StkMetricContext *mc, const SimulateOptions *o, Results *res)
{
  const StkSimSettings *set;
  StkSimPath            full;
  PetscMPIInt           rank, size;
  Progress              pg = {pol, 0, 0, 0, 0, 0, PETSC_FALSE, PETSC_FALSE, 0};
  void                 *state = NULL;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(StkSimGetSettings(sim, &set));
  PetscCall(PetscMalloc4(res->nsteps + 1, &full.t, res->nsteps + 1, &full.s, res->nsteps + 1, &full.z, res->nsteps + 1, &full.u));
  if (pol->state_size) PetscCall(PetscCalloc(pol->state_size, &state));
  pg.t_final  = res->nsteps * set->dt;
  pg.total    = spread ? (o->paths - rank + size - 1) / size : o->paths;
  pg.printing = (PetscBool)(rank == 0);
  PetscCall(PetscTime(&pg.start));
  PetscCall(StkSimSetPolicy(sim, ProgressPolicy, ProgressReset, &pg));
  for (PetscInt r = spread ? rank : 0; r < o->paths; r += spread ? size : 1) {
    PetscCall(StkSimRun(sim, r, state, &full));
    PetscCall(StkPathMetrics(mc, res->nsteps, &full, &res->metrics[r * STK_METRIC_COUNT]));
    for (PetscInt k = 0; k < res->nout; k++) {
      const PetscInt n = k * res->stride;
      res->s[r * res->nout + k] = full.s[n], res->z[r * res->nout + k] = full.z[n], res->u[r * res->nout + k] = full.u[n];
    }
    pg.done++;
  }
  if (pg.shown) fprintf(stderr, "\n");
  PetscCall(PetscFree(state));
  PetscCall(PetscFree4(full.t, full.s, full.z, full.u));
  if (spread) {
    PetscCall(ReduceToRankZero(res->paths * res->nout, res->s));
    PetscCall(ReduceToRankZero(res->paths * res->nout, res->z));
    PetscCall(ReduceToRankZero(res->paths * res->nout, res->u));
    PetscCall(ReduceToRankZero(res->paths * STK_METRIC_COUNT, res->metrics));
  }
  PetscFunctionReturn(0);
}

/* Mean, standard deviation, min and max over the paths; NaNs (no recovery) skipped. */
static PetscErrorCode PrintSummary(StkSim sim, const StkCliSimPolicy *pol, const SimulateOptions *o, const Results *res, PetscLogDouble wall, const char path[])
{
  const StkSimSettings *set;
  PetscMPIInt           size;

  PetscFunctionBeginUser;
  PetscCall(StkSimGetSettings(sim, &set));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "stakehjb simulate: %s environment", StkSimTypes[set->type]));
  if (set->type == STK_SIM_ABM) PetscCall(PetscPrintf(PETSC_COMM_WORLD, " (%" PetscInt_FMT " agents, %s types, %s)", set->n_agents, StkAbmTypesList[set->types], set->response == STK_ABM_BEST ? "best response" : "Hedge learners"));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, ", policy %s\n", pol->description));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  %" PetscInt_FMT " path(s) of %g yr (%" PetscInt_FMT " steps of %g yr), seed %" PetscInt_FMT ", %d rank(s), %.2f s\n", res->paths, (double)(res->nsteps * set->dt), res->nsteps, (double)set->dt, set->seed, (int)size, (double)wall));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  %-16s %12s %12s %12s %12s %8s\n", "metric", "mean", "sd", "min", "max", "paths"));
  for (PetscInt m = 0; m < STK_METRIC_COUNT; m++) {
    PetscReal sum = 0, sum2 = 0, lo = PETSC_MAX_REAL, hi = -PETSC_MAX_REAL, mean, sd;
    PetscInt  n = 0;
    for (PetscInt r = 0; r < res->paths; r++) {
      const PetscReal v = res->metrics[r * STK_METRIC_COUNT + m];
      if (PetscIsNanReal(v)) continue;
      sum += v, n++, lo = PetscMin(lo, v), hi = PetscMax(hi, v);
    }
    mean = n ? sum / n : (PetscReal)NAN;
    for (PetscInt r = 0; r < res->paths; r++)
      if (!PetscIsNanReal(res->metrics[r * STK_METRIC_COUNT + m])) sum2 += PetscSqr(res->metrics[r * STK_METRIC_COUNT + m] - mean);
    sd = n > 1 ? PetscSqrtReal(sum2 / (n - 1)) : (PetscReal)NAN;
    if (!n) lo = hi = (PetscReal)NAN;
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  %-16s %12.6g %12.6g %12.6g %12.6g %8" PetscInt_FMT "\n", StkMetricNames[m], (double)mean, (double)sd, (double)lo, (double)hi, n));
  }
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  (band +-%g around sbar; recovery: in the band for %g yr after the first shock)\n  wrote %s\n", (double)o->band, (double)o->hold, path));
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteSettings(StkH5 file, const char g[], StkSim sim, const StkCliSimPolicy *pol, const SimulateOptions *o, const Results *res, PetscLogDouble wall)
{
  const StkSimSettings *set;
  PetscMPIInt           size;

  PetscFunctionBeginUser;
  PetscCall(StkSimGetSettings(sim, &set));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(StkH5WriteAttributeString(file, g, "program", "stakehjb simulate"));
  PetscCall(StkH5WriteAttributeString(file, g, "version", STK_VERSION));
  PetscCall(StkH5WriteAttributeString(file, g, "environment", StkSimTypes[set->type]));
  PetscCall(StkH5WriteAttributeString(file, g, "policy", pol->name));
  PetscCall(StkH5WriteAttributeString(file, g, "policy_description", pol->description));
  if (!strcmp(pol->name, STK_POLICY_FIXED)) PetscCall(StkH5WriteAttributeReal(file, g, "policy_u", pol->u_fixed, "1/yr"));
  if (pol->file[0]) PetscCall(StkH5WriteAttributeString(file, g, "policy_file", pol->file));
  PetscCall(StkH5WriteAttributeInt(file, g, "paths", res->paths));
  PetscCall(StkH5WriteAttributeInt(file, g, "seed", set->seed));
  PetscCall(StkH5WriteAttributeInt(file, g, "sim_dim", set->dim));
  PetscCall(StkH5WriteAttributeReal(file, g, "dt", set->dt, "yr"));
  PetscCall(StkH5WriteAttributeReal(file, g, "t_final", res->nsteps * set->dt, "yr"));
  PetscCall(StkH5WriteAttributeInt(file, g, "nsteps", res->nsteps));
  PetscCall(StkH5WriteAttributeInt(file, g, "record_stride", res->stride));
  PetscCall(StkH5WriteAttributeReal(file, g, "s0", set->s0, "1"));
  PetscCall(StkH5WriteAttributeReal(file, g, "z0", res->z[0], "1/yr"));
  PetscCall(StkH5WriteAttributeReal(file, g, "band", o->band, "1"));
  PetscCall(StkH5WriteAttributeReal(file, g, "recovery_hold", o->hold, "yr"));
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
  PetscCall(StkH5WriteAttributeReal(file, g, "wall_time", wall, "s"));
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteContents(StkH5 file, StkModel model, StkSim sim, const StkCliSimPolicy *pol, const SimulateOptions *o, const Results *res, PetscLogDouble wall)
{
  const char g[] = "simulation";
  PetscReal *index;
  PetscInt   nshock;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(res->paths, &index));
  for (PetscInt r = 0; r < res->paths; r++) index[r] = r;
  PetscCall(StkH5WriteArray(file, g, "path", "path", res->paths, index, "1", "replication index of the noise (the Philox counter word)"));
  PetscCall(PetscFree(index));
  PetscCall(StkH5WriteArray(file, g, "t", "t", res->nout, res->t, "yr", "record times (every record_stride-th step)"));
  PetscCall(StkH5WriteArray2D(file, g, "s", "path", "t", res->paths, res->nout, res->s, "1", "staking ratio"));
  PetscCall(StkH5WriteArray2D(file, g, "z", "path", "t", res->paths, res->nout, res->z, "1/yr", "outside-yield shifter"));
  PetscCall(StkH5WriteArray2D(file, g, "u", "path", "t", res->paths, res->nout, res->u, "1/yr", "issuance rate chosen by the policy at the record time"));
  for (PetscInt m = 0; m < STK_METRIC_COUNT; m++) {
    PetscReal *col;
    PetscCall(PetscMalloc1(res->paths, &col));
    for (PetscInt r = 0; r < res->paths; r++) col[r] = res->metrics[r * STK_METRIC_COUNT + m];
    PetscCall(StkH5WriteArray(file, g, StkMetricNames[m], "path", res->paths, col, StkMetricUnits[m], StkMetricHelp[m]));
    PetscCall(PetscFree(col));
  }
  PetscCall(StkSimGetNumShocks(sim, &nshock));
  if (nshock) {
    PetscReal *sh;
    PetscCall(PetscMalloc1(3 * nshock, &sh));
    for (PetscInt i = 0; i < nshock; i++) PetscCall(StkSimGetShock(sim, i, &sh[i], &sh[nshock + i], &sh[2 * nshock + i]));
    PetscCall(StkH5WriteArray(file, g, "shock_t", "shock_t", nshock, sh, "yr", "shock times"));
    PetscCall(StkH5WriteArray(file, g, "shock_dz", "shock_t", nshock, sh + nshock, "1/yr", "jump of z at each shock"));
    PetscCall(StkH5WriteArray(file, g, "shock_frac", "shock_t", nshock, sh + 2 * nshock, "1", "fraction of stake leaving at each shock"));
    PetscCall(PetscFree(sh));
  }
  PetscCall(StkModelWriteAttributes(model, file, g));
  PetscCall(WriteSettings(file, g, sim, pol, o, res, wall));
  PetscFunctionReturn(0);
}

/* Temporary name, then rename: a failure leaves no file under `path`. */
static PetscErrorCode WriteResults(const char path[], StkModel model, StkSim sim, const StkCliSimPolicy *pol, const SimulateOptions *o, const Results *res, PetscLogDouble wall)
{
  StkH5          file;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(StkH5Create(PETSC_COMM_WORLD, path, &file));
  ierr = WriteContents(file, model, sim, pol, o, res, wall);
  if (!ierr) ierr = StkH5Commit(file, "simulation", NULL, 0, NULL);
  PetscCall(StkH5Destroy(&file));
  PetscCall(ierr);
  PetscFunctionReturn(0);
}

PetscErrorCode StkCommandSimulate(void)
{
  StkModel        model;
  StkPopulation   pop;
  StkSim          sim;
  StkCliSimPolicy pol;
  SimulateOptions o;
  StkMetricContext mc;
  Results         res;
  PetscBool       spread;
  PetscInt        every = 1;
  PetscLogDouble  t0, t1;
  char            path[PETSC_MAX_PATH_LEN];

  PetscFunctionBeginUser;
  PetscCall(StkModelCreate(PETSC_COMM_WORLD, &model));
  PetscCall(StkModelSetType(model, STK_MODEL_STAKING));
  PetscCall(StkModelSetFromOptions(model));
  PetscCall(StkModelStakingGetPopulation(model, &pop));
  PetscCall(StkModelSetUp(model));
  PetscCall(CreateSimulator(model, pop, &sim, &spread, &every));
  PetscCall(ReadSimulateOptions(&o));
  {
    const StkAgentParams *p;
    PetscCall(StkPopulationGetParams(pop, &p));
    PetscCall(StkCliSimPolicyFromOptions(PETSC_COMM_WORLD, model, p, &pol));
  }
  PetscCall(StkOutputPath(PETSC_COMM_WORLD, "-o", "out/simulation.h5", path, sizeof(path)));
  if (!StkHelpRequested()) {
    PetscCall(StkMetricContextSetUp(model, sim, o.band, o.hold, &mc));
    PetscCall(ResultsAllocate(sim, &o, every, &res));
    PetscCall(PetscTime(&t0));
    PetscCall(RunPaths(sim, spread, &pol, &mc, &o, &res));
    PetscCall(PetscTime(&t1));
    PetscCall(WriteResults(path, model, sim, &pol, &o, &res, t1 - t0));
    PetscCall(PrintSummary(sim, &pol, &o, &res, t1 - t0, path));
    PetscCall(ResultsDestroy(&res));
  }
  PetscCall(StkCliSimPolicyDestroy(&pol));
  PetscCall(StkSimDestroy(&sim));
  PetscCall(StkModelDestroy(&model));
  PetscFunctionReturn(0);
}
