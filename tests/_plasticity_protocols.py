"""Synaptic-plasticity protocols run on pyNN.tinysim and on pyNN.nest (the reference).

Only the public PyNN API is used, so the same function runs on both backends
(NEST's vogels_sprekeler_synapse, which pyNN.nest does not wrap as
Vogels2011Rule, is reached through ``native_synapse_type``). Run as a script,
this module is the NEST reference runner used by test_plasticity.py (NEST in
its own process, as in _protocols.py)::

    python _plasticity_protocols.py OUT.json PROTOCOL [PROTOCOL ...]

writes ``{"protocols": {PROTOCOL: result}}`` to OUT.json and exits with status 3
when NEST is not importable.

Postsynaptic spikes are imposed: each postsynaptic IF_curr_exp cell gets a
"teacher" SpikeSourceArray through a strong, fast static synapse, so it fires
at known times (the plastic synapses are too weak to move them). In the plain
protocols every presynaptic source fires once more long after the protocol, so
the weights include every pairing; the ``*_trailing`` variants leave that spike
out and end with post spikes after the last pre spike, which NEST (and
pyNN.tinysim) have not applied to the weights read back: a weight changes only
when a presynaptic spike is processed (see engine/plasticity.py).
"""

import json
import os
import sys
from pathlib import Path

import numpy as np
from pyNN.parameters import Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _protocols as P  # noqa: E402

DT = 0.1
PLASTIC_DELAY = 1.0          # ms, all of it dendritic (NEST, PyNN fraction 1)
TEACHER_DELAY = 0.1
TEACHER_LATENCY = 0.2        # teacher spike at t -> postsynaptic spike at t + 0.2 ms (checked)
FLUSH_AFTER = 500.0          # ms between the last pairing and the flushing pre spike

# --- STDP pairing ---------------------------------------------------------------------

#: effective pairing intervals t_post + delay - t_pre (ms) of the pairs, one pair per cell
PAIRING_DT = [-40.0, -20.0, -10.0, -5.0, -2.0, 0.0, 2.0, 5.0, 10.0, 20.0, 40.0]
N_PAIRINGS = 60
PAIRING_PERIOD = 100.0       # ms (10 Hz)
FIRST_PAIRING = 100.0
W_MAX = 0.1                  # nA
W0 = 0.05
TIMING = dict(tau_plus=16.8, tau_minus=33.7, A_plus=0.005, A_minus=0.006)
WEIGHT_DEPENDENCES = ["AdditiveWeightDependence", "MultiplicativeWeightDependence",
                      "AdditivePotentiationMultiplicativeDepression", "GutigWeightDependence"]
#: a fifth projection: additive with steps large enough to hit w_min and w_max
STRONG_TIMING = dict(tau_plus=16.8, tau_minus=33.7, A_plus=0.03, A_minus=0.035)


def _teacher_cells(sim, teacher_times):
    """Cells that fire at teacher_times + TEACHER_LATENCY (one cell per list)."""
    post = sim.Population(len(teacher_times),
                          sim.IF_curr_exp(tau_refrac=2.0, tau_syn_E=0.5, tau_syn_I=5.0,
                                          v_thresh=-50.0, v_reset=-65.0, v_rest=-65.0),
                          label="post")
    trains = [Sequence(sorted(t)) for t in teacher_times]
    # (a one-cell Population takes the Sequence itself: pyNN.tinysim rejects [Sequence])
    teachers = sim.Population(len(teacher_times),
                              sim.SpikeSourceArray(spike_times=trains[0] if len(trains) == 1
                                                   else trains),
                              label="teacher")
    sim.Projection(teachers, post, sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=200.0, delay=TEACHER_DELAY),
                   receptor_type="excitatory")
    return post


def _grid(t):
    return round(round(t / DT) * DT, 6)


