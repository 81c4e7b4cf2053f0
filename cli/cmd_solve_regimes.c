/* stakehjb solve -regime_files a.yaml,b.yaml -regime_rates q00,q01,q10,q11: one model
 * per parameter file (under the prefix of its name, the command line on top), the
 * coupled regime-switching HJB on the first model's grid, the joint density, the file. */
#include "stk_cli.h"
#include "stk_options.h"
#include "stk_regime.h"
#include <string.h>

#define STK_MAX_REGIMES 16

typedef struct {
  char     *files[STK_MAX_REGIMES + 1];
  PetscInt  nfiles;
  PetscReal rates[STK_MAX_REGIMES * STK_MAX_REGIMES + 1];
  PetscInt  nrates;
  PetscBool files_set, rates_set;
} RegimeOptions;

static PetscErrorCode ReadRegimeOptions(RegimeOptions *o)
{
  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(o, sizeof(*o))); /* -help shows the first rate: 0 */
  o->nfiles = STK_MAX_REGIMES + 1;
  o->nrates = STK_MAX_REGIMES * STK_MAX_REGIMES + 1;
  PetscOptionsBegin(PETSC_COMM_WORLD, NULL, "stakehjb solve", NULL);
  PetscCall(PetscOptionsStringArray("-regime_files", "Regime switching: one YAML parameter file per regime (2 or more, comma-separated; each read under the prefix of its name, e.g. bear_ for bear.yaml, the command line's options on top); docs/model.md#regime-switching", "", o->files, &o->nfiles, &o->files_set));
  PetscCall(PetscOptionsRealArray("-regime_rates", "Regime switching: the M x M switching intensities q_ij (1/yr), row-major, the diagonal ignored (default: 0, no switching)", "", o->rates, &o->nrates, &o->rates_set));
  PetscOptionsEnd();
  if (!o->files_set) o->nfiles = 0;
  if (!o->rates_set) o->nrates = 0;
  PetscFunctionReturn(0);
}

