/* The policy layer: every baseline against its published formula (hand-computed values),
 * the stateful rules (Cosmos, Tezos) across steps and resets, the output bounds, the
 * HJB expert against the solver's own policy at every node, and bad input. */
#include "stk_test_problem.h"
#include "stk_policy.h"
#include "stk_h5.h"
#include <string.h>
#include <unistd.h>

#define DAY (1.0 / 365) /* years: the simulators' day (STK_DAYS_PER_YEAR 365) */

/* A policy configured from an options string only (a private options database). */
static PetscErrorCode PolicyFromOptions(const char options[], StkPolicy *p)
{
  PetscOptions   db;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  *p = NULL;
  PetscCall(PetscOptionsCreate(&db));
  PetscCall(PetscOptionsInsertString(db, options));
  PetscCall(PetscOptionsPush(db));
  ierr = StkPolicyCreate(PETSC_COMM_WORLD, p);
  if (!ierr) ierr = StkPolicySetFromOptions(*p);
  if (!ierr) ierr = StkPolicySetUp(*p);
  PetscCall(PetscOptionsPop());
  PetscCall(PetscOptionsDestroy(&db));
  if (ierr) PetscCall(StkPolicyDestroy(p));
  return ierr;
}

static StkPolicy Policy(const char options[])
{
  StkPolicy p;
  assert_petsc(PolicyFromOptions(options, &p));
  return p;
}

static PetscReal Eval(StkPolicy p, PetscReal t, PetscReal s, void *state)
{
  const PetscReal x[2] = {s, 0};
  PetscReal       u;
  assert_petsc(StkPolicyEvaluate(p, t, x, &u, state));
  return u;
}

/* u at five staking ratios against hand-computed values. */
static void check_five(const char options[], const PetscReal s[5], const PetscReal expected[5])
{
  StkPolicy p = Policy(options);
  size_t    size;

  assert_petsc(StkPolicyGetFunction(p, NULL, NULL, NULL, &size));
  assert_int_equal(size, 0); /* stateless */
  for (int i = 0; i < 5; i++) assert_close(Eval(p, 0.0, s[i], NULL), expected[i], 1e-13, 1e-15);
  assert_petsc(StkPolicyDestroy(&p));
  assert_null(p);
}

static void test_zero_and_fixed(void **state)
{
  const PetscReal s[5] = {0.0, 0.3, 0.6, 0.8, 1.0};
  const PetscReal zero[5] = {0, 0, 0, 0, 0};
  const PetscReal fixed[5] = {0.03, 0.03, 0.03, 0.03, 0.03};     /* u = ubar */
  const PetscReal high[5] = {0.15, 0.15, 0.15, 0.15, 0.15};      /* u = 0.2, clipped to u_max = 0.15 */
  const PetscReal low_max[5] = {0.02, 0.02, 0.02, 0.02, 0.02};   /* u = 0.03, clipped to -hjb_u_max 0.02 */

  check_five("-policy zero", s, zero);
  check_five("-policy fixed", s, fixed);
  check_five("-policy fixed -policy_u 0.2", s, high);
  check_five("-policy fixed -hjb_u_max 0.02", s, low_max);
}

static void test_proportional(void **state)
{
  /* u = clip(0.03 + 0.5 (0.6 - s), 0, 0.15) */
  const PetscReal s[5] = {0.2, 0.4, 0.6, 0.62, 0.9};
  const PetscReal u[5] = {0.15 /* 0.23 clipped */, 0.13, 0.03, 0.02, 0.0 /* -0.12 clipped */};
  /* the target follows the model's sbar: -hjb_sbar 0.5, gain 0.2: u = 0.03 + 0.2 (0.5 - s) */
  const PetscReal u2[5] = {0.09, 0.05, 0.01, 0.006, 0.0 /* -0.05 clipped */};

  check_five("-policy proportional", s, u);
  check_five("-policy proportional -hjb_sbar 0.5 -policy_gain 0.2", s, u2);
}

static void test_polkadot(void **state)
{
  /* I(s) = 0.025 + 0.075 adj(s), adj = s / 0.75 (s <= 0.75), 2^((0.75 - s) / 0.05) above */
  const PetscReal s[5] = {0.0, 0.3, 0.75, 0.8, 0.9};
  const PetscReal u[5] = {0.025, 0.025 + 0.075 * 0.4, 0.10, 0.025 + 0.075 * 0.5, 0.025 + 0.075 * 0.125};
  /* with -hjb_u_max 0.05 the peak is clipped: 0.055 -> 0.05, 0.1 -> 0.05, 0.0625 -> 0.05 */
  const PetscReal c[5] = {0.025, 0.05, 0.05, 0.05, 0.034375};

  check_five("-policy polkadot", s, u);
  check_five("-policy polkadot -hjb_u_max 0.05", s, c);
}

