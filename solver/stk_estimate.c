/* A-posteriori error estimate from the grid sequence (stk_hjb.h, docs/accuracy.md): each
 * grid records what the estimate needs after its solve (V and the policy at the
 * reference point, the largest change from the next coarser grid) and after its density
 * (stationary mean and standard deviation of each state); the user's grid then compares
 * itself with the two coarser grids by Richardson's rule. */
#include "stk_hjbimpl.h"

static PetscBool IsGood(PetscReal v)
{
  return (PetscBool)!PetscIsInfOrNanReal(v);
}

/* max |V - V_coarse| over the owned nodes with even indices in every direction: the
 * nodes the coarser grid shares, where no interpolation error enters. */
static PetscErrorCode SharedNodeDifference(StkSolver S, PetscReal *diff)
{
  const PetscScalar *v, *vc;
  PetscReal          d = 0;
  StkNode            node;

  PetscFunctionBeginUser;
  PetscCall(VecGetArrayRead(S->V, &v));
  PetscCall(VecGetArrayRead(S->V_coarse, &vc));
  for (PetscInt o = 0; o < S->layout.nowned; o++) {
    PetscBool shared = PETSC_TRUE;
    PetscCall(StkLayoutNode(S, o, &node));
    for (PetscInt k = 0; k < S->layout.dim; k++) shared = (PetscBool)(shared && node.idx[k] % 2 == 0);
    if (shared) d = PetscMax(d, PetscAbsReal(PetscRealPart(v[o] - vc[o])));
  }
  PetscCall(VecRestoreArrayRead(S->V_coarse, &vc));
  PetscCall(VecRestoreArrayRead(S->V, &v));
  PetscCall(MPIU_Allreduce(MPI_IN_PLACE, &d, 1, MPIU_REAL, MPIU_MAX, S->comm));
  *diff = d;
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverRecordSolution(StkSolver S)
{
  StkLevelRecord *r = &S->chain[0];
  PetscReal       ref[STK_MAX_DIM];

  PetscFunctionBeginUser;
  PetscCall(StkModelGetReferencePoint(S->model, ref));
  PetscCall(StkGridInterpolateVec(S->grid, S->V, 1, 0, ref, &r->value_ref));
  PetscCall(StkGridInterpolateVec(S->grid, S->u, S->model->nu, 0, ref, &r->policy_ref));
  PetscCall(VecNorm(S->V, NORM_INFINITY, &r->value_absmax));
  r->diff_max = (PetscReal)NAN;
  if (S->V_coarse) PetscCall(SharedNodeDifference(S, &r->diff_max));
  r->has_density = PETSC_FALSE;
  r->set         = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/* Mean and standard deviation of each state under the density g (dual-cell quadrature),
 * summed in natural order on rank 0 and broadcast, so every rank count gives the same bits
 * (and only rank 0 holds the whole field). */
static PetscErrorCode DensityMoments(StkSolver S, PetscReal mean[], PetscReal sd[])
{
  Vec                g_all;
  const PetscScalar *g;
  const PetscReal   *x[STK_MAX_DIM], *w[STK_MAX_DIM];
  PetscInt           total, dim = S->layout.dim;
  PetscReal          m1[STK_MAX_DIM] = {0}, m2[STK_MAX_DIM] = {0};

  PetscFunctionBeginUser;
  for (PetscInt k = 0; k < dim; k++) {
    PetscCall(StkGridGetCoordinates(S->grid, k, &x[k]));
    PetscCall(StkGridGetDualWidths(S->grid, k, &w[k]));
  }
  PetscCall(StkGridGatherFieldToZero(S->grid, S->density, &g_all));
  PetscCall(VecGetSize(g_all, &total));
  PetscCall(VecGetArrayRead(g_all, &g));
  for (PetscInt i = 0; i < total; i++) {
    PetscInt  rest = i, idx[STK_MAX_DIM];
    PetscReal mass = PetscRealPart(g[i]);
    for (PetscInt k = 0; k < dim; k++) {
      idx[k] = rest % S->layout.n[k];
      rest /= S->layout.n[k];
      mass *= w[k][idx[k]];
    }
    for (PetscInt k = 0; k < dim; k++) {
      m1[k] += mass * x[k][idx[k]];
      m2[k] += mass * x[k][idx[k]] * x[k][idx[k]];
    }
  }
  PetscCall(VecRestoreArrayRead(g_all, &g));
  PetscCall(VecDestroy(&g_all));
  PetscCallMPI(MPI_Bcast(m1, STK_MAX_DIM, MPIU_REAL, 0, S->comm));
  PetscCallMPI(MPI_Bcast(m2, STK_MAX_DIM, MPIU_REAL, 0, S->comm));
  for (PetscInt k = 0; k < dim; k++) {
    mean[k] = m1[k];
    sd[k]   = PetscSqrtReal(PetscMax(m2[k] - m1[k] * m1[k], 0));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverRecordDensity(StkSolver S)
{
  StkLevelRecord *r = &S->chain[0];
  PetscReal       first;

  PetscFunctionBeginUser;
  if (!r->set) PetscFunctionReturn(0);
  PetscCall(VecMax(S->density, NULL, &first));
  r->has_density = IsGood(first); /* NaN where a Dirichlet face absorbs */
  if (r->has_density) PetscCall(DensityMoments(S, r->mean, r->std));
  PetscFunctionReturn(0);
}

/* The order observed from two successive differences d0 (finest) and d1, NaN unless
 * regular: one sign, 0.5 <= p <= 4. */
static PetscReal ObservedOrder(PetscReal d0, PetscReal d1)
{
  if (IsGood(d1) && d0 != 0 && d1 != 0 && d0 * d1 > 0) {
    const PetscReal p = PetscLog2Real(d1 / d0);
    if (p >= 0.5 && p <= 4) return p;
  }
  return (PetscReal)NAN;
}

/* Richardson's rule for Q on three grids (q2 NaN: only two): the error of q0 is
 * |q0 - q1| / (2^p - 1), p this quantity's observed order where regular, else p_fallback.
 * A scalar's error can change sign between grids, making |q0 - q1| small by chance: the
 * previous difference, scaled by 2^-p, bounds it from below. */
static void Estimate(PetscReal q0, PetscReal q1, PetscReal q2, PetscReal p_fallback, StkEstimatedQuantity *e)
{
  const PetscReal d0 = q0 - q1, d1 = q1 - q2;

  e->value      = q0;
  e->order      = ObservedOrder(d0, d1);
  e->order_used = IsGood(e->order) ? e->order : p_fallback;
  {
    const PetscReal scale = PetscPowReal(2, e->order_used);
    const PetscReal diff  = IsGood(d1) ? PetscMax(PetscAbsReal(d0), PetscAbsReal(d1) / scale) : PetscAbsReal(d0);
    e->error              = IsGood(d0) ? diff / (scale - 1) : (PetscReal)NAN;
  }
}

PetscErrorCode StkSolverUpdateEstimate(StkSolver S)
{
  const StkLevelRecord *c = S->chain;
  StkErrorEstimate     *e = &S->est;
  const PetscReal       nan = (PetscReal)NAN;
  PetscReal             pV;

  PetscFunctionBeginUser;
  e->levels = 1 + (c[1].set ? 1 : 0) + (c[1].set && c[2].set ? 1 : 0);
  { /* the max-norm differences of V, >= 0; the upwind scheme's order 1 when not observed */
    const PetscReal d0 = c[0].diff_max, d1 = c[1].set ? c[1].diff_max : nan;
    e->value_max.value      = c[0].value_absmax;
    e->value_max.order      = ObservedOrder(d0, d1);
    e->value_max.order_used = IsGood(e->value_max.order) ? e->value_max.order : 1;
    e->value_max.error      = IsGood(d0) ? d0 / (PetscPowReal(2, e->value_max.order_used) - 1) : nan;
  }
  pV = e->value_max.order_used;
  Estimate(c[0].value_ref, c[1].set ? c[1].value_ref : nan, c[2].set ? c[2].value_ref : nan, pV, &e->value_reference);
  Estimate(c[0].policy_ref, c[1].set ? c[1].policy_ref : nan, c[2].set ? c[2].policy_ref : nan, pV, &e->policy_reference);
  for (PetscInt k = 0; k < STK_MAX_DIM; k++) {
    const PetscBool in = (PetscBool)(k < S->layout.dim && c[0].has_density);
    const PetscBool h1 = (PetscBool)(in && c[1].set && c[1].has_density), h2 = (PetscBool)(h1 && c[2].set && c[2].has_density);
    Estimate(in ? c[0].mean[k] : nan, h1 ? c[1].mean[k] : nan, h2 ? c[2].mean[k] : nan, pV, &e->mean[k]);
    Estimate(in ? c[0].std[k] : nan, h1 ? c[1].std[k] : nan, h2 ? c[2].std[k] : nan, pV, &e->std[k]);
  }
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverGetErrorEstimate(StkSolver S, StkErrorEstimate *estimate)
{
  PetscFunctionBeginUser;
  PetscCheck(S->solved, S->comm, PETSC_ERR_ORDER, "Solve before asking for the error estimate");
  *estimate = S->est;
  PetscFunctionReturn(0);
}

/* One quantity as the summary prints it: value +- error (order). */
static PetscErrorCode ViewQuantity(PetscViewer viewer, const char what[], const StkEstimatedQuantity *q)
{
  PetscFunctionBeginUser;
  if (!IsGood(q->value)) PetscFunctionReturn(0);
  if (!IsGood(q->error)) PetscCall(PetscViewerASCIIPrintf(viewer, "%-28s %.8g\n", what, (double)q->value));
  else if (IsGood(q->order)) PetscCall(PetscViewerASCIIPrintf(viewer, "%-28s %.8g +- %.2e (observed order %.2f)\n", what, (double)q->value, (double)q->error, (double)q->order));
  else PetscCall(PetscViewerASCIIPrintf(viewer, "%-28s %.8g +- %.2e (order %.2f assumed)\n", what, (double)q->value, (double)q->error, (double)q->order_used));
  PetscFunctionReturn(0);
}

PetscErrorCode StkErrorEstimateView(const StkErrorEstimate *e, StkModel model, PetscViewer viewer)
{
  PetscInt dim;
  char     what[64];

  PetscFunctionBeginUser;
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(PETSC_COMM_WORLD, &viewer));
  if (e->levels < 2) {
    PetscCall(PetscViewerASCIIPrintf(viewer, "error estimate: none (no coarser grid was solved; -hjb_error_estimate computes one)\n"));
    PetscFunctionReturn(0);
  }
  PetscCall(PetscViewerASCIIPrintf(viewer, "error estimate (Richardson, %" PetscInt_FMT " grids; docs/accuracy.md):\n", e->levels));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  if (IsGood(e->value_max.order)) PetscCall(PetscViewerASCIIPrintf(viewer, "%-28s %.2e (%.2e of max |V|, observed order %.2f)\n", "max error of V", (double)e->value_max.error, (double)(e->value_max.error / e->value_max.value), (double)e->value_max.order));
  else PetscCall(PetscViewerASCIIPrintf(viewer, "%-28s %.2e (%.2e of max |V|, order %.2f assumed)\n", "max error of V", (double)e->value_max.error, (double)(e->value_max.error / e->value_max.value), (double)e->value_max.order_used));
  PetscCall(ViewQuantity(viewer, "V at the reference point", &e->value_reference));
  PetscCall(ViewQuantity(viewer, "u at the reference point", &e->policy_reference));
  PetscCall(StkModelGetDimension(model, &dim));
  for (PetscInt k = 0; k < dim; k++) {
    const char *name;
    PetscCall(StkModelGetStateName(model, k, &name));
    PetscCall(PetscSNPrintf(what, sizeof(what), "stationary mean of %s", name));
    PetscCall(ViewQuantity(viewer, what, &e->mean[k]));
    PetscCall(PetscSNPrintf(what, sizeof(what), "stationary sd of %s", name));
    PetscCall(ViewQuantity(viewer, what, &e->std[k]));
  }
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(0);
}

/* Attributes NAME, NAME_error_estimate, NAME_order (observed; NaN if not) of one quantity. */
static PetscErrorCode WriteQuantity(StkH5 file, const char group[], const char name[], const StkEstimatedQuantity *q, const char units[])
{
  char attr[96];

  PetscFunctionBeginUser;
  if (!IsGood(q->value)) PetscFunctionReturn(0);
  PetscCall(StkH5WriteAttributeReal(file, group, name, q->value, units));
  PetscCall(PetscSNPrintf(attr, sizeof(attr), "%s_error_estimate", name));
  PetscCall(StkH5WriteAttributeReal(file, group, attr, q->error, units));
  PetscCall(PetscSNPrintf(attr, sizeof(attr), "%s_order", name));
  PetscCall(StkH5WriteAttributeReal(file, group, attr, q->order, "1"));
  PetscFunctionReturn(0);
}

/* The field |V - V_coarse| / (2^p - 1) at every node (between the coarse nodes it also
 * holds the coarse grid's interpolation error, second order). */
static PetscErrorCode WriteEstimateField(StkSolver S, StkH5 file, const char group[])
{
  Vec       e;
  PetscReal factor = 1 / (PetscPowReal(2, S->est.value_max.order_used) - 1);

  PetscFunctionBeginUser;
  PetscCall(VecDuplicate(S->V, &e));
  PetscCall(VecWAXPY(e, -1.0, S->V_coarse, S->V));
  PetscCall(VecAbs(e));
  PetscCall(VecScale(e, factor));
  PetscCall(StkH5WriteField(file, group, "value_error_estimate", S->grid, e, 1, NULL, "1", "estimated discretization error of V: |V - V_2h| / (2^p - 1), V_2h the next coarser grid's solution interpolated"));
  PetscCall(VecDestroy(&e));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSolverWriteEstimate(StkSolver S, StkH5 file, const char group[])
{
  const StkErrorEstimate *e = &S->est;
  char                    name[64];

  PetscFunctionBeginUser;
  PetscCall(StkH5WriteAttributeInt(file, group, "error_estimate_levels", e->levels));
  if (e->levels < 2) PetscFunctionReturn(0);
  PetscCall(StkH5WriteAttributeReal(file, group, "value_max_error_estimate", e->value_max.error, "1"));
  PetscCall(StkH5WriteAttributeReal(file, group, "value_max_error_order", e->value_max.order, "1"));
  PetscCall(StkH5WriteAttributeReal(file, group, "error_estimate_order_used", e->value_max.order_used, "1"));
  PetscCall(WriteQuantity(file, group, "value_at_reference", &e->value_reference, "1"));
  PetscCall(WriteQuantity(file, group, "policy_at_reference", &e->policy_reference, "1/yr"));
  for (PetscInt k = 0; k < S->layout.dim; k++) {
    const char *state;
    PetscCall(StkModelGetStateName(S->model, k, &state));
    PetscCall(PetscSNPrintf(name, sizeof(name), "stationary_mean_%s", state));
    PetscCall(WriteQuantity(file, group, name, &e->mean[k], "1"));
    PetscCall(PetscSNPrintf(name, sizeof(name), "stationary_sd_%s", state));
    PetscCall(WriteQuantity(file, group, name, &e->std[k], "1"));
  }
  PetscCall(WriteEstimateField(S, file, group));
  PetscFunctionReturn(0);
}
