"""PyNN's composed cell type PointNeuron(neuron, **receptors) on pyNN.tinysim.

* against pyNN.nest, for the compositions pyNN.nest has a model for (LIF with
  CurrExpPostSynapticResponse receptors: iaf_psc_exp_multisynapse; AdExp with
  AlphaPSR receptors: aeif_cond_alpha_multisynapse). NEST runs in a subprocess
  (its kernel is global state): this file run as a script is the runner,
  ``python test_point_neuron.py OUT.json nest|tinysim``; skipped without NEST;
* against tinysim's fixed-receptor models, which a PointNeuron with two receptors
  must reproduce (IF_curr_exp, IF_cond_exp, EIF_cond_alpha_isfa_ista), and a
  closed form for one exponential current receptor;
* parameter and state access by ``"<receptor>.<name>"``, recording, group
  separation, errors.
"""

import importlib.util
import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from pyNN import errors
from pyNN.parameters import Sequence

DT = 0.1
T_STOP = 150.0
# (receptor, spike times, weight) for each composition of the NEST protocol
BURST = [90.0, 91.0, 92.0, 93.0, 94.0, 95.0, 96.0, 97.0]
LIF_INPUTS = [("AMPA", [10.0, 40.0, 41.0, 42.0, 43.0, 44.0] + BURST, 1.5),
              ("NMDA", [20.0, 80.0], 0.4),
              ("GABAA", [30.0, 60.0, 100.0], -1.0)]
ADEXP_INPUTS = [("AMPA", [10.0, 40.0, 41.0, 42.0] + BURST, 0.02),
                ("NMDA", [20.0, 80.0], 0.003),
                ("GABAA", [30.0, 60.0, 100.0], 0.05)]


def protocol(sim, engine=None):
    """The scenario's two compositions, driven to spike; returns signals and spikes.
    ``engine``: tinysim's (the compiled one runs both compositions' kernels)."""
    sim.setup(timestep=DT, min_delay=DT, **({"spike_precision": "on_grid"}
                                           if sim.__name__ == "pyNN.nest" else {}),
              **({} if engine is None else {"engine": engine}))
    adexp = sim.Population(1, sim.PointNeuron(
        sim.AdExp(tau_m=10.0, v_rest=-60.0, tau_refrac=2.0, b=0.05),
        AMPA=sim.AlphaPSR(tau_syn=1.0, e_syn=0.0),
        NMDA=sim.AlphaPSR(tau_syn=20.0, e_syn=0.0),
        GABAA=sim.AlphaPSR(tau_syn=1.5, e_syn=-70.0)), initial_values={"v": -60.0})
    lif = sim.Population(1, sim.PointNeuron(
        sim.LIF(tau_m=10.0, v_rest=-60.0, v_thresh=-55.0, tau_refrac=2.0, cm=0.5),
        AMPA=sim.CurrExpPostSynapticResponse(tau_syn=1.0),
        NMDA=sim.CurrExpPostSynapticResponse(tau_syn=20.0),
        GABAA=sim.CurrExpPostSynapticResponse(tau_syn=1.5)), initial_values={"v": -60.0})
    adexp_vars = ["v", "w", "AMPA.gsyn", "NMDA.gsyn", "GABAA.gsyn"]
    lif_vars = ["v", "AMPA.isyn", "NMDA.isyn", "GABAA.isyn"]
    adexp.record(adexp_vars + ["spikes"])
    lif.record(lif_vars + ["spikes"])
    for post, inputs in ((adexp, ADEXP_INPUTS), (lif, LIF_INPUTS)):
        for receptor, times, weight in inputs:
            src = sim.Population(1, sim.SpikeSourceArray(spike_times=Sequence(times)))
            sim.Projection(src, post, sim.AllToAllConnector(),
                           sim.StaticSynapse(weight=weight, delay=1.0), receptor_type=receptor)
    sim.run(T_STOP)
    out = {}
    for label, pop, names in (("adexp", adexp, adexp_vars), ("lif", lif, lif_vars)):
        seg = pop.get_data().segments[0]
        for name in names:
            sig = seg.filter(name=name)[0]
            out[f"{label}:{name}"] = np.asarray(sig.magnitude)[:, 0].tolist()
        out[f"{label}:spikes"] = np.asarray(seg.spiketrains[0].magnitude).tolist()
    sim.end()
    return out


