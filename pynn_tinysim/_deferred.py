"""Deferred imports of optional packages that PyNN imports eagerly and rarely uses.

``import pyNN.tinysim`` imports PyNN's modules, and ``pyNN.connectors`` imports the
Connection Set Algebra package (``csa``) where it is installed, for ``CSAConnector``
only. ``csa`` imports ``csa.plot``, which imports ``matplotlib.pyplot``: about a third
of a second, a quarter of the whole import, in every script, also those that never
build a CSAConnector (measured in benchmarks/RESULTS.md, "start-up").

:func:`defer_optional_imports` puts a stand-in module for each such package in
``sys.modules`` before PyNN imports it: ``import csa`` then succeeds at once (PyNN's
``haveCSA`` is True, as before) and the package's own code runs, inside the stand-in,
at the first access of an attribute it defines (``csa.cross``, ``csa.arity``: when a
CSAConnector is made), the same module object for PyNN and the user. (The standard
library's ``importlib.util.LazyLoader`` cannot do this: on Python 3.11 the ``import``
statement itself reads the module's ``__spec__``, which makes it load.) A package
that is not installed is left alone (PyNN then finds it missing, as before), and so
is one already imported.

``scipy.sparse`` too: PyNN's lazyarray imports it to recognise sparse matrices among
parameter values (``sparse.issparse(value)``, at every larray made), and it brought
scipy's array API layer into ``import pyNN.tinysim`` (0.323 -> 0.280 s deferred, medians
of 9 on a 2-core machine), for scripts that never make a sparse matrix. Its stand-in answers ``issparse`` itself
(:func:`_issparse_before_load`) until the package runs: no object can be a sparse
matrix unless its class comes from scipy.sparse's modules, and where one does (a class
imported from a submodule, which runs those modules without the package's own code),
the package runs and its own ``issparse`` answers. Any other attribute runs the
package at once, as for csa.

And ``scipy`` itself, whose ``__init__`` imports its test utilities (subprocess,
Cython's shadow module, a version parser...): its stand-in holds the scipy.sparse
stand-in as ``sparse`` (lazyarray's ``from scipy import sparse``) and answers
``__version__`` (Numba's import reads it) from scipy's version module, run apart. A
scipy submodule imported while scipy is a stand-in (``import scipy.stats``) runs
scipy's code first (:class:`_PackageFirst`), as an ordinary import does.

``neo.io`` too: ``import neo`` (PyNN's recording imports it) runs ``from neo.io import
*``, which imports every one of neo's ~60 file formats and their dependencies (neo's
raw IO...): ~0.08 s of ``import pyNN.tinysim`` and ~6 000 objects, measured (0.41 ->
0.32 s), that a script which never writes or reads a file does not use. Its stand-in is found
without importing neo (:func:`_find_spec`: neo's import is what must not load it) and
answers, before the package runs, ``__all__`` (empty: neo's star import takes nothing
then) and ``get_io`` (which PyNN's network module imports; a call runs the package).
Once neo is imported, :func:`bind_deferred_submodules` binds ``neo.io`` to the stand-in
and gives neo a module ``__getattr__`` (and ``__dir__``) that runs neo.io and copies
its ``__all__`` into neo, as the star import would have, at the first public name neo
lacks (``neo.NixIO``, ``from neo import PickleIO``).

A public attribute set on a stand-in (``scipy.X = ...`` before scipy has run) runs the
package first, so that the package's code does not overwrite the value later.

``quantities.constants`` too: quantities' ``__init__`` imports it last, ~330 physical
constants in 19 modules (~0.025 s of ``import pyNN.tinysim``, measured), which neither
PyNN nor neo uses (quantities registers no constant in its unit registry: unit strings
parse the same). It runs at the first attribute (``pq.constants.m_e``), or at the import
of one of its modules.

Last, lazyarray (imported by PyNN) scans ``dir(numpy)`` at its import for the ufuncs it
wraps, and ``getattr`` on each name loads numpy's lazily loaded submodules: numpy.f2py
and numpy.testing among them (~0.03-0.05 s and ~5 600 objects), which nothing else a
script runs loads, and which hold no ufunc (numpy's lazy attributes are submodules and
expired aliases). :func:`import_lazyarray` imports lazyarray with ``dir(numpy)`` limited
to the names numpy has loaded, then restores it: lazyarray wraps the same ufuncs.
"""

