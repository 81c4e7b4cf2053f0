/* Misspecification experiments (stk_robust.h, docs/robustness.md). */
#include "stk_robust.h"
#include "stk_stats.h"
#include "stk_hjb.h"
#include "stk_regime.h"
#include "stk_model.h"
#include "stk_h5.h"
#include <math.h>
#include <string.h>

const char *const StkRobustCases[] = {"none", "median", "logsd", "gamma", "phi", "kappa", "regime", "StkRobustCase", "STK_ROBUST_", NULL};

#define STK_ROBUST_MAXLIST 16
static const char *const robust_variants[] = {"hamiltonian", "spsa", "hamiltonian_replan", "spsa_replan"};

struct _p_StkRobust {
  MPI_Comm      comm;
  StkRobustCase rcase;
  PetscReal     factor, years, replan;
  StkSimType    env;
  PetscInt      paths, seed, agents, nboot;
  PetscInt      nref, npol;
  char          refinements[STK_ROBUST_MAXLIST][64], policies[STK_ROBUST_MAXLIST][64];
  char          oracle_file[PETSC_MAX_PATH_LEN], replan_file[PETSC_MAX_PATH_LEN];
  /* after Run */
  PetscInt      nrows;
  StkRobustRow *rows;
  PetscReal     gap, gap_lo, gap_hi;
  PetscBool     oracle_is_expert;
};

PetscErrorCode StkRobustTruth(MPI_Comm comm, const StkAgentParams *model, StkRobustCase rcase, PetscReal factor, StkAgentParams *truth)
{
  PetscFunctionBeginUser;
  *truth = *model;
  if (rcase == STK_ROBUST_MEDIAN || rcase == STK_ROBUST_LOGSD || rcase == STK_ROBUST_GAMMA)
    PetscCheck(model->cost.type == STK_COST_LOGNORMAL, comm, PETSC_ERR_USER_INPUT, "-robust_case %s: the planner's cost law must be lognormal, got %s", StkRobustCases[rcase], StkCostTypes[model->cost.type]);
  switch (rcase) {
  case STK_ROBUST_NONE:
    break;
  case STK_ROBUST_MEDIAN:
    truth->cost.median *= factor;
    break;
  case STK_ROBUST_LOGSD:
    truth->cost.logsd *= factor;
    break;
  case STK_ROBUST_GAMMA: {
    /* the lognormal's mean m e^{s^2/2} and variance (e^{s^2} - 1) mean^2 */
    const PetscReal s2 = model->cost.logsd * model->cost.logsd, mean = model->cost.median * PetscExpReal(0.5 * s2), var = (PetscExpReal(s2) - 1) * mean * mean;
    truth->cost.type   = STK_COST_GAMMA;
    truth->cost.shape  = mean * mean / var;
    truth->cost.gscale = var / mean;
  } break;
  case STK_ROBUST_PHI:
    truth->phi *= factor;
    break;
  case STK_ROBUST_KAPPA:
    truth->kappa *= factor;
    break;
  case STK_ROBUST_REGIME: /* the environment's regime chain holds the truth */
    break;
  }
  PetscCall(StkAgentParamsCheck(comm, truth));
  PetscFunctionReturn(0);
}

static PetscReal SortedQuantile(PetscInt n, const PetscReal x[], PetscReal q)
{
  PetscReal pos = q * (PetscReal)(n - 1);
  PetscInt  k   = (PetscInt)floor(pos);
  if (k >= n - 1) return x[n - 1];
  return x[k] + (pos - (PetscReal)k) * (x[k + 1] - x[k]);
}

static PetscReal Fraction(PetscReal closed_sum, PetscReal gap_sum)
{
  return gap_sum == 0 ? 0 : closed_sum / gap_sum;
}

PetscErrorCode StkRobustClosedFraction(PetscInt n, const PetscReal e[], const PetscReal o[], const PetscReal q[], PetscInt nboot, uint64_t seed, PetscReal *gap, PetscReal *closed, PetscReal *lo, PetscReal *hi)
{
  PetscReal  g = 0, c = 0, *frac;

  PetscFunctionBeginUser;
  PetscCheck(n > 0 && nboot >= 2, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "The closed fraction needs paths (%" PetscInt_FMT ") and >= 2 resamples (%" PetscInt_FMT ")", n, nboot);
  for (PetscInt i = 0; i < n; i++) {
    g += e[i] - o[i];
    c += e[i] - q[i];
  }
  if (gap) *gap = g / n;
  if (closed) *closed = Fraction(c, g);
  if (!lo && !hi) PetscFunctionReturn(0);
  PetscCall(PetscMalloc1(nboot, &frac));
  for (PetscInt b = 0; b < nboot; b++) {
    PetscReal gb = 0, cb = 0;
    for (PetscInt i = 0; i < n; i++) {
      PetscInt j = (PetscInt)(StkStatsUniform(seed, (uint64_t)b, (uint64_t)i) * (PetscReal)n);
      gb += e[j] - o[j];
      cb += e[j] - q[j];
    }
    frac[b] = Fraction(cb, gb);
  }
  PetscCall(PetscSortReal(nboot, frac));
  if (lo) *lo = SortedQuantile(nboot, frac, 0.025);
  if (hi) *hi = SortedQuantile(nboot, frac, 0.975);
  PetscCall(PetscFree(frac));
  PetscFunctionReturn(0);
}

