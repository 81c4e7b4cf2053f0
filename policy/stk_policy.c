/* StkPolicy: lifecycle, options, and the clipped evaluation the simulators call. */
#include "stk_policyimpl.h"
#include <string.h>

typedef struct {
  const char *name;
  PetscErrorCode (*create)(StkPolicy);
} StkPolicyEntry;

/* The built-in types (a constant table: nothing to register at run time). */
static const StkPolicyEntry stk_policy_types[] = {
  {STK_POLICY_ZERO,     StkPolicyCreate_Zero    },
  {STK_POLICY_FIXED,    StkPolicyCreate_Fixed   },
  {STK_POLICY_PROPORTIONAL, StkPolicyCreate_Proportional},
  {STK_POLICY_COSMOS,   StkPolicyCreate_Cosmos  },
  {STK_POLICY_POLKADOT, StkPolicyCreate_Polkadot},
  {STK_POLICY_ETHEREUM, StkPolicyCreate_Ethereum},
  {STK_POLICY_TEZOS,    StkPolicyCreate_Tezos   },
  /* the same rules retargeted at the planner's sbar (MODEL.md: "also run with s_goal = sbar") */
  {"cosmos_sbar",       StkPolicyCreate_Cosmos  },
  {"polkadot_sbar",     StkPolicyCreate_Polkadot},
  {"tezos_sbar",        StkPolicyCreate_Tezos   },
  {STK_POLICY_SOCIAL_GRADIENT, StkPolicyCreate_SocialGradient},
  {STK_POLICY_EXPERT,   StkPolicyCreate_Expert  },
  {STK_POLICY_NETWORK,  StkPolicyCreate_Network },
  {STK_POLICY_SOLUTION, StkPolicyCreate_Solution},
};
#define STK_POLICY_NTYPES ((PetscInt)(sizeof(stk_policy_types) / sizeof(stk_policy_types[0])))
static const char stk_policy_known[] = "zero, fixed, proportional, cosmos, polkadot, ethereum, tezos, cosmos_sbar, polkadot_sbar, tezos_sbar, social_gradient, expert, network, solution";

/* Published defaults; sources in docs/policies.md. */
static void StkPolicyParamsDefault(StkPolicyParams *par)
{
  par->u_ref    = 0.03; /* MODEL.md ubar */
  par->s_target = 0.60; /* MODEL.md sbar (replaced by the model's sbar unless set) */
  par->gain     = 0.5;
  par->sg_rate  = 1.0; /* du/dt = -2 (s - sbar) at w_s = 1 */

  par->cosmos_rate_change   = 0.13; /* x/mint DefaultParams: InflationRateChange */
  par->cosmos_inflation_min = 0.07; /* InflationMin */
  par->cosmos_inflation_max = 0.20; /* InflationMax */
  par->cosmos_goal_bonded   = 0.67; /* GoalBonded */
  par->cosmos_inflation0    = 0.13; /* DefaultInitialMinter: Inflation */

  par->dot_min_inflation = 0.025; /* pallet-staking-reward-curve on Polkadot: min_inflation */
  par->dot_max_inflation = 0.10;  /* max_inflation */
  par->dot_ideal_stake   = 0.75;  /* ideal_stake */
  par->dot_falloff       = 0.05;  /* falloff (decay d) */

  par->eth_base_reward_factor = 64;                                   /* BASE_REWARD_FACTOR */
  par->eth_epochs_per_year    = STK_DAYS_PER_YEAR * 86400 / (12 * 32); /* 12 s slots, 32 slots/epoch */
  par->eth_supply             = 120e6;                                 /* ETH in circulation */
  par->eth_c                  = 0;                                     /* 0: derive from the above */

  par->tez_static_coeff = 1.0 / 1600; /* static rate 1/(1600 s^2) */
  par->tez_center       = 0.50;       /* target staked ratio */
  par->tez_radius       = 0.02;       /* dead zone [0.48, 0.52] */
  par->tez_growth_rate  = 0.01;       /* 0.01 %/day per percentage point: 0.01 per day per unit of s */
  par->tez_max_bonus    = 0.05;       /* dynamic rate in [0, 5 %] */
  par->tez_issuance_min = 0.0025;     /* final minimum issuance 0.25 %/yr */
  par->tez_issuance_max = 0.10;       /* final maximum issuance 10 %/yr */
  par->tez_cycle_days   = 24576 * 10.0 / 86400; /* 24576 blocks of 10 s: 2.84 days */
  par->tez_dyn0         = 0;
}

PetscErrorCode StkPolicyCreate(MPI_Comm comm, StkPolicy *policy)
{
  StkPolicy p;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&p));
  p->comm = comm;
  StkPolicyParamsDefault(&p->par);
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

