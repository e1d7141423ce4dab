"""Starting Numba in a process: its import and the cached kernels' load, made cheaper.

A process pays, once, before its first compiled kernel runs: importing Numba, making
the dispatchers of the kernels it uses (each at its first use: ``kernels._Kernels``),
and, at each kernel's first call, loading its compiled code from the cache. On a 2-core machine that was ~0.35 s, more than the whole
simulation of a short script (HH_cond_exp2, benchmarks/startup_profile.py). Two parts
of it are avoidable:

- the garbage collector's passes while the ~100 000 objects Numba's import makes, which
  live as long as the process, are made: each full pass traverses all of them again.
  :func:`import_numba` and :func:`collector_paused` (around the dispatchers) pause the
  collector meanwhile, and restore it as it was;
- Numba's cache refreshes the whole compiler target before it loads a kernel: it
  imports Numba's implementations of NumPy (and, through its BLAS check, scipy.linalg)
  and registers them, ~0.15 s that only compiling needs. The kernels' cache
  (kernels._stamped_cache) makes ready only what loaded code runs on, Numba's runtime
  (:func:`runtime_ready`); Numba's compiler still refreshes the target itself before it
  compiles anything (``CompilerBase.__init__``), as its lowering does at the first
  missing implementation (``BaseContext.get_function``).

Both are guarded: where a later Numba lacks what they use, its own start runs, slower,
with the same results.
"""

import contextlib
import gc


@contextlib.contextmanager
def collector_paused():
    """The garbage collector off within the block (if it was on), on again after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def import_numba():
    """The ``numba`` module, imported with the collector paused (ImportError as the import
    raises it)."""
    with collector_paused():
        import numba
    return numba


def runtime_ready(target_context):
    """Make ready what a kernel loaded from the cache runs on, Numba's runtime (NRT: the
    kernels' code calls it), without the rest of the target's refresh; False where this
    Numba lacks what that takes (the caller then refreshes the whole target, Numba's
    way)."""
    try:
        from numba.core.runtime import rtsys
    except ImportError:
        return False
    initialize = getattr(rtsys, "initialize", None)
    if initialize is None:
        return False
    initialize(target_context)
    return True
