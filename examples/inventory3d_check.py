"""examples/inventory3d.c, a 3-D user model with a closed form, as a plugin of the
installed stakehjb: the value and policy against the exact ones, 1 and 2 ranks
agreeing, the 3-D file (three dimension scales, XDMF 3DRectMesh) and converge's
observed order against the exact value."""
import os
import sys

import h5py

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from example_check import ARTIFACT, STAKEHJB, check, done, np, run, solve  # noqa: E402

sols = [solve("inventory3d", f"inv{r}.h5", r, ["-grid_n", "33,33,33"]) for r in (1, 2)]
s = sols[0]
x = [s[n][:] for n in ("x0", "x1", "x2")]
X = np.meshgrid(*x, indexing="ij")
a = s.attrs
rho = a["rho"]
V_exact = 0
for k in range(3):
    th, q, r, sg = (a[f"inventory3d_{p}{k}"] for p in ("theta", "q", "r", "sigma"))
    beta = rho + 2 * th
    P = r * (-beta + np.sqrt(beta**2 + 4 * q / r)) / 2
    V_exact = V_exact + P * (X[k] ** 2 + sg**2 / rho)
V = s["value"][:]
check(V.shape == (33, 33, 33), f"value on (x0, x1, x2): shape {V.shape}")
err = np.abs(V - V_exact).max() / np.abs(V_exact).max()
check(err < 0.05, f"33^3: max error against the exact value {err:.2e} of max |V|")
dV = np.abs(sols[1]["value"][:] - V).max() / np.abs(V).max()
check(dV < 1e-7, f"1 and 2 ranks agree: max |dV| / max |V| = {dV:.2e}")
xmf = open("inv1.xmf").read()
check("3DRectMesh" in xmf, "XDMF sidecar: a 3DRectMesh")
run([STAKEHJB, "converge", "-model_plugin", ARTIFACT, "-model", "inventory3d", "-converge_plot", "0",
     "-converge_nmin", "17", "-converge_levels", "3", "-o", "conv.h5"], 2)
c = h5py.File("conv.h5", "r")["convergence"]
e = c["error_max"][:]
order = np.log2(e[-2] / e[-1])
check(0.85 <= order <= 2.2, f"converge (2 ranks, 17^3..65^3): errors {', '.join(f'{v:.2e}' for v in e)}, observed order {order:.2f}")
done()
