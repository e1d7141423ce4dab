"""sPyNNaker-flavour neuron groups, each composed of four components as sPyNNaker composes them.

A group class names its neuron model (:mod:`.neuron_models`), synapse type
(:mod:`.synapse_types`), input type (:mod:`.input_types`) and threshold type
(:mod:`.thresholds`); its parameters, state variables, internal arrays and
receptors are what those declare. One tick, for every neuron (neural_modelling's
``neuron_transfer`` then ``neuron_impl_do_timestep_update``):

1. the ring-buffer entry due now is added to the synaptic state (synapse type);
2. the synaptic state is turned into input values and currents (input type;
   conductance: ``g (E - v)`` with the ``v`` at the start of the tick);
3. the neuron advances one tick with that input held constant (neuron model);
   the threshold type says who spiked, the neuron model resets them;
4. the synaptic state decays (synapse type).

Engine step ``k`` is sPyNNaker's tick ``k``: the input it receives (ring slot
``k + 1``) is the input sPyNNaker transfers at tick ``k``, and ``v`` sampled
after it equals what sPyNNaker records at tick ``k + 1``. sPyNNaker labels a
spike of tick ``k`` with ``k dt``; the engine stamps it ``k + 1`` like every
other group, and the flavour's recorder subtracts the step when it reports.

Inhibitory input arrives as a magnitude (sPyNNaker's weights are unsigned);
the neuron model subtracts it, as the C code does (``total_exc - total_inh``).

In fixed point (the default; ``Network.spinnaker``, :mod:`.settings`) every step runs in s16.15
with the board's rounding (:mod:`.fixed_point`), each ring-buffer entry is
clipped at the saturation level the front end sets per neuron and receptor
(65535 ring units: :meth:`SpiNNakerNeuronGroup.set_saturation`), and state
stays on the s16.15 grid. Without it, the same rules run in float64.

A new sPyNNaker model is a class here naming its four components (new
components go in their own module). No PyNN import: parameters are plain
arrays in PyNN's units.
"""

import numpy as np

from ..groups import Internal, NeuronGroup
from .. import keyed
from . import fixed_point as fx
from .settings import neurons_in_fixed_point
from .input_types import ConductanceInput, CurrentInput, DeltaInput
from .neuron_models import Izhikevich, LeakyIntegrateAndFire, TruncatedIntegrateAndFire
from .synapse_types import (AlphaSynapses, DeltaSynapses, DualExponentialSynapses,
                            ExponentialSynapses)
from .thresholds import FixedProbabilityThreshold, IzhikevichThreshold, StaticThreshold


