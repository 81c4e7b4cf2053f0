/* The baseline policies (docs/model.md#baseline-and-real-issuance-rules) in the
 * model's units (issuance per year as a fraction of supply).  Each type holds its parameters in its own context and
 * reads its own options (bare names under USER + "policy_": -u is -policy_u); formulas, defaults and sources: docs/policies.md.
 * The generic wrapper (stk_policy.c) clips every output to [u_min, u_max], the model's
 * control bounds (StkPolicySetUpModel in every setup here). */
#include "stk_policyimpl.h"
#include <string.h>

/* Below this staking ratio the 1/s^2 of Tezos is evaluated at the floor (finite). */
#define STK_POLICY_S_FLOOR 1e-6

/* ---- Pieces shared by several rules ---- */

/* The planner's target staking ratio: -policy_s_target, else the model's sbar. */
typedef struct {
  PetscReal s;
  PetscBool set; /* -policy_s_target given: do not take the model's sbar */
} Target;

static void TargetDefault(Target *t)
{
  t->s   = 0.60; /* the baseline sbar (replaced by the model's sbar unless set) */
  t->set = PETSC_FALSE;
}

static PetscErrorCode TargetSetFromOptions(PetscOptionItems *PetscOptionsObject, const char help[], Target *t)
{
  PetscBool set;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsReal("-s_target", help, "", t->s, &t->s, &set));
  t->set = (PetscBool)(t->set || set);
  PetscFunctionReturn(0);
}

/* After StkPolicySetUpModel: the model's sbar unless the target was given. */
static PetscErrorCode TargetSetUp(StkPolicy p, Target *t)
{
  const char *mtype;
  PetscReal   ref[STK_MAX_DIM];

  PetscFunctionBeginUser;
  PetscCall(StkModelGetType(p->model, &mtype));
  if (!t->set && !strcmp(mtype, STK_MODEL_STAKING)) {
    PetscCall(StkModelGetReferencePoint(p->model, ref));
    t->s = ref[0];
  }
  PetscCheck(t->s > 0 && t->s < 1, p->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%ss_target must lie in (0, 1), got %g", p->class_prefix, (double)t->s);
  PetscFunctionReturn(0);
}

/* A real rule aims at its own chain's target stake; retargeted, at the planner's. */
typedef struct {
  PetscBool on;
  Target    target;
} Retarget;

static PetscErrorCode RetargetSetFromOptions(PetscOptionItems *PetscOptionsObject, const char own[], Retarget *r)
{
  char help[160];

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(help, sizeof(help), "Aim at the planner's target -policy_s_target instead of %s", own));
  PetscCall(PetscOptionsBool("-retarget", help, "", r->on, &r->on, NULL));
  PetscCall(TargetSetFromOptions(PetscOptionsObject, "-policy_retarget: the target staking ratio (default: the model's sbar)", &r->target));
  PetscFunctionReturn(0);
}

/* The rule's own target `own` replaced by the planner's when retargeted. */
static PetscErrorCode RetargetSetUp(StkPolicy p, Retarget *r, PetscReal *own)
{
  PetscFunctionBeginUser;
  if (!r->on) PetscFunctionReturn(0);
  PetscCall(TargetSetUp(p, &r->target));
  *own = r->target.s;
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckRate(StkPolicy p, PetscReal u)
{
  PetscFunctionBeginUser;
  PetscCheck(u >= 0 && !PetscIsInfOrNanReal(u), p->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%su must be >= 0 and finite (an issuance rate, 1/yr), got %g", p->class_prefix, (double)u);
  PetscFunctionReturn(0);
}

static PetscErrorCode DestroyData(StkPolicy p)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree(p->data));
  PetscFunctionReturn(0);
}

/* ---- zero: u = 0 ---- */

static PetscErrorCode ZeroEvaluate(void *ctx, PetscReal t, const PetscReal x[], PetscReal *u, void *state)
{
  *u = 0;
  return 0;
}

PetscErrorCode StkPolicyCreate_Zero(StkPolicy p)
{
  PetscFunctionBeginUser;
  p->ops.evaluate = ZeroEvaluate;
  p->ops.setup    = StkPolicySetUpModel;
  PetscFunctionReturn(0);
}

/* ---- fixed: u = u_ref ---- */

typedef struct {
  PetscReal u; /* -policy_u */
} FixedCtx;

static PetscErrorCode FixedEvaluate(void *ctx, PetscReal t, const PetscReal x[], PetscReal *u, void *state)
{
  *u = ((FixedCtx *)((StkPolicy)ctx)->data)->u;
  return 0;
}

static PetscErrorCode FixedSetFromOptions(StkPolicy p, PetscOptionItems *PetscOptionsObject)
{
  FixedCtx *F = (FixedCtx *)p->data;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsReal("-u", "The issuance rate (1/yr)", "", F->u, &F->u, NULL));
  PetscFunctionReturn(0);
}

