/* The solution policy: u*(x) as stored in a solution file (stakehjb solve -o FILE),
 * interpolated multilinearly between the nodes and clamped to the solved box.  Unlike
 * the expert it does not re-evaluate the greedy map: it is what the solver wrote.
 * A staking_price file (docs/model.md#the-price-aware-planner) makes the price-aware
 * expert: u*(s, [z,] ln P) evaluated at x[0], [x[1],] x[STK_SIM_X_LOGP] (the simulators
 * pass all STK_SIM_X_LEN entries); without a price (NaN) at the model's reference ln P,
 * ln P_bar clipped to the solved box.
 *
 * The file's model (StkSolutionLoad) gives the clipping bounds.  A model set with
 * StkPolicySetModel is the environment the policy will run in: where its agents differ
 * from those the file was solved for (a legitimate robustness experiment), SetUp warns
 * once per parameter. */
#include "stk_policyimpl.h"
#include "stk_hjb.h"
#include "stk_options.h"

typedef struct {
  StkModel           model; /* the file's */
  StkGrid            grid;  /* the file's coordinates */
  Vec                u_all; /* the policy in natural order, whole field on every rank */
  const PetscScalar *u;
  PetscBool          priced;   /* a staking_price file: the grid's last coordinate is ln P */
  PetscInt           dim;
  PetscReal          logp_ref; /* ln P where the price is unknown */
} SolutionCtx;

static PetscErrorCode SolutionEvaluate(void *ctx, PetscReal t, const PetscReal x[], PetscReal *u, void *state)
{
  StkPolicy    p = (StkPolicy)ctx;
  SolutionCtx *S = (SolutionCtx *)p->data;

  PetscFunctionBeginUser;
  if (S->priced) {
    const PetscReal lp    = x[STK_SIM_X_LOGP];
    PetscReal       xg[3] = {x[0], x[1], 0};
    xg[S->dim - 1]        = PetscIsNanReal(lp) ? S->logp_ref : lp;
    PetscCall(StkGridInterpolate(S->grid, S->u, 1, 0, xg, u));
  } else PetscCall(StkGridInterpolate(S->grid, S->u, 1, 0, x, u));
  PetscFunctionReturn(0);
}

