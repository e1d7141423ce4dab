"""Numerical correctness against closed-form solutions, through the public PyNN API.

The simulator is ``pyNN.$TINYSIM_TEST_BACKEND`` (default ``tinysim``).  With
``TINYSIM_TEST_BACKEND=nest`` the same tests run on pyNN.nest (grid-based NEST models,
``spike_precision="on_grid"``), which is how the closed forms and conventions here
were validated.  Conventions (see tests/_protocols.py for the evidence):

* dt = 0.1 ms; analog signals have n_steps + 1 samples at 0, dt, ..., T, starting
  with the initial value;
* a spike sent at t_s with delay d acts from t0 = t_s + d: PSCs/conductances start
  at t0 (v(t0) unchanged), delta synapses jump v at t0 (v(t0) includes the jump);
* a spike is stamped at the end of the step in which v reached threshold; v shows
  v_reset from that sample on, for tau_refrac, then integrates again.

Linear subthreshold dynamics are integrated exactly, so they must match the closed
forms to 1e-9 relative.
"""

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from pyNN.parameters import Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _protocols as P  # noqa: E402

SIM = P.backend_name()
sim = P.import_backend(SIM)

DT = P.DT
RTOL = 1e-9
LIF_MODELS = ["IF_curr_exp", "IF_curr_alpha", "IF_curr_delta", "IF_cond_exp", "IF_cond_alpha"]


@pytest.fixture
def setup():
    """setup() on the grid; end() afterwards, whatever happens."""
    def _setup(**kw):
        kw = {**P.setup_kwargs(SIM), **kw}
        sim.setup(timestep=DT, min_delay=P.MIN_DELAY, **kw)
    yield _setup
    sim.end()


def trace(pop, name="v", index=0):
    """(times, values) of one recorded signal of one cell, checked for shape."""
    sig = P.signal(pop.get_data().segments[0], name)
    t_stop = sim.get_current_time()
    n = int(round(t_stop / DT)) + 1
    assert sig.shape[0] == n, f"{name}: {sig.shape[0]} samples, expected n_steps+1 = {n}"
    assert float(sig.t_start.rescale("ms").magnitude) == 0.0
    assert float(sig.sampling_period.rescale("ms").magnitude) == pytest.approx(DT, abs=1e-12)
    unit = pop.celltype.units[name]
    values = np.asarray(sig.rescale(unit).magnitude)[:, index]
    return np.arange(n) * DT, values


def spikes(pop, index=0):
    trains = pop.get_data().segments[0].spiketrains
    by_index = {int(st.annotations["source_index"]): st for st in trains}
    return np.asarray(by_index[index].rescale("ms").magnitude, dtype=float)


def assert_close(got, expected, rtol=RTOL):
    scale = max(np.abs(expected).max(), 1e-300)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * scale)


def assert_on_grid(times):
    times = np.asarray(times)
    np.testing.assert_allclose(times / DT, np.round(times / DT), rtol=0, atol=1e-6)


# --- 1. DC response ------------------------------------------------------------------

@pytest.mark.parametrize("model", LIF_MODELS)
def test_dc_response(setup, model):
    """v(t) = v_inf + (v0 - v_inf) exp(-t/tau_m), v_inf = v_rest + R I, R = tau_m/cm."""
    setup()
    tau_m, cm, v_rest, i_dc, v0 = 15.0, 0.5, -60.0, 0.5, -63.0
    cell = sim.Population(1, getattr(sim, model)(
        tau_m=tau_m, cm=cm, v_rest=v_rest, v_thresh=-30.0, i_offset=i_dc))
    cell.initialize(v=v0)
    cell.record(["v", "spikes"])
    sim.run(40.0)
    sim.run(60.0)   # continuing a run must not disturb the trajectory
    assert sim.get_current_time() == pytest.approx(100.0)
    t, v = trace(cell)
    assert v[0] == v0
    v_inf = v_rest + tau_m / cm * i_dc
    expected = v_inf + (v0 - v_inf) * np.exp(-t / tau_m)
    assert_close(v - v_inf, expected - v_inf)
    assert len(spikes(cell)) == 0


# --- 2. single PSPs ------------------------------------------------------------------

CELL = dict(tau_m=20.0, cm=0.5, v_rest=-60.0, v_thresh=-40.0, tau_refrac=2.0)


