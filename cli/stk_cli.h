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
