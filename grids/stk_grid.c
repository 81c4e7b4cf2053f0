/* Tensor-product grids on a DMDA (see stk_grid.h): coordinates (uniform, sinh-stretched
 * or explicit) known on every rank, dual widths, gathering and point evaluation. */
#include "stk_grid.h"
#include "stk_options.h"

struct _p_StkGrid {
  MPI_Comm   comm;
  char      *prefix; /* the user's options prefix (NULL: none); the grid's own is "grid_" */
  PetscInt   dim, n[STK_MAX_DIM];
  PetscReal  lo[STK_MAX_DIM], hi[STK_MAX_DIM], center[STK_MAX_DIM], alpha[STK_MAX_DIM];
  PetscReal *x[STK_MAX_DIM], *w[STK_MAX_DIM];
  PetscBool  explicit_coords[STK_MAX_DIM];
  PetscBool  center_set[STK_MAX_DIM]; /* else the center follows the box middle */
  char       name[STK_MAX_DIM][16];
  DM         da;
  PetscBool  setup;
};

#define STK_GRID_MAX_LIST 8 /* longer than any valid option list, so a too-long list is seen */
#define STK_GRID_BYTES_PER_NODE 1500 /* a solve: ~650-900 bytes per node measured (-hjb_bench: matrix, AMG, vectors), with density and sequencing */
/* 3-D: the 7-point stencil and AMG's denser coarse operators; -hjb_bench measured 1330-1400
 * bytes per node on 33^3 and 49^3 (mms) against ~850 in 2-D, so the 2-D margin scaled by 1.65 */
#define STK_GRID_BYTES_PER_NODE_3D 2500

/* The prefix the grid's options are read under: USER + "grid_". */
static PetscErrorCode GridPrefix(StkGrid grid, char pre[], size_t len)
{
  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixCompose(grid->prefix, "grid_", pre, len));
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckSetUp(StkGrid grid)
{
  PetscFunctionBeginUser;
  PetscCheck(grid, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "StkGrid is NULL");
  PetscCheck(grid->setup, grid->comm, PETSC_ERR_ARG_WRONGSTATE, "StkGridSetUp() must be called first");
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckDirection(StkGrid grid, PetscInt k)
{
  PetscFunctionBeginUser;
  PetscCheck(k >= 0 && k < grid->dim, grid->comm, PETSC_ERR_ARG_OUTOFRANGE, "grid direction must be in [0, %" PetscInt_FMT "), got %" PetscInt_FMT, grid->dim, k);
  PetscFunctionReturn(0);
}

PetscErrorCode StkGridCreate(MPI_Comm comm, StkGrid *grid)
{
  StkGrid g;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&g));
  g->comm = comm;
  g->dim  = 1;
  for (PetscInt k = 0; k < STK_MAX_DIM; k++) {
    g->n[k]      = 33;
    g->lo[k]     = 0;
    g->hi[k]     = 1;
    g->center[k] = 0.5;
    g->alpha[k]  = 0;
    PetscCall(PetscSNPrintf(g->name[k], sizeof(g->name[k]), "x%" PetscInt_FMT, k));
  }
  *grid = g;
  PetscFunctionReturn(0);
}

PetscErrorCode StkGridSetDimension(StkGrid grid, PetscInt dim)
{
  PetscFunctionBeginUser;
  PetscCheck(dim >= 1 && dim <= STK_MAX_DIM, grid->comm, PETSC_ERR_ARG_OUTOFRANGE, "grid dimension must be in [1, %d], got %" PetscInt_FMT, STK_MAX_DIM, dim);
  grid->dim   = dim;
  grid->setup = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkGridSetOptionsPrefix(StkGrid grid, const char prefix[])
{
  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixSet(&grid->prefix, prefix));
  PetscFunctionReturn(0);
}

PetscErrorCode StkGridAppendOptionsPrefix(StkGrid grid, const char prefix[])
{
  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixAppend(&grid->prefix, prefix));
  PetscFunctionReturn(0);
}

PetscErrorCode StkGridGetOptionsPrefix(StkGrid grid, const char *prefix[])
{
  PetscFunctionBeginUser;
  *prefix = grid->prefix;
  PetscFunctionReturn(0);
}

