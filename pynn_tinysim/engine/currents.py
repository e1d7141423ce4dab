"""Current sources (DC, step, AC, noisy) and their injection into neuron groups.

Timing (pyNN.nest's on-grid semantics, measured with NEST 3.10): every source is
a function of the step index, ``value(k)``, the current (nA) it injects during
the step from ``k dt`` to ``(k+1) dt``. A DCSource with start=50 ms, stop=100 ms
acts on the steps that start at 50.0, 50.1, ..., 99.9 ms, so v(50.1) is the
first sample it moves and v(100.1) the first that relaxes. Times are rounded to
the grid (NEST refuses off-grid start/stop; pyNN.nest rounds step times). The
recorded current of a source is ``value(k)`` at t = k dt, as pyNN.nest's
``get_data()`` reports it. (pyNN.nest cannot reach the first two steps of a
simulation -- a current starting at t = 0 there acts from t = 2 dt -- and a
parameter changed between runs at t acts there from t + 3 dt; tinysim applies
both exactly at t.)

How it is applied: the network owns one :class:`CurrentInjection`. Each neuron
group that some source targets gets ``group.i_inj``, a view into one flat array
of injected currents (nA); a model adds it to its drive during the step (groups
nobody injects into keep ``i_inj = None`` and their fast path). Sources are not
visited per step: for a window of steps the injection evaluates every source
at once and turns the values into change events (flat position, delta) laid
out by step (see :meth:`CurrentInjection._build_window`), so a step costs one
comparison, plus at most two indexed additions when some current changes then
-- whatever the number of sources. The window is re-evaluated from scratch at
every window boundary and when parameters change, so a parameter changed between
runs acts from the current step and rounding does not accumulate; windows do not
depend on how a simulation is split into runs, so split runs give the same result.
A compiled stretch of steps (:mod:`.stretch`) applies the same change events
itself, in the same order (:meth:`CurrentInjection.change_events`), up to the
window's end: every kind of source runs inside stretches, with the same bits.

Noise: NoisyCurrentSource draws a new Gaussian value every ``dt`` ms (its own
parameter, a multiple of the time step), independently for each target (as
NEST's noise_generator does; its recorded current is the mean over the
targets), from generators keyed by the network seed, the source and the block
of draws, so a simulation split into several runs gives the same current as one
run, and the same seed the same current, bit for bit.
"""

import numpy as np

_MAX_WINDOW_STEPS = 10000
_MAX_WINDOW_ENTRIES = 1 << 20   # values evaluated, and change events kept, per window
_NOISE_BLOCK_ENTRIES = 1 << 14  # normals drawn per generator


def grid_step(t, dt):
    """The step index of time ``t`` (ms), rounded to the nearest grid point."""
    return np.rint(np.asarray(t, float) / dt).astype(np.int64)


class CurrentSource:
    """A source of current into a set of target neurons (engine side).

    ``params`` holds the parameters in PyNN's names and units; subclasses
    implement :meth:`values`.
    """

    parameter_names = ()

    def __init__(self, network, params):
        self.network = network
        self.serial = network.new_stream_id()
        self.params = dict(params)
        self.targets = []            # (group, local indices)
        # under MPI (see .exchange) a rank holds some of the targets: how many there
        # are on all ranks, and the place of each held one among them, so that draws
        # per target are those of one process
        self.n_all_targets = 0
        self.held_columns = []
        self.recording = False
        self._chunks = []            # (first step, mean value per step)
        network.currents.add(self)

    # --- set-up ---------------------------------------------------------------

    def set_parameters(self, **params):
        self.params.update(params)
        self.network.currents.changed()

    def add_targets(self, group, local_indices, n_all=None, held=None):
        """Add targets; under MPI ``n_all`` targets were given on all ranks, of which
        this rank holds those at positions ``held`` (the ``local_indices``)."""
        local_indices = np.asarray(local_indices, np.int64)
        if n_all is None:
            n_all, held = local_indices.size, np.arange(local_indices.size)
        self.targets.append((group, local_indices))
        self.held_columns.append(self.n_all_targets + np.asarray(held, np.int64))
        self.n_all_targets += int(n_all)
        self.network.currents.changed(layout=True)

    @property
    def n_targets(self):
        return sum(idx.size for _, idx in self.targets)

    def columns(self):
        """1 if every target gets the same current, else the number of targets."""
        return 1

    def values(self, k_lo, k_hi, dt):
        """Current (nA) during steps k_lo .. k_hi - 1: array (k_hi - k_lo, columns())."""
        raise NotImplementedError

    # --- recording ------------------------------------------------------------

    def record(self):
        self.recording = True

    def _keep(self, k_lo, values):
        self._chunks = [(k, v[:max(k_lo - k, 0)]) for k, v in self._chunks if k < k_lo]
        self._chunks.append((k_lo, values.mean(axis=1) if values.shape[1] > 1 else values[:, 0]))

    def recorded(self, n_steps, dt):
        """The current at t = 0, dt, ..., n_steps dt (the value of the step starting then);
        NaN for steps run before record() was called."""
        out = np.full(n_steps + 1, np.nan)
        for k, v in self._chunks:
            v = v[:max(n_steps - k, 0)]
            out[k:k + v.size] = v
        last = self.values(n_steps, n_steps + 1, dt)
        out[n_steps] = last.mean() if last.size else 0.0
        return out

    def clear_recording(self):
        self._chunks = []

    # --- helpers --------------------------------------------------------------

    def _on(self, k, dt):
        p = self.params
        return (k >= grid_step(p["start"], dt)) & (k < grid_step(p["stop"], dt))