static void test_ethereum(void **state)
{
  /* u = c sqrt(s), c = F E / sqrt(S): F = 64, E = 365 * 86400 / (12 * 32) = 82125 epochs
   * in the simulators' 365-day year, S = 120e6 * 1e9 gwei:
   * c = 64 * 82125 / sqrt(1.2e17) = 5256000 / 346410161.5137754 = 0.015172765074303365
   * (82181.25 epochs of a 365.25-day year gave 0.0151832) */
  const PetscReal s[5] = {0.01, 0.25, 0.5, 0.64, 1.0};
  const PetscReal u[5] = {0.0015172765074303366, 0.0075863825371516825, 0.010728765073390321, 0.012138212059442693, 0.015172765074303365};
  /* an explicit c overrides the derivation: u = 0.02 sqrt(s) */
  const PetscReal v[5] = {0.002, 0.01, 0.014142135623730951, 0.016, 0.02};

  check_five("-policy ethereum", s, u);
  check_five("-policy ethereum -policy_ethereum_c 0.02", s, v);
}

/* Cosmos from a fresh state, one step of 0.1 yr: clip(0.13 + 0.13 (1 - s / 0.67) 0.1). */
static void test_cosmos_formula(void **state)
{
  StkPolicy        p = Policy("-policy cosmos");
  StkPolicyFn      fn;
  StkPolicyResetFn reset;
  void            *ctx;
  size_t           size;
  const PetscReal  s[5] = {0.0, 0.335, 0.67, 0.9, 1.0};
  const PetscReal  u[5] = {0.143, 0.1365, 0.13, 0.12553731343283583, 0.12359701492537314};
  char             mem[64];

  assert_petsc(StkPolicyGetFunction(p, &fn, &reset, &ctx, &size));
  assert_true(size > 0 && size <= sizeof(mem));
  for (int i = 0; i < 5; i++) {
    const PetscReal x0[2] = {0.5, 0}, x[2] = {s[i], 0};
    PetscReal       v;
    assert_petsc(reset(ctx, 0.0, x0, mem));
    assert_petsc(fn(ctx, 0.1, x, &v, mem));
    assert_close(v, u[i], 1e-13, 1e-15);
  }
  assert_petsc(StkPolicyDestroy(&p));
}

/* A sequence of calls: the inflation integrates k (1 - s / s_goal) over the elapsed
 * time, stays within [0.07, 0.20] (the protocol's own bounds), and the output is then
 * clipped to the model's [0, 0.15]. */
static void test_cosmos_sequence(void **state)
{
  StkPolicy       p = Policy("-policy cosmos");
  const PetscReal x0[2] = {0.5, 0};
  double          a[8], b[8]; /* two paths' states, interleaved */

  assert_petsc(StkPolicyReset(p, 0.0, x0, a));
  assert_petsc(StkPolicyReset(p, 0.0, x0, b));
  assert_close(Eval(p, 0.0, 0.5, a), 0.13, 1e-14, 0);     /* no time elapsed */
  assert_close(Eval(p, 0.1, 0.335, a), 0.1365, 1e-14, 0); /* + 0.13 * 0.5 * 0.1 */
  assert_close(Eval(p, 0.3, 0.335, a), 0.1495, 1e-14, 0); /* + 0.13 * 0.5 * 0.2 */
  assert_close(Eval(p, 0.1, 1.0, b), 0.12359701492537314, 1e-13, 0); /* the other path is untouched by a */
  assert_close(Eval(p, 0.5, 0.335, a), 0.15, 1e-14, 0);   /* state 0.1625, output clipped to u_max */
  assert_close(Eval(p, 1.0, 0.0, a), 0.15, 1e-14, 0);     /* state 0.2275 -> 0.20 (InflationMax) */
  assert_close(Eval(p, 2.0, 1.0, a), 0.13597014925373135, 1e-13, 0); /* 0.20 - 0.13 * 0.33 / 0.67 */
  assert_close(Eval(p, 4.0, 1.0, a), 0.07, 1e-14, 0);     /* 0.0079 -> 0.07 (InflationMin) */
  assert_petsc(StkPolicyReset(p, 5.0, x0, a));            /* reset restores the initial inflation */
  assert_close(Eval(p, 5.0, 0.9, a), 0.13, 1e-14, 0);
  {
    PetscErrorCode ierr;
    const PetscReal x[2] = {0.5, 0};
    PetscReal       u;
    PetscPushErrorHandler(PetscReturnErrorHandler, NULL);
    ierr = StkPolicyEvaluate(p, 4.0, x, &u, a); /* time going backwards is an error */
    PetscPopErrorHandler();
    assert_int_equal(ierr, PETSC_ERR_ARG_OUTOFRANGE);
  }
  assert_petsc(StkPolicyDestroy(&p));
}

/* Social gradient at w_s = 1, sbar = 0.6, eta_sg = 1: du/dt = -2 (s - 0.6), projected on
 * [0, 0.15] as it moves. */
