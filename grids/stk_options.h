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
