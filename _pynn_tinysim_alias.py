"""Make ``pyNN.tinysim`` (and every ``pyNN.tinysim.X``) an alias of ``pynn_tinysim[.X]``.

Why this exists
---------------
PyNN backends live inside the ``pyNN`` package (``pyNN.nest``, ``pyNN.brian2``), and
users switch backend by changing one import line.  ``pyNN/`` in site-packages belongs
to the PyNN distribution, so we cannot put ``pyNN/tinysim/`` there: an editable
install (``pip install -e .``) never copies files, and writing into another
distribution's directory breaks when either one is upgraded or uninstalled.

Instead the wheel ships, at the root of site-packages, this module and
``_pynn_tinysim_alias.pth``, whose one line imports it when Python starts.  Importing
it puts one finder at the front of ``sys.meta_path``.  The finder answers only for
the names ``pyNN.tinysim`` and ``pyNN.tinysim.*``; ``pyNN.tinysim.X`` becomes the
very module object ``pynn_tinysim.X`` (``sys.modules`` holds it under both names,
``pyNN.tinysim is pynn_tinysim``), so no module is ever loaded twice.  The import
system itself then sets ``pyNN.tinysim`` as an attribute of the ``pyNN`` package,
which is what ``import pyNN.tinysim as sim`` and
``importlib.import_module("pyNN.tinysim")`` (``pyNN.utility.get_simulator``) need.

The same files are in the editable wheel (hatchling copies ``force-include`` files
into it), so both install modes behave alike and no post-install step is needed.
A ``pyNN/tinysim/__init__.py`` shim file is therefore not needed, and deliberately
absent: it could only work in a non-editable install, and it would be a second
module object, not an alias.

Rules for this file: it runs at every interpreter start in the environment where
the project is installed, so at import time it touches nothing but ``sys`` (no
numpy, no pyNN, not even ``importlib.util``) and it never raises.  It is copied,
not linked, by an editable install: after changing it, reinstall.

Where no ``.pth`` file is read (``python -S``) or the project is not installed
(a source tree on ``PYTHONPATH``), ``import _pynn_tinysim_alias`` switches the
alias on by hand; ``install()`` is idempotent.
"""

import sys

ALIAS = "pyNN.tinysim"
TARGET = "pynn_tinysim"


def _target_name(fullname):
    """``pyNN.tinysim[.X]`` -> ``pynn_tinysim[.X]``; anything else -> None."""
    if fullname == ALIAS:
        return TARGET
    if fullname.startswith(ALIAS + "."):
        return TARGET + fullname[len(ALIAS):]
    return None


class _AliasLoader:
    """Loader whose module is the already (or newly) imported real module."""

    def __init__(self, target):
        self.target = target
        self._target_spec = None

    def create_module(self, spec):
        import importlib

        module = importlib.import_module(self.target)
        self._target_spec = getattr(module, "__spec__", None)
        return module

    def exec_module(self, module):
        # The import system has just set module.__spec__ to the alias spec
        # (it always does, for any module it creates).  Put the real one back so
        # importlib.reload, pickle and relative imports keep seeing "pynn_tinysim".
        if self._target_spec is not None:
            module.__spec__ = self._target_spec


class TinysimAliasFinder:
    """``sys.meta_path`` finder for ``pyNN.tinysim`` and ``pyNN.tinysim.*``.

    It sits before the path finder: otherwise ``pyNN.tinysim.X`` would be found in
    ``pynn_tinysim.__path__`` by the path finder and executed a second time as a new
    module.  For every other name it returns None after two string tests.
    """

    _pynn_tinysim_alias = True  # marker: install() finds an existing copy by it

    def find_spec(self, fullname, path=None, target=None):
        target_name = _target_name(fullname)
        if target_name is None:
            return None
        import importlib.util

        module = sys.modules.get(target_name)
        if module is None:
            try:
                found = importlib.util.find_spec(target_name)
            except (ImportError, ValueError):
                return None
            if found is None:
                return None  # -> "No module named 'pyNN.tinysim.X'", as usual
            is_package = found.submodule_search_locations is not None
        else:
            is_package = hasattr(module, "__path__")
        return importlib.util.spec_from_loader(
            fullname, _AliasLoader(target_name), is_package=is_package)

    def invalidate_caches(self):
        pass


def install():
    """Put the finder first on ``sys.meta_path``; a second call does nothing."""
    for finder in sys.meta_path:
        if getattr(finder, "_pynn_tinysim_alias", False):
            return finder
    finder = TinysimAliasFinder()
    sys.meta_path.insert(0, finder)
    return finder


try:
    install()
except Exception:  # never break interpreter start-up
    pass
