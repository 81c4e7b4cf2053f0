/* StkConverge: a sequence of solves on grids of 2^k + 1 nodes per direction and the
 * discretization errors and observed orders of V and of the quantities users read
 * (stk_converge.h; moved here from cli/cmd_converge.c, issue 11). */
#include "stk_converge.h"
#include "stk_options.h"
#include "stk_files.h"
#include "stk_version.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_LEVELS STK_CONVERGE_MAX_LEVELS

/* One grid of the sequence: its solution gathered on every rank and what it gives. */
typedef struct {
  PetscInt   n[STK_MAX_DIM], nodes, iterations;
  PetscReal  h, time;
  PetscReal *value, *weight; /* natural order on every rank; dual-cell volumes */
  PetscReal  policy_ref, mean_x0;   /* control 0 at the reference point; stationary mean of x0 */
  PetscReal  exact_max, exact_l2;   /* V against the closed form, when there is one */
  PetscReal  policy_exact_l2;       /* the policy against the closed form (RMS, worst control) */
  PetscReal  policy_ref_exact;      /* u*_0 at the reference point */
  PetscReal  estimate_max, estimate_policy_ref, estimate_mean_x0; /* the solver's own error estimates */
} Level;

/* A scalar output Q_l per level: its error against the exact value (when known) or
 * against the Richardson extrapolation Q_R = Q_f + (Q_f - Q_c)/(2^p - 1), p the scalar's
 * order observed on the three finest grids (the value's order when that one is not in
 * (0, 4]: a scalar whose differences do not shrink regularly is not yet asymptotic), and
 * its observed order (from the errors, or from successive differences |Q_l - Q_l+1|). */
typedef struct {
  PetscReal error[MAX_LEVELS], order[MAX_LEVELS];
  PetscReal reference; /* the exact or extrapolated value */
  PetscReal richardson_order; /* the p used for the extrapolation */
  PetscBool exact;
} Scalar;

typedef struct {
  PetscReal finest_max[MAX_LEVELS], finest_l2[MAX_LEVELS]; /* against the finest grid */
  PetscReal rich_max[MAX_LEVELS], rich_l2[MAX_LEVELS];     /* against the Richardson extrapolation */
  PetscReal diff_max[MAX_LEVELS], diff_l2[MAX_LEVELS];     /* |V_l - V_l+1| at level-l nodes */
  PetscReal order_max[MAX_LEVELS], order_l2[MAX_LEVELS];   /* observed order ending at level l */
  PetscReal richardson_order;
  Scalar    policy_ref, mean_x0; /* the quantities users read */
  PetscReal policy_order_l2[MAX_LEVELS]; /* of the exact policy error */
} Errors;

static const char *const columns[] = {"level", "n0", "n1", "nodes", "h", "howard_iterations", "solve_time", "error_max", "error_l2", "error_finest_max", "error_finest_l2", "error_richardson_max", "error_richardson_l2", "difference_next_max", "order_max", "order_l2", "policy_at_reference", "policy_reference_error", "policy_reference_order", "policy_error_l2", "policy_order_l2", "mean_x0", "mean_x0_error", "mean_x0_order", "estimate_max", "estimate_ratio", "policy_reference_estimate", "mean_x0_estimate", "n2"};
#define NCOLUMNS 29
_Static_assert(sizeof(columns) / sizeof(columns[0]) == NCOLUMNS, "NCOLUMNS counts the columns");
/* What each column is, for the file's CF attributes: units ("V": those of the value,
 * "1"; "u": of control 0; "x0": of state variable 0) and long name. */
static const char *const column_units[] = {"1", "1", "1", "1", "1", "1", "s", "V", "V", "V", "V", "V", "V", "V", "1", "1", "u", "u", "1", "u", "1", "x0", "x0", "1", "V", "1", "u", "x0", "1"};
static const char *const column_long_names[] = {"grid level (0 coarsest)", "nodes in direction 0", "nodes in direction 1 (1 in 1-D)", "grid nodes", "largest grid spacing, in the units of its state variable", "Howard iterations", "wall time of the solve",
                                                "max-norm error of V against the closed form", "L2 error of V against the closed form", "max-norm difference of V to the finest grid", "L2 difference of V to the finest grid", "max-norm error of V against the Richardson extrapolation", "L2 error of V against the Richardson extrapolation", "max-norm difference of V to the next finer grid",
                                                "observed order (max norm)", "observed order (L2)", "control 0 at the reference point", "error of the policy at the reference point", "observed order of the policy at the reference point", "L2 error of the policy against the closed form", "observed order of the policy L2 error",
                                                "stationary mean of state variable 0", "error of the stationary mean of state variable 0", "observed order of the stationary mean",
                                                "the solver's a-posteriori estimate of the max-norm error of V", "estimate of the max-norm error of V divided by the true error", "the solver's estimate of the error of the policy at the reference point", "the solver's estimate of the error of the stationary mean of state variable 0", "nodes in direction 2 (0 below 3-D)"};
_Static_assert(sizeof(column_units) / sizeof(column_units[0]) == NCOLUMNS, "one unit per column");
_Static_assert(sizeof(column_long_names) / sizeof(column_long_names[0]) == NCOLUMNS, "one long name per column");

