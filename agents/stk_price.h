/* A token price for the agent-based environment (docs/model.md#token-price):
 * a bonding curve on circulating supply times a market factor,
 *
 *   P_n = f(S_n) exp(m_n),
 *   S_{n+1} = S_n (1 + u_n dt)                                 (issuance added to supply)
 *   m_{n+1} = m_n + kappa_P q_n + lambda (D_n - S_n) / S_n dt + sigma_eta sqrt(dt) xi_n,
 *   D_n = D exp(-m_n)   (the demand falls as the price rises above the curve),
 *
 * with q_n the net order flow of the step as a fraction of supply: non-stakers buy
 * at rate beta and trade noise, h_i (beta dt + sigma_T sqrt(dt) xi_i), stakers sell a
 * share phi of the rewards, phi u_n S_n dt.  Holders have heterogeneous holdings h_i
 * (Pareto or lognormal, a pure function of the seed and the holder's id; stake is
 * proportional to holdings), so the Herfindahl index of stake is informative.
 *
 * Every sum over holders is taken in 64-bit fixed point, so a price path is the
 * same bit for bit on any number of MPI ranks. */
#pragma once
#include <petscsys.h>
#include "stk_philox.h"

typedef enum {
  STK_CURVE_LINEAR,  /* f = m S + b            (params m > 0, b >= 0) */
  STK_CURVE_LOG,     /* f = k ln(S + 1)        (params k > 0) */
  STK_CURVE_EXP,     /* f = a exp(k S)         (params a > 0, k > 0) */
  STK_CURVE_SIGMOID  /* f = Pmax / (1 + exp(-k (S - S0)))  (params Pmax > 0, k > 0, S0 > 0) */
} StkCurveType;
PETSC_EXTERN const char *const StkCurveTypes[]; /* "linear", "log", "exp", "sigmoid" */

typedef struct {
  StkCurveType type;
  PetscReal    p[3]; /* the family's parameters, in the order above */
} StkBondingCurve;

/* The number of parameters of a family (2, 1, 2, 3). */
PETSC_EXTERN PetscInt StkCurveNumParams(StkCurveType type);
/* Checks the parameters; errors name `option` (e.g. "-price_curve_params"). */
PETSC_EXTERN PetscErrorCode StkBondingCurveCheck(const StkBondingCurve *c, const char option[]);
/* f(S), USD per token, S in tokens (S >= 0). */
PETSC_EXTERN PetscReal StkBondingCurvePrice(const StkBondingCurve *c, PetscReal S);
/* The inverse: the supply at which f(S) = P; NaN outside the curve's range. */
PETSC_EXTERN PetscReal StkBondingCurveSupply(const StkBondingCurve *c, PetscReal P);
/* d ln f / dS, 1/token (the mean field's issuance term). */
PETSC_EXTERN PetscReal StkBondingCurveLogSlope(const StkBondingCurve *c, PetscReal S);

typedef enum {
  STK_WEALTH_PARETO,   /* h = x_m U^{-1/alpha}, shape alpha > 1 */
  STK_WEALTH_LOGNORMAL /* h = exp(sigma xi), shape sigma > 0 */
} StkWealthType;
PETSC_EXTERN const char *const StkWealthTypes[]; /* "pareto", "lognormal" */

typedef struct {
  StkBondingCurve curve;       /* -price_curve, -price_curve_params */
  PetscReal       supply0;     /* -price_supply0: S_0, Mtoken */
  PetscReal       demand;      /* -price_demand: D, Mtoken (the supply the market absorbs at the curve price) */
  PetscReal       kappa;       /* -price_kappa: kappa_P, log-price impact of buying all supply (1) */
  PetscReal       lambda;      /* -price_lambda: 1/yr */
  PetscReal       noise;       /* -price_noise: sigma_eta, 1/sqrt(yr) */
  PetscReal       sell_share;  /* -price_sell_share: phi in [0, 1] */
  PetscReal       buy_rate;    /* -price_buy_rate: beta, 1/yr */
  PetscReal       trade_vol;   /* -price_trade_vol: sigma_T, 1/sqrt(yr) */
  StkWealthType   wealth;      /* -price_wealth pareto|lognormal */
  PetscReal       wealth_shape;/* -price_wealth_shape: alpha (pareto) or sigma (lognormal) */
  PetscReal       crash_time;  /* -price_crash_time, yr (NaN: none) */
  PetscReal       crash_frac;  /* -price_crash_frac in (0, 1): P -> (1 - frac) P */
  PetscReal       dump_time;   /* -price_dump_time, yr (NaN: none) */
  PetscReal       dump_frac;   /* -price_dump_frac in (0, 1): stakers sell frac of supply at once */
} StkPriceParams;

