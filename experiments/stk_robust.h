/* Misspecification experiments (docs/robustness.md): the planner solved its model (the
 * expert, a solution file, and the network fitted to it); the environment differs in
 * one respect (a case below).  On the true environment, on common random numbers
 * (StkPaired), the driver evaluates
 *   expert   the planner's HJB policy (the reference),
 *   oracle   the HJB re-solved with the environment's holders (warm-started from the
 *            expert on its grid; the expert itself when the environment is the model,
 *            so that case has a gap of exactly 0); in case regime the regime-aware
 *            planner: the coupled HJB of the planner's objective with each regime's
 *            holders and the chain's intensities (StkRegimeSolver), evaluated as the
 *            regime_expert policy (the improvement from V_i in the regime the
 *            simulation is in, like the expert),
 *   network  the fitted network,
 *   refined  the network refined online against the true environment with each listed
 *            variant (hamiltonian, spsa, hamiltonian_replan, spsa_replan),
 *   and the listed baselines and real rules,
 * and reports per policy the mean discounted cost, its paired difference to the expert
 * (bootstrap interval, Wilcoxon p, Holm-adjusted over the table's policies) and the
 * fraction of the expert-to-oracle gap it closes (a paired bootstrap interval: the
 * paths are resampled, the ratio of the resampled means is taken).
 *
 * Case regime (issue 15 (d), the unmodelled regime switch): the environment switches
 * regimes by the chain of -sim_regime_files / -sim_regime_rates (the simulators' chain,
 * agents/stk_sim.h), which the planner, the network and every refinement ignore (their
 * model is the planner's; the refinements' windows run the chain on).  A chain whose
 * regimes all have the model's holders is the model: the oracle is then the expert.
 *
 * Every rank solves the oracle and every re-planning on PETSC_COMM_SELF and runs the
 * same refinements, and the paths are bitwise the same on any number of ranks
 * (StkRefine, StkEvaluate), so the whole table is too.
 *
 *   StkRobustCreate -> SetFromOptions -> Run(expert, solution file, network file)
 *     -> GetTable / WriteCsv / View -> Destroy */
#pragma once
#include "stk_paired.h"
#include "stk_refine.h"

/* What differs between the planner's model and the environment. */
typedef enum { STK_ROBUST_NONE, STK_ROBUST_MEDIAN, STK_ROBUST_LOGSD, STK_ROBUST_GAMMA, STK_ROBUST_PHI, STK_ROBUST_KAPPA, STK_ROBUST_REGIME } StkRobustCase;
PETSC_EXTERN const char *const StkRobustCases[];

/* The environment's holders of a case: the model's with the cost median, the cost
 * log-sd, phi or kappa multiplied by factor; for gamma the gamma law with the model's
 * (lognormal) cost mean and variance (factor unused); none and regime (whose truth is
 * the environment's regime chain): the model's.  Errors for a
 * non-lognormal model cost in the median, logsd and gamma cases. */
PETSC_EXTERN PetscErrorCode StkRobustTruth(MPI_Comm comm, const StkAgentParams *model, StkRobustCase rcase, PetscReal factor, StkAgentParams *truth);

/* The expert's gap to the oracle and the fraction of it a policy closes, from per-path
 * costs of the same paths: gap = mean(expert - oracle) and
 * closed = mean(expert - policy) / gap (1: as good as the oracle, 0: as the expert,
 * < 0: worse than the expert; 0 when the gap is exactly 0).  lo, hi: the percentile
 * bootstrap interval (level 0.95, nboot resamples of the paths, seed) of closed.  Not
 * collective; any output may be NULL. */
PETSC_EXTERN PetscErrorCode StkRobustClosedFraction(PetscInt n, const PetscReal expert[], const PetscReal oracle[], const PetscReal policy[], PetscInt nboot, uint64_t seed, PetscReal *gap, PetscReal *closed, PetscReal *lo, PetscReal *hi);

typedef struct _p_StkRobust *StkRobust;

/* One row per policy (expert first, then oracle, network, the refinements, the
 * baselines), all in discounted cost. */
typedef struct {
  char      name[64];
  PetscReal cost;                /* mean over the paths */
  PetscReal diff, lo, hi, p;     /* minus the expert: mean, 95 % bootstrap interval, Wilcoxon p (NaN for the expert) */
  PetscReal p_holm;              /* Holm-adjusted over the rows */
  PetscReal closed, closed_lo, closed_hi; /* fraction of the expert's gap to the oracle closed */
  PetscReal distance;            /* refinements: |theta - theta_0| at the end (NaN otherwise) */
  PetscReal gamma;               /* refinements: the responsiveness estimate at the end */
} StkRobustRow;

PETSC_EXTERN PetscErrorCode StkRobustCreate(MPI_Comm comm, StkRobust *robust);
/* -robust_case none|median|logsd|gamma|phi|kappa|regime (none; regime needs the chain
 * -sim_regime_files, -sim_regime_rates, which the other cases refuse), -robust_factor (1),
 * -robust_env sde|abm (sde; the refinements' and the evaluation's environment),
 * -robust_paths (32), -robust_years (20: the evaluation's horizon and the refinements'
 * simulated time: -refine_window x iterations = years), -robust_seed (1),
 * -robust_agents (5000, abm), -robust_refinements (hamiltonian,spsa,hamiltonian_replan,
 * spsa_replan), -robust_replan (5 yr: the _replan variants' interval), -robust_policies
 * (zero,fixed,proportional,cosmos,polkadot,ethereum,tezos), -robust_bootstrap (2000),
 * -robust_oracle_file, -robust_replan_file (where the oracle's and the re-planned
 * solutions go; default out/robust_oracle.h5, out/robust_replanned.h5).  The
 * refinements read the user's -refine_ options (the variant sets the estimator and the
 * re-planning); the evaluation reads -eval_ and -sim_ options. */
PETSC_EXTERN PetscErrorCode StkRobustSetFromOptions(StkRobust robust);
/* Runs the experiment (collective): the expert (a set-up StkPolicy of type expert on
 * the solution file `solution`) and the network file it was fitted to. */
PETSC_EXTERN PetscErrorCode StkRobustRun(StkRobust robust, StkPolicy expert, const char solution[], const char network[]);
/* Reads (for -help and the strict option check) every option Run's objects read: the
 * refinement's, the oracle solver's, the evaluation's and the baselines'. */
PETSC_EXTERN PetscErrorCode StkRobustPrintHelp(StkRobust robust);
/* The table after Run (borrowed): nrows rows, the expert's gap to the oracle (mean
 * per path, with its 95 % bootstrap interval). */
PETSC_EXTERN PetscErrorCode StkRobustGetTable(StkRobust robust, PetscInt *nrows, const StkRobustRow **rows, PetscReal *gap, PetscReal *gap_lo, PetscReal *gap_hi);
/* The table as CSV (rank 0; one line per row, the case and the gap as columns). */
PETSC_EXTERN PetscErrorCode StkRobustWriteCsv(StkRobust robust, const char path[]);
PETSC_EXTERN PetscErrorCode StkRobustView(StkRobust robust, PetscViewer viewer);
PETSC_EXTERN PetscErrorCode StkRobustDestroy(StkRobust *robust);
