/* Safe output files (see stk_files.h and docs/hdf5.md): the output-is-an-input check,
 * the registry of temporary files and staging directories removed on SIGINT/SIGTERM,
 * the STK_TEST_WRITE_DELAY test hook and sets of files committed as one. */
#define _GNU_SOURCE /* realpath, getdents64, unlinkat */
#include "stk_files.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------ */
/* Output is not an input                                                                */

/* The directory part and the file name of `path` ("." for a bare name). */
static void SplitPath(const char path[], size_t len, char dir[], const char **base)
{
  const char *slash = strrchr(path, '/');

  if (!slash) snprintf(dir, len, ".");
  else if (slash == path) snprintf(dir, len, "/");
  else snprintf(dir, len, "%.*s", (int)(slash - path), path);
  *base = slash ? slash + 1 : path;
}

/* `path` with its directory resolved (the file itself need not exist); the path as
 * given when even the directory does not resolve. */
static void CanonicalPath(const char path[], size_t len, char canon[])
{
  char        dir[PATH_MAX], real[PATH_MAX];
  const char *base;

  if (realpath(path, real)) {
    snprintf(canon, len, "%s", real);
    return;
  }
  SplitPath(path, sizeof(dir), dir, &base);
  if (realpath(dir, real)) snprintf(canon, len, "%s/%s", real, base);
  else snprintf(canon, len, "%s", path);
}

static int SameFile(const char a[], const char b[])
{
  struct stat sa, sb;
  char        ca[PATH_MAX + 2], cb[PATH_MAX + 2];

  if (!stat(a, &sa) && !stat(b, &sb)) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  CanonicalPath(a, sizeof(ca), ca);
  CanonicalPath(b, sizeof(cb), cb);
  return !strcmp(ca, cb);
}

/* `role` says what the other file is: "input" or "output". */
static PetscErrorCode CheckNotSame(MPI_Comm comm, const char out_option[], const char out[], const char role[], const char option[], const char other[])
{
  PetscMPIInt rank;
  int         same = 0;

  PetscFunctionBeginUser;
  if (!other || !other[0] || !out || !out[0]) PetscFunctionReturn(0);
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) same = SameFile(out, other);
  PetscCallMPI(MPI_Bcast(&same, 1, MPI_INT, 0, comm));
  PetscCheck(!same, comm, PETSC_ERR_USER_INPUT, "%s %s: is the same file as the %s %s %s (an output must not replace another file of the run: choose another %s)", out_option, out, role, option, other, out_option);
  PetscFunctionReturn(0);
}

PetscErrorCode StkFileCheckNotInput(MPI_Comm comm, const char out_option[], const char out[], const char in_option[], const char in[])
{
  PetscFunctionBeginUser;
  PetscCall(CheckNotSame(comm, out_option, out, "input", in_option, in));
  PetscFunctionReturn(0);
}

