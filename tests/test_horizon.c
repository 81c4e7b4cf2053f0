/* Finite horizon and the forward equation in time (solver/stk_horizon.c): the LQ value
 * against the Riccati ODE (order 1 in dt and in h), the terminal cost, mass and positivity
 * of the density in time, its first moment against the closed-loop mean ODE, the long-
 * horizon limits (stationary V and density), the stored series and the file. */
#include "stk_test_problem.h"
#include <unistd.h>

/* The 1-D LQ problem of these tests: a = -0.5, b = q = r = 1, sigma = 0.3 (the lq
 * defaults), rho = 1, P_T = 2, T = 1, box [-2, 2]; errors on |x| <= 1, where the
 * stationary Dirichlet data at |x| = 2 do not reach within the horizon. */
#define LQ_A     (-0.5)
#define LQ_SIGMA 0.3
#define LQ_RHO   1.0
#define LQ_PT    2.0
#define LQ_T     1.0
#define LQ_OPTIONS "-lq_box 2 -lq_terminal_p 2 -hjb_rho 1 -hjb_horizon 1 -hjb_central 0 -hjb_rtol 1e-10"

/* dP/dt = rho P - q - 2 a P + b^2 P^2 / r, dc/dt = rho c - sigma^2 P, backward from
 * (P_T, 0) at T to t by RK4 with many steps. */
static void RiccatiODE(PetscReal t, PetscReal *P, PetscReal *c)
{
  const PetscInt N = 20000;
  const PetscReal h = (LQ_T - t) / N;
  PetscReal       y[2] = {LQ_PT, 0};

  for (PetscInt i = 0; i < N; i++) {
    PetscReal k[4][2], z[2];
    for (int s = 0; s < 4; s++) {
      const PetscReal w = s == 0 ? 0 : (s == 3 ? h : h / 2);
      for (int j = 0; j < 2; j++) z[j] = y[j] - (s ? w * k[s - 1][j] : 0);
      k[s][0] = LQ_RHO * z[0] - 1 - 2 * LQ_A * z[0] + z[0] * z[0];
      k[s][1] = LQ_RHO * z[1] - LQ_SIGMA * LQ_SIGMA * z[0];
    }
    for (int j = 0; j < 2; j++) y[j] -= h / 6 * (k[0][j] + 2 * k[1][j] + 2 * k[2][j] + k[3][j]);
  }
  *P = y[0];
  *c = y[1];
}

/* max over the nodes with |x| <= 1 of |V - (P(t) x^2 + c(t))| (collective). */
static PetscReal LQError(StkTestProblem *Pr, Vec V, PetscReal t)
{
  const PetscReal   *x;
  const PetscScalar *v;
  PetscInt           lo, hi;
  PetscReal          P, c, err = 0;

  RiccatiODE(t, &P, &c);
  assert_petsc(StkGridGetCoordinates(Pr->grid, 0, &x));
  assert_petsc(VecGetOwnershipRange(V, &lo, &hi));
  assert_petsc(VecGetArrayRead(V, &v));
  for (PetscInt i = lo; i < hi; i++)
    if (PetscAbsReal(x[i]) <= 1) err = PetscMax(err, PetscAbsReal(v[i - lo] - (P * x[i] * x[i] + c)));
  assert_petsc(VecRestoreArrayRead(V, &v));
  assert_int_equal(MPI_Allreduce(MPI_IN_PLACE, &err, 1, MPIU_REAL, MPIU_MAX, PETSC_COMM_WORLD), 0);
  return err;
}

