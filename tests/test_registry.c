/* The model and policy registries (PetscFunctionList): a type registered before the
 * first create keeps every built-in type, the "known:" list of an unknown type comes
 * from the registry, registering a name again replaces its constructor, and the lists
 * are destroyed at PetscFinalize (a second PetscInitialize starts from the built-ins). */
#include "stk_test.h"
#include "stk_model.h"
#include "stk_policy.h"
#include <string.h>

int    stk_test_argc;
char **stk_test_argv;

static const char builtin_models[]   = "staking, lq, bangbang, mms, merton, staking_price";
static const char builtin_policies[] = "zero, fixed, proportional, cosmos, polkadot, ethereum, tezos, cosmos_sbar, polkadot_sbar, tezos_sbar, social_gradient, social_gradient_2ts, expert, network, solution, regime_solution, regime_expert";

/* The user types record that their constructor ran (they fill in no ops: they are
 * only created and destroyed here). */
static int user_model_created, user_model2_created, user_policy_created;

static PetscErrorCode CreateUserModel(StkModel m)
{
  user_model_created++;
  return 0;
}

static PetscErrorCode CreateUserModel2(StkModel m)
{
  user_model2_created++;
  return 0;
}

static PetscErrorCode CreateUserPolicy(StkPolicy p)
{
  user_policy_created++;
  return 0;
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

/* StkModelSetType(name) fails with exactly "Unknown -model 'name' (known: KNOWN; ...-model_plugin PATH)". */
static void expect_unknown_model(const char name[], const char known[])
{
  ErrorRecord    rec = {""};
  StkModel       m;
  PetscErrorCode ierr;
  char           want[1024];

  assert_petsc(StkModelCreate(PETSC_COMM_WORLD, &m));
  PetscPushErrorHandler(RecordError, &rec);
  ierr = StkModelSetType(m, name);
  PetscPopErrorHandler();
  assert_int_equal(ierr, PETSC_ERR_ARG_UNKNOWN_TYPE);
  snprintf(want, sizeof(want), "Unknown -model '%s' (known: %s; the type of a plugin needs -model_plugin PATH)", name, known);
  if (strcmp(rec.message, want)) print_error("got  \"%s\"\nwant \"%s\"\n", rec.message, want);
  assert_string_equal(rec.message, want);
  assert_petsc(StkModelDestroy(&m));
}

static void expect_unknown_policy(const char name[], const char known[])
{
  ErrorRecord    rec = {""};
  StkPolicy      p;
  PetscErrorCode ierr;
  char           want[1024];

  assert_petsc(StkPolicyCreate(PETSC_COMM_WORLD, &p));
  PetscPushErrorHandler(RecordError, &rec);
  ierr = StkPolicySetType(p, name);
  PetscPopErrorHandler();
  assert_int_equal(ierr, PETSC_ERR_ARG_UNKNOWN_TYPE);
  snprintf(want, sizeof(want), "Unknown -policy '%s' (known: %s)", name, known);
  if (strcmp(rec.message, want)) print_error("got  \"%s\"\nwant \"%s\"\n", rec.message, want);
  assert_string_equal(rec.message, want);
  assert_petsc(StkPolicyDestroy(&p));
}

/* A model configured from an options string (a private options database). */
static PetscErrorCode ModelFromOptions(const char options[], StkModel *m)
{
  PetscOptions   db;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsCreate(&db));
  PetscCall(PetscOptionsInsertString(db, options));
  PetscCall(PetscOptionsPush(db));
  ierr = StkModelCreate(PETSC_COMM_WORLD, m);
  if (!ierr) ierr = StkModelSetFromOptions(*m);
  if (!ierr) ierr = StkModelSetUp(*m);
  PetscCall(PetscOptionsPop());
  PetscCall(PetscOptionsDestroy(&db));
  return ierr;
}

/* ---- Group 1: runs first in the process, so the registrations below come before any
 *      StkModelCreate or StkPolicyCreate. ---- */

static void test_register_before_first_create(void **state)
{
  StkModel        m;
  StkPolicy       p;
  PetscInt        nu;
  const char     *type;
  const PetscReal x[2] = {0.5, 0};
  PetscReal       u;

  assert_petsc(StkModelRegister("user_model", CreateUserModel));
  assert_petsc(StkPolicyRegister("user_policy", CreateUserPolicy));
  /* the reported bug: -model lq was then unknown */
  assert_petsc(ModelFromOptions("-model lq -dim 1", &m));
  assert_petsc(StkModelGetType(m, &type));
  assert_string_equal(type, "lq");
  assert_petsc(StkModelGetNumControls(m, &nu));
  assert_int_equal(nu, 1);
  assert_petsc(StkModelDestroy(&m));
  /* a built-in policy works: fixed gives ubar */
  assert_petsc(StkPolicyCreate(PETSC_COMM_WORLD, &p));
  assert_petsc(StkPolicySetType(p, STK_POLICY_FIXED));
  assert_petsc(StkPolicyEvaluate(p, 0, x, &u, NULL));
  assert_close(u, 0.03, 0, 0);
  assert_petsc(StkPolicyDestroy(&p));
}

