"""Projection of the sPyNNaker flavour: magnitudes, whole-step delays, board limits.

pyNN.tinysim's Projection (connections as arrays in an engine block), with
sPyNNaker's rules for weights and delays:

- weights are magnitudes: ``|w|`` is stored, the receptor type gives the sign;
  one projection may not mix positive and negative weights;
- delays become whole time steps with ``numpy.rint`` (halves to even), as
  sPyNNaker rounds them (a warning when a given delay is not a whole number of
  steps); delays shorter than one time step are clipped up to one step, as
  sPyNNaker's connectors clip them (and counted: sPyNNaker reports the count);
- a delay longer than the board supports is an error here, where sPyNNaker
  fails when it maps the network: the target core's ring buffer has
  ``2**(14 - atom bits - synapse-type bits)`` delay slots, and one delay
  extension multiplies that by 9 (8 more stages);
- ``download_synapses`` and ``partition_id`` (sPyNNaker arguments) are accepted.

Before each run the weights of static projections are put into sPyNNaker's
16-bit form (:mod:`.ring_buffers`), so after a run ``get('weight')`` reads what
the board would read back; the values given are kept and rescaled when the
network changes.
"""

import logging
import math

import numpy as np

from pyNN import errors
from pyNN.parameters import ParameterSpace
from pyNN.space import Space

from .. import simulator as core_simulator
from ..connectors import evaluate_per_connection
from ..projections import Projection as CoreProjection
from . import neuromodulation
from .synapses import StaticSynapse, check_synapse_type, check_not_mixed_signs
from .structural import is_structural, configure_projection
from .simulator import settings

logger = logging.getLogger("pyNN.tinysim.spinnaker")

#: bits of a ring-buffer index (sPyNNaker's MAX_RING_BUFFER_BITS)
MAX_RING_BUFFER_BITS = 14
#: extra delay stages one delay extension provides (DelayExtensionVertex.MAX_SLOTS)
DELAY_EXTENSION_SLOTS = 8


def n_bits(n_values):
    """Bits needed for ``n_values`` values (sPyNNaker's get_n_bits)."""
    if n_values <= 0:
        return 0
    if n_values == 1:
        return 1
    return int(math.ceil(math.log2(n_values)))


def delay_slots(population):
    """Delay slots of the ring buffer of a core of ``population`` (without extension)."""
    atoms = min(population.size, population.max_atoms_per_core())
    synapse_types = len(population.celltype.receptor_types)
    return 2 ** max(MAX_RING_BUFFER_BITS - n_bits(atoms) - n_bits(synapse_types), 0)


def max_delay_steps(population):
    """Longest delay (time steps) sPyNNaker supports into ``population``."""
    slots = delay_slots(population)
    if population.celltype.model_allows_delay_extensions():
        return slots * (1 + DELAY_EXTENSION_SLOTS)
    return slots


def check_delay_extensions(flavour):
    """sPyNNaker's one delay extension per source Population, with one delay per stage.

    A target Population handles delays up to ``min(2**bits(longest incoming delay),
    its delay slots)`` steps itself; a projection with longer delays needs a delay
    extension on its source, whose stages are that many steps long. A source
    whose projections need different stage lengths cannot be mapped (sPyNNaker's
    DelaySupportAdder raises); so neither can it here, when the run starts.
    """
    from .simulator import SpinnakerException
    stages = {}
    for post in flavour.populations:
        first, last = int(post.first_id), int(post.last_id)
        incoming = []
        for projection in flavour.projections:
            block = projection._block
            block.consolidate()
            mask = (block.post >= first) & (block.post <= last)
            if mask.any():
                incoming.append((projection, int(block.delay_steps[mask].max())))
        if not incoming:
            continue
        longest = max(d for _, d in incoming)
        handled = min(2 ** n_bits(longest), delay_slots(post))
        for projection, longest_here in incoming:
            if longest_here <= handled:
                continue
            for pre in _parent_populations(projection.pre):
                stage = stages.setdefault(id(pre), handled)
                if stage != handled:
                    raise SpinnakerException(
                        f"The delay per stage is already set to {stage}, and therefore "
                        f"{handled} is not yet feasible (sPyNNaker gives each source "
                        f"Population, here {pre.label!r}, one delay extension with one stage "
                        "length; its projections need delay extensions into Populations "
                        "whose cores hold different numbers of delay slots)")


def _parent_populations(cells):
    """The Populations a Population, PopulationView or Assembly is made of."""
    if hasattr(cells, "populations"):
        return [p for part in cells.populations for p in _parent_populations(part)]
    return [getattr(cells, "grandparent", cells)]


