/* The mechanism network (docs/model.md#the-mechanism-network,
 * docs/network.md): a small multilayer perceptron
 * u = pi_theta(x) from the model state x = s or (s, z) to an issuance rate in
 * [u_min, u_max].
 *
 *   inputs scaled affinely from the grid box [lo, hi] to [-1, 1]
 *   -> hidden layers with tanh (default 2 x 16)
 *   -> one linear output z, u = u_min + (u_max - u_min) sigmoid(z)
 *
 * so every output is feasible.  All weights live in one flat array (genann-style),
 * neuron by neuron and layer by layer: for each neuron its bias, then one weight per
 * input of its layer.  Initialization is deterministic: a counter-based hash of
 * (seed, weight index) gives uniform numbers scaled as Glorot/Xavier; biases start at 0.
 *
 *   StkNetCreate -> SetArchitecture / SetInputBounds / SetOutputBounds (or options)
 *   -> SetFromOptions -> SetUp -> Evaluate / Gradient / Fit -> Write -> Destroy
 *
 * Evaluation is pointwise and not collective; fitting and file I/O are collective. */
#pragma once
#include "stk_grid.h"
#include "stk_h5.h"
#include "stk_model.h"

#define STK_NET_MAX_LAYERS 8   /* hidden layers */
#define STK_NET_MAX_WIDTH  256 /* neurons per hidden layer */
#define STK_NET_MAX_INPUTS STK_MAX_DIM

typedef struct _p_StkNet *StkNet;

/* The least-squares fit to a target policy (StkNetFit*): errors in units of the
 * control (1/yr) and relative to u_max - u_min. */
typedef struct {
  PetscInt  samples;        /* nodes used */
  PetscInt  iterations;     /* TAO iterations */
  PetscInt  evaluations;    /* objective-and-gradient evaluations */
  PetscBool converged;      /* TAO's reason was positive */
  char      reason[64];     /* TAO's converged reason */
  PetscReal objective;      /* final objective (mean squared relative error / 2 + L2 term) */
  PetscReal rmse, max_error; /* absolute, 1/yr */
  PetscReal rmse_relative, max_error_relative; /* divided by u_max - u_min */
  PetscReal l2;             /* the regularization weight used */
  PetscReal time;           /* seconds */
} StkNetFitStats;

PETSC_EXTERN PetscErrorCode StkNetCreate(MPI_Comm comm, StkNet *net);
/* Options prefix (stk_options.h): the network reads -layers, -widths, -seed, ... under
 * USER + "net_" and its fit's TAO under USER + "net_fit_": with no prefix the documented
 * -net_layers, -net_fit_tao_max_it; after StkNetSetOptionsPrefix(net, "bear_")
 * -bear_net_layers, -bear_net_fit_tao_max_it, and errors name that spelling.  A prefix
 * must not start with '-'; Get returns NULL when none is set. */
PETSC_EXTERN PetscErrorCode StkNetSetOptionsPrefix(StkNet net, const char prefix[]);
PETSC_EXTERN PetscErrorCode StkNetAppendOptionsPrefix(StkNet net, const char prefix[]);
PETSC_EXTERN PetscErrorCode StkNetGetOptionsPrefix(StkNet net, const char *prefix[]);
/* nin inputs (1..STK_NET_MAX_INPUTS), nhidden hidden layers with the given widths. */
PETSC_EXTERN PetscErrorCode StkNetSetArchitecture(StkNet net, PetscInt nin, PetscInt nhidden, const PetscInt widths[]);
/* The box of the inputs: x_k in [lo_k, hi_k] maps to [-1, 1] (lo_k < hi_k). */
PETSC_EXTERN PetscErrorCode StkNetSetInputBounds(StkNet net, const PetscReal lo[], const PetscReal hi[]);
/* Input k from grid direction k: its name and its first and last coordinates. */
PETSC_EXTERN PetscErrorCode StkNetSetInputsFromGrid(StkNet net, StkGrid grid);
PETSC_EXTERN PetscErrorCode StkNetSetOutputBounds(StkNet net, PetscReal u_min, PetscReal u_max);
PETSC_EXTERN PetscErrorCode StkNetSetSeed(StkNet net, PetscInt seed);
/* -net_layers, -net_widths, -net_seed, -net_u_min, -net_u_max, -net_fit_l2,
 * -net_fit_stride, -net_fit_samples, -net_fit_max_it, -net_fit_view, and TAO's -net_fit_tao_* */
PETSC_EXTERN PetscErrorCode StkNetSetFromOptions(StkNet net);
/* Allocates the weights and initializes them from the seed. */
PETSC_EXTERN PetscErrorCode StkNetSetUp(StkNet net);
PETSC_EXTERN PetscErrorCode StkNetView(StkNet net, PetscViewer viewer);
PETSC_EXTERN PetscErrorCode StkNetDestroy(StkNet *net);

