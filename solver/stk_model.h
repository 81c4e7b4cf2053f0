/* A controlled diffusion with a running cost: the problem the HJB solver solves.
 *
 *   rho V = min_u { l(x, u) + sum_k [b_k(x, u) V_k + a_k(x, u) V_kk] },   a_k = sigma_k^2 / 2
 *
 * Controls are separable: control c enters only the drift of state direction
 * StkModelGetControlDirection(c).  Models plug in through an ops table
 * (stk_modelimpl.h); built in: "staking" (docs/model.md) and the test problems with
 * closed forms "lq", "bangbang", "mms", "merton" (docs/exact_solutions.md). */
#pragma once
#include "stk_grid.h"
#include "stk_h5.h"
#include "stk_agents.h"

#define STK_MAX_CONTROLS STK_MAX_DIM

typedef struct _p_StkModel *StkModel;
typedef enum { STK_BC_REFLECT, STK_BC_DIRICHLET } StkBoundaryType;

#define STK_MODEL_STAKING "staking"
#define STK_MODEL_LQ      "lq"
#define STK_MODEL_BANGBANG "bangbang"
#define STK_MODEL_MMS      "mms"
#define STK_MODEL_MERTON   "merton"

PETSC_EXTERN PetscErrorCode StkModelCreate(MPI_Comm comm, StkModel *model);
PETSC_EXTERN PetscErrorCode StkModelSetType(StkModel model, const char type[]);
PETSC_EXTERN PetscErrorCode StkModelSetDimension(StkModel model, PetscInt dim);
/* Options prefix (stk_options.h): the model reads -model and -dim under USER, its
 * discount -rho and the staking type's parameters (-sbar, -w_s, -w_u, -ubar, -eta,
 * -u_min, -u_max) under USER + "hjb_", and a test type's under USER + its own class
 * ("lq_", "bb_", "mms_", "merton_").  With no prefix these are the documented -model,
 * -dim, -hjb_rho, -hjb_sbar, -lq_a, ...; after StkModelSetOptionsPrefix(model, "bear_")
 * they are -bear_model, -bear_dim, -bear_hjb_rho, -bear_lq_a, and errors name that
 * spelling.  The staking model hands USER to its StkPopulation (-bear_agents_kappa).  A
 * prefix must not start with '-'; Get returns NULL when none is set. */
PETSC_EXTERN PetscErrorCode StkModelSetOptionsPrefix(StkModel model, const char prefix[]);
PETSC_EXTERN PetscErrorCode StkModelAppendOptionsPrefix(StkModel model, const char prefix[]);
PETSC_EXTERN PetscErrorCode StkModelGetOptionsPrefix(StkModel model, const char *prefix[]);
/* -model (a registered type: staking|lq|bangbang|mms|merton built in), -dim 1|2, -hjb_rho,
 * and the type's own options (with the prefixes above). */
PETSC_EXTERN PetscErrorCode StkModelSetFromOptions(StkModel model);
PETSC_EXTERN PetscErrorCode StkModelSetUp(StkModel model);
PETSC_EXTERN PetscErrorCode StkModelView(StkModel model, PetscViewer viewer);
PETSC_EXTERN PetscErrorCode StkModelDestroy(StkModel *model);

PETSC_EXTERN PetscErrorCode StkModelGetType(StkModel model, const char **type);
PETSC_EXTERN PetscErrorCode StkModelGetDimension(StkModel model, PetscInt *dim);
PETSC_EXTERN PetscErrorCode StkModelGetDiscount(StkModel model, PetscReal *rho);
PETSC_EXTERN PetscErrorCode StkModelGetNumControls(StkModel model, PetscInt *nu);
PETSC_EXTERN PetscErrorCode StkModelGetControlDirection(StkModel model, PetscInt c, PetscInt *k);
PETSC_EXTERN PetscErrorCode StkModelGetControlBounds(StkModel model, PetscInt c, PetscReal *lo, PetscReal *hi);
/* The model's natural box and state-variable names (the grid defaults). */
PETSC_EXTERN PetscErrorCode StkModelGetDefaultBox(StkModel model, PetscReal lo[], PetscReal hi[]);
PETSC_EXTERN PetscErrorCode StkModelGetStateName(StkModel model, PetscInt k, const char **name);
/* What state variable k is, for self-describing files (CF `units` and `long_name`):
 * staking s "1" (fraction of the token supply), z "1/yr"; test problems "1".  Either
 * output may be NULL; the strings belong to the model. */
