/* stakehjb solve: the summary lines of a finite horizon and of the density in time. */
#include "stk_cli.h"
#include "stk_hjb.h"

PetscErrorCode StkSolveHorizonSummary(StkSolver solver)
{
  StkHorizonStats st;
  PetscInt        nt;
  const PetscReal *times;

  PetscFunctionBeginUser;
  PetscCall(StkSolverGetHorizonStats(solver, &st));
  PetscCall(StkSolverGetTimeSeries(solver, &nt, &times, NULL, NULL, NULL));
  if (!nt) PetscFunctionReturn(0);
  if (st.horizon > 0)
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  finite horizon T = %.6g: %" PetscInt_FMT " implicit steps of dt = %.6g, %" PetscInt_FMT " Howard iterations (at most %" PetscInt_FMT " in a step, %" PetscInt_FMT " step(s) not converged), %" PetscInt_FMT " linear iterations, max step residual %.2e, %.3f s; value and policy are those at t = 0\n", (double)st.horizon, st.time_steps, (double)(st.horizon / st.time_steps), st.howard_iterations, st.max_step_iterations, st.steps_not_converged, st.ksp_iterations, (double)st.max_residual, (double)st.solve_time));
  if (st.kfe_done)
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  density in time: %" PetscInt_FMT " implicit steps over [0, %.6g], %" PetscInt_FMT " linear iterations, mass error %.1e (rescaled by at most %.1e after the linear solves), min probability %.1e, %.3f s\n", st.kfe_steps, (double)st.kfe_horizon, st.kfe_ksp_iterations, (double)st.mass_error, (double)st.mass_correction, (double)st.probability_min, (double)st.kfe_time));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  time series: %" PetscInt_FMT " times from %.6g to %.6g in group time_series (XDMF temporal collection: the file name with _time.xmf)\n", nt, (double)times[0], (double)times[nt - 1]));
  PetscFunctionReturn(0);
}