class DCCurrent(CurrentSource):
    """``amplitude`` on the steps starting in [start, stop)."""

    def values(self, k_lo, k_hi, dt):
        k = np.arange(k_lo, k_hi)
        return np.where(self._on(k, dt), float(self.params["amplitude"]), 0.0)[:, None]


class ACCurrent(CurrentSource):
    """offset + amplitude sin(2 pi frequency (t - start) + phase) on [start, stop).

    As pyNN.nest (which shifts NEST's phase by the start time) and pyNN.brian2:
    the phase (degrees) is that of the sine at ``start``.
    """

    def values(self, k_lo, k_hi, dt):
        p = self.params
        k = np.arange(k_lo, k_hi)
        t = k * dt
        wave = p["offset"] + p["amplitude"] * np.sin(
            2.0 * np.pi * p["frequency"] * (t - p["start"]) / 1000.0 + np.deg2rad(p["phase"]))
        return np.where(self._on(k, dt), wave, 0.0)[:, None]


class StepCurrent(CurrentSource):
    """amplitudes[i] from times[i] on (times rounded to the grid; the last one wins a tie)."""

    def values(self, k_lo, k_hi, dt):
        times = np.asarray(self.params["times"], float)
        amplitudes = np.asarray(self.params["amplitudes"], float)
        k = np.arange(k_lo, k_hi)
        if times.size == 0:
            return np.zeros((k.size, 1))
        steps = grid_step(times, dt)
        which = np.searchsorted(steps, k, side="right") - 1   # last change at or before k
        return np.where(which >= 0, amplitudes[np.maximum(which, 0)], 0.0)[:, None]


