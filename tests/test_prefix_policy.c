/* Per-object options prefixes (PREFIX.md) of the model (and the population it owns), the
 * policy (and the model it builds), the network and the refinement: with
 * "-bear_<class><name> V" in the database an object given SetOptionsPrefix(obj, "bear_")
 * reads it and one without does not; AppendOptionsPrefix composes; a prefix starting
 * with '-' errors; errors name the option with the prefix in force.  Each test runs on
 * its own options database. */
#include "stk_test_problem.h"
#include "stk_policy.h"
#include "stk_refine.h"
#include <string.h>
#include <unistd.h>

static PetscOptions db;

/* `options` become the only options database until PopOptions. */
static void PushOptions(const char options[])
{
  assert_petsc(PetscOptionsCreate(&db));
  assert_petsc(PetscOptionsInsertString(db, options));
  assert_petsc(PetscOptionsPush(db));
}

static void PopOptions(void)
{
  assert_petsc(PetscOptionsPop());
  assert_petsc(PetscOptionsDestroy(&db));
}

typedef struct {
  char message[1024];
} ErrorRecord;

static PetscErrorCode RecordError(MPI_Comm comm, int line, const char *fun, const char *file, PetscErrorCode n, PetscErrorType p, const char *mess, void *ctx)
{
  ErrorRecord *rec = (ErrorRecord *)ctx;
  if (p == PETSC_ERROR_INITIAL && mess) snprintf(rec->message, sizeof(rec->message), "%s", mess);
  return n;
}

/* `call` fails with a message containing `want`. */
#define expect_error(call, want) \
  do { \
    ErrorRecord    rec_ = {""}; \
    PetscErrorCode ierr_; \
    PetscPushErrorHandler(RecordError, &rec_); \
    ierr_ = (call); \
    PetscPopErrorHandler(); \
    assert_int_not_equal(ierr_, 0); \
    if (!strstr(rec_.message, (want))) print_error("got  \"%s\"\nwant \"...%s...\"\n", rec_.message, (want)); \
    assert_non_null(strstr(rec_.message, (want))); \
  } while (0)

static void assert_prefix(const char *got, const char *want)
{
  if (!want) assert_null(got);
  else {
    assert_non_null(got);
    assert_string_equal(got, want);
  }
}

/* ---- StkModel (and its StkPopulation) ---- */

/* The staking model's sbar (its reference point), rho, dim and its holders' kappa. */
typedef struct {
  PetscInt  dim;
  PetscReal rho, sbar, kappa;
} StakingView;

static StakingView ViewStaking(StkModel m)
{
  StakingView           v;
  PetscReal             ref[STK_MAX_DIM];
  StkPopulation         pop;
  const StkAgentParams *ap;

  assert_petsc(StkModelGetDimension(m, &v.dim));
  assert_petsc(StkModelGetDiscount(m, &v.rho));
  assert_petsc(StkModelGetReferencePoint(m, ref));
  v.sbar = ref[0];
  assert_petsc(StkModelStakingGetPopulation(m, &pop));
  assert_petsc(StkPopulationGetParams(pop, &ap));
  v.kappa = ap->kappa;
  return v;
}

static StkModel ModelFromOptions(const char prefix[])
{
  StkModel m;

  assert_petsc(StkModelCreate(PETSC_COMM_WORLD, &m));
  if (prefix) assert_petsc(StkModelSetOptionsPrefix(m, prefix));
  assert_petsc(StkModelSetFromOptions(m));
  assert_petsc(StkModelSetUp(m));
  return m;
}

