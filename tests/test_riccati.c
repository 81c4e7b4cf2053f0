/* The Riccati solver against closed forms and invariants, and the LQ model's exact
 * value against the HJB equation it must satisfy. */
#include "stk_test.h"
#include "stk_riccati.h"
#include "stk_model.h"
#include <string.h>

/* Default 2-D LQ data (must match stk_model_lq.c). */
static const PetscReal A2[4] = {-0.5, 0.2, 0.1, -0.3}, Q2[4] = {1, 0.3, 0.3, 0.8};
static const PetscReal B2[2] = {1, 0.8}, R2[2] = {1, 0.5}, S2[2] = {0.3, 0.2};
static const PetscReal RHO   = 0.05; /* StkModelCreate's default discount */

/* Closed-loop matrix Atilde - B R^-1 B' P of a 2x2 problem: Hurwitz iff trace < 0 < det. */
static void ClosedLoop2(const PetscReal A[], const PetscReal B[], const PetscReal R[], PetscReal rho, const PetscReal P[], PetscReal *tr, PetscReal *det)
{
  PetscReal M[4];

  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 2; j++) M[2 * i + j] = A[2 * i + j] - (i == j ? 0.5 * rho : 0) - B[i] * B[i] / R[i] * P[2 * i + j];
  *tr  = M[0] + M[3];
  *det = M[0] * M[3] - M[1] * M[2];
}

static void test_riccati_scalar_closed_form(void **state)
{
  /* a, b, q, r, rho: stable, unstable, strongly unstable, negative b, q = 0 with unstable a */
  const PetscReal cases[][5] = {
    {-0.5, 1.0, 1.0, 1.0, 0.05},
    {0.3, 2.0, 1.5, 0.7, 0.1},
    {2.0, 0.5, 3.0, 2.0, 0.05},
    {-1.0, -1.5, 0.2, 4.0, 0.3},
    {0.5, 1.0, 0.0, 1.0, 0.05},
  };

  (void)state;
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    const PetscReal a = cases[i][0], b = cases[i][1], q = cases[i][2], r = cases[i][3], rho = cases[i][4];
    const PetscReal at = a - rho / 2, pex = r / (b * b) * (at + PetscSqrtReal(at * at + q * b * b / r));
    PetscReal       P, res;
    PetscInt        its;

    assert_petsc(StkRiccatiSolve(1, &a, &b, &q, &r, rho, &P, &its));
    res = StkRiccatiResidual(1, &a, &b, &q, &r, rho, &P);
    print_message("scalar a=%g b=%g q=%g r=%g rho=%g: P=%.15g (exact %.15g), %d its, residual %.2e\n", a, b, q, r, rho, P, pex, (int)its, res);
    assert_close(P, pex, 1e-12, 0);
    assert_true(res <= 1e-12 * PetscMax(q, 1));
    assert_true(at - b * b / r * P < 0); /* stabilizing root */
  }
}

static void test_riccati_2x2_default(void **state)
{
  PetscReal P[4], tr, det, res;
  PetscInt  its;

  (void)state;
  assert_petsc(StkRiccatiSolve(2, A2, B2, Q2, R2, RHO, P, &its));
  res = StkRiccatiResidual(2, A2, B2, Q2, R2, RHO, P);
  ClosedLoop2(A2, B2, R2, RHO, P, &tr, &det);
  print_message("2x2 default: P = [%.15g %.15g; %.15g %.15g], %d its, residual %.2e, closed loop tr %g det %g\n", P[0], P[1], P[2], P[3], (int)its, res, tr, det);
  assert_true(res <= 1e-12 * 1.0);
  assert_true(P[1] == P[2]);
  assert_true(P[0] > 0 && P[0] * P[3] - P[1] * P[2] > 0);
  assert_true(tr < 0 && det > 0);
  assert_in_range(its, 2, 50);
}

