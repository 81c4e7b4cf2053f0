/* StkPopulation: the token holders' parameters as an object with the usual
 * Create / SetFromOptions / View / Destroy life cycle (options prefix USER + agents_). */
#include "stk_agentsimpl.h"
#include "stk_options.h"

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
  PetscOptionsBegin(pop->comm, pre, "Token holders (MODEL.md section 2)", NULL);
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
  PetscCall(PetscViewerASCIIPrintf(viewer, "StkPopulation (token holders, MODEL.md section 2)\n"));
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
