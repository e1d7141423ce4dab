"""Projection for pyNN.tinysim: connections stored as arrays in the engine.

Connectors hand us connections a column at a time (``_convergent_connect``)
or, for the common connectors, all at once (:mod:`.connectors`); either way
they end up as parallel arrays (presynaptic id, postsynaptic id, weight,
delay in steps), never as Python objects per connection.

Every projection reads and writes its connections through one interface, its
engine block (:class:`~.engine.synapses.ProjectionSynapses`), whatever the synapse
type: a StaticSynapse projection's block is a view of the network's SynapseStore
(:mod:`.engine.synapses`: 12 bytes a synapse, the static fast path); any other
synapse type's is its own engine PlasticSynapses object (:mod:`.engine.plasticity`),
whose weight array the rule updates in place during a run, so get('weight') after a run reads the learned weights, and whose
per-connection parameters (U, tau_rec, tau_plus, ...) get() and set() read and
write. reset() returns a plastic projection's weights to their initial values
(those given at connection time or by the latest set()), as PyNN specifies.
"""


import numpy as np

from pyNN import common, errors
from pyNN.random import RandomDistribution
from pyNN.space import Space

from . import simulator
from .connectors import fast_connect, evaluate_per_connection
from .engine.synapses import WeightSideError
from .memory import check_projection_fits
from .standardmodels.synapses import StaticSynapse, check_weights_with_hint
from .standardmodels.validation import check_values


class Connection(common.Connection):
    """One connection of a Projection, read (and written) through the Projection's arrays."""

    def __init__(self, projection, index):
        self.projection = projection
        self.index = index

    @property
    def presynaptic_index(self):
        return int(self.projection._pre_indices()[self.index])

    @property
    def postsynaptic_index(self):
        return int(self.projection._post_indices()[self.index])

    def _get_weight(self):
        return self.projection._block.weight_at(self.index)

    def _set_weight(self, w):
        self.projection._block.set_weight(w, self.index)
        self.projection._changed()

    def _get_delay(self):
        return float(self.projection._block.delay_steps_at(self.index) * simulator.state.dt)

    def _set_delay(self, d):
        steps = self.projection._delay_steps(d)
        self.projection._block.set_delay_steps(steps, self.index)
        self.projection._changed()

    weight = property(_get_weight, _set_weight)
    delay = property(_get_delay, _set_delay)

    def __getattr__(self, name):
        # parameters and state of synapse dynamics (U, tau_rec, A_plus, u...)
        if name.startswith("_") or name == "projection":
            raise AttributeError(name)
        block = self.projection._block
        for table in (block.params, block.state):
            if name in table:
                return float(table[name][self.index])
        raise AttributeError(name)

    def as_tuple(self, *attribute_names):
        return tuple(getattr(self, name) for name in attribute_names)


def _check_current_cells(cells):
    """StaleObjectError for a Population, view or Assembly made before the last setup()."""
    for population in getattr(cells, "populations", [cells]):
        population = getattr(population, "grandparent", None) or population
        getattr(population, "_group", None)     # the check is in Population._group


