/* The regime chain of the simulators (stk_sim.h, docs/model.md#the-regime-chain): M
 * parameter sets, the intensities q_ij, the switch at the end of each step keyed by the
 * counter-based generator, and the record of time spent and switches made. */
#include "stk_simimpl.h"
#include "stk_agentsimpl.h"
#include "stk_options.h"
#include <string.h>

/* The prefix the sim's options are read under (USER + "sim_"), for messages. */
static PetscErrorCode ChainPrefix(StkSim sim, char pre[], size_t len)
{
  PetscFunctionBeginUser;
  PetscCall(StkOptionsPrefixCompose(sim->prefix, "sim_", pre, len));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimRegimeClear(StkSim sim)
{
  StkSimChain *c = &sim->chain;

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < c->M; i++) {
    if (c->own) PetscCall(StkPopulationDestroy(&c->pop[i]));
    PetscCall(PetscFree(c->names[i]));
  }
  PetscCall(PetscFree2(c->pop, c->names));
  PetscCall(PetscFree3(c->q, c->p, c->steps));
  PetscCall(PetscFree(c->jumps));
  c->M      = 0;
  c->own    = PETSC_FALSE;
  sim->regime = 0;
  PetscFunctionReturn(0);
}

/* Off-diagonal rates finite and >= 0; errors name -sim_regime_rates and the pair. */
static PetscErrorCode CheckRates(StkSim sim, PetscInt M, const char *const names[], const PetscReal q[])
{
  char pre[256];

  PetscFunctionBeginUser;
  PetscCall(ChainPrefix(sim, pre, sizeof(pre)));
  for (PetscInt k = 0; k < M * M; k++) {
    if (k / M == k % M) continue;
    PetscCheck(q[k] >= 0 && !PetscIsInfReal(q[k]), sim->comm, PETSC_ERR_USER_INPUT, "-%sregime_rates: %g is out of range: rates must be >= 0 and finite (entry %" PetscInt_FMT ", from %s to %s)", pre, (double)q[k], k, names[k / M], names[k % M]);
  }
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimSetRegimes(StkSim sim, PetscInt M, const StkPopulation pops[], const char *const names[], const PetscReal rates[])
{
  StkSimChain *c = &sim->chain;
  char         pre[256], dflt[STK_SIM_MAX_REGIMES][32];
  const char  *nm[STK_SIM_MAX_REGIMES];

  PetscFunctionBeginUser;
  PetscCall(ChainPrefix(sim, pre, sizeof(pre)));
  PetscCheck(M >= 0 && M <= STK_SIM_MAX_REGIMES, sim->comm, PETSC_ERR_USER_INPUT, "-%sregime_files: %" PetscInt_FMT " regimes: at most %d", pre, M, STK_SIM_MAX_REGIMES);
  for (PetscInt i = 0; i < M; i++) {
    PetscCheck(pops && pops[i], sim->comm, PETSC_ERR_ARG_NULL, "StkSimSetRegimes: population %" PetscInt_FMT " is NULL", i);
    PetscCall(PetscSNPrintf(dflt[i], sizeof(dflt[i]), "regime%" PetscInt_FMT, i));
    nm[i] = names && names[i] ? names[i] : dflt[i];
  }
  if (rates) PetscCall(CheckRates(sim, M, nm, rates));
  PetscCall(StkSimRegimeClear(sim));
  sim->setupcalled = PETSC_FALSE;
  if (!M) PetscFunctionReturn(0);
  c->M = M;
  PetscCall(PetscCalloc2(M, &c->pop, M, &c->names));
  PetscCall(PetscCalloc3(M * M, &c->q, M, &c->p, M, &c->steps));
  PetscCall(PetscCalloc1(M * M, &c->jumps));
  for (PetscInt i = 0; i < M; i++) {
    c->pop[i] = pops[i];
    PetscCall(PetscStrallocpy(nm[i], &c->names[i]));
  }
  for (PetscInt k = 0; k < M * M; k++) c->q[k] = rates && k / M != k % M ? rates[k] : 0;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimSetInitialRegime(StkSim sim, PetscInt r)
{
  PetscFunctionBeginUser;
  sim->chain.regime0 = r;
  sim->setupcalled   = PETSC_FALSE;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimGetInitialRegime(StkSim sim, PetscInt *r)
{
  PetscFunctionBeginUser;
  *r = sim->chain.regime0;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimGetNumRegimes(StkSim sim, PetscInt *M)
{
  PetscFunctionBeginUser;
  *M = sim->chain.M;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimGetRegimeName(StkSim sim, PetscInt i, const char **name)
{
  PetscFunctionBeginUser;
  PetscCheck(i >= 0 && i < sim->chain.M, sim->comm, PETSC_ERR_ARG_OUTOFRANGE, "Regime %" PetscInt_FMT " out of range [0, %" PetscInt_FMT ")", i, sim->chain.M);
  *name = sim->chain.names[i];
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimGetRegimeRates(StkSim sim, const PetscReal **rates)
{
  PetscFunctionBeginUser;
  *rates = sim->chain.q;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimGetRegimePopulation(StkSim sim, PetscInt i, StkPopulation *pop)
{
  PetscFunctionBeginUser;
  PetscCheck(i >= 0 && i < sim->chain.M, sim->comm, PETSC_ERR_ARG_OUTOFRANGE, "Regime %" PetscInt_FMT " out of range [0, %" PetscInt_FMT ")", i, sim->chain.M);
  *pop = sim->chain.pop[i];
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimCopyRegimes(StkSim from, StkSim to)
{
  const StkSimChain *c = &from->chain;

  PetscFunctionBeginUser;
  PetscCall(StkSimSetRegimes(to, c->M, c->pop, (const char *const *)c->names, c->q));
  PetscCall(StkSimSetInitialRegime(to, c->regime0));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimGetRegime(StkSim sim, PetscInt *r)
{
  PetscFunctionBeginUser;
  *r = sim->regime;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimGetRegimeStats(StkSim sim, PetscInt64 steps[], PetscInt64 jumps[])
{
  const StkSimChain *c = &sim->chain;

  PetscFunctionBeginUser;
  if (steps) PetscCall(PetscArraycpy(steps, c->steps, c->M));
  if (jumps) PetscCall(PetscArraycpy(jumps, c->jumps, c->M * c->M));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimResetRegimeStats(StkSim sim)
{
  StkSimChain *c = &sim->chain;

  PetscFunctionBeginUser;
  if (!c->M) PetscFunctionReturn(0);
  PetscCall(PetscArrayzero(c->steps, c->M));
  PetscCall(PetscArrayzero(c->jumps, c->M * c->M));
  PetscFunctionReturn(0);
}

/* ---- options ---- */

PetscErrorCode StkSimRegimeOptionsRead(PetscOptionItems *PetscOptionsObject, StkSim sim, StkSimRegimeInput *in)
{
  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(in, sizeof(*in)));
  in->nfiles  = STK_SIM_MAX_REGIMES + 1;
  in->nrates  = STK_SIM_MAX_REGIMES * STK_SIM_MAX_REGIMES + 1;
  in->regime0 = sim->chain.regime0;
  PetscCall(PetscOptionsStringArray("-regime_files", "Regime chain: one YAML parameter file per regime (2 or more, comma-separated; the holders of each read under the prefix of its name, e.g. bear_agents_kappa for bear.yaml); docs/model.md#the-regime-chain", "StkSimSetRegimes", in->files, &in->nfiles, &in->files_set));
  PetscCall(PetscOptionsRealArray("-regime_rates", "Regime chain: the M x M switching intensities q_ij (1/yr), row-major, the diagonal ignored (default 0: no switching)", "StkSimSetRegimes", in->rates, &in->nrates, &in->rates_set));
  PetscCall(PetscOptionsInt("-regime0", "Regime chain: the regime every path starts in (0-based index in -sim_regime_files)", "StkSimSetInitialRegime", in->regime0, &in->regime0, &in->regime0_set));
  if (!in->files_set) in->nfiles = 0;
  if (!in->rates_set) in->nrates = 0;
  PetscFunctionReturn(0);
}

static PetscErrorCode FreeInput(StkSimRegimeInput *in)
{
  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < in->nfiles && i < STK_SIM_MAX_REGIMES + 1; i++) PetscCall(PetscFree(in->files[i]));
  in->nfiles = 0;
  PetscFunctionReturn(0);
}

/* Every file must describe the holders of a staking model of one dimension: a file
 * that says `model: lq` or another `dim` than the first is an error naming both. */
static PetscErrorCode CheckFilesAgree(StkSim sim, const char pre[], const StkSimRegimeInput *in, StkPrefixedFiles pf)
{
  char     model[64], dim0[32] = "", dim[32];
  PetscBool set;

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < in->nfiles; i++) {
    const char *fp;
    PetscCall(StkPrefixedFilesGetPrefix(pf, i, &fp));
    PetscCall(PetscOptionsGetString(NULL, fp, "-model", model, sizeof(model), &set));
    PetscCheck(!set || !strcmp(model, "staking"), sim->comm, PETSC_ERR_USER_INPUT, "-%sregime_files: %s gives model %s: the simulators' regimes must be staking models", pre, in->files[i], model);
    PetscCall(PetscOptionsGetString(NULL, fp, "-dim", dim, sizeof(dim), &set));
    if (!set) PetscCall(PetscStrncpy(dim, "2", sizeof(dim))); /* the staking model's default */
    if (!i) PetscCall(PetscStrncpy(dim0, dim, sizeof(dim0)));
    PetscCheck(!strcmp(dim, dim0), sim->comm, PETSC_ERR_USER_INPUT, "-%sregime_files: %s gives dim %s but %s gives dim %s: every regime file must give the same dimension", pre, in->files[0], dim0, in->files[i], dim);
  }
  PetscFunctionReturn(0);
}

/* The files' own options the simulators have no use for (the planner's hjb_ settings,
 * model, dim) are marked read, so that the strict option check of the programs does not
 * call them unknown; an unread -NAME_agents_* (a typo of a holders' parameter) stays
 * reported. */
static PetscErrorCode MarkPlannerOptionsRead(StkPrefixedFiles pf, PetscInt n)
{
  PetscInt nl;
  char   **names, **values;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsLeftGet(NULL, &nl, &names, &values));
  for (PetscInt k = 0; k < nl; k++)
    for (PetscInt i = 0; i < n; i++) {
      const char *fp;
      char        agents[300], key[512];
      PetscBool   has;
      PetscCall(StkPrefixedFilesGetPrefix(pf, i, &fp));
      PetscCall(PetscSNPrintf(agents, sizeof(agents), "%sagents_", fp));
      if (strncmp(names[k], fp, strlen(fp)) || !strncmp(names[k], agents, strlen(agents))) continue;
      PetscCall(PetscSNPrintf(key, sizeof(key), "-%s", names[k]));
      PetscCall(PetscOptionsHasName(NULL, NULL, key, &has));
    }
  PetscCall(PetscOptionsLeftRestore(NULL, &nl, &names, &values));
  PetscFunctionReturn(0);
}

/* The holders' options the user gave unprefixed (-agents_kappa 3) apply to every regime,
 * as for stakehjb solve -regime_files.  StkPrefixedFiles copies only the options nobody
 * has read yet, and a program's planner model reads -agents_* before the environment, so
 * the read ones are copied here: after the files (the command line wins), except where
 * the user gave the regime's own (-bear_agents_kappa wins over both).  Collects them
 * before the files are inserted (so that a prefixed option in the database is the
 * user's); n_out copies are made by ApplyReadAgentsOptions. */
typedef struct {
  char   **names, **values; /* "-agents_X", its value (NULL: a flag) */
  PetscInt n;
} ReadAgentsOptions;

static PetscBool IsOptionName(const char *tok)
{
  return (PetscBool)(tok[0] == '-' && tok[1] && !(tok[1] >= '0' && tok[1] <= '9') && tok[1] != '.');
}

static PetscErrorCode CollectReadAgentsOptions(ReadAgentsOptions *r)
{
  char  *all, **tok;
  int    ntok;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(r, sizeof(*r)));
  PetscCall(PetscOptionsGetAll(NULL, &all));
  PetscCall(PetscStrToArray(all, ' ', &ntok, &tok));
  PetscCall(PetscFree(all));
  PetscCall(PetscCalloc2(ntok + 1, &r->names, ntok + 1, &r->values));
  for (int k = 0; k < ntok; k++) {
    PetscBool used;
    if (!IsOptionName(tok[k]) || strncmp(tok[k], "-agents_", 8)) continue;
    PetscCall(PetscOptionsUsed(NULL, tok[k] + 1, &used));
    if (!used) continue; /* StkPrefixedFiles copies it */
    PetscCall(PetscStrallocpy(tok[k], &r->names[r->n]));
    if (k + 1 < ntok && !IsOptionName(tok[k + 1])) PetscCall(PetscStrallocpy(tok[k + 1], &r->values[r->n]));
    r->n++;
  }
  PetscCall(PetscStrToArrayDestroy(ntok, tok));
  PetscFunctionReturn(0);
}

/* Before the files: skip[i n + k] marks a copy the user gave for file i. */
static PetscErrorCode MarkUserPrefixed(StkPrefixedFiles pf, PetscInt nfiles, const ReadAgentsOptions *r, PetscBool skip[])
{
  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < nfiles; i++) {
    const char *fp;
    PetscCall(StkPrefixedFilesGetPrefix(pf, i, &fp));
    for (PetscInt k = 0; k < r->n; k++) {
      char key[512];
      PetscCall(PetscSNPrintf(key, sizeof(key), "-%s%s", fp, r->names[k] + 1));
      PetscCall(PetscOptionsHasName(NULL, NULL, key, &skip[i * r->n + k]));
    }
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode ApplyReadAgentsOptions(StkPrefixedFiles pf, PetscInt nfiles, const ReadAgentsOptions *r, const PetscBool skip[])
{
  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < nfiles; i++) {
    const char *fp;
    PetscCall(StkPrefixedFilesGetPrefix(pf, i, &fp));
    for (PetscInt k = 0; k < r->n; k++) {
      char key[512];
      if (skip[i * r->n + k]) continue;
      PetscCall(PetscSNPrintf(key, sizeof(key), "-%s%s", fp, r->names[k] + 1));
      PetscCall(PetscOptionsSetValue(NULL, key, r->values[k]));
    }
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode FreeReadAgentsOptions(ReadAgentsOptions *r)
{
  PetscFunctionBeginUser;
  for (PetscInt k = 0; k < r->n; k++) {
    PetscCall(PetscFree(r->names[k]));
    PetscCall(PetscFree(r->values[k]));
  }
  PetscCall(PetscFree2(r->names, r->values));
  PetscFunctionReturn(0);
}

/* One population per file, under the file's prefix (the sim owns them). */
static PetscErrorCode ReadRegimeFiles(StkSim sim, const char pre[], StkSimRegimeInput *in)
{
  StkPrefixedFiles pf = NULL;
  StkPopulation    pops[STK_SIM_MAX_REGIMES] = {NULL};
  char             names[STK_SIM_MAX_REGIMES][64], option[300];
  const char      *nm[STK_SIM_MAX_REGIMES];
  ReadAgentsOptions read;
  PetscBool        *skip;
  PetscErrorCode   ierr;

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(option, sizeof(option), "-%sregime_files", pre));
  PetscCall(StkPrefixedFilesCreate(sim->comm, option, in->nfiles, (const char *const *)in->files, &pf));
  PetscCall(CollectReadAgentsOptions(&read));
  PetscCall(PetscCalloc1(in->nfiles * read.n + 1, &skip));
  ierr = MarkUserPrefixed(pf, in->nfiles, &read, skip);
  if (!ierr) ierr = StkPrefixedFilesInsert(pf);
  if (!ierr) ierr = ApplyReadAgentsOptions(pf, in->nfiles, &read, skip);
  PetscCall(PetscFree(skip));
  PetscCall(FreeReadAgentsOptions(&read));
  if (!ierr) ierr = CheckFilesAgree(sim, pre, in, pf);
  for (PetscInt i = 0; !ierr && i < in->nfiles; i++) {
    const char *fp;
    ierr = StkPrefixedFilesGetPrefix(pf, i, &fp);
    if (!ierr) ierr = PetscStrncpy(names[i], fp, sizeof(names[i]));
    names[i][strlen(names[i]) - 1] = 0; /* without the '_' */
    nm[i] = names[i];
    if (!ierr) ierr = StkPopulationCreate(sim->comm, &pops[i]);
    if (!ierr) ierr = StkPopulationSetOptionsPrefix(pops[i], fp);
    if (!ierr) ierr = StkPopulationSetFromOptions(pops[i]);
  }
  if (!ierr) ierr = StkPrefixedFilesFinish(pf);
  if (!ierr) ierr = MarkPlannerOptionsRead(pf, in->nfiles);
  if (!ierr) ierr = StkSimSetRegimes(sim, in->nfiles, pops, nm, in->rates_set ? in->rates : NULL);
  if (!ierr) sim->chain.own = PETSC_TRUE;
  else
    for (PetscInt i = 0; i < in->nfiles; i++) PetscCall(StkPopulationDestroy(&pops[i]));
  PetscCall(StkPrefixedFilesDestroy(&pf));
  PetscCall(ierr);
  PetscFunctionReturn(0);
}

/* The given files replace the chain; rates need files; M x M values. */
PetscErrorCode StkSimRegimeOptionsApply(StkSim sim, const char pre[], StkSimRegimeInput *in)
{
  PetscErrorCode ierr = 0;
  const PetscInt M    = in->nfiles;

  PetscFunctionBeginUser;
  if (in->regime0_set) PetscCall(StkSimSetInitialRegime(sim, in->regime0));
  if (!in->files_set) {
    PetscCheck(!in->rates_set, sim->comm, PETSC_ERR_USER_INPUT, "-%sregime_rates: given without -%sregime_files: name one parameter file per regime", pre, pre);
    PetscFunctionReturn(0);
  }
  if (M > STK_SIM_MAX_REGIMES) ierr = PetscError(sim->comm, __LINE__, PETSC_FUNCTION_NAME, __FILE__, PETSC_ERR_USER_INPUT, PETSC_ERROR_INITIAL, "-%sregime_files: more than %d files: at most %d regimes", pre, STK_SIM_MAX_REGIMES, STK_SIM_MAX_REGIMES);
  else if (M < 2) ierr = PetscError(sim->comm, __LINE__, PETSC_FUNCTION_NAME, __FILE__, PETSC_ERR_USER_INPUT, PETSC_ERROR_INITIAL, "-%sregime_files %s: one regime file only: a regime chain needs two or more (for one regime: -options_file %s)", pre, M ? in->files[0] : "", M ? in->files[0] : "");
  else if (in->rates_set && in->nrates != M * M)
    ierr = PetscError(sim->comm, __LINE__, PETSC_FUNCTION_NAME, __FILE__, PETSC_ERR_USER_INPUT, PETSC_ERROR_INITIAL, "-%sregime_rates: %" PetscInt_FMT "%s values for %" PetscInt_FMT " regimes: needs M x M = %" PetscInt_FMT " (row-major, one row per file of -%sregime_files, the diagonal ignored)", pre, in->nrates, in->nrates > STK_SIM_MAX_REGIMES * STK_SIM_MAX_REGIMES ? " or more" : "", M, M * M, pre);
  else ierr = ReadRegimeFiles(sim, pre, in);
  PetscCall(FreeInput(in));
  PetscCall(ierr);
  PetscFunctionReturn(0);
}

/* ---- the chain in a run ---- */

/* Parameters of every regime checked and copied; the initial regime in range; q_i dt <= 1. */
PetscErrorCode StkSimRegimeSetUp(StkSim sim, const char pre[])
{
  StkSimChain *c = &sim->chain;

  PetscFunctionBeginUser;
  sim->regime = 0;
  if (!c->M) PetscFunctionReturn(0);
  PetscCheck(c->regime0 >= 0 && c->regime0 < c->M, sim->comm, PETSC_ERR_USER_INPUT, "-%sregime0: %" PetscInt_FMT " is out of range: the regimes are 0 .. %" PetscInt_FMT, pre, c->regime0, c->M - 1);
  for (PetscInt i = 0; i < c->M; i++) {
    const StkAgentParams *p;
    char                  pop_pre[256];
    PetscReal             out = 0;
    PetscCall(StkPopulationGetParams(c->pop[i], &p));
    PetscCall(StkPopulationGetFullPrefix(c->pop[i], pop_pre, sizeof(pop_pre)));
    PetscCall(StkAgentParamsCheckPrefixed(sim->comm, pop_pre, p));
    c->p[i] = *p;
    for (PetscInt j = 0; j < c->M; j++) out += j == i ? 0 : c->q[i * c->M + j];
    PetscCheck(out * sim->set.dt <= 1, sim->comm, PETSC_ERR_USER_INPUT, "-%sregime_rates: regime %s is left at rate %g 1/yr, more than once per step (-%sdt %g): needs sum_j q_ij dt <= 1", pre, c->names[i], (double)out, pre, (double)sim->set.dt);
  }
  sim->regime = c->regime0;
  sim->p      = c->p[c->regime0];
  PetscFunctionReturn(0);
}

/* Makes r the active regime: its parameters drive the next steps. */
PetscErrorCode StkSimRegimeEnter(StkSim sim, PetscInt r)
{
  PetscFunctionBeginUser;
  sim->regime = r;
  sim->p      = sim->chain.p[r];
  if (sim->ops.regime) PetscCall(sim->ops.regime(sim));
  PetscFunctionReturn(0);
}

/* The end of step n: dt counts for the regime active during the step, then one uniform
 * U decides: regime j if U falls in the j-th interval of length q_ij dt, else stay. */
PetscErrorCode StkSimRegimeStep(StkSim sim, uint32_t step)
{
  StkSimChain   *c = &sim->chain;
  const PetscInt i = sim->regime;
  StkRng         rng;
  PetscReal      U, edge = 0;

  PetscFunctionBeginUser;
  c->steps[i]++;
  StkRngInit(&rng, StkSimSeed(sim), 0, step, sim->path, STK_RNG_STREAM_REGIME);
  U = StkRngUniform(&rng);
  for (PetscInt j = 0; j < c->M; j++) {
    if (j == i) continue;
    edge += c->q[i * c->M + j] * sim->set.dt;
    if (U < edge) {
      c->jumps[i * c->M + j]++;
      PetscCall(StkSimRegimeEnter(sim, j));
      break;
    }
  }
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimRegimeView(StkSim sim, PetscViewer viewer)
{
  const StkSimChain *c = &sim->chain;

  PetscFunctionBeginUser;
  if (!c->M) PetscFunctionReturn(0);
  PetscCall(PetscViewerASCIIPrintf(viewer, "regime chain: %" PetscInt_FMT " regimes, paths start in %s; intensities q_ij (1/yr):\n", c->M, c->regime0 >= 0 && c->regime0 < c->M ? c->names[c->regime0] : "(out of range)"));
  for (PetscInt i = 0; i < c->M; i++) {
    PetscCall(PetscViewerASCIIPrintf(viewer, "  %s:", c->names[i]));
    PetscCall(PetscViewerASCIIUseTabs(viewer, PETSC_FALSE));
    for (PetscInt j = 0; j < c->M; j++) PetscCall(PetscViewerASCIIPrintf(viewer, " %g", (double)c->q[i * c->M + j]));
    PetscCall(PetscViewerASCIIPrintf(viewer, "\n"));
    PetscCall(PetscViewerASCIIUseTabs(viewer, PETSC_TRUE));
  }
  PetscFunctionReturn(0);
}
