/* Simulation environments (docs/model.md#simulation-environments): the staking
 * ratio s and the outside yield z driven by a policy u = pi(t, x; state), x = (s, z), either
 *
 *   sde: Euler-Maruyama for ds = b(s, z, u) dt + sigma_s(s) dW_s, s reflected into
 *        [0, 1] (reflect, then clamp), or
 *   abm: N token holders revising at Poisson rate kappa; at a revision a holder
 *        stakes iff y(u, s) >= z + c_i.  Stakeability is folded into the type: a
 *        holder can stake with probability s_max (else c_i = +inf), so a reviser
 *        stakes with probability P = s_max F(y - z).  Types are transitory (a fresh
 *        c_i at every revision, as in the mean field) or persistent (drawn once per path); the
 *        response is the best response or a no-regret (Hedge) learner.
 *
 * and, in both, dz = theta (zbar - z) dt + sigma_z dW_z by Euler-Maruyama (dim 2),
 * or z frozen at z0 (dim 1).  Both are driven by the same loop and the same
 * counter-based noise (stk_philox.h): the z path of a given (seed, path) is the same
 * in both environments and on any number of ranks.
 *
 * Step n (t_n = n dt) of a path:
 *   1. shocks scheduled at step n: z += dz; each staker leaves with probability frac
 *      (sde: s -= frac s);
 *   2. u_n = pi(t_n, (s_n, z_n); state)   (the policy may update its state);
 *   3. record (t_n, s_n, z_n, u_n) if n is a multiple of `every`;
 *   4. s_{n+1} from (s_n, z_n, u_n), then z_{n+1} from z_n.
 * A run has nsteps = round(t_final / dt) steps and records steps 0, every, 2 every,
 * ... <= nsteps.
 *
 * Agent-based engines:
 *   block (transitory types, best response; the default where allowed): agents in
 *     fixed blocks of `block` consecutive ids; per step and block, the stakers who
 *     revise and leave ~ Bin(S_b, q (1 - P)) and the non-stakers who revise and join
 *     ~ Bin(n_b - S_b, q P), q = 1 - exp(-kappa dt), keyed by (seed, block, step,
 *     path): O(blocks) per step.
 *   agent (any types and response): per-agent state, revision clocks keyed by
 *     (seed, agent, step, path): O(N / ranks) per step.
 * Ranks own contiguous ranges of whole blocks; the global staker count is an
 * MPI_Allreduce of integers, so a path is bitwise identical on any number of ranks.
 *
 * Hedge learners (persistent types): holder i plays "stake" with probability
 *   pi_i = 1 / (1 + exp(-eta (Y - c_i M))),
 *   Y = int_0^t e^{-lambda (t - r)} (y - z) dr,  M = int_0^t e^{-lambda (t - r)} dr,
 * i.e. multiplicative weights over {stake, not stake} with learning rate eta on the
 * realized payoff per unit of holdings of staking (y - c_i) relative to not staking
 * (z), both observable every step (full information: the yield is public), forgetting
 * rate lambda (0: plain Hedge, no-regret).  A holder samples its action at each
 * revision and keeps it until the next. */
#pragma once
#include "stk_agents.h"

/* The simulator's day: the default step -sim_dt is 1 / STK_DAYS_PER_YEAR yr, and every
 * duration given in days (recovery holds, protocol epochs) converts with this one
 * constant. */
#define STK_DAYS_PER_YEAR 365.0

typedef enum { STK_SIM_SDE, STK_SIM_ABM } StkSimType;
PETSC_EXTERN const char *const StkSimTypes[];
typedef enum { STK_ABM_TRANSITORY, STK_ABM_PERSISTENT } StkAbmTypes;
PETSC_EXTERN const char *const StkAbmTypesList[];
typedef enum { STK_ABM_BEST, STK_ABM_HEDGE } StkAbmResponse;
PETSC_EXTERN const char *const StkAbmResponses[];
typedef enum { STK_ABM_ENGINE_AUTO, STK_ABM_ENGINE_BLOCK, STK_ABM_ENGINE_AGENT } StkAbmEngine;
PETSC_EXTERN const char *const StkAbmEngines[];