class Projection(CoreProjection):
    __doc__ = CoreProjection.__doc__
    _static_synapse_class = StaticSynapse

    def __init__(self, presynaptic_population, postsynaptic_population, connector,
                 synapse_type=None, source=None, receptor_type=None,
                 space=Space(), label=None, download_synapses=False, partition_id=None):
        flavour = settings()
        check_synapse_type(synapse_type)
        if space is None:               # sPyNNaker's default; PyNN needs a Space
            space = Space()
        # extra_models.Neuromodulation: receptor types "reward"/"punishment" (.neuromodulation)
        modulation = receptor_type
        receptor_type = neuromodulation.receptor_for(synapse_type, receptor_type,
                                                     postsynaptic_population, flavour)
        if download_synapses or partition_id is not None:
            logger.debug("Projection(download_synapses=%r, partition_id=%r): ignored",
                         download_synapses, partition_id)
        self._spinnaker_weight_signs = set()
        self._spinnaker_float_weights = None
        self._spinnaker_clipped = 0
        self._spinnaker_rounded = None
        self._spinnaker_max_steps = min(
            max_delay_steps(p) for p in _parent_populations(postsynaptic_population))
        super().__init__(presynaptic_population, postsynaptic_population, connector,
                         synapse_type, source, receptor_type or "excitatory", space, label)
        if is_structural(self.synapse_type):      # its block needs its rules and targets
            configure_projection(self)
        if receptor_type != modulation:
            neuromodulation.attach(self, modulation)
        flavour.projections.append(self)
        flavour.dirty = True
        if self._spinnaker_rounded is not None:
            given, used = self._spinnaker_rounded
            flavour.warn(logger, "Rounding delay of projection %s from %s ms to %s ms (sPyNNaker "
                         "rounds delays to whole time steps)", self.label, given, used)
        if self._spinnaker_clipped:
            flavour.warn(
                logger, "The delays in the connector %s from %s to %s was clipped to %s a total "
                "of %d times. This can be avoided by reducing the timestep or increasing the "
                "minimum delay to one timestep", type(connector).__name__, self.pre.label,
                self.post.label, core_simulator.state.dt, self._spinnaker_clipped)

    # --- building ---------------------------------------------------------------

    def _delay_steps(self, delays):
        """ms -> whole steps as sPyNNaker: clip below one step, rint, check the board limit."""
        dt = core_simulator.state.dt
        delays = np.asarray(delays, dtype=float)
        if not np.isfinite(delays).all():
            raise errors.ConnectionError(
                f"delay must be a finite number of ms, got {delays[~np.isfinite(delays)].flat[0]!r}")
        clipped = delays < dt * (1 - 1e-9)
        self._spinnaker_clipped += int(clipped.sum())
        steps = np.rint(np.where(clipped, dt, delays) / dt)
        off_grid = ~clipped & ~np.isclose(steps * dt, delays, rtol=0, atol=1e-9)
        if off_grid.any() and self._spinnaker_rounded is None:
            i = int(np.flatnonzero(off_grid.ravel())[0])
            self._spinnaker_rounded = (float(delays.flat[i]), float(steps.flat[i] * dt))
        steps = np.maximum(steps, 1).astype(np.int64)
        if steps.size and steps.max() > self._spinnaker_max_steps:
            bad = float(delays.flat[int(np.argmax(steps))])
            raise errors.ConnectionError(
                f"delay={bad!r} ms is longer than sPyNNaker supports into "
                f"{self.post.label!r}: {self._spinnaker_max_steps} time steps of {dt} ms "
                "(ring-buffer slots of the target core times 9 with a delay extension); "
                "use fewer neurons per core or a shorter delay")
        return steps

    def _add_connections(self, pre_indices, post_indices, weights, delays, **parameters):
        weights = np.asarray(weights, dtype=float)
        if getattr(self._connector, "safe", True):
            check_not_mixed_signs(self, weights)
        # one delay per connection, so clipped delays are counted per connection
        n = np.broadcast(np.asarray(pre_indices), np.asarray(post_indices)).size
        delays = np.broadcast_to(np.asarray(delays, dtype=float), (n,)) \
            if np.ndim(delays) == 0 else delays
        super()._add_connections(pre_indices, post_indices, np.abs(weights), delays,
                                 **parameters)

    def _set_attributes(self, parameter_space):
        if "weight" not in parameter_space.keys():
            return super()._set_attributes(parameter_space)
        block = self._block
        block.consolidate()
        weights = evaluate_per_connection(parameter_space["weight"], self._pre_indices(),
                                           self._post_indices())
        if not np.isfinite(weights).all():
            raise errors.ConnectionError("weight must be finite")
        self._spinnaker_weight_signs = set()
        check_not_mixed_signs(self, weights)
        rest = {name: value for name, value in parameter_space.items() if name != "weight"}
        if rest:
            super()._set_attributes(ParameterSpace(rest, shape=parameter_space.shape))
        block.set_weight(np.abs(np.broadcast_to(weights, block.weight.shape)))
        self._spinnaker_float_weights = None
        self._changed()

    def _changed(self):
        super()._changed()
        network = core_simulator.state.network
        flavour = network.spinnaker if network is not None else None
        if flavour is not None:
            flavour.dirty = True
