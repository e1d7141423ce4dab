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

``neo.io`` too: ``import neo`` (PyNN's recording imports it) runs ``from neo.io import
*``, which imports every one of neo's ~60 file formats and their dependencies (neo's
raw IO, jinja2...): ~0.045 s of ``import pyNN.tinysim`` and ~14 000 objects, measured,
that a script which never writes or reads a file does not use. Its stand-in is found
without importing neo (:func:`_find_spec`: neo's import is what must not load it) and
answers, before the package runs, ``__all__`` (empty: neo's star import takes nothing
then) and ``get_io`` (which PyNN's network module imports; a call runs the package).
Once neo is imported, :func:`bind_deferred_submodules` binds ``neo.io`` to the stand-in
and gives neo a module ``__getattr__`` (and ``__dir__``) that runs neo.io and copies
its ``__all__`` into neo, as the star import would have, at the first public name neo
lacks (``neo.NixIO``, ``from neo import PickleIO``).

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

#: packages PyNN imports at start-up that only some scripts use
OPTIONAL = ("csa", "scipy.sparse", "neo.io")
#: those of them that their own package imports (found without importing the package)
IMPORTED_BY_PACKAGE = frozenset({"neo.io"})


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


def _run(module):
    """Run a stand-in's package code in it (once): from then on an ordinary module."""
    if type(module) is not _Deferred:
        return
    spec = module.__spec__
    module.__class__ = types.ModuleType
    for attr in BEFORE_RUN.get(spec.name, ()):   # (the package's own, or none, from now)
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


#: what a stand-in answers before its package runs: package -> {attribute: value}
BEFORE_RUN = {"scipy.sparse": {"issparse": _issparse_before_load},
              "neo.io": {"__all__": (), "get_io": _get_io_before_load}}


def _find_spec(name):
    """``name``'s module spec, or None; one in :data:`IMPORTED_BY_PACKAGE` is found in
    its package's directories without importing the package."""
    if name in IMPORTED_BY_PACKAGE and name.rpartition(".")[0] not in sys.modules:
        package = importlib.util.find_spec(name.rpartition(".")[0])
        if package is None or not package.submodule_search_locations:
            return None
        return importlib.machinery.PathFinder.find_spec(name,
                                                        package.submodule_search_locations)
    return importlib.util.find_spec(name)


def defer_optional_imports(names=OPTIONAL):
    """Put a stand-in (see the module docstring) for each installed, not yet imported
    package of ``names`` in ``sys.modules``."""
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
        for attr, value in BEFORE_RUN.get(name, {}).items():
            setattr(module, attr, value)
        sys.modules[name] = module


def bind_deferred_submodules(names=IMPORTED_BY_PACKAGE):
    """For each stand-in of ``names`` whose package is imported: bind it in the package
    (the import system binds a submodule it loads, not one it finds in sys.modules) and
    give the package the module ``__getattr__`` and ``__dir__`` of
    :func:`_star_import_on_demand` (see the module docstring)."""
    for name in names:
        module = sys.modules.get(name)
        package_name, _, attr = name.rpartition(".")
        package = sys.modules.get(package_name)
        if type(module) is not _Deferred or package is None:
            continue
        setattr(package, attr, module)
        if "__getattr__" not in vars(package):
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
