/* Progress lines for long steps (docs/cli.md, "Progress lines").  Rank 0 of the
 * communicator writes to stderr once a step has run longer than -progress_delay seconds
 * (default 2).  On a terminal the line is rewritten in place (carriage return) at most
 * five times a second and ended with a newline by StkProgressEnd; anywhere else (a log
 * file, a pipe) only whole lines are written, at most one per 5 s or per 10 % of the
 * work, so a log holds a few readable lines and no carriage return.  The time left is
 * estimated only once at least 5 % of the work is done and 2 s have passed.
 * -progress false turns every progress line off.
 *
 *   StkProgressCreate -> [SetDelay] -> Update ... -> End -> Destroy */
#pragma once
#include <petscsys.h>
#include <stdio.h>

typedef struct _p_StkProgress *StkProgress;

/* Starts the clock of a step called `name` (the line's first word, copied); reads
 * -progress and -progress_delay. */
PETSC_EXTERN PetscErrorCode StkProgressCreate(MPI_Comm comm, const char name[], StkProgress *progress);
/* Seconds before the first line (overrides -progress_delay; 0: from the first update). */
PETSC_EXTERN PetscErrorCode StkProgressSetDelay(StkProgress progress, PetscReal seconds);
/* Writes to fp instead of stderr (tests); a terminal or not is decided by isatty(fp). */
PETSC_EXTERN PetscErrorCode StkProgressSetStream(StkProgress progress, FILE *fp);
/* The state after `fraction` of the work (in [0, 1]; negative: unknown, then no
 * percentage and no estimate) and a message in printf format, e.g. "iteration 3,
 * residual 1e-5".  Prints "NAME: MESSAGE, 42 %, 12 s, about 16 s left" when due.  Not
 * collective: only rank 0 prints. */
PETSC_EXTERN PetscErrorCode StkProgressUpdate(StkProgress progress, PetscReal fraction, const char format[], ...) PETSC_ATTRIBUTE_FORMAT(3, 4);
/* Ends a line rewritten in place on a terminal (nothing to do otherwise). */
PETSC_EXTERN PetscErrorCode StkProgressEnd(StkProgress progress);
/* Whether a line was printed (tests, and callers that end with a summary). */
PETSC_EXTERN PetscErrorCode StkProgressGetShown(StkProgress progress, PetscBool *shown);
/* Ends the line (StkProgressEnd) and frees; accepts NULL. */
PETSC_EXTERN PetscErrorCode StkProgressDestroy(StkProgress *progress);
