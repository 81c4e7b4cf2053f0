/* The hooks of the token price into the simulation driver (stk_sim_price.c); each is
 * a no-op (and changes no number) when the price is off. */
#pragma once
#include "stk_simimpl.h"

PETSC_INTERN PetscErrorCode StkSimPriceSetFromOptions(StkSim);   /* StkSimSetFromOptions: read -price* */
PETSC_INTERN PetscErrorCode StkSimPriceSetUp(StkSim);            /* StkSimSetUp: the holders */
PETSC_INTERN PetscErrorCode StkSimPriceReset(StkSim);            /* a fresh path */
PETSC_INTERN PetscErrorCode StkSimPriceStep(StkSim, PetscInt n, PetscReal u); /* before step n at (s_n, u) */
PETSC_INTERN PetscReal      StkSimPriceYieldShift(StkSim, PetscReal u);       /* E[d ln P]/dt at (s, u), 0 if off */
PETSC_INTERN PetscErrorCode StkSimPriceDestroy(StkSim);
PETSC_INTERN PetscReal      StkSimPriceLogPrice(StkSim);                      /* ln P now (x[STK_SIM_X_LOGP]), NaN if off */
