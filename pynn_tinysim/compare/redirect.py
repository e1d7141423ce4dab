"""Import redirection for a child process: every PyNN backend name means one backend.

A script written ``import pyNN.spiNNaker as p``, ``import pyNN.nest as sim``,
``importlib.import_module("pyNN." + name)`` or ``sim, args = get_simulator(...)``
runs unmodified on the backend the harness chose:

* the chosen backend's module is imported first, under its real name;
* every other backend module name (``backends.BACKEND_MODULE_NAMES``) is made the
  same module object: ``sys.modules`` holds it under each name and the ``pyNN``
  package gets it as an attribute, so ``import pyNN.nest as sim`` and
  ``importlib.import_module("pyNN.nest")`` both return it without ever running
  pyNN.nest's own code;
* a meta-path finder, first on ``sys.meta_path``, maps submodules of those names
  (``pyNN.nest.standardmodels``) to the chosen backend's submodule of the same name,
  or to the usual ``No module named ...`` when it has none;
* ``pyNN.utility.get_simulator`` is wrapped so that the simulator name it parses
  from ``sys.argv`` is the chosen backend's (inserted when the command line has
  none, replaced when it names another backend).

This is only ever installed in a child process the harness started for one run.
"""

import importlib
import importlib.util
import sys

from .backends import BACKEND_MODULE_NAMES, SIMULATOR_ARGUMENT_NAMES


class _AliasLoader:
    def __init__(self, module):
        self.module = module

    def create_module(self, spec):
        return self.module

    def exec_module(self, module):
        # the import system has set __spec__ to the alias spec; put the real one back
        real = getattr(self, "_real_spec", None)
        if real is not None:
            module.__spec__ = real


class RedirectFinder:
    """Meta-path finder: ``<alias>`` and ``<alias>.X`` -> the target and its ``X``."""

    _pynn_tinysim_redirect = True

    def __init__(self, aliases, target_name):
        self.aliases = tuple(sorted(aliases, key=len, reverse=True))
        self.target_name = target_name

    def _map(self, fullname):
        for alias in self.aliases:
            if fullname == alias:
                return self.target_name
            if fullname.startswith(alias + "."):
                return self.target_name + fullname[len(alias):]
        return None

    def find_spec(self, fullname, path=None, target=None):
        mapped = self._map(fullname)
        if mapped is None:
            return None
        try:
            module = importlib.import_module(mapped)
        except ModuleNotFoundError as err:
            if err.name == mapped:
                raise ModuleNotFoundError(
                    f"No module named {fullname!r} (redirected to {mapped!r}, which does not "
                    f"exist)", name=fullname) from None
            raise
        loader = _AliasLoader(module)
        loader._real_spec = getattr(module, "__spec__", None)
        return importlib.util.spec_from_loader(fullname, loader,
                                               is_package=hasattr(module, "__path__"))

    def invalidate_caches(self):
        pass


def _alias_names(target_module_name, extra_aliases=()):
    names = set(BACKEND_MODULE_NAMES) | set(extra_aliases)
    names.discard(target_module_name)
    # target pynn_tinysim: "pyNN.tinysim" stays an alias, which is what
    # _pynn_tinysim_alias makes it anyway (and works without the .pth file)
    return names


def install(target_module_name, simulator_name, extra_aliases=()):
    """Import the chosen backend and redirect every other backend name to it.

    Returns the backend module. ``simulator_name`` is what ``get_simulator`` is
    handed on the command line (e.g. ``"nest"``, ``"tinysim"``).
    """
    module = importlib.import_module(target_module_name)
    aliases = _alias_names(target_module_name, extra_aliases)
    for alias in sorted(aliases, key=len):
        sys.modules[alias] = module
        parent_name, _, attr = alias.rpartition(".")
        parent = sys.modules.get(parent_name) if parent_name else None
        if parent_name and parent is None:
            try:
                parent = importlib.import_module(parent_name)
            except ImportError:
                parent = None
        # also when the parent is the target itself (pyNN.tinysim.spinnaker on the
        # spinnaker-emu leg): `import a.b as c` reads c as an attribute of a.b's parent
        if parent is not None:
            try:
                setattr(parent, attr, module)
            except (AttributeError, TypeError):
                pass
    for finder in list(sys.meta_path):
        if getattr(finder, "_pynn_tinysim_redirect", False):
            sys.meta_path.remove(finder)
    sys.meta_path.insert(0, RedirectFinder(aliases, target_module_name))
    _patch_get_simulator(simulator_name)
    return module


def rewrite_simulator_argv(argv, simulator_name):
    """``argv`` as ``get_simulator`` should see it: the first positional argument is the
    chosen backend's name (replacing another backend's name, or inserted)."""
    argv = list(argv)
    if len(argv) > 1 and not argv[1].startswith("-") and (
            argv[1] in SIMULATOR_ARGUMENT_NAMES or argv[1].lower() in SIMULATOR_ARGUMENT_NAMES
            or argv[1].startswith("tinysim")):
        argv[1] = simulator_name
    else:
        argv.insert(1, simulator_name)
    return argv


def _patch_get_simulator(simulator_name):
    import pyNN.utility
    import pyNN.utility.script_tools as script_tools

    original = getattr(script_tools.get_simulator, "_pynn_tinysim_original",
                       script_tools.get_simulator)

    def get_simulator(*arguments):
        sys.argv[:] = rewrite_simulator_argv(sys.argv, simulator_name)
        return original(*arguments)

    get_simulator.__doc__ = original.__doc__
    get_simulator._pynn_tinysim_original = original
    script_tools.get_simulator = get_simulator
    pyNN.utility.get_simulator = get_simulator
