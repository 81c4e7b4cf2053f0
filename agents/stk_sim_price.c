/* The token price inside the simulation driver (stk_sim_price.h). */
#include "stk_sim_price_impl.h"
#include "stk_sim_price.h"

typedef struct {
  StkPriceParams p;
  StkPrice       price;   /* NULL until SetUp */
  PetscReal     *P;       /* the path's price, nsteps + 1 entries */
  PetscReal      hsum;    /* sum of the stake HHI over the steps */
  PetscInt       nsteps;
} SimPrice;

PetscErrorCode StkSimPriceSetFromOptions(StkSim sim)
{
  StkPriceParams p;
  PetscBool      on;

  PetscFunctionBeginUser;
  if (sim->price) p = ((SimPrice *)sim->price)->p;
  else PetscCall(StkPriceParamsDefault(&p));
  PetscCall(StkPriceParamsFromOptions(sim->prefix, &p, &on));
  if (!on) PetscCall(StkSimPriceDestroy(sim));
  else {
    if (!sim->price) PetscCall(PetscNew((SimPrice **)&sim->price));
    ((SimPrice *)sim->price)->p = p;
  }
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimPriceSetUp(StkSim sim)
{
  SimPrice   *sp = (SimPrice *)sim->price;
  PetscMPIInt rank, size;
  PetscInt64  N, B, nblocks, base, extra, b0, b1;

  PetscFunctionBeginUser;
  if (!sp) PetscFunctionReturn(0);
  PetscCheck(sim->set.type == STK_SIM_ABM, sim->comm, PETSC_ERR_USER_INPUT, "-%sprice: the token price needs the agent-based environment (-sim_type abm)", sim->prefix ? sim->prefix : "");
  PetscCall(StkPriceDestroy(&sp->price));
  PetscCall(PetscFree(sp->P));
  /* the holders split as the abm splits its agents: whole blocks per rank */
  PetscCallMPI(MPI_Comm_rank(sim->comm, &rank));
  PetscCallMPI(MPI_Comm_size(sim->comm, &size));
  N = sim->set.n_agents, B = sim->set.block;
  nblocks = (N + B - 1) / B, base = nblocks / size, extra = nblocks % size;
  b0 = rank * base + PetscMin(rank, extra), b1 = b0 + base + (rank < extra);
  PetscCall(StkPriceCreate(sim->comm, &sp->p, N, PetscMin(b0 * B, N), PetscMin(b1 * B, N), StkSimSeed(sim), &sp->price));
  sp->nsteps = sim->nsteps;
  PetscCall(PetscMalloc1(sp->nsteps + 1, &sp->P));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimPriceReset(StkSim sim)
{
  SimPrice     *sp = (SimPrice *)sim->price;
  StkPriceState st;

  PetscFunctionBeginUser;
  if (!sp) PetscFunctionReturn(0);
  PetscCall(StkPriceReset(sp->price, sim->path));
  PetscCall(StkPriceGetState(sp->price, &st));
  sp->P[0] = st.P;
  sp->hsum = 0;
  PetscFunctionReturn(0);
}

static inline PetscBool ShockAt(PetscReal t_shock, PetscInt n, PetscReal dt)
{
  return (PetscBool)(!PetscIsNanReal(t_shock) && n == (PetscInt)PetscCeilReal(t_shock / dt - 1e-3));
}

PetscErrorCode StkSimPriceStep(StkSim sim, PetscInt n, PetscReal u)
{
  SimPrice     *sp = (SimPrice *)sim->price;
  StkPriceState st;

  PetscFunctionBeginUser;
  if (!sp) PetscFunctionReturn(0);
  PetscCall(StkPriceApplyShocks(sp->price, ShockAt(sp->p.crash_time, n, sim->set.dt), ShockAt(sp->p.dump_time, n, sim->set.dt)));
  PetscCall(StkPriceStep(sp->price, (uint32_t)n, sim->set.dt, sim->s, u, NULL, &st));
  if (n < sp->nsteps) sp->P[n + 1] = st.P;
  sp->hsum += st.hhi;
  PetscFunctionReturn(0);
}

PetscReal StkSimPriceYieldShift(StkSim sim, PetscReal u)
{
  SimPrice     *sp = (SimPrice *)sim->price;
  StkPriceState st;

  if (!sp || !sp->price) return 0;
  (void)StkPriceGetState(sp->price, &st);
  return StkPriceLogDrift(&sp->p, st.S, st.m, sim->s, u);
}

PetscReal StkSimPriceLogPrice(StkSim sim)
{
  SimPrice     *sp = (SimPrice *)sim->price;
  StkPriceState st;

  if (!sp || !sp->price) return (PetscReal)NAN;
  (void)StkPriceGetState(sp->price, &st);
  return PetscLogReal(st.P);
}

PetscErrorCode StkSimPriceDestroy(StkSim sim)
{
  SimPrice *sp = (SimPrice *)sim->price;

  PetscFunctionBeginUser;
  if (!sp) PetscFunctionReturn(0);
  PetscCall(StkPriceDestroy(&sp->price));
  PetscCall(PetscFree(sp->P));
  PetscCall(PetscFree(sim->price));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimGetPricePath(StkSim sim, const PetscReal *P[], const StkPriceParams **params, PetscReal *hhi)
{
  SimPrice *sp = (SimPrice *)sim->price;

  PetscFunctionBeginUser;
  if (P) *P = sp && sp->price ? sp->P : NULL;
  if (params) *params = sp ? &sp->p : NULL;
  if (hhi) *hhi = sp && sp->nsteps ? sp->hsum / sp->nsteps : (PetscReal)NAN;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimHasPrice(StkSim sim, PetscBool *on)
{
  PetscFunctionBeginUser;
  *on = (PetscBool)(sim->price != NULL);
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimSetPrice(StkSim sim, const StkPriceParams *p)
{
  PetscFunctionBeginUser;
  PetscCall(StkSimPriceDestroy(sim));
  sim->setupcalled = PETSC_FALSE;
  if (!p) PetscFunctionReturn(0);
  PetscCall(StkBondingCurveCheck(&p->curve, "-price_curve_params"));
  PetscCall(PetscNew((SimPrice **)&sim->price));
  ((SimPrice *)sim->price)->p = *p;
  PetscFunctionReturn(0);
}
