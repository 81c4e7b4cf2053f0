/* Parallel HDF5 files of grid fields (grids/stk_h5.h): round trips, the on-disk layout a
 * serial reader sees, dimension scales, the temporary-then-rename protocol, the XDMF
 * sidecar and clean errors.  Runs on any number of ranks. */
#define _POSIX_C_SOURCE 200809L /* getpid, unlink */
#include "stk_test.h"
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include "stk_h5.h"
#include "stk_files.h"


#define N0 9
#define N1 7

static PetscMPIInt Rank(void)
{
  PetscMPIInt rank;
  assert_int_equal(MPI_Comm_rank(PETSC_COMM_WORLD, &rank), 0);
  return rank;
}

/* One name for all ranks: rank 0 picks it from its pid, then broadcasts it. */
static void UniquePath(const char tag[], const char ext[], size_t len, char path[])
{
  snprintf(path, len, "/tmp/stk_test_h5.%ld.%s%s", (long)getpid(), tag, ext);
  assert_int_equal(MPI_Bcast(path, (int)len, MPI_CHAR, 0, PETSC_COMM_WORLD), 0);
}

static PetscBool FileExists(const char path[])
{
  struct stat st;
  return stat(path, &st) == 0 ? PETSC_TRUE : PETSC_FALSE;
}

/* Field value at node (i0, i1), component c: every entry distinct and exactly representable. */
static PetscReal F(PetscInt i0, PetscInt i1, PetscInt c) { return i0 + 100 * i1 + 10000 * c + 0.25; }

static StkGrid StretchedGrid(void)
{
  StkGrid         grid;
  const PetscInt  n[2]  = {N0, N1};
  const PetscReal lo[2] = {0, -0.05}, hi[2] = {1, 0.05};

  assert_petsc(StkGridCreate(PETSC_COMM_WORLD, &grid));
  assert_petsc(StkGridSetDimension(grid, 2));
  assert_petsc(StkGridSetSizes(grid, n));
  assert_petsc(StkGridSetBox(grid, lo, hi));
  assert_petsc(StkGridSetStretching(grid, 0, 0.6, 0.1));
  assert_petsc(StkGridSetStretching(grid, 1, 0.0, 0.02));
  assert_petsc(StkGridSetName(grid, 0, "s"));
  assert_petsc(StkGridSetName(grid, 1, "z"));
  assert_petsc(StkGridSetUp(grid));
  return grid;
}

/* A global vector with ncomp components filled with F through the distributed layout. */
static Vec FilledField(StkGrid grid, PetscInt ncomp)
{
  DM            da;
  Vec           v;
  PetscScalar ***a;
  PetscInt      xs, ys, xm, ym;

  assert_petsc(StkGridCreateComponentDM(grid, ncomp, &da));
  assert_petsc(DMCreateGlobalVector(da, &v));
  assert_petsc(DMDAGetCorners(da, &xs, &ys, NULL, &xm, &ym, NULL));
  assert_petsc(DMDAVecGetArrayDOF(da, v, &a));
  for (PetscInt j = ys; j < ys + ym; j++)
    for (PetscInt i = xs; i < xs + xm; i++)
      for (PetscInt c = 0; c < ncomp; c++) a[j][i][c] = F(i, j, c);
  assert_petsc(DMDAVecRestoreArrayDOF(da, v, &a));
  assert_petsc(DMDestroy(&da));
  return v;
}

/* Grid, a scalar and a 2-component field, and attributes, into an uncommitted file. */
static void WriteAll(StkH5 file, StkGrid grid)
{
  Vec value = FilledField(grid, 1), drift = FilledField(grid, 2);

  assert_petsc(StkH5WriteGrid(file, "solution", grid));
  assert_petsc(StkH5WriteField(file, "solution", "value", grid, value, 1, NULL, "1", "value function"));
  assert_petsc(StkH5WriteField(file, "solution", "drift", grid, drift, 2, "component", "1/yr", NULL));
  assert_petsc(StkH5WriteAttributeReal(file, "solution", "rho", 0.05, "1/yr"));
  assert_petsc(StkH5WriteAttributeReal(file, "solution", "residual", 1.25e-11, NULL));
  assert_petsc(StkH5WriteAttributeInt(file, "solution", "iterations", 42));
  assert_petsc(StkH5WriteAttributeInt(file, "solution", "big", (PetscInt)1 << 30));
  assert_petsc(StkH5WriteAttributeString(file, "solution", "model", "staking"));
  assert_petsc(VecDestroy(&value));
  assert_petsc(VecDestroy(&drift));
}

