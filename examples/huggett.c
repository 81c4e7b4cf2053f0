/* The consumption-savings problem of Huggett (1993) in continuous time, as solved by
 * the HACT codes of Achdou, Han, Lasry, Lions and Moll: a household with wealth a and
 * income y chooses consumption c,
 *
 *   da = (y + r a - c) dt,   a in [a_min, a_max],   max E int e^{-rho t} c^(1-gamma)/(1-gamma) dt,
 *
 * with a borrowing limit a >= a_min (a state constraint: the drift may not point out of
 * the box at either end).  stakehjb minimizes, so the running cost is -u(c).  Income
 * switches between regimes: one YAML file per income state (examples/huggett_low.yaml,
 * huggett_high.yaml) and their switching rates,
 *
 *   cc -shared -fPIC huggett.c -o libhuggett.so $(pkg-config --cflags --libs stakehjb)
 *   stakehjb solve -model_plugin ./libhuggett.so \
 *       -regime_files huggett_low.yaml,huggett_high.yaml -regime_rates 0,1.2,1.2,0 */
#include <stk_model.h>

typedef struct {
  PetscReal y, r, gamma, a_min, a_max, c_min, c_max;
} Huggett;

static Huggett *Ctx(StkModel m)
{
  Huggett *h;
  StkModelGetContext(m, &h);
  return h;
}

static PetscErrorCode Drift(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal b[])
{
  const Huggett *h = Ctx(m);
  b[0]             = h->y + h->r * x[0] - u[0];
  return 0;
}

static PetscErrorCode Diffusion(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal a[])
{
  a[0] = 0; /* no wealth risk: income risk enters through the regimes */
  return 0;
}

/* -u(c), CRRA utility (log utility at gamma = 1) */
static PetscErrorCode Cost(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal l[])
{
  const PetscReal gamma = Ctx(m)->gamma;
  l[0]                  = gamma == 1 ? -PetscLogReal(u[0]) : -PetscPowReal(u[0], 1 - gamma) / (1 - gamma);
  return 0;
}

/* argmin over c of -u(c) - c p (p = V' < 0 in the cost form): u'(c) = -p */
static PetscErrorCode Greedy(StkModel m, const PetscReal x[], PetscInt k, PetscReal p, PetscReal q, const PetscReal u[], PetscReal *c)
{
  const Huggett *h = Ctx(m);
  *c               = p < 0 ? PetscPowReal(-p, -1 / h->gamma) : h->c_max;
  *c               = PetscMin(PetscMax(*c, h->c_min), h->c_max);
  return 0;
}

static PetscErrorCode FreeCtx(void *ctx)
{
  return PetscFree(ctx);
}

static PetscErrorCode SetUp(StkModel m)
{
  Huggett *h = Ctx(m);

  PetscFunctionBeginUser;
  PetscCheck(h->a_min < h->a_max && h->gamma > 0 && h->y > 0, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "huggett: need a_min < a_max, gamma > 0, y > 0 (got %g, %g, %g, %g)", (double)h->a_min, (double)h->a_max, (double)h->gamma, (double)h->y);
  PetscCall(StkModelSetDefaultBox(m, &h->a_min, &h->a_max));
  h->c_max = 2 * (h->y + PetscAbsReal(h->r) * PetscMax(PetscAbsReal(h->a_min), PetscAbsReal(h->a_max))) + 1;
  PetscCall(StkModelSetControl(m, 0, 0, h->c_min, h->c_max));
  PetscFunctionReturn(0);
}

static PetscErrorCode CreateHuggett(StkModel m)
{
  Huggett *h;

  PetscFunctionBeginUser;
  PetscCall(StkModelSetDimensionRange(m, 1, 1));
  PetscCall(PetscNew(&h));
  *h = (Huggett){.y = 0.1, .r = 0.035, .gamma = 2, .a_min = -0.15, .a_max = 5, .c_min = 1e-3, .c_max = 10};
  PetscCall(StkModelSetContext(m, h, FreeCtx));
  PetscCall(StkModelAddParameter(m, "y", &h->y, "1/yr", "Income (of this regime)"));
  PetscCall(StkModelAddParameter(m, "r", &h->r, "1/yr", "Interest rate on wealth"));
  PetscCall(StkModelAddParameter(m, "gamma", &h->gamma, "1", "Relative risk aversion (CRRA)"));
  PetscCall(StkModelAddParameter(m, "a_min", &h->a_min, "1", "Borrowing limit"));
  PetscCall(StkModelAddParameter(m, "a_max", &h->a_max, "1", "Upper end of the wealth grid"));
  PetscCall(StkModelAddParameter(m, "c_min", &h->c_min, "1/yr", "Smallest consumption"));
  PetscCall(StkModelSetDiscount(m, 0.05));
  PetscCall(StkModelSetNumControls(m, 1));
  PetscCall(StkModelSetStateName(m, 0, "a", "1", "wealth"));
  for (PetscInt side = 0; side < 2; side++) PetscCall(StkModelSetBoundaryType(m, 0, side, STK_BC_STATE_CONSTRAINT));
  PetscCall(StkModelSetDriftFunction(m, Drift));
  PetscCall(StkModelSetDiffusionFunction(m, Diffusion));
  PetscCall(StkModelSetCostFunction(m, Cost));
  PetscCall(StkModelSetGreedyFunction(m, Greedy));
  PetscCall(StkModelSetSetUpFunction(m, SetUp));
  PetscFunctionReturn(0);
}

PETSC_EXTERN PetscErrorCode StkPluginRegister(void)
{
  PetscFunctionBeginUser;
  PetscCall(StkModelRegister("huggett", CreateHuggett));
  PetscFunctionReturn(0);
}
