"""Protocols for the adaptive / Hodgkin-Huxley / stochastic cell types and the current
sources, run on the backend under test and, as the reference, on pyNN.nest.

Like tests/_protocols.py (whose helpers it uses), only the public PyNN API is used,
and run as a script this module is the NEST reference runner (NEST in its own
process)::

    python _nest_models.py OUT.json cells NAME [NAME ...]     # keys of CELLS
    python _nest_models.py OUT.json currents

It writes ``{"results": {...}}`` to OUT.json and exits with status 3 when NEST is
not importable.

Conventions measured on pyNN.nest 0.13 + NEST 3.10 (on_grid):

* a current source acts on the steps starting at start <= t < stop (v(start + dt)
  is the first sample it moves); pyNN.nest's recorded current at t is the current
  during the step starting at t;
* except that pyNN.nest cannot reach the first two steps (a source starting at 0
  acts from 2 dt there) and applies a source parameter changed between runs at t
  from t + 3 dt (min_delay + 2 dt): the protocols here start currents later and make
  changes CURRENT_CHANGE_LEAD earlier on NEST (tinysim applies them at t);
* pyNN 0.13's IF_cond_exp_gsfa_grr cannot be created on pyNN.nest (its
  variable_map lacks g_r / g_s): patched here, with NEST's nS values kept in nS
  as PyNN's units declare.
"""

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _protocols as P  # noqa: E402

T_STOP = 1000.0
CURRENT_CHANGE_LEAD = 3 * P.DT   # pyNN.nest applies a changed source parameter 3 dt late

# model, cell parameters, weights (exc, inh; uS), i_offset (nA) and the steps of an
# extra StepCurrentSource (ms, nA), extra recorded variables
_STEPS = [(250.0, 0.3), (500.0, -0.1), (750.0, 0.5)]
CELLS = {
    "EIF_cond_exp_isfa_ista": dict(
        params=dict(tau_refrac=2.0), w=(0.02, 0.03), i_offset=0.6, steps=_STEPS,
        record=("w",)),
    "EIF_cond_alpha_isfa_ista": dict(
        params=dict(tau_refrac=2.0), w=(0.02, 0.03), i_offset=0.6, steps=_STEPS,
        record=("w",)),
    # no refractory period: NEST integrates on from v_reset within the spike step
    "EIF_cond_exp_isfa_ista_tref0": dict(
        model="EIF_cond_exp_isfa_ista",
        params=dict(tau_refrac=0.0), w=(0.02, 0.03), i_offset=0.6, steps=_STEPS,
        record=("w",)),
    # NEST's own V_peak = 0 mV: a stiff upswing, re-integrated in sub-steps
    "EIF_cond_exp_isfa_ista_stiff": dict(
        model="EIF_cond_exp_isfa_ista",
        params=dict(tau_refrac=1.0, v_spike=0.0, a=2.0, b=0.02), w=(0.05, 0.05),
        i_offset=0.8, steps=[(250.0, 0.8), (500.0, -0.3), (750.0, 1.5)], record=("w",)),
    "HH_cond_exp": dict(
        params=dict(), w=(0.02, 0.03), i_offset=0.2,
        steps=[(250.0, 0.2), (500.0, -0.1), (750.0, 0.4)], record=()),
    "IF_cond_exp_gsfa_grr": dict(
        params=dict(tau_refrac=2.0), w=(0.02, 0.03), i_offset=1.0,
        steps=[(250.0, 0.5), (500.0, -0.2), (750.0, 1.0)], record=("g_r", "g_s")),
    # a sharp escape rate (delta_v 1 uV) makes GIF's stochastic spiking all but
    # deterministic, so that spike times can be compared with NEST's (whose
    # random numbers differ)
    "GIF_cond_exp": dict(
        params=dict(tau_refrac=2.0, delta_v=0.001, lambda0=1000.0), w=(0.02, 0.03),
        i_offset=1.2, steps=[(250.0, 0.5), (500.0, -0.2), (750.0, 1.0)],
        record=("v_t", "i_eta")),
}
for _name, _spec in CELLS.items():
    _spec.setdefault("model", _name)


def patch_pynn_nest(sim):
    """Make pyNN.nest's IF_cond_exp_gsfa_grr usable (see the module docstring)."""
    cls = sim.IF_cond_exp_gsfa_grr
    cls.variable_map = dict(cls.variable_map, g_r="g_rr", g_s="g_sfa")
    cls.scale_factors = dict(cls.scale_factors, g_r=1, g_s=1)


def _setup(sim, backend, **extra):
    kw = dict(P.setup_kwargs(backend), **extra)
    if backend == "nest":
        kw["verbosity"] = "error"
    sim.setup(timestep=P.DT, min_delay=P.MIN_DELAY, **kw)