import contextlib
import importlib.machinery
import importlib.util
import sys
import types

#: packages PyNN imports at start-up that only some scripts use (a package before its
#: submodules)
OPTIONAL = ("csa", "scipy", "scipy.sparse", "neo.io", "quantities.constants")
#: those of them that their package star-imports (see bind_deferred_submodules)
STAR_IMPORTED = frozenset({"neo.io"})


class _Deferred(types.ModuleType):
    """A package's module before its code has run: the import system's attributes
    (``__spec__``, ``__path__``...) are there, and the answers of :data:`BEFORE_RUN`;
    any other runs the package first."""

    def __getattr__(self, attr):        # only for attributes not (yet) defined
        _run(self)
        return getattr(self, attr)

    def __dir__(self):      # (dir() of the package lists what its code defines)
        _run(self)
        return dir(self)

    def __setattr__(self, attr, value):
        # a public name runs the package first (its code would overwrite the value);
        # the import system's and this module's own (private) names are set as they are
        if not attr.startswith("_"):
            _run(self)
        types.ModuleType.__setattr__(self, attr, value)


def _run(module):
    """Run a stand-in's package code in it (once): from then on an ordinary module."""
    if type(module) is not _Deferred:
        return
    spec = module.__spec__
    module.__class__ = types.ModuleType
    for attr in _answered.pop(spec.name, ()):    # (the package's own, or none, from now)
        vars(module).pop(attr, None)
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(spec.name, None)    # as a failed import leaves it
        raise


def _issparse_before_load(value):
    """scipy.sparse's ``issparse`` before the package has run: False, unless ``value``'s
    class (or a base) comes from scipy.sparse's modules; then the package runs and its
    own ``issparse`` answers (and replaces this one)."""
    if not any(getattr(cls, "__module__", "").startswith("scipy.sparse")
               for cls in type(value).__mro__):
        return False
    module = sys.modules.get("scipy.sparse")
    if module is None:      # (removed from sys.modules by someone: import it afresh)
        module = importlib.import_module("scipy.sparse")
    _run(module)
    return module.issparse(value)


def _get_io_before_load(*args, **kwargs):
    """neo.io's ``get_io`` before the package has run: runs it, then calls its own."""
    module = sys.modules.get("neo.io")
    if module is None:
        module = importlib.import_module("neo.io")
    _run(module)
    return module.get_io(*args, **kwargs)


def _scipy_before_run():
    """scipy's ``__version__`` (Numba's import reads it) from scipy's small version
    module (pure Python), run apart, without running scipy's own code."""
    scipy = sys.modules["scipy"]
    spec = importlib.machinery.PathFinder.find_spec("scipy.version", scipy.__path__)
    if spec is None:
        raise ImportError("scipy.version not found")
    version = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(version)
    return {"__version__": version.version}


#: what a stand-in answers before its package runs: package -> {attribute: value}, or
#: a function returning them, called once the stand-in is in sys.modules
BEFORE_RUN = {"scipy": _scipy_before_run,
              "scipy.sparse": {"issparse": _issparse_before_load},
              "neo.io": {"__all__": (), "get_io": _get_io_before_load}}
#: the attributes each stand-in in sys.modules answers (removed when its package runs)
_answered = {}


def _find_spec(name):
    """``name``'s module spec, or None; a submodule whose package is not imported, or
    is a stand-in, is found in the package's directories without importing it."""
    package_name = name.rpartition(".")[0]
    package = sys.modules.get(package_name)
    if package_name and (package is None or type(package) is _Deferred):
        spec = package.__spec__ if package is not None else \
            importlib.util.find_spec(package_name)
        if spec is None or not spec.submodule_search_locations:
            return None
        return importlib.machinery.PathFinder.find_spec(name,
                                                        spec.submodule_search_locations)
    return importlib.util.find_spec(name)


