/* stakehjb compare: the experiments (docs/model.md#experiments), every policy in every
 * regime, environment and shock scenario on common random numbers with paired
 * statistics.  The work is StkCompare's (experiments/stk_compare.h); this command reads
 * the options, shows progress, prints the table and names the files. */
#define _POSIX_C_SOURCE 200809L /* strtok_r */
#include "stk_cli.h"
#include "stk_compare.h"
#include "stk_progress.h"

/* The share of the policy runs done (grids/stk_progress.h). */
static PetscErrorCode ProgressMonitor(StkCompare cmp, const char regime[], PetscInt done, PetscInt total, void *ctx)
{
  PetscFunctionBeginUser;
  PetscCall(StkProgressUpdate((StkProgress)ctx, (PetscReal)done / total, "regime %s, run %" PetscInt_FMT " of %" PetscInt_FMT, regime, done, total));
  PetscFunctionReturn(0);
}

/* The parameters of every policy type (-compare_policies may list any). */
static PetscErrorCode PrintPolicyOptions(StkModel model)
{
  char  known[1024], *save = NULL;

  PetscFunctionBeginUser;
  PetscCall(StkPolicyKnownTypes(known, sizeof(known)));
  for (char *name = strtok_r(known, ", ", &save); name; name = strtok_r(NULL, ", ", &save)) {
    StkPolicy policy;
    PetscCall(StkPolicyCreate(PETSC_COMM_WORLD, &policy));
    PetscCall(StkPolicySetType(policy, name));
    PetscCall(StkPolicySetModel(policy, model));
    PetscCall(StkPolicySetFromOptions(policy));
    PetscCall(StkPolicyDestroy(&policy));
  }
  PetscFunctionReturn(0);
}

/* -help: after the comparison's options, those of the objects that each regime
 * configures (its model, grid and solver, policies and network), under the user's
 * spellings, which apply to every regime. */
static PetscErrorCode PrintHelp(void)
{
  StkModel  model;
  StkGrid   grid;
  StkSolver solver;
  StkNet    net;

  PetscFunctionBeginUser;
  PetscCall(StkModelCreate(PETSC_COMM_WORLD, &model));
  PetscCall(StkModelSetType(model, STK_MODEL_STAKING));
  PetscCall(StkModelSetFromOptions(model));
  PetscCall(StkSolverCreateForModel(PETSC_COMM_WORLD, model, &grid, &solver));
  PetscCall(PrintPolicyOptions(model));
  PetscCall(StkNetCreate(PETSC_COMM_WORLD, &net));
  PetscCall(StkNetSetFromOptions(net));
  PetscCall(StkNetPrintFitOptions(net));
  PetscCall(StkNetDestroy(&net));
  PetscCall(StkSolverDestroy(&solver));
  PetscCall(StkGridDestroy(&grid));
  PetscCall(StkModelDestroy(&model));
  PetscFunctionReturn(0);
}

PetscErrorCode StkCommandCompare(void)
{
  StkCompare  cmp;
  StkProgress progress;
  char        out[PETSC_MAX_PATH_LEN];

  PetscFunctionBeginUser;
  PetscCall(StkCompareCreate(PETSC_COMM_WORLD, &cmp));
  PetscCall(StkCompareSetFromOptions(cmp));
  PetscCall(StkCheckPriceOff(NULL, "compare", PETSC_TRUE));
  PetscCall(StkOutputPath(PETSC_COMM_WORLD, "-o", "out/compare.h5", out, sizeof(out)));
  {
    const StkCliFile outs[] = {{"-o", out}};
    PetscCall(StkCheckOutputsNotInputs(PETSC_COMM_WORLD, 1, outs, 0, NULL));
  }
  if (StkHelpRequested()) {
    PetscCall(PrintHelp());
    if (StkOptionsCheckRunning()) PetscCall(StkCompareReadRegimeOptions(cmp)); /* -bear_hjb_rho is an option */
  }
  else {
    PetscCall(StkCompareSetOutput(cmp, out));
    PetscCall(StkProgressCreate(PETSC_COMM_WORLD, "compare", &progress));
    PetscCall(StkCompareSetMonitor(cmp, ProgressMonitor, progress));
    PetscCall(StkCompareSetUp(cmp));
    PetscCall(StkCompareRun(cmp));
    PetscCall(StkProgressDestroy(&progress));
    PetscCall(StkCompareWrite(cmp));
    PetscCall(StkCompareViewSummary(cmp, PETSC_VIEWER_STDOUT_WORLD));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "\n"));
    PetscCall(StkCompareView(cmp, PETSC_VIEWER_STDOUT_WORLD));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  wrote %s and its .csv summary\n", out));
  }
  PetscCall(StkCompareDestroy(&cmp));
  PetscFunctionReturn(0);
}
