/* stakehjb: optimal token-issuance policies by HJB policy iteration.
 *   stakehjb <command> [options]      (stakehjb <command> -help lists every option) */
#include "stk_cli.h"
#include "stk_version.h"
#include "stk_files.h"
#include <string.h>

static const char usage[] = "usage: stakehjb <command> [options]\n"
                            "commands:\n"
                            "  solve     solve the planner's HJB equation and write the solution to HDF5\n"
                            "            (default: the 2-D staking model of docs/model.md, out/solution.h5)\n"
                            "  converge  measure the discretization error on a sequence of grids\n"
                            "  price     policies in the agent-based environment with a token price (bonding curve)\n"
                            "  fit       fit the mechanism network to a solution's policy (out/network.h5)\n"
                            "  simulate  run the SDE or agent-based environment under a policy and write\n"
                            "            paths and metrics to HDF5 (default out/simulation.h5)\n"
                            "  compare   compare the expert with the baselines across regimes (out/compare.h5, .csv)\n"
                            "  refine    refine a fitted network online against a simulated environment\n"
                            "            (out/refined.h5)\n"
                            "  run       the main job: solve, fit, refine against the agent-based\n"
                            "            environment, compare expert, fitted and refined network\n"
                            "  robust    a misspecification experiment: planner vs a differing environment\n"
                            "            (out/robust.csv)\n"
                            "  govern    holders vote on the planner's objective, round after round\n"
                            "            (out/govern.h5)\n"
                            "  plot      PNG figures of any file stakehjb writes (stakehjb plot FILE.h5 [-o DIR])\n"
                            "  version   print the program version\n"
                            "Run 'stakehjb <command> -help' for the options of a command.\n";

typedef struct {
  const char *name;
  PetscErrorCode (*run)(void);
  const char *help;
} StkCommand;

static const StkCommand commands[] = {
  {"solve", StkCommandSolve, "stakehjb solve: solve the planner's HJB equation (docs/model.md#the-planners-problem) and write out/solution.h5.\n"},
  {"fit", StkCommandFit, "stakehjb fit: fit the mechanism network (docs/network.md) to the policy of a solution file with TAO and write out/network.h5.\n"},
  {"simulate", StkCommandSimulate, "stakehjb simulate: run one environment (sde or abm) under one policy over M paths; write paths and metrics (out/simulation.h5).\n"},
  {"compare", StkCommandCompare, "stakehjb compare: run every policy in every regime, environment and shock scenario on common random numbers; paired statistics (out/compare.h5, out/compare.csv).\n"},
  {"refine", StkCommandRefine, "stakehjb refine: refine a fitted network online by projected stochastic approximation (docs/model.md#online-refinement) against a simulated environment and write out/refined.h5.\n"},
  {"run", StkCommandRun, "stakehjb run: solve the default model, fit the network, refine it against the agent-based environment, and compare the expert, the fitted and the refined network on common random numbers (files in out/).\n"},
  {"robust", StkCommandRobust, "stakehjb robust: the planner's expert, fitted and refined networks, the oracle and the baselines in an environment that differs from the planner's model (docs/robustness.md; out/robust.csv).\n"},
  {"converge", StkCommandConverge, "stakehjb converge: solve on grids of 2^k+1 nodes per direction and measure the discretization error (out/convergence.h5, .csv, .png).\n"},
  {"price", StkCommandPrice, "stakehjb price: run policies in the agent-based environment with a token price on a bonding curve; price metrics (out/price.csv).\n"},
  {"govern", StkCommandGovern, "stakehjb govern: rounds of (holders vote on the objective (sbar, w_u) -> the planner solves the HJB for it within a trust region -> the economy runs an epoch -> holders update their preferences from realized payoffs); writes out/govern.h5.\n"},
};

/* Options files that PETSc would misread (a binary file reads as empty) or report without
 * their name; checked before PetscInitialize reads them.  Returns nonzero after printing. */
