/* Private to agents/: the parameter checks and the cost-sample reader with the options
 * prefix in force, so that an object configured under a user prefix names its options
 * as the user typed them ("-bear_agents_kappa").  `pre` is the whole prefix the options
 * are read under (USER + "agents_"); the public functions of stk_agents.h use "agents_". */
#pragma once
#include "stk_agents.h"

PETSC_INTERN PetscErrorCode StkCostCheckPrefixed(MPI_Comm comm, const char pre[], const StkCostDist *F);
PETSC_INTERN PetscErrorCode StkAgentParamsCheckPrefixed(MPI_Comm comm, const char pre[], const StkAgentParams *p);
PETSC_INTERN PetscErrorCode StkCostSampleLoadPrefixed(MPI_Comm comm, const char pre[], const char path[], PetscInt *n, PetscReal **sample);
/* USER + "agents_" of a population, for error messages. */
PETSC_INTERN PetscErrorCode StkPopulationGetFullPrefix(StkPopulation pop, char pre[], size_t len);