/* Unstable A with invertible B (gain -alpha I start), and B = [1, 0] with a controllable
 * pair (Bass start). */
static void test_riccati_2x2_unstable(void **state)
{
  const PetscReal A[2][4] = {{0.4, -0.3, 0.5, 0.2}, {0.5, 0.0, 1.0, 0.2}};
  const PetscReal B[2][2] = {{1.0, -0.6}, {1.0, 0.0}};
  const PetscReal Q[4] = {2, -0.5, -0.5, 1}, R[2] = {0.3, 2};

  (void)state;
  for (int c = 0; c < 2; c++) {
    PetscReal P[4], tr, det, res;
    PetscInt  its;

    assert_petsc(StkRiccatiSolve(2, A[c], B[c], Q, R, RHO, P, &its));
    res = StkRiccatiResidual(2, A[c], B[c], Q, R, RHO, P);
    ClosedLoop2(A[c], B[c], R, RHO, P, &tr, &det);
    print_message("2x2 unstable case %d: %d its, residual %.2e, closed loop tr %g det %g\n", c, (int)its, res, tr, det);
    assert_true(res <= 1e-12 * 2);
    assert_true(P[0] > 0 && P[0] * P[3] - P[1] * P[2] > 0);
    assert_true(tr < 0 && det > 0);
  }
}

/* A 3x3 problem (the solver supports any d) and an unstabilizable one that must fail. */
static void test_riccati_3x3_and_unstabilizable(void **state)
{
  const PetscReal A3[9] = {0.2, 0.1, 0, -0.3, -0.1, 0.4, 0.05, 0, 0.3}, B3[3] = {1, 2, 0.5};
  const PetscReal Q3[9] = {1, 0, 0.1, 0, 2, 0, 0.1, 0, 0.5}, R3[3] = {1, 0.2, 3};
  const PetscReal Au[4] = {0.5, 0, 0, 0.5}, Bu[2] = {1, 0}, Qu[4] = {1, 0, 0, 1}, Ru[2] = {1, 1};
  PetscReal       P[9], res;
  PetscInt        its;
  PetscErrorCode  ierr;
  char           *msg = NULL;

  (void)state;
  assert_petsc(StkRiccatiSolve(3, A3, B3, Q3, R3, RHO, P, &its));
  res = StkRiccatiResidual(3, A3, B3, Q3, R3, RHO, P);
  print_message("3x3: %d its, residual %.2e\n", (int)its, res);
  assert_true(res <= 1e-12 * 2);
  /* x1 is unactuated, uncoupled and unstable (0.5 - rho/2 > 0): no stabilizing solution */
  assert_petsc(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = StkRiccatiSolve(2, Au, Bu, Qu, Ru, RHO, P, &its);
  assert_petsc(PetscPopErrorHandler());
  assert_int_not_equal(ierr, 0);
  PetscErrorMessage(ierr, NULL, &msg);
  print_message("unstabilizable: %s\n", msg ? msg : "(no message)");
  assert_non_null(msg);
  assert_non_null(strstr(msg, "unstabilizable"));
}

/* Closed loop M = Atilde - B R^-1 B' P of a 3x3 problem is Hurwitz iff its characteristic
 * polynomial s^3 + c2 s^2 + c1 s + c0 passes Routh-Hurwitz: c2 > 0, c0 > 0, c2 c1 > c0. */
static PetscBool ClosedLoopHurwitz3(const PetscReal A[], const PetscReal B[], const PetscReal R[], PetscReal rho, const PetscReal P[])
{
  PetscReal M[9], c2, c1, c0;

  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) M[3 * i + j] = A[3 * i + j] - (i == j ? 0.5 * rho : 0) - B[i] * B[i] / R[i] * P[3 * i + j];
  c2 = -(M[0] + M[4] + M[8]);
  c1 = M[0] * M[4] - M[1] * M[3] + M[0] * M[8] - M[2] * M[6] + M[4] * M[8] - M[5] * M[7];
  c0 = -(M[0] * (M[4] * M[8] - M[5] * M[7]) - M[1] * (M[3] * M[8] - M[5] * M[6]) + M[2] * (M[3] * M[7] - M[4] * M[6]));
  return (c2 > 0 && c0 > 0 && c2 * c1 > c0) ? PETSC_TRUE : PETSC_FALSE;
}

