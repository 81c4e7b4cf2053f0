/* Regime-switching systems (docs/model.md#regime-switching): M regimes of a
 * continuous-time Markov chain with intensities q_ij, one model, value function and
 * policy per regime, coupled through the switching:
 *
 *   rho_i V_i = min_u { l_i(x, u) + L_i(u) V_i } + sum_{j != i} q_ij (V_j - V_i).
 *
 * Every regime is discretized by the monotone scheme of the scalar solver on one shared
 * grid; the coupled operator is one matrix on a DMDA with M components per node
 * (component i: regime i), an M-matrix.  Policy iteration (Howard) on the coupled
 * system, policy improvement per regime; the joint stationary density of (x, regime).
 *
 *   StkRegimeSolverCreate -> SetModels -> SetRates -> SetGrid -> SetFromOptions
 *     -> SetUp -> Solve -> ComputeDensity -> Write -> Destroy
 *
 * Supported: every model type on its own (the regimes must share the type and dimension).
 * Not supported for regimes: grid sequencing, the error estimate, -hjb_target_error,
 * inexact policy evaluation (every linear solve is exact). */
#pragma once
#include "stk_hjb.h"

typedef struct _p_StkRegimeSolver *StkRegimeSolver;

typedef struct {
  PetscInt  regimes;        /* M */
  PetscInt  iterations;     /* Howard iterations */
  PetscInt  ksp_iterations; /* summed over the linear solves */
  PetscBool converged;
  PetscReal residual;       /* relative discrete HJB residual (coupling included) at the final V */
  PetscReal value_change;   /* relative max-norm change of V in the last iteration */
  PetscInt  policy_changes; /* nodes x regimes whose control moved in the last iteration */
  PetscReal solve_time, density_time; /* seconds */
} StkRegimeSolverStats;

PETSC_EXTERN PetscErrorCode StkRegimeSolverCreate(MPI_Comm comm, StkRegimeSolver *solver);
/* M >= 1 models (borrowed: they must outlive the solver) of one type and dimension, and
 * their names (copied; used in the file and in messages; NULL: "regime0", ...). */
PETSC_EXTERN PetscErrorCode StkRegimeSolverSetModels(StkRegimeSolver solver, PetscInt M, const StkModel models[], const char *const names[]);
/* The intensities q_ij (1/yr): M x M row-major, the diagonal ignored, entries >= 0 and
 * finite.  Without a call: no switching (q = 0). */
PETSC_EXTERN PetscErrorCode StkRegimeSolverSetRates(StkRegimeSolver solver, const PetscReal q[]);
/* The shared grid of M models: as StkModelConfigureGrid of the first (sizes, names,
 * stretching, then the -grid_ options) on the union of the models' boxes, so that every
 * regime's state space is covered (the bear regime's outside yields centre higher). */
PETSC_EXTERN PetscErrorCode StkRegimeConfigureGrid(PetscInt M, const StkModel models[], StkGrid grid);
PETSC_EXTERN PetscErrorCode StkRegimeSolverSetGrid(StkRegimeSolver solver, StkGrid grid);
/* The solver reads -rtol, -max_it, -greedy, -central, -exact_samples, -monitor,
 * -linear_rtol under USER + "hjb_" (as the scalar solver), and its KSP the -hjb_ksp_* and
 * -hjb_pc_* options (GMRES + BoomerAMG by default). */
PETSC_EXTERN PetscErrorCode StkRegimeSolverSetOptionsPrefix(StkRegimeSolver solver, const char prefix[]);
PETSC_EXTERN PetscErrorCode StkRegimeSolverSetFromOptions(StkRegimeSolver solver);
PETSC_EXTERN PetscErrorCode StkRegimeSolverSetUp(StkRegimeSolver solver);
PETSC_EXTERN PetscErrorCode StkRegimeSolverSolve(StkRegimeSolver solver);
/* Joint stationary density g(x, i) of the closed loop with switching: G(u*)^T p = 0 with
 * G the generator (transport, diffusion and switching), sum over nodes and regimes of
 * p = 1, g = p / |cell|.  NaN (and NaN regime probabilities) where a Dirichlet face absorbs
 * the process, and when the chain is not irreducible (some regime cannot reach another,
 * e.g. q = 0): the stationary density is then not unique. */
PETSC_EXTERN PetscErrorCode StkRegimeSolverComputeDensity(StkRegimeSolver solver);
/* The solution file (docs/hdf5.md#regime-switching-solutions).  Collective. */
PETSC_EXTERN PetscErrorCode StkRegimeSolverWrite(StkRegimeSolver solver, const char path[]);
PETSC_EXTERN PetscErrorCode StkRegimeSolverView(StkRegimeSolver solver, PetscViewer viewer);
PETSC_EXTERN PetscErrorCode StkRegimeSolverDestroy(StkRegimeSolver *solver);

PETSC_EXTERN PetscErrorCode StkRegimeSolverGetStats(StkRegimeSolver solver, StkRegimeSolverStats *stats);
PETSC_EXTERN PetscErrorCode StkRegimeSolverGetNumRegimes(StkRegimeSolver solver, PetscInt *M);
PETSC_EXTERN PetscErrorCode StkRegimeSolverGetRegimeName(StkRegimeSolver solver, PetscInt i, const char **name);
PETSC_EXTERN PetscErrorCode StkRegimeSolverGetGrid(StkRegimeSolver solver, StkGrid *grid);
/* Borrowed references after the solve: V_i on the grid's DM, u_i on a DM with nu
 * components (as StkSolverGetValue/GetPolicy). */
PETSC_EXTERN PetscErrorCode StkRegimeSolverGetValue(StkRegimeSolver solver, PetscInt i, Vec *V);
PETSC_EXTERN PetscErrorCode StkRegimeSolverGetPolicy(StkRegimeSolver solver, PetscInt i, Vec *u);
/* The coupled value (component i of a node: V_i) and the joint density, on the DMDA with
 * M components per node; borrowed. */
PETSC_EXTERN PetscErrorCode StkRegimeSolverGetCoupledValue(StkRegimeSolver solver, Vec *V);
PETSC_EXTERN PetscErrorCode StkRegimeSolverGetDensity(StkRegimeSolver solver, Vec *g);
/* Stationary probability of each regime under the joint density (M values, sum 1). */
PETSC_EXTERN PetscErrorCode StkRegimeSolverGetRegimeProbabilities(StkRegimeSolver solver, PetscReal pi[]);
/* The coupled policy-evaluation matrix for the current policies (block row i:
 * (rho_i + sum_j q_ij) I - L_i(u_i), blocks -q_ij I off the diagonal; Dirichlet rows
 * rho_i), assembled now; borrowed. */
PETSC_EXTERN PetscErrorCode StkRegimeSolverGetMatrix(StkRegimeSolver solver, Mat *A);
/* The closed form, where one is known: every regime of type lq (the regime-switching LQ
 * problem, StkRiccatiSolveCoupled).  Its V_i is then also the Dirichlet data of regime i. */
PETSC_EXTERN PetscErrorCode StkRegimeSolverHasExactSolution(StkRegimeSolver solver, PetscBool *has);
PETSC_EXTERN PetscErrorCode StkRegimeSolverExactValue(StkRegimeSolver solver, PetscInt i, const PetscReal x[], PetscReal *V);
/* max over nodes and regimes of |V_i - V_i exact|, and of |V_i exact| (for a relative
 * error); needs the exact solution. */
PETSC_EXTERN PetscErrorCode StkRegimeSolverComputeError(StkRegimeSolver solver, PetscReal *err, PetscReal *vmax);
