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
"""

import importlib.util
import sys
import types

#: packages PyNN imports at start-up that only some scripts use
OPTIONAL = ("csa", "scipy.sparse")


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


#: what a stand-in answers before its package runs: package -> {attribute: value}
BEFORE_RUN = {"scipy.sparse": {"issparse": _issparse_before_load}}


def defer_optional_imports(names=OPTIONAL):
    """Put a stand-in (see the module docstring) for each installed, not yet imported
    package of ``names`` in ``sys.modules``."""
    for name in names:
        if name in sys.modules:
            continue
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            continue
        module = importlib.util.module_from_spec(spec)
        module.__class__ = _Deferred
        for attr, value in BEFORE_RUN.get(name, {}).items():
            setattr(module, attr, value)
        sys.modules[name] = module
