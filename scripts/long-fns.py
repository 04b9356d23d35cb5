#!/usr/bin/env python3
"""Functions longer than a limit (default 80 lines), from `fn` to its closing
brace, in the given folders (default: src). A function may stay longer when
the comment just above it says why, with the word "long" in it; those are
listed apart. Exits 1 if any other function is over the limit.

    python3 scripts/long-fns.py [--limit N] [folder ...]
"""
import os, re, sys

def functions(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    for i, line in enumerate(lines):
        m = re.match(r"^(\s*)(?:pub(?:\([^)]*\))?\s+)?(?:const\s+|async\s+)?fn\s+(\w+)", line)
        if not m:
            continue
        indent = m.group(1)
        end = i
        # the body ends at the first line with the same indent that closes it
        while end < len(lines) and not (lines[end].startswith(indent + "}") and lines[end].strip() in ("}", "};")):
            if end > i and lines[end].startswith(indent) and lines[end].rstrip().endswith(";") and "{" not in "".join(lines[i:end]):
                break
            end += 1
        doc = []
        j = i - 1
        while j >= 0 and re.match(r"^\s*(///|//|#\[)", lines[j]):
            doc.append(lines[j])
            j -= 1
        yield m.group(2), i + 1, end - i + 1, "\n".join(doc)

def main():
    args = sys.argv[1:]
    limit = 80
    if args[:1] == ["--limit"]:
        limit, args = int(args[1]), args[2:]
    roots = args or ["src"]
    over, excused = [], []
    for root in roots:
        for dp, _, fs in os.walk(root):
            for f in sorted(fs):
                if f.endswith(".rs"):
                    p = os.path.join(dp, f)
                    for name, line, n, doc in functions(p):
                        if n > limit:
                            (excused if re.search(r"\blong\b", doc, re.I) else over).append((n, f"{p}:{line}", name))
    for n, where, name in sorted(over, reverse=True):
        print(f"{n:4} lines  {where}  {name}")
    for n, where, name in sorted(excused, reverse=True):
        print(f"{n:4} lines  {where}  {name}  (its comment says why)")
    return 1 if over else 0

if __name__ == "__main__":
    sys.exit(main())
