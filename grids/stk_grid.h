/* Tensor-product grids on a PETSc DMDA: 1-D, 2-D or 3-D (STK_MAX_DIM), uniform or
 * stretched towards a point, with every coordinate known on every rank.
 *
 * Index convention: state variable k is DMDA direction k, so in a PETSc vector or a
 * natural-order array node (i0, i1, i2) sits at i0 + n0 * (i1 + n1 * i2) (i0 fastest).  HDF5 files
 * store the same data in C order with state variable 0 slowest (see stk_h5.h). */
#pragma once
#include <petscdmda.h>

#define STK_MAX_DIM 3

typedef struct _p_StkGrid *StkGrid;

PETSC_EXTERN PetscErrorCode StkGridCreate(MPI_Comm comm, StkGrid *grid);
PETSC_EXTERN PetscErrorCode StkGridSetDimension(StkGrid grid, PetscInt dim);
PETSC_EXTERN PetscErrorCode StkGridSetSizes(StkGrid grid, const PetscInt n[]);
PETSC_EXTERN PetscErrorCode StkGridSetBox(StkGrid grid, const PetscReal lo[], const PetscReal hi[]);
/* Cluster nodes of direction k around `center`; alpha > 0 is the sinh-map width
 * (smaller clusters harder), alpha <= 0 means uniform. */
PETSC_EXTERN PetscErrorCode StkGridSetStretching(StkGrid grid, PetscInt k, PetscReal center, PetscReal alpha);
/* Explicit, strictly increasing coordinates for direction k (overrides box and stretching). */
PETSC_EXTERN PetscErrorCode StkGridSetCoordinates(StkGrid grid, PetscInt k, PetscInt n, const PetscReal x[]);
PETSC_EXTERN PetscErrorCode StkGridSetName(StkGrid grid, PetscInt k, const char name[]);
/* Options prefix (stk_options.h): the grid reads -n, -lo, ... under USER + "grid_";
 * after StkGridSetOptionsPrefix(grid, "bear_") it reads -bear_grid_n.  A prefix must
 * not start with '-'; Get returns NULL when none is set. */
PETSC_EXTERN PetscErrorCode StkGridSetOptionsPrefix(StkGrid grid, const char prefix[]);
PETSC_EXTERN PetscErrorCode StkGridAppendOptionsPrefix(StkGrid grid, const char prefix[]);
PETSC_EXTERN PetscErrorCode StkGridGetOptionsPrefix(StkGrid grid, const char *prefix[]);
/* Options (one value per direction): -grid_n n[,n[,n]], -grid_lo, -grid_hi, -grid_stretch alpha[,...], -grid_cluster c[,...] */
PETSC_EXTERN PetscErrorCode StkGridSetFromOptions(StkGrid grid);
PETSC_EXTERN PetscErrorCode StkGridSetUp(StkGrid grid);
/* The memory a solve plans per grid node in `dim` directions (about 1.5 kB in 1-D and 2-D,
 * 2.5 kB in 3-D with its 7-point stencil): what StkGridSetUp checks against the budget
 * (stk_options.h), for callers that plan several grids before building any. */
PETSC_EXTERN PetscErrorCode StkGridGetSolveBytesPerNode(PetscInt dim, PetscReal *bytes);
PETSC_EXTERN PetscErrorCode StkGridView(StkGrid grid, PetscViewer viewer);
PETSC_EXTERN PetscErrorCode StkGridDestroy(StkGrid *grid);