static void test_model_staking(void **state)
{
  StkModel       plain, bear;
  StkPopulation  pop;
  StkAgentParams def;
  const char    *pre;
  StakingView    v;

  PushOptions("-bear_model staking -bear_dim 1 -bear_hjb_rho 0.07 -bear_hjb_sbar 0.5 -bear_agents_kappa 3 -model lq");
  assert_petsc(StkAgentParamsDefault(&def));
  bear = ModelFromOptions("bear_");
  v    = ViewStaking(bear);
  assert_int_equal(v.dim, 1);
  assert_close(v.rho, 0.07, 0, 0);
  assert_close(v.sbar, 0.5, 0, 0);
  assert_close(v.kappa, 3, 0, 0);
  assert_petsc(StkModelGetOptionsPrefix(bear, &pre));
  assert_prefix(pre, "bear_");
  assert_petsc(StkModelStakingGetPopulation(bear, &pop));
  assert_petsc(StkPopulationGetOptionsPrefix(pop, &pre));
  assert_prefix(pre, "bear_");
  /* without the prefix: -model lq, none of the -bear_ values */
  plain = ModelFromOptions(NULL);
  {
    const char *type;
    PetscReal   rho;
    assert_petsc(StkModelGetType(plain, &type));
    assert_string_equal(type, STK_MODEL_LQ);
    assert_petsc(StkModelGetDiscount(plain, &rho));
    assert_close(rho, 0.05, 0, 0);
  }
  assert_petsc(StkModelDestroy(&plain));
  assert_petsc(StkModelCreate(PETSC_COMM_WORLD, &plain));
  assert_petsc(StkModelSetType(plain, STK_MODEL_STAKING));
  assert_petsc(StkModelSetUp(plain));
  v = ViewStaking(plain);
  assert_int_equal(v.dim, 2);
  assert_close(v.sbar, 0.6, 0, 0);
  assert_close(v.kappa, def.kappa, 0, 0);
  assert_petsc(StkModelStakingGetPopulation(plain, &pop));
  assert_petsc(StkPopulationGetOptionsPrefix(pop, &pre));
  assert_prefix(pre, NULL);
  assert_petsc(StkModelDestroy(&plain));
  assert_petsc(StkModelDestroy(&bear));
  PopOptions();
}

/* A quantity each test type's own option sets. */
static PetscReal TypeObservable(StkModel m, const char type[])
{
  PetscReal lo[STK_MAX_DIM], hi[STK_MAX_DIM], x[STK_MAX_DIM] = {0.5, 0.5}, u[STK_MAX_CONTROLS] = {0, 0}, a[STK_MAX_DIM];

  assert_petsc(StkModelSetUp(m));
  if (!strcmp(type, STK_MODEL_MMS)) { /* -mms_sigma: a = sigma^2 / 2 */
    assert_petsc(StkModelDiffusion(m, x, u, a));
    return a[0];
  }
  assert_petsc(StkModelGetDefaultBox(m, lo, hi)); /* -lq_box, -bb_box, -merton_whi */
  return hi[0];
}

static void test_model_test_types(void **state)
{
  const struct {
    const char *type, *options;
    PetscReal   value;
  } cases[] = {
    {STK_MODEL_LQ,       "-bear_model lq -bear_dim 1 -bear_lq_box 3 -lq_box 5",                 3   },
    {STK_MODEL_BANGBANG, "-bear_model bangbang -bear_dim 1 -bear_bb_box 3 -bb_box 5",          3   },
    {STK_MODEL_MMS,      "-bear_model mms -bear_dim 1 -bear_mms_sigma 0.1 -mms_sigma 0.2",     0.005},
    {STK_MODEL_MERTON,   "-bear_model merton -bear_dim 1 -bear_merton_whi 4 -merton_whi 5",    4   },
  };

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    StkModel    bear, plain;
    const char *type;

    PushOptions(cases[i].options);
    bear = ModelFromOptions("bear_");
    assert_petsc(StkModelGetType(bear, &type));
    assert_string_equal(type, cases[i].type);
    assert_close(TypeObservable(bear, type), cases[i].value, 1e-15, 0);
    /* the same type without the prefix reads the unprefixed value, not the -bear_ one */
    assert_petsc(StkModelCreate(PETSC_COMM_WORLD, &plain));
    assert_petsc(StkModelSetType(plain, cases[i].type));
    assert_petsc(StkModelSetDimension(plain, 1));
    assert_petsc(StkModelSetFromOptions(plain));
    assert_true(TypeObservable(plain, cases[i].type) != cases[i].value);
    assert_petsc(StkModelDestroy(&plain));
    assert_petsc(StkModelDestroy(&bear));
    PopOptions();
  }
}

