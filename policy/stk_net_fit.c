/* Fitting the mechanism network to a target policy by least squares with PETSc TAO.
 *
 *   J(theta) = 1/(2N) sum_i ((pi_theta(x_i) - u_i) / (u_max - u_min))^2 + l2/2 |theta|^2
 *
 * Reproducibility on any number of ranks: the N samples are cut into a fixed number of
 * blocks independent of the rank count; each rank sums whole blocks in sample order, the
 * block sums are gathered, and every rank adds them in block order.  The weight vector
 * TAO works on lives entirely on rank 0 (other ranks own no entries), so TAO's dot
 * products and norms are the same sums as on one rank.  The fitted weights are then
 * bitwise the same on 1, 2, 3 ... ranks. */
#include "stk_netimpl.h"
#include "stk_progress.h"
#include <petsctao.h>

#define STK_NET_FIT_BLOCKS 64

typedef struct {
  StkNet           net;
  PetscInt         n;          /* samples */
  const PetscReal *x, *u;      /* n x nin, n */
  PetscInt         nblocks, stride; /* stride = nweights + 2: [sum r^2, max |r|, sum r dudw] */
  PetscInt         block_lo, block_hi; /* this rank's blocks */
  PetscMPIInt     *counts, *displs;    /* of the gathered block sums, per rank */
  PetscReal       *mine, *all, *work; /* work: the batched passes over one block */
  PetscBool        gradient;           /* SumAll also sums the gradient */
  PetscInt         evaluations;
} FitContext;

static PetscErrorCode FitContextCreate(StkNet net, PetscInt n, const PetscReal x[], const PetscReal u[], FitContext *ctx)
{
  PetscMPIInt size, rank;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(net->comm, &size));
  PetscCallMPI(MPI_Comm_rank(net->comm, &rank));
  ctx->net     = net;
  ctx->n       = n;
  ctx->x       = x;
  ctx->u       = u;
  ctx->nblocks = PetscMin(n, STK_NET_FIT_BLOCKS);
  ctx->stride  = net->nweights + 2;
  PetscCall(PetscMalloc2(size, &ctx->counts, size, &ctx->displs));
  for (PetscMPIInt r = 0; r < size; r++) {
    const PetscInt lo = ctx->nblocks * r / size, hi = ctx->nblocks * (r + 1) / size;
    ctx->counts[r] = (PetscMPIInt)((hi - lo) * ctx->stride);
    ctx->displs[r] = (PetscMPIInt)(lo * ctx->stride);
    if (r == rank) {
      ctx->block_lo = lo;
      ctx->block_hi = hi;
    }
  }
  PetscCall(PetscMalloc3((ctx->block_hi - ctx->block_lo) * ctx->stride + 1, &ctx->mine, ctx->nblocks * ctx->stride, &ctx->all, StkNetBatchWorkSize(net, (n + ctx->nblocks - 1) / ctx->nblocks), &ctx->work));
  ctx->gradient    = PETSC_TRUE;
  ctx->evaluations = 0;
  PetscFunctionReturn(0);
}

static PetscErrorCode FitContextDestroy(FitContext *ctx)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree2(ctx->counts, ctx->displs));
  PetscCall(PetscFree3(ctx->mine, ctx->all, ctx->work));
  PetscFunctionReturn(0);
}

/* One block's [sum r^2, max |r|, sum r du/dtheta] with the network's current weights
 * (the batched passes: one block at a time, layer by layer). */
static PetscErrorCode SumBlock(FitContext *ctx, PetscInt b, PetscReal sums[])
{
  StkNet         net   = ctx->net;
  const PetscInt first = ctx->n * b / ctx->nblocks, last = ctx->n * (b + 1) / ctx->nblocks;

  PetscFunctionBeginUser;
  PetscCall(PetscArrayzero(sums, ctx->stride));
  PetscCall(StkNetBatchResidualGradient(net, last - first, ctx->x + first * net->nin, ctx->u + first, ctx->gradient, sums, ctx->work));
  PetscFunctionReturn(0);
}

