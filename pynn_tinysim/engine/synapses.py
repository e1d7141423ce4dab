"""Static synapses: one CSR by presynaptic id for the whole network, 12 bytes a synapse.

The :class:`SynapseStore` holds every static synapse of the network in three arrays:

- ``indptr`` (one entry per global id, plus one): the synapses of presynaptic id
  ``i`` are ``[indptr[i], indptr[i+1])``;
- ``keys`` (int32; int64 only when a key would not fit): ``delay_steps *
  row_size + input position``, the ring-buffer column the weight goes to and how
  many steps ahead (see :mod:`.ring`);
- ``weights`` (float64: weights are never rounded).

So a static synapse costs 12 bytes, whatever the projection; the delay, the
target and the receptor are all in its key. Within the row of one presynaptic id
the synapses are grouped by projection (in the order the projections were
made) and, within a projection, kept in the order they were made. A
:class:`StaticSynapseBlock` (one per projection) remembers, for each presynaptic
id it has, where its run starts in that row and how long it is: enough to read
and write its synapses (``Projection.get``/``set``) without a copy of them.

Building: connections are queued in the block as they are made (chunks of
presynaptic id, key and weight: 16 bytes a synapse) and merged into the store by
a counting sort at the next :meth:`SynapseStore.compile` (before a run, or when
a projection is read; in compiled code, :func:`.kernels.csr.place`, where the run
uses the compiled engine: the same arrays). Each chunk is freed as soon as it is placed, so the
first merge needs little more memory than the store itself; connections added
after that (a Projection made between runs) are merged into a new copy of the
store, which for a moment takes twice its size.

Delivering the spikes of one step is a handful of array operations whatever the
number of spikes or projections: gather the CSR rows of the spiking neurons,
turn keys into flat ring positions, and accumulate with ``np.add.at``
(``np.bincount`` when the spike volume is large).
"""

import ctypes
import ctypes.util
from types import MappingProxyType

import numpy as np

from .ring import key_dtype

#: queued chunks smaller than this are concatenated (per-cell connectors add one
#: small chunk per postsynaptic cell)
_COALESCE = 1 << 20
#: the merge places at most this many queued synapses at once (bounds its scratch memory)
_MERGE_CHUNK = 1 << 22


#: after this many bytes of queued chunks are freed, hand free heap memory back to the OS
_TRIM_BYTES = 1 << 26


