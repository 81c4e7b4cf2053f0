/* The monotone upwind scheme (docs/model.md#discretization): assembly of rho I - L(u), the
 * discrete Hamiltonian, and policy improvement (closed-form greedy with the upwind
 * choice of Achdou et al., or an exact safeguarded minimization). */
#include "stk_hjbimpl.h"

PetscErrorCode StkLayoutCreate(StkGrid grid, StkLayout *L)
{
  DM            da;
  DMDALocalInfo info;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(L, sizeof(*L)));
  PetscCall(StkGridGetDM(grid, &da));
  PetscCall(DMDAGetLocalInfo(da, &info));
  L->dim = info.dim;
  const PetscInt n[3] = {info.mx, info.my, info.mz}, s[3] = {info.xs, info.ys, info.zs}, m[3] = {info.xm, info.ym, info.zm};
  const PetscInt gs[3] = {info.gxs, info.gys, info.gzs}, gm[3] = {info.gxm, info.gym, info.gzm};
  L->nowned = 1;
  for (PetscInt k = 0; k < L->dim; k++) {
    L->n[k]       = n[k];
    L->s[k]       = s[k];
    L->m[k]       = m[k];
    L->gs[k]      = gs[k];
    L->gstride[k] = k ? L->gstride[k - 1] * gm[k - 1] : 1;
    L->nowned *= m[k];
    PetscCall(StkGridGetCoordinates(grid, k, &L->x[k]));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode StkLayoutNode(StkSolver S, PetscInt o, StkNode *node)
{
  const StkLayout *L = &S->layout;
  PetscInt         rest = o;

  node->ghost     = 0;
  node->dirichlet = PETSC_FALSE;
  for (PetscInt k = 0; k < L->dim; k++) {
    const PetscInt i = L->s[k] + rest % L->m[k];
    rest /= L->m[k];
    node->idx[k] = i;
    node->x[k]   = L->x[k][i];
    node->ghost += (i - L->gs[k]) * L->gstride[k];
    if ((i == 0 && S->model->bc[k][0] == STK_BC_DIRICHLET) || (i == L->n[k] - 1 && S->model->bc[k][1] == STK_BC_DIRICHLET)) node->dirichlet = PETSC_TRUE;
  }
  return 0;
}

/* Forward/backward coefficients of direction k at index i.  At a reflecting end the
 * ghost node mirrors the first interior node (zero normal derivative) and an outward
 * drift contributes nothing (it is clamped: the process cannot leave the box).
 * With `central`, an interior node uses the second-order central drift difference
 * (weighted for uneven spacing) wherever both coefficients stay >= 0 (monotone). */
void StkSchemeCoefficients(const StkLayout *L, PetscInt k, PetscInt i, PetscReal b, PetscReal a, PetscBool central, PetscReal *cf, PetscReal *cb)
{
  const PetscReal *x = L->x[k];
  const PetscInt   n = L->n[k];

  if (i == 0) {
    const PetscReal hp = x[1] - x[0];
    *cf = PetscMax(b, 0) / hp + 2 * a / (hp * hp);
    *cb = 0;
  } else if (i == n - 1) {
    const PetscReal hm = x[n - 1] - x[n - 2];
    *cf = 0;
    *cb = PetscMax(-b, 0) / hm + 2 * a / (hm * hm);
  } else {
    const PetscReal hp = x[i + 1] - x[i], hm = x[i] - x[i - 1];
    if (central && b * hm + 2 * a >= 0 && 2 * a - b * hp >= 0) {
      *cf = (b * hm + 2 * a) / (hp * (hp + hm));
      *cb = (2 * a - b * hp) / (hm * (hp + hm));
    } else {
      *cf = PetscMax(b, 0) / hp + 2 * a / (hp * (hp + hm));
      *cb = PetscMax(-b, 0) / hm + 2 * a / (hm * (hp + hm));
    }
  }
}

/* The node's Hamiltonian given its drift b at u (already known to the improvement). */
static PetscErrorCode NodeHamiltonianWithDrift(StkSolver S, const StkNode *node, const PetscScalar *Vg, const PetscReal u[], const PetscReal b[], PetscReal *H)
{
  const StkLayout *L = &S->layout;
  PetscReal        a[STK_MAX_DIM], l, cf, cb;
  const PetscReal  V = Vg[node->ghost];

  PetscCall(StkModelDiffusion(S->model, node->x, u, a));
  PetscCall(StkModelCost(S->model, node->x, u, &l));
  *H = l - S->model->rho * V;
  for (PetscInt k = 0; k < L->dim; k++) {
    const PetscInt i = node->idx[k], st = L->gstride[k];
    StkSchemeCoefficients(L, k, i, b[k], a[k], S->central, &cf, &cb);
    if (cf != 0) *H += cf * (Vg[node->ghost + st] - V);
    if (cb != 0) *H += cb * (Vg[node->ghost - st] - V);
  }
  return 0;
}

PetscErrorCode StkSchemeNodeHamiltonian(StkSolver S, const StkNode *node, const PetscScalar *Vg, const PetscReal u[], PetscReal *H)
{
  PetscReal b[STK_MAX_DIM];

  PetscCall(StkModelDrift(S->model, node->x, u, b));
  return NodeHamiltonianWithDrift(S, node, Vg, u, b, H);
}

/* The row of a node: its columns (local, ghosted numbering), the diagonal then forward and
 * backward along each direction inside the box (the DMDA's star stencil, which
 * DMCreateMatrix fills with zeros: a Dirichlet row keeps zeros there), and its values. */
static PetscErrorCode NodeRow(StkSolver S, const StkNode *node, const PetscReal u[], PetscInt cols[], PetscScalar vals[], PetscInt *nc, PetscScalar *rhs)
{
  const StkLayout *L = &S->layout;
  PetscReal        b[STK_MAX_DIM], a[STK_MAX_DIM], l;

  PetscFunctionBeginUser;
  *nc     = 1;
  cols[0] = node->ghost;
  vals[0] = S->model->rho;
  if (node->dirichlet) {
    PetscCall(StkModelDirichlet(S->model, node->x, &l));
    *rhs = S->model->rho * l;
  } else {
    PetscCall(StkModelDrift(S->model, node->x, u, b));
    PetscCall(StkModelDiffusion(S->model, node->x, u, a));
    PetscCall(StkModelCost(S->model, node->x, u, &l));
    *rhs = l;
  }
  for (PetscInt k = 0; k < L->dim; k++) {
    const PetscInt st = L->gstride[k], i = node->idx[k];
    PetscReal      cf = 0, cb = 0;
    if (!node->dirichlet) {
      StkSchemeCoefficients(L, k, i, b[k], a[k], S->central, &cf, &cb);
      vals[0] += cf + cb;
    }
    if (i < L->n[k] - 1) { cols[*nc] = node->ghost + st; vals[(*nc)++] = node->dirichlet ? 0 : -cf; }
    if (i > 0) { cols[*nc] = node->ghost - st; vals[(*nc)++] = node->dirichlet ? 0 : -cb; }
  }
  PetscFunctionReturn(0);
}

/* The solver's own matrix (an AIJ from the DMDA, whose rows hold exactly the star
 * stencil) takes a whole row at once in the order of its global columns
 * (MatSetValuesRow): no search for each entry, which was more than half of the assembly. */
static PetscErrorCode SetRowInGlobalOrder(Mat A, const PetscInt l2g[], const PetscInt cols[], const PetscScalar vals[], PetscInt nc)
{
  PetscInt    g[1 + 2 * STK_MAX_DIM];
  PetscScalar v[1 + 2 * STK_MAX_DIM];

  PetscFunctionBeginUser;
  for (PetscInt c = 0; c < nc; c++) { /* insertion sort: at most 7 entries */
    PetscInt j = c;
    for (; j > 0 && g[j - 1] > l2g[cols[c]]; j--) {
      g[j] = g[j - 1];
      v[j] = v[j - 1];
    }
    g[j] = l2g[cols[c]];
    v[j] = vals[c];
  }
  PetscCall(MatSetValuesRow(A, l2g[cols[0]], v));
  PetscFunctionReturn(0);
}

static PetscErrorCode IsOwnAIJ(StkSolver S, Mat A, PetscBool *own)
{
  PetscFunctionBeginUser;
  *own = PETSC_FALSE;
  if (A == S->A) PetscCall(PetscObjectTypeCompareAny((PetscObject)A, own, MATSEQAIJ, MATMPIAIJ, ""));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverAssemble(StkSolver S, Vec u, Mat A, Vec rhs)
{
  const PetscScalar     *ua;
  PetscScalar           *ra, vals[1 + 2 * STK_MAX_DIM];
  PetscInt               cols[1 + 2 * STK_MAX_DIM], nc;
  const PetscInt        *l2g = NULL;
  ISLocalToGlobalMapping map;
  PetscBool              own;
  StkNode                node;
  const PetscInt         nu = S->model->nu;

  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(STK_EVENT_Assemble, A, 0, 0, 0));
  PetscCall(IsOwnAIJ(S, A, &own));
  PetscCall(DMGetLocalToGlobalMapping(S->da, &map));
  if (own) PetscCall(ISLocalToGlobalMappingGetIndices(map, &l2g));
  PetscCall(VecGetArrayRead(u, &ua));
  PetscCall(VecGetArray(rhs, &ra));
  for (PetscInt o = 0; o < S->layout.nowned; o++) {
    PetscCall(StkLayoutNode(S, o, &node));
    PetscCall(NodeRow(S, &node, &ua[o * nu], cols, vals, &nc, &ra[o]));
    if (own) PetscCall(SetRowInGlobalOrder(A, l2g, cols, vals, nc));
    else PetscCall(MatSetValuesLocal(A, 1, cols, node.dirichlet ? 1 : nc, cols, vals, INSERT_VALUES));
  }
  PetscCall(VecRestoreArray(rhs, &ra));
  PetscCall(VecRestoreArrayRead(u, &ua));
  if (own) PetscCall(ISLocalToGlobalMappingRestoreIndices(map, &l2g));
  PetscCall(MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY));
  PetscCall(PetscLogEventEnd(STK_EVENT_Assemble, A, 0, 0, 0));
  PetscFunctionReturn(0);
}