/* Totals over all samples, the same on every rank: tot = [sum r^2, max |r|, sum r dudw]. */
static PetscErrorCode SumAll(FitContext *ctx, PetscReal tot[])
{
  PetscFunctionBeginUser;
  for (PetscInt b = ctx->block_lo; b < ctx->block_hi; b++) PetscCall(SumBlock(ctx, b, ctx->mine + (b - ctx->block_lo) * ctx->stride));
  PetscCallMPI(MPI_Allgatherv(ctx->mine, (PetscMPIInt)((ctx->block_hi - ctx->block_lo) * ctx->stride), MPIU_REAL, ctx->all, ctx->counts, ctx->displs, MPIU_REAL, ctx->net->comm));
  PetscCall(PetscArrayzero(tot, ctx->stride));
  for (PetscInt b = 0; b < ctx->nblocks; b++) {
    const PetscReal *s = ctx->all + b * ctx->stride;
    tot[0] += s[0];
    tot[1] = PetscMax(tot[1], s[1]);
    for (PetscInt k = 2; k < ctx->stride; k++) tot[k] += s[k];
  }
  ctx->evaluations++;
  PetscFunctionReturn(0);
}

/* Rank 0's entries of X (all the weights) into the network on every rank. */
static PetscErrorCode BroadcastWeights(StkNet net, Vec X)
{
  const PetscScalar *x;
  PetscMPIInt        rank;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(net->comm, &rank));
  PetscCall(VecGetArrayRead(X, &x));
  if (rank == 0) PetscCall(PetscArraycpy(net->w, x, net->nweights));
  PetscCall(VecRestoreArrayRead(X, &x));
  PetscCallMPI(MPI_Bcast(net->w, (PetscMPIInt)net->nweights, MPIU_REAL, 0, net->comm));
  PetscFunctionReturn(0);
}

static PetscErrorCode FormObjectiveGradient(Tao tao, Vec X, PetscReal *f, Vec G, void *ptr)
{
  FitContext  *ctx = (FitContext *)ptr;
  StkNet       net = ctx->net;
  PetscReal   *tot, wnorm2 = 0;
  PetscScalar *g;
  PetscInt     nlocal;

  PetscFunctionBeginUser;
  PetscCall(BroadcastWeights(net, X));
  PetscCall(PetscMalloc1(ctx->stride, &tot));
  PetscCall(SumAll(ctx, tot));
  for (PetscInt k = 0; k < net->nweights; k++) wnorm2 += net->w[k] * net->w[k];
  *f = tot[0] / (2 * ctx->n) + net->fit_l2 / 2 * wnorm2;
  PetscCall(VecGetLocalSize(G, &nlocal));
  PetscCall(VecGetArray(G, &g));
  for (PetscInt k = 0; k < nlocal; k++) g[k] = tot[2 + k] / ((net->u_max - net->u_min) * ctx->n) + net->fit_l2 * net->w[k];
  PetscCall(VecRestoreArray(G, &g));
  PetscCall(PetscFree(tot));
  PetscFunctionReturn(0);
}

/* Defaults first, then -net_fit_tao_* overrides (USER + "net_fit_tao_*"). */
static PetscErrorCode CreateTao(StkNet net, Vec X, Tao *tao)
{
  PetscFunctionBeginUser;
  PetscCall(TaoCreate(net->comm, tao));
  PetscCall(TaoSetOptionsPrefix(*tao, net->class_prefix));
  PetscCall(TaoAppendOptionsPrefix(*tao, "fit_"));
  PetscCall(TaoSetType(*tao, TAOLMVM));
  if (X) PetscCall(TaoSetSolution(*tao, X));
  PetscCall(TaoSetMaximumIterations(*tao, net->fit_max_it));
  PetscCall(TaoSetMaximumFunctionEvaluations(*tao, 10 * net->fit_max_it + 100));
  /* relative to |J|: stop when the gradient is tiny compared with the misfit itself */
  PetscCall(TaoSetTolerances(*tao, 1e-12, 1e-9, 0));
  PetscCall(TaoSetFromOptions(*tao));
  PetscFunctionReturn(0);
}

