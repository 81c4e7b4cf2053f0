/* Three state dimensions (issue 12, item 5): the 3-D grid (layout, trilinear
 * interpolation exact on trilinear fields, the distributed interpolation bitwise equal to
 * the gathered one, one-sided gradients at nodes, refine/coarsen), the 3x3 Riccati
 * solution of the 3-D LQ model, the 3-D operator an M-matrix for random policies, and
 * the solution file of a 3-D solve read back bitwise with its XDMF 3DRectMesh sidecar,
 * grid sequencing in 3-D.
 * Runs on any number of ranks (meson: 1, 2 and 3). */
#define _POSIX_C_SOURCE 200809L /* getpid, unlink */
#include "stk_test_problem.h"
#include "stk_riccati.h"
#include <string.h>
#include <unistd.h>
#include <hdf5.h>
#include <hdf5_hl.h>

static PetscMPIInt Rank(void)
{
  PetscMPIInt rank;
  assert_int_equal(MPI_Comm_rank(PETSC_COMM_WORLD, &rank), 0);
  return rank;
}

/* One name for all ranks: rank 0 picks it from its pid, then broadcasts it. */
static void TempPath(const char tag[], const char ext[], size_t len, char path[])
{
  snprintf(path, len, "/tmp/stk_test_d3.%ld.%s%s", (long)getpid(), tag, ext);
  assert_int_equal(MPI_Bcast(path, (int)len, MPI_CHAR, 0, PETSC_COMM_WORLD), 0);
}

/* A set-up 3-D grid of n[0] x n[1] x n[2] nodes on [-1, 2] x [0, 1] x [0.5, 3], direction 1
 * stretched (so the interpolation sees unequal cells). */
static StkGrid Grid3d(const PetscInt n[3])
{
  StkGrid         grid;
  const PetscReal lo[3] = {-1, 0, 0.5}, hi[3] = {2, 1, 3};

  assert_petsc(StkGridCreate(PETSC_COMM_WORLD, &grid));
  assert_petsc(StkGridSetDimension(grid, 3));
  assert_petsc(StkGridSetSizes(grid, n));
  assert_petsc(StkGridSetBox(grid, lo, hi));
  assert_petsc(StkGridSetStretching(grid, 1, 0.3, 0.2));
  assert_petsc(StkGridSetName(grid, 0, "a"));
  assert_petsc(StkGridSetName(grid, 1, "b"));
  assert_petsc(StkGridSetName(grid, 2, "c"));
  assert_petsc(StkGridSetUp(grid));
  return grid;
}

/* A trilinear function (multilinear interpolation reproduces it), component c of 2. */
static PetscReal Trilinear(const PetscReal x[3], PetscInt c)
{
  return 0.3 + (1 + c) * x[0] - 0.7 * x[1] + 2.1 * x[2] + 0.4 * x[0] * x[1] - (0.9 + c) * x[1] * x[2] + 0.25 * x[0] * x[2] + 1.3 * x[0] * x[1] * x[2];
}

/* Fills a global vector of `dm` (ncomp components) with Trilinear at the owned nodes. */
static void FillTrilinear(StkGrid grid, DM dm, PetscInt ncomp, Vec v)
{
  const PetscReal *x[3];
  PetscInt         xs[3], xm[3];
  PetscScalar     *a;

  for (PetscInt k = 0; k < 3; k++) assert_petsc(StkGridGetCoordinates(grid, k, &x[k]));
  assert_petsc(DMDAGetCorners(dm, &xs[0], &xs[1], &xs[2], &xm[0], &xm[1], &xm[2]));
  assert_petsc(VecGetArray(v, &a));
  for (PetscInt i2 = 0; i2 < xm[2]; i2++)
    for (PetscInt i1 = 0; i1 < xm[1]; i1++)
      for (PetscInt i0 = 0; i0 < xm[0]; i0++) {
        const PetscReal p[3] = {x[0][xs[0] + i0], x[1][xs[1] + i1], x[2][xs[2] + i2]};
        for (PetscInt c = 0; c < ncomp; c++) a[((i2 * xm[1] + i1) * xm[0] + i0) * ncomp + c] = Trilinear(p, c);
      }
  assert_petsc(VecRestoreArray(v, &a));
}