/* A policy u = pi(t, x; state), x = {s, z, regime, ln P}: the simulators pass four entries,
 * x[STK_SIM_X_REGIME] the index of the active regime of the regime chain (an exact small
 * integer; 0 without a chain), so that a policy may depend on the regime (docs/policies.md,
 * regime_solution), and x[STK_SIM_X_LOGP] the log token price ln P (P in USD) at the start
 * of the step when the simulation carries a price (-price, stk_sim_price.h), NaN otherwise,
 * so that a price-aware policy (solution of a staking_price file) may see it; the others
 * read x[0], x[1] only.  ctx holds read-only parameters
 * shared by all paths; state is the caller's per-path mutable memory (NULL if stateless).
 * The policy is evaluated on every rank with the same arguments and must return the same
 * u everywhere (it must not draw random numbers of its own). */
#define STK_SIM_X_REGIME 2
#define STK_SIM_X_LOGP   3
#define STK_SIM_X_LEN    4
typedef PetscErrorCode (*StkPolicyFn)(void *ctx, PetscReal t, const PetscReal x[], PetscReal *u, void *state);
/* Puts state in its initial condition for a new path starting at (t0, x0). */
typedef PetscErrorCode (*StkPolicyResetFn)(void *ctx, PetscReal t0, const PetscReal x0[], void *state);
/* The constant policy u = *(const PetscReal *)ctx. */
PETSC_EXTERN PetscErrorCode StkPolicyConstant(void *ctx, PetscReal t, const PetscReal x[], PetscReal *u, void *state);

typedef struct {
  StkSimType     type;         /* -sim_type sde|abm */
  PetscInt       dim;          /* -sim_dim: 1 freezes z at z0, 2 lets it follow the OU law */
  PetscReal      dt;           /* -sim_dt, yr (default 1 / STK_DAYS_PER_YEAR) */
  PetscReal      t_final;      /* -sim_t_final, yr */
  PetscInt       seed;         /* -sim_seed: the Philox key */
  PetscReal      s0;           /* -sim_s0: initial staking ratio (abm: round(s0 N) stakers) */
  PetscReal      z0;           /* -sim_z0: initial z, 1/yr (NaN: zbar) */
  PetscInt       every;        /* -sim_every: record every k-th step */
  PetscInt       n_agents;     /* -sim_n */
  StkAbmTypes    types;        /* -sim_abm_types transitory|persistent */
  StkAbmResponse response;     /* -sim_abm_response best|hedge (hedge needs persistent) */
  StkAbmEngine   engine;       /* -sim_abm_engine auto|block|agent */
  PetscInt       block;        /* -sim_abm_block: agents per block (the unit of rank ownership) */
  PetscReal      hedge_rate;   /* -sim_hedge_rate eta, per unit of cumulative payoff */
  PetscReal      hedge_forget; /* -sim_hedge_forget lambda, 1/yr */
} StkSimSettings;

PETSC_EXTERN PetscErrorCode StkSimSettingsDefault(StkSimSettings *set);
/* Errors name the option and the bad value. */
PETSC_EXTERN PetscErrorCode StkSimSettingsCheck(MPI_Comm comm, const StkSimSettings *set);

/* One recorded path: arrays of StkSimGetNumRecords() entries, owned by the caller,
 * filled identically on every rank. */
typedef struct {
  PetscReal *t, *s, *z, *u;
} StkSimPath;

typedef struct _p_StkSim *StkSim;
/* The agents of an abm are spread over comm; an sde path is computed redundantly on
 * every rank of comm (create it on PETSC_COMM_SELF to spread paths over ranks). */
PETSC_EXTERN PetscErrorCode StkSimCreate(MPI_Comm comm, StkSim *sim);
/* The population's parameters are copied at SetUp; pop (which owns an empirical
 * sample) must outlive sim. */
PETSC_EXTERN PetscErrorCode StkSimSetPopulation(StkSim sim, StkPopulation pop);
PETSC_EXTERN PetscErrorCode StkSimSetPolicy(StkSim sim, StkPolicyFn policy, StkPolicyResetFn reset, void *ctx);
/* A shock at time t (applied at the first step with t_n >= t - dt/1000): z jumps by dz
 * and each staker leaves with probability frac in [0, 1]. */
