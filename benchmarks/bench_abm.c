/* Agent-based environment throughput (issue 3): N = 1e5 holders, 10 years of daily
 * steps under the constant policy u = ubar, for each engine.  Reports agent-updates
 * per second per core (agent-updates = N x steps; the slowest rank's wall time).
 *
 *   bench_abm [-bench_n 100000] [-bench_t_final 10] [-bench_paths 1]
 *   mpiexec -n 2 bench_abm                  (the near-2x question)
 *
 * Run by hand, never as a test: timings depend on the machine and its load. */
#include "stk_sim.h"

typedef struct {
  const char    *name;
  StkAbmEngine   engine;
  StkAbmTypes    types;
  StkAbmResponse response;
} BenchCase;

/* Runs `paths` paths of one case; returns the slowest rank's seconds and the final s of path 0. */
static PetscErrorCode RunCase(StkPopulation pop, const BenchCase *c, PetscInt n, PetscReal t_final, PetscInt paths, PetscReal *seconds, PetscInt *nsteps, PetscReal *s_end)
{
  StkSim          sim;
  StkSimSettings  set;
  StkSimPath      out;
  PetscInt        nrec;
  const PetscReal u = 0.03;
  double          t0, mine;

  PetscFunctionBeginUser;
  PetscCall(StkSimCreate(PETSC_COMM_WORLD, &sim));
  PetscCall(StkSimSetPopulation(sim, pop));
  PetscCall(StkSimSettingsDefault(&set));
  set.type     = STK_SIM_ABM;
  set.n_agents = n;
  set.t_final  = t_final;
  set.every    = 365;
  set.s0       = 0.3;
  set.engine   = c->engine;
  set.types    = c->types;
  set.response = c->response;
  PetscCall(StkSimSetSettings(sim, &set));
  PetscCall(StkSimSetPolicy(sim, StkPolicyConstant, NULL, (void *)&u));
  PetscCall(StkSimSetUp(sim));
  PetscCall(StkSimGetNumRecords(sim, &nrec));
  PetscCall(StkSimGetNumSteps(sim, nsteps));
  PetscCall(PetscMalloc4(nrec, &out.t, nrec, &out.s, nrec, &out.z, nrec, &out.u));
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  t0 = MPI_Wtime();
  for (PetscInt p = 0; p < paths; p++) PetscCall(StkSimRun(sim, p, NULL, &out));
  mine = MPI_Wtime() - t0;
  PetscCallMPI(MPI_Allreduce(&mine, seconds, 1, MPI_DOUBLE, MPI_MAX, PETSC_COMM_WORLD));
  *s_end = out.s[nrec - 1];
  PetscCall(PetscFree4(out.t, out.s, out.z, out.u));
  PetscCall(StkSimDestroy(&sim));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  const BenchCase cases[] = {
    {"block",        STK_ABM_ENGINE_BLOCK, STK_ABM_TRANSITORY, STK_ABM_BEST },
    {"agent",        STK_ABM_ENGINE_AGENT, STK_ABM_TRANSITORY, STK_ABM_BEST },
    {"agent",        STK_ABM_ENGINE_AGENT, STK_ABM_PERSISTENT, STK_ABM_BEST },
    {"agent",        STK_ABM_ENGINE_AGENT, STK_ABM_PERSISTENT, STK_ABM_HEDGE},
  };
  StkPopulation pop;
  PetscInt      n = 100000, paths = 1;
  PetscReal     t_final = 10;
  PetscMPIInt   size;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscOptionsBegin(PETSC_COMM_WORLD, "bench_", "Agent-based engine benchmark", NULL);
  PetscCall(PetscOptionsInt("-n", "Agents", NULL, n, &n, NULL));
  PetscCall(PetscOptionsReal("-t_final", "Years of daily steps", NULL, t_final, &t_final, NULL));
  PetscCall(PetscOptionsInt("-paths", "Paths per engine", NULL, paths, &paths, NULL));
  PetscOptionsEnd();
  PetscCall(StkPopulationCreate(PETSC_COMM_WORLD, &pop));
  PetscCall(StkPopulationSetFromOptions(pop));

  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "N = %" PetscInt_FMT " agents, %g years of daily steps, %" PetscInt_FMT " path(s), %d rank(s)\n", n, (double)t_final, paths, (int)size));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%-7s %-11s %-9s %6s %8s %10s %12s %22s\n", "engine", "types", "response", "ranks", "steps", "s(T)", "time (s)", "agent-updates/s/core"));
  for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
    PetscReal seconds = 0, s_end = 0;
    PetscInt  nsteps = 0;

    PetscCall(RunCase(pop, &cases[k], n, t_final, paths, &seconds, &nsteps, &s_end));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%-7s %-11s %-9s %6d %8" PetscInt_FMT " %10.5f %12.4f %22.3e\n", cases[k].name, StkAbmTypesList[cases[k].types], StkAbmResponses[cases[k].response], (int)size, nsteps, (double)s_end, (double)seconds,
                          (double)n * nsteps * paths / seconds / size));
  }
  { /* the floor on many ranks: one MPI_Allreduce of the staker count per step */
    const PetscInt64 nsteps = (PetscInt64)PetscFloorReal(t_final * 365 + 0.5) * paths;
    PetscInt64       one = 1, sum;
    double           t0, mine, seconds;
    PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
    t0 = MPI_Wtime();
    for (PetscInt64 k = 0; k < nsteps; k++) PetscCallMPI(MPI_Allreduce(&one, &sum, 1, MPIU_INT64, MPI_SUM, PETSC_COMM_WORLD));
    mine = MPI_Wtime() - t0;
    PetscCallMPI(MPI_Allreduce(&mine, &seconds, 1, MPI_DOUBLE, MPI_MAX, PETSC_COMM_WORLD));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "synchronization alone: %" PetscInt64_FMT " MPI_Allreduce (one per step) take %.4f s (%.2f us each)\n", nsteps, seconds, 1e6 * seconds / nsteps));
  }
  PetscCall(StkPopulationDestroy(&pop));
  PetscCall(PetscFinalize());
  return 0;
}
