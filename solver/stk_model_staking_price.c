/* The price-aware staking model (docs/model.md#the-price-aware-planner): the staking
 * model with the log token price x = ln P as a further state, (s, x) in 2-D or
 * (s, z, x) in 3-D, and the price-stability cost w_p (x - ln P_bar)^2.  The drift and
 * volatility of x are the mean field of the agent-based price (agents/stk_price.h) with
 * the supply frozen at S_0; the holders compare the real yield y + E[d ln P]/dt with
 * their cost, as in the agent-based environment.  Issuance moves both s and x, so the
 * model sets control_cross and has no closed-form greedy map (exact minimization). */
#include "stk_modelimpl.h"
#include "stk_agents.h"
#include "stk_price.h"

#define SP_NPLANNER 11 /* sbar, w_s, w_u, ubar, eta, u_min, u_max, w_p, log_p_bar, real_yield, box_sd */
#define SP_NPRICE   11 /* curve type, 3 curve parameters, supply0, demand, kappa, lambda, noise, sell_share, buy_rate */
#define SP_CLASS    "staking_price_"

typedef struct {
  StkPopulation         pop;
  const StkAgentParams *p;
  PetscReal             sbar, w_s, w_u, ubar, eta;
  PetscReal             w_p;        /* 1/yr: weight of (ln P - ln P_bar)^2 */
  PetscReal             log_p_bar;  /* ln(USD): the price target */
  PetscReal             real_yield; /* 1: holders add E[d ln P]/dt to the yield; 0: nominal yield (no feedback) */
  PetscReal             box_sd;     /* half-width of the ln P box in stationary standard deviations */
  PetscReal             curve_type; /* the bonding curve family as a number (for the attribute table) */
  StkPriceParams        price;
  PetscReal             log_f0;     /* ln f(S_0), derived at set-up */
} SPCtx;

static inline PetscInt SPLogP(StkModel m) { return m->dim - 1; }
static inline PetscReal SPZ(StkModel m, const SPCtx *ctx, const PetscReal x[]) { return m->dim > 2 ? x[1] : ctx->p->zbar; }

/* E[d ln P]/dt at the state, supply frozen at S_0: market factor m = ln P - ln f(S_0). */
static inline PetscReal SPLogDrift(const SPCtx *ctx, PetscReal s, PetscReal logp, PetscReal u)
{
  return StkPriceLogDrift(&ctx->price, ctx->price.supply0, logp - ctx->log_f0, s, u);
}

static PetscErrorCode SPDrift(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal b[])
{
  const SPCtx    *ctx = (SPCtx *)m->data;
  const PetscReal z = SPZ(m, ctx, x), dlogp = SPLogDrift(ctx, x[0], x[SPLogP(m)], u[0]);

  /* the holders stake iff y + E[d ln P]/dt >= z + c: F(y - (z - dlogp)) */
  b[0] = StkAgentsDrift(ctx->p, x[0], ctx->real_yield != 0 ? z - dlogp : z, u[0]);
  if (m->dim > 2) b[1] = ctx->p->theta * (ctx->p->zbar - z);
  b[SPLogP(m)] = dlogp;
  return 0;
}

static PetscErrorCode SPDiffusion(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal a[])
{
  const SPCtx    *ctx = (SPCtx *)m->data;
  const PetscReal vol = StkAgentsVolatility(ctx->p, x[0]), sig = StkPriceLogVolatility(&ctx->price);

  a[0] = 0.5 * vol * vol;
  if (m->dim > 2) a[1] = 0.5 * ctx->p->sigma_z * ctx->p->sigma_z;
  a[SPLogP(m)] = 0.5 * sig * sig;
  return 0;
}

static PetscErrorCode SPCost(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal *l)
{
  const SPCtx    *ctx = (SPCtx *)m->data;
  const PetscReal ds = x[0] - ctx->sbar, du = u[0] - ctx->ubar, dp = x[SPLogP(m)] - ctx->log_p_bar;

  *l = ctx->w_s * ds * ds + ctx->w_u * du * du + ctx->eta * u[0] + ctx->w_p * dp * dp;
  return 0;
}

