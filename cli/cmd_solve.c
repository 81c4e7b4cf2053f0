/* stakehjb solve: set up a model, a grid and a solver from options, solve, write. */
#include "stk_cli.h"
#include "stk_hjb.h"

static PetscErrorCode PrintSummary(StkSolver solver, const char path[])
{
  StkSolverStats stats;
  StkGrid        grid;
  StkModel       model;
  const char    *type;
  PetscInt       dim, n[STK_MAX_DIM], total;
  PetscMPIInt    size;

  PetscFunctionBeginUser;
  PetscCall(StkSolverGetStats(solver, &stats));
  PetscCall(StkSolverGetGrid(solver, &grid));
  PetscCall(StkSolverGetModel(solver, &model));
  PetscCall(StkModelGetType(model, &type));
  PetscCall(StkGridGetDimension(grid, &dim));
  PetscCall(StkGridGetSizes(grid, n));
  PetscCall(StkGridGetNumNodes(grid, &total));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "stakehjb solve: model %s, %" PetscInt_FMT "-D, grid ", type, dim));
  for (PetscInt k = 0; k < dim; k++) PetscCall(PetscPrintf(PETSC_COMM_WORLD, k ? " x %" PetscInt_FMT : "%" PetscInt_FMT, n[k]));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, " (%" PetscInt_FMT " nodes) on %d rank(s)\n", total, size));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  %s in %" PetscInt_FMT " Howard iterations (%" PetscInt_FMT " linear iterations), relative HJB residual %.2e, last relative change of V %.2e\n", stats.converged ? "converged" : "NOT CONVERGED", stats.iterations, stats.ksp_iterations, (double)stats.residual, (double)stats.value_change));
  if (stats.sequence > 0 && !stats.coarse_levels) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  grid sequencing: off, the grid cannot be halved (needs every n - 1 even, e.g. n = 2^k + 1)\n"));
  if (stats.coarse_levels)
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  grid sequencing: %" PetscInt_FMT " coarser grid(s) first, %" PetscInt_FMT " Howard and %" PetscInt_FMT " linear iterations there, %.3f s\n", stats.coarse_levels, stats.coarse_iterations, stats.coarse_ksp_iterations, (double)stats.coarse_time));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  solve %.3f s, stationary density %.3f s\n", (double)stats.solve_time, (double)stats.density_time));
  if (stats.target_estimate > 0)
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  target error: %s after %" PetscInt_FMT " refinement(s) of the grid, estimated max error of V %.2e of max |V|%s\n", stats.target_met ? "met" : "NOT met", stats.target_refinements, (double)stats.target_estimate, stats.target_met ? "" : " (the next grid would exceed -hjb_target_max_nodes)"));
  {
    StkErrorEstimate est;
    PetscViewer      viewer;
    PetscCall(StkSolverGetErrorEstimate(solver, &est));
    PetscCall(PetscViewerASCIIGetStdout(PETSC_COMM_WORLD, &viewer));
    PetscCall(PetscViewerASCIIPushTab(viewer));
    PetscCall(StkErrorEstimateView(&est, model, viewer));
    PetscCall(PetscViewerASCIIPopTab(viewer));
  }
  if (stats.matmult_time > 0) /* -hjb_bench: one machine-readable line for benchmarks/ */
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  bench: nodes %" PetscInt_FMT " ranks %d solve_time %.6e howard %" PetscInt_FMT " ksp %" PetscInt_FMT " coarse_levels %" PetscInt_FMT " coarse_howard %" PetscInt_FMT " coarse_ksp %" PetscInt_FMT " matmult_time %.6e matmult_equivalents %.1f memory_peak %.0f memory_solver %.0f bytes_per_node %.1f residual %.3e linear_solve_time %.6e linear_solve_its %" PetscInt_FMT " linear_equivalents %.2f share_assemble %.3f share_pc_setup %.3f share_pc_apply %.3f share_improve %.3f share_coarse %.3f density_time %.6e solve_cpu %.6e linear_solve_cpu %.6e linear_equivalents_cpu %.2f density_cpu %.6e density_ratio_cpu %.3f density_all_cpu %.6e\n", total, size, (double)stats.solve_time, stats.iterations, stats.ksp_iterations, stats.coarse_levels, stats.coarse_iterations, stats.coarse_ksp_iterations, (double)stats.matmult_time, (double)(stats.solve_time / stats.matmult_time), (double)stats.memory_peak, (double)stats.memory_solver, (double)(stats.memory_solver / total), (double)stats.residual,
                          (double)stats.linear_solve_time, stats.linear_solve_iterations, (double)(stats.solve_time / stats.linear_solve_time), (double)(stats.assemble_time / stats.solve_time), (double)(stats.pc_setup_time / stats.solve_time), (double)(stats.pc_apply_time / stats.solve_time), (double)(stats.improve_time / stats.solve_time), (double)(stats.coarse_time / stats.solve_time), (double)stats.density_time,
                          (double)stats.solve_cpu_time, (double)stats.linear_solve_cpu_time, (double)(stats.solve_cpu_time / stats.linear_solve_cpu_time), (double)stats.density_cpu_time, (double)(stats.density_cpu_time / stats.solve_cpu_time), (double)stats.density_all_cpu_time));
  PetscCall(StkSolveHorizonSummary(solver));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  wrote %s\n", path));
  PetscFunctionReturn(0);
}

