"""Starting Numba in a process: its import and its compiler target, made cheaper.

A process pays, once, before its first compiled kernel runs: importing Numba, making
the kernels' dispatchers (:func:`..load`), and initialising Numba's compiler target
(the first compiled call's ``refresh``, which imports Numba's implementations of
NumPy and registers them). On a 2-core machine that was ~0.3 s, more than the whole
simulation of a short script (HH_cond_exp2, benchmarks/startup_profile.py). Two parts
of it are avoidable:

- the garbage collector's passes while those ~100 000 objects, which live as long as
  the process, are made: each full pass traverses all of them again (~0.05 s in all).
  :func:`started` pauses the collector meanwhile, and restores it as it was;
- Numba's target asks whether a BLAS is there by importing ``scipy.linalg`` (~0.04 s
  after PyNN's own imports, ~0.2 s without them), to choose how it would compile
  ``np.convolve``/``np.correlate``, which no kernel calls. :func:`started` answers that
  question from where scipy is installed, without importing it; Numba's own check,
  unchanged, runs again wherever linear algebra is compiled (``np.dot``...).

Both are guarded: where a later Numba moves what they touch, its own start runs, slower,
with the same results.
"""

import contextlib
import gc
import importlib.util
import os


@contextlib.contextmanager
def _collector_paused():
    """The garbage collector off within the block (if it was on), on again after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def blas_installed():
    """Whether scipy's Cython BLAS (what Numba calls for linear algebra) is installed,
    found without importing scipy.linalg."""
    try:
        spec = importlib.util.find_spec("scipy")
    except (ImportError, ValueError):
        return False
    if spec is None or not spec.submodule_search_locations:
        return False
    for location in spec.submodule_search_locations:
        linalg = os.path.join(location, "linalg")
        if os.path.isdir(linalg) and any(name.startswith("cython_blas.")
                                         for name in os.listdir(linalg)):
            return True
    return False


def _refresh_target():
    """Initialise Numba's compiler target (what its first compiled call does), its
    BLAS check answered by :func:`blas_installed`."""
    from numba.core.registry import cpu_target
    try:
        import numba.np.linalg as linalg
        numba_check = linalg.ensure_blas
    except (ImportError, AttributeError):
        linalg = None

    def ensure_blas_without_import():
        if not blas_installed():
            raise ImportError("scipy 0.16+ is required for linear algebra")

    if linalg is not None:
        linalg.ensure_blas = ensure_blas_without_import
    try:
        cpu_target.target_context.refresh()
    finally:
        if linalg is not None:
            linalg.ensure_blas = numba_check


def import_numba():
    """The ``numba`` module, imported with the collector paused (ImportError as the import
    raises it)."""
    with _collector_paused():
        import numba
    return numba


@contextlib.contextmanager
def started():
    """A block in which to import Numba and make the kernels' dispatchers: the collector
    paused; Numba's compiler target initialised at the block's end (a failure there is
    left to the first compiled call, which would meet it anyway)."""
    with _collector_paused():
        yield
        try:
            _refresh_target()
        except Exception:       # (Numba's own start, at the first call, says why)
            pass