class NoisyCurrent(CurrentSource):
    """mean + stdev N(0, 1), redrawn every ``dt`` ms from start on, one draw per target."""

    def columns(self):
        return max(self.n_targets, 1)

    def values(self, k_lo, k_hi, dt):
        p = self.params
        n_cols = max(self.n_all_targets, 1)     # drawn for every target on every rank
        k = np.arange(k_lo, k_hi)
        on = self._on(k, dt)
        out = np.zeros((k.size, n_cols))
        held = np.concatenate(self.held_columns) if self.held_columns else None
        if held is not None and held.size == n_cols:
            held = None                         # one process: all of them
        if not on.any():
            return out if held is None else out[:, held]
        per_block = max(int(np.rint(p["dt"] / dt)), 1)
        block = (k[on] - grid_step(p["start"], dt)) // per_block
        rows_per_draw = max(_NOISE_BLOCK_ENTRIES // n_cols, 1)
        draw = block // rows_per_draw
        z = np.empty((block.size, n_cols))
        for d in np.unique(draw):
            rng = self.network.rng_for(self.serial, int(d))
            normals = rng.standard_normal((rows_per_draw, n_cols))
            sel = draw == d
            z[sel] = normals[block[sel] % rows_per_draw]
        out[on] = p["mean"] + p["stdev"] * z
        return out if held is None else out[:, held]


class CurrentInjection:
    """All current sources of a network, applied to the groups' ``i_inj`` arrays."""

    def __init__(self, network):
        self.network = network
        self.sources = []
        self.next_step = 0
        self._layout_key = None
        self._flat = np.zeros(0)
        self._positions = {}       # source -> flat positions of its targets
        self._window_end = 0
        self._run_end = 0
        self._merged = None         # the window's streams as one (see change_events)

    def add(self, source):
        self.sources.append(source)
        self.changed(layout=True)

    def changed(self, layout=False):
        """Parameters (or, with ``layout``, sources or targets) changed: the next run
        re-evaluates from its first step."""
        self._window_end = 0
        if layout:
            self._layout_key = None

    # --- layout -----------------------------------------------------------------

    def _layout(self):
        groups = []
        for source in self.sources:
            for g, _ in source.targets:
                if g not in groups:
                    groups.append(g)
        key = tuple((id(g), g.size) for g in groups)
        if key == self._layout_key:
            return False
        offsets, size = {}, 0
        for g in groups:
            offsets[g] = size
            size += g.size
        self._flat = np.zeros(size)
        for g in groups:
            g.i_inj = self._flat[offsets[g]:offsets[g] + g.size]
        positions = {
            s: (np.concatenate([offsets[g] + idx for g, idx in s.targets])
                if s.targets else np.zeros(0, np.int64))
            for s in self.sources}
        # sources that give all their targets the same current ("shared") and those
        # with one current per target (noise); the positions of each kind concatenated
        self._shared = [s for s in self.sources if s.columns() == 1]
        self._per_target = [s for s in self.sources if s.columns() != 1]
        counts = np.array([positions[s].size for s in self._shared], np.int64)
        self._shared_count = counts
        self._shared_start = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        self._shared_pos = (np.concatenate([positions[s] for s in self._shared])
                            if self._shared else np.zeros(0, np.int64))
        self._per_target_pos = (np.concatenate([positions[s] for s in self._per_target])
                                if self._per_target else np.zeros(0, np.int64))
        self._layout_key = key
        return True

    # --- running ----------------------------------------------------------------

    def start_run(self, first_step, n_steps, dt):
        """Prepare steps first_step .. first_step + n_steps - 1; None when there are no sources."""
        if not self.sources:
            return None
        self._dt = dt
        new_layout = self._layout()
        # a run that continues the previous one keeps its window, so a simulation split
        # into several runs applies the same changes at the same steps, bit for bit
        continues = (not new_layout and self._window_end > first_step
                     and first_step == self._run_end)
        self._run_end = first_step + n_steps
        if not continues:
            self._build_window(first_step)
        return self

    def end_run(self, last_step):
        """The run stopped at ``last_step`` (early if interrupted): the next run that
        starts there continues this one's window."""
        self._run_end = last_step

    def advance(self, k):
        """Apply what changes at step ``k`` (called when k >= next_step)."""
        if k >= self._window_end:
            self._build_window(k)
            return
        j = k - self._window_start
        flat = self._flat
        for ptr, pos, delta in self._streams:
            lo, hi = ptr[j], ptr[j + 1]
            if hi > lo:
                np.add.at(flat, pos[lo:hi], delta[lo:hi])
        i = self._cursor + 1
        self._cursor = i
        self.next_step = (self._event_steps[i] if i < self._event_steps.size
                          else self._window_end)

    # --- compiled stretches (see ..stretch) ----------------------------------------

    @property
    def window_end(self):
        """The step at which :meth:`advance` evaluates the next window: a compiled
        stretch stops there (the change events it applies are this window's)."""
        return self._window_end

    def change_events(self):
        """This window's change events for a compiled stretch, which applies them itself:
        ``(flat, event_steps, ptr, positions, deltas, cursor, window_start)``.

        ``flat``: the injected currents (every group's ``i_inj`` is a view into it);
        ``event_steps``: the steps with a change, from index ``cursor`` on not applied
        yet; the changes of step ``window_start + j`` are ``flat[positions[e]] +=
        deltas[e]`` for e in ``ptr[j] .. ptr[j + 1] - 1``, in this order, which is
        :meth:`advance`'s (each stream in turn, a stream's events in order; np.add.at
        adds one after the other), so the stretch's currents are the same bits. The
        values were computed here, in NumPy (the sine of an AC source, the draws of a
        noise source): the compiled code only adds. Hand the cursor back with
        :meth:`seek`.
        """
        if self._merged is None:
            n = self._window_end - self._window_start
            if not self._streams:
                ptr = np.zeros(n + 1, np.int64)
                pos, delta = np.zeros(0, np.int64), np.zeros(0)
            elif len(self._streams) == 1:
                ptr, pos, delta = self._streams[0]
            else:
                # one step's events: each stream's in turn (advance's order)
                counts = [p[1:] - p[:-1] for p, _, _ in self._streams]
                total = np.sum(counts, axis=0)
                ptr = np.zeros(n + 1, np.int64)
                np.cumsum(total, out=ptr[1:])
                size = int(ptr[-1])
                pos, delta = np.empty(size, np.int64), np.empty(size)
                before = np.zeros(n, np.int64)      # earlier streams' events of the step
                for (p, q, d), c in zip(self._streams, counts):
                    step = np.repeat(np.arange(n), c)
                    where = ptr[step] + before[step] + (np.arange(q.size) - p[step])
                    pos[where], delta[where] = q, d
                    before += c
            self._merged = (np.ascontiguousarray(ptr, np.int64),
                            np.ascontiguousarray(pos, np.int64),
                            np.ascontiguousarray(delta, np.float64))
        return (self._flat, self._event_steps, *self._merged, self._cursor,
                self._window_start)

    def seek(self, cursor):
        """A compiled stretch applied this window's changes before event ``cursor``."""
        self._cursor = int(cursor)
        self.next_step = (int(self._event_steps[cursor]) if cursor < self._event_steps.size
                          else self._window_end)

    def _build_window(self, k_lo):
        """Evaluate all sources over the next window of steps and lay out its change events.

        Events are built in step order without sorting: for the shared sources, the
        (step, source) changes come out of np.nonzero in step order and are expanded
        to their targets by a CSR gather; for per-target sources np.nonzero gives
        (step, target) pairs in step order directly. Each stream gets a pointer array
        over the window's steps. A window ends where its events would exceed
        _MAX_WINDOW_ENTRIES (an AC source into many cells changes all of them every step).
        """
        dt = self._dt
        n_cols = len(self._shared) + self._per_target_pos.size
        # (the window does not depend on where the run ends: see start_run)
        n = max(min(_MAX_WINDOW_STEPS, _MAX_WINDOW_ENTRIES // max(n_cols, 1)), 1)
        k_hi = k_lo + n
        shared = (np.hstack([s.values(k_lo, k_hi, dt) for s in self._shared])
                  if self._shared else np.zeros((n, 0)))
        per_target = (np.hstack([s.values(k_lo, k_hi, dt) for s in self._per_target])
                      if self._per_target else np.zeros((n, 0)))
        # events per step of the shared sources, to cut the window if there are too many
        rows, src = np.nonzero(np.diff(shared, axis=0))
        events = np.bincount(rows + 1, weights=self._shared_count[src], minlength=n)
        events = events + np.r_[0, np.count_nonzero(np.diff(per_target, axis=0), axis=1)]
        within = np.cumsum(events) <= _MAX_WINDOW_ENTRIES
        within[0] = True
        n = int(np.argmin(within)) if not within.all() else n
        k_hi = k_lo + n
        shared, per_target = shared[:n], per_target[:n]
        keep = rows + 1 < n
        rows, src = rows[keep], src[keep]
        self._record(k_lo, shared, per_target)

        flat = self._flat
        flat[:] = 0.0
        if self._shared_pos.size:
            np.add.at(flat, self._shared_pos, np.repeat(shared[0], self._shared_count))
        if self._per_target_pos.size:
            np.add.at(flat, self._per_target_pos, per_target[0, :self._per_target_pos.size])
        streams = []
        # shared sources: (step, source) -> that source's targets
        counts = self._shared_count[src]
        if counts.sum():
            starts = self._shared_start[src]
            idx = np.repeat(starts - (np.cumsum(counts) - counts), counts)
            idx += np.arange(idx.size)
            jumps = shared[rows + 1, src] - shared[rows, src]
            ptr = np.zeros(n + 1, np.int64)
            np.cumsum(np.bincount(rows + 1, weights=counts, minlength=n).astype(np.int64),
                      out=ptr[1:])
            streams.append((ptr, self._shared_pos[idx], np.repeat(jumps, counts)))
        # per-target sources: (step, column)
        cols = self._per_target_pos.size
        if cols:
            steps, col = np.nonzero(np.diff(per_target[:, :cols], axis=0))
            if steps.size:
                ptr = np.zeros(n + 1, np.int64)
                np.cumsum(np.bincount(steps + 1, minlength=n), out=ptr[1:])
                jumps = per_target[steps + 1, col] - per_target[steps, col]
                streams.append((ptr, self._per_target_pos[col], jumps))
        self._streams = streams
        self._merged = None             # change_events() merges the streams when asked
        changing = np.zeros(n, bool)
        for ptr, _, _ in streams:
            changing |= ptr[1:] > ptr[:-1]
        self._event_steps = np.flatnonzero(changing) + k_lo
        self._window_start = k_lo
        self._cursor = 0
        self._window_end = k_hi
        self.next_step = int(self._event_steps[0]) if self._event_steps.size else k_hi

    def _record(self, k_lo, shared, per_target):
        for j, source in enumerate(self._shared):
            if source.recording:
                source._keep(k_lo, shared[:, j:j + 1])
        col = 0
        for source in self._per_target:
            width = source.columns()
            if source.recording:
                source._keep(k_lo, per_target[:, col:col + width])
            col += width

    def reset(self):
        """Back to t = 0: recorded currents are dropped, values are re-evaluated."""
        self._window_end = 0
        for source in self.sources:
            source.clear_recording()