/* A size differing from explicit coordinates of that direction discards them. */
PetscErrorCode StkGridSetSizes(StkGrid grid, const PetscInt n[])
{
  PetscFunctionBeginUser;
  for (PetscInt k = 0; k < grid->dim; k++) {
    PetscCheck(n[k] >= 3, grid->comm, PETSC_ERR_ARG_OUTOFRANGE, "grid direction %" PetscInt_FMT ": need at least 3 nodes, got %" PetscInt_FMT, k, n[k]);
    if (grid->explicit_coords[k] && n[k] != grid->n[k]) grid->explicit_coords[k] = PETSC_FALSE;
    grid->n[k] = n[k];
  }
  grid->setup = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkGridSetBox(StkGrid grid, const PetscReal lo[], const PetscReal hi[])
{
  PetscFunctionBeginUser;
  for (PetscInt k = 0; k < grid->dim; k++) {
    PetscCheck(lo[k] < hi[k], grid->comm, PETSC_ERR_ARG_OUTOFRANGE, "grid direction %" PetscInt_FMT ": need lo < hi, got [%g, %g]", k, (double)lo[k], (double)hi[k]);
    if (grid->explicit_coords[k]) continue; /* explicit coordinates fix the box */
    grid->lo[k] = lo[k];
    grid->hi[k] = hi[k];
    if (!grid->center_set[k]) grid->center[k] = (lo[k] + hi[k]) / 2;
  }
  grid->setup = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkGridSetStretching(StkGrid grid, PetscInt k, PetscReal center, PetscReal alpha)
{
  PetscFunctionBeginUser;
  PetscCall(CheckDirection(grid, k));
  grid->center[k]     = center;
  grid->center_set[k] = PETSC_TRUE;
  grid->alpha[k]      = alpha;
  grid->setup         = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkGridSetCoordinates(StkGrid grid, PetscInt k, PetscInt n, const PetscReal x[])
{
  PetscFunctionBeginUser;
  PetscCall(CheckDirection(grid, k));
  PetscCheck(n >= 2, grid->comm, PETSC_ERR_ARG_OUTOFRANGE, "grid direction %" PetscInt_FMT ": need at least 2 coordinates, got %" PetscInt_FMT, k, n);
  for (PetscInt i = 0; i + 1 < n; i++)
    PetscCheck(x[i] < x[i + 1], grid->comm, PETSC_ERR_ARG_OUTOFRANGE, "grid direction %" PetscInt_FMT ": coordinates must increase strictly, got x[%" PetscInt_FMT "] = %g >= x[%" PetscInt_FMT "] = %g", k, i, (double)x[i], i + 1, (double)x[i + 1]);
  PetscCall(PetscFree(grid->x[k]));
  PetscCall(PetscMalloc1(n, &grid->x[k]));
  PetscCall(PetscArraycpy(grid->x[k], x, n));
  grid->n[k]               = n;
  grid->lo[k]              = x[0];
  grid->hi[k]              = x[n - 1];
  grid->explicit_coords[k] = PETSC_TRUE;
  grid->setup              = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkGridSetName(StkGrid grid, PetscInt k, const char name[])
{
  size_t len;

  PetscFunctionBeginUser;
  PetscCheck(k >= 0 && k < STK_MAX_DIM, grid->comm, PETSC_ERR_ARG_OUTOFRANGE, "grid direction must be in [0, %d), got %" PetscInt_FMT, STK_MAX_DIM, k);
  PetscCall(PetscStrlen(name, &len));
  PetscCheck(len > 0 && len < sizeof(grid->name[k]), grid->comm, PETSC_ERR_ARG_OUTOFRANGE, "grid direction name must have 1 to %d characters, got '%s'", (int)sizeof(grid->name[k]) - 1, name);
  PetscCall(PetscStrncpy(grid->name[k], name, sizeof(grid->name[k])));
  if (grid->da && k < grid->dim) PetscCall(DMDASetCoordinateName(grid->da, k, name));
  PetscFunctionReturn(0);
}

/* "a,b" of the first dim entries, for help strings. */
static PetscErrorCode FormatList(PetscInt dim, const PetscReal v[], size_t len, char buf[])
{
  size_t used = 0;

  PetscFunctionBeginUser;
  buf[0] = 0;
  for (PetscInt k = 0; k < dim; k++) {
    PetscCall(PetscSNPrintf(buf + used, len - used, k ? ",%g" : "%g", (double)v[k]));
    PetscCall(PetscStrlen(buf, &used));
  }
  PetscFunctionReturn(0);
}

/* A real-array option, one entry per direction, prefilled with the current values. */
static PetscErrorCode OptionRealList(PetscOptionItems *PetscOptionsObject, StkGrid grid, const char opt[], const char what[], const PetscReal current[], PetscReal value[], PetscInt *nread, PetscBool *set)
{
  char help[256], cur[128];

  PetscFunctionBeginUser;
  PetscCall(FormatList(grid->dim, current, sizeof(cur), cur));
  PetscCall(PetscSNPrintf(help, sizeof(help), "%s, one per direction (current %s)", what, cur));
  for (PetscInt k = 0; k < STK_GRID_MAX_LIST; k++) value[k] = k < grid->dim ? current[k] : 0;
  *nread = STK_GRID_MAX_LIST;
  PetscCall(PetscOptionsRealArray(opt, help, "StkGridSetFromOptions", value, nread, set));
  PetscFunctionReturn(0);
}

/* Checked after PetscOptionsEnd() so an error leaves no options block open; `opt` is
 * the bare name, printed with the prefix `pre` in force. */
static PetscErrorCode CheckListLength(StkGrid grid, const char pre[], const char opt[], PetscBool set, PetscInt nread)
{
  PetscFunctionBeginUser;
  PetscCheck(!set || nread == grid->dim, grid->comm, PETSC_ERR_USER_INPUT, "-%s%s needs %" PetscInt_FMT " comma-separated values (one per direction), got %" PetscInt_FMT, pre, opt + 1, grid->dim, nread);
  PetscFunctionReturn(0);
}

static PetscErrorCode CheckSize(StkGrid);

PetscErrorCode StkGridSetFromOptions(StkGrid grid)
{
  enum { LO, HI, STRETCH, CLUSTER, NREAL };
  static const char *const opts[NREAL] = {"-lo", "-hi", "-stretch", "-cluster"};
  PetscInt  n[STK_GRID_MAX_LIST], nn = STK_GRID_MAX_LIST, nr[NREAL];
  PetscReal v[NREAL][STK_GRID_MAX_LIST];
  PetscBool nset, set[NREAL];
  char      help[256], list[128], pre[256];

  PetscFunctionBeginUser;
  PetscCall(GridPrefix(grid, pre, sizeof(pre)));
  PetscCall(PetscSNPrintf(list, sizeof(list), "%" PetscInt_FMT ",%" PetscInt_FMT ",%" PetscInt_FMT, grid->n[0], grid->n[1], grid->n[2]));
  for (size_t i = 0, commas = 0; list[i]; i++)
    if (list[i] == ',' && ++commas == (size_t)grid->dim) list[i] = 0; /* keep dim entries */
  PetscCall(PetscSNPrintf(help, sizeof(help), "Nodes per direction (current %s)", list));
  for (PetscInt k = 0; k < STK_GRID_MAX_LIST; k++) n[k] = k < grid->dim ? grid->n[k] : 0;
  PetscOptionsBegin(grid->comm, pre, "Grid", NULL);
  PetscCall(PetscOptionsIntArray("-n", help, "StkGridSetFromOptions", n, &nn, &nset));
  PetscCall(OptionRealList(PetscOptionsObject, grid, opts[LO], "Lower ends of the box", grid->lo, v[LO], &nr[LO], &set[LO]));
  PetscCall(OptionRealList(PetscOptionsObject, grid, opts[HI], "Upper ends of the box", grid->hi, v[HI], &nr[HI], &set[HI]));
  PetscCall(OptionRealList(PetscOptionsObject, grid, opts[STRETCH], "Sinh stretching width alpha (0 = uniform, smaller clusters harder)", grid->alpha, v[STRETCH], &nr[STRETCH], &set[STRETCH]));
  PetscCall(OptionRealList(PetscOptionsObject, grid, opts[CLUSTER], "Point the stretched nodes cluster around", grid->center, v[CLUSTER], &nr[CLUSTER], &set[CLUSTER]));
  PetscOptionsEnd();

  PetscCall(CheckListLength(grid, pre, "-n", nset, nn));
  for (PetscInt o = 0; o < NREAL; o++) PetscCall(CheckListLength(grid, pre, opts[o], set[o], nr[o]));
  for (PetscInt k = 0; nset && k < grid->dim; k++) PetscCheck(n[k] >= 3, grid->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sn: need at least 3 nodes per dimension, got %" PetscInt_FMT, pre, n[k]);
  for (PetscInt k = 0; k < grid->dim; k++)
    PetscCheck(v[LO][k] < v[HI][k], grid->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%slo must be below -%shi in direction %" PetscInt_FMT ", got lo %g >= hi %g", pre, pre, k, (double)v[LO][k], (double)v[HI][k]);
  if (nset) PetscCall(StkGridSetSizes(grid, n));
  if (nset) PetscCall(CheckSize(grid)); /* before any work, under the spelling the user typed */
  if (set[LO] || set[HI]) PetscCall(StkGridSetBox(grid, v[LO], v[HI]));
  for (PetscInt k = 0; k < grid->dim; k++) {
    /* -grid_stretch alone keeps the center, which still follows the box if never set */
    if (set[CLUSTER]) PetscCall(StkGridSetStretching(grid, k, v[CLUSTER][k], v[STRETCH][k]));
    else if (set[STRETCH]) grid->alpha[k] = v[STRETCH][k], grid->setup = PETSC_FALSE;
  }
  PetscFunctionReturn(0);
}

/* Nodes of direction k: uniform, or x(xi) = c + alpha sinh(c2 xi + c1 (1 - xi)) with
 * xi uniform in [0, 1] (Tavella-Randall), dense near c; the ends are set exactly. */
static PetscErrorCode BuildCoordinates(StkGrid grid, PetscInt k)
{
  const PetscInt  n = grid->n[k];
  const PetscReal lo = grid->lo[k], hi = grid->hi[k], c = grid->center[k], alpha = grid->alpha[k];
  PetscReal      *x;
  char            pre[256];

  PetscFunctionBeginUser;
  PetscCall(GridPrefix(grid, pre, sizeof(pre)));
  PetscCheck(lo < hi, grid->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%slo must be below -%shi in direction %" PetscInt_FMT ", got lo %g >= hi %g", pre, pre, k, (double)lo, (double)hi);
  PetscCall(PetscFree(grid->x[k]));
  PetscCall(PetscMalloc1(n, &grid->x[k]));
  x = grid->x[k];
  if (alpha > 0) {
    PetscCheck(lo < c && c < hi, grid->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%scluster must lie strictly inside the box in direction %" PetscInt_FMT ": got %g, box [%g, %g]", pre, k, (double)c, (double)lo, (double)hi);
    const PetscReal c1 = PetscAsinhReal((lo - c) / alpha), c2 = PetscAsinhReal((hi - c) / alpha);
    for (PetscInt i = 0; i < n; i++) {
      const PetscReal xi = (PetscReal)i / (PetscReal)(n - 1);
      x[i] = c + alpha * PetscSinhReal(c2 * xi + c1 * (1 - xi));
    }
  } else {
    for (PetscInt i = 0; i < n; i++) x[i] = lo + (hi - lo) * ((PetscReal)i / (PetscReal)(n - 1));
  }
  x[0]     = lo;
  x[n - 1] = hi;
  for (PetscInt i = 0; i + 1 < n; i++) PetscCheck(x[i] < x[i + 1], grid->comm, PETSC_ERR_ARG_OUTOFRANGE, "grid direction %" PetscInt_FMT ": stretching (-%sstretch %g) too strong for %" PetscInt_FMT " nodes: coincident nodes", k, pre, (double)alpha, n);
  PetscFunctionReturn(0);
}

static PetscErrorCode BuildDualWidths(StkGrid grid, PetscInt k)
{
  const PetscInt   n = grid->n[k];
  const PetscReal *x = grid->x[k];

  PetscFunctionBeginUser;
  PetscCall(PetscFree(grid->w[k]));
  PetscCall(PetscMalloc1(n, &grid->w[k]));
  grid->w[k][0]     = (x[1] - x[0]) / 2;
  grid->w[k][n - 1] = (x[n - 1] - x[n - 2]) / 2;
  for (PetscInt i = 1; i < n - 1; i++) grid->w[k][i] = (x[i + 1] - x[i - 1]) / 2;
  PetscFunctionReturn(0);
}

/* The DMDA's coordinates are the real (possibly stretched) nodes, so PETSc viewers show them. */
static PetscErrorCode SetDMCoordinates(StkGrid grid)
{
  DM          cdm;
  Vec         uniform, coords;
  PetscInt    xs[3] = {0, 0, 0}, xm[3] = {1, 1, 1};
  PetscScalar *a;

  PetscFunctionBeginUser;
  PetscCall(DMDASetUniformCoordinates(grid->da, grid->lo[0], grid->hi[0], grid->lo[1], grid->hi[1], grid->lo[2], grid->hi[2]));
  PetscCall(DMGetCoordinateDM(grid->da, &cdm));
  PetscCall(DMGetCoordinates(grid->da, &uniform));
  PetscCall(VecDuplicate(uniform, &coords));
  PetscCall(DMDAGetCorners(grid->da, &xs[0], &xs[1], &xs[2], &xm[0], &xm[1], &xm[2]));
  for (PetscInt k = grid->dim; k < 3; k++) xs[k] = 0, xm[k] = 1;
  PetscCall(VecGetArray(coords, &a));
  /* owned block in natural order with direction 0 fastest, dim interleaved components */
  for (PetscInt i2 = 0; i2 < xm[2]; i2++)
    for (PetscInt i1 = 0; i1 < xm[1]; i1++)
      for (PetscInt i0 = 0; i0 < xm[0]; i0++) {
        const PetscInt idx[3] = {xs[0] + i0, xs[1] + i1, xs[2] + i2}, off = ((i2 * xm[1] + i1) * xm[0] + i0) * grid->dim;
        for (PetscInt k = 0; k < grid->dim; k++) a[off + k] = grid->x[k][idx[k]];
      }
  PetscCall(VecRestoreArray(coords, &a));
  PetscCall(DMSetCoordinates(grid->da, coords));
  PetscCall(VecDestroy(&coords));
  PetscFunctionReturn(0);
}

static PetscErrorCode CreateDA(StkGrid grid)
{
  const PetscInt *n = grid->n;

  PetscFunctionBeginUser;
  PetscCall(DMDestroy(&grid->da));
  switch (grid->dim) {
  case 1: PetscCall(DMDACreate1d(grid->comm, DM_BOUNDARY_NONE, n[0], 1, 1, NULL, &grid->da)); break;
  case 2: PetscCall(DMDACreate2d(grid->comm, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DMDA_STENCIL_STAR, n[0], n[1], PETSC_DECIDE, PETSC_DECIDE, 1, 1, NULL, NULL, &grid->da)); break;
  default:
    PetscCall(DMDACreate3d(grid->comm, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DMDA_STENCIL_STAR, n[0], n[1], n[2], PETSC_DECIDE, PETSC_DECIDE, PETSC_DECIDE, 1, 1, NULL, NULL, NULL, &grid->da));
    break;
  }
  /* no DMSetFromOptions: the program, not -da_* options, controls the layout */
  PetscCall(DMSetUp(grid->da));
  for (PetscInt k = 0; k < grid->dim; k++) PetscCall(DMDASetCoordinateName(grid->da, k, grid->name[k]));
  PetscCall(DMDASetFieldName(grid->da, 0, "value"));
  PetscCall(SetDMCoordinates(grid));
  PetscFunctionReturn(0);
}

PetscErrorCode StkGridGetSolveBytesPerNode(PetscInt dim, PetscReal *bytes)
{
  PetscFunctionBeginUser;
  *bytes = dim == 3 ? STK_GRID_BYTES_PER_NODE_3D : STK_GRID_BYTES_PER_NODE;
  PetscFunctionReturn(0);
}

/* Before any allocation: the node count fits PetscInt, and a solve on this grid
 * (STK_GRID_BYTES_PER_NODE, or _3D) fits the memory budget. */
static PetscErrorCode CheckSize(StkGrid grid)
{
  char      pre[256], what[256], sizes[128] = "";
  PetscReal nodes = 1, per_node;

  PetscFunctionBeginUser;
  PetscCall(StkGridGetSolveBytesPerNode(grid->dim, &per_node));
  PetscCall(GridPrefix(grid, pre, sizeof(pre)));
  for (PetscInt k = 0; k < grid->dim; k++) {
    char one[32];
    nodes *= (PetscReal)grid->n[k];
    PetscCall(PetscSNPrintf(one, sizeof(one), k ? ",%" PetscInt_FMT : "%" PetscInt_FMT, grid->n[k]));
    PetscCall(PetscStrlcat(sizes, one, sizeof(sizes)));
  }
  PetscCall(PetscSNPrintf(what, sizeof(what), "-%sn %s (%.4g nodes; a solve takes about %.0f bytes per node)", pre, sizes, (double)nodes, (double)per_node));
  PetscCheck(nodes <= (PetscReal)PETSC_MAX_INT, grid->comm, PETSC_ERR_USER_INPUT, "-%sn %s: %.4g nodes, more than the %" PetscInt_FMT " this PETSc build can index", pre, sizes, (double)nodes, (PetscInt)PETSC_MAX_INT);
  PetscCall(StkMemoryCheck(grid->comm, nodes * per_node, what));
  PetscFunctionReturn(0);
}

PetscErrorCode StkGridSetUp(StkGrid grid)
{
  PetscFunctionBeginUser;
  if (!grid->explicit_coords[0]) PetscCall(CheckSize(grid));
  for (PetscInt k = 0; k < grid->dim; k++) {
    if (!grid->explicit_coords[k]) PetscCall(BuildCoordinates(grid, k));
    PetscCall(BuildDualWidths(grid, k));
  }
  PetscCall(CreateDA(grid));
  grid->setup = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/* One line per direction: "s: 65 nodes on [0, 1], uniform, spacing 0.0156 to 0.0156". */
static PetscErrorCode ViewDirection(StkGrid grid, PetscInt k, PetscViewer viewer)
{
  char      line[256], kind[96], spacing[64] = "";
  PetscReal hmin = PETSC_MAX_REAL, hmax = 0;

  PetscFunctionBeginUser;
  if (grid->explicit_coords[k]) PetscCall(PetscStrncpy(kind, "explicit coordinates", sizeof(kind)));
  else if (grid->alpha[k] > 0) PetscCall(PetscSNPrintf(kind, sizeof(kind), "sinh stretching alpha %g around %g", (double)grid->alpha[k], (double)grid->center[k]));
  else PetscCall(PetscStrncpy(kind, "uniform", sizeof(kind)));
  if (grid->setup) {
    for (PetscInt i = 0; i + 1 < grid->n[k]; i++) {
      hmin = PetscMin(hmin, grid->x[k][i + 1] - grid->x[k][i]);
      hmax = PetscMax(hmax, grid->x[k][i + 1] - grid->x[k][i]);
    }
    PetscCall(PetscSNPrintf(spacing, sizeof(spacing), ", spacing %.3g to %.3g", (double)hmin, (double)hmax));
  }
  PetscCall(PetscSNPrintf(line, sizeof(line), "%s: %" PetscInt_FMT " nodes on [%g, %g], %s%s", grid->name[k], grid->n[k], (double)grid->lo[k], (double)grid->hi[k], kind, spacing));
  PetscCall(PetscViewerASCIIPrintf(viewer, "%s\n", line));
  PetscFunctionReturn(0);
}

PetscErrorCode StkGridView(StkGrid grid, PetscViewer viewer)
{
  PetscBool   ascii;
  PetscMPIInt size;
  PetscInt    procs[3] = {1, 1, 1};
  char        layout[64];

  PetscFunctionBeginUser;
  if (!viewer) viewer = PETSC_VIEWER_STDOUT_(grid->comm);
  PetscCall(PetscObjectTypeCompare((PetscObject)viewer, PETSCVIEWERASCII, &ascii));
  if (!ascii) PetscFunctionReturn(0);
  PetscCall(PetscViewerASCIIPrintf(viewer, "StkGrid: dimension %" PetscInt_FMT "%s\n", grid->dim, grid->setup ? "" : " (not set up)"));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  for (PetscInt k = 0; k < grid->dim; k++) PetscCall(ViewDirection(grid, k, viewer));
  if (grid->setup) {
    PetscCallMPI(MPI_Comm_size(grid->comm, &size));
    PetscCall(DMDAGetInfo(grid->da, NULL, NULL, NULL, NULL, &procs[0], &procs[1], &procs[2], NULL, NULL, NULL, NULL, NULL, NULL));
    if (grid->dim == 1) PetscCall(PetscSNPrintf(layout, sizeof(layout), "%" PetscInt_FMT, procs[0]));
    else if (grid->dim == 2) PetscCall(PetscSNPrintf(layout, sizeof(layout), "%" PetscInt_FMT " x %" PetscInt_FMT, procs[0], procs[1]));
    else PetscCall(PetscSNPrintf(layout, sizeof(layout), "%" PetscInt_FMT " x %" PetscInt_FMT " x %" PetscInt_FMT, procs[0], procs[1], procs[2]));
    PetscCall(PetscViewerASCIIPrintf(viewer, "%d MPI ranks laid out %s\n", (int)size, layout));
  }
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(0);
}

PetscErrorCode StkGridDestroy(StkGrid *grid)
{
  PetscFunctionBeginUser;
  if (!grid || !*grid) PetscFunctionReturn(0);
  for (PetscInt k = 0; k < STK_MAX_DIM; k++) {
    PetscCall(PetscFree((*grid)->x[k]));
    PetscCall(PetscFree((*grid)->w[k]));
  }
  PetscCall(DMDestroy(&(*grid)->da));
  PetscCall(PetscFree((*grid)->prefix));
  PetscCall(PetscFree(*grid));
  PetscFunctionReturn(0);
}

PetscErrorCode StkGridGetComm(StkGrid grid, MPI_Comm *comm)
{
  PetscFunctionBeginUser;
  *comm = grid->comm;
  PetscFunctionReturn(0);
}

PetscErrorCode StkGridGetDM(StkGrid grid, DM *da)
{
  PetscFunctionBeginUser;
  PetscCall(CheckSetUp(grid));
  *da = grid->da;
  PetscFunctionReturn(0);
}

PetscErrorCode StkGridGetDimension(StkGrid grid, PetscInt *dim)
{
  PetscFunctionBeginUser;
  *dim = grid->dim;
  PetscFunctionReturn(0);
}

PetscErrorCode StkGridGetSizes(StkGrid grid, PetscInt n[])
{
  PetscFunctionBeginUser;
  for (PetscInt k = 0; k < grid->dim; k++) n[k] = grid->n[k];
  PetscFunctionReturn(0);
}

PetscErrorCode StkGridGetNumNodes(StkGrid grid, PetscInt *total)
{
  PetscFunctionBeginUser;
  *total = 1;
  for (PetscInt k = 0; k < grid->dim; k++) *total *= grid->n[k];
  PetscFunctionReturn(0);
}

PetscErrorCode StkGridGetName(StkGrid grid, PetscInt k, const char **name)
{
  PetscFunctionBeginUser;
  PetscCall(CheckDirection(grid, k));
  *name = grid->name[k];
  PetscFunctionReturn(0);
}

PetscErrorCode StkGridGetCoordinates(StkGrid grid, PetscInt k, const PetscReal **x)
{
  PetscFunctionBeginUser;
  PetscCall(CheckSetUp(grid));
  PetscCall(CheckDirection(grid, k));
  *x = grid->x[k];
  PetscFunctionReturn(0);
}

PetscErrorCode StkGridGetDualWidths(StkGrid grid, PetscInt k, const PetscReal **w)
{
  PetscFunctionBeginUser;
  PetscCall(CheckSetUp(grid));
  PetscCall(CheckDirection(grid, k));
  *w = grid->w[k];
  PetscFunctionReturn(0);
}

/* The caller always DMDestroy's the result (for ncomp == 1 a new reference to the grid's DM). */
PetscErrorCode StkGridCreateComponentDM(StkGrid grid, PetscInt ncomp, DM *da)
{
  PetscFunctionBeginUser;
  PetscCall(CheckSetUp(grid));
  PetscCheck(ncomp >= 1, grid->comm, PETSC_ERR_ARG_OUTOFRANGE, "number of components must be >= 1, got %" PetscInt_FMT, ncomp);
  if (ncomp == 1) {
    PetscCall(PetscObjectReference((PetscObject)grid->da));
    *da = grid->da;
  } else PetscCall(DMDACreateCompatibleDMDA(grid->da, ncomp, da));
  PetscFunctionReturn(0);
}

/* The vector's own DMDA if it has the right number of components, else a compatible one. */
static PetscErrorCode GetFieldDM(StkGrid grid, Vec global, DM *dm)
{
  PetscInt N, total, dof = -1;
  DM       vdm;

  PetscFunctionBeginUser;
  PetscCall(VecGetSize(global, &N));
  PetscCall(StkGridGetNumNodes(grid, &total));
  PetscCheck(N % total == 0, grid->comm, PETSC_ERR_ARG_SIZ, "vector of size %" PetscInt_FMT " does not hold whole nodes of a grid of %" PetscInt_FMT " nodes", N, total);
  PetscCall(VecGetDM(global, &vdm));
  if (vdm) PetscCall(DMDAGetInfo(vdm, NULL, NULL, NULL, NULL, NULL, NULL, NULL, &dof, NULL, NULL, NULL, NULL, NULL));
  if (vdm && dof == N / total) {
    PetscCall(PetscObjectReference((PetscObject)vdm));
    *dm = vdm;
  } else PetscCall(StkGridCreateComponentDM(grid, N / total, dm));
  PetscFunctionReturn(0);
}

static PetscErrorCode GatherNatural(StkGrid grid, Vec global, PetscBool to_all, Vec *gathered)
{
  DM         dm;
  Vec        natural;
  VecScatter scatter;

  PetscFunctionBeginUser;
  PetscCall(CheckSetUp(grid));
  PetscCall(GetFieldDM(grid, global, &dm));
  PetscCall(DMDACreateNaturalVector(dm, &natural));
  PetscCall(DMDAGlobalToNaturalBegin(dm, global, INSERT_VALUES, natural));
  PetscCall(DMDAGlobalToNaturalEnd(dm, global, INSERT_VALUES, natural));
  if (to_all) PetscCall(VecScatterCreateToAll(natural, &scatter, gathered));
  else PetscCall(VecScatterCreateToZero(natural, &scatter, gathered));
  PetscCall(VecScatterBegin(scatter, natural, *gathered, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(scatter, natural, *gathered, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterDestroy(&scatter));
  PetscCall(VecDestroy(&natural));
  PetscCall(DMDestroy(&dm));
  PetscFunctionReturn(0);
}

PetscErrorCode StkGridGatherField(StkGrid grid, Vec global, Vec *natural_all)
{
  PetscFunctionBeginUser;
  PetscCall(GatherNatural(grid, global, PETSC_TRUE, natural_all));
  PetscFunctionReturn(0);
}

PetscErrorCode StkGridGatherFieldToZero(StkGrid grid, Vec global, Vec *natural_zero)
{
  PetscFunctionBeginUser;
  PetscCall(GatherNatural(grid, global, PETSC_FALSE, natural_zero));
  PetscFunctionReturn(0);
}

PetscErrorCode StkGridLocate(StkGrid grid, const PetscReal x[], PetscInt cell[], PetscReal frac[])
{
  PetscFunctionBeginUser;
  PetscCall(CheckSetUp(grid));
  for (PetscInt k = 0; k < grid->dim; k++) {
    const PetscReal *xk = grid->x[k];
    const PetscInt   n  = grid->n[k];
    PetscReal        p;
    PetscInt         a = 0, b = n - 2; /* invariant: the cell is in [a, b] */

    PetscCheck(!PetscIsNanReal(x[k]), grid->comm, PETSC_ERR_FP, "cannot locate a NaN coordinate (direction %s)", grid->name[k]);
    p = PetscClipInterval(x[k], xk[0], xk[n - 1]);
    {
      /* the cell of an evenly spaced grid as a first guess: on most grids it is the cell,
       * and the bisection (the same answer) is left for the others */
      const PetscInt g = PetscMin(PetscMax((PetscInt)((p - xk[0]) / (xk[n - 1] - xk[0]) * (n - 1)), 0), n - 2);
      if (xk[g] <= p && (g == n - 2 || p < xk[g + 1])) a = b = g;
    }
    while (a < b) {
      const PetscInt mid = (a + b + 1) / 2;
      if (xk[mid] <= p) a = mid;
      else b = mid - 1;
    }
    cell[k] = a;
    frac[k] = PetscClipInterval((p - xk[a]) / (xk[a + 1] - xk[a]), 0, 1);
  }
  PetscFunctionReturn(0);
}

/* Natural-order node index of cell corner `corner` (bit k set: upper node in direction k). */
static inline PetscInt CornerIndex(StkGrid grid, const PetscInt cell[], PetscInt corner)
{
  PetscInt idx = 0, stride = 1;
  for (PetscInt k = 0; k < grid->dim; k++) {
    idx += (cell[k] + ((corner >> k) & 1)) * stride;
    stride *= grid->n[k];
  }
  return idx;
}

static inline PetscReal CornerWeight(StkGrid grid, const PetscReal frac[], PetscInt corner)
{
  PetscReal wgt = 1;
  for (PetscInt k = 0; k < grid->dim; k++) wgt *= ((corner >> k) & 1) ? frac[k] : 1 - frac[k];
  return wgt;
}

static PetscErrorCode CheckComponent(StkGrid grid, PetscInt ncomp, PetscInt c)
{
  PetscFunctionBeginUser;
  PetscCheck(ncomp >= 1 && c >= 0 && c < ncomp, grid->comm, PETSC_ERR_ARG_OUTOFRANGE, "component %" PetscInt_FMT " out of range for %" PetscInt_FMT " components", c, ncomp);
  PetscFunctionReturn(0);
}

PetscErrorCode StkGridInterpolate(StkGrid grid, const PetscScalar field[], PetscInt ncomp, PetscInt c, const PetscReal x[], PetscReal *value)
{
  PetscInt  cell[STK_MAX_DIM];
  PetscReal frac[STK_MAX_DIM], v = 0;

  PetscFunctionBeginUser;
  PetscCall(CheckComponent(grid, ncomp, c));
  PetscCall(StkGridLocate(grid, x, cell, frac));
  for (PetscInt corner = 0; corner < (1 << grid->dim); corner++) {
    const PetscReal wgt = CornerWeight(grid, frac, corner);
    if (wgt != 0) v += wgt * PetscRealPart(field[CornerIndex(grid, cell, corner) * ncomp + c]);
  }
  *value = v;
  PetscFunctionReturn(0);
}

/* Value of component c at the node with natural indices idx if this rank owns it, else 0. */
static PetscErrorCode OwnedNodeValue(StkGrid grid, const PetscScalar *a, PetscInt ncomp, PetscInt c, const PetscInt idx[], PetscReal *v)
{
  PetscInt s[3], m[3], offset = 0, stride = 1;

  PetscFunctionBeginUser;
  *v = 0;
  PetscCall(DMDAGetCorners(grid->da, &s[0], &s[1], &s[2], &m[0], &m[1], &m[2]));
  for (PetscInt k = 0; k < grid->dim; k++) {
    if (idx[k] < s[k] || idx[k] >= s[k] + m[k]) PetscFunctionReturn(0);
    offset += (idx[k] - s[k]) * stride;
    stride *= m[k];
  }
  *v = PetscRealPart(a[offset * ncomp + c]);
  PetscFunctionReturn(0);
}

PetscErrorCode StkGridInterpolateVec(StkGrid grid, Vec global, PetscInt ncomp, PetscInt c, const PetscReal x[], PetscReal *value)
{
  PetscInt           cell[STK_MAX_DIM];
  PetscReal          frac[STK_MAX_DIM], corner_value[1 << STK_MAX_DIM], v = 0;
  const PetscScalar *a;

  PetscFunctionBeginUser;
  PetscCall(CheckSetUp(grid));
  PetscCall(CheckComponent(grid, ncomp, c));
  PetscCall(StkGridLocate(grid, x, cell, frac));
  PetscCall(VecGetArrayRead(global, &a));
  for (PetscInt corner = 0; corner < (1 << grid->dim); corner++) {
    PetscInt idx[STK_MAX_DIM];
    for (PetscInt k = 0; k < grid->dim; k++) idx[k] = PetscMin(cell[k] + ((corner >> k) & 1), grid->n[k] - 1);
    PetscCall(OwnedNodeValue(grid, a, ncomp, c, idx, &corner_value[corner]));
  }
  PetscCall(VecRestoreArrayRead(global, &a));
  /* each corner has exactly one owner, so the sum is exact */
  PetscCall(MPIU_Allreduce(MPI_IN_PLACE, corner_value, 1 << grid->dim, MPIU_REAL, MPIU_SUM, grid->comm));
  for (PetscInt corner = 0; corner < (1 << grid->dim); corner++) {
    const PetscReal wgt = CornerWeight(grid, frac, corner);
    if (wgt != 0) v += wgt * corner_value[corner];
  }
  *value = v;
  PetscFunctionReturn(0);
}

/* The PETSc (global Vec) index of the node with natural indices idx: the DMDA numbers the
 * ranks' boxes one after the other (x fastest among ranks as within a box). start[k][p] is
 * the first index of the p-th box along k (p = procs[k]: the size). */
static PetscInt PetscNodeIndex(const StkGrid grid, const PetscInt procs[], PetscInt *const start[], const PetscInt idx[])
{
  PetscInt box[STK_MAX_DIM], size[STK_MAX_DIM], offset = 0, local = 0, span = 1;

  for (PetscInt k = 0; k < grid->dim; k++) {
    PetscInt p = 0;
    while (idx[k] >= start[k][p + 1]) p++;
    box[k]  = p;
    size[k] = start[k][p + 1] - start[k][p];
  }
  /* the boxes before this one: whole slabs of the slower directions, then the partial row */
  for (PetscInt k = grid->dim - 1; k >= 0; k--) {
    PetscInt cross = 1;
    for (PetscInt j = 0; j < k; j++) cross *= grid->n[j];
    for (PetscInt j = k + 1; j < grid->dim; j++) cross *= size[j];
    offset += start[k][box[k]] * cross;
  }
  for (PetscInt k = 0; k < grid->dim; k++) {
    local += (idx[k] - start[k][box[k]]) * span;
    span *= size[k];
  }
  return offset + local;
}

/* The box of nodes spanned by the located cells (lo, m: first node and count). */
static void CellsBox(StkGrid grid, PetscInt npoints, const PetscInt cell[], PetscInt lo[], PetscInt m[])
{
  for (PetscInt k = 0; k < grid->dim; k++) {
    PetscInt hi = -1;
    lo[k] = grid->n[k];
    for (PetscInt i = 0; i < npoints; i++) {
      lo[k] = PetscMin(lo[k], cell[i * grid->dim + k]);
      hi    = PetscMax(hi, PetscMin(cell[i * grid->dim + k] + 1, grid->n[k] - 1));
    }
    m[k] = npoints ? hi - lo[k] + 1 : 0;
  }
}

/* The values of `global` (ncomp per node) at the nodes of the box, natural order within it. */
static PetscErrorCode GatherBox(StkGrid grid, Vec global, PetscInt ncomp, const PetscInt lo[], const PetscInt m[], Vec *values)
{
  const PetscInt *ranges[STK_MAX_DIM] = {NULL, NULL, NULL};
  PetscInt        procs[STK_MAX_DIM] = {1, 1, 1}, *start[STK_MAX_DIM], *nodes, count = 1;
  IS              is;
  VecScatter      scatter;

  PetscFunctionBeginUser;
  PetscCall(DMDAGetInfo(grid->da, NULL, NULL, NULL, NULL, &procs[0], &procs[1], &procs[2], NULL, NULL, NULL, NULL, NULL, NULL));
  PetscCall(DMDAGetOwnershipRanges(grid->da, &ranges[0], &ranges[1], &ranges[2]));
  for (PetscInt k = 0; k < grid->dim; k++) {
    PetscCall(PetscMalloc1(procs[k] + 1, &start[k]));
    start[k][0] = 0;
    for (PetscInt p = 0; p < procs[k]; p++) start[k][p + 1] = start[k][p] + ranges[k][p];
    count *= m[k];
  }
  PetscCall(PetscMalloc1(count, &nodes));
  for (PetscInt b = 0; b < count; b++) {
    PetscInt idx[STK_MAX_DIM], rest = b;
    for (PetscInt k = 0; k < grid->dim; k++) {
      idx[k] = lo[k] + rest % m[k];
      rest /= m[k];
    }
    nodes[b] = PetscNodeIndex(grid, procs, start, idx);
  }
  for (PetscInt k = 0; k < grid->dim; k++) PetscCall(PetscFree(start[k]));
  PetscCall(ISCreateBlock(PETSC_COMM_SELF, ncomp, count, nodes, PETSC_OWN_POINTER, &is));
  PetscCall(VecCreateSeq(PETSC_COMM_SELF, count * ncomp, values));
  PetscCall(VecScatterCreate(global, is, *values, NULL, &scatter));
  PetscCall(VecScatterBegin(scatter, global, *values, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(scatter, global, *values, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterDestroy(&scatter));
  PetscCall(ISDestroy(&is));
  PetscFunctionReturn(0);
}

PetscErrorCode StkGridInterpolateVecAt(StkGrid grid, Vec global, PetscInt ncomp, PetscInt npoints, const PetscReal x[], PetscReal values[])
{
  PetscInt           lo[STK_MAX_DIM] = {0}, m[STK_MAX_DIM], *cell, nlocal, nowned;
  PetscReal         *frac;
  const PetscScalar *a;
  Vec                box = NULL;
  PetscMPIInt        size;
  const PetscInt     dim = grid->dim;

  PetscFunctionBeginUser;
  PetscCall(CheckSetUp(grid));
  PetscCall(CheckComponent(grid, ncomp, 0));
  PetscCall(VecGetLocalSize(global, &nlocal));
  PetscCall(DMDAGetCorners(grid->da, NULL, NULL, NULL, &m[0], &m[1], &m[2]));
  nowned = m[0] * (dim > 1 ? m[1] : 1) * (dim > 2 ? m[2] : 1);
  PetscCheck(nlocal == nowned * ncomp, grid->comm, PETSC_ERR_ARG_SIZ, "vector with %" PetscInt_FMT " local entries is not a field of %" PetscInt_FMT " components on the grid's layout (%" PetscInt_FMT " nodes here)", nlocal, ncomp, nowned);
  PetscCall(PetscMalloc2(npoints * dim, &cell, npoints * dim, &frac));
  for (PetscInt i = 0; i < npoints; i++) PetscCall(StkGridLocate(grid, &x[i * dim], &cell[i * dim], &frac[i * dim]));
  PetscCallMPI(MPI_Comm_size(grid->comm, &size));
  if (size == 1) { /* one rank: the global Vec is the whole field in natural order */
    for (PetscInt k = 0; k < dim; k++) m[k] = grid->n[k];
    PetscCall(VecGetArrayRead(global, &a));
  } else {
    CellsBox(grid, npoints, cell, lo, m);
    PetscCall(GatherBox(grid, global, ncomp, lo, m, &box));
    PetscCall(VecGetArrayRead(box, &a));
  }
  for (PetscInt i = 0; i < npoints; i++) {
    for (PetscInt c = 0; c < ncomp; c++) {
      PetscReal v = 0; /* the sum of StkGridInterpolate, in its order */
      for (PetscInt corner = 0; corner < (1 << dim); corner++) {
        const PetscReal wgt = CornerWeight(grid, &frac[i * dim], corner);
        PetscInt        b = 0, stride = 1;
        for (PetscInt k = 0; k < dim; k++) {
          b += (PetscMin(cell[i * dim + k] + ((corner >> k) & 1), grid->n[k] - 1) - lo[k]) * stride;
          stride *= m[k];
        }
        if (wgt != 0) v += wgt * PetscRealPart(a[b * ncomp + c]);
      }
      values[i * ncomp + c] = v;
    }
  }
  if (box) {
    PetscCall(VecRestoreArrayRead(box, &a));
    PetscCall(VecDestroy(&box));
  } else PetscCall(VecRestoreArrayRead(global, &a));
  PetscCall(PetscFree2(cell, frac));
  PetscFunctionReturn(0);
}

PetscErrorCode StkGridInterpolateGradient(StkGrid grid, const PetscScalar field[], PetscInt ncomp, PetscInt c, const PetscReal x[], PetscInt k, PetscReal *forward, PetscReal *backward)
{
  PetscInt         cell[STK_MAX_DIM], stride = 1;
  PetscReal        frac[STK_MAX_DIM], fw = 0, bw = 0;
  const PetscReal *xk;

  PetscFunctionBeginUser;
  PetscCall(CheckComponent(grid, ncomp, c));
  PetscCall(CheckDirection(grid, k));
  PetscCall(StkGridLocate(grid, x, cell, frac));
  for (PetscInt j = 0; j < k; j++) stride *= grid->n[j];
  xk = grid->x[k];
  for (PetscInt corner = 0; corner < (1 << grid->dim); corner++) {
    const PetscReal wgt = CornerWeight(grid, frac, corner);
    const PetscInt  idx = CornerIndex(grid, cell, corner), i = cell[k] + ((corner >> k) & 1);
    const PetscReal v   = PetscRealPart(field[idx * ncomp + c]);

    if (wgt == 0) continue;
    if (i + 1 < grid->n[k]) fw += wgt * (PetscRealPart(field[(idx + stride) * ncomp + c]) - v) / (xk[i + 1] - xk[i]);
    if (i > 0) bw += wgt * (v - PetscRealPart(field[(idx - stride) * ncomp + c])) / (xk[i] - xk[i - 1]);
  }
  *forward  = fw;
  *backward = bw;
  PetscFunctionReturn(0);
}

/* A grid like `grid` (prefix, names) with every other node (refine false) or a node in the
 * middle of every cell (refine true). */
static PetscErrorCode CreateResampled(StkGrid grid, PetscBool refine, StkGrid *out)
{
  StkGrid g;

  PetscFunctionBeginUser;
  PetscCall(CheckSetUp(grid));
  for (PetscInt k = 0; k < grid->dim; k++) PetscCheck(refine || (grid->n[k] - 1) % 2 == 0, grid->comm, PETSC_ERR_ARG_WRONG, "cannot coarsen direction %" PetscInt_FMT " of %" PetscInt_FMT " nodes: n - 1 must be even", k, grid->n[k]);
  PetscCall(StkGridCreate(grid->comm, &g));
  PetscCall(StkGridSetOptionsPrefix(g, grid->prefix));
  PetscCall(StkGridSetDimension(g, grid->dim));
  for (PetscInt k = 0; k < grid->dim; k++) {
    const PetscInt   n = grid->n[k], m = refine ? 2 * (n - 1) + 1 : (n - 1) / 2 + 1;
    const PetscReal *x = grid->x[k];
    PetscReal       *y;
    PetscCall(PetscMalloc1(m, &y));
    if (refine) {
      for (PetscInt i = 0; i < n; i++) y[2 * i] = x[i];
      for (PetscInt i = 0; i + 1 < n; i++) y[2 * i + 1] = 0.5 * (x[i] + x[i + 1]);
    } else
      for (PetscInt i = 0; i < m; i++) y[i] = x[2 * i];
    PetscCall(StkGridSetCoordinates(g, k, m, y));
    PetscCall(PetscFree(y));
    PetscCall(StkGridSetName(g, k, grid->name[k]));
  }
  PetscCall(StkGridSetUp(g));
  *out = g;
  PetscFunctionReturn(0);
}

PetscErrorCode StkGridCreateCoarsened(StkGrid grid, StkGrid *coarse)
{
  PetscFunctionBeginUser;
  PetscCall(CreateResampled(grid, PETSC_FALSE, coarse));
  PetscFunctionReturn(0);
}

PetscErrorCode StkGridCreateRefined(StkGrid grid, StkGrid *fine)
{
  PetscFunctionBeginUser;
  PetscCall(CreateResampled(grid, PETSC_TRUE, fine));
  PetscFunctionReturn(0);
}