def _one_cell_with_input(model, params, spike_times, weight, delay, receptor):
    cell = sim.Population(1, getattr(sim, model)(**CELL, **params))
    cell.initialize(v=CELL["v_rest"])
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=spike_times))
    sim.Projection(src, cell, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=weight, delay=delay), receptor_type=receptor)
    return cell


def psp_exp(s, w, tau_s, tau_m=CELL["tau_m"], cm=CELL["cm"]):
    s = np.asarray(s, dtype=float)
    out = w * tau_s * tau_m / (cm * (tau_m - tau_s)) * (np.exp(-s / tau_m) - np.exp(-s / tau_s))
    return np.where(s >= 0, out, 0.0)


def psp_alpha(s, w, tau_s, tau_m=CELL["tau_m"], cm=CELL["cm"]):
    """Membrane response to I(s) = w (s/tau_s) exp(1 - s/tau_s)."""
    s = np.asarray(s, dtype=float)
    k = 1.0 / tau_s - 1.0 / tau_m
    out = (w * math.e / (cm * tau_s * k * k)
           * (np.exp(-s / tau_m) - np.exp(-s / tau_s) * (1.0 + k * s)))
    return np.where(s >= 0, out, 0.0)


@pytest.mark.parametrize("model,shape", [("IF_curr_exp", psp_exp), ("IF_curr_alpha", psp_alpha)])
@pytest.mark.parametrize("receptor,weight,delay,tau_s", [
    ("excitatory", 0.4, 1.5, 3.0),
    ("inhibitory", -0.3, P.MIN_DELAY, 7.0),
])
def test_current_psp(setup, model, shape, receptor, weight, delay, tau_s):
    setup()
    tau_key = "tau_syn_E" if receptor == "excitatory" else "tau_syn_I"
    t_spikes = [5.0, 12.3]
    cell = _one_cell_with_input(model, {tau_key: tau_s}, t_spikes, weight, delay, receptor)
    cell.record("v")
    sim.run(60.0)
    t, v = trace(cell)
    t0 = [ts + delay for ts in t_spikes]
    i0 = int(round(t0[0] / DT))
    # nothing before or at the arrival time; the PSC acts from t0 on
    assert np.all(v[:i0 + 1] == CELL["v_rest"])
    assert np.sign(v[i0 + 1] - CELL["v_rest"]) == np.sign(weight)
    expected = sum(shape(t - t0_k, weight, tau_s) for t0_k in t0)  # linear: superposition
    assert_close(v - CELL["v_rest"], expected)


@pytest.mark.parametrize("receptor,weight", [("excitatory", 2.0), ("inhibitory", -1.5)])
def test_delta_psp(setup, receptor, weight):
    """IF_curr_delta weights are jumps of v in mV, visible in the sample at t0."""
    setup()
    t_spikes, delay = [5.0, 9.0], 1.5
    cell = _one_cell_with_input("IF_curr_delta", {}, t_spikes, weight, delay, receptor)
    cell.record("v")
    sim.run(40.0)
    t, v = trace(cell)
    i0 = int(round((t_spikes[0] + delay) / DT))
    assert np.all(v[:i0] == CELL["v_rest"])
    assert v[i0] == pytest.approx(CELL["v_rest"] + weight, abs=1e-12)
    expected = sum(np.where(t >= ts + delay, weight * np.exp(-(t - ts - delay) / CELL["tau_m"]),
                            0.0) for ts in t_spikes)
    assert_close(v - CELL["v_rest"], expected)


@pytest.mark.parametrize("model", ["IF_cond_exp", "IF_cond_alpha"])
@pytest.mark.parametrize("receptor", ["excitatory", "inhibitory"])
def test_conductance_waveform(setup, model, receptor):
    """g(s) = w exp(-s/tau) (g(t0) = w) or w (s/tau) exp(1 - s/tau), s = t - t0, in uS."""
    setup()
    weight, delay, tau_s, ts = 0.01, 1.5, 3.0, 5.0
    tau_key, g_name, other = (("tau_syn_E", "gsyn_exc", "gsyn_inh") if receptor == "excitatory"
                              else ("tau_syn_I", "gsyn_inh", "gsyn_exc"))
    cell = _one_cell_with_input(model, {tau_key: tau_s}, [ts], weight, delay, receptor)
    cell.record(["v", "gsyn_exc", "gsyn_inh"])
    sim.run(40.0)
    t, g = trace(cell, g_name)
    _, g_other = trace(cell, other)
    _, v = trace(cell, "v")
    s = t - (ts + delay)
    if model == "IF_cond_exp":
        expected = np.where(s >= -1e-9, weight * np.exp(-s / tau_s), 0.0)
    else:
        expected = np.where(s >= -1e-9, weight * (s / tau_s) * np.exp(1.0 - s / tau_s), 0.0)
    assert_close(g, expected)
    assert np.all(g_other == 0.0)
    i0 = int(round((ts + delay) / DT))
    assert np.all(v[:i0 + 1] == CELL["v_rest"])
    direction = 1.0 if receptor == "excitatory" else -1.0   # e_rev_E = 0, e_rev_I = -70
    assert np.all(direction * (v[i0 + 1:] - CELL["v_rest"]) > 0)


