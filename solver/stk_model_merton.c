/* Merton's consumption-portfolio problem with CRRA utility (docs/exact_solutions.md):
 *
 *   dw = (r w + pi (mu - r) w - c) dt + sigma pi w dW,   U(c) = c^(1-gamma)/(1-gamma),
 *
 * two controls on the wealth direction: the consumption rate c (control 0) and the
 * risky share pi (control 1, which also sets the diffusion a = (sigma pi w)^2/2).
 * The solver minimizes, so the cost is -U(c) and the value W = -V with
 *   V(w) = A w^(1-gamma)/(1-gamma),  A = nu^(-gamma),
 *   nu = [rho - (1-gamma)(r + (mu-r)^2/(2 gamma sigma^2))]/gamma  (> 0: feasibility),
 * and c* = nu w, pi* = (mu - r)/(gamma sigma^2).  The wealth interval [w_lo, w_hi]
 * carries the exact W as Dirichlet data. */
#include "stk_modelimpl.h"

#define MERTON_C_MIN 1e-8 /* lowest consumption rate: keeps -U(c) finite */

typedef struct {
  PetscReal r, mu, sigma, gamma;   /* market and preferences */
  PetscReal w_lo, w_hi, c_max;     /* wealth interval, consumption bound */
  PetscReal nu, A, pi_star;        /* closed form: c* = nu w, V = A w^(1-gamma)/(1-gamma) */
} MertonCtx;

static PetscErrorCode MertonDrift(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal b[])
{
  const MertonCtx *ctx = (MertonCtx *)m->data;

  b[0] = (ctx->r + u[1] * (ctx->mu - ctx->r)) * x[0] - u[0];
  return 0;
}

static PetscErrorCode MertonDiffusion(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal a[])
{
  const MertonCtx *ctx = (MertonCtx *)m->data;
  const PetscReal  vol = ctx->sigma * u[1] * x[0];

  a[0] = 0.5 * vol * vol;
  return 0;
}

/* -U(c) = -c^(1-gamma)/(1-gamma). */
static PetscErrorCode MertonCost(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal *l)
{
  const MertonCtx *ctx = (MertonCtx *)m->data;

  *l = -PetscPowReal(u[0], 1 - ctx->gamma) / (1 - ctx->gamma);
  return 0;
}

static inline PetscReal MertonClip(PetscReal v, PetscReal lo, PetscReal hi)
{
  return PetscMin(PetscMax(v, lo), hi);
}

/* c: argmin -U(c) - c p, i.e. U'(c) = -p, c = (-p)^(-1/gamma) (W decreases, p < 0);
 *    for p >= 0 the objective falls in c: the upper bound.
 * pi: argmin pi (mu - r) w p + (sigma pi w)^2 q/2 = -(mu - r) p / (sigma^2 w q) for q > 0;
 *    otherwise the objective is concave (or linear) in pi: the better bound. */
static PetscErrorCode MertonGreedy(StkModel m, const PetscReal x[], PetscInt c, PetscReal p, PetscReal q, const PetscReal u[], PetscReal *uc)
{
  const MertonCtx *ctx = (MertonCtx *)m->data;
  const PetscReal  w   = x[0], lo = m->ulo[c], hi = m->uhi[c];

  if (c == 0) {
    *uc = p < 0 ? MertonClip(PetscPowReal(-p, -1 / ctx->gamma), lo, hi) : hi;
  } else if (q > 0) {
    *uc = MertonClip(-(ctx->mu - ctx->r) * p / (ctx->sigma * ctx->sigma * w * q), lo, hi);
  } else {
    const PetscReal lin = (ctx->mu - ctx->r) * w * p, quad = 0.5 * ctx->sigma * ctx->sigma * w * w * q;
    const PetscReal flo = lo * lin + lo * lo * quad, fhi = hi * lin + hi * hi * quad;
    *uc = flo < fhi ? lo : (fhi < flo ? hi : MertonClip(u[1], lo, hi));
  }
  return 0;
}

/* W(w) = -A w^(1-gamma)/(1-gamma). */
static PetscErrorCode MertonExact(StkModel m, const PetscReal x[], PetscReal *W)
{
  const MertonCtx *ctx = (MertonCtx *)m->data;

  *W = -ctx->A * PetscPowReal(x[0], 1 - ctx->gamma) / (1 - ctx->gamma);
  return 0;
}

