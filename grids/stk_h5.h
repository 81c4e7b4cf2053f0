/* Parallel HDF5 files of grid fields, written collectively.
 *
 * Layout (docs/hdf5.md): in a group, one 1-D dataset per state variable named after
 * it (s, z, x0, ...) holding its coordinates and made an HDF5 dimension scale; each
 * field is a dataset of shape (n0, n1, ...) in C order, state variable 0 slowest,
 * with the scales attached, plus a trailing dimension (with its own scale,
 * "component" or "control") when it has more than one component.
 *
 * A file is created under a temporary name (PATH.tmp.PID) and renamed onto PATH by
 * StkH5Commit; StkH5Destroy on an uncommitted file removes the temporary, and SIGINT or
 * SIGTERM during the write removes it too (stk_files.h), so an interrupted or failed
 * run never leaves a half-written file under PATH nor a temporary next to it.
 * Coordinates read back must be finite and increase strictly. */
#pragma once
#include "stk_grid.h"

typedef struct _p_StkH5 *StkH5;

/* Checks early (before any long computation) that PATH can be written: its directory
 * exists and a file can be created there.  Collective; errors name `option` and PATH. */
PETSC_EXTERN PetscErrorCode StkH5CheckWritable(MPI_Comm comm, const char option[], const char path[]);

PETSC_EXTERN PetscErrorCode StkH5Create(MPI_Comm comm, const char path[], StkH5 *file);
PETSC_EXTERN PetscErrorCode StkH5WriteGrid(StkH5 file, const char group[], StkGrid grid);
/* `global` lives on StkGridCreateComponentDM(grid, ncomp) (or the grid's DM when
 * ncomp == 1).  `trailing` names the extra dimension when ncomp > 1. */
PETSC_EXTERN PetscErrorCode StkH5WriteField(StkH5 file, const char group[], const char name[], StkGrid grid, Vec global, PetscInt ncomp, const char trailing[], const char units[], const char description[]);
/* A 1-D table column from rank 0's `data` (collective; other ranks' data unused).
 * With name == dimension it becomes that dimension's scale; otherwise an existing
 * scale named `dimension` in the group is attached. */
PETSC_EXTERN PetscErrorCode StkH5WriteArray(StkH5 file, const char group[], const char name[], const char dimension[], PetscInt n, const PetscReal data[], const char units[], const char description[]);
/* A 2-D table of rows x cols (C order) from rank 0's `data` (collective), with the
 * group's scales named row_dim and col_dim attached where they exist. */
PETSC_EXTERN PetscErrorCode StkH5WriteArray2D(StkH5 file, const char group[], const char name[], const char row_dim[], const char col_dim[], PetscInt rows, PetscInt cols, const PetscReal data[], const char units[], const char description[]);
/* A 3-D table of shape[0] x shape[1] x shape[2] (C order) from rank 0's `data`
 * (collective), with the group's scales named in dims[] attached where they exist. */
PETSC_EXTERN PetscErrorCode StkH5WriteArray3D(StkH5 file, const char group[], const char name[], const char *const dims[3], const PetscInt shape[3], const PetscReal data[], const char units[], const char description[]);
/* The CF attributes `units` and `long_name` (either may be NULL) of an existing dataset,
 * e.g. a coordinate written by StkH5WriteGrid, whose meaning only the caller knows.
 * (The writers above set `units`, and `long_name` and `description` from their
 * description argument; the trailing scales "component" and "control" get units "1".) */
PETSC_EXTERN PetscErrorCode StkH5WriteVariableAttributes(StkH5 file, const char group[], const char name[], const char units[], const char long_name[]);
PETSC_EXTERN PetscErrorCode StkH5WriteAttributeReal(StkH5 file, const char group[], const char name[], PetscReal value, const char units[]);
PETSC_EXTERN PetscErrorCode StkH5WriteAttributeInt(StkH5 file, const char group[], const char name[], PetscInt value);
PETSC_EXTERN PetscErrorCode StkH5WriteAttributeString(StkH5 file, const char group[], const char name[], const char value[]);
/* Close, rename the temporary onto the final path, and write an XDMF sidecar
 * (PATH with .xmf) describing the listed scalar fields of `group` for ParaView
 * (no sidecar when nfields is 0; grid may then be NULL): a 2DRectMesh in 1-D (one node
 * thick) and 2-D, a 3DRectMesh in 3-D, dimensions slowest first and VX the last state
 * variable (docs/hdf5.md). */
PETSC_EXTERN PetscErrorCode StkH5Commit(StkH5 file, const char group[], StkGrid grid, PetscInt nfields, const char *const fields[]);
PETSC_EXTERN PetscErrorCode StkH5Destroy(StkH5 *file);

