/* stakehjb simulate: one policy (-policy NAME, any type of docs/policies.md, configured
 * by its own -policy_* options) in one environment (sde or abm) over M paths of one
 * seed.  The work is StkSimulation's (experiments/stk_simulation.h); this command reads
 * the options, shows progress, prints the summary and names the file. */
#include "stk_cli.h"
#include "stk_simulation.h"
#include "stk_progress.h"

/* Paths done and the simulated time of the current one (grids/stk_progress.h). */
static PetscErrorCode ProgressMonitor(StkEvaluate ev, PetscInt done, PetscInt total, PetscReal t, PetscReal t_final, void *ctx)
{
  PetscFunctionBeginUser;
  if (done >= total) PetscFunctionReturn(0);
  PetscCall(StkProgressUpdate((StkProgress)ctx, (done + t / t_final) / total, "path %" PetscInt_FMT "/%" PetscInt_FMT ", t = %.1f yr", done + 1, total, (double)t));
  PetscFunctionReturn(0);
}

/* The planner's model (staking, from the -hjb_ and -agents_ options). */
static PetscErrorCode CreateModel(StkModel *model)
{
  PetscFunctionBeginUser;
  PetscCall(StkModelCreate(PETSC_COMM_WORLD, model));
  PetscCall(StkModelSetType(*model, STK_MODEL_STAKING));
  PetscCall(StkModelSetFromOptions(*model));
  PetscCall(StkModelSetUp(*model));
  PetscFunctionReturn(0);
}

/* -policy NAME (default fixed) and its -policy_* options; `file` is its -policy_file,
 * recorded in the output. */
static PetscErrorCode CreatePolicy(StkModel model, StkPolicy *policy, char file[], size_t len)
{
  PetscFunctionBeginUser;
  PetscCall(StkPolicyCreate(PETSC_COMM_WORLD, policy));
  PetscCall(StkPolicySetType(*policy, STK_POLICY_FIXED));
  PetscCall(StkPolicySetModel(*policy, model));
  PetscCall(StkPolicySetFromOptions(*policy));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-policy_file", file, len, NULL));
  if (!StkHelpRequested()) PetscCall(StkPolicySetUp(*policy));
  PetscFunctionReturn(0);
}

PetscErrorCode StkCommandSimulate(void)
{
  StkModel      model;
  StkPolicy     policy = NULL;
  StkSimulation sim;
  StkProgress   progress;
  char          path[PETSC_MAX_PATH_LEN], file[PETSC_MAX_PATH_LEN] = "";

  PetscFunctionBeginUser;
  PetscCall(StkCheckNoPrice("simulate"));
  PetscCall(CreateModel(&model));
  PetscCall(StkSimulationCreate(PETSC_COMM_WORLD, &sim));
  PetscCall(StkSimulationSetModel(sim, model));
  PetscCall(StkSimulationSetFromOptions(sim));
  PetscCall(CreatePolicy(model, &policy, file, sizeof(file)));
  PetscCall(StkOutputPath(PETSC_COMM_WORLD, "-o", "out/simulation.h5", path, sizeof(path)));
  {
    const StkCliFile outs[] = {{"-o", path}}, ins[] = {{"-policy_file", file}};
    PetscCall(StkCheckOutputsNotInputs(PETSC_COMM_WORLD, 1, outs, 1, ins));
  }
  if (!StkHelpRequested()) {
    PetscCall(StkSimulationSetPolicy(sim, policy, file));
    PetscCall(StkProgressCreate(PETSC_COMM_WORLD, "simulate", &progress));
    PetscCall(StkSimulationSetMonitor(sim, ProgressMonitor, progress));
    PetscCall(StkSimulationSetUp(sim));
    PetscCall(StkSimulationRun(sim));
    PetscCall(StkProgressDestroy(&progress));
    PetscCall(StkSimulationWrite(sim, path));
    PetscCall(StkSimulationView(sim, PETSC_VIEWER_STDOUT_WORLD));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  wrote %s\n", path));
  }
  PetscCall(StkSimulationDestroy(&sim));
  PetscCall(StkPolicyDestroy(&policy));
  PetscCall(StkModelDestroy(&model));
  PetscFunctionReturn(0);
}