static void test_model_append_and_errors(void **state)
{
  StkModel      m;
  StkPopulation pop;
  const char   *pre;
  StakingView   v;

  PushOptions("-bear_x_hjb_rho 0.09 -bear_x_agents_kappa 4 -bear_hjb_rho 0.08");
  assert_petsc(StkModelCreate(PETSC_COMM_WORLD, &m));
  assert_petsc(StkModelSetType(m, STK_MODEL_STAKING));
  assert_petsc(StkModelSetOptionsPrefix(m, "bear_"));
  assert_petsc(StkModelAppendOptionsPrefix(m, "x_"));
  assert_petsc(StkModelGetOptionsPrefix(m, &pre));
  assert_prefix(pre, "bear_x_");
  assert_petsc(StkModelStakingGetPopulation(m, &pop));
  assert_petsc(StkPopulationGetOptionsPrefix(pop, &pre));
  assert_prefix(pre, "bear_x_"); /* the population follows a prefix set after the type */
  assert_petsc(StkModelSetFromOptions(m));
  v = ViewStaking(m);
  assert_close(v.rho, 0.09, 0, 0);
  assert_close(v.kappa, 4, 0, 0);
  expect_error(StkModelSetOptionsPrefix(m, "-bear_"), "must not start with '-'");
  expect_error(StkModelAppendOptionsPrefix(m, "-y_"), "must not start with '-'");
  expect_error(StkPopulationSetOptionsPrefix(pop, "-bear_"), "must not start with '-'");
  assert_petsc(StkModelSetOptionsPrefix(m, NULL));
  assert_petsc(StkModelGetOptionsPrefix(m, &pre));
  assert_prefix(pre, NULL);
  assert_petsc(StkModelDestroy(&m));
  PopOptions();

  /* errors name the option as spelled with the prefix */
  PushOptions("-bear_hjb_rho -1");
  assert_petsc(StkModelCreate(PETSC_COMM_WORLD, &m));
  assert_petsc(StkModelSetOptionsPrefix(m, "bear_"));
  expect_error(StkModelSetFromOptions(m), "-bear_hjb_rho must be > 0, got -1");
  expect_error(StkModelSetType(m, "nosuch"), "Unknown -bear_model 'nosuch' (known: staking, lq");
  expect_error(StkModelSetDimension(m, 4), "-bear_dim must be 1, 2 or 3, got 4");
  expect_error(StkModelSetDimension(m, 3), "-bear_dim must be 1 or 2 for the staking model, got 3");
  assert_petsc(StkModelDestroy(&m));
  PopOptions();
  PushOptions("-bear_agents_cost gamma -bear_agents_cost_file nothere.csv");
  assert_petsc(StkPopulationCreate(PETSC_COMM_WORLD, &pop));
  assert_petsc(StkPopulationSetOptionsPrefix(pop, "bear_"));
  expect_error(StkPopulationSetFromOptions(pop), "-bear_agents_cost_file nothere.csv needs -bear_agents_cost empirical, got -bear_agents_cost gamma");
  assert_petsc(StkPopulationDestroy(&pop));
  PopOptions();
  PushOptions("-bear_hjb_sbar 1.5");
  assert_petsc(StkModelCreate(PETSC_COMM_WORLD, &m));
  assert_petsc(StkModelSetOptionsPrefix(m, "bear_"));
  assert_petsc(StkModelSetFromOptions(m));
  expect_error(StkModelSetUp(m), "-bear_hjb_sbar must lie in (0, 1), got 1.5");
  assert_petsc(StkModelSetType(m, STK_MODEL_LQ));
  expect_error(StkModelStakingGetPopulation(m, &pop), "-bear_model lq has no token holders: use -bear_model staking");
  assert_petsc(StkModelDestroy(&m));
  PopOptions();
}

/* ---- StkPolicy (and the model it builds for itself) ---- */

static StkPolicy PolicyFromOptions(const char prefix[])
{
  StkPolicy p;

  assert_petsc(StkPolicyCreate(PETSC_COMM_WORLD, &p));
  if (prefix) assert_petsc(StkPolicySetOptionsPrefix(p, prefix));
  assert_petsc(StkPolicySetFromOptions(p));
  return p;
}

