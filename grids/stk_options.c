/* Options prefixes (stk_options.h). */
#include "stk_options.h"
#include "stk_files.h"
#include <ctype.h>
#include <string.h>
#include <unistd.h>

PetscErrorCode StkOptionsPrefixSet(char **prefix, const char p[])
{
  PetscFunctionBegin;
  PetscCheck(!p || p[0] != '-', PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "Options prefix '%s' must not start with '-'", p);
  PetscCall(PetscFree(*prefix));
  if (p && p[0]) PetscCall(PetscStrallocpy(p, prefix));
  PetscFunctionReturn(0);
}

PetscErrorCode StkOptionsPrefixAppend(char **prefix, const char p[])
{
  char buf[256];

  PetscFunctionBegin;
  if (!p || !p[0]) PetscFunctionReturn(0);
  PetscCheck(p[0] != '-', PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "Options prefix '%s' must not start with '-'", p);
  PetscCall(StkOptionsPrefixCompose(*prefix, p, buf, sizeof(buf)));
  PetscCall(PetscFree(*prefix));
  PetscCall(PetscStrallocpy(buf, prefix));
  PetscFunctionReturn(0);
}

PetscErrorCode StkOptionsPrefixCompose(const char user[], const char cls[], char out[], size_t len)
{
  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(out, len, "%s%s", user ? user : "", cls ? cls : ""));
  PetscFunctionReturn(0);
}

PetscErrorCode StkFunctionListNames(PetscFunctionList list, char known[], size_t len)
{
  const char **names;
  int          n;

  PetscFunctionBegin;
  PetscCall(PetscFunctionListGet(list, &names, &n));
  known[0] = 0;
  for (int i = 0; i < n && names[i]; i++) { /* n counts the closing NULL */
    if (i) PetscCall(PetscStrlcat(known, ", ", len));
    PetscCall(PetscStrlcat(known, names[i], len));
  }
  PetscCall(PetscFree(names));
  PetscFunctionReturn(0);
}

static PetscReal memory_budget = 0; /* bytes; 0: the default (process-wide, like PETSc's malloc settings) */

PetscErrorCode StkMemorySetBudget(PetscReal bytes)
{
  PetscFunctionBegin;
  memory_budget = bytes > 0 ? bytes : 0;
  PetscFunctionReturn(0);
}

/* 80 % of the physical memory of every host in comm, each host once (its first rank
 * in the shared-memory split reports it), so a job over several nodes gets their sum. */
static PetscErrorCode HostsMemory(MPI_Comm comm, PetscReal *bytes)
{
  MPI_Comm    host;
  PetscMPIInt host_rank;
  PetscReal   mine = 0;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &host));
  PetscCallMPI(MPI_Comm_rank(host, &host_rank));
  if (!host_rank) {
    const long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
    mine = pages > 0 && size > 0 ? 0.8 * (PetscReal)pages * (PetscReal)size : PETSC_MAX_REAL;
  }
  PetscCallMPI(MPI_Comm_free(&host));
  PetscCall(MPIU_Allreduce(&mine, bytes, 1, MPIU_REAL, MPIU_SUM, comm));
  PetscFunctionReturn(0);
}

PetscErrorCode StkMemoryGetBudget(MPI_Comm comm, PetscReal *bytes)
{
  PetscFunctionBegin;
  if (memory_budget > 0) *bytes = memory_budget;
  else PetscCall(HostsMemory(comm, bytes));
  PetscFunctionReturn(0);
}

