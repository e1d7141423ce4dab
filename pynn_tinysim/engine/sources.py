"""Spike sources: Poisson processes and explicit spike-time arrays.

(The random renewal sources, drawn window by window like :class:`WindowedSource`,
are in :mod:`.renewal_sources`; :class:`PoissonSource` draws step by step.)

Sources have no input and no subthreshold state; each step they emit the
spikes scheduled for it. Spikes are put on the same time grid as neuron spikes:
a spike at time t is stamped ceil(t / dt) steps and is emitted by the step that
ends at that stamp, so it reaches its targets at stamp * dt + delay (NEST's
convention for spike_generator and poisson_generator).

Delivery is always on the grid. What is *recorded* for a SpikeArraySource may
be the exact requested times instead (``Network.exact_source_times``, set from
PyNN's ``spike_precision='off_grid'``, pyNN.nest's default): pyNN.nest then
records a spike_generator's times unrounded (through parrot_neuron_ps).
"""

import numpy as np

from . import kernels as compiled_kernels
from . import keyed
from .kernels import poisson as poisson_kernels
from .groups import NeuronGroup


class _EventSource(NeuronGroup):
    """A source whose spikes are a precomputed list of (step, neuron) events."""

    recordable = ()

    def __init__(self, network):
        super().__init__(network)
        self._clear_events()

    def _clear_events(self):
        self._event_steps = np.zeros(0, np.int64)
        self._event_neurons = np.zeros(0, np.int64)
        self._event_times = None
        self._cursor = 0

    def invalidate(self):
        # events drawn for the old neurons or parameters are void (start_run draws anew)
        super().invalidate()
        self._clear_events()

    def _compute_propagators(self, dt):
        pass

    def _set_events(self, steps, neurons, from_step, times=None):
        low = int(steps.min()) if steps.size else 0
        if steps.size and int(steps.max()) - low < 1 << 16:
            # a window's steps span < 65536: NumPy's stable sort of 16-bit integers is a
            # radix sort, ~5x faster than int64's timsort, and (stable) the same order
            order = np.argsort((steps - low).astype(np.uint16), kind="stable")
        else:
            order = np.argsort(steps, kind="stable")
        self._event_steps = steps[order]
        self._event_neurons = neurons[order]
        self._event_times = None if times is None else times[order]
        self._cursor = int(np.searchsorted(self._event_steps, from_step))

    def compiled_events(self):
        """(event steps, local neurons, cursor, until) for a compiled stretch of steps.

        The stretch emits this source's events itself up to step ``until`` (excluded)
        and hands the cursor back through :meth:`set_cursor`. None: the source must
        run its own :meth:`step` (a subclass's own step, or exact times to record).
        """
        if type(self).step not in (_EventSource.step, WindowedSource.step):
            return None
        if self._event_times is not None and self.spike_recorder is not None:
            return None
        return self._event_steps, self._event_neurons, self._cursor, self._events_until()

    def _events_until(self):
        return np.iinfo(np.int64).max       # every event is known

    def set_cursor(self, cursor):
        """Where the next step's events start (after a compiled stretch)."""
        self._cursor = int(cursor)

    def step(self, k, inputs):
        steps = self._event_steps
        lo = self._cursor
        if lo >= steps.size or steps[lo] != k:
            return NO_SPIKES
        hi = int(np.searchsorted(steps, k, side="right"))
        self._cursor = hi
        if self._event_times is not None:
            self.emitted_times = self._event_times[lo:hi]
        return self._event_neurons[lo:hi]


#: the empty event list (steps or neurons) a source returns when nothing fires; shared
#: by every event source, never written to
NO_SPIKES = np.zeros(0, np.int64)

#: the highest mean rate (Hz) a spike source accepts: 10 000 spikes per ms per cell.
#: Beyond it the event arrays of one step would not fit in memory (and NumPy's Poisson
#: sampler refuses means above ~1e19 with "lam value too large"), so absurd rates are
#: refused when set rather than failing or hanging in run()
MAX_RATE_HZ = 1e7


class SpikeArraySource(_EventSource):
    """SpikeSourceArray: each neuron emits the spikes in its own list of times (ms)."""

    parameter_names = ()
    array_parameter_names = ("spike_times",)

    def __init__(self, network):
        super().__init__(network)
        self.spike_times = []  # one float array per neuron

    def add_neurons(self, ids, parameters, initial_values):
        index = super().add_neurons(ids, {}, initial_values)
        self.spike_times.extend(np.asarray(t, float) for t in parameters["spike_times"])
        return index

    def set_spike_times(self, local_indices, spike_time_arrays):
        for i, times in zip(local_indices, spike_time_arrays):
            self.spike_times[i] = np.asarray(times, float)
        self.invalidate()

    def get_array_parameter(self, name, positions):
        if name != "spike_times":
            raise KeyError(name)
        return [self.spike_times[i] for i in positions]

    def set_array_parameter(self, positions, name, rows):
        if name != "spike_times":
            raise KeyError(name)
        self.set_spike_times(positions, rows)

    def start_run(self, first_step, n_steps, dt):
        counts = np.fromiter((t.size for t in self.spike_times), np.int64, self.size)
        if counts.sum() == 0:
            self._set_events(NO_SPIKES, NO_SPIKES, first_step)
            return
        times = np.concatenate(self.spike_times)
        neurons = np.repeat(np.arange(self.size), counts)
        stamps = np.ceil(times / dt - 1e-9).astype(np.int64)  # times on the grid stay put
        exact = times if self.network.exact_source_times else None
        self._set_events(stamps - 1, neurons, first_step, exact)