static PetscReal PolicyAt(StkPolicy p, PetscReal s)
{
  PetscReal x[2] = {s, 0.02}, u;

  assert_petsc(StkPolicyEvaluate(p, 0, x, &u, NULL));
  return u;
}

static void test_policy_parameters(void **state)
{
  StkPolicy   plain, bear;
  const char *type, *pre;
  PetscReal   lo, hi;

  PushOptions("-bear_policy proportional -bear_policy_u 0.04 -bear_policy_gain 0.5 -bear_policy_s_target 0.5 -bear_hjb_u_max 0.08 -policy_u 0.02");
  bear = PolicyFromOptions("bear_");
  assert_petsc(StkPolicyGetType(bear, &type));
  assert_string_equal(type, STK_POLICY_PROPORTIONAL);
  assert_petsc(StkPolicyGetOptionsPrefix(bear, &pre));
  assert_prefix(pre, "bear_");
  assert_close(PolicyAt(bear, 0.45), 0.04 + 0.5 * 0.05, 1e-14, 0);
  assert_close(PolicyAt(bear, 0.3), 0.08, 0, 0); /* 0.14 clipped by its model's -bear_hjb_u_max */
  assert_petsc(StkPolicyGetBounds(bear, &lo, &hi));
  assert_close(hi, 0.08, 0, 0);
  plain = PolicyFromOptions(NULL); /* fixed (the default type), -policy_u 0.02, bounds [0, 0.15] */
  assert_petsc(StkPolicyGetType(plain, &type));
  assert_string_equal(type, STK_POLICY_FIXED);
  assert_close(PolicyAt(plain, 0.45), 0.02, 0, 0);
  assert_petsc(StkPolicyGetBounds(plain, &lo, &hi));
  assert_close(hi, 0.15, 0, 0);
  assert_petsc(StkPolicyDestroy(&plain));
  assert_petsc(StkPolicyDestroy(&bear));
  PopOptions();

  /* -bear_policy_retarget aims polkadot at -bear_policy_s_target: the rule with that ideal stake */
  PushOptions("-bear_policy polkadot -bear_policy_retarget -bear_policy_s_target 0.5 -policy polkadot -policy_polkadot_ideal_stake 0.5");
  bear  = PolicyFromOptions("bear_");
  plain = PolicyFromOptions(NULL);
  for (PetscReal s = 0.05; s < 1; s += 0.1) assert_close(PolicyAt(bear, s), PolicyAt(plain, s), 0, 0);
  assert_true(PolicyAt(bear, 0.6) != PolicyAt(bear, 0.5)); /* not a constant */
  assert_petsc(StkPolicyDestroy(&plain));
  assert_petsc(StkPolicyDestroy(&bear));
  PopOptions();
}

static void test_policy_append_and_errors(void **state)
{
  StkPolicy   p, plain;
  const char *pre;

  PushOptions("-bear_x_policy_u 0.07 -bear_policy_u 0.06");
  assert_petsc(StkPolicyCreate(PETSC_COMM_WORLD, &p));
  assert_petsc(StkPolicySetOptionsPrefix(p, "bear_"));
  assert_petsc(StkPolicyAppendOptionsPrefix(p, "x_"));
  assert_petsc(StkPolicyGetOptionsPrefix(p, &pre));
  assert_prefix(pre, "bear_x_");
  assert_petsc(StkPolicySetFromOptions(p));
  assert_close(PolicyAt(p, 0.5), 0.07, 0, 0);
  expect_error(StkPolicySetOptionsPrefix(p, "-bear_"), "must not start with '-'");
  expect_error(StkPolicyAppendOptionsPrefix(p, "-y_"), "must not start with '-'");
  assert_petsc(StkPolicyDestroy(&p));
  PopOptions();

  PushOptions("-bear_policy network -bear_policy_file /nonexistent/net.h5");
  p = PolicyFromOptions("bear_");
  expect_error(StkPolicySetUp(p), "-bear_policy_file /nonexistent/net.h5: no such readable file");
  plain = PolicyFromOptions(NULL); /* reads neither: fixed, no file */
  assert_close(PolicyAt(plain, 0.5), 0.03, 0, 0);
  assert_petsc(StkPolicyDestroy(&plain));
  assert_petsc(StkPolicyDestroy(&p));
  PopOptions();

  PushOptions("-bear_policy fixed -bear_policy_u -0.01");
  p = PolicyFromOptions("bear_");
  expect_error(StkPolicySetUp(p), "-bear_policy_u must be >= 0 and finite");
  expect_error(StkPolicySetType(p, "nosuch"), "Unknown -bear_policy 'nosuch' (known: zero, fixed");
  assert_petsc(StkPolicySetType(p, STK_POLICY_EXPERT));
  expect_error(StkPolicySetUp(p), "-bear_policy expert needs -bear_policy_file FILE");
  assert_petsc(StkPolicyDestroy(&p));
  PopOptions();
}

