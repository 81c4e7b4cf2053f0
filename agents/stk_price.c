/* The token price (stk_price.h, docs/model.md#token-price). */
#include <math.h>
#include <stdio.h>
#include "stk_price.h"

const char *const StkCurveTypes[]  = {"linear", "log", "exp", "sigmoid"};
const char *const StkWealthTypes[] = {"pareto", "lognormal"};

/* Draw purposes of the price (ctr[3] >> 24), above the simulators' StkRngStream values. */
#define STK_PRICE_STREAM_WEALTH ((StkRngStream)20) /* holdings, per holder and path */
#define STK_PRICE_STREAM_TRADE  ((StkRngStream)21) /* per holder and step: staking draw, trade noise */
#define STK_PRICE_STREAM_MARKET ((StkRngStream)22) /* path-wide market noise */

/* Fixed-point scales of the sums: holdings on a 2^-10 grid, at most 2^16, so x 2^24
 * and x^2 2^20 are exact integers (sums exact below 2^63). */
#define FIX_X  24
#define FIX_X2 20
#define X_CAP  65536.0

struct _n_StkPrice {
  MPI_Comm       comm;
  StkPriceParams p;
  PetscInt64     N, a0, a1;
  uint64_t       seed;
  uint32_t       path;
  PetscReal     *x;    /* owned holders' holdings (units of the smallest Pareto holding) */
  PetscReal      X;    /* sum of all holdings (exact fixed-point sum) */
  PetscReal      S, m; /* supply, market factor ln(P / f(S)) */
  StkPriceState  last;
};

PetscInt StkCurveNumParams(StkCurveType type)
{
  static const PetscInt n[] = {2, 1, 2, 3};
  return n[type];
}

PetscErrorCode StkBondingCurveCheck(const StkBondingCurve *c, const char option[])
{
  static const char *rule[] = {"linear needs m > 0, b >= 0", "log needs k > 0", "exp needs a > 0, k > 0", "sigmoid needs Pmax > 0, k > 0, S0 > 0"};
  const PetscReal   *p      = c->p;
  PetscBool          ok;

  PetscFunctionBeginUser;
  switch (c->type) {
  case STK_CURVE_LINEAR: ok = (PetscBool)(p[0] > 0 && p[1] >= 0); break;
  case STK_CURVE_LOG: ok = (PetscBool)(p[0] > 0); break;
  case STK_CURVE_EXP: ok = (PetscBool)(p[0] > 0 && p[1] > 0); break;
  default: ok = (PetscBool)(p[0] > 0 && p[1] > 0 && p[2] > 0); break;
  }
  for (PetscInt i = 0; i < StkCurveNumParams(c->type); i++) ok = (PetscBool)(ok && (PetscIsNormalReal(p[i]) || p[i] == 0));
  if (!ok) { /* the values as typed, C's %g (PETSc's would print 0.) */
    char   given[128] = "";
    size_t len        = 0;
    for (PetscInt i = 0; i < StkCurveNumParams(c->type); i++) len += (size_t)snprintf(given + len, sizeof(given) - len, i ? ",%g" : "%g", (double)p[i]);
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s is out of range: %s", option, given, rule[c->type]);
  }
  PetscFunctionReturn(0);
}

PetscReal StkBondingCurvePrice(const StkBondingCurve *c, PetscReal S)
{
  const PetscReal *p = c->p;

  switch (c->type) {
  case STK_CURVE_LINEAR: return p[0] * S + p[1];
  case STK_CURVE_LOG: return p[0] * PetscLogReal(S + 1);
  case STK_CURVE_EXP: return p[0] * PetscExpReal(p[1] * S);
  default: return p[0] / (1 + PetscExpReal(-p[1] * (S - p[2])));
  }
}

