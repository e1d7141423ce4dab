"""sPyNNaker's neuron models: the membrane update of one tick, with the input held constant.

``neuron_model_state_update`` then, for the neurons the threshold type picks,
``neuron_model_has_spiked``:

- :class:`LeakyIntegrateAndFire` (``neuron_model_lif_impl.h``): unless refractory,
  ``v = alpha - exp(-dt/tau_m) (alpha - v)``, ``alpha = I R + v_rest``; a spike
  sets ``v = v_reset`` and ``ceil(tau_refrac/dt)`` refractory ticks, during which
  ``v`` is frozen and the counter counts down;
- :class:`TruncatedIntegrateAndFire` (``neuron_model_if_trunc.h``): no leak,
  ``v += I R``, never below ``v_reset``;
- :class:`Izhikevich` (``neuron_model_izh_impl.h``): one RK2 midpoint step of
  length ``this_h`` with ``0.040008544921875`` for 0.04; after a spike
  (``v = c``, ``u += d``) the next step is ``1.85 dt`` long.

``I`` is the synaptic input (excitatory minus inhibitory) plus ``i_offset`` plus
the current sources' current of the tick.
"""

import numpy as np

from ..groups import Internal
from . import fixed_point as fx
from .component import Component

#: sPyNNaker's Izhikevich constants (neuron_model_izh_impl.h)
IZK_MAGIC_MULTIPLIER = 0.040008544921875   # = 1311 * 2**-15, used for 0.04
IZK_TQ_OFFSET = 1.85                       # step length factor after a spike


class NeuronModel(Component):
    """Base: :meth:`advance` the membrane one tick and return who spiked."""

    state_names = ("v",)

    def advance(self, v, synaptic, injected, threshold):
        """One tick from membrane ``v`` (loaded, in the group's arithmetic).

        ``synaptic``: excitatory minus inhibitory current; ``injected``: the current
        sources' current (or 0); ``threshold``: the group's threshold type. Stores
        the new state; returns the local indices of the neurons that spiked.
        """
        raise NotImplementedError


class LeakyIntegrateAndFire(NeuronModel):
    """The LIF closed form with the input held over the tick; whole-tick refractoriness."""

    parameter_names = ("tau_m", "cm", "v_rest", "v_reset", "tau_refrac", "i_offset")
    internal_state = {"refract_timer": Internal(np.int64, 0)}

    def prepare(self, A, dt):
        super().prepare(A, dt)
        p = self.group.params
        self.i_offset = A.param(p["i_offset"])
        self.v_reset = A.param(p["v_reset"])
        cm, tau_m = A.param(p["cm"]), A.param(p["tau_m"])
        self.r_membrane = A.div(tau_m, cm)
        self.exp_tc = A.exp_of(-A.value(A.div(A.param(dt), tau_m)))
        self.t_refract = A.steps_ceil(p["tau_refrac"], dt)
        self._prepare_rest(A, p)

    def _prepare_rest(self, A, p):
        self.v_rest = A.param(p["v_rest"])

    def membrane(self, v, current):
        """The membrane after one tick of ``current`` from ``v``."""
        A = self.A
        alpha = A.mul(current, self.r_membrane) + self.v_rest
        return alpha - A.mul(self.exp_tc, alpha - v)

    def advance(self, v, synaptic, injected, threshold):
        A = self.A
        timer = self.group.refract_timer
        active = timer <= 0
        current = synaptic + self.i_offset + injected
        np.copyto(v, self.membrane(v, current), where=active)
        timer[~active] -= 1
        spiked = np.flatnonzero(threshold.crossed(v))
        if spiked.size:
            v[spiked] = self.v_reset[spiked]
            timer[spiked] = self.t_refract[spiked]
        A.store(self.group.state["v"], v)
        return spiked


class TruncatedIntegrateAndFire(LeakyIntegrateAndFire):
    """IFTruncDelta's membrane: ``v += I R``, never below ``v_reset`` (no ``v_rest``)."""

    parameter_names = ("tau_m", "cm", "v_reset", "tau_refrac", "i_offset")

    def _prepare_rest(self, A, p):
        self.v_rest = None

    def membrane(self, v, current):
        return np.maximum(self.A.mul(current, self.r_membrane) + v, self.v_reset)


class Izhikevich(NeuronModel):
    """One RK2 midpoint step per tick, of length ``this_h`` (1.85 dt after a spike)."""

    parameter_names = ("a", "b", "c", "d", "i_offset")
    state_names = ("v", "u")
    internal_state = {"this_h": Internal(float, np.nan)}

    def prepare(self, A, dt):
        super().prepare(A, dt)
        p = self.group.params
        self.i_offset = A.param(p["i_offset"])
        self.a, self.b = A.param(p["a"]), A.param(p["b"])
        self.c, self.d = A.param(p["c"]), A.param(p["d"])
        self.reset_h = A.const(dt)
        # SIMPLE_TQ_OFFSET is the C literal REAL_CONST(1.85): GCC converts a decimal
        # fixed-point literal by truncation (60620 LSB, not the nearest 60621);
        # with it the board's Izhikevich spike times are reproduced exactly
        # (test_spinnaker_board_recordings.py, set-between-runs test)
        self.post_spike_h = A.mul(A.const(dt), fx.literal_s1615(IZK_TQ_OFFSET)) \
            if A.fixed else dt * IZK_TQ_OFFSET
        self.magic = A.const(IZK_MAGIC_MULTIPLIER)
        self.c140, self.c5 = A.const(140.0), A.const(5.0)

    def start_run(self, dt):
        this_h = self.group.this_h
        missing = np.isnan(this_h)
        if missing.any():
            this_h[missing] = dt

    def advance(self, v, synaptic, injected, threshold):
        A = self.A
        group = self.group
        u = A.load(group.state["u"])
        h = A.load(group.this_h) if A.fixed else group.this_h.copy()
        a, b = self.a, self.b
        current = synaptic + self.i_offset + injected
        pre_alpha = self.c140 + current - u
        alpha = pre_alpha + A.mul(self.c5 + A.mul(self.magic, v), v)
        eta = v + A.half(A.mul(h, alpha))
        beta = A.half(A.mul(A.mul(h, A.mul(b, v) - u), a))
        v_new = v + A.mul(h, pre_alpha - beta + A.mul(self.c5 + A.mul(self.magic, eta), eta))
        u_new = u + A.mul(A.mul(a, h), -u - beta + A.mul(b, eta))
        h[...] = self.reset_h
        spiked = np.flatnonzero(threshold.crossed(v_new))
        if spiked.size:
            v_new[spiked] = self.c[spiked]
            u_new[spiked] += self.d[spiked]
            h[spiked] = self.post_spike_h
        A.store(group.state["v"], v_new)
        A.store(group.state["u"], u_new)
        A.store(group.this_h, h)
        return spiked