/* Random 3x3 problems: A with entries in [-1, 1] (often unstable), B invertible (so the pair
 * is stabilizable), Q = G'G + 0.1 I, R in [0.2, 2]. */
static void test_riccati_3x3_random(void **state)
{
  PetscRandom rnd;
  PetscReal   worst = 0;
  PetscInt    maxits = 0;

  (void)state;
  assert_petsc(PetscRandomCreate(PETSC_COMM_SELF, &rnd));
  assert_petsc(PetscRandomSetInterval(rnd, -1, 1));
  for (int n = 0; n < 20; n++) {
    PetscReal A[9], B[3], G[9], Q[9], R[3], P[9], res, scale = 0;
    PetscInt  its;

    for (int i = 0; i < 9; i++) assert_petsc(PetscRandomGetValueReal(rnd, &A[i]));
    for (int i = 0; i < 9; i++) assert_petsc(PetscRandomGetValueReal(rnd, &G[i]));
    for (int i = 0; i < 3; i++) {
      PetscReal v, w;
      assert_petsc(PetscRandomGetValueReal(rnd, &v));
      assert_petsc(PetscRandomGetValueReal(rnd, &w));
      B[i] = (v < 0 ? -1 : 1) * (0.5 + PetscAbsReal(v)); /* |B_i| in [0.5, 1.5] */
      R[i] = 0.2 + 0.9 * (w + 1);                       /* in [0.2, 2] */
    }
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++) {
        Q[3 * i + j] = i == j ? 0.1 : 0;
        for (int k = 0; k < 3; k++) Q[3 * i + j] += G[3 * k + i] * G[3 * k + j];
      }
    assert_petsc(StkRiccatiSolve(3, A, B, Q, R, RHO, P, &its));
    res = StkRiccatiResidual(3, A, B, Q, R, RHO, P);
    for (int i = 0; i < 9; i++) scale = PetscMax(scale, PetscMax(PetscAbsReal(Q[i]), PetscAbsReal(P[i])));
    assert_true(res <= 1e-12 * scale);
    assert_true(ClosedLoopHurwitz3(A, B, R, RHO, P));
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++) assert_true(P[3 * i + j] == P[3 * j + i]);
    worst  = PetscMax(worst, res / scale);
    maxits = PetscMax(maxits, its);
  }
  print_message("20 random 3x3: max residual / max(|Q|,|P|) %.2e, at most %d Newton-Kleinman its\n", worst, (int)maxits);
  assert_petsc(PetscRandomDestroy(&rnd));
}

static PetscErrorCode CreateLQ(PetscInt dim, StkModel *m)
{
  PetscFunctionBeginUser;
  PetscCall(StkModelCreate(PETSC_COMM_WORLD, m));
  PetscCall(StkModelSetType(*m, STK_MODEL_LQ));
  PetscCall(StkModelSetDimension(*m, dim));
  PetscFunctionReturn(0);
}

/* rho V - H with H = l + b.grad V + sum a_k V_kk at the given u; *scale sums the terms' sizes. */
static PetscReal HJBResidual(StkModel m, PetscInt d, const PetscReal x[], const PetscReal u[], PetscReal V, const PetscReal g[], const PetscReal Vkk[], PetscReal *scale)
{
  PetscReal l, b[2], a[2], rhs;

  StkModelCost(m, x, u, &l);
  StkModelDrift(m, x, u, b);
  StkModelDiffusion(m, x, u, a);
  rhs    = l;
  *scale = RHO * PetscAbsReal(V) + PetscAbsReal(l);
  for (PetscInt k = 0; k < d; k++) {
    rhs += b[k] * g[k] + a[k] * Vkk[k];
    *scale += PetscAbsReal(b[k] * g[k]) + PetscAbsReal(a[k] * Vkk[k]);
  }
  return RHO * V - rhs;
}

