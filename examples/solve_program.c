/* A program that defines a model and solves it with the library (docs/library.md):
 * create -> set from options -> set up -> solve -> density -> write -> destroy.
 *
 * The model, "ou_lq", has no greedy map (the solver minimizes exactly over the control
 * box): dx = (-k x + u) dt + sigma dW, cost x^2 + u^2, |u| <= 5 on [-1, 1], whose value
 * V = P x^2 + sigma^2 P / rho (P^2 + (rho + 2k) P - 1 = 0) is also its Dirichlet data.
 *
 *   cc solve_program.c -o solve_program $(pkg-config --cflags --libs stakehjb)
 *   mpiexec -n 2 ./solve_program -grid_n 201 -o ou.h5 */
#include <stk_hjb.h>

static PetscReal k = 0.5, sigma = 0.4; /* the model's parameters (-ou_lq_k, -ou_lq_sigma) */

static PetscErrorCode Drift(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal b[])
{
  b[0] = -k * x[0] + u[0];
  return 0;
}

static PetscErrorCode Diffusion(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal a[])
{
  a[0] = 0.5 * sigma * sigma;
  return 0;
}

static PetscErrorCode Cost(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal l[])
{
  l[0] = x[0] * x[0] + u[0] * u[0];
  return 0;
}

static PetscErrorCode Exact(StkModel m, const PetscReal x[], PetscReal *V)
{
  PetscReal rho, P;

  StkModelGetDiscount(m, &rho);
  P  = (-(rho + 2 * k) + PetscSqrtReal(PetscSqr(rho + 2 * k) + 4)) / 2;
  *V = P * x[0] * x[0] + sigma * sigma * P / rho;
  return 0;
}

static PetscErrorCode CreateOULQ(StkModel m)
{
  const PetscReal lo = -1, hi = 1;

  PetscFunctionBeginUser;
  PetscCall(StkModelSetDimensionRange(m, 1, 1));
  PetscCall(StkModelSetNumControls(m, 1));
  PetscCall(StkModelSetControl(m, 0, 0, -5, 5));
  PetscCall(StkModelSetDefaultBox(m, &lo, &hi));
  PetscCall(StkModelAddParameter(m, "k", &k, "1/yr", "Mean reversion k"));
  PetscCall(StkModelAddParameter(m, "sigma", &sigma, "1/sqrt(yr)", "Volatility"));
  PetscCall(StkModelSetDriftFunction(m, Drift));
  PetscCall(StkModelSetDiffusionFunction(m, Diffusion));
  PetscCall(StkModelSetCostFunction(m, Cost));
  PetscCall(StkModelSetExactValueFunction(m, Exact));
  PetscCall(StkModelSetDirichletFunction(m, Exact));
  for (PetscInt side = 0; side < 2; side++) PetscCall(StkModelSetBoundaryType(m, 0, side, STK_BC_DIRICHLET));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  StkModel  model;
  StkGrid   grid;
  StkSolver solver;
  char      out[PETSC_MAX_PATH_LEN] = "ou_lq.h5";

  PetscCall(PetscInitialize(&argc, &argv, NULL, "Solves the user-defined model ou_lq\n"));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-o", out, sizeof(out), NULL));
  PetscCall(StkModelRegister("ou_lq", CreateOULQ));
  PetscCall(StkModelCreate(PETSC_COMM_WORLD, &model));
  PetscCall(StkModelSetType(model, "ou_lq"));
  PetscCall(StkModelSetFromOptions(model)); /* -hjb_rho, -ou_lq_k, -ou_lq_sigma */
  PetscCall(StkModelSetUp(model));
  PetscCall(StkSolverCreateForModel(PETSC_COMM_WORLD, model, &grid, &solver)); /* -grid_*, -hjb_* */
  PetscCall(StkSolverSetUp(solver));
  PetscCall(StkSolverSolve(solver));
  PetscCall(StkSolverComputeDensity(solver));
  PetscCall(StkSolverView(solver, NULL));
  PetscCall(StkSolverWrite(solver, out));
  PetscCall(StkSolverDestroy(&solver));
  PetscCall(StkGridDestroy(&grid));
  PetscCall(StkModelDestroy(&model));
  PetscCall(PetscFinalize());
  return 0;
}