/* Differences of V along k at a node: one-sided pf, pb (the one leaving the box is 0,
 * the reflecting convention, except at Dirichlet nodes where it copies the other, only
 * for a sensible output policy), central pc (second order on uneven spacing) and the
 * second difference q (mirror ghost at the ends). */
typedef StkDifferences Differences;

#define STK_DRIFT_MEMO 4 /* drifts remembered per node by the improvement */

static void DifferencesAlong(StkSolver S, const StkNode *node, const PetscScalar *Vg, PetscInt k, Differences *d)
{
  const StkLayout *L = &S->layout;
  const PetscInt   i = node->idx[k], n = L->n[k], st = L->gstride[k];
  const PetscReal *x = L->x[k];
  const PetscReal  V = Vg[node->ghost];
  const PetscReal  hp = i < n - 1 ? x[i + 1] - x[i] : x[i] - x[i - 1], hm = i > 0 ? x[i] - x[i - 1] : hp;

  d->pf = i < n - 1 ? (Vg[node->ghost + st] - V) / hp : 0;
  d->pb = i > 0 ? (V - Vg[node->ghost - st]) / hm : 0;
  if (node->dirichlet) {
    if (i == 0) d->pb = d->pf;
    if (i == n - 1) d->pf = d->pb;
  }
  if (i == 0) d->q = 2 * d->pf / hp;
  else if (i == n - 1) d->q = -2 * d->pb / hm;
  else d->q = 2 * (d->pf - d->pb) / (hp + hm);
  d->pc = (hm * d->pf + hp * d->pb) / (hp + hm);
  /* central differences only inside (the ends and Dirichlet nodes stay upwind) */
  d->hm = (i == 0 || i == n - 1 || node->dirichlet) ? PETSC_INFINITY : hm;
  d->hp = (i == 0 || i == n - 1 || node->dirichlet) ? PETSC_INFINITY : hp;
}

