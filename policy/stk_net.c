/* The mechanism network: architecture, options, deterministic initialization, forward
 * pass, backpropagation and the gradient check (see stk_net.h). */
#include "stk_netimpl.h"
#include "stk_options.h"
#include <stdint.h>

PetscLogEvent STK_EVENT_NetFit;

PetscErrorCode StkNetRegisterEvents(void)
{
  static PetscBool registered = PETSC_FALSE; /* PETSc's own idiom: once per process */
  PetscClassId     classid;

  PetscFunctionBeginUser;
  if (registered) PetscFunctionReturn(0);
  registered = PETSC_TRUE;
  PetscCall(PetscClassIdRegister("StkNet", &classid));
  PetscCall(PetscLogEventRegister("StkNetFit", classid, &STK_EVENT_NetFit));
  PetscFunctionReturn(0);
}

PetscErrorCode StkNetCreate(MPI_Comm comm, StkNet *net)
{
  StkNet n;

  PetscFunctionBeginUser;
  PetscCall(StkNetRegisterEvents());
  PetscCall(PetscNew(&n));
  n->comm       = comm;
  PetscCall(PetscStrncpy(n->class_prefix, STK_NET_CLASS, sizeof(n->class_prefix)));
  n->nin        = 1;
  n->nhidden    = 2;
  n->size[1]    = 16;
  n->size[2]    = 16;
  n->u_min      = 0;
  n->u_max      = 1;
  n->seed       = 1;
  n->fit_l2     = 1e-9;
  n->fit_stride  = 0;
  n->fit_samples = 500;
  n->fit_max_it = 1000;
  for (PetscInt k = 0; k < STK_NET_MAX_INPUTS; k++) {
    n->in_lo[k] = -1;
    n->in_hi[k] = 1;
    PetscCall(PetscSNPrintf(n->in_name[k], sizeof(n->in_name[k]), "x%" PetscInt_FMT, k));
  }
  *net = n;
  PetscFunctionReturn(0);
}

PetscErrorCode StkNetSetOptionsPrefix(StkNet net, const char prefix[])
{
  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixSet(&net->prefix, prefix));
  PetscCall(StkOptionsPrefixCompose(net->prefix, STK_NET_CLASS, net->class_prefix, sizeof(net->class_prefix)));
  PetscFunctionReturn(0);
}

PetscErrorCode StkNetAppendOptionsPrefix(StkNet net, const char prefix[])
{
  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixAppend(&net->prefix, prefix));
  PetscCall(StkOptionsPrefixCompose(net->prefix, STK_NET_CLASS, net->class_prefix, sizeof(net->class_prefix)));
  PetscFunctionReturn(0);
}

PetscErrorCode StkNetGetOptionsPrefix(StkNet net, const char *prefix[])
{
  PetscFunctionBeginUser;
  *prefix = net->prefix;
  PetscFunctionReturn(0);
}

