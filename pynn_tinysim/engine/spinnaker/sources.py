"""Spike sources as sPyNNaker generates them, tick by tick.

- :class:`SpiNNakerSpikeArray`: SpikeSourceArray, each spike sent on tick
  ``ceil(floor(t us) / timestep)`` (:func:`spike_array_ticks`);
- :class:`SpiNNakerPoissonSource`, :class:`SpiNNakerPoissonVariable`:
  SpikeSourcePoisson(Variable) with spike_source_poisson.c's slow, fast and
  faster regimes, from the network's seeded random streams.
"""

import numpy as np

from ..sources import SpikeArraySource, WindowedSource, NO_SPIKES


def spike_array_ticks(times_ms, dt):
    """The tick on which sPyNNaker's SpikeSourceArray sends a spike at ``times_ms``.

    ``ceil(floor(t * 1000) / timestep_us)``: spike times are cut to whole
    microseconds, then rounded up to the next tick.
    """
    dt_us = int(round(dt * 1000.0))
    return np.ceil(np.floor(np.asarray(times_ms, float) * 1000.0 + 1e-6) / dt_us - 1e-9) \
        .astype(np.int64)


class SpiNNakerSpikeArray(SpikeArraySource):
    """SpikeSourceArray sending each spike on the tick sPyNNaker computes for it."""

    def start_run(self, first_step, n_steps, dt):
        counts = np.fromiter((t.size for t in self.spike_times), np.int64, self.size)
        if counts.sum() == 0:
            self._set_events(NO_SPIKES, NO_SPIKES, first_step)
            return
        ticks = spike_array_ticks(np.concatenate(self.spike_times), dt)
        neurons = np.repeat(np.arange(self.size), counts)
        self._set_events(ticks, neurons, first_step)


#: rates per tick below this are "slow" sources (inter-spike intervals), above it
#: "fast" (a Poisson count per tick), and from FASTER_RATE_PER_TICK on a Gaussian
#: approximation of that count (spike_source_poisson.c)
SLOW_RATE_PER_TICK_CUTOFF = 0.01
FASTER_RATE_PER_TICK_CUTOFF = 10.0
ISI_SCALE_FACTOR = 1000


