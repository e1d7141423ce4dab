"""Population of the sPyNNaker flavour: sPyNNaker's constructor and board extras.

The Population is pyNN.tinysim's (a slice of an engine group) with:

- a cell class without parameters (``Population(n, sim.IF_curr_exp)``) gets its
  defaults, as in sPyNNaker;
- sPyNNaker's extra constructor arguments (``additional_parameters``,
  ``seed``, ``max_atoms_per_core``, ``n_synapse_cores``, ``splitter``...),
  accepted and, being board settings, ignored (logged at debug level); the
  neurons-per-core setting is kept because it bounds the longest delay;
- spike times of a SpikeSourceArray need not be sorted (sPyNNaker sorts them
  into ticks);
- SpikeSourcePoissonVariable's per-neuron ``rates``/``starts``/``durations``;
- sPyNNaker's recording labels (:mod:`.recording`).
"""

import logging

import numpy as np

from pyNN import errors
from pyNN.parameters import Sequence, simplify

from .. import simulator as core_simulator
from ..populations import local_mask
from ..populations import Population as CorePopulation, PopulationView as CorePopulationView, \
    sequence_values
from ..standardmodels.validation import check_values
from .cells import SpiNNakerCellType
from .recording import Recorder
from .simulator import settings

logger = logging.getLogger("pyNN.tinysim.spinnaker")

_SEQUENCE_PARAMETERS = ("spike_times", "rates", "starts", "durations")


class ID(core_simulator.ID):
    """A cell of the flavour: sPyNNaker's IDMixin also has ``initialize`` and ``set_state``."""

    def _as_view(self):
        index = self.parent.id_to_index(self)
        return self.parent[index:index + 1]

    def initialize(self, **initial_values):
        self._as_view().initialize(**initial_values)

    def set_state(self, **values):
        self._as_view().set_state(**values)


