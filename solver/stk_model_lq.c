/* The linear-quadratic test model: a problem with a closed-form value function.
 *
 *   dx = (A x + B u) dt + Sigma dW,   l(x, u) = x'Qx + u'Ru,   x in [-L, L]^d,
 *
 * B, R, Sigma diagonal (control c drives state direction c).  Substituting
 * V = x'Px + c into rho V = min_u {l + (Ax + Bu)'grad V} + 1/2 tr(Sigma Sigma' Hess V)
 * gives u* = -R^-1 B'P x and, matching the quadratic and constant terms,
 *   (A - rho/2 I)'P + P(A - rho/2 I) - P B R^-1 B'P + Q = 0,   c = tr(Sigma'P Sigma)/rho.
 * The box boundary carries the exact V as Dirichlet data.
 *
 * With -lq_terminal_p P_T the model has the terminal cost g(x) = x'P_T x of a finite
 * horizon (-hjb_horizon T); the finite-horizon value is then x'P(t)x + c(t) with the
 * Riccati ODE of docs/model.md#finite-horizon (the Dirichlet data stay the stationary V). */
#include "stk_modelimpl.h"
#include "stk_riccati.h"

#define LQ_NN (STK_MAX_DIM * STK_MAX_DIM)

typedef struct {
  PetscReal A[LQ_NN], B[STK_MAX_DIM], Q[LQ_NN], R[STK_MAX_DIM], Sigma[STK_MAX_DIM];
  PetscReal P[LQ_NN], trace; /* Riccati solution and tr(Sigma'P Sigma) */
  PetscReal L, umax;         /* box half-width and control bound */
  PetscInt  its;             /* Newton-Kleinman iterations */
  PetscReal PT[LQ_NN];       /* terminal cost x'P_T x (-lq_terminal_p) */
  PetscBool has_terminal;
} LQCtx;

static PetscErrorCode LQDrift(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal b[])
{
  const LQCtx   *ctx = (LQCtx *)m->data;
  const PetscInt d   = m->dim;

  for (PetscInt k = 0; k < d; k++) {
    b[k] = ctx->B[k] * u[k];
    for (PetscInt j = 0; j < d; j++) b[k] += ctx->A[k * d + j] * x[j];
  }
  return 0;
}

static PetscErrorCode LQDiffusion(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal a[])
{
  const LQCtx *ctx = (LQCtx *)m->data;

  for (PetscInt k = 0; k < m->dim; k++) a[k] = 0.5 * ctx->Sigma[k] * ctx->Sigma[k];
  return 0;
}

static PetscReal LQQuadratic(PetscInt d, const PetscReal M[], const PetscReal x[])
{
  PetscReal s = 0;

  for (PetscInt i = 0; i < d; i++)
    for (PetscInt j = 0; j < d; j++) s += x[i] * M[i * d + j] * x[j];
  return s;
}

static PetscErrorCode LQCost(StkModel m, const PetscReal x[], const PetscReal u[], PetscReal *l)
{
  const LQCtx *ctx = (LQCtx *)m->data;

  *l = LQQuadratic(m->dim, ctx->Q, x);
  for (PetscInt c = 0; c < m->nu; c++) *l += ctx->R[c] * u[c] * u[c];
  return 0;
}

/* argmin_u R_c u^2 + B_c u p, exact since the drift is affine in u. */
static PetscErrorCode LQGreedy(StkModel m, const PetscReal x[], PetscInt c, PetscReal p, PetscReal q, const PetscReal u[], PetscReal *uc)
{
  const LQCtx    *ctx = (LQCtx *)m->data;
  const PetscReal v   = -ctx->B[c] * p / (2 * ctx->R[c]);

  *uc = PetscMin(PetscMax(v, m->ulo[c]), m->uhi[c]);
  return 0;
}

static PetscErrorCode LQExact(StkModel m, const PetscReal x[], PetscReal *V)
{
  const LQCtx *ctx = (LQCtx *)m->data;

  *V = LQQuadratic(m->dim, ctx->P, x) + ctx->trace / m->rho;
  return 0;
}

static PetscErrorCode LQTerminal(StkModel m, const PetscReal x[], PetscReal *g)
{
  const LQCtx *ctx = (LQCtx *)m->data;

  *g = LQQuadratic(m->dim, ctx->PT, x);
  return 0;
}

