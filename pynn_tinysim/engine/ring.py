"""The layout of a ring-buffer row: where each (neuron group, receptor, neuron) input sits.

The ring buffer (see :mod:`.network`) has one row per future time step and one
column per input. Group ``g`` owns the columns ``offset[g] : offset[g] + R * size``
(R receptors, receptor-major), so its input for one step is a ``(R, size)`` view.

A synapse is stored as one integer ``key = delay_steps * row_size + position``
(:mod:`.synapses`). Keys depend on the layout, which changes only when neurons
are added (a group grows, or a new model family appears); :meth:`RingLayout.recode`
then maps keys of an old layout to a new one. Groups are only ever appended to
and never reordered, so a group keeps its index from one layout to the next.
"""

import numpy as np


class RingLayout:
    """Column offsets of every group's inputs in a ring-buffer row, frozen at creation."""

    def __init__(self, groups, n_ids):
        self.groups = list(groups)
        self.size = np.array([g.size for g in self.groups], np.int64)
        self.n_receptors = np.array([len(g.receptors) for g in self.groups], np.int64)
        widths = self.size * self.n_receptors
        self.offset = np.cumsum(widths) - widths       # exclusive prefix sum
        self.row_size = int(widths.sum())
        self.signature = tuple((id(g), g.size) for g in self.groups)
        # global id -> group index (-1: no such neuron) and index within the group
        self.id_group = np.full(n_ids, -1, np.int32)
        self.id_local = np.zeros(n_ids, np.int64)
        for i, g in enumerate(self.groups):
            self.id_group[g.ids] = i
            self.id_local[g.ids] = np.arange(g.size)
        self._receptor_tables = {}
        self._position_tables = {}
        # groups that own columns, for decoding a position back to its group
        self._wide = np.flatnonzero(widths > 0)

    def matches(self, groups):
        """True when ``groups`` (the network's, now) still have this layout."""
        return self.signature == tuple((id(g), g.size) for g in groups)

    def receptor_index(self, receptor):
        """Per group: the row of ``receptor`` in the group's input block, -1 if it has none."""
        table = self._receptor_tables.get(receptor)
        if table is None:
            table = np.array([list(g.receptors).index(receptor) if receptor in g.receptors
                              else -1 for g in self.groups], np.int64)
            self._receptor_tables[receptor] = table
        return table

    def positions(self, post_ids, receptor):
        """Column of input ``receptor`` of each neuron in ``post_ids`` (global ids)."""
        table = self._position_tables.get(receptor)
        if table is None:       # one lookup table per receptor: one gather per connection
            gi = self.id_group
            r = self.receptor_index(receptor)[gi]
            table = np.where((gi >= 0) & (r >= 0),
                             self.offset[gi] + r * self.size[gi] + self.id_local, -1)
            self._position_tables[receptor] = table
        positions = table[post_ids]
        if positions.size and positions.min() < 0:
            raise ValueError(f"receptor type {receptor!r} does not exist on a target")
        return positions

    def decode(self, positions):
        """(group index, receptor row, index in group) of each column in ``positions``."""
        positions = np.asarray(positions, np.int64)
        wide = self._wide
        gi = wide[np.searchsorted(self.offset[wide], positions, side="right") - 1]
        r, local = np.divmod(positions - self.offset[gi], self.size[gi])
        return gi, r, local

    def post_ids(self, positions):
        """Global id of the neuron each column in ``positions`` belongs to."""
        gi, _, local = self.decode(positions)
        out = np.empty(gi.size, np.int64)
        for i in np.unique(gi):
            mask = gi == i
            out[mask] = self.groups[i].ids[local[mask]]
        return out

    def recode(self, keys, new):
        """Keys of this layout, rewritten for layout ``new`` (same delays, same inputs)."""
        keys = np.asarray(keys)
        delay, pos = np.divmod(keys.astype(np.int64), self.row_size)
        gi, r, local = self.decode(pos)
        out = delay * new.row_size + new.offset[gi] + r * new.size[gi] + local
        return out.astype(key_dtype(int(delay.max(initial=0)), new.row_size))


def key_dtype(max_delay_steps, row_size):
    """int32 keys while every key fits (4 bytes a synapse), int64 beyond."""
    return np.int32 if (max_delay_steps + 1) * max(row_size, 1) < np.iinfo(np.int32).max \
        else np.int64
