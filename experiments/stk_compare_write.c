/* StkCompare's outputs: the table on a viewer, the HDF5 group /compare and the CSV
 * summary (layouts in docs/hdf5.md and docs/cli.md). */
#include "stk_compareimpl.h"
#include "stk_h5.h"
#include "stk_files.h"
#include "stk_version.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* With -price: the price metrics of the rows that carry the price, and the volatility's
 * paired difference to the reference. */
static PetscErrorCode ViewPrice(StkCompare cmp, PetscViewer viewer)
{
  PetscFunctionBeginUser;
  PetscCall(PetscViewerASCIIPrintf(viewer, "  token price (rows with the price): means over the paths; price_volatility - reference [95%% bootstrap interval], Holm-adjusted p\n"));
  PetscCall(PetscViewerASCIIPrintf(viewer, "  %-11s %-4s %-10s %-15s %9s %8s %9s %9s %9s %9s %34s %9s\n", "regime", "env", "scenario", "policy", "vol", "entropy", "R", "recovery", "mean P", "HHI", "vol - reference", "p_holm"));
  for (PetscInt row = 0; row < cmp->nrows; row++) {
    const PetscReal *col = &cmp->summary[row * cmp->ncolumns], *pm = &col[STK_COMPARE_PRICE_BASE], *dv = &col[STK_COMPARE_PRICE_DIFF_BASE];
    PetscInt         r, e, c, p;
    char             diff[64] = "(reference)", ph[16] = "";
    StkCompareRowParts(cmp, row, &r, &e, &c, &p);
    if (PetscIsNanReal(pm[2 * STK_PRICE_METRIC_VOLATILITY])) continue;
    if (p != cmp->reference) {
      PetscCall(PetscSNPrintf(diff, sizeof(diff), "%+10.3e [%+10.3e, %+10.3e]", (double)dv[0], (double)dv[1], (double)dv[2]));
      PetscCall(PetscSNPrintf(ph, sizeof(ph), "%9.2e", (double)dv[4]));
    }
    PetscCall(PetscViewerASCIIPrintf(viewer, "  %-11.11s %-4s %-10s %-15s %9.4g %8.4g %9.4g %9.4g %9.4g %9.3g %34s %9s\n", cmp->regimes[r], cmp->envs[e], cmp->scenarios[c], cmp->policies[p], (double)pm[2 * STK_PRICE_METRIC_VOLATILITY], (double)pm[2 * STK_PRICE_METRIC_ENTROPY], (double)pm[2 * STK_PRICE_METRIC_RESILIENCE], (double)pm[2 * STK_PRICE_METRIC_RECOVERY_TIME], (double)pm[2 * STK_PRICE_METRIC_MEAN_PRICE], (double)pm[2 * STK_PRICE_METRIC_HERFINDAHL], diff, ph));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode StkCompareView(StkCompare cmp, PetscViewer viewer)
{
  const PetscInt base = 2 * STK_METRIC_COUNT + 1;
  PetscMPIInt    size;

  PetscFunctionBeginUser;
  PetscCheck(cmp->setupcalled, cmp->comm, PETSC_ERR_ARG_WRONGSTATE, "StkCompareRun must be called before StkCompareView");
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(cmp->comm, &viewer));
  PetscCallMPI(MPI_Comm_size(cmp->comm, &size));
  PetscCall(PetscViewerASCIIPrintf(viewer, "stakehjb compare: %" PetscInt_FMT " regime(s) x %" PetscInt_FMT " environment(s) x %" PetscInt_FMT " scenario(s) x %" PetscInt_FMT " policies, %" PetscInt_FMT " paths of %g yr each, %d rank(s), %.1f s\n", cmp->nregimes, cmp->nenvs, cmp->nscenarios, cmp->npolicies, cmp->paths, (double)cmp->years, (int)size, (double)cmp->wall));
  PetscCall(PetscViewerASCIIPrintf(viewer, "  paired differences to %s: mean [95%% bootstrap interval], Holm-adjusted Wilcoxon p\n", cmp->policies[cmp->reference]));
  PetscCall(PetscViewerASCIIPrintf(viewer, "  %-11s %-4s %-10s %-15s %10s %10s %34s %9s\n", "regime", "env", "scenario", "policy", "cost", "rmse", "cost - reference", "p_holm"));
  for (PetscInt row = 0; row < cmp->nrows; row++) {
    const PetscReal *col = &cmp->summary[row * cmp->ncolumns], *dc = &col[base];
    PetscInt         r, e, c, p;
    StkCompareRowParts(cmp, row, &r, &e, &c, &p);
    if (p == cmp->reference) PetscCall(PetscViewerASCIIPrintf(viewer, "  %-11.11s %-4s %-10s %-15s %10.4g %10.4g %34s %9s\n", cmp->regimes[r], cmp->envs[e], cmp->scenarios[c], cmp->policies[p], (double)col[2 * STK_METRIC_DISCOUNTED_COST], (double)col[2 * STK_METRIC_TRACKING_RMSE], "(reference)", ""));
    else PetscCall(PetscViewerASCIIPrintf(viewer, "  %-11.11s %-4s %-10s %-15s %10.4g %10.4g %+10.3e [%+10.3e, %+10.3e] %9.2e\n", cmp->regimes[r], cmp->envs[e], cmp->scenarios[c], cmp->policies[p], (double)col[2 * STK_METRIC_DISCOUNTED_COST], (double)col[2 * STK_METRIC_TRACKING_RMSE], (double)dc[0], (double)dc[1], (double)dc[2], (double)dc[4]));
  }
  if (cmp->price) PetscCall(ViewPrice(cmp, viewer));
  PetscFunctionReturn(0);
}

/* "+1.23e-03 [+1.00e-03, +1.50e-03]" */
static PetscErrorCode FormatInterval(PetscReal mean, PetscReal lo, PetscReal hi, char out[], size_t len)
{
  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(out, len, "%+.2e [%+.2e, %+.2e]", (double)mean, (double)lo, (double)hi));
  PetscFunctionReturn(0);
}

