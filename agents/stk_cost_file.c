/* The empirical cost distribution's sample: a text file of costs, one per line. */
#define _POSIX_C_SOURCE 200809L /* getline */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stk_agentsimpl.h"

#define STK_MSG_LEN 512

/* What rank 0 found; broadcast as a whole so every rank raises the same error. */
typedef struct {
  int  code; /* 0 or a PETSc error code */
  char msg[STK_MSG_LEN];
} LoadStatus;

/* Cuts a '#' comment and the surrounding white space (CR of CRLF files included). */
static char *TrimLine(char *line)
{
  char *hash = strchr(line, '#'), *end;

  if (hash) *hash = 0;
  while (isspace((unsigned char)*line)) line++;
  end = line + strlen(line);
  while (end > line && isspace((unsigned char)end[-1])) *--end = 0;
  return line;
}

/* text with every byte outside printable ASCII made '?' (a binary file's line printed
 * in a message), at most len - 1 characters. */
static const char *Printable(const char text[], size_t len, char out[])
{
  size_t i;

  for (i = 0; i + 1 < len && text[i]; i++) out[i] = isprint((unsigned char)text[i]) ? text[i] : '?';
  out[i] = 0;
  return out;
}

/* Appends v to a growing array. */
static PetscErrorCode Append(PetscReal v, PetscInt *n, PetscInt *cap, PetscReal **x)
{
  PetscFunctionBeginUser;
  if (*n == *cap) {
    *cap = PetscMax(2 * *cap, 256);
    PetscCall(PetscRealloc(*cap * sizeof(**x), x));
  }
  (*x)[(*n)++] = v;
  PetscFunctionReturn(0);
}

/* Parses the open file; a content error goes to st (not a PETSc error yet, so that
 * rank 0 can share it), an allocation failure is a PETSc error. */
static PetscErrorCode ParseCosts(FILE *fp, const char pre[], const char path[], LoadStatus *st, PetscInt *n, PetscReal **x)
{
  char     *buf = NULL;
  size_t    len = 0;
  PetscInt  cap = 0, lineno = 0;
  PetscBool content = PETSC_FALSE; /* a header or a number was seen */
  ssize_t   got;

  PetscFunctionBeginUser;
  while (!st->code && (got = getline(&buf, &len, fp)) != -1) {
    char     *line = buf, *text, *end;
    PetscReal v;
    char      shown[41];

    lineno++;
    if ((size_t)got != strlen(buf)) { /* strtod would stop at the NUL and lose the rest */
      st->code = PETSC_ERR_FILE_UNEXPECTED, snprintf(st->msg, STK_MSG_LEN, "-%scost_file %s, line %d: holds a NUL byte (not a text file?)", pre, path, (int)lineno);
      break;
    }
    if (lineno == 1 && !strncmp(line, "\xEF\xBB\xBF", 3)) line += 3; /* a UTF-8 byte order mark */
    text = TrimLine(line);
    if (!*text) continue;
    errno = 0;
    v     = (PetscReal)strtod(text, &end);
    if (end == text || *end) {
      if (!content) content = PETSC_TRUE; /* the header line */
      else st->code = PETSC_ERR_FILE_UNEXPECTED, snprintf(st->msg, STK_MSG_LEN, "-%scost_file %s, line %d: \"%s\" is not a number (one cost per line, an optional header line first)", pre, path, (int)lineno, Printable(text, sizeof(shown), shown));
      continue;
    }
    content = PETSC_TRUE;
    if (PetscIsInfOrNanReal(v)) st->code = PETSC_ERR_FILE_UNEXPECTED, snprintf(st->msg, STK_MSG_LEN, "-%scost_file %s, line %d: cost \"%s\" is not finite", pre, path, (int)lineno, Printable(text, sizeof(shown), shown));
    else if (v < 0) st->code = PETSC_ERR_FILE_UNEXPECTED, snprintf(st->msg, STK_MSG_LEN, "-%scost_file %s, line %d: cost %g is negative", pre, path, (int)lineno, (double)v);
    else PetscCall(Append(v, n, &cap, x));
  }
  free(buf);
  if (!st->code && ferror(fp)) st->code = PETSC_ERR_FILE_READ, snprintf(st->msg, STK_MSG_LEN, "-%scost_file %s: read error after line %d", pre, path, (int)lineno);
  if (!st->code && *n == 0) st->code = PETSC_ERR_FILE_UNEXPECTED, snprintf(st->msg, STK_MSG_LEN, "-%scost_file %s holds no costs (%d line(s); one number per line expected)", pre, path, (int)lineno);
  PetscFunctionReturn(0);
}

PetscErrorCode StkCostSampleLoadPrefixed(MPI_Comm comm, const char pre[], const char path[], PetscInt *n, PetscReal **sample)
{
  LoadStatus  st = {0, ""};
  PetscMPIInt rank;
  PetscInt    count = 0;
  PetscReal  *x     = NULL;

  PetscFunctionBeginUser;
  PetscCheck(path && path[0], comm, PETSC_ERR_ARG_WRONG, "-%scost_file: no file name given", pre);
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    FILE *fp = fopen(path, "r");
    if (!fp) st.code = PETSC_ERR_FILE_OPEN, snprintf(st.msg, STK_MSG_LEN, "-%scost_file %s: cannot open (%s)", pre, path, strerror(errno));
    else {
      PetscErrorCode ierr = ParseCosts(fp, pre, path, &st, &count, &x);
      fclose(fp);
      PetscCall(ierr);
    }
  }
  PetscCallMPI(MPI_Bcast(&st, (PetscMPIInt)sizeof(st), MPI_BYTE, 0, comm));
  if (st.code) PetscCall(PetscFree(x));
  PetscCheck(!st.code, comm, st.code, "%s", st.msg);
  PetscCallMPI(MPI_Bcast(&count, 1, MPIU_INT, 0, comm));
  if (rank) PetscCall(PetscMalloc1(count, &x));
  PetscCallMPI(MPI_Bcast(x, (PetscMPIInt)count, MPIU_REAL, 0, comm));
  PetscCall(PetscSortReal(count, x));
  if (!(count >= 2 && x[count - 1] > x[0])) {
    const PetscReal only = x[0];
    PetscCall(PetscFree(x));
    SETERRQ(comm, PETSC_ERR_FILE_UNEXPECTED, "-%scost_file %s: needs at least 2 distinct costs, got %" PetscInt_FMT " cost(s), all %g", pre, path, count, (double)only);
  }
  *n      = count;
  *sample = x;
  PetscFunctionReturn(0);
}

PetscErrorCode StkCostSampleLoad(MPI_Comm comm, const char path[], PetscInt *n, PetscReal **sample)
{
  PetscFunctionBeginUser;
  PetscCall(StkCostSampleLoadPrefixed(comm, "agents_", path, n, sample));
  PetscFunctionReturn(0);
}
