"""Interrupt safety (issue 14, item 1): Ctrl-C stops a run at a step boundary.

The interrupt is simulated deterministically: a neuron group's step calls the
SIGINT handler that is installed during the run, at a chosen step, exactly what
the interpreter does when Ctrl-C arrives during that step. The run must stop at
the end of that step with KeyboardInterrupt, the clock must show the steps done,
get_data() must hold exactly the data up to then, and a following run() must
give, bit for bit, what an uninterrupted run gives.
"""

import io
import signal
import sys

import numpy as np
import pytest

import pyNN.tinysim as sim
from pyNN.random import NumpyRNG, RandomDistribution
from pynn_tinysim import simulator

DT = 0.1
N_STEPS = 1500


@pytest.fixture(autouse=True)
def default_sigint_handler():
    """Python's own SIGINT handler during each test: importing brian2 (other tests do, in
    the same process) installs its own, which tinysim rightly leaves alone."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def _build(plastic):
    sim.setup(timestep=DT, rng_seed=11)
    rng = NumpyRNG(seed=5)
    cells = sim.Population(40, sim.IF_cond_exp(tau_m=15.0), label="cells")
    cells.initialize(v=RandomDistribution("uniform", (-65.0, -52.0), rng=rng))
    other = sim.Population(10, sim.IF_curr_exp(), label="other")
    noise = sim.Population(20, sim.SpikeSourcePoisson(rate=150.0), label="noise")
    sim.Projection(noise, cells, sim.FixedProbabilityConnector(0.3, rng=rng),
                   sim.StaticSynapse(weight=0.02, delay=0.5), receptor_type="excitatory")
    sim.Projection(cells, other, sim.FixedProbabilityConnector(0.3, rng=rng),
                   sim.StaticSynapse(weight=0.5, delay=1.0))
    sim.NoisyCurrentSource(mean=0.3, stdev=0.3, dt=1.0, start=5.0, stop=120.0).inject_into(cells)
    projections = []
    if plastic:
        stdp = sim.STDPMechanism(
            timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0,
                                                A_plus=0.01, A_minus=0.012),
            weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=0.05),
            weight=0.02, delay=1.0)
        projections.append(sim.Projection(noise, cells, sim.FixedProbabilityConnector(
            0.2, rng=rng), stdp, receptor_type="excitatory"))
        projections.append(sim.Projection(cells, cells, sim.FixedProbabilityConnector(
            0.1, rng=rng), sim.TsodyksMarkramSynapse(U=0.5, tau_rec=100.0, weight=0.01,
                                                     delay=0.7), receptor_type="inhibitory"))
    cells.record(["spikes", "v"])
    other.record("spikes")
    return cells, other, projections


def _results(cells, other, projections):
    seg = cells.get_data().segments[0]
    spikes = [np.asarray(st.magnitude) for st in seg.spiketrains]
    spikes += [np.asarray(st.magnitude) for st in other.get_data().segments[0].spiketrains]
    v = np.asarray(seg.filter(name="v")[0].magnitude)
    weights = [np.asarray(p.get("weight", format="array")) for p in projections]
    return spikes, v, weights


def _ctrl_c_at(group, step, times=1):
    """Make ``group`` receive Ctrl-C (``times`` presses) during step ``step``."""
    original = group.step

    def step_with_interrupt(k, inputs):
        if k == step:
            for _ in range(times):
                signal.getsignal(signal.SIGINT)(signal.SIGINT, None)
        return original(k, inputs)

    group.step = step_with_interrupt


def _uninterrupted(plastic):
    built = _build(plastic)
    sim.run(N_STEPS * DT)
    out = _results(*built)
    sim.end()
    return out


def _same(a, b):
    spikes_a, v_a, w_a = a
    spikes_b, v_b, w_b = b
    assert len(spikes_a) == len(spikes_b)
    for x, y in zip(spikes_a, spikes_b):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(v_a, v_b)
    for x, y in zip(w_a, w_b):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("plastic", [False, True], ids=["static", "plastic"])
@pytest.mark.parametrize("bar", [False, True], ids=["plain", "progress_bar"])
def test_interrupted_then_continued_equals_uninterrupted(monkeypatch, plastic, bar):
    reference = _uninterrupted(plastic)
    if bar:
        monkeypatch.setattr(simulator.State, "PROGRESS_MIN_STEPS", 100)
        monkeypatch.setattr(sys, "stdout", FakeTTY())
    stop = 437          # inside a progress-bar chunk (30 steps each), not at its end
    cells, other, projections = _build(plastic)
    _ctrl_c_at(other._group, stop)
    with pytest.raises(KeyboardInterrupt):
        sim.run(N_STEPS * DT)
    if bar:
        assert sys.stdout.getvalue().strip()        # the bar was drawn
    # the clock shows exactly the steps done: the interrupted step was completed
    assert sim.get_current_time() == pytest.approx((stop + 1) * DT, abs=1e-12)
    # recordings hold exactly the data up to the clock, identical to the reference's
    spikes, v, _ = _results(cells, other, projections)
    assert v.shape[0] == stop + 2
    np.testing.assert_array_equal(v, reference[1][:stop + 2])
    for mine, ref in zip(spikes, reference[0]):
        np.testing.assert_array_equal(mine, ref[ref <= (stop + 1) * DT + 1e-9])
    # the signal handler is the default one again
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    # continuing gives what the uninterrupted run gave, bit for bit
    other._group.step = type(other._group).step.__get__(other._group)
    sim.run(N_STEPS * DT - sim.get_current_time())
    assert sim.get_current_time() == pytest.approx(N_STEPS * DT)
    _same(_results(cells, other, projections), reference)
    sim.end()


def test_second_ctrl_c_stops_at_once_and_run_then_asks_for_reset():
    cells, other, projections = _build(plastic=False)
    stop = 300
    _ctrl_c_at(other._group, stop, times=2)
    with pytest.raises(KeyboardInterrupt):
        sim.run(N_STEPS * DT)
    # stopped inside step `stop`: the clock and the data stop at the last whole step
    assert sim.get_current_time() == pytest.approx(stop * DT, abs=1e-12)
    spikes, v, _ = _results(cells, other, projections)
    assert v.shape[0] == stop + 1
    assert all((s <= stop * DT + 1e-9).all() for s in spikes)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with pytest.raises(RuntimeError, match=r"inside time step 300.*reset\(\)"):
        sim.run(10.0)
    sim.reset()
    other._group.step = type(other._group).step.__get__(other._group)
    sim.run(10.0)
    assert sim.get_current_time() == pytest.approx(10.0)
    sim.end()


def test_exception_inside_a_step_keeps_data_of_whole_steps():
    cells, other, projections = _build(plastic=False)
    group = other._group            # stepped after the cells' group: a half-done step
    original = group.step

    def failing(k, inputs):
        if k == 200:
            raise FloatingPointError("simulated failure")
        return original(k, inputs)

    group.step = failing
    with pytest.raises(FloatingPointError):
        sim.run(N_STEPS * DT)
    assert sim.get_current_time() == pytest.approx(200 * DT, abs=1e-12)
    spikes, v, _ = _results(cells, other, projections)
    assert v.shape[0] == 201 and np.isfinite(v).all()
    assert all((s <= 200 * DT + 1e-9).all() for s in spikes)
    with pytest.raises(RuntimeError, match="FloatingPointError"):
        sim.run(1.0)
    sim.end()


def test_user_signal_handler_is_left_alone():
    calls = []
    previous = signal.signal(signal.SIGINT, lambda *a: calls.append(a))
    try:
        _build(plastic=False)
        sim.run(5.0)
        assert signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)
    sim.end()


def _count_steps(*groups):
    """Count the steps each group makes; returns a function giving the counts."""
    counts = {}
    for g in groups:
        original = g.step
        counts[id(g)] = 0

        def counted(k, inputs, g=g, original=original):
            counts[id(g)] += 1
            return original(k, inputs)
        g.step = counted
    return lambda: sorted(set(counts.values()))


class ForeignHandler:
    """A SIGINT handler installed by another library before the run, as brian2's is
    (brian2/__init__.py: it stops a *Brian* run, else calls the handler it replaced,
    i.e. Python's, which raises KeyboardInterrupt). It notes the steps every neuron
    group has made when it is called: one number, at a step boundary."""

    def __init__(self, previous):
        self.previous = previous
        self.calls = []
        self.steps = None

    def __call__(self, signum, frame):
        self.calls.append(self.steps())
        self.previous(signum, frame)


@pytest.mark.parametrize("bar", [False, True], ids=["plain", "progress_bar"])
def test_ctrl_c_with_a_foreign_handler_installed_stops_at_a_step_boundary(monkeypatch, bar):
    """Issue 14: a notebook that imported brian2 has brian2's SIGINT handler; Ctrl-C
    during a tinysim run must still stop at a step boundary with consistent state."""
    reference = _uninterrupted(plastic=True)
    if bar:
        monkeypatch.setattr(simulator.State, "PROGRESS_MIN_STEPS", 100)
        monkeypatch.setattr(sys, "stdout", FakeTTY())
    foreign = ForeignHandler(signal.default_int_handler)
    signal.signal(signal.SIGINT, foreign)
    stop = 437
    cells, other, projections = _build(plastic=True)
    _ctrl_c_at(other._group, stop)
    foreign.steps = _count_steps(cells._group, other._group)
    with pytest.raises(KeyboardInterrupt):
        sim.run(N_STEPS * DT)
    # the foreign handler got the request once, after step `stop` was completed
    assert foreign.calls == [[stop + 1]]
    assert signal.getsignal(signal.SIGINT) is foreign
    assert sim.get_current_time() == pytest.approx((stop + 1) * DT, abs=1e-12)
    spikes, v, _ = _results(cells, other, projections)
    np.testing.assert_array_equal(v, reference[1][:stop + 2])
    for g in (cells._group, other._group):
        g.step = type(g).step.__get__(g)
    sim.run(N_STEPS * DT - sim.get_current_time())
    _same(_results(cells, other, projections), reference)
    sim.end()


def test_ctrl_c_with_brian2_imported():
    """The same with brian2's own handler (the real one, as importing brian2 leaves it)."""
    brian2 = pytest.importorskip("brian2")
    handler = brian2._int_handler
    handler.previous_handler = signal.default_int_handler
    reference = _uninterrupted(plastic=False)
    signal.signal(signal.SIGINT, handler)
    cells, other, projections = _build(plastic=False)
    _ctrl_c_at(other._group, 200)
    with pytest.raises(KeyboardInterrupt):
        sim.run(N_STEPS * DT)
    assert signal.getsignal(signal.SIGINT) is handler
    assert sim.get_current_time() == pytest.approx(201 * DT, abs=1e-12)
    other._group.step = type(other._group).step.__get__(other._group)
    sim.run(N_STEPS * DT - sim.get_current_time())
    _same(_results(cells, other, projections), reference)
    sim.end()


def test_a_foreign_handler_that_returns_is_called_at_a_boundary_and_the_run_goes_on():
    reference = _uninterrupted(plastic=False)
    calls = []
    cells, other, projections = _build(plastic=False)
    _ctrl_c_at(other._group, 300)
    steps = _count_steps(cells._group, other._group)
    signal.signal(signal.SIGINT, lambda *a: calls.append(steps()))
    sim.run(N_STEPS * DT)
    assert calls == [[301]]
    assert sim.get_current_time() == pytest.approx(N_STEPS * DT)
    _same(_results(cells, other, projections), reference)
    sim.end()
