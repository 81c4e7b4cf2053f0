/* The main job of `stakehjb run` (stk_job.h): its pieces, each given run's defaults
 * before its SetFromOptions (which starts from the current values, so an option still
 * overrides each), and its five steps. */
#include "stk_job.h"
#include "stk_paired.h"
#include "stk_compare.h"
#include "stk_progress.h"
#include <petsctime.h>
#include <stdio.h>
#include <string.h>

struct _p_StkJob {
  MPI_Comm  comm;
  char      solution[PETSC_MAX_PATH_LEN], network[PETSC_MAX_PATH_LEN], refined[PETSC_MAX_PATH_LEN], compare[PETSC_MAX_PATH_LEN];
  char      evaluation[PETSC_MAX_PATH_LEN]; /* step 4's table, CSV */
  char      reuse_solution[PETSC_MAX_PATH_LEN], reuse_network[PETSC_MAX_PATH_LEN]; /* "": solve, fit */
  PetscBool allow_not_converged; /* -hjb_allow_not_converged: go on after a solve that did not converge */
  StkModel  model;
  StkGrid   grid;
  StkSolver solver;
  StkRefine refine;
  StkPolicy expert;         /* from the solution file */
  StkNet    fitted, net;    /* loaded from the network file; net is refined in place */
  PetscBool setfromoptions; /* the pieces exist */
  struct {
    PetscReal mean, diff, lo, hi;
  } eval[3][2];             /* step 4 for the headline: expert, fitted, refined x cost, rmse */
  char eval_setting[128];   /* "32 paths of 5 yr in the abm environment" */
};