# --- 3. threshold, reset, refractoriness ----------------------------------------------

@pytest.mark.parametrize("model", LIF_MODELS)
def test_refractory_and_isi(setup, model):
    setup()
    p = dict(tau_m=20.0, cm=1.0, v_rest=-65.0, v_reset=-70.0, v_thresh=-50.0,
             tau_refrac=2.0, i_offset=1.0)
    cell = sim.Population(1, getattr(sim, model)(**p))
    cell.initialize(v=p["v_rest"])
    cell.record(["v", "spikes"])
    sim.run(200.0)
    t, v = trace(cell)
    st = spikes(cell)
    r_i = p["tau_m"] / p["cm"] * p["i_offset"]
    first = P.climb_time(p["tau_m"], r_i, p["v_rest"], p["v_rest"], p["v_thresh"])
    climb = P.climb_time(p["tau_m"], r_i, p["v_rest"], p["v_reset"], p["v_thresh"])
    assert len(st) >= 5
    assert_on_grid(st)
    # the spike is stamped at the end of the step in which v reached threshold
    assert first - 1e-9 <= st[0] < first + DT
    isi = np.diff(st)
    np.testing.assert_allclose(isi, isi[0], rtol=0, atol=1e-9)
    assert abs(isi[0] - (p["tau_refrac"] + climb)) < DT
    assert p["tau_refrac"] + climb - 1e-9 <= isi[0]
    # the threshold value is never recorded: v shows v_reset from the spike sample on,
    # for exactly tau_refrac, and integrates again in the next step
    n_ref = int(round(p["tau_refrac"] / DT))
    assert np.all(v < p["v_thresh"])
    for ts in st:
        i = int(round(ts / DT))
        if i + n_ref + 1 >= len(v):
            break
        assert v[i - 1] > p["v_thresh"] - 1.0
        assert np.all(v[i:i + n_ref + 1] == p["v_reset"]), v[i - 1:i + n_ref + 2]
        assert v[i + n_ref + 1] > p["v_reset"]


# --- 4. Izhikevich ---------------------------------------------------------------------

def izhikevich_reference(a, b, c, d, i_offset, n_steps, v0=-70.0, u0=-14.0, jumps=None,
                         h=DT):
    """NEST's izhikevich (consistent_integration=True): forward Euler on (v, u) with the
    old values on both right-hand sides, I in pA = 1000 * i_offset (nA), input spikes
    added to v in the step that ends at their arrival time, threshold v >= 30 mV.

    `i_offset` is a callable step -> nA; `jumps` maps step index k (the step from k*h
    to (k+1)*h) to a v increment in mV.  Returns v, u (n_steps + 1 samples), spikes."""
    jumps = jumps or {}
    v, u = v0, u0
    vs, us, st = [v], [u], []
    for k in range(n_steps):
        i_pa = 1000.0 * i_offset(k)
        v_old, u_old = v, u
        v = v_old + (h * (0.04 * v_old * v_old + 5.0 * v_old + 140.0 - u_old + i_pa)
                     + jumps.get(k, 0.0))
        u = u_old + h * a * (b * v_old - u_old)
        if v >= 30.0:
            v = c
            u = u + d
            st.append((k + 1) * h)
        vs.append(v)
        us.append(u)
    return np.array(vs), np.array(us), np.array(st)


IZH = dict(a=0.02, b=0.2, c=-65.0, d=8.0)


