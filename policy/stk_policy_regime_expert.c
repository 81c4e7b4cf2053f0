/* The regime_expert policy (docs/policies.md): the expert of a regime-switching solution
 * file (stakehjb solve -regime_files ... -o FILE): in regime i the solver's policy
 * improvement (StkModelImprovePoint) with regime i's model and value V_i, evaluated at any
 * state as the expert does for a single solution.  The coupling terms sum_j q_ij (V_j - V_i)
 * do not depend on the control, so the minimizer in regime i is the single-regime greedy
 * map of (model_i, V_i): at a node it is the file's u*(x, i) to round-off, and with one
 * regime's chain never left it is the expert of that regime's HJB.  Between nodes the
 * differences of V_i are interpolated like the expert's, so it compares with the expert
 * like for like (regime_solution interpolates u instead). */
#include "stk_policyimpl.h"
#include "stk_h5.h"
#include "stk_hjb.h"
#include <string.h>

#define SOLUTION_GROUP "solution"

typedef struct {
  PetscInt           M;
  StkModel           models[STK_SIM_MAX_REGIMES];
  StkGrid            grid;
  Vec                V_all, u_all; /* M interleaved components, natural order, whole on every rank */
  const PetscScalar *V, *u;
  PetscReal         *q, *pc;   /* nodal second and central differences of each V_i along s, M interleaved */
  PetscReal         *hm, *hp;  /* nodal spacings along s (infinite at the ends), one per node */
  PetscInt           dim;
  PetscReal          lo[STK_MAX_DIM], hi[STK_MAX_DIM];
  StkSchemeSettings  scheme;
  char               names[1024];
} RegimeExpertCtx;

