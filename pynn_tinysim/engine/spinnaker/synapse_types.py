"""sPyNNaker's synapse types: how each receptor's input is shaped over time.

A synapse type owns the synaptic state variables and, as in sPyNNaker, fixes the
receptors (one ring-buffer input row each). Per tick the group calls, in
``neuron_impl_standard.h``'s order: :meth:`~SynapseType.load` the state,
:meth:`~SynapseType.add_inputs` (the ring-buffer entry due now),
:meth:`~SynapseType.values` (per receptor, what the input type receives),
then, after the neuron has advanced, :meth:`~SynapseType.shape` (the decay) and
:meth:`~SynapseType.store`. States are held in the arithmetic of the group
(raw s16.15 bits in fixed point), scaled by the input type's weight scale.

- :class:`ExponentialSynapses` (``synapse_types_exponential_impl.h``): an arrival
  adds ``w init``, ``init = tau/dt (1 - exp(-dt/tau))``; the state decays by
  ``exp(-dt/tau)`` each tick;
- :class:`DualExponentialSynapses`: the same with a second excitatory receptor;
- :class:`AlphaSynapses` (``synapse_types_alpha_impl.h``);
- :class:`DeltaSynapses` (``synapse_types_delta_impl.h``): the input of one tick only.
"""

import numpy as np

from ..groups import Internal
from .component import Component


class SynapseType(Component):
    """Base: the receptors and the tick protocol (see the module docstring)."""

    receptors = ("excitatory", "inhibitory")

    def load(self, scale):
        """The synaptic state, in the group's arithmetic, ``scale`` times the stored value."""
        A, state = self.A, self.group.state
        return [A.load(state[name], scale) for name in self.state_names]

    def store(self, syn, scale):
        A, state = self.A, self.group.state
        for name, x in zip(self.state_names, syn):
            A.store(state[name], x, scale)

    def add_inputs(self, syn, arrivals):
        """Add the ring-buffer entries due now (``arrivals``, one per receptor)."""
        raise NotImplementedError

    def values(self, syn):
        """The input value of each receptor (new arrays)."""
        return [x.copy() for x in syn]

    def shape(self, syn):
        """The state's change over the tick (after the neuron update)."""
        raise NotImplementedError


class ExponentialSynapses(SynapseType):
    """One exponentially decaying current (or conductance) per receptor."""

    parameter_names = ("tau_syn_E", "tau_syn_I")
    state_names = ("isyn_exc", "isyn_inh")

    def prepare(self, A, dt):
        super().prepare(A, dt)
        p = self.group.params
        self.decay, self.init = zip(*(A.exp_synapse_factors(dt, p[name])
                                      for name in self.parameter_names))

    def add_inputs(self, syn, arrivals):
        A = self.A
        for x, w, init in zip(syn, arrivals, self.init):
            x += A.decay(w, init)

    def shape(self, syn):
        A = self.A
        for x, d in zip(syn, self.decay):
            x[...] = A.decay(x, d)


class DualExponentialSynapses(ExponentialSynapses):
    """Two excitatory exponential receptors and one inhibitory (IF_curr_dual_exp)."""

    receptors = ("excitatory", "excitatory2", "inhibitory")
    parameter_names = ("tau_syn_E", "tau_syn_E2", "tau_syn_I")
    state_names = ("isyn_exc", "isyn_exc2", "isyn_inh")


class DeltaSynapses(SynapseType):
    """The input of one tick only: what arrived, then zero."""

    state_names = ("isyn_exc", "isyn_inh")

    def add_inputs(self, syn, arrivals):
        for x, w in zip(syn, arrivals):
            x += w

    def shape(self, syn):
        for x in syn:
            x[...] = 0


class AlphaSynapses(SynapseType):
    """sPyNNaker's alpha synapse: a linear term times an exponential one, per receptor.

    An arrival (only where the input is > 0) sets ``q = w``, adds 1 to the
    exponential term and rescales the linear one; each tick the linear term
    grows by ``q dt / tau**2`` and the exponential one decays by ``exp(-dt/tau)``.
    """

    parameter_names = ("tau_syn_E", "tau_syn_I")
    state_names = ("exc_response", "exc_exp_response", "inh_response", "inh_exp_response")
    internal_state = {"alpha_q": Internal(float, 0.0, per_receptor=True)}

    def prepare(self, A, dt):
        super().prepare(A, dt)
        p = self.group.params
        taus = [p[name] for name in self.parameter_names]
        ts = A.param(dt)
        self.decay = [A.decay_factor(np.exp(-A.value(A.div(ts, A.param(tau))))) for tau in taus]
        self.init = [A.div(ts, A.mul(A.param(tau), A.param(tau))) for tau in taus]

    def load(self, scale):
        A, state, q = self.A, self.group.state, self.group.alpha_q
        return {"lin": [A.load(state["exc_response"], scale),
                        A.load(state["inh_response"], scale)],
                "exp": [A.load(state["exc_exp_response"]),
                        A.load(state["inh_exp_response"])],
                "q": [A.load(q[0], scale), A.load(q[1], scale)]}

    def store(self, syn, scale):
        A, state, q = self.A, self.group.state, self.group.alpha_q
        A.store(state["exc_response"], syn["lin"][0], scale)
        A.store(state["inh_response"], syn["lin"][1], scale)
        A.store(state["exc_exp_response"], syn["exp"][0])
        A.store(state["inh_exp_response"], syn["exp"][1])
        A.store(q[0], syn["q"][0], scale)
        A.store(q[1], syn["q"][1], scale)

    def add_inputs(self, syn, arrivals):
        A = self.A
        one = A.const(1.0)
        for r, w in enumerate(arrivals):
            got = w > 0
            if not got.any():
                continue
            lin, expb, q = syn["lin"][r], syn["exp"][r], syn["q"][r]
            q[got] = w[got]
            expb[got] = A.decay(expb[got], self.decay[r][got]) + one
            scaled = A.mul(w[got], self.init[r][got])
            lin[got] = A.mul(lin[got] + scaled, one - A.div(one, expb[got]))

    def values(self, syn):
        A = self.A
        return [A.mul(lin, e) for lin, e in zip(syn["lin"], syn["exp"])]

    def shape(self, syn):
        A = self.A
        for r in range(2):
            syn["lin"][r] += A.mul(syn["q"][r], self.init[r])
            syn["exp"][r][...] = A.decay(syn["exp"][r], self.decay[r])