def stdp_pairing(sim, backend, flush=True):
    """60 pre-post pairings at 10 Hz, one cell per interval, four weight dependences.

    Without ``flush``, no presynaptic spike follows the last pairing: the post
    spikes of the last causal pairings never reach the weights read back.
    """
    sim.setup(timestep=DT, min_delay=0.1, max_delay=10.0, **_setup_extra(backend))
    pairings = FIRST_PAIRING + PAIRING_PERIOD * np.arange(N_PAIRINGS)
    end = pairings[-1] + FLUSH_AFTER
    pre_times, teacher_times = [], []
    for dt_eff in PAIRING_DT:
        t_pre = pairings + 50.0
        t_post = t_pre + dt_eff - PLASTIC_DELAY
        pre_times.append([_grid(t) for t in t_pre] + ([end] if flush else []))
        teacher_times.append([_grid(t - TEACHER_LATENCY) for t in t_post])
    pre = sim.Population(len(PAIRING_DT), sim.SpikeSourceArray(spike_times=pre_times),
                         label="pre")
    post = _teacher_cells(sim, teacher_times)
    projections = {}
    for name in WEIGHT_DEPENDENCES:
        wd = getattr(sim, name)(w_min=0.0, w_max=W_MAX)
        stdp = sim.STDPMechanism(timing_dependence=sim.SpikePairRule(**TIMING),
                                 weight_dependence=wd, weight=W0, delay=PLASTIC_DELAY)
        projections[name] = sim.Projection(pre, post, sim.OneToOneConnector(), stdp,
                                           receptor_type="excitatory")
    strong = sim.STDPMechanism(timing_dependence=sim.SpikePairRule(**STRONG_TIMING),
                               weight_dependence=sim.AdditiveWeightDependence(w_min=0.0,
                                                                             w_max=W_MAX),
                               weight=W0, delay=PLASTIC_DELAY)
    projections["AdditiveClipped"] = sim.Projection(pre, post, sim.OneToOneConnector(),
                                                    strong, receptor_type="excitatory")
    post.record("spikes")
    pre.record("spikes")
    sim.run(end + 5.0)
    result = {"post_spikes": _spikes(post), "pre_spikes": _spikes(pre), "weights": {}}
    for name, prj in projections.items():
        values = prj.get("weight", format="list")
        result["weights"][name] = [float(w) for _, _, w in sorted(values)]
    sim.end()
    return result


# --- STDP with random trains and heterogeneous delays -------------------------------------

def _random_trains(rng, n, rate, t_stop, refractory=3.0):
    """Random spike times on a 0.5 ms grid.

    Not on the 0.1 ms grid: NEST's spike_generator moves some decimal times that
    are not exact in binary one step later (68.4 ms is emitted at 68.5 ms),
    which would make the two simulators see different input.
    """
    trains = []
    for _ in range(n):
        times = np.sort(rng.uniform(5.0, t_stop, rng.poisson(rate * t_stop / 1000.0)))
        times = np.unique(np.round(times * 2.0) / 2.0)
        keep = np.concatenate([[True], np.diff(times) > refractory])
        trains.append([float(t) for t in times[keep]])
    return trains


def stdp_random(sim, backend, flush=True):
    """5 x 4 all-to-all STDP synapses, random spike trains, delays 0.5-3 ms (several distinct).

    Without ``flush``, the post trains run on 300 ms past the last presynaptic spike.
    """
    sim.setup(timestep=DT, min_delay=0.1, max_delay=10.0, **_setup_extra(backend))
    rng = np.random.default_rng(20240612)
    t_stop = 2000.0
    n_pre, n_post = 5, 4
    pre_times = [t + [t_stop + FLUSH_AFTER] for t in _random_trains(rng, n_pre, 25.0, t_stop)]
    teacher_times = _random_trains(rng, n_post, 20.0, t_stop)
    if not flush:
        pre_times = [[t for t in train if t < t_stop - 300.0] for train in pre_times]
    pre = sim.Population(n_pre, sim.SpikeSourceArray(spike_times=pre_times), label="pre")
    post = _teacher_cells(sim, teacher_times)
    delays = rng.choice([0.5, 1.0, 1.7, 3.0], size=(n_pre, n_post))
    w0 = rng.uniform(0.2, 0.8, size=(n_pre, n_post)) * W_MAX
    conn = [(i, j, float(w0[i, j]), float(delays[i, j]))
            for i in range(n_pre) for j in range(n_post)]
    projections = {}
    for name in WEIGHT_DEPENDENCES:
        wd = getattr(sim, name)(w_min=0.0, w_max=W_MAX)
        stdp = sim.STDPMechanism(timing_dependence=sim.SpikePairRule(**TIMING),
                                 weight_dependence=wd)
        projections[name] = sim.Projection(
            pre, post, sim.FromListConnector(conn, column_names=["weight", "delay"]), stdp,
            receptor_type="excitatory")
    post.record(["spikes", "v"])
    sim.run(t_stop + FLUSH_AFTER + 5.0)
    # v shows the weights the plastic synapses transmitted, spike by spike
    v = P.signal(post.get_data().segments[0], "v").rescale("mV").magnitude
    result = {"post_spikes": _spikes(post), "weights": {}, "initial": w0.tolist(),
              "v": np.asarray(v).T.tolist()}
    for name, prj in projections.items():
        result["weights"][name] = prj.get("weight", format="array").tolist()
    sim.end()
    return result