/* -staking_price_w_p, ... (under USER + "staking_price_"). */
static PetscErrorCode SPOwnOptions(StkModel m, SPCtx *ctx)
{
  PetscBool real = (PetscBool)(ctx->real_yield != 0);
  char      pre[256];

  PetscFunctionBeginUser;
  PetscCall(StkModelComposePrefix(m, SP_CLASS, pre, sizeof(pre)));
  PetscOptionsBegin(m->comm, pre, "Price-aware planner (docs/model.md#the-price-aware-planner)", NULL);
  PetscCall(PetscOptionsReal("-w_p", "Weight w_p of (ln P - ln P_bar)^2, 1/yr, >= 0", "", ctx->w_p, &ctx->w_p, NULL));
  PetscCall(PetscOptionsReal("-log_p_bar", "Price target ln P_bar, ln(USD)", "", ctx->log_p_bar, &ctx->log_p_bar, NULL));
  PetscCall(PetscOptionsBool("-real_yield", "Holders compare the real yield y + E[d ln P]/dt with their cost (false: the nominal yield, no feedback of the price)", "", real, &real, NULL));
  PetscCall(PetscOptionsReal("-box_sd", "Half-width of the ln P box in stationary standard deviations of ln P, in (0, 20]", "", ctx->box_sd, &ctx->box_sd, NULL));
  PetscOptionsEnd();
  ctx->real_yield = real ? 1 : 0;
  PetscFunctionReturn(0);
}

static PetscErrorCode SPSetFromOptions(StkModel m, PetscOptionItems *PetscOptionsObject)
{
  SPCtx    *ctx = (SPCtx *)m->data;
  PetscBool on;

  PetscFunctionBeginUser;
  if (m->listing) { /* -help of another model: the staking options and -price_* are listed elsewhere */
    PetscCall(SPOwnOptions(m, ctx));
    PetscFunctionReturn(0);
  }
  PetscOptionsHeadBegin(PetscOptionsObject, "Planner's objective (docs/model.md#the-planners-problem)");
  PetscCall(PetscOptionsReal("-sbar", "Target staking ratio, in (0, 1)", "", ctx->sbar, &ctx->sbar, NULL));
  PetscCall(PetscOptionsReal("-w_s", "Weight of (s - sbar)^2", "", ctx->w_s, &ctx->w_s, NULL));
  PetscCall(PetscOptionsReal("-w_u", "Weight of (u - ubar)^2, > 0", "", ctx->w_u, &ctx->w_u, NULL));
  PetscCall(PetscOptionsReal("-ubar", "Reference issuance rate (1/yr)", "", ctx->ubar, &ctx->ubar, NULL));
  PetscCall(PetscOptionsReal("-eta", "Linear cost of issuance (dilution)", "", ctx->eta, &ctx->eta, NULL));
  PetscCall(PetscOptionsReal("-u_min", "Lowest issuance rate (1/yr)", "", m->ulo[0], &m->ulo[0], NULL));
  PetscCall(PetscOptionsReal("-u_max", "Highest issuance rate (1/yr)", "", m->uhi[0], &m->uhi[0], NULL));
  PetscOptionsHeadEnd();
  PetscCall(SPOwnOptions(m, ctx));
  PetscCall(StkPriceParamsFromOptions(m->prefix, &ctx->price, &on)); /* the -price_* of the environment; -price itself is not needed */
  ctx->curve_type = (PetscReal)ctx->price.curve.type;
  PetscCall(StkPopulationSetFromOptions(ctx->pop));
  PetscFunctionReturn(0);
}

/* A number as the user would type it (C's %g: PETSc's printf would write "1.") */
static const char *Num(char buf[32], PetscReal v)
{
  snprintf(buf, 32, "%g", (double)v);
  return buf;
}

/* The drift of ln P at s = sbar, u = ubar is A + lambda (D/S_0 e^{-m} - 1): its root m_c
 * is the centre of the box, its slope lambda - A there the reversion rate. */
static PetscErrorCode SPBox(StkModel m, SPCtx *ctx, PetscReal *lo, PetscReal *hi)
{
  const StkPriceParams *pp = &ctx->price;
  const PetscReal       A  = StkPriceLogDrift(pp, pp->supply0, PetscLogReal(pp->demand / pp->supply0), ctx->sbar, ctx->ubar); /* at D e^{-m} = S_0 */
  char                  pre[256], v[32];
  PetscReal             mc, sd;

  PetscFunctionBeginUser;
  PetscCall(StkModelComposePrefix(m, "", pre, sizeof(pre)));
  PetscCheck(A < pp->lambda, m->comm, PETSC_ERR_USER_INPUT, "-%sprice_lambda: %s is too small: the demand term must revert ln P (lambda > %g, the drift of ln P at the curve price, s = sbar, u = ubar)", pre, Num(v, pp->lambda), (double)A);
  mc  = -PetscLogReal((1 - A / pp->lambda) * pp->supply0 / pp->demand);
  sd  = StkPriceLogVolatility(pp) / PetscSqrtReal(2 * (pp->lambda - A));
  *lo = ctx->log_f0 + mc - ctx->box_sd * sd;
  *hi = ctx->log_f0 + mc + ctx->box_sd * sd;
  PetscFunctionReturn(0);
}

