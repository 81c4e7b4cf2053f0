/* Private: the body of StkSolver and the node layout shared by the scheme kernels. */
#pragma once
#include "stk_hjb.h"
#include "stk_modelimpl.h"

/* The owned and ghosted boxes of this rank, flattened so one loop serves 1-D, 2-D and 3-D:
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

/* What the error estimate needs from one grid of the sequence. */
typedef struct {
  PetscBool set, has_density;
  PetscReal value_ref, policy_ref, value_absmax;
  PetscReal mean[STK_MAX_DIM], std[STK_MAX_DIM];
  PetscReal diff_max; /* max |V - V_coarser| over the nodes shared with the next coarser grid (NaN: none) */
} StkLevelRecord;

#define STK_ESTIMATE_LEVELS 3

/* Finite horizon (-hjb_horizon) and the forward equation in time (solver/stk_horizon.c). */
typedef struct {
  PetscReal       T;           /* -hjb_horizon (0: infinite horizon) */
  PetscInt        K;           /* -hjb_time_steps */
  PetscBool       K_set;
  PetscInt        store_every; /* -hjb_store_every: V, u and the density written every m-th step */
  PetscBool       store_set;
  PetscReal       kfe_T;       /* -kfe_horizon: the density in time under the stationary policy */
  PetscInt        kfe_K;       /* -kfe_time_steps */
  PetscBool       kfe_K_set;
  PetscReal       mean[STK_MAX_DIM], sd[STK_MAX_DIM]; /* -kfe_initial_mean, -kfe_initial_sd */
  PetscInt        nmean, nsd;  /* entries given (0: the defaults) */
  PetscInt        nstore;      /* stored times */
  PetscReal      *times;       /* [nstore] */
  Vec            *V, *u_store; /* V and u at the stored times (finite horizon) */
  Vec            *u_all;       /* u at every step 0..K (finite horizon: the forward equation needs them) */
  PetscInt        nall;        /* entries of u_all */
  Vec            *density;     /* density at the stored times (after the forward equation) */
  StkHorizonStats stats;
} StkHorizon;

struct _p_StkSolver {
  MPI_Comm       comm;
  char          *prefix; /* the user's options prefix (NULL: none); the solver's own is "hjb_" */
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
  PetscBool      greedy_auto; /* exact because the model has no greedy map */
  PetscBool      monitor, progress, have_guess, solved, density_done;
  PetscBool      central; /* -hjb_central: central drift differences where the row stays monotone */
  PetscBool      greedy_newton; /* -hjb_greedy_newton: Newton (the model's greedy_slope) for the greedy fixed points */
  StkSolverStats stats;
  PetscBool      setupcalled;
  /* Issue 7: grid sequencing, inexact policy evaluation, in-run benchmark. */
  PetscInt       sequence;        /* -hjb_sequence: coarser grids solved first (each halves h) */
  PetscBool      sequence_set;    /* given as an option: a grid that cannot be halved is then an error */
  PetscReal      sequence_rtol;   /* -hjb_sequence_rtol: tolerance on the coarse grids */
  PetscReal      ksp_rtol_option; /* -hjb_linear_rtol as given (0: automatic for the grid) */
  PetscReal      forcing;         /* -hjb_linear_forcing: linear rtol = forcing * previous HJB residual (0: off) */
  PetscReal      pc_reuse_below;  /* -hjb_pc_reuse_below: keep the AMG hierarchy while the HJB residual is below it (0: off) */
  PetscReal      linear_target;   /* -hjb_linear_target: on the user's grid, no linear solve reduces more than this x rtol / HJB residual asks (0: off) */
  PetscInt       pc_fresh_its;    /* linear iterations of the last solve with a freshly built preconditioner (-1: none yet on this grid) */
  PetscBool      bench;           /* -hjb_bench: time one MatMult and record memory after the solve */
  PetscInt       level;           /* 0 on the user's grid, k on the k-th coarser grid of a sequence */
  PetscLogDouble memory_at_create;
  /* Issue 17: a-posteriori error estimate from the grid sequence. */
  PetscBool      estimate;        /* -hjb_error_estimate */
  PetscBool      estimate_set;    /* given by the user (forces a coarse solve without sequencing) */
  Vec            V_coarse;        /* the next coarser grid's V interpolated to this grid */
  StkLevelRecord chain[STK_ESTIMATE_LEVELS]; /* this grid, the next coarser, the one below */
  StkErrorEstimate est;
  PetscReal      target_error;     /* -hjb_target_error: relative max error of V to reach (0: off) */
  PetscInt       target_max_nodes; /* -hjb_target_max_nodes: the node budget of the refinements */
  StkGrid        own_grid;         /* a grid the solver made (target refinements, kept coarse grids), destroyed with it */
  StkSolver      coarse;           /* the next coarser grid's solver, kept for the estimate's densities (NULL: none) */
  PetscBool      keep_chain;       /* the chain was filled by the caller (target refinement) */
  PetscInt       stall_reset;      /* Howard iteration of the last switch of scheme or greedy (stall detection) */
  StkHorizon     horizon;          /* -hjb_horizon, -kfe_horizon (solver/stk_horizon.c) */
};

