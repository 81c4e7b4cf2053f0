/* Voting on the planner's objective (stk_govern.h, docs/model.md#voting-on-the-objective). */
#include "stk_govern.h"
#include "stk_hjb.h"
#include "stk_h5.h"
#include "stk_philox.h"
#include "stk_price_metrics.h"
#include "stk_sim_price.h"
#include "stk_version.h"
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

const char *const StkGovernRules[] = {"token_median", "holder_median", "borda", "StkGovernRule", "STK_GOVERN_", NULL};

#define GOVERN_SBAR_UNIT 0.1
#define GOVERN_MAX_MENU  64
/* Bounds of the ideal points (sbar, w_u) after an update. */
#define GOVERN_SBAR_LO 0.05
#define GOVERN_SBAR_HI 0.95
#define GOVERN_WU_LO   0.1
#define GOVERN_WU_HI   1000.0

struct _p_StkGovern {
  MPI_Comm       comm;
  StkGovernRule  rule;
  PetscInt       rounds, voters, seed, ncand;
  PetscReal      staker_share, holdings_logsd, spread, lr, max_step_sbar, max_ratio_w_u, fixed_tol;
  PetscReal      staker_ideal[2], holder_ideal[2]; /* (sbar, w_u) */
  PetscReal      menu[2 * GOVERN_MAX_MENU];
  char           menu_text[PETSC_MAX_PATH_LEN];
  StkModel       model;       /* the environment's (on comm) */
  StkModel       solve_model; /* the planner's copy on PETSC_COMM_SELF: every rank solves */
  StkGrid        grid, solve_grid;
  StkSolver      help_solver; /* only to read the solver's options on the first pass */
  StkEvaluate    ev;
  PetscBool      price; /* -price: the epochs carry the token price and payoffs are in value (USD) */
  PetscReal      sbar0, w_u0;
  /* voters: holdings w[i], staker flag, ideal points ideal[2 i + k] (preference space) */
  PetscReal     *w, *ideal;
  PetscBool     *staker;
  StkGovernRound *traj;
  PetscInt       nrounds;
  PetscReal      wall;
  PetscBool      setup;
};

/* ---------- voting rules ---------- */

typedef struct {
  PetscReal x, w;
} WeightedValue;

static int CompareValues(const void *a, const void *b)
{
  const PetscReal x = ((const WeightedValue *)a)->x, y = ((const WeightedValue *)b)->x;
  return (x > y) - (x < y);
}

PetscErrorCode StkVoteWeightedMedian(PetscInt n, const PetscReal x[], const PetscReal w[], PetscReal *median)
{
  WeightedValue *v;
  PetscReal      total = 0, cum = 0, lower = PETSC_MAX_REAL, upper = PETSC_MAX_REAL;
  PetscBool      have_lower = PETSC_FALSE;

  PetscFunctionBeginUser;
  PetscCheck(n >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "StkVoteWeightedMedian: need at least one ballot, got %" PetscInt_FMT, n);
  PetscCall(PetscMalloc1(n, &v));
  for (PetscInt i = 0; i < n; i++) {
    v[i].x = x[i];
    v[i].w = w ? w[i] : 1.0;
    if (!(v[i].w > 0) || PetscIsInfOrNanReal(v[i].w) || PetscIsInfOrNanReal(v[i].x)) {
      PetscCall(PetscFree(v));
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "StkVoteWeightedMedian: ballot %" PetscInt_FMT " has value %g and weight %g: values must be finite and weights > 0", i, (double)x[i], (double)(w ? w[i] : 1.0));
    }
    total += v[i].w;
  }
  qsort(v, (size_t)n, sizeof(*v), CompareValues);
  for (PetscInt i = 0; i < n; i++) {
    cum += v[i].w;
    if (!have_lower && cum >= total / 2) {
      lower      = v[i].x;
      have_lower = PETSC_TRUE;
    }
    if (cum > total / 2) {
      upper = v[i].x;
      break;
    }
  }
  if (upper == PETSC_MAX_REAL) upper = v[n - 1].x; /* rounding: cum never exceeded W/2 */
  *median = lower == upper ? lower : (lower + upper) / 2;
  PetscCall(PetscFree(v));
  PetscFunctionReturn(0);
}

static PetscReal Distance(PetscInt dim, const PetscReal a[], const PetscReal b[])
{
  PetscReal d2 = 0;
  for (PetscInt k = 0; k < dim; k++) d2 += (a[k] - b[k]) * (a[k] - b[k]);
  return PetscSqrtReal(d2);
}

PetscErrorCode StkVoteBorda(PetscInt nvoters, PetscInt dim, const PetscReal ideal[], const PetscReal w[], PetscInt ncand, const PetscReal cand[], PetscReal score[], PetscInt *winner)
{
  PetscReal *total, *d;

  PetscFunctionBeginUser;
  PetscCheck(ncand >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "StkVoteBorda: empty menu (no candidates)");
  PetscCheck(nvoters >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "StkVoteBorda: need at least one voter, got %" PetscInt_FMT, nvoters);
  PetscCall(PetscCalloc1(ncand, &total));
  PetscCall(PetscMalloc1(ncand, &d));
  for (PetscInt i = 0; i < nvoters; i++) {
    const PetscReal wi = w ? w[i] : 1.0;
    if (!(wi > 0)) {
      PetscCall(PetscFree(total));
      PetscCall(PetscFree(d));
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "StkVoteBorda: voter %" PetscInt_FMT " has weight %g: weights must be > 0", i, (double)wi);
    }
    for (PetscInt j = 0; j < ncand; j++) d[j] = Distance(dim, &ideal[i * dim], &cand[j * dim]);
    for (PetscInt j = 0; j < ncand; j++) {
      PetscReal points = 0;
      for (PetscInt l = 0; l < ncand; l++) {
        if (l == j) continue;
        if (d[l] > d[j]) points += 1;
        else if (d[l] == d[j]) points += 0.5;
      }
      total[j] += wi * points;
    }
  }
  *winner = 0;
  for (PetscInt j = 1; j < ncand; j++)
    if (total[j] > total[*winner]) *winner = j;
  if (score) PetscCall(PetscArraycpy(score, total, ncand));
  PetscCall(PetscFree(total));
  PetscCall(PetscFree(d));
  PetscFunctionReturn(0);
}

