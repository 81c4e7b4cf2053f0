/* stakehjb run: the main job.  Solve the default model, fit the mechanism network to
 * the solution in memory, refine it online against the agent-based environment,
 * compare the expert, the fitted and the refined network on common random numbers,
 * and end with a short comparison across regimes (docs/cli.md). */
#include "stk_cli.h"
#include "stk_paired.h"
#include "stk_compare.h"

typedef struct {
  char solution[PETSC_MAX_PATH_LEN], network[PETSC_MAX_PATH_LEN], refined[PETSC_MAX_PATH_LEN], compare[PETSC_MAX_PATH_LEN];
  PetscBool use_solution, use_network; /* -run_solution, -run_network: skip steps 1, 2 */
} RunFiles;

/* run's defaults are set on its objects before their SetFromOptions, which starts from
 * the current values, so a user's option still overrides each: here 400 windows in the
 * agent-based environment; 800 fit iterations in Fit and PrintHelp. */
static PetscErrorCode CreateRefine(StkRefine *refine)
{
  PetscFunctionBeginUser;
  PetscCall(StkRefineCreate(PETSC_COMM_WORLD, refine));
  PetscCall(StkRefineSetEnvironment(*refine, STK_SIM_ABM));
  PetscCall(StkRefineSetIterations(*refine, 400));
  PetscCall(StkRefineSetFromOptions(*refine));
  PetscFunctionReturn(0);
}

/* 32 paths of 5 years in the agent-based environment, a quarter of the stake leaving
 * after a year (-sim_shock_t replaces that shock); the holders are env's (or the model's). */
static PetscErrorCode CreateEvaluate(StkModel model, StkPopulation env, StkEvaluate *ev)
{
  StkSim                sim;
  const StkSimSettings *cur;
  StkSimSettings        set;

  PetscFunctionBeginUser;
  PetscCall(StkEvaluateCreate(PETSC_COMM_WORLD, ev));
  PetscCall(StkEvaluateSetModel(*ev, model));
  if (env) PetscCall(StkEvaluateSetPopulation(*ev, env));
  PetscCall(StkEvaluateSetPaths(*ev, 32));
  PetscCall(StkEvaluateGetSim(*ev, &sim));
  PetscCall(StkSimGetSettings(sim, &cur));
  set         = *cur;
  set.type    = STK_SIM_ABM;
  set.t_final = 5;
  PetscCall(StkSimSetSettings(sim, &set));
  PetscCall(StkSimAddShock(sim, 1, 0, 0.25));
  PetscCall(StkEvaluateSetFromOptions(*ev));
  PetscFunctionReturn(0);
}

/* 5. A short version of `stakehjb compare` (docs/results.md has the full table): three
 * regimes, 24 paths of 10 years, 5000 holders, 4 kept samples, the networks fitted
 * with 800 iterations; each -compare_* (and -net_fit_max_it) option overrides. */
static PetscErrorCode CompareAcrossRegimes(const char out[])
{
  const char *const regimes[] = {"baseline", "bear", "sluggish"};
  StkCompare        cmp;

  PetscFunctionBeginUser;
  PetscCall(StkCompareCreate(PETSC_COMM_WORLD, &cmp));
  PetscCall(StkCompareSetRegimes(cmp, 3, regimes));
  PetscCall(StkCompareSetPaths(cmp, 24));
  PetscCall(StkCompareSetYears(cmp, 10));
  PetscCall(StkCompareSetAgents(cmp, 5000));
  PetscCall(StkCompareSetSamples(cmp, 4));
  PetscCall(StkCompareSetFitIterations(cmp, 800));
  PetscCall(StkCompareSetFromOptions(cmp));
  if (!StkHelpRequested()) {
    PetscCall(StkCompareSetOutput(cmp, out));
    PetscCall(StkCompareSetUp(cmp));
    PetscCall(StkCompareRun(cmp));
    PetscCall(StkCompareWrite(cmp));
    PetscCall(StkCompareView(cmp, PETSC_VIEWER_STDOUT_WORLD));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  wrote %s and its .csv summary\n", out));
  }
  PetscCall(StkCompareDestroy(&cmp));
  PetscFunctionReturn(0);
}

/* 1. Solve and write the solution (the solver keeps it in memory for the fit). */
static PetscErrorCode Solve(StkSolver solver, const char out[])
{
  StkGrid        grid;
  StkSolverStats st;

  PetscFunctionBeginUser;
  PetscCall(StkSolverGetGrid(solver, &grid));
  PetscCall(StkGridSetUp(grid));
  PetscCall(StkSolverSolve(solver));
  PetscCall(StkSolverComputeDensity(solver));
  PetscCall(StkSolverWrite(solver, out));
  PetscCall(StkSolverGetStats(solver, &st));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "1. solve: %s in %" PetscInt_FMT " Howard iterations, residual %.2e, %.2f s -> %s\n", st.converged ? "converged" : "NOT CONVERGED", st.iterations, (double)st.residual, (double)st.solve_time, out));
  PetscFunctionReturn(0);
}