PetscReal StkBondingCurveSupply(const StkBondingCurve *c, PetscReal P)
{
  const PetscReal *p = c->p;

  switch (c->type) {
  case STK_CURVE_LINEAR: return P >= p[1] ? (P - p[1]) / p[0] : (PetscReal)NAN;
  case STK_CURVE_LOG: return P >= 0 ? PetscExpReal(P / p[0]) - 1 : (PetscReal)NAN;
  case STK_CURVE_EXP: return P >= p[0] ? PetscLogReal(P / p[0]) / p[1] : (PetscReal)NAN;
  default: return P > 0 && P < p[0] ? p[2] - PetscLogReal(p[0] / P - 1) / p[1] : (PetscReal)NAN;
  }
}

PetscReal StkBondingCurveLogSlope(const StkBondingCurve *c, PetscReal S)
{
  const PetscReal *p = c->p;

  switch (c->type) {
  case STK_CURVE_LINEAR: return p[0] / (p[0] * S + p[1]);
  case STK_CURVE_LOG: return 1 / ((S + 1) * PetscLogReal(S + 1));
  case STK_CURVE_EXP: return p[1];
  default: return p[1] * (1 - StkBondingCurvePrice(c, S) / p[0]);
  }
}

PetscErrorCode StkPriceParamsDefault(StkPriceParams *p)
{
  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(p, sizeof(*p)));
  p->curve.type   = STK_CURVE_LINEAR;
  p->curve.p[0]   = 1e-3; /* USD per token per Mtoken: P = 1 USD at S = 1000 Mtoken */
  p->curve.p[1]   = 0;
  p->supply0      = 1000;
  p->demand       = 1000;
  p->kappa        = 1;
  p->lambda       = 0.5;
  p->noise        = 0.3;
  p->sell_share   = 0.5;
  p->buy_rate     = 0.02;
  p->trade_vol    = 0.5;
  p->wealth       = STK_WEALTH_PARETO;
  p->wealth_shape = 1.5;
  p->crash_time = p->dump_time = (PetscReal)NAN;
  p->crash_frac                = 0.3;
  p->dump_frac                 = 0.1;
  PetscFunctionReturn(0);
}

