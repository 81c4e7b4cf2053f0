/* Networks in HDF5 (docs/hdf5.md, group /network), written and read with grids/stk_h5.h
 * (temporary name, renamed when complete), with errors that name the file and the
 * dataset or attribute. */
#define _POSIX_C_SOURCE 200809L /* strtok_r */
#include "stk_netimpl.h"
#include "stk_version.h"
#include <string.h>

/* ------------------------------------------------------------------------------------ */
/* Writing                                                                              */

/* The flat weights on their own dimension scale `weight` (0 .. nweights-1), so CF
 * readers (xarray) see a labelled dimension. */
static PetscErrorCode WriteWeights(StkNet net, StkH5 file, const char group[])
{
  PetscReal *index;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(net->nweights, &index));
  for (PetscInt i = 0; i < net->nweights; i++) index[i] = (PetscReal)i;
  PetscCall(StkH5WriteArray(file, group, "weight", "weight", net->nweights, index, "1", "weight index into the flat weights"));
  PetscCall(PetscFree(index));
  PetscCall(StkH5WriteArray(file, group, "weights", "weight", net->nweights, net->w, "1", "flat weights: layer by layer, neuron by neuron, bias then one weight per input"));
  PetscFunctionReturn(0);
}

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
  PetscCall(StkH5WriteArray(file, group, "input_lo", "input", net->nin, net->in_lo, "mixed", "input value mapped to -1, in the units of that input's state variable"));
  PetscCall(StkH5WriteArray(file, group, "input_hi", "input", net->nin, net->in_hi, "mixed", "input value mapped to +1, in the units of that input's state variable"));
  PetscCall(WriteWeights(net, file, group));
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
/* Reading: every rank reads; a missing or wrongly shaped item names the file and itself */

typedef struct {
  PetscInt       nin, nhidden, size[STK_NET_MAX_LAYERS + 2], seed, nweights;
  PetscReal      lo[STK_NET_MAX_INPUTS], hi[STK_NET_MAX_INPUTS], u_min, u_max;
  char           names[STK_NET_MAX_INPUTS * 17], source[PETSC_MAX_PATH_LEN];
  PetscBool      fitted;
  StkNetFitStats fit;
} NetHeader;

typedef struct {
  MPI_Comm    comm;
  StkH5       file;
  const char *path, *group;
} Reader;

