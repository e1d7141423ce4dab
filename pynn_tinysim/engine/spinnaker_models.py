"""Neuron and source models with sPyNNaker's update rules (the ``pyNN.tinysim.spinnaker`` flavour).

These groups reproduce what sPyNNaker 7.x's ARM code does each timer tick,
rather than the exact integration of :mod:`.lif`. One tick, for every neuron
(neural_modelling's ``neuron_transfer`` then ``neuron_impl_do_timestep_update``):

1. the ring-buffer entry due now is added to the synaptic state (an
   exponential synapse adds ``w * init`` with ``init = tau/dt (1 - exp(-dt/tau))``);
2. the synaptic state is turned into a current (conductance: ``g (E - v)``
   with the ``v`` at the start of the tick);
3. the neuron advances one tick with that input held constant:
   LIF ``v = alpha - exp(-dt/tau_m) (alpha - v)``, ``alpha = I R + v_rest``,
   unless refractory (then the refractory counter counts down and ``v`` is frozen);
   Izhikevich by one RK2 midpoint step with ``0.040008544921875`` for 0.04,
   a step of 1.85 dt right after a spike;
4. ``v >= v_thresh`` is a spike: ``v = v_reset`` and ``ceil(tau_refrac/dt)``
   refractory ticks (Izhikevich: ``v = c``, ``u += d``);
5. the synaptic state decays: ``x = x * exp(-dt/tau)``.

Engine step ``k`` is sPyNNaker's tick ``k``: the input it receives (ring slot
``k + 1``) is the input sPyNNaker transfers at tick ``k``, and ``v`` sampled
after it equals what sPyNNaker records at tick ``k + 1``. sPyNNaker labels a
spike of tick ``k`` with ``k dt``; the engine stamps it ``k + 1`` like every
other group, and the flavour's recorder subtracts the step when it reports.

Inhibitory input arrives as a magnitude (sPyNNaker's weights are unsigned);
the models subtract it, as the C code does (``total_exc - total_inh``).

``fixed_point`` (the default; read from ``network.spinnaker_fixed_point``) runs
every step in s16.15 with the board's rounding (:mod:`.fixed_point`), clips
each ring-buffer entry at the saturation level the front end sets per neuron
and receptor (65535 ring units: see :meth:`SpiNNakerNeuronGroup.set_saturation`),
and keeps state on the s16.15 grid. Without it, the same rules run in float64.

No PyNN import here: parameters are plain arrays in PyNN's units.
"""

import numpy as np

from .spinnaker import fixed_point as fx
from .groups import Internal, NeuronGroup
from .sources import SpikeArraySource, WindowedSource, NO_SPIKES

#: sPyNNaker's Izhikevich constants (neuron_model_izh_impl.h)
IZK_V_THRESH = 30.0
IZK_MAGIC_MULTIPLIER = 0.040008544921875   # = 1311 * 2**-15, used for 0.04
IZK_TQ_OFFSET = 1.85                       # step length factor after a spike

#: global weight scale of sPyNNaker's conductance input type (conductances x 1024)
CONDUCTANCE_WEIGHT_SCALE = 1024.0
_CONDUCTANCE_SHIFT = 10


def configure(network, fixed_point=True):
    """Select the arithmetic of every sPyNNaker-flavour group in ``network``."""
    network.spinnaker_fixed_point = bool(fixed_point)
    for group in network.groups.values():
        if isinstance(group, SpiNNakerNeuronGroup):
            group.invalidate()


def uses_fixed_point(network):
    return bool(getattr(network, "spinnaker_fixed_point", True))


