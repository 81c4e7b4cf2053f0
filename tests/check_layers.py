#!/usr/bin/python3
"""The layers, checked in the source: a folder includes its own headers and the public
headers of the folders below it (grids -> agents -> solver -> policy -> experiments ->
cli); a public header never includes a private one (private/).  The build enforces the
same through include directories; this names the offending line.

    check_layers.py SOURCE_ROOT"""
import os, re, sys

LAYERS = ["grids", "agents", "solver", "policy", "experiments", "cli"]
GENERATED = {"stk_version.h"}
GENERATED_IN = {"cli": {"stk_plot_paths.h"}}  # configured into that folder's build directory only


def headers(folder, sub=""):
    d = os.path.join(folder, sub)
    return {f for f in os.listdir(d) if f.endswith(".h")} if os.path.isdir(d) else set()


def main():
    root = sys.argv[1]
    layers = [l for l in LAYERS if os.path.isdir(os.path.join(root, l))]
    public = {l: headers(os.path.join(root, l)) for l in layers}
    private = {l: headers(os.path.join(root, l), "private") for l in layers}
    bad, checked = [], 0
    for i, layer in enumerate(layers):
        allowed = set(GENERATED).union(GENERATED_IN.get(layer, set()), *(public[l] for l in layers[: i + 1]), private[layer])
        for sub in ("", "private"):
            d = os.path.join(root, layer, sub)
            if not os.path.isdir(d):
                continue
            for name in sorted(os.listdir(d)):
                if not name.endswith((".c", ".h")):
                    continue
                for n, line in enumerate(open(os.path.join(d, name)), 1):
                    m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                    if not m:
                        continue
                    checked += 1
                    inc = m.group(1)
                    where = f"{layer}/{sub + '/' if sub else ''}{name}:{n}"
                    if inc not in allowed:
                        bad.append(f"{where}: includes \"{inc}\", not visible to {layer}/")
                    elif sub == "" and name.endswith(".h") and inc in private[layer]:
                        bad.append(f"{where}: public header includes private \"{inc}\"")
    print(f"check_layers: {checked} includes in {', '.join(layers)}; {len(bad)} violation(s)")
    for b in bad:
        print("  " + b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