PetscErrorCode StkNetSetFitMaxIterations(StkNet net, PetscInt max_it)
{
  PetscFunctionBeginUser;
  PetscCheck(max_it >= 0, net->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sfit_max_it must be >= 0, got %" PetscInt_FMT, net->class_prefix, max_it);
  net->fit_max_it = max_it;
  PetscFunctionReturn(0);
}

PetscErrorCode StkNetPrintFitOptions(StkNet net)
{
  Tao tao;

  PetscFunctionBeginUser;
  PetscCall(CreateTao(net, NULL, &tao));
  PetscCall(TaoDestroy(&tao));
  PetscFunctionReturn(0);
}

/* RMSE and max error at the network's current weights. */
static PetscErrorCode FitErrors(FitContext *ctx, StkNetFitStats *st)
{
  StkNet     net   = ctx->net;
  PetscReal *tot, range = net->u_max - net->u_min;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(ctx->stride, &tot));
  ctx->gradient = PETSC_FALSE;
  PetscCall(SumAll(ctx, tot));
  ctx->gradient = PETSC_TRUE;
  st->rmse_relative      = PetscSqrtReal(tot[0] / ctx->n);
  st->max_error_relative = tot[1];
  st->rmse               = st->rmse_relative * range;
  st->max_error          = st->max_error_relative * range;
  PetscCall(PetscFree(tot));
  PetscFunctionReturn(0);
}

PetscErrorCode StkNetComputeErrors(StkNet net, PetscInt n, const PetscReal x[], const PetscReal u[], PetscReal *rmse_relative, PetscReal *max_error_relative)
{
  FitContext     ctx;
  StkNetFitStats st;

  PetscFunctionBeginUser;
  PetscCheck(net->setup, net->comm, PETSC_ERR_ARG_WRONGSTATE, "call StkNetSetUp before StkNetComputeErrors");
  PetscCheck(n >= 1, net->comm, PETSC_ERR_ARG_OUTOFRANGE, "the errors need at least one sample, got %" PetscInt_FMT, n);
  PetscCall(FitContextCreate(net, n, x, u, &ctx));
  PetscCall(FitErrors(&ctx, &st));
  PetscCall(FitContextDestroy(&ctx));
  if (rmse_relative) *rmse_relative = st.rmse_relative;
  if (max_error_relative) *max_error_relative = st.max_error_relative;
  PetscFunctionReturn(0);
}

/* A progress line per TAO iteration (printed once the fit runs long): the share of the
 * maximum iterations, the objective and the gradient's norm. */
static PetscErrorCode FitProgress(Tao tao, void *ctx)
{
  StkProgress progress = (StkProgress)ctx;
  PetscInt    it, max_it;
  PetscReal   f, gnorm;

  PetscFunctionBeginUser;
  PetscCall(TaoGetSolutionStatus(tao, &it, &f, &gnorm, NULL, NULL, NULL));
  PetscCall(TaoGetMaximumIterations(tao, &max_it));
  PetscCall(StkProgressUpdate(progress, max_it > 0 ? (PetscReal)it / max_it : -1, "TAO iteration %" PetscInt_FMT "/%" PetscInt_FMT ", objective %.3e, |gradient| %.2e", it, max_it, (double)f, (double)gnorm));
  PetscFunctionReturn(0);
}

static PetscErrorCode DestroyProgress(void **ctx)
{
  PetscFunctionBeginUser;
  PetscCall(StkProgressDestroy((StkProgress *)ctx));
  PetscFunctionReturn(0);
}

static PetscErrorCode RunTao(FitContext *ctx, StkNetFitStats *st)
{
  StkProgress        progress;
  StkNet             net = ctx->net;
  Tao                tao;
  Vec                X;
  PetscMPIInt        rank;
  PetscScalar       *x;
  TaoConvergedReason reason;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(net->comm, &rank));
  PetscCall(VecCreateMPI(net->comm, rank == 0 ? net->nweights : 0, net->nweights, &X));
  PetscCall(VecGetArray(X, &x));
  if (rank == 0) PetscCall(PetscArraycpy(x, net->w, net->nweights));
  PetscCall(VecRestoreArray(X, &x));
  PetscCall(CreateTao(net, X, &tao));
  PetscCall(TaoSetObjectiveAndGradient(tao, NULL, FormObjectiveGradient, ctx));
  PetscCall(StkProgressCreate(net->comm, "fit", &progress));
  PetscCall(TaoSetMonitor(tao, FitProgress, progress, DestroyProgress));
  PetscCall(TaoSolve(tao));
  PetscCall(TaoGetSolutionStatus(tao, &st->iterations, &st->objective, NULL, NULL, NULL, &reason));
  PetscCall(PetscStrncpy(st->reason, TaoConvergedReasons[reason], sizeof(st->reason)));
  st->converged = (PetscBool)(reason > 0);
  if (net->fit_view) PetscCall(TaoView(tao, PETSC_VIEWER_STDOUT_(net->comm)));
  PetscCall(BroadcastWeights(net, X)); /* the last evaluation may have been a line-search trial */
  PetscCall(TaoDestroy(&tao));
  PetscCall(VecDestroy(&X));
  PetscFunctionReturn(0);
}