class SpiNNakerNeuronGroup(NeuronGroup):
    """Common machinery: synapse shaping, input types and the fixed-point switch.

    Subclasses choose ``neuron`` ("lif" or "izh"), ``synapse`` ("exp",
    "dual_exp", "alpha" or "delta") and ``input_type`` ("current",
    "conductance" or "delta"), and the parameter/state names.
    """

    neuron = "lif"
    synapse = "exp"
    input_type = "current"
    receptors = ("excitatory", "inhibitory")
    recordable = ("v", "gsyn_exc", "gsyn_inh")
    #: gsyn of tick t is the input step t computes: sampled after that step, labelled t
    #: (sPyNNaker records it with v before the update, neuron_impl_standard.h)
    leading_variables = ("gsyn_exc", "gsyn_inh")
    #: v of tick t is recorded when tick t starts: state set between runs is in it
    records_at_tick_start = True
    #: receptors whose input is subtracted (the C code's "inhibitory" inputs)
    inhibitory_receptors = ("inhibitory",)
    global_weight_scale = 1.0
    internal_state = {
        "gsyn_exc": Internal(recorded=True),
        "gsyn_inh": Internal(recorded=True),
        # ring-buffer saturation level per receptor, set before each run (ring_buffers)
        "_saturation": Internal(float, np.inf, per_receptor=True, reset=False),
        "_refract_timer": Internal(np.int64, 0),
        "_this_h": Internal(float, np.nan),
        "_q": Internal(float, 0.0, per_receptor=True),
    }

    #: IFTruncDelta: no leak, v clamped at v_reset (neuron_model_if_trunc.h)
    truncated = False
    #: "static", or "fixed_prob" (IFCurrDeltaFixedProb: p_thresh per tick above threshold)
    threshold = "static"

    def __init__(self, network):
        super().__init__(network)
        self._stream = network.new_stream_id()
        self._rng = None

    def reset(self):
        super().reset()
        self._rng = None          # a new random stream after reset (the reset count is in it)

    # --- building ---------------------------------------------------------------

    def set_saturation(self, receptor, local_indices, level):
        """Largest summed input one ring-buffer entry can hold (sPyNNaker: 0xFFFF units).

        With weights scaled by ``s`` into 16-bit integers the level is ``65535 / s``
        in PyNN units; it only acts in fixed-point mode.
        """
        self._saturation[self.receptors.index(receptor), local_indices] = level

    @property
    def fixed_point(self):
        return uses_fixed_point(self.network)

    # --- parameters -------------------------------------------------------------

    def _compute_propagators(self, dt):
        A = self.A = fx.arith(self.fixed_point)
        p = self.params
        self._dt = dt
        self._syn_scale = CONDUCTANCE_WEIGHT_SCALE if self.input_type == "conductance" else 1.0
        # synapse shaping: one (decay, init) pair per receptor
        taus = self._receptor_taus()
        if self.synapse in ("exp", "dual_exp"):
            self._decay, self._init = zip(*(A.exp_synapse_factors(dt, tau) for tau in taus))
        elif self.synapse == "alpha":
            ts = A.param(dt)
            self._decay = [A.decay_factor(np.exp(-A.value(A.div(ts, A.param(tau)))))
                           for tau in taus]
            self._init = [A.div(ts, A.mul(A.param(tau), A.param(tau))) for tau in taus]
        if self.input_type == "delta":
            self._delta_scale = A.div(A.param(1.0), A.param(dt))
        elif self.input_type == "conductance":
            self._e_rev_E = A.param(p["e_rev_E"])
            self._e_rev_I = A.param(p["e_rev_I"])
        self._i_offset = A.param(p["i_offset"])
        if self.neuron == "lif":
            # (IFTruncDelta has no v_rest: it does not leak)
            self._v_rest = A.param(p["v_rest"]) if "v_rest" in p else A.param(p["v_reset"])
            self._v_reset = A.param(p["v_reset"])
            self._v_thresh = A.param(p["v_thresh"])
            cm, tau_m = A.param(p["cm"]), A.param(p["tau_m"])
            self._r_membrane = A.div(tau_m, cm)
            self._exp_tc = A.exp_of(-A.value(A.div(A.param(dt), tau_m)))
            self._t_refract = A.steps_ceil(p["tau_refrac"], dt)
        else:
            self._a, self._b = A.param(p["a"]), A.param(p["b"])
            self._c, self._d = A.param(p["c"]), A.param(p["d"])
            self._reset_h = A.const(dt)
            # SIMPLE_TQ_OFFSET is the C literal REAL_CONST(1.85): GCC converts a decimal
            # fixed-point literal by truncation (60620 LSB, not the nearest 60621);
            # with it the board's Izhikevich spike times are reproduced exactly
            # (test_spinnaker_board_recordings.py, set-between-runs test)
            self._post_spike_h = A.mul(A.const(dt), fx.literal_s1615(IZK_TQ_OFFSET)) \
                if A.fixed else dt * IZK_TQ_OFFSET
            self._izk_thresh = A.const(IZK_V_THRESH)
            self._magic = A.const(IZK_MAGIC_MULTIPLIER)
            self._c140, self._c5 = A.const(140.0), A.const(5.0)

    def _receptor_taus(self):
        p = self.params
        names = {"excitatory": "tau_syn_E", "excitatory2": "tau_syn_E2",
                 "inhibitory": "tau_syn_I"}
        if self.synapse == "delta":
            return []
        return [p[names[r]] for r in self.receptors]

    def start_run(self, first_step, n_steps, dt):
        if self.fixed_point:
            # initial values and anything set between runs land on the s16.15 grid
            for name, scale in self._state_scales().items():
                x = self.state[name]
                x[...] = fx.from_s1615(fx.to_s1615(x * scale)) / scale
        missing = np.isnan(self._this_h)
        if missing.any():
            self._this_h[missing] = dt

    def _state_scales(self):
        scales = {"v": 1.0}
        if self.neuron == "izh":
            scales["u"] = 1.0
        for name in self._synapse_state_names():
            scales[name] = self._syn_scale
        return scales

    def _synapse_state_names(self):
        if self.synapse == "alpha":
            return ("exc_response", "exc_exp_response", "inh_response", "inh_exp_response")
        if self.synapse == "dual_exp":
            return ("isyn_exc", "isyn_exc2", "isyn_inh")
        return ("isyn_exc", "isyn_inh")

    # --- one tick -----------------------------------------------------------------

    def step(self, k, inputs):
        A = self.A
        if A.fixed:
            inputs = np.minimum(inputs, self._saturation)
        arrivals = [A.input(inputs[r], self._syn_scale) for r in range(len(self.receptors))]
        syn = self._load_synapses()
        self._add_inputs(syn, arrivals)
        values = self._input_values(syn)                      # per receptor, after scaling
        v = A.load(self.state["v"])
        exc_total, inh_total = self._currents(values, v)
        if self.neuron == "lif":
            spiked = self._lif_update(k, v, exc_total, inh_total)
        else:
            spiked = self._izk_update(v, exc_total, inh_total)
        self._record_inputs(values)
        self._shape(syn)
        self._store_synapses(syn)
        return spiked

    # synapse types

    def _load_synapses(self):
        A, s = self.A, self._syn_scale
        if self.synapse == "alpha":
            return {"lin": [A.load(self.state["exc_response"], s),
                            A.load(self.state["inh_response"], s)],
                    "exp": [A.load(self.state["exc_exp_response"]),
                            A.load(self.state["inh_exp_response"])],
                    "q": [A.load(self._q[0], s), A.load(self._q[1], s)]}
        return {"x": [A.load(self.state[name], s) for name in self._synapse_state_names()]}

    def _store_synapses(self, syn):
        A, s = self.A, self._syn_scale
        if self.synapse == "alpha":
            A.store(self.state["exc_response"], syn["lin"][0], s)
            A.store(self.state["inh_response"], syn["lin"][1], s)
            A.store(self.state["exc_exp_response"], syn["exp"][0])
            A.store(self.state["inh_exp_response"], syn["exp"][1])
            A.store(self._q[0], syn["q"][0], s)
            A.store(self._q[1], syn["q"][1], s)
            return
        for name, x in zip(self._synapse_state_names(), syn["x"]):
            A.store(self.state[name], x, s)

    def _add_inputs(self, syn, arrivals):
        A = self.A
        if self.synapse in ("exp", "dual_exp"):
            for x, w, init in zip(syn["x"], arrivals, self._init):
                x += A.decay(w, init)
        elif self.synapse == "delta":
            for x, w in zip(syn["x"], arrivals):
                x += w
        else:  # alpha: only where input > 0 (synapse_types_alpha_impl.h)
            one = A.const(1.0)
            for r, w in enumerate(arrivals):
                got = w > 0
                if not got.any():
                    continue
                lin, expb, q = syn["lin"][r], syn["exp"][r], syn["q"][r]
                q[got] = w[got]
                expb[got] = A.decay(expb[got], self._decay[r][got]) + one
                scaled = A.mul(w[got], self._init[r][got])
                lin[got] = A.mul(lin[got] + scaled, one - A.div(one, expb[got]))

    def _shape(self, syn):
        A = self.A
        if self.synapse in ("exp", "dual_exp"):
            for x, d in zip(syn["x"], self._decay):
                x[...] = A.decay(x, d)
        elif self.synapse == "delta":
            for x in syn["x"]:
                x[...] = 0
        else:
            for r in range(2):
                syn["lin"][r] += A.mul(syn["q"][r], self._init[r])
                syn["exp"][r][...] = A.decay(syn["exp"][r], self._decay[r])

    def _input_values(self, syn):
        """Per-receptor input values as input_type_get_input_value returns them."""
        A = self.A
        if self.synapse == "alpha":
            values = [A.mul(lin, e) for lin, e in zip(syn["lin"], syn["exp"])]
        else:
            values = [x.copy() for x in syn["x"]]
        if self.input_type == "conductance":
            values = [A.shift_right(x, _CONDUCTANCE_SHIFT) for x in values]
        return values

    def _currents(self, values, v):
        """(total excitatory, total inhibitory) current; the model uses exc - inh."""
        A = self.A
        exc = [x for r, x in zip(self.receptors, values) if r not in self.inhibitory_receptors]
        inh = [x for r, x in zip(self.receptors, values) if r in self.inhibitory_receptors]
        if self.input_type == "conductance":
            exc = [A.mul(g, self._e_rev_E - v) for g in exc]
            inh = [A.mul(-g, self._e_rev_I - v) for g in inh]
        elif self.input_type == "delta":
            exc = [A.mul(x, self._delta_scale) for x in exc]
            inh = [A.mul(x, self._delta_scale) for x in inh]
        return sum(exc[1:], exc[0]), sum(inh[1:], inh[0])

    def _record_inputs(self, values):
        A = self.A
        exc = [x for r, x in zip(self.receptors, values) if r not in self.inhibitory_receptors]
        inh = [x for r, x in zip(self.receptors, values) if r in self.inhibitory_receptors]
        self.state["gsyn_exc"][...] = A.value(sum(exc[1:], exc[0]))
        self.state["gsyn_inh"][...] = A.value(sum(inh[1:], inh[0]))

    def _injected(self):
        """Current from current sources this tick (the C code's ``current_offset``)."""
        i_inj = getattr(self, "i_inj", None)
        if i_inj is None:
            return 0
        return self.A.param(i_inj)

    # neuron models

    def _lif_update(self, k, v, exc_total, inh_total):
        """neuron_model_lif_impl.h: closed form with the input held over the tick."""
        A = self.A
        active = self._refract_timer <= 0
        current = exc_total - inh_total + self._i_offset + self._injected()
        if self.truncated:
            # neuron_model_if_trunc.h: v += I R, never below v_reset (no leak)
            v_new = np.maximum(A.mul(current, self._r_membrane) + v, self._v_reset)
        else:
            alpha = A.mul(current, self._r_membrane) + self._v_rest
            v_new = alpha - A.mul(self._exp_tc, alpha - v)
        np.copyto(v, v_new, where=active)
        self._refract_timer[~active] -= 1
        above = v >= self._v_thresh
        if self.threshold == "fixed_prob" and above.any():
            # threshold_type_fixed_prob.h: above threshold, a spike with probability
            # p_thresh (numpy's generator here, not the board's mars_kiss64)
            if self._rng is None:
                self._rng = self.network.rng_for(self._stream)
            draws = self._rng.random(int(above.sum()))
            above[above] = draws < self.params["p_thresh"][above]
        spiked = np.flatnonzero(above)
        if spiked.size:
            v[spiked] = self._v_reset[spiked]
            self._refract_timer[spiked] = self._t_refract[spiked]
        A.store(self.state["v"], v)
        return spiked

    def _izk_update(self, v, exc_total, inh_total):
        """neuron_model_izh_impl.h: one RK2 midpoint step of length this_h."""
        A = self.A
        u = A.load(self.state["u"])
        h = A.load(self._this_h) if A.fixed else self._this_h.copy()
        a, b = self._a, self._b
        current = exc_total - inh_total + self._i_offset + self._injected()
        pre_alpha = self._c140 + current - u
        alpha = pre_alpha + A.mul(self._c5 + A.mul(self._magic, v), v)
        eta = v + A.half(A.mul(h, alpha))
        beta = A.half(A.mul(A.mul(h, A.mul(b, v) - u), a))
        v_new = v + A.mul(h, pre_alpha - beta + A.mul(self._c5 + A.mul(self._magic, eta), eta))
        u_new = u + A.mul(A.mul(a, h), -u - beta + A.mul(b, eta))
        h[...] = self._reset_h
        spiked = np.flatnonzero(v_new >= self._izk_thresh)
        if spiked.size:
            v_new[spiked] = self._c[spiked]
            u_new[spiked] += self._d[spiked]
            h[spiked] = self._post_spike_h
        A.store(self.state["v"], v_new)
        A.store(self.state["u"], u_new)
        A.store(self._this_h, h)
        return spiked