/* One regime: the lowest cost, the best baseline and its differences to the reference. */
static PetscErrorCode ViewSummaryRegime(StkCompare cmp, PetscViewer viewer, PetscInt r)
{
  const StkMetric metric[2] = {STK_METRIC_DISCOUNTED_COST, STK_METRIC_TRACKING_RMSE};
  PetscInt        best, base;
  PetscReal       cost, d, lo, hi;
  char            diff[2][64] = {"", ""};

  PetscFunctionBeginUser;
  PetscCall(StkCompareGetBestPolicy(cmp, r, STK_METRIC_DISCOUNTED_COST, PETSC_FALSE, &best));
  PetscCall(StkCompareGetBestPolicy(cmp, r, STK_METRIC_DISCOUNTED_COST, PETSC_TRUE, &base));
  PetscCall(StkCompareGetPooledMean(cmp, r, best, STK_METRIC_DISCOUNTED_COST, &cost));
  for (PetscInt k = 0; base >= 0 && k < 2; k++) {
    PetscCall(StkCompareGetPooledDifference(cmp, r, base, metric[k], &d, &lo, &hi));
    PetscCall(FormatInterval(d, lo, hi, diff[k], sizeof(diff[k])));
  }
  PetscCall(PetscViewerASCIIPrintf(viewer, "  %-11.11s %-15s %9.4g  %-15s %-32s %s\n", cmp->regimes[r], cmp->policies[best], (double)cost, base >= 0 ? cmp->policies[base] : "(none)", diff[0], diff[1]));
  PetscFunctionReturn(0);
}

PetscErrorCode StkCompareViewSummary(StkCompare cmp, PetscViewer viewer)
{
  const char *ref;

  PetscFunctionBeginUser;
  PetscCheck(cmp->computed, cmp->comm, PETSC_ERR_ARG_WRONGSTATE, "StkCompareRun must be called before StkCompareViewSummary");
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(cmp->comm, &viewer));
  ref = cmp->policies[cmp->reference];
  PetscCall(PetscViewerASCIIPrintf(viewer, "summary per regime: means over %" PetscInt_FMT " environment(s) x %" PetscInt_FMT " scenario(s), %" PetscInt_FMT " paths; difference = best baseline - %s\n", cmp->nenvs, cmp->nscenarios, cmp->paths, ref));
  PetscCall(PetscViewerASCIIPrintf(viewer, "  per path, mean [95%% bootstrap interval] (> 0: %s lower)\n", ref));
  PetscCall(PetscViewerASCIIPrintf(viewer, "  %-11s %-15s %9s  %-15s %-32s %s\n", "regime", "lowest cost", "(mean)", "best baseline", "cost difference", "rmse difference"));
  for (PetscInt r = 0; r < cmp->nregimes; r++) PetscCall(ViewSummaryRegime(cmp, viewer, r));
  PetscFunctionReturn(0);
}

