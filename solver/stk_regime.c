/* StkRegimeSolver: regime-switching systems (stk_regime.h).  One scalar StkSolver per
 * regime on the shared grid supplies the regime's scheme (assembly, policy improvement,
 * Hamiltonian); this object couples them in one matrix on a DMDA with M components per
 * node and runs policy iteration on the coupled system. */
#include "stk_hjbimpl.h"
#include "stk_regime.h"
#include "stk_riccati.h"
#include "stk_options.h"
#include "stk_version.h"
#include <string.h>

struct _p_StkRegimeSolver {
  MPI_Comm             comm;
  char                *prefix;
  PetscInt             M;
  StkModel            *models; /* borrowed */
  char               **names;
  PetscReal           *q;      /* M x M, diagonal 0 */
  StkGrid              grid;
  StkSolver           *S;      /* one scalar solver per regime: its scheme, V_i and u_i */
  DM                   da;     /* M components per node */
  Vec                  V, V_old, rhs, density;
  Mat                  A;
  KSP                  ksp;
  PetscReal           *pi;     /* regime probabilities of the density */
  PetscReal            rtol, ksp_rtol, ksp_rtol_option, residual_floor, rho_min;
  PetscInt             max_it, exact_samples;
  StkGreedyType        greedy;
  PetscBool            central, monitor, setupcalled, solved, density_done;
  StkRegimeSolverStats stats;
  /* the regime-switching LQ closed form (every regime lq) */
  PetscBool            has_exact;
  PetscInt             dim;
  PetscReal           *P, *c;
};

static PetscErrorCode SolverPrefix(StkRegimeSolver R, char pre[], size_t len)
{
  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixCompose(R->prefix, "hjb_", pre, len));
  PetscFunctionReturn(0);
}

PetscErrorCode StkRegimeSolverCreate(MPI_Comm comm, StkRegimeSolver *solver)
{
  StkRegimeSolver R;

  PetscFunctionBeginUser;
  PetscCall(StkSolverRegisterEvents());
  PetscCall(PetscNew(&R));
  R->comm          = comm;
  R->rtol          = 1e-8;
  R->max_it        = 50;
  R->exact_samples = 33;
  R->greedy        = STK_GREEDY_CLOSED_FORM;
  PetscCall(KSPCreate(comm, &R->ksp));
  PetscCall(KSPSetOptionsPrefix(R->ksp, "hjb_"));
  *solver = R;
  PetscFunctionReturn(0);
}

PetscErrorCode StkRegimeSolverSetOptionsPrefix(StkRegimeSolver R, const char prefix[])
{
  char pre[256];

  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixSet(&R->prefix, prefix));
  PetscCall(SolverPrefix(R, pre, sizeof(pre)));
  PetscCall(KSPSetOptionsPrefix(R->ksp, pre));
  PetscFunctionReturn(0);
}

