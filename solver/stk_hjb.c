/* StkSolver: lifecycle, options and the policy-iteration (Howard) loop. */
#include "stk_hjbimpl.h"
#include "stk_options.h"
#include "stk_progress.h"
#include <string.h>

#define STK_STALL_WINDOW 6

const char *const StkGreedyTypes[] = {"closed_form", "exact", "StkGreedyType", "STK_GREEDY_", NULL};
const char *const StkSchemeTypes[] = {"upwind", "central_where_monotone", "StkSchemeType", "STK_SCHEME_", NULL};

PetscLogEvent STK_EVENT_Assemble, STK_EVENT_Improve, STK_EVENT_LinearSolve, STK_EVENT_Density, STK_EVENT_Write, STK_EVENT_Interpolate;
PetscLogStage STK_STAGE_Assemble, STK_STAGE_LinearSolve, STK_STAGE_Improve, STK_STAGE_Density, STK_STAGE_Output;

PetscErrorCode StkSolverRegisterEvents(void)
{
  static PetscBool registered = PETSC_FALSE; /* PETSc's own XxxInitializePackage idiom */
  PetscClassId     classid;

  PetscFunctionBeginUser;
  if (registered) PetscFunctionReturn(0);
  registered = PETSC_TRUE;
  PetscCall(PetscClassIdRegister("StkSolver", &classid));
  PetscCall(PetscLogEventRegister("StkAssemble", classid, &STK_EVENT_Assemble));
  PetscCall(PetscLogEventRegister("StkLinearSolve", classid, &STK_EVENT_LinearSolve));
  PetscCall(PetscLogEventRegister("StkImprove", classid, &STK_EVENT_Improve));
  PetscCall(PetscLogEventRegister("StkDensity", classid, &STK_EVENT_Density));
  PetscCall(PetscLogEventRegister("StkWrite", classid, &STK_EVENT_Write));
  PetscCall(PetscLogEventRegister("StkInterpolate", classid, &STK_EVENT_Interpolate));
  PetscCall(PetscLogStageRegister("HJB assembly", &STK_STAGE_Assemble));
  PetscCall(PetscLogStageRegister("HJB linear solve", &STK_STAGE_LinearSolve));
  PetscCall(PetscLogStageRegister("HJB improvement", &STK_STAGE_Improve));
  PetscCall(PetscLogStageRegister("HJB density", &STK_STAGE_Density));
  PetscCall(PetscLogStageRegister("HJB output", &STK_STAGE_Output));
  PetscFunctionReturn(0);
}

/* The prefix the solver's options are read under, and its KSP's: USER + "hjb_". */
static PetscErrorCode SolverPrefix(StkSolver S, char pre[], size_t len)
{
  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixCompose(S->prefix, "hjb_", pre, len));
  PetscFunctionReturn(0);
}

