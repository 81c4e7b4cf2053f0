/* The expert policy (docs/policies.md): the solver's policy improvement evaluated from a
 * solved value function at any state.
 *
 * It calls the solver's own improvement (StkModelImprovePoint, solver/stk_scheme.c) with
 * the scheme the file records (upwind or central where monotone; closed-form greedy map
 * or exact minimization).  Between nodes the differences of V (one-sided, central,
 * second) and the spacings are interpolated multilinearly from their nodal values, so at
 * a node the expert reproduces the solver's stored policy to round-off. */
#include "stk_policyimpl.h"
#include "stk_h5.h"
#include "stk_hjb.h"
#include <string.h>

typedef struct {
  StkModel           model; /* the solution file's model (StkSolutionLoad) */
  StkGrid            grid;  /* the file's coordinates */
  Vec                V_all, u_all; /* value and policy, natural order, whole field on every rank */
  const PetscScalar *V, *u;
  PetscReal         *q, *pc; /* nodal second and central differences of V along s (the solver's convention) */
  PetscReal         *hm, *hp; /* nodal spacings to the neighbours along s (infinite at the ends: upwind there) */
  PetscInt           dim;
  PetscReal          lo[STK_MAX_DIM], hi[STK_MAX_DIM];
  StkSchemeSettings  scheme; /* as recorded in the file */
} ExpertCtx;

/* Second and central differences along direction 0 at every node, and the spacings, as
 * the solver forms them: mirror ghost (zero normal derivative) at the ends, where the
 * scheme stays upwind. */
static PetscErrorCode NodalDifferences(ExpertCtx *E)
{
  PetscInt         n[STK_MAX_DIM], total;
  const PetscReal *x;

  PetscFunctionBeginUser;
  PetscCall(StkGridGetSizes(E->grid, n));
  PetscCall(StkGridGetNumNodes(E->grid, &total));
  PetscCall(StkGridGetCoordinates(E->grid, 0, &x));
  PetscCall(PetscMalloc4(total, &E->q, total, &E->pc, total, &E->hm, total, &E->hp));
  for (PetscInt idx = 0; idx < total; idx++) {
    const PetscInt  i  = idx % n[0], m = n[0];
    const PetscReal hp = i < m - 1 ? x[i + 1] - x[i] : x[i] - x[i - 1], hm = i > 0 ? x[i] - x[i - 1] : hp;
    const PetscReal pf = i < m - 1 ? (E->V[idx + 1] - E->V[idx]) / hp : 0, pb = i > 0 ? (E->V[idx] - E->V[idx - 1]) / hm : 0;
    if (i == 0) E->q[idx] = 2 * pf / hp;
    else if (i == m - 1) E->q[idx] = -2 * pb / hm;
    else E->q[idx] = 2 * (pf - pb) / (hp + hm);
    E->pc[idx] = (hm * pf + hp * pb) / (hp + hm);
    E->hm[idx] = (i == 0 || i == m - 1) ? PETSC_INFINITY : hm;
    E->hp[idx] = (i == 0 || i == m - 1) ? PETSC_INFINITY : hp;
  }
  PetscFunctionReturn(0);
}

