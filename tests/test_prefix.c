/* Options prefixes per object (grids/stk_options.h, issue 11 item 3) for the grid, the
 * population, the simulation, the solver (and its KSP and the coarse solvers of grid
 * sequencing) and the convergence study: an object with the user prefix "bear_" reads
 * -bear_<class><name> and one without does not; Append composes ("a_" then "b_" reads
 * -a_b_<class><name>); a prefix starting with '-' is refused; errors name the option
 * with the prefix in force; the unprefixed spelling keeps working.  Every test runs on
 * a database of its own (PetscOptionsPush), so none sees another's options. */
#include "stk_test.h"
#include <string.h>
#include "stk_sim.h"
#include "stk_converge.h"
#include "stk_simulation.h"
#include "stk_compare.h"

/* A fresh options database holding `options`, made the default until pop_options. */
static void push_options(PetscOptions *db, const char options[])
{
  assert_petsc(PetscOptionsCreate(db));
  assert_petsc(PetscOptionsInsertString(*db, options));
  assert_petsc(PetscOptionsPush(*db));
}

static void pop_options(PetscOptions *db)
{
  assert_petsc(PetscOptionsPop());
  assert_petsc(PetscOptionsDestroy(db));
}

/* `call` fails with `code` and its message contains `text` (PETSc keeps the message
 * of the last error raised; the handler only returns, printing nothing). */
#define assert_fails_with(call, code, text) \
  do { \
    char *specific_ = NULL; \
    assert_petsc(PetscPushErrorHandler(PetscReturnErrorHandler, NULL)); \
    assert_int_equal((int)(call), (int)(code)); \
    assert_petsc(PetscPopErrorHandler()); \
    assert_petsc(PetscErrorMessage((code), NULL, &specific_)); \
    if (!specific_ || !strstr(specific_, (text))) fail_msg("error message '%s' does not contain '%s'", specific_ ? specific_ : "(none)", (text)); \
  } while (0)

/* The prefix an object reports: "" for none. */
static void assert_prefix(const char *prefix, const char expect[])
{
  assert_string_equal(prefix ? prefix : "", expect);
}

/* ---------------------------------------------------------------- StkGrid */

/* A 1-D grid with the given prefix (NULL: none), configured from the options. */
static PetscErrorCode GridFromOptions(const char prefix[], StkGrid *grid)
{
  PetscFunctionBeginUser;
  PetscCall(StkGridCreate(PETSC_COMM_WORLD, grid));
  if (prefix) PetscCall(StkGridSetOptionsPrefix(*grid, prefix));
  PetscCall(StkGridSetFromOptions(*grid));
  PetscFunctionReturn(0);
}

static PetscInt GridNodes(const char prefix[])
{
  StkGrid  grid;
  PetscInt n[STK_MAX_DIM];

  assert_petsc(GridFromOptions(prefix, &grid));
  assert_petsc(StkGridGetSizes(grid, n));
  assert_petsc(StkGridDestroy(&grid));
  return n[0];
}