class SpiNNakerPoissonSource(WindowedSource):
    """SpikeSourcePoisson as spike_source_poisson.c generates it, tick by tick.

    Each source is a list of segments (rate, first tick, end tick); a
    SpikeSourcePoisson has one, a SpikeSourcePoissonVariable several. In a
    segment, with ``lambda = rate * dt / 1000`` spikes per tick:

    - ``lambda < 0.01`` ("slow"): inter-spike intervals are drawn as
      ``round(1000 * Exp(1)) * floor(1 / lambda)`` thousandths of a tick and
      the source spikes on the tick where their running sum falls;
    - ``0.01 <= lambda < 10`` ("fast"): a Poisson(lambda) number of spikes each tick;
    - ``lambda >= 10``: ``round((N(0, 1) / 2 + sqrt(lambda))**2)`` spikes each tick.

    Several spikes in one tick are several events (several packets on the board).
    Random numbers come from the network's seeded streams, window by window, so
    the same seed gives the same spikes; they are not the board's random numbers.
    """

    parameter_names = ("rate", "start", "duration")
    _MAX_DRAWS = 1 << 21

    def __init__(self, network):
        super().__init__(network)
        self._segments = None

    def _new_epoch(self):
        super()._new_epoch()
        self._segments = None

    def _segment_table(self, dt):
        """(neuron, rate, first tick, end tick) arrays, one row per constant-rate segment."""
        p = self.params
        start = np.rint(p["start"] / dt)
        end = np.where(np.isfinite(p["duration"]), np.rint((p["start"] + p["duration"]) / dt),
                       np.inf)
        return np.arange(self.size), p["rate"], start, end

    def start_run(self, first_step, n_steps, dt):
        self._dt = dt
        if self._segments is None:
            neuron, rate, first, end = self._segment_table(dt)
            lam = np.asarray(rate, float) * dt / 1000.0
            self._segments = dict(neuron=np.asarray(neuron, np.int64), lam=lam,
                                  first=np.asarray(first, float), end=np.asarray(end, float),
                                  slow=lam < SLOW_RATE_PER_TICK_CUTOFF)
            # slow sources: position (thousandths of a tick after "first") of the next spike
            self._next_pos = np.full(lam.size, np.nan)
        super().start_run(first_step, n_steps, dt)

    def _generate(self, from_step, restart=False):
        W = self.WINDOW_STEPS
        w = from_step // W
        lo, hi = from_step, (w + 1) * W
        rng = self.network.rng_for(self._serial, w, self._epoch)
        seg = self._segments
        steps, neurons = [], []
        self._generate_slow(rng, seg, lo, hi, steps, neurons)
        self._generate_fast(rng, seg, lo, hi, steps, neurons)
        if steps:
            steps, neurons = np.concatenate(steps), np.concatenate(neurons)
        else:
            steps, neurons = NO_SPIKES, NO_SPIKES
        self._set_events(steps, neurons, from_step)
        self._window = (w * W, hi)

    def _generate_slow(self, rng, seg, lo, hi, steps, neurons):
        lam = seg["lam"]
        rows = np.flatnonzero(seg["slow"] & (lam > 0) & (seg["first"] < hi) & (seg["end"] > lo))
        if rows.size == 0:
            return
        mean_isi = np.floor(1.0 / lam[rows])                    # (uint32_t)(ONE / rate)
        first = seg["first"][rows]
        limit = np.minimum(seg["end"][rows], hi)
        pos = self._next_pos[rows]
        fresh = np.isnan(pos)
        if fresh.any():
            # a segment (re)started in the past begins drawing from "lo"
            skip = np.maximum(lo - first[fresh], 0.0) * ISI_SCALE_FACTOR
            pos[fresh] = skip + self._isi(rng, mean_isi[fresh])
        while True:
            tick = first + np.floor(pos / ISI_SCALE_FACTOR)
            due = tick < limit
            keep = due & (tick >= lo)
            if keep.any():
                steps.append(tick[keep].astype(np.int64))
                neurons.append(seg["neuron"][rows[keep]])
            if not due.any():
                break
            pos[due] += self._isi(rng, mean_isi[due])
        self._next_pos[rows] = pos

    @staticmethod
    def _isi(rng, mean_isi_ticks):
        """round(Exp(1) * 1000) * mean ISI: thousandths of a tick, as the C code counts."""
        return np.rint(rng.standard_exponential(mean_isi_ticks.size) * ISI_SCALE_FACTOR) \
            * mean_isi_ticks

    def _generate_fast(self, rng, seg, lo, hi, steps, neurons):
        rows = np.flatnonzero(~seg["slow"] & (seg["first"] < hi) & (seg["end"] > lo))
        if rows.size == 0:
            return
        ticks_per_block = max(1, self._MAX_DRAWS // rows.size)
        lam = seg["lam"][rows]
        faster = lam >= FASTER_RATE_PER_TICK_CUTOFF
        for t0 in range(lo, hi, ticks_per_block):
            t1 = min(hi, t0 + ticks_per_block)
            ticks = np.arange(t0, t1)
            active = (ticks[:, None] >= seg["first"][rows]) & (ticks[:, None] < seg["end"][rows])
            counts = rng.poisson(np.where(faster, 0.0, lam), size=(ticks.size, rows.size))
            if faster.any():
                x = rng.standard_normal((ticks.size, rows.size)) * 0.5 + np.sqrt(lam)
                counts = np.where(faster, np.rint(x * x).astype(np.int64), counts)
            counts = np.where(active, counts, 0)
            t_index, r_index = np.nonzero(counts)
            n = counts[t_index, r_index]
            steps.append(np.repeat(ticks[t_index], n))
            neurons.append(np.repeat(seg["neuron"][rows[r_index]], n))


class SpiNNakerPoissonVariable(SpiNNakerPoissonSource):
    """SpikeSourcePoissonVariable: each source follows its own list of (rate, start, duration)."""

    parameter_names = ()

    def __init__(self, network):
        super().__init__(network)
        self.schedules = []   # per neuron: (rates, starts, durations) float arrays

    def add_neurons(self, ids, parameters, initial_values):
        index = super().add_neurons(ids, {}, initial_values)
        for rates, starts, durations in zip(parameters["rates"], parameters["starts"],
                                            parameters["durations"]):
            self.schedules.append(_schedule(rates, starts, durations))
        return index

    def set_schedules(self, local_indices, rates, starts, durations):
        for i, r, s, d in zip(local_indices, rates, starts, durations):
            self.schedules[i] = _schedule(r, s, d)
        self.invalidate()

    def _segment_table(self, dt):
        neuron, rate, first, end = [], [], [], []
        for i, (rates, starts, durations) in enumerate(self.schedules):
            for r, s, d in zip(rates, starts, durations):
                neuron.append(i)
                rate.append(r)
                first.append(np.rint(s / dt))
                end.append(np.rint((s + d) / dt) if np.isfinite(d) else np.inf)
        return (np.asarray(neuron, np.int64), np.asarray(rate, float),
                np.asarray(first, float), np.asarray(end, float))


def _schedule(rates, starts, durations):
    """(rates, starts, durations): a rate lasts its duration, or until the next start."""
    rates = np.atleast_1d(np.asarray(rates, float))
    starts = np.atleast_1d(np.asarray(starts, float))
    if durations is None or np.size(durations) == 0:
        durations = np.append(np.diff(starts), np.inf)
    durations = np.atleast_1d(np.asarray(durations, float))
    return rates, starts, durations