struct _p_StkConverge {
  MPI_Comm             comm;
  char                *prefix; /* the user's options prefix (NULL: none); the study's own is "converge_" */
  StkModel             model;
  PetscInt             levels, nmin[STK_MAX_DIM];
  PetscInt             nmin_count; /* values given to SetCoarsestSizes (0: the default) */
  PetscBool            density, density_set; /* density_set: given, not the model's default */
  StkConvergeMonitorFn monitor;
  void                *monitor_ctx;
  PetscBool            setupcalled, done;
  PetscInt             dim;
  PetscBool            exact; /* V has a closed form */
  Level                lv[MAX_LEVELS];
  Errors               E;
  PetscReal            table[NCOLUMNS][MAX_LEVELS]; /* column-major: what the writers write */
};

static PetscErrorCode DualVolumes(StkGrid grid, PetscInt dim, const PetscInt n[], PetscReal *w)
{
  const PetscReal *wk[STK_MAX_DIM];
  PetscInt         total = 1;

  PetscFunctionBeginUser;
  for (PetscInt k = 0; k < dim; k++) {
    PetscCall(StkGridGetDualWidths(grid, k, &wk[k]));
    total *= n[k];
  }
  for (PetscInt i = 0; i < total; i++) {
    PetscInt rest = i;
    w[i]          = 1;
    for (PetscInt k = 0; k < dim; k++) {
      w[i] *= wk[k][rest % n[k]];
      rest /= n[k];
    }
  }
  PetscFunctionReturn(0);
}

/* Node i (natural order) of the level: its coordinates, and whether it lies on a
 * Dirichlet face (where the policy is not part of the solution). */
static PetscErrorCode LevelNode(StkModel model, StkGrid grid, const Level *L, PetscInt i, PetscReal pt[], PetscBool *dirichlet)
{
  PetscInt dim, rest = i;

  PetscFunctionBeginUser;
  PetscCall(StkModelGetDimension(model, &dim));
  *dirichlet = PETSC_FALSE;
  for (PetscInt k = 0; k < dim; k++) {
    const PetscReal *x;
    const PetscInt   j = rest % L->n[k];
    StkBoundaryType  lo, hi;
    PetscCall(StkGridGetCoordinates(grid, k, &x));
    PetscCall(StkModelGetBoundaryType(model, k, 0, &lo));
    PetscCall(StkModelGetBoundaryType(model, k, 1, &hi));
    pt[k] = x[j];
    if ((j == 0 && lo == STK_BC_DIRICHLET) || (j == L->n[k] - 1 && hi == STK_BC_DIRICHLET)) *dirichlet = PETSC_TRUE;
    rest /= L->n[k];
  }
  PetscFunctionReturn(0);
}

/* RMS error of each control over the free nodes (the worst control), and u*_0 at the
 * reference point; NaN without a closed-form policy. */
static PetscErrorCode ExactPolicyError(StkModel model, StkGrid grid, const PetscScalar *ua, Level *L)
{
  PetscReal sum[STK_MAX_CONTROLS] = {0}, vol = 0, ref[STK_MAX_DIM], ustar[STK_MAX_CONTROLS];
  PetscInt  nu;
  PetscBool has, dirichlet = PETSC_FALSE;

  PetscFunctionBeginUser;
  L->policy_exact_l2 = L->policy_ref_exact = (PetscReal)NAN;
  PetscCall(StkModelHasExactPolicy(model, &has));
  if (!has) PetscFunctionReturn(0);
  PetscCall(StkModelGetNumControls(model, &nu));
  for (PetscInt i = 0; i < L->nodes; i++) {
    PetscReal pt[STK_MAX_DIM];
    PetscCall(LevelNode(model, grid, L, i, pt, &dirichlet));
    if (dirichlet) continue;
    PetscCall(StkModelExactPolicy(model, pt, ustar));
    for (PetscInt c = 0; c < nu; c++) sum[c] += PetscSqr(ua[i * nu + c] - ustar[c]) * L->weight[i];
    vol += L->weight[i];
  }
  L->policy_exact_l2 = 0;
  for (PetscInt c = 0; c < nu; c++) L->policy_exact_l2 = PetscMax(L->policy_exact_l2, PetscSqrtReal(sum[c] / vol));
  PetscCall(StkModelGetReferencePoint(model, ref));
  PetscCall(StkModelExactPolicy(model, ref, ustar));
  L->policy_ref_exact = ustar[0];
  PetscFunctionReturn(0);
}

/* The policy at the reference point, the policy error, and the stationary mean of x0
 * (NaN unless `density`). */
static PetscErrorCode ReadFunctionals(StkSolver solver, StkModel model, StkGrid grid, PetscBool density, Level *L)
{
  Vec                u, g, u_all, g_all;
  const PetscScalar *ua, *ga;
  const PetscReal   *x0;
  PetscReal          ref[STK_MAX_DIM], mean = 0;
  PetscInt           nu;

  PetscFunctionBeginUser;
  PetscCall(StkModelGetNumControls(model, &nu));
  PetscCall(StkModelGetReferencePoint(model, ref));
  PetscCall(StkSolverGetPolicy(solver, &u));
  PetscCall(StkGridGatherField(grid, u, &u_all));
  PetscCall(VecGetArrayRead(u_all, &ua));
  PetscCall(StkGridInterpolate(grid, ua, nu, 0, ref, &L->policy_ref));
  PetscCall(ExactPolicyError(model, grid, ua, L));
  PetscCall(VecRestoreArrayRead(u_all, &ua));
  PetscCall(VecDestroy(&u_all));
  L->mean_x0 = (PetscReal)NAN;
  if (!density) PetscFunctionReturn(0);
  PetscCall(StkSolverGetDensity(solver, &g));
  PetscCall(StkGridGatherField(grid, g, &g_all));
  PetscCall(VecGetArrayRead(g_all, &ga));
  PetscCall(StkGridGetCoordinates(grid, 0, &x0));
  for (PetscInt i = 0; i < L->nodes; i++) mean += ga[i] * x0[i % L->n[0]] * L->weight[i];
  L->mean_x0 = mean;
  PetscCall(VecRestoreArrayRead(g_all, &ga));
  PetscCall(VecDestroy(&g_all));
  PetscFunctionReturn(0);
}