/* The dataset or attribute NAME of the group, or an error naming it. */
static PetscErrorCode Require(Reader *r, PetscBool dataset, const char name[])
{
  PetscBool has;

  PetscFunctionBeginUser;
  if (dataset) PetscCall(StkH5HasDataset(r->file, r->group, name, &has));
  else PetscCall(StkH5HasAttribute(r->file, r->group, name, &has));
  PetscCheck(has, r->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: missing %s '/%s/%s'", r->path, dataset ? "dataset" : "attribute", r->group, name);
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadInt(Reader *r, const char name[], PetscInt *value)
{
  PetscFunctionBeginUser;
  PetscCall(Require(r, PETSC_FALSE, name));
  PetscCall(StkH5ReadAttributeInt(r->file, r->group, name, value));
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadReal(Reader *r, const char name[], PetscReal *value)
{
  PetscFunctionBeginUser;
  PetscCall(Require(r, PETSC_FALSE, name));
  PetscCall(StkH5ReadAttributeReal(r->file, r->group, name, value));
  PetscFunctionReturn(0);
}

/* A string attribute; "" when absent and optional. */
static PetscErrorCode ReadString(Reader *r, const char name[], PetscBool optional, size_t len, char value[])
{
  PetscBool has;

  PetscFunctionBeginUser;
  value[0] = 0;
  PetscCall(StkH5HasAttribute(r->file, r->group, name, &has));
  if (!has && optional) PetscFunctionReturn(0);
  PetscCall(Require(r, PETSC_FALSE, name));
  PetscCall(StkH5ReadAttributeString(r->file, r->group, name, len, value));
  PetscFunctionReturn(0);
}

/* A 1-D dataset of exactly n values; `needs` says what fixes n. */
static PetscErrorCode ReadArray(Reader *r, const char name[], PetscInt n, const char needs[], PetscReal value[])
{
  PetscInt   found;
  PetscReal *a;

  PetscFunctionBeginUser;
  PetscCall(Require(r, PETSC_TRUE, name));
  PetscCall(StkH5ReadArray(r->file, r->group, name, &found, &a));
  if (found != n) {
    PetscCall(PetscFree(a));
    SETERRQ(r->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset '/%s/%s' has shape (%" PetscInt_FMT ",), expected (%" PetscInt_FMT ",) for %s", r->path, r->group, name, found, n, needs);
  }
  for (PetscInt i = 0; i < n; i++) {
    if (PetscIsInfOrNanReal(a[i])) {
      const PetscReal bad = a[i];
      PetscCall(PetscFree(a));
      SETERRQ(r->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset '/%s/%s' holds a non-finite value (%s[%" PetscInt_FMT "] = %g)", r->path, r->group, name, name, i, (double)bad);
    }
  }
  PetscCall(PetscArraycpy(value, a, n));
  PetscCall(PetscFree(a));
  PetscFunctionReturn(0);
}

/* inputs, hidden_layers and layer_sizes, checked against each other. */
static PetscErrorCode ReadShape(Reader *r, NetHeader *h)
{
  PetscReal sizes[STK_NET_MAX_LAYERS + 2];
  char      needs[64];

  PetscFunctionBeginUser;
  PetscCall(ReadInt(r, "inputs", &h->nin));
  PetscCall(ReadInt(r, "hidden_layers", &h->nhidden));
  PetscCheck(h->nin >= 1 && h->nin <= STK_NET_MAX_INPUTS, r->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: attribute '/%s/inputs' must be in 1..%d, got %" PetscInt_FMT, r->path, r->group, STK_NET_MAX_INPUTS, h->nin);
  PetscCheck(h->nhidden >= 1 && h->nhidden <= STK_NET_MAX_LAYERS, r->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: attribute '/%s/hidden_layers' must be in 1..%d, got %" PetscInt_FMT, r->path, r->group, STK_NET_MAX_LAYERS, h->nhidden);
  PetscCall(PetscSNPrintf(needs, sizeof(needs), "%" PetscInt_FMT " hidden layers", h->nhidden));
  PetscCall(ReadArray(r, "layer_sizes", h->nhidden + 2, needs, sizes));
  h->nweights = 0;
  for (PetscInt l = 0; l < h->nhidden + 2; l++) {
    h->size[l] = (PetscInt)sizes[l];
    PetscCheck((PetscReal)h->size[l] == sizes[l] && h->size[l] >= 1 && h->size[l] <= STK_NET_MAX_WIDTH, r->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset '/%s/layer_sizes' holds a size that is not an integer in 1..%d", r->path, r->group, STK_NET_MAX_WIDTH);
    if (l > 0) h->nweights += h->size[l] * (h->size[l - 1] + 1);
  }
  PetscCheck(h->size[0] == h->nin && h->size[h->nhidden + 1] == 1, r->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset '/%s/layer_sizes' must start with the number of inputs and end with 1", r->path, r->group);
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadFitStats(Reader *r, NetHeader *h)
{
  PetscInt        fitted = 0, converged = 0;
  StkNetFitStats *f = &h->fit;

  PetscFunctionBeginUser;
  PetscCall(ReadInt(r, "fitted", &fitted));
  PetscCall(ReadString(r, "source", PETSC_TRUE, sizeof(h->source), h->source));
  h->fitted = (PetscBool)(fitted != 0);
  if (!h->fitted) PetscFunctionReturn(0);
  PetscCall(ReadInt(r, "fit_samples", &f->samples));
  PetscCall(ReadInt(r, "fit_iterations", &f->iterations));
  PetscCall(ReadInt(r, "fit_evaluations", &f->evaluations));
  PetscCall(ReadInt(r, "fit_converged", &converged));
  PetscCall(ReadString(r, "fit_reason", PETSC_FALSE, sizeof(f->reason), f->reason));
  PetscCall(ReadReal(r, "fit_objective", &f->objective));
  PetscCall(ReadReal(r, "fit_rmse", &f->rmse));
  PetscCall(ReadReal(r, "fit_max_error", &f->max_error));
  PetscCall(ReadReal(r, "fit_rmse_relative", &f->rmse_relative));
  PetscCall(ReadReal(r, "fit_max_error_relative", &f->max_error_relative));
  PetscCall(ReadReal(r, "fit_l2", &f->l2));
  PetscCall(ReadReal(r, "fit_time", &f->time));
  f->converged = (PetscBool)(converged != 0);
  PetscFunctionReturn(0);
}

/* Everything but the weights, and then the weights (a new array). */
static PetscErrorCode ReadNetwork(Reader *r, NetHeader *h, PetscReal **w)
{
  PetscBool has;

  PetscFunctionBeginUser;
  PetscCall(StkH5HasGroup(r->file, r->group, &has));
  PetscCheck(has, r->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: has no group '/%s'", r->path, r->group);
  PetscCall(ReadShape(r, h));
  PetscCall(ReadArray(r, "input_lo", h->nin, "the inputs", h->lo));
  PetscCall(ReadArray(r, "input_hi", h->nin, "the inputs", h->hi));
  PetscCall(ReadReal(r, "u_min", &h->u_min));
  PetscCall(ReadReal(r, "u_max", &h->u_max));
  PetscCheck(!PetscIsInfOrNanReal(h->u_min) && !PetscIsInfOrNanReal(h->u_max) && h->u_min < h->u_max, r->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: attributes '/%s/u_min' = %g and '/%s/u_max' = %g: must be finite with u_min < u_max", r->path, r->group, (double)h->u_min, r->group, (double)h->u_max);
  for (PetscInt k = 0; k < h->nin; k++)
    PetscCheck(h->lo[k] < h->hi[k], r->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: datasets '/%s/input_lo' and '/%s/input_hi': input %" PetscInt_FMT " has lo %g >= hi %g", r->path, r->group, r->group, k, (double)h->lo[k], (double)h->hi[k]);
  PetscCall(ReadInt(r, "seed", &h->seed));
  PetscCall(ReadString(r, "input_names", PETSC_TRUE, sizeof(h->names), h->names));
  PetscCall(ReadFitStats(r, h));
  PetscCall(PetscMalloc1(h->nweights, w));
  PetscCall(ReadArray(r, "weights", h->nweights, "the architecture in layer_sizes", *w));
  PetscFunctionReturn(0);
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
  Reader         r = {comm, NULL, path, group ? group : "network"};
  NetHeader      h;
  PetscReal     *w = NULL;
  PetscBool      readable;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  *net = NULL;
  PetscCall(PetscMemzero(&h, sizeof(h)));
  PetscCall(StkH5TestFile(comm, path, &readable));
  PetscCheck(readable, comm, PETSC_ERR_FILE_OPEN, "%s: cannot open the network file (missing, or not HDF5)", path);
  PetscCall(StkH5Open(comm, path, &r.file));
  ierr = ReadNetwork(&r, &h, &w);
  if (!ierr) ierr = BuildNetwork(comm, &h, w, net);
  PetscCall(PetscFree(w));
  PetscCall(StkH5Destroy(&r.file));
  PetscCall(ierr);
  PetscFunctionReturn(0);
}
