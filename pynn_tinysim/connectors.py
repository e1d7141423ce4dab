"""Vectorized building of the most used connectors, and the registry of them.

PyNN's generic connectors call ``Projection._convergent_connect`` once per
postsynaptic cell, which is correct for every connector but costs Python time
per cell. For AllToAll, OneToOne and FixedProbability -- the bulk of real
models -- :func:`fast_connect` builds all connections with a few array
operations instead. SmallWorldConnector, which PyNN itself leaves
unimplemented, is built here too (see :func:`_small_world_pairs`). Any other connector (or option, such as
``allow_self_connections='NoMutual'``) falls back to PyNN's generic code.

FixedProbability draws exactly the random numbers PyNN's generic code draws,
in the same order: one uniform number per (pre, post) pair, column by column
(postsynaptic cell by cell), from a copy of the connector's RNG (PyNN's lazy
arrays deep-copy it, so the connector's RNG itself is not advanced). So for a
given NumpyRNG seed, pyNN.tinysim builds the very same connections as pyNN.nest
and pyNN.brian2, and a cross-simulator comparison compares the same network.
The draws go by blocks of columns, which bounds memory for large projections.

FixedTotalNumber, FixedNumberPre and FixedNumberPost (integer ``n``, or for
the latter two a RandomDistribution of an integer distribution -- binomial,
poisson, uniform_int) are vectorized too, and also draw exactly PyNN's random
numbers in PyNN's order from the connector's RNG itself, which they advance just
as PyNN's generic code does (PyNN draws these from ``connector.rng`` directly,
not from a copy). For a given seed they build the very same multiset of
(pre, post) connections as PyNN's generic code (pyNN.nest, pyNN.brian2,
pyNN.mock):

* FixedTotalNumber: PyNN draws, per connection, a presynaptic index with
  ``randint`` and then a postsynaptic one with ``choice``, interleaved. Both
  are masked rejection sampling on 32-bit Mersenne Twister words, so we draw
  blocks of raw words and find which words each draw accepts with a
  two-state scan (:func:`_interleaved_pairs`). Like PyNN's generic code (and
  so pyNN.nest), ``allow_self_connections`` and ``with_replacement`` are
  ignored: connections are always drawn with replacement, self-connections
  included.
* FixedNumberPre/Post with replacement: all draws share one range, so the
  whole stream is one ``randint`` call; self-exclusion reproduces PyNN's
  redraw loop exactly (:func:`_uniform_int_excluding`).
* FixedNumberPre/Post without replacement: PyNN shuffles the whole candidate
  population once per cell; we do the same (one ``permutation`` call per
  cell: exact, O(n_pre * n_post) random numbers as in PyNN).

Differences from PyNN's generic code, all on purpose:

* FixedTotalNumber and FixedNumberPost add the connections in draw order,
  chunk by chunk, where PyNN groups them by postsynaptic cell first. The
  connections are the same, but per-connection random weights/delays (drawn
  from their own RNG) are assigned to them in another order: same
  distribution, not the same numbers. FixedNumberPre adds them in PyNN's order.
* Self-exclusion (``allow_self_connections=False``) for FixedNumberPre/Post
  compares cell ids, so it also works for overlapping PopulationViews or
  Assemblies. PyNN excludes only when ``projection.pre == projection.post``
  (then by index, which is the same thing, with the same random numbers); for
  partly overlapping pre and post PyNN creates self-connections anyway.
* A cell with no allowed partner at all (a one-cell population connected to
  itself without self-connections, n > 0, without replacement) raises
  ``pyNN.errors.ConnectionError``; PyNN fails with ZeroDivisionError.
* Weights/delays drawn from the connector's own RNG object would interleave
  with the connection draws in PyNN; here they come after each chunk.

Connections are generated and added in chunks of about ``_PAIRS_PER_CHUNK``,
which bounds memory for the largest projections.

The registry (:data:`REGISTRY`, filled at the end of this module) maps each PyNN
connector class to its vectorized builder, the test of whether an instance can be
built that way, and its expected connection count; :func:`fast_connect` (building)
and :func:`expected_connections` (the memory estimate, :mod:`.memory`) both read it,
so a connector is described in one place. To add one, write its builder here and
:func:`register` it.
"""

from copy import copy, deepcopy

import numpy as np

from pyNN import connectors, errors
from pyNN.random import NumpyRNG, RandomDistribution

_DRAWS_PER_BLOCK = 1 << 21  # uniform numbers drawn at once: bounds memory
_PAIRS_PER_CHUNK = 1 << 21  # connections generated and added at once: bounds memory
_INTEGER_DISTRIBUTIONS = ("binomial", "poisson", "uniform_int")


# --------------------------------------------------------------- the registry

