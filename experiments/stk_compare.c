/* StkCompare: settings, the runs of every regime, and the statistics (stk_compare.h). */
#include "stk_compareimpl.h"
#define STK_COMPARE_MAX_PATHS 100000000 /* below int overflow of the tables */
#define STK_COMPARE_MAX_YEARS 1000      /* one step per day: 365000 steps */
#include "stk_evaluate.h"
#include "stk_hjb.h"
#include "stk_options.h"
#include "stk_policy.h"
#include "stk_stats.h"
#include "stk_sim_price.h"
#include "stk_version.h"
#include <petsctime.h>
#include <ctype.h>
#include <string.h>
#include <unistd.h>

const char *const    StkCompareScenarioNames[STK_SCENARIO_COUNT] = {"none", "z_jump", "stake_drop"};
const StkMetric      StkCompareCompared[STK_COMPARE_NCOMPARED]   = {STK_METRIC_DISCOUNTED_COST, STK_METRIC_TRACKING_RMSE, STK_METRIC_TIME_IN_BAND, STK_METRIC_STD_U, STK_METRIC_RECOVERY_TIME};
const StkPriceMetric StkComparePriceCompared[STK_COMPARE_NPRICE_COMPARED] = {STK_PRICE_METRIC_VOLATILITY, STK_PRICE_METRIC_ENTROPY, STK_PRICE_METRIC_RESILIENCE, STK_PRICE_METRIC_RECOVERY_TIME, STK_PRICE_METRIC_MEAN_PRICE, STK_PRICE_METRIC_HERFINDAHL};

PetscInt StkCompareRow(StkCompare cmp, PetscInt r, PetscInt e, PetscInt c, PetscInt p)
{
  return ((r * cmp->nenvs + e) * cmp->nscenarios + c) * cmp->npolicies + p;
}

void StkCompareRowParts(StkCompare cmp, PetscInt row, PetscInt *r, PetscInt *e, PetscInt *c, PetscInt *p)
{
  *p = row % cmp->npolicies;
  *c = (row / cmp->npolicies) % cmp->nscenarios;
  *e = (row / (cmp->npolicies * cmp->nscenarios)) % cmp->nenvs;
  *r = row / (cmp->npolicies * cmp->nscenarios * cmp->nenvs);
}

/* ------------------------------------------------------------------------------------ */
/* Settings */

static PetscErrorCode SetList(PetscInt n, const char *const names[], PetscInt max, const char what[], char *items[], PetscInt *nitems)
{
  PetscFunctionBeginUser;
  PetscCheck(n >= 1 && n <= max, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "%s: between 1 and %" PetscInt_FMT " names, got %" PetscInt_FMT, what, max, n);
  for (PetscInt i = 0; i < *nitems; i++) PetscCall(PetscFree(items[i]));
  for (PetscInt i = 0; i < n; i++) PetscCall(PetscStrallocpy(names[i], &items[i]));
  *nitems = n;
  PetscFunctionReturn(0);
}

PetscErrorCode StkCompareCreate(MPI_Comm comm, StkCompare *cmp)
{
  const char *regimes[]   = {"baseline", "bull", "bear", "volatile", "sluggish", "responsive", "fee_rich"};
  const char *policies[]  = {"expert", "network", "zero", "fixed", "proportional", "cosmos", "cosmos_sbar", "polkadot", "polkadot_sbar", "ethereum", "tezos", "tezos_sbar", "social_gradient"};
  const char *envs[]      = {"sde", "abm"};
  StkCompare  c;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&c));
  c->comm  = comm;
  c->paths = 200, c->years = 20, c->seed = 1, c->n_agents = 10000, c->nboot = 2000, c->samples = 10, c->sample_every = 7;
  c->t_shock = (PetscReal)NAN, c->dz = 0.02, c->frac = 0.25, c->band = 0.02, c->hold = 30 / STK_DAYS_PER_YEAR;
  {
    StkSimSettings set;
    PetscCall(StkSimSettingsDefault(&set));
    c->abm_types = set.types, c->abm_response = set.response, c->hedge_rate = set.hedge_rate, c->hedge_forget = set.hedge_forget;
  }
  PetscCall(PetscSNPrintf(c->regime_dir, sizeof(c->regime_dir), "%s/regimes", STK_DATA_DIR));
  PetscCall(SetList(7, regimes, STK_COMPARE_MAX_ITEMS, "regimes", c->regimes, &c->nregimes));
  PetscCall(SetList(13, policies, STK_COMPARE_MAX_ITEMS, "policies", c->policies, &c->npolicies));
  PetscCall(SetList(2, envs, 2, "environments", c->envs, &c->nenvs));
  PetscCall(SetList(STK_SCENARIO_COUNT, StkCompareScenarioNames, STK_SCENARIO_COUNT, "scenarios", c->scenarios, &c->nscenarios));
  *cmp = c;
  PetscFunctionReturn(0);
}

