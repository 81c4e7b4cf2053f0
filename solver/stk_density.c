/* Closed-loop drift and the stationary density of the controlled process
 * (Kolmogorov forward equation A(u*)^T p = 0, docs/model.md#stationary-density). */
#include "stk_hjbimpl.h"
#include "stk_progress.h"

static PetscErrorCode ComputeDrift(StkSolver S)
{
  const PetscScalar *ua;
  PetscScalar       *ba;
  StkNode            node;
  const PetscInt     nu = S->model->nu, dim = S->model->dim;

  PetscFunctionBeginUser;
  if (!S->drift) {
    PetscCall(DMCreateGlobalVector(S->da_b, &S->drift));
    PetscCall(PetscObjectSetName((PetscObject)S->drift, "drift"));
  }
  PetscCall(VecGetArrayRead(S->u, &ua));
  PetscCall(VecGetArray(S->drift, &ba));
  for (PetscInt o = 0; o < S->layout.nowned; o++) {
    PetscCall(StkLayoutNode(S, o, &node));
    PetscCall(StkModelDrift(S->model, node.x, &ua[o * nu], &ba[o * dim]));
  }
  PetscCall(VecRestoreArray(S->drift, &ba));
  PetscCall(VecRestoreArrayRead(S->u, &ua));
  PetscFunctionReturn(0);
}

/* The node where the closed-loop drift is smallest (relative to the box): a node of
 * high stationary mass, so pinning it there keeps the system well scaled. */
static PetscErrorCode PinnedRow(StkSolver S, PetscInt *row)
{
  const PetscScalar *ba;
  struct {
    double v;
    int    i;
  } best = {PETSC_MAX_REAL, 0};
  PetscInt       rstart;
  StkNode        node;
  const PetscInt dim = S->model->dim;

  PetscFunctionBeginUser;
  PetscCall(VecGetOwnershipRange(S->V, &rstart, NULL));
  PetscCall(VecGetArrayRead(S->drift, &ba));
  for (PetscInt o = 0; o < S->layout.nowned; o++) {
    double v = 0;
    PetscCall(StkLayoutNode(S, o, &node));
    for (PetscInt k = 0; k < dim; k++) v += PetscAbsReal(ba[o * dim + k]) / (S->layout.x[k][S->layout.n[k] - 1] - S->layout.x[k][0]);
    if (v < best.v) {
      best.v = v;
      best.i = (int)(rstart + o);
    }
  }
  PetscCall(VecRestoreArrayRead(S->drift, &ba));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &best, 1, MPI_DOUBLE_INT, MPI_MINLOC, S->comm));
  *row = best.i;
  PetscFunctionReturn(0);
}

/* Divide the probabilities p_i by the node's dual-cell volume: g is a density. */
static PetscErrorCode ProbabilityToDensity(StkSolver S, Vec p)
{
  PetscScalar    *pa;
  const PetscReal *w[STK_MAX_DIM];
  StkNode         node;
  PetscReal       sum;

  PetscFunctionBeginUser;
  PetscCall(VecSum(p, &sum));
  PetscCall(VecScale(p, 1.0 / sum));
  for (PetscInt k = 0; k < S->model->dim; k++) PetscCall(StkGridGetDualWidths(S->grid, k, &w[k]));
  PetscCall(VecGetArray(p, &pa));
  for (PetscInt o = 0; o < S->layout.nowned; o++) {
    PetscReal vol = 1;
    PetscCall(StkLayoutNode(S, o, &node));
    for (PetscInt k = 0; k < S->model->dim; k++) vol *= w[k][node.idx[k]];
    pa[o] /= vol;
  }
  PetscCall(VecRestoreArray(p, &pa));
  PetscFunctionReturn(0);
}

/* A progress line per Krylov iteration (printed once the solve runs long): the
 * residual's reduction, which has to reach the relative tolerance 1e-11. */
static PetscErrorCode DensityProgress(KSP ksp, PetscInt it, PetscReal rnorm, void *ctx)
{
  StkProgress progress = (StkProgress)ctx;

  PetscFunctionBeginUser;
  PetscCall(StkProgressUpdate(progress, -1, "Krylov iteration %" PetscInt_FMT ", residual %.2e", it, (double)rnorm));
  PetscFunctionReturn(0);
}

static PetscErrorCode DestroyProgress(void **ctx)
{
  PetscFunctionBeginUser;
  PetscCall(StkProgressDestroy((StkProgress *)ctx));
  PetscFunctionReturn(0);
}

/* The initial guess of the pinned system from the coarser grid's density (the error
 * estimate computes it anyway, before this grid's): probabilities g(x_i) vol_i scaled to
 * 1 at the pinned row.  Saves about two V-cycles.  Returns whether there is one. */
