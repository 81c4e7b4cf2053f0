/* Online refinement of the mechanism network by projected stochastic approximation
 * (docs/model.md#online-refinement):
 *
 *   theta_{k+1} = Proj( theta_k - a_k g_k ),   a_k = a_0 / (k + k_0)^alpha,
 *   Proj: onto the ball |theta - theta_0| <= r around the fitted weights theta_0.
 *
 * Iteration k simulates one window (-refine_window years) of the environment (sde or
 * abm, noise replication k of -refine_seed) under pi_{theta_k}, starting where the
 * previous window ended, and forms g_k with one of two estimators:
 *
 *   hamiltonian: g_k = mean over the window's steps of
 *                [l_u(x, u) + gamma_k b_u(x, u) V_s(x)] grad_theta pi_theta(x),
 *                l_u = 2 w_u (u - ubar) + eta, b_u the planner's model, V_s the expert's
 *                value gradient (upwind rule), and gamma_k the least-squares slope of
 *                the observed increments s_{n+1} - s_n on the model's b(x_n, u_n) dt
 *                over every window so far (the agents' responsiveness relative to the
 *                model; 1 when the model is right; with -refine_gamma_intercept the
 *                regression has an intercept, docs/robustness.md);
 *   spsa:        two more windows from the same start on the same noise with
 *                theta_k +- c_k Delta_k (Delta_k Rademacher, c_k = c / (k + 1)^0.101),
 *                g_k = (J+ - J-) / (2 c_k) Delta_k, J the window's discounted cost
 *                plus e^{-rho T} V(x_T) (the planner's value as the continuation, so
 *                that a short window sees the later benefit of issuance).
 *
 * Re-planning (-refine_replan T > 0): every T years of simulated time the HJB is
 * re-solved with the model's kappa times gamma (warm-started from the expert's
 * solution, StkPolicyExpertReplan) and V_s is taken from the new solution from then on.
 *
 * The environment's holders are the planner model's with kappa scaled by
 * -refine_true_kappa_factor (misspecification: the planner's model keeps its own).
 * Every rank runs the same windows (an abm's agents are spread over the ranks), so the
 * iterates are identical on any number of ranks.
 *
 *   StkRefineCreate -> SetNetwork -> SetExpert [-> SetEnvironment / SetIterations]
 *     -> SetFromOptions -> SetUp -> Run -> GetHistory / Write / View -> Destroy */
#pragma once
#include "stk_policy.h"
#include "stk_sim.h"

typedef enum { STK_REFINE_HAMILTONIAN, STK_REFINE_SPSA } StkRefineEstimator;
PETSC_EXTERN const char *const StkRefineEstimators[];

/* One iteration: what /network/history stores (docs/network.md). */
typedef struct {
  PetscReal step_size; /* a_k */
  PetscReal step_norm; /* |theta_{k+1} - theta_k| (after the projection) */
  PetscReal distance;  /* |theta_{k+1} - theta_0| */
  PetscReal grad_norm; /* |g_k| */
  PetscReal cost;      /* the window's discounted cost per year under theta_k */
  PetscReal gamma;     /* responsiveness estimate after the window */
  PetscReal plan;      /* kappa factor of the planner's model in use (1 until a re-plan) */
  PetscReal s_end;     /* staking ratio at the window's end */
  PetscReal regret;    /* persistent abm holders: mean external regret per year since the first window (NaN otherwise) */
  PetscReal cce_gap;   /* ... and the max over the holders: the CCE gap of their play (StkSimGetRegret) */
} StkRefineRecord;

/* The projected stochastic approximation's settings: step sizes
 * a_k = a0 / (k + k0)^alpha (alpha in (1/2, 1]: sum a_k = inf, sum a_k^2 < inf, the
 * Robbins-Monro conditions) and the projection set |theta - theta_0| <= radius. */
typedef struct {
  PetscReal a0, k0, alpha, radius;
} StkRefineSA;

/* a_k = a0 / (k + k0)^alpha. */
PETSC_EXTERN PetscReal StkRefineStepSize(const StkRefineSA *sa, PetscInt k);
/* Iteration k of the projected stochastic approximation, the one StkRefineRun takes:
 * theta <- theta0 + P(theta - a_k g - theta0), P the radial projection onto the ball of
 * radius sa->radius (the Euclidean projection onto |theta - theta0| <= radius), n
 * weights.  Fills rec's step_size, step_norm, distance and grad_norm (not the others).
 * Not collective: any gradient estimate g can be fed to it (tests/test_refine_convergence.c). */
PETSC_EXTERN PetscErrorCode StkRefineProjectedStep(const StkRefineSA *sa, PetscInt k, PetscInt n, const PetscReal theta0[], const PetscReal g[], PetscReal theta[], StkRefineRecord *rec);

typedef struct _p_StkRefine *StkRefine;
/* Called after every iteration k (of n) with the iteration's record, e.g. for a progress line. */
typedef PetscErrorCode (*StkRefineMonitorFn)(StkRefine, PetscInt k, PetscInt n, const StkRefineRecord *rec, void *ctx);

PETSC_EXTERN PetscErrorCode StkRefineCreate(MPI_Comm comm, StkRefine *refine);
/* Options prefix (stk_options.h): the refinement reads -a0, -window, ... under USER +
 * "refine_": with no prefix the documented -refine_a0, -refine_window; after
 * StkRefineSetOptionsPrefix(refine, "bear_") -bear_refine_a0, and errors name that
 * spelling.  The environment's population gets USER (it reads no options: its
 * parameters are the expert model's, kappa scaled).  A prefix must not start with '-';
 * Get returns NULL when none is set. */