/* The improvement problem of control c at one state: at a node of the solver (S, node
 * and Vg set: the scheme's own Hamiltonian, central differences where allowed), or at
 * any point x from given differences of V (S = NULL: the expert policy of policy/). */
typedef struct {
  StkSolver          S;
  const StkNode     *node;
  const PetscScalar *Vg;
  StkModel           model;
  const PetscReal   *x;
  PetscReal          lo, hi; /* bounds of control c */
  PetscInt           c, k;
  PetscBool          central;       /* the central-where-monotone scheme */
  PetscInt           constrained;   /* -1 / +1: a state-constraint end below / above in the control's direction; 0: none */
  PetscInt           exact_samples; /* of the exact minimization */
  Differences        d;
  Differences        dk[STK_MAX_DIM]; /* every direction's differences (a model with control_cross) */
  PetscBool          cross;           /* model->control_cross: sum the upwind terms of every direction */
  PetscBool          newton;          /* -hjb_greedy_newton: Newton on the greedy fixed points (model->ops.greedy_slope) */
  PetscReal          p_greedy;
  PetscReal          u[STK_MAX_CONTROLS];
  /* The last drifts evaluated at this state, keyed on the bits of the whole control
   * vector: the upwind choice, the Hamiltonians and the residual ask again for the
   * drift at controls the greedy iteration already visited (bitwise the same answer). */
  PetscInt           nmemo, memo_next;
  PetscReal          memo_u[STK_DRIFT_MEMO][STK_MAX_CONTROLS], memo_b[STK_DRIFT_MEMO][STK_MAX_DIM];
} ControlProblem;

/* Whether x and y hold the same bits (-0 differs from 0: a model may tell them apart). */
static inline PetscBool SameBits(const PetscReal x[], const PetscReal y[], PetscInt n)
{
  for (PetscInt i = 0; i < n; i++)
    if (memcmp(&x[i], &y[i], sizeof(PetscReal))) return PETSC_FALSE; /* a compare: the size is constant */
  return PETSC_TRUE;
}

/* The drift b at the state and the controls P->u, from the memo when they were seen. */
static const PetscReal *DriftAt(ControlProblem *P)
{
  const PetscInt nu = P->model->nu;
  PetscInt       j;

  for (j = 0; j < P->nmemo; j++)
    if (SameBits(P->memo_u[j], P->u, nu)) return P->memo_b[j];
  j = P->memo_next;
  P->memo_next = (j + 1) % STK_DRIFT_MEMO;
  P->nmemo     = PetscMax(P->nmemo, j + 1);
  memcpy(P->memo_u[j], P->u, (size_t)nu * sizeof(PetscReal));
  (void)StkModelDrift(P->model, P->x, P->u, P->memo_b[j]);
  return P->memo_b[j];
}

static PetscBool CentralRowIsMonotone(PetscReal b, PetscReal a, const Differences *d);

static PetscReal DriftAlong(ControlProblem *P, PetscReal uc)
{
  P->u[P->c] = uc;
  return DriftAt(P)[P->k];
}

/* One direction's drift and diffusion terms with the differences d (central where the
 * row stays monotone, upwind otherwise). */
static PetscReal DirectionTerm(const ControlProblem *P, PetscReal b, PetscReal a, const Differences *d)
{
  if (P->central && CentralRowIsMonotone(b, a, d)) return b * d->pc + a * d->q;
  return PetscMax(b, 0) * d->pf + PetscMin(b, 0) * d->pb + a * d->q;
}

/* The discrete Hamiltonian of the node as a function of u_c (the scheme's own rows);
 * at a point, its u-dependent part along k with upwind drift differences. */
/* The u-dependent part of the Hamiltonian along the control's direction k, from the
 * differences of V: the same at a node of the solver and at any point (the expert), so
 * a minimizer over it gives the same bits in both.  It differs from the node's full
 * Hamiltonian by terms that do not depend on u_c (controls are separable).  With
 * control_cross the terms of every direction (the control moves several drifts). */
static PetscReal DirectionalHamiltonian(ControlProblem *P, PetscReal uc)
{
  PetscReal H, b[STK_MAX_DIM], a[STK_MAX_DIM];

  P->u[P->c] = uc;
  (void)StkModelDrift(P->model, P->x, P->u, b);
  (void)StkModelDiffusion(P->model, P->x, P->u, a);
  (void)StkModelCost(P->model, P->x, P->u, &H);
  if (!P->cross) return H + DirectionTerm(P, b[P->k], a[P->k], &P->d);
  for (PetscInt k = 0; k < P->model->dim; k++) H += DirectionTerm(P, b[k], a[k], &P->dk[k]); /* the control moves every drift */
  return H;
}

/* The discrete Hamiltonian of the node as a function of u_c (the scheme's own rows);
 * at a point, the directional form. */
static PetscReal PartialHamiltonian(ControlProblem *P, PetscReal uc)
{
  PetscReal H;

  if (!P->node) return DirectionalHamiltonian(P, uc);
  P->u[P->c] = uc;
  (void)NodeHamiltonianWithDrift(P->S, P->node, P->Vg, P->u, DriftAt(P), &H);
  return H;
}

/* Whether the central drift difference keeps the row monotone for drift b and diffusion
 * a with the spacings of d (infinite where the scheme stays upwind). */