def stdp_tau_classes(sim, backend):
    """stdp_random's trains and delays, tau_plus differing between synapses (three
    classes; NEST's stdp_synapse holds tau_plus per connection, tau_minus per neuron),
    the four weight dependences."""
    sim.setup(timestep=DT, min_delay=0.1, max_delay=10.0, **_setup_extra(backend))
    rng = np.random.default_rng(20240613)
    t_stop = 1500.0
    n_pre, n_post = 5, 4
    pre_times = [t + [t_stop + FLUSH_AFTER] for t in _random_trains(rng, n_pre, 25.0, t_stop)]
    teacher_times = _random_trains(rng, n_post, 20.0, t_stop)
    pre = sim.Population(n_pre, sim.SpikeSourceArray(spike_times=pre_times), label="pre")
    post = _teacher_cells(sim, teacher_times)
    delays = rng.choice([0.5, 1.0, 1.7, 3.0], size=(n_pre, n_post))
    w0 = rng.uniform(0.2, 0.8, size=(n_pre, n_post)) * W_MAX
    tau_plus = rng.choice([10.0, 16.8, 30.0], size=(n_pre, n_post))
    conn = [(i, j, float(w0[i, j]), float(delays[i, j]), float(tau_plus[i, j]))
            for i in range(n_pre) for j in range(n_post)]
    timing = {k: v for k, v in TIMING.items() if k != "tau_plus"}
    projections = {}
    for name in WEIGHT_DEPENDENCES:
        wd = getattr(sim, name)(w_min=0.0, w_max=W_MAX)
        stdp = sim.STDPMechanism(timing_dependence=sim.SpikePairRule(**timing),
                                 weight_dependence=wd)
        projections[name] = sim.Projection(
            pre, post, sim.FromListConnector(conn, column_names=["weight", "delay",
                                                                 "tau_plus"]),
            stdp, receptor_type="excitatory")
    post.record("spikes")
    sim.run(t_stop + FLUSH_AFTER + 5.0)
    result = {"post_spikes": _spikes(post), "weights": {}, "initial": w0.tolist()}
    for name, prj in projections.items():
        result["weights"][name] = prj.get("weight", format="array").tolist()
    sim.end()
    return result


# --- Vogels-Sprekeler ------------------------------------------------------------------

VOGELS = dict(tau=20.0, eta=0.0005, rho=10.0)   # eta in nA
VOGELS_W0, VOGELS_WMAX = 0.02, 0.1


def vogels(sim, backend, flush=True):
    """Vogels2011Rule (NEST: vogels_sprekeler_synapse) with random pre and post trains."""
    sim.setup(timestep=DT, min_delay=0.1, max_delay=10.0, **_setup_extra(backend))
    rng = np.random.default_rng(7)
    t_stop = 2000.0
    n_pre, n_post = 4, 3
    pre_times = [t + [t_stop + FLUSH_AFTER] for t in _random_trains(rng, n_pre, 30.0, t_stop)]
    teacher_times = _random_trains(rng, n_post, 15.0, t_stop)
    if not flush:
        pre_times = [[t for t in train if t < t_stop - 300.0] for train in pre_times]
    pre = sim.Population(n_pre, sim.SpikeSourceArray(spike_times=pre_times), label="pre")
    post = _teacher_cells(sim, teacher_times)
    if backend == "nest":
        alpha = 2.0 * VOGELS["rho"] * VOGELS["tau"] / 1000.0
        syn = sim.native_synapse_type("vogels_sprekeler_synapse")(
            weight=VOGELS_W0 * 1000.0, delay=PLASTIC_DELAY, tau=VOGELS["tau"],
            eta=VOGELS["eta"] * 1000.0, alpha=alpha, Wmax=VOGELS_WMAX * 1000.0,
            tau_minus=VOGELS["tau"])
    else:
        syn = sim.STDPMechanism(timing_dependence=sim.Vogels2011Rule(**VOGELS),
                                weight_dependence=sim.AdditiveWeightDependence(
                                    w_min=0.0, w_max=VOGELS_WMAX),
                                weight=VOGELS_W0, delay=PLASTIC_DELAY)
    prj = sim.Projection(pre, post, sim.AllToAllConnector(), syn, receptor_type="excitatory")
    post.record("spikes")
    sim.run(t_stop + FLUSH_AFTER + 5.0)
    # (pyNN.nest reads native weights back in nA too, although it takes them in pA)
    w = np.asarray(prj.get("weight", format="array"), float)
    result = {"post_spikes": _spikes(post), "weights": w.tolist()}
    sim.end()
    return result


