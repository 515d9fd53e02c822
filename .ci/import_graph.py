"""The import graph of our packages, by part: modules, arrows, and cycles (grimp, the graph library
under import-linter). For reviews of a reorganisation: run it on two checkouts and compare.

    .venv/bin/python .ci/import_graph.py                  # this checkout's packages
    PYTHONPATH=<src dirs of another checkout> .venv/bin/python .ci/import_graph.py ess_shared ess_intake ...

A part is a subpackage right below a root (`ess_core.messaging`, `ess_intake.domain`) with all it
holds, or a module right below a root (`ess_core.refusals`, `ess_intake.bootstrap`). It prints the
counts, each arrow between parts with its number of module imports, and every cycle between modules and
between parts (a strongly connected set of two or more).
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable, Mapping

import grimp

ROOTS = ("ess_contracts", "ess_core", "ess_views", "ess_ops", "ess_intake", "ess_funding", "ess_evaluation")


def parts_of(graph: grimp.ImportGraph) -> dict[str, str]:
    """Each module's part: its first two names (the root package itself is a part of its own)."""
    return {module: ".".join(module.split(".")[:2]) for module in graph.modules}


def part_arrows(graph: grimp.ImportGraph, part: Mapping[str, str]) -> Counter[tuple[str, str]]:
    arrows: Counter[tuple[str, str]] = Counter()
    for importer in graph.modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            if part[importer] != part[imported]:
                arrows[part[importer], part[imported]] += 1
    return arrows


def cycles(nodes: Iterable[str], edges: Mapping[str, set[str]]) -> list[list[str]]:
    """Strongly connected sets of two nodes or more (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(nodes):
        if node not in index:
            visit(node)
    return found


def main(roots: list[str]) -> None:
    sys.setrecursionlimit(10_000)
    graph = grimp.build_graph(*roots)
    modules = sorted(graph.modules)
    imports = sum(len(graph.find_modules_directly_imported_by(m)) for m in modules)
    part = parts_of(graph)
    arrows = part_arrows(graph, part)
    edges: dict[str, set[str]] = {}
    for source, target in arrows:
        edges.setdefault(source, set()).add(target)
    parts = set(part.values())
    module_edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in modules}
    print(f"roots: {' '.join(roots)}")
    print(f"modules: {len(modules)}; imports between them: {imports}")
    print(f"parts: {len(parts)}; arrows between parts: {len(arrows)}")
    print(f"module cycles: {len(cycles(modules, module_edges))}; part cycles: {len(cycles(parts, edges))}")
    for group in cycles(parts, edges):
        print("  part cycle: " + " <-> ".join(group))
    roots_arrows: Counter[tuple[str, str]] = Counter()
    for (source, target), count in arrows.items():
        if source.split(".")[0] != target.split(".")[0]:
            roots_arrows[source.split(".")[0], target.split(".")[0]] += count
    print(
        "arrows between roots: "
        + ", ".join(f"{s} -> {t} ({n})" for (s, t), n in sorted(roots_arrows.items()))
    )
    for (source, target), count in sorted(arrows.items()):
        print(f"  {source} -> {target} ({count})")


if __name__ == "__main__":
    main(sys.argv[1:] or list(ROOTS))
