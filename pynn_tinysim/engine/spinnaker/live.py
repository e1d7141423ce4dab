"""Spikes injected from outside the simulation while it runs (sPyNNaker's SpikeInjector).

:class:`InjectedSpikes` is a spike source with no schedule: a live connection
(``pynn_tinysim.spinnaker.connections``) queues neuron indices with
:meth:`InjectedSpikes.inject`, from the simulation loop's callbacks or from
any other thread, and the next step the network executes emits them (they
reach their targets ``delay`` steps later, as a spike of any source emitted
in that step). On the board an injected packet enters the network the moment
it arrives; here "the moment" is the next time step simulated.
"""

import threading

import numpy as np

from ..groups import NeuronGroup
from ..sources import NO_SPIKES


class InjectedSpikes(NeuronGroup):
    """A SpikeInjector population's neurons: they spike when told to, at the next step."""

    recordable = ()

    def __init__(self, network):
        super().__init__(network)
        self._lock = threading.Lock()
        self._queue = []

    def _compute_propagators(self, dt):
        pass

    def inject(self, local_indices):
        """Queue spikes of the neurons ``local_indices`` (indices in this group)."""
        local_indices = np.asarray(local_indices, np.int64).ravel()
        if local_indices.size and (local_indices.min() < 0 or local_indices.max() >= self.size):
            raise IndexError(f"neuron index out of range 0..{self.size - 1}")
        with self._lock:
            self._queue.append(local_indices)

    @property
    def pending(self):
        """How many spikes wait for the next step."""
        with self._lock:
            return sum(q.size for q in self._queue)

    def step(self, k, inputs):
        if not self._queue:
            return NO_SPIKES
        with self._lock:
            queued, self._queue = self._queue, []
        # one spike per neuron and step (a neuron sent twice in one step spikes once)
        return np.unique(np.concatenate(queued))

    def reset(self):
        super().reset()
        with self._lock:
            self._queue = []