/* An option value v must satisfy lo < v (open) or lo <= v, and v < hi. */
static PetscErrorCode CheckRange(const char pre[], const char name[], PetscReal v, PetscReal lo, PetscBool lo_open, PetscReal hi, const char rule[])
{
  PetscFunctionBeginUser;
  PetscCheck(!PetscIsNanReal(v) && (lo_open ? v > lo : v >= lo) && v < hi, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-%s%s: %g is out of range: %s", pre, name, (double)v, rule);
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckParams(const char pre[], const StkPriceParams *p)
{
  char opt[256];

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(opt, sizeof(opt), "-%sprice_curve_params", pre));
  PetscCall(StkBondingCurveCheck(&p->curve, opt));
  PetscCall(CheckRange(pre, "price_supply0", p->supply0, 0, PETSC_TRUE, PETSC_INFINITY, "must be > 0"));
  PetscCall(CheckRange(pre, "price_demand", p->demand, 0, PETSC_TRUE, PETSC_INFINITY, "must be > 0"));
  PetscCall(CheckRange(pre, "price_kappa", p->kappa, 0, PETSC_FALSE, PETSC_INFINITY, "must be >= 0"));
  PetscCall(CheckRange(pre, "price_lambda", p->lambda, 0, PETSC_FALSE, PETSC_INFINITY, "must be >= 0"));
  PetscCall(CheckRange(pre, "price_noise", p->noise, 0, PETSC_FALSE, PETSC_INFINITY, "must be >= 0"));
  PetscCall(CheckRange(pre, "price_sell_share", p->sell_share, 0, PETSC_FALSE, 1 + PETSC_SMALL, "must lie in [0, 1]"));
  PetscCall(CheckRange(pre, "price_buy_rate", p->buy_rate, -PETSC_INFINITY, PETSC_FALSE, PETSC_INFINITY, "must be finite"));
  PetscCall(CheckRange(pre, "price_trade_vol", p->trade_vol, 0, PETSC_FALSE, PETSC_INFINITY, "must be >= 0"));
  if (p->wealth == STK_WEALTH_PARETO) PetscCall(CheckRange(pre, "price_wealth_shape", p->wealth_shape, 1, PETSC_TRUE, PETSC_INFINITY, "pareto needs alpha > 1 (a finite mean)"));
  else PetscCall(CheckRange(pre, "price_wealth_shape", p->wealth_shape, 0, PETSC_TRUE, 5, "lognormal needs 0 < sigma < 5"));
  if (!PetscIsNanReal(p->crash_time)) PetscCall(CheckRange(pre, "price_crash_time", p->crash_time, 0, PETSC_FALSE, PETSC_INFINITY, "must be >= 0"));
  if (!PetscIsNanReal(p->dump_time)) PetscCall(CheckRange(pre, "price_dump_time", p->dump_time, 0, PETSC_FALSE, PETSC_INFINITY, "must be >= 0"));
  PetscCall(CheckRange(pre, "price_crash_frac", p->crash_frac, 0, PETSC_TRUE, 1, "must lie in (0, 1)"));
  PetscCall(CheckRange(pre, "price_dump_frac", p->dump_frac, 0, PETSC_TRUE, 1, "must lie in (0, 1)"));
  PetscFunctionReturn(0);
}

/* Looks a name up in a list; unknown names are an error naming the option and the choices. */
static PetscErrorCode ParseChoice(const char pre[], const char name[], const char value[], const char *const list[], PetscInt n, PetscInt *choice)
{
  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < n; i++)
    if (!strcmp(value, list[i])) {
      *choice = i;
      PetscFunctionReturn(0);
    }
  PetscCheck(n == 2, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-%s%s: %s is unknown: use %s, %s, %s or %s", pre, name, value, list[0], list[1], list[2], list[3]);
  SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-%s%s: %s is unknown: use %s or %s", pre, name, value, list[0], list[1]);
}

/* Reads into a copy q: p is unchanged unless every option is valid. */
PetscErrorCode StkPriceParamsFromOptions(const char prefix[], StkPriceParams *pout, PetscBool *on)
{
  StkPriceParams  q = *pout, *p = &q;
  const char *pre = prefix ? prefix : "";
  char        curve[64], wealth[64];
  PetscReal   cp[3] = {p->curve.p[0], p->curve.p[1], p->curve.p[2]};
  PetscInt    ncp = 3, choice = 0;
  PetscBool   set, cpset;

  PetscFunctionBeginUser;
  PetscCall(PetscStrncpy(curve, StkCurveTypes[p->curve.type], sizeof(curve)));
  PetscCall(PetscStrncpy(wealth, StkWealthTypes[p->wealth], sizeof(wealth)));
  *on = PETSC_FALSE;
  PetscOptionsBegin(PETSC_COMM_WORLD, prefix, "Token price (docs/model.md#token-price)", NULL);
  PetscCall(PetscOptionsBool("-price", "Simulate a token price on a bonding curve", "", *on, on, NULL));
  PetscCall(PetscOptionsString("-price_curve", "Bonding curve: linear, log, exp or sigmoid", "", curve, curve, sizeof(curve), &set));
  PetscCall(PetscOptionsRealArray("-price_curve_params", "Curve parameters: linear m,b; log k; exp a,k; sigmoid Pmax,k,S0 (USD, Mtoken)", "", cp, &ncp, &cpset));
  PetscCall(PetscOptionsReal("-price_supply0", "Initial circulating supply S_0, Mtoken", "", p->supply0, &p->supply0, NULL));
  PetscCall(PetscOptionsReal("-price_demand", "Demand D of the market-interaction term, Mtoken", "", p->demand, &p->demand, NULL));
  PetscCall(PetscOptionsReal("-price_kappa", "Price impact kappa_P: change of ln P per unit of supply bought", "", p->kappa, &p->kappa, NULL));
  PetscCall(PetscOptionsReal("-price_lambda", "Market-interaction rate lambda, 1/yr", "", p->lambda, &p->lambda, NULL));
  PetscCall(PetscOptionsReal("-price_noise", "Market noise sigma_eta, 1/sqrt(yr)", "", p->noise, &p->noise, NULL));
  PetscCall(PetscOptionsReal("-price_sell_share", "Share phi of rewards stakers sell", "", p->sell_share, &p->sell_share, NULL));
  PetscCall(PetscOptionsReal("-price_buy_rate", "Non-stakers' mean purchases beta, fraction of holdings per yr", "", p->buy_rate, &p->buy_rate, NULL));
  PetscCall(PetscOptionsReal("-price_trade_vol", "Volatility sigma_T of each non-staker's trades, 1/sqrt(yr)", "", p->trade_vol, &p->trade_vol, NULL));
  PetscCall(PetscOptionsString("-price_wealth", "Holdings distribution: pareto or lognormal", "", wealth, wealth, sizeof(wealth), NULL));
  PetscCall(PetscOptionsReal("-price_wealth_shape", "Pareto alpha (> 1) or lognormal sigma", "", p->wealth_shape, &p->wealth_shape, NULL));
  PetscCall(PetscOptionsReal("-price_crash_time", "Price crash time, yr (none if unset)", "", p->crash_time, &p->crash_time, NULL));
  PetscCall(PetscOptionsReal("-price_crash_frac", "Price crash: the fraction of the price lost", "", p->crash_frac, &p->crash_frac, NULL));
  PetscCall(PetscOptionsReal("-price_dump_time", "Supply dump time, yr (none if unset)", "", p->dump_time, &p->dump_time, NULL));
  PetscCall(PetscOptionsReal("-price_dump_frac", "Supply dump: the fraction of supply stakers sell at once", "", p->dump_frac, &p->dump_frac, NULL));
  PetscOptionsEnd();
  PetscCall(ParseChoice(pre, "price_curve", curve, StkCurveTypes, 4, &choice));
  p->curve.type = (StkCurveType)choice;
  PetscCall(ParseChoice(pre, "price_wealth", wealth, StkWealthTypes, 2, &choice));
  p->wealth = (StkWealthType)choice;
  if (cpset) {
    PetscCheck(ncp == StkCurveNumParams(p->curve.type), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-%sprice_curve_params: %" PetscInt_FMT " values given: %s takes %" PetscInt_FMT, pre, ncp, StkCurveTypes[p->curve.type], StkCurveNumParams(p->curve.type));
    for (PetscInt i = 0; i < 3; i++) p->curve.p[i] = i < ncp ? cp[i] : 0;
  } else if (set && p->curve.type != STK_CURVE_LINEAR) {
    static const PetscReal defaults[4][3] = {
      {1e-3, 0,   0   },
      {0.145, 0,  0   },
      {0.5,  6.93e-4, 0},
      {2,    2e-3, 1000}
    }; /* each family at about 1 USD for S_0 = 1000 Mtoken */
    for (PetscInt i = 0; i < 3; i++) p->curve.p[i] = defaults[p->curve.type][i];
  }
  PetscCall(CheckParams(pre, p));
  *pout = q;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPriceOptionGiven(const char prefix[], char name[], size_t len)
{
  char       *all, *tok, key[256];
  size_t      klen;
  PetscToken  token;
  PetscBool   match = PETSC_FALSE;

  PetscFunctionBeginUser;
  name[0] = 0;
  PetscCall(PetscSNPrintf(key, sizeof(key), "-%sprice_", prefix ? prefix : ""));
  PetscCall(PetscStrlen(key, &klen));
  PetscCall(PetscOptionsGetAll(NULL, &all)); /* every option, so a -price_* added later is covered too */
  PetscCall(PetscTokenCreate(all, ' ', &token));
  PetscCall(PetscTokenFind(token, &tok));
  while (tok && !match) {
    PetscCall(PetscStrncmp(tok, key, klen, &match));
    if (match) PetscCall(PetscStrncpy(name, tok + 1, len));
    else PetscCall(PetscTokenFind(token, &tok));
  }
  PetscCall(PetscTokenDestroy(&token));
  PetscCall(PetscFree(all));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPriceCreate(MPI_Comm comm, const StkPriceParams *p, PetscInt64 N, PetscInt64 a0, PetscInt64 a1, uint64_t seed, StkPrice *price)
{
  StkPrice pr;

  PetscFunctionBeginUser;
  PetscCheck(N >= 1 && 0 <= a0 && a0 <= a1 && a1 <= N, comm, PETSC_ERR_ARG_OUTOFRANGE, "StkPriceCreate: owned holders [%" PetscInt64_FMT ", %" PetscInt64_FMT ") of %" PetscInt64_FMT, a0, a1, N);
  PetscCall(StkBondingCurveCheck(&p->curve, "-price_curve_params"));
  PetscCall(PetscNew(&pr));
  pr->comm = comm;
  pr->p    = *p;
  pr->N = N, pr->a0 = a0, pr->a1 = a1;
  pr->seed = seed;
  PetscCall(PetscMalloc1(a1 - a0 + 1, &pr->x));
  *price = pr;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPriceDestroy(StkPrice *price)
{
  PetscFunctionBeginUser;
  if (!*price) PetscFunctionReturn(0);
  PetscCall(PetscFree((*price)->x));
  PetscCall(PetscFree(*price));
  PetscFunctionReturn(0);
}

static inline int64_t Fix(PetscReal v, int bits)
{
  return (int64_t)llround(ldexp((double)v, bits));
}

PetscErrorCode StkPriceReset(StkPrice pr, uint32_t path)
{
  int64_t local = 0, total;

  PetscFunctionBeginUser;
  pr->path = path;
  for (PetscInt64 i = pr->a0; i < pr->a1; i++) {
    StkRng    rng;
    PetscReal x;
    StkRngInit(&rng, pr->seed, (uint32_t)i, 0, path, STK_PRICE_STREAM_WEALTH);
    x = pr->p.wealth == STK_WEALTH_PARETO ? PetscPowReal(StkRngUniform(&rng), -1 / pr->p.wealth_shape) : PetscExpReal(pr->p.wealth_shape * StkRngNormal(&rng));
    x                  = ldexp(nearbyint(ldexp(PetscMin(x, X_CAP), 10)), -10); /* on a 2^-10 grid: x^2 exact in fixed point */
    pr->x[i - pr->a0] = x;
    local += Fix(x, FIX_X);
  }
  PetscCallMPI(MPI_Allreduce(&local, &total, 1, MPI_INT64_T, MPI_SUM, pr->comm));
  pr->X = ldexp((double)total, -FIX_X);
  pr->S = pr->p.supply0;
  pr->m = 0;
  PetscCall(PetscMemzero(&pr->last, sizeof(pr->last)));
  pr->last.S = pr->S;
  pr->last.P = StkBondingCurvePrice(&pr->p.curve, pr->S);
  PetscFunctionReturn(0);
}

PetscReal StkPriceMarketDrift(const StkPriceParams *p, PetscReal S, PetscReal m, PetscReal s, PetscReal u)
{
  return p->kappa * (p->buy_rate * (1 - s) - p->sell_share * u) + p->lambda * (p->demand * PetscExpReal(-m) - S) / S;
}

PetscReal StkPriceLogDrift(const StkPriceParams *p, PetscReal S, PetscReal m, PetscReal s, PetscReal u)
{
  return StkBondingCurveLogSlope(&p->curve, S) * u * S + StkPriceMarketDrift(p, S, m, s, u);
}

PetscReal StkPriceLogVolatility(const StkPriceParams *p)
{
  return p->noise;
}

/* Sums over the owned holders: non-stakers' trades (fraction of their holdings x dt
 * terms, fixed point), stakers' holdings and squared holdings; then over ranks. */
static PetscErrorCode SumHolders(StkPrice pr, uint32_t step, PetscReal dt, PetscReal s, const uint8_t staked[], int64_t sum[3])
{
  const PetscReal sq = PetscSqrtReal(dt);
  int64_t         local[3] = {0, 0, 0};

  PetscFunctionBeginUser;
  for (PetscInt64 i = pr->a0; i < pr->a1; i++) {
    const PetscReal x = pr->x[i - pr->a0];
    StkRng          rng;
    PetscBool       stakes;
    StkRngInit(&rng, pr->seed, (uint32_t)i, step, pr->path, STK_PRICE_STREAM_TRADE);
    stakes = staked ? (PetscBool)(staked[i - pr->a0] != 0) : (PetscBool)(StkRngUniform(&rng) < s);
    if (stakes) {
      local[1] += Fix(x, FIX_X);
      local[2] += Fix(x * x, FIX_X2);
    } else local[0] += Fix(x * (pr->p.buy_rate * dt + pr->p.trade_vol * sq * StkRngNormal(&rng)), FIX_X);
  }
  PetscCallMPI(MPI_Allreduce(local, sum, 3, MPI_INT64_T, MPI_SUM, pr->comm));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPriceStep(StkPrice pr, uint32_t step, PetscReal dt, PetscReal s, PetscReal u, const uint8_t staked[], StkPriceState *st)
{
  const StkPriceParams *p = &pr->p;
  int64_t               sum[3];
  PetscReal             q, xs, dm;
  StkRng                rng;

  PetscFunctionBeginUser;
  PetscCall(SumHolders(pr, step, dt, s, staked, sum));
  q  = ldexp((double)sum[0], -FIX_X) / pr->X - p->sell_share * u * dt;
  StkRngInit(&rng, pr->seed, 0, step, pr->path, STK_PRICE_STREAM_MARKET);
  dm = p->kappa * q + p->lambda * (p->demand * PetscExpReal(-pr->m) - pr->S) / pr->S * dt + p->noise * PetscSqrtReal(dt) * StkRngNormal(&rng);
  pr->m += dm;
  pr->S *= 1 + u * dt;
  xs           = ldexp((double)sum[1], -FIX_X);
  pr->last.S   = pr->S;
  pr->last.P   = StkBondingCurvePrice(&p->curve, pr->S) * PetscExpReal(pr->m);
  pr->last.q   = q;
  pr->last.m   = pr->m;
  pr->last.dlogm = dm;
  pr->last.hhi = sum[1] > 0 ? ldexp((double)sum[2], -FIX_X2) / (xs * xs) : 1;
  if (st) *st = pr->last;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPriceGetState(StkPrice pr, StkPriceState *st)
{
  PetscFunctionBeginUser;
  *st = pr->last;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPriceGetHoldings(StkPrice pr, const PetscReal *x[], PetscReal *X)
{
  PetscFunctionBeginUser;
  if (x) *x = pr->x;
  if (X) *X = pr->X;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPriceApplyShocks(StkPrice pr, PetscBool crash, PetscBool dump)
{
  PetscFunctionBeginUser;
  if (crash) pr->m += (PetscReal)log1p((double)-pr->p.crash_frac);
  if (dump) pr->m -= pr->p.kappa * pr->p.dump_frac;
  PetscFunctionReturn(0);
}

static inline PetscBool ShockAt(PetscReal t_shock, PetscInt n, PetscReal dt)
{
  const PetscInt ns = PetscIsNanReal(t_shock) ? -1 : (PetscInt)PetscCeilReal(t_shock / dt - 1e-3);
  return (PetscBool)(n == ns);
}

PetscErrorCode StkPriceRunPath(StkPrice pr, uint32_t path, PetscReal dt, PetscInt nsteps, const PetscReal s[], const PetscReal u[], PetscReal P[], PetscReal *hhi)
{
  StkPriceState st;
  PetscReal     hsum = 0;

  PetscFunctionBeginUser;
  PetscCall(StkPriceReset(pr, path));
  P[0] = pr->last.P;
  for (PetscInt n = 0; n < nsteps; n++) {
    PetscCall(StkPriceApplyShocks(pr, ShockAt(pr->p.crash_time, n, dt), ShockAt(pr->p.dump_time, n, dt)));
    PetscCall(StkPriceStep(pr, (uint32_t)n, dt, s[n], u[n], NULL, &st));
    P[n + 1] = st.P;
    hsum += st.hhi;
  }
  if (hhi) *hhi = nsteps ? hsum / nsteps : (PetscReal)NAN;
  PetscFunctionReturn(0);
}
