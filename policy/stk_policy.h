/* Issuance policies u = pi(t, x): the baselines and real rules
 * (docs/model.md#baseline-and-real-issuance-rules) and the HJB expert
 * (docs/model.md#the-greedy-map-and-the-expert), behind one opaque object.
 *
 *   StkPolicyCreate -> SetType (or -policy) -> SetFromOptions -> SetUp
 *     -> GetFunction / Evaluate -> View -> Destroy
 *
 * Units: t in years, x = {s, z} (staking ratio, outside-yield shifter), u an issuance
 * rate per year as a fraction of supply (0.03 = 3 %/yr).  Every output is clipped to
 * the model's control bounds [u_min, u_max] (default [0, 0.15], -hjb_u_min/-hjb_u_max),
 * whatever the protocol rule would give outside them.  Formulas, defaults and sources:
 * docs/policies.md. */
#pragma once
#include "stk_model.h"
#include "stk_net.h"

/* The evaluation interface, StkPolicyFn and StkPolicyResetFn, is the simulators' own:
 * `state` points to `state_size` bytes of per-path memory owned by the caller (NULL
 * allowed when state_size is 0); reset initializes it at the start of a path. */
#include "stk_sim.h"

typedef struct _p_StkPolicy *StkPolicy;

#define STK_POLICY_ZERO         "zero"
#define STK_POLICY_FIXED        "fixed"
#define STK_POLICY_PROPORTIONAL "proportional"
#define STK_POLICY_COSMOS       "cosmos"
#define STK_POLICY_POLKADOT     "polkadot"
#define STK_POLICY_ETHEREUM     "ethereum"
#define STK_POLICY_TEZOS        "tezos"
#define STK_POLICY_COSMOS_SBAR   "cosmos_sbar"
#define STK_POLICY_POLKADOT_SBAR "polkadot_sbar"
#define STK_POLICY_TEZOS_SBAR    "tezos_sbar"
#define STK_POLICY_SOCIAL_GRADIENT "social_gradient"
#define STK_POLICY_SOCIAL_GRADIENT_2TS "social_gradient_2ts" /* on two timescales */
#define STK_POLICY_EXPERT       "expert"
#define STK_POLICY_NETWORK      "network"
#define STK_POLICY_SOLUTION     "solution" /* u*(x) of a solution file, interpolated */
#define STK_POLICY_REGIME_SOLUTION "regime_solution" /* u*(x, regime) of a regime-switching solution file */
#define STK_POLICY_REGIME_EXPERT "regime_expert" /* the expert of a regime-switching solution file: improvement from V(x, regime) */

PETSC_EXTERN PetscErrorCode StkPolicyCreate(MPI_Comm comm, StkPolicy *policy);
/* Options prefix (stk_options.h): the policy reads its type -policy under USER, and -file
 * and its type's parameters (-u, -gain, -s_target, -retarget, -cosmos_goal_bonded, ...)
 * under USER + "policy_": with no prefix the documented -policy, -policy_file,
 * -policy_u, ...; after StkPolicySetOptionsPrefix(policy, "bear_") -bear_policy,
 * -bear_policy_file, -bear_policy_u, and errors name that spelling.  The default model
 * the policy builds for itself (StkPolicySetModel) gets USER (-bear_hjb_u_max,
 * -bear_agents_kappa).  A prefix must not start with '-'; Get returns NULL when none is
 * set. */
PETSC_EXTERN PetscErrorCode StkPolicySetOptionsPrefix(StkPolicy policy, const char prefix[]);
PETSC_EXTERN PetscErrorCode StkPolicyAppendOptionsPrefix(StkPolicy policy, const char prefix[]);
PETSC_EXTERN PetscErrorCode StkPolicyGetOptionsPrefix(StkPolicy policy, const char *prefix[]);
/* Makes `policy` of a registered type: its parameters take their defaults (a change of
 * type drops the parameters of the previous one; setting the current type again keeps
 * them). */
