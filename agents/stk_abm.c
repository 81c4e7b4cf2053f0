/* The agent-based environment (stk_sim.h): N holders in blocks of consecutive ids,
 * whole blocks owned by ranks, the staker count summed with MPI_Allreduce.  Two
 * engines: "block" draws binomial counts per block (transitory types, best response),
 * "agent" keeps per-agent state (any types and response). */
#include <math.h>
#include "stk_simimpl.h"
#include "stk_sim_price_impl.h" /* issue 16 */

typedef struct {
  PetscInt64  N, a0, a1;      /* agents; this rank owns ids [a0, a1) */
  PetscInt64  B, b0, b1;      /* block size; this rank owns blocks [b0, b1) */
  PetscInt64  S, S_local;     /* stakers: all, and on this rank */
  PetscBool   block_engine;
  PetscInt64 *count;          /* block engine: stakers per owned block */
  uint8_t    *staked;         /* agent engine: 1 if agent a0 + k stakes */
  PetscReal  *cost;           /* persistent types: c_i, +inf for a holder who cannot stake */
  PetscReal   q;              /* probability of a revision in one step, 1 - exp(-kappa dt) */
  uint32_t    q32;            /* q in units of 2^-32, for the revision clocks */
  PetscReal   Y, M;           /* Hedge: discounted cumulative y - z, and discounted time */
  PetscReal  *realized;       /* persistent types: int staked_i (y - z - c_i) dt since the path began */
  PetscReal   G, T;           /* int (y - z) dt and the elapsed time, for the regret */
} AbmCtx;

static inline PetscInt64 BlockSize(const AbmCtx *a, PetscInt64 b)
{
  return PetscMin(a->B, a->N - b * a->B);
}

/* The probability P = s_max F(y - z) that a reviser stakes at the current state;
 * *threshold = y - z, the highest cost that stakes. */
static inline PetscReal StakeProbability(StkSim sim, PetscReal u, PetscReal *threshold)
{
  const PetscReal x = StkAgentsYield(&sim->p, sim->s, u) - sim->z + (sim->price ? StkSimPriceYieldShift(sim, u) : 0); /* issue 16: the real yield */

  if (threshold) *threshold = x;
  return sim->p.s_max * StkCostCdf(&sim->p.cost, x);
}

/* Sums the ranks' staker counts (integers: the same on any number of ranks). */
static PetscErrorCode GatherStakers(StkSim sim)
{
  AbmCtx *a = (AbmCtx *)sim->data;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Allreduce(&a->S_local, &a->S, 1, MPIU_INT64, MPI_SUM, sim->comm));
  sim->s = (PetscReal)a->S / (PetscReal)a->N;
  PetscFunctionReturn(0);
}

/* The revision probability per step at the active kappa (again at a switch of regime). */
static PetscErrorCode ABMRevisionRate(StkSim sim)
{
  AbmCtx *a = (AbmCtx *)sim->data;

  PetscFunctionBeginUser;
  a->q   = (PetscReal)-expm1((double)(-sim->p.kappa * sim->set.dt));
  a->q32 = (uint32_t)PetscMin(PetscFloorReal(ldexp(a->q, 32)), 4294967295.0);
  PetscFunctionReturn(0);
}

/* Contiguous whole blocks per rank, the first nblocks % size ranks one more. */
static PetscErrorCode ABMSetUp(StkSim sim)
{
  AbmCtx     *a = (AbmCtx *)sim->data;
  PetscMPIInt rank, size;
  PetscInt64  nblocks, base, extra;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(sim->comm, &rank));
  PetscCallMPI(MPI_Comm_size(sim->comm, &size));
  a->N   = sim->set.n_agents;
  a->B   = sim->set.block;
  nblocks = (a->N + a->B - 1) / a->B;
  base    = nblocks / size, extra = nblocks % size;
  a->b0   = rank * base + PetscMin(rank, extra);
  a->b1   = a->b0 + base + (rank < extra);
  a->a0   = PetscMin(a->b0 * a->B, a->N);
  a->a1   = PetscMin(a->b1 * a->B, a->N);
  PetscCall(ABMRevisionRate(sim));
  if (a->block_engine) PetscCall(PetscMalloc1(a->b1 - a->b0, &a->count));
  else {
    PetscCall(PetscMalloc1(a->a1 - a->a0, &a->staked));
    if (sim->set.types == STK_ABM_PERSISTENT) PetscCall(PetscMalloc2(a->a1 - a->a0, &a->cost, a->a1 - a->a0, &a->realized));
  }
  PetscFunctionReturn(0);
}

