"""sPyNNaker's own group connectors (``AllButMeConnector``, ``OneToOneOffsetConnector``)
and PyNN connectors whose meaning sPyNNaker changes (``OneToOneConnector`` between
Populations of different sizes, ``ArrayConnector``'s entries equal to 1).

Both come from sPyNNaker's ``extra_models`` and build their connections group by
group: the pre- and postsynaptic Populations (same size) are cut into
consecutive groups of ``n_neurons_per_group`` cells (default: the whole
Population), and a cell only connects within the group of the same number.
The rules follow sPyNNaker's on-board connection generators
(``connection_generator_all_but_me.h``, ``connection_generator_one_to_one_offset.h``):

- AllButMe: every presynaptic cell of a group to every postsynaptic cell of the
  same group except the one at the same position (a winner-take-all
  inhibition). With ``weights``, one group's g x (g - 1) weights, row by
  presynaptic position, the diagonal left out; the same for every group.
- OneToOneOffset: postsynaptic cell ``post`` (position ``v`` in its group) gets
  presynaptic cell ``post - offset``; past either end of the group that is
  wrapped around the group (``wrap=True``) or dropped.

Connections are built with a few array operations and handed to the flavour's
Projection like those of any vectorized connector (weights as magnitudes,
delays in whole steps).
"""

import numpy as np

from pyNN import connectors, errors
from pyNN.connectors import Connector

from ..connectors import connect_pairs, pynn_builds, register


def _group_size(connector_name, n_neurons_per_group, projection):
    n_pre, n_post = projection.pre.size, projection.post.size
    if n_pre != n_post:
        raise NotImplementedError(
            f"{connector_name} connects Populations of the same size only, as in sPyNNaker "
            f"(here {n_pre} and {n_post})")
    if n_neurons_per_group is None:
        return n_pre
    group = int(n_neurons_per_group)
    if group != n_neurons_per_group or group < 1:
        raise errors.InvalidParameterValueError(
            f"{connector_name}: n_neurons_per_group must be a positive integer, "
            f"not {n_neurons_per_group!r}")
    if group > n_pre:
        raise errors.InvalidParameterValueError(
            f"{connector_name}: n_neurons_per_group={group} is larger than the "
            f"Population ({n_pre} cells)")
    if n_pre % group:
        raise NotImplementedError(
            f"{connector_name}: the Population size ({n_pre}) must be a multiple of "
            f"n_neurons_per_group ({group}), as in sPyNNaker")
    return group


class AllButMeConnector(Connector):
    """Within each group, every cell to every other cell of the group (not itself).

    :param n_neurons_per_group: cells per group (default: the whole Population);
        must divide the Population size.
    :param weights: optional weights of one group, g x (g - 1) values, row by
        presynaptic position with the diagonal left out (sPyNNaker's order);
        they replace the synapse type's weight, in every group.
    """

    parameter_names = ("n_neurons_per_group", "weights")

    def __init__(self, n_neurons_per_group=None, weights=None, safe=True, verbose=False,
                 callback=None):
        super().__init__(safe=safe, callback=callback)
        self.n_neurons_per_group = n_neurons_per_group
        self.weights = None if weights is None else np.asarray(weights, dtype=float).ravel()
        if self.weights is not None and n_neurons_per_group is not None:
            self._check_weights(int(n_neurons_per_group))

    def _check_weights(self, group):
        expected = group * (group - 1)
        if self.weights.size != expected:
            raise errors.InvalidParameterValueError(
                f"AllButMeConnector: weights has {self.weights.size} values; a group of "
                f"{group} cells has {group} x ({group} - 1) = {expected} connections")

    def pairs(self, projection):
        """(pre, post, index into ``weights``) of every connection, post by post."""
        group = _group_size("AllButMeConnector", self.n_neurons_per_group, projection)
        n_groups = projection.pre.size // group
        post_value = np.repeat(np.arange(group), group - 1)           # g - 1 sources each
        others = np.arange(group - 1)
        pre_value = np.tile(others, group)
        pre_value = pre_value + (pre_value >= post_value)             # skip the diagonal
        # sPyNNaker's weight table: row = pre position, diagonal removed
        weight_index = pre_value * (group - 1) + post_value - (post_value > pre_value)
        offsets = np.repeat(np.arange(n_groups) * group, post_value.size)
        pre = np.tile(pre_value, n_groups) + offsets
        post = np.tile(post_value, n_groups) + offsets
        return pre, post, np.tile(weight_index, n_groups)

    def connect(self, projection):
        pre, post, weight_index = self.pairs(projection)
        fixed = None
        if self.weights is not None:
            self._check_weights(_group_size("AllButMeConnector", self.n_neurons_per_group,
                                            projection))
            fixed = {"weight": self.weights[weight_index]}
        connect_pairs(self, projection, pre, post, fixed_values=fixed)