class VectorizedConnector:
    """How tinysim builds one PyNN connector class with array operations.

    ``build(connector, projection)`` makes all the connections;
    ``supported(connector)`` says whether this connector instance (its options, its
    RNG) can be built exactly that way, else PyNN's generic per-cell code is used;
    ``expected(connector, n_pre, n_post)`` is the (expected) number of connections
    it makes, or None when unknown, for the memory estimate (:mod:`.memory`), which
    also reads ``peak_bytes`` (bytes per connection while building: pair indices,
    weights, delays and their sorting, before the 12-byte store; measured) and
    ``pair_bytes`` (bytes per (pre, post) cell pair, for builders that make dense
    pair arrays first) and ``post_bytes`` (per postsynaptic cell).

    A connector PyNN's own code builds may be registered for its estimate alone,
    with ``build`` :func:`pynn_builds` and the peak of PyNN's code measured (see the
    end of this module).
    """

    def __init__(self, build, supported=None, expected=None, peak_bytes=56, pair_bytes=0,
                 expected_in=None, post_bytes=0):
        self.build = build
        self.supported = supported or (lambda connector: True)
        self.expected = expected or (lambda connector, n_pre, n_post: None)
        self._peak_bytes = peak_bytes
        self.pair_bytes = pair_bytes
        self._expected_in = expected_in
        self.post_bytes = post_bytes

    def peak_bytes_of(self, connector):
        """Bytes per connection while ``connector`` builds (a number, or a function of it)."""
        return self._peak_bytes(connector) if callable(self._peak_bytes) else self._peak_bytes

    @property
    def peak_bytes(self):
        return self._peak_bytes

    def expected_in(self, connector, projection):
        """Expected connections of ``connector`` in ``projection`` (None: unknown).

        ``expected_in`` (given at registration) may look at the projection itself
        (cell positions, a file); by default the count depends on the sizes only.
        """
        if self._expected_in is not None:
            return self._expected_in(connector, projection)
        return self.expected(connector, projection.pre.size, projection.post.size)


#: connector class (exactly: a subclass may mean something else) -> VectorizedConnector
REGISTRY = {}


def register(connector_class, build, supported=None, expected=None, peak_bytes=56,
             pair_bytes=0, expected_in=None, post_bytes=0):
    """Declare a vectorized builder for ``connector_class`` (see :class:`VectorizedConnector`).

    A connector class of tinysim's own (such as the spinnaker flavour's) does not need
    this: it overrides ``connect(projection)`` and calls :func:`connect_pairs`.
    """
    REGISTRY[connector_class] = VectorizedConnector(build, supported, expected, peak_bytes,
                                                    pair_bytes, expected_in, post_bytes)


def mean_number(n):
    """The mean of a connector's ``n``: the number, or a RandomDistribution's mean
    estimated from a copy with its own RNG (the user's stream is untouched)."""
    if isinstance(n, RandomDistribution):
        sample = deepcopy(n)
        sample.rng = NumpyRNG(seed=12345)
        return float(np.mean(sample.next(1000)))
    return float(n)


def check_connection_list(connector, projection):
    """Indices of a FromListConnector (or FromFileConnector): whole numbers in range.

    PyNN's connect() would let -1 wrap round to the last cell, truncate 1.5 to 1 and
    drop out-of-range targets without a word; NEST refuses all of them.
    """
    conn_list = np.asarray(connector.conn_list)
    if conn_list.size == 0:
        return
    name = type(connector).__name__
    for column, side, cells in ((0, "source", projection.pre), (1, "target", projection.post)):
        try:
            index = np.asarray(conn_list[:, column], dtype=float)
        except (TypeError, ValueError, IndexError):
            raise errors.ConnectionError(
                f"{name}: the connection list must have numeric {side} indices in column "
                f"{column}") from None
        bad = ~np.isfinite(index) | (index != np.round(index)) | (index < 0) | \
            (index >= cells.size)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise errors.ConnectionError(
                f"{name}: {side} index {float(index[i]):g} (connection {i}) is not a valid index "
                f"into {cells.label!r}, which has {cells.size} cells (0 .. {cells.size - 1})")


def read_connection_file(connector, projection):
    """FromFileConnector: read its file into ``conn_list`` as PyNN's connect() does.

    PyNN reads the file inside connect(), after which nothing checks the indices;
    tinysim reads it first (once per Projection) so that they are checked as
    FromListConnector's are. A file of one connection is kept two-dimensional.
    """
    if connector.distributed:
        # one file per MPI rank, named <file>.<rank> (PyNN's convention)
        connector.file.rename(f"{connector.file.name}.{projection._simulator.state.mpi_rank}")
    columns = list(connector.file.get_metadata().get("columns", ("weight", "delay")))
    connector.column_names = [name for name in columns if name not in ("i", "j")]
    conn_list = np.asarray(connector.file.read())
    connector.conn_list = np.atleast_2d(conn_list) if conn_list.size else conn_list