static void test_social_gradient_sequence(void **state)
{
  StkPolicy       p = Policy("-policy social_gradient");
  const PetscReal x0[2] = {0.6, 0};
  double          a[4];
  size_t          size;

  assert_petsc(StkPolicyGetFunction(p, NULL, NULL, NULL, &size));
  assert_true(size > 0 && size <= sizeof(a));
  assert_petsc(StkPolicyReset(p, 0.0, x0, a));
  assert_close(Eval(p, 0.0, 0.5, a), 0.03, 1e-12, 0);  /* starts at ubar */
  assert_close(Eval(p, 0.1, 0.5, a), 0.05, 1e-10, 0);  /* + 2 * 0.1 * 0.1 */
  assert_close(Eval(p, 0.3, 0.7, a), 0.01, 1e-9, 0);   /* - 2 * 0.1 * 0.2 */
  assert_close(Eval(p, 1.3, 0.7, a), 0.0, 0, 1e-15);   /* -0.19 projected to 0 */
  assert_close(Eval(p, 1.4, 0.5, a), 0.02, 1e-9, 0);   /* from 0, not from -0.19 */
  assert_close(Eval(p, 2.4, 0.5, a), 0.15, 1e-12, 0);  /* 0.22 projected to u_max */
  assert_petsc(StkPolicyDestroy(&p));
  p = Policy("-policy social_gradient -policy_sg_rate 0.5 -hjb_w_s 2 -hjb_sbar 0.5");
  assert_petsc(StkPolicyReset(p, 0.0, x0, a));
  assert_close(Eval(p, 0.25, 0.4, a), 0.08, 1e-10, 0); /* 0.03 + 0.5 * (2 * 2 * 0.1) * 0.25 */
  assert_petsc(StkPolicyDestroy(&p));
}

/* Social gradient on two timescales, two steps by hand on the default staking model
 * (w_s 1, sbar 0.6, w_u 10, ubar 0.03, eta 0): du = -a(t) (2 (s - 0.6) ds*(u)/du +
 * 20 (u - 0.03)) dt, a(t) = 0.01 / (1 + t)^0.602, a taken at the previous call's time;
 * ds*(u)/du from a central difference of the holders' equilibrium s*(u). */
static PetscReal DsDu(PetscReal u)
{
  StkAgentParams  mp;
  const PetscReal h = 1e-6;
  PetscReal       sp, sm, d;
  PetscInt        its;

  assert_petsc(StkAgentParamsDefault(&mp));
  assert_petsc(StkAgentsEquilibrium(&mp, u + h, mp.zbar, &sp, &d, &its));
  assert_petsc(StkAgentsEquilibrium(&mp, u - h, mp.zbar, &sm, &d, &its));
  return (sp - sm) / (2 * h);
}

static void test_social_gradient_2ts_steps(void **state)
{
  StkPolicy       p = Policy("-policy social_gradient_2ts -hjb_eta 0");
  const PetscReal x0[2] = {0.6, 0};
  double          a[8];
  PetscReal       u1, u2, z;
  StkAgentParams  mp;

  assert_petsc(StkAgentParamsDefault(&mp));
  z = mp.zbar;
  assert_petsc(StkPolicyReset(p, 0.0, x0, a));
  assert_close(Eval(p, 0.0, 0.5, a), 0.03, 1e-15, 0); /* starts at ubar: no time elapsed */
  u1 = 0.03 - 0.01 * (2 * (0.5 - 0.6) * DsDu(0.03)) * 0.1;
  {
    const PetscReal x[2] = {0.5, z};
    PetscReal       u;
    assert_petsc(StkPolicyEvaluate(p, 0.1, x, &u, a));
    assert_close(u, u1, 1e-8, 0);
  }
  u2 = u1 - 0.01 / PetscPowReal(1.1, 0.602) * (2 * (0.7 - 0.6) * DsDu(u1) + 20 * (u1 - 0.03)) * 0.2;
  {
    const PetscReal x[2] = {0.7, z};
    PetscReal       u;
    assert_petsc(StkPolicyEvaluate(p, 0.3, x, &u, a));
    assert_close(u, u2, 1e-8, 0);
  }
  assert_true(u1 > 0.03 && u2 < u1); /* below sbar it issues more, above less */
  assert_petsc(StkPolicyDestroy(&p));
}

/* The rules retargeted at the planner's sbar: Cosmos does not move at s = sbar, the
 * Polkadot curve peaks there, Tezos's dead zone is centred there. */