_LIF_PARAMS = ("tau_m", "cm", "v_rest", "v_reset", "v_thresh", "tau_refrac", "i_offset")
_IZK_PARAMS = ("a", "b", "c", "d", "i_offset")


class LIFCurrExp(SpiNNakerNeuronGroup):
    """sPyNNaker IF_curr_exp."""
    parameter_names = _LIF_PARAMS + ("tau_syn_E", "tau_syn_I")
    state_names = ("v", "isyn_exc", "isyn_inh")


class LIFCondExp(SpiNNakerNeuronGroup):
    """sPyNNaker IF_cond_exp: conductances scaled by 1024, ``g >> 10`` into ``g (E - v)``."""
    input_type = "conductance"
    global_weight_scale = CONDUCTANCE_WEIGHT_SCALE
    parameter_names = _LIF_PARAMS + ("tau_syn_E", "tau_syn_I", "e_rev_E", "e_rev_I")
    state_names = ("v", "isyn_exc", "isyn_inh")


class LIFCurrAlpha(SpiNNakerNeuronGroup):
    """sPyNNaker IF_curr_alpha (synapse_types_alpha_impl.h)."""
    synapse = "alpha"
    parameter_names = _LIF_PARAMS + ("tau_syn_E", "tau_syn_I")
    state_names = ("v", "exc_response", "exc_exp_response", "inh_response", "inh_exp_response")


