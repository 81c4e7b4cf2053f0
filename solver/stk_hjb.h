/* Policy iteration (Howard) for the discrete HJB equation of a StkModel on a StkGrid,
 * with the monotone upwind scheme of MODEL.md section 4.
 *
 *   StkSolverCreate -> SetModel/SetGrid -> SetFromOptions -> SetUp -> Solve -> Write -> Destroy
 */
#pragma once
#include "stk_model.h"
#include <petscksp.h>

typedef struct _p_StkSolver *StkSolver;

typedef enum { STK_GREEDY_CLOSED_FORM, STK_GREEDY_EXACT } StkGreedyType;
PETSC_EXTERN const char *const StkGreedyTypes[];

typedef struct {
  PetscInt       iterations;     /* Howard iterations */
  PetscInt       ksp_iterations; /* summed over all linear solves */
  PetscBool      converged;
  PetscReal      residual;       /* relative discrete HJB residual at the final V */
  PetscReal      value_change;   /* relative max-norm change of V in the last iteration */
  PetscInt       policy_changes; /* nodes whose control moved in the last iteration */
  PetscReal      solve_time;     /* seconds, Solve only (coarse grids included) */
  PetscReal      density_time;
  /* Grid sequencing (-hjb_sequence): the counts above are for this (the finest) grid. */
  PetscInt       sequence;              /* coarser grids asked for (-hjb_sequence) */
  PetscInt       coarse_levels;         /* coarser grids solved first (fewer when the grid cannot be halved) */
  PetscInt       coarse_iterations;     /* Howard iterations summed over them */
  PetscInt       coarse_ksp_iterations; /* linear iterations summed over them */
  PetscReal      coarse_time;           /* seconds spent on them and in interpolation */
  /* -hjb_bench, measured after the solve in the same run (0 without it). */
  PetscReal      matmult_time;  /* seconds per MatMult with the final policy-evaluation matrix */
  PetscReal      memory_peak;   /* peak resident memory, summed over ranks (bytes) */
  PetscReal      memory_solver; /* its growth since StkSolverCreate, summed over ranks (bytes) */
} StkSolverStats;

PETSC_EXTERN PetscErrorCode StkSolverCreate(MPI_Comm comm, StkSolver *solver);
PETSC_EXTERN PetscErrorCode StkSolverSetModel(StkSolver solver, StkModel model);
PETSC_EXTERN PetscErrorCode StkSolverSetGrid(StkSolver solver, StkGrid grid);
/* Options prefix (stk_options.h): the solver reads -rtol, -max_it, ... under
 * USER + "hjb_", and its KSP (and PC) get the prefix USER + "hjb_" too; after
 * StkSolverSetOptionsPrefix(solver, "bear_") it reads -bear_hjb_rtol and
 * -bear_hjb_ksp_type, and its errors name that spelling.  The coarse solvers of grid
 * sequencing inherit the prefix.  A prefix must not start with '-'; Get returns NULL
 * when none is set. */
PETSC_EXTERN PetscErrorCode StkSolverSetOptionsPrefix(StkSolver solver, const char prefix[]);
PETSC_EXTERN PetscErrorCode StkSolverAppendOptionsPrefix(StkSolver solver, const char prefix[]);
PETSC_EXTERN PetscErrorCode StkSolverGetOptionsPrefix(StkSolver solver, const char *prefix[]);
/* -hjb_rtol, -hjb_max_it, -hjb_greedy closed_form|exact, -hjb_monitor, -hjb_sequence K,
 * -hjb_linear_forcing eta, -hjb_bench, -hjb_ksp_*, -hjb_pc_* */
PETSC_EXTERN PetscErrorCode StkSolverSetFromOptions(StkSolver solver);
/* A grid configured by the model (names, box, stretching, then -grid_ options) and a
 * solver on it, set from options: the usual start of a solve.  The grid is not set up
 * yet, so a caller may still change its sizes.  Collective. */
