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


/* The program's PETSc error handler, pushed before PetscInitialize: an error of user
 * input (StkErrorIsUserInput) prints one block "stakehjb COMMAND: error: MESSAGE" from
 * rank 0 of the communicator raising it (PETSc's messages about a value rewritten to
 * name the option: "-hjb_rho: 'abc' is not a number"); any other error PETSc's trace. */
PetscErrorCode StkErrorHandlerPush(const char command[], int argc, char **argv);
/* The codes of user input: PETSC_ERR_USER_INPUT, ARG_OUTOFRANGE, ARG_WRONG, ARG_INCOMP,
 * ARG_UNKNOWN_TYPE, FILE_OPEN/READ/WRITE/UNEXPECTED, NOT_CONVERGED. */
PetscBool StkErrorIsUserInput(PetscErrorCode n);
/* Where option `name` (without '-') came from when not from the command line: the
 * -options_file given, else "PETSC_OPTIONS or .petscrc"; NULL when on the command line. */
const char *StkOptionSource(const char name[]);
/* Before `run` (a command) does any work: runs its -help path once on a copy of the
 * options database, its help text captured, and fails (PETSC_ERR_USER_INPUT, naming the
 * option) on an option it does not know (with the closest known spelling; only a
 * warning with -allow_unused_options), an empty value where one is needed, and a
 * non-finite number.  Collective on PETSC_COMM_WORLD. */
PetscErrorCode StkOptionsCheck(const char command[], PetscErrorCode (*run)(void), PetscBool allow_unused);
/* True while StkOptionsCheck runs a command's help path: the command then also reads
 * options that -help does not list (each regime's, in compare and run). */
PetscBool StkOptionsCheckRunning(void);
/* The options of every command: -allow_unused_options (returned) and -memory_budget GB
 * (StkMemorySetBudget; checked finite and >= 0). */
PetscErrorCode StkProgramOptions(PetscBool *allow_unused);
/* -help: capture the help text and standard output (from before PetscInitialize;
 * non-zero if it cannot) ... */
int StkHelpCaptureBegin(void);
/* ... and print it: the command's own sections first (stakehjb COMMAND, Output), then
 * the library objects', PETSc's (solvers, viewers, PetscInitialize's) only with `all` (-help all). */
PetscErrorCode StkHelpCaptureEnd(const char command[], PetscBool all);
/* Before PetscInitialize: every YAML file of -options_file / -options_file_yaml opens and
 * parses; otherwise prints "stakehjb COMMAND: error: FILE: ..." (the line and column
 * where the parser stopped) on stderr and returns non-zero.  No PETSc call. */
int StkOptionsFilesCheck(const char command[], int argc, char **argv);
/* Removes the directories StkOutputPath created that are still empty (on error). */
void StkRemoveCreatedDirectories(void);