/* Non-convergence is an error (before the file is written) unless accepted. */
static PetscErrorCode CheckConverged(StkSolver solver, PetscBool allow)
{
  StkSolverStats st;

  PetscFunctionBeginUser;
  PetscCall(StkSolverGetStats(solver, &st));
  if (st.converged) PetscFunctionReturn(0);
  if (allow) PetscCall(PetscFPrintf(PETSC_COMM_WORLD, PETSC_STDERR, "stakehjb solve: warning: policy iteration did not converge (accepted: -hjb_allow_not_converged)\n"));
  else SETERRQ(PETSC_COMM_WORLD, PETSC_ERR_NOT_CONVERGED, "-hjb_max_it %" PetscInt_FMT ": policy iteration did not converge (relative HJB residual %.2e, change of V %.2e, -hjb_rtol not reached); raise -hjb_max_it, loosen -hjb_rtol, or write the result anyway with -hjb_allow_not_converged", st.iterations, (double)st.residual, (double)st.value_change);
  PetscFunctionReturn(0);
}

PetscErrorCode StkCommandSolve(void)
{
  StkModel  model;
  StkGrid   grid;
  StkSolver solver;
  char      path[PETSC_MAX_PATH_LEN];
  PetscBool view = PETSC_FALSE, allow_not_converged = PETSC_FALSE, regimes;

  PetscFunctionBeginUser;
  PetscCall(StkSolveRegimesRequested(&regimes));
  if (regimes) { /* -regime_files: a regime-switching system */
    PetscCall(StkCommandSolveRegimes());
    PetscFunctionReturn(0);
  }
  PetscCall(StkModelCreate(PETSC_COMM_WORLD, &model));
  PetscCall(StkModelSetFromOptions(model));
  PetscCall(StkSolverCreateForModel(PETSC_COMM_WORLD, model, &grid, &solver));
  PetscCall(StkOutputPath(PETSC_COMM_WORLD, "-o", "out/solution.h5", path, sizeof(path)));
  {
    char             costs[PETSC_MAX_PATH_LEN] = "";
    const StkCliFile outs[] = {{"-o", path}}, ins[] = {{"-agents_cost_file", costs}};
    PetscCall(PetscOptionsGetString(NULL, NULL, "-agents_cost_file", costs, sizeof(costs), NULL)); /* also from a YAML file */
    PetscCall(StkCheckOutputsNotInputs(PETSC_COMM_WORLD, 1, outs, 1, ins));
  }
  PetscOptionsBegin(PETSC_COMM_WORLD, NULL, "stakehjb solve", NULL);
  PetscCall(PetscOptionsBool("-view", "Print the model, the grid and the solver before and after the solve", "", view, &view, NULL));
  PetscCall(PetscOptionsBool("-hjb_allow_not_converged", "Write the solution even if policy iteration did not converge (otherwise an error)", "", allow_not_converged, &allow_not_converged, NULL));
  PetscOptionsEnd();
  if (StkHelpRequested()) PetscCall(StkModelPrintOptionsOfOtherTypes(model));
  else {
    PetscCall(StkGridSetUp(grid));
    if (view) {
      PetscCall(StkModelView(model, NULL));
      PetscCall(StkGridView(grid, NULL));
    }
    PetscCall(StkSolverSolve(solver));
    PetscCall(CheckConverged(solver, allow_not_converged));
    PetscCall(StkSolverComputeDensity(solver));
    PetscCall(StkSolverWrite(solver, path));
    if (view) PetscCall(StkSolverView(solver, NULL));
    PetscCall(PrintSummary(solver, path));
  }
  PetscCall(StkSolverDestroy(&solver));
  PetscCall(StkGridDestroy(&grid));
  PetscCall(StkModelDestroy(&model));
  PetscFunctionReturn(0);
}
