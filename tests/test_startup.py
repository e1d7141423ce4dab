"""What ``import pyNN.tinysim`` imports, and what a process pays to start: PyNN's
optional csa (and through it matplotlib) waits for a CSAConnector, scipy.sparse for a
sparse matrix, neo.io's formats for a file, quantities' constants for their first use
(pynn_tinysim/_deferred.py); Numba's start
(kernels/numba_start.py); the exit."""

import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
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


def test_attribute_set_on_a_stand_in_runs_the_package_first(tmp_path, monkeypatch):
    """A public attribute set before the package has run is kept: the package runs
    first (its own code would overwrite the value), then the value is set."""
    name = "tinysim_deferred_setting"
    package = _package(tmp_path, name, """
        import pathlib
        pathlib.Path(__file__).with_name("ran").write_text("1")
        ENGINE = None      # "can be set by user", as pyNN.descriptions' template engine
    """)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, name, raising=False)
    _deferred.defer_optional_imports((name,))
    import tinysim_deferred_setting as setting
    assert not (package / "ran").exists()
    setting.ENGINE = "string"
    assert (package / "ran").exists()
    assert setting.ENGINE == "string" and type(setting) is type(sys)


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


_CONSTANTS = textwrap.dedent("""
    import json, sys
    if sys.argv[1] == "imported first":
        import quantities.constants     # (then no stand-in)
    import pyNN.tinysim as sim
    import quantities as pq
    report = {"stand_in": type(sys.modules["quantities.constants"]).__name__ == "_Deferred",
              "ran_at_import": "quantities.constants.quantum" in sys.modules}
    sim.setup(timestep=0.1)
    cells = sim.Population(2, sim.IF_curr_exp(i_offset=1.0))
    cells.record("v")
    sim.run(5.0)
    signal = cells.get_data().segments[0].analogsignals[0]
    report["units"] = [signal.units.dimensionality.string,
                       pq.Quantity(1.0, "mV/ms").units.dimensionality.string]
    report["ran_after_run"] = "quantities.constants.quantum" in sys.modules
    if sys.argv[1] == "submodule":
        from quantities.constants.quantum import h
        report["h"] = float(h.simplified.magnitude)
        report["same_h"] = h is pq.constants.h
    report["m_e"] = float(pq.constants.m_e.simplified.magnitude)
    report["public"] = sorted(n for n in dir(pq.constants) if not n.startswith("_"))
    print(json.dumps(report))
""")


@pytest.mark.parametrize("route", ["package", "submodule"])
def test_quantities_constants_wait_for_their_first_use(route):
    """quantities.constants runs at its first attribute (or the import of one of its
    modules), not at import pyNN.tinysim nor in a run and get_data (units parse as
    before), and then has the names and values of a plain import."""
    run = [sys.executable, "-c", _CONSTANTS]
    plain, deferred = (json.loads(subprocess.run(run + [mode], capture_output=True,
                                                 text=True, check=True).stdout)
                       for mode in ("imported first", route))
    assert not plain["stand_in"] and plain["ran_at_import"]
    assert deferred["stand_in"] and not deferred["ran_at_import"]
    assert not deferred["ran_after_run"]
    assert deferred["units"] == plain["units"] == ["mV", "mV/ms"]
    assert deferred["m_e"] == plain["m_e"] > 0
    assert deferred["public"] == plain["public"] and "m_e" in plain["public"]
    if route == "submodule":
        assert deferred["same_h"] and deferred["h"] > 0


_NUMBA_START = textwrap.dedent("""
    import gc, json, sys
    import numpy as np
    import pyNN.tinysim as sim
    from pynn_tinysim.engine import kernels

    def network():
        sim.setup(timestep=0.1, engine="numba", rng_seed=7)
        cells = sim.Population(20, sim.IF_curr_exp(i_offset=sim.RandomDistribution(
            "uniform", (0.5, 1.5), rng=sim.NumpyRNG(seed=3))))
        cells.record("spikes")
        sim.Projection(cells, cells, sim.FixedProbabilityConnector(
            0.2, rng=sim.NumpyRNG(seed=4)), sim.StaticSynapse(weight=0.1, delay=0.5))
        sim.run(200.0)
        return [len(st) for st in cells.get_data().segments[0].spiketrains]

    report = {"spikes": network()}
    kernels.load()
    report["collector_on"] = gc.isenabled()
    report["refreshed"] = "numba.np.arraymath" in sys.modules
    report["scipy_linalg"] = "scipy.linalg" in sys.modules
    report["arrayobj"] = "numba.np.arrayobj" in sys.modules
    if sys.argv[1] == "compile":    # a compilation after the light loads
        import numba

        @numba.njit
        def dot(a, b):
            return np.dot(a, b)
        report["dot"] = float(dot(np.arange(3.0), np.arange(3.0)))
        report["refreshed_to_compile"] = "numba.np.arraymath" in sys.modules
        report["spikes_after"] = network()
    print(json.dumps(report))
""")


