/* The bang-bang test model: a bounded control with a closed-form value (docs/exact_solutions.md).
 *
 *   dx = u dt + sigma dW,  |u| <= 1,  l(x, u) = x^2,  x in [-L, L] with the exact V as
 *   Dirichlet data at both ends.
 *
 * V is even and convex, so u* = -sign(x) and for x >= 0  rho V = x^2 - V' + a V'',
 * a = sigma^2/2.  The solution with V'(0) = 0 that grows only quadratically is
 *   V(x) = x^2/rho - 2x/rho^2 + 2/rho^3 + 2a/rho^2 + 2/(rho^2 lambda) e^(lambda x),
 *   lambda = (1 - s)/(2a) = -2 rho/(1 + s),  s = sqrt(1 + 4 a rho),
 * extended evenly to x < 0.  It is C^2; V''' jumps by 4 lambda^2/rho^2 at 0.  The terms
 * nearly cancel when rho is small, so it is evaluated in the equivalent form
 *   V(x) = V(0) + x^2/rho (1 + 2 lambda/rho phi(lambda |x|)),  phi(z) = (e^z - 1 - z)/z^2,
 *   V(0) = 8 a^2 / (rho (1 + s)^2).  rho defaults to 1 for this model. */
#include "stk_modelimpl.h"
#include <math.h> /* expm1: PETSc 3.18 has no PetscExpm1Real */

typedef struct {
  PetscReal sigma, L;  /* volatility and box half-width */
  PetscReal a, lambda; /* sigma^2/2 and the decay rate of the exponential (< 0) */
  PetscReal V0;        /* V(0) */
} BangBangCtx;

/* phi(z) = (e^z - 1 - z)/z^2 without cancellation: its Taylor series sum z^k/(k+2)! near 0. */
static PetscReal BangBangPhi(PetscReal z)
{
  PetscReal term = 0.5, sum = 0.5;

  if (PetscAbsReal(z) > 0.5) return ((PetscReal)expm1((double)z) - z) / (z * z);
  for (PetscInt k = 1; k < 20; k++) {
    term *= z / (k + 2);
    sum += term;
  }
  return sum;
}

static PetscErrorCode BangBangDrift(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal b[])
{
  b[0] = u[0];
  return 0;
}

static PetscErrorCode BangBangDiffusion(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal a[])
{
  const BangBangCtx *ctx = (BangBangCtx *)m->data;

  a[0] = ctx->a;
  return 0;
}

static PetscErrorCode BangBangCost(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal *l)
{
  *l = x[0] * x[0];
  return 0;
}

/* argmin_{|u| <= 1} u p: the bound opposite to the sign of p (0 when p == 0). */
static PetscErrorCode BangBangGreedy(StkModel m, const PetscReal x[], PetscInt c, PetscReal p, PetscReal q, const PetscReal u[], PetscReal *uc)
{
  *uc = p > 0 ? m->ulo[0] : (p < 0 ? m->uhi[0] : 0);
  return 0;
}

static PetscErrorCode BangBangExact(StkModel m, const PetscReal x[], PetscReal *V)
{
  const BangBangCtx *ctx = (BangBangCtx *)m->data;
  const PetscReal    y = PetscAbsReal(x[0]), rho = m->rho;

  *V = ctx->V0 + y * y / rho * (1 + 2 * ctx->lambda / rho * BangBangPhi(ctx->lambda * y));
  return 0;
}

/* u* = -sign(x) (0 at the switching point, the symmetric choice). */
static PetscErrorCode BangBangExactPolicy(StkModel m, const PetscReal x[], PetscReal u[])
{
  u[0] = x[0] > 0 ? m->ulo[0] : (x[0] < 0 ? m->uhi[0] : 0);
  return 0;
}