static PetscBool CentralRowIsMonotone(PetscReal b, PetscReal a, const Differences *d)
{
  if (PetscIsInfOrNanReal(d->hm) || PetscIsInfOrNanReal(d->hp)) return PETSC_FALSE;
  return (PetscBool)(b * d->hm + 2 * a >= 0 && 2 * a - b * d->hp >= 0);
}

/* Whether the central drift difference keeps the row monotone at this control. */
static PetscBool CentralIsMonotone(ControlProblem *P, PetscReal uc)
{
  PetscReal       a[STK_MAX_DIM];
  const PetscReal *b;

  P->u[P->c] = uc;
  b = DriftAt(P);
  (void)StkModelDiffusion(P->model, P->x, P->u, a);
  return CentralRowIsMonotone(b[P->k], a[P->k], &P->d);
}

/* A root of f in [a, b] given f(a) f(b) <= 0: regula falsi with the Illinois
 * modification (superlinear, never leaves the bracket). */
static PetscReal BracketedRoot(ControlProblem *P, PetscReal (*f)(ControlProblem *, PetscReal), PetscReal a, PetscReal b, PetscReal fa, PetscReal fb, PetscReal tol)
{
  PetscReal c = a, c_old;
  PetscInt  side = 0;

  if (fa == 0) return a;
  if (fb == 0) return b;
  for (PetscInt it = 0; it < 100; it++) {
    c_old = c;
    c     = fb != fa ? (a * fb - b * fa) / (fb - fa) : 0.5 * (a + b);
    const PetscReal fc = f(P, c);
    if (fc == 0 || (it && PetscAbsReal(c - c_old) <= tol)) break;
    if ((fc > 0) == (fb > 0)) {
      b  = c;
      fb = fc;
      if (side == -1) fa *= 0.5;
      side = -1;
    } else {
      a  = c;
      fa = fc;
      if (side == 1) fb *= 0.5;
      side = 1;
    }
  }
  return c;
}

/* The control between lo and hi (drift signs differ there) that zeroes the drift. */
static PetscReal ZeroDriftControl(ControlProblem *P, PetscReal lo, PetscReal hi)
{
  return BracketedRoot(P, DriftAlong, lo, hi, DriftAlong(P, lo), DriftAlong(P, hi), 1e-15 * (1 + PetscAbsReal(hi - lo)));
}

/* u - G(u; p): zero at a fixed point of the greedy map. */
static PetscReal GreedyResidual(ControlProblem *P, PetscReal uc)
{
  PetscReal g;

  P->u[P->c] = uc;
  (void)P->model->ops.greedy(P->model, P->x, P->c, P->p_greedy, P->d.q, P->u, &g); /* callers check the model has one */
  return uc - g;
}

/* The closed-form greedy map u = G(u; p) linearizes the drift around u itself; its
 * fixed point is a stationary point of the Hamiltonian in u_c (a KKT point on the box).
 * Plain iteration of G converges only linearly (and diverges where |p b_uu| > 2 w_u), so
 * after one fixed-point step the secant method on r(u) = u - G(u) takes over, from the
 * current control (a warm start: a few evaluations once the policy settles).  It is
 * safeguarded: r <= 0 at the lower bound and >= 0 at the upper one, and a bracketed
 * root finder takes over when the secant iteration leaves the box or stops contracting.
 * r_start: the residual at the start u0 (the current control in the box) when known. */
static PetscErrorCode SelfConsistentGreedyFrom(ControlProblem *P, PetscReal p, const PetscReal *r_start, PetscReal *uc)
{
  const PetscReal lo = P->lo, hi = P->hi;
  const PetscReal tol = 1e-14 * (1 + PetscMin(hi - lo, 1e3));
  PetscReal       u0 = PetscMin(PetscMax(P->u[P->c], lo), hi), r0, u1, r1;

  PetscFunctionBeginUser;
  P->p_greedy = p;
  r0          = r_start ? *r_start : GreedyResidual(P, u0);
  if (PetscAbsReal(r0) <= tol) {
    *uc = u0 - r0;
    PetscFunctionReturn(0);
  }
  u1 = u0 - r0; /* one fixed-point step: G(u0), inside the box */
  r1 = GreedyResidual(P, u1);
  for (PetscInt it = 0; it < 20; it++) {
    if (PetscAbsReal(r1) <= tol) {
      *uc = PetscMin(PetscMax(u1 - r1, lo), hi);
      PetscFunctionReturn(0);
    }
    if (r1 == r0) break;
    const PetscReal u2 = u1 - r1 * (u1 - u0) / (r1 - r0);
    if (!(u2 >= lo && u2 <= hi)) break;
    const PetscReal r2 = GreedyResidual(P, u2);
    if (PetscAbsReal(r2) > 0.5 * PetscAbsReal(r1)) break;
    u0 = u1;
    r0 = r1;
    u1 = u2;
    r1 = r2;
  }
  *uc = BracketedRoot(P, GreedyResidual, lo, hi, GreedyResidual(P, lo), GreedyResidual(P, hi), tol);
  PetscFunctionReturn(0);
}

/* The same, computing the residual at the start itself. */
static PetscErrorCode SelfConsistentGreedy(ControlProblem *P, PetscReal p, PetscReal *uc)
{
  PetscFunctionBeginUser;
  PetscCall(SelfConsistentGreedyFrom(P, p, NULL, uc));
  PetscFunctionReturn(0);
}

/* Whether the secant from u (first step to g = G(u), where G' = dg) stays within `near` of u
 * and off the bounds: G moves by (1 + |dg|) |g - u| there, and the map at g, predicted
 * linearly, stays inside the box (a clipped G would send it elsewhere). */