/* Names each agent parameter of the file's model that differs from the model set. */
static PetscErrorCode WarnParameterMismatch(StkPolicy p, SolutionCtx *S)
{
  StkPopulation         file_pop, run_pop;
  const StkAgentParams *f, *r;
  const char           *type, *user;
  char                  agents[256]; /* the run's holders' options prefix */
  PetscBool             staking;

  PetscFunctionBeginUser;
  PetscCall(StkModelGetType(p->model, &type));
  PetscCall(PetscStrcmp(type, STK_MODEL_STAKING, &staking));
  if (!staking) PetscFunctionReturn(0);
  PetscCall(StkModelStakingGetPopulation(S->model, &file_pop));
  PetscCall(StkModelStakingGetPopulation(p->model, &run_pop));
  PetscCall(StkPopulationGetParams(file_pop, &f));
  PetscCall(StkPopulationGetParams(run_pop, &r));
  PetscCall(StkPopulationGetOptionsPrefix(run_pop, &user));
  PetscCall(StkOptionsPrefixCompose(user, "agents_", agents, sizeof(agents)));
  {
    const char     *names[] = {"s_max", "phi", "kappa", "sigma0", "zbar", "theta", "sigma_z"};
    const PetscReal fv[]    = {f->s_max, f->phi, f->kappa, f->sigma0, f->zbar, f->theta, f->sigma_z};
    const PetscReal rv[]    = {r->s_max, r->phi, r->kappa, r->sigma0, r->zbar, r->theta, r->sigma_z};

    if (f->cost.type != r->cost.type) PetscCall(PetscFPrintf(p->comm, PETSC_STDERR, "warning: -%sfile %s was solved with cost_distribution %s, this run has -%scost %s\n", p->class_prefix, p->file, StkCostTypes[f->cost.type], agents, StkCostTypes[r->cost.type]));
    for (size_t k = 0; k < PETSC_STATIC_ARRAY_LENGTH(names); k++)
      if (PetscAbsReal(fv[k] - rv[k]) > 1e-12 * PetscMax(PetscAbsReal(fv[k]), (PetscReal)1)) PetscCall(PetscFPrintf(p->comm, PETSC_STDERR, "warning: -%sfile %s was solved with %s = %g, this run has -%s%s %g\n", p->class_prefix, p->file, names[k], (double)fv[k], agents, names[k], (double)rv[k]));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode SolutionClear(SolutionCtx *S)
{
  PetscFunctionBeginUser;
  if (S->u) PetscCall(VecRestoreArrayRead(S->u_all, &S->u));
  PetscCall(VecDestroy(&S->u_all));
  PetscCall(StkGridDestroy(&S->grid));
  PetscCall(StkModelDestroy(&S->model));
  PetscFunctionReturn(0);
}

static PetscErrorCode SolutionSetUp(StkPolicy p)
{
  SolutionCtx   *S = (SolutionCtx *)p->data;
  const char    *type;
  PetscBool      staking;
  Vec            u;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(SolutionClear(S));
  PetscCheck(p->file[0], p->comm, PETSC_ERR_USER_INPUT, "-%spolicy solution needs -%sfile FILE.h5 (written by stakehjb solve)", p->prefix ? p->prefix : "", p->class_prefix);
  PetscCall(StkSolutionLoad(p->comm, p->file, &S->model, &S->grid, NULL, &u));
  PetscCall(StkModelGetType(S->model, &type));
  PetscCall(PetscStrcmp(type, STK_MODEL_STAKING, &staking));
  PetscCall(PetscStrcmp(type, STK_MODEL_STAKING_PRICE, &S->priced));
  ierr = staking || S->priced ? 0 : PetscError(p->comm, __LINE__, PETSC_FUNCTION_NAME, __FILE__, PETSC_ERR_FILE_UNEXPECTED, PETSC_ERROR_INITIAL, "-%sfile %s holds a '%s' model, not a staking or staking_price policy", p->class_prefix, p->file, type);
  if (!ierr && S->priced) {
    PetscReal ref[STK_MAX_DIM];
    ierr = StkModelGetDimension(S->model, &S->dim);
    if (!ierr) ierr = StkModelGetReferencePoint(S->model, ref);
    if (!ierr) S->logp_ref = ref[S->dim - 1];
  }
  if (!ierr) ierr = StkGridGatherField(S->grid, u, &S->u_all);
  PetscCall(VecDestroy(&u));
  PetscCall(ierr);
  PetscCall(VecGetArrayRead(S->u_all, &S->u));
  PetscCall(StkModelGetControlBounds(S->model, 0, &p->u_min, &p->u_max));
  if (p->model && !p->own_model) PetscCall(WarnParameterMismatch(p, S));
  PetscFunctionReturn(0);
}

static PetscErrorCode SolutionView(StkPolicy p, PetscViewer viewer)
{
  SolutionCtx *S = (SolutionCtx *)p->data;
  PetscInt     dim, n[STK_MAX_DIM] = {1, 1, 1};

  PetscFunctionBeginUser;
  PetscCall(PetscViewerASCIIPrintf(viewer, "u*(x) of %s, interpolated multilinearly\n", p->file[0] ? p->file : "(no -policy_file)"));
  if (!S->grid) PetscFunctionReturn(0);
  PetscCall(StkGridGetDimension(S->grid, &dim));
  PetscCall(StkGridGetSizes(S->grid, n));
  PetscCall(PetscViewerASCIIPrintf(viewer, "%" PetscInt_FMT "-D solution, grid %" PetscInt_FMT " x %" PetscInt_FMT "\n", dim, n[0], dim > 1 ? n[1] : 1));
  PetscCall(StkModelView(S->model, viewer));
  PetscFunctionReturn(0);
}

static PetscErrorCode SolutionDestroy(StkPolicy p)
{
  PetscFunctionBeginUser;
  PetscCall(SolutionClear((SolutionCtx *)p->data));
  PetscCall(PetscFree(p->data));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyCreate_Solution(StkPolicy p)
{
  SolutionCtx *S;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&S));
  p->data         = S;
  p->ops.evaluate = SolutionEvaluate;
  p->ops.setup    = SolutionSetUp;
  p->ops.view     = SolutionView;
  p->ops.destroy  = SolutionDestroy;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicySolutionIsPriceAware(StkPolicy p, PetscBool *aware)
{
  const char *type;
  PetscBool   solution;

  PetscFunctionBeginUser;
  PetscCall(StkPolicyGetType(p, &type));
  PetscCall(PetscStrcmp(type, STK_POLICY_SOLUTION, &solution));
  PetscCheck(solution, p->comm, PETSC_ERR_ARG_WRONG, "StkPolicySolutionIsPriceAware: the policy is '%s', not solution", type);
  PetscCall(StkPolicySetUp(p));
  *aware = ((SolutionCtx *)p->data)->priced;
  PetscFunctionReturn(0);
}
