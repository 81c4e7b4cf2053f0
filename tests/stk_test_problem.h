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

/* The distance of P's solution from the reference R's on the same grid: max |V - V_R| /
 * max |V_R| and max |u - u_R| / the range of control 0. */
static inline void StkTestSolutionDistance(const StkTestProblem *R, const StkTestProblem *P, PetscReal *dv, PetscReal *du)
{
  Vec       Vr, ur, V, u, d;
  PetscReal vmax, lo, hi;

  assert_petsc(StkSolverGetValue(R->solver, &Vr));
  assert_petsc(StkSolverGetPolicy(R->solver, &ur));
  assert_petsc(StkSolverGetValue(P->solver, &V));
  assert_petsc(StkSolverGetPolicy(P->solver, &u));
  assert_petsc(VecNorm(Vr, NORM_INFINITY, &vmax));
  assert_petsc(VecDuplicate(V, &d));
  assert_petsc(VecWAXPY(d, -1.0, Vr, V));
  assert_petsc(VecNorm(d, NORM_INFINITY, dv));
  *dv /= vmax;
  assert_petsc(VecDestroy(&d));
  assert_petsc(VecDuplicate(u, &d));
  assert_petsc(VecWAXPY(d, -1.0, ur, u));
  assert_petsc(VecNorm(d, NORM_INFINITY, du));
  assert_petsc(StkModelGetControlBounds(P->model, 0, &lo, &hi));
  *du /= hi - lo;
  assert_petsc(VecDestroy(&d));
}

static inline PetscErrorCode StkTestProblemDestroy(StkTestProblem *P)
{
  PetscFunctionBeginUser;
  PetscCall(StkSolverDestroy(&P->solver));
  PetscCall(StkGridDestroy(&P->grid));
  PetscCall(StkModelDestroy(&P->model));
  PetscFunctionReturn(0);
}
