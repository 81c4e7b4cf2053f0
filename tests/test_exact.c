/* The test problems with closed forms (docs/exact_solutions.md; issue 6):
 *  - each closed form satisfies its HJB equation: derivatives by fourth-order central
 *    differences of StkModelExactValue, plugged into rho V = min_u H(x, u, V_x, V_xx) at
 *    sample points, with u* (StkModelExactPolicy) the minimizer and the model's greedy
 *    map reproducing it;
 *  - the schemes converge at their orders: upwind >= 0.9 on every problem, central where
 *    monotone >= 1.8 on the manufactured problem (Peclet condition everywhere), exact on
 *    LQ (central differences are exact on quadratics), >= 0.9 on bang-bang; stretched
 *    grids at the uniform grids' order (within 0.1). */
#include "stk_test_problem.h"

/* ---------------------------------------------------------------- closed forms -- */

typedef struct {
  PetscReal V, grad[STK_MAX_DIM], second[STK_MAX_DIM];
} Derivatives;

static PetscReal exact_at(StkModel m, const PetscReal x[])
{
  PetscReal V;

  assert_petsc(StkModelExactValue(m, x, &V));
  return V;
}

/* V, V_k and V_kk at x by fourth-order central differences with step delta. */
static void exact_derivatives(StkModel m, PetscInt dim, const PetscReal x[], PetscReal delta, Derivatives *D)
{
  D->V = exact_at(m, x);
  for (PetscInt k = 0; k < dim; k++) {
    PetscReal y[STK_MAX_DIM], f[5];
    for (PetscInt s = -2; s <= 2; s++) {
      for (PetscInt j = 0; j < dim; j++) y[j] = x[j];
      y[k] += s * delta;
      f[s + 2] = exact_at(m, y);
    }
    D->grad[k]   = (-f[4] + 8 * f[3] - 8 * f[1] + f[0]) / (12 * delta);
    D->second[k] = (-f[4] + 16 * f[3] - 30 * f[2] + 16 * f[1] - f[0]) / (12 * delta * delta);
  }
}

/* H(u) = l + sum_k b_k V_k + a_k V_kk, and the scale of its terms. */
static PetscReal hamiltonian(StkModel m, PetscInt dim, const PetscReal x[], const PetscReal u[], const Derivatives *D, PetscReal *scale)
{
  PetscReal b[STK_MAX_DIM], a[STK_MAX_DIM], l;

  assert_petsc(StkModelDrift(m, x, u, b));
  assert_petsc(StkModelDiffusion(m, x, u, a));
  assert_petsc(StkModelCost(m, x, u, &l));
  if (scale) *scale = PetscAbsReal(l);
  for (PetscInt k = 0; k < dim; k++) {
    l += b[k] * D->grad[k] + a[k] * D->second[k];
    if (scale) *scale += PetscAbsReal(b[k] * D->grad[k]) + PetscAbsReal(a[k] * D->second[k]);
  }
  return l;
}

/* No sampled control (a tensor grid of 21 points per control within +-1 of u*, inside
 * the bounds) does better than u*. */
static void check_minimizer(StkModel m, PetscInt dim, const PetscReal x[], const PetscReal ustar[], const Derivatives *D, PetscReal Hstar, PetscReal tol)
{
  PetscInt  nu, total = 1;
  PetscReal lo[STK_MAX_CONTROLS], hi[STK_MAX_CONTROLS];

  assert_petsc(StkModelGetNumControls(m, &nu));
  for (PetscInt c = 0; c < nu; c++) {
    assert_petsc(StkModelGetControlBounds(m, c, &lo[c], &hi[c]));
    lo[c] = PetscMax(lo[c], ustar[c] - 1);
    hi[c] = PetscMin(hi[c], ustar[c] + 1);
    total *= 21;
  }
  for (PetscInt t = 0; t < total; t++) {
    PetscReal u[STK_MAX_CONTROLS];
    for (PetscInt c = 0, rest = t; c < nu; c++, rest /= 21) u[c] = lo[c] + (hi[c] - lo[c]) * (rest % 21) / 20.0;
    assert_true(hamiltonian(m, dim, x, u, D, NULL) >= Hstar - tol);
  }
}

/* At every sample point: |rho V - H(u*)| <= rtol (scale of the terms) + 1e-12, u* minimizes H,
 * and the greedy map of each control returns u*_c from V's derivatives. */
