/* Policy iteration (Howard) for the discrete HJB equation of a StkModel on a StkGrid,
 * with the monotone upwind scheme of docs/model.md#discretization.
 *
 *   StkSolverCreate -> SetModel/SetGrid -> SetFromOptions -> SetUp -> Solve -> Write -> Destroy
 */
#pragma once
#include "stk_model.h"
#include <petscksp.h>

typedef struct _p_StkSolver *StkSolver;

typedef enum { STK_GREEDY_CLOSED_FORM, STK_GREEDY_EXACT } StkGreedyType;
PETSC_EXTERN const char *const StkGreedyTypes[];
/* The drift differences: upwind everywhere, or central wherever the row stays monotone
 * (-hjb_central); recorded in the solution file as "upwind" / "central_where_monotone". */
typedef enum { STK_SCHEME_UPWIND, STK_SCHEME_CENTRAL } StkSchemeType;
PETSC_EXTERN const char *const StkSchemeTypes[];

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
  PetscReal      linear_solve_time;       /* the best of three solves of the final matrix from zero to 1e-8 (GMRES + BoomerAMG, setup included) */
  PetscInt       linear_solve_iterations; /* its GMRES iterations */
  PetscReal      assemble_time, pc_setup_time, pc_apply_time, improve_time; /* the solve's stages, coarse grids included (max over ranks) */
  /* -hjb_target_error: refinements of the user's grid, and whether the estimate met it */
  PetscInt       target_refinements;
  PetscBool      target_met;
  PetscReal      target_estimate; /* the final estimated max error of V relative to max |V| */
  /* CPU seconds (user + system, summed over ranks) of the solve, the stationary density
   * and (-hjb_bench) the one linear solve: steadier than wall time on a loaded machine */
  PetscReal      solve_cpu_time, density_cpu_time, linear_solve_cpu_time;
  PetscReal      density_all_cpu_time; /* with the densities of the error estimate's coarser grids */
} StkSolverStats;

/* A-posteriori estimate of the discretization error (docs/accuracy.md), from the
 * solutions on this grid and on the coarser grids of the sequence (each with half the
 * cells): with Q_h, Q_2h, Q_4h a quantity on the three grids, the error of Q_h is
 * estimated as |Q_h - Q_2h| / (2^p - 1) (Richardson), p the order observed on the three
 * grids where it is regular (same sign of the differences, 0.5 <= p <= 4), else the order
 * observed for V, else 1 (the upwind scheme's order; an overestimate for a second-order
 * scheme).  Valid in the asymptotic range of a convergent (monotone) scheme. */
typedef struct {
  PetscReal value; /* the quantity on this grid */
  PetscReal error; /* its estimated discretization error (NaN: no estimate) */
  PetscReal order; /* order observed on three grids (NaN: two grids, or not regular) */
  PetscReal order_used; /* the p of the estimate */
} StkEstimatedQuantity;

typedef struct {
  PetscInt             levels; /* grids the estimate rests on: 1 (none), 2 or 3 */
  StkEstimatedQuantity value_max;        /* value: max |V|; error: max over the nodes shared with the coarser grid */
  StkEstimatedQuantity value_reference;  /* V at the model's reference point */
  StkEstimatedQuantity policy_reference; /* control 0 at the reference point */
  StkEstimatedQuantity mean[STK_MAX_DIM], std[STK_MAX_DIM]; /* of the stationary density, per state (NaN until the density is computed, or without one) */
} StkErrorEstimate;

/* A finite-horizon solve (-hjb_horizon T > 0) and the forward (Kolmogorov) equation in
 * time (docs/model.md#finite-horizon). */
