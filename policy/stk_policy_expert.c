/* The expert policy (MODEL.md section 5): the closed-form greedy map evaluated from a
 * solved value function at any state.
 *
 * It calls the solver's own closed-form improvement (StkModelClosedFormImprovement,
 * solver/stk_scheme.c: default upwind scheme, -hjb_greedy closed_form): the greedy map
 * solved to self-consistency with the forward and with the backward difference of V
 * along s, then the upwind choice of Achdou et al.  Between nodes the one-sided
 * differences (and the second difference) are interpolated multilinearly from their
 * nodal values (StkGridInterpolateGradient), so at a node the expert reproduces the
 * solver's stored policy to round-off. */
#include "stk_policyimpl.h"
#include "stk_h5.h"
#include "stk_hjb.h"
#include <string.h>

typedef struct {
  StkModel           model; /* the solution file's model (StkSolutionLoad) */
  StkGrid            grid;  /* the file's coordinates */
  Vec                V_all, u_all; /* value and policy, natural order, whole field on every rank */
  const PetscScalar *V, *u;
  PetscReal         *q;     /* nodal second difference of V along s (the solver's convention) */
  PetscInt           dim;
  PetscReal          lo[STK_MAX_DIM], hi[STK_MAX_DIM];
  char               greedy[32];
} ExpertCtx;

/* Second difference along direction 0 at every node, as the solver forms it: central
 * on uneven spacing inside, mirror ghost (zero normal derivative) at the ends. */
static PetscErrorCode NodalSecondDifference(ExpertCtx *E)
{
  PetscInt         n[STK_MAX_DIM], total;
  const PetscReal *x;

  PetscFunctionBeginUser;
  PetscCall(StkGridGetSizes(E->grid, n));
  PetscCall(StkGridGetNumNodes(E->grid, &total));
  PetscCall(StkGridGetCoordinates(E->grid, 0, &x));
  PetscCall(PetscMalloc1(total, &E->q));
  for (PetscInt idx = 0; idx < total; idx++) {
    const PetscInt  i  = idx % n[0], m = n[0];
    const PetscReal hp = i < m - 1 ? x[i + 1] - x[i] : x[i] - x[i - 1], hm = i > 0 ? x[i] - x[i - 1] : hp;
    const PetscReal pf = i < m - 1 ? (E->V[idx + 1] - E->V[idx]) / hp : 0, pb = i > 0 ? (E->V[idx] - E->V[idx - 1]) / hm : 0;
    if (i == 0) E->q[idx] = 2 * pf / hp;
    else if (i == m - 1) E->q[idx] = -2 * pb / hm;
    else E->q[idx] = 2 * (pf - pb) / (hp + hm);
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
  PetscCall(NodalSecondDifference(E));
  PetscFunctionReturn(0);
}

/* The improvement rule the file was solved with (a solver setting, shown by View). */
static PetscErrorCode ReadGreedy(StkPolicy p, ExpertCtx *E)
{
  StkH5          file;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(StkH5Open(p->comm, p->file, &file));
  ierr = StkH5ReadAttributeString(file, "solution", "greedy", sizeof(E->greedy), E->greedy);
  PetscCall(StkH5Destroy(&file));
  PetscCall(ierr);
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
  ierr = staking ? 0 : PetscError(p->comm, __LINE__, PETSC_FUNCTION_NAME, __FILE__, PETSC_ERR_FILE_UNEXPECTED, PETSC_ERROR_INITIAL, "-%sfile %s holds a '%s' model; the expert policy needs a staking solution", p->class_prefix, p->file, mtype);
  if (!ierr) ierr = ReadGreedy(p, E);
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
  PetscCall(PetscFree(E->q));
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
  PetscReal  xc[STK_MAX_DIM], pf, pb, q;

  PetscFunctionBeginUser;
  /* Outside the solved box the policy is extended constantly (s is in [0, 1] anyway). */
  for (PetscInt k = 0; k < E->dim; k++) xc[k] = PetscClipInterval(x[k], E->lo[k], E->hi[k]);
  PetscCall(StkGridInterpolateGradient(E->grid, E->V, 1, 0, xc, 0, &pf, &pb));
  PetscCall(StkGridInterpolate(E->grid, E->q, 1, 0, xc, &q));
  /* The solver starts the fixed-point iteration at the previous policy: start at the
   * stored policy, interpolated. */
  PetscCall(StkGridInterpolate(E->grid, E->u, 1, 0, xc, u));
  PetscCall(StkModelClosedFormImprovement(E->model, xc, 0, pf, pb, q, u));
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
  PetscCall(PetscViewerASCIIPrintf(viewer, "%" PetscInt_FMT "-D solution, grid %" PetscInt_FMT " x %" PetscInt_FMT ", solved with -hjb_greedy %s%s\n", E->dim, n[0], E->dim > 1 ? n[1] : 1, E->greedy,
                                   strcmp(E->greedy, "closed_form") ? " (the expert applies the closed-form map: it differs at the nodes)" : ""));
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
 * expert's value and policy on the expert's grid (-hjb_ solver options apply). */
static PetscErrorCode ResolveScaled(StkPolicy p, PetscReal kappa_factor, const char path[])
{
  StkModel  model;
  StkGrid   grid;
  StkSolver solver;
  Vec       V, u;

  PetscFunctionBeginUser;
  PetscCall(StkSolutionLoad(p->comm, p->file, &model, &grid, &V, &u));
  PetscCall(ScaleKappa(model, kappa_factor));
  PetscCall(StkSolverCreate(p->comm, &solver));
  PetscCall(StkSolverSetOptionsPrefix(solver, p->prefix)); /* the expert's: -PREFIX_hjb_ options */
  PetscCall(StkSolverSetModel(solver, model));
  PetscCall(StkSolverSetGrid(solver, grid));
  PetscCall(StkSolverSetFromOptions(solver));
  PetscCall(StkSolverSetInitialGuess(solver, V, u));
  PetscCall(StkSolverSolve(solver));
  PetscCall(StkSolverComputeDensity(solver));
  PetscCall(StkSolverWrite(solver, path));
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