static inline PetscBool SecantStaysNear(PetscReal u, PetscReal g, PetscReal dg, PetscReal lo, PetscReal hi, PetscReal near)
{
  const PetscReal next = g + dg * (g - u);

  if (!(PetscAbsReal(g - u) * (1 + PetscAbsReal(dg)) <= near)) return PETSC_FALSE;
  return (PetscBool)(dg == 0 || (next > lo && next < hi));
}

/* The fixed point of the greedy map for difference p by Newton's method on r(u) = u - G(u)
 * with the model's slope of G (-hjb_greedy_newton), from u (the current control in the box)
 * with G(u) = g, G'(u) = dg known.  It stops when the Newton step is below 1e-7 of the
 * control range (the error after that step is of its square: round-off); the step is taken,
 * or G itself where G is clipped (flat: its value is the fixed point).  Only a warm start is
 * Newton's: where the secant's first excursion leaves 1e-3 of the range around the start
 * (SecantStaysNear: the policy still moving, or G steep there, so that the secant's
 * safeguards may search the whole box; where the Hamiltonian is not convex in u, G has
 * several fixed points, r' = H_uu / (2 w_u) > 0 at each local minimum, and the two methods
 * could reach different ones), r' < 0.1, a step leaving the box or not halving, the secant
 * from the current control takes over (*newton = PETSC_FALSE): the two agree wherever the
 * start is warm. */
static PetscErrorCode NewtonGreedyFrom(ControlProblem *P, PetscReal p, PetscReal u, PetscReal g, PetscReal dg, PetscReal *uc, PetscBool *newton)
{
  const PetscReal lo = P->lo, hi = P->hi, ucur = P->u[P->c], range = 1 + PetscMin(hi - lo, 1e3);
  const PetscReal tol = 1e-7 * range, warm = 1e-3 * range, near = 1e-3 * range;
  PetscReal       step_old = warm;

  PetscFunctionBeginUser;
  *newton = PETSC_TRUE;
  for (PetscInt it = 0; it < 20; it++) {
    const PetscReal dr = 1 - dg, step = (u - g) / dr;
    if (!(dr >= 0.1) || !(PetscAbsReal(step) <= (it ? 0.5 * step_old : warm))) break;
    if (!it && !SecantStaysNear(u, g, dg, lo, hi, near)) break;
    if (PetscAbsReal(step) <= tol) {
      *uc = dg == 0 ? g : PetscMin(PetscMax(u - step, lo), hi);
      P->u[P->c] = ucur;
      PetscFunctionReturn(0);
    }
    u -= step;
    if (!(u >= lo && u <= hi)) break;
    step_old   = PetscAbsReal(step);
    P->u[P->c] = u;
    (void)P->model->ops.greedy_slope(P->model, P->x, P->c, 1, &p, P->d.q, P->u, &g, &dg);
  }
  *newton    = PETSC_FALSE;
  P->u[P->c] = ucur;
  PetscCall(SelfConsistentGreedy(P, p, uc));
  P->u[P->c] = ucur; /* the secant leaves its last iterate there: the other side starts from the current control too */
  PetscFunctionReturn(0);
}

/* The forward and the backward greedy fixed points from the current control; both
 * iterations start at the same u0, whose two greedy maps a model may give in one call. */
static PetscErrorCode OneSidedGreedies(ControlProblem *P, PetscReal *uf, PetscReal *ub)
{
  const PetscReal ucur = P->u[P->c];

  PetscFunctionBeginUser;
  if (P->model->ops.greedy_pair) {
    const PetscReal u0 = PetscMin(PetscMax(ucur, P->lo), P->hi), p[2] = {P->d.pf, P->d.pb};
    PetscReal       g[2], r[2];

    P->u[P->c] = u0;
    (void)P->model->ops.greedy_pair(P->model, P->x, P->c, p, P->d.q, P->u, g);
    r[0]       = u0 - g[0];
    r[1]       = u0 - g[1];
    P->u[P->c] = ucur;
    PetscCall(SelfConsistentGreedyFrom(P, P->d.pf, &r[0], uf));
    P->u[P->c] = ucur;
    PetscCall(SelfConsistentGreedyFrom(P, P->d.pb, &r[1], ub));
  } else {
    PetscCall(SelfConsistentGreedy(P, P->d.pf, uf));
    P->u[P->c] = ucur;
    PetscCall(SelfConsistentGreedy(P, P->d.pb, ub));
  }
  PetscFunctionReturn(0);
}

/* -hjb_greedy_newton: the forward and the backward fixed points by Newton from the current
 * control (one call of the model gives both maps and slopes there).  Where the drift rises
 * with the control and pf >= pb (V convex along the direction), G(u; pb) >= G(u; pf) for
 * every u, so a backward fixed point lies above some forward one and vice versa: a forward
 * control with positive drift is the upwind choice whatever the backward one, and a
 * backward control with negative drift likewise.  The side whose map moves the current
 * control less (last step's choice) is solved first; when its drift decides (and Newton
 * solved it from a warm start, so near the current control), *decided is set and the
 * other side is not solved. */
static PetscErrorCode NewtonGreedies(ControlProblem *P, PetscReal *uf, PetscReal *ub, PetscBool *decided)
{
  const PetscReal ucur = P->u[P->c], u0 = PetscMin(PetscMax(ucur, P->lo), P->hi), p[2] = {P->d.pf, P->d.pb};
  PetscReal       g[2], dg[2], v[2];
  PetscInt        first = 0;
  PetscBool       newton;

  PetscFunctionBeginUser;
  *decided   = PETSC_FALSE;
  P->u[P->c] = u0;
  (void)P->model->ops.greedy_slope(P->model, P->x, P->c, 2, p, P->d.q, P->u, g, dg);
  P->u[P->c] = ucur;
  if (P->model->drift_increasing && p[0] >= p[1]) {
    first = PetscAbsReal(u0 - g[1]) < PetscAbsReal(u0 - g[0]) ? 1 : 0;
    PetscCall(NewtonGreedyFrom(P, p[first], u0, g[first], dg[first], &v[first], &newton));
    const PetscReal b = DriftAlong(P, v[first]);
    P->u[P->c] = ucur;
    if (newton && (first == 0 ? b > 0 : b < 0)) {
      *uf = *ub = v[first];
      *decided  = PETSC_TRUE;
      PetscFunctionReturn(0);
    }
  } else PetscCall(NewtonGreedyFrom(P, p[0], u0, g[0], dg[0], &v[0], &newton));
  PetscCall(NewtonGreedyFrom(P, p[1 - first], u0, g[1 - first], dg[1 - first], &v[1 - first], &newton));
  *uf = v[0];
  *ub = v[1];
  PetscFunctionReturn(0);
}