PETSC_INTERN PetscErrorCode StkLayoutCreate(StkGrid grid, StkLayout *layout);
/* CPU seconds (user + system) this process has used so far. */
PETSC_INTERN PetscErrorCode StkCPUTime(PetscLogDouble *t);
/* The CPU seconds since t0, summed over the solver's ranks. */
PETSC_INTERN PetscErrorCode StkCPUTimeSince(StkSolver S, PetscLogDouble t0, PetscReal *seconds);
PETSC_INTERN PetscErrorCode StkLayoutNode(StkSolver S, PetscInt o, StkNode *node);
/* Upwind coefficients towards the forward and backward neighbours in direction k. */
PETSC_INTERN void StkSchemeCoefficients(const StkLayout *L, PetscInt k, PetscInt i, PetscReal b, PetscReal a, PetscBool central, PetscReal *cf, PetscReal *cb);
/* The discrete Hamiltonian at one node for the control u (all directions). */
PETSC_INTERN PetscErrorCode StkSchemeNodeHamiltonian(StkSolver S, const StkNode *node, const PetscScalar *Vg, const PetscReal u[], PetscReal *H);
/* Improve the policy from the ghosted value Vg; returns max |H(u_new)| over free nodes
 * and the number of nodes whose control moved. */
PETSC_INTERN PetscErrorCode StkSchemeImprove(StkSolver S, Vec V_local, Vec u_old, Vec u_new, PetscReal *hjb_residual, PetscInt *changed);

PETSC_INTERN PetscLogEvent STK_EVENT_Assemble, STK_EVENT_Improve, STK_EVENT_LinearSolve, STK_EVENT_Density, STK_EVENT_Write, STK_EVENT_Interpolate;
/* -log_view stages: where a solve spends its time */
PETSC_INTERN PetscLogStage STK_STAGE_Assemble, STK_STAGE_LinearSolve, STK_STAGE_Improve, STK_STAGE_Density, STK_STAGE_Output;
PETSC_INTERN PetscErrorCode StkSolverRegisterEvents(void);

/* The policy-evaluation KSP: GMRES, right preconditioned, tolerances of the grid, then
 * the user's -hjb_ksp_* / -hjb_pc_* options; `pc_type` NULL means the default. */
PETSC_INTERN PetscErrorCode StkSolverConfigureKSP(StkSolver S, KSPType ksp_type, PCType pc_type);
/* Grid sequencing: solve on the next coarser grid (recursively) and interpolate V and
 * u to this grid as the starting point; does nothing if the grid cannot be halved. */
PETSC_INTERN PetscErrorCode StkSolverSequence(StkSolver S);
/* A solver on `grid` configured like S, under S's options prefix (only its KSP reads
 * options, as S's does), one sequencing level below S. */
