"""Synaptic conductances and the fixed-step RK4 shared by the nonlinear model families.

The synaptic conductances of every conductance-based model here evolve
independently of the membrane (exponential or alpha-shaped decay), so they are
known in closed form at any time inside a step; the integrator for the
membrane is then handed their exact values at each Runge-Kutta stage, and only
the membrane variables (v and, per model, w, m, h, n) are approximated.

:func:`rk4` is the classical fourth-order Runge-Kutta method applied with
``substeps`` equal sub-steps per time step, for all neurons at once.
"""

import numpy as np

_E = np.e


class ExpConductances:
    """Mixin: gsyn_exc / gsyn_inh (uS) decaying with tau_syn_E / tau_syn_I.

    ``_conductance_propagators(dt, substeps)`` precomputes the decay over every
    half sub-step; ``_conductances(j)`` gives (g_exc, g_inh) at j half sub-steps
    into the step; ``_conductance_update(inputs)`` moves them to the end of the
    step and adds the input arriving then.
    """

    def _conductance_propagators(self, dt, substeps=1):
        p = self.params
        offsets = np.arange(2 * substeps + 1)[:, None] * (0.5 * dt / substeps)
        self._decay_e = np.exp(-offsets / p["tau_syn_E"])
        self._decay_i = np.exp(-offsets / p["tau_syn_I"])

    def _conductances(self, j):
        s = self.state
        if j == 0:
            return s["gsyn_exc"], s["gsyn_inh"]
        return s["gsyn_exc"] * self._decay_e[j], s["gsyn_inh"] * self._decay_i[j]

    def _conductances_at(self, t, idx):
        """(g_exc, g_inh) of neurons ``idx`` at times ``t`` (ms) into the step."""
        s, p = self.state, self.params
        return (s["gsyn_exc"][idx] * np.exp(-t / p["tau_syn_E"][idx]),
                s["gsyn_inh"][idx] * np.exp(-t / p["tau_syn_I"][idx]))

    def _conductance_update(self, inputs):
        s = self.state
        ge, gi = s["gsyn_exc"], s["gsyn_inh"]
        ge *= self._decay_e[-1]
        ge += inputs[0]
        gi *= self._decay_i[-1]
        gi += inputs[1]


class AlphaConductances:
    """Mixin: alpha-shaped gsyn_exc / gsyn_inh (uS), peak = weight at tau_syn after arrival.

    g(t) = (g0 + dg0 t) exp(-t/tau); an arriving weight w adds w e / tau to dg
    (NEST's aeif_cond_alpha / iaf_cond_alpha).
    """

    def _conductance_propagators(self, dt, substeps=1):
        p = self.params
        offsets = np.arange(2 * substeps + 1)[:, None] * (0.5 * dt / substeps)
        self._offsets = offsets
        self._decay_e = np.exp(-offsets / p["tau_syn_E"])
        self._decay_i = np.exp(-offsets / p["tau_syn_I"])
        self._scale_e = _E / p["tau_syn_E"]
        self._scale_i = _E / p["tau_syn_I"]

    def _conductances(self, j):
        s = self.state
        if j == 0:
            return s["gsyn_exc"], s["gsyn_inh"]
        t = self._offsets[j]
        return ((s["gsyn_exc"] + t * s["dgsyn_exc"]) * self._decay_e[j],
                (s["gsyn_inh"] + t * s["dgsyn_inh"]) * self._decay_i[j])

    def _conductances_at(self, t, idx):
        """(g_exc, g_inh) of neurons ``idx`` at times ``t`` (ms) into the step."""
        s, p = self.state, self.params
        return ((s["gsyn_exc"][idx] + t * s["dgsyn_exc"][idx]) * np.exp(-t / p["tau_syn_E"][idx]),
                (s["gsyn_inh"][idx] + t * s["dgsyn_inh"][idx]) * np.exp(-t / p["tau_syn_I"][idx]))

    def _conductance_update(self, inputs):
        s = self.state
        ge, gi = self._conductances(len(self._offsets) - 1)
        s["gsyn_exc"][:] = ge
        s["gsyn_inh"][:] = gi
        dge, dgi = s["dgsyn_exc"], s["dgsyn_inh"]
        dge *= self._decay_e[-1]
        dge += inputs[0] * self._scale_e
        dgi *= self._decay_i[-1]
        dgi += inputs[1] * self._scale_i


def rk4(y, derivatives, conductances, dt, substeps=1):
    """Advance the list of state arrays ``y`` by ``dt`` with classical RK4.

    ``derivatives(y, g_exc, g_inh)`` returns the list of time derivatives;
    ``conductances(j)`` the conductances j half sub-steps into the step.
    Returns the new list of arrays (``y`` is not modified).
    """
    h = dt / substeps
    for j in range(substeps):
        g0 = conductances(2 * j)
        gh = conductances(2 * j + 1)
        g1 = conductances(2 * j + 2)
        k1 = derivatives(y, *g0)
        k2 = derivatives([a + (0.5 * h) * b for a, b in zip(y, k1)], *gh)
        k3 = derivatives([a + (0.5 * h) * b for a, b in zip(y, k2)], *gh)
        k4 = derivatives([a + h * b for a, b in zip(y, k3)], *g1)
        y = [a + (h / 6.0) * (b1 + 2.0 * (b2 + b3) + b4)
             for a, b1, b2, b3, b4 in zip(y, k1, k2, k3, k4)]
    return y
