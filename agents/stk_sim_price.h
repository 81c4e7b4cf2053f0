/* The token price inside a simulation environment (docs/model.md#token-price): with
 * the option -price (under the simulation's user prefix, e.g. -price_curve exp) the
 * agent-based environment carries a StkPrice (stk_price.h) over its holders; each
 * step moves the price at the step's (s_n, u_n), and the holders compare the real
 * staking yield y + E[d ln P]/dt (the mean-field drift of ln P) with their cost. */
#pragma once
#include "stk_sim.h"
#include "stk_price.h"

/* After a path (StkSimRun): the price at each step P[0..nsteps] (owned by the sim,
 * valid until the next run), its parameters, and the stake Herfindahl index averaged
 * over the steps.  *P = NULL if the price is off. */
PETSC_EXTERN PetscErrorCode StkSimGetPricePath(StkSim sim, const PetscReal *P[], const StkPriceParams **params, PetscReal *hhi);
/* PETSC_TRUE if the simulation carries a price (valid after StkSimSetFromOptions). */
PETSC_EXTERN PetscErrorCode StkSimHasPrice(StkSim sim, PetscBool *on);
/* Carries the price of parameters p (copied; checked at StkSimSetUp) in the simulation,
 * or none (p NULL): what -price and the -price_* options set, for programs that configure
 * a simulator without its options (StkCompare, StkGovern, the path engine's copies).
 * A later StkSimSetFromOptions reads -price again.  Before StkSimSetUp. */
PETSC_EXTERN PetscErrorCode StkSimSetPrice(StkSim sim, const StkPriceParams *p);
