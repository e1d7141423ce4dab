"""The package's import structure: no cycles, every module importable alone.

- No import cycle between modules of pynn_tinysim, counting imports inside
  functions too (a function-level import that only breaks a cycle hides it).
- No private name (``_something``) imported from another module: what another
  module needs is public, documented API.
- Every module imports on its own, in a fresh interpreter with nothing of
  pynn_tinysim loaded before it (one child process; pynn_tinysim's modules are
  dropped from ``sys.modules`` between two imports, so each starts from nothing).
"""

import ast
import pathlib
import subprocess
import sys

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "pynn_tinysim"


def _module_name(path):
    parts = ("pynn_tinysim",) + path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name, path):
    """(target module, imported names, line) for every pynn_tinysim import in the module."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == "pynn_tinysim" or target.startswith("pynn_tinysim."):
                yield target, [a.name for a in node.names], node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("pynn_tinysim"):
                    yield alias.name, [], node.lineno


def _graph():
    edges = {}
    for name, path in MODULES.items():
        targets = set()
        for target, names, _ in _imports(name, path):
            for imported in names or [None]:
                sub = f"{target}.{imported}"
                targets.add(sub if imported and sub in MODULES else target)
        # a module's own ancestors run first anyway; they are not an edge of a cycle
        edges[name] = {t for t in targets
                       if t in MODULES and t != name and not name.startswith(t + ".")}
    return edges


def _cycles(edges):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
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

    for v in edges:
        if v not in index:
            visit(v)
    return found


def test_module_list_is_complete():
    assert {"pynn_tinysim", "pynn_tinysim.connectors", "pynn_tinysim.projections",
            "pynn_tinysim.engine.network", "pynn_tinysim.spinnaker.connectors"} <= set(MODULES)


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle():
    edges = _graph()
    assert edges["pynn_tinysim.projections"], "the import graph is empty: parser broken"
    cycles = _cycles(edges)
    assert not cycles, "import cycles:\n" + "\n".join(
        "  " + " <-> ".join(c) for c in cycles)


def test_no_private_name_crosses_modules():
    crossing = []
    for name, path in MODULES.items():
        for target, names, line in _imports(name, path):
            if target == name or target not in MODULES:
                continue
            for imported in names:
                if imported.startswith("_") and not imported.startswith("__") \
                        and f"{target}.{imported}" not in MODULES:
                    crossing.append(f"{path.relative_to(PACKAGE)}:{line}: {imported} from {target}")
    assert not crossing, "private names imported from another module:\n" + "\n".join(crossing)


_IMPORT_EACH = """
import importlib, sys, traceback
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "pynn_tinysim" or m.startswith("pynn_tinysim.")
                   or m == "pyNN.tinysim" or m.startswith("pyNN.tinysim.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception:
        failed.append(name + ": " + traceback.format_exc().strip().splitlines()[-1])
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


@pytest.mark.slow       # a fresh interpreter per module (~12 s)
def test_each_module_imports_alone():
    names = [n for n in MODULES if not n.endswith("__main__")]
    proc = subprocess.run([sys.executable, "-c", _IMPORT_EACH, *names],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, "modules that do not import alone:\n" + proc.stdout + proc.stderr
