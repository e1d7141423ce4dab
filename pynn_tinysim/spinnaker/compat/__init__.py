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

Code that asks whether sPyNNaker is installed must still hear "no":

- the served top-level packages are put in ``sys.modules`` with no
  ``__spec__``, so ``importlib.util.find_spec("spynnaker")`` raises
  ValueError (which the compare harness, like most probes, reads as absent)
  rather than finding our stand-in;
- ``spynnaker.pyNN`` raises ModuleNotFoundError for anything but the served
  submodules, so PyNN's own ``pyNN/spiNNaker.py`` (``from spynnaker.pyNN
  import *``) still fails to import, as without sPyNNaker.
"""

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types

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
        if self.target is None:
            _make_stub(module)
            return
        source = importlib.import_module(self.target)
        module.__doc__ = source.__doc__
        module.__dict__.update({name: value for name, value in vars(source).items()
                                if not name.startswith("__")})
        fallback = getattr(source, "__getattr__", None)
        if fallback is not None:        # the source's own "not implemented" errors
            module.__getattr__ = fallback


def _make_stub(module):
    """An empty served package: its served submodules import, any other name is absent."""
    name = module.__name__
    module.__doc__ = f"{name}: served by pyNN.tinysim.spinnaker (sPyNNaker is not installed)"
    children = {child[len(name) + 1:].split(".", 1)[0] for child in MODULES
                if child.startswith(name + ".")}

    def __getattr__(attr):
        if attr in children or attr.startswith("__"):
            raise AttributeError(attr)      # (the import system then imports the child)
        raise ModuleNotFoundError(
            f"{name}.{attr}: sPyNNaker is not installed (pyNN.tinysim.spinnaker serves only "
            f"some of its helper modules: {', '.join(sorted(MODULES))})", name=name)
    module.__getattr__ = __getattr__
    if name == "spynnaker.pyNN":
        module.__all__ = ["setup"]         # "from spynnaker.pyNN import *" fails, as it should
    return module


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
            # in sys.modules without a spec: importable as a parent of the served modules,
            # but importlib.util.find_spec(top) raises ValueError (see the docstring)
            stub = types.ModuleType(top)
            stub.__path__ = []
            stub.__spec__ = None
            sys.modules.setdefault(top, _make_stub(stub))
    if SERVED and _FINDER not in sys.meta_path:
        sys.meta_path.append(_FINDER)   # last: anything installed later still wins
