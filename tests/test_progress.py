"""Progress bar of long runs: only on a terminal, off with setup(progress=False),
and a run split for the bar gives exactly the same results as one piece."""

import io
import sys

import numpy as np

import pyNN.tinysim as sim
from pyNN.random import NumpyRNG, RandomDistribution
from pynn_tinysim import simulator


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def _run(monkeypatch, stdout, progress=True, n_steps=2000):
    """A small noisy recurrent network; returns (spike times per cell, v array)."""
    monkeypatch.setattr(simulator.State, "PROGRESS_MIN_STEPS", 100)
    monkeypatch.setattr(sys, "stdout", stdout)
    sim.setup(timestep=0.1, rng_seed=7, progress=progress)
    rng = NumpyRNG(seed=3)
    cells = sim.Population(50, sim.IF_curr_exp(tau_m=10.0), label="cells")
    cells.initialize(v=RandomDistribution("uniform", (-65.0, -50.0), rng=rng))
    noise = sim.Population(20, sim.SpikeSourcePoisson(rate=200.0))
    sim.Projection(noise, cells, sim.FixedProbabilityConnector(0.3, rng=rng),
                   sim.StaticSynapse(weight=0.8, delay=0.5))
    sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.1, rng=rng),
                   sim.StaticSynapse(weight=-0.3, delay=1.3), receptor_type="inhibitory")
    sim.NoisyCurrentSource(mean=0.5, stdev=0.5, dt=1.0, start=10.0, stop=150.0).inject_into(cells)
    sim.StepCurrentSource(times=[30.0, 77.7], amplitudes=[0.4, 0.0]).inject_into(cells[:10])
    cells.record(["spikes", "v"])
    sim.run(n_steps * 0.1)
    seg = cells.get_data().segments[0]
    spikes = [np.asarray(st.magnitude) for st in seg.spiketrains]
    v = np.asarray(seg.filter(name="v")[0].magnitude)
    sim.end()
    return spikes, v


def test_no_bar_without_terminal(monkeypatch):
    out = io.StringIO()
    _run(monkeypatch, out)
    assert out.getvalue() == ""


def test_no_bar_with_progress_false(monkeypatch):
    out = FakeTTY()
    _run(monkeypatch, out, progress=False)
    assert out.getvalue() == ""


def test_short_run_shows_no_bar(monkeypatch):
    out = FakeTTY()
    _run(monkeypatch, out, n_steps=60)
    assert out.getvalue() == ""


def test_bar_on_terminal_and_same_results(monkeypatch):
    tty = FakeTTY()
    spikes_bar, v_bar = _run(monkeypatch, tty)
    text = tty.getvalue()
    assert "100%" in text and "#" in text and text.endswith("\n")
    spikes_plain, v_plain = _run(monkeypatch, io.StringIO(), progress=False)
    assert sum(len(s) for s in spikes_plain) > 50
    assert len(spikes_bar) == len(spikes_plain)
    for a, b in zip(spikes_bar, spikes_plain):
        np.testing.assert_array_equal(a, b)
    # a run split into pieces (here with a NoisyCurrentSource) is bit-identical
    np.testing.assert_array_equal(v_bar, v_plain)