void StkGovernToPreference(PetscReal sbar, PetscReal w_u, PetscReal x[2])
{
  x[0] = sbar / GOVERN_SBAR_UNIT;
  x[1] = PetscLogReal(w_u) / PetscLogReal(2.0);
}

void StkGovernFromPreference(const PetscReal x[2], PetscReal *sbar, PetscReal *w_u)
{
  *sbar = x[0] * GOVERN_SBAR_UNIT;
  *w_u  = PetscExpReal(x[1] * PetscLogReal(2.0));
}

PetscErrorCode StkGovernVote(StkGovernRule rule, PetscInt n, const PetscReal ideal[], const PetscReal w[], PetscInt ncand, const PetscReal menu[], PetscReal *sbar, PetscReal *w_u)
{
  PetscFunctionBeginUser;
  if (rule == STK_GOVERN_BORDA) {
    PetscReal *cand;
    PetscInt   win;

    PetscCheck(ncand >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "StkGovernVote: borda needs a menu of candidates, got none");
    PetscCall(PetscMalloc1(2 * ncand, &cand));
    for (PetscInt j = 0; j < ncand; j++) StkGovernToPreference(menu[2 * j], menu[2 * j + 1], &cand[2 * j]);
    PetscCall(StkVoteBorda(n, 2, ideal, w, ncand, cand, NULL, &win));
    PetscCall(PetscFree(cand));
    *sbar = menu[2 * win];
    *w_u  = menu[2 * win + 1];
  } else {
    PetscReal *coord, x[2];

    PetscCall(PetscMalloc1(n, &coord));
    for (PetscInt k = 0; k < 2; k++) {
      for (PetscInt i = 0; i < n; i++) coord[i] = ideal[2 * i + k];
      PetscCall(StkVoteWeightedMedian(n, coord, rule == STK_GOVERN_TOKEN_MEDIAN ? w : NULL, &x[k]));
    }
    PetscCall(PetscFree(coord));
    StkGovernFromPreference(x, sbar, w_u);
  }
  PetscFunctionReturn(0);
}

/* ---------- the object ---------- */

PetscErrorCode StkGovernCreate(MPI_Comm comm, StkGovern *gv)
{
  StkGovern g;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&g));
  g->comm            = comm;
  g->rule            = STK_GOVERN_TOKEN_MEDIAN;
  g->rounds          = 8;
  g->voters          = 200;
  g->seed            = 1;
  g->staker_share    = 0.5;
  g->holdings_logsd  = 1.0;
  g->spread          = 0.5;
  g->lr              = 0.5;
  g->max_step_sbar   = 0.05;
  g->max_ratio_w_u   = 1.5;
  g->fixed_tol       = 0.01;
  g->staker_ideal[0] = 0.7;
  g->staker_ideal[1] = 5;
  g->holder_ideal[0] = 0.45;
  g->holder_ideal[1] = 40;
  /* the 4 x 4 grid around both groups' ideals, without the fixed objective (0.6, 10): a menu
   * containing it would make it the Borda winner from round 1 on, and nothing would move */
  PetscCall(PetscStrncpy(g->menu_text, "0.45:5,0.45:10,0.45:20,0.45:40,0.55:5,0.55:10,0.55:20,0.55:40,0.65:5,0.65:10,0.65:20,0.65:40,0.75:5,0.75:10,0.75:20,0.75:40", sizeof(g->menu_text)));
  *gv = g;
  PetscFunctionReturn(0);
}

PetscErrorCode StkGovernSetRule(StkGovern gv, StkGovernRule rule)
{
  PetscFunctionBeginUser;
  gv->rule = rule;
  PetscFunctionReturn(0);
}

PetscErrorCode StkGovernSetRounds(StkGovern gv, PetscInt rounds)
{
  PetscFunctionBeginUser;
  gv->rounds = rounds;
  PetscFunctionReturn(0);
}

/* "sbar:w_u" into v[0], v[1]; errors name the option. */
static PetscErrorCode ParsePoint(MPI_Comm comm, const char option[], const char text[], PetscReal v[2])
{
  char *end;

  PetscFunctionBeginUser;
  v[0] = strtod(text, &end);
  PetscCheck(end != text && *end == ':', comm, PETSC_ERR_USER_INPUT, "%s: '%s' is not sbar:w_u (e.g. 0.6:10)", option, text);
  text = end + 1;
  v[1] = strtod(text, &end);
  PetscCheck(end != text && (*end == '\0' || *end == ','), comm, PETSC_ERR_USER_INPUT, "%s: '%s' is not sbar:w_u (e.g. 0.6:10)", option, text);
  PetscCheck(v[0] > 0 && v[0] < 1 && v[1] > 0 && !PetscIsInfOrNanReal(v[1]), comm, PETSC_ERR_ARG_OUTOFRANGE, "%s: %g:%g is out of bounds: sbar must lie in (0, 1) and w_u be > 0", option, (double)v[0], (double)v[1]);
  PetscFunctionReturn(0);
}

static PetscErrorCode ParseMenu(StkGovern gv)
{
  const char *p = gv->menu_text;

  PetscFunctionBeginUser;
  gv->ncand = 0;
  PetscCheck(p[0], gv->comm, PETSC_ERR_USER_INPUT, "-govern_menu: empty menu: give candidates sbar:w_u,sbar:w_u,...");
  while (p && *p) {
    PetscCheck(gv->ncand < GOVERN_MAX_MENU, gv->comm, PETSC_ERR_USER_INPUT, "-govern_menu: more than %d candidates", GOVERN_MAX_MENU);
    PetscCall(ParsePoint(gv->comm, "-govern_menu", p, &gv->menu[2 * gv->ncand]));
    gv->ncand++;
    p = strchr(p, ',');
    if (p) {
      p++;
      PetscCheck(*p, gv->comm, PETSC_ERR_USER_INPUT, "-govern_menu: '%s' ends with a comma", gv->menu_text);
    }
  }
  PetscFunctionReturn(0);
}

