"""Cross-backend harness: run one unmodified PyNN script on tinysim, Brian2, NEST and
SpiNNaker, and say whether their firing statistics agree.

Command line (``tinysim run`` / ``tinysim compare``, see :mod:`pynn_tinysim.compare.cli`)
or Python::

    from pynn_tinysim.compare import compare, assert_backends_agree
    result = compare("model.py", backends=["tinysim", "nest"], out_dir="cmp")   # 5 seeds
    print(result.table()); result.exit_code
    assert_backends_agree("model.py", backends=["tinysim", "brian2"])           # in a test

Modules, each owning one thing: backends (which backends exist and run), redirect
(import redirection in the child), seeds (seeds per repetition), capture (saving
every Population's data), child (the child process), runners (starting children),
statistics (metrics), equivalence (the per-metric tests: Welch, TOST, Holm), verdict
(outcomes, the odd backend out, explanations), report (files and the terminal table),
notebook (.ipynb input), progress (the phase of a running child), harness (wiring),
pytest_helper, cli.
"""

from .harness import DEFAULT_BACKENDS, ComparisonResult, compare  # noqa: F401


def assert_backends_agree(*args, **kwargs):
    """See :func:`pynn_tinysim.compare.pytest_helper.assert_backends_agree`."""
    __tracebackhide__ = True      # pytest: show the caller's line and the message only
    from .pytest_helper import assert_backends_agree as _assert
    return _assert(*args, **kwargs)


__all__ = ["compare", "assert_backends_agree", "ComparisonResult", "DEFAULT_BACKENDS"]