# --- Tsodyks-Markram PSP train -----------------------------------------------------------

TM_SPIKES = [50.0 + 50.0 * i for i in range(10)]     # 10 spikes at 20 Hz
TM_CASES = {
    # name: (synapse parameters, weight, receptor, cell tau_syn_E/I)
    "depressing": (dict(U=0.5, tau_rec=800.0, tau_facil=0.0), 2.0, "excitatory"),
    "facilitating": (dict(U=0.04, tau_rec=100.0, tau_facil=1000.0), 8.0, "excitatory"),
    "mixed_inhibitory": (dict(U=0.2, tau_rec=200.0, tau_facil=300.0), -3.0, "inhibitory"),
}


def tsodyks_markram(sim, backend):
    """10 spikes at 20 Hz through TsodyksMarkramSynapse onto IF_curr_exp; v of each cell."""
    sim.setup(timestep=DT, min_delay=0.1, max_delay=10.0, **_setup_extra(backend))
    source = sim.Population(1, sim.SpikeSourceArray(spike_times=TM_SPIKES), label="source")
    cells = sim.Population(len(TM_CASES), sim.IF_curr_exp(
        tau_syn_E=3.0, tau_syn_I=7.0, tau_m=20.0, cm=0.25, v_thresh=0.0, tau_refrac=2.0),
        label="cells")
    for i, (params, w, receptor) in enumerate(TM_CASES.values()):
        syn = sim.TsodyksMarkramSynapse(weight=w, delay=1.0, **params)
        sim.Projection(source, cells[i:i + 1], sim.AllToAllConnector(), syn,
                       receptor_type=receptor)
    cells.record("v")
    sim.run(700.0)
    v = P.signal(cells.get_data().segments[0], "v").rescale("mV").magnitude
    sim.end()
    return {"v": np.asarray(v).T.tolist()}


def tm_classes(sim, backend):
    """TM_CASES's three parameter sets (positive weights) in one projection, tau_rec,
    tau_facil and U per connection, onto cells whose tau_syn_E (NEST: each connection's
    tau_psc) differ; v of each cell."""
    sim.setup(timestep=DT, min_delay=0.1, max_delay=10.0, **_setup_extra(backend))
    source = sim.Population(1, sim.SpikeSourceArray(spike_times=TM_SPIKES), label="source")
    cells = sim.Population(len(TM_CASES), sim.IF_curr_exp(
        tau_syn_E=[2.0, 3.0, 5.0], tau_m=20.0, cm=0.25, v_thresh=0.0, tau_refrac=2.0),
        label="cells")
    conn = [(0, i, abs(w), 1.0, params["U"], params["tau_rec"], params["tau_facil"])
            for i, (params, w, _) in enumerate(TM_CASES.values())]
    sim.Projection(source, cells, sim.FromListConnector(
        conn, column_names=["weight", "delay", "U", "tau_rec", "tau_facil"]),
        sim.TsodyksMarkramSynapse(), receptor_type="excitatory")
    cells.record("v")
    sim.run(700.0)
    v = P.signal(cells.get_data().segments[0], "v").rescale("mV").magnitude
    sim.end()
    return {"v": np.asarray(v).T.tolist()}


# --- a presynaptic cell that spikes several times in one step ----------------------------

