"""Kernels compiled before installation: a read-only cache that ships with the package.

Numba compiles a kernel at its first use and caches it per user (see :mod:`.`): a
network family costs 4-7 s of CPU once per installation. A wheel can carry that
compilation instead, so that its users compile nothing for the networks it covers:
``tinysim precompile`` (:mod:`.precompile`) runs a set
of small networks with Numba targeting a *portable* CPU and copies the cache it
fills into ``precompiled/tinysim-<stamp>/`` beside these modules, package data that
the wheel built next includes.

Numba keys a cached function by signature, Python version, bytecode and its
compiler's target: the machine triple, CPU name and CPU features (``magic_tuple``).
Code compiled for this machine's own CPU (Numba's default) runs only on machines
with its features, so the shipped code targets a named level of the architecture
(:data:`PORTABLE`: x86-64-v3, i.e. AVX2 and FMA, on x86-64: 0-7 % slower than code
for an AVX-512 machine's own CPU, where the baseline x86-64 is ~1.8x slower; measured
in benchmarks/RESULTS.md). A process looks there only after its own cache missed
(:func:`load_overload`), and only where its CPU has that level's features; it then
keys the lookup with the portable target in place of its own. Its own compilations
(any network the shipped set does not cover) go to its own cache as before. Where no
cache directory is writable (a read-only installation without a home directory), the
kernels' cache is this directory alone, read only (``read_only`` in
:func:`.._stamped_cache`): what is there loads, the rest compiles in every process.

The directory is read only: the ``tinysim-<stamp>`` name (the kernel sources' and
Numba's stamp, :func:`.source_stamp`) already says the code is current, so the
index's own check, the modification time of each source file, which an
installation does not preserve, is skipped (:func:`_shipped_index`).
"""

import logging
import os
import platform

logger = logging.getLogger("pynn_tinysim")

#: environment variable naming the directory of precompiled kernels (default: the
#: package's ``precompiled``); empty: none (how :mod:`.precompile` builds them afresh)
ENVIRONMENT = "PYNN_TINYSIM_PRECOMPILED"

#: per machine architecture: the CPU name the shipped code is compiled for (Numba's
#: NUMBA_CPU_NAME, with NUMBA_CPU_FEATURES empty: the name's own features only) and
#: the host features (LLVM's names) a process needs to run it. x86-64-v3 is the
#: x86-64 psABI's level 3 (with levels 1 and 2 below it): Intel since Haswell (2013),
#: AMD since Excavator (2015)
PORTABLE = {
    "x86_64": ("x86-64-v3", frozenset({
        "cx16", "sahf", "popcnt", "sse3", "sse4.1", "sse4.2", "ssse3",     # level 2
        "avx", "avx2", "bmi", "bmi2", "f16c", "fma", "lzcnt", "movbe", "xsave"})),
    "aarch64": ("generic", frozenset()),
}
PORTABLE["amd64"] = PORTABLE["x86_64"]
PORTABLE["arm64"] = PORTABLE["aarch64"]


def directory():
    """The directory of precompiled kernels (its ``tinysim-<stamp>`` subdirectories)."""
    configured = os.environ.get(ENVIRONMENT)
    if configured is not None:
        return configured
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "precompiled")


def stamp_directory(stamp):
    """The directory of the precompiled kernels of sources' stamp ``stamp`` (which may
    not exist), or None where there is no precompiled directory at all."""
    root = directory()
    return os.path.join(root, "tinysim-" + stamp) if root and stamp else None


def portable_target(machine=None):
    """(CPU name, features) the shipped code of this architecture is compiled for, or
    None where there is none for it."""
    entry = PORTABLE.get((machine or platform.machine()).lower())
    return None if entry is None else (entry[0], "")


def host_runs_portable(host_features=None, machine=None):
    """Whether this machine's CPU runs the code compiled for :func:`portable_target`."""
    entry = PORTABLE.get((machine or platform.machine()).lower())
    if entry is None:
        return False
    if host_features is None:
        import llvmlite.binding as llvm
        host_features = {name for name, present in llvm.get_host_cpu_features().items()
                         if present}
    return entry[1] <= set(host_features)


_usable = None      # (whether the host runs the portable code, its target), once asked


def _portable_here():
    global _usable
    if _usable is None:
        try:
            _usable = (host_runs_portable(), portable_target())
        except Exception:           # (llvmlite cannot say: compile here instead)
            _usable = (False, None)
    return _usable[1] if _usable[0] else None


def load_overload(cache, stamp, sig, target_context):
    """``cache``'s (a Numba function cache) function compiled for ``sig`` from the
    shipped directory of sources' stamp ``stamp``, rebuilt for ``target_context``;
    None where it is not there (or cannot be: this Numba lacks what it reads, this
    CPU lacks the portable target's features)."""
    from numba.core import caching
    path = stamp_directory(stamp)
    if path is None:
        return None
    target = _portable_here()
    impl = getattr(cache, "_impl", None)
    if target is None or not os.path.isdir(path) or impl is None \
            or not hasattr(cache, "_index_key") \
            or not hasattr(caching.IndexDataCacheFile, "_load_index"):
        return None
    key = cache._index_key(sig, target_context.codegen())
    if not (isinstance(key, tuple) and len(key) == 3 and len(key[1]) == 3):
        return None                 # (a Numba whose keys are shaped otherwise)
    triple = key[1][0]
    key = (key[0], (triple, *target), key[2])
    try:
        data = _shipped_index(path, impl.filename_base).load(key)
        return None if data is None else impl.rebuild(target_context, data)
    except Exception as error:      # (a damaged file: compile the kernel instead)
        logger.warning("pyNN.tinysim: the precompiled %s in %s is unusable (%s: %s); "
                       "compiling it", impl.filename_base, path, type(error).__name__, error)
        return None


_index_class = None     # the class of _shipped_index, made at its first use


def _shipped_index(path, filename_base):
    """Numba's index and data files of one function in the shipped directory ``path``,
    read without the check of its source file's modification time (see the module's
    docstring), never written."""
    global _index_class
    if _index_class is None:
        import pickle

        from numba.core import caching

        class ShippedIndex(caching.IndexDataCacheFile):
            def _load_index(self):
                try:
                    with open(self._index_path, "rb") as index:
                        version = pickle.load(index)
                        data = index.read()
                except OSError:
                    return {}
                if version != self._version:        # (another Numba's files)
                    return {}
                return pickle.loads(data)[1]        # (source stamp, overloads)

            def save(self, key, data):
                raise PermissionError("the precompiled kernels are read only")

        _index_class = ShippedIndex
    return _index_class(path, filename_base, source_stamp=None)
