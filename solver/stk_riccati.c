/* Discounted continuous-time algebraic Riccati equation by Newton-Kleinman.
 *
 * With Atilde = A - rho/2 I, each Newton step solves the Lyapunov equation
 *   M' P + P M + Q + K' R K = 0,   M = Atilde - B K,
 * and updates K = R^-1 B' P.  From a stabilizing K0 the iterates stay stabilizing,
 * decrease monotonically and converge quadratically to the stabilizing solution.
 * Matrices are small (d x d, row-major); each Lyapunov equation is solved as a dense
 * d^2 x d^2 linear system (Gaussian elimination; d is tiny). */
#include "stk_riccati.h"

#define STK_RICCATI_MAXIT 50
#define STK_RICCATI_RTOL  1e-14

static PetscReal MaxAbs(PetscInt n, const PetscReal x[])
{
  PetscReal m = 0;
  for (PetscInt i = 0; i < n; i++) m = PetscMax(m, PetscAbsReal(x[i]));
  return m;
}

/* Gaussian elimination with partial pivoting on G X = Y (G n x n, Y n x nrhs, both
 * row-major, overwritten; X returned in Y).  *ok is false when a pivot is negligible
 * against the size of G, i.e. G is singular to working precision. */
static PetscErrorCode DenseSolve(PetscInt n, PetscReal G[], PetscInt nrhs, PetscReal Y[], PetscBool *ok)
{
  const PetscReal tiny = n * PETSC_MACHINE_EPSILON * MaxAbs(n * n, G);

  PetscFunctionBeginUser;
  *ok = PETSC_FALSE;
  for (PetscInt k = 0; k < n; k++) {
    PetscInt piv = k;
    for (PetscInt i = k + 1; i < n; i++)
      if (PetscAbsReal(G[i * n + k]) > PetscAbsReal(G[piv * n + k])) piv = i;
    if (!(PetscAbsReal(G[piv * n + k]) > tiny)) PetscFunctionReturn(0);
    if (piv != k) {
      for (PetscInt j = 0; j < n; j++) { const PetscReal t = G[k * n + j]; G[k * n + j] = G[piv * n + j]; G[piv * n + j] = t; }
      for (PetscInt j = 0; j < nrhs; j++) { const PetscReal t = Y[k * nrhs + j]; Y[k * nrhs + j] = Y[piv * nrhs + j]; Y[piv * nrhs + j] = t; }
    }
    for (PetscInt i = k + 1; i < n; i++) {
      const PetscReal f = G[i * n + k] / G[k * n + k];
      for (PetscInt j = k; j < n; j++) G[i * n + j] -= f * G[k * n + j];
      for (PetscInt j = 0; j < nrhs; j++) Y[i * nrhs + j] -= f * Y[k * nrhs + j];
    }
  }
  for (PetscInt k = n - 1; k >= 0; k--)
    for (PetscInt j = 0; j < nrhs; j++) {
      PetscReal v = Y[k * nrhs + j];
      for (PetscInt i = k + 1; i < n; i++) v -= G[k * n + i] * Y[i * nrhs + j];
      Y[k * nrhs + j] = v / G[k * n + k];
    }
  *ok = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/* Solve M' X + X M + C = 0 for X (d x d).  *ok is false when the Kronecker system is
 * singular, i.e. two eigenvalues of M sum to zero (the solution is not unique). */
static PetscErrorCode LyapunovSolve(PetscInt d, const PetscReal M[], const PetscReal C[], PetscReal X[], PetscBool *ok)
{
  const PetscInt n = d * d;
  PetscReal     *G;

  PetscFunctionBeginUser;
  PetscCall(PetscCalloc1(n * n, &G));
  /* Row i*d+j of (I kron M' + M' kron I) vec X = -vec C is entry (i,j); column k*d+l
   * is the unknown X[k][l]. */
  for (PetscInt i = 0; i < d; i++)
    for (PetscInt j = 0; j < d; j++) {
      const PetscInt row = i * d + j;
      for (PetscInt k = 0; k < d; k++) {
        G[row * n + k * d + j] += M[k * d + i]; /* (M' X)_ij */
        G[row * n + i * d + k] += M[k * d + j]; /* (X M)_ij  */
      }
      X[row] = -C[row];
    }
  PetscCall(DenseSolve(n, G, 1, X, ok));
  PetscCall(PetscFree(G));
  PetscFunctionReturn(0);
}

/* Is the symmetric part of X positive definite (Cholesky without a non-positive pivot)? */
static PetscErrorCode IsPositiveDefinite(PetscInt d, const PetscReal X[], PetscBool *spd)
{
  PetscReal *L;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(d * d, &L));
  for (PetscInt i = 0; i < d; i++)
    for (PetscInt j = 0; j < d; j++) L[i * d + j] = 0.5 * (X[i * d + j] + X[j * d + i]);
  *spd = PETSC_TRUE;
  for (PetscInt j = 0; j < d && *spd; j++) {
    PetscReal diag = L[j * d + j];
    for (PetscInt k = 0; k < j; k++) diag -= L[j * d + k] * L[j * d + k];
    if (!(diag > 0)) *spd = PETSC_FALSE;
    else {
      L[j * d + j] = PetscSqrtReal(diag);
      for (PetscInt i = j + 1; i < d; i++) {
        PetscReal v = L[i * d + j];
        for (PetscInt k = 0; k < j; k++) v -= L[i * d + k] * L[j * d + k];
        L[i * d + j] = v / L[j * d + j];
      }
    }
  }
  PetscCall(PetscFree(L));
  PetscFunctionReturn(0);
}

