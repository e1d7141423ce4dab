"""Example for docs/ARCHITECTURE.md, file 1 of 2: the engine side of a new cell type.

A perfect (non-leaky) integrate-and-fire neuron with delta synapses:
dv/dt = i_offset / cm; an arriving weight (mV) is added to v; v >= v_thresh ->
spike, v = v_reset. In the package this would be ``pynn_tinysim/engine/pif.py``.

What a model family declares (:class:`~pynn_tinysim.engine.groups.NeuronGroup`):
parameter and state names, receptors, recordables, other per-neuron arrays as
``internal_state``; it implements ``_compute_propagators`` and ``step``. Growing,
resetting and recording are the base class's, and nothing else needs to know
about the new family.
"""

import numpy as np

from pynn_tinysim.engine.groups import Internal, NeuronGroup


class PerfectIntegrator(NeuronGroup):
    parameter_names = ("cm", "i_offset", "v_thresh", "v_reset")
    state_names = ("v",)
    receptors = ("excitatory", "inhibitory")
    recordable = ("v",)
    #: spikes each neuron emitted since the last reset (declared, so grown and reset)
    internal_state = {"n_spikes": Internal(np.int64, 0)}

    def _compute_propagators(self, dt):
        self._dv = dt * self.params["i_offset"] / self.params["cm"]   # mV per step

    def step(self, k, inputs):
        v = self.state["v"]
        v += self._dv
        v += inputs[0]
        v += inputs[1]
        spiked = np.flatnonzero(v >= self.params["v_thresh"])
        if spiked.size:
            v[spiked] = self.params["v_reset"][spiked]
            self.n_spikes[spiked] += 1
        return spiked