/* The error at t = 0 of the 1-D LQ finite horizon with n nodes and K steps. */
static PetscReal LQRun(PetscInt n, PetscInt K)
{
  StkTestProblem  Pr;
  char            opts[256];
  Vec             V;
  PetscReal       err, T;
  PetscInt        Ks, nt;
  StkHorizonStats st;

  assert_petsc(PetscSNPrintf(opts, sizeof(opts), "%s -hjb_time_steps %" PetscInt_FMT, LQ_OPTIONS, K));
  assert_petsc(StkTestProblemCreate(STK_MODEL_LQ, 1, &n, opts, &Pr));
  assert_petsc(StkSolverSolve(Pr.solver));
  assert_petsc(StkSolverGetHorizon(Pr.solver, &T, &Ks));
  assert_close(T, LQ_T, 0, 0);
  assert_int_equal(Ks, K);
  assert_petsc(StkSolverGetHorizonStats(Pr.solver, &st));
  assert_int_equal(st.steps_not_converged, 0);
  assert_petsc(StkSolverGetTimeSeries(Pr.solver, &nt, NULL, NULL, NULL, NULL));
  assert_int_equal(nt, K + 1);
  assert_petsc(StkSolverGetValue(Pr.solver, &V));
  err = LQError(&Pr, V, 0);
  assert_petsc(StkTestProblemDestroy(&Pr));
  return err;
}

static void ExpectOrders(const char what[], const PetscReal e[3], const PetscReal h[3])
{
  for (int i = 0; i < 2; i++) {
    const PetscReal order = PetscLogReal(e[i] / e[i + 1]) / PetscLogReal(h[i] / h[i + 1]);
    assert_petsc(PetscPrintf(PETSC_COMM_WORLD, "  %s: %.6e -> %.6e, observed order %.3f\n", what, (double)e[i], (double)e[i + 1], (double)order));
    assert_true(order >= 0.8);
    assert_true(order <= 1.3);
  }
}

/* Order 1 in dt on a fine grid (h = 4/1024): K = 10, 20, 40. */
static void test_lq_order_in_dt(void **state)
{
  const PetscInt  K[3] = {10, 20, 40};
  const PetscReal dt[3] = {0.1, 0.05, 0.025};
  PetscReal       e[3];

  (void)state;
  for (int i = 0; i < 3; i++) e[i] = LQRun(1025, K[i]);
  ExpectOrders("LQ error at t = 0 in dt", e, dt);
  assert_close(e[0], 3.480786e-02, 1e-5, 0); /* the 1-rank figure: 2 and 3 ranks agree */
}

/* Order 1 in h with small steps (K = 500): n = 33, 65, 129 on [-2, 2]. */
static void test_lq_order_in_h(void **state)
{
  const PetscInt  n[3] = {33, 65, 129};
  const PetscReal h[3] = {4.0 / 32, 4.0 / 64, 4.0 / 128};
  PetscReal       e[3];

  (void)state;
  for (int i = 0; i < 3; i++) e[i] = LQRun(n[i], 500);
  ExpectOrders("LQ error at t = 0 in h", e, h);
  assert_close(e[0], 4.346920e-02, 1e-5, 0); /* the 1-rank figure: 2 and 3 ranks agree */
}

/* The terminal cost: x'P_T x with -lq_terminal_p, 0 (and no terminal cost) without; V(T)
 * is it exactly, and the stored times run from 0 to T. */
