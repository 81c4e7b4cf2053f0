/* Policies in the agent-based environment with the token price (docs/model.md#token-price):
 * every policy runs the same M paths (common random numbers: path p has the same
 * holders, staking draws, trades and market noise under every policy) of the
 * simulator configured by the -sim_* and -price* options; per path the metrics of
 * stk_metrics.h and stk_price_metrics.h (shock: the first price crash, supply dump or
 * stake shock; resilience window and recovery hold 30 days, recovery band |ln P -
 * ln P(shock)| < 0.05); per policy their means over the paths.  Every path runs on
 * all ranks (the holders spread over them), so the means are bitwise the same on any
 * number of ranks. */
#pragma once
#include "stk_policy.h"
#include "stk_metrics.h"
#include "stk_price_metrics.h"

#define STK_PRICE_COMPARE_COLUMNS (STK_METRIC_COUNT + STK_PRICE_METRIC_COUNT)
/* Column j's name: StkMetricNames[j], then StkPriceMetricNames[j - STK_METRIC_COUNT]. */
PETSC_EXTERN const char *StkPriceCompareColumnName(PetscInt j);

/* Runs npolicies set-up policies on npaths paths each; means[i * STK_PRICE_COMPARE_COLUMNS + j]
 * is the mean of column j under policy i.  The simulator reads its options (prefix may
 * be NULL) and must carry the price (-price; else a user-input error).  Collective. */
PETSC_EXTERN PetscErrorCode StkPriceCompareRun(MPI_Comm comm, const char prefix[], StkModel model, PetscInt npolicies, StkPolicy policies[], PetscInt npaths, PetscReal means[]);
