/* The price-aware planner (solver/stk_model_staking_price.c,
 * docs/model.md#the-price-aware-planner): drift, volatility and cost against hand values;
 * the file round trip; the assembled operator an M-matrix for random policies (2-D and
 * 3-D); with w_p = 0 and the nominal yield the solve equals the plain staking model's at
 * every (s, ln P); observed order of V on three grids; the same solution on every number
 * of ranks; the price-aware expert (solution policy) reads x[STK_SIM_X_LOGP] and, in the
 * agent-based environment with the price, differs from the plain expert when w_p > 0 and
 * equals it when w_p = 0 without feedback. */
#include "stk_test_problem.h"
#include "stk_policy.h"
#include "stk_net.h"
#include "stk_sim_price.h"

static PetscMPIInt Rank(void)
{
  PetscMPIInt r;
  MPI_Comm_rank(PETSC_COMM_WORLD, &r);
  return r;
}

/* A solved problem of `type` on comm, options (after tight solver defaults) from a fresh database. */
static PetscErrorCode Solve(MPI_Comm comm, const char type[], PetscInt dim, const PetscInt n[], const char options[], StkTestProblem *P)
{
  char all[1024];

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(all, sizeof(all), "-hjb_rtol 1e-10 -hjb_error_estimate 0 -hjb_sequence 0 %s", options ? options : ""));
  PetscCall(StkTestProblemCreateOn(comm, type, dim, n, all, P));
  PetscCall(StkSolverSolve(P->solver));
  PetscFunctionReturn(0);
}

/* V gathered in natural order on every rank (caller destroys). */
static Vec GatherValue(StkTestProblem *P)
{
  Vec V, all;
  assert_petsc(StkSolverGetValue(P->solver, &V));
  assert_petsc(StkGridGatherField(P->grid, V, &all));
  return all;
}

static PetscReal Phi(PetscReal x) { return 0.5 * erfc(-x / sqrt(2.0)); }

/* Defaults: lognormal costs (median 0.05, log-sd 0.5), s_max 0.9, phi 0.002, kappa 2,
 * sigma0 0.05; linear curve m = 1e-3, b = 0, S_0 = D = 1000 (f(S_0) = 1 USD),
 * kappa_P 1, lambda 0.5, sigma_eta 0.3, sell share 0.5, buy rate 0.02. */
