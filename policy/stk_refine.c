/* StkRefine: projected stochastic approximation of the network's weights against a
 * simulated environment (stk_refine.h,
 * docs/model.md#online-refinement, docs/network.md). */
#include "stk_refine.h"
#include "stk_philox.h"
#include "stk_options.h"
#include "stk_progress.h"
#include <stddef.h>
#include <string.h>

#define STK_REFINE_CLASS "refine_" /* the CLASS part of the options prefix */

const char *const StkRefineEstimators[] = {"hamiltonian", "spsa", "StkRefineEstimator", "STK_REFINE_", NULL};

static PetscLogEvent STK_EVENT_Refine, STK_EVENT_Replan;

static PetscErrorCode StkRefineRegisterEvents(void)
{
  static PetscBool registered = PETSC_FALSE; /* PETSc's own idiom: once per process */
  PetscClassId     classid;

  PetscFunctionBeginUser;
  if (registered) PetscFunctionReturn(0);
  registered = PETSC_TRUE;
  PetscCall(PetscClassIdRegister("StkRefine", &classid));
  PetscCall(PetscLogEventRegister("StkRefine", classid, &STK_EVENT_Refine));
  PetscCall(PetscLogEventRegister("StkRefineReplan", classid, &STK_EVENT_Replan));
  PetscFunctionReturn(0);
}

struct _p_StkRefine {
  MPI_Comm           comm;
  char              *prefix;           /* USER part of the options prefix (NULL: none) */
  char               class_prefix[256]; /* USER + "refine_", kept with prefix: messages print "-%sa0" */
  StkNet             net;    /* borrowed, refined in place */
  StkPolicy          expert; /* borrowed */
  StkPolicy          plan;   /* re-planned expert (own), NULL before the first re-plan */
  StkModel           model;  /* the expert's (borrowed) */
  StkRefineMonitorFn monitor;
  void              *monitor_ctx;
  /* options */
  StkRefineEstimator estimator;
  StkRefineSA        sa;     /* a_k = a0 / (k + k0)^alpha, the trust region's radius */
  PetscReal          window, dt, s0, spsa_c, kappa_factor;
  PetscReal          replan;  /* years between re-plans, 0: never */
  char               replan_file[PETSC_MAX_PATH_LEN];
  PetscInt           iterations, seed, n_agents;
  StkSimType         env;
  StkAbmTypes        abm_types; /* the abm's followers: -refine_abm_types, -refine_abm_response, ... */
  StkAbmResponse     abm_response;
  PetscReal          hedge_rate, hedge_forget;
  /* after SetUp */
  PetscBool          setupcalled;
  PetscInt           nw, nrec;
  PetscReal         *theta0, *theta, *g, *dudw, *delta;
  StkAgentParams     mp;   /* the planner model's holders */
  StkPopulation      pop;  /* the environment's holders (own) */
  StkAgentParams     truth;     /* the environment's holders when set (StkRefineSetEnvironmentParams) */
  PetscBool          has_truth;
  StkSim             regimes_from; /* the environment's regime chain is this sim's (borrowed; NULL: none) */
  PetscInt           regime;       /* the regime the next window starts in */
  StkSim             sim;
  StkSimPath         path;
  /* the running state */
  PetscReal          s, z, sxx, sxy, sx, sy, sn, gamma, plan_factor, next_replan;
  PetscBool          gamma_intercept; /* -refine_gamma_intercept: the regression of the increments has an intercept */
  PetscReal          prox;            /* -refine_prox: g += prox (theta - theta_0), a pull toward the fitted weights */
  PetscInt           k;
  StkRefineRecord   *history;
  StkProgress        progress; /* of the running Run, for StkRefineMonitorProgress */
};

PetscErrorCode StkRefineCreate(MPI_Comm comm, StkRefine *refine)
{
  StkRefine r;

  PetscFunctionBeginUser;
  PetscCall(StkRefineRegisterEvents());
  PetscCall(PetscNew(&r));
  r->comm         = comm;
  PetscCall(PetscStrncpy(r->class_prefix, STK_REFINE_CLASS, sizeof(r->class_prefix)));
  r->estimator    = STK_REFINE_HAMILTONIAN;
  r->sa.a0        = 1.0;
  r->sa.k0        = 10;
  r->sa.alpha     = 0.602; /* Spall's practical choice in (1/2, 1] */
  r->sa.radius    = 2.0;
  r->window       = 0.25;
  r->dt           = 1.0 / 365;
  r->s0           = 0.4;
  r->spsa_c       = 0.05;
  r->kappa_factor = 1.0;
  r->iterations   = 100;
  r->seed         = 1;
  r->n_agents     = 10000;
  r->env          = STK_SIM_SDE;
  {
    StkSimSettings set;
    PetscCall(StkSimSettingsDefault(&set));
    r->abm_types = set.types, r->abm_response = set.response, r->hedge_rate = set.hedge_rate, r->hedge_forget = set.hedge_forget;
  }
  PetscCall(PetscStrncpy(r->replan_file, "out/replanned.h5", sizeof(r->replan_file)));
  *refine         = r;
  PetscFunctionReturn(0);
}

PetscErrorCode StkRefineSetOptionsPrefix(StkRefine r, const char prefix[])
{
  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixSet(&r->prefix, prefix));
  PetscCall(StkOptionsPrefixCompose(r->prefix, STK_REFINE_CLASS, r->class_prefix, sizeof(r->class_prefix)));
  PetscFunctionReturn(0);
}

PetscErrorCode StkRefineAppendOptionsPrefix(StkRefine r, const char prefix[])
{
  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixAppend(&r->prefix, prefix));
  PetscCall(StkOptionsPrefixCompose(r->prefix, STK_REFINE_CLASS, r->class_prefix, sizeof(r->class_prefix)));
  PetscFunctionReturn(0);
}