PETSC_EXTERN PetscErrorCode StkRefineSetOptionsPrefix(StkRefine refine, const char prefix[]);
PETSC_EXTERN PetscErrorCode StkRefineAppendOptionsPrefix(StkRefine refine, const char prefix[]);
PETSC_EXTERN PetscErrorCode StkRefineGetOptionsPrefix(StkRefine refine, const char *prefix[]);
/* The network to refine, in place (borrowed); theta_0 = its weights at SetUp. */
PETSC_EXTERN PetscErrorCode StkRefineSetNetwork(StkRefine refine, StkNet net);
/* The expert (a set-up StkPolicy of type expert, borrowed): the planner's model and V_s. */
PETSC_EXTERN PetscErrorCode StkRefineSetExpert(StkRefine refine, StkPolicy expert);
/* The environment the windows are simulated in (default sde; -refine_env overrides it). */
PETSC_EXTERN PetscErrorCode StkRefineSetEnvironment(StkRefine refine, StkSimType env);
/* The environment's token holders when they differ from the planner model's in more
 * than kappa (misspecified costs, fee yield, ...): the environment's holders are these
 * (copied; an empirical cost sample stays borrowed), kappa still multiplied by
 * -refine_true_kappa_factor.  Default: the planner model's. */
PETSC_EXTERN PetscErrorCode StkRefineSetEnvironmentParams(StkRefine refine, const StkAgentParams *truth);
/* The environment switches regimes by the chain of `from` (a sim with StkSimSetRegimes
 * or -sim_regime_files; borrowed: it must outlive the refinement, whose sim copies the
 * chain at SetUp): the windows run the chain on, each starting in the regime the last
 * one ended in (the first in from's initial regime), its populations replacing the
 * environment's holders (-refine_true_kappa_factor does not apply to them).  The
 * planner's model, b_u and V_s stay the planner's: the chain is unmodelled.  NULL: no
 * chain (the default). */
PETSC_EXTERN PetscErrorCode StkRefineSetEnvironmentRegimes(StkRefine refine, StkSim from);
/* The estimator and the re-planning (years between re-plans, 0: never; path: where
 * the re-planned solution goes, NULL: keep -refine_replan_file).  Unlike the other
 * setters these override the options: call them after SetFromOptions (experiments
 * that run several variants on the user's other -refine_ options). */
PETSC_EXTERN PetscErrorCode StkRefineSetEstimator(StkRefine refine, StkRefineEstimator estimator);
PETSC_EXTERN PetscErrorCode StkRefineSetReplan(StkRefine refine, PetscReal years, const char path[]);
/* The number of iterations (default 100; -refine_iterations overrides it). */
PETSC_EXTERN PetscErrorCode StkRefineSetIterations(StkRefine refine, PetscInt iterations);
PETSC_EXTERN PetscErrorCode StkRefineSetMonitor(StkRefine refine, StkRefineMonitorFn monitor, void *ctx);
/* A monitor printing progress lines on stderr (grids/stk_progress.h: rank 0, once Run
 * has taken -progress_delay s; rewritten in place on a terminal, whole lines in a log):
 * iteration, window cost, gamma, |theta - theta_0|, seconds since Run began.  ctx is
 * unused: StkRefineSetMonitor(refine, StkRefineMonitorProgress, NULL). */
PETSC_EXTERN PetscErrorCode StkRefineMonitorProgress(StkRefine refine, PetscInt k, PetscInt n, const StkRefineRecord *rec, void *ctx);
/* -refine_estimator hamiltonian|spsa, -refine_a0, -refine_k0, -refine_alpha,
 * -refine_radius, -refine_window, -refine_iterations, -refine_seed, -refine_env sde|abm,
 * -refine_n, -refine_dt, -refine_s0, -refine_spsa_c, -refine_replan, -refine_replan_file,
 * -refine_gamma_intercept, -refine_true_kappa_factor. */
PETSC_EXTERN PetscErrorCode StkRefineSetFromOptions(StkRefine refine);
/* Checks the options, records theta_0, builds the environment (collective). */
PETSC_EXTERN PetscErrorCode StkRefineSetUp(StkRefine refine);
/* Runs the iterations (collective); the network holds the last iterate. */
PETSC_EXTERN PetscErrorCode StkRefineRun(StkRefine refine);
/* The step sizes and the trust region in use (after SetFromOptions). */
PETSC_EXTERN PetscErrorCode StkRefineGetSA(StkRefine refine, StkRefineSA *sa);
PETSC_EXTERN PetscErrorCode StkRefineGetHistory(StkRefine refine, PetscInt *n, const StkRefineRecord **history);
/* The environment's token holders (the model's, kappa scaled), borrowed: evaluate the
 * policies on the same environment with StkEvaluateSetPopulation. */
PETSC_EXTERN PetscErrorCode StkRefineGetEnvironment(StkRefine refine, StkPopulation *pop);
/* The refined network in /network and the history in /network/history (docs/network.md). */
PETSC_EXTERN PetscErrorCode StkRefineWrite(StkRefine refine, const char path[]);
/* The settings and, after iterations, the state: gamma, the last step, the distance
 * from theta_0 and the mean window cost over the first and the last tenth of the
 * iterations. */
PETSC_EXTERN PetscErrorCode StkRefineView(StkRefine refine, PetscViewer viewer);
PETSC_EXTERN PetscErrorCode StkRefineDestroy(StkRefine *refine);
