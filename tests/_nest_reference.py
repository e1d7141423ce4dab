"""pyNN.nest as the reference for a test module, in a process of its own.

NEST's kernel is process-global, so a test module that compares tinysim with
pyNN.nest runs itself as a script on NEST: its ``__main__`` calls
``write_nest_results(protocol)``, and its module-scoped fixture calls
``nest_results_of(__file__, ...)`` to get what ``protocol(pyNN.nest)`` returned
(JSON), or skips when pyNN.nest is not importable (exit status 3).
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

NEST_MISSING = 3        # the exit status of a reference run without pyNN.nest


def nest_results_of(module_file, tmp_path_factory, timeout=300):
    """Run ``module_file`` as the NEST reference; the results its protocol wrote."""
    out = tmp_path_factory.mktemp("nest_" + Path(module_file).stem) / "nest.json"
    proc = subprocess.run([sys.executable, str(Path(module_file).resolve()), str(out)],
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode == NEST_MISSING:
        pytest.skip("pyNN.nest is not importable")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text())


def write_nest_results(protocol):
    """A reference run's ``__main__``: ``protocol(pyNN.nest)`` as JSON to ``argv[1]``."""
    try:
        import pyNN.nest as nest_sim
    except Exception:       # noqa: BLE001 -- any failure to import NEST: skip
        sys.exit(NEST_MISSING)
    Path(sys.argv[1]).write_text(json.dumps(protocol(nest_sim)))
