/* Parallel HDF5 files of grid fields (see stk_h5.h and docs/hdf5.md): written under a
 * temporary name, renamed by StkH5Commit, with dimension scales and an XDMF sidecar. */
#define _POSIX_C_SOURCE 200809L /* getpid, open */
#include "stk_h5.h"
#include "stk_files.h"
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <hdf5.h>
#include <hdf5_hl.h>

#if defined(PETSC_USE_COMPLEX)
  #error "stk_h5.c stores real fields: build PETSc with real scalars"
#endif

struct _p_StkH5 {
  MPI_Comm  comm;
  hid_t     fid;
  char      path[PETSC_MAX_PATH_LEN]; /* final name */
  char      tmp[PETSC_MAX_PATH_LEN];  /* name while writing ("" when opened for reading) */
  PetscBool committed;
};

/* Every HDF5 call: a negative hid_t/herr_t/htri_t raises an error naming the file and the
 * call: PETSC_ERR_FILE_READ on a file opened for reading (a damaged file, e.g. truncated),
 * PETSC_ERR_FILE_WRITE on one being written (a full disk). */
#define H5Call(file, call) \
  do { \
    if ((call) < 0) SETERRQ((file)->comm, (file)->tmp[0] ? PETSC_ERR_FILE_WRITE : PETSC_ERR_FILE_READ, "%s: HDF5 call %s failed (damaged or truncated file?)", (file)->path, #call); \
  } while (0)

/* ------------------------------------------------------------------------------------ */
/* Checking the output path early                                                       */

/* Rank 0's view of why PATH cannot be written ("" if it can). */
static void WritableReason(const char path[], size_t len, char reason[])
{
  char        dir[PETSC_MAX_PATH_LEN], probe[PETSC_MAX_PATH_LEN + 64];
  const char *slash;
  struct stat st;
  int         fd;

  reason[0] = 0;
  if (!path[0]) {
    snprintf(reason, len, "empty file name");
    return;
  }
  if (strlen(path) + 40 >= sizeof(dir)) {
    snprintf(reason, len, "file name too long");
    return;
  }
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
    snprintf(reason, len, "it is a directory");
    return;
  }
  slash = strrchr(path, '/');
  if (!slash) snprintf(dir, sizeof(dir), ".");
  else if (slash == path) snprintf(dir, sizeof(dir), "/");
  else snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
  if (stat(dir, &st) != 0) {
    snprintf(reason, len, "directory '%s' does not exist (%s)", dir, strerror(errno));
    return;
  }
  if (!S_ISDIR(st.st_mode)) {
    snprintf(reason, len, "'%s' is not a directory", dir);
    return;
  }
  /* really create a file: access(W_OK) says yes to root even on read-only mounts */
  snprintf(probe, sizeof(probe), "%s.tmp.check.%ld", path, (long)getpid());
  fd = open(probe, O_CREAT | O_EXCL | O_WRONLY, 0644);
  if (fd < 0) {
    snprintf(reason, len, "cannot create a file in directory '%s' (%s)", dir, strerror(errno));
    return;
  }
  close(fd);
  unlink(probe);
}

PetscErrorCode StkH5CheckWritable(MPI_Comm comm, const char option[], const char path[])
{
  PetscMPIInt rank;
  char        reason[PETSC_MAX_PATH_LEN + 128] = "";

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) WritableReason(path ? path : "", sizeof(reason), reason);
  PetscCallMPI(MPI_Bcast(reason, (PetscMPIInt)sizeof(reason), MPI_CHAR, 0, comm));
  PetscCheck(!reason[0], comm, PETSC_ERR_FILE_OPEN, "%s %s: cannot write the output file: %s", option, path ? path : "(null)", reason);
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* Creating, opening, closing                                                           */

static PetscErrorCode H5New(MPI_Comm comm, const char path[], StkH5 *file)
{
  StkH5 f;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&f));
  f->comm = comm;
  f->fid  = -1;
  PetscCall(PetscStrncpy(f->path, path, sizeof(f->path)));
  H5Call(f, H5Eset_auto2(H5E_DEFAULT, NULL, NULL)); /* our errors name the call instead */
  *file = f;
  PetscFunctionReturn(0);
}

static PetscErrorCode MPIOAccess(StkH5 file, hid_t *fapl)
{
  PetscFunctionBeginUser;
  H5Call(file, *fapl = H5Pcreate(H5P_FILE_ACCESS));
  H5Call(file, H5Pset_fapl_mpio(*fapl, file->comm, MPI_INFO_NULL));
  PetscFunctionReturn(0);
}

PetscErrorCode StkH5Create(MPI_Comm comm, const char path[], StkH5 *file)
{
  StkH5       f;
  PetscMPIInt rank;
  hid_t       fapl;

  PetscFunctionBeginUser;
  *file = NULL;
  PetscCall(H5New(comm, path, &f));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) PetscCall(PetscSNPrintf(f->tmp, sizeof(f->tmp), "%s.tmp.%ld", path, (long)getpid()));
  PetscCallMPI(MPI_Bcast(f->tmp, (PetscMPIInt)sizeof(f->tmp), MPI_CHAR, 0, comm));
  PetscCall(StkFileRegisterTemporary(f->tmp)); /* removed on SIGINT/SIGTERM */
  PetscCall(MPIOAccess(f, &fapl));
  f->fid = H5Fcreate(f->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Call(f, H5Pclose(fapl));
  if (f->fid < 0) {
    PetscCall(StkFileUnregisterTemporary(f->tmp));
    PetscCall(PetscFree(f));
    SETERRQ(comm, PETSC_ERR_FILE_OPEN, "%s: cannot create the HDF5 file (temporary name '%s.tmp.PID')", path, path);
  }
  *file = f;
  PetscFunctionReturn(0);
}

/* Rank 0's view of why PATH is no HDF5 file to read ("" if it is one): MPI-IO on a
 * directory or a text file would print its own messages before ours. */
static void ReadableReason(const char path[], size_t len, char reason[])
{
  struct stat st;
  htri_t      is;

  reason[0] = 0;
  if (stat(path, &st)) snprintf(reason, len, "cannot open the HDF5 file for reading (%s)", strerror(errno));
  else if (S_ISDIR(st.st_mode)) snprintf(reason, len, "is a directory, not an HDF5 file");
  else if (!S_ISREG(st.st_mode)) snprintf(reason, len, "is not a regular file");
  else {
    H5E_BEGIN_TRY { is = H5Fis_hdf5(path); }
    H5E_END_TRY;
    if (is <= 0) snprintf(reason, len, "cannot open the HDF5 file for reading (not HDF5, or damaged: truncated?)");
  }
}

PetscErrorCode StkH5Open(MPI_Comm comm, const char path[], StkH5 *file)
{
  StkH5       f;
  hid_t       fapl;
  PetscMPIInt rank;
  char        reason[256] = "";

  PetscFunctionBeginUser;
  *file = NULL;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) ReadableReason(path, sizeof(reason), reason);
  PetscCallMPI(MPI_Bcast(reason, (PetscMPIInt)sizeof(reason), MPI_CHAR, 0, comm));
  PetscCheck(!reason[0], comm, PETSC_ERR_FILE_OPEN, "%s: %s", path, reason);
  PetscCall(H5New(comm, path, &f));
  f->committed = PETSC_TRUE; /* nothing to rename or remove */
  PetscCall(MPIOAccess(f, &fapl));
  f->fid = H5Fopen(path, H5F_ACC_RDONLY, fapl);
  H5Call(f, H5Pclose(fapl));
  if (f->fid < 0) {
    PetscCall(PetscFree(f));
    SETERRQ(comm, PETSC_ERR_FILE_OPEN, "%s: cannot open the HDF5 file for reading (not HDF5, or damaged: truncated?)", path);
  }
  *file = f;
  PetscFunctionReturn(0);
}

PetscErrorCode StkH5TestFile(MPI_Comm comm, const char path[], PetscBool *readable)
{
  PetscMPIInt rank;
  int         ok = 0;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0 && path && path[0]) {
    htri_t is;
    H5E_BEGIN_TRY { is = H5Fis_hdf5(path); } /* negative for a missing file: no HDF5 error stack printed */
    H5E_END_TRY;
    ok = is > 0;
  }
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, comm));
  *readable = ok ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkH5GetPath(StkH5 file, const char **path)
{
  PetscFunctionBeginUser;
  *path = file->path;
  PetscFunctionReturn(0);
}

/* Objects still open in the file (left by an error); 0 after every successful call. */
static PetscErrorCode OpenObjectCount(StkH5 file, ssize_t *count)
{
  PetscFunctionBeginUser;
  H5Call(file, *count = H5Fget_obj_count(file->fid, H5F_OBJ_DATASET | H5F_OBJ_GROUP | H5F_OBJ_DATATYPE | H5F_OBJ_ATTR | H5F_OBJ_LOCAL));
  PetscFunctionReturn(0);
}

/* Close whatever an error left open, then the file itself (collective). */
static PetscErrorCode CloseFile(StkH5 file)
{
  ssize_t count;
  hid_t  *ids;

  PetscFunctionBeginUser;
  if (file->fid < 0) PetscFunctionReturn(0);
  PetscCall(OpenObjectCount(file, &count));
  if (count > 0) {
    PetscCall(PetscMalloc1(count, &ids));
    H5Call(file, count = H5Fget_obj_ids(file->fid, H5F_OBJ_DATASET | H5F_OBJ_GROUP | H5F_OBJ_DATATYPE | H5F_OBJ_ATTR | H5F_OBJ_LOCAL, (size_t)count, ids));
    for (ssize_t i = 0; i < count; i++) {
      const H5I_type_t type = H5Iget_type(ids[i]);
      if (type == H5I_DATASET) H5Dclose(ids[i]);
      else if (type == H5I_GROUP) H5Gclose(ids[i]);
      else if (type == H5I_DATATYPE) H5Tclose(ids[i]);
      else if (type == H5I_ATTR) H5Aclose(ids[i]);
    }
    PetscCall(PetscFree(ids));
  }
  H5Call(file, H5Fclose(file->fid));
  file->fid = -1;
  PetscFunctionReturn(0);
}

