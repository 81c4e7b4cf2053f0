/* Safe output files (docs/hdf5.md, "Output files"): outputs that must not be inputs,
 * temporary names removed on SIGINT/SIGTERM and on error, and sets of files written as
 * one (all of them under their final names, or none).
 *
 * Every writer creates its file under a temporary name and renames it when complete.
 * While a temporary exists it is registered here: a handler for SIGINT and SIGTERM
 * (installed while anything is registered; the previous handlers come back when the
 * list is empty) removes every registered file, the lock file MPI-IO creates next to
 * it (NAME.locktest.RANK) and every registered staging directory with its content, then
 * re-raises the signal with its default action, so the exit status still says which
 * signal ended the program. */
#pragma once
#include <petscsys.h>

/* Errors (PETSC_ERR_USER_INPUT) when the output `out`, given by `out_option`, is the same
 * file as the input `in`, given by `in_option`: the same inode (st_dev, st_ino) when both
 * exist, or the same path once the directories are resolved (realpath).  Empty or NULL
 * `in` is no input.  Collective (rank 0 looks).  The message starts with `out_option`
 * and names both options and the path. */
PETSC_EXTERN PetscErrorCode StkFileCheckNotInput(MPI_Comm comm, const char out_option[], const char out[], const char in_option[], const char in[]);
/* The same for two outputs of one run (one would replace the other). */
PETSC_EXTERN PetscErrorCode StkFileCheckNotOutput(MPI_Comm comm, const char out_option[], const char out[], const char other_option[], const char other[]);

/* Why `path` cannot be read as a text input (an options or YAML file): missing, not a
 * regular file, unreadable, or holding a NUL byte (binary: PETSc's reader would stop at
 * the NUL and take the rest for absent).  Writes the reason into reason[len] and returns
 * nonzero; returns 0 with "" when the file is fine.  Plain C: usable before
 * PetscInitialize. */
PETSC_EXTERN int StkFileTextProblem(const char path[], size_t len, char reason[]);
/* The same as an error (collective; rank 0 looks): the message starts with
 * "option path: ". */
PETSC_EXTERN PetscErrorCode StkFileCheckText(MPI_Comm comm, const char option[], const char path[]);

/* Registers a temporary file of this process for removal on SIGINT/SIGTERM (not
 * collective; every rank that knows the name may register it).  At most
 * STK_FILES_MAX_TEMPORARIES at once. */
#define STK_FILES_MAX_TEMPORARIES 16
PETSC_EXTERN PetscErrorCode StkFileRegisterTemporary(const char path[]);
/* Forgets `path` (after its rename or removal); unknown paths are ignored. */
PETSC_EXTERN PetscErrorCode StkFileUnregisterTemporary(const char path[]);

/* Test hook: when the environment variable STK_TEST_WRITE_DELAY holds a number of
 * seconds, sleeps that long (every writer calls it with its temporary's name between
 * creating it and renaming it, so a test can send a signal during a write); with
 * STK_TEST_WRITE_DELAY_MATCH set too, only when `path` contains that string.  Unset:
 * returns at once. */
PETSC_EXTERN PetscErrorCode StkFileTestWriteDelay(const char path[]);

/* A set of output files in one directory, written as one: each file is written under
 * its final name inside a staging directory DIR/.BASE.tmp.PID (BASE the file name of
 * `anchor`, the set's main output), and StkOutputSetCommit moves them all into DIR with
 * SIGINT/SIGTERM held back; an error, a signal or StkOutputSetDestroy before the commit
 * removes the staging directory and its content, leaving DIR as it was. */
typedef struct _p_StkOutputSet *StkOutputSet;

/* Creates the staging directory next to `anchor` (collective; rank 0 creates it). */
PETSC_EXTERN PetscErrorCode StkOutputSetCreate(MPI_Comm comm, const char anchor[], StkOutputSet *set);
/* Where to write the member whose final path is `final` (which must be in the anchor's
 * directory): the staging directory's entry of the same file name. */
PETSC_EXTERN PetscErrorCode StkOutputSetGetPath(StkOutputSet set, const char final[], char staged[], size_t len);
/* Moves every file of the staging directory to the anchor's directory and removes the
 * staging directory (collective).  On a failed move the members already moved are
 * removed again, so the set is either complete or absent. */
PETSC_EXTERN PetscErrorCode StkOutputSetCommit(StkOutputSet set);
/* Removes the staging directory and its content unless committed (collective). */
PETSC_EXTERN PetscErrorCode StkOutputSetDestroy(StkOutputSet *set);