def _load_malloc_trim():
    """glibc's malloc_trim, or None (other C libraries: nothing to do)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError, TypeError):
        return None


_malloc_trim = _load_malloc_trim()


def _return_free_memory():
    """Give memory freed by placed chunks back to the OS.

    Chunks of a few MB come from the C heap (glibc raises its mmap threshold as
    NumPy frees large arrays), and freeing them does not shrink the process:
    without this, the merge's peak would be the queue plus the whole store.
    """
    if _malloc_trim is not None:
        _malloc_trim(0)


def _ranges(starts, counts):
    """Concatenation of ``arange(s, s + c)`` for each (s, c): indices of CSR rows."""
    counts = np.asarray(counts, np.int64)
    n = int(counts.sum())
    shift = np.repeat(np.asarray(starts, np.int64) - (np.cumsum(counts) - counts), counts)
    idx = np.arange(n, dtype=np.int64)
    idx += shift
    return idx


class WeightSideError(ValueError):
    """A write would put a weight on the far side of w_min from w_max (see ``wrong_side``).

    ``args``: (weight, w_min, w_max) of the first such synapse. The front turns it
    into PyNN's ConnectionError.
    """


class ProjectionSynapses:
    """The one interface a Projection has to its synapses, static or plastic.

    Connect: :meth:`add` queues connections, :meth:`consolidate` makes them readable.
    Read: ``pre``, ``post``, ``weight``, ``delay_steps`` (arrays in connection order),
    :meth:`weight_at` / :meth:`delay_steps_at` (one connection), ``params`` and
    ``state`` (per-synapse arrays of the rule's parameters and state variables,
    empty for static synapses). Write: :meth:`set_weight`, :meth:`set_delay_steps`,
    :meth:`write` (weights and rule parameters together, all or nothing),
    :meth:`set_initial_value` (a rule's state variable).

    The network's side (compile, deliver, reset) is :class:`Delivery`.
    """

    #: per-synapse float parameters of the rule (PyNN names and units)
    parameter_names = ()
    #: per-synapse state variables of the rule
    state_names = ()
    #: attributes the engine implements at one value only: name -> that value
    #: (Projection.get reads it for every connection; set accepts only it)
    fixed_attributes = {}
    #: True when a run changes the weights (the spinnaker flavour quantizes only
    #: static weights before a run)
    plastic = False
    #: per-synapse arrays of the rule's parameters and state variables (name -> array);
    #: read-only and empty here, a plastic block has its own
    params = MappingProxyType({})
    state = MappingProxyType({})

    def consolidate(self):
        """Make queued connections readable (cheap when nothing is queued)."""

    def write(self, values):
        """Write ``values`` (name -> array over all connections: 'weight' and rule
        parameters) together; raise :class:`WeightSideError` and change nothing if the
        result puts a weight on the wrong side of w_min."""
        unknown = set(values) - {"weight"}
        if unknown:
            raise KeyError(sorted(unknown)[0])
        if "weight" in values:
            self.set_weight(np.array(np.broadcast_to(values["weight"], (len(self),))))

    def set_initial_value(self, index, name, values):
        """Initial (and present) value of state variable ``name`` of synapses ``index``."""
        raise KeyError(name)

    def wrong_side(self):
        """(weight, w_min, w_max) of a weight the rule would push across w_min, or None."""
        return None


class Delivery:
    """What the network's step loop sees of synapses: one list of these (Nengo's operators).

    The static synapses of every projection are one Delivery (the network's
    :class:`SynapseStore`); each plastic projection's synapses are one more
    (:class:`~.plasticity.PlasticSynapses`). Before a run the network calls
    :meth:`merge` on every one, reads ``max_delay_steps`` to size the ring buffer,
    calls :meth:`bind` with the ring's layout; then per run :meth:`start_run`,
    :meth:`deliver` each step with spikes (in list order), :meth:`end_run`; and
    :meth:`reset` at a PyNN reset().
    """

    #: number of synapses merged (0: nothing to deliver)
    size = 0
    max_delay_steps = 0

    def merge(self, layout):
        """Make every queued connection part of the delivery structures."""

    def bind(self, layout, n_slots):
        """Deliver into a ring buffer of ``n_slots`` rows laid out as ``layout``."""

    def start_run(self, dt):
        """Called before each run."""

    def deliver(self, spiking_ids, k, ring_flat):
        """Put what the spikes of ``spiking_ids`` (stamped k+1) transmit into the ring."""
        raise NotImplementedError

    def compiled_deliver(self, kernels):
        """A callable like :meth:`deliver` running compiled kernels, or None (the default:
        the step loop calls :meth:`deliver`). Asked once per run, after :meth:`start_run`;
        ``kernels``: the namespace of :func:`.kernels.load`."""
        return None

    def end_run(self, last_stamp):
        """Called after each run; ``last_stamp`` is the step count at the end."""

    def reset(self):
        """Back to t = 0."""


class SynapseBlock(ProjectionSynapses):
    """Connections as parallel arrays (pre id, post id, weight, delay in steps).

    The base of the plastic projections' storage (:mod:`.plasticity`), whose rules
    need per-connection arrays they update in place.
    """

    def __init__(self, receptor):
        self.receptor = receptor
        self.pre = np.zeros(0, np.int64)
        self.post = np.zeros(0, np.int64)
        self.weight = np.zeros(0)
        self.delay_steps = np.zeros(0, np.int64)
        self._pending = []

    def add(self, pre_ids, post_ids, weights, delay_steps):
        """Queue connections (arrays, or scalars broadcast to the connection count)."""
        pre_ids = np.asarray(pre_ids, np.int64)
        post_ids = np.broadcast_to(np.asarray(post_ids, np.int64), pre_ids.shape)
        weights = np.broadcast_to(np.asarray(weights, float), pre_ids.shape)
        delay_steps = np.broadcast_to(np.asarray(delay_steps, np.int64), pre_ids.shape)
        self._pending.append((pre_ids, post_ids, weights, delay_steps))

    def consolidate(self):
        """Concatenate queued connections into the arrays (cheap when nothing is queued)."""
        if self._pending:
            parts = list(zip(*self._pending))
            self.pre = np.concatenate([self.pre, *parts[0]])
            self.post = np.concatenate([self.post, *parts[1]])
            self.weight = np.concatenate([self.weight, *parts[2]])
            self.delay_steps = np.concatenate([self.delay_steps, *parts[3]])
            self._pending = []

    def __len__(self):
        return self.pre.size + sum(p[0].size for p in self._pending)


class StaticSynapseBlock(ProjectionSynapses):
    """The static synapses of one projection (one receptor type), kept in the store.

    ``pre``, ``post``, ``weight`` and ``delay_steps`` read the block's synapses
    (sorted by presynaptic id, then in the order they were made) as new arrays;
    assigning ``weight`` or ``delay_steps`` (or :meth:`set_weight`,
    :meth:`set_delay_steps`) writes them into the store.
    """

    def __init__(self, store, receptor):
        self.store = store
        self.receptor = receptor
        self._pending = []      # (pre ids, keys, weights, layout) chunks not yet stored
        self._small = []        # small chunks waiting to be concatenated
        self._n_small = 0
        self._n_pending = 0
        self.row_ids = np.zeros(0, np.int64)    # presynaptic ids with synapses here
        self.row_start = np.zeros(0, np.int64)  # where their run starts within their row
        self.row_count = np.zeros(0, np.int64)  # and how long it is
        self.n_stored = 0
        self._row_end = None    # cumulative row_count, for finding one synapse

    # --- building -------------------------------------------------------------

    def add(self, pre_ids, post_ids, weights, delay_steps, **params):
        """Queue connections (arrays, or scalars broadcast to the connection count)."""
        if params:
            raise ValueError(f"static synapses have no parameter {sorted(params)[0]!r}")
        pre = np.asarray(pre_ids, np.int64)
        n = pre.size
        if n == 0:
            return
        layout = self.store.current_layout()
        post = np.broadcast_to(np.asarray(post_ids, np.int64), pre.shape)
        delay = np.broadcast_to(np.asarray(delay_steps, np.int64), pre.shape)
        max_delay = int(delay.max())
        keys = delay * layout.row_size + layout.positions(post, self.receptor)
        chunk = (pre.astype(np.int32 if layout.id_group.size < 2**31 else np.int64),
                 keys.astype(key_dtype(max_delay, layout.row_size)),
                 np.array(np.broadcast_to(np.asarray(weights, float), pre.shape)),
                 layout)
        self.store.queued(max_delay)
        self._n_pending += n
        if n >= _COALESCE:
            self._flush_small()
            self._pending.append(chunk)
        else:
            if self._small and self._small[-1][3] is not layout:
                self._flush_small()
            self._small.append(chunk)
            self._n_small += n
            if self._n_small >= _COALESCE:
                self._flush_small()

    def _flush_small(self):
        if self._small:
            parts = list(zip(*self._small))
            dtype = np.result_type(*parts[1])
            self._pending.append((np.concatenate(parts[0]),
                                  np.concatenate(parts[1]).astype(dtype, copy=False),
                                  np.concatenate(parts[2]), parts[3][0]))
            self._small, self._n_small = [], 0

    # (consolidate: nothing to do, queued connections are merged by the store when read)

    def __len__(self):
        return self.n_stored + self._n_pending

    # --- reading and writing ----------------------------------------------------

    def global_index(self, index=None):
        """Positions in the store's arrays of this block's synapses, in block order.

        ``index``: one synapse (an int, in block order) rather than all of them.
        """
        store = self.store
        store.compile()
        if index is None:
            return _ranges(store.indptr[self.row_ids] + self.row_start, self.row_count)
        if self._row_end is None:
            self._row_end = np.cumsum(self.row_count)
        row = int(np.searchsorted(self._row_end, index, side="right"))
        before = int(self._row_end[row] - self.row_count[row])
        return int(store.indptr[self.row_ids[row]] + self.row_start[row]) + index - before

    def weight_at(self, index):
        position = self.global_index(index)
        return float(self.store.weights[position])

    def delay_steps_at(self, index):
        position = self.global_index(index)
        return int(self.store.keys[position] // self.store.layout.row_size)

    @property
    def pre(self):
        self.store.compile()
        return np.repeat(self.row_ids, self.row_count)

    # (each accessor finds the index first: that compiles the store, which replaces its arrays)

    @property
    def post(self):
        index = self.global_index()
        layout = self.store.layout
        return layout.post_ids(self.store.keys[index] % layout.row_size)

    @property
    def weight(self):
        index = self.global_index()
        return self.store.weights[index]

    @weight.setter
    def weight(self, values):
        self.set_weight(values)

    @property
    def delay_steps(self):
        index = self.global_index()
        return self.store.keys[index] // self.store.layout.row_size

    @delay_steps.setter
    def delay_steps(self, values):
        self.set_delay_steps(values)

    def set_weight(self, values, index=None):
        """Write weights of this block's synapses (all, or one: ``index`` in block order)."""
        position = self.global_index(index)
        self.store.weights[position] = values

    def set_delay_steps(self, values, index=None):
        """Write delays (steps) of this block's synapses (all, or one: ``index``)."""
        position = self.global_index(index)
        self.store.set_delay_steps(position, values)


