/* stakehjb run: the main job (experiments/stk_job.h, docs/cli.md).  Solve the default
 * model, fit the mechanism network to the solution in memory, refine it online against
 * the agent-based environment, compare the expert, the fitted and the refined network on
 * common random numbers, and end with a short comparison across regimes and its
 * headline.  The command reads the output paths (checked writable before any work) and
 * times the job. */
#include "stk_cli.h"
#include "stk_job.h"

typedef struct {
  char solution[PETSC_MAX_PATH_LEN], network[PETSC_MAX_PATH_LEN], refined[PETSC_MAX_PATH_LEN], compare[PETSC_MAX_PATH_LEN], evaluation[PETSC_MAX_PATH_LEN];
} RunOutputs;

static PetscErrorCode ReadOutputs(RunOutputs *o)
{
  PetscFunctionBeginUser;
  PetscCall(StkOutputPath(PETSC_COMM_WORLD, "-o_solution", "out/solution.h5", o->solution, sizeof(o->solution)));
  PetscCall(StkOutputPath(PETSC_COMM_WORLD, "-o_network", "out/network.h5", o->network, sizeof(o->network)));
  PetscCall(StkOutputPath(PETSC_COMM_WORLD, "-o_refined", "out/refined.h5", o->refined, sizeof(o->refined)));
  PetscCall(StkOutputPath(PETSC_COMM_WORLD, "-o", "out/compare.h5", o->compare, sizeof(o->compare)));
  PetscCall(StkOutputPath(PETSC_COMM_WORLD, "-o_evaluation", "out/evaluation.csv", o->evaluation, sizeof(o->evaluation)));
  PetscFunctionReturn(0);
}

/* The files the job writes (not the reused ones) must not be its inputs nor each other. */
static PetscErrorCode CheckOutputs(StkJob job, const RunOutputs *o)
{
  const char *solution, *network;
  PetscBool   reuse_solution, reuse_network;
  StkCliFile  outs[4], ins[2];
  PetscInt    nout = 0, nin = 0;

  PetscFunctionBeginUser;
  PetscCall(StkJobGetFiles(job, &solution, &network, NULL, NULL, &reuse_solution, &reuse_network));
  if (reuse_solution) ins[nin++] = (StkCliFile){"-run_solution", solution};
  else outs[nout++] = (StkCliFile){"-o_solution", o->solution};
  if (reuse_network) ins[nin++] = (StkCliFile){"-run_network", network};
  else outs[nout++] = (StkCliFile){"-o_network", o->network};
  outs[nout++] = (StkCliFile){"-o_refined", o->refined};
  outs[nout++] = (StkCliFile){"-o", o->compare};
  PetscCall(StkCheckOutputsNotInputs(PETSC_COMM_WORLD, nout, outs, nin, ins));
  PetscFunctionReturn(0);
}

PetscErrorCode StkCommandRun(void)
{
  RunOutputs     o;
  StkJob         job;
  PetscLogDouble t0, t1;

  PetscFunctionBeginUser;
  PetscCall(PetscTime(&t0));
  PetscCall(StkCheckNoPrice("run"));
  PetscCall(ReadOutputs(&o));
  PetscCall(StkJobCreate(PETSC_COMM_WORLD, &job));
  PetscCall(StkJobSetOutputs(job, o.solution, o.network, o.refined, o.compare));
  PetscCall(StkJobSetEvaluationOutput(job, o.evaluation));
  PetscCall(StkJobSetFromOptions(job));
  PetscCall(CheckOutputs(job, &o));
  if (StkHelpRequested()) {
    PetscCall(StkJobPrintHelp(job));
    if (StkOptionsCheckRunning()) PetscCall(StkJobReadRegimeOptions(job)); /* -bear_hjb_rho is an option */
  }
  else {
    PetscCall(StkJobRun(job));
    PetscCall(PetscTime(&t1));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "stakehjb run: done in %.1f s\n", (double)(t1 - t0)));
  }
  PetscCall(StkJobDestroy(&job));
  PetscFunctionReturn(0);
}