/* Hamiltonian l + b.grad V (the part that depends on u). */
static PetscReal Hamiltonian(StkModel m, PetscInt d, const PetscReal x[], const PetscReal u[], const PetscReal g[])
{
  PetscReal l, b[2];

  StkModelCost(m, x, u, &l);
  StkModelDrift(m, x, u, b);
  for (PetscInt k = 0; k < d; k++) l += b[k] * g[k];
  return l;
}

/* The default model's data of dimension d (1-D: a = -0.5, b = q = r = 1, sigma = 0.3). */
static void DefaultData(PetscInt d, const PetscReal **A, const PetscReal **B, const PetscReal **Q, const PetscReal **R, const PetscReal **S)
{
  static const PetscReal A1 = -0.5, one = 1, S1 = 0.3;

  *A = d == 1 ? &A1 : A2;
  *B = d == 1 ? &one : B2;
  *Q = d == 1 ? &one : Q2;
  *R = d == 1 ? &one : R2;
  *S = d == 1 ? &S1 : S2;
}

/* The exact value satisfies the HJB equation at 50 random points, with analytic and with
 * finite-difference derivatives; the greedy control is u* and minimizes the Hamiltonian. */
static void check_lq_model_hjb(PetscInt d)
{
  const PetscReal h = 1e-4;
  const PetscReal *A, *B, *Q, *R, *S;
  StkModel        m;
  PetscRandom     rnd;
  PetscReal       P[4], lo[2], hi[2], V0, trace = 0, worst_an = 0, worst_fd = 0;
  PetscInt        nu, its;
  StkBoundaryType bc;

  DefaultData(d, &A, &B, &Q, &R, &S);
  assert_petsc(StkRiccatiSolve(d, A, B, Q, R, RHO, P, &its));
  assert_petsc(CreateLQ(d, &m));
  assert_petsc(StkModelSetUp(m));
  assert_petsc(StkModelGetNumControls(m, &nu));
  assert_int_equal(nu, d);
  assert_petsc(StkModelGetDefaultBox(m, lo, hi));
  assert_close(lo[0], -1, 0, 0);
  assert_close(hi[d - 1], 1, 0, 0);
  assert_petsc(StkModelGetBoundaryType(m, d - 1, 0, &bc));
  assert_int_equal(bc, STK_BC_DIRICHLET);
  for (PetscInt k = 0; k < d; k++) trace += S[k] * S[k] * P[k * d + k];
  assert_petsc(StkModelExactValue(m, (PetscReal[]){0, 0}, &V0));
  assert_close(V0, trace / RHO, 1e-14, 0);
  assert_petsc(PetscRandomCreate(PETSC_COMM_SELF, &rnd));
  assert_petsc(PetscRandomSetInterval(rnd, -1, 1));
  for (int n = 0; n < 50; n++) {
    PetscReal x[2] = {0, 0}, u[2] = {0, 0}, V, g[2], Vkk[2], gfd[2], Vkkfd[2], r, scale, H0;

    for (PetscInt k = 0; k < d; k++) assert_petsc(PetscRandomGetValueReal(rnd, &x[k]));
    assert_petsc(StkModelExactValue(m, x, &V));
    for (PetscInt k = 0; k < d; k++) {
      PetscReal xp[2] = {x[0], x[1]}, xm[2] = {x[0], x[1]}, Vp, Vm, G;

      xp[k] += h;
      xm[k] -= h;
      assert_petsc(StkModelExactValue(m, xp, &Vp));
      assert_petsc(StkModelExactValue(m, xm, &Vm));
      assert_petsc(StkModelDirichlet(m, xp, &G));
      assert_close(G, Vp, 0, 0);
      g[k] = 0;
      for (PetscInt j = 0; j < d; j++) g[k] += 2 * P[k * d + j] * x[j];
      Vkk[k]   = 2 * P[k * d + k];
      gfd[k]   = (Vp - Vm) / (2 * h);
      Vkkfd[k] = (Vp - 2 * V + Vm) / (h * h);
    }
    for (PetscInt c = 0; c < d; c++) {
      PetscInt k;
      assert_petsc(StkModelGetControlDirection(m, c, &k));
      assert_int_equal(k, c);
      assert_petsc(StkModelGreedy(m, x, c, g[k], 0.0, u, &u[c]));
      assert_close(u[c], -B[c] * g[c] / (2 * R[c]), 1e-14, 1e-15);
    }
    r = HJBResidual(m, d, x, u, V, g, Vkk, &scale);
    assert_close(r / scale, 0, 0, 1e-12);
    worst_an = PetscMax(worst_an, PetscAbsReal(r / scale));
    r = HJBResidual(m, d, x, u, V, gfd, Vkkfd, &scale);
    assert_close(r / scale, 0, 0, 1e-6);
    worst_fd = PetscMax(worst_fd, PetscAbsReal(r / scale));
    /* u* minimizes the Hamiltonian: a move by delta in u_c raises it by exactly R_c delta^2 */
    H0 = Hamiltonian(m, d, x, u, g);
    for (PetscInt c = 0; c < d; c++)
      for (int s = -1; s <= 1; s += 2) {
        PetscReal up[2] = {u[0], u[1]};
        up[c] += s * 0.1;
        assert_close(Hamiltonian(m, d, x, up, g) - H0, R[c] * 0.01, 1e-9, 0);
      }
  }
  print_message("LQ %d-D HJB at 50 random points: max relative residual %.2e (analytic derivatives), %.2e (finite differences, h = %g)\n", (int)d, worst_an, worst_fd, h);
  assert_petsc(PetscRandomDestroy(&rnd));
  assert_petsc(StkModelView(m, PETSC_VIEWER_STDOUT_WORLD));
  assert_petsc(StkModelDestroy(&m));
}

