"""PyNN standard models mapped onto engine model families.

Each class subclasses PyNN's standard model (so names, defaults, units and
recordables are PyNN's own) and adds ``engine_model``, the engine class that
simulates it. The engine works in PyNN's units, so every translation is the
identity; values are validated on the way in (see :mod:`.validation`).
"""

from pyNN.standardmodels import build_translations


def identity_translations(*names):
    """PyNN's translation table for parameters whose native name and units are PyNN's.

    ``names``: the parameter names, e.g. ``*cells.IF_curr_exp.default_parameters``.
    The one helper every standard model of pyNN.tinysim builds its table with.
    """
    return build_translations(*[(name, name) for name in names])