static void test_terminal_cost(void **state)
{
  StkTestProblem   Pr;
  const PetscInt   n = 65;
  PetscBool        has;
  PetscReal        g, x[1] = {0.5}, diff;
  PetscInt         nt;
  const PetscReal *times;
  const Vec       *V, *u, *density;
  Vec              G;

  (void)state;
  assert_petsc(StkTestProblemCreate(STK_MODEL_LQ, 1, &n, NULL, &Pr));
  assert_petsc(StkModelHasTerminalCost(Pr.model, &has));
  assert_false(has);
  assert_petsc(StkModelTerminalCost(Pr.model, x, &g));
  assert_close(g, 0, 0, 0);
  assert_petsc(StkTestProblemDestroy(&Pr));

  assert_petsc(StkTestProblemCreate(STK_MODEL_LQ, 1, &n, LQ_OPTIONS " -hjb_time_steps 8", &Pr));
  assert_petsc(StkModelHasTerminalCost(Pr.model, &has));
  assert_true(has);
  assert_petsc(StkModelTerminalCost(Pr.model, x, &g));
  assert_close(g, LQ_PT * 0.25, 1e-15, 0);
  assert_petsc(StkSolverSolve(Pr.solver));
  assert_petsc(StkSolverGetTimeSeries(Pr.solver, &nt, &times, &V, &u, &density));
  assert_int_equal(nt, 9);
  assert_null(density); /* before the density */
  for (PetscInt j = 0; j < nt; j++) assert_close(times[j], LQ_T * j / 8.0, 1e-15, 1e-15);
  /* V(T) = P_T x^2 everywhere, Dirichlet nodes included */
  {
    const PetscReal   *xc;
    const PetscScalar *v;
    PetscInt           lo, hi;
    assert_petsc(StkGridGetCoordinates(Pr.grid, 0, &xc));
    assert_petsc(VecGetOwnershipRange(V[nt - 1], &lo, &hi));
    assert_petsc(VecGetArrayRead(V[nt - 1], &v));
    for (PetscInt i = lo; i < hi; i++) assert_close(v[i - lo], LQ_PT * xc[i] * xc[i], 1e-15, 0);
    assert_petsc(VecRestoreArrayRead(V[nt - 1], &v));
  }
  /* the solver's V is the one at t = 0 */
  assert_petsc(StkSolverGetValue(Pr.solver, &G));
  assert_petsc(VecDuplicate(G, &G));
  assert_petsc(VecCopy(V[0], G));
  {
    Vec V0;
    assert_petsc(StkSolverGetValue(Pr.solver, &V0));
    assert_petsc(VecAXPY(G, -1.0, V0));
  }
  assert_petsc(VecNorm(G, NORM_INFINITY, &diff));
  assert_close(diff, 0, 0, 0);
  assert_petsc(VecDestroy(&G));
  assert_petsc(StkTestProblemDestroy(&Pr));
}

/* sum_i g_i |cell_i| and the first moment of a stored density (collective). */
static void Moments(StkTestProblem *Pr, Vec g, PetscReal *mass, PetscReal *mean, PetscReal *gmin)
{
  const PetscReal   *x, *w;
  const PetscScalar *a;
  PetscInt           lo, hi;
  PetscReal          m[2] = {0, 0};

  assert_petsc(StkGridGetCoordinates(Pr->grid, 0, &x));
  assert_petsc(StkGridGetDualWidths(Pr->grid, 0, &w));
  assert_petsc(VecGetOwnershipRange(g, &lo, &hi));
  assert_petsc(VecGetArrayRead(g, &a));
  for (PetscInt i = lo; i < hi; i++) {
    m[0] += a[i - lo] * w[i];
    m[1] += a[i - lo] * w[i] * x[i];
  }
  assert_petsc(VecRestoreArrayRead(g, &a));
  assert_int_equal(MPI_Allreduce(MPI_IN_PLACE, m, 2, MPIU_REAL, MPIU_SUM, PETSC_COMM_WORLD), 0);
  assert_petsc(VecMin(g, NULL, gmin));
  *mass = m[0];
  *mean = m[1] / m[0];
}

/* The closed-loop mean dm/dt = (a - b^2 P(t)/r) m (linear feedback) from m(0) = 0.5 to T,
 * by RK4 with the Riccati P(t). */
static PetscReal ClosedLoopMean(void)
{
  const PetscInt  N = 2000;
  const PetscReal h = LQ_T / N;
  PetscReal       m = 0.5;

  for (PetscInt i = 0; i < N; i++) {
    PetscReal P0, P1, P2, c;
    RiccatiODE(i * h, &P0, &c);
    RiccatiODE((i + 0.5) * h, &P1, &c);
    RiccatiODE((i + 1) * h, &P2, &c);
    const PetscReal k1 = (LQ_A - P0) * m, k2 = (LQ_A - P1) * (m + h / 2 * k1), k3 = (LQ_A - P1) * (m + h / 2 * k2), k4 = (LQ_A - P2) * (m + h * k3);
    m += h / 6 * (k1 + 2 * k2 + 2 * k3 + k4);
  }
  return m;
}