class OneToOneOffsetConnector(Connector):
    """Cell ``i`` to cell ``i + offset`` of the same group, wrapping around it or not.

    :param offset: postsynaptic minus presynaptic position (may be negative);
        at most the group size in magnitude.
    :param wrap: past the end (or start) of a group, wrap around to its other
        end (True) or make no connection (False).
    :param n_neurons_per_group: cells per group (default: the whole Population).
    """

    parameter_names = ("offset", "wrap", "n_neurons_per_group")

    def __init__(self, offset, wrap, n_neurons_per_group=None, safe=True, verbose=False,
                 callback=None):
        super().__init__(safe=safe, callback=callback)
        self.offset = int(offset)
        self.wrap = bool(wrap)
        self.n_neurons_per_group = n_neurons_per_group

    def pairs(self, projection):
        """(pre, post) of every connection, in postsynaptic order."""
        group = _group_size("OneToOneOffsetConnector", self.n_neurons_per_group, projection)
        if abs(self.offset) > group:
            raise errors.InvalidParameterValueError(
                f"OneToOneOffsetConnector: offset={self.offset} is larger than the group "
                f"({group} cells)")
        post = np.arange(projection.post.size)
        start = post - post % group
        pre = post - self.offset
        below, above = pre < start, pre > start + group - 1
        if self.wrap:
            pre = pre + group * below - group * above
            return pre, post
        keep = ~(below | above)
        return pre[keep], post[keep]

    def connect(self, projection):
        pre, post = self.pairs(projection)
        connect_pairs(self, projection, pre, post)


class OneToOneConnector(connectors.OneToOneConnector):
    """PyNN's OneToOneConnector with sPyNNaker's rule for Populations of different sizes.

    sPyNNaker connects cell i to cell i for i < min(n_pre, n_post)
    (``one_to_one_connector.py`` keeps the atoms present in both); PyNN refuses
    different sizes.
    """

    def connect(self, projection):
        n = min(projection.pre.size, projection.post.size)
        index = np.arange(n)
        connect_pairs(self, projection, index, index)


class ArrayConnector(connectors.ArrayConnector):
    """PyNN's ArrayConnector with sPyNNaker's reading of the array.

    An entry equal to 1 is a connection, whatever the array's dtype; any other
    value (0, 2, 0.5, True is 1) is none (``array_connector.py``: ``array[i, j]
    == 1``). PyNN connects every non-zero entry.
    """

    def connect(self, projection):
        array = np.asarray(self.array)
        if array.shape != (projection.pre.size, projection.post.size):
            raise errors.InvalidDimensionsError(
                f"ArrayConnector: the array is {array.shape}, the projection "
                f"{projection.pre.size} x {projection.post.size}")
        pre, post = np.nonzero(array == 1)
        order = np.lexsort((pre, post))          # post by post, as the other connectors
        connect_pairs(self, projection, pre[order], post[order])


# Memory estimates (tinysim's registry, :mod:`pynn_tinysim.connectors`): the expected
# number of connections of each connector of this module, and the bytes a connection
# costs while it is built (measured with tracemalloc in tests/test_memory_estimates.py),
# so that a projection too large for the memory is refused before it is built. The
# connectors build themselves (``connect``), so the entries are estimate-only. An
# invalid group size makes the count raise: no estimate, and ``connect`` names it.

def _all_but_me_connections(connector, projection):
    group = _group_size("AllButMeConnector", connector.n_neurons_per_group, projection)
    return float(projection.pre.size * (group - 1))


def _one_to_one_offset_connections(connector, projection):
    group = _group_size("OneToOneOffsetConnector", connector.n_neurons_per_group, projection)
    per_group = group if connector.wrap else max(group - abs(connector.offset), 0)
    return float(projection.post.size // group * per_group)


# AllButMe: its index arrays (pre, post, weight index: int64, the group's pattern
# tiled) besides connect_pairs' parameters, 16 bytes more with its own weights;
# OneToOne(Offset): a few int64 arrays a postsynaptic cell; Array: the indices of
# the entries equal to 1 and their sorting, and the boolean map of them (measured
# with 1600 x 1600 arrays, 1 % and 10 % of ones: 88 bytes a connection and 0.28 a
# cell pair)
register(AllButMeConnector, pynn_builds, expected_in=_all_but_me_connections,
         peak_bytes=lambda c: 76 if c.weights is None else 92)
register(OneToOneOffsetConnector, pynn_builds, expected_in=_one_to_one_offset_connections,
         peak_bytes=142)
register(OneToOneConnector, pynn_builds, peak_bytes=145,
         expected_in=lambda c, prj: float(min(prj.pre.size, prj.post.size)))
register(ArrayConnector, pynn_builds, peak_bytes=88, pair_bytes=0.28,
         expected_in=lambda c, prj: float(np.count_nonzero(np.asarray(c.array) == 1)))
