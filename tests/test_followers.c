/* Learning followers (issue 15, item 4): StkSimContinue goes on from where the last run
 * ended (the holders' state, z, the time origin), and StkSimGetRegret measures the
 * holders' external regret, whose max is the coarse-correlated-equilibrium gap of their
 * empirical play: it falls like 1/T for best responders with persistent types (their
 * only loss is the wait for a revision) and for Hedge learners (bounded regret); the
 * learners' staking ratio approaches the best-response equilibrium.  Also on 2 ranks
 * (the agents in blocks spread over them). */
#include "stk_test.h"
#include "stk_sim.h"

static const PetscReal U_FIXED = 0.04;

typedef struct {
  StkPopulation pop;
  StkSim        sim;
  PetscInt      nrec;
  StkSimPath    out;
} Env;

static void EnvCreate(StkSimType type, StkAbmTypes types, StkAbmResponse response, PetscReal t_final, PetscInt dim, Env *e)
{
  StkSimSettings set;

  assert_petsc(StkSimSettingsDefault(&set));
  set.type     = type;
  set.types    = types;
  set.response = response;
  set.n_agents = 4000;
  set.block    = 512; /* 8 blocks: spread over the ranks of the np2 run */
  set.t_final  = t_final;
  set.s0       = 0.3;
  set.dim      = dim;
  assert_petsc(StkPopulationCreate(PETSC_COMM_WORLD, &e->pop));
  assert_petsc(StkSimCreate(PETSC_COMM_WORLD, &e->sim));
  assert_petsc(StkSimSetPopulation(e->sim, e->pop));
  assert_petsc(StkSimSetSettings(e->sim, &set));
  assert_petsc(StkSimSetPolicy(e->sim, StkPolicyConstant, NULL, (void *)&U_FIXED));
  assert_petsc(StkSimSetUp(e->sim));
  assert_petsc(StkSimGetNumRecords(e->sim, &e->nrec));
  assert_petsc(PetscMalloc4(e->nrec, &e->out.t, e->nrec, &e->out.s, e->nrec, &e->out.z, e->nrec, &e->out.u));
}

static void EnvDestroy(Env *e)
{
  assert_petsc(PetscFree4(e->out.t, e->out.s, e->out.z, e->out.u));
  assert_petsc(StkSimDestroy(&e->sim));
  assert_petsc(StkPopulationDestroy(&e->pop));
}

/* A continued window starts at the end state of the last one, its clock at 0. */
static void test_continue(void **state)
{
  const StkSimType   types[2]     = {STK_SIM_SDE, STK_SIM_ABM};
  const StkAbmResponse responses[2] = {STK_ABM_BEST, STK_ABM_HEDGE};

  for (int c = 0; c < 2; c++) {
    Env       e;
    PetscReal s_end, z_end;
    EnvCreate(types[c], STK_ABM_PERSISTENT, responses[c], 0.5, 2, &e);
    {
      PetscErrorCode ierr;
      assert_petsc(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
      ierr = StkSimContinue(e.sim, 0, NULL, &e.out); /* nothing to continue yet */
      assert_petsc(PetscPopErrorHandler());
      assert_int_equal(ierr, PETSC_ERR_ARG_WRONGSTATE);
    }
    assert_petsc(StkSimRun(e.sim, 0, NULL, &e.out));
    for (PetscInt k = 1; k <= 3; k++) {
      s_end = e.out.s[e.nrec - 1], z_end = e.out.z[e.nrec - 1];
      assert_petsc(StkSimContinue(e.sim, k, NULL, &e.out));
      assert_true(e.out.t[0] == 0 && e.out.s[0] == s_end && e.out.z[0] == z_end);
    }
    /* a fresh run starts over from s0 */
    assert_petsc(StkSimRun(e.sim, 4, NULL, &e.out));
    assert_close(e.out.s[0], 0.3, 0, 1e-12);
    EnvDestroy(&e);
  }
}

/* Regret per year after 1, 2, 4, ..., 32 years of one continued path. */
static void RegretPath(StkAbmResponse response, PetscReal mean[], PetscReal max[], PetscReal *s_end)
{
  Env      e;
  PetscInt years = 0;

  EnvCreate(STK_SIM_ABM, STK_ABM_PERSISTENT, response, 1, 1, &e);
  assert_petsc(StkSimRun(e.sim, 0, NULL, &e.out));
  years = 1;
  for (int c = 0; c < 6; c++) {
    while (years < (1 << c)) assert_petsc(StkSimContinue(e.sim, years, NULL, &e.out)), years++;
    assert_petsc(StkSimGetRegret(e.sim, &mean[c], &max[c]));
    print_message("    %s, %2d yr (s %.4f): regret per year mean %.3e, max (CCE gap) %.3e\n", response == STK_ABM_BEST ? "best responders" : "Hedge learners", (int)years, (double)e.out.s[e.nrec - 1], (double)mean[c], (double)max[c]);
  }
  *s_end = e.out.s[e.nrec - 1];
  EnvDestroy(&e);
}

static void test_regret(void **state)
{
  PetscReal      mean[6], max[6], s_end, s_star, ds;
  PetscInt       its;
  StkAgentParams p;

  /* the equilibrium the expert assumes: s*(u) of the best responses, at z = zbar (dim 1) */
  assert_petsc(StkAgentParamsDefault(&p));
  assert_petsc(StkAgentsEquilibrium(&p, U_FIXED, p.zbar, &s_star, &ds, &its));
  for (int r = 0; r < 2; r++) {
    RegretPath(r ? STK_ABM_HEDGE : STK_ABM_BEST, mean, max, &s_end);
    print_message("    s after 32 yr %.4f, the best-response equilibrium s*(u) %.4f\n", (double)s_end, (double)s_star);
    assert_close(s_end, s_star, 0, 0.02); /* the learners' play approaches it (N = 4000: noise ~0.008) */
    for (int c = 0; c < 6; c++) assert_true(PetscIsNormalReal(max[c]) && max[c] > 0 && max[c] >= mean[c]);
    /* a bounded total regret: its rate falls like 1/T (32x the time, < 1/8 the rate) */
    assert_true(max[5] < max[0] / 8);
    assert_true(PetscAbsReal(mean[5]) < PetscAbsReal(mean[0]) / 8);
  }
  {
    Env            e;
    PetscErrorCode ierr;
    EnvCreate(STK_SIM_SDE, STK_ABM_TRANSITORY, STK_ABM_BEST, 0.1, 1, &e);
    assert_petsc(StkSimRun(e.sim, 0, NULL, &e.out));
    assert_petsc(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = StkSimGetRegret(e.sim, &mean[0], &max[0]); /* no identities in the sde */
    assert_petsc(PetscPopErrorHandler());
    assert_int_equal(ierr, PETSC_ERR_SUP);
    EnvDestroy(&e);
  }
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(test_continue),
  cmocka_unit_test(test_regret),
};
STK_TEST_MAIN(tests)
