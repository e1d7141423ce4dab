"""The Izhikevich (2003) model with PyNN-standard semantics (NEST's ``izhikevich``).

dv/dt = 0.04 v^2 + 5 v + 140 - u + I,  du/dt = a (b v - u),
I = 1000 * (i_offset + i_inj) (nA into the model's implicit 1 pF, as pyNN.nest and
pyNN.brian2 do; i_inj is the current injected by current sources).
Synapses are delta currents: an arriving weight (mV) is added to v.
Integrated as NEST does with ``consistent_integration``: one forward-Euler step
from (v, u) at t, input added, then v >= 30 mV -> spike, v = c, u += d.
"""

import numpy as np

from .groups import NeuronGroup
from .kernels.neurons import NO_INJECTION

V_PEAK = 30.0  # mV; NEST's V_th for izhikevich


class Izhikevich(NeuronGroup):
    parameter_names = ("a", "b", "c", "d", "i_offset")
    state_names = ("v", "u")
    receptors = ("excitatory", "inhibitory")
    recordable = ("v", "u")

    def _compute_propagators(self, dt):
        p = self.params
        self._dt = dt
        self._I = 1000.0 * p["i_offset"]
        self._h_a = dt * p["a"]

    def step(self, k, inputs):
        s = self.state
        v, u = s["v"], s["u"]
        p = self.params
        h = self._dt
        I = self._I if self.i_inj is None else self._I + 1000.0 * self.i_inj
        dv = h * (0.04 * v * v + 5.0 * v + 140.0 - u + I)
        u += self._h_a * (p["b"] * v - u)
        v += dv
        v += inputs[0]
        v += inputs[1]
        spiked = np.flatnonzero(v >= V_PEAK)
        if spiked.size:
            v[spiked] = p["c"][spiked]
            u[spiked] += p["d"][spiked]
        return spiked

    def compiled_kernel(self):
        if type(self).step is not Izhikevich.step:
            return None         # a subclass with its own step has no kernel
        p = self.params
        inj = (NO_INJECTION, False) if self.i_inj is None else (self.i_inj, True)
        args = (self.state["v"], self.state["u"], float(self._dt), self._I, *inj, self._h_a,
                p["b"], p["c"], p["d"], V_PEAK, np.empty(self.size, np.int64))
        return "izhikevich", args