PETSC_EXTERN PetscErrorCode StkPolicySetType(StkPolicy policy, const char type[]);
PETSC_EXTERN PetscErrorCode StkPolicyGetType(StkPolicy policy, const char **type);
/* Adds a policy type (or replaces the constructor of a registered name): `create` fills
 * in the ops table and the data of stk_policyimpl.h.  May be called before the first
 * StkPolicyCreate: the built-in types are always registered first, once per
 * PetscInitialize (the list is destroyed at PetscFinalize).  -policy, -help and the
 * "known:" list of an unknown -policy come from this registry. */
PETSC_EXTERN PetscErrorCode StkPolicyRegister(const char name[], PetscErrorCode (*create)(StkPolicy));
/* "zero, fixed, ...": the registered type names in registration order (for messages). */
PETSC_EXTERN PetscErrorCode StkPolicyKnownTypes(char known[], size_t len);
/* Whether `type` names a registered policy type (to check a list before any work). */
PETSC_EXTERN PetscErrorCode StkPolicyTypeIsKnown(const char type[], PetscBool *known);
/* The model whose control bounds clip the output and whose target sbar is the default
 * -policy_s_target (borrowed: it must outlive the policy).  Without one, SetUp builds
 * the default staking model from the -hjb_ and -agents_ options (under the policy's
 * prefix).  The expert uses the
 * model stored in its solution file instead. */
PETSC_EXTERN PetscErrorCode StkPolicySetModel(StkPolicy policy, StkModel model);
/* The solution file of the expert, the network file of the network (same as -policy_file). */
PETSC_EXTERN PetscErrorCode StkPolicySetFile(StkPolicy policy, const char path[]);
/* Makes the policy a network policy evaluating `net` (borrowed: it must outlive the
 * policy; its weights may change between evaluations, e.g. during a refinement). */
PETSC_EXTERN PetscErrorCode StkPolicySetNetwork(StkPolicy policy, StkNet net);
/* -policy NAME (a registered type: zero, fixed, proportional, cosmos, polkadot, ethereum,
 * tezos, cosmos_sbar, polkadot_sbar, tezos_sbar, social_gradient, social_gradient_2ts,
 * expert, network, solution, regime_solution, and
 * any added with StkPolicyRegister), -policy_file, then the parameters of that type
 * (prefix policy_), read by the type itself.  -help lists the known types and the
 * parameters of the type chosen (`-policy cosmos -help`).  X_sbar is rule X with
 * -policy_retarget on: its target stake (GoalBonded, ideal stake, Tezos's centre) set
 * to the planner's sbar, or -policy_s_target. */
PETSC_EXTERN PetscErrorCode StkPolicySetFromOptions(StkPolicy policy);
/* Validates the parameters (errors name the option and the value) and, for the
 * expert, reads the solution file.  Collective. */
PETSC_EXTERN PetscErrorCode StkPolicySetUp(StkPolicy policy);
PETSC_EXTERN PetscErrorCode StkPolicyView(StkPolicy policy, PetscViewer viewer);
PETSC_EXTERN PetscErrorCode StkPolicyDestroy(StkPolicy *policy);

/* The evaluation function, its reset, the context to pass them and the per-path state
 * size in bytes (0 for stateless policies; cosmos and tezos keep their protocol state
 * there, social_gradient its current rate).  Evaluation is pointwise and not collective; ctx is only read, so paths may
 * be evaluated in any order with their own state. */
PETSC_EXTERN PetscErrorCode StkPolicyGetFunction(StkPolicy policy, StkPolicyFn *fn, StkPolicyResetFn *reset, void **ctx, size_t *state_size);
/* Convenience wrappers around the function and reset above (they call SetUp, which is
 * collective, if it has not run yet). */
PETSC_EXTERN PetscErrorCode StkPolicyReset(StkPolicy policy, PetscReal t0, const PetscReal x0[], void *state);
PETSC_EXTERN PetscErrorCode StkPolicyEvaluate(StkPolicy policy, PetscReal t, const PetscReal x[], PetscReal *u, void *state);
/* The same in regime `regime` of a regime chain (stk_sim.h): x = {s, z} (two entries),
 * passed on as {s, z, regime}.  StkPolicyEvaluate hands x on as given, so a regime-aware
 * policy (regime_solution) called through it needs the three entries the simulators pass;
 * every other type ignores the regime. */