static void check_hjb(const char type[], PetscInt dim, const char options[], PetscInt npts, const PetscReal pts[], PetscReal delta, PetscReal rtol)
{
  StkTestProblem P;
  PetscReal      rho, worst = 0;
  PetscInt       nu;

  assert_petsc(StkTestProblemCreateUpwind(type, dim, NULL, options, &P));
  assert_petsc(StkModelGetDiscount(P.model, &rho));
  assert_petsc(StkModelGetNumControls(P.model, &nu));
  for (PetscInt i = 0; i < npts; i++) {
    const PetscReal *x = &pts[i * dim];
    PetscReal        u[STK_MAX_CONTROLS], scale, H;
    Derivatives      D;
    exact_derivatives(P.model, dim, x, delta, &D);
    assert_petsc(StkModelExactPolicy(P.model, x, u));
    H     = hamiltonian(P.model, dim, x, u, &D, &scale);
    scale = scale + PetscAbsReal(rho * D.V);
    worst = PetscMax(worst, PetscAbsReal(rho * D.V - H) / scale);
    assert_close(rho * D.V, H, 0, rtol * scale + 1e-12);
    check_minimizer(P.model, dim, x, u, &D, H, rtol * scale + 1e-12);
    for (PetscInt c = 0; c < nu; c++) {
      PetscInt  k;
      PetscReal g;
      assert_petsc(StkModelGetControlDirection(P.model, c, &k));
      assert_petsc(StkModelGreedy(P.model, x, c, D.grad[k], D.second[k], u, &g));
      assert_close(g, u[c], 1e-6, 1e-6);
    }
  }
  print_message("    %s %" PetscInt_FMT "-D: HJB residual of the closed form <= %.2e (relative) at %" PetscInt_FMT " points\n", type, dim, (double)worst, npts);
  assert_petsc(StkTestProblemDestroy(&P));
}

static void test_hjb_lq(void **state)
{
  const PetscReal p1[] = {-0.9, -0.3, 0.1, 0.7}, p2[] = {-0.8, 0.5, 0.3, -0.2, 0.6, 0.9, 0, 0};

  check_hjb("lq", 1, NULL, 4, p1, 1e-3, 1e-8);
  check_hjb("lq", 2, NULL, 4, p2, 1e-3, 1e-8);
}

/* Bang-bang: the HJB on both sides of the switching point, V C^2 at 0 with the HJB at 0
 * giving a V''(0) = rho V(0), and V''' jumping by 2 V''(0)/a (docs/exact_solutions.md). */
static void test_hjb_bangbang(void **state)
{
  const PetscReal pts[] = {-1.9, -0.7, -0.05, 0.02, 0.4, 1.3, 1.95};
  const PetscReal sigma = 0.5, a = 0.5 * sigma * sigma, d = 1e-5, e = 1e-2;
  StkTestProblem  P;
  PetscReal       rho, x[7], V[7], V2, third_right, third_left;

  check_hjb("bangbang", 1, "-bb_sigma 0.5", 7, pts, 1e-3, 1e-8);
  assert_petsc(StkTestProblemCreateUpwind("bangbang", 1, NULL, "-bb_sigma 0.5", &P));
  assert_petsc(StkModelGetDiscount(P.model, &rho));
  for (PetscInt i = 0; i < 7; i++) {
    x[0] = (i - 3) * e;
    V[i] = exact_at(P.model, x);
  }
  x[0] = d;
  assert_close((exact_at(P.model, x) - V[3]) / d, 0, 0, 1e-4); /* V'(0) = 0 */
  x[0] = -d;
  V2   = exact_at(P.model, x);
  x[0] = d;
  V2   = (V2 - 2 * V[3] + exact_at(P.model, x)) / (d * d);
  assert_close(a * V2, rho * V[3], 1e-4, 0); /* V'' across 0 (C^2) meets the HJB at 0 */
  third_right = (V[6] - 3 * V[5] + 3 * V[4] - V[3]) / (e * e * e);
  third_left  = (V[3] - 3 * V[2] + 3 * V[1] - V[0]) / (e * e * e);
  print_message("    bangbang: V''(0) = %.6f, V'''(0+) - V'''(0-) = %.5f, 2 V''(0)/a = %.5f\n", (double)V2, (double)(third_right - third_left), (double)(2 * V2 / a));
  assert_close(third_right - third_left, 2 * V2 / a, 0.05, 0);
  assert_petsc(StkTestProblemDestroy(&P));
}