class LIFCurrDelta(SpiNNakerNeuronGroup):
    """sPyNNaker IF_curr_delta: the input, times 1/dt, is a current for one tick."""
    synapse = "delta"
    input_type = "delta"
    parameter_names = _LIF_PARAMS
    state_names = ("v", "isyn_exc", "isyn_inh")


class IFTruncDelta(SpiNNakerNeuronGroup):
    """sPyNNaker extra_models.IFTruncDelta: non-leaky, v never below v_reset, delta input."""
    synapse = "delta"
    input_type = "delta"
    truncated = True
    parameter_names = ("tau_m", "cm", "v_reset", "v_thresh", "tau_refrac", "i_offset")
    state_names = ("v", "isyn_exc", "isyn_inh")


class LIFCurrDeltaFixedProb(SpiNNakerNeuronGroup):
    """sPyNNaker extra_models.IFCurrDeltaFixedProb: IF_curr_delta firing with p_thresh."""
    synapse = "delta"
    input_type = "delta"
    threshold = "fixed_prob"
    parameter_names = _LIF_PARAMS + ("p_thresh",)
    state_names = ("v", "isyn_exc", "isyn_inh")


class LIFCurrDualExp(SpiNNakerNeuronGroup):
    """sPyNNaker extra_models.IF_curr_dual_exp: two excitatory exponential synapses."""
    synapse = "dual_exp"
    receptors = ("excitatory", "excitatory2", "inhibitory")
    parameter_names = _LIF_PARAMS + ("tau_syn_E", "tau_syn_E2", "tau_syn_I")
    state_names = ("v", "isyn_exc", "isyn_exc2", "isyn_inh")


