"""The sPyNNaker flavour's compiled neuromodulated STDP and dopamine delivery
(kernels/spinnaker_neuromodulation.py) against the NumPy rules, bit for bit.

In fixed point (the board's 16-bit weights and 11-bit traces) everything is integer
arithmetic; in float the kernels do the reference's float64 operations in its order
and read its ``np.exp`` from tables. Either way both engines must leave the same
spikes, membrane potentials, weights, eligibility traces, pre traces and stamps, and
post-synaptic histories (times, post and dopamine traces, counts). The network holds
the cases that matter: several post neurons, reward and punishment onto overlapping
neurons (one neuron both, one neither: its dopamine stays 0), Poisson sources at
300 Hz (a source spiking several times in a step: its synapses updated in turn, its
dopamine entries added in turn), a spike source array with repeated times onto the
STDP and the reward, delays of 1 to 3 steps, histories that overflow their 16
entries, weights driven to both bounds, a run split in two, reset() and a run again,
a coarse and a fine time step (the float tables grown past their first size), and
the tables' cap reached (those steps on NumPy).
"""

import numpy as np
import pytest
from kernel_spy import spy_on_deliveries

import pyNN.tinysim.spinnaker as sim
from pynn_tinysim.engine import plasticity as core_plasticity
from pynn_tinysim.engine.spinnaker import neuromodulation as nm

pytest.importorskip("numba")

DEPENDENCES = {"additive": sim.AdditiveWeightDependence,
               "multiplicative": sim.MultiplicativeWeightDependence}


@pytest.fixture
def kernel_calls(monkeypatch):
    """Steps the compiled deliveries ran, by class name (they must run, not only exist)."""
    calls = {"NeuromodulatedSTDP": 0, "NeuromodulationSynapses": 0}
    for cls in (nm.NeuromodulatedSTDP, nm.NeuromodulationSynapses):
        def count(args, name=cls.__name__):
            calls[name] += 1
        spy_on_deliveries(monkeypatch, cls, "compiled_deliver", count)
    return calls


def _network(engine, fixed_point, dependence="additive", dt=1.0, protocol=(200.0,),
             reset=False, tau_plus=16.0, rate=300.0):
    """Run the test network; [snapshot] after the runs (and after reset() and a run)."""
    sim.setup(timestep=dt, min_delay=dt, rng_seed=5, engine=engine, fixed_point=fixed_point)
    poisson = sim.Population(16, sim.SpikeSourcePoisson(rate=rate))
    array = sim.Population(2, sim.SpikeSourceArray(spike_times=[[5.0, 5.0, 40.0, 41.0, 90.0],
                                                                [20.0, 20.0, 20.0, 120.0]]))
    reward = sim.Population(2, sim.SpikeSourcePoisson(rate=40.0))
    punishment = sim.Population(1, sim.SpikeSourcePoisson(rate=25.0))
    cells = sim.Population(6, sim.IF_curr_exp(tau_refrac=2.0, tau_m=10.0, i_offset=0.6))
    sim.Projection(poisson, cells, sim.FixedProbabilityConnector(0.3, rng=sim.NumpyRNG(2)),
                   sim.StaticSynapse(weight=0.4, delay=dt))
    stdp = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=tau_plus, tau_minus=20.0, A_plus=0.1,
                                            A_minus=0.12),
        weight_dependence=DEPENDENCES[dependence](w_min=0.0, w_max=2.0), weight=0.5,
        delay=sim.RandomDistribution("uniform_int", low=max(dt, 1.0), high=3 * max(dt, 1.0),
                                     rng=sim.NumpyRNG(4)))
    plastic = [sim.Projection(poisson, cells, sim.FixedProbabilityConnector(
                   0.5, rng=sim.NumpyRNG(3)), stdp),
               sim.Projection(array, cells, sim.AllToAllConnector(), stdp)]
    modulation = sim.extra_models.Neuromodulation(weight=0.1, tau_c=300.0, tau_d=100.0,
                                                  w_max=1.5)
    # cells 0, 1 rewarded, 2, 3 both, 4 punished, 5 neither (its dopamine stays 0)
    sim.Projection(reward, cells, sim.FromListConnector(
        [(0, 0, 0.2, dt), (0, 1, 0.3, dt), (1, 2, 0.1, dt), (1, 3, 0.25, dt), (0, 3, 0.05, dt)]),
        modulation, receptor_type="reward")
    sim.Projection(array, cells, sim.FromListConnector([(1, 1, 0.4, dt)]), modulation,
                   receptor_type="reward")
    sim.Projection(punishment, cells, sim.FromListConnector(
        [(0, 2, 0.1, dt), (0, 3, 0.2, dt), (0, 4, 0.15, dt)]), modulation,
        receptor_type="punishment")
    cells.record(["spikes", "v"])
    for T in protocol:
        sim.run(T)
    out = [_snapshot(cells, plastic)]
    if reset:
        sim.reset()
        sim.run(protocol[0])
        out.append(_snapshot(cells, plastic))
    sim.end()
    return out