static PetscErrorCode FixedSetUp(StkPolicy p)
{
  PetscFunctionBeginUser;
  PetscCall(StkPolicySetUpModel(p));
  PetscCall(CheckRate(p, ((FixedCtx *)p->data)->u));
  PetscFunctionReturn(0);
}

static PetscErrorCode FixedView(StkPolicy p, PetscViewer viewer)
{
  PetscFunctionBeginUser;
  PetscCall(PetscViewerASCIIPrintf(viewer, "u = %g\n", (double)((FixedCtx *)p->data)->u));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyCreate_Fixed(StkPolicy p)
{
  FixedCtx *F;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&F));
  F->u                  = 0.03; /* the baseline ubar */
  p->data               = F;
  p->ops.evaluate       = FixedEvaluate;
  p->ops.setfromoptions = FixedSetFromOptions;
  p->ops.setup          = FixedSetUp;
  p->ops.view           = FixedView;
  p->ops.destroy        = DestroyData;
  PetscFunctionReturn(0);
}

/* ---- proportional: u = u_ref + k_p (s_target - s) ---- */

typedef struct {
  PetscReal u_ref; /* -policy_u */
  PetscReal gain;  /* -policy_gain: k_p */
  Target    target;
} ProportionalCtx;

static PetscErrorCode ProportionalEvaluate(void *ctx, PetscReal t, const PetscReal x[], PetscReal *u, void *state)
{
  const ProportionalCtx *P = (ProportionalCtx *)((StkPolicy)ctx)->data;

  *u = P->u_ref + P->gain * (P->target.s - x[0]);
  return 0;
}

static PetscErrorCode ProportionalSetFromOptions(StkPolicy p, PetscOptionItems *PetscOptionsObject)
{
  ProportionalCtx *P = (ProportionalCtx *)p->data;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsReal("-u", "The reference rate u_ref (1/yr)", "", P->u_ref, &P->u_ref, NULL));
  PetscCall(TargetSetFromOptions(PetscOptionsObject, "Target staking ratio (default: the model's sbar)", &P->target));
  PetscCall(PetscOptionsReal("-gain", "Gain k_p >= 0 in u = u_ref + k_p (s_target - s) (1/yr)", "", P->gain, &P->gain, NULL));
  PetscFunctionReturn(0);
}

static PetscErrorCode ProportionalSetUp(StkPolicy p)
{
  ProportionalCtx *P = (ProportionalCtx *)p->data;

  PetscFunctionBeginUser;
  PetscCall(StkPolicySetUpModel(p));
  PetscCall(CheckRate(p, P->u_ref));
  PetscCheck(P->gain >= 0, p->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sgain must be >= 0 (more stake, less issuance), got %g", p->class_prefix, (double)P->gain);
  PetscCall(TargetSetUp(p, &P->target));
  PetscFunctionReturn(0);
}

static PetscErrorCode ProportionalView(StkPolicy p, PetscViewer viewer)
{
  const ProportionalCtx *P = (ProportionalCtx *)p->data;

  PetscFunctionBeginUser;
  PetscCall(PetscViewerASCIIPrintf(viewer, "u = %g + %g (%g - s)\n", (double)P->u_ref, (double)P->gain, (double)P->target.s));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyCreate_Proportional(StkPolicy p)
{
  ProportionalCtx *P;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&P));
  P->u_ref = 0.03; /* the baseline ubar */
  P->gain  = 0.5;
  TargetDefault(&P->target);
  p->data               = P;
  p->ops.evaluate       = ProportionalEvaluate;
  p->ops.setfromoptions = ProportionalSetFromOptions;
  p->ops.setup          = ProportionalSetUp;
  p->ops.view           = ProportionalView;
  p->ops.destroy        = DestroyData;
  PetscFunctionReturn(0);
}

/* ---- Polkadot NPoS staker issuance: I(s) = I_0 + (I_max - I_0) adj(s), adj = s / s_ideal
 *      below the ideal stake, 2^((s_ideal - s) / d) above (pallet-staking-reward-fn). ---- */

typedef struct {
  PetscReal min_inflation, max_inflation, ideal_stake, falloff;
  Retarget  retarget; /* the ideal stake */
} PolkadotCtx;

static PetscErrorCode PolkadotEvaluate(void *ctx, PetscReal t, const PetscReal x[], PetscReal *u, void *state)
{
  const PolkadotCtx *D   = (PolkadotCtx *)((StkPolicy)ctx)->data;
  const PetscReal    s   = x[0];
  const PetscReal    adj = s <= D->ideal_stake ? s / D->ideal_stake : PetscPowReal(2.0, (D->ideal_stake - s) / D->falloff);

  *u = D->min_inflation + (D->max_inflation - D->min_inflation) * adj;
  return 0;
}

