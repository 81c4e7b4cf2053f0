/* The manufactured-solution test model (docs/exact_solutions.md): on [0, 1]^d,
 *
 *   dx_k = u_k dt + sigma dW_k,  u_k in [-1, 1],  l(x, u) = |u|^2/2 + f(x),
 *
 * reflecting at every face.  The source f makes V*(x) = prod_k cos(pi x_k) exact:
 *   f = rho V* - sum_k [u*_k^2/2 + u*_k V*_k] - sum_k a V*_kk,  u*_k = clip(-V*_k, -1, 1),
 * a = sigma^2/2.  |V*_k| reaches pi > 1, so the clip is active on most of the box (in 1-D
 * u* = 1 on (0.1035, 0.8965)).  The normal derivative of V* vanishes on every face, so the
 * reflecting boundary is consistent.  rho defaults to 1 (errors scale like 1/rho). */
#include "stk_modelimpl.h"

typedef struct {
  PetscReal sigma, a; /* volatility and sigma^2/2 */
} MMSCtx;

/* V*(x) and its gradient. */
static PetscReal MMSValueAndGradient(PetscInt d, const PetscReal x[], PetscReal grad[])
{
  PetscReal c[STK_MAX_DIM], s[STK_MAX_DIM], V = 1;

  for (PetscInt k = 0; k < d; k++) {
    c[k] = PetscCosReal(PETSC_PI * x[k]);
    s[k] = PetscSinReal(PETSC_PI * x[k]);
    V *= c[k];
  }
  for (PetscInt k = 0; k < d; k++) {
    grad[k] = -PETSC_PI * s[k];
    for (PetscInt j = 0; j < d; j++)
      if (j != k) grad[k] *= c[j];
  }
  return V;
}

static inline PetscReal MMSClip(PetscReal v, PetscReal lo, PetscReal hi)
{
  return PetscMin(PetscMax(v, lo), hi);
}

/* f = rho V* - sum_k min_u [u^2/2 + u V*_k] + a pi^2 d V*   (V*_kk = -pi^2 V*). */
static PetscReal MMSSource(StkModel m, const PetscReal x[])
{
  const MMSCtx *ctx = (MMSCtx *)m->data;
  PetscReal     grad[STK_MAX_DIM];
  const PetscReal V = MMSValueAndGradient(m->dim, x, grad);
  PetscReal     f = m->rho * V + m->dim * ctx->a * PETSC_PI * PETSC_PI * V;

  for (PetscInt k = 0; k < m->dim; k++) {
    const PetscReal us = MMSClip(-grad[k], m->ulo[k], m->uhi[k]);
    f -= 0.5 * us * us + us * grad[k];
  }
  return f;
}

static PetscErrorCode MMSDrift(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal b[])
{
  for (PetscInt k = 0; k < m->dim; k++) b[k] = u[k];
  return 0;
}

static PetscErrorCode MMSDiffusion(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal a[])
{
  const MMSCtx *ctx = (MMSCtx *)m->data;

  for (PetscInt k = 0; k < m->dim; k++) a[k] = ctx->a;
  return 0;
}

static PetscErrorCode MMSCost(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal *l)
{
  *l = MMSSource(m, x);
  for (PetscInt k = 0; k < m->dim; k++) *l += 0.5 * u[k] * u[k];
  return 0;
}

/* argmin_{|u| <= 1} u^2/2 + u p = clip(-p, -1, 1). */
static PetscErrorCode MMSGreedy(StkModel m, const PetscReal x[], PetscInt c, PetscReal p, PetscReal q, const PetscReal u[], PetscReal *uc)
{
  *uc = MMSClip(-p, m->ulo[c], m->uhi[c]);
  return 0;
}

static PetscErrorCode MMSExact(StkModel m, const PetscReal x[], PetscReal *V)
{
  PetscReal grad[STK_MAX_DIM];

  *V = MMSValueAndGradient(m->dim, x, grad);
  return 0;
}

/* u*_k = clip(-V*_k, -1, 1). */
static PetscErrorCode MMSExactPolicy(StkModel m, const PetscReal x[], PetscReal u[])
{
  PetscReal grad[STK_MAX_DIM];

  (void)MMSValueAndGradient(m->dim, x, grad);
  for (PetscInt k = 0; k < m->dim; k++) u[k] = MMSClip(-grad[k], m->ulo[k], m->uhi[k]);
  return 0;
}