class IzhikevichCurrExp(SpiNNakerNeuronGroup):
    """sPyNNaker Izhikevich: exponential current synapses, i_offset is I itself."""
    neuron = "izh"
    parameter_names = _IZK_PARAMS + ("tau_syn_E", "tau_syn_I")
    state_names = ("v", "u", "isyn_exc", "isyn_inh")


class IzhikevichCondExp(SpiNNakerNeuronGroup):
    """sPyNNaker extra_models.Izhikevich_cond."""
    neuron = "izh"
    input_type = "conductance"
    global_weight_scale = CONDUCTANCE_WEIGHT_SCALE
    parameter_names = _IZK_PARAMS + ("tau_syn_E", "tau_syn_I", "e_rev_E", "e_rev_I")
    state_names = ("v", "u", "isyn_exc", "isyn_inh")


# --- spike sources -------------------------------------------------------------------

def spike_array_ticks(times_ms, dt):
    """The tick on which sPyNNaker's SpikeSourceArray sends a spike at ``times_ms``.

    ``ceil(floor(t * 1000) / timestep_us)``: spike times are cut to whole
    microseconds, then rounded up to the next tick.
    """
    dt_us = int(round(dt * 1000.0))
    return np.ceil(np.floor(np.asarray(times_ms, float) * 1000.0 + 1e-6) / dt_us - 1e-9) \
        .astype(np.int64)


