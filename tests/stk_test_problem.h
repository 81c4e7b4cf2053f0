/* Building a solver for a test in a few lines: model type and dimension, grid sizes,
 * and solver options from an options string. */
#pragma once
#include "stk_test.h"
#include "stk_hjb.h"

typedef struct {
  StkModel  model;
  StkGrid   grid;
  StkSolver solver;
} StkTestProblem;

/* `options` (e.g. "-hjb_greedy exact -hjb_rtol 1e-10") form a fresh options database
 * used only while the objects are set up. */
static inline PetscErrorCode StkTestProblemCreate(const char type[], PetscInt dim, const PetscInt n[], const char options[], StkTestProblem *P)
{
  PetscOptions db;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsCreate(&db));
  if (options) PetscCall(PetscOptionsInsertString(db, options));
  PetscCall(PetscOptionsPush(db));
  PetscCall(StkModelCreate(PETSC_COMM_WORLD, &P->model));
  PetscCall(StkModelSetType(P->model, type));
  PetscCall(StkModelSetDimension(P->model, dim));
  PetscCall(StkModelSetFromOptions(P->model));
  PetscCall(StkGridCreate(PETSC_COMM_WORLD, &P->grid));
  PetscCall(StkModelConfigureGrid(P->model, P->grid));
  if (n) PetscCall(StkGridSetSizes(P->grid, n));
  PetscCall(StkGridSetUp(P->grid));
  PetscCall(StkSolverCreate(PETSC_COMM_WORLD, &P->solver));
  PetscCall(StkSolverSetModel(P->solver, P->model));
  PetscCall(StkSolverSetGrid(P->solver, P->grid));
  PetscCall(StkSolverSetFromOptions(P->solver));
  PetscCall(StkSolverSetUp(P->solver));
  PetscCall(PetscOptionsPop());
  PetscCall(PetscOptionsDestroy(&db));
  PetscFunctionReturn(0);
}

/* The same with the upwind scheme everywhere (-hjb_central 0; the default is central
 * where monotone): for tests of the upwind scheme's own properties. */
static inline PetscErrorCode StkTestProblemCreateUpwind(const char type[], PetscInt dim, const PetscInt n[], const char options[], StkTestProblem *P)
{
  char all[1024];

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(all, sizeof(all), "-hjb_central 0 %s", options ? options : ""));
  PetscCall(StkTestProblemCreate(type, dim, n, all, P));
  PetscFunctionReturn(0);
}

static inline PetscErrorCode StkTestProblemDestroy(StkTestProblem *P)
{
  PetscFunctionBeginUser;
  PetscCall(StkSolverDestroy(&P->solver));
  PetscCall(StkGridDestroy(&P->grid));
  PetscCall(StkModelDestroy(&P->model));
  PetscFunctionReturn(0);
}
