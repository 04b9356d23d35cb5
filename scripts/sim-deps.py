#!/usr/bin/env python3
"""Which files of src/sim name which other files of src/sim, and the import
cycles among them. A file "names" another when its code (not its comments)
mentions `<module>::` for a sibling module, through `super::`, `crate::sim::`
or a `use` group. The protocol module is the shared vocabulary: edges into it
are allowed and it must name no other module. Exits 1 if any cycle remains
among the other files, or if protocol depends on one of them.

    python3 scripts/sim-deps.py          # the graph, then the verdict
"""
import os, re, sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "sim")
PROTOCOL = "protocol"


def modules():
    mods = {}
    for name in sorted(os.listdir(ROOT)):
        path = os.path.join(ROOT, name)
        if name.endswith(".rs") and name != "mod.rs":
            mods[name[:-3]] = [path]
        elif os.path.isdir(path):
            mods[name] = [os.path.join(dp, f) for dp, _, fs in os.walk(path) for f in fs if f.endswith(".rs")]
    return mods


def code_of(path):
    text = open(path, encoding="utf-8").read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)  # string literals
    return "\n".join(line.split("//")[0] for line in text.splitlines())


def mod_items():
    """Names `mod.rs` defines or re-exports (`super::plugin`, `super::SimClock`)."""
    code = code_of(os.path.join(ROOT, "mod.rs"))
    names = set(re.findall(r"\b(?:fn|struct|enum|type|const|static|trait)\s+([A-Za-z_][A-Za-z_0-9]*)", code))
    for group in re.findall(r"\bpub use [a-z_]+::\{([^}]*)\}", code):
        names |= set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", group))
    names |= set(re.findall(r"\bpub use [a-z_]+::([A-Za-z_][A-Za-z_0-9]*)\s*;", code))
    return names


def top_level(group):
    """The items of a `use` group, nested groups kept whole: `a::{B, C}, D`."""
    items, depth, cur = [], 0, ""
    for ch in group:
        depth += (ch == "{") - (ch == "}")
        if ch == "," and depth == 0:
            items.append(cur)
            cur = ""
        else:
            cur += ch
    return [i for i in items + [cur] if i.strip()]


def edges(mods):
    graph = {m: set() for m in mods}
    items = mod_items()
    for m, paths in mods.items():
        code = "\n".join(code_of(p) for p in paths)
        # `super::x`, `crate::sim::x`, and the members of `use super::{a, b::c}` / `crate::sim::{...}`.
        names = set(re.findall(r"(?:super|crate::sim)::([A-Za-z_][A-Za-z_0-9]*)", code))
        for group in re.findall(r"(?:super|crate::sim)::\{([^}]*(?:\{[^}]*\}[^}]*)*)\}", code):
            names |= {re.match(r"\s*([A-Za-z_][A-Za-z_0-9]*)", item).group(1) for item in top_level(group)}
        graph[m] = {n for n in names if n in mods and n != m}
        if names & items:
            graph[m].add("mod")
    # mod.rs itself: the modules its code (not its `mod` lines) names.
    code = code_of(os.path.join(ROOT, "mod.rs"))
    graph["mod"] = {n for n in re.findall(r"\b([a-z_][a-z_0-9]*)::", code) if n in mods}
    return graph


def cycles(graph):
    """Strongly connected components with more than one file (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
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

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main():
    graph = edges(modules())
    for m in sorted(graph):
        print(f"{m:12} -> {' '.join(sorted(graph[m])) or '-'}")
    bad = 0
    if PROTOCOL in graph and graph[PROTOCOL]:
        print(f"\nprotocol names other modules: {sorted(graph[PROTOCOL])}")
        bad = 1
    found = cycles(graph)
    for comp in found:
        print(f"\ncycle among {len(comp)} files: {' '.join(comp)}")
    if not found and not bad:
        print(f"\nno import cycle among the {len(graph)} modules of src/sim")
    return 1 if (found or bad) else 0


if __name__ == "__main__":
    sys.exit(main())