/* 2. The network fitted to the solution's policy on its grid (the solver's in memory,
 * or -run_solution's), its output range the model's control bounds; written to a file. */
static PetscErrorCode Fit(const RunFiles *f, StkSolver solver, StkPolicy expert)
{
  StkModel       model  = NULL;
  StkGrid        grid   = NULL;
  Vec            policy = NULL;
  StkNet         net;
  StkNetFitStats st;

  PetscFunctionBeginUser;
  if (solver) {
    PetscCall(StkSolverGetModel(solver, &model));
    PetscCall(StkSolverGetGrid(solver, &grid));
    PetscCall(StkSolverGetPolicy(solver, &policy));
  } else PetscCall(StkSolutionLoad(PETSC_COMM_WORLD, f->solution, &model, &grid, NULL, &policy));
  PetscCall(StkNetCreate(PETSC_COMM_WORLD, &net));
  PetscCall(StkNetSetFitMaxIterations(net, 800));
  PetscCall(StkNetSetUpFromSolution(net, model, grid));
  PetscCall(StkNetSetSource(net, f->solution));
  PetscCall(StkNetFitGrid(net, grid, policy, &st));
  PetscCall(StkNetWrite(net, f->network));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "2. fit: %" PetscInt_FMT " TAO iterations on %" PetscInt_FMT " nodes, RMSE %.3f %% and max error %.3f %% of u_max - u_min on every node, %.2f s -> %s\n", st.iterations, st.samples, (double)(100 * st.rmse_relative), (double)(100 * st.max_error_relative), (double)st.time, f->network));
  PetscCall(StkNetDestroy(&net));
  if (!solver) {
    PetscCall(VecDestroy(&policy));
    PetscCall(StkGridDestroy(&grid));
    PetscCall(StkModelDestroy(&model));
  }
  PetscFunctionReturn(0);
}

/* 3. The network refined in place against the expert. */
static PetscErrorCode Refine(StkRefine refine, StkNet net, StkPolicy expert, const char out[])
{
  PetscFunctionBeginUser;
  PetscCall(StkRefineSetNetwork(refine, net));
  PetscCall(StkRefineSetExpert(refine, expert));
  PetscCall(StkRefineSetMonitor(refine, StkRefineMonitorProgress, NULL));
  PetscCall(StkRefineRun(refine));
  PetscCall(StkRefineWrite(refine, out));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "3. refine -> %s\n", out));
  PetscCall(StkRefineView(refine, PETSC_VIEWER_STDOUT_WORLD));
  PetscFunctionReturn(0);
}

/* 4. The expert, the fitted and the refined network on the same paths of the
 * refinement's environment. */
static PetscErrorCode Evaluate(StkPolicy expert, StkNet fitted, StkNet refined, StkRefine refine)
{
  StkModel      model;
  StkPopulation env;
  StkEvaluate   ev;
  StkPaired     paired;
  StkPolicy     pol[2];
  StkNet        net[2]  = {fitted, refined};
  const char   *name[2] = {"fitted", "refined"};

  PetscFunctionBeginUser;
  PetscCall(StkPolicyExpertGetModel(expert, &model));
  PetscCall(StkRefineGetEnvironment(refine, &env));
  PetscCall(CreateEvaluate(model, env, &ev));
  PetscCall(StkPairedCreate(PETSC_COMM_WORLD, &paired));
  PetscCall(StkPairedSetEvaluate(paired, ev));
  PetscCall(StkPairedAddPolicy(paired, "expert", expert));
  for (PetscInt q = 0; q < 2; q++) {
    PetscCall(StkPolicyCreate(PETSC_COMM_WORLD, &pol[q]));
    PetscCall(StkPolicySetNetwork(pol[q], net[q]));
    PetscCall(StkPairedAddPolicy(paired, name[q], pol[q]));
  }
  PetscCall(StkPairedRun(paired));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "4. evaluation on common random numbers:\n"));
  PetscCall(StkPairedView(paired, PETSC_VIEWER_STDOUT_WORLD));
  for (PetscInt q = 0; q < 2; q++) PetscCall(StkPolicyDestroy(&pol[q]));
  PetscCall(StkPairedDestroy(&paired));
  PetscCall(StkEvaluateDestroy(&ev));
  PetscFunctionReturn(0);
}

