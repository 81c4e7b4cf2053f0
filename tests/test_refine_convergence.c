/* Convergence of the projected stochastic approximation that StkRefineRun takes
 * (StkRefineProjectedStep, policy/stk_refine.h) on problems with a known answer:
 *
 *   f(theta) = 1/2 sum_i lambda_i (theta_i - theta*_i)^2,  g_k = grad f(theta_k) + sigma xi_k,
 *
 * xi_k standard normal (the noise of a window), theta_0 = 0, the refinement's step
 * sizes a_k = a0 / (k + k0)^alpha.  With the minimizer inside the trust region the
 * projection stops binding after the first steps, and then the error of each
 * coordinate obeys exactly
 *
 *   E e_{k+1} = (1 - a_k lambda) E e_k,   Var e_{k+1} = (1 - a_k lambda)^2 Var e_k + a_k^2 sigma^2,
 *
 * so E|theta_k - theta*|^2 is known in advance: ~ a_k sigma^2 sum 1 / (2 lambda_i) for
 * alpha < 1 (distance^2 proportional to a_k), and the cost gap likewise.  The tests
 * check the Monte Carlo mean over independent replications against that recursion,
 * the observed order of distance^2 in a_k (1), that every iterate lies in the trust
 * region, and that the cost gap falls; with the minimizer outside, the iterates
 * converge to the constrained minimizer on the sphere (the KKT point), at the same
 * order. */
#include "stk_test.h"
#include "stk_refine.h"
#include "stk_philox.h"

#define DIM 4
#define REPS 400
#define KMAX 10000
#define NCHECK 5
static const PetscInt checkpoints[NCHECK] = {100, 300, 1000, 3000, 10000};

typedef struct {
  StkRefineSA sa;
  PetscReal   lambda[DIM], target[DIM], sigma;
} Problem;

typedef struct {
  PetscReal msd[NCHECK];  /* mean over replications of |theta_k - answer|^2 */
  PetscReal gap[NCHECK];  /* mean of f(theta_k) - f(answer) */
  PetscReal max_distance; /* the largest |theta_k - theta_0| seen */
  PetscReal radius_hits;  /* fraction of steps on which the projection bound */
} Observed;

static PetscReal Cost(const Problem *P, const PetscReal theta[])
{
  PetscReal f = 0;
  for (int i = 0; i < DIM; i++) f += 0.5 * P->lambda[i] * PetscSqr(theta[i] - P->target[i]);
  return f;
}

/* REPS independent runs of KMAX projected steps from theta_0 = 0, scored against `answer`. */
static void Run(const Problem *P, const PetscReal answer[], Observed *obs)
{
  const PetscReal theta0[DIM] = {0};
  const PetscReal f_answer    = Cost(P, answer);
  PetscInt        hits        = 0;

  memset(obs, 0, sizeof(*obs));
  for (PetscInt rep = 0; rep < REPS; rep++) {
    PetscReal theta[DIM] = {0}, g[DIM];
    StkRng    rng;
    int       c = 0;

    StkRngInit(&rng, 2024, 0, 0, (uint32_t)rep, STK_RNG_STREAM_GENERIC);
    for (PetscInt k = 0; k < KMAX; k++) {
      StkRefineRecord rec;
      PetscReal       free2 = 0;
      for (int i = 0; i < DIM; i++) g[i] = P->lambda[i] * (theta[i] - P->target[i]) + P->sigma * StkRngNormal(&rng);
      for (int i = 0; i < DIM; i++) free2 += PetscSqr(theta[i] - StkRefineStepSize(&P->sa, k) * g[i]);
      assert_petsc(StkRefineProjectedStep(&P->sa, k, DIM, theta0, g, theta, &rec));
      hits += free2 > PetscSqr(P->sa.radius);
      obs->max_distance = PetscMax(obs->max_distance, rec.distance);
      if (k + 1 == checkpoints[c]) {
        PetscReal d2 = 0;
        for (int i = 0; i < DIM; i++) d2 += PetscSqr(theta[i] - answer[i]);
        obs->msd[c] += d2 / REPS;
        obs->gap[c] += (Cost(P, theta) - f_answer) / REPS;
        c++;
      }
    }
  }
  obs->radius_hits = (PetscReal)hits / ((PetscReal)REPS * KMAX);
}

/* The exact E|theta_k - theta*|^2 and E[f(theta_k) - f*] of the unprojected iteration. */
static void Predict(const Problem *P, PetscReal msd[], PetscReal gap[])
{
  PetscReal mean[DIM], var[DIM] = {0};
  int       c = 0;

  for (int i = 0; i < DIM; i++) mean[i] = -P->target[i];
  for (PetscInt k = 0; k < KMAX; k++) {
    const PetscReal a = StkRefineStepSize(&P->sa, k);
    for (int i = 0; i < DIM; i++) {
      const PetscReal q = 1 - a * P->lambda[i];
      mean[i] *= q;
      var[i] = q * q * var[i] + a * a * PetscSqr(P->sigma);
    }
    if (k + 1 == checkpoints[c]) {
      msd[c] = gap[c] = 0;
      for (int i = 0; i < DIM; i++) {
        msd[c] += PetscSqr(mean[i]) + var[i];
        gap[c] += 0.5 * P->lambda[i] * (PetscSqr(mean[i]) + var[i]);
      }
      c++;
    }
  }
}

