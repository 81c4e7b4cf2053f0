/* stakehjb refine: read a network and the solution it was fitted to, refine the
 * network online against a simulated environment (MODEL.md section 5), write the
 * refined network with its history (docs/network.md). */
#include "stk_cli.h"
#include "stk_refine.h"

/* A progress line on stderr (rank 0), rewritten in place about ten times a second. */
typedef struct {
  PetscLogDouble start, last;
} Progress;

static PetscErrorCode ProgressMonitor(StkRefine refine, PetscInt k, PetscInt n, const StkRefineRecord *rec, void *ctx)
{
  Progress      *pr = (Progress *)ctx;
  PetscLogDouble now;
  PetscMPIInt    rank;

  PetscFunctionBeginUser;
  PetscCall(PetscTime(&now));
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  if (rank || (now - pr->last < 0.1 && k + 1 < n)) PetscFunctionReturn(0);
  pr->last = now;
  PetscCall(PetscFPrintf(PETSC_COMM_SELF, stderr, "\rrefine: iteration %" PetscInt_FMT "/%" PetscInt_FMT ", window cost %.5f /yr, gamma %.3f, |theta - theta_0| %.4f, %.1f s%s", k + 1, n, (double)rec->cost, (double)rec->gamma, (double)rec->distance, (double)(now - pr->start), k + 1 == n ? "\n" : ""));
  PetscFunctionReturn(0);
}

/* Mean window cost over the first and the last tenth of the iterations. */
static void CostEnds(PetscInt n, const StkRefineRecord *h, PetscReal *first, PetscReal *last)
{
  const PetscInt m = PetscMax(n / 10, 1);

  *first = *last = 0;
  for (PetscInt k = 0; k < m; k++) {
    *first += h[k].cost / m;
    *last += h[n - m + k].cost / m;
  }
}

PetscErrorCode StkRefineSummary(StkRefine refine, const char out[])
{
  PetscInt               n;
  const StkRefineRecord *h;
  PetscReal              first, last;

  PetscFunctionBeginUser;
  PetscCall(StkRefineGetHistory(refine, &n, &h));
  PetscCall(StkRefineView(refine, PETSC_VIEWER_STDOUT_WORLD));
  if (n > 0) {
    CostEnds(n, h, &first, &last);
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  last step |theta_{k+1} - theta_k| %.3e, final |theta - theta_0| %.4f\n", (double)h[n - 1].step_norm, (double)h[n - 1].distance));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  mean window cost: first tenth %.6f /yr, last tenth %.6f /yr (noisy: windows differ in state and noise)\n", (double)first, (double)last));
  }
  if (out) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  wrote %s\n", out));
  PetscFunctionReturn(0);
}

/* The expert of solution file `path` (its model is the planner's). */
PetscErrorCode StkExpertFromFile(const char path[], StkPolicy *expert)
{
  PetscFunctionBeginUser;
  PetscCall(StkPolicyCreate(PETSC_COMM_WORLD, expert));
  PetscCall(StkPolicySetType(*expert, STK_POLICY_EXPERT));
  PetscCall(StkPolicySetFile(*expert, path));
  PetscCall(StkPolicySetUp(*expert));
  PetscFunctionReturn(0);
}

/* Refines `net` against the expert with the -refine_ options and a progress line. */
PetscErrorCode StkRefineNetwork(StkNet net, StkPolicy expert, StkRefine *refine)
{
  Progress pr;

  PetscFunctionBeginUser;
  PetscCall(StkRefineCreate(PETSC_COMM_WORLD, refine));
  PetscCall(StkRefineSetNetwork(*refine, net));
  PetscCall(StkRefineSetExpert(*refine, expert));
  PetscCall(StkRefineSetFromOptions(*refine));
  PetscCall(PetscTime(&pr.start));
  pr.last = 0;
  PetscCall(StkRefineSetMonitor(*refine, ProgressMonitor, &pr));
  PetscCall(StkRefineRun(*refine));
  PetscFunctionReturn(0);
}

PetscErrorCode StkCommandRefine(void)
{
  StkNet    net    = NULL;
  StkPolicy expert = NULL;
  StkRefine refine = NULL;
  char      in[PETSC_MAX_PATH_LEN] = "out/network.h5", solution[PETSC_MAX_PATH_LEN] = "out/solution.h5", out[PETSC_MAX_PATH_LEN];

  PetscFunctionBeginUser;
  PetscOptionsBegin(PETSC_COMM_WORLD, NULL, "stakehjb refine", NULL);
  PetscCall(PetscOptionsString("-i", "Network file written by stakehjb fit (or refine)", "", in, in, sizeof(in), NULL));
  PetscCall(PetscOptionsString("-policy_file", "Solution file the network was fitted to (the expert: model and V_s)", "", solution, solution, sizeof(solution), NULL));
  PetscOptionsEnd();
  PetscCall(StkOutputPath(PETSC_COMM_WORLD, "-o", "out/refined.h5", out, sizeof(out)));
  if (StkHelpRequested()) {
    PetscCall(StkRefineCreate(PETSC_COMM_WORLD, &refine));
    PetscCall(StkRefineSetFromOptions(refine));
  } else {
    PetscBool readable;
    PetscCall(PetscTestFile(in, 'r', &readable));
    PetscCheck(readable, PETSC_COMM_WORLD, PETSC_ERR_FILE_OPEN, "-i %s: no such readable file", in);
    PetscCall(PetscTestFile(solution, 'r', &readable));
    PetscCheck(readable, PETSC_COMM_WORLD, PETSC_ERR_FILE_OPEN, "-policy_file %s: no such readable file", solution);
    PetscCall(StkNetLoad(PETSC_COMM_WORLD, in, NULL, &net));
    PetscCall(StkExpertFromFile(solution, &expert));
    PetscCall(StkRefineNetwork(net, expert, &refine));
    PetscCall(StkRefineWrite(refine, out));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "stakehjb refine: %s refined against %s\n", in, solution));
    PetscCall(StkRefineSummary(refine, out));
  }
  PetscCall(StkRefineDestroy(&refine));
  PetscCall(StkPolicyDestroy(&expert));
  PetscCall(StkNetDestroy(&net));
  PetscFunctionReturn(0);
}