/* Persistent types for this path: one uniform U per agent, c_i = F^{-1}(U / s_max)
 * if U < s_max, else +inf (cannot stake). */
static void DrawTypes(StkSim sim, AbmCtx *a)
{
  const PetscReal smax = sim->p.s_max;

  for (PetscInt64 i = a->a0; i < a->a1; i++) {
    StkRng    rng;
    PetscReal U;
    StkRngInit(&rng, StkSimSeed(sim), (uint32_t)i, 0, sim->path, STK_RNG_STREAM_TYPE);
    U                  = StkRngUniform(&rng);
    a->cost[i - a->a0] = U < smax ? StkCostQuantile(&sim->p.cost, PetscMin(U / smax, 1 - 0x1p-53)) : (PetscReal)INFINITY;
  }
}

/* Step 0: the agents with id < round(s0 N) stake. */
static PetscErrorCode ABMReset(StkSim sim)
{
  AbmCtx          *a  = (AbmCtx *)sim->data;
  const PetscInt64 S0 = (PetscInt64)PetscFloorReal(sim->set.s0 * a->N + 0.5);

  PetscFunctionBeginUser;
  a->S_local = 0;
  if (a->block_engine) {
    for (PetscInt64 b = a->b0; b < a->b1; b++) {
      a->count[b - a->b0] = PetscMax(PetscMin(S0 - b * a->B, BlockSize(a, b)), 0);
      a->S_local += a->count[b - a->b0];
    }
  } else {
    for (PetscInt64 i = a->a0; i < a->a1; i++) a->staked[i - a->a0] = (uint8_t)(i < S0);
    a->S_local = PetscMax(PetscMin(S0, a->a1) - a->a0, 0);
    if (a->cost) DrawTypes(sim, a);
    if (sim->set.types == STK_ABM_PERSISTENT) PetscCall(PetscArrayzero(a->realized, a->a1 - a->a0));
  }
  a->Y = a->M = 0;
  a->G = a->T = 0;
  PetscCall(GatherStakers(sim));
  PetscFunctionReturn(0);
}

/* Each staker leaves with probability frac: a binomial per block, or a uniform per agent. */
static PetscErrorCode ABMShock(StkSim sim, uint32_t step, PetscReal frac)
{
  AbmCtx *a = (AbmCtx *)sim->data;
  StkRng  rng;

  PetscFunctionBeginUser;
  if (a->block_engine) {
    for (PetscInt64 b = a->b0; b < a->b1; b++) {
      StkRngInit(&rng, StkSimSeed(sim), (uint32_t)b, step, sim->path, STK_RNG_STREAM_SHOCK);
      const PetscInt64 gone = StkRngBinomial(&rng, a->count[b - a->b0], frac);
      a->count[b - a->b0] -= gone;
      a->S_local -= gone;
    }
  } else {
    for (PetscInt64 i = a->a0; i < a->a1; i++) {
      if (!a->staked[i - a->a0]) continue;
      StkRngInit(&rng, StkSimSeed(sim), (uint32_t)i, step, sim->path, STK_RNG_STREAM_SHOCK);
      if (StkRngUniform(&rng) < frac) a->staked[i - a->a0] = 0, a->S_local--;
    }
  }
  PetscCall(GatherStakers(sim));
  PetscFunctionReturn(0);
}

/* Per block: stakers leave ~ Bin(S_b, q (1 - P)), non-stakers join ~ Bin(n_b - S_b, q P)
 * (a reviser keeps or takes the stake with probability P, independently). */
