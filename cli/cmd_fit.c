/* stakehjb fit: read a solution file, fit the mechanism network to its policy with
 * TAO, write the network (docs/network.md). */
#include "stk_cli.h"
#include "stk_net.h"
#include <string.h>

/* The grid and the policy of /solution, and the issuance bounds when the model has them. */
static PetscErrorCode ReadSolution(const char path[], StkGrid *grid, Vec *policy, PetscBool *has_bounds, PetscReal *u_min, PetscReal *u_max)
{
  StkH5 file;
  char  model[64];

  PetscFunctionBeginUser;
  PetscCall(StkH5Open(PETSC_COMM_WORLD, path, &file));
  PetscCall(StkH5ReadAttributeString(file, "solution", "model", sizeof(model), model));
  *has_bounds = (PetscBool)!strcmp(model, "staking");
  if (*has_bounds) {
    PetscCall(StkH5ReadAttributeReal(file, "solution", "u_min", u_min));
    PetscCall(StkH5ReadAttributeReal(file, "solution", "u_max", u_max));
  }
  PetscCall(StkH5ReadGrid(file, "solution", grid));
  PetscCall(StkH5ReadField(file, "solution", "policy", *grid, 1, policy));
  PetscCall(StkH5Destroy(&file));
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

/* The network's inputs and default bounds from the solution, then -net_ options. */
static PetscErrorCode ConfigureNetwork(StkNet net, StkGrid grid, const char in[], PetscBool has_bounds, PetscReal u_min, PetscReal u_max)
{
  PetscBool set_min, set_max;

  PetscFunctionBeginUser;
  PetscCall(StkNetSetInputsFromGrid(net, grid));
  if (has_bounds) PetscCall(StkNetSetOutputBounds(net, u_min, u_max));
  else {
    PetscCall(PetscOptionsHasName(NULL, NULL, "-net_u_min", &set_min));
    PetscCall(PetscOptionsHasName(NULL, NULL, "-net_u_max", &set_max));
    PetscCheck(set_min && set_max, PETSC_COMM_WORLD, PETSC_ERR_ARG_WRONG, "solution file '%s' has no issuance bounds (u_min, u_max): give -net_u_min and -net_u_max", in);
  }
  PetscCall(StkNetSetFromOptions(net));
  PetscCall(StkNetSetSource(net, in));
  PetscCall(StkNetSetUp(net));
  PetscFunctionReturn(0);
}

/* The fitted network of a solution file, configured by the -net_ options (collective). */
PetscErrorCode StkFitSolutionFile(const char in[], StkNet *net)
{
  StkGrid   grid   = NULL;
  Vec       policy = NULL;
  PetscBool has_bounds = PETSC_FALSE;
  PetscReal u_min = 0, u_max = 1;

  PetscFunctionBeginUser;
  PetscCall(ReadSolution(in, &grid, &policy, &has_bounds, &u_min, &u_max));
  PetscCall(StkNetCreate(PETSC_COMM_WORLD, net));
  PetscCall(ConfigureNetwork(*net, grid, in, has_bounds, u_min, u_max));
  PetscCall(StkNetFitGrid(*net, grid, policy, NULL));
  PetscCall(VecDestroy(&policy));
  PetscCall(StkGridDestroy(&grid));
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
  if (StkHelpRequested()) {
    PetscCall(StkNetCreate(PETSC_COMM_WORLD, &net));
    PetscCall(StkNetSetFromOptions(net));
    PetscCall(StkNetPrintFitOptions(net));
  } else {
    PetscCall(StkFitSolutionFile(in, &net));
    PetscCall(StkNetWrite(net, out));
    if (view) PetscCall(StkNetView(net, NULL));
    PetscCall(PrintSummary(net, in, out));
  }
  PetscCall(StkNetDestroy(&net));
  PetscFunctionReturn(0);
}