static int CheckOptionsFiles(const char command[], int argc, char **argv)
{
  char reason[256];

  for (int i = 0; i + 1 < argc; i++)
    if ((!strcmp(argv[i], "-options_file") || !strcmp(argv[i], "-options_file_yaml")) && StkFileTextProblem(argv[i + 1], sizeof(reason), reason)) {
      fprintf(stderr, "stakehjb %s: error: %s %s: %s\n", command, argv[i], argv[i + 1], reason);
      return 1;
    }
  return 0;
}

/* -help (or -h) anywhere on the command line: 1, or 2 for "-help all" / "-help petsc"
 * (then that word is removed: PETSc reads -help's value as a boolean); 0 without it
 * and for "-help intro" (PETSc's: the description only). */
static int HelpGiven(int *argc, char **argv)
{
  for (int i = 1; i < *argc; i++) {
    if (strcmp(argv[i], "-help") && strcmp(argv[i], "-h")) continue;
    if (i + 1 < *argc && !strcmp(argv[i + 1], "intro")) return 0;
    if (i + 1 < *argc && (!strcmp(argv[i + 1], "all") || !strcmp(argv[i + 1], "petsc"))) {
      for (int j = i + 1; j + 1 < *argc; j++) argv[j] = argv[j + 1];
      (*argc)--;
      return 2;
    }
    return 1;
  }
  return 0;
}

int main(int argc, char **argv)
{
  const StkCommand *cmd = NULL;
  PetscErrorCode    ierr;
  int               help;
  PetscBool         allow_unused;

  if (argc < 2 || !strcmp(argv[1], "-help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    fputs(usage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 1 : 0;
  }
  if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
    printf("stakehjb %s\n", STK_VERSION);
    return 0;
  }
  if (!strcmp(argv[1], "plot")) return StkCommandPlot(argc - 1, argv + 1); /* Python, no PETSc */
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    if (!strcmp(argv[1], commands[i].name)) cmd = &commands[i];
  if (!cmd) {
    fprintf(stderr, "stakehjb: unknown command '%s'\n%s", argv[1], usage);
    return 1;
  }
  if (CheckOptionsFiles(cmd->name, argc, argv)) return 1;
  for (int i = 2; i < argc; i++)
    if (!strcmp(argv[i], "-version") || !strcmp(argv[i], "--version")) { /* the versions, nothing run */
      printf("stakehjb %s (PETSc %d.%d.%d)\n", STK_VERSION, PETSC_VERSION_MAJOR, PETSC_VERSION_MINOR, PETSC_VERSION_SUBMINOR);
      return 0;
    }
  argv[1] = argv[0]; /* drop the subcommand: PETSc sees only options */
  argc--;
  argv++;
  if (StkOptionsFilesCheck(cmd->name, argc, argv)) return PETSC_ERR_FILE_UNEXPECTED;
  help = HelpGiven(&argc, argv);
  if (help && StkHelpCaptureBegin()) help = 0; /* PETSc's banner too, printed at PetscInitialize */
  ierr = StkErrorHandlerPush(cmd->name, argc, argv);
  if (!ierr) ierr = PetscInitialize(&argc, &argv, NULL, cmd->help);
  if (ierr) return (int)ierr; /* reported by the handler */
  /* Every option is checked (known, a value where one is needed, finite) before the
   * command writes anything; with -help the command only lists its options. */
  ierr = StkProgramOptions(&allow_unused);
  if (!ierr && !help) ierr = StkOptionsCheck(cmd->name, cmd->run, allow_unused);
  if (!ierr) ierr = cmd->run();
  if (!ierr && help) ierr = StkHelpCaptureEnd(cmd->name, help == 2);
  if (ierr) {
    /* The error was reported where it happened; end all ranks with a non-zero status. */
    StkRemoveCreatedDirectories();
    PetscFinalize();
    return (int)ierr;
  }
  return (int)PetscFinalize();
}