/* Max and weighted-L2 (RMS over the box) norms of V - ref on the level's nodes. */
static void ErrorNorms(const Level *L, const PetscReal ref[], PetscReal *emax, PetscReal *el2)
{
  PetscReal sum = 0, vol = 0;

  *emax = 0;
  for (PetscInt i = 0; i < L->nodes; i++) {
    const PetscReal e = PetscAbsReal(L->value[i] - ref[i]);
    *emax = PetscMax(*emax, e);
    sum += e * e * L->weight[i];
    vol += L->weight[i];
  }
  *el2 = PetscSqrtReal(sum / vol);
}

static PetscErrorCode ExactError(StkModel model, StkGrid grid, PetscInt dim, Level *L)
{
  const PetscReal *x[STK_MAX_DIM];
  PetscReal       *exact;
  PetscBool        has;

  PetscFunctionBeginUser;
  L->exact_max = L->exact_l2 = (PetscReal)NAN;
  PetscCall(StkModelHasExactSolution(model, &has));
  if (!has) PetscFunctionReturn(0);
  for (PetscInt k = 0; k < dim; k++) PetscCall(StkGridGetCoordinates(grid, k, &x[k]));
  PetscCall(PetscMalloc1(L->nodes, &exact));
  for (PetscInt i = 0; i < L->nodes; i++) {
    PetscReal pt[STK_MAX_DIM];
    PetscInt  rest = i;
    for (PetscInt k = 0; k < dim; k++) {
      pt[k] = x[k][rest % L->n[k]];
      rest /= L->n[k];
    }
    PetscCall(StkModelExactValue(model, pt, &exact[i]));
  }
  ErrorNorms(L, exact, &L->exact_max, &L->exact_l2);
  PetscCall(PetscFree(exact));
  PetscFunctionReturn(0);
}

/* One grid of the study; the level's grid and solver read their options under the
 * study's user prefix (-grid_*, -hjb_* when it has none). */
/* The solver's a-posteriori estimates (after the density, when computed). */
static PetscErrorCode ReadEstimate(StkSolver solver, Level *L)
{
  StkErrorEstimate est;

  PetscFunctionBeginUser;
  PetscCall(StkSolverGetErrorEstimate(solver, &est));
  L->estimate_max        = est.value_max.error;
  L->estimate_policy_ref = est.policy_reference.error;
  L->estimate_mean_x0    = est.mean[0].error;
  PetscFunctionReturn(0);
}

static PetscErrorCode SolveLevel(MPI_Comm comm, const char prefix[], StkModel model, PetscInt dim, const PetscInt n[], PetscBool density, Level *L)
{
  StkGrid            grid;
  StkSolver          solver;
  StkSolverStats     st;
  Vec                V_all, V;
  const PetscScalar *va;
  const PetscReal   *x;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(L, sizeof(*L))); /* n[k] = 0 beyond the model's dimension (column n1 in 1-D) */
  PetscCall(StkGridCreate(comm, &grid));
  PetscCall(StkGridSetOptionsPrefix(grid, prefix));
  PetscCall(StkModelConfigureGrid(model, grid));
  PetscCall(StkGridSetSizes(grid, n));
  PetscCall(StkGridSetUp(grid));
  PetscCall(StkSolverCreate(comm, &solver));
  PetscCall(StkSolverSetOptionsPrefix(solver, prefix));
  PetscCall(StkSolverSetModel(solver, model));
  PetscCall(StkSolverSetGrid(solver, grid));
  PetscCall(StkSolverSetFromOptions(solver));
  {
    PetscReal T;
    PetscCall(StkSolverGetHorizon(solver, &T, NULL)); /* the exact solutions and the estimate are stationary */
    PetscCheck(T == 0, comm, PETSC_ERR_USER_INPUT, "-%shjb_horizon %.6g: the convergence study is for the infinite horizon (the finite horizon's orders: tests/test_horizon.c)", prefix ? prefix : "", (double)T);
  }
  PetscCall(StkSolverSolve(solver));
  PetscCall(StkSolverGetStats(solver, &st));
  PetscCheck(st.converged, comm, PETSC_ERR_NOT_CONVERGED, "converge: the solve on %" PetscInt_FMT " nodes did not converge (residual %g); raise -%shjb_max_it", n[0], (double)st.residual, prefix ? prefix : "");
  L->nodes = 1;
  L->h     = 0;
  for (PetscInt k = 0; k < dim; k++) {
    L->n[k] = n[k];
    L->nodes *= n[k];
    PetscCall(StkGridGetCoordinates(grid, k, &x));
    for (PetscInt i = 0; i + 1 < n[k]; i++) L->h = PetscMax(L->h, x[i + 1] - x[i]);
  }
  L->iterations = st.iterations;
  L->time       = st.solve_time;
  PetscCall(PetscMalloc2(L->nodes, &L->value, L->nodes, &L->weight));
  PetscCall(DualVolumes(grid, dim, n, L->weight));
  PetscCall(StkSolverGetValue(solver, &V));
  PetscCall(StkGridGatherField(grid, V, &V_all));
  PetscCall(VecGetArrayRead(V_all, &va));
  PetscCall(PetscArraycpy(L->value, va, L->nodes));
  PetscCall(VecRestoreArrayRead(V_all, &va));
  PetscCall(VecDestroy(&V_all));
  PetscCall(ExactError(model, grid, dim, L));
  PetscCall(ReadFunctionals(solver, model, grid, density, L));
  PetscCall(ReadEstimate(solver, L));
  PetscCall(StkSolverDestroy(&solver));
  PetscCall(StkGridDestroy(&grid));
  PetscFunctionReturn(0);
}

