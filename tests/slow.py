"""Parametrizations split between the fast suite and the slow tests.

A test run over many models or variants keeps a representative few in the fast suite
(the plain ``python -m pytest -q``) and marks the rest ``slow``: most of their cost is
Numba's one-time compilation of each variant's kernels, which CI pays with the slow
tests (``TINYSIM_RUN_SLOW=1``, see tests/conftest.py) on every variant.
"""

import pytest


def fast_few(values, fast):
    """``values`` as parameters, those not in ``fast`` marked ``slow``."""
    fast = set(fast)
    missing = fast.difference(values)
    if missing:                             # a renamed model must not silently go slow
        raise ValueError(f"fast values {sorted(missing)} are not among {list(values)}")
    return [value if value in fast else pytest.param(value, marks=pytest.mark.slow)
            for value in values]