class Population(CorePopulation):
    __doc__ = CorePopulation.__doc__
    _recorder_class = Recorder

    def __init__(self, size, cellclass, cellparams=None, structure=None, initial_values={},
                 label=None, additional_parameters=None, **additional_kwargs):
        flavour = settings()
        if isinstance(size, (float, np.floating)) and float(size).is_integer():
            size = int(size)            # sPyNNaker takes e.g. Population(n / 2, ...)
        extra = dict(additional_parameters or {}, **additional_kwargs)
        self._spinnaker_max_atoms_per_core = extra.pop("max_atoms_per_core", None)
        # per receptor (synapse type), the ring-buffer bound instead of sPyNNaker's estimate
        self._max_expected_summed_weight = extra.pop("max_expected_summed_weight", None)
        for key, value in extra.items():
            logger.debug("Population(%s=%r): sPyNNaker board setting, ignored", key, value)
        celltype = cellclass if isinstance(cellclass, type) else type(cellclass)
        if not issubclass(celltype, SpiNNakerCellType):
            raise errors.NoModelAvailableError(
                f"pyNN.tinysim.spinnaker has no model {celltype.__name__}: use the cell types "
                "of pyNN.tinysim.spinnaker (sPyNNaker's), e.g. sim.IF_curr_exp")
        if isinstance(cellclass, type):
            # sPyNNaker takes Population(n, sim.IF_curr_exp) with no parameters (the
            # defaults); PyNN's Population would call cellclass(**None).
            cellclass = cellclass(**(cellparams or {}))
            cellparams = None
        expected = self._max_expected_summed_weight
        if expected is not None:
            n_types = len(cellclass.receptor_types) if hasattr(cellclass, "receptor_types") \
                else len(cellclass.get_receptor_types())
            expected = [float(x) for x in np.atleast_1d(np.asarray(expected, dtype=float))]
            if len(expected) != n_types:
                raise ValueError(
                    "The number of expected summed weights does not match the number of "
                    f"synapses in the neuron model ({n_types})")
            self._max_expected_summed_weight = expected
        super().__init__(size, cellclass, cellparams, structure, initial_values, label)
        flavour.populations.append(self)
        flavour.dirty = True

    # --- sPyNNaker extras ---------------------------------------------------------

    def record(self, variables, to_file=None, sampling_interval=None, locations=None):
        """As PyNN's; ``"all"`` means every recordable variable, as in sPyNNaker."""
        if isinstance(variables, str) and variables == "all":
            variables = list(self.celltype.recordable)
        return super().record(variables, to_file, sampling_interval, locations)

    def set_max_atoms_per_core(self, max_atoms_per_core):
        """Board setting (neurons per core); kept only for the delay limit it implies."""
        logger.debug("%s.set_max_atoms_per_core(%r): board setting", self.label,
                     max_atoms_per_core)
        self._spinnaker_max_atoms_per_core = max_atoms_per_core

    def max_atoms_per_core(self):
        """sPyNNaker's neurons per core for this Population (Population, then model setting)."""
        n = self._spinnaker_max_atoms_per_core
        if n is None:
            n = self.celltype.get_model_max_atoms_per_dimension_per_core()
        if isinstance(n, (tuple, list)):
            n = int(np.prod(n))
        return int(n)

    # --- cells ------------------------------------------------------------------------

    def _create_cells(self):
        network = core_simulator.state.require_setup()
        celltype = self.celltype
        parameter_space = celltype.native_parameters
        parameter_space.shape = (self.size,)
        parameter_space.evaluate(simplify=False)
        parameters = {}
        for name, value in parameter_space.items():
            if name in _SEQUENCE_PARAMETERS:
                parameters[name] = [_checked_times(celltype, name, sequence_values(v))
                                    for v in value]
            else:
                value = np.asarray(value, dtype=float)
                # duration=inf is sPyNNaker's "no end" (None)
                check_values(celltype.__class__.__name__, name,
                             np.where(np.isposinf(value), 0.0, value) if name == "duration"
                             else value)
                parameters[name] = value
        self._held_range = network.held_range(celltype.engine_model, self.size)   # MPI
        self._group, self._group_indices, ids = network.add_neurons(
            celltype.engine_model, self.size, parameters, {})
        self.all_cells = np.array([ID(i) for i in ids], dtype=ID)
        for cell in self.all_cells:
            cell.parent = self
        self._mask_local = local_mask(network, ids)
        core_simulator.state.id_counter = network.next_id

    def _set_parameters(self, parameter_space):
        if "duration" in parameter_space.keys():
            # duration=inf is sPyNNaker's "no end": allowed here, unlike pyNN.tinysim's check
            parameter_space.evaluate(simplify=False)
            duration = np.asarray(parameter_space["duration"], dtype=float)
            check_values(self.celltype.__class__.__name__, "duration",
                         np.where(np.isposinf(duration), 0.0, duration))
            rest = {k: v for k, v in parameter_space.items() if k != "duration"}
            if rest:
                from pyNN.parameters import ParameterSpace
                self._set_parameters(ParameterSpace(rest, shape=parameter_space.shape))
            self._group.set_parameter(self._group_indices, "duration",
                                      self._held_values(duration))
            return None
        sequences = {name: value for name, value in parameter_space.items()
                     if name in _SEQUENCE_PARAMETERS}
        if not sequences:
            return super()._set_parameters(parameter_space)
        parameter_space.evaluate(simplify=False)
        celltype = self.celltype
        positions = np.arange(self._group.size)[self._group_indices]
        group = self._group
        checked = {name: [_checked_times(celltype, name, sequence_values(v)) for v in values]
                   for name, values in parameter_space.items() if name in _SEQUENCE_PARAMETERS}
        if "spike_times" in checked:
            group.set_spike_times(positions, checked.pop("spike_times"))
        if checked:
            old = [group.schedules[i] for i in positions]
            rates = checked.get("rates", [o[0] for o in old])
            starts = checked.get("starts", [o[1] for o in old])
            durations = checked.get("durations", [o[2] for o in old])
            group.set_schedules(positions, rates, starts, durations)
        rest = {name: value for name, value in parameter_space.items()
                if name not in _SEQUENCE_PARAMETERS}
        if rest:
            from pyNN.parameters import ParameterSpace
            super()._set_parameters(ParameterSpace(rest, shape=parameter_space.shape))

    def _get_native_parameters(self, *names):
        group = self._group
        if not any(n in ("rates", "starts", "durations") for n in names):
            return super()._get_native_parameters(*names)
        from pyNN.parameters import ParameterSpace
        local = self._local_group_indices()     # this MPI rank's cells
        positions = np.arange(group.size)[local]
        column = {"rates": 0, "starts": 1, "durations": 2}
        result = {}
        for name in names:
            if name in column:
                result[name] = [Sequence(group.schedules[i][column[name]]) for i in positions]
            else:
                result[name] = simplify(group.params[name][local].copy())
        return ParameterSpace(result, shape=(self.local_size,))


def _checked_times(celltype, name, values):
    values = np.atleast_1d(np.asarray(values, dtype=float)).ravel()
    allowed = np.isfinite(values) | (np.isposinf(values) & (name == "durations"))
    bad = ~allowed | (values < 0)
    if bad.any():
        raise errors.InvalidParameterValueError(
            f"{celltype.__class__.__name__}: invalid value {float(values[bad][0])!r} in {name} "
            "(must be finite and >= 0)")
    if name == "spike_times":
        return np.sort(values)    # sPyNNaker puts them into ticks, in any order
    return values


