#define _POSIX_C_SOURCE 200809L /* strtok_r */
/* Strict options and a short -help (stk_cli.h).
 *
 * Which options a command knows is what its -help lists: before the command runs, its
 * help path runs once on a copy of the options database with -help set, the help text
 * captured instead of printed.  Every option of the copy that this pass did not read is
 * unknown; its kind (a flag, or an option that takes a value) comes from the format of
 * its help line. */
#include "stk_cli.h"
#include "stk_options.h"
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------ */
/* The captured help text: file descriptor 1 goes to a temporary file, so PETSc's help
 * (PetscHelpPrintf, and the choices of type options it prints to stdout) is captured in
 * order, and the FILE *stdout that PETSc's viewers keep stays valid. */

static FILE  *capture   = NULL;
static int    saved_fd  = -1;
static char  *help_text = NULL;
static size_t help_len  = 0;

static void ClearHelp(void)
{
  free(help_text);
  help_text = NULL;
  help_len  = 0;
}

/* From here on, standard output goes to a temporary file (no PETSc call: this may run
 * before PetscInitialize); non-zero if it cannot. */
static int CaptureBegin(void)
{
  ClearHelp();
  fflush(stdout);
  capture = tmpfile();
  if (!capture) return 1;
  saved_fd = dup(1);
  if (saved_fd < 0 || dup2(fileno(capture), 1) < 0) {
    fclose(capture);
    capture = NULL;
    return 1;
  }
  return 0;
}

/* Back to the terminal; help_text holds what was captured. */
static void CaptureEnd(void)
{
  long size;

  if (!capture) return;
  fflush(stdout);
  dup2(saved_fd, 1);
  close(saved_fd);
  size = lseek(fileno(capture), 0, SEEK_END); /* written through the descriptor, not the FILE */
  if (size < 0) size = 0;
  help_text = (char *)calloc((size_t)size + 1, 1);
  if (help_text && lseek(fileno(capture), 0, SEEK_SET) == 0) {
    ssize_t got = read(fileno(capture), help_text, (size_t)size);
    help_len    = got > 0 ? (size_t)got : 0;
  }
  fclose(capture);
  capture = NULL;
}

/* Rank 0's capture on every rank: PETSc prints some help lines on rank 0 only. */
static PetscErrorCode BroadcastHelp(void)
{
  unsigned long len = help_len;
  PetscMPIInt   rank;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Bcast(&len, 1, MPI_UNSIGNED_LONG, 0, PETSC_COMM_WORLD));
  if (rank) {
    ClearHelp();
    help_text = (char *)calloc(len + 1, 1);
    PetscCheck(help_text, PETSC_COMM_SELF, PETSC_ERR_MEM, "out of memory");
    help_len = len;
  }
  PetscCallMPI(MPI_Bcast(help_text, (PetscMPIInt)len, MPI_CHAR, 0, PETSC_COMM_WORLD));
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* Known options */

typedef struct {
  char      name[128]; /* without the '-' */
  PetscBool flag;      /* its help line shows no value ("-name <value>" is an option that needs one) */
} KnownOption;

typedef struct {
  KnownOption *opt;
  int          n, cap;
} KnownOptions;

static PetscErrorCode KnownAdd(KnownOptions *k, const char name[], size_t len, PetscBool flag)
{
  PetscFunctionBeginUser;
  if (len == 0 || len >= sizeof(k->opt[0].name)) PetscFunctionReturn(0);
  for (int i = 0; i < k->n; i++)
    if (strlen(k->opt[i].name) == len && !strncmp(k->opt[i].name, name, len)) PetscFunctionReturn(0);
  if (k->n == k->cap) PetscCall(PetscRealloc(sizeof(KnownOption) * (k->cap = 2 * k->cap + 64), &k->opt));
  memcpy(k->opt[k->n].name, name, len);
  k->opt[k->n].name[len] = 0;
  k->opt[k->n].flag      = flag;
  k->n++;
  PetscFunctionReturn(0);
}

/* Every "  -name ..." line of the captured help. */
static PetscErrorCode KnownFromHelp(KnownOptions *k)
{
  const char *line = help_text;

  PetscFunctionBeginUser;
  while (line && *line) {
    const char *end = strchr(line, '\n'), *p = line;
    while (*p == ' ') p++;
    if (p[0] == '-' && isalpha((unsigned char)p[1])) {
      size_t len = strcspn(p + 1, " :<\t\n");
      PetscCall(KnownAdd(k, p + 1, len, (PetscBool)!(p[1 + len] == ' ' && p[2 + len] == '<')));
    }
    line = end ? end + 1 : NULL;
  }
  PetscFunctionReturn(0);
}