/* The box of the grid, and V and u gathered on every rank. */
static PetscErrorCode GatherFields(StkPolicy p, ExpertCtx *E, Vec V, Vec u)
{
  const PetscReal *x;
  PetscInt         n[STK_MAX_DIM];

  PetscFunctionBeginUser;
  PetscCall(StkGridGetDimension(E->grid, &E->dim));
  PetscCall(StkGridGetSizes(E->grid, n));
  for (PetscInt k = 0; k < E->dim; k++) {
    PetscCheck(n[k] >= 2, p->comm, PETSC_ERR_FILE_UNEXPECTED, "-%sfile %s: direction %" PetscInt_FMT " has %" PetscInt_FMT " node(s); at least 2 are needed", p->class_prefix, p->file, k, n[k]);
    PetscCall(StkGridGetCoordinates(E->grid, k, &x));
    E->lo[k] = x[0];
    E->hi[k] = x[n[k] - 1];
  }
  PetscCall(StkGridGatherField(E->grid, V, &E->V_all));
  PetscCall(StkGridGatherField(E->grid, u, &E->u_all));
  PetscCall(VecGetArrayRead(E->V_all, &E->V));
  PetscCall(VecGetArrayRead(E->u_all, &E->u));
  PetscCall(NodalDifferences(E));
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadSolution(StkPolicy p, ExpertCtx *E)
{
  PetscBool      readable, staking;
  const char    *mtype;
  Vec            V, u;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCheck(p->file[0], p->comm, PETSC_ERR_USER_INPUT, "-%spolicy expert needs -%sfile FILE (a solution written by stakehjb solve -o FILE)", p->prefix ? p->prefix : "", p->class_prefix);
  PetscCall(PetscTestFile(p->file, 'r', &readable));
  PetscCheck(readable, p->comm, PETSC_ERR_FILE_OPEN, "-%sfile %s: no such readable file", p->class_prefix, p->file);
  PetscCall(StkSolutionLoad(p->comm, p->file, &E->model, &E->grid, &V, &u));
  PetscCall(StkModelGetType(E->model, &mtype));
  PetscCall(PetscStrcmp(mtype, STK_MODEL_STAKING, &staking));
  ierr = staking ? 0 : PetscError(p->comm, __LINE__, PETSC_FUNCTION_NAME, __FILE__, PETSC_ERR_FILE_UNEXPECTED, PETSC_ERROR_INITIAL, "-%sfile %s holds a '%s' model; the expert policy needs a staking solution (a staking_price file is evaluated by -policy solution)", p->class_prefix, p->file, mtype);
  if (!ierr) ierr = StkSolutionLoadScheme(p->comm, p->file, &E->scheme);
  if (!ierr) ierr = GatherFields(p, E, V, u);
  PetscCall(VecDestroy(&V));
  PetscCall(VecDestroy(&u));
  PetscCall(ierr);
  PetscFunctionReturn(0);
}

/* Frees what a previous SetUp read (SetUp runs again after a new -policy_file). */
static PetscErrorCode ExpertClear(ExpertCtx *E)
{
  PetscFunctionBeginUser;
  if (E->V) PetscCall(VecRestoreArrayRead(E->V_all, &E->V));
  if (E->u) PetscCall(VecRestoreArrayRead(E->u_all, &E->u));
  PetscCall(VecDestroy(&E->V_all));
  PetscCall(VecDestroy(&E->u_all));
  PetscCall(PetscFree4(E->q, E->pc, E->hm, E->hp));
  PetscCall(StkGridDestroy(&E->grid));
  PetscCall(StkModelDestroy(&E->model));
  PetscFunctionReturn(0);
}

static PetscErrorCode ExpertSetUp(StkPolicy p)
{
  ExpertCtx *E = (ExpertCtx *)p->data;

  PetscFunctionBeginUser;
  PetscCall(ExpertClear(E));
  PetscCall(ReadSolution(p, E));
  PetscCall(StkModelGetControlBounds(E->model, 0, &p->u_min, &p->u_max));
  PetscFunctionReturn(0);
}

static PetscErrorCode ExpertEvaluate(void *ctx, PetscReal t, const PetscReal x[], PetscReal *u, void *state)
{
  StkPolicy  p = (StkPolicy)ctx;
  ExpertCtx *E = (ExpertCtx *)p->data;
  PetscReal      xc[STK_MAX_DIM];
  StkDifferences d;

  PetscFunctionBeginUser;
  /* Outside the solved box the policy is extended constantly (s is in [0, 1] anyway). */
  for (PetscInt k = 0; k < E->dim; k++) xc[k] = PetscClipInterval(x[k], E->lo[k], E->hi[k]);
  PetscCall(StkGridInterpolateGradient(E->grid, E->V, 1, 0, xc, 0, &d.pf, &d.pb));
  PetscCall(StkGridInterpolate(E->grid, E->q, 1, 0, xc, &d.q));
  PetscCall(StkGridInterpolate(E->grid, E->pc, 1, 0, xc, &d.pc));
  PetscCall(StkGridInterpolate(E->grid, E->hm, 1, 0, xc, &d.hm));
  PetscCall(StkGridInterpolate(E->grid, E->hp, 1, 0, xc, &d.hp));
  /* The solver starts the fixed-point iteration at the previous policy: start at the
   * stored policy, interpolated. */
  PetscCall(StkGridInterpolate(E->grid, E->u, 1, 0, xc, u));
  PetscCall(StkModelImprovePoint(E->model, &E->scheme, xc, 0, &d, u));
  PetscFunctionReturn(0);
}

static PetscErrorCode ExpertView(StkPolicy p, PetscViewer viewer)
{
  ExpertCtx *E = (ExpertCtx *)p->data;
  PetscInt   n[STK_MAX_DIM] = {0, 0, 0};

  PetscFunctionBeginUser;
  PetscCall(PetscViewerASCIIPrintf(viewer, "HJB expert from %s\n", p->file[0] ? p->file : "(no -policy_file)"));
  if (!E->grid) PetscFunctionReturn(0);
  PetscCall(StkGridGetSizes(E->grid, n));
  PetscCall(PetscViewerASCIIPrintf(viewer, "%" PetscInt_FMT "-D solution, grid %" PetscInt_FMT " x %" PetscInt_FMT ", scheme %s, greedy %s (as the file records; the expert applies the same)\n", E->dim, n[0], E->dim > 1 ? n[1] : 1, StkSchemeTypes[E->scheme.scheme], StkGreedyTypes[E->scheme.greedy]));
  PetscCall(StkModelView(E->model, viewer));
  PetscFunctionReturn(0);
}

static PetscErrorCode ExpertDestroy(StkPolicy p)
{
  ExpertCtx *E = (ExpertCtx *)p->data;

  PetscFunctionBeginUser;
  PetscCall(ExpertClear(E));
  PetscCall(PetscFree(p->data));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyCreate_Expert(StkPolicy p)
{
  ExpertCtx *E;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&E));
  p->data         = E;
  p->ops.evaluate = ExpertEvaluate;
  p->ops.setup    = ExpertSetUp;
  p->ops.view     = ExpertView;
  p->ops.destroy  = ExpertDestroy;
  PetscFunctionReturn(0);
}