PetscErrorCode StkCompareSetRegimes(StkCompare cmp, PetscInt n, const char *const names[])
{
  PetscFunctionBeginUser;
  PetscCall(SetList(n, names, STK_COMPARE_MAX_ITEMS, "StkCompareSetRegimes", cmp->regimes, &cmp->nregimes));
  cmp->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkCompareSetPolicies(StkCompare cmp, PetscInt n, const char *const names[])
{
  PetscFunctionBeginUser;
  PetscCall(SetList(n, names, STK_COMPARE_MAX_ITEMS, "StkCompareSetPolicies", cmp->policies, &cmp->npolicies));
  cmp->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkCompareSetEnvironments(StkCompare cmp, PetscInt n, const char *const names[])
{
  PetscFunctionBeginUser;
  PetscCall(SetList(n, names, 2, "StkCompareSetEnvironments", cmp->envs, &cmp->nenvs));
  cmp->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkCompareSetScenarios(StkCompare cmp, PetscInt n, const char *const names[])
{
  PetscFunctionBeginUser;
  PetscCall(SetList(n, names, STK_SCENARIO_COUNT, "StkCompareSetScenarios", cmp->scenarios, &cmp->nscenarios));
  cmp->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkCompareSetPaths(StkCompare cmp, PetscInt paths)
{
  PetscFunctionBeginUser;
  cmp->paths       = paths;
  cmp->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkCompareSetYears(StkCompare cmp, PetscReal years)
{
  PetscFunctionBeginUser;
  cmp->years       = years;
  cmp->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkCompareSetAgents(StkCompare cmp, PetscInt n_agents)
{
  PetscFunctionBeginUser;
  cmp->n_agents    = n_agents;
  cmp->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkCompareSetFollowers(StkCompare cmp, StkAbmTypes types, StkAbmResponse response, PetscReal hedge_rate, PetscReal hedge_forget)
{
  PetscFunctionBeginUser;
  cmp->abm_types    = types;
  cmp->abm_response = response;
  cmp->hedge_rate   = hedge_rate;
  cmp->hedge_forget = hedge_forget;
  cmp->setupcalled  = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkCompareSetSamples(StkCompare cmp, PetscInt samples)
{
  PetscFunctionBeginUser;
  cmp->samples     = samples;
  cmp->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkCompareSetFitIterations(StkCompare cmp, PetscInt max_it)
{
  PetscFunctionBeginUser;
  cmp->fit_max_it  = max_it;
  cmp->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkCompareSetMonitor(StkCompare cmp, StkCompareMonitorFn monitor, void *ctx)
{
  PetscFunctionBeginUser;
  cmp->monitor     = monitor;
  cmp->monitor_ctx = ctx;
  PetscFunctionReturn(0);
}

PetscErrorCode StkCompareSetOutput(StkCompare cmp, const char path[])
{
  PetscFunctionBeginUser;
  PetscCall(PetscStrncpy(cmp->out, path, sizeof(cmp->out)));
  cmp->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}

static PetscErrorCode JoinList(char *items[], PetscInt n, char list[], size_t len)
{
  PetscFunctionBeginUser;
  list[0] = 0;
  for (PetscInt i = 0; i < n; i++) {
    if (i) PetscCall(PetscStrlcat(list, ",", len));
    PetscCall(PetscStrlcat(list, items[i], len));
  }
  PetscFunctionReturn(0);
}

/* A list option: -help shows the current list; when given, it replaces the list. */
static PetscErrorCode ListOption(PetscOptionItems *PetscOptionsObject, const char pre[], const char opt[], const char help[], PetscInt max, char *items[], PetscInt *n)
{
  char      list[1024], *given[STK_COMPARE_MAX_ITEMS];
  PetscInt  ngiven = max;
  PetscBool set;

  PetscFunctionBeginUser;
  PetscCall(JoinList(items, *n, list, sizeof(list)));
  PetscCall(PetscOptionsString(opt, help, "StkCompareSetFromOptions", list, list, sizeof(list), NULL));
  PetscCall(PetscOptionsGetStringArray(NULL, pre, opt, given, &ngiven, &set));
  if (!set) PetscFunctionReturn(0);
  PetscCheck(ngiven >= 1, PetscOptionsObject->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%s%s needs at least one name", pre, opt + 1);
  for (PetscInt i = 0; i < *n; i++) PetscCall(PetscFree(items[i]));
  for (PetscInt i = 0; i < ngiven; i++) items[i] = given[i];
  *n = ngiven;
  PetscFunctionReturn(0);
}

PetscErrorCode StkCompareSetOptionsPrefix(StkCompare cmp, const char prefix[])
{
  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixSet(&cmp->prefix, prefix));
  PetscFunctionReturn(0);
}

PetscErrorCode StkCompareAppendOptionsPrefix(StkCompare cmp, const char prefix[])
{
  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixAppend(&cmp->prefix, prefix));
  PetscFunctionReturn(0);
}

PetscErrorCode StkCompareGetOptionsPrefix(StkCompare cmp, const char *prefix[])
{
  PetscFunctionBeginUser;
  *prefix = cmp->prefix;
  PetscFunctionReturn(0);
}

/* A regime name is REGIME_DIR/NAME.yaml unless it names a file itself. */
static PetscErrorCode RegimeFile(StkCompare cmp, const char name[], char file[], size_t len)
{
  const char *user = cmp->prefix ? cmp->prefix : ""; /* the prefix in force, for the messages */

  PetscFunctionBeginUser;
  if (strchr(name, '/') || strstr(name, ".yaml") || strstr(name, ".yml")) PetscCall(PetscStrncpy(file, name, len));
  else PetscCall(PetscSNPrintf(file, len, "%s/%s.yaml", cmp->regime_dir, name));
  PetscCheck(!access(file, R_OK), cmp->comm, PETSC_ERR_FILE_OPEN, "-%scompare_regimes: regime '%s': cannot read %s", user, name, file);
  {
    char opt[300];
    PetscCall(PetscSNPrintf(opt, sizeof(opt), "-%scompare_regimes", user));
    PetscCall(StkFileCheckText(cmp->comm, opt, file)); /* a binary file would read as no options */
  }
  PetscFunctionReturn(0);
}

/* The values the options set: at SetFromOptions (before any work) and at SetUp. */
static PetscErrorCode StkCompareCheckOptions(StkCompare cmp)
{
  MPI_Comm        comm    = cmp->comm;
  const char     *user    = cmp->prefix ? cmp->prefix : ""; /* the prefix in force, for the messages */
  const PetscReal t_shock = PetscIsNanReal(cmp->t_shock) ? cmp->years / 2 : cmp->t_shock;

  PetscFunctionBeginUser;
  PetscCheck(cmp->paths >= 2, comm, PETSC_ERR_ARG_OUTOFRANGE, "-%scompare_paths must be >= 2, got %" PetscInt_FMT, user, cmp->paths);
  PetscCheck(cmp->years > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-%scompare_years must be > 0, got %g", user, (double)cmp->years);
  PetscCheck(cmp->n_agents >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-%scompare_agents must be >= 1, got %" PetscInt_FMT, user, cmp->n_agents);
  PetscCheck(t_shock > 0 && t_shock < cmp->years, comm, PETSC_ERR_ARG_OUTOFRANGE, "-%scompare_shock_time must lie in (0, -%scompare_years = %g), got %g", user, user, (double)cmp->years, (double)t_shock);
  PetscCheck(cmp->frac >= 0 && cmp->frac <= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-%scompare_shock_frac must lie in [0, 1], got %g", user, (double)cmp->frac);
  PetscCheck(cmp->band > 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-%scompare_band must be > 0, got %g", user, (double)cmp->band);
  PetscCheck(cmp->hold >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-%scompare_recovery_hold must be >= 0, got %g", user, (double)cmp->hold);
  PetscCheck(cmp->nboot >= 100, comm, PETSC_ERR_ARG_OUTOFRANGE, "-%scompare_bootstrap must be >= 100, got %" PetscInt_FMT, user, cmp->nboot);
  PetscCheck(cmp->samples >= 1 && cmp->samples <= cmp->paths, comm, PETSC_ERR_ARG_OUTOFRANGE, "-%scompare_samples must lie in [1, -%scompare_paths = %" PetscInt_FMT "], got %" PetscInt_FMT, user, user, cmp->paths, cmp->samples);
  PetscCheck(cmp->sample_every >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-%scompare_sample_every must be >= 1, got %" PetscInt_FMT, user, cmp->sample_every);
  PetscCheck(cmp->paths <= STK_COMPARE_MAX_PATHS, comm, PETSC_ERR_ARG_OUTOFRANGE, "-%scompare_paths must be <= %d, got %" PetscInt_FMT, user, STK_COMPARE_MAX_PATHS, cmp->paths);
  PetscCheck(cmp->years <= STK_COMPARE_MAX_YEARS, comm, PETSC_ERR_ARG_OUTOFRANGE, "-%scompare_years must lie in (0, %d] (one step per day), got %g", user, STK_COMPARE_MAX_YEARS, (double)cmp->years);
  PetscCheck(cmp->seed >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-%scompare_seed must be >= 0, got %" PetscInt_FMT, user, cmp->seed);
  PetscCheck(PetscIsNormalReal(cmp->dz) || cmp->dz == 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "-%scompare_shock_dz must be finite, got %g", user, (double)cmp->dz);
  PetscCheck(cmp->abm_types == STK_ABM_TRANSITORY || cmp->abm_types == STK_ABM_PERSISTENT, comm, PETSC_ERR_ARG_OUTOFRANGE, "-%scompare_abm_types must be transitory or persistent, got %d", user, (int)cmp->abm_types);
  PetscCheck(cmp->abm_response == STK_ABM_BEST || cmp->abm_response == STK_ABM_HEDGE, comm, PETSC_ERR_ARG_OUTOFRANGE, "-%scompare_abm_response must be best or hedge, got %d", user, (int)cmp->abm_response);
  PetscCheck(cmp->abm_response == STK_ABM_BEST || cmp->abm_types == STK_ABM_PERSISTENT, comm, PETSC_ERR_ARG_INCOMP, "-%scompare_abm_response hedge needs -%scompare_abm_types persistent (a learner keeps its cost)", user, user);
  PetscCheck(cmp->hedge_rate > 0 && !PetscIsInfOrNanReal(cmp->hedge_rate), comm, PETSC_ERR_ARG_OUTOFRANGE, "-%scompare_hedge_rate must be > 0 and finite, got %g", user, (double)cmp->hedge_rate);
  PetscCheck(cmp->hedge_forget >= 0 && !PetscIsInfOrNanReal(cmp->hedge_forget), comm, PETSC_ERR_ARG_OUTOFRANGE, "-%scompare_hedge_forget must be >= 0 and finite, got %g", user, (double)cmp->hedge_forget);
  { /* the table of StkCompareSetUp, before it is allocated */
    const PetscReal rows = (PetscReal)cmp->nregimes * cmp->nenvs * cmp->nscenarios * cmp->npolicies, nrec = PetscFloorReal(PetscFloorReal(cmp->years * STK_DAYS_PER_YEAR + 0.5) / cmp->sample_every) + 1;
    const PetscReal bytes = 8.0 * rows * ((PetscReal)STK_METRIC_COUNT * cmp->paths + 2.0 * cmp->samples * nrec + 2 * STK_METRIC_COUNT + 1 + STK_COMPARE_NCOMPARED * STK_COMPARE_NDIFF + (cmp->price ? (PetscReal)STK_PRICE_METRIC_COUNT * (cmp->paths + 2) + STK_COMPARE_NPRICE_COMPARED * STK_COMPARE_NDIFF : 0));
    char            what[256];
    PetscCall(PetscSNPrintf(what, sizeof(what), "-%scompare_paths %" PetscInt_FMT " in %.0f rows (regimes x envs x scenarios x policies) and -%scompare_samples %" PetscInt_FMT " of %.0f records", user, cmp->paths, (double)rows, user, cmp->samples, (double)nrec));
    PetscCall(StkMemoryCheck(comm, bytes, what));
  }
  for (PetscInt p = 0; p < cmp->npolicies; p++) {
    PetscBool known;
    char      list[512];
    PetscCall(StkPolicyTypeIsKnown(cmp->policies[p], &known));
    if (!known) PetscCall(StkPolicyKnownTypes(list, sizeof(list)));
    PetscCheck(known, comm, PETSC_ERR_ARG_UNKNOWN_TYPE, "-%scompare_policies: unknown policy '%s' (known: %s)", user, cmp->policies[p], list);
  }
  for (PetscInt e = 0; e < cmp->nenvs; e++) PetscCheck(!strcmp(cmp->envs[e], "sde") || !strcmp(cmp->envs[e], "abm"), comm, PETSC_ERR_ARG_UNKNOWN_TYPE, "-%scompare_envs: unknown environment '%s' (known: sde, abm)", user, cmp->envs[e]);
  if (cmp->price) {
    PetscBool abm = PETSC_FALSE;
    for (PetscInt e = 0; e < cmp->nenvs; e++) abm = (PetscBool)(abm || !strcmp(cmp->envs[e], "abm"));
    PetscCheck(abm, comm, PETSC_ERR_USER_INPUT, "-price: the token price needs the agent-based environment: -%scompare_envs must list abm", user);
  }
  for (PetscInt c = 0; c < cmp->nscenarios; c++) {
    PetscInt k = 0;
    while (k < STK_SCENARIO_COUNT && strcmp(cmp->scenarios[c], StkCompareScenarioNames[k])) k++;
    PetscCheck(k < STK_SCENARIO_COUNT, comm, PETSC_ERR_ARG_UNKNOWN_TYPE, "-%scompare_scenarios: unknown scenario '%s' (known: none, z_jump, stake_drop)", user, cmp->scenarios[c]);
    cmp->scenario_id[c] = k;
  }
  for (PetscInt r = 0; r < cmp->nregimes; r++) {
    char file[PETSC_MAX_PATH_LEN];
    PetscCall(RegimeFile(cmp, cmp->regimes[r], file, sizeof(file))); /* every file checked before any work */
  }
  PetscFunctionReturn(0);
}

PetscErrorCode StkCompareSetFromOptions(StkCompare cmp)
{
  char pre[256];

  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixCompose(cmp->prefix, "compare_", pre, sizeof(pre)));
  PetscOptionsBegin(cmp->comm, pre, "stakehjb compare (docs/model.md#experiments)", NULL);
  PetscCall(ListOption(PetscOptionsObject, pre, "-regimes", "Regimes: names of YAML files in -compare_regime_dir, or paths to YAML files", STK_COMPARE_MAX_ITEMS, cmp->regimes, &cmp->nregimes));
  PetscCall(PetscOptionsString("-regime_dir", "Directory of the regime files", "", cmp->regime_dir, cmp->regime_dir, sizeof(cmp->regime_dir), NULL));
  PetscCall(ListOption(PetscOptionsObject, pre, "-policies", "Policies (docs/policies.md); the first is the reference of the paired differences", STK_COMPARE_MAX_ITEMS, cmp->policies, &cmp->npolicies));
  PetscCall(ListOption(PetscOptionsObject, pre, "-envs", "Environments: sde, abm", 2, cmp->envs, &cmp->nenvs));
  PetscCall(ListOption(PetscOptionsObject, pre, "-scenarios", "Scenarios: none, z_jump (z += -compare_shock_dz), stake_drop (each staker leaves with probability -compare_shock_frac)", STK_SCENARIO_COUNT, cmp->scenarios, &cmp->nscenarios));
  PetscCall(PetscOptionsInt("-paths", "Monte Carlo paths M per regime, environment, scenario and policy", "StkCompareSetPaths", cmp->paths, &cmp->paths, NULL));
  PetscCall(PetscOptionsReal("-years", "Horizon T, yr", "StkCompareSetYears", cmp->years, &cmp->years, NULL));
  PetscCall(PetscOptionsInt("-seed", "Seed of the noise (common to every policy)", "", cmp->seed, &cmp->seed, NULL));
  PetscCall(PetscOptionsInt("-agents", "Holders N in the agent-based environment", "StkCompareSetAgents", cmp->n_agents, &cmp->n_agents, NULL));
  PetscCall(PetscOptionsEnum("-abm_types", "abm: holders' costs drawn afresh at each revision, or once per path", "StkCompareSetFollowers", StkAbmTypesList, (PetscEnum)cmp->abm_types, (PetscEnum *)&cmp->abm_types, NULL));
  PetscCall(PetscOptionsEnum("-abm_response", "abm: best response or Hedge learners (persistent types)", "StkCompareSetFollowers", StkAbmResponses, (PetscEnum)cmp->abm_response, (PetscEnum *)&cmp->abm_response, NULL));
  PetscCall(PetscOptionsReal("-hedge_rate", "abm: Hedge learning rate eta", "StkCompareSetFollowers", cmp->hedge_rate, &cmp->hedge_rate, NULL));
  PetscCall(PetscOptionsReal("-hedge_forget", "abm: Hedge forgetting rate lambda, 1/yr (0: plain Hedge)", "StkCompareSetFollowers", cmp->hedge_forget, &cmp->hedge_forget, NULL));
  PetscCall(PetscOptionsReal("-shock_time", "Shock time, yr (default T/2)", "", cmp->t_shock, &cmp->t_shock, NULL));
  PetscCall(PetscOptionsReal("-shock_dz", "Jump of z in the z_jump scenario, 1/yr", "", cmp->dz, &cmp->dz, NULL));
  PetscCall(PetscOptionsReal("-shock_frac", "Probability that a staker leaves in the stake_drop scenario", "", cmp->frac, &cmp->frac, NULL));
  PetscCall(PetscOptionsReal("-band", "Tracking band half-width around sbar", "", cmp->band, &cmp->band, NULL));
  PetscCall(PetscOptionsReal("-recovery_hold", "Time s must stay in the band to count as recovered, yr", "", cmp->hold, &cmp->hold, NULL));
  PetscCall(PetscOptionsInt("-bootstrap", "Bootstrap replicates of the intervals", "", cmp->nboot, &cmp->nboot, NULL));
  PetscCall(PetscOptionsInt("-samples", "Sample paths kept per row for the figures", "StkCompareSetSamples", cmp->samples, &cmp->samples, NULL));
  PetscCall(PetscOptionsInt("-sample_every", "Steps between kept samples", "", cmp->sample_every, &cmp->sample_every, NULL));
  PetscOptionsEnd();
  { /* the token price (issue 16): the user's -price and -price_* (each regime reads them again under its prefix) */
    StkPriceParams pp;
    PetscCall(StkPriceParamsDefault(&pp));
    PetscCall(StkPriceParamsFromOptions(NULL, &pp, &cmp->price));
  }
  PetscCall(StkCompareCheckOptions(cmp));
  cmp->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}


static PetscErrorCode StkCompareCheck(StkCompare cmp)
{
  PetscFunctionBeginUser;
  PetscCall(StkCompareCheckOptions(cmp));
  if (PetscIsNanReal(cmp->t_shock)) cmp->t_shock = cmp->years / 2;
  PetscCheck(cmp->out[0], cmp->comm, PETSC_ERR_ARG_WRONGSTATE, "StkCompareSetOutput must be called before StkCompareSetUp");
  for (PetscInt r = 0; r < cmp->nregimes; r++) {
    char file[PETSC_MAX_PATH_LEN];
    char opt[300];
    PetscCall(RegimeFile(cmp, cmp->regimes[r], file, sizeof(file)));
    PetscCall(PetscSNPrintf(opt, sizeof(opt), "-%scompare_regimes", cmp->prefix ? cmp->prefix : ""));
    PetscCall(StkFileCheckNotInput(cmp->comm, "-o", cmp->out, opt, file)); /* the commands name the comparison's output -o */
  }
  PetscFunctionReturn(0);
}

/* The start state of each path: the engine's default rule (golden), as every run uses. */
static PetscErrorCode ComputeStarts(StkCompare cmp)
{
  StkEvaluate ev;

  PetscFunctionBeginUser;
  PetscCall(StkEvaluateCreate(PETSC_COMM_SELF, &ev));
  PetscCall(StkEvaluateSetPaths(ev, cmp->paths));
  for (PetscInt p = 0; p < cmp->paths; p++) {
    PetscReal z0;
    PetscCall(StkEvaluateGetStart(ev, p, &cmp->s0[p], &z0));
  }
  PetscCall(StkEvaluateDestroy(&ev));
  PetscFunctionReturn(0);
}

static PetscErrorCode StkCompareFreeTable(StkCompare cmp)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree(cmp->s0));
  PetscCall(PetscFree3(cmp->metrics, cmp->sample_s, cmp->sample_u));
  PetscCall(PetscFree(cmp->summary));
  PetscCall(PetscFree(cmp->price_metrics));
  cmp->computed = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkCompareSetUp(StkCompare cmp)
{
  PetscInt ns;

  PetscFunctionBeginUser;
  if (cmp->setupcalled) PetscFunctionReturn(0);
  PetscCall(StkCompareCheck(cmp));
  cmp->reference = 0;
  cmp->nrows     = cmp->nregimes * cmp->nenvs * cmp->nscenarios * cmp->npolicies;
  cmp->nsteps    = PetscMax((PetscInt)PetscFloorReal(cmp->years * STK_DAYS_PER_YEAR + 0.5), 1); /* dt = 1 day */
  cmp->nrec      = cmp->nsteps / cmp->sample_every + 1;
  cmp->ncolumns  = 2 * STK_METRIC_COUNT + 1 + STK_COMPARE_NCOMPARED * STK_COMPARE_NDIFF;
  if (cmp->price) cmp->ncolumns += 2 * STK_PRICE_METRIC_COUNT + STK_COMPARE_NPRICE_COMPARED * STK_COMPARE_NDIFF;
  cmp->total     = cmp->nrows;
  ns             = cmp->nrows * cmp->samples * cmp->nrec;
  PetscCall(StkCompareFreeTable(cmp));
  PetscCall(PetscMalloc1(cmp->paths, &cmp->s0));
  PetscCall(PetscCalloc3(cmp->nrows * STK_METRIC_COUNT * cmp->paths, &cmp->metrics, ns, &cmp->sample_s, ns, &cmp->sample_u));
  PetscCall(PetscCalloc1(cmp->nrows * cmp->ncolumns, &cmp->summary));
  if (cmp->price) PetscCall(PetscCalloc1(cmp->nrows * STK_PRICE_METRIC_COUNT * cmp->paths, &cmp->price_metrics));
  PetscCall(ComputeStarts(cmp));
  if (!cmp->options) PetscCall(PetscOptionsGetAll(NULL, &cmp->options)); /* once: later SetUps would see the regimes' own insertions */
  cmp->setupcalled = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* One regime */

/* The expert's solution file for regime r, next to the output file. */
static PetscErrorCode SolutionPath(StkCompare cmp, PetscInt r, char path[], size_t len)
{
  char  base[PETSC_MAX_PATH_LEN], *dot;
  char *name = strrchr(cmp->regimes[r], '/') ? strrchr(cmp->regimes[r], '/') + 1 : cmp->regimes[r];

  PetscFunctionBeginUser;
  PetscCall(PetscStrncpy(base, cmp->out, sizeof(base)));
  if ((dot = strrchr(base, '.'))) *dot = 0;
  PetscCall(PetscSNPrintf(path, len, "%s_%s", base, name));
  if ((dot = strstr(path + strlen(base), ".y"))) *dot = 0;
  PetscCall(PetscStrlcat(path, ".h5", len));
  PetscCall(PetscStrncpy(base, path, sizeof(base)));
  PetscCall(StkOutputSetGetPath(cmp->outputs, base, path, len)); /* in the staging directory until StkCompareWrite */
  PetscFunctionReturn(0);
}

/* The options prefix of regime r: its name (a path's file name without extension)
 * with every character outside [a-z0-9_] made '_', then '_' ("fee_rich_"). */
static PetscErrorCode RegimePrefix(StkCompare cmp, PetscInt r, char pre[], size_t len)
{
  const char *name = strrchr(cmp->regimes[r], '/') ? strrchr(cmp->regimes[r], '/') + 1 : cmp->regimes[r];
  char       *dot;

  PetscFunctionBeginUser;
  PetscCall(PetscStrncpy(pre, name, len - 1));
  if ((dot = strstr(pre, ".y"))) *dot = 0;
  for (char *c = pre; *c; c++) {
    *c = (char)tolower((unsigned char)*c);
    if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c)) *c = '_';
  }
  PetscCall(PetscStrlcat(pre, "_", len));
  PetscFunctionReturn(0);
}

/* The regime's options, under its prefix in the global database: its YAML file first,
 * then the user's options (recorded at SetUp), so a user's -grid_n or -agents_kappa
 * applies to every regime and overrides the file. */
static PetscErrorCode InsertRegimeOptions(StkCompare cmp, const char file[], const char pre[])
{
  PetscFunctionBeginUser;
  PetscCall(PetscOptionsPrefixPush(NULL, pre));
  PetscCall(PetscOptionsInsertFileYAML(cmp->comm, NULL, file, PETSC_TRUE));
  PetscCall(PetscOptionsInsertString(NULL, cmp->options));
  PetscCall(PetscOptionsPrefixPop(NULL));
  PetscFunctionReturn(0);
}

PetscErrorCode StkCompareReadRegimeOptions(StkCompare cmp)
{
  PetscFunctionBeginUser;
  for (PetscInt r = 0; r < cmp->nregimes; r++) {
    StkModel  model;
    StkGrid   grid;
    StkSolver solver;
    StkNet    net;
    char      pre[256];
    PetscCall(RegimePrefix(cmp, r, pre, sizeof(pre)));
    PetscCall(StkModelCreate(PETSC_COMM_SELF, &model));
    PetscCall(StkModelSetOptionsPrefix(model, pre));
    PetscCall(StkModelSetType(model, STK_MODEL_STAKING));
    PetscCall(StkModelSetFromOptions(model));
    PetscCall(StkGridCreate(PETSC_COMM_SELF, &grid));
    PetscCall(StkGridSetOptionsPrefix(grid, pre));
    PetscCall(StkModelConfigureGrid(model, grid));
    PetscCall(StkSolverCreate(PETSC_COMM_SELF, &solver));
    PetscCall(StkSolverSetOptionsPrefix(solver, pre));
    PetscCall(StkSolverSetModel(solver, model));
    PetscCall(StkSolverSetGrid(solver, grid));
    PetscCall(StkSolverSetFromOptions(solver));
    for (PetscInt p = 0; p < cmp->npolicies; p++) {
      StkPolicy pol;
      PetscBool known;
      PetscCall(StkPolicyTypeIsKnown(cmp->policies[p], &known));
      if (!known) continue; /* StkCompareSetFromOptions names it */
      PetscCall(StkPolicyCreate(PETSC_COMM_SELF, &pol));
      PetscCall(StkPolicySetOptionsPrefix(pol, pre));
      PetscCall(StkPolicySetType(pol, cmp->policies[p]));
      PetscCall(StkPolicySetModel(pol, model));
      PetscCall(StkPolicySetFromOptions(pol));
      PetscCall(StkPolicyDestroy(&pol));
    }
    if (cmp->price) {
      StkPriceParams pp;
      PetscBool      on;
      PetscCall(StkPriceParamsDefault(&pp));
      PetscCall(StkPriceParamsFromOptions(pre, &pp, &on)); /* -bear_price_noise is an option */
    }
    PetscCall(StkNetCreate(PETSC_COMM_SELF, &net));
    PetscCall(StkNetSetOptionsPrefix(net, pre));
    PetscCall(StkNetSetFromOptions(net));
    PetscCall(StkNetPrintFitOptions(net));
    PetscCall(StkNetDestroy(&net));
    PetscCall(StkSolverDestroy(&solver));
    PetscCall(StkGridDestroy(&grid));
    PetscCall(StkModelDestroy(&model));
  }
  PetscFunctionReturn(0);
}

/* After the regime: its copies that nothing read (the user's options of other objects,
 * keys of its file that the regime's objects do not use) leave the database, so
 * -options_left and the program's unused-option check do not report them. */
static PetscErrorCode RemoveRegimeOptions(const char pre[])
{
  PetscInt n;
  char   **names, **values;
  size_t   len = strlen(pre);

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsLeftGet(NULL, &n, &names, &values));
  for (PetscInt i = 0; i < n; i++) {
    char name[512];
    if (strncmp(names[i], pre, len)) continue;
    PetscCall(PetscSNPrintf(name, sizeof(name), "-%s", names[i]));
    PetscCall(PetscOptionsClearValue(NULL, name));
  }
  PetscCall(PetscOptionsLeftRestore(NULL, &n, &names, &values));
  PetscFunctionReturn(0);
}

/* The mechanism network fitted to the solver's policy (the -net_ options, as
 * `stakehjb fit` does with the solution file), on the comparison's communicator. */
static PetscErrorCode FitNetwork(StkCompare cmp, StkModel model, StkSolver solver, const char source[], const char pre[], StkNet *net)
{
  StkGrid   grid;
  Vec       u;
  PetscReal u_min, u_max;

  PetscFunctionBeginUser;
  PetscCall(StkSolverGetGrid(solver, &grid));
  PetscCall(StkSolverGetPolicy(solver, &u));
  PetscCall(StkModelGetControlBounds(model, 0, &u_min, &u_max));
  PetscCall(StkNetCreate(cmp->comm, net));
  PetscCall(StkNetSetOptionsPrefix(*net, pre));
  if (cmp->fit_max_it > 0) PetscCall(StkNetSetFitMaxIterations(*net, cmp->fit_max_it));
  PetscCall(StkNetSetInputsFromGrid(*net, grid));
  PetscCall(StkNetSetOutputBounds(*net, u_min, u_max));
  PetscCall(StkNetSetFromOptions(*net));
  PetscCall(StkNetSetSource(*net, source));
  PetscCall(StkNetSetUp(*net));
  PetscCall(StkNetFitGrid(*net, grid, u, NULL));
  PetscFunctionReturn(0);
}

/* Every rank solves the same HJB on PETSC_COMM_SELF, so the expert (and so every
 * table) is bitwise the same whatever the number of ranks; rank 0 writes the file the
 * expert policy then reads.  With `net`, the network is fitted to the solution. */
static PetscErrorCode SolveExpert(StkCompare cmp, StkModel model, const char path[], const char pre[], StkNet *net)
{
  StkGrid        grid;
  StkSolver      solver;
  StkSolverStats stats;
  PetscMPIInt    rank;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(cmp->comm, &rank));
  PetscCall(StkGridCreate(PETSC_COMM_SELF, &grid));
  PetscCall(StkGridSetOptionsPrefix(grid, pre));
  PetscCall(StkModelConfigureGrid(model, grid));
  PetscCall(StkSolverCreate(PETSC_COMM_SELF, &solver));
  PetscCall(StkSolverSetOptionsPrefix(solver, pre));
  PetscCall(StkSolverSetModel(solver, model));
  PetscCall(StkSolverSetGrid(solver, grid));
  PetscCall(StkSolverSetFromOptions(solver));
  PetscCall(StkGridSetUp(grid));
  PetscCall(StkSolverSolve(solver));
  PetscCall(StkSolverGetStats(solver, &stats));
  PetscCheck(stats.converged, PETSC_COMM_SELF, PETSC_ERR_NOT_CONVERGED, "The HJB solve for the expert did not converge (residual %g); see -hjb_monitor", (double)stats.residual);
  if (!rank) {
    PetscCall(StkSolverComputeDensity(solver));
    PetscCall(StkSolverWrite(solver, path));
  }
  PetscCallMPI(MPI_Barrier(cmp->comm));
  if (net) PetscCall(FitNetwork(cmp, model, solver, path, pre, net));
  PetscCall(StkSolverDestroy(&solver));
  PetscCall(StkGridDestroy(&grid));
  PetscFunctionReturn(0);
}

typedef struct {
  StkPolicyFn      fn;
  StkPolicyResetFn reset;
  void            *ctx;
  size_t           state_size;
} PolicyHandle;

static PetscBool HasPolicy(StkCompare cmp, const char name[])
{
  for (PetscInt p = 0; p < cmp->npolicies; p++)
    if (!strcmp(cmp->policies[p], name)) return PETSC_TRUE;
  return PETSC_FALSE;
}

/* The expert reads the regime's solution file; the network is the mechanism network
 * fitted to that solution. */
static PetscErrorCode CreatePolicies(StkCompare cmp, StkModel model, const char solution[], StkNet net, const char pre[], StkPolicy pol[], PolicyHandle h[])
{
  PetscFunctionBeginUser;
  for (PetscInt p = 0; p < cmp->npolicies; p++) {
    PetscCall(StkPolicyCreate(cmp->comm, &pol[p]));
    PetscCall(StkPolicySetOptionsPrefix(pol[p], pre));
    PetscCall(StkPolicySetType(pol[p], cmp->policies[p]));
    PetscCall(StkPolicySetModel(pol[p], model));
    PetscCall(StkPolicySetFromOptions(pol[p]));
    PetscCall(StkPolicySetType(pol[p], cmp->policies[p])); /* the list wins over -policy */
    if (!strcmp(cmp->policies[p], STK_POLICY_EXPERT)) PetscCall(StkPolicySetFile(pol[p], solution));
    if (!strcmp(cmp->policies[p], STK_POLICY_NETWORK)) PetscCall(StkPolicySetNetwork(pol[p], net));
    PetscCall(StkPolicySetUp(pol[p]));
    PetscCall(StkPolicyGetFunction(pol[p], &h[p].fn, &h[p].reset, &h[p].ctx, &h[p].state_size));
  }
  PetscFunctionReturn(0);
}

/* The path engine for environment e and scenario c.  Its simulator is configured here
 * only (no -sim_ options: the scenarios define the shocks and this object the horizon,
 * the step and the seed, so options of other commands cannot leak in). */
static PetscErrorCode CreateEngine(StkCompare cmp, StkModel model, const StkPriceParams *price, PetscInt e, PetscInt c, const char pre[], StkEvaluate *ev)
{
  StkSim                sim;
  StkSimSettings        set;
  const StkSimSettings *cur;
  PetscInt              nsteps;

  PetscFunctionBeginUser;
  PetscCall(StkEvaluateCreate(cmp->comm, ev));
  PetscCall(StkEvaluateSetOptionsPrefix(*ev, pre));
  PetscCall(StkEvaluateSetModel(*ev, model));
  PetscCall(StkEvaluateGetSim(*ev, &sim));
  PetscCall(StkSimGetSettings(sim, &cur));
  set          = *cur;
  set.type     = strcmp(cmp->envs[e], "abm") ? STK_SIM_SDE : STK_SIM_ABM;
  set.t_final  = cmp->years;
  set.n_agents = cmp->n_agents;
  if (set.type == STK_SIM_ABM) {
    set.types        = cmp->abm_types;
    set.response     = cmp->abm_response;
    set.hedge_rate   = cmp->hedge_rate;
    set.hedge_forget = cmp->hedge_forget;
  }
  PetscCall(StkSimSetSettings(sim, &set));
  if (price && set.type == STK_SIM_ABM) PetscCall(StkSimSetPrice(sim, price)); /* -price: the abm carries the token price */
  if (cmp->scenario_id[c] == STK_SCENARIO_Z_JUMP) PetscCall(StkSimAddShock(sim, cmp->t_shock, cmp->dz, 0));
  if (cmp->scenario_id[c] == STK_SCENARIO_STAKE_DROP) PetscCall(StkSimAddShock(sim, cmp->t_shock, 0, cmp->frac));
  PetscCall(StkEvaluateSetPaths(*ev, cmp->paths));
  PetscCall(StkEvaluateSetSeed(*ev, cmp->seed));
  PetscCall(StkEvaluateSetBand(*ev, cmp->band, cmp->hold));
  PetscCall(StkEvaluateSetSamples(*ev, cmp->samples, cmp->sample_every));
  PetscCall(StkEvaluateSetUp(*ev));
  PetscCall(StkEvaluateGetNumSteps(*ev, &nsteps));
  PetscCheck(nsteps == cmp->nsteps, cmp->comm, PETSC_ERR_PLIB, "The environment has %" PetscInt_FMT " steps, the table %" PetscInt_FMT, nsteps, cmp->nsteps);
  PetscFunctionReturn(0);
}

/* The metrics and kept samples of one engine run into row `row` of the table. */
static PetscErrorCode StoreRun(StkCompare cmp, StkEvaluate ev, PetscInt row)
{
  const PetscReal *v, *s, *u;
  const PetscInt   ns = cmp->samples * cmp->nrec;

  PetscFunctionBeginUser;
  PetscCall(StkEvaluateGetMetrics(ev, NULL, NULL, NULL, &v));
  PetscCall(StkEvaluateGetSamples(ev, NULL, NULL, NULL, NULL, &s, NULL, &u));
  for (PetscInt k = 0; k < STK_METRIC_COUNT; k++)
    for (PetscInt i = 0; i < cmp->paths; i++) cmp->metrics[(row * STK_METRIC_COUNT + k) * cmp->paths + i] = v[i * STK_METRIC_COUNT + k];
  PetscCall(PetscArraycpy(cmp->sample_s + row * ns, s, ns));
  PetscCall(PetscArraycpy(cmp->sample_u + row * ns, u, ns));
  if (cmp->price) { /* NaN in the rows without a price (sde) */
    const PetscReal *pv;
    PetscCall(StkEvaluateGetPriceMetrics(ev, &pv, NULL));
    for (PetscInt k = 0; k < STK_PRICE_METRIC_COUNT; k++)
      for (PetscInt i = 0; i < cmp->paths; i++) cmp->price_metrics[(row * STK_PRICE_METRIC_COUNT + k) * cmp->paths + i] = pv ? pv[i * STK_PRICE_METRIC_COUNT + k] : (PetscReal)NAN;
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode RunEnvironment(StkCompare cmp, StkModel model, const StkPriceParams *price, const PolicyHandle h[], PetscInt r, PetscInt e, const char pre[])
{
  PetscFunctionBeginUser;
  for (PetscInt c = 0; c < cmp->nscenarios; c++) {
    StkEvaluate ev;
    PetscCall(CreateEngine(cmp, model, price, e, c, pre, &ev));
    for (PetscInt p = 0; p < cmp->npolicies; p++) {
      PetscCall(StkEvaluateSetPolicy(ev, h[p].fn, h[p].reset, h[p].ctx, h[p].state_size));
      PetscCall(StkEvaluateRun(ev));
      PetscCall(StoreRun(cmp, ev, StkCompareRow(cmp, r, e, c, p)));
      cmp->done++;
      if (cmp->monitor) PetscCall(cmp->monitor(cmp, cmp->regimes[r], cmp->done, cmp->total, cmp->monitor_ctx));
    }
    PetscCall(StkEvaluateDestroy(&ev));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode RunRegime(StkCompare cmp, PetscInt r)
{
  StkModel       model;
  StkPolicy      pol[STK_COMPARE_MAX_ITEMS];
  PolicyHandle   h[STK_COMPARE_MAX_ITEMS];
  StkNet         net = NULL;
  StkPriceParams price; /* -price: the regime's */
  char           file[PETSC_MAX_PATH_LEN], solution[PETSC_MAX_PATH_LEN], pre[256];

  PetscFunctionBeginUser;
  PetscCall(RegimeFile(cmp, cmp->regimes[r], file, sizeof(file)));
  PetscCall(SolutionPath(cmp, r, solution, sizeof(solution)));
  PetscCall(RegimePrefix(cmp, r, pre, sizeof(pre)));
  PetscCall(InsertRegimeOptions(cmp, file, pre));
  PetscCall(StkModelCreate(PETSC_COMM_SELF, &model)); /* redundant on every rank: see SolveExpert */
  PetscCall(StkModelSetOptionsPrefix(model, pre));
  PetscCall(StkModelSetType(model, STK_MODEL_STAKING));
  PetscCall(StkModelSetFromOptions(model));
  PetscCall(StkModelSetUp(model));
  PetscCall(SolveExpert(cmp, model, solution, pre, HasPolicy(cmp, STK_POLICY_NETWORK) ? &net : NULL));
  PetscCall(CreatePolicies(cmp, model, solution, net, pre, pol, h));
  if (cmp->price) { /* the regime's price: its file's and the user's -price_* options under its prefix */
    PetscBool on;
    PetscCall(StkPriceParamsDefault(&price));
    PetscCall(StkPriceParamsFromOptions(pre, &price, &on));
  }
  for (PetscInt e = 0; e < cmp->nenvs; e++) PetscCall(RunEnvironment(cmp, model, cmp->price ? &price : NULL, h, r, e, pre));
  for (PetscInt p = 0; p < cmp->npolicies; p++) PetscCall(StkPolicyDestroy(&pol[p]));
  PetscCall(StkNetDestroy(&net));
  PetscCall(StkModelDestroy(&model));
  PetscCall(RemoveRegimeOptions(pre));
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* Statistics: per row, the mean of every metric over its paths (NaNs skipped) and, for
 * the compared metrics, the paired difference to the reference policy's row. */

/* Mean over the paths (NaNs skipped) and the count of each of the nm metrics of a row. */
static void RowMeansOf(PetscInt nm, PetscInt paths, const PetscReal *vals, PetscReal *col)
{
  for (PetscInt m = 0; m < nm; m++) {
    PetscReal sum = 0;
    PetscInt  n   = 0;
    for (PetscInt i = 0; i < paths; i++)
      if (!PetscIsNanReal(vals[m * paths + i])) sum += vals[m * paths + i], n++;
    col[2 * m]     = n ? sum / n : (PetscReal)NAN;
    col[2 * m + 1] = n; /* paths with a value */
  }
}

static void RowMeans(StkCompare cmp, const PetscReal *vals, PetscReal *col)
{
  RowMeansOf(STK_METRIC_COUNT, cmp->paths, vals, col);
}

/* Paired difference a - b over the paths: mean, bootstrap interval, Wilcoxon p (out[0..3]). */
static PetscErrorCode PairedStats(StkCompare cmp, const PetscReal a[], const PetscReal b[], uint64_t seed, PetscReal d[], PetscReal out[])
{
  PetscReal w;
  PetscInt  used;

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < cmp->paths; i++) d[i] = a[i] - b[i];
  PetscCall(StkStatsBootstrapMean(cmp->paths, d, cmp->nboot, 0.95, seed, &out[0], &out[1], &out[2]));
  PetscCall(StkStatsWilcoxon(cmp->paths, d, &w, &used, &out[3]));
  PetscFunctionReturn(0);
}

/* Price metric k of the compared price metrics in `row` against the reference (NaN in
 * rows without a price); bootstrap keys continue those of the other metrics. */
static PetscErrorCode PricePairedDifference(StkCompare cmp, PetscInt row, PetscInt k, PetscReal d[], PetscReal out[])
{
  const StkPriceMetric m   = StkComparePriceCompared[k];
  const PetscInt       ref = row - row % cmp->npolicies + cmp->reference;
  const PetscReal     *a = &cmp->price_metrics[(row * STK_PRICE_METRIC_COUNT + m) * cmp->paths], *b = &cmp->price_metrics[(ref * STK_PRICE_METRIC_COUNT + m) * cmp->paths];

  PetscFunctionBeginUser;
  if (PetscIsNanReal(a[0])) { /* an environment without the price */
    for (PetscInt j = 0; j < STK_COMPARE_NDIFF; j++) out[j] = (PetscReal)NAN;
    PetscFunctionReturn(0);
  }
  PetscCall(PairedStats(cmp, a, b, (uint64_t)(cmp->seed * 7919 + row * 31 + STK_COMPARE_NCOMPARED + k), d, out));
  PetscFunctionReturn(0);
}

/* Mean difference, bootstrap interval and Wilcoxon p of compared metric k in `row`;
 * recovery only where a shock happens. */
static PetscErrorCode PairedDifference(StkCompare cmp, PetscInt row, PetscInt k, PetscReal d[], PetscReal out[])
{
  const StkMetric m   = StkCompareCompared[k];
  const PetscInt  ref = row - row % cmp->npolicies + cmp->reference;
  const PetscReal *a = &cmp->metrics[(row * STK_METRIC_COUNT + m) * cmp->paths], *b = &cmp->metrics[(ref * STK_METRIC_COUNT + m) * cmp->paths];

  PetscFunctionBeginUser;
  if (m == STK_METRIC_RECOVERY_TIME && cmp->scenario_id[(row / cmp->npolicies) % cmp->nscenarios] == STK_SCENARIO_NONE) {
    for (PetscInt j = 0; j < STK_COMPARE_NDIFF; j++) out[j] = (PetscReal)NAN;
    PetscFunctionReturn(0);
  }
  PetscCall(PairedStats(cmp, a, b, (uint64_t)(cmp->seed * 7919 + row * 31 + k), d, out));
  PetscFunctionReturn(0);
}

/* Holm over the family of every comparison (rows other than the reference) of a metric:
 * the ncompared metrics whose differences start at summary column `base`. */
static PetscErrorCode HolmColumns(StkCompare cmp, PetscInt base, PetscInt ncompared, PetscReal pvals[], PetscInt prow[])
{
  const PetscInt ncol = cmp->ncolumns;

  PetscFunctionBeginUser;
  for (PetscInt k = 0; k < ncompared; k++) {
    PetscInt nf = 0;
    for (PetscInt row = 0; row < cmp->nrows; row++) {
      const PetscReal pv = cmp->summary[row * ncol + base + k * STK_COMPARE_NDIFF + 3];
      cmp->summary[row * ncol + base + k * STK_COMPARE_NDIFF + 4] = (PetscReal)NAN;
      if (row % cmp->npolicies == cmp->reference || PetscIsNanReal(pv)) continue;
      pvals[nf] = pv, prow[nf++] = row;
    }
    PetscCall(StkStatsHolm(nf, pvals, pvals));
    for (PetscInt i = 0; i < nf; i++) cmp->summary[prow[i] * ncol + base + k * STK_COMPARE_NDIFF + 4] = pvals[i];
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode ComputeSummary(StkCompare cmp)
{
  const PetscInt ncol = cmp->ncolumns, base = 2 * STK_METRIC_COUNT + 1;
  PetscReal     *d, *pvals;
  PetscInt      *prow;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc3(cmp->paths, &d, cmp->nrows, &pvals, cmp->nrows, &prow));
  for (PetscInt row = 0; row < cmp->nrows; row++) {
    PetscReal *col = &cmp->summary[row * ncol];
    RowMeans(cmp, &cmp->metrics[row * STK_METRIC_COUNT * cmp->paths], col);
    col[2 * STK_METRIC_COUNT] = row % cmp->npolicies == cmp->reference;
    for (PetscInt k = 0; k < STK_COMPARE_NCOMPARED; k++) PetscCall(PairedDifference(cmp, row, k, d, &col[base + k * STK_COMPARE_NDIFF]));
    if (!cmp->price) continue;
    RowMeansOf(STK_PRICE_METRIC_COUNT, cmp->paths, &cmp->price_metrics[row * STK_PRICE_METRIC_COUNT * cmp->paths], &col[STK_COMPARE_PRICE_BASE]);
    for (PetscInt k = 0; k < STK_COMPARE_NPRICE_COMPARED; k++) PetscCall(PricePairedDifference(cmp, row, k, d, &col[STK_COMPARE_PRICE_DIFF_BASE + k * STK_COMPARE_NDIFF]));
  }
  PetscCall(HolmColumns(cmp, base, STK_COMPARE_NCOMPARED, pvals, prow));
  if (cmp->price) PetscCall(HolmColumns(cmp, STK_COMPARE_PRICE_DIFF_BASE, STK_COMPARE_NPRICE_COMPARED, pvals, prow));
  PetscCall(PetscFree3(d, pvals, prow));
  cmp->computed = PETSC_TRUE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkCompareRun(StkCompare cmp)
{
  PetscLogDouble t0, t1;
  PetscErrorCode ierr = 0;

  PetscFunctionBeginUser;
  PetscCall(StkCompareSetUp(cmp));
  PetscCall(PetscTime(&t0));
  cmp->done = 0;
  PetscCall(StkOutputSetDestroy(&cmp->outputs)); /* a second run starts a new set */
  PetscCall(StkOutputSetCreate(cmp->comm, cmp->out, &cmp->outputs));
  for (PetscInt r = 0; r < cmp->nregimes && !ierr; r++) ierr = RunRegime(cmp, r);
  if (!ierr) ierr = ComputeSummary(cmp);
  if (ierr) PetscCall(StkOutputSetDestroy(&cmp->outputs)); /* no partial set is left */
  PetscCall(ierr);
  PetscCall(PetscTime(&t1));
  cmp->wall = t1 - t0;
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* Pooled statistics: a regime (or every regime) as one number per path, the mean over
 * its cells (environment x scenario), so that paths stay the independent units of the
 * bootstrap (cells share a path's noise). */

static PetscErrorCode CheckPooled(StkCompare cmp, PetscInt regime, PetscInt policy, StkMetric metric)
{
  PetscFunctionBeginUser;
  PetscCheck(cmp->computed, cmp->comm, PETSC_ERR_ARG_WRONGSTATE, "StkCompareRun (or StkCompareSetPathMetrics) must be called before the pooled statistics");
  PetscCheck(regime >= -1 && regime < cmp->nregimes, cmp->comm, PETSC_ERR_ARG_OUTOFRANGE, "regime %" PetscInt_FMT " is out of range: must be -1 (every regime) or in [0, %" PetscInt_FMT ")", regime, cmp->nregimes);
  PetscCheck(policy >= 0 && policy < cmp->npolicies, cmp->comm, PETSC_ERR_ARG_OUTOFRANGE, "policy %" PetscInt_FMT " is out of range: must be in [0, %" PetscInt_FMT ")", policy, cmp->npolicies);
  PetscCheck(metric >= 0 && metric < STK_METRIC_COUNT, cmp->comm, PETSC_ERR_ARG_OUTOFRANGE, "metric %d is out of range: must be in [0, %d)", (int)metric, (int)STK_METRIC_COUNT);
  PetscFunctionReturn(0);
}

/* x[i] = metric of `policy` on path i averaged over the cells of `regime` (-1: every
 * regime's); NaN where a cell has none. */
static void PooledPaths(StkCompare cmp, PetscInt regime, PetscInt policy, StkMetric metric, PetscReal x[])
{
  const PetscInt r0 = regime < 0 ? 0 : regime, r1 = regime < 0 ? cmp->nregimes : regime + 1;
  const PetscInt ncells = (r1 - r0) * cmp->nenvs * cmp->nscenarios;

  for (PetscInt i = 0; i < cmp->paths; i++) x[i] = 0;
  for (PetscInt r = r0; r < r1; r++)
    for (PetscInt e = 0; e < cmp->nenvs; e++)
      for (PetscInt c = 0; c < cmp->nscenarios; c++) {
        const PetscReal *v = &cmp->metrics[(StkCompareRow(cmp, r, e, c, policy) * STK_METRIC_COUNT + metric) * cmp->paths];
        for (PetscInt i = 0; i < cmp->paths; i++) x[i] += v[i] / ncells;
      }
}

PetscErrorCode StkCompareGetPooledMean(StkCompare cmp, PetscInt regime, PetscInt policy, StkMetric metric, PetscReal *mean)
{
  PetscReal *x, sum = 0;
  PetscInt   n = 0;

  PetscFunctionBeginUser;
  PetscCall(CheckPooled(cmp, regime, policy, metric));
  PetscCall(PetscMalloc1(cmp->paths, &x));
  PooledPaths(cmp, regime, policy, metric, x);
  for (PetscInt i = 0; i < cmp->paths; i++)
    if (!PetscIsNanReal(x[i])) sum += x[i], n++;
  *mean = n ? sum / n : (PetscReal)NAN;
  PetscCall(PetscFree(x));
  PetscFunctionReturn(0);
}

PetscErrorCode StkCompareGetPooledDifference(StkCompare cmp, PetscInt regime, PetscInt policy, StkMetric metric, PetscReal *mean, PetscReal *lo, PetscReal *hi)
{
  PetscReal *x, *y;
  PetscInt   n = 0;

  PetscFunctionBeginUser;
  PetscCall(CheckPooled(cmp, regime, policy, metric));
  PetscCall(PetscMalloc2(cmp->paths, &x, cmp->paths, &y));
  PooledPaths(cmp, regime, policy, metric, x);
  PooledPaths(cmp, regime, cmp->reference, metric, y);
  for (PetscInt i = 0; i < cmp->paths; i++)
    if (!PetscIsNanReal(x[i] - y[i])) x[n++] = x[i] - y[i];
  if (regime < 0 && cmp->nregimes == 1) regime = 0; /* the same pool: the same interval */
  PetscCall(StkStatsBootstrapMean(n, x, cmp->nboot, 0.95, (uint64_t)(cmp->seed * 7919 + 1000003 * (regime + 2) + 131 * policy + metric), mean, lo, hi));
  PetscCall(PetscFree2(x, y));
  PetscFunctionReturn(0);
}

PetscErrorCode StkCompareGetBestPolicy(StkCompare cmp, PetscInt regime, StkMetric metric, PetscBool baselines_only, PetscInt *best)
{
  PetscReal lowest = PETSC_MAX_REAL;

  PetscFunctionBeginUser;
  *best = -1;
  for (PetscInt q = 0; q < cmp->npolicies; q++) {
    PetscReal mean;
    if (baselines_only && (q == cmp->reference || !strcmp(cmp->policies[q], STK_POLICY_EXPERT) || !strcmp(cmp->policies[q], STK_POLICY_NETWORK))) continue;
    PetscCall(StkCompareGetPooledMean(cmp, regime, q, metric, &mean));
    if (mean < lowest) lowest = mean, *best = q; /* NaN never wins */
  }
  PetscFunctionReturn(0);
}

PetscErrorCode StkCompareGetNames(StkCompare cmp, PetscInt *nregimes, const char *const **regimes, PetscInt *npolicies, const char *const **policies, PetscInt *reference)
{
  PetscFunctionBeginUser;
  if (nregimes) *nregimes = cmp->nregimes;
  if (regimes) *regimes = (const char *const *)cmp->regimes;
  if (npolicies) *npolicies = cmp->npolicies;
  if (policies) *policies = (const char *const *)cmp->policies;
  if (reference) *reference = cmp->reference;
  PetscFunctionReturn(0);
}

PetscErrorCode StkCompareFindPolicy(StkCompare cmp, const char name[], PetscInt *policy)
{
  PetscFunctionBeginUser;
  *policy = -1;
  for (PetscInt q = 0; q < cmp->npolicies; q++)
    if (!strcmp(cmp->policies[q], name)) *policy = q;
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* Access */

PetscErrorCode StkCompareGetSizes(StkCompare cmp, PetscInt *nrows, PetscInt *npaths, PetscInt *ncolumns)
{
  PetscFunctionBeginUser;
  PetscCall(StkCompareSetUp(cmp));
  if (nrows) *nrows = cmp->nrows;
  if (npaths) *npaths = cmp->paths;
  if (ncolumns) *ncolumns = cmp->ncolumns;
  PetscFunctionReturn(0);
}

PetscErrorCode StkCompareGetPathMetrics(StkCompare cmp, const PetscReal **values)
{
  PetscFunctionBeginUser;
  PetscCheck(cmp->setupcalled, cmp->comm, PETSC_ERR_ARG_WRONGSTATE, "StkCompareSetUp must be called before StkCompareGetPathMetrics");
  *values = cmp->metrics;
  PetscFunctionReturn(0);
}

PetscErrorCode StkCompareGetPricePathMetrics(StkCompare cmp, const PetscReal **values)
{
  PetscFunctionBeginUser;
  PetscCheck(cmp->setupcalled, cmp->comm, PETSC_ERR_ARG_WRONGSTATE, "StkCompareSetUp must be called before StkCompareGetPricePathMetrics");
  *values = cmp->price_metrics;
  PetscFunctionReturn(0);
}

PetscErrorCode StkCompareSetPathMetrics(StkCompare cmp, const PetscReal values[])
{
  PetscFunctionBeginUser;
  PetscCheck(cmp->setupcalled, cmp->comm, PETSC_ERR_ARG_WRONGSTATE, "StkCompareSetUp must be called before StkCompareSetPathMetrics");
  PetscCall(PetscArraycpy(cmp->metrics, values, cmp->nrows * STK_METRIC_COUNT * cmp->paths));
  PetscCall(ComputeSummary(cmp));
  PetscFunctionReturn(0);
}

PetscErrorCode StkCompareGetSummary(StkCompare cmp, const PetscReal **summary)
{
  PetscFunctionBeginUser;
  PetscCheck(cmp->setupcalled, cmp->comm, PETSC_ERR_ARG_WRONGSTATE, "StkCompareSetUp must be called before StkCompareGetSummary");
  *summary = cmp->summary;
  PetscFunctionReturn(0);
}

PetscErrorCode StkCompareGetColumnName(StkCompare cmp, PetscInt j, char name[], size_t len)
{
  static const char *const diff[STK_COMPARE_NDIFF] = {"diff", "diff_lo", "diff_hi", "p", "p_holm"};
  const PetscInt           base                    = 2 * STK_METRIC_COUNT + 1;
  const PetscInt           ncol                    = STK_COMPARE_PRICE_BASE + (cmp->price ? 2 * STK_PRICE_METRIC_COUNT + STK_COMPARE_NPRICE_COMPARED * STK_COMPARE_NDIFF : 0);

  PetscFunctionBeginUser;
  PetscCheck(j >= 0 && j < ncol, cmp->comm, PETSC_ERR_ARG_OUTOFRANGE, "Summary column must lie in [0, %" PetscInt_FMT "), got %" PetscInt_FMT, ncol, j);
  if (j >= STK_COMPARE_PRICE_DIFF_BASE) PetscCall(PetscSNPrintf(name, len, "%s_%s", StkPriceMetricNames[StkComparePriceCompared[(j - STK_COMPARE_PRICE_DIFF_BASE) / STK_COMPARE_NDIFF]], diff[(j - STK_COMPARE_PRICE_DIFF_BASE) % STK_COMPARE_NDIFF]));
  else if (j >= STK_COMPARE_PRICE_BASE) PetscCall(PetscSNPrintf(name, len, (j - STK_COMPARE_PRICE_BASE) % 2 ? "%s_n" : "%s", StkPriceMetricNames[(j - STK_COMPARE_PRICE_BASE) / 2]));
  else if (j < 2 * STK_METRIC_COUNT) PetscCall(PetscSNPrintf(name, len, j % 2 ? "%s_n" : "%s", StkMetricNames[j / 2]));
  else if (j == 2 * STK_METRIC_COUNT) PetscCall(PetscStrncpy(name, "is_reference", len));
  else PetscCall(PetscSNPrintf(name, len, "%s_%s", StkMetricNames[StkCompareCompared[(j - base) / STK_COMPARE_NDIFF]], diff[(j - base) % STK_COMPARE_NDIFF]));
  PetscFunctionReturn(0);
}

PetscErrorCode StkCompareDestroy(StkCompare *cmp)
{
  StkCompare c = *cmp;

  PetscFunctionBeginUser;
  if (!c) PetscFunctionReturn(0);
  for (PetscInt i = 0; i < c->nregimes; i++) PetscCall(PetscFree(c->regimes[i]));
  for (PetscInt i = 0; i < c->npolicies; i++) PetscCall(PetscFree(c->policies[i]));
  for (PetscInt i = 0; i < c->nenvs; i++) PetscCall(PetscFree(c->envs[i]));
  for (PetscInt i = 0; i < c->nscenarios; i++) PetscCall(PetscFree(c->scenarios[i]));
  PetscCall(StkCompareFreeTable(c));
  PetscCall(StkOutputSetDestroy(&c->outputs)); /* an uncommitted set is removed */
  PetscCall(PetscFree(c->prefix));
  PetscCall(PetscFree(c->options));
  PetscCall(PetscFree(*cmp));
  PetscFunctionReturn(0);
}