/* The controls whose drift along the direction does not leave the box at a state-constraint
 * end (side -1: drift >= 0, side +1: drift <= 0), as an interval [*lo, *hi] of the control's
 * bounds (the drift monotone in the control); empty (the least outward control alone) when
 * no control keeps the process inside. */
static void AdmissibleControls(ControlProblem *P, PetscReal *lo, PetscReal *hi)
{
  const PetscReal side = (PetscReal)P->constrained;
  const PetscReal blo = -side * DriftAlong(P, P->lo), bhi = -side * DriftAlong(P, P->hi); /* >= 0: admissible */

  *lo = P->lo;
  *hi = P->hi;
  if (blo >= 0 && bhi >= 0) return;
  if (blo < 0 && bhi < 0) *lo = *hi = blo >= bhi ? P->lo : P->hi;
  else if (blo >= 0) *hi = ZeroDriftControl(P, P->lo, P->hi);
  else *lo = ZeroDriftControl(P, P->lo, P->hi);
}

/* At a state-constraint end the one-sided difference pointing out of the box does not
 * exist: the inward one's control where its drift points inward, else the admissible
 * control nearest to it (the drift-zeroing one: the HACT codes' boundary condition
 * V' = u'(income) at the borrowing limit). */
static PetscErrorCode ConstrainedClosedFormControl(ControlProblem *P, PetscReal *uc)
{
  PetscReal lo, hi, u_in;

  PetscFunctionBeginUser;
  PetscCall(SelfConsistentGreedy(P, P->constrained < 0 ? P->d.pf : P->d.pb, &u_in));
  AdmissibleControls(P, &lo, &hi);
  *uc = P->u[P->c] = PetscMin(PetscMax(u_in, lo), hi);
  PetscFunctionReturn(0);
}

/* Upwind choice of Achdou et al.: forward where its drift is positive, backward where
 * its drift is negative, the drift-zeroing control otherwise.  With the central scheme,
 * the control from the central difference wins wherever the row stays monotone. */
static PetscErrorCode ClosedFormControl(ControlProblem *P, PetscReal *uc)
{
  PetscReal uf = 0, ub = 0, bf, bb, ucur = P->u[P->c]; /* set by the greedies (the compiler cannot see it through PetscCall) */

  PetscFunctionBeginUser;
  if (P->central && !PetscIsInfOrNanReal(P->d.hm)) {
    PetscReal ucen;
    if (P->newton && P->model->ops.greedy_slope) {
      const PetscReal u0 = PetscMin(PetscMax(ucur, P->lo), P->hi);
      PetscReal       g, dg;
      P->u[P->c] = u0;
      (void)P->model->ops.greedy_slope(P->model, P->x, P->c, 1, &P->d.pc, P->d.q, P->u, &g, &dg);
      P->u[P->c] = ucur;
      PetscBool newton;
      PetscCall(NewtonGreedyFrom(P, P->d.pc, u0, g, dg, &ucen, &newton));
    } else PetscCall(SelfConsistentGreedy(P, P->d.pc, &ucen));
    if (CentralIsMonotone(P, ucen)) {
      *uc = P->u[P->c] = ucen;
      PetscFunctionReturn(0);
    }
    P->u[P->c] = ucur;
  }
  if (P->constrained) {
    PetscCall(ConstrainedClosedFormControl(P, uc));
    PetscFunctionReturn(0);
  }
  if (P->newton && P->model->ops.greedy_slope) {
    PetscBool decided;
    PetscCall(NewtonGreedies(P, &uf, &ub, &decided));
    if (decided) {
      *uc = P->u[P->c] = uf;
      PetscFunctionReturn(0);
    }
  } else PetscCall(OneSidedGreedies(P, &uf, &ub));
  if (P->model->drift_increasing && ub >= uf) {
    /* Then bb >= bf, so one drift's sign can decide: bf > 0 for uf, bb < 0 for ub (the
     * same choice as below, one drift fewer).  The control nearer the current one (the
     * last step's choice) first. */
    if (PetscAbsReal(ub - ucur) < PetscAbsReal(uf - ucur)) {
      bb = DriftAlong(P, ub);
      if (bb < 0) {
        *uc = P->u[P->c] = ub;
        PetscFunctionReturn(0);
      }
      bf = DriftAlong(P, uf);
    } else {
      bf = DriftAlong(P, uf);
      if (bf > 0) {
        *uc = P->u[P->c] = uf;
        PetscFunctionReturn(0);
      }
      bb = DriftAlong(P, ub);
    }
  } else {
    bf = DriftAlong(P, uf);
    bb = DriftAlong(P, ub);
  }
  if (bf > 0 && bb < 0) *uc = PartialHamiltonian(P, uf) <= PartialHamiltonian(P, ub) ? uf : ub;
  else if (bf > 0) *uc = uf;
  else if (bb < 0) *uc = ub;
  else if (bf == 0) *uc = uf;
  else if (bb == 0) *uc = ub;
  else *uc = ZeroDriftControl(P, PetscMin(uf, ub), PetscMax(uf, ub));
  P->u[P->c] = *uc;
  PetscFunctionReturn(0);
}

