"""Cross-backend harness: run one unmodified PyNN script on tinysim, Brian2, NEST and
SpiNNaker, and say whether their firing statistics agree.

Command line (``tinysim run`` / ``tinysim compare``, see :mod:`pynn_tinysim.compare.cli`)
or Python::

    from pynn_tinysim.compare import compare, assert_backends_agree
    result = compare("model.py", backends=["tinysim", "nest"], seeds=3, out_dir="cmp")
    print(result.table()); result.exit_code
    assert_backends_agree("model.py", backends=["tinysim", "brian2"], seeds=3)  # in a test

Modules, each owning one thing: backends (which backends exist and run), redirect
(import redirection in the child), seeds (seeds per repetition), capture (saving
every Population's data), child (the child process), runners (starting children),
statistics (metrics), verdict (agreement and explanations), report (files and
the terminal table), harness (wiring), pytest_helper, cli.
"""

from .harness import DEFAULT_BACKENDS, ComparisonResult, compare  # noqa: F401


def assert_backends_agree(*args, **kwargs):
    """See :func:`pynn_tinysim.compare.pytest_helper.assert_backends_agree`."""
    from .pytest_helper import assert_backends_agree as _assert
    return _assert(*args, **kwargs)


__all__ = ["compare", "assert_backends_agree", "ComparisonResult", "DEFAULT_BACKENDS"]