static PetscReal MaxDiff(Vec a, Vec b)
{
  Vec       d;
  PetscReal norm;

  assert_petsc(VecDuplicate(a, &d));
  assert_petsc(VecWAXPY(d, -1, a, b));
  assert_petsc(VecNorm(d, NORM_INFINITY, &norm));
  assert_petsc(VecDestroy(&d));
  return norm;
}

static char *ReadText(const char path[])
{
  static char text[8192];
  FILE       *fp = fopen(path, "r");
  size_t      len;

  assert_non_null(fp);
  len       = fread(text, 1, sizeof(text) - 1, fp);
  text[len] = 0;
  fclose(fp);
  return text;
}

/* The file as a serial user (h5py, xarray) sees it: (n0, n1[, ncomp]) in C order, s slowest. */
static void CheckSerialLayout(const char path[])
{
  hid_t   fid, ds, space, s, z, comp;
  hsize_t dims[3];
  double  value[N0][N1], drift[N0][N1][2];

  assert_true((fid = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) >= 0);
  assert_true((ds = H5Dopen2(fid, "/solution/value", H5P_DEFAULT)) >= 0);
  assert_true((space = H5Dget_space(ds)) >= 0);
  assert_int_equal(H5Sget_simple_extent_ndims(space), 2);
  assert_int_equal(H5Sget_simple_extent_dims(space, dims, NULL), 2);
  assert_int_equal(dims[0], N0);
  assert_int_equal(dims[1], N1);
  assert_true(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, value) >= 0);
  for (int i = 0; i < N0; i++)
    for (int j = 0; j < N1; j++) assert_true(value[i][j] == F(i, j, 0));
  assert_true((s = H5Dopen2(fid, "/solution/s", H5P_DEFAULT)) >= 0);
  assert_true((z = H5Dopen2(fid, "/solution/z", H5P_DEFAULT)) >= 0);
  assert_true(H5DSis_scale(s) > 0);
  assert_true(H5DSis_attached(ds, s, 0) > 0);
  assert_true(H5DSis_attached(ds, z, 1) > 0);
  assert_true(H5DSis_attached(ds, z, 0) == 0);
  H5Sclose(space);
  H5Dclose(ds);

  assert_true((ds = H5Dopen2(fid, "/solution/drift", H5P_DEFAULT)) >= 0);
  assert_true((space = H5Dget_space(ds)) >= 0);
  assert_int_equal(H5Sget_simple_extent_dims(space, dims, NULL), 3);
  assert_true(dims[0] == N0 && dims[1] == N1 && dims[2] == 2);
  assert_true(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, drift) >= 0);
  for (int i = 0; i < N0; i++)
    for (int j = 0; j < N1; j++)
      for (int c = 0; c < 2; c++) assert_true(drift[i][j][c] == F(i, j, c));
  assert_true((comp = H5Dopen2(fid, "/solution/component", H5P_DEFAULT)) >= 0);
  assert_true(H5DSis_attached(ds, s, 0) > 0 && H5DSis_attached(ds, z, 1) > 0 && H5DSis_attached(ds, comp, 2) > 0);
  H5Dclose(comp);
  H5Sclose(space);
  H5Dclose(ds);
  H5Dclose(s);
  H5Dclose(z);
  assert_true(H5Fclose(fid) >= 0);
}

