/* stakehjb refine: read a network and the solution it was fitted to, refine the
 * network online against a simulated environment (docs/model.md#online-refinement), write the
 * refined network with its history (docs/network.md). */
#include "stk_cli.h"
#include "stk_refine.h"

static PetscErrorCode ReadOptions(char in[], char solution[], char out[], size_t len)
{
  PetscFunctionBeginUser;
  PetscCall(PetscStrncpy(in, "out/network.h5", len));
  PetscCall(PetscStrncpy(solution, "out/solution.h5", len));
  PetscOptionsBegin(PETSC_COMM_WORLD, NULL, "stakehjb refine", NULL);
  PetscCall(PetscOptionsString("-i", "Network file written by stakehjb fit (or refine)", "", in, in, len, NULL));
  PetscCall(PetscOptionsString("-policy_file", "Solution file the network was fitted to (the expert: model and V_s)", "", solution, solution, len, NULL));
  PetscOptionsEnd();
  PetscCall(StkOutputPath(PETSC_COMM_WORLD, "-o", "out/refined.h5", out, len));
  {
    char             replan[PETSC_MAX_PATH_LEN] = ""; /* written with -refine_replan > 0 */
    const StkCliFile outs[] = {{"-o", out}, {"-refine_replan_file", replan}}, ins[] = {{"-i", in}, {"-policy_file", solution}};
    PetscCall(PetscOptionsGetString(NULL, NULL, "-refine_replan_file", replan, sizeof(replan), NULL));
    PetscCall(StkCheckOutputsNotInputs(PETSC_COMM_WORLD, replan[0] ? 2 : 1, outs, 2, ins));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode StkCommandRefine(void)
{
  StkNet    net    = NULL;
  StkPolicy expert = NULL;
  StkRefine refine = NULL;
  char      in[PETSC_MAX_PATH_LEN], solution[PETSC_MAX_PATH_LEN], out[PETSC_MAX_PATH_LEN];

  PetscFunctionBeginUser;
  PetscCall(StkCheckNoPrice("refine"));
  PetscCall(ReadOptions(in, solution, out, sizeof(in)));
  PetscCall(StkRefineCreate(PETSC_COMM_WORLD, &refine));
  if (StkHelpRequested()) PetscCall(StkRefineSetFromOptions(refine));
  else {
    PetscCall(StkCheckReadable("-i", in));
    PetscCall(StkCheckReadable("-policy_file", solution));
    PetscCall(StkNetLoad(PETSC_COMM_WORLD, in, NULL, &net));
    PetscCall(StkPolicyCreate(PETSC_COMM_WORLD, &expert));
    PetscCall(StkPolicySetType(expert, STK_POLICY_EXPERT));
    PetscCall(StkPolicySetFile(expert, solution));
    PetscCall(StkPolicySetUp(expert));
    PetscCall(StkRefineSetNetwork(refine, net));
    PetscCall(StkRefineSetExpert(refine, expert));
    PetscCall(StkRefineSetFromOptions(refine));
    PetscCall(StkRefineSetMonitor(refine, StkRefineMonitorProgress, NULL));
    PetscCall(StkRefineRun(refine));
    PetscCall(StkRefineWrite(refine, out));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "stakehjb refine: %s refined against %s\n", in, solution));
    PetscCall(StkRefineView(refine, PETSC_VIEWER_STDOUT_WORLD));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  wrote %s\n", out));
  }
  PetscCall(StkRefineDestroy(&refine));
  PetscCall(StkPolicyDestroy(&expert));
  PetscCall(StkNetDestroy(&net));
  PetscFunctionReturn(0);
}