static PetscErrorCode GuessFromCoarse(StkSolver S, PetscInt row, Vec p, PetscBool *guess)
{
  StkSolver       C = S->coarse;
  PetscScalar    *pa;
  const PetscReal *w[STK_MAX_DIM];
  PetscReal       norm, pin = 0, *x;
  PetscInt        rstart, rend;
  const PetscInt  dim = S->model->dim;
  StkNode         node;

  PetscFunctionBeginUser;
  *guess = PETSC_FALSE;
  if (!C || !C->density_done || !C->density) PetscFunctionReturn(0);
  PetscCall(VecNorm(C->density, NORM_INFINITY, &norm));
  if (PetscIsInfOrNanReal(norm) || norm <= 0) PetscFunctionReturn(0);
  PetscCall(PetscLogEventBegin(STK_EVENT_Interpolate, 0, 0, 0, 0));
  for (PetscInt k = 0; k < dim; k++) PetscCall(StkGridGetDualWidths(S->grid, k, &w[k]));
  PetscCall(StkSolverOwnedCoordinates(S, &x));
  PetscCall(VecGetArray(p, &pa));
  PetscCall(StkGridInterpolateVecAt(C->grid, C->density, 1, S->layout.nowned, x, pa));
  PetscCall(PetscFree(x));
  PetscCall(VecGetOwnershipRange(p, &rstart, &rend));
  for (PetscInt o = 0; o < S->layout.nowned; o++) {
    PetscReal vol = 1;
    PetscCall(StkLayoutNode(S, o, &node));
    for (PetscInt k = 0; k < dim; k++) vol *= w[k][node.idx[k]];
    pa[o] *= vol;
  }
  if (row >= rstart && row < rend) pin = PetscRealPart(pa[row - rstart]);
  PetscCall(VecRestoreArray(p, &pa));
  PetscCall(MPIU_Allreduce(MPI_IN_PLACE, &pin, 1, MPIU_REAL, MPIU_SUM, S->comm));
  PetscCall(PetscLogEventEnd(STK_EVENT_Interpolate, 0, 0, 0, 0));
  if (!(pin > 0)) PetscFunctionReturn(0);
  PetscCall(VecScale(p, 1.0 / pin));
  *guess = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/* BoomerAMG, as for policy evaluation (ILU took 4x longer, docs/performance.md), with
 * forward SOR/Jacobi smoothing instead of PETSc's symmetric default: cheaper V-cycles,
 * 15-16 of them at 1025^2 as before (HMIS/ext+i needed 20 there; docs/performance.md).  PCHYPRE has no setter for the
 * relaxation, so it is read from a private options object; -density_pc_* given by the
 * user are read afterwards (KSPSetFromOptions) and win. */
static PetscErrorCode SetDensityPC(KSP ksp)
{
  PC           pc;
  PetscOptions defaults;

  PetscFunctionBeginUser;
  PetscCall(KSPGetPC(ksp, &pc));
  PetscCall(PCSetType(pc, PCHYPRE));
  PetscCall(PetscOptionsCreate(&defaults));
  PetscCall(PetscOptionsInsertString(defaults, "-density_pc_hypre_boomeramg_relax_type_all SOR/Jacobi"));
  PetscCall(PetscObjectSetOptions((PetscObject)pc, defaults));
  PetscCall(PCSetFromOptions(pc));
  PetscCall(PetscObjectSetOptions((PetscObject)pc, NULL));
  PetscCall(PetscOptionsDestroy(&defaults));
  PetscFunctionReturn(0);
}

static PetscErrorCode SolveForwardEquation(StkSolver S)
{
  StkProgress progress;
  Mat      At;
  Vec      rhs;
  KSP      ksp;
  PetscInt row;

  PetscFunctionBeginUser;
  /* A = rho I - L, so L^T = rho I - A^T; solve -L^T p = 0 with p pinned at one node. */
  PetscCall(StkSolverAssemble(S, S->u, S->A, S->rhs));
  PetscCall(MatTranspose(S->A, MAT_INITIAL_MATRIX, &At));
  PetscCall(MatShift(At, -S->model->rho));
  PetscCall(PinnedRow(S, &row));
  PetscCall(MatZeroRows(At, 1, &row, 1.0, NULL, NULL));
  PetscCall(VecDuplicate(S->V, &rhs));
  PetscCall(VecSet(rhs, 0));
  PetscCall(VecSetValue(rhs, row, 1.0, INSERT_VALUES));
  PetscCall(VecAssemblyBegin(rhs));
  PetscCall(VecAssemblyEnd(rhs));
  PetscCall(KSPCreate(S->comm, &ksp));
  PetscCall(KSPSetOptionsPrefix(ksp, "density_"));
  PetscCall(KSPSetOperators(ksp, At, At));
  /* 1e-11 (was 1e-12): a V-cycle fewer, the density within ~1e-11 relative of the 1e-12
   * solve on 1 and 2 ranks (tests/test_scheme.c checks 1e-10; rtol 1e-10 gave 1.3e-10 on 2
   * ranks, where hypre's hybrid smoother is Jacobi between the ranks) */
  PetscCall(KSPSetTolerances(ksp, 1e-11, 1e-300, PETSC_DEFAULT, 10000));
  PetscCall(SetDensityPC(ksp));
  if (S->level == 0) { /* a coarse grid's density serves only the error estimate: no user options, no progress */
    PetscCall(KSPSetFromOptions(ksp));
    PetscCall(StkProgressCreate(S->comm, "density", &progress));
    if (S->progress) PetscCall(StkProgressSetDelay(progress, 0));
    PetscCall(KSPMonitorSet(ksp, DensityProgress, progress, DestroyProgress));
  }
  {
    PetscBool guess;
    PetscCall(GuessFromCoarse(S, row, S->density, &guess));
    PetscCall(KSPSetInitialGuessNonzero(ksp, guess));
  }
  PetscCall(KSPSolve(ksp, rhs, S->density));
  {
    KSPConvergedReason reason;
    PetscCall(KSPGetConvergedReason(ksp, &reason));
    PetscCheck(reason > 0 || S->level > 0, S->comm, PETSC_ERR_NOT_CONVERGED, "Stationary density: the linear solve failed (%s); try -density_pc_type lu", KSPConvergedReasons[reason]);
    if (reason <= 0) PetscCall(VecSet(S->density, NAN)); /* the estimate then has no moments */
  }
  PetscCall(ProbabilityToDensity(S, S->density));
  PetscCall(KSPDestroy(&ksp));
  PetscCall(VecDestroy(&rhs));
  PetscCall(MatDestroy(&At));
  PetscFunctionReturn(0);
}

static PetscBool HasDirichletFace(StkModel m)
{
  for (PetscInt k = 0; k < m->dim; k++)
    if (m->bc[k][0] == STK_BC_DIRICHLET || m->bc[k][1] == STK_BC_DIRICHLET) return PETSC_TRUE;
  return PETSC_FALSE;
}

/* The density moments of this grid and, computed now, of the kept coarser grids, for the
 * error estimate. */
static PetscErrorCode EstimateDensities(StkSolver S)
{
  PetscFunctionBeginUser;
  PetscCall(StkSolverRecordDensity(S));
  if (S->coarse && S->chain[1].set) {
    StkSolver C = S->coarse;
    if (!C->density_done) PetscCall(StkSolverComputeDensity(C)); /* recursively its own kept coarse grid */
    for (PetscInt l = 1; l < STK_ESTIMATE_LEVELS; l++) {
      S->chain[l].has_density = C->chain[l - 1].has_density;
      for (PetscInt k = 0; k < STK_MAX_DIM; k++) {
        S->chain[l].mean[k] = C->chain[l - 1].mean[k];
        S->chain[l].std[k]  = C->chain[l - 1].std[k];
      }
    }
  }
  PetscCall(StkSolverUpdateEstimate(S));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverComputeDensity(StkSolver S)
{
  PetscLogDouble t0, t1, c0, c_all;

  PetscFunctionBeginUser;
  PetscCheck(S->solved, S->comm, PETSC_ERR_ORDER, "Solve before computing the stationary density");
  PetscCall(PetscLogStagePush(STK_STAGE_Density));
  PetscCall(PetscLogEventBegin(STK_EVENT_Density, 0, 0, 0, 0));
  PetscCall(StkCPUTime(&c_all));
  /* the error estimate's coarser grids first: their densities are this one's initial guess */
  if (S->estimate && S->coarse && S->chain[1].set && !S->coarse->density_done && !HasDirichletFace(S->model)) PetscCall(StkSolverComputeDensity(S->coarse));
  PetscCall(PetscTime(&t0));
  PetscCall(StkCPUTime(&c0));
  PetscCall(ComputeDrift(S));
  if (!S->density) {
    PetscCall(VecDuplicate(S->V, &S->density));
    PetscCall(PetscObjectSetName((PetscObject)S->density, "density"));
  }
  /* Dirichlet faces absorb the process: no stationary density, say so with NaN. */
  if (HasDirichletFace(S->model)) PetscCall(VecSet(S->density, NAN));
  else PetscCall(SolveForwardEquation(S));
  PetscCall(PetscTime(&t1));
  PetscCall(StkCPUTimeSince(S, c0, &S->stats.density_cpu_time));
  S->stats.density_time = t1 - t0;
  S->density_done       = PETSC_TRUE;
  if (S->estimate) PetscCall(EstimateDensities(S));
  PetscCall(StkCPUTimeSince(S, c_all, &S->stats.density_all_cpu_time));
  PetscCall(PetscLogEventEnd(STK_EVENT_Density, 0, 0, 0, 0));
  PetscCall(PetscLogStagePop());
  if (StkSolverHasTimeSeries(S)) PetscCall(StkSolverEvolveDensity(S)); /* the density in time */
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverGetDrift(StkSolver S, Vec *b)
{
  PetscFunctionBeginUser;
  if (!S->drift) PetscCall(ComputeDrift(S));
  *b = S->drift;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverGetDensity(StkSolver S, Vec *g)
{
  PetscFunctionBeginUser;
  if (!S->density_done) PetscCall(StkSolverComputeDensity(S));
  *g = S->density;
  PetscFunctionReturn(0);
}
