"""What ``import pyNN.tinysim`` imports: PyNN's optional csa (and through it
matplotlib) waits for a CSAConnector (pynn_tinysim/_deferred.py)."""

import importlib.util
import json
import subprocess
import sys
import textwrap

import pytest

from pynn_tinysim import _deferred


def _package(tmp_path, name, body):
    package = tmp_path / name
    package.mkdir()
    (package / "__init__.py").write_text(textwrap.dedent(body))
    (package / "sub.py").write_text("WHERE = 'sub'\n")
    return package


def test_deferred_package_runs_at_its_first_attribute(tmp_path, monkeypatch):
    name = "tinysim_deferred_probe"
    package = _package(tmp_path, name, """
        import pathlib
        pathlib.Path(__file__).with_name("ran").write_text("1")
        VALUE = 42
    """)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, name, raising=False)
    _deferred.defer_optional_imports((name,))
    import tinysim_deferred_probe as probe      # the import statement: nothing runs
    assert not (package / "ran").exists()
    assert probe.__name__ == name and probe.__path__
    assert probe.VALUE == 42                     # the first attribute: the package runs
    assert (package / "ran").exists()
    assert sys.modules[name] is probe and type(probe) is type(sys)
    from tinysim_deferred_probe import sub      # its submodules import as usual
    assert sub.WHERE == "sub"
    monkeypatch.delitem(sys.modules, name + ".sub")


def test_deferred_package_that_fails_raises_at_first_use(tmp_path, monkeypatch):
    name = "tinysim_deferred_broken"
    _package(tmp_path, name, "raise ImportError('no backend for this package')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, name, raising=False)
    _deferred.defer_optional_imports((name,))
    import tinysim_deferred_broken as broken
    with pytest.raises(ImportError, match="no backend"):
        broken.anything
    assert name not in sys.modules          # as a failed import leaves it


def test_missing_or_imported_packages_are_left_alone(monkeypatch):
    _deferred.defer_optional_imports(("tinysim_no_such_package",))
    assert "tinysim_no_such_package" not in sys.modules
    before = sys.modules["json"] if "json" in sys.modules else __import__("json")
    _deferred.defer_optional_imports(("json",))
    assert sys.modules["json"] is before


_IMPORT = textwrap.dedent("""
    import sys
    import pyNN.tinysim as sim
    import pyNN.connectors
    print("matplotlib.pyplot" in sys.modules, pyNN.connectors.haveCSA)
""")


def test_import_does_not_load_matplotlib_through_csa():
    """csa is found (PyNN's haveCSA as without the deferral) but not run; matplotlib,
    which csa imports, is not imported by ``import pyNN.tinysim``."""
    out = subprocess.run([sys.executable, "-c", _IMPORT], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[0] == "False"
    assert out[1] == str(importlib.util.find_spec("csa") is not None)


def test_csa_connector_after_the_deferral():
    """A CSAConnector (csa's own objects, built after the import) connects as csa says."""
    csa = pytest.importorskip("csa")     # (a test extra: installed where the suite runs)
    code = textwrap.dedent("""
        import json
        import pyNN.tinysim as sim
        import csa
        sim.setup(timestep=0.1)
        a = sim.Population(4, sim.IF_curr_exp())
        b = sim.Population(3, sim.IF_curr_exp())
        prj = sim.Projection(a, b, sim.CSAConnector(csa.oneToOne), sim.StaticSynapse())
        pairs = prj.get("weight", format="list", with_address=True)
        print(json.dumps(sorted([int(i), int(j)] for i, j, _ in pairs)))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert json.loads(out) == [[0, 0], [1, 1], [2, 2]]
    assert csa.oneToOne is not None
