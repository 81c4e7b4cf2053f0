/* Helpers shared by the subcommands. */
#include "stk_cli.h"
#include "stk_h5.h"
#include "stk_price.h"
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Directories StkOutputPath created (e.g. out/), removed again if the command fails
 * while they are still empty. */
static char created[4][PETSC_MAX_PATH_LEN];
static int  ncreated = 0;

void StkRemoveCreatedDirectories(void)
{
  for (int i = ncreated - 1; i >= 0; i--) rmdir(created[i]); /* only succeeds on an empty directory */
  ncreated = 0;
}

PetscBool StkHelpRequested(void)
{
  PetscBool help = PETSC_FALSE, h = PETSC_FALSE;

  PetscOptionsHasName(NULL, NULL, "-help", &help);
  PetscOptionsHasName(NULL, NULL, "-h", &h);
  return (PetscBool)(help || h);
}

PetscErrorCode StkOutputPath(MPI_Comm comm, const char option[], const char default_path[], char path[], size_t len)
{
  PetscBool   set;
  PetscMPIInt rank;
  char        title[64];

  PetscFunctionBeginUser;
  PetscCall(PetscStrncpy(path, default_path, len));
  PetscCall(PetscSNPrintf(title, sizeof(title), "Output %s", option)); /* -help shows a title once */
  PetscOptionsBegin(comm, NULL, title, NULL);
  PetscCall(PetscOptionsString(option, "Output HDF5 file (written to a temporary name, then renamed)", "", path, path, len, &set));
  PetscOptionsEnd();
  PetscCheck(path[0], comm, PETSC_ERR_ARG_WRONG, "%s needs a file name", option);
  if (StkHelpRequested()) PetscFunctionReturn(0);
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (!set && rank == 0) { /* create the default's directory, e.g. out/ */
    char  dir[PETSC_MAX_PATH_LEN];
    char *slash;
    PetscCall(PetscStrncpy(dir, path, sizeof(dir)));
    slash = strrchr(dir, '/');
    if (slash) {
      *slash = 0;
      if (!mkdir(dir, 0777)) {
        if (ncreated < 4) PetscCall(PetscStrncpy(created[ncreated++], dir, PETSC_MAX_PATH_LEN));
      } else if (errno != EEXIST) PetscCall(PetscPrintf(PETSC_COMM_SELF, "stakehjb: cannot create directory %s: %s\n", dir, strerror(errno)));
    }
  }
  PetscCall(StkH5CheckWritable(comm, option, path));
  PetscFunctionReturn(0);
}

PetscErrorCode StkCheckPriceOff(const char prefix[], const char command[], PetscBool has_price)
{
  char      name[256], model[64] = "";
  PetscBool set, price = PETSC_FALSE;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsGetBool(NULL, prefix, "-price", &price, NULL));
  if (price) PetscFunctionReturn(0);
  PetscCall(PetscOptionsGetString(NULL, prefix, "-model", model, sizeof(model), &set));
  if (set && !strcmp(model, "staking_price")) PetscFunctionReturn(0); /* the price-aware planner reads -price_* as its own */
  PetscCall(StkPriceOptionGiven(prefix, name, sizeof(name)));
  PetscCheck(!name[0], PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-%s: the token price is off in `stakehjb %s`, so this option would be ignored: %s%s%s", name, command, has_price ? "add -" : "drop it (the token price runs in `stakehjb price`, `compare` and `govern` only)", has_price && prefix ? prefix : "", has_price ? "price or drop it" : "");
  PetscFunctionReturn(0);
}

PetscErrorCode StkCheckNoPrice(const char command[])
{
  PetscBool price = PETSC_FALSE;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-price", &price, NULL));
  PetscCheck(!price, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-price: the token price runs in `stakehjb price`, `compare` and `govern` only; `stakehjb %s` would ignore it", command);
  PetscCall(StkCheckPriceOff(NULL, command, PETSC_FALSE));
  PetscFunctionReturn(0);
}

PetscErrorCode StkCheckReadable(const char option[], const char path[])
{
  PetscBool readable;

  PetscFunctionBeginUser;
  PetscCall(PetscTestFile(path, 'r', &readable));
  PetscCheck(readable, PETSC_COMM_WORLD, PETSC_ERR_FILE_OPEN, "%s %s: no such readable file", option, path);
  PetscFunctionReturn(0);
}
