"""Projection for pyNN.tinysim: connections stored as arrays in an engine SynapseBlock.

Connectors hand us connections a column at a time (``_convergent_connect``)
or, for the common connectors, all at once (:mod:`.connectors`); either way
they end up as parallel arrays (presynaptic id, postsynaptic id, weight,
delay in steps), never as Python objects per connection.
"""

import numpy as np

from pyNN import common, errors
from pyNN.core import is_listlike
from pyNN.random import RandomDistribution
from pyNN.space import Space
from pyNN.standardmodels import StandardSynapseType

from . import simulator
from .connectors import fast_connect
from .standardmodels.synapses import StaticSynapse, check_weights_with_hint


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
        return float(self.projection._block.weight[self.index])

    def _set_weight(self, w):
        self.projection._block.weight[self.index] = w
        self.projection._changed()

    def _get_delay(self):
        return float(self.projection._block.delay_steps[self.index] * simulator.state.dt)

    def _set_delay(self, d):
        self.projection._block.delay_steps[self.index] = self.projection._delay_steps(d)
        self.projection._changed()

    weight = property(_get_weight, _set_weight)
    delay = property(_get_delay, _set_delay)

    def as_tuple(self, *attribute_names):
        return tuple(getattr(self, name) for name in attribute_names)


class Projection(common.Projection):
    __doc__ = common.Projection.__doc__
    _simulator = simulator
    _static_synapse_class = StaticSynapse

    def __init__(self, presynaptic_population, postsynaptic_population, connector,
                 synapse_type=None, source=None, receptor_type=None,
                 space=Space(), label=None):
        network = simulator.state.require_setup()
        common.Projection.__init__(self, presynaptic_population, postsynaptic_population,
                                   connector, synapse_type, source, receptor_type,
                                   space, label)
        if not isinstance(self.synapse_type, StaticSynapse):
            raise errors.NoModelAvailableError(
                f"pyNN.tinysim does not support synapse type "
                f"{self.synapse_type.__class__.__name__} yet (only StaticSynapse)")
        self._pre_ids = np.asarray(self.pre.all_cells, dtype=np.int64)
        self._post_ids = np.asarray(self.post.all_cells, dtype=np.int64)
        self._block = network.new_synapse_block(self.receptor_type)
        if not fast_connect(connector, self):
            connector.connect(self)
        self._block.consolidate()

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

    def _add_connections(self, pre_indices, post_indices, weights, delays):
        """Add connections given as index arrays into pre and post (used by all connectors)."""
        weights = np.asarray(weights, dtype=float)
        if not np.isfinite(weights).all():
            raise errors.ConnectionError(
                f"weight must be finite, got {weights[~np.isfinite(weights)].flat[0]!r}")
        self._block.add(self._pre_ids[pre_indices], self._post_ids[post_indices],
                        weights, self._delay_steps(delays))
        self._changed()

    def _convergent_connect(self, presynaptic_indices, postsynaptic_index,
                            location_selector=None, **connection_parameters):
        if location_selector is not None:
            raise NotImplementedError(
                "pyNN.tinysim does not support multicompartmental models (location_selector).")
        self._add_connections(np.asarray(presynaptic_indices, dtype=np.int64), postsynaptic_index,
                              connection_parameters["weight"], connection_parameters["delay"])

    def _changed(self):
        simulator.state.network.synapses_changed()

    # --- reading ----------------------------------------------------------------

    def __len__(self):
        return len(self._block)

    def __getitem__(self, i):
        if not -len(self) <= i < len(self):
            raise IndexError(f"connection index {i} out of range for {len(self)} connections")
        return Connection(self, i % len(self))

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
        for name, lazy_value in parameter_space.items():
            if name not in ("weight", "delay"):
                raise errors.NonExistentParameterError(
                    name, self.synapse_type, self.synapse_type.get_parameter_names())
            updates[name] = _evaluate_per_connection(lazy_value, pre, post)
        if "weight" in updates:
            weights = updates["weight"]
            check_weights_with_hint(weights, self)
            if not np.isfinite(weights).all():
                raise errors.ConnectionError("weight must be finite")
        if "delay" in updates:
            updates["delay"] = self._delay_steps(updates["delay"])
        if "weight" in updates:
            block.weight = np.array(np.broadcast_to(updates["weight"], block.weight.shape))
        if "delay" in updates:
            block.delay_steps = np.array(np.broadcast_to(updates["delay"],
                                                         block.delay_steps.shape))
        self._changed()


def _indices_of(ids, all_ids):
    """Positions in ``all_ids`` (a Population's, View's or Assembly's cells) of ``ids``."""
    if all_ids.size and np.all(np.diff(all_ids) == 1):
        return ids - all_ids[0]
    order = np.argsort(all_ids, kind="stable")
    return order[np.searchsorted(all_ids, ids, sorter=order)]


def _evaluate_per_connection(lazy_value, pre, post):
    """The value of a (pre x post) LazyArray at each connection, in connection order."""
    if lazy_value.is_homogeneous:
        return np.asarray(lazy_value.evaluate(simplify=True), dtype=float)
    base = lazy_value.base_value
    if isinstance(base, RandomDistribution) and not lazy_value.operations:
        return np.asarray(base.next(pre.size), dtype=float)
    full = lazy_value.evaluate(simplify=False)
    return np.asarray(full, dtype=float)[pre, post]