typedef struct {
  PetscReal horizon;             /* T (0: infinite horizon) */
  PetscInt  time_steps;          /* K backward steps of dt = T / K */
  PetscInt  stored;              /* times kept and written (every -hjb_store_every-th step, t = 0 and T included) */
  PetscInt  howard_iterations;   /* summed over the steps */
  PetscInt  ksp_iterations;      /* of policy evaluation, summed over the steps */
  PetscInt  max_step_iterations; /* the most Howard iterations one step took */
  PetscInt  steps_not_converged; /* steps that reached -hjb_max_it */
  PetscReal max_residual;        /* the largest relative HJB residual of a step at its end */
  PetscReal solve_time;          /* seconds */
  /* The forward equation in time (after StkSolverComputeDensity). */
  PetscBool kfe_done;
  PetscReal kfe_horizon;       /* its time span: T, or -kfe_horizon with an infinite horizon */
  PetscInt  kfe_steps;         /* its implicit steps */
  PetscInt  kfe_ksp_iterations;
  PetscReal mass_error;        /* max over the steps of |sum p - 1| (p: node probabilities) */
  PetscReal mass_correction;   /* max over the steps of the relative rescaling restoring the mass after the linear solve */
  PetscReal probability_min;   /* min over the steps and nodes of p (>= 0: positivity) */
  PetscReal kfe_time;          /* seconds */
} StkHorizonStats;

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
/* -hjb_rtol, -hjb_max_it, -hjb_greedy closed_form|exact, -hjb_central, -hjb_monitor,
 * -hjb_sequence K, -hjb_linear_forcing eta, -hjb_error_estimate, -hjb_target_error E,
 * -hjb_target_max_nodes N, -hjb_bench, -hjb_ksp_*, -hjb_pc_*; the finite horizon
 * -hjb_horizon T, -hjb_time_steps K, -hjb_store_every m and the forward equation in time
 * -kfe_horizon, -kfe_time_steps, -kfe_initial_mean, -kfe_initial_sd, -kfe_ksp_*, -kfe_pc_* */
PETSC_EXTERN PetscErrorCode StkSolverSetFromOptions(StkSolver solver);
/* A grid configured by the model (names, box, stretching, then -grid_ options) and a
 * solver on it, set from options: the usual start of a solve.  The grid is not set up
 * yet, so a caller may still change its sizes.  Collective. */
PETSC_EXTERN PetscErrorCode StkSolverCreateForModel(MPI_Comm comm, StkModel model, StkGrid *grid, StkSolver *solver);
/* Sets up the model and the grid; a model without a greedy map turns -hjb_greedy
 * closed_form into exact (StkSolverView and the file's "greedy" say so). */
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
/* The error estimate of the last solve (and of the density, once computed); levels = 1
 * when no coarser grid was solved (-hjb_sequence 0 without -hjb_error_estimate). */
PETSC_EXTERN PetscErrorCode StkSolverGetErrorEstimate(StkSolver solver, StkErrorEstimate *estimate);
/* Prints the estimate as the summary of `stakehjb solve` shows it. */
PETSC_EXTERN PetscErrorCode StkErrorEstimateView(const StkErrorEstimate *estimate, StkModel model, PetscViewer viewer);
PETSC_EXTERN PetscErrorCode StkSolverGetModel(StkSolver solver, StkModel *model);
/* The grid of the solution: the one set, or after -hjb_target_error refined it, the
 * solver's own refinement of it (borrowed, valid until the solver is destroyed). */
PETSC_EXTERN PetscErrorCode StkSolverGetGrid(StkSolver solver, StkGrid *grid);
PETSC_EXTERN PetscErrorCode StkSolverGetKSP(StkSolver solver, KSP *ksp);
/* Borrowed references; value, density on the grid DM; policy on a DM with nu
 * components; drift on a DM with dim components. */
PETSC_EXTERN PetscErrorCode StkSolverGetValue(StkSolver solver, Vec *V);
PETSC_EXTERN PetscErrorCode StkSolverGetPolicy(StkSolver solver, Vec *u);
PETSC_EXTERN PetscErrorCode StkSolverGetDrift(StkSolver solver, Vec *b);
PETSC_EXTERN PetscErrorCode StkSolverGetDensity(StkSolver solver, Vec *g);
PETSC_EXTERN PetscErrorCode StkSolverSetInitialGuess(StkSolver solver, Vec V, Vec u);

/* Finite horizon (docs/model.md#finite-horizon): T > 0 and K >= 1 backward implicit Euler
 * steps (the options -hjb_horizon T -hjb_time_steps K); T = 0 restores the infinite
 * horizon.  Before StkSolverSolve.  V(T, x) is the model's terminal cost
 * (StkModelTerminalCost); after the solve, StkSolverGetValue/GetPolicy give t = 0. */