/* Brent's minimization without derivatives on [a, b] (safeguarded parabolic steps). */
static PetscReal BrentMinimize(ControlProblem *P, PetscReal a, PetscReal b, PetscReal x0)
{
  const PetscReal gold = 0.3819660112501051, tol = 1e-12 * (1 + PetscAbsReal(b - a));
  PetscReal       x = x0, w = x0, v = x0, fx = DirectionalHamiltonian(P, x0), fw = fx, fv = fx, d = 0, e = 0;

  for (PetscInt it = 0; it < 200; it++) {
    const PetscReal xm = 0.5 * (a + b), tol1 = tol + 1e-15 * PetscAbsReal(x), tol2 = 2 * tol1;
    PetscReal       uu, fu;
    if (PetscAbsReal(x - xm) <= tol2 - 0.5 * (b - a)) break;
    if (PetscAbsReal(e) > tol1) { /* try a parabola through x, w, v */
      PetscReal r = (x - w) * (fx - fv), q = (x - v) * (fx - fw), p = (x - v) * q - (x - w) * r;
      q = 2 * (q - r);
      if (q > 0) p = -p;
      q = PetscAbsReal(q);
      r = e;
      e = d;
      if (PetscAbsReal(p) >= PetscAbsReal(0.5 * q * r) || p <= q * (a - x) || p >= q * (b - x)) {
        e = (x >= xm ? a : b) - x;
        d = gold * e;
      } else {
        d  = p / q;
        uu = x + d;
        if (uu - a < tol2 || b - uu < tol2) d = x < xm ? tol1 : -tol1;
      }
    } else {
      e = (x >= xm ? a : b) - x;
      d = gold * e;
    }
    uu = x + (PetscAbsReal(d) >= tol1 ? d : (d > 0 ? tol1 : -tol1));
    fu = DirectionalHamiltonian(P, uu);
    if (fu <= fx) {
      if (uu >= x) a = x; else b = x;
      v = w; fv = fw; w = x; fw = fx; x = uu; fx = fu;
    } else {
      if (uu < x) a = uu; else b = uu;
      if (fu <= fw || w == x) { v = w; fv = fw; w = uu; fw = fu; }
      else if (fu <= fv || v == x || v == w) { v = uu; fv = fu; }
    }
  }
  return x;
}

/* Exact minimization of the discrete Hamiltonian over [lo, hi] (its directional form, so
 * the expert reproduces it at the nodes): the best of a uniform sample and the
 * closed-form candidate (if the model has a greedy map), polished by Brent within the
 * neighbouring samples. */
static PetscErrorCode ExactControl(ControlProblem *P, PetscReal *uc)
{
  PetscReal       lo = P->lo, hi = P->hi;
  const PetscInt  ns = P->exact_samples;
  const PetscReal ucur = P->u[P->c];
  PetscReal       h, best, fbest;

  PetscFunctionBeginUser;
  if (P->constrained) AdmissibleControls(P, &lo, &hi);
  h = (hi - lo) / (ns - 1);
  /* No warm start from the current control: the minimizer of a flat Hamiltonian is
   * determined only to about sqrt(eps), so a start-dependent result would differ
   * between the solver's last step and the expert at the same node. */
  P->u[P->c] = PetscMin(PetscMax(0, lo), hi);
  if (P->model->ops.greedy) PetscCall(ClosedFormControl(P, &best));
  else best = P->u[P->c]; /* a model without greedy map: the samples alone */
  best = PetscMin(PetscMax(best, lo), hi);
  fbest = DirectionalHamiltonian(P, best);
  for (PetscInt i = 0; i < ns; i++) {
    const PetscReal t = i == ns - 1 ? hi : lo + i * h, f = DirectionalHamiltonian(P, t);
    if (f < fbest) {
      fbest = f;
      best  = t;
    }
  }
  *uc = BrentMinimize(P, PetscMax(lo, best - h), PetscMin(hi, best + h), best);
  if (DirectionalHamiltonian(P, *uc) > fbest) *uc = best;
  /* A model whose control moves several directions has kinks where each drift changes
   * sign: the sampled search can miss a narrow minimum the current control sits in, and
   * a worse control would break the monotone decrease of policy iteration.  Keep the
   * current control unless the search beats it (no expert at points for these models,
   * so the start may matter). */
  if (P->cross && ucur >= lo && ucur <= hi && DirectionalHamiltonian(P, ucur) <= DirectionalHamiltonian(P, *uc)) *uc = ucur;
  P->u[P->c] = *uc;
  PetscFunctionReturn(0);
}

/* -1 / +1 at the lower / upper end of direction k when that side is a state constraint. */
static PetscInt ConstrainedSide(StkSolver S, const StkNode *node, PetscInt k)
{
  if (node->idx[k] == 0 && S->model->bc[k][0] == STK_BC_STATE_CONSTRAINT) return -1;
  if (node->idx[k] == S->layout.n[k] - 1 && S->model->bc[k][1] == STK_BC_STATE_CONSTRAINT) return 1;
  return 0;
}