static void test_grid(void **state)
{
  PetscOptions db;
  StkGrid      grid;
  const char  *prefix;

  push_options(&db, "-bear_grid_n 9 -a_b_grid_n 11");
  assert_int_equal(GridNodes("bear_"), 9);
  assert_int_equal(GridNodes(NULL), 33); /* the default: -bear_grid_n is not its option */
  assert_petsc(StkGridCreate(PETSC_COMM_WORLD, &grid));
  assert_petsc(StkGridGetOptionsPrefix(grid, &prefix));
  assert_null(prefix);
  assert_petsc(StkGridSetOptionsPrefix(grid, "a_"));
  assert_petsc(StkGridAppendOptionsPrefix(grid, "b_"));
  assert_petsc(StkGridGetOptionsPrefix(grid, &prefix));
  assert_prefix(prefix, "a_b_");
  assert_petsc(StkGridSetFromOptions(grid));
  {
    PetscInt n[STK_MAX_DIM];
    assert_petsc(StkGridGetSizes(grid, n));
    assert_int_equal(n[0], 11);
  }
  assert_fails_with(StkGridSetOptionsPrefix(grid, "-x_"), PETSC_ERR_ARG_WRONG, "-x_");
  assert_fails_with(StkGridAppendOptionsPrefix(grid, "-x_"), PETSC_ERR_ARG_WRONG, "-x_");
  assert_petsc(StkGridDestroy(&grid));
  pop_options(&db);

  /* the documented spelling without a prefix, and errors that name the prefixed option */
  push_options(&db, "-grid_n 13 -bear_grid_n 2");
  assert_int_equal(GridNodes(NULL), 13);
  assert_fails_with(GridFromOptions("bear_", &grid), PETSC_ERR_ARG_OUTOFRANGE, "-bear_grid_n: need at least 3 nodes");
  assert_petsc(StkGridDestroy(&grid));
  pop_options(&db);
  push_options(&db, "-bear_grid_lo 0.5 -bear_grid_hi 0.25");
  assert_fails_with(GridFromOptions("bear_", &grid), PETSC_ERR_ARG_OUTOFRANGE, "-bear_grid_lo must be below -bear_grid_hi");
  assert_petsc(StkGridDestroy(&grid));
  pop_options(&db);
}

/* ---------------------------------------------------------------- StkPopulation */

static PetscErrorCode PopulationFromOptions(const char prefix[], StkPopulation *pop)
{
  PetscFunctionBeginUser;
  PetscCall(StkPopulationCreate(PETSC_COMM_WORLD, pop));
  if (prefix) PetscCall(StkPopulationSetOptionsPrefix(*pop, prefix));
  PetscCall(StkPopulationSetFromOptions(*pop));
  PetscFunctionReturn(0);
}

static PetscReal PopulationKappa(const char prefix[])
{
  StkPopulation         pop;
  const StkAgentParams *p;
  PetscReal             kappa;

  assert_petsc(PopulationFromOptions(prefix, &pop));
  assert_petsc(StkPopulationGetParams(pop, &p));
  kappa = p->kappa;
  assert_petsc(StkPopulationDestroy(&pop));
  return kappa;
}

static void test_population(void **state)
{
  PetscOptions  db;
  StkPopulation pop;
  const char   *prefix;

  push_options(&db, "-bear_agents_kappa 3.5 -a_b_agents_kappa 4.5");
  assert_close(PopulationKappa("bear_"), 3.5, 0, 0);
  assert_close(PopulationKappa(NULL), 2.0, 0, 0); /* the default */
  assert_petsc(StkPopulationCreate(PETSC_COMM_WORLD, &pop));
  assert_petsc(StkPopulationGetOptionsPrefix(pop, &prefix));
  assert_null(prefix);
  assert_petsc(StkPopulationSetOptionsPrefix(pop, "a_"));
  assert_petsc(StkPopulationAppendOptionsPrefix(pop, "b_"));
  assert_petsc(StkPopulationGetOptionsPrefix(pop, &prefix));
  assert_prefix(prefix, "a_b_");
  assert_petsc(StkPopulationSetFromOptions(pop));
  {
    const StkAgentParams *p;
    assert_petsc(StkPopulationGetParams(pop, &p));
    assert_close(p->kappa, 4.5, 0, 0);
  }
  assert_fails_with(StkPopulationSetOptionsPrefix(pop, "-x_"), PETSC_ERR_ARG_WRONG, "-x_");
  assert_fails_with(StkPopulationAppendOptionsPrefix(pop, "-x_"), PETSC_ERR_ARG_WRONG, "-x_");
  assert_petsc(StkPopulationDestroy(&pop));
  pop_options(&db);

  push_options(&db, "-agents_kappa 1.5 -bear_agents_kappa -1");
  assert_close(PopulationKappa(NULL), 1.5, 0, 0);
  assert_fails_with(PopulationFromOptions("bear_", &pop), PETSC_ERR_ARG_OUTOFRANGE, "-bear_agents_kappa must be > 0");
  assert_petsc(StkPopulationDestroy(&pop));
  pop_options(&db);
  push_options(&db, "-bear_agents_cost_file /nonexistent/costs.csv");
  assert_fails_with(PopulationFromOptions("bear_", &pop), PETSC_ERR_FILE_OPEN, "-bear_agents_cost_file /nonexistent/costs.csv: cannot open");
  assert_petsc(StkPopulationDestroy(&pop));
  pop_options(&db);
  push_options(&db, "-bear_agents_cost gamma -bear_agents_cost_shape 0");
  assert_fails_with(PopulationFromOptions("bear_", &pop), PETSC_ERR_ARG_OUTOFRANGE, "-bear_agents_cost_shape must be > 0");
  assert_petsc(StkPopulationDestroy(&pop));
  pop_options(&db);
}