/* The density in time of the LQ closed loop with K steps: mass 1 to round-off at every
 * step, nonnegative; returns the error of its mean at T against the closed-loop mean. */
static PetscReal KFERun(PetscInt K, PetscReal m_ode)
{
  StkTestProblem   Pr;
  const PetscInt   n = 1025;
  PetscInt         nt;
  const Vec       *density;
  StkHorizonStats  st;
  PetscReal        mass, mean = 0, gmin;
  char             opts[256];

  assert_petsc(PetscSNPrintf(opts, sizeof(opts), "%s -hjb_time_steps %" PetscInt_FMT " -kfe_initial_mean 0.5 -kfe_initial_sd 0.1", LQ_OPTIONS, K));
  assert_petsc(StkTestProblemCreate(STK_MODEL_LQ, 1, &n, opts, &Pr));
  assert_petsc(StkSolverSolve(Pr.solver));
  assert_petsc(StkSolverComputeDensity(Pr.solver));
  assert_petsc(StkSolverGetHorizonStats(Pr.solver, &st));
  assert_true(st.kfe_done);
  assert_int_equal(st.kfe_steps, K);
  assert_true(st.mass_error < 1e-12);
  assert_true(st.mass_correction < 1e-9); /* the linear solves themselves nearly conserve it */
  assert_true(st.probability_min > -1e-12);
  assert_petsc(StkSolverGetTimeSeries(Pr.solver, &nt, NULL, NULL, NULL, &density));
  assert_int_equal(nt, K + 1);
  for (PetscInt j = 0; j < nt; j++) {
    Moments(&Pr, density[j], &mass, &mean, &gmin);
    assert_close(mass, 1, 0, 1e-12);
    assert_true(gmin > -1e-10);
  }
  assert_petsc(PetscPrintf(PETSC_COMM_WORLD, "  K = %" PetscInt_FMT ": mean of the density at T %.6f, closed-loop mean %.6f\n", K, (double)mean, (double)m_ode));
  assert_petsc(StkTestProblemDestroy(&Pr));
  return PetscAbsReal(mean - m_ode);
}

/* Mass, positivity, and the mean of the density converging at order 1 in dt. */
static void test_kfe_lq_mass_and_mean(void **state)
{
  const PetscInt  K[3]  = {10, 20, 40};
  const PetscReal dt[3] = {1.0 / 10, 1.0 / 20, 1.0 / 40};
  const PetscReal m_ode = ClosedLoopMean();
  PetscReal       e[3];

  (void)state;
  for (int i = 0; i < 3; i++) e[i] = KFERun(K[i], m_ode);
  ExpectOrders("error of the density's mean at T in dt", e, dt);
  assert_close(e[0], 1.200315e-02, 1e-5, 0); /* the 1-rank figure: 2 and 3 ranks agree */
}

/* 2-D, absorbing (Dirichlet) faces, -hjb_store_every: mass and positivity still hold, and
 * the stored steps are exactly those of the run that stores every step. */