static PetscErrorCode ExpertCheckType(StkPolicy p)
{
  PetscFunctionBeginUser;
  PetscCheck(!strcmp(p->type, STK_POLICY_EXPERT), p->comm, PETSC_ERR_ARG_WRONG, "The policy is '%s'; this needs -%spolicy expert", p->type, p->prefix ? p->prefix : "");
  PetscCall(StkPolicySetUp(p));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyExpertGetModel(StkPolicy p, StkModel *model)
{
  PetscFunctionBeginUser;
  PetscCall(ExpertCheckType(p));
  *model = ((ExpertCtx *)p->data)->model;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyExpertValue(StkPolicy p, const PetscReal x[], PetscReal *V)
{
  ExpertCtx *E;
  PetscReal  xc[STK_MAX_DIM];

  PetscFunctionBeginUser;
  PetscCall(ExpertCheckType(p));
  E = (ExpertCtx *)p->data;
  for (PetscInt k = 0; k < E->dim; k++) xc[k] = PetscClipInterval(x[k], E->lo[k], E->hi[k]);
  PetscCall(StkGridInterpolate(E->grid, E->V, 1, 0, xc, V));
  PetscFunctionReturn(0);
}

/* V_s by the upwind rule the solver applies to the drift of control u: the forward
 * difference where b(x, u) > 0, the backward one where b < 0, their mean at b = 0. */
PetscErrorCode StkPolicyExpertValueGradient(StkPolicy p, const PetscReal x[], PetscReal u, PetscReal *Vs)
{
  ExpertCtx *E;
  PetscReal  xc[STK_MAX_DIM], pf, pb, b[STK_MAX_DIM];

  PetscFunctionBeginUser;
  PetscCall(ExpertCheckType(p));
  E = (ExpertCtx *)p->data;
  for (PetscInt k = 0; k < E->dim; k++) xc[k] = PetscClipInterval(x[k], E->lo[k], E->hi[k]);
  PetscCall(StkGridInterpolateGradient(E->grid, E->V, 1, 0, xc, 0, &pf, &pb));
  PetscCall(StkModelDrift(E->model, xc, &u, b));
  *Vs = b[0] > 0 ? pf : b[0] < 0 ? pb : 0.5 * (pf + pb);
  PetscFunctionReturn(0);
}

/* The holders of `model` revise kappa_factor times as often. */
static PetscErrorCode ScaleKappa(StkModel model, PetscReal kappa_factor)
{
  StkPopulation         pop;
  const StkAgentParams *ap;
  StkAgentParams        scaled;

  PetscFunctionBeginUser;
  PetscCall(StkModelStakingGetPopulation(model, &pop));
  PetscCall(StkPopulationGetParams(pop, &ap));
  scaled       = *ap;
  scaled.kappa = ap->kappa * kappa_factor;
  PetscCall(StkPopulationSetParams(pop, &scaled));
  PetscFunctionReturn(0);
}

/* Solves the HJB of the expert's model with kappa scaled, warm-started from the
 * expert's value and policy on the expert's grid (-hjb_ solver options apply).  Every
 * rank solves the whole problem on PETSC_COMM_SELF and rank 0 writes the file: a solve
 * over the ranks (a parallel preconditioner) would make the re-planned policy, and so
 * every refinement that re-plans, depend on the number of ranks in its last bits. */
static PetscErrorCode ResolveScaled(StkPolicy p, PetscReal kappa_factor, const char path[])
{
  StkModel    model;
  StkGrid     grid;
  StkSolver   solver;
  Vec         V, u;
  PetscMPIInt rank;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(p->comm, &rank));
  PetscCall(StkSolutionLoad(PETSC_COMM_SELF, p->file, &model, &grid, &V, &u));
  PetscCall(ScaleKappa(model, kappa_factor));
  PetscCall(StkSolverCreate(PETSC_COMM_SELF, &solver));
  PetscCall(StkSolverSetOptionsPrefix(solver, p->prefix)); /* the expert's: -PREFIX_hjb_ options */
  PetscCall(StkSolverSetModel(solver, model));
  PetscCall(StkSolverSetGrid(solver, grid));
  PetscCall(StkSolverSetFromOptions(solver));
  PetscCall(StkSolverSetInitialGuess(solver, V, u));
  PetscCall(StkSolverSolve(solver));
  if (!rank) {
    PetscCall(StkSolverComputeDensity(solver));
    PetscCall(StkSolverWrite(solver, path));
  }
  PetscCallMPI(MPI_Barrier(p->comm));
  PetscCall(VecDestroy(&V));
  PetscCall(VecDestroy(&u));
  PetscCall(StkSolverDestroy(&solver));
  PetscCall(StkGridDestroy(&grid));
  PetscCall(StkModelDestroy(&model));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyExpertReplan(StkPolicy p, PetscReal kappa_factor, const char path[], StkPolicy *replanned)
{
  PetscFunctionBeginUser;
  PetscCall(ExpertCheckType(p));
  PetscCheck(kappa_factor > 0, p->comm, PETSC_ERR_ARG_OUTOFRANGE, "Re-planning needs a positive kappa factor, got %g", (double)kappa_factor);
  PetscCall(ResolveScaled(p, kappa_factor, path));
  PetscCall(StkPolicyCreate(p->comm, replanned));
  PetscCall(StkPolicySetOptionsPrefix(*replanned, p->prefix));
  PetscCall(StkPolicySetType(*replanned, STK_POLICY_EXPERT));
  PetscCall(StkPolicySetFile(*replanned, path));
  PetscCall(StkPolicySetUp(*replanned));
  PetscFunctionReturn(0);
}