PetscErrorCode StkFileCheckNotOutput(MPI_Comm comm, const char out_option[], const char out[], const char other_option[], const char other[])
{
  PetscFunctionBeginUser;
  PetscCall(CheckNotSame(comm, out_option, out, "output", other_option, other));
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* Text inputs                                                                           */

int StkFileTextProblem(const char path[], size_t len, char reason[])
{
  struct stat st;
  FILE       *fp;
  char        buf[4096];
  size_t      n;
  long        line = 1;

  reason[0] = 0;
  if (!path || !path[0]) snprintf(reason, len, "no file name given");
  else if (stat(path, &st)) snprintf(reason, len, "cannot read the file (%s)", strerror(errno));
  else if (S_ISDIR(st.st_mode)) snprintf(reason, len, "is a directory, not a file");
  else if (!S_ISREG(st.st_mode)) snprintf(reason, len, "is not a regular file");
  else if (!(fp = fopen(path, "rb"))) snprintf(reason, len, "cannot open the file (%s)", strerror(errno));
  else {
    while (!reason[0] && (n = fread(buf, 1, sizeof(buf), fp)) > 0)
      for (size_t i = 0; i < n && !reason[0]; i++) {
        if (buf[i] == '\n') line++;
        if (!buf[i]) snprintf(reason, len, "line %ld: holds a NUL byte (a binary file, not text)", line);
      }
    if (!reason[0] && ferror(fp)) snprintf(reason, len, "read error (%s)", strerror(errno));
    fclose(fp);
  }
  return reason[0] != 0;
}

PetscErrorCode StkFileCheckText(MPI_Comm comm, const char option[], const char path[])
{
  PetscMPIInt rank;
  char        reason[256] = "";

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) (void)StkFileTextProblem(path, sizeof(reason), reason);
  PetscCallMPI(MPI_Bcast(reason, (PetscMPIInt)sizeof(reason), MPI_CHAR, 0, comm));
  PetscCheck(!reason[0], comm, PETSC_ERR_FILE_UNEXPECTED, "%s %s: %s", option, path, reason);
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* Registry of temporaries, and the signal handler                                      */

typedef struct {
  volatile sig_atomic_t used;
  int                   is_dir;
  char                  path[PETSC_MAX_PATH_LEN];
  char                  lock[PETSC_MAX_PATH_LEN + 32]; /* MPI-IO's NAME.locktest.RANK */
} Temporary;

static Temporary             temporaries[STK_FILES_MAX_TEMPORARIES];
static int                   registered;             /* entries in use (not read by the handler) */
static volatile sig_atomic_t hold_signals, held_signal; /* a set is being committed */
static struct sigaction      previous_int, previous_term;
static PetscBool             at_exit_set;

/* Removes the entries of directory `dir`, then `dir` (async-signal-safe: raw getdents64
 * and unlinkat, no allocation). */
static void RemoveTree(const char dir[])
{
  char buf[4096];
  int  fd, removed = 1;

  for (int pass = 0; removed && pass < 8; pass++) { /* unlinking while reading may skip entries */
    long n;
    removed = 0;
    if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) < 0) break;
    while ((n = (long)getdents64(fd, buf, sizeof(buf))) > 0) {
      for (long off = 0; off < n;) {
        struct dirent64 *d = (struct dirent64 *)(buf + off);
        off += d->d_reclen;
        if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, "..")) continue;
        if (!unlinkat(fd, d->d_name, 0)) removed = 1;
      }
    }
    close(fd);
  }
  (void)rmdir(dir);
}

static void RemoveTemporaries(void)
{
  for (int i = 0; i < STK_FILES_MAX_TEMPORARIES; i++) /* files first: they may be inside a directory */
    if (temporaries[i].used && !temporaries[i].is_dir) {
      (void)unlink(temporaries[i].path);
      (void)unlink(temporaries[i].lock);
    }
  for (int i = 0; i < STK_FILES_MAX_TEMPORARIES; i++)
    if (temporaries[i].used && temporaries[i].is_dir) RemoveTree(temporaries[i].path);
}

/* Removes the temporaries, then dies of `sig` with its default action. */
static void RemoveAndRaise(int sig)
{
  struct sigaction dfl;
  sigset_t         set;

  RemoveTemporaries();
  memset(&dfl, 0, sizeof(dfl));
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  (void)sigaction(sig, &dfl, NULL);
  sigemptyset(&set);
  sigaddset(&set, sig);
  (void)sigprocmask(SIG_UNBLOCK, &set, NULL);
  (void)raise(sig);
}

static void OnSignal(int sig)
{
  if (hold_signals) { /* a commit is moving files: it re-raises when done */
    held_signal = sig;
    return;
  }
  RemoveAndRaise(sig);
}

static PetscErrorCode InstallHandlers(void)
{
  struct sigaction sa;

  PetscFunctionBeginUser;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGINT);
  sigaddset(&sa.sa_mask, SIGTERM);
  PetscCheck(!sigaction(SIGINT, &sa, &previous_int) && !sigaction(SIGTERM, &sa, &previous_term), PETSC_COMM_SELF, PETSC_ERR_SYS, "cannot install the SIGINT/SIGTERM handler that removes temporary files: %s", strerror(errno));
  PetscFunctionReturn(0);
}

static PetscErrorCode RestoreHandlers(void)
{
  PetscFunctionBeginUser;
  PetscCheck(!sigaction(SIGINT, &previous_int, NULL) && !sigaction(SIGTERM, &previous_term, NULL), PETSC_COMM_SELF, PETSC_ERR_SYS, "cannot restore the SIGINT/SIGTERM handlers: %s", strerror(errno));
  PetscFunctionReturn(0);
}

