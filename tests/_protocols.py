"""Shared helpers for the numerical tests: backend selection, known pyNN.nest quirks,
the deterministic single-cell agreement protocol, and spike-train matching.

Only the public PyNN API is used on the simulator side, so the same protocol runs on
``pyNN.tinysim`` and on ``pyNN.nest``.  Run as a script, this module is the NEST
reference runner used by test_nest_agreement.py (NEST lives in its own process there
because its kernel is global state and mixing it with another backend is fragile)::

    python _protocols.py OUT.json on_grid|off_grid PROTOCOL [PROTOCOL ...]

(PROTOCOL: a key of AGREEMENT) and writes ``{"protocols": {PROTOCOL: result}}`` to OUT.json (NEST prints a banner on stdout,
so stdout is not used for data) and exits with status 3 when NEST is not importable.

Conventions pinned here (checked empirically on pyNN.nest 0.13 + NEST 3.10, on_grid):

* An input spike emitted at ``t_s`` through a connection with delay ``d`` acts from
  ``t0 = t_s + d`` exactly: current/conductance jumps at t0 (so v(t0) is unchanged and
  v(t0 + dt) already moves), delta synapses add the jump into v(t0) itself.
* Analog signals have n_steps + 1 samples, t = 0, dt, ..., T; the sample at 0 is the
  initial value; the sample at t is the state after the step that ends at t.
* A spike is stamped at the end of the step in which v crossed threshold; the sample at
  the spike time already shows v_reset, and v stays at v_reset for the samples
  t_spike, ..., t_spike + tau_refrac (integration resumes in the following step).
"""

import importlib
import json
import math
import os
import sys

import numpy as np

BACKEND_ENV = "TINYSIM_TEST_BACKEND"
DT = 0.1
MIN_DELAY = 0.1


def backend_name():
    return os.environ.get(BACKEND_ENV, "tinysim")


def import_backend(name):
    """Import ``pyNN.<name>``; a broken backend must fail loudly, never skip."""
    sim = importlib.import_module("pyNN." + name)
    if name == "nest":
        _patch_pynn_nest(sim)
    return sim


def _patch_pynn_nest(sim):
    # pyNN 0.13's nest IF_curr_delta has no variable_map: recording 'v' raises
    # "unknown recordable v" and initialize(v=...) is silently dropped (V_m stays at
    # NEST's default -70 mV whatever v_rest is).  Give it the obvious mapping so the
    # reference behaves as the PyNN standard model is documented to.
    cls = sim.IF_curr_delta
    if "variable_map" not in vars(cls):
        cls.variable_map = {"v": "V_m"}
        cls.scale_factors = {"v": 1}


def setup_kwargs(name):
    """Extra setup() arguments so the backend runs on the time grid."""
    return {"spike_precision": "on_grid"} if name == "nest" else {}


def parameter_change_lead(name):
    """How much earlier than t a parameter change must be made to act from t.

    pyNN.nest simulates one min_delay beyond the requested time on the first run(),
    so a p.set() between run() calls acts one min_delay late.  For the PyNN-standard
    semantics (a change made at time t acts from the step starting at t) the NEST side
    stops min_delay early.  tinysim must implement the standard semantics: 0.
    """
    return MIN_DELAY if name == "nest" else 0.0


def poisson_shift(name, dt=DT, min_delay=MIN_DELAY):
    """Where SpikeSourcePoisson spikes actually fall relative to [start, start+duration].

    pyNN.nest's poisson_generator has origin = 1.0 ms and feeds a parrot neuron, so its
    spikes land in (start + 1.0 + dt + min_delay, stop + 1.0 + dt + min_delay].
    PyNN-standard semantics (tinysim): spikes in [start, start + duration]: shift 0.
    """
    return 1.0 + dt + min_delay if name == "nest" else 0.0


def signal(segment, name):
    """The AnalogSignal called `name` (the order of signals is not specified)."""
    for sig in segment.analogsignals:
        if sig.name == name:
            return sig
    raise KeyError(f"no analog signal {name!r}; have {[s.name for s in segment.analogsignals]}")


def run_schedule(sim, backend, population, schedule, t_stop):
    """Run to t_stop applying ``schedule = [(t, {param: value}), ...]`` at the given times."""
    lead = parameter_change_lead(backend)
    for t, params in schedule:
        if t > 0:
            sim.run_until(t - lead)
        population.set(**params)
    sim.run_until(t_stop)


# --- the agreement protocol ---------------------------------------------------------

T_STOP = 1000.0
# i_offset (nA, for Izhikevich the same PyNN nA; NEST's I_e = 1000 * i_offset) set at t
_IF_STEPS = [(0.0, 0.70), (250.0, 0.90), (500.0, 0.60), (750.0, 1.00)]
_IZH_STEPS = [(0.0, 0.0040), (250.0, 0.0080), (500.0, 0.0030), (750.0, 0.0100)]