/* Lyapunov's theorem: M is Hurwitz iff M' X + X M + I = 0 has a (unique) SPD solution. */
static PetscErrorCode IsHurwitz(PetscInt d, const PetscReal M[], PetscBool *hurwitz)
{
  PetscReal *Id, *X;
  PetscBool  ok;

  PetscFunctionBeginUser;
  PetscCall(PetscCalloc2(d * d, &Id, d * d, &X));
  for (PetscInt i = 0; i < d; i++) Id[i * d + i] = 1;
  PetscCall(LyapunovSolve(d, M, Id, X, &ok));
  *hurwitz = PETSC_FALSE;
  if (ok) PetscCall(IsPositiveDefinite(d, X, hurwitz));
  PetscCall(PetscFree2(Id, X));
  PetscFunctionReturn(0);
}

/* Bass's method, for a B with zero entries: with beta > spectral radius of Atilde,
 * (Atilde + beta I) Z + Z (Atilde + beta I)' = 2 B B' has Z SPD iff (Atilde, B) is
 * controllable, and K = B' Z^-1 puts every closed-loop eigenvalue at real part -beta. */
static PetscErrorCode BassGain(PetscInt d, const PetscReal At[], const PetscReal B[], PetscReal K[])
{
  PetscReal *M, *C, *Z, *Zinv;
  PetscReal  beta, frob = 0;
  PetscBool  ok, spd = PETSC_FALSE;

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < d * d; i++) frob += At[i] * At[i];
  beta = 1 + PetscSqrtReal(frob); /* > spectral radius of At */
  PetscCall(PetscCalloc4(d * d, &M, d * d, &C, d * d, &Z, d * d, &Zinv));
  for (PetscInt i = 0; i < d; i++) {
    for (PetscInt j = 0; j < d; j++) M[i * d + j] = At[j * d + i] + (i == j ? beta : 0);
    C[i * d + i] = -2 * B[i] * B[i];
    Zinv[i * d + i] = 1;
  }
  PetscCall(LyapunovSolve(d, M, C, Z, &ok));
  if (ok) PetscCall(IsPositiveDefinite(d, Z, &spd));
  if (spd) PetscCall(DenseSolve(d, Z, d, Zinv, &ok));
  for (PetscInt c = 0; c < d; c++)
    for (PetscInt l = 0; l < d; l++) K[c * d + l] = B[c] * Zinv[c * d + l];
  PetscCall(PetscFree4(M, C, Z, Zinv));
  PetscCheck(spd, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Riccati: A - rho/2 I is not Hurwitz and B has a zero entry, and (A - rho/2 I, B) is not controllable: no stabilizing initial gain (the problem may be unstabilizable)");
  PetscCheck(ok, PETSC_COMM_SELF, PETSC_ERR_NOT_CONVERGED, "Riccati: the Bass Gramian is singular to working precision; (A - rho/2 I, B) is close to uncontrollable");
  PetscFunctionReturn(0);
}

