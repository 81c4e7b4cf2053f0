/* The main job of `stakehjb run` (docs/cli.md): solve the model, fit the mechanism
 * network to the solution in memory, refine it online against the agent-based
 * environment, evaluate the expert, the fitted and the refined network on common
 * random numbers, and end with a short comparison across regimes.  Run prints one
 * line per step with its time and files ("1. solve ...", "2. fit ...", "3. refine ...",
 * "4. evaluate ...", "5. compare ...") and then the headline: the expert's mean
 * discounted cost and tracking RMSE against the best baseline and each real issuance
 * rule (paired differences with 95 % intervals, pooled over the comparison's cells),
 * the fitted and refined network against the expert (step 4), and the comparison's
 * summary per regime.  The full tables are in the files (evaluation CSV, comparison
 * HDF5 and CSV); long steps show progress lines on stderr (grids/stk_progress.h).
 *
 * run's defaults are set on the pieces before their SetFromOptions, so every option of a
 * piece still overrides them: 800 fit iterations; refinement in the agent-based
 * environment, 400 windows; evaluation on 32 paths of 5 years in that environment with a
 * quarter of the stake leaving at t = 1; comparison of the regimes baseline, bear and
 * sluggish on 24 paths of 10 years, 5000 holders, 4 kept samples, networks fitted with
 * 800 iterations.
 *
 *   StkJobCreate -> [SetOutputs / SetSolution / SetNetwork] -> SetFromOptions
 *     -> [GetSolver / GetRefine ...] -> Run -> [GetNetworks] -> Destroy
 *   (with -help: SetFromOptions -> PrintHelp -> Destroy) */
#pragma once
#include "stk_hjb.h"
#include "stk_net.h"
#include "stk_refine.h"

typedef struct _p_StkJob *StkJob;

PETSC_EXTERN PetscErrorCode StkJobCreate(MPI_Comm comm, StkJob *job);
/* The files the job writes: the solution, the fitted network, the refined network and
 * the comparison (default out/solution.h5, out/network.h5, out/refined.h5, out/compare.h5;
 * the caller checks they are writable). */
PETSC_EXTERN PetscErrorCode StkJobSetOutputs(StkJob job, const char solution[], const char network[], const char refined[], const char compare[]);
/* Where step 4's table goes (default out/evaluation.csv; the caller checks it is
 * writable): per policy the mean of every metric and the paired differences to the expert. */
PETSC_EXTERN PetscErrorCode StkJobSetEvaluationOutput(StkJob job, const char path[]);
/* Reuse this solution file instead of solving (step 1 skipped; -run_solution overrides). */
PETSC_EXTERN PetscErrorCode StkJobSetSolution(StkJob job, const char path[]);
/* Reuse this fitted network instead of fitting (step 2 skipped; -run_network overrides). */
PETSC_EXTERN PetscErrorCode StkJobSetNetwork(StkJob job, const char path[]);
/* -run_solution FILE, -run_network FILE (must be readable); then the model, the grid and
 * the solver, and the refinement, each from its options. */
PETSC_EXTERN PetscErrorCode StkJobSetFromOptions(StkJob job);
/* After SetFromOptions: the files used (borrowed), the reused ones flagged. */
PETSC_EXTERN PetscErrorCode StkJobGetFiles(StkJob job, const char **solution, const char **network, const char **refined, const char **compare, PetscBool *reuse_solution, PetscBool *reuse_network);
/* After SetFromOptions: the pieces (borrowed). */
PETSC_EXTERN PetscErrorCode StkJobGetModel(StkJob job, StkModel *model);
PETSC_EXTERN PetscErrorCode StkJobGetSolver(StkJob job, StkSolver *solver);
PETSC_EXTERN PetscErrorCode StkJobGetRefine(StkJob job, StkRefine *refine);
/* The options of the pieces not created until Run (network fit, evaluation,
 * comparison, progress lines), listed with run's defaults. */
PETSC_EXTERN PetscErrorCode StkJobPrintHelp(StkJob job);
/* The options of the comparison's regimes (StkCompareReadRegimeOptions), read and
 * checked without work. */
PETSC_EXTERN PetscErrorCode StkJobReadRegimeOptions(StkJob job);
/* Runs the five steps, printing each and the headline on stdout and writing the five
 * files (collective). */
PETSC_EXTERN PetscErrorCode StkJobRun(StkJob job);
/* After Run: the fitted and the refined network (borrowed). */
PETSC_EXTERN PetscErrorCode StkJobGetNetworks(StkJob job, StkNet *fitted, StkNet *refined);
PETSC_EXTERN PetscErrorCode StkJobDestroy(StkJob *job);
