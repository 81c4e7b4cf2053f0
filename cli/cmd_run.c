/* stakehjb run: the main job.  Solve the default model, fit the mechanism network to
 * the solution, refine it online against the agent-based environment, and compare the
 * expert, the fitted and the refined network on a short evaluation on common random
 * numbers (docs/cli.md). */
#include "stk_cli.h"
#include "stk_hjb.h"
#include "stk_evaluate.h"
#include "stk_stats.h"

#define NPOLICIES 3
static const char *const policy_names[NPOLICIES] = {"expert", "fitted", "refined"};

/* Defaults of this command for options other objects read: set only when the user
 * did not give them.  The last group makes step 5 a short version of the experiments
 * of `stakehjb compare` (docs/results.md has the full table). */
static PetscErrorCode SetDefaultOptions(void)
{
  static const char *const defaults[][2] = {
    {"-net_fit_max_it", "800"},
    {"-refine_env", "abm"}, {"-refine_iterations", "400"},
    {"-sim_type", "abm"}, {"-sim_t_final", "5"}, {"-eval_paths", "32"},
    {"-sim_shock_t", "1"}, {"-sim_shock_frac", "0.25"},
    {"-compare_regimes", "baseline,bear,sluggish"}, {"-compare_paths", "24"}, {"-compare_years", "10"},
    {"-compare_agents", "5000"}, {"-compare_samples", "4"},
  };
  PetscBool set;

  PetscFunctionBeginUser;
  for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
    PetscCall(PetscOptionsHasName(NULL, NULL, defaults[i][0], &set));
    if (!set) PetscCall(PetscOptionsSetValue(NULL, defaults[i][0], defaults[i][1]));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode Solve(const char out[])
{
  StkModel  model;
  StkGrid   grid;
  StkSolver solver;
  StkSolverStats st;

  PetscFunctionBeginUser;
  PetscCall(StkModelCreate(PETSC_COMM_WORLD, &model));
  PetscCall(StkModelSetFromOptions(model));
  PetscCall(StkCliCreateSolver(PETSC_COMM_WORLD, model, &grid, &solver));
  PetscCall(StkGridSetUp(grid));
  PetscCall(StkSolverSolve(solver));
  PetscCall(StkSolverComputeDensity(solver));
  PetscCall(StkSolverWrite(solver, out));
  PetscCall(StkSolverGetStats(solver, &st));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "1. solve: %s in %" PetscInt_FMT " Howard iterations, residual %.2e, %.2f s -> %s\n", st.converged ? "converged" : "NOT CONVERGED", st.iterations, (double)st.residual, (double)st.solve_time, out));
  PetscCall(StkSolverDestroy(&solver));
  PetscCall(StkGridDestroy(&grid));
  PetscCall(StkModelDestroy(&model));
  PetscFunctionReturn(0);
}

static PetscErrorCode Fit(const char solution[], const char out[])
{
  StkNet         net;
  StkNetFitStats st;

  PetscFunctionBeginUser;
  PetscCall(StkFitSolutionFile(solution, &net));
  PetscCall(StkNetWrite(net, out));
  PetscCall(StkNetGetFitStats(net, NULL, &st));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "2. fit: %" PetscInt_FMT " TAO iterations on %" PetscInt_FMT " nodes, RMSE %.3f %% and max error %.3f %% of u_max - u_min on every node, %.2f s -> %s\n", st.iterations, st.samples, (double)(100 * st.rmse_relative), (double)(100 * st.max_error_relative), (double)st.time, out));
  PetscCall(StkNetDestroy(&net));
  PetscFunctionReturn(0);
}

/* One line per policy: means over the paths. */
static PetscErrorCode PrintMeans(StkEvaluate ev, const PetscReal *values[NPOLICIES])
{
  PetscInt           M, nm;
  const char *const *names;

  PetscFunctionBeginUser;
  PetscCall(StkEvaluateGetMetrics(ev, &M, &nm, &names, NULL));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "   %-8s", "policy"));
  for (PetscInt m = 0; m < nm; m++) PetscCall(PetscPrintf(PETSC_COMM_WORLD, " %12.12s", names[m]));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "   (means over %" PetscInt_FMT " paths)\n", M));
  for (PetscInt q = 0; q < NPOLICIES; q++) {
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "   %-8s", policy_names[q]));
    for (PetscInt m = 0; m < nm; m++) {
      PetscReal mean = 0;
      for (PetscInt p = 0; p < M; p++) mean += values[q][p * nm + m] / M;
      PetscCall(PetscPrintf(PETSC_COMM_WORLD, " %12.6g", (double)mean));
    }
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "\n"));
  }
  PetscFunctionReturn(0);
}

/* Paired differences (policy q minus the expert) of metric m: mean, bootstrap 95 % CI,
 * Wilcoxon p. */