/* Least-squares slope of log y on log x over the checkpoints from `first` on. */
static PetscReal LogSlope(const PetscReal x[], const PetscReal y[], int first)
{
  PetscReal mx = 0, my = 0, sxx = 0, sxy = 0;
  const int m = NCHECK - first;

  for (int c = first; c < NCHECK; c++) mx += PetscLogReal(x[c]) / m, my += PetscLogReal(y[c]) / m;
  for (int c = first; c < NCHECK; c++) {
    sxx += PetscSqr(PetscLogReal(x[c]) - mx);
    sxy += (PetscLogReal(x[c]) - mx) * (PetscLogReal(y[c]) - my);
  }
  return sxy / sxx;
}

static void StepSizes(const Problem *P, PetscReal a[])
{
  for (int c = 0; c < NCHECK; c++) a[c] = StkRefineStepSize(&P->sa, checkpoints[c]);
}

static void Print(const char *name, const Problem *P, const Observed *obs, const PetscReal msd[], PetscReal order)
{
  PetscReal a[NCHECK];

  StepSizes(P, a);
  print_message("%s: a0 %g, k0 %g, alpha %g, radius %g; projection bound on %.3f %% of the steps, max |theta - theta_0| %.6f\n", name, (double)P->sa.a0, (double)P->sa.k0, (double)P->sa.alpha, (double)P->sa.radius, 100 * (double)obs->radius_hits, (double)obs->max_distance);
  for (int c = 0; c < NCHECK; c++) print_message("  k %5d  a_k %.4e  E|theta - theta*|^2 %.4e (predicted %.4e, ratio %.3f)  cost gap %.4e\n", (int)checkpoints[c], (double)a[c], (double)obs->msd[c], (double)msd[c], (double)(obs->msd[c] / msd[c]), (double)obs->gap[c]);
  print_message("  observed order of E|theta - theta*|^2 in a_k: %.3f\n", (double)order);
}

/* The minimizer inside the trust region, with the refinement's default step sizes. */
static void test_interior_default_steps(void **state)
{
  Problem   P = {.sigma = 1, .lambda = {1, 2, 3, 4}, .target = {0.3, -0.25, 0.2, 0.15}};
  Observed  obs;
  PetscReal msd[NCHECK], gap[NCHECK], a[NCHECK], order;
  StkRefine r;

  /* the defaults of StkRefine (-refine_a0 1, -refine_k0 10, -refine_alpha 0.602, -refine_radius 2) */
  assert_petsc(StkRefineCreate(PETSC_COMM_SELF, &r));
  assert_petsc(StkRefineGetSA(r, &P.sa));
  assert_petsc(StkRefineDestroy(&r));
  assert_close(P.sa.alpha, 0.602, 0, 0);
  assert_true(P.sa.alpha > 0.5 && P.sa.alpha <= 1); /* Robbins-Monro: sum a_k = inf, sum a_k^2 < inf */
  P.sa.radius = 1; /* |theta*| = 0.46: inside; the first, large noisy steps are projected */

  Run(&P, P.target, &obs);
  Predict(&P, msd, gap);
  StepSizes(&P, a);
  order = LogSlope(a, obs.msd, 1);
  Print("interior, default steps", &P, &obs, msd, order);
  assert_true(obs.max_distance <= P.sa.radius * (1 + 1e-12)); /* every iterate in the trust region */
  assert_true(obs.radius_hits > 0);                           /* and the projection was exercised */
  for (int c = 0; c < NCHECK; c++) assert_close(obs.msd[c], msd[c], 0.15, 0); /* 400 replications: ~4 standard errors */
  for (int c = 0; c < NCHECK; c++) assert_close(obs.gap[c], gap[c], 0.15, 0);
  for (int c = 1; c < NCHECK; c++) assert_true(obs.gap[c] < obs.gap[c - 1]); /* the cost gap falls */
  assert_close(order, 1, 0.1, 0);                                              /* distance^2 ~ a_k */
  /* the asymptotic constant: E|e|^2 / a_k -> sigma^2 sum 1 / (2 lambda_i) = 25/24 */
  assert_close(obs.msd[NCHECK - 1] / a[NCHECK - 1], 25.0 / 24, 0.15, 0);
}

/* alpha = 1 (a_k = a0 / (k + k0), the fastest the conditions allow): distance^2 ~ 1/k,
 * which needs a0 lambda_min > 1/2. */