PetscErrorCode StkNetFit(StkNet net, PetscInt n, const PetscReal x[], const PetscReal u[], StkNetFitStats *stats)
{
  FitContext     ctx;
  StkNetFitStats st;
  PetscLogDouble t0, t1;

  PetscFunctionBeginUser;
  PetscCheck(net->setup, net->comm, PETSC_ERR_ARG_WRONGSTATE, "call StkNetSetUp before StkNetFit");
  PetscCheck(n >= 1, net->comm, PETSC_ERR_ARG_OUTOFRANGE, "the fit needs at least one sample, got %" PetscInt_FMT, n);
  PetscCall(PetscMemzero(&st, sizeof(st)));
  PetscCall(PetscLogEventBegin(STK_EVENT_NetFit, 0, 0, 0, 0));
  PetscCall(PetscTime(&t0));
  PetscCall(FitContextCreate(net, n, x, u, &ctx));
  PetscCall(RunTao(&ctx, &st));
  PetscCall(FitErrors(&ctx, &st));
  st.samples     = n;
  st.evaluations = ctx.evaluations - 1;
  st.l2          = net->fit_l2;
  PetscCall(FitContextDestroy(&ctx));
  PetscCall(PetscTime(&t1));
  st.time = (PetscReal)(t1 - t0);
  /* rank 0's clock, so every rank stores the same statistics */
  PetscCallMPI(MPI_Bcast(&st.time, 1, MPIU_REAL, 0, net->comm));
  PetscCall(PetscLogEventEnd(STK_EVENT_NetFit, 0, 0, 0, 0));
  net->fit    = st;
  net->fitted = PETSC_TRUE;
  if (stats) *stats = st;
  PetscFunctionReturn(0);
}

/* Index i of direction k is used when it is a multiple of the stride, or the last. */
static inline PetscBool Sampled(PetscInt i, PetscInt n, PetscInt stride)
{
  return (PetscBool)(i % stride == 0 || i == n - 1);
}

/* Whether a target sits at one of the network's output bounds (where the solver's
 * policy is clipped). */
static inline PetscBool AtBound(StkNet net, PetscScalar v)
{
  const PetscReal tol = 1e-9 * (net->u_max - net->u_min), u = PetscRealPart(v);
  return (PetscBool)(u <= net->u_min + tol || u >= net->u_max - tol);
}

/* The automatic stride: about STK_NET_FIT_SAMPLES nodes on a regular subgrid (every
 * node on a grid that has fewer). */
static PetscInt AutoStride(StkNet net, PetscInt dim, PetscInt total)
{
  PetscInt stride = (PetscInt)PetscFloorReal(PetscPowReal((PetscReal)total / net->fit_samples, 1.0 / dim));
  return PetscMax(1, stride);
}

/* The sampled nodes in natural order (direction 0 fastest): coordinates and targets.
 * With kinks, also every node next to one whose target is on the other side of the
 * clip at u_min or u_max (the kink the smooth network has to follow). */
static PetscErrorCode GridSamples(StkNet net, StkGrid grid, const PetscScalar *all, PetscInt stride, PetscBool kinks, PetscInt *count, PetscReal **x, PetscReal **u)
{
  PetscInt         dim, n[STK_MAX_DIM] = {1, 1, 1}, step[STK_MAX_DIM], total, m = 0;
  const PetscReal *coord[STK_MAX_DIM];

  PetscFunctionBeginUser;
  PetscCall(StkGridGetDimension(grid, &dim));
  PetscCall(StkGridGetSizes(grid, n));
  PetscCall(StkGridGetNumNodes(grid, &total));
  for (PetscInt k = 0; k < dim; k++) PetscCall(StkGridGetCoordinates(grid, k, &coord[k]));
  for (PetscInt k = 0; k < dim; k++) step[k] = k ? step[k - 1] * n[k - 1] : 1;
  PetscCall(PetscMalloc2(total * dim, x, total, u));
  for (PetscInt node = 0; node < total; node++) {
    PetscInt  idx[STK_MAX_DIM], rest = node;
    PetscBool use = PETSC_TRUE, kink = PETSC_FALSE;
    for (PetscInt k = 0; k < dim; k++) {
      idx[k] = rest % n[k];
      rest /= n[k];
      use = (PetscBool)(use && Sampled(idx[k], n[k], stride));
    }
    if (!use && kinks) {
      const PetscBool here = AtBound(net, all[node]);
      for (PetscInt k = 0; k < dim && !kink; k++) {
        if (idx[k] > 0 && AtBound(net, all[node - step[k]]) != here) kink = PETSC_TRUE;
        if (idx[k] < n[k] - 1 && AtBound(net, all[node + step[k]]) != here) kink = PETSC_TRUE;
      }
    }
    if (!use && !kink) continue;
    for (PetscInt k = 0; k < dim; k++) (*x)[m * dim + k] = coord[k][idx[k]];
    (*u)[m++] = PetscRealPart(all[node]);
  }
  *count = m;
  PetscFunctionReturn(0);
}