static PetscErrorCode PolkadotSetFromOptions(StkPolicy p, PetscOptionItems *PetscOptionsObject)
{
  PolkadotCtx *D = (PolkadotCtx *)p->data;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsReal("-polkadot_min_inflation", "Staker issuance at s = 0 (I_0, 1/yr)", "", D->min_inflation, &D->min_inflation, NULL));
  PetscCall(PetscOptionsReal("-polkadot_max_inflation", "Staker issuance at the ideal stake (I_max, 1/yr)", "", D->max_inflation, &D->max_inflation, NULL));
  PetscCall(PetscOptionsReal("-polkadot_ideal_stake", "Ideal staking ratio", "", D->ideal_stake, &D->ideal_stake, NULL));
  PetscCall(PetscOptionsReal("-polkadot_falloff", "Decay d of the issuance above the ideal stake", "", D->falloff, &D->falloff, NULL));
  PetscCall(RetargetSetFromOptions(PetscOptionsObject, "the ideal stake", &D->retarget));
  PetscFunctionReturn(0);
}

static PetscErrorCode PolkadotSetUp(StkPolicy p)
{
  PolkadotCtx *D = (PolkadotCtx *)p->data;

  PetscFunctionBeginUser;
  PetscCall(StkPolicySetUpModel(p));
  PetscCall(RetargetSetUp(p, &D->retarget, &D->ideal_stake));
  PetscCheck(D->min_inflation >= 0 && D->min_inflation <= D->max_inflation, p->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%spolkadot_min_inflation must lie in [0, -%spolkadot_max_inflation = %g], got %g", p->class_prefix, p->class_prefix, (double)D->max_inflation, (double)D->min_inflation);
  PetscCheck(D->ideal_stake > 0 && D->ideal_stake <= 1, p->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%spolkadot_ideal_stake must lie in (0, 1], got %g", p->class_prefix, (double)D->ideal_stake);
  PetscCheck(D->falloff > 0, p->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%spolkadot_falloff must be > 0, got %g", p->class_prefix, (double)D->falloff);
  PetscFunctionReturn(0);
}

static PetscErrorCode PolkadotView(StkPolicy p, PetscViewer viewer)
{
  const PolkadotCtx *D = (PolkadotCtx *)p->data;

  PetscFunctionBeginUser;
  PetscCall(PetscViewerASCIIPrintf(viewer, "Polkadot NPoS: I_0 %g, I_max %g, ideal stake %g%s, falloff %g\n", (double)D->min_inflation, (double)D->max_inflation, (double)D->ideal_stake, D->retarget.on ? " (retargeted)" : "", (double)D->falloff));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyCreate_Polkadot(StkPolicy p)
{
  PolkadotCtx *D;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&D));
  D->min_inflation = 0.025; /* pallet-staking-reward-curve on Polkadot: min_inflation */
  D->max_inflation = 0.10;  /* max_inflation */
  D->ideal_stake   = 0.75;  /* ideal_stake */
  D->falloff       = 0.05;  /* falloff (decay d) */
  TargetDefault(&D->retarget.target);
  p->data               = D;
  p->ops.evaluate       = PolkadotEvaluate;
  p->ops.setfromoptions = PolkadotSetFromOptions;
  p->ops.setup          = PolkadotSetUp;
  p->ops.view           = PolkadotView;
  p->ops.destroy        = DestroyData;
  PetscFunctionReturn(0);
}

/* ---- Ethereum: issuance proportional to the square root of the total stake,
 *      u = c sqrt(s) (the stakers' yield is then c / sqrt(s)). ---- */

typedef struct {
  PetscReal base_reward_factor, epochs_per_year, supply, c;
} EthereumCtx;

/* Annual issuance F E sqrt(B) gwei on a total stake of B gwei; B = s S with S the supply
 * in gwei, so u = issuance / S = F E / sqrt(S) * sqrt(s). */
static PetscReal EthereumCoefficient(const EthereumCtx *E)
{
  if (E->c > 0) return E->c;
  return E->base_reward_factor * E->epochs_per_year / PetscSqrtReal(E->supply * 1e9);
}

static PetscErrorCode EthereumEvaluate(void *ctx, PetscReal t, const PetscReal x[], PetscReal *u, void *state)
{
  *u = EthereumCoefficient((EthereumCtx *)((StkPolicy)ctx)->data) * PetscSqrtReal(PetscMax(x[0], 0));
  return 0;
}

static PetscErrorCode EthereumSetFromOptions(StkPolicy p, PetscOptionItems *PetscOptionsObject)
{
  EthereumCtx *E = (EthereumCtx *)p->data;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsReal("-ethereum_base_reward_factor", "BASE_REWARD_FACTOR", "", E->base_reward_factor, &E->base_reward_factor, NULL));
  PetscCall(PetscOptionsReal("-ethereum_epochs_per_year", "Epochs per year (32 slots of 12 s)", "", E->epochs_per_year, &E->epochs_per_year, NULL));
  PetscCall(PetscOptionsReal("-ethereum_supply", "Circulating supply (ETH) that sets the scale of c", "", E->supply, &E->supply, NULL));
  PetscCall(PetscOptionsReal("-ethereum_c", "c in u = c sqrt(s) (1/yr); 0 derives it from the three options above", "", E->c, &E->c, NULL));
  PetscFunctionReturn(0);
}

static PetscErrorCode EthereumSetUp(StkPolicy p)
{
  const EthereumCtx *E = (EthereumCtx *)p->data;

  PetscFunctionBeginUser;
  PetscCall(StkPolicySetUpModel(p));
  PetscCheck(E->base_reward_factor > 0, p->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sethereum_base_reward_factor must be > 0, got %g", p->class_prefix, (double)E->base_reward_factor);
  PetscCheck(E->epochs_per_year > 0, p->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sethereum_epochs_per_year must be > 0, got %g", p->class_prefix, (double)E->epochs_per_year);
  PetscCheck(E->supply > 0, p->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sethereum_supply must be > 0, got %g", p->class_prefix, (double)E->supply);
  PetscCheck(E->c >= 0, p->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sethereum_c must be >= 0 (0: derived), got %g", p->class_prefix, (double)E->c);
  PetscFunctionReturn(0);
}

static PetscErrorCode EthereumView(StkPolicy p, PetscViewer viewer)
{
  const EthereumCtx *E = (EthereumCtx *)p->data;

  PetscFunctionBeginUser;
  PetscCall(PetscViewerASCIIPrintf(viewer, "Ethereum: u = %g sqrt(s) (base reward factor %g, supply %g ETH)\n", (double)EthereumCoefficient(E), (double)E->base_reward_factor, (double)E->supply));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyCreate_Ethereum(StkPolicy p)
{
  EthereumCtx *E;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&E));
  E->base_reward_factor = 64;                                   /* BASE_REWARD_FACTOR */
  E->epochs_per_year    = STK_DAYS_PER_YEAR * 86400 / (12 * 32); /* 12 s slots, 32 slots/epoch */
  E->supply             = 120e6;                                 /* ETH in circulation */
  E->c                  = 0;                                     /* 0: derive from the above */
  p->data               = E;
  p->ops.evaluate       = EthereumEvaluate;
  p->ops.setfromoptions = EthereumSetFromOptions;
  p->ops.setup          = EthereumSetUp;
  p->ops.view           = EthereumView;
  p->ops.destroy        = DestroyData;
  PetscFunctionReturn(0);
}

/* ---- Cosmos SDK x/mint: the inflation is the state, moved at every call by
 *      d(inflation)/dt = k (1 - s / s_goal), then clipped to [min, max]. ---- */

typedef struct {
  PetscReal rate_change, inflation_min, inflation_max, goal_bonded, inflation0;
  Retarget  retarget; /* GoalBonded */
} CosmosCtx;

typedef struct {
  PetscReal inflation; /* current annual inflation */
  PetscReal t_last;    /* time of the last update (yr) */
} CosmosState;

static PetscErrorCode CosmosReset(void *ctx, PetscReal t0, const PetscReal x0[], void *state)
{
  CosmosState *st = (CosmosState *)state;

  PetscFunctionBeginUser;
  PetscCheck(st, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "-policy cosmos needs per-path state (StkPolicyGetFunction's state_size bytes)");
  st->inflation = ((CosmosCtx *)((StkPolicy)ctx)->data)->inflation0;
  st->t_last    = t0;
  PetscFunctionReturn(0);
}

static PetscErrorCode CosmosEvaluate(void *ctx, PetscReal t, const PetscReal x[], PetscReal *u, void *state)
{
  const CosmosCtx *C  = (CosmosCtx *)((StkPolicy)ctx)->data;
  CosmosState     *st = (CosmosState *)state;
  PetscReal        dt;

  PetscFunctionBeginUser;
  PetscCheck(st, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "-policy cosmos needs per-path state (StkPolicyGetFunction's state_size bytes)");
  dt = t - st->t_last;
  PetscCheck(dt >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-policy cosmos: time went backwards (t = %g before the last call at %g); reset the state at the start of a path", (double)t, (double)st->t_last);
  /* NextInflationRate per block, integrated over dt (blocks are seconds apart) */
  st->inflation = PetscClipInterval(st->inflation + (1 - x[0] / C->goal_bonded) * C->rate_change * dt, C->inflation_min, C->inflation_max);
  st->t_last    = t;
  *u            = st->inflation;
  PetscFunctionReturn(0);
}

static PetscErrorCode CosmosSetFromOptions(StkPolicy p, PetscOptionItems *PetscOptionsObject)
{
  CosmosCtx *C = (CosmosCtx *)p->data;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsReal("-cosmos_rate_change", "Maximum change of the inflation per year (InflationRateChange)", "", C->rate_change, &C->rate_change, NULL));
  PetscCall(PetscOptionsReal("-cosmos_inflation_min", "Lowest inflation (InflationMin, 1/yr)", "", C->inflation_min, &C->inflation_min, NULL));
  PetscCall(PetscOptionsReal("-cosmos_inflation_max", "Highest inflation (InflationMax, 1/yr)", "", C->inflation_max, &C->inflation_max, NULL));
  PetscCall(PetscOptionsReal("-cosmos_goal_bonded", "Goal bonded ratio (GoalBonded)", "", C->goal_bonded, &C->goal_bonded, NULL));
  PetscCall(PetscOptionsReal("-cosmos_inflation0", "Inflation at the start of a path (1/yr)", "", C->inflation0, &C->inflation0, NULL));
  PetscCall(RetargetSetFromOptions(PetscOptionsObject, "GoalBonded", &C->retarget));
  PetscFunctionReturn(0);
}

static PetscErrorCode CosmosSetUp(StkPolicy p)
{
  CosmosCtx *C = (CosmosCtx *)p->data;

  PetscFunctionBeginUser;
  PetscCall(StkPolicySetUpModel(p));
  PetscCall(RetargetSetUp(p, &C->retarget, &C->goal_bonded));
  PetscCheck(C->rate_change >= 0, p->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%scosmos_rate_change must be >= 0, got %g", p->class_prefix, (double)C->rate_change);
  PetscCheck(C->inflation_min >= 0 && C->inflation_min <= C->inflation_max, p->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%scosmos_inflation_min must lie in [0, -%scosmos_inflation_max = %g], got %g", p->class_prefix, p->class_prefix, (double)C->inflation_max, (double)C->inflation_min);
  PetscCheck(C->goal_bonded > 0 && C->goal_bonded <= 1, p->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%scosmos_goal_bonded must lie in (0, 1], got %g", p->class_prefix, (double)C->goal_bonded);
  PetscFunctionReturn(0);
}

static PetscErrorCode CosmosView(StkPolicy p, PetscViewer viewer)
{
  const CosmosCtx *C = (CosmosCtx *)p->data;

  PetscFunctionBeginUser;
  PetscCall(PetscViewerASCIIPrintf(viewer, "Cosmos x/mint: d(inflation)/dt = %g (1 - s / %g)%s, inflation in [%g, %g], initially %g\n", (double)C->rate_change, (double)C->goal_bonded, C->retarget.on ? " (retargeted)" : "", (double)C->inflation_min, (double)C->inflation_max, (double)C->inflation0));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyCreate_Cosmos(StkPolicy p)
{
  CosmosCtx *C;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&C));
  C->rate_change   = 0.13; /* x/mint DefaultParams: InflationRateChange */
  C->inflation_min = 0.07; /* InflationMin */
  C->inflation_max = 0.20; /* InflationMax */
  C->goal_bonded   = 0.67; /* GoalBonded */
  C->inflation0    = 0.13; /* DefaultInitialMinter: Inflation */
  TargetDefault(&C->retarget.target);
  p->data               = C;
  p->ops.evaluate       = CosmosEvaluate;
  p->ops.reset          = CosmosReset;
  p->ops.state_size     = sizeof(CosmosState);
  p->ops.setfromoptions = CosmosSetFromOptions;
  p->ops.setup          = CosmosSetUp;
  p->ops.view           = CosmosView;
  p->ops.destroy        = DestroyData;
  PetscFunctionReturn(0);
}

/* ---- Tezos adaptive issuance (Paris): issuance = clip(static(s) + dyn, min, max),
 *      recomputed at the end of every cycle and held during the cycle; dyn moves by
 *      growth_rate * days_per_cycle * (distance of s outside the dead zone) and is
 *      clipped to [0, min(max_bonus, max - clip(static(s), min, max))], the protocol's
 *      compute_bonus: the integrator itself stops where the total would pass the
 *      maximum (anti-windup), not only the output. ---- */

typedef struct {
  PetscReal static_coeff, center, radius, growth_rate, max_bonus, issuance_min, issuance_max, cycle_days, dyn0;
  Retarget  retarget; /* the centre of the dead zone */
} TezosCtx;

typedef struct {
  PetscReal dyn;         /* dynamic rate (1/yr) */
  PetscReal rate;        /* issuance rate in force during the current cycle (1/yr) */
  PetscReal cycle_start; /* start of the current cycle (yr) */
} TezosState;

static PetscReal TezosStatic(const TezosCtx *T, PetscReal s)
{
  const PetscReal se = PetscMax(s, STK_POLICY_S_FLOOR);
  return T->static_coeff / (se * se);
}

/* Change of the dynamic rate over one cycle at staked ratio s. */
static PetscReal TezosDynamicStep(const TezosCtx *T, PetscReal s)
{
  const PetscReal lo = T->center - T->radius, hi = T->center + T->radius;
  const PetscReal per_cycle = T->growth_rate * T->cycle_days;

  if (s < lo) return per_cycle * (lo - s);
  if (s > hi) return -per_cycle * (s - hi);
  return 0;
}

/* The protocol's bound on the dynamic rate at staked ratio s: min(max_bonus, max - the
 * static rate clipped to [min, max]); below max_bonus when static(s) > max - max_bonus
 * (s < 0.1118 with the defaults). */
static PetscReal TezosBonusCap(const TezosCtx *T, PetscReal s)
{
  const PetscReal static_rate = PetscClipInterval(TezosStatic(T, s), T->issuance_min, T->issuance_max);
  return PetscMin(T->max_bonus, T->issuance_max - static_rate);
}

/* The dynamic rate after n >= 1 cycle ends at staked ratio s (held over them). */
static PetscReal TezosDynamicAfter(const TezosCtx *T, PetscReal s, PetscReal dyn, PetscReal n)
{
  const PetscReal cap = TezosBonusCap(T, s), step = TezosDynamicStep(T, s);

  /* Above the cap (it came down since the last cycle end): the first cycle end clips it. */
  if (dyn > cap) {
    dyn = PetscClipInterval(dyn + step, 0, cap);
    n -= 1;
  }
  /* Inside [0, cap] with steps of one sign, clipping once equals clipping after each cycle. */
  return n > 0 ? PetscClipInterval(dyn + n * step, 0, cap) : dyn;
}

static PetscReal TezosRate(const TezosCtx *T, PetscReal s, PetscReal dyn)
{
  return PetscClipInterval(TezosStatic(T, s) + dyn, T->issuance_min, T->issuance_max);
}

static PetscErrorCode TezosReset(void *ctx, PetscReal t0, const PetscReal x0[], void *state)
{
  const TezosCtx *T  = (TezosCtx *)((StkPolicy)ctx)->data;
  TezosState     *st = (TezosState *)state;

  PetscFunctionBeginUser;
  PetscCheck(st, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "-policy tezos needs per-path state (StkPolicyGetFunction's state_size bytes)");
  st->dyn         = T->dyn0;
  st->rate        = TezosRate(T, x0[0], st->dyn);
  st->cycle_start = t0;
  PetscFunctionReturn(0);
}

static PetscErrorCode TezosEvaluate(void *ctx, PetscReal t, const PetscReal x[], PetscReal *u, void *state)
{
  const TezosCtx *T     = (TezosCtx *)((StkPolicy)ctx)->data;
  TezosState     *st    = (TezosState *)state;
  const PetscReal cycle = T->cycle_days / STK_DAYS_PER_YEAR;
  PetscReal       ncycles;

  PetscFunctionBeginUser;
  PetscCheck(st, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "-policy tezos needs per-path state (StkPolicyGetFunction's state_size bytes)");
  PetscCheck(t >= st->cycle_start, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-policy tezos: time went backwards (t = %g before the current cycle start %g); reset the state at the start of a path", (double)t, (double)st->cycle_start);
  /* Whole cycles completed since the last cycle end (a tolerance of 1e-9 cycle absorbs
   * the round-off of times accumulated step by step). */
  ncycles = PetscFloorReal((t - st->cycle_start) / cycle + 1e-9);
  if (ncycles >= 1) {
    st->dyn  = TezosDynamicAfter(T, x[0], st->dyn, ncycles); /* s held over the skipped cycles */
    st->rate = TezosRate(T, x[0], st->dyn);
    st->cycle_start += ncycles * cycle;
  }
  *u = st->rate;
  PetscFunctionReturn(0);
}

static PetscErrorCode TezosSetFromOptions(StkPolicy p, PetscOptionItems *PetscOptionsObject)
{
  TezosCtx *T = (TezosCtx *)p->data;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsReal("-tezos_static_coeff", "Static rate coefficient a in a / s^2 (1/yr)", "", T->static_coeff, &T->static_coeff, NULL));
  PetscCall(PetscOptionsReal("-tezos_center", "Target staked ratio", "", T->center, &T->center, NULL));
  PetscCall(PetscOptionsReal("-tezos_radius", "Half-width of the dead zone around the target", "", T->radius, &T->radius, NULL));
  PetscCall(PetscOptionsReal("-tezos_growth_rate", "Change of the dynamic rate per day per unit of s outside the dead zone", "", T->growth_rate, &T->growth_rate, NULL));
  PetscCall(PetscOptionsReal("-tezos_max_bonus", "Highest dynamic rate (1/yr)", "", T->max_bonus, &T->max_bonus, NULL));
  PetscCall(PetscOptionsReal("-tezos_issuance_min", "Lowest issuance rate (1/yr)", "", T->issuance_min, &T->issuance_min, NULL));
  PetscCall(PetscOptionsReal("-tezos_issuance_max", "Highest issuance rate (1/yr)", "", T->issuance_max, &T->issuance_max, NULL));
  PetscCall(PetscOptionsReal("-tezos_cycle_days", "Cycle length (days of the simulators' 365-day year); the rate is recomputed at each cycle end", "", T->cycle_days, &T->cycle_days, NULL));
  PetscCall(PetscOptionsReal("-tezos_dyn0", "Dynamic rate at the start of a path (1/yr)", "", T->dyn0, &T->dyn0, NULL));
  PetscCall(RetargetSetFromOptions(PetscOptionsObject, "the centre -policy_tezos_center", &T->retarget));
  PetscFunctionReturn(0);
}

static PetscErrorCode TezosSetUp(StkPolicy p)
{
  TezosCtx *T = (TezosCtx *)p->data;

  PetscFunctionBeginUser;
  PetscCall(StkPolicySetUpModel(p));
  PetscCall(RetargetSetUp(p, &T->retarget, &T->center));
  PetscCheck(T->static_coeff >= 0, p->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%stezos_static_coeff must be >= 0, got %g", p->class_prefix, (double)T->static_coeff);
  PetscCheck(T->center > 0 && T->center < 1, p->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%stezos_center must lie in (0, 1), got %g", p->class_prefix, (double)T->center);
  PetscCheck(T->radius >= 0 && T->radius < T->center, p->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%stezos_radius must lie in [0, -%stezos_center), got %g", p->class_prefix, p->class_prefix, (double)T->radius);
  PetscCheck(T->growth_rate >= 0, p->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%stezos_growth_rate must be >= 0, got %g", p->class_prefix, (double)T->growth_rate);
  PetscCheck(T->max_bonus >= 0, p->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%stezos_max_bonus must be >= 0, got %g", p->class_prefix, (double)T->max_bonus);
  PetscCheck(T->issuance_min >= 0 && T->issuance_min <= T->issuance_max, p->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%stezos_issuance_min must lie in [0, -%stezos_issuance_max = %g], got %g", p->class_prefix, p->class_prefix, (double)T->issuance_max, (double)T->issuance_min);
  PetscCheck(T->cycle_days > 0, p->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%stezos_cycle_days must be > 0, got %g", p->class_prefix, (double)T->cycle_days);
  PetscCheck(T->dyn0 >= 0 && T->dyn0 <= T->max_bonus, p->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%stezos_dyn0 must lie in [0, -%stezos_max_bonus = %g], got %g", p->class_prefix, p->class_prefix, (double)T->max_bonus, (double)T->dyn0);
  PetscFunctionReturn(0);
}

static PetscErrorCode TezosView(StkPolicy p, PetscViewer viewer)
{
  const TezosCtx *T = (TezosCtx *)p->data;

  PetscFunctionBeginUser;
  PetscCall(PetscViewerASCIIPrintf(viewer, "Tezos adaptive issuance: clip(%g / s^2 + dyn, %g, %g); dyn in [0, min(%g, max - static)] moves %g/day per unit of s outside [%g, %g]%s, every %g days\n", (double)T->static_coeff, (double)T->issuance_min, (double)T->issuance_max, (double)T->max_bonus, (double)T->growth_rate, (double)(T->center - T->radius), (double)(T->center + T->radius), T->retarget.on ? " (retargeted)" : "", (double)T->cycle_days));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyCreate_Tezos(StkPolicy p)
{
  TezosCtx *T;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&T));
  T->static_coeff = 1.0 / 1600; /* static rate 1/(1600 s^2) */
  T->center       = 0.50;       /* target staked ratio */
  T->radius       = 0.02;       /* dead zone [0.48, 0.52] */
  T->growth_rate  = 0.01;       /* 0.01 %/day per percentage point: 0.01 per day per unit of s */
  T->max_bonus    = 0.05;       /* dynamic rate in [0, 5 %] */
  T->issuance_min = 0.0025;     /* final minimum issuance 0.25 %/yr */
  T->issuance_max = 0.10;       /* final maximum issuance 10 %/yr */
  T->cycle_days   = 24576 * 10.0 / 86400; /* 24576 blocks of 10 s: 2.84 days */
  T->dyn0         = 0;
  TargetDefault(&T->retarget.target);
  p->data               = T;
  p->ops.evaluate       = TezosEvaluate;
  p->ops.reset          = TezosReset;
  p->ops.state_size     = sizeof(TezosState);
  p->ops.setfromoptions = TezosSetFromOptions;
  p->ops.setup          = TezosSetUp;
  p->ops.view           = TezosView;
  p->ops.destroy        = DestroyData;
  PetscFunctionReturn(0);
}

/* ---- The rules retargeted at the planner's sbar (docs/policies.md,
 *      "Retargeted rules"): the same types with -policy_retarget on by default. ---- */

PetscErrorCode StkPolicyCreate_CosmosSbar(StkPolicy p)
{
  PetscFunctionBeginUser;
  PetscCall(StkPolicyCreate_Cosmos(p));
  ((CosmosCtx *)p->data)->retarget.on = PETSC_TRUE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyCreate_PolkadotSbar(StkPolicy p)
{
  PetscFunctionBeginUser;
  PetscCall(StkPolicyCreate_Polkadot(p));
  ((PolkadotCtx *)p->data)->retarget.on = PETSC_TRUE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyCreate_TezosSbar(StkPolicy p)
{
  PetscFunctionBeginUser;
  PetscCall(StkPolicyCreate_Tezos(p));
  ((TezosCtx *)p->data)->retarget.on = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/* ---- Social gradient (docs/model.md#the-social-gradient): the incentive follows
 *      the gradient of the planner's running cost in the agents' aggregate action,
 *      du/dt = -eta_sg dl/ds(s, u), projected on [u_min, u_max] as it moves (so the
 *      state never winds up outside the bounds); dl/ds = 2 w_s (s - sbar) for the
 *      staking cost, taken here from the model's own cost by a central difference
 *      (exact for a quadratic in s up to rounding). ---- */

typedef struct {
  PetscReal u0;   /* -policy_u: the rate at the start of a path */
  PetscReal rate; /* -policy_sg_rate: eta_sg */
} SocialGradientCtx;

typedef struct {
  PetscReal u;      /* current issuance rate (1/yr) */
  PetscReal t_last; /* time of the last update (yr) */
} SocialGradientState;

static PetscErrorCode SocialGradientReset(void *ctx, PetscReal t0, const PetscReal x0[], void *state)
{
  StkPolicy            p  = (StkPolicy)ctx;
  SocialGradientState *st = (SocialGradientState *)state;

  PetscFunctionBeginUser;
  PetscCheck(st, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "-policy social_gradient needs per-path state (StkPolicyGetFunction's state_size bytes)");
  st->u      = PetscClipInterval(((SocialGradientCtx *)p->data)->u0, p->u_min, p->u_max);
  st->t_last = t0;
  PetscFunctionReturn(0);
}

static PetscErrorCode SocialGradientEvaluate(void *ctx, PetscReal t, const PetscReal x[], PetscReal *u, void *state)
{
  StkPolicy            p  = (StkPolicy)ctx;
  SocialGradientState *st = (SocialGradientState *)state;
  const PetscReal      h  = 1e-4;
  PetscReal            xp[STK_MAX_DIM] = {0}, xm[STK_MAX_DIM] = {0}, lp, lm, dt;
  PetscInt             dim;

  PetscFunctionBeginUser;
  PetscCheck(st, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "-policy social_gradient needs per-path state (StkPolicyGetFunction's state_size bytes)");
  dt = t - st->t_last;
  PetscCheck(dt >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-policy social_gradient: time went backwards (t = %g before the last call at %g); reset the state at the start of a path", (double)t, (double)st->t_last);
  PetscCall(StkModelGetDimension(p->model, &dim));
  for (PetscInt k = 0; k < dim; k++) xp[k] = xm[k] = x[k];
  xp[0] += h;
  xm[0] -= h;
  PetscCall(StkModelCost(p->model, xp, &st->u, &lp));
  PetscCall(StkModelCost(p->model, xm, &st->u, &lm));
  st->u      = PetscClipInterval(st->u - ((SocialGradientCtx *)p->data)->rate * (lp - lm) / (2 * h) * dt, p->u_min, p->u_max);
  st->t_last = t;
  *u         = st->u;
  PetscFunctionReturn(0);
}

static PetscErrorCode SocialGradientSetFromOptions(StkPolicy p, PetscOptionItems *PetscOptionsObject)
{
  SocialGradientCtx *G = (SocialGradientCtx *)p->data;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsReal("-u", "The rate at the start of a path (1/yr)", "", G->u0, &G->u0, NULL));
  PetscCall(PetscOptionsReal("-sg_rate", "Rate eta_sg >= 0 in du/dt = -eta_sg dl/ds", "", G->rate, &G->rate, NULL));
  PetscFunctionReturn(0);
}

static PetscErrorCode SocialGradientSetUp(StkPolicy p)
{
  const SocialGradientCtx *G = (SocialGradientCtx *)p->data;

  PetscFunctionBeginUser;
  PetscCall(StkPolicySetUpModel(p));
  PetscCall(CheckRate(p, G->u0));
  PetscCheck(G->rate >= 0, p->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%ssg_rate must be >= 0, got %g", p->class_prefix, (double)G->rate);
  PetscFunctionReturn(0);
}

static PetscErrorCode SocialGradientView(StkPolicy p, PetscViewer viewer)
{
  const SocialGradientCtx *G = (SocialGradientCtx *)p->data;

  PetscFunctionBeginUser;
  PetscCall(PetscViewerASCIIPrintf(viewer, "social gradient: du/dt = -%g dl/ds, projected on [%g, %g], initially %g\n", (double)G->rate, (double)p->u_min, (double)p->u_max, (double)G->u0));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyCreate_SocialGradient(StkPolicy p)
{
  SocialGradientCtx *G;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&G));
  G->u0                 = 0.03; /* the baseline ubar */
  G->rate               = 1.0;  /* du/dt = -2 (s - sbar) at w_s = 1 */
  p->data               = G;
  p->ops.evaluate       = SocialGradientEvaluate;
  p->ops.reset          = SocialGradientReset;
  p->ops.state_size     = sizeof(SocialGradientState);
  p->ops.setfromoptions = SocialGradientSetFromOptions;
  p->ops.setup          = SocialGradientSetUp;
  p->ops.view           = SocialGradientView;
  p->ops.destroy        = DestroyData;
  PetscFunctionReturn(0);
}
