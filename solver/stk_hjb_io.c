/* The solution file (MODEL.md section 7, docs/hdf5.md). */
#include "stk_hjbimpl.h"
#include "stk_version.h"

static PetscErrorCode WriteStatistics(StkSolver S, StkH5 file, const char group[])
{
  PetscMPIInt size;
  PetscInt    n[STK_MAX_DIM], dim;
  char        sizes[64] = "";

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(S->comm, &size));
  PetscCall(StkGridGetDimension(S->grid, &dim));
  PetscCall(StkGridGetSizes(S->grid, n));
  for (PetscInt k = 0; k < dim; k++) {
    size_t len;
    PetscCall(PetscStrlen(sizes, &len));
    PetscCall(PetscSNPrintf(sizes + len, sizeof(sizes) - len, k ? ",%" PetscInt_FMT : "%" PetscInt_FMT, n[k]));
  }
  PetscCall(StkH5WriteAttributeString(file, group, "program", "stakehjb"));
  PetscCall(StkH5WriteAttributeString(file, group, "version", STK_VERSION));
  PetscCall(StkH5WriteAttributeString(file, group, "grid_n", sizes));
  PetscCall(StkH5WriteAttributeString(file, group, "greedy", StkGreedyTypes[S->greedy]));
  PetscCall(StkH5WriteAttributeInt(file, group, "iterations", S->stats.iterations));
  PetscCall(StkH5WriteAttributeInt(file, group, "ksp_iterations", S->stats.ksp_iterations));
  PetscCall(StkH5WriteAttributeInt(file, group, "converged", S->stats.converged));
  PetscCall(StkH5WriteAttributeReal(file, group, "residual", S->stats.residual, "1"));
  PetscCall(StkH5WriteAttributeReal(file, group, "value_change", S->stats.value_change, "1"));
  PetscCall(StkH5WriteAttributeReal(file, group, "rtol", S->rtol, "1"));
  PetscCall(StkH5WriteAttributeReal(file, group, "wall_time", S->stats.solve_time, "s"));
  PetscCall(StkH5WriteAttributeReal(file, group, "density_time", S->stats.density_time, "s"));
  PetscCall(StkH5WriteAttributeInt(file, group, "ranks", size));
  PetscCall(StkH5WriteAttributeInt(file, group, "sequence_levels", S->stats.coarse_levels));
  PetscCall(StkH5WriteAttributeInt(file, group, "coarse_iterations", S->stats.coarse_iterations));
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteFields(StkSolver S, StkH5 file, const char group[])
{
  Vec drift, density;

  PetscFunctionBeginUser;
  PetscCall(StkSolverGetDrift(S, &drift));
  PetscCall(StkSolverGetDensity(S, &density));
  PetscCall(StkH5WriteGrid(file, group, S->grid));
  PetscCall(StkH5WriteField(file, group, "value", S->grid, S->V, 1, NULL, "1", "value function V: discounted expected cost"));
  PetscCall(StkH5WriteField(file, group, "policy", S->grid, S->u, S->model->nu, "control", S->model->nu == 1 ? "1/yr" : "1", "optimal control u*(x)"));
  PetscCall(StkH5WriteField(file, group, "drift", S->grid, drift, S->model->dim, "component", "1/yr", "closed-loop drift b(x, u*(x)), one component per state variable"));
  PetscCall(StkH5WriteField(file, group, "density", S->grid, density, 1, NULL, "1", "stationary density of the closed loop (NaN where the boundary absorbs)"));
  PetscCall(StkModelWriteAttributes(S->model, file, group));
  PetscCall(WriteStatistics(S, file, group));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverWrite(StkSolver S, const char path[])
{
  const char     group[] = "solution";
  const char    *scalar_policy[] = {"value", "policy", "density"}, *vector_policy[] = {"value", "density"};
  StkH5          file;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCheck(S->solved, S->comm, PETSC_ERR_ORDER, "Solve before writing %s", path);
  PetscCall(PetscLogStagePush(STK_STAGE_Output));
  PetscCall(PetscLogEventBegin(STK_EVENT_Write, 0, 0, 0, 0));
  PetscCall(StkH5Create(S->comm, path, &file));
  ierr = WriteFields(S, file, group);
  if (!ierr) ierr = StkH5Commit(file, group, S->grid, S->model->nu == 1 ? 3 : 2, S->model->nu == 1 ? scalar_policy : vector_policy);
  /* On failure this removes the temporary file: no half file is left behind. */
  PetscCall(StkH5Destroy(&file));
  PetscCall(ierr);
  PetscCall(PetscLogEventEnd(STK_EVENT_Write, 0, 0, 0, 0));
  PetscCall(PetscLogStagePop());
  PetscFunctionReturn(0);
}
