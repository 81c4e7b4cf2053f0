/* stakehjb run: the main job.  Solve the default model, fit the mechanism network to
 * the solution in memory, refine it online against the agent-based environment,
 * compare the expert, the fitted and the refined network on common random numbers,
 * and end with a short comparison across regimes (docs/cli.md). */
#include "stk_cli.h"
#include "stk_paired.h"

typedef struct {
  char solution[PETSC_MAX_PATH_LEN], network[PETSC_MAX_PATH_LEN], refined[PETSC_MAX_PATH_LEN];
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
  PetscCall(StkEvaluateSetNumPaths(*ev, 32));
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

/* Step 5, a short version of `stakehjb compare` (docs/results.md has the full table).
 * TODO(integrator): an StkCompare (experiments/stk_compare.h) with these defaults set
 * on it -- SetRegimes(3, {"baseline", "bear", "sluggish"}), SetPaths(24), SetYears(10),
 * SetAgents(5000), SetSamples(4), and its network fits at 800 iterations -- then
 * SetFromOptions, SetUp, Run, View, Write.  Until then they go into the options
 * database, which StkCommandCompare reads, when the user did not give them. */
static PetscErrorCode CompareAcrossRegimes(void)
{
  static const char *const defaults[][2] = {
    {"-compare_regimes", "baseline,bear,sluggish"}, {"-compare_paths", "24"}, {"-compare_years", "10"},
    {"-compare_agents", "5000"}, {"-compare_samples", "4"}, {"-net_fit_max_it", "800"},
  };
  PetscBool set;

  PetscFunctionBeginUser;
  for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
    PetscCall(PetscOptionsHasName(NULL, NULL, defaults[i][0], &set));
    if (!set) PetscCall(PetscOptionsSetValue(NULL, defaults[i][0], defaults[i][1]));
  }
  PetscCall(StkCommandCompare());
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

/* The grid and the policy of a solution file (-run_solution).
 * TODO(integrator): StkSolutionLoad (solver/) replaces this reader. */
static PetscErrorCode LoadSolution(const char path[], StkGrid *grid, Vec *policy)
{
  StkH5 file;

  PetscFunctionBeginUser;
  PetscCall(StkH5Open(PETSC_COMM_WORLD, path, &file));
  PetscCall(StkH5ReadGrid(file, "solution", grid));
  PetscCall(StkH5ReadField(file, "solution", "policy", *grid, 1, policy));
  PetscCall(StkH5Destroy(&file));
  PetscFunctionReturn(0);
}

/* 2. The network fitted to the solution's policy on its grid (the solver's in memory,
 * or -run_solution's), its output range the model's control bounds; written to a file. */
static PetscErrorCode Fit(const RunFiles *f, StkSolver solver, StkPolicy expert)
{
  StkModel       model;
  StkGrid        grid   = NULL;
  Vec            policy = NULL;
  StkNet         net;
  StkNetFitStats st;
  PetscReal      u_min, u_max;

  PetscFunctionBeginUser;
  if (solver) {
    PetscCall(StkSolverGetModel(solver, &model));
    PetscCall(StkSolverGetGrid(solver, &grid));
    PetscCall(StkSolverGetPolicy(solver, &policy));
  } else {
    PetscCall(StkPolicyExpertGetModel(expert, &model));
    PetscCall(LoadSolution(f->solution, &grid, &policy));
  }
  PetscCall(StkModelGetControlBounds(model, 0, &u_min, &u_max));
  PetscCall(StkNetCreate(PETSC_COMM_WORLD, &net));
  PetscCall(StkNetSetInputsFromGrid(net, grid));
  PetscCall(StkNetSetOutputBounds(net, u_min, u_max));
  PetscCall(StkNetSetFitMaxIterations(net, 800));
  PetscCall(StkNetSetFromOptions(net));
  PetscCall(StkNetSetSource(net, f->solution));
  PetscCall(StkNetSetUp(net));
  PetscCall(StkNetFitGrid(net, grid, policy, &st));
  PetscCall(StkNetWrite(net, f->network));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "2. fit: %" PetscInt_FMT " TAO iterations on %" PetscInt_FMT " nodes, RMSE %.3f %% and max error %.3f %% of u_max - u_min on every node, %.2f s -> %s\n", st.iterations, st.samples, (double)(100 * st.rmse_relative), (double)(100 * st.max_error_relative), (double)st.time, f->network));
  PetscCall(StkNetDestroy(&net));
  if (!solver) {
    PetscCall(VecDestroy(&policy));
    PetscCall(StkGridDestroy(&grid));
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
  PetscCall(CompareAcrossRegimes());
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
    PetscCall(CompareAcrossRegimes());
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