/* Index on grid `fine` of node i of the nested grid `coarse` (every stride-th node). */
static PetscInt NestedIndex(const Level *coarse, const Level *fine, PetscInt dim, PetscInt i)
{
  PetscInt j = 0, mult = 1, rest = i;

  for (PetscInt k = 0; k < dim; k++) {
    const PetscInt stride = (fine->n[k] - 1) / (coarse->n[k] - 1);
    j += (rest % coarse->n[k]) * stride * mult;
    rest /= coarse->n[k];
    mult *= fine->n[k];
  }
  return j;
}

/* The norms of V_coarse - F restricted to the coarse nodes, F a field on `fine`. */
static PetscErrorCode NestedError(const Level *coarse, const Level *fine, const PetscReal *F, PetscInt dim, PetscReal *emax, PetscReal *el2)
{
  PetscReal *ref;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(coarse->nodes, &ref));
  for (PetscInt i = 0; i < coarse->nodes; i++) ref[i] = F[NestedIndex(coarse, fine, dim, i)];
  ErrorNorms(coarse, ref, emax, el2);
  PetscCall(PetscFree(ref));
  PetscFunctionReturn(0);
}

static PetscReal Order(PetscReal coarse, PetscReal fine)
{
  return (coarse > 0 && fine > 0) ? PetscLog2Real(coarse / fine) : (PetscReal)NAN;
}

/* Richardson: with the order p observed on the three finest grids, the extrapolation
 * V_R = V_f + (V_f - V_c) / (2^p - 1) at the nodes of the second-finest grid. */
static PetscErrorCode Richardson(const Level *lv, PetscInt nl, PetscInt dim, Errors *E)
{
  const Level *c = &lv[nl - 2], *f = &lv[nl - 1];
  PetscReal   *VR, p = E->order_max[nl - 2], factor;

  PetscFunctionBeginUser;
  E->richardson_order = p;
  factor              = (PetscIsInfOrNanReal(p) || p <= 0) ? 0 : 1 / (PetscPowReal(2, p) - 1);
  PetscCall(PetscMalloc1(c->nodes, &VR));
  for (PetscInt i = 0; i < c->nodes; i++) {
    const PetscReal vf = f->value[NestedIndex(c, f, dim, i)];
    VR[i]              = vf + (vf - c->value[i]) * factor;
  }
  for (PetscInt l = 0; l < nl - 1; l++) PetscCall(NestedError(&lv[l], c, VR, dim, &E->rich_max[l], &E->rich_l2[l]));
  E->rich_max[nl - 1] = E->rich_l2[nl - 1] = (PetscReal)NAN;
  PetscCall(PetscFree(VR));
  PetscFunctionReturn(0);
}

static void ScalarErrors(const PetscReal Q[], PetscInt nl, PetscReal exact, PetscReal value_order, Scalar *S)
{
  PetscReal p, factor;

  S->exact            = (PetscBool)!PetscIsInfOrNanReal(exact);
  S->richardson_order = (PetscReal)NAN;
  for (PetscInt l = 0; l < nl; l++) S->order[l] = (PetscReal)NAN;
  if (S->exact) {
    S->reference = exact;
    for (PetscInt l = 0; l < nl; l++) S->error[l] = PetscAbsReal(Q[l] - exact);
    for (PetscInt l = 1; l < nl; l++) S->order[l] = Order(S->error[l - 1], S->error[l]);
    return;
  }
  for (PetscInt l = 1; l + 1 < nl; l++) S->order[l] = Order(PetscAbsReal(Q[l] - Q[l - 1]), PetscAbsReal(Q[l + 1] - Q[l]));
  p = S->order[nl - 2];
  if (PetscIsInfOrNanReal(p) || p <= 0 || p > 4) p = value_order;
  S->richardson_order = p;
  factor              = (PetscIsInfOrNanReal(p) || p <= 0) ? 0 : 1 / (PetscPowReal(2, p) - 1);
  S->reference = Q[nl - 1] + (Q[nl - 1] - Q[nl - 2]) * factor;
  for (PetscInt l = 0; l < nl; l++) S->error[l] = PetscAbsReal(Q[l] - S->reference);
}