static void test_hand_values(void **state)
{
  StkModel        m;
  const PetscReal s = 0.5, x = 0.2, u = 0.04, x3[3] = {s, 0.01, x}, x2[2] = {s, x};
  const PetscReal dlogp = u /* d ln f/dS u S = u */ + 1.0 * (0.02 * (1 - s) - 0.5 * u) + 0.5 * (exp(-x) - 1);
  PetscReal       b[3], a[3], l, want_bs;

  (void)state;
  assert_petsc(StkModelCreate(PETSC_COMM_WORLD, &m));
  assert_petsc(StkModelSetDimension(m, 2));
  assert_petsc(StkModelSetType(m, STK_MODEL_STAKING_PRICE));
  assert_petsc(StkModelSetUp(m));
  assert_petsc(StkModelDrift(m, x2, &u, b));
  assert_petsc(StkModelDiffusion(m, x2, &u, a));
  assert_petsc(StkModelCost(m, x2, &u, &l));
  /* real yield y + E[d ln P]/dt against z = zbar = 0 */
  want_bs = 2.0 * (0.9 * Phi(log(((u + 0.002) / s + dlogp) / 0.05) / 0.5) - s);
  assert_close(b[1], dlogp, 1e-14, 1e-15);
  assert_close(b[0], want_bs, 1e-12, 1e-14);
  assert_close(a[0], 0.5 * 0.05 * 0.05 * s * (1 - s), 1e-14, 0);
  assert_close(a[1], 0.5 * 0.3 * 0.3, 1e-14, 0);
  assert_close(l, 1.0 * 0.01 + 10 * 1e-4 + 1.0 * x * x, 1e-14, 0);
  assert_petsc(StkModelDestroy(&m));

  /* 3-D: z enters the holders' comparison and has its OU drift; w_p, ln P_bar as set */
  assert_petsc(PetscOptionsSetValue(NULL, "-staking_price_w_p", "2.5"));
  assert_petsc(PetscOptionsSetValue(NULL, "-staking_price_log_p_bar", "0.1"));
  assert_petsc(StkModelCreate(PETSC_COMM_WORLD, &m));
  assert_petsc(StkModelSetDimension(m, 3));
  assert_petsc(StkModelSetType(m, STK_MODEL_STAKING_PRICE));
  assert_petsc(StkModelSetFromOptions(m));
  assert_petsc(StkModelSetUp(m));
  assert_petsc(PetscOptionsClearValue(NULL, "-staking_price_w_p"));
  assert_petsc(PetscOptionsClearValue(NULL, "-staking_price_log_p_bar"));
  assert_petsc(StkModelDrift(m, x3, &u, b));
  assert_petsc(StkModelCost(m, x3, &u, &l));
  want_bs = 2.0 * (0.9 * Phi(log(((u + 0.002) / s - 0.01 + dlogp) / 0.05) / 0.5) - s);
  assert_close(b[0], want_bs, 1e-12, 1e-14);
  assert_close(b[1], 1.0 * (0 - 0.01), 1e-14, 0);
  assert_close(b[2], dlogp, 1e-14, 1e-15);
  assert_close(l, 0.01 + 10 * 1e-4 + 2.5 * (x - 0.1) * (x - 0.1), 1e-14, 0);
  {
    /* the box: centre where the drift of ln P vanishes at (sbar, ubar), 4 sd each side */
    PetscReal       lo[3], hi[3];
    const PetscReal A = 0.03 + (0.02 * 0.4 - 0.5 * 0.03), mc = -log(1 - A / 0.5), sd = 0.3 / sqrt(2 * (0.5 - A));
    assert_petsc(StkModelGetDefaultBox(m, lo, hi));
    assert_close(lo[2], mc - 4 * sd, 1e-13, 1e-15);
    assert_close(hi[2], mc + 4 * sd, 1e-13, 1e-15);
    /* the drift of ln P points into the box at both ends for every s and u */
    for (PetscReal ss = 0; ss <= 1; ss += 0.25)
      for (PetscReal uu = 0; uu <= 0.15; uu += 0.05) {
        const PetscReal xl[3] = {ss, 0, lo[2]}, xh[3] = {ss, 0, hi[2]};
        assert_petsc(StkModelDrift(m, xl, &uu, b));
        assert_true(b[2] > 0);
        assert_petsc(StkModelDrift(m, xh, &uu, b));
        assert_true(b[2] < 0);
      }
  }
  assert_petsc(StkModelDestroy(&m));
}

/* Non-default parameters survive StkModelWriteAttributes / StkModelLoad bitwise. */
static void test_file_round_trip(void **state)
{
  const PetscInt n[2] = {17, 9};
  StkTestProblem P;
  StkModel       back;
  StkH5          f;
  const char    *path = "out/test_staking_price_rt.h5";
  const PetscReal x[2] = {0.4, 0.3}, u = 0.07;
  PetscReal      b0[2], b1[2], l0, l1, lo0[2], hi0[2], lo1[2], hi1[2];

  (void)state;
  assert_petsc(Solve(PETSC_COMM_WORLD, STK_MODEL_STAKING_PRICE, 2, n, "-staking_price_w_p 3 -staking_price_log_p_bar -0.2 -staking_price_real_yield 0 -staking_price_box_sd 3 -price_curve exp -price_lambda 0.8 -price_noise 0.2 -price_sell_share 0.3 -agents_kappa 3", &P));
  assert_petsc(PetscMkdir("out"));
  assert_petsc(StkSolverWrite(P.solver, path));
  assert_petsc(StkH5Open(PETSC_COMM_WORLD, path, &f));
  assert_petsc(StkModelLoad(PETSC_COMM_WORLD, f, "solution", &back));
  assert_petsc(StkH5Destroy(&f));
  assert_petsc(StkModelDrift(P.model, x, &u, b0));
  assert_petsc(StkModelDrift(back, x, &u, b1));
  assert_petsc(StkModelCost(P.model, x, &u, &l0));
  assert_petsc(StkModelCost(back, x, &u, &l1));
  assert_petsc(StkModelGetDefaultBox(P.model, lo0, hi0));
  assert_petsc(StkModelGetDefaultBox(back, lo1, hi1));
  for (int k = 0; k < 2; k++) {
    assert_true(b0[k] == b1[k]);
    assert_true(lo0[k] == lo1[k] && hi0[k] == hi1[k]);
  }
  assert_true(l0 == l1);
  assert_petsc(StkModelDestroy(&back));
  assert_petsc(StkTestProblemDestroy(&P));
}