PetscErrorCode StkRefineGetOptionsPrefix(StkRefine r, const char *prefix[])
{
  PetscFunctionBeginUser;
  *prefix = r->prefix;
  PetscFunctionReturn(0);
}

PetscErrorCode StkRefineSetNetwork(StkRefine r, StkNet net)
{
  PetscFunctionBeginUser;
  r->net         = net;
  r->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkRefineSetExpert(StkRefine r, StkPolicy expert)
{
  PetscFunctionBeginUser;
  r->expert      = expert;
  r->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkRefineSetEnvironment(StkRefine r, StkSimType env)
{
  PetscFunctionBeginUser;
  PetscCheck(env == STK_SIM_SDE || env == STK_SIM_ABM, r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%senv must be sde or abm, got %d", r->class_prefix, (int)env);
  r->env         = env;
  r->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkRefineSetIterations(StkRefine r, PetscInt iterations)
{
  PetscFunctionBeginUser;
  PetscCheck(iterations >= 0, r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%siterations must be >= 0, got %" PetscInt_FMT, r->class_prefix, iterations);
  r->iterations  = iterations;
  r->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkRefineSetMonitor(StkRefine r, StkRefineMonitorFn monitor, void *ctx)
{
  PetscFunctionBeginUser;
  r->monitor     = monitor;
  r->monitor_ctx = ctx;
  PetscFunctionReturn(0);
}

/* The values the options set (every one finite and bounded, so no step overflows): at
 * SetFromOptions, before any work, and at SetUp. */
static PetscErrorCode StkRefineCheckOptions(StkRefine r)
{
  const char *pre = r->class_prefix;

  PetscFunctionBeginUser;
  PetscCheck(r->iterations >= 0, r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%siterations must be >= 0, got %" PetscInt_FMT, pre, r->iterations);
  PetscCheck(r->sa.a0 >= 0, r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sa0 must be >= 0, got %g", pre, (double)r->sa.a0);
  PetscCheck(r->sa.k0 > 0, r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sk0 must be > 0, got %g", pre, (double)r->sa.k0);
  PetscCheck(r->sa.alpha > 0.5 && r->sa.alpha <= 1, r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%salpha must lie in (0.5, 1], got %g", pre, (double)r->sa.alpha);
  PetscCheck(r->sa.radius >= 0, r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sradius must be >= 0, got %g", pre, (double)r->sa.radius);
  PetscCheck(r->window > 0, r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%swindow must be > 0, got %g", pre, (double)r->window);
  PetscCheck(r->dt > 0 && r->dt <= r->window / 2, r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sdt must lie in (0, -%swindow / 2 = %g], got %g", pre, pre, (double)(r->window / 2), (double)r->dt);
  PetscCheck(r->seed >= 0, r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sseed must be >= 0, got %" PetscInt_FMT, pre, r->seed);
  PetscCheck(r->s0 >= 0 && r->s0 <= 1, r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%ss0 must lie in [0, 1], got %g", pre, (double)r->s0);
  PetscCheck(r->spsa_c > 0, r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sspsa_c must be > 0, got %g", pre, (double)r->spsa_c);
  PetscCheck(r->replan >= 0, r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sreplan must be >= 0 (0: never), got %g", pre, (double)r->replan);
  PetscCheck(r->prox >= 0 && r->prox <= 1e6, r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sprox must lie in [0, 1e6], got %g", pre, (double)r->prox);
  PetscCheck(r->kappa_factor > 0, r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%strue_kappa_factor must be > 0, got %g", pre, (double)r->kappa_factor);
  PetscCheck(r->iterations <= 10000000, r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%siterations must be <= 10000000, got %" PetscInt_FMT, pre, r->iterations);
  PetscCheck(r->sa.a0 <= 1000, r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sa0 must lie in [0, 1000], got %g", pre, (double)r->sa.a0);
  PetscCheck(r->sa.k0 <= 1e9, r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sk0 must lie in (0, 1e9], got %g", pre, (double)r->sa.k0);
  PetscCheck(r->sa.radius <= 1e6, r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sradius must lie in [0, 1e6], got %g", pre, (double)r->sa.radius);
  PetscCheck(r->window <= 100, r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%swindow must lie in (0, 100] yr, got %g", pre, (double)r->window);
  PetscCheck(r->window / r->dt <= 1e8, r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%swindow / -%sdt = %g steps per window, more than 1e8", pre, pre, (double)(r->window / r->dt));
  PetscCheck(r->n_agents >= 1 && r->n_agents <= 1000000000, r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sn (token holders of the abm environment) must lie in [1, 1e9], got %" PetscInt_FMT, pre, r->n_agents);
  PetscCheck(r->spsa_c <= 1000, r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sspsa_c must lie in (0, 1000], got %g", pre, (double)r->spsa_c);
  PetscCheck(r->replan <= 1000, r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sreplan must lie in [0, 1000] yr, got %g", pre, (double)r->replan);
  PetscCheck(r->kappa_factor <= 1000, r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%strue_kappa_factor must lie in (0, 1000], got %g", pre, (double)r->kappa_factor);
  PetscCheck(r->abm_response == STK_ABM_BEST || r->abm_types == STK_ABM_PERSISTENT, r->comm, PETSC_ERR_ARG_INCOMP, "-%sabm_response hedge needs -%sabm_types persistent (a learner keeps its cost)", pre, pre);
  PetscCheck(r->hedge_rate > 0 && !PetscIsInfOrNanReal(r->hedge_rate), r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%shedge_rate must be > 0 and finite, got %g", pre, (double)r->hedge_rate);
  PetscCheck(r->hedge_forget >= 0 && !PetscIsInfOrNanReal(r->hedge_forget), r->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%shedge_forget must be >= 0 and finite, got %g", pre, (double)r->hedge_forget);
  PetscCheck(!(r->env == STK_SIM_ABM && r->abm_types == STK_ABM_PERSISTENT && r->estimator == STK_REFINE_SPSA), r->comm, PETSC_ERR_ARG_INCOMP,
             "-%sestimator spsa needs -%sabm_types transitory: its perturbed windows start from the same state, and persistent holders carry theirs from window to window", pre, pre);
  PetscFunctionReturn(0);
}

PetscErrorCode StkRefineSetFromOptions(StkRefine r)
{
  PetscFunctionBeginUser;
  PetscOptionsBegin(r->comm, r->class_prefix, "Online refinement of the mechanism network (docs/model.md#online-refinement)", NULL);
  PetscCall(PetscOptionsEnum("-estimator", "Gradient estimator", "StkRefineSetFromOptions", StkRefineEstimators, (PetscEnum)r->estimator, (PetscEnum *)&r->estimator, NULL));
  PetscCall(PetscOptionsInt("-iterations", "Number of iterations (windows)", "", r->iterations, &r->iterations, NULL));
  PetscCall(PetscOptionsReal("-a0", "Step size a_0 in a_k = a_0 / (k + k_0)^alpha", "", r->sa.a0, &r->sa.a0, NULL));
  PetscCall(PetscOptionsReal("-k0", "Offset k_0 of the step sizes (> 0)", "", r->sa.k0, &r->sa.k0, NULL));
  PetscCall(PetscOptionsReal("-alpha", "Decay exponent alpha of the step sizes, in (1/2, 1]", "", r->sa.alpha, &r->sa.alpha, NULL));
  PetscCall(PetscOptionsReal("-radius", "Radius r of the trust region |theta - theta_0| <= r (Euclidean, weight units)", "", r->sa.radius, &r->sa.radius, NULL));
  PetscCall(PetscOptionsReal("-window", "Length of a window (one iteration), yr", "", r->window, &r->window, NULL));
  PetscCall(PetscOptionsReal("-dt", "Time step of the environment, yr", "", r->dt, &r->dt, NULL));
  PetscCall(PetscOptionsInt("-seed", "Key of the environment's noise (window k uses replication k)", "", r->seed, &r->seed, NULL));
  PetscCall(PetscOptionsEnum("-env", "Environment", "", StkSimTypes, (PetscEnum)r->env, (PetscEnum *)&r->env, NULL));
  PetscCall(PetscOptionsInt("-n", "abm: number of token holders", "", r->n_agents, &r->n_agents, NULL));
  PetscCall(PetscOptionsEnum("-abm_types", "abm: holders' costs drawn afresh at each revision, or once (then the windows continue one path)", "", StkAbmTypesList, (PetscEnum)r->abm_types, (PetscEnum *)&r->abm_types, NULL));
  PetscCall(PetscOptionsEnum("-abm_response", "abm: best response or Hedge learners (persistent types)", "", StkAbmResponses, (PetscEnum)r->abm_response, (PetscEnum *)&r->abm_response, NULL));
  PetscCall(PetscOptionsReal("-hedge_rate", "abm: Hedge learning rate eta", "", r->hedge_rate, &r->hedge_rate, NULL));
  PetscCall(PetscOptionsReal("-hedge_forget", "abm: Hedge forgetting rate lambda, 1/yr (0: plain Hedge)", "", r->hedge_forget, &r->hedge_forget, NULL));
  PetscCall(PetscOptionsReal("-s0", "Staking ratio at the start of the first window", "", r->s0, &r->s0, NULL));
  PetscCall(PetscOptionsReal("-spsa_c", "spsa: perturbation size c in c_k = c / (k + 1)^0.101 (weight units)", "", r->spsa_c, &r->spsa_c, NULL));
  PetscCall(PetscOptionsReal("-replan", "Re-solve the HJB with kappa scaled by the responsiveness estimate every this many years (0: never)", "", r->replan, &r->replan, NULL));
  PetscCall(PetscOptionsString("-replan_file", "Where the re-planned solution is written", "", r->replan_file, r->replan_file, sizeof(r->replan_file), NULL));
  PetscCall(PetscOptionsReal("-prox", "Proximal weight lambda: the gradient estimate gets lambda (theta - theta_0) added, which pulls directions the windows do not inform back to the fit (0: off)", "", r->prox, &r->prox, NULL));
  PetscCall(PetscOptionsBool("-gamma_intercept", "Estimate the responsiveness gamma by a regression with an intercept", "", r->gamma_intercept, &r->gamma_intercept, NULL));
  PetscCall(PetscOptionsReal("-true_kappa_factor", "The environment's kappa is the model's times this (misspecification)", "", r->kappa_factor, &r->kappa_factor, NULL));
  PetscOptionsEnd();
  PetscCall(StkRefineCheckOptions(r));
  r->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

static PetscErrorCode StkRefineCheck(StkRefine r)
{
  PetscFunctionBeginUser;
  PetscCheck(r->net, r->comm, PETSC_ERR_ARG_WRONGSTATE, "StkRefineSetNetwork must be called before StkRefineSetUp");
  PetscCheck(r->expert, r->comm, PETSC_ERR_ARG_WRONGSTATE, "StkRefineSetExpert must be called before StkRefineSetUp");
  PetscCall(StkRefineCheckOptions(r));
  if (r->replan > 0) {
    char opt[272];
    PetscCall(PetscSNPrintf(opt, sizeof(opt), "-%sreplan_file", r->class_prefix));
    PetscCall(StkH5CheckWritable(r->comm, opt, r->replan_file));
  }
  PetscFunctionReturn(0);
}

/* The environment: the model's holders with kappa scaled, on a simulator over comm. */
static PetscErrorCode SetUpEnvironment(StkRefine r)
{
  StkPopulation  mpop;
  StkAgentParams ep;
  StkSimSettings set;
  const StkAgentParams *mp;

  PetscFunctionBeginUser;
  PetscCall(StkModelStakingGetPopulation(r->model, &mpop));
  PetscCall(StkPopulationGetParams(mpop, &mp));
  r->mp    = *mp;
  ep       = r->has_truth ? r->truth : *mp;
  ep.kappa = ep.kappa * r->kappa_factor;
  PetscCall(StkPopulationDestroy(&r->pop));
  PetscCall(StkPopulationCreate(r->comm, &r->pop));
  PetscCall(StkPopulationSetOptionsPrefix(r->pop, r->prefix)); /* its messages name the refinement's spelling */
  PetscCall(StkPopulationSetParams(r->pop, &ep));
  PetscCall(StkSimSettingsDefault(&set));
  set.type     = r->env;
  set.dt       = r->dt;
  set.t_final  = r->window;
  set.seed     = r->seed;
  set.n_agents = r->n_agents;
  if (r->env == STK_SIM_ABM) {
    set.types        = r->abm_types;
    set.response     = r->abm_response;
    set.hedge_rate   = r->hedge_rate;
    set.hedge_forget = r->hedge_forget;
  }
  PetscCall(StkModelGetDimension(r->model, &set.dim));
  PetscCall(StkSimDestroy(&r->sim));
  PetscCall(StkSimCreate(r->comm, &r->sim));
  PetscCall(StkSimSetPopulation(r->sim, r->pop));
  if (r->regimes_from) PetscCall(StkSimCopyRegimes(r->regimes_from, r->sim));
  PetscCall(StkSimSetSettings(r->sim, &set));
  PetscCall(StkSimSetUp(r->sim));
  PetscCall(StkSimGetNumRecords(r->sim, &r->nrec));
  PetscFunctionReturn(0);
}

static PetscErrorCode NetworkPolicy(void *ctx, PetscReal t, const PetscReal x[], PetscReal *u, void *state)
{
  PetscFunctionBeginUser;
  PetscCall(StkNetEvaluate((StkNet)ctx, x, u));
  PetscFunctionReturn(0);
}

static PetscErrorCode FreeWork(StkRefine r)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree5(r->theta0, r->theta, r->g, r->dudw, r->delta));
  PetscCall(PetscFree4(r->path.t, r->path.s, r->path.z, r->path.u));
  PetscCall(PetscFree(r->history));
  PetscFunctionReturn(0);
}

PetscErrorCode StkRefineSetUp(StkRefine r)
{
  const PetscReal *w;

  PetscFunctionBeginUser;
  if (r->setupcalled) PetscFunctionReturn(0);
  PetscCall(StkRefineCheck(r));
  PetscCall(StkPolicyExpertGetModel(r->expert, &r->model));
  PetscCall(SetUpEnvironment(r));
  PetscCall(StkSimSetPolicy(r->sim, NetworkPolicy, NULL, r->net));
  PetscCall(FreeWork(r));
  PetscCall(StkNetGetNumWeights(r->net, &r->nw));
  PetscCall(PetscMalloc5(r->nw, &r->theta0, r->nw, &r->theta, r->nw, &r->g, r->nw, &r->dudw, r->nw, &r->delta));
  PetscCall(PetscMalloc4(r->nrec, &r->path.t, r->nrec, &r->path.s, r->nrec, &r->path.z, r->nrec, &r->path.u));
  PetscCall(PetscCalloc1(r->iterations + 1, &r->history));
  PetscCall(StkNetGetWeights(r->net, &w));
  PetscCall(PetscArraycpy(r->theta0, w, r->nw));
  PetscCall(PetscArraycpy(r->theta, w, r->nw));
  r->s     = r->s0;
  r->z     = (PetscReal)NAN; /* zbar */
  r->sxx   = 0;
  r->sxy   = 0;
  r->sx    = 0;
  r->sy    = 0;
  r->sn    = 0;
  r->gamma = 1;
  r->k     = 0;
  r->plan_factor = 1;
  r->next_replan = r->replan;
  r->regime      = 0;
  if (r->regimes_from) PetscCall(StkSimGetInitialRegime(r->regimes_from, &r->regime));
  PetscCall(StkPolicyDestroy(&r->plan));
  r->setupcalled = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/* ---- One window ---- */

/* Persistent holders carry their state (types, stakes, Hedge weights) from window to
 * window: the windows continue one path.  Transitory holders have no state beyond the
 * staker count, and each window restarts from round(s N) stakers (bitwise as before). */
static PetscBool Continues(StkRefine r)
{
  return (PetscBool)(r->env == STK_SIM_ABM && r->abm_types == STK_ABM_PERSISTENT);
}

/* Simulates noise replication k from the current state under the network's weights
 * and returns the window's discounted cost per year and the window's discounted cost
 * plus the discounted value of the end state (the planner's V as the continuation:
 * without it a short window would not see the later benefit of issuance). */
static PetscErrorCode RunWindow(StkRefine r, PetscInt k, PetscReal *cost, PetscReal *objective)
{
  const StkSimSettings *cur;
  StkSimSettings        set;
  PetscReal             rho, J = 0;
  const PetscInt        K = r->nrec - 1;

  PetscFunctionBeginUser;
  PetscCall(StkSimGetSettings(r->sim, &cur));
  set = *cur;
  if (Continues(r) && k > 0) PetscCall(StkSimContinue(r->sim, k, NULL, &r->path)); /* the holders keep their types and learning */
  else {
    set.s0 = r->s;
    set.z0 = r->z;
    PetscCall(StkSimSetSettings(r->sim, &set));
    if (r->regimes_from) PetscCall(StkSimSetInitialRegime(r->sim, r->regime)); /* the chain goes on where the last window left it */
    PetscCall(StkSimRun(r->sim, k, NULL, &r->path));
  }
  PetscCall(StkModelGetDiscount(r->model, &rho));
  for (PetscInt n = 0; n < K; n++) {
    const PetscReal x[2] = {r->path.s[n], r->path.z[n]};
    PetscReal       l;
    PetscCall(StkModelCost(r->model, x, &r->path.u[n], &l));
    J += PetscExpReal(-rho * r->path.t[n]) * l * set.dt;
  }
  *cost = J / (K * set.dt);
  if (objective) {
    const PetscReal xT[2] = {r->path.s[K], r->path.z[K]};
    PetscReal       VT;
    PetscCall(StkPolicyExpertValue(r->plan ? r->plan : r->expert, xT, &VT));
    *objective = J + PetscExpReal(-rho * r->path.t[K]) * VT;
  }
  PetscFunctionReturn(0);
}

static inline PetscReal ModelZ(StkRefine r, PetscReal z)
{
  return PetscIsNanReal(z) ? r->mp.zbar : z;
}

/* Least squares of s_{n+1} - s_n on b_model(x_n, u_n) dt, accumulated over every window
 * so far: through the origin (the default), or with an intercept
 * (-refine_gamma_intercept), so that a level shift of the true drift (a misspecified
 * cost law or fee yield moves the holders' equilibrium, not their speed) is not read
 * as a change of the responsiveness. */
static void UpdateResponsiveness(StkRefine r)
{
  for (PetscInt n = 0; n + 1 < r->nrec; n++) {
    const PetscReal m = StkAgentsDrift(&r->mp, r->path.s[n], ModelZ(r, r->path.z[n]), r->path.u[n]) * r->dt, ds = r->path.s[n + 1] - r->path.s[n];
    r->sxx += m * m;
    r->sxy += m * ds;
    r->sx += m;
    r->sy += ds;
    r->sn += 1;
  }
  if (r->gamma_intercept) {
    const PetscReal vxx = r->sxx - r->sx * r->sx / r->sn, vxy = r->sxy - r->sx * r->sy / r->sn;
    if (r->sn > 1 && vxx > 0) r->gamma = vxy / vxx;
  } else if (r->sxx > 0) r->gamma = r->sxy / r->sxx;
}

/* dl/du by a central difference (l is quadratic in u: exact up to round-off). */
static PetscErrorCode CostDerivative(StkRefine r, const PetscReal x[], PetscReal u, PetscReal *lu)
{
  const PetscReal h = 1e-4;
  PetscReal       up = u + h, um = u - h, lp, lm;

  PetscFunctionBeginUser;
  PetscCall(StkModelCost(r->model, x, &up, &lp));
  PetscCall(StkModelCost(r->model, x, &um, &lm));
  *lu = (lp - lm) / (2 * h);
  PetscFunctionReturn(0);
}

/* g = mean over the window of [l_u + gamma b_u V_s] dpi/dtheta at the visited states.
 * gamma and b_u are relative to the original model; after a re-plan V_s is the
 * re-planned value's, whose model drifts gamma_plan b, so gamma b_u is the re-planned
 * model's b_u times gamma / gamma_plan, as it should be. */
static PetscErrorCode HamiltonianGradient(StkRefine r)
{
  const PetscInt K = r->nrec - 1;

  PetscFunctionBeginUser;
  PetscCall(PetscArrayzero(r->g, r->nw));
  for (PetscInt n = 0; n < K; n++) {
    const PetscReal x[2] = {r->path.s[n], r->path.z[n]};
    PetscReal       u, lu = 0, Vs = 0, bu, H;

    PetscCall(StkNetGradient(r->net, x, &u, r->dudw, NULL));
    PetscCall(CostDerivative(r, x, u, &lu));
    PetscCall(StkPolicyExpertValueGradient(r->plan ? r->plan : r->expert, x, u, &Vs));
    bu = StkAgentsDriftU(&r->mp, x[0], ModelZ(r, x[1]), u);
    H  = lu + r->gamma * bu * Vs;
    for (PetscInt i = 0; i < r->nw; i++) r->g[i] += H * r->dudw[i] / K;
  }
  PetscFunctionReturn(0);
}

/* Two windows from the same state on the same noise with theta +- c_k Delta. */
static PetscErrorCode SpsaGradient(StkRefine r, PetscInt k)
{
  const PetscReal c = r->spsa_c / PetscPowReal(k + 1.0, 0.101);
  PetscReal       Jp, Jm, cost;
  StkRng          rng;

  PetscFunctionBeginUser;
  StkRngInit(&rng, (uint64_t)r->seed, 0, (uint32_t)k, 0, STK_RNG_STREAM_GENERIC);
  for (PetscInt i = 0; i < r->nw; i++) r->delta[i] = (StkRngWord(&rng) >> 31) ? 1 : -1;
  for (PetscInt i = 0; i < r->nw; i++) r->g[i] = r->theta[i] + c * r->delta[i];
  PetscCall(StkNetSetWeights(r->net, r->g));
  PetscCall(RunWindow(r, k, &cost, &Jp));
  for (PetscInt i = 0; i < r->nw; i++) r->g[i] = r->theta[i] - c * r->delta[i];
  PetscCall(StkNetSetWeights(r->net, r->g));
  PetscCall(RunWindow(r, k, &cost, &Jm));
  PetscCall(StkNetSetWeights(r->net, r->theta));
  for (PetscInt i = 0; i < r->nw; i++) r->g[i] = (Jp - Jm) / (2 * c) * r->delta[i];
  PetscFunctionReturn(0);
}

PetscReal StkRefineStepSize(const StkRefineSA *sa, PetscInt k)
{
  return sa->a0 / PetscPowReal(k + sa->k0, sa->alpha);
}

PetscErrorCode StkRefineProjectedStep(const StkRefineSA *sa, PetscInt k, PetscInt n, const PetscReal theta0[], const PetscReal g[], PetscReal theta[], StkRefineRecord *rec)
{
  PetscReal g2 = 0, d2 = 0, step2 = 0, scale, a;

  PetscFunctionBeginUser;
  PetscCheck(k >= 0 && n >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "StkRefineProjectedStep: iteration %" PetscInt_FMT " and dimension %" PetscInt_FMT " must be >= 0", k, n);
  for (PetscInt i = 0; i < n; i++) g2 += g[i] * g[i];
  a = StkRefineStepSize(sa, k);
  for (PetscInt i = 0; i < n; i++) d2 += PetscSqr(theta[i] - a * g[i] - theta0[i]);
  scale = d2 > sa->radius * sa->radius ? sa->radius / PetscSqrtReal(d2) : 1;
  for (PetscInt i = 0; i < n; i++) {
    const PetscReal next = theta0[i] + scale * (theta[i] - a * g[i] - theta0[i]);
    step2 += PetscSqr(next - theta[i]);
    theta[i] = next;
  }
  rec->grad_norm = PetscSqrtReal(g2);
  rec->step_size = a;
  rec->step_norm = PetscSqrtReal(step2);
  rec->distance  = PetscSqrtReal(d2) * scale;
  PetscFunctionReturn(0);
}

PetscErrorCode StkRefineGetSA(StkRefine r, StkRefineSA *sa)
{
  PetscFunctionBeginUser;
  *sa = r->sa;
  PetscFunctionReturn(0);
}

/* Re-plans when the simulated time reaches the next re-planning date. */
static PetscErrorCode MaybeReplan(StkRefine r)
{
  PetscFunctionBeginUser;
  if (r->replan <= 0 || (r->k + 1) * r->window < r->next_replan - 1e-9 * r->window) PetscFunctionReturn(0);
  r->next_replan += r->replan;
  r->plan_factor = PetscClipInterval(r->gamma, 0.05, 20); /* a wild early estimate must not break the solve */
  PetscCall(StkPolicyDestroy(&r->plan));
  PetscCall(PetscLogEventBegin(STK_EVENT_Replan, 0, 0, 0, 0));
  PetscCall(StkPolicyExpertReplan(r->expert, r->plan_factor, r->replan_file, &r->plan));
  PetscCall(PetscLogEventEnd(STK_EVENT_Replan, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

static PetscErrorCode Iterate(StkRefine r)
{
  StkRefineRecord *rec = &r->history[r->k];
  const PetscInt   k   = r->k;

  PetscFunctionBeginUser;
  if (r->estimator == STK_REFINE_SPSA) PetscCall(SpsaGradient(r, k));
  PetscCall(RunWindow(r, k, &rec->cost, NULL)); /* the nominal window: cost, gamma, next state */
  UpdateResponsiveness(r);
  PetscCall(MaybeReplan(r));
  if (r->estimator == STK_REFINE_HAMILTONIAN) PetscCall(HamiltonianGradient(r));
  if (r->prox > 0)
    for (PetscInt i = 0; i < r->nw; i++) r->g[i] += r->prox * (r->theta[i] - r->theta0[i]);
  PetscCall(StkRefineProjectedStep(&r->sa, k, r->nw, r->theta0, r->g, r->theta, rec));
  rec->gamma     = r->gamma;
  rec->plan      = r->plan_factor;
  rec->s_end     = r->path.s[r->nrec - 1];
  rec->regret = rec->cce_gap = (PetscReal)NAN;
  if (Continues(r)) PetscCall(StkSimGetRegret(r->sim, &rec->regret, &rec->cce_gap));
  PetscCall(StkNetSetWeights(r->net, r->theta));
  r->s = r->path.s[r->nrec - 1];
  r->z = r->path.z[r->nrec - 1];
  if (r->regimes_from) PetscCall(StkSimGetRegime(r->sim, &r->regime));
  r->k++;
  PetscFunctionReturn(0);
}

PetscErrorCode StkRefineMonitorProgress(StkRefine r, PetscInt k, PetscInt n, const StkRefineRecord *rec, void *ctx)
{
  PetscFunctionBeginUser;
  if (r->progress) PetscCall(StkProgressUpdate(r->progress, (PetscReal)(k + 1) / n, "iteration %" PetscInt_FMT "/%" PetscInt_FMT ", window cost %.5f /yr, gamma %.3f, |theta - theta_0| %.4f", k + 1, n, (double)rec->cost, (double)rec->gamma, (double)rec->distance));
  PetscFunctionReturn(0);
}

PetscErrorCode StkRefineRun(StkRefine r)
{
  PetscFunctionBeginUser;
  PetscCall(StkProgressDestroy(&r->progress));
  PetscCall(StkProgressCreate(r->comm, "refine", &r->progress));
  PetscCall(StkRefineSetUp(r));
  PetscCall(PetscLogEventBegin(STK_EVENT_Refine, 0, 0, 0, 0));
  while (r->k < r->iterations) {
    PetscCall(Iterate(r));
    if (r->monitor) PetscCall(r->monitor(r, r->k - 1, r->iterations, &r->history[r->k - 1], r->monitor_ctx));
  }
  PetscCall(PetscLogEventEnd(STK_EVENT_Refine, 0, 0, 0, 0));
  PetscCall(StkProgressDestroy(&r->progress));
  PetscFunctionReturn(0);
}

PetscErrorCode StkRefineGetHistory(StkRefine r, PetscInt *n, const StkRefineRecord **history)
{
  PetscFunctionBeginUser;
  if (n) *n = r->setupcalled ? r->k : 0;
  if (history) *history = r->history;
  PetscFunctionReturn(0);
}

PetscErrorCode StkRefineSetEnvironmentParams(StkRefine r, const StkAgentParams *truth)
{
  PetscFunctionBeginUser;
  PetscCall(StkAgentParamsCheck(r->comm, truth));
  r->truth     = *truth;
  r->has_truth = PETSC_TRUE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkRefineSetEnvironmentRegimes(StkRefine r, StkSim from)
{
  PetscFunctionBeginUser;
  r->regimes_from = from;
  r->setupcalled  = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkRefineSetEstimator(StkRefine r, StkRefineEstimator estimator)
{
  PetscFunctionBeginUser;
  r->estimator = estimator;
  PetscFunctionReturn(0);
}

PetscErrorCode StkRefineSetReplan(StkRefine r, PetscReal years, const char path[])
{
  PetscFunctionBeginUser;
  r->replan = years;
  if (path) PetscCall(PetscStrncpy(r->replan_file, path, sizeof(r->replan_file)));
  PetscFunctionReturn(0);
}

PetscErrorCode StkRefineGetEnvironment(StkRefine r, StkPopulation *pop)
{
  PetscFunctionBeginUser;
  PetscCall(StkRefineSetUp(r));
  *pop = r->pop;
  PetscFunctionReturn(0);
}

/* ---- Output ---- */

static PetscErrorCode WriteHistory(StkRefine r, StkH5 file)
{
  static const char *const group = "network/history";
  static const struct {
    const char *name, *units, *description;
    size_t      offset;
  } cols[] = {
    {"step_size", "1", "a_k = a_0 / (k + k_0)^alpha", offsetof(StkRefineRecord, step_size)},
    {"step_norm", "1", "|theta_{k+1} - theta_k| after the projection", offsetof(StkRefineRecord, step_norm)},
    {"distance", "1", "|theta_{k+1} - theta_0| (<= radius)", offsetof(StkRefineRecord, distance)},
    {"grad_norm", "1", "|g_k|", offsetof(StkRefineRecord, grad_norm)},
    {"cost", "1/yr", "discounted cost per year of window k under theta_k", offsetof(StkRefineRecord, cost)},
    {"gamma", "1", "estimated responsiveness of the agents relative to the model", offsetof(StkRefineRecord, gamma)},
    {"plan_kappa_factor", "1", "kappa of the planner's (re-planned) model relative to the original", offsetof(StkRefineRecord, plan)},
    {"s_end", "1", "staking ratio at the end of window k", offsetof(StkRefineRecord, s_end)},
  };
  static const struct {
    const char *name, *units, *description;
    size_t      offset;
  } learners[] = {
    {"regret", "1/yr", "persistent holders: mean external regret per year since the first window", offsetof(StkRefineRecord, regret)},
    {"cce_gap", "1/yr", "persistent holders: max external regret per year, the coarse-correlated-equilibrium gap of their play", offsetof(StkRefineRecord, cce_gap)},
  };
  const PetscInt n = r->k;
  PetscReal     *col;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(PetscMax(n, 1), &col));
  for (PetscInt k = 0; k < n; k++) col[k] = k;
  PetscCall(StkH5WriteArray(file, group, "step", "step", n, col, "1", "iteration k"));
  for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
    for (PetscInt k = 0; k < n; k++) col[k] = *(const PetscReal *)((const char *)&r->history[k] + cols[c].offset);
    PetscCall(StkH5WriteArray(file, group, cols[c].name, "step", n, col, cols[c].units, cols[c].description));
  }
  for (size_t c = 0; Continues(r) && c < sizeof(learners) / sizeof(learners[0]); c++) {
    for (PetscInt k = 0; k < n; k++) col[k] = *(const PetscReal *)((const char *)&r->history[k] + learners[c].offset);
    PetscCall(StkH5WriteArray(file, group, learners[c].name, "step", n, col, learners[c].units, learners[c].description));
  }
  PetscCall(PetscFree(col));
  PetscCall(StkH5WriteAttributeString(file, group, "estimator", StkRefineEstimators[r->estimator]));
  PetscCall(StkH5WriteAttributeString(file, group, "environment", StkSimTypes[r->env]));
  PetscCall(StkH5WriteAttributeReal(file, group, "a0", r->sa.a0, "1"));
  PetscCall(StkH5WriteAttributeReal(file, group, "k0", r->sa.k0, "1"));
  PetscCall(StkH5WriteAttributeReal(file, group, "alpha", r->sa.alpha, "1"));
  PetscCall(StkH5WriteAttributeReal(file, group, "radius", r->sa.radius, "1"));
  PetscCall(StkH5WriteAttributeReal(file, group, "window", r->window, "yr"));
  PetscCall(StkH5WriteAttributeReal(file, group, "dt", r->dt, "yr"));
  PetscCall(StkH5WriteAttributeInt(file, group, "seed", r->seed));
  PetscCall(StkH5WriteAttributeInt(file, group, "n_agents", r->n_agents));
  if (r->env == STK_SIM_ABM && r->abm_types == STK_ABM_PERSISTENT) PetscCall(StkH5WriteAttributeString(file, group, "abm_types", StkAbmTypesList[r->abm_types]));
  if (r->env == STK_SIM_ABM && r->abm_response == STK_ABM_HEDGE) {
    PetscCall(StkH5WriteAttributeString(file, group, "abm_response", StkAbmResponses[r->abm_response]));
    PetscCall(StkH5WriteAttributeReal(file, group, "hedge_rate", r->hedge_rate, "1"));
    PetscCall(StkH5WriteAttributeReal(file, group, "hedge_forget", r->hedge_forget, "1/yr"));
  }
  PetscCall(StkH5WriteAttributeReal(file, group, "true_kappa_factor", r->kappa_factor, "1"));
  PetscCall(StkH5WriteAttributeReal(file, group, "spsa_c", r->spsa_c, "1"));
  PetscCall(StkH5WriteAttributeReal(file, group, "replan", r->replan, "yr"));
  if (r->prox > 0) PetscCall(StkH5WriteAttributeReal(file, group, "prox", r->prox, "1")); /* only when on: files without it are bitwise as before */
  PetscFunctionReturn(0);
}

PetscErrorCode StkRefineWrite(StkRefine r, const char path[])
{
  StkH5          file;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(StkRefineSetUp(r));
  PetscCall(StkH5Create(r->comm, path, &file));
  ierr = StkNetWriteGroup(r->net, file, "network");
  if (!ierr && r->k > 0) ierr = WriteHistory(r, file); /* no history before the first iteration */
  if (!ierr) ierr = StkH5Commit(file, "network", NULL, 0, NULL);
  PetscCall(StkH5Destroy(&file)); /* removes the temporary on failure */
  PetscCall(ierr);
  PetscFunctionReturn(0);
}

/* Mean window cost over the first and the last tenth of the n iterations. */
static void CostEnds(PetscInt n, const StkRefineRecord *h, PetscReal *first, PetscReal *last)
{
  const PetscInt m = PetscMax(n / 10, 1);

  *first = *last = 0;
  for (PetscInt k = 0; k < m; k++) {
    *first += h[k].cost / m;
    *last += h[n - m + k].cost / m;
  }
}

static PetscErrorCode ViewHistory(StkRefine r, PetscViewer viewer)
{
  const StkRefineRecord *last = &r->history[r->k - 1];
  PetscReal              first_tenth, last_tenth;

  PetscFunctionBeginUser;
  CostEnds(r->k, r->history, &first_tenth, &last_tenth);
  PetscCall(PetscViewerASCIIPushTab(viewer));
  PetscCall(PetscViewerASCIIPrintf(viewer, "last step |theta_{k+1} - theta_k| %.3e, final |theta - theta_0| %.4f\n", (double)last->step_norm, (double)last->distance));
  PetscCall(PetscViewerASCIIPrintf(viewer, "mean window cost: first tenth %.6f /yr, last tenth %.6f /yr (noisy: windows differ in state and noise)\n", (double)first_tenth, (double)last_tenth));
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(0);
}

PetscErrorCode StkRefineView(StkRefine r, PetscViewer viewer)
{
  char agents[64] = "";

  PetscFunctionBeginUser;
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(r->comm, &viewer));
  if (r->env == STK_SIM_ABM) PetscCall(PetscSNPrintf(agents, sizeof(agents), " of %" PetscInt_FMT " holders", r->n_agents));
  PetscCall(PetscViewerASCIIPrintf(viewer, "Refinement: %s estimator, %" PetscInt_FMT " windows of %g yr (dt %g yr) in the %s environment%s, true kappa = %g x the model's\n", StkRefineEstimators[r->estimator], r->iterations, (double)r->window, (double)r->dt, StkSimTypes[r->env], agents, (double)r->kappa_factor));
  PetscCall(PetscViewerASCIIPrintf(viewer, "steps a_k = %g / (k + %g)^%g, trust region radius %g, noise key %" PetscInt_FMT "\n", (double)r->sa.a0, (double)r->sa.k0, (double)r->sa.alpha, (double)r->sa.radius, r->seed));
  if (r->estimator == STK_REFINE_SPSA) PetscCall(PetscViewerASCIIPrintf(viewer, "spsa perturbations c_k = %g / (k + 1)^0.101 on common random numbers\n", (double)r->spsa_c));
  if (r->prox > 0 || r->gamma_intercept) PetscCall(PetscViewerASCIIPrintf(viewer, "proximal pull %g toward the fitted weights, responsiveness regression %s\n", (double)r->prox, r->gamma_intercept ? "with an intercept" : "through the origin"));
  if (r->replan > 0) PetscCall(PetscViewerASCIIPrintf(viewer, "re-planning every %g yr (warm-started HJB solve with kappa x gamma) into %s\n", (double)r->replan, r->replan_file));
  if (r->setupcalled) PetscCall(PetscViewerASCIIPrintf(viewer, "after %" PetscInt_FMT " iterations: responsiveness estimate gamma = %g, planner's kappa factor %g\n", r->k, (double)r->gamma, (double)r->plan_factor));
  if (r->setupcalled && r->k > 0) PetscCall(ViewHistory(r, viewer));
  PetscFunctionReturn(0);
}

PetscErrorCode StkRefineDestroy(StkRefine *refine)
{
  StkRefine r = *refine;

  PetscFunctionBeginUser;
  if (!r) PetscFunctionReturn(0);
  PetscCall(FreeWork(r));
  PetscCall(StkProgressDestroy(&r->progress));
  PetscCall(StkSimDestroy(&r->sim));
  PetscCall(StkPopulationDestroy(&r->pop));
  PetscCall(StkPolicyDestroy(&r->plan));
  PetscCall(PetscFree(r->prefix));
  PetscCall(PetscFree(*refine));
  PetscFunctionReturn(0);
}