static void test_interior_alpha1(void **state)
{
  Problem   P = {.sa = {.a0 = 1, .k0 = 10, .alpha = 1, .radius = 1}, .sigma = 1, .lambda = {1, 2, 3, 4}, .target = {0.3, -0.25, 0.2, 0.15}};
  Observed  obs;
  PetscReal msd[NCHECK], gap[NCHECK], a[NCHECK], order;

  Run(&P, P.target, &obs);
  Predict(&P, msd, gap);
  StepSizes(&P, a);
  order = LogSlope(a, obs.msd, 1);
  Print("interior, alpha 1", &P, &obs, msd, order);
  assert_true(obs.max_distance <= P.sa.radius * (1 + 1e-12));
  for (int c = 0; c < NCHECK; c++) assert_close(obs.msd[c], msd[c], 0.15, 0);
  for (int c = 1; c < NCHECK; c++) assert_true(obs.gap[c] < obs.gap[c - 1]);
  assert_close(order, 1, 0.1, 0);
}

/* The minimizer outside the trust region (isotropic f): the constrained minimizer is
 * theta0 + radius theta* / |theta*|, where the iterates go; the normal error dies fast
 * and the tangential error falls like a_k. */
static void test_boundary(void **state)
{
  Problem         P = {.sa = {.a0 = 1, .k0 = 10, .alpha = 0.602, .radius = 0.5}, .sigma = 1, .lambda = {2, 2, 2, 2}, .target = {0.6, -0.5, 0.4, 0.3}};
  const PetscReal norm = PetscSqrtReal(0.36 + 0.25 + 0.16 + 0.09);
  PetscReal       answer[DIM], a[NCHECK], msd[NCHECK], order;
  Observed        obs;

  for (int i = 0; i < DIM; i++) answer[i] = P.sa.radius * P.target[i] / norm;
  Run(&P, answer, &obs);
  StepSizes(&P, a);
  order = LogSlope(a, obs.msd, 1);
  /* On the sphere the pull lambda (|theta*| - r) of f towards theta* adds the stiffness
   * lambda (|theta*| - r) / r to the DIM - 1 tangential directions: lambda_eff =
   * lambda |theta*| / r, and E|e|^2 -> a_k sigma^2 (DIM - 1) / (2 lambda_eff). */
  for (int c = 0; c < NCHECK; c++) msd[c] = a[c] * PetscSqr(P.sigma) * (DIM - 1) / (2 * P.lambda[0] * norm / P.sa.radius);
  Print("minimizer outside (the sphere's point)", &P, &obs, msd, order);
  assert_true(obs.max_distance <= P.sa.radius * (1 + 1e-12));
  assert_true(obs.radius_hits > 0.3); /* the constraint is active */
  for (int c = 1; c < NCHECK; c++) assert_true(obs.msd[c] < obs.msd[c - 1]);
  for (int c = 1; c < NCHECK; c++) assert_true(obs.gap[c] < obs.gap[c - 1]);
  assert_close(order, 1, 0.1, 0);
  assert_close(obs.msd[NCHECK - 1], msd[NCHECK - 1], 0.15, 0);
}

/* The step by hand: inside, theta - a g; outside, scaled back onto the sphere. */
static void test_step_by_hand(void **state)
{
  const StkRefineSA sa        = {.a0 = 2, .k0 = 2, .alpha = 1, .radius = 1};
  const PetscReal   theta0[2] = {1, 1}, g[2] = {-1, 0};
  PetscReal         theta[2]  = {1, 1};
  StkRefineRecord   rec;

  assert_close(StkRefineStepSize(&sa, 2), 0.5, 1e-15, 0);
  assert_petsc(StkRefineProjectedStep(&sa, 2, 2, theta0, g, theta, &rec)); /* a 0.5: (1.5, 1) */
  assert_close(theta[0], 1.5, 1e-15, 0);
  assert_close(theta[1], 1, 1e-15, 0);
  assert_close(rec.distance, 0.5, 1e-15, 0);
  assert_close(rec.step_norm, 0.5, 1e-15, 0);
  assert_close(rec.grad_norm, 1, 1e-15, 0);
  assert_petsc(StkRefineProjectedStep(&sa, 0, 2, theta0, g, theta, &rec)); /* a 1: (2.5, 1) -> (2, 1) */
  assert_close(theta[0], 2, 1e-15, 0);
  assert_close(theta[1], 1, 1e-15, 0);
  assert_close(rec.distance, 1, 1e-15, 0);
  assert_close(rec.step_norm, 0.5, 1e-15, 0);
  assert_close(rec.step_size, 1, 1e-15, 0);
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(test_step_by_hand),
  cmocka_unit_test(test_interior_default_steps),
  cmocka_unit_test(test_interior_alpha1),
  cmocka_unit_test(test_boundary),
};
STK_TEST_MAIN(tests)