PetscErrorCode StkRobustCreate(MPI_Comm comm, StkRobust *robust)
{
  StkRobust r;
  const char *pol[] = {"zero", "fixed", "proportional", "cosmos", "polkadot", "ethereum", "tezos"};

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&r));
  r->comm   = comm;
  r->rcase  = STK_ROBUST_NONE;
  r->factor = 1;
  r->years  = 20;
  r->replan = 5;
  r->env    = STK_SIM_SDE;
  r->paths  = 32;
  r->seed   = 1;
  r->agents = 5000;
  r->nboot  = 2000;
  r->nref   = 4;
  for (PetscInt v = 0; v < 4; v++) PetscCall(PetscStrncpy(r->refinements[v], robust_variants[v], sizeof(r->refinements[v])));
  r->npol = 7;
  for (PetscInt v = 0; v < 7; v++) PetscCall(PetscStrncpy(r->policies[v], pol[v], sizeof(r->policies[v])));
  PetscCall(PetscStrncpy(r->oracle_file, "out/robust_oracle.h5", sizeof(r->oracle_file)));
  PetscCall(PetscStrncpy(r->replan_file, "out/robust_replanned.h5", sizeof(r->replan_file)));
  *robust = r;
  PetscFunctionReturn(0);
}

/* A comma-separated list option into names[] (at most STK_ROBUST_MAXLIST). */
static PetscErrorCode ReadList(PetscOptionItems *PetscOptionsObject, const char opt[], const char help[], char names[][64], PetscInt *n)
{
  char     *list[STK_ROBUST_MAXLIST];
  PetscInt  m = STK_ROBUST_MAXLIST;
  PetscBool set;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsStringArray(opt, help, NULL, list, &m, &set));
  if (!set) PetscFunctionReturn(0);
  for (PetscInt i = 0; i < m; i++) {
    PetscCheck(strlen(list[i]) < 64, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s is too long a name", opt, list[i]);
    PetscCall(PetscStrncpy(names[i], list[i], 64));
    PetscCall(PetscFree(list[i]));
  }
  *n = m;
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckSettings(StkRobust r)
{
  PetscFunctionBeginUser;
  PetscCheck(r->factor > 0 && r->factor <= 100, r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-robust_factor: %g is out of range: it must lie in (0, 100]", (double)r->factor);
  PetscCheck(r->years > 0 && r->years <= 1000, r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-robust_years: %g is out of range: it must lie in (0, 1000]", (double)r->years);
  PetscCheck(r->replan > 0 && r->replan <= 1000, r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-robust_replan: %g is out of range: it must lie in (0, 1000] yr", (double)r->replan);
  PetscCheck(r->paths >= 2 && r->paths <= 100000000, r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-robust_paths: %" PetscInt_FMT " is out of range: it must lie in [2, 1e8]", r->paths);
  PetscCheck(r->seed >= 0, r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-robust_seed: %" PetscInt_FMT " is out of range: it must be >= 0", r->seed);
  PetscCheck(r->agents >= 1 && r->agents <= 1000000000, r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-robust_agents: %" PetscInt_FMT " is out of range: it must lie in [1, 1e9]", r->agents);
  PetscCheck(r->nboot >= 100 && r->nboot <= 10000000, r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-robust_bootstrap: %" PetscInt_FMT " is out of range: it must lie in [100, 1e7]", r->nboot);
  for (PetscInt v = 0; v < r->nref; v++) {
    PetscBool ok = PETSC_FALSE;
    for (PetscInt k = 0; k < 4; k++) ok = (PetscBool)(ok || !strcmp(r->refinements[v], robust_variants[k]));
    PetscCheck(ok, r->comm, PETSC_ERR_USER_INPUT, "-robust_refinements: %s is unknown: known are hamiltonian, spsa, hamiltonian_replan, spsa_replan", r->refinements[v]);
  }
  for (PetscInt q = 0; q < r->npol; q++) {
    PetscBool known;
    PetscCall(StkPolicyTypeIsKnown(r->policies[q], &known));
    PetscCheck(known && strcmp(r->policies[q], STK_POLICY_EXPERT) && strcmp(r->policies[q], STK_POLICY_NETWORK), r->comm, PETSC_ERR_USER_INPUT, "-robust_policies: %s is not a baseline or rule (expert and network are always in the table)", r->policies[q]);
  }
  PetscFunctionReturn(0);
}

PetscErrorCode StkRobustSetFromOptions(StkRobust r)
{
  PetscEnum rcase = (PetscEnum)r->rcase, env = (PetscEnum)r->env;

  PetscFunctionBeginUser;
  PetscOptionsBegin(r->comm, NULL, "Misspecification experiments (docs/robustness.md)", NULL);
  PetscCall(PetscOptionsEnum("-robust_case", "What the environment changes: none, median, logsd, gamma, phi, kappa, regime (the chain of -sim_regime_files)", "StkRobustTruth", StkRobustCases, rcase, &rcase, NULL));
  PetscCall(PetscOptionsReal("-robust_factor", "The changed parameter is the model's times this", "", r->factor, &r->factor, NULL));
  PetscCall(PetscOptionsEnum("-robust_env", "Environment of the refinements and of the evaluation", "", StkSimTypes, env, &env, NULL));
  PetscCall(PetscOptionsInt("-robust_paths", "Evaluation paths", "", r->paths, &r->paths, NULL));
  PetscCall(PetscOptionsReal("-robust_years", "Evaluation horizon and the refinements' simulated years", "", r->years, &r->years, NULL));
  PetscCall(PetscOptionsInt("-robust_seed", "Philox key of the evaluation", "", r->seed, &r->seed, NULL));
  PetscCall(PetscOptionsInt("-robust_agents", "Token holders of the abm", "", r->agents, &r->agents, NULL));
  PetscCall(PetscOptionsInt("-robust_bootstrap", "Bootstrap resamples", "", r->nboot, &r->nboot, NULL));
  PetscCall(PetscOptionsReal("-robust_replan", "Re-planning interval of the _replan variants, yr", "", r->replan, &r->replan, NULL));
  PetscCall(ReadList(PetscOptionsObject, "-robust_refinements", "Refinement variants: hamiltonian, spsa, hamiltonian_replan, spsa_replan", r->refinements, &r->nref));
  PetscCall(ReadList(PetscOptionsObject, "-robust_policies", "Baselines and rules evaluated besides expert, oracle and networks", r->policies, &r->npol));
  PetscCall(PetscOptionsString("-robust_oracle_file", "Where the oracle's solution goes", "", r->oracle_file, r->oracle_file, sizeof(r->oracle_file), NULL));
  PetscCall(PetscOptionsString("-robust_replan_file", "Where the re-planned solutions go", "", r->replan_file, r->replan_file, sizeof(r->replan_file), NULL));
  PetscOptionsEnd();
  r->rcase = (StkRobustCase)rcase;
  r->env   = (StkSimType)env;
  PetscCall(CheckSettings(r));
  PetscFunctionReturn(0);
}

/* Field by field (no padding compared): is the environment the model? */
static PetscBool SameParams(const StkAgentParams *a, const StkAgentParams *b)
{
  const StkCostDist *f = &a->cost, *g = &b->cost;
  PetscBool          cost = (PetscBool)(f->type == g->type && f->median == g->median && f->logsd == g->logsd && f->lo == g->lo && f->hi == g->hi && f->loc == g->loc && f->scale == g->scale && f->shape == g->shape && f->gscale == g->gscale && f->sample == g->sample && f->nsample == g->nsample);
  return (PetscBool)(cost && a->s_max == b->s_max && a->phi == b->phi && a->kappa == b->kappa && a->sigma0 == b->sigma0 && a->zbar == b->zbar && a->theta == b->theta && a->sigma_z == b->sigma_z);
}

/* The oracle: the planner's solution re-solved with the environment's holders,
 * warm-started on the planner's grid (the -hjb_ options apply).  Every rank solves on
 * PETSC_COMM_SELF (so the oracle is bitwise the same on any number of ranks, as
 * compare's experts), rank 0 writes oracle_file; returns its expert policy. */
static PetscErrorCode SolveOracle(StkRobust r, const char solution[], const StkAgentParams *truth, StkPolicy *oracle)
{
  StkModel      model;
  StkGrid       grid;
  StkSolver     solver;
  StkPopulation pop;
  Vec           V, u;
  PetscMPIInt   rank;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(r->comm, &rank));
  PetscCall(StkSolutionLoad(PETSC_COMM_SELF, solution, &model, &grid, &V, &u));
  PetscCall(StkModelStakingGetPopulation(model, &pop));
  PetscCall(StkPopulationSetParams(pop, truth));
  PetscCall(StkSolverCreate(PETSC_COMM_SELF, &solver));
  PetscCall(StkSolverSetModel(solver, model));
  PetscCall(StkSolverSetGrid(solver, grid));
  PetscCall(StkSolverSetFromOptions(solver));
  PetscCall(StkSolverSetInitialGuess(solver, V, u));
  PetscCall(StkSolverSolve(solver));
  if (!rank) {
    PetscCall(StkSolverComputeDensity(solver));
    PetscCall(StkSolverWrite(solver, r->oracle_file));
  }
  PetscCallMPI(MPI_Barrier(r->comm));
  PetscCall(VecDestroy(&V));
  PetscCall(VecDestroy(&u));
  PetscCall(StkSolverDestroy(&solver));
  PetscCall(StkGridDestroy(&grid));
  PetscCall(StkModelDestroy(&model));
  PetscCall(StkPolicyCreate(r->comm, oracle));
  PetscCall(StkPolicySetType(*oracle, STK_POLICY_EXPERT));
  PetscCall(StkPolicySetFile(*oracle, r->oracle_file));
  PetscCall(StkPolicySetUp(*oracle));
  PetscFunctionReturn(0);
}

/* Are all regimes of the chain the model's holders?  Then the environment is the model. */
static PetscErrorCode ChainIsModel(StkSim chain, const StkAgentParams *mp, PetscBool *same)
{
  PetscInt M;

  PetscFunctionBeginUser;
  PetscCall(StkSimGetNumRegimes(chain, &M));
  *same = PETSC_TRUE;
  for (PetscInt i = 0; i < M; i++) {
    StkPopulation         pop;
    const StkAgentParams *p;
    PetscCall(StkSimGetRegimePopulation(chain, i, &pop));
    PetscCall(StkPopulationGetParams(pop, &p));
    *same = (PetscBool)(*same && SameParams(mp, p));
  }
  PetscFunctionReturn(0);
}

/* The planner's grid (replaced) extended in z (2-D) to the union of its z interval
 * shifted to every regime's zbar, at the same spacing; 1-D: unchanged. */
static PetscErrorCode ExtendGrid(PetscInt M, StkModel models[], StkGrid *grid)
{
  PetscInt         dim, n[STK_MAX_DIM];
  PetscReal        lo[STK_MAX_DIM], hi[STK_MAX_DIM];
  const PetscReal *x;
  StkGrid          ext;
  StkAgentParams   p0;

  PetscFunctionBeginUser;
  PetscCall(StkGridGetDimension(*grid, &dim));
  if (dim < 2) PetscFunctionReturn(0);
  PetscCall(StkGridGetSizes(*grid, n));
  for (PetscInt k = 0; k < dim; k++) {
    PetscCall(StkGridGetCoordinates(*grid, k, &x));
    lo[k] = x[0], hi[k] = x[n[k] - 1];
  }
  {
    StkPopulation         pop;
    const StkAgentParams *p;
    PetscCall(StkModelStakingGetPopulation(models[0], &pop));
    PetscCall(StkPopulationGetParams(pop, &p));
    p0 = *p;
  }
  {
    const PetscReal lo1 = lo[1], hi1 = hi[1], h = (hi1 - lo1) / (n[1] - 1);
    for (PetscInt i = 1; i < M; i++) {
      StkPopulation         pop;
      const StkAgentParams *p;
      PetscCall(StkModelStakingGetPopulation(models[i], &pop));
      PetscCall(StkPopulationGetParams(pop, &p));
      lo[1] = PetscMin(lo[1], lo1 + p->zbar - p0.zbar);
      hi[1] = PetscMax(hi[1], hi1 + p->zbar - p0.zbar);
    }
    n[1] = (PetscInt)PetscCeilReal((hi[1] - lo[1]) / h - 1e-9) + 1;
    hi[1] = lo[1] + (n[1] - 1) * h;
  }
  PetscCall(StkGridCreate(PETSC_COMM_SELF, &ext));
  PetscCall(StkRegimeConfigureGrid(M, models, ext)); /* names, stretching, the -grid_ options */
  PetscCall(StkGridSetSizes(ext, n));
  PetscCall(StkGridSetBox(ext, lo, hi));
  PetscCall(StkGridSetUp(ext));
  PetscCall(StkGridDestroy(grid));
  *grid = ext;
  PetscFunctionReturn(0);
}

/* The oracle of case regime, the regime-aware planner: the planner's model (objective,
 * discount, bounds) with each regime's holders, coupled by the chain's intensities
 * (StkRegimeSolver), on the planner's grid extended in z to cover every regime: the
 * planner's z interval shifted by each regime's zbar - the planner's, united, at the
 * planner's spacing (so the discretization errors of expert and oracle stay alike; the
 * planner's own box covers its model's z, not the bear regime's, and its expert clamps
 * z to it).  The -hjb_ options apply.  Every rank solves on PETSC_COMM_SELF, rank 0 writes
 * oracle_file; returns its regime_expert policy: the solver's improvement from V_i in
 * the regime the simulation is in, like the expert (regime_solution would interpolate u,
 * a difference of the kind of policy of the order of the gap itself). */
static PetscErrorCode SolveRegimeOracle(StkRobust r, const char solution[], StkSim chain, StkPolicy *oracle)
{
  StkModel             models[STK_SIM_MAX_REGIMES] = {NULL};
  const char          *names[STK_SIM_MAX_REGIMES];
  const PetscReal     *rates;
  PetscInt             M;
  StkGrid              grid = NULL;
  StkRegimeSolver      solver;
  StkRegimeSolverStats st;
  PetscMPIInt          rank;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(r->comm, &rank));
  PetscCall(StkSimGetNumRegimes(chain, &M));
  PetscCall(StkSimGetRegimeRates(chain, &rates));
  for (PetscInt i = 0; i < M; i++) {
    StkGrid               g;
    Vec                   V, u;
    StkPopulation         pop, rpop;
    const StkAgentParams *p;
    PetscCall(StkSolutionLoad(PETSC_COMM_SELF, solution, &models[i], &g, &V, &u));
    PetscCall(VecDestroy(&V));
    PetscCall(VecDestroy(&u));
    if (!i) grid = g; /* the planner's grid */
    else PetscCall(StkGridDestroy(&g));
    PetscCall(StkSimGetRegimePopulation(chain, i, &rpop));
    PetscCall(StkPopulationGetParams(rpop, &p));
    PetscCall(StkModelStakingGetPopulation(models[i], &pop));
    PetscCall(StkPopulationSetParams(pop, p));
    PetscCall(StkSimGetRegimeName(chain, i, &names[i]));
  }
  PetscCall(ExtendGrid(M, models, &grid));
  PetscCall(StkRegimeSolverCreate(PETSC_COMM_SELF, &solver));
  PetscCall(StkRegimeSolverSetModels(solver, M, models, names));
  PetscCall(StkRegimeSolverSetRates(solver, rates));
  PetscCall(StkRegimeSolverSetGrid(solver, grid));
  PetscCall(StkRegimeSolverSetFromOptions(solver));
  PetscCall(StkRegimeSolverSetUp(solver));
  PetscCall(StkRegimeSolverSolve(solver));
  PetscCall(StkRegimeSolverGetStats(solver, &st));
  PetscCheck(st.converged, r->comm, PETSC_ERR_NOT_CONVERGED, "-robust_case regime: the regime-aware planner's policy iteration did not converge (relative HJB residual %.2e); raise -hjb_max_it or loosen -hjb_rtol", (double)st.residual);
  if (!rank) PetscCall(StkRegimeSolverWrite(solver, r->oracle_file));
  PetscCallMPI(MPI_Barrier(r->comm));
  PetscCall(StkRegimeSolverDestroy(&solver));
  PetscCall(StkGridDestroy(&grid));
  for (PetscInt i = 0; i < M; i++) PetscCall(StkModelDestroy(&models[i]));
  PetscCall(StkPolicyCreate(r->comm, oracle));
  PetscCall(StkPolicySetType(*oracle, STK_POLICY_REGIME_EXPERT));
  PetscCall(StkPolicySetFile(*oracle, r->oracle_file));
  PetscCall(StkPolicySetUp(*oracle));
  PetscFunctionReturn(0);
}

/* One refinement variant of the fitted network against the true environment for
 * `years` simulated years (iterations = years / -refine_window). */
static PetscErrorCode Refine(StkRobust r, const char variant[], StkPolicy expert, const char network[], const StkAgentParams *truth, StkSim chain, StkNet *net, StkRobustRow *row)
{
  StkRefine              refine;
  PetscInt               n;
  const StkRefineRecord *h;
  PetscReal              window = 0.25;
  PetscBool              replan = (PetscBool)(strstr(variant, "_replan") != NULL);

  PetscFunctionBeginUser;
  PetscCall(StkNetLoad(r->comm, network, NULL, net));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-refine_window", &window, NULL));
  PetscCall(StkRefineCreate(r->comm, &refine));
  PetscCall(StkRefineSetNetwork(refine, *net));
  PetscCall(StkRefineSetExpert(refine, expert));
  PetscCall(StkRefineSetEnvironment(refine, r->env));
  PetscCall(StkRefineSetIterations(refine, window > 0 ? (PetscInt)PetscMax(1, floor(r->years / window + 0.5)) : 1));
  PetscCall(StkRefineSetFromOptions(refine));
  PetscCall(StkRefineSetEstimator(refine, strncmp(variant, "spsa", 4) ? STK_REFINE_HAMILTONIAN : STK_REFINE_SPSA));
  PetscCall(StkRefineSetReplan(refine, replan ? r->replan : 0, r->replan_file));
  PetscCall(StkRefineSetEnvironmentParams(refine, truth));
  if (chain) PetscCall(StkRefineSetEnvironmentRegimes(refine, chain));
  PetscCall(StkRefineRun(refine));
  PetscCall(StkRefineGetHistory(refine, &n, &h));
  row->distance = n ? h[n - 1].distance : 0;
  row->gamma    = n ? h[n - 1].gamma : 1;
  PetscCall(StkRefineDestroy(&refine));
  PetscFunctionReturn(0);
}

static PetscErrorCode CreateEvaluate(StkRobust r, StkModel model, StkPopulation env, StkEvaluate *ev)
{
  StkSim                sim;
  const StkSimSettings *cur;
  StkSimSettings        set;

  PetscFunctionBeginUser;
  PetscCall(StkEvaluateCreate(r->comm, ev));
  PetscCall(StkEvaluateSetModel(*ev, model));
  PetscCall(StkEvaluateSetPopulation(*ev, env));
  PetscCall(StkEvaluateSetPaths(*ev, r->paths));
  PetscCall(StkEvaluateSetSeed(*ev, r->seed));
  PetscCall(StkEvaluateGetSim(*ev, &sim));
  PetscCall(StkSimGetSettings(sim, &cur));
  set          = *cur;
  set.type     = r->env;
  set.t_final  = r->years;
  set.n_agents = r->agents;
  PetscCall(StkSimSetSettings(sim, &set));
  PetscCall(StkEvaluateSetFromOptions(*ev));
  PetscFunctionReturn(0);
}

/* The rows' statistics: differences to the expert (row 0), Holm over rows >= 1, and
 * the closed fraction of the gap to the oracle (row 1). */
static PetscErrorCode FillRows(StkRobust r, StkPaired paired)
{
  PetscInt   M;
  PetscReal *e, *o, *q, *p, *padj;

  PetscFunctionBeginUser;
  PetscCall(StkPairedGetSizes(paired, NULL, &M, NULL, NULL));
  PetscCall(PetscMalloc5(M, &e, M, &o, M, &q, r->nrows, &p, r->nrows, &padj));
  PetscCall(StkPairedGetPathValues(paired, 0, STK_METRIC_DISCOUNTED_COST, e));
  /* the oracle is the expert when the environment is the model: the same costs (a learning
   * environment need not repeat a run to the last bit) */
  PetscCall(StkPairedGetPathValues(paired, r->oracle_is_expert ? 0 : 1, STK_METRIC_DISCOUNTED_COST, o));
  for (PetscInt k = 0; k < M; k++) q[k] = e[k] - o[k];
  PetscCall(StkStatsBootstrapMean(M, q, r->nboot, 0.95, 7, &r->gap, &r->gap_lo, &r->gap_hi));
  for (PetscInt j = 0; j < r->nrows; j++) {
    StkRobustRow *row = &r->rows[j];
    PetscCall(StkPairedGetMean(paired, j, STK_METRIC_DISCOUNTED_COST, &row->cost));
    if (j) PetscCall(StkPairedGetDifference(paired, j, STK_METRIC_DISCOUNTED_COST, &row->diff, &row->lo, &row->hi, &row->p));
    else row->diff = row->lo = row->hi = row->p = 0;
    p[j] = j ? row->p : 1;
    PetscCall(StkPairedGetPathValues(paired, j, STK_METRIC_DISCOUNTED_COST, q));
    PetscCall(StkRobustClosedFraction(M, e, o, q, r->nboot, 11, NULL, &row->closed, &row->closed_lo, &row->closed_hi));
  }
  if (r->nrows > 1) PetscCall(StkStatsHolm(r->nrows - 1, p + 1, padj + 1));
  r->rows[0].p = r->rows[0].p_holm = (PetscReal)NAN;
  for (PetscInt j = 1; j < r->nrows; j++) r->rows[j].p_holm = padj[j];
  PetscCall(PetscFree5(e, o, q, p, padj));
  PetscFunctionReturn(0);
}

static PetscErrorCode AddRow(StkRobust r, StkPaired paired, const char name[], StkPolicy pol)
{
  PetscFunctionBeginUser;
  PetscCall(PetscStrncpy(r->rows[r->nrows].name, name, sizeof(r->rows[r->nrows].name)));
  if (r->rows[r->nrows].distance == 0 && r->rows[r->nrows].gamma == 0) r->rows[r->nrows].distance = r->rows[r->nrows].gamma = (PetscReal)NAN;
  PetscCall(StkPairedAddPolicy(paired, r->rows[r->nrows].name, pol));
  r->nrows++;
  PetscFunctionReturn(0);
}

PetscErrorCode StkRobustRun(StkRobust r, StkPolicy expert, const char solution[], const char network[])
{
  StkModel              model;
  StkPopulation         mpop, env;
  const StkAgentParams *mp;
  StkAgentParams        truth;
  StkPolicy             oracle, pol[2 + 2 * STK_ROBUST_MAXLIST];
  StkNet                net[1 + STK_ROBUST_MAXLIST];
  StkEvaluate           ev;
  StkPaired             paired;
  StkSim                evsim, chain = NULL;
  PetscInt              npol = 0, nnet = 0, M;
  PetscBool             own_oracle = PETSC_TRUE;

  PetscFunctionBeginUser;
  PetscCall(StkPolicyExpertGetModel(expert, &model));
  PetscCall(StkModelStakingGetPopulation(model, &mpop));
  PetscCall(StkPopulationGetParams(mpop, &mp));
  PetscCall(StkRobustTruth(r->comm, mp, r->rcase, r->factor, &truth));
  PetscCall(PetscFree(r->rows));
  PetscCall(PetscCalloc1(3 + r->nref + r->npol, &r->rows));
  r->nrows = 0;
  PetscCall(StkPopulationCreate(r->comm, &env));
  PetscCall(StkPopulationSetParams(env, &truth));
  PetscCall(CreateEvaluate(r, model, env, &ev)); /* its sim reads the chain, -sim_regime_files */
  PetscCall(StkEvaluateGetSim(ev, &evsim));
  PetscCall(StkSimGetNumRegimes(evsim, &M));
  PetscCheck(r->rcase == STK_ROBUST_REGIME || !M, r->comm, PETSC_ERR_USER_INPUT, "-sim_regime_files: a regime chain in the environment is -robust_case regime, not %s", StkRobustCases[r->rcase]);
  PetscCheck(r->rcase != STK_ROBUST_REGIME || M, r->comm, PETSC_ERR_USER_INPUT, "-robust_case regime: the environment needs a regime chain: -sim_regime_files a.yaml,b.yaml -sim_regime_rates ...");
  if (M) chain = evsim;
  if (chain) PetscCall(ChainIsModel(chain, mp, &r->oracle_is_expert));
  else r->oracle_is_expert = SameParams(mp, &truth);
  if (r->oracle_is_expert) { /* the environment is the model: the oracle is the expert */
    oracle     = expert;
    own_oracle = PETSC_FALSE;
  } else if (chain) PetscCall(SolveRegimeOracle(r, solution, chain, &oracle));
  else PetscCall(SolveOracle(r, solution, &truth, &oracle));
  PetscCall(StkPairedCreate(r->comm, &paired));
  PetscCall(StkPairedSetBootstrap(paired, r->nboot, 0.95, 7));
  PetscCall(StkPairedSetEvaluate(paired, ev));
  PetscCall(AddRow(r, paired, "expert", expert));
  PetscCall(AddRow(r, paired, "oracle", oracle));
  PetscCall(StkNetLoad(r->comm, network, NULL, &net[nnet]));
  PetscCall(StkPolicyCreate(r->comm, &pol[npol]));
  PetscCall(StkPolicySetNetwork(pol[npol], net[nnet++]));
  PetscCall(AddRow(r, paired, "network", pol[npol++]));
  for (PetscInt v = 0; v < r->nref; v++) {
    char name[64];
    PetscCall(Refine(r, r->refinements[v], expert, network, &truth, chain, &net[nnet], &r->rows[r->nrows]));
    PetscCall(StkPolicyCreate(r->comm, &pol[npol]));
    PetscCall(StkPolicySetNetwork(pol[npol], net[nnet++]));
    PetscCall(PetscSNPrintf(name, sizeof(name), "refined_%s", r->refinements[v]));
    PetscCall(AddRow(r, paired, name, pol[npol++]));
  }
  for (PetscInt b = 0; b < r->npol; b++) {
    PetscCall(StkPolicyCreate(r->comm, &pol[npol]));
    PetscCall(StkPolicySetType(pol[npol], r->policies[b]));
    PetscCall(StkPolicySetModel(pol[npol], model));
    PetscCall(StkPolicySetFromOptions(pol[npol]));
    PetscCall(StkPolicySetType(pol[npol], r->policies[b])); /* the list wins over -policy */
    PetscCall(StkPolicySetUp(pol[npol]));
    PetscCall(AddRow(r, paired, r->policies[b], pol[npol++]));
  }
  PetscCall(StkPairedRun(paired));
  PetscCall(FillRows(r, paired));
  PetscCall(StkPairedDestroy(&paired));
  PetscCall(StkEvaluateDestroy(&ev));
  for (PetscInt k = 0; k < npol; k++) PetscCall(StkPolicyDestroy(&pol[k]));
  for (PetscInt k = 0; k < nnet; k++) PetscCall(StkNetDestroy(&net[k]));
  if (own_oracle) PetscCall(StkPolicyDestroy(&oracle));
  PetscCall(StkPopulationDestroy(&env));
  PetscFunctionReturn(0);
}

PetscErrorCode StkRobustPrintHelp(StkRobust r)
{
  StkModel    model;
  StkGrid     grid;
  StkSolver   solver;
  StkRefine   refine;
  StkEvaluate ev;
  StkPopulation pop;

  PetscFunctionBeginUser;
  PetscCall(StkRefineCreate(r->comm, &refine));
  PetscCall(StkRefineSetFromOptions(refine));
  PetscCall(StkRefineDestroy(&refine));
  PetscCall(StkModelCreate(r->comm, &model)); /* the planner's model comes from its file: no -agents_ options */
  PetscCall(StkModelSetType(model, STK_MODEL_STAKING));
  PetscCall(StkSolverCreateForModel(r->comm, model, &grid, &solver));
  PetscCall(StkModelStakingGetPopulation(model, &pop));
  PetscCall(CreateEvaluate(r, model, pop, &ev));
  PetscCall(StkEvaluateDestroy(&ev));
  for (PetscInt b = 0; b < r->npol; b++) {
    StkPolicy pol;
    PetscCall(StkPolicyCreate(r->comm, &pol));
    PetscCall(StkPolicySetType(pol, r->policies[b]));
    PetscCall(StkPolicySetModel(pol, model));
    PetscCall(StkPolicySetFromOptions(pol));
    PetscCall(StkPolicyDestroy(&pol));
  }
  PetscCall(StkSolverDestroy(&solver));
  PetscCall(StkGridDestroy(&grid));
  PetscCall(StkModelDestroy(&model));
  PetscFunctionReturn(0);
}

PetscErrorCode StkRobustGetTable(StkRobust r, PetscInt *nrows, const StkRobustRow **rows, PetscReal *gap, PetscReal *gap_lo, PetscReal *gap_hi)
{
  PetscFunctionBeginUser;
  if (nrows) *nrows = r->nrows;
  if (rows) *rows = r->rows;
  if (gap) *gap = r->gap;
  if (gap_lo) *gap_lo = r->gap_lo;
  if (gap_hi) *gap_hi = r->gap_hi;
  PetscFunctionReturn(0);
}

PetscErrorCode StkRobustWriteCsv(StkRobust r, const char path[])
{
  PetscMPIInt rank;
  FILE       *fp;
  char        tmp[PETSC_MAX_PATH_LEN + 8];

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(r->comm, &rank));
  if (rank) PetscFunctionReturn(0);
  PetscCall(PetscSNPrintf(tmp, sizeof(tmp), "%s.tmp", path));
  fp = fopen(tmp, "w");
  PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "-o: cannot write %s", tmp);
  fprintf(fp, "case,factor,env,paths,years,gap,gap_lo,gap_hi,policy,cost,diff,diff_lo,diff_hi,p,p_holm,closed,closed_lo,closed_hi,distance,gamma\n");
  for (PetscInt j = 0; j < r->nrows; j++) {
    const StkRobustRow *w = &r->rows[j];
    fprintf(fp, "%s,%.17g,%s,%d,%.17g,%.17g,%.17g,%.17g,%s,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g\n", StkRobustCases[r->rcase], (double)r->factor, StkSimTypes[r->env], (int)r->paths, (double)r->years, (double)r->gap, (double)r->gap_lo, (double)r->gap_hi, w->name, (double)w->cost, (double)w->diff, (double)w->lo, (double)w->hi, (double)w->p, (double)w->p_holm, (double)w->closed, (double)w->closed_lo, (double)w->closed_hi, (double)w->distance, (double)w->gamma);
  }
  PetscCheck(!fclose(fp) && !rename(tmp, path), PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "-o: cannot write %s", path);
  PetscFunctionReturn(0);
}

PetscErrorCode StkRobustView(StkRobust r, PetscViewer viewer)
{
  PetscFunctionBeginUser;
  PetscCall(PetscViewerASCIIPrintf(viewer, "Misspecification: %s x %g, %s environment, %" PetscInt_FMT " paths of %g yr; expert - oracle %.4e [%.4e, %.4e]\n", StkRobustCases[r->rcase], (double)r->factor, StkSimTypes[r->env], r->paths, (double)r->years, (double)r->gap, (double)r->gap_lo, (double)r->gap_hi));
  PetscCall(PetscViewerASCIIPrintf(viewer, "  %-26s %11s %11s %24s %9s %8s %20s\n", "policy", "cost", "- expert", "95 % interval", "p (Holm)", "closed", "95 % interval"));
  for (PetscInt j = 0; j < r->nrows; j++) {
    const StkRobustRow *w = &r->rows[j];
    PetscCall(PetscViewerASCIIPrintf(viewer, "  %-26s %11.4e %+11.3e [%+10.3e, %+10.3e] %9.3g %+8.3f [%+7.3f, %+7.3f]\n", w->name, (double)w->cost, (double)w->diff, (double)w->lo, (double)w->hi, (double)w->p_holm, (double)w->closed, (double)w->closed_lo, (double)w->closed_hi));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode StkRobustDestroy(StkRobust *robust)
{
  PetscFunctionBeginUser;
  if (!*robust) PetscFunctionReturn(0);
  PetscCall(PetscFree((*robust)->rows));
  PetscCall(PetscFree(*robust));
  PetscFunctionReturn(0);
}