PetscErrorCode StkNetSetArchitecture(StkNet net, PetscInt nin, PetscInt nhidden, const PetscInt widths[])
{
  PetscFunctionBeginUser;
  PetscCheck(!net->setup, net->comm, PETSC_ERR_ARG_WRONGSTATE, "the network architecture cannot change after StkNetSetUp");
  PetscCheck(nin >= 1 && nin <= STK_NET_MAX_INPUTS, net->comm, PETSC_ERR_ARG_OUTOFRANGE, "network inputs must be in 1..%d, got %" PetscInt_FMT, STK_NET_MAX_INPUTS, nin);
  PetscCheck(nhidden >= 1 && nhidden <= STK_NET_MAX_LAYERS, net->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%slayers must be in 1..%d, got %" PetscInt_FMT, net->class_prefix, STK_NET_MAX_LAYERS, nhidden);
  for (PetscInt l = 0; l < nhidden; l++) PetscCheck(widths[l] >= 1 && widths[l] <= STK_NET_MAX_WIDTH, net->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%swidths must be in 1..%d, got %" PetscInt_FMT " for hidden layer %" PetscInt_FMT, net->class_prefix, STK_NET_MAX_WIDTH, widths[l], l);
  net->nin     = nin;
  net->nhidden = nhidden;
  for (PetscInt l = 0; l < nhidden; l++) net->size[l + 1] = widths[l];
  PetscFunctionReturn(0);
}

PetscErrorCode StkNetSetInputBounds(StkNet net, const PetscReal lo[], const PetscReal hi[])
{
  PetscFunctionBeginUser;
  for (PetscInt k = 0; k < net->nin; k++) {
    PetscCheck(lo[k] < hi[k], net->comm, PETSC_ERR_ARG_OUTOFRANGE, "network input %" PetscInt_FMT " needs lo < hi, got [%g, %g]", k, (double)lo[k], (double)hi[k]);
    net->in_lo[k] = lo[k];
    net->in_hi[k] = hi[k];
  }
  net->in_set = PETSC_TRUE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkNetSetInputsFromGrid(StkNet net, StkGrid grid)
{
  PetscInt    dim, n[STK_MAX_DIM];
  PetscReal   lo[STK_MAX_DIM], hi[STK_MAX_DIM];
  const char *name;

  PetscFunctionBeginUser;
  PetscCall(StkGridGetDimension(grid, &dim));
  PetscCall(StkGridGetSizes(grid, n));
  PetscCheck(dim <= STK_NET_MAX_INPUTS, net->comm, PETSC_ERR_ARG_OUTOFRANGE, "a %" PetscInt_FMT "-D grid has more inputs than the network allows (%d)", dim, STK_NET_MAX_INPUTS);
  PetscCheck(!net->setup || dim == net->nin, net->comm, PETSC_ERR_ARG_INCOMP, "the network has %" PetscInt_FMT " inputs, the grid %" PetscInt_FMT " directions", net->nin, dim);
  net->nin = dim;
  for (PetscInt k = 0; k < dim; k++) {
    const PetscReal *x;
    PetscCall(StkGridGetCoordinates(grid, k, &x));
    PetscCall(StkGridGetName(grid, k, &name));
    lo[k] = x[0];
    hi[k] = x[n[k] - 1];
    PetscCall(PetscStrncpy(net->in_name[k], name, sizeof(net->in_name[k])));
  }
  PetscCall(StkNetSetInputBounds(net, lo, hi));
  PetscFunctionReturn(0);
}

PetscErrorCode StkNetSetOutputBounds(StkNet net, PetscReal u_min, PetscReal u_max)
{
  PetscFunctionBeginUser;
  PetscCheck(u_min < u_max, net->comm, PETSC_ERR_ARG_OUTOFRANGE, "network output bounds need u_min < u_max, got u_min = %g, u_max = %g", (double)u_min, (double)u_max);
  net->u_min = u_min;
  net->u_max = u_max;
  PetscFunctionReturn(0);
}

PetscErrorCode StkNetSetSeed(StkNet net, PetscInt seed)
{
  PetscFunctionBeginUser;
  PetscCheck(seed >= 0, net->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sseed must be >= 0, got %" PetscInt_FMT, net->class_prefix, seed);
  net->seed = seed;
  PetscFunctionReturn(0);
}

PetscErrorCode StkNetSetSource(StkNet net, const char source[])
{
  PetscFunctionBeginUser;
  PetscCall(PetscStrncpy(net->source, source ? source : "", sizeof(net->source)));
  PetscFunctionReturn(0);
}

/* -net_layers L and -net_widths w[,w...]: one width is repeated; otherwise the count must match.
 * (Bare names under USER + "net_".) */
static PetscErrorCode ArchitectureOptions(StkNet net, PetscOptionItems *PetscOptionsObject)
{
  PetscInt  layers = net->nhidden, widths[STK_NET_MAX_LAYERS], nw = STK_NET_MAX_LAYERS;
  PetscBool set_layers, set_widths;

  PetscFunctionBeginUser;
  for (PetscInt l = 0; l < net->nhidden; l++) widths[l] = net->size[l + 1];
  PetscCall(PetscOptionsInt("-layers", "Hidden layers of the mechanism network", "StkNetSetArchitecture", layers, &layers, &set_layers));
  PetscCall(PetscOptionsIntArray("-widths", "Neurons per hidden layer (one value: every layer)", "StkNetSetArchitecture", widths, &nw, &set_widths));
  PetscCheck(layers >= 1 && layers <= STK_NET_MAX_LAYERS, net->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%slayers must be in 1..%d, got %" PetscInt_FMT, net->class_prefix, STK_NET_MAX_LAYERS, layers);
  if (set_widths && !set_layers) layers = nw;
  if (set_widths && nw == 1)
    for (PetscInt l = 1; l < layers; l++) widths[l] = widths[0];
  else if (set_widths) PetscCheck(nw == layers, net->comm, PETSC_ERR_ARG_INCOMP, "-%swidths has %" PetscInt_FMT " values but -%slayers is %" PetscInt_FMT, net->class_prefix, nw, net->class_prefix, layers);
  else
    for (PetscInt l = net->nhidden; l < layers; l++) widths[l] = widths[net->nhidden - 1];
  if (set_layers || set_widths) PetscCall(StkNetSetArchitecture(net, net->nin, layers, widths));
  PetscFunctionReturn(0);
}

PetscErrorCode StkNetSetFromOptions(StkNet net)
{
  PetscReal u_min = net->u_min, u_max = net->u_max;
  PetscInt  seed  = net->seed;

  PetscFunctionBeginUser;
  PetscOptionsBegin(net->comm, net->class_prefix, "Mechanism network (docs/network.md)", "StkNet");
  PetscCall(ArchitectureOptions(net, PetscOptionsObject));
  PetscCall(PetscOptionsInt("-seed", "Seed of the weight initialization", "StkNetSetSeed", seed, &seed, NULL));
  PetscCall(PetscOptionsReal("-u_min", "Lowest output (default: the solution file's u_min)", "StkNetSetOutputBounds", u_min, &u_min, NULL));
  PetscCall(PetscOptionsReal("-u_max", "Highest output (default: the solution file's u_max)", "StkNetSetOutputBounds", u_max, &u_max, NULL));
  PetscCall(PetscOptionsReal("-fit_l2", "L2 regularization weight of the fit (times |theta|^2 / 2)", "StkNetFit", net->fit_l2, &net->fit_l2, NULL));
  PetscCall(PetscOptionsInt("-fit_stride", "Fit on every k-th grid node per direction (and the last); 0: automatic, about -net_fit_samples nodes plus the nodes at the kinks", "StkNetFitGrid", net->fit_stride, &net->fit_stride, NULL));
  PetscCall(PetscOptionsInt("-fit_samples", "With -net_fit_stride 0: about how many nodes the regular part of the sample has", "StkNetFitGrid", net->fit_samples, &net->fit_samples, NULL));
  PetscCall(PetscOptionsInt("-fit_max_it", "Maximum TAO iterations of the fit (also -net_fit_tao_max_it)", "StkNetFit", net->fit_max_it, &net->fit_max_it, NULL));
  PetscCall(PetscOptionsBool("-fit_view", "Print the TAO solver after the fit", "StkNetFit", net->fit_view, &net->fit_view, NULL));
  PetscOptionsEnd();
  PetscCheck(net->fit_l2 >= 0, net->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sfit_l2 must be >= 0, got %g", net->class_prefix, (double)net->fit_l2);
  PetscCheck(net->fit_stride >= 0, net->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sfit_stride must be >= 0 (0: automatic), got %" PetscInt_FMT, net->class_prefix, net->fit_stride);
  PetscCheck(net->fit_samples >= 1, net->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sfit_samples must be >= 1, got %" PetscInt_FMT, net->class_prefix, net->fit_samples);
  PetscCheck(net->fit_max_it >= 0, net->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sfit_max_it must be >= 0, got %" PetscInt_FMT, net->class_prefix, net->fit_max_it);
  PetscCheck(u_min < u_max, net->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%su_min %g must be below -%su_max %g", net->class_prefix, (double)u_min, net->class_prefix, (double)u_max);
  PetscCall(StkNetSetSeed(net, seed));
  PetscCall(StkNetSetOutputBounds(net, u_min, u_max));
  PetscFunctionReturn(0);
}

PetscInt StkNetLayerOffset(StkNet net, PetscInt l)
{
  PetscInt off = 0;

  for (PetscInt m = 0; m < l; m++) off += net->size[m + 1] * (net->size[m] + 1);
  return off;
}

/* Counter-based uniform in [0, 1) from (seed, index): two rounds of splitmix64's
 * finalizer, so weight i does not depend on how many weights come before it. */
static PetscReal HashUniform(PetscInt seed, uint64_t index)
{
  uint64_t h = (uint64_t)seed * 0x9E3779B97F4A7C15ull + 0xD1B54A32D192ED03ull;

  for (int round = 0; round < 2; round++) {
    h ^= index + 0x632BE59BD9B4E019ull * (uint64_t)round;
    h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ull;
    h = (h ^ (h >> 27)) * 0x94D049BB133111EBull;
    h ^= h >> 31;
  }
  return (PetscReal)(h >> 11) * 0x1.0p-53;
}

/* Glorot/Xavier uniform: weights in +-sqrt(6 / (fan_in + fan_out)), biases 0. */
static void InitializeWeights(StkNet net)
{
  PetscInt i = 0;

  for (PetscInt l = 0; l <= net->nhidden; l++) {
    const PetscInt  nin = net->size[l], nout = net->size[l + 1];
    const PetscReal limit = PetscSqrtReal(6.0 / (PetscReal)(nin + nout));
    for (PetscInt j = 0; j < nout; j++) {
      net->w[i++] = 0;
      for (PetscInt k = 0; k < nin; k++, i++) net->w[i] = limit * (2 * HashUniform(net->seed, (uint64_t)i) - 1);
    }
  }
}

PetscErrorCode StkNetSetUp(StkNet net)
{
  PetscFunctionBeginUser;
  if (net->setup) PetscFunctionReturn(0);
  net->size[0]                = net->nin;
  net->size[net->nhidden + 1] = 1;
  net->nweights               = StkNetLayerOffset(net, net->nhidden + 1);
  PetscCall(PetscMalloc1(net->nweights, &net->w));
  InitializeWeights(net);
  net->setup = PETSC_TRUE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkNetDestroy(StkNet *net)
{
  PetscFunctionBeginUser;
  if (!net || !*net) PetscFunctionReturn(0);
  PetscCall(PetscFree((*net)->w));
  PetscCall(PetscFree((*net)->prefix));
  PetscCall(PetscFree(*net));
  PetscFunctionReturn(0);
}

PetscErrorCode StkNetView(StkNet net, PetscViewer viewer)
{
  PetscFunctionBeginUser;
  if (!viewer) viewer = PETSC_VIEWER_STDOUT_(net->comm);
  PetscCall(PetscViewerASCIIPrintf(viewer, "StkNet: MLP %" PetscInt_FMT, net->nin));
  for (PetscInt l = 1; l <= net->nhidden + 1; l++) PetscCall(PetscViewerASCIIPrintf(viewer, " -> %" PetscInt_FMT, net->size[l]));
  PetscCall(PetscViewerASCIIPrintf(viewer, " (tanh hidden, sigmoid output), %" PetscInt_FMT " weights, seed %" PetscInt_FMT "\n", net->nweights, net->seed));
  for (PetscInt k = 0; k < net->nin; k++) PetscCall(PetscViewerASCIIPrintf(viewer, "  input %s in [%g, %g] -> [-1, 1]\n", net->in_name[k], (double)net->in_lo[k], (double)net->in_hi[k]));
  PetscCall(PetscViewerASCIIPrintf(viewer, "  output in [%g, %g]\n", (double)net->u_min, (double)net->u_max));
  if (net->fitted)
    PetscCall(PetscViewerASCIIPrintf(viewer, "  fit: %" PetscInt_FMT " samples, %" PetscInt_FMT " TAO iterations (%s), RMSE %.3e (%.3e of range), max error %.3e (%.3e of range), %.2f s\n", net->fit.samples, net->fit.iterations, net->fit.reason, (double)net->fit.rmse, (double)net->fit.rmse_relative,
                                     (double)net->fit.max_error, (double)net->fit.max_error_relative, (double)net->fit.time));
  PetscFunctionReturn(0);
}

PetscErrorCode StkNetGetNumInputs(StkNet net, PetscInt *nin)
{
  PetscFunctionBeginUser;
  *nin = net->nin;
  PetscFunctionReturn(0);
}

PetscErrorCode StkNetGetInputName(StkNet net, PetscInt k, const char **name)
{
  PetscFunctionBeginUser;
  PetscCheck(k >= 0 && k < net->nin, net->comm, PETSC_ERR_ARG_OUTOFRANGE, "StkNetGetInputName: input %" PetscInt_FMT " of %" PetscInt_FMT, k, net->nin);
  *name = net->in_name[k];
  PetscFunctionReturn(0);
}

PetscErrorCode StkNetGetArchitecture(StkNet net, PetscInt *nhidden, PetscInt widths[])
{
  PetscFunctionBeginUser;
  if (nhidden) *nhidden = net->nhidden;
  if (widths)
    for (PetscInt l = 0; l < net->nhidden; l++) widths[l] = net->size[l + 1];
  PetscFunctionReturn(0);
}

PetscErrorCode StkNetGetOutputBounds(StkNet net, PetscReal *u_min, PetscReal *u_max)
{
  PetscFunctionBeginUser;
  if (u_min) *u_min = net->u_min;
  if (u_max) *u_max = net->u_max;
  PetscFunctionReturn(0);
}

PetscErrorCode StkNetGetNumWeights(StkNet net, PetscInt *nweights)
{
  PetscFunctionBeginUser;
  PetscCheck(net->setup, net->comm, PETSC_ERR_ARG_WRONGSTATE, "call StkNetSetUp before asking for the weights");
  *nweights = net->nweights;
  PetscFunctionReturn(0);
}

PetscErrorCode StkNetGetWeights(StkNet net, const PetscReal **w)
{
  PetscFunctionBeginUser;
  PetscCheck(net->setup, net->comm, PETSC_ERR_ARG_WRONGSTATE, "call StkNetSetUp before asking for the weights");
  *w = net->w;
  PetscFunctionReturn(0);
}

PetscErrorCode StkNetSetWeights(StkNet net, const PetscReal w[])
{
  PetscFunctionBeginUser;
  PetscCheck(net->setup, net->comm, PETSC_ERR_ARG_WRONGSTATE, "call StkNetSetUp before setting the weights");
  PetscCall(PetscArraycpy(net->w, w, net->nweights));
  PetscFunctionReturn(0);
}

PetscErrorCode StkNetGetFitStats(StkNet net, PetscBool *fitted, StkNetFitStats *stats)
{
  PetscFunctionBeginUser;
  if (fitted) *fitted = net->fitted;
  if (stats) *stats = net->fit;
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* Forward and backward passes                                                          */

/* Activations of every layer: act[l] has size[l] values (act[0]: the scaled inputs). */
typedef PetscReal StkNetActivations[STK_NET_MAX_LAYERS + 1][STK_NET_MAX_WIDTH];

static inline PetscReal Sigmoid(PetscReal z)
{
  if (z >= 0) return 1 / (1 + PetscExpReal(-z));
  const PetscReal e = PetscExpReal(z); /* no overflow for very negative z */
  return e / (1 + e);
}

/* tanh through one exp: (1 - e) / (1 + e) with e = exp(-2|z|) (about 2x faster than libm's
 * tanh; within a few ulp of it away from 0, within 1e-16 absolutely near 0). */
static inline PetscReal Tanh(PetscReal z)
{
  const PetscReal e = PetscExpReal(-2 * PetscAbsReal(z)), t = (1 - e) / (1 + e);
  return z < 0 ? -t : t;
}

/* The forward pass: returns sigmoid(z) of the output neuron and fills act. */
static PetscReal Forward(StkNet net, const PetscReal x[], StkNetActivations act)
{
  const PetscReal *w = net->w;
  PetscReal        z = 0;

  for (PetscInt k = 0; k < net->nin; k++) act[0][k] = 2 * (x[k] - net->in_lo[k]) / (net->in_hi[k] - net->in_lo[k]) - 1;
  for (PetscInt l = 0; l <= net->nhidden; l++) {
    const PetscInt nin = net->size[l], nout = net->size[l + 1];
    for (PetscInt j = 0; j < nout; j++, w += nin + 1) {
      PetscReal sum = w[0];
      for (PetscInt k = 0; k < nin; k++) sum += w[1 + k] * act[l][k];
      if (l < net->nhidden) act[l + 1][j] = Tanh(sum);
      else z = sum;
    }
  }
  return Sigmoid(z);
}

PetscErrorCode StkNetEvaluate(StkNet net, const PetscReal x[], PetscReal *u)
{
  StkNetActivations act;

  PetscFunctionBeginUser;
  PetscCheck(net->setup, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "call StkNetSetUp before evaluating the network");
  *u = net->u_min + (net->u_max - net->u_min) * Forward(net, x, act);
  PetscFunctionReturn(0);
}

/* Backpropagation of du through layer l: given delta (du/d pre-activation of layer l's
 * outputs), fills dudw of its weights and returns in back the derivative with respect
 * to its inputs act[l]. */
static void BackwardLayer(StkNet net, PetscInt l, const StkNetActivations act, const PetscReal delta[], PetscReal dudw[], PetscReal back[])
{
  const PetscInt   nin = net->size[l], nout = net->size[l + 1], off = StkNetLayerOffset(net, l);
  const PetscReal *w   = net->w + off;

  for (PetscInt k = 0; k < nin; k++) back[k] = 0;
  for (PetscInt j = 0; j < nout; j++, w += nin + 1) {
    if (dudw) {
      PetscReal *g = dudw + off + j * (nin + 1);
      g[0]         = delta[j];
      for (PetscInt k = 0; k < nin; k++) g[1 + k] = delta[j] * act[l][k];
    }
    for (PetscInt k = 0; k < nin; k++) back[k] += w[1 + k] * delta[j];
  }
}

PetscErrorCode StkNetGradient(StkNet net, const PetscReal x[], PetscReal *u, PetscReal dudw[], PetscReal dudx[])
{
  StkNetActivations act;
  PetscReal         delta[STK_NET_MAX_WIDTH], back[STK_NET_MAX_WIDTH], sig;

  PetscFunctionBeginUser;
  PetscCheck(net->setup, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "call StkNetSetUp before evaluating the network");
  sig = Forward(net, x, act);
  if (u) *u = net->u_min + (net->u_max - net->u_min) * sig;
  delta[0] = (net->u_max - net->u_min) * sig * (1 - sig);
  for (PetscInt l = net->nhidden; l >= 0; l--) {
    BackwardLayer(net, l, act, delta, dudw, back);
    if (l > 0)
      for (PetscInt k = 0; k < net->size[l]; k++) delta[k] = back[k] * (1 - act[l][k] * act[l][k]);
  }
  if (dudx)
    for (PetscInt k = 0; k < net->nin; k++) dudx[k] = back[k] * 2 / (net->in_hi[k] - net->in_lo[k]);
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* Gradient check                                                                       */

/* A unit vector of length n from the hash (seed, stream * 2^32 + i). */
static void RandomDirection(PetscInt seed, PetscInt stream, PetscInt n, PetscReal d[])
{
  PetscReal norm = 0;

  for (PetscInt i = 0; i < n; i++) {
    d[i] = 2 * HashUniform(seed, ((uint64_t)stream << 32) + (uint64_t)i) - 1;
    norm += d[i] * d[i];
  }
  norm = PetscSqrtReal(norm);
  for (PetscInt i = 0; i < n; i++) d[i] /= norm;
}

/* |analytic - numeric| / max(|analytic|, |numeric|), with a floor of 1e-10 (u_max - u_min)
 * per unit step so a vanishing directional derivative does not divide round-off by zero. */
static PetscReal RelativeError(StkNet net, PetscReal analytic, PetscReal numeric)
{
  const PetscReal scale = PetscMax(PetscMax(PetscAbsReal(analytic), PetscAbsReal(numeric)), 1e-10 * (net->u_max - net->u_min));
  return PetscAbsReal(analytic - numeric) / scale;
}

/* Central difference of u along d in weight space with step h. */
static PetscErrorCode WeightDifference(StkNet net, const PetscReal x[], const PetscReal d[], PetscReal h, PetscReal *numeric)
{
  PetscReal *saved, up, down;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(net->nweights, &saved));
  PetscCall(PetscArraycpy(saved, net->w, net->nweights));
  for (PetscInt i = 0; i < net->nweights; i++) net->w[i] = saved[i] + h * d[i];
  PetscCall(StkNetEvaluate(net, x, &up));
  for (PetscInt i = 0; i < net->nweights; i++) net->w[i] = saved[i] - h * d[i];
  PetscCall(StkNetEvaluate(net, x, &down));
  PetscCall(PetscArraycpy(net->w, saved, net->nweights));
  PetscCall(PetscFree(saved));
  *numeric = (up - down) / (2 * h);
  PetscFunctionReturn(0);
}

PetscErrorCode StkNetCheckGradient(StkNet net, const PetscReal x[], PetscInt seed, PetscReal tol, PetscReal *relerr_weights, PetscReal *relerr_inputs, PetscBool *passed)
{
  const PetscReal h = 1e-5; /* balances truncation O(h^2) against round-off O(eps/h) */
  PetscReal      *dudw, *dw, dudx[STK_NET_MAX_INPUTS], dx[STK_NET_MAX_INPUTS], xp[STK_NET_MAX_INPUTS], xm[STK_NET_MAX_INPUTS];
  PetscReal       u, analytic = 0, numeric = 0, up, down, err_w, err_x;

  PetscFunctionBeginUser;
  PetscCheck(net->setup, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "call StkNetSetUp before the gradient check");
  PetscCall(PetscMalloc2(net->nweights, &dudw, net->nweights, &dw));
  PetscCall(StkNetGradient(net, x, &u, dudw, dudx));
  RandomDirection(seed, 0, net->nweights, dw);
  for (PetscInt i = 0; i < net->nweights; i++) analytic += dudw[i] * dw[i];
  PetscCall(WeightDifference(net, x, dw, h, &numeric));
  err_w = RelativeError(net, analytic, numeric);
  /* inputs: a unit direction in the scaled coordinates, mapped back to x */
  RandomDirection(seed, 1, net->nin, dx);
  analytic = 0;
  for (PetscInt k = 0; k < net->nin; k++) {
    const PetscReal step = h * dx[k] * (net->in_hi[k] - net->in_lo[k]) / 2;
    xp[k]                = x[k] + step;
    xm[k]                = x[k] - step;
    analytic += dudx[k] * dx[k] * (net->in_hi[k] - net->in_lo[k]) / 2;
  }
  PetscCall(StkNetEvaluate(net, xp, &up));
  PetscCall(StkNetEvaluate(net, xm, &down));
  err_x = RelativeError(net, analytic, (up - down) / (2 * h));
  PetscCall(PetscFree2(dudw, dw));
  if (relerr_weights) *relerr_weights = err_w;
  if (relerr_inputs) *relerr_inputs = err_x;
  if (passed) *passed = (PetscBool)(err_w < tol && err_x < tol);
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* Batched residuals and gradient (the fit)                                             */

PetscInt StkNetBatchWorkSize(StkNet net, PetscInt nb)
{
  PetscInt acts = 0, wmax = 0;

  for (PetscInt l = 0; l <= net->nhidden + 1; l++) {
    acts += net->size[l];
    wmax = PetscMax(wmax, net->size[l]);
  }
  return (acts + 2 * wmax) * nb;
}

/* sum_i a[i] b[i] (b NULL: sum_i a[i]) in four interleaved partial sums, so the loop
 * vectorizes without reassociation; the order depends on n only. */
static inline PetscReal BatchDot(PetscInt n, const PetscReal *restrict a, const PetscReal *restrict b)
{
  PetscReal s[4] = {0, 0, 0, 0};
  PetscInt  i    = 0;

  if (b)
    for (; i + 4 <= n; i += 4)
      for (int q = 0; q < 4; q++) s[q] += a[i + q] * b[i + q];
  else
    for (; i + 4 <= n; i += 4)
      for (int q = 0; q < 4; q++) s[q] += a[i + q];
  for (; i < n; i++) s[0] += b ? a[i] * b[i] : a[i];
  return (s[0] + s[1]) + (s[2] + s[3]);
}

/* The same operations as Forward and StkNetGradient, in the same order per sample, but
 * layer by layer over a batch of nb samples stored feature-major (value k of sample i
 * at [k * nb + i]), so the inner loops run over the samples and vectorize. */
/* O3 for this kernel only (the build is -O2): the loops over the samples vectorize; the
 * results do not change (no reassociation: the sums over samples are BatchDot's). */
__attribute__((optimize("O3"))) PetscErrorCode StkNetBatchResidualGradient(StkNet net, PetscInt nb, const PetscReal x[], const PetscReal target[], PetscBool gradient, PetscReal sums[], PetscReal work[])
{
  const PetscInt  L = net->nhidden;
  const PetscReal range = net->u_max - net->u_min;
  PetscReal      *act[STK_NET_MAX_LAYERS + 2], *delta, *back, *z;
  PetscInt        wmax = 0;

  PetscFunctionBeginUser;
  act[0] = work;
  for (PetscInt l = 0; l <= L; l++) act[l + 1] = act[l] + net->size[l] * nb;
  for (PetscInt l = 0; l <= L + 1; l++) wmax = PetscMax(wmax, net->size[l]);
  delta = act[L + 1] + nb; /* act[L + 1]: the output pre-activation z */
  back  = delta + wmax * nb;
  z     = act[L + 1];
  for (PetscInt k = 0; k < net->nin; k++) {
    const PetscReal lo = net->in_lo[k], h = net->in_hi[k] - net->in_lo[k];
    for (PetscInt i = 0; i < nb; i++) act[0][k * nb + i] = 2 * (x[i * net->nin + k] - lo) / h - 1;
  }
  /* forward: pre-activation sum = w0 + sum_k w[1 + k] a[k], in k order as Forward */
  for (PetscInt l = 0; l <= L; l++) {
    const PetscInt   nin = net->size[l], nout = net->size[l + 1];
    const PetscReal *w   = net->w + StkNetLayerOffset(net, l);
    for (PetscInt j = 0; j < nout; j++, w += nin + 1) {
      PetscReal *out = act[l + 1] + j * nb;
      for (PetscInt i = 0; i < nb; i++) out[i] = w[0];
      for (PetscInt k = 0; k < nin; k++) {
        const PetscReal  wk = w[1 + k];
        const PetscReal *in = act[l] + k * nb;
        for (PetscInt i = 0; i < nb; i++) out[i] += wk * in[i];
      }
      if (l < L)
        for (PetscInt i = 0; i < nb; i++) out[i] = Tanh(out[i]);
    }
  }
  /* residuals r = (u - target) / range; delta = r du/dz */
  for (PetscInt i = 0; i < nb; i++) {
    const PetscReal sig = Sigmoid(z[i]), r = (net->u_min + range * sig - target[i]) / range;
    sums[0] += r * r;
    sums[1] = PetscMax(sums[1], PetscAbsReal(r));
    delta[i] = r * range * sig * (1 - sig);
  }
  if (!gradient) PetscFunctionReturn(0);
  /* backward: g += sum_i delta_j(i) [1, a(i)] per neuron j; back = W^T delta */
  for (PetscInt l = L; l >= 0; l--) {
    const PetscInt   nin = net->size[l], nout = net->size[l + 1], off = StkNetLayerOffset(net, l);
    const PetscReal *w   = net->w + off;
    PetscReal       *g   = sums + 2 + off;
    for (PetscInt j = 0; j < nout; j++, w += nin + 1, g += nin + 1) {
      const PetscReal *d = delta + j * nb;
      g[0] += BatchDot(nb, d, NULL);
      for (PetscInt k = 0; k < nin; k++) g[1 + k] += BatchDot(nb, d, act[l] + k * nb);
    }
    if (l == 0) break;
    for (PetscInt k = 0; k < nin; k++) {
      PetscReal       *b = back + k * nb;
      const PetscReal *a = act[l] + k * nb;
      w                  = net->w + off;
      for (PetscInt i = 0; i < nb; i++) b[i] = 0;
      for (PetscInt j = 0; j < nout; j++, w += nin + 1) {
        const PetscReal  wk = w[1 + k];
        const PetscReal *d  = delta + j * nb;
        for (PetscInt i = 0; i < nb; i++) b[i] += wk * d[i];
      }
      for (PetscInt i = 0; i < nb; i++) b[i] *= 1 - a[i] * a[i];
    }
    PetscCall(PetscArraycpy(delta, back, nin * nb));
  }
  PetscFunctionReturn(0);
}