/* The defaults (docs/model.md#token-price); the price is off unless -price is given. */
PETSC_EXTERN PetscErrorCode StkPriceParamsDefault(StkPriceParams *p);
/* Reads the -price_* options (prefix may be NULL) over p and checks them; *on is
 * the -price flag; p is unchanged on error.  Errors name the option as typed, e.g. "-price_curve_params". */
PETSC_EXTERN PetscErrorCode StkPriceParamsFromOptions(const char prefix[], StkPriceParams *p, PetscBool *on);
/* The first -<prefix>price_* option in the database (name without "-", "" when none):
 * callers whose price is off reject it instead of ignoring it. */
PETSC_EXTERN PetscErrorCode StkPriceOptionGiven(const char prefix[], char name[], size_t len);

typedef struct _n_StkPrice *StkPrice;

/* A price process for holders [0, N) of which this rank owns [a0, a1) (collective on comm). */
PETSC_EXTERN PetscErrorCode StkPriceCreate(MPI_Comm comm, const StkPriceParams *p, PetscInt64 N, PetscInt64 a0, PetscInt64 a1, uint64_t seed, StkPrice *price);
PETSC_EXTERN PetscErrorCode StkPriceDestroy(StkPrice *price);
/* A new path: holdings drawn for `path`, S = S_0, m = 0. */
PETSC_EXTERN PetscErrorCode StkPriceReset(StkPrice price, uint32_t path);

typedef struct {
  PetscReal S, P;     /* supply (Mtoken), price (USD per token) */
  PetscReal m;        /* market factor ln(P / f(S)) */
  PetscReal q;        /* net order flow of the last step, fraction of supply */
  PetscReal dlogm;    /* the last step's change of the market factor m */
  PetscReal hhi;      /* Herfindahl index of stake (stakers' holdings) after the step */
} StkPriceState;

/* One step of length dt at staking ratio s and issuance rate u (1/yr).  staked (the
 * owned holders' states, 1 = staker) may be NULL: each holder then stakes with
 * probability s, drawn afresh each step (exchangeable holders). Collective. */
PETSC_EXTERN PetscErrorCode StkPriceStep(StkPrice price, uint32_t step, PetscReal dt, PetscReal s, PetscReal u, const uint8_t staked[], StkPriceState *st);
PETSC_EXTERN PetscErrorCode StkPriceGetState(StkPrice price, StkPriceState *st);
/* The owned holders' holdings x_i (i = a0 .. a1 - 1; on the 2^-10 grid, at most 2^20)
 * and the sum X over all holders: holder i's share of supply is x_i / X. */
PETSC_EXTERN PetscErrorCode StkPriceGetHoldings(StkPrice price, const PetscReal *x[], PetscReal *X);
/* The mean field of m's drift (1/yr) at (S, m, s, u): kappa_P (beta (1 - s) - phi u) + lambda (D e^{-m} - S) / S. */
PETSC_EXTERN PetscReal StkPriceMarketDrift(const StkPriceParams *p, PetscReal S, PetscReal m, PetscReal s, PetscReal u);
/* The mean-field drift of ln P (1/yr): d ln f/dS u S + the market drift; the expected
 * price change that makes the real staking yield y + E[d ln P]/dt. */
PETSC_EXTERN PetscReal StkPriceLogDrift(const StkPriceParams *p, PetscReal S, PetscReal m, PetscReal s, PetscReal u);
/* The volatility of ln P (1/sqrt(yr)) in the mean field: sigma_eta (the holders'
 * trades average out, their part is O(sqrt(HHI of holdings))). */
PETSC_EXTERN PetscReal StkPriceLogVolatility(const StkPriceParams *p);

/* Applies the shocks due now: a crash multiplies the price by 1 - crash_frac, a dump
 * sells dump_frac of supply at once (ln P falls by kappa_P dump_frac). */
PETSC_EXTERN PetscErrorCode StkPriceApplyShocks(StkPrice price, PetscBool crash, PetscBool dump);

/* A price path over a recorded staking path: s[n], u[n] for n < nsteps (the
 * records of StkSimPath), P[0..nsteps] and the stake HHI averaged over the steps.
 * Shocks (-price_crash_*, -price_dump_*) are applied at the first step n with
 * n dt >= their time.  Collective. */
PETSC_EXTERN PetscErrorCode StkPriceRunPath(StkPrice price, uint32_t path, PetscReal dt, PetscInt nsteps, const PetscReal s[], const PetscReal u[], PetscReal P[], PetscReal *hhi);
