/* StkPolicy: lifecycle, the type registry, options, and the clipped evaluation the
 * simulators call.  The parameters of each type live in the type (stk_policy_*.c). */
#include "stk_policyimpl.h"
#include "stk_options.h"
#include <string.h>

typedef struct {
  const char *name;
  PetscErrorCode (*create)(StkPolicy);
} StkPolicyEntry;

/* The built-in types, registered in this order before any user type: a new built-in
 * type is one line here. */
static const StkPolicyEntry stk_policy_types[] = {
  {STK_POLICY_ZERO,     StkPolicyCreate_Zero    },
  {STK_POLICY_FIXED,    StkPolicyCreate_Fixed   },
  {STK_POLICY_PROPORTIONAL, StkPolicyCreate_Proportional},
  {STK_POLICY_COSMOS,   StkPolicyCreate_Cosmos  },
  {STK_POLICY_POLKADOT, StkPolicyCreate_Polkadot},
  {STK_POLICY_ETHEREUM, StkPolicyCreate_Ethereum},
  {STK_POLICY_TEZOS,    StkPolicyCreate_Tezos   },
  /* the same rules retargeted at the planner's sbar (docs/policies.md, "Retargeted rules") */
  {STK_POLICY_COSMOS_SBAR,   StkPolicyCreate_CosmosSbar  },
  {STK_POLICY_POLKADOT_SBAR, StkPolicyCreate_PolkadotSbar},
  {STK_POLICY_TEZOS_SBAR,    StkPolicyCreate_TezosSbar   },
  {STK_POLICY_SOCIAL_GRADIENT, StkPolicyCreate_SocialGradient},
  {STK_POLICY_SOCIAL_GRADIENT_2TS, StkPolicyCreate_SocialGradient2ts},
  {STK_POLICY_EXPERT,   StkPolicyCreate_Expert  },
  {STK_POLICY_NETWORK,  StkPolicyCreate_Network },
  {STK_POLICY_SOLUTION, StkPolicyCreate_Solution},
  {STK_POLICY_REGIME_SOLUTION, StkPolicyCreate_RegimeSolution},
  {STK_POLICY_REGIME_EXPERT, StkPolicyCreate_RegimeExpert},
};

/* Registered types: a process-wide list, as PETSc's own XxxRegister, destroyed at
 * PetscFinalize. */
static PetscFunctionList StkPolicyList              = NULL;
static PetscBool         StkPolicyRegisterAllCalled = PETSC_FALSE;

static PetscErrorCode StkPolicyFinalizePackage(void)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFunctionListDestroy(&StkPolicyList));
  StkPolicyRegisterAllCalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/* Idempotent: called by StkPolicyRegister and StkPolicyCreate. */
