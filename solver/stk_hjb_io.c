/* The solution file (docs/hdf5.md): StkSolverWrite writes it,
 * StkSolutionLoad reads it back, with the same names. */
#include "stk_hjbimpl.h"
#include "stk_version.h"

static const char solution_group[] = "solution", value_name[] = "value", policy_name[] = "policy";

static PetscErrorCode WriteStatistics(StkSolver S, StkH5 file, const char group[])
{
  PetscMPIInt size;
  PetscInt    n[STK_MAX_DIM], dim;
  char        sizes[64] = "";

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(S->comm, &size));
  PetscCall(StkGridGetDimension(S->grid, &dim));
  PetscCall(StkGridGetSizes(S->grid, n));
  for (PetscInt k = 0; k < dim; k++) {
    size_t len;
    PetscCall(PetscStrlen(sizes, &len));
    PetscCall(PetscSNPrintf(sizes + len, sizeof(sizes) - len, k ? ",%" PetscInt_FMT : "%" PetscInt_FMT, n[k]));
  }
  PetscCall(StkH5WriteAttributeString(file, group, "program", "stakehjb"));
  PetscCall(StkH5WriteAttributeString(file, group, "version", STK_VERSION));
  PetscCall(StkH5WriteAttributeString(file, group, "grid_n", sizes));
  PetscCall(StkH5WriteAttributeString(file, group, "greedy", StkGreedyTypes[S->greedy]));
  PetscCall(StkH5WriteAttributeString(file, group, "scheme", StkSchemeTypes[S->central ? STK_SCHEME_CENTRAL : STK_SCHEME_UPWIND]));
  PetscCall(StkH5WriteAttributeInt(file, group, "exact_samples", S->exact_samples));
  PetscCall(StkH5WriteAttributeInt(file, group, "iterations", S->stats.iterations));
  PetscCall(StkH5WriteAttributeInt(file, group, "ksp_iterations", S->stats.ksp_iterations));
  PetscCall(StkH5WriteAttributeInt(file, group, "converged", S->stats.converged));
  PetscCall(StkH5WriteAttributeReal(file, group, "residual", S->stats.residual, "1"));
  PetscCall(StkH5WriteAttributeReal(file, group, "value_change", S->stats.value_change, "1"));
  PetscCall(StkH5WriteAttributeReal(file, group, "rtol", S->rtol, "1"));
  PetscCall(StkH5WriteAttributeReal(file, group, "wall_time", S->stats.solve_time, "s"));
  PetscCall(StkH5WriteAttributeReal(file, group, "density_time", S->stats.density_time, "s"));
  PetscCall(StkH5WriteAttributeInt(file, group, "ranks", size));
  PetscCall(StkH5WriteAttributeInt(file, group, "sequence_levels", S->stats.coarse_levels));
  PetscCall(StkH5WriteAttributeInt(file, group, "coarse_iterations", S->stats.coarse_iterations));
  if (S->target_error > 0) {
    PetscCall(StkH5WriteAttributeReal(file, group, "target_error", S->target_error, "1"));
    PetscCall(StkH5WriteAttributeInt(file, group, "target_met", S->stats.target_met));
    PetscCall(StkH5WriteAttributeInt(file, group, "target_refinements", S->stats.target_refinements));
  }
  PetscFunctionReturn(0);
}

/* The units of the density, per unit of state volume: 1/(units of s * units of z).
 * A state in "1/X" contributes X to the numerator, any other non-"1" unit U 1/U. */
PetscErrorCode StkSolverDensityUnits(StkModel model, size_t len, char units[])
{
  char num[64] = "", den[64] = "";

  PetscFunctionBeginUser;
  for (PetscInt k = 0; k < model->dim; k++) {
    const char *u;
    PetscCall(StkModelGetStateUnits(model, k, &u, NULL));
    if (!strcmp(u, "1")) continue;
    if (!strncmp(u, "1/", 2)) {
      if (num[0]) PetscCall(PetscStrlcat(num, " ", sizeof(num)));
      PetscCall(PetscStrlcat(num, u + 2, sizeof(num)));
    } else {
      if (den[0]) PetscCall(PetscStrlcat(den, " ", sizeof(den)));
      PetscCall(PetscStrlcat(den, u, sizeof(den)));
    }
  }
  PetscCall(PetscSNPrintf(units, len, den[0] ? "%s/(%s)" : "%s", num[0] ? num : "1", den));
  PetscFunctionReturn(0);
}

/* The units of each drift component, d(state k)/dt, space separated (the group attribute
 * drift_component_units), and component 0's (`units`: CF has one unit per variable);
 * both buffers of length len. */
