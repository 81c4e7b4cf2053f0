/* The staking model (docs/model.md#the-planners-problem): state s (1-D) or (s, z) (2-D), one
 * control (the issuance rate u) acting on the drift of s. */
#include "stk_modelimpl.h"
#include "stk_agents.h"

#define STAKING_NPLANNER 7 /* sbar, w_s, w_u, ubar, eta, u_min, u_max */

typedef struct {
  StkPopulation         pop;
  const StkAgentParams *p; /* the population's parameters (StkPopulationGetParams: fixed
                              address), so a change to the population reaches the model */
  PetscReal             sbar, w_s, w_u, ubar, eta;
} StakingCtx;

static inline PetscReal StakingZ(StkModel m, const StakingCtx *ctx, const PetscReal x[])
{
  return m->dim > 1 ? x[1] : ctx->p->zbar;
}

static PetscErrorCode StakingDrift(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal b[])
{
  const StakingCtx *ctx = (StakingCtx *)m->data;
  const PetscReal   z   = StakingZ(m, ctx, x);

  b[0] = StkAgentsDrift(ctx->p, x[0], z, u[0]);
  if (m->dim > 1) b[1] = ctx->p->theta * (ctx->p->zbar - z);
  return 0;
}

static PetscErrorCode StakingDiffusion(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal a[])
{
  const StakingCtx *ctx = (StakingCtx *)m->data;
  const PetscReal   vol = StkAgentsVolatility(ctx->p, x[0]);

  a[0] = 0.5 * vol * vol;
  if (m->dim > 1) a[1] = 0.5 * ctx->p->sigma_z * ctx->p->sigma_z;
  return 0;
}

static PetscErrorCode StakingCost(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal *l)
{
  const StakingCtx *ctx = (StakingCtx *)m->data;
  const PetscReal   ds = x[0] - ctx->sbar, du = u[0] - ctx->ubar;

  *l = ctx->w_s * ds * ds + ctx->w_u * du * du + ctx->eta * u[0];
  return 0;
}

/* u = clip(ubar - (eta + b_u(x, u_k) p) / (2 w_u)): docs/model.md#the-greedy-map-and-the-expert. */
static inline PetscReal StakingGreedyOf(StkModel m, const StakingCtx *ctx, PetscReal bu, PetscReal p)
{
  const PetscReal v = ctx->ubar - (ctx->eta + bu * p) / (2 * ctx->w_u);

  return PetscMin(PetscMax(v, m->ulo[0]), m->uhi[0]);
}

static PetscErrorCode StakingGreedy(StkModel m, const PetscReal x[], PetscInt c, PetscReal p, PetscReal q, const PetscReal u[], PetscReal *uc)
{
  const StakingCtx *ctx = (StakingCtx *)m->data;

  *uc = StakingGreedyOf(m, ctx, StkAgentsDriftU(ctx->p, x[0], StakingZ(m, ctx, x), u[0]), p);
  return 0;
}

/* Both one-sided greedy maps at one u: b_u (a log and an exp) once. */
static PetscErrorCode StakingGreedyPair(StkModel m, const PetscReal x[], PetscInt c, const PetscReal p[2], PetscReal q, const PetscReal u[], PetscReal uc[2])
{
  const StakingCtx *ctx = (StakingCtx *)m->data;
  const PetscReal   bu  = StkAgentsDriftU(ctx->p, x[0], StakingZ(m, ctx, x), u[0]);

  uc[0] = StakingGreedyOf(m, ctx, bu, p[0]);
  uc[1] = StakingGreedyOf(m, ctx, bu, p[1]);
  return 0;
}

/* The greedy maps and their slopes: G = clip(ubar - (eta + b_u p) / (2 w_u)), so
 * dG/du = -b_uu p / (2 w_u) inside the bounds (b_u and b_uu from one log and one exp). */