static const KnownOption *KnownFind(const KnownOptions *k, const char name[])
{
  for (int i = 0; i < k->n; i++)
    if (!strcmp(k->opt[i].name, name)) return &k->opt[i];
  return NULL;
}

static int EditDistance(const char a[], const char b[])
{
  int la = (int)strlen(a), lb = (int)strlen(b), row[256];

  if (la > 250 || lb > 250) return 1 << 20;
  for (int j = 0; j <= lb; j++) row[j] = j;
  for (int i = 1; i <= la; i++) {
    int diag = row[0];
    row[0]   = i;
    for (int j = 1; j <= lb; j++) {
      int up = row[j], best = diag + (a[i - 1] != b[j - 1]);
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      if (up + 1 < best) best = up + 1;
      diag   = up;
      row[j] = best;
    }
  }
  return row[lb];
}

/* The known option closest to `name`, or NULL when none is close (more than half the
 * letters differ). */
static const char *Closest(const KnownOptions *k, const char name[])
{
  const char *best = NULL;
  int         dbest = 1 << 20;

  for (int i = 0; i < k->n; i++) {
    int d = EditDistance(name, k->opt[i].name);
    if (d < dbest) dbest = d, best = k->opt[i].name;
  }
  return dbest <= (int)(strlen(name) + 1) / 2 ? best : NULL;
}

/* PETSc's own options: read at PetscInitialize/PetscFinalize or lazily by a solver
 * (viewers, monitors), so the help pass need not see them. */
static PetscBool IsPetscOwn(const char name[])
{
  static const char *heads[] = {"log", "malloc", "options_", "info", "viewer", "draw", "fp_trap", "on_error", "checkstack", "memory_view", "saws", "mpi", "petsc", "help", "version", "no_signal_handler", "debugger", "start_in_debugger", "stop_for_debugger", "display", "tmp", "shared_tmp", "not_shared_tmp", "get_total_flops", "objects_dump", "check_pointer_intensity", "device_", "root_device", "use_gpu_aware_mpi", "nox", "x_virtual", "citations", "skip_petscrc", "history", "timeout", "vecscatter", "sf_", "mat_", "vec_", "ksp_", "pc_", "tao_", "snes_", "dm_", "da_", "density_" /* the density solver, read when it runs */};

  for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++)
    if (!strncmp(name, heads[i], strlen(heads[i]))) return PETSC_TRUE;
  return (PetscBool)(strstr(name, "_view") || strstr(name, "_monitor") || strstr(name, "converged_reason") || strstr(name, "_draw"));
}

/* ------------------------------------------------------------------------------------ */
/* The checks */

typedef struct {
  PetscInt n;
  char   **names, **values; /* copies; names without the '-' */
} OptionList;

static PetscErrorCode OptionListGet(PetscOptions options, OptionList *l)
{
  PetscInt n;
  char   **names, **values;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsLeftGet(options, &n, &names, &values));
  l->n = n;
  PetscCall(PetscCalloc2(n, &l->names, n, &l->values));
  for (PetscInt i = 0; i < n; i++) {
    PetscCall(PetscStrallocpy(names[i], &l->names[i]));
    PetscCall(PetscStrallocpy(values[i], &l->values[i]));
  }
  PetscCall(PetscOptionsLeftRestore(options, &n, &names, &values));
  PetscFunctionReturn(0);
}

static PetscErrorCode OptionListDestroy(OptionList *l)
{
  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < l->n; i++) {
    PetscCall(PetscFree(l->names[i]));
    PetscCall(PetscFree(l->values[i]));
  }
  PetscCall(PetscFree2(l->names, l->values));
  PetscFunctionReturn(0);
}

/* A value that strtod reads completely as inf or nan (or that overflows), in any of its
 * comma-separated elements; `bad` gets that element. */
static PetscBool NonFinite(const char value[], char bad[], size_t len)
{
  char copy[1024], *save = NULL;

  if (!value) return PETSC_FALSE;
  snprintf(copy, sizeof(copy), "%s", value);
  for (char *e = strtok_r(copy, ",", &save); e; e = strtok_r(NULL, ",", &save)) {
    char  *end;
    double v = strtod(e, &end);
    if (end != e && !*end && !isfinite(v)) {
      snprintf(bad, len, "%s", e);
      return PETSC_TRUE;
    }
  }
  return PETSC_FALSE;
}