AGREEMENT = {
    # cell parameters, weights (exc, inh: PyNN units of that cell type), i_offset steps
    "IF_curr_exp": dict(params=dict(tau_refrac=2.0, tau_syn_E=5.0, tau_syn_I=5.0),
                        w=(1.0, -1.0), steps=_IF_STEPS),
    "IF_curr_alpha": dict(params=dict(tau_refrac=2.0, tau_syn_E=2.0, tau_syn_I=2.0),
                          w=(1.2, -1.0), steps=_IF_STEPS),
    # weights of delta synapses are PSP jumps in mV
    "IF_curr_delta": dict(params=dict(tau_refrac=2.0),
                          w=(3.5, -3.0), steps=_IF_STEPS),
    "IF_cond_exp": dict(params=dict(tau_refrac=2.0, tau_syn_E=5.0, tau_syn_I=5.0),
                        w=(0.02, 0.03), steps=_IF_STEPS),
    "IF_cond_alpha": dict(params=dict(tau_refrac=2.0, tau_syn_E=2.0, tau_syn_I=2.0),
                          w=(0.025, 0.03), steps=_IF_STEPS),
    # weights onto Izhikevich are jumps of v in mV (pyNN.nest: receptor_scale 1e-3)
    "Izhikevich": dict(params=dict(a=0.02, b=0.2, c=-65.0, d=8.0),
                       w=(6.0, -5.0), steps=_IZH_STEPS),
}
for _name, _spec in AGREEMENT.items():
    _spec["model"] = _name
# For the comparison with NEST's precise (off_grid) spike times: grid-based spiking
# stamps each spike at the end of its step and resets then, so under DC drive the lag
# accumulates spike after spike (up to dt per spike) and no per-spike tolerance holds.
# Here a subthreshold DC keeps v just below threshold and fast, strong excitatory
# input triggers each spike on a steep rise, so the grid lag stays below dt.
AGREEMENT["IF_curr_exp_input_driven"] = dict(
    model="IF_curr_exp",
    params=dict(tau_refrac=2.0, tau_syn_E=0.5, tau_syn_I=5.0),
    w=(14.0, -1.0), steps=[(0.0, 0.72)])
LINEAR_MODELS = ("IF_curr_exp", "IF_curr_alpha", "IF_curr_delta")


def input_trains(dt=DT):
    """Fixed excitatory (32) and inhibitory (20) input spike times, on the grid."""
    rng = np.random.default_rng(20240611)

    def train(n):
        steps = np.unique(rng.integers(int(5.0 / dt), int((T_STOP - 5.0) / dt), size=n))
        return [round(float(k) * dt, 6) for k in steps]
    return train(32), train(20)


def agreement_protocol(sim, backend, protocol, setup_extra=None):
    """One cell with DC steps and fixed exc/inh input trains for 1 s (see AGREEMENT)."""
    spec = AGREEMENT[protocol]
    model = spec["model"]
    extra = setup_kwargs(backend) if setup_extra is None else dict(setup_extra)
    sim.setup(timestep=DT, min_delay=MIN_DELAY, **extra)
    exc_times, inh_times = input_trains()
    celltype = getattr(sim, model)(i_offset=spec["steps"][0][1], **spec["params"])
    cell = sim.Population(1, celltype, label="cell")
    exc = sim.Population(1, sim.SpikeSourceArray(spike_times=exc_times), label="exc")
    inh = sim.Population(1, sim.SpikeSourceArray(spike_times=inh_times), label="inh")
    w_exc, w_inh = spec["w"]
    # AllToAll, not OneToOne: pyNN 0.13's OneToOneConnector fails on 1x1 projections
    # under NumPy 2 ("Calling nonzero on 0d arrays").
    sim.Projection(exc, cell, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=w_exc, delay=1.0), receptor_type="excitatory")
    sim.Projection(inh, cell, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=w_inh, delay=1.5), receptor_type="inhibitory")
    cell.record(["v", "spikes"])
    exc.record("spikes")
    run_schedule(sim, backend, cell, [(t, {"i_offset": i}) for t, i in spec["steps"]], T_STOP)
    seg = cell.get_data().segments[0]
    v = signal(seg, "v")
    result = {
        "spikes": [float(t) for t in seg.spiketrains[0].rescale("ms").magnitude],
        "v": [float(x) for x in np.asarray(v.rescale("mV").magnitude).ravel()],
        "v_t_start": float(v.t_start.rescale("ms").magnitude),
        "v_dt": float(v.sampling_period.rescale("ms").magnitude),
        "exc_spikes": [float(t) for t in
                       exc.get_data().segments[0].spiketrains[0].rescale("ms").magnitude],
    }
    sim.end()
    return result


def match_spikes(ref, test, tol):
    """Greedy one-to-one matching of two sorted spike-time lists within `tol`.

    Returns the number of matched pairs."""
    ref = np.asarray(ref, dtype=float)
    test = np.asarray(test, dtype=float)
    used = np.zeros(len(test), dtype=bool)
    matched = 0
    j0 = 0
    for t in ref:
        while j0 < len(test) and test[j0] < t - tol:
            j0 += 1
        j = j0
        while j < len(test) and test[j] <= t + tol:
            if not used[j]:
                used[j] = True
                matched += 1
                break
            j += 1
    return matched


def climb_time(tau_m, r_i, v_rest, v_from, v_thresh):
    """Time for v to go from v_from to v_thresh under dv/dt = (v_rest + R I - v)/tau_m."""
    return tau_m * math.log((r_i + v_rest - v_from) / (r_i + v_rest - v_thresh))


def _main(argv):
    out, precision, protocols = argv[0], argv[1], argv[2:]
    try:
        import nest  # noqa: F401
    except Exception as exc:  # pragma: no cover - depends on the environment
        sys.stderr.write(f"NEST not importable: {exc!r}\n")
        return 3
    sim = import_backend("nest")
    results = {m: agreement_protocol(sim, "nest", m, {"spike_precision": precision,
                                                      "verbosity": "error"})
               for m in protocols}
    with open(out, "w") as f:
        json.dump({"protocols": results}, f)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