PetscErrorCode StkRegimeSolverSetModels(StkRegimeSolver R, PetscInt M, const StkModel models[], const char *const names[])
{
  PetscFunctionBeginUser;
  PetscCheck(!R->setupcalled, R->comm, PETSC_ERR_ORDER, "Set the models before StkRegimeSolverSetUp");
  PetscCheck(M >= 1, R->comm, PETSC_ERR_ARG_OUTOFRANGE, "StkRegimeSolverSetModels: number of regimes must be >= 1, got %" PetscInt_FMT, M);
  for (PetscInt i = 1; i < M; i++) {
    PetscBool same;
    PetscCall(PetscStrcmp(models[i]->type, models[0]->type, &same));
    PetscCheck(same && models[i]->dim == models[0]->dim, R->comm, PETSC_ERR_ARG_INCOMP, "regime %" PetscInt_FMT " (%s) is model %s, %" PetscInt_FMT "-D, regime 0 (%s) is model %s, %" PetscInt_FMT "-D: every regime must have the same model type and dimension", i, names ? names[i] : "", models[i]->type, models[i]->dim, names ? names[0] : "", models[0]->type, models[0]->dim);
  }
  for (PetscInt i = 0; i < R->M; i++) PetscCall(PetscFree(R->names[i]));
  PetscCall(PetscFree(R->names));
  PetscCall(PetscFree(R->models));
  PetscCall(PetscFree(R->q));
  R->M = M;
  PetscCall(PetscMalloc1(M, &R->models));
  PetscCall(PetscCalloc1(M, &R->names));
  PetscCall(PetscCalloc1(M * M, &R->q));
  for (PetscInt i = 0; i < M; i++) {
    char def[32];
    R->models[i] = models[i];
    PetscCall(PetscSNPrintf(def, sizeof(def), "regime%" PetscInt_FMT, i));
    PetscCall(PetscStrallocpy(names && names[i] ? names[i] : def, &R->names[i]));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode StkRegimeSolverSetRates(StkRegimeSolver R, const PetscReal q[])
{
  PetscFunctionBeginUser;
  PetscCheck(R->M >= 1, R->comm, PETSC_ERR_ORDER, "Set the models before the rates");
  for (PetscInt i = 0; i < R->M; i++)
    for (PetscInt j = 0; j < R->M; j++) {
      if (i == j) continue;
      PetscCheck(q[i * R->M + j] >= 0 && PetscIsNormalReal(q[i * R->M + j] + 1), R->comm, PETSC_ERR_ARG_OUTOFRANGE, "switching rate q[%" PetscInt_FMT "][%" PetscInt_FMT "] (%s to %s): %g is out of range: rates must be finite and >= 0", i, j, R->names[i], R->names[j], (double)q[i * R->M + j]);
      R->q[i * R->M + j] = q[i * R->M + j];
    }
  PetscFunctionReturn(0);
}

PetscErrorCode StkRegimeConfigureGrid(PetscInt M, const StkModel models[], StkGrid grid)
{
  PetscInt  dim;
  PetscReal lo[STK_MAX_DIM], hi[STK_MAX_DIM];

  PetscFunctionBeginUser;
  PetscCall(StkModelConfigureGrid(models[0], grid)); /* reads the -grid_ options */
  PetscCall(StkModelGetDimension(models[0], &dim));
  PetscCall(StkModelGetDefaultBox(models[0], lo, hi));
  for (PetscInt i = 1; i < M; i++) {
    PetscReal l[STK_MAX_DIM], h[STK_MAX_DIM];
    PetscCall(StkModelSetUp(models[i]));
    PetscCall(StkModelGetDefaultBox(models[i], l, h));
    for (PetscInt k = 0; k < dim; k++) lo[k] = PetscMin(lo[k], l[k]), hi[k] = PetscMax(hi[k], h[k]);
  }
  PetscCall(StkGridSetBox(grid, lo, hi));
  PetscCall(StkGridSetFromOptions(grid)); /* again: the user's -grid_lo/-grid_hi win */
  PetscFunctionReturn(0);
}

PetscErrorCode StkRegimeSolverSetGrid(StkRegimeSolver R, StkGrid grid)
{
  PetscFunctionBeginUser;
  R->grid = grid;
  PetscFunctionReturn(0);
}

PetscErrorCode StkRegimeSolverSetFromOptions(StkRegimeSolver R)
{
  char pre[256];

  PetscFunctionBeginUser;
  PetscCall(SolverPrefix(R, pre, sizeof(pre)));
  PetscOptionsBegin(R->comm, pre, "Regime-switching HJB policy iteration (docs/model.md#regime-switching)", NULL);
  PetscCall(PetscOptionsReal("-rtol", "Relative tolerance: stop when the relative change of V and the relative HJB residual are below it (or the policy is unchanged)", "", R->rtol, &R->rtol, NULL));
  PetscCall(PetscOptionsReal("-linear_rtol", "Relative tolerance of each linear solve (0: automatic, 0.01 rtol / sqrt(unknowns))", "", R->ksp_rtol_option, &R->ksp_rtol_option, NULL));
  PetscCall(PetscOptionsInt("-max_it", "Maximum number of Howard iterations", "", R->max_it, &R->max_it, NULL));
  PetscCall(PetscOptionsEnum("-greedy", "Policy improvement: closed_form (greedy map with upwind choice) or exact (safeguarded 1-D minimization)", "", StkGreedyTypes, (PetscEnum)R->greedy, (PetscEnum *)&R->greedy, NULL));
  PetscCall(PetscOptionsBool("-central", "Central drift differences wherever the row stays monotone, upwind elsewhere", "", R->central, &R->central, NULL));
  PetscCall(PetscOptionsInt("-exact_samples", "Uniform samples of the control interval that bracket the exact minimizer", "", R->exact_samples, &R->exact_samples, NULL));
  PetscCall(PetscOptionsBool("-monitor", "Print one line per Howard iteration", "", R->monitor, &R->monitor, NULL));
  PetscOptionsEnd();
  PetscCheck(R->rtol > 0 && R->rtol < 1, R->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%srtol must lie in (0, 1), got %g", pre, (double)R->rtol);
  PetscCheck(R->max_it >= 1, R->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%smax_it must be >= 1, got %" PetscInt_FMT, pre, R->max_it);
  PetscCheck(R->exact_samples >= 3, R->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sexact_samples must be >= 3, got %" PetscInt_FMT, pre, R->exact_samples);
  PetscCheck(R->ksp_rtol_option >= 0 && R->ksp_rtol_option < 1, R->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%slinear_rtol must lie in [0, 1), got %g", pre, (double)R->ksp_rtol_option);
  {
    /* GMRES, right preconditioned (the stopping test sees the true residual), BoomerAMG,
     * as for the scalar solver; the user's -hjb_ksp_* and -hjb_pc_* on top */
    PC pc;
    PetscCall(KSPSetType(R->ksp, KSPGMRES));
    PetscCall(KSPSetPCSide(R->ksp, PC_RIGHT));
    PetscCall(KSPSetNormType(R->ksp, KSP_NORM_UNPRECONDITIONED));
    PetscCall(KSPGetPC(R->ksp, &pc));
    PetscCall(PCSetType(pc, PCHYPRE));
    PetscCall(KSPSetFromOptions(R->ksp));
  }
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* The regime-switching LQ closed form                                                   */

/* The LQ data of an lq model, read off its drift, diffusion and cost at unit vectors (exact:
 * they are polynomials of degree <= 2 with these coefficients). */
static PetscErrorCode ProbeLQ(StkModel m, PetscReal A[], PetscReal B[], PetscReal Q[], PetscReal Rc[], PetscReal Sigma[])
{
  const PetscInt d = m->dim;
  PetscReal      x[STK_MAX_DIM] = {0}, u[STK_MAX_CONTROLS] = {0}, b[STK_MAX_DIM], a[STK_MAX_DIM], l, l0;

  PetscFunctionBeginUser;
  PetscCall(StkModelCost(m, x, u, &l0));
  PetscCall(StkModelDiffusion(m, x, u, a));
  for (PetscInt k = 0; k < d; k++) Sigma[k] = PetscSqrtReal(2 * a[k]);
  for (PetscInt j = 0; j < d; j++) {
    x[j] = 1;
    PetscCall(StkModelDrift(m, x, u, b));
    for (PetscInt k = 0; k < d; k++) A[k * d + j] = b[k];
    PetscCall(StkModelCost(m, x, u, &l));
    Q[j * d + j] = l - l0;
    x[j] = 0;
  }
  for (PetscInt i = 0; i < d; i++)
    for (PetscInt j = i + 1; j < d; j++) {
      x[i] = x[j] = 1;
      PetscCall(StkModelCost(m, x, u, &l));
      Q[i * d + j] = Q[j * d + i] = 0.5 * (l - l0 - Q[i * d + i] - Q[j * d + j]);
      x[i] = x[j] = 0;
    }
  for (PetscInt c = 0; c < d; c++) {
    u[c] = 1;
    PetscCall(StkModelDrift(m, x, u, b));
    B[c] = b[c];
    PetscCall(StkModelCost(m, x, u, &l));
    Rc[c] = l - l0;
    u[c] = 0;
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode SetUpExact(StkRegimeSolver R)
{
  const PetscInt M = R->M, d = R->models[0]->dim, dd = d * d;
  PetscReal     *A, *B, *Q, *Rc, *Sigma, *rho;
  PetscBool      lq;

  PetscFunctionBeginUser;
  PetscCall(PetscStrcmp(R->models[0]->type, STK_MODEL_LQ, &lq));
  if (!lq) PetscFunctionReturn(0);
  R->has_exact = PETSC_TRUE;
  R->dim       = d;
  PetscCall(PetscMalloc2(M * dd, &R->P, M, &R->c));
  PetscCall(PetscMalloc6(M * dd, &A, M * d, &B, M * dd, &Q, M * d, &Rc, M * d, &Sigma, M, &rho));
  for (PetscInt i = 0; i < M; i++) {
    PetscCall(ProbeLQ(R->models[i], &A[i * dd], &B[i * d], &Q[i * dd], &Rc[i * d], &Sigma[i * d]));
    rho[i] = R->models[i]->rho;
  }
  PetscCall(StkRiccatiSolveCoupled(M, d, A, B, Q, Rc, Sigma, rho, R->q, R->P, R->c, NULL));
  PetscCall(PetscFree6(A, B, Q, Rc, Sigma, rho));
  PetscFunctionReturn(0);
}

PetscErrorCode StkRegimeSolverHasExactSolution(StkRegimeSolver R, PetscBool *has)
{
  PetscFunctionBeginUser;
  PetscCall(StkRegimeSolverSetUp(R));
  *has = R->has_exact;
  PetscFunctionReturn(0);
}

PetscErrorCode StkRegimeSolverExactValue(StkRegimeSolver R, PetscInt i, const PetscReal x[], PetscReal *V)
{
  const PetscInt   d  = R->dim;
  const PetscReal *P  = &R->P[i * d * d];

  PetscFunctionBeginUser;
  PetscCheck(R->has_exact, R->comm, PETSC_ERR_ARG_WRONGSTATE, "No closed form for these regimes (only when every regime is model lq)");
  *V = R->c[i];
  for (PetscInt a = 0; a < d; a++)
    for (PetscInt b = 0; b < d; b++) *V += x[a] * P[a * d + b] * x[b];
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* Set-up                                                                                */

static PetscErrorCode CreateRegimeSolvers(StkRegimeSolver R)
{
  PetscFunctionBeginUser;
  PetscCall(PetscCalloc1(R->M, &R->S));
  for (PetscInt i = 0; i < R->M; i++) {
    StkSolver S;
    PetscCall(StkSolverCreate(R->comm, &R->S[i]));
    S = R->S[i];
    PetscCall(StkSolverSetModel(S, R->models[i]));
    PetscCall(StkSolverSetGrid(S, R->grid));
    /* the coupled solver's scheme settings; the regime solvers read no options */
    S->greedy        = R->greedy;
    S->central       = R->central;
    S->exact_samples = R->exact_samples;
    S->greedy_newton = PETSC_FALSE; /* the secant: Newton is tested for the single-regime solver only */
    S->sequence      = 0;
    S->estimate      = PETSC_FALSE;
    PetscCall(StkSolverSetUp(S));
  }
  /* every StkSolverSetUp sets the shared grid up again, which rebuilds its coordinate
   * arrays: the layouts point to the final ones */
  for (PetscInt i = 0; i < R->M; i++) PetscCall(StkLayoutCreate(R->grid, &R->S[i]->layout));
  PetscFunctionReturn(0);
}

/* The coupled DMDA: a node's components couple with each other (switching), each only
 * with itself at the neighbours (the regime's own stencil). */
static PetscErrorCode CreateCoupledDM(StkRegimeSolver R)
{
  PetscInt *dfill, *ofill;
  const PetscInt M = R->M;

  PetscFunctionBeginUser;
  PetscCall(StkGridCreateComponentDM(R->grid, M, &R->da));
  if (M > 1) {
    PetscCall(PetscCalloc2(M * M, &dfill, M * M, &ofill));
    for (PetscInt i = 0; i < M * M; i++) dfill[i] = 1;
    for (PetscInt i = 0; i < M; i++) ofill[i * M + i] = 1;
    PetscCall(DMDASetBlockFills(R->da, dfill, ofill));
    PetscCall(PetscFree2(dfill, ofill));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode StkRegimeSolverSetUp(StkRegimeSolver R)
{
  PetscInt nodes;

  PetscFunctionBeginUser;
  if (R->setupcalled) PetscFunctionReturn(0);
  PetscCheck(R->M >= 1 && R->grid, R->comm, PETSC_ERR_ORDER, "Set the models and the grid before StkRegimeSolverSetUp");
  for (PetscInt i = 0; i < R->M; i++) PetscCall(StkModelSetUp(R->models[i]));
  PetscCall(StkGridSetUp(R->grid));
  R->rho_min = PETSC_MAX_REAL;
  for (PetscInt i = 0; i < R->M; i++) R->rho_min = PetscMin(R->rho_min, R->models[i]->rho);
  PetscCall(SetUpExact(R));
  PetscCall(CreateRegimeSolvers(R));
  PetscCall(CreateCoupledDM(R));
  PetscCall(DMCreateGlobalVector(R->da, &R->V));
  PetscCall(PetscObjectSetName((PetscObject)R->V, "value"));
  PetscCall(VecDuplicate(R->V, &R->V_old));
  PetscCall(VecDuplicate(R->V, &R->rhs));
  PetscCall(VecSet(R->V, 0));
  PetscCall(DMCreateMatrix(R->da, &R->A));
  PetscCall(MatSetOption(R->A, MAT_NEW_NONZERO_ALLOCATION_ERR, PETSC_TRUE));
  PetscCall(KSPSetOperators(R->ksp, R->A, R->A));
  PetscCall(KSPSetInitialGuessNonzero(R->ksp, PETSC_TRUE));
  PetscCall(PetscCalloc1(R->M, &R->pi));
  PetscCall(StkGridGetNumNodes(R->grid, &nodes));
  R->ksp_rtol = R->ksp_rtol_option > 0 ? R->ksp_rtol_option : PetscMax(R->rtol * 1e-2 / PetscSqrtReal((PetscReal)(nodes * R->M)), 1e-14);
  PetscCall(KSPSetTolerances(R->ksp, R->ksp_rtol, 1e-300, PETSC_MAX_REAL, 10000));
  R->stats.regimes = R->M;
  R->setupcalled   = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* The coupled operator                                                                  */

/* Row (node o, regime i) of the coupled matrix: the regime's own row (global scalar
 * columns c become M c + i), plus the switching unless the node is a Dirichlet node. */
static PetscErrorCode CopyRow(StkRegimeSolver R, PetscInt i, PetscInt r, PetscBool dirichlet)
{
  const PetscInt     M = R->M;
  const PetscInt    *cols;
  const PetscScalar *vals;
  PetscInt           ncols, gcols[2 * STK_MAX_DIM + 1 + 64], n = 0;
  PetscScalar        gvals[2 * STK_MAX_DIM + 1 + 64];
  const PetscInt     row = M * r + i;

  PetscFunctionBeginUser;
  PetscCheck(M <= 64, R->comm, PETSC_ERR_SUP, "at most 64 regimes, got %" PetscInt_FMT, M);
  PetscCall(MatGetRow(R->S[i]->A, r, &ncols, &cols, &vals));
  for (PetscInt k = 0; k < ncols; k++) {
    gcols[n]   = M * cols[k] + i;
    gvals[n++] = vals[k];
    if (cols[k] == r && !dirichlet)
      for (PetscInt j = 0; j < M; j++)
        if (j != i) gvals[n - 1] += R->q[i * M + j];
  }
  PetscCall(MatRestoreRow(R->S[i]->A, r, &ncols, &cols, &vals));
  if (!dirichlet)
    for (PetscInt j = 0; j < M; j++)
      if (j != i) {
        gcols[n]   = M * r + j;
        gvals[n++] = -R->q[i * M + j];
      }
  PetscCall(MatSetValues(R->A, 1, &row, n, gcols, gvals, INSERT_VALUES));
  PetscFunctionReturn(0);
}

/* A = the coupled operator for the current policies, rhs = the running costs (at
 * Dirichlet nodes rho_i g_i, with g_i the closed form where there is one). */
static PetscErrorCode AssembleCoupled(StkRegimeSolver R)
{
  const PetscInt M = R->M;
  PetscInt       rstart;
  PetscScalar   *ra;
  StkNode        node;

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < M; i++) PetscCall(StkSolverAssemble(R->S[i], R->S[i]->u, R->S[i]->A, R->S[i]->rhs));
  PetscCall(PetscLogEventBegin(STK_EVENT_Assemble, R->A, 0, 0, 0));
  PetscCall(MatZeroEntries(R->A));
  PetscCall(VecGetOwnershipRange(R->S[0]->V, &rstart, NULL));
  PetscCall(VecGetArray(R->rhs, &ra));
  for (PetscInt i = 0; i < M; i++) {
    StkSolver          S = R->S[i];
    const PetscScalar *si;
    PetscCall(VecGetArrayRead(S->rhs, &si));
    for (PetscInt o = 0; o < S->layout.nowned; o++) {
      PetscCall(StkLayoutNode(S, o, &node));
      PetscCall(CopyRow(R, i, rstart + o, node.dirichlet));
      ra[M * o + i] = si[o];
      if (node.dirichlet && R->has_exact) {
        PetscReal g;
        PetscCall(StkRegimeSolverExactValue(R, i, node.x, &g));
        ra[M * o + i] = R->models[i]->rho * g;
      }
    }
    PetscCall(VecRestoreArrayRead(S->rhs, &si));
  }
  PetscCall(VecRestoreArray(R->rhs, &ra));
  PetscCall(MatAssemblyBegin(R->A, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(R->A, MAT_FINAL_ASSEMBLY));
  PetscCall(PetscLogEventEnd(STK_EVENT_Assemble, R->A, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode StkRegimeSolverGetMatrix(StkRegimeSolver R, Mat *A)
{
  PetscFunctionBeginUser;
  PetscCall(StkRegimeSolverSetUp(R));
  PetscCall(AssembleCoupled(R));
  *A = R->A;
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* Policy iteration                                                                      */

static PetscErrorCode EvaluatePolicies(StkRegimeSolver R)
{
  KSPConvergedReason reason;
  PetscInt           its;
  PetscReal          dmax;
  char               pre[256];

  PetscFunctionBeginUser;
  PetscCall(PetscLogStagePush(STK_STAGE_Assemble));
  PetscCall(AssembleCoupled(R));
  PetscCall(KSPSetOperators(R->ksp, R->A, R->A));
  PetscCall(PetscLogStagePop());
  PetscCall(PetscLogStagePush(STK_STAGE_LinearSolve));
  PetscCall(PetscLogEventBegin(STK_EVENT_LinearSolve, 0, 0, 0, 0));
  PetscCall(KSPSolve(R->ksp, R->rhs, R->V));
  PetscCall(PetscLogEventEnd(STK_EVENT_LinearSolve, 0, 0, 0, 0));
  PetscCall(PetscLogStagePop());
  PetscCall(KSPGetConvergedReason(R->ksp, &reason));
  PetscCall(KSPGetIterationNumber(R->ksp, &its));
  R->stats.ksp_iterations += its;
  PetscCall(SolverPrefix(R, pre, sizeof(pre)));
  PetscCheck(reason > 0, R->comm, PETSC_ERR_NOT_CONVERGED, "Policy evaluation of the regime-switching system: the linear solve diverged (%s after %" PetscInt_FMT " iterations); try -%spc_type lu or -%sksp_monitor", KSPConvergedReasons[reason], its, pre, pre);
  /* the residual cannot be resolved below round-off in the largest row */
  PetscCall(MatGetDiagonal(R->A, R->rhs)); /* the right side is assembled afresh each time */
  PetscCall(VecNorm(R->rhs, NORM_INFINITY, &dmax));
  R->residual_floor = 100 * PETSC_MACHINE_EPSILON * dmax / R->rho_min;
  PetscFunctionReturn(0);
}

/* V_i (regime i's component of the coupled V) into the regime solver, and ghosted. */
static PetscErrorCode ScatterValues(StkRegimeSolver R)
{
  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < R->M; i++) {
    PetscCall(VecStrideGather(R->V, i, R->S[i]->V, INSERT_VALUES));
    PetscCall(DMGlobalToLocal(R->S[i]->da, R->S[i]->V, INSERT_VALUES, R->S[i]->V_local));
  }
  PetscFunctionReturn(0);
}

/* max over free nodes of |H_i(u_i) + sum_j q_ij (V_j - V_i)|, the coupled discrete
 * Hamiltonian of regime i at its policy u_i. */
static PetscErrorCode CoupledResidual(StkRegimeSolver R, PetscInt i, Vec u, PetscReal *res)
{
  StkSolver          S = R->S[i];
  const PetscInt     M = R->M, nu = S->model->nu;
  const PetscScalar *Vg, *ua, *Va;
  StkNode            node;

  PetscFunctionBeginUser;
  PetscCall(VecGetArrayRead(S->V_local, &Vg));
  PetscCall(VecGetArrayRead(u, &ua));
  PetscCall(VecGetArrayRead(R->V, &Va));
  for (PetscInt o = 0; o < S->layout.nowned; o++) {
    PetscReal H;
    PetscCall(StkLayoutNode(S, o, &node));
    if (node.dirichlet) continue;
    PetscCall(StkSchemeNodeHamiltonian(S, &node, Vg, &ua[o * nu], &H));
    for (PetscInt j = 0; j < M; j++)
      if (j != i) H += R->q[i * M + j] * (Va[M * o + j] - Va[M * o + i]);
    *res = PetscMax(*res, PetscAbsReal(H));
  }
  PetscCall(VecRestoreArrayRead(R->V, &Va));
  PetscCall(VecRestoreArrayRead(u, &ua));
  PetscCall(VecRestoreArrayRead(S->V_local, &Vg));
  PetscFunctionReturn(0);
}

/* Policy improvement per regime (the switching term does not depend on the control), and
 * the coupled residual at the improved policies. */
static PetscErrorCode ImprovePolicies(StkRegimeSolver R)
{
  PetscReal res = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscLogStagePush(STK_STAGE_Improve));
  PetscCall(ScatterValues(R));
  R->stats.policy_changes = 0;
  for (PetscInt i = 0; i < R->M; i++) {
    StkSolver S = R->S[i];
    PetscReal own;
    PetscInt  changed;
    PetscCall(StkSchemeImprove(S, S->V_local, S->u, S->u_new, &own, &changed));
    PetscCall(CoupledResidual(R, i, S->u_new, &res));
    PetscCall(VecCopy(S->u_new, S->u));
    R->stats.policy_changes += changed;
  }
  PetscCall(MPIU_Allreduce(MPI_IN_PLACE, &res, 1, MPIU_REAL, MPIU_MAX, R->comm));
  PetscCall(PetscLogStagePop());
  R->stats.residual = res;
  PetscFunctionReturn(0);
}

PetscErrorCode StkRegimeSolverSolve(StkRegimeSolver R)
{
  PetscLogDouble t0, t1;

  PetscFunctionBeginUser;
  PetscCall(StkRegimeSolverSetUp(R));
  PetscCall(PetscTime(&t0));
  R->stats.iterations = R->stats.ksp_iterations = 0;
  R->stats.converged  = PETSC_FALSE;
  for (PetscInt it = 1; it <= R->max_it; it++) {
    PetscReal vnorm, dnorm;
    PetscCall(VecCopy(R->V, R->V_old));
    PetscCall(EvaluatePolicies(R));
    PetscCall(VecAYPX(R->V_old, -1.0, R->V));
    PetscCall(VecNorm(R->V_old, NORM_INFINITY, &dnorm));
    PetscCall(VecNorm(R->V, NORM_INFINITY, &vnorm));
    PetscCall(ImprovePolicies(R));
    R->stats.iterations   = it;
    R->stats.value_change = dnorm / PetscMax(vnorm, PETSC_SMALL);
    R->stats.residual     = R->stats.residual / PetscMax(R->rho_min * vnorm, PETSC_SMALL);
    if (R->monitor) {
      PetscCall(PetscTime(&t1));
      PetscCall(PetscPrintf(R->comm, "  %3" PetscInt_FMT " regime HJB |dV|/|V| %9.3e residual %9.3e policy changes %8" PetscInt_FMT " ksp its %5" PetscInt_FMT " time %8.3f s\n", it, (double)R->stats.value_change, (double)R->stats.residual, R->stats.policy_changes, R->stats.ksp_iterations, t1 - t0));
    }
    /* as the scalar solver: the residual certifies the relative error of V (the coupled
     * scheme is monotone with discount >= min rho_i) */
    if (R->stats.policy_changes == 0 || R->stats.residual < R->rtol || (R->stats.value_change < R->rtol && R->stats.residual < PetscMax(R->rtol, R->residual_floor))) {
      R->stats.converged = PETSC_TRUE;
      break;
    }
  }
  PetscCall(ScatterValues(R)); /* V_i of the regime solvers: the returned values */
  for (PetscInt i = 0; i < R->M; i++) R->S[i]->solved = PETSC_TRUE;
  PetscCall(PetscTime(&t1));
  R->stats.solve_time = t1 - t0;
  R->solved           = PETSC_TRUE;
  R->density_done     = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* Joint stationary density                                                              */

/* The chain's own stationary distribution (pi' Q = 0, sum 1): where to pin the density. */
static PetscErrorCode ChainRegimeOfMostMass(StkRegimeSolver R, PetscInt *best)
{
  const PetscInt M = R->M;
  PetscReal      pi[64] = {0}, next[64];

  PetscFunctionBeginUser;
  /* power iteration on the uniformized chain P = I + Q / (1 + max rate) */
  PetscReal lam = 1;
  for (PetscInt i = 0; i < M; i++) {
    PetscReal out = 0;
    for (PetscInt j = 0; j < M; j++) out += j != i ? R->q[i * M + j] : 0;
    lam = PetscMax(lam, 2 * out);
  }
  for (PetscInt i = 0; i < M; i++) pi[i] = 1.0 / M;
  for (PetscInt it = 0; it < 20000; it++) {
    for (PetscInt j = 0; j < M; j++) next[j] = pi[j];
    for (PetscInt i = 0; i < M; i++)
      for (PetscInt j = 0; j < M; j++)
        if (j != i) {
          next[j] += pi[i] * R->q[i * M + j] / lam;
          next[i] -= pi[i] * R->q[i * M + j] / lam;
        }
    for (PetscInt j = 0; j < M; j++) pi[j] = next[j];
  }
  *best = 0;
  for (PetscInt i = 1; i < M; i++)
    if (pi[i] > pi[*best]) *best = i;
  PetscFunctionReturn(0);
}

/* Whether every regime reaches every other through positive rates (then, and only then,
 * the joint stationary density is unique). */
static PetscBool ChainIsIrreducible(StkRegimeSolver R)
{
  const PetscInt M = R->M;

  for (PetscInt s = 0; s < M; s++) {
    PetscBool reach[64] = {PETSC_FALSE}, grew = PETSC_TRUE;
    reach[s] = PETSC_TRUE;
    while (grew) {
      grew = PETSC_FALSE;
      for (PetscInt i = 0; i < M; i++)
        for (PetscInt j = 0; j < M; j++)
          if (reach[i] && !reach[j] && R->q[i * M + j] > 0) reach[j] = grew = PETSC_TRUE;
    }
    for (PetscInt j = 0; j < M; j++)
      if (!reach[j]) return PETSC_FALSE;
  }
  return PETSC_TRUE;
}

/* The node where the closed-loop drift of regime `reg` is smallest relative to the box. */
static PetscErrorCode PinnedNode(StkRegimeSolver R, PetscInt reg, PetscInt *row)
{
  StkSolver          S = R->S[reg];
  const PetscInt     dim = S->model->dim, nu = S->model->nu;
  const PetscScalar *ua;
  StkNode            node;
  PetscInt           rstart;
  struct {
    double v;
    int    i;
  } best = {PETSC_MAX_REAL, 0};

  PetscFunctionBeginUser;
  PetscCall(VecGetOwnershipRange(S->V, &rstart, NULL));
  PetscCall(VecGetArrayRead(S->u, &ua));
  for (PetscInt o = 0; o < S->layout.nowned; o++) {
    PetscReal b[STK_MAX_DIM];
    double    v = 0;
    PetscCall(StkLayoutNode(S, o, &node));
    PetscCall(StkModelDrift(S->model, node.x, &ua[o * nu], b));
    for (PetscInt k = 0; k < dim; k++) v += PetscAbsReal(b[k]) / (S->layout.x[k][S->layout.n[k] - 1] - S->layout.x[k][0]);
    if (v < best.v) {
      best.v = v;
      best.i = (int)(rstart + o);
    }
  }
  PetscCall(VecRestoreArrayRead(S->u, &ua));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &best, 1, MPI_DOUBLE_INT, MPI_MINLOC, R->comm));
  *row = R->M * best.i + reg;
  PetscFunctionReturn(0);
}

/* p (probabilities, summing to 1 over nodes and regimes) to the density g = p / |cell|,
 * and the regime probabilities. */
static PetscErrorCode NormalizeDensity(StkRegimeSolver R)
{
  const PetscInt   M = R->M, dim = R->models[0]->dim;
  const PetscReal *w[STK_MAX_DIM];
  PetscScalar     *ga;
  PetscReal        sum;
  StkNode          node;

  PetscFunctionBeginUser;
  PetscCall(VecSum(R->density, &sum));
  PetscCall(VecScale(R->density, 1.0 / sum));
  for (PetscInt k = 0; k < dim; k++) PetscCall(StkGridGetDualWidths(R->grid, k, &w[k]));
  for (PetscInt i = 0; i < M; i++) R->pi[i] = 0;
  PetscCall(VecGetArray(R->density, &ga));
  for (PetscInt o = 0; o < R->S[0]->layout.nowned; o++) {
    PetscReal vol = 1;
    PetscCall(StkLayoutNode(R->S[0], o, &node));
    for (PetscInt k = 0; k < dim; k++) vol *= w[k][node.idx[k]];
    for (PetscInt i = 0; i < M; i++) {
      R->pi[i] += PetscRealPart(ga[M * o + i]);
      ga[M * o + i] /= vol;
    }
  }
  PetscCall(VecRestoreArray(R->density, &ga));
  PetscCall(MPIU_Allreduce(MPI_IN_PLACE, R->pi, (PetscMPIInt)M, MPIU_REAL, MPIU_SUM, R->comm));
  PetscFunctionReturn(0);
}

static PetscErrorCode SolveJointForwardEquation(StkRegimeSolver R)
{
  const PetscInt     M = R->M;
  Mat                At;
  Vec                rhs, shift;
  KSP                ksp;
  PC                 pc;
  PetscInt           reg, row;
  PetscScalar       *sa;
  KSPConvergedReason reason;

  PetscFunctionBeginUser;
  /* A = diag(rho_i) - G with G the generator (switching included): G^T = diag(rho_i) - A^T */
  PetscCall(AssembleCoupled(R));
  PetscCall(MatTranspose(R->A, MAT_INITIAL_MATRIX, &At));
  PetscCall(VecDuplicate(R->V, &shift));
  PetscCall(VecGetArray(shift, &sa));
  for (PetscInt o = 0; o < R->S[0]->layout.nowned; o++)
    for (PetscInt i = 0; i < M; i++) sa[M * o + i] = -R->models[i]->rho;
  PetscCall(VecRestoreArray(shift, &sa));
  PetscCall(MatDiagonalSet(At, shift, ADD_VALUES));
  PetscCall(VecDestroy(&shift));
  PetscCall(ChainRegimeOfMostMass(R, &reg));
  PetscCall(PinnedNode(R, reg, &row));
  PetscCall(MatZeroRows(At, 1, &row, 1.0, NULL, NULL));
  PetscCall(VecDuplicate(R->V, &rhs));
  PetscCall(VecSet(rhs, 0));
  PetscCall(VecSetValue(rhs, row, 1.0, INSERT_VALUES));
  PetscCall(VecAssemblyBegin(rhs));
  PetscCall(VecAssemblyEnd(rhs));
  PetscCall(KSPCreate(R->comm, &ksp));
  PetscCall(KSPSetOptionsPrefix(ksp, "density_"));
  PetscCall(KSPSetOperators(ksp, At, At));
  PetscCall(KSPSetTolerances(ksp, 1e-12, 1e-300, PETSC_DEFAULT, 10000));
  PetscCall(KSPGetPC(ksp, &pc));
  PetscCall(PCSetType(pc, PCHYPRE));
  PetscCall(KSPSetFromOptions(ksp));
  PetscCall(KSPSolve(ksp, rhs, R->density));
  PetscCall(KSPGetConvergedReason(ksp, &reason));
  PetscCheck(reason > 0, R->comm, PETSC_ERR_NOT_CONVERGED, "Joint stationary density: the linear solve failed (%s); try -density_pc_type lu", KSPConvergedReasons[reason]);
  PetscCall(NormalizeDensity(R));
  PetscCall(KSPDestroy(&ksp));
  PetscCall(VecDestroy(&rhs));
  PetscCall(MatDestroy(&At));
  PetscFunctionReturn(0);
}

PetscErrorCode StkRegimeSolverComputeDensity(StkRegimeSolver R)
{
  PetscLogDouble t0, t1;
  PetscBool      absorbing = PETSC_FALSE;
  StkModel       m;

  PetscFunctionBeginUser;
  PetscCheck(R->solved, R->comm, PETSC_ERR_ORDER, "Solve before computing the joint stationary density");
  PetscCall(PetscLogStagePush(STK_STAGE_Density));
  PetscCall(PetscTime(&t0));
  if (!R->density) {
    PetscCall(VecDuplicate(R->V, &R->density));
    PetscCall(PetscObjectSetName((PetscObject)R->density, "density"));
  }
  m = R->models[0];
  for (PetscInt k = 0; k < m->dim; k++) absorbing = (PetscBool)(absorbing || m->bc[k][0] == STK_BC_DIRICHLET || m->bc[k][1] == STK_BC_DIRICHLET);
  /* Dirichlet faces absorb the process; a chain that is not irreducible (e.g. q = 0) has
   * one stationary density per closed class of regimes, so none is "the" density */
  if (absorbing || !ChainIsIrreducible(R)) {
    if (!absorbing) PetscCall(PetscInfo(NULL, "the regime chain is not irreducible: no unique joint stationary density (NaN)\n"));
    PetscCall(VecSet(R->density, NAN));
    for (PetscInt i = 0; i < R->M; i++) R->pi[i] = NAN;
  } else PetscCall(SolveJointForwardEquation(R));
  PetscCall(PetscTime(&t1));
  R->stats.density_time = t1 - t0;
  R->density_done       = PETSC_TRUE;
  PetscCall(PetscLogStagePop());
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* Output                                                                                */

static const char regime_group[] = "solution";

/* Component i of `coupled` (M per node) from the scalar `v`. */
static PetscErrorCode PutComponent(StkRegimeSolver R, Vec v, PetscInt i, Vec coupled)
{
  PetscFunctionBeginUser;
  PetscCall(VecStrideScatter(v, i, coupled, INSERT_VALUES));
  PetscFunctionReturn(0);
}

/* The policy as fields with a trailing regime dimension: "policy" for one control,
 * "policy_0", "policy_1", ... for several. */
static PetscErrorCode WritePolicies(StkRegimeSolver R, StkH5 file)
{
  const PetscInt nu = R->models[0]->nu;
  Vec            coupled, scalar;

  PetscFunctionBeginUser;
  PetscCall(VecDuplicate(R->V, &coupled));
  PetscCall(VecDuplicate(R->S[0]->V, &scalar));
  for (PetscInt c = 0; c < nu; c++) {
    char name[32], desc[96];
    for (PetscInt i = 0; i < R->M; i++) {
      if (nu == 1) PetscCall(PutComponent(R, R->S[i]->u, i, coupled));
      else {
        PetscCall(VecStrideGather(R->S[i]->u, c, scalar, INSERT_VALUES));
        PetscCall(PutComponent(R, scalar, i, coupled));
      }
    }
    if (nu == 1) PetscCall(PetscStrncpy(name, "policy", sizeof(name)));
    else PetscCall(PetscSNPrintf(name, sizeof(name), "policy_%" PetscInt_FMT, c));
    PetscCall(PetscSNPrintf(desc, sizeof(desc), "optimal control %" PetscInt_FMT " u*(x, regime)", c));
    PetscCall(StkH5WriteField(file, regime_group, name, R->grid, coupled, R->M, "regime", nu == 1 ? "1/yr" : "1", desc));
  }
  PetscCall(VecDestroy(&scalar));
  PetscCall(VecDestroy(&coupled));
  PetscFunctionReturn(0);
}

/* The density over the states, summed over the regimes (a scalar field). */
static PetscErrorCode WriteStateDensity(StkRegimeSolver R, StkH5 file)
{
  Vec g, gi;

  PetscFunctionBeginUser;
  PetscCall(VecDuplicate(R->S[0]->V, &g));
  PetscCall(VecDuplicate(g, &gi));
  PetscCall(VecSet(g, 0));
  for (PetscInt i = 0; i < R->M; i++) {
    PetscCall(VecStrideGather(R->density, i, gi, INSERT_VALUES));
    PetscCall(VecAXPY(g, 1.0, gi));
  }
  PetscCall(StkH5WriteField(file, regime_group, "density_state", R->grid, g, 1, NULL, "1", "stationary density of the states, summed over the regimes"));
  PetscCall(VecDestroy(&gi));
  PetscCall(VecDestroy(&g));
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteStatistics(StkRegimeSolver R, StkH5 file)
{
  PetscMPIInt size;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(R->comm, &size));
  PetscCall(StkH5WriteAttributeString(file, regime_group, "program", "stakehjb"));
  PetscCall(StkH5WriteAttributeString(file, regime_group, "version", STK_VERSION));
  PetscCall(StkH5WriteAttributeString(file, regime_group, "greedy", StkGreedyTypes[R->greedy]));
  PetscCall(StkH5WriteAttributeString(file, regime_group, "scheme", StkSchemeTypes[R->central ? STK_SCHEME_CENTRAL : STK_SCHEME_UPWIND]));
  PetscCall(StkH5WriteAttributeInt(file, regime_group, "regimes", R->M));
  PetscCall(StkH5WriteAttributeInt(file, regime_group, "iterations", R->stats.iterations));
  PetscCall(StkH5WriteAttributeInt(file, regime_group, "ksp_iterations", R->stats.ksp_iterations));
  PetscCall(StkH5WriteAttributeInt(file, regime_group, "converged", R->stats.converged));
  PetscCall(StkH5WriteAttributeReal(file, regime_group, "residual", R->stats.residual, "1"));
  PetscCall(StkH5WriteAttributeReal(file, regime_group, "value_change", R->stats.value_change, "1"));
  PetscCall(StkH5WriteAttributeReal(file, regime_group, "rtol", R->rtol, "1"));
  PetscCall(StkH5WriteAttributeReal(file, regime_group, "wall_time", R->stats.solve_time, "s"));
  PetscCall(StkH5WriteAttributeReal(file, regime_group, "density_time", R->stats.density_time, "s"));
  PetscCall(StkH5WriteAttributeInt(file, regime_group, "ranks", size));
  PetscFunctionReturn(0);
}

/* The regime coordinate: its index scale (written with the first field) described by
 * the names, the names as a group attribute, each regime's model in its own group. */
static PetscErrorCode WriteRegimes(StkRegimeSolver R, StkH5 file)
{
  char   names[1024] = "", long_name[1200];
  size_t len;

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < R->M; i++) {
    char group[300];
    if (i) PetscCall(PetscStrlcat(names, ",", sizeof(names)));
    PetscCall(PetscStrlcat(names, R->names[i], sizeof(names)));
    PetscCall(PetscSNPrintf(group, sizeof(group), "%s/regimes/%s", regime_group, R->names[i]));
    PetscCall(StkModelWriteAttributes(R->models[i], file, group));
    PetscCall(StkH5WriteAttributeInt(file, group, "index", i));
  }
  PetscCall(StkH5WriteAttributeString(file, regime_group, "regime_names", names));
  PetscCall(PetscSNPrintf(long_name, sizeof(long_name), "regime index: "));
  for (PetscInt i = 0; i < R->M; i++) {
    PetscCall(PetscStrlen(long_name, &len));
    PetscCall(PetscSNPrintf(long_name + len, sizeof(long_name) - len, "%s%" PetscInt_FMT " %s", i ? ", " : "", i, R->names[i]));
  }
  PetscCall(StkH5WriteVariableAttributes(file, regime_group, "regime", "1", long_name));
  PetscCall(StkH5WriteArray2D(file, regime_group, "rates", "regime", "regime", R->M, R->M, R->q, "1/yr", "switching intensities q_ij from regime i (row) to regime j (column); diagonal 0"));
  PetscCall(StkH5WriteArray(file, regime_group, "regime_probability", "regime", R->M, R->pi, "1", "stationary probability of each regime under the joint density"));
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteAll(StkRegimeSolver R, StkH5 file)
{
  PetscFunctionBeginUser;
  PetscCall(StkH5WriteGrid(file, regime_group, R->grid));
  for (PetscInt k = 0; k < R->models[0]->dim; k++) {
    const char *name, *units, *long_name;
    PetscCall(StkGridGetName(R->grid, k, &name));
    PetscCall(StkModelGetStateUnits(R->models[0], k, &units, &long_name));
    PetscCall(StkH5WriteVariableAttributes(file, regime_group, name, units, long_name));
  }
  PetscCall(StkH5WriteField(file, regime_group, "value", R->grid, R->V, R->M, "regime", "1", "value function V(x, regime): discounted expected cost"));
  PetscCall(WritePolicies(R, file));
  PetscCall(StkH5WriteField(file, regime_group, "density", R->grid, R->density, R->M, "regime", "1", "joint stationary density of (x, regime): integrates to 1 over the states, summed over the regimes (NaN where the boundary absorbs)"));
  PetscCall(WriteStateDensity(R, file));
  PetscCall(WriteRegimes(R, file));
  PetscCall(WriteStatistics(R, file));
  PetscFunctionReturn(0);
}

PetscErrorCode StkRegimeSolverWrite(StkRegimeSolver R, const char path[])
{
  const char    *fields[] = {"density_state"};
  StkH5          file;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCheck(R->solved, R->comm, PETSC_ERR_ORDER, "Solve before writing %s", path);
  if (!R->density_done) PetscCall(StkRegimeSolverComputeDensity(R));
  PetscCall(PetscLogStagePush(STK_STAGE_Output));
  PetscCall(StkH5Create(R->comm, path, &file));
  ierr = WriteAll(R, file);
  if (!ierr) ierr = StkH5Commit(file, regime_group, R->grid, 1, fields);
  PetscCall(StkH5Destroy(&file)); /* removes the temporary on failure */
  PetscCall(ierr);
  PetscCall(PetscLogStagePop());
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* Accessors, view, destroy                                                              */

PetscErrorCode StkRegimeSolverComputeError(StkRegimeSolver R, PetscReal *err, PetscReal *vmax)
{
  const PetscInt     M = R->M;
  const PetscScalar *Va;
  StkNode            node;
  PetscReal          e[2] = {0, 0};

  PetscFunctionBeginUser;
  PetscCheck(R->solved, R->comm, PETSC_ERR_ORDER, "Solve before computing the error");
  PetscCall(VecGetArrayRead(R->V, &Va));
  for (PetscInt o = 0; o < R->S[0]->layout.nowned; o++) {
    PetscCall(StkLayoutNode(R->S[0], o, &node));
    for (PetscInt i = 0; i < M; i++) {
      PetscReal Ve;
      PetscCall(StkRegimeSolverExactValue(R, i, node.x, &Ve));
      e[0] = PetscMax(e[0], PetscAbsReal(PetscRealPart(Va[M * o + i]) - Ve));
      e[1] = PetscMax(e[1], PetscAbsReal(Ve));
    }
  }
  PetscCall(VecRestoreArrayRead(R->V, &Va));
  PetscCall(MPIU_Allreduce(MPI_IN_PLACE, e, 2, MPIU_REAL, MPIU_MAX, R->comm));
  *err  = e[0];
  *vmax = e[1];
  PetscFunctionReturn(0);
}

PetscErrorCode StkRegimeSolverGetStats(StkRegimeSolver R, StkRegimeSolverStats *stats)
{
  PetscFunctionBeginUser;
  *stats = R->stats;
  PetscFunctionReturn(0);
}

PetscErrorCode StkRegimeSolverGetNumRegimes(StkRegimeSolver R, PetscInt *M)
{
  PetscFunctionBeginUser;
  *M = R->M;
  PetscFunctionReturn(0);
}

PetscErrorCode StkRegimeSolverGetRegimeName(StkRegimeSolver R, PetscInt i, const char **name)
{
  PetscFunctionBeginUser;
  PetscCheck(i >= 0 && i < R->M, R->comm, PETSC_ERR_ARG_OUTOFRANGE, "regime %" PetscInt_FMT " out of range [0, %" PetscInt_FMT ")", i, R->M);
  *name = R->names[i];
  PetscFunctionReturn(0);
}

PetscErrorCode StkRegimeSolverGetGrid(StkRegimeSolver R, StkGrid *grid)
{
  PetscFunctionBeginUser;
  *grid = R->grid;
  PetscFunctionReturn(0);
}

PetscErrorCode StkRegimeSolverGetValue(StkRegimeSolver R, PetscInt i, Vec *V)
{
  PetscFunctionBeginUser;
  PetscCheck(R->solved && i >= 0 && i < R->M, R->comm, PETSC_ERR_ARG_OUTOFRANGE, "regime %" PetscInt_FMT ": solve first, and ask for a regime in [0, %" PetscInt_FMT ")", i, R->M);
  *V = R->S[i]->V;
  PetscFunctionReturn(0);
}

PetscErrorCode StkRegimeSolverGetPolicy(StkRegimeSolver R, PetscInt i, Vec *u)
{
  PetscFunctionBeginUser;
  PetscCheck(R->solved && i >= 0 && i < R->M, R->comm, PETSC_ERR_ARG_OUTOFRANGE, "regime %" PetscInt_FMT ": solve first, and ask for a regime in [0, %" PetscInt_FMT ")", i, R->M);
  *u = R->S[i]->u;
  PetscFunctionReturn(0);
}

PetscErrorCode StkRegimeSolverGetCoupledValue(StkRegimeSolver R, Vec *V)
{
  PetscFunctionBeginUser;
  PetscCall(StkRegimeSolverSetUp(R));
  *V = R->V;
  PetscFunctionReturn(0);
}

PetscErrorCode StkRegimeSolverGetDensity(StkRegimeSolver R, Vec *g)
{
  PetscFunctionBeginUser;
  if (!R->density_done) PetscCall(StkRegimeSolverComputeDensity(R));
  *g = R->density;
  PetscFunctionReturn(0);
}

PetscErrorCode StkRegimeSolverGetRegimeProbabilities(StkRegimeSolver R, PetscReal pi[])
{
  PetscFunctionBeginUser;
  if (!R->density_done) PetscCall(StkRegimeSolverComputeDensity(R));
  PetscCall(PetscArraycpy(pi, R->pi, R->M));
  PetscFunctionReturn(0);
}

PetscErrorCode StkRegimeSolverView(StkRegimeSolver R, PetscViewer viewer)
{
  PetscFunctionBeginUser;
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(R->comm, &viewer));
  PetscCall(PetscViewerASCIIPrintf(viewer, "Regime-switching HJB policy iteration: %" PetscInt_FMT " regimes, greedy %s, rtol %g, max_it %" PetscInt_FMT "\n", R->M, StkGreedyTypes[R->greedy], (double)R->rtol, R->max_it));
  for (PetscInt i = 0; i < R->M; i++) {
    PetscCall(PetscViewerASCIIPrintf(viewer, "  regime %" PetscInt_FMT " %s: rates out", i, R->names[i]));
    for (PetscInt j = 0; j < R->M; j++) PetscCall(PetscViewerASCIIPrintf(viewer, " %g", (double)R->q[i * R->M + j]));
    PetscCall(PetscViewerASCIIPrintf(viewer, "\n"));
  }
  if (R->solved)
    PetscCall(PetscViewerASCIIPrintf(viewer, "  %s after %" PetscInt_FMT " Howard iterations (%" PetscInt_FMT " linear iterations), residual %.3e, time %.3f s\n", R->stats.converged ? "converged" : "NOT converged", R->stats.iterations, R->stats.ksp_iterations, (double)R->stats.residual, (double)R->stats.solve_time));
  PetscFunctionReturn(0);
}

PetscErrorCode StkRegimeSolverDestroy(StkRegimeSolver *solver)
{
  StkRegimeSolver R = *solver;

  PetscFunctionBeginUser;
  if (!R) PetscFunctionReturn(0);
  for (PetscInt i = 0; i < R->M; i++) {
    if (R->S) PetscCall(StkSolverDestroy(&R->S[i]));
    PetscCall(PetscFree(R->names[i]));
  }
  PetscCall(PetscFree(R->S));
  PetscCall(PetscFree(R->names));
  PetscCall(PetscFree(R->models));
  PetscCall(PetscFree(R->q));
  PetscCall(PetscFree(R->pi));
  if (R->has_exact) PetscCall(PetscFree2(R->P, R->c));
  PetscCall(KSPDestroy(&R->ksp));
  PetscCall(MatDestroy(&R->A));
  PetscCall(VecDestroy(&R->V));
  PetscCall(VecDestroy(&R->V_old));
  PetscCall(VecDestroy(&R->rhs));
  PetscCall(VecDestroy(&R->density));
  PetscCall(DMDestroy(&R->da));
  PetscCall(PetscFree(R->prefix));
  PetscCall(PetscFree(*solver));
  PetscFunctionReturn(0);
}
