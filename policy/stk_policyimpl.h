/* Private: the body of StkPolicy, the parameters of every baseline, and the ops table
 * a policy type fills in. */
#pragma once
#include "stk_policy.h"

#define STK_DAYS_PER_YEAR 365.25

/* Parameters of the baselines (MODEL.md section 6), read for every type so that -help
 * lists them all.  Rates are per year, ratios fractions of supply. */
typedef struct {
  PetscReal u_ref;    /* -policy_u: fixed rate and reference of proportional */
  PetscReal s_target; /* -policy_s_target: target of proportional (default: the model's sbar) */
  PetscReal gain;     /* -policy_gain: k_p of proportional */
  PetscReal sg_rate;  /* -policy_sg_rate: eta_sg of the social-gradient law */
  /* Cosmos SDK x/mint */
  PetscReal cosmos_rate_change, cosmos_inflation_min, cosmos_inflation_max, cosmos_goal_bonded, cosmos_inflation0;
  /* Polkadot NPoS staker issuance */
  PetscReal dot_min_inflation, dot_max_inflation, dot_ideal_stake, dot_falloff;
  /* Ethereum: u = c sqrt(s), c = F E / sqrt(supply in gwei) unless -policy_ethereum_c is set */
  PetscReal eth_base_reward_factor, eth_supply, eth_epochs_per_year, eth_c;
  /* Tezos adaptive issuance (Paris) */
  PetscReal tez_static_coeff, tez_center, tez_radius, tez_growth_rate, tez_max_bonus, tez_issuance_min, tez_issuance_max, tez_cycle_days, tez_dyn0;
} StkPolicyParams;

typedef struct _StkPolicyOps *StkPolicyOps;
struct _StkPolicyOps {
  StkPolicyFn      evaluate; /* raw rule; the generic wrapper clips to [u_min, u_max] */
  StkPolicyResetFn reset;    /* NULL: stateless */
  size_t           state_size;
  PetscErrorCode (*setup)(StkPolicy);
  PetscErrorCode (*view)(StkPolicy, PetscViewer);
  PetscErrorCode (*destroy)(StkPolicy);
};

struct _p_StkPolicy {
  MPI_Comm             comm;
  char                 type[32];
  struct _StkPolicyOps ops;
  StkPolicyParams      par;
  PetscBool            s_target_set;  /* -policy_s_target given: do not take the model's sbar */
  char                 file[PETSC_MAX_PATH_LEN];
  StkModel             model;         /* clipping bounds, sbar */
  PetscBool            own_model;
  PetscReal            u_min, u_max;
  PetscBool            setupcalled;
  void                *data;          /* the type's own context */
};

PETSC_INTERN PetscErrorCode StkPolicyCreate_Zero(StkPolicy);
PETSC_INTERN PetscErrorCode StkPolicyCreate_Fixed(StkPolicy);
PETSC_INTERN PetscErrorCode StkPolicyCreate_Proportional(StkPolicy);
PETSC_INTERN PetscErrorCode StkPolicyCreate_Cosmos(StkPolicy);
PETSC_INTERN PetscErrorCode StkPolicyCreate_Polkadot(StkPolicy);
PETSC_INTERN PetscErrorCode StkPolicyCreate_Ethereum(StkPolicy);
PETSC_INTERN PetscErrorCode StkPolicyCreate_Tezos(StkPolicy);
PETSC_INTERN PetscErrorCode StkPolicyCreate_SocialGradient(StkPolicy);
PETSC_INTERN PetscErrorCode StkPolicyCreate_Expert(StkPolicy);
PETSC_INTERN PetscErrorCode StkPolicyCreate_Network(StkPolicy);
PETSC_INTERN PetscErrorCode StkPolicyCreate_Solution(StkPolicy);

/* Checks of the baseline parameters (errors name the option and the value). */
PETSC_INTERN PetscErrorCode StkPolicyParamsCheck(MPI_Comm comm, const StkPolicyParams *par);
/* c of the Ethereum rule from the base reward factor, epochs per year and supply. */
PETSC_INTERN PetscReal StkPolicyEthereumCoefficient(const StkPolicyParams *par);
