"""Population, PopulationView and Assembly for pyNN.tinysim.

A Population is a contiguous slice of the engine's neuron group for its model
family; a PopulationView is a set of indices into that slice. Parameters and
initial values are read and written straight in the group's arrays.
"""

import numpy as np

from pyNN import common, errors
from pyNN.parameters import ArrayParameter, LazyArray, ParameterSpace, Sequence, simplify
from pyNN.standardmodels import StandardCellType

from . import simulator
from .recording import Recorder
from .files import write_block
from .memory import check_population_fits
from .standardmodels.validation import check_values, check_spike_times, normalized_values


class Assembly(common.Assembly):
    __doc__ = common.Assembly.__doc__
    _simulator = simulator

    def write_data(self, io, variables='all', gather=True, clear=False, annotations=None):
        """Write recorded data to a file name or a neo IO, atomically (see :mod:`.files`)."""
        data = self.get_data(variables, gather, clear, annotations)
        state = simulator.state
        if not gather and state.num_processes > 1:     # as Population.write_data
            write_block(io, data, suffix=f".{state.mpi_rank}")
        elif state.mpi_rank == 0:
            write_block(io, data)


class _EngineCellsMixin:
    """Parameter and state access shared by Population and PopulationView.

    Subclasses provide ``_group`` (the engine group), ``_group_indices``
    (indices in that group of their cells it holds: a slice or an integer array),
    ``_held()`` and ``_to_group(positions)``. Under MPI a rank's group holds only
    the cells the rank owns (spike sources: all of them; see engine/exchange.py):
    values are evaluated for every cell, as in one process (the same random
    draws), checked, then those of the held cells are written.
    """

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)

    def set(self, **parameters):
        super().set(**normalized_values(self.celltype, parameters,
                                        self.celltype.default_parameters))

    def initialize(self, **initial_values):
        super().initialize(**normalized_values(self.celltype, initial_values,
                                               self.celltype.default_initial_values,
                                               "initial value of "))

    def _get_parameters(self, *names):
        """A ParameterSpace of the PyNN parameters ``names`` (identity translation)."""
        celltype = self.celltype
        if celltype.computed_parameters_include(names):
            native_names = celltype.get_native_names()
        else:
            native_names = celltype.get_native_names(*names)
        return celltype.reverse_translate(self._get_native_parameters(*native_names))

    def _get_native_parameters(self, *names):
        group, index = self._group, self._local_group_indices()
        parameter_dict = {}
        for name in names:
            if name in group.array_parameter_names:
                # one array per cell (ArrayParameter / Sequence in PyNN)
                kind = type(self.celltype.default_parameters[name])
                positions = np.arange(group.size)[index]
                parameter_dict[name] = [kind(row) for row in
                                        group.get_array_parameter(name, positions)]
            else:
                try:
                    values = group.params[name][index]
                except KeyError:
                    raise errors.NonExistentParameterError(
                        name, self.celltype, self.celltype.get_parameter_names()) from None
                parameter_dict[name] = simplify(values.copy())
        return ParameterSpace(parameter_dict, shape=(self.local_size,))

    def _local_group_indices(self):
        """Indices in the group of this object's cells on this MPI rank (all in one process).

        Values are read for these cells only (PyNN gathers them with gather=True).
        """
        mask = self._mask_local
        if mask.all():
            return self._group_indices
        return self._to_group(np.flatnonzero(mask))

    def _held_values(self, value):
        """Per-cell ``value`` (length self.size) cut to the held cells; others as they are."""
        held = self._held()
        if held is None:
            return value
        if isinstance(value, list) and len(value) == self.size:
            return [value[i] for i in held]
        if np.ndim(value) and np.shape(value)[0] == self.size:
            return np.asarray(value)[held]
        return value

    def _set_parameters(self, parameter_space):
        """``parameter_space`` holds native (= PyNN) names and values."""
        parameter_space.evaluate(simplify=False)
        group, index = self._group, self._group_indices
        celltype_name = self.celltype.__class__.__name__
        updates = {}
        for name, value in parameter_space.items():
            if name in group.array_parameter_names:
                updates[name] = _array_values(celltype_name, name, value)
            else:
                try:
                    value = np.asarray(value, dtype=float)
                except (TypeError, ValueError):
                    raise errors.InvalidParameterValueError(
                        f"{celltype_name}: {name} must be numeric, not {value!r}") from None
                check_values(celltype_name, name, value)
                updates[name] = value
        updates = {name: self._held_values(value) for name, value in updates.items()}
        _check_combination(self.celltype, group, index, updates)
        # all values checked before any is written: a bad one leaves the network as it was
        for name, value in updates.items():
            if name in group.array_parameter_names:
                group.set_array_parameter(np.arange(group.size)[index], name, value)
            else:
                group.set_parameter(index, name, value)

    def _set_initial_value_array(self, variable, initial_values):
        group = self._group
        if variable not in group.state_names:
            raise errors.NonExistentParameterError(
                variable, self.celltype, list(self.celltype.default_initial_values))
        values = initial_values.evaluate(simplify=False) if isinstance(initial_values, LazyArray) \
            else np.asarray(initial_values, float)
        values = np.broadcast_to(np.asarray(values, float), (self.size,))
        if not np.isfinite(values).all():
            raise errors.InvalidParameterValueError(
                f"{self.celltype.__class__.__name__}: initial value of {variable} must be "
                f"finite, got {values[~np.isfinite(values)][0]!r}")
        if variable in ("gsyn_exc", "gsyn_inh"):    # conductances: >= 0 (validation table)
            check_values(self.celltype, variable, values)
        group.set_initial_value(self._group_indices, variable, self._held_values(values))