def _trace(segment, name):
    return [float(x) for x in np.asarray(P.signal(segment, name).magnitude).ravel()]


def cell_protocol(sim, backend, name, **setup_extra):
    """One cell, i_offset + a StepCurrentSource + fixed exc/inh input trains, for 1 s;
    ``setup_extra``: more setup() arguments (tinysim's engine)."""
    spec = CELLS[name]
    _setup(sim, backend, **setup_extra)
    exc_times, inh_times = P.input_trains()
    cell = sim.Population(1, getattr(sim, spec["model"])(i_offset=spec["i_offset"],
                                                          **spec["params"]))
    exc = sim.Population(1, sim.SpikeSourceArray(spike_times=exc_times))
    inh = sim.Population(1, sim.SpikeSourceArray(spike_times=inh_times))
    w_exc, w_inh = spec["w"]
    sim.Projection(exc, cell, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=w_exc, delay=1.0), receptor_type="excitatory")
    sim.Projection(inh, cell, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=w_inh, delay=1.5), receptor_type="inhibitory")
    steps = sim.StepCurrentSource(times=[t for t, _ in spec["steps"]],
                                  amplitudes=[a for _, a in spec["steps"]])
    steps.inject_into(cell)
    variables = ["v", *spec["record"]]
    cell.record(variables + ["spikes"])
    sim.run(T_STOP)
    seg = cell.get_data().segments[0]
    result = {"spikes": [float(t) for t in seg.spiketrains[0].rescale("ms").magnitude]}
    for variable in variables:
        result[variable] = _trace(seg, variable)
    sim.end()
    return result


def current_protocol(sim, backend):
    """DC, AC and step currents into IF_curr_exp / IF_cond_exp / Izhikevich cells, 200 ms.

    Sources start after 2 dt (pyNN.nest cannot act earlier); one parameter change
    between runs, made CURRENT_CHANGE_LEAD earlier on NEST.
    """
    _setup(sim, backend)
    lif = sim.Population(4, sim.IF_curr_exp(tau_m=10.0, cm=0.5, v_thresh=-50.0,
                                             tau_refrac=2.0))
    cond = sim.Population(1, sim.IF_cond_exp(v_thresh=-50.0, tau_refrac=2.0))
    izh = sim.Population(1, sim.Izhikevich())
    dc = sim.DCSource(amplitude=0.8, start=50.0, stop=100.0)
    ac = sim.ACSource(amplitude=0.6, offset=0.3, frequency=40.0, phase=30.0,
                      start=20.3, stop=170.0)
    step = sim.StepCurrentSource(times=[10.0, 30.04, 30.07, 120.0, 150.0],
                                 amplitudes=[0.4, 1.1, 0.9, -0.3, 0.6])
    late = sim.DCSource(amplitude=0.5, start=5.0)
    dc.inject_into(lif[0:1])
    ac.inject_into(lif[1:2])
    step.inject_into(lif[2:3])
    late.inject_into(lif[3:4])
    dc.inject_into(cond)
    sim.DCSource(amplitude=0.006, start=20.0, stop=150.0).inject_into(izh)
    for source in (dc, ac, step, late):
        source.record()
    for pop in (lif, cond, izh):
        pop.record(["v", "spikes"])
    lead = CURRENT_CHANGE_LEAD if backend == "nest" else 0.0
    sim.run_until(80.0 - lead)
    late.amplitude = 1.2
    sim.run_until(200.0)
    result = {}
    for label, pop in (("lif", lif), ("cond", cond), ("izh", izh)):
        seg = pop.get_data().segments[0]
        v = np.asarray(P.signal(seg, "v").magnitude)
        result[label + "_v"] = v.T.tolist()
        result[label + "_spikes"] = [[float(t) for t in st.rescale("ms").magnitude]
                                     for st in seg.spiketrains]
    for label, source in (("dc", dc), ("ac", ac), ("step", step), ("late", late)):
        sig = source.get_data()
        result[label + "_i"] = [float(x) for x in np.asarray(sig.rescale("nA").magnitude).ravel()]
    sim.end()
    return result


def _main(argv):
    out, kind, names = argv[0], argv[1], argv[2:]
    try:
        import nest  # noqa: F401
    except Exception as exc:  # pragma: no cover - depends on the environment
        sys.stderr.write(f"NEST not importable: {exc!r}\n")
        return 3
    sim = P.import_backend("nest")
    patch_pynn_nest(sim)
    if kind == "cells":
        results = {name: cell_protocol(sim, "nest", name) for name in names}
    else:
        results = current_protocol(sim, "nest")
    with open(out, "w") as f:
        json.dump({"results": results}, f)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