/* Every owned row: diagonal > 0, off-diagonals <= 0, at most 2 dim + 1 entries, row sum rho. */
static void CheckMMatrix(PetscInt dim, const PetscInt n[])
{
  StkTestProblem P;
  Mat            A;
  Vec            u, rhs, V;
  PetscReal      rho;
  PetscInt       interior = 0;
  PetscRandom    rnd;

  assert_petsc(StkTestProblemCreateUpwind(STK_MODEL_STAKING_PRICE, dim, n, NULL, &P));
  assert_petsc(StkModelGetDiscount(P.model, &rho));
  assert_petsc(StkSolverCreateMatrix(P.solver, &A));
  assert_petsc(StkSolverGetPolicy(P.solver, &u));
  assert_petsc(StkSolverGetValue(P.solver, &V));
  assert_petsc(VecDuplicate(V, &rhs));
  assert_petsc(PetscRandomCreate(PETSC_COMM_SELF, &rnd));
  assert_petsc(PetscRandomSetInterval(rnd, 0, 0.15));
  assert_petsc(PetscRandomSetSeed(rnd, 11 + Rank()));
  assert_petsc(PetscRandomSeed(rnd));
  for (int trial = 0; trial < 3; trial++) {
    assert_petsc(VecSetRandom(u, rnd));
    assert_petsc(StkSolverAssemble(P.solver, u, A, rhs));
    StkTestAssertMMatrixRows(A, rho, 2 * dim + 1, &interior);
  }
  assert_int_equal(MPI_Allreduce(MPI_IN_PLACE, &interior, 1, MPIU_INT, MPI_SUM, PETSC_COMM_WORLD), 0);
  print_message("    %" PetscInt_FMT "-D staking_price: M-matrix rows, %" PetscInt_FMT " with the full stencil over 3 random policies\n", dim, interior);
  assert_true(interior > 0);
  assert_petsc(PetscRandomDestroy(&rnd));
  assert_petsc(VecDestroy(&rhs));
  assert_petsc(MatDestroy(&A));
  assert_petsc(StkTestProblemDestroy(&P));
}

static void test_mmatrix(void **state)
{
  const PetscInt n2[2] = {17, 9}, n3[3] = {9, 7, 5};
  (void)state;
  CheckMMatrix(2, n2);
  CheckMMatrix(3, n3);
}

/* w_p = 0 and the nominal yield: ln P no longer matters, V(s, x) = V_staking(s) of the
 * 1-D model (z frozen at zbar) at every node, to solver tolerance. */
