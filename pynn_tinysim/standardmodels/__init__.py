"""PyNN standard models mapped onto engine model families.

Each class subclasses PyNN's standard model (so names, defaults, units and
recordables are PyNN's own) and adds ``engine_model``, the engine class that
simulates it. The engine works in PyNN's units, so every translation is the
identity; values are validated on the way in (see :mod:`.validation`).
"""