def _snapshot(cells, projections):
    segment = cells.get_data().segments[-1]
    out = {"spikes": [np.asarray(st.magnitude) for st in segment.spiketrains],
           "v": np.asarray(segment.filter(name="v")[0].magnitude)}
    for i, projection in enumerate(projections):
        block = projection._block
        assert isinstance(block, nm.NeuromodulatedSTDP)
        for name in ("weight", "eligibility", "_k_pre", "_t_last"):
            out[f"{i}{name}"] = getattr(block, name).copy()
    history = nm.history_of(projections[0]._block.network)
    for name in ("times", "post", "dopamine", "is_dopamine", "count", "last_post"):
        out[name] = getattr(history, name).copy()
    return out


def _assert_identical(reference, compiled):
    assert len(reference) == len(compiled)
    for ref, got in zip(reference, compiled):
        assert ref.keys() == got.keys()
        for name in ref:
            if name == "spikes":
                assert len(ref[name]) == len(got[name])
                for a, b in zip(ref[name], got[name]):
                    np.testing.assert_array_equal(a, b)
            else:
                np.testing.assert_array_equal(ref[name], got[name], err_msg=name)


CASES = {
    "one run": {},
    "run split in two": {"protocol": (90.0, 110.0)},
    "reset and a second run": {"protocol": (120.0,), "reset": True},
    # (sparser input: on the board, spans below 16 ticks (tau_c's table) or 4 (tau_d's)
    # decay nothing and earn no weight, most of them at 2 ms ticks and 300 Hz)
    "coarse dt": {"dt": 2.0, "protocol": (300.0,), "rate": 60.0},
    "fine dt": {"dt": 0.125, "protocol": (160.0,)},      # (1280 steps: float tables grow)
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dependence", DEPENDENCES)
@pytest.mark.parametrize("fixed_point", [True, False], ids=["fixed", "float"])
def test_compiled_neuromodulation_is_the_numpy_rule(fixed_point, dependence, case,
                                                    kernel_calls):
    reference = _network("numpy", fixed_point, dependence, **CASES[case])
    assert kernel_calls["NeuromodulatedSTDP"] == 0
    compiled = _network("numba", fixed_point, dependence, **CASES[case])
    assert kernel_calls["NeuromodulatedSTDP"] > 0
    assert kernel_calls["NeuromodulationSynapses"] > 0
    _assert_identical(reference, compiled)
    # the test can tell: weights learned (within their bounds or at them), dopamine of
    # both signs
    w = np.concatenate([reference[0]["0weight"], reference[0]["1weight"]])
    assert (w != 0.5).any() and ((w >= 0) & (w <= 1.5)).all()
    dopamine = reference[-1]["dopamine"]
    assert (dopamine > 0).any() and (dopamine < 0).any()
    assert np.isfinite(w).all()


def test_tables_past_their_cap_run_those_steps_on_numpy(monkeypatch, kernel_calls):
    """Float tables that cannot grow to a step's stamp (a cap of 1024 entries here): those
    steps' deliveries on NumPy, the same state arrays, the same bits."""
    reference = _network("numpy", False, protocol=(1200.0,))
    monkeypatch.setattr(core_plasticity.DecayTables, "CAP", 1024)
    monkeypatch.setattr(core_plasticity.DecayTables, "ROW_MIN", 1024)
    numpy_steps = []
    original = nm.NeuromodulatedSTDP.deliver

    def counting(self, spiking_ids, k, ring_flat):
        numpy_steps.append(k)
        return original(self, spiking_ids, k, ring_flat)
    monkeypatch.setattr(nm.NeuromodulatedSTDP, "deliver", counting)
    compiled = _network("numba", False, protocol=(1200.0,))
    assert kernel_calls["NeuromodulatedSTDP"] > 0 and min(numpy_steps) >= 1023
    _assert_identical(reference, compiled)


def test_time_constants_varying_between_synapses_stay_on_numpy(kernel_calls):
    """tau_plus drawn per synapse: no single table, the NumPy rule (documented)."""
    reference = _network("numpy", True, tau_plus=sim.RandomDistribution(
        "uniform", low=10.0, high=20.0, rng=sim.NumpyRNG(7)))
    compiled = _network("numba", True, tau_plus=sim.RandomDistribution(
        "uniform", low=10.0, high=20.0, rng=sim.NumpyRNG(7)))
    assert kernel_calls["NeuromodulatedSTDP"] == 0
    assert kernel_calls["NeuromodulationSynapses"] > 0
    _assert_identical(reference, compiled)