class SynapseStore(Delivery):
    """Every static synapse of the network, in delivery order (see the module docstring)."""

    # above this many synaptic events per step, a dense bincount beats np.add.at
    _BINCOUNT_FRACTION = 0.25

    def __init__(self, current_layout):
        #: callable giving the network's present RingLayout
        self.current_layout = current_layout
        self.blocks = []
        self.layout = None                  # the layout the stored keys are written for
        self.indptr = np.zeros(1, np.int64)
        self.keys = np.zeros(0, np.int32)
        self.weights = np.zeros(0)
        self.max_delay_steps = 0            # bounds the ring buffer (never decreases)
        self._pending = False
        self.n_slots = self.row_size = self.ring_size = 0
        self._widen = False
        #: the compiled kernels (:mod:`.kernels`) where this run uses them, else None:
        #: then the merge places synapses with :func:`.kernels.csr.place` (same arrays)
        self.kernels = None
        # under MPI (see .exchange): per presynaptic id, its synapses on all ranks, so
        # that the summation choice below is the one-process one; None in one process
        self.global_counts = None

    def new_block(self, receptor):
        block = StaticSynapseBlock(self, receptor)
        self.blocks.append(block)
        return block

    def queued(self, max_delay):
        """A block queued connections with delays (steps) up to ``max_delay``."""
        self._pending = True
        self.max_delay_steps = max(self.max_delay_steps, max_delay)

    @property
    def size(self):
        return self.keys.size

    def queued_count(self):
        """How many synapses the next :meth:`compile` will merge."""
        return sum(block._n_pending for block in self.blocks) if self._pending else 0

    def min_delay_steps(self):
        """The shortest delay (steps) of any static synapse, None when there are none."""
        self.compile()
        if self.keys.size == 0:
            return None
        return int(self.keys.min() // self.layout.row_size) if self.layout.row_size else None

    def set_delay_steps(self, index, steps):
        """New delays for the synapses at ``index`` of the store's arrays."""
        steps = np.asarray(steps, np.int64)
        row_size = self.layout.row_size
        self.max_delay_steps = max(self.max_delay_steps, int(steps.max(initial=0)))
        dtype = key_dtype(self.max_delay_steps, row_size)
        if dtype != self.keys.dtype:
            self.keys = self.keys.astype(dtype)
        self.keys[index] = steps * row_size + self.keys[index] % row_size

    # --- compiling --------------------------------------------------------------

    def compile(self, layout=None):
        """Merge queued connections into the CSR and write every key for ``layout``.

        ``layout``: the network's present layout unless given. Cheap when nothing
        was queued and the layout is unchanged.
        """
        layout = self.current_layout() if layout is None else layout
        if not self._pending:
            if self.layout is not layout:
                self._relayout(layout)
            return
        n_ids = layout.id_group.size
        plans, total = [], np.zeros(n_ids, np.int64)
        for block in self.blocks:
            block._flush_small()
            counts = np.zeros(n_ids, np.int64)
            counts[block.row_ids] += block.row_count
            for pre, _, _, _ in block._pending:
                counts += np.bincount(pre, minlength=n_ids)
            rows = np.flatnonzero(counts)
            # where the block's run starts in each of its rows: after the earlier blocks'
            plans.append((rows, total[rows], counts[rows]))
            total += counts
        del counts
        indptr = np.zeros(n_ids + 1, np.int64)
        np.cumsum(total, out=indptr[1:])
        del total
        dtype = key_dtype(self.max_delay_steps, layout.row_size)
        keys = np.empty(int(indptr[-1]), dtype)
        weights = np.empty(int(indptr[-1]))
        fill = np.empty(n_ids, np.int64)    # next free place in each row of the block
        place = _place if self.kernels is None else self.kernels.place
        freed = 0
        # Blocks in the order of their first presynaptic id (stable), not of creation:
        # a projection writes only the rows of its source population, so those of one
        # source run one after the other, and the store's pages are touched as the
        # queue's chunks are freed; in creation order (often target by target) every
        # page would be touched while most of the queue is held, a peak of queue +
        # store. Each block's place in its rows is fixed (row_start), so the arrays
        # are the same whatever the order.
        order = sorted(range(len(self.blocks)),
                       key=lambda b: int(plans[b][0][0]) if plans[b][0].size else -1)
        for b in order:
            block, (rows, row_start, row_counts) = self.blocks[b], plans[b]
            fill[rows] = indptr[rows] + row_start
            if block.n_stored:              # synapses already stored: move them across
                src = _ranges(self.indptr[block.row_ids] + block.row_start, block.row_count)
                dst = _ranges(fill[block.row_ids], block.row_count)
                keys[dst] = self._keys_for(self.keys[src], self.layout, layout)
                weights[dst] = self.weights[src]
                fill[block.row_ids] += block.row_count
                del src, dst
            while block._pending:
                pre, chunk_keys, chunk_weights, chunk_layout = block._pending.pop(0)
                for lo in range(0, pre.size, _MERGE_CHUNK):
                    sl = slice(lo, lo + _MERGE_CHUNK)
                    place(pre[sl], self._keys_for(chunk_keys[sl], chunk_layout, layout),
                           chunk_weights[sl], fill, keys, weights)
                freed += pre.nbytes + chunk_keys.nbytes + chunk_weights.nbytes
                del pre, chunk_keys, chunk_weights
                if freed > _TRIM_BYTES:
                    _return_free_memory()
                    freed = 0
            block.row_ids, block.row_start, block.row_count = rows, row_start, row_counts
            block.n_stored = int(row_counts.sum())
            block._row_end = None
            block._n_pending = 0
        self.indptr, self.keys, self.weights = indptr, keys, weights
        self.layout = layout
        self._pending = False
        if freed:
            _return_free_memory()

    @staticmethod
    def _keys_for(keys, old, new):
        return keys if old is new else old.recode(keys, new)

    def _relayout(self, layout):
        """Rewrite the stored keys for a new layout (neurons were added)."""
        n_ids = layout.id_group.size
        if self.indptr.size < n_ids + 1:
            self.indptr = np.concatenate(
                [self.indptr, np.full(n_ids + 1 - self.indptr.size, self.indptr[-1])])
        if self.keys.size and self.layout is not None:
            dtype = key_dtype(self.max_delay_steps, layout.row_size)
            new_keys = np.empty(self.keys.size, dtype)
            for lo in range(0, self.keys.size, _MERGE_CHUNK):
                sl = slice(lo, lo + _MERGE_CHUNK)
                new_keys[sl] = self.layout.recode(self.keys[sl], layout)
            self.keys = new_keys
        self.layout = layout

    # --- running ----------------------------------------------------------------

    def merge(self, layout):
        self.compile(layout)

    def bind(self, layout, n_slots):
        self.bind_ring(n_slots, layout.row_size)

    def bind_ring(self, n_slots, row_size):
        """Deliver into a ring buffer of ``n_slots`` rows of ``row_size`` columns."""
        self.n_slots, self.row_size, self.ring_size = n_slots, row_size, n_slots * row_size
        # a key plus a slot offset must not overflow the keys' integer type
        self._widen = self.keys.dtype == np.int32 and 2 * self.ring_size >= np.iinfo(np.int32).max

    def deliver(self, spiking_ids, k, ring_flat):
        """Add the weights of the synapses of ``spiking_ids`` (spikes stamped k+1) to the ring."""
        starts = self.indptr[spiking_ids]
        counts = self.indptr[spiking_ids + 1] - starts
        if spiking_ids.size == 1:
            sl = slice(int(starts[0]), int(starts[0] + counts[0]))
            keys, weights = self.keys[sl], self.weights[sl]
        else:
            if int(counts.sum()) == 0:
                return
            idx = _ranges(starts, counts)
            keys, weights = self.keys[idx], self.weights[idx]
        if keys.size == 0:
            return
        # spike stamped k+1 with delay d arrives at step k+1+d
        if self._widen:
            keys = keys.astype(np.int64)
        flat = keys + ((k + 1) % self.n_slots) * self.row_size
        flat[flat >= self.ring_size] -= self.ring_size
        events = keys.size if self.global_counts is None else \
            int(self.global_counts[spiking_ids].sum())
        if events > self._BINCOUNT_FRACTION * self.ring_size:
            ring_flat += np.bincount(flat, weights, minlength=self.ring_size)
        else:
            np.add.at(ring_flat, flat, weights)

    def kernel_arrays(self):
        """(indptr, keys, weights, bincount limit, scratch): what the compiled delivery
        (:func:`.kernels.delivery.deliver_static`) reads, for the present ring."""
        return (self.indptr, self.keys, self.weights,
                self._BINCOUNT_FRACTION * self.ring_size, np.zeros(self.ring_size))

    def compiled_deliver(self, kernels):
        # the same sums in the same order, bincount path included (kernels/delivery.py)
        kernel = kernels.deliver_static
        indptr, keys, weights, limit, scratch = self.kernel_arrays()
        n_slots, row_size = self.n_slots, self.row_size
        global_counts = self.global_counts
        # (every argument passed: a call leaving Numba's defaults out takes its slow
        # dispatch path, ~170 us a call instead of ~2 us)
        if global_counts is not None:
            # under MPI: the choice made on all ranks' events (see deliver())
            def deliver(spiking_ids, k, ring_flat):
                dense = int(global_counts[spiking_ids].sum()) > limit
                kernel(spiking_ids, ((k + 1) % n_slots) * row_size, indptr, keys, weights,
                       ring_flat, -1.0 if dense else np.inf, scratch, 1, 1, 0)
            return deliver

        def deliver(spiking_ids, k, ring_flat):
            kernel(spiking_ids, ((k + 1) % n_slots) * row_size, indptr, keys, weights,
                   ring_flat, limit, scratch, 1, 1, 0)
        return deliver


def _place(pre, keys, weights, fill, out_keys, out_weights):
    """Put queued synapses into their rows, after what is there, in their queued order."""
    low = int(pre.min())
    if int(pre.max()) - low < 1 << 16:
        # ids of one projection's source usually span < 65536: NumPy's stable sort of
        # 16-bit integers is a radix sort, ~3x faster than the int32 timsort
        order = np.argsort((pre - low).astype(np.uint16), kind="stable")
    else:
        order = np.argsort(pre, kind="stable")
    sorted_pre = pre[order]
    n = sorted_pre.size
    new_row = np.ones(n, bool)
    new_row[1:] = sorted_pre[1:] != sorted_pre[:-1]
    first = np.flatnonzero(new_row)
    run_length = np.diff(np.append(first, n))
    rank = np.arange(n, dtype=np.int64) - np.repeat(first, run_length)
    row_ids = sorted_pre[first]
    dst = np.repeat(fill[row_ids], run_length) + rank
    out_keys[dst] = keys[order]
    out_weights[dst] = weights[order]
    fill[row_ids] += run_length