static void test_kfe_2d_store_every(void **state)
{
  StkTestProblem   A, B;
  const PetscInt   n[2] = {33, 33};
  PetscInt         na, nb;
  const PetscReal *ta, *tb;
  const Vec       *Va, *Vb, *ga, *gb;
  StkHorizonStats  st;

  (void)state;
  assert_petsc(StkTestProblemCreate(STK_MODEL_LQ, 2, n, "-lq_terminal_p 1,0,0,1 -hjb_horizon 2 -hjb_time_steps 20 -kfe_initial_mean 0.2,0.1 -kfe_initial_sd 0.1", &A));
  assert_petsc(StkTestProblemCreate(STK_MODEL_LQ, 2, n, "-lq_terminal_p 1,0,0,1 -hjb_horizon 2 -hjb_time_steps 20 -kfe_initial_mean 0.2,0.1 -kfe_initial_sd 0.1 -hjb_store_every 5", &B));
  assert_petsc(StkSolverSolve(A.solver));
  assert_petsc(StkSolverComputeDensity(A.solver));
  assert_petsc(StkSolverSolve(B.solver));
  assert_petsc(StkSolverComputeDensity(B.solver));
  assert_petsc(StkSolverGetHorizonStats(B.solver, &st));
  assert_true(st.mass_error < 1e-12);
  assert_true(st.probability_min > -1e-12);
  assert_int_equal(st.stored, 5);
  assert_petsc(StkSolverGetTimeSeries(A.solver, &na, &ta, &Va, NULL, &ga));
  assert_petsc(StkSolverGetTimeSeries(B.solver, &nb, &tb, &Vb, NULL, &gb));
  assert_int_equal(na, 21);
  assert_int_equal(nb, 5);
  for (PetscInt j = 0; j < nb; j++) {
    PetscBool same;
    assert_close(tb[j], ta[5 * j], 1e-15, 1e-15);
    assert_petsc(VecEqual(Vb[j], Va[5 * j], &same));
    assert_true(same);
    assert_petsc(VecEqual(gb[j], ga[5 * j], &same));
    assert_true(same);
  }
  assert_petsc(StkTestProblemDestroy(&A));
  assert_petsc(StkTestProblemDestroy(&B));
}

static PetscReal RelativeDifference(Vec a, Vec b)
{
  Vec       d;
  PetscReal dn, bn;

  assert_petsc(VecDuplicate(a, &d));
  assert_petsc(VecWAXPY(d, -1.0, b, a));
  assert_petsc(VecNorm(d, NORM_INFINITY, &dn));
  assert_petsc(VecNorm(b, NORM_INFINITY, &bn));
  assert_petsc(VecDestroy(&d));
  return dn / bn;
}

/* A long horizon (T = 40/rho) gives the stationary V at t = 0 (to the solver's tolerance)
 * and, halfway, the stationary density; so does the density in time under the stationary
 * policy at long times.  mms: reflecting faces, a proper stationary density. */
static void test_long_horizon_limit(void **state)
{
  StkTestProblem   S, F, Inf;
  const PetscInt   n = 101;
  PetscReal        rho, dV, dg, dk;
  Vec              Vs, gs, V0;
  PetscInt         nt, ni;
  const Vec       *gf, *gi;
  char             opts[256];

  (void)state;
  assert_petsc(StkTestProblemCreate(STK_MODEL_MMS, 1, &n, "-hjb_rtol 1e-10", &S));
  assert_petsc(StkModelGetDiscount(S.model, &rho));
  assert_petsc(StkSolverSolve(S.solver));
  assert_petsc(StkSolverGetValue(S.solver, &Vs));
  assert_petsc(StkSolverGetDensity(S.solver, &gs));

  assert_petsc(PetscSNPrintf(opts, sizeof(opts), "-hjb_rtol 1e-10 -hjb_horizon %g -hjb_time_steps 200 -kfe_initial_sd 0.05", (double)(40 / rho)));
  assert_petsc(StkTestProblemCreate(STK_MODEL_MMS, 1, &n, opts, &F));
  assert_petsc(StkSolverSolve(F.solver));
  assert_petsc(StkSolverComputeDensity(F.solver));
  assert_petsc(StkSolverGetValue(F.solver, &V0));
  assert_petsc(StkSolverGetTimeSeries(F.solver, &nt, NULL, NULL, NULL, &gf));
  dV = RelativeDifference(V0, Vs);
  dg = RelativeDifference(gf[nt / 2], gs);

  assert_petsc(PetscSNPrintf(opts, sizeof(opts), "-hjb_rtol 1e-10 -kfe_horizon %g -kfe_time_steps 200 -kfe_initial_sd 0.05", (double)(40 / rho)));
  assert_petsc(StkTestProblemCreate(STK_MODEL_MMS, 1, &n, opts, &Inf));
  assert_petsc(StkSolverSolve(Inf.solver));
  assert_petsc(StkSolverComputeDensity(Inf.solver));
  assert_petsc(StkSolverGetTimeSeries(Inf.solver, &ni, NULL, NULL, NULL, &gi));
  assert_int_equal(ni, 201);
  dk = RelativeDifference(gi[ni - 1], gs);
  assert_petsc(PetscPrintf(PETSC_COMM_WORLD, "  long horizon: |V(0) - V_stationary| / |V| = %.2e, density at T/2 %.2e, density in time under the stationary policy %.2e\n", (double)dV, (double)dg, (double)dk));
  assert_true(dV < 1e-8);
  assert_true(dg < 1e-6);
  assert_true(dk < 1e-8);
  assert_petsc(StkTestProblemDestroy(&S));
  assert_petsc(StkTestProblemDestroy(&F));
  assert_petsc(StkTestProblemDestroy(&Inf));
}