PetscErrorCode StkJobCreate(MPI_Comm comm, StkJob *job)
{
  PetscFunctionBeginUser;
  PetscCall(PetscNew(job));
  (*job)->comm = comm;
  PetscCall(StkJobSetOutputs(*job, "out/solution.h5", "out/network.h5", "out/refined.h5", "out/compare.h5"));
  PetscCall(StkJobSetEvaluationOutput(*job, "out/evaluation.csv"));
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

PetscErrorCode StkJobSetEvaluationOutput(StkJob job, const char path[])
{
  PetscFunctionBeginUser;
  PetscCall(CopyPath("StkJobSetEvaluationOutput", path, job->evaluation));
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

/* The share of the comparison's policy runs done (grids/stk_progress.h). */
static PetscErrorCode CompareProgress(StkCompare cmp, const char regime[], PetscInt done, PetscInt total, void *ctx)
{
  PetscFunctionBeginUser;
  PetscCall(StkProgressUpdate((StkProgress)ctx, (PetscReal)done / total, "regime %s, run %" PetscInt_FMT " of %" PetscInt_FMT, regime, done, total));
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
  StkProgress progress;

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
  PetscCall(StkProgressCreate(job->comm, "help", &progress)); /* lists -progress, -progress_delay */
  PetscCall(StkProgressDestroy(&progress));
  PetscFunctionReturn(0);
}

/* Seconds since *t0, and *t0 moved to now: each step's wall time. */
static PetscErrorCode Lap(PetscLogDouble *t0, PetscLogDouble *seconds)
{
  PetscLogDouble now;

  PetscFunctionBeginUser;
  PetscCall(PetscTime(&now));
  *seconds = now - *t0;
  *t0      = now;
  PetscFunctionReturn(0);
}

/* 1. Solve and write the solution (the solver keeps it in memory for the fit). */
static PetscErrorCode Solve(StkJob job)
{
  StkSolverStats st;
  PetscLogDouble t0, dt;

  PetscFunctionBeginUser;
  PetscCall(PetscTime(&t0));
  PetscCall(StkGridSetUp(job->grid));
  PetscCall(StkSolverSolve(job->solver));
  PetscCall(StkSolverGetStats(job->solver, &st));
  PetscCheck(st.converged || job->allow_not_converged, job->comm, PETSC_ERR_NOT_CONVERGED, "-hjb_max_it %" PetscInt_FMT ": policy iteration did not converge (relative HJB residual %.2e, -hjb_rtol not reached); raise -hjb_max_it, loosen -hjb_rtol, or go on anyway with -hjb_allow_not_converged", st.iterations, (double)st.residual);
  PetscCall(StkSolverComputeDensity(job->solver));
  PetscCall(StkSolverWrite(job->solver, job->solution));
  PetscCall(StkSolverGetStats(job->solver, &st));
  PetscCall(Lap(&t0, &dt));
  PetscCall(PetscPrintf(job->comm, "1. solve: %s in %" PetscInt_FMT " Howard iterations, residual %.2e, and the stationary density, %.1f s -> %s\n", st.converged ? "converged" : "NOT CONVERGED", st.iterations, (double)st.residual, (double)dt, job->solution));
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
  PetscCall(PetscPrintf(job->comm, "2. fit: %" PetscInt_FMT " TAO iterations on %" PetscInt_FMT " nodes, RMSE %.3f %% and max error %.3f %% of u_max - u_min, %.1f s -> %s\n", st.iterations, st.samples, (double)(100 * st.rmse_relative), (double)(100 * st.max_error_relative), (double)st.time, job->network));
  PetscCall(StkNetDestroy(&net));
  if (!in_memory) {
    PetscCall(VecDestroy(&policy));
    PetscCall(StkGridDestroy(&grid));
    PetscCall(StkModelDestroy(&model));
  }
  PetscFunctionReturn(0);
}

/* 3. The network refined in place against the expert (the details: the refined
 * file's /network/history, or StkRefineView). */
static PetscErrorCode Refine(StkJob job)
{
  PetscLogDouble         t0, dt;
  PetscInt               n;
  const StkRefineRecord *h;

  PetscFunctionBeginUser;
  PetscCall(PetscTime(&t0));
  PetscCall(StkRefineSetNetwork(job->refine, job->net));
  PetscCall(StkRefineSetExpert(job->refine, job->expert));
  PetscCall(StkRefineSetMonitor(job->refine, StkRefineMonitorProgress, NULL));
  PetscCall(StkRefineRun(job->refine));
  PetscCall(StkRefineWrite(job->refine, job->refined));
  PetscCall(StkRefineGetHistory(job->refine, &n, &h));
  PetscCall(Lap(&t0, &dt));
  PetscCall(PetscPrintf(job->comm, "3. refine: %" PetscInt_FMT " windows, responsiveness gamma %.3f, |theta - theta_0| %.4f, %.1f s -> %s\n", n, n ? (double)h[n - 1].gamma : 1.0, n ? (double)h[n - 1].distance : 0.0, (double)dt, job->refined));
  PetscFunctionReturn(0);
}

/* The evaluation's table as CSV (rank 0; a temporary name, then renamed): per policy the
 * mean of every metric, then per metric the paired difference to the reference (mean,
 * 95 % interval, Wilcoxon p; empty for the reference). */
static PetscErrorCode WriteEvaluationCsv(StkJob job, StkPaired paired, const char *const name[])
{
  PetscInt           npol, npaths, nmet;
  const char *const *metric;
  char               tmp[PETSC_MAX_PATH_LEN + 8];
  FILE              *fp;
  PetscMPIInt        rank;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(job->comm, &rank));
  if (rank) PetscFunctionReturn(0);
  PetscCall(StkPairedGetSizes(paired, &npol, &npaths, &nmet, &metric));
  PetscCall(PetscSNPrintf(tmp, sizeof(tmp), "%s.tmp", job->evaluation));
  fp = fopen(tmp, "w");
  PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "-o_evaluation: cannot write %s", tmp);
  fprintf(fp, "policy,paths");
  for (PetscInt m = 0; m < nmet; m++) fprintf(fp, ",%s", metric[m]);
  for (PetscInt m = 0; m < nmet; m++) fprintf(fp, ",%s_diff,%s_diff_lo,%s_diff_hi,%s_p", metric[m], metric[m], metric[m], metric[m]);
  fprintf(fp, "\n");
  for (PetscInt q = 0; q < npol; q++) {
    fprintf(fp, "%s,%d", name[q], (int)npaths);
    for (PetscInt m = 0; m < nmet; m++) {
      PetscReal mean;
      PetscCall(StkPairedGetMean(paired, q, m, &mean));
      fprintf(fp, ",%.10g", (double)mean);
    }
    for (PetscInt m = 0; m < nmet; m++) {
      PetscReal d, lo, hi, p;
      if (!q) {
        fprintf(fp, ",,,,");
        continue;
      }
      PetscCall(StkPairedGetDifference(paired, q, m, &d, &lo, &hi, &p));
      fprintf(fp, ",%.10g,%.10g,%.10g,%.10g", (double)d, (double)lo, (double)hi, (double)p);
    }
    fprintf(fp, "\n");
  }
  PetscCheck(!fclose(fp) && !rename(tmp, job->evaluation), PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "-o_evaluation: cannot write %s", job->evaluation);
  PetscFunctionReturn(0);
}

