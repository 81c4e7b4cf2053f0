/* The SDE environment: Euler-Maruyama for ds = b(s, z, u) dt + sigma_s(s) dW_s,
 * s reflected into [0, 1].  Noise keyed by (seed, 0, step, path, stream s). */
#include "stk_simimpl.h"

static PetscErrorCode SDEReset(StkSim sim)
{
  PetscFunctionBeginUser;
  sim->s = sim->set.s0;
  PetscFunctionReturn(0);
}

static PetscErrorCode SDEShock(StkSim sim, uint32_t step, PetscReal frac)
{
  PetscFunctionBeginUser;
  sim->s -= frac * sim->s;
  PetscFunctionReturn(0);
}

/* Reflection at 0 and 1 keeps the law of a reflected diffusion to first order; the
 * clamp catches a step so large that the reflected point overshoots the other end. */
static inline PetscReal ReflectUnit(PetscReal s)
{
  if (s < 0) s = -s;
  if (s > 1) s = 2 - s;
  return PetscMin(PetscMax(s, (PetscReal)0), (PetscReal)1);
}

static PetscErrorCode SDEStep(StkSim sim, uint32_t step, PetscReal u)
{
  const StkAgentParams *p   = &sim->p;
  const PetscReal       dt  = sim->set.dt, vol = StkAgentsVolatility(p, sim->s);
  PetscReal             s   = sim->s + StkAgentsDrift(p, sim->s, sim->z, u) * dt;

  PetscFunctionBeginUser;
  if (vol > 0) {
    StkRng rng;
    StkRngInit(&rng, StkSimSeed(sim), 0, step, sim->path, STK_RNG_STREAM_S);
    s += vol * PetscSqrtReal(dt) * StkRngNormal(&rng);
  }
  sim->s = ReflectUnit(s);
  PetscFunctionReturn(0);
}

static PetscErrorCode SDEView(StkSim sim, PetscViewer viewer)
{
  PetscFunctionBeginUser;
  PetscCall(PetscViewerASCIIPrintf(viewer, "Euler-Maruyama, s reflected into [0, 1]; staking noise sigma0 %g 1/sqrt(yr)\n", (double)sim->p.sigma0));
  PetscFunctionReturn(0);
}

PetscErrorCode StkSimSetOps_SDE(StkSim sim)
{
  PetscFunctionBeginUser;
  sim->ops.reset = SDEReset;
  sim->ops.shock = SDEShock;
  sim->ops.step  = SDEStep;
  sim->ops.view  = SDEView;
  PetscFunctionReturn(0);
}