def run_protocol(backend, tmp_path):
    out = tmp_path / f"{backend}.json"
    proc = subprocess.run([sys.executable, str(pathlib.Path(__file__)), str(out), backend],
                          capture_output=True, text=True, timeout=300)
    if proc.returncode == 3:
        pytest.skip("nest-simulator is not installed: " + proc.stderr.strip()[-300:])
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def nest_result(tmp_path_factory):
    return run_protocol("nest", tmp_path_factory.mktemp("point_neuron"))


ENGINES = ["numpy"] + (["numba"] if importlib.util.find_spec("numba") else [])


@pytest.fixture(scope="module", params=ENGINES)
def agreement(request, nest_result):
    """(tinysim's result on each engine, NEST's)."""
    import pyNN.tinysim as sim
    return protocol(sim, request.param), nest_result


@pytest.mark.parametrize("key,atol", [
    ("lif:v", 1e-9), ("lif:AMPA.isyn", 1e-12), ("lif:NMDA.isyn", 1e-12),
    ("lif:GABAA.isyn", 1e-12),
    # NEST integrates aeif_cond_alpha_multisynapse's conductances numerically too
    ("adexp:AMPA.gsyn", 1e-8), ("adexp:NMDA.gsyn", 1e-8), ("adexp:GABAA.gsyn", 1e-8),
    ("adexp:v", 1e-3), ("adexp:w", 1e-5)])
def test_signals_agree_with_nest(agreement, key, atol):
    ours, nest = agreement
    assert len(ours[key]) == len(nest[key]) == int(round(T_STOP / DT)) + 1
    np.testing.assert_allclose(ours[key], nest[key], rtol=0, atol=atol, err_msg=key)


@pytest.mark.parametrize("label", ["lif", "adexp"])
def test_spikes_agree_with_nest(agreement, label):
    ours, nest = agreement
    assert len(nest[f"{label}:spikes"]) >= 2, "the protocol must make the neuron spike"
    np.testing.assert_allclose(ours[f"{label}:spikes"], nest[f"{label}:spikes"], atol=1e-9)


# --- a PointNeuron with two receptors is the corresponding standard model -----------------

def _drive(sim, post, exc, inh, w_exc, w_inh):
    src_e = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0, 20.0, 21.0, 22.0, 23.0]))
    src_i = sim.Population(1, sim.SpikeSourceArray(spike_times=[12.0, 40.0]))
    sim.Projection(src_e, post, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=w_exc, delay=0.5), receptor_type=exc)
    sim.Projection(src_i, post, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=w_inh, delay=0.5), receptor_type=inh)


