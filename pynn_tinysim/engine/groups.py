"""The struct-of-arrays base shared by every neuron model family.

A :class:`NeuronGroup` holds all neurons of one model family in one set of
arrays, whatever Population they belong to: a Population is a contiguous slice
of its group. The step loop then touches a few large arrays per model rather
than many small ones per Population, so the per-step Python overhead does not
grow with the number of Populations.
"""

from typing import NamedTuple

import numpy as np


class Internal(NamedTuple):
    """One declared per-neuron array that is not a PyNN state variable.

    The base class creates it, grows it when neurons are added and (unless ``reset``
    is False) refills it at reset(); a model family only declares it, in
    :attr:`NeuronGroup.internal_state`.
    """

    dtype: type = float
    #: value of a new neuron's entry, and after reset()
    fill: float = 0.0
    #: one row per receptor: shape (len(receptors), size) instead of (size,)
    per_receptor: bool = False
    #: refilled at reset() (False: a setting made from outside, kept across resets)
    reset: bool = True
    #: kept in ``state`` (so recordable), not as an attribute of the group
    recorded: bool = False


class NeuronGroup:
    """All neurons of one model family, as one array per parameter and state variable.

    Subclasses declare:

    ``parameter_names``
        float parameters, in PyNN's names and units;
    ``state_names``
        float state variables that ``initialize()`` may set and ``reset()`` restores;
    ``internal_state``
        the other per-neuron arrays (refractory counters, traces...), as a table
        name -> :class:`Internal` (dtype, fill value...): grown, reset and, when
        ``recorded``, recorded by this class, never by hand;
    ``array_parameter_names``
        parameters with one array per neuron (PyNN's ArrayParameter / Sequence),
        read and written through :meth:`get_array_parameter` and
        :meth:`set_array_parameter`;
    ``receptors``
        the input channels, in the order of the rows of the input block that
        :meth:`step` receives;
    ``recordable``
        the state variables that can be recorded (``'spikes'`` is always recordable).

    and implement :meth:`_compute_propagators` and :meth:`step`. The optional
    protocol (:meth:`check_parameters`, :meth:`check_arrays`, spike times of
    spike-array sources...) has defaults here, so the PyNN front never needs to ask
    whether a group has it.
    """

    parameter_names = ()
    state_names = ()
    internal_state = {}
    array_parameter_names = ()
    receptors = ()
    recordable = ()
    #: variables whose value of step t is computed by step t and so sampled after it but
    #: labelled t (sPyNNaker's gsyn: see recorders.LeadingSignalRecorder)
    leading_variables = ()
    #: True: the other variables are sampled when a tick starts (sPyNNaker's v), so
    #: state set between runs shows in the next sample (recorders.TickStartSignalRecorder)
    records_at_tick_start = False
    #: exact times (ms) of the spikes the last step() returned, for groups whose
    #: spikes are recorded off the grid (see :mod:`.sources`); None: the stamp's time
    emitted_times = None
    #: True: step() may return a cell more than once, one entry per spike of the step
    #: (AdEx without refractoriness, as NEST's aeif models); the step loop then hands
    #: the spikes to the synapses one at a time per cell (see Network.run)
    repeats_spikes = False

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
        for name, spec in self.internal_state.items():
            self._set_internal(name, np.zeros(self._internal_shape(spec, 0), spec.dtype))

    # --- declared internal state ------------------------------------------------

    def _internal_shape(self, spec, n):
        return (len(self.receptors), n) if spec.per_receptor else (n,)

    def _get_internal(self, name, spec):
        return self.state[name] if spec.recorded else getattr(self, name)

    def _set_internal(self, name, values):
        if self.internal_state[name].recorded:
            self.state[name] = values
        else:
            setattr(self, name, values)

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
        for name, spec in self.internal_state.items():
            new = np.full(self._internal_shape(spec, ids.size), spec.fill, spec.dtype)
            self._set_internal(name, np.concatenate(
                [self._get_internal(name, spec), new], axis=-1))
        self.invalidate()
        return slice(start, self.size)

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
        """Return every state variable to its initial value, internal state to its fill."""
        for name in self.state_names:
            self.state[name][:] = self.initial[name]
        for name, spec in self.internal_state.items():
            if spec.reset:
                self._get_internal(name, spec)[...] = spec.fill

    # --- the optional protocol: defaults ----------------------------------------

    #: ``check_parameters(params)``, a static method raising ValueError for a
    #: combination of parameter values the model refuses (``params``: name -> array
    #: over the neurons concerned; single values are the front's value checker's
    #: business); None: no such combination
    check_parameters = None
    #: ``check_arrays(**rows)``, a static method raising ValueError unless one
    #: neuron's array parameters are usable together; None: nothing to check
    check_arrays = None

    def get_array_parameter(self, name, positions):
        """One array per neuron at ``positions`` of array parameter ``name``."""
        raise KeyError(name)

    def set_array_parameter(self, positions, name, rows):
        raise KeyError(name)

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

    def compiled_kernel(self):
        """``(name, args)``: :meth:`step` is ``kernels.<name>(k, inputs, *args)``, or None.

        ``name`` names a function of :mod:`.kernels.neurons` (compiled by
        :func:`.kernels.load`), ``args`` are this run's arrays. Asked once per run,
        after :meth:`prepare`, :meth:`start_run` and the current sources' start; None
        (the default): the step loop calls :meth:`step`.
        """
        return None

    def compiled_events(self):
        """What a compiled stretch of steps needs to emit this group's spikes itself
        (event sources, see :mod:`.sources`); None (the default): it cannot."""
        return None

    def step(self, k, inputs):
        """Advance from t = k dt to (k+1) dt; return the local indices of neurons that spiked.

        ``inputs`` has one row per receptor: the synaptic input (weights summed)
        arriving at t = (k+1) dt.
        """
        raise NotImplementedError
