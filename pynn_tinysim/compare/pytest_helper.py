"""``assert_backends_agree``: the harness as one assertion in a user's own tests::

    from pynn_tinysim.compare import assert_backends_agree

    def test_model_is_portable():
        assert_backends_agree("model.py", backends=["tinysim", "brian2"])

A relative script path is looked up from the current directory, then next to the
calling test file. A requested backend that is not installed skips the test (with
the pip command) unless ``skip_missing=False``. A backend that fails or differs, or too few
seeds to judge, fails it with a short message: the verdict, the reasons and the path of the
report, which is kept (it is removed after a pass unless ``keep_report`` or ``out_dir``).
pytest shows no frame of this module (``__tracebackhide__``).
"""

import inspect
import os
import shutil
import tempfile

from . import harness, verdict as verdict_mod


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


def failure_message(result, script, backends, seeds, max_lines=12):
    """A few lines: what differs or failed, the verdict, where the report is."""
    v = result.verdict
    lines = [f"backends disagree on {os.path.basename(script)} ({', '.join(backends)}, "
             f"{seeds} seed(s)): {v.summary} (exit {v.exit_code})"]
    reasons = [f"FAILED: {f}" for f in verdict_mod.grouped_failures(v.failures)]
    reasons += [f"DIFFER: {d}" for d in v.disagreements if d not in v.failures.values()]
    if v.exit_code == verdict_mod.EXIT_UNDECIDED:
        reasons += [f"{c.population} {c.metric} ({c.backend} vs {c.reference}): {c.status}: "
                    f"{c.reason or 'not shown within the margin'}"
                    for c in v.comparisons if c.judged and c.status in (
                        verdict_mod.TOO_FEW, verdict_mod.INCONCLUSIVE)]
    for line in reasons[:max_lines]:
        lines.append("  " + (line if len(line) <= 400 else line[:397] + "..."))
    if len(reasons) > max_lines:
        lines.append(f"  ... and {len(reasons) - max_lines} more")
    html = result.report_files.get("html") or result.report_files.get("markdown")
    lines.append(f"report: {html or result.out_dir}")
    return "\n".join(lines)


def assert_backends_agree(script, backends=("tinysim", "nest"), seeds=verdict_mod.DEFAULT_SEEDS,
                          script_args=(), out_dir=None, keep_script_seeds=False,
                          skip_missing=True, keep_report=False, **options):
    """Run ``script`` on ``backends`` (``seeds`` repetitions each) and assert that they agree.

    ``options`` go to :func:`pynn_tinysim.compare.compare` (timeout, base_seed,
    brian2_target, figures, margins, strict, jobs...). Returns the ComparisonResult.
    The report directory is a temporary one unless ``out_dir`` is given; after a pass it is
    removed unless ``keep_report``; after a failure it is kept and its path is in the
    message (with figures: ``figures=True`` unless given).
    """
    __tracebackhide__ = True
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
    figures_asked = options.pop("figures", None)
    result = harness.compare(script, backends=backends, seeds=seeds, out_dir=out_dir,
                             script_args=script_args, keep_script_seeds=keep_script_seeds,
                             figures=bool(figures_asked), **options)
    if result.exit_code != 0:
        if figures_asked is None:       # figures only for a report someone will read
            from . import report
            result.report_files = report.write_all(result, figures=True)
        _fail(failure_message(result, script, backends, seeds), result)
    if temporary and not keep_report:
        shutil.rmtree(out_dir, ignore_errors=True)
    return result


def _fail(message, result):
    # raised from this small frame so that pytest's traceback shows only the message
    __tracebackhide__ = True
    raise BackendsDisagree(message, result) from None
