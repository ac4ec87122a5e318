"""The project's floors, checked on every run: an app imports only from its own floor or
below, apps of one floor do not import each other (but for the allowed pairs), and no module
of an app takes part in an import cycle, lazy (function-level) imports included.

Floors (docs/architecture.md): core < accounts, communes, sectors < cooperatives
< diagnostics < reports, operations, privacy, offline < reless_platform. Migrations are left
out: they name other apps' migrations by Django's dependency graph, not by import.
"""

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FLOORS = {"core": 0, "accounts": 1, "communes": 1, "sectors": 1, "cooperatives": 2,
          "diagnostics": 3, "support": 3, "reports": 4, "operations": 4, "privacy": 4,
          "offline": 4, "reless_platform": 5}
# support reads diagnostics' year filter and amount bound (never the reverse).
SAME_FLOOR_ALLOWED = {("operations", "reports"), ("privacy", "reports"), ("operations", "privacy"),
                     ("privacy", "offline"), ("support", "diagnostics")}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_files(app: str):
    return sorted(p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts)


def imports_of(path: Path):
    """(imported name, line) for every import in the file, at any depth; a `from x import y`
    yields both `x` and `x.y`, since y may be a module."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module
            yield prefix, node.lineno
            for alias in node.names:
                yield f"{prefix}.{alias.name}", node.lineno


def project_imports():
    for app in FLOORS:
        for path in source_files(app):
            for name, line in imports_of(path):
                if name.split(".")[0] in FLOORS:
                    yield module_name(path), name, line


def floor_violations(edges) -> list[str]:
    found = set()
    for source, target, line in edges:
        a, b = source.split(".")[0], target.split(".")[0]
        if a == b:
            continue
        if FLOORS[b] > FLOORS[a] or (FLOORS[b] == FLOORS[a] and (a, b) not in SAME_FLOOR_ALLOWED):
            found.add(f"{source} (line {line}) imports {target}")
    return sorted(found)


def cycles(edges, modules: set[str]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    graph = defaultdict(set)
    for source, target, _line in edges:
        if target in modules and target != source and not source.startswith(target + "."):
            graph[source].add(target)
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    for root in sorted(modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def all_modules() -> set[str]:
    return {module_name(p) for app in FLOORS for p in source_files(app)}


def test_every_app_folder_has_a_floor():
    apps = {p.parent.name for p in ROOT.glob("*/apps.py")}
    assert apps <= set(FLOORS)


def test_no_import_runs_up_a_floor_or_sideways():
    assert floor_violations(list(project_imports())) == []


def test_no_import_cycle():
    assert cycles(list(project_imports()), all_modules()) == []


@pytest.mark.parametrize("edges, expected", [
    ([("cooperatives.views", "reports.runs", 3)],
     ["cooperatives.views (line 3) imports reports.runs"]),
    ([("communes.api", "sectors.models", 1)], ["communes.api (line 1) imports sectors.models"]),
    ([("reports.tasks", "operations.bench", 2)],
     ["reports.tasks (line 2) imports operations.bench"]),
    ([("operations.setup", "reports.tasks", 2), ("diagnostics.x", "core.api", 1)], []),
])
def test_the_floor_check_names_each_violation(edges, expected):
    assert floor_violations(edges) == expected


def test_the_cycle_check_finds_a_lazy_circle():
    edges = [("a.x", "a.y", 1), ("a.y", "a.z", 9), ("a.z", "a.x", 40), ("a.z", "a.w", 2)]
    assert cycles(edges, {"a.x", "a.y", "a.z", "a.w"}) == [["a.x", "a.y", "a.z"]]


MAX_MODULE_LINES = 500


def test_no_module_grows_past_the_size_a_reader_holds():
    """Past about 500 lines a module mixes concerns; split it by concern instead."""
    sizes = {module_name(p): len(p.read_text(encoding="utf-8").splitlines())
             for app in FLOORS for p in source_files(app)}
    assert {m: n for m, n in sizes.items() if n > MAX_MODULE_LINES} == {}
