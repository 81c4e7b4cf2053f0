/* A controlled diffusion with a running cost: the problem the HJB solver solves.
 * Your own model: the definition API at the end of this header (docs/library.md).
 *
 *   rho V = min_u { l(x, u) + sum_k [b_k(x, u) V_k + a_k(x, u) V_kk] },   a_k = sigma_k^2 / 2
 *
 * Controls are separable: control c enters only the drift of state direction
 * StkModelGetControlDirection(c).  Types are registered create functions (a user's
 * describes its model through the setters below; the built-in types fill a private
 * ops table, stk_modelimpl.h); built in: "staking" (docs/model.md), "staking_price" (the
 * staking model with the log token price, docs/model.md#the-price-aware-planner) and the test problems with
 * closed forms "lq", "bangbang", "mms", "merton" (docs/exact_solutions.md). */
#pragma once
#include "stk_grid.h"
#include "stk_h5.h"
#include "stk_agents.h"

#define STK_MAX_CONTROLS STK_MAX_DIM

typedef struct _p_StkModel *StkModel;
/* Per side of a direction: REFLECT (zero normal derivative; an outward drift is clamped),
 * DIRICHLET (V = the model's dirichlet value), STATE_CONSTRAINT (the process may not
 * leave: at the end node policy improvement only chooses controls whose drift along the
 * direction points inward or is zero, as the borrowing limit of consumption-savings
 * models; the drift is assumed monotone in each control). */
typedef enum { STK_BC_REFLECT, STK_BC_DIRICHLET, STK_BC_STATE_CONSTRAINT } StkBoundaryType;

#define STK_MODEL_STAKING "staking"
#define STK_MODEL_LQ      "lq"
#define STK_MODEL_BANGBANG "bangbang"
#define STK_MODEL_MMS      "mms"
#define STK_MODEL_MERTON   "merton"
#define STK_MODEL_STAKING_PRICE "staking_price" /* (s, [z,] ln P): docs/model.md#the-price-aware-planner */

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
 * derivatives p and q of V along the control's direction.  An error (PETSC_ERR_SUP) for
 * a model without one (StkModelHasGreedy). */
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

/* The token holders of a "staking" or "staking_price" model (borrowed; errors for other types): the
 * simulators share them with the solver, so every agent parameter has one source.  The
 * model evaluates with the population's current parameters, so a change made with
 * StkPopulationSetParams (e.g. kappa scaled for re-planning) reaches it at once; the
 * default box and reference point (zbar, theta, sigma_z) are fixed at set-up. */
PETSC_EXTERN PetscErrorCode StkModelStakingGetPopulation(StkModel model, StkPopulation *pop);
/* The planner's objective of a "staking" model: the target staking ratio sbar in (0, 1)
 * and the issuance weight w_u > 0 (-hjb_sbar, -hjb_w_u); errors for other types.  Set
 * changes the cost at once (and the reference point), e.g. to re-plan for a voted
 * objective (experiments/stk_govern.h); a solver must be set up after it. */
PETSC_EXTERN PetscErrorCode StkModelStakingSetObjective(StkModel model, PetscReal sbar, PetscReal w_u);
PETSC_EXTERN PetscErrorCode StkModelStakingGetObjective(StkModel model, PetscReal *sbar, PetscReal *w_u);
/* Adds a model type (or replaces the constructor of a registered name): `create`
 * describes the type through the definition setters below (the built-in types fill in
 * the private ops table of stk_modelimpl.h instead).  May be called before the first StkModelCreate:
 * the built-in types are always registered first, once per PetscInitialize (the list is
 * destroyed at PetscFinalize).  -model, -help and the "known:" list of an unknown
 * -model come from this registry. */
PETSC_EXTERN PetscErrorCode StkModelRegister(const char name[], PetscErrorCode (*create)(StkModel));

