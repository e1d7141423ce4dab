"""The fast suite leaves the ``slow`` tests out unless asked for (tests/conftest.py)."""

import os
import pathlib
import subprocess
import sys

import pytest

TESTS = pathlib.Path(__file__).resolve().parent
#: a test file with one slow test among fast ones, and nothing heavy to import
SAMPLE = TESTS / "test_imports.py"


def _collected(*args, run_slow=None):
    env = {k: v for k, v in os.environ.items() if k != "TINYSIM_RUN_SLOW"}
    if run_slow is not None:
        env["TINYSIM_RUN_SLOW"] = run_slow
    proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-n", "0",
                           "-p", "no:cacheprovider", str(SAMPLE), *args],
                          cwd=TESTS.parent, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return {line.split("::")[1] for line in proc.stdout.splitlines() if "::" in line}


@pytest.mark.parametrize("how", ["option", "env"])
def test_slow_tests_run_only_when_asked_for(how):
    slow = "test_each_module_imports_alone"
    fast = _collected()
    assert slow not in fast and "test_no_import_cycle" in fast
    everything = _collected("--runslow") if how == "option" else _collected(run_slow="1")
    assert everything == fast | {slow}
    assert _collected(run_slow="0") == fast
    assert _collected("-m", "slow") == {slow}        # an -m of one's own wins