/* The process layout of StkGridView names three factors whose product is the rank count. */
static void AssertLayoutLine(StkGrid grid)
{
  char        path[256], text[4096] = "";
  PetscViewer viewer;
  PetscMPIInt size;

  assert_petsc(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  TempPath("view", ".txt", sizeof(path), path);
  assert_petsc(PetscViewerASCIIOpen(PETSC_COMM_WORLD, path, &viewer));
  assert_petsc(StkGridView(grid, viewer));
  assert_petsc(PetscViewerDestroy(&viewer));
  if (Rank() == 0) {
    FILE *fp = fopen(path, "r");
    int   p0 = 0, p1 = 0, p2 = 0, ranks = 0;
    char *line;
    assert_non_null(fp);
    assert_true(fread(text, 1, sizeof(text) - 1, fp) > 0);
    fclose(fp);
    unlink(path);
    assert_non_null(strstr(text, "StkGrid: dimension 3\n"));
    assert_non_null(strstr(text, "  c: 7 nodes on [0.5, 3.], uniform"));
    line = strstr(text, "MPI ranks laid out");
    assert_non_null(line);
    while (line > text && line[-1] != '\n') line--;
    assert_int_equal(sscanf(line, " %d MPI ranks laid out %d x %d x %d", &ranks, &p0, &p1, &p2), 4);
    assert_int_equal(ranks, size);
    assert_int_equal(p0 * p1 * p2, size);
  }
}

/* Interpolation on a 3-D grid: exact on a trilinear field at random points (and clamped
 * outside the box), the distributed interpolation bitwise equal to the gathered one on
 * any number of ranks, for 1 and 2 components. */
static void test_grid_interpolation(void **state)
{
  const PetscInt n[3] = {9, 11, 7};
  StkGrid        grid = Grid3d(n);
  PetscRandom    rnd;
  PetscInt       dim, total;

  AssertLayoutLine(grid);
  assert_petsc(StkGridGetDimension(grid, &dim));
  assert_petsc(StkGridGetNumNodes(grid, &total));
  assert_int_equal(dim, 3);
  assert_int_equal(total, 9 * 11 * 7);
  assert_petsc(PetscRandomCreate(PETSC_COMM_SELF, &rnd)); /* the same points on every rank */
  assert_petsc(PetscRandomSetSeed(rnd, 12));
  assert_petsc(PetscRandomSeed(rnd));
  for (PetscInt ncomp = 1; ncomp <= 2; ncomp++) {
    DM                 dm;
    Vec                v, all;
    const PetscScalar *field;
    PetscReal          worst = 0;

    assert_petsc(StkGridCreateComponentDM(grid, ncomp, &dm));
    assert_petsc(DMCreateGlobalVector(dm, &v));
    FillTrilinear(grid, dm, ncomp, v);
    assert_petsc(StkGridGatherField(grid, v, &all));
    assert_petsc(VecGetArrayRead(all, &field));
    for (PetscInt t = 0; t < 200; t++) {
      PetscReal x[3], r[3], clamped[3];
      const PetscReal lo[3] = {-1, 0, 0.5}, hi[3] = {2, 1, 3};
      for (PetscInt k = 0; k < 3; k++) {
        assert_petsc(PetscRandomGetValueReal(rnd, &r[k]));
        x[k]       = lo[k] - 0.1 + (hi[k] - lo[k] + 0.2) * r[k]; /* some points just outside */
        clamped[k] = PetscMin(PetscMax(x[k], lo[k]), hi[k]);
      }
      for (PetscInt c = 0; c < ncomp; c++) {
        PetscReal gathered, distributed;
        assert_petsc(StkGridInterpolate(grid, field, ncomp, c, x, &gathered));
        assert_petsc(StkGridInterpolateVec(grid, v, ncomp, c, x, &distributed));
        assert_memory_equal(&gathered, &distributed, sizeof(gathered)); /* the promise: bitwise */
        worst = PetscMax(worst, PetscAbsReal(gathered - Trilinear(clamped, c)));
      }
    }
    print_message("    3-D interpolation, %" PetscInt_FMT " component(s): max error on a trilinear field %.2e\n", ncomp, (double)worst);
    assert_true(worst <= 1e-12);
    assert_petsc(VecRestoreArrayRead(all, &field));
    assert_petsc(VecDestroy(&all));
    assert_petsc(VecDestroy(&v));
    assert_petsc(DMDestroy(&dm));
  }
  assert_petsc(PetscRandomDestroy(&rnd));
  assert_petsc(StkGridDestroy(&grid));
}

/* At a node, StkGridInterpolateGradient returns the nodal one-sided differences along each
 * of the three directions (0 where the difference would leave the box). */
static void test_grid_gradient(void **state)
{
  const PetscInt   n[3] = {5, 6, 4};
  StkGrid          grid = Grid3d(n);
  Vec              v, all;
  DM               dm;
  const PetscReal *x[3];
  const PetscScalar *f;

  for (PetscInt k = 0; k < 3; k++) assert_petsc(StkGridGetCoordinates(grid, k, &x[k]));
  assert_petsc(StkGridGetDM(grid, &dm));
  assert_petsc(DMCreateGlobalVector(dm, &v));
  FillTrilinear(grid, dm, 1, v);
  assert_petsc(StkGridGatherField(grid, v, &all));
  assert_petsc(VecGetArrayRead(all, &f));
  for (PetscInt i2 = 0; i2 < n[2]; i2++)
    for (PetscInt i1 = 0; i1 < n[1]; i1++)
      for (PetscInt i0 = 0; i0 < n[0]; i0++) {
        const PetscInt  idx[3] = {i0, i1, i2}, stride[3] = {1, n[0], n[0] * n[1]};
        const PetscInt  node   = i0 + n[0] * (i1 + n[1] * i2);
        const PetscReal p[3]   = {x[0][i0], x[1][i1], x[2][i2]};
        for (PetscInt k = 0; k < 3; k++) {
          PetscReal fw, bw, efw = 0, ebw = 0;
          assert_petsc(StkGridInterpolateGradient(grid, f, 1, 0, p, k, &fw, &bw));
          if (idx[k] + 1 < n[k]) efw = (PetscRealPart(f[node + stride[k]]) - PetscRealPart(f[node])) / (x[k][idx[k] + 1] - x[k][idx[k]]);
          if (idx[k] > 0) ebw = (PetscRealPart(f[node]) - PetscRealPart(f[node - stride[k]])) / (x[k][idx[k]] - x[k][idx[k] - 1]);
          assert_close(fw, efw, 1e-12, 1e-12);
          assert_close(bw, ebw, 1e-12, 1e-12);
        }
      }
  assert_petsc(VecRestoreArrayRead(all, &f));
  assert_petsc(VecDestroy(&all));
  assert_petsc(VecDestroy(&v));
  assert_petsc(StkGridDestroy(&grid));
}

/* Refining inserts midpoints in all three directions; coarsening the refinement gives the
 * grid back bitwise; a direction with n - 1 odd cannot be coarsened. */
static void test_grid_refine_coarsen(void **state)
{
  const PetscInt n[3] = {5, 9, 7}, odd[3] = {5, 8, 7};
  StkGrid        grid = Grid3d(n), fine, back, bad = Grid3d(odd);
  PetscInt       nf[3], nb[3];
  PetscErrorCode ierr;

  assert_petsc(StkGridCreateRefined(grid, &fine));
  assert_petsc(StkGridCreateCoarsened(fine, &back));
  assert_petsc(StkGridGetSizes(fine, nf));
  assert_petsc(StkGridGetSizes(back, nb));
  for (PetscInt k = 0; k < 3; k++) {
    const PetscReal *x, *xf, *xb;
    const char      *name;
    assert_int_equal(nf[k], 2 * (n[k] - 1) + 1);
    assert_int_equal(nb[k], n[k]);
    assert_petsc(StkGridGetCoordinates(grid, k, &x));
    assert_petsc(StkGridGetCoordinates(fine, k, &xf));
    assert_petsc(StkGridGetCoordinates(back, k, &xb));
    assert_memory_equal(x, xb, n[k] * sizeof(PetscReal));
    for (PetscInt i = 0; i + 1 < n[k]; i++) assert_close(xf[2 * i + 1], 0.5 * (x[i] + x[i + 1]), 1e-15, 0);
    assert_petsc(StkGridGetName(back, k, &name));
    assert_string_equal(name, k == 0 ? "a" : k == 1 ? "b" : "c");
  }
  PetscPushErrorHandler(PetscReturnErrorHandler, NULL);
  ierr = StkGridCreateCoarsened(bad, &back);
  PetscPopErrorHandler();
  assert_int_not_equal(ierr, 0);
  assert_petsc(StkGridDestroy(&back));
  assert_petsc(StkGridDestroy(&fine));
  assert_petsc(StkGridDestroy(&bad));
  assert_petsc(StkGridDestroy(&grid));
}

/* The 3-D LQ defaults: the Riccati solution (3x3) is symmetric positive definite and
 * solves the equation to round-off; the model's exact V is x'Px + tr(Sigma'P Sigma)/rho. */
static void test_riccati_3x3(void **state)
{
  StkModel  m;
  PetscReal P[9], rho, V0, V1, x[3] = {0.3, -0.2, 0.5};
  PetscInt  its;
  /* the 3-D defaults of solver/stk_model_lq.c */
  const PetscReal A[9] = {-0.5, 0.2, 0, 0.1, -0.3, 0.1, 0, 0.1, -0.4}, Q[9] = {1, 0.3, 0.1, 0.3, 0.8, 0.2, 0.1, 0.2, 0.6};
  const PetscReal B[3] = {1, 0.8, 0.6}, R[3] = {1, 0.5, 0.8}, S[3] = {0.3, 0.2, 0.25};

  assert_petsc(StkModelCreate(PETSC_COMM_WORLD, &m));
  assert_petsc(StkModelSetType(m, "lq"));
  assert_petsc(StkModelSetDimension(m, 3));
  assert_petsc(StkModelSetUp(m));
  assert_petsc(StkModelGetDiscount(m, &rho));
  assert_petsc(StkRiccatiSolve(3, A, B, Q, R, rho, P, &its));
  print_message("    3x3 Riccati: %" PetscInt_FMT " Newton-Kleinman steps, residual %.2e\n", its, (double)StkRiccatiResidual(3, A, B, Q, R, rho, P));
  assert_true(StkRiccatiResidual(3, A, B, Q, R, rho, P) <= 1e-13);
  for (PetscInt i = 0; i < 3; i++)
    for (PetscInt j = 0; j < 3; j++) assert_true(P[i * 3 + j] == P[j * 3 + i]);
  /* leading principal minors > 0 */
  assert_true(P[0] > 0);
  assert_true(P[0] * P[4] - P[1] * P[3] > 0);
  assert_true(P[0] * (P[4] * P[8] - P[5] * P[7]) - P[1] * (P[3] * P[8] - P[5] * P[6]) + P[2] * (P[3] * P[7] - P[4] * P[6]) > 0);
  V1 = 0;
  for (PetscInt k = 0; k < 3; k++) V1 += S[k] * S[k] * P[k * 3 + k] / rho;
  for (PetscInt i = 0; i < 3; i++)
    for (PetscInt j = 0; j < 3; j++) V1 += x[i] * P[i * 3 + j] * x[j];
  assert_petsc(StkModelExactValue(m, x, &V0));
  assert_close(V0, V1, 1e-13, 0);
  assert_petsc(StkModelDestroy(&m));
}

static void CheckMMatrix(const char type[], const char options[])
{
  const PetscInt n[3] = {9, 7, 11};
  StkTestProblem P;
  Mat            A;
  Vec            u, rhs, V;
  PetscReal      rho, lo[3], hi[3];
  PetscInt       nu, interior = 0;
  PetscRandom    rnd;

  assert_petsc(StkTestProblemCreate(type, 3, n, options, &P));
  assert_petsc(StkModelGetDiscount(P.model, &rho));
  assert_petsc(StkModelGetNumControls(P.model, &nu));
  assert_int_equal(nu, 3);
  for (PetscInt c = 0; c < nu; c++) assert_petsc(StkModelGetControlBounds(P.model, c, &lo[c], &hi[c]));
  assert_petsc(StkSolverCreateMatrix(P.solver, &A));
  assert_petsc(StkSolverGetPolicy(P.solver, &u));
  assert_petsc(StkSolverGetValue(P.solver, &V));
  assert_petsc(VecDuplicate(V, &rhs));
  assert_petsc(PetscRandomCreate(PETSC_COMM_SELF, &rnd));
  assert_petsc(PetscRandomSetSeed(rnd, 7 + Rank()));
  assert_petsc(PetscRandomSeed(rnd));
  for (int trial = 0; trial < 3; trial++) {
    PetscInt     nloc;
    PetscScalar *ua;
    assert_petsc(VecGetLocalSize(u, &nloc));
    assert_petsc(VecGetArray(u, &ua));
    for (PetscInt i = 0; i < nloc; i++) {
      PetscReal r, a = PetscMax(lo[i % nu], -5), b = PetscMin(hi[i % nu], 5); /* lq's bounds are huge */
      assert_petsc(PetscRandomGetValueReal(rnd, &r));
      ua[i] = a + r * (b - a);
    }
    assert_petsc(VecRestoreArray(u, &ua));
    assert_petsc(StkSolverAssemble(P.solver, u, A, rhs));
    StkTestAssertMMatrixRows(A, rho, 7, &interior); /* the 3-D stencil */
  }
  assert_int_equal(MPI_Allreduce(MPI_IN_PLACE, &interior, 1, MPIU_INT, MPI_SUM, PETSC_COMM_WORLD), 0);
  print_message("    3-D %s (%s): M-matrix rows, %" PetscInt_FMT " rows with the full 7-point stencil over 3 random policies\n", type, options, interior);
  assert_true(interior > 0); /* the check saw the 3-D stencil, not a degenerate one */
  assert_petsc(PetscRandomDestroy(&rnd));
  assert_petsc(VecDestroy(&rhs));
  assert_petsc(MatDestroy(&A));
  assert_petsc(StkTestProblemDestroy(&P));
}

static void test_m_matrix_3d(void **state)
{
  CheckMMatrix("lq", "-hjb_central 0");
  CheckMMatrix("mms", "-hjb_central 0");
  CheckMMatrix("mms", "-hjb_central 1"); /* central where monotone, upwind elsewhere */
  CheckMMatrix("lq", "-hjb_central 1 -lq_sigma 0.8,0.8,0.8");
}

/* Reads the whole text file PATH on rank 0 into buf. */
static void ReadText(const char path[], size_t len, char buf[])
{
  FILE  *fp = fopen(path, "r");
  size_t got;

  assert_non_null(fp);
  got      = fread(buf, 1, len - 1, fp);
  buf[got] = 0;
  fclose(fp);
}

/* The file's value dataset has shape (n0, n1, n2), the three coordinate scales attached in
 * order, and value[i][j][k] is the solver's V at node (i, j, k). */
static void AssertFileLayout(const char path[], StkGrid grid, Vec V)
{
  PetscInt           n[3];
  Vec                all;
  const PetscScalar *v;
  hid_t              f, ds, space;
  hsize_t            dims[4];
  double            *buf;
  const char        *names[3] = {"x0", "x1", "x2"};

  assert_petsc(StkGridGetSizes(grid, n));
  assert_petsc(StkGridGatherField(grid, V, &all));
  if (Rank() == 0) {
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    ds = H5Dopen2(f, "/solution/value", H5P_DEFAULT);
    assert_true(ds >= 0);
    space = H5Dget_space(ds);
    assert_int_equal(H5Sget_simple_extent_ndims(space), 3);
    H5Sget_simple_extent_dims(space, dims, NULL);
    for (int k = 0; k < 3; k++) assert_int_equal((PetscInt)dims[k], n[k]);
    for (unsigned k = 0; k < 3; k++) {
      char  where[32];
      hid_t scale;
      snprintf(where, sizeof(where), "/solution/%s", names[k]);
      scale = H5Dopen2(f, where, H5P_DEFAULT);
      assert_true(scale >= 0);
      assert_true(H5DSis_attached(ds, scale, k) > 0);
      H5Dclose(scale);
    }
    buf = malloc(sizeof(double) * n[0] * n[1] * n[2]);
    assert_non_null(buf);
    assert_true(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
    assert_petsc(VecGetArrayRead(all, &v));
    for (PetscInt i = 0; i < n[0]; i++)
      for (PetscInt j = 0; j < n[1]; j++)
        for (PetscInt k = 0; k < n[2]; k++) assert_true(buf[(i * n[1] + j) * n[2] + k] == PetscRealPart(v[i + n[0] * (j + n[1] * k)]));
    assert_petsc(VecRestoreArrayRead(all, &v));
    free(buf);
    H5Sclose(space);
    H5Dclose(ds);
    H5Fclose(f);
  }
  assert_petsc(VecDestroy(&all));
}

/* The sidecar: a 3DRectMesh listed slowest first, VXVYVZ with x2 (fastest) first. */
static void AssertSidecar(const char xmf[], const PetscInt n[3])
{
  char text[8192], dims[64], *geo, *p2, *p1, *p0;

  if (Rank() != 0) return;
  ReadText(xmf, sizeof(text), text);
  snprintf(dims, sizeof(dims), "TopologyType=\"3DRectMesh\" Dimensions=\"%d %d %d\"", (int)n[0], (int)n[1], (int)n[2]);
  assert_non_null(strstr(text, dims));
  geo = strstr(text, "GeometryType=\"VXVYVZ\"");
  assert_non_null(geo);
  p2 = strstr(geo, ":/solution/x2<");
  p1 = strstr(geo, ":/solution/x1<");
  p0 = strstr(geo, ":/solution/x0<");
  assert_true(p2 && p1 && p0 && p2 < p1 && p1 < p0);
  snprintf(dims, sizeof(dims), "Dimensions=\"%d %d %d\" NumberType", (int)n[0], (int)n[1], (int)n[2]);
  assert_non_null(strstr(strstr(text, "Attribute Name=\"value\""), dims));
}

/* Solve a 3-D problem (unequal sizes, so a transposed axis shows), write, load: model,
 * grid, V and u bitwise; the file layout and the sidecar. */
static void RoundTrip(const char type[], const char options[])
{
  const PetscInt n[3] = {9, 13, 17};
  StkTestProblem P;
  StkModel       model;
  StkGrid        grid;
  Vec            V, u, Vs, us;
  PetscInt       dim, nl[3];
  PetscBool      equal;
  char           path[256], xmf[256];

  TempPath(type, ".h5", sizeof(path), path);
  TempPath(type, ".xmf", sizeof(xmf), xmf);
  assert_petsc(StkTestProblemCreate(type, 3, n, options, &P));
  assert_petsc(StkSolverSolve(P.solver));
  assert_petsc(StkSolverComputeDensity(P.solver));
  assert_petsc(StkSolverWrite(P.solver, path));
  assert_petsc(StkSolutionLoad(PETSC_COMM_WORLD, path, &model, &grid, &V, &u));
  assert_petsc(StkModelGetDimension(model, &dim));
  assert_int_equal(dim, 3);
  assert_petsc(StkGridGetSizes(grid, nl));
  for (PetscInt k = 0; k < 3; k++) {
    const PetscReal *a, *b;
    assert_int_equal(nl[k], n[k]);
    assert_petsc(StkGridGetCoordinates(P.grid, k, &a));
    assert_petsc(StkGridGetCoordinates(grid, k, &b));
    assert_memory_equal(a, b, n[k] * sizeof(PetscReal));
  }
  assert_petsc(StkSolverGetValue(P.solver, &Vs));
  assert_petsc(StkSolverGetPolicy(P.solver, &us));
  assert_petsc(VecEqual(Vs, V, &equal));
  assert_true(equal);
  assert_petsc(VecEqual(us, u, &equal));
  assert_true(equal);
  { /* the loaded model is the solved one: the same exact value at a point */
    const PetscReal x[3] = {0.31, 0.47, 0.62};
    PetscReal       a, b;
    assert_petsc(StkModelExactValue(P.model, x, &a));
    assert_petsc(StkModelExactValue(model, x, &b));
    assert_true(a == b);
  }
  AssertFileLayout(path, grid, V);
  AssertSidecar(xmf, n);
  assert_petsc(VecDestroy(&V));
  assert_petsc(VecDestroy(&u));
  assert_petsc(StkGridDestroy(&grid));
  assert_petsc(StkModelDestroy(&model));
  assert_petsc(StkTestProblemDestroy(&P));
  assert_int_equal(MPI_Barrier(PETSC_COMM_WORLD), 0);
  if (Rank() == 0) {
    unlink(path);
    unlink(xmf);
  }
}

static void test_solution_round_trip(void **state)
{
  RoundTrip("lq", "-hjb_rtol 1e-10");
  RoundTrip("mms", "-hjb_rtol 1e-10");
}

/* Grid sequencing in 3-D (a 9^3 grid first, V and u interpolated up) reaches the V of the
 * plain solve on 17^3 to the solver tolerance. */
static void test_sequencing(void **state)
{
  const PetscInt n[3] = {17, 17, 17};
  const char    *tight = "-hjb_rtol 1e-12 -hjb_linear_rtol 1e-13 -hjb_linear_forcing 0";
  StkTestProblem plain, seq;
  StkSolverStats sp, ss;
  Vec            Vp, Vs, d;
  PetscReal      dv, vmax;
  char           options[256];

  snprintf(options, sizeof(options), "%s -hjb_sequence 0", tight);
  assert_petsc(StkTestProblemCreate("mms", 3, n, options, &plain));
  snprintf(options, sizeof(options), "%s -hjb_sequence 2", tight);
  assert_petsc(StkTestProblemCreate("mms", 3, n, options, &seq));
  assert_petsc(StkSolverSolve(plain.solver));
  assert_petsc(StkSolverSolve(seq.solver));
  assert_petsc(StkSolverGetStats(plain.solver, &sp));
  assert_petsc(StkSolverGetStats(seq.solver, &ss));
  assert_petsc(StkSolverGetValue(plain.solver, &Vp));
  assert_petsc(StkSolverGetValue(seq.solver, &Vs));
  assert_petsc(VecDuplicate(Vp, &d));
  assert_petsc(VecWAXPY(d, -1.0, Vp, Vs));
  assert_petsc(VecNorm(d, NORM_INFINITY, &dv));
  assert_petsc(VecNorm(Vp, NORM_INFINITY, &vmax));
  print_message("    3-D sequencing: plain %" PetscInt_FMT " Howard its, sequenced %" PetscInt_FMT " after %" PetscInt_FMT " coarser level(s); rel max|dV| %.2e\n", sp.iterations, ss.iterations, ss.coarse_levels, (double)(dv / vmax));
  assert_true(sp.converged && ss.converged);
  assert_int_equal(sp.coarse_levels, 0);
  assert_int_equal(ss.coarse_levels, 1); /* 9^3 is the coarsest grid sequencing uses */
  assert_true(ss.iterations <= sp.iterations);
  assert_true(dv <= 1e-9 * vmax);
  assert_petsc(VecDestroy(&d));
  assert_petsc(StkTestProblemDestroy(&seq));
  assert_petsc(StkTestProblemDestroy(&plain));
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(test_grid_interpolation), cmocka_unit_test(test_grid_gradient), cmocka_unit_test(test_grid_refine_coarsen),
  cmocka_unit_test(test_riccati_3x3),        cmocka_unit_test(test_m_matrix_3d),   cmocka_unit_test(test_solution_round_trip),
  cmocka_unit_test(test_sequencing),
};

STK_TEST_MAIN(tests)