static PetscErrorCode StakingGreedySlope(StkModel m, const PetscReal x[], PetscInt c, PetscInt n, const PetscReal p[], PetscReal q, const PetscReal u[], PetscReal g[], PetscReal dg[])
{
  const StakingCtx *ctx = (StakingCtx *)m->data;
  PetscReal         buu;
  const PetscReal   bu = StkAgentsDriftUSlope(ctx->p, x[0], StakingZ(m, ctx, x), u[0], &buu);

  for (PetscInt i = 0; i < n; i++) {
    const PetscReal v = ctx->ubar - (ctx->eta + bu * p[i]) / (2 * ctx->w_u);
    g[i]  = PetscMin(PetscMax(v, m->ulo[0]), m->uhi[0]);
    dg[i] = v > m->ulo[0] && v < m->uhi[0] ? -buu * p[i] / (2 * ctx->w_u) : 0;
  }
  return 0;
}

static PetscErrorCode StakingSetFromOptions(StkModel m, PetscOptionItems *PetscOptionsObject)
{
  StakingCtx *ctx = (StakingCtx *)m->data;

  PetscFunctionBeginUser;
  PetscOptionsHeadBegin(PetscOptionsObject, "Planner's objective (docs/model.md#the-planners-problem)");
  PetscCall(PetscOptionsReal("-sbar", "Target staking ratio, in (0, 1)", "", ctx->sbar, &ctx->sbar, NULL));
  PetscCall(PetscOptionsReal("-w_s", "Weight of (s - sbar)^2", "", ctx->w_s, &ctx->w_s, NULL));
  PetscCall(PetscOptionsReal("-w_u", "Weight of (u - ubar)^2, > 0", "", ctx->w_u, &ctx->w_u, NULL));
  PetscCall(PetscOptionsReal("-ubar", "Reference issuance rate (1/yr)", "", ctx->ubar, &ctx->ubar, NULL));
  PetscCall(PetscOptionsReal("-eta", "Linear cost of issuance (dilution)", "", ctx->eta, &ctx->eta, NULL));
  PetscCall(PetscOptionsReal("-u_min", "Lowest issuance rate (1/yr)", "", m->ulo[0], &m->ulo[0], NULL));
  PetscCall(PetscOptionsReal("-u_max", "Highest issuance rate (1/yr)", "", m->uhi[0], &m->uhi[0], NULL));
  PetscOptionsHeadEnd();
  PetscCall(StkPopulationSetFromOptions(ctx->pop)); /* under USER + "agents_" (StakingSetOptionsPrefix) */
  PetscFunctionReturn(0);
}

