/* The main job of `stakehjb run` (stk_job.h): its pieces, each given run's defaults
 * before its SetFromOptions (which starts from the current values, so an option still
 * overrides each), and its five steps. */
#include "stk_job.h"
#include "stk_paired.h"
#include "stk_compare.h"

struct _p_StkJob {
  MPI_Comm  comm;
  char      solution[PETSC_MAX_PATH_LEN], network[PETSC_MAX_PATH_LEN], refined[PETSC_MAX_PATH_LEN], compare[PETSC_MAX_PATH_LEN];
  char      reuse_solution[PETSC_MAX_PATH_LEN], reuse_network[PETSC_MAX_PATH_LEN]; /* "": solve, fit */
  PetscBool allow_not_converged; /* -hjb_allow_not_converged: go on after a solve that did not converge */
  StkModel  model;
  StkGrid   grid;
  StkSolver solver;
  StkRefine refine;
  StkPolicy expert;         /* from the solution file */
  StkNet    fitted, net;    /* loaded from the network file; net is refined in place */
  PetscBool setfromoptions; /* the pieces exist */
};

PetscErrorCode StkJobCreate(MPI_Comm comm, StkJob *job)
{
  PetscFunctionBeginUser;
  PetscCall(PetscNew(job));
  (*job)->comm = comm;
  PetscCall(StkJobSetOutputs(*job, "out/solution.h5", "out/network.h5", "out/refined.h5", "out/compare.h5"));
  PetscFunctionReturn(0);
}

static PetscErrorCode CopyPath(const char who[], const char path[], char dst[])
{
  PetscFunctionBeginUser;
  PetscCheck(path && path[0], PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "%s needs a file name", who);
  PetscCall(PetscStrncpy(dst, path, PETSC_MAX_PATH_LEN));
  PetscFunctionReturn(0);
}

PetscErrorCode StkJobSetOutputs(StkJob job, const char solution[], const char network[], const char refined[], const char compare[])
{
  PetscFunctionBeginUser;
  PetscCall(CopyPath("StkJobSetOutputs: the solution", solution, job->solution));
  PetscCall(CopyPath("StkJobSetOutputs: the network", network, job->network));
  PetscCall(CopyPath("StkJobSetOutputs: the refined network", refined, job->refined));
  PetscCall(CopyPath("StkJobSetOutputs: the comparison", compare, job->compare));
  PetscFunctionReturn(0);
}

PetscErrorCode StkJobSetSolution(StkJob job, const char path[])
{
  PetscFunctionBeginUser;
  PetscCall(CopyPath("StkJobSetSolution", path, job->reuse_solution));
  PetscFunctionReturn(0);
}

PetscErrorCode StkJobSetNetwork(StkJob job, const char path[])
{
  PetscFunctionBeginUser;
  PetscCall(CopyPath("StkJobSetNetwork", path, job->reuse_network));
  PetscFunctionReturn(0);
}

