"""Spike sources: Poisson processes and explicit spike-time arrays.

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


class PoissonSource(WindowedSource):
    """SpikeSourcePoisson: independent Poisson processes, active on (start, start + duration].

    Spike times are drawn in continuous time, window by window (see WindowedSource).
    """

    parameter_names = ("rate", "start", "duration")

    #: expected spikes per window at most: bounds the memory of fast sources
    #: (12 500 sources at 20 kHz would otherwise hold 250 million events per window)
    MAX_WINDOW_EVENTS = 1 << 20

    def _window_steps(self):
        """Steps per window: WINDOW_STEPS, fewer for fast sources (a power-of-two fraction).

        It depends on the parameters only, so windows stay aligned however a
        simulation is split into runs (parameters changing starts a new epoch anyway).
        """
        expected = float(np.sum(self.params["rate"])) * self._dt / 1000.0 * self.WINDOW_STEPS
        W = self.WINDOW_STEPS
        while W > 16 and expected > self.MAX_WINDOW_EVENTS:
            W //= 2
            expected /= 2
        return W

    def _generate(self, from_step, restart=False):
        """Draw the events of the window containing ``from_step`` (only those >= from_step)."""
        W = self._window_steps()
        w = from_step // W
        lo_step, hi_step = max(w * W, from_step), (w + 1) * W
        dt = self._dt
        rng = self.network.rng_for(self._serial, w, self._epoch)
        p = self.params
        # emission step e carries spikes with times in (e dt, (e + 1) dt]
        t_lo = np.maximum(lo_step * dt, p["start"])
        t_hi = np.minimum(hi_step * dt, p["start"] + p["duration"])
        length = np.clip(t_hi - t_lo, 0.0, None)
        counts = rng.poisson(p["rate"] * length / 1000.0)
        neurons = np.repeat(np.arange(self.size), counts)
        times = t_hi[neurons] - rng.random(neurons.size) * length[neurons]  # in (t_lo, t_hi]
        steps = np.ceil(times / dt).astype(np.int64) - 1
        np.clip(steps, lo_step, hi_step - 1, out=steps)
        self._set_events(steps, neurons, from_step)
        self._window = (w * W, hi_step)