/* ---- CSV (rank 0, temporary name then rename) ---- */

static PetscErrorCode WriteCsv(StkCompare cmp, const char path[])
{
  char        tmp[PETSC_MAX_PATH_LEN + 32], name[64];
  FILE       *fp;
  PetscMPIInt rank;
  int         bad;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(cmp->comm, &rank));
  if (rank) PetscFunctionReturn(0);
  PetscCall(PetscSNPrintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()));
  PetscCall(StkFileRegisterTemporary(tmp));
  fp = fopen(tmp, "w");
  if (!fp) PetscCall(StkFileUnregisterTemporary(tmp));
  PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "%s: cannot write %s", path, tmp);
  fprintf(fp, "regime,env,scenario,policy");
  for (PetscInt j = 0; j < cmp->ncolumns; j++) {
    PetscCall(StkCompareGetColumnName(cmp, j, name, sizeof(name)));
    fprintf(fp, ",%s", name);
  }
  fprintf(fp, "\n");
  for (PetscInt row = 0; row < cmp->nrows; row++) {
    PetscInt r, e, c, p;
    StkCompareRowParts(cmp, row, &r, &e, &c, &p);
    fprintf(fp, "%s,%s,%s,%s", cmp->regimes[r], cmp->envs[e], cmp->scenarios[c], cmp->policies[p]);
    for (PetscInt j = 0; j < cmp->ncolumns; j++) fprintf(fp, ",%.10g", (double)cmp->summary[row * cmp->ncolumns + j]);
    fprintf(fp, "\n");
  }
  bad = fclose(fp) || rename(tmp, path);
  if (bad) (void)unlink(tmp);
  PetscCall(StkFileUnregisterTemporary(tmp));
  PetscCheck(!bad, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "%s: cannot write the file", path);
  PetscFunctionReturn(0);
}

/* ---- HDF5 ---- */

static PetscErrorCode WriteRowIndex(StkCompare cmp, StkH5 file, const char g[])
{
  PetscReal  *idx;
  const char *names[] = {"row_regime", "row_env", "row_scenario", "row_policy"};
  const char *help[]  = {"index into the attribute regimes", "index into the attribute envs", "index into the attribute scenarios", "index into the attribute policies"};

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(cmp->nrows, &idx));
  for (PetscInt row = 0; row < cmp->nrows; row++) idx[row] = row;
  PetscCall(StkH5WriteArray(file, g, "row", "row", cmp->nrows, idx, "1", "row = ((regime * nenvs + env) * nscenarios + scenario) * npolicies + policy"));
  for (PetscInt k = 0; k < 4; k++) {
    for (PetscInt row = 0; row < cmp->nrows; row++) {
      PetscInt part[4];
      StkCompareRowParts(cmp, row, &part[0], &part[1], &part[2], &part[3]);
      idx[row] = part[k];
    }
    PetscCall(StkH5WriteArray(file, g, names[k], "row", cmp->nrows, idx, "1", help[k]));
  }
  PetscCall(PetscFree(idx));
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteNames(StkH5 file, const char g[], const char attr[], char *items[], PetscInt n)
{
  char list[1024] = "";

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < n; i++) {
    if (i) PetscCall(PetscStrlcat(list, ",", sizeof(list)));
    PetscCall(PetscStrlcat(list, items[i], sizeof(list)));
  }
  PetscCall(StkH5WriteAttributeString(file, g, attr, list));
  PetscFunctionReturn(0);
}