PETSC_INTERN PetscErrorCode StkSolverCreateLike(StkSolver S, StkGrid grid, StkSolver *other);
/* V (and u, unless NULL) of the solved C, multilinearly interpolated to the nodes of S
 * into Vfine (and ufine).  Each rank gathers only the part of C's fields under its own
 * nodes (StkGridInterpolateVecAt). */
PETSC_INTERN PetscErrorCode StkSolverInterpolateFrom(StkSolver C, StkSolver S, Vec Vfine, Vec ufine);
/* The coordinates of this rank's nodes, dim per node in the layout's order (PetscFree them). */
PETSC_INTERN PetscErrorCode StkSolverOwnedCoordinates(StkSolver S, PetscReal **x);
/* What the error estimate of S keeps of the solved, one grid coarser C: its records
 * (shifted one grid down the chain) and its V interpolated to S (V_coarse), copied from
 * `interpolated` when the caller has just made that interpolation (NULL: made here). */
PETSC_INTERN PetscErrorCode StkSolverKeepForEstimate(StkSolver C, StkSolver S, Vec interpolated);
/* -hjb_target_error: refine the grid (doubling the cells) until the estimate meets it. */
PETSC_INTERN PetscErrorCode StkSolverSolveToTarget(StkSolver S);
/* One solve on the solver's own grid (sequence and estimate included, no target loop). */
PETSC_INTERN PetscErrorCode StkSolverSolveOnGrid(StkSolver S);
/* Error estimate: the coarse solve of -hjb_error_estimate without sequencing, the records
 * of one grid after its solve and after its density, and the estimate from the chain. */
PETSC_INTERN PetscErrorCode StkSolverSolveCoarseForEstimate(StkSolver S);
PETSC_INTERN PetscErrorCode StkSolverRecordSolution(StkSolver S);
PETSC_INTERN PetscErrorCode StkSolverRecordDensity(StkSolver S);
PETSC_INTERN PetscErrorCode StkSolverUpdateEstimate(StkSolver S);
PETSC_INTERN PetscErrorCode StkSolverWriteEstimate(StkSolver S, StkH5 file, const char group[]);
/* Whether the grid can be halved once for grid sequencing (every n - 1 even, and
 * STK_SEQUENCE_MIN_NODES or more nodes after halving). */
PETSC_INTERN PetscErrorCode StkSolverCanCoarsen(StkGrid grid, PetscBool *can);
#define STK_SEQUENCE_MIN_NODES 9 /* no coarse grid with fewer nodes per direction */
/* -hjb_bench: time MatMult with the final matrix, record peak memory. */
PETSC_INTERN PetscErrorCode StkSolverBenchmark(StkSolver S);

/* Finite horizon and the forward equation in time (solver/stk_horizon.c, docs/model.md#finite-horizon).
 * The -hjb_horizon options, read inside the solver's own options block; the -kfe_ options
 * (their own block) and the checks of both. */
PETSC_INTERN PetscErrorCode StkSolverHorizonOptions(StkSolver S, PetscOptionItems *PetscOptionsObject);
PETSC_INTERN PetscErrorCode StkSolverKFESetFromOptions(StkSolver S);
/* Backward implicit Euler steps from the terminal cost, policy iteration in each step. */
PETSC_INTERN PetscErrorCode StkSolverSolveHorizon(StkSolver S);
/* Whether a time series is computed (-hjb_horizon or -kfe_horizon > 0). */
PETSC_INTERN PetscBool StkSolverHasTimeSeries(StkSolver S);
/* The group "time_series" of the solution file, and its XDMF temporal collection
 * (after the file is committed). */
PETSC_INTERN PetscErrorCode StkSolverWriteTimeSeries(StkSolver S, StkH5 file);
PETSC_INTERN PetscErrorCode StkSolverWriteTimeSeriesSidecar(StkSolver S, const char path[]);
PETSC_INTERN PetscErrorCode StkSolverHorizonDestroy(StkSolver S);
/* The units of a density per unit of state volume (the solution file's "density"). */
PETSC_INTERN PetscErrorCode StkSolverDensityUnits(StkModel model, size_t len, char units[]);
