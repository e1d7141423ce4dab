"""``assert_backends_agree``: the harness as one assertion in a user's own tests::

    from pynn_tinysim.compare import assert_backends_agree

    def test_model_is_portable():
        assert_backends_agree("model.py", backends=["tinysim", "brian2"], seeds=3)

A relative script path is looked up from the current directory, then next to the
calling test file. A requested backend that is not installed skips the test (with
the pip command) unless ``skip_missing=False``; a backend that fails or disagrees
fails it with the verdict table, the reasons and where the report is.
"""

import inspect
import os
import shutil
import tempfile

from . import harness


class BackendsDisagree(AssertionError):
    """The backends disagree (or the script failed on some of them)."""

    def __init__(self, message, result):
        super().__init__(message)
        self.result = result


def _resolve(script):
    """``script`` as given if it exists, else next to the first caller outside this package."""
    if os.path.isabs(script) or os.path.exists(script):
        return os.path.abspath(script)
    here = os.path.dirname(os.path.abspath(__file__))
    for frame in inspect.stack()[1:]:
        filename = os.path.abspath(frame.filename)
        if os.path.dirname(filename) != here:
            candidate = os.path.join(os.path.dirname(filename), script)
            if os.path.exists(candidate):
                return candidate
            break
    return script


def _skip(reason):
    try:
        import pytest
    except ImportError:  # used outside pytest: a missing backend is an error
        raise RuntimeError(reason) from None
    pytest.skip(reason)


def assert_backends_agree(script, backends=("tinysim", "nest"), seeds=3, script_args=(),
                          out_dir=None, keep_script_seeds=False, skip_missing=True,
                          keep_report=False, **options):
    """Run ``script`` on ``backends`` (``seeds`` repetitions each) and assert that they agree.

    ``options`` go to :func:`pynn_tinysim.compare.compare` (timeout, base_seed,
    brian2_target, figures, jobs...). Returns the ComparisonResult. The report
    directory is a temporary one unless ``out_dir`` is given; it is removed after
    a pass unless ``keep_report``, and always kept after a failure.
    """
    script = _resolve(script)
    if isinstance(backends, str):
        backends = [b.strip() for b in backends.split(",") if b.strip()]
    from . import backends as backends_mod
    plan = backends_mod.expand(list(backends))
    if plan.skipped:
        reason = "; ".join(f"{name}: {why}" for name, why in plan.skipped.items())
        if skip_missing:
            _skip(reason)
        raise AssertionError(f"cannot compare {os.path.basename(script)}: {reason}")
    temporary = out_dir is None
    if temporary:
        out_dir = tempfile.mkdtemp(prefix="tinysim-compare-")
    options.setdefault("figures", False)
    result = harness.compare(script, backends=backends, seeds=seeds, out_dir=out_dir,
                             script_args=script_args, keep_script_seeds=keep_script_seeds,
                             **options)
    if result.exit_code != 0:
        raise BackendsDisagree(
            f"backends disagree on {os.path.basename(script)} "
            f"({', '.join(backends)}, {seeds} seed(s)):\n" + result.table(), result)
    if temporary and not keep_report:
        shutil.rmtree(out_dir, ignore_errors=True)
    return result