/* Every built-in type and the user type can be set; the user constructors run. */
static void test_every_type_after_registration(void **state)
{
  const char *models[]   = {"staking", "lq", "bangbang", "mms", "merton", "user_model"};
  const char *policies[] = {"zero", "fixed", "proportional", "cosmos", "polkadot", "ethereum", "tezos", "cosmos_sbar", "polkadot_sbar", "tezos_sbar", "social_gradient", "social_gradient_2ts", "expert", "network", "user_policy"};

  user_model_created = user_policy_created = 0;
  for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
    StkModel    m;
    const char *type;
    assert_petsc(StkModelCreate(PETSC_COMM_WORLD, &m));
    assert_petsc(StkModelSetDimension(m, 1)); /* every built-in model has a 1-D form */
    assert_petsc(StkModelSetType(m, models[i]));
    assert_petsc(StkModelGetType(m, &type));
    assert_string_equal(type, models[i]);
    assert_petsc(StkModelDestroy(&m));
  }
  for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++) {
    StkPolicy   p;
    const char *type;
    assert_petsc(StkPolicyCreate(PETSC_COMM_WORLD, &p));
    assert_petsc(StkPolicySetType(p, policies[i]));
    assert_petsc(StkPolicyGetType(p, &type));
    assert_string_equal(type, policies[i]);
    assert_petsc(StkPolicyDestroy(&p));
  }
  assert_int_equal(user_model_created, 1);
  assert_int_equal(user_policy_created, 1);
}

/* The "known:" list is the registry in registration order, the user type last. */
static void test_known_lists_come_from_the_registry(void **state)
{
  char known[512];

  snprintf(known, sizeof(known), "%s, user_model", builtin_models);
  expect_unknown_model("foo", known);
  snprintf(known, sizeof(known), "%s, user_policy", builtin_policies);
  expect_unknown_policy("foo", known);
}

/* Registering a name again replaces its constructor (the list keeps one entry). */
static void test_register_again_replaces(void **state)
{
  StkModel m;
  char     known[512];

  assert_petsc(StkModelRegister("user_model", CreateUserModel2));
  user_model_created = user_model2_created = 0;
  assert_petsc(StkModelCreate(PETSC_COMM_WORLD, &m));
  assert_petsc(StkModelSetType(m, "user_model"));
  assert_petsc(StkModelDestroy(&m));
  assert_int_equal(user_model_created, 0);
  assert_int_equal(user_model2_created, 1);
  snprintf(known, sizeof(known), "%s, user_model", builtin_models);
  expect_unknown_model("bar", known);
}

/* ---- Group 2: after PetscFinalize and a new PetscInitialize the registries hold the
 *      built-ins only (the lists were destroyed, the built-ins registered again). ---- */

static void test_registries_reset_at_finalize(void **state)
{
  StkModel m;

  expect_unknown_model("user_model", builtin_models);
  expect_unknown_policy("user_policy", builtin_policies);
  assert_petsc(ModelFromOptions("-model merton", &m));
  assert_petsc(StkModelDestroy(&m));
}

static const struct CMUnitTest before_first_create[] = {
  cmocka_unit_test(test_register_before_first_create),
  cmocka_unit_test(test_every_type_after_registration),
  cmocka_unit_test(test_known_lists_come_from_the_registry),
  cmocka_unit_test(test_register_again_replaces),
};

static const struct CMUnitTest after_finalize[] = {
  cmocka_unit_test(test_registries_reset_at_finalize),
};

/* MPI is initialized here, so PETSc may be finalized and initialized again. */
int main(int argc, char **argv)
{
  PetscMPIInt rank;
  int         failed;

  stk_test_argc = argc;
  stk_test_argv = argv;
  if (MPI_Init(&argc, &argv)) return 1;
  if (PetscInitialize(&argc, &argv, NULL, NULL)) return 1;
  if (MPI_Comm_rank(PETSC_COMM_WORLD, &rank)) return 1;
  if (rank != 0 && (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))) return 1;
  failed = cmocka_run_group_tests_name("registered before the first create", before_first_create, NULL, NULL);
  if (PetscFinalize()) return 1;
  if (PetscInitialize(&argc, &argv, NULL, NULL)) return 1;
  failed += cmocka_run_group_tests_name("after PetscFinalize", after_finalize, NULL, NULL);
  if (PetscFinalize()) return 1;
  if (MPI_Finalize()) return 1;
  return failed;
}