def _check_combination(celltype, group, index, updates):
    """The engine model's checks across parameters (e.g. AdEx: v_spike >= v_thresh)."""
    arrays = [n for n in group.array_parameter_names if n in updates]
    if arrays and group.check_arrays is not None:
        positions = np.arange(group.size)[index]
        for j, i in enumerate(positions):
            rows = {n: group.get_array_parameter(n, [i])[0]
                    for n in group.array_parameter_names}
            rows.update({n: updates[n][j] for n in arrays})
            _run_check(celltype, lambda r: group.check_arrays(**r), rows)
    check = group.check_parameters
    if check is None:
        return
    params = {name: values[index].copy() for name, values in group.params.items()}
    for name, value in updates.items():
        if name in params:
            params[name][...] = value
    _run_check(celltype, check, params)


def _run_check(celltype, check, params):
    try:
        check(params)
    except ValueError as err:
        raise errors.InvalidParameterValueError(f"{celltype.__class__.__name__}: {err}") from None


def _array_values(celltype_name, name, value):
    """Per-cell float arrays from a per-cell array of ArrayParameter / Sequence values.

    (PyNN hands over one value per cell, except for a one-cell Population, where it
    may hand over the bare value: a 0-d object array here, made one row.)
    """
    rows = []
    for v in np.atleast_1d(np.asarray(value, dtype=object)) if not isinstance(
            value, (list, tuple)) else value:
        try:
            row = np.atleast_1d(np.asarray(sequence_values(v), dtype=float))
        except (TypeError, ValueError):
            raise errors.InvalidParameterValueError(
                f"{celltype_name}: {name} must be a sequence of numbers, not {v!r}") from None
        rows.append(_checked_row(celltype_name, name, row))
    return rows


def _checked_row(celltype_name, name, row):
    """One cell's array parameter, checked (spike times: PyNN's own rule for them)."""
    if name == "spike_times":
        return check_spike_times(row)
    check_values(celltype_name, name, row)
    return row


def sequence_values(value):
    """The numbers of a Sequence or ArrayParameter (or of a plain sequence) as an array.

    Public: the spinnaker flavour reads spike_times through it too.
    """
    if isinstance(value, (Sequence, ArrayParameter)):
        return value.value
    return np.asarray(value, dtype=float)


class PopulationView(_EngineCellsMixin, common.PopulationView):
    __doc__ = common.PopulationView.__doc__
    _simulator = simulator
    _assembly_class = Assembly

    @property
    def _group(self):
        return self.grandparent._group

    @property
    def _group_indices(self):
        held = self._held()
        return self._to_group(np.arange(self.size) if held is None else held)

    def _held(self):
        """Positions in this view of the cells this rank's group holds; None: all."""
        first, stop = self.grandparent._held_range
        if (first, stop) == (0, self.grandparent.size):
            return None
        in_grandparent = self.index_in_grandparent(np.arange(self.size))
        return np.flatnonzero((in_grandparent >= first) & (in_grandparent < stop))

    def _to_group(self, positions):
        """Group indices of the (held) cells at ``positions`` in this view."""
        return self.grandparent._to_group(self.index_in_grandparent(np.asarray(positions)))

    @property
    def initial_values(self):
        parent_values = self.grandparent.initial_values
        positions = self.index_in_grandparent(np.arange(self.size))
        return {name: LazyArray(value.evaluate(simplify=False)[positions], shape=(self.size,))
                for name, value in parent_values.items()}

    def initialize(self, **initial_values):
        """Set initial values of state variables for the cells of this view (see Population)."""
        initial_values = normalized_values(self.celltype, initial_values,
                                           self.celltype.default_initial_values,
                                           "initial value of ")
        grandparent = self.grandparent
        positions = self.index_in_grandparent(np.arange(self.size))
        for variable, value in initial_values.items():
            values = LazyArray(value, shape=(self.size,), dtype=float).evaluate(simplify=False)
            self._set_initial_value_array(variable, values)
            full = grandparent.initial_values[variable].evaluate(simplify=False).copy()
            full[positions] = values
            grandparent.initial_values[variable] = LazyArray(full, shape=full.shape)


