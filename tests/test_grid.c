/* Tensor-product grids (grids/stk_grid.h): coordinates, dual widths, option checks,
 * gathering in natural order and point evaluation.  Runs on any number of ranks. */
#define _POSIX_C_SOURCE 200809L /* fileno-free freopen is C; getpid needs POSIX */
#include "stk_test.h"
#include <string.h>
#include <unistd.h>
#include "stk_grid.h"
#include "stk_options.h"


/* Deterministic uniform numbers in [0, 1) without global state (same on every rank). */
static PetscReal NextUniform(unsigned long long *state)
{
  *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (PetscReal)(*state >> 11) / 9007199254740992.0;
}

/* A set-up 2-D grid; alpha > 0 stretches both directions around the box midpoints + offsets. */
static StkGrid Grid2d(PetscInt n0, PetscInt n1, PetscReal alpha)
{
  StkGrid         grid;
  const PetscInt  n[2]  = {n0, n1};
  const PetscReal lo[2] = {0.0, -0.05}, hi[2] = {1.0, 0.05};

  assert_petsc(StkGridCreate(PETSC_COMM_WORLD, &grid));
  assert_petsc(StkGridSetDimension(grid, 2));
  assert_petsc(StkGridSetSizes(grid, n));
  assert_petsc(StkGridSetBox(grid, lo, hi));
  assert_petsc(StkGridSetStretching(grid, 0, 0.6, alpha));
  assert_petsc(StkGridSetStretching(grid, 1, 0.01, alpha * 0.1));
  assert_petsc(StkGridSetName(grid, 0, "s"));
  assert_petsc(StkGridSetName(grid, 1, "z"));
  assert_petsc(StkGridSetUp(grid));
  return grid;
}

static void test_uniform_coordinates_exact(void **state)
{
  StkGrid          grid = Grid2d(5, 9, 0);
  const PetscReal *x0, *x1, *w0, *w1;
  PetscInt         total, n[2];
  DM               da;
  PetscInt         M, N, dof;

  assert_petsc(StkGridGetCoordinates(grid, 0, &x0));
  assert_petsc(StkGridGetCoordinates(grid, 1, &x1));
  assert_petsc(StkGridGetDualWidths(grid, 0, &w0));
  assert_petsc(StkGridGetDualWidths(grid, 1, &w1));
  for (int i = 0; i < 5; i++) assert_true(x0[i] == 0.25 * i);
  for (int j = 0; j < 9; j++) assert_close(x1[j], -0.05 + 0.0125 * j, 0, 1e-17);
  assert_true(x1[0] == -0.05 && x1[8] == 0.05);
  assert_true(w0[0] == 0.125 && w0[1] == 0.25 && w0[4] == 0.125);
  assert_close(w1[0], 0.00625, 1e-14, 0);
  assert_close(w1[4], 0.0125, 1e-14, 0);
  assert_petsc(StkGridGetNumNodes(grid, &total));
  assert_int_equal(total, 45);
  assert_petsc(StkGridGetSizes(grid, n));
  assert_int_equal(n[0], 5);
  assert_int_equal(n[1], 9);
  assert_petsc(StkGridGetDM(grid, &da));
  assert_petsc(DMDAGetInfo(da, NULL, &M, &N, NULL, NULL, NULL, NULL, &dof, NULL, NULL, NULL, NULL, NULL));
  assert_int_equal(M, 5); /* DMDA direction k is state variable k */
  assert_int_equal(N, 9);
  assert_int_equal(dof, 1);
  assert_petsc(StkGridDestroy(&grid));
  assert_null(grid);
  assert_petsc(StkGridDestroy(&grid)); /* NULL is fine */
}

