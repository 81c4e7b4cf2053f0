/* StkModel: the generic part of a model (options, validation, dispatch to the ops table). */
#include "stk_modelimpl.h"
#include "stk_options.h"
#include <string.h>

#define STK_MODEL_DEFAULT_RHO 0.05

/* Registered types: a process-wide list, as PETSc's own XxxRegister.  The built-ins are
 * added once, before anything else (StkModelRegisterAll, called by StkModelRegister and
 * StkModelCreate), and the list is destroyed at PetscFinalize. */
static PetscFunctionList StkModelList              = NULL;
static PetscBool         StkModelRegisterAllCalled = PETSC_FALSE;

static PetscErrorCode StkModelFinalizePackage(void)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFunctionListDestroy(&StkModelList));
  StkModelRegisterAllCalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

static PetscErrorCode StkModelRegisterAll(void)
{
  PetscFunctionBeginUser;
  if (StkModelRegisterAllCalled) PetscFunctionReturn(0);
  StkModelRegisterAllCalled = PETSC_TRUE;
  PetscCall(PetscRegisterFinalize(StkModelFinalizePackage));
  PetscCall(PetscFunctionListAdd(&StkModelList, STK_MODEL_STAKING, StkModelCreate_Staking));
  PetscCall(PetscFunctionListAdd(&StkModelList, STK_MODEL_LQ, StkModelCreate_LQ));
  PetscCall(PetscFunctionListAdd(&StkModelList, STK_MODEL_BANGBANG, StkModelCreate_BangBang));
  PetscCall(PetscFunctionListAdd(&StkModelList, STK_MODEL_MMS, StkModelCreate_MMS));
  PetscCall(PetscFunctionListAdd(&StkModelList, STK_MODEL_MERTON, StkModelCreate_Merton));
  PetscCall(PetscFunctionListAdd(&StkModelList, STK_MODEL_STAKING_PRICE, StkModelCreate_StakingPrice));
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelRegister(const char name[], PetscErrorCode (*create)(StkModel))
{
  PetscFunctionBeginUser;
  PetscCall(StkModelRegisterAll());
  PetscCall(PetscFunctionListAdd(&StkModelList, name, create));
  PetscFunctionReturn(0);
}

/* "staking, lq, ...": the registered names in registration order, for messages. */
static PetscErrorCode StkModelKnownTypes(char known[], size_t len)
{
  PetscFunctionBeginUser;
  PetscCall(StkModelRegisterAll());
  PetscCall(StkFunctionListNames(StkModelList, known, len));
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelCreate(MPI_Comm comm, StkModel *model)
{
  StkModel m;

  PetscFunctionBeginUser;
  PetscCall(StkModelRegisterAll());
  PetscCall(PetscNew(&m));
  m->comm = comm;
  m->dim  = 2;
  m->rho  = STK_MODEL_DEFAULT_RHO;
  *model  = m;
  PetscFunctionReturn(0);
}

static PetscErrorCode StkModelResetType(StkModel m)
{
  PetscFunctionBeginUser;
  if (m->ops.destroy) PetscCall(m->ops.destroy(m));
  PetscCall(StkModelUserReset(m));
  PetscCall(PetscMemzero(&m->ops, sizeof(m->ops)));
  m->data        = NULL;
  m->type[0]     = 0;
  m->type_class  = NULL;
  m->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/* The user's part of the prefix, "" when none: messages print "-%smodel". */
static const char *UserPrefix(StkModel m)
{
  return m->prefix ? m->prefix : "";
}

PetscErrorCode StkModelComposePrefix(StkModel m, const char cls[], char pre[], size_t len)
{
  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixCompose(m->prefix, cls ? cls : m->type_class, pre, len));
  PetscFunctionReturn(0);
}

/* The objects the type owns follow the model's prefix. */
static PetscErrorCode StkModelHandPrefixDown(StkModel m)
{
  PetscFunctionBeginUser;
  if (m->ops.setoptionsprefix) PetscCall(m->ops.setoptionsprefix(m));
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelSetOptionsPrefix(StkModel m, const char prefix[])
{
  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixSet(&m->prefix, prefix));
  PetscCall(StkModelHandPrefixDown(m));
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelAppendOptionsPrefix(StkModel m, const char prefix[])
{
  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixAppend(&m->prefix, prefix));
  PetscCall(StkModelHandPrefixDown(m));
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelGetOptionsPrefix(StkModel m, const char *prefix[])
{
  PetscFunctionBeginUser;
  *prefix = m->prefix;
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelSetType(StkModel m, const char type[])
{
  PetscErrorCode (*create)(StkModel) = NULL;

  PetscFunctionBeginUser;
  PetscCall(StkModelRegisterAll());
  if (m->type[0] && !strcmp(m->type, type)) PetscFunctionReturn(0);
  PetscCall(PetscFunctionListFind(StkModelList, type, &create));
  if (!create) {
    char known[256];
    PetscCall(StkModelKnownTypes(known, sizeof(known)));
    SETERRQ(m->comm, PETSC_ERR_ARG_UNKNOWN_TYPE, "Unknown -%smodel '%s' (known: %s; the type of a plugin needs -model_plugin PATH)", UserPrefix(m), type, known);
  }
  PetscCall(StkModelResetType(m));
  PetscCall(PetscStrncpy(m->type, type, sizeof(m->type)));
  m->rho = STK_MODEL_DEFAULT_RHO; /* a type may choose its own default; -hjb_rho is read after the type */
  for (PetscInt k = 0; k < STK_MAX_DIM; k++) {
    m->bc[k][0] = m->bc[k][1] = STK_BC_REFLECT;
    m->stretch[k]             = 0;
    PetscCall(PetscSNPrintf(m->names[k], sizeof(m->names[k]), "x%" PetscInt_FMT, k));
    PetscCall(PetscStrncpy(m->units[k], "1", sizeof(m->units[k]))); /* test problems: dimensionless */
    PetscCall(PetscSNPrintf(m->long_names[k], sizeof(m->long_names[k]), "state variable x%" PetscInt_FMT, k));
  }
  PetscCall(create(m));
  PetscCall(StkModelUserFinishCreate(m));
  PetscCall(StkModelHandPrefixDown(m));
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelSetDimension(StkModel m, PetscInt dim)
{
  PetscFunctionBeginUser;
  PetscCheck(dim >= 1 && dim <= STK_MAX_DIM, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sdim must be 1, 2 or 3, got %" PetscInt_FMT, UserPrefix(m), dim);
  m->dim_set = PETSC_TRUE;
  if (dim != m->dim && m->type[0]) { /* re-create the type at the new dimension, same discount */
    char            type[64];
    const PetscReal rho = m->rho;
    PetscCall(PetscStrncpy(type, m->type, sizeof(type)));
    m->dim = dim;
    PetscCall(StkModelResetType(m));
    PetscCall(StkModelSetType(m, type));
    m->rho = rho;
  }
  m->dim = dim;
  PetscFunctionReturn(0);
}

/* The type's own options, under USER + its class. */
static PetscErrorCode StkModelTypeSetFromOptions(StkModel m, const char title[])
{
  char pre[256];

  PetscFunctionBeginUser;
  if (!m->ops.setfromoptions) PetscFunctionReturn(0);
  PetscCall(StkModelComposePrefix(m, NULL, pre, sizeof(pre)));
  PetscOptionsBegin(m->comm, pre, title, NULL);
  PetscCall(m->ops.setfromoptions(m, PetscOptionsObject));
  PetscOptionsEnd();
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelSetFromOptions(StkModel m)
{
  char      type[64], pre[256], title[96];
  PetscInt  dim = m->dim;
  PetscBool set;

  PetscFunctionBeginUser;
  PetscCall(PetscStrncpy(type, m->type[0] ? m->type : STK_MODEL_STAKING, sizeof(type)));
  PetscOptionsBegin(m->comm, m->prefix, "Model (docs/model.md#the-planners-problem)", NULL);
  PetscCall(PetscOptionsFList("-model", "Model: staking (docs/model.md), or a test problem with an exact solution: lq (linear-quadratic), bangbang (bounded control), mms (manufactured, reflecting), merton (consumption-portfolio); staking_price (the staking model with the log token price, docs/model.md#the-price-aware-planner)", "StkModelSetType", StkModelList, type, type, sizeof(type), NULL));
  PetscCall(PetscOptionsInt("-dim", "State dimension: 1 (s) or 2 (s, z) for staking (default 2); 2 (s, ln P) or 3 (s, z, ln P) for staking_price; 1, 2 or 3 for lq and mms (default 2); bangbang and merton are 1-D", "StkModelSetDimension", dim, &dim, &set));
  PetscOptionsEnd();
  /* after PetscOptionsEnd: a bad name or dimension then errors without leaving the block open */
  if (set) PetscCall(StkModelSetDimension(m, dim));
  PetscCall(StkModelSetType(m, type));
  PetscCall(StkModelComposePrefix(m, STK_MODEL_PARAMS_CLASS, pre, sizeof(pre)));
  PetscOptionsBegin(m->comm, pre, "Model discount", NULL);
  PetscCall(PetscOptionsReal("-rho", "Discount rate rho > 0 (1/yr)", "StkModelSetFromOptions", m->rho, &m->rho, NULL));
  PetscOptionsEnd();
  PetscCheck(m->rho > 0, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%srho must be > 0, got %g", pre, (double)m->rho);
  PetscCall(PetscSNPrintf(title, sizeof(title), "Parameters of -%smodel %s", UserPrefix(m), m->type));
  PetscCall(StkModelTypeSetFromOptions(m, title));
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelSetUp(StkModel m)
{
  PetscFunctionBeginUser;
  if (m->setupcalled) PetscFunctionReturn(0);
  if (!m->type[0]) PetscCall(StkModelSetType(m, STK_MODEL_STAKING));
  if (m->ops.setup) PetscCall(m->ops.setup(m));
  PetscCall(StkModelValidate(m));
  for (PetscInt c = 0; c < m->nu; c++)
    PetscCheck(m->ulo[c] <= m->uhi[c], m->comm, PETSC_ERR_ARG_OUTOFRANGE, "Control %" PetscInt_FMT " bounds are inverted: lower %g > upper %g", c, (double)m->ulo[c], (double)m->uhi[c]);
  m->setupcalled = PETSC_TRUE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelView(StkModel m, PetscViewer viewer)
{
  PetscFunctionBeginUser;
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(m->comm, &viewer));
  PetscCall(PetscViewerASCIIPrintf(viewer, "Model %s, %" PetscInt_FMT "-D, %" PetscInt_FMT " control(s), rho = %g /yr\n", m->type, m->dim, m->nu, (double)m->rho));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  if (m->ops.view) PetscCall(m->ops.view(m, viewer));
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelDestroy(StkModel *model)
{
  PetscFunctionBeginUser;
  if (!*model) PetscFunctionReturn(0);
  PetscCall(StkModelResetType(*model));
  PetscCall(PetscFree((*model)->prefix));
  PetscCall(PetscFree(*model));
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelGetType(StkModel m, const char **type)
{
  PetscFunctionBeginUser;
  *type = m->type;
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelGetDimension(StkModel m, PetscInt *dim)
{
  PetscFunctionBeginUser;
  *dim = m->dim;
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelGetDiscount(StkModel m, PetscReal *rho)
{
  PetscFunctionBeginUser;
  *rho = m->rho;
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelGetNumControls(StkModel m, PetscInt *nu)
{
  PetscFunctionBeginUser;
  *nu = m->nu;
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelGetControlDirection(StkModel m, PetscInt c, PetscInt *k)
{
  PetscFunctionBeginUser;
  *k = m->control_dir[c];
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelGetControlBounds(StkModel m, PetscInt c, PetscReal *lo, PetscReal *hi)
{
  PetscFunctionBeginUser;
  if (lo) *lo = m->ulo[c];
  if (hi) *hi = m->uhi[c];
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelGetDefaultBox(StkModel m, PetscReal lo[], PetscReal hi[])
{
  PetscFunctionBeginUser;
  for (PetscInt k = 0; k < m->dim; k++) {
    lo[k] = m->box_lo[k];
    hi[k] = m->box_hi[k];
  }
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelGetStateName(StkModel m, PetscInt k, const char **name)
{
  PetscFunctionBeginUser;
  *name = m->names[k];
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelGetStateUnits(StkModel m, PetscInt k, const char **units, const char **long_name)
{
  PetscFunctionBeginUser;
  PetscCheck(k >= 0 && k < STK_MAX_DIM, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "state variable %" PetscInt_FMT " does not exist", k);
  if (units) *units = m->units[k];
  if (long_name) *long_name = m->long_names[k];
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelGetBoundaryType(StkModel m, PetscInt k, PetscInt side, StkBoundaryType *type)
{
  PetscFunctionBeginUser;
  *type = m->bc[k][side];
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelGetReferencePoint(StkModel m, PetscReal x[])
{
  PetscFunctionBeginUser;
  PetscCall(StkModelSetUp(m));
  for (PetscInt k = 0; k < m->dim; k++) x[k] = m->has_ref_point ? m->ref_point[k] : 0.5 * (m->box_lo[k] + m->box_hi[k]);
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelConfigureGrid(StkModel m, StkGrid grid)
{
  PetscInt n[STK_MAX_DIM];

  PetscFunctionBeginUser;
  PetscCall(StkModelSetUp(m));
  /* 3-D: 33^3 nodes, a solve of a few seconds on one core */
  for (PetscInt k = 0; k < m->dim; k++) n[k] = m->dim == 1 ? 401 : m->dim == 2 ? (k == 0 ? 257 : 65) : 33;
  PetscCall(StkGridSetDimension(grid, m->dim));
  PetscCall(StkGridSetSizes(grid, n));
  PetscCall(StkGridSetBox(grid, m->box_lo, m->box_hi));
  for (PetscInt k = 0; k < m->dim; k++) {
    PetscCall(StkGridSetName(grid, k, m->names[k]));
    if (m->stretch[k] > 0) PetscCall(StkGridSetStretching(grid, k, m->cluster[k], m->stretch[k]));
  }
  PetscCall(StkGridSetFromOptions(grid));
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelDrift(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal b[])
{
  return m->ops.drift(m, x, u, b);
}

PetscErrorCode StkModelDiffusion(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal a[])
{
  return m->ops.diffusion(m, x, u, a);
}

PetscErrorCode StkModelCost(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal *l)
{
  return m->ops.cost(m, x, u, l);
}

PetscErrorCode StkModelGreedy(StkModel m, const PetscReal x[], PetscInt c, PetscReal p, PetscReal q, const PetscReal u[], PetscReal *uc)
{
  if (PetscUnlikely(!m->ops.greedy)) SETERRQ(m->comm, PETSC_ERR_SUP, "Model %s has no greedy map (use -hjb_greedy exact)", m->type);
  return m->ops.greedy(m, x, c, p, q, u, uc); /* a bare call: the improvement step's inner loop */
}

PetscErrorCode StkModelDirichlet(StkModel m, const PetscReal x[], PetscReal *g)
{
  PetscFunctionBeginUser;
  PetscCheck(m->ops.dirichlet, m->comm, PETSC_ERR_SUP, "Model %s has no Dirichlet data", m->type);
  PetscCall(m->ops.dirichlet(m, x, g));
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelHasExactSolution(StkModel m, PetscBool *has)
{
  PetscFunctionBeginUser;
  *has = m->ops.exact ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelHasTerminalCost(StkModel m, PetscBool *has)
{
  PetscFunctionBeginUser;
  *has = m->ops.terminal ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelTerminalCost(StkModel m, const PetscReal x[], PetscReal *g)
{
  PetscFunctionBeginUser;
  *g = 0;
  if (m->ops.terminal) PetscCall(m->ops.terminal(m, x, g));
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelExactValue(StkModel m, const PetscReal x[], PetscReal *V)
{
  PetscFunctionBeginUser;
  PetscCheck(m->ops.exact, m->comm, PETSC_ERR_SUP, "Model %s has no closed-form value function", m->type);
  PetscCall(m->ops.exact(m, x, V));
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelHasExactPolicy(StkModel m, PetscBool *has)
{
  PetscFunctionBeginUser;
  *has = m->ops.exact_policy ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelExactPolicy(StkModel m, const PetscReal x[], PetscReal u[])
{
  PetscFunctionBeginUser;
  PetscCheck(m->ops.exact_policy, m->comm, PETSC_ERR_SUP, "Model %s has no closed-form policy", m->type);
  PetscCall(m->ops.exact_policy(m, x, u));
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelWriteAttributes(StkModel m, StkH5 file, const char group[])
{
  PetscFunctionBeginUser;
  PetscCall(StkH5WriteAttributeString(file, group, "model", m->type));
  PetscCall(StkH5WriteAttributeInt(file, group, "dim", m->dim));
  PetscCall(StkH5WriteAttributeReal(file, group, "rho", m->rho, "1/yr"));
  if (m->ops.attributes) PetscCall(m->ops.attributes(m, file, group));
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelWriteParams(StkH5 file, const char group[], size_t n, const StkModelParam params[])
{
  PetscFunctionBeginUser;
  for (size_t i = 0; i < n; i++) PetscCall(StkH5WriteAttributeReal(file, group, params[i].name, *params[i].value, params[i].units));
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelLoadParams(StkH5 file, const char group[], size_t n, const StkModelParam params[])
{
  const char *path;

  PetscFunctionBeginUser;
  PetscCall(StkH5GetPath(file, &path));
  for (size_t i = 0; i < n; i++) {
    PetscCall(StkH5ReadAttributeReal(file, group, params[i].name, params[i].value));
    PetscCheck(!PetscIsInfOrNanReal(*params[i].value), PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: attribute '%s/%s' is %g, expected a finite number", path, group, params[i].name, (double)*params[i].value);
  }
  PetscFunctionReturn(0);
}

/* The file's type at the file's dimension: a type that rejects the dimension (staking in
 * 3-D) is an error about the file, not about an option. */
static PetscErrorCode StkModelSetTypeFromFile(StkModel m, const char path[], const char group[], const char type[])
{
  PetscErrorCode ierr;
  char          *why = NULL;

  PetscFunctionBeginUser;
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = StkModelSetType(m, type);
  PetscCall(PetscPopErrorHandler());
  if (!ierr) PetscFunctionReturn(0);
  PetscCall(PetscErrorMessage(ierr, NULL, &why));
  SETERRQ(m->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: attributes '%s/model' = '%s' and '%s/dim' = %" PetscInt_FMT " do not make a model (%s)", path, group, type, group, m->dim, why && why[0] ? why : "the type cannot be created");
}

/* The type at the file's dimension and discount, then the type's own parameters. */
static PetscErrorCode StkModelLoadInto(StkModel m, StkH5 file, const char group[])
{
  char        type[64];
  PetscInt    dim;
  PetscReal   rho;
  const char *path;

  PetscFunctionBeginUser;
  PetscCall(StkH5GetPath(file, &path));
  PetscCall(StkH5ReadAttributeString(file, group, "model", sizeof(type), type));
  PetscCall(StkH5ReadAttributeInt(file, group, "dim", &dim));
  PetscCall(StkH5ReadAttributeReal(file, group, "rho", &rho));
  PetscCheck(dim >= 1 && dim <= STK_MAX_DIM, m->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: attribute '%s/dim' is %" PetscInt_FMT ", expected 1, 2 or 3", path, group, dim);
  PetscCheck(rho > 0, m->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: attribute '%s/rho' is %g, expected > 0", path, group, (double)rho);
  PetscCall(StkModelSetDimension(m, dim));
  PetscCall(StkModelSetTypeFromFile(m, path, group, type));
  m->rho = rho; /* after the type, which sets its default */
  PetscCheck(m->ops.load, m->comm, PETSC_ERR_SUP, "%s: model type '%s' cannot be read from a file (it has no load op)", path, type);
  PetscCall(m->ops.load(m, file, group));
  if (!strcmp(type, STK_MODEL_STAKING)) /* before SetUp, whose message would name an option */
    PetscCheck(m->ulo[0] < m->uhi[0], m->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: attributes '%s/u_min' = %g and '%s/u_max' = %g: u_min must be < u_max", path, group, (double)m->ulo[0], group, (double)m->uhi[0]);
  PetscCall(StkModelSetUp(m));
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelLoad(MPI_Comm comm, StkH5 file, const char group[], StkModel *model)
{
  StkModel       m;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  *model = NULL;
  PetscCall(StkModelCreate(comm, &m));
  ierr = StkModelLoadInto(m, file, group);
  if (ierr) PetscCall(StkModelDestroy(&m));
  PetscCall(ierr);
  *model = m;
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelPrintOptionsOfOtherTypes(StkModel m)
{
  const char **names;
  int          n;

  PetscFunctionBeginUser;
  PetscCall(StkModelRegisterAll());
  PetscCall(PetscFunctionListGet(StkModelList, &names, &n));
  for (int i = 0; i < n && names[i]; i++) { /* n counts the closing NULL */
    StkModel other;
    char     title[128];
    if (!strcmp(names[i], m->type)) continue;
    PetscCall(StkModelCreate(m->comm, &other));
    other->dim = m->dim;
    if (m->dim > 2 && !strcmp(names[i], STK_MODEL_STAKING)) other->dim = 2; /* staking has no 3-D form; list its 2-D options */
    if (m->dim < 2 && !strcmp(names[i], STK_MODEL_STAKING_PRICE)) other->dim = 2; /* staking_price has no 1-D form */
    PetscCall(StkModelSetOptionsPrefix(other, m->prefix));
    PetscCall(StkModelSetType(other, names[i]));
    other->listing = PETSC_TRUE;
    PetscCall(PetscSNPrintf(title, sizeof(title), "Options of -%smodel %s", UserPrefix(m), other->type));
    PetscCall(StkModelTypeSetFromOptions(other, title));
    PetscCall(StkModelDestroy(&other));
  }
  PetscCall(PetscFree(names));
  PetscFunctionReturn(0);
}