/* -price and the -price_* options (unprefixed, as in `stakehjb price`): the epoch's
 * simulator carries the price; it must be agent-based. */
static PetscErrorCode SetPriceFromOptions(StkGovern gv)
{
  StkPriceParams        pp;
  StkSim                sim;
  const StkSimSettings *set;
  PetscBool             sim_price;

  PetscFunctionBeginUser;
  PetscCall(StkPriceParamsDefault(&pp));
  PetscCall(StkPriceParamsFromOptions(NULL, &pp, &gv->price));
  PetscCall(StkEvaluateGetSim(gv->ev, &sim));
  PetscCall(StkSimHasPrice(sim, &sim_price)); /* the epoch's simulator reads -govern_price itself */
  PetscCheck(!sim_price || gv->price, gv->comm, PETSC_ERR_USER_INPUT, "-govern_price: give -price (and -price_* without the govern_ prefix): govern measures payoffs in value only then");
  if (!gv->price) PetscFunctionReturn(0);
  PetscCall(StkSimGetSettings(sim, &set));
  PetscCheck(set->type == STK_SIM_ABM, gv->comm, PETSC_ERR_USER_INPUT, "-price: the token price needs the agent-based environment: add -govern_sim_type abm");
  PetscCall(StkSimSetPrice(sim, &pp));
  PetscFunctionReturn(0);
}

PetscErrorCode StkGovernSetFromOptions(StkGovern gv)
{
  char      staker[64], holder[64];
  PetscBool set;

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(staker, sizeof(staker), "%g:%g", (double)gv->staker_ideal[0], (double)gv->staker_ideal[1]));
  PetscCall(PetscSNPrintf(holder, sizeof(holder), "%g:%g", (double)gv->holder_ideal[0], (double)gv->holder_ideal[1]));
  PetscOptionsBegin(gv->comm, "govern_", "Voting on the planner's objective (docs/model.md#voting-on-the-objective)", NULL);
  PetscCall(PetscOptionsEnum("-rule", "Voting rule: token_median, holder_median (one holder one vote), borda (over -govern_menu)", "StkGovernSetRule", StkGovernRules, (PetscEnum)gv->rule, (PetscEnum *)&gv->rule, NULL));
  PetscCall(PetscOptionsInt("-rounds", "Rounds of vote, solve, epoch, update", "StkGovernSetRounds", gv->rounds, &gv->rounds, NULL));
  PetscCall(PetscOptionsInt("-voters", "Number of token holders who vote", "", gv->voters, &gv->voters, NULL));
  PetscCall(PetscOptionsReal("-staker_share", "Fraction of the voters who stake, in [0, 1]", "", gv->staker_share, &gv->staker_share, NULL));
  PetscCall(PetscOptionsReal("-holdings_logsd", "Log-sd of the lognormal holdings (0: equal holdings)", "", gv->holdings_logsd, &gv->holdings_logsd, NULL));
  PetscCall(PetscOptionsString("-staker_ideal", "Stakers' mean initial ideal objective sbar:w_u", "", staker, staker, sizeof(staker), NULL));
  PetscCall(PetscOptionsString("-holder_ideal", "Non-stakers' mean initial ideal objective sbar:w_u", "", holder, holder, sizeof(holder), NULL));
  PetscCall(PetscOptionsReal("-ideal_spread", "Sd of the initial ideal points around their group's mean, preference units (0.1 of sbar, factor 2 of w_u)", "", gv->spread, &gv->spread, NULL));
  PetscCall(PetscOptionsReal("-learning_rate", "Fraction of the last objective step a holder moves its ideal point by (toward if it raised its group's payoff, away if it lowered it)", "", gv->lr, &gv->lr, NULL));
  PetscCall(PetscOptionsReal("-max_step_sbar", "Trust region: the largest change of sbar per round", "", gv->max_step_sbar, &gv->max_step_sbar, NULL));
  PetscCall(PetscOptionsReal("-max_ratio_w_u", "Trust region: the largest factor of change of w_u per round (> 1)", "", gv->max_ratio_w_u, &gv->max_ratio_w_u, NULL));
  PetscCall(PetscOptionsString("-menu", "borda: the candidate objectives sbar:w_u,sbar:w_u,...", "", gv->menu_text, gv->menu_text, sizeof(gv->menu_text), &set));
  PetscCall(PetscOptionsReal("-fixed_tol", "The last round's change counts as a fixed point below this fraction of the trust region", "", gv->fixed_tol, &gv->fixed_tol, NULL));
  PetscCall(PetscOptionsInt("-seed", "Key of the voters' draws; round k's epoch runs on noise key seed + k", "", gv->seed, &gv->seed, NULL));
  PetscOptionsEnd();
  PetscCheck(gv->rounds >= 1, gv->comm, PETSC_ERR_ARG_OUTOFRANGE, "-govern_rounds: %" PetscInt_FMT " is out of range: must be >= 1", gv->rounds);
  PetscCheck(gv->voters >= 1, gv->comm, PETSC_ERR_ARG_OUTOFRANGE, "-govern_voters: %" PetscInt_FMT " is out of range: must be >= 1", gv->voters);
  PetscCheck(gv->staker_share >= 0 && gv->staker_share <= 1, gv->comm, PETSC_ERR_ARG_OUTOFRANGE, "-govern_staker_share: %g is out of range: must lie in [0, 1]", (double)gv->staker_share);
  PetscCheck(gv->holdings_logsd >= 0, gv->comm, PETSC_ERR_ARG_OUTOFRANGE, "-govern_holdings_logsd: %g is out of range: must be >= 0", (double)gv->holdings_logsd);
  PetscCheck(gv->spread >= 0, gv->comm, PETSC_ERR_ARG_OUTOFRANGE, "-govern_ideal_spread: %g is out of range: must be >= 0", (double)gv->spread);
  PetscCheck(gv->lr >= 0, gv->comm, PETSC_ERR_ARG_OUTOFRANGE, "-govern_learning_rate: %g is out of range: must be >= 0", (double)gv->lr);
  PetscCheck(gv->max_step_sbar > 0, gv->comm, PETSC_ERR_ARG_OUTOFRANGE, "-govern_max_step_sbar: %g is out of range: must be > 0", (double)gv->max_step_sbar);
  PetscCheck(gv->max_ratio_w_u > 1, gv->comm, PETSC_ERR_ARG_OUTOFRANGE, "-govern_max_ratio_w_u: %g is out of range: must be > 1", (double)gv->max_ratio_w_u);
  PetscCheck(gv->fixed_tol >= 0, gv->comm, PETSC_ERR_ARG_OUTOFRANGE, "-govern_fixed_tol: %g is out of range: must be >= 0", (double)gv->fixed_tol);
  PetscCheck(gv->seed >= 0, gv->comm, PETSC_ERR_ARG_OUTOFRANGE, "-govern_seed: %" PetscInt_FMT " is out of range: must be >= 0", gv->seed);
  PetscCall(ParsePoint(gv->comm, "-govern_staker_ideal", staker, gv->staker_ideal));
  PetscCall(ParsePoint(gv->comm, "-govern_holder_ideal", holder, gv->holder_ideal));
  if (set || gv->rule == STK_GOVERN_BORDA) PetscCall(ParseMenu(gv));

  /* the planner: the staking model, 1-D unless -hjb_dim says otherwise */
  PetscCall(StkModelCreate(gv->comm, &gv->model));
  PetscCall(StkModelSetType(gv->model, STK_MODEL_STAKING));
  PetscCall(StkModelSetDimension(gv->model, 1));
  PetscCall(StkModelSetFromOptions(gv->model));
  PetscCall(StkGridCreate(gv->comm, &gv->grid));
  PetscCall(StkModelConfigureGrid(gv->model, gv->grid));
  {
    const PetscInt n[3] = {65, 17, 9}; /* a round's solve in well under a second */
    PetscCall(StkGridSetSizes(gv->grid, n));
  }
  PetscCall(StkGridSetFromOptions(gv->grid)); /* again: the user's -grid_n wins */
  PetscCall(StkSolverCreate(gv->comm, &gv->help_solver)); /* reads -hjb_ and -grid_ options */
  PetscCall(StkSolverSetModel(gv->help_solver, gv->model));
  PetscCall(StkSolverSetGrid(gv->help_solver, gv->grid));
  PetscCall(StkSolverSetFromOptions(gv->help_solver));
  /* the epoch: one year on 8 paths */
  PetscCall(StkEvaluateCreate(gv->comm, &gv->ev));
  PetscCall(StkEvaluateSetOptionsPrefix(gv->ev, "govern_"));
  PetscCall(StkEvaluateSetModel(gv->ev, gv->model));
  PetscCall(StkEvaluateSetPaths(gv->ev, 8));
  {
    StkSim                sim;
    const StkSimSettings *cur;
    StkSimSettings        s;
    PetscInt              dim;

    PetscCall(StkEvaluateGetSim(gv->ev, &sim));
    PetscCall(StkSimGetSettings(sim, &cur));
    s         = *cur;
    s.t_final = 1.0;
    PetscCall(StkModelGetDimension(gv->model, &dim));
    s.dim = dim;
    PetscCall(StkSimSetSettings(sim, &s));
  }
  PetscCall(StkEvaluateSetFromOptions(gv->ev));
  PetscCall(SetPriceFromOptions(gv));
  PetscFunctionReturn(0);
}