/* The KSP follows the solver's prefix (so -hjb_ksp_type, -bear_hjb_ksp_type, ...). */
static PetscErrorCode UpdateKSPPrefix(StkSolver S)
{
  char pre[256];

  PetscFunctionBeginUser;
  PetscCall(SolverPrefix(S, pre, sizeof(pre)));
  PetscCall(KSPSetOptionsPrefix(S->ksp, pre));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverCreate(MPI_Comm comm, StkSolver *solver)
{
  StkSolver S;

  PetscFunctionBeginUser;
  PetscCall(StkSolverRegisterEvents());
  PetscCall(PetscNew(&S));
  S->comm          = comm;
  S->rtol          = 1e-8;
  S->ksp_rtol      = 0;
  S->max_it        = 50;
  S->exact_samples = 33;
  S->greedy        = STK_GREEDY_CLOSED_FORM;
  S->sequence      = 4;
  S->sequence_rtol = 1e-6;
  S->forcing       = 1e-3;
  /* issue 14: each changes V only within the certificate (docs/performance.md) */
  S->pc_reuse_below = 1e-2;
  S->greedy_newton  = PETSC_TRUE;
  S->linear_target  = 0.5; /* half rtol: 1 landed at 1.06 rtol once (257^2, 2 ranks), one more Howard step */
  S->estimate      = PETSC_TRUE;
  S->target_max_nodes = 4000000;
  PetscCall(PetscMemoryGetCurrentUsage(&S->memory_at_create));
  PetscCall(KSPCreate(comm, &S->ksp));
  PetscCall(UpdateKSPPrefix(S));
  *solver = S;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverSetOptionsPrefix(StkSolver S, const char prefix[])
{
  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixSet(&S->prefix, prefix));
  PetscCall(UpdateKSPPrefix(S));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverAppendOptionsPrefix(StkSolver S, const char prefix[])
{
  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixAppend(&S->prefix, prefix));
  PetscCall(UpdateKSPPrefix(S));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverGetOptionsPrefix(StkSolver S, const char *prefix[])
{
  PetscFunctionBeginUser;
  *prefix = S->prefix;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverSetModel(StkSolver S, StkModel model)
{
  PetscFunctionBeginUser;
  S->model = model;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverSetGrid(StkSolver S, StkGrid grid)
{
  PetscFunctionBeginUser;
  S->grid = grid;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverSetFromOptions(StkSolver S)
{
  char      pre[256];
  PetscBool target_set = PETSC_FALSE;

  PetscFunctionBeginUser;
  PetscCall(SolverPrefix(S, pre, sizeof(pre)));
  PetscOptionsBegin(S->comm, pre, "HJB policy iteration (docs/model.md#policy-iteration)", NULL);
  PetscCall(PetscOptionsReal("-rtol", "Relative tolerance: stop when the relative change of V and the relative HJB residual are below it (or the policy is unchanged)", "", S->rtol, &S->rtol, NULL));
  PetscCall(PetscOptionsReal("-linear_rtol", "Relative tolerance of each linear solve (0: automatic, 0.01 rtol / sqrt(nodes))", "", S->ksp_rtol_option, &S->ksp_rtol_option, NULL));
  PetscCall(PetscOptionsReal("-pc_reuse_below", "Keep the preconditioner (AMG hierarchy) of the previous Howard step while the relative HJB residual is below this (the policy changes little); rebuilt when a solve needs more than twice the iterations of the last fresh one (0: rebuild every step)", "", S->pc_reuse_below, &S->pc_reuse_below, NULL));
  PetscCall(PetscOptionsReal("-linear_forcing", "Inexact policy evaluation: each linear solve reduces its initial residual (the HJB residual of V under the new policy) by this factor, down to the accuracy of -hjb_linear_rtol (0: always -hjb_linear_rtol)", "", S->forcing, &S->forcing, NULL));
  PetscCall(PetscOptionsReal("-linear_target", "On the user's grid, stop each linear solve once its residual has fallen by this x rtol / (the HJB residual it starts from): what the HJB tolerance needs, not more, where -hjb_linear_forcing asks for more (1: as if the 2-norm and the max-norm fell alike, 0.5: with a margin; 0: off; no effect with -hjb_linear_forcing 0)", "", S->linear_target, &S->linear_target, &target_set));
  PetscCall(PetscOptionsInt("-max_it", "Maximum number of Howard iterations", "", S->max_it, &S->max_it, NULL));
  PetscCall(PetscOptionsInt("-sequence", "Grid sequencing: number of coarser grids (each halving the spacing) solved first, their V and u interpolated up", "", S->sequence, &S->sequence, &S->sequence_set));
  PetscCall(PetscOptionsReal("-sequence_rtol", "Relative tolerance of policy iteration on the coarse grids of a sequence (at least -hjb_rtol)", "", S->sequence_rtol, &S->sequence_rtol, NULL));
  PetscCall(PetscOptionsEnum("-greedy", "Policy improvement: closed_form (greedy map with upwind choice) or exact (safeguarded 1-D minimization)", "", StkGreedyTypes, (PetscEnum)S->greedy, (PetscEnum *)&S->greedy, NULL));
  PetscCall(PetscOptionsBool("-greedy_newton", "Closed-form improvement: the greedy map's fixed points by Newton's method with the map's analytic slope from warm starts (models that provide it: staking; the secant elsewhere), one side of the upwind choice where the drift's sign decides; about half the improvement's work, the same V to round-off (not bitwise; 0: the secant path)", "", S->greedy_newton, &S->greedy_newton, NULL));
  PetscCall(PetscOptionsBool("-central", "Central drift differences wherever the row stays monotone (|b| h <= sigma^2), upwind elsewhere (0: upwind everywhere)", "", S->central, &S->central, NULL));
  PetscCall(PetscOptionsInt("-exact_samples", "Uniform samples of the control interval that bracket the exact minimizer", "", S->exact_samples, &S->exact_samples, NULL));
  PetscCall(PetscOptionsBool("-monitor", "Print one line per Howard iteration", "", S->monitor, &S->monitor, NULL));
  PetscCall(PetscOptionsBool("-progress", "Progress lines on stderr from the first iteration (otherwise after -progress_delay s)", "", S->progress, &S->progress, NULL));
  PetscCall(PetscOptionsBool("-error_estimate", "Estimate the discretization error from the coarser grids of the sequence (with -hjb_sequence 0: solve a coarser grid just for it)", "", S->estimate, &S->estimate, &S->estimate_set));
  PetscCall(PetscOptionsReal("-target_error", "Refine the grid (doubling the cells per direction) until the estimated max error of V, relative to max |V|, is below this (0: off)", "", S->target_error, &S->target_error, NULL));
  PetscCall(PetscOptionsInt("-target_max_nodes", "Node budget of -hjb_target_error: no refinement beyond it", "", S->target_max_nodes, &S->target_max_nodes, NULL));
  PetscCall(PetscOptionsBool("-bench", "After the solve, time one MatMult and one linear solve (from zero to 1e-8 with the policy evaluation's -hjb_ksp_*/-hjb_pc_* configuration) with the final matrix, the solve's stages and the peak memory (for benchmarks/)", "", S->bench, &S->bench, NULL));
  PetscCall(StkSolverHorizonOptions(S, PetscOptionsObject));
  PetscOptionsEnd();
  if (S->bench) PetscCall(PetscLogDefaultBegin()); /* the stage times of the bench line */
  PetscCheck(S->rtol > 0 && S->rtol < 1, S->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%srtol must lie in (0, 1), got %g", pre, (double)S->rtol);
  PetscCheck(S->max_it >= 1, S->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%smax_it must be >= 1, got %" PetscInt_FMT, pre, S->max_it);
  PetscCheck(S->exact_samples >= 3, S->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sexact_samples must be >= 3, got %" PetscInt_FMT, pre, S->exact_samples);
  PetscCheck(S->sequence >= 0 && S->sequence <= 10, S->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%ssequence must lie in [0, 10], got %" PetscInt_FMT, pre, S->sequence);
  PetscCheck(S->sequence_rtol > 0 && S->sequence_rtol < 1, S->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%ssequence_rtol must lie in (0, 1), got %g", pre, (double)S->sequence_rtol);
  PetscCheck(S->pc_reuse_below >= 0 && S->pc_reuse_below < 1, S->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%spc_reuse_below: %g is out of range: must be a relative HJB residual in [0, 1) (0: off)", pre, (double)S->pc_reuse_below);
  PetscCheck(S->forcing >= 0 && S->forcing < 1, S->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%slinear_forcing must lie in [0, 1), got %g", pre, (double)S->forcing);
  PetscCheck(S->ksp_rtol_option >= 0 && S->ksp_rtol_option < 1, S->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%slinear_rtol must lie in [0, 1), got %g", pre, (double)S->ksp_rtol_option);
  PetscCheck(S->linear_target >= 0 && S->linear_target <= 100, S->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%slinear_target: %g is out of range: must lie in [0, 100] (0: off)", pre, (double)S->linear_target);
  PetscCheck(!target_set || S->linear_target == 0 || S->forcing > 0, S->comm, PETSC_ERR_ARG_INCOMP, "-%slinear_target loosens inexact policy evaluation: it needs -%slinear_forcing > 0", pre, pre);
  PetscCheck(S->target_error >= 0 && S->target_error < 1, S->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%starget_error: %g is out of range: must be a relative error in (0, 1) (0: off)", pre, (double)S->target_error);
  PetscCheck(S->target_max_nodes >= 1, S->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%starget_max_nodes: %" PetscInt_FMT " is out of range: must be >= 1", pre, S->target_max_nodes);
  PetscCheck(S->target_error == 0 || S->estimate, S->comm, PETSC_ERR_ARG_INCOMP, "-%starget_error needs the error estimate: drop -%serror_estimate 0", pre, pre);
  PetscCall(StkSolverKFESetFromOptions(S));
  PetscCall(StkSolverConfigureKSP(S, NULL, NULL));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverConfigureKSP(StkSolver S, KSPType ksp_type, PCType pc_type)
{
  PC   pc;
  char pre[256];

  PetscFunctionBeginUser;
  PetscCall(SolverPrefix(S, pre, sizeof(pre)));
  S->ksp_rtol = S->ksp_rtol_option;
  if (S->ksp_rtol == 0) {
    /* The linear solves stop on the 2-norm; the HJB residual is a max-norm, up to
     * sqrt(N) times smaller relative to the right side.  Keep it 100x below rtol. */
    PetscInt nodes;
    PetscCall(StkGridGetNumNodes(S->grid, &nodes));
    S->ksp_rtol = PetscMax(S->rtol * 1e-2 / PetscSqrtReal((PetscReal)nodes), 1e-14);
  }
  PetscCheck(S->ksp_rtol > 0 && S->ksp_rtol < 1, S->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%slinear_rtol must lie in (0, 1), got %g", pre, (double)S->ksp_rtol);
  /* No divergence test: the previous V as initial guess can leave a residual far above
   * |rhs| when the policy jumps (e.g. the first iterations of -model merton), and GMRES
   * does not diverge. */
  PetscCall(KSPSetTolerances(S->ksp, S->ksp_rtol, 1e-300, PETSC_MAX_REAL, 10000));
  /* Right preconditioning: the stopping test then sees the true residual. */
  PetscCall(KSPSetType(S->ksp, ksp_type ? ksp_type : KSPGMRES));
  PetscCall(KSPSetPCSide(S->ksp, PC_RIGHT));
  PetscCall(KSPSetNormType(S->ksp, KSP_NORM_UNPRECONDITIONED));
  /* BoomerAMG handles these upwind M-matrices in ~10 iterations, mesh-independently
   * (docs/performance.md compares it with GAMG and direct solvers) */
  PetscCall(KSPGetPC(S->ksp, &pc));
  PetscCall(PCSetType(pc, pc_type ? pc_type : PCHYPRE));
  PetscCall(KSPSetFromOptions(S->ksp));
  /* -hjb_linear_forcing: the relative tolerance refers to the initial residual */
  if (S->forcing > 0) PetscCall(KSPConvergedDefaultSetUIRNorm(S->ksp));
  PetscFunctionReturn(0);
}

/* The myopic policy (greedy map with zero gradient) as the starting point. */
static PetscErrorCode InitialPolicy(StkSolver S, Vec u)
{
  PetscScalar   *ua;
  const PetscInt nu = S->model->nu;
  StkNode        node;

  PetscFunctionBeginUser;
  PetscCall(VecGetArray(u, &ua));
  for (PetscInt o = 0; o < S->layout.nowned; o++) {
    PetscReal uc[STK_MAX_CONTROLS];
    PetscCall(StkLayoutNode(S, o, &node));
    for (PetscInt c = 0; c < nu; c++) uc[c] = PetscMin(PetscMax(0, S->model->ulo[c]), S->model->uhi[c]);
    if (S->model->ops.greedy) /* without a greedy map: the control box's point nearest 0 */
      for (PetscInt c = 0; c < nu; c++) PetscCall(StkModelGreedy(S->model, node.x, c, 0.0, 0.0, uc, &uc[c]));
    for (PetscInt c = 0; c < nu; c++) ua[o * nu + c] = uc[c];
  }
  PetscCall(VecRestoreArray(u, &ua));
  PetscFunctionReturn(0);
}

/* An explicit -hjb_sequence K > 0 needs a grid that can be halved at least once. */
static PetscErrorCode StkSolverCheckSequence(StkSolver S)
{
  PetscInt  dim, n[STK_MAX_DIM];
  PetscBool can;
  char      pre[256], sizes[128] = "";

  PetscFunctionBeginUser;
  PetscCall(StkSolverCanCoarsen(S->grid, &can));
  if (can) PetscFunctionReturn(0);
  PetscCall(SolverPrefix(S, pre, sizeof(pre)));
  PetscCall(StkGridGetDimension(S->grid, &dim));
  PetscCall(StkGridGetSizes(S->grid, n));
  for (PetscInt k = 0; k < dim; k++) {
    char one[32];
    PetscCall(PetscSNPrintf(one, sizeof(one), k ? " x %" PetscInt_FMT : "%" PetscInt_FMT, n[k]));
    PetscCall(PetscStrlcat(sizes, one, sizeof(sizes)));
  }
  SETERRQ(S->comm, PETSC_ERR_USER_INPUT, "-%ssequence %" PetscInt_FMT ": grid sequencing needs a grid that can be halved (every n - 1 even, %d nodes or more after halving), got %s nodes; use n = 2^k + 1 (65, 129, 257, ...) or -%ssequence 0", pre, S->sequence, STK_SEQUENCE_MIN_NODES, sizes, pre);
}

PetscErrorCode StkSolverSetUp(StkSolver S)
{
  PetscFunctionBeginUser;
  if (S->setupcalled) PetscFunctionReturn(0);
  PetscCheck(S->model && S->grid, S->comm, PETSC_ERR_ORDER, "Set a model and a grid before StkSolverSetUp");
  PetscCall(StkModelSetUp(S->model));
  if (!S->model->ops.greedy && S->greedy == STK_GREEDY_CLOSED_FORM) { /* drift, diffusion and cost are enough */
    S->greedy      = STK_GREEDY_EXACT;
    S->greedy_auto = PETSC_TRUE;
  }
  PetscCall(StkGridSetUp(S->grid));
  if (S->sequence_set && S->sequence > 0 && S->level == 0) PetscCall(StkSolverCheckSequence(S));
  PetscCall(StkGridGetDM(S->grid, &S->da));
  PetscCall(PetscObjectReference((PetscObject)S->da));
  PetscCall(StkGridCreateComponentDM(S->grid, S->model->nu, &S->da_u));
  PetscCall(StkGridCreateComponentDM(S->grid, S->model->dim, &S->da_b));
  PetscCall(StkLayoutCreate(S->grid, &S->layout));
  PetscCall(DMCreateGlobalVector(S->da, &S->V));
  PetscCall(PetscObjectSetName((PetscObject)S->V, "value"));
  PetscCall(VecDuplicate(S->V, &S->V_old));
  PetscCall(VecDuplicate(S->V, &S->rhs));
  PetscCall(DMCreateLocalVector(S->da, &S->V_local));
  PetscCall(DMCreateGlobalVector(S->da_u, &S->u));
  PetscCall(PetscObjectSetName((PetscObject)S->u, "policy"));
  PetscCall(VecDuplicate(S->u, &S->u_new));
  PetscCall(DMCreateMatrix(S->da, &S->A));
  PetscCall(MatSetOption(S->A, MAT_NEW_NONZERO_ALLOCATION_ERR, PETSC_TRUE));
  PetscCall(KSPSetOperators(S->ksp, S->A, S->A));
  PetscCall(KSPSetInitialGuessNonzero(S->ksp, PETSC_TRUE));
  if (!S->have_guess) {
    PetscCall(InitialPolicy(S, S->u));
    PetscCall(VecSet(S->V, 0));
  }
  S->setupcalled = PETSC_TRUE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverSetInitialGuess(StkSolver S, Vec V, Vec u)
{
  PetscFunctionBeginUser;
  PetscCall(StkSolverSetUp(S));
  if (V) PetscCall(VecCopy(V, S->V));
  if (u) PetscCall(VecCopy(u, S->u));
  S->have_guess = PETSC_TRUE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverCreateMatrix(StkSolver S, Mat *A)
{
  PetscFunctionBeginUser;
  PetscCall(StkSolverSetUp(S));
  PetscCall(DMCreateMatrix(S->da, A));
  PetscFunctionReturn(0);
}

/* The relative HJB residual cannot be resolved below round-off in the largest row:
 * about eps max_i A_ii |V|_max / (rho |V|_max).  A tolerance under it is raised to it. */
static PetscErrorCode ResidualFloor(StkSolver S)
{
  PetscReal dmax;

  PetscFunctionBeginUser;
  PetscCall(MatGetDiagonal(S->A, S->rhs));
  PetscCall(VecNorm(S->rhs, NORM_INFINITY, &dmax));
  S->residual_floor = 100 * PETSC_MACHINE_EPSILON * dmax / S->model->rho;
  PetscFunctionReturn(0);
}

/* Inexact policy evaluation (an inexact Newton forcing term): far from the solution
 * the linear solve need only reduce its initial residual, which is the HJB residual of
 * the current V under the new policy, by -hjb_linear_forcing; it never goes below the
 * exact mode's absolute accuracy ksp_rtol |rhs|.  Returns whether the solve is exact. */
static PetscErrorCode SetLinearTolerance(StkSolver S, PetscBool *exact)
{
  PetscReal bnorm, reduction = S->forcing;

  PetscFunctionBeginUser;
  *exact = (PetscBool)(S->forcing <= 0);
  if (*exact) PetscCall(KSPSetTolerances(S->ksp, S->ksp_rtol, 1e-300, PETSC_DEFAULT, PETSC_DEFAULT));
  else {
    /* -hjb_linear_target: near the end the forcing asks for far more than rtol needs (the
     * last step ended 100x below it); the solve stops at what would bring the HJB residual
     * to linear_target x rtol if the max-norm fell as the 2-norm does (it falls faster
     * there).  Should it not, the next improvement sees it and the iteration goes on. */
    if (S->linear_target > 0 && S->level == 0 && S->stats.iterations >= 1 && S->stats.residual > 0) reduction = PetscMax(reduction, PetscMin(0.5, S->linear_target * S->rtol / S->stats.residual));
    PetscCall(VecNorm(S->rhs, NORM_2, &bnorm));
    PetscCall(KSPSetTolerances(S->ksp, reduction, PetscMax(S->ksp_rtol * bnorm, 1e-300), PETSC_DEFAULT, PETSC_DEFAULT));
  }
  PetscFunctionReturn(0);
}

/* -hjb_pc_reuse_below: near the solution the policy, hence the matrix, changes little, so
 * the previous step's hierarchy still preconditions well and its setup (~0.3 of a fine
 * Howard step) is saved.  The solve with the old hierarchy may take at most twice the
 * iterations of the last fresh one (+2); otherwise it is rebuilt and the solve continues
 * from where it stopped, to the same absolute target.  Returns the iterations. */
static PetscErrorCode SolveReusingPC(StkSolver S, PetscInt *its)
{
  KSPConvergedReason reason;
  PetscReal          rtol, abstol, dtol, r0, r1;
  PetscInt           maxit, more;
  Vec                r;

  PetscFunctionBeginUser;
  PetscCall(KSPGetTolerances(S->ksp, &rtol, &abstol, &dtol, &maxit));
  PetscCall(VecDuplicate(S->rhs, &r)); /* the initial residual, for the target of a restart */
  PetscCall(MatMult(S->A, S->V, r));
  PetscCall(VecAYPX(r, -1.0, S->rhs));
  PetscCall(VecNorm(r, NORM_2, &r0));
  PetscCall(VecDestroy(&r));
  PetscCall(KSPSetReusePreconditioner(S->ksp, PETSC_TRUE));
  PetscCall(KSPSetTolerances(S->ksp, rtol, abstol, dtol, 2 * S->pc_fresh_its + 2));
  PetscCall(KSPSolve(S->ksp, S->rhs, S->V));
  PetscCall(KSPSetReusePreconditioner(S->ksp, PETSC_FALSE));
  PetscCall(KSPGetIterationNumber(S->ksp, its));
  PetscCall(KSPGetConvergedReason(S->ksp, &reason));
  if (reason != KSP_DIVERGED_ITS) {
    PetscCall(KSPSetTolerances(S->ksp, rtol, abstol, dtol, maxit));
    PetscFunctionReturn(0);
  }
  PetscCall(KSPGetResidualNorm(S->ksp, &r1));
  PetscCall(PetscInfo(NULL, "reused preconditioner: %" PetscInt_FMT " iterations did not reach the tolerance; rebuilding it\n", *its));
  PetscCall(KSPSetTolerances(S->ksp, PetscMin(0.5, rtol * r0 / PetscMax(r1, PETSC_SMALL)), abstol, dtol, maxit));
  PetscCall(KSPSolve(S->ksp, S->rhs, S->V)); /* the matrix changed: the PC is rebuilt */
  PetscCall(KSPGetIterationNumber(S->ksp, &more));
  PetscCall(KSPSetTolerances(S->ksp, rtol, abstol, dtol, maxit));
  S->pc_fresh_its = more;
  *its += more;
  PetscFunctionReturn(0);
}

/* Policy evaluation: solve (rho I - L(u)) V = l(u) for the current policy. */
static PetscErrorCode EvaluatePolicy(StkSolver S, PetscBool *exact)
{
  KSPConvergedReason reason;
  PetscInt           its, reused_its = 0;
  const char        *pre;

  PetscFunctionBeginUser;
  PetscCall(PetscLogStagePush(STK_STAGE_Assemble));
  PetscCall(StkSolverAssemble(S, S->u, S->A, S->rhs));
  PetscCall(KSPSetOperators(S->ksp, S->A, S->A));
  PetscCall(PetscLogStagePop());
  PetscCall(PetscLogStagePush(STK_STAGE_LinearSolve));
  PetscCall(SetLinearTolerance(S, exact));
  PetscCall(PetscLogEventBegin(STK_EVENT_LinearSolve, 0, 0, 0, 0));
  if (S->pc_reuse_below > 0 && S->pc_fresh_its >= 0 && S->stats.residual < S->pc_reuse_below) PetscCall(SolveReusingPC(S, &reused_its));
  else {
    PetscCall(KSPSolve(S->ksp, S->rhs, S->V));
    PetscCall(KSPGetIterationNumber(S->ksp, &S->pc_fresh_its));
  }
  PetscCall(ResidualFloor(S));
  PetscCall(PetscLogEventEnd(STK_EVENT_LinearSolve, 0, 0, 0, 0));
  PetscCall(PetscLogStagePop());
  PetscCall(KSPGetConvergedReason(S->ksp, &reason));
  PetscCall(KSPGetIterationNumber(S->ksp, &its));
  if (reused_its) its = reused_its;
  PetscCall(KSPGetOptionsPrefix(S->ksp, &pre));
  S->stats.ksp_iterations += its;
  PetscCheck(reason > 0, S->comm, PETSC_ERR_NOT_CONVERGED, "Policy evaluation: the linear solve diverged (%s after %" PetscInt_FMT " iterations); try -%spc_type lu or -%sksp_monitor", KSPConvergedReasons[reason], its, pre, pre);
  PetscFunctionReturn(0);
}

/* -hjb_monitor: one line per iteration on stdout; otherwise a progress line (stderr). */
static PetscErrorCode Monitor(StkSolver S, PetscInt it, PetscLogDouble t0, StkProgress progress)
{
  PetscLogDouble now;

  PetscFunctionBeginUser;
  PetscCall(PetscTime(&now));
  if (S->monitor)
    PetscCall(PetscPrintf(S->comm, "  %3" PetscInt_FMT " HJB |dV|/|V| %9.3e residual %9.3e policy changes %8" PetscInt_FMT " ksp its %5" PetscInt_FMT " time %8.3f s\n", it, (double)S->stats.value_change, (double)S->stats.residual, S->stats.policy_changes, S->stats.ksp_iterations, now - t0));
  else {
    char grid[64] = "";
    for (PetscInt k = 0; k < S->model->dim; k++) PetscCall(PetscSNPrintf(grid + strlen(grid), sizeof(grid) - strlen(grid), "%s%" PetscInt_FMT, k ? " x " : "", S->layout.n[k]));
    PetscCall(StkProgressUpdate(progress, -1, "grid %s, Howard iteration %" PetscInt_FMT ", residual %.2e", grid, it, (double)S->stats.residual));
  }
  PetscFunctionReturn(0);
}

/* Policy iteration can cycle: with the central-where-monotone scheme the row of a node
 * switches between central and upwind with its control, so the discrete Hamiltonian is
 * discontinuous in u (the staking model on 101 x 17 nodes crept, its residual falling
 * ~15 % per iteration with ~1400 rows switching); where the Hamiltonian is not convex in u the closed-form greedy map can have
 * several fixed points (the "volatile" regime did, residual stuck near 2).  If the
 * residual has not dropped enough over the last STK_STALL_WINDOW iterations, the
 * remaining iterations use the upwind scheme (recorded in the file), then the exact
 * minimization. */
static PetscErrorCode SwitchIfStalled(StkSolver S, PetscInt it, PetscReal recent[])
{
  const PetscReal old = recent[it % STK_STALL_WINDOW];
  char            pre[256];

  PetscFunctionBeginUser;
  recent[it % STK_STALL_WINDOW] = S->stats.residual;
  /* policy iteration converges superlinearly when it works: with the central scheme a
   * residual that has not dropped 10x in the window creeps (rows switching between
   * central and upwind), with the upwind scheme one that has not halved cycles */
  if (it - S->stall_reset <= STK_STALL_WINDOW || S->stats.residual < (S->central ? 0.1 : 0.5) * old) PetscFunctionReturn(0);
  PetscCall(SolverPrefix(S, pre, sizeof(pre)));
  if (S->central) {
    S->central = PETSC_FALSE;
    PetscCall(PetscInfo(NULL, "Howard iteration %" PetscInt_FMT ": residual %g has not halved in %d iterations; switching to the upwind scheme\n", it, (double)S->stats.residual, STK_STALL_WINDOW));
    if (S->monitor) PetscCall(PetscPrintf(S->comm, "  policy iteration stalled with the central-where-monotone scheme: continuing with the upwind scheme (-%scentral 0)\n", pre));
  } else if (S->greedy == STK_GREEDY_CLOSED_FORM) {
    S->greedy = STK_GREEDY_EXACT;
    PetscCall(PetscInfo(NULL, "Howard iteration %" PetscInt_FMT ": residual %g has not halved in %d iterations; switching to -%sgreedy exact\n", it, (double)S->stats.residual, STK_STALL_WINDOW, pre));
    if (S->monitor) PetscCall(PetscPrintf(S->comm, "  policy iteration stalled with the closed-form greedy map: continuing with -%sgreedy exact\n", pre));
  } else PetscFunctionReturn(0);
  S->stall_reset = it; /* a new window for the new rule */
  PetscFunctionReturn(0);
}

/* One Howard step: evaluate the policy, improve it, measure the change of V and the
 * relative HJB residual of the new V. */
static PetscErrorCode HowardStep(StkSolver S, PetscBool *exact)
{
  PetscReal vnorm, dnorm, res;

  PetscFunctionBeginUser;
  PetscCall(VecCopy(S->V, S->V_old));
  PetscCall(EvaluatePolicy(S, exact));
  PetscCall(VecAXPY(S->V_old, -1.0, S->V));
  PetscCall(VecNorm(S->V_old, NORM_INFINITY, &dnorm));
  PetscCall(VecNorm(S->V, NORM_INFINITY, &vnorm));
  PetscCall(PetscLogStagePush(STK_STAGE_Improve));
  PetscCall(DMGlobalToLocal(S->da, S->V, INSERT_VALUES, S->V_local));
  PetscCall(StkSchemeImprove(S, S->V_local, S->u, S->u_new, &res, &S->stats.policy_changes));
  PetscCall(PetscLogStagePop());
  S->stats.value_change = dnorm / PetscMax(vnorm, PETSC_SMALL);
  S->stats.residual     = res / PetscMax(S->model->rho * vnorm, PETSC_SMALL);
  PetscFunctionReturn(0);
}

/* Records this grid for the error estimate (the densities of the grids below come with
 * this grid's, StkSolverComputeDensity). */
static PetscErrorCode EstimateError(StkSolver S)
{
  PetscFunctionBeginUser;
  PetscCall(StkSolverRecordSolution(S));
  PetscCall(StkSolverUpdateEstimate(S));
  PetscFunctionReturn(0);
}

/* Policy iteration on the solver's grid (after the coarser grids of the sequence). */
PetscErrorCode StkSolverSolveOnGrid(StkSolver S)
{
  PetscLogDouble t0, t1, c0;
  PetscReal      recent[STK_STALL_WINDOW] = {0};
  StkProgress    progress;

  PetscFunctionBeginUser;
  PetscCall(StkSolverSetUp(S));
  PetscCall(PetscTime(&t0));
  PetscCall(StkCPUTime(&c0));
  S->stats.iterations = S->stats.ksp_iterations = 0;
  S->stats.coarse_levels = S->stats.coarse_iterations = S->stats.coarse_ksp_iterations = 0;
  S->stats.coarse_time = 0;
  S->stats.sequence    = S->have_guess ? 0 : S->sequence;
  S->stats.converged   = PETSC_FALSE;
  S->pc_fresh_its      = -1; /* the first step builds its preconditioner */
  S->stall_reset       = 0;
  if (!S->keep_chain) {
    PetscCall(PetscMemzero(S->chain, sizeof(S->chain)));
    PetscCall(StkSolverDestroy(&S->coarse)); /* of a previous solve */
  }
  PetscCall(StkProgressCreate(S->comm, "hjb", &progress));
  if (S->progress) PetscCall(StkProgressSetDelay(progress, 0));
  if (S->sequence > 0 && !S->have_guess) PetscCall(StkSolverSequence(S));
  else if (S->estimate && S->estimate_set && S->level == 0) PetscCall(StkSolverSolveCoarseForEstimate(S));
  for (PetscInt it = 1; it <= S->max_it; it++) {
    PetscBool exact = PETSC_FALSE;
    PetscCall(HowardStep(S, &exact));
    S->stats.iterations = it;
    PetscCall(Monitor(S, it, t0, progress));
    /* The value of an unchanged policy is the fixed point (if it was solved to the full
     * linear tolerance, not with -hjb_linear_forcing).  Otherwise the relative HJB
     * residual certifies the error: the scheme is monotone with discount rho, so
     * |V - V*| <= |rho V - min_u (l + A_u V)| / rho, i.e. the relative error of V is at
     * most the relative residual; a residual below rtol stops the iteration one
     * evaluation earlier than a small change of V would.  Where round-off keeps the
     * residual above rtol (the floor), a small change of V is required as well. */
    PetscCall(VecCopy(S->u_new, S->u)); /* the greedy policy of the current V */
    if ((S->stats.policy_changes == 0 && exact) || S->stats.residual < S->rtol || (S->stats.value_change < S->rtol && S->stats.residual < PetscMax(S->rtol, S->residual_floor))) {
      S->stats.converged = PETSC_TRUE;
      break;
    }
    PetscCall(SwitchIfStalled(S, it, recent));
  }
  PetscCall(StkProgressDestroy(&progress));
  PetscCall(PetscTime(&t1));
  PetscCall(StkCPUTimeSince(S, c0, &S->stats.solve_cpu_time));
  S->stats.solve_time = t1 - t0;
  S->solved           = PETSC_TRUE;
  S->density_done     = PETSC_FALSE;
  if (S->estimate) PetscCall(EstimateError(S));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverSolve(StkSolver S)
{
  PetscFunctionBeginUser;
  if (S->horizon.T > 0) PetscCall(StkSolverSolveHorizon(S));
  else if (S->target_error > 0 && S->level == 0) PetscCall(StkSolverSolveToTarget(S));
  else PetscCall(StkSolverSolveOnGrid(S));
  if (S->bench) PetscCall(StkSolverBenchmark(S));
  PetscFunctionReturn(0);
}


PetscErrorCode StkSolverView(StkSolver S, PetscViewer viewer)
{
  PetscFunctionBeginUser;
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(S->comm, &viewer));
  PetscCall(PetscViewerASCIIPrintf(viewer, "HJB policy iteration: greedy %s%s, rtol %g, max_it %" PetscInt_FMT "\n", StkGreedyTypes[S->greedy], S->greedy_auto ? " (the model has no greedy map)" : "", (double)S->rtol, S->max_it));
  PetscCall(PetscViewerASCIIPrintf(viewer, "  grid sequencing: up to %" PetscInt_FMT " coarser grids (rtol %g there); linear forcing %g, linear rtol %g\n", S->sequence, (double)PetscMax(S->rtol, S->sequence_rtol), (double)S->forcing, (double)S->ksp_rtol));
  if (S->linear_target > 0) PetscCall(PetscViewerASCIIPrintf(viewer, "  linear solves on the user's grid stop at %g x rtol / HJB residual (-hjb_linear_target)\n", (double)S->linear_target));
  if (S->pc_reuse_below > 0) PetscCall(PetscViewerASCIIPrintf(viewer, "  AMG hierarchy kept while the HJB residual is below %g (-hjb_pc_reuse_below)\n", (double)S->pc_reuse_below));
  if (S->solved)
    PetscCall(PetscViewerASCIIPrintf(viewer, "  %s after %" PetscInt_FMT " Howard iterations (%" PetscInt_FMT " linear iterations) on this grid, %" PetscInt_FMT " on %" PetscInt_FMT " coarser grids, residual %.3e, time %.3f s\n", S->stats.converged ? "converged" : "NOT converged", S->stats.iterations, S->stats.ksp_iterations, S->stats.coarse_iterations, S->stats.coarse_levels, (double)S->stats.residual, (double)S->stats.solve_time));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverDestroy(StkSolver *solver)
{
  StkSolver S = *solver;

  PetscFunctionBeginUser;
  if (!S) PetscFunctionReturn(0);
  PetscCall(KSPDestroy(&S->ksp));
  PetscCall(MatDestroy(&S->A));
  PetscCall(VecDestroy(&S->V));
  PetscCall(VecDestroy(&S->V_old));
  PetscCall(VecDestroy(&S->V_local));
  PetscCall(VecDestroy(&S->rhs));
  PetscCall(VecDestroy(&S->u));
  PetscCall(VecDestroy(&S->u_new));
  PetscCall(VecDestroy(&S->drift));
  PetscCall(VecDestroy(&S->density));
  PetscCall(VecDestroy(&S->V_coarse));
  PetscCall(StkSolverDestroy(&S->coarse));
  PetscCall(DMDestroy(&S->da));
  PetscCall(StkGridDestroy(&S->own_grid));
  PetscCall(DMDestroy(&S->da_u));
  PetscCall(DMDestroy(&S->da_b));
  PetscCall(StkSolverHorizonDestroy(S));
  PetscCall(PetscFree(S->prefix));
  PetscCall(PetscFree(*solver));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverGetStats(StkSolver S, StkSolverStats *stats)
{
  PetscFunctionBeginUser;
  *stats = S->stats;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverGetModel(StkSolver S, StkModel *model)
{
  PetscFunctionBeginUser;
  *model = S->model;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverGetGrid(StkSolver S, StkGrid *grid)
{
  PetscFunctionBeginUser;
  *grid = S->grid;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverGetKSP(StkSolver S, KSP *ksp)
{
  PetscFunctionBeginUser;
  *ksp = S->ksp;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverGetValue(StkSolver S, Vec *V)
{
  PetscFunctionBeginUser;
  *V = S->V;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverGetPolicy(StkSolver S, Vec *u)
{
  PetscFunctionBeginUser;
  *u = S->u;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverCreateForModel(MPI_Comm comm, StkModel model, StkGrid *grid, StkSolver *solver)
{
  PetscFunctionBeginUser;
  PetscCall(StkGridCreate(comm, grid));
  PetscCall(StkModelConfigureGrid(model, *grid));
  PetscCall(StkSolverCreate(comm, solver));
  PetscCall(StkSolverSetModel(*solver, model));
  PetscCall(StkSolverSetGrid(*solver, *grid));
  PetscCall(StkSolverSetFromOptions(*solver));
  PetscFunctionReturn(0);
}
