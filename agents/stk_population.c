/* StkPopulation: the token holders' parameters as an object with the usual
 * Create / SetFromOptions / View / Destroy life cycle (options prefix USER + agents_). */
#include "stk_agentsimpl.h"
#include "stk_options.h"
#include <stddef.h>
#include <string.h>

struct _p_StkPopulation {
  MPI_Comm       comm;
  StkAgentParams p;
  PetscReal     *sample;                   /* empirical costs, sorted; p.cost.sample points here */
  PetscInt       nsample;
  char           file[PETSC_MAX_PATH_LEN]; /* where the sample came from */
  char          *prefix;                   /* the user's options prefix (NULL: none) */
};

/* Makes q's empirical sample the population's own: adopts `loaded` (a new array) if
 * given, else copies a foreign array; a non-empirical block keeps pointing at the
 * population's sample so a later switch back to empirical finds it. */
static PetscErrorCode AdoptSample(StkPopulation pop, StkAgentParams *q, PetscReal *loaded, const char file[])
{
  PetscFunctionBeginUser;
  if (!loaded && q->cost.type == STK_COST_EMPIRICAL && q->cost.sample != pop->sample) {
    PetscCall(PetscMalloc1(q->cost.nsample, &loaded));
    PetscCall(PetscArraycpy(loaded, q->cost.sample, q->cost.nsample));
    file = "(set by StkPopulationSetParams)";
  }
  if (loaded) {
    PetscCall(PetscFree(pop->sample));
    pop->sample  = loaded;
    pop->nsample = q->cost.nsample;
    PetscCall(PetscStrncpy(pop->file, file, sizeof(pop->file)));
  }
  q->cost.sample  = pop->sample;
  q->cost.nsample = pop->nsample;
  PetscFunctionReturn(0);
}

/* Checks q, frees `loaded` (not yet adopted) if the check fails. */
static PetscErrorCode CheckOrFree(StkPopulation pop, const char pre[], const StkAgentParams *q, PetscReal **loaded)
{
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  ierr = StkAgentParamsCheckPrefixed(pop->comm, pre, q);
  if (ierr) PetscCall(PetscFree(*loaded));
  PetscCall(ierr);
  PetscFunctionReturn(0);
}