class Population(_EngineCellsMixin, common.Population):
    __doc__ = common.Population.__doc__
    _simulator = simulator
    _recorder_class = Recorder
    _assembly_class = Assembly

    def __init__(self, size, cellclass, cellparams=None, structure=None,
                 initial_values={}, label=None):
        _check_size(size)
        super().__init__(size, cellclass, cellparams, structure, initial_values, label)

    # every access to the engine goes through _group: it refuses a Population whose
    # network was destroyed by a later setup() (issue 14 item 5)
    @property
    def _group(self):
        group = self.__dict__.get("_engine_group")
        if group is not None:
            simulator.check_current(self, group.network)
        return group

    @_group.setter
    def _group(self, group):
        self._engine_group = group

    def _create_cells(self):
        network = simulator.state.require_setup()
        celltype = self.celltype
        check_population_fits(self)   # before any per-cell array is allocated
        # every tinysim cell type declares its engine model; one from another backend has none
        engine_model = getattr(celltype, "engine_model", None)
        if not isinstance(celltype, StandardCellType) or engine_model is None:
            raise errors.NoModelAvailableError(
                f"pyNN.tinysim has no model for cell type {celltype.__class__.__name__}; "
                f"available: {', '.join(_available_models())}")
        parameter_space = celltype.native_parameters
        parameter_space.shape = (self.size,)
        parameter_space.evaluate(simplify=False)
        parameters = {}
        for name, value in parameter_space.items():
            if name in engine_model.array_parameter_names:
                parameters[name] = _array_values(celltype.__class__.__name__, name, value)
            else:
                value = np.asarray(value, dtype=float)
                check_values(celltype.__class__.__name__, name, value)
                parameters[name] = value
        if engine_model.check_parameters is not None:
            _run_check(celltype, engine_model.check_parameters,
                       {name: np.broadcast_to(parameters[name], (self.size,))
                        for name in engine_model.parameter_names})
        if engine_model.check_arrays is not None:
            names = engine_model.array_parameter_names
            for rows in zip(*(parameters[name] for name in names)):
                _run_check(celltype, lambda r: engine_model.check_arrays(**r),
                           dict(zip(names, rows)))
        # (under MPI the group holds this rank's cells only: engine/exchange.py)
        self._held_range = network.held_range(engine_model, self.size)
        self._group, self._group_indices, ids = network.add_neurons(
            engine_model, self.size, parameters, {})
        self.all_cells = np.array([simulator.ID(i) for i in ids], dtype=simulator.ID)
        for cell in self.all_cells:
            cell.parent = self
        self._mask_local = local_mask(network, ids)
        simulator.state.id_counter = network.next_id

    def _held(self):
        """Positions of the cells this rank's group holds; None: all (one process)."""
        first, stop = self._held_range
        return None if (first, stop) == (0, self.size) else np.arange(first, stop)

    def _to_group(self, positions):
        """Group indices of the (held) cells at ``positions`` in this Population."""
        return self._group_indices.start + (np.asarray(positions) - self._held_range[0])

    def id_to_index(self, id):
        """Index (or indices) in this Population of the cell(s) with the given ID(s)."""
        if isinstance(id, (int, np.integer)):
            index = int(id) - int(self.first_id)
            if not 0 <= index < self.size:
                raise IndexError(f"ID {id} is not in Population {self.label!r}")
            return index
        ids = np.asarray(id, dtype=np.int64)
        index = ids - int(self.first_id)
        if ids.size and (index.min() < 0 or index.max() >= self.size):
            raise IndexError(f"some IDs are not in Population {self.label!r}")
        return index


def local_mask(network, ids):
    """Which of the cells ``ids`` are this MPI rank's (all of them in one process).

    Public: the spinnaker flavour's Population uses it too.
    """
    if network.owned is None:
        return np.ones(len(ids), bool)
    return network.owned[ids].copy()


def _check_size(size):
    """Population sizes: positive whole numbers (NEST refuses 0 and negatives too)."""
    dims = size if isinstance(size, tuple) else (size,)
    for n in dims:
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1:
            raise errors.InvalidParameterValueError(
                f"Population size must be a positive whole number (or a tuple of them), "
                f"not {size!r}")


def _available_models():
    from .standardmodels import cells
    return sorted(name for name, obj in vars(cells).items()
                  if isinstance(obj, type) and hasattr(obj, "engine_model"))
