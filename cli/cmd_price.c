/* stakehjb price: the policies of -price_policies in the agent-based environment with
 * the token price (docs/model.md#token-price); the work is StkPriceCompareRun's
 * (experiments/stk_price_compare.h); this command reads the options, prints the table
 * of the means and writes it as CSV (-o, default out/price.csv).  The name price_aware in
 * the list is the price-aware expert: the solution policy of the staking_price file
 * -price_aware_file (docs/model.md#the-price-aware-planner), which sees ln P. */
#include "stk_cli.h"
#include "stk_price_compare.h"
#include "stk_sim_price.h"

typedef struct {
  char     *names[16];
  PetscInt  n, paths;
  char      expert_file[PETSC_MAX_PATH_LEN];
  PetscBool expert_set;
  char      aware_file[PETSC_MAX_PATH_LEN];
  PetscBool aware_set;
} PriceOptions;

#define PRICE_AWARE "price_aware" /* the list's name of the price-aware expert */

static PetscErrorCode ReadOptions(PriceOptions *o)
{
  PetscFunctionBeginUser;
  o->n     = 16;
  o->paths = 4;
  PetscOptionsBegin(PETSC_COMM_WORLD, NULL, "stakehjb price (docs/cli.md#stakehjb-price)", NULL);
  PetscCall(PetscOptionsStringArray("-price_policies", "Policies to compare (docs/policies.md; expert needs -price_expert_file, price_aware -price_aware_file)", "", o->names, &o->n, NULL));
  PetscCall(PetscOptionsString("-price_expert_file", "Solution file of the expert (stakehjb solve -o)", "", o->expert_file, o->expert_file, sizeof(o->expert_file), &o->expert_set));
  PetscCall(PetscOptionsString("-price_aware_file", "Solution file of the price-aware expert, price_aware in -price_policies (stakehjb solve -model staking_price -o)", "", o->aware_file, o->aware_file, sizeof(o->aware_file), &o->aware_set));
  PetscCall(PetscOptionsInt("-price_paths", "Paths per policy", "", o->paths, &o->paths, NULL));
  PetscOptionsEnd();
  if (!o->n || !o->names[0]) {
    const char *def[] = {"ethereum", "cosmos", "tezos"};
    o->n = 3;
    for (PetscInt i = 0; i < 3; i++) PetscCall(PetscStrallocpy(def[i], &o->names[i]));
  }
  PetscCheck(o->paths >= 1, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-price_paths: %" PetscInt_FMT " is out of range: must be >= 1", o->paths);
  PetscFunctionReturn(0);
}

static PetscErrorCode CreatePolicies(StkModel model, PriceOptions *o, StkPolicy pol[])
{
  PetscFunctionBeginUser;
  PetscCheck(!o->aware_set || o->aware_file[0], PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-price_aware_file: empty: give a staking_price solution file (stakehjb solve -model staking_price -o)");
  for (PetscInt i = 0; i < o->n; i++) {
    PetscBool   known, expert, aware;
    const char *type;
    PetscCall(PetscStrcmp(o->names[i], PRICE_AWARE, &aware));
    type = aware ? STK_POLICY_SOLUTION : o->names[i];
    PetscCall(StkPolicyTypeIsKnown(type, &known));
    PetscCheck(known, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-price_policies: %s is unknown (docs/policies.md; price_aware is the price-aware expert)", o->names[i]);
    PetscCall(PetscStrcmp(o->names[i], STK_POLICY_EXPERT, &expert));
    PetscCheck(!expert || o->expert_set, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-price_expert_file: not given: the expert in -price_policies needs a solution file (stakehjb solve -o)");
    PetscCheck(!aware || o->aware_set, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-price_aware_file: not given: price_aware in -price_policies needs a staking_price solution file (stakehjb solve -model staking_price -o)");
    PetscCall(StkPolicyCreate(PETSC_COMM_WORLD, &pol[i]));
    PetscCall(StkPolicySetType(pol[i], type));
    PetscCall(StkPolicySetModel(pol[i], model));
    PetscCall(StkPolicySetFromOptions(pol[i]));
    PetscCall(StkPolicySetType(pol[i], type)); /* the list wins over -policy */
    if (expert) PetscCall(StkPolicySetFile(pol[i], o->expert_file));
    if (aware) PetscCall(StkPolicySetFile(pol[i], o->aware_file));
    if (aware && !StkHelpRequested()) PetscCall(StkCheckReadable("-price_aware_file", o->aware_file));
    if (!StkHelpRequested()) PetscCall(StkPolicySetUp(pol[i]));
    if (aware && !StkHelpRequested()) {
      PetscBool priced;
      PetscCall(StkPolicySolutionIsPriceAware(pol[i], &priced));
      PetscCheck(priced, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-price_aware_file: %s is not a staking_price solution (stakehjb solve -model staking_price -o)", o->aware_file);
    }
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteTable(const char path[], const PriceOptions *o, const PetscReal means[])
{
  FILE *f;

  PetscFunctionBeginUser;
  PetscCall(PetscFOpen(PETSC_COMM_WORLD, path, "w", &f));
  PetscCall(PetscFPrintf(PETSC_COMM_WORLD, f, "policy"));
  for (PetscInt j = 0; j < STK_PRICE_COMPARE_COLUMNS; j++) PetscCall(PetscFPrintf(PETSC_COMM_WORLD, f, ",%s", StkPriceCompareColumnName(j)));
  PetscCall(PetscFPrintf(PETSC_COMM_WORLD, f, "\n"));
  for (PetscInt i = 0; i < o->n; i++) {
    PetscCall(PetscFPrintf(PETSC_COMM_WORLD, f, "%s", o->names[i]));
    for (PetscInt j = 0; j < STK_PRICE_COMPARE_COLUMNS; j++) PetscCall(PetscFPrintf(PETSC_COMM_WORLD, f, ",%.17g", (double)means[i * STK_PRICE_COMPARE_COLUMNS + j]));
    PetscCall(PetscFPrintf(PETSC_COMM_WORLD, f, "\n"));
  }
  PetscCall(PetscFClose(PETSC_COMM_WORLD, f));
  PetscFunctionReturn(0);
}

static PetscErrorCode PrintTable(const PriceOptions *o, const PetscReal means[])
{
  const StkMetric      base[] = {STK_METRIC_DISCOUNTED_COST, STK_METRIC_TRACKING_RMSE, STK_METRIC_MEAN_U};
  const StkPriceMetric pm[]   = {STK_PRICE_METRIC_VOLATILITY, STK_PRICE_METRIC_ENTROPY, STK_PRICE_METRIC_RESILIENCE, STK_PRICE_METRIC_RECOVERY_TIME, STK_PRICE_METRIC_MEAN_PRICE, STK_PRICE_METRIC_HERFINDAHL};

  PetscFunctionBeginUser;
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%-16s %15s %13s %8s %16s %13s %16s %19s %10s %19s\n", "policy", "discounted_cost", "tracking_rmse", "mean_u", "price_volatility", "price_entropy", "price_resilience", "price_recovery_time", "mean_price", "herfindahl_holdings"));
  for (PetscInt i = 0; i < o->n; i++) {
    const PetscReal *m = means + i * STK_PRICE_COMPARE_COLUMNS;
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%-16s %15.6g %13.6g %8.4f", o->names[i], (double)m[base[0]], (double)m[base[1]], (double)m[base[2]]));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, " %16.6g %13.6g %16.6g %19.6g %10.6g %19.6g\n", (double)m[STK_METRIC_COUNT + pm[0]], (double)m[STK_METRIC_COUNT + pm[1]], (double)m[STK_METRIC_COUNT + pm[2]], (double)m[STK_METRIC_COUNT + pm[3]], (double)m[STK_METRIC_COUNT + pm[4]], (double)m[STK_METRIC_COUNT + pm[5]]));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode StkCommandPrice(void)
{
  PriceOptions o;
  StkModel     model;
  StkPolicy    pol[16] = {NULL};
  PetscReal   *means;
  char         out[PETSC_MAX_PATH_LEN];

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(&o, sizeof(o)));
  PetscCall(StkModelCreate(PETSC_COMM_WORLD, &model));
  PetscCall(StkModelSetType(model, STK_MODEL_STAKING));
  PetscCall(StkModelSetFromOptions(model));
  PetscCall(StkModelSetUp(model));
  PetscCall(ReadOptions(&o));
  PetscCall(StkOutputPath(PETSC_COMM_WORLD, "-o", "out/price.csv", out, sizeof(out)));
  PetscCall(CreatePolicies(model, &o, pol));
  if (StkHelpRequested()) { /* the simulator's and the price's options */
    StkSim        sim;
    StkPopulation pop;
    PetscCall(StkModelStakingGetPopulation(model, &pop));
    PetscCall(StkSimCreate(PETSC_COMM_WORLD, &sim));
    PetscCall(StkSimSetPopulation(sim, pop));
    PetscCall(StkSimSetFromOptions(sim));
    PetscCall(StkSimDestroy(&sim));
  } else {
    PetscCall(PetscMalloc1(o.n * STK_PRICE_COMPARE_COLUMNS, &means));
    PetscCall(StkPriceCompareRun(PETSC_COMM_WORLD, NULL, model, o.n, pol, o.paths, means));
    PetscCall(PrintTable(&o, means));
    PetscCall(WriteTable(out, &o, means));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  wrote %s\n", out));
    PetscCall(PetscFree(means));
  }
  for (PetscInt i = 0; i < o.n; i++) {
    PetscCall(StkPolicyDestroy(&pol[i]));
    PetscCall(PetscFree(o.names[i]));
  }
  PetscCall(StkModelDestroy(&model));
  PetscFunctionReturn(0);
}