PETSC_EXTERN PetscErrorCode StkGridGetComm(StkGrid grid, MPI_Comm *comm);
PETSC_EXTERN PetscErrorCode StkGridGetDM(StkGrid grid, DM *da);
PETSC_EXTERN PetscErrorCode StkGridGetDimension(StkGrid grid, PetscInt *dim);
PETSC_EXTERN PetscErrorCode StkGridGetSizes(StkGrid grid, PetscInt n[]);
PETSC_EXTERN PetscErrorCode StkGridGetNumNodes(StkGrid grid, PetscInt *total);
PETSC_EXTERN PetscErrorCode StkGridGetName(StkGrid grid, PetscInt k, const char **name);
/* All n_k coordinates of direction k, on every rank (owned by the grid). */
PETSC_EXTERN PetscErrorCode StkGridGetCoordinates(StkGrid grid, PetscInt k, const PetscReal **x);
/* Width of the dual cell of every node in direction k (half-cells at the ends);
 * the product over k is the node's quadrature weight. */
PETSC_EXTERN PetscErrorCode StkGridGetDualWidths(StkGrid grid, PetscInt k, const PetscReal **w);
/* The grid of every other node of `grid` (n - 1 must be even in every direction) and the
 * grid with a node inserted in the middle of every cell: the same coordinates, so
 * stretched and explicit grids coarsen and refine too, and coarsening the refinement
 * gives the grid back exactly.  Names and options prefix are copied; set up. */
PETSC_EXTERN PetscErrorCode StkGridCreateCoarsened(StkGrid grid, StkGrid *coarse);
PETSC_EXTERN PetscErrorCode StkGridCreateRefined(StkGrid grid, StkGrid *fine);
/* A DMDA on the same layout with `ncomp` components per node (for vector fields). */
PETSC_EXTERN PetscErrorCode StkGridCreateComponentDM(StkGrid grid, PetscInt ncomp, DM *da);

/* Point evaluation.  `field` is a whole field in natural order (see StkGridGatherField),
 * with `ncomp` interleaved components, of which component `c` is read. */
PETSC_EXTERN PetscErrorCode StkGridGatherField(StkGrid grid, Vec global, Vec *natural_all);
/* The same on rank 0 only (the other ranks get an empty vector): for a reduction done in
 * natural order once, then broadcast, without a copy of the field on every rank. */
PETSC_EXTERN PetscErrorCode StkGridGatherFieldToZero(StkGrid grid, Vec global, Vec *natural_zero);
PETSC_EXTERN PetscErrorCode StkGridLocate(StkGrid grid, const PetscReal x[], PetscInt cell[], PetscReal frac[]);
/* Multilinear interpolation; points outside the box are clamped to it. */
PETSC_EXTERN PetscErrorCode StkGridInterpolate(StkGrid grid, const PetscScalar field[], PetscInt ncomp, PetscInt c, const PetscReal x[], PetscReal *value);
/* The same interpolation from a distributed field (a global Vec of the grid's DM, or of
 * StkGridCreateComponentDM(grid, ncomp)) without gathering it: the owners of the cell's
 * corners share their values, so every rank gets the value StkGridInterpolate gives on the
 * gathered field, bitwise, whatever the number of ranks.  Collective. */
PETSC_EXTERN PetscErrorCode StkGridInterpolateVec(StkGrid grid, Vec global, PetscInt ncomp, PetscInt c, const PetscReal x[], PetscReal *value);
/* The same at many points of this rank at once: values[i * ncomp + c] at the point
 * x[i * dim ...].  Each rank gathers only the nodes of the box its points' cells span (not
 * the whole field), and gets bitwise what StkGridInterpolate gives on the gathered field.
 * Collective (a rank may have no points). */
PETSC_EXTERN PetscErrorCode StkGridInterpolateVecAt(StkGrid grid, Vec global, PetscInt ncomp, PetscInt npoints, const PetscReal x[], PetscReal values[]);
/* Upwind-consistent gradient along direction k: the nodal forward and backward
 * differences, interpolated multilinearly.  At a node this returns exactly the
 * one-sided differences the solver uses; a difference that would leave the box is 0. */
PETSC_EXTERN PetscErrorCode StkGridInterpolateGradient(StkGrid grid, const PetscScalar field[], PetscInt ncomp, PetscInt c, const PetscReal x[], PetscInt k, PetscReal *forward, PetscReal *backward);