class SpiNNakerNeuronGroup(NeuronGroup):
    """A neuron model, a synapse type, an input type and a threshold type, ticked together.

    Subclasses set the four component classes; ``parameter_names``,
    ``state_names``, ``receptors`` (the synapse type's), the components'
    ``internal_state`` and ``global_weight_scale`` (the input type's) follow
    from them. Each group holds one object of each (``neuron``, ``synapses``,
    ``input``, ``threshold``).
    """

    neuron_model = None
    synapse_type = ExponentialSynapses
    input_type = CurrentInput
    threshold_type = StaticThreshold

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
    }

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.neuron_model is None:
            return
        parts = (cls.neuron_model, cls.threshold_type, cls.synapse_type, cls.input_type)
        cls.receptors = cls.synapse_type.receptors
        cls.parameter_names = tuple(dict.fromkeys(n for c in parts for n in c.parameter_names))
        cls.state_names = cls.neuron_model.state_names + cls.synapse_type.state_names
        cls.internal_state = dict(SpiNNakerNeuronGroup.internal_state)
        for part in parts:
            cls.internal_state.update(part.internal_state)
        cls.global_weight_scale = cls.input_type.weight_scale

    def __init__(self, network):
        super().__init__(network)
        # every flavour group takes a stream id, used or not, so the ids of other
        # random streams do not depend on which models a network has
        self._stream = network.new_stream_id()
        self._rng = None
        self._draw_key = None     # (generator it came from, key) of keyed_uniform
        self._tick = 0            # the step being computed (keyed_uniform's coordinate)
        self.neuron = self.neuron_model(self)
        self.synapses = self.synapse_type(self)
        self.input = self.input_type(self)
        self.threshold = self.threshold_type(self)
        self._excitatory = [r for r, name in enumerate(self.receptors)
                            if name not in self.inhibitory_receptors]
        self._inhibitory = [r for r, name in enumerate(self.receptors)
                            if name in self.inhibitory_receptors]

    def reset(self):
        super().reset()
        self._rng = None          # a new random stream after reset (the reset count is in it)

    def random(self):
        """This group's random generator (seeded by the network seed, reset count, stream)."""
        if self._rng is None:
            self._rng = self.network.rng_for(self._stream)
        return self._rng

    def keyed_uniform(self, cells):
        """One number in [0, 1) per cell of the mask or index ``cells`` for this tick,
        keyed on the cell's id and the tick (:mod:`..keyed`): the same draw whichever
        other cells draw and whichever MPI rank holds the cell."""
        return keyed.uniform(self._keyed_draw_key(), self.ids[cells], self._tick)

    def _keyed_draw_key(self):
        """The key of :meth:`keyed_uniform`'s draws, made from this group's random
        stream at its first use (and again after a reset: a new stream)."""
        if self._draw_key is None or self._draw_key[0] is not self._rng:
            self._draw_key = (self.random(), keyed.new_key(self.random()))
        return self._draw_key[1]

    # --- building ---------------------------------------------------------------

    def set_saturation(self, receptor, local_indices, level):
        """Largest summed input one ring-buffer entry can hold (sPyNNaker: 0xFFFF units).

        With weights scaled by ``s`` into 16-bit integers the level is ``65535 / s``
        in PyNN units; it only acts in fixed-point mode.
        """
        self._saturation[self.receptors.index(receptor), local_indices] = level

    @property
    def fixed_point(self):
        return neurons_in_fixed_point(self.network)

    # --- parameters -------------------------------------------------------------

    def _compute_propagators(self, dt):
        A = self.A = fx.arith(self.fixed_point)
        for part in (self.synapses, self.input, self.neuron, self.threshold):
            part.prepare(A, dt)

    def start_run(self, first_step, n_steps, dt):
        if self.fixed_point:
            # initial values and anything set between runs land on the s16.15 grid
            scale = self.input.weight_scale
            scales = {**{name: 1.0 for name in self.neuron.state_names},
                      **{name: scale for name in self.synapses.state_names}}
            for name, s in scales.items():
                x = self.state[name]
                x[...] = fx.from_s1615(fx.to_s1615(x * s)) / s
        self.neuron.start_run(dt)

    # --- one tick -----------------------------------------------------------------

    def step(self, k, inputs):
        self._tick = k
        A = self.A
        if A.fixed:
            inputs = np.minimum(inputs, self._saturation)
        scale = self.input.weight_scale
        arrivals = [A.input(inputs[r], scale) for r in range(len(self.receptors))]
        synapses = self.synapses
        syn = synapses.load(scale)
        synapses.add_inputs(syn, arrivals)
        values = self.input.values(synapses.values(syn))       # per receptor
        v = A.load(self.state["v"])
        exc, inh = self.input.currents([values[r] for r in self._excitatory],
                                       [values[r] for r in self._inhibitory], v)
        exc_total, inh_total = sum(exc[1:], exc[0]), sum(inh[1:], inh[0])
        spiked = self.neuron.advance(v, exc_total - inh_total, self.injected(), self.threshold)
        self._record_inputs(values)
        synapses.shape(syn)
        synapses.store(syn, scale)
        return spiked

    def _record_inputs(self, values):
        A = self.A
        exc = [values[r] for r in self._excitatory]
        inh = [values[r] for r in self._inhibitory]
        self.state["gsyn_exc"][...] = A.value(sum(exc[1:], exc[0]))
        self.state["gsyn_inh"][...] = A.value(sum(inh[1:], inh[0]))

    def injected(self):
        """Current from current sources this tick (the C code's ``current_offset``), or 0."""
        if self.i_inj is None:
            return 0
        return self.A.param(self.i_inj)

    # --- the compiled tick (kernels/spinnaker.py) -----------------------------------

    @property
    def numpy_step_cost_s(self):
        """Seconds the NumPy tick costs beyond the usual (``kernels.worth_loading``:
        "auto" loads the kernels when they repay it): some 25 array operations of the
        fixed-point helpers, ~0.1 ms a tick plus ~0.1 us a neuron (measured: 0.42 ms
        for VA CUBA's 4000 IF_curr_exp cells, 0.46 ms for seed 004's 1500 Izhikevich
        cells); 0 where no kernel would run."""
        cls = type(self)
        if (cls.neuron_model not in _KERNEL_NEURONS or cls.synapse_type not in _KERNEL_SYNAPSES
                or cls.input_type not in _KERNEL_INPUTS
                or cls.threshold_type not in _KERNEL_THRESHOLDS):
            return 0.0
        return 100e-6 + 0.1e-6 * self.size

    def compiled_kernel(self):
        """``("spinnaker_fixed" or "spinnaker_float", args)`` where every component is
        one the kernels know (by exact type: a subclass may change the rule) and the
        tick is this class's; else None (the NumPy step)."""
        cls = type(self)
        if (cls.step is not SpiNNakerNeuronGroup.step
                or cls._record_inputs is not SpiNNakerNeuronGroup._record_inputs
                or cls.injected is not SpiNNakerNeuronGroup.injected):
            return None
        neuron = _KERNEL_NEURONS.get(type(self.neuron))
        synapse = _KERNEL_SYNAPSES.get(type(self.synapses))
        input_kind = _KERNEL_INPUTS.get(type(self.input))
        if (neuron is None or synapse is None or input_kind is None
                or type(self.threshold) not in _KERNEL_THRESHOLDS
                or (neuron == 2 and _KERNEL_THRESHOLDS[type(self.threshold)] == 2)
                or len(self.receptors) > 3
                or np.frexp(self.input.weight_scale)[0] != 0.5
                or (synapse == 3 and neuron in (2, 3))):
            # (the kernel multiplies by 1 / weight_scale: exact for a power of two; sEMD
            # synapses keep their state in u, this_h and par[6:], which Izhikevich and
            # Ca2AdaptiveLIF use themselves: no such model, but no kernel for one)
            return None
        A, n = self.A, self.size
        dtype = np.int64 if A.fixed else np.float64
        none = np.zeros(0, dtype)

        def column(x):
            return np.ascontiguousarray(np.broadcast_to(np.asarray(x, dtype), (n,)))

        def three(arrays, fill):
            arrays = [np.ascontiguousarray(a) for a in arrays]
            return tuple(arrays + [fill] * (3 - len(arrays)))

        m, syn = self.neuron, self.synapses
        v_thresh = column(self.threshold.v_thresh)
        if neuron == 2:
            par = (m.i_offset, m.a, m.b, m.c, m.d, v_thresh, none, none)
            con = tuple(dtype(x) for x in (m.reset_h, m.post_spike_h, m.magic, m.c140, m.c5))
            u, this_h = self.state["u"], self.this_h
            # (timer None: the kernel compiles no LIF, Ca2-adaptive or sEMD code)
            timer, t_refract = None, np.zeros(0, np.int64)
        else:
            v_rest = none if m.v_rest is None else m.v_rest
            par = (m.i_offset, v_rest, m.v_reset, m.r_membrane, m.exp_tc, v_thresh, none, none)
            con = None      # (the kernel then compiles no Izhikevich code)
            # (u None: the kernel compiles no Ca2-adaptive or sEMD code; set below for them)
            u, this_h = None, np.zeros(0)
            if neuron == 3:     # Ca2AdaptiveLIF: its current's state, decay and jump
                par = par[:6] + (column(m.exp_tau_ca2), column(m.i_alpha))
                u = self.state["i_ca2"]
            timer, t_refract = self.refract_timer, np.asarray(m.t_refract, np.int64)
        par = tuple(np.ascontiguousarray(np.asarray(p, dtype)) for p in par)
        if synapse in (0, 2, 3):
            dec, init = three(syn.decay, none), three(syn.init, none)
        else:
            dec = init = (none, none, none)
        if synapse == 2:
            # the exponential terms and the charges q, the group's own arrays (written)
            alpha = (self.state["exc_exp_response"], self.state["inh_exp_response"],
                     self.alpha_q[0], self.alpha_q[1])
            states = three([self.state["exc_response"], self.state["inh_response"]],
                           np.zeros(0))     # the linear terms
        elif synapse == 3:
            # sEMD: three exponential receptors; its multiplicator and exc2_old come in
            # u and this_h (free with a LIF neuron), its scaling in par[6], its least
            # response in par[7] (con stays None: a LIF neuron's)
            alpha = None
            states = three([self.state[name] for name in syn.state_names[:3]], np.zeros(0))
            u, this_h = self.state["multiplicator"], self.state["exc2_old"]
            par = par[:6] + (column(syn.scaling), column(syn.threshold))
        else:
            alpha = None    # (the kernel then compiles no alpha-synapse code)
            states = three([self.state[name] for name in syn.state_names], np.zeros(0))
        if input_kind == 1:
            e_rev_e, e_rev_i = self.input.e_rev_E, self.input.e_rev_I
        else:
            e_rev_e = e_rev_i = None    # (the kernel then compiles no conductance input)
        delta_scale = dtype(self.input.scale) if input_kind == 2 else dtype(0)
        inhibitory = np.array([name in self.inhibitory_receptors for name in self.receptors]
                              + [False] * (3 - len(self.receptors)))
        i_inj, has_inj = (_NO_INJECTION, False) if self.i_inj is None else (self.i_inj, True)
        stochastic = type(self.threshold) is FixedProbabilityThreshold
        if stochastic:      # keyed_uniform's key (the same one the NumPy tick would make)
            key = np.uint64(self._keyed_draw_key())
            p_thresh = np.ascontiguousarray(self.params["p_thresh"], np.float64)
        else:   # (None: the kernel compiles no draw)
            key, p_thresh = np.uint64(0), None
        maass = None    # (None: the kernel compiles no Maass threshold)
        if _KERNEL_THRESHOLDS[type(self.threshold)] == 2:
            # its draws from this group's generator, the NumPy tick's stream (the
            # kernel draws them in the cells' order, then decides by the onsets)
            maass = self.threshold.kernel_arguments(self.random())
            if maass is None:
                return None
        args = (self.state["v"], u, this_h, timer,
                states,
                len(self.receptors), inhibitory, self._saturation,
                float(self.input.weight_scale), dec, init, alpha, synapse, input_kind,
                e_rev_e, e_rev_i, delta_scale, neuron, par, t_refract, con,
                self.state["gsyn_exc"], self.state["gsyn_inh"], i_inj, has_inj,
                stochastic, key, self.ids, p_thresh, maass, np.empty(n, np.int64),
                np.empty((7, n), dtype))
        return ("spinnaker_fixed" if A.fixed else "spinnaker_float"), args