PetscErrorCode StkPolicySetType(StkPolicy p, const char type[])
{
  PetscInt i;

  PetscFunctionBeginUser;
  if (p->type[0] && !strcmp(p->type, type)) PetscFunctionReturn(0);
  for (i = 0; i < STK_POLICY_NTYPES; i++)
    if (!strcmp(stk_policy_types[i].name, type)) break;
  PetscCheck(i < STK_POLICY_NTYPES, p->comm, PETSC_ERR_ARG_UNKNOWN_TYPE, "Unknown -policy '%s' (known: %s)", type, stk_policy_known);
  PetscCall(StkPolicyResetType(p));
  PetscCall(PetscStrncpy(p->type, type, sizeof(p->type)));
  PetscCall(stk_policy_types[i].create(p));
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

static PetscErrorCode StkPolicyOptionsBaselines(StkPolicy p, PetscOptionItems *PetscOptionsObject)
{
  StkPolicyParams *q = &p->par;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsReal("-policy_u", "fixed: the issuance rate (1/yr); proportional: its reference u_ref", "", q->u_ref, &q->u_ref, NULL));
  PetscCall(PetscOptionsReal("-policy_s_target", "proportional: target staking ratio (default: the model's sbar)", "", q->s_target, &q->s_target, &p->s_target_set));
  PetscCall(PetscOptionsReal("-policy_gain", "proportional: gain k_p >= 0 in u = u_ref + k_p (s_target - s) (1/yr)", "", q->gain, &q->gain, NULL));
  PetscCall(PetscOptionsReal("-policy_sg_rate", "social_gradient: rate eta_sg >= 0 in du/dt = -eta_sg dl/ds (starts at -policy_u)", "", q->sg_rate, &q->sg_rate, NULL));
  PetscCall(PetscOptionsReal("-policy_cosmos_rate_change", "cosmos: maximum change of the inflation per year (InflationRateChange)", "", q->cosmos_rate_change, &q->cosmos_rate_change, NULL));
  PetscCall(PetscOptionsReal("-policy_cosmos_inflation_min", "cosmos: lowest inflation (InflationMin, 1/yr)", "", q->cosmos_inflation_min, &q->cosmos_inflation_min, NULL));
  PetscCall(PetscOptionsReal("-policy_cosmos_inflation_max", "cosmos: highest inflation (InflationMax, 1/yr)", "", q->cosmos_inflation_max, &q->cosmos_inflation_max, NULL));
  PetscCall(PetscOptionsReal("-policy_cosmos_goal_bonded", "cosmos: goal bonded ratio (GoalBonded)", "", q->cosmos_goal_bonded, &q->cosmos_goal_bonded, NULL));
  PetscCall(PetscOptionsReal("-policy_cosmos_inflation0", "cosmos: inflation at the start of a path (1/yr)", "", q->cosmos_inflation0, &q->cosmos_inflation0, NULL));
  PetscCall(PetscOptionsReal("-policy_polkadot_min_inflation", "polkadot: staker issuance at s = 0 (I_0, 1/yr)", "", q->dot_min_inflation, &q->dot_min_inflation, NULL));
  PetscCall(PetscOptionsReal("-policy_polkadot_max_inflation", "polkadot: staker issuance at the ideal stake (I_max, 1/yr)", "", q->dot_max_inflation, &q->dot_max_inflation, NULL));
  PetscCall(PetscOptionsReal("-policy_polkadot_ideal_stake", "polkadot: ideal staking ratio", "", q->dot_ideal_stake, &q->dot_ideal_stake, NULL));
  PetscCall(PetscOptionsReal("-policy_polkadot_falloff", "polkadot: decay d of the issuance above the ideal stake", "", q->dot_falloff, &q->dot_falloff, NULL));
  PetscCall(PetscOptionsReal("-policy_ethereum_base_reward_factor", "ethereum: BASE_REWARD_FACTOR", "", q->eth_base_reward_factor, &q->eth_base_reward_factor, NULL));
  PetscCall(PetscOptionsReal("-policy_ethereum_epochs_per_year", "ethereum: epochs per year (32 slots of 12 s)", "", q->eth_epochs_per_year, &q->eth_epochs_per_year, NULL));
  PetscCall(PetscOptionsReal("-policy_ethereum_supply", "ethereum: circulating supply (ETH) that sets the scale of c", "", q->eth_supply, &q->eth_supply, NULL));
  PetscCall(PetscOptionsReal("-policy_ethereum_c", "ethereum: c in u = c sqrt(s) (1/yr); 0 derives it from the three options above", "", q->eth_c, &q->eth_c, NULL));
  PetscCall(PetscOptionsReal("-policy_tezos_static_coeff", "tezos: static rate coefficient a in a / s^2 (1/yr)", "", q->tez_static_coeff, &q->tez_static_coeff, NULL));
  PetscCall(PetscOptionsReal("-policy_tezos_center", "tezos: target staked ratio", "", q->tez_center, &q->tez_center, NULL));
  PetscCall(PetscOptionsReal("-policy_tezos_radius", "tezos: half-width of the dead zone around the target", "", q->tez_radius, &q->tez_radius, NULL));
  PetscCall(PetscOptionsReal("-policy_tezos_growth_rate", "tezos: change of the dynamic rate per day per unit of s outside the dead zone", "", q->tez_growth_rate, &q->tez_growth_rate, NULL));
  PetscCall(PetscOptionsReal("-policy_tezos_max_bonus", "tezos: highest dynamic rate (1/yr)", "", q->tez_max_bonus, &q->tez_max_bonus, NULL));
  PetscCall(PetscOptionsReal("-policy_tezos_issuance_min", "tezos: lowest issuance rate (1/yr)", "", q->tez_issuance_min, &q->tez_issuance_min, NULL));
  PetscCall(PetscOptionsReal("-policy_tezos_issuance_max", "tezos: highest issuance rate (1/yr)", "", q->tez_issuance_max, &q->tez_issuance_max, NULL));
  PetscCall(PetscOptionsReal("-policy_tezos_cycle_days", "tezos: cycle length (days); the rate is recomputed at each cycle end", "", q->tez_cycle_days, &q->tez_cycle_days, NULL));
  PetscCall(PetscOptionsReal("-policy_tezos_dyn0", "tezos: dynamic rate at the start of a path (1/yr)", "", q->tez_dyn0, &q->tez_dyn0, NULL));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicySetFromOptions(StkPolicy p)
{
  char type[32];

  PetscFunctionBeginUser;
  PetscCall(PetscStrncpy(type, p->type[0] ? p->type : STK_POLICY_FIXED, sizeof(type)));
  PetscOptionsBegin(p->comm, NULL, "Issuance policy (MODEL.md sections 5-6, docs/policies.md)", NULL);
  PetscCall(PetscOptionsString("-policy", "Policy: zero, fixed, proportional, cosmos, polkadot, ethereum, tezos, social_gradient, expert, network or solution", "StkPolicySetType", type, type, sizeof(type), NULL));
  PetscCall(PetscOptionsString("-policy_file", "expert, solution: solution file written by stakehjb solve -o; network: network file written by stakehjb fit or refine", "StkPolicySetFile", p->file, p->file, sizeof(p->file), NULL));
  PetscCall(StkPolicyOptionsBaselines(p, PetscOptionsObject));
  PetscOptionsEnd();
  /* after PetscOptionsEnd: an unknown name then errors without leaving the block open */
  PetscCall(StkPolicySetType(p, type));
  p->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyParamsCheck(MPI_Comm comm, const StkPolicyParams *q)
{
  PetscFunctionBeginUser;
  PetscCheck(q->u_ref >= 0 && !PetscIsInfOrNanReal(q->u_ref), comm, PETSC_ERR_ARG_OUTOFRANGE, "-policy_u must be >= 0 and finite (an issuance rate, 1/yr), got %g", (double)q->u_ref);
  PetscCheck(q->gain >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-policy_gain must be >= 0 (more stake, less issuance), got %g", (double)q->gain);
  PetscCheck(q->sg_rate >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-policy_sg_rate must be >= 0, got %g", (double)q->sg_rate);
  PetscCheck(q->s_target > 0 && q->s_target < 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-policy_s_target must lie in (0, 1), got %g", (double)q->s_target);
  PetscCheck(q->cosmos_rate_change >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-policy_cosmos_rate_change must be >= 0, got %g", (double)q->cosmos_rate_change);
  PetscCheck(q->cosmos_inflation_min >= 0 && q->cosmos_inflation_min <= q->cosmos_inflation_max, comm, PETSC_ERR_ARG_OUTOFRANGE, "-policy_cosmos_inflation_min must lie in [0, -policy_cosmos_inflation_max = %g], got %g", (double)q->cosmos_inflation_max, (double)q->cosmos_inflation_min);
  PetscCheck(q->cosmos_goal_bonded > 0 && q->cosmos_goal_bonded <= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-policy_cosmos_goal_bonded must lie in (0, 1], got %g", (double)q->cosmos_goal_bonded);
  PetscCheck(q->dot_min_inflation >= 0 && q->dot_min_inflation <= q->dot_max_inflation, comm, PETSC_ERR_ARG_OUTOFRANGE, "-policy_polkadot_min_inflation must lie in [0, -policy_polkadot_max_inflation = %g], got %g", (double)q->dot_max_inflation, (double)q->dot_min_inflation);
  PetscCheck(q->dot_ideal_stake > 0 && q->dot_ideal_stake <= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-policy_polkadot_ideal_stake must lie in (0, 1], got %g", (double)q->dot_ideal_stake);
  PetscCheck(q->dot_falloff > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-policy_polkadot_falloff must be > 0, got %g", (double)q->dot_falloff);
  PetscCheck(q->eth_base_reward_factor > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-policy_ethereum_base_reward_factor must be > 0, got %g", (double)q->eth_base_reward_factor);
  PetscCheck(q->eth_epochs_per_year > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-policy_ethereum_epochs_per_year must be > 0, got %g", (double)q->eth_epochs_per_year);
  PetscCheck(q->eth_supply > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-policy_ethereum_supply must be > 0, got %g", (double)q->eth_supply);
  PetscCheck(q->eth_c >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-policy_ethereum_c must be >= 0 (0: derived), got %g", (double)q->eth_c);
  PetscCheck(q->tez_static_coeff >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-policy_tezos_static_coeff must be >= 0, got %g", (double)q->tez_static_coeff);
  PetscCheck(q->tez_center > 0 && q->tez_center < 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-policy_tezos_center must lie in (0, 1), got %g", (double)q->tez_center);
  PetscCheck(q->tez_radius >= 0 && q->tez_radius < q->tez_center, comm, PETSC_ERR_ARG_OUTOFRANGE, "-policy_tezos_radius must lie in [0, -policy_tezos_center), got %g", (double)q->tez_radius);
  PetscCheck(q->tez_growth_rate >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-policy_tezos_growth_rate must be >= 0, got %g", (double)q->tez_growth_rate);
  PetscCheck(q->tez_max_bonus >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-policy_tezos_max_bonus must be >= 0, got %g", (double)q->tez_max_bonus);
  PetscCheck(q->tez_issuance_min >= 0 && q->tez_issuance_min <= q->tez_issuance_max, comm, PETSC_ERR_ARG_OUTOFRANGE, "-policy_tezos_issuance_min must lie in [0, -policy_tezos_issuance_max = %g], got %g", (double)q->tez_issuance_max, (double)q->tez_issuance_min);
  PetscCheck(q->tez_cycle_days > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-policy_tezos_cycle_days must be > 0, got %g", (double)q->tez_cycle_days);
  PetscCheck(q->tez_dyn0 >= 0 && q->tez_dyn0 <= q->tez_max_bonus, comm, PETSC_ERR_ARG_OUTOFRANGE, "-policy_tezos_dyn0 must lie in [0, -policy_tezos_max_bonus = %g], got %g", (double)q->tez_max_bonus, (double)q->tez_dyn0);
  PetscFunctionReturn(0);
}

/* Bounds and target from the model; without one, the default staking model configured
 * by the -hjb_/-agents_ options (the same bounds the solver would use). */
static PetscErrorCode StkPolicyTakeModel(StkPolicy p)
{
  const char *mtype;
  PetscReal   ref[STK_MAX_DIM];

  PetscFunctionBeginUser;
  if (p->own_model) PetscCall(StkModelDestroy(&p->model)); /* rebuilt: the options may have changed */
  if (!p->model) {
    PetscCall(StkModelCreate(p->comm, &p->model));
    PetscCall(StkModelSetType(p->model, STK_MODEL_STAKING));
    PetscCall(StkModelSetFromOptions(p->model));
    p->own_model = PETSC_TRUE;
  }
  PetscCall(StkModelSetUp(p->model));
  PetscCall(StkModelGetControlBounds(p->model, 0, &p->u_min, &p->u_max));
  PetscCall(StkModelGetType(p->model, &mtype));
  if (!p->s_target_set && !strcmp(mtype, STK_MODEL_STAKING)) {
    PetscCall(StkModelGetReferencePoint(p->model, ref));
    p->par.s_target = ref[0];
  }
  /* A retargeted rule aims at the planner's target instead of its chain's own. */
  if (strstr(p->type, "_sbar")) p->par.cosmos_goal_bonded = p->par.dot_ideal_stake = p->par.tez_center = p->par.s_target;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicySetUp(StkPolicy p)
{
  PetscFunctionBeginUser;
  if (p->setupcalled) PetscFunctionReturn(0);
  if (!p->type[0]) PetscCall(StkPolicySetType(p, STK_POLICY_FIXED));
  /* The expert and the network take their bounds (and the expert its model) from
   * their files in their own setup. */
  if (strcmp(p->type, STK_POLICY_EXPERT) && strcmp(p->type, STK_POLICY_NETWORK)) PetscCall(StkPolicyTakeModel(p));
  PetscCall(StkPolicyParamsCheck(p->comm, &p->par));
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

PetscErrorCode StkPolicyGetBounds(StkPolicy p, PetscReal *u_min, PetscReal *u_max)
{
  PetscFunctionBeginUser;
  PetscCall(StkPolicySetUp(p));
  if (u_min) *u_min = p->u_min;
  if (u_max) *u_max = p->u_max;
  PetscFunctionReturn(0);
}