/* ------------------------------------------------------------------------------------
 * Defining a model (docs/library.md).  A model type is a create callback registered with
 * StkModelRegister(name, create); create describes the problem through the setters
 * below (and nothing else: the model's body stays private).  It runs whenever the type is
 * set (StkModelSetType, -model NAME, StkModelLoad of a file of that type) and again when
 * the dimension changes, so it must only describe, not solve.  Required: a drift, a
 * diffusion and a cost function; everything else has a default:
 *   dimension range 1..STK_MAX_DIM, 0 controls, box [0, 1]^d, names x0, x1, ... (units
 *   "1"), reflecting boundaries, discount 0.05 /yr (-hjb_rho overrides it), no greedy
 *   map (the solver then minimizes the Hamiltonian exactly over the control box:
 *   -hjb_greedy exact), no exact solution, no terminal cost, no parameters.
 * StkModelSetUp then checks the definition (errors name the type and what is wrong). */

/* Pointwise functions of a user type.  x has dim entries, u has nu; `out` receives dim
 * entries (drift b_k, diffusion a_k = sigma_k^2 / 2) or one (cost l).  Not collective. */
typedef PetscErrorCode (*StkModelPointFn)(StkModel model, const PetscReal x[], const PetscReal u[], PetscReal out[]);
/* A scalar of the state: Dirichlet data, exact value, terminal cost. */
typedef PetscErrorCode (*StkModelScalarFn)(StkModel model, const PetscReal x[], PetscReal *out);
/* All nu optimal controls at x (an exact policy). */
typedef PetscErrorCode (*StkModelPolicyFn)(StkModel model, const PetscReal x[], PetscReal u[]);
/* Greedy map of control c (see StkModelGreedy): the minimizer over [lo_c, hi_c] of
 * l(x, u) + b_k(x, u) p + a_k(x, u) q in u_c (k its direction), the other controls at u. */
typedef PetscErrorCode (*StkModelGreedyFn)(StkModel model, const PetscReal x[], PetscInt c, PetscReal p, PetscReal q, const PetscReal u[], PetscReal *uc);
/* Called by StkModelSetUp, after options (or the file) set the parameters: derive what
 * depends on them, check them (an error naming the option), move the box. */
typedef PetscErrorCode (*StkModelSetUpFn)(StkModel model);

/* The dimensions the type supports: with no explicit -dim (StkModelSetDimension) the
 * model takes the current dimension clamped to [dmin, dmax] (a 1-D type: 1, 1); an
 * explicit one outside is an error at set-up.  Call it first in create, then read
 * StkModelGetDimension. */
PETSC_EXTERN PetscErrorCode StkModelSetDimensionRange(StkModel model, PetscInt dmin, PetscInt dmax);
/* nu controls, 0 <= nu <= STK_MAX_CONTROLS; control c drives state direction k only
 * (0 <= k < dim) and lies in [lo, hi], lo < hi. */
PETSC_EXTERN PetscErrorCode StkModelSetNumControls(StkModel model, PetscInt nu);
PETSC_EXTERN PetscErrorCode StkModelSetControl(StkModel model, PetscInt c, PetscInt k, PetscReal lo, PetscReal hi);
/* The natural box (the grid's default, -grid_lo/-grid_hi override it): dim entries each. */
PETSC_EXTERN PetscErrorCode StkModelSetDefaultBox(StkModel model, const PetscReal lo[], const PetscReal hi[]);
/* State variable k: name (< 16 characters; the grid's and the files' coordinate),
 * UDUNITS units (NULL: "1") and a description (NULL: "state variable NAME"). */
PETSC_EXTERN PetscErrorCode StkModelSetStateName(StkModel model, PetscInt k, const char name[], const char units[], const char long_name[]);
/* Side 0 (low) or 1 (high) of direction k: STK_BC_REFLECT (no flux), STK_BC_DIRICHLET
 * (the Dirichlet function's values; then one is required) or STK_BC_STATE_CONSTRAINT
 * (the drift may not point out of the box there: a borrowing limit). */
