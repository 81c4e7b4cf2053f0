/* Private: the body of StkModel and the ops table a model type fills in. */
#pragma once
#include "stk_model.h"

typedef struct _StkModelOps *StkModelOps;
struct _StkModelOps {
  PetscErrorCode (*setfromoptions)(StkModel, PetscOptionItems *);
  PetscErrorCode (*setup)(StkModel);
  PetscErrorCode (*view)(StkModel, PetscViewer);
  PetscErrorCode (*destroy)(StkModel);
  PetscErrorCode (*drift)(StkModel, const PetscReal x[], const PetscReal u[], PetscReal b[]);
  PetscErrorCode (*diffusion)(StkModel, const PetscReal x[], const PetscReal u[], PetscReal a[]);
  PetscErrorCode (*cost)(StkModel, const PetscReal x[], const PetscReal u[], PetscReal *l);
  PetscErrorCode (*greedy)(StkModel, const PetscReal x[], PetscInt c, PetscReal p, PetscReal q, const PetscReal u[], PetscReal *uc);
  /* Optional: the greedy map at one u for two first differences p[0], p[1] (the forward and
   * the backward one), each bitwise what `greedy` gives: the work that depends on u alone
   * (staking: the density of the cost law) is done once. */
  PetscErrorCode (*greedy_pair)(StkModel, const PetscReal x[], PetscInt c, const PetscReal p[2], PetscReal q, const PetscReal u[], PetscReal uc[2]);
  /* Optional: the greedy maps g[i] = G(u; p[i]) at one u for n = 1 or 2 first differences
   * and their slopes dg[i] = dG/du_c (0 where G is clipped): the Newton solve of the fixed
   * point (-hjb_greedy_newton); g[i] need not be bitwise what `greedy` gives. */
  PetscErrorCode (*greedy_slope)(StkModel, const PetscReal x[], PetscInt c, PetscInt n, const PetscReal p[], PetscReal q, const PetscReal u[], PetscReal g[], PetscReal dg[]);
  PetscErrorCode (*dirichlet)(StkModel, const PetscReal x[], PetscReal *g); /* optional */
  PetscErrorCode (*exact)(StkModel, const PetscReal x[], PetscReal *V);     /* optional */
  PetscErrorCode (*exact_policy)(StkModel, const PetscReal x[], PetscReal u[]); /* optional: all nu controls */
  PetscErrorCode (*terminal)(StkModel, const PetscReal x[], PetscReal *g);   /* optional: terminal cost of a finite horizon (NULL: 0) */
  PetscErrorCode (*attributes)(StkModel, StkH5, const char group[]);
  /* Reads back exactly what `attributes` wrote (the parameters; what set-up derives
   * from them is derived again), before StkModelSetUp.  Every type has one. */
  PetscErrorCode (*load)(StkModel, StkH5, const char group[]);
  /* Optional: hands the model's USER prefix (m->prefix) to the objects the type owns
   * (staking: its StkPopulation); called when the prefix or the type changes. */
  PetscErrorCode (*setoptionsprefix)(StkModel);
};

/* The CLASS part of the options prefix of the model's discount and of the staking
 * type's parameters: -hjb_rho, -hjb_sbar, ... (beside the solver's, as in the YAML files). */
#define STK_MODEL_PARAMS_CLASS "hjb_"