/* ---- StkNet ---- */

static StkNet NetFromOptions(const char prefix[])
{
  StkNet net;

  assert_petsc(StkNetCreate(PETSC_COMM_WORLD, &net));
  if (prefix) assert_petsc(StkNetSetOptionsPrefix(net, prefix));
  assert_petsc(StkNetSetFromOptions(net));
  assert_petsc(StkNetSetUp(net));
  return net;
}

/* TAO iterations of a fit to a line (the fit's TAO reads USER + "net_fit_"). */
static PetscInt FitIterations(StkNet net)
{
  PetscReal      x[9], u[9];
  StkNetFitStats st;

  for (PetscInt i = 0; i < 9; i++) {
    x[i] = -1 + 0.25 * i;
    u[i] = 0.5 + 0.3 * x[i];
  }
  assert_petsc(StkNetFit(net, 9, x, u, &st));
  return st.iterations;
}

static void test_net(void **state)
{
  StkNet      plain, bear;
  PetscInt    nh, widths[STK_NET_MAX_LAYERS];
  const char *pre;

  PushOptions("-bear_net_layers 3 -bear_net_widths 4 -bear_net_seed 7 -bear_net_fit_tao_max_it 1");
  bear = NetFromOptions("bear_");
  assert_petsc(StkNetGetArchitecture(bear, &nh, widths));
  assert_int_equal(nh, 3);
  for (PetscInt l = 0; l < nh; l++) assert_int_equal(widths[l], 4);
  assert_true(FitIterations(bear) <= 1);
  assert_petsc(StkNetGetOptionsPrefix(bear, &pre));
  assert_prefix(pre, "bear_");
  plain = NetFromOptions(NULL);
  assert_petsc(StkNetGetArchitecture(plain, &nh, widths));
  assert_int_equal(nh, 2);
  assert_int_equal(widths[0], 16);
  assert_true(FitIterations(plain) > 1);
  assert_petsc(StkNetDestroy(&plain));
  assert_petsc(StkNetDestroy(&bear));
  PopOptions();

  /* Append composes; errors name the prefix */
  PushOptions("-bear_net_layers 1 -bear_net_fit_l2 -1");
  assert_petsc(StkNetCreate(PETSC_COMM_WORLD, &bear));
  assert_petsc(StkNetSetOptionsPrefix(bear, "be"));
  assert_petsc(StkNetAppendOptionsPrefix(bear, "ar_"));
  assert_petsc(StkNetGetOptionsPrefix(bear, &pre));
  assert_prefix(pre, "bear_");
  expect_error(StkNetSetFromOptions(bear), "-bear_net_fit_l2 must be >= 0, got -1");
  assert_petsc(StkNetGetArchitecture(bear, &nh, NULL));
  assert_int_equal(nh, 1);
  expect_error(StkNetSetSeed(bear, -2), "-bear_net_seed must be >= 0, got -2");
  expect_error(StkNetSetOptionsPrefix(bear, "-bear_"), "must not start with '-'");
  expect_error(StkNetAppendOptionsPrefix(bear, "-x_"), "must not start with '-'");
  assert_petsc(StkNetDestroy(&bear));
  PopOptions();
}