/* The expert's nodal differences (stk_policy_expert.c) for each regime's V_i. */
static PetscErrorCode NodalDifferences(RegimeExpertCtx *E)
{
  PetscInt         n[STK_MAX_DIM], total;
  const PetscInt   M = E->M;
  const PetscReal *x;

  PetscFunctionBeginUser;
  PetscCall(StkGridGetSizes(E->grid, n));
  PetscCall(StkGridGetNumNodes(E->grid, &total));
  PetscCall(StkGridGetCoordinates(E->grid, 0, &x));
  PetscCall(PetscMalloc4(total * M, &E->q, total * M, &E->pc, total, &E->hm, total, &E->hp));
  for (PetscInt idx = 0; idx < total; idx++) {
    const PetscInt  i  = idx % n[0], m = n[0];
    const PetscReal hp = i < m - 1 ? x[i + 1] - x[i] : x[i] - x[i - 1], hm = i > 0 ? x[i] - x[i - 1] : hp;
    for (PetscInt r = 0; r < M; r++) {
      const PetscScalar *V  = E->V + r;
      const PetscReal    pf = i < m - 1 ? (V[(idx + 1) * M] - V[idx * M]) / hp : 0, pb = i > 0 ? (V[idx * M] - V[(idx - 1) * M]) / hm : 0;
      if (i == 0) E->q[idx * M + r] = 2 * pf / hp;
      else if (i == m - 1) E->q[idx * M + r] = -2 * pb / hm;
      else E->q[idx * M + r] = 2 * (pf - pb) / (hp + hm);
      E->pc[idx * M + r] = (hm * pf + hp * pb) / (hp + hm);
    }
    E->hm[idx] = (i == 0 || i == m - 1) ? PETSC_INFINITY : hm;
    E->hp[idx] = (i == 0 || i == m - 1) ? PETSC_INFINITY : hp;
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode RegimeExpertEvaluate(void *ctx, PetscReal t, const PetscReal x[], PetscReal *u, void *state)
{
  StkPolicy        p = (StkPolicy)ctx;
  RegimeExpertCtx *E = (RegimeExpertCtx *)p->data;
  const PetscReal  rr = x[STK_SIM_X_REGIME];
  PetscReal        xc[STK_MAX_DIM];
  StkDifferences   d;
  PetscInt         r;

  PetscFunctionBeginUser;
  PetscCheck(rr >= 0 && rr < E->M && rr == PetscFloorReal(rr), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-%sfile %s has %" PetscInt_FMT " regimes (%s): regime %g is out of range (does the simulation's -sim_regime_files match?)", p->class_prefix, p->file, E->M, E->names, (double)rr);
  r = (PetscInt)rr;
  for (PetscInt k = 0; k < E->dim; k++) xc[k] = PetscClipInterval(x[k], E->lo[k], E->hi[k]);
  PetscCall(StkGridInterpolateGradient(E->grid, E->V, E->M, r, xc, 0, &d.pf, &d.pb));
  PetscCall(StkGridInterpolate(E->grid, E->q, E->M, r, xc, &d.q));
  PetscCall(StkGridInterpolate(E->grid, E->pc, E->M, r, xc, &d.pc));
  PetscCall(StkGridInterpolate(E->grid, E->hm, 1, 0, xc, &d.hm));
  PetscCall(StkGridInterpolate(E->grid, E->hp, 1, 0, xc, &d.hp));
  PetscCall(StkGridInterpolate(E->grid, E->u, E->M, r, xc, u)); /* the improvement starts at the stored policy */
  PetscCall(StkModelImprovePoint(E->models[r], &E->scheme, xc, 0, &d, u));
  PetscFunctionReturn(0);
}

static PetscErrorCode RegimeExpertClear(RegimeExpertCtx *E)
{
  PetscFunctionBeginUser;
  if (E->V) PetscCall(VecRestoreArrayRead(E->V_all, &E->V));
  if (E->u) PetscCall(VecRestoreArrayRead(E->u_all, &E->u));
  E->V = E->u = NULL;
  PetscCall(VecDestroy(&E->V_all));
  PetscCall(VecDestroy(&E->u_all));
  PetscCall(PetscFree4(E->q, E->pc, E->hm, E->hp));
  for (PetscInt r = 0; r < E->M; r++) PetscCall(StkModelDestroy(&E->models[r]));
  PetscCall(StkGridDestroy(&E->grid));
  E->M = 0;
  PetscFunctionReturn(0);
}

/* Each regime's model from its group (staking only); the bounds the widest of theirs. */
static PetscErrorCode ReadModels(StkPolicy p, RegimeExpertCtx *E, StkH5 file)
{
  char      list[1024], *name, *next;
  PetscInt  r = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscStrncpy(list, E->names, sizeof(list)));
  p->u_min = PETSC_MAX_REAL, p->u_max = -PETSC_MAX_REAL;
  for (name = list; name && r < E->M; name = next, r++) {
    char        group[1100];
    const char *type;
    PetscBool   staking;
    PetscReal   lo, hi;
    if ((next = strchr(name, ','))) *next++ = 0;
    PetscCall(PetscSNPrintf(group, sizeof(group), SOLUTION_GROUP "/regimes/%s", name));
    PetscCall(StkModelLoad(p->comm, file, group, &E->models[r]));
    PetscCall(StkModelGetType(E->models[r], &type));
    PetscCall(PetscStrcmp(type, STK_MODEL_STAKING, &staking));
    PetscCheck(staking, p->comm, PETSC_ERR_FILE_UNEXPECTED, "-%sfile %s: regime %s holds a '%s' model; the regime expert needs staking models", p->class_prefix, p->file, name, type);
    PetscCall(StkModelGetControlBounds(E->models[r], 0, &lo, &hi));
    p->u_min = PetscMin(p->u_min, lo), p->u_max = PetscMax(p->u_max, hi);
  }
  PetscCheck(r == E->M, p->comm, PETSC_ERR_FILE_UNEXPECTED, "-%sfile %s: %" PetscInt_FMT " regime names (%s) for %" PetscInt_FMT " regimes", p->class_prefix, p->file, r, E->names, E->M);
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadFile(StkPolicy p, RegimeExpertCtx *E, StkH5 file)
{
  PetscBool has;
  PetscInt  M, n[STK_MAX_DIM];
  Vec       V, u;

  PetscFunctionBeginUser;
  PetscCall(StkH5HasAttribute(file, SOLUTION_GROUP, "regimes", &has));
  PetscCheck(has, p->comm, PETSC_ERR_FILE_UNEXPECTED, "-%sfile %s is not a regime-switching solution (no attribute 'regimes' in /solution): for a single solution use -%spolicy expert", p->class_prefix, p->file, p->prefix ? p->prefix : "");
  PetscCall(StkH5ReadAttributeInt(file, SOLUTION_GROUP, "regimes", &M));
  PetscCheck(M >= 1 && M <= STK_SIM_MAX_REGIMES, p->comm, PETSC_ERR_FILE_UNEXPECTED, "-%sfile %s: %" PetscInt_FMT " regimes, expected 1 .. %d", p->class_prefix, p->file, M, STK_SIM_MAX_REGIMES);
  E->M = M;
  PetscCall(StkH5ReadAttributeString(file, SOLUTION_GROUP, "regime_names", sizeof(E->names), E->names));
  PetscCall(ReadModels(p, E, file));
  PetscCall(StkH5ReadGrid(file, SOLUTION_GROUP, &E->grid));
  PetscCall(StkGridGetDimension(E->grid, &E->dim));
  PetscCall(StkGridGetSizes(E->grid, n));
  for (PetscInt k = 0; k < E->dim; k++) {
    const PetscReal *x;
    PetscCheck(n[k] >= 2, p->comm, PETSC_ERR_FILE_UNEXPECTED, "-%sfile %s: direction %" PetscInt_FMT " has %" PetscInt_FMT " node(s); at least 2 are needed", p->class_prefix, p->file, k, n[k]);
    PetscCall(StkGridGetCoordinates(E->grid, k, &x));
    E->lo[k] = x[0], E->hi[k] = x[n[k] - 1];
  }
  PetscCall(StkH5ReadField(file, SOLUTION_GROUP, "value", E->grid, M, &V));
  PetscCall(StkH5ReadField(file, SOLUTION_GROUP, "policy", E->grid, M, &u));
  PetscCall(StkGridGatherField(E->grid, V, &E->V_all));
  PetscCall(StkGridGatherField(E->grid, u, &E->u_all));
  PetscCall(VecDestroy(&V));
  PetscCall(VecDestroy(&u));
  PetscCall(VecGetArrayRead(E->V_all, &E->V));
  PetscCall(VecGetArrayRead(E->u_all, &E->u));
  PetscCall(NodalDifferences(E));
  PetscFunctionReturn(0);
}

static PetscErrorCode RegimeExpertSetUp(StkPolicy p)
{
  RegimeExpertCtx *E = (RegimeExpertCtx *)p->data;
  StkH5            file;
  PetscErrorCode   ierr;

  PetscFunctionBeginUser;
  PetscCall(RegimeExpertClear(E));
  PetscCheck(p->file[0], p->comm, PETSC_ERR_USER_INPUT, "-%spolicy regime_expert needs -%sfile FILE.h5 (written by stakehjb solve -regime_files)", p->prefix ? p->prefix : "", p->class_prefix);
  PetscCall(StkH5Open(p->comm, p->file, &file));
  ierr = ReadFile(p, E, file);
  PetscCall(StkH5Destroy(&file));
  if (!ierr) ierr = StkSolutionLoadScheme(p->comm, p->file, &E->scheme);
  if (ierr) PetscCall(RegimeExpertClear(E));
  PetscCall(ierr);
  PetscFunctionReturn(0);
}

static PetscErrorCode RegimeExpertView(StkPolicy p, PetscViewer viewer)
{
  RegimeExpertCtx *E = (RegimeExpertCtx *)p->data;

  PetscFunctionBeginUser;
  PetscCall(PetscViewerASCIIPrintf(viewer, "the solver's policy improvement from V(x, regime) of %s for the simulation's regime\n", p->file[0] ? p->file : "(no -policy_file)"));
  if (E->M) PetscCall(PetscViewerASCIIPrintf(viewer, "%" PetscInt_FMT " regimes: %s\n", E->M, E->names));
  PetscFunctionReturn(0);
}

static PetscErrorCode RegimeExpertDestroy(StkPolicy p)
{
  PetscFunctionBeginUser;
  PetscCall(RegimeExpertClear((RegimeExpertCtx *)p->data));
  PetscCall(PetscFree(p->data));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyCreate_RegimeExpert(StkPolicy p)
{
  RegimeExpertCtx *E;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&E));
  p->data         = E;
  p->ops.evaluate = RegimeExpertEvaluate;
  p->ops.setup    = RegimeExpertSetUp;
  p->ops.view     = RegimeExpertView;
  p->ops.destroy  = RegimeExpertDestroy;
  PetscFunctionReturn(0);
}