static void test_reduces_to_staking(void **state)
{
  const PetscInt     n2[2] = {65, 9}, n1[1] = {65};
  StkTestProblem     P2, P1;
  Vec                V2, V1;
  const PetscScalar *v2, *v1;
  PetscReal          err = 0, vmax = 0;

  (void)state;
  assert_petsc(Solve(PETSC_COMM_WORLD, STK_MODEL_STAKING_PRICE, 2, n2, "-staking_price_w_p 0 -staking_price_real_yield 0", &P2));
  assert_petsc(Solve(PETSC_COMM_WORLD, STK_MODEL_STAKING, 1, n1, "-hjb_greedy exact", &P1));
  V2 = GatherValue(&P2);
  V1 = GatherValue(&P1);
  assert_petsc(VecGetArrayRead(V2, &v2));
  assert_petsc(VecGetArrayRead(V1, &v1));
  for (PetscInt j = 0; j < n2[1]; j++)
    for (PetscInt i = 0; i < n2[0]; i++) {
      err  = PetscMax(err, PetscAbsReal(v2[i + n2[0] * j] - v1[i]));
      vmax = PetscMax(vmax, PetscAbsReal(v1[i]));
    }
  print_message("    w_p = 0, nominal yield: max |V - V_staking| = %.2e (max |V| %.3f)\n", (double)err, (double)vmax);
  assert_true(err <= 1e-8 * vmax);
  assert_petsc(VecRestoreArrayRead(V2, &v2));
  assert_petsc(VecRestoreArrayRead(V1, &v1));
  assert_petsc(VecDestroy(&V2));
  assert_petsc(VecDestroy(&V1));
  assert_petsc(StkTestProblemDestroy(&P2));
  assert_petsc(StkTestProblemDestroy(&P1));
}

/* V at the reference point on grids h, h/2, h/4: the upwind scheme's first order. */
static void test_order(void **state)
{
  const PetscInt n[3][2] = {
    {33,  9 },
    {65,  17},
    {129, 33}
  };
  PetscReal Vref[3], order;

  (void)state;
  for (int g = 0; g < 3; g++) {
    StkTestProblem     P;
    Vec                V;
    const PetscScalar *v;
    PetscReal          x[2];
    assert_petsc(Solve(PETSC_COMM_WORLD, STK_MODEL_STAKING_PRICE, 2, n[g], NULL, &P));
    assert_petsc(StkModelGetReferencePoint(P.model, x));
    V = GatherValue(&P);
    assert_petsc(VecGetArrayRead(V, &v));
    assert_petsc(StkGridInterpolate(P.grid, v, 1, 0, x, &Vref[g]));
    assert_petsc(VecRestoreArrayRead(V, &v));
    assert_petsc(VecDestroy(&V));
    assert_petsc(StkTestProblemDestroy(&P));
  }
  order = PetscLog2Real(PetscAbsReal(Vref[0] - Vref[1]) / PetscAbsReal(Vref[1] - Vref[2]));
  print_message("    V(sbar, ln P_bar) on 33x9, 65x17, 129x33: %.6f %.6f %.6f, observed order %.2f\n", (double)Vref[0], (double)Vref[1], (double)Vref[2], (double)order);
  assert_true(order > 0.6 && order < 1.6);
}

/* The solve on all ranks of WORLD equals the one on each rank alone. */
static void test_ranks(void **state)
{
  const PetscInt     n[2] = {33, 17};
  StkTestProblem     W, S;
  Vec                Vw, Vs;
  const PetscScalar *w, *s;
  PetscInt           N;
  PetscReal          err = 0, vmax = 0;
  PetscMPIInt        size;

  (void)state;
  assert_petsc(Solve(PETSC_COMM_WORLD, STK_MODEL_STAKING_PRICE, 2, n, NULL, &W));
  assert_petsc(Solve(PETSC_COMM_SELF, STK_MODEL_STAKING_PRICE, 2, n, NULL, &S));
  Vw = GatherValue(&W);
  Vs = GatherValue(&S);
  assert_petsc(VecGetSize(Vs, &N));
  assert_petsc(VecGetArrayRead(Vw, &w));
  assert_petsc(VecGetArrayRead(Vs, &s));
  for (PetscInt i = 0; i < N; i++) {
    err  = PetscMax(err, PetscAbsReal(w[i] - s[i]));
    vmax = PetscMax(vmax, PetscAbsReal(s[i]));
  }
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  print_message("    %d rank(s) against 1: max |dV| = %.2e\n", size, (double)err);
  assert_true(err <= 1e-8 * vmax);
  assert_petsc(VecRestoreArrayRead(Vw, &w));
  assert_petsc(VecRestoreArrayRead(Vs, &s));
  assert_petsc(VecDestroy(&Vw));
  assert_petsc(VecDestroy(&Vs));
  assert_petsc(StkTestProblemDestroy(&W));
  assert_petsc(StkTestProblemDestroy(&S));
}

