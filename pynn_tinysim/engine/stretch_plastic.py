"""What a compiled stretch takes from, and hands back to, the plastic projections.

A stretch (:mod:`.stretch`) delivers to the plastic projections itself
(:func:`.kernels.stretch_plastic.deliver_plastic`). Each projection describes itself as a
tuple of one-dimensional arrays (``stretch_arrays`` of the rule,
:mod:`.plasticity`: a pair rule's ``PAIR_FIELDS``, a Tsodyks-Markram one's
``TM_FIELDS``, SimpleStochastic's ``SIMPLE_FIELDS``, MultiQuantal's ``MQ_FIELDS``,
StochasticTsodyksMarkram's ``STM_FIELDS``; the sPyNNaker flavour's STDP
``BOARD_FIELDS`` with board weights, ``FLOAT_FIELDS`` in float mode,
``BoardTraces.stretch_arrays``). Handing the compiled code
one such tuple per projection would type
it by the number of projections (a tuple of n tuples: one compilation per count, and
slow to compile: ~2 s more per projection measured). So the projections of a kind are
laid end to end instead: field f of all of them is one array (an *arena*), projection
i's part of it ``arena[f][offsets[f, i]:offsets[f, i + 1]]``, and the fields of a
kind are themselves laid end to end in four arrays (read-only and written fields, int64
and float64: ``PlasticArenas._arena``; each array is an argument the compiled stretch
unboxes and counts references to); the compiled code cuts
those views out (:func:`.kernels.stretch_plastic.deliver_plastic`) and calls the rule's
kernel as for one projection. One type for any number of projections of any kind.

The arenas are copies: before a stretch the fields are gathered (the fields that
do not change during a run, indices and parameters, once per run while their arrays
stay the same objects); after it the fields the kernels change are written back into
the projections' own arrays (weights, traces, u/x/y...) and a pair rule turns its
queue of post events back into its heap (``stretch_finish``). Copying is
O(synapses) per stretch, as building a run's delivery already is.
"""

import numpy as np

from .kernels import plasticity as plastic_kernels
from .kernels import stretch_plastic as stretch_kernels

#: fields of a pair rule's tuple (kernels/plasticity.py's pair_deliver_queued)
PAIR_FIELDS = 36
#: of them, those the kernel changes (written back after a stretch): weight, traces,
#: stamps, pending potentiations, the queue of post events, the log of pending events
PAIR_CHANGED = (7, 12, 13, 14, 15, 16, 17, 23, 24, 25, 26, 27, 32, 33, 34, 35)
#: a Tsodyks-Markram rule's (tsodyks_markram_deliver's arrays, then ``consts``)
TM_FIELDS = 21
TM_CHANGED = (5, 6, 7, 8)
#: fields read only, but redone per stretch (decay tables grow, scratch, constants)
PAIR_FRESH = (18, 19, 20, 21, 22, 30, 31)
TM_FRESH = (9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20)
#: a SimpleStochastic rule's (simple_stochastic_deliver's arrays; its key a field): it
#: changes nothing but its scratch
SIMPLE_FIELDS = 11
SIMPLE_CHANGED = ()
SIMPLE_FRESH = (8, 9, 10)
#: a MultiQuantal rule's (multi_quantal_deliver's arrays; key, the table's saturation
#: and row length a field): u, a, the last spike's stamp change
MQ_FIELDS = 18
MQ_CHANGED = (6, 7, 8)
MQ_FRESH = (12, 13, 14, 15, 16, 17)
#: a StochasticTsodyksMarkram rule's (stochastic_tm_deliver's arrays; key, the table's
#: saturation and row length a field, dt another): u, R, t_surv, the last spike's stamp
#: change
STM_FIELDS = 19
STM_CHANGED = (5, 6, 7, 8)
STM_FRESH = (12, 13, 14, 15, 16, 17, 18)

