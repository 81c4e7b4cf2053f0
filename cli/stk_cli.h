/* Subcommands of the stakehjb program. */
#pragma once
#include <petscsys.h>
#include "stk_hjb.h"
#include "stk_net.h"
#include "stk_policy.h"
#include "stk_refine.h"

/* Each runs between PetscInitialize and PetscFinalize; argc/argv have the subcommand removed. */
PetscErrorCode StkCommandSolve(void);
PetscErrorCode StkCommandConverge(void);
PetscErrorCode StkCommandFit(void);
PetscErrorCode StkCommandSimulate(void);
PetscErrorCode StkCommandCompare(void);
PetscErrorCode StkCommandRefine(void);
PetscErrorCode StkCommandRun(void);

/* True when -help (or -h) was given: objects print their options, the command then stops. */
PetscBool StkHelpRequested(void);
/* The output path from `option` (default `default_path`), checked writable before any work.
 * The default's directory is created if missing; a user's directory must exist. */
PetscErrorCode StkOutputPath(MPI_Comm comm, const char option[], const char default_path[], char path[], size_t len);

/* The mechanism network fitted to the policy of solution file `in` (-net_ options;
 * stakehjb fit without the writing).  Collective. */
PetscErrorCode StkFitSolutionFile(const char in[], StkNet *net);
/* The expert policy of a solution file (set up; collective). */
PetscErrorCode StkExpertFromFile(const char path[], StkPolicy *expert);
/* Refines `net` in place with the -refine_ options, a progress line on stderr. */
PetscErrorCode StkRefineNetwork(StkNet net, StkPolicy expert, StkRefine *refine);
/* Prints the refinement's settings and history summary (and the output path if any). */
PetscErrorCode StkRefineSummary(StkRefine refine, const char out[]);

/* A grid configured by the model and a solver on it, both from options (the grid is
 * not set up yet: a caller may still change its sizes). */
PetscErrorCode StkCliCreateSolver(MPI_Comm comm, StkModel model, StkGrid *grid, StkSolver *solver);
