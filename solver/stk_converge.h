/* A convergence study (issue 6; docs/cli.md "stakehjb converge", docs/accuracy.md): one
 * model solved on grids of 2^k + 1 nodes per direction, each with twice the cells of the
 * previous, and the discretization error of V against the closed form when the model has
 * one, otherwise against the finest grid and against the Richardson extrapolation of the
 * two finest grids, with the observed order from successive differences.  Also the
 * quantities users read, with their errors and orders: the policy at the model's
 * reference point (against the exact u* or a Richardson extrapolation), the policy
 * everywhere (against the exact u*), and the stationary mean of the first state variable.
 *
 *   StkConvergeCreate -> SetModel -> SetFromOptions -> Run -> View / Write / WriteCSV -> Destroy
 *
 * Each level's grid is configured by the model (-grid_ options) and its solver reads the
 * -hjb_ options, as in `stakehjb solve`; both under the study's user prefix. */
#pragma once
#include "stk_hjb.h"

#define STK_CONVERGE_MAX_LEVELS 10

typedef struct _p_StkConverge *StkConverge;

/* The scalars of a finished study (also the attributes of the HDF5 group). */
typedef struct {
  PetscBool exact;                             /* V has a closed form: error_max/_l2 are against it */
  PetscReal richardson_order;                  /* V's order on the three finest grids (max norm) */
  PetscReal policy_reference_value;            /* u*_0 at the reference point: exact or extrapolated */
  PetscBool policy_reference_exact;            /* whether the value above is the closed form */
  PetscReal policy_reference_richardson_order; /* the order used to extrapolate it (NaN when exact) */
  PetscReal mean_x0_extrapolated;              /* stationary mean of x0, extrapolated (NaN without the density) */
  PetscReal mean_x0_richardson_order;
} StkConvergeSummary;

/* Called before the solve on each grid: level 0..nlevels-1 and its nodes per direction. */
typedef PetscErrorCode (*StkConvergeMonitorFn)(StkConverge conv, PetscInt level, PetscInt nlevels, const PetscInt n[], void *ctx);

PETSC_EXTERN PetscErrorCode StkConvergeCreate(MPI_Comm comm, StkConverge *conv);
/* Options prefix (stk_options.h): the study reads -levels, -nmin, -density under
 * USER + "converge_" ("a_" reads -a_converge_levels) and hands USER to the grid and the
 * solver of every level (-a_grid_*, -a_hjb_*).  A prefix must not start with '-'; Get
 * returns NULL when none is set. */
PETSC_EXTERN PetscErrorCode StkConvergeSetOptionsPrefix(StkConverge conv, const char prefix[]);
PETSC_EXTERN PetscErrorCode StkConvergeAppendOptionsPrefix(StkConverge conv, const char prefix[]);
PETSC_EXTERN PetscErrorCode StkConvergeGetOptionsPrefix(StkConverge conv, const char *prefix[]);
/* The model to study: borrowed, set up (StkModelSetFromOptions), outlives the study. */
PETSC_EXTERN PetscErrorCode StkConvergeSetModel(StkConverge conv, StkModel model);
/* Number of grids, 3 to STK_CONVERGE_MAX_LEVELS (default 5). */
PETSC_EXTERN PetscErrorCode StkConvergeSetLevels(StkConverge conv, PetscInt levels);
/* Nodes per direction on the coarsest grid, each 2^k + 1 with k >= 1: one value for
 * every direction, or one per direction of the model (fewer is an error at set-up, values
 * beyond the model's dimension are unused; default 17). */
PETSC_EXTERN PetscErrorCode StkConvergeSetCoarsestSizes(StkConverge conv, PetscInt count, const PetscInt nmin[]);
/* Whether to compute the stationary density for the mean of x0 (default: only for
 * models without a closed form; test problems with Dirichlet faces have no density). */
PETSC_EXTERN PetscErrorCode StkConvergeSetDensity(StkConverge conv, PetscBool density);
PETSC_EXTERN PetscErrorCode StkConvergeMonitorSet(StkConverge conv, StkConvergeMonitorFn monitor, void *ctx);
/* -converge_levels, -converge_nmin n[,n], -converge_density; after SetModel (the
 * density's default depends on the model). */
PETSC_EXTERN PetscErrorCode StkConvergeSetFromOptions(StkConverge conv);
PETSC_EXTERN PetscErrorCode StkConvergeSetUp(StkConverge conv);
/* Solves on every grid, then computes the errors and orders (collective). */
PETSC_EXTERN PetscErrorCode StkConvergeRun(StkConverge conv);
/* The settings; after Run, the table as `stakehjb converge` prints it. */
PETSC_EXTERN PetscErrorCode StkConvergeView(StkConverge conv, PetscViewer viewer);
/* The table as HDF5 (group /convergence: one dataset per column over the dimension
 * `level`, the summary and the model's parameters as attributes; docs/cli.md). */
PETSC_EXTERN PetscErrorCode StkConvergeWrite(StkConverge conv, const char path[]);
/* The table as CSV (one row per level, %.10g), written by rank 0 to a temporary name
 * then renamed. */
PETSC_EXTERN PetscErrorCode StkConvergeWriteCSV(StkConverge conv, const char path[]);
PETSC_EXTERN PetscErrorCode StkConvergeDestroy(StkConverge *conv);

PETSC_EXTERN PetscErrorCode StkConvergeGetModel(StkConverge conv, StkModel *model);
PETSC_EXTERN PetscErrorCode StkConvergeGetNumLevels(StkConverge conv, PetscInt *nlevels);
/* The table's columns in file order (level, n0, n1, nodes, h, howard_iterations, ...;
 * docs/cli.md); the names are static. */
PETSC_EXTERN PetscErrorCode StkConvergeGetColumnNames(StkConverge conv, PetscInt *ncolumns, const char *const *names[]);
/* After Run: one column of the table, one value per level (borrowed; NaN where a
 * quantity does not apply), the same numbers Write and WriteCSV write. */
PETSC_EXTERN PetscErrorCode StkConvergeGetColumn(StkConverge conv, const char name[], const PetscReal *values[]);
PETSC_EXTERN PetscErrorCode StkConvergeGetSummary(StkConverge conv, StkConvergeSummary *summary);
