/* Finite horizon and the forward (Kolmogorov) equation in time (docs/model.md#finite-horizon).
 *
 * Backward: V^K = g (terminal cost), then for n = K-1, ..., 0 the implicit (monotone) step
 *   (1/dt + rho) V^n - L(u^n) V^n - l(u^n) = V^{n+1} / dt,   u^n = argmin_u [l(u) + L(u) V^n],
 * solved by policy iteration with the matrix (1/dt) I + A(u) (A = rho I - L(u) of
 * StkSolverAssemble, an M-matrix; Dirichlet rows keep the model's boundary data), warm
 * started from step n+1.  Forward: (I - dt L(u^n)^T) p^{n+1} = p^n, whose columns sum to
 * one (mass conserved) and whose inverse is nonnegative (positivity). */
#include "stk_hjbimpl.h"
#include "stk_options.h"
#include "stk_progress.h"

#define STK_DEFAULT_TIME_STEPS 100

PetscBool StkSolverHasTimeSeries(StkSolver S)
{
  return (PetscBool)(S->horizon.T > 0 || S->horizon.kfe_T > 0);
}

/* ------------------------------------------------------------------------------------ */
/* Options                                                                              */

PetscErrorCode StkSolverHorizonOptions(StkSolver S, PetscOptionItems *PetscOptionsObject)
{
  StkHorizon *H = &S->horizon;

  PetscFunctionBeginUser;
  if (!H->K) H->K = STK_DEFAULT_TIME_STEPS;
  if (!H->store_every) H->store_every = 1;
  PetscCall(PetscOptionsReal("-horizon", "Finite horizon T (years): V(T, x) is the model's terminal cost, K implicit backward steps (0: infinite horizon)", "", H->T, &H->T, NULL));
  PetscCall(PetscOptionsInt("-time_steps", "Backward implicit Euler steps of the finite horizon (dt = T / K), policy iteration in each", "", H->K, &H->K, &H->K_set));
  PetscCall(PetscOptionsInt("-store_every", "Keep and write V, u and the density in time every m-th step (m divides the number of steps; t = 0 and T always)", "", H->store_every, &H->store_every, &H->store_set));
  PetscFunctionReturn(0);
}

/* "-PREhorizon" as the user typed it (with the solver's prefix). */
static PetscErrorCode OptionName(StkSolver S, const char cls[], const char name[], size_t len, char out[])
{
  char pre[256];

  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixCompose(S->prefix, cls, pre, sizeof(pre)));
  PetscCall(PetscSNPrintf(out, len, "-%s%s", pre, name));
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckHorizonOptions(StkSolver S)
{
  StkHorizon *H = &S->horizon;
  char        T[128], K[128], m[128], kT[128], kK[128];

  PetscFunctionBeginUser;
  PetscCall(OptionName(S, "hjb_", "horizon", sizeof(T), T));
  PetscCall(OptionName(S, "hjb_", "time_steps", sizeof(K), K));
  PetscCall(OptionName(S, "hjb_", "store_every", sizeof(m), m));
  PetscCall(OptionName(S, "kfe_", "horizon", sizeof(kT), kT));
  PetscCall(OptionName(S, "kfe_", "time_steps", sizeof(kK), kK));
  PetscCheck(H->T >= 0 && !PetscIsInfOrNanReal(H->T), S->comm, PETSC_ERR_USER_INPUT, "%s: %.6g is out of range: the horizon must be a finite T >= 0 (0: infinite horizon)", T, (double)H->T);
  PetscCheck(H->K >= 1, S->comm, PETSC_ERR_USER_INPUT, "%s: %" PetscInt_FMT " is out of range: needs >= 1 time step", K, H->K);
  PetscCheck(H->T > 0 || !H->K_set, S->comm, PETSC_ERR_USER_INPUT, "%s %" PetscInt_FMT ": time steps need a finite horizon: give %s T > 0", K, H->K, T);
  PetscCheck(H->kfe_T >= 0 && !PetscIsInfOrNanReal(H->kfe_T), S->comm, PETSC_ERR_USER_INPUT, "%s: %.6g is out of range: must be a finite time span >= 0 (0: off)", kT, (double)H->kfe_T);
  PetscCheck(H->kfe_K >= 1, S->comm, PETSC_ERR_USER_INPUT, "%s: %" PetscInt_FMT " is out of range: needs >= 1 time step", kK, H->kfe_K);
  PetscCheck(H->kfe_T > 0 || !H->kfe_K_set, S->comm, PETSC_ERR_USER_INPUT, "%s %" PetscInt_FMT ": time steps need a time span: give %s T > 0", kK, H->kfe_K, kT);
  PetscCheck(!(H->T > 0 && H->kfe_T > 0), S->comm, PETSC_ERR_USER_INPUT, "%s %.6g: with a finite horizon (%s %.6g) the density follows its time grid; drop %s", kT, (double)H->kfe_T, T, (double)H->T, kT);
  PetscCheck(H->store_every >= 1, S->comm, PETSC_ERR_USER_INPUT, "%s: %" PetscInt_FMT " is out of range: must be >= 1", m, H->store_every);
  PetscCheck(StkSolverHasTimeSeries(S) || !H->store_set, S->comm, PETSC_ERR_USER_INPUT, "%s %" PetscInt_FMT ": nothing is stored in time without %s or %s", m, H->store_every, T, kT);
  if (StkSolverHasTimeSeries(S)) {
    const PetscInt steps = H->T > 0 ? H->K : H->kfe_K;
    PetscCheck(steps % H->store_every == 0, S->comm, PETSC_ERR_USER_INPUT, "%s %" PetscInt_FMT ": must divide the number of time steps (%s %" PetscInt_FMT ")", m, H->store_every, H->T > 0 ? K : kK, steps);
  }
  if (H->T > 0) {
    char target[128];
    PetscCall(OptionName(S, "hjb_", "target_error", sizeof(target), target));
    PetscCheck(S->target_error == 0, S->comm, PETSC_ERR_USER_INPUT, "%s %.6g: the target-error refinement is for the infinite horizon; drop it with %s %.6g", target, (double)S->target_error, T, (double)H->T);
    char estimate[128];
    PetscCall(OptionName(S, "hjb_", "error_estimate", sizeof(estimate), estimate));
    PetscCheck(!(S->estimate_set && S->estimate), S->comm, PETSC_ERR_USER_INPUT, "%s: no error estimate with a finite horizon (%s %.6g): it needs the stationary grid sequence", estimate, T, (double)H->T);
    S->estimate = PETSC_FALSE; /* no grid sequence, so no estimate (docs/model.md#finite-horizon) */
  }
  PetscFunctionReturn(0);
}