/* The headline's numbers of step 4: the fitted and the refined network against the
 * expert in discounted cost and tracking RMSE. */
static PetscErrorCode KeepNetworkRows(StkJob job, StkPaired paired)
{
  const PetscInt metric[2] = {STK_METRIC_DISCOUNTED_COST, STK_METRIC_TRACKING_RMSE};

  PetscFunctionBeginUser;
  for (PetscInt q = 0; q < 3; q++)
    for (PetscInt k = 0; k < 2; k++) {
      PetscReal p;
      PetscCall(StkPairedGetMean(paired, q, metric[k], &job->eval[q][k].mean));
      if (q) PetscCall(StkPairedGetDifference(paired, q, metric[k], &job->eval[q][k].diff, &job->eval[q][k].lo, &job->eval[q][k].hi, &p));
    }
  PetscFunctionReturn(0);
}

/* 4. The expert, the fitted and the refined network on the same paths of the
 * refinement's environment; the table goes to the evaluation CSV. */
static PetscErrorCode Evaluate(StkJob job)
{
  StkModel              model;
  StkPopulation         env;
  StkEvaluate           ev;
  StkPaired             paired;
  StkPolicy             pol[2];
  StkSim                sim;
  const StkSimSettings *set;
  StkNet                net[2]  = {job->fitted, job->net};
  const char           *name[3] = {"expert", "fitted", "refined"};
  PetscInt              npaths;
  PetscLogDouble        t0, dt;

  PetscFunctionBeginUser;
  PetscCall(PetscTime(&t0));
  PetscCall(StkPolicyExpertGetModel(job->expert, &model));
  PetscCall(StkRefineGetEnvironment(job->refine, &env));
  PetscCall(CreateEvaluate(job->comm, model, env, &ev));
  PetscCall(StkPairedCreate(job->comm, &paired));
  PetscCall(StkPairedSetEvaluate(paired, ev));
  PetscCall(StkPairedAddPolicy(paired, name[0], job->expert));
  for (PetscInt q = 0; q < 2; q++) {
    PetscCall(StkPolicyCreate(job->comm, &pol[q]));
    PetscCall(StkPolicySetNetwork(pol[q], net[q]));
    PetscCall(StkPairedAddPolicy(paired, name[q + 1], pol[q]));
  }
  PetscCall(StkPairedRun(paired));
  PetscCall(WriteEvaluationCsv(job, paired, name));
  PetscCall(KeepNetworkRows(job, paired));
  PetscCall(StkPairedGetSizes(paired, NULL, &npaths, NULL, NULL));
  PetscCall(StkEvaluateGetSim(ev, &sim));
  PetscCall(StkSimGetSettings(sim, &set));
  snprintf(job->eval_setting, sizeof(job->eval_setting), "%d paths of %g yr in the %s environment", (int)npaths, (double)set->t_final, StkSimTypes[set->type]);
  PetscCall(Lap(&t0, &dt));
  PetscCall(PetscPrintf(job->comm, "4. evaluate: expert, fitted and refined network on %s, %.1f s -> %s\n", job->eval_setting, (double)dt, job->evaluation));
  for (PetscInt q = 0; q < 2; q++) PetscCall(StkPolicyDestroy(&pol[q]));
  PetscCall(StkPairedDestroy(&paired));
  PetscCall(StkEvaluateDestroy(&ev));
  PetscFunctionReturn(0);
}