/* Manufactured: the HJB with its source term, inside and where the clip switches, and
 * the zero normal derivative on every face (reflecting boundaries are consistent). */
static void test_hjb_mms(void **state)
{
  const PetscReal p1[] = {0.05, 0.1035, 0.3, 0.5, 0.77, 0.95}, p2[] = {0.1, 0.2, 0.5, 0.5, 0.3, 0.8, 0.9, 0.05, 0.62, 0.41};
  StkTestProblem  P;

  check_hjb("mms", 1, "-mms_sigma 0.3", 6, p1, 1e-3, 1e-8);
  check_hjb("mms", 2, "-mms_sigma 0.3", 5, p2, 1e-3, 1e-8);
  assert_petsc(StkTestProblemCreateUpwind("mms", 2, NULL, NULL, &P));
  for (PetscInt face = 0; face < 4; face++) {
    const PetscInt k = face / 2;
    PetscReal      x[2] = {0.37, 0.61};
    Derivatives    D;
    x[k] = face % 2;
    exact_derivatives(P.model, 2, x, 1e-3, &D);
    assert_close(D.grad[k], 0, 0, 1e-10);
  }
  assert_petsc(StkTestProblemDestroy(&P));
}

/* Merton: both controls from their closed forms, c* = V_w^(-1/gamma) and
 * pi* = -(mu - r) V_w / (sigma^2 w V_ww), also at gamma < 1. */
static void test_hjb_merton(void **state)
{
  const PetscReal pts[] = {1.05, 1.5, 2.2, 2.9};

  check_hjb("merton", 1, NULL, 4, pts, 1e-3, 1e-8);
  check_hjb("merton", 1, "-merton_gamma 0.5 -hjb_rho 0.1 -merton_cmax 20", 4, pts, 1e-3, 1e-8);
}

/* ---------------------------------------------------------------- convergence -- */

/* Max-norm error of the computed V against the closed form over all nodes. */
static PetscReal max_error(StkTestProblem *P)
{
  DM                 da;
  Vec                V;
  const PetscReal   *x[STK_MAX_DIM];
  PetscInt           dim, xs[3], xm[3];
  const PetscScalar *va;
  PetscReal          err = 0;

  assert_petsc(StkSolverGetValue(P->solver, &V));
  assert_petsc(StkGridGetDM(P->grid, &da));
  assert_petsc(StkGridGetDimension(P->grid, &dim));
  for (PetscInt k = 0; k < dim; k++) assert_petsc(StkGridGetCoordinates(P->grid, k, &x[k]));
  assert_petsc(DMDAGetCorners(da, &xs[0], &xs[1], &xs[2], &xm[0], &xm[1], &xm[2]));
  if (dim == 1) xs[1] = 0, xm[1] = 1;
  assert_petsc(VecGetArrayRead(V, &va));
  for (PetscInt j = xs[1], o = 0; j < xs[1] + xm[1]; j++)
    for (PetscInt i = xs[0]; i < xs[0] + xm[0]; i++, o++) {
      const PetscReal pt[2] = {x[0][i], dim > 1 ? x[1][j] : 0};
      err = PetscMax(err, PetscAbsReal(va[o] - exact_at(P->model, pt)));
    }
  assert_petsc(VecRestoreArrayRead(V, &va));
  assert_int_equal(MPI_Allreduce(MPI_IN_PLACE, &err, 1, MPIU_REAL, MPIU_MAX, PETSC_COMM_WORLD), 0);
  return err;
}

#define NGRIDS 4

/* Errors on NGRIDS grids of (nmin - 1) 2^g + 1 nodes per direction; returns the observed
 * order of the last refinement and checks every refinement's order against `min_order`. */