static PetscErrorCode ComputeErrors(const Level *lv, PetscInt nl, PetscInt dim, PetscBool exact, Errors *E)
{
  PetscFunctionBeginUser;
  for (PetscInt l = 0; l < nl; l++) {
    E->order_max[l] = E->order_l2[l] = (PetscReal)NAN;
    E->diff_max[l] = E->diff_l2[l] = (PetscReal)NAN;
    PetscCall(NestedError(&lv[l], &lv[nl - 1], lv[nl - 1].value, dim, &E->finest_max[l], &E->finest_l2[l]));
    if (l + 1 < nl) PetscCall(NestedError(&lv[l], &lv[l + 1], lv[l + 1].value, dim, &E->diff_max[l], &E->diff_l2[l]));
  }
  for (PetscInt l = 1; l < nl; l++) {
    if (exact) {
      E->order_max[l] = Order(lv[l - 1].exact_max, lv[l].exact_max);
      E->order_l2[l]  = Order(lv[l - 1].exact_l2, lv[l].exact_l2);
    } else if (l + 1 < nl) {
      /* successive differences shrink like h^p */
      E->order_max[l] = Order(E->diff_max[l - 1], E->diff_max[l]);
      E->order_l2[l]  = Order(E->diff_l2[l - 1], E->diff_l2[l]);
    }
  }
  PetscCall(Richardson(lv, nl, dim, E));
  {
    PetscReal pol[MAX_LEVELS], mean[MAX_LEVELS];
    for (PetscInt l = 0; l < nl; l++) {
      pol[l]  = lv[l].policy_ref;
      mean[l] = lv[l].mean_x0;
    }
    ScalarErrors(pol, nl, lv[nl - 1].policy_ref_exact, E->richardson_order, &E->policy_ref);
    ScalarErrors(mean, nl, (PetscReal)NAN, E->richardson_order, &E->mean_x0);
    E->policy_order_l2[0] = (PetscReal)NAN;
    for (PetscInt l = 1; l < nl; l++) E->policy_order_l2[l] = Order(lv[l - 1].policy_exact_l2, lv[l].policy_exact_l2);
  }
  PetscFunctionReturn(0);
}


static void Row(const Level *lv, const Errors *E, PetscInt l, PetscReal row[])
{
  const Level *L = &lv[l];
  PetscReal    r[] = {l, L->n[0], L->n[1], L->nodes, L->h, L->iterations, L->time, L->exact_max, L->exact_l2, E->finest_max[l], E->finest_l2[l], E->rich_max[l], E->rich_l2[l], E->diff_max[l], E->order_max[l], E->order_l2[l], L->policy_ref, E->policy_ref.error[l], E->policy_ref.order[l], L->policy_exact_l2, E->policy_order_l2[l], L->mean_x0, E->mean_x0.error[l], E->mean_x0.order[l], L->estimate_max, L->estimate_max / (PetscIsInfOrNanReal(L->exact_max) ? E->rich_max[l] : L->exact_max), L->estimate_policy_ref, L->estimate_mean_x0, L->n[2]};
  for (PetscInt c = 0; c < NCOLUMNS; c++) row[c] = r[c];
}

PetscErrorCode StkConvergeCreate(MPI_Comm comm, StkConverge *conv)
{
  StkConverge C;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&C));
  C->comm   = comm;
  C->levels = 5;
  for (PetscInt k = 0; k < STK_MAX_DIM; k++) C->nmin[k] = 17;
  *conv = C;
  PetscFunctionReturn(0);
}

PetscErrorCode StkConvergeSetOptionsPrefix(StkConverge C, const char prefix[])
{
  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixSet(&C->prefix, prefix));
  PetscFunctionReturn(0);
}

PetscErrorCode StkConvergeAppendOptionsPrefix(StkConverge C, const char prefix[])
{
  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixAppend(&C->prefix, prefix));
  PetscFunctionReturn(0);
}

/* The prefix the study's options are read under: USER + "converge_". */
static PetscErrorCode ConvergePrefix(StkConverge C, char pre[], size_t len)
{
  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixCompose(C->prefix, "converge_", pre, len));
  PetscFunctionReturn(0);
}

PetscErrorCode StkConvergeGetOptionsPrefix(StkConverge C, const char *prefix[])
{
  PetscFunctionBeginUser;
  *prefix = C->prefix;
  PetscFunctionReturn(0);
}

