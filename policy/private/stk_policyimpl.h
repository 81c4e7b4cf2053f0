/* Private: the body of StkPolicy and the ops table a policy type fills in.  A type keeps
 * its parameters in its own data (`data`), reads its own options in its setfromoptions
 * op (bare names: "-u", read under USER + "policy_", so -policy_u with no prefix) and
 * checks them, and sets the clipping bounds, in its setup op.  Messages that name an
 * option print "-%su" with class_prefix. */
#pragma once
#include "stk_policy.h"
#include "stk_sim.h" /* STK_DAYS_PER_YEAR */

typedef struct _StkPolicyOps *StkPolicyOps;
struct _StkPolicyOps {
  StkPolicyFn      evaluate; /* raw rule; the generic wrapper clips to [u_min, u_max] */
  StkPolicyResetFn reset;    /* NULL: stateless */
  size_t           state_size;
  PetscErrorCode (*setfromoptions)(StkPolicy, PetscOptionItems *); /* optional: the type's options */
  PetscErrorCode (*setup)(StkPolicy);                               /* checks; sets u_min, u_max */
  PetscErrorCode (*view)(StkPolicy, PetscViewer);
  PetscErrorCode (*destroy)(StkPolicy);
};

struct _p_StkPolicy {
  MPI_Comm             comm;
  char                 type[32];
  char                *prefix;           /* USER part of the options prefix (NULL: none) */
  char                 class_prefix[256]; /* USER + STK_POLICY_CLASS, kept with prefix */
  struct _StkPolicyOps ops;
  char                 file[PETSC_MAX_PATH_LEN]; /* -policy_file: the expert's solution, the network */
  StkModel             model;                    /* clipping bounds, sbar */
  PetscBool            own_model;
  PetscReal            u_min, u_max;
  PetscBool            setupcalled;
  void                *data; /* the type's own context */
};

/* The CLASS part of the prefix of -file and the types' parameters (-policy_file, -policy_u). */
#define STK_POLICY_CLASS "policy_"

PETSC_INTERN PetscErrorCode StkPolicyCreate_Zero(StkPolicy);
PETSC_INTERN PetscErrorCode StkPolicyCreate_Fixed(StkPolicy);
PETSC_INTERN PetscErrorCode StkPolicyCreate_Proportional(StkPolicy);
PETSC_INTERN PetscErrorCode StkPolicyCreate_Cosmos(StkPolicy);
PETSC_INTERN PetscErrorCode StkPolicyCreate_Polkadot(StkPolicy);
PETSC_INTERN PetscErrorCode StkPolicyCreate_Ethereum(StkPolicy);
PETSC_INTERN PetscErrorCode StkPolicyCreate_Tezos(StkPolicy);
/* The same rules with -policy_retarget on by default (docs/policies.md). */
PETSC_INTERN PetscErrorCode StkPolicyCreate_CosmosSbar(StkPolicy);
PETSC_INTERN PetscErrorCode StkPolicyCreate_PolkadotSbar(StkPolicy);
PETSC_INTERN PetscErrorCode StkPolicyCreate_TezosSbar(StkPolicy);
PETSC_INTERN PetscErrorCode StkPolicyCreate_SocialGradient(StkPolicy);
PETSC_INTERN PetscErrorCode StkPolicyCreate_SocialGradient2ts(StkPolicy);
PETSC_INTERN PetscErrorCode StkPolicyCreate_Expert(StkPolicy);
PETSC_INTERN PetscErrorCode StkPolicyCreate_Network(StkPolicy);
PETSC_INTERN PetscErrorCode StkPolicyCreate_Solution(StkPolicy);
PETSC_INTERN PetscErrorCode StkPolicyCreate_RegimeSolution(StkPolicy);
PETSC_INTERN PetscErrorCode StkPolicyCreate_RegimeExpert(StkPolicy);

/* For a type whose bounds come from a model (the baselines), in its setup op: the model
 * given with StkPolicySetModel, else the default staking model configured by the
 * -hjb_/-agents_ options under the policy's USER prefix (rebuilt at every SetUp: the
 * options may have changed); sets u_min, u_max to its control bounds.  Collective. */
PETSC_INTERN PetscErrorCode StkPolicySetUpModel(StkPolicy);
