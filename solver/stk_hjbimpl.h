/* Private: the body of StkSolver and the node layout shared by the scheme kernels. */
#pragma once
#include "stk_hjb.h"
#include "stk_modelimpl.h"

/* The owned and ghosted boxes of this rank, flattened so one loop serves 1-D and 2-D:
 * owned node o has indices idx[k]; its ghosted-local offset is sum (idx[k]-gs[k]) gstride[k]. */
typedef struct {
  PetscInt         dim, nowned;
  PetscInt         n[STK_MAX_DIM];
  PetscInt         s[STK_MAX_DIM], m[STK_MAX_DIM];
  PetscInt         gs[STK_MAX_DIM], gstride[STK_MAX_DIM];
  const PetscReal *x[STK_MAX_DIM];
} StkLayout;

/* Per-node view of one grid point. */
typedef struct {
  PetscInt  idx[STK_MAX_DIM];
  PetscInt  ghost;     /* offset in the ghosted local array */
  PetscReal x[STK_MAX_DIM];
  PetscBool dirichlet; /* on a Dirichlet face */
} StkNode;

struct _p_StkSolver {
  MPI_Comm       comm;
  StkModel       model;
  StkGrid        grid;
  DM             da, da_u, da_b; /* scalar, nu-component (policy), dim-component (drift) */
  StkLayout      layout;
  Vec            V, V_old, V_local, u, u_new, rhs, drift, density;
  Mat            A;
  KSP            ksp;
  PetscReal      rtol, ksp_rtol, residual_floor;
  PetscInt       max_it, exact_samples;
  StkGreedyType  greedy;
  PetscBool      monitor, progress, have_guess, solved, density_done;
  PetscBool      central; /* -hjb_scheme central_monotone */
  StkSolverStats stats;
  PetscBool      setupcalled;
};

PETSC_INTERN PetscErrorCode StkLayoutCreate(StkGrid grid, StkLayout *layout);
PETSC_INTERN PetscErrorCode StkLayoutNode(StkSolver S, PetscInt o, StkNode *node);
/* Upwind coefficients towards the forward and backward neighbours in direction k. */
PETSC_INTERN void StkSchemeCoefficients(const StkLayout *L, PetscInt k, PetscInt i, PetscReal b, PetscReal a, PetscBool central, PetscReal *cf, PetscReal *cb);
/* The discrete Hamiltonian at one node for the control u (all directions). */
PETSC_INTERN PetscErrorCode StkSchemeNodeHamiltonian(StkSolver S, const StkNode *node, const PetscScalar *Vg, const PetscReal u[], PetscReal *H);
/* Improve the policy from the ghosted value Vg; returns max |H(u_new)| over free nodes
 * and the number of nodes whose control moved. */
PETSC_INTERN PetscErrorCode StkSchemeImprove(StkSolver S, Vec V_local, Vec u_old, Vec u_new, PetscReal *hjb_residual, PetscInt *changed);

PETSC_INTERN PetscLogEvent STK_EVENT_Assemble, STK_EVENT_Improve, STK_EVENT_LinearSolve, STK_EVENT_Density, STK_EVENT_Write;
PETSC_INTERN PetscErrorCode StkSolverRegisterEvents(void);