/* Ideal points stay in sbar [0.05, 0.95], w_u [0.1, 1000]. */
static void ClampIdeal(PetscReal x[2])
{
  PetscReal lo[2], hi[2];

  StkGovernToPreference(GOVERN_SBAR_LO, GOVERN_WU_LO, lo);
  StkGovernToPreference(GOVERN_SBAR_HI, GOVERN_WU_HI, hi);
  for (PetscInt k = 0; k < 2; k++) x[k] = PetscMin(PetscMax(x[k], lo[k]), hi[k]);
}

/* The planner solves on PETSC_COMM_SELF on every rank (a small grid): the same
 * solution bitwise on any number of ranks, so the epochs and the votes are too. */
static PetscErrorCode CreateSolveModel(StkGovern gv)
{
  const PetscInt n[3] = {65, 17, 9};
  PetscInt       dim;

  PetscFunctionBeginUser;
  PetscCall(StkModelGetDimension(gv->model, &dim));
  PetscCall(StkModelCreate(PETSC_COMM_SELF, &gv->solve_model));
  PetscCall(StkModelSetType(gv->solve_model, STK_MODEL_STAKING));
  PetscCall(StkModelSetDimension(gv->solve_model, dim));
  PetscCall(StkModelSetFromOptions(gv->solve_model));
  PetscCall(StkModelSetUp(gv->solve_model));
  PetscCall(StkGridCreate(PETSC_COMM_SELF, &gv->solve_grid));
  PetscCall(StkModelConfigureGrid(gv->solve_model, gv->solve_grid));
  PetscCall(StkGridSetSizes(gv->solve_grid, n));
  PetscCall(StkGridSetFromOptions(gv->solve_grid));
  PetscFunctionReturn(0);
}

/* The voters: holdings lognormal(0, logsd), the first round(share N) stakers, ideal
 * points their group's mean plus spread * N(0, 1) per preference coordinate, clamped;
 * draws keyed by (seed, voter). */
