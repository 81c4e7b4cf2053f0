/* stakehjb compare: the experiments of MODEL.md section 6, every policy in every
 * regime, environment and shock scenario on common random numbers with paired
 * statistics.  The work is StkCompare's (experiments/stk_compare.h); this command reads
 * the options, shows progress, prints the table and names the files. */
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

/* -help: after the comparison's options, those of the model and the policies that each
 * regime configures. */
static PetscErrorCode PrintHelp(void)
{
  StkModel  model;
  StkPolicy policy;

  PetscFunctionBeginUser;
  PetscCall(StkModelCreate(PETSC_COMM_WORLD, &model));
  PetscCall(StkModelSetFromOptions(model));
  PetscCall(StkPolicyCreate(PETSC_COMM_WORLD, &policy));
  PetscCall(StkPolicySetFromOptions(policy));
  PetscCall(StkPolicyDestroy(&policy));
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
  PetscCall(StkOutputPath(PETSC_COMM_WORLD, "-o", "out/compare.h5", out, sizeof(out)));
  {
    const StkCliFile outs[] = {{"-o", out}};
    PetscCall(StkCheckOutputsNotInputs(PETSC_COMM_WORLD, 1, outs, 0, NULL));
  }
  if (StkHelpRequested()) PetscCall(PrintHelp());
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