/* Reading, for analysis and round trips (collective).  Every reader's error names the
 * file and the group, dataset or attribute. */
PETSC_EXTERN PetscErrorCode StkH5Open(MPI_Comm comm, const char path[], StkH5 *file);
/* Whether PATH is a readable HDF5 file (rank 0 looks; every rank gets its answer), so a
 * caller can say which of its files is missing before StkH5Open fails. */
PETSC_EXTERN PetscErrorCode StkH5TestFile(MPI_Comm comm, const char path[], PetscBool *readable);
/* The path the file was created or opened with (for the caller's own messages). */
PETSC_EXTERN PetscErrorCode StkH5GetPath(StkH5 file, const char **path);
/* Presence tests (a missing group makes all three false; no error). */
PETSC_EXTERN PetscErrorCode StkH5HasGroup(StkH5 file, const char group[], PetscBool *has);
PETSC_EXTERN PetscErrorCode StkH5HasDataset(StkH5 file, const char group[], const char name[], PetscBool *has);
PETSC_EXTERN PetscErrorCode StkH5HasAttribute(StkH5 file, const char group[], const char name[], PetscBool *has);
/* A 1-D dataset (as written by StkH5WriteArray): its length and a new array of all its
 * values on every rank (free with PetscFree).  Errors if it is missing or not 1-D. */
PETSC_EXTERN PetscErrorCode StkH5ReadArray(StkH5 file, const char group[], const char name[], PetscInt *n, PetscReal **data);
/* A 2-D dataset (StkH5WriteArray2D): rows x cols values in C order, on every rank. */
PETSC_EXTERN PetscErrorCode StkH5ReadArray2D(StkH5 file, const char group[], const char name[], PetscInt *rows, PetscInt *cols, PetscReal **data);
/* A grid whose coordinates are the file's dimension scales of `group` (set up). */
PETSC_EXTERN PetscErrorCode StkH5ReadGrid(StkH5 file, const char group[], StkGrid *grid);
/* Read a field into a new global vector on `grid` (ncomp must match the file). */
PETSC_EXTERN PetscErrorCode StkH5ReadField(StkH5 file, const char group[], const char name[], StkGrid grid, PetscInt ncomp, Vec *global);
/* Errors (naming the file and GROUP/NAME, the dataset `v` was read from) unless every
 * entry of v is finite (collective). */
PETSC_EXTERN PetscErrorCode StkH5CheckFinite(StkH5 file, const char group[], const char name[], Vec v);
/* Time series (docs/hdf5.md, "Time series"): a field at nt times as one dataset of shape
 * (nt, n0, ..., [ncomp]), time slowest, with the group's 1-D scale named `time_dim`
 * (written before, e.g. StkH5WriteArray(file, group, "time", "time", ...)) attached to
 * dimension 0, the coordinates (StkH5WriteGrid) and the trailing scale after it.
 * fields[j] is the field at time j, laid out as for StkH5WriteField.  Collective. */
PETSC_EXTERN PetscErrorCode StkH5WriteFieldSeries(StkH5 file, const char group[], const char name[], const char time_dim[], StkGrid grid, PetscInt nt, const Vec fields[], PetscInt ncomp, const char trailing[], const char units[], const char description[]);
/* Reads time `step` of a series written by StkH5WriteFieldSeries into a new global vector
 * on `grid` (as StkH5ReadField); *nt (may be NULL) gets the number of times. */
PETSC_EXTERN PetscErrorCode StkH5ReadFieldStep(StkH5 file, const char group[], const char name[], StkGrid grid, PetscInt ncomp, PetscInt step, PetscInt *nt, Vec *global);
/* After StkH5Commit: an XDMF temporal collection (PATH with .h5 replaced by _time.xmf)
 * describing the scalar series `fields` of `group` at the nt `times`, one grid per time,
 * so ParaView shows the time steps.  Rank 0 writes it (under a temporary name, renamed);
 * collective.  `xmf` (may be NULL) receives its path. */
PETSC_EXTERN PetscErrorCode StkH5WriteXdmfSeries(MPI_Comm comm, const char path[], const char group[], StkGrid grid, PetscInt nt, const PetscReal times[], PetscInt nfields, const char *const fields[], size_t len, char xmf[]);
PETSC_EXTERN PetscErrorCode StkH5ReadAttributeReal(StkH5 file, const char group[], const char name[], PetscReal *value);
PETSC_EXTERN PetscErrorCode StkH5ReadAttributeInt(StkH5 file, const char group[], const char name[], PetscInt *value);
PETSC_EXTERN PetscErrorCode StkH5ReadAttributeString(StkH5 file, const char group[], const char name[], size_t len, char value[]);
