"""The flavour's structural plasticity on the compiled engine against the NumPy engine.

Each network runs on ``engine="numpy"`` (the reference) and on the compiled engine
(``engine="numba"``); spikes, the connections present after the run (sources,
targets, weights, delays), the rewiring's counts and the random stream's position
must be the same, bit for bit. Formation and elimination are both active (high
probabilities), formation distance-dependent on a grid; runs split in two, and a
reset followed by a second run, are compared too.
"""

import numpy as np
import pytest

import pyNN.tinysim.spinnaker as sim
from pynn_tinysim import simulator

pytest.importorskip("numba")


def _mechanism(stdp, seed=None, grid=(5, 5), p_form=1.0, sigma=2.0, p_dep=0.3, p_pot=0.2,
               initial_weight=0.6, delay=(1.0, 4.0), s_max=8, f_rew=1e3, last_neuron=False,
               dependence=sim.AdditiveWeightDependence):
    args = (sim.LastNeuronSelection() if last_neuron else sim.RandomSelection(),
            sim.DistanceDependentFormation(grid=list(grid), p_form_forward=p_form,
                                           sigma_form_forward=sigma, p_form_lateral=p_form,
                                           sigma_form_lateral=sigma),
            sim.RandomByWeightElimination(threshold=0.5, prob_elim_depressed=p_dep,
                                          prob_elim_potentiated=p_pot))
    kwargs = dict(seed=seed, initial_weight=initial_weight, initial_delay=delay, s_max=s_max,
                  f_rew=f_rew, weight=initial_weight, delay=delay[0])
    if stdp:
        return sim.StructuralMechanismSTDP(
            *args, timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0,
                                                       A_plus=0.05, A_minus=0.03),
            weight_dependence=dependence(w_min=0.0, w_max=1.0), **kwargs)
    return sim.StructuralMechanismStatic(*args, **kwargs)


def _run(engine, stdp=False, fixed_point=True, pieces=(200.0,), reset_then=None, seed=None,
         lateral=False, drive_rate=20.0, view=False, engines=None, **mechanism):
    """Spikes of the targets, connections, rewiring counts after ``pieces`` (and, with
    ``reset_then``, after a reset and a run of that long)."""
    sim.setup(timestep=1.0, fixed_point=fixed_point, engine=engine, rng_seed=11)
    pre = sim.Population(25, sim.SpikeSourcePoisson(rate=40.0), label="pre")
    post = sim.Population(25, sim.IF_curr_exp(tau_refrac=2.0), label="post")
    drive = sim.Population(25, sim.SpikeSourcePoisson(rate=drive_rate), label="drive")
    sim.Projection(drive, post, sim.OneToOneConnector(), sim.StaticSynapse(weight=1.5))
    if view:    # (sources whose ids are not contiguous)
        pre = pre[::2]
    projections = [sim.Projection(pre, post, sim.FixedProbabilityConnector(
        0.1, rng=sim.NumpyRNG(seed=5)), synapse_type=_mechanism(stdp, seed=seed, **mechanism))]
    if lateral:
        projections.append(sim.Projection(
            post, post, sim.FixedProbabilityConnector(0.0),
            synapse_type=_mechanism(stdp, seed=seed, **mechanism)))
    post.record("spikes")
    results = []
    compiled = []

    def collect():
        spikes = [np.asarray(st.magnitude).tolist()
                  for st in post.get_data("spikes", clear=True).segments[-1].spiketrains]
        connections = [p.get(["weight", "delay"], format="list") for p in projections]
        rewiring = projections[0]._block.rewiring
        results.append((spikes, connections, rewiring.n_attempts, rewiring.n_formed,
                        rewiring.n_eliminated, rewiring.words.consumed))
        compiled.append((rewiring.compiled is not None,
                         all(p._block.compiled_delivery for p in projections)))
    for i, t in enumerate(pieces):
        if engines is not None:     # (the engine changed between runs)
            simulator.state.network.engine = engines[i]
        sim.run(t)
    collect()
    if reset_then is not None:
        sim.reset()
        sim.run(reset_then)
        collect()
    sim.end()
    return results, compiled


def _same(stdp=False, **kwargs):
    reference, numpy_rewired = _run("numpy", stdp=stdp, **kwargs)
    compiled, compiled_rewired = _run("numba", stdp=stdp, **kwargs)
    assert not any(any(flags) for flags in numpy_rewired)
    for rewired, delivered in compiled_rewired:
        # the compiled delivery (STDP: board weights or float mode) and rewiring (static
        # slots; STDP: one structural projection into the Population, its delivery
        # compiled) ran
        assert delivered
        assert rewired is (not stdp or not kwargs.get("lateral", False))
    for ref, got in zip(reference, compiled):
        spikes, connections, attempts, formed, eliminated, _ = ref
        assert formed > 5 and eliminated > 2, (formed, eliminated)   # (both active)
        assert sum(len(s) for s in spikes) > 20
        assert got == ref
    return reference


@pytest.mark.parametrize("fixed_point", [True, False])
def test_static_structural_compiled_is_numpy(fixed_point):
    _same(fixed_point=fixed_point)


def test_static_structural_split_run_and_reset():
    _same(pieces=(90.0, 110.0), reset_then=150.0, seed=4)


def test_static_structural_lateral_and_fast_rewiring():
    # two structural projections into one Population (one of them lateral: its own
    # table), several attempts per step
    _same(lateral=True, f_rew=3e3, pieces=(150.0,))


def test_static_structural_last_neuron_selection():
    _same(last_neuron=True, f_rew=2e3, pieces=(250.0,))


@pytest.mark.parametrize("fixed_point", [True, False])
def test_stdp_structural_compiled_is_numpy(fixed_point):
    # (the targets fire often, so that post events meet newly formed synapses)
    _same(stdp=True, fixed_point=fixed_point, drive_rate=80.0)


def test_stdp_structural_float_multiplicative():
    # (float mode's pending product: a formed synapse's is 1 again)
    _same(stdp=True, fixed_point=False, drive_rate=80.0, pieces=(90.0, 110.0),
          reset_then=100.0, dependence=sim.MultiplicativeWeightDependence)


def test_stdp_structural_split_run_reset_and_lateral():
    _same(stdp=True, pieces=(90.0, 110.0), reset_then=150.0, seed=4)
    _same(stdp=True, lateral=True, f_rew=3e3, pieces=(150.0,))


def test_stdp_structural_last_neuron_selection():
    _same(stdp=True, last_neuron=True, f_rew=2e3, pieces=(250.0,))


@pytest.mark.parametrize("stdp", [False, True])
def test_structural_from_a_population_view(stdp):
    _same(stdp=stdp, view=True, f_rew=2e3, pieces=(250.0,), drive_rate=60.0)


@pytest.mark.parametrize("stdp", [False, True])
def test_engines_take_over_from_each_other(stdp):
    """A run on one engine, the next on the other: the random words (drawn in blocks
    either way), slots and rule state carry over; the same as NumPy throughout."""
    pieces = (80.0, 120.0, 100.0)
    reference, _ = _run("numpy", stdp=stdp, pieces=pieces, drive_rate=60.0)
    mixed, _ = _run("numpy", stdp=stdp, pieces=pieces, drive_rate=60.0,
                    engines=("numpy", "numba", "numpy"))
    other, _ = _run("numba", stdp=stdp, pieces=pieces, drive_rate=60.0,
                    engines=("numba", "numpy", "numba"))
    assert reference[0][3] > 5 and reference[0][4] > 2
    assert mixed == reference
    assert other == reference