static void test_write_commit_read_back(void **state)
{
  StkGrid          grid = StretchedGrid(), back;
  StkH5            file;
  Vec              value = FilledField(grid, 1), drift = FilledField(grid, 2), rvalue, rdrift;
  const char      *fields[] = {"value"}, *name;
  char             path[256], tmp[300], xmf[256], str[64];
  PetscInt         dim, n[2], iv;
  PetscReal        rv;
  const PetscReal *x, *y;

  UniquePath("roundtrip", ".h5", sizeof(path), path);
  UniquePath("roundtrip", ".xmf", sizeof(xmf), xmf);
  snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
  assert_int_equal(MPI_Bcast(tmp, sizeof(tmp), MPI_CHAR, 0, PETSC_COMM_WORLD), 0);
  assert_petsc(StkH5Create(PETSC_COMM_WORLD, path, &file));
  WriteAll(file, grid);
  if (Rank() == 0) assert_true(FileExists(tmp) && !FileExists(path)); /* written under the temporary name */
  assert_petsc(StkH5Commit(file, "solution", grid, 1, fields));
  assert_petsc(StkH5Destroy(&file));
  assert_null(file);
  if (Rank() == 0) {
    const char *text;
    assert_true(FileExists(path) && !FileExists(tmp));
    text = ReadText(xmf);
    assert_non_null(strstr(text, "TopologyType=\"2DRectMesh\" Dimensions=\"9 7\""));
    assert_non_null(strstr(text, "GeometryType=\"VXVY\""));
    assert_true(strstr(text, ".h5:/solution/z") < strstr(text, ".h5:/solution/s")); /* VX is the fastest, z */
    assert_non_null(strstr(text, "<Attribute Name=\"value\" Center=\"Node\" AttributeType=\"Scalar\">"));
    assert_non_null(strstr(text, "Dimensions=\"9 7\" NumberType=\"Float\" Precision=\"8\" Format=\"HDF\">stk_test_h5."));
    assert_null(strstr(text, "/tmp/")); /* relative: the pair can move together */
    CheckSerialLayout(path);
  }
  assert_int_equal(MPI_Barrier(PETSC_COMM_WORLD), 0);

  assert_petsc(StkH5Open(PETSC_COMM_WORLD, path, &file));
  assert_petsc(StkH5ReadGrid(file, "solution", &back));
  assert_petsc(StkGridGetDimension(back, &dim));
  assert_int_equal(dim, 2);
  assert_petsc(StkGridGetSizes(back, n));
  assert_true(n[0] == N0 && n[1] == N1);
  for (PetscInt k = 0; k < 2; k++) {
    assert_petsc(StkGridGetCoordinates(grid, k, &x));
    assert_petsc(StkGridGetCoordinates(back, k, &y));
    assert_memory_equal(x, y, (size_t)n[k] * sizeof(PetscReal));
    assert_petsc(StkGridGetName(back, k, &name));
    assert_string_equal(name, k ? "z" : "s");
  }
  assert_petsc(StkH5ReadField(file, "solution", "value", back, 1, &rvalue));
  assert_petsc(StkH5ReadField(file, "solution", "drift", back, 2, &rdrift));
  assert_true(MaxDiff(value, rvalue) == 0);
  assert_true(MaxDiff(drift, rdrift) == 0);
  assert_petsc(StkH5ReadAttributeReal(file, "solution", "rho", &rv));
  assert_true(rv == 0.05);
  assert_petsc(StkH5ReadAttributeReal(file, "solution", "residual", &rv));
  assert_true(rv == 1.25e-11);
  assert_petsc(StkH5ReadAttributeString(file, "solution", "rho_units", sizeof(str), str));
  assert_string_equal(str, "1/yr");
  assert_petsc(StkH5ReadAttributeInt(file, "solution", "iterations", &iv));
  assert_int_equal(iv, 42);
  assert_petsc(StkH5ReadAttributeInt(file, "solution", "big", &iv));
  assert_int_equal(iv, 1 << 30);
  assert_petsc(StkH5ReadAttributeString(file, "solution", "model", sizeof(str), str));
  assert_string_equal(str, "staking");
  assert_petsc(StkH5ReadAttributeString(file, "solution", "model", 4, str)); /* truncated, terminated */
  assert_string_equal(str, "sta");
  assert_petsc(StkH5ReadAttributeString(file, "solution", "coordinates", sizeof(str), str));
  assert_string_equal(str, "s z");
  assert_petsc(StkH5Destroy(&file));
  assert_petsc(StkH5Destroy(&file)); /* NULL is fine */
  if (Rank() == 0) {
    assert_int_equal(unlink(path), 0);
    assert_int_equal(unlink(xmf), 0);
  }
  assert_petsc(VecDestroy(&rvalue));
  assert_petsc(VecDestroy(&rdrift));
  assert_petsc(VecDestroy(&value));
  assert_petsc(VecDestroy(&drift));
  assert_petsc(StkGridDestroy(&back));
  assert_petsc(StkGridDestroy(&grid));
}