/* StkNetSetUpFromSolution asks a model without issuance bounds for -net_u_min/-net_u_max
 * under the network's prefix. */
static void test_net_bounds_from_solution(void **state)
{
  StkTestProblem P;
  PetscInt       n = 9;
  StkNet         net;
  PetscReal      lo, hi;

  assert_petsc(StkTestProblemCreate(STK_MODEL_LQ, 1, &n, NULL, &P));
  PushOptions("-bear_net_u_min -2 -bear_net_u_max 2");
  assert_petsc(StkNetCreate(PETSC_COMM_WORLD, &net));
  assert_petsc(StkNetSetOptionsPrefix(net, "bear_"));
  assert_petsc(StkNetSetUpFromSolution(net, P.model, P.grid));
  assert_petsc(StkNetGetOutputBounds(net, &lo, &hi));
  assert_close(lo, -2, 0, 0);
  assert_close(hi, 2, 0, 0);
  assert_petsc(StkNetDestroy(&net));
  assert_petsc(StkNetCreate(PETSC_COMM_WORLD, &net));
  expect_error(StkNetSetUpFromSolution(net, P.model, P.grid), "give -net_u_min and -net_u_max");
  assert_petsc(StkNetSetOptionsPrefix(net, "bull_"));
  expect_error(StkNetSetUpFromSolution(net, P.model, P.grid), "give -bull_net_u_min and -bull_net_u_max");
  assert_petsc(StkNetDestroy(&net));
  PopOptions();
  assert_petsc(StkTestProblemDestroy(&P));
}

/* ---- StkRefine ---- */

/* StkRefineView of a refinement on PETSC_COMM_SELF, read back from a file of this rank. */
static void ViewRefine(StkRefine r, char text[], size_t len)
{
  char        path[PETSC_MAX_PATH_LEN];
  PetscViewer v;
  PetscMPIInt rank;
  FILE       *f;
  size_t      got;

  assert_int_equal(MPI_Comm_rank(PETSC_COMM_WORLD, &rank), 0);
  snprintf(path, sizeof(path), "/tmp/stk_test_prefix_refine_%ld_%d.txt", (long)getpid(), rank);
  assert_petsc(PetscViewerASCIIOpen(PETSC_COMM_SELF, path, &v));
  assert_petsc(StkRefineView(r, v));
  assert_petsc(PetscViewerDestroy(&v));
  f = fopen(path, "r");
  assert_non_null(f);
  got       = fread(text, 1, len - 1, f);
  text[got] = 0;
  fclose(f);
  remove(path);
}

static void test_refine_options(void **state)
{
  StkRefine   plain, bear;
  char        text[2048];
  const char *pre;

  PushOptions("-bear_refine_a0 0.25 -bear_refine_iterations 3 -refine_window 0.5");
  assert_petsc(StkRefineCreate(PETSC_COMM_SELF, &bear));
  assert_petsc(StkRefineSetOptionsPrefix(bear, "be"));
  assert_petsc(StkRefineAppendOptionsPrefix(bear, "ar_"));
  assert_petsc(StkRefineGetOptionsPrefix(bear, &pre));
  assert_prefix(pre, "bear_");
  assert_petsc(StkRefineSetFromOptions(bear));
  ViewRefine(bear, text, sizeof(text));
  assert_non_null(strstr(text, "3 windows of 0.25 yr"));
  assert_non_null(strstr(text, "a_k = 0.25 /"));
  assert_petsc(StkRefineCreate(PETSC_COMM_SELF, &plain));
  assert_petsc(StkRefineSetFromOptions(plain));
  ViewRefine(plain, text, sizeof(text));
  assert_non_null(strstr(text, "100 windows of 0.5 yr"));
  assert_non_null(strstr(text, "a_k = 1. /"));
  expect_error(StkRefineSetIterations(bear, -1), "-bear_refine_iterations must be >= 0, got -1");
  expect_error(StkRefineSetIterations(plain, -1), "-refine_iterations must be >= 0, got -1");
  expect_error(StkRefineSetOptionsPrefix(bear, "-bear_"), "must not start with '-'");
  expect_error(StkRefineAppendOptionsPrefix(bear, "-x_"), "must not start with '-'");
  assert_petsc(StkRefineDestroy(&plain));
  assert_petsc(StkRefineDestroy(&bear));
  PopOptions();
}