static void test_retargeted_rules(void **state)
{
  /* a cycle of 24576 blocks of 10 s = 2.8444 days of the simulators' 365-day year */
  const PetscReal x0[2] = {0.5, 0}, cycle = (24576 * 10.0 / 86400) / 365;
  double          a[8];
  StkPolicy       p = Policy("-policy cosmos_sbar -hjb_sbar 0.5");

  assert_petsc(StkPolicyReset(p, 0.0, x0, a));
  assert_close(Eval(p, 1.0, 0.5, a), 0.13, 1e-14, 0);   /* at the goal: no change */
  assert_close(Eval(p, 1.2, 0.25, a), 0.143, 1e-14, 0); /* + 0.13 (1 - 0.25 / 0.5) 0.2 */
  assert_petsc(StkPolicyDestroy(&p));
  p = Policy("-policy polkadot_sbar -hjb_sbar 0.5");
  assert_close(Eval(p, 0, 0.5, NULL), 0.10, 1e-14, 0);    /* the peak I_max at s = sbar */
  assert_close(Eval(p, 0, 0.25, NULL), 0.0625, 1e-14, 0); /* 0.025 + 0.075 * 0.25 / 0.5 */
  assert_close(Eval(p, 0, 0.55, NULL), 0.0625, 1e-14, 0); /* 0.025 + 0.075 * 2^-1 */
  assert_petsc(StkPolicyDestroy(&p));
  p = Policy("-policy tezos_sbar"); /* sbar 0.6: dead zone [0.58, 0.62] */
  assert_petsc(StkPolicyReset(p, 0.0, x0, a));
  /* one cycle at s = 0.5: dyn = 0.01/day * cycle days * (0.58 - 0.5); static 1/(1600 0.25) */
  assert_close(Eval(p, cycle * 1.000001, 0.5, a), 0.0025 + 0.01 * 24576 * 10.0 / 86400 * 0.08, 1e-12, 0);
  assert_petsc(StkPolicyDestroy(&p));
  p = Policy("-policy tezos"); /* its own centre 0.5: s = 0.5 is in the dead zone */
  assert_petsc(StkPolicyReset(p, 0.0, x0, a));
  assert_close(Eval(p, cycle * 1.000001, 0.5, a), 0.0025, 1e-12, 0);
  assert_petsc(StkPolicyDestroy(&p));
}

/* Retargeting is an option of the three rules (-policy_retarget); the _sbar types are
 * the same rules with it on by default. */
static void test_retarget_option(void **state)
{
  const PetscReal x0[2] = {0.5, 0};
  double          a[8];
  StkPolicy       p = Policy("-policy cosmos -policy_retarget -hjb_sbar 0.5");

  assert_petsc(StkPolicyReset(p, 0.0, x0, a));
  assert_close(Eval(p, 1.0, 0.5, a), 0.13, 1e-14, 0);   /* at the goal sbar = 0.5: no change */
  assert_close(Eval(p, 1.2, 0.25, a), 0.143, 1e-14, 0); /* + 0.13 (1 - 0.25 / 0.5) 0.2 */
  assert_petsc(StkPolicyDestroy(&p));
  /* cosmos_sbar with the option off is cosmos: GoalBonded 0.67 */
  p = Policy("-policy cosmos_sbar -policy_retarget 0 -hjb_sbar 0.5");
  assert_petsc(StkPolicyReset(p, 0.0, x0, a));
  assert_close(Eval(p, 0.2, 0.5, a), 0.13 + 0.13 * (1 - 0.5 / 0.67) * 0.2, 1e-14, 0);
  assert_petsc(StkPolicyDestroy(&p));
  /* the target given explicitly wins over the model's sbar: the Polkadot peak moves to 0.4 */
  p = Policy("-policy polkadot_sbar -policy_s_target 0.4");
  assert_close(Eval(p, 0, 0.4, NULL), 0.10, 1e-14, 0);
  assert_close(Eval(p, 0, 0.2, NULL), 0.025 + 0.075 * 0.5, 1e-14, 0);  /* s / s_ideal = 0.5 */
  assert_close(Eval(p, 0, 0.45, NULL), 0.025 + 0.075 * 0.5, 1e-14, 0); /* 2^((0.4 - 0.45) / 0.05) */
  assert_petsc(StkPolicyDestroy(&p));
  /* Tezos retargeted by the option (no issuance floor, cycles of 1 day): dead zone
   * [0.58, 0.62] around sbar 0.6.  s = 0.55 lies 0.03 below it, so the bonus grows
   * (around the own centre 0.5 it would be above the zone, and the bonus stays 0) */
  p = Policy("-policy tezos -policy_retarget -policy_tezos_cycle_days 1 -policy_tezos_issuance_min 0");
  assert_petsc(StkPolicyReset(p, 0.0, x0, a));
  assert_close(Eval(p, 1.0 * DAY, 0.55, a), 1 / (1600 * 0.3025) + 0.01 * 0.03, 1e-13, 0); /* static + 0.01/day * 1 day * 0.03 */
  assert_close(Eval(p, 2.0 * DAY, 0.5, a), 1 / (1600 * 0.25) + 0.0003 + 0.01 * 0.08, 1e-13, 0); /* 0.08 below */
  assert_petsc(StkPolicyDestroy(&p));
}

/* Each type reads only its own parameters, and keeps them while its type stays. */
static void test_parameters_per_type(void **state)
{
  StkPolicy p = Policy("-policy fixed -policy_u 0.05 -policy_gain -0.5"); /* -policy_gain is proportional's */
  PetscReal x[2] = {0.5, 0}, u;

  assert_close(Eval(p, 0, 0.3, NULL), 0.05, 0, 0);
  assert_petsc(StkPolicySetType(p, STK_POLICY_FIXED)); /* the same type: parameters kept */
  assert_close(Eval(p, 0, 0.3, NULL), 0.05, 0, 0);
  assert_petsc(StkPolicySetType(p, STK_POLICY_PROPORTIONAL)); /* a new type: its defaults */
  assert_petsc(StkPolicyEvaluate(p, 0, x, &u, NULL));
  assert_close(u, 0.03 + 0.5 * (0.6 - 0.5), 1e-15, 0);
  assert_petsc(StkPolicySetType(p, STK_POLICY_FIXED)); /* back to fixed: the default rate */
  assert_close(Eval(p, 0, 0.3, NULL), 0.03, 0, 0);
  assert_petsc(StkPolicyDestroy(&p));
}