static PetscErrorCode StkPolicyRegisterAll(void)
{
  PetscFunctionBeginUser;
  if (StkPolicyRegisterAllCalled) PetscFunctionReturn(0);
  StkPolicyRegisterAllCalled = PETSC_TRUE;
  PetscCall(PetscRegisterFinalize(StkPolicyFinalizePackage));
  for (size_t i = 0; i < sizeof(stk_policy_types) / sizeof(stk_policy_types[0]); i++) PetscCall(PetscFunctionListAdd(&StkPolicyList, stk_policy_types[i].name, stk_policy_types[i].create));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyRegister(const char name[], PetscErrorCode (*create)(StkPolicy))
{
  PetscFunctionBeginUser;
  PetscCall(StkPolicyRegisterAll());
  PetscCall(PetscFunctionListAdd(&StkPolicyList, name, create));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyKnownTypes(char known[], size_t len)
{
  PetscFunctionBeginUser;
  PetscCall(StkPolicyRegisterAll());
  PetscCall(StkFunctionListNames(StkPolicyList, known, len));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyTypeIsKnown(const char type[], PetscBool *known)
{
  PetscErrorCode (*create)(StkPolicy) = NULL;

  PetscFunctionBeginUser;
  PetscCall(StkPolicyRegisterAll());
  PetscCall(PetscFunctionListFind(StkPolicyList, type, &create));
  *known = (PetscBool)(create != NULL);
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyCreate(MPI_Comm comm, StkPolicy *policy)
{
  StkPolicy p;

  PetscFunctionBeginUser;
  PetscCall(StkPolicyRegisterAll());
  PetscCall(PetscNew(&p));
  p->comm  = comm;
  PetscCall(PetscStrncpy(p->class_prefix, STK_POLICY_CLASS, sizeof(p->class_prefix)));
  p->u_min = 0;
  p->u_max = 0.15;
  *policy  = p;
  PetscFunctionReturn(0);
}

static PetscErrorCode StkPolicyResetType(StkPolicy p)
{
  PetscFunctionBeginUser;
  if (p->ops.destroy) PetscCall(p->ops.destroy(p));
  PetscCall(PetscMemzero(&p->ops, sizeof(p->ops)));
  p->data        = NULL;
  p->type[0]     = 0;
  p->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/* The user's part of the prefix, "" when none: messages print "-%spolicy". */
static const char *UserPrefix(StkPolicy p)
{
  return p->prefix ? p->prefix : "";
}

static PetscErrorCode StkPolicyPrefixChanged(StkPolicy p)
{
  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixCompose(p->prefix, STK_POLICY_CLASS, p->class_prefix, sizeof(p->class_prefix)));
  p->setupcalled = PETSC_FALSE; /* a model the policy builds reads its options again */
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicySetOptionsPrefix(StkPolicy p, const char prefix[])
{
  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixSet(&p->prefix, prefix));
  PetscCall(StkPolicyPrefixChanged(p));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyAppendOptionsPrefix(StkPolicy p, const char prefix[])
{
  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixAppend(&p->prefix, prefix));
  PetscCall(StkPolicyPrefixChanged(p));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyGetOptionsPrefix(StkPolicy p, const char *prefix[])
{
  PetscFunctionBeginUser;
  *prefix = p->prefix;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicySetType(StkPolicy p, const char type[])
{
  PetscErrorCode (*create)(StkPolicy) = NULL;

  PetscFunctionBeginUser;
  PetscCall(StkPolicyRegisterAll());
  if (p->type[0] && !strcmp(p->type, type)) PetscFunctionReturn(0);
  PetscCall(PetscFunctionListFind(StkPolicyList, type, &create));
  if (!create) {
    char known[512];
    PetscCall(StkPolicyKnownTypes(known, sizeof(known)));
    SETERRQ(p->comm, PETSC_ERR_ARG_UNKNOWN_TYPE, "Unknown -%spolicy '%s' (known: %s)", UserPrefix(p), type, known);
  }
  PetscCall(StkPolicyResetType(p));
  PetscCall(PetscStrncpy(p->type, type, sizeof(p->type)));
  PetscCall(create(p));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyGetType(StkPolicy p, const char **type)
{
  PetscFunctionBeginUser;
  *type = p->type;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicySetModel(StkPolicy p, StkModel model)
{
  PetscFunctionBeginUser;
  if (p->own_model) PetscCall(StkModelDestroy(&p->model));
  p->model       = model;
  p->own_model   = PETSC_FALSE;
  p->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicySetFile(StkPolicy p, const char path[])
{
  PetscFunctionBeginUser;
  PetscCall(PetscStrncpy(p->file, path, sizeof(p->file)));
  p->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicySetFromOptions(StkPolicy p)
{
  char type[32], title[128];

  PetscFunctionBeginUser;
  PetscCall(StkPolicyRegisterAll());
  PetscCall(PetscStrncpy(type, p->type[0] ? p->type : STK_POLICY_FIXED, sizeof(type)));
  PetscOptionsBegin(p->comm, p->prefix, "Issuance policy (docs/policies.md)", NULL);
  PetscCall(PetscOptionsFList("-policy", "Policy (docs/policies.md); -policy NAME -help lists the parameters of NAME", "StkPolicySetType", StkPolicyList, type, type, sizeof(type), NULL));
  PetscOptionsEnd();
  /* after PetscOptionsEnd: an unknown name then errors without leaving the block open */
  PetscCall(StkPolicySetType(p, type));
  PetscCall(PetscSNPrintf(title, sizeof(title), "Parameters of -%spolicy %s (docs/policies.md)", UserPrefix(p), p->type));
  PetscOptionsBegin(p->comm, p->class_prefix, title, NULL);
  PetscCall(PetscOptionsString("-file", "expert, solution: solution file written by stakehjb solve -o; regime_solution, regime_expert: one written by stakehjb solve -regime_files; network: network file written by stakehjb fit or refine", "StkPolicySetFile", p->file, p->file, sizeof(p->file), NULL));
  if (p->ops.setfromoptions) PetscCall(p->ops.setfromoptions(p, PetscOptionsObject));
  PetscOptionsEnd();
  p->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicySetUpModel(StkPolicy p)
{
  PetscFunctionBeginUser;
  if (p->own_model) PetscCall(StkModelDestroy(&p->model)); /* rebuilt: the options may have changed */
  if (!p->model) {
    PetscCall(StkModelCreate(p->comm, &p->model));
    PetscCall(StkModelSetOptionsPrefix(p->model, p->prefix));
    PetscCall(StkModelSetType(p->model, STK_MODEL_STAKING));
    PetscCall(StkModelSetFromOptions(p->model));
    p->own_model = PETSC_TRUE;
  }
  PetscCall(StkModelSetUp(p->model));
  PetscCall(StkModelGetControlBounds(p->model, 0, &p->u_min, &p->u_max));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicySetUp(StkPolicy p)
{
  PetscFunctionBeginUser;
  if (p->setupcalled) PetscFunctionReturn(0);
  if (!p->type[0]) PetscCall(StkPolicySetType(p, STK_POLICY_FIXED));
  PetscCheck(p->ops.evaluate, p->comm, PETSC_ERR_PLIB, "Policy type %s sets no evaluate op", p->type);
  if (p->ops.setup) PetscCall(p->ops.setup(p));
  PetscCheck(p->u_min <= p->u_max, p->comm, PETSC_ERR_ARG_OUTOFRANGE, "Issuance bounds are inverted: u_min %g > u_max %g", (double)p->u_min, (double)p->u_max);
  p->setupcalled = PETSC_TRUE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyView(StkPolicy p, PetscViewer viewer)
{
  PetscBool ascii;

  PetscFunctionBeginUser;
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(p->comm, &viewer));
  PetscCall(PetscObjectTypeCompare((PetscObject)viewer, PETSCVIEWERASCII, &ascii));
  if (!ascii) PetscFunctionReturn(0);
  PetscCall(PetscViewerASCIIPrintf(viewer, "Issuance policy %s, output clipped to [%g, %g] /yr\n", p->type, (double)p->u_min, (double)p->u_max));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  if (p->ops.view) PetscCall(p->ops.view(p, viewer));
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyDestroy(StkPolicy *policy)
{
  StkPolicy p = *policy;

  PetscFunctionBeginUser;
  if (!p) PetscFunctionReturn(0);
  PetscCall(StkPolicyResetType(p));
  if (p->own_model) PetscCall(StkModelDestroy(&p->model));
  PetscCall(PetscFree(p->prefix));
  PetscCall(PetscFree(*policy));
  PetscFunctionReturn(0);
}

/* The generic evaluation: the type's rule, then the model's bounds. */
static PetscErrorCode StkPolicyEvaluateClipped(void *ctx, PetscReal t, const PetscReal x[], PetscReal *u, void *state)
{
  StkPolicy p = (StkPolicy)ctx;

  PetscFunctionBeginUser;
  PetscCall(p->ops.evaluate(ctx, t, x, u, state));
  PetscCheck(!PetscIsNanReal(*u), PETSC_COMM_SELF, PETSC_ERR_FP, "Policy %s gave NaN at t = %g, s = %g", p->type, (double)t, (double)x[0]);
  *u = PetscClipInterval(*u, p->u_min, p->u_max);
  PetscFunctionReturn(0);
}

static PetscErrorCode StkPolicyResetState(void *ctx, PetscReal t0, const PetscReal x0[], void *state)
{
  StkPolicy p = (StkPolicy)ctx;

  PetscFunctionBeginUser;
  if (p->ops.reset) PetscCall(p->ops.reset(ctx, t0, x0, state));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyGetFunction(StkPolicy p, StkPolicyFn *fn, StkPolicyResetFn *reset, void **ctx, size_t *state_size)
{
  PetscFunctionBeginUser;
  PetscCall(StkPolicySetUp(p));
  if (fn) *fn = StkPolicyEvaluateClipped;
  if (reset) *reset = StkPolicyResetState;
  if (ctx) *ctx = p;
  if (state_size) *state_size = p->ops.state_size;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyReset(StkPolicy p, PetscReal t0, const PetscReal x0[], void *state)
{
  PetscFunctionBeginUser;
  PetscCall(StkPolicySetUp(p));
  PetscCall(StkPolicyResetState(p, t0, x0, state));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyEvaluate(StkPolicy p, PetscReal t, const PetscReal x[], PetscReal *u, void *state)
{
  PetscFunctionBeginUser;
  PetscCall(StkPolicySetUp(p));
  PetscCall(StkPolicyEvaluateClipped(p, t, x, u, state));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyEvaluateRegime(StkPolicy p, PetscReal t, const PetscReal x[], PetscInt regime, PetscReal *u, void *state)
{
  const PetscReal xr[STK_SIM_X_LEN] = {x[0], x[1], (PetscReal)regime, (PetscReal)NAN};

  PetscFunctionBeginUser;
  PetscCall(StkPolicyEvaluate(p, t, xr, u, state));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyGetBounds(StkPolicy p, PetscReal *u_min, PetscReal *u_max)
{
  PetscFunctionBeginUser;
  PetscCall(StkPolicySetUp(p));
  if (u_min) *u_min = p->u_min;
  if (u_max) *u_max = p->u_max;
  PetscFunctionReturn(0);
}