class SpiNNakerSpikeArray(SpikeArraySource):
    """SpikeSourceArray sending each spike on the tick sPyNNaker computes for it."""

    def start_run(self, first_step, n_steps, dt):
        counts = np.fromiter((t.size for t in self.spike_times), np.int64, self.size)
        if counts.sum() == 0:
            self._set_events(NO_SPIKES, NO_SPIKES, first_step)
            return
        ticks = spike_array_ticks(np.concatenate(self.spike_times), dt)
        neurons = np.repeat(np.arange(self.size), counts)
        self._set_events(ticks, neurons, first_step)


#: rates per tick below this are "slow" sources (inter-spike intervals), above it
#: "fast" (a Poisson count per tick), and from FASTER_RATE_PER_TICK on a Gaussian
#: approximation of that count (spike_source_poisson.c)
SLOW_RATE_PER_TICK_CUTOFF = 0.01
FASTER_RATE_PER_TICK_CUTOFF = 10.0
ISI_SCALE_FACTOR = 1000


class SpiNNakerPoissonSource(WindowedSource):
    """SpikeSourcePoisson as spike_source_poisson.c generates it, tick by tick.

    Each source is a list of segments (rate, first tick, end tick); a
    SpikeSourcePoisson has one, a SpikeSourcePoissonVariable several. In a
    segment, with ``lambda = rate * dt / 1000`` spikes per tick:

    - ``lambda < 0.01`` ("slow"): inter-spike intervals are drawn as
      ``round(1000 * Exp(1)) * floor(1 / lambda)`` thousandths of a tick and
      the source spikes on the tick where their running sum falls;
    - ``0.01 <= lambda < 10`` ("fast"): a Poisson(lambda) number of spikes each tick;
    - ``lambda >= 10``: ``round((N(0, 1) / 2 + sqrt(lambda))**2)`` spikes each tick.

    Several spikes in one tick are several events (several packets on the board).
    Random numbers come from the network's seeded streams, window by window, so
    the same seed gives the same spikes; they are not the board's random numbers.
    """

    parameter_names = ("rate", "start", "duration")
    _MAX_DRAWS = 1 << 21

    def __init__(self, network):
        super().__init__(network)
        self._segments = None

    def _new_epoch(self):
        super()._new_epoch()
        self._segments = None

    def _segment_table(self, dt):
        """(neuron, rate, first tick, end tick) arrays, one row per constant-rate segment."""
        p = self.params
        start = np.rint(p["start"] / dt)
        end = np.where(np.isfinite(p["duration"]), np.rint((p["start"] + p["duration"]) / dt),
                       np.inf)
        return np.arange(self.size), p["rate"], start, end

    def start_run(self, first_step, n_steps, dt):
        self._dt = dt
        if self._segments is None:
            neuron, rate, first, end = self._segment_table(dt)
            lam = np.asarray(rate, float) * dt / 1000.0
            self._segments = dict(neuron=np.asarray(neuron, np.int64), lam=lam,
                                  first=np.asarray(first, float), end=np.asarray(end, float),
                                  slow=lam < SLOW_RATE_PER_TICK_CUTOFF)
            # slow sources: position (thousandths of a tick after "first") of the next spike
            self._next_pos = np.full(lam.size, np.nan)
        super().start_run(first_step, n_steps, dt)

    def _generate(self, from_step, restart=False):
        W = self.WINDOW_STEPS
        w = from_step // W
        lo, hi = from_step, (w + 1) * W
        rng = self.network.rng_for(self._serial, w, self._epoch)
        seg = self._segments
        steps, neurons = [], []
        self._generate_slow(rng, seg, lo, hi, steps, neurons)
        self._generate_fast(rng, seg, lo, hi, steps, neurons)
        if steps:
            steps, neurons = np.concatenate(steps), np.concatenate(neurons)
        else:
            steps, neurons = NO_SPIKES, NO_SPIKES
        self._set_events(steps, neurons, from_step)
        self._window = (w * W, hi)

    def _generate_slow(self, rng, seg, lo, hi, steps, neurons):
        lam = seg["lam"]
        rows = np.flatnonzero(seg["slow"] & (lam > 0) & (seg["first"] < hi) & (seg["end"] > lo))
        if rows.size == 0:
            return
        mean_isi = np.floor(1.0 / lam[rows])                    # (uint32_t)(ONE / rate)
        first = seg["first"][rows]
        limit = np.minimum(seg["end"][rows], hi)
        pos = self._next_pos[rows]
        fresh = np.isnan(pos)
        if fresh.any():
            # a segment (re)started in the past begins drawing from "lo"
            skip = np.maximum(lo - first[fresh], 0.0) * ISI_SCALE_FACTOR
            pos[fresh] = skip + self._isi(rng, mean_isi[fresh])
        while True:
            tick = first + np.floor(pos / ISI_SCALE_FACTOR)
            due = tick < limit
            keep = due & (tick >= lo)
            if keep.any():
                steps.append(tick[keep].astype(np.int64))
                neurons.append(seg["neuron"][rows[keep]])
            if not due.any():
                break
            pos[due] += self._isi(rng, mean_isi[due])
        self._next_pos[rows] = pos

    @staticmethod
    def _isi(rng, mean_isi_ticks):
        """round(Exp(1) * 1000) * mean ISI: thousandths of a tick, as the C code counts."""
        return np.rint(rng.standard_exponential(mean_isi_ticks.size) * ISI_SCALE_FACTOR) \
            * mean_isi_ticks

    def _generate_fast(self, rng, seg, lo, hi, steps, neurons):
        rows = np.flatnonzero(~seg["slow"] & (seg["first"] < hi) & (seg["end"] > lo))
        if rows.size == 0:
            return
        ticks_per_block = max(1, self._MAX_DRAWS // rows.size)
        lam = seg["lam"][rows]
        faster = lam >= FASTER_RATE_PER_TICK_CUTOFF
        for t0 in range(lo, hi, ticks_per_block):
            t1 = min(hi, t0 + ticks_per_block)
            ticks = np.arange(t0, t1)
            active = (ticks[:, None] >= seg["first"][rows]) & (ticks[:, None] < seg["end"][rows])
            counts = rng.poisson(np.where(faster, 0.0, lam), size=(ticks.size, rows.size))
            if faster.any():
                x = rng.standard_normal((ticks.size, rows.size)) * 0.5 + np.sqrt(lam)
                counts = np.where(faster, np.rint(x * x).astype(np.int64), counts)
            counts = np.where(active, counts, 0)
            t_index, r_index = np.nonzero(counts)
            n = counts[t_index, r_index]
            steps.append(np.repeat(ticks[t_index], n))
            neurons.append(np.repeat(seg["neuron"][rows[r_index]], n))


class SpiNNakerPoissonVariable(SpiNNakerPoissonSource):
    """SpikeSourcePoissonVariable: each source follows its own list of (rate, start, duration)."""

    parameter_names = ()

    def __init__(self, network):
        super().__init__(network)
        self.schedules = []   # per neuron: (rates, starts, durations) float arrays

    def add_neurons(self, ids, parameters, initial_values):
        index = super().add_neurons(ids, {}, initial_values)
        for rates, starts, durations in zip(parameters["rates"], parameters["starts"],
                                            parameters["durations"]):
            self.schedules.append(_schedule(rates, starts, durations))
        return index

    def set_schedules(self, local_indices, rates, starts, durations):
        for i, r, s, d in zip(local_indices, rates, starts, durations):
            self.schedules[i] = _schedule(r, s, d)
        self.invalidate()

    def _segment_table(self, dt):
        neuron, rate, first, end = [], [], [], []
        for i, (rates, starts, durations) in enumerate(self.schedules):
            for r, s, d in zip(rates, starts, durations):
                neuron.append(i)
                rate.append(r)
                first.append(np.rint(s / dt))
                end.append(np.rint((s + d) / dt) if np.isfinite(d) else np.inf)
        return (np.asarray(neuron, np.int64), np.asarray(rate, float),
                np.asarray(first, float), np.asarray(end, float))


def _schedule(rates, starts, durations):
    """(rates, starts, durations): a rate lasts its duration, or until the next start."""
    rates = np.atleast_1d(np.asarray(rates, float))
    starts = np.atleast_1d(np.asarray(starts, float))
    if durations is None or np.size(durations) == 0:
        durations = np.append(np.diff(starts), np.inf)
    durations = np.atleast_1d(np.asarray(durations, float))
    return rates, starts, durations