/* c* = nu w, pi* = (mu - r)/(gamma sigma^2). */
static PetscErrorCode MertonExactPolicy(StkModel m, const PetscReal x[], PetscReal u[])
{
  const MertonCtx *ctx = (MertonCtx *)m->data;

  u[0] = ctx->nu * x[0];
  u[1] = ctx->pi_star;
  return 0;
}

static PetscErrorCode MertonCheck(StkModel m)
{
  const MertonCtx *ctx = (MertonCtx *)m->data;
  char             pre[256];

  PetscFunctionBeginUser;
  PetscCall(StkModelComposePrefix(m, NULL, pre, sizeof(pre)));
  PetscCheck(ctx->gamma > 0 && ctx->gamma != 1, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sgamma must be > 0 and != 1 (log utility is not implemented), got %g", pre, (double)ctx->gamma);
  PetscCheck(ctx->sigma > 0, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%ssigma must be > 0, got %g", pre, (double)ctx->sigma);
  PetscCheck(ctx->w_lo > 0, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%swlo must be > 0, got %g", pre, (double)ctx->w_lo);
  PetscCheck(ctx->w_hi > ctx->w_lo, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%swhi must exceed -%swlo %g, got %g", pre, pre, (double)ctx->w_lo, (double)ctx->w_hi);
  PetscCheck(ctx->c_max > MERTON_C_MIN, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%scmax must be > %g, got %g", pre, (double)MERTON_C_MIN, (double)ctx->c_max);
  PetscCheck(m->ulo[1] < m->uhi[1], m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%spi_min %g must be below -%spi_max %g", pre, (double)m->ulo[1], pre, (double)m->uhi[1]);
  PetscFunctionReturn(0);
}

static void MertonApplyBoxAndBounds(StkModel m)
{
  const MertonCtx *ctx = (MertonCtx *)m->data;

  m->box_lo[0] = ctx->w_lo;
  m->box_hi[0] = ctx->w_hi;
  m->ulo[0]    = MERTON_C_MIN;
  m->uhi[0]    = ctx->c_max;
}

static PetscErrorCode MertonSetFromOptions(StkModel m, PetscOptionItems *PetscOptionsObject)
{
  MertonCtx *ctx = (MertonCtx *)m->data;

  PetscFunctionBeginUser;
  PetscOptionsHeadBegin(PetscOptionsObject, "Merton test model: consumption c and risky share pi, CRRA utility");
  PetscCall(PetscOptionsReal("-r", "Riskless rate r (1/yr)", "StkModelSetFromOptions", ctx->r, &ctx->r, NULL));
  PetscCall(PetscOptionsReal("-mu", "Expected return of the risky asset mu (1/yr)", "StkModelSetFromOptions", ctx->mu, &ctx->mu, NULL));
  PetscCall(PetscOptionsReal("-sigma", "Volatility of the risky asset sigma > 0 (1/sqrt(yr))", "StkModelSetFromOptions", ctx->sigma, &ctx->sigma, NULL));
  PetscCall(PetscOptionsReal("-gamma", "Relative risk aversion gamma > 0, != 1", "StkModelSetFromOptions", ctx->gamma, &ctx->gamma, NULL));
  PetscCall(PetscOptionsReal("-wlo", "Lowest wealth w_lo > 0 (exact Dirichlet data)", "StkModelSetFromOptions", ctx->w_lo, &ctx->w_lo, NULL));
  PetscCall(PetscOptionsReal("-whi", "Highest wealth w_hi > w_lo (exact Dirichlet data)", "StkModelSetFromOptions", ctx->w_hi, &ctx->w_hi, NULL));
  PetscCall(PetscOptionsReal("-cmax", "Largest consumption rate (wealth/yr)", "StkModelSetFromOptions", ctx->c_max, &ctx->c_max, NULL));
  PetscCall(PetscOptionsReal("-pi_min", "Lowest risky share (negative: short the risky asset)", "StkModelSetFromOptions", m->ulo[1], &m->ulo[1], NULL));
  PetscCall(PetscOptionsReal("-pi_max", "Highest risky share (above 1: leverage)", "StkModelSetFromOptions", m->uhi[1], &m->uhi[1], NULL));
  PetscOptionsHeadEnd();
  PetscCall(MertonCheck(m));
  MertonApplyBoxAndBounds(m);
  PetscFunctionReturn(0);
}

/* The closed form, and the checks that it is the exact solution of the bounded problem:
 * feasibility (nu > 0) and optimal controls strictly inside their bounds. */
static PetscErrorCode MertonSetUp(StkModel m)
{
  MertonCtx      *ctx = (MertonCtx *)m->data;
  PetscReal       excess, growth;
  char            pre[256], hjb[256], user[256];

  PetscFunctionBeginUser;
  PetscCall(StkModelComposePrefix(m, NULL, pre, sizeof(pre)));
  PetscCall(StkModelComposePrefix(m, STK_MODEL_PARAMS_CLASS, hjb, sizeof(hjb)));
  PetscCall(StkModelComposePrefix(m, "", user, sizeof(user)));
  PetscCheck(m->dim == 1, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "The merton model is 1-D: use -%sdim 1 (got -%sdim %" PetscInt_FMT ")", user, user, m->dim);
  PetscCall(MertonCheck(m));
  MertonApplyBoxAndBounds(m);
  excess       = ctx->mu - ctx->r;
  growth       = ctx->r + excess * excess / (2 * ctx->gamma * ctx->sigma * ctx->sigma);
  ctx->nu      = (m->rho - (1 - ctx->gamma) * growth) / ctx->gamma;
  PetscCheck(ctx->nu > 0, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "Merton's problem has no finite value: rho - (1 - gamma)(r + (mu - r)^2/(2 gamma sigma^2)) = %g must be > 0; raise -%srho (got %g) or change -%sgamma %g, -%sr %g, -%smu %g, -%ssigma %g", (double)(ctx->gamma * ctx->nu), hjb, (double)m->rho, pre, (double)ctx->gamma, pre, (double)ctx->r, pre, (double)ctx->mu, pre, (double)ctx->sigma);
  ctx->A       = PetscPowReal(ctx->nu, -ctx->gamma);
  ctx->pi_star = excess / (ctx->gamma * ctx->sigma * ctx->sigma);
  PetscCheck(ctx->pi_star > m->ulo[1] && ctx->pi_star < m->uhi[1], m->comm, PETSC_ERR_ARG_OUTOFRANGE, "The optimal risky share pi* = (mu - r)/(gamma sigma^2) = %g lies outside (-%spi_min, -%spi_max) = (%g, %g): the closed form would not be exact", (double)ctx->pi_star, pre, pre, (double)m->ulo[1], (double)m->uhi[1]);
  PetscCheck(ctx->nu * ctx->w_hi < ctx->c_max, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "The optimal consumption c* = %g w reaches %g at -%swhi %g, above -%scmax %g: raise -%scmax", (double)ctx->nu, (double)(ctx->nu * ctx->w_hi), pre, (double)ctx->w_hi, pre, (double)ctx->c_max, pre);
  PetscCheck(ctx->nu * ctx->w_lo > MERTON_C_MIN, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "The optimal consumption c* = %g w falls to %g at -%swlo %g, below the floor %g: raise -%swlo", (double)ctx->nu, (double)(ctx->nu * ctx->w_lo), pre, (double)ctx->w_lo, (double)MERTON_C_MIN, pre);
  PetscFunctionReturn(0);
}

static PetscErrorCode MertonView(StkModel m, PetscViewer viewer)
{
  const MertonCtx *ctx = (MertonCtx *)m->data;

  PetscFunctionBeginUser;
  PetscCall(PetscViewerASCIIPrintf(viewer, "dw = (r w + pi (mu - r) w - c) dt + sigma pi w dW, r %g, mu %g, sigma %g; U(c) = c^(1-gamma)/(1-gamma), gamma %g\n", (double)ctx->r, (double)ctx->mu, (double)ctx->sigma, (double)ctx->gamma));
  PetscCall(PetscViewerASCIIPrintf(viewer, "w in [%g, %g] with exact Dirichlet data, c in [%g, %g], pi in [%g, %g]\n", (double)ctx->w_lo, (double)ctx->w_hi, (double)m->ulo[0], (double)m->uhi[0], (double)m->ulo[1], (double)m->uhi[1]));
  if (m->setupcalled) PetscCall(PetscViewerASCIIPrintf(viewer, "W(w) = -A w^(1-gamma)/(1-gamma), A = %.10g; c* = %.10g w, pi* = %.10g\n", (double)ctx->A, (double)ctx->nu, (double)ctx->pi_star));
  PetscFunctionReturn(0);
}

/* The data of the problem; `load` leaves out merton_cmin, the fixed floor MERTON_C_MIN. */
static PetscErrorCode MertonData(StkModel m, StkH5 file, const char group[], PetscBool load)
{
  MertonCtx          *ctx      = (MertonCtx *)m->data;
  const StkModelParam market[] = {
    {"merton_r", &ctx->r, "1/yr"},           {"merton_mu", &ctx->mu, "1/yr"},        {"merton_sigma", &ctx->sigma, "1/sqrt(yr)"},
    {"merton_gamma", &ctx->gamma, "1"},      {"merton_wlo", &ctx->w_lo, "wealth"},    {"merton_whi", &ctx->w_hi, "wealth"},
  };
  const StkModelParam c_floor = {"merton_cmin", &m->ulo[0], "wealth/yr"};
  const StkModelParam bounds[] = {{"merton_cmax", &ctx->c_max, "wealth/yr"}, {"merton_pi_min", &m->ulo[1], "1"}, {"merton_pi_max", &m->uhi[1], "1"}};

  PetscFunctionBeginUser;
  if (load) {
    PetscCall(StkModelLoadParams(file, group, PETSC_STATIC_ARRAY_LENGTH(market), market));
    PetscCall(StkModelLoadParams(file, group, PETSC_STATIC_ARRAY_LENGTH(bounds), bounds));
  } else {
    PetscCall(StkModelWriteParams(file, group, PETSC_STATIC_ARRAY_LENGTH(market), market));
    PetscCall(StkModelWriteParams(file, group, 1, &c_floor));
    PetscCall(StkModelWriteParams(file, group, PETSC_STATIC_ARRAY_LENGTH(bounds), bounds));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode MertonAttributes(StkModel m, StkH5 file, const char group[])
{
  MertonCtx          *ctx       = (MertonCtx *)m->data;
  const StkModelParam derived[] = {
    {"merton_consumption_rate", &ctx->nu, "1/yr"}, {"merton_value_coefficient", &ctx->A, "1"}, {"merton_pi_star", &ctx->pi_star, "1"},
  };

  PetscFunctionBeginUser;
  PetscCall(MertonData(m, file, group, PETSC_FALSE));
  PetscCall(StkModelWriteParams(file, group, PETSC_STATIC_ARRAY_LENGTH(derived), derived));
  PetscFunctionReturn(0);
}

static PetscErrorCode MertonLoad(StkModel m, StkH5 file, const char group[])
{
  PetscFunctionBeginUser;
  PetscCall(MertonData(m, file, group, PETSC_TRUE));
  PetscFunctionReturn(0);
}

static PetscErrorCode MertonDestroy(StkModel m)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree(m->data));
  PetscFunctionReturn(0);
}

/* The type is 1-D: it takes dimension 1 unless one was set explicitly (then set-up
 * rejects anything else with the option's name). */
PetscErrorCode StkModelCreate_Merton(StkModel m)
{
  MertonCtx *ctx;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&ctx));
  if (!m->dim_set) m->dim = 1;
  ctx->r     = 0.02;
  ctx->mu    = 0.08; /* with r, sigma, gamma, rho: the optimal drift is not zero */
  ctx->sigma = 0.2;
  ctx->gamma = 2.0;
  ctx->w_lo  = 1.0;
  ctx->w_hi  = 3.0;
  ctx->c_max = 10.0;
  m->data    = ctx;
  m->nu      = 2;
  m->control_dir[0] = m->control_dir[1] = 0;
  m->ulo[1] = -2;
  m->uhi[1] = 4;
  m->bc[0][0] = m->bc[0][1] = STK_BC_DIRICHLET;
  PetscCall(PetscStrncpy(m->names[0], "w", sizeof(m->names[0])));
  PetscCall(PetscStrncpy(m->long_names[0], "wealth", sizeof(m->long_names[0])));
  MertonApplyBoxAndBounds(m);
  m->type_class         = "merton_";
  m->ops.setfromoptions = MertonSetFromOptions;
  m->ops.setup          = MertonSetUp;
  m->ops.view           = MertonView;
  m->ops.destroy        = MertonDestroy;
  m->ops.drift          = MertonDrift;
  m->ops.diffusion      = MertonDiffusion;
  m->ops.cost           = MertonCost;
  m->ops.greedy         = MertonGreedy;
  m->ops.dirichlet      = MertonExact;
  m->ops.exact          = MertonExact;
  m->ops.exact_policy   = MertonExactPolicy;
  m->ops.attributes     = MertonAttributes;
  m->ops.load           = MertonLoad;
  PetscFunctionReturn(0);
}