@pytest.mark.parametrize("case", ["curr_exp", "cond_exp", "cond_alpha_adexp"])
def test_two_receptors_reproduce_standard_model(case):
    import pyNN.tinysim as sim
    sim.setup(timestep=DT)
    common = dict(tau_m=12.0, v_rest=-62.0, cm=0.4, tau_refrac=1.0)
    if case == "curr_exp":
        standard = sim.IF_curr_exp(tau_syn_E=2.0, tau_syn_I=7.0, v_thresh=-58.0, **common)
        composed = sim.PointNeuron(sim.LIF(v_thresh=-58.0, **common),
                                   fast=sim.CurrExpPostSynapticResponse(tau_syn=2.0),
                                   slow=sim.CurrExpPostSynapticResponse(tau_syn=7.0))
        weights, signals = (2.0, -1.0), []   # IF_curr_exp records no synaptic current
    elif case == "cond_exp":
        standard = sim.IF_cond_exp(tau_syn_E=2.0, tau_syn_I=7.0, e_rev_I=-75.0,
                                   v_thresh=-58.0, **common)
        composed = sim.PointNeuron(sim.LIF(v_thresh=-58.0, **common),
                                   fast=sim.ExpPSR(tau_syn=2.0, e_syn=0.0),
                                   slow=sim.ExpPSR(tau_syn=7.0, e_syn=-75.0))
        weights, signals = (0.05, 0.02), [("gsyn_exc", "fast.gsyn"), ("gsyn_inh", "slow.gsyn")]
    else:
        standard = sim.EIF_cond_alpha_isfa_ista(tau_syn_E=2.0, tau_syn_I=7.0, e_rev_I=-75.0,
                                                **common)
        composed = sim.PointNeuron(sim.AdExp(**common),
                                   fast=sim.AlphaPSR(tau_syn=2.0, e_syn=0.0),
                                   slow=sim.AlphaPSR(tau_syn=7.0, e_syn=-75.0))
        weights, signals = (0.03, 0.02), [("gsyn_exc", "fast.gsyn"), ("gsyn_inh", "slow.gsyn"),
                                          ("w", "w")]
    a = sim.Population(1, standard, initial_values={"v": -62.0})
    b = sim.Population(1, composed, initial_values={"v": -62.0})
    signals = [("v", "v")] + signals
    a.record([s for s, _ in signals] + ["spikes"])
    b.record([c for _, c in signals] + ["spikes"])
    _drive(sim, a, "excitatory", "inhibitory", *weights)
    _drive(sim, b, "fast", "slow", *weights)
    sim.run(60.0)
    seg_a, seg_b = a.get_data().segments[0], b.get_data().segments[0]
    assert len(seg_a.spiketrains[0]) >= 1, "the protocol must make the neuron spike"
    np.testing.assert_allclose(seg_b.spiketrains[0].magnitude, seg_a.spiketrains[0].magnitude)
    for s, c in signals:
        np.testing.assert_allclose(seg_b.filter(name=c)[0].magnitude,
                                   seg_a.filter(name=s)[0].magnitude, rtol=0, atol=1e-10,
                                   err_msg=f"{case}: {c}")
    sim.end()


def test_exp_current_receptors_closed_form():
    """Three receptors, one input each: v is the sum of the three exact PSPs."""
    import pyNN.tinysim as sim
    sim.setup(timestep=DT)
    tau_m, cm, v_rest = 10.0, 0.25, -65.0
    taus = {"A": 0.5, "B": 3.0, "C": 10.0}   # C: tau_syn == tau_m
    cell = sim.Population(1, sim.PointNeuron(
        sim.LIF(tau_m=tau_m, cm=cm, v_rest=v_rest, v_thresh=0.0),
        **{r: sim.CurrExpPostSynapticResponse(tau_syn=t) for r, t in taus.items()}),
        initial_values={"v": v_rest})
    cell.record("v")
    arrivals = {"A": 5.0, "B": 10.0, "C": 20.0}
    weights = {"A": 0.3, "B": -0.2, "C": 0.1}
    for r in taus:
        src = sim.Population(1, sim.SpikeSourceArray(spike_times=[arrivals[r] - 1.0]))
        sim.Projection(src, cell, sim.OneToOneConnector(),
                       sim.StaticSynapse(weight=weights[r], delay=1.0), receptor_type=r)
    sim.run(60.0)
    v = cell.get_data().segments[0].filter(name="v")[0].magnitude[:, 0]
    t = np.arange(v.size) * DT
    expected = np.full_like(t, v_rest)
    for r, tau_s in taus.items():
        s = np.clip(t - arrivals[r], 0.0, None)
        if tau_s == tau_m:
            psp = weights[r] / cm * s * np.exp(-s / tau_m)
        else:
            psp = (weights[r] * tau_s * tau_m / (cm * (tau_s - tau_m))
                   * (np.exp(-s / tau_s) - np.exp(-s / tau_m)))
        expected += psp
    np.testing.assert_allclose(v, expected, rtol=0, atol=1e-9)
    sim.end()


