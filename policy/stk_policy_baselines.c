/* The baseline policies of MODEL.md section 6 in the model's units (issuance per year
 * as a fraction of supply).  Formulas, defaults and sources: docs/policies.md.  The
 * generic wrapper (stk_policy.c) clips every output to [u_min, u_max]. */
#include "stk_policyimpl.h"

/* Below this staking ratio the 1/s^2 of Tezos is evaluated at the floor (finite). */
#define STK_POLICY_S_FLOOR 1e-6

static PetscErrorCode ZeroEvaluate(void *ctx, PetscReal t, const PetscReal x[], PetscReal *u, void *state)
{
  *u = 0;
  return 0;
}

static PetscErrorCode FixedEvaluate(void *ctx, PetscReal t, const PetscReal x[], PetscReal *u, void *state)
{
  *u = ((StkPolicy)ctx)->par.u_ref;
  return 0;
}

/* u = u_ref + k_p (s_target - s) */
static PetscErrorCode ProportionalEvaluate(void *ctx, PetscReal t, const PetscReal x[], PetscReal *u, void *state)
{
  const StkPolicyParams *q = &((StkPolicy)ctx)->par;

  *u = q->u_ref + q->gain * (q->s_target - x[0]);
  return 0;
}

/* Polkadot NPoS staker issuance: I(s) = I_0 + (I_max - I_0) adj(s), adj = s / s_ideal
 * below the ideal stake, 2^((s_ideal - s) / d) above (pallet-staking-reward-fn). */
static PetscErrorCode PolkadotEvaluate(void *ctx, PetscReal t, const PetscReal x[], PetscReal *u, void *state)
{
  const StkPolicyParams *q   = &((StkPolicy)ctx)->par;
  const PetscReal        s   = x[0];
  const PetscReal        adj = s <= q->dot_ideal_stake ? s / q->dot_ideal_stake : PetscPowReal(2.0, (q->dot_ideal_stake - s) / q->dot_falloff);

  *u = q->dot_min_inflation + (q->dot_max_inflation - q->dot_min_inflation) * adj;
  return 0;
}

PetscReal StkPolicyEthereumCoefficient(const StkPolicyParams *q)
{
  /* Annual issuance F E sqrt(B) gwei on a total stake of B gwei; B = s S with S the supply
   * in gwei, so u = issuance / S = F E / sqrt(S) * sqrt(s). */
  if (q->eth_c > 0) return q->eth_c;
  return q->eth_base_reward_factor * q->eth_epochs_per_year / PetscSqrtReal(q->eth_supply * 1e9);
}

/* Ethereum: issuance proportional to the square root of the total stake, u = c sqrt(s)
 * (the stakers' yield is then c / sqrt(s)). */
static PetscErrorCode EthereumEvaluate(void *ctx, PetscReal t, const PetscReal x[], PetscReal *u, void *state)
{
  const StkPolicy p = (StkPolicy)ctx;

  *u = StkPolicyEthereumCoefficient(&p->par) * PetscSqrtReal(PetscMax(x[0], 0));
  return 0;
}

/* ---- Cosmos SDK x/mint: the inflation is the state, moved at every call by
 *      d(inflation)/dt = k (1 - s / s_goal), then clipped to [min, max]. ---- */
typedef struct {
  PetscReal inflation; /* current annual inflation */
  PetscReal t_last;    /* time of the last update (yr) */
} CosmosState;

static PetscErrorCode CosmosReset(void *ctx, PetscReal t0, const PetscReal x0[], void *state)
{
  CosmosState *st = (CosmosState *)state;

  PetscFunctionBeginUser;
  PetscCheck(st, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "-policy cosmos needs per-path state (StkPolicyGetFunction's state_size bytes)");
  st->inflation = ((StkPolicy)ctx)->par.cosmos_inflation0;
  st->t_last    = t0;
  PetscFunctionReturn(0);
}

