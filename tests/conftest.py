"""The suite's process layout: two pytest-xdist workers unless told otherwise.

The suite is mostly single-threaded Python and Numba's one-time compilation, so two
worker processes take about half the wall time on two cores. Whole files go to one
worker (``--dist loadfile``): the tests of one file never overlap (module fixtures,
files a test reuses), and a file's kernels are compiled by one worker while the other
finds what is already compiled in Numba's shared cache.

Numba's shared cache is saved by one process at a time (the engine's
:mod:`pynn_tinysim.engine.kernels.cache_lock`, applied when the kernels load).

This is a hook rather than ``addopts = "-n 2"`` so that the plain command keeps
working where the plugin is absent or disabled (``-p no:xdist``), and ``-n N`` /
``-n 0`` (one process), ``--dist ...`` and ``--pdb`` on the command line win.

Tests marked ``slow`` (comparisons with Brian2, mpiexec, PyNN's conformance scenarios,
the threaded kernels' compilation, property-based fuzzing...) are left out unless
asked for: ``--runslow``, ``TINYSIM_RUN_SLOW=1`` (what CI's ``.ci/run`` sets), or a
``-m`` expression of one's own (``-m slow`` runs only them). So the plain command is
the fast suite, and CI runs everything.
"""

import os

WORKERS = 2

#: files that take a minute or more each (Numba compiling many kernels, Brian2), handed
#: out first so that the two workers finish together rather than one running a long
#: file alone at the end (xdist hands files out in collection order; its own reorder,
#: by number of tests, would put the three-test Brian2 file last). A file missing here
#: only loses its place in the queue.
HEAVY_FIRST = ("test_kernels.py", "test_spinnaker_kernels.py", "test_compare_backends.py",
               "test_write_data.py", "test_kernel_loading.py", "test_multisynapse_kernels.py",
               "test_multisynapse_adex_kernel.py", "test_kernels_stochastic.py",
               "test_pynn_scenarios.py", "test_stretch_plasticity.py", "test_fuzz.py",
               "test_kernels_plasticity.py", "test_mpi.py", "test_compare_notebook.py",
               "test_plasticity.py")


#: kernels shipped precompiled (pynn_tinysim/engine/kernels/shipped.py) would answer the
#: tests' fresh kernel caches without compiling: every test, and every process it starts,
#: sees none, as in a source checkout (tests/test_shipped_kernels.py names its own)
os.environ["PYNN_TINYSIM_PRECOMPILED"] = ""

#: the environment variable that asks for the slow tests too (CI sets it)
RUN_SLOW_ENV = "TINYSIM_RUN_SLOW"


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False,
                     help=f"also run the tests marked slow (or set {RUN_SLOW_ENV}=1; "
                          "CI does)")


def run_slow(config):
    """Whether this session runs the tests marked ``slow``."""
    return (config.getoption("runslow")
            or os.environ.get(RUN_SLOW_ENV, "").strip().lower() not in ("", "0", "false", "no"))


def pytest_configure(config):
    # the fast suite by default: leave the slow tests out, unless asked for or the
    # command line chose its own -m (in the controller and in each worker alike)
    if not run_slow(config) and not config.option.markexpr:
        config.option.markexpr = "not slow"
        config._tinysim_left_slow_out = True
    _configure_workers(config)


def pytest_terminal_summary(terminalreporter, config):
    if getattr(config, "_tinysim_left_slow_out", False) and not hasattr(config, "workerinput"):
        terminalreporter.write_line(
            f"(tests marked slow were left out: --runslow or {RUN_SLOW_ENV}=1 runs them too)")


def _configure_workers(config):
    # runs before xdist's own pytest_configure (trylast), which starts the workers
    if not config.pluginmanager.hasplugin("xdist") or hasattr(config, "workerinput"):
        return                                  # no plugin, or inside a worker
    option = config.option
    if option.numprocesses is not None or option.dist != "no" or option.tx:
        return                                  # the command line chose
    if config.getoption("usepdb", False) or config.getoption("collectonly", False):
        return
    option.numprocesses = WORKERS
    option.dist = "loadfile"
    option.tx = ["popen"] * WORKERS
    option.loadscopereorder = False             # the order of HEAVY_FIRST, then the rest


def pytest_collection_modifyitems(config, items):
    # in a worker only: the controller hands files out in the order workers collect them
    if not hasattr(config, "workerinput"):
        return
    rank = {name: i for i, name in enumerate(HEAVY_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))   # stable: files whole