/* ---------------------------------------------------------------- StkSim */

static PetscErrorCode SimFromOptions(const char prefix[], StkSim *sim)
{
  PetscFunctionBeginUser;
  PetscCall(StkSimCreate(PETSC_COMM_WORLD, sim));
  if (prefix) PetscCall(StkSimSetOptionsPrefix(*sim, prefix));
  PetscCall(StkSimSetFromOptions(*sim));
  PetscFunctionReturn(0);
}

static PetscReal SimHorizon(const char prefix[])
{
  StkSim                sim;
  const StkSimSettings *set;
  PetscReal             t_final;

  assert_petsc(SimFromOptions(prefix, &sim));
  assert_petsc(StkSimGetSettings(sim, &set));
  t_final = set->t_final;
  assert_petsc(StkSimDestroy(&sim));
  return t_final;
}

static void test_sim(void **state)
{
  PetscOptions db;
  StkSim       sim;
  const char  *prefix;

  push_options(&db, "-bear_sim_t_final 3 -a_b_sim_t_final 4");
  assert_close(SimHorizon("bear_"), 3, 0, 0);
  assert_close(SimHorizon(NULL), 10, 0, 0); /* the default */
  assert_petsc(StkSimCreate(PETSC_COMM_WORLD, &sim));
  assert_petsc(StkSimGetOptionsPrefix(sim, &prefix));
  assert_null(prefix);
  assert_petsc(StkSimSetOptionsPrefix(sim, "a_"));
  assert_petsc(StkSimAppendOptionsPrefix(sim, "b_"));
  assert_petsc(StkSimGetOptionsPrefix(sim, &prefix));
  assert_prefix(prefix, "a_b_");
  assert_petsc(StkSimSetFromOptions(sim));
  {
    const StkSimSettings *set;
    assert_petsc(StkSimGetSettings(sim, &set));
    assert_close(set->t_final, 4, 0, 0);
  }
  assert_fails_with(StkSimSetOptionsPrefix(sim, "-x_"), PETSC_ERR_ARG_WRONG, "-x_");
  assert_fails_with(StkSimAppendOptionsPrefix(sim, "-x_"), PETSC_ERR_ARG_WRONG, "-x_");
  assert_petsc(StkSimDestroy(&sim));
  pop_options(&db);

  push_options(&db, "-sim_t_final 2 -bear_sim_dt -1");
  assert_close(SimHorizon(NULL), 2, 0, 0);
  assert_fails_with(SimFromOptions("bear_", &sim), PETSC_ERR_ARG_OUTOFRANGE, "-bear_sim_dt must be > 0");
  assert_petsc(StkSimDestroy(&sim));
  pop_options(&db);
  push_options(&db, "-bear_sim_shock_dz 0.01");
  assert_fails_with(SimFromOptions("bear_", &sim), PETSC_ERR_ARG_WRONG, "-bear_sim_shock_dz and -bear_sim_shock_frac need -bear_sim_shock_t");
  assert_petsc(StkSimDestroy(&sim));
  pop_options(&db);
}

/* ---------------------------------------------------------------- StkSolver */

typedef struct {
  StkModel  model;
  StkGrid   grid;
  StkSolver solver;
} Problem;