/* Empty values of options that take one, and non-finite numbers. */
static PetscErrorCode CheckValues(const OptionList *given, const KnownOptions *known)
{
  char bad[256];

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < given->n; i++) {
    const KnownOption *k = KnownFind(known, given->names[i]);
    PetscCheck(!k || k->flag || IsPetscOwn(given->names[i]) || (given->values[i] && given->values[i][0]), PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-%s: empty value (give a value, or leave the option out for its default)", given->names[i]);
    PetscCheck(!NonFinite(given->values[i], bad, sizeof(bad)), PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-%s: '%s' is not a finite number", given->names[i], bad);
  }
  PetscFunctionReturn(0);
}

/* Options of `left` that nobody read: an error (a warning with -allow_unused_options). */
static PetscErrorCode CheckUnused(const char command[], const OptionList *left, const KnownOptions *known, PetscBool allow)
{
  char     msg[4096] = "";
  PetscInt count     = 0;

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < left->n; i++) {
    const char *close, *source;
    char        line[512], from[300] = "";
    if (IsPetscOwn(left->names[i])) continue;
    close  = Closest(known, left->names[i]);
    source = StkOptionSource(left->names[i]);
    if (source) PetscCall(PetscSNPrintf(from, sizeof(from), ", set in %s", source));
    if (close) PetscCall(PetscSNPrintf(line, sizeof(line), "%s-%s: unknown option of stakehjb %s%s (did you mean -%s?)", count ? "\n  " : "", left->names[i], command, from, close));
    else PetscCall(PetscSNPrintf(line, sizeof(line), "%s-%s: unknown option of stakehjb %s%s (see stakehjb %s -help)", count ? "\n  " : "", left->names[i], command, from, command));
    PetscCall(PetscStrlcat(msg, line, sizeof(msg)));
    count++;
  }
  if (!count) PetscFunctionReturn(0);
  if (allow) PetscCall(PetscFPrintf(PETSC_COMM_WORLD, PETSC_STDERR, "stakehjb %s: warning: %s\n  (ignored: -allow_unused_options)\n", command, msg));
  else SETERRQ(PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "%s\n  (-allow_unused_options makes this a warning)", msg);
  PetscFunctionReturn(0);
}

/* Runs the command's help path on `copy` with the help captured; restores everything
 * before it returns the command's error, if any. */
static PetscBool check_pass = PETSC_FALSE;

PetscBool StkOptionsCheckRunning(void)
{
  return check_pass;
}

static PetscErrorCode RunHelpPass(PetscErrorCode (*run)(void), PetscOptions copy)
{
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsPush(copy));
  PetscCheck(!CaptureBegin(), PETSC_COMM_SELF, PETSC_ERR_MEM, "cannot capture the help text");
  check_pass = PETSC_TRUE;
  ierr       = run();
  check_pass = PETSC_FALSE;
  CaptureEnd();
  PetscCall(PetscOptionsPop());
  PetscCall(ierr);
  PetscCall(BroadcastHelp());
  PetscFunctionReturn(0);
}