PETSC_EXTERN PetscErrorCode StkSolverCreateForModel(MPI_Comm comm, StkModel model, StkGrid *grid, StkSolver *solver);
PETSC_EXTERN PetscErrorCode StkSolverSetUp(StkSolver solver);
PETSC_EXTERN PetscErrorCode StkSolverSolve(StkSolver solver);
/* Stationary density g of the closed loop: A(u*)^T p = 0, p_i = g_i |cell_i|, sum p = 1. */
PETSC_EXTERN PetscErrorCode StkSolverComputeDensity(StkSolver solver);
PETSC_EXTERN PetscErrorCode StkSolverWrite(StkSolver solver, const char path[]);
/* Reads a file written by StkSolverWrite: the model (StkModelLoad: type and every
 * parameter bitwise as solved, set up; no options read), the grid of the file's
 * coordinates (set up), the value V on the grid's DM and the policy u on
 * StkGridCreateComponentDM(grid, nu) (the grid's DM when nu == 1).  Any output may be
 * NULL; the caller destroys the others.  Errors name the file.  Collective. */
PETSC_EXTERN PetscErrorCode StkSolutionLoad(MPI_Comm comm, const char path[], StkModel *model, StkGrid *grid, Vec *V, Vec *u);
PETSC_EXTERN PetscErrorCode StkSolverView(StkSolver solver, PetscViewer viewer);
PETSC_EXTERN PetscErrorCode StkSolverDestroy(StkSolver *solver);

PETSC_EXTERN PetscErrorCode StkSolverGetStats(StkSolver solver, StkSolverStats *stats);
PETSC_EXTERN PetscErrorCode StkSolverGetModel(StkSolver solver, StkModel *model);
PETSC_EXTERN PetscErrorCode StkSolverGetGrid(StkSolver solver, StkGrid *grid);
PETSC_EXTERN PetscErrorCode StkSolverGetKSP(StkSolver solver, KSP *ksp);
/* Borrowed references; value, density on the grid DM; policy on a DM with nu
 * components; drift on a DM with dim components. */
PETSC_EXTERN PetscErrorCode StkSolverGetValue(StkSolver solver, Vec *V);
PETSC_EXTERN PetscErrorCode StkSolverGetPolicy(StkSolver solver, Vec *u);
PETSC_EXTERN PetscErrorCode StkSolverGetDrift(StkSolver solver, Vec *b);
PETSC_EXTERN PetscErrorCode StkSolverGetDensity(StkSolver solver, Vec *g);
PETSC_EXTERN PetscErrorCode StkSolverSetInitialGuess(StkSolver solver, Vec V, Vec u);

/* The discrete operator for a given policy: A = rho I - L(u) (an M-matrix) and the
 * right side (running cost, Dirichlet data), such that A V = rhs is policy evaluation. */
PETSC_EXTERN PetscErrorCode StkSolverAssemble(StkSolver solver, Vec u, Mat A, Vec rhs);
PETSC_EXTERN PetscErrorCode StkSolverCreateMatrix(StkSolver solver, Mat *A);
/* H_i = l(x_i, u_i) + sum_k [b_k^+ D_k^+ V - b_k^- D_k^- V + a_k D_k^2 V] - rho V_i at every
 * non-Dirichlet node for the policy u (zero at Dirichlet nodes): the discrete HJB
 * is min_u H = 0. */
PETSC_EXTERN PetscErrorCode StkSolverHamiltonian(StkSolver solver, Vec V, Vec u, Vec H);
/* The solver's closed-form policy improvement (upwind scheme) of control c at any
 * state x, from the forward and backward differences pf, pb and the second difference q
 * of V along the control's direction: the greedy map solved to self-consistency with pf
 * and with pb from u[c], then the upwind choice (forward where its drift is positive,
 * backward where negative, the drift-zeroing control otherwise).  u holds every control
 * on entry; u[c] is replaced.  At a node it gives what the solver gives (the expert
 * policy of policy/ relies on it). */
PETSC_EXTERN PetscErrorCode StkModelClosedFormImprovement(StkModel model, const PetscReal x[], PetscInt c, PetscReal pf, PetscReal pb, PetscReal q, PetscReal u[]);
