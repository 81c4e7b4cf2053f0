/* stakehjb compare: the experiments of MODEL.md section 6.  For every regime (a YAML
 * file of data/regimes), the HJB expert is solved and every policy is run on M paths of
 * T years in each environment (sde, abm) and shock scenario, on common random numbers:
 * path p of every policy uses the same noise (Philox counter p) and the same start
 * state.  Per path the metrics of policy/stk_metrics.h; per regime, environment,
 * scenario and policy the paired differences to the reference policy (the expert) with
 * bootstrap intervals and Wilcoxon p-values, Holm-adjusted over the whole table.
 *
 * Paths are spread over the ranks (path p on rank p mod size, each simulator on
 * PETSC_COMM_SELF) and combined by sums in which every entry has one non-zero term, so
 * the tables are bitwise the same on any number of ranks. */
#include "stk_cli.h"
#include "stk_hjb.h"
#include "stk_metrics.h"
#include "stk_policy.h"
#include "stk_sim.h"
#include "stk_stats.h"
#include "stk_version.h"
#include <petsctime.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_ITEMS 16
enum { SCENARIO_NONE, SCENARIO_Z_JUMP, SCENARIO_STAKE_DROP, SCENARIO_COUNT };
static const char *const scenario_names[SCENARIO_COUNT] = {"none", "z_jump", "stake_drop"};
/* Metrics compared pairwise against the reference, and the summary columns per metric. */
static const StkMetric compared[] = {STK_METRIC_DISCOUNTED_COST, STK_METRIC_TRACKING_RMSE, STK_METRIC_TIME_IN_BAND, STK_METRIC_STD_U, STK_METRIC_RECOVERY_TIME};
#define NCOMPARED ((PetscInt)(sizeof(compared) / sizeof(compared[0])))
static const char *const diff_columns[] = {"diff", "diff_lo", "diff_hi", "p", "p_holm"};
#define NDIFF 5

typedef struct {
  char     *regimes[MAX_ITEMS], *policies[MAX_ITEMS], *envs[2], *scenarios[SCENARIO_COUNT];
  PetscInt  nregimes, npolicies, nenvs, nscenarios;
  PetscInt  scenario_id[SCENARIO_COUNT], reference; /* index of the reference policy */
  PetscInt  paths, seed, n_agents, nboot, samples, sample_every;
  PetscReal years, t_shock, dz, frac, band, hold;
  char      regime_dir[PETSC_MAX_PATH_LEN], out[PETSC_MAX_PATH_LEN];
} CompareOptions;

typedef struct {
  PetscInt   nrows, nrec;         /* rows = regime x env x scenario x policy */
  PetscInt   nsteps;              /* steps per path */
  PetscReal *metrics;             /* nrows x STK_METRIC_COUNT x paths */
  PetscReal *sample_s, *sample_u; /* nrows x samples x nrec: the first paths, every sample_every steps */
  PetscReal *summary;             /* nrows x ncolumns */
  PetscInt   ncolumns;
} CompareResults;

static PetscInt Row(const CompareOptions *o, PetscInt r, PetscInt e, PetscInt c, PetscInt p)
{
  return ((r * o->nenvs + e) * o->nscenarios + c) * o->npolicies + p;
}

/* ------------------------------------------------------------------------------------ */
/* Options */

static PetscErrorCode ReadList(const char opt[], const char help[], const char *defaults[], PetscInt ndefault, PetscInt max, char *items[], PetscInt *n)
{
  PetscBool set;

  PetscFunctionBeginUser;
  *n = max;
  PetscCall(PetscOptionsGetStringArray(NULL, NULL, opt, items, n, &set));
  if (!set) {
    for (PetscInt i = 0; i < ndefault; i++) PetscCall(PetscStrallocpy(defaults[i], &items[i]));
    *n = ndefault;
  }
  PetscCheck(*n >= 1, PETSC_COMM_WORLD, PETSC_ERR_ARG_OUTOFRANGE, "%s needs at least one name", opt);
  PetscFunctionReturn(0);
}

/* Lists -help; the lists themselves are read by ReadList (a string array). */
static PetscErrorCode CompareOptionsHelp(CompareOptions *o)
{
  char list[1024];

  PetscFunctionBeginUser;
  PetscOptionsBegin(PETSC_COMM_WORLD, NULL, "stakehjb compare (MODEL.md section 6)", NULL);
  PetscCall(PetscOptionsString("-compare_regimes", "Regimes: names of YAML files in -compare_regime_dir, or paths to YAML files", "", "baseline,bull,bear,volatile,sluggish,responsive,fee_rich", list, sizeof(list), NULL));
  PetscCall(PetscOptionsString("-compare_regime_dir", "Directory of the regime files", "", o->regime_dir, o->regime_dir, sizeof(o->regime_dir), NULL));
  PetscCall(PetscOptionsString("-compare_policies", "Policies (docs/policies.md); the first is the reference of the paired differences", "", "expert,network,zero,fixed,proportional,cosmos,cosmos_sbar,polkadot,polkadot_sbar,ethereum,tezos,tezos_sbar,social_gradient", list, sizeof(list), NULL));
  PetscCall(PetscOptionsString("-compare_envs", "Environments: sde, abm", "", "sde,abm", list, sizeof(list), NULL));
  PetscCall(PetscOptionsString("-compare_scenarios", "Scenarios: none, z_jump (z += -compare_shock_dz), stake_drop (each staker leaves with probability -compare_shock_frac)", "", "none,z_jump,stake_drop", list, sizeof(list), NULL));
  PetscCall(PetscOptionsInt("-compare_paths", "Monte Carlo paths M per regime, environment, scenario and policy", "", o->paths, &o->paths, NULL));
  PetscCall(PetscOptionsReal("-compare_years", "Horizon T, yr", "", o->years, &o->years, NULL));
  PetscCall(PetscOptionsInt("-compare_seed", "Seed of the noise (common to every policy)", "", o->seed, &o->seed, NULL));
  PetscCall(PetscOptionsInt("-compare_agents", "Holders N in the agent-based environment", "", o->n_agents, &o->n_agents, NULL));
  PetscCall(PetscOptionsReal("-compare_shock_time", "Shock time, yr (default T/2)", "", o->t_shock, &o->t_shock, NULL));
  PetscCall(PetscOptionsReal("-compare_shock_dz", "Jump of z in the z_jump scenario, 1/yr", "", o->dz, &o->dz, NULL));
  PetscCall(PetscOptionsReal("-compare_shock_frac", "Probability that a staker leaves in the stake_drop scenario", "", o->frac, &o->frac, NULL));
  PetscCall(PetscOptionsReal("-compare_band", "Tracking band half-width around sbar", "", o->band, &o->band, NULL));
  PetscCall(PetscOptionsReal("-compare_recovery_hold", "Time s must stay in the band to count as recovered, yr", "", o->hold, &o->hold, NULL));
  PetscCall(PetscOptionsInt("-compare_bootstrap", "Bootstrap replicates of the intervals", "", o->nboot, &o->nboot, NULL));
  PetscCall(PetscOptionsInt("-compare_samples", "Sample paths kept per row for the figures", "", o->samples, &o->samples, NULL));
  PetscCall(PetscOptionsInt("-compare_sample_every", "Steps between kept samples", "", o->sample_every, &o->sample_every, NULL));
  PetscOptionsEnd();
  PetscFunctionReturn(0);
}

