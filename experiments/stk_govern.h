/* Voting on the planner's objective (docs/model.md#voting-on-the-objective): `stakehjb
 * govern`.  Token holders (stakers, paid by issuance, and non-stakers, diluted by it)
 * with lognormal holdings and single-peaked preferences over the objective
 * theta = (sbar, w_u) of the staking model vote each round; the planner moves its
 * objective toward the winner within a trust region, solves the HJB for it, and the
 * economy runs one epoch under the expert policy; each holder then moves its ideal point
 * along the last step of the objective if that step raised its group's realized payoff
 * (away from it if it lowered it).  The same epochs run under the fixed objective (the
 * model's -hjb_sbar, -hjb_w_u) on the same noise, for the welfare comparison.
 *
 * Preferences live in the normalized space x = (sbar / 0.1, ln(w_u) / ln 2) (one unit:
 * 0.1 of staking ratio or a factor 2 of issuance weight); a holder's utility is minus the
 * Euclidean distance of theta to its ideal point there.
 *
 * With the token price (-price, the -price_* options unprefixed; agent-based epochs) the
 * epochs carry the price and the payoffs are in value, USD per token and year: the token
 * payoff at the path's mean price plus the price change of a held token, (P_T - P_0) / T
 * (docs/model.md#voting-on-the-objective), so preferences feed back through the price.
 *
 *   StkGovernCreate -> SetFromOptions -> SetUp -> Run -> View / Write -> Destroy */
#pragma once
#include "stk_evaluate.h"

typedef enum { STK_GOVERN_TOKEN_MEDIAN, STK_GOVERN_HOLDER_MEDIAN, STK_GOVERN_BORDA } StkGovernRule;
PETSC_EXTERN const char *const StkGovernRules[]; /* token_median, holder_median, borda */

/* The weighted median of x[0..n-1] with weights w > 0 (w NULL: all 1): with x sorted
 * and W the total weight, the lower median is the first x_(k) whose cumulative weight
 * is >= W/2, the upper the first whose cumulative weight is > W/2, and the median their
 * mean (so an even count of equal weights gives the mean of the two middle values).
 * Errors: n < 1, a weight <= 0 or a non-finite value.  Not collective. */
PETSC_EXTERN PetscErrorCode StkVoteWeightedMedian(PetscInt n, const PetscReal x[], const PetscReal w[], PetscReal *median);
/* The Borda count over ncand candidates (points in dim dimensions, cand[j * dim + k]) by
 * nvoters voters with ideal points ideal[i * dim + k] and weights w (NULL: all 1): voter
 * i ranks the candidates by Euclidean distance to its ideal point and gives each one
 * w_i (number of candidates strictly farther + half the number of others at the same
 * distance).  score[j] (may be NULL) gets the totals; the winner is the highest score,
 * a tie going to the lowest index.  Errors: ncand < 1, nvoters < 1, a weight <= 0. */
PETSC_EXTERN PetscErrorCode StkVoteBorda(PetscInt nvoters, PetscInt dim, const PetscReal ideal[], const PetscReal w[], PetscInt ncand, const PetscReal cand[], PetscReal score[], PetscInt *winner);
/* The objective (sbar, w_u) <-> the preference space x (above). */
PETSC_EXTERN void StkGovernToPreference(PetscReal sbar, PetscReal w_u, PetscReal x[2]);
PETSC_EXTERN void StkGovernFromPreference(const PetscReal x[2], PetscReal *sbar, PetscReal *w_u);
/* The vote of `rule` on ideal points ideal[2 i + k] (preference space) with holdings
 * w: the per-coordinate weighted median (token_median), the per-coordinate median with
 * weights 1 (holder_median) or the Borda winner of the menu (ncand objectives
 * menu[2 j] = sbar, menu[2 j + 1] = w_u; token-weighted ballots).  Result: the objective. */
PETSC_EXTERN PetscErrorCode StkGovernVote(StkGovernRule rule, PetscInt n, const PetscReal ideal[], const PetscReal w[], PetscInt ncand, const PetscReal menu[], PetscReal *sbar, PetscReal *w_u);

typedef struct _p_StkGovern *StkGovern;

/* One round's record (the arrays of StkGovernGetTrajectory). */
typedef struct {
  PetscReal vote_sbar, vote_w_u;          /* the vote's winner */
  PetscReal sbar, w_u;                    /* the planner's objective after the trust region */
  PetscReal policy_change;                /* max |u_k - u_{k-1}| over the grid, 1/yr */
  PetscReal staker_payoff, holder_payoff; /* realized payoff per token, governed, 1/yr (USD/yr with -price) */
  PetscReal staker_fixed, holder_fixed;   /* the same under the fixed objective */
  PetscReal mean_s, mean_u;               /* realized, governed */
  PetscReal ideal_sbar, ideal_w_u;        /* token-weighted mean ideal point after the update */
} StkGovernRound;

PETSC_EXTERN PetscErrorCode StkGovernCreate(MPI_Comm comm, StkGovern *gv);
/* Defaults set before SetFromOptions (the options override them). */
PETSC_EXTERN PetscErrorCode StkGovernSetRule(StkGovern gv, StkGovernRule rule);
PETSC_EXTERN PetscErrorCode StkGovernSetRounds(StkGovern gv, PetscInt rounds);
/* -govern_rule token_median|holder_median|borda, -govern_rounds (8), -govern_voters
 * (200), -govern_staker_share (0.5), -govern_holdings_logsd (1), -govern_staker_ideal
 * sbar:w_u (0.7:5), -govern_holder_ideal (0.45:40), -govern_ideal_spread (0.5, in
 * preference units), -govern_learning_rate (0.5), -govern_max_step_sbar (0.05),
 * -govern_max_ratio_w_u (1.5), -govern_menu sbar:w_u,... (borda), -govern_fixed_tol (0.01),
 * -govern_seed (1); -price and -price_* (the token price; needs -govern_sim_type abm);
 * then the model (-hjb_*, -agents_*: 1-D by default), the solver and its grid (-grid_*,
 * 65 nodes by default) and the epoch's paths under the prefix govern_ (-govern_eval_paths
 * (8), -govern_sim_type, -govern_sim_t_final (1 yr), ...). */
PETSC_EXTERN PetscErrorCode StkGovernSetFromOptions(StkGovern gv);
/* Checks the options (errors name the option and the value).  Collective. */
PETSC_EXTERN PetscErrorCode StkGovernSetUp(StkGovern gv);
/* The rounds; `tmp` is a file name prefix for the per-round solutions (removed after
 * use).  Collective. */
PETSC_EXTERN PetscErrorCode StkGovernRun(StkGovern gv, const char tmp[]);
/* The rounds of the last Run (borrowed) and the baseline objective. */
PETSC_EXTERN PetscErrorCode StkGovernGetTrajectory(StkGovern gv, PetscInt *nrounds, const StkGovernRound **rounds, PetscReal *sbar0, PetscReal *w_u0);
/* The trajectory, the welfare per round and a last-change line. */
PETSC_EXTERN PetscErrorCode StkGovernView(StkGovern gv, PetscViewer viewer);
/* Group /govern of PATH (docs/hdf5.md), temporary name then renamed.  Collective. */
PETSC_EXTERN PetscErrorCode StkGovernWrite(StkGovern gv, const char path[]);
PETSC_EXTERN PetscErrorCode StkGovernDestroy(StkGovern *gv);