/* -help: the objects not created yet list their options, with run's defaults. */
static PetscErrorCode PrintHelp(StkModel model)
{
  StkNet      net;
  StkEvaluate ev;

  PetscFunctionBeginUser;
  PetscCall(StkNetCreate(PETSC_COMM_WORLD, &net));
  PetscCall(StkNetSetFitMaxIterations(net, 800));
  PetscCall(StkNetSetFromOptions(net));
  PetscCall(StkNetPrintFitOptions(net));
  PetscCall(StkNetDestroy(&net));
  PetscCall(CreateEvaluate(model, NULL, &ev));
  PetscCall(StkEvaluateDestroy(&ev));
  PetscCall(CompareAcrossRegimes(NULL));
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadOptions(RunFiles *f)
{
  char solution[PETSC_MAX_PATH_LEN] = "", network[PETSC_MAX_PATH_LEN] = "";

  PetscFunctionBeginUser;
  PetscOptionsBegin(PETSC_COMM_WORLD, NULL, "stakehjb run", NULL);
  PetscCall(PetscOptionsString("-run_solution", "Use this solution file instead of solving", "", solution, solution, sizeof(solution), &f->use_solution));
  PetscCall(PetscOptionsString("-run_network", "Use this fitted network instead of fitting", "", network, network, sizeof(network), &f->use_network));
  PetscOptionsEnd();
  PetscCall(StkOutputPath(PETSC_COMM_WORLD, "-o_solution", "out/solution.h5", f->solution, sizeof(f->solution)));
  PetscCall(StkOutputPath(PETSC_COMM_WORLD, "-o_network", "out/network.h5", f->network, sizeof(f->network)));
  PetscCall(StkOutputPath(PETSC_COMM_WORLD, "-o_refined", "out/refined.h5", f->refined, sizeof(f->refined)));
  PetscCall(StkOutputPath(PETSC_COMM_WORLD, "-o", "out/compare.h5", f->compare, sizeof(f->compare)));
  if (f->use_solution) PetscCall(PetscStrncpy(f->solution, solution, sizeof(f->solution)));
  if (f->use_network) PetscCall(PetscStrncpy(f->network, network, sizeof(f->network)));
  PetscFunctionReturn(0);
}

PetscErrorCode StkCommandRun(void)
{
  RunFiles       f;
  StkModel       model;
  StkGrid        grid;
  StkSolver      solver;
  StkRefine      refine;
  StkPolicy      expert = NULL;
  StkNet         fitted = NULL, refined = NULL;
  PetscLogDouble t0, t1;

  PetscFunctionBeginUser;
  PetscCall(PetscTime(&t0));
  PetscCall(ReadOptions(&f));
  PetscCall(StkModelCreate(PETSC_COMM_WORLD, &model));
  PetscCall(StkModelSetFromOptions(model));
  PetscCall(StkCliCreateSolver(PETSC_COMM_WORLD, model, &grid, &solver));
  PetscCall(CreateRefine(&refine));
  if (StkHelpRequested()) PetscCall(PrintHelp(model));
  else {
    if (!f.use_solution) PetscCall(Solve(solver, f.solution));
    PetscCall(StkPolicyCreate(PETSC_COMM_WORLD, &expert)); /* from the written file */
    PetscCall(StkPolicySetType(expert, STK_POLICY_EXPERT));
    PetscCall(StkPolicySetFile(expert, f.solution));
    PetscCall(StkPolicySetUp(expert));
    if (!f.use_network) PetscCall(Fit(&f, f.use_solution ? NULL : solver, expert));
    PetscCall(StkNetLoad(PETSC_COMM_WORLD, f.network, NULL, &fitted));
    PetscCall(StkNetLoad(PETSC_COMM_WORLD, f.network, NULL, &refined));
    PetscCall(PetscViewerASCIISetTab(PETSC_VIEWER_STDOUT_WORLD, 2)); /* the views under the steps' headings */
    PetscCall(Refine(refine, refined, expert, f.refined));
    PetscCall(Evaluate(expert, fitted, refined, refine));
    PetscCall(PetscViewerASCIISetTab(PETSC_VIEWER_STDOUT_WORLD, 0));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "5. a short comparison of the expert with the baselines and real issuance rules across regimes\n   (the full table: docs/results.md, regenerated by docs/make_results.py)\n"));
    PetscCall(CompareAcrossRegimes(f.compare));
    PetscCall(PetscTime(&t1));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "stakehjb run: done in %.1f s\n", (double)(t1 - t0)));
  }
  PetscCall(StkNetDestroy(&fitted));
  PetscCall(StkNetDestroy(&refined));
  PetscCall(StkPolicyDestroy(&expert));
  PetscCall(StkRefineDestroy(&refine));
  PetscCall(StkSolverDestroy(&solver));
  PetscCall(StkGridDestroy(&grid));
  PetscCall(StkModelDestroy(&model));
  PetscFunctionReturn(0);
}
