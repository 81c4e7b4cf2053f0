/* One policy in one environment (sde or abm) over M paths of one seed, every path from
 * the same start (-sim_s0, -sim_z0): what `stakehjb simulate` runs, prints and writes
 * (docs/cli.md; the file layout, group /simulation, in docs/hdf5.md).  The paths run on
 * the experiments' path engine (StkEvaluate): sde paths spread over the ranks, abm paths
 * on all ranks with their agents spread; either way a path depends only on (seed, path).
 * The file keeps every path, subsampled to at most -sim_max_records records; the
 * metrics (stk_metrics.h) use every step.
 *
 *   StkSimulationCreate -> SetModel -> SetPolicy -> SetFromOptions -> SetUp -> Run
 *     -> View / Write -> Destroy */
#pragma once
#include "stk_evaluate.h"

typedef struct _p_StkSimulation *StkSimulation;

PETSC_EXTERN PetscErrorCode StkSimulationCreate(MPI_Comm comm, StkSimulation *sm);
/* The planner's model (cost, discount, sbar) and its token holders, the environment's.
 * Borrowed; a staking model.  Call it before SetFromOptions (-sim_dim defaults to the
 * model's dimension). */
PETSC_EXTERN PetscErrorCode StkSimulationSetModel(StkSimulation sm, StkModel model);
/* The policy (borrowed, set up by the caller) and the file it was read from, recorded
 * in the summary and the output (NULL or "": none). */
PETSC_EXTERN PetscErrorCode StkSimulationSetPolicy(StkSimulation sm, StkPolicy policy, const char source[]);
/* The engine's monitor (StkEvaluateSetMonitor), e.g. for a progress line. */
PETSC_EXTERN PetscErrorCode StkSimulationSetMonitor(StkSimulation sm, StkEvaluateMonitorFn monitor, void *ctx);
/* Options prefixes (grids/stk_options.h): the options below are read under USER +
 * "sim_" (as the simulator's own), and USER goes to the engine and its simulator; after
 * StkSimulationSetOptionsPrefix(sm, "bear_") it reads -bear_sim_paths.  A prefix must
 * not start with '-'. */
PETSC_EXTERN PetscErrorCode StkSimulationSetOptionsPrefix(StkSimulation sm, const char prefix[]);
PETSC_EXTERN PetscErrorCode StkSimulationAppendOptionsPrefix(StkSimulation sm, const char prefix[]);
PETSC_EXTERN PetscErrorCode StkSimulationGetOptionsPrefix(StkSimulation sm, const char *prefix[]);
/* -sim_paths M (10), -sim_max_records (2000), -sim_band (0.02), -sim_recovery_hold
 * (30 days, in yr), and every option of the environment (-sim_type, -sim_seed, -sim_s0,
 * -sim_every: the finest stride of the file, shocks, ...; agents/stk_sim.h). */
PETSC_EXTERN PetscErrorCode StkSimulationSetFromOptions(StkSimulation sm);
/* Checks the options (errors name the option and the value) and sets up the engine.
 * Collective. */
PETSC_EXTERN PetscErrorCode StkSimulationSetUp(StkSimulation sm);
/* Runs the M paths (collective). */
PETSC_EXTERN PetscErrorCode StkSimulationRun(StkSimulation sm);
/* The summary: environment, policy, and per metric the mean, standard deviation, min
 * and max over the paths. */
PETSC_EXTERN PetscErrorCode StkSimulationView(StkSimulation sm, PetscViewer viewer);
/* The paths, metrics and settings to PATH, group /simulation (temporary name, then
 * renamed: a failure leaves no file).  Collective. */
PETSC_EXTERN PetscErrorCode StkSimulationWrite(StkSimulation sm, const char path[]);
/* The engine (borrowed): its settings, metrics and samples of the last Run. */
PETSC_EXTERN PetscErrorCode StkSimulationGetEvaluate(StkSimulation sm, StkEvaluate *ev);
PETSC_EXTERN PetscErrorCode StkSimulationDestroy(StkSimulation *sm);
