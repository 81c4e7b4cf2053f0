/* stakehjb govern: token holders vote on the planner's objective (sbar, w_u), the planner
 * solves the HJB for it within a trust region, the economy runs an epoch, the holders
 * update their preferences from their realized payoffs; repeated for -govern_rounds.
 * The work is StkGovern's (experiments/stk_govern.h); this command reads the options,
 * prints the trajectory and names the file. */
#include "stk_cli.h"
#include "stk_govern.h"

PetscErrorCode StkCommandGovern(void)
{
  StkGovern gv;
  char      path[PETSC_MAX_PATH_LEN];

  PetscFunctionBeginUser;
  {
    PetscBool eval_seed, sim_seed; /* every round's epoch is keyed by -govern_seed + round */
    PetscCall(PetscOptionsHasName(NULL, NULL, "-govern_eval_seed", &eval_seed));
    PetscCall(PetscOptionsHasName(NULL, NULL, "-govern_sim_seed", &sim_seed));
    PetscCheck(!eval_seed && !sim_seed, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "%s: govern keys every round's epoch by -govern_seed + round; set -govern_seed instead", eval_seed ? "-govern_eval_seed" : "-govern_sim_seed");
  }
  PetscCall(StkGovernCreate(PETSC_COMM_WORLD, &gv));
  PetscCall(StkGovernSetFromOptions(gv));
  PetscCall(StkCheckPriceOff(NULL, "govern", PETSC_TRUE));
  PetscCall(StkOutputPath(PETSC_COMM_WORLD, "-o", "out/govern.h5", path, sizeof(path)));
  if (!StkHelpRequested()) {
    PetscCall(StkGovernSetUp(gv));
    PetscCall(StkGovernRun(gv, path));
    PetscCall(StkGovernWrite(gv, path));
    PetscCall(StkGovernView(gv, PETSC_VIEWER_STDOUT_WORLD));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  wrote %s\n", path));
  }
  PetscCall(StkGovernDestroy(&gv));
  PetscFunctionReturn(0);
}