/* Tezos right after a reset: clip(1 / (1600 s^2) + 0, 0.0025, 0.10). */
static void test_tezos_static(void **state)
{
  StkPolicy       p = Policy("-policy tezos");
  const PetscReal s[5] = {0.05, 0.1, 0.25, 0.5, 0.8};
  const PetscReal u[5] = {0.10 /* 0.25 clipped */, 0.0625, 0.01, 0.0025, 0.0025 /* 0.000977 clipped */};
  double          mem[8];

  for (int i = 0; i < 5; i++) {
    const PetscReal x0[2] = {s[i], 0};
    assert_petsc(StkPolicyReset(p, 0.0, x0, mem));
    assert_close(Eval(p, 0.0, s[i], mem), u[i], 1e-13, 1e-15);
    assert_close(Eval(p, 1.0 * DAY, 0.9, mem), u[i], 1e-13, 1e-15); /* held during the cycle (2.84 days) */
  }
  assert_petsc(StkPolicyDestroy(&p));
}

/* Cycles of 2 days; the dynamic rate moves 0.01 per day per unit of s outside
 * [0.48, 0.52]: 0.02 (0.48 - s) per cycle below, -0.02 (s - 0.52) above, clipped to [0, 0.05]. */
static void test_tezos_sequence(void **state)
{
  StkPolicy       p = Policy("-policy tezos -policy_tezos_cycle_days 2");
  const PetscReal x0[2] = {0.3, 0};
  double          mem[8];

  assert_petsc(StkPolicyReset(p, 0.0, x0, mem));
  assert_close(Eval(p, 0.0, 0.3, mem), 1.0 / 144, 1e-13, 0);        /* 1/(1600 * 0.09), dyn 0 */
  assert_close(Eval(p, 1 * DAY, 0.3, mem), 1.0 / 144, 1e-13, 0);    /* no cycle end yet */
  /* 2 days of a 365.25-day year are 0.99932 cycle of 2 simulator days (1/365 yr each):
   * still no cycle end */
  assert_close(Eval(p, 2 / 365.25, 0.3, mem), 1.0 / 144, 1e-13, 0);
  assert_close(Eval(p, 2 * DAY, 0.3, mem), 1.0 / 144 + 0.0036, 1e-13, 0); /* dyn 0.02 * 0.18 */
  assert_close(Eval(p, 7 * DAY, 0.3, mem), 1.0 / 144 + 0.0108, 1e-13, 0); /* two more cycles (4, 6 days) */
  assert_close(Eval(p, 8 * DAY, 0.5, mem), 0.0025 + 0.0108, 1e-13, 0);    /* dead zone: dyn kept */
  assert_close(Eval(p, 10 * DAY, 0.6, mem), 1.0 / 576 + 0.0092, 1e-13, 0); /* dyn - 0.02 * 0.08 */
  assert_close(Eval(p, 400 * DAY, 0.9, mem), 0.0025, 1e-13, 0);           /* dyn -> 0, static 0.00077 -> min */
  assert_petsc(StkPolicyReset(p, 0.0, x0, mem));                          /* reset restores dyn = 0 */
  assert_close(Eval(p, 0.0, 0.3, mem), 1.0 / 144, 1e-13, 0);
  {
    const PetscReal x1[2] = {0.1, 0};
    assert_petsc(StkPolicyReset(p, 0.0, x1, mem));
    /* 500 cycles at s = 0.1: dyn -> min(0.05, 0.10 - 0.0625) = 0.0375 (the protocol's cap,
     * not the max bonus); 0.0625 + 0.0375 = 0.10 (issuance max) */
    assert_close(Eval(p, 1000 * DAY, 0.1, mem), 0.10, 1e-13, 0);
    /* one cycle at s = 0.2 from dyn 0.0375 (not wound up to 0.05): 0.0375 + 0.02 * 0.28 */
    assert_close(Eval(p, 1002 * DAY, 0.2, mem), 0.015625 + 0.0431, 1e-13, 0);
  }
  assert_petsc(StkPolicyDestroy(&p));
}

/* The bonus cap min(max_bonus, issuance_max - static(s)) (Paris compute_bonus), by hand,
 * with cycles of 2 days: it binds below s = 1/sqrt(80) = 0.1118 only. */