PETSC_EXTERN PetscErrorCode StkSolverSetHorizon(StkSolver solver, PetscReal T, PetscInt K);
PETSC_EXTERN PetscErrorCode StkSolverGetHorizon(StkSolver solver, PetscReal *T, PetscInt *K);
PETSC_EXTERN PetscErrorCode StkSolverGetHorizonStats(StkSolver solver, StkHorizonStats *stats);
/* The forward equation in time: the closed loop's node probabilities p from the initial
 * density (-kfe_initial_mean, -kfe_initial_sd) by implicit steps (I - dt L(u^n)^T) p^{n+1} = p^n,
 * under the finite horizon's policies u^n, or with an infinite horizon under the
 * stationary policy over -kfe_horizon in -kfe_time_steps steps.  Called by
 * StkSolverComputeDensity when either horizon is set; collective. */
PETSC_EXTERN PetscErrorCode StkSolverEvolveDensity(StkSolver solver);
/* The stored times t_j (every -hjb_store_every-th step, increasing from 0) and the fields
 * there (borrowed; value and policy NULL without a finite horizon, density NULL before
 * StkSolverEvolveDensity); nt = 0 without a time series.  Any output may be NULL. */
PETSC_EXTERN PetscErrorCode StkSolverGetTimeSeries(StkSolver solver, PetscInt *nt, const PetscReal **times, const Vec **V, const Vec **u, const Vec **density);

/* The discrete operator for a given policy: A = rho I - L(u) (an M-matrix) and the
 * right side (running cost, Dirichlet data), such that A V = rhs is policy evaluation. */
PETSC_EXTERN PetscErrorCode StkSolverAssemble(StkSolver solver, Vec u, Mat A, Vec rhs);
PETSC_EXTERN PetscErrorCode StkSolverCreateMatrix(StkSolver solver, Mat *A);
/* H_i = l(x_i, u_i) + sum_k [b_k^+ D_k^+ V - b_k^- D_k^- V + a_k D_k^2 V] - rho V_i at every
 * non-Dirichlet node for the policy u (zero at Dirichlet nodes): the discrete HJB
 * is min_u H = 0. */
PETSC_EXTERN PetscErrorCode StkSolverHamiltonian(StkSolver solver, Vec V, Vec u, Vec H);
/* How a solution was discretized (recorded in its file, StkSolutionLoadScheme). */
typedef struct {
  StkSchemeType scheme;        /* drift differences */
  StkGreedyType greedy;        /* policy improvement */
  PetscInt      exact_samples; /* samples of the exact minimization */
} StkSchemeSettings;
/* Differences of V along a control's direction at a state, as the solver forms them at a
 * node: one-sided pf, pb (0 where they would leave the box), central pc, second
 * difference q, and the spacings hm, hp to the neighbours (infinite where the scheme
 * stays upwind: at the ends of the box and at Dirichlet nodes). */
typedef struct {
  PetscReal pf, pb, pc, q, hm, hp;
} StkDifferences;
/* The solver's policy improvement of control c at any state x from the differences d:
 * with the closed-form greedy map, the map solved to self-consistency with pf and with pb
 * from u[c] and the upwind choice (forward where its drift is positive, backward where
 * negative, the drift-zeroing control otherwise), preceded by the central difference
 * where the scheme is central and the row stays monotone; with the exact greedy (always
 * for a model without a greedy map), the safeguarded minimization of the Hamiltonian
 * over the control's bounds.  u holds every
 * control on entry; u[c] is replaced.  At a node it gives what the solver gives (the
 * expert policy of policy/ relies on it). */
PETSC_EXTERN PetscErrorCode StkModelImprovePoint(StkModel model, const StkSchemeSettings *scheme, const PetscReal x[], PetscInt c, const StkDifferences *d, PetscReal u[]);
/* The scheme a solution file was solved with (files written before it was recorded:
 * upwind, with the recorded greedy).  Errors name the file.  Collective. */
PETSC_EXTERN PetscErrorCode StkSolutionLoadScheme(MPI_Comm comm, const char path[], StkSchemeSettings *scheme);