def test_izhikevich_dc(setup):
    setup()
    i_dc = 0.01
    cell = sim.Population(1, sim.Izhikevich(i_offset=i_dc, **IZH))
    cell.record(["v", "u", "spikes"])
    sim.run(100.0)
    _, v = trace(cell, "v")
    _, u = trace(cell, "u")
    v_ref, u_ref, st_ref = izhikevich_reference(i_offset=lambda k: i_dc, n_steps=1000, **IZH)
    assert len(st_ref) >= 3
    assert_close(v, v_ref)
    assert_close(u, u_ref)
    np.testing.assert_allclose(spikes(cell), st_ref, rtol=0, atol=1e-9)


def test_izhikevich_step_and_input(setup):
    """i_offset changed between runs acts from the change time; weights are mV jumps."""
    setup()
    cell = sim.Population(1, sim.Izhikevich(i_offset=0.002, **IZH))
    cell.initialize(v=-68.0, u=-13.0)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0, 30.0, 31.0]))
    sim.Projection(src, cell, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=5.0, delay=1.0), receptor_type="excitatory")
    cell.record(["v", "u", "spikes"])
    P.run_schedule(sim, SIM, cell, [(0.0, {"i_offset": 0.002}), (20.0, {"i_offset": 0.004})],
                   60.0)
    _, v = trace(cell, "v")
    _, u = trace(cell, "u")
    jumps = {int(round(t / DT)) - 1: 5.0 for t in (11.0, 31.0, 32.0)}
    v_ref, u_ref, st_ref = izhikevich_reference(
        i_offset=lambda k: 0.002 if k < 200 else 0.004, n_steps=600, v0=-68.0, u0=-13.0,
        jumps=jumps, **IZH)
    assert len(st_ref) >= 1
    assert_close(v, v_ref)
    assert_close(u, u_ref)
    np.testing.assert_allclose(spikes(cell), st_ref, rtol=0, atol=1e-9)


# --- 5. SpikeSourcePoisson ----------------------------------------------------------------

def _poisson(n, rate, start, duration, t_stop, seed):
    sim.setup(timestep=DT, min_delay=P.MIN_DELAY, rng_seed=seed, **P.setup_kwargs(SIM))
    try:
        pop = sim.Population(n, sim.SpikeSourcePoisson(rate=rate, start=start, duration=duration))
        pop.record("spikes")
        sim.run(t_stop)
        trains = pop.get_data().segments[0].spiketrains
        by_index = {int(st.annotations["source_index"]): np.asarray(st.rescale("ms").magnitude)
                    for st in trains}
        return [by_index.get(i, np.array([])) for i in range(n)]
    finally:
        sim.end()


def test_poisson_rate_and_window():
    n, rate, start, duration = 1000, 50.0, 100.0, 200.0
    trains = _poisson(n, rate, start, duration, 400.0, seed=12345)
    allt = np.concatenate(trains)
    expected = n * rate * duration / 1000.0
    assert abs(len(allt) - expected) < 4 * math.sqrt(expected), (len(allt), expected)
    lo = start + P.poisson_shift(SIM)
    hi = lo + duration
    assert allt.min() >= lo - 1e-9 and allt.max() <= hi + 1e-9, (allt.min(), allt.max())
    # the window is not truncated: n*rate = 50 spikes/ms, so both ends are populated
    assert allt.min() < lo + 1.0 and allt.max() > hi - 1.0
    assert_on_grid(allt)
    counts = np.array([len(x) for x in trains])
    dispersion = counts.var() / counts.mean()
    assert 0.8 < dispersion < 1.2, dispersion    # Poisson: variance == mean


def test_poisson_seeds():
    args = (20, 100.0, 0.0, 200.0, 200.0)
    a = _poisson(*args, seed=7)
    b = _poisson(*args, seed=7)
    c = _poisson(*args, seed=8)
    assert sum(len(x) for x in a) > 0
    assert all(np.array_equal(x, y) for x, y in zip(a, b)), "same seed must give the same spikes"
    assert not all(np.array_equal(x, y) for x, y in zip(a, c)), "different seeds, same spikes"


# --- 6. SpikeSourceArray ------------------------------------------------------------------------

def test_spike_source_array_per_cell(setup):
    setup()
    times = [[1.0, 2.5, 7.3], [0.5, 9.9, 10.0], [], [4.2]]
    pop = sim.Population(len(times), sim.SpikeSourceArray(
        spike_times=[Sequence(t) for t in times]))
    pop.record("spikes")
    sim.run(10.0)
    trains = pop.get_data().segments[0].spiketrains
    assert len(trains) == len(times)
    for i, expected in enumerate(times):
        got = spikes(pop, i)
        # exact, including a spike at the very last time step (t == t_stop)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
