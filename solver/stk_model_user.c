/* The public model-definition API (stk_model.h, docs/library.md): a type's create
 * callback describes its problem through setters; its parameter table gives it the
 * generic options, attributes, load and view ops; StkModelSetUp validates every type;
 * plugins register types from shared objects. */
#include "stk_modelimpl.h"
#include <ctype.h>
#include <dlfcn.h>
#include <string.h>
#include <unistd.h>

#define STK_MODEL_MAX_PARAMS 64

typedef struct {
  char       name[48], units[32], help[256];
  PetscReal *value;
} UserParam;

struct _StkModelUser {
  void *ctx;
  PetscErrorCode (*ctx_destroy)(void *);
  StkModelSetUpFn setup;
  PetscInt        dmin, dmax;
  char            cls[80]; /* "TYPE_": the options class and attribute prefix */
  UserParam       params[STK_MODEL_MAX_PARAMS];
  PetscInt        nparams;
};

/* The definition record, made by the first setter a create callback calls. */
static PetscErrorCode UserGet(StkModel m, struct _StkModelUser **user)
{
  PetscFunctionBeginUser;
  if (!m->user) {
    PetscCall(PetscNew(&m->user));
    m->user->dmin = 1;
    m->user->dmax = STK_MAX_DIM;
    m->nu         = 0; /* the documented defaults, whatever the previous type left */
    for (PetscInt k = 0; k < STK_MAX_DIM; k++) {
      m->box_lo[k] = 0;
      m->box_hi[k] = 1;
    }
    PetscCall(PetscSNPrintf(m->user->cls, sizeof(m->user->cls), "%s_", m->type));
  }
  *user = m->user;
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckDirection(StkModel m, const char fn[], PetscInt k)
{
  PetscFunctionBeginUser;
  PetscCheck(k >= 0 && k < m->dim, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "Model %s: %s: state direction %" PetscInt_FMT " is out of range: the model is %" PetscInt_FMT "-D (directions 0..%" PetscInt_FMT ")", m->type, fn, k, m->dim, m->dim - 1);
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelSetDimensionRange(StkModel m, PetscInt dmin, PetscInt dmax)
{
  struct _StkModelUser *user;

  PetscFunctionBeginUser;
  PetscCheck(1 <= dmin && dmin <= dmax && dmax <= STK_MAX_DIM, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "Model %s: StkModelSetDimensionRange: [%" PetscInt_FMT ", %" PetscInt_FMT "] is not a range within [1, %d]", m->type, dmin, dmax, STK_MAX_DIM);
  PetscCall(UserGet(m, &user));
  user->dmin = dmin;
  user->dmax = dmax;
  if (!m->dim_set) m->dim = PetscMin(PetscMax(m->dim, dmin), dmax);
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelSetNumControls(StkModel m, PetscInt nu)
{
  struct _StkModelUser *user;

  PetscFunctionBeginUser;
  PetscCall(UserGet(m, &user));
  PetscCheck(nu >= 0 && nu <= STK_MAX_CONTROLS, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "Model %s: StkModelSetNumControls: %" PetscInt_FMT " controls is out of range: at most %d", m->type, nu, STK_MAX_CONTROLS);
  m->nu = nu;
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelSetControl(StkModel m, PetscInt c, PetscInt k, PetscReal lo, PetscReal hi)
{
  struct _StkModelUser *user;

  PetscFunctionBeginUser;
  PetscCall(UserGet(m, &user));
  PetscCheck(c >= 0 && c < m->nu, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "Model %s: StkModelSetControl: control %" PetscInt_FMT " does not exist (StkModelSetNumControls set %" PetscInt_FMT ")", m->type, c, m->nu);
  m->control_dir[c] = k; /* checked at set-up, when the dimension is final */
  m->ulo[c]         = lo;
  m->uhi[c]         = hi;
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelSetDefaultBox(StkModel m, const PetscReal lo[], const PetscReal hi[])
{
  struct _StkModelUser *user;

  PetscFunctionBeginUser;
  PetscCall(UserGet(m, &user));
  for (PetscInt k = 0; k < m->dim; k++) {
    m->box_lo[k] = lo[k];
    m->box_hi[k] = hi[k];
  }
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelSetStateName(StkModel m, PetscInt k, const char name[], const char units[], const char long_name[])
{
  struct _StkModelUser *user;
  size_t                len;

  PetscFunctionBeginUser;
  PetscCall(UserGet(m, &user));
  PetscCall(CheckDirection(m, "StkModelSetStateName", k));
  PetscCall(PetscStrlen(name, &len));
  PetscCheck(len > 0 && len < sizeof(m->names[k]), m->comm, PETSC_ERR_ARG_OUTOFRANGE, "Model %s: StkModelSetStateName: name '%s' must have 1 to %d characters", m->type, name ? name : "", (int)sizeof(m->names[k]) - 1);
  PetscCall(PetscStrncpy(m->names[k], name, sizeof(m->names[k])));
  PetscCall(PetscStrncpy(m->units[k], units ? units : "1", sizeof(m->units[k])));
  if (long_name) PetscCall(PetscStrncpy(m->long_names[k], long_name, sizeof(m->long_names[k])));
  else PetscCall(PetscSNPrintf(m->long_names[k], sizeof(m->long_names[k]), "state variable %s", name));
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelSetBoundaryType(StkModel m, PetscInt k, PetscInt side, StkBoundaryType type)
{
  struct _StkModelUser *user;

  PetscFunctionBeginUser;
  PetscCall(UserGet(m, &user));
  PetscCall(CheckDirection(m, "StkModelSetBoundaryType", k));
  PetscCheck(side == 0 || side == 1, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "Model %s: StkModelSetBoundaryType: side %" PetscInt_FMT " must be 0 (low) or 1 (high)", m->type, side);
  PetscCheck(type >= STK_BC_REFLECT && type <= STK_BC_STATE_CONSTRAINT, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "Model %s: StkModelSetBoundaryType: unknown boundary type %d", m->type, (int)type);
  m->bc[k][side] = type;
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelSetDiscount(StkModel m, PetscReal rho)
{
  struct _StkModelUser *user;

  PetscFunctionBeginUser;
  PetscCall(UserGet(m, &user));
  PetscCheck(rho > 0, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "Model %s: StkModelSetDiscount: rho = %g must be > 0", m->type, (double)rho);
  m->rho = rho;
  PetscFunctionReturn(0);
}

/* The function setters: the user's functions are the ops (same signatures). */
#define STK_USER_SETTER(Name, field, Type) \
  PetscErrorCode Name(StkModel m, Type fn) \
  { \
    struct _StkModelUser *user; \
    PetscFunctionBeginUser; \
    PetscCall(UserGet(m, &user)); \
    m->ops.field = fn; \
    PetscFunctionReturn(0); \
  }
STK_USER_SETTER(StkModelSetDriftFunction, drift, StkModelPointFn)
STK_USER_SETTER(StkModelSetDiffusionFunction, diffusion, StkModelPointFn)
STK_USER_SETTER(StkModelSetCostFunction, cost, StkModelPointFn)
STK_USER_SETTER(StkModelSetGreedyFunction, greedy, StkModelGreedyFn)
STK_USER_SETTER(StkModelSetDirichletFunction, dirichlet, StkModelScalarFn)
STK_USER_SETTER(StkModelSetExactValueFunction, exact, StkModelScalarFn)
STK_USER_SETTER(StkModelSetExactPolicyFunction, exact_policy, StkModelPolicyFn)
STK_USER_SETTER(StkModelSetTerminalCostFunction, terminal, StkModelScalarFn)

PetscErrorCode StkModelSetSetUpFunction(StkModel m, StkModelSetUpFn setup)
{
  struct _StkModelUser *user;

  PetscFunctionBeginUser;
  PetscCall(UserGet(m, &user));
  user->setup = setup;
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelSetContext(StkModel m, void *ctx, PetscErrorCode (*destroy)(void *))
{
  struct _StkModelUser *user;

  PetscFunctionBeginUser;
  PetscCall(UserGet(m, &user));
  if (user->ctx && user->ctx != ctx && user->ctx_destroy) PetscCall(user->ctx_destroy(user->ctx));
  user->ctx         = ctx;
  user->ctx_destroy = destroy;
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelGetContext(StkModel m, void *ctx)
{
  PetscFunctionBeginUser;
  *(void **)ctx = m->user ? m->user->ctx : NULL;
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelAddParameter(StkModel m, const char name[], PetscReal *value, const char units[], const char help[])
{
  struct _StkModelUser *user;
  UserParam            *p;
  size_t                len;

  PetscFunctionBeginUser;
  PetscCall(UserGet(m, &user));
  PetscCall(PetscStrlen(name, &len));
  PetscCheck(len > 0 && len < sizeof(p->name), m->comm, PETSC_ERR_ARG_OUTOFRANGE, "Model %s: StkModelAddParameter: name '%s' must have 1 to %d characters", m->type, name ? name : "", (int)sizeof(p->name) - 1);
  for (size_t i = 0; i < len; i++) PetscCheck(isalnum((unsigned char)name[i]) || name[i] == '_', m->comm, PETSC_ERR_ARG_WRONG, "Model %s: StkModelAddParameter: name '%s' may hold only letters, digits and '_'", m->type, name);
  PetscCheck(value, m->comm, PETSC_ERR_ARG_NULL, "Model %s: StkModelAddParameter: parameter '%s' has no storage", m->type, name);
  PetscCheck(user->nparams < STK_MODEL_MAX_PARAMS, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "Model %s: StkModelAddParameter: more than %d parameters", m->type, STK_MODEL_MAX_PARAMS);
  for (PetscInt i = 0; i < user->nparams; i++) PetscCheck(strcmp(user->params[i].name, name), m->comm, PETSC_ERR_ARG_WRONG, "Model %s: StkModelAddParameter: parameter '%s' added twice", m->type, name);
  p = &user->params[user->nparams++];
  PetscCall(PetscStrncpy(p->name, name, sizeof(p->name)));
  PetscCall(PetscStrncpy(p->units, units ? units : "1", sizeof(p->units)));
  PetscCall(PetscStrncpy(p->help, help ? help : name, sizeof(p->help)));
  p->value = value;
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelHasGreedy(StkModel m, PetscBool *has)
{
  PetscFunctionBeginUser;
  *has = m->ops.greedy ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* The generic ops of a user type, from its parameter table */

static PetscErrorCode UserSetFromOptions(StkModel m, PetscOptionItems *PetscOptionsObject)
{
  struct _StkModelUser *user = m->user;
  char                  opt[64], head[96];

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(head, sizeof(head), "Model %s (user-defined)", m->type));
  PetscOptionsHeadBegin(PetscOptionsObject, head);
  for (PetscInt i = 0; i < user->nparams; i++) {
    UserParam *p = &user->params[i];
    char       help[320];
    PetscCall(PetscSNPrintf(opt, sizeof(opt), "-%s", p->name));
    PetscCall(PetscSNPrintf(help, sizeof(help), "%s (%s)", p->help, p->units));
    PetscCall(PetscOptionsReal(opt, help, "StkModelAddParameter", *p->value, p->value, NULL));
  }
  PetscOptionsHeadEnd();
  PetscFunctionReturn(0);
}

/* The parameters as attributes TYPE_NAME, written or read. */
static PetscErrorCode UserParams(StkModel m, StkH5 file, const char group[], PetscBool load)
{
  struct _StkModelUser *user = m->user;

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < user->nparams; i++) {
    char          name[160];
    StkModelParam par;
    PetscCall(PetscSNPrintf(name, sizeof(name), "%s%s", user->cls, user->params[i].name));
    par = (StkModelParam){name, user->params[i].value, user->params[i].units};
    if (load) PetscCall(StkModelLoadParams(file, group, 1, &par));
    else PetscCall(StkModelWriteParams(file, group, 1, &par));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode UserAttributes(StkModel m, StkH5 file, const char group[])
{
  PetscFunctionBeginUser;
  PetscCall(UserParams(m, file, group, PETSC_FALSE));
  PetscFunctionReturn(0);
}

static PetscErrorCode UserLoad(StkModel m, StkH5 file, const char group[])
{
  PetscFunctionBeginUser;
  PetscCall(UserParams(m, file, group, PETSC_TRUE));
  PetscFunctionReturn(0);
}

static PetscErrorCode UserView(StkModel m, PetscViewer viewer)
{
  struct _StkModelUser *user = m->user;

  PetscFunctionBeginUser;
  PetscCall(PetscViewerASCIIPrintf(viewer, "user-defined type; greedy map: %s; exact value: %s\n", m->ops.greedy ? "closed form" : "none (exact minimization over the control box)", m->ops.exact ? "yes" : "no"));
  for (PetscInt i = 0; i < user->nparams; i++) PetscCall(PetscViewerASCIIPrintf(viewer, "%s = %.10g (%s)\n", user->params[i].name, (double)*user->params[i].value, user->params[i].units));
  PetscFunctionReturn(0);
}

static PetscErrorCode UserSetUp(StkModel m)
{
  struct _StkModelUser *user = m->user;

  PetscFunctionBeginUser;
  PetscCheck(m->dim >= user->dmin && m->dim <= user->dmax, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sdim %" PetscInt_FMT ": the %s model supports dimensions %" PetscInt_FMT " to %" PetscInt_FMT, m->prefix ? m->prefix : "", m->dim, m->type, user->dmin, user->dmax);
  if (user->setup) PetscCall(user->setup(m));
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelUserReset(StkModel m)
{
  PetscFunctionBeginUser;
  if (!m->user) PetscFunctionReturn(0);
  if (m->user->ctx_destroy) PetscCall(m->user->ctx_destroy(m->user->ctx));
  PetscCall(PetscFree(m->user));
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelUserFinishCreate(StkModel m)
{
  PetscFunctionBeginUser;
  if (!m->user) PetscFunctionReturn(0);
  m->type_class = m->user->cls;
  /* the type's own ops (a create that also fills the private table) win */
  if (!m->ops.setfromoptions) m->ops.setfromoptions = UserSetFromOptions;
  if (!m->ops.attributes) m->ops.attributes = UserAttributes;
  if (!m->ops.load) m->ops.load = UserLoad;
  if (!m->ops.view) m->ops.view = UserView;
  if (!m->ops.setup) m->ops.setup = UserSetUp;
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelValidate(StkModel m)
{
  const char *missing = !m->ops.drift ? "drift" : !m->ops.diffusion ? "diffusion" : !m->ops.cost ? "cost" : NULL;

  PetscFunctionBeginUser;
  PetscCheck(!missing, m->comm, PETSC_ERR_USER_INPUT, "Model %s: no %s function (StkModelSet%c%sFunction in its create callback)", m->type, missing, toupper((unsigned char)missing[0]), missing + 1);
  PetscCheck(m->nu >= 0 && m->nu <= STK_MAX_CONTROLS, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "Model %s: %" PetscInt_FMT " controls is out of range: at most %d", m->type, m->nu, STK_MAX_CONTROLS);
  for (PetscInt c = 0; c < m->nu; c++) {
    PetscCheck(m->control_dir[c] >= 0 && m->control_dir[c] < m->dim, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "Model %s: control %" PetscInt_FMT " drives state direction %" PetscInt_FMT ", out of range for a %" PetscInt_FMT "-D model", m->type, c, m->control_dir[c], m->dim);
    PetscCheck(!m->user || m->ulo[c] < m->uhi[c], m->comm, PETSC_ERR_ARG_OUTOFRANGE, "Model %s: control %" PetscInt_FMT " bounds: lower %g must be < upper %g", m->type, c, (double)m->ulo[c], (double)m->uhi[c]);
  }
  for (PetscInt k = 0; k < m->dim; k++) {
    PetscCheck(m->box_lo[k] < m->box_hi[k], m->comm, PETSC_ERR_ARG_OUTOFRANGE, "Model %s: default box of direction %" PetscInt_FMT " (%s): lower %g must be < upper %g (StkModelSetDefaultBox)", m->type, k, m->names[k], (double)m->box_lo[k], (double)m->box_hi[k]);
    for (PetscInt side = 0; side < 2; side++) PetscCheck(m->bc[k][side] != STK_BC_DIRICHLET || m->ops.dirichlet, m->comm, PETSC_ERR_USER_INPUT, "Model %s: side %" PetscInt_FMT " of direction %" PetscInt_FMT " (%s) is Dirichlet but the model has no Dirichlet function (StkModelSetDirichletFunction)", m->type, side, k, m->names[k]);
  }
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* Plugins */

/* Opens `path` and calls its registration function; `what` starts every message. */
static PetscErrorCode LoadPlugin(MPI_Comm comm, const char what[], const char path[])
{
  enum { OK, NO_FILE, NOT_SO, NO_SYMBOL };
  int                 status = OK, worst;
  char                msg[512] = "";
  void               *handle   = NULL;
  StkPluginRegisterFn reg      = NULL;

  PetscFunctionBeginUser;
  if (access(path, R_OK)) status = NO_FILE;
  else if (!(handle = dlopen(path, RTLD_NOW | RTLD_GLOBAL))) {
    const char *e = dlerror();
    status        = NOT_SO;
    PetscCall(PetscStrncpy(msg, e ? e : "", sizeof(msg)));
  } else if (!(*(void **)(&reg) = dlsym(handle, STK_PLUGIN_REGISTER_SYMBOL))) status = NO_SYMBOL;
  /* every rank fails together, with the first failing rank's reason */
  worst = status;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &worst, 1, MPI_INT, MPI_MAX, comm));
  PetscCheck(worst != NO_FILE, comm, PETSC_ERR_FILE_OPEN, "%s%s: no such file (or not readable)", what, path);
  PetscCheck(worst != NOT_SO, comm, PETSC_ERR_FILE_UNEXPECTED, "%s%s: not a shared object that can be loaded%s%s", what, path, msg[0] ? ": " : "", msg);
  PetscCheck(worst != NO_SYMBOL, comm, PETSC_ERR_FILE_UNEXPECTED, "%s%s: no registration function %s() in this shared object (define PETSC_EXTERN PetscErrorCode %s(void) calling StkModelRegister)", what, path, STK_PLUGIN_REGISTER_SYMBOL, STK_PLUGIN_REGISTER_SYMBOL);
  PetscCall(reg());
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelLoadPlugin(MPI_Comm comm, const char path[])
{
  PetscFunctionBeginUser;
  PetscCall(LoadPlugin(comm, "", path));
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelLoadPluginsFromOptions(MPI_Comm comm, const char prefix[])
{
  char     *paths[16] = {NULL}, what[300];
  PetscInt  n         = 16;
  PetscBool set, given;

  PetscFunctionBeginUser;
  PetscOptionsBegin(comm, prefix, "Model plugins (docs/library.md#plugins)", NULL);
  PetscCall(PetscOptionsStringArray("-model_plugin", "Shared objects defining model types (each with StkPluginRegister), loaded before -model is read", "StkModelLoadPlugin", paths, &n, &set));
  PetscOptionsEnd();
  PetscCall(PetscSNPrintf(what, sizeof(what), "-%smodel_plugin: ", prefix ? prefix : ""));
  PetscCall(PetscOptionsHasName(NULL, prefix, "-model_plugin", &given));
  PetscCheck(!given || (set && n > 0), comm, PETSC_ERR_USER_INPUT, "%sempty value (give the path of a shared object)", what);
  for (PetscInt i = 0; i < n; i++) {
    PetscErrorCode ierr = LoadPlugin(comm, what, paths[i]);
    if (ierr) {
      for (PetscInt j = 0; j < n; j++) PetscCall(PetscFree(paths[j]));
    }
    PetscCall(ierr);
  }
  for (PetscInt i = 0; i < n; i++) PetscCall(PetscFree(paths[i]));
  PetscFunctionReturn(0);
}