static void test_lq_model_hjb_2d(void **state)
{
  (void)state;
  check_lq_model_hjb(2);
}

static void test_lq_model_hjb_1d(void **state)
{
  (void)state;
  check_lq_model_hjb(1);
}

/* 1-D model configured through options, against the scalar closed form. */
static void test_lq_model_1d_options(void **state)
{
  const PetscReal a = 0.3, b = 2, q = 1.5, r = 0.7, sig = 0.4, rho = 0.1;
  const PetscReal at = a - rho / 2, p = r / (b * b) * (at + PetscSqrtReal(at * at + q * b * b / r));
  StkModel        m;
  PetscReal       V, lo, hi, uc, drift, x = 0.7, u = 0.25;

  (void)state;
  assert_petsc(PetscOptionsSetValue(NULL, "-model", "lq"));
  assert_petsc(PetscOptionsSetValue(NULL, "-lq_a", "0.3"));
  assert_petsc(PetscOptionsSetValue(NULL, "-lq_b", "2"));
  assert_petsc(PetscOptionsSetValue(NULL, "-lq_q", "1.5"));
  assert_petsc(PetscOptionsSetValue(NULL, "-lq_r", "0.7"));
  assert_petsc(PetscOptionsSetValue(NULL, "-lq_sigma", "0.4"));
  assert_petsc(PetscOptionsSetValue(NULL, "-hjb_rho", "0.1"));
  assert_petsc(PetscOptionsSetValue(NULL, "-lq_box", "2"));
  assert_petsc(PetscOptionsSetValue(NULL, "-lq_umax", "50"));
  assert_petsc(CreateLQ(1, &m));
  assert_petsc(StkModelSetFromOptions(m));
  assert_petsc(PetscOptionsClear(NULL));
  assert_petsc(StkModelSetUp(m));
  assert_petsc(StkModelExactValue(m, &x, &V));
  assert_close(V, p * x * x + sig * sig * p / rho, 1e-12, 0);
  assert_petsc(StkModelDrift(m, &x, &u, &drift));
  assert_close(drift, a * x + b * u, 1e-15, 0);
  assert_petsc(StkModelGetDefaultBox(m, &lo, &hi));
  assert_close(hi, 2, 0, 0);
  assert_petsc(StkModelGetControlBounds(m, 0, &lo, &hi));
  assert_close(lo, -50, 0, 0);
  assert_close(hi, 50, 0, 0);
  assert_petsc(StkModelGreedy(m, &x, 0, 1e3, 0.0, &u, &uc)); /* unclipped value -1428.6 */
  assert_close(uc, -50, 0, 0);
  assert_petsc(StkModelGreedy(m, &x, 0, 0.14, 0.0, &u, &uc));
  assert_close(uc, -0.2, 1e-14, 0);
  assert_petsc(StkModelDestroy(&m));
}