#: the components kernels/spinnaker.py computes, and their codes there (extra_neurons.py
#: adds its Ca2AdaptiveLIF: 3)
_KERNEL_NEURONS = {LeakyIntegrateAndFire: 0, TruncatedIntegrateAndFire: 1, Izhikevich: 2}
_KERNEL_SYNAPSES = {ExponentialSynapses: 0, DualExponentialSynapses: 0, DeltaSynapses: 1,
                    AlphaSynapses: 2}
_KERNEL_INPUTS = {CurrentInput: 0, ConductanceInput: 1, DeltaInput: 2}
#: the thresholds it computes, and their codes here: 1 FixedProbabilityThreshold (its
#: keyed draws, ``stochastic``), 2 extra_neurons.py's MaassStochasticThreshold (its
#: draws from the group's generator, ``maass``; not with Izhikevich), 0 the others
_KERNEL_THRESHOLDS = {StaticThreshold: 0, IzhikevichThreshold: 0, FixedProbabilityThreshold: 1}
_NO_INJECTION = np.zeros(0)


class LIFCurrExp(SpiNNakerNeuronGroup):
    """sPyNNaker IF_curr_exp."""
    neuron_model = LeakyIntegrateAndFire
    synapse_type = ExponentialSynapses
    input_type = CurrentInput
    threshold_type = StaticThreshold