#: two and three spikes at the same time (one event of multiplicity 2 and 3 in NEST: a
#: SpikeSourceArray is a spike_generator feeding a parrot_neuron there), single ones around
REPEATED_PRE = [20.0, 20.0, 45.0, 60.0, 60.0, 60.0, 90.0]
REPEATED_TEACHER = [[30.0, 70.0, 95.0], [25.0, 62.0, 80.0]]


def repeated_pre(sim, backend):
    """One source whose spike times repeat (several spikes of one cell in one step) into
    STDP (additive, multiplicative) and Tsodyks-Markram synapses: the weights after
    pairings with imposed post spikes, and v of cells that the plastic synapses alone
    drive (what each repeated spike transmits)."""
    sim.setup(timestep=DT, min_delay=0.1, max_delay=10.0, **_setup_extra(backend))
    source = sim.Population(1, sim.SpikeSourceArray(
        spike_times=REPEATED_PRE + [REPEATED_PRE[-1] + FLUSH_AFTER]), label="source")
    post = _teacher_cells(sim, REPEATED_TEACHER)
    listeners = sim.Population(3, sim.IF_curr_exp(
        tau_syn_E=3.0, tau_syn_I=7.0, tau_m=20.0, cm=0.25, v_thresh=0.0, tau_refrac=2.0),
        label="listeners")
    strong = dict(tau_plus=16.8, tau_minus=33.7, A_plus=0.01, A_minus=0.012)
    projections = {}
    for name, target in (("AdditiveWeightDependence", post[0:1]),
                         ("MultiplicativeWeightDependence", post[1:2]),
                         ("listener_additive", listeners[0:1])):
        dependence = getattr(sim, name if name.endswith("Dependence")
                             else "AdditiveWeightDependence")(w_min=0.0, w_max=W_MAX)
        stdp = sim.STDPMechanism(timing_dependence=sim.SpikePairRule(**strong),
                                 weight_dependence=dependence, weight=W0, delay=PLASTIC_DELAY)
        projections[name] = sim.Projection(source, target, sim.AllToAllConnector(), stdp,
                                           receptor_type="excitatory")
    for i, case in ((1, "depressing"), (2, "facilitating")):
        params, w, receptor = TM_CASES[case]
        sim.Projection(source, listeners[i:i + 1], sim.AllToAllConnector(),
                       sim.TsodyksMarkramSynapse(weight=w, delay=1.0, **params),
                       receptor_type=receptor)
    post.record("spikes")
    listeners.record("v")
    sim.run(REPEATED_PRE[-1] + FLUSH_AFTER + 5.0)
    v = P.signal(listeners.get_data().segments[0], "v").rescale("mV").magnitude
    result = {"post_spikes": _spikes(post), "v": np.asarray(v).T.tolist(),
              "weights": {name: float(np.asarray(prj.get("weight", format="array")).ravel()[0])
                          for name, prj in projections.items()}}
    sim.end()
    return result


def _trailing(protocol):
    def run(sim, backend):
        return protocol(sim, backend, flush=False)
    run.__doc__ = f"{protocol.__name__} with post spikes after the last presynaptic spike"
    return run


PROTOCOLS = {"stdp_pairing": stdp_pairing, "stdp_random": stdp_random, "vogels": vogels,
             "tsodyks_markram": tsodyks_markram, "repeated_pre": repeated_pre,
             "stdp_pairing_trailing": _trailing(stdp_pairing),
             "stdp_random_trailing": _trailing(stdp_random),
             "vogels_trailing": _trailing(vogels), "stdp_tau_classes": stdp_tau_classes,
             "tm_classes": tm_classes}


def _setup_extra(backend):
    return {"spike_precision": "on_grid", "verbosity": "error"} if backend == "nest" else {}


def _spikes(population):
    return [[float(t) for t in st.rescale("ms").magnitude]
            for st in population.get_data().segments[0].spiketrains]


def _main(argv):
    out, names = argv[0], argv[1:]
    try:
        import nest  # noqa: F401
    except Exception as exc:  # pragma: no cover - depends on the environment
        sys.stderr.write(f"NEST not importable: {exc!r}\n")
        return 3
    sim = P.import_backend("nest")
    results = {name: PROTOCOLS[name](sim, "nest") for name in names}
    with open(out, "w") as f:
        json.dump({"protocols": results}, f)
    return 0


if __name__ == "__main__":
    os.environ.pop(P.BACKEND_ENV, None)
    sys.exit(_main(sys.argv[1:]))
