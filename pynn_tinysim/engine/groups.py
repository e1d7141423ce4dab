"""The struct-of-arrays base shared by every neuron model family.

A :class:`NeuronGroup` holds all neurons of one model family in one set of
arrays, whatever Population they belong to: a Population is a contiguous slice
of its group. The step loop then touches a few large arrays per model rather
than many small ones per Population, so the per-step Python overhead does not
grow with the number of Populations.
"""

import numpy as np


class NeuronGroup:
    """All neurons of one model family, as one array per parameter and state variable.

    Subclasses declare:

    ``parameter_names``
        float parameters, in PyNN's names and units;
    ``state_names``
        float state variables that ``initialize()`` may set and ``reset()`` restores;
    ``receptors``
        the input channels, in the order of the rows of the input block that
        :meth:`step` receives;
    ``recordable``
        the state variables that can be recorded (``'spikes'`` is always recordable).

    and implement :meth:`_compute_propagators` and :meth:`step`.
    """

    parameter_names = ()
    state_names = ()
    receptors = ()
    recordable = ()
    #: exact times (ms) of the spikes the last step() returned, for groups whose
    #: spikes are recorded off the grid (see :mod:`.sources`); None: the stamp's time
    emitted_times = None

    def __init__(self, network):
        self.network = network
        self.size = 0
        self.ids = np.zeros(0, dtype=np.int64)
        self.params = {name: np.zeros(0) for name in self.parameter_names}
        self.state = {name: np.zeros(0) for name in self.state_names}
        self.initial = {name: np.zeros(0) for name in self.state_names}
        self.recorders = {}          # variable name -> SignalRecorder
        self.spike_recorder = None   # SpikeRecorder, created on demand
        self._prepared_dt = None     # dt the cached propagators were computed for
        self.input_offset = 0        # position of this group's block in the ring buffer row
        # nA injected by current sources during the present step: a view set by the
        # network's CurrentInjection, None while no source targets this group
        self.i_inj = None

    # --- building -------------------------------------------------------------

    def add_neurons(self, ids, parameters, initial_values):
        """Append neurons with the given global ``ids``; return their slice in this group.

        ``parameters`` and ``initial_values`` map names to arrays of length len(ids).
        """
        ids = np.asarray(ids, dtype=np.int64)
        start = self.size
        self.size += ids.size
        self.ids = np.concatenate([self.ids, ids])
        for name in self.parameter_names:
            self.params[name] = np.concatenate(
                [self.params[name], np.broadcast_to(np.asarray(parameters[name], float), ids.shape)])
        for name in self.state_names:
            values = np.broadcast_to(np.asarray(initial_values.get(name, 0.0), float), ids.shape)
            self.initial[name] = np.concatenate([self.initial[name], values])
            self.state[name] = np.concatenate([self.state[name], values])
        self._grow_internal_state(ids.size)
        self.invalidate()
        return slice(start, self.size)

    def _grow_internal_state(self, n):
        """Extend per-neuron arrays that are not parameters or state variables."""

    def set_parameter(self, index, name, values):
        self.params[name][index] = values
        self.invalidate()

    def set_initial_value(self, index, name, values):
        """Set the initial value of a state variable, and its present value too.

        PyNN's initialize() acts now (as in pyNN.nest) and is what reset() returns to.
        """
        self.initial[name][index] = values
        self.state[name][index] = values

    def invalidate(self):
        """Mark cached propagators stale (parameters changed)."""
        self._prepared_dt = None

    def reset(self):
        """Return every state variable to its initial value."""
        for name in self.state_names:
            self.state[name][:] = self.initial[name]
        self._reset_internal_state()

    def _reset_internal_state(self):
        """Reset per-neuron internal arrays (refractory counters...)."""

    # --- running --------------------------------------------------------------

    def prepare(self, dt):
        """Compute what the step needs from the parameters (cached until they change)."""
        if self._prepared_dt != dt:
            self._compute_propagators(dt)
            self._prepared_dt = dt

    def _compute_propagators(self, dt):
        raise NotImplementedError

    def start_run(self, first_step, n_steps, dt):
        """Called once before a run of ``n_steps`` steps starting at step ``first_step``."""

    def step(self, k, inputs):
        """Advance from t = k dt to (k+1) dt; return the local indices of neurons that spiked.

        ``inputs`` has one row per receptor: the synaptic input (weights summed)
        arriving at t = (k+1) dt.
        """
        raise NotImplementedError