static PetscErrorCode MMSCheck(StkModel m)
{
  MMSCtx *ctx = (MMSCtx *)m->data;
  char    pre[256];

  PetscFunctionBeginUser;
  PetscCall(StkModelComposePrefix(m, NULL, pre, sizeof(pre)));
  PetscCheck(ctx->sigma >= 0, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%ssigma must be >= 0, got %g", pre, (double)ctx->sigma);
  PetscFunctionReturn(0);
}

static PetscErrorCode MMSSetFromOptions(StkModel m, PetscOptionItems *PetscOptionsObject)
{
  MMSCtx *ctx = (MMSCtx *)m->data;

  PetscFunctionBeginUser;
  PetscOptionsHeadBegin(PetscOptionsObject, "Manufactured-solution test model: V* = prod_k cos(pi x_k) on [0, 1]^d");
  PetscCall(PetscOptionsReal("-sigma", "Volatility sigma >= 0 of every direction (1/sqrt(yr))", "StkModelSetFromOptions", ctx->sigma, &ctx->sigma, NULL));
  PetscOptionsHeadEnd();
  PetscCall(MMSCheck(m));
  PetscFunctionReturn(0);
}

static PetscErrorCode MMSSetUp(StkModel m)
{
  MMSCtx *ctx = (MMSCtx *)m->data;

  PetscFunctionBeginUser;
  PetscCall(MMSCheck(m));
  ctx->a = 0.5 * ctx->sigma * ctx->sigma;
  PetscFunctionReturn(0);
}

static PetscErrorCode MMSView(StkModel m, PetscViewer viewer)
{
  const MMSCtx *ctx = (MMSCtx *)m->data;

  PetscFunctionBeginUser;
  PetscCall(PetscViewerASCIIPrintf(viewer, "dx_k = u_k dt + %g dW_k, |u_k| <= 1, cost |u|^2/2 + f(x), [0, 1]^%" PetscInt_FMT " reflecting; exact V* = prod_k cos(pi x_k)\n", (double)ctx->sigma, m->dim));
  PetscFunctionReturn(0);
}

static PetscErrorCode MMSAttributes(StkModel m, StkH5 file, const char group[])
{
  MMSCtx             *ctx   = (MMSCtx *)m->data;
  const StkModelParam par[] = {{"mms_sigma", &ctx->sigma, "1/sqrt(yr)"}, {"mms_u_max", &m->uhi[0], "1/yr"}};

  PetscFunctionBeginUser;
  PetscCall(StkModelWriteParams(file, group, PETSC_STATIC_ARRAY_LENGTH(par), par));
  PetscCall(StkH5WriteAttributeString(file, group, "mms_exact_value", "prod_k cos(pi x_k)"));
  PetscFunctionReturn(0);
}

/* sigma and the bound |u_k| <= mms_u_max of every control (mms_exact_value describes V*). */
static PetscErrorCode MMSLoad(StkModel m, StkH5 file, const char group[])
{
  MMSCtx             *ctx   = (MMSCtx *)m->data;
  const StkModelParam par[] = {{"mms_sigma", &ctx->sigma, "1/sqrt(yr)"}, {"mms_u_max", &m->uhi[0], "1/yr"}};

  PetscFunctionBeginUser;
  PetscCall(StkModelLoadParams(file, group, PETSC_STATIC_ARRAY_LENGTH(par), par));
  for (PetscInt k = 0; k < m->nu; k++) {
    m->ulo[k] = -m->uhi[0];
    m->uhi[k] = m->uhi[0];
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode MMSDestroy(StkModel m)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree(m->data));
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelCreate_MMS(StkModel m)
{
  MMSCtx *ctx;

  PetscFunctionBeginUser;
  PetscCheck(m->dim >= 1 && m->dim <= 3, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sdim must be 1, 2 or 3 for the mms model, got %" PetscInt_FMT, m->prefix ? m->prefix : "", m->dim);
  PetscCall(PetscNew(&ctx));
  ctx->sigma = 0.3;
  ctx->a     = 0.5 * ctx->sigma * ctx->sigma;
  m->rho = 1.0; /* a test problem's own default discount: errors scale like 1/rho */
  m->data    = ctx;
  m->nu      = m->dim;
  for (PetscInt k = 0; k < m->dim; k++) {
    m->control_dir[k] = k;
    m->ulo[k]         = -1;
    m->uhi[k]         = 1;
    m->box_lo[k]      = 0;
    m->box_hi[k]      = 1;
    m->bc[k][0] = m->bc[k][1] = STK_BC_REFLECT;
    PetscCall(PetscSNPrintf(m->names[k], sizeof(m->names[k]), "x%" PetscInt_FMT, k));
  }
  m->type_class         = "mms_";
  m->ops.setfromoptions = MMSSetFromOptions;
  m->ops.setup          = MMSSetUp;
  m->ops.view           = MMSView;
  m->ops.destroy        = MMSDestroy;
  m->ops.drift          = MMSDrift;
  m->ops.diffusion      = MMSDiffusion;
  m->ops.cost           = MMSCost;
  m->ops.greedy         = MMSGreedy;
  m->ops.exact          = MMSExact;
  m->ops.exact_policy   = MMSExactPolicy;
  m->ops.attributes     = MMSAttributes;
  m->ops.load           = MMSLoad;
  PetscFunctionReturn(0);
}