static PetscErrorCode CompareOptionsCheck(CompareOptions *o)
{
  MPI_Comm comm = PETSC_COMM_WORLD;

  PetscFunctionBeginUser;
  PetscCheck(o->paths >= 2, comm, PETSC_ERR_ARG_OUTOFRANGE, "-compare_paths must be >= 2, got %" PetscInt_FMT, o->paths);
  PetscCheck(o->years > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-compare_years must be > 0, got %g", (double)o->years);
  PetscCheck(o->n_agents >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-compare_agents must be >= 1, got %" PetscInt_FMT, o->n_agents);
  if (PetscIsNanReal(o->t_shock)) o->t_shock = o->years / 2;
  PetscCheck(o->t_shock > 0 && o->t_shock < o->years, comm, PETSC_ERR_ARG_OUTOFRANGE, "-compare_shock_time must lie in (0, -compare_years = %g), got %g", (double)o->years, (double)o->t_shock);
  PetscCheck(o->frac >= 0 && o->frac <= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-compare_shock_frac must lie in [0, 1], got %g", (double)o->frac);
  PetscCheck(o->band > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-compare_band must be > 0, got %g", (double)o->band);
  PetscCheck(o->hold >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-compare_recovery_hold must be >= 0, got %g", (double)o->hold);
  PetscCheck(o->nboot >= 100, comm, PETSC_ERR_ARG_OUTOFRANGE, "-compare_bootstrap must be >= 100, got %" PetscInt_FMT, o->nboot);
  PetscCheck(o->samples >= 1 && o->samples <= o->paths, comm, PETSC_ERR_ARG_OUTOFRANGE, "-compare_samples must lie in [1, -compare_paths = %" PetscInt_FMT "], got %" PetscInt_FMT, o->paths, o->samples);
  PetscCheck(o->sample_every >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-compare_sample_every must be >= 1, got %" PetscInt_FMT, o->sample_every);
  for (PetscInt e = 0; e < o->nenvs; e++) PetscCheck(!strcmp(o->envs[e], "sde") || !strcmp(o->envs[e], "abm"), comm, PETSC_ERR_ARG_UNKNOWN_TYPE, "-compare_envs: unknown environment '%s' (known: sde, abm)", o->envs[e]);
  for (PetscInt c = 0; c < o->nscenarios; c++) {
    PetscInt k = 0;
    while (k < SCENARIO_COUNT && strcmp(o->scenarios[c], scenario_names[k])) k++;
    PetscCheck(k < SCENARIO_COUNT, comm, PETSC_ERR_ARG_UNKNOWN_TYPE, "-compare_scenarios: unknown scenario '%s' (known: none, z_jump, stake_drop)", o->scenarios[c]);
    o->scenario_id[c] = k;
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode CompareOptionsRead(CompareOptions *o)
{
  const char *regimes[]   = {"baseline", "bull", "bear", "volatile", "sluggish", "responsive", "fee_rich"};
  const char *policies[]  = {"expert", "network", "zero", "fixed", "proportional", "cosmos", "cosmos_sbar", "polkadot", "polkadot_sbar", "ethereum", "tezos", "tezos_sbar", "social_gradient"};
  const char *envs[]      = {"sde", "abm"};
  const char *scenarios[] = {"none", "z_jump", "stake_drop"};

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(o, sizeof(*o)));
  o->paths = 200, o->years = 20, o->seed = 1, o->n_agents = 10000, o->nboot = 2000, o->samples = 10, o->sample_every = 7;
  o->t_shock = (PetscReal)NAN, o->dz = 0.02, o->frac = 0.25, o->band = 0.02, o->hold = 30.0 / 365;
  PetscCall(PetscSNPrintf(o->regime_dir, sizeof(o->regime_dir), "%s/regimes", STK_DATA_DIR));
  PetscCall(CompareOptionsHelp(o));
  PetscCall(ReadList("-compare_regimes", "", regimes, 7, MAX_ITEMS, o->regimes, &o->nregimes));
  PetscCall(ReadList("-compare_policies", "", policies, 13, MAX_ITEMS, o->policies, &o->npolicies));
  PetscCall(ReadList("-compare_envs", "", envs, 2, 2, o->envs, &o->nenvs));
  PetscCall(ReadList("-compare_scenarios", "", scenarios, 3, SCENARIO_COUNT, o->scenarios, &o->nscenarios));
  o->reference = 0;
  if (!StkHelpRequested()) PetscCall(CompareOptionsCheck(o));
  PetscFunctionReturn(0);
}

static PetscErrorCode CompareOptionsFree(CompareOptions *o)
{
  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < o->nregimes; i++) PetscCall(PetscFree(o->regimes[i]));
  for (PetscInt i = 0; i < o->npolicies; i++) PetscCall(PetscFree(o->policies[i]));
  for (PetscInt i = 0; i < o->nenvs; i++) PetscCall(PetscFree(o->envs[i]));
  for (PetscInt i = 0; i < o->nscenarios; i++) PetscCall(PetscFree(o->scenarios[i]));
  PetscFunctionReturn(0);
}

/* A regime name is data/regimes/NAME.yaml unless it names a file itself. */
static PetscErrorCode RegimeFile(const CompareOptions *o, const char name[], char file[], size_t len)
{
  PetscFunctionBeginUser;
  if (strchr(name, '/') || strstr(name, ".yaml") || strstr(name, ".yml")) PetscCall(PetscStrncpy(file, name, len));
  else PetscCall(PetscSNPrintf(file, len, "%s/%s.yaml", o->regime_dir, name));
  PetscCheck(!access(file, R_OK), PETSC_COMM_WORLD, PETSC_ERR_FILE_OPEN, "-compare_regimes: regime '%s': cannot read %s", name, file);
  PetscFunctionReturn(0);
}

/* The regime's options over the command line's: its YAML file first, then every option
 * of the command line (so a user's -grid_n or -agents_kappa applies to all regimes). */
static PetscErrorCode PushRegimeOptions(const char file[], const char cmdline[], PetscOptions *db)
{
  PetscFunctionBeginUser;
  PetscCall(PetscOptionsCreate(db));
  PetscCall(PetscOptionsInsertFileYAML(PETSC_COMM_WORLD, *db, file, PETSC_TRUE));
  PetscCall(PetscOptionsInsertString(*db, "-net_fit_stride 4")); /* the network's fit: 1/16 of the 2-D nodes is as good (docs/network.md) and 8x faster */
  PetscCall(PetscOptionsInsertString(*db, cmdline));
  PetscCall(PetscOptionsPush(*db));
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* One regime */

/* The expert's solution file for regime r, next to the output file. */
static PetscErrorCode SolutionPath(const CompareOptions *o, PetscInt r, char path[], size_t len)
{
  char  base[PETSC_MAX_PATH_LEN], *dot;
  char *name = strrchr(o->regimes[r], '/') ? strrchr(o->regimes[r], '/') + 1 : o->regimes[r];

  PetscFunctionBeginUser;
  PetscCall(PetscStrncpy(base, o->out, sizeof(base)));
  if ((dot = strrchr(base, '.'))) *dot = 0;
  PetscCall(PetscSNPrintf(path, len, "%s_%s", base, name));
  if ((dot = strstr(path + strlen(base), ".y"))) *dot = 0;
  PetscCall(PetscStrlcat(path, ".h5", len));
  PetscFunctionReturn(0);
}

/* Every rank solves the same HJB on PETSC_COMM_SELF, so the expert (and so every
 * table) is bitwise the same whatever the number of ranks; rank 0 writes the file the
 * expert policy then reads. */
static PetscErrorCode SolveExpert(StkModel model, const char path[])
{
  StkGrid        grid;
  StkSolver      solver;
  StkSolverStats stats;
  PetscMPIInt    rank;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCall(StkCliCreateSolver(PETSC_COMM_SELF, model, &grid, &solver));
  PetscCall(StkGridSetUp(grid));
  PetscCall(StkSolverSolve(solver));
  PetscCall(StkSolverGetStats(solver, &stats));
  PetscCheck(stats.converged, PETSC_COMM_SELF, PETSC_ERR_NOT_CONVERGED, "The HJB solve for the expert did not converge (residual %g); see -hjb_monitor", (double)stats.residual);
  if (!rank) {
    PetscCall(StkSolverComputeDensity(solver));
    PetscCall(StkSolverWrite(solver, path));
  }
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  PetscCall(StkSolverDestroy(&solver));
  PetscCall(StkGridDestroy(&grid));
  PetscFunctionReturn(0);
}

typedef struct {
  StkPolicyFn      fn;
  StkPolicyResetFn reset;
  void            *ctx;
  size_t           state_size;
} PolicyHandle;

static PetscBool HasPolicy(const CompareOptions *o, const char name[])
{
  for (PetscInt p = 0; p < o->npolicies; p++)
    if (!strcmp(o->policies[p], name)) return PETSC_TRUE;
  return PETSC_FALSE;
}

/* The expert reads the regime's solution file; the network is the mechanism network
 * fitted to that solution (stakehjb fit, -net_* options). */
static PetscErrorCode CreatePolicies(const CompareOptions *o, StkModel model, const char solution[], StkNet net, StkPolicy pol[], PolicyHandle h[])
{
  PetscFunctionBeginUser;
  for (PetscInt p = 0; p < o->npolicies; p++) {
    PetscCall(StkPolicyCreate(PETSC_COMM_WORLD, &pol[p]));
    PetscCall(StkPolicySetType(pol[p], o->policies[p]));
    PetscCall(StkPolicySetModel(pol[p], model));
    PetscCall(StkPolicySetFromOptions(pol[p]));
    PetscCall(StkPolicySetType(pol[p], o->policies[p])); /* the list wins over -policy */
    if (!strcmp(o->policies[p], STK_POLICY_EXPERT)) PetscCall(StkPolicySetFile(pol[p], solution));
    if (!strcmp(o->policies[p], STK_POLICY_NETWORK)) PetscCall(StkPolicySetNetwork(pol[p], net));
    PetscCall(StkPolicySetUp(pol[p]));
    PetscCall(StkPolicyGetFunction(pol[p], &h[p].fn, &h[p].reset, &h[p].ctx, &h[p].state_size));
  }
  PetscFunctionReturn(0);
}

/* A simulator on PETSC_COMM_SELF for environment e and scenario c, every step recorded. */
static PetscErrorCode CreateSimulator(const CompareOptions *o, StkModel model, PetscInt e, PetscInt c, StkSim *sim)
{
  StkPopulation  pop;
  StkSimSettings set;
  const StkSimSettings *cur;

  PetscFunctionBeginUser;
  PetscCall(StkModelStakingGetPopulation(model, &pop));
  PetscCall(StkSimCreate(PETSC_COMM_SELF, sim));
  PetscCall(StkSimSetPopulation(*sim, pop));
  /* No StkSimSetFromOptions: the scenarios define the shocks and this command the
   * horizon, step and seed, so -sim_ options of other commands cannot leak in. */
  PetscCall(StkSimGetSettings(*sim, &cur));
  set          = *cur;
  set.type     = strcmp(o->envs[e], "abm") ? STK_SIM_SDE : STK_SIM_ABM;
  set.t_final  = o->years;
  set.seed     = o->seed;
  set.n_agents = o->n_agents;
  set.every    = 1;
  PetscCall(StkModelGetDimension(model, &set.dim));
  PetscCall(StkSimSetSettings(*sim, &set));
  if (o->scenario_id[c] == SCENARIO_Z_JUMP) PetscCall(StkSimAddShock(*sim, o->t_shock, o->dz, 0));
  if (o->scenario_id[c] == SCENARIO_STAKE_DROP) PetscCall(StkSimAddShock(*sim, o->t_shock, 0, o->frac));
  PetscCall(StkSimSetUp(*sim));
  PetscFunctionReturn(0);
}

/* Start states spread over [0.2, 0.85] by a golden-ratio sequence (any prefix of the
 * paths is spread), the same for every policy, environment and scenario. */
static PetscReal StartState(PetscInt path)
{
  const PetscReal g = 0.6180339887498949 * (PetscReal)path + 0.5;
  return 0.2 + 0.65 * (g - PetscFloorReal(g));
}

typedef struct {
  PetscLogDouble start, last;
  PetscInt       done, total;
  PetscBool      shown;
} Progress;

static void ProgressLine(Progress *pg, const char regime[])
{
  PetscLogDouble now, frac;

  pg->done++;
  PetscTime(&now);
  if (now - pg->start < 2 || now - pg->last < 0.5) return;
  pg->last  = now;
  pg->shown = PETSC_TRUE;
  frac      = (PetscLogDouble)pg->done / pg->total;
  fprintf(stderr, "\rstakehjb compare: regime %-12s %3.0f%% of rank 0's paths, %.0f s elapsed, about %.0f s left   ", regime, 100 * frac, now - pg->start, (now - pg->start) * (1 - frac) / frac);
  fflush(stderr);
}

static PetscErrorCode RunPath(const CompareOptions *o, CompareResults *res, StkSim sim, const StkMetricContext *mc, const PolicyHandle h[], void *state, StkSimPath *full, PetscInt r, PetscInt e, PetscInt c, PetscInt path)
{
  StkSimSettings        set;
  const StkSimSettings *cur;

  PetscFunctionBeginUser;
  PetscCall(StkSimGetSettings(sim, &cur));
  set    = *cur;
  set.s0 = StartState(path);
  PetscCall(StkSimSetSettings(sim, &set));
  for (PetscInt p = 0; p < o->npolicies; p++) {
    const PetscInt row = Row(o, r, e, c, p);
    PetscReal      m[STK_METRIC_COUNT];

    PetscCall(StkSimSetPolicy(sim, h[p].fn, h[p].reset, h[p].ctx));
    PetscCall(StkSimRun(sim, path, state, full));
    PetscCall(StkPathMetrics(mc, res->nsteps, full, m));
    for (PetscInt k = 0; k < STK_METRIC_COUNT; k++) res->metrics[(row * STK_METRIC_COUNT + k) * o->paths + path] = m[k];
    if (path < o->samples)
      for (PetscInt k = 0; k < res->nrec; k++) {
        res->sample_s[(row * o->samples + path) * res->nrec + k] = full->s[k * o->sample_every];
        res->sample_u[(row * o->samples + path) * res->nrec + k] = full->u[k * o->sample_every];
      }
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode RunEnvironment(const CompareOptions *o, CompareResults *res, StkModel model, const PolicyHandle h[], PetscInt r, PetscInt e, Progress *pg)
{
  StkSim           sim;
  StkSimPath       full;
  StkMetricContext mc;
  PetscMPIInt      rank, size;
  size_t           state_size = 0;
  void            *state      = NULL;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  for (PetscInt p = 0; p < o->npolicies; p++) state_size = PetscMax(state_size, h[p].state_size);
  if (state_size) PetscCall(PetscCalloc(state_size, &state));
  PetscCall(PetscMalloc4(res->nsteps + 1, &full.t, res->nsteps + 1, &full.s, res->nsteps + 1, &full.z, res->nsteps + 1, &full.u));
  for (PetscInt c = 0; c < o->nscenarios; c++) {
    PetscCall(CreateSimulator(o, model, e, c, &sim));
    PetscCall(StkMetricContextSetUp(model, sim, o->band, o->hold, &mc));
    for (PetscInt path = rank; path < o->paths; path += size) {
      PetscCall(RunPath(o, res, sim, &mc, h, state, &full, r, e, c, path));
      if (!rank) ProgressLine(pg, o->regimes[r]);
    }
    PetscCall(StkSimDestroy(&sim));
  }
  PetscCall(PetscFree4(full.t, full.s, full.z, full.u));
  PetscCall(PetscFree(state));
  PetscFunctionReturn(0);
}

static PetscErrorCode RunRegime(const CompareOptions *o, CompareResults *res, PetscInt r, const char cmdline[], Progress *pg)
{
  PetscOptions  db;
  StkModel      model;
  StkPolicy     pol[MAX_ITEMS];
  PolicyHandle  h[MAX_ITEMS];
  StkNet        net = NULL;
  char          file[PETSC_MAX_PATH_LEN], solution[PETSC_MAX_PATH_LEN];

  PetscFunctionBeginUser;
  PetscCall(RegimeFile(o, o->regimes[r], file, sizeof(file)));
  PetscCall(SolutionPath(o, r, solution, sizeof(solution)));
  PetscCall(PushRegimeOptions(file, cmdline, &db));
  PetscCall(StkModelCreate(PETSC_COMM_SELF, &model)); /* redundant on every rank: see SolveExpert */
  PetscCall(StkModelSetType(model, STK_MODEL_STAKING));
  PetscCall(StkModelSetFromOptions(model));
  PetscCall(StkModelSetUp(model));
  PetscCall(SolveExpert(model, solution));
  if (HasPolicy(o, STK_POLICY_NETWORK)) PetscCall(StkFitSolutionFile(solution, &net));
  PetscCall(CreatePolicies(o, model, solution, net, pol, h));
  for (PetscInt e = 0; e < o->nenvs; e++) PetscCall(RunEnvironment(o, res, model, h, r, e, pg));
  for (PetscInt p = 0; p < o->npolicies; p++) PetscCall(StkPolicyDestroy(&pol[p]));
  PetscCall(StkNetDestroy(&net));
  PetscCall(StkModelDestroy(&model));
  PetscCall(PetscOptionsPop());
  PetscCall(PetscOptionsDestroy(&db));
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* Statistics: per row, the mean of every metric over its paths (NaNs skipped) and, for
 * the compared metrics, the paired difference to the reference policy's row. */

static PetscInt SummaryColumns(void)
{
  return 2 * STK_METRIC_COUNT + 1 + NCOMPARED * NDIFF;
}

/* Recovery times are censored at the horizon: a path that never recovers counts as
 * T - t_shock in the paired comparisons (a conservative, finite value). */
static PetscReal PairedValue(const CompareOptions *o, StkMetric m, PetscReal v)
{
  if (m == STK_METRIC_RECOVERY_TIME && PetscIsNanReal(v)) return o->years - o->t_shock;
  return v;
}

static PetscErrorCode RowMeans(const CompareOptions *o, const PetscReal *vals, PetscReal *col)
{
  PetscFunctionBeginUser;
  for (PetscInt m = 0; m < STK_METRIC_COUNT; m++) {
    PetscReal sum = 0;
    PetscInt  n   = 0;
    for (PetscInt i = 0; i < o->paths; i++)
      if (!PetscIsNanReal(vals[m * o->paths + i])) sum += vals[m * o->paths + i], n++;
    col[2 * m]     = n ? sum / n : (PetscReal)NAN;
    col[2 * m + 1] = n; /* paths with a value (recovered paths for recovery_time) */
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode ComputeSummary(const CompareOptions *o, CompareResults *res)
{
  const PetscInt ncol = SummaryColumns(), base = 2 * STK_METRIC_COUNT + 1;
  PetscReal     *d, *pvals;
  PetscInt      *prow;

  PetscFunctionBeginUser;
  res->ncolumns = ncol;
  PetscCall(PetscCalloc1(res->nrows * ncol, &res->summary));
  PetscCall(PetscMalloc3(o->paths, &d, res->nrows, &pvals, res->nrows, &prow));
  for (PetscInt row = 0; row < res->nrows; row++) {
    const PetscInt p = row % o->npolicies, ref = row - p + o->reference;
    PetscReal     *col = &res->summary[row * ncol];
    PetscCall(RowMeans(o, &res->metrics[row * STK_METRIC_COUNT * o->paths], col));
    col[2 * STK_METRIC_COUNT] = p == o->reference;
    for (PetscInt k = 0; k < NCOMPARED; k++) {
      const StkMetric m = compared[k];
      PetscReal      *out = &col[base + k * NDIFF], w;
      PetscInt        used;
      for (PetscInt i = 0; i < o->paths; i++) d[i] = PairedValue(o, m, res->metrics[(row * STK_METRIC_COUNT + m) * o->paths + i]) - PairedValue(o, m, res->metrics[(ref * STK_METRIC_COUNT + m) * o->paths + i]);
      if (m == STK_METRIC_RECOVERY_TIME && o->scenario_id[(row / o->npolicies) % o->nscenarios] == SCENARIO_NONE) {
        for (PetscInt j = 0; j < NDIFF; j++) out[j] = (PetscReal)NAN;
        continue;
      }
      PetscCall(StkStatsBootstrapMean(o->paths, d, o->nboot, 0.95, (uint64_t)(o->seed * 7919 + row * 31 + k), &out[0], &out[1], &out[2]));
      PetscCall(StkStatsWilcoxon(o->paths, d, &w, &used, &out[3]));
    }
  }
  /* Holm over the family of every comparison (rows other than the reference) of a metric */
  for (PetscInt k = 0; k < NCOMPARED; k++) {
    PetscInt nf = 0;
    for (PetscInt row = 0; row < res->nrows; row++) {
      const PetscReal pv = res->summary[row * ncol + base + k * NDIFF + 3];
      res->summary[row * ncol + base + k * NDIFF + 4] = (PetscReal)NAN;
      if (row % o->npolicies == o->reference || PetscIsNanReal(pv)) continue;
      pvals[nf] = pv, prow[nf++] = row;
    }
    PetscCall(StkStatsHolm(nf, pvals, pvals));
    for (PetscInt i = 0; i < nf; i++) res->summary[prow[i] * ncol + base + k * NDIFF + 4] = pvals[i];
  }
  PetscCall(PetscFree3(d, pvals, prow));
  PetscFunctionReturn(0);
}

/* Column names of the summary, in order. */
static PetscErrorCode ColumnName(PetscInt j, char name[], size_t len)
{
  const PetscInt base = 2 * STK_METRIC_COUNT + 1;

  PetscFunctionBeginUser;
  if (j < 2 * STK_METRIC_COUNT) PetscCall(PetscSNPrintf(name, len, j % 2 ? "%s_n" : "%s", StkMetricNames[j / 2]));
  else if (j == 2 * STK_METRIC_COUNT) PetscCall(PetscStrncpy(name, "is_reference", len));
  else PetscCall(PetscSNPrintf(name, len, "%s_%s", StkMetricNames[compared[(j - base) / NDIFF]], diff_columns[(j - base) % NDIFF]));
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* Output: the CSV summary (rank 0, temporary name then rename) and the HDF5 file. */

static PetscErrorCode WriteCsv(const CompareOptions *o, const CompareResults *res, const char path[])
{
  char        tmp[PETSC_MAX_PATH_LEN + 8], name[64];
  FILE       *fp;
  PetscMPIInt rank;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  if (rank) PetscFunctionReturn(0);
  PetscCall(PetscSNPrintf(tmp, sizeof(tmp), "%s.tmp", path));
  fp = fopen(tmp, "w");
  PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "-o: cannot write %s", tmp);
  fprintf(fp, "regime,env,scenario,policy");
  for (PetscInt j = 0; j < res->ncolumns; j++) {
    PetscCall(ColumnName(j, name, sizeof(name)));
    fprintf(fp, ",%s", name);
  }
  fprintf(fp, "\n");
  for (PetscInt row = 0; row < res->nrows; row++) {
    const PetscInt p = row % o->npolicies, c = (row / o->npolicies) % o->nscenarios, e = (row / (o->npolicies * o->nscenarios)) % o->nenvs, r = row / (o->npolicies * o->nscenarios * o->nenvs);
    fprintf(fp, "%s,%s,%s,%s", o->regimes[r], o->envs[e], o->scenarios[c], o->policies[p]);
    for (PetscInt j = 0; j < res->ncolumns; j++) fprintf(fp, ",%.10g", (double)res->summary[row * res->ncolumns + j]);
    fprintf(fp, "\n");
  }
  PetscCheck(!fclose(fp) && !rename(tmp, path), PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "-o: cannot write %s", path);
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteRowIndex(StkH5 file, const char g[], const CompareOptions *o, const CompareResults *res)
{
  PetscReal  *idx;
  const char *names[] = {"row_regime", "row_env", "row_scenario", "row_policy"};
  const char *help[]  = {"index into the attribute regimes", "index into the attribute envs", "index into the attribute scenarios", "index into the attribute policies"};

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(res->nrows, &idx));
  for (PetscInt row = 0; row < res->nrows; row++) idx[row] = row;
  PetscCall(StkH5WriteArray(file, g, "row", "row", res->nrows, idx, "1", "row = ((regime * nenvs + env) * nscenarios + scenario) * npolicies + policy"));
  for (PetscInt k = 0; k < 4; k++) {
    const PetscInt div[] = {o->npolicies * o->nscenarios * o->nenvs, o->npolicies * o->nscenarios, o->npolicies, 1}, mod[] = {o->nregimes, o->nenvs, o->nscenarios, o->npolicies};
    for (PetscInt row = 0; row < res->nrows; row++) idx[row] = (row / div[k]) % mod[k];
    PetscCall(StkH5WriteArray(file, g, names[k], "row", res->nrows, idx, "1", help[k]));
  }
  PetscCall(PetscFree(idx));
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteNames(StkH5 file, const char g[], const char attr[], char *items[], PetscInt n)
{
  char list[1024] = "";

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < n; i++) {
    if (i) PetscCall(PetscStrlcat(list, ",", sizeof(list)));
    PetscCall(PetscStrlcat(list, items[i], sizeof(list)));
  }
  PetscCall(StkH5WriteAttributeString(file, g, attr, list));
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteContents(StkH5 file, const CompareOptions *o, const CompareResults *res, PetscLogDouble wall)
{
  const char  g[] = "compare";
  PetscReal  *scale;
  char        columns[4096] = "", name[64];
  PetscMPIInt size;
  PetscInt    n = PetscMax(PetscMax(o->paths, res->ncolumns), res->nrec);

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(n, &scale));
  for (PetscInt i = 0; i < n; i++) scale[i] = i;
  PetscCall(StkH5WriteArray(file, g, "path", "path", o->paths, scale, "1", "Monte Carlo path (Philox counter, common to every policy)"));
  PetscCall(StkH5WriteArray(file, g, "column", "column", res->ncolumns, scale, "1", "summary column (names in the attribute columns)"));
  for (PetscInt k = 0; k < res->nrec; k++) scale[k] = k * o->sample_every / 365.0;
  PetscCall(StkH5WriteArray(file, g, "t", "t", res->nrec, scale, "yr", "times of the kept sample paths"));
  for (PetscInt i = 0; i < o->samples; i++) scale[i] = i;
  PetscCall(StkH5WriteArray(file, g, "sample", "sample", o->samples, scale, "1", "sample path index (the first paths)"));
  for (PetscInt i = 0; i < o->paths; i++) scale[i] = StartState(i);
  PetscCall(StkH5WriteArray(file, g, "s0", "path", o->paths, scale, "1", "start state of each path"));
  PetscCall(PetscFree(scale));
  PetscCall(WriteRowIndex(file, g, o, res));
  for (PetscInt m = 0; m < STK_METRIC_COUNT; m++) {
    PetscReal *tab;
    PetscCall(PetscMalloc1(res->nrows * o->paths, &tab));
    for (PetscInt row = 0; row < res->nrows; row++)
      for (PetscInt i = 0; i < o->paths; i++) tab[row * o->paths + i] = res->metrics[(row * STK_METRIC_COUNT + m) * o->paths + i];
    PetscCall(StkH5WriteArray2D(file, g, StkMetricNames[m], "row", "path", res->nrows, o->paths, tab, StkMetricUnits[m], StkMetricHelp[m]));
    PetscCall(PetscFree(tab));
  }
  PetscCall(StkH5WriteArray2D(file, g, "summary", "row", "column", res->nrows, res->ncolumns, res->summary, "mixed", "per row: metric means, counts, and paired differences to the reference (docs/cli.md)"));
  PetscCall(StkH5WriteArray2D(file, g, "sample_s", "row", "path", res->nrows, o->samples * res->nrec, res->sample_s, "1", "staking ratio of the sample paths, (sample, t) flattened"));
  PetscCall(StkH5WriteArray2D(file, g, "sample_u", "row", "path", res->nrows, o->samples * res->nrec, res->sample_u, "1/yr", "issuance of the sample paths, (sample, t) flattened"));
  for (PetscInt j = 0; j < res->ncolumns; j++) {
    PetscCall(ColumnName(j, name, sizeof(name)));
    if (j) PetscCall(PetscStrlcat(columns, ",", sizeof(columns)));
    PetscCall(PetscStrlcat(columns, name, sizeof(columns)));
  }
  PetscCall(StkH5WriteAttributeString(file, g, "columns", columns));
  PetscCall(WriteNames(file, g, "regimes", (char **)o->regimes, o->nregimes));
  PetscCall(WriteNames(file, g, "envs", (char **)o->envs, o->nenvs));
  PetscCall(WriteNames(file, g, "scenarios", (char **)o->scenarios, o->nscenarios));
  PetscCall(WriteNames(file, g, "policies", (char **)o->policies, o->npolicies));
  PetscCall(StkH5WriteAttributeString(file, g, "program", "stakehjb compare"));
  PetscCall(StkH5WriteAttributeString(file, g, "version", STK_VERSION));
  PetscCall(StkH5WriteAttributeInt(file, g, "paths", o->paths));
  PetscCall(StkH5WriteAttributeInt(file, g, "seed", o->seed));
  PetscCall(StkH5WriteAttributeInt(file, g, "n_agents", o->n_agents));
  PetscCall(StkH5WriteAttributeInt(file, g, "bootstrap", o->nboot));
  PetscCall(StkH5WriteAttributeInt(file, g, "samples", o->samples));
  PetscCall(StkH5WriteAttributeInt(file, g, "nrec", res->nrec));
  PetscCall(StkH5WriteAttributeReal(file, g, "years", o->years, "yr"));
  PetscCall(StkH5WriteAttributeReal(file, g, "shock_time", o->t_shock, "yr"));
  PetscCall(StkH5WriteAttributeReal(file, g, "shock_dz", o->dz, "1/yr"));
  PetscCall(StkH5WriteAttributeReal(file, g, "shock_frac", o->frac, "1"));
  PetscCall(StkH5WriteAttributeReal(file, g, "band", o->band, "1"));
  PetscCall(StkH5WriteAttributeReal(file, g, "recovery_hold", o->hold, "yr"));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(StkH5WriteAttributeInt(file, g, "ranks", size));
  PetscCall(StkH5WriteAttributeReal(file, g, "wall_time", wall, "s"));
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteResults(const CompareOptions *o, const CompareResults *res, PetscLogDouble wall)
{
  StkH5          file;
  PetscErrorCode ierr;
  char           csv[PETSC_MAX_PATH_LEN], *dot;

  PetscFunctionBeginUser;
  PetscCall(StkH5Create(PETSC_COMM_WORLD, o->out, &file));
  ierr = WriteContents(file, o, res, wall);
  if (!ierr) ierr = StkH5Commit(file, "compare", NULL, 0, NULL);
  PetscCall(StkH5Destroy(&file));
  PetscCall(ierr);
  PetscCall(PetscStrncpy(csv, o->out, sizeof(csv)));
  if ((dot = strrchr(csv, '.')) && !strchr(dot, '/')) *dot = 0;
  PetscCall(PetscStrlcat(csv, ".csv", sizeof(csv)));
  PetscCall(WriteCsv(o, res, csv));
  PetscFunctionReturn(0);
}

/* The table on stdout: mean discounted cost and tracking RMSE per row, and the paired
 * difference of the cost to the reference with its interval and Holm-adjusted p. */
static PetscErrorCode PrintSummary(const CompareOptions *o, const CompareResults *res, PetscLogDouble wall)
{
  const PetscInt base = 2 * STK_METRIC_COUNT + 1;
  PetscMPIInt    size;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "stakehjb compare: %" PetscInt_FMT " regime(s) x %" PetscInt_FMT " environment(s) x %" PetscInt_FMT " scenario(s) x %" PetscInt_FMT " policies, %" PetscInt_FMT " paths of %g yr each, %d rank(s), %.1f s\n", o->nregimes, o->nenvs, o->nscenarios, o->npolicies, o->paths, (double)o->years, (int)size, (double)wall));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  paired differences to %s: mean [95%% bootstrap interval], Holm-adjusted Wilcoxon p\n", o->policies[o->reference]));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  %-11s %-4s %-10s %-15s %10s %10s %34s %9s\n", "regime", "env", "scenario", "policy", "cost", "rmse", "cost - reference", "p_holm"));
  for (PetscInt row = 0; row < res->nrows; row++) {
    const PetscInt   p = row % o->npolicies, c = (row / o->npolicies) % o->nscenarios, e = (row / (o->npolicies * o->nscenarios)) % o->nenvs, r = row / (o->npolicies * o->nscenarios * o->nenvs);
    const PetscReal *col = &res->summary[row * res->ncolumns], *dc = &col[base];
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  %-11.11s %-4s %-10s %-15s %10.4g %10.4g", o->regimes[r], o->envs[e], o->scenarios[c], o->policies[p], (double)col[2 * STK_METRIC_DISCOUNTED_COST], (double)col[2 * STK_METRIC_TRACKING_RMSE]));
    if (p == o->reference) PetscCall(PetscPrintf(PETSC_COMM_WORLD, " %34s %9s\n", "(reference)", ""));
    else PetscCall(PetscPrintf(PETSC_COMM_WORLD, " %+10.3e [%+10.3e, %+10.3e] %9.2e\n", (double)dc[0], (double)dc[1], (double)dc[2], (double)dc[4]));
  }
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  wrote %s and its .csv summary\n", o->out));
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */

static PetscErrorCode ResultsAllocate(const CompareOptions *o, CompareResults *res)
{
  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(res, sizeof(*res)));
  res->nrows  = o->nregimes * o->nenvs * o->nscenarios * o->npolicies;
  res->nsteps = (PetscInt)PetscFloorReal(o->years * 365 + 0.5); /* dt = 1 day (-sim_dt is not used here) */
  res->nrec   = res->nsteps / o->sample_every + 1;
  PetscCall(PetscCalloc3(res->nrows * STK_METRIC_COUNT * o->paths, &res->metrics, res->nrows * o->samples * res->nrec, &res->sample_s, res->nrows * o->samples * res->nrec, &res->sample_u));
  PetscFunctionReturn(0);
}

/* Every entry was written by exactly one rank (the others hold 0): a sum is exact. */
static PetscErrorCode ResultsCombine(const CompareOptions *o, CompareResults *res)
{
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, res->metrics, (PetscMPIInt)(res->nrows * STK_METRIC_COUNT * o->paths), MPIU_REAL, MPI_SUM, PETSC_COMM_WORLD));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, res->sample_s, (PetscMPIInt)(res->nrows * o->samples * res->nrec), MPIU_REAL, MPI_SUM, PETSC_COMM_WORLD));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, res->sample_u, (PetscMPIInt)(res->nrows * o->samples * res->nrec), MPIU_REAL, MPI_SUM, PETSC_COMM_WORLD));
  PetscFunctionReturn(0);
}

static PetscErrorCode ResultsDestroy(CompareResults *res)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree3(res->metrics, res->sample_s, res->sample_u));
  PetscCall(PetscFree(res->summary));
  PetscFunctionReturn(0);
}

PetscErrorCode StkCommandCompare(void)
{
  CompareOptions o;
  CompareResults res;
  Progress       pg = {0, 0, 0, 0, PETSC_FALSE};
  PetscLogDouble t1;
  char          *cmdline;

  PetscFunctionBeginUser;
  PetscCall(CompareOptionsRead(&o));
  PetscCall(StkOutputPath(PETSC_COMM_WORLD, "-o", "out/compare.h5", o.out, sizeof(o.out)));
  if (StkHelpRequested()) {
    StkModel  model;
    StkPolicy policy;
    PetscCall(StkModelCreate(PETSC_COMM_WORLD, &model));
    PetscCall(StkModelSetFromOptions(model));
    PetscCall(StkPolicyCreate(PETSC_COMM_WORLD, &policy));
    PetscCall(StkPolicySetFromOptions(policy));
    PetscCall(StkPolicyDestroy(&policy));
    PetscCall(StkModelDestroy(&model));
    PetscCall(CompareOptionsFree(&o));
    PetscFunctionReturn(0);
  }
  for (PetscInt r = 0; r < o.nregimes; r++) {
    char file[PETSC_MAX_PATH_LEN];
    PetscCall(RegimeFile(&o, o.regimes[r], file, sizeof(file))); /* every file checked before any work */
  }
  PetscCall(PetscOptionsGetAll(NULL, &cmdline));
  PetscCall(ResultsAllocate(&o, &res));
  PetscCall(PetscTime(&pg.start));
  {
    PetscMPIInt rank, size;
    PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
    PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
    pg.total = o.nregimes * o.nenvs * o.nscenarios * ((o.paths + size - 1) / size);
  }
  for (PetscInt r = 0; r < o.nregimes; r++) PetscCall(RunRegime(&o, &res, r, cmdline, &pg));
  if (pg.shown) fprintf(stderr, "\n");
  PetscCall(ResultsCombine(&o, &res));
  PetscCall(ComputeSummary(&o, &res));
  PetscCall(PetscTime(&t1));
  PetscCall(WriteResults(&o, &res, t1 - pg.start));
  PetscCall(PrintSummary(&o, &res, t1 - pg.start));
  PetscCall(ResultsDestroy(&res));
  PetscCall(PetscFree(cmdline));
  PetscCall(CompareOptionsFree(&o));
  PetscFunctionReturn(0);
}
