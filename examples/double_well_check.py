"""examples/double_well.c as a plugin of the installed stakehjb: the double well's
symmetry and policy direction, the quadratic well against its Riccati value, 1 and 2
ranks agreeing, -help, converge, plot."""
import os
import sys

import h5py

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from example_check import ARTIFACT, STAKEHJB, check, done, np, run, solve  # noqa: E402

# The double well: V(x) = V(-x), u(-x) = -u(x), pushed towards the wells from outside.
dw = [solve("double_well", f"dw{r}.h5", r) for r in (1, 2)]
x, V, u = dw[0]["x"][:], dw[0]["value"][:], dw[0]["policy"][:]
scale = np.abs(V).max()
check(np.abs(V - V[::-1]).max() <= 1e-7 * scale, f"V symmetric: max |V(x) - V(-x)| = {np.abs(V - V[::-1]).max():.2e}")
# (the upwind choice at the barrier's top, where V' changes sign, is one-sided: not there)
off = np.abs(x) > 0.05
du = np.abs(u + u[::-1])[off].max()
check(du <= 1e-6, f"u antisymmetric for |x| > 0.05: max |u(x) + u(-x)| = {du:.2e}")
check(u[np.argmin(abs(x - 1.5))] < 0 < u[np.argmin(abs(x + 1.5))], "u(1.5) < 0 < u(-1.5): towards the wells")
check(V[np.argmin(abs(x))] > V[np.argmin(abs(x - 1))], "V(0) > V(1): the top of the barrier costs more")
dV = np.abs(dw[1]["value"][:] - V).max() / scale
check(dV <= 1e-6, f"1 and 2 ranks agree: max |dV| / max |V| = {dV:.2e}")
check(dw[0].attrs["double_well_a"] == 1.0 and dw[0].attrs["greedy"] == b"closed_form", "parameters and greedy written")
g = dw[0]["density"][:]
check(abs(np.trapz(g, x) - 1) < 1e-6 and abs(g - g[::-1]).max() <= 2e-3 * g.max(), f"density: mass {np.trapz(g, x):.6f}, symmetric to {abs(g - g[::-1]).max() / g.max():.1e} of its max")
check(os.path.exists("dw1.xmf"), "XDMF written")

# The quadratic well is the 1-D LQ: V = P x^2 + sigma^2 P / rho.
for r in (1, 2):
    s = solve("quadratic_well", f"qw{r}.h5", r, ["-quadratic_well_sigma", "0.4"])
    x, V, a = s["x"][:], s["value"][:], s.attrs
    rho, q, rr, sg = a["rho"], a["quadratic_well_q"], a["quadratic_well_r"], a["quadratic_well_sigma"]
    P = rr * (-rho + np.sqrt(rho**2 + 4 * q / rr)) / 2
    err = np.abs(V - (P * x**2 + sg**2 * P / rho)).max()
    check(err < 0.05 * np.abs(V).max() and err < 0.04, f"quadratic well on {r} rank(s): max error against the Riccati value {err:.2e}")

# -help lists the plugin's parameters; converge measures the order against the exact V.
out = run([STAKEHJB, "solve", "-model_plugin", ARTIFACT, "-model", "double_well", "-hjb_monitor", "-o", "mon.h5"], 2)
check(" HJB |dV|/|V|" in out and "grid sequencing, level 4" in out, "-hjb_monitor and grid sequencing on 2 ranks")
out = run([STAKEHJB, "solve", "-model_plugin", ARTIFACT, "-model", "double_well", "-help"])
check("-double_well_sigma" in out and "-model_plugin" in out, "-help lists -double_well_sigma and -model_plugin")
run([STAKEHJB, "converge", "-model_plugin", ARTIFACT, "-model", "quadratic_well", "-converge_plot", "0", "-o", "conv.h5"], 2)
c = h5py.File("conv.h5", "r")["convergence"]
names = list(c)
err = c["error_max"][:] if "error_max" in names else c[[n for n in names if "err" in n][0]][:]
order = np.log2(err[-2] / err[-1])
check(0.9 <= order <= 1.2, f"converge (2 ranks): observed order {order:.3f} against the exact value")
out = run([STAKEHJB, "plot", "dw1.h5", "-o", "plots"])
check(os.path.exists("plots/dw1_value.png"), "stakehjb plot of a plugin model's file")
done()