/* The 1-D LQ problem on 33 nodes (the model and grid without options of their own, so
 * only the solver's prefix matters); the solver gets `prefix` and reads its options. */
static PetscErrorCode ProblemCreate(const char prefix[], Problem *P)
{
  const PetscInt n[1] = {33};

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(P, sizeof(*P)));
  PetscCall(StkModelCreate(PETSC_COMM_WORLD, &P->model));
  PetscCall(StkModelSetType(P->model, "lq"));
  PetscCall(StkModelSetDimension(P->model, 1));
  PetscCall(StkModelSetFromOptions(P->model));
  PetscCall(StkGridCreate(PETSC_COMM_WORLD, &P->grid));
  PetscCall(StkModelConfigureGrid(P->model, P->grid));
  PetscCall(StkGridSetSizes(P->grid, n));
  PetscCall(StkSolverCreate(PETSC_COMM_WORLD, &P->solver));
  PetscCall(StkSolverSetModel(P->solver, P->model));
  PetscCall(StkSolverSetGrid(P->solver, P->grid));
  if (prefix) PetscCall(StkSolverSetOptionsPrefix(P->solver, prefix));
  PetscCall(StkSolverSetFromOptions(P->solver));
  PetscFunctionReturn(0);
}

static void ProblemDestroy(Problem *P)
{
  assert_petsc(StkSolverDestroy(&P->solver));
  assert_petsc(StkGridDestroy(&P->grid));
  assert_petsc(StkModelDestroy(&P->model));
}

/* Howard iterations of a solve with the given prefix. */
static PetscInt SolverIterations(const char prefix[])
{
  Problem        P;
  StkSolverStats st;

  assert_petsc(ProblemCreate(prefix, &P));
  assert_petsc(StkSolverSolve(P.solver));
  assert_petsc(StkSolverGetStats(P.solver, &st));
  ProblemDestroy(&P);
  return st.iterations;
}

static void assert_ksp_prefix(StkSolver solver, const char expect[])
{
  KSP         ksp;
  PC          pc;
  const char *prefix;

  assert_petsc(StkSolverGetKSP(solver, &ksp));
  assert_petsc(KSPGetOptionsPrefix(ksp, &prefix));
  assert_prefix(prefix, expect);
  assert_petsc(KSPGetPC(ksp, &pc));
  assert_petsc(PCGetOptionsPrefix(pc, &prefix));
  assert_prefix(prefix, expect);
}