static PetscReal check_order(const char type[], PetscInt dim, PetscInt nmin, const char options[], PetscReal min_order)
{
  PetscReal err[NGRIDS], order = 0;

  for (PetscInt g = 0; g < NGRIDS; g++) {
    StkTestProblem P;
    StkSolverStats st;
    PetscInt       n[2];
    n[0] = n[1] = (nmin - 1) * (1 << g) + 1;
    assert_petsc(StkTestProblemCreateUpwind(type, dim, n, options, &P));
    assert_petsc(StkSolverSolve(P.solver));
    assert_petsc(StkSolverGetStats(P.solver, &st));
    assert_true(st.converged);
    err[g] = max_error(&P);
    assert_petsc(StkTestProblemDestroy(&P));
  }
  print_message("    %-8s %" PetscInt_FMT "-D %-44s max errors", type, dim, options);
  for (PetscInt g = 0; g < NGRIDS; g++) print_message(" %.3e", (double)err[g]);
  print_message("; orders");
  for (PetscInt g = 1; g < NGRIDS; g++) {
    order = PetscLog2Real(err[g - 1] / err[g]);
    print_message(" %.3f", (double)order);
  }
  print_message("\n");
  for (PetscInt g = 1; g < NGRIDS; g++) assert_true(PetscLog2Real(err[g - 1] / err[g]) >= min_order);
  return order;
}

#define UPWIND  "-hjb_rtol 1e-11"
#define CENTRAL "-hjb_rtol 1e-11 -hjb_central"

static void test_order_upwind(void **state)
{
  check_order("lq", 1, 33, UPWIND, 0.9);
  check_order("lq", 2, 33, UPWIND, 0.9);
  check_order("mms", 1, 33, UPWIND, 0.9);
  check_order("mms", 2, 33, UPWIND, 0.9);
  check_order("merton", 1, 33, UPWIND, 0.9);
  check_order("bangbang", 1, 33, UPWIND, 0.9);
}

/* The manufactured problem with sigma = 0.3: |b| <= 1 and h <= 1/32 < sigma^2 = 2a, so the
 * central difference is monotone at every interior node of every grid. */
static void test_order_central(void **state)
{
  check_order("mms", 1, 33, CENTRAL " -mms_sigma 0.3", 1.8);
  check_order("mms", 2, 33, CENTRAL " -mms_sigma 0.3", 1.8);
  check_order("bangbang", 1, 33, CENTRAL, 0.9);
}

/* LQ: V is quadratic and central differences are exact on quadratics, so with the
 * central rows monotone everywhere the scheme reproduces V to round-off on every grid
 * (an order above any bound). */
static void test_central_exact_on_lq(void **state)
{
  for (PetscInt dim = 1; dim <= 2; dim++) {
    StkTestProblem P;
    PetscInt       n[2] = {129, 129};
    PetscReal      err;
    assert_petsc(StkTestProblemCreate("lq", dim, n, "-hjb_rtol 1e-12 -hjb_central", &P));
    assert_petsc(StkSolverSolve(P.solver));
    err = max_error(&P);
    print_message("    lq %" PetscInt_FMT "-D central, n = 129: max error %.3e\n", dim, (double)err);
    assert_true(err < 1e-9);
    assert_petsc(StkTestProblemDestroy(&P));
  }
}

/* Stretched grids (sinh clustering) converge at the order of uniform ones. */
static void check_stretched(const char type[], PetscInt dim, PetscInt nmin, const char options[], const char stretch[], PetscReal min_order)
{
  char      opts[256];
  PetscReal uniform, stretched;

  uniform = check_order(type, dim, nmin, options, min_order);
  assert_petsc(PetscSNPrintf(opts, sizeof(opts), "%s %s", options, stretch));
  stretched = check_order(type, dim, nmin, opts, min_order);
  assert_close(stretched, uniform, 0, 0.1);
}

static void test_order_stretched(void **state)
{
  check_stretched("lq", 1, 33, UPWIND, "-grid_stretch 0.3", 0.9);
  check_stretched("mms", 1, 33, UPWIND, "-grid_stretch 0.3 -grid_cluster 0.5", 0.9);
  check_stretched("mms", 2, 33, UPWIND, "-grid_stretch 0.3,0.3", 0.9);
  check_stretched("mms", 1, 33, CENTRAL, "-grid_stretch 0.3 -grid_cluster 0.5", 1.8);
  check_stretched("merton", 1, 33, UPWIND, "-grid_stretch 0.5 -grid_cluster 1.2", 0.9);
  check_stretched("bangbang", 1, 33, UPWIND, "-grid_stretch 0.5", 0.8);
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(test_hjb_lq),
  cmocka_unit_test(test_hjb_bangbang),
  cmocka_unit_test(test_hjb_mms),
  cmocka_unit_test(test_hjb_merton),
  cmocka_unit_test(test_order_upwind),
  cmocka_unit_test(test_order_central),
  cmocka_unit_test(test_central_exact_on_lq),
  cmocka_unit_test(test_order_stretched),
};

STK_TEST_MAIN(tests)