static PetscErrorCode FreeRegimeOptions(RegimeOptions *o)
{
  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < o->nfiles; i++) PetscCall(PetscFree(o->files[i]));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolveRegimesRequested(PetscBool *requested)
{
  RegimeOptions o;

  PetscFunctionBeginUser;
  PetscCall(ReadRegimeOptions(&o));
  PetscCall(FreeRegimeOptions(&o));
  PetscCheck(o.files_set || !o.rates_set, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-regime_rates: given without -regime_files: name one parameter file per regime");
  *requested = o.files_set;
  PetscFunctionReturn(0);
}

/* Two or more files, M x M finite non-negative rates. */
static PetscErrorCode CheckRegimeOptions(const RegimeOptions *o)
{
  const PetscInt M = o->nfiles;

  PetscFunctionBeginUser;
  PetscCheck(M <= STK_MAX_REGIMES, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-regime_files: more than %d files: at most %d regimes", STK_MAX_REGIMES, STK_MAX_REGIMES);
  PetscCheck(M >= 2, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-regime_files %s: one regime file only: regime switching needs two or more (for one regime: -options_file %s)", M ? o->files[0] : "", M ? o->files[0] : "");
  PetscCheck(!o->rates_set || o->nrates == M * M, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-regime_rates: %" PetscInt_FMT "%s values for %" PetscInt_FMT " regimes: needs M x M = %" PetscInt_FMT " (row-major, one row per file of -regime_files, the diagonal ignored)", o->nrates, o->nrates > STK_MAX_REGIMES * STK_MAX_REGIMES ? " or more" : "", M, M * M);
  for (PetscInt k = 0; k < o->nrates; k++) PetscCheck(k / M == k % M || o->rates[k] >= 0, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-regime_rates: %g is out of range: rates must be >= 0 (entry %" PetscInt_FMT ", from %s to %s)", (double)o->rates[k], k, o->files[k / M], o->files[k % M]);
  PetscFunctionReturn(0);
}

/* One model per file, under the file's prefix; all of one type and dimension. */
static PetscErrorCode CreateModels(const RegimeOptions *o, StkPrefixedFiles pf, StkModel models[], char names[][64])
{
  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < o->nfiles; i++) {
    const char *pre;
    PetscCall(StkPrefixedFilesGetPrefix(pf, i, &pre));
    PetscCall(PetscStrncpy(names[i], pre, sizeof(names[i])));
    names[i][strlen(names[i]) - 1] = 0; /* without the '_' */
    PetscCall(StkModelCreate(PETSC_COMM_WORLD, &models[i]));
    PetscCall(StkModelSetOptionsPrefix(models[i], pre));
    PetscCall(StkModelSetFromOptions(models[i]));
  }
  for (PetscInt i = 1; i < o->nfiles; i++) {
    const char *t0, *ti;
    PetscInt    d0, di;
    PetscBool   same;
    PetscCall(StkModelGetType(models[0], &t0));
    PetscCall(StkModelGetType(models[i], &ti));
    PetscCall(StkModelGetDimension(models[0], &d0));
    PetscCall(StkModelGetDimension(models[i], &di));
    PetscCall(PetscStrcmp(t0, ti, &same));
    PetscCheck(same && d0 == di, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-regime_files: %s gives model %s, %" PetscInt_FMT "-D, but %s gives model %s, %" PetscInt_FMT "-D: every regime file must give the same model type and dimension", o->files[0], t0, d0, o->files[i], ti, di);
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode PrintSummary(StkRegimeSolver solver, const char path[])
{
  StkRegimeSolverStats st;
  StkGrid              grid;
  PetscInt             dim, n[STK_MAX_DIM], total, M;
  PetscMPIInt          size;
  PetscReal            pi[STK_MAX_REGIMES];

  PetscFunctionBeginUser;
  PetscCall(StkRegimeSolverGetStats(solver, &st));
  PetscCall(StkRegimeSolverGetGrid(solver, &grid));
  PetscCall(StkRegimeSolverGetNumRegimes(solver, &M));
  PetscCall(StkRegimeSolverGetRegimeProbabilities(solver, pi));
  PetscCall(StkGridGetDimension(grid, &dim));
  PetscCall(StkGridGetSizes(grid, n));
  PetscCall(StkGridGetNumNodes(grid, &total));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "stakehjb solve: %" PetscInt_FMT " regimes, %" PetscInt_FMT "-D, grid ", M, dim));
  for (PetscInt k = 0; k < dim; k++) PetscCall(PetscPrintf(PETSC_COMM_WORLD, k ? " x %" PetscInt_FMT : "%" PetscInt_FMT, n[k]));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, " (%" PetscInt_FMT " nodes x %" PetscInt_FMT " regimes) on %d rank(s)\n", total, M, size));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  %s in %" PetscInt_FMT " Howard iterations (%" PetscInt_FMT " linear iterations), relative HJB residual %.2e, last relative change of V %.2e\n", st.converged ? "converged" : "NOT CONVERGED", st.iterations, st.ksp_iterations, (double)st.residual, (double)st.value_change));
  for (PetscInt i = 0; i < M; i++) {
    const char *name;
    PetscCall(StkRegimeSolverGetRegimeName(solver, i, &name));
    if (PetscIsNanReal(pi[i])) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  regime %" PetscInt_FMT " %s: no stationary probability (a Dirichlet boundary absorbs, or the rates do not connect every regime)\n", i, name));
    else PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  regime %" PetscInt_FMT " %s: stationary probability %.4f\n", i, name, (double)pi[i]));
  }
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  solve %.3f s, joint stationary density %.3f s\n  wrote %s\n", (double)st.solve_time, (double)st.density_time, path));
  PetscFunctionReturn(0);
}

/* Solve, check convergence (an error unless accepted), density, write. */
static PetscErrorCode Run(StkRegimeSolver solver, StkGrid grid, const char path[], PetscBool view, PetscBool allow)
{
  StkRegimeSolverStats st;

  PetscFunctionBeginUser;
  PetscCall(StkGridSetUp(grid));
  PetscCall(StkRegimeSolverSetUp(solver));
  PetscCall(StkRegimeSolverSolve(solver));
  PetscCall(StkRegimeSolverGetStats(solver, &st));
  if (!st.converged && allow) PetscCall(PetscFPrintf(PETSC_COMM_WORLD, PETSC_STDERR, "stakehjb solve: warning: policy iteration did not converge (accepted: -hjb_allow_not_converged)\n"));
  PetscCheck(st.converged || allow, PETSC_COMM_WORLD, PETSC_ERR_NOT_CONVERGED, "-hjb_max_it %" PetscInt_FMT ": policy iteration of the regime-switching system did not converge (relative HJB residual %.2e, change of V %.2e); raise -hjb_max_it, loosen -hjb_rtol, or write the result anyway with -hjb_allow_not_converged", st.iterations, (double)st.residual, (double)st.value_change);
  PetscCall(StkRegimeSolverComputeDensity(solver));
  PetscCall(StkRegimeSolverWrite(solver, path));
  if (view) PetscCall(StkRegimeSolverView(solver, NULL));
  PetscCall(PrintSummary(solver, path));
  PetscFunctionReturn(0);
}

PetscErrorCode StkCommandSolveRegimes(void)
{
  RegimeOptions    o;
  StkPrefixedFiles pf = NULL;
  StkModel         models[STK_MAX_REGIMES] = {NULL};
  char             names[STK_MAX_REGIMES][64];
  const char      *name_ptrs[STK_MAX_REGIMES];
  StkGrid          grid;
  StkRegimeSolver  solver;
  char             path[PETSC_MAX_PATH_LEN];
  PetscBool        view = PETSC_FALSE, allow = PETSC_FALSE;

  PetscFunctionBeginUser;
  PetscCall(ReadRegimeOptions(&o));
  PetscCall(CheckRegimeOptions(&o));
  PetscCall(StkPrefixedFilesCreate(PETSC_COMM_WORLD, "-regime_files", o.nfiles, (const char *const *)o.files, &pf));
  PetscCall(StkPrefixedFilesInsert(pf));
  PetscCall(CreateModels(&o, pf, models, names));
  PetscCall(StkPrefixedFilesFinish(pf));
  for (PetscInt i = 0; i < o.nfiles; i++) name_ptrs[i] = names[i];
  /* the grid follows the first regime's model on the union of the regimes' boxes, and the
   * (unprefixed) -grid_ options */
  PetscCall(StkGridCreate(PETSC_COMM_WORLD, &grid));
  PetscCall(StkRegimeConfigureGrid(o.nfiles, models, grid));
  PetscCall(StkRegimeSolverCreate(PETSC_COMM_WORLD, &solver));
  PetscCall(StkRegimeSolverSetModels(solver, o.nfiles, models, name_ptrs));
  if (o.rates_set) PetscCall(StkRegimeSolverSetRates(solver, o.rates));
  PetscCall(StkRegimeSolverSetGrid(solver, grid));
  PetscCall(StkRegimeSolverSetFromOptions(solver));
  PetscCall(StkOutputPath(PETSC_COMM_WORLD, "-o", "out/solution.h5", path, sizeof(path)));
  {
    StkCliFile outs[] = {{"-o", path}}, ins[STK_MAX_REGIMES];
    for (PetscInt i = 0; i < o.nfiles; i++) ins[i] = (StkCliFile){"-regime_files", o.files[i]};
    PetscCall(StkCheckOutputsNotInputs(PETSC_COMM_WORLD, 1, outs, o.nfiles, ins));
  }
  PetscOptionsBegin(PETSC_COMM_WORLD, NULL, "stakehjb solve", NULL);
  PetscCall(PetscOptionsBool("-view", "Print the model, the grid and the solver before and after the solve", "", view, &view, NULL));
  PetscCall(PetscOptionsBool("-hjb_allow_not_converged", "Write the solution even if policy iteration did not converge (otherwise an error)", "", allow, &allow, NULL));
  PetscOptionsEnd();
  if (!StkHelpRequested()) {
    if (view)
      for (PetscInt i = 0; i < o.nfiles; i++) PetscCall(StkModelView(models[i], NULL));
    PetscCall(Run(solver, grid, path, view, allow));
  }
  PetscCall(StkRegimeSolverDestroy(&solver));
  PetscCall(StkGridDestroy(&grid));
  for (PetscInt i = 0; i < o.nfiles; i++) PetscCall(StkModelDestroy(&models[i]));
  PetscCall(StkPrefixedFilesDestroy(&pf));
  PetscCall(FreeRegimeOptions(&o));
  PetscFunctionReturn(0);
}