/* The solved policy minimizes the node's whole Hamiltonian (both drifts move with u):
 * no other control, constant or a shifted u*, does better at any node. */
static void test_policy_minimizes(void **state)
{
  const PetscInt n[2] = {33, 17};
  StkTestProblem P;
  Vec            V, u, alt, H0, H1;
  PetscReal      worst = PETSC_MAX_REAL, scale;

  (void)state;
  assert_petsc(Solve(PETSC_COMM_WORLD, STK_MODEL_STAKING_PRICE, 2, n, "-staking_price_w_p 4", &P));
  assert_petsc(StkSolverGetValue(P.solver, &V));
  assert_petsc(StkSolverGetPolicy(P.solver, &u));
  assert_petsc(VecDuplicate(u, &alt));
  assert_petsc(VecDuplicate(V, &H0));
  assert_petsc(VecDuplicate(V, &H1));
  assert_petsc(VecNorm(V, NORM_INFINITY, &scale));
  assert_petsc(StkSolverHamiltonian(P.solver, V, u, H0));
  for (int trial = 0; trial < 7; trial++) {
    PetscReal d;
    if (trial < 4) assert_petsc(VecSet(alt, 0.05 * trial)); /* 0, 0.05, 0.10, 0.15 */
    else {
      PetscInt     nloc;
      PetscScalar *a;
      assert_petsc(VecCopy(u, alt));
      assert_petsc(VecGetLocalSize(alt, &nloc));
      assert_petsc(VecGetArray(alt, &a));
      for (PetscInt i = 0; i < nloc; i++) a[i] = PetscClipInterval(a[i] + 0.01 * (trial - 5), 0, 0.15);
      assert_petsc(VecRestoreArray(alt, &a));
    }
    assert_petsc(StkSolverHamiltonian(P.solver, V, alt, H1));
    assert_petsc(VecAXPY(H1, -1, H0));
    assert_petsc(VecMin(H1, NULL, &d));
    worst = PetscMin(worst, d);
  }
  print_message("    min over nodes and 7 other policies of H(u) - H(u*) = %.2e (max |V| %.3f)\n", (double)worst, (double)scale);
  assert_true(worst >= -1e-9 * scale);
  assert_petsc(VecDestroy(&alt));
  assert_petsc(VecDestroy(&H0));
  assert_petsc(VecDestroy(&H1));
  assert_petsc(StkTestProblemDestroy(&P));
}

static StkPolicy SolutionPolicy(const char path[])
{
  StkPolicy p;
  PetscBool aware;
  assert_petsc(StkPolicyCreate(PETSC_COMM_WORLD, &p));
  assert_petsc(StkPolicySetType(p, STK_POLICY_SOLUTION));
  assert_petsc(StkPolicySetFile(p, path));
  assert_petsc(StkPolicySetUp(p));
  assert_petsc(StkPolicySolutionIsPriceAware(p, &aware));
  (void)aware;
  return p;
}

static void WriteSolution(PetscInt dim, const PetscInt n[], const char type[], const char options[], const char path[])
{
  StkTestProblem P;
  assert_petsc(Solve(PETSC_COMM_WORLD, type, dim, n, options, &P));
  assert_petsc(PetscMkdir("out"));
  assert_petsc(StkSolverWrite(P.solver, path));
  assert_petsc(StkTestProblemDestroy(&P));
}

