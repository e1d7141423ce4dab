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
"""

import importlib.util
import sys
import types

#: packages PyNN imports at start-up that only some scripts use
OPTIONAL = ("csa",)


class _Deferred(types.ModuleType):
    """A package's module before its code has run: the import system's attributes
    (``__spec__``, ``__path__``...) are there; any other runs the package first."""

    def __getattr__(self, attr):        # only for attributes not (yet) defined
        spec = self.__spec__
        self.__class__ = types.ModuleType       # from now on an ordinary module
        try:
            spec.loader.exec_module(self)
        except BaseException:
            sys.modules.pop(spec.name, None)    # as a failed import leaves it
            raise
        return getattr(self, attr)


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
        sys.modules[name] = module