static PetscErrorCode BlockStep(StkSim sim, uint32_t step, PetscReal u)
{
  AbmCtx         *a = (AbmCtx *)sim->data;
  const PetscReal P = StakeProbability(sim, u, NULL), pleave = a->q * (1 - P), pjoin = a->q * P;
  const uint64_t  seed = StkSimSeed(sim);

  PetscFunctionBeginUser;
  for (PetscInt64 b = a->b0; b < a->b1; b++) {
    const PetscInt64 Sb = a->count[b - a->b0];
    StkRng           rng;
    PetscInt64       leave, join;

    StkRngInit(&rng, seed, (uint32_t)b, step, sim->path, STK_RNG_STREAM_LEAVE);
    leave = StkRngBinomial(&rng, Sb, pleave);
    StkRngInit(&rng, seed, (uint32_t)b, step, sim->path, STK_RNG_STREAM_JOIN);
    join                = StkRngBinomial(&rng, BlockSize(a, b) - Sb, pjoin);
    a->count[b - a->b0] = Sb - leave + join;
    a->S_local += join - leave;
  }
  PetscCall(GatherStakers(sim));
  PetscFunctionReturn(0);
}

/* The action of reviser i at this step. */
static inline uint8_t Decide(StkSim sim, const AbmCtx *a, PetscInt64 i, uint32_t step, PetscReal P, PetscReal threshold)
{
  StkRng    rng;
  PetscReal prob;

  if (sim->set.types == STK_ABM_TRANSITORY) prob = P;
  else {
    const PetscReal c = a->cost[i - a->a0];
    if (sim->set.response == STK_ABM_BEST) return (uint8_t)(c <= threshold);
    if (PetscIsInfReal(c)) return 0;
    prob = 1 / (1 + PetscExpReal(-sim->set.hedge_rate * (a->Y - c * a->M)));
  }
  StkRngInit(&rng, StkSimSeed(sim), (uint32_t)i, step, sim->path, STK_RNG_STREAM_DECIDE);
  return (uint8_t)(StkRngUniform(&rng) < prob);
}

/* Revision clocks: one Philox block serves agents 4g .. 4g + 3 (word j for agent
 * 4g + j), keyed by the agent ids, so ownership does not change the draws. */
static PetscErrorCode AgentStep(StkSim sim, uint32_t step, PetscReal u)
{
  AbmCtx         *a = (AbmCtx *)sim->data;
  PetscReal       threshold;
  const PetscReal P = StakeProbability(sim, u, &threshold);
  const uint64_t  seed = StkSimSeed(sim);
  const uint32_t  key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)}, q32 = a->q32;
  uint32_t        ctr[4] = {0, step, sim->path, (uint32_t)STK_RNG_STREAM_REVISE << 24}, w[4];
  PetscInt64      delta  = 0;

  PetscFunctionBeginUser;
  if (sim->set.types == STK_ABM_PERSISTENT) { /* this step's payoffs at the stakes held during it (no draws: the path is unchanged); a rank may own no agent */
    for (PetscInt64 i = a->a0; i < a->a1; i++)
      if (a->staked[i - a->a0] && !PetscIsInfReal(a->cost[i - a->a0])) a->realized[i - a->a0] += (threshold - a->cost[i - a->a0]) * sim->set.dt;
    a->G += threshold * sim->set.dt;
    a->T += sim->set.dt;
  }
  for (PetscInt64 g = a->a0 / 4; a->a1 > a->a0 && g <= (a->a1 - 1) / 4; g++) {
    ctr[0] = (uint32_t)g;
    StkPhilox4x32_10(ctr, key, w);
    for (int j = 0; j < 4; j++) {
      const PetscInt64 i = 4 * g + j;
      if (w[j] >= q32 || i < a->a0 || i >= a->a1) continue;
      const uint8_t now = Decide(sim, a, i, step, P, threshold);
      delta += (PetscInt64)now - a->staked[i - a->a0];
      a->staked[i - a->a0] = now;
    }
  }
  a->S_local += delta;
  if (sim->set.response == STK_ABM_HEDGE) { /* the payoffs of this step, seen by every learner */
    const PetscReal decay = PetscExpReal(-sim->set.hedge_forget * sim->set.dt);
    a->Y                  = a->Y * decay + threshold * sim->set.dt;
    a->M                  = a->M * decay + sim->set.dt;
  }
  PetscCall(GatherStakers(sim));
  PetscFunctionReturn(0);
}