/* The file: group time_series with a time scale and the series, read back step by step;
 * the XDMF temporal collection next to it. */
static void test_file_round_trip(void **state)
{
  StkTestProblem   Pr;
  const PetscInt   n = 65;
  PetscMPIInt      size, rank;
  char             path[128], xmf[160];
  PetscInt         nt, nfile, nread;
  const PetscReal *times;
  PetscReal       *tfile;
  const Vec       *V, *u, *g;
  StkH5            file;

  (void)state;
  assert_int_equal(MPI_Comm_size(PETSC_COMM_WORLD, &size), 0);
  assert_int_equal(MPI_Comm_rank(PETSC_COMM_WORLD, &rank), 0);
  assert_petsc(PetscSNPrintf(path, sizeof(path), "test_horizon_np%d.h5", (int)size));
  assert_petsc(PetscSNPrintf(xmf, sizeof(xmf), "test_horizon_np%d_time.xmf", (int)size));
  assert_petsc(StkTestProblemCreate(STK_MODEL_LQ, 1, &n, LQ_OPTIONS " -hjb_time_steps 12 -hjb_store_every 3 -kfe_initial_sd 0.2", &Pr));
  assert_petsc(StkSolverSolve(Pr.solver));
  assert_petsc(StkSolverWrite(Pr.solver, path));
  assert_petsc(StkSolverGetTimeSeries(Pr.solver, &nt, &times, &V, &u, &g));
  assert_int_equal(nt, 5);
  assert_petsc(StkH5Open(PETSC_COMM_WORLD, path, &file));
  assert_petsc(StkH5ReadArray(file, "time_series", "time", &nfile, &tfile));
  assert_int_equal(nfile, nt);
  for (PetscInt j = 0; j < nt; j++) assert_close(tfile[j], times[j], 0, 0);
  assert_petsc(PetscFree(tfile));
  for (PetscInt j = 0; j < nt; j++) {
    const char *names[3] = {"value", "policy", "density"};
    const Vec  *mem[3]   = {V, u, g};
    for (int f = 0; f < 3; f++) {
      Vec       r;
      PetscBool same;
      assert_petsc(StkH5ReadFieldStep(file, "time_series", names[f], Pr.grid, 1, j, &nread, &r));
      assert_int_equal(nread, nt);
      assert_petsc(VecEqual(r, mem[f][j], &same));
      assert_true(same);
      assert_petsc(VecDestroy(&r));
    }
  }
  assert_petsc(StkH5Destroy(&file));
  if (rank == 0) {
    assert_int_equal(access(xmf, R_OK), 0);
    assert_int_equal(unlink(xmf), 0);
    assert_int_equal(unlink(path), 0);
    assert_petsc(PetscSNPrintf(xmf, sizeof(xmf), "test_horizon_np%d.xmf", (int)size));
    assert_int_equal(unlink(xmf), 0);
  }
  assert_petsc(StkTestProblemDestroy(&Pr));
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(test_terminal_cost),
  cmocka_unit_test(test_lq_order_in_dt),
  cmocka_unit_test(test_lq_order_in_h),
  cmocka_unit_test(test_kfe_lq_mass_and_mean),
  cmocka_unit_test(test_kfe_2d_store_every),
  cmocka_unit_test(test_long_horizon_limit),
  cmocka_unit_test(test_file_round_trip),
};

STK_TEST_MAIN(tests)