def fast_connect(connector, projection):
    """Connect ``projection`` with a vectorized implementation; False if there is none."""
    if isinstance(connector, connectors.FromFileConnector):
        read_connection_file(connector, projection)
        check_connection_list(connector, projection)
        connectors.FromListConnector.connect(connector, projection)   # what PyNN does next
        return True
    if isinstance(connector, connectors.FromListConnector):
        check_connection_list(connector, projection)
        return False                            # then PyNN's own connect()
    entry = REGISTRY.get(type(connector))
    if entry is None or getattr(connector, "location_selector", None) is not None \
            or not entry.supported(connector):
        return False
    entry.build(connector, projection)
    return True


def expected_connections(connector, n_pre, n_post):
    """Expected number of connections ``connector`` makes, or None when unknown."""
    entry = REGISTRY.get(type(connector))
    return None if entry is None else entry.expected(connector, n_pre, n_post)


def _from_pairs(pairs):
    """A builder from ``pairs(connector, projection) -> (pre indices, post indices)``."""
    def build(connector, projection):
        pre, post = pairs(connector, projection)
        if not getattr(connector, "allow_self_connections", True):
            keep = projection._pre_ids[pre] != projection._post_ids[post]
            pre, post = pre[keep], post[keep]
        connect_pairs(connector, projection, pre, post)
    return build


def _self_option_is_bool(connector):
    return isinstance(connector.allow_self_connections, bool)


def _one_to_one_pairs(connector, projection):
    if projection.pre.size != projection.post.size:
        raise errors.InvalidDimensionsError(
            "OneToOneConnector does not support presynaptic and postsynaptic Populations "
            f"of different sizes ({projection.pre.size} and {projection.post.size})")
    pre = post = np.arange(projection.pre.size)
    return pre, post


def _all_pairs(n_pre, n_post):
    """Every (pre, post) pair, column by column as PyNN's generic code orders them."""
    return np.tile(np.arange(n_pre), n_post), np.repeat(np.arange(n_post), n_pre)