PETSC_EXTERN PetscErrorCode StkModelSetBoundaryType(StkModel model, PetscInt k, PetscInt side, StkBoundaryType type);
/* The type's default discount rho > 0 (1/yr); -hjb_rho and files override it. */
PETSC_EXTERN PetscErrorCode StkModelSetDiscount(StkModel model, PetscReal rho);
PETSC_EXTERN PetscErrorCode StkModelSetDriftFunction(StkModel model, StkModelPointFn drift);
PETSC_EXTERN PetscErrorCode StkModelSetDiffusionFunction(StkModel model, StkModelPointFn diffusion);
/* The running cost l(x, u), out[0]; the solver minimizes. */
PETSC_EXTERN PetscErrorCode StkModelSetCostFunction(StkModel model, StkModelPointFn cost);
PETSC_EXTERN PetscErrorCode StkModelSetGreedyFunction(StkModel model, StkModelGreedyFn greedy);
PETSC_EXTERN PetscErrorCode StkModelSetDirichletFunction(StkModel model, StkModelScalarFn dirichlet);
/* A closed-form value (then `stakehjb converge` measures errors against it) and policy. */
PETSC_EXTERN PetscErrorCode StkModelSetExactValueFunction(StkModel model, StkModelScalarFn exact);
PETSC_EXTERN PetscErrorCode StkModelSetExactPolicyFunction(StkModel model, StkModelPolicyFn policy);
/* The terminal cost g(x) of a finite horizon (none: 0). */
PETSC_EXTERN PetscErrorCode StkModelSetTerminalCostFunction(StkModel model, StkModelScalarFn terminal);
PETSC_EXTERN PetscErrorCode StkModelSetSetUpFunction(StkModel model, StkModelSetUpFn setup);
/* The type's own data, handed to its functions through StkModelGetContext (a pointer to
 * the pointer, as PETSc's XxxGetApplicationContext); destroy (may be NULL) frees it
 * when the type is reset or the model destroyed. */
PETSC_EXTERN PetscErrorCode StkModelSetContext(StkModel model, void *ctx, PetscErrorCode (*destroy)(void *ctx));
PETSC_EXTERN PetscErrorCode StkModelGetContext(StkModel model, void *ctx);
/* A real parameter of the type, stored at `value` (in the context; its current value is
 * the default): read from the option -NAME under the user prefix + the type's class
 * "TYPE_" (-double_well_a, -bear_double_well_a), listed by -help, written by
 * StkModelWriteAttributes as attribute TYPE_NAME (with units, NULL: "1") and read back
 * by StkModelLoad.  name: letters, digits, '_' (< 48 characters); at most 64 per type. */
PETSC_EXTERN PetscErrorCode StkModelAddParameter(StkModel model, const char name[], PetscReal *value, const char units[], const char help[]);
/* Whether the model has a closed-form greedy map (without one the solver uses
 * -hjb_greedy exact). */
PETSC_EXTERN PetscErrorCode StkModelHasGreedy(StkModel model, PetscBool *has);

/* Plugins.  A plugin is a shared object that defines
 *     PETSC_EXTERN PetscErrorCode StkPluginRegister(void);
 * which registers its types with StkModelRegister.  StkModelLoadPlugin opens it on every
 * rank of comm (dlopen; it stays open until the process ends) and calls that function.
 * Errors (collective: every rank fails if one does) start with the path: no such file,
 * not a shared object, no StkPluginRegister. */
#define STK_PLUGIN_REGISTER_SYMBOL "StkPluginRegister"
typedef PetscErrorCode (*StkPluginRegisterFn)(void);
PETSC_EXTERN PetscErrorCode StkModelLoadPlugin(MPI_Comm comm, const char path[]);
/* -model_plugin PATH[,PATH...] under `prefix` (NULL: none): loads each; errors start
 * with "-model_plugin: PATH: ".  Read by every stakehjb command before anything else. */
PETSC_EXTERN PetscErrorCode StkModelLoadPluginsFromOptions(MPI_Comm comm, const char prefix[]);
