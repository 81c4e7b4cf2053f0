/* stakehjb converge: the convergence study of solver/stk_converge.h (issue 6) on the
 * model of the options, its table printed and written as HDF5 and CSV, and a log-log
 * plot of the errors made by the installed stk_plot.py (as `stakehjb plot` does). */
#include "stk_cli.h"
#include "stk_converge.h"
#include "stk_progress.h"
#include "stk_version.h"
#include <string.h>

typedef struct {
  char      csv[PETSC_MAX_PATH_LEN], png[PETSC_MAX_PATH_LEN];
  PetscBool plot;
} OutputOptions;

static PetscErrorCode ReadOutputOptions(OutputOptions *o)
{
  PetscFunctionBeginUser;
  o->plot = PETSC_TRUE;
  PetscCall(PetscStrncpy(o->csv, "", sizeof(o->csv)));
  PetscCall(PetscStrncpy(o->png, "", sizeof(o->png)));
  PetscOptionsBegin(PETSC_COMM_WORLD, NULL, "stakehjb converge", NULL);
  PetscCall(PetscOptionsString("-converge_csv", "Table as CSV (default: the -o file with .csv)", "", o->csv, o->csv, sizeof(o->csv), NULL));
  PetscCall(PetscOptionsString("-converge_png", "Log-log plot of error against h (default: the -o file with .png)", "", o->png, o->png, sizeof(o->png), NULL));
  PetscCall(PetscOptionsBool("-converge_plot", "Make the PNG (needs /usr/bin/python3 with matplotlib)", "", o->plot, &o->plot, NULL));
  PetscOptionsEnd();
  PetscFunctionReturn(0);
}

/* Replace the extension of `path` by `ext` (or append it). */
static PetscErrorCode WithExtension(const char path[], const char ext[], size_t len, char out[])
{
  char *dot, *slash;

  PetscFunctionBeginUser;
  PetscCall(PetscStrncpy(out, path, len));
  dot   = strrchr(out, '.');
  slash = strrchr(out, '/');
  if (dot && (!slash || dot > slash)) *dot = 0;
  PetscCall(PetscStrlcat(out, ext, len));
  PetscFunctionReturn(0);
}

/* A progress line per grid (grids/stk_progress.h; the work per grid grows, so no
 * percentage and no estimate). */
static PetscErrorCode Progress(StkConverge conv, PetscInt level, PetscInt nlevels, const PetscInt n[], void *ctx)
{
  PetscFunctionBeginUser;
  PetscCall(StkProgressUpdate((StkProgress)ctx, -1, "grid %" PetscInt_FMT " of %" PetscInt_FMT " (%" PetscInt_FMT " nodes per direction)", level + 1, nlevels, n[0]));
  PetscFunctionReturn(0);
}

/* The PNG from the HDF5 file by the installed stk_plot.py, as `stakehjb plot` makes it
 * (presentation: not in the library).  A missing Python or matplotlib only skips it. */
static PetscErrorCode Plot(const char h5[], const char png[])
{
  PetscMPIInt       rank;
  const char *const args[] = {h5, "--png", png, NULL};

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  if (rank) PetscFunctionReturn(0);
  if (StkPlotRun(args)) PetscCall(PetscPrintf(PETSC_COMM_SELF, "stakehjb converge: no plot made (needs /usr/bin/python3 with h5py and matplotlib, and stk_plot.py)\n"));
  PetscFunctionReturn(0);
}

/* -help: list the grid and solver options each level reads too. */
static PetscErrorCode ListLevelOptions(StkModel model)
{
  StkGrid   grid;
  StkSolver solver;

  PetscFunctionBeginUser;
  PetscCall(StkSolverCreateForModel(PETSC_COMM_WORLD, model, &grid, &solver));
  PetscCall(StkSolverDestroy(&solver));
  PetscCall(StkGridDestroy(&grid));
  PetscFunctionReturn(0);
}

PetscErrorCode StkCommandConverge(void)
{
  StkModel      model;
  StkConverge   conv;
  OutputOptions o;
  StkProgress   progress;
  char          path[PETSC_MAX_PATH_LEN];

  PetscFunctionBeginUser;
  PetscCall(StkModelCreate(PETSC_COMM_WORLD, &model));
  PetscCall(StkModelSetFromOptions(model));
  PetscCall(StkConvergeCreate(PETSC_COMM_WORLD, &conv));
  PetscCall(StkConvergeSetModel(conv, model));
  PetscCall(StkConvergeSetFromOptions(conv));
  PetscCall(ReadOutputOptions(&o));
  PetscCall(StkOutputPath(PETSC_COMM_WORLD, "-o", "out/convergence.h5", path, sizeof(path)));
  {
    const StkCliFile outs[] = {{"-o", path}, {"-converge_csv", o.csv}, {"-converge_png", o.png}};
    PetscCall(StkCheckOutputsNotInputs(PETSC_COMM_WORLD, 3, outs, 0, NULL));
  }
  if (StkHelpRequested()) {
    PetscCall(ListLevelOptions(model));
  } else {
    if (!o.csv[0]) PetscCall(WithExtension(path, ".csv", sizeof(o.csv), o.csv));
    if (!o.png[0]) PetscCall(WithExtension(path, ".png", sizeof(o.png), o.png));
    PetscCall(StkH5CheckWritable(PETSC_COMM_WORLD, "-converge_csv", o.csv));
    PetscCall(StkProgressCreate(PETSC_COMM_WORLD, "converge", &progress));
    PetscCall(StkConvergeMonitorSet(conv, Progress, progress));
    PetscCall(StkConvergeRun(conv));
    PetscCall(StkProgressDestroy(&progress));
    PetscCall(StkConvergeView(conv, PETSC_VIEWER_STDOUT_WORLD));
    PetscCall(StkConvergeWriteCSV(conv, o.csv));
    PetscCall(StkConvergeWrite(conv, path));
    if (o.plot) PetscCall(Plot(path, o.png));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "wrote %s and %s\n", path, o.csv));
  }
  PetscCall(StkConvergeDestroy(&conv));
  PetscCall(StkModelDestroy(&model));
  PetscFunctionReturn(0);
}