PETSC_EXTERN PetscErrorCode StkModelGetStateUnits(StkModel model, PetscInt k, const char **units, const char **long_name);
PETSC_EXTERN PetscErrorCode StkModelGetBoundaryType(StkModel model, PetscInt k, PetscInt side, StkBoundaryType *type);
/* The state where users read the policy: the target (sbar, zbar) for staking, the
 * middle of the box otherwise. */
PETSC_EXTERN PetscErrorCode StkModelGetReferencePoint(StkModel model, PetscReal x[]);
/* Configure a grid for this model: names, default box and stretching, then -grid_ options. */
PETSC_EXTERN PetscErrorCode StkModelConfigureGrid(StkModel model, StkGrid grid);

/* Pointwise evaluation (not collective). */
PETSC_EXTERN PetscErrorCode StkModelDrift(StkModel model, const PetscReal x[], const PetscReal u[], PetscReal b[]);
PETSC_EXTERN PetscErrorCode StkModelDiffusion(StkModel model, const PetscReal x[], const PetscReal u[], PetscReal a[]);
PETSC_EXTERN PetscErrorCode StkModelCost(StkModel model, const PetscReal x[], const PetscReal u[], PetscReal *l);
/* Closed-form greedy map for control c: the minimizer of the Hamiltonian in u_c with
 * the drift (and diffusion) linearized around `u`, given the first and second
 * derivatives p and q of V along the control's direction. */
PETSC_EXTERN PetscErrorCode StkModelGreedy(StkModel model, const PetscReal x[], PetscInt c, PetscReal p, PetscReal q, const PetscReal u[], PetscReal *uc);
PETSC_EXTERN PetscErrorCode StkModelDirichlet(StkModel model, const PetscReal x[], PetscReal *g);
PETSC_EXTERN PetscErrorCode StkModelHasExactSolution(StkModel model, PetscBool *has);
PETSC_EXTERN PetscErrorCode StkModelExactValue(StkModel model, const PetscReal x[], PetscReal *V);
/* The optimal controls u*(x) (all nu of them) of a model with a closed form; where u* is
 * not unique (bang-bang at x = 0) the symmetric choice. */
PETSC_EXTERN PetscErrorCode StkModelHasExactPolicy(StkModel model, PetscBool *has);
PETSC_EXTERN PetscErrorCode StkModelExactPolicy(StkModel model, const PetscReal x[], PetscReal u[]);
/* The terminal cost g(x) of a finite horizon (-hjb_horizon T: V(T, x) = g(x)); 0 for a
 * model without one (HasTerminalCost then says PETSC_FALSE).  Built in: lq with
 * -lq_terminal_p (x'P_T x).  Not collective. */
PETSC_EXTERN PetscErrorCode StkModelHasTerminalCost(StkModel model, PetscBool *has);
PETSC_EXTERN PetscErrorCode StkModelTerminalCost(StkModel model, const PetscReal x[], PetscReal *g);
/* Every parameter as an attribute (with units) of `group`. */
PETSC_EXTERN PetscErrorCode StkModelWriteAttributes(StkModel model, StkH5 file, const char group[]);
/* The model StkModelWriteAttributes wrote to `group`: its type (attribute "model"),
 * dimension, discount and every parameter of the type, bitwise as written; set up.
 * No options are read.  Errors name the file.  Collective. */
PETSC_EXTERN PetscErrorCode StkModelLoad(MPI_Comm comm, StkH5 file, const char group[], StkModel *model);

/* For -help: list the options of every registered type other than this model's (under
 * the model's prefix). */
PETSC_EXTERN PetscErrorCode StkModelPrintOptionsOfOtherTypes(StkModel model);

/* The token holders of a "staking" model (borrowed; errors for other types): the
 * simulators share them with the solver, so every agent parameter has one source.  The
 * model evaluates with the population's current parameters, so a change made with
 * StkPopulationSetParams (e.g. kappa scaled for re-planning) reaches it at once; the
 * default box and reference point (zbar, theta, sigma_z) are fixed at set-up. */
PETSC_EXTERN PetscErrorCode StkModelStakingGetPopulation(StkModel model, StkPopulation *pop);
/* Adds a model type (or replaces the constructor of a registered name): `create` fills
 * in the ops table of stk_modelimpl.h and type_class, the CLASS its setfromoptions op
 * reads bare names under (NULL: full names under the model's USER prefix).  May be called before the first StkModelCreate:
 * the built-in types are always registered first, once per PetscInitialize (the list is
 * destroyed at PetscFinalize).  -model, -help and the "known:" list of an unknown
 * -model come from this registry. */
PETSC_EXTERN PetscErrorCode StkModelRegister(const char name[], PetscErrorCode (*create)(StkModel));