static void test_solver(void **state)
{
  PetscOptions db;
  Problem      P;
  StkSolver    solver;
  const char  *prefix;
  KSP          ksp;
  KSPType      type;

  /* -max_it 1 stops after one Howard iteration; the LQ solve needs more */
  push_options(&db, "-bear_hjb_max_it 1 -a_b_hjb_max_it 1");
  assert_int_equal(SolverIterations("bear_"), 1);
  assert_int_equal(SolverIterations("a_b_"), 1);
  assert_true(SolverIterations(NULL) > 1);
  assert_petsc(StkSolverCreate(PETSC_COMM_WORLD, &solver));
  assert_petsc(StkSolverGetOptionsPrefix(solver, &prefix));
  assert_null(prefix);
  assert_ksp_prefix(solver, "hjb_");
  assert_petsc(StkSolverSetOptionsPrefix(solver, "a_"));
  assert_ksp_prefix(solver, "a_hjb_");
  assert_petsc(StkSolverAppendOptionsPrefix(solver, "b_"));
  assert_petsc(StkSolverGetOptionsPrefix(solver, &prefix));
  assert_prefix(prefix, "a_b_");
  assert_ksp_prefix(solver, "a_b_hjb_");
  assert_fails_with(StkSolverSetOptionsPrefix(solver, "-x_"), PETSC_ERR_ARG_WRONG, "-x_");
  assert_fails_with(StkSolverAppendOptionsPrefix(solver, "-x_"), PETSC_ERR_ARG_WRONG, "-x_");
  assert_ksp_prefix(solver, "a_b_hjb_"); /* unchanged by the refused prefixes */
  assert_petsc(StkSolverSetOptionsPrefix(solver, NULL));
  assert_ksp_prefix(solver, "hjb_");
  assert_petsc(StkSolverDestroy(&solver));
  pop_options(&db);

  /* the KSP reads USER + hjb_ options, and the unprefixed spelling keeps working */
  push_options(&db, "-bear_hjb_ksp_type cg -hjb_ksp_type bcgs");
  assert_petsc(ProblemCreate("bear_", &P));
  assert_petsc(StkSolverGetKSP(P.solver, &ksp));
  assert_petsc(KSPGetType(ksp, &type));
  assert_string_equal(type, KSPCG);
  ProblemDestroy(&P);
  assert_petsc(ProblemCreate(NULL, &P));
  assert_petsc(StkSolverGetKSP(P.solver, &ksp));
  assert_petsc(KSPGetType(ksp, &type));
  assert_string_equal(type, KSPBCGS);
  ProblemDestroy(&P);
  pop_options(&db);

  /* the coarse solvers of grid sequencing inherit the prefix: options that would break
   * every linear solve of an unprefixed solver leave the bear_ solver (and its coarse
   * grids) alone */
  push_options(&db, "-hjb_ksp_max_it 1 -hjb_pc_type none -hjb_linear_forcing 0");
  {
    StkSolverStats st;
    assert_petsc(ProblemCreate("bear_", &P));
    assert_petsc(StkSolverSolve(P.solver));
    assert_petsc(StkSolverGetStats(P.solver, &st));
    assert_true(st.converged);
    assert_int_equal(st.coarse_levels, 2); /* 33 -> 17 -> 9 nodes */
    ProblemDestroy(&P);
  }
  pop_options(&db);
  /* ... and read the prefixed ones: the first linear solve (on the coarsest grid) fails,
   * its message naming the KSP's options with the prefix */
  push_options(&db, "-bear_hjb_ksp_max_it 1 -bear_hjb_pc_type none -bear_hjb_linear_forcing 0");
  assert_petsc(ProblemCreate("bear_", &P));
  assert_fails_with(StkSolverSolve(P.solver), PETSC_ERR_NOT_CONVERGED, "try -bear_hjb_pc_type lu or -bear_hjb_ksp_monitor");
  ProblemDestroy(&P);
  pop_options(&db);

  push_options(&db, "-bear_hjb_rtol 2");
  assert_fails_with(ProblemCreate("bear_", &P), PETSC_ERR_ARG_OUTOFRANGE, "-bear_hjb_rtol must lie in (0, 1)");
  ProblemDestroy(&P);
  assert_petsc(ProblemCreate(NULL, &P)); /* not its option */
  ProblemDestroy(&P);
  pop_options(&db);
}

/* ---------------------------------------------------------------- StkConverge */

typedef struct {
  StkModel    model;
  StkConverge conv;
} Study;

/* A convergence study of the 1-D LQ problem with the given prefix, from the options. */
static PetscErrorCode StudyCreate(const char prefix[], Study *S)
{
  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(S, sizeof(*S)));
  PetscCall(StkModelCreate(PETSC_COMM_WORLD, &S->model));
  PetscCall(StkModelSetType(S->model, "lq"));
  PetscCall(StkModelSetDimension(S->model, 1));
  PetscCall(StkModelSetFromOptions(S->model));
  PetscCall(StkConvergeCreate(PETSC_COMM_WORLD, &S->conv));
  if (prefix) PetscCall(StkConvergeSetOptionsPrefix(S->conv, prefix));
  PetscCall(StkConvergeSetModel(S->conv, S->model));
  PetscCall(StkConvergeSetFromOptions(S->conv));
  PetscFunctionReturn(0);
}

static void StudyDestroy(Study *S)
{
  assert_petsc(StkConvergeDestroy(&S->conv));
  assert_petsc(StkModelDestroy(&S->model));
}

