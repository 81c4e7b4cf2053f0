/* A three-dimensional user model with a closed form: three inventories x_k (e.g. of
 * three warehouses) that drift back at rate theta_k, each steered by its own order rate
 * u_k, with quadratic holding and ordering costs,
 *
 *   dx_k = (-theta_k x_k + u_k) dt + sigma_k dW_k,   l(x, u) = sum_k q_k x_k^2 + r_k u_k^2.
 *
 * The problem separates: V(x) = sum_k P_k x_k^2 + sigma_k^2 P_k / rho with
 * P_k^2 / r_k + (rho + 2 theta_k) P_k - q_k = 0 and u_k* = -P_k x_k / r_k, so
 * `stakehjb converge` measures the 3-D scheme's error against the exact value.  The faces
 * of the box carry the exact value (Dirichlet).
 *
 *   cc -shared -fPIC inventory3d.c -o libinventory3d.so $(pkg-config --cflags --libs stakehjb)
 *   mpiexec -n 2 stakehjb solve -model_plugin ./libinventory3d.so -model inventory3d -grid_n 33,33,33 */
#include <stk_model.h>

typedef struct {
  PetscReal theta[3], q[3], r[3], sigma[3], P[3];
} Inventory;

static Inventory *Ctx(StkModel m)
{
  Inventory *v;
  StkModelGetContext(m, &v);
  return v;
}

static PetscErrorCode Drift(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal b[])
{
  for (int k = 0; k < 3; k++) b[k] = -Ctx(m)->theta[k] * x[k] + u[k];
  return 0;
}

static PetscErrorCode Diffusion(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal a[])
{
  for (int k = 0; k < 3; k++) a[k] = 0.5 * PetscSqr(Ctx(m)->sigma[k]);
  return 0;
}

static PetscErrorCode Cost(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal l[])
{
  const Inventory *v = Ctx(m);
  l[0]               = 0;
  for (int k = 0; k < 3; k++) l[0] += v->q[k] * x[k] * x[k] + v->r[k] * u[k] * u[k];
  return 0;
}

/* argmin over u_k of r_k u_k^2 + u_k p (the bounds clamp it) */
static PetscErrorCode Greedy(StkModel m, const PetscReal x[], PetscInt c, PetscReal p, PetscReal q, const PetscReal u[], PetscReal *uc)
{
  *uc = PetscMin(PetscMax(-p / (2 * Ctx(m)->r[c]), -10), 10);
  return 0;
}

static PetscErrorCode Exact(StkModel m, const PetscReal x[], PetscReal *V)
{
  const Inventory *v = Ctx(m);
  PetscReal        rho;

  StkModelGetDiscount(m, &rho);
  *V = 0;
  for (int k = 0; k < 3; k++) *V += v->P[k] * (x[k] * x[k] + v->sigma[k] * v->sigma[k] / rho);
  return 0;
}

static PetscErrorCode ExactPolicy(StkModel m, const PetscReal x[], PetscReal u[])
{
  for (int k = 0; k < 3; k++) u[k] = -Ctx(m)->P[k] * x[k] / Ctx(m)->r[k];
  return 0;
}

static PetscErrorCode FreeCtx(void *ctx)
{
  return PetscFree(ctx);
}

/* The Riccati roots after the options set the parameters. */
static PetscErrorCode SetUp(StkModel m)
{
  Inventory *v = Ctx(m);
  PetscReal  rho;

  PetscFunctionBeginUser;
  PetscCall(StkModelGetDiscount(m, &rho));
  for (int k = 0; k < 3; k++) {
    const PetscReal beta = rho + 2 * v->theta[k];
    PetscCheck(v->r[k] > 0 && v->q[k] >= 0, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "inventory3d: need r%d > 0 and q%d >= 0", k, k);
    v->P[k] = v->r[k] * (-beta + PetscSqrtReal(beta * beta + 4 * v->q[k] / v->r[k])) / 2;
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode CreateInventory(StkModel m)
{
  Inventory      *v;
  const PetscReal lo[3] = {-1, -1, -1}, hi[3] = {1, 1, 1};
  const char     *names[3] = {"x0", "x1", "x2"};
  char            name[16];

  PetscFunctionBeginUser;
  PetscCall(StkModelSetDimensionRange(m, 3, 3));
  PetscCall(PetscNew(&v));
  *v = (Inventory){.theta = {0.5, 1, 0}, .q = {1, 2, 0.5}, .r = {1, 0.5, 2}, .sigma = {0.3, 0.2, 0.4}};
  PetscCall(StkModelSetContext(m, v, FreeCtx));
  PetscCall(StkModelSetNumControls(m, 3));
  for (int k = 0; k < 3; k++) {
    PetscCall(PetscSNPrintf(name, sizeof(name), "theta%d", k));
    PetscCall(StkModelAddParameter(m, name, &v->theta[k], "1/yr", "Rate at which inventory k drifts back"));
    PetscCall(PetscSNPrintf(name, sizeof(name), "q%d", k));
    PetscCall(StkModelAddParameter(m, name, &v->q[k], "1", "Holding cost q_k x_k^2"));
    PetscCall(PetscSNPrintf(name, sizeof(name), "r%d", k));
    PetscCall(StkModelAddParameter(m, name, &v->r[k], "1", "Ordering cost r_k u_k^2, > 0"));
    PetscCall(PetscSNPrintf(name, sizeof(name), "sigma%d", k));
    PetscCall(StkModelAddParameter(m, name, &v->sigma[k], "1/sqrt(yr)", "Demand volatility of inventory k"));
    PetscCall(StkModelSetControl(m, k, k, -10, 10));
    PetscCall(StkModelSetStateName(m, k, names[k], "1", "inventory"));
    for (PetscInt side = 0; side < 2; side++) PetscCall(StkModelSetBoundaryType(m, k, side, STK_BC_DIRICHLET));
  }
  PetscCall(StkModelSetDefaultBox(m, lo, hi));
  PetscCall(StkModelSetDiscount(m, 0.1));
  PetscCall(StkModelSetDriftFunction(m, Drift));
  PetscCall(StkModelSetDiffusionFunction(m, Diffusion));
  PetscCall(StkModelSetCostFunction(m, Cost));
  PetscCall(StkModelSetGreedyFunction(m, Greedy));
  PetscCall(StkModelSetDirichletFunction(m, Exact));
  PetscCall(StkModelSetExactValueFunction(m, Exact));
  PetscCall(StkModelSetExactPolicyFunction(m, ExactPolicy));
  PetscCall(StkModelSetSetUpFunction(m, SetUp));
  PetscFunctionReturn(0);
}

PETSC_EXTERN PetscErrorCode StkPluginRegister(void)
{
  PetscFunctionBeginUser;
  PetscCall(StkModelRegister("inventory3d", CreateInventory));
  PetscFunctionReturn(0);
}