static void test_stretched_coordinates(void **state)
{
  StkGrid          grid;
  const PetscInt   n = 65;
  const PetscReal  c = 0.6, alpha = 0.05, lo = 0, hi = 1;
  const PetscReal *x, *w;
  PetscReal        hmin = PETSC_MAX_REAL, hmax = 0, xmin = -1, wsum = 0;

  assert_petsc(StkGridCreate(PETSC_COMM_WORLD, &grid));
  assert_petsc(StkGridSetSizes(grid, &n));
  assert_petsc(StkGridSetBox(grid, &lo, &hi));
  assert_petsc(StkGridSetStretching(grid, 0, c, alpha));
  assert_petsc(StkGridSetUp(grid));
  assert_petsc(StkGridGetCoordinates(grid, 0, &x));
  assert_petsc(StkGridGetDualWidths(grid, 0, &w));
  assert_true(x[0] == 0 && x[n - 1] == 1);
  for (PetscInt i = 0; i + 1 < n; i++) {
    const PetscReal h = x[i + 1] - x[i];
    assert_true(h > 0);
    if (h < hmin) hmin = h, xmin = 0.5 * (x[i] + x[i + 1]);
    hmax = PetscMax(hmax, h);
  }
  for (PetscInt i = 0; i < n; i++) wsum += w[i];
  { /* the middle node is the sinh map at xi = 1/2 */
    const PetscReal c1 = asinh((lo - c) / alpha), c2 = asinh((hi - c) / alpha);
    assert_close(x[32], c + alpha * sinh(0.5 * (c1 + c2)), 1e-14, 1e-15);
  }
  assert_true(PetscAbsReal(xmin - c) < 2 * hmin); /* finest cell at the cluster point */
  assert_true(hmax / hmin > 2);
  assert_true(x[n - 1] - x[n - 2] > 2 * hmin && x[1] - x[0] > 2 * hmin);
  assert_close(wsum, hi - lo, 1e-14, 0);
  printf("  stretched alpha %g: h in [%.4g, %.4g], ratio %.2f, finest cell at %.4f, sum w - 1 = %.1e\n", (double)alpha, (double)hmin, (double)hmax, (double)(hmax / hmin), (double)xmin, (double)(wsum - 1));
  assert_petsc(StkGridDestroy(&grid));
}

static void test_dual_widths_2d_sum(void **state)
{
  StkGrid grid = Grid2d(17, 13, 0.1);

  for (PetscInt k = 0; k < 2; k++) {
    const PetscReal *w, *x;
    PetscReal        sum = 0;
    PetscInt         n[2];
    assert_petsc(StkGridGetSizes(grid, n));
    assert_petsc(StkGridGetDualWidths(grid, k, &w));
    assert_petsc(StkGridGetCoordinates(grid, k, &x));
    for (PetscInt i = 0; i < n[k]; i++) sum += w[i];
    assert_close(sum, x[n[k] - 1] - x[0], 1e-14, 0);
    assert_close(w[3], 0.5 * (x[4] - x[2]), 1e-15, 0);
  }
  assert_petsc(StkGridDestroy(&grid));
}

static PetscReal Bilinear(PetscReal s, PetscReal z, PetscInt c) { return c == 0 ? 1 + 2 * s - 30 * z + 50 * s * z : -3 + s + 7 * z - 20 * s * z; }

