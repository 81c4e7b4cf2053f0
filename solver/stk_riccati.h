/* Continuous-time algebraic Riccati equation of the discounted LQ problem:
 *   (A - rho/2 I)' P + P (A - rho/2 I) - P B R^-1 B' P + Q = 0,
 * solved by Newton-Kleinman (each step a small Lyapunov equation solved densely). */
#pragma once
#include <petscsys.h>

/* A, Q: d x d row-major; B, R: diagonals (length d), R > 0; P: d x d output.
 * Fails with a clear message if no stabilizing solution is found. */
PETSC_EXTERN PetscErrorCode StkRiccatiSolve(PetscInt d, const PetscReal A[], const PetscReal B[], const PetscReal Q[], const PetscReal R[], PetscReal rho, PetscReal P[], PetscInt *its);
/* Max-abs entry of the Riccati residual, for checks. */
PETSC_EXTERN PetscReal StkRiccatiResidual(PetscInt d, const PetscReal A[], const PetscReal B[], const PetscReal Q[], const PetscReal R[], PetscReal rho, const PetscReal P[]);
