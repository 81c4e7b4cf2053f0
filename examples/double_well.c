/* A 1-D double well with bounded control, as a stakehjb plugin (docs/library.md).
 *
 *   dx = u dt + sigma dW,  |u| <= umax,  l(x, u) = a (x^2 - 1)^2 + q x^2 + r u^2,
 *   x in [-L, L] with reflecting ends                        (type "double_well").
 *
 * Its a = 0 case is the 1-D LQ problem, V = P x^2 + sigma^2 P / rho with
 * r^-1 P^2 + rho P - q = 0: type "quadratic_well" (q = 1), whose ends carry that V as
 * Dirichlet data and whose exact value `stakehjb converge` measures errors against.
 *
 *   cc -shared -fPIC double_well.c -o libdw.so $(pkg-config --cflags --libs stakehjb)
 *   stakehjb solve -model_plugin ./libdw.so -model double_well */
#include <stk_model.h>

typedef struct {
  PetscReal a, q, r, sigma, umax, L;
  PetscReal P; /* Riccati root of the a = 0 case */
} DW;

static DW *Ctx(StkModel m)
{
  DW *dw;
  StkModelGetContext(m, &dw);
  return dw;
}

static PetscErrorCode Drift(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal b[])
{
  b[0] = u[0];
  return 0;
}

static PetscErrorCode Diffusion(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal a[])
{
  a[0] = 0.5 * Ctx(m)->sigma * Ctx(m)->sigma;
  return 0;
}

static PetscErrorCode Cost(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal l[])
{
  const DW *dw = Ctx(m);
  l[0]         = dw->a * PetscSqr(x[0] * x[0] - 1) + dw->q * x[0] * x[0] + dw->r * u[0] * u[0];
  return 0;
}

/* argmin over |u| <= umax of r u^2 + u p */
static PetscErrorCode Greedy(StkModel m, const PetscReal x[], PetscInt c, PetscReal p, PetscReal q, const PetscReal u[], PetscReal *uc)
{
  const DW *dw = Ctx(m);
  *uc          = PetscMin(PetscMax(-p / (2 * dw->r), -dw->umax), dw->umax);
  return 0;
}

static PetscErrorCode Exact(StkModel m, const PetscReal x[], PetscReal *V)
{
  const DW *dw = Ctx(m);
  PetscReal rho;
  StkModelGetDiscount(m, &rho);
  *V = dw->P * x[0] * x[0] + dw->sigma * dw->sigma * dw->P / rho;
  return 0;
}

static PetscErrorCode FreeCtx(void *ctx)
{
  return PetscFree(ctx);
}

/* After the options: the box, the control bound and the Riccati root. */
static PetscErrorCode SetUp(StkModel m)
{
  DW       *dw = Ctx(m);
  PetscReal rho, lo = -dw->L, hi = dw->L;

  PetscFunctionBeginUser;
  PetscCheck(dw->r > 0 && dw->L > 0 && dw->umax > 0, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-double_well_r %g, -double_well_L %g, -double_well_umax %g: each must be > 0", (double)dw->r, (double)dw->L, (double)dw->umax);
  PetscCall(StkModelGetDiscount(m, &rho));
  PetscCall(StkModelSetDefaultBox(m, &lo, &hi));
  PetscCall(StkModelSetControl(m, 0, 0, -dw->umax, dw->umax));
  dw->P = dw->r * (-rho + PetscSqrtReal(rho * rho + 4 * dw->q / dw->r)) / 2;
  PetscFunctionReturn(0);
}

static PetscErrorCode CreateWell(StkModel m, PetscBool lq)
{
  DW *dw;

  PetscFunctionBeginUser;
  PetscCall(StkModelSetDimensionRange(m, 1, 1));
  PetscCall(PetscNew(&dw));
  *dw = (DW){.a = lq ? 0 : 1, .q = lq ? 1 : 0, .r = 1, .sigma = 0.5, .umax = 3, .L = 2};
  PetscCall(StkModelSetContext(m, dw, FreeCtx));
  if (!lq) PetscCall(StkModelAddParameter(m, "a", &dw->a, "1", "Depth of the wells a (x^2 - 1)^2"));
  PetscCall(StkModelAddParameter(m, "q", &dw->q, "1", "Quadratic state cost q x^2"));
  PetscCall(StkModelAddParameter(m, "r", &dw->r, "1", "Control cost r u^2, r > 0"));
  PetscCall(StkModelAddParameter(m, "sigma", &dw->sigma, "1/sqrt(yr)", "Volatility"));
  PetscCall(StkModelAddParameter(m, "umax", &dw->umax, "1/yr", "Control bound |u| <= umax"));
  PetscCall(StkModelAddParameter(m, "L", &dw->L, "1", "Box half-width: x in [-L, L]"));
  PetscCall(StkModelSetDiscount(m, 0.1));
  PetscCall(StkModelSetNumControls(m, 1));
  PetscCall(StkModelSetStateName(m, 0, "x", "1", "position in the double well"));
  PetscCall(StkModelSetDriftFunction(m, Drift));
  PetscCall(StkModelSetDiffusionFunction(m, Diffusion));
  PetscCall(StkModelSetCostFunction(m, Cost));
  PetscCall(StkModelSetGreedyFunction(m, Greedy));
  PetscCall(StkModelSetSetUpFunction(m, SetUp));
  if (lq) {
    PetscCall(StkModelSetExactValueFunction(m, Exact));
    PetscCall(StkModelSetDirichletFunction(m, Exact));
    for (PetscInt side = 0; side < 2; side++) PetscCall(StkModelSetBoundaryType(m, 0, side, STK_BC_DIRICHLET));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode CreateDoubleWell(StkModel m)
{
  return CreateWell(m, PETSC_FALSE);
}

static PetscErrorCode CreateQuadraticWell(StkModel m)
{
  return CreateWell(m, PETSC_TRUE);
}

PETSC_EXTERN PetscErrorCode StkPluginRegister(void)
{
  PetscFunctionBeginUser;
  PetscCall(StkModelRegister("double_well", CreateDoubleWell));
  PetscCall(StkModelRegister("quadratic_well", CreateQuadraticWell));
  PetscFunctionReturn(0);
}
