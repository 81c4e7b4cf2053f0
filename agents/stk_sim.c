/* StkSim: life cycle, options, and the driver loop shared by the environments
 * (the step order is documented in stk_sim.h). */
#include "stk_simimpl.h"
#include "stk_sim_price_impl.h" /* issue 16 */
#include "stk_agentsimpl.h"
#include "stk_options.h"

const char *const StkSimTypes[]      = {"sde", "abm", "StkSimType", "STK_SIM_", NULL};
const char *const StkAbmTypesList[]  = {"transitory", "persistent", "StkAbmTypes", "STK_ABM_", NULL};
const char *const StkAbmResponses[]  = {"best", "hedge", "StkAbmResponse", "STK_ABM_", NULL};
const char *const StkAbmEngines[]    = {"auto", "block", "agent", "StkAbmEngine", "STK_ABM_ENGINE_", NULL};
PetscLogEvent     STK_EVENT_SimSDE, STK_EVENT_SimABM;

#define STK_SIM_MAX_SHOCKS_OPT 64
#define STK_SIM_MAX_STEPS      4294967295.0 /* the step is a 32-bit counter word */

static PetscErrorCode StkSimRegisterEvents(void)
{
  static PetscBool registered = PETSC_FALSE; /* PETSc's own XxxInitializePackage idiom */
  PetscClassId     classid;

  PetscFunctionBeginUser;
  if (registered) PetscFunctionReturn(0);
  registered = PETSC_TRUE;
  PetscCall(PetscClassIdRegister("StkSim", &classid));
  PetscCall(PetscLogEventRegister("StkSimSDE", classid, &STK_EVENT_SimSDE));
  PetscCall(PetscLogEventRegister("StkSimABM", classid, &STK_EVENT_SimABM));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyConstant(void *ctx, PetscReal t, const PetscReal x[], PetscReal *u, void *state)
{
  PetscFunctionBeginUser;
  *u = *(const PetscReal *)ctx;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimSettingsDefault(StkSimSettings *set)
{
  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(set, sizeof(*set)));
  set->type         = STK_SIM_SDE;
  set->dim          = 1;
  set->dt           = 1.0 / STK_DAYS_PER_YEAR;
  set->t_final      = 10;
  set->seed         = 0;
  set->s0           = 0.5;
  set->z0           = (PetscReal)NAN; /* zbar */
  set->every        = 1;
  set->n_agents     = 10000;
  set->types        = STK_ABM_TRANSITORY;
  set->response     = STK_ABM_BEST;
  set->engine       = STK_ABM_ENGINE_AUTO;
  set->block        = 4096;
  set->hedge_rate   = 200;
  set->hedge_forget = 0;
  PetscFunctionReturn(0);
}

/* Errors name the options under the prefix `pre` (USER + "sim_").  Conditions are
 * written positively so that NaN fails them. */
static PetscErrorCode SettingsCheck(MPI_Comm comm, const char pre[], const StkSimSettings *set)
{
  PetscFunctionBeginUser;
  PetscCheck(set->type == STK_SIM_SDE || set->type == STK_SIM_ABM, comm, PETSC_ERR_ARG_OUTOFRANGE, "-%stype must be sde or abm, got type %d", pre, (int)set->type);
  PetscCheck(set->dim == 1 || set->dim == 2, comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sdim must be 1 or 2, got %" PetscInt_FMT, pre, set->dim);
  PetscCheck(set->dt > 0 && !PetscIsInfReal(set->dt), comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sdt must be > 0 and finite, got %g", pre, (double)set->dt);
  PetscCheck(set->t_final > 0 && !PetscIsInfReal(set->t_final), comm, PETSC_ERR_ARG_OUTOFRANGE, "-%st_final must be > 0 and finite, got %g", pre, (double)set->t_final);
  PetscCheck(set->t_final >= 0.5 * set->dt, comm, PETSC_ERR_ARG_OUTOFRANGE, "-%st_final %g is shorter than half a step (-%sdt %g)", pre, (double)set->t_final, pre, (double)set->dt);
  PetscCheck(set->t_final / set->dt < STK_SIM_MAX_STEPS, comm, PETSC_ERR_ARG_OUTOFRANGE, "-%st_final / -%sdt = %g steps, more than the 2^32 - 1 a path can count", pre, pre, (double)(set->t_final / set->dt));
  PetscCheck(set->seed >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sseed must be >= 0, got %" PetscInt_FMT, pre, set->seed);
  PetscCheck(set->s0 >= 0 && set->s0 <= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-%ss0 must lie in [0, 1], got %g", pre, (double)set->s0);
  PetscCheck(!PetscIsInfReal(set->z0), comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sz0 must be finite, got %g", pre, (double)set->z0);
  PetscCheck(set->every >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-%severy must be >= 1, got %" PetscInt_FMT, pre, set->every);
  PetscCheck(set->n_agents >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sn (number of agents) must be >= 1, got %" PetscInt_FMT, pre, set->n_agents);
  PetscCheck(set->types == STK_ABM_TRANSITORY || set->types == STK_ABM_PERSISTENT, comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sabm_types must be transitory or persistent, got %d", pre, (int)set->types);
  PetscCheck(set->response == STK_ABM_BEST || set->response == STK_ABM_HEDGE, comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sabm_response must be best or hedge, got %d", pre, (int)set->response);
  PetscCheck(set->engine >= STK_ABM_ENGINE_AUTO && set->engine <= STK_ABM_ENGINE_AGENT, comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sabm_engine must be auto, block or agent, got %d", pre, (int)set->engine);
  PetscCheck(set->block >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sabm_block must be >= 1, got %" PetscInt_FMT, pre, set->block);
  PetscCheck(set->hedge_rate > 0 && !PetscIsInfReal(set->hedge_rate), comm, PETSC_ERR_ARG_OUTOFRANGE, "-%shedge_rate must be > 0 and finite, got %g", pre, (double)set->hedge_rate);
  PetscCheck(set->hedge_forget >= 0 && !PetscIsInfReal(set->hedge_forget), comm, PETSC_ERR_ARG_OUTOFRANGE, "-%shedge_forget must be >= 0 and finite, got %g", pre, (double)set->hedge_forget);
  /* a learner's weights are about its own cost: a fresh cost at every revision would void them */
  PetscCheck(set->response == STK_ABM_BEST || set->types == STK_ABM_PERSISTENT, comm, PETSC_ERR_ARG_INCOMP, "-%sabm_response hedge needs -%sabm_types persistent", pre, pre);
  PetscCheck(set->engine != STK_ABM_ENGINE_BLOCK || (set->types == STK_ABM_TRANSITORY && set->response == STK_ABM_BEST), comm, PETSC_ERR_ARG_INCOMP,
             "-%sabm_engine block needs -%sabm_types transitory and -%sabm_response best (per-agent state otherwise: use -%sabm_engine agent)", pre, pre, pre, pre);
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimSettingsCheck(MPI_Comm comm, const StkSimSettings *set)
{
  PetscFunctionBeginUser;
  PetscCall(SettingsCheck(comm, "sim_", set));
  PetscFunctionReturn(0);
}

/* The prefix the sim's options are read under: USER + "sim_". */
static PetscErrorCode SimPrefix(StkSim sim, char pre[], size_t len)
{
  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixCompose(sim->prefix, "sim_", pre, len));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimCreate(MPI_Comm comm, StkSim *sim)
{
  PetscFunctionBeginUser;
  PetscCheck(sim, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "StkSimCreate needs a non-NULL output pointer");
  PetscCall(StkSimRegisterEvents());
  PetscCall(PetscNew(sim));
  (*sim)->comm = comm;
  PetscCall(StkSimSettingsDefault(&(*sim)->set));
  PetscCall(StkAgentParamsDefault(&(*sim)->p));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimSetOptionsPrefix(StkSim sim, const char prefix[])
{
  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixSet(&sim->prefix, prefix));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimAppendOptionsPrefix(StkSim sim, const char prefix[])
{
  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixAppend(&sim->prefix, prefix));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimGetOptionsPrefix(StkSim sim, const char *prefix[])
{
  PetscFunctionBeginUser;
  *prefix = sim->prefix;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimSetPopulation(StkSim sim, StkPopulation pop)
{
  PetscFunctionBeginUser;
  sim->pop         = pop;
  sim->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimSetPolicy(StkSim sim, StkPolicyFn policy, StkPolicyResetFn reset, void *ctx)
{
  PetscFunctionBeginUser;
  sim->policy       = policy;
  sim->policy_reset = reset;
  sim->policy_ctx   = ctx;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimAddShock(StkSim sim, PetscReal t, PetscReal dz, PetscReal frac)
{
  char pre[256];

  PetscFunctionBeginUser;
  PetscCall(SimPrefix(sim, pre, sizeof(pre)));
  PetscCheck(t >= 0 && !PetscIsInfReal(t), sim->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sshock_t must be >= 0 and finite, got %g", pre, (double)t);
  PetscCheck(!PetscIsInfOrNanReal(dz), sim->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sshock_dz must be finite, got %g", pre, (double)dz);
  PetscCheck(frac >= 0 && frac <= 1, sim->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sshock_frac must lie in [0, 1], got %g", pre, (double)frac);
  if (sim->nshock == sim->maxshock) {
    sim->maxshock = PetscMax(2 * sim->maxshock, 4);
    PetscCall(PetscRealloc(sim->maxshock * sizeof(*sim->shocks), &sim->shocks));
  }
  sim->shocks[sim->nshock].t    = t;
  sim->shocks[sim->nshock].dz   = dz;
  sim->shocks[sim->nshock].frac = frac;
  sim->nshock++;
  sim->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimGetNumShocks(StkSim sim, PetscInt *n)
{
  PetscFunctionBeginUser;
  *n = sim->nshock;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimGetShock(StkSim sim, PetscInt i, PetscReal *t, PetscReal *dz, PetscReal *frac)
{
  PetscFunctionBeginUser;
  PetscCheck(i >= 0 && i < sim->nshock, sim->comm, PETSC_ERR_ARG_OUTOFRANGE, "Shock index %" PetscInt_FMT " out of range [0, %" PetscInt_FMT ")", i, sim->nshock);
  if (t) *t = sim->shocks[i].t;
  if (dz) *dz = sim->shocks[i].dz;
  if (frac) *frac = sim->shocks[i].frac;
  PetscFunctionReturn(0);
}

/* -sim_shock_t/_dz/_frac as given (read inside the options block, checked after it,
 * so that an error does not skip PetscOptionsEnd). */
typedef struct {
  PetscReal t[STK_SIM_MAX_SHOCKS_OPT], dz[STK_SIM_MAX_SHOCKS_OPT], frac[STK_SIM_MAX_SHOCKS_OPT];
  PetscInt  nt, ndz, nfrac;
  PetscBool set, setdz, setfrac;
} ShockInput;

static PetscErrorCode ShockOptionsRead(PetscOptionItems *PetscOptionsObject, ShockInput *in)
{
  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(in, sizeof(*in)));
  in->nt = in->ndz = in->nfrac = STK_SIM_MAX_SHOCKS_OPT;
  PetscCall(PetscOptionsRealArray("-shock_t", "Shock times, yr (comma-separated)", NULL, in->t, &in->nt, &in->set));
  PetscCall(PetscOptionsRealArray("-shock_dz", "Jump of z at each shock, 1/yr", NULL, in->dz, &in->ndz, &in->setdz));
  PetscCall(PetscOptionsRealArray("-shock_frac", "Fraction of stake leaving at each shock", NULL, in->frac, &in->nfrac, &in->setfrac));
  PetscFunctionReturn(0);
}

/* The given shocks replace the list; dz and frac may be omitted (0). */
static PetscErrorCode ShockOptionsApply(StkSim sim, ShockInput *in)
{
  char pre[256];

  PetscFunctionBeginUser;
  PetscCall(SimPrefix(sim, pre, sizeof(pre)));
  PetscCheck(in->set || (!in->setdz && !in->setfrac), sim->comm, PETSC_ERR_ARG_WRONG, "-%sshock_dz and -%sshock_frac need -%sshock_t", pre, pre, pre);
  if (!in->set) PetscFunctionReturn(0);
  PetscCheck(!in->setdz || in->ndz == in->nt, sim->comm, PETSC_ERR_USER_INPUT, "-%sshock_dz has %" PetscInt_FMT " values for %" PetscInt_FMT " -%sshock_t", pre, in->ndz, in->nt, pre);
  PetscCheck(!in->setfrac || in->nfrac == in->nt, sim->comm, PETSC_ERR_USER_INPUT, "-%sshock_frac has %" PetscInt_FMT " values for %" PetscInt_FMT " -%sshock_t", pre, in->nfrac, in->nt, pre);
  if (!in->setdz) PetscCall(PetscArrayzero(in->dz, in->nt));
  if (!in->setfrac) PetscCall(PetscArrayzero(in->frac, in->nt));
  sim->nshock = 0;
  for (PetscInt k = 0; k < in->nt; k++) PetscCall(StkSimAddShock(sim, in->t[k], in->dz[k], in->frac[k]));
  PetscFunctionReturn(0);
}

/* Reads into a copy and commits only checked settings. */
PetscErrorCode StkSimSetFromOptions(StkSim sim)
{
  StkSimSettings s = sim->set;
  PetscEnum      type = (PetscEnum)s.type, types = (PetscEnum)s.types, response = (PetscEnum)s.response, engine = (PetscEnum)s.engine;
  ShockInput        shocks;
  StkSimRegimeInput regimes;
  char              pre[256];

  PetscFunctionBeginUser;
  PetscCall(SimPrefix(sim, pre, sizeof(pre)));
  PetscOptionsBegin(sim->comm, pre, "Simulation environments (docs/model.md#simulation-environments)", NULL);
  PetscCall(PetscOptionsEnum("-type", "Environment: sde (Euler-Maruyama) or abm (agent-based)", NULL, StkSimTypes, type, &type, NULL));
  PetscCall(PetscOptionsInt("-dim", "State dimension: 1 freezes z at z0, 2 simulates its OU law", NULL, s.dim, &s.dim, NULL));
  PetscCall(PetscOptionsReal("-dt", "Time step, yr", NULL, s.dt, &s.dt, NULL));
  PetscCall(PetscOptionsReal("-t_final", "Horizon T, yr (rounded to whole steps)", NULL, s.t_final, &s.t_final, NULL));
  PetscCall(PetscOptionsInt("-seed", "Random seed (Philox key)", NULL, s.seed, &s.seed, NULL));
  PetscCall(PetscOptionsReal("-s0", "Initial staking ratio", NULL, s.s0, &s.s0, NULL));
  PetscCall(PetscOptionsReal("-z0", "Initial outside-yield shifter z, 1/yr (default: zbar)", NULL, s.z0, &s.z0, NULL));
  PetscCall(PetscOptionsInt("-every", "Record every k-th step", NULL, s.every, &s.every, NULL));
  PetscCall(PetscOptionsInt("-n", "Number of agents (abm)", NULL, s.n_agents, &s.n_agents, NULL));
  PetscCall(PetscOptionsEnum("-abm_types", "Costs drawn afresh at each revision, or once per path", NULL, StkAbmTypesList, types, &types, NULL));
  PetscCall(PetscOptionsEnum("-abm_response", "Best response or Hedge (multiplicative-weights) learners", NULL, StkAbmResponses, response, &response, NULL));
  PetscCall(PetscOptionsEnum("-abm_engine", "block: binomial counts per block of agents; agent: per-agent state; auto: block where allowed", NULL, StkAbmEngines, engine, &engine, NULL));
  PetscCall(PetscOptionsInt("-abm_block", "Agents per block (the unit of rank ownership and of the block engine's draws)", NULL, s.block, &s.block, NULL));
  PetscCall(PetscOptionsReal("-hedge_rate", "Hedge learning rate eta, per unit of cumulative relative payoff", NULL, s.hedge_rate, &s.hedge_rate, NULL));
  PetscCall(PetscOptionsReal("-hedge_forget", "Hedge forgetting rate lambda, 1/yr (0: plain Hedge)", NULL, s.hedge_forget, &s.hedge_forget, NULL));
  PetscCall(ShockOptionsRead(PetscOptionsObject, &shocks));
  PetscCall(StkSimRegimeOptionsRead(PetscOptionsObject, sim, &regimes));
  PetscOptionsEnd();
  s.type = (StkSimType)type, s.types = (StkAbmTypes)types, s.response = (StkAbmResponse)response, s.engine = (StkAbmEngine)engine;
  PetscCall(StkSimSetSettings(sim, &s));
  PetscCall(ShockOptionsApply(sim, &shocks));
  PetscCall(StkSimRegimeOptionsApply(sim, pre, &regimes));
  PetscCall(StkSimPriceSetFromOptions(sim)); /* issue 16: -price* */
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimGetSettings(StkSim sim, const StkSimSettings **set)
{
  PetscFunctionBeginUser;
  PetscCheck(set, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "Null settings pointer");
  *set = &sim->set;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimSetSettings(StkSim sim, const StkSimSettings *set)
{
  char pre[256];

  PetscFunctionBeginUser;
  PetscCheck(set, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "Null settings pointer");
  PetscCall(SimPrefix(sim, pre, sizeof(pre)));
  PetscCall(SettingsCheck(sim->comm, pre, set));
  sim->set         = *set;
  sim->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/* Shocks in time order, each at the first step with t_n >= t (up to round-off). */
static PetscErrorCode ScheduleShocks(StkSim sim)
{
  char pre[256];

  PetscFunctionBeginUser;
  PetscCall(SimPrefix(sim, pre, sizeof(pre)));
  for (PetscInt i = 1; i < sim->nshock; i++) { /* insertion sort: stable, a handful of shocks */
    const StkSimShock k = sim->shocks[i];
    PetscInt          j = i - 1;
    for (; j >= 0 && sim->shocks[j].t > k.t; j--) sim->shocks[j + 1] = sim->shocks[j];
    sim->shocks[j + 1] = k;
  }
  for (PetscInt i = 0; i < sim->nshock; i++) {
    StkSimShock *sh = &sim->shocks[i];
    sh->step        = (PetscInt)PetscCeilReal(sh->t / sim->set.dt - 1e-3);
    PetscCheck(sh->step <= sim->nsteps, sim->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sshock_t %g lies after the end of the path (-%st_final %g)", pre, (double)sh->t, pre, (double)(sim->nsteps * sim->set.dt));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimSetUp(StkSim sim)
{
  const StkAgentParams *p;
  char                  pre[256], pop_pre[256];

  PetscFunctionBeginUser;
  if (sim->setupcalled) PetscFunctionReturn(0);
  PetscCheck(sim->pop || sim->chain.M, sim->comm, PETSC_ERR_ARG_WRONGSTATE, "StkSimSetPopulation (or StkSimSetRegimes) must be called before StkSimSetUp");
  PetscCall(SimPrefix(sim, pre, sizeof(pre)));
  if (!sim->chain.M) {
    PetscCall(StkPopulationGetParams(sim->pop, &p));
    PetscCall(StkPopulationGetFullPrefix(sim->pop, pop_pre, sizeof(pop_pre)));
    PetscCall(StkAgentParamsCheckPrefixed(sim->comm, pop_pre, p));
  }
  PetscCall(SettingsCheck(sim->comm, pre, &sim->set));
  if (!sim->chain.M) sim->p = *p;
  PetscCall(StkSimRegimeSetUp(sim, pre)); /* with a chain: sim->p of the initial regime */
  sim->z0     = PetscIsNanReal(sim->set.z0) ? sim->p.zbar : sim->set.z0;
  sim->nsteps = PetscMax((PetscInt)PetscFloorReal(sim->set.t_final / sim->set.dt + 0.5), 1);
  sim->nrec   = sim->nsteps / sim->set.every + 1;
  PetscCall(ScheduleShocks(sim));
  if (sim->ops.destroy) PetscCall(sim->ops.destroy(sim));
  PetscCall(PetscMemzero(&sim->ops, sizeof(sim->ops)));
  if (sim->set.type == STK_SIM_SDE) PetscCall(StkSimSetOps_SDE(sim));
  else PetscCall(StkSimSetOps_ABM(sim));
  if (sim->ops.setup) PetscCall(sim->ops.setup(sim));
  PetscCall(StkSimPriceSetUp(sim)); /* issue 16 */
  sim->ran         = PETSC_FALSE; /* a fresh engine: nothing to continue */
  sim->setupcalled = PETSC_TRUE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimGetNumRecords(StkSim sim, PetscInt *nrec)
{
  PetscFunctionBeginUser;
  PetscCall(StkSimSetUp(sim));
  *nrec = sim->nrec;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimGetNumSteps(StkSim sim, PetscInt *nsteps)
{
  PetscFunctionBeginUser;
  PetscCall(StkSimSetUp(sim));
  *nsteps = sim->nsteps;
  PetscFunctionReturn(0);
}

/* Euler-Maruyama for the OU outside yield; a no-op in the 1-D model. */
static inline void StepZ(StkSim sim, uint32_t step)
{
  const StkAgentParams *p = &sim->p;
  StkRng                rng;

  if (sim->set.dim == 1) return;
  sim->z += p->theta * (p->zbar - sim->z) * sim->set.dt;
  if (p->sigma_z > 0) {
    StkRngInit(&rng, StkSimSeed(sim), 0, step, sim->path, STK_RNG_STREAM_Z);
    sim->z += p->sigma_z * PetscSqrtReal(sim->set.dt) * StkRngNormal(&rng);
  }
}

/* Shocks scheduled at step n, from index *next on. */
static PetscErrorCode ApplyShocks(StkSim sim, PetscInt n, PetscInt *next)
{
  PetscFunctionBeginUser;
  for (; *next < sim->nshock && sim->shocks[*next].step == n; (*next)++) {
    const StkSimShock *sh = &sim->shocks[*next];
    sim->z += sh->dz;
    if (sh->frac > 0) PetscCall(sim->ops.shock(sim, (uint32_t)n, sh->frac));
  }
  PetscFunctionReturn(0);
}

/* One path of nsteps steps from the current (s, z) of the sim (fresh: from step 0 of
 * the path, the holders, z and the policy's state reset first). */
static PetscErrorCode RunPath(StkSim sim, PetscInt path, void *state, StkSimPath *out, PetscBool fresh)
{
  const PetscLogEvent event = sim->set.type == STK_SIM_SDE ? STK_EVENT_SimSDE : STK_EVENT_SimABM;
  PetscInt            next = 0;

  PetscFunctionBeginUser;
  PetscCheck(sim->policy, sim->comm, PETSC_ERR_ARG_WRONGSTATE, "StkSimSetPolicy must be called before StkSimRun");
  PetscCheck(path >= 0, sim->comm, PETSC_ERR_ARG_OUTOFRANGE, "Path index must be >= 0, got %" PetscInt_FMT, path);
  PetscCheck(out && out->t && out->s && out->z && out->u, sim->comm, PETSC_ERR_ARG_NULL, "StkSimRun needs the four output arrays t, s, z, u (StkSimGetNumRecords entries each)");
  PetscCall(PetscLogEventBegin(event, 0, 0, 0, 0));
  sim->path = (uint32_t)path;
  if (fresh) {
    if (sim->chain.M) PetscCall(StkSimRegimeEnter(sim, sim->chain.regime0)); /* before reset: persistent types follow the initial regime */
    sim->z = sim->z0;
    PetscCall(sim->ops.reset(sim));
    PetscCall(StkSimPriceReset(sim)); /* issue 16 */
    if (sim->policy_reset) {
      const PetscReal x0[STK_SIM_X_LEN] = {sim->s, sim->z, (PetscReal)sim->regime, StkSimPriceLogPrice(sim)};
      PetscCall(sim->policy_reset(sim->policy_ctx, 0, x0, state));
    }
  }
  for (PetscInt n = 0;; n++) {
    const PetscReal t = n * sim->set.dt;
    PetscReal       x[STK_SIM_X_LEN], u;

    PetscCall(ApplyShocks(sim, n, &next));
    x[0] = sim->s, x[1] = sim->z, x[STK_SIM_X_REGIME] = (PetscReal)sim->regime, x[STK_SIM_X_LOGP] = StkSimPriceLogPrice(sim);
    PetscCall(sim->policy(sim->policy_ctx, t, x, &u, state));
    PetscCheck(!PetscIsInfOrNanReal(u), sim->comm, PETSC_ERR_FP, "The policy returned u = %g at t = %g, s = %g, z = %g (path %" PetscInt_FMT ")", (double)u, (double)t, (double)x[0], (double)x[1], path);
    if (n % sim->set.every == 0) {
      const PetscInt k = n / sim->set.every;
      out->t[k] = t, out->s[k] = x[0], out->z[k] = x[1], out->u[k] = u;
    }
    if (n == sim->nsteps) break;
    PetscCall(StkSimPriceStep(sim, n, u)); /* issue 16: the price moves at (s_n, u_n) */
    PetscCall(sim->ops.step(sim, (uint32_t)n, u));
    StepZ(sim, (uint32_t)n);
    if (sim->chain.M) PetscCall(StkSimRegimeStep(sim, (uint32_t)n));
  }
  sim->ran = PETSC_TRUE;
  PetscCall(PetscLogEventEnd(event, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimRun(StkSim sim, PetscInt path, void *state, StkSimPath *out)
{
  PetscFunctionBeginUser;
  PetscCall(StkSimSetUp(sim));
  PetscCall(RunPath(sim, path, state, out, PETSC_TRUE));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimContinue(StkSim sim, PetscInt path, void *state, StkSimPath *out)
{
  PetscFunctionBeginUser;
  PetscCheck(sim->setupcalled && sim->ran, sim->comm, PETSC_ERR_ARG_WRONGSTATE, "StkSimContinue needs a path run by StkSimRun with the same settings (a change of settings starts afresh)");
  PetscCall(RunPath(sim, path, state, out, PETSC_FALSE));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimGetRegret(StkSim sim, PetscReal *mean, PetscReal *max)
{
  PetscFunctionBeginUser;
  PetscCheck(sim->setupcalled && sim->ran, sim->comm, PETSC_ERR_ARG_WRONGSTATE, "StkSimGetRegret needs a path run by StkSimRun");
  PetscCheck(sim->ops.regret, sim->comm, PETSC_ERR_SUP, "The holders' regret needs the abm with persistent types (-sim_abm_types persistent): other holders have no identity across revisions");
  PetscCall(sim->ops.regret(sim, mean, max));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimView(StkSim sim, PetscViewer viewer)
{
  const StkSimSettings *s = &sim->set;
  PetscBool             isascii;

  PetscFunctionBeginUser;
  if (!viewer) viewer = PETSC_VIEWER_STDOUT_(sim->comm);
  PetscCall(PetscObjectTypeCompare((PetscObject)viewer, PETSCVIEWERASCII, &isascii));
  if (!isascii) PetscFunctionReturn(0);
  PetscCall(PetscViewerASCIIPrintf(viewer, "StkSim (%s environment, docs/model.md#simulation-environments)\n", StkSimTypes[s->type]));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  PetscCall(PetscViewerASCIIPrintf(viewer, "dim %" PetscInt_FMT "%s, dt %g yr, horizon %g yr (%" PetscInt_FMT " steps), record every %" PetscInt_FMT " step(s), seed %" PetscInt_FMT "\n", s->dim, s->dim == 1 ? " (z frozen)" : "", (double)s->dt,
                                   (double)s->t_final, sim->setupcalled ? sim->nsteps : (PetscInt)PetscFloorReal(s->t_final / s->dt + 0.5), s->every, s->seed));
  PetscCall(PetscViewerASCIIPrintf(viewer, "initial state: s0 %g, z0 %g 1/yr\n", (double)s->s0, (double)(PetscIsNanReal(s->z0) ? sim->p.zbar : s->z0)));
  if (sim->setupcalled && sim->ops.view) PetscCall(sim->ops.view(sim, viewer));
  PetscCall(StkSimRegimeView(sim, viewer));
  for (PetscInt i = 0; i < sim->nshock; i++) PetscCall(PetscViewerASCIIPrintf(viewer, "shock at t = %g yr: dz %g 1/yr, stake leaving %g\n", (double)sim->shocks[i].t, (double)sim->shocks[i].dz, (double)sim->shocks[i].frac));
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimDestroy(StkSim *sim)
{
  PetscFunctionBeginUser;
  if (!sim || !*sim) PetscFunctionReturn(0);
  if ((*sim)->ops.destroy) PetscCall((*sim)->ops.destroy(*sim));
  PetscCall(StkSimRegimeClear(*sim));
  PetscCall(StkSimPriceDestroy(*sim)); /* issue 16 */
  PetscCall(PetscFree((*sim)->shocks));
  PetscCall(PetscFree((*sim)->prefix));
  PetscCall(PetscFree(*sim));
  PetscFunctionReturn(0);
}