/* A reused file must be readable: the error names the option and the file. */
static PetscErrorCode CheckReadable(MPI_Comm comm, const char option[], const char path[])
{
  PetscBool ok;

  PetscFunctionBeginUser;
  if (!path[0]) PetscFunctionReturn(0);
  PetscCall(PetscTestFile(path, 'r', &ok));
  PetscCheck(ok, comm, PETSC_ERR_FILE_OPEN, "%s %s: no such readable file", option, path);
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadOptions(StkJob job)
{
  PetscBool set;

  PetscFunctionBeginUser;
  PetscOptionsBegin(job->comm, NULL, "stakehjb run", NULL);
  PetscCall(PetscOptionsString("-run_solution", "Use this solution file instead of solving", "StkJobSetSolution", job->reuse_solution, job->reuse_solution, sizeof(job->reuse_solution), &set));
  PetscCheck(!set || job->reuse_solution[0], job->comm, PETSC_ERR_ARG_WRONG, "-run_solution needs a file name");
  PetscCall(PetscOptionsString("-run_network", "Use this fitted network instead of fitting", "StkJobSetNetwork", job->reuse_network, job->reuse_network, sizeof(job->reuse_network), &set));
  PetscCheck(!set || job->reuse_network[0], job->comm, PETSC_ERR_ARG_WRONG, "-run_network needs a file name");
  PetscCall(PetscOptionsBool("-hjb_allow_not_converged", "Go on (and write the solution) even if policy iteration did not converge (otherwise an error)", "", job->allow_not_converged, &job->allow_not_converged, NULL));
  PetscOptionsEnd();
  PetscCall(CheckReadable(job->comm, "-run_solution", job->reuse_solution));
  PetscCall(CheckReadable(job->comm, "-run_network", job->reuse_network));
  PetscFunctionReturn(0);
}

/* The model, a grid configured by it and a solver on it (the grid is set up when
 * solving), and the refinement: 400 windows in the agent-based environment. */
PetscErrorCode StkJobSetFromOptions(StkJob job)
{
  PetscFunctionBeginUser;
  PetscCheck(!job->setfromoptions, job->comm, PETSC_ERR_ARG_WRONGSTATE, "StkJobSetFromOptions: called twice");
  PetscCall(ReadOptions(job));
  PetscCall(StkModelCreate(job->comm, &job->model));
  PetscCall(StkModelSetFromOptions(job->model));
  PetscCall(StkSolverCreateForModel(job->comm, job->model, &job->grid, &job->solver));
  PetscCall(StkRefineCreate(job->comm, &job->refine));
  PetscCall(StkRefineSetEnvironment(job->refine, STK_SIM_ABM));
  PetscCall(StkRefineSetIterations(job->refine, 400));
  PetscCall(StkRefineSetFromOptions(job->refine));
  job->setfromoptions = PETSC_TRUE;
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckSetFromOptions(StkJob job, const char who[])
{
  PetscFunctionBeginUser;
  PetscCheck(job->setfromoptions, job->comm, PETSC_ERR_ARG_WRONGSTATE, "%s: call StkJobSetFromOptions first", who);
  PetscFunctionReturn(0);
}

PetscErrorCode StkJobGetFiles(StkJob job, const char **solution, const char **network, const char **refined, const char **compare, PetscBool *reuse_solution, PetscBool *reuse_network)
{
  PetscFunctionBeginUser;
  if (solution) *solution = job->reuse_solution[0] ? job->reuse_solution : job->solution;
  if (network) *network = job->reuse_network[0] ? job->reuse_network : job->network;
  if (refined) *refined = job->refined;
  if (compare) *compare = job->compare;
  if (reuse_solution) *reuse_solution = job->reuse_solution[0] ? PETSC_TRUE : PETSC_FALSE;
  if (reuse_network) *reuse_network = job->reuse_network[0] ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkJobGetModel(StkJob job, StkModel *model)
{
  PetscFunctionBeginUser;
  PetscCall(CheckSetFromOptions(job, "StkJobGetModel"));
  *model = job->model;
  PetscFunctionReturn(0);
}

PetscErrorCode StkJobGetSolver(StkJob job, StkSolver *solver)
{
  PetscFunctionBeginUser;
  PetscCall(CheckSetFromOptions(job, "StkJobGetSolver"));
  *solver = job->solver;
  PetscFunctionReturn(0);
}

PetscErrorCode StkJobGetRefine(StkJob job, StkRefine *refine)
{
  PetscFunctionBeginUser;
  PetscCall(CheckSetFromOptions(job, "StkJobGetRefine"));
  *refine = job->refine;
  PetscFunctionReturn(0);
}

PetscErrorCode StkJobGetNetworks(StkJob job, StkNet *fitted, StkNet *refined)
{
  PetscFunctionBeginUser;
  PetscCheck(job->net, job->comm, PETSC_ERR_ARG_WRONGSTATE, "StkJobGetNetworks: call StkJobRun first");
  if (fitted) *fitted = job->fitted;
  if (refined) *refined = job->net;
  PetscFunctionReturn(0);
}

/* 32 paths of 5 years in the agent-based environment, a quarter of the stake leaving
 * after a year (-sim_shock_t replaces that shock); the holders are env's (or the model's). */
static PetscErrorCode CreateEvaluate(MPI_Comm comm, StkModel model, StkPopulation env, StkEvaluate *ev)
{
  StkSim                sim;
  const StkSimSettings *cur;
  StkSimSettings        set;

  PetscFunctionBeginUser;
  PetscCall(StkEvaluateCreate(comm, ev));
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

/* Three regimes, 24 paths of 10 years, 5000 holders, 4 kept samples, the networks
 * fitted with 800 iterations; each -compare_* (and -net_fit_max_it) option overrides. */
static PetscErrorCode CreateCompare(MPI_Comm comm, StkCompare *cmp)
{
  const char *const regimes[] = {"baseline", "bear", "sluggish"};

  PetscFunctionBeginUser;
  PetscCall(StkCompareCreate(comm, cmp));
  PetscCall(StkCompareSetRegimes(*cmp, 3, regimes));
  PetscCall(StkCompareSetPaths(*cmp, 24));
  PetscCall(StkCompareSetYears(*cmp, 10));
  PetscCall(StkCompareSetAgents(*cmp, 5000));
  PetscCall(StkCompareSetSamples(*cmp, 4));
  PetscCall(StkCompareSetFitIterations(*cmp, 800));
  PetscCall(StkCompareSetFromOptions(*cmp));
  PetscFunctionReturn(0);
}

PetscErrorCode StkJobReadRegimeOptions(StkJob job)
{
  StkCompare cmp;

  PetscFunctionBeginUser;
  PetscCall(CreateCompare(job->comm, &cmp));
  PetscCall(StkCompareReadRegimeOptions(cmp));
  PetscCall(StkCompareDestroy(&cmp));
  PetscFunctionReturn(0);
}

PetscErrorCode StkJobPrintHelp(StkJob job)
{
  StkNet      net;
  StkEvaluate ev;
  StkCompare  cmp;

  PetscFunctionBeginUser;
  PetscCall(CheckSetFromOptions(job, "StkJobPrintHelp"));
  PetscCall(StkNetCreate(job->comm, &net));
  PetscCall(StkNetSetFitMaxIterations(net, 800));
  PetscCall(StkNetSetFromOptions(net));
  PetscCall(StkNetPrintFitOptions(net));
  PetscCall(StkNetDestroy(&net));
  PetscCall(CreateEvaluate(job->comm, job->model, NULL, &ev));
  PetscCall(StkEvaluateDestroy(&ev));
  PetscCall(CreateCompare(job->comm, &cmp));
  PetscCall(StkCompareDestroy(&cmp));
  PetscFunctionReturn(0);
}

/* 1. Solve and write the solution (the solver keeps it in memory for the fit). */
static PetscErrorCode Solve(StkJob job)
{
  StkSolverStats st;

  PetscFunctionBeginUser;
  PetscCall(StkGridSetUp(job->grid));
  PetscCall(StkSolverSolve(job->solver));
  PetscCall(StkSolverGetStats(job->solver, &st));
  PetscCheck(st.converged || job->allow_not_converged, job->comm, PETSC_ERR_NOT_CONVERGED, "-hjb_max_it %" PetscInt_FMT ": policy iteration did not converge (relative HJB residual %.2e, -hjb_rtol not reached); raise -hjb_max_it, loosen -hjb_rtol, or go on anyway with -hjb_allow_not_converged", st.iterations, (double)st.residual);
  PetscCall(StkSolverComputeDensity(job->solver));
  PetscCall(StkSolverWrite(job->solver, job->solution));
  PetscCall(PetscPrintf(job->comm, "1. solve: %s in %" PetscInt_FMT " Howard iterations, residual %.2e, %.2f s -> %s\n", st.converged ? "converged" : "NOT CONVERGED", st.iterations, (double)st.residual, (double)st.solve_time, job->solution));
  PetscFunctionReturn(0);
}

/* 2. The network fitted with 800 iterations to the solution's policy on its grid (the
 * solver's in memory, or the reused file's), its output range the model's control
 * bounds; written to a file. */
static PetscErrorCode Fit(StkJob job, const char solution[], PetscBool in_memory)
{
  StkModel       model  = job->model;
  StkGrid        grid   = job->grid;
  Vec            policy = NULL;
  StkNet         net;
  StkNetFitStats st;

  PetscFunctionBeginUser;
  if (in_memory) PetscCall(StkSolverGetPolicy(job->solver, &policy));
  else PetscCall(StkSolutionLoad(job->comm, solution, &model, &grid, NULL, &policy));
  PetscCall(StkNetCreate(job->comm, &net));
  PetscCall(StkNetSetFitMaxIterations(net, 800));
  PetscCall(StkNetSetUpFromSolution(net, model, grid));
  PetscCall(StkNetSetSource(net, solution));
  PetscCall(StkNetFitGrid(net, grid, policy, &st));
  PetscCall(StkNetWrite(net, job->network));
  PetscCall(PetscPrintf(job->comm, "2. fit: %" PetscInt_FMT " TAO iterations on %" PetscInt_FMT " nodes, RMSE %.3f %% and max error %.3f %% of u_max - u_min on every node, %.2f s -> %s\n", st.iterations, st.samples, (double)(100 * st.rmse_relative), (double)(100 * st.max_error_relative), (double)st.time, job->network));
  PetscCall(StkNetDestroy(&net));
  if (!in_memory) {
    PetscCall(VecDestroy(&policy));
    PetscCall(StkGridDestroy(&grid));
    PetscCall(StkModelDestroy(&model));
  }
  PetscFunctionReturn(0);
}

/* 3. The network refined in place against the expert. */
static PetscErrorCode Refine(StkJob job)
{
  PetscFunctionBeginUser;
  PetscCall(StkRefineSetNetwork(job->refine, job->net));
  PetscCall(StkRefineSetExpert(job->refine, job->expert));
  PetscCall(StkRefineSetMonitor(job->refine, StkRefineMonitorProgress, NULL));
  PetscCall(StkRefineRun(job->refine));
  PetscCall(StkRefineWrite(job->refine, job->refined));
  PetscCall(PetscPrintf(job->comm, "3. refine -> %s\n", job->refined));
  PetscCall(StkRefineView(job->refine, PETSC_VIEWER_STDOUT_(job->comm)));
  PetscFunctionReturn(0);
}

/* 4. The expert, the fitted and the refined network on the same paths of the
 * refinement's environment. */
static PetscErrorCode Evaluate(StkJob job)
{
  StkModel      model;
  StkPopulation env;
  StkEvaluate   ev;
  StkPaired     paired;
  StkPolicy     pol[2];
  StkNet        net[2]  = {job->fitted, job->net};
  const char   *name[2] = {"fitted", "refined"};

  PetscFunctionBeginUser;
  PetscCall(StkPolicyExpertGetModel(job->expert, &model));
  PetscCall(StkRefineGetEnvironment(job->refine, &env));
  PetscCall(CreateEvaluate(job->comm, model, env, &ev));
  PetscCall(StkPairedCreate(job->comm, &paired));
  PetscCall(StkPairedSetEvaluate(paired, ev));
  PetscCall(StkPairedAddPolicy(paired, "expert", job->expert));
  for (PetscInt q = 0; q < 2; q++) {
    PetscCall(StkPolicyCreate(job->comm, &pol[q]));
    PetscCall(StkPolicySetNetwork(pol[q], net[q]));
    PetscCall(StkPairedAddPolicy(paired, name[q], pol[q]));
  }
  PetscCall(StkPairedRun(paired));
  PetscCall(PetscPrintf(job->comm, "4. evaluation on common random numbers:\n"));
  PetscCall(StkPairedView(paired, PETSC_VIEWER_STDOUT_(job->comm)));
  for (PetscInt q = 0; q < 2; q++) PetscCall(StkPolicyDestroy(&pol[q]));
  PetscCall(StkPairedDestroy(&paired));
  PetscCall(StkEvaluateDestroy(&ev));
  PetscFunctionReturn(0);
}

/* 5. A short version of `stakehjb compare` (docs/results.md has the full table). */
static PetscErrorCode CompareAcrossRegimes(StkJob job)
{
  StkCompare cmp;

  PetscFunctionBeginUser;
  PetscCall(PetscPrintf(job->comm, "5. a short comparison of the expert with the baselines and real issuance rules across regimes\n   (the full table: docs/results.md, regenerated by docs/make_results.py)\n"));
  PetscCall(CreateCompare(job->comm, &cmp));
  PetscCall(StkCompareSetOutput(cmp, job->compare));
  PetscCall(StkCompareSetUp(cmp));
  PetscCall(StkCompareRun(cmp));
  PetscCall(StkCompareWrite(cmp));
  PetscCall(StkCompareView(cmp, PETSC_VIEWER_STDOUT_(job->comm)));
  PetscCall(PetscPrintf(job->comm, "  wrote %s and its .csv summary\n", job->compare));
  PetscCall(StkCompareDestroy(&cmp));
  PetscFunctionReturn(0);
}

PetscErrorCode StkJobRun(StkJob job)
{
  const char *solution, *network;
  PetscBool   reuse_solution, reuse_network;
  PetscViewer out = PETSC_VIEWER_STDOUT_(job->comm);

  PetscFunctionBeginUser;
  PetscCall(CheckSetFromOptions(job, "StkJobRun"));
  PetscCheck(!job->net, job->comm, PETSC_ERR_ARG_WRONGSTATE, "StkJobRun: runs once");
  PetscCall(StkJobGetFiles(job, &solution, &network, NULL, NULL, &reuse_solution, &reuse_network));
  if (!reuse_solution) PetscCall(Solve(job));
  PetscCall(StkPolicyCreate(job->comm, &job->expert)); /* from the written file */
  PetscCall(StkPolicySetType(job->expert, STK_POLICY_EXPERT));
  PetscCall(StkPolicySetFile(job->expert, solution));
  PetscCall(StkPolicySetUp(job->expert));
  if (!reuse_network) PetscCall(Fit(job, solution, (PetscBool)!reuse_solution));
  PetscCall(StkNetLoad(job->comm, network, NULL, &job->fitted));
  PetscCall(StkNetLoad(job->comm, network, NULL, &job->net));
  PetscCall(PetscViewerASCIISetTab(out, 2)); /* the views under the steps' headings */
  PetscCall(Refine(job));
  PetscCall(Evaluate(job));
  PetscCall(PetscViewerASCIISetTab(out, 0));
  PetscCall(CompareAcrossRegimes(job));
  PetscFunctionReturn(0);
}

PetscErrorCode StkJobDestroy(StkJob *job)
{
  PetscFunctionBeginUser;
  if (!*job) PetscFunctionReturn(0);
  PetscCall(StkNetDestroy(&(*job)->fitted));
  PetscCall(StkNetDestroy(&(*job)->net));
  PetscCall(StkPolicyDestroy(&(*job)->expert));
  PetscCall(StkRefineDestroy(&(*job)->refine));
  PetscCall(StkSolverDestroy(&(*job)->solver));
  PetscCall(StkGridDestroy(&(*job)->grid));
  PetscCall(StkModelDestroy(&(*job)->model));
  PetscCall(PetscFree(*job));
  PetscFunctionReturn(0);
}
