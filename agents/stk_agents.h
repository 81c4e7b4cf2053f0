/* The token holders (docs/model.md#the-token-holders): opportunity-cost distributions, the static
 * threshold equilibrium, and the mean-field drift of the staking ratio.
 *
 * StkPopulation is the one source of truth for the agents' parameters (options
 * prefix USER + agents_); the per-point functions take its plain parameter block so that
 * hot loops pay no object overhead. */
#pragma once
#include <petscsys.h>
#include <petscviewer.h>
#include "stk_h5.h"

typedef enum { STK_COST_LOGNORMAL, STK_COST_UNIFORM, STK_COST_LOGISTIC, STK_COST_GAMMA, STK_COST_EMPIRICAL, STK_COST_NTYPES } StkCostType;
PETSC_EXTERN const char *const StkCostTypes[]; /* PetscOptionsEnum list */

/* Holders' private costs c_i ~ F.  Copyable by value: the empirical sample is
 * borrowed (owned by the StkPopulation that read it), so a copy must not outlive it. */
typedef struct {
  StkCostType      type;
  PetscReal        median, logsd; /* lognormal: median exp(mu) and log-sd sigma */
  PetscReal        lo, hi;        /* uniform on [lo, hi] */
  PetscReal        loc, scale;    /* logistic: location and scale */
  PetscReal        shape, gscale; /* gamma: shape k and scale theta (mean k theta) */
  const PetscReal *sample;        /* empirical: sorted costs x_1 <= ... <= x_n (borrowed) */
  PetscInt         nsample;       /* empirical: n >= 2, x_n > x_1 */
} StkCostDist;

/* The empirical F interpolates the ECDF linearly between order statistics,
 * F(x_j) = (j - 1)/(n - 1): continuous, support [x_1, x_n], each gap between
 * consecutive costs carrying mass 1/(n - 1); its pdf is the piecewise-constant slope. */
PETSC_EXTERN PetscReal StkCostCdf(const StkCostDist *F, PetscReal c);
PETSC_EXTERN PetscReal StkCostPdf(const StkCostDist *F, PetscReal c);
PETSC_EXTERN PetscReal StkCostMean(const StkCostDist *F);
/* Inverse cdf F^{-1}(p), p in (0, 1) (NaN outside): closed forms, or a safeguarded
 * Newton iteration (lognormal, gamma) accurate to a few ulps.  Used to draw types. */
PETSC_EXTERN PetscReal StkCostQuantile(const StkCostDist *F, PetscReal p);
/* Reads a cost sample from a text file: one number per line, an optional header line
 * before the first number, blank lines and '#' comments (to the end of a line)
 * ignored.  Rank 0 reads and broadcasts; every rank returns the same sorted array
 * (free with PetscFree) or the same error, naming the file and line: missing file,
 * malformed line, negative or non-finite cost, fewer than 2 distinct costs. */
PETSC_EXTERN PetscErrorCode StkCostSampleLoad(MPI_Comm comm, const char path[], PetscInt *n, PetscReal **sample);

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

/* The baseline parameters (docs/model.md#baseline-parameters). */
PETSC_EXTERN PetscErrorCode StkAgentParamsDefault(StkAgentParams *p);
PETSC_EXTERN PetscErrorCode StkAgentParamsCheck(MPI_Comm comm, const StkAgentParams *p);

/* y(u, s) = (u + phi) / max(s, STK_S_FLOOR) */
PETSC_EXTERN PetscReal StkAgentsYield(const StkAgentParams *p, PetscReal s, PetscReal u);
/* b(s, z, u) = kappa (s_max F(y - z) - s) */
PETSC_EXTERN PetscReal StkAgentsDrift(const StkAgentParams *p, PetscReal s, PetscReal z, PetscReal u);
/* b_u = kappa s_max f(y - z) / max(s, STK_S_FLOOR) */
PETSC_EXTERN PetscReal StkAgentsDriftU(const StkAgentParams *p, PetscReal s, PetscReal z, PetscReal u);
/* Private to the library (the Newton policy improvement, -hjb_greedy_newton): the density
 * f(c) of the cost law and its slope f'(c); b_u as StkAgentsDriftU and b_uu = d b_u / du. */