static void test_interpolate_bilinear_exact(void **state)
{
  StkGrid            grid = Grid2d(17, 13, 0.1);
  const PetscReal   *s, *z;
  PetscScalar        f[2 * 17 * 13];
  unsigned long long rng = 12345;
  PetscReal          maxerr = 0;

  assert_petsc(StkGridGetCoordinates(grid, 0, &s));
  assert_petsc(StkGridGetCoordinates(grid, 1, &z));
  for (PetscInt j = 0; j < 13; j++)
    for (PetscInt i = 0; i < 17; i++)
      for (PetscInt c = 0; c < 2; c++) f[(i + 17 * j) * 2 + c] = Bilinear(s[i], z[j], c);
  for (int t = 0; t < 1000; t++) {
    const PetscReal p[2] = {NextUniform(&rng), -0.05 + 0.1 * NextUniform(&rng)};
    for (PetscInt c = 0; c < 2; c++) {
      PetscReal v;
      assert_petsc(StkGridInterpolate(grid, f, 2, c, p, &v));
      assert_close(v, Bilinear(p[0], p[1], c), 0, 1e-13);
      maxerr = PetscMax(maxerr, PetscAbsReal(v - Bilinear(p[0], p[1], c)));
    }
  }
  { /* outside the box: clamped */
    const PetscReal p[2] = {1.5, -0.2};
    PetscReal       v;
    assert_petsc(StkGridInterpolate(grid, f, 2, 0, p, &v));
    assert_close(v, Bilinear(1.0, -0.05, 0), 0, 1e-13);
  }
  { /* locate: a node is the start of its cell, hi is the end of the last cell */
    PetscInt  cell[2];
    PetscReal frac[2], p[2] = {s[5], z[12]};
    assert_petsc(StkGridLocate(grid, p, cell, frac));
    assert_int_equal(cell[0], 5);
    assert_true(frac[0] == 0);
    assert_int_equal(cell[1], 11);
    assert_true(frac[1] == 1);
    p[0] = 0.5 * (s[7] + s[8]);
    p[1] = z[0];
    assert_petsc(StkGridLocate(grid, p, cell, frac));
    assert_int_equal(cell[0], 7);
    assert_close(frac[0], 0.5, 1e-12, 0);
    assert_int_equal(cell[1], 0);
    assert_true(frac[1] == 0);
  }
  printf("  bilinear reproduction on a stretched 17 x 13 grid: max error %.2e over 2000 evaluations\n", (double)maxerr);
  assert_petsc(StkGridDestroy(&grid));
}

static void test_interpolate_gradient(void **state)
{
  StkGrid            grid = Grid2d(11, 9, 0.1);
  const PetscReal   *s, *z;
  PetscScalar        curved[11 * 9], linear[11 * 9];
  unsigned long long rng = 777;

  assert_petsc(StkGridGetCoordinates(grid, 0, &s));
  assert_petsc(StkGridGetCoordinates(grid, 1, &z));
  for (PetscInt j = 0; j < 9; j++)
    for (PetscInt i = 0; i < 11; i++) {
      curved[i + 11 * j] = PetscSqr(s[i]) * PetscExpReal(10 * z[j]) + PetscSinReal(30 * z[j]);
      linear[i + 11 * j] = 1 + 3 * s[i] - 2 * z[j];
    }
  /* at nodes: exactly the one-sided differences, 0 where they would leave the box */
  for (PetscInt j = 0; j < 9; j++)
    for (PetscInt i = 0; i < 11; i++) {
      const PetscReal p[2] = {s[i], z[j]};
      const PetscInt  id   = i + 11 * j;
      PetscReal       fw, bw;
      assert_petsc(StkGridInterpolateGradient(grid, curved, 1, 0, p, 0, &fw, &bw));
      assert_close(fw, i < 10 ? (curved[id + 1] - curved[id]) / (s[i + 1] - s[i]) : 0, 1e-12, 1e-13);
      assert_close(bw, i > 0 ? (curved[id] - curved[id - 1]) / (s[i] - s[i - 1]) : 0, 1e-12, 1e-13);
      assert_petsc(StkGridInterpolateGradient(grid, curved, 1, 0, p, 1, &fw, &bw));
      assert_close(fw, j < 8 ? (curved[id + 11] - curved[id]) / (z[j + 1] - z[j]) : 0, 1e-12, 1e-13);
      assert_close(bw, j > 0 ? (curved[id] - curved[id - 11]) / (z[j] - z[j - 1]) : 0, 1e-12, 1e-13);
    }
  /* linear function: the slope wherever both cell corners have the difference */
  for (int t = 0; t < 500; t++) {
    const PetscReal p[2] = {NextUniform(&rng), -0.05 + 0.1 * NextUniform(&rng)};
    PetscInt        cell[2];
    PetscReal       frac[2], fw, bw;
    assert_petsc(StkGridLocate(grid, p, cell, frac));
    assert_petsc(StkGridInterpolateGradient(grid, linear, 1, 0, p, 0, &fw, &bw));
    if (cell[0] < 9) assert_close(fw, 3, 1e-12, 0);
    if (cell[0] > 0) assert_close(bw, 3, 1e-12, 0);
    assert_petsc(StkGridInterpolateGradient(grid, linear, 1, 0, p, 1, &fw, &bw));
    if (cell[1] < 7) assert_close(fw, -2, 1e-12, 0);
    if (cell[1] > 0) assert_close(bw, -2, 1e-12, 0);
  }
  assert_petsc(StkGridDestroy(&grid));
}