/* Mean |u| difference over the records of path 0 in the abm with the price. */
static PetscReal RunPair(StkPolicy a, StkPolicy b, PetscReal *mean_u)
{
  StkSim         sim;
  StkModel       model;
  StkPopulation  pop;
  PetscOptions   db;
  StkPolicy      pol[2] = {a, b};
  PetscReal     *rec[2][4], diff = 0, P0;
  const PetscReal *P;
  PetscInt       nrec;
  StkPolicyFn    fn;
  StkPolicyResetFn reset;
  void          *ctx;
  size_t         ss;

  assert_petsc(PetscOptionsCreate(&db));
  assert_petsc(PetscOptionsInsertString(db, "-price -sim_type abm -sim_n 4000 -sim_t_final 1 -sim_dim 1 -sim_seed 5"));
  assert_petsc(PetscOptionsPush(db));
  assert_petsc(StkModelCreate(PETSC_COMM_WORLD, &model));
  assert_petsc(StkModelSetType(model, STK_MODEL_STAKING));
  assert_petsc(StkModelSetUp(model));
  assert_petsc(StkModelStakingGetPopulation(model, &pop));
  assert_petsc(StkSimCreate(PETSC_COMM_WORLD, &sim));
  assert_petsc(StkSimSetPopulation(sim, pop));
  assert_petsc(StkSimSetFromOptions(sim));
  assert_petsc(StkSimSetUp(sim));
  assert_petsc(PetscOptionsPop());
  assert_petsc(PetscOptionsDestroy(&db));
  assert_petsc(StkSimGetNumRecords(sim, &nrec));
  for (int k = 0; k < 2; k++) {
    StkSimPath out;
    for (int j = 0; j < 4; j++) assert_petsc(PetscMalloc1(nrec, &rec[k][j]));
    out.t = rec[k][0], out.s = rec[k][1], out.z = rec[k][2], out.u = rec[k][3];
    assert_petsc(StkPolicyGetFunction(pol[k], &fn, &reset, &ctx, &ss));
    assert_int_equal((int)ss, 0);
    assert_petsc(StkSimSetPolicy(sim, fn, reset, ctx));
    assert_petsc(StkSimRun(sim, 0, NULL, &out));
  }
  assert_petsc(StkSimGetPricePath(sim, &P, NULL, NULL));
  P0 = P[0];
  assert_true(P0 > 0);
  *mean_u = 0;
  for (PetscInt i = 0; i < nrec; i++) {
    diff += PetscAbsReal(rec[0][3][i] - rec[1][3][i]) / nrec;
    *mean_u += rec[0][3][i] / nrec;
  }
  for (int k = 0; k < 2; k++)
    for (int j = 0; j < 4; j++) assert_petsc(PetscFree(rec[k][j]));
  assert_petsc(StkSimDestroy(&sim));
  assert_petsc(StkModelDestroy(&model));
  return diff;
}