PETSC_EXTERN PetscErrorCode StkNetGetNumInputs(StkNet net, PetscInt *nin);
/* Input k's name (the grid's coordinate: "s", "z", "logp"; borrowed). */
PETSC_EXTERN PetscErrorCode StkNetGetInputName(StkNet net, PetscInt k, const char **name);
/* Hidden layers and their widths (widths may be NULL; else room for STK_NET_MAX_LAYERS). */
PETSC_EXTERN PetscErrorCode StkNetGetArchitecture(StkNet net, PetscInt *nhidden, PetscInt widths[]);
PETSC_EXTERN PetscErrorCode StkNetGetOutputBounds(StkNet net, PetscReal *u_min, PetscReal *u_max);
PETSC_EXTERN PetscErrorCode StkNetGetNumWeights(StkNet net, PetscInt *nweights);
/* Borrowed, read-only view of the flat weight array. */
PETSC_EXTERN PetscErrorCode StkNetGetWeights(StkNet net, const PetscReal **w);
/* Copies nweights values into the network (e.g. a refinement step). */
PETSC_EXTERN PetscErrorCode StkNetSetWeights(StkNet net, const PetscReal w[]);
PETSC_EXTERN PetscErrorCode StkNetGetFitStats(StkNet net, PetscBool *fitted, StkNetFitStats *stats);

/* u = pi_theta(x) (not collective). */
PETSC_EXTERN PetscErrorCode StkNetEvaluate(StkNet net, const PetscReal x[], PetscReal *u);
/* u, and by backpropagation du/dtheta (nweights values) and du/dx (nin values);
 * either gradient may be NULL (not collective). */
PETSC_EXTERN PetscErrorCode StkNetGradient(StkNet net, const PetscReal x[], PetscReal *u, PetscReal dudw[], PetscReal dudx[]);
/* Gradient check at x (kann-style): central differences along a random unit direction
 * (drawn from `seed`) in weight space and in input space, compared with the
 * backpropagated directional derivatives.  Returns the two relative errors and
 * passed = both below tol.  Not collective. */
PETSC_EXTERN PetscErrorCode StkNetCheckGradient(StkNet net, const PetscReal x[], PetscInt seed, PetscReal tol, PetscReal *relerr_weights, PetscReal *relerr_inputs, PetscBool *passed);

/* Least-squares fit of the weights to target values u_i at the points x_i, with TAO
 * (default lmvm; options prefix net_fit_), starting from the current weights.
 * The samples (x: n rows of nin values) are the same on every rank; the ranks share
 * the work, and the objective is summed in fixed blocks in a fixed order, so the
 * fitted weights are identical on any number of ranks.  Collective. */
PETSC_EXTERN PetscErrorCode StkNetFit(StkNet net, PetscInt n, const PetscReal x[], const PetscReal u[], StkNetFitStats *stats);
/* The fit's iteration limit (default 1000; -net_fit_max_it overrides it, and
 * -net_fit_tao_max_it overrides both). */
PETSC_EXTERN PetscErrorCode StkNetSetFitMaxIterations(StkNet net, PetscInt max_it);
/* For -help: list the fit's TAO options (-net_fit_tao_*) with the fit's defaults. */
PETSC_EXTERN PetscErrorCode StkNetPrintFitOptions(StkNet net);
/* RMSE and max |pi_theta(x_i) - u_i| over the samples, divided by u_max - u_min
 * (samples as for StkNetFit, same on every rank; collective). */
PETSC_EXTERN PetscErrorCode StkNetComputeErrors(StkNet net, PetscInt n, const PetscReal x[], const PetscReal u[], PetscReal *rmse_relative, PetscReal *max_error_relative);
/* The same on the nodes of a grid, with `policy` a global vector on the grid's DM (one
 * component): every -net_fit_stride-th node per direction, and the last; with the
 * default -net_fit_stride 0, the stride that gives about -net_fit_samples nodes plus
 * every node next to one on the other side of the clip at u_min or u_max (the kinks;
 * every node on a grid with fewer than 2^dim * samples nodes).  The statistics' RMSE
 * and max error are those on every node.  Collective. */
PETSC_EXTERN PetscErrorCode StkNetFitGrid(StkNet net, StkGrid grid, Vec policy, StkNetFitStats *stats);

/* Configures and sets up a network for a solution in memory (a model and its grid, as
 * StkSolutionLoad or a solver gives them): the inputs from the grid (StkNetSetInputsFromGrid),
 * the output bounds from the model's issuance bounds u_min, u_max (a staking or
 * staking_price model; other models have none, so -net_u_min and -net_u_max, under the network's prefix,
 * must be given), then the -net_ options and StkNetSetUp.  Used by `fit` and `run`.  Collective. */
PETSC_EXTERN PetscErrorCode StkNetSetUpFromSolution(StkNet net, StkModel model, StkGrid grid);

/* Files (docs/hdf5.md, group /network).  StkNetWrite creates PATH (temporary name,
 * then renamed); StkNetWriteGroup adds the network to an open file so a caller can
 * add more (e.g. a refinement history in GROUP/history) before StkH5Commit. */
PETSC_EXTERN PetscErrorCode StkNetWrite(StkNet net, const char path[]);
PETSC_EXTERN PetscErrorCode StkNetWriteGroup(StkNet net, StkH5 file, const char group[]);
/* A set-up network from GROUP of PATH ("network" by default when group is NULL). */
PETSC_EXTERN PetscErrorCode StkNetLoad(MPI_Comm comm, const char path[], const char group[], StkNet *net);
/* Records where the training data came from (written as the attribute "source"). */
PETSC_EXTERN PetscErrorCode StkNetSetSource(StkNet net, const char source[]);
