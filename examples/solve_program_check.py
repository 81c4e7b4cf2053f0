"""examples/solve_program.c: the library's call sequence in a program; its model has no
greedy map (the solver uses the exact minimization) and a closed-form value."""
import os
import sys

import h5py

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from example_check import ARTIFACT, check, done, np, run  # noqa: E402

files = []
for r in (1, 2):
    out = run([ARTIFACT, "-o", f"ou{r}.h5"], r)
    check("greedy exact (the model has no greedy map)" in out, f"{r} rank(s): the view says greedy exact")
    s = h5py.File(f"ou{r}.h5", "r")["solution"]
    files.append(s)
    x, V, a = s["x0"][:], s["value"][:], s.attrs
    rho, k, sg = a["rho"], a["ou_lq_k"], a["ou_lq_sigma"]
    P = (-(rho + 2 * k) + np.sqrt((rho + 2 * k) ** 2 + 4)) / 2
    err = np.abs(V - (P * x**2 + sg**2 * P / rho)).max()
    check(err < 0.03, f"{r} rank(s): max error against the closed form {err:.2e}")
    check(a["greedy"] == b"exact", f"{r} rank(s): greedy attribute 'exact'")
dV = np.abs(files[0]["value"][:] - files[1]["value"][:]).max()
check(dV < 1e-7, f"1 and 2 ranks agree: max |dV| = {dV:.2e}")
done()