/* "+1.23e-03 [+1.00e-03, +1.50e-03]" */
static PetscErrorCode FormatDifference(PetscReal d, PetscReal lo, PetscReal hi, char out[], size_t len)
{
  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(out, len, "%+.2e [%+.2e, %+.2e]", (double)d, (double)lo, (double)hi));
  PetscFunctionReturn(0);
}

/* One headline row of the comparison: a policy's cost and RMSE over every cell, and
 * its difference to the expert (the reference) per path. */
static PetscErrorCode HeadlineCompareRow(StkJob job, StkCompare cmp, PetscInt q, const char label[])
{
  const StkMetric metric[2] = {STK_METRIC_DISCOUNTED_COST, STK_METRIC_TRACKING_RMSE};
  PetscReal       mean[2], d, lo, hi;
  char            diff[2][64] = {"", ""};
  PetscInt        ref;

  PetscFunctionBeginUser;
  PetscCall(StkCompareGetNames(cmp, NULL, NULL, NULL, NULL, &ref));
  for (PetscInt k = 0; k < 2; k++) {
    PetscCall(StkCompareGetPooledMean(cmp, -1, q, metric[k], &mean[k]));
    if (q == ref) continue;
    PetscCall(StkCompareGetPooledDifference(cmp, -1, q, metric[k], &d, &lo, &hi));
    PetscCall(FormatDifference(d, lo, hi, diff[k], sizeof(diff[k])));
  }
  PetscCall(PetscPrintf(job->comm, "  %-26s %9.4g %-32s  %9.4g %s\n", label, (double)mean[0], diff[0], (double)mean[1], diff[1]));
  PetscFunctionReturn(0);
}

/* Step 4: the expert (q = 0), the fitted (1) or the refined network (2) against it. */
static PetscErrorCode HeadlineNetworkRow(StkJob job, PetscInt q, const char label[])
{
  char diff[2][64] = {"", ""};

  PetscFunctionBeginUser;
  for (PetscInt k = 0; q && k < 2; k++) PetscCall(FormatDifference(job->eval[q][k].diff, job->eval[q][k].lo, job->eval[q][k].hi, diff[k], sizeof(diff[k])));
  PetscCall(PetscPrintf(job->comm, "  %-26s %9.4g %-32s  %9.4g %s\n", label, (double)job->eval[q][0].mean, diff[0], (double)job->eval[q][1].mean, diff[1]));
  PetscFunctionReturn(0);
}

/* The headline: the expert against the best baseline and each real issuance rule over
 * every cell of the comparison, the networks against the expert (step 4), then the
 * comparison's summary per regime. */