static PetscErrorCode PrintPaired(StkEvaluate ev, const PetscReal *values[NPOLICIES], PetscInt m)
{
  PetscInt           M, nm, nused;
  const char *const *names;
  PetscReal         *d, mean, lo, hi, w, pv;

  PetscFunctionBeginUser;
  PetscCall(StkEvaluateGetMetrics(ev, &M, &nm, &names, NULL));
  PetscCall(PetscMalloc1(M, &d));
  for (PetscInt q = 1; q < NPOLICIES; q++) {
    for (PetscInt p = 0; p < M; p++) d[p] = values[q][p * nm + m] - values[0][p * nm + m];
    PetscCall(StkStatsBootstrapMean(M, d, 2000, 0.95, 7, &mean, &lo, &hi));
    PetscCall(StkStatsWilcoxon(M, d, &w, &nused, &pv));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "   %-7s - expert  %-6s %+.4e  95%% CI [%+.4e, %+.4e]  Wilcoxon p = %.3g\n", policy_names[q], names[m], (double)mean, (double)lo, (double)hi, (double)pv));
  }
  PetscCall(PetscFree(d));
  PetscFunctionReturn(0);
}

/* Evaluates the three policies on the same paths of the refinement's environment. */
static PetscErrorCode Compare(StkPolicy expert, StkNet fitted, StkNet refined, StkRefine refine)
{
  StkEvaluate      ev;
  StkModel         model;
  StkPopulation    env;
  StkPolicy        pol[NPOLICIES] = {expert, NULL, NULL};
  PetscReal       *store[NPOLICIES];
  const PetscReal *values[NPOLICIES];
  PetscInt         M, nm;

  PetscFunctionBeginUser;
  PetscCall(StkPolicyExpertGetModel(expert, &model));
  PetscCall(StkRefineGetEnvironment(refine, &env));
  PetscCall(StkEvaluateCreate(PETSC_COMM_WORLD, &ev));
  PetscCall(StkEvaluateSetModel(ev, model));
  PetscCall(StkEvaluateSetPopulation(ev, env));
  PetscCall(StkEvaluateSetFromOptions(ev));
  PetscCall(StkEvaluateSetUp(ev));
  for (PetscInt q = 1; q < NPOLICIES; q++) {
    PetscCall(StkPolicyCreate(PETSC_COMM_WORLD, &pol[q]));
    PetscCall(StkPolicySetNetwork(pol[q], q == 1 ? fitted : refined));
  }
  for (PetscInt q = 0; q < NPOLICIES; q++) {
    StkPolicyFn      fn;
    StkPolicyResetFn reset;
    void            *ctx;
    size_t           size;
    const PetscReal *v;

    PetscCall(StkPolicyGetFunction(pol[q], &fn, &reset, &ctx, &size));
    PetscCall(StkEvaluateSetPolicy(ev, fn, reset, ctx, size));
    PetscCall(StkEvaluateRun(ev));
    PetscCall(StkEvaluateGetMetrics(ev, &M, &nm, NULL, &v));
    PetscCall(PetscMalloc1(M * nm, &store[q]));
    PetscCall(PetscArraycpy(store[q], v, M * nm));
    values[q] = store[q];
  }
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "4. evaluation on common random numbers:\n"));
  PetscCall(PetscViewerASCIIPushTab(PETSC_VIEWER_STDOUT_WORLD));
  PetscCall(PetscViewerASCIIPushTab(PETSC_VIEWER_STDOUT_WORLD));
  PetscCall(StkEvaluateView(ev, PETSC_VIEWER_STDOUT_WORLD));
  PetscCall(PetscViewerASCIIPopTab(PETSC_VIEWER_STDOUT_WORLD));
  PetscCall(PetscViewerASCIIPopTab(PETSC_VIEWER_STDOUT_WORLD));
  PetscCall(PrintMeans(ev, values));
  PetscCall(PrintPaired(ev, values, STK_METRIC_DISCOUNTED_COST));
  PetscCall(PrintPaired(ev, values, STK_METRIC_TRACKING_RMSE));
  for (PetscInt q = 0; q < NPOLICIES; q++) PetscCall(PetscFree(store[q]));
  for (PetscInt q = 1; q < NPOLICIES; q++) PetscCall(StkPolicyDestroy(&pol[q]));
  PetscCall(StkEvaluateDestroy(&ev));
  PetscFunctionReturn(0);
}