static PetscErrorCode CosmosEvaluate(void *ctx, PetscReal t, const PetscReal x[], PetscReal *u, void *state)
{
  const StkPolicyParams *q  = &((StkPolicy)ctx)->par;
  CosmosState           *st = (CosmosState *)state;
  PetscReal              dt;

  PetscFunctionBeginUser;
  PetscCheck(st, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "-policy cosmos needs per-path state (StkPolicyGetFunction's state_size bytes)");
  dt = t - st->t_last;
  PetscCheck(dt >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-policy cosmos: time went backwards (t = %g before the last call at %g); reset the state at the start of a path", (double)t, (double)st->t_last);
  /* NextInflationRate per block, integrated over dt (blocks are seconds apart) */
  st->inflation = PetscClipInterval(st->inflation + (1 - x[0] / q->cosmos_goal_bonded) * q->cosmos_rate_change * dt, q->cosmos_inflation_min, q->cosmos_inflation_max);
  st->t_last    = t;
  *u            = st->inflation;
  PetscFunctionReturn(0);
}

/* ---- Tezos adaptive issuance (Paris): issuance = clip(static(s) + dyn, min, max),
 *      recomputed at the end of every cycle and held during the cycle; dyn moves by
 *      growth_rate * days_per_cycle * (distance of s outside the dead zone). ---- */
typedef struct {
  PetscReal dyn;         /* dynamic rate (1/yr) */
  PetscReal rate;        /* issuance rate in force during the current cycle (1/yr) */
  PetscReal cycle_start; /* start of the current cycle (yr) */
} TezosState;

static PetscReal TezosStatic(const StkPolicyParams *q, PetscReal s)
{
  const PetscReal se = PetscMax(s, STK_POLICY_S_FLOOR);
  return q->tez_static_coeff / (se * se);
}

/* Change of the dynamic rate over one cycle at staked ratio s. */
static PetscReal TezosDynamicStep(const StkPolicyParams *q, PetscReal s)
{
  const PetscReal lo = q->tez_center - q->tez_radius, hi = q->tez_center + q->tez_radius;
  const PetscReal per_cycle = q->tez_growth_rate * q->tez_cycle_days;

  if (s < lo) return per_cycle * (lo - s);
  if (s > hi) return -per_cycle * (s - hi);
  return 0;
}

static PetscReal TezosRate(const StkPolicyParams *q, PetscReal s, PetscReal dyn)
{
  return PetscClipInterval(TezosStatic(q, s) + dyn, q->tez_issuance_min, q->tez_issuance_max);
}

static PetscErrorCode TezosReset(void *ctx, PetscReal t0, const PetscReal x0[], void *state)
{
  const StkPolicyParams *q  = &((StkPolicy)ctx)->par;
  TezosState            *st = (TezosState *)state;

  PetscFunctionBeginUser;
  PetscCheck(st, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "-policy tezos needs per-path state (StkPolicyGetFunction's state_size bytes)");
  st->dyn         = q->tez_dyn0;
  st->rate        = TezosRate(q, x0[0], st->dyn);
  st->cycle_start = t0;
  PetscFunctionReturn(0);
}

static PetscErrorCode TezosEvaluate(void *ctx, PetscReal t, const PetscReal x[], PetscReal *u, void *state)
{
  const StkPolicyParams *q     = &((StkPolicy)ctx)->par;
  TezosState            *st    = (TezosState *)state;
  const PetscReal        cycle = q->tez_cycle_days / STK_DAYS_PER_YEAR;
  PetscReal              ncycles;

  PetscFunctionBeginUser;
  PetscCheck(st, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "-policy tezos needs per-path state (StkPolicyGetFunction's state_size bytes)");
  PetscCheck(t >= st->cycle_start, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-policy tezos: time went backwards (t = %g before the current cycle start %g); reset the state at the start of a path", (double)t, (double)st->cycle_start);
  /* Whole cycles completed since the last cycle end (a tolerance of 1e-9 cycle absorbs
   * the round-off of times accumulated step by step). */
  ncycles = PetscFloorReal((t - st->cycle_start) / cycle + 1e-9);
  if (ncycles >= 1) {
    /* With s held over the skipped cycles the steps share one sign, so clipping once
     * equals clipping after each cycle. */
    st->dyn = PetscClipInterval(st->dyn + ncycles * TezosDynamicStep(q, x[0]), 0, q->tez_max_bonus);
    st->rate = TezosRate(q, x[0], st->dyn);
    st->cycle_start += ncycles * cycle;
  }
  *u = st->rate;
  PetscFunctionReturn(0);
}

/* ---- Social gradient (MODEL.md section 5): the incentive follows the gradient of the
 *      planner's running cost in the agents' aggregate action,
 *      du/dt = -eta_sg dl/ds(s, u), projected on [u_min, u_max] as it moves (so the
 *      state never winds up outside the bounds); dl/ds = 2 w_s (s - sbar) for the
 *      staking cost, taken here from the model's own cost by a central difference
 *      (exact for a quadratic in s up to rounding). ---- */
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
  st->u      = PetscClipInterval(p->par.u_ref, p->u_min, p->u_max);
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
  st->u      = PetscClipInterval(st->u - p->par.sg_rate * (lp - lm) / (2 * h) * dt, p->u_min, p->u_max);
  st->t_last = t;
  *u         = st->u;
  PetscFunctionReturn(0);
}

static PetscErrorCode SocialGradientView(StkPolicy p, PetscViewer viewer)
{
  PetscFunctionBeginUser;
  PetscCall(PetscViewerASCIIPrintf(viewer, "social gradient: du/dt = -%g dl/ds, projected on [%g, %g], initially %g\n", (double)p->par.sg_rate, (double)p->u_min, (double)p->u_max, (double)p->par.u_ref));
  PetscFunctionReturn(0);
}

static PetscErrorCode CosmosView(StkPolicy p, PetscViewer viewer)
{
  const StkPolicyParams *q = &p->par;

  PetscFunctionBeginUser;
  PetscCall(PetscViewerASCIIPrintf(viewer, "Cosmos x/mint: d(inflation)/dt = %g (1 - s / %g), inflation in [%g, %g], initially %g\n", (double)q->cosmos_rate_change, (double)q->cosmos_goal_bonded, (double)q->cosmos_inflation_min, (double)q->cosmos_inflation_max, (double)q->cosmos_inflation0));
  PetscFunctionReturn(0);
}

static PetscErrorCode TezosView(StkPolicy p, PetscViewer viewer)
{
  const StkPolicyParams *q = &p->par;

  PetscFunctionBeginUser;
  PetscCall(PetscViewerASCIIPrintf(viewer, "Tezos adaptive issuance: clip(%g / s^2 + dyn, %g, %g); dyn in [0, %g] moves %g/day per unit of s outside [%g, %g], every %g days\n", (double)q->tez_static_coeff, (double)q->tez_issuance_min, (double)q->tez_issuance_max, (double)q->tez_max_bonus, (double)q->tez_growth_rate, (double)(q->tez_center - q->tez_radius), (double)(q->tez_center + q->tez_radius), (double)q->tez_cycle_days));
  PetscFunctionReturn(0);
}

static PetscErrorCode SimpleView(StkPolicy p, PetscViewer viewer)
{
  const StkPolicyParams *q = &p->par;

  PetscFunctionBeginUser;
  if (p->ops.evaluate == FixedEvaluate) PetscCall(PetscViewerASCIIPrintf(viewer, "u = %g\n", (double)q->u_ref));
  else if (p->ops.evaluate == ProportionalEvaluate) PetscCall(PetscViewerASCIIPrintf(viewer, "u = %g + %g (%g - s)\n", (double)q->u_ref, (double)q->gain, (double)q->s_target));
  else if (p->ops.evaluate == PolkadotEvaluate) PetscCall(PetscViewerASCIIPrintf(viewer, "Polkadot NPoS: I_0 %g, I_max %g, ideal stake %g, falloff %g\n", (double)q->dot_min_inflation, (double)q->dot_max_inflation, (double)q->dot_ideal_stake, (double)q->dot_falloff));
  else if (p->ops.evaluate == EthereumEvaluate) PetscCall(PetscViewerASCIIPrintf(viewer, "Ethereum: u = %g sqrt(s) (base reward factor %g, supply %g ETH)\n", (double)StkPolicyEthereumCoefficient(q), (double)q->eth_base_reward_factor, (double)q->eth_supply));
  PetscFunctionReturn(0);
}

static PetscErrorCode SetStateless(StkPolicy p, StkPolicyFn evaluate)
{
  PetscFunctionBeginUser;
  p->ops.evaluate = evaluate;
  p->ops.view     = SimpleView;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyCreate_Zero(StkPolicy p)
{
  return SetStateless(p, ZeroEvaluate);
}

PetscErrorCode StkPolicyCreate_Fixed(StkPolicy p)
{
  return SetStateless(p, FixedEvaluate);
}

PetscErrorCode StkPolicyCreate_Proportional(StkPolicy p)
{
  return SetStateless(p, ProportionalEvaluate);
}

PetscErrorCode StkPolicyCreate_Polkadot(StkPolicy p)
{
  return SetStateless(p, PolkadotEvaluate);
}

PetscErrorCode StkPolicyCreate_Ethereum(StkPolicy p)
{
  return SetStateless(p, EthereumEvaluate);
}

PetscErrorCode StkPolicyCreate_Cosmos(StkPolicy p)
{
  PetscFunctionBeginUser;
  p->ops.evaluate   = CosmosEvaluate;
  p->ops.reset      = CosmosReset;
  p->ops.state_size = sizeof(CosmosState);
  p->ops.view       = CosmosView;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyCreate_SocialGradient(StkPolicy p)
{
  PetscFunctionBeginUser;
  p->ops.evaluate   = SocialGradientEvaluate;
  p->ops.reset      = SocialGradientReset;
  p->ops.state_size = sizeof(SocialGradientState);
  p->ops.view       = SocialGradientView;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyCreate_Tezos(StkPolicy p)
{
  PetscFunctionBeginUser;
  p->ops.evaluate   = TezosEvaluate;
  p->ops.reset      = TezosReset;
  p->ops.state_size = sizeof(TezosState);
  p->ops.view       = TezosView;
  PetscFunctionReturn(0);
}
