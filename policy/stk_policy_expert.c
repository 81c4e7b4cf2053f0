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
  StkModel           model; /* rebuilt from the file's attributes */
  StkGrid            grid;  /* the file's coordinates */
  Vec                V_all, u_all; /* value and policy, natural order, whole field on every rank */
  const PetscScalar *V, *u;
  PetscReal         *q;     /* nodal second difference of V along s (the solver's convention) */
  PetscInt           dim;
  PetscReal          lo[STK_MAX_DIM], hi[STK_MAX_DIM];
  char               greedy[32];
} ExpertCtx;

/* ---- Rebuilding the model: the file's attributes become options of a private
 *      database, read by the model's own SetFromOptions. ---- */
static PetscErrorCode SetRealOption(StkH5 file, PetscOptions db, const char attr[], const char option[])
{
  PetscReal v;
  char      buf[64];

  PetscFunctionBeginUser;
  PetscCall(StkH5ReadAttributeReal(file, "solution", attr, &v));
  PetscCall(PetscSNPrintf(buf, sizeof(buf), "%.17g", (double)v));
  PetscCall(PetscOptionsSetValue(db, option, buf));
  PetscFunctionReturn(0);
}

static PetscErrorCode ModelFromFile(StkPolicy p, StkH5 file, PetscInt dim, PetscReal kappa_factor, StkModel *model)
{
  static const char *const pairs[][2] = {
    {"rho", "-hjb_rho"}, {"sbar", "-hjb_sbar"}, {"w_s", "-hjb_w_s"}, {"w_u", "-hjb_w_u"}, {"ubar", "-hjb_ubar"}, {"eta", "-hjb_eta"},
    {"u_min", "-hjb_u_min"}, {"u_max", "-hjb_u_max"}, {"cost_median", "-agents_cost_median"}, {"cost_logsd", "-agents_cost_logsd"},
    {"cost_lo", "-agents_cost_lo"}, {"cost_hi", "-agents_cost_hi"}, {"cost_loc", "-agents_cost_loc"}, {"cost_scale", "-agents_cost_scale"},
    {"s_max", "-agents_s_max"}, {"phi", "-agents_phi"}, {"kappa", "-agents_kappa"}, {"sigma0", "-agents_sigma0"},
    {"zbar", "-agents_zbar"}, {"theta", "-agents_theta"}, {"sigma_z", "-agents_sigma_z"},
  };
  PetscOptions db;
  char         buf[64];

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsCreate(&db));
  PetscCall(PetscOptionsSetValue(db, "-model", STK_MODEL_STAKING));
  PetscCall(PetscSNPrintf(buf, sizeof(buf), "%" PetscInt_FMT, dim));
  PetscCall(PetscOptionsSetValue(db, "-dim", buf));
  for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) PetscCall(SetRealOption(file, db, pairs[i][0], pairs[i][1]));
  if (kappa_factor != 1) { /* a re-planned model: the holders revise kappa_factor times as often */
    PetscReal kappa;
    PetscCall(StkH5ReadAttributeReal(file, "solution", "kappa", &kappa));
    PetscCall(PetscSNPrintf(buf, sizeof(buf), "%.17g", (double)(kappa * kappa_factor)));
    PetscCall(PetscOptionsSetValue(db, "-agents_kappa", buf));
  }
  PetscCall(StkH5ReadAttributeString(file, "solution", "cost_distribution", sizeof(buf), buf));
  PetscCall(PetscOptionsSetValue(db, "-agents_cost", buf));
  PetscCall(StkModelCreate(p->comm, model));
  PetscCall(PetscOptionsPush(db));
  {
    PetscErrorCode ierr = StkModelSetFromOptions(*model);
    if (!ierr) ierr = StkModelSetUp(*model);
    PetscCall(PetscOptionsPop());
    PetscCall(PetscOptionsDestroy(&db));
    PetscCall(ierr);
  }
  PetscFunctionReturn(0);
}

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