PetscErrorCode StkMemoryCheck(MPI_Comm comm, PetscReal bytes, const char what[])
{
  PetscReal budget;

  PetscFunctionBegin;
  PetscCall(StkMemoryGetBudget(comm, &budget));
  PetscCheck(bytes <= budget, comm, PETSC_ERR_USER_INPUT, "%s: needs about %.3g GB of memory, more than the budget of %.3g GB (-memory_budget GB; default 80%% of the physical memory of the hosts in use)", what, (double)(bytes / 1e9), (double)(budget / 1e9));
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* Parameter files under prefixes                                                        */

struct _p_StkPrefixedFiles {
  MPI_Comm  comm;
  char      option[64];
  PetscInt  n, nuser;
  char    **files, **prefixes;
  char    **names, **values; /* the user's options (names without '-') */
};

PetscErrorCode StkOptionsPrefixFromPath(const char path[], char prefix[], size_t len)
{
  const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  char       *dot;

  PetscFunctionBegin;
  PetscCall(PetscStrncpy(prefix, base, len - 1));
  if ((dot = strrchr(prefix, '.')) && dot != prefix) *dot = 0;
  for (char *c = prefix; *c; c++) {
    *c = (char)tolower((unsigned char)*c);
    if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c)) *c = '_';
  }
  PetscCall(PetscStrlcat(prefix, "_", len));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPrefixedFilesCreate(MPI_Comm comm, const char option[], PetscInt n, const char *const files[], StkPrefixedFiles *pf)
{
  StkPrefixedFiles P;
  PetscInt         nl;
  char           **names, **values;

  PetscFunctionBegin;
  PetscCall(PetscNew(&P));
  P->comm = comm;
  P->n    = n;
  PetscCall(PetscStrncpy(P->option, option, sizeof(P->option)));
  PetscCall(PetscCalloc2(n, &P->files, n, &P->prefixes));
  for (PetscInt i = 0; i < n; i++) {
    char pre[256];
    PetscCall(PetscStrallocpy(files[i], &P->files[i]));
    PetscCall(StkOptionsPrefixFromPath(files[i], pre, sizeof(pre)));
    PetscCall(PetscStrallocpy(pre, &P->prefixes[i]));
    for (PetscInt j = 0; j < i; j++) PetscCheck(strcmp(P->prefixes[i], P->prefixes[j]), comm, PETSC_ERR_USER_INPUT, "%s: %s and %s give the same options prefix %s: give each file a distinct name", option, files[j], files[i], pre);
  }
  *pf = P;
  PetscCall(PetscOptionsLeftGet(NULL, &nl, &names, &values));
  P->nuser = nl;
  PetscCall(PetscCalloc2(nl, &P->names, nl, &P->values));
  for (PetscInt k = 0; k < nl; k++) {
    PetscCall(PetscStrallocpy(names[k], &P->names[k]));
    PetscCall(PetscStrallocpy(values[k], &P->values[k]));
  }
  PetscCall(PetscOptionsLeftRestore(NULL, &nl, &names, &values));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPrefixedFilesGetPrefix(StkPrefixedFiles P, PetscInt i, const char **prefix)
{
  PetscFunctionBegin;
  *prefix = P->prefixes[i];
  PetscFunctionReturn(0);
}

/* The file whose prefix the user's option `name` carries (-1: none). */
static PetscInt PrefixedBy(StkPrefixedFiles P, const char name[])
{
  for (PetscInt i = 0; i < P->n; i++)
    if (!strncmp(name, P->prefixes[i], strlen(P->prefixes[i]))) return i;
  return -1;
}

PetscErrorCode StkPrefixedFilesInsert(StkPrefixedFiles P)
{
  PetscFunctionBegin;
  for (PetscInt i = 0; i < P->n; i++) {
    char key[512];
    PetscCall(StkFileCheckText(P->comm, P->option, P->files[i]));
    PetscCall(PetscOptionsPrefixPush(NULL, P->prefixes[i]));
    PetscCall(PetscOptionsInsertFileYAML(P->comm, NULL, P->files[i], PETSC_TRUE));
    PetscCall(PetscOptionsPrefixPop(NULL));
    for (PetscInt k = 0; k < P->nuser; k++) { /* every file's copy of the general options */
      if (PrefixedBy(P, P->names[k]) >= 0) continue;
      PetscCall(PetscSNPrintf(key, sizeof(key), "-%s%s", P->prefixes[i], P->names[k]));
      PetscCall(PetscOptionsSetValue(NULL, key, P->values[k]));
    }
    for (PetscInt k = 0; k < P->nuser; k++) { /* then the user's own for this file */
      if (PrefixedBy(P, P->names[k]) != i) continue;
      PetscCall(PetscSNPrintf(key, sizeof(key), "-%s", P->names[k]));
      PetscCall(PetscOptionsSetValue(NULL, key, P->values[k]));
    }
  }
  PetscFunctionReturn(0);
}

PetscErrorCode StkPrefixedFilesFinish(StkPrefixedFiles P)
{
  PetscFunctionBegin;
  for (PetscInt k = 0; k < P->nuser; k++) {
    PetscBool read = PETSC_FALSE;
    char      key[512];
    if (PrefixedBy(P, P->names[k]) >= 0) continue;
    for (PetscInt i = 0; i < P->n; i++) {
      PetscBool used;
      PetscCall(PetscSNPrintf(key, sizeof(key), "-%s%s", P->prefixes[i], P->names[k]));
      PetscCall(PetscOptionsUsed(NULL, key + 1, &used)); /* takes the name without '-' */
      if (used) read = PETSC_TRUE;
      else PetscCall(PetscOptionsClearValue(NULL, key));
    }
    PetscCall(PetscSNPrintf(key, sizeof(key), "-%s", P->names[k]));
    if (read) PetscCall(PetscOptionsHasName(NULL, NULL, key, &read)); /* marks it read */
  }
  PetscFunctionReturn(0);
}

PetscErrorCode StkPrefixedFilesDestroy(StkPrefixedFiles *pf)
{
  StkPrefixedFiles P = *pf;

  PetscFunctionBegin;
  if (!P) PetscFunctionReturn(0);
  for (PetscInt i = 0; i < P->n; i++) {
    PetscCall(PetscFree(P->files[i]));
    PetscCall(PetscFree(P->prefixes[i]));
  }
  for (PetscInt k = 0; k < P->nuser; k++) {
    PetscCall(PetscFree(P->names[k]));
    PetscCall(PetscFree(P->values[k]));
  }
  PetscCall(PetscFree2(P->files, P->prefixes));
  PetscCall(PetscFree2(P->names, P->values));
  PetscCall(PetscFree(*pf));
  PetscFunctionReturn(0);
}