class LIFCondExp(SpiNNakerNeuronGroup):
    """sPyNNaker IF_cond_exp: conductances scaled by 1024, ``g >> 10`` into ``g (E - v)``."""
    neuron_model = LeakyIntegrateAndFire
    synapse_type = ExponentialSynapses
    input_type = ConductanceInput
    threshold_type = StaticThreshold


class LIFCurrAlpha(SpiNNakerNeuronGroup):
    """sPyNNaker IF_curr_alpha (synapse_types_alpha_impl.h)."""
    neuron_model = LeakyIntegrateAndFire
    synapse_type = AlphaSynapses
    input_type = CurrentInput
    threshold_type = StaticThreshold


class LIFCurrDelta(SpiNNakerNeuronGroup):
    """sPyNNaker IF_curr_delta: the input, times 1/dt, is a current for one tick."""
    neuron_model = LeakyIntegrateAndFire
    synapse_type = DeltaSynapses
    input_type = DeltaInput
    threshold_type = StaticThreshold


class IFTruncDelta(SpiNNakerNeuronGroup):
    """sPyNNaker extra_models.IFTruncDelta: non-leaky, v never below v_reset, delta input."""
    neuron_model = TruncatedIntegrateAndFire
    synapse_type = DeltaSynapses
    input_type = DeltaInput
    threshold_type = StaticThreshold


class LIFCurrDeltaFixedProb(SpiNNakerNeuronGroup):
    """sPyNNaker extra_models.IFCurrDeltaFixedProb: IF_curr_delta firing with p_thresh."""
    neuron_model = LeakyIntegrateAndFire
    synapse_type = DeltaSynapses
    input_type = DeltaInput
    threshold_type = FixedProbabilityThreshold


class LIFCurrDualExp(SpiNNakerNeuronGroup):
    """sPyNNaker extra_models.IF_curr_dual_exp: two excitatory exponential synapses."""
    neuron_model = LeakyIntegrateAndFire
    synapse_type = DualExponentialSynapses
    input_type = CurrentInput
    threshold_type = StaticThreshold


class IzhikevichCurrExp(SpiNNakerNeuronGroup):
    """sPyNNaker Izhikevich: exponential current synapses, i_offset is I itself."""
    neuron_model = Izhikevich
    synapse_type = ExponentialSynapses
    input_type = CurrentInput
    threshold_type = IzhikevichThreshold


class IzhikevichCondExp(SpiNNakerNeuronGroup):
    """sPyNNaker extra_models.Izhikevich_cond."""
    neuron_model = Izhikevich
    synapse_type = ExponentialSynapses
    input_type = ConductanceInput
    threshold_type = IzhikevichThreshold