PetscErrorCode StkPopulationCreate(MPI_Comm comm, StkPopulation *pop)
{
  PetscFunctionBeginUser;
  PetscCheck(pop, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "StkPopulationCreate needs a non-NULL output pointer");
  PetscCall(PetscNew(pop));
  (*pop)->comm = comm;
  PetscCall(StkAgentParamsDefault(&(*pop)->p));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPopulationSetOptionsPrefix(StkPopulation pop, const char prefix[])
{
  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixSet(&pop->prefix, prefix));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPopulationAppendOptionsPrefix(StkPopulation pop, const char prefix[])
{
  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixAppend(&pop->prefix, prefix));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPopulationGetOptionsPrefix(StkPopulation pop, const char *prefix[])
{
  PetscFunctionBeginUser;
  *prefix = pop->prefix;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPopulationGetFullPrefix(StkPopulation pop, char pre[], size_t len)
{
  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixCompose(pop->prefix, "agents_", pre, len));
  PetscFunctionReturn(0);
}

/* Reads into a copy and commits only checked parameters, so a bad option leaves the
 * population as it was. */
PetscErrorCode StkPopulationSetFromOptions(StkPopulation pop)
{
  StkAgentParams q    = pop->p;
  PetscEnum      type = (PetscEnum)q.cost.type;
  char           file[PETSC_MAX_PATH_LEN], pre[256];
  PetscBool      fileset, typeset;
  PetscReal     *loaded = NULL;

  PetscFunctionBeginUser;
  PetscCall(PetscStrncpy(file, pop->file, sizeof(file)));
  PetscCall(StkPopulationGetFullPrefix(pop, pre, sizeof(pre)));
  PetscOptionsBegin(pop->comm, pre, "Token holders (docs/model.md#the-token-holders)", NULL);
  PetscCall(PetscOptionsEnum("-cost", "Distribution F of the holders' opportunity costs", NULL, StkCostTypes, type, &type, &typeset));
  PetscCall(PetscOptionsReal("-cost_median", "Lognormal cost median exp(mu), 1/yr", NULL, q.cost.median, &q.cost.median, NULL));
  PetscCall(PetscOptionsReal("-cost_logsd", "Lognormal cost log-standard deviation (dimensionless)", NULL, q.cost.logsd, &q.cost.logsd, NULL));
  PetscCall(PetscOptionsReal("-cost_lo", "Uniform cost lower end, 1/yr", NULL, q.cost.lo, &q.cost.lo, NULL));
  PetscCall(PetscOptionsReal("-cost_hi", "Uniform cost upper end, 1/yr", NULL, q.cost.hi, &q.cost.hi, NULL));
  PetscCall(PetscOptionsReal("-cost_loc", "Logistic cost location, 1/yr", NULL, q.cost.loc, &q.cost.loc, NULL));
  PetscCall(PetscOptionsReal("-cost_scale", "Logistic cost scale, 1/yr", NULL, q.cost.scale, &q.cost.scale, NULL));
  PetscCall(PetscOptionsReal("-cost_shape", "Gamma cost shape k (dimensionless)", NULL, q.cost.shape, &q.cost.shape, NULL));
  PetscCall(PetscOptionsReal("-cost_gscale", "Gamma cost scale theta, 1/yr (mean k theta)", NULL, q.cost.gscale, &q.cost.gscale, NULL));
  PetscCall(PetscOptionsString("-cost_file", "Empirical costs: text file, one cost (1/yr) per line, optional header, # comments", NULL, file, file, sizeof(file), &fileset));
  PetscCall(PetscOptionsReal("-s_max", "Stakeable fraction of supply, in (0, 1]", NULL, q.s_max, &q.s_max, NULL));
  PetscCall(PetscOptionsReal("-phi", "Fee and MEV yield per unit supply, 1/yr", NULL, q.phi, &q.phi, NULL));
  PetscCall(PetscOptionsReal("-kappa", "Revision rate of holders' staking decisions, 1/yr", NULL, q.kappa, &q.kappa, NULL));
  PetscCall(PetscOptionsReal("-sigma0", "Aggregate staking noise sigma_0, 1/sqrt(yr)", NULL, q.sigma0, &q.sigma0, NULL));
  PetscCall(PetscOptionsReal("-zbar", "Long-run outside-yield shifter, 1/yr", NULL, q.zbar, &q.zbar, NULL));
  PetscCall(PetscOptionsReal("-theta", "Mean reversion rate of z, 1/yr", NULL, q.theta, &q.theta, NULL));
  PetscCall(PetscOptionsReal("-sigma_z", "Volatility of z, 1/yr/sqrt(yr)", NULL, q.sigma_z, &q.sigma_z, NULL));
  PetscOptionsEnd();
  /* a cost file alone selects the empirical family; with another family it is a mistake */
  if (fileset && !typeset) type = (PetscEnum)STK_COST_EMPIRICAL;
  PetscCheck(!fileset || type == (PetscEnum)STK_COST_EMPIRICAL, pop->comm, PETSC_ERR_ARG_INCOMP, "-%scost_file %s needs -%scost empirical, got -%scost %s", pre, file, pre, pre, StkCostTypes[type]);
  q.cost.type = (StkCostType)type;
  if (q.cost.type == STK_COST_EMPIRICAL && fileset) {
    PetscCall(StkCostSampleLoadPrefixed(pop->comm, pre, file, &q.cost.nsample, &loaded));
    q.cost.sample = loaded;
  }
  PetscCall(CheckOrFree(pop, pre, &q, &loaded));
  PetscCall(AdoptSample(pop, &q, loaded, file));
  pop->p = q;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPopulationView(StkPopulation pop, PetscViewer viewer)
{
  const StkAgentParams *p = &pop->p;
  PetscBool             isascii;

  PetscFunctionBeginUser;
  if (!viewer) viewer = PETSC_VIEWER_STDOUT_(pop->comm);
  PetscCall(PetscObjectTypeCompare((PetscObject)viewer, PETSCVIEWERASCII, &isascii));
  if (!isascii) PetscFunctionReturn(0);
  PetscCall(PetscViewerASCIIPrintf(viewer, "StkPopulation (token holders, docs/model.md#the-token-holders)\n"));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  switch (p->cost.type) {
  case STK_COST_LOGNORMAL:
    PetscCall(PetscViewerASCIIPrintf(viewer, "cost F: lognormal, median %g 1/yr, log-sd %g (mean %g 1/yr)\n", (double)p->cost.median, (double)p->cost.logsd, (double)StkCostMean(&p->cost)));
    break;
  case STK_COST_UNIFORM:
    PetscCall(PetscViewerASCIIPrintf(viewer, "cost F: uniform on [%g, %g] 1/yr\n", (double)p->cost.lo, (double)p->cost.hi));
    break;
  case STK_COST_LOGISTIC:
    PetscCall(PetscViewerASCIIPrintf(viewer, "cost F: logistic, location %g 1/yr, scale %g 1/yr\n", (double)p->cost.loc, (double)p->cost.scale));
    break;
  case STK_COST_GAMMA:
    PetscCall(PetscViewerASCIIPrintf(viewer, "cost F: gamma, shape %g, scale %g 1/yr (mean %g 1/yr)\n", (double)p->cost.shape, (double)p->cost.gscale, (double)StkCostMean(&p->cost)));
    break;
  case STK_COST_EMPIRICAL:
    PetscCall(PetscViewerASCIIPrintf(viewer, "cost F: empirical, %" PetscInt_FMT " costs from %s in [%g, %g] 1/yr, interpolated ECDF (mean %g 1/yr)\n", p->cost.nsample, pop->file, (double)p->cost.sample[0], (double)p->cost.sample[p->cost.nsample - 1], (double)StkCostMean(&p->cost)));
    break;
  default:
    PetscCall(PetscViewerASCIIPrintf(viewer, "cost F: unknown type %d\n", (int)p->cost.type));
  }
  PetscCall(PetscViewerASCIIPrintf(viewer, "stakeable fraction s_max %g\n", (double)p->s_max));
  PetscCall(PetscViewerASCIIPrintf(viewer, "fee/MEV yield phi %g 1/yr\n", (double)p->phi));
  PetscCall(PetscViewerASCIIPrintf(viewer, "revision rate kappa %g 1/yr\n", (double)p->kappa));
  PetscCall(PetscViewerASCIIPrintf(viewer, "staking noise sigma0 %g 1/sqrt(yr)\n", (double)p->sigma0));
  PetscCall(PetscViewerASCIIPrintf(viewer, "outside yield z: zbar %g 1/yr, theta %g 1/yr, sigma_z %g 1/yr/sqrt(yr)\n", (double)p->zbar, (double)p->theta, (double)p->sigma_z));
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPopulationDestroy(StkPopulation *pop)
{
  PetscFunctionBeginUser;
  if (!pop || !*pop) PetscFunctionReturn(0);
  PetscCall(PetscFree((*pop)->sample));
  PetscCall(PetscFree((*pop)->prefix));
  PetscCall(PetscFree(*pop));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPopulationGetParams(StkPopulation pop, const StkAgentParams **p)
{
  PetscFunctionBeginUser;
  PetscCheck(p, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "Null parameter block pointer");
  *p = &pop->p;
  PetscFunctionReturn(0);
}

/* Copies the caller's block after checking it; a bad block leaves pop unchanged. */
PetscErrorCode StkPopulationSetParams(StkPopulation pop, const StkAgentParams *p)
{
  StkAgentParams q;
  char           pre[256];

  PetscFunctionBeginUser;
  PetscCheck(p, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "Null parameter block pointer");
  PetscCall(StkPopulationGetFullPrefix(pop, pre, sizeof(pre)));
  PetscCall(StkAgentParamsCheckPrefixed(pop->comm, pre, p));
  q = *p;
  PetscCall(AdoptSample(pop, &q, NULL, NULL));
  pop->p = q;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPopulationGetCostFile(StkPopulation pop, const char **file)
{
  PetscFunctionBeginUser;
  PetscCheck(file, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "Null file name pointer");
  *file = pop->file;
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* Files: Write and Load side by side, so that they read and write the same names      */

typedef struct {
  const char *name, *units;
  size_t      offset; /* of the PetscReal in StkAgentParams */
} RealAttribute;

#define COST(field)  offsetof(StkAgentParams, cost.field)
#define AGENT(field) offsetof(StkAgentParams, field)
/* In the order of the files written before Load existed. */
static const RealAttribute cost_attributes[] = {
  {"cost_median", "1/yr", COST(median)}, {"cost_logsd", "1", COST(logsd)},    {"cost_lo", "1/yr", COST(lo)},        {"cost_hi", "1/yr", COST(hi)},
  {"cost_loc", "1/yr", COST(loc)},       {"cost_scale", "1/yr", COST(scale)}, {"cost_shape", "1", COST(shape)},     {"cost_gscale", "1/yr", COST(gscale)},
};
static const RealAttribute agent_attributes[] = {
  {"s_max", "1", AGENT(s_max)}, {"phi", "1/yr", AGENT(phi)},   {"kappa", "1/yr", AGENT(kappa)},         {"sigma0", "1/sqrt(yr)", AGENT(sigma0)},
  {"zbar", "1/yr", AGENT(zbar)}, {"theta", "1/yr", AGENT(theta)}, {"sigma_z", "1/yr/sqrt(yr)", AGENT(sigma_z)},
};
#undef COST
#undef AGENT

static PetscReal *RealField(StkAgentParams *p, const RealAttribute *a)
{
  return (PetscReal *)((char *)p + a->offset);
}

static PetscErrorCode WriteReals(StkH5 file, const char group[], const StkAgentParams *p, size_t n, const RealAttribute a[])
{
  StkAgentParams q = *p;

  PetscFunctionBeginUser;
  for (size_t i = 0; i < n; i++) PetscCall(StkH5WriteAttributeReal(file, group, a[i].name, *RealField(&q, &a[i]), a[i].units));
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadReals(StkH5 file, const char group[], StkAgentParams *p, size_t n, const RealAttribute a[])
{
  PetscFunctionBeginUser;
  for (size_t i = 0; i < n; i++) PetscCall(StkH5ReadAttributeReal(file, group, a[i].name, RealField(p, &a[i])));
  PetscFunctionReturn(0);
}

/* The empirical sample, on an index scale of its own. */
static PetscErrorCode WriteSample(StkPopulation pop, StkH5 file, const char group[])
{
  PetscReal *index;

  PetscFunctionBeginUser;
  PetscCall(StkH5WriteAttributeString(file, group, "cost_file", pop->file));
  PetscCall(StkH5WriteAttributeInt(file, group, "cost_nsample", pop->p.cost.nsample));
  PetscCall(PetscMalloc1(pop->p.cost.nsample, &index));
  for (PetscInt j = 0; j < pop->p.cost.nsample; j++) index[j] = (PetscReal)j;
  PetscCall(StkH5WriteArray(file, group, "cost_index", "cost_index", pop->p.cost.nsample, index, "1", "index of the empirical cost sample"));
  PetscCall(PetscFree(index));
  PetscCall(StkH5WriteArray(file, group, "cost_sample", "cost_index", pop->p.cost.nsample, pop->p.cost.sample, "1/yr", "empirical cost sample, sorted (the cdf interpolates its ECDF)"));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPopulationWrite(StkPopulation pop, StkH5 file, const char group[])
{
  const StkAgentParams *p = &pop->p;

  PetscFunctionBeginUser;
  PetscCall(StkH5WriteAttributeString(file, group, "cost_distribution", StkCostTypes[p->cost.type]));
  PetscCall(WriteReals(file, group, p, PETSC_STATIC_ARRAY_LENGTH(cost_attributes), cost_attributes));
  if (p->cost.type == STK_COST_EMPIRICAL) PetscCall(WriteSample(pop, file, group));
  PetscCall(WriteReals(file, group, p, PETSC_STATIC_ARRAY_LENGTH(agent_attributes), agent_attributes));
  PetscCall(StkH5WriteAttributeReal(file, group, "s_floor", STK_S_FLOOR, "1"));
  PetscFunctionReturn(0);
}

/* The cost family named by the attribute cost_distribution. */
static PetscErrorCode ReadCostType(StkPopulation pop, StkH5 file, const char group[], StkCostType *type)
{
  char        name[64];
  const char *path;

  PetscFunctionBeginUser;
  PetscCall(StkH5ReadAttributeString(file, group, "cost_distribution", sizeof(name), name));
  for (PetscInt t = 0; t < STK_COST_NTYPES; t++)
    if (!strcmp(name, StkCostTypes[t])) {
      *type = (StkCostType)t;
      PetscFunctionReturn(0);
    }
  PetscCall(StkH5GetPath(file, &path));
  SETERRQ(pop->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: attribute '%s/cost_distribution' is '%s', not one of lognormal, uniform, logistic, gamma, empirical", path, group, name);
}

/* The empirical sample of the file (a new array) and the name of its CSV. */
static PetscErrorCode ReadSample(StkPopulation pop, StkH5 file, const char group[], PetscInt *n, PetscReal **sample, size_t len, char csv[])
{
  const char *path;
  PetscBool   has;
  PetscInt    nsample;

  PetscFunctionBeginUser;
  PetscCall(StkH5GetPath(file, &path));
  PetscCall(StkH5ReadAttributeString(file, group, "cost_file", len, csv));
  PetscCall(StkH5HasDataset(file, group, "cost_sample", &has));
  PetscCheck(has, pop->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: empirical cost distribution without its sample, dataset '%s/cost_sample' (a file of an older stakehjb: solve again with -agents_cost_file %s)", path, group, csv);
  PetscCall(StkH5ReadAttributeInt(file, group, "cost_nsample", &nsample));
  PetscCall(StkH5ReadArray(file, group, "cost_sample", n, sample));
  if (*n != nsample) {
    PetscCall(PetscFree(*sample));
    SETERRQ(pop->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset '%s/cost_sample' holds %" PetscInt_FMT " costs, attribute cost_nsample says %" PetscInt_FMT, path, group, *n, nsample);
  }
  PetscFunctionReturn(0);
}

/* s_floor is a constant of the build (STK_S_FLOOR): a file solved with another one
 * describes a model this build cannot reproduce. */
static PetscErrorCode CheckFloor(StkPopulation pop, StkH5 file, const char group[])
{
  PetscReal   s_floor;
  const char *path;

  PetscFunctionBeginUser;
  PetscCall(StkH5ReadAttributeReal(file, group, "s_floor", &s_floor));
  PetscCall(StkH5GetPath(file, &path));
  PetscCheck(s_floor == STK_S_FLOOR, pop->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: attribute '%s/s_floor' is %g, this build evaluates yields with s_floor %g", path, group, (double)s_floor, (double)STK_S_FLOOR);
  PetscFunctionReturn(0);
}

PetscErrorCode StkPopulationLoad(StkPopulation pop, StkH5 file, const char group[])
{
  StkAgentParams q = pop->p;
  PetscReal     *loaded = NULL;
  char           csv[PETSC_MAX_PATH_LEN] = "";

  PetscFunctionBeginUser;
  PetscCall(ReadCostType(pop, file, group, &q.cost.type));
  PetscCall(ReadReals(file, group, &q, PETSC_STATIC_ARRAY_LENGTH(cost_attributes), cost_attributes));
  PetscCall(ReadReals(file, group, &q, PETSC_STATIC_ARRAY_LENGTH(agent_attributes), agent_attributes));
  PetscCall(CheckFloor(pop, file, group));
  if (q.cost.type == STK_COST_EMPIRICAL) {
    PetscCall(ReadSample(pop, file, group, &q.cost.nsample, &loaded, sizeof(csv), csv));
    q.cost.sample = loaded;
  }
  PetscCall(CheckOrFree(pop, "agents_", &q, &loaded));
  PetscCall(AdoptSample(pop, &q, loaded, csv));
  pop->p = q;
  PetscFunctionReturn(0);
}
