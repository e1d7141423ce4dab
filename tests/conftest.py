"""The suite's process layout: two pytest-xdist workers unless told otherwise.

The suite is mostly single-threaded Python and Numba's one-time compilation, so two
worker processes take about half the wall time on two cores. Whole files go to one
worker (``--dist loadfile``): the tests of one file never overlap (module fixtures,
files a test reuses), and a file's kernels are compiled by one worker while the other
finds what is already compiled in Numba's shared cache (Numba writes each cache file
to a temporary name and renames it, so two processes can share the directory).

This is a hook rather than ``addopts = "-n 2"`` so that the plain command keeps
working where the plugin is absent or disabled (``-p no:xdist``), and ``-n N`` /
``-n 0`` (one process), ``--dist ...`` and ``--pdb`` on the command line win.
"""

WORKERS = 2


def pytest_configure(config):
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