PetscErrorCode StkConvergeSetModel(StkConverge C, StkModel model)
{
  PetscFunctionBeginUser;
  C->model       = model;
  C->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkConvergeSetLevels(StkConverge C, PetscInt levels)
{
  char pre[256];

  PetscFunctionBeginUser;
  PetscCall(ConvergePrefix(C, pre, sizeof(pre)));
  PetscCheck(levels >= 3 && levels <= MAX_LEVELS, C->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%slevels must lie in [3, %d], got %" PetscInt_FMT, pre, MAX_LEVELS, levels);
  C->levels      = levels;
  C->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkConvergeSetCoarsestSizes(StkConverge C, PetscInt count, const PetscInt nmin[])
{
  char pre[256];

  PetscFunctionBeginUser;
  PetscCall(ConvergePrefix(C, pre, sizeof(pre)));
  PetscCheck(count >= 1 && count <= STK_MAX_DIM, C->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%snmin takes 1 to %d values, got %" PetscInt_FMT, pre, STK_MAX_DIM, count);
  for (PetscInt k = 0; k < count; k++) {
    const PetscInt c = nmin[k] - 1;
    PetscCheck(c >= 2 && (c & (c - 1)) == 0, C->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%snmin must be 2^k + 1 with k >= 1, got %" PetscInt_FMT, pre, nmin[k]);
  }
  for (PetscInt k = 0; k < STK_MAX_DIM; k++)
    if (k < count) C->nmin[k] = nmin[k];
    else if (count == 1) C->nmin[k] = nmin[0]; /* one value for every direction */
  C->nmin_count  = count;
  C->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkConvergeSetDensity(StkConverge C, PetscBool density)
{
  PetscFunctionBeginUser;
  C->density     = density;
  C->density_set = PETSC_TRUE;
  C->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkConvergeMonitorSet(StkConverge C, StkConvergeMonitorFn monitor, void *ctx)
{
  PetscFunctionBeginUser;
  C->monitor     = monitor;
  C->monitor_ctx = ctx;
  PetscFunctionReturn(0);
}

/* The density's default: only without a closed form (the test problems have Dirichlet
 * faces or a degenerate density). */
static PetscErrorCode DensityDefault(StkConverge C, PetscBool *density)
{
  PetscBool exact;

  PetscFunctionBeginUser;
  PetscCheck(C->model, C->comm, PETSC_ERR_ORDER, "StkConvergeSetModel must come before StkConvergeSetFromOptions and StkConvergeSetUp");
  PetscCall(StkModelHasExactSolution(C->model, &exact));
  *density = C->density_set ? C->density : (PetscBool)!exact;
  PetscFunctionReturn(0);
}

PetscErrorCode StkConvergeSetFromOptions(StkConverge C)
{
  PetscInt  levels = C->levels, nmin[STK_MAX_DIM], count = STK_MAX_DIM;
  PetscBool density, set_levels, set_nmin, set_density;
  char      pre[256];

  PetscFunctionBeginUser;
  PetscCall(DensityDefault(C, &density));
  PetscCall(PetscArraycpy(nmin, C->nmin, STK_MAX_DIM));
  PetscCall(ConvergePrefix(C, pre, sizeof(pre)));
  PetscOptionsBegin(C->comm, pre, "Convergence study (stakehjb converge)", NULL);
  PetscCall(PetscOptionsInt("-levels", "Number of grids, each with twice the cells of the previous (>= 3)", "StkConvergeSetLevels", levels, &levels, &set_levels));
  PetscCall(PetscOptionsIntArray("-nmin", "Nodes per direction on the coarsest grid, 2^k + 1 (one value, or one per direction)", "StkConvergeSetCoarsestSizes", nmin, &count, &set_nmin));
  PetscCall(PetscOptionsBool("-density", "Report the stationary mean of x0 (default: only for models without a closed form; test problems with Dirichlet faces have no stationary density)", "StkConvergeSetDensity", density, &density, &set_density));
  PetscOptionsEnd();
  if (set_levels) PetscCall(StkConvergeSetLevels(C, levels));
  if (set_nmin) PetscCall(StkConvergeSetCoarsestSizes(C, count, nmin));
  if (set_density) PetscCall(StkConvergeSetDensity(C, density));
  PetscFunctionReturn(0);
}

PetscErrorCode StkConvergeSetUp(StkConverge C)
{
  PetscFunctionBeginUser;
  if (C->setupcalled) PetscFunctionReturn(0);
  PetscCall(DensityDefault(C, &C->density));
  PetscCall(StkModelGetDimension(C->model, &C->dim));
  PetscCall(StkModelHasExactSolution(C->model, &C->exact));
  if (C->nmin_count > 1) { /* several values: at least one per direction, else a direction would keep the default silently */
    char pre[256];
    PetscCall(ConvergePrefix(C, pre, sizeof(pre)));
    PetscCheck(C->nmin_count >= C->dim, C->comm, PETSC_ERR_USER_INPUT, "-%snmin needs 1 value or %" PetscInt_FMT " (one per direction), got %" PetscInt_FMT, pre, C->dim, C->nmin_count);
  }
  C->setupcalled = PETSC_TRUE;
  PetscFunctionReturn(0);
}

static PetscErrorCode FreeLevels(StkConverge C)
{
  PetscFunctionBeginUser;
  for (PetscInt l = 0; l < MAX_LEVELS; l++) PetscCall(PetscFree2(C->lv[l].value, C->lv[l].weight));
  C->done = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/* Before the first solve: the finest grid fits PetscInt and the memory budget, so a study
 * too large (easily reached in 3-D: 257^3 nodes) fails at once, not after its coarse grids. */
static PetscErrorCode CheckFinestGrid(StkConverge C)
{
  char      pre[256], sizes[96] = "", what[512];
  PetscReal nodes = 1, per_node;

  PetscFunctionBeginUser;
  PetscCall(ConvergePrefix(C, pre, sizeof(pre)));
  for (PetscInt k = 0; k < C->dim; k++) {
    const PetscReal n = (PetscReal)(C->nmin[k] - 1) * (PetscReal)(1 << (C->levels - 1)) + 1;
    nodes *= n;
    PetscCall(PetscSNPrintf(sizes + strlen(sizes), sizeof(sizes) - strlen(sizes), k ? " x %.0f" : "%.0f", (double)n));
  }
  PetscCall(StkGridGetSolveBytesPerNode(C->dim, &per_node));
  PetscCall(PetscSNPrintf(what, sizeof(what), "-%slevels %" PetscInt_FMT " from -%snmin %" PetscInt_FMT ": the finest grid has %s nodes (%.4g; a solve takes about %.0f bytes per node)", pre, C->levels, pre, C->nmin[0], sizes, (double)nodes, (double)per_node));
  PetscCheck(nodes <= (PetscReal)PETSC_MAX_INT, C->comm, PETSC_ERR_USER_INPUT, "%s: more nodes than the %" PetscInt_FMT " this PETSc build can index", what, (PetscInt)PETSC_MAX_INT);
  PetscCall(StkMemoryCheck(C->comm, nodes * per_node, what));
  PetscFunctionReturn(0);
}

PetscErrorCode StkConvergeRun(StkConverge C)
{
  PetscFunctionBeginUser;
  PetscCall(StkConvergeSetUp(C));
  PetscCall(CheckFinestGrid(C));
  PetscCall(FreeLevels(C));
  for (PetscInt l = 0; l < C->levels; l++) {
    PetscInt n[STK_MAX_DIM] = {1, 1, 1};
    for (PetscInt k = 0; k < C->dim; k++) n[k] = (C->nmin[k] - 1) * (1 << l) + 1;
    if (C->monitor) PetscCall(C->monitor(C, l, C->levels, n, C->monitor_ctx));
    PetscCall(SolveLevel(C->comm, C->prefix, C->model, C->dim, n, C->density, &C->lv[l]));
  }
  PetscCall(ComputeErrors(C->lv, C->levels, C->dim, C->exact, &C->E));
  for (PetscInt l = 0; l < C->levels; l++) {
    PetscReal row[NCOLUMNS];
    Row(C->lv, &C->E, l, row);
    for (PetscInt c = 0; c < NCOLUMNS; c++) C->table[c][l] = row[c];
  }
  /* rank 0's numbers (the ones written) on every rank: the solve times differ */
  PetscCallMPI(MPI_Bcast(C->table, NCOLUMNS * MAX_LEVELS, MPIU_REAL, 0, C->comm));
  C->done = PETSC_TRUE;
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckDone(StkConverge C)
{
  PetscFunctionBeginUser;
  PetscCheck(C->done, C->comm, PETSC_ERR_ORDER, "the convergence study has no results: call StkConvergeRun first");
  PetscFunctionReturn(0);
}

static PetscErrorCode ViewTable(StkConverge C, PetscViewer viewer)
{
  const Level  *lv = C->lv;
  const Errors *E  = &C->E;
  const PetscBool exact = C->exact;

  PetscFunctionBeginUser;
  PetscCall(PetscViewerASCIIPrintf(viewer, "%8s %10s %5s %11s %11s %7s %12s %10s %6s %12s %10s %6s %9s\n", "n0", "h", "its", exact ? "err_max" : "diff_max", exact ? "err_l2" : "err_rich", "order", "u(ref)", "u_err", "order", "E[x0]", "E_err", "order", "time"));
  for (PetscInt l = 0; l < C->levels; l++) {
    const Level *L = &lv[l];
    PetscCall(PetscViewerASCIIPrintf(viewer, "%8" PetscInt_FMT " %10.3e %5" PetscInt_FMT " %11.4e %11.4e %7.3f %12.8g %10.3e %6.2f %12.8g %10.3e %6.2f %7.3f s\n", L->n[0], (double)L->h, L->iterations, (double)(exact ? L->exact_max : E->diff_max[l]), (double)(exact ? L->exact_l2 : E->rich_max[l]), (double)E->order_max[l], (double)L->policy_ref, (double)E->policy_ref.error[l], (double)E->policy_ref.order[l], (double)L->mean_x0, (double)E->mean_x0.error[l], (double)E->mean_x0.order[l], (double)L->time));
  }
  if (!exact) PetscCall(PetscViewerASCIIPrintf(viewer, "observed order of the value (three finest grids, max norm): %.3f\n", (double)E->richardson_order));
  if (E->policy_ref.exact) PetscCall(PetscViewerASCIIPrintf(viewer, "policy at the reference point: exact %.10g\n", (double)E->policy_ref.reference));
  else PetscCall(PetscViewerASCIIPrintf(viewer, "policy at the reference point: extrapolated %.10g (order %.3f)\n", (double)E->policy_ref.reference, (double)E->policy_ref.richardson_order));
  if (!PetscIsInfOrNanReal(E->mean_x0.reference)) PetscCall(PetscViewerASCIIPrintf(viewer, "stationary mean of x0: extrapolated %.10g (order %.3f)\n", (double)E->mean_x0.reference, (double)E->mean_x0.richardson_order));
  PetscFunctionReturn(0);
}

PetscErrorCode StkConvergeView(StkConverge C, PetscViewer viewer)
{
  PetscBool ascii;

  PetscFunctionBeginUser;
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(C->comm, &viewer));
  PetscCall(PetscObjectTypeCompare((PetscObject)viewer, PETSCVIEWERASCII, &ascii));
  if (!ascii) PetscFunctionReturn(0);
  if (C->done) PetscCall(ViewTable(C, viewer));
  else {
    PetscCall(PetscViewerASCIIPrintf(viewer, "Convergence study: %" PetscInt_FMT " grids from %" PetscInt_FMT " nodes per direction", C->levels, C->nmin[0]));
    for (PetscInt k = 1; k < C->dim; k++) PetscCall(PetscViewerASCIIPrintf(viewer, " x %" PetscInt_FMT, C->nmin[k]));
    PetscCall(PetscViewerASCIIPrintf(viewer, ", stationary density %s\n", C->density_set || C->setupcalled ? (C->density ? "yes" : "no") : "as the model's default"));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode StkConvergeWriteCSV(StkConverge C, const char path[])
{
  PetscMPIInt rank;
  char        tmp[PETSC_MAX_PATH_LEN + 32];
  FILE       *fp;

  PetscFunctionBeginUser;
  PetscCall(CheckDone(C));
  PetscCallMPI(MPI_Comm_rank(C->comm, &rank));
  if (rank == 0) {
    int bad;
    PetscCall(PetscSNPrintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()));
    PetscCall(StkFileRegisterTemporary(tmp)); /* removed on SIGINT/SIGTERM */
    fp = fopen(tmp, "w");
    if (!fp) PetscCall(StkFileUnregisterTemporary(tmp));
    PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "%s: cannot write the convergence table", path);
    for (PetscInt c = 0; c < NCOLUMNS; c++) fprintf(fp, "%s%s", columns[c], c + 1 < NCOLUMNS ? "," : "\n");
    for (PetscInt l = 0; l < C->levels; l++)
      for (PetscInt c = 0; c < NCOLUMNS; c++) fprintf(fp, "%.10g%s", (double)C->table[c][l], c + 1 < NCOLUMNS ? "," : "\n");
    bad = fclose(fp) || rename(tmp, path);
    if (bad) (void)unlink(tmp);
    PetscCall(StkFileUnregisterTemporary(tmp));
    PetscCheck(!bad, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "%s: cannot write the convergence table", path);
  }
  PetscCallMPI(MPI_Barrier(C->comm));
  PetscFunctionReturn(0);
}

/* The summary and the model's parameters as attributes of /convergence. */
static PetscErrorCode WriteAttributes(StkConverge C, StkH5 file)
{
  const Errors *E = &C->E;

  PetscFunctionBeginUser;
  PetscCall(StkModelWriteAttributes(C->model, file, "convergence"));
  PetscCall(StkH5WriteAttributeReal(file, "convergence", "richardson_order", E->richardson_order, "1"));
  PetscCall(StkH5WriteAttributeReal(file, "convergence", "policy_reference_value", E->policy_ref.reference, "control units"));
  PetscCall(StkH5WriteAttributeString(file, "convergence", "policy_reference_value_is", E->policy_ref.exact ? "exact" : "richardson"));
  PetscCall(StkH5WriteAttributeReal(file, "convergence", "policy_reference_richardson_order", E->policy_ref.richardson_order, "1"));
  PetscCall(StkH5WriteAttributeReal(file, "convergence", "mean_x0_extrapolated", E->mean_x0.reference, "state units"));
  PetscCall(StkH5WriteAttributeReal(file, "convergence", "mean_x0_richardson_order", E->mean_x0.richardson_order, "1"));
  PetscCall(StkH5WriteAttributeString(file, "convergence", "version", STK_VERSION));
  PetscFunctionReturn(0);
}

PetscErrorCode StkConvergeWrite(StkConverge C, const char path[])
{
  StkH5          file;
  PetscErrorCode ierr = 0;

  PetscFunctionBeginUser;
  PetscCall(CheckDone(C));
  PetscCall(StkH5Create(C->comm, path, &file));
  for (PetscInt c = 0; c < NCOLUMNS && !ierr; c++) {
    const char *units = column_units[c];
    PetscInt    nu;
    if (!strcmp(units, "V")) units = "1";
    else if (!strcmp(units, "x0")) ierr = StkModelGetStateUnits(C->model, 0, &units, NULL);
    else if (!strcmp(units, "u")) ierr = StkModelGetNumControls(C->model, &nu), units = nu == 1 ? "1/yr" : "1"; /* as the solution file's policy */
    if (!ierr) ierr = StkH5WriteArray(file, "convergence", columns[c], "level", C->levels, C->table[c], units, column_long_names[c]);
  }
  if (!ierr) ierr = WriteAttributes(C, file);
  if (!ierr) ierr = StkH5Commit(file, "convergence", NULL, 0, NULL);
  PetscCall(StkH5Destroy(&file)); /* removes the temporary file when a write failed */
  PetscCall(ierr);
  PetscFunctionReturn(0);
}

PetscErrorCode StkConvergeDestroy(StkConverge *conv)
{
  PetscFunctionBeginUser;
  if (!*conv) PetscFunctionReturn(0);
  PetscCall(FreeLevels(*conv));
  PetscCall(PetscFree((*conv)->prefix));
  PetscCall(PetscFree(*conv));
  PetscFunctionReturn(0);
}

PetscErrorCode StkConvergeGetModel(StkConverge C, StkModel *model)
{
  PetscFunctionBeginUser;
  *model = C->model;
  PetscFunctionReturn(0);
}

PetscErrorCode StkConvergeGetNumLevels(StkConverge C, PetscInt *nlevels)
{
  PetscFunctionBeginUser;
  *nlevels = C->levels;
  PetscFunctionReturn(0);
}

PetscErrorCode StkConvergeGetColumnNames(StkConverge C, PetscInt *ncolumns, const char *const *names[])
{
  PetscFunctionBeginUser;
  if (ncolumns) *ncolumns = NCOLUMNS;
  if (names) *names = columns;
  PetscFunctionReturn(0);
}

PetscErrorCode StkConvergeGetColumn(StkConverge C, const char name[], const PetscReal *values[])
{
  char known[NCOLUMNS * 32] = "";

  PetscFunctionBeginUser;
  PetscCall(CheckDone(C));
  for (PetscInt c = 0; c < NCOLUMNS; c++) {
    PetscBool match;
    PetscCall(PetscStrcmp(name, columns[c], &match));
    if (match) {
      *values = C->table[c];
      PetscFunctionReturn(0);
    }
  }
  for (PetscInt c = 0; c < NCOLUMNS; c++) {
    PetscCall(PetscStrlcat(known, columns[c], sizeof(known)));
    if (c + 1 < NCOLUMNS) PetscCall(PetscStrlcat(known, ", ", sizeof(known)));
  }
  SETERRQ(C->comm, PETSC_ERR_ARG_UNKNOWN_TYPE, "the convergence table has no column '%s' (known: %s)", name, known);
}

PetscErrorCode StkConvergeGetSummary(StkConverge C, StkConvergeSummary *s)
{
  const Errors *E = &C->E;

  PetscFunctionBeginUser;
  PetscCall(CheckDone(C));
  s->exact                             = C->exact;
  s->richardson_order                  = E->richardson_order;
  s->policy_reference_value            = E->policy_ref.reference;
  s->policy_reference_exact            = E->policy_ref.exact;
  s->policy_reference_richardson_order = E->policy_ref.richardson_order;
  s->mean_x0_extrapolated              = E->mean_x0.reference;
  s->mean_x0_richardson_order          = E->mean_x0.richardson_order;
  PetscFunctionReturn(0);
}
