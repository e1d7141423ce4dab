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
  missing implementation (``BaseContext.get_function``);
- the environments of the Numba functions a loaded kernel calls (e.g. the np.zeros and
  ``.copy()`` of the step kernels, in ``numba.np.arrayobj``) are rebuilt by importing
  the module each was defined in, for its globals: ``numba.np.arrayobj`` and, through
  it, Numba's unicode, hashing and sorting modules, ~0.04 s that no loaded kernel uses
  (compiled nopython code reads an environment's constants, never its globals: only
  object mode does). :func:`environments_unimported` rebuilds those of Numba's own
  modules the process has not imported with stand-in globals.

All are guarded: where a later Numba lacks what they use, its own start runs, slower,
with the same results.
"""

import contextlib
import gc
import sys


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


@contextlib.contextmanager
def environments_unimported():
    """Within the block, an environment unpickled with a cached kernel for a function of
    one of Numba's own modules that this process has not imported gets stand-in globals
    (the module's name only) instead of the module's import; any other (a module already
    imported, a module of this package's or the user's) is rebuilt as Numba does.

    Numba's own functions are compiled in nopython mode, whose code reads only an
    environment's constants (the exceptions it raises, say), which are unpickled as
    before; the globals serve object mode. Where this Numba's rebuild is not the
    function this replaces (its name, or the names it uses), the block changes nothing.
    """
    try:
        from numba.core import environment
    except ImportError:
        yield
        return
    numba_rebuild = getattr(environment, "_rebuild_env", None)
    memo = getattr(getattr(environment, "Environment", None), "_memo", None)
    if (numba_rebuild is None or memo is None
            or not hasattr(environment, "lookup_environment")
            or frozenset(numba_rebuild.__code__.co_names) != _REBUILD_NAMES):
        yield
        return

    def rebuild(modname, consts, env_name):
        if (isinstance(modname, str) and modname.startswith("numba.")
                and modname not in sys.modules
                and environment.lookup_environment(env_name) is None):
            env = environment.Environment({"__name__": modname})
            env.consts[:] = consts
            env.env_name = env_name
            memo[env_name] = env
            return env
        return numba_rebuild(modname, consts, env_name)

    environment._rebuild_env = rebuild
    try:
        yield
    finally:
        environment._rebuild_env = numba_rebuild


#: the global and attribute names Numba 0.68's ``_rebuild_env`` uses:
#: :func:`environments_unimported` replaces it only while it is that function
_REBUILD_NAMES = frozenset({"lookup_environment", "importlib", "import_module",
                            "Environment", "__dict__", "consts", "env_name", "_memo"})