struct _p_StkModel {
  MPI_Comm             comm;
  char                 type[64];
  char                *prefix;     /* USER part of the options prefix (NULL: none) */
  const char          *type_class; /* the type's CLASS part, set by its create: its setfromoptions
                                      op reads bare names under USER + type_class ("lq_": -lq_a);
                                      NULL: under USER alone, with full names */
  struct _StkModelOps  ops;
  PetscInt             dim, nu;
  PetscBool            dim_set; /* by StkModelSetDimension: 1-D-only types keep it (and check it) */
  PetscReal            rho;
  PetscInt             control_dir[STK_MAX_CONTROLS];
  PetscReal            ulo[STK_MAX_CONTROLS], uhi[STK_MAX_CONTROLS];
  PetscReal            box_lo[STK_MAX_DIM], box_hi[STK_MAX_DIM];
  PetscReal            cluster[STK_MAX_DIM], stretch[STK_MAX_DIM]; /* default grid stretching */
  PetscReal            ref_point[STK_MAX_DIM]; /* where users read the policy (staking: the target) */
  PetscBool            has_ref_point;
  char                 names[STK_MAX_DIM][16];
  char                 units[STK_MAX_DIM][16];      /* UDUNITS strings ("1": dimensionless) */
  char                 long_names[STK_MAX_DIM][80]; /* what each state variable is, for files */
  StkBoundaryType      bc[STK_MAX_DIM][2];
  PetscBool            setupcalled;
  /* The controls also move the drift of directions other than their own (staking_price:
   * issuance moves s and ln P): policy improvement then minimizes the upwind Hamiltonian
   * summed over every direction, at the solver's nodes only (exact minimization; no
   * closed-form greedy map, no expert at arbitrary points). */
  PetscBool            control_cross;
  /* Each control's drift along its direction is nondecreasing in the control (staking:
   * b = kappa (s_max F((u + phi)/s - z) - s)): the upwind choice then needs the drift of
   * only one of the two one-sided controls wherever their order decides it. */
  PetscBool            drift_increasing;
  PetscBool            listing; /* created by StkModelPrintOptionsOfOtherTypes: a type may list only its own options */
  void                *data; /* the type's own context */
  struct _StkModelUser *user; /* a type defined through the public definition API
                                 (stk_model_user.c): its context and parameters; NULL otherwise */
};

/* The definition API's hooks (stk_model_user.c). */
/* After a type's create: a type that used the definition API gets the generic
 * setfromoptions/attributes/load/view/setup/destroy ops of its parameter table. */
PETSC_INTERN PetscErrorCode StkModelUserFinishCreate(StkModel m);
/* When the type is reset: the user context (its destroy) and the definition record. */
PETSC_INTERN PetscErrorCode StkModelUserReset(StkModel m);
/* At StkModelSetUp, for every type: what the solver needs is there and consistent
 * (errors name the type and what is missing). */
PETSC_INTERN PetscErrorCode StkModelValidate(StkModel m);

/* pre = USER + cls (cls NULL: the type's class), the prefix the options of `cls` are read
 * under; messages name an option as "-%srho" with pre = USER + "hjb_". */
PETSC_INTERN PetscErrorCode StkModelComposePrefix(StkModel m, const char cls[], char pre[], size_t len);

/* A real parameter stored as an attribute: the types' attributes and load ops share one
 * table, so they write and read the same names. */
typedef struct {
  const char *name;
  PetscReal  *value;
  const char *units;
} StkModelParam;
PETSC_INTERN PetscErrorCode StkModelWriteParams(StkH5 file, const char group[], size_t n, const StkModelParam params[]);
PETSC_INTERN PetscErrorCode StkModelLoadParams(StkH5 file, const char group[], size_t n, const StkModelParam params[]);

/* Built-in types. */
PETSC_INTERN PetscErrorCode StkModelCreate_Staking(StkModel);
PETSC_INTERN PetscErrorCode StkModelCreate_StakingPrice(StkModel);
/* The holders of a staking_price model (borrowed), for StkModelStakingGetPopulation. */
PETSC_INTERN PetscErrorCode StkModelStakingPriceGetPopulation(StkModel, StkPopulation *);
PETSC_INTERN PetscErrorCode StkModelCreate_LQ(StkModel);
/* Test problems with closed-form values (docs/exact_solutions.md). */
PETSC_INTERN PetscErrorCode StkModelCreate_BangBang(StkModel);
PETSC_INTERN PetscErrorCode StkModelCreate_MMS(StkModel);
PETSC_INTERN PetscErrorCode StkModelCreate_Merton(StkModel);