static void test_one_dimensional(void **state)
{
  StkGrid         grid, back;
  StkH5           file;
  const PetscInt  n = 11;
  const PetscReal lo = -1, hi = 2;
  const char     *fields[] = {"value"};
  char            path[256], xmf[256];
  Vec             v, r;
  DM              da;
  PetscScalar    *a;
  PetscInt        xs, xm;

  assert_petsc(StkGridCreate(PETSC_COMM_WORLD, &grid));
  assert_petsc(StkGridSetSizes(grid, &n));
  assert_petsc(StkGridSetBox(grid, &lo, &hi));
  assert_petsc(StkGridSetName(grid, 0, "s"));
  assert_petsc(StkGridSetUp(grid));
  assert_petsc(StkGridGetDM(grid, &da));
  assert_petsc(DMCreateGlobalVector(da, &v));
  assert_petsc(DMDAGetCorners(da, &xs, NULL, NULL, &xm, NULL, NULL));
  assert_petsc(DMDAVecGetArray(da, v, &a));
  for (PetscInt i = xs; i < xs + xm; i++) a[i] = F(i, 0, 0);
  assert_petsc(DMDAVecRestoreArray(da, v, &a));
  UniquePath("line", "", sizeof(path), path); /* no extension: the sidecar appends .xmf */
  UniquePath("line", ".xmf", sizeof(xmf), xmf);
  assert_petsc(StkH5Create(PETSC_COMM_WORLD, path, &file));
  assert_petsc(StkH5WriteGrid(file, "g", grid));
  assert_petsc(StkH5WriteField(file, "g", "value", grid, v, 1, NULL, NULL, NULL));
  assert_petsc(StkH5Commit(file, "g", grid, 1, fields));
  assert_petsc(StkH5Destroy(&file));
  assert_petsc(StkH5Open(PETSC_COMM_WORLD, path, &file));
  assert_petsc(StkH5ReadGrid(file, "g", &back));
  assert_petsc(StkH5ReadField(file, "g", "value", back, 1, &r));
  assert_true(MaxDiff(v, r) == 0);
  assert_petsc(StkH5Destroy(&file));
  if (Rank() == 0) {
    const char *text = ReadText(xmf);
    assert_non_null(strstr(text, "TopologyType=\"2DRectMesh\" Dimensions=\"1 11\""));
    assert_non_null(strstr(text, "<DataItem Dimensions=\"11\" NumberType=\"Float\" Precision=\"8\" Format=\"HDF\">stk_test_h5."));
    assert_int_equal(unlink(path), 0);
    assert_int_equal(unlink(xmf), 0);
  }
  assert_petsc(VecDestroy(&r));
  assert_petsc(VecDestroy(&v));
  assert_petsc(StkGridDestroy(&back));
  assert_petsc(StkGridDestroy(&grid));
}

static void test_destroy_without_commit_leaves_nothing(void **state)
{
  StkGrid grid = StretchedGrid();
  StkH5   file;
  char    path[256], tmp[300];

  UniquePath("aborted", ".h5", sizeof(path), path);
  snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
  assert_int_equal(MPI_Bcast(tmp, sizeof(tmp), MPI_CHAR, 0, PETSC_COMM_WORLD), 0);
  assert_petsc(StkH5Create(PETSC_COMM_WORLD, path, &file));
  WriteAll(file, grid);
  assert_int_equal(MPI_Barrier(PETSC_COMM_WORLD), 0);
  if (Rank() == 0) assert_true(FileExists(tmp));
  assert_petsc(StkH5Destroy(&file));
  if (Rank() == 0) assert_true(!FileExists(tmp) && !FileExists(path));
  assert_petsc(StkGridDestroy(&grid));
}

static PetscErrorCode CheckWritableQuietly(const char path[])
{
  PetscErrorCode ierr;

  PetscPushErrorHandler(PetscReturnErrorHandler, NULL);
  ierr = StkH5CheckWritable(PETSC_COMM_WORLD, "-o", path);
  PetscPopErrorHandler();
  return ierr;
}

static void test_check_writable(void **state)
{
  char  regular[256], below[300], ok[256], probe[300];
  FILE *fp;

  UniquePath("regular", "", sizeof(regular), regular);
  UniquePath("ok", ".h5", sizeof(ok), ok);
  snprintf(below, sizeof(below), "%s/x.h5", regular);
  if (Rank() == 0) {
    assert_non_null(fp = fopen(regular, "w"));
    fclose(fp);
  }
  assert_int_equal(MPI_Barrier(PETSC_COMM_WORLD), 0);
  assert_int_equal(CheckWritableQuietly("/nonexistent_dir/x.h5"), PETSC_ERR_FILE_OPEN);
  assert_int_equal(CheckWritableQuietly(below), PETSC_ERR_FILE_OPEN); /* parent is a regular file */
  assert_int_equal(CheckWritableQuietly("/tmp"), PETSC_ERR_FILE_OPEN);  /* a directory */
  assert_int_equal(CheckWritableQuietly(""), PETSC_ERR_FILE_OPEN);
  assert_int_equal(CheckWritableQuietly(ok), 0);
  assert_int_equal(CheckWritableQuietly("relative_name_in_cwd.h5"), 0);
  if (Rank() == 0) {
    snprintf(probe, sizeof(probe), "%s.tmp.check.%ld", ok, (long)getpid());
    assert_true(!FileExists(ok) && !FileExists(probe)); /* the probe is removed */
    assert_int_equal(unlink(regular), 0);
  }
}

static PetscErrorCode ReadQuietly(StkH5 file, const char name[], StkGrid grid, PetscInt ncomp, Vec *v)
{
  PetscErrorCode ierr;

  PetscPushErrorHandler(PetscReturnErrorHandler, NULL);
  ierr = StkH5ReadField(file, "solution", name, grid, ncomp, v);
  PetscPopErrorHandler();
  return ierr;
}