PETSC_INTERN PetscReal StkCostPdfSlope(const StkCostDist *F, PetscReal c, PetscReal *df);
PETSC_INTERN PetscReal StkAgentsDriftUSlope(const StkAgentParams *p, PetscReal s, PetscReal z, PetscReal u, PetscReal *b_uu);
/* sigma_s(s) = sigma0 sqrt(s (1 - s)), 0 outside (0, 1) */
PETSC_EXTERN PetscReal StkAgentsVolatility(const StkAgentParams *p, PetscReal s);
/* Half-width of the truncated z interval: 4 sigma_z / sqrt(2 theta). */
PETSC_EXTERN PetscReal StkAgentsZHalfWidth(const StkAgentParams *p);

/* Static threshold equilibrium s = s_max F((u + phi)/s - z): the unique root in
 * (0, s_max], by Newton safeguarded with bisection on a shrinking bracket.  Returns the
 * root, d(s*)/du = s_max f / (s + s_max f y) and the iteration count; errors if u + phi <= 0. */
PETSC_EXTERN PetscErrorCode StkAgentsEquilibrium(const StkAgentParams *p, PetscReal u, PetscReal z, PetscReal *s_star, PetscReal *ds_du, PetscInt *its);

typedef struct _p_StkPopulation *StkPopulation;
PETSC_EXTERN PetscErrorCode StkPopulationCreate(MPI_Comm comm, StkPopulation *pop);
/* Options prefix (stk_options.h): the population reads -cost, -kappa, ... under
 * USER + "agents_"; after StkPopulationSetOptionsPrefix(pop, "bear_") it reads
 * -bear_agents_kappa, and its errors name that spelling.  A prefix must not start
 * with '-'; Get returns NULL when none is set. */
PETSC_EXTERN PetscErrorCode StkPopulationSetOptionsPrefix(StkPopulation pop, const char prefix[]);
PETSC_EXTERN PetscErrorCode StkPopulationAppendOptionsPrefix(StkPopulation pop, const char prefix[]);
PETSC_EXTERN PetscErrorCode StkPopulationGetOptionsPrefix(StkPopulation pop, const char *prefix[]);
/* -agents_cost lognormal|uniform|logistic|gamma|empirical, -agents_cost_median,
 * -agents_cost_logsd, -agents_cost_lo, -agents_cost_hi, -agents_cost_loc,
 * -agents_cost_scale, -agents_cost_shape, -agents_cost_gscale, -agents_cost_file
 * (the empirical sample; alone it selects -agents_cost empirical), -agents_s_max, -agents_phi, -agents_kappa,
 * -agents_sigma0, -agents_zbar, -agents_theta, -agents_sigma_z */
PETSC_EXTERN PetscErrorCode StkPopulationSetFromOptions(StkPopulation pop);
PETSC_EXTERN PetscErrorCode StkPopulationView(StkPopulation pop, PetscViewer viewer);
PETSC_EXTERN PetscErrorCode StkPopulationDestroy(StkPopulation *pop);
PETSC_EXTERN PetscErrorCode StkPopulationGetParams(StkPopulation pop, const StkAgentParams **p);
/* Copies the block after checking it; an empirical sample that is not the
 * population's own is copied too, so the caller's array may then be freed. */
PETSC_EXTERN PetscErrorCode StkPopulationSetParams(StkPopulation pop, const StkAgentParams *p);
/* The file the empirical sample was read from ("" if none). */
PETSC_EXTERN PetscErrorCode StkPopulationGetCostFile(StkPopulation pop, const char **file);
/* Every parameter as an attribute (with units) of `group` (docs/hdf5.md): the cost
 * family and the parameters of every family, s_max, phi, kappa, sigma0, zbar, theta,
 * sigma_z and s_floor; for an empirical F also the cost file's name (provenance), the
 * sample size and the sample itself (dataset cost_sample on the scale cost_index), so
 * a file is self-contained.  Collective. */
PETSC_EXTERN PetscErrorCode StkPopulationWrite(StkPopulation pop, StkH5 file, const char group[]);
/* Reads what StkPopulationWrite wrote (bitwise the same parameters; an empirical sample
 * from the file, not from the CSV) and checks it; on error pop is unchanged and the
 * message names the file.  Collective. */
PETSC_EXTERN PetscErrorCode StkPopulationLoad(StkPopulation pop, StkH5 file, const char group[]);