/* u* = -R^-1 B'P x (V = x'Px + c, so grad V = 2 P x), clipped to the control bound. */
static PetscErrorCode LQExactPolicy(StkModel m, const PetscReal x[], PetscReal u[])
{
  const LQCtx   *ctx = (LQCtx *)m->data;
  const PetscInt d   = m->dim;

  for (PetscInt c = 0; c < d; c++) {
    PetscReal Px = 0;
    for (PetscInt j = 0; j < d; j++) Px += ctx->P[c * d + j] * x[j];
    u[c] = PetscMin(PetscMax(-ctx->B[c] * Px / ctx->R[c], m->ulo[c]), m->uhi[c]);
  }
  return 0;
}

/* Reads `name` as exactly `count` values into `value` (unchanged if the option is absent).
 * -help shows only the first entry of an array, so the help string lists them all. */
static PetscErrorCode LQOptionsArray(PetscOptionItems *PetscOptionsObject, const char name[], const char what[], PetscInt count, const char shape[], PetscReal value[], PetscBool *given)
{
  PetscReal buf[LQ_NN + 1] = {0}; /* one spare slot: PETSc silently drops values beyond nmax */
  PetscInt  n = LQ_NN + 1;
  char      help[256];
  size_t    len;
  PetscBool set;

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(help, sizeof(help), "%s (now ", what));
  for (PetscInt i = 0; i < count; i++) {
    PetscCall(PetscStrlen(help, &len));
    PetscCall(PetscSNPrintf(help + len, sizeof(help) - len, "%s%.10g", i ? "," : "", (double)value[i]));
  }
  PetscCall(PetscStrlcat(help, ")", sizeof(help)));
  PetscCall(PetscArraycpy(buf, value, count));
  PetscCall(PetscOptionsRealArray(name, help, "StkModelSetFromOptions", buf, &n, &set));
  if (given) *given = set;
  if (!set) PetscFunctionReturn(0);
  PetscCheck(n == count, PetscOptionsObject->comm, PETSC_ERR_USER_INPUT, "-%s%s needs %" PetscInt_FMT " values (%s), got %" PetscInt_FMT "%s", PetscOptionsObject->prefix ? PetscOptionsObject->prefix : "", name + 1, count, shape, n, n > LQ_NN ? " or more" : "");
  PetscCall(PetscArraycpy(value, buf, count));
  PetscFunctionReturn(0);
}

/* Determinant of the principal submatrix of M (d x d) on the rows and columns in the bit
 * set `set`; *size is its order (at most 3). */
static PetscReal LQPrincipalMinor(PetscInt d, const PetscReal M[], PetscInt set, PetscInt *size)
{
  PetscInt i[STK_MAX_DIM], n = 0;

  for (PetscInt k = 0; k < d; k++)
    if ((set >> k) & 1) i[n++] = k;
  *size = n;
#define E(r, c) M[i[r] * d + i[c]]
  if (n == 1) return E(0, 0);
  if (n == 2) return E(0, 0) * E(1, 1) - E(0, 1) * E(1, 0);
  return E(0, 0) * (E(1, 1) * E(2, 2) - E(1, 2) * E(2, 1)) - E(0, 1) * (E(1, 0) * E(2, 2) - E(1, 2) * E(2, 0)) + E(0, 2) * (E(1, 0) * E(2, 1) - E(1, 1) * E(2, 0));
#undef E
}