static PetscErrorCode BangBangCheck(StkModel m)
{
  const BangBangCtx *ctx = (BangBangCtx *)m->data;
  char               pre[256];

  PetscFunctionBeginUser;
  PetscCall(StkModelComposePrefix(m, NULL, pre, sizeof(pre)));
  PetscCheck(ctx->sigma >= 0, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%ssigma must be >= 0, got %g", pre, (double)ctx->sigma);
  PetscCheck(ctx->L > 0, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sbox must be > 0, got %g", pre, (double)ctx->L);
  PetscFunctionReturn(0);
}

static void BangBangApplyBox(StkModel m)
{
  const BangBangCtx *ctx = (BangBangCtx *)m->data;

  m->box_lo[0] = -ctx->L;
  m->box_hi[0] = ctx->L;
}

static PetscErrorCode BangBangSetFromOptions(StkModel m, PetscOptionItems *PetscOptionsObject)
{
  BangBangCtx *ctx = (BangBangCtx *)m->data;

  PetscFunctionBeginUser;
  PetscOptionsHeadBegin(PetscOptionsObject, "Bang-bang test model: dx = u dt + sigma dW, |u| <= 1, cost x^2");
  PetscCall(PetscOptionsReal("-sigma", "Volatility sigma >= 0 (1/sqrt(yr))", "StkModelSetFromOptions", ctx->sigma, &ctx->sigma, NULL));
  PetscCall(PetscOptionsReal("-box", "Half-width L of the box [-L, L] (exact V as Dirichlet data at both ends)", "StkModelSetFromOptions", ctx->L, &ctx->L, NULL));
  PetscOptionsHeadEnd();
  PetscCall(BangBangCheck(m));
  BangBangApplyBox(m);
  PetscFunctionReturn(0);
}

static PetscErrorCode BangBangSetUp(StkModel m)
{
  BangBangCtx    *ctx = (BangBangCtx *)m->data;
  const PetscReal rho = m->rho;
  PetscReal       s;

  PetscFunctionBeginUser;
  PetscCheck(m->dim == 1, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "The bangbang model is 1-D: use -%sdim 1 (got -%sdim %" PetscInt_FMT ")", m->prefix ? m->prefix : "", m->prefix ? m->prefix : "", m->dim);
  PetscCall(BangBangCheck(m));
  BangBangApplyBox(m);
  ctx->a      = 0.5 * ctx->sigma * ctx->sigma;
  s           = PetscSqrtReal(1 + 4 * ctx->a * rho);
  ctx->lambda = -2 * rho / (1 + s); /* = (1 - s)/(2a), without cancellation */
  ctx->V0     = 8 * ctx->a * ctx->a / (rho * (1 + s) * (1 + s));
  PetscFunctionReturn(0);
}

static PetscErrorCode BangBangView(StkModel m, PetscViewer viewer)
{
  const BangBangCtx *ctx = (BangBangCtx *)m->data;

  PetscFunctionBeginUser;
  PetscCall(PetscViewerASCIIPrintf(viewer, "dx = u dt + %g dW, |u| <= 1, cost x^2, box [-%g, %g] with exact Dirichlet data\n", (double)ctx->sigma, (double)ctx->L, (double)ctx->L));
  if (m->setupcalled) PetscCall(PetscViewerASCIIPrintf(viewer, "V(x) = x^2/rho - 2|x|/rho^2 + 2/rho^3 + 2a/rho^2 + 2/(rho^2 lambda) exp(lambda |x|), lambda = %.10g, V(0) = %.10g\n", (double)ctx->lambda, (double)ctx->V0));
  PetscFunctionReturn(0);
}

static PetscErrorCode BangBangAttributes(StkModel m, StkH5 file, const char group[])
{
  BangBangCtx        *ctx   = (BangBangCtx *)m->data;
  const StkModelParam par[] = {
    {"bb_sigma", &ctx->sigma, "1/sqrt(yr)"}, {"bb_box", &ctx->L, "1"}, {"bb_u_max", &m->uhi[0], "1/yr"},
    {"bb_lambda", &ctx->lambda, "1"},        {"bb_value_at_0", &ctx->V0, "yr"}, /* derived by set-up */
  };

  PetscFunctionBeginUser;
  PetscCall(StkModelWriteParams(file, group, PETSC_STATIC_ARRAY_LENGTH(par), par));
  PetscFunctionReturn(0);
}

/* The data (the first three attributes); |u| <= bb_u_max. */
static PetscErrorCode BangBangLoad(StkModel m, StkH5 file, const char group[])
{
  BangBangCtx        *ctx   = (BangBangCtx *)m->data;
  const StkModelParam par[] = {{"bb_sigma", &ctx->sigma, "1/sqrt(yr)"}, {"bb_box", &ctx->L, "1"}, {"bb_u_max", &m->uhi[0], "1/yr"}};

  PetscFunctionBeginUser;
  PetscCall(StkModelLoadParams(file, group, PETSC_STATIC_ARRAY_LENGTH(par), par));
  m->ulo[0] = -m->uhi[0];
  PetscFunctionReturn(0);
}

static PetscErrorCode BangBangDestroy(StkModel m)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree(m->data));
  PetscFunctionReturn(0);
}

/* The type is 1-D: it takes dimension 1 unless one was set explicitly (then set-up
 * rejects anything else with the option's name). */
PetscErrorCode StkModelCreate_BangBang(StkModel m)
{
  BangBangCtx *ctx;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&ctx));
  if (!m->dim_set) m->dim = 1;
  ctx->sigma        = 0.5;
  ctx->L            = 2.0;
  m->rho = 1.0; /* a test problem's own default discount: errors scale like 1/rho */
  m->data           = ctx;
  m->nu             = 1;
  m->control_dir[0] = 0;
  m->ulo[0]         = -1;
  m->uhi[0]         = 1;
  m->bc[0][0] = m->bc[0][1] = STK_BC_DIRICHLET;
  PetscCall(PetscStrncpy(m->names[0], "x0", sizeof(m->names[0])));
  BangBangApplyBox(m);
  m->type_class         = "bb_";
  m->ops.setfromoptions = BangBangSetFromOptions;
  m->ops.setup          = BangBangSetUp;
  m->ops.view           = BangBangView;
  m->ops.destroy        = BangBangDestroy;
  m->ops.drift          = BangBangDrift;
  m->ops.diffusion      = BangBangDiffusion;
  m->ops.cost           = BangBangCost;
  m->ops.greedy         = BangBangGreedy;
  m->ops.dirichlet      = BangBangExact;
  m->ops.exact          = BangBangExact;
  m->ops.exact_policy   = BangBangExactPolicy;
  m->ops.attributes     = BangBangAttributes;
  m->ops.load           = BangBangLoad;
  PetscFunctionReturn(0);
}