/* Fill f(i, j, c) = i + 1000 j + 1e6 c through the distributed layout and check the
 * gathered copy is in natural order (i fastest) on every rank. */
static void CheckGather(StkGrid grid, PetscInt ncomp)
{
  DM                 da;
  Vec                global, all;
  PetscScalar     ***a;
  const PetscScalar *g;
  PetscInt           xs, ys, xm, ym, n[2], size;

  assert_petsc(StkGridGetSizes(grid, n));
  assert_petsc(StkGridCreateComponentDM(grid, ncomp, &da));
  assert_petsc(DMCreateGlobalVector(da, &global));
  assert_petsc(DMDAGetCorners(da, &xs, &ys, NULL, &xm, &ym, NULL));
  assert_petsc(DMDAVecGetArrayDOF(da, global, &a));
  for (PetscInt j = ys; j < ys + ym; j++)
    for (PetscInt i = xs; i < xs + xm; i++)
      for (PetscInt c = 0; c < ncomp; c++) a[j][i][c] = i + 1000 * j + 1e6 * c;
  assert_petsc(DMDAVecRestoreArrayDOF(da, global, &a));
  assert_petsc(StkGridGatherField(grid, global, &all));
  assert_petsc(VecGetSize(all, &size));
  assert_int_equal(size, n[0] * n[1] * ncomp);
  assert_petsc(VecGetArrayRead(all, &g));
  for (PetscInt j = 0; j < n[1]; j++)
    for (PetscInt i = 0; i < n[0]; i++)
      for (PetscInt c = 0; c < ncomp; c++) assert_true(g[(i + n[0] * j) * ncomp + c] == i + 1000 * j + 1e6 * c);
  assert_petsc(VecRestoreArrayRead(all, &g));
  assert_petsc(VecDestroy(&all));
  { /* on rank 0 only: the same field there, nothing elsewhere */
    PetscMPIInt rank;
    assert_petsc(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
    assert_petsc(StkGridGatherFieldToZero(grid, global, &all));
    assert_petsc(VecGetSize(all, &size));
    assert_int_equal(size, rank ? 0 : n[0] * n[1] * ncomp);
    assert_petsc(VecGetArrayRead(all, &g));
    for (PetscInt k = 0; k < size; k++) {
      const PetscInt c = k % ncomp, i = (k / ncomp) % n[0], j = k / ncomp / n[0];
      assert_true(g[k] == i + 1000 * j + 1e6 * c);
    }
    assert_petsc(VecRestoreArrayRead(all, &g));
    assert_petsc(VecDestroy(&all));
  }
  assert_petsc(VecDestroy(&global));
  assert_petsc(DMDestroy(&da));
}

/* A field of ncomp components on the grid's layout with a value that no interpolation
 * reproduces by accident: sin of the natural indices. */
static Vec FieldOfIndices(StkGrid grid, PetscInt ncomp)
{
  DM          da;
  Vec         v;
  PetscScalar *a;
  PetscInt    s[3], m[3], dim, o = 0;

  assert_petsc(StkGridGetDimension(grid, &dim));
  assert_petsc(StkGridCreateComponentDM(grid, ncomp, &da));
  assert_petsc(DMCreateGlobalVector(da, &v));
  assert_petsc(DMDAGetCorners(da, &s[0], &s[1], &s[2], &m[0], &m[1], &m[2]));
  assert_petsc(VecGetArray(v, &a));
  for (PetscInt k = s[2]; k < s[2] + m[2]; k++)
    for (PetscInt j = s[1]; j < s[1] + m[1]; j++)
      for (PetscInt i = s[0]; i < s[0] + m[0]; i++)
        for (PetscInt c = 0; c < ncomp; c++) a[o++] = PetscSinReal(0.7 * i + 1.3 * j + 0.4 * k + c);
  assert_petsc(VecRestoreArray(v, &a));
  assert_petsc(DMDestroy(&da));
  return v;
}

/* StkGridInterpolateVecAt against StkGridInterpolate on the gathered field: bitwise, at
 * random points (a different number on each rank, none on rank 1), nodes and outside. */
static void CheckInterpolateAt(StkGrid grid, PetscInt ncomp)
{
  const PetscReal   *x[STK_MAX_DIM];
  PetscInt           dim, n[STK_MAX_DIM], npoints;
  PetscMPIInt        rank;
  unsigned long long rng;
  PetscReal         *p, *values;
  Vec                v = FieldOfIndices(grid, ncomp), all;
  const PetscScalar *field;

  assert_petsc(StkGridGetDimension(grid, &dim));
  assert_petsc(StkGridGetSizes(grid, n));
  for (PetscInt k = 0; k < dim; k++) assert_petsc(StkGridGetCoordinates(grid, k, &x[k]));
  assert_petsc(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  rng     = 99 + (unsigned long long)rank;
  npoints = rank == 1 ? 0 : 200 + 37 * rank;
  assert_petsc(PetscMalloc2(npoints * dim, &p, npoints * ncomp, &values));
  for (PetscInt i = 0; i < npoints; i++)
    for (PetscInt k = 0; k < dim; k++) {
      const PetscReal span = x[k][n[k] - 1] - x[k][0], u = NextUniform(&rng);
      if (i % 10 == 0) p[i * dim + k] = x[k][(PetscInt)(u * n[k])];                     /* a node, the last included */
      else if (i % 10 == 1) p[i * dim + k] = x[k][0] + (1.4 * u - 0.2) * span;          /* outside, clamped */
      else p[i * dim + k] = x[k][0] + u * span;
    }
  assert_petsc(StkGridInterpolateVecAt(grid, v, ncomp, npoints, p, values));
  assert_petsc(StkGridGatherField(grid, v, &all));
  assert_petsc(VecGetArrayRead(all, &field));
  for (PetscInt i = 0; i < npoints; i++)
    for (PetscInt c = 0; c < ncomp; c++) {
      PetscReal expected;
      assert_petsc(StkGridInterpolate(grid, field, ncomp, c, &p[i * dim], &expected));
      assert_true(values[i * ncomp + c] == expected);
    }
  assert_petsc(VecRestoreArrayRead(all, &field));
  assert_petsc(VecDestroy(&all));
  assert_petsc(VecDestroy(&v));
  assert_petsc(PetscFree2(p, values));
}

static void test_interpolate_at_points(void **state)
{
  StkGrid         grid = Grid2d(17, 13, 0.1), g1, g3;
  const PetscInt  n1[] = {33}, n3[] = {9, 7, 5};
  const PetscReal lo[] = {0, -1, 2}, hi[] = {1, 1, 3};
  PetscMPIInt     size;

  CheckInterpolateAt(grid, 1);
  CheckInterpolateAt(grid, 2);
  assert_petsc(StkGridCreate(PETSC_COMM_WORLD, &g1));
  assert_petsc(StkGridSetDimension(g1, 1));
  assert_petsc(StkGridSetSizes(g1, n1));
  assert_petsc(StkGridSetStretching(g1, 0, 0.3, 0.2));
  assert_petsc(StkGridSetUp(g1));
  CheckInterpolateAt(g1, 1);
  assert_petsc(StkGridCreate(PETSC_COMM_WORLD, &g3));
  assert_petsc(StkGridSetDimension(g3, 3));
  assert_petsc(StkGridSetSizes(g3, n3));
  assert_petsc(StkGridSetBox(g3, lo, hi));
  assert_petsc(StkGridSetStretching(g3, 1, 0.0, 0.5));
  assert_petsc(StkGridSetUp(g3));
  CheckInterpolateAt(g3, 1);
  CheckInterpolateAt(g3, 3);
  assert_petsc(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  printf("  interpolation at this rank's points without gathering the field: bitwise the gathered one (1-, 2-, 3-D, %d ranks)\n", (int)size);
  assert_petsc(StkGridDestroy(&g3));
  assert_petsc(StkGridDestroy(&g1));
  assert_petsc(StkGridDestroy(&grid));
}

static void test_gather_natural_order(void **state)
{
  StkGrid     grid = Grid2d(7, 5, 0);
  PetscMPIInt size;

  CheckGather(grid, 1);
  CheckGather(grid, 3);
  assert_petsc(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  printf("  gathered 7 x 5 fields (1 and 3 components) in natural order, on every rank and on rank 0, on %d ranks\n", (int)size);
  assert_petsc(StkGridDestroy(&grid));
}

static void test_component_dm(void **state)
{
  StkGrid  grid = Grid2d(7, 5, 0);
  DM       da, da1, grid_da;
  PetscInt dof, M, N;

  assert_petsc(StkGridCreateComponentDM(grid, 2, &da));
  assert_petsc(DMDAGetInfo(da, NULL, &M, &N, NULL, NULL, NULL, NULL, &dof, NULL, NULL, NULL, NULL, NULL));
  assert_int_equal(dof, 2);
  assert_int_equal(M, 7);
  assert_int_equal(N, 5);
  assert_petsc(StkGridCreateComponentDM(grid, 1, &da1));
  assert_petsc(StkGridGetDM(grid, &grid_da));
  assert_ptr_equal(da1, grid_da);
  assert_petsc(DMDestroy(&da1));
  assert_petsc(DMDestroy(&da));
  assert_petsc(StkGridDestroy(&grid)); /* the grid's own reference still valid until here */
}

/* StkGridSetFromOptions on a fresh grid of dimension dim with the given options; returns its error code. */
static PetscErrorCode FromOptions(PetscInt dim, const char *opts, StkGrid *out)
{
  StkGrid        grid;
  PetscErrorCode ierr;

  assert_petsc(StkGridCreate(PETSC_COMM_WORLD, &grid));
  assert_petsc(StkGridSetDimension(grid, dim));
  assert_petsc(PetscOptionsInsertString(NULL, opts));
  PetscPushErrorHandler(PetscReturnErrorHandler, NULL);
  ierr = StkGridSetFromOptions(grid);
  if (!ierr) ierr = StkGridSetUp(grid);
  PetscPopErrorHandler();
  for (const char *o = "-grid_n\0-grid_lo\0-grid_hi\0-grid_stretch\0-grid_cluster\0"; *o; o += strlen(o) + 1) assert_petsc(PetscOptionsClearValue(NULL, o));
  if (out) *out = grid;
  else assert_petsc(StkGridDestroy(&grid));
  return ierr;
}

static void test_options(void **state)
{
  StkGrid          grid;
  const PetscReal *x;
  PetscInt         n[2];

  assert_int_not_equal(FromOptions(2, "-grid_n 2,5", NULL), 0);
  assert_int_not_equal(FromOptions(1, "-grid_lo 1 -grid_hi 0", NULL), 0);
  assert_int_not_equal(FromOptions(2, "-grid_n 9", NULL), 0);
  assert_int_not_equal(FromOptions(2, "-grid_n 9,9,9", NULL), 0);
  assert_int_not_equal(FromOptions(2, "-grid_stretch 0.1", NULL), 0);
  assert_int_not_equal(FromOptions(1, "-grid_stretch 0.1 -grid_cluster 2", NULL), 0); /* cluster outside [0, 1] */
  assert_int_equal(FromOptions(2, "-grid_n 9,5 -grid_lo 0,1 -grid_hi 2,3 -grid_stretch 0.5,0 -grid_cluster 1,0", &grid), 0);
  assert_petsc(StkGridGetSizes(grid, n));
  assert_int_equal(n[0], 9);
  assert_int_equal(n[1], 5);
  assert_petsc(StkGridGetCoordinates(grid, 1, &x));
  assert_true(x[0] == 1 && x[2] == 2 && x[4] == 3); /* uniform */
  assert_petsc(StkGridGetCoordinates(grid, 0, &x));
  assert_true(x[0] == 0 && x[8] == 2);
  assert_close(x[4], 1, 0, 1e-15); /* symmetric stretching around the midpoint */
  assert_true(x[5] - x[4] < 0.25 && x[8] - x[7] > 0.25);
  assert_petsc(StkGridDestroy(&grid));
}

/* Index and midpoint of the finest cell of direction 0. */
static PetscReal FinestCellMidpoint(StkGrid grid)
{
  const PetscReal *x;
  PetscInt         n;
  PetscReal        hmin = PETSC_MAX_REAL, mid = 0;

  assert_petsc(StkGridGetSizes(grid, &n));
  assert_petsc(StkGridGetCoordinates(grid, 0, &x));
  for (PetscInt i = 0; i + 1 < n; i++)
    if (x[i + 1] - x[i] < hmin) hmin = x[i + 1] - x[i], mid = 0.5 * (x[i] + x[i + 1]);
  return mid;
}

/* Without an explicit center the nodes cluster at the middle of the box, wherever the box is. */
static void test_default_center_follows_box(void **state)
{
  StkGrid          grid;
  const PetscReal *x;
  const PetscInt   n = 10;
  const PetscReal  lo = 2, hi = 6;

  assert_int_equal(FromOptions(1, "-grid_n 9 -grid_lo 2 -grid_hi 6 -grid_stretch 0.2", &grid), 0);
  assert_petsc(StkGridGetCoordinates(grid, 0, &x));
  assert_true(x[0] == 2 && x[8] == 6);
  assert_close(x[4], 4, 0, 1e-14); /* symmetric about the box middle 4, not the default 0.5 */
  assert_close(x[4] - x[3], x[5] - x[4], 1e-12, 0);
  assert_true(x[5] - x[4] < 0.25 * (x[8] - x[7]));
  assert_petsc(StkGridDestroy(&grid));

  assert_petsc(StkGridCreate(PETSC_COMM_WORLD, &grid)); /* API: box set after a stretching without... */
  assert_petsc(StkGridSetSizes(grid, &n));
  assert_petsc(StkGridSetStretching(grid, 0, 2.5, 0.1)); /* ...an explicit center keeps it */
  assert_petsc(StkGridSetBox(grid, &lo, &hi));
  assert_petsc(StkGridSetUp(grid));
  assert_true(PetscAbsReal(FinestCellMidpoint(grid) - 2.5) < 0.3);
  assert_petsc(StkGridDestroy(&grid));
}

static void test_explicit_coordinates_and_view(void **state)
{
  StkGrid         grid;
  const PetscReal xs[6] = {-1, 0, 0.5, 0.75, 2, 10}, bad[3] = {0, 1, 1};
  const PetscReal *x;
  PetscInt         cell;
  PetscReal        frac, p = 1.5;
  PetscMPIInt      rank;
  char             path[256], text[2048] = "";
  PetscViewer      viewer;
  PetscErrorCode   ierr;

  assert_petsc(StkGridCreate(PETSC_COMM_WORLD, &grid));
  PetscPushErrorHandler(PetscReturnErrorHandler, NULL);
  ierr = StkGridSetCoordinates(grid, 0, 3, bad);
  PetscPopErrorHandler();
  assert_int_not_equal(ierr, 0);
  assert_petsc(StkGridSetCoordinates(grid, 0, 6, xs));
  assert_petsc(StkGridSetName(grid, 0, "s"));
  assert_petsc(StkGridSetUp(grid));
  assert_petsc(StkGridGetCoordinates(grid, 0, &x));
  assert_memory_equal(x, xs, sizeof(xs));
  assert_petsc(StkGridLocate(grid, &p, &cell, &frac));
  assert_int_equal(cell, 3);
  assert_close(frac, 0.6, 1e-15, 0);

  assert_petsc(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  snprintf(path, sizeof(path), "/tmp/stk_test_grid_view.%d.txt", rank == 0 ? (int)getpid() : 0);
  assert_petsc(MPI_Bcast(path, sizeof(path), MPI_CHAR, 0, PETSC_COMM_WORLD));
  assert_petsc(PetscViewerASCIIOpen(PETSC_COMM_WORLD, path, &viewer));
  assert_petsc(StkGridView(grid, viewer));
  assert_petsc(PetscViewerDestroy(&viewer));
  if (rank == 0) {
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    assert_true(fread(text, 1, sizeof(text) - 1, fp) > 0);
    fclose(fp);
    unlink(path);
    assert_non_null(strstr(text, "  s: 6 nodes on [-1., 10.], explicit coordinates, spacing 0.25 to 8\n"));
    assert_non_null(strstr(text, "StkGrid: dimension 1\n")); /* PETSc prints %g integers as "-1." */
    printf("%s", text);
  }
  assert_petsc(StkGridDestroy(&grid));
}

/* Refining a stretched grid inserts the cell midpoints; coarsening the refinement gives the
 * grid back bitwise, names included; a direction with n - 1 odd cannot be coarsened. */
static void test_refine_coarsen(void **state)
{
  StkGrid     grid = Grid2d(17, 9, 0.3), fine, back, odd;
  PetscInt    n[2], m[2];
  const char *name;

  assert_petsc(StkGridCreateRefined(grid, &fine));
  assert_petsc(StkGridCreateCoarsened(fine, &back));
  assert_petsc(StkGridGetSizes(fine, n));
  assert_int_equal(n[0], 33);
  assert_int_equal(n[1], 17);
  assert_petsc(StkGridGetSizes(back, m));
  assert_int_equal(m[0], 17);
  assert_int_equal(m[1], 9);
  for (PetscInt k = 0; k < 2; k++) {
    const PetscReal *x, *xf, *xb;
    assert_petsc(StkGridGetCoordinates(grid, k, &x));
    assert_petsc(StkGridGetCoordinates(fine, k, &xf));
    assert_petsc(StkGridGetCoordinates(back, k, &xb));
    assert_memory_equal(x, xb, m[k] * sizeof(PetscReal));
    for (PetscInt i = 0; i + 1 < m[k]; i++) assert_close(xf[2 * i + 1], 0.5 * (x[i] + x[i + 1]), 0, 0);
  }
  assert_petsc(StkGridGetName(back, 1, &name));
  assert_string_equal(name, "z");
  assert_petsc(StkGridDestroy(&back));
  odd = Grid2d(16, 9, 0);
  assert_petsc(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  assert_int_not_equal(StkGridCreateCoarsened(odd, &back), 0);
  assert_petsc(PetscPopErrorHandler());
  assert_petsc(StkGridDestroy(&odd));
  assert_petsc(StkGridDestroy(&fine));
  assert_petsc(StkGridDestroy(&grid));
}

/* The default memory budget counts each host once: the ranks of this test share one host,
 * so on any number of them it is 80 % of this host's memory (a per-rank sum would
 * double it on 2 ranks); a budget given in bytes is returned as given. */
static void test_memory_budget_per_host(void **state)
{
  const PetscReal host = 0.8 * (PetscReal)sysconf(_SC_PHYS_PAGES) * (PetscReal)sysconf(_SC_PAGE_SIZE);
  PetscReal       budget;

  assert_petsc(StkMemoryGetBudget(PETSC_COMM_WORLD, &budget));
  assert_close(budget, host, 1e-15, 0);
  assert_petsc(StkMemorySetBudget(3e9));
  assert_petsc(StkMemoryGetBudget(PETSC_COMM_WORLD, &budget));
  assert_close(budget, 3e9, 0, 0);
  assert_petsc(StkMemorySetBudget(0));
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(test_memory_budget_per_host),
  cmocka_unit_test(test_refine_coarsen),
  cmocka_unit_test(test_uniform_coordinates_exact),
  cmocka_unit_test(test_stretched_coordinates),
  cmocka_unit_test(test_dual_widths_2d_sum),
  cmocka_unit_test(test_interpolate_bilinear_exact),
  cmocka_unit_test(test_interpolate_gradient),
  cmocka_unit_test(test_gather_natural_order),
  cmocka_unit_test(test_interpolate_at_points),
  cmocka_unit_test(test_component_dm),
  cmocka_unit_test(test_options),
  cmocka_unit_test(test_default_center_follows_box),
  cmocka_unit_test(test_explicit_coordinates_and_view),
};

STK_TEST_MAIN(tests)
