"""``tinysim spinnaker-check``: run a script with sPyNNaker on its virtual board.

Without sPyNNaker the command must say so and exit with status 2. With
$TINYSIM_SPYNNAKER_PYTHON naming an interpreter that has sPyNNaker, a script
written for pyNN.tinysim.spinnaker is checked unchanged.
"""

import os
import textwrap

import pytest

from pynn_tinysim import cli
from pynn_tinysim.spinnaker import check

GOOD = """
import pyNN.tinysim.spinnaker as sim
sim.setup(timestep=1.0)
src = sim.Population(5, sim.SpikeSourceArray(spike_times=[1.0, 2.0]), label="src")
dst = sim.Population(5, sim.IF_curr_exp(), label="dst")
sim.Projection(src, dst, sim.OneToOneConnector(), sim.StaticSynapse(weight=1.0, delay=2.5))
sim.Projection(src, dst, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.5, delay=0.4),
               receptor_type="inhibitory")
dst.record("spikes")
sim.run(10)
sim.end()
"""

TOO_LONG_DELAY = """
import pyNN.tinysim.spinnaker as sim
sim.setup(timestep=1.0)
src = sim.Population(10, sim.SpikeSourcePoisson(rate=10.0), label="src")
dst = sim.Population(300, sim.IF_cond_exp(), label="dst")
sim.Projection(src, dst, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.01, delay=400.0))
sim.run(10)
"""


def _script(tmp_path, text, name="script.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_command_is_registered():
    parser = cli.build_parser()
    args = parser.parse_args(["spinnaker-check", "x.py", "--python", "py", "--json"])
    assert args.script == "x.py" and args.python == "py" and args.json
    assert args.func is not None


def test_without_spynnaker_it_says_so_and_exits_2(tmp_path, capsys):
    script = _script(tmp_path, GOOD)
    missing = str(tmp_path / "no-such-python")
    status = cli.main(["spinnaker-check", script, "--python", missing])
    assert status == check.EXIT_NO_SPYNNAKER == 2
    err = capsys.readouterr().err
    assert "sPyNNaker is not installed" in err and "pip install spynnaker" in err
    with pytest.raises(check.SpynnakerNotFound):
        check.check_script(script, python=missing)


def test_missing_script_is_an_error(tmp_path, capsys):
    status = cli.main(["spinnaker-check", str(tmp_path / "nope.py"), "--python",
                       str(tmp_path / "no-python")])
    assert status in (1, 2)


def test_report_wording():
    result = check.CheckResult(script="s.py", python="py", spynnaker_version="7.4.1",
                               mapped=True, runs=1,
                               warnings=[(2, "spynnaker", "Rounding up delay from 2.5 to 2.0")],
                               notes=["projection a->b: 1 delay value(s) below the time step"])
    text = check.format_report(result)
    assert "MAPS" in text and "(x2)" in text and "derived by tinysim" in text
    assert result.exit_status() == 0
    failed = check.CheckResult(script="s.py", python="py", error="DelayExtensionException: x")
    assert "DOES NOT MAP" in check.format_report(failed) and failed.exit_status() == 1


def _spynnaker_python():
    python = os.environ.get(check.PYTHON_ENV)
    if not python:
        pytest.skip(f"set ${check.PYTHON_ENV} to a Python that has sPyNNaker to run the "
                    "virtual-board check")
    return python


def test_virtual_board_maps_a_flavour_script(tmp_path):
    result = check.check_script(_script(tmp_path, GOOD), python=_spynnaker_python())
    assert result.ok, result.error_traceback or result.output_tail
    assert result.runs == 1
    messages = " ".join(m for _, _, m in result.warnings)
    assert "Rounding up delay" in messages and "2.5" in messages
    assert any("clipped up to one time step" in note for note in result.notes)


def test_virtual_board_refuses_a_delay_too_long(tmp_path, capsys):
    status = cli.main(["spinnaker-check", _script(tmp_path, TOO_LONG_DELAY),
                       "--python", _spynnaker_python()])
    assert status == 1
    out = capsys.readouterr().out
    assert "DOES NOT MAP" in out and "max delay supported is 288" in out


NEST_SCRIPT = """
import pyNN.nest as sim
sim.setup(timestep=1.0)
cells = sim.Population(10, sim.IF_curr_exp(), label="cells")
cells.record("spikes")
sim.run(10)
sim.end()
"""


def test_driver_redirects_every_other_backend_name():
    source = check.driver_source()
    for name in ("pyNN.nest", "pyNN.brian2", "pyNN.tinysim", "pyNN.tinysim.spinnaker",
                 "spynnaker8"):
        assert repr(name) in source
    assert "'pyNN.spiNNaker'" not in source.split("_ALIASES = ")[1].splitlines()[0]
    compile(source, "driver", "exec")


def test_report_says_what_was_redirected_and_when_nothing_ran():
    result = check.CheckResult(script="s.py", python="py", redirected=["pyNN.nest"])
    text = check.format_report(result)
    assert "the script imports pyNN.nest; checked as pyNN.spiNNaker" in text
    assert "NOTHING TO MAP: the script ended without calling run()" in text
    assert result.exit_status() == 1


def test_virtual_board_checks_a_nest_script_as_spinnaker(tmp_path):
    result = check.check_script(_script(tmp_path, NEST_SCRIPT), python=_spynnaker_python())
    assert result.ok, result.error_traceback or result.output_tail
    assert result.redirected == ["pyNN.nest"]


def test_virtual_board_checks_a_notebook(tmp_path):
    import json
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
              "source": ["%matplotlib inline\n", line]} for line in NEST_SCRIPT.strip().splitlines()[:1]]
    cells.append({"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                  "source": "\n".join(NEST_SCRIPT.strip().splitlines()[1:])})
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}))
    result = check.check_script(str(path), python=_spynnaker_python())
    assert result.ok, result.error_traceback or result.output_tail
