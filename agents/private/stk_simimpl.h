/* StkSim internals: the common driver (stk_sim.c) and the environments' ops tables
 * (stk_sde.c, stk_abm.c). */
#pragma once
#include "stk_sim.h"
#include "stk_philox.h"

typedef struct {
  PetscReal t, dz, frac;
  PetscInt  step; /* first step n with t_n >= t (set at SetUp) */
} StkSimShock;

/* What an environment does; the driver owns time, z, shocks, the policy and records. */
typedef struct {
  PetscErrorCode (*setup)(StkSim);                                /* allocate for the settings */
  PetscErrorCode (*reset)(StkSim);                                /* s at step 0 of sim->path */
  PetscErrorCode (*shock)(StkSim, uint32_t step, PetscReal frac); /* stakers leave */
  PetscErrorCode (*step)(StkSim, uint32_t step, PetscReal u);     /* s_n -> s_{n+1} at (s_n, z_n, u) */
  PetscErrorCode (*view)(StkSim, PetscViewer);
  PetscErrorCode (*regret)(StkSim, PetscReal *mean, PetscReal *max); /* persistent abm holders (NULL: none) */
  PetscErrorCode (*destroy)(StkSim);
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
  void     *price; /* issue 16: the token price (stk_sim_price.c), NULL: off */
};

/* The Philox key of the settings' seed. */
static inline uint64_t StkSimSeed(StkSim sim)
{
  return (uint64_t)sim->set.seed;
}

PETSC_INTERN PetscErrorCode StkSimSetOps_SDE(StkSim);
PETSC_INTERN PetscErrorCode StkSimSetOps_ABM(StkSim);
PETSC_INTERN PetscLogEvent  STK_EVENT_SimSDE, STK_EVENT_SimABM;