class Projection(common.Projection):
    __doc__ = common.Projection.__doc__
    _simulator = simulator
    _static_synapse_class = StaticSynapse

    def __init__(self, presynaptic_population, postsynaptic_population, connector,
                 synapse_type=None, source=None, receptor_type=None,
                 space=Space(), label=None):
        network = simulator.state.require_setup()
        for cells in (presynaptic_population, postsynaptic_population):
            _check_current_cells(cells)
        common.Projection.__init__(self, presynaptic_population, postsynaptic_population,
                                   connector, synapse_type, source, receptor_type,
                                   space, label)
        # the engine class of a synapse type with dynamics; static synapses have none
        # (they go to the network's SynapseStore), nor has a type from outside tinysim
        engine_model = None if isinstance(self.synapse_type, StaticSynapse) \
            else getattr(self.synapse_type, "engine_model", None)
        # read by the memory estimate and the spinnaker flavour (weights it may quantize)
        self._plastic = engine_model is not None
        if engine_model is None and not isinstance(self.synapse_type, StaticSynapse):
            raise errors.NoModelAvailableError(
                f"pyNN.tinysim does not support synapse type "
                f"{self.synapse_type.__class__.__name__}")
        self._pre_ids = np.asarray(self.pre.all_cells, dtype=np.int64)
        self._post_ids = np.asarray(self.post.all_cells, dtype=np.int64)
        check_projection_fits(connector, self)  # before anything is added to the network
        self._block = network.new_synapse_block(self.receptor_type, engine_model)
        if not fast_connect(connector, self):
            connector.connect(self)
        self._block.consolidate()
        self._check_weight_bounds()

    # every access to the synapses goes through _block: it refuses a Projection whose
    # network was destroyed by a later setup() (issue 14 item 5)
    @property
    def _block(self):
        block = self.__dict__.get("_engine_block")
        if block is not None:
            simulator.check_current(self, self._network)
        return block

    @_block.setter
    def _block(self, block):
        self._engine_block = block
        self._network = simulator.state.network

    # --- building ---------------------------------------------------------------

    def _delay_steps(self, delays):
        """Delays (ms) -> whole steps, range-checked after rounding, as NEST does.

        Halves round up (NEST converts times to integer tics, then to steps), and it
        is the rounded delay that must lie within [min_delay, max_delay].
        """
        state = simulator.state
        delays = np.asarray(delays, dtype=float)
        if not np.isfinite(delays).all():
            raise errors.ConnectionError(
                f"delay must be a finite number of ms, got {delays[~np.isfinite(delays)].flat[0]!r}")
        steps = np.floor(delays / state.dt + 0.5 + 1e-9).astype(np.int64)
        if steps.size:
            min_steps = max(int(round(state.min_delay / state.dt)), 1)
            max_steps = int(round(state.max_delay / state.dt))
            if steps.min() < min_steps:
                bad = delays.flat[int(np.argmin(steps))]
                raise errors.ConnectionError(
                    f"delay={float(bad)!r} ms is below the minimum delay "
                    f"min_delay={state.min_delay} ms (time step {state.dt} ms); "
                    "use longer delays or set setup(min_delay=...) lower")
            if steps.max() > max_steps:
                bad = delays.flat[int(np.argmax(steps))]
                raise errors.ConnectionError(
                    f"delay={float(bad)!r} ms exceeds max_delay={state.max_delay} ms; "
                    "pass a larger max_delay to setup()")
        return steps

    def _add_connections(self, pre_indices, post_indices, weights, delays, **parameters):
        """Add connections given as index arrays into pre and post (used by all connectors).

        ``parameters``: the other parameters of the synapse type (U, tau_plus...),
        per connection or scalar; ignored for StaticSynapse.
        """
        weights = np.asarray(weights, dtype=float)
        if not np.isfinite(weights).all():
            raise errors.ConnectionError(
                f"weight must be finite, got {weights[~np.isfinite(weights)].flat[0]!r}")
        extra = {}
        for name in self._block.parameter_names:   # the rule's (none for static synapses)
            value = parameters[name] if name in parameters else self._default_of(name)
            check_values(self.synapse_type, name, np.asarray(value, float))
            extra[name] = value
        pre_ids, post_ids = self._pre_ids[pre_indices], self._post_ids[post_indices]
        delay_steps = self._delay_steps(delays)
        owned = simulator.state.network.owned
        if owned is not None:
            # MPI: every rank evaluated every connection (the same random draws as one
            # process); it keeps those onto the cells it owns (engine/exchange.py)
            pre_ids, post_ids, weights, delay_steps, extra = _onto_owned(
                owned, pre_ids, post_ids, weights, delay_steps, extra)
        self._block.add(pre_ids, post_ids, weights, delay_steps, **extra)
        self._changed()

    def _check_weight_bounds(self):
        """STDP weights must lie on w_max's side of w_min (NEST: same sign as Wmax)."""
        wrong = self._block.wrong_side()
        if wrong is not None:
            raise self._weight_side_error(*wrong)

    def _weight_side_error(self, w, w_min, w_max):
        return errors.ConnectionError(
                f"{type(self.synapse_type).__name__}: weight={w!r} lies beyond w_min={w_min!r}"
                f" on the side away from w_max={w_max!r}, so the rule would change its sign. "
                "For negative weights (current-based inhibitory synapses) give the weight "
                "dependence a negative w_max, e.g. w_min=0.0, w_max=-0.1: weights then "
                "strengthen towards w_max.")

    def _default_of(self, name):
        """The synapse type's own value of ``name``, for connectors that do not pass it.

        (FromListConnector passes only the declared parameters, not the weight
        dependence's fixed exponents mu_plus/mu_minus.)
        """
        native = self.synapse_type.native_parameters
        if name not in native.keys() or not native[name].is_homogeneous:
            raise errors.ConnectionError(
                f"pyNN.tinysim: no value for synapse parameter {name!r}")
        native.shape = (1,)
        return float(np.asarray(native[name].evaluate(simplify=True)).ravel()[0])

    def _convergent_connect(self, presynaptic_indices, postsynaptic_index,
                            location_selector=None, **connection_parameters):
        if location_selector is not None:
            raise NotImplementedError(
                "pyNN.tinysim does not support multicompartmental models (location_selector).")
        parameters = dict(connection_parameters)
        self._add_connections(np.asarray(presynaptic_indices, dtype=np.int64), postsynaptic_index,
                              parameters.pop("weight"), parameters.pop("delay"), **parameters)

    def _changed(self):
        simulator.state.network.synapses_changed()

    # --- reading ----------------------------------------------------------------

    def __len__(self):
        return len(self._block)

    def __getitem__(self, i):
        if not -len(self) <= i < len(self):
            raise IndexError(f"connection index {i} out of range for {len(self)} connections")
        return Connection(self, i % len(self))

    @property
    def connections(self):
        """An iterator over the connections of this projection, as Connection objects."""
        return (Connection(self, i) for i in range(len(self)))

    def _pre_indices(self):
        return _indices_of(self._block.pre, self._pre_ids)

    def _post_indices(self):
        return _indices_of(self._block.post, self._post_ids)

    def _values_of(self, name):
        block = self._block
        block.consolidate()
        if name == "presynaptic_index":
            return self._pre_indices()
        if name == "postsynaptic_index":
            return self._post_indices()
        if name == "weight":
            return block.weight
        if name == "delay":
            return block.delay_steps * simulator.state.dt
        if name in block.params:
            return block.params[name]
        if name in block.state:
            return block.state[name]
        if name in block.fixed_attributes:
            return np.full(block.weight.size, block.fixed_attributes[name])
        raise errors.NonExistentParameterError(
            name, self.synapse_type, self.synapse_type.get_parameter_names())

    def _get_attributes_as_list(self, names):
        columns = [self._values_of(name) for name in names]
        return list(zip(*(c.tolist() for c in columns)))

    def _get_attributes_as_arrays(self, names, multiple_synapses="sum"):
        pre, post = self._pre_indices(), self._post_indices()
        result = []
        for name in names:
            values = self._values_of(name)
            array = np.full(self.shape, np.nan)
            if multiple_synapses == "sum":
                array[pre, post] = 0.0
                np.add.at(array, (pre, post), values)
            elif multiple_synapses == "min":
                array[pre, post] = np.inf
                np.minimum.at(array, (pre, post), values)
            elif multiple_synapses == "max":
                array[pre, post] = -np.inf
                np.maximum.at(array, (pre, post), values)
            elif multiple_synapses == "first":
                array[pre[::-1], post[::-1]] = values[::-1]
            else:  # "last": later assignments win
                array[pre, post] = values
            result.append(array)
        return result

    # --- writing ----------------------------------------------------------------

    def _set_attributes(self, parameter_space):
        block = self._block
        block.consolidate()
        pre, post = self._pre_indices(), self._post_indices()
        updates = {}
        dynamics = block.params
        for name, lazy_value in parameter_space.items():
            if name not in ("weight", "delay") and name not in dynamics:
                if name in block.fixed_attributes:
                    values = evaluate_per_connection(lazy_value, pre, post)
                    fixed = block.fixed_attributes[name]
                    if np.any(values != fixed):
                        raise errors.InvalidParameterValueError(
                            f"pyNN.tinysim: {name} must be {fixed:g} (all of the "
                            "delay dendritic, as in pyNN.nest)")
                    continue
                raise errors.NonExistentParameterError(
                    name, self.synapse_type, self.synapse_type.get_parameter_names())
            updates[name] = evaluate_per_connection(lazy_value, pre, post)
            if name in dynamics:
                check_values(self.synapse_type, name, np.asarray(updates[name], float))
        if "weight" in updates:
            weights = updates["weight"]
            check_weights_with_hint(weights, self)
            if not np.isfinite(weights).all():
                raise errors.ConnectionError("weight must be finite")
        if "delay" in updates:
            updates["delay"] = self._delay_steps(updates["delay"])
        # weights and the rule's parameters together: a combination that puts weights
        # on the wrong side of w_min is refused and leaves everything as it was
        written = {name: updates[name] for name in ("weight", *dynamics) if name in updates}
        if written:
            try:
                block.write(written)
            except WeightSideError as err:
                raise self._weight_side_error(*err.args) from None
        if "delay" in updates:
            block.set_delay_steps(np.array(np.broadcast_to(updates["delay"], (len(block),))))
        self._changed()

    def _set_initial_value_array(self, variable, initial_value):
        """Projection.initialize(): initial (and present) value of a synaptic state variable."""
        block = self._block
        block.consolidate()
        if variable not in block.state:
            raise errors.NonExistentParameterError(
                variable, self.synapse_type,
                sorted(block.state) or ["(none: no state variables)"])
        base = initial_value.base_value
        n = block.weight.size
        if isinstance(base, RandomDistribution):
            values = np.asarray(base.next(n), dtype=float)
        elif callable(base):
            raise errors.InvalidParameterValueError(
                f"pyNN.tinysim: initialize({variable}=<function>) is not supported")
        else:
            values = np.asarray(base, dtype=float)
            if values.ndim == 2:  # (pre x post) array, as get(format='array') returns
                values = values[self._pre_indices(), self._post_indices()]
            values = np.broadcast_to(values, (n,))
        if not np.isfinite(values).all():
            raise errors.InvalidParameterValueError(
                f"pyNN.tinysim: initial value of {variable} must be finite")
        block.set_initial_value(slice(None), variable, values)


def _onto_owned(owned, pre_ids, post_ids, weights, delay_steps, extra):
    """The connections (and their per-connection values) whose target this rank owns."""
    pre_ids, post_ids = np.broadcast_arrays(np.asarray(pre_ids), np.asarray(post_ids))
    keep = owned[post_ids]
    if keep.all():
        return pre_ids, post_ids, weights, delay_steps, extra
    n = keep.size

    def select(value):
        value = np.asarray(value)
        return value[keep] if value.ndim and value.size == n else value
    return (pre_ids[keep], post_ids[keep], select(weights), select(delay_steps),
            {name: select(value) for name, value in extra.items()})


def _indices_of(ids, all_ids):
    """Positions in ``all_ids`` (a Population's, View's or Assembly's cells) of ``ids``."""
    if all_ids.size and np.all(np.diff(all_ids) == 1):
        return ids - all_ids[0]
    order = np.argsort(all_ids, kind="stable")
    return order[np.searchsorted(all_ids, ids, sorter=order)]