static void test_tezos_bonus_cap(void **state)
{
  StkPolicy p = Policy("-policy tezos -policy_tezos_cycle_days 2");
  double    mem[8];

  {
    /* s = 0.11: static 1/19.36 = 0.0516529, cap 0.10 - static = 0.0483471 < 0.05; after
     * 500 cycles the dead zone (s = 0.5, static -> min 0.0025) keeps dyn at the cap */
    const PetscReal x0[2] = {0.11, 0}, cap = 0.10 - 1 / 19.36;
    assert_petsc(StkPolicyReset(p, 0.0, x0, mem));
    assert_close(Eval(p, 1000 * DAY, 0.11, mem), 0.10, 1e-13, 0);
    assert_close(Eval(p, 1002 * DAY, 0.5, mem), 0.0025 + cap, 1e-13, 0);
  }
  {
    /* s = 0.112: static 0.0498246, 0.10 - static = 0.0501754 > 0.05: the max bonus binds */
    const PetscReal x0[2] = {0.112, 0};
    assert_petsc(StkPolicyReset(p, 0.0, x0, mem));
    assert_close(Eval(p, 1000 * DAY, 0.112, mem), 1 / 20.0704 + 0.05, 1e-13, 0);
    assert_close(Eval(p, 1002 * DAY, 0.5, mem), 0.0025 + 0.05, 1e-13, 0);
  }
  {
    /* s = 0.1, dyn 0.0076 per cycle: 0.0076, then 0.0375 (cap) from the 5th cycle on */
    const PetscReal x0[2] = {0.1, 0};
    assert_petsc(StkPolicyReset(p, 0.0, x0, mem));
    assert_close(Eval(p, 2 * DAY, 0.1, mem), 0.0625 + 0.0076, 1e-13, 0);
    assert_close(Eval(p, 8 * DAY, 0.1, mem), 0.0625 + 0.0304, 1e-13, 0);
    assert_close(Eval(p, 10 * DAY, 0.1, mem), 0.10, 1e-13, 0);
    assert_close(Eval(p, 12 * DAY, 0.5, mem), 0.0025 + 0.0375, 1e-13, 0); /* dead zone */
  }
  assert_petsc(StkPolicyDestroy(&p));
  {
    /* s = 0.05: static 0.25 -> 0.10, cap 0: a bonus of 0.05 at the start is cut to 0 at
     * the first cycle end, so the dead zone that follows issues the static minimum */
    const PetscReal x0[2] = {0.05, 0};
    p = Policy("-policy tezos -policy_tezos_cycle_days 2 -policy_tezos_dyn0 0.05");
    assert_petsc(StkPolicyReset(p, 0.0, x0, mem));
    assert_close(Eval(p, 0.0, 0.05, mem), 0.10, 1e-13, 0);
    assert_close(Eval(p, 2 * DAY, 0.05, mem), 0.10, 1e-13, 0);
    assert_close(Eval(p, 4 * DAY, 0.5, mem), 0.0025, 1e-13, 0);
    assert_petsc(StkPolicyDestroy(&p));
  }
  {
    /* Several cycle ends in one call from above the cap, falling (dead zone [0.04, 0.06],
     * s = 0.1 above it: -0.02 * 0.04 = -0.0008 per cycle, cap 0.0375): cycle by cycle
     * 0.05 -> 0.0375 -> 0.0367 -> 0.0359 (one clip of 0.05 - 0.0024 would give 0.0375) */
    const PetscReal x0[2] = {0.1, 0};
    p = Policy("-policy tezos -policy_tezos_cycle_days 2 -policy_tezos_dyn0 0.05 -policy_tezos_center 0.05 -policy_tezos_radius 0.01");
    assert_petsc(StkPolicyReset(p, 0.0, x0, mem));
    assert_close(Eval(p, 6 * DAY, 0.1, mem), 0.0625 + 0.0359, 1e-13, 0);
    assert_petsc(StkPolicyDestroy(&p));
  }
}

/* View names the type and the bounds. */
static void ViewContains(StkPolicy p, const char bounds[])
{
  PetscViewer viewer;
  char        path[64], buf[2048];
  const char *type;
  FILE       *fp;
  size_t      len;

  snprintf(path, sizeof(path), "test_policy_view_%d.txt", (int)PetscGlobalRank);
  assert_petsc(PetscViewerASCIIOpen(PETSC_COMM_SELF, path, &viewer));
  assert_petsc(StkPolicyView(p, viewer));
  assert_petsc(PetscViewerDestroy(&viewer));
  assert_non_null(fp = fopen(path, "r"));
  len      = fread(buf, 1, sizeof(buf) - 1, fp);
  buf[len] = 0;
  fclose(fp);
  assert_int_equal(unlink(path), 0);
  assert_petsc(StkPolicyGetType(p, &type));
  if (!strstr(buf, type) || !strstr(buf, bounds)) print_error("view: %s\n", buf);
  assert_non_null(strstr(buf, type));
  assert_non_null(strstr(buf, bounds));
}