static PetscErrorCode DriftUnits(StkModel model, size_t len, char units[], char components[])
{
  PetscFunctionBeginUser;
  components[0] = 0;
  for (PetscInt k = 0; k < model->dim; k++) {
    const char *u;
    char        one[32];
    PetscCall(StkModelGetStateUnits(model, k, &u, NULL));
    if (!strcmp(u, "1")) PetscCall(PetscStrncpy(one, "1/yr", sizeof(one)));
    else if (!strcmp(u, "1/yr")) PetscCall(PetscStrncpy(one, "1/yr2", sizeof(one)));
    else if (!strncmp(u, "1/", 2)) PetscCall(PetscSNPrintf(one, sizeof(one), "1/(%s yr)", u + 2));
    else PetscCall(PetscSNPrintf(one, sizeof(one), "%s/yr", u));
    if (!k) PetscCall(PetscStrncpy(units, one, len));
    if (k) PetscCall(PetscStrlcat(components, " ", len));
    PetscCall(PetscStrlcat(components, one, len));
  }
  PetscFunctionReturn(0);
}

/* CF units and long names of the coordinates (from the model) and of the drift. */
static PetscErrorCode WriteCoordinateAttributes(StkSolver S, StkH5 file, const char group[], const char drift_units[])
{
  PetscFunctionBeginUser;
  for (PetscInt k = 0; k < S->model->dim; k++) {
    const char *name, *units, *long_name;
    PetscCall(StkGridGetName(S->grid, k, &name));
    PetscCall(StkModelGetStateUnits(S->model, k, &units, &long_name));
    PetscCall(StkH5WriteVariableAttributes(file, group, name, units, long_name));
  }
  if (S->model->dim > 1) PetscCall(StkH5WriteAttributeString(file, group, "drift_component_units", drift_units));
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteFields(StkSolver S, StkH5 file, const char group[])
{
  Vec  drift, density;
  char density_units[160], drift_units[128], drift_components[128];

  PetscFunctionBeginUser;
  PetscCall(StkSolverGetDrift(S, &drift));
  PetscCall(StkSolverGetDensity(S, &density));
  PetscCall(StkSolverDensityUnits(S->model, sizeof(density_units), density_units));
  PetscCall(DriftUnits(S->model, sizeof(drift_units), drift_units, drift_components));
  PetscCall(StkH5WriteGrid(file, group, S->grid));
  PetscCall(WriteCoordinateAttributes(S, file, group, drift_components));
  PetscCall(StkH5WriteField(file, group, value_name, S->grid, S->V, 1, NULL, "1", "value function V: discounted expected cost"));
  PetscCall(StkH5WriteField(file, group, policy_name, S->grid, S->u, S->model->nu, "control", S->model->nu == 1 ? "1/yr" : "1", "optimal control u*(x)"));
  PetscCall(StkH5WriteField(file, group, "drift", S->grid, drift, S->model->dim, "component", drift_units, "closed-loop drift b(x, u*(x)), one component per state variable"));
  PetscCall(StkH5WriteField(file, group, "density", S->grid, density, 1, NULL, density_units, "stationary density of the closed loop (NaN where the boundary absorbs)"));
  PetscCall(StkModelWriteAttributes(S->model, file, group));
  PetscCall(WriteStatistics(S, file, group));
  PetscCall(StkSolverWriteEstimate(S, file, group));
  if (StkSolverHasTimeSeries(S)) PetscCall(StkSolverWriteTimeSeries(S, file));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverWrite(StkSolver S, const char path[])
{
  const char    *group = solution_group;
  const char    *scalar_policy[] = {value_name, policy_name, "density", "value_error_estimate"}, *vector_policy[] = {value_name, "density", "value_error_estimate"};
  const PetscInt with_estimate = S->est.levels >= 2 ? 1 : 0;
  StkH5          file;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCheck(S->solved, S->comm, PETSC_ERR_ORDER, "Solve before writing %s", path);
  PetscCall(PetscLogStagePush(STK_STAGE_Output));
  PetscCall(PetscLogEventBegin(STK_EVENT_Write, 0, 0, 0, 0));
  PetscCall(StkH5Create(S->comm, path, &file));
  ierr = WriteFields(S, file, group);
  if (!ierr) ierr = StkH5Commit(file, group, S->grid, (S->model->nu == 1 ? 3 : 2) + with_estimate, S->model->nu == 1 ? scalar_policy : vector_policy);
  /* On failure this removes the temporary file: no half file is left behind. */
  PetscCall(StkH5Destroy(&file));
  PetscCall(ierr);
  if (StkSolverHasTimeSeries(S)) PetscCall(StkSolverWriteTimeSeriesSidecar(S, path));
  PetscCall(PetscLogEventEnd(STK_EVENT_Write, 0, 0, 0, 0));
  PetscCall(PetscLogStagePop());
  PetscFunctionReturn(0);
}

/* The model, the grid of the file's coordinates and the requested fields. */
static PetscErrorCode ReadSolution(MPI_Comm comm, StkH5 file, StkModel *model, StkGrid *grid, Vec *V, Vec *u)
{
  PetscInt    dim, gdim, nu;
  const char *path;

  PetscFunctionBeginUser;
  PetscCall(StkModelLoad(comm, file, solution_group, model));
  PetscCall(StkH5ReadGrid(file, solution_group, grid));
  PetscCall(StkModelGetDimension(*model, &dim));
  PetscCall(StkGridGetDimension(*grid, &gdim));
  PetscCall(StkH5GetPath(file, &path));
  PetscCheck(dim == gdim, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: the model is %" PetscInt_FMT "-D but group '%s' has %" PetscInt_FMT " coordinate(s)", path, dim, solution_group, gdim);
  PetscCall(StkModelGetNumControls(*model, &nu));
  /* a NaN here would run silently (an expert of NaN drift): the density may hold NaN */
  if (V) PetscCall(StkH5ReadField(file, solution_group, value_name, *grid, 1, V));
  if (V) PetscCall(StkH5CheckFinite(file, solution_group, value_name, *V));
  if (u) PetscCall(StkH5ReadField(file, solution_group, policy_name, *grid, nu, u));
  if (u) PetscCall(StkH5CheckFinite(file, solution_group, policy_name, *u));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolutionLoad(MPI_Comm comm, const char path[], StkModel *model, StkGrid *grid, Vec *V, Vec *u)
{
  StkH5          file;
  StkModel       m = NULL;
  StkGrid        g = NULL;
  Vec            v = NULL, w = NULL;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  if (model) *model = NULL;
  if (grid) *grid = NULL;
  if (V) *V = NULL;
  if (u) *u = NULL;
  PetscCall(StkH5Open(comm, path, &file));
  ierr = ReadSolution(comm, file, &m, &g, V ? &v : NULL, u ? &w : NULL);
  PetscCall(StkH5Destroy(&file));
  if (ierr || !V) PetscCall(VecDestroy(&v));
  if (ierr || !u) PetscCall(VecDestroy(&w));
  if (ierr || !grid) PetscCall(StkGridDestroy(&g)); /* after the vectors: they hold its DM */
  if (ierr || !model) PetscCall(StkModelDestroy(&m));
  PetscCall(ierr);
  if (model) *model = m;
  if (grid) *grid = g;
  if (V) *V = v;
  if (u) *u = w;
  PetscFunctionReturn(0);
}

/* The index of `value` in a PETSc enum list (NULL-terminated, then type name and prefix). */
static PetscErrorCode EnumFromString(const char *const list[], const char path[], const char attr[], const char value[], PetscInt *index)
{
  PetscFunctionBeginUser;
  for (PetscInt i = 0; list[i] && list[i + 1] && list[i + 2]; i++) {
    PetscBool match;
    PetscCall(PetscStrcmp(list[i], value, &match));
    if (match) {
      *index = i;
      PetscFunctionReturn(0);
    }
  }
  SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "solution file '%s': attribute %s/%s is '%s', not a known value", path, solution_group, attr, value);
}

static PetscErrorCode ReadScheme(StkH5 file, const char path[], StkSchemeSettings *scheme)
{
  char      value[64];
  PetscBool has;
  PetscInt  index;

  PetscFunctionBeginUser;
  PetscCall(StkH5ReadAttributeString(file, solution_group, "greedy", sizeof(value), value));
  PetscCall(EnumFromString(StkGreedyTypes, path, "greedy", value, &index));
  scheme->greedy = (StkGreedyType)index;
  scheme->scheme = STK_SCHEME_UPWIND;
  PetscCall(StkH5HasAttribute(file, solution_group, "scheme", &has));
  if (has) {
    PetscCall(StkH5ReadAttributeString(file, solution_group, "scheme", sizeof(value), value));
    PetscCall(EnumFromString(StkSchemeTypes, path, "scheme", value, &index));
    scheme->scheme = (StkSchemeType)index;
  }
  scheme->exact_samples = 33; /* the solver's default, for files before it was recorded */
  PetscCall(StkH5HasAttribute(file, solution_group, "exact_samples", &has));
  if (has) PetscCall(StkH5ReadAttributeInt(file, solution_group, "exact_samples", &scheme->exact_samples));
  PetscCheck(scheme->exact_samples >= 3, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "solution file '%s': attribute %s/exact_samples is %" PetscInt_FMT ", at least 3 expected", path, solution_group, scheme->exact_samples);
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolutionLoadScheme(MPI_Comm comm, const char path[], StkSchemeSettings *scheme)
{
  StkH5          file;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(StkH5Open(comm, path, &file));
  ierr = ReadScheme(file, path, scheme);
  PetscCall(StkH5Destroy(&file));
  PetscCall(ierr);
  PetscFunctionReturn(0);
}