class WindowedSource(_EventSource):
    """A random source whose events are drawn window by window (``WINDOW_STEPS`` steps).

    Each window's generator is seeded by (network seed, reset count, stream, window,
    epoch), so a simulation split into several run() calls gives the same spikes as
    one long run, and the same seed gives the same spikes bit for bit. Changing a
    parameter or resetting starts a new epoch from the current step on.
    Subclasses implement ``_generate(from_step, restart)``: set the events of the
    window containing ``from_step`` (those >= from_step) and ``self._window``;
    ``restart`` is False when the window continues straight from the previous one.
    """

    WINDOW_STEPS = 10000

    def __init__(self, network):
        super().__init__(network)
        self._epoch = 0
        self._window = None  # (first step, end step) of the events held
        self._serial = network.new_stream_id()

    def _new_epoch(self):
        self._epoch += 1
        self._window = None

    def invalidate(self):
        super().invalidate()
        self._new_epoch()

    def reset(self):
        super().reset()
        self._new_epoch()

    def start_run(self, first_step, n_steps, dt):
        self._dt = dt
        if self._window is None or not (self._window[0] <= first_step < self._window[1]):
            self._generate(first_step, restart=self._window is None
                           or first_step != self._window[1])
        else:
            self._cursor = int(np.searchsorted(self._event_steps, first_step))

    def _events_until(self):
        return self._window[1]              # the next window is drawn by step()

    def step(self, k, inputs):
        if k >= self._window[1]:
            self._generate(k, restart=False)
        return super().step(k, inputs)

    def _generate(self, from_step, restart):
        raise NotImplementedError