static PetscErrorCode ReadFields(StkPolicy p, ExpertCtx *E, StkH5 file)
{
  Vec              V, u;
  const PetscReal *x;
  PetscInt         n[STK_MAX_DIM];

  PetscFunctionBeginUser;
  PetscCall(StkH5ReadGrid(file, "solution", &E->grid));
  PetscCall(StkGridGetDimension(E->grid, &E->dim));
  PetscCall(StkGridGetSizes(E->grid, n));
  for (PetscInt k = 0; k < E->dim; k++) {
    PetscCheck(n[k] >= 2, p->comm, PETSC_ERR_FILE_UNEXPECTED, "-policy_file %s: direction %" PetscInt_FMT " has %" PetscInt_FMT " node(s); at least 2 are needed", p->file, k, n[k]);
    PetscCall(StkGridGetCoordinates(E->grid, k, &x));
    E->lo[k] = x[0];
    E->hi[k] = x[n[k] - 1];
  }
  PetscCall(StkH5ReadField(file, "solution", "value", E->grid, 1, &V));
  PetscCall(StkH5ReadField(file, "solution", "policy", E->grid, 1, &u));
  PetscCall(StkGridGatherField(E->grid, V, &E->V_all));
  PetscCall(StkGridGatherField(E->grid, u, &E->u_all));
  PetscCall(VecDestroy(&V));
  PetscCall(VecDestroy(&u));
  PetscCall(VecGetArrayRead(E->V_all, &E->V));
  PetscCall(VecGetArrayRead(E->u_all, &E->u));
  PetscCall(NodalSecondDifference(E));
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadSolution(StkPolicy p, ExpertCtx *E)
{
  StkH5          file;
  PetscBool      readable;
  char           mtype[64];
  PetscInt       dim;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCheck(p->file[0], p->comm, PETSC_ERR_USER_INPUT, "-policy expert needs -policy_file FILE (a solution written by stakehjb solve -o FILE)");
  PetscCall(PetscTestFile(p->file, 'r', &readable));
  PetscCheck(readable, p->comm, PETSC_ERR_FILE_OPEN, "-policy_file %s: no such readable file", p->file);
  PetscCall(StkH5Open(p->comm, p->file, &file));
  ierr = StkH5ReadAttributeString(file, "solution", "model", sizeof(mtype), mtype);
  if (!ierr) ierr = StkH5ReadAttributeInt(file, "solution", "dim", &dim);
  if (!ierr && strcmp(mtype, STK_MODEL_STAKING)) ierr = PetscError(p->comm, __LINE__, PETSC_FUNCTION_NAME, __FILE__, PETSC_ERR_FILE_UNEXPECTED, PETSC_ERROR_INITIAL, "-policy_file %s holds a '%s' model; the expert policy needs a staking solution", p->file, mtype);
  if (!ierr) ierr = StkH5ReadAttributeString(file, "solution", "greedy", sizeof(E->greedy), E->greedy);
  if (!ierr) ierr = ModelFromFile(p, file, dim, 1, &E->model);
  if (!ierr) ierr = ReadFields(p, E, file);
  PetscCall(StkH5Destroy(&file));
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
  PetscCheck(!strcmp(p->type, STK_POLICY_EXPERT), p->comm, PETSC_ERR_ARG_WRONG, "The policy is '%s'; this needs -policy expert", p->type);
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

/* Solves the HJB of the expert's model with kappa scaled, warm-started from the
 * expert's value and policy on the expert's grid (-hjb_ solver options apply). */
static PetscErrorCode ResolveScaled(StkPolicy p, PetscReal kappa_factor, const char path[])
{
  StkH5     file;
  StkModel  model;
  StkGrid   grid;
  StkSolver solver;
  Vec       V, u;
  PetscInt  dim;

  PetscFunctionBeginUser;
  PetscCall(StkH5Open(p->comm, p->file, &file));
  PetscCall(StkH5ReadAttributeInt(file, "solution", "dim", &dim));
  PetscCall(ModelFromFile(p, file, dim, kappa_factor, &model));
  PetscCall(StkH5ReadGrid(file, "solution", &grid));
  PetscCall(StkH5ReadField(file, "solution", "value", grid, 1, &V));
  PetscCall(StkH5ReadField(file, "solution", "policy", grid, 1, &u));
  PetscCall(StkH5Destroy(&file));
  PetscCall(StkSolverCreate(p->comm, &solver));
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
  PetscCall(StkPolicySetType(*replanned, STK_POLICY_EXPERT));
  PetscCall(StkPolicySetFile(*replanned, path));
  PetscCall(StkPolicySetUp(*replanned));
  PetscFunctionReturn(0);
}