#: the sPyNNaker flavour's STDP with board weights (kernels/spinnaker_plasticity.py's
#: ``_board_view``): weight, w_acc, the traces, stamps and pending events' rings, the
#: post history, the kernel's scratch and the queue change; the scratch for the due
#: events is sized by the queue
BOARD_FIELDS = 48
BOARD_CHANGED = (8, 9, 10, 13, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 35, 36, 37, 38,
                 40, 41, 42, 43, 44)
BOARD_FRESH = (45, 46, 47)
#: ... in float mode (``_float_view``): the decay tables grow (fresh, as the scratch)
FLOAT_FIELDS = 38
FLOAT_CHANGED = (6, 13, 14, 15, 16, 17, 18, 19, 20, 25, 26, 27, 28, 30, 31, 32, 33, 34)
FLOAT_FRESH = (21, 22, 23, 24, 35, 36, 37)

#: per kind (``stretch_kind``): its code in ``order`` (kernels/stretch_plastic.py's
#: ``KIND_*``), fields, changed fields, fresh fields
KINDS = {"pair": (stretch_kernels.KIND_PAIR, PAIR_FIELDS, PAIR_CHANGED, PAIR_FRESH),
         "tm": (stretch_kernels.KIND_TM, TM_FIELDS, TM_CHANGED, TM_FRESH),
         "simple": (stretch_kernels.KIND_SIMPLE, SIMPLE_FIELDS, SIMPLE_CHANGED, SIMPLE_FRESH),
         "mq": (stretch_kernels.KIND_MQ, MQ_FIELDS, MQ_CHANGED, MQ_FRESH),
         "stm": (stretch_kernels.KIND_STM, STM_FIELDS, STM_CHANGED, STM_FRESH),
         "board": (stretch_kernels.KIND_BOARD, BOARD_FIELDS, BOARD_CHANGED, BOARD_FRESH),
         "float": (stretch_kernels.KIND_FLOAT, FLOAT_FIELDS, FLOAT_CHANGED, FLOAT_FRESH)}
#: the kinds in the order of the ``plastic`` tuple's parts ((fields, offsets), or None)
_KIND_ORDER = ("pair", "tm", "simple", "mq", "stm", "board", "float")
#: per kind with a queue of post events: its fields q_stamp and qs
_QUEUES = {"pair": (23, 27), "board": (40, 44), "float": (30, 34)}


