#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The tree's shape, checked: no include cycle between files, no call cycle between object files,
and every include and call goes down the layers (basic <- boot <- image, admin <- update <- programs).

Usage: layers.py BUILD_DIR   (the objects of `make all`, BUILD_DIR/obj/...)"""
import os
import re
import subprocess
import sys

# A layer and the layers it may use, itself included.
LAYERS = {
    "src/basic": {"src/basic"},
    "src/boot": {"src/basic", "src/boot"},
    "src/image": {"src/basic", "src/boot", "src/image"},
    "src/admin": {"src/basic", "src/boot", "src/admin"},
    "src/update": {"src/basic", "src/boot", "src/admin", "src/update"},
    "initramfs/init": {"src/basic", "src/boot", "initramfs/init"},
    "initramfs/mkinitramfs": {"src/basic", "src/boot", "src/image", "initramfs/mkinitramfs"},
    "src/koompi-boot": {"src/basic", "src/boot", "src/admin", "src/koompi-boot"},
    "src/packages": {"src/basic", "src/boot", "src/admin", "src/packages"},
    "src/pkgworker": {"src/basic", "src/boot", "src/admin", "src/packages", "src/pkg-common", "src/pkgworker"},
    "src/agent": {"src/basic", "src/boot", "src/admin", "src/update", "src/packages", "src/agent"},
    "src/koompi": {"src/basic", "src/packages", "src/koompi"},
    "src/release": {"src/basic", "src/boot", "src/admin", "src/update", "src/release"},
    "src/pkg-common": {"src/basic", "src/pkg-common"},
    "src/pkg-flatpak": {"src/basic", "src/pkg-common", "src/pkg-flatpak"},
    "src/pkg-aur": {"src/basic", "src/boot", "src/admin", "src/update", "src/packages", "src/pkg-common", "src/pkg-aur"},
}


def sources():
    out = []
    for layer in LAYERS:
        for f in sorted(os.listdir(layer)):
            if f.endswith((".c", ".h")):
                out.append(os.path.join(layer, f))
    return out


def sccs(graph):
    """Tarjan's strongly connected components with more than one node."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def layer_of(path):
    return os.path.dirname(path)


def include_graph(files):
    by_name = {}
    for f in files:
        by_name.setdefault(os.path.basename(f), []).append(f)
    graph, problems = {}, []
    for f in files:
        allowed = LAYERS[layer_of(f)]
        for line in open(f, encoding="utf-8", errors="replace"):
            m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
            if not m:
                continue
            # The header the compiler finds: the file's own folder first, then the layers below.
            cands = [c for c in by_name.get(m.group(1), []) if layer_of(c) in allowed]
            if not cands:
                problems.append(f"{f} includes \"{m.group(1)}\", which is not in a layer it may use")
                continue
            mine = [c for c in cands if layer_of(c) == layer_of(f)]
            graph.setdefault(f, set()).add((mine or cands)[0])
    # A .c and its own .h are one unit for the cycle check.
    unit = lambda p: p[:-2]
    g = {}
    for a, bs in graph.items():
        for b in bs:
            if unit(a) != unit(b):
                g.setdefault(unit(a), set()).add(unit(b))
    return g, problems


def call_graph(build):
    defined, undefined = {}, {}
    for layer in LAYERS:
        d = os.path.join(build, "obj", layer)
        if not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            if not f.endswith(".o"):
                continue
            src = os.path.join(layer, f[:-2])
            out = subprocess.run(["nm", os.path.join(d, f)], capture_output=True, text=True, check=True).stdout
            for line in out.splitlines():
                parts = line.split()
                if len(parts) == 2 and parts[0] == "U":
                    undefined.setdefault(src, set()).add(parts[1])
                elif len(parts) == 3 and parts[1] in "TDBRVW":
                    defined.setdefault(parts[2], src)
    graph, problems = {}, []
    for src, syms in undefined.items():
        for s in syms:
            owner = defined.get(s)
            if owner is None or owner == src:
                continue
            if layer_of(owner) not in LAYERS[layer_of(src)]:
                problems.append(f"{src} calls {s} of {owner}, a layer above it")
            graph.setdefault(src, set()).add(owner)
    return graph, problems


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    passed = failed = 0
    inc, p1 = include_graph(sources())
    calls, p2 = call_graph(build)
    checks = [
        ("includes go down the layers", p1),
        ("no include cycle between files", [" -> ".join(c) for c in sccs(inc)]),
        ("calls go down the layers", p2),
        ("no call cycle between files", [" <-> ".join(c) for c in sccs(calls)]),
    ]
    for name, problems in checks:
        if problems:
            failed += 1
            print(f"FAIL: {name}:")
            for p in problems:
                print(f"  {p}")
        else:
            passed += 1
            print(f"ok: {name}")
    print(f"layers: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
