/* -hjb_target_error (docs/accuracy.md): solve, and while the estimated max error of V
 * (relative to max |V|) is above the target, solve again on the grid with twice the
 * cells per direction, started from the interpolated solution; each solve's estimate
 * rests on the previous grids, as a sequence's would. */
#include "stk_hjbimpl.h"
#include "stk_options.h"

static PetscReal RelativeEstimate(StkSolver S)
{
  return S->est.value_max.error / PetscMax(S->est.value_max.value, PETSC_SMALL);
}

/* Nodes of the grid with twice the cells per direction. */
static PetscErrorCode RefinedNodes(StkGrid grid, PetscReal *nodes)
{
  PetscInt dim, n[STK_MAX_DIM];

  PetscFunctionBeginUser;
  PetscCall(StkGridGetDimension(grid, &dim));
  PetscCall(StkGridGetSizes(grid, n));
  *nodes = 1;
  for (PetscInt k = 0; k < dim; k++) *nodes *= (PetscReal)(2 * (n[k] - 1) + 1);
  PetscFunctionReturn(0);
}

/* A solver on the refined grid, configured like S (the user's tolerance), started from
 * S's solution, with S's records below it for the estimate. */
static PetscErrorCode CreateRefinedSolver(StkSolver S, StkGrid fine, StkSolver *F)
{
  StkSolver R;

  PetscFunctionBeginUser;
  PetscCall(StkSolverCreateLike(S, fine, &R));
  R->rtol       = S->rtol;
  R->level      = 0;
  R->sequence   = 0;
  R->bench      = PETSC_FALSE;
  R->own_grid   = fine;
  R->keep_chain = PETSC_TRUE;
  PetscCall(StkSolverSetUp(R));
  PetscCall(StkSolverInterpolateFrom(S, R, R->V, R->u));
  R->have_guess = PETSC_TRUE;
  PetscCall(StkSolverKeepForEstimate(S, R, R->V));
  *F = R;
  PetscFunctionReturn(0);
}

/* S takes over F's grid, fields and statistics; F gets S's old ones (to be destroyed). */
static void Swap(StkSolver S, StkSolver F)
{
  struct _p_StkSolver tmp = *S;

  *S = *F;
  *F = tmp;
}

PetscErrorCode StkSolverSolveToTarget(StkSolver S)
{
  PetscInt       nodes;
  PetscReal      next = 0;
  PetscLogDouble t0, t1;
  PetscInt       refinements = 0;
  char           pre[256];

  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixCompose(S->prefix, "hjb_", pre, sizeof(pre)));
  PetscCall(StkGridGetNumNodes(S->grid, &nodes));
  PetscCheck(nodes <= S->target_max_nodes, S->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%starget_max_nodes: %" PetscInt_FMT " is below the first grid's %" PetscInt_FMT " nodes", pre, S->target_max_nodes, nodes);
  PetscCall(PetscTime(&t0));
  if (S->sequence == 0) S->estimate_set = PETSC_TRUE; /* a coarser solve just for the estimate */
  PetscCall(StkSolverSolveOnGrid(S));
  while (RelativeEstimate(S) > S->target_error) {
    StkSolver F;
    StkGrid   fine;
    PetscCall(RefinedNodes(S->grid, &next));
    if (next > (PetscReal)S->target_max_nodes) break;
    PetscCall(StkSolverComputeDensity(S)); /* its moments, for the estimate on the next grid */
    PetscCall(StkGridCreateRefined(S->grid, &fine));
    PetscCall(CreateRefinedSolver(S, fine, &F));
    if (S->monitor) PetscCall(PetscPrintf(S->comm, "  target error %g: estimate %.3e, refining to %.0f nodes\n", (double)S->target_error, (double)RelativeEstimate(S), (double)next));
    PetscCall(StkSolverSolveOnGrid(F));
    F->stats.coarse_levels     = S->stats.coarse_levels + 1;
    F->stats.coarse_iterations = S->stats.coarse_iterations + S->stats.iterations;
    F->stats.coarse_ksp_iterations = S->stats.coarse_ksp_iterations + S->stats.ksp_iterations;
    F->stats.coarse_time           = S->stats.coarse_time + S->stats.solve_time + S->stats.density_time;
    F->level = S->level; /* the user's solver keeps its identity: prefix, options, level 0 */
    F->target_error     = S->target_error;
    F->target_max_nodes = S->target_max_nodes;
    F->keep_chain       = PETSC_FALSE;
    Swap(S, F);
    PetscCall(StkSolverDestroy(&F));
    refinements++;
  }
  PetscCall(PetscTime(&t1));
  S->stats.solve_time          = t1 - t0;
  S->stats.target_refinements  = refinements;
  S->stats.target_met          = (PetscBool)(RelativeEstimate(S) <= S->target_error);
  S->stats.target_estimate     = RelativeEstimate(S);
  PetscFunctionReturn(0);
}