class PlasticArenas:
    """The plastic projections of one run, as a stretch's ``plastic`` tuple."""

    def __init__(self, deliveries):
        self.deliveries = list(deliveries)
        self._capacity = [0] * len(self.deliveries)  # their queues' sizes (spikes)
        self._kinds = [d.stretch_kind for d in self.deliveries]
        self._taken = None
        self._cache = {}
        self._rounds = None     # (pending, now): scratch for the rounds of a step's ids

    def take(self, k_stop, spikes):
        """(plastic, k_stop): the tuple a stretch up to ``k_stop`` passes to the kernels,
        and ``k_stop``, lowered where a rule's decay tables cannot cover that far;
        ``spikes``: the most spikes a step of the stretch delivers (the rounds' scratch,
        see kernels/plasticity.py)."""
        taken = []
        for i, delivery in enumerate(self.deliveries):
            arrays, k_stop = delivery.stretch_arrays(k_stop, self._capacity[i])
            taken.append(arrays)
        order, counts = [], dict.fromkeys(_KIND_ORDER, 0)
        for kind in self._kinds:
            order.append(counts[kind] * stretch_kernels.N_KINDS + KINDS[kind][0])
            counts[kind] += 1
        self._taken = taken
        # a kind without projections is None (the compiled code then leaves its rule
        # out: a stretch compiles only the rules it delivers to)
        self._parts = {}
        for kind in _KIND_ORDER:
            _, n_fields, changed, fresh = KINDS[kind]
            tuples = [t for t, k in zip(taken, self._kinds) if k == kind]
            self._parts[kind] = (self._arena(kind, tuples, n_fields, fresh + changed)
                                 if tuples else None)
        if self._rounds is None or self._rounds[0].size < spikes:
            self._rounds = (np.empty(spikes, np.int64), np.empty(spikes, np.int64))
        return (np.array(order, np.int64), *(self._parts[k] for k in _KIND_ORDER),
                *self._rounds), k_stop

    def _arena(self, kind, tuples, n_fields, written):
        """(read ints, written ints, read floats, written floats, offsets): the fields of
        the projections ``tuples`` of one kind laid end to end, in four arrays by dtype
        and by whether a stretch only reads the field (kernels/stretch_plastic.py's
        views name each field's array); field f of projection i is
        ``array[offsets[f, i]:offsets[f, i + 1]]``. The read-only fields are gathered
        again only where a projection's array is no longer the same object."""
        floats = _FLOATS[kind]
        offsets = np.zeros((n_fields, len(tuples) + 1), np.int64)
        groups = {(dtype, w): [] for dtype in (np.int64, np.float64) for w in (False, True)}
        for f in range(n_fields):
            group = groups[(np.float64 if f in floats else np.int64, f in written)]
            start = sum(p.size for p in group)
            parts = [t[f] for t in tuples]
            offsets[f, 0] = start
            np.cumsum([p.size for p in parts], out=offsets[f, 1:])
            offsets[f, 1:] += start
            group.extend(parts)
        arrays = {}
        for (dtype, w), parts in groups.items():
            cached = self._cache.get((kind, dtype))
            if (not w and cached is not None and len(cached[0]) == len(parts)
                    and all(a is b for a, b in zip(cached[0], parts))):
                arrays[(dtype, w)] = cached[1]
                continue
            arena = np.concatenate(parts).astype(dtype, copy=False) if parts else \
                np.zeros(0, dtype)
            if not w:
                self._cache[(kind, dtype)] = (parts, arena)
            arrays[(dtype, w)] = arena
        return (arrays[(np.int64, False)], arrays[(np.int64, True)],
                arrays[(np.float64, False)], arrays[(np.float64, True)], offsets)

    def full(self):
        """Whether a queue of post events stopped the stretch (``Q_FULL``)."""
        for kind, (_, qs_field) in _QUEUES.items():
            if self._parts[kind] is not None:
                _, written, _, _, offsets = self._parts[kind]
                qs = written[offsets[qs_field, 0]:offsets[qs_field, -1]].reshape(
                    -1, plastic_kernels.Q_SIZE)
                if qs[:, plastic_kernels.Q_FULL].any():
                    return True
        return False

    def give_back(self):
        """Write the changed fields back into each projection's arrays and hand the pair
        rules their queues (into their heaps); a queue that was full gets twice the
        room at the next :meth:`take`."""
        if self._taken is None:
            return
        counters = dict.fromkeys(_KIND_ORDER, 0)
        for i, (delivery, arrays, kind) in enumerate(zip(self.deliveries, self._taken,
                                                          self._kinds)):
            j = counters[kind]
            counters[kind] += 1
            (_, ints, _, floats, offsets), changed = self._parts[kind], KINDS[kind][2]
            for f in changed:
                arena = floats if f in _FLOATS[kind] else ints
                arrays[f][:] = arena[offsets[f, j]:offsets[f, j + 1]]
            held, was_full = delivery.stretch_finish(arrays)
            if was_full:
                self._capacity[i] = 2 * max(arrays[_QUEUES[kind][0]].size, held)
        self._taken = None


#: per kind, the fields of float64 (the others are int64)
_FLOATS = {"pair": (7, 8, 9, 10, 11, 12, 13, 17, 18, 19, 28, 29, 35),
           "tm": (3, 4, 5, 6, 7, 9, 14, 15, 17, 18, 19, 20),
           "simple": (3, 4),
           "mq": (3, 4, 5, 6, 7, 13),
           "stm": (3, 4, 5, 6, 7, 13, 14),
           "board": (10, 11, 20, 21, 22, 23, 27, 30),
           "float": (6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 20, 21, 22, 23, 24)}
