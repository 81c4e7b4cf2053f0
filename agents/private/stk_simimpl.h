/* StkSim internals: the common driver (stk_sim.c) and the environments' ops tables
 * (stk_sde.c, stk_abm.c). */
#pragma once
#include "stk_sim.h"
#include "stk_philox.h"

typedef struct {
  PetscReal t, dz, frac;
  PetscInt  step; /* first step n with t_n >= t (set at SetUp) */
} StkSimShock;

/* The regime chain (stk_sim.h): set by StkSimSetRegimes or -sim_regime_files. */
typedef struct {
  PetscInt        M;       /* 0: no chain */
  StkPopulation  *pop;     /* M, borrowed (or owned: own) */
  PetscBool       own;     /* read from -sim_regime_files: destroyed with the sim */
  char          **names;   /* M */
  PetscReal      *q;       /* M x M, diagonal 0 */
  PetscInt        regime0; /* initial regime */
  StkAgentParams *p;       /* M, copied at SetUp */
  PetscInt64     *steps;   /* M: steps spent in each regime (StkSimGetRegimeStats) */
  PetscInt64     *jumps;   /* M x M: switches */
} StkSimChain;

/* What an environment does; the driver owns time, z, shocks, the policy and records. */
typedef struct {
  PetscErrorCode (*setup)(StkSim);                                /* allocate for the settings */
  PetscErrorCode (*reset)(StkSim);                                /* s at step 0 of sim->path */
  PetscErrorCode (*shock)(StkSim, uint32_t step, PetscReal frac); /* stakers leave */
  PetscErrorCode (*step)(StkSim, uint32_t step, PetscReal u);     /* s_n -> s_{n+1} at (s_n, z_n, u) */
  PetscErrorCode (*view)(StkSim, PetscViewer);
  PetscErrorCode (*regret)(StkSim, PetscReal *mean, PetscReal *max); /* persistent abm holders (NULL: none) */
  PetscErrorCode (*destroy)(StkSim);
  PetscErrorCode (*regime)(StkSim); /* sim->p changed (a switch of regime; NULL: nothing cached) */
} StkSimOps;

struct _p_StkSim {
  MPI_Comm         comm;
  char            *prefix; /* the user's options prefix (NULL: none); the sim's own is "sim_" */
  StkPopulation    pop; /* borrowed */
  StkAgentParams   p;   /* the population's parameters, copied at SetUp */
  StkSimSettings   set;
  StkPolicyFn      policy;
  StkPolicyResetFn policy_reset;
  void            *policy_ctx;
  StkSimShock     *shocks;
  PetscInt         nshock, maxshock;
  PetscBool        setupcalled;
  PetscInt         nsteps, nrec;
  PetscReal        z0; /* resolved initial z */
  StkSimOps        ops;
  void            *data; /* the environment's */
  /* the current path */
  uint32_t  path;
  PetscReal s, z;
  PetscBool ran; /* a path has run since SetUp: StkSimContinue may go on from its end */
  StkSimChain chain;
  PetscInt    regime; /* the active regime (0 without a chain) */
  void       *price; /* issue 16: the token price (stk_sim_price.c), NULL: off */
};

/* The Philox key of the settings' seed. */
static inline uint64_t StkSimSeed(StkSim sim)
{
  return (uint64_t)sim->set.seed;
}

PETSC_INTERN PetscErrorCode StkSimSetOps_SDE(StkSim);
/* stk_sim_regime.c: the chain's options, checks, switches and teardown. */
typedef struct {
  char     *files[STK_SIM_MAX_REGIMES + 1];
  PetscInt  nfiles, nrates, regime0;
  PetscReal rates[STK_SIM_MAX_REGIMES * STK_SIM_MAX_REGIMES + 1];
  PetscBool files_set, rates_set, regime0_set;
} StkSimRegimeInput;
PETSC_INTERN PetscErrorCode StkSimRegimeOptionsRead(PetscOptionItems *PetscOptionsObject, StkSim sim, StkSimRegimeInput *in);
PETSC_INTERN PetscErrorCode StkSimRegimeOptionsApply(StkSim sim, const char pre[], StkSimRegimeInput *in);
PETSC_INTERN PetscErrorCode StkSimRegimeSetUp(StkSim sim, const char pre[]);
PETSC_INTERN PetscErrorCode StkSimRegimeEnter(StkSim sim, PetscInt r);
PETSC_INTERN PetscErrorCode StkSimRegimeStep(StkSim sim, uint32_t step);
PETSC_INTERN PetscErrorCode StkSimRegimeView(StkSim sim, PetscViewer viewer);
PETSC_INTERN PetscErrorCode StkSimRegimeClear(StkSim sim);
PETSC_INTERN PetscErrorCode StkSimSetOps_ABM(StkSim);
PETSC_INTERN PetscLogEvent  STK_EVENT_SimSDE, STK_EVENT_SimABM;
