/* The token holders (MODEL.md section 2): opportunity-cost distributions, the static
 * threshold equilibrium, and the mean-field drift of the staking ratio.
 *
 * StkPopulation is the one source of truth for the agents' parameters (options
 * prefix agents_); the per-point functions take its plain parameter block so that
 * hot loops pay no object overhead. */
#pragma once
#include <petscsys.h>
#include <petscviewer.h>

typedef enum { STK_COST_LOGNORMAL, STK_COST_UNIFORM, STK_COST_LOGISTIC, STK_COST_NTYPES } StkCostType;
PETSC_EXTERN const char *const StkCostTypes[]; /* PetscOptionsEnum list */

/* Holders' private costs c_i ~ F. */
typedef struct {
  StkCostType type;
  PetscReal   median, logsd; /* lognormal: median exp(mu) and log-sd sigma */
  PetscReal   lo, hi;        /* uniform on [lo, hi] */
  PetscReal   loc, scale;    /* logistic: location and scale */
} StkCostDist;

PETSC_EXTERN PetscReal StkCostCdf(const StkCostDist *F, PetscReal c);
PETSC_EXTERN PetscReal StkCostPdf(const StkCostDist *F, PetscReal c);
PETSC_EXTERN PetscReal StkCostMean(const StkCostDist *F);
/* Checks the parameters; errors name the option (prefix agents_) and the bad value. */
PETSC_EXTERN PetscErrorCode StkCostCheck(MPI_Comm comm, const StkCostDist *F);

/* Yields below this staking ratio are evaluated at s_floor: y = (u + phi) / max(s, s_floor). */
#define STK_S_FLOOR 1e-6

typedef struct {
  StkCostDist cost;    /* F */
  PetscReal   s_max;   /* stakeable fraction of supply, (0, 1] */
  PetscReal   phi;     /* fee and MEV yield per unit supply, 1/yr */
  PetscReal   kappa;   /* revision rate, 1/yr */
  PetscReal   sigma0;  /* aggregate staking noise, 1/sqrt(yr) */
  PetscReal   zbar;    /* long-run outside-yield shifter, 1/yr */
  PetscReal   theta;   /* mean reversion of z, 1/yr */
  PetscReal   sigma_z; /* volatility of z, 1/yr/sqrt(yr) */
} StkAgentParams;

/* Baseline of MODEL.md section 3. */
PETSC_EXTERN PetscErrorCode StkAgentParamsDefault(StkAgentParams *p);
PETSC_EXTERN PetscErrorCode StkAgentParamsCheck(MPI_Comm comm, const StkAgentParams *p);

/* y(u, s) = (u + phi) / max(s, STK_S_FLOOR) */
PETSC_EXTERN PetscReal StkAgentsYield(const StkAgentParams *p, PetscReal s, PetscReal u);
/* b(s, z, u) = kappa (s_max F(y - z) - s) */
PETSC_EXTERN PetscReal StkAgentsDrift(const StkAgentParams *p, PetscReal s, PetscReal z, PetscReal u);
/* b_u = kappa s_max f(y - z) / max(s, STK_S_FLOOR) */
PETSC_EXTERN PetscReal StkAgentsDriftU(const StkAgentParams *p, PetscReal s, PetscReal z, PetscReal u);
/* sigma_s(s) = sigma0 sqrt(s (1 - s)), 0 outside (0, 1) */
PETSC_EXTERN PetscReal StkAgentsVolatility(const StkAgentParams *p, PetscReal s);
/* Half-width of the truncated z interval: 4 sigma_z / sqrt(2 theta). */
PETSC_EXTERN PetscReal StkAgentsZHalfWidth(const StkAgentParams *p);

/* Static threshold equilibrium s = s_max F((u + phi)/s - z): the unique root in
 * (0, s_max], by Newton safeguarded with bisection on a shrinking bracket.  Returns the
 * root, d(s*)/du (MODEL.md formula) and the iteration count; errors if u + phi <= 0. */
PETSC_EXTERN PetscErrorCode StkAgentsEquilibrium(const StkAgentParams *p, PetscReal u, PetscReal z, PetscReal *s_star, PetscReal *ds_du, PetscInt *its);

typedef struct _p_StkPopulation *StkPopulation;
PETSC_EXTERN PetscErrorCode StkPopulationCreate(MPI_Comm comm, StkPopulation *pop);
/* -agents_cost lognormal|uniform|logistic, -agents_cost_median, -agents_cost_logsd,
 * -agents_cost_lo, -agents_cost_hi, -agents_cost_loc, -agents_cost_scale,
 * -agents_s_max, -agents_phi, -agents_kappa, -agents_sigma0, -agents_zbar,
 * -agents_theta, -agents_sigma_z */
PETSC_EXTERN PetscErrorCode StkPopulationSetFromOptions(StkPopulation pop);
PETSC_EXTERN PetscErrorCode StkPopulationView(StkPopulation pop, PetscViewer viewer);
PETSC_EXTERN PetscErrorCode StkPopulationDestroy(StkPopulation *pop);
PETSC_EXTERN PetscErrorCode StkPopulationGetParams(StkPopulation pop, const StkAgentParams **p);
PETSC_EXTERN PetscErrorCode StkPopulationSetParams(StkPopulation pop, const StkAgentParams *p);