PETSC_EXTERN PetscErrorCode StkSimAddShock(StkSim sim, PetscReal t, PetscReal dz, PetscReal frac);
/* The shocks, in time order after StkSimSetUp (t, dz, frac may be NULL). */
PETSC_EXTERN PetscErrorCode StkSimGetNumShocks(StkSim sim, PetscInt *n);
PETSC_EXTERN PetscErrorCode StkSimGetShock(StkSim sim, PetscInt i, PetscReal *t, PetscReal *dz, PetscReal *frac);
/* Options prefix (stk_options.h): the sim reads -type, -dt, ... under USER + "sim_";
 * after StkSimSetOptionsPrefix(sim, "bear_") it reads -bear_sim_dt, and its errors
 * name that spelling.  A prefix must not start with '-'; Get returns NULL when none
 * is set. */
PETSC_EXTERN PetscErrorCode StkSimSetOptionsPrefix(StkSim sim, const char prefix[]);
PETSC_EXTERN PetscErrorCode StkSimAppendOptionsPrefix(StkSim sim, const char prefix[]);
PETSC_EXTERN PetscErrorCode StkSimGetOptionsPrefix(StkSim sim, const char *prefix[]);
/* Options: the settings above and -sim_shock_t t1,t2,... -sim_shock_dz dz1,...
 * -sim_shock_frac f1,... (dz and frac default to 0); the regime chain:
 * -sim_regime_files a.yaml,b.yaml (one parameter file per regime, read under the prefix
 * of its name as stakehjb solve -regime_files does: the holders of regime "bear" read
 * -bear_agents_kappa, ..., the command line's -agents_ options on top; the sim then owns
 * these populations), -sim_regime_rates (M x M, 1/yr), -sim_regime0. */
PETSC_EXTERN PetscErrorCode StkSimSetFromOptions(StkSim sim);
PETSC_EXTERN PetscErrorCode StkSimGetSettings(StkSim sim, const StkSimSettings **set);
PETSC_EXTERN PetscErrorCode StkSimSetSettings(StkSim sim, const StkSimSettings *set);
/* Checks everything (settings, population, shocks against t_final) and allocates the
 * engine; collective. */
PETSC_EXTERN PetscErrorCode StkSimSetUp(StkSim sim);
PETSC_EXTERN PetscErrorCode StkSimGetNumRecords(StkSim sim, PetscInt *nrec);
PETSC_EXTERN PetscErrorCode StkSimGetNumSteps(StkSim sim, PetscInt *nsteps);
/* Runs path number `path` (the replication index of the noise) from (s0, z0) to
 * t_final; resets `state` with the policy's reset first; collective. */
PETSC_EXTERN PetscErrorCode StkSimRun(StkSim sim, PetscInt path, void *state, StkSimPath *out);
/* Runs t_final more years with the noise of replication `path`, from where the last
 * StkSimRun or StkSimContinue ended (after StkSimSetUp, with no change of settings
 * since): the holders keep their state (stakes, persistent types, Hedge weights), z
 * goes on, the policy's state is not reset, and the records' t start at 0 again.
 * Shocks apply at their steps of each run.  For windows of one long path whose
 * followers learn (the refinement with persistent types); collective. */
PETSC_EXTERN PetscErrorCode StkSimContinue(StkSim sim, PetscInt path, void *state, StkSimPath *out);
/* The holders' external regret per year since the path began (StkSimRun; StkSimContinue
 * goes on accumulating), abm with persistent types only: for a holder i who can stake,
 * (the larger of the payoffs of always and never staking, int (y - z - c_i) dt and 0,
 * minus the payoff of i's play, int staked_i (y - z - c_i) dt) / elapsed time; the mean
 * and the max over those holders.  The max is the coarse-correlated-equilibrium gap of
 * the empirical play: no holder would have gained more per year by committing to one
 * action (0 for best responders revising continuously; Hedge is no-regret).  Collective. */