static void test_policy_sees_price(void **state)
{
  const PetscInt n2[2] = {65, 17}, n1[1] = {65};
  StkPolicy      aware, flat, plain;
  PetscReal      u_lo, u_hi, u_nan, u_ref, mean_u, d;
  PetscBool      priced;
  const PetscReal s = 0.5;

  (void)state;
  WriteSolution(2, n2, STK_MODEL_STAKING_PRICE, "-staking_price_w_p 4", "out/test_sp_aware.h5");
  WriteSolution(2, n2, STK_MODEL_STAKING_PRICE, "-staking_price_w_p 0 -staking_price_real_yield 0", "out/test_sp_flat.h5");
  WriteSolution(1, n1, STK_MODEL_STAKING, "-hjb_greedy exact", "out/test_sp_plain.h5");
  aware = SolutionPolicy("out/test_sp_aware.h5");
  flat  = SolutionPolicy("out/test_sp_flat.h5");
  plain = SolutionPolicy("out/test_sp_plain.h5");
  assert_petsc(StkPolicySolutionIsPriceAware(aware, &priced));
  assert_true(priced);
  assert_petsc(StkPolicySolutionIsPriceAware(plain, &priced));
  assert_false(priced);
  {
    const PetscReal xlo[STK_SIM_X_LEN] = {s, 0, 0, -0.3}, xhi[STK_SIM_X_LEN] = {s, 0, 0, 0.5}, xnan[STK_SIM_X_LEN] = {s, 0, 0, NAN}, xref[STK_SIM_X_LEN] = {s, 0, 0, 0};
    assert_petsc(StkPolicyEvaluate(aware, 0, xlo, &u_lo, NULL));
    assert_petsc(StkPolicyEvaluate(aware, 0, xhi, &u_hi, NULL));
    assert_petsc(StkPolicyEvaluate(aware, 0, xnan, &u_nan, NULL));
    assert_petsc(StkPolicyEvaluate(aware, 0, xref, &u_ref, NULL));
    print_message("    price-aware u*(0.5, ln P): %.5f at -0.3, %.5f at 0.5, %.5f without a price\n", (double)u_lo, (double)u_hi, (double)u_nan);
    assert_true(PetscAbsReal(u_lo - u_hi) > 1e-3); /* it reads the price entry */
    assert_true(u_nan == u_ref);                   /* no price: ln P_bar = 0 */
    assert_petsc(StkPolicyEvaluate(flat, 0, xlo, &u_lo, NULL));
    assert_petsc(StkPolicyEvaluate(flat, 0, xhi, &u_hi, NULL));
    assert_petsc(StkPolicyEvaluate(plain, 0, xlo, &u_ref, NULL));
    assert_close(u_lo, u_ref, 1e-6, 1e-9);
    assert_close(u_hi, u_ref, 1e-6, 1e-9);
  }
  { /* the expert (greedy map at points) refuses a staking_price file */
    StkPolicy      e;
    PetscErrorCode ierr;
    assert_petsc(StkPolicyCreate(PETSC_COMM_WORLD, &e));
    assert_petsc(StkPolicySetType(e, STK_POLICY_EXPERT));
    assert_petsc(StkPolicySetFile(e, "out/test_sp_aware.h5"));
    assert_petsc(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = StkPolicySetUp(e);
    assert_petsc(PetscPopErrorHandler());
    assert_int_equal(ierr, PETSC_ERR_FILE_UNEXPECTED);
    assert_petsc(StkPolicyDestroy(&e));
  }
  d = RunPair(aware, plain, &mean_u);
  print_message("    abm with price, w_p = 4 vs plain expert: mean |du| = %.2e (mean u %.4f)\n", (double)d, (double)mean_u);
  assert_true(d > 1e-3);
  d = RunPair(flat, plain, &mean_u);
  print_message("    abm with price, w_p = 0 nominal vs plain expert: mean |du| = %.2e\n", (double)d);
  assert_true(d < 1e-6);
  assert_petsc(StkPolicyDestroy(&aware));
  assert_petsc(StkPolicyDestroy(&flat));
  assert_petsc(StkPolicyDestroy(&plain));
}

/* The grid node nearest to x (per direction): the nearer end of its cell. */
static void NearestNode(StkGrid grid, const PetscReal x[2], PetscReal node[2])
{
  PetscInt  cell[2];
  PetscReal frac[2];

  assert_petsc(StkGridLocate(grid, x, cell, frac));
  for (PetscInt k = 0; k < 2; k++) {
    const PetscReal *c;
    assert_petsc(StkGridGetCoordinates(grid, k, &c));
    node[k] = c[cell[k] + (frac[k] > 0.5)];
  }
}

/* A network fitted to a staking_price solution reads x[STK_SIM_X_LOGP] (its last input is
 * logp), follows the solved policy, and refuses to run without a price.  It is compared at
 * grid nodes, within the fit's own maximum error over the nodes: between nodes the network
 * is unconstrained, and there its value moved by 0.02 when the solution moved by 1e-8 (a
 * nonconvex fit reaching another minimum). */
static void test_network_sees_price(void **state)
{
  const PetscInt n[2] = {33, 17};
  StkTestProblem P;
  StkNet         net;
  StkPolicy      p;
  StkNetFitStats stats;
  Vec            u;
  const char    *name;
  PetscInt       nin;
  PetscReal      ulo, uhi, unet, usol[2];
  PetscErrorCode ierr;

  (void)state;
  assert_petsc(Solve(PETSC_COMM_WORLD, STK_MODEL_STAKING_PRICE, 2, n, "-staking_price_w_p 4", &P));
  assert_petsc(StkSolverGetPolicy(P.solver, &u));
  assert_petsc(StkNetCreate(PETSC_COMM_WORLD, &net));
  assert_petsc(StkNetSetUpFromSolution(net, P.model, P.grid));
  assert_petsc(StkNetFitGrid(net, P.grid, u, &stats));
  assert_petsc(StkNetGetNumInputs(net, &nin));
  assert_int_equal(nin, 2);
  assert_petsc(StkNetGetInputName(net, 1, &name));
  assert_string_equal(name, "logp");
  assert_petsc(StkPolicyCreate(PETSC_COMM_WORLD, &p));
  assert_petsc(StkPolicySetNetwork(p, net));
  {
    const PetscReal    plo[2] = {0.5, -0.3}, phi[2] = {0.5, 0.5}, xnan[STK_SIM_X_LEN] = {0.5, 0, 0, NAN};
    PetscReal          glo[2], ghi[2];
    Vec                all;
    const PetscScalar *a;
    NearestNode(P.grid, plo, glo);
    NearestNode(P.grid, phi, ghi);
    const PetscReal xlo[STK_SIM_X_LEN] = {glo[0], 0, 0, glo[1]}, xhi[STK_SIM_X_LEN] = {ghi[0], 0, 0, ghi[1]};
    assert_petsc(StkGridGatherField(P.grid, u, &all));
    assert_petsc(VecGetArrayRead(all, &a));
    assert_petsc(StkGridInterpolate(P.grid, a, 1, 0, glo, &usol[0]));
    assert_petsc(StkGridInterpolate(P.grid, a, 1, 0, ghi, &usol[1]));
    assert_petsc(VecRestoreArrayRead(all, &a));
    assert_petsc(VecDestroy(&all));
    assert_petsc(StkPolicyEvaluate(p, 0, xlo, &ulo, NULL));
    assert_petsc(StkPolicyEvaluate(p, 0, xhi, &uhi, NULL));
    print_message("    network of the price-aware planner at the node s = %.4f: u %.4f at ln P = %.3f (solved %.4f), %.4f at %.3f (solved %.4f); fit RMSE %.2e, max %.2e\n", (double)glo[0], (double)ulo, (double)glo[1], (double)usol[0], (double)uhi, (double)ghi[1], (double)usol[1], (double)stats.rmse, (double)stats.max_error);
    assert_true(PetscAbsReal(ulo - uhi) > 1e-2);
    assert_true(stats.max_error < 0.02);
    assert_close(ulo, usol[0], 0, stats.max_error * (1 + 1e-12));
    assert_close(uhi, usol[1], 0, stats.max_error * (1 + 1e-12));
    assert_petsc(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = StkPolicyEvaluate(p, 0, xnan, &unet, NULL);
    assert_petsc(PetscPopErrorHandler());
    assert_int_equal(ierr, PETSC_ERR_ARG_WRONG);
  }
  assert_petsc(StkPolicyDestroy(&p));
  assert_petsc(StkNetDestroy(&net));
  assert_petsc(StkTestProblemDestroy(&P));
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(test_hand_values),       cmocka_unit_test(test_file_round_trip), cmocka_unit_test(test_mmatrix), cmocka_unit_test(test_reduces_to_staking),
  cmocka_unit_test(test_order),             cmocka_unit_test(test_ranks),           cmocka_unit_test(test_policy_minimizes), cmocka_unit_test(test_policy_sees_price),
  cmocka_unit_test(test_network_sees_price),
};

STK_TEST_MAIN(tests)
