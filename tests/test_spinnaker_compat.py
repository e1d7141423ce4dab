"""sPyNNaker's helper modules for scripts, served only where sPyNNaker is absent; get_machine.

- without sPyNNaker, ``spynnaker.pyNN.utilities.neo_convertor`` and friends are
  served by pyNN.tinysim.spinnaker (and give the layouts sPyNNaker documents);
- with a ``spynnaker`` package importable (a stand-in here; sPyNNaker's own
  venv when $TINYSIM_SPYNNAKER_PYTHON is set), that package is what scripts
  import: nothing is shadowed;
- splitter hints are no-ops with a debug line; get_machine describes a SpiNN-5 board.
"""

import logging
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import pyNN.tinysim.spinnaker as sim
from pynn_tinysim.spinnaker import compat


def _run(code, cwd, python=sys.executable, extra_path=None):
    env = dict(os.environ)
    paths = [os.getcwd()] + ([str(extra_path)] if extra_path else [])
    env["PYTHONPATH"] = os.pathsep.join(paths + [env.get("PYTHONPATH", "")])
    return subprocess.run([python, "-c", textwrap.dedent(code)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_served_modules_without_spynnaker():
    assert "spynnaker" in compat.SERVED or "spynnaker" in sys.modules
    from spynnaker.pyNN.utilities import neo_convertor
    from spynnaker import spynnaker_plotting                                 # noqa: F401
    import spynnaker.pyNN.external_devices as ext
    from spynnaker.pyNN.models.utility_models.spike_injector import SpikeInjector
    assert "served" in repr(neo_convertor) or neo_convertor.__doc__.startswith("Equivalent")
    assert ext.SpynnakerLiveSpikesConnection is sim.external_devices.SpynnakerLiveSpikesConnection
    assert SpikeInjector is sim.external_devices.SpikeInjector
    with pytest.raises(NotImplementedError, match="PushBotLaser"):
        ext.PushBotLaser
    with pytest.raises(ImportError):
        import spynnaker.pyNN.not_a_module                               # noqa: F401


def test_neo_convertor_layouts():
    from spynnaker.pyNN.utilities import neo_convertor
    sim.setup(timestep=1.0)
    cells = sim.Population(3, sim.IF_curr_exp(i_offset=[0.0, 2.0, 3.0]))
    cells.record(["spikes", "v"])
    sim.run(50)
    block = cells.get_data()
    spikes = neo_convertor.convert_spikes(block)
    trains = block.segments[0].spiketrains
    assert spikes.shape == (sum(len(t) for t in trains), 2)
    assert np.array_equal(spikes[:, 1], np.concatenate([np.asarray(t) for t in trains]))
    assert set(spikes[:, 0]) == {1.0, 2.0}
    assert neo_convertor.count_spikes(block) == spikes.shape[0]
    v = neo_convertor.convert_data(block, "v")
    assert v.shape == (3 * 50, 3)
    assert np.array_equal(v[:50, 0], np.zeros(50)) and np.array_equal(v[:50, 1], np.arange(50))
    signal = np.asarray(block.segments[0].filter(name="v")[0])
    assert np.array_equal(v[50:100, 2], signal[:, 1])
    with pytest.raises(ValueError, match="unable to run 3"):
        neo_convertor.convert_spikes(block, run=3)
    sim.end()


def test_splitters_are_no_ops_with_a_debug_line(caplog):
    from pacman.model.partitioner_splitters import SplitterFixedLegacy
    from spynnaker.pyNN.extra_algorithms.splitter_components import (
        SplitterPopulationVertexFixed)
    sim.setup(timestep=1.0)
    with caplog.at_level(logging.DEBUG, logger="pyNN.tinysim.spinnaker"):
        pop = sim.Population(4, sim.IF_curr_exp(), additional_parameters={
            "splitter": SplitterPopulationVertexFixed()})
        sim.Population(4, sim.SpikeSourcePoisson(), additional_parameters={
            "splitter": SplitterFixedLegacy()})
    assert "partitioner hint" in caplog.text and pop.size == 4
    sim.end()


def test_get_machine_describes_a_spinn5_board():
    machine = sim.get_machine()
    assert machine.n_chips == 48 and machine.max_cores_per_chip == 18
    assert machine.total_cores == 48 * 18
    assert machine.total_available_user_cores == 48 * 17
    assert machine.is_chip_at(0, 0) and not machine.is_chip_at(7, 0)
    assert len(machine.ethernet_connected_chips) == 1
    assert "48 chips" in str(machine)


def test_an_installed_spynnaker_is_not_shadowed(tmp_path):
    fake = tmp_path / "site" / "spynnaker" / "pyNN" / "utilities"
    fake.mkdir(parents=True)
    for d in (fake.parent.parent, fake.parent, fake):
        (d / "__init__.py").write_text("")
    (fake / "neo_convertor.py").write_text("MARK = 'installed'\n")
    done = _run("""
        import pyNN.tinysim.spinnaker
        from pynn_tinysim.spinnaker import compat
        from spynnaker.pyNN.utilities import neo_convertor
        print(neo_convertor.MARK, sorted(compat.SERVED))
        try:
            import spynnaker.pyNN.external_devices
        except ImportError:
            print("no external_devices")
        from pacman.model.partitioner_splitters import SplitterFixedLegacy
        print("pacman served")
        """, tmp_path, extra_path=tmp_path / "site")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["installed", "['pacman']", "no", "external_devices",
                                   "pacman", "served"]


@pytest.mark.skipif(not os.environ.get("TINYSIM_SPYNNAKER_PYTHON"),
                    reason="set $TINYSIM_SPYNNAKER_PYTHON to sPyNNaker's venv to check it")
def test_real_spynnaker_modules_are_used_where_installed(tmp_path):
    done = _run("""
        import _pynn_tinysim_alias    # (the project is not installed in sPyNNaker's venv)
        import pyNN.tinysim.spinnaker as sim
        from pynn_tinysim.spinnaker import compat
        from spynnaker.pyNN.utilities import neo_convertor
        assert not compat.SERVED, compat.SERVED
        assert "site-packages" in neo_convertor.__file__, neo_convertor.__file__
        sim.setup(timestep=1.0)
        cells = sim.Population(2, sim.IF_curr_exp(i_offset=[0.0, 2.0]))
        cells.record("spikes")
        sim.run(100)
        print(neo_convertor.convert_spikes(cells.get_data()).shape)
        """, tmp_path, python=os.environ["TINYSIM_SPYNNAKER_PYTHON"])
    assert done.returncode == 0, done.stderr[-3000:]
    rows, cols = eval(done.stdout.strip().splitlines()[-1])
    assert rows > 1 and cols == 2


def test_probes_still_find_no_spynnaker():
    """Serving helper modules must not make sPyNNaker look installed."""
    import importlib.util
    if "spynnaker" not in compat.SERVED:
        pytest.skip("sPyNNaker is installed here")
    with pytest.raises(ValueError):
        importlib.util.find_spec("spynnaker")
    with pytest.raises(ImportError, match="not installed"):
        import pyNN.spiNNaker                                            # noqa: F401
    from pynn_tinysim.compare.backends import BACKENDS
    assert "spynnaker" in BACKENDS["spinnaker"].missing()