static PetscInt StudyLevels(const char prefix[])
{
  Study    S;
  PetscInt nl;

  assert_petsc(StudyCreate(prefix, &S));
  assert_petsc(StkConvergeGetNumLevels(S.conv, &nl));
  StudyDestroy(&S);
  return nl;
}

static void test_converge(void **state)
{
  PetscOptions db;
  Study        S;
  StkConverge  conv;
  const char  *prefix;

  push_options(&db, "-bear_converge_levels 4 -a_b_converge_levels 6");
  assert_int_equal(StudyLevels("bear_"), 4);
  assert_int_equal(StudyLevels("a_b_"), 6);
  assert_int_equal(StudyLevels(NULL), 5); /* the default */
  assert_petsc(StkConvergeCreate(PETSC_COMM_WORLD, &conv));
  assert_petsc(StkConvergeGetOptionsPrefix(conv, &prefix));
  assert_null(prefix);
  assert_petsc(StkConvergeSetOptionsPrefix(conv, "a_"));
  assert_petsc(StkConvergeAppendOptionsPrefix(conv, "b_"));
  assert_petsc(StkConvergeGetOptionsPrefix(conv, &prefix));
  assert_prefix(prefix, "a_b_");
  assert_fails_with(StkConvergeSetOptionsPrefix(conv, "-x_"), PETSC_ERR_ARG_WRONG, "-x_");
  assert_fails_with(StkConvergeAppendOptionsPrefix(conv, "-x_"), PETSC_ERR_ARG_WRONG, "-x_");
  assert_petsc(StkConvergeDestroy(&conv));
  pop_options(&db);

  push_options(&db, "-converge_levels 3 -bear_converge_levels 2");
  assert_int_equal(StudyLevels(NULL), 3);
  assert_fails_with(StudyCreate("bear_", &S), PETSC_ERR_ARG_OUTOFRANGE, "-bear_converge_levels must lie in [3, 10]");
  StudyDestroy(&S);
  pop_options(&db);

  /* the study hands its prefix to every level's grid and solver: their bad options stop
   * the first level, named with the prefix (and an unprefixed study ignores them) */
  push_options(&db, "-bear_grid_lo 0.5 -bear_grid_hi 0.25");
  assert_petsc(StudyCreate("bear_", &S));
  assert_fails_with(StkConvergeRun(S.conv), PETSC_ERR_ARG_OUTOFRANGE, "-bear_grid_lo must be below -bear_grid_hi");
  StudyDestroy(&S);
  pop_options(&db);
  push_options(&db, "-bear_hjb_rtol 2 -converge_levels 3 -converge_nmin 9");
  assert_petsc(StudyCreate("bear_", &S));
  assert_fails_with(StkConvergeRun(S.conv), PETSC_ERR_ARG_OUTOFRANGE, "-bear_hjb_rtol must lie in (0, 1)");
  StudyDestroy(&S);
  assert_petsc(StudyCreate(NULL, &S));
  assert_petsc(StkConvergeRun(S.conv));
  StudyDestroy(&S);
  pop_options(&db);
}

/* ---------------------------------------------------------------- experiments */

/* The start of path 0 and the horizon of an engine configured with `prefix`. */
static void EvaluateFromOptions(const char prefix[], PetscReal *s0, PetscReal *t_final)
{
  StkEvaluate           ev;
  StkSim                sim;
  const StkSimSettings *set;
  PetscReal             z0;

  assert_petsc(StkEvaluateCreate(PETSC_COMM_WORLD, &ev));
  if (prefix) assert_petsc(StkEvaluateSetOptionsPrefix(ev, prefix));
  assert_petsc(StkEvaluateSetFromOptions(ev));
  assert_petsc(StkEvaluateGetStart(ev, 0, s0, &z0));
  assert_petsc(StkEvaluateGetSim(ev, &sim));
  assert_petsc(StkSimGetSettings(sim, &set));
  *t_final = set->t_final;
  assert_petsc(StkEvaluateDestroy(&ev));
}

