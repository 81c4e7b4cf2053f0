/* Private: the body of StkCompare, shared by stk_compare.c (settings, runs, statistics)
 * and stk_compare_write.c (the table, the HDF5 and CSV writers). */
#pragma once
#include "stk_compare.h"
#include "stk_files.h"
#include "stk_price_metrics.h"

#define STK_COMPARE_MAX_ITEMS 16
enum { STK_SCENARIO_NONE, STK_SCENARIO_Z_JUMP, STK_SCENARIO_STAKE_DROP, STK_SCENARIO_COUNT };
PETSC_INTERN const char *const StkCompareScenarioNames[STK_SCENARIO_COUNT];

/* Metrics compared pairwise against the reference, and the summary columns per metric. */
PETSC_INTERN const StkMetric StkCompareCompared[];
#define STK_COMPARE_NCOMPARED 5
#define STK_COMPARE_NDIFF     5 /* diff, diff_lo, diff_hi, p, p_holm */
/* With the token price (-price, issue 16): the price metrics compared pairwise. */
PETSC_INTERN const StkPriceMetric StkComparePriceCompared[];
#define STK_COMPARE_NPRICE_COMPARED 6

struct _p_StkCompare {
  MPI_Comm  comm;
  char     *prefix;  /* USER part of the options prefix */
  char     *options; /* the user's options, recorded at SetUp before any regime's insertion */
  char     *regimes[STK_COMPARE_MAX_ITEMS], *policies[STK_COMPARE_MAX_ITEMS], *envs[2], *scenarios[STK_SCENARIO_COUNT];
  PetscInt  nregimes, npolicies, nenvs, nscenarios;
  PetscInt  scenario_id[STK_SCENARIO_COUNT], reference; /* index of the reference policy */
  PetscInt  paths, seed, n_agents, nboot, samples, sample_every;
  PetscReal years, t_shock, dz, frac, band, hold;
  StkAbmTypes    abm_types;                /* the abm's followers (-compare_abm_types, ...) */
  StkAbmResponse abm_response;
  PetscReal      hedge_rate, hedge_forget;
  PetscInt  fit_max_it; /* the regime networks' TAO iterations (0: the network's default, -net_fit_max_it overrides) */
  char      regime_dir[PETSC_MAX_PATH_LEN], out[PETSC_MAX_PATH_LEN];
  StkOutputSet outputs; /* the per-regime solution files, out and its .csv: written as one set */
  StkCompareMonitorFn monitor;
  void               *monitor_ctx;
  PetscInt            done, total; /* policy runs, for the monitor */
  PetscLogDouble      wall;        /* seconds of the last Run */
  PetscBool           setupcalled;
  PetscBool           computed; /* the statistics exist (Run or SetPathMetrics) */
  /* the table, allocated by SetUp */
  PetscInt   nrows, nsteps, nrec, ncolumns; /* nrec: records of a kept sample path */
  PetscReal *s0;                            /* start state of each path */
  PetscReal *metrics;                       /* nrows x STK_METRIC_COUNT x paths */
  PetscReal *sample_s, *sample_u;           /* nrows x samples x nrec */
  PetscReal *summary;                       /* nrows x ncolumns */
  /* the token price (-price): the abm environments carry it; price metrics per path */
  PetscBool  price;
  PetscReal *price_metrics; /* nrows x STK_PRICE_METRIC_COUNT x paths (NaN in sde rows), NULL without -price */
};

/* Row index and its parts. */
PETSC_INTERN PetscInt StkCompareRow(StkCompare cmp, PetscInt regime, PetscInt env, PetscInt scenario, PetscInt policy);
PETSC_INTERN void     StkCompareRowParts(StkCompare cmp, PetscInt row, PetscInt *regime, PetscInt *env, PetscInt *scenario, PetscInt *policy);
/* The first summary column of the price metrics (after the columns without the price). */
#define STK_COMPARE_PRICE_BASE (2 * STK_METRIC_COUNT + 1 + STK_COMPARE_NCOMPARED * STK_COMPARE_NDIFF)
/* Their first paired-difference column. */
#define STK_COMPARE_PRICE_DIFF_BASE (STK_COMPARE_PRICE_BASE + 2 * STK_PRICE_METRIC_COUNT)
