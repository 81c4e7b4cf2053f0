/* The network policy (docs/network.md): u = pi_theta(x) from a mechanism network,
 * either read from -policy_file (StkNetLoad, group /network) or borrowed from the
 * caller (StkPolicySetNetwork, e.g. the iterate of a refinement).  The network sees
 * x = (s) or (s, z) by its number of inputs, or, fitted to a staking_price solution
 * (last input "logp"), (s, ln P) or (s, z, ln P) with ln P = x[STK_SIM_X_LOGP]; its
 * output already lies in its bounds [u_min, u_max], which become the policy's clipping
 * bounds. */
#include "stk_policyimpl.h"
#include "stk_net.h"

typedef struct {
  StkNet    net;
  PetscBool own; /* loaded from the file (else borrowed) */
  PetscInt  nin;
  PetscBool priced; /* the last input is ln P (a network of the price-aware planner) */
} NetworkCtx;

static PetscErrorCode NetworkSetUp(StkPolicy p)
{
  NetworkCtx *N = (NetworkCtx *)p->data;
  PetscBool   readable;

  PetscFunctionBeginUser;
  if (N->own) PetscCall(StkNetDestroy(&N->net));
  if (!N->net) {
    PetscCheck(p->file[0], p->comm, PETSC_ERR_USER_INPUT, "-%spolicy network needs -%sfile FILE (a network written by stakehjb fit or refine)", p->prefix ? p->prefix : "", p->class_prefix);
    PetscCall(PetscTestFile(p->file, 'r', &readable));
    PetscCheck(readable, p->comm, PETSC_ERR_FILE_OPEN, "-%sfile %s: no such readable file", p->class_prefix, p->file);
    PetscCall(StkNetLoad(p->comm, p->file, NULL, &N->net));
    N->own = PETSC_TRUE;
  }
  PetscCall(StkNetGetNumInputs(N->net, &N->nin));
  N->priced = PETSC_FALSE;
  if (N->nin >= 2) {
    const char *last;
    PetscCall(StkNetGetInputName(N->net, N->nin - 1, &last));
    PetscCall(PetscStrcmp(last, "logp", &N->priced));
  }
  PetscCheck(N->nin == 1 || N->nin == 2 || (N->priced && N->nin == 3), p->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%spolicy network: the network has %" PetscInt_FMT " inputs; the policy feeds it (s), (s, z), or with a last input logp (s, ln P) or (s, z, ln P)", p->prefix ? p->prefix : "", N->nin);
  PetscCall(StkNetGetOutputBounds(N->net, &p->u_min, &p->u_max));
  PetscFunctionReturn(0);
}

static PetscErrorCode NetworkEvaluate(void *ctx, PetscReal t, const PetscReal x[], PetscReal *u, void *state)
{
  StkPolicy   p = (StkPolicy)ctx;
  NetworkCtx *N = (NetworkCtx *)p->data;

  PetscFunctionBeginUser;
  if (N->priced) {
    PetscReal xin[3] = {x[0], x[1], 0};
    PetscCheck(!PetscIsNanReal(x[STK_SIM_X_LOGP]), PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "-%spolicy network: the network's last input is the log price (fitted to a staking_price solution), and this simulation has no price (-price, stakehjb price)", p->prefix ? p->prefix : "");
    xin[N->nin - 1] = x[STK_SIM_X_LOGP];
    PetscCall(StkNetEvaluate(N->net, xin, u));
  } else PetscCall(StkNetEvaluate(N->net, x, u)); /* reads x[0] or x[0..1] */
  PetscFunctionReturn(0);
}

static PetscErrorCode NetworkView(StkPolicy p, PetscViewer viewer)
{
  NetworkCtx *N = (NetworkCtx *)p->data;

  PetscFunctionBeginUser;
  PetscCall(PetscViewerASCIIPrintf(viewer, "mechanism network %s\n", N->own ? p->file : "(set by the caller)"));
  if (N->net) PetscCall(StkNetView(N->net, viewer));
  PetscFunctionReturn(0);
}

static PetscErrorCode NetworkDestroy(StkPolicy p)
{
  NetworkCtx *N = (NetworkCtx *)p->data;

  PetscFunctionBeginUser;
  if (N->own) PetscCall(StkNetDestroy(&N->net));
  PetscCall(PetscFree(p->data));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyCreate_Network(StkPolicy p)
{
  NetworkCtx *N;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&N));
  p->data         = N;
  p->ops.evaluate = NetworkEvaluate;
  p->ops.setup    = NetworkSetUp;
  p->ops.view     = NetworkView;
  p->ops.destroy  = NetworkDestroy;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicySetNetwork(StkPolicy p, StkNet net)
{
  NetworkCtx *N;

  PetscFunctionBeginUser;
  PetscCall(StkPolicySetType(p, STK_POLICY_NETWORK));
  N = (NetworkCtx *)p->data;
  if (N->own) PetscCall(StkNetDestroy(&N->net));
  N->net         = net;
  N->own         = PETSC_FALSE;
  p->setupcalled = PETSC_FALSE;
  PetscFunctionReturn(0);
}