def _bernoulli_pairs(rng, n_pre, n_post, p):
    """(pre, post) index arrays of pairs with uniform draw < p, in PyNN's draw order.

    PyNN draws an (n_pre x n_post) matrix of uniforms column by column from a
    copy of ``rng``; we draw the same numbers in blocks of whole columns.
    """
    numpy_rng = deepcopy(rng).rng
    cols_per_block = max(1, _DRAWS_PER_BLOCK // max(n_pre, 1))
    pres, posts = [], []
    for first_col in range(0, n_post, cols_per_block):
        n_cols = min(cols_per_block, n_post - first_col)
        uniform = numpy_rng.uniform(0.0, 1.0, size=n_cols * n_pre).reshape(n_cols, n_pre)
        col, pre = np.nonzero(uniform < p)
        pres.append(pre)
        posts.append(col + first_col)
    if not pres:
        empty = np.zeros(0, np.int64)
        return empty, empty
    return np.concatenate(pres), np.concatenate(posts)


def _small_world_pairs(connector, projection):
    """Watts-Strogatz style small world: local connections, each rewired with a probability.

    Every pair closer than ``degree`` (in the projection's Space) is connected;
    with ``n_connections`` given, each presynaptic cell is instead connected to
    its ``n_connections`` nearest cells (ties broken by index). Then each
    connection, with probability ``rewiring``, gets a new postsynaptic cell drawn
    uniformly (never the presynaptic cell itself when self-connections are not
    allowed). Random numbers come from the connector's RNG.
    """
    rng = connector.rng
    n_pre, n_post = projection.pre.size, projection.post.size
    distances = np.asarray(connector._generate_distance_map(projection).evaluate(), float)
    distances = distances.reshape(n_pre, n_post)
    if not connector.allow_self_connections:
        same = projection._pre_ids[:, None] == projection._post_ids[None, :]
        distances = np.where(same, np.inf, distances)
    if connector.n_connections is None:
        pre, post = np.nonzero(distances < float(connector.d_expression.split("<")[1]))
    else:
        n = int(connector.n_connections)
        if n > np.isfinite(distances).sum(axis=1).min():
            raise errors.ConnectionError(
                f"SmallWorldConnector: n_connections={n} is more than the cells available")
        nearest = np.argsort(distances, axis=1, kind="stable")[:, :n]
        pre, post = np.repeat(np.arange(n_pre), n), nearest.ravel()
    if connector.rewiring > 0 and pre.size:
        rewire = np.asarray(rng.next(pre.size, "uniform", {"low": 0.0, "high": 1.0})) \
            < connector.rewiring
        n_new = int(rewire.sum())
        if n_new:
            new_post = np.asarray(rng.next(n_new, "uniform", {"low": 0.0, "high": 1.0}))
            new_post = np.minimum((new_post * n_post).astype(np.int64), n_post - 1)
            if not connector.allow_self_connections:
                # draw among the n_post - 1 cells other than the presynaptic one
                self_post = _indices_of_ids(projection._post_ids, projection._pre_ids[pre[rewire]])
                new_post = np.minimum((new_post * (n_post - 1) // n_post), n_post - 2)
                has_self = self_post >= 0
                new_post[has_self & (new_post >= self_post)] += 1
            post = post.copy()
            post[rewire] = new_post
    order = np.lexsort((pre, post))
    return pre[order], post[order]


def _indices_of_ids(all_ids, ids):
    """Position of each id in ``all_ids``, -1 where absent."""
    order = np.argsort(all_ids, kind="stable")
    pos = np.clip(np.searchsorted(all_ids, ids, sorter=order), 0, max(all_ids.size - 1, 0))
    found = all_ids[order[pos]] == ids
    return np.where(found, order[pos], -1)


def _parameters(connector, projection):
    """The synapse parameters as (pre x post) LazyArrays, random ones with their own RNG copy."""
    return connector._parameters_from_synapse_type(projection)


def evaluate_per_connection(lazy_value, pre, post):
    """The value of a (pre x post) LazyArray at each connection, in connection order.

    ``pre``, ``post``: index arrays of the connections into the projection's pre and
    post cells. Public: projections (both flavours) evaluate set() values with it.
    """
    if lazy_value.is_homogeneous:
        return np.asarray(lazy_value.evaluate(simplify=True), dtype=float)
    base = lazy_value.base_value
    if isinstance(base, RandomDistribution) and not lazy_value.operations:
        return np.asarray(base.next(pre.size), dtype=float)
    full = lazy_value.evaluate(simplify=False)
    # a function of distance may return a scalar (e.g. ``lambda d: 1``): broadcast it
    full = np.broadcast_to(np.asarray(full, dtype=float), lazy_value.shape)
    return full[pre, post]


def connect_pairs(connector, projection, pre, post, parameter_space=None, fixed_values=None):
    """Evaluate weights and delays for the given pairs, check them, add the connections.

    Public: the building block of every vectorized connector, including tinysim's own
    connector classes (the spinnaker flavour's), which override ``connect()``.
    ``pre``, ``post``: index arrays into the projection's pre and post cells.
    To add a projection's connections in several chunks, pass the same
    ``parameter_space`` (from :func:`_parameters`) for every chunk: each call of
    ``_parameters_from_synapse_type`` deep-copies random distributions with their
    RNG, so fresh ones would give every chunk the same random weights.
    ``fixed_values`` (name -> one value per pair) replaces the synapse type's
    values, for connectors that carry their own (sPyNNaker's AllButMeConnector).
    """
    if parameter_space is None:
        parameter_space = _parameters(connector, projection)
    fixed_values = fixed_values or {}
    values = {}
    for name, lazy_value in parameter_space.items():
        if name in fixed_values:
            values[name] = np.asarray(fixed_values[name], dtype=float)
        else:
            values[name] = evaluate_per_connection(lazy_value, pre, post)
    if connector.safe:
        for name, check in projection.synapse_type.parameter_checks.items():
            if name in values:
                check(values[name], projection)
    weights, delays = values.pop("weight"), values.pop("delay")
    projection._add_connections(pre, post, weights, delays, **values)


# --------------------------------------------------------------- fixed-number connectors

def _fixed_number_supported(connector):
    """Whether the fixed-number ``connector`` can be built exactly by the fast path."""
    if not isinstance(connector.rng, NumpyRNG):
        return False
    if not isinstance(connector.allow_self_connections, bool):
        return False
    n = connector.n
    if isinstance(n, RandomDistribution):
        if n.name not in _INTEGER_DISTRIBUTIONS:
            return False
        # PyNN draws FixedNumberPost's n once per presynaptic cell, interleaved with
        # the connection draws: only separable when they come from different RNGs
        if (isinstance(connector, connectors.FixedNumberPostConnector)
                and n.rng is connector.rng):
            return False
    elif not isinstance(n, int):
        return False
    if (not connector.allow_self_connections and not connector.rng.parallel_safe
            and isinstance(connector, connectors.FixedNumberPreConnector)):
        return False  # PyNN's generic code has its own (NotImplementedError) behaviour
    return True


def _cell_chunks(counts):
    """(first, last) ranges of cells with about ``_PAIRS_PER_CHUNK`` connections each."""
    ends = np.cumsum(counts)
    first = 0
    while first < counts.size:
        before = ends[first - 1] if first else 0
        last = int(np.searchsorted(ends, before + _PAIRS_PER_CHUNK, side="right"))
        last = min(max(last, first + 1), counts.size)
        yield first, last
        first = last


def _as_counts(values, size):
    counts = np.asarray(values)
    if counts.shape != (size,):
        counts = np.broadcast_to(counts, (size,))
    if counts.size and not np.all(counts == np.round(counts)):
        raise ValueError("the number of connections must be an integer")
    counts = counts.astype(np.int64)
    if counts.size and counts.min() < 0:
        raise ValueError("The sample number must be positive")
    return counts


def _self_partner(projection, from_pre):
    """For each cell of one side, the index of the same cell (by id) on the other, or -1."""
    if from_pre:
        return _indices_of_ids(projection._post_ids, projection._pre_ids)
    return _indices_of_ids(projection._pre_ids, projection._post_ids)


def _fixed_number_pre(connector, projection):
    """FixedNumberPreConnector: exactly PyNN's draws, added in PyNN's order."""
    n_pre, n_post = projection.pre.size, projection.post.size
    if isinstance(connector.n, int):
        counts = np.full(n_post, connector.n, dtype=np.int64)
    else:
        counts = _as_counts(connector.n.next(n_post), n_post)  # as _get_num_pre
    exclude = (None if connector.allow_self_connections
               else _self_partner(projection, from_pre=False))
    parameter_space = _parameters(connector, projection)
    for first, last in _cell_chunks(counts):
        chunk_counts = counts[first:last]
        chunk_exclude = None if exclude is None else exclude[first:last]
        pre = _draw_partners(connector, n_pre, chunk_counts, chunk_exclude)
        post = np.repeat(np.arange(first, last), chunk_counts)
        connect_pairs(connector, projection, pre, post, parameter_space)


def _fixed_number_post(connector, projection):
    """FixedNumberPostConnector: exactly PyNN's draws, added in draw order."""
    n_pre, n_post = projection.pre.size, projection.post.size
    if isinstance(connector.n, int):
        counts = np.full(n_pre, connector.n, dtype=np.int64)
    else:
        # PyNN draws one n per presynaptic cell (from the distribution's own RNG)
        counts = _as_counts([connector.n.next() for _ in range(n_pre)], n_pre)
    exclude = (None if connector.allow_self_connections
               else _self_partner(projection, from_pre=True))
    parameter_space = _parameters(connector, projection)
    for first, last in _cell_chunks(counts):
        chunk_counts = counts[first:last]
        chunk_exclude = None if exclude is None else exclude[first:last]
        post = _draw_partners(connector, n_post, chunk_counts, chunk_exclude)
        pre = np.repeat(np.arange(first, last), chunk_counts)
        connect_pairs(connector, projection, pre, post, parameter_space)


def _draw_partners(connector, size, counts, exclude):
    """Partner indices in [0, size) for consecutive cells, as PyNN draws them.

    ``counts``: how many partners each cell gets; ``exclude``: per cell, the
    partner index it must not get (-1: none), or None.
    """
    rs = connector.rng.rng
    if connector.with_replacement:
        if exclude is None or not np.any(exclude >= 0):
            return rs.randint(0, size, size=int(counts.sum()))
        return _uniform_int_excluding(rs, size, counts, exclude)
    return _without_replacement(rs, size, counts, exclude)


def _without_replacement(rs, size, counts, exclude):
    """PyNN: all allowed partners ``n // available`` times, then the first
    ``n % available`` of a permutation of them (one permutation per cell)."""
    out = np.empty(int(counts.sum()), dtype=np.int64)
    offset = 0
    all_cells = np.arange(size)
    for cell, n in enumerate(counts.tolist()):
        skip = -1 if exclude is None else int(exclude[cell])
        available = size - (skip >= 0)
        if n == 0:
            continue
        if available <= 0:
            raise errors.ConnectionError(
                f"cannot make {n} connections without replacement: no allowed partner cell")
        full_sets, remainder = divmod(n, available)
        if full_sets:
            allowed = all_cells if skip < 0 else np.delete(all_cells, skip)
            out[offset:offset + full_sets * available] = np.tile(allowed, full_sets)
            offset += full_sets * available
        if remainder:
            chosen = rs.permutation(available)[:remainder]
            if skip >= 0:
                chosen += chosen >= skip
            out[offset:offset + remainder] = chosen
            offset += remainder
    return out


class _DrawBuffer:
    """Values of ``randint(0, high)`` drawn on demand, never more than asked for."""

    def __init__(self, rs, high, n):
        self.rs, self.high = rs, high
        self.values = np.empty(max(n, 16), dtype=np.int64)
        self.values[:n] = rs.randint(0, high, size=n)
        self.size = n

    def extend(self, n):
        if self.size + n > self.values.size:
            grown = np.empty(max(2 * self.values.size, self.size + n), dtype=np.int64)
            grown[:self.size] = self.values[:self.size]
            self.values = grown
        self.values[self.size:self.size + n] = self.rs.randint(0, self.high, size=n)
        self.size += n


def _uniform_int_excluding(rs, high, counts, exclude):
    """PyNN's ``_rng_uniform_int_exclude`` for consecutive cells, vectorized.

    PyNN draws ``n`` values in [0, high) per cell, then redraws (in order) those
    equal to the excluded value until none is. All draws share one range, so
    the values form one ``randint`` stream. Exclusions are rare (about one
    draw in ``high``): we copy runs of cells whose draws hit no excluded value
    in bulk (windows of cells that grow while clean) and replay PyNN's redraw
    loop only for the cells that need it. Every value drawn is one PyNN draws,
    so the RNG ends in PyNN's state.
    """
    total = int(counts.sum())
    offsets = np.concatenate(([0], np.cumsum(counts)))
    out = np.empty(total, dtype=np.int64)
    buf = _DrawBuffer(rs, high, total)  # invariant: buf.size == pos + offsets[-1] - offsets[c]
    pos, cell, window, n_cells = 0, 0, 1, counts.size
    while cell < n_cells:
        end = min(n_cells, cell + window)
        length = int(offsets[end] - offsets[cell])
        values = buf.values[pos:pos + length]
        hits = values == np.repeat(exclude[cell:end], counts[cell:end])
        if not hits.any():
            out[offsets[cell]:offsets[end]] = values
            pos += length
            cell = end
            window *= 2
            continue
        first_hit = int(np.argmax(hits))
        bad = cell + int(np.searchsorted(offsets[cell + 1:end + 1] - offsets[cell], first_hit,
                                         side="right"))
        clean = int(offsets[bad] - offsets[cell])
        out[offsets[cell]:offsets[bad]] = values[:clean]
        pos += clean
        n, skip = int(counts[bad]), exclude[bad]
        result = buf.values[pos:pos + n].copy()
        consumed = n
        redraw = np.flatnonzero(result == skip)
        while redraw.size:
            buf.extend(redraw.size)
            redrawn = buf.values[pos + consumed:pos + consumed + redraw.size]
            consumed += redraw.size
            result[redraw] = redrawn
            redraw = redraw[redrawn == skip]
        out[offsets[bad]:offsets[bad + 1]] = result
        pos += consumed
        cell = bad + 1
        window = max(1, window // 2)
    assert buf.size == pos
    return out


def _fixed_total_number(connector, projection):
    """FixedTotalNumberConnector: PyNN's draws exactly, added in draw order."""
    state = projection._simulator.state
    rank, num_processes = state.mpi_rank, state.num_processes
    # as PyNN: the number of connections on this process is drawn from a binomial
    # distribution (which advances the connector's RNG even with one process)
    targets_per_process = int(len(projection.post) / num_processes)
    bino = RandomDistribution('binomial',
                              [connector.n, targets_per_process / len(projection.post)],
                              rng=connector.rng)
    num_conns_on_vp = np.zeros(num_processes, dtype=int)
    sum_dist = 0
    sum_partitions = 0
    for k in range(num_processes):
        bino.parameters['p'] = targets_per_process / (len(projection.post) - sum_dist)
        bino.parameters['n'] = connector.n - sum_partitions
        num_conns_on_vp[k] = bino.next()
        sum_dist += targets_per_process
        sum_partitions += num_conns_on_vp[k]
    possible_targets = np.arange(projection.post.size)[projection.post._mask_local]
    parameter_space = _parameters(connector, projection)
    for pre, post in _interleaved_pairs(connector.rng.rng, projection.pre.size,
                                        possible_targets.size, int(num_conns_on_vp[rank])):
        connect_pairs(connector, projection, pre, possible_targets[post], parameter_space)


def _bit_mask(n):
    """numpy's mask for masked rejection sampling of [0, n]."""
    mask = int(n)
    for shift in (1, 2, 4, 8, 16, 32):
        mask |= mask >> shift
    return mask


def _interleaved_pairs(rs, n_pre, n_post, n):
    """``n`` pairs (randint(0, n_pre), randint(0, n_post)) drawn alternately, by chunks.

    numpy's legacy ``randint`` with a range below 2**32 takes 32-bit words
    ``w`` from the Mersenne Twister until ``w & mask <= high - 1`` (masked
    rejection sampling); a range of one draws nothing. We draw blocks of raw
    words and decide for every word whether it is read by a presynaptic draw
    (state 0) or a postsynaptic one (state 1): a word acceptable to both flips
    the state, one acceptable to only one side sets it, one acceptable to
    neither keeps it -- so the state before each word follows from the last
    "setting" word and the parity of the flips since (a vectorized scan). The
    RNG is left exactly where PyNN's per-connection draws leave it.
    """
    if n <= 0:
        return
    if n_pre <= 0 or n_post <= 0:
        raise ValueError("high <= 0")
    if n_pre >= 2**32 or n_post >= 2**32:
        raise NotImplementedError("populations of 2**32 cells or more")
    if n_pre == 1 or n_post == 1:
        for done in range(0, n, _PAIRS_PER_CHUNK):
            k = min(_PAIRS_PER_CHUNK, n - done)
            pre = rs.randint(0, n_pre, size=k) if n_pre > 1 else np.zeros(k, np.int64)
            post = rs.randint(0, n_post, size=k) if n_post > 1 else np.zeros(k, np.int64)
            yield pre, post
        return
    mask_pre, mask_post = _bit_mask(n_pre - 1), _bit_mask(n_post - 1)
    words_per_pair = (mask_pre + 1) / n_pre + (mask_post + 1) / n_post
    done, pending = 0, None  # pending: a presynaptic index still waiting for its partner
    while done < n:
        k = min(_PAIRS_PER_CHUNK, n - done)
        saved = rs.get_state()
        words = rs.randint(0, 2**32, size=int(k * words_per_pair) + 64, dtype=np.uint32)
        masked = np.bitwise_and(words, np.uint32(mask_pre))
        ok_pre = masked < n_pre
        np.bitwise_and(words, np.uint32(mask_post), out=masked)
        ok_post = np.less(masked, n_post)
        del masked
        wants_post = _two_state_scan(ok_pre, ok_post, pending is not None)
        ok_post &= wants_post
        post_words = np.flatnonzero(ok_post)
        ok_pre &= ~wants_post
        pre_words = np.flatnonzero(ok_pre)
        del ok_pre, ok_post, wants_post
        pre = np.bitwise_and(words[pre_words], np.uint32(mask_pre)).astype(np.int64)
        if pending is not None:
            pre = np.concatenate(([pending], pre))
        post = np.bitwise_and(words[post_words], np.uint32(mask_post)).astype(np.int64)
        if post.size >= n - done:  # the last pair is in this block: keep only the words used
            k = n - done
            rs.set_state(saved)
            rs.randint(0, 2**32, size=int(post_words[k - 1]) + 1, dtype=np.uint32)
            yield pre[:k], post[:k]
            return
        pending = int(pre[post.size]) if pre.size > post.size else None
        done += post.size
        yield pre[:post.size], post


def _two_state_scan(ok_pre, ok_post, start_wants_post):
    """For each word, whether it is read by a postsynaptic draw (see _interleaved_pairs).

    The state after word i is that set by the last "setting" word j <= i (a word
    acceptable to one side only), flipped once per word acceptable to both
    since. With X the running parity of flips, it is Y[j] ^ X[i] where
    Y[j] = ok_pre[j] ^ X[j]; Y is carried forward by xor-ing in its changes at
    the setting words, so one running parity gives all states.
    """
    flips = ok_pre & ok_post
    setting = np.flatnonzero(ok_pre ^ ok_post)
    steps = flips.view(np.uint8).copy()
    if setting.size:
        flip_parity = np.cumsum(steps, dtype=np.uint8)  # only parity matters: wraps are harmless
        carried = ok_pre[setting] ^ (flip_parity[setting] & 1).view(bool)
        del flip_parity
        changes = carried.copy()
        changes[0] ^= bool(start_wants_post)
        changes[1:] ^= carried[:-1]
        steps[setting] = changes
    after = np.cumsum(steps, dtype=np.uint8)
    after &= 1
    if start_wants_post:
        after ^= 1
    before = np.empty(after.size, dtype=bool)
    before[0] = start_wants_post
    before[1:] = after[:-1].view(bool)
    return before


# --------------------------------------------------------------- what is registered

register(connectors.AllToAllConnector,
         _from_pairs(lambda c, p: _all_pairs(p.pre.size, p.post.size)),
         supported=_self_option_is_bool,
         expected=lambda c, n_pre, n_post: n_pre * n_post)
# (index arrays of the whole populations besides the synapses)
register(connectors.OneToOneConnector, _from_pairs(_one_to_one_pairs),
         expected=lambda c, n_pre, n_post: min(n_pre, n_post), peak_bytes=125)
register(connectors.FixedProbabilityConnector,
         _from_pairs(lambda c, p: _bernoulli_pairs(c.rng, p.pre.size, p.post.size,
                                                   c.p_connect)),
         supported=lambda c: _self_option_is_bool(c) and isinstance(c.rng, NumpyRNG),
         expected=lambda c, n_pre, n_post: c.p_connect * n_pre * n_post)
register(connectors.FixedTotalNumberConnector, _fixed_total_number,
         supported=lambda c: isinstance(c.rng, NumpyRNG) and isinstance(c.n, int),
         expected=lambda c, n_pre, n_post: c.n, peak_bytes=90)
register(connectors.FixedNumberPreConnector, _fixed_number_pre,
         supported=_fixed_number_supported,
         expected=lambda c, n_pre, n_post: mean_number(c.n) * n_post)
register(connectors.FixedNumberPostConnector, _fixed_number_post,
         supported=_fixed_number_supported,
         expected=lambda c, n_pre, n_post: mean_number(c.n) * n_pre)
# dense (pre x post) distance arrays first; with n_connections None the count comes
# from its distance expression (memory.distance_probability needs the projection)
register(connectors.SmallWorldConnector, _from_pairs(_small_world_pairs),
         supported=_self_option_is_bool,
         expected=lambda c, n_pre, n_post: (None if c.n_connections is None
                                            else float(c.n_connections) * n_pre),
         pair_bytes=52)


# --------------------------------------------------------------- estimates only
#
# Connectors PyNN's generic code builds (MapConnector's column-by-column map, or
# FromListConnector's target-by-target lists): registered for the memory estimate
# alone. Their peaks were measured with tracemalloc (tests/test_memory_estimates.py,
# 900 to 2500 cells a side): PyNN's per-column code keeps ~18-28 bytes a connection
# (the queued synapse and the column's index arrays); FromList copies and sorts the
# list (8 bytes a column a row, plus 24) and copies the synapse parameters once per
# target cell (~600 bytes each); reading a file (np.loadtxt) adds ~2 bytes a column
# a row at the peak; CSA masks are first turned into a dense boolean map (one byte
# a cell pair); CloneConnector reads the reference's weights as a dense array.

def pynn_builds(connector, projection):
    """The builder of an estimate-only entry: PyNN's own ``connect()``."""
    connector.connect(projection)


#: cell pairs on which an index or displacement expression is evaluated for the estimate
EXPRESSION_SAMPLES = 40_000
#: cell pairs of a CSA connection set iterated for the estimate
CSA_SAMPLES = 100_000


def _sample_columns(n_pre, n_post, budget):
    """Evenly spread postsynaptic indices, about ``budget`` cell pairs in all."""
    k = int(min(n_post, max(1, budget // max(n_pre, 1))))
    return np.unique(np.linspace(0, n_post - 1, k).astype(int))


def _expression_connections(connector, projection):
    """IndexBased / DisplacementDependent: mean of the expression's probability over
    evenly spread columns (as PyNN evaluates it: all presynaptic indices, one column)."""
    n_pre, n_post = projection.pre.size, projection.post.size
    if n_pre == 0 or n_post == 0:
        return 0.0
    expression = copy(connector.index_expression)
    expression.projection = projection
    i = np.arange(n_pre)
    total = 0.0
    columns = _sample_columns(n_pre, n_post, EXPRESSION_SAMPLES)
    with np.errstate(all="ignore"):
        for j in columns:
            p = np.broadcast_to(np.asarray(expression(i, int(j)), float), (n_pre,))
            total += float(np.clip(np.nan_to_num(p), 0.0, 1.0).sum())
    return total / columns.size * n_post


def _array_connections(connector, projection):
    return float(np.count_nonzero(np.asarray(connector.array)))


def _list_columns(connector):
    conn_list = np.asarray(connector.conn_list)
    return conn_list.shape[1] if conn_list.ndim == 2 else 2 + len(connector.column_names)


def _file_lines(connector):
    """(connections, columns) of a FromFileConnector's file, counted without loading it;
    None when the file is not a plain text file on disk."""
    name = getattr(connector.file, "name", None)
    if connector.distributed or not isinstance(name, str) or \
            type(connector.file).__name__ != "StandardTextFile":
        return None
    header, first, lines = 0, None, 0
    with open(name, "rb") as f:
        for line in f:
            if line.startswith(b"#"):
                header += 1
                continue
            first = line
            break
        f.seek(0)
        while True:
            block = f.read(1 << 20)
            if not block:
                break
            lines += block.count(b"\n")
            last = block
        if lines and not last.endswith(b"\n"):
            lines += 1
    if first is None:
        return 0, 2
    return lines - header, len(first.split())


def _csa_connections(connector, projection):
    """Connections of a CSA set in evenly spread blocks of columns, scaled up.

    Iterating a random CSA mask moves the global ``random`` and ``numpy.random``
    states; they are put back so that building gives what it gives without estimate.
    """
    import random

    import csa
    n_pre, n_post = projection.pre.size, projection.post.size
    if n_pre == 0 or n_post == 0:
        return 0.0
    width = int(min(n_post, max(1, CSA_SAMPLES // 8 // max(n_pre, 1))))
    starts = np.unique(np.linspace(0, n_post - width, min(8, n_post)).astype(int))
    states = random.getstate(), np.random.get_state()
    count = 0
    try:
        for j0 in starts:
            block = csa.cross((0, n_pre - 1), (int(j0), int(j0) + width - 1)) * connector.cset
            count += sum(1 for _ in block)
    finally:
        random.setstate(states[0])
        np.random.set_state(states[1])
    return count / (starts.size * width) * n_post


register(connectors.IndexBasedProbabilityConnector, pynn_builds,
         expected_in=_expression_connections, peak_bytes=26)
register(connectors.DisplacementDependentProbabilityConnector, pynn_builds,
         expected_in=_expression_connections, peak_bytes=18)
register(connectors.ArrayConnector, pynn_builds, expected_in=_array_connections, peak_bytes=20)
register(connectors.FromListConnector, pynn_builds,
         expected_in=lambda c, prj: float(len(np.asarray(c.conn_list))),
         peak_bytes=lambda c: 24 + 8 * _list_columns(c), post_bytes=600)
register(connectors.FromFileConnector, pynn_builds,
         expected_in=lambda c, prj: (_file_lines(c) or (None,))[0],
         peak_bytes=lambda c: 24 + 10 * (_file_lines(c) or (0, 4))[1], post_bytes=600)
# the reference's weights as a dense float array and its NaN map first (9 bytes a pair)
register(connectors.CloneConnector, pynn_builds, peak_bytes=45, pair_bytes=9,
         expected_in=lambda c, prj: float(len(c.reference_projection)))
if connectors.haveCSA:
    register(connectors.CSAConnector, pynn_builds, expected_in=_csa_connections, peak_bytes=20,
             pair_bytes=1)