PETSC_EXTERN PetscErrorCode StkPolicyEvaluateRegime(StkPolicy policy, PetscReal t, const PetscReal x[], PetscInt regime, PetscReal *u, void *state);
/* The regime_solution policy's file (errors for other types; SetUp runs first,
 * collective): the number of regimes, their names (comma-separated, in index order) and
 * the M x M rates it was solved with (borrowed). */
PETSC_EXTERN PetscErrorCode StkPolicyRegimeSolutionGetRegimes(StkPolicy policy, PetscInt *M, const char **names, const PetscReal **rates);
/* Whether a solution policy's file is a staking_price solution (the price-aware expert,
 * docs/model.md#the-price-aware-planner): it then reads x[STK_SIM_X_LOGP], so it must be
 * called with the STK_SIM_X_LEN entries the simulators pass.  Errors for other types;
 * SetUp runs first (collective). */
PETSC_EXTERN PetscErrorCode StkPolicySolutionIsPriceAware(StkPolicy policy, PetscBool *aware);
/* The clipping bounds [u_min, u_max] in force after SetUp. */
PETSC_EXTERN PetscErrorCode StkPolicyGetBounds(StkPolicy policy, PetscReal *u_min, PetscReal *u_max);

/* The expert's own data (errors for other types; SetUp runs first, collective):
 * the model rebuilt from the solution file (borrowed), and V_s at x by the solver's
 * upwind rule for the drift of control u (the Hamiltonian estimator of the refinement
 * needs it; not collective after SetUp). */
PETSC_EXTERN PetscErrorCode StkPolicyExpertGetModel(StkPolicy policy, StkModel *model);
/* The solved value V at x, interpolated multilinearly (not collective after SetUp). */
PETSC_EXTERN PetscErrorCode StkPolicyExpertValue(StkPolicy policy, const PetscReal x[], PetscReal *V);
PETSC_EXTERN PetscErrorCode StkPolicyExpertValueGradient(StkPolicy policy, const PetscReal x[], PetscReal u, PetscReal *Vs);
/* Online re-planning: solves the HJB of the expert's model with the holders' kappa
 * multiplied by kappa_factor, warm-started from the expert's value and policy on its
 * grid (the -hjb_ solver options apply), writes the solution to PATH and returns the
 * expert of that file (with the policy's options prefix).  Every rank solves the whole
 * problem on PETSC_COMM_SELF and rank 0 writes PATH, so the re-planned policy is bitwise
 * the same on any number of ranks.  Collective. */
PETSC_EXTERN PetscErrorCode StkPolicyExpertReplan(StkPolicy policy, PetscReal kappa_factor, const char path[], StkPolicy *replanned);

/* ---- The social gradient on two timescales (docs/model.md#the-social-gradient);
 *      staking models only (s*(u) is the holders' threshold equilibrium). ---- */

/* The static social optimum: the u in the model's [u_min, u_max] minimizing
 * L(u) = l((s*(u), z), u), s*(u) the holders' equilibrium at fee yield z under the
 * constant issuance u (StkAgentsEquilibrium), by Brent's method. */
typedef struct {
  PetscReal u;        /* the minimizer (to about tol) */
  PetscReal s;        /* s*(u) */
  PetscReal cost;     /* L(u) */
  PetscReal dcost_du; /* dL/du at u (0 up to the tolerance inside the bounds) */
  PetscInt  its;      /* Brent iterations */
} StkSocialOptimum;
PETSC_EXTERN PetscErrorCode StkPolicySocialOptimum(StkModel model, PetscReal z, PetscReal tol, StkSocialOptimum *opt);
/* The leader's gradient l_s(x, u) ds*(u)/du + l_u(x, u) at x = (s, z) with s observed:
 * dL/du when s = s*(u).  Not collective. */
PETSC_EXTERN PetscErrorCode StkPolicySocialGradient(StkModel model, PetscReal s, PetscReal z, PetscReal u, PetscReal *g);
/* The leader's step size a(t) = a0 / (1 + t / t0)^alpha, t the time since the path began. */
PETSC_EXTERN PetscReal StkPolicySocialStepSize(PetscReal a0, PetscReal t0, PetscReal alpha, PetscReal t);