PetscErrorCode StkProgramOptions(PetscBool *allow_unused)
{
  PetscReal gb = 0, delay = 2;
  PetscBool progress = PETSC_TRUE;
  PetscBool set, given;

  PetscFunctionBeginUser;
  *allow_unused = PETSC_FALSE;
  /* first: the types a plugin adds are then known to -model, -help and the files' loaders */
  PetscCall(StkModelLoadPluginsFromOptions(PETSC_COMM_WORLD, NULL));
  PetscOptionsBegin(PETSC_COMM_WORLD, NULL, "stakehjb (every command)", NULL);
  PetscCall(PetscOptionsBool("-allow_unused_options", "Warn about options no part of the command reads, instead of failing", "", *allow_unused, allow_unused, NULL));
  PetscCall(PetscOptionsReal("-memory_budget", "Memory the command may plan to use on all ranks together, GB (0: 80% of the physical memory of the hosts in use)", "StkMemorySetBudget", gb, &gb, &set));
  /* read again by every step's StkProgressCreate; here so that -help lists them and the
   * option check knows them whatever the command */
  PetscCall(PetscOptionsBool("-progress", "Progress lines on stderr for steps longer than -progress_delay (grids/stk_progress.h)", "StkProgressCreate", progress, &progress, NULL));
  PetscCall(PetscOptionsReal("-progress_delay", "Seconds a step runs before its first progress line", "StkProgressSetDelay", delay, &delay, NULL));
  PetscOptionsEnd();
  PetscCheck(delay >= 0 && !PetscIsInfOrNanReal(delay), PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-progress_delay: %g is out of range: must be a finite number >= 0", (double)delay);
  PetscCall(PetscOptionsHasName(NULL, NULL, "-memory_budget", &given));
  PetscCheck(set || !given, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-memory_budget: empty value (give a value in GB, or leave the option out for its default)");
  PetscCheck(PetscIsNormalReal(gb) || gb == 0, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-memory_budget: %g is not a finite number", (double)gb);
  PetscCheck(gb >= 0, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-memory_budget: %g is out of range: must be a number of GB > 0 (or 0 for the default)", (double)gb);
  PetscCall(StkMemorySetBudget(gb * 1e9));
  PetscFunctionReturn(0);
}

PetscErrorCode StkOptionsCheck(const char command[], PetscErrorCode (*run)(void), PetscBool allow)
{
  OptionList   given, left;
  KnownOptions known = {NULL, 0, 0};
  PetscOptions copy;

  PetscFunctionBeginUser;
  PetscCall(OptionListGet(NULL, &given)); /* what PetscInitialize did not read */
  PetscCall(PetscOptionsCreate(&copy));
  for (PetscInt i = 0; i < given.n; i++) {
    char key[256];
    PetscCall(PetscSNPrintf(key, sizeof(key), "-%s", given.names[i]));
    PetscCall(PetscOptionsSetValue(copy, key, given.values[i]));
  }
  PetscCall(PetscOptionsSetValue(copy, "-help", NULL));
  PetscCall(RunHelpPass(run, copy));
  PetscCall(KnownFromHelp(&known));
  ClearHelp();
  PetscCall(CheckValues(&given, &known));
  PetscCall(OptionListGet(copy, &left));
  PetscCall(CheckUnused(command, &left, &known, allow));
  PetscCall(OptionListDestroy(&left));
  PetscCall(OptionListDestroy(&given));
  PetscCall(PetscOptionsDestroy(&copy));
  PetscCall(PetscFree(known.opt));
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* -help: the command's own options first, PETSc's on request */

int StkHelpCaptureBegin(void)
{
  return CaptureBegin();
}

/* Whether a section of the help (by its title) is PETSc's: the start-up banner and
 * options, and the sections of its objects ("Krylov Method (KSP) options:", viewers). */
static PetscBool IsPetscSection(const char title[], size_t len)
{
  char t[512];

  snprintf(t, sizeof(t), "%.*s", (int)(len < sizeof(t) ? len : sizeof(t) - 1), title);
  return (PetscBool)(!strncmp(t, "Petsc Release", 13) || strstr(t, "PETSc programs") || strstr(t, "ptions:") || strstr(t, "ptions for"));
}

static PetscErrorCode PrintSections(const char *sections[], const size_t lens[], int n, int pass, const char command[])
{
  PetscFunctionBeginUser;
  for (int i = 0; i < n; i++) {
    const char *title = sections[i];
    size_t      tlen  = strcspn(title, "\n");
    PetscBool   petsc = IsPetscSection(title, tlen), own = PETSC_FALSE, dup = PETSC_FALSE;
    char        mine[128];
    PetscCall(PetscSNPrintf(mine, sizeof(mine), "stakehjb %s:", command));
    own = (PetscBool)((tlen == strlen(mine) && !strncmp(title, mine, tlen)) || !strncmp(title, "Output -", 8) || !strncmp(title, "stakehjb (", 10));
    for (int j = 0; j < i; j++) dup = (PetscBool)(dup || (lens[j] == lens[i] && !strncmp(sections[j], sections[i], lens[i])));
    if (dup || (pass == 0 && !own) || (pass == 1 && (own || petsc)) || (pass == 2 && !petsc)) continue;
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "----------------------------------------\n%.*s", (int)lens[i], sections[i]));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode StkHelpCaptureEnd(const char command[], PetscBool all)
{
  const char *sep = "----------------------------------------\n";
  const char *sections[512], *p;
  size_t      lens[512];
  int         n = 0;

  PetscFunctionBeginUser;
  CaptureEnd();
  if (!help_text) PetscFunctionReturn(0);
  p   = strstr(help_text, sep);
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%.*s", (int)(p ? (size_t)(p - help_text) : help_len), help_text)); /* the command's one-line description */
  while (p && n < 512) {
    const char *start = p + strlen(sep), *next = strstr(start, sep);
    sections[n] = start;
    lens[n++]   = next ? (size_t)(next - start) : strlen(start);
    p           = next;
  }
  for (int pass = 0; pass < (all ? 3 : 2); pass++) PetscCall(PrintSections(sections, lens, n, pass, command));
  if (!all) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "----------------------------------------\nPETSc's own options (the solvers' -hjb_ksp_*, -hjb_pc_*, -net_fit_tao_*, viewers, -log_view, ...): stakehjb %s -help all\n", command));
  ClearHelp();
  PetscFunctionReturn(0);
}