static PetscErrorCode Register(const char path[], int is_dir)
{
  PetscMPIInt rank;
  int         slot = -1;

  PetscFunctionBeginUser;
  for (int i = 0; i < STK_FILES_MAX_TEMPORARIES && slot < 0; i++)
    if (!temporaries[i].used) slot = i;
  PetscCheck(slot >= 0, PETSC_COMM_SELF, PETSC_ERR_MEM, "%s: more than %d temporary files at once", path, STK_FILES_MAX_TEMPORARIES);
  PetscCheck(strlen(path) < sizeof(temporaries[slot].path), PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "%s: file name too long", path);
  PetscCallMPI(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
  temporaries[slot].is_dir = is_dir;
  snprintf(temporaries[slot].path, sizeof(temporaries[slot].path), "%s", path);
  snprintf(temporaries[slot].lock, sizeof(temporaries[slot].lock), "%s.locktest.%d", path, (int)rank);
  if (registered++ == 0) PetscCall(InstallHandlers());
  if (!at_exit_set) { /* an error that ends the program before a writer cleaned up */
    PetscCheck(!atexit(RemoveTemporaries), PETSC_COMM_SELF, PETSC_ERR_SYS, "cannot register the removal of temporary files at exit");
    at_exit_set = PETSC_TRUE;
  }
  temporaries[slot].used = 1; /* last: the handler sees a complete entry */
  PetscFunctionReturn(0);
}

static PetscErrorCode Unregister(const char path[])
{
  PetscFunctionBeginUser;
  for (int i = 0; i < STK_FILES_MAX_TEMPORARIES; i++)
    if (temporaries[i].used && !strcmp(temporaries[i].path, path)) {
      temporaries[i].used = 0;
      if (--registered == 0) PetscCall(RestoreHandlers());
      break;
    }
  PetscFunctionReturn(0);
}

PetscErrorCode StkFileRegisterTemporary(const char path[])
{
  PetscFunctionBeginUser;
  PetscCall(Register(path, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode StkFileUnregisterTemporary(const char path[])
{
  PetscFunctionBeginUser;
  PetscCall(Unregister(path));
  PetscFunctionReturn(0);
}

PetscErrorCode StkFileTestWriteDelay(const char path[])
{
  const char *env = getenv("STK_TEST_WRITE_DELAY"), *match = getenv("STK_TEST_WRITE_DELAY_MATCH");
  double      seconds;

  PetscFunctionBeginUser;
  if (!env || !env[0] || (match && match[0] && !strstr(path, match))) PetscFunctionReturn(0);
  seconds = strtod(env, NULL);
  if (seconds > 0) PetscCall(PetscSleep((PetscReal)seconds));
  PetscFunctionReturn(0);
}

/* ------------------------------------------------------------------------------------ */
/* Sets of files                                                                         */

struct _p_StkOutputSet {
  MPI_Comm  comm;
  char      dir[PETSC_MAX_PATH_LEN];   /* where the members end up */
  char      stage[PETSC_MAX_PATH_LEN]; /* where they are written */
  PetscBool committed;
};

PetscErrorCode StkOutputSetCreate(MPI_Comm comm, const char anchor[], StkOutputSet *set)
{
  StkOutputSet s;
  PetscMPIInt  rank;
  const char  *base;
  char         reason[PETSC_MAX_PATH_LEN + 64] = "";

  PetscFunctionBeginUser;
  *set = NULL;
  PetscCall(PetscNew(&s));
  s->comm = comm;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  SplitPath(anchor, sizeof(s->dir), s->dir, &base);
  if (rank == 0) {
    PetscCall(PetscSNPrintf(s->stage, sizeof(s->stage), "%s/.%s.tmp.%ld", s->dir, base, (long)getpid()));
    if (mkdir(s->stage, 0777)) snprintf(reason, sizeof(reason), "cannot create the staging directory %s (%s)", s->stage, strerror(errno));
  }
  PetscCallMPI(MPI_Bcast(s->stage, (PetscMPIInt)sizeof(s->stage), MPI_CHAR, 0, comm));
  PetscCallMPI(MPI_Bcast(reason, (PetscMPIInt)sizeof(reason), MPI_CHAR, 0, comm));
  if (reason[0]) PetscCall(PetscFree(s));
  PetscCheck(!reason[0], comm, PETSC_ERR_FILE_OPEN, "%s: %s", anchor, reason);
  PetscCall(Register(s->stage, 1));
  *set = s;
  PetscFunctionReturn(0);
}

PetscErrorCode StkOutputSetGetPath(StkOutputSet set, const char final[], char staged[], size_t len)
{
  char        dir[PETSC_MAX_PATH_LEN];
  const char *base;

  PetscFunctionBeginUser;
  SplitPath(final, sizeof(dir), dir, &base);
  PetscCheck(!strcmp(dir, set->dir), set->comm, PETSC_ERR_ARG_WRONG, "%s: a member of an output set must be in the set's directory %s", final, set->dir);
  PetscCall(PetscSNPrintf(staged, len, "%s/%s", set->stage, base));
  PetscFunctionReturn(0);
}

/* Rank 0: every entry of the staging directory renamed into the target directory; on a
 * failure the ones moved are removed again.  "" or the reason. */
static void MoveMembers(StkOutputSet set, size_t len, char reason[])
{
  DIR           *d = opendir(set->stage);
  struct dirent *e;
  char           from[2 * PETSC_MAX_PATH_LEN], to[2 * PETSC_MAX_PATH_LEN];
  char         (*moved)[256] = NULL;
  int            nmoved = 0, cap = 0;

  reason[0] = 0;
  if (!d) {
    snprintf(reason, len, "cannot read the staging directory %s (%s)", set->stage, strerror(errno));
    return;
  }
  while (!reason[0] && (e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    snprintf(from, sizeof(from), "%s/%s", set->stage, e->d_name);
    snprintf(to, sizeof(to), "%s/%s", set->dir, e->d_name);
    if (rename(from, to)) snprintf(reason, len, "cannot move %s to %s (%s)", from, to, strerror(errno));
    else {
      if (nmoved == cap) {
        void *grown = realloc(moved, (size_t)(cap = 2 * cap + 8) * sizeof(*moved));
        if (!grown) break;
        moved = grown;
      }
      snprintf(moved[nmoved++], sizeof(moved[0]), "%s", e->d_name);
    }
  }
  closedir(d);
  for (int i = 0; reason[0] && i < nmoved; i++) { /* all or nothing */
    snprintf(to, sizeof(to), "%s/%s", set->dir, moved[i]);
    (void)unlink(to);
  }
  free(moved);
}

PetscErrorCode StkOutputSetCommit(StkOutputSet set)
{
  PetscMPIInt rank;
  char        reason[4 * PETSC_MAX_PATH_LEN + 64] = "";

  PetscFunctionBeginUser;
  PetscCheck(!set->committed, set->comm, PETSC_ERR_ARG_WRONGSTATE, "%s: output set already committed", set->stage);
  PetscCallMPI(MPI_Barrier(set->comm));
  PetscCallMPI(MPI_Comm_rank(set->comm, &rank));
  if (rank == 0) {
    hold_signals = 1; /* a signal now waits until the set is complete */
    MoveMembers(set, sizeof(reason), reason);
    RemoveTree(set->stage);
    hold_signals = 0;
  }
  set->committed = PETSC_TRUE;
  PetscCall(Unregister(set->stage));
  if (held_signal) RemoveAndRaise(held_signal);
  PetscCallMPI(MPI_Bcast(reason, (PetscMPIInt)sizeof(reason), MPI_CHAR, 0, set->comm));
  PetscCheck(!reason[0], set->comm, PETSC_ERR_FILE_WRITE, "%s: %s", set->dir, reason);
  PetscFunctionReturn(0);
}

PetscErrorCode StkOutputSetDestroy(StkOutputSet *set)
{
  PetscMPIInt rank;

  PetscFunctionBeginUser;
  if (!set || !*set) PetscFunctionReturn(0);
  if (!(*set)->committed) {
    PetscCallMPI(MPI_Barrier((*set)->comm));
    PetscCallMPI(MPI_Comm_rank((*set)->comm, &rank));
    if (rank == 0) RemoveTree((*set)->stage);
    PetscCall(Unregister((*set)->stage));
  }
  PetscCall(PetscFree(*set));
  PetscFunctionReturn(0);
}