/* StkEvaluate reads under USER + "eval_" and hands USER to its simulator; StkSimulation
 * hands USER to its engine; StkCompare reads under USER + "compare_". */
static void test_experiments(void **state)
{
  PetscOptions  db;
  StkEvaluate   ev;
  StkSimulation sm;
  StkCompare    cmp;
  StkSim        sim;
  const char   *prefix;
  PetscReal     s0, t_final;
  PetscInt      npaths;

  push_options(&db, "-bear_eval_start fixed -bear_eval_s0 0.3 -bear_sim_t_final 3 -a_b_eval_s0 0.4 -x_compare_paths 7 -x_compare_samples 2");
  EvaluateFromOptions("bear_", &s0, &t_final);
  assert_true(s0 == 0.3 && t_final == 3);
  EvaluateFromOptions(NULL, &s0, &t_final);
  assert_true(s0 == 0.2 + 0.65 * 0.5 && t_final == 10); /* the defaults: golden, 10 yr */
  assert_petsc(StkEvaluateCreate(PETSC_COMM_WORLD, &ev));
  assert_petsc(StkEvaluateSetOptionsPrefix(ev, "a_"));
  assert_petsc(StkEvaluateAppendOptionsPrefix(ev, "b_"));
  assert_petsc(StkEvaluateGetOptionsPrefix(ev, &prefix));
  assert_prefix(prefix, "a_b_");
  assert_petsc(StkEvaluateGetSim(ev, &sim));
  assert_petsc(StkSimGetOptionsPrefix(sim, &prefix));
  assert_prefix(prefix, "a_b_");
  assert_fails_with(StkEvaluateSetOptionsPrefix(ev, "-x_"), PETSC_ERR_ARG_WRONG, "-x_");
  assert_petsc(StkEvaluateDestroy(&ev));

  assert_petsc(StkSimulationCreate(PETSC_COMM_WORLD, &sm));
  assert_petsc(StkSimulationSetOptionsPrefix(sm, "bear_"));
  assert_petsc(StkSimulationSetFromOptions(sm));
  assert_petsc(StkSimulationGetOptionsPrefix(sm, &prefix));
  assert_prefix(prefix, "bear_");
  assert_petsc(StkSimulationGetEvaluate(sm, &ev));
  assert_petsc(StkEvaluateGetSim(ev, &sim));
  {
    const StkSimSettings *set;
    assert_petsc(StkSimGetSettings(sim, &set));
    assert_true(set->t_final == 3);
  }
  assert_fails_with(StkSimulationAppendOptionsPrefix(sm, "-x_"), PETSC_ERR_ARG_WRONG, "-x_");
  assert_petsc(StkSimulationDestroy(&sm));

  assert_petsc(StkCompareCreate(PETSC_COMM_WORLD, &cmp));
  assert_petsc(StkCompareSetOptionsPrefix(cmp, "x_"));
  assert_petsc(StkCompareGetOptionsPrefix(cmp, &prefix));
  assert_prefix(prefix, "x_");
  assert_petsc(StkCompareSetFromOptions(cmp));
  assert_petsc(StkCompareSetOutput(cmp, "/tmp/unused.h5"));
  assert_petsc(StkCompareGetSizes(cmp, NULL, &npaths, NULL));
  assert_int_equal(npaths, 7);
  assert_petsc(StkCompareSetPaths(cmp, 1));
  assert_fails_with(StkCompareSetUp(cmp), PETSC_ERR_ARG_OUTOFRANGE, "-x_compare_paths must be >= 2, got 1");
  assert_fails_with(StkCompareSetOptionsPrefix(cmp, "-x_"), PETSC_ERR_ARG_WRONG, "-x_");
  assert_petsc(StkCompareDestroy(&cmp));
  pop_options(&db);
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(test_grid),
  cmocka_unit_test(test_population),
  cmocka_unit_test(test_sim),
  cmocka_unit_test(test_solver),
  cmocka_unit_test(test_converge),
  cmocka_unit_test(test_experiments),
};

STK_TEST_MAIN(tests)
