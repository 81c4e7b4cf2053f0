/* The regime_solution policy: u*(x, i) of a regime-switching solution file (stakehjb solve
 * -regime_files ... -o FILE, docs/hdf5.md#regime-switching-solutions), interpolated
 * multilinearly in x on the file's grid for the regime i the simulator passes in
 * x[STK_SIM_X_REGIME] (docs/policies.md).  At a node of the grid it is the file's value
 * exactly.  The clipping bounds are the widest of the regimes' [u_min, u_max]. */
#include "stk_policyimpl.h"
#include "stk_h5.h"
#include <string.h>

#define SOLUTION_GROUP "solution"

typedef struct {
  StkGrid            grid;  /* the file's coordinates */
  Vec                u_all; /* u*(x, i) in natural order, M interleaved components, whole on every rank */
  const PetscScalar *u;
  PetscInt           M;
  char               names[1024]; /* comma-separated, in index order */
  PetscReal         *rates;       /* M x M */
} RegimeSolutionCtx;

static PetscErrorCode RegimeSolutionEvaluate(void *ctx, PetscReal t, const PetscReal x[], PetscReal *u, void *state)
{
  StkPolicy          p = (StkPolicy)ctx;
  RegimeSolutionCtx *S = (RegimeSolutionCtx *)p->data;
  const PetscReal    r = x[STK_SIM_X_REGIME];

  PetscFunctionBeginUser;
  PetscCheck(r >= 0 && r < S->M && r == PetscFloorReal(r), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-%sfile %s has %" PetscInt_FMT " regimes (%s): regime %g is out of range (does the simulation's -sim_regime_files match?)", p->class_prefix, p->file, S->M, S->names, (double)r);
  PetscCall(StkGridInterpolate(S->grid, S->u, S->M, (PetscInt)r, x, u));
  PetscFunctionReturn(0);
}

static PetscErrorCode RegimeSolutionClear(RegimeSolutionCtx *S)
{
  PetscFunctionBeginUser;
  if (S->u) PetscCall(VecRestoreArrayRead(S->u_all, &S->u));
  S->u = NULL;
  PetscCall(VecDestroy(&S->u_all));
  PetscCall(StkGridDestroy(&S->grid));
  PetscCall(PetscFree(S->rates));
  S->M = 0;
  PetscFunctionReturn(0);
}

/* The regimes' groups: each a staking model; the bounds the widest of theirs. */
static PetscErrorCode ReadRegimeModels(StkPolicy p, RegimeSolutionCtx *S, StkH5 file)
{
  char list[1024], *name, *next;

  PetscFunctionBeginUser;
  PetscCall(PetscStrncpy(list, S->names, sizeof(list)));
  p->u_min = PETSC_MAX_REAL, p->u_max = -PETSC_MAX_REAL;
  for (name = list; name; name = next) {
    char      group[1100], model[64];
    if ((next = strchr(name, ','))) *next++ = 0;
    PetscReal lo, hi;
    PetscCall(PetscSNPrintf(group, sizeof(group), SOLUTION_GROUP "/regimes/%s", name));
    PetscCall(StkH5ReadAttributeString(file, group, "model", sizeof(model), model));
    PetscCheck(!strcmp(model, "staking"), p->comm, PETSC_ERR_FILE_UNEXPECTED, "-%sfile %s: regime %s holds a '%s' model, not a staking policy", p->class_prefix, p->file, name, model);
    PetscCall(StkH5ReadAttributeReal(file, group, "u_min", &lo));
    PetscCall(StkH5ReadAttributeReal(file, group, "u_max", &hi));
    p->u_min = PetscMin(p->u_min, lo), p->u_max = PetscMax(p->u_max, hi);
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadFile(StkPolicy p, RegimeSolutionCtx *S, StkH5 file)
{
  PetscBool has;
  PetscInt  rows, cols;
  Vec       u;

  PetscFunctionBeginUser;
  PetscCall(StkH5HasAttribute(file, SOLUTION_GROUP, "regimes", &has));
  PetscCheck(has, p->comm, PETSC_ERR_FILE_UNEXPECTED, "-%sfile %s is not a regime-switching solution (no attribute 'regimes' in /solution): for a single solution use -%spolicy solution", p->class_prefix, p->file, p->prefix ? p->prefix : "");
  PetscCall(StkH5ReadAttributeInt(file, SOLUTION_GROUP, "regimes", &S->M));
  PetscCall(StkH5ReadAttributeString(file, SOLUTION_GROUP, "regime_names", sizeof(S->names), S->names));
  PetscCall(StkH5HasDataset(file, SOLUTION_GROUP, "policy", &has));
  PetscCheck(has, p->comm, PETSC_ERR_FILE_UNEXPECTED, "-%sfile %s has no dataset /solution/policy (one control): not an issuance policy", p->class_prefix, p->file);
  PetscCall(StkH5ReadArray2D(file, SOLUTION_GROUP, "rates", &rows, &cols, &S->rates));
  PetscCheck(rows == S->M && cols == S->M, p->comm, PETSC_ERR_FILE_UNEXPECTED, "-%sfile %s: rates is %" PetscInt_FMT " x %" PetscInt_FMT " for %" PetscInt_FMT " regimes", p->class_prefix, p->file, rows, cols, S->M);
  PetscCall(ReadRegimeModels(p, S, file));
  PetscCall(StkH5ReadGrid(file, SOLUTION_GROUP, &S->grid));
  PetscCall(StkH5ReadField(file, SOLUTION_GROUP, "policy", S->grid, S->M, &u));
  PetscCall(StkGridGatherField(S->grid, u, &S->u_all));
  PetscCall(VecDestroy(&u));
  PetscCall(VecGetArrayRead(S->u_all, &S->u));
  PetscFunctionReturn(0);
}

static PetscErrorCode RegimeSolutionSetUp(StkPolicy p)
{
  RegimeSolutionCtx *S = (RegimeSolutionCtx *)p->data;
  StkH5              file;
  PetscErrorCode     ierr;

  PetscFunctionBeginUser;
  PetscCall(RegimeSolutionClear(S));
  PetscCheck(p->file[0], p->comm, PETSC_ERR_USER_INPUT, "-%spolicy regime_solution needs -%sfile FILE.h5 (written by stakehjb solve -regime_files)", p->prefix ? p->prefix : "", p->class_prefix);
  PetscCall(StkH5Open(p->comm, p->file, &file));
  ierr = ReadFile(p, S, file);
  PetscCall(StkH5Destroy(&file));
  if (ierr) PetscCall(RegimeSolutionClear(S));
  PetscCall(ierr);
  PetscFunctionReturn(0);
}

static PetscErrorCode RegimeSolutionView(StkPolicy p, PetscViewer viewer)
{
  RegimeSolutionCtx *S = (RegimeSolutionCtx *)p->data;

  PetscFunctionBeginUser;
  PetscCall(PetscViewerASCIIPrintf(viewer, "u*(x, regime) of %s, interpolated multilinearly in x for the simulation's regime\n", p->file[0] ? p->file : "(no -policy_file)"));
  if (S->M) PetscCall(PetscViewerASCIIPrintf(viewer, "%" PetscInt_FMT " regimes: %s\n", S->M, S->names));
  PetscFunctionReturn(0);
}

static PetscErrorCode RegimeSolutionDestroy(StkPolicy p)
{
  PetscFunctionBeginUser;
  PetscCall(RegimeSolutionClear((RegimeSolutionCtx *)p->data));
  PetscCall(PetscFree(p->data));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyRegimeSolutionGetRegimes(StkPolicy p, PetscInt *M, const char **names, const PetscReal **rates)
{
  RegimeSolutionCtx *S;
  PetscBool          match;

  PetscFunctionBeginUser;
  PetscCall(PetscStrcmp(p->type, STK_POLICY_REGIME_SOLUTION, &match));
  PetscCheck(match, p->comm, PETSC_ERR_ARG_WRONG, "StkPolicyRegimeSolutionGetRegimes needs -%spolicy regime_solution, got %s", p->prefix ? p->prefix : "", p->type);
  PetscCall(StkPolicySetUp(p));
  S = (RegimeSolutionCtx *)p->data;
  if (M) *M = S->M;
  if (names) *names = S->names;
  if (rates) *rates = S->rates;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyCreate_RegimeSolution(StkPolicy p)
{
  RegimeSolutionCtx *S;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&S));
  p->data         = S;
  p->ops.evaluate = RegimeSolutionEvaluate;
  p->ops.setup    = RegimeSolutionSetUp;
  p->ops.view     = RegimeSolutionView;
  p->ops.destroy  = RegimeSolutionDestroy;
  PetscFunctionReturn(0);
}