# --- parameters, state, recording, groups, errors --------------------------------------

def test_parameters_and_initial_values_by_receptor_name():
    import pyNN.tinysim as sim
    sim.setup(timestep=DT)
    p = sim.Population(3, sim.PointNeuron(
        sim.LIF(tau_m=15.0), AMPA=sim.CondExpPostSynapticResponse(tau_syn=2.0, e_syn=0.0),
        GABAA=sim.CondAlphaPostSynapticResponse(tau_syn=5.0, e_syn=-80.0)))
    assert p.get("GABAA.e_syn") == -80.0
    assert p.get(["tau_m", "AMPA.tau_syn"]) == [15.0, 2.0]
    assert p.receptor_types == ["AMPA", "GABAA"]
    p.set(**{"AMPA.tau_syn": [1.0, 2.0, 3.0], "tau_m": 20.0})
    np.testing.assert_array_equal(p.get("AMPA.tau_syn"), [1.0, 2.0, 3.0])
    assert p[1:].get("AMPA.tau_syn").tolist() == [2.0, 3.0]
    assert p.get("tau_m") == 20.0
    p.initialize(**{"AMPA.gsyn": 0.01, "v": -70.0})
    p.record(["v", "AMPA.gsyn", "GABAA.gsyn"])
    sim.run(2.0)
    seg = p.get_data().segments[0]
    g = seg.filter(name="AMPA.gsyn")[0]
    assert str(g.units.dimensionality) == "uS"
    np.testing.assert_allclose(g.magnitude[0], 0.01)
    np.testing.assert_allclose(g.magnitude[-1], 0.01 * np.exp(-2.0 / np.array([1.0, 2.0, 3.0])))
    np.testing.assert_allclose(seg.filter(name="GABAA.gsyn")[0].magnitude, 0.0)
    with pytest.raises(errors.NonExistentParameterError):
        p.get("NMDA.tau_syn")
    sim.end()


def test_receptor_sets_get_their_own_groups():
    import pyNN.tinysim as sim
    sim.setup(timestep=DT)

    def cell(**receptors):
        return sim.PointNeuron(sim.LIF(), **receptors)
    psr = sim.CurrExpPostSynapticResponse
    a = sim.Population(2, cell(AMPA=psr(), GABA=psr()))
    b = sim.Population(2, cell(AMPA=psr(tau_syn=2.0), GABA=psr()))   # same signature
    c = sim.Population(2, cell(AMPA=psr(), NMDA=psr(), GABA=psr()))
    d = sim.Population(2, cell(X=psr(), Y=psr()))
    assert a._group is b._group
    assert len({id(a._group), id(c._group), id(d._group)}) == 3
    assert b.get("AMPA.tau_syn") == 2.0 and a.get("AMPA.tau_syn") == 5.0
    with pytest.raises(errors.ConnectionError):
        sim.Projection(a, d, sim.AllToAllConnector(), receptor_type="AMPA")
    sim.end()


def test_unsupported_compositions():
    import pyNN.tinysim as sim
    sim.setup(timestep=DT)
    with pytest.raises(errors.NoModelAvailableError):   # NEST has no AdExp multisynapse psc
        sim.PointNeuron(sim.AdExp(), AMPA=sim.CurrExpPostSynapticResponse())
    with pytest.raises(Exception, match="mix|Cannot"):
        sim.PointNeuron(sim.LIF(), AMPA=sim.CurrExpPostSynapticResponse(),
                        GABA=sim.ExpPSR())
    sim.end()


if __name__ == "__main__":
    out_path, backend = sys.argv[1], sys.argv[2]
    try:
        import importlib
        simulator = importlib.import_module(f"pyNN.{backend}")
    except ImportError as err:
        print(err, file=sys.stderr)
        sys.exit(3)
    pathlib.Path(out_path).write_text(json.dumps(protocol(simulator)))