/* A gain K0 with Atilde - B K0 Hurwitz: 0 if Atilde already is, else the gain that makes
 * the closed loop -alpha I (B invertible; alpha = 1 + max row sum |Atilde| bounds the
 * spectrum of Atilde), else Bass's method (B with zero entries). */
static PetscErrorCode InitialGain(PetscInt d, const PetscReal At[], const PetscReal B[], PetscReal K[])
{
  PetscReal  alpha = 0;
  PetscBool  hurwitz, invertible = PETSC_TRUE;
  PetscReal *M;

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < d; i++) {
    PetscReal row = 0;
    for (PetscInt j = 0; j < d; j++) row += PetscAbsReal(At[i * d + j]);
    alpha = PetscMax(alpha, row);
  }
  alpha += 1;
  PetscCall(PetscArrayzero(K, d * d));
  PetscCall(IsHurwitz(d, At, &hurwitz));
  if (hurwitz) PetscFunctionReturn(0);
  for (PetscInt c = 0; c < d; c++)
    if (B[c] == 0) invertible = PETSC_FALSE;
  if (invertible) {
    for (PetscInt c = 0; c < d; c++)
      for (PetscInt l = 0; l < d; l++) K[c * d + l] = (At[c * d + l] + (c == l ? alpha : 0)) / B[c];
    PetscFunctionReturn(0);
  }
  PetscCall(BassGain(d, At, B, K));
  PetscCall(PetscMalloc1(d * d, &M));
  for (PetscInt i = 0; i < d * d; i++) M[i] = At[i] - B[i / d] * K[i];
  PetscCall(IsHurwitz(d, M, &hurwitz));
  PetscCall(PetscFree(M));
  PetscCheck(hurwitz, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Riccati: could not find a stabilizing initial gain (B has a zero entry and A - rho/2 I is not Hurwitz)");
  PetscFunctionReturn(0);
}

/* One Newton-Kleinman step: P = cost of the gain K, then K = R^-1 B' P. */
static PetscErrorCode NewtonStep(PetscInt d, const PetscReal At[], const PetscReal B[], const PetscReal Q[], const PetscReal R[], PetscReal K[], PetscReal M[], PetscReal C[], PetscReal P[], PetscInt it)
{
  PetscBool ok;

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < d; i++)
    for (PetscInt j = 0; j < d; j++) {
      PetscReal krk = 0;
      for (PetscInt c = 0; c < d; c++) krk += K[c * d + i] * R[c] * K[c * d + j];
      M[i * d + j] = At[i * d + j] - B[i] * K[i * d + j];
      C[i * d + j] = Q[i * d + j] + krk;
    }
  PetscCall(LyapunovSolve(d, M, C, P, &ok));
  PetscCheck(ok, PETSC_COMM_SELF, PETSC_ERR_NOT_CONVERGED, "Riccati: Newton step %" PetscInt_FMT " met a singular Lyapunov equation (closed loop not stable)", it);
  for (PetscInt i = 0; i < d * d; i++) PetscCheck(!PetscIsInfOrNanReal(P[i]), PETSC_COMM_SELF, PETSC_ERR_FP, "Riccati: Newton step %" PetscInt_FMT " produced a non-finite P", it);
  for (PetscInt c = 0; c < d; c++)
    for (PetscInt l = 0; l < d; l++) K[c * d + l] = B[c] * P[c * d + l] / R[c];
  PetscFunctionReturn(0);
}