/* Every node's error after a fit on a subsample. */
static PetscErrorCode ErrorsOnEveryNode(StkNet net, StkGrid grid, const PetscScalar *all)
{
  PetscReal *x, *u;
  PetscInt   m = 0;

  PetscFunctionBeginUser;
  PetscCall(GridSamples(net, grid, all, 1, PETSC_FALSE, &m, &x, &u));
  PetscCall(StkNetComputeErrors(net, m, x, u, &net->fit.rmse_relative, &net->fit.max_error_relative));
  net->fit.rmse      = net->fit.rmse_relative * (net->u_max - net->u_min);
  net->fit.max_error = net->fit.max_error_relative * (net->u_max - net->u_min);
  PetscCall(PetscFree2(x, u));
  PetscFunctionReturn(0);
}

PetscErrorCode StkNetFitGrid(StkNet net, StkGrid grid, Vec policy, StkNetFitStats *stats)
{
  Vec                all;
  const PetscScalar *a;
  PetscReal         *x, *u;
  PetscInt           dim, total, stride = net->fit_stride, m = 0;

  PetscFunctionBeginUser;
  PetscCall(StkGridGetDimension(grid, &dim));
  PetscCall(StkGridGetNumNodes(grid, &total));
  if (stride == 0) stride = AutoStride(net, dim, total);
  PetscCheck(dim == net->nin, net->comm, PETSC_ERR_ARG_INCOMP, "the network has %" PetscInt_FMT " inputs but the grid %" PetscInt_FMT " directions", net->nin, dim);
  PetscCall(StkGridGatherField(grid, policy, &all));
  PetscCall(VecGetArrayRead(all, &a));
  PetscCall(GridSamples(net, grid, a, stride, (PetscBool)(net->fit_stride == 0 && stride > 1), &m, &x, &u));
  PetscCall(StkNetFit(net, m, x, u, NULL));
  PetscCall(PetscFree2(x, u));
  if (m < total) PetscCall(ErrorsOnEveryNode(net, grid, a));
  PetscCall(VecRestoreArrayRead(all, &a));
  PetscCall(VecDestroy(&all));
  if (stats) *stats = net->fit;
  PetscFunctionReturn(0);
}

PetscErrorCode StkNetSetUpFromSolution(StkNet net, StkModel model, StkGrid grid)
{
  const char *type;
  PetscBool   staking, set_min, set_max;
  PetscReal   u_min, u_max;

  PetscFunctionBeginUser;
  PetscCall(StkNetSetInputsFromGrid(net, grid));
  PetscCall(StkModelGetType(model, &type));
  PetscCall(PetscStrcmp(type, STK_MODEL_STAKING, &staking));
  if (!staking) PetscCall(PetscStrcmp(type, STK_MODEL_STAKING_PRICE, &staking)); /* the price-aware planner: the same issuance */
  if (staking) {
    PetscCall(StkModelGetControlBounds(model, 0, &u_min, &u_max));
    PetscCall(StkNetSetOutputBounds(net, u_min, u_max));
  } else {
    PetscCall(PetscOptionsHasName(NULL, net->class_prefix, "-u_min", &set_min));
    PetscCall(PetscOptionsHasName(NULL, net->class_prefix, "-u_max", &set_max));
    PetscCheck(set_min && set_max, net->comm, PETSC_ERR_ARG_WRONG, "model '%s' has no issuance bounds (u_min, u_max): give -%su_min and -%su_max", type, net->class_prefix, net->class_prefix);
  }
  PetscCall(StkNetSetFromOptions(net));
  PetscCall(StkNetSetUp(net));
  PetscFunctionReturn(0);
}