def _spinnaker_get_data(self, variable, as_matrix=False, view_indexes=None):
    """sPyNNaker's ``spinnaker_get_data``: this segment's recording as a NumPy array.

    Analog variables: rows ``(neuron index, time in ms, value)``, neuron by
    neuron (PyNN 0.7's layout), or with ``as_matrix`` a (time, neuron) matrix;
    spikes: rows ``(neuron index, time in ms)`` in time order. ``view_indexes``
    keeps those neurons. Only the current segment (since the last reset), as
    sPyNNaker's database returns it.
    """
    if not isinstance(variable, str):
        variable = list(variable)
        if len(variable) != 1:
            from .simulator import SpinnakerException
            raise SpinnakerException("Only one type of data at a time is supported")
        variable = variable[0]
    population = self.parent if hasattr(self, "parent") else self
    segment = population.get_data(variable).segments[-1]
    indexes = np.arange(population.size) if view_indexes is None \
        else np.asarray(view_indexes, dtype=int)
    if variable == "spikes":
        rows = [(i, float(t)) for i, train in enumerate(segment.spiketrains)
                if i in set(indexes.tolist()) for t in train.magnitude]
        rows.sort(key=lambda r: (r[1], r[0]))
        return np.array(rows, dtype=float).reshape(-1, 2)
    signals = segment.filter(name=variable)
    if not signals:
        return np.empty((0, 0), dtype=float)
    signal = signals[0]
    channels = np.asarray(signal.array_annotations.get("channel_index",
                                                        np.arange(signal.shape[1])))
    keep = np.isin(channels, indexes)
    data = np.asarray(signal.magnitude)[:, keep]
    channels = channels[keep]
    if as_matrix:
        return data
    n_steps = data.shape[0]
    times = np.asarray(signal.times.rescale("ms").magnitude, dtype=float)
    return np.column_stack((np.repeat(channels, n_steps), np.tile(times, len(channels)),
                            data.T.reshape(-1)))


Population.spinnaker_get_data = _spinnaker_get_data


def _set_state(self, **values):
    """sPyNNaker's ``set_state``: the *current* value of state variables, not the initial.

    (``initialize`` sets the values reset() returns to.)
    """
    group, index = self._group, self._group_indices
    for name, value in values.items():
        if name not in group.state_names:
            raise errors.NonExistentParameterError(
                name, self.celltype, list(self.celltype.default_initial_values))
        value = np.broadcast_to(np.asarray(value, dtype=float), (self.size,))
        if not np.isfinite(value).all():
            raise errors.InvalidParameterValueError(
                f"{type(self.celltype).__name__}: set_state({name}=...) must be finite")
        group.state[name][index] = self._held_values(value)     # (MPI: this rank's cells)


def _current_values(self):
    """sPyNNaker's ``current_values``: the present state of each variable, per cell."""
    group, index = self._group, self._local_group_indices()     # (MPI: this rank's cells)
    return {name: np.array(group.state[name][index]) for name in group.state_names
            if name in self.celltype.default_initial_values}


def _set_initial_value_array(self, variable, initial_values):
    """As pyNN.tinysim's, but after a run (without reset) only the initial value changes.

    sPyNNaker's ``set_initial_state_values`` writes the present state only while
    the simulation has not run since setup or the last reset; afterwards
    ``initialize`` sets what reset() returns to (``set_state`` sets the present).
    """
    group, index = self._group, self._group_indices
    network = core_simulator.state.network
    present = None
    if network is not None and network.step_count > 0 and variable in group.state:
        present = np.array(group.state[variable][index])
    CorePopulation._set_initial_value_array(self, variable, initial_values)
    if present is not None:
        group.state[variable][index] = present


class PopulationView(CorePopulationView):
    __doc__ = CorePopulationView.__doc__
    _set_initial_value_array = _set_initial_value_array

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)

    set_state = _set_state
    current_values = property(_current_values)
    spinnaker_get_data = None   # set below


def _view_spinnaker_get_data(self, variable, as_matrix=False, view_indexes=None):
    positions = self.index_in_grandparent(np.arange(self.size))
    if view_indexes is not None:
        positions = positions[np.asarray(view_indexes, dtype=int)]
    return _spinnaker_get_data(self.grandparent, variable, as_matrix, positions)


def _population_get_view(self, selector, label=None):
    return PopulationView(self, selector, label)


PopulationView.spinnaker_get_data = _view_spinnaker_get_data
Population._get_view = _population_get_view
Population.set_state = _set_state
Population._set_initial_value_array = _set_initial_value_array
Population.current_values = property(_current_values)