PetscErrorCode StkGovernSetUp(StkGovern gv)
{
  const PetscInt nstakers = (PetscInt)PetscFloorReal(gv->staker_share * gv->voters + 0.5);

  PetscFunctionBeginUser;
  PetscCall(StkModelSetUp(gv->model));
  PetscCall(StkModelStakingGetObjective(gv->model, &gv->sbar0, &gv->w_u0));
  PetscCall(CreateSolveModel(gv));
  PetscCall(StkEvaluateSetUp(gv->ev));
  PetscCall(PetscMalloc3(gv->voters, &gv->w, 2 * gv->voters, &gv->ideal, gv->voters, &gv->staker));
  for (PetscInt i = 0; i < gv->voters; i++) {
    StkRng           rng;
    const PetscReal *mean;

    StkRngInit(&rng, (uint64_t)gv->seed, (uint32_t)i, 0, 0, STK_RNG_STREAM_GENERIC);
    gv->staker[i] = i < nstakers ? PETSC_TRUE : PETSC_FALSE;
    mean          = gv->staker[i] ? gv->staker_ideal : gv->holder_ideal;
    gv->w[i]      = PetscExpReal(gv->holdings_logsd * StkRngNormal(&rng));
    StkGovernToPreference(mean[0], mean[1], &gv->ideal[2 * i]);
    for (PetscInt k = 0; k < 2; k++) gv->ideal[2 * i + k] += gv->spread * StkRngNormal(&rng);
    ClampIdeal(&gv->ideal[2 * i]);
  }
  PetscCall(PetscMalloc1(gv->rounds, &gv->traj));
  gv->setup = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/* A solved objective: its expert policy (from the solution written to `path`) and its
 * policy field on the common grid. */
typedef struct {
  StkPolicy policy;
  Vec       u;
  PetscReal sbar, w_u;
  char      path[PETSC_MAX_PATH_LEN];
} Plan;

static PetscErrorCode PlanDestroy(Plan *p)
{
  PetscFunctionBeginUser;
  PetscCall(StkPolicyDestroy(&p->policy));
  PetscCall(VecDestroy(&p->u));
  if (p->path[0]) { /* this rank's file and the solver's XDMF companion */
    char xmf[PETSC_MAX_PATH_LEN + 8];

    (void)remove(p->path);
    (void)snprintf(xmf, sizeof(xmf), "%s.xmf", p->path);
    (void)remove(xmf);
    p->path[0] = 0;
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode Solve(StkGovern gv, PetscReal sbar, PetscReal w_u, const char path[], Plan *plan)
{
  StkSolver      solver;
  Vec            u;
  StkSolverStats st;

  PetscFunctionBeginUser;
  PetscCall(StkModelStakingSetObjective(gv->solve_model, sbar, w_u));
  PetscCall(StkSolverCreate(PETSC_COMM_SELF, &solver));
  PetscCall(StkSolverSetModel(solver, gv->solve_model));
  PetscCall(StkSolverSetGrid(solver, gv->solve_grid));
  PetscCall(StkSolverSetFromOptions(solver));
  PetscCall(StkSolverSolve(solver));
  PetscCall(StkSolverGetStats(solver, &st));
  PetscCheck(st.converged, PETSC_COMM_SELF, PETSC_ERR_NOT_CONVERGED, "govern: policy iteration did not converge for the objective sbar %g, w_u %g (raise -hjb_max_it or change -grid_n)", (double)sbar, (double)w_u);
  PetscCall(PetscStrncpy(plan->path, path, sizeof(plan->path))); /* removed by PlanDestroy, even after an error */
  PetscCall(StkSolverWrite(solver, path));
  PetscCall(StkSolverGetPolicy(solver, &u));
  PetscCall(VecDuplicate(u, &plan->u));
  PetscCall(VecCopy(u, plan->u));
  PetscCall(StkSolverDestroy(&solver));
  plan->sbar = sbar;
  plan->w_u  = w_u;
  PetscCall(StkPolicyCreate(PETSC_COMM_SELF, &plan->policy));
  PetscCall(StkPolicySetType(plan->policy, STK_POLICY_EXPERT));
  PetscCall(StkPolicySetFile(plan->policy, path));
  PetscCall(StkPolicySetUp(plan->policy));
  PetscFunctionReturn(0);
}

/* The payoff per token and year of each group at a path's time means (s, u): stakers
 * earn the staking yield and bear the dilution and their mean cost, non-stakers bear the
 * dilution.  With the price, ValuePayoffs turns them into value. */
static void GroupPayoffs(const StkAgentParams *p, PetscReal cbar, PetscReal s, PetscReal u, PetscReal *staker, PetscReal *holder)
{
  *staker = StkAgentsYield(p, s, u) - u - cbar;
  *holder = -u;
}

/* With the price, a path's payoffs in value (USD per token and year): the token payoff
 * at the path's mean price Pbar plus the price change of a held token,
 * J Pbar + (P_T - P_0) / T (for both groups: each holds its tokens). */
static void ValuePayoffs(PetscReal Pbar, PetscReal P0, PetscReal PT, PetscReal T, PetscReal *staker, PetscReal *holder)
{
  const PetscReal gain = (PT - P0) / T;

  *staker = *staker * Pbar + gain;
  *holder = *holder * Pbar + gain;
}

/* Realized payoffs per token and year of one epoch under `plan` on noise key `key`:
 * stakers y(s, u) - u - mean cost, non-stakers -u, with s, u each path's time means,
 * in value with the price (ValuePayoffs), averaged over the paths (the same on every
 * rank). */
static PetscErrorCode Epoch(StkGovern gv, Plan *plan, PetscInt key, PetscReal *staker, PetscReal *holder, PetscReal *mean_s, PetscReal *mean_u)
{
  StkPolicyFn           fn;
  StkPolicyResetFn      reset;
  void                 *ctx;
  size_t                size;
  PetscInt              npaths, nm;
  const char *const    *names;
  const PetscReal      *val;
  StkPopulation         pop;
  const StkAgentParams *p;
  PetscReal             cbar, T = 1;
  const PetscReal      *pm = NULL, *ends = NULL;

  PetscFunctionBeginUser;
  PetscCall(StkModelStakingGetPopulation(gv->model, &pop));
  PetscCall(StkPopulationGetParams(pop, &p));
  cbar = StkCostMean(&p->cost);
  PetscCall(StkModelStakingSetObjective(gv->model, plan->sbar, plan->w_u)); /* the metrics' sbar */
  PetscCall(StkEvaluateSetSeed(gv->ev, key));
  PetscCall(StkEvaluateSetUp(gv->ev));
  PetscCall(StkPolicyGetFunction(plan->policy, &fn, &reset, &ctx, &size));
  PetscCall(StkEvaluateSetPolicy(gv->ev, fn, reset, ctx, size));
  PetscCall(StkEvaluateRun(gv->ev));
  PetscCall(StkEvaluateGetMetrics(gv->ev, &npaths, &nm, &names, &val));
  if (gv->price) {
    StkSim                sim;
    const StkSimSettings *set;
    PetscInt              nsteps;
    PetscCall(StkEvaluateGetPriceMetrics(gv->ev, &pm, &ends));
    PetscCall(StkEvaluateGetSim(gv->ev, &sim));
    PetscCall(StkSimGetSettings(sim, &set));
    PetscCall(StkEvaluateGetNumSteps(gv->ev, &nsteps));
    T = nsteps * set->dt;
  }
  *staker = *holder = *mean_s = *mean_u = 0;
  for (PetscInt q = 0; q < npaths; q++) {
    const PetscReal s = val[q * nm + STK_METRIC_MEAN_S], u = val[q * nm + STK_METRIC_MEAN_U];
    PetscReal       js, jh;

    GroupPayoffs(p, cbar, s, u, &js, &jh);
    if (gv->price) ValuePayoffs(pm[q * STK_PRICE_METRIC_COUNT + STK_PRICE_METRIC_MEAN_PRICE], ends[2 * q], ends[2 * q + 1], T, &js, &jh);
    *staker += js / npaths;
    *holder += jh / npaths;
    *mean_s += s / npaths;
    *mean_u += u / npaths;
  }
  PetscFunctionReturn(0);
}

/* The trust region: sbar moves at most max_step_sbar, w_u by at most a factor
 * max_ratio_w_u; a vote inside it is taken exactly. */
static void TrustRegion(StkGovern gv, PetscReal sbar_prev, PetscReal w_prev, PetscReal vote_s, PetscReal vote_w, PetscReal *sbar, PetscReal *w_u)
{
  const PetscReal ds = vote_s - sbar_prev, r = vote_w / w_prev;

  *sbar = PetscAbsReal(ds) <= gv->max_step_sbar ? vote_s : sbar_prev + (ds > 0 ? gv->max_step_sbar : -gv->max_step_sbar);
  *w_u  = r <= gv->max_ratio_w_u && r >= 1 / gv->max_ratio_w_u ? vote_w : (r > 1 ? w_prev * gv->max_ratio_w_u : w_prev / gv->max_ratio_w_u);
}

static PetscReal Sign(PetscReal x)
{
  return (PetscReal)((x > 0) - (x < 0));
}

/* Every voter moves its ideal point by lr sign(dJ_group) (x_k - x_{k-1}). */
static void UpdateIdeals(StkGovern gv, const Plan *prev, const Plan *cur, PetscReal dj_staker, PetscReal dj_holder, StkGovernRound *r)
{
  PetscReal x0[2], x1[2], wsum = 0, mean[2] = {0, 0};

  StkGovernToPreference(prev->sbar, prev->w_u, x0);
  StkGovernToPreference(cur->sbar, cur->w_u, x1);
  for (PetscInt i = 0; i < gv->voters; i++) {
    const PetscReal sg = Sign(gv->staker[i] ? dj_staker : dj_holder);
    for (PetscInt k = 0; k < 2; k++) gv->ideal[2 * i + k] += gv->lr * sg * (x1[k] - x0[k]);
    ClampIdeal(&gv->ideal[2 * i]);
    for (PetscInt k = 0; k < 2; k++) mean[k] += gv->w[i] * gv->ideal[2 * i + k];
    wsum += gv->w[i];
  }
  for (PetscInt k = 0; k < 2; k++) mean[k] /= wsum;
  StkGovernFromPreference(mean, &r->ideal_sbar, &r->ideal_w_u);
}

static PetscErrorCode MaxChange(Vec a, Vec b, PetscReal *d)
{
  Vec diff;

  PetscFunctionBeginUser;
  PetscCall(VecDuplicate(a, &diff));
  PetscCall(VecWAXPY(diff, -1.0, b, a));
  PetscCall(VecNorm(diff, NORM_INFINITY, d));
  PetscCall(VecDestroy(&diff));
  PetscFunctionReturn(0);
}

/* The rounds; the plans are the caller's to destroy (also after an error). */
static PetscErrorCode RunRounds(StkGovern gv, const char tmp[], Plan *base, Plan *prev, Plan *cur)
{
  char        path[PETSC_MAX_PATH_LEN];
  PetscMPIInt rank;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(gv->comm, &rank));
  PetscCall(PetscSNPrintf(path, sizeof(path), "%s.r%d.base.tmp", tmp, rank));
  PetscCall(Solve(gv, gv->sbar0, gv->w_u0, path, base));
  for (PetscInt k = 0; k < gv->rounds; k++) {
    StkGovernRound *r    = &gv->traj[k];
    const Plan     *last = k ? prev : base;
    const PetscInt  key  = gv->seed + k + 1;
    PetscReal       js_last, jh_last, ms, mu;

    PetscCall(StkGovernVote(gv->rule, gv->voters, gv->ideal, gv->w, gv->ncand, gv->menu, &r->vote_sbar, &r->vote_w_u));
    TrustRegion(gv, last->sbar, last->w_u, r->vote_sbar, r->vote_w_u, &r->sbar, &r->w_u);
    PetscCall(PetscSNPrintf(path, sizeof(path), "%s.r%d.%" PetscInt_FMT ".tmp", tmp, rank, k % 2));
    PetscCall(Solve(gv, r->sbar, r->w_u, path, cur));
    PetscCall(MaxChange(cur->u, last->u, &r->policy_change));
    PetscCall(Epoch(gv, cur, key, &r->staker_payoff, &r->holder_payoff, &r->mean_s, &r->mean_u));
    PetscCall(Epoch(gv, base, key, &r->staker_fixed, &r->holder_fixed, &ms, &mu));
    if (k) PetscCall(Epoch(gv, prev, key, &js_last, &jh_last, &ms, &mu));
    else {
      js_last = r->staker_fixed;
      jh_last = r->holder_fixed;
    }
    UpdateIdeals(gv, last, cur, r->staker_payoff - js_last, r->holder_payoff - jh_last, r);
    PetscCall(PlanDestroy(prev));
    *prev = *cur;
    PetscCall(PetscMemzero(cur, sizeof(*cur)));
    gv->nrounds = k + 1;
  }
  PetscFunctionReturn(0);
}

PetscErrorCode StkGovernRun(StkGovern gv, const char tmp[])
{
  Plan           base = {0}, prev = {0}, cur = {0};
  PetscLogDouble t0, t1;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCheck(gv->setup, gv->comm, PETSC_ERR_ARG_WRONGSTATE, "StkGovernRun: call StkGovernSetUp first");
  PetscCall(PetscTime(&t0));
  gv->nrounds = 0;
  ierr        = RunRounds(gv, tmp, &base, &prev, &cur);
  PetscCall(PlanDestroy(&cur));
  PetscCall(PlanDestroy(&prev));
  PetscCall(PlanDestroy(&base));
  PetscCall(ierr);
  PetscCall(StkModelStakingSetObjective(gv->model, gv->sbar0, gv->w_u0));
  PetscCall(PetscTime(&t1));
  gv->wall = t1 - t0;
  PetscFunctionReturn(0);
}

PetscErrorCode StkGovernGetTrajectory(StkGovern gv, PetscInt *nrounds, const StkGovernRound **rounds, PetscReal *sbar0, PetscReal *w_u0)
{
  PetscFunctionBeginUser;
  if (nrounds) *nrounds = gv->nrounds;
  if (rounds) *rounds = gv->traj;
  if (sbar0) *sbar0 = gv->sbar0;
  if (w_u0) *w_u0 = gv->w_u0;
  PetscFunctionReturn(0);
}

/* The last round's change of the objective and its size as a fraction of the trust
 * region, max(|d sbar| / max_step_sbar, |ln(w_u / w_u')| / ln max_ratio_w_u). */
static PetscReal LastChange(StkGovern gv, PetscReal *ds, PetscReal *dw)
{
  const PetscInt  n  = gv->nrounds;
  const PetscReal s0 = n > 1 ? gv->traj[n - 2].sbar : gv->sbar0, w0 = n > 1 ? gv->traj[n - 2].w_u : gv->w_u0;

  *ds = n ? gv->traj[n - 1].sbar - s0 : 0;
  *dw = n ? gv->traj[n - 1].w_u - w0 : 0;
  if (!n) return 0;
  return PetscMax(PetscAbsReal(*ds) / gv->max_step_sbar, PetscAbsReal(PetscLogReal(gv->traj[n - 1].w_u / w0)) / PetscLogReal(gv->max_ratio_w_u));
}

PetscErrorCode StkGovernView(StkGovern gv, PetscViewer viewer)
{
  PetscReal ds, dw, frac;

  PetscFunctionBeginUser;
  PetscCall(PetscViewerASCIIPrintf(viewer, "Governance: rule %s, %" PetscInt_FMT " voters (%.0f %% stakers), %" PetscInt_FMT " rounds, fixed objective sbar %g, w_u %g\n", StkGovernRules[gv->rule], gv->voters, (double)(100 * gv->staker_share), gv->nrounds, (double)gv->sbar0, (double)gv->w_u0));
  PetscCall(PetscViewerASCIIPrintf(viewer, "round   vote sbar  vote w_u |   sbar     w_u  | max du  | staker payoff (fixed)  | holder payoff (fixed)   (%s per token)\n", gv->price ? "USD/yr, with the token price" : "1/yr"));
  for (PetscInt k = 0; k < gv->nrounds; k++) {
    const StkGovernRound *r = &gv->traj[k];
    PetscCall(PetscViewerASCIIPrintf(viewer, "%5" PetscInt_FMT "   %8.4f  %8.3f | %6.4f %7.3f | %7.5f | %9.5f (%9.5f) | %9.5f (%9.5f)\n", k + 1, (double)r->vote_sbar, (double)r->vote_w_u, (double)r->sbar, (double)r->w_u, (double)r->policy_change, (double)r->staker_payoff, (double)r->staker_fixed, (double)r->holder_payoff, (double)r->holder_fixed));
  }
  frac = LastChange(gv, &ds, &dw);
  PetscCall(PetscViewerASCIIPrintf(viewer, "last change of the objective: sbar %+.3g, w_u %+.3g, %.3g of the trust region (%s)\n", (double)ds, (double)dw, (double)frac, frac <= gv->fixed_tol ? "a fixed point" : "still moving"));
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteContents(StkGovern gv, StkH5 file)
{
  const char     g[] = "govern";
  const PetscInt n   = gv->nrounds;
  PetscReal     *a;
  PetscReal      ds, dw, frac;
  const char    *pu = gv->price ? "USD/yr" : "1/yr"; /* payoffs per token: in value with the price */
  struct {
    const char *name, *units, *description;
    size_t      off;
  } const cols[] = {
    {"vote_sbar", "1", "the vote's winning target staking ratio", offsetof(StkGovernRound, vote_sbar)},
    {"vote_w_u", "yr", "the vote's winning issuance weight", offsetof(StkGovernRound, vote_w_u)},
    {"sbar", "1", "the planner's target staking ratio (after the trust region)", offsetof(StkGovernRound, sbar)},
    {"w_u", "yr", "the planner's issuance weight (after the trust region)", offsetof(StkGovernRound, w_u)},
    {"policy_change", "1/yr", "max over the grid of |u_k - u_{k-1}|", offsetof(StkGovernRound, policy_change)},
    {"staker_payoff", pu, gv->price ? "stakers' realized payoff per token in value, (y(s, u) - u - mean cost) mean P + (P_T - P_0) / T" : "stakers' realized payoff per token, y(s, u) - u - mean cost", offsetof(StkGovernRound, staker_payoff)},
    {"holder_payoff", pu, gv->price ? "non-stakers' realized payoff per token in value, -u mean P + (P_T - P_0) / T" : "non-stakers' realized payoff per token, -u", offsetof(StkGovernRound, holder_payoff)},
    {"staker_payoff_fixed", pu, "stakers' payoff under the fixed objective, same noise", offsetof(StkGovernRound, staker_fixed)},
    {"holder_payoff_fixed", pu, "non-stakers' payoff under the fixed objective, same noise", offsetof(StkGovernRound, holder_fixed)},
    {"mean_s", "1", "realized mean staking ratio of the epoch", offsetof(StkGovernRound, mean_s)},
    {"mean_u", "1/yr", "realized mean issuance rate of the epoch", offsetof(StkGovernRound, mean_u)},
    {"ideal_sbar", "1", "token-weighted mean ideal sbar after the update", offsetof(StkGovernRound, ideal_sbar)},
    {"ideal_w_u", "yr", "token-weighted mean ideal w_u (geometric) after the update", offsetof(StkGovernRound, ideal_w_u)},
  };

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(n, &a));
  for (PetscInt k = 0; k < n; k++) a[k] = (PetscReal)(k + 1);
  PetscCall(StkH5WriteArray(file, g, "round", "round", n, a, "1", "round number"));
  for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
    for (PetscInt k = 0; k < n; k++) a[k] = *(const PetscReal *)((const char *)&gv->traj[k] + cols[c].off);
    PetscCall(StkH5WriteArray(file, g, cols[c].name, "round", n, a, cols[c].units, cols[c].description));
  }
  PetscCall(PetscFree(a));
  if (gv->ncand) PetscCall(StkH5WriteArray2D(file, g, "menu", "candidate", "objective", gv->ncand, 2, gv->menu, "1", "candidate objectives (sbar, w_u)"));
  frac = LastChange(gv, &ds, &dw);
  PetscCall(StkH5WriteAttributeString(file, g, "program", "stakehjb govern"));
  PetscCall(StkH5WriteAttributeString(file, g, "version", STK_VERSION));
  PetscCall(StkH5WriteAttributeString(file, g, "rule", StkGovernRules[gv->rule]));
  PetscCall(StkH5WriteAttributeInt(file, g, "voters", gv->voters));
  PetscCall(StkH5WriteAttributeInt(file, g, "seed", gv->seed));
  PetscCall(StkH5WriteAttributeReal(file, g, "staker_share", gv->staker_share, "1"));
  PetscCall(StkH5WriteAttributeReal(file, g, "holdings_logsd", gv->holdings_logsd, "1"));
  PetscCall(StkH5WriteAttributeReal(file, g, "learning_rate", gv->lr, "1"));
  PetscCall(StkH5WriteAttributeReal(file, g, "max_step_sbar", gv->max_step_sbar, "1"));
  PetscCall(StkH5WriteAttributeReal(file, g, "max_ratio_w_u", gv->max_ratio_w_u, "1"));
  PetscCall(StkH5WriteAttributeReal(file, g, "sbar_fixed", gv->sbar0, "1"));
  PetscCall(StkH5WriteAttributeReal(file, g, "w_u_fixed", gv->w_u0, "yr"));
  PetscCall(StkH5WriteAttributeReal(file, g, "last_change_sbar", ds, "1"));
  PetscCall(StkH5WriteAttributeReal(file, g, "last_change_w_u", dw, "yr"));
  PetscCall(StkH5WriteAttributeReal(file, g, "last_change_fraction", frac, "1"));
  PetscCall(StkH5WriteAttributeInt(file, g, "fixed_point", frac <= gv->fixed_tol));
  PetscCall(StkH5WriteAttributeReal(file, g, "fixed_tol", gv->fixed_tol, "1"));
  if (gv->price) PetscCall(StkH5WriteAttributeInt(file, g, "price", 1)); /* only with -price: files without it stay as they were */
  PetscCall(StkH5WriteAttributeReal(file, g, "wall_time", gv->wall, "s"));
  PetscFunctionReturn(0);
}

PetscErrorCode StkGovernWrite(StkGovern gv, const char path[])
{
  StkH5          file;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(StkH5Create(gv->comm, path, &file));
  ierr = WriteContents(gv, file);
  if (!ierr) ierr = StkH5Commit(file, "govern", NULL, 0, NULL);
  PetscCall(StkH5Destroy(&file));
  PetscCall(ierr);
  PetscFunctionReturn(0);
}

PetscErrorCode StkGovernDestroy(StkGovern *gv)
{
  PetscFunctionBeginUser;
  if (!*gv) PetscFunctionReturn(0);
  PetscCall(StkEvaluateDestroy(&(*gv)->ev));
  PetscCall(StkSolverDestroy(&(*gv)->help_solver));
  PetscCall(StkGridDestroy(&(*gv)->grid));
  PetscCall(StkModelDestroy(&(*gv)->model));
  PetscCall(StkGridDestroy(&(*gv)->solve_grid));
  PetscCall(StkModelDestroy(&(*gv)->solve_model));
  PetscCall(PetscFree3((*gv)->w, (*gv)->ideal, (*gv)->staker));
  PetscCall(PetscFree((*gv)->traj));
  PetscCall(PetscFree(*gv));
  PetscFunctionReturn(0);
}
