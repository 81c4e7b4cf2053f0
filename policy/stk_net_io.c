/* Networks in HDF5 (docs/hdf5.md, group /network): written with grids/stk_h5.h
 * (temporary name, renamed when complete); read by rank 0 with plain HDF5 and
 * broadcast, with errors that name the file and the dataset or attribute. */
#define _POSIX_C_SOURCE 200809L /* strtok_r */
#include "stk_netimpl.h"
#include "stk_version.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hdf5.h>

/* ------------------------------------------------------------------------------------ */
/* Writing                                                                              */

static PetscErrorCode WriteArchitecture(StkNet net, StkH5 file, const char group[])
{
  PetscReal index[STK_NET_MAX_LAYERS + 2], sizes[STK_NET_MAX_LAYERS + 2];
  char      names[STK_NET_MAX_INPUTS * 17] = "";

  PetscFunctionBeginUser;
  for (PetscInt l = 0; l < net->nhidden + 2; l++) {
    index[l] = (PetscReal)l;
    sizes[l] = (PetscReal)net->size[l];
  }
  PetscCall(StkH5WriteArray(file, group, "layer", "layer", net->nhidden + 2, index, "1", "layer index: 0 inputs, 1..L hidden (tanh), L+1 output (sigmoid)"));
  PetscCall(StkH5WriteArray(file, group, "layer_sizes", "layer", net->nhidden + 2, sizes, "1", "neurons per layer, inputs first, output (1) last"));
  for (PetscInt k = 0; k < net->nin; k++) {
    index[k] = (PetscReal)k;
    PetscCall(PetscStrlcat(names, k ? " " : "", sizeof(names)));
    PetscCall(PetscStrlcat(names, net->in_name[k], sizeof(names)));
  }
  PetscCall(StkH5WriteArray(file, group, "input", "input", net->nin, index, "1", "input index; the names are in the attribute input_names"));
  PetscCall(StkH5WriteArray(file, group, "input_lo", "input", net->nin, net->in_lo, NULL, "input value mapped to -1"));
  PetscCall(StkH5WriteArray(file, group, "input_hi", "input", net->nin, net->in_hi, NULL, "input value mapped to +1"));
  PetscCall(StkH5WriteArray(file, group, "weights", NULL, net->nweights, net->w, "1", "flat weights: layer by layer, neuron by neuron, bias then one weight per input"));
  PetscCall(StkH5WriteAttributeString(file, group, "input_names", names));
  PetscCall(StkH5WriteAttributeString(file, group, "type", "mlp"));
  PetscCall(StkH5WriteAttributeString(file, group, "hidden_activation", "tanh"));
  PetscCall(StkH5WriteAttributeString(file, group, "output_activation", "u_min + (u_max - u_min) sigmoid"));
  PetscCall(StkH5WriteAttributeInt(file, group, "inputs", net->nin));
  PetscCall(StkH5WriteAttributeInt(file, group, "hidden_layers", net->nhidden));
  PetscCall(StkH5WriteAttributeInt(file, group, "num_weights", net->nweights));
  PetscCall(StkH5WriteAttributeInt(file, group, "seed", net->seed));
  PetscCall(StkH5WriteAttributeReal(file, group, "u_min", net->u_min, "1/yr"));
  PetscCall(StkH5WriteAttributeReal(file, group, "u_max", net->u_max, "1/yr"));
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteFitStats(StkNet net, StkH5 file, const char group[])
{
  const StkNetFitStats *f = &net->fit;

  PetscFunctionBeginUser;
  PetscCall(StkH5WriteAttributeInt(file, group, "fitted", net->fitted));
  if (net->source[0]) PetscCall(StkH5WriteAttributeString(file, group, "source", net->source));
  if (!net->fitted) PetscFunctionReturn(0);
  PetscCall(StkH5WriteAttributeInt(file, group, "fit_samples", f->samples));
  PetscCall(StkH5WriteAttributeInt(file, group, "fit_iterations", f->iterations));
  PetscCall(StkH5WriteAttributeInt(file, group, "fit_evaluations", f->evaluations));
  PetscCall(StkH5WriteAttributeInt(file, group, "fit_converged", f->converged));
  PetscCall(StkH5WriteAttributeString(file, group, "fit_reason", f->reason));
  PetscCall(StkH5WriteAttributeReal(file, group, "fit_objective", f->objective, "1"));
  PetscCall(StkH5WriteAttributeReal(file, group, "fit_rmse", f->rmse, "1/yr"));
  PetscCall(StkH5WriteAttributeReal(file, group, "fit_max_error", f->max_error, "1/yr"));
  PetscCall(StkH5WriteAttributeReal(file, group, "fit_rmse_relative", f->rmse_relative, "1"));
  PetscCall(StkH5WriteAttributeReal(file, group, "fit_max_error_relative", f->max_error_relative, "1"));
  PetscCall(StkH5WriteAttributeReal(file, group, "fit_l2", f->l2, "1"));
  PetscCall(StkH5WriteAttributeReal(file, group, "fit_time", f->time, "s"));
  PetscFunctionReturn(0);
}

PetscErrorCode StkNetWriteGroup(StkNet net, StkH5 file, const char group[])
{
  PetscFunctionBeginUser;
  PetscCheck(net->setup, net->comm, PETSC_ERR_ARG_WRONGSTATE, "call StkNetSetUp before writing the network");
  PetscCall(StkH5WriteAttributeString(file, group, "program", "stakehjb"));
  PetscCall(StkH5WriteAttributeString(file, group, "version", STK_VERSION));
  PetscCall(WriteArchitecture(net, file, group));
  PetscCall(WriteFitStats(net, file, group));
  PetscFunctionReturn(0);
}

PetscErrorCode StkNetWrite(StkNet net, const char path[])
{
  StkH5          file;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(StkH5Create(net->comm, path, &file));
  ierr = StkNetWriteGroup(net, file, "network");
  if (!ierr) ierr = StkH5Commit(file, "network", NULL, 0, NULL);
  PetscCall(StkH5Destroy(&file)); /* removes the temporary on failure */
  PetscCall(ierr);
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* Reading (rank 0; problems with the file's content go into `why`)                    */

typedef struct {
  PetscInt       nin, nhidden, size[STK_NET_MAX_LAYERS + 2], seed, nweights;
  PetscReal      lo[STK_NET_MAX_INPUTS], hi[STK_NET_MAX_INPUTS], u_min, u_max;
  char           names[STK_NET_MAX_INPUTS * 17], source[PETSC_MAX_PATH_LEN];
  PetscBool      fitted;
  StkNetFitStats fit;
} NetHeader;

typedef struct {
  const char *path, *group;
  hid_t       gid;
  char        why[PETSC_MAX_PATH_LEN + 256];
} Reader;

static int Fail(Reader *r, const char what[], const char name[], const char detail[])
{
  if (!r->why[0]) snprintf(r->why, sizeof(r->why), "network file '%s': %s '/%s/%s'%s%s", r->path, what, r->group, name, detail[0] ? " " : "", detail);
  return -1;
}

/* A numeric attribute converted to double (or int64 when `integer`). */
static int ReadAttribute(Reader *r, const char name[], PetscBool integer, void *value)
{
  hid_t attr;
  int   bad;

  if (r->why[0]) return -1;
  if (H5Aexists(r->gid, name) <= 0) return Fail(r, "missing attribute", name, "");
  if ((attr = H5Aopen(r->gid, name, H5P_DEFAULT)) < 0) return Fail(r, "cannot open attribute", name, "");
  bad = H5Aread(attr, integer ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE, value) < 0;
  H5Aclose(attr);
  return bad ? Fail(r, "cannot read attribute", name, "as a number") : 0;
}

static int ReadInt(Reader *r, const char name[], PetscInt *value)
{
  int64_t v = 0;

  if (ReadAttribute(r, name, PETSC_TRUE, &v)) return -1;
  *value = (PetscInt)v;
  return 0;
}

static int ReadReal(Reader *r, const char name[], PetscReal *value)
{
  double v = 0;

  if (ReadAttribute(r, name, PETSC_FALSE, &v)) return -1;
  *value = (PetscReal)v;
  return 0;
}

/* A string attribute; "" when absent and optional. */
static int ReadString(Reader *r, const char name[], PetscBool optional, size_t len, char value[])
{
  hid_t attr, type, mem;
  int   bad;
  char *buf;

  value[0] = 0;
  if (r->why[0]) return -1;
  if (H5Aexists(r->gid, name) <= 0) return optional ? 0 : Fail(r, "missing attribute", name, "");
  if ((attr = H5Aopen(r->gid, name, H5P_DEFAULT)) < 0) return Fail(r, "cannot open attribute", name, "");
  type = H5Aget_type(attr);
  if (H5Tget_class(type) != H5T_STRING || H5Tis_variable_str(type) > 0) {
    H5Tclose(type);
    H5Aclose(attr);
    return Fail(r, "attribute", name, "is not a fixed-length string");
  }
  mem = H5Tcopy(type);
  H5Tset_size(mem, H5Tget_size(type) + 1);
  H5Tset_strpad(mem, H5T_STR_NULLTERM);
  buf = (char *)calloc(H5Tget_size(type) + 1, 1);
  bad = !buf || H5Aread(attr, mem, buf) < 0;
  if (!bad) snprintf(value, len, "%s", buf);
  free(buf);
  H5Tclose(mem);
  H5Tclose(type);
  H5Aclose(attr);
  return bad ? Fail(r, "cannot read attribute", name, "") : 0;
}

/* A 1-D dataset of exactly n doubles. */
static int ReadArray(Reader *r, const char name[], PetscInt n, const char needs[], PetscReal value[])
{
  hid_t   ds, space;
  hsize_t dims[H5S_MAX_RANK];
  int     ndims, bad;
  char    detail[256];

  if (r->why[0]) return -1;
  if (H5Lexists(r->gid, name, H5P_DEFAULT) <= 0) return Fail(r, "missing dataset", name, "");
  if ((ds = H5Dopen2(r->gid, name, H5P_DEFAULT)) < 0) return Fail(r, "cannot open dataset", name, "");
  space = H5Dget_space(ds);
  ndims = H5Sget_simple_extent_ndims(space);
  if (ndims > 0) H5Sget_simple_extent_dims(space, dims, NULL);
  H5Sclose(space);
  if (ndims != 1 || dims[0] != (hsize_t)n) {
    if (ndims == 1) snprintf(detail, sizeof(detail), "has shape (%llu,), expected (%d,) for %s", (unsigned long long)dims[0], (int)n, needs);
    else snprintf(detail, sizeof(detail), "has %d dimensions, expected a 1-D array of %d values for %s", ndims, (int)n, needs);
    H5Dclose(ds);
    return Fail(r, "dataset", name, detail);
  }
  bad = H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, value) < 0;
  H5Dclose(ds);
  return bad ? Fail(r, "cannot read dataset", name, "") : 0;
}

/* inputs, hidden_layers and layer_sizes, checked against each other. */
static int ReadShape(Reader *r, NetHeader *h)
{
  PetscReal sizes[STK_NET_MAX_LAYERS + 2];
  char      needs[64];

  if (ReadInt(r, "inputs", &h->nin) || ReadInt(r, "hidden_layers", &h->nhidden)) return -1;
  if (h->nin < 1 || h->nin > STK_NET_MAX_INPUTS) return Fail(r, "attribute", "inputs", "must be in 1..3");
  if (h->nhidden < 1 || h->nhidden > STK_NET_MAX_LAYERS) return Fail(r, "attribute", "hidden_layers", "must be in 1..8");
  snprintf(needs, sizeof(needs), "%d hidden layers", (int)h->nhidden);
  if (ReadArray(r, "layer_sizes", h->nhidden + 2, needs, sizes)) return -1;
  h->nweights = 0;
  for (PetscInt l = 0; l < h->nhidden + 2; l++) {
    h->size[l] = (PetscInt)sizes[l];
    if ((PetscReal)h->size[l] != sizes[l] || h->size[l] < 1 || h->size[l] > STK_NET_MAX_WIDTH) return Fail(r, "dataset", "layer_sizes", "holds a size that is not an integer in 1..256");
    if (l > 0) h->nweights += h->size[l] * (h->size[l - 1] + 1);
  }
  if (h->size[0] != h->nin || h->size[h->nhidden + 1] != 1) return Fail(r, "dataset", "layer_sizes", "must start with the number of inputs and end with 1");
  return 0;
}

static int ReadFitStats(Reader *r, NetHeader *h)
{
  PetscInt       fitted = 0, converged = 0;
  StkNetFitStats *f = &h->fit;

  if (ReadInt(r, "fitted", &fitted) || ReadString(r, "source", PETSC_TRUE, sizeof(h->source), h->source)) return -1;
  h->fitted = (PetscBool)(fitted != 0);
  if (!h->fitted) return 0;
  if (ReadInt(r, "fit_samples", &f->samples) || ReadInt(r, "fit_iterations", &f->iterations) || ReadInt(r, "fit_evaluations", &f->evaluations) || ReadInt(r, "fit_converged", &converged)) return -1;
  if (ReadString(r, "fit_reason", PETSC_FALSE, sizeof(f->reason), f->reason) || ReadReal(r, "fit_objective", &f->objective) || ReadReal(r, "fit_rmse", &f->rmse) || ReadReal(r, "fit_max_error", &f->max_error)) return -1;
  if (ReadReal(r, "fit_rmse_relative", &f->rmse_relative) || ReadReal(r, "fit_max_error_relative", &f->max_error_relative) || ReadReal(r, "fit_l2", &f->l2) || ReadReal(r, "fit_time", &f->time)) return -1;
  f->converged = (PetscBool)(converged != 0);
  return 0;
}

/* Everything but the weights, and then the weights (allocated here). */
static int ReadNetwork(Reader *r, NetHeader *h, PetscReal **w)
{
  char needs[64];

  if (ReadShape(r, h)) return -1;
  if (ReadArray(r, "input_lo", h->nin, "the inputs", h->lo) || ReadArray(r, "input_hi", h->nin, "the inputs", h->hi)) return -1;
  if (ReadReal(r, "u_min", &h->u_min) || ReadReal(r, "u_max", &h->u_max) || ReadInt(r, "seed", &h->seed)) return -1;
  if (ReadString(r, "input_names", PETSC_TRUE, sizeof(h->names), h->names) || ReadFitStats(r, h)) return -1;
  if (!(*w = (PetscReal *)malloc(sizeof(PetscReal) * (size_t)h->nweights))) return Fail(r, "no memory for dataset", "weights", "");
  snprintf(needs, sizeof(needs), "the architecture in layer_sizes");
  return ReadArray(r, "weights", h->nweights, needs, *w);
}

/* Rank 0: open PATH and GROUP, read, close. */
static void ReadOnRankZero(Reader *r, NetHeader *h, PetscReal **w)
{
  hid_t fid;

  H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* our messages name the file and the dataset */
  if ((fid = H5Fopen(r->path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0) {
    snprintf(r->why, sizeof(r->why), "cannot open network file '%s' (missing, or not HDF5)", r->path);
    return;
  }
  if (H5Lexists(fid, r->group, H5P_DEFAULT) <= 0 || (r->gid = H5Gopen2(fid, r->group, H5P_DEFAULT)) < 0) snprintf(r->why, sizeof(r->why), "network file '%s' has no group '/%s'", r->path, r->group);
  else {
    (void)ReadNetwork(r, h, w);
    H5Gclose(r->gid);
  }
  H5Fclose(fid);
}

/* A set-up network from the header and the weights. */
static PetscErrorCode BuildNetwork(MPI_Comm comm, const NetHeader *h, const PetscReal w[], StkNet *net)
{
  StkNet n;
  char   names[sizeof(h->names)], *tok, *save = NULL;

  PetscFunctionBeginUser;
  PetscCall(StkNetCreate(comm, &n));
  PetscCall(StkNetSetArchitecture(n, h->nin, h->nhidden, h->size + 1));
  PetscCall(StkNetSetInputBounds(n, h->lo, h->hi));
  PetscCall(StkNetSetOutputBounds(n, h->u_min, h->u_max));
  PetscCall(StkNetSetSeed(n, h->seed));
  PetscCall(PetscStrncpy(names, h->names, sizeof(names)));
  tok = strtok_r(names, " ", &save);
  for (PetscInt k = 0; tok && k < h->nin; k++, tok = strtok_r(NULL, " ", &save)) PetscCall(PetscStrncpy(n->in_name[k], tok, sizeof(n->in_name[k])));
  PetscCall(StkNetSetUp(n));
  PetscCall(StkNetSetWeights(n, w));
  PetscCall(StkNetSetSource(n, h->source));
  n->fitted = h->fitted;
  n->fit    = h->fit;
  *net      = n;
  PetscFunctionReturn(0);
}

PetscErrorCode StkNetLoad(MPI_Comm comm, const char path[], const char group[], StkNet *net)
{
  Reader      r = {path, group ? group : "network", -1, ""};
  NetHeader   h;
  PetscReal  *w = NULL;
  PetscMPIInt rank;

  PetscFunctionBeginUser;
  *net = NULL;
  PetscCall(PetscMemzero(&h, sizeof(h)));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) ReadOnRankZero(&r, &h, &w);
  PetscCallMPI(MPI_Bcast(r.why, (PetscMPIInt)sizeof(r.why), MPI_CHAR, 0, comm));
  if (r.why[0]) free(w);
  PetscCheck(!r.why[0], comm, PETSC_ERR_FILE_UNEXPECTED, "%s", r.why);
  PetscCallMPI(MPI_Bcast(&h, (PetscMPIInt)sizeof(h), MPI_BYTE, 0, comm));
  if (rank != 0 && !(w = (PetscReal *)malloc(sizeof(PetscReal) * (size_t)h.nweights))) SETERRQ(PETSC_COMM_SELF, PETSC_ERR_MEM, "no memory for %" PetscInt_FMT " network weights", h.nweights);
  PetscCallMPI(MPI_Bcast(w, (PetscMPIInt)h.nweights, MPIU_REAL, 0, comm));
  PetscCall(BuildNetwork(comm, &h, w, net));
  free(w);
  PetscFunctionReturn(0);
}