/* Improves u at the node; b: the drift at the new u (for the residual; not at Dirichlet nodes). */
static PetscErrorCode ImproveNode(StkSolver S, const StkNode *node, const PetscScalar *Vg, PetscReal u[], PetscReal b[])
{
  ControlProblem P;
  PetscReal      uc;

  PetscFunctionBeginUser;
  P.nmemo     = 0;
  P.memo_next = 0;
  P.S     = S;
  P.node  = node;
  P.Vg    = Vg;
  P.model = S->model;
  P.x     = node->x;
  P.central       = S->central;
  P.exact_samples = S->exact_samples;
  P.cross         = S->model->control_cross;
  P.newton        = S->greedy_newton;
  if (P.cross)
    for (PetscInt k = 0; k < S->model->dim; k++) DifferencesAlong(S, node, Vg, k, &P.dk[k]);
  PetscCall(PetscArraycpy(P.u, u, S->model->nu));
  for (PetscInt c = 0; c < S->model->nu; c++) {
    P.c  = c;
    P.k  = S->model->control_dir[c];
    P.lo = S->model->ulo[c];
    P.hi = S->model->uhi[c];
    DifferencesAlong(S, node, Vg, P.k, &P.d);
    P.constrained = ConstrainedSide(S, node, P.k);
    if (S->greedy == STK_GREEDY_EXACT && !node->dirichlet) PetscCall(ExactControl(&P, &uc));
    else if (S->model->ops.greedy) PetscCall(ClosedFormControl(&P, &uc));
    else uc = P.u[c]; /* a Dirichlet node of a model without greedy map: u does not enter its row */
  }
  PetscCall(PetscArraycpy(u, P.u, S->model->nu));
  if (!node->dirichlet) PetscCall(PetscArraycpy(b, DriftAt(&P), S->model->dim));
  PetscFunctionReturn(0);
}

PetscErrorCode StkModelImprovePoint(StkModel model, const StkSchemeSettings *scheme, const PetscReal x[], PetscInt c, const StkDifferences *d, PetscReal u[])
{
  ControlProblem P;
  PetscReal      uc;

  PetscFunctionBeginUser;
  PetscCheck(!model->control_cross, PETSC_COMM_SELF, PETSC_ERR_SUP, "Model %s: its control moves several directions, so the policy can be improved at the solver's nodes only (use the stored policy: -policy solution)", model->type);
  PetscCall(PetscMemzero(&P, sizeof(P)));
  P.model         = model;
  P.x             = x;
  P.c             = c;
  P.k             = model->control_dir[c];
  P.lo            = model->ulo[c];
  P.hi            = model->uhi[c];
  P.d             = *d;
  P.central       = (PetscBool)(scheme->scheme == STK_SCHEME_CENTRAL);
  P.exact_samples = scheme->exact_samples;
  PetscCall(PetscArraycpy(P.u, u, model->nu));
  if (scheme->greedy == STK_GREEDY_EXACT || !model->ops.greedy) PetscCall(ExactControl(&P, &uc));
  else PetscCall(ClosedFormControl(&P, &uc));
  u[c] = uc;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSchemeImprove(StkSolver S, Vec V_local, Vec u_old, Vec u_new, PetscReal *hjb_residual, PetscInt *changed)
{
  const PetscScalar *Vg, *uo;
  PetscScalar       *un;
  const PetscInt     nu = S->model->nu;
  PetscReal          res = 0, utol[STK_MAX_CONTROLS];
  PetscInt           nchanged = 0;
  StkNode            node;

  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(STK_EVENT_Improve, 0, 0, 0, 0));
  for (PetscInt c = 0; c < nu; c++) utol[c] = 1e-12 * (1 + PetscMin(S->model->uhi[c] - S->model->ulo[c], 1e3));
  PetscCall(VecGetArrayRead(V_local, &Vg));
  PetscCall(VecGetArrayRead(u_old, &uo));
  PetscCall(VecGetArray(u_new, &un));
  for (PetscInt o = 0; o < S->layout.nowned; o++) {
    PetscReal u[STK_MAX_CONTROLS], b[STK_MAX_DIM], H;
    PetscBool moved = PETSC_FALSE;
    PetscCall(StkLayoutNode(S, o, &node));
    for (PetscInt c = 0; c < nu; c++) u[c] = uo[o * nu + c];
    PetscCall(ImproveNode(S, &node, Vg, u, b));
    for (PetscInt c = 0; c < nu; c++) {
      if (PetscAbsReal(u[c] - uo[o * nu + c]) > utol[c]) moved = PETSC_TRUE;
      un[o * nu + c] = u[c];
    }
    nchanged += moved;
    if (!node.dirichlet) {
      PetscCall(NodeHamiltonianWithDrift(S, &node, Vg, u, b, &H));
      res = PetscMax(res, PetscAbsReal(H));
    }
  }
  PetscCall(VecRestoreArray(u_new, &un));
  PetscCall(VecRestoreArrayRead(u_old, &uo));
  PetscCall(VecRestoreArrayRead(V_local, &Vg));
  PetscCall(MPIU_Allreduce(MPI_IN_PLACE, &res, 1, MPIU_REAL, MPIU_MAX, S->comm));
  PetscCall(MPIU_Allreduce(MPI_IN_PLACE, &nchanged, 1, MPIU_INT, MPI_SUM, S->comm));
  *hjb_residual = res;
  *changed      = nchanged;
  PetscCall(PetscLogEventEnd(STK_EVENT_Improve, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverHamiltonian(StkSolver S, Vec V, Vec u, Vec H)
{
  const PetscScalar *Vg, *ua;
  PetscScalar       *Ha;
  StkNode            node;

  PetscFunctionBeginUser;
  PetscCall(DMGlobalToLocal(S->da, V, INSERT_VALUES, S->V_local));
  PetscCall(VecGetArrayRead(S->V_local, &Vg));
  PetscCall(VecGetArrayRead(u, &ua));
  PetscCall(VecGetArray(H, &Ha));
  for (PetscInt o = 0; o < S->layout.nowned; o++) {
    PetscCall(StkLayoutNode(S, o, &node));
    Ha[o] = 0;
    if (!node.dirichlet) PetscCall(StkSchemeNodeHamiltonian(S, &node, Vg, &ua[o * S->model->nu], &Ha[o]));
  }
  PetscCall(VecRestoreArray(H, &Ha));
  PetscCall(VecRestoreArrayRead(u, &ua));
  PetscCall(VecRestoreArrayRead(S->V_local, &Vg));
  PetscFunctionReturn(0);
}
