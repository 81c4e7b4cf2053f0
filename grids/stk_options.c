/* Options prefixes (stk_options.h). */
#include "stk_options.h"
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