static void test_read_errors(void **state)
{
  StkGrid         grid = StretchedGrid(), other;
  StkH5           file;
  Vec             v = NULL;
  const char     *fields[] = {"value", "drift"};
  char            path[256], xmf[256];
  const PetscInt  n[2]  = {N0, N1 + 1};
  PetscReal       r;
  PetscErrorCode  ierr;

  UniquePath("errors", ".h5", sizeof(path), path);
  UniquePath("errors", ".xmf", sizeof(xmf), xmf);
  assert_petsc(StkH5Create(PETSC_COMM_WORLD, path, &file));
  WriteAll(file, grid);
  PetscPushErrorHandler(PetscReturnErrorHandler, NULL);
  ierr = StkH5Commit(file, "solution", grid, 2, fields); /* drift is not scalar: refused before closing */
  PetscPopErrorHandler();
  assert_int_not_equal(ierr, 0);
  assert_petsc(StkH5Commit(file, "solution", grid, 1, fields));
  assert_petsc(StkH5Destroy(&file));

  assert_petsc(StkGridCreate(PETSC_COMM_WORLD, &other));
  assert_petsc(StkGridSetDimension(other, 2));
  assert_petsc(StkGridSetSizes(other, n));
  assert_petsc(StkGridSetName(other, 0, "s"));
  assert_petsc(StkGridSetName(other, 1, "z"));
  assert_petsc(StkGridSetUp(other));
  assert_petsc(StkH5Open(PETSC_COMM_WORLD, path, &file));
  assert_int_equal(ReadQuietly(file, "missing", grid, 1, &v), PETSC_ERR_FILE_UNEXPECTED);
  assert_int_equal(ReadQuietly(file, "value", other, 1, &v), PETSC_ERR_FILE_UNEXPECTED); /* 9 x 8 grid */
  assert_int_equal(ReadQuietly(file, "value", grid, 2, &v), PETSC_ERR_FILE_UNEXPECTED);  /* not 2 components */
  assert_int_equal(ReadQuietly(file, "drift", grid, 1, &v), PETSC_ERR_FILE_UNEXPECTED);
  assert_null(v);
  PetscPushErrorHandler(PetscReturnErrorHandler, NULL);
  ierr = StkH5ReadAttributeReal(file, "solution", "no_such_attribute", &r);
  PetscPopErrorHandler();
  assert_int_equal(ierr, PETSC_ERR_FILE_UNEXPECTED);
  assert_petsc(StkH5ReadField(file, "solution", "value", grid, 1, &v)); /* the file still reads after errors */
  assert_petsc(StkH5Destroy(&file));
  PetscPushErrorHandler(PetscReturnErrorHandler, NULL);
  ierr = StkH5Open(PETSC_COMM_WORLD, "/nonexistent_dir/x.h5", &file);
  PetscPopErrorHandler();
  assert_int_equal(ierr, PETSC_ERR_FILE_OPEN);
  assert_null(file);
  if (Rank() == 0) {
    assert_int_equal(unlink(path), 0);
    assert_int_equal(unlink(xmf), 0);
  }
  assert_petsc(VecDestroy(&v));
  assert_petsc(StkGridDestroy(&other));
  assert_petsc(StkGridDestroy(&grid));
}

static PetscErrorCode CaptureError(MPI_Comm comm, int line, const char *fun, const char *file, PetscErrorCode n, PetscErrorType p, const char *mess, void *ctx)
{
  char *buf = (char *)ctx;
  if (p == PETSC_ERROR_INITIAL && !buf[0]) snprintf(buf, 512, "%s", mess);
  return n;
}

/* The error code of StkFileCheckNotInput (or NotOutput), its message in msg[512]. */
static PetscErrorCode CheckNotSame(PetscBool output, const char out[], const char in[], char msg[])
{
  PetscErrorCode ierr;

  msg[0] = 0;
  PetscPushErrorHandler(CaptureError, msg);
  ierr = output ? StkFileCheckNotOutput(PETSC_COMM_WORLD, "-o", out, "-o_other", in) : StkFileCheckNotInput(PETSC_COMM_WORLD, "-o", out, "-i", in);
  PetscPopErrorHandler();
  return ierr;
}

/* An output that is an input is refused whatever the spelling (., //, a hard link), two
 * different files are not; the message starts with the output option and names both. */