static PetscErrorCode LQCheck(StkModel m)
{
  const LQCtx   *ctx  = (LQCtx *)m->data;
  const PetscInt d    = m->dim;
  PetscReal      qmax = 0; /* scale of the symmetry and semidefiniteness tolerances */
  char           pre[256];

  PetscFunctionBeginUser;
  PetscCall(StkModelComposePrefix(m, NULL, pre, sizeof(pre)));
  for (PetscInt i = 0; i < d * d; i++) qmax = PetscMax(qmax, PetscAbsReal(ctx->Q[i]));
  for (PetscInt c = 0; c < d; c++) PetscCheck(ctx->R[c] > 0, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sr must be > 0, got %g (entry %" PetscInt_FMT ")", pre, (double)ctx->R[c], c);
  for (PetscInt k = 0; k < d; k++) PetscCheck(ctx->Sigma[k] >= 0, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%ssigma: negative volatility %g (entry %" PetscInt_FMT ")", pre, (double)ctx->Sigma[k], k);
  for (PetscInt i = 0; i < d; i++) {
    PetscCheck(ctx->Q[i * d + i] >= 0, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sq must be positive semidefinite, got diagonal entry %g", pre, (double)ctx->Q[i * d + i]);
    for (PetscInt j = 0; j < i; j++)
      PetscCheck(PetscAbsReal(ctx->Q[i * d + j] - ctx->Q[j * d + i]) <= 1e-12 * qmax, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sq must be symmetric, got Q[%" PetscInt_FMT "][%" PetscInt_FMT "] = %g != Q[%" PetscInt_FMT "][%" PetscInt_FMT "] = %g", pre, i, j, (double)ctx->Q[i * d + j], j, i, (double)ctx->Q[j * d + i]);
  }
  for (PetscInt i = 0; ctx->has_terminal && i < d; i++) {
    PetscCheck(ctx->PT[i * d + i] >= 0, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sterminal_p: diagonal entry %.6g is out of range: P_T must be positive semidefinite", pre, (double)ctx->PT[i * d + i]);
    for (PetscInt j = 0; j < i; j++) PetscCheck(ctx->PT[i * d + j] == ctx->PT[j * d + i], m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sterminal_p: P_T must be symmetric, got P_T[%" PetscInt_FMT "][%" PetscInt_FMT "] = %.6g != P_T[%" PetscInt_FMT "][%" PetscInt_FMT "] = %.6g", pre, i, j, (double)ctx->PT[i * d + j], j, i, (double)ctx->PT[j * d + i]);
  }
  /* positive semidefinite iff every principal minor is >= 0 (the 1x1 ones are checked above) */
  for (PetscInt set = 1; set < (1 << d); set++) {
    PetscInt        size = 0;
    const PetscReal minor = LQPrincipalMinor(d, ctx->Q, set, &size);
    if (size < 2) continue;
    PetscCheck(minor >= -1e-12 * PetscPowRealInt(qmax, size), m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sq must be positive semidefinite, got determinant %g of a %" PetscInt_FMT "x%" PetscInt_FMT " principal submatrix", pre, (double)minor, size, size);
  }
  for (PetscInt set = 1; ctx->has_terminal && set < (1 << d); set++) {
    PetscInt        size = 0;
    const PetscReal minor = LQPrincipalMinor(d, ctx->PT, set, &size);
    if (size < 2) continue;
    PetscCheck(minor >= 0, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sterminal_p: P_T must be positive semidefinite, got determinant %.6g of a %" PetscInt_FMT "x%" PetscInt_FMT " principal submatrix", pre, (double)minor, size, size);
  }
  PetscCheck(ctx->L > 0, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sbox must be > 0, got %g", pre, (double)ctx->L);
  PetscCheck(ctx->umax > 0, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sumax must be > 0, got %g", pre, (double)ctx->umax);
  PetscFunctionReturn(0);
}

/* Box and control bounds follow -lq_box and -lq_umax. */
static void LQApplyBoxAndBounds(StkModel m)
{
  const LQCtx *ctx = (LQCtx *)m->data;

  for (PetscInt k = 0; k < m->dim; k++) {
    m->box_lo[k] = -ctx->L;
    m->box_hi[k] = ctx->L;
    m->ulo[k]    = -ctx->umax;
    m->uhi[k]    = ctx->umax;
  }
}

static PetscErrorCode LQSetFromOptions(StkModel m, PetscOptionItems *PetscOptionsObject)
{
  LQCtx         *ctx = (LQCtx *)m->data;
  const PetscInt d   = m->dim;
  char           dd[32], diag[32];
  PetscBool      terminal = PETSC_FALSE;

  PetscFunctionBeginUser;
  if (d == 1) PetscCall(PetscStrncpy(dd, "1x1", sizeof(dd)));
  else PetscCall(PetscSNPrintf(dd, sizeof(dd), "row-major %" PetscInt_FMT "x%" PetscInt_FMT, d, d));
  if (d == 1) PetscCall(PetscStrncpy(diag, "1 diagonal entry", sizeof(diag)));
  else PetscCall(PetscSNPrintf(diag, sizeof(diag), "%" PetscInt_FMT " diagonal entries", d));
  PetscOptionsHeadBegin(PetscOptionsObject, "LQ test model");
  PetscCall(LQOptionsArray(PetscOptionsObject, "-a", d == 1 ? "Drift coefficient A (1/yr)" : "Drift matrix A, row-major (1/yr)", d * d, dd, ctx->A, NULL));
  PetscCall(LQOptionsArray(PetscOptionsObject, "-b", "Control loadings B, diagonal (1/yr)", d, diag, ctx->B, NULL));
  PetscCall(LQOptionsArray(PetscOptionsObject, "-q", d == 1 ? "State cost Q >= 0" : "State cost Q, symmetric PSD, row-major", d * d, dd, ctx->Q, NULL));
  PetscCall(LQOptionsArray(PetscOptionsObject, "-r", "Control costs R > 0, diagonal", d, diag, ctx->R, NULL));
  PetscCall(LQOptionsArray(PetscOptionsObject, "-sigma", "Volatilities Sigma >= 0, diagonal (1/sqrt(yr))", d, diag, ctx->Sigma, NULL));
  PetscCall(LQOptionsArray(PetscOptionsObject, "-terminal_p", d == 1 ? "Terminal cost x'P_T x of a finite horizon (-hjb_horizon), P_T >= 0 (default: no terminal cost)" : "Terminal cost x'P_T x of a finite horizon (-hjb_horizon), P_T symmetric PSD, row-major (default: no terminal cost)", d * d, dd, ctx->PT, &terminal));
  PetscCall(PetscOptionsReal("-box", "Half-width L of the box [-L, L]^d", "StkModelSetFromOptions", ctx->L, &ctx->L, NULL));
  PetscCall(PetscOptionsReal("-umax", "Control bound |u_c| <= umax (the formulation is unbounded; keep it generous)", "StkModelSetFromOptions", ctx->umax, &ctx->umax, NULL));
  PetscOptionsHeadEnd();
  if (terminal) ctx->has_terminal = PETSC_TRUE;
  m->ops.terminal = ctx->has_terminal ? LQTerminal : NULL;
  PetscCall(LQCheck(m));
  LQApplyBoxAndBounds(m);
  PetscFunctionReturn(0);
}

static PetscErrorCode LQSetUp(StkModel m)
{
  LQCtx         *ctx = (LQCtx *)m->data;
  const PetscInt d   = m->dim;

  PetscFunctionBeginUser;
  PetscCall(LQCheck(m));
  LQApplyBoxAndBounds(m);
  PetscCall(StkRiccatiSolve(d, ctx->A, ctx->B, ctx->Q, ctx->R, m->rho, ctx->P, &ctx->its));
  ctx->trace = 0;
  for (PetscInt k = 0; k < d; k++) ctx->trace += ctx->Sigma[k] * ctx->Sigma[k] * ctx->P[k * d + k];
  PetscFunctionReturn(0);
}

static PetscErrorCode LQViewMatrix(PetscViewer viewer, const char name[], PetscInt rows, PetscInt cols, const PetscReal M[])
{
  PetscFunctionBeginUser;
  PetscCall(PetscViewerASCIIPrintf(viewer, "%-6s", name));
  PetscCall(PetscViewerASCIIUseTabs(viewer, PETSC_FALSE));
  for (PetscInt i = 0; i < rows; i++) {
    PetscCall(PetscViewerASCIIPrintf(viewer, i ? " ; " : " ["));
    for (PetscInt j = 0; j < cols; j++) PetscCall(PetscViewerASCIIPrintf(viewer, " %.10g", (double)M[i * cols + j]));
  }
  PetscCall(PetscViewerASCIIPrintf(viewer, " ]\n"));
  PetscCall(PetscViewerASCIIUseTabs(viewer, PETSC_TRUE));
  PetscFunctionReturn(0);
}

static PetscErrorCode LQView(StkModel m, PetscViewer viewer)
{
  const LQCtx   *ctx = (LQCtx *)m->data;
  const PetscInt d   = m->dim;

  PetscFunctionBeginUser;
  PetscCall(PetscViewerASCIIPrintf(viewer, "dx = (A x + B u) dt + Sigma dW, cost x'Qx + u'Ru, box [-%g, %g]^%" PetscInt_FMT ", |u| <= %g\n", (double)ctx->L, (double)ctx->L, d, (double)ctx->umax));
  PetscCall(LQViewMatrix(viewer, "A", d, d, ctx->A));
  PetscCall(LQViewMatrix(viewer, "B", 1, d, ctx->B));
  PetscCall(LQViewMatrix(viewer, "Q", d, d, ctx->Q));
  PetscCall(LQViewMatrix(viewer, "R", 1, d, ctx->R));
  PetscCall(LQViewMatrix(viewer, "Sigma", 1, d, ctx->Sigma));
  if (ctx->has_terminal) PetscCall(LQViewMatrix(viewer, "P_T", d, d, ctx->PT));
  if (m->setupcalled) {
    PetscCall(LQViewMatrix(viewer, "P", d, d, ctx->P));
    PetscCall(PetscViewerASCIIPrintf(viewer, "V(x) = x'Px + %.10g (tr(Sigma'P Sigma)/rho); Riccati: %" PetscInt_FMT " Newton-Kleinman steps, residual %.3g\n", (double)(ctx->trace / m->rho), ctx->its, (double)StkRiccatiResidual(d, ctx->A, ctx->B, ctx->Q, ctx->R, m->rho, ctx->P)));
  }
  PetscFunctionReturn(0);
}

/* M as attributes prefix_ij (or prefix_i for a diagonal): written, or read when `load`. */
static PetscErrorCode LQMatrixAttributes(StkH5 file, const char group[], const char prefix[], PetscInt rows, PetscInt cols, PetscReal M[], const char units[], PetscBool load)
{
  char          name[64];
  StkModelParam par;

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < rows; i++)
    for (PetscInt j = 0; j < cols; j++) {
      if (rows > 1) PetscCall(PetscSNPrintf(name, sizeof(name), "%s_%" PetscInt_FMT "%" PetscInt_FMT, prefix, i, j));
      else PetscCall(PetscSNPrintf(name, sizeof(name), "%s_%" PetscInt_FMT, prefix, j));
      par = (StkModelParam){name, &M[i * cols + j], units};
      if (load) PetscCall(StkModelLoadParams(file, group, 1, &par));
      else PetscCall(StkModelWriteParams(file, group, 1, &par));
    }
  PetscFunctionReturn(0);
}

/* The data of the problem (not P, the trace term and the Riccati iterations, which
 * set-up derives from them), written or read. */
static PetscErrorCode LQData(StkModel m, StkH5 file, const char group[], PetscBool load)
{
  LQCtx         *ctx = (LQCtx *)m->data;
  const PetscInt d   = m->dim;

  PetscFunctionBeginUser;
  PetscCall(LQMatrixAttributes(file, group, "lq_a", d, d, ctx->A, "1/yr", load));
  PetscCall(LQMatrixAttributes(file, group, "lq_b", 1, d, ctx->B, "1/yr", load));
  PetscCall(LQMatrixAttributes(file, group, "lq_q", d, d, ctx->Q, "1", load));
  PetscCall(LQMatrixAttributes(file, group, "lq_r", 1, d, ctx->R, "1", load));
  PetscCall(LQMatrixAttributes(file, group, "lq_sigma", 1, d, ctx->Sigma, "1/sqrt(yr)", load));
  PetscFunctionReturn(0);
}

static PetscErrorCode LQAttributes(StkModel m, StkH5 file, const char group[])
{
  LQCtx              *ctx     = (LQCtx *)m->data;
  const PetscInt      d       = m->dim;
  const StkModelParam bounds[] = {{"lq_box", &ctx->L, "1"}, {"lq_umax", &ctx->umax, "1"}};
  const StkModelParam trace    = {"lq_trace_term", &ctx->trace, "1"};

  PetscFunctionBeginUser;
  PetscCall(LQData(m, file, group, PETSC_FALSE));
  PetscCall(LQMatrixAttributes(file, group, "lq_p", d, d, ctx->P, "1", PETSC_FALSE));
  PetscCall(StkModelWriteParams(file, group, 1, &trace));
  PetscCall(StkModelWriteParams(file, group, 2, bounds));
  PetscCall(StkH5WriteAttributeInt(file, group, "lq_riccati_iterations", ctx->its));
  if (ctx->has_terminal) PetscCall(LQMatrixAttributes(file, group, "lq_terminal_p", d, d, ctx->PT, "1", PETSC_FALSE));
  PetscFunctionReturn(0);
}

static PetscErrorCode LQLoad(StkModel m, StkH5 file, const char group[])
{
  LQCtx              *ctx     = (LQCtx *)m->data;
  const StkModelParam bounds[] = {{"lq_box", &ctx->L, "1"}, {"lq_umax", &ctx->umax, "1"}};

  PetscFunctionBeginUser;
  PetscCall(LQData(m, file, group, PETSC_TRUE));
  PetscCall(StkModelLoadParams(file, group, 2, bounds));
  PetscCall(StkH5HasAttribute(file, group, m->dim == 1 ? "lq_terminal_p_0" : "lq_terminal_p_00", &ctx->has_terminal)); /* only files of a finite horizon with one */
  if (ctx->has_terminal) PetscCall(LQMatrixAttributes(file, group, "lq_terminal_p", m->dim, m->dim, ctx->PT, "1", PETSC_TRUE));
  m->ops.terminal = ctx->has_terminal ? LQTerminal : NULL;
  PetscFunctionReturn(0);
}

static PetscErrorCode LQDestroy(StkModel m)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree(m->data));
  PetscFunctionReturn(0);
}

/* Defaults per dimension; the 3-D data extend the 2-D ones by a third, weakly coupled
 * direction (Q positive definite, A stable). */
static void LQDefaults(LQCtx *ctx, PetscInt d)
{
  static const PetscReal A1[1] = {-0.5}, Q1[1] = {1}, B1[1] = {1}, R1[1] = {1}, S1[1] = {0.3};
  static const PetscReal A2[4] = {-0.5, 0.2, 0.1, -0.3}, Q2[4] = {1, 0.3, 0.3, 0.8};
  static const PetscReal B2[2] = {1, 0.8}, R2[2] = {1, 0.5}, S2[2] = {0.3, 0.2};
  static const PetscReal A3[9] = {-0.5, 0.2, 0, 0.1, -0.3, 0.1, 0, 0.1, -0.4}, Q3[9] = {1, 0.3, 0.1, 0.3, 0.8, 0.2, 0.1, 0.2, 0.6};
  static const PetscReal B3[3] = {1, 0.8, 0.6}, R3[3] = {1, 0.5, 0.8}, S3[3] = {0.3, 0.2, 0.25};
  const PetscReal       *A = d == 1 ? A1 : d == 2 ? A2 : A3, *Q = d == 1 ? Q1 : d == 2 ? Q2 : Q3;
  const PetscReal       *B = d == 1 ? B1 : d == 2 ? B2 : B3, *R = d == 1 ? R1 : d == 2 ? R2 : R3, *S = d == 1 ? S1 : d == 2 ? S2 : S3;

  for (PetscInt i = 0; i < d * d; i++) {
    ctx->A[i] = A[i];
    ctx->Q[i] = Q[i];
  }
  for (PetscInt k = 0; k < d; k++) {
    ctx->B[k]     = B[k];
    ctx->R[k]     = R[k];
    ctx->Sigma[k] = S[k];
  }
  ctx->L    = 1.0;
  ctx->umax = 1e3;
}

PetscErrorCode StkModelCreate_LQ(StkModel m)
{
  LQCtx *ctx;

  PetscFunctionBeginUser;
  PetscCheck(m->dim >= 1 && m->dim <= 3, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sdim must be 1, 2 or 3 for the lq model, got %" PetscInt_FMT, m->prefix ? m->prefix : "", m->dim);
  PetscCall(PetscNew(&ctx));
  LQDefaults(ctx, m->dim);
  m->data = ctx;
  m->nu   = m->dim;
  for (PetscInt k = 0; k < m->dim; k++) {
    m->control_dir[k] = k;
    m->bc[k][0] = m->bc[k][1] = STK_BC_DIRICHLET;
    m->stretch[k]             = 0;
    PetscCall(PetscSNPrintf(m->names[k], sizeof(m->names[k]), "x%" PetscInt_FMT, k));
  }
  LQApplyBoxAndBounds(m);
  m->type_class         = "lq_";
  m->ops.setfromoptions = LQSetFromOptions;
  m->ops.setup          = LQSetUp;
  m->ops.view           = LQView;
  m->ops.destroy        = LQDestroy;
  m->ops.drift          = LQDrift;
  m->ops.diffusion      = LQDiffusion;
  m->ops.cost           = LQCost;
  m->ops.greedy         = LQGreedy;
  m->ops.dirichlet      = LQExact;
  m->ops.exact          = LQExact;
  m->ops.exact_policy   = LQExactPolicy;
  m->ops.attributes     = LQAttributes;
  m->ops.load           = LQLoad;
  PetscFunctionReturn(0);
}
