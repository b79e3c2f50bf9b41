"""The project's structure, held in place: no import cycle between its modules, no module too big.

Read from the source with ast (nothing is imported): every `import` and `from ... import` counts,
at module level or inside a function, since an import moved into a function hides a cycle from
Python without removing it. Migrations, tests, the benchmarks and the virtualenv are left out.
"""

from __future__ import annotations

import ast
from collections import deque
from itertools import pairwise
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIP = {"migrations", "tests", "bench", ".venv", "node_modules", "static", "staticfiles"}
MAX_LINES = 500


def project_modules(root: Path) -> dict[str, Path]:
    """Dotted module name → file, for every Python file of the project outside SKIP."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if set(parts) & SKIP or any(p.startswith(".") for p in parts):
            continue
        name = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        modules[name] = path
    return modules


def import_graph(root: Path, modules: dict[str, Path]) -> dict[str, dict[str, str]]:
    """module → {imported project module: where ("path:line")}, every import statement counted.

    `from a.b import c` depends on a.b.c when that is a module, else on a.b (the nearest enclosing
    module that exists); relative imports are resolved against the importing module's package."""
    graph: dict[str, dict[str, str]] = {name: {} for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    parts = parts[: len(parts) - node.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    where = f"{path.relative_to(root)}:{node.lineno}"
                    graph[name].setdefault(target, where)
    return graph


def strongly_connected(graph: dict[str, dict[str, str]]) -> list[list[str]]:
    """Tarjan's algorithm: the groups of modules that import each other (directly or not), for
    groups of two or more."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def cycle_through(graph: dict[str, dict[str, str]], component: list[str]) -> list[str]:
    """One shortest import chain from the component's first module back to itself."""
    members = set(component)
    start = component[0]
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        v = queue.popleft()
        for w in sorted(graph[v]):
            if w not in members:
                continue
            if w == start:
                chain = [v]
                while chain[-1] != start:
                    chain.append(came_from[chain[-1]])
                return [start, *reversed(chain[:-1]), start]
            if w not in came_from:
                came_from[w] = v
                queue.append(w)
    return component


def describe_cycles(graph: dict[str, dict[str, str]]) -> list[str]:
    """Each cycle: its modules, one chain around it, and every import inside it (one to cut)."""
    lines = []
    for component in strongly_connected(graph):
        chain = cycle_through(graph, component)
        steps = " → ".join(f"{a} ({graph[a][b]})" for a, b in pairwise(chain))
        inside = "".join(
            f"\n      {a} → {b}  ({graph[a][b]})"
            for a in component
            for b in sorted(graph[a])
            if b in component
        )
        lines.append(
            f"{', '.join(component)}\n    e.g. {steps} → {chain[-1]}\n    imports inside:{inside}"
        )
    return lines


def oversized(modules: dict[str, Path], root: Path) -> list[tuple[int, str]]:
    sizes = ((len(p.read_text(encoding="utf-8").splitlines()), p) for p in modules.values())
    return sorted(((n, str(p.relative_to(root))) for n, p in sizes if n > MAX_LINES), reverse=True)


# --- The project ---------------------------------------------------------------------------------


def test_no_import_cycle_between_the_projects_modules():
    modules = project_modules(ROOT)
    cycles = describe_cycles(import_graph(ROOT, modules))
    if cycles:
        pytest.fail(
            f"{len(cycles)} import cycle(s) between modules (imports inside functions count too):"
            + "".join(f"\n  {cycle}" for cycle in cycles),
            pytrace=False,
        )


def test_no_module_over_500_lines():
    modules = project_modules(ROOT)
    assert modules, f"no module found under {ROOT}"
    big = oversized(modules, ROOT)
    if big:
        pytest.fail(
            f"{len(big)} module(s) over {MAX_LINES} lines (split them by topic):"
            + "".join(f"\n  {path}: {lines} lines" for lines, path in big),
            pytrace=False,
        )


# --- The checker itself, on a small tree ---------------------------------------------------------


def _tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_the_checker_sees_cycles_through_function_level_and_relative_imports(tmp_path):
    _tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/services.py": "from .models import Thing\n",
            "app/models.py": "def f():\n    from app.sheet import g\n",
            "app/sheet.py": "from . import services\n",
            "app/pkg/__init__.py": "from .inner import x\n",
            "app/pkg/inner.py": "from app.pkg import y\n",
            "app/tests/test_x.py": "import app.services\nfrom app import tests\n",
            "app/migrations/0001.py": "from app.services import s\n",
            "other.py": "import app.services\nimport os\n",
        },
    )
    modules = project_modules(tmp_path)
    assert "app.tests.test_x" not in modules and "app.migrations.0001" not in modules
    graph = import_graph(tmp_path, modules)
    assert graph["app.sheet"] == {"app": "app/sheet.py:1", "app.services": "app/sheet.py:1"}
    assert strongly_connected(graph) == [
        ["app.models", "app.services", "app.sheet"],
        ["app.pkg", "app.pkg.inner"],
    ]
    assert cycle_through(graph, ["app.models", "app.services", "app.sheet"]) == [
        "app.models",
        "app.sheet",
        "app.services",
        "app.models",
    ]
    message = describe_cycles(graph)[0]
    assert "app.models (app/models.py:2) → app.sheet (app/sheet.py:1)" in message


def test_the_checker_finds_nothing_in_a_one_way_tree(tmp_path):
    _tree(
        tmp_path,
        {
            "core/__init__.py": "",
            "core/a.py": "import json\n",
            "app/__init__.py": "",
            "app/models.py": "from core.a import x\n",
            "app/services.py": "from .models import M\n\ndef f():\n    from core import a\n",
        },
    )
    graph = import_graph(tmp_path, project_modules(tmp_path))
    assert strongly_connected(graph) == []
    assert oversized(project_modules(tmp_path), tmp_path) == []