def test_cached_kernels_load_without_the_target_refresh():
    """A process whose kernels all come from the cache runs them without refreshing
    Numba's whole compiler target (its NumPy implementations, scipy.linalg: only
    compiling needs them), with the collector back on; a compilation after (a new
    function of the user's, with linear algebra) refreshes it as Numba does, and the
    kernels still run, to the same spikes."""
    pytest.importorskip("numba")
    run = [sys.executable, "-c", _NUMBA_START]
    first = json.loads(subprocess.run(run + ["compile"], capture_output=True, text=True,
                                      check=True).stdout)      # (fills the cache)
    loaded = json.loads(subprocess.run(run + ["load"], capture_output=True, text=True,
                                       check=True).stdout)
    assert loaded["collector_on"]
    assert not loaded["refreshed"] and not loaded["scipy_linalg"]
    assert not loaded["arrayobj"]       # (the environments of np.zeros and .copy())
    assert loaded["spikes"] == first["spikes"] == first["spikes_after"]
    assert sum(loaded["spikes"]) > 0
    try:
        import scipy.linalg.cython_blas  # noqa: F401
    except ImportError:
        return
    assert first["dot"] == 5.0 and first["refreshed_to_compile"]


_ENVIRONMENTS = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, sys.argv[1])
    from pynn_tinysim.engine import kernels
    from pynn_tinysim.engine.kernels import numba_start
    numba_start.import_numba()
    from numba.core import environment
    numba_rebuild = environment._rebuild_env
    import allocating
    # cached as the kernels are (the stamped cache: its load unpickles the environments)
    ones = kernels.jit(allocating.ones, cache=kernels._stamped_cache("environments-test"))
    report = {"ran": ones(3)}
    try:
        ones(-1)
    except ValueError as error:
        report["error"] = str(error)
    report["compiled"] = len(ones.stats.cache_misses)
    report["imported"] = "numba.np.arrayobj" in sys.modules
    report["restored"] = environment._rebuild_env is numba_rebuild
    print(json.dumps(report))
""")


def test_cached_environment_of_an_unimported_numba_module_keeps_its_constants(tmp_path):
    """A kernel from the cache that calls a Numba implementation from a module this
    process has not imported (np.ones: numba.np.arrayobj) loads without that import,
    and the constants of that implementation's environment still serve: its exception,
    with its message, as in the compiling process. Numba's own rebuild is back after
    the load."""
    pytest.importorskip("numba")
    (tmp_path / "allocating.py").write_text(textwrap.dedent("""
        import numpy as np

        def ones(n):
            return float(np.ones(n).sum())
    """))
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    run = [sys.executable, "-c", _ENVIRONMENTS, str(tmp_path)]
    first, loaded = (json.loads(subprocess.run(run, capture_output=True, text=True,
                                               check=True, env=env).stdout)
                     for _ in range(2))
    assert first["compiled"] == 1 and first["imported"]
    assert loaded["compiled"] == 0 and not loaded["imported"] and loaded["restored"]
    assert first["ran"] == loaded["ran"] == 3.0
    assert first["error"] == loaded["error"] == "negative dimensions not allowed"


def test_environments_left_to_numba_where_its_rebuild_differs(monkeypatch):
    """Where this Numba's rebuild is not the function the block replaces, the block
    leaves it in place."""
    pytest.importorskip("numba")
    from numba.core import environment
    from pynn_tinysim.engine.kernels import numba_start

    def other(modname, consts, env_name):
        return None

    monkeypatch.setattr(environment, "_rebuild_env", other)
    with numba_start.environments_unimported():
        assert environment._rebuild_env is other
    assert environment._rebuild_env is other


def test_collector_left_as_found():
    """The pause restores the collector's state: off stays off."""
    import gc
    from pynn_tinysim.engine.kernels import numba_start
    was = gc.isenabled()
    try:
        gc.disable()
        with numba_start.collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
        gc.enable()
        with numba_start.collector_paused():
            assert not gc.isenabled()
        assert gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()


