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
/* The regime-switching LQ problem (docs/model.md#regime-switching): M regimes with their
 * own A_i, B_i, Q_i, R_i, Sigma_i and discount rho_i, switching with intensities q_ij.
 * V_i(x) = x'P_i x + c_i with
 *   rho_i P_i = Q_i + A_i'P_i + P_i A_i - P_i B_i R_i^-1 B_i'P_i + sum_j q_ij (P_j - P_i),
 *   rho_i c_i = tr(Sigma_i'P_i Sigma_i) + sum_j q_ij (c_j - c_i),
 * solved by block Gauss-Seidel over the regimes (each block a discounted Riccati equation
 * with rate rho_i + sum_j q_ij and state cost Q_i + sum_j q_ij P_j, StkRiccatiSolve),
 * then the M x M linear system for c.  Arrays regime after regime: A, Q, P: M d x d
 * row-major; B, R, Sigma: M diagonals of length d; rho, c: M; q: M x M row-major
 * (diagonal ignored, entries >= 0).  its: Gauss-Seidel sweeps (may be NULL). */
PETSC_EXTERN PetscErrorCode StkRiccatiSolveCoupled(PetscInt M, PetscInt d, const PetscReal A[], const PetscReal B[], const PetscReal Q[], const PetscReal R[], const PetscReal Sigma[], const PetscReal rho[], const PetscReal q[], PetscReal P[], PetscReal c[], PetscInt *its);
/* Max-abs entry of the coupled Riccati residuals (for P) and of the equations for c. */
PETSC_EXTERN PetscReal StkRiccatiCoupledResidual(PetscInt M, PetscInt d, const PetscReal A[], const PetscReal B[], const PetscReal Q[], const PetscReal R[], const PetscReal Sigma[], const PetscReal rho[], const PetscReal q[], const PetscReal P[], const PetscReal c[]);