/* A prefixed expert reads -bear_policy_file; the refinement's environment and the
 * re-planned expert carry the prefix. */
static void test_refine_expert(void **state)
{
  StkTestProblem P;
  PetscInt       n = 65;
  char           sol[PETSC_MAX_PATH_LEN], replan[PETSC_MAX_PATH_LEN], opts[3 * PETSC_MAX_PATH_LEN];
  long           pid = (long)getpid();
  StkPolicy      expert, again;
  StkNet         net;
  StkRefine      r;
  StkPopulation  env;
  const char    *type, *pre;
  PetscMPIInt    rank;

  assert_int_equal(MPI_Bcast(&pid, 1, MPI_LONG, 0, PETSC_COMM_WORLD), 0);
  snprintf(sol, sizeof(sol), "/tmp/stk_test_prefix_sol_%ld.h5", pid);
  snprintf(replan, sizeof(replan), "/tmp/stk_test_prefix_replan_%ld.h5", pid);
  assert_petsc(StkTestProblemCreate(STK_MODEL_STAKING, 1, &n, NULL, &P));
  assert_petsc(StkSolverSolve(P.solver));
  assert_petsc(StkSolverWrite(P.solver, sol));

  snprintf(opts, sizeof(opts), "-bear_policy expert -bear_policy_file %s -bear_net_layers 1 -bear_net_widths 4", sol);
  PushOptions(opts);
  expert = PolicyFromOptions("bear_");
  assert_petsc(StkPolicyGetType(expert, &type));
  assert_string_equal(type, STK_POLICY_EXPERT);
  assert_petsc(StkPolicySetUp(expert));
  assert_petsc(StkNetCreate(PETSC_COMM_WORLD, &net));
  assert_petsc(StkNetSetOptionsPrefix(net, "bear_"));
  assert_petsc(StkNetSetUpFromSolution(net, P.model, P.grid));
  assert_petsc(StkRefineCreate(PETSC_COMM_WORLD, &r));
  assert_petsc(StkRefineSetOptionsPrefix(r, "bear_"));
  assert_petsc(StkRefineSetNetwork(r, net));
  assert_petsc(StkRefineSetExpert(r, expert));
  assert_petsc(StkRefineSetIterations(r, 0));
  assert_petsc(StkRefineSetUp(r));
  assert_petsc(StkRefineGetEnvironment(r, &env));
  assert_petsc(StkPopulationGetOptionsPrefix(env, &pre));
  assert_prefix(pre, "bear_");
  assert_petsc(StkPolicyExpertReplan(expert, 0.5, replan, &again));
  assert_petsc(StkPolicyGetOptionsPrefix(again, &pre));
  assert_prefix(pre, "bear_");
  assert_petsc(StkPolicyDestroy(&again));
  assert_petsc(StkRefineDestroy(&r));
  assert_petsc(StkNetDestroy(&net));
  assert_petsc(StkPolicyDestroy(&expert));
  PopOptions();
  assert_petsc(StkTestProblemDestroy(&P));
  assert_int_equal(MPI_Barrier(PETSC_COMM_WORLD), 0);
  assert_int_equal(MPI_Comm_rank(PETSC_COMM_WORLD, &rank), 0);
  if (rank == 0) {
    remove(sol);
    remove(replan);
  }
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(test_model_staking),
  cmocka_unit_test(test_model_test_types),
  cmocka_unit_test(test_model_append_and_errors),
  cmocka_unit_test(test_policy_parameters),
  cmocka_unit_test(test_policy_append_and_errors),
  cmocka_unit_test(test_net),
  cmocka_unit_test(test_net_bounds_from_solution),
  cmocka_unit_test(test_refine_options),
  cmocka_unit_test(test_refine_expert),
};

STK_TEST_MAIN(tests)