PetscErrorCode StkRiccatiSolve(PetscInt d, const PetscReal A[], const PetscReal B[], const PetscReal Q[], const PetscReal R[], PetscReal rho, PetscReal P[], PetscInt *its)
{
  PetscReal *At, *K, *M, *C, *Pnew, change = PETSC_MAX_REAL, prev = PETSC_MAX_REAL;
  PetscInt   it;
  PetscBool  converged = PETSC_FALSE;

  PetscFunctionBeginUser;
  PetscCheck(d >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Riccati: dimension must be >= 1, got %" PetscInt_FMT, d);
  for (PetscInt c = 0; c < d; c++) PetscCheck(R[c] > 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Riccati: R[%" PetscInt_FMT "] must be > 0, got %g", c, (double)R[c]);
  PetscCall(PetscMalloc5(d * d, &At, d * d, &K, d * d, &M, d * d, &C, d * d, &Pnew));
  for (PetscInt i = 0; i < d * d; i++) At[i] = A[i] - (i / d == i % d ? 0.5 * rho : 0);
  PetscCall(InitialGain(d, At, B, K));
  PetscCall(NewtonStep(d, At, B, Q, R, K, M, C, P, 1));
  for (it = 2; it <= STK_RICCATI_MAXIT && !converged; it++) {
    PetscReal scale;

    PetscCall(NewtonStep(d, At, B, Q, R, K, M, C, Pnew, it));
    prev  = change;
    scale = MaxAbs(d * d, Pnew);
    for (PetscInt i = 0; i < d * d; i++) M[i] = Pnew[i] - P[i];
    change = MaxAbs(d * d, M) / (scale > 0 ? scale : 1);
    PetscCall(PetscArraycpy(P, Pnew, d * d));
    /* Quadratic convergence: a change that stops shrinking at a tiny level is rounding. */
    converged = (change <= STK_RICCATI_RTOL || (change < 1e-10 && change >= prev)) ? PETSC_TRUE : PETSC_FALSE;
  }
  PetscCall(PetscFree5(At, K, M, C, Pnew));
  PetscCheck(converged, PETSC_COMM_SELF, PETSC_ERR_NOT_CONVERGED, "Riccati: Newton-Kleinman did not converge in %d iterations (last relative change of P %g)", STK_RICCATI_MAXIT, (double)change);
  for (PetscInt i = 0; i < d; i++)
    for (PetscInt j = i + 1; j < d; j++) P[i * d + j] = P[j * d + i] = 0.5 * (P[i * d + j] + P[j * d + i]);
  if (its) *its = it - 1;
  PetscFunctionReturn(0);
}

PetscReal StkRiccatiResidual(PetscInt d, const PetscReal A[], const PetscReal B[], const PetscReal Q[], const PetscReal R[], PetscReal rho, const PetscReal P[])
{
  PetscReal res = 0;

  for (PetscInt i = 0; i < d; i++)
    for (PetscInt j = 0; j < d; j++) {
      PetscReal r = Q[i * d + j] - 0.5 * rho * (P[i * d + j] + P[i * d + j]);
      for (PetscInt k = 0; k < d; k++) r += A[k * d + i] * P[k * d + j] + P[i * d + k] * A[k * d + j] - P[i * d + k] * B[k] * B[k] / R[k] * P[k * d + j];
      res = PetscMax(res, PetscAbsReal(r));
    }
  return res;
}

/* ------------------------------------------------------------------------------------ */
/* The coupled (regime-switching) system                                                */

#define STK_RICCATI_COUPLED_MAXIT 100000

/* Total switching rate out of regime i. */
static PetscReal RateOut(PetscInt M, const PetscReal q[], PetscInt i)
{
  PetscReal s = 0;
  for (PetscInt j = 0; j < M; j++)
    if (j != i) s += q[i * M + j];
  return s;
}

/* (diag(rho_i + q_i) - q_offdiag) c = tr(Sigma_i'P_i Sigma_i): an M-matrix system. */
static PetscErrorCode CoupledConstants(PetscInt M, PetscInt d, const PetscReal Sigma[], const PetscReal rho[], const PetscReal q[], const PetscReal P[], PetscReal c[])
{
  PetscReal *G;
  PetscBool  ok;

  PetscFunctionBeginUser;
  PetscCall(PetscCalloc1(M * M, &G));
  for (PetscInt i = 0; i < M; i++) {
    c[i] = 0;
    for (PetscInt k = 0; k < d; k++) c[i] += Sigma[i * d + k] * Sigma[i * d + k] * P[i * d * d + k * d + k];
    for (PetscInt j = 0; j < M; j++) G[i * M + j] = i == j ? rho[i] + RateOut(M, q, i) : -q[i * M + j];
  }
  PetscCall(DenseSolve(M, G, 1, c, &ok));
  PetscCall(PetscFree(G));
  PetscCheck(ok, PETSC_COMM_SELF, PETSC_ERR_NOT_CONVERGED, "Coupled Riccati: the system for the constants is singular");
  PetscFunctionReturn(0);
}

PetscErrorCode StkRiccatiSolveCoupled(PetscInt M, PetscInt d, const PetscReal A[], const PetscReal B[], const PetscReal Q[], const PetscReal R[], const PetscReal Sigma[], const PetscReal rho[], const PetscReal q[], PetscReal P[], PetscReal c[], PetscInt *its)
{
  const PetscInt dd = d * d;
  PetscReal     *Qi, *Pi, change = PETSC_MAX_REAL;
  PetscInt       it;

  PetscFunctionBeginUser;
  PetscCheck(M >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Coupled Riccati: number of regimes must be >= 1, got %" PetscInt_FMT, M);
  for (PetscInt i = 0; i < M; i++)
    for (PetscInt j = 0; j < M; j++) PetscCheck(i == j || q[i * M + j] >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Coupled Riccati: rate q[%" PetscInt_FMT "][%" PetscInt_FMT "] = %g must be >= 0", i, j, (double)q[i * M + j]);
  PetscCall(PetscMalloc2(dd, &Qi, dd, &Pi));
  PetscCall(PetscArrayzero(P, M * dd));
  for (it = 1; it <= STK_RICCATI_COUPLED_MAXIT && change > STK_RICCATI_RTOL; it++) {
    PetscReal diff = 0, scale = 0;
    for (PetscInt i = 0; i < M; i++) {
      /* regime i's Riccati equation with the other regimes' P_j frozen (Gauss-Seidel) */
      for (PetscInt e = 0; e < dd; e++) {
        Qi[e] = Q[i * dd + e];
        for (PetscInt j = 0; j < M; j++)
          if (j != i) Qi[e] += q[i * M + j] * P[j * dd + e];
      }
      PetscCall(StkRiccatiSolve(d, &A[i * dd], &B[i * d], Qi, &R[i * d], rho[i] + RateOut(M, q, i), Pi, NULL));
      for (PetscInt e = 0; e < dd; e++) {
        diff  = PetscMax(diff, PetscAbsReal(Pi[e] - P[i * dd + e]));
        scale = PetscMax(scale, PetscAbsReal(Pi[e]));
      }
      PetscCall(PetscArraycpy(&P[i * dd], Pi, dd));
    }
    change = diff / (scale > 0 ? scale : 1);
  }
  PetscCall(PetscFree2(Qi, Pi));
  PetscCheck(change <= STK_RICCATI_RTOL, PETSC_COMM_SELF, PETSC_ERR_NOT_CONVERGED, "Coupled Riccati: Gauss-Seidel did not converge in %d sweeps (last relative change of P %g)", STK_RICCATI_COUPLED_MAXIT, (double)change);
  PetscCall(CoupledConstants(M, d, Sigma, rho, q, P, c));
  if (its) *its = it - 1;
  PetscFunctionReturn(0);
}

PetscReal StkRiccatiCoupledResidual(PetscInt M, PetscInt d, const PetscReal A[], const PetscReal B[], const PetscReal Q[], const PetscReal R[], const PetscReal Sigma[], const PetscReal rho[], const PetscReal q[], const PetscReal P[], const PetscReal c[])
{
  const PetscInt dd  = d * d;
  PetscReal      res = 0;

  for (PetscInt i = 0; i < M; i++) {
    const PetscReal *Pi = &P[i * dd];
    PetscReal        rc = -rho[i] * c[i];
    for (PetscInt a = 0; a < d; a++)
      for (PetscInt b = 0; b < d; b++) {
        PetscReal r = Q[i * dd + a * d + b] - rho[i] * Pi[a * d + b];
        for (PetscInt k = 0; k < d; k++) r += A[i * dd + k * d + a] * Pi[k * d + b] + Pi[a * d + k] * A[i * dd + k * d + b] - Pi[a * d + k] * B[i * d + k] * B[i * d + k] / R[i * d + k] * Pi[k * d + b];
        for (PetscInt j = 0; j < M; j++)
          if (j != i) r += q[i * M + j] * (P[j * dd + a * d + b] - Pi[a * d + b]);
        res = PetscMax(res, PetscAbsReal(r));
      }
    for (PetscInt k = 0; k < d; k++) rc += Sigma[i * d + k] * Sigma[i * d + k] * Pi[k * d + k];
    for (PetscInt j = 0; j < M; j++)
      if (j != i) rc += q[i * M + j] * (c[j] - c[i]);
    res = PetscMax(res, PetscAbsReal(rc));
  }
  return res;
}