/* The dimension scales path, column, t, sample and the start states. */
static PetscErrorCode WriteScales(StkCompare cmp, StkH5 file, const char g[])
{
  PetscReal *scale;
  PetscInt   n = PetscMax(PetscMax(cmp->paths, cmp->ncolumns), cmp->nrec);

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(n, &scale));
  for (PetscInt i = 0; i < n; i++) scale[i] = i;
  PetscCall(StkH5WriteArray(file, g, "path", "path", cmp->paths, scale, "1", "Monte Carlo path (Philox counter, common to every policy)"));
  PetscCall(StkH5WriteArray(file, g, "column", "column", cmp->ncolumns, scale, "1", "summary column (names in the attribute columns)"));
  for (PetscInt k = 0; k < cmp->nrec; k++) scale[k] = k * cmp->sample_every / STK_DAYS_PER_YEAR;
  PetscCall(StkH5WriteArray(file, g, "t", "t", cmp->nrec, scale, "yr", "times of the kept sample paths"));
  for (PetscInt i = 0; i < cmp->samples; i++) scale[i] = i;
  PetscCall(StkH5WriteArray(file, g, "sample", "sample", cmp->samples, scale, "1", "sample path index (the first paths)"));
  PetscCall(StkH5WriteArray(file, g, "s0", "path", cmp->paths, cmp->s0, "1", "start state of each path"));
  PetscCall(PetscFree(scale));
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteAttributes(StkCompare cmp, StkH5 file, const char g[])
{
  char        columns[4096] = "", name[64];
  PetscMPIInt size;

  PetscFunctionBeginUser;
  for (PetscInt j = 0; j < cmp->ncolumns; j++) {
    PetscCall(StkCompareGetColumnName(cmp, j, name, sizeof(name)));
    if (j) PetscCall(PetscStrlcat(columns, ",", sizeof(columns)));
    PetscCall(PetscStrlcat(columns, name, sizeof(columns)));
  }
  PetscCall(StkH5WriteAttributeString(file, g, "columns", columns));
  PetscCall(WriteNames(file, g, "regimes", cmp->regimes, cmp->nregimes));
  PetscCall(WriteNames(file, g, "envs", cmp->envs, cmp->nenvs));
  PetscCall(WriteNames(file, g, "scenarios", cmp->scenarios, cmp->nscenarios));
  PetscCall(WriteNames(file, g, "policies", cmp->policies, cmp->npolicies));
  PetscCall(StkH5WriteAttributeString(file, g, "program", "stakehjb compare"));
  PetscCall(StkH5WriteAttributeString(file, g, "version", STK_VERSION));
  PetscCall(StkH5WriteAttributeInt(file, g, "paths", cmp->paths));
  PetscCall(StkH5WriteAttributeInt(file, g, "seed", cmp->seed));
  PetscCall(StkH5WriteAttributeInt(file, g, "n_agents", cmp->n_agents));
  PetscCall(StkH5WriteAttributeString(file, g, "abm_types", StkAbmTypesList[cmp->abm_types]));
  PetscCall(StkH5WriteAttributeString(file, g, "abm_response", StkAbmResponses[cmp->abm_response]));
  if (cmp->abm_response == STK_ABM_HEDGE) {
    PetscCall(StkH5WriteAttributeReal(file, g, "hedge_rate", cmp->hedge_rate, "1"));
    PetscCall(StkH5WriteAttributeReal(file, g, "hedge_forget", cmp->hedge_forget, "1/yr"));
  }
  PetscCall(StkH5WriteAttributeInt(file, g, "bootstrap", cmp->nboot));
  PetscCall(StkH5WriteAttributeInt(file, g, "samples", cmp->samples));
  PetscCall(StkH5WriteAttributeInt(file, g, "nrec", cmp->nrec));
  PetscCall(StkH5WriteAttributeReal(file, g, "years", cmp->years, "yr"));
  PetscCall(StkH5WriteAttributeReal(file, g, "shock_time", cmp->t_shock, "yr"));
  PetscCall(StkH5WriteAttributeReal(file, g, "shock_dz", cmp->dz, "1/yr"));
  PetscCall(StkH5WriteAttributeReal(file, g, "shock_frac", cmp->frac, "1"));
  PetscCall(StkH5WriteAttributeReal(file, g, "band", cmp->band, "1"));
  PetscCall(StkH5WriteAttributeReal(file, g, "recovery_hold", cmp->hold, "yr"));
  if (cmp->price) PetscCall(StkH5WriteAttributeInt(file, g, "price", 1)); /* only with -price: files without it stay as they were */
  PetscCallMPI(MPI_Comm_size(cmp->comm, &size));
  PetscCall(StkH5WriteAttributeInt(file, g, "ranks", size));
  PetscCall(StkH5WriteAttributeReal(file, g, "wall_time", cmp->wall, "s"));
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteContents(StkCompare cmp, StkH5 file)
{
  const char        g[] = "compare";
  const char *const sample_dims[3]  = {"row", "sample", "t"};
  const PetscInt    sample_shape[3] = {cmp->nrows, cmp->samples, cmp->nrec};
  PetscReal        *tab;

  PetscFunctionBeginUser;
  PetscCall(WriteScales(cmp, file, g));
  PetscCall(WriteRowIndex(cmp, file, g));
  PetscCall(PetscMalloc1(cmp->nrows * cmp->paths, &tab));
  for (PetscInt m = 0; m < STK_METRIC_COUNT; m++) {
    for (PetscInt row = 0; row < cmp->nrows; row++)
      for (PetscInt i = 0; i < cmp->paths; i++) tab[row * cmp->paths + i] = cmp->metrics[(row * STK_METRIC_COUNT + m) * cmp->paths + i];
    PetscCall(StkH5WriteArray2D(file, g, StkMetricNames[m], "row", "path", cmp->nrows, cmp->paths, tab, StkMetricUnits[m], StkMetricHelp[m]));
  }
  for (PetscInt m = 0; cmp->price && m < STK_PRICE_METRIC_COUNT; m++) { /* -price: NaN in rows without the price */
    for (PetscInt row = 0; row < cmp->nrows; row++)
      for (PetscInt i = 0; i < cmp->paths; i++) tab[row * cmp->paths + i] = cmp->price_metrics[(row * STK_PRICE_METRIC_COUNT + m) * cmp->paths + i];
    PetscCall(StkH5WriteArray2D(file, g, StkPriceMetricNames[m], "row", "path", cmp->nrows, cmp->paths, tab, StkPriceMetricUnits[m], StkPriceMetricHelp[m]));
  }
  PetscCall(PetscFree(tab));
  PetscCall(StkH5WriteArray2D(file, g, "summary", "row", "column", cmp->nrows, cmp->ncolumns, cmp->summary, "mixed", "per row: metric means, counts, and paired differences to the reference (docs/cli.md)"));
  PetscCall(StkH5WriteArray3D(file, g, "sample_s", sample_dims, sample_shape, cmp->sample_s, "1", "staking ratio of the sample paths"));
  PetscCall(StkH5WriteArray3D(file, g, "sample_u", sample_dims, sample_shape, cmp->sample_u, "1/yr", "issuance rate of the sample paths"));
  PetscCall(WriteAttributes(cmp, file, g));
  PetscFunctionReturn(0);
}

PetscErrorCode StkCompareWrite(StkCompare cmp)
{
  StkH5          file;
  PetscErrorCode ierr;
  char           csv[PETSC_MAX_PATH_LEN], staged[PETSC_MAX_PATH_LEN], *dot;

  PetscFunctionBeginUser;
  PetscCheck(cmp->setupcalled && cmp->outputs, cmp->comm, PETSC_ERR_ARG_WRONGSTATE, "StkCompareRun must be called before StkCompareWrite");
  PetscCall(StkOutputSetGetPath(cmp->outputs, cmp->out, staged, sizeof(staged)));
  PetscCall(StkH5Create(cmp->comm, staged, &file));
  ierr = WriteContents(cmp, file);
  if (!ierr) ierr = StkH5Commit(file, "compare", NULL, 0, NULL);
  PetscCall(StkH5Destroy(&file));
  PetscCall(ierr);
  PetscCall(PetscStrncpy(csv, cmp->out, sizeof(csv)));
  if ((dot = strrchr(csv, '.')) && !strchr(dot, '/')) *dot = 0;
  PetscCall(PetscStrlcat(csv, ".csv", sizeof(csv)));
  PetscCall(StkOutputSetGetPath(cmp->outputs, csv, staged, sizeof(staged)));
  PetscCall(WriteCsv(cmp, staged));
  PetscCall(StkOutputSetCommit(cmp->outputs)); /* the regimes' solution files, the .h5 and the .csv at once */
  PetscCall(StkOutputSetDestroy(&cmp->outputs));
  PetscFunctionReturn(0);
}
