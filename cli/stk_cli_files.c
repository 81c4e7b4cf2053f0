/* Outputs that must not replace inputs (docs/cli.md, "Output files"). */
#include "stk_cli.h"
#include "stk_files.h"
#include <string.h>
#include <unistd.h>

static PetscBool IsOutputOption(const char name[], PetscInt nout, const StkCliFile outs[])
{
  for (PetscInt o = 0; o < nout; o++)
    if (outs[o].option && !strcmp(name, outs[o].option)) return PETSC_TRUE;
  return PETSC_FALSE;
}

/* Each output against every existing file named on the command line by another option
 * (a cost file, an options file, a regime file, ...): what the command's own list of
 * inputs does not know. */
static PetscErrorCode CheckCommandLine(MPI_Comm comm, PetscInt nout, const StkCliFile outs[])
{
  int    argc;
  char **args;

  PetscFunctionBeginUser;
  PetscCall(PetscGetArgs(&argc, &args));
  for (int i = 1; i + 1 < argc; i++) {
    if (args[i][0] != '-' || IsOutputOption(args[i], nout, outs) || access(args[i + 1], F_OK)) continue;
    for (PetscInt o = 0; o < nout; o++) PetscCall(StkFileCheckNotInput(comm, outs[o].option, outs[o].path, args[i], args[i + 1]));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode StkCheckOutputsNotInputs(MPI_Comm comm, PetscInt nout, const StkCliFile outs[], PetscInt nin, const StkCliFile ins[])
{
  PetscFunctionBeginUser;
  if (StkHelpRequested()) PetscFunctionReturn(0);
  for (PetscInt o = 0; o < nout; o++) {
    for (PetscInt i = 0; i < nin; i++) PetscCall(StkFileCheckNotInput(comm, outs[o].option, outs[o].path, ins[i].option, ins[i].path));
    for (PetscInt p = 0; p < o; p++) PetscCall(StkFileCheckNotOutput(comm, outs[o].option, outs[o].path, outs[p].option, outs[p].path));
  }
  PetscCall(CheckCommandLine(comm, nout, outs));
  PetscFunctionReturn(0);
}