static PetscErrorCode StakingSetUp(StkModel m)
{
  StakingCtx *ctx = (StakingCtx *)m->data;
  PetscReal   half;
  char        pre[256], agents[256], user[256];

  PetscFunctionBeginUser;
  PetscCall(StkModelComposePrefix(m, NULL, pre, sizeof(pre)));
  PetscCall(StkModelComposePrefix(m, "agents_", agents, sizeof(agents)));
  PetscCall(StkModelComposePrefix(m, "", user, sizeof(user)));
  PetscCheck(ctx->sbar > 0 && ctx->sbar < 1, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%ssbar must lie in (0, 1), got %g", pre, (double)ctx->sbar);
  PetscCheck(ctx->w_u > 0, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sw_u must be > 0, got %g", pre, (double)ctx->w_u);
  PetscCheck(ctx->w_s >= 0, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sw_s must be >= 0, got %g", pre, (double)ctx->w_s);
  PetscCheck(m->ulo[0] >= 0, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%su_min must be >= 0 (an issuance rate, 1/yr), got %g", pre, (double)m->ulo[0]);
  PetscCheck(m->uhi[0] <= 10, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%su_max must be <= 10 (an issuance rate, 1/yr), got %g", pre, (double)m->uhi[0]);
  PetscCheck(m->ulo[0] <= m->uhi[0], m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%su_min %g exceeds -%su_max %g", pre, (double)m->ulo[0], pre, (double)m->uhi[0]);
  PetscCheck(m->dim == 1 || ctx->p->sigma_z > 0, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%ssigma_z must be > 0 for the 2-D model (got %g); use -%sdim 1 to freeze z", agents, (double)ctx->p->sigma_z, user);
  half         = StkAgentsZHalfWidth(ctx->p);
  m->box_lo[0] = 0;
  m->box_hi[0] = 1;
  m->ref_point[0]   = ctx->sbar;
  m->ref_point[1]   = ctx->p->zbar;
  m->has_ref_point  = PETSC_TRUE;
  m->box_lo[1] = ctx->p->zbar - half;
  m->box_hi[1] = ctx->p->zbar + half;
  PetscFunctionReturn(0);
}

static PetscErrorCode StakingView(StkModel m, PetscViewer viewer)
{
  StakingCtx *ctx = (StakingCtx *)m->data;

  PetscFunctionBeginUser;
  PetscCall(PetscViewerASCIIPrintf(viewer, "planner: sbar %g, w_s %g, w_u %g, ubar %g, eta %g, u in [%g, %g]\n", (double)ctx->sbar, (double)ctx->w_s, (double)ctx->w_u, (double)ctx->ubar, (double)ctx->eta, (double)m->ulo[0], (double)m->uhi[0]));
  PetscCall(StkPopulationView(ctx->pop, viewer));
  PetscFunctionReturn(0);
}

/* The planner's objective and bounds, as written and read. */
static void StakingPlannerParams(StkModel m, StkModelParam par[STAKING_NPLANNER])
{
  StakingCtx         *ctx = (StakingCtx *)m->data;
  const StkModelParam p[] = {
    {"sbar", &ctx->sbar, "1"},      {"w_s", &ctx->w_s, "1/yr"},  {"w_u", &ctx->w_u, "yr"},      {"ubar", &ctx->ubar, "1/yr"},
    {"eta", &ctx->eta, "1"},        {"u_min", &m->ulo[0], "1/yr"}, {"u_max", &m->uhi[0], "1/yr"},
  };

  for (size_t i = 0; i < STAKING_NPLANNER; i++) par[i] = p[i];
}

/* The planner, then the token holders (StkPopulationWrite). */
static PetscErrorCode StakingAttributes(StkModel m, StkH5 file, const char group[])
{
  StakingCtx   *ctx = (StakingCtx *)m->data;
  StkModelParam par[STAKING_NPLANNER];

  PetscFunctionBeginUser;
  StakingPlannerParams(m, par);
  PetscCall(StkModelWriteParams(file, group, STAKING_NPLANNER, par));
  PetscCall(StkPopulationWrite(ctx->pop, file, group));
  PetscFunctionReturn(0);
}

static PetscErrorCode StakingLoad(StkModel m, StkH5 file, const char group[])
{
  StakingCtx   *ctx = (StakingCtx *)m->data;
  StkModelParam par[STAKING_NPLANNER];

  PetscFunctionBeginUser;
  StakingPlannerParams(m, par);
  PetscCall(StkModelLoadParams(file, group, STAKING_NPLANNER, par));
  PetscCall(StkPopulationLoad(ctx->pop, file, group));
  PetscFunctionReturn(0);
}

static PetscErrorCode StakingSetOptionsPrefix(StkModel m)
{
  StakingCtx *ctx = (StakingCtx *)m->data;

  PetscFunctionBeginUser;
  PetscCall(StkPopulationSetOptionsPrefix(ctx->pop, m->prefix));
  PetscFunctionReturn(0);
}

static PetscErrorCode StakingDestroy(StkModel m)
{
  StakingCtx *ctx = (StakingCtx *)m->data;

  PetscFunctionBeginUser;
  PetscCall(StkPopulationDestroy(&ctx->pop));
  PetscCall(PetscFree(m->data));
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelCreate_Staking(StkModel m)
{
  StakingCtx *ctx;

  PetscFunctionBeginUser;
  PetscCheck(m->dim == 1 || m->dim == 2, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sdim must be 1 or 2 for the staking model, got %" PetscInt_FMT " (3-D is for lq, mms and user-defined models)", m->prefix ? m->prefix : "", m->dim);
  PetscCall(PetscNew(&ctx));
  PetscCall(StkPopulationCreate(m->comm, &ctx->pop));
  PetscCall(StkPopulationGetParams(ctx->pop, &ctx->p));
  ctx->sbar = 0.60;
  ctx->w_s  = 1.0;
  ctx->w_u  = 10.0;
  ctx->ubar = 0.03;
  ctx->eta  = 0.0;
  m->data   = ctx;
  m->nu     = 1;
  m->ulo[0] = 0.0;
  m->uhi[0] = 0.15;
  m->control_dir[0] = 0;
  m->drift_increasing = PETSC_TRUE; /* F is a distribution function, the yield rises with u */
  PetscCall(PetscStrncpy(m->names[0], "s", sizeof(m->names[0])));
  PetscCall(PetscStrncpy(m->names[1], "z", sizeof(m->names[1])));
  PetscCall(PetscStrncpy(m->long_names[0], "staking ratio: fraction of the token supply staked", sizeof(m->long_names[0])));
  PetscCall(PetscStrncpy(m->units[1], "1/yr", sizeof(m->units[1])));
  PetscCall(PetscStrncpy(m->long_names[1], "outside-yield shifter (yield of the outside option)", sizeof(m->long_names[1])));
  m->type_class         = STK_MODEL_PARAMS_CLASS; /* -hjb_sbar, ... */
  m->ops.setfromoptions = StakingSetFromOptions;
  m->ops.setup          = StakingSetUp;
  m->ops.view           = StakingView;
  m->ops.destroy        = StakingDestroy;
  m->ops.drift          = StakingDrift;
  m->ops.diffusion      = StakingDiffusion;
  m->ops.cost           = StakingCost;
  m->ops.greedy         = StakingGreedy;
  m->ops.greedy_pair    = StakingGreedyPair;
  m->ops.greedy_slope   = StakingGreedySlope;
  m->ops.attributes     = StakingAttributes;
  m->ops.load           = StakingLoad;
  m->ops.setoptionsprefix = StakingSetOptionsPrefix;
  PetscFunctionReturn(0);
}

/* The staking model's population, the one source of the agents' parameters (borrowed). */
PetscErrorCode StkModelStakingGetPopulation(StkModel m, StkPopulation *pop)
{
  PetscBool staking;

  PetscFunctionBeginUser;
  PetscCall(PetscStrcmp(m->type, STK_MODEL_STAKING, &staking));
  if (!staking) { /* the price-aware model has the same holders */
    PetscBool priced;
    PetscCall(PetscStrcmp(m->type, STK_MODEL_STAKING_PRICE, &priced));
    if (priced) {
      PetscCall(StkModelStakingPriceGetPopulation(m, pop));
      PetscFunctionReturn(0);
    }
  }
  PetscCheck(staking, m->comm, PETSC_ERR_ARG_WRONG, "-%smodel %s has no token holders: use -%smodel staking", m->prefix ? m->prefix : "", m->type, m->prefix ? m->prefix : "");
  *pop = ((StakingCtx *)m->data)->pop;
  PetscFunctionReturn(0);
}

/* Governance (experiments/stk_govern.h) re-plans the same model for a voted objective. */
PetscErrorCode StkModelStakingSetObjective(StkModel m, PetscReal sbar, PetscReal w_u)
{
  PetscBool   staking;
  StakingCtx *ctx;

  PetscFunctionBeginUser;
  PetscCall(PetscStrcmp(m->type, STK_MODEL_STAKING, &staking));
  PetscCheck(staking, m->comm, PETSC_ERR_ARG_WRONG, "-%smodel %s has no planner's objective (sbar, w_u): use -%smodel staking", m->prefix ? m->prefix : "", m->type, m->prefix ? m->prefix : "");
  PetscCheck(sbar > 0 && sbar < 1, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "StkModelStakingSetObjective: sbar must lie in (0, 1), got %g", (double)sbar);
  PetscCheck(w_u > 0, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "StkModelStakingSetObjective: w_u must be > 0, got %g", (double)w_u);
  ctx             = (StakingCtx *)m->data;
  ctx->sbar       = sbar;
  ctx->w_u        = w_u;
  m->ref_point[0] = sbar;
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelStakingGetObjective(StkModel m, PetscReal *sbar, PetscReal *w_u)
{
  PetscBool staking;

  PetscFunctionBeginUser;
  PetscCall(PetscStrcmp(m->type, STK_MODEL_STAKING, &staking));
  PetscCheck(staking, m->comm, PETSC_ERR_ARG_WRONG, "-%smodel %s has no planner's objective (sbar, w_u): use -%smodel staking", m->prefix ? m->prefix : "", m->type, m->prefix ? m->prefix : "");
  if (sbar) *sbar = ((StakingCtx *)m->data)->sbar;
  if (w_u) *w_u = ((StakingCtx *)m->data)->w_u;
  PetscFunctionReturn(0);
}