/* Every type stays within [u_min, u_max] over a sweep of s and time. */
static void test_bounds(void **state)
{
  const char *types[] = {"zero", "fixed", "proportional", "cosmos", "polkadot", "ethereum", "tezos", "cosmos_sbar", "polkadot_sbar", "tezos_sbar", "social_gradient", "social_gradient_2ts"};
  const char *extra[] = {"", " -hjb_u_min 0.01 -hjb_u_max 0.04"};

  for (int e = 0; e < 2; e++)
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
      char            opts[256];
      StkPolicy       p;
      PetscReal       lo, hi, x0[2] = {0.5, 0};
      double          mem[8];
      PetscInt        inside = 0;
      snprintf(opts, sizeof(opts), "-policy %s -policy_gain 3%s", types[i], extra[e]);
      p = Policy(opts);
      assert_petsc(StkPolicyGetBounds(p, &lo, &hi));
      assert_close(lo, e ? 0.01 : 0.0, 0, 0);
      assert_close(hi, e ? 0.04 : 0.15, 0, 0);
      assert_petsc(StkPolicyReset(p, 0.0, x0, mem));
      for (int k = 0; k <= 200; k++) {
        const PetscReal s = 0.5 + 0.5 * sin(0.37 * k), u = Eval(p, k * 3 * DAY, s, mem);
        assert_true(u >= lo && u <= hi);
        inside += u > lo && u < hi;
      }
      if (e == 0 && strcmp(types[i], "zero")) assert_true(inside > 0); /* the bounds do not pin everything */
      ViewContains(p, e ? "[0.01, 0.04]" : "[0., 0.15]");
      assert_petsc(StkPolicyDestroy(&p));
    }
}

/* ---- The expert ---- */

static void ExpertPath(const char tag[], char path[], size_t len)
{
  PetscMPIInt size;
  assert_int_equal(MPI_Comm_size(PETSC_COMM_WORLD, &size), 0);
  snprintf(path, len, "test_policy_%s_np%d.h5", tag, (int)size);
}

/* Removes a solution file and its XDMF sidecar once every rank is done with it. */
static void RemoveSolution(const char path[])
{
  char xmf[300];

  assert_int_equal(MPI_Barrier(PETSC_COMM_WORLD), 0);
  snprintf(xmf, sizeof(xmf), "%.*s.xmf", (int)(strlen(path) - 3), path);
  if (PetscGlobalRank == 0) {
    assert_int_equal(unlink(path), 0);
    (void)unlink(xmf);
  }
}

/* Solve, write, read back as the expert, and compare with the solver's policy at every
 * node.  The solver's improved policy is the fixed point of the greedy map to a
 * tolerance 1.15e-14; the expert solves the same equations from the same nodal
 * differences (bitwise equal: same V, same coordinates), starting from the stored
 * policy instead of the previous iterate.  A contraction factor below 1/2 bounds the
 * difference by a few times that tolerance, so 1e-12 is a safe bound; a wrong one-sided
 * difference or upwind choice shows up at 1e-4 or more. */
static void check_expert_matches_nodes(PetscInt dim, const PetscInt *n, const char tag[])
{
  StkTestProblem     P;
  StkPolicy          p;
  char               path[256], opts[400];
  Vec                u, u_all;
  const PetscScalar *ua;
  const PetscReal   *xs, *zs = NULL;
  PetscInt           sz[STK_MAX_DIM] = {1, 1, 1};
  PetscReal          maxdiff = 0, lo, hi;

  ExpertPath(tag, path, sizeof(path));
  assert_petsc(StkTestProblemCreate("staking", dim, n, NULL, &P));
  assert_petsc(StkSolverSolve(P.solver));
  assert_petsc(StkSolverWrite(P.solver, path));
  snprintf(opts, sizeof(opts), "-policy expert -policy_file %s", path);
  p = Policy(opts);
  assert_petsc(StkPolicyGetBounds(p, &lo, &hi));
  assert_close(lo, 0.0, 0, 0);
  assert_close(hi, 0.15, 0, 0);
  ViewContains(p, "closed_form");
  assert_petsc(StkSolverGetPolicy(P.solver, &u));
  assert_petsc(StkGridGatherField(P.grid, u, &u_all));
  assert_petsc(StkGridGetSizes(P.grid, sz));
  assert_petsc(StkGridGetCoordinates(P.grid, 0, &xs));
  if (dim > 1) assert_petsc(StkGridGetCoordinates(P.grid, 1, &zs));
  assert_petsc(VecGetArrayRead(u_all, &ua));
  for (PetscInt j = 0; j < (dim > 1 ? sz[1] : 1); j++)
    for (PetscInt i = 0; i < sz[0]; i++) {
      const PetscReal x[2] = {xs[i], zs ? zs[j] : 0};
      PetscReal       v;
      assert_petsc(StkPolicyEvaluate(p, 0.0, x, &v, NULL));
      maxdiff = PetscMax(maxdiff, PetscAbsReal(v - ua[i + sz[0] * j]));
    }
  assert_petsc(VecRestoreArrayRead(u_all, &ua));
  print_message("expert %s: max |u_expert - u_solver| over %" PetscInt_FMT " nodes = %.3e\n", tag, sz[0] * sz[1], (double)maxdiff);
  assert_true(maxdiff <= 1e-12);
  /* between nodes (and outside the z box): feasible */
  for (int k = 0; k < 50; k++) {
    const PetscReal x[2] = {0.013 + 0.0197 * k, dim > 1 ? zs[0] + (zs[sz[1] - 1] - zs[0]) * (0.5 + 0.45 * sin(1.3 * k)) : 0};
    PetscReal       v;
    assert_petsc(StkPolicyEvaluate(p, 0.0, x, &v, NULL));
    assert_true(v >= 0 && v <= 0.15);
  }
  assert_petsc(VecDestroy(&u_all));
  assert_petsc(StkPolicyDestroy(&p));
  assert_petsc(StkTestProblemDestroy(&P));
  RemoveSolution(path);
}

