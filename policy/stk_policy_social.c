/* The social gradient on two timescales (docs/model.md#the-social-gradient): the static
 * social optimum min_u L(u) = l((s*(u), z), u) by Brent's method, the leader's gradient
 * dL/du = l_s ds*(u)/du + l_u, and the policy type social_gradient_2ts that follows it with
 * step sizes decaying to zero against the holders' fixed rate kappa. */
#include "stk_policyimpl.h"
#include <float.h>
#include <string.h>

/* ---- The static problem ---- */

/* The holders' parameters of a staking model (an error for other model types). */
static PetscErrorCode StakingParams(StkModel model, const StkAgentParams **params)
{
  const char   *type;
  PetscBool     staking;
  StkPopulation pop;

  PetscFunctionBeginUser;
  PetscCall(StkModelGetType(model, &type));
  PetscCall(PetscStrcmp(type, STK_MODEL_STAKING, &staking));
  PetscCheck(staking, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "The social optimum needs the holders' equilibrium s*(u) of the staking model, not of a %s model", type);
  PetscCall(StkModelStakingGetPopulation(model, &pop));
  PetscCall(StkPopulationGetParams(pop, params));
  PetscFunctionReturn(0);
}

/* l at (s, z) and u; a 1-D model reads s only. */
static PetscErrorCode Cost(StkModel model, PetscReal s, PetscReal z, PetscReal u, PetscReal *l)
{
  const PetscReal x[STK_MAX_DIM] = {s, z};

  PetscFunctionBeginUser;
  PetscCall(StkModelCost(model, x, &u, l));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicySocialGradient(StkModel model, PetscReal s, PetscReal z, PetscReal u, PetscReal *g)
{
  const StkAgentParams *mp;
  const PetscReal       h = 1e-4; /* central differences: exact for the quadratic staking cost up to rounding */
  PetscReal             s_star, ds_du, lsp, lsm, lup, lum;
  PetscInt              its;

  PetscFunctionBeginUser;
  PetscCall(StakingParams(model, &mp));
  PetscCall(StkAgentsEquilibrium(mp, u, z, &s_star, &ds_du, &its));
  PetscCall(Cost(model, s + h, z, u, &lsp));
  PetscCall(Cost(model, s - h, z, u, &lsm));
  PetscCall(Cost(model, s, z, u + h, &lup));
  PetscCall(Cost(model, s, z, u - h, &lum));
  *g = (lsp - lsm) / (2 * h) * ds_du + (lup - lum) / (2 * h);
  PetscFunctionReturn(0);
}

/* L(u) = l((s*(u), z), u). */
static PetscErrorCode StaticCost(StkModel model, const StkAgentParams *mp, PetscReal z, PetscReal u, PetscReal *L, PetscReal *s)
{
  PetscReal ds_du;
  PetscInt  its;

  PetscFunctionBeginUser;
  PetscCall(StkAgentsEquilibrium(mp, u, z, s, &ds_du, &its));
  PetscCall(Cost(model, *s, z, u, L));
  PetscFunctionReturn(0);
}

/* Brent's minimization without derivatives on [a, b] (R. P. Brent, Algorithms for
 * Minimization without Derivatives, 1973, ch. 5): parabolic interpolation through the
 * three best points, safeguarded by golden-section steps; stops when x is within
 * 2 (sqrt(eps) |x| + tol / 3) of the bracket's midpoint, i.e. |x - x*| <~ tol. */
static PetscErrorCode BrentMinimize(StkModel model, const StkAgentParams *mp, PetscReal z, PetscReal a, PetscReal b, PetscReal tol, PetscReal *xmin, PetscInt *its)
{
  const PetscReal golden = 0.5 * (3 - PetscSqrtReal(5.0)), eps = PetscSqrtReal(DBL_EPSILON);
  PetscReal       x, w, v, fx, fw, fv, d = 0, e = 0, s;

  PetscFunctionBeginUser;
  x = w = v = a + golden * (b - a);
  PetscCall(StaticCost(model, mp, z, x, &fx, &s));
  fw = fv = fx;
  for (*its = 0; *its < 500; (*its)++) {
    const PetscReal m = 0.5 * (a + b), tol1 = eps * PetscAbsReal(x) + tol / 3, tol2 = 2 * tol1;
    PetscBool       golden_step = PETSC_TRUE;
    PetscReal       u, fu;

    if (PetscAbsReal(x - m) <= tol2 - 0.5 * (b - a)) break;
    if (PetscAbsReal(e) > tol1) { /* try the parabola through x, w, v */
      PetscReal r = (x - w) * (fx - fv), q = (x - v) * (fx - fw), p = (x - v) * q - (x - w) * r;
      q = 2 * (q - r);
      if (q > 0) p = -p;
      else q = -q;
      r = e;
      e = d;
      if (PetscAbsReal(p) < PetscAbsReal(0.5 * q * r) && p > q * (a - x) && p < q * (b - x)) {
        d = p / q;
        u = x + d;
        if (u - a < tol2 || b - u < tol2) d = x < m ? tol1 : -tol1;
        golden_step = PETSC_FALSE;
      }
    }
    if (golden_step) {
      e = x < m ? b - x : a - x;
      d = golden * e;
    }
    u = x + (PetscAbsReal(d) >= tol1 ? d : (d > 0 ? tol1 : -tol1));
    PetscCall(StaticCost(model, mp, z, u, &fu, &s));
    if (fu <= fx) {
      if (u < x) b = x;
      else a = x;
      v = w, fv = fw, w = x, fw = fx, x = u, fx = fu;
    } else {
      if (u < x) a = u;
      else b = u;
      if (fu <= fw || w == x) v = w, fv = fw, w = u, fw = fu;
      else if (fu <= fv || v == x || v == w) v = u, fv = fu;
    }
  }
  *xmin = x;
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicySocialOptimum(StkModel model, PetscReal z, PetscReal tol, StkSocialOptimum *opt)
{
  const StkAgentParams *mp;
  PetscReal             u_min, u_max;

  PetscFunctionBeginUser;
  PetscCheck(tol > 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "StkPolicySocialOptimum: the tolerance must be > 0, got %g", (double)tol);
  PetscCall(StakingParams(model, &mp));
  PetscCall(StkModelGetControlBounds(model, 0, &u_min, &u_max));
  /* s*(u) needs u + phi > 0 */
  u_min = PetscMax(u_min, -mp->phi + 1e-12);
  PetscCheck(u_min < u_max, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "StkPolicySocialOptimum: no issuance in [u_min, u_max] with u + phi > 0");
  PetscCall(BrentMinimize(model, mp, z, u_min, u_max, tol, &opt->u, &opt->its));
  PetscCall(StaticCost(model, mp, z, opt->u, &opt->cost, &opt->s));
  PetscCall(StkPolicySocialGradient(model, opt->s, z, opt->u, &opt->dcost_du));
  PetscFunctionReturn(0);
}

/* ---- social_gradient_2ts: the leader on the slow timescale ----
 *
 *   du/dt = -a(t) dL/du(s_t, u),   a(t) = a0 / (1 + t / t0)^alpha,  projected on [u_min, u_max],
 *
 * with dL/du = l_s(s_t, u) ds*(u)/du + l_u(s_t, u) at the observed s_t; the holders move
 * at their own rate kappa, so a(t) / kappa -> 0: they equilibrate between the leader's
 * moves, s_t -> s*(u_t), and the fixed point is dL/du(s*(u), u) = 0, the social optimum. */

typedef struct {
  PetscReal u0;    /* -policy_u */
  PetscReal a0;    /* -policy_sg2_a0 */
  PetscReal t0;    /* -policy_sg2_t0 (yr) */
  PetscReal alpha; /* -policy_sg2_alpha */
} TwoTimescaleCtx;

typedef struct {
  PetscReal u, t_last, t_start;
} TwoTimescaleState;

static PetscErrorCode TwoTimescaleReset(void *ctx, PetscReal t0, const PetscReal x0[], void *state)
{
  StkPolicy          p  = (StkPolicy)ctx;
  TwoTimescaleState *st = (TwoTimescaleState *)state;

  PetscFunctionBeginUser;
  PetscCheck(st, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "-policy social_gradient_2ts needs per-path state (StkPolicyGetFunction's state_size bytes)");
  st->u       = PetscClipInterval(((TwoTimescaleCtx *)p->data)->u0, p->u_min, p->u_max);
  st->t_last  = t0;
  st->t_start = t0;
  PetscFunctionReturn(0);
}

static PetscErrorCode TwoTimescaleEvaluate(void *ctx, PetscReal t, const PetscReal x[], PetscReal *u, void *state)
{
  StkPolicy              p  = (StkPolicy)ctx;
  const TwoTimescaleCtx *T  = (TwoTimescaleCtx *)p->data;
  TwoTimescaleState     *st = (TwoTimescaleState *)state;
  const StkAgentParams  *mp;
  PetscInt               dim;
  PetscReal              dt, a, g;

  PetscFunctionBeginUser;
  PetscCheck(st, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "-policy social_gradient_2ts needs per-path state (StkPolicyGetFunction's state_size bytes)");
  dt = t - st->t_last;
  PetscCheck(dt >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "-policy social_gradient_2ts: time went backwards (t = %g before the last call at %g); reset the state at the start of a path", (double)t, (double)st->t_last);
  PetscCall(StakingParams(p->model, &mp));
  PetscCall(StkModelGetDimension(p->model, &dim));
  a = StkPolicySocialStepSize(T->a0, T->t0, T->alpha, st->t_last - st->t_start);
  PetscCall(StkPolicySocialGradient(p->model, x[0], dim > 1 ? x[1] : mp->zbar, st->u, &g));
  st->u      = PetscClipInterval(st->u - a * g * dt, p->u_min, p->u_max);
  st->t_last = t;
  *u         = st->u;
  PetscFunctionReturn(0);
}

PetscReal StkPolicySocialStepSize(PetscReal a0, PetscReal t0, PetscReal alpha, PetscReal t)
{
  return a0 / PetscPowReal(1 + t / t0, alpha);
}

static PetscErrorCode TwoTimescaleSetFromOptions(StkPolicy p, PetscOptionItems *PetscOptionsObject)
{
  TwoTimescaleCtx *T = (TwoTimescaleCtx *)p->data;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsReal("-u", "The rate at the start of a path (1/yr)", "", T->u0, &T->u0, NULL));
  PetscCall(PetscOptionsReal("-sg2_a0", "Leader's step a0 in a(t) = a0 / (1 + t / t0)^alpha, du/dt = -a(t) dL/du", "", T->a0, &T->a0, NULL));
  PetscCall(PetscOptionsReal("-sg2_t0", "Time scale t0 of the step decay (yr)", "", T->t0, &T->t0, NULL));
  PetscCall(PetscOptionsReal("-sg2_alpha", "Decay exponent alpha of the leader's step, in (1/2, 1]", "", T->alpha, &T->alpha, NULL));
  PetscFunctionReturn(0);
}

static PetscErrorCode TwoTimescaleSetUp(StkPolicy p)
{
  const TwoTimescaleCtx *T = (TwoTimescaleCtx *)p->data;
  const StkAgentParams  *mp;
  const char            *type;

  PetscFunctionBeginUser;
  PetscCall(StkPolicySetUpModel(p));
  PetscCall(StkModelGetType(p->model, &type));
  PetscCheck(!strcmp(type, STK_MODEL_STAKING), p->comm, PETSC_ERR_ARG_WRONG, "-policy social_gradient_2ts needs the staking model (the holders' equilibrium s*(u)), not %s", type);
  PetscCall(StakingParams(p->model, &mp));
  PetscCheck(T->u0 >= 0 && !PetscIsInfOrNanReal(T->u0), p->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%su must be >= 0 and finite (an issuance rate, 1/yr), got %g", p->class_prefix, (double)T->u0);
  PetscCheck(T->a0 >= 0 && T->a0 <= 1e6, p->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%ssg2_a0 must lie in [0, 1e6], got %g", p->class_prefix, (double)T->a0);
  PetscCheck(T->t0 > 0 && T->t0 <= 1e6, p->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%ssg2_t0 must lie in (0, 1e6] yr, got %g", p->class_prefix, (double)T->t0);
  PetscCheck(T->alpha > 0.5 && T->alpha <= 1, p->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%ssg2_alpha must lie in (0.5, 1] (the integral of a(t) infinite, of a(t)^2 finite), got %g", p->class_prefix, (double)T->alpha);
  PetscCheck(p->u_max + mp->phi > 0, p->comm, PETSC_ERR_ARG_OUTOFRANGE, "-policy social_gradient_2ts needs u + phi > 0 somewhere in [u_min, u_max]");
  PetscFunctionReturn(0);
}

static PetscErrorCode TwoTimescaleView(StkPolicy p, PetscViewer viewer)
{
  const TwoTimescaleCtx *T = (TwoTimescaleCtx *)p->data;

  PetscFunctionBeginUser;
  PetscCall(PetscViewerASCIIPrintf(viewer, "social gradient on two timescales: du/dt = -%g / (1 + t / %g)^%g (l_s ds*(u)/du + l_u), projected on [%g, %g], initially %g\n", (double)T->a0, (double)T->t0, (double)T->alpha, (double)p->u_min, (double)p->u_max, (double)T->u0));
  PetscFunctionReturn(0);
}

static PetscErrorCode TwoTimescaleDestroy(StkPolicy p)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree(p->data));
  PetscFunctionReturn(0);
}

PetscErrorCode StkPolicyCreate_SocialGradient2ts(StkPolicy p)
{
  TwoTimescaleCtx *T;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&T));
  T->u0                 = 0.03; /* the baseline ubar */
  T->a0                 = 0.01;
  T->t0                 = 1;
  T->alpha              = 0.602;
  p->data               = T;
  p->ops.evaluate       = TwoTimescaleEvaluate;
  p->ops.reset          = TwoTimescaleReset;
  p->ops.state_size     = sizeof(TwoTimescaleState);
  p->ops.setfromoptions = TwoTimescaleSetFromOptions;
  p->ops.setup          = TwoTimescaleSetUp;
  p->ops.view           = TwoTimescaleView;
  p->ops.destroy        = TwoTimescaleDestroy;
  PetscFunctionReturn(0);
}