/* -help: every object of the job lists its options. */
static PetscErrorCode PrintHelp(void)
{
  StkModel    model;
  StkGrid     grid;
  StkSolver   solver;
  StkNet      net;
  StkRefine   refine;
  StkEvaluate ev;

  PetscFunctionBeginUser;
  PetscCall(StkModelCreate(PETSC_COMM_WORLD, &model));
  PetscCall(StkModelSetFromOptions(model));
  PetscCall(StkCliCreateSolver(PETSC_COMM_WORLD, model, &grid, &solver));
  PetscCall(StkNetCreate(PETSC_COMM_WORLD, &net));
  PetscCall(StkNetSetFromOptions(net));
  PetscCall(StkNetPrintFitOptions(net));
  PetscCall(StkRefineCreate(PETSC_COMM_WORLD, &refine));
  PetscCall(StkRefineSetFromOptions(refine));
  PetscCall(StkEvaluateCreate(PETSC_COMM_WORLD, &ev));
  PetscCall(StkEvaluateSetModel(ev, model));
  PetscCall(StkEvaluateSetFromOptions(ev));
  PetscCall(StkEvaluateDestroy(&ev));
  PetscCall(StkRefineDestroy(&refine));
  PetscCall(StkNetDestroy(&net));
  PetscCall(StkSolverDestroy(&solver));
  PetscCall(StkGridDestroy(&grid));
  PetscCall(StkModelDestroy(&model));
  PetscFunctionReturn(0);
}

typedef struct {
  char solution[PETSC_MAX_PATH_LEN], network[PETSC_MAX_PATH_LEN], refined[PETSC_MAX_PATH_LEN];
  char use_solution[PETSC_MAX_PATH_LEN], use_network[PETSC_MAX_PATH_LEN];
} RunFiles;

static PetscErrorCode ReadOptions(RunFiles *f)
{
  PetscFunctionBeginUser;
  PetscOptionsBegin(PETSC_COMM_WORLD, NULL, "stakehjb run", NULL);
  PetscCall(PetscOptionsString("-run_solution", "Use this solution file instead of solving", "", f->use_solution, f->use_solution, sizeof(f->use_solution), NULL));
  PetscCall(PetscOptionsString("-run_network", "Use this fitted network instead of fitting", "", f->use_network, f->use_network, sizeof(f->use_network), NULL));
  PetscOptionsEnd();
  PetscCall(StkOutputPath(PETSC_COMM_WORLD, "-o_solution", "out/solution.h5", f->solution, sizeof(f->solution)));
  PetscCall(StkOutputPath(PETSC_COMM_WORLD, "-o_network", "out/network.h5", f->network, sizeof(f->network)));
  PetscCall(StkOutputPath(PETSC_COMM_WORLD, "-o_refined", "out/refined.h5", f->refined, sizeof(f->refined)));
  if (f->use_solution[0]) PetscCall(PetscStrncpy(f->solution, f->use_solution, sizeof(f->solution)));
  if (f->use_network[0]) PetscCall(PetscStrncpy(f->network, f->use_network, sizeof(f->network)));
  PetscFunctionReturn(0);
}

PetscErrorCode StkCommandRun(void)
{
  RunFiles       f = {{0}};
  StkPolicy      expert = NULL;
  StkNet         fitted = NULL, refined = NULL;
  StkRefine      refine = NULL;
  PetscLogDouble t0, t1;

  PetscFunctionBeginUser;
  PetscCall(PetscTime(&t0));
  PetscCall(SetDefaultOptions());
  PetscCall(ReadOptions(&f));
  if (StkHelpRequested()) {
    PetscCall(PrintHelp());
    PetscCall(StkCommandCompare()); /* lists its options */
    PetscFunctionReturn(0);
  }
  if (!f.use_solution[0]) PetscCall(Solve(f.solution));
  if (!f.use_network[0]) PetscCall(Fit(f.solution, f.network));
  PetscCall(StkExpertFromFile(f.solution, &expert));
  PetscCall(StkNetLoad(PETSC_COMM_WORLD, f.network, NULL, &fitted));
  PetscCall(StkNetLoad(PETSC_COMM_WORLD, f.network, NULL, &refined));
  PetscCall(StkRefineNetwork(refined, expert, &refine));
  PetscCall(StkRefineWrite(refine, f.refined));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "3. refine -> %s\n", f.refined));
  PetscCall(PetscViewerASCIIPushTab(PETSC_VIEWER_STDOUT_WORLD));
  PetscCall(PetscViewerASCIIPushTab(PETSC_VIEWER_STDOUT_WORLD));
  PetscCall(StkRefineSummary(refine, NULL));
  PetscCall(PetscViewerASCIIPopTab(PETSC_VIEWER_STDOUT_WORLD));
  PetscCall(PetscViewerASCIIPopTab(PETSC_VIEWER_STDOUT_WORLD));
  PetscCall(Compare(expert, fitted, refined, refine));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "5. a short comparison of the expert with the baselines and real issuance rules across regimes\n   (the full table: docs/results.md, regenerated by docs/make_results.py)\n"));
  PetscCall(StkCommandCompare());
  PetscCall(PetscTime(&t1));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "stakehjb run: done in %.1f s\n", (double)(t1 - t0)));
  PetscCall(StkRefineDestroy(&refine));
  PetscCall(StkNetDestroy(&fitted));
  PetscCall(StkNetDestroy(&refined));
  PetscCall(StkPolicyDestroy(&expert));
  PetscFunctionReturn(0);
}
