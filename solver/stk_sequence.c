/* Grid sequencing (docs/model.md#policy-iteration): solve on a grid with every other node, then
 * interpolate V and u up as the starting point, so the fine grid needs few Howard
 * iterations.  Also the in-run benchmark of -hjb_bench (one MatMult, peak memory). */
#include "stk_hjbimpl.h"
#include "stk_options.h"
#include <sys/resource.h>

PetscErrorCode StkSolverCanCoarsen(StkGrid grid, PetscBool *can)
{
  PetscInt dim, n[STK_MAX_DIM];

  PetscFunctionBeginUser;
  PetscCall(StkGridGetDimension(grid, &dim));
  PetscCall(StkGridGetSizes(grid, n));
  *can = PETSC_TRUE;
  for (PetscInt k = 0; k < dim; k++)
    if ((n[k] - 1) % 2 || (n[k] - 1) / 2 + 1 < STK_SEQUENCE_MIN_NODES) *can = PETSC_FALSE;
  PetscFunctionReturn(0);
}

/* The grid made of every other node of `fine`; NULL if it cannot be halved
 * (StkSolverCanCoarsen). */
static PetscErrorCode CoarsenGrid(StkGrid fine, StkGrid *coarse)
{
  PetscBool can;

  PetscFunctionBeginUser;
  *coarse = NULL;
  PetscCall(StkSolverCanCoarsen(fine, &can));
  if (can) PetscCall(StkGridCreateCoarsened(fine, coarse));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverCreateLike(StkSolver S, StkGrid grid, StkSolver *coarse)
{
  StkSolver C;
  KSPType   ksp_type;
  PCType    pc_type;
  PC        pc;

  PetscFunctionBeginUser;
  PetscCall(StkSolverCreate(S->comm, &C));
  PetscCall(StkSolverSetOptionsPrefix(C, S->prefix));
  PetscCall(StkSolverSetModel(C, S->model));
  PetscCall(StkSolverSetGrid(C, grid));
  C->rtol            = PetscMax(S->rtol, S->sequence_rtol);
  C->ksp_rtol_option = S->ksp_rtol_option;
  C->forcing         = S->forcing;
  C->pc_reuse_below  = S->pc_reuse_below;
  C->linear_target   = S->linear_target; /* used on the user's grid only */
  C->max_it          = S->max_it;
  C->greedy          = S->greedy;
  C->central         = S->central;
  C->greedy_newton   = S->greedy_newton;
  C->exact_samples   = S->exact_samples;
  C->monitor         = S->monitor;
  C->sequence        = S->sequence - 1;
  C->sequence_rtol   = S->sequence_rtol;
  C->level           = S->level + 1;
  C->estimate        = S->estimate;
  PetscCall(KSPGetType(S->ksp, &ksp_type));
  PetscCall(KSPGetPC(S->ksp, &pc));
  PetscCall(PCGetType(pc, &pc_type));
  PetscCall(StkSolverConfigureKSP(C, ksp_type, pc_type));
  *coarse = C;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverOwnedCoordinates(StkSolver S, PetscReal **x)
{
  const PetscInt dim = S->model->dim;
  StkNode        node;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(S->layout.nowned * dim, x));
  for (PetscInt o = 0; o < S->layout.nowned; o++) {
    PetscCall(StkLayoutNode(S, o, &node));
    for (PetscInt k = 0; k < dim; k++) (*x)[o * dim + k] = node.x[k];
  }
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverInterpolateFrom(StkSolver C, StkSolver S, Vec Vfine, Vec ufine)
{
  PetscReal   *x;
  PetscScalar *Vf, *uf;

  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(STK_EVENT_Interpolate, 0, 0, 0, 0));
  PetscCall(StkSolverOwnedCoordinates(S, &x));
  PetscCall(VecGetArray(Vfine, &Vf));
  PetscCall(StkGridInterpolateVecAt(C->grid, C->V, 1, S->layout.nowned, x, Vf));
  PetscCall(VecRestoreArray(Vfine, &Vf));
  if (ufine) {
    PetscCall(VecGetArray(ufine, &uf));
    PetscCall(StkGridInterpolateVecAt(C->grid, C->u, S->model->nu, S->layout.nowned, x, uf));
    PetscCall(VecRestoreArray(ufine, &uf));
  }
  PetscCall(PetscFree(x));
  PetscCall(PetscLogEventEnd(STK_EVENT_Interpolate, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverKeepForEstimate(StkSolver C, StkSolver S, Vec interpolated)
{
  PetscFunctionBeginUser;
  if (!S->estimate) PetscFunctionReturn(0);
  for (PetscInt l = 1; l < STK_ESTIMATE_LEVELS; l++) S->chain[l] = C->chain[l - 1];
  if (!S->V_coarse) PetscCall(VecDuplicate(S->V, &S->V_coarse));
  if (interpolated) PetscCall(VecCopy(interpolated, S->V_coarse));
  else PetscCall(StkSolverInterpolateFrom(C, S, S->V_coarse, NULL));
  PetscFunctionReturn(0);
}

/* The two grids below the user's are kept (with their grids) while the estimate may still
 * need their stationary densities, computed only when the user's density is; the others
 * are destroyed. */
static PetscErrorCode KeepOrDestroy(StkSolver S, StkSolver *C, StkGrid *grid)
{
  PetscFunctionBeginUser;
  if (S->estimate && (*C)->level < STK_ESTIMATE_LEVELS) {
    PetscCall(KSPReset((*C)->ksp)); /* its AMG hierarchy: the density needs only its matrix and policy */
    PetscCall(StkSolverDestroy(&S->coarse));
    (*C)->own_grid = *grid;
    S->coarse      = *C;
    *C             = NULL;
    *grid          = NULL;
    PetscFunctionReturn(0);
  }
  PetscCall(StkSolverDestroy(C));
  PetscCall(StkGridDestroy(grid));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverSequence(StkSolver S)
{
  StkGrid        grid;
  StkSolver      C;
  PetscLogDouble t0, t1;
  PetscInt       n[STK_MAX_DIM], dim;

  PetscFunctionBeginUser;
  PetscCall(PetscTime(&t0));
  PetscCall(CoarsenGrid(S->grid, &grid));
  if (!grid) PetscFunctionReturn(0);
  PetscCall(StkSolverCreateLike(S, grid, &C));
  if (S->monitor) {
    PetscCall(StkGridGetDimension(grid, &dim));
    PetscCall(StkGridGetSizes(grid, n));
    PetscCall(PetscPrintf(S->comm, "  grid sequencing, level %" PetscInt_FMT ": %" PetscInt_FMT, C->level, n[0]));
    for (PetscInt k = 1; k < dim; k++) PetscCall(PetscPrintf(S->comm, " x %" PetscInt_FMT, n[k]));
    PetscCall(PetscPrintf(S->comm, " nodes\n"));
  }
  PetscCall(StkSolverSolve(C));
  PetscCall(StkSolverInterpolateFrom(C, S, S->V, S->u));
  PetscCall(StkSolverKeepForEstimate(C, S, S->V));
  S->stats.coarse_levels         = 1 + C->stats.coarse_levels;
  S->stats.coarse_iterations     = C->stats.iterations + C->stats.coarse_iterations;
  S->stats.coarse_ksp_iterations = C->stats.ksp_iterations + C->stats.coarse_ksp_iterations;
  PetscCall(KeepOrDestroy(S, &C, &grid));
  PetscCall(PetscTime(&t1));
  S->stats.coarse_time = t1 - t0;
  if (S->monitor) PetscCall(PetscPrintf(S->comm, "  grid sequencing, level %" PetscInt_FMT ": the user's grid\n", S->level));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverSolveCoarseForEstimate(StkSolver S)
{
  StkGrid   grid;
  StkSolver C;

  PetscFunctionBeginUser;
  PetscCall(CoarsenGrid(S->grid, &grid));
  if (!grid) PetscFunctionReturn(0);
  PetscCall(StkSolverCreateLike(S, grid, &C));
  C->sequence = 1; /* one grid more below it: three grids give the observed order */
  PetscCall(StkSolverSolve(C));
  PetscCall(StkSolverKeepForEstimate(C, S, NULL));
  PetscCall(KeepOrDestroy(S, &C, &grid));
  PetscFunctionReturn(0);
}

PetscErrorCode StkCPUTime(PetscLogDouble *t)
{
  struct rusage usage;

  PetscFunctionBeginUser;
  PetscCheck(getrusage(RUSAGE_SELF, &usage) == 0, PETSC_COMM_SELF, PETSC_ERR_SYS, "getrusage failed");
  *t = (PetscLogDouble)usage.ru_utime.tv_sec + 1e-6 * (PetscLogDouble)usage.ru_utime.tv_usec + (PetscLogDouble)usage.ru_stime.tv_sec + 1e-6 * (PetscLogDouble)usage.ru_stime.tv_usec;
  PetscFunctionReturn(0);
}

PetscErrorCode StkCPUTimeSince(StkSolver S, PetscLogDouble t0, PetscReal *seconds)
{
  PetscLogDouble t1;

  PetscFunctionBeginUser;
  PetscCall(StkCPUTime(&t1));
  *seconds = (PetscReal)(t1 - t0);
  PetscCall(MPIU_Allreduce(MPI_IN_PLACE, seconds, 1, MPIU_REAL, MPIU_SUM, S->comm));
  PetscFunctionReturn(0);
}

/* Seconds per MatMult with the final matrix: the best of a few batches, so that a
 * busy machine disturbs it less (the solve itself is timed once). */
static PetscErrorCode TimeMatMult(StkSolver S, PetscReal *seconds)
{
  Vec            y;
  PetscLogDouble t0, t1;
  PetscReal      best = PETSC_MAX_REAL;
  PetscInt       reps = 1;

  PetscFunctionBeginUser;
  PetscCall(VecDuplicate(S->V, &y));
  PetscCall(MatMult(S->A, S->V, y)); /* warm up */
  for (PetscInt batch = 0; batch < 5; batch++) {
    PetscCallMPI(MPI_Barrier(S->comm));
    PetscCall(PetscTime(&t0));
    for (PetscInt r = 0; r < reps; r++) PetscCall(MatMult(S->A, S->V, y));
    PetscCallMPI(MPI_Barrier(S->comm));
    PetscCall(PetscTime(&t1));
    best = PetscMin(best, (PetscReal)(t1 - t0) / reps);
    if (t1 - t0 < 0.02) reps *= 4; /* batches of at least ~20 ms */
  }
  PetscCall(MPIU_Allreduce(MPI_IN_PLACE, &best, 1, MPIU_REAL, MPIU_MAX, S->comm));
  *seconds = best;
  PetscCall(VecDestroy(&y));
  PetscFunctionReturn(0);
}

/* One linear solve of the final matrix from zero to relative residual 1e-8 with the
 * policy evaluation's solver configuration (GMRES + BoomerAMG and whatever -hjb_ksp_* /
 * -hjb_pc_* set, so a tuned BoomerAMG is measured against itself): the limit the whole
 * HJB solve is measured against.  Setup included, as in every Howard step. */
static PetscErrorCode TimeOneLinearSolve(StkSolver S, PetscReal *wall, PetscReal *cpu)
{
  KSP            ksp;
  PC             pc;
  Vec            x;
  PetscLogDouble t0, t1, c0;
  char           pre[256];

  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixCompose(S->prefix, "hjb_", pre, sizeof(pre)));
  PetscCall(KSPCreate(S->comm, &ksp));
  PetscCall(KSPSetOptionsPrefix(ksp, pre));
  PetscCall(KSPSetOperators(ksp, S->A, S->A));
  PetscCall(KSPSetType(ksp, KSPGMRES));
  PetscCall(KSPSetPCSide(ksp, PC_RIGHT));
  PetscCall(KSPSetNormType(ksp, KSP_NORM_UNPRECONDITIONED));
  PetscCall(KSPGetPC(ksp, &pc));
  PetscCall(PCSetType(pc, PCHYPRE));
  PetscCall(KSPSetFromOptions(ksp));
  PetscCall(KSPSetTolerances(ksp, 1e-8, 1e-300, PETSC_MAX_REAL, 10000)); /* whatever -hjb_ksp_rtol says */
  PetscCall(KSPSetReusePreconditioner(ksp, PETSC_FALSE));
  PetscCall(VecDuplicate(S->V, &x));
  PetscCall(VecSet(x, 0));
  PetscCallMPI(MPI_Barrier(S->comm));
  PetscCall(PetscTime(&t0));
  PetscCall(StkCPUTime(&c0));
  PetscCall(KSPSolve(ksp, S->rhs, x));
  PetscCall(StkCPUTimeSince(S, c0, cpu));
  PetscCallMPI(MPI_Barrier(S->comm));
  PetscCall(PetscTime(&t1));
  PetscCall(KSPGetIterationNumber(ksp, &S->stats.linear_solve_iterations));
  *wall = t1 - t0;
  PetscCall(VecDestroy(&x));
  PetscCall(KSPDestroy(&ksp));
  PetscFunctionReturn(0);
}

/* The best of three solves (wall and CPU each): on a shared machine one solve's time
 * varied by 15-30 %, which moved the ratio of the HJB solve to it by as much; the minimum
 * is the machine's undisturbed speed, so the ratio errs on the high side. */
static PetscErrorCode TimeLinearSolve(StkSolver S)
{
  PetscFunctionBeginUser;
  S->stats.linear_solve_time = S->stats.linear_solve_cpu_time = PETSC_MAX_REAL;
  for (PetscInt r = 0; r < 3; r++) {
    PetscReal wall = 0, cpu = 0; /* set by the call (the compiler cannot see it through PetscCall) */
    PetscCall(TimeOneLinearSolve(S, &wall, &cpu));
    S->stats.linear_solve_time     = PetscMin(S->stats.linear_solve_time, wall);
    S->stats.linear_solve_cpu_time = PetscMin(S->stats.linear_solve_cpu_time, cpu);
  }
  PetscFunctionReturn(0);
}

/* Seconds of an event summed over the stages it ran in (logging on: -hjb_bench). */
static PetscErrorCode EventTime(const char name[], PetscReal *seconds)
{
  PetscLogEvent      event;
  PetscEventPerfInfo info;
  const PetscLogStage stages[] = {STK_STAGE_Assemble, STK_STAGE_LinearSolve, STK_STAGE_Improve, STK_STAGE_Density};

  PetscFunctionBeginUser;
  *seconds = 0;
  PetscCall(PetscLogEventGetId(name, &event));
  for (size_t k = 0; k < sizeof(stages) / sizeof(stages[0]); k++) {
    PetscCall(PetscLogEventGetPerfInfo(stages[k], event, &info));
    *seconds += info.time;
  }
  PetscFunctionReturn(0);
}

/* Where the solve's time went: assembly, the preconditioner's setup and application,
 * policy improvement (max over ranks, coarse grids of the sequence included). */
static PetscErrorCode StageTimes(StkSolver S)
{
  PetscReal t[4];

  PetscFunctionBeginUser;
  PetscCall(EventTime("StkAssemble", &t[0]));
  PetscCall(EventTime("PCSetUp", &t[1]));
  PetscCall(EventTime("PCApply", &t[2]));
  PetscCall(EventTime("StkImprove", &t[3]));
  PetscCall(MPIU_Allreduce(MPI_IN_PLACE, t, 4, MPIU_REAL, MPIU_MAX, S->comm));
  S->stats.assemble_time = t[0];
  S->stats.pc_setup_time = t[1];
  S->stats.pc_apply_time = t[2];
  S->stats.improve_time  = t[3];
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverBenchmark(StkSolver S)
{
  struct rusage  usage;
  PetscReal      mem[2];

  PetscFunctionBeginUser;
  PetscCall(StageTimes(S)); /* before the benchmark's own solves add to the events */
  /* Peak resident set (Linux: kilobytes), which also sees hypre's own allocations; before
   * the benchmark's linear solve builds a second hierarchy */
  PetscCheck(getrusage(RUSAGE_SELF, &usage) == 0, PETSC_COMM_SELF, PETSC_ERR_SYS, "getrusage failed");
  mem[0] = 1024.0 * (PetscReal)usage.ru_maxrss;
  mem[1] = mem[0] - (PetscReal)S->memory_at_create;
  PetscCall(MPIU_Allreduce(MPI_IN_PLACE, mem, 2, MPIU_REAL, MPIU_SUM, S->comm));
  S->stats.memory_peak   = mem[0];
  S->stats.memory_solver = mem[1];
  PetscCall(TimeMatMult(S, &S->stats.matmult_time));
  PetscCall(TimeLinearSolve(S));
  PetscFunctionReturn(0);
}