/* Each bad option makes StkModelSetFromOptions fail with a message naming it. */
static void test_lq_options_errors(void **state)
{
  const struct {
    PetscInt    dim;
    const char *name, *value, *message;
  } bad[] = {
    {2, "-lq_a", "1,2,3", "-lq_a needs 4 values (row-major 2x2), got 3"},
    {2, "-lq_b", "1,2,3", "-lq_b needs 2 values"},
    {1, "-lq_r", "0", "-lq_r must be > 0, got 0"},
    {2, "-lq_r", "1,-2", "-lq_r must be > 0, got -2"},
    {1, "-lq_sigma", "-0.1", "-lq_sigma: negative volatility -0.1"},
    {2, "-lq_q", "1,0.3,0.2,0.8", "-lq_q must be symmetric"},
    {2, "-lq_q", "1,2,2,1", "-lq_q must be positive semidefinite"},
    {1, "-lq_umax", "0", "-lq_umax must be > 0"},
    {2, "-lq_box", "-1", "-lq_box must be > 0, got -1"},
  };

  (void)state;
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    StkModel       m;
    PetscErrorCode ierr;
    char          *msg = NULL;

    assert_petsc(CreateLQ(bad[i].dim, &m)); /* fresh: a failed read may leave values behind */
    assert_petsc(PetscOptionsSetValue(NULL, "-model", "lq")); /* SetFromOptions reads -model */
    assert_petsc(PetscOptionsSetValue(NULL, bad[i].name, bad[i].value));
    assert_petsc(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = StkModelSetFromOptions(m);
    assert_petsc(PetscPopErrorHandler());
    assert_petsc(PetscOptionsClearValue(NULL, bad[i].name));
    assert_petsc(PetscOptionsClearValue(NULL, "-model"));
    assert_int_not_equal(ierr, 0);
    PetscErrorMessage(ierr, NULL, &msg);
    print_message("%s %s -> %s\n", bad[i].name, bad[i].value, msg ? msg : "(no message)");
    assert_non_null(msg);
    assert_non_null(strstr(msg, bad[i].message));
    assert_petsc(StkModelDestroy(&m));
  }
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(test_riccati_scalar_closed_form),
  cmocka_unit_test(test_riccati_2x2_default),
  cmocka_unit_test(test_riccati_2x2_unstable),
  cmocka_unit_test(test_riccati_3x3_and_unstabilizable),
  cmocka_unit_test(test_riccati_3x3_random),
  cmocka_unit_test(test_lq_model_hjb_2d),
  cmocka_unit_test(test_lq_model_hjb_1d),
  cmocka_unit_test(test_lq_model_1d_options),
  cmocka_unit_test(test_lq_options_errors),
};

STK_TEST_MAIN(tests)