PetscErrorCode StkH5Destroy(StkH5 *file)
{
  StkH5       f;
  PetscMPIInt rank;

  PetscFunctionBeginUser;
  if (!file || !*file) PetscFunctionReturn(0);
  f = *file;
  PetscCall(CloseFile(f));
  if (!f->committed && f->tmp[0]) {
    /* an interrupted write: leave nothing behind */
    PetscCallMPI(MPI_Barrier(f->comm));
    PetscCallMPI(MPI_Comm_rank(f->comm, &rank));
    if (rank == 0) (void)unlink(f->tmp);
  }
  if (f->tmp[0]) PetscCall(StkFileUnregisterTemporary(f->tmp));
  PetscCall(PetscFree(*file));
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* Small HDF5 helpers                                                                   */

/* Whether every component of the slash-separated PATH exists below LOC: H5Lexists fails,
 * rather than says no, when an intermediate group is missing. */
static PetscErrorCode PathExists(StkH5 file, hid_t loc, const char path[], PetscBool *exists)
{
  char         buf[PETSC_MAX_PATH_LEN];
  const size_t len = strlen(path);
  htri_t       e;

  PetscFunctionBeginUser;
  PetscCheck(len < sizeof(buf), file->comm, PETSC_ERR_ARG_SIZ, "%s: object name too long: '%s'", file->path, path);
  *exists = PETSC_TRUE;
  for (size_t i = 1; i <= len && *exists; i++) {
    if (i < len && path[i] != '/') continue;
    PetscCall(PetscMemcpy(buf, path, i));
    buf[i] = 0;
    H5Call(file, e = H5Lexists(loc, buf, H5P_DEFAULT));
    *exists = e > 0 ? PETSC_TRUE : PETSC_FALSE;
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode GroupOpen(StkH5 file, const char group[], PetscBool create, hid_t *gid)
{
  PetscBool exists;

  PetscFunctionBeginUser;
  PetscCheck(file->fid >= 0, file->comm, PETSC_ERR_ARG_WRONGSTATE, "%s: is already closed", file->path);
  PetscCall(PathExists(file, file->fid, group, &exists));
  if (exists) H5Call(file, *gid = H5Gopen2(file->fid, group, H5P_DEFAULT));
  else {
    hid_t lcpl;
    PetscCheck(create, file->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: has no group '%s'", file->path, group);
    H5Call(file, lcpl = H5Pcreate(H5P_LINK_CREATE));
    H5Call(file, H5Pset_create_intermediate_group(lcpl, 1)); /* "network/layer0" works */
    H5Call(file, *gid = H5Gcreate2(file->fid, group, lcpl, H5P_DEFAULT, H5P_DEFAULT));
    H5Call(file, H5Pclose(lcpl));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode Exists(StkH5 file, hid_t loc, const char name[], PetscBool *exists)
{
  htri_t e;

  PetscFunctionBeginUser;
  H5Call(file, e = H5Lexists(loc, name, H5P_DEFAULT));
  *exists = e > 0 ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(0);
}

/* A fixed-length, null-terminated string attribute (replaced if present). */
static PetscErrorCode PutStringAttribute(StkH5 file, hid_t loc, const char name[], const char value[])
{
  hid_t  type, space, attr;
  htri_t exists;

  PetscFunctionBeginUser;
  H5Call(file, exists = H5Aexists(loc, name));
  if (exists) H5Call(file, H5Adelete(loc, name));
  H5Call(file, type = H5Tcopy(H5T_C_S1));
  H5Call(file, H5Tset_size(type, strlen(value) + 1));
  H5Call(file, H5Tset_strpad(type, H5T_STR_NULLTERM));
  H5Call(file, space = H5Screate(H5S_SCALAR));
  H5Call(file, attr = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT));
  H5Call(file, H5Awrite(attr, type, value));
  H5Call(file, H5Aclose(attr));
  H5Call(file, H5Sclose(space));
  H5Call(file, H5Tclose(type));
  PetscFunctionReturn(0);
}

/* CF-style attributes of a variable: `units`, and the description as both `long_name`
 * (what CF readers such as xarray show) and `description` (kept for older readers). */
static PetscErrorCode PutVariableAttributes(StkH5 file, hid_t ds, const char units[], const char description[])
{
  PetscFunctionBeginUser;
  if (units) PetscCall(PutStringAttribute(file, ds, "units", units));
  if (description) {
    PetscCall(PutStringAttribute(file, ds, "long_name", description));
    PetscCall(PutStringAttribute(file, ds, "description", description));
  }
  PetscFunctionReturn(0);
}

/* A numeric scalar attribute (replaced if present). */
static PetscErrorCode PutScalarAttribute(StkH5 file, hid_t loc, const char name[], hid_t filetype, hid_t memtype, const void *value)
{
  hid_t  space, attr;
  htri_t exists;

  PetscFunctionBeginUser;
  H5Call(file, exists = H5Aexists(loc, name));
  if (exists) H5Call(file, H5Adelete(loc, name));
  H5Call(file, space = H5Screate(H5S_SCALAR));
  H5Call(file, attr = H5Acreate2(loc, name, filetype, space, H5P_DEFAULT, H5P_DEFAULT));
  H5Call(file, H5Awrite(attr, memtype, value));
  H5Call(file, H5Aclose(attr));
  H5Call(file, H5Sclose(space));
  PetscFunctionReturn(0);
}

/* Reads a fixed- or variable-length string attribute into value[len] (truncated, terminated). */
static PetscErrorCode GetStringAttribute(StkH5 file, hid_t loc, const char where[], const char name[], size_t len, char value[])
{
  hid_t  attr, type, memtype;
  htri_t exists, vlen;
  size_t size;
  char  *buf, *vstr = NULL;

  PetscFunctionBeginUser;
  H5Call(file, exists = H5Aexists(loc, name));
  PetscCheck(exists > 0, file->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: '%s' has no attribute '%s'", file->path, where, name);
  H5Call(file, attr = H5Aopen(loc, name, H5P_DEFAULT));
  H5Call(file, type = H5Aget_type(attr));
  PetscCheck(H5Tget_class(type) == H5T_STRING, file->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: attribute '%s' of '%s' is not a string", file->path, name, where);
  H5Call(file, vlen = H5Tis_variable_str(type));
  H5Call(file, memtype = H5Tcopy(H5T_C_S1));
  if (vlen) {
    H5Call(file, H5Tset_size(memtype, H5T_VARIABLE));
    H5Call(file, H5Aread(attr, memtype, &vstr));
    PetscCall(PetscStrncpy(value, vstr ? vstr : "", len));
    H5Call(file, H5free_memory(vstr));
  } else {
    size = H5Tget_size(type);
    H5Call(file, H5Tset_size(memtype, size + 1));
    H5Call(file, H5Tset_strpad(memtype, H5T_STR_NULLTERM));
    PetscCall(PetscCalloc1(size + 1, &buf));
    H5Call(file, H5Aread(attr, memtype, buf));
    PetscCall(PetscStrncpy(value, buf, len));
    PetscCall(PetscFree(buf));
  }
  H5Call(file, H5Tclose(memtype));
  H5Call(file, H5Tclose(type));
  H5Call(file, H5Aclose(attr));
  PetscFunctionReturn(0);
}

static PetscErrorCode CollectiveTransfer(StkH5 file, hid_t *dxpl)
{
  PetscFunctionBeginUser;
  H5Call(file, *dxpl = H5Pcreate(H5P_DATASET_XFER));
  H5Call(file, H5Pset_dxpl_mpio(*dxpl, H5FD_MPIO_COLLECTIVE));
  PetscFunctionReturn(0);
}

/* A new 1-D dataset written collectively with rank 0 supplying all the data; made a scale. */
/* A 1-D dataset from rank 0's data (collective); made a dimension scale if `scale`. */
static PetscErrorCode WriteArray1D(StkH5 file, hid_t gid, const char name[], hsize_t n, hid_t filetype, hid_t memtype, const void *data, PetscBool scale, hid_t *dataset)
{
  hid_t       space, mem, ds, dxpl;
  PetscMPIInt rank;
  PetscBool   exists = PETSC_FALSE;

  PetscFunctionBeginUser;
  PetscCall(Exists(file, gid, name, &exists));
  PetscCheck(!exists, file->comm, PETSC_ERR_ARG_WRONGSTATE, "%s: dataset '%s' written twice", file->path, name);
  PetscCallMPI(MPI_Comm_rank(file->comm, &rank));
  H5Call(file, space = H5Screate_simple(1, &n, NULL));
  H5Call(file, mem = H5Screate_simple(1, &n, NULL));
  H5Call(file, ds = H5Dcreate2(gid, name, filetype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  if (rank != 0) {
    H5Call(file, H5Sselect_none(space));
    H5Call(file, H5Sselect_none(mem));
  }
  PetscCall(CollectiveTransfer(file, &dxpl));
  H5Call(file, H5Dwrite(ds, memtype, mem, space, dxpl, data));
  if (scale) H5Call(file, H5DSset_scale(ds, name));
  H5Call(file, H5Pclose(dxpl));
  if (dataset) *dataset = ds;
  else H5Call(file, H5Dclose(ds));
  H5Call(file, H5Sclose(mem));
  H5Call(file, H5Sclose(space));
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteScale(StkH5 file, hid_t gid, const char name[], hsize_t n, hid_t filetype, hid_t memtype, const void *data)
{
  PetscFunctionBeginUser;
  PetscCall(WriteArray1D(file, gid, name, n, filetype, memtype, data, PETSC_TRUE, NULL));
  PetscFunctionReturn(0);
}

PetscErrorCode StkH5WriteArray(StkH5 file, const char group[], const char name[], const char dimension[], PetscInt n, const PetscReal data[], const char units[], const char description[])
{
  hid_t     gid, ds, scale;
  PetscBool is_scale = (PetscBool)(dimension && !strcmp(name, dimension)), have_scale = PETSC_FALSE;

  PetscFunctionBeginUser;
  PetscCall(GroupOpen(file, group, PETSC_TRUE, &gid));
  PetscCall(WriteArray1D(file, gid, name, (hsize_t)n, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, data, is_scale, &ds));
  if (dimension && !is_scale) PetscCall(Exists(file, gid, dimension, &have_scale));
  if (have_scale) {
    H5Call(file, scale = H5Dopen2(gid, dimension, H5P_DEFAULT));
    H5Call(file, H5DSattach_scale(ds, scale, 0));
    H5Call(file, H5Dclose(scale));
  }
  PetscCall(PutVariableAttributes(file, ds, units, description));
  H5Call(file, H5Dclose(ds));
  H5Call(file, H5Gclose(gid));
  PetscFunctionReturn(0);
}

/* A table of `ndims` dimensions (C order) from rank 0's data (collective); the scales
 * named in dims[], where they exist in the group, are attached. */
static PetscErrorCode WriteTable(StkH5 file, const char group[], const char name[], int ndims, const char *const dims[], const hsize_t shape[], const PetscReal data[], const char units[], const char description[])
{
  hid_t       gid, space, mem, ds, dxpl;
  PetscMPIInt rank;
  PetscBool   exists = PETSC_FALSE;

  PetscFunctionBeginUser;
  PetscCall(GroupOpen(file, group, PETSC_TRUE, &gid));
  PetscCall(Exists(file, gid, name, &exists));
  PetscCheck(!exists, file->comm, PETSC_ERR_ARG_WRONGSTATE, "%s: dataset '%s' written twice", file->path, name);
  PetscCallMPI(MPI_Comm_rank(file->comm, &rank));
  H5Call(file, space = H5Screate_simple(ndims, shape, NULL));
  H5Call(file, mem = H5Screate_simple(ndims, shape, NULL));
  H5Call(file, ds = H5Dcreate2(gid, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  if (rank != 0) {
    H5Call(file, H5Sselect_none(space));
    H5Call(file, H5Sselect_none(mem));
  }
  PetscCall(CollectiveTransfer(file, &dxpl));
  H5Call(file, H5Dwrite(ds, H5T_NATIVE_DOUBLE, mem, space, dxpl, data));
  H5Call(file, H5Pclose(dxpl));
  for (int k = 0; k < ndims; k++) {
    PetscBool have = PETSC_FALSE;
    hid_t     scale;
    if (dims[k]) PetscCall(Exists(file, gid, dims[k], &have));
    if (!have) continue;
    H5Call(file, scale = H5Dopen2(gid, dims[k], H5P_DEFAULT));
    H5Call(file, H5DSattach_scale(ds, scale, (unsigned)k));
    H5Call(file, H5Dclose(scale));
  }
  PetscCall(PutVariableAttributes(file, ds, units, description));
  H5Call(file, H5Dclose(ds));
  H5Call(file, H5Sclose(mem));
  H5Call(file, H5Sclose(space));
  H5Call(file, H5Gclose(gid));
  PetscFunctionReturn(0);
}

PetscErrorCode StkH5WriteArray2D(StkH5 file, const char group[], const char name[], const char row_dim[], const char col_dim[], PetscInt rows, PetscInt cols, const PetscReal data[], const char units[], const char description[])
{
  const hsize_t     shape[2] = {(hsize_t)rows, (hsize_t)cols};
  const char *const dims[2]  = {row_dim, col_dim};

  PetscFunctionBeginUser;
  PetscCall(WriteTable(file, group, name, 2, dims, shape, data, units, description));
  PetscFunctionReturn(0);
}

PetscErrorCode StkH5WriteArray3D(StkH5 file, const char group[], const char name[], const char *const dims[3], const PetscInt shape[3], const PetscReal data[], const char units[], const char description[])
{
  const hsize_t hshape[3] = {(hsize_t)shape[0], (hsize_t)shape[1], (hsize_t)shape[2]};

  PetscFunctionBeginUser;
  PetscCall(WriteTable(file, group, name, 3, dims, hshape, data, units, description));
  PetscFunctionReturn(0);
}

PetscErrorCode StkH5WriteVariableAttributes(StkH5 file, const char group[], const char name[], const char units[], const char long_name[])
{
  hid_t     gid, ds;
  PetscBool exists = PETSC_FALSE;

  PetscFunctionBeginUser;
  PetscCall(GroupOpen(file, group, PETSC_FALSE, &gid));
  PetscCall(Exists(file, gid, name, &exists));
  PetscCheck(exists, file->comm, PETSC_ERR_ORDER, "HDF5 file '%s': no dataset '%s/%s' to describe", file->path, group, name);
  H5Call(file, ds = H5Dopen2(gid, name, H5P_DEFAULT));
  if (units) PetscCall(PutStringAttribute(file, ds, "units", units));
  if (long_name) PetscCall(PutStringAttribute(file, ds, "long_name", long_name));
  H5Call(file, H5Dclose(ds));
  H5Call(file, H5Gclose(gid));
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* Writing                                                                              */

PetscErrorCode StkH5WriteGrid(StkH5 file, const char group[], StkGrid grid)
{
  PetscInt dim, n[STK_MAX_DIM];
  hid_t    gid;
  char     names[STK_MAX_DIM * 17] = "";

  PetscFunctionBeginUser;
  PetscCall(StkGridGetDimension(grid, &dim));
  PetscCall(StkGridGetSizes(grid, n));
  PetscCall(GroupOpen(file, group, PETSC_TRUE, &gid));
  for (PetscInt k = 0; k < dim; k++) {
    const char      *name;
    const PetscReal *x;

    PetscCall(StkGridGetName(grid, k, &name));
    PetscCall(StkGridGetCoordinates(grid, k, &x));
    PetscCall(WriteScale(file, gid, name, (hsize_t)n[k], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, x));
    if (k) PetscCall(PetscStrlcat(names, " ", sizeof(names)));
    PetscCall(PetscStrlcat(names, name, sizeof(names)));
  }
  PetscCall(PutStringAttribute(file, gid, "coordinates", names));
  H5Call(file, H5Gclose(gid));
  PetscFunctionReturn(0);
}

/* Owned box of a field's DMDA, padded to 3 directions (start 0, count 1). */
static PetscErrorCode OwnedBox(DM dm, PetscInt dim, PetscInt xs[3], PetscInt xm[3])
{
  PetscFunctionBeginUser;
  PetscCall(DMDAGetCorners(dm, &xs[0], &xs[1], &xs[2], &xm[0], &xm[1], &xm[2]));
  for (PetscInt k = dim; k < 3; k++) xs[k] = 0, xm[k] = 1;
  PetscFunctionReturn(0);
}

/* Between the PETSc owned block (i0 fastest) and the file's block (i0 slowest), ncomp interleaved. */
static void Transpose(const PetscInt xm[3], PetscInt ncomp, PetscBool to_file, PetscScalar *petsc, double *h5)
{
  for (PetscInt i2 = 0; i2 < xm[2]; i2++)
    for (PetscInt i1 = 0; i1 < xm[1]; i1++)
      for (PetscInt i0 = 0; i0 < xm[0]; i0++) {
        const PetscInt p = ((i2 * xm[1] + i1) * xm[0] + i0) * ncomp, h = ((i0 * xm[1] + i1) * xm[2] + i2) * ncomp;
        for (PetscInt c = 0; c < ncomp; c++) {
          if (to_file) h5[h + c] = (double)PetscRealPart(petsc[p + c]);
          else petsc[p + c] = (PetscScalar)h5[h + c];
        }
      }
}

/* The DMDA that lays out `global` (its own, or a grid component DM); a new reference. */
static PetscErrorCode FieldDM(StkH5 file, StkGrid grid, Vec global, PetscInt ncomp, DM *dm)
{
  DM       vdm;
  PetscInt dof = -1, N, total;

  PetscFunctionBeginUser;
  PetscCall(VecGetDM(global, &vdm));
  if (vdm) {
    PetscCall(DMDAGetInfo(vdm, NULL, NULL, NULL, NULL, NULL, NULL, NULL, &dof, NULL, NULL, NULL, NULL, NULL));
    PetscCheck(dof == ncomp, file->comm, PETSC_ERR_ARG_INCOMP, "writing '%s': the vector has %" PetscInt_FMT " components per node, asked for %" PetscInt_FMT, file->path, dof, ncomp);
    PetscCall(PetscObjectReference((PetscObject)vdm));
    *dm = vdm;
  } else {
    PetscCall(VecGetSize(global, &N));
    PetscCall(StkGridGetNumNodes(grid, &total));
    PetscCheck(N == total * ncomp, file->comm, PETSC_ERR_ARG_SIZ, "writing '%s': vector of size %" PetscInt_FMT " is not %" PetscInt_FMT " nodes x %" PetscInt_FMT " components", file->path, N, total, ncomp);
    PetscCall(StkGridCreateComponentDM(grid, ncomp, dm));
  }
  PetscFunctionReturn(0);
}

/* File shape (n0, ..., [ncomp]) and this rank's hyperslab of it. */
static PetscErrorCode FieldSpace(StkGrid grid, PetscInt ncomp, const PetscInt xs[3], const PetscInt xm[3], int *rank, hsize_t shape[], hsize_t start[], hsize_t count[])
{
  PetscInt dim, n[STK_MAX_DIM];

  PetscFunctionBeginUser;
  PetscCall(StkGridGetDimension(grid, &dim));
  PetscCall(StkGridGetSizes(grid, n));
  for (PetscInt k = 0; k < dim; k++) shape[k] = (hsize_t)n[k], start[k] = (hsize_t)xs[k], count[k] = (hsize_t)xm[k];
  *rank = (int)dim;
  if (ncomp > 1) {
    shape[dim] = count[dim] = (hsize_t)ncomp;
    start[dim]              = 0;
    *rank                   = (int)dim + 1;
  }
  PetscFunctionReturn(0);
}

/* Selects this rank's hyperslab in the file space and returns a matching memory space. */
static PetscErrorCode SelectOwned(StkH5 file, hid_t space, int rank, const hsize_t start[], const hsize_t count[], hid_t *mem)
{
  hsize_t local = 1;

  PetscFunctionBeginUser;
  for (int d = 0; d < rank; d++) local *= count[d];
  H5Call(file, *mem = H5Screate_simple(1, &local, NULL));
  if (local) H5Call(file, H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, count, NULL));
  else {
    H5Call(file, H5Sselect_none(space));
    H5Call(file, H5Sselect_none(*mem));
  }
  PetscFunctionReturn(0);
}

/* The scale of the trailing dimension: 0..ncomp-1, created once per group. */
static PetscErrorCode TrailingScale(StkH5 file, hid_t gid, const char name[], PetscInt ncomp, hid_t *scale)
{
  PetscBool exists = PETSC_FALSE;
  hid_t     space;
  hsize_t   len;
  int      *idx;

  PetscFunctionBeginUser;
  PetscCall(Exists(file, gid, name, &exists));
  if (!exists) {
    PetscCall(PetscMalloc1(ncomp, &idx));
    for (PetscInt c = 0; c < ncomp; c++) idx[c] = (int)c;
    PetscCall(WriteScale(file, gid, name, (hsize_t)ncomp, H5T_STD_I32LE, H5T_NATIVE_INT, idx));
    PetscCall(PetscFree(idx));
  }
  H5Call(file, *scale = H5Dopen2(gid, name, H5P_DEFAULT));
  if (!exists) PetscCall(PutVariableAttributes(file, *scale, "1", !strcmp(name, "component") ? "component index: one per state variable, in the order of the attribute coordinates" : "index along the trailing dimension"));
  H5Call(file, space = H5Dget_space(*scale));
  PetscCheck(H5Sget_simple_extent_ndims(space) == 1 && H5Sget_simple_extent_dims(space, &len, NULL) == 1 && len == (hsize_t)ncomp, file->comm, PETSC_ERR_ARG_INCOMP, "%s: trailing dimension '%s' already exists with another length than %" PetscInt_FMT, file->path, name, ncomp);
  H5Call(file, H5Sclose(space));
  PetscFunctionReturn(0);
}

/* Attaches the coordinate scales (written by StkH5WriteGrid) and the trailing one. */
static PetscErrorCode AttachScales(StkH5 file, hid_t gid, hid_t ds, const char group[], StkGrid grid, PetscInt ncomp, const char trailing[])
{
  PetscInt dim;
  hid_t    scale = -1;

  PetscFunctionBeginUser;
  PetscCall(StkGridGetDimension(grid, &dim));
  for (PetscInt k = 0; k < dim; k++) {
    const char *name;
    PetscBool   exists = PETSC_FALSE;

    PetscCall(StkGridGetName(grid, k, &name));
    PetscCall(Exists(file, gid, name, &exists));
    PetscCheck(exists, file->comm, PETSC_ERR_ORDER, "%s: group '%s' has no coordinate '%s': call StkH5WriteGrid() before StkH5WriteField()", file->path, group, name);
    H5Call(file, scale = H5Dopen2(gid, name, H5P_DEFAULT));
    H5Call(file, H5DSattach_scale(ds, scale, (unsigned)k));
    H5Call(file, H5Dclose(scale));
  }
  if (ncomp > 1) {
    PetscCall(TrailingScale(file, gid, trailing ? trailing : "component", ncomp, &scale));
    H5Call(file, H5DSattach_scale(ds, scale, (unsigned)dim));
    H5Call(file, H5Dclose(scale));
  }
  PetscFunctionReturn(0);
}

/* Writes this rank's block of `global` into the new dataset `ds` (collective). */
static PetscErrorCode WriteOwned(StkH5 file, hid_t ds, StkGrid grid, Vec global, PetscInt ncomp)
{
  DM                 dm;
  PetscInt           dim, xs[3], xm[3];
  hsize_t            shape[STK_MAX_DIM + 1], start[STK_MAX_DIM + 1], count[STK_MAX_DIM + 1];
  int                rank;
  hid_t              space, mem, dxpl;
  const PetscScalar *a;
  double            *buf;

  PetscFunctionBeginUser;
  PetscCall(StkGridGetDimension(grid, &dim));
  PetscCall(FieldDM(file, grid, global, ncomp, &dm));
  PetscCall(OwnedBox(dm, dim, xs, xm));
  PetscCall(FieldSpace(grid, ncomp, xs, xm, &rank, shape, start, count));
  PetscCall(PetscMalloc1(xm[0] * xm[1] * xm[2] * ncomp + 1, &buf));
  PetscCall(VecGetArrayRead(global, &a));
  Transpose(xm, ncomp, PETSC_TRUE, (PetscScalar *)a, buf);
  PetscCall(VecRestoreArrayRead(global, &a));
  H5Call(file, space = H5Dget_space(ds));
  PetscCall(SelectOwned(file, space, rank, start, count, &mem));
  PetscCall(CollectiveTransfer(file, &dxpl));
  H5Call(file, H5Dwrite(ds, H5T_NATIVE_DOUBLE, mem, space, dxpl, buf));
  H5Call(file, H5Pclose(dxpl));
  H5Call(file, H5Sclose(mem));
  H5Call(file, H5Sclose(space));
  PetscCall(PetscFree(buf));
  PetscCall(DMDestroy(&dm));
  PetscFunctionReturn(0);
}

PetscErrorCode StkH5WriteField(StkH5 file, const char group[], const char name[], StkGrid grid, Vec global, PetscInt ncomp, const char trailing[], const char units[], const char description[])
{
  PetscInt  dim, xs[3] = {0, 0, 0}, xm[3] = {0, 0, 0};
  hsize_t   shape[STK_MAX_DIM + 1], start[STK_MAX_DIM + 1], count[STK_MAX_DIM + 1];
  int       rank;
  hid_t     gid, space, ds;
  PetscBool exists = PETSC_FALSE;

  PetscFunctionBeginUser;
  PetscCheck(ncomp >= 1, file->comm, PETSC_ERR_ARG_OUTOFRANGE, "writing '%s' to '%s': number of components must be >= 1, got %" PetscInt_FMT, name, file->path, ncomp);
  PetscCall(StkGridGetDimension(grid, &dim));
  PetscCall(FieldSpace(grid, ncomp, xs, xm, &rank, shape, start, count));
  PetscCall(GroupOpen(file, group, PETSC_TRUE, &gid));
  PetscCall(Exists(file, gid, name, &exists));
  PetscCheck(!exists, file->comm, PETSC_ERR_ARG_WRONGSTATE, "%s: dataset '%s/%s' written twice", file->path, group, name);
  H5Call(file, space = H5Screate_simple(rank, shape, NULL));
  H5Call(file, ds = H5Dcreate2(gid, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  H5Call(file, H5Sclose(space));
  PetscCall(WriteOwned(file, ds, grid, global, ncomp));
  PetscCall(AttachScales(file, gid, ds, group, grid, ncomp, trailing));
  PetscCall(PutVariableAttributes(file, ds, units, description));
  H5Call(file, H5Dclose(ds));
  H5Call(file, H5Gclose(gid));
  PetscFunctionReturn(0);
}

PetscErrorCode StkH5WriteAttributeReal(StkH5 file, const char group[], const char name[], PetscReal value, const char units[])
{
  hid_t  gid;
  double v = (double)value;
  char   uname[256];

  PetscFunctionBeginUser;
  PetscCall(GroupOpen(file, group, PETSC_TRUE, &gid));
  PetscCall(PutScalarAttribute(file, gid, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v));
  if (units) {
    PetscCall(PetscSNPrintf(uname, sizeof(uname), "%s_units", name));
    PetscCall(PutStringAttribute(file, gid, uname, units));
  }
  H5Call(file, H5Gclose(gid));
  PetscFunctionReturn(0);
}

PetscErrorCode StkH5WriteAttributeInt(StkH5 file, const char group[], const char name[], PetscInt value)
{
  hid_t   gid;
  int64_t v = (int64_t)value;

  PetscFunctionBeginUser;
  PetscCall(GroupOpen(file, group, PETSC_TRUE, &gid));
  PetscCall(PutScalarAttribute(file, gid, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &v));
  H5Call(file, H5Gclose(gid));
  PetscFunctionReturn(0);
}

PetscErrorCode StkH5WriteAttributeString(StkH5 file, const char group[], const char name[], const char value[])
{
  hid_t gid;

  PetscFunctionBeginUser;
  PetscCall(GroupOpen(file, group, PETSC_TRUE, &gid));
  PetscCall(PutStringAttribute(file, gid, name, value ? value : ""));
  H5Call(file, H5Gclose(gid));
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* Commit: close, rename, XDMF sidecar                                                  */

/* The listed fields must be scalar fields of the grid's shape, as the sidecar declares them. */
static PetscErrorCode CheckScalarFields(StkH5 file, const char group[], StkGrid grid, PetscInt nfields, const char *const fields[])
{
  PetscInt dim, n[STK_MAX_DIM];
  hid_t    gid, ds, space;
  hsize_t  dims[H5S_MAX_RANK];

  PetscFunctionBeginUser;
  if (!nfields) PetscFunctionReturn(0);
  PetscCall(StkGridGetDimension(grid, &dim));
  PetscCall(StkGridGetSizes(grid, n));
  PetscCall(GroupOpen(file, group, PETSC_FALSE, &gid));
  for (PetscInt f = 0; f < nfields; f++) {
    PetscBool exists = PETSC_FALSE, same;
    int       rank;

    PetscCall(Exists(file, gid, fields[f], &exists));
    PetscCheck(exists, file->comm, PETSC_ERR_ARG_WRONG, "%s: no field '%s/%s' to describe in the XDMF sidecar", file->path, group, fields[f]);
    H5Call(file, ds = H5Dopen2(gid, fields[f], H5P_DEFAULT));
    H5Call(file, space = H5Dget_space(ds));
    H5Call(file, rank = H5Sget_simple_extent_ndims(space));
    H5Call(file, H5Sget_simple_extent_dims(space, dims, NULL));
    same = (PetscBool)(rank == dim);
    for (PetscInt k = 0; same && k < dim; k++) same = (PetscBool)(dims[k] == (hsize_t)n[k]);
    PetscCheck(same, file->comm, PETSC_ERR_ARG_WRONG, "%s: field '%s/%s' is not a scalar field of the grid, cannot describe it in the XDMF sidecar", file->path, group, fields[f]);
    H5Call(file, H5Sclose(space));
    H5Call(file, H5Dclose(ds));
  }
  H5Call(file, H5Gclose(gid));
  PetscFunctionReturn(0);
}

/* PATH with its .h5 (.hdf5, .hdf) extension replaced by .xmf, or .xmf appended. */
static PetscErrorCode SidecarPath(const char path[], size_t len, char xmf[])
{
  const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
  size_t      stem = strlen(path);

  PetscFunctionBeginUser;
  if (dot && (!slash || dot > slash) && (!strcmp(dot, ".h5") || !strcmp(dot, ".hdf5") || !strcmp(dot, ".hdf"))) stem = (size_t)(dot - path);
  PetscCheck(stem + 5 <= len, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "file name too long: '%s'", path);
  PetscCall(PetscSNPrintf(xmf, len, "%.*s.xmf", (int)stem, path));
  PetscFunctionReturn(0);
}

/* Text with the five XML special characters escaped. */
static void XmlPuts(FILE *fp, const char *s)
{
  for (; *s; s++) {
    switch (*s) {
    case '&': fputs("&amp;", fp); break;
    case '<': fputs("&lt;", fp); break;
    case '>': fputs("&gt;", fp); break;
    case '"': fputs("&quot;", fp); break;
    case '\'': fputs("&apos;", fp); break;
    default: fputc(*s, fp);
    }
  }
}

/* <DataItem> pointing at BASE:/GROUP/NAME with the given dimensions. */
static void XmfHDFItem(FILE *fp, const char indent[], const char dims[], const char base[], const char group[], const char name[])
{
  fprintf(fp, "%s<DataItem Dimensions=\"%s\" NumberType=\"Float\" Precision=\"8\" Format=\"HDF\">", indent, dims);
  XmlPuts(fp, base);
  fputs(":/", fp);
  XmlPuts(fp, group);
  fputc('/', fp);
  XmlPuts(fp, name);
  fputs("</DataItem>\n", fp);
}

/* The Topology and Geometry of the grid's rectilinear mesh, at indentation `indent`
 * (its items one level deeper): dimensions slowest first, VX the fastest coordinate;
 * 1-D as a 2DRectMesh one node thick (VY = 0). */
static void XmfMesh(FILE *fp, const char indent[], PetscInt dim, const PetscInt n[], const char shape[], const char base[], const char group[], const char *const name[])
{
  char len[32], inner[64];

  snprintf(inner, sizeof(inner), "%s  ", indent);
  if (dim == 1) fprintf(fp, "%s<Topology TopologyType=\"2DRectMesh\" Dimensions=\"1 %d\"/>\n", indent, (int)n[0]);
  else fprintf(fp, "%s<Topology TopologyType=\"%dDRectMesh\" Dimensions=\"%s\"/>\n", indent, (int)dim, shape);
  fprintf(fp, "%s<Geometry GeometryType=\"%s\">\n", indent, dim == 3 ? "VXVYVZ" : "VXVY");
  for (PetscInt k = dim - 1; k >= 0; k--) {
    snprintf(len, sizeof(len), "%d", (int)n[k]);
    XmfHDFItem(fp, inner, len, base, group, name[k]);
  }
  if (dim == 1) fprintf(fp, "%s<DataItem Dimensions=\"1\" NumberType=\"Float\" Precision=\"8\" Format=\"XML\">0</DataItem>\n", inner);
  fprintf(fp, "%s</Geometry>\n", indent);
}

/* An XDMF 3 rectilinear mesh: RectMesh dimensions are listed slowest first, and VX is the
 * fastest (last) coordinate.  1-D fields become a 2DRectMesh one node thick (VY = 0). */
static int WriteXdmf(FILE *fp, const char base[], const char group[], StkGrid grid, PetscInt nfields, const char *const fields[])
{
  PetscInt    dim, n[STK_MAX_DIM];
  const char *name[STK_MAX_DIM];
  char        shape[64] = "";

  if (StkGridGetDimension(grid, &dim) || StkGridGetSizes(grid, n)) return -1;
  for (PetscInt k = 0; k < dim; k++) {
    if (StkGridGetName(grid, k, &name[k])) return -1;
    snprintf(shape + strlen(shape), sizeof(shape) - strlen(shape), k ? " %d" : "%d", (int)n[k]);
  }
  fputs("<?xml version=\"1.0\" ?>\n<!DOCTYPE Xdmf SYSTEM \"Xdmf.dtd\" []>\n<Xdmf Version=\"3.0\">\n  <Domain>\n    <Grid Name=\"", fp);
  XmlPuts(fp, group);
  fputs("\" GridType=\"Uniform\">\n", fp);
  XmfMesh(fp, "      ", dim, n, shape, base, group, name);
  for (PetscInt f = 0; f < nfields; f++) {
    fputs("      <Attribute Name=\"", fp);
    XmlPuts(fp, fields[f]);
    fputs("\" Center=\"Node\" AttributeType=\"Scalar\">\n", fp);
    XmfHDFItem(fp, "        ", shape, base, group, fields[f]);
    fputs("      </Attribute>\n", fp);
  }
  fputs("    </Grid>\n  </Domain>\n</Xdmf>\n", fp);
  return 0;
}

/* Rank 0: the sidecar under a temporary name, then renamed; "" or the reason it failed. */
static void WriteSidecar(StkH5 file, const char group[], StkGrid grid, PetscInt nfields, const char *const fields[], size_t len, char reason[])
{
  char        xmf[PETSC_MAX_PATH_LEN], tmp[PETSC_MAX_PATH_LEN + 32];
  const char *slash = strrchr(file->path, '/'), *base = slash ? slash + 1 : file->path;
  FILE       *fp;
  int         bad;

  reason[0] = 0;
  if (SidecarPath(file->path, sizeof(xmf), xmf)) {
    snprintf(reason, len, "file name too long");
    return;
  }
  snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", xmf, (long)getpid());
  if (StkFileRegisterTemporary(tmp)) {
    snprintf(reason, len, "cannot register the temporary '%s'", tmp);
    return;
  }
  if (!(fp = fopen(tmp, "w"))) snprintf(reason, len, "cannot create '%s' (%s)", tmp, strerror(errno));
  else {
    bad = WriteXdmf(fp, base, group, grid, nfields, fields);
    bad = fclose(fp) || bad;
    if (bad || rename(tmp, xmf)) {
      snprintf(reason, len, "cannot write XDMF sidecar '%s' (%s)", xmf, strerror(errno));
      (void)unlink(tmp);
    }
  }
  (void)StkFileUnregisterTemporary(tmp);
}

PetscErrorCode StkH5Commit(StkH5 file, const char group[], StkGrid grid, PetscInt nfields, const char *const fields[])
{
  PetscMPIInt rank;
  ssize_t     open_objects;
  char        reason[PETSC_MAX_PATH_LEN + 128] = "";

  PetscFunctionBeginUser;
  PetscCheck(!file->committed && file->fid >= 0, file->comm, PETSC_ERR_ARG_WRONGSTATE, "%s: is not open for writing (already committed?)", file->path);
  PetscCall(CheckScalarFields(file, group, grid, nfields, fields));
  PetscCall(OpenObjectCount(file, &open_objects));
  if (PetscDefined(USE_DEBUG)) PetscCheck(open_objects == 0, file->comm, PETSC_ERR_PLIB, "%s: %ld objects left open", file->path, (long)open_objects);
  PetscCall(StkFileTestWriteDelay(file->tmp)); /* test hook: a signal arrives during the write */
  PetscCall(CloseFile(file));
  PetscCallMPI(MPI_Barrier(file->comm));
  PetscCallMPI(MPI_Comm_rank(file->comm, &rank));
  if (rank == 0 && rename(file->tmp, file->path)) snprintf(reason, sizeof(reason), "cannot rename '%s' onto it (%s)", file->tmp, strerror(errno));
  if (rank == 0 && !reason[0] && nfields) WriteSidecar(file, group, grid, nfields, fields, sizeof(reason), reason);
  PetscCallMPI(MPI_Bcast(reason, (PetscMPIInt)sizeof(reason), MPI_CHAR, 0, file->comm));
  /* the data file is in place even if only the sidecar failed */
  if (!reason[0] || strncmp(reason, "cannot rename", 13)) {
    file->committed = PETSC_TRUE;
    PetscCall(StkFileUnregisterTemporary(file->tmp));
  }
  PetscCheck(!reason[0], file->comm, PETSC_ERR_FILE_WRITE, "%s: %s", file->path, reason);
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* Reading                                                                              */

/* The whole dataset NAME of group GID (which must have `rank` dimensions), every value
 * on every rank, read independently: these are small tables, not fields. */
static PetscErrorCode ReadWhole(StkH5 file, hid_t gid, const char group[], const char name[], int rank, hsize_t dims[], PetscReal **data)
{
  PetscBool exists = PETSC_FALSE;
  hid_t     ds, space;
  int       found;
  hsize_t   total = 1;
  double   *buf;

  PetscFunctionBeginUser;
  PetscCall(Exists(file, gid, name, &exists));
  PetscCheck(exists, file->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: no dataset '%s/%s'", file->path, group, name);
  H5Call(file, ds = H5Dopen2(gid, name, H5P_DEFAULT));
  H5Call(file, space = H5Dget_space(ds));
  H5Call(file, found = H5Sget_simple_extent_ndims(space));
  if (found != rank) {
    H5Call(file, H5Sclose(space));
    H5Call(file, H5Dclose(ds));
    SETERRQ(file->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset '%s/%s' has %d dimension(s), expected %d", file->path, group, name, found, rank);
  }
  H5Call(file, H5Sget_simple_extent_dims(space, dims, NULL));
  for (int d = 0; d < rank; d++) total *= dims[d];
  PetscCall(PetscMalloc1(total + 1, &buf)); /* + 1: an empty dataset still gets an array */
  H5Call(file, H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf));
  H5Call(file, H5Sclose(space));
  H5Call(file, H5Dclose(ds));
  PetscCall(PetscMalloc1(total + 1, data));
  for (hsize_t i = 0; i < total; i++) (*data)[i] = (PetscReal)buf[i];
  PetscCall(PetscFree(buf));
  PetscFunctionReturn(0);
}

/* 1-D dataset NAME of group GID, every value on every rank. */
static PetscErrorCode ReadCoordinates(StkH5 file, hid_t gid, const char group[], const char name[], PetscInt *n, PetscReal **x)
{
  PetscBool exists = PETSC_FALSE;
  hsize_t   len;

  PetscFunctionBeginUser;
  PetscCall(Exists(file, gid, name, &exists));
  PetscCheck(exists, file->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: group '%s' lists coordinate '%s' but has no such dataset", file->path, group, name);
  PetscCall(ReadWhole(file, gid, group, name, 1, &len, x));
  *n = (PetscInt)len;
  if (*n < 2) PetscCall(PetscFree(*x));
  PetscCheck(*n >= 2, file->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset '%s/%s' has %" PetscInt_FMT " coordinate(s), a grid needs at least 2", file->path, group, name, *n);
  for (PetscInt i = 0; i < *n; i++) {
    if (PetscIsInfOrNanReal((*x)[i])) {
      const PetscReal xi = (*x)[i];
      PetscCall(PetscFree(*x));
      SETERRQ(file->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset '%s/%s' holds a non-finite coordinate (%s[%" PetscInt_FMT "] = %g)", file->path, group, name, name, i, (double)xi);
    }
  }
  for (PetscInt i = 0; i + 1 < *n; i++) {
    const PetscReal xi = (*x)[i], xn = (*x)[i + 1];
    if (!(xn > xi)) {
      PetscCall(PetscFree(*x));
      SETERRQ(file->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset '%s/%s': coordinates must increase strictly, got %s[%" PetscInt_FMT "] = %g and %s[%" PetscInt_FMT "] = %g", file->path, group, name, name, i, (double)xi, name, i + 1, (double)xn);
    }
  }
  PetscFunctionReturn(0);
}

/* Directions of g from the group's "coordinates" attribute and coordinate datasets. */
static PetscErrorCode ReadDirections(StkH5 file, hid_t gid, const char group[], StkGrid g)
{
  char     names[256], *tok, *save = NULL;
  PetscInt dim = 0;

  PetscFunctionBeginUser;
  PetscCall(GetStringAttribute(file, gid, group, "coordinates", sizeof(names), names));
  for (tok = strtok_r(names, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
    PetscReal *x;
    PetscInt   n = 0;

    PetscCheck(dim < STK_MAX_DIM, file->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: group '%s' lists more than %d coordinates", file->path, group, STK_MAX_DIM);
    PetscCall(StkGridSetDimension(g, ++dim));
    PetscCall(ReadCoordinates(file, gid, group, tok, &n, &x));
    PetscCall(StkGridSetCoordinates(g, dim - 1, n, x));
    PetscCall(StkGridSetName(g, dim - 1, tok));
    PetscCall(PetscFree(x));
  }
  PetscCheck(dim > 0, file->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: group '%s' lists no coordinates", file->path, group);
  PetscFunctionReturn(0);
}

PetscErrorCode StkH5ReadGrid(StkH5 file, const char group[], StkGrid *grid)
{
  hid_t          gid;
  StkGrid        g;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  *grid = NULL;
  PetscCall(GroupOpen(file, group, PETSC_FALSE, &gid));
  PetscCall(StkGridCreate(file->comm, &g));
  ierr = ReadDirections(file, gid, group, g);
  if (!ierr) ierr = StkGridSetUp(g);
  if (ierr) PetscCall(StkGridDestroy(&g));
  PetscCall(ierr);
  H5Call(file, H5Gclose(gid));
  *grid = g;
  PetscFunctionReturn(0);
}

/* "(a, b, c)" */
static void FormatShape(int rank, const hsize_t dims[], size_t len, char buf[])
{
  size_t used = 0;

  used += (size_t)snprintf(buf, len, "(");
  for (int d = 0; d < rank && used < len; d++) used += (size_t)snprintf(buf + used, len - used, d ? ", %llu" : "%llu", (unsigned long long)dims[d]);
  if (used < len) snprintf(buf + used, len - used, rank == 1 ? ",)" : ")");
}

/* Opens GROUP/NAME and checks it has exactly the expected shape. */
static PetscErrorCode OpenField(StkH5 file, hid_t gid, const char group[], const char name[], int rank, const hsize_t shape[], hid_t *ds)
{
  PetscBool exists = PETSC_FALSE, same;
  hid_t     space;
  hsize_t   dims[H5S_MAX_RANK];
  int       found;
  char      want[128], got[128];

  PetscFunctionBeginUser;
  FormatShape(rank, shape, sizeof(want), want);
  PetscCall(Exists(file, gid, name, &exists));
  PetscCheck(exists, file->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: no dataset '%s/%s' (expected a field of shape %s)", file->path, group, name, want);
  H5Call(file, *ds = H5Dopen2(gid, name, H5P_DEFAULT));
  H5Call(file, space = H5Dget_space(*ds));
  H5Call(file, found = H5Sget_simple_extent_ndims(space));
  H5Call(file, H5Sget_simple_extent_dims(space, dims, NULL));
  H5Call(file, H5Sclose(space));
  same = (PetscBool)(found == rank);
  for (int d = 0; same && d < rank; d++) same = (PetscBool)(dims[d] == shape[d]);
  if (!same) {
    FormatShape(found, dims, sizeof(got), got);
    H5Call(file, H5Dclose(*ds));
    SETERRQ(file->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset '%s/%s' has shape %s, expected %s for this grid and component count", file->path, group, name, got, want);
  }
  PetscFunctionReturn(0);
}

PetscErrorCode StkH5ReadField(StkH5 file, const char group[], const char name[], StkGrid grid, PetscInt ncomp, Vec *global)
{
  DM           dm;
  PetscInt     dim, xs[3] = {0, 0, 0}, xm[3] = {0, 0, 0};
  hsize_t      shape[STK_MAX_DIM + 1], start[STK_MAX_DIM + 1], count[STK_MAX_DIM + 1];
  int          rank;
  hid_t        gid, ds = -1, space, mem, dxpl;
  PetscScalar *a;
  double      *buf;

  PetscFunctionBeginUser;
  PetscCheck(ncomp >= 1, file->comm, PETSC_ERR_ARG_OUTOFRANGE, "reading '%s' from '%s': number of components must be >= 1, got %" PetscInt_FMT, name, file->path, ncomp);
  PetscCall(StkGridGetDimension(grid, &dim));
  PetscCall(FieldSpace(grid, ncomp, xs, xm, &rank, shape, start, count));
  PetscCall(GroupOpen(file, group, PETSC_FALSE, &gid));
  PetscCall(OpenField(file, gid, group, name, rank, shape, &ds)); /* before allocating: a bad file leaks nothing */
  PetscCall(StkGridCreateComponentDM(grid, ncomp, &dm));
  PetscCall(OwnedBox(dm, dim, xs, xm));
  PetscCall(FieldSpace(grid, ncomp, xs, xm, &rank, shape, start, count));
  PetscCall(PetscMalloc1(xm[0] * xm[1] * xm[2] * ncomp + 1, &buf));
  H5Call(file, space = H5Dget_space(ds));
  PetscCall(SelectOwned(file, space, rank, start, count, &mem));
  PetscCall(CollectiveTransfer(file, &dxpl));
  H5Call(file, H5Dread(ds, H5T_NATIVE_DOUBLE, mem, space, dxpl, buf));
  H5Call(file, H5Pclose(dxpl));
  H5Call(file, H5Sclose(mem));
  H5Call(file, H5Sclose(space));
  H5Call(file, H5Dclose(ds));
  H5Call(file, H5Gclose(gid));
  PetscCall(DMCreateGlobalVector(dm, global));
  PetscCall(PetscObjectSetName((PetscObject)*global, name));
  PetscCall(VecGetArray(*global, &a));
  Transpose(xm, ncomp, PETSC_FALSE, a, buf);
  PetscCall(VecRestoreArray(*global, &a));
  PetscCall(PetscFree(buf));
  PetscCall(DMDestroy(&dm)); /* the vector keeps its reference */
  PetscFunctionReturn(0);
}

/* Opens the numeric attribute NAME of GROUP (clear error if missing). */
static PetscErrorCode OpenAttribute(StkH5 file, const char group[], const char name[], hid_t *gid, hid_t *attr)
{
  htri_t exists;

  PetscFunctionBeginUser;
  PetscCall(GroupOpen(file, group, PETSC_FALSE, gid));
  H5Call(file, exists = H5Aexists(*gid, name));
  PetscCheck(exists > 0, file->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: group '%s' has no attribute '%s'", file->path, group, name);
  H5Call(file, *attr = H5Aopen(*gid, name, H5P_DEFAULT));
  PetscFunctionReturn(0);
}

PetscErrorCode StkH5ReadAttributeReal(StkH5 file, const char group[], const char name[], PetscReal *value)
{
  hid_t  gid, attr;
  double v;

  PetscFunctionBeginUser;
  PetscCall(OpenAttribute(file, group, name, &gid, &attr));
  H5Call(file, H5Aread(attr, H5T_NATIVE_DOUBLE, &v));
  H5Call(file, H5Aclose(attr));
  H5Call(file, H5Gclose(gid));
  *value = (PetscReal)v;
  PetscFunctionReturn(0);
}

PetscErrorCode StkH5ReadAttributeInt(StkH5 file, const char group[], const char name[], PetscInt *value)
{
  hid_t   gid, attr;
  int64_t v;

  PetscFunctionBeginUser;
  PetscCall(OpenAttribute(file, group, name, &gid, &attr));
  H5Call(file, H5Aread(attr, H5T_NATIVE_INT64, &v));
  H5Call(file, H5Aclose(attr));
  H5Call(file, H5Gclose(gid));
  PetscCheck(v >= PETSC_MIN_INT && v <= PETSC_MAX_INT, file->comm, PETSC_ERR_ARG_OUTOFRANGE, "%s: attribute '%s' = %lld does not fit a PetscInt", file->path, name, (long long)v);
  *value = (PetscInt)v;
  PetscFunctionReturn(0);
}

PetscErrorCode StkH5ReadAttributeString(StkH5 file, const char group[], const char name[], size_t len, char value[])
{
  hid_t gid;

  PetscFunctionBeginUser;
  PetscCall(GroupOpen(file, group, PETSC_FALSE, &gid));
  PetscCall(GetStringAttribute(file, gid, group, name, len, value));
  H5Call(file, H5Gclose(gid));
  PetscFunctionReturn(0);
}

/* Whether NAME below LOC exists and is an object of the given type. */
static PetscErrorCode IsObjectOfType(StkH5 file, hid_t loc, const char name[], H5I_type_t type, PetscBool *is)
{
  hid_t obj;

  PetscFunctionBeginUser;
  PetscCheck(file->fid >= 0, file->comm, PETSC_ERR_ARG_WRONGSTATE, "%s: is already closed", file->path);
  PetscCall(PathExists(file, loc, name, is));
  if (!*is) PetscFunctionReturn(0);
  H5Call(file, obj = H5Oopen(loc, name, H5P_DEFAULT));
  *is = H5Iget_type(obj) == type ? PETSC_TRUE : PETSC_FALSE;
  H5Call(file, H5Oclose(obj));
  PetscFunctionReturn(0);
}

PetscErrorCode StkH5HasGroup(StkH5 file, const char group[], PetscBool *has)
{
  PetscFunctionBeginUser;
  PetscCall(IsObjectOfType(file, file->fid, group, H5I_GROUP, has));
  PetscFunctionReturn(0);
}

PetscErrorCode StkH5HasDataset(StkH5 file, const char group[], const char name[], PetscBool *has)
{
  hid_t gid;

  PetscFunctionBeginUser;
  PetscCall(StkH5HasGroup(file, group, has));
  if (!*has) PetscFunctionReturn(0);
  PetscCall(GroupOpen(file, group, PETSC_FALSE, &gid));
  PetscCall(IsObjectOfType(file, gid, name, H5I_DATASET, has));
  H5Call(file, H5Gclose(gid));
  PetscFunctionReturn(0);
}

PetscErrorCode StkH5HasAttribute(StkH5 file, const char group[], const char name[], PetscBool *has)
{
  hid_t  gid;
  htri_t exists;

  PetscFunctionBeginUser;
  PetscCall(StkH5HasGroup(file, group, has));
  if (!*has) PetscFunctionReturn(0);
  PetscCall(GroupOpen(file, group, PETSC_FALSE, &gid));
  H5Call(file, exists = H5Aexists(gid, name));
  H5Call(file, H5Gclose(gid));
  *has = exists > 0 ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkH5ReadArray(StkH5 file, const char group[], const char name[], PetscInt *n, PetscReal **data)
{
  hid_t   gid;
  hsize_t len;

  PetscFunctionBeginUser;
  *data = NULL;
  PetscCall(GroupOpen(file, group, PETSC_FALSE, &gid));
  PetscCall(ReadWhole(file, gid, group, name, 1, &len, data));
  H5Call(file, H5Gclose(gid));
  *n = (PetscInt)len;
  PetscFunctionReturn(0);
}

PetscErrorCode StkH5ReadArray2D(StkH5 file, const char group[], const char name[], PetscInt *rows, PetscInt *cols, PetscReal **data)
{
  hid_t   gid;
  hsize_t dims[2];

  PetscFunctionBeginUser;
  *data = NULL;
  PetscCall(GroupOpen(file, group, PETSC_FALSE, &gid));
  PetscCall(ReadWhole(file, gid, group, name, 2, dims, data));
  H5Call(file, H5Gclose(gid));
  *rows = (PetscInt)dims[0];
  *cols = (PetscInt)dims[1];
  PetscFunctionReturn(0);
}

PetscErrorCode StkH5CheckFinite(StkH5 file, const char group[], const char name[], Vec v)
{
  const PetscScalar *a;
  PetscInt           n, bad = 0, total;

  PetscFunctionBeginUser;
  PetscCall(VecGetLocalSize(v, &n));
  PetscCall(VecGetArrayRead(v, &a));
  for (PetscInt i = 0; i < n; i++)
    if (PetscIsInfOrNanScalar(a[i])) bad++;
  PetscCall(VecRestoreArrayRead(v, &a));
  PetscCall(VecGetSize(v, &total));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPIU_INT, MPI_SUM, file->comm));
  PetscCheck(!bad, file->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset '%s/%s' contains %" PetscInt_FMT " non-finite value(s) (NaN or Inf) among %" PetscInt_FMT, file->path, group, name, bad, total);
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* Time series: a leading time dimension (added for finite horizons; the functions above  */
/* are unchanged)                                                                       */

/* The file shape (nt, n0, ..., [ncomp]) and this rank's block of one time step. */
static PetscErrorCode SeriesSpace(StkGrid grid, PetscInt nt, PetscInt ncomp, const PetscInt xs[3], const PetscInt xm[3], int *rank, hsize_t shape[], hsize_t start[], hsize_t count[])
{
  int r = 0;

  PetscFunctionBeginUser;
  PetscCall(FieldSpace(grid, ncomp, xs, xm, &r, shape + 1, start + 1, count + 1));
  shape[0] = (hsize_t)nt;
  start[0] = 0;
  count[0] = 1;
  *rank    = r + 1;
  PetscFunctionReturn(0);
}

/* Time scale at dimension 0, the coordinates after it, the trailing scale last. */
static PetscErrorCode AttachSeriesScales(StkH5 file, hid_t gid, hid_t ds, const char group[], const char time_dim[], StkGrid grid, PetscInt ncomp, const char trailing[])
{
  PetscInt  dim;
  hid_t     scale;
  PetscBool exists = PETSC_FALSE;

  PetscFunctionBeginUser;
  PetscCall(StkGridGetDimension(grid, &dim));
  PetscCall(Exists(file, gid, time_dim, &exists));
  PetscCheck(exists, file->comm, PETSC_ERR_ORDER, "%s: group '%s' has no time scale '%s': write it (StkH5WriteArray) before StkH5WriteFieldSeries()", file->path, group, time_dim);
  H5Call(file, scale = H5Dopen2(gid, time_dim, H5P_DEFAULT));
  H5Call(file, H5DSattach_scale(ds, scale, 0));
  H5Call(file, H5Dclose(scale));
  for (PetscInt k = 0; k < dim; k++) {
    const char *name;

    PetscCall(StkGridGetName(grid, k, &name));
    PetscCall(Exists(file, gid, name, &exists));
    PetscCheck(exists, file->comm, PETSC_ERR_ORDER, "%s: group '%s' has no coordinate '%s': call StkH5WriteGrid() before StkH5WriteFieldSeries()", file->path, group, name);
    H5Call(file, scale = H5Dopen2(gid, name, H5P_DEFAULT));
    H5Call(file, H5DSattach_scale(ds, scale, (unsigned)(k + 1)));
    H5Call(file, H5Dclose(scale));
  }
  if (ncomp > 1) {
    PetscCall(TrailingScale(file, gid, trailing ? trailing : "component", ncomp, &scale));
    H5Call(file, H5DSattach_scale(ds, scale, (unsigned)(dim + 1)));
    H5Call(file, H5Dclose(scale));
  }
  PetscFunctionReturn(0);
}

/* Writes (or reads) this rank's block of time `step` of dataset ds (collective). */
static PetscErrorCode TransferStep(StkH5 file, hid_t ds, StkGrid grid, DM dm, PetscInt nt, PetscInt step, PetscInt ncomp, PetscBool write, Vec global)
{
  PetscInt     dim, xs[3], xm[3];
  hsize_t      shape[STK_MAX_DIM + 2], start[STK_MAX_DIM + 2], count[STK_MAX_DIM + 2];
  int          rank;
  hid_t        space, mem, dxpl;
  PetscScalar *a;
  double      *buf;

  PetscFunctionBeginUser;
  PetscCall(StkGridGetDimension(grid, &dim));
  PetscCall(OwnedBox(dm, dim, xs, xm));
  PetscCall(SeriesSpace(grid, nt, ncomp, xs, xm, &rank, shape, start, count));
  start[0] = (hsize_t)step;
  PetscCall(PetscMalloc1(xm[0] * xm[1] * xm[2] * ncomp + 1, &buf));
  PetscCall(VecGetArray(global, &a));
  if (write) Transpose(xm, ncomp, PETSC_TRUE, a, buf);
  H5Call(file, space = H5Dget_space(ds));
  PetscCall(SelectOwned(file, space, rank, start, count, &mem));
  PetscCall(CollectiveTransfer(file, &dxpl));
  if (write) H5Call(file, H5Dwrite(ds, H5T_NATIVE_DOUBLE, mem, space, dxpl, buf));
  else H5Call(file, H5Dread(ds, H5T_NATIVE_DOUBLE, mem, space, dxpl, buf));
  H5Call(file, H5Pclose(dxpl));
  H5Call(file, H5Sclose(mem));
  H5Call(file, H5Sclose(space));
  if (!write) Transpose(xm, ncomp, PETSC_FALSE, a, buf);
  PetscCall(VecRestoreArray(global, &a));
  PetscCall(PetscFree(buf));
  PetscFunctionReturn(0);
}

PetscErrorCode StkH5WriteFieldSeries(StkH5 file, const char group[], const char name[], const char time_dim[], StkGrid grid, PetscInt nt, const Vec fields[], PetscInt ncomp, const char trailing[], const char units[], const char description[])
{
  PetscInt  xs[3] = {0, 0, 0}, xm[3] = {0, 0, 0};
  hsize_t   shape[STK_MAX_DIM + 2], start[STK_MAX_DIM + 2], count[STK_MAX_DIM + 2];
  int       rank;
  hid_t     gid, space, ds;
  PetscBool exists = PETSC_FALSE;

  PetscFunctionBeginUser;
  PetscCheck(ncomp >= 1 && nt >= 1, file->comm, PETSC_ERR_ARG_OUTOFRANGE, "writing '%s' to '%s': needs >= 1 time and >= 1 component, got %" PetscInt_FMT " and %" PetscInt_FMT, name, file->path, nt, ncomp);
  PetscCall(SeriesSpace(grid, nt, ncomp, xs, xm, &rank, shape, start, count));
  PetscCall(GroupOpen(file, group, PETSC_TRUE, &gid));
  PetscCall(Exists(file, gid, name, &exists));
  PetscCheck(!exists, file->comm, PETSC_ERR_ARG_WRONGSTATE, "%s: dataset '%s/%s' written twice", file->path, group, name);
  H5Call(file, space = H5Screate_simple(rank, shape, NULL));
  H5Call(file, ds = H5Dcreate2(gid, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  H5Call(file, H5Sclose(space));
  for (PetscInt j = 0; j < nt; j++) {
    DM dm;
    PetscCall(FieldDM(file, grid, fields[j], ncomp, &dm));
    PetscCall(TransferStep(file, ds, grid, dm, nt, j, ncomp, PETSC_TRUE, fields[j]));
    PetscCall(DMDestroy(&dm));
  }
  PetscCall(AttachSeriesScales(file, gid, ds, group, time_dim, grid, ncomp, trailing));
  PetscCall(PutVariableAttributes(file, ds, units, description));
  H5Call(file, H5Dclose(ds));
  H5Call(file, H5Gclose(gid));
  PetscFunctionReturn(0);
}

PetscErrorCode StkH5ReadFieldStep(StkH5 file, const char group[], const char name[], StkGrid grid, PetscInt ncomp, PetscInt step, PetscInt *nt, Vec *global)
{
  PetscInt  xs[3] = {0, 0, 0}, xm[3] = {0, 0, 0}, n;
  hsize_t   shape[STK_MAX_DIM + 2], start[STK_MAX_DIM + 2], count[STK_MAX_DIM + 2], dims[H5S_MAX_RANK];
  int       rank = 0;
  hid_t     gid, ds, space;
  PetscBool exists = PETSC_FALSE;
  DM        dm;

  PetscFunctionBeginUser;
  PetscCall(GroupOpen(file, group, PETSC_FALSE, &gid));
  PetscCall(Exists(file, gid, name, &exists));
  PetscCheck(exists, file->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: no dataset '%s/%s' (expected a time series)", file->path, group, name);
  H5Call(file, ds = H5Dopen2(gid, name, H5P_DEFAULT));
  H5Call(file, space = H5Dget_space(ds));
  H5Call(file, rank = H5Sget_simple_extent_ndims(space));
  PetscCheck(rank >= 1 && rank <= H5S_MAX_RANK, file->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset '%s/%s' has no time dimension", file->path, group, name);
  H5Call(file, H5Sget_simple_extent_dims(space, dims, NULL));
  H5Call(file, H5Sclose(space));
  n = (PetscInt)dims[0];
  PetscCall(SeriesSpace(grid, n, ncomp, xs, xm, &rank, shape, start, count));
  H5Call(file, H5Dclose(ds));
  PetscCall(OpenField(file, gid, group, name, rank, shape, &ds)); /* checks the whole shape */
  PetscCheck(step >= 0 && step < n, file->comm, PETSC_ERR_ARG_OUTOFRANGE, "%s: dataset '%s/%s' has %" PetscInt_FMT " times, asked for time index %" PetscInt_FMT, file->path, group, name, n, step);
  PetscCall(StkGridCreateComponentDM(grid, ncomp, &dm));
  PetscCall(DMCreateGlobalVector(dm, global));
  PetscCall(PetscObjectSetName((PetscObject)*global, name));
  PetscCall(TransferStep(file, ds, grid, dm, n, step, ncomp, PETSC_FALSE, *global));
  PetscCall(DMDestroy(&dm));
  H5Call(file, H5Dclose(ds));
  H5Call(file, H5Gclose(gid));
  if (nt) *nt = n;
  PetscFunctionReturn(0);
}

/* PATH with its .h5 (.hdf5, .hdf) extension replaced by _time.xmf, or _time.xmf appended. */
static PetscErrorCode SeriesSidecarPath(const char path[], size_t len, char xmf[])
{
  char plain[PETSC_MAX_PATH_LEN];
  size_t n;

  PetscFunctionBeginUser;
  PetscCall(SidecarPath(path, sizeof(plain), plain)); /* STEM.xmf */
  PetscCall(PetscStrlen(plain, &n));
  PetscCheck(n + 6 <= len, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "file name too long: '%s'", path);
  PetscCall(PetscSNPrintf(xmf, len, "%.*s_time.xmf", (int)(n - 4), plain));
  PetscFunctionReturn(0);
}

/* <DataItem> selecting time `step` of BASE:/GROUP/NAME (shape "nt SHAPE") as SHAPE. */
static void XmfStepItem(FILE *fp, PetscInt dim, PetscInt nt, PetscInt step, const char shape[], const char base[], const char group[], const char name[])
{
  char full[96];

  snprintf(full, sizeof(full), "%d %s", (int)nt, shape);
  fprintf(fp, "          <DataItem ItemType=\"HyperSlab\" Dimensions=\"%s\" Type=\"HyperSlab\">\n", shape);
  fprintf(fp, "            <DataItem Dimensions=\"3 %d\" Format=\"XML\">%d", (int)dim + 1, (int)step);
  for (PetscInt k = 0; k < dim; k++) fputs(" 0", fp);
  fputs("  1", fp);
  for (PetscInt k = 0; k < dim; k++) fputs(" 1", fp);
  fprintf(fp, "  1 %s</DataItem>\n", shape);
  XmfHDFItem(fp, "            ", full, base, group, name);
  fputs("          </DataItem>\n", fp);
}

/* One uniform grid per time in a temporal collection (the geometry as in WriteXdmf). */
static int WriteXdmfSeries(FILE *fp, const char base[], const char group[], StkGrid grid, PetscInt nt, const PetscReal times[], PetscInt nfields, const char *const fields[])
{
  PetscInt    dim, n[STK_MAX_DIM];
  const char *name[STK_MAX_DIM];
  char        shape[64] = "";

  if (StkGridGetDimension(grid, &dim) || StkGridGetSizes(grid, n)) return -1;
  for (PetscInt k = 0; k < dim; k++) {
    if (StkGridGetName(grid, k, &name[k])) return -1;
    snprintf(shape + strlen(shape), sizeof(shape) - strlen(shape), k ? " %d" : "%d", (int)n[k]);
  }
  fputs("<?xml version=\"1.0\" ?>\n<!DOCTYPE Xdmf SYSTEM \"Xdmf.dtd\" []>\n<Xdmf Version=\"3.0\">\n  <Domain>\n    <Grid Name=\"", fp);
  XmlPuts(fp, group);
  fputs("\" GridType=\"Collection\" CollectionType=\"Temporal\">\n", fp);
  for (PetscInt j = 0; j < nt; j++) {
    fprintf(fp, "      <Grid Name=\"t%d\" GridType=\"Uniform\">\n        <Time Value=\"%.17g\"/>\n", (int)j, (double)times[j]);
    XmfMesh(fp, "        ", dim, n, shape, base, group, name);
    for (PetscInt f = 0; f < nfields; f++) {
      fputs("        <Attribute Name=\"", fp);
      XmlPuts(fp, fields[f]);
      fputs("\" Center=\"Node\" AttributeType=\"Scalar\">\n", fp);
      XmfStepItem(fp, dim, nt, j, shape, base, group, fields[f]);
      fputs("        </Attribute>\n", fp);
    }
    fputs("      </Grid>\n", fp);
  }
  fputs("    </Grid>\n  </Domain>\n</Xdmf>\n", fp);
  return 0;
}

PetscErrorCode StkH5WriteXdmfSeries(MPI_Comm comm, const char path[], const char group[], StkGrid grid, PetscInt nt, const PetscReal times[], PetscInt nfields, const char *const fields[], size_t len, char out[])
{
  PetscMPIInt rank;
  char        xmf[PETSC_MAX_PATH_LEN], tmp[PETSC_MAX_PATH_LEN + 32], reason[PETSC_MAX_PATH_LEN + 128] = "";
  const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;

  PetscFunctionBeginUser;
  PetscCall(SeriesSidecarPath(path, sizeof(xmf), xmf));
  if (out) PetscCall(PetscStrncpy(out, xmf, len));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    FILE *fp;
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", xmf, (long)getpid());
    PetscCall(StkFileRegisterTemporary(tmp));
    if (!(fp = fopen(tmp, "w"))) snprintf(reason, sizeof(reason), "cannot create '%s' (%s)", tmp, strerror(errno));
    else {
      int bad = WriteXdmfSeries(fp, base, group, grid, nt, times, nfields, fields);
      bad     = fclose(fp) || bad;
      if (bad || rename(tmp, xmf)) {
        snprintf(reason, sizeof(reason), "cannot write XDMF time series '%s' (%s)", xmf, strerror(errno));
        (void)unlink(tmp);
      }
    }
    PetscCall(StkFileUnregisterTemporary(tmp));
  }
  PetscCallMPI(MPI_Bcast(reason, (PetscMPIInt)sizeof(reason), MPI_CHAR, 0, comm));
  PetscCheck(!reason[0], comm, PETSC_ERR_FILE_WRITE, "%s: %s", path, reason);
  PetscFunctionReturn(0);
}