class _PackageFirst:
    """A meta path finder that finds nothing: before a submodule of a top-level
    stand-in package is imported (one not deferred itself), it runs the package's code,
    as an ordinary import of the submodule would have done first. A package's
    ``__init__`` may prepare what its submodules need: scipy's, in its Windows wheels,
    the directory of its bundled DLLs."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        package = sys.modules.get(name.partition(".")[0])
        if type(package) is _Deferred and "." in name:
            _run(package)
        return None


def defer_optional_imports(names=OPTIONAL):
    """Put a stand-in (see the module docstring) for each installed, not yet imported
    package of ``names`` in ``sys.modules``."""
    if not any(isinstance(finder, _PackageFirst) for finder in sys.meta_path):
        sys.meta_path.insert(0, _PackageFirst())
    for name in names:
        if name in sys.modules:
            continue
        try:
            spec = _find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            continue
        module = importlib.util.module_from_spec(spec)
        module.__class__ = _Deferred
        sys.modules[name] = module
        answers = BEFORE_RUN.get(name, {})
        try:
            answers = answers() if callable(answers) else answers
        except ImportError:     # (then the package is imported as usual)
            sys.modules.pop(name)
            continue
        for attr, value in answers.items():
            types.ModuleType.__setattr__(module, attr, value)
        _answered[name] = frozenset(answers)
        package_name, _, attr = name.rpartition(".")
        if type(sys.modules.get(package_name)) is _Deferred:
            # (``from scipy import sparse`` then finds it without running scipy)
            types.ModuleType.__setattr__(sys.modules[package_name], attr, module)


def bind_deferred_submodules(names=OPTIONAL):
    """For each stand-in of ``names`` whose package is imported (and not a stand-in
    itself): bind it in the package (the import system binds a submodule it loads, not
    one it finds in sys.modules); for those of :data:`STAR_IMPORTED`, also give the
    package the module ``__getattr__`` and ``__dir__`` of :func:`_star_import_on_demand`
    (see the module docstring)."""
    for name in names:
        module = sys.modules.get(name)
        package_name, _, attr = name.rpartition(".")
        package = sys.modules.get(package_name)
        if type(module) is not _Deferred or package is None or type(package) is _Deferred:
            continue
        setattr(package, attr, module)
        if name in STAR_IMPORTED and "__getattr__" not in vars(package):
            package.__getattr__, package.__dir__ = _star_import_on_demand(package, module)


def _star_import_on_demand(package, module):
    """A package's module ``__getattr__`` and ``__dir__`` (PEP 562) that run the stand-in
    ``module`` and copy its public names (``__all__``) into the package, as the
    package's ``from <module> import *`` would have, then answer."""

    def star_import():
        _run(module)
        public = getattr(module, "__all__", None)
        if public is None:
            public = [n for n in vars(module) if not n.startswith("_")]
        for n in public:
            vars(package).setdefault(n, getattr(module, n))

    def __getattr__(attr):
        if not attr.startswith("_"):    # (a probe of a private name runs nothing)
            star_import()
            if attr in vars(package):
                return vars(package)[attr]
        raise AttributeError(f"module {package.__name__!r} has no attribute {attr!r}")

    def __dir__():
        star_import()
        return sorted(vars(package))

    return __getattr__, __dir__


@contextlib.contextmanager
def _numpy_dir_loaded_only():
    """Within the block, ``dir(numpy)`` lists only the attributes numpy has loaded (not
    the submodules it loads at their first access); restored after."""
    import numpy
    namespace = vars(numpy)
    full = namespace.get("__dir__")
    if full is None:        # (a numpy without a module __dir__: nothing to limit)
        yield
        return
    namespace["__dir__"] = lambda: [name for name in full() if name in namespace]
    try:
        yield
    finally:
        namespace["__dir__"] = full


def import_lazyarray():
    """Import lazyarray (where installed and not imported yet) without its scan of
    ``dir(numpy)`` loading numpy's lazy submodules (see the module docstring)."""
    if "lazyarray" in sys.modules or importlib.util.find_spec("lazyarray") is None:
        return
    with _numpy_dir_loaded_only():
        importlib.import_module("lazyarray")
