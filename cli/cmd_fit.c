/* stakehjb fit: read a solution file, fit the mechanism network to its policy with
 * TAO, write the network (docs/network.md). */
#include "stk_cli.h"
#include "stk_net.h"

/* The model, the grid and the policy of a solution file; the network fits one control. */
static PetscErrorCode ReadSolution(const char path[], StkModel *model, StkGrid *grid, Vec *policy)
{
  PetscInt nu;

  PetscFunctionBeginUser;
  PetscCall(StkSolutionLoad(PETSC_COMM_WORLD, path, model, grid, NULL, policy));
  PetscCall(StkModelGetNumControls(*model, &nu));
  if (nu != 1) {
    PetscCall(VecDestroy(policy));
    PetscCall(StkGridDestroy(grid));
    PetscCall(StkModelDestroy(model));
    SETERRQ(PETSC_COMM_WORLD, PETSC_ERR_ARG_WRONG, "solution file '%s' has %" PetscInt_FMT " controls; the network fits a single control", path, nu);
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode PrintSummary(StkNet net, const char in[], const char out[])
{
  StkNetFitStats st;
  PetscInt       nin, nhidden, widths[STK_NET_MAX_LAYERS], nw;
  PetscReal      u_min, u_max;
  PetscMPIInt    size;

  PetscFunctionBeginUser;
  PetscCall(StkNetGetFitStats(net, NULL, &st));
  PetscCall(StkNetGetNumInputs(net, &nin));
  PetscCall(StkNetGetArchitecture(net, &nhidden, widths));
  PetscCall(StkNetGetNumWeights(net, &nw));
  PetscCall(StkNetGetOutputBounds(net, &u_min, &u_max));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "stakehjb fit: network %" PetscInt_FMT, nin));
  for (PetscInt l = 0; l < nhidden; l++) PetscCall(PetscPrintf(PETSC_COMM_WORLD, " -> %" PetscInt_FMT, widths[l]));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, " -> 1 (%" PetscInt_FMT " weights), output in [%g, %g], fitted to %" PetscInt_FMT " nodes of %s on %d rank(s)\n", nw, (double)u_min, (double)u_max, st.samples, in, size));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  TAO: %" PetscInt_FMT " iterations, %" PetscInt_FMT " evaluations, %s, %.3f s\n", st.iterations, st.evaluations, st.reason, (double)st.time));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  on every grid node: RMSE %.4e (%.4f %% of u_max - u_min), max error %.4e (%.4f %%)\n", (double)st.rmse, (double)(100 * st.rmse_relative), (double)st.max_error, (double)(100 * st.max_error_relative)));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  wrote %s\n", out));
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadOptions(char in[], size_t len, PetscBool *view)
{
  PetscFunctionBeginUser;
  PetscCall(PetscStrncpy(in, "out/solution.h5", len));
  PetscOptionsBegin(PETSC_COMM_WORLD, NULL, "stakehjb fit", NULL);
  PetscCall(PetscOptionsString("-i", "Solution file written by stakehjb solve", "", in, in, len, NULL));
  PetscCall(PetscOptionsBool("-view", "Print the network after the fit", "", *view, view, NULL));
  PetscOptionsEnd();
  PetscCheck(in[0], PETSC_COMM_WORLD, PETSC_ERR_ARG_WRONG, "-i needs a file name");
  PetscFunctionReturn(0);
}

/* The fitted network of a solution file, configured by the -net_ options (collective). */
static PetscErrorCode FitSolutionFile(const char in[], StkNet *net)
{
  StkModel model  = NULL;
  StkGrid  grid   = NULL;
  Vec      policy = NULL;

  PetscFunctionBeginUser;
  PetscCall(ReadSolution(in, &model, &grid, &policy));
  PetscCall(StkNetCreate(PETSC_COMM_WORLD, net));
  PetscCall(StkNetSetUpFromSolution(*net, model, grid));
  PetscCall(StkNetSetSource(*net, in));
  PetscCall(StkNetFitGrid(*net, grid, policy, NULL));
  PetscCall(VecDestroy(&policy));
  PetscCall(StkGridDestroy(&grid));
  PetscCall(StkModelDestroy(&model));
  PetscFunctionReturn(0);
}

PetscErrorCode StkCommandFit(void)
{
  StkNet    net = NULL;
  char      in[PETSC_MAX_PATH_LEN], out[PETSC_MAX_PATH_LEN];
  PetscBool view = PETSC_FALSE;

  PetscFunctionBeginUser;
  PetscCall(ReadOptions(in, sizeof(in), &view));
  PetscCall(StkOutputPath(PETSC_COMM_WORLD, "-o", "out/network.h5", out, sizeof(out)));
  {
    const StkCliFile outs[] = {{"-o", out}}, ins[] = {{"-i", in}};
    PetscCall(StkCheckOutputsNotInputs(PETSC_COMM_WORLD, 1, outs, 1, ins));
  }
  if (StkHelpRequested()) {
    PetscCall(StkNetCreate(PETSC_COMM_WORLD, &net));
    PetscCall(StkNetSetFromOptions(net));
    PetscCall(StkNetPrintFitOptions(net));
  } else {
    PetscCall(FitSolutionFile(in, &net));
    PetscCall(StkNetWrite(net, out));
    if (view) PetscCall(StkNetView(net, NULL));
    PetscCall(PrintSummary(net, in, out));
  }
  PetscCall(StkNetDestroy(&net));
  PetscFunctionReturn(0);
}