class PoissonSource(NeuronGroup):
    """SpikeSourcePoisson: independent Poisson processes, active on (start, start + duration].

    As NEST's poisson_generator (what pyNN.nest runs with ``spike_precision='on_grid'``):
    at each step, each cell emits a Poisson count of spikes, all stamped at the step's
    end (several spikes in one step: that cell's id that many times, recorded and
    delivered once each). A Poisson process binned into steps gives exactly these
    independent counts, so nothing statistical differs from drawing spike times in
    continuous time and stamping them on the grid, and the per-step count is all the
    network ever sees (delivery is on the grid).

    The count of cell j at step k is drawn by inversion from keyed uniforms
    (:mod:`.kernels.poisson`, :mod:`.keyed`): a function of (seed, reset count,
    stream, j, k), so the NumPy step and the compiled stretches give the same bits,
    a run split in several gives the spikes of one run, a changed rate acts from the
    next step on, and MPI ranks draw the same. The mean of a step is ``rate * dt``
    times the part of the step inside (start, start + duration] (the steps where
    ``start`` and ``start + duration`` fall off the grid get their share).
    """

    parameter_names = ("rate", "start", "duration")
    recordable = ()

    #: a step's mean above this is drawn in equal pieces (see kernels/poisson.py)
    MAX_PIECE_MEAN = 8.0
    #: seconds a NumPy step of the group costs beyond the usual (Network.kernels_for_run
    #: weighs them), a fixed part (the keyed uniforms' set-up: Python, whatever the
    #: size) and a part per cell; measured with 2 to 20 000 cells, ~28 us + ~13 ns a cell
    #: (benchmarks/RESULTS.md, stop 32; 0.1 us a cell and nothing fixed were counted
    #: before, which kept a small network with Poisson input on NumPy up to ~2 s of
    #: biology where the compiled engine was faster from ~0.5 s). The compiled draw
    #: costs a fraction of the per-cell part and nothing fixed.
    NUMPY_STEP_COST_S = 25e-6
    NUMPY_STEP_COST_PER_CELL_S = 15e-9

    @property
    def numpy_step_cost_s(self):
        return self.NUMPY_STEP_COST_S + self.size * self.NUMPY_STEP_COST_PER_CELL_S

    def __init__(self, network):
        super().__init__(network)
        self._serial = network.new_stream_id()
        self._schedule = None
        self._live_steps = (0, 0)
        self._cell_hash = None

    def _compute_propagators(self, dt):
        self._schedule = self._segments(dt)
        # the steps where some cell may spike: outside them a step draws nothing (a
        # source active for the first 50 ms of a long run costs nothing after them)
        seg_from, seg_to = self._schedule[0], self._schedule[1]
        live = seg_to > seg_from
        self._live_steps = ((int(seg_from[live].min()), int(seg_to[live].max()))
                            if live.any() else (0, 0))

    def _segments(self, dt):
        """Each cell's (from, to, mean per piece, exp(-mean), pieces), shape (3, size):
        the step where start falls, the whole steps, the step where the end falls
        (segment-major: the compiled draw reads the whole steps' row in order)."""
        p = self.params
        n = self.size
        a = np.maximum(p["start"] / dt, 0.0)
        b = np.minimum((p["start"] + p["duration"]) / dt, 2.0 ** 62)
        for edge in (a, b):     # 0.3 / 0.1 = 2.9999999999999996: on the grid
            on_grid = np.abs(edge - np.round(edge)) <= 1e-9 * np.maximum(1.0, np.abs(edge))
            edge[on_grid] = np.round(edge[on_grid])
        fa, fb = np.floor(a), np.floor(b)
        first_whole = np.where(fa < a, fa + 1, fa)
        seg_from = np.zeros((3, n), np.int64)
        seg_to = np.zeros((3, n), np.int64)
        fraction = np.zeros((3, n))
        part = (fa < a) & (b > a)
        seg_from[0, part] = fa[part]
        seg_to[0, part] = fa[part] + 1
        fraction[0, part] = (np.minimum(fa + 1, b) - a)[part]
        whole = fb > first_whole
        seg_from[1, whole] = first_whole[whole]
        seg_to[1, whole] = fb[whole]
        fraction[1, whole] = 1.0
        part = (fb < b) & (fb >= first_whole)
        seg_from[2, part] = fb[part]
        seg_to[2, part] = fb[part] + 1
        fraction[2, part] = (b - fb)[part]
        mean = (p["rate"] * dt / 1000.0)[None, :] * fraction
        idle = ~(mean > 0)
        seg_from[idle] = seg_to[idle] = 0
        pieces = np.where(idle, 0, np.maximum(np.ceil(mean / self.MAX_PIECE_MEAN), 1))
        pieces = pieces.astype(np.int64)
        lam = np.where(idle, 0.0, mean / np.maximum(pieces, 1))
        return seg_from, seg_to, lam, np.exp(-lam), pieces

    def start_run(self, first_step, n_steps, dt):
        # the stream's key: from the seed, the reset count and the stream alone; each
        # cell's draws hash (key, cell) first: that part once per run
        key = keyed.new_key(self.network.rng_for(self._serial))
        self._cell_hash = keyed.chain(key, np.arange(self.size))

    def compiled_poisson(self):
        """(cell hashes, from, to, mean, exp(-mean), pieces): what a compiled stretch needs to
        draw this source's counts itself (:func:`.kernels.poisson.poisson_counts`)."""
        return (self._cell_hash, *self._schedule)

    def counts(self, k):
        """The spikes of each cell at step k (the same bits as kernels.poisson.poisson_counts,
        which runs it where the compiled engine is in use)."""
        kernels = None if self.network.engine == "numpy" else compiled_kernels.loaded()
        if kernels is not None:
            out = np.empty(self.size, np.int64)
            kernels.poisson_counts(self._cell_hash, k, *self._schedule, out,
                                   np.empty(self.size, np.int64),
                                   np.empty(poisson_kernels.TABLE), 0, self.size)
            return out
        seg_from, seg_to, lam, p0, pieces = self._schedule
        out = np.zeros(self.size, np.int64)
        # the usual case first: cells in their whole steps, drawn in one piece
        u = keyed.to_unit(keyed.chain(self._cell_hash, k))
        simple = (seg_from[1] <= k) & (k < seg_to[1]) & (pieces[1] == 1)
        hit = np.flatnonzero(simple & (u >= p0[1]))
        out[hit] = _invert(u[hit], lam[1, hit], p0[1, hit])
        # then the others that are active: a step cut by start or end, several pieces
        active = (seg_from <= k) & (k < seg_to)
        active[1] &= ~simple
        segs, cells = np.nonzero(active)
        if cells.size == 0:
            return out
        lam, p0, pieces = lam[segs, cells], p0[segs, cells], pieces[segs, cells]
        for piece in range(int(pieces.max())):
            if piece:
                more = pieces > piece
                cells, lam, p0, pieces = cells[more], lam[more], p0[more], pieces[more]
            h = keyed.chain(self._cell_hash[cells], k)
            u = keyed.to_unit(h if piece == 0 else keyed.chain(h, piece))
            out[cells] += _invert(u, lam, p0)
        return out

    def step(self, k, inputs):
        if not self._live_steps[0] <= k < self._live_steps[1]:
            return NO_SPIKES
        counts = self.counts(k)
        if not counts.any():
            return NO_SPIKES
        return np.repeat(np.arange(self.size), counts)


def _invert(u, lam, p0):
    """kernels.poisson.invert on arrays: the same operations, in the same order."""
    count = np.zeros(u.size, np.int64)
    term = p0.copy()
    cumulative = p0.copy()
    idx = np.flatnonzero((u >= cumulative) & (term > 0.0))
    while idx.size:
        count[idx] += 1
        term[idx] = term[idx] * lam[idx] / count[idx]
        cumulative[idx] = cumulative[idx] + term[idx]
        idx = idx[(u[idx] >= cumulative[idx]) & (term[idx] > 0.0)]
    return count