/* Per holder who can stake: max(G - c_i T, 0) - realized_i, per year; mean and max over ranks. */
static PetscErrorCode ABMRegret(StkSim sim, PetscReal *mean, PetscReal *max)
{
  AbmCtx   *a = (AbmCtx *)sim->data;
  PetscReal local[2] = {0, 0}, global[2], lmax = -PETSC_MAX_REAL, gmax;

  PetscFunctionBeginUser;
  for (PetscInt64 i = a->a0; i < a->a1; i++) {
    const PetscReal c = a->cost[i - a->a0];
    PetscReal       r;
    if (PetscIsInfReal(c)) continue;
    r = PetscMax(a->G - c * a->T, 0) - a->realized[i - a->a0];
    local[0] += r, local[1] += 1;
    lmax = PetscMax(lmax, r);
  }
  PetscCallMPI(MPI_Allreduce(local, global, 2, MPIU_REAL, MPI_SUM, sim->comm));
  PetscCallMPI(MPI_Allreduce(&lmax, &gmax, 1, MPIU_REAL, MPI_MAX, sim->comm));
  PetscCheck(a->T > 0 && global[1] > 0, sim->comm, PETSC_ERR_ARG_WRONGSTATE, "No regret yet: no step taken, or no holder can stake");
  if (mean) *mean = global[0] / global[1] / a->T;
  if (max) *max = gmax / a->T;
  PetscFunctionReturn(0);
}

static PetscErrorCode ABMView(StkSim sim, PetscViewer viewer)
{
  AbmCtx     *a = (AbmCtx *)sim->data;
  PetscMPIInt size;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(sim->comm, &size));
  PetscCall(PetscViewerASCIIPrintf(viewer, "%" PetscInt64_FMT " agents in %" PetscInt64_FMT " blocks of %" PetscInt64_FMT " over %d rank(s), %s engine\n", a->N, (a->N + a->B - 1) / a->B, a->B, (int)size, a->block_engine ? "block (binomial counts)" : "agent (per-agent state)"));
  PetscCall(PetscViewerASCIIPrintf(viewer, "%s types, %s; revision probability per step %g\n", StkAbmTypesList[sim->set.types], sim->set.response == STK_ABM_BEST ? "best response" : "Hedge learners", (double)a->q));
  if (sim->set.response == STK_ABM_HEDGE) PetscCall(PetscViewerASCIIPrintf(viewer, "Hedge: learning rate %g, forgetting rate %g 1/yr\n", (double)sim->set.hedge_rate, (double)sim->set.hedge_forget));
  PetscFunctionReturn(0);
}

static PetscErrorCode ABMDestroy(StkSim sim)
{
  AbmCtx *a = (AbmCtx *)sim->data;

  PetscFunctionBeginUser;
  if (!a) PetscFunctionReturn(0);
  PetscCall(PetscFree(a->count));
  PetscCall(PetscFree(a->staked));
  PetscCall(PetscFree2(a->cost, a->realized));
  PetscCall(PetscFree(sim->data));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimSetOps_ABM(StkSim sim)
{
  AbmCtx *a;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&a));
  sim->data        = a;
  sim->ops.setup   = ABMSetUp;
  sim->ops.reset   = ABMReset;
  sim->ops.shock   = ABMShock;
  sim->ops.view    = ABMView;
  sim->ops.destroy = ABMDestroy;
  sim->ops.regime  = ABMRevisionRate;
  /* auto: the block engine wherever its law is exact (transitory types, best response) */
  a->block_engine = (PetscBool)(sim->set.engine == STK_ABM_ENGINE_BLOCK || (sim->set.engine == STK_ABM_ENGINE_AUTO && sim->set.types == STK_ABM_TRANSITORY && sim->set.response == STK_ABM_BEST));
  sim->ops.step   = a->block_engine ? BlockStep : AgentStep;
  if (!a->block_engine && sim->set.types == STK_ABM_PERSISTENT) sim->ops.regret = ABMRegret;
  PetscFunctionReturn(0);
}