static void test_output_not_input(void **state)
{
  char  a[256], b[256], alias[300], link_[300], absent[256], msg[512];
  FILE *fp;

  UniquePath("in_a", ".h5", sizeof(a), a);
  UniquePath("in_b", ".h5", sizeof(b), b);
  UniquePath("absent", ".h5", sizeof(absent), absent);
  snprintf(alias, sizeof(alias), "/tmp/./%s", a + 5); /* "/tmp/stk..." spelled "/tmp/./stk..." */
  snprintf(link_, sizeof(link_), "%s.link", a);
  if (Rank() == 0) {
    assert_non_null(fp = fopen(a, "w"));
    fclose(fp);
    assert_non_null(fp = fopen(b, "w"));
    fclose(fp);
    assert_int_equal(link(a, link_), 0);
  }
  assert_int_equal(MPI_Barrier(PETSC_COMM_WORLD), 0);
  assert_int_equal(CheckNotSame(PETSC_FALSE, a, a, msg), PETSC_ERR_USER_INPUT);
  assert_true(!strncmp(msg, "-o ", 3) && strstr(msg, "is the same file as the input -i") && strstr(msg, a));
  assert_int_equal(CheckNotSame(PETSC_FALSE, alias, a, msg), PETSC_ERR_USER_INPUT);
  assert_int_equal(CheckNotSame(PETSC_FALSE, link_, a, msg), PETSC_ERR_USER_INPUT); /* same inode */
  assert_int_equal(CheckNotSame(PETSC_FALSE, b, a, msg), 0);
  assert_int_equal(CheckNotSame(PETSC_FALSE, absent, a, msg), 0);
  assert_int_equal(CheckNotSame(PETSC_FALSE, a, "", msg), 0); /* no input given */
  assert_int_equal(CheckNotSame(PETSC_TRUE, absent, absent, msg), PETSC_ERR_USER_INPUT); /* two outputs, neither written yet */
  assert_non_null(strstr(msg, "is the same file as the output -o_other"));
  if (Rank() == 0) {
    assert_int_equal(unlink(a), 0);
    assert_int_equal(unlink(b), 0);
    assert_int_equal(unlink(link_), 0);
  }
}

/* Writes `text` to PATH on rank 0. */
static void WriteText(const char path[], const char text[])
{
  FILE *fp;

  if (Rank() == 0) {
    assert_non_null(fp = fopen(path, "w"));
    fputs(text, fp);
    fclose(fp);
  }
  assert_int_equal(MPI_Barrier(PETSC_COMM_WORLD), 0);
}

/* An output set: nothing under the final names until the commit, then every member at
 * once; a set destroyed before its commit leaves the older files as they were. */
static void test_output_set(void **state)
{
  StkGrid      grid = StretchedGrid();
  StkOutputSet set;
  StkH5        file;
  char         dir[256], h5[300], csv[300], staged[600], stage[300], msg[512] = "";

  UniquePath("set", "", sizeof(dir), dir);
  if (Rank() == 0) assert_int_equal(mkdir(dir, 0777), 0);
  snprintf(h5, sizeof(h5), "%s/r.h5", dir);
  snprintf(csv, sizeof(csv), "%s/r.csv", dir);
  assert_petsc(StkOutputSetCreate(PETSC_COMM_WORLD, h5, &set));
  assert_petsc(StkOutputSetGetPath(set, h5, staged, sizeof(staged)));
  assert_petsc(StkH5Create(PETSC_COMM_WORLD, staged, &file));
  WriteAll(file, grid);
  assert_petsc(StkH5Commit(file, "solution", NULL, 0, NULL));
  assert_petsc(StkH5Destroy(&file));
  assert_petsc(StkOutputSetGetPath(set, csv, staged, sizeof(staged)));
  WriteText(staged, "new\n");
  if (Rank() == 0) {
    assert_true(!FileExists(h5) && !FileExists(csv)); /* not yet */
    snprintf(stage, sizeof(stage), "%s/.r.h5.tmp.%ld", dir, (long)getpid());
    assert_true(FileExists(stage));
  }
  PetscPushErrorHandler(CaptureError, msg);
  assert_int_not_equal(StkOutputSetGetPath(set, "/elsewhere/r.xmf", staged, sizeof(staged)), 0);
  PetscPopErrorHandler();
  assert_non_null(strstr(msg, "/elsewhere/r.xmf"));
  assert_petsc(StkOutputSetCommit(set));
  assert_petsc(StkOutputSetDestroy(&set));
  if (Rank() == 0) assert_true(FileExists(h5) && FileExists(csv) && !FileExists(stage));

  /* a second set, abandoned: the first one's files are untouched */
  assert_petsc(StkOutputSetCreate(PETSC_COMM_WORLD, h5, &set));
  assert_petsc(StkOutputSetGetPath(set, csv, staged, sizeof(staged)));
  WriteText(staged, "partial\n");
  assert_petsc(StkOutputSetDestroy(&set));
  if (Rank() == 0) {
    assert_true(!FileExists(stage));
    assert_string_equal(ReadText(csv), "new\n");
    assert_int_equal(unlink(h5), 0);
    assert_int_equal(unlink(csv), 0);
    assert_int_equal(rmdir(dir), 0);
  }
  assert_petsc(StkGridDestroy(&grid));
}