_EXIT = textwrap.dedent("""
    import json, os, sys
    folder = sys.argv[1]
    import pyNN.tinysim as sim
    sim.setup(timestep=0.1, engine=sys.argv[2])
    cells = sim.Population(5, sim.IF_curr_exp(i_offset=1.0))
    cells.record(["spikes", "v"])
    sim.run(50.0)
    for ext in (".pkl", ".nix"):
        cells.write_data(os.path.join(folder, "data" + ext))


    class Log:      # a file held in a reference cycle, never closed
        def __init__(self, path):
            self.file = open(path, "w")
            self.me = self


    log = Log(os.path.join(folder, "log.txt"))
    log.file.write("written before exit\\n")
    spikes = [len(st) for st in cells.get_data().segments[0].spiketrains]
    print(json.dumps(spikes))       # (no end(): the script just stops)
""")


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_exit_loses_nothing_written(tmp_path, engine):
    """A script that stops without end(): what write_data wrote (pickle and NIX) reads
    back whole, and a file the script left open in a reference cycle is finalised as
    in a plain Python process (its buffer flushed by the exit's collection). An exit
    made quicker by freezing or pausing the garbage collector loses that buffer (tried:
    gc.freeze at exit saved ~0.3 s of a short script, benchmarks/RESULTS.md)."""
    if engine == "numba":
        pytest.importorskip("numba")
    out = subprocess.run([sys.executable, "-c", _EXIT, str(tmp_path), engine],
                         capture_output=True, text=True, check=True).stdout
    spikes = json.loads(out.strip().splitlines()[-1])
    assert sum(spikes) > 0
    assert (tmp_path / "log.txt").read_text() == "written before exit\n"
    import neo
    blocks = [neo.io.PickleIO(str(tmp_path / "data.pkl")).read_block()]
    if importlib.util.find_spec("nixio") is not None:
        io = neo.io.NixIO(str(tmp_path / "data.nix"), mode="ro")
        try:
            blocks += io.read_all_blocks()
        finally:
            io.close()
    for block in blocks:
        trains = block.segments[0].spiketrains
        assert [len(st) for st in trains] == spikes
        assert block.segments[0].filter(name="v")[0].shape == (501, 5)


_SPARSE = textwrap.dedent("""
    import json, sys
    import numpy as np
    import pyNN.tinysim as sim
    from lazyarray import larray
    report = {"stand_in": type(sys.modules["scipy.sparse"]).__name__,
              "ran_at_import": "scipy.sparse._base" in sys.modules}
    sim.setup(timestep=0.1)
    cells = sim.Population(4, sim.IF_curr_exp(tau_m=sim.RandomDistribution("uniform", (10.0, 20.0),
                                                 rng=sim.NumpyRNG(seed=1))))
    cells.record("spikes")
    sim.run(10.0)
    report["ran_after_a_run"] = "scipy.sparse._base" in sys.modules
    if sys.argv[1] == "submodule":
        # a sparse class taken from a submodule: the package's own code has not run
        from scipy.sparse._csr import csr_matrix
        report["ran_for_submodule"] = type(sys.modules["scipy.sparse"]).__name__ != "_Deferred"
    else:
        import scipy.sparse
        csr_matrix = scipy.sparse.csr_matrix
    matrix = csr_matrix(np.array([[0.0, 1.0], [2.0, 0.0]]))
    values = larray(matrix, shape=(2, 2))
    report["dense"] = values.evaluate().tolist()
    report["row_is_sparse"] = type(values[0, :]).__module__.startswith("scipy.sparse")
    report["ran_at_end"] = type(sys.modules["scipy.sparse"]).__name__ != "_Deferred"
    print(json.dumps(report))
""")


