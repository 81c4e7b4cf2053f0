/* Options prefixes the PETSc way.
 *
 * Every object reads bare option names ("-n", "-rho") under the prefix
 * USER + CLASS, where CLASS is the object's own part ("grid_", "hjb_", "agents_", ...)
 * and USER is what XxxSetOptionsPrefix / XxxAppendOptionsPrefix set (empty by
 * default).  So -grid_n is the grid's -n, and after StkGridSetOptionsPrefix(grid,
 * "bear_") the same grid reads -bear_grid_n; an object hands USER down to the objects it
 * owns, as SNES does to its KSP. */
#pragma once
#include <petscsys.h>

/* Replaces *prefix by a copy of p (NULL or "" clears it).  A prefix must not start
 * with '-' (PETSc's rule). */
PETSC_EXTERN PetscErrorCode StkOptionsPrefixSet(char **prefix, const char p[]);
/* Appends p to *prefix. */
PETSC_EXTERN PetscErrorCode StkOptionsPrefixAppend(char **prefix, const char p[]);
/* "a, b, c": the names of a registry (PetscFunctionList) in registration order, for
 * the "known:" part of error messages. */
PETSC_EXTERN PetscErrorCode StkFunctionListNames(PetscFunctionList list, char known[], size_t len);
/* out = user + cls (either may be NULL). */
PETSC_EXTERN PetscErrorCode StkOptionsPrefixCompose(const char user[], const char cls[], char out[], size_t len);

/* Memory guard: objects estimate the bytes a set-up will need on all ranks together
 * before they allocate and check them against a budget for all ranks together (the
 * program's -memory_budget, in GB). */
/* Sets the budget in bytes (<= 0: the default, 80 % of the physical memory of the
 * hosts the communicator spans: each host counted once, however many ranks it runs). */
PETSC_EXTERN PetscErrorCode StkMemorySetBudget(PetscReal bytes);
/* The budget in bytes for the ranks of `comm`.  Collective. */
PETSC_EXTERN PetscErrorCode StkMemoryGetBudget(MPI_Comm comm, PetscReal *bytes);
/* Fails with PETSC_ERR_USER_INPUT "WHAT: needs about X GB, more than the memory budget
 * ..." when `bytes` exceeds the budget; `what` starts with the options responsible
 * ("-grid_n 2147483647,17"). */
PETSC_EXTERN PetscErrorCode StkMemoryCheck(MPI_Comm comm, PetscReal bytes, const char what[]);

/* Parameter files under a prefix each, as `stakehjb solve -regime_files` and the
 * comparison's regimes use them: file F is inserted into the global options database
 * under the prefix of its name (StkOptionsPrefixFromPath: "data/bear.yaml" -> "bear_",
 * so its "hjb: {rho: 0.06}" becomes -bear_hjb_rho 0.06), and the user's options go on
 * top (the command line wins over the files): an unprefixed user option -N applies to
 * every file as -bear_N, a user option that already carries the prefix (-bear_N) to that
 * file only and wins over both.  After the objects have read their options,
 * StkPrefixedFilesFinish removes the copies nobody read (they were the user's options of
 * other objects) and marks an unprefixed user option read when a copy of it was. */
typedef struct _p_StkPrefixedFiles *StkPrefixedFiles;
/* "<basename without extension>_" in lower case, characters outside [a-z0-9_] made '_'. */
PETSC_EXTERN PetscErrorCode StkOptionsPrefixFromPath(const char path[], char prefix[], size_t len);
/* Takes a snapshot of the options not yet read and computes the prefixes; two files with
 * the same prefix are an error naming `option`. */
PETSC_EXTERN PetscErrorCode StkPrefixedFilesCreate(MPI_Comm comm, const char option[], PetscInt n, const char *const files[], StkPrefixedFiles *pf);
PETSC_EXTERN PetscErrorCode StkPrefixedFilesGetPrefix(StkPrefixedFiles pf, PetscInt i, const char **prefix);
/* Inserts every file (an unreadable one is an error naming `option` and the file) and the
 * user's options on top. */
PETSC_EXTERN PetscErrorCode StkPrefixedFilesInsert(StkPrefixedFiles pf);
PETSC_EXTERN PetscErrorCode StkPrefixedFilesFinish(StkPrefixedFiles pf);
PETSC_EXTERN PetscErrorCode StkPrefixedFilesDestroy(StkPrefixedFiles *pf);