/* Entries given of -kfe_initial_mean / -kfe_initial_sd must match the model's dimension. */
static PetscErrorCode CheckInitialOptions(StkSolver S)
{
  StkHorizon *H = &S->horizon;
  char        mean[128], sd[128];
  PetscInt    dim;

  PetscFunctionBeginUser;
  if (!S->model) PetscFunctionReturn(0);
  PetscCall(StkModelGetDimension(S->model, &dim));
  PetscCall(OptionName(S, "kfe_", "initial_mean", sizeof(mean), mean));
  PetscCall(OptionName(S, "kfe_", "initial_sd", sizeof(sd), sd));
  PetscCheck(H->nmean == 0 || H->nmean == dim, S->comm, PETSC_ERR_USER_INPUT, "%s: %" PetscInt_FMT " value(s) given: needs %" PetscInt_FMT " (one per state variable)", mean, H->nmean, dim);
  PetscCheck(H->nsd == 0 || H->nsd == dim || H->nsd == 1, S->comm, PETSC_ERR_USER_INPUT, "%s: %" PetscInt_FMT " values given: needs 1 or %" PetscInt_FMT " (one per state variable)", sd, H->nsd, dim);
  for (PetscInt k = 0; k < H->nsd; k++) PetscCheck(H->sd[k] >= 0 && !PetscIsInfOrNanReal(H->sd[k]), S->comm, PETSC_ERR_USER_INPUT, "%s: %.6g is out of range: a standard deviation must be finite and >= 0 (0: a point mass)", sd, (double)H->sd[k]);
  for (PetscInt k = 0; k < H->nmean; k++) PetscCheck(!PetscIsInfOrNanReal(H->mean[k]), S->comm, PETSC_ERR_USER_INPUT, "%s: %.6g is not a finite number", mean, (double)H->mean[k]);
  if (H->nsd == 1)
    for (PetscInt k = 1; k < dim; k++) H->sd[k] = H->sd[0];
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverKFESetFromOptions(StkSolver S)
{
  StkHorizon *H = &S->horizon;
  char        pre[256];
  PetscReal   buf[STK_MAX_DIM + 1];
  PetscInt    n;
  PetscBool   set;

  PetscFunctionBeginUser;
  if (!H->kfe_K) H->kfe_K = STK_DEFAULT_TIME_STEPS;
  PetscCall(StkOptionsPrefixCompose(S->prefix, "kfe_", pre, sizeof(pre)));
  PetscOptionsBegin(S->comm, pre, "Forward (Kolmogorov) equation in time (docs/model.md#finite-horizon)", NULL);
  PetscCall(PetscOptionsReal("-horizon", "Infinite horizon only: evolve the density under the stationary policy over this time span (0: off; with -hjb_horizon the density follows its time grid)", "", H->kfe_T, &H->kfe_T, NULL));
  PetscCall(PetscOptionsInt("-time_steps", "Implicit steps of -kfe_horizon", "", H->kfe_K, &H->kfe_K, &H->kfe_K_set));
  n = STK_MAX_DIM + 1;
  PetscCall(PetscArraycpy(buf, H->mean, STK_MAX_DIM));
  PetscCall(PetscOptionsRealArray("-initial_mean", "Mean x0[,x1] of the initial density (default: the model's reference point)", "", buf, &n, &set));
  if (set) {
    H->nmean = n;
    PetscCall(PetscArraycpy(H->mean, buf, PetscMin(n, STK_MAX_DIM)));
  }
  n = STK_MAX_DIM + 1;
  PetscCall(PetscArraycpy(buf, H->sd, STK_MAX_DIM));
  PetscCall(PetscOptionsRealArray("-initial_sd", "Standard deviation s[,s] of the initial (discretized Gaussian) density, one or one per state (0: a point mass at the nearest node, the default)", "", buf, &n, &set));
  if (set) {
    H->nsd = n;
    PetscCall(PetscArraycpy(H->sd, buf, PetscMin(n, STK_MAX_DIM)));
  }
  PetscOptionsEnd();
  PetscCall(CheckHorizonOptions(S));
  PetscCall(CheckInitialOptions(S));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverSetHorizon(StkSolver S, PetscReal T, PetscInt K)
{
  PetscFunctionBeginUser;
  PetscCheck(T >= 0 && K >= 1, S->comm, PETSC_ERR_ARG_OUTOFRANGE, "StkSolverSetHorizon: needs T >= 0 and K >= 1, got %.6g and %" PetscInt_FMT, (double)T, K);
  S->horizon.T = T;
  S->horizon.K = K;
  if (!S->horizon.store_every) S->horizon.store_every = 1;
  PetscCheck(K % S->horizon.store_every == 0, S->comm, PETSC_ERR_ARG_OUTOFRANGE, "StkSolverSetHorizon: K = %" PetscInt_FMT " is not a multiple of -hjb_store_every %" PetscInt_FMT, K, S->horizon.store_every);
  if (T > 0) S->estimate = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverGetHorizon(StkSolver S, PetscReal *T, PetscInt *K)
{
  PetscFunctionBeginUser;
  if (T) *T = S->horizon.T;
  if (K) *K = S->horizon.T > 0 ? S->horizon.K : 0;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverGetHorizonStats(StkSolver S, StkHorizonStats *stats)
{
  PetscFunctionBeginUser;
  *stats = S->horizon.stats;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverGetTimeSeries(StkSolver S, PetscInt *nt, const PetscReal **times, const Vec **V, const Vec **u, const Vec **density)
{
  const StkHorizon *H = &S->horizon;

  PetscFunctionBeginUser;
  if (nt) *nt = H->nstore;
  if (times) *times = H->times;
  if (V) *V = H->V;
  if (u) *u = H->u_store;
  if (density) *density = H->density;
  PetscFunctionReturn(0);
}

static PetscErrorCode DestroySeries(PetscInt n, Vec **v)
{
  PetscFunctionBeginUser;
  if (!*v) PetscFunctionReturn(0);
  for (PetscInt j = 0; j < n; j++) PetscCall(VecDestroy(&(*v)[j]));
  PetscCall(PetscFree(*v));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverHorizonDestroy(StkSolver S)
{
  StkHorizon *H = &S->horizon;

  PetscFunctionBeginUser;
  PetscCall(DestroySeries(H->nstore, &H->V));
  PetscCall(DestroySeries(H->nstore, &H->u_store));
  PetscCall(DestroySeries(H->nstore, &H->density));
  PetscCall(DestroySeries(H->nall, &H->u_all));
  PetscCall(PetscFree(H->times));
  H->nstore = H->nall = 0;
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* The time grid and its storage                                                        */

/* Stored times t_j = j m dt, j = 0 .. steps/m; allocates (once) the arrays of Vecs. */
static PetscErrorCode SetUpTimeGrid(StkSolver S, PetscReal T, PetscInt steps)
{
  StkHorizon *H = &S->horizon;
  PetscInt    nstore = steps / H->store_every + 1;

  PetscFunctionBeginUser;
  PetscCall(StkSolverHorizonDestroy(S));
  H->nstore = nstore;
  PetscCall(PetscMalloc1(nstore, &H->times));
  for (PetscInt j = 0; j < nstore; j++) H->times[j] = j == nstore - 1 ? T : T * (PetscReal)(j * H->store_every) / (PetscReal)steps;
  PetscFunctionReturn(0);
}

/* The memory the time series will hold, against the budget (-memory_budget). */
static PetscErrorCode CheckMemory(StkSolver S, PetscInt steps, PetscBool finite)
{
  const StkHorizon *H = &S->horizon;
  PetscInt          nodes;
  PetscReal         vectors;
  char              what[256], T[128], K[128];

  PetscFunctionBeginUser;
  PetscCall(StkGridGetNumNodes(S->grid, &nodes));
  vectors = (PetscReal)(steps / H->store_every + 1) * (finite ? 2 + S->model->nu : 1) + (finite ? (PetscReal)(steps + 1) * S->model->nu : 0);
  PetscCall(OptionName(S, finite ? "hjb_" : "kfe_", "horizon", sizeof(T), T));
  PetscCall(OptionName(S, finite ? "hjb_" : "kfe_", "time_steps", sizeof(K), K));
  PetscCall(PetscSNPrintf(what, sizeof(what), "%s %.6g %s %" PetscInt_FMT " (fields at every step; -hjb_store_every keeps fewer)", T, (double)(finite ? H->T : H->kfe_T), K, steps));
  PetscCall(StkMemoryCheck(S->comm, vectors * (PetscReal)nodes * sizeof(PetscScalar), what));
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* Backward: the finite-horizon HJB                                                     */

/* V = g(x) at every node (the terminal cost; 0 without one). */
static PetscErrorCode TerminalValue(StkSolver S, Vec V)
{
  PetscScalar *Va;
  StkNode      node;

  PetscFunctionBeginUser;
  PetscCall(VecGetArray(V, &Va));
  for (PetscInt o = 0; o < S->layout.nowned; o++) {
    PetscReal g;
    PetscCall(StkLayoutNode(S, o, &node));
    PetscCall(StkModelTerminalCost(S->model, node.x, &g));
    Va[o] = g;
  }
  PetscCall(VecRestoreArray(V, &Va));
  PetscFunctionReturn(0);
}

/* 1/dt at free nodes, 0 at Dirichlet nodes (they keep the boundary data). */
static PetscErrorCode TimeShift(StkSolver S, PetscReal dt, Vec shift)
{
  PetscScalar *a;
  StkNode      node;

  PetscFunctionBeginUser;
  PetscCall(VecGetArray(shift, &a));
  for (PetscInt o = 0; o < S->layout.nowned; o++) {
    PetscCall(StkLayoutNode(S, o, &node));
    a[o] = node.dirichlet ? 0 : 1 / dt;
  }
  PetscCall(VecRestoreArray(shift, &a));
  PetscFunctionReturn(0);
}

typedef struct {
  PetscReal dt;
  Vec       shift, Vnext, work;
} StepCtx;

/* The step's system for the policy in S->u: ((1/dt) I + A(u)) V = l(u) + V^{n+1}/dt. */
static PetscErrorCode AssembleStep(StkSolver S, StepCtx *C)
{
  PetscFunctionBeginUser;
  PetscCall(PetscLogStagePush(STK_STAGE_Assemble));
  PetscCall(StkSolverAssemble(S, S->u, S->A, S->rhs));
  PetscCall(MatDiagonalSet(S->A, C->shift, ADD_VALUES));
  PetscCall(VecPointwiseMult(C->work, C->shift, C->Vnext));
  PetscCall(VecAXPY(S->rhs, 1.0, C->work));
  PetscCall(PetscLogStagePop());
  PetscFunctionReturn(0);
}

/* Policy evaluation of one step.  The linear residual must stay well below the Howard
 * test's rtol rho |V| (the 2-norm bounds the max-norm), or near round-off of the rows. */
static PetscErrorCode EvaluateStep(StkSolver S, StepCtx *C)
{
  KSPConvergedReason reason;
  PetscInt           its, nodes;
  PetscReal          vmax, dmax;
  const char        *pre;

  PetscFunctionBeginUser;
  PetscCall(StkGridGetNumNodes(S->grid, &nodes));
  PetscCall(VecNorm(C->Vnext, NORM_INFINITY, &vmax));
  PetscCall(MatGetDiagonal(S->A, C->work));
  PetscCall(VecNorm(C->work, NORM_INFINITY, &dmax));
  vmax = PetscMax(vmax, PETSC_SMALL);
  PetscCall(KSPSetTolerances(S->ksp, 1e-14, PetscMax(1e-2 * S->rtol * S->model->rho, 10 * PETSC_MACHINE_EPSILON * dmax * PetscSqrtReal((PetscReal)nodes)) * vmax, PETSC_DEFAULT, 10000));
  PetscCall(KSPSetOperators(S->ksp, S->A, S->A));
  PetscCall(PetscLogStagePush(STK_STAGE_LinearSolve));
  PetscCall(PetscLogEventBegin(STK_EVENT_LinearSolve, 0, 0, 0, 0));
  PetscCall(KSPSolve(S->ksp, S->rhs, S->V));
  PetscCall(PetscLogEventEnd(STK_EVENT_LinearSolve, 0, 0, 0, 0));
  PetscCall(PetscLogStagePop());
  PetscCall(KSPGetConvergedReason(S->ksp, &reason));
  PetscCall(KSPGetIterationNumber(S->ksp, &its));
  PetscCall(KSPGetOptionsPrefix(S->ksp, &pre));
  S->horizon.stats.ksp_iterations += its;
  PetscCheck(reason > 0, S->comm, PETSC_ERR_NOT_CONVERGED, "Finite horizon, policy evaluation: the linear solve diverged (%s after %" PetscInt_FMT " iterations); try -%spc_type lu or -%sksp_monitor", KSPConvergedReasons[reason], its, pre, pre);
  PetscFunctionReturn(0);
}

/* The relative residual of the step at (V, u): max |row| / (rho max |V|), the bound on
 * the relative error the backward sweep accumulates (its contraction is 1/(1 + rho dt)). */
static PetscErrorCode StepResidual(StkSolver S, StepCtx *C, PetscReal *res)
{
  PetscReal rmax, vmax;

  PetscFunctionBeginUser;
  PetscCall(MatMult(S->A, S->V, C->work));
  PetscCall(VecAXPY(C->work, -1.0, S->rhs));
  PetscCall(VecNorm(C->work, NORM_INFINITY, &rmax));
  PetscCall(VecNorm(S->V, NORM_INFINITY, &vmax));
  *res = rmax / PetscMax(S->model->rho * vmax, PETSC_SMALL);
  PetscFunctionReturn(0);
}

/* The greedy policy of S->V into S->u (returns the number of nodes whose control moved). */
static PetscErrorCode Improve(StkSolver S, PetscInt *changed)
{
  PetscReal unused;

  PetscFunctionBeginUser;
  PetscCall(PetscLogStagePush(STK_STAGE_Improve));
  PetscCall(DMGlobalToLocal(S->da, S->V, INSERT_VALUES, S->V_local));
  PetscCall(StkSchemeImprove(S, S->V_local, S->u, S->u_new, &unused, changed));
  PetscCall(VecCopy(S->u_new, S->u));
  PetscCall(PetscLogStagePop());
  PetscFunctionReturn(0);
}

/* One backward step by policy iteration, warm started from S->V = V^{n+1} and its policy:
 * evaluate, improve, and stop once the residual of the step at the improved policy is
 * below rtol (or the policy no longer moves). */
static PetscErrorCode HowardTimeStep(StkSolver S, StepCtx *C)
{
  StkHorizonStats *st = &S->horizon.stats;
  PetscReal        res = 0, vnorm, dnorm;
  PetscInt         changed, it;
  PetscBool        converged = PETSC_FALSE;

  PetscFunctionBeginUser;
  PetscCall(VecCopy(S->V, C->Vnext));
  PetscCall(AssembleStep(S, C));
  for (it = 1; it <= S->max_it && !converged; it++) {
    PetscCall(VecCopy(S->V, S->V_old));
    PetscCall(EvaluateStep(S, C));
    PetscCall(Improve(S, &changed));
    PetscCall(AssembleStep(S, C));
    PetscCall(StepResidual(S, C, &res));
    converged = (PetscBool)(res < S->rtol || changed == 0);
  }
  it--;
  PetscCall(VecAXPY(S->V_old, -1.0, S->V));
  PetscCall(VecNorm(S->V_old, NORM_INFINITY, &dnorm));
  PetscCall(VecNorm(S->V, NORM_INFINITY, &vnorm));
  S->stats.value_change = dnorm / PetscMax(vnorm, PETSC_SMALL);
  S->stats.residual     = PetscMax(S->stats.residual, res);
  st->howard_iterations += it;
  st->max_step_iterations = PetscMax(st->max_step_iterations, it);
  st->max_residual        = PetscMax(st->max_residual, res);
  if (!converged) st->steps_not_converged++;
  PetscFunctionReturn(0);
}

static PetscErrorCode KeepCopy(Vec v, Vec *copy)
{
  PetscFunctionBeginUser;
  if (!*copy) PetscCall(VecDuplicate(v, copy));
  PetscCall(VecCopy(v, *copy));
  PetscFunctionReturn(0);
}

/* Step n's fields: its policy always (the forward equation needs every u^n), V and u
 * at the stored times. */
static PetscErrorCode KeepStep(StkSolver S, PetscInt n)
{
  StkHorizon *H = &S->horizon;

  PetscFunctionBeginUser;
  PetscCall(KeepCopy(S->u, &H->u_all[n]));
  if (n % H->store_every) PetscFunctionReturn(0);
  PetscCall(KeepCopy(S->V, &H->V[n / H->store_every]));
  PetscCall(KeepCopy(S->u, &H->u_store[n / H->store_every]));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverSolveHorizon(StkSolver S)
{
  StkHorizon    *H = &S->horizon;
  StepCtx        C;
  StkProgress    progress;
  PetscLogDouble t0, t1;
  PetscInt       changed;

  PetscFunctionBeginUser;
  PetscCall(StkSolverSetUp(S));
  PetscCall(CheckMemory(S, H->K, PETSC_TRUE));
  PetscCall(PetscTime(&t0));
  PetscCall(SetUpTimeGrid(S, H->T, H->K));
  PetscCall(PetscCalloc1(H->nstore, &H->V));
  PetscCall(PetscCalloc1(H->nstore, &H->u_store));
  PetscCall(PetscCalloc1(H->K + 1, &H->u_all));
  H->nall = H->K + 1;
  PetscCall(PetscMemzero(&H->stats, sizeof(H->stats)));
  PetscCall(PetscMemzero(&S->stats, sizeof(S->stats)));
  H->stats.horizon    = H->T;
  H->stats.time_steps = H->K;
  H->stats.stored     = H->nstore;
  C.dt                = H->T / H->K;
  PetscCall(VecDuplicate(S->V, &C.shift));
  PetscCall(VecDuplicate(S->V, &C.Vnext));
  PetscCall(VecDuplicate(S->V, &C.work));
  PetscCall(TimeShift(S, C.dt, C.shift));
  PetscCall(TerminalValue(S, S->V));
  PetscCall(Improve(S, &changed)); /* u^K: greedy for the terminal cost */
  PetscCall(KeepStep(S, H->K));
  PetscCall(StkProgressCreate(S->comm, "hjb", &progress));
  if (S->progress) PetscCall(StkProgressSetDelay(progress, 0));
  for (PetscInt n = H->K - 1; n >= 0; n--) {
    const PetscInt before = H->stats.howard_iterations;
    PetscCall(HowardTimeStep(S, &C));
    PetscCall(KeepStep(S, n));
    if (S->monitor) PetscCall(PetscPrintf(S->comm, "  step %5" PetscInt_FMT " t %10.4g HJB Howard iterations %3" PetscInt_FMT " (total %6" PetscInt_FMT ", linear %7" PetscInt_FMT ") |dV|/|V| %9.3e\n", n, (double)(n * C.dt), H->stats.howard_iterations - before, H->stats.howard_iterations, H->stats.ksp_iterations, (double)S->stats.value_change));
    PetscCall(StkProgressUpdate(progress, (PetscReal)(H->K - n) / H->K, "finite horizon, step %" PetscInt_FMT " of %" PetscInt_FMT " (t = %.4g)", H->K - n, H->K, (double)(n * C.dt)));
  }
  PetscCall(StkProgressDestroy(&progress));
  PetscCall(VecDestroy(&C.shift));
  PetscCall(VecDestroy(&C.Vnext));
  PetscCall(VecDestroy(&C.work));
  PetscCall(PetscTime(&t1));
  H->stats.solve_time     = t1 - t0;
  S->stats.solve_time     = t1 - t0;
  S->stats.iterations     = H->stats.howard_iterations;
  S->stats.ksp_iterations = H->stats.ksp_iterations;
  S->stats.residual       = H->stats.max_residual;
  S->stats.converged      = (PetscBool)(H->stats.steps_not_converged == 0);
  S->solved               = PETSC_TRUE;
  S->density_done         = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* Forward: the density in time                                                         */

/* The initial node probabilities: a discretized Gaussian (per direction; sd 0: the node
 * nearest the mean) times the dual-cell volume, normalized to mass 1. */
static PetscErrorCode InitialProbabilities(StkSolver S, Vec p)
{
  StkHorizon      *H   = &S->horizon;
  const PetscInt   dim = S->model->dim;
  PetscReal        mean[STK_MAX_DIM], sum;
  PetscInt         nearest[STK_MAX_DIM];
  const PetscReal *w[STK_MAX_DIM];
  PetscScalar     *pa;
  StkNode          node;
  char             opt[128];

  PetscFunctionBeginUser;
  PetscCall(StkModelGetReferencePoint(S->model, mean));
  PetscCall(OptionName(S, "kfe_", "initial_mean", sizeof(opt), opt));
  for (PetscInt k = 0; k < dim; k++) {
    const PetscReal *x = S->layout.x[k];
    const PetscInt   n = S->layout.n[k];
    if (H->nmean) mean[k] = H->mean[k];
    PetscCheck(mean[k] >= x[0] && mean[k] <= x[n - 1], S->comm, PETSC_ERR_USER_INPUT, "%s: %.6g is out of range: entry %" PetscInt_FMT " must lie in the grid's box [%.6g, %.6g]", opt, (double)mean[k], k, (double)x[0], (double)x[n - 1]);
    nearest[k] = 0;
    for (PetscInt i = 1; i < n; i++)
      if (PetscAbsReal(x[i] - mean[k]) < PetscAbsReal(x[nearest[k]] - mean[k])) nearest[k] = i;
    PetscCall(StkGridGetDualWidths(S->grid, k, &w[k]));
  }
  PetscCall(VecGetArray(p, &pa));
  for (PetscInt o = 0; o < S->layout.nowned; o++) {
    PetscReal v = 1;
    PetscCall(StkLayoutNode(S, o, &node));
    for (PetscInt k = 0; k < dim; k++) {
      const PetscReal s = H->sd[k], z = s > 0 ? (node.x[k] - mean[k]) / s : 0;
      v *= s > 0 ? PetscExpReal(-0.5 * z * z) * w[k][node.idx[k]] : (node.idx[k] == nearest[k] ? 1.0 : 0.0);
    }
    pa[o] = v;
  }
  PetscCall(VecRestoreArray(p, &pa));
  PetscCall(VecSum(p, &sum));
  PetscCheck(sum > 0, S->comm, PETSC_ERR_USER_INPUT, "%s: the initial density has no mass on the grid (standard deviation too small far from the nodes?)", opt);
  PetscCall(VecScale(p, 1.0 / sum));
  PetscFunctionReturn(0);
}

/* density = p / dual-cell volume (as the stationary density, StkSolverComputeDensity). */
static PetscErrorCode KeepDensity(StkSolver S, Vec p, Vec *g)
{
  const PetscReal *w[STK_MAX_DIM];
  PetscScalar     *ga;
  StkNode          node;

  PetscFunctionBeginUser;
  PetscCall(KeepCopy(p, g));
  PetscCall(PetscObjectSetName((PetscObject)*g, "density"));
  for (PetscInt k = 0; k < S->model->dim; k++) PetscCall(StkGridGetDualWidths(S->grid, k, &w[k]));
  PetscCall(VecGetArray(*g, &ga));
  for (PetscInt o = 0; o < S->layout.nowned; o++) {
    PetscReal vol = 1;
    PetscCall(StkLayoutNode(S, o, &node));
    for (PetscInt k = 0; k < S->model->dim; k++) vol *= w[k][node.idx[k]];
    ga[o] /= vol;
  }
  PetscCall(VecRestoreArray(*g, &ga));
  PetscFunctionReturn(0);
}

/* M = I - dt L(u)^T = (1 - rho dt) I + dt A(u)^T: columns sum to one, an M-matrix. */
static PetscErrorCode ForwardMatrix(StkSolver S, Vec u, PetscReal dt, Mat *M)
{
  PetscFunctionBeginUser;
  PetscCall(StkSolverAssemble(S, u, S->A, S->rhs));
  PetscCall(MatTranspose(S->A, *M ? MAT_REUSE_MATRIX : MAT_INITIAL_MATRIX, M));
  PetscCall(MatScale(*M, dt));
  PetscCall(MatShift(*M, 1 - S->model->rho * dt));
  PetscFunctionReturn(0);
}

static PetscErrorCode CreateForwardKSP(StkSolver S, KSP *ksp)
{
  PC   pc;
  char pre[256];

  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixCompose(S->prefix, "kfe_", pre, sizeof(pre)));
  PetscCall(KSPCreate(S->comm, ksp));
  PetscCall(KSPSetOptionsPrefix(*ksp, pre));
  PetscCall(KSPSetType(*ksp, KSPGMRES));
  PetscCall(KSPSetTolerances(*ksp, 1e-12, 1e-300, PETSC_DEFAULT, 10000));
  PetscCall(KSPSetInitialGuessNonzero(*ksp, PETSC_TRUE));
  PetscCall(KSPGetPC(*ksp, &pc));
  PetscCall(PCSetType(pc, PCHYPRE)); /* BoomerAMG, as the stationary density (stk_density.c) */
  PetscCall(KSPSetFromOptions(*ksp));
  PetscFunctionReturn(0);
}

/* One implicit step p <- M^{-1} p; the mass lost to the linear tolerance is restored by
 * rescaling (recorded as the step's correction), so it stays 1 to round-off. */
static PetscErrorCode ForwardStep(StkSolver S, KSP ksp, Vec p_old, Vec p)
{
  StkHorizonStats   *st = &S->horizon.stats;
  KSPConvergedReason reason;
  PetscInt           its;
  PetscReal          before, after, pmin;
  const char        *pre;

  PetscFunctionBeginUser;
  PetscCall(VecCopy(p, p_old));
  PetscCall(VecSum(p_old, &before));
  PetscCall(KSPSolve(ksp, p_old, p));
  PetscCall(KSPGetConvergedReason(ksp, &reason));
  PetscCall(KSPGetIterationNumber(ksp, &its));
  PetscCall(KSPGetOptionsPrefix(ksp, &pre));
  PetscCheck(reason > 0, S->comm, PETSC_ERR_NOT_CONVERGED, "Density in time: the linear solve failed (%s after %" PetscInt_FMT " iterations); try -%spc_type lu", KSPConvergedReasons[reason], its, pre);
  st->kfe_ksp_iterations += its;
  PetscCall(VecSum(p, &after));
  st->mass_correction = PetscMax(st->mass_correction, PetscAbsReal(after / before - 1));
  PetscCall(VecScale(p, before / after));
  PetscCall(VecSum(p, &after));
  st->mass_error = PetscMax(st->mass_error, PetscAbsReal(after - 1));
  PetscCall(VecMin(p, NULL, &pmin));
  st->probability_min = PetscMin(st->probability_min, pmin);
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverEvolveDensity(StkSolver S)
{
  StkHorizon     *H      = &S->horizon;
  const PetscBool finite = (PetscBool)(H->T > 0);
  const PetscReal T      = finite ? H->T : H->kfe_T;
  const PetscInt  steps  = finite ? H->K : H->kfe_K;
  const PetscReal dt     = T / steps;
  Vec             p, p_old;
  Mat             M = NULL;
  KSP             ksp;
  StkProgress     progress;
  PetscLogDouble  t0, t1;
  PetscReal       mass;

  PetscFunctionBeginUser;
  PetscCheck(S->solved, S->comm, PETSC_ERR_ORDER, "Solve before evolving the density in time");
  PetscCheck(T > 0, S->comm, PETSC_ERR_ORDER, "StkSolverEvolveDensity: no time span (-hjb_horizon or -kfe_horizon)");
  PetscCall(PetscTime(&t0));
  if (!finite) {
    PetscCall(CheckMemory(S, steps, PETSC_FALSE));
    PetscCall(SetUpTimeGrid(S, T, steps));
  }
  PetscCall(DestroySeries(H->nstore, &H->density));
  PetscCall(PetscCalloc1(H->nstore, &H->density));
  H->stats.kfe_horizon        = T;
  H->stats.kfe_steps          = steps;
  H->stats.kfe_ksp_iterations = 0;
  H->stats.mass_correction    = 0;
  H->stats.stored             = H->nstore;
  PetscCall(VecDuplicate(S->V, &p));
  PetscCall(VecDuplicate(S->V, &p_old));
  PetscCall(InitialProbabilities(S, p));
  PetscCall(VecSum(p, &mass));
  H->stats.mass_error = PetscAbsReal(mass - 1);
  PetscCall(VecMin(p, NULL, &H->stats.probability_min));
  PetscCall(KeepDensity(S, p, &H->density[0]));
  PetscCall(CreateForwardKSP(S, &ksp));
  PetscCall(StkProgressCreate(S->comm, "kfe", &progress));
  if (S->progress) PetscCall(StkProgressSetDelay(progress, 0));
  for (PetscInt n = 0; n < steps; n++) {
    if (finite || n == 0) {
      PetscCall(ForwardMatrix(S, finite ? H->u_all[n] : S->u, dt, &M));
      PetscCall(KSPSetOperators(ksp, M, M));
    }
    PetscCall(ForwardStep(S, ksp, p_old, p));
    if ((n + 1) % H->store_every == 0) PetscCall(KeepDensity(S, p, &H->density[(n + 1) / H->store_every]));
    PetscCall(StkProgressUpdate(progress, (PetscReal)(n + 1) / steps, "density in time, step %" PetscInt_FMT " of %" PetscInt_FMT, n + 1, steps));
  }
  PetscCall(StkProgressDestroy(&progress));
  PetscCall(KSPDestroy(&ksp));
  PetscCall(MatDestroy(&M));
  PetscCall(VecDestroy(&p));
  PetscCall(VecDestroy(&p_old));
  PetscCall(PetscTime(&t1));
  H->stats.kfe_time = t1 - t0;
  H->stats.kfe_done = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* Output                                                                               */

static const char series_group[] = "time_series";

static PetscErrorCode WriteSeriesAttributes(StkSolver S, StkH5 file)
{
  const StkHorizon      *H  = &S->horizon;
  const StkHorizonStats *st = &H->stats;

  PetscFunctionBeginUser;
  PetscCall(StkH5WriteAttributeReal(file, series_group, "horizon", H->T, "yr"));
  PetscCall(StkH5WriteAttributeInt(file, series_group, "time_steps", H->T > 0 ? H->K : H->kfe_K));
  PetscCall(StkH5WriteAttributeReal(file, series_group, "time_step", H->T > 0 ? H->T / H->K : H->kfe_T / H->kfe_K, "yr"));
  PetscCall(StkH5WriteAttributeInt(file, series_group, "store_every", H->store_every));
  if (H->T > 0) {
    PetscCall(StkH5WriteAttributeInt(file, series_group, "howard_iterations", st->howard_iterations));
    PetscCall(StkH5WriteAttributeInt(file, series_group, "max_step_iterations", st->max_step_iterations));
    PetscCall(StkH5WriteAttributeReal(file, series_group, "max_residual", st->max_residual, "1"));
    PetscCall(StkH5WriteAttributeInt(file, series_group, "terminal_cost", S->model->ops.terminal ? 1 : 0));
  } else PetscCall(StkH5WriteAttributeReal(file, series_group, "kfe_horizon", H->kfe_T, "yr"));
  if (st->kfe_done) {
    PetscCall(StkH5WriteAttributeReal(file, series_group, "mass_error", st->mass_error, "1"));
    PetscCall(StkH5WriteAttributeReal(file, series_group, "mass_correction", st->mass_correction, "1"));
    PetscCall(StkH5WriteAttributeReal(file, series_group, "probability_min", st->probability_min, "1"));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverWriteTimeSeries(StkSolver S, StkH5 file)
{
  const StkHorizon *H = &S->horizon;
  const PetscInt    nu = S->model->nu;
  char              density_units[160];

  PetscFunctionBeginUser;
  if (!H->nstore) PetscFunctionReturn(0);
  if (!H->stats.kfe_done) PetscCall(StkSolverEvolveDensity(S));
  PetscCall(StkSolverDensityUnits(S->model, sizeof(density_units), density_units));
  PetscCall(StkH5WriteGrid(file, series_group, S->grid));
  for (PetscInt k = 0; k < S->model->dim; k++) {
    const char *name, *units, *long_name;
    PetscCall(StkGridGetName(S->grid, k, &name));
    PetscCall(StkModelGetStateUnits(S->model, k, &units, &long_name));
    PetscCall(StkH5WriteVariableAttributes(file, series_group, name, units, long_name));
  }
  PetscCall(StkH5WriteArray(file, series_group, "time", "time", H->nstore, H->times, "yr", "time t from the start (the finite horizon's V(T) is the terminal cost)"));
  if (H->T > 0) {
    PetscCall(StkH5WriteFieldSeries(file, series_group, "value", "time", S->grid, H->nstore, H->V, 1, NULL, "1", "value function V(t, x): expected cost from t to the horizon"));
    PetscCall(StkH5WriteFieldSeries(file, series_group, "policy", "time", S->grid, H->nstore, H->u_store, nu, "control", nu == 1 ? "1/yr" : "1", "optimal control u*(t, x)"));
  }
  PetscCall(StkH5WriteFieldSeries(file, series_group, "density", "time", S->grid, H->nstore, H->density, 1, NULL, density_units, "density of the closed loop in time from the initial density (mass 1; Dirichlet faces absorb)"));
  PetscCall(WriteSeriesAttributes(S, file));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverWriteTimeSeriesSidecar(StkSolver S, const char path[])
{
  const StkHorizon *H = &S->horizon;
  const char       *finite[] = {"value", "policy", "density"}, *finite_vector[] = {"value", "density"}, *kfe[] = {"density"};
  const char *const *fields = H->T > 0 ? (S->model->nu == 1 ? finite : finite_vector) : kfe;
  const PetscInt     nfields = H->T > 0 ? (S->model->nu == 1 ? 3 : 2) : 1;

  PetscFunctionBeginUser;
  if (!H->nstore) PetscFunctionReturn(0);
  PetscCall(StkH5WriteXdmfSeries(S->comm, path, series_group, S->grid, H->nstore, H->times, nfields, fields, 0, NULL));
  PetscFunctionReturn(0);
}
