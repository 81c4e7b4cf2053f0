/* stakehjb plot FILE.h5 [-o DIR]: figures of any file the program writes, made by
 * stk_plot.py (Python with h5py and matplotlib: presentation stays out of the library).
 * The script is installed with the program (DATADIR/stakehjb/stk_plot.py) and found
 * relative to the executable, so an installed program never depends on its source
 * tree; an uninstalled build uses the copy in its build tree. */
#define _POSIX_C_SOURCE 200809L /* readlink, posix_spawn */
#include "stk_cli.h"
#include "stk_plot_paths.h"
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char python[] = "/usr/bin/python3"; /* Debian's, which sees python3-h5py and -matplotlib */

static const char plot_usage[] = "usage: stakehjb plot FILE.h5 [-o DIR]\n"
                                 "  Writes PNG figures of a file written by stakehjb (solution, simulation, compare,\n"
                                 "  convergence, network, refined network) into DIR (default: the file's directory),\n"
                                 "  named after the file: FILE_value.png, FILE_policy.png, ...\n"
                                 "  -o DIR   the output directory (created if its parent exists)\n"
                                 "  -help    this text\n";

/* The installed script next to the executable (BINDIR/../DATADIR/stakehjb/stk_plot.py,
 * from /proc/self/exe) when it exists, else the build tree's copy. */
int StkPlotScript(char path[], size_t len)
{
  char    exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

  if (n > 0) {
    char *slash;
    exe[n] = 0;
    slash  = strrchr(exe, '/');
    if (slash) *slash = 0;
    if (STK_PLOT_RELATIVE_DIR[0] == '/') exe[0] = 0; /* an absolute install directory */
    if ((size_t)snprintf(path, len, "%s%s%s/%s", exe, exe[0] ? "/" : "", STK_PLOT_RELATIVE_DIR, STK_PLOT_SCRIPT_NAME) < len && !access(path, R_OK)) return 0;
  }
  if ((size_t)snprintf(path, len, "%s", STK_PLOT_BUILD_SCRIPT) < len && !access(path, R_OK)) return 0;
  return -1;
}

/* Runs the script with `args` (NULL-terminated, after the script name) and waits;
 * returns its exit status, or -1 if it could not be started. */
int StkPlotRun(const char *const args[])
{
  char        script[4096];
  const char *argv[16];
  size_t      k = 0;
  pid_t       pid;
  int         status;

  if (StkPlotScript(script, sizeof(script))) return -1;
  argv[k++] = python;
  argv[k++] = script;
  for (size_t i = 0; args[i] && k + 1 < sizeof(argv) / sizeof(argv[0]); i++) argv[k++] = args[i];
  argv[k] = NULL;
  if (posix_spawn(&pid, python, NULL, NULL, (char *const *)argv, environ)) return -1;
  if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

int StkCommandPlot(int argc, char **argv)
{
  char        script[4096];
  const char *args[16];
  int         k = 0;

  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "-help") || !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      fputs(plot_usage, stdout);
      return 0;
    }
  if (argc < 2 || argc > 12) {
    fprintf(stderr, "stakehjb plot: error: %s\n%s", argc < 2 ? "no file given" : "too many arguments", plot_usage);
    return 1;
  }
  if (StkPlotScript(script, sizeof(script))) {
    fprintf(stderr, "stakehjb plot: error: %s: the plotting script is missing (install the program with meson install)\n", STK_PLOT_SCRIPT_NAME);
    return 1;
  }
  args[k++] = python;
  args[k++] = script;
  for (int i = 1; i < argc; i++) args[k++] = argv[i];
  args[k] = NULL;
  fflush(stdout);
  execv(python, (char *const *)args);
  fprintf(stderr, "stakehjb plot: error: %s: %s (install python3-h5py and python3-matplotlib)\n", python, strerror(errno));
  return 1;
}
