"""The seal_core import graph (read with ``ast``, every import including deferred ones): no cycle, no streamlit."""

from __future__ import annotations

import ast
from pathlib import Path

import seal_core

ROOT = Path(seal_core.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py")) if p.name != "conftest.py"}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(name: str, path: Path, modules: dict[str, Path]) -> list[str]:
    """Every module ``name`` imports, absolute, at any depth (``if TYPE_CHECKING`` blocks left out)."""
    is_pkg = path.name == "__init__.py"
    out: list[str] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for sub in child.orelse:
                    visit(sub)
                continue
            if isinstance(child, ast.Import):
                out.extend(a.name for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = name.split(".") if is_pkg else name.split(".")[:-1]
                    base = base[: len(base) - child.level + 1]
                    module = ".".join([*base, child.module] if child.module else base)
                else:
                    module = child.module or ""
                subs = [f"{module}.{a.name}" for a in child.names if f"{module}.{a.name}" in modules]
                # `from pkg import submodule` imports the submodule (a parent package is imported by any of its
                # submodules anyway); `from pkg import name` imports the package's __init__
                out.extend(subs)
                if len(subs) < len(child.names):
                    out.append(module)
            visit(child)

    visit(ast.parse(path.read_text(), filename=str(path)))
    return out


def import_graph() -> dict[str, set[str]]:
    """seal_core module → the seal_core modules it imports."""
    modules = _modules()
    return {
        name: {m for m in _imports(name, path, modules) if m in modules and m != name}
        for name, path in modules.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return found


def test_cycle_detection_finds_a_planted_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_seal_core_has_no_import_cycle():
    graph = import_graph()
    assert len(graph) > 20  # the walk found the package
    found = cycles(graph)
    assert not found, "import cycles in seal_core: " + "; ".join(" ↔ ".join(c) for c in found)


def test_seal_core_never_imports_streamlit():
    modules = _modules()
    offenders = sorted(
        name
        for name, path in modules.items()
        if any(m == "streamlit" or m.startswith("streamlit.") for m in _imports(name, path, modules))
    )
    assert not offenders, f"seal_core modules importing streamlit: {offenders}"


def test_no_seal_core_module_over_400_lines():
    long = {name: n for name, path in _modules().items() if (n := len(path.read_text().splitlines())) > 400}
    assert not long, f"seal_core modules over 400 lines (split them by job): {long}"


def test_every_package_declares_its_public_names():
    import importlib

    for init in sorted(ROOT.rglob("__init__.py")):
        package = importlib.import_module(_module_name(init))
        names = getattr(package, "__all__", None)
        assert names, f"{package.__name__} has no __all__"
        missing = [n for n in names if not hasattr(package, n)]
        assert not missing, f"{package.__name__}.__all__ names what it does not define: {missing}"


def test_importing_seal_core_loads_no_heavy_or_ui_library():
    import subprocess
    import sys

    code = "import sys, seal_core; print(sorted(m for m in ('torch', 'streamlit', 'statsmodels') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# The layers of the README's Architecture section, bottom first; a module may import its own layer and those below.
LAYERS = [
    [
        "seal_core.errors",
        "seal_core.options",
        "seal_core.storage",
        "seal_core.safe_io",
        "seal_core.table_io",
        "seal_core.redact",
        "seal_core.snapshots",
    ],
    ["seal_core.data"],
    ["seal_core.models", "seal_core.precision", "seal_core.batching"],
    [
        "seal_core.scoring",
        "seal_core.features",
        "seal_core.perturb",
        "seal_core.editing",
        "seal_core.review",
        "seal_core.ray_engine",
    ],  # fmt: skip
    ["seal_core.metrics"],
    [
        "seal_core.analysis",
        "seal_core.robustness",
        "seal_core.selfcheck",
        "seal_core.synthetic",
        "seal_core.preset",
        "seal_core.glossary",
    ],  # fmt: skip
    ["seal_core.cli", "seal_core.story", "seal_core.testing", "seal_core.__main__", "seal_core"],
]


def _layer(module: str) -> int | None:
    hits = [
        (len(p), i) for i, prefixes in enumerate(LAYERS) for p in prefixes if module == p or module.startswith(p + ".")
    ]
    return max(hits)[1] if hits else None


def test_every_module_imports_only_its_layer_and_those_below():
    graph = import_graph()
    unplaced = sorted(m for m in graph if _layer(m) is None)
    assert not unplaced, f"place these modules in a layer (tests/test_import_graph.py LAYERS, README): {unplaced}"
    upward = [f"{a} -> {b}" for a, bs in sorted(graph.items()) for b in sorted(bs) if _layer(b) > _layer(a)]
    assert not upward, f"imports that reach up a layer: {upward}"
