/* stakehjb robust: the misspecification experiment of one case (docs/robustness.md,
 * experiments/stk_robust.h): the planner's solution and fitted network against a
 * differing environment; prints the table and writes it as CSV. */
#include "stk_cli.h"
#include "stk_robust.h"

static PetscErrorCode ReadOptions(char in[], char solution[], char out[], size_t len)
{
  PetscFunctionBeginUser;
  PetscCall(PetscStrncpy(in, "out/network.h5", len));
  PetscCall(PetscStrncpy(solution, "out/solution.h5", len));
  PetscOptionsBegin(PETSC_COMM_WORLD, NULL, "stakehjb robust", NULL);
  PetscCall(PetscOptionsString("-i", "Network file fitted to the planner's solution (stakehjb fit)", "", in, in, len, NULL));
  PetscCall(PetscOptionsString("-policy_file", "The planner's solution (stakehjb solve)", "", solution, solution, len, NULL));
  PetscOptionsEnd();
  PetscCall(StkOutputPath(PETSC_COMM_WORLD, "-o", "out/robust.csv", out, len));
  {
    char             oracle[PETSC_MAX_PATH_LEN], replan[PETSC_MAX_PATH_LEN];
    const StkCliFile outs[] = {{"-o", out}, {"-robust_oracle_file", oracle}, {"-robust_replan_file", replan}}, ins[] = {{"-i", in}, {"-policy_file", solution}};
    PetscCall(StkOutputPath(PETSC_COMM_WORLD, "-robust_oracle_file", "out/robust_oracle.h5", oracle, sizeof(oracle)));
    PetscCall(StkOutputPath(PETSC_COMM_WORLD, "-robust_replan_file", "out/robust_replanned.h5", replan, sizeof(replan)));
    PetscCall(StkCheckOutputsNotInputs(PETSC_COMM_WORLD, 3, outs, 2, ins));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode StkCommandRobust(void)
{
  StkRobust robust = NULL;
  StkPolicy expert = NULL;
  char      in[PETSC_MAX_PATH_LEN], solution[PETSC_MAX_PATH_LEN], out[PETSC_MAX_PATH_LEN];

  PetscFunctionBeginUser;
  PetscCall(StkCheckNoPrice("robust"));
  PetscCall(ReadOptions(in, solution, out, sizeof(in)));
  PetscCall(StkRobustCreate(PETSC_COMM_WORLD, &robust));
  PetscCall(StkRobustSetFromOptions(robust));
  if (StkHelpRequested()) PetscCall(StkRobustPrintHelp(robust));
  else {
    PetscCall(StkCheckReadable("-i", in));
    PetscCall(StkCheckReadable("-policy_file", solution));
    PetscCall(StkPolicyCreate(PETSC_COMM_WORLD, &expert));
    PetscCall(StkPolicySetType(expert, STK_POLICY_EXPERT));
    PetscCall(StkPolicySetFile(expert, solution));
    PetscCall(StkPolicySetUp(expert));
    PetscCall(StkRobustRun(robust, expert, solution, in));
    PetscCall(StkRobustView(robust, PETSC_VIEWER_STDOUT_WORLD));
    PetscCall(StkRobustWriteCsv(robust, out));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  wrote %s\n", out));
  }
  PetscCall(StkPolicyDestroy(&expert));
  PetscCall(StkRobustDestroy(&robust));
  PetscFunctionReturn(0);
}