static void test_expert_1d(void **state)
{
  const PetscInt n[1] = {401};
  check_expert_matches_nodes(1, n, "1d");
}

static void test_expert_2d_default(void **state)
{
  check_expert_matches_nodes(2, NULL, "2d"); /* the default 257 x 65 grid */
}

/* ---- Bad input ---- */

typedef struct {
  char message[1024];
} ErrorRecord;

static PetscErrorCode RecordError(MPI_Comm comm, int line, const char *fun, const char *file, PetscErrorCode n, PetscErrorType p, const char *mess, void *ctx)
{
  ErrorRecord *rec = (ErrorRecord *)ctx;
  if (p == PETSC_ERROR_INITIAL && mess) snprintf(rec->message, sizeof(rec->message), "%s", mess);
  return n;
}

/* Configuring with `options` fails with an error naming `want1` and `want2`. */
static void expect_error(const char options[], const char want1[], const char want2[])
{
  ErrorRecord    rec = {""};
  StkPolicy      p;
  PetscErrorCode ierr;

  PetscPushErrorHandler(RecordError, &rec);
  ierr = PolicyFromOptions(options, &p);
  PetscPopErrorHandler();
  print_message("%s -> \"%s\"\n", options, rec.message);
  assert_int_not_equal(ierr, 0);
  assert_null(p);
  assert_non_null(strstr(rec.message, want1));
  assert_non_null(strstr(rec.message, want2));
}

static void test_bad_input(void **state)
{
  expect_error("-policy foo", "-policy 'foo'", "known: zero");
  expect_error("-policy expert", "-policy_file", "-policy expert");
  expect_error("-policy expert -policy_file /nonexistent_dir/x.h5", "-policy_file", "/nonexistent_dir/x.h5");
  expect_error("-policy proportional -policy_gain -0.5", "-policy_gain", "-0.5");
  expect_error("-policy cosmos -policy_cosmos_goal_bonded 1.5", "-policy_cosmos_goal_bonded", "1.5");
  expect_error("-policy polkadot -policy_polkadot_falloff 0", "-policy_polkadot_falloff", "0");
  expect_error("-policy tezos -policy_tezos_cycle_days -1", "-policy_tezos_cycle_days", "-1");
  expect_error("-policy tezos_sbar -policy_s_target 1.5", "-policy_s_target", "1.5");
  expect_error("-policy social_gradient -policy_sg_rate -1", "-policy_sg_rate", "-1");
  expect_error("-policy social_gradient_2ts -policy_sg2_alpha 0.4", "-policy_sg2_alpha", "0.4");
  expect_error("-policy social_gradient_2ts -policy_sg2_t0 0", "-policy_sg2_t0", "0");
  expect_error("-policy fixed -hjb_u_min 0.2 -hjb_u_max 0.1", "-hjb_u_min", "0.2");
  { /* a solution of another model */
    StkTestProblem P;
    const PetscInt n[1] = {33};
    char           path[256], opts[400];
    ExpertPath("lq", path, sizeof(path));
    assert_petsc(StkTestProblemCreate("lq", 1, n, NULL, &P));
    assert_petsc(StkSolverSolve(P.solver));
    assert_petsc(StkSolverWrite(P.solver, path));
    assert_petsc(StkTestProblemDestroy(&P));
    snprintf(opts, sizeof(opts), "-policy expert -policy_file %s", path);
    expect_error(opts, path, "holds a 'lq' model");
    RemoveSolution(path);
  }
}

static const struct CMUnitTest tests[] = {
  cmocka_unit_test(test_zero_and_fixed),
  cmocka_unit_test(test_proportional),
  cmocka_unit_test(test_polkadot),
  cmocka_unit_test(test_ethereum),
  cmocka_unit_test(test_cosmos_formula),
  cmocka_unit_test(test_cosmos_sequence),
  cmocka_unit_test(test_tezos_static),
  cmocka_unit_test(test_tezos_sequence),
  cmocka_unit_test(test_tezos_bonus_cap),
  cmocka_unit_test(test_social_gradient_sequence),
  cmocka_unit_test(test_social_gradient_2ts_steps),
  cmocka_unit_test(test_retargeted_rules),
  cmocka_unit_test(test_retarget_option),
  cmocka_unit_test(test_parameters_per_type),
  cmocka_unit_test(test_bounds),
  cmocka_unit_test(test_expert_1d),
  cmocka_unit_test(test_expert_2d_default),
  cmocka_unit_test(test_bad_input),
};

STK_TEST_MAIN(tests)
