/* Subcommands of the stakehjb program. */
#pragma once
#include <petscsys.h>
#include "stk_hjb.h"
#include "stk_net.h"
#include "stk_policy.h"
#include "stk_refine.h"

/* Each runs between PetscInitialize and PetscFinalize; argc/argv have the subcommand removed. */
PetscErrorCode StkCommandSolve(void);
/* The summary lines of a finite horizon / the density in time (cli/cmd_solve_horizon.c). */
PetscErrorCode StkSolveHorizonSummary(struct _p_StkSolver *solver);
/* stakehjb solve -regime_files ... (cmd_solve_regimes.c): whether -regime_files was given
 * (reads -regime_files and -regime_rates, so -help lists them), and the regime solve. */
PetscErrorCode StkSolveRegimesRequested(PetscBool *requested);
PetscErrorCode StkCommandSolveRegimes(void);
PetscErrorCode StkCommandConverge(void);
PetscErrorCode StkCommandFit(void);
PetscErrorCode StkCommandSimulate(void);
PetscErrorCode StkCommandCompare(void);
PetscErrorCode StkCommandRefine(void);
PetscErrorCode StkCommandRun(void);
PetscErrorCode StkCommandPrice(void); /* issue 16: cmd_price.c */
/* An error if -price is on: only `stakehjb price`, `compare` and `govern` simulate the token price; the
 * simulators of the other commands would silently run without it. */
PetscErrorCode StkCheckNoPrice(const char command[]);
/* -<prefix>price_* options given without -<prefix>price are errors (the price-aware
 * planner, -model staking_price, reads them as its own). */
PetscErrorCode StkCheckPriceOff(const char prefix[], const char command[], PetscBool has_price);
/* An error "OPTION PATH: no such readable file" unless PATH can be read. */
PetscErrorCode StkCheckReadable(const char option[], const char path[]);
PetscErrorCode StkCommandRobust(void);
PetscErrorCode StkCommandGovern(void);
/* stakehjb plot: runs without PETSc (argv[0] is "plot"); execs /usr/bin/python3 on
 * stk_plot.py and returns its exit status only if that fails. */
int StkCommandPlot(int argc, char **argv);

/* The plotting script stk_plot.py: the installed one beside the executable
 * (BINDIR/../DATADIR/stakehjb/, from /proc/self/exe) wins, else the build tree's copy.
 * Returns 0 and its path, or -1 if neither is readable. */
int StkPlotScript(char path[], size_t len);
/* Runs /usr/bin/python3 stk_plot.py ARGS... (NULL-terminated) and waits: the script's
 * exit status, or -1 if it could not be started. */
int StkPlotRun(const char *const args[]);

/* True when -help (or -h) was given: objects print their options, the command then stops. */
PetscBool StkHelpRequested(void);
/* The output path from `option` (default `default_path`), checked writable before any work.
 * The default's directory is created if missing; a user's directory must exist. */
PetscErrorCode StkOutputPath(MPI_Comm comm, const char option[], const char default_path[], char path[], size_t len);


/* A file of a command and the option that names it. */
typedef struct {
  const char *option, *path;
} StkCliFile;
/* Before any work: refuses (PETSC_ERR_USER_INPUT, naming both options and the path) an
 * output that is one of the inputs, another output, or an existing file given on the
 * command line to any other option (same inode, or same resolved path).  An input with
 * an empty path is skipped.  Nothing is checked under -help. */
PetscErrorCode StkCheckOutputsNotInputs(MPI_Comm comm, PetscInt nout, const StkCliFile outs[], PetscInt nin, const StkCliFile ins[]);
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
/* The options of every command: -model_plugin (StkModelLoadPluginsFromOptions, first),
 * -allow_unused_options (returned) and -memory_budget GB (StkMemorySetBudget; checked
 * finite and >= 0). */
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