/* Reading refuses non-finite or non-increasing coordinates and (StkH5CheckFinite)
 * non-finite values, naming the file and the dataset. */
static void test_read_validation(void **state)
{
  StkGrid   grid = StretchedGrid(), back = NULL;
  StkH5     file;
  Vec       v;
  char      path[256], msg[512], want[400];
  PetscReal z0 = 0;

  UniquePath("validate", ".h5", sizeof(path), path);
  assert_petsc(StkH5Create(PETSC_COMM_WORLD, path, &file));
  WriteAll(file, grid);
  assert_petsc(StkH5Commit(file, "solution", NULL, 0, NULL));
  assert_petsc(StkH5Destroy(&file));

  /* a NaN in a field read back */
  assert_petsc(StkH5Open(PETSC_COMM_WORLD, path, &file));
  assert_petsc(StkH5ReadField(file, "solution", "value", grid, 1, &v));
  assert_petsc(StkH5CheckFinite(file, "solution", "value", v));
  if (Rank() == 0) assert_petsc(VecSetValue(v, 0, NAN, INSERT_VALUES));
  assert_petsc(VecAssemblyBegin(v));
  assert_petsc(VecAssemblyEnd(v));
  msg[0] = 0;
  PetscPushErrorHandler(CaptureError, msg);
  assert_int_equal(StkH5CheckFinite(file, "solution", "value", v), PETSC_ERR_FILE_UNEXPECTED);
  PetscPopErrorHandler();
  snprintf(want, sizeof(want), "%s: dataset 'solution/value' contains 1 non-finite", path);
  assert_non_null(strstr(msg, want));
  assert_petsc(VecDestroy(&v));
  assert_petsc(StkH5Destroy(&file));

  /* z made constant where it should increase */
  if (Rank() == 0) {
    hid_t fid = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT), ds = H5Dopen2(fid, "solution/z", H5P_DEFAULT);
    double z[N1];
    for (int j = 0; j < N1; j++) z[j] = z0;
    assert_true(fid >= 0 && ds >= 0 && H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, z) >= 0);
    H5Dclose(ds);
    H5Fclose(fid);
  }
  assert_int_equal(MPI_Barrier(PETSC_COMM_WORLD), 0);
  assert_petsc(StkH5Open(PETSC_COMM_WORLD, path, &file));
  msg[0] = 0;
  PetscPushErrorHandler(CaptureError, msg);
  assert_int_equal(StkH5ReadGrid(file, "solution", &back), PETSC_ERR_FILE_UNEXPECTED);
  PetscPopErrorHandler();
  snprintf(want, sizeof(want), "%s: dataset 'solution/z': coordinates must increase strictly", path);
  assert_non_null(strstr(msg, want));
  assert_null(back);
  assert_petsc(StkH5Destroy(&file));
  if (Rank() == 0) assert_int_equal(unlink(path), 0);
  assert_petsc(StkGridDestroy(&grid));
}

/* Tables (StkH5WriteArray, StkH5WriteArray2D) read back bitwise with StkH5ReadArray and
 * StkH5ReadArray2D on every rank; the presence tests, including nested and missing groups. */