PETSC_EXTERN PetscErrorCode StkSimGetRegret(StkSim sim, PetscReal *mean, PetscReal *max);

/* ---- The regime chain (docs/model.md#the-regime-chain) ----
 * An optional continuous-time Markov chain over M regimes, each with its own holders'
 * parameters (a StkPopulation), switching with the intensities q_ij (1/yr).  Each path
 * starts in the initial regime (-sim_regime0, default 0); at the end of step n, after
 * s and z, the chain leaves regime i for j with probability q_ij dt (one uniform of the
 * Philox stream STK_RNG_STREAM_REGIME keyed by (seed, step, path): the same on any
 * number of ranks).  Step n runs with the parameters of the regime active at t_n (the
 * drift, noise and revision rate of s, the law of z; persistent abm types are drawn
 * from the initial regime's costs), and the policy sees it in x[STK_SIM_X_REGIME].
 * The stationary law of this discrete chain is exactly that of the continuous one
 * (pi Q = 0) and a stay in regime i lasts 1/q_i on average; the step must keep
 * q_i dt = sum_j q_ij dt <= 1.  Without a chain nothing changes (no draws). */
#define STK_SIM_MAX_REGIMES 16
/* M >= 1 populations (borrowed: they must outlive sim; their parameters replace those of
 * StkSimSetPopulation, which is then optional), their names (copied; NULL: regime0, ...)
 * and the M x M intensities row-major, the diagonal ignored (NULL: all 0).  M = 0
 * removes the chain.  Errors name -sim_regime_rates. */
PETSC_EXTERN PetscErrorCode StkSimSetRegimes(StkSim sim, PetscInt M, const StkPopulation pops[], const char *const names[], const PetscReal rates[]);
/* The regime every path starts in (-sim_regime0), 0 <= r < M (checked at SetUp). */
PETSC_EXTERN PetscErrorCode StkSimSetInitialRegime(StkSim sim, PetscInt r);
PETSC_EXTERN PetscErrorCode StkSimGetInitialRegime(StkSim sim, PetscInt *r);
/* M (0 without a chain). */
PETSC_EXTERN PetscErrorCode StkSimGetNumRegimes(StkSim sim, PetscInt *M);
PETSC_EXTERN PetscErrorCode StkSimGetRegimeName(StkSim sim, PetscInt i, const char **name);
/* The M x M intensities, row-major, diagonal 0 (borrowed). */
PETSC_EXTERN PetscErrorCode StkSimGetRegimeRates(StkSim sim, const PetscReal **rates);
/* The holders of regime i (borrowed from the sim: valid while its chain is), e.g. to
 * solve the regime-aware planner's problem for this chain (experiments/stk_robust.h). */
PETSC_EXTERN PetscErrorCode StkSimGetRegimePopulation(StkSim sim, PetscInt i, StkPopulation *pop);
/* The chain of `from` (populations borrowed, names and rates copied, initial regime). */
PETSC_EXTERN PetscErrorCode StkSimCopyRegimes(StkSim from, StkSim to);
/* The regime active now (after a run: the regime at the end of the path; 0 without a chain). */
PETSC_EXTERN PetscErrorCode StkSimGetRegime(StkSim sim, PetscInt *r);
/* The chain's record over every path this sim ran since the chain was set or the last
 * StkSimResetRegimeStats: steps[i] = steps spent in regime i (a step counts for the
 * regime active during it: the time is steps[i] dt), jumps[i M + j] = switches from i
 * to j; integers, so sums over ranks are exact.  Either may be NULL; M entries and
 * M x M entries.  Not collective (an sde sim on PETSC_COMM_SELF counts its own paths). */
PETSC_EXTERN PetscErrorCode StkSimGetRegimeStats(StkSim sim, PetscInt64 steps[], PetscInt64 jumps[]);
PETSC_EXTERN PetscErrorCode StkSimResetRegimeStats(StkSim sim);
PETSC_EXTERN PetscErrorCode StkSimView(StkSim sim, PetscViewer viewer);
PETSC_EXTERN PetscErrorCode StkSimDestroy(StkSim *sim);
