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
static inline PetscErrorCode StkTestProblemCreateOn(MPI_Comm comm, const char type[], PetscInt dim, const PetscInt n[], const char options[], StkTestProblem *P)
{
  PetscOptions db;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsCreate(&db));
  if (options) PetscCall(PetscOptionsInsertString(db, options));
  PetscCall(PetscOptionsPush(db));
  PetscCall(StkModelCreate(comm, &P->model));
  PetscCall(StkModelSetType(P->model, type));
  PetscCall(StkModelSetDimension(P->model, dim));
  PetscCall(StkModelSetFromOptions(P->model));
  PetscCall(StkGridCreate(comm, &P->grid));
  PetscCall(StkModelConfigureGrid(P->model, P->grid));
  if (n) PetscCall(StkGridSetSizes(P->grid, n));
  PetscCall(StkGridSetUp(P->grid));
  PetscCall(StkSolverCreate(comm, &P->solver));
  PetscCall(StkSolverSetModel(P->solver, P->model));
  PetscCall(StkSolverSetGrid(P->solver, P->grid));
  PetscCall(StkSolverSetFromOptions(P->solver));
  PetscCall(StkSolverSetUp(P->solver));
  PetscCall(PetscOptionsPop());
  PetscCall(PetscOptionsDestroy(&db));
  PetscFunctionReturn(0);
}

/* The problem on PETSC_COMM_WORLD. */
static inline PetscErrorCode StkTestProblemCreate(const char type[], PetscInt dim, const PetscInt n[], const char options[], StkTestProblem *P)
{
  return StkTestProblemCreateOn(PETSC_COMM_WORLD, type, dim, n, options, P);
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

/* Asserts that every owned row of A is an M-matrix row of the discount rho: diagonal > 0,
 * off-diagonals <= 0, at most max_entries nonzeros, diagonal minus the off-diagonal sum =
 * rho (generator rows sum to 0); counts in *full the rows with max_entries nonzeros. */
static inline void StkTestAssertMMatrixRows(Mat A, PetscReal rho, PetscInt max_entries, PetscInt *full)
{
  PetscInt rstart, rend;

  assert_petsc(MatGetOwnershipRange(A, &rstart, &rend));
  for (PetscInt r = rstart; r < rend; r++) {
    PetscInt           ncols, nonzero = 0;
    const PetscInt    *cols;
    const PetscScalar *vals;
    PetscReal          diag = 0, off = 0;
    assert_petsc(MatGetRow(A, r, &ncols, &cols, &vals));
    for (PetscInt j = 0; j < ncols; j++) {
      if (vals[j] != 0) nonzero++;
      if (cols[j] == r) diag = PetscRealPart(vals[j]);
      else {
        assert_true(PetscRealPart(vals[j]) <= 0);
        off += -PetscRealPart(vals[j]);
      }
    }
    assert_petsc(MatRestoreRow(A, r, &ncols, &cols, &vals));
    assert_true(diag > 0);
    assert_true(nonzero <= max_entries);
    if (nonzero == max_entries) (*full)++;
    assert_close(diag - off, rho, 1e-10, 0);
  }
}

static inline PetscErrorCode StkTestProblemDestroy(StkTestProblem *P)
{
  PetscFunctionBeginUser;
  PetscCall(StkSolverDestroy(&P->solver));
  PetscCall(StkGridDestroy(&P->grid));
  PetscCall(StkModelDestroy(&P->model));
  PetscFunctionReturn(0);
}