static PetscErrorCode SPSetUp(StkModel m)
{
  SPCtx     *ctx = (SPCtx *)m->data;
  const PetscInt X = SPLogP(m);
  char       pre[256], sp[256], agents[256], user[256], v[32];

  PetscFunctionBeginUser;
  PetscCall(StkModelComposePrefix(m, NULL, pre, sizeof(pre)));
  PetscCall(StkModelComposePrefix(m, SP_CLASS, sp, sizeof(sp)));
  PetscCall(StkModelComposePrefix(m, "agents_", agents, sizeof(agents)));
  PetscCall(StkModelComposePrefix(m, "", user, sizeof(user)));
  PetscCheck(ctx->sbar > 0 && ctx->sbar < 1, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%ssbar must lie in (0, 1), got %g", pre, (double)ctx->sbar);
  PetscCheck(ctx->w_u > 0, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sw_u must be > 0, got %g", pre, (double)ctx->w_u);
  PetscCheck(ctx->w_s >= 0, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sw_s must be >= 0, got %g", pre, (double)ctx->w_s);
  PetscCheck(m->ulo[0] >= 0, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%su_min must be >= 0 (an issuance rate, 1/yr), got %g", pre, (double)m->ulo[0]);
  PetscCheck(m->uhi[0] <= 10, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%su_max must be <= 10 (an issuance rate, 1/yr), got %g", pre, (double)m->uhi[0]);
  PetscCheck(m->ulo[0] <= m->uhi[0], m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%su_min %g exceeds -%su_max %g", pre, (double)m->ulo[0], pre, (double)m->uhi[0]);
  PetscCheck(ctx->w_p >= 0 && !PetscIsInfOrNanReal(ctx->w_p), m->comm, PETSC_ERR_USER_INPUT, "-%sw_p: %s is out of range: must be >= 0 (1/yr)", sp, Num(v, ctx->w_p));
  PetscCheck(!PetscIsInfOrNanReal(ctx->log_p_bar), m->comm, PETSC_ERR_USER_INPUT, "-%slog_p_bar: %s is out of range: must be finite (ln USD)", sp, Num(v, ctx->log_p_bar));
  PetscCheck(ctx->box_sd > 0 && ctx->box_sd <= 20, m->comm, PETSC_ERR_USER_INPUT, "-%sbox_sd: %s is out of range: must lie in (0, 20]", sp, Num(v, ctx->box_sd));
  PetscCheck(StkPriceLogVolatility(&ctx->price) > 0, m->comm, PETSC_ERR_USER_INPUT, "-%sprice_noise: %s is out of range: the price-aware model needs market noise > 0", user, Num(v, StkPriceLogVolatility(&ctx->price)));
  PetscCheck(m->dim == 2 || ctx->p->sigma_z > 0, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%ssigma_z must be > 0 for the 3-D model (got %g); use -%sdim 2 to freeze z", agents, (double)ctx->p->sigma_z, user);
  PetscCall(StkBondingCurveCheck(&ctx->price.curve, "-price_curve_params"));
  ctx->log_f0  = PetscLogReal(StkBondingCurvePrice(&ctx->price.curve, ctx->price.supply0));
  PetscCheck(!PetscIsInfOrNanReal(ctx->log_f0), m->comm, PETSC_ERR_USER_INPUT, "-%sprice_supply0: %g: the curve's price there is %g USD, its log is not finite", user, (double)ctx->price.supply0, (double)StkBondingCurvePrice(&ctx->price.curve, ctx->price.supply0));
  m->box_lo[0] = 0;
  m->box_hi[0] = 1;
  if (m->dim > 2) {
    const PetscReal half = StkAgentsZHalfWidth(ctx->p);
    m->box_lo[1]    = ctx->p->zbar - half;
    m->box_hi[1]    = ctx->p->zbar + half;
    m->ref_point[1] = ctx->p->zbar;
  }
  PetscCall(SPBox(m, ctx, &m->box_lo[X], &m->box_hi[X]));
  m->ref_point[0]  = ctx->sbar;
  m->ref_point[X]  = PetscClipInterval(ctx->log_p_bar, m->box_lo[X], m->box_hi[X]);
  m->has_ref_point = PETSC_TRUE;
  PetscFunctionReturn(0);
}

static PetscErrorCode SPView(StkModel m, PetscViewer viewer)
{
  SPCtx *ctx = (SPCtx *)m->data;

  PetscFunctionBeginUser;
  PetscCall(PetscViewerASCIIPrintf(viewer, "planner: sbar %g, w_s %g, w_u %g, ubar %g, eta %g, u in [%g, %g], w_p %g, ln P_bar %g, %s yield\n", (double)ctx->sbar, (double)ctx->w_s, (double)ctx->w_u, (double)ctx->ubar, (double)ctx->eta, (double)m->ulo[0], (double)m->uhi[0], (double)ctx->w_p,
                                   (double)ctx->log_p_bar, ctx->real_yield != 0 ? "real" : "nominal"));
  PetscCall(PetscViewerASCIIPrintf(viewer, "price (mean field, S frozen at S_0 = %g Mtoken): curve %s, ln f(S_0) %g, kappa_P %g, lambda %g 1/yr, sigma_eta %g 1/sqrt(yr); ln P in [%g, %g]\n", (double)ctx->price.supply0, StkCurveTypes[ctx->price.curve.type], (double)ctx->log_f0, (double)ctx->price.kappa,
                                   (double)ctx->price.lambda, (double)ctx->price.noise, (double)m->box_lo[SPLogP(m)], (double)m->box_hi[SPLogP(m)]));
  PetscCall(StkPopulationView(ctx->pop, viewer));
  PetscFunctionReturn(0);
}

/* The planner and the price's mean-field parameters, as written and read. */
static void SPParams(StkModel m, StkModelParam par[SP_NPLANNER + SP_NPRICE])
{
  SPCtx              *ctx = (SPCtx *)m->data;
  StkPriceParams     *pp  = &ctx->price;
  const StkModelParam p[] = {
    {"sbar", &ctx->sbar, "1"},
    {"w_s", &ctx->w_s, "1/yr"},
    {"w_u", &ctx->w_u, "yr"},
    {"ubar", &ctx->ubar, "1/yr"},
    {"eta", &ctx->eta, "1"},
    {"u_min", &m->ulo[0], "1/yr"},
    {"u_max", &m->uhi[0], "1/yr"},
    {"staking_price_w_p", &ctx->w_p, "1/yr"},
    {"staking_price_log_p_bar", &ctx->log_p_bar, "ln(USD)"},
    {"staking_price_real_yield", &ctx->real_yield, "1"},
    {"staking_price_box_sd", &ctx->box_sd, "1"},
    {"price_curve", &ctx->curve_type, "1"},
    {"price_curve_p0", &pp->curve.p[0], "USD or USD/Mtoken"},
    {"price_curve_p1", &pp->curve.p[1], "USD or 1/Mtoken"},
    {"price_curve_p2", &pp->curve.p[2], "Mtoken"},
    {"price_supply0", &pp->supply0, "Mtoken"},
    {"price_demand", &pp->demand, "Mtoken"},
    {"price_kappa", &pp->kappa, "1"},
    {"price_lambda", &pp->lambda, "1/yr"},
    {"price_noise", &pp->noise, "1/sqrt(yr)"},
    {"price_sell_share", &pp->sell_share, "1"},
    {"price_buy_rate", &pp->buy_rate, "1/yr"},
  };

  for (size_t i = 0; i < SP_NPLANNER + SP_NPRICE; i++) par[i] = p[i];
}

static PetscErrorCode SPAttributes(StkModel m, StkH5 file, const char group[])
{
  SPCtx        *ctx = (SPCtx *)m->data;
  StkModelParam par[SP_NPLANNER + SP_NPRICE];

  PetscFunctionBeginUser;
  ctx->curve_type = (PetscReal)ctx->price.curve.type;
  SPParams(m, par);
  PetscCall(StkModelWriteParams(file, group, SP_NPLANNER + SP_NPRICE, par));
  PetscCall(StkH5WriteAttributeString(file, group, "price_curve_name", StkCurveTypes[ctx->price.curve.type]));
  PetscCall(StkPopulationWrite(ctx->pop, file, group));
  PetscFunctionReturn(0);
}

static PetscErrorCode SPLoad(StkModel m, StkH5 file, const char group[])
{
  SPCtx        *ctx = (SPCtx *)m->data;
  StkModelParam par[SP_NPLANNER + SP_NPRICE];
  const char   *path;

  PetscFunctionBeginUser;
  SPParams(m, par);
  PetscCall(StkModelLoadParams(file, group, SP_NPLANNER + SP_NPRICE, par));
  PetscCall(StkH5GetPath(file, &path));
  PetscCheck(ctx->curve_type == 0 || ctx->curve_type == 1 || ctx->curve_type == 2 || ctx->curve_type == 3, m->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: attribute '%s/price_curve' is %g, expected 0 (linear), 1 (log), 2 (exp) or 3 (sigmoid)", path, group, (double)ctx->curve_type);
  ctx->price.curve.type = (StkCurveType)(PetscInt)ctx->curve_type;
  PetscCall(StkPopulationLoad(ctx->pop, file, group));
  PetscFunctionReturn(0);
}

static PetscErrorCode SPSetOptionsPrefix(StkModel m)
{
  PetscFunctionBeginUser;
  PetscCall(StkPopulationSetOptionsPrefix(((SPCtx *)m->data)->pop, m->prefix));
  PetscFunctionReturn(0);
}

static PetscErrorCode SPDestroy(StkModel m)
{
  SPCtx *ctx = (SPCtx *)m->data;

  PetscFunctionBeginUser;
  PetscCall(StkPopulationDestroy(&ctx->pop));
  PetscCall(PetscFree(m->data));
  PetscFunctionReturn(0);
}

static PetscErrorCode SPNames(StkModel m)
{
  const PetscInt X = SPLogP(m);

  PetscFunctionBeginUser;
  PetscCall(PetscStrncpy(m->names[0], "s", sizeof(m->names[0])));
  PetscCall(PetscStrncpy(m->long_names[0], "staking ratio: fraction of the token supply staked", sizeof(m->long_names[0])));
  if (m->dim > 2) {
    PetscCall(PetscStrncpy(m->names[1], "z", sizeof(m->names[1])));
    PetscCall(PetscStrncpy(m->units[1], "1/yr", sizeof(m->units[1])));
    PetscCall(PetscStrncpy(m->long_names[1], "outside-yield shifter (yield of the outside option)", sizeof(m->long_names[1])));
  }
  PetscCall(PetscStrncpy(m->names[X], "logp", sizeof(m->names[X])));
  PetscCall(PetscStrncpy(m->units[X], "ln(USD)", sizeof(m->units[X])));
  PetscCall(PetscStrncpy(m->long_names[X], "log token price ln P, P in USD per token", sizeof(m->long_names[X])));
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelCreate_StakingPrice(StkModel m)
{
  SPCtx *ctx;

  PetscFunctionBeginUser;
  PetscCheck(m->dim == 2 || m->dim == 3, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sdim must be 2 (s, ln P) or 3 (s, z, ln P) for the staking_price model, got %" PetscInt_FMT, m->prefix ? m->prefix : "", m->dim);
  PetscCall(PetscNew(&ctx));
  PetscCall(StkPopulationCreate(m->comm, &ctx->pop));
  PetscCall(StkPopulationGetParams(ctx->pop, &ctx->p));
  PetscCall(StkPriceParamsDefault(&ctx->price));
  ctx->sbar       = 0.60;
  ctx->w_s        = 1.0;
  ctx->w_u        = 10.0;
  ctx->ubar       = 0.03;
  ctx->eta        = 0.0;
  ctx->w_p        = 1.0;
  ctx->log_p_bar  = 0.0;
  ctx->real_yield = 1;
  ctx->box_sd     = 4;
  m->data         = ctx;
  m->nu           = 1;
  m->ulo[0]       = 0.0;
  m->uhi[0]       = 0.15;
  m->control_dir[0] = 0;
  m->control_cross  = PETSC_TRUE; /* issuance moves s and ln P */
  PetscCall(SPNames(m));
  m->type_class           = STK_MODEL_PARAMS_CLASS; /* -hjb_sbar, ...; its own under staking_price_ */
  m->ops.setfromoptions   = SPSetFromOptions;
  m->ops.setup            = SPSetUp;
  m->ops.view             = SPView;
  m->ops.destroy          = SPDestroy;
  m->ops.drift            = SPDrift;
  m->ops.diffusion        = SPDiffusion;
  m->ops.cost             = SPCost;
  m->ops.attributes       = SPAttributes;
  m->ops.load             = SPLoad;
  m->ops.setoptionsprefix = SPSetOptionsPrefix;
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelStakingPriceGetPopulation(StkModel m, StkPopulation *pop)
{
  PetscFunctionBeginUser;
  *pop = ((SPCtx *)m->data)->pop;
  PetscFunctionReturn(0);
}