static PetscErrorCode Headline(StkJob job, StkCompare cmp)
{
  const char *const  rules[] = {"cosmos", "polkadot", "ethereum", "tezos"};
  const char *const *policies;
  PetscInt           nregimes, ref, best, q, npaths;
  char               label[64];

  PetscFunctionBeginUser;
  PetscCall(StkCompareGetNames(cmp, &nregimes, NULL, NULL, &policies, &ref));
  PetscCall(StkCompareGetSizes(cmp, NULL, &npaths, NULL));
  PetscCall(PetscPrintf(job->comm, "\nHeadline: mean discounted cost and tracking RMSE; difference = policy - %s on the same paths,\n", policies[ref]));
  PetscCall(PetscPrintf(job->comm, "  mean [95%% bootstrap interval]; > 0: the %s is lower (better)\n", policies[ref]));
  PetscCall(PetscPrintf(job->comm, "  %-26s %9s %-32s  %9s %s\n", "policy", "cost", "cost difference", "rmse", "rmse difference"));
  PetscCall(PetscPrintf(job->comm, "  step 5: %" PetscInt_FMT " paths, each the mean over the %" PetscInt_FMT " regime(s) x environments x scenarios\n", npaths, nregimes));
  PetscCall(HeadlineCompareRow(job, cmp, ref, policies[ref]));
  PetscCall(StkCompareGetBestPolicy(cmp, -1, STK_METRIC_DISCOUNTED_COST, PETSC_TRUE, &best));
  if (best >= 0) {
    PetscCall(PetscSNPrintf(label, sizeof(label), "%s (best baseline)", policies[best]));
    PetscCall(HeadlineCompareRow(job, cmp, best, label));
  }
  for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
    PetscCall(StkCompareFindPolicy(cmp, rules[i], &q));
    if (q >= 0 && q != best) PetscCall(HeadlineCompareRow(job, cmp, q, rules[i]));
  }
  PetscCall(PetscPrintf(job->comm, "  step 4: %s\n", job->eval_setting));
  PetscCall(HeadlineNetworkRow(job, 0, "expert"));
  PetscCall(HeadlineNetworkRow(job, 1, "fitted network"));
  PetscCall(HeadlineNetworkRow(job, 2, "refined network"));
  PetscCall(PetscPrintf(job->comm, "\n"));
  PetscCall(StkCompareViewSummary(cmp, PETSC_VIEWER_STDOUT_(job->comm)));
  PetscFunctionReturn(0);
}

/* 5. A short version of `stakehjb compare` (docs/results.md has the full study); the
 * table goes to the comparison's files, the headline to stdout. */
static PetscErrorCode CompareAcrossRegimes(StkJob job)
{
  StkCompare     cmp;
  StkProgress    progress;
  PetscInt       nrows, npaths, nregimes, npolicies;
  PetscLogDouble t0, dt;
  char           csv[PETSC_MAX_PATH_LEN], *dot;

  PetscFunctionBeginUser;
  PetscCall(PetscTime(&t0));
  PetscCall(CreateCompare(job->comm, &cmp));
  PetscCall(StkCompareSetOutput(cmp, job->compare));
  PetscCall(StkProgressCreate(job->comm, "compare", &progress));
  PetscCall(StkCompareSetMonitor(cmp, CompareProgress, progress));
  PetscCall(StkCompareSetUp(cmp));
  PetscCall(StkCompareRun(cmp));
  PetscCall(StkProgressDestroy(&progress));
  PetscCall(StkCompareWrite(cmp));
  PetscCall(StkCompareGetSizes(cmp, &nrows, &npaths, NULL));
  PetscCall(StkCompareGetNames(cmp, &nregimes, NULL, &npolicies, NULL, NULL));
  PetscCall(PetscStrncpy(csv, job->compare, sizeof(csv)));
  if ((dot = strrchr(csv, '.')) && !strchr(dot, '/')) *dot = 0;
  PetscCall(PetscStrlcat(csv, ".csv", sizeof(csv)));
  PetscCall(Lap(&t0, &dt));
  PetscCall(PetscPrintf(job->comm, "5. compare: %" PetscInt_FMT " policies in %" PetscInt_FMT " regime(s) x environments x scenarios (%" PetscInt_FMT " rows), %" PetscInt_FMT " paths each, %.1f s -> %s, %s\n", npolicies, nregimes, nrows, npaths, (double)dt, job->compare, csv));
  PetscCall(Headline(job, cmp));
  PetscCall(StkCompareDestroy(&cmp));
  PetscFunctionReturn(0);
}

PetscErrorCode StkJobRun(StkJob job)
{
  const char *solution, *network;
  PetscBool   reuse_solution, reuse_network;

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
  PetscCall(Refine(job));
  PetscCall(Evaluate(job));
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
