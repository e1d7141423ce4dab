"""sPyNNaker's public helper modules for scripts run where sPyNNaker is not installed.

Scripts written for SpiNNaker import some of sPyNNaker's (and PACMAN's) own
modules next to ``pyNN.spiNNaker``: ``spynnaker.pyNN.utilities.neo_convertor``,
``spynnaker.spynnaker_plotting``, ``spynnaker.pyNN.external_devices``,
``spynnaker.pyNN.models.utility_models.spike_injector``, splitter classes.
:func:`install` (called when ``pyNN.tinysim.spinnaker`` is imported) adds a
meta-path finder that serves equivalents of these, and only these, names —
and only for a top-level package (``spynnaker``, ``pacman``) that Python cannot
find itself: where sPyNNaker is installed, its own modules are imported and
nothing here is used (:data:`SERVED` says which packages this process serves).
A served module is a module of its own name, filled from ours (see
:data:`MODULES`); a name outside the table is not found (ImportError, as
without sPyNNaker).
"""

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys

_HERE = __name__                        # pynn_tinysim.spinnaker.compat
_FLAVOUR = __name__.rsplit(".", 1)[0]   # pynn_tinysim.spinnaker

#: served module name -> the module whose names it offers (None: an empty package)
MODULES = {
    "spynnaker": None,
    "spynnaker.spynnaker_plotting": f"{_HERE}.spynnaker_plotting",
    "spynnaker.pyNN": None,
    "spynnaker.pyNN.utilities": None,
    "spynnaker.pyNN.utilities.neo_convertor": f"{_HERE}.neo_convertor",
    "spynnaker.pyNN.utilities.utility_calls": f"{_HERE}.utility_calls",
    "spynnaker.pyNN.external_devices": f"{_FLAVOUR}.external_devices",
    "spynnaker.pyNN.extra_models": f"{_FLAVOUR}.extra_models",
    "spynnaker.pyNN.models": None,
    "spynnaker.pyNN.models.utility_models": None,
    "spynnaker.pyNN.models.utility_models.spike_injector": f"{_FLAVOUR}.external_devices",
    "spynnaker.pyNN.extra_algorithms": None,
    "spynnaker.pyNN.extra_algorithms.splitter_components": f"{_HERE}.splitters",
    "pacman": None,
    "pacman.model": None,
    "pacman.model.partitioner_splitters": f"{_HERE}.splitters",
}

#: top-level packages served in this process (those Python could not find itself)
SERVED = set()


class _Loader(importlib.abc.Loader):
    def __init__(self, target):
        self.target = target

    def create_module(self, spec):
        return None                     # a new, empty module of the served name

    def exec_module(self, module):
        module.__doc__ = (f"{module.__name__}: served by pyNN.tinysim.spinnaker "
                          "(sPyNNaker is not installed)")
        if self.target is None:
            return
        source = importlib.import_module(self.target)
        module.__doc__ = source.__doc__
        module.__dict__.update({name: value for name, value in vars(source).items()
                                if not name.startswith("__")})
        fallback = getattr(source, "__getattr__", None)
        if fallback is not None:        # the source's own "not implemented" errors
            module.__getattr__ = fallback


class _Finder(importlib.abc.MetaPathFinder):
    """Finds the names of :data:`MODULES` whose top-level package is served."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".", 1)[0] not in SERVED or fullname not in MODULES:
            return None
        target = MODULES[fullname]
        is_package = any(name.startswith(fullname + ".") for name in MODULES)
        return importlib.machinery.ModuleSpec(fullname, _Loader(target),
                                              is_package=is_package)


_FINDER = _Finder()


def install():
    """Serve the helper modules of each of ``spynnaker``, ``pacman`` that is not installed."""
    for top in ("spynnaker", "pacman"):
        if top in SERVED:
            continue
        try:
            found = importlib.util.find_spec(top) is not None
        except (ImportError, ValueError):
            found = top in sys.modules
        if not found:
            SERVED.add(top)
    if SERVED and _FINDER not in sys.meta_path:
        sys.meta_path.append(_FINDER)   # last: anything installed later still wins