static void test_arrays(void **state)
{
  const PetscReal x[5] = {0.1, 0.2, 1.0 / 3, -7, 1e-300}, t[6] = {1, 2, 3, 4, 5, 6.5};
  StkH5           file;
  char            path[256], text[256];
  const char     *name;
  PetscReal      *a = NULL, r;
  PetscInt        n, rows, cols;
  PetscBool       has, readable;
  PetscErrorCode  ierr;

  UniquePath("arrays", ".h5", sizeof(path), path);
  UniquePath("arrays", ".txt", sizeof(text), text);
  assert_petsc(StkH5Create(PETSC_COMM_WORLD, path, &file));
  assert_petsc(StkH5WriteArray(file, "tables", "x", "x", 5, x, "1", "a scale"));
  assert_petsc(StkH5WriteArray2D(file, "tables", "t", "x", NULL, 2, 3, t, NULL, NULL));
  assert_petsc(StkH5WriteAttributeReal(file, "tables", "r", 0.7, NULL));
  assert_petsc(StkH5WriteArray(file, "a/b", "y", NULL, 2, x, NULL, NULL));
  assert_petsc(StkH5Commit(file, "tables", NULL, 0, NULL));
  assert_petsc(StkH5Destroy(&file));

  assert_petsc(StkH5TestFile(PETSC_COMM_WORLD, path, &readable));
  assert_true(readable);
  assert_petsc(StkH5TestFile(PETSC_COMM_WORLD, "/nonexistent_dir/x.h5", &readable));
  assert_false(readable);
  if (Rank() == 0) {
    FILE *fp = fopen(text, "w");
    assert_non_null(fp);
    fputs("not HDF5\n", fp);
    fclose(fp);
  }
  assert_petsc(StkH5TestFile(PETSC_COMM_WORLD, text, &readable));
  assert_false(readable);

  assert_petsc(StkH5Open(PETSC_COMM_WORLD, path, &file));
  assert_petsc(StkH5GetPath(file, &name));
  assert_string_equal(name, path);
  assert_petsc(StkH5HasGroup(file, "tables", &has));
  assert_true(has);
  assert_petsc(StkH5HasGroup(file, "a/b", &has));
  assert_true(has);
  assert_petsc(StkH5HasGroup(file, "a/c/d", &has)); /* a missing intermediate group: no error */
  assert_false(has);
  assert_petsc(StkH5HasGroup(file, "tables/x", &has)); /* a dataset, not a group */
  assert_false(has);
  assert_petsc(StkH5HasDataset(file, "tables", "t", &has));
  assert_true(has);
  assert_petsc(StkH5HasDataset(file, "tables", "nope", &has));
  assert_false(has);
  assert_petsc(StkH5HasDataset(file, "nope", "t", &has));
  assert_false(has);
  assert_petsc(StkH5HasDataset(file, "a", "b", &has)); /* a group, not a dataset */
  assert_false(has);
  assert_petsc(StkH5HasAttribute(file, "tables", "r", &has));
  assert_true(has);
  assert_petsc(StkH5HasAttribute(file, "tables", "r_units", &has));
  assert_false(has);
  assert_petsc(StkH5HasAttribute(file, "nope", "r", &has));
  assert_false(has);
  assert_petsc(StkH5ReadAttributeReal(file, "tables", "r", &r));
  assert_true(r == 0.7);

  assert_petsc(StkH5ReadArray(file, "tables", "x", &n, &a));
  assert_int_equal(n, 5);
  assert_memory_equal(a, x, sizeof(x));
  assert_petsc(PetscFree(a));
  assert_petsc(StkH5ReadArray(file, "a/b", "y", &n, &a));
  assert_int_equal(n, 2);
  assert_memory_equal(a, x, 2 * sizeof(x[0]));
  assert_petsc(PetscFree(a));
  assert_petsc(StkH5ReadArray2D(file, "tables", "t", &rows, &cols, &a));
  assert_int_equal(rows, 2);
  assert_int_equal(cols, 3);
  assert_memory_equal(a, t, sizeof(t));
  assert_petsc(PetscFree(a));

  PetscPushErrorHandler(PetscReturnErrorHandler, NULL);
  ierr = StkH5ReadArray(file, "tables", "t", &n, &a); /* 2-D */
  assert_int_equal(ierr, PETSC_ERR_FILE_UNEXPECTED);
  assert_null(a);
  ierr = StkH5ReadArray2D(file, "tables", "x", &rows, &cols, &a); /* 1-D */
  assert_int_equal(ierr, PETSC_ERR_FILE_UNEXPECTED);
  ierr = StkH5ReadArray(file, "tables", "nope", &n, &a);
  assert_int_equal(ierr, PETSC_ERR_FILE_UNEXPECTED);
  ierr = StkH5ReadArray(file, "nope", "x", &n, &a);
  assert_int_equal(ierr, PETSC_ERR_FILE_UNEXPECTED);
  PetscPopErrorHandler();
  assert_null(a);
  assert_petsc(StkH5ReadArray(file, "tables", "x", &n, &a)); /* the file still reads after errors */
  assert_petsc(PetscFree(a));
  assert_petsc(StkH5Destroy(&file));
  if (Rank() == 0) {
    assert_int_equal(unlink(path), 0);
    assert_int_equal(unlink(text), 0);
  }
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(test_write_commit_read_back),
  cmocka_unit_test(test_one_dimensional),
  cmocka_unit_test(test_destroy_without_commit_leaves_nothing),
  cmocka_unit_test(test_check_writable),
  cmocka_unit_test(test_read_errors),
  cmocka_unit_test(test_arrays),
  cmocka_unit_test(test_output_not_input),
  cmocka_unit_test(test_output_set),
  cmocka_unit_test(test_read_validation),
};

STK_TEST_MAIN(tests)