@pytest.mark.parametrize("route", ["package", "submodule"])
def test_scipy_sparse_runs_only_for_a_sparse_matrix(route):
    """import pyNN.tinysim leaves scipy.sparse's code unrun (a network with lazyarray
    parameters runs without it); a sparse matrix, whether its class comes through the
    package or straight from a submodule, is recognised by lazyarray as without the
    deferral (evaluated dense, sliced sparse)."""
    pytest.importorskip("scipy.sparse")
    report = json.loads(subprocess.run([sys.executable, "-c", _SPARSE, route],
                                       capture_output=True, text=True, check=True).stdout)
    assert report["stand_in"] == "_Deferred"
    assert not report["ran_at_import"] and not report["ran_after_a_run"]
    assert report.get("ran_for_submodule", False) is False
    assert report["dense"] == [[0.0, 1.0], [2.0, 0.0]]
    assert report["row_is_sparse"] and report["ran_at_end"]


def test_dir_of_a_deferred_package_runs_it(tmp_path, monkeypatch):
    """dir() of a stand-in lists what the package defines (it runs the package)."""
    _package(tmp_path, "pkg_dir", "value = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "pkg_dir", raising=False)
    _deferred.defer_optional_imports(("pkg_dir",))
    module = sys.modules["pkg_dir"]
    assert "value" in dir(module)
    assert type(module) is not _deferred._Deferred
    monkeypatch.delitem(sys.modules, "pkg_dir")


def test_issparse_before_load_is_false_for_other_values():
    assert _deferred._issparse_before_load(np.zeros(3)) is False
    assert _deferred._issparse_before_load(1.0) is False
    assert _deferred._issparse_before_load([1, 2]) is False


_NEO = textwrap.dedent("""
    import json, sys
    route = sys.argv[1]
    if route == "neo first":
        import neo
    import pyNN.tinysim as sim
    import neo
    report = {"stand_in": type(sys.modules["neo.io"]).__name__,
              "bound": neo.io is sys.modules["neo.io"],
              "formats_at_import": sorted(m for m in ("neo.rawio", "neo.io.nixio", "neo.io.pickleio")
                                          if m in sys.modules)}
    sim.setup(timestep=0.1)
    cells = sim.Population(3, sim.IF_curr_exp(i_offset=1.0))
    cells.record(["spikes", "v"])
    sim.run(50.0)
    block = cells.get_data()
    report["spikes"] = sum(len(t) for t in block.segments[0].spiketrains)
    report["ran_after_get_data"] = type(sys.modules["neo.io"]).__name__ != "_Deferred"
    hasattr(neo, "_private_probe")
    report["ran_after_private_probe"] = type(sys.modules["neo.io"]).__name__ != "_Deferred"
    if route == "write":
        cells.write_data(sys.argv[2] + "/cells.pkl")
        from neo.io import PickleIO
        back = PickleIO(sys.argv[2] + "/cells.pkl").read_block()
        report["read_back"] = sum(len(t) for t in back.segments[0].spiketrains)
    elif route == "get_io":
        from pyNN.network import get_io     # (PyNN's import of it, at its import)
        report["get_io"] = type(get_io(sys.argv[2] + "/x.pkl")).__name__
    elif route == "star names":
        from neo import PickleIO, get_io
        report["star"] = [neo.NixIO.__name__, PickleIO.__name__, get_io.__module__]
    report["public"] = sorted(n for n in dir(neo) if not n.startswith("_"))
    report["ran_at_end"] = type(sys.modules["neo.io"]).__name__ != "_Deferred"
    print(json.dumps(report))
""")


@pytest.mark.parametrize("route", ["write", "get_io", "star names", "neo first"])
def test_neo_io_runs_only_for_a_file(route, tmp_path):
    """import pyNN.tinysim leaves neo.io's formats unimported (recording and get_data
    do not need them); writing a file, PyNN's get_io, or a name that neo's star import
    of neo.io gave (neo.NixIO, ``from neo import PickleIO``) runs it, and neo then
    has the same public names as after a plain ``import neo``. Where neo was imported
    first, nothing is deferred."""
    report = json.loads(subprocess.run([sys.executable, "-c", _NEO, route, str(tmp_path)],
                                       capture_output=True, text=True, check=True).stdout)
    plain = json.loads(subprocess.run(
        [sys.executable, "-c", "import json, neo; print(json.dumps(sorted("
                               "n for n in dir(neo) if not n.startswith('_'))))"],
        capture_output=True, text=True, check=True).stdout)
    assert report["spikes"] > 0 and report["bound"]
    if route == "neo first":
        assert report["stand_in"] == "module" and report["formats_at_import"]
    else:
        assert report["stand_in"] == "_Deferred" and report["formats_at_import"] == []
        assert not report["ran_after_get_data"] and not report["ran_after_private_probe"]
    assert report["public"] == plain and report["ran_at_end"]
    if route == "write":
        assert report["read_back"] == report["spikes"]
    if route == "get_io":
        assert report["get_io"] == "PickleIO"
    if route == "star names":
        assert report["star"] == ["NixIO", "PickleIO", "neo.io"]


_LAZYARRAY = textwrap.dedent("""
    import json, sys
    import numpy as np
    if sys.argv[1] == "tinysim":
        import pyNN.tinysim as sim
        sim.setup(timestep=0.1)
        cells = sim.Population(2, sim.IF_curr_exp(i_offset=1.0))
        cells.record("v")
        sim.run(10.0)
        cells.get_data()
    import lazyarray
    print(json.dumps({
        "wrapped": sorted(n for n, f in vars(lazyarray).items()
                          if isinstance(getattr(np, n, None), np.ufunc) and callable(f)),
        "loaded": sorted(m for m in ("numpy.f2py", "numpy.testing") if m in sys.modules),
        "dir_restored": "f2py" in dir(np) and "testing" in dir(np)}))
""")


def test_lazyarray_wraps_the_same_ufuncs_without_loading_numpy_submodules():
    """lazyarray imported through pyNN.tinysim wraps the same NumPy ufuncs as a plain
    import, without its dir(numpy) scan loading numpy.f2py and numpy.testing (nor does a
    run); dir(numpy) is whole again afterwards."""
    def report(route):
        return json.loads(subprocess.run([sys.executable, "-c", _LAZYARRAY, route],
                                         capture_output=True, text=True, check=True).stdout)
    plain, tinysim = report("plain"), report("tinysim")
    assert len(plain["wrapped"]) > 50 and tinysim["wrapped"] == plain["wrapped"]
    assert plain["loaded"] == ["numpy.f2py", "numpy.testing"]     # (the scan's doing)
    assert tinysim["loaded"] == [] and tinysim["dir_restored"]


_SCIPY = textwrap.dedent("""
    import json, sys
    import pyNN.tinysim as sim
    report = {"at_import": type(sys.modules["scipy"]).__name__}
    sim.setup(timestep=0.01, engine=sys.argv[1])
    cells = sim.Population(1, sim.HH_cond_exp(i_offset=1.0))
    cells.record("v")
    sim.run(5.0)
    cells.get_data()
    report["after_run"] = type(sys.modules["scipy"]).__name__
    report["init_ran"] = "scipy._lib._testutils" in sys.modules
    import scipy
    report["version"] = scipy.__version__
    import scipy.stats
    order = list(sys.modules)
    report["package_first"] = order.index("scipy._distributor_init") < order.index("scipy.stats")
    report["cdf"] = float(scipy.stats.norm.cdf(0.0))
    report["public"] = sorted(n for n in dir(scipy) if not n.startswith("_"))
    print(json.dumps(report))
""")


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_scipy_runs_only_when_a_script_uses_it(engine):
    """import pyNN.tinysim, a run (Numba's import reads scipy.__version__: answered from
    scipy's version module) and get_data leave scipy's own code unrun; a submodule's
    import (scipy.stats) runs scipy's __init__ first, as an ordinary import does, and
    scipy then looks as after a plain import."""
    pytest.importorskip("scipy.stats")
    if engine == "numba":
        pytest.importorskip("numba")
        # kernels the cache lacks are compiled first, and Numba's compiler (its BLAS
        # check) imports scipy: a process that finds them cached is the case here
        subprocess.run([sys.executable, "-c", _SCIPY, engine], capture_output=True,
                       check=True)
    report = json.loads(subprocess.run([sys.executable, "-c", _SCIPY, engine],
                                       capture_output=True, text=True, check=True).stdout)
    plain = json.loads(subprocess.run(
        [sys.executable, "-c", "import json, scipy; print(json.dumps([scipy.__version__, "
                               "sorted(n for n in dir(scipy) if not n.startswith('_'))]))"],
        capture_output=True, text=True, check=True).stdout)
    assert report["at_import"] == report["after_run"] == "_Deferred"
    assert not report["init_ran"] and report["version"] == plain[0]
    assert report["package_first"] and report["cdf"] == 0.5
    assert report["public"] == plain[1]
