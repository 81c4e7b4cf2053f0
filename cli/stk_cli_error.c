#define _POSIX_C_SOURCE 200809L /* strtok_r */
/* The program's PETSc error handler (stk_cli.h): errors of user input print one short
 * block "stakehjb COMMAND: error: MESSAGE", internal errors PETSc's full trace. */
#include "stk_cli.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *command_name = "";
static const char *options_file = NULL; /* the first -options_file of the command line */
static int         saved_argc   = 0;
static char      **saved_argv   = NULL;

const char *StkOptionSource(const char name[])
{
  for (int i = 1; i < saved_argc; i++)
    if (saved_argv[i][0] == '-' && !strcmp(saved_argv[i] + 1, name)) return NULL;
  return options_file ? options_file : "PETSC_OPTIONS or .petscrc";
}

PetscBool StkErrorIsUserInput(PetscErrorCode n)
{
  switch (n) {
  case PETSC_ERR_USER_INPUT:
  case PETSC_ERR_ARG_OUTOFRANGE:
  case PETSC_ERR_ARG_WRONG:
  case PETSC_ERR_ARG_INCOMP:
  case PETSC_ERR_ARG_UNKNOWN_TYPE:
  case PETSC_ERR_FILE_OPEN:
  case PETSC_ERR_FILE_READ:
  case PETSC_ERR_FILE_WRITE:
  case PETSC_ERR_FILE_UNEXPECTED:
  case PETSC_ERR_NOT_CONVERGED:
    return PETSC_TRUE;
  default:
    return PETSC_FALSE;
  }
}

/* The option (with '-') whose value, or one of whose comma-separated values, is `value`;
 * NULL when none.  The database is read without PETSc calls that could fail again. */
static const char *OptionWithValue(const char value[], char option[], size_t len)
{
  char *all = NULL, *save = NULL, *tok, *prev = NULL;

  if (PetscOptionsGetAll(NULL, &all) || !all) return NULL;
  option[0] = 0;
  for (tok = strtok_r(all, " ", &save); tok; prev = tok, tok = strtok_r(NULL, " ", &save)) {
    if (tok[0] == '-' || !prev || prev[0] != '-') continue;
    char elems[1024], *esave = NULL;
    snprintf(elems, sizeof(elems), "%s", tok);
    for (char *e = strtok_r(elems, ",", &esave); e; e = strtok_r(NULL, ",", &esave))
      if (!strcmp(e, value)) {
        snprintf(option, len, "%s", prev);
        break;
      }
    if (option[0]) break;
  }
  PetscFree(all);
  return option[0] ? option : NULL;
}

/* PETSc's own messages about a value, rewritten to start with the option. */
static void Rewrite(const char mess[], char out[], size_t len)
{
  char        value[512], type[64], option[256];
  const char *opt;

  snprintf(out, len, "%s", mess ? mess : "");
  if (sscanf(mess, "Input string %511s has no numeric value", value) == 1 && (opt = OptionWithValue(value, option, sizeof(option)))) snprintf(out, len, "%s: '%s' is not a number", opt, value);
  else if (sscanf(mess, "Input string %511s has no integer value", value) == 1 && (opt = OptionWithValue(value, option, sizeof(option)))) snprintf(out, len, "%s: '%s' is not an integer", opt, value);
  else if (sscanf(mess, "Unknown logical value: %511s", value) == 1 && (opt = OptionWithValue(value, option, sizeof(option)))) snprintf(out, len, "%s: '%s' is not a boolean (true or false)", opt, value);
  else if (sscanf(mess, "Unable to find requested %63s type %511s", type, value) == 2 && (opt = OptionWithValue(value, option, sizeof(option)))) snprintf(out, len, "%s: '%s' is not a known %s type", opt, value, type);
  else if (sscanf(mess, "Unknown option %511s for %255s", value, option) == 2) {
    const char *avail = strstr(mess, "Available options:");
    size_t      olen  = strlen(option);
    if (olen && option[olen - 1] == '.') option[olen - 1] = 0;
    snprintf(out, len, "%s: '%s' is not one of:%s", option, value, avail ? avail + strlen("Available options:") : " (see -help)");
    out[strcspn(out, "\n")] = 0;
  } else if (strstr(mess, "YAML") && options_file) snprintf(out, len, "%s: not a valid YAML options file (%s)", options_file, mess);
}

/* PETSc's own errors about an option's value, whatever their code. */
static PetscBool IsValueMessage(const char mess[])
{
  return (PetscBool)(mess && (!strncmp(mess, "Input string ", 13) || !strncmp(mess, "Unknown logical value", 21) || !strncmp(mess, "Unknown option ", 15) || !strncmp(mess, "Unable to find requested ", 25)));
}

static PetscErrorCode Handler(MPI_Comm comm, int line, const char *fun, const char *file, PetscErrorCode n, PetscErrorType p, const char *mess, void *ctx)
{
  static PetscBool short_block = PETSC_FALSE; /* decided by the initial error, kept for its trace */
  int              initialized = 0, finalized = 0;
  char             msg[4096];

  if (p == PETSC_ERROR_INITIAL) short_block = (PetscBool)(StkErrorIsUserInput(n) || IsValueMessage(mess));
  if (!short_block) return PetscTraceBackErrorHandler(comm, line, fun, file, n, p, mess, ctx);
  if (p != PETSC_ERROR_INITIAL) return n;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized && comm != MPI_COMM_NULL) { /* one rank prints: rank 0 of the comm raising it */
    int rank = 0;
    /* PETSc checks option values on PETSC_COMM_SELF, but every rank reads the same database */
    MPI_Comm_rank(IsValueMessage(mess) ? PETSC_COMM_WORLD : comm, &rank);
    if (rank) return n;
  }
  Rewrite(mess, msg, sizeof(msg));
  fprintf(stderr, "stakehjb %s: error: %s\n", command_name, msg);
  fflush(stderr);
  return n;
}

PetscErrorCode StkErrorHandlerPush(const char command[], int argc, char **argv)
{
  command_name = command;
  saved_argc   = argc;
  saved_argv   = argv;
  for (int i = 0; i + 1 < argc && !options_file; i++)
    if (!strcmp(argv[i], "-options_file") || !strcmp(argv[i], "-options_file_yaml")) options_file = argv[i + 1];
  return PetscPushErrorHandler(Handler, NULL);
}
