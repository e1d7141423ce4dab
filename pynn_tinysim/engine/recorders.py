"""Recording of state variables and spikes into preallocated arrays.

One :class:`SignalRecorder` per (neuron group, variable) samples the union of
the neurons any Population asked for, and one :class:`SpikeRecorder` per group
keeps the spikes of recorded neurons; Populations pick their own columns out
when data is requested. So the per-step recording cost does not grow with the
number of Populations.
"""

import numpy as np

from .resources import AllocationTooLargeError, available_memory, gib


class NumericalInstabilityError(ValueError):
    """A state variable became NaN: the parameters make the model unstable.

    NEST stops with a NumericalInstability exception in that case too.
    """

    @classmethod
    def at(cls, group, variable, local_indices, step):
        i = int(local_indices[0])
        values = ", ".join(f"{name}={float(group.params[name][i])!r}"
                           for name in group.parameter_names)
        initial = ", ".join(f"{name}={float(group.initial[name][i])!r}"
                            for name in group.state_names)
        return cls(
            f"numerical instability: {variable} of {len(local_indices)} "
            f"{type(group).__name__} cell(s) became NaN at t={step * group.network.dt:g} ms "
            f"(the first: global id {int(group.ids[i])}, with {values}; initial values "
            f"{initial}); check those values. The data of the steps before is kept; call "
            "reset() to run again")


def check_recording_fits(recorder, n_samples):
    """AllocationTooLargeError before a run whose samples of ``recorder`` cannot fit."""
    needed = 8 * n_samples * recorder.indices.size
    available = available_memory()
    if available is not None and needed > available:
        raise AllocationTooLargeError(
            f"recording {recorder.variable!r} of {recorder.indices.size} "
            f"{type(recorder.group).__name__} cell(s) for {n_samples:,} samples needs "
            f"{gib(needed)}, but {gib(available)} of memory is available; record fewer "
            "cells, use a larger sampling_interval, or run in shorter pieces with "
            "get_data(clear=True) or write_data() in between")


def check_recordings_fit(recorders, n_steps):
    """AllocationTooLargeError before a run of ``n_steps`` whose signal recorders'
    samples together cannot fit (each is also checked alone, with its exact count,
    when it starts: :func:`check_recording_fits`). The buffers are allocated one by
    one and filled as the run goes, so the memory available when each is allocated
    does not yet show the others: the sum is checked first, from at most
    ``n_steps // interval + 2`` samples each."""
    recorders = [rec for rec in recorders if rec.indices.size]
    if len(recorders) < 2:
        return
    sizes = [8 * (n_steps // rec.interval + 2) * rec.indices.size for rec in recorders]
    needed = sum(sizes)
    available = available_memory()
    if available is not None and needed > available:
        parts = ", ".join(f"{rec.variable!r} of {rec.indices.size} "
                          f"{type(rec.group).__name__} cell(s) ({gib(size)})"
                          for rec, size in zip(recorders, sizes))
        raise AllocationTooLargeError(
            f"recording {len(recorders)} signals for {n_steps:,} steps ({parts}) needs "
            f"{gib(needed)} in all, but {gib(available)} of memory is available; record "
            "fewer cells or variables, use a larger sampling_interval, or run in shorter "
            "pieces with get_data(clear=True) or write_data() in between")


class SignalRecorder:
    """Samples ``group.state[variable]`` at steps that are multiples of ``interval``."""

    def __init__(self, group, variable, interval):
        self.group = group
        self.variable = variable
        self.interval = interval
        self.indices = np.zeros(0, np.int64)  # local indices, sorted
        self.chunks = []        # (first sample number, indices, data[n_samples, n_indices])
        self._buffer = None
        self._row = 0

    def add_indices(self, local_indices):
        merged = np.union1d(self.indices, np.asarray(local_indices, np.int64))
        if merged.size != self.indices.size:
            self._close_chunk()
            self.indices = merged

    def start_run(self, first_step, n_steps):
        """Preallocate room for the samples of the steps (first_step, first_step + n_steps]."""
        self._close_chunk()
        iv = self.interval
        first_sample = -(-first_step // iv)          # ceil: first sample time >= now
        last_sample = (first_step + n_steps) // iv
        if first_step > 0 and first_sample * iv == first_step:
            first_sample += 1                        # taken at the end of the previous run
        n = max(last_sample - first_sample + 1, 0)
        check_recording_fits(self, n)
        self._first_sample = first_sample
        self._buffer = np.empty((n, self.indices.size))
        self._row = 0
        if first_step == 0 and n > 0:
            self.sample(0)

    def sample(self, step):
        """Take a sample if ``step`` (time = step * dt) is on this recorder's grid.

        A NaN is never recorded: it raises NumericalInstabilityError instead (the run
        then keeps the data of the steps before, see Network.run).
        """
        if step % self.interval == 0 and self._row < self._buffer.shape[0]:
            row = self._buffer[self._row]
            np.take(self.group.state[self.variable], self.indices, out=row)
            if np.isnan(row.sum()):
                raise NumericalInstabilityError.at(self.group, self.variable,
                                                   self.indices[np.isnan(row)], step)
            self._row += 1

    def compiled_view(self):
        """(sampled array, indices, buffer, next row) for a compiled stretch, which
        samples as :meth:`sample` does and then hands back the row by :meth:`set_row`."""
        return self.group.state[self.variable], self.indices, self._buffer, self._row

    def set_row(self, row):
        """The buffer's rows before ``row`` hold samples (taken by a compiled stretch).

        As in :meth:`sample`, a NaN is not kept: NumericalInstabilityError instead.
        """
        new = self._buffer[self._row:int(row)]
        if np.isnan(new.sum()):
            bad_row = int(np.flatnonzero(np.isnan(new).any(axis=1))[0])
            self._row += bad_row
            step = (self._first_sample + self._row) * self.interval
            raise NumericalInstabilityError.at(self.group, self.variable,
                                               self.indices[np.isnan(new[bad_row])], step)
        self._row = int(row)

    def _close_chunk(self):
        if self._buffer is not None and self._row > 0:
            self.chunks.append((self._first_sample, self.indices, self._buffer[:self._row]))
            self._first_sample += self._row
        self._buffer = None
        self._row = 0

    def get(self, local_indices, first_sample, n_samples):
        """Samples first_sample .. first_sample + n_samples - 1 of the given neurons.

        Entries for neurons or times that were not recorded are NaN.
        """
        self._close_chunk()
        local_indices = np.asarray(local_indices, np.int64)
        out = np.full((n_samples, local_indices.size), np.nan)
        end_sample = first_sample + n_samples
        for first, indices, data in self.chunks:
            lo, hi = max(first, first_sample), min(first + data.shape[0], end_sample)
            if hi <= lo or indices.size == 0:
                continue
            cols = np.clip(np.searchsorted(indices, local_indices), 0, indices.size - 1)
            present = indices[cols] == local_indices
            out[lo - first_sample:hi - first_sample, present] = \
                data[lo - first:hi - first][:, cols[present]]
        return out

    def clear(self):
        self._close_chunk()
        self.chunks = []

    def truncate(self, step):
        """Drop the samples taken after ``step`` (a run stopped inside a step)."""
        if self._buffer is not None:
            last = step // self.interval             # last sample number to keep
            self._row = max(0, min(self._row, last - self._first_sample + 1))


class LeadingSignalRecorder(SignalRecorder):
    """A SignalRecorder whose sample for time ``j interval dt`` is taken one step later.

    For values a step computes for the interval *starting* at its time: sPyNNaker
    records at tick t the synaptic input that drives tick t (with v before that
    tick's update, ``neuron_impl_standard.h``); the engine's step t computes that
    input and finishes at time t + dt, so the sample labelled t is taken after
    step t. A run up to time T has no sample labelled T (the step that computes
    it has not run).
    """

    def start_run(self, first_step, n_steps):
        self._close_chunk()
        iv = self.interval
        first_sample = -(-first_step // iv)          # labels j with j iv >= first_step ...
        last_sample = (first_step + n_steps - 1) // iv   # ... and j iv + 1 <= last step
        n = max(last_sample - first_sample + 1, 0)
        self._first_sample = first_sample
        self._buffer = np.empty((n, self.indices.size))
        self._row = 0

    def sample(self, step):
        if (step - 1) % self.interval == 0 and self._row < self._buffer.shape[0]:
            self._buffer[self._row] = self.group.state[self.variable][self.indices]
            self._row += 1


class TickStartSignalRecorder(SignalRecorder):
    """A SignalRecorder whose sample at the end of a run is taken at the start of the next.

    For simulators that record a tick's state when the tick starts (sPyNNaker:
    v of tick t before that tick's update): what a script changes between runs
    (``set_state``, ``initialize``) is in the first sample of the next run, as
    on the board. Within a run the samples are the same as SignalRecorder's.
    """

    def start_run(self, first_step, n_steps):
        self._close_chunk()
        iv = self.interval
        first_sample = -(-first_step // iv)
        last_sample = (first_step + n_steps - 1) // iv     # the end-of-run one: next run
        n = max(last_sample - first_sample + 1, 0)
        self._first_sample = first_sample
        self._buffer = np.empty((n, self.indices.size))
        self._row = 0
        if n > 0 and first_sample * iv == first_step:
            self.sample(first_step)


class SpikeRecorder:
    """Keeps (stamp, local index) of every spike of the recorded neurons of one group.

    Per spike, in buffers shared by all its steps: the local index (int32) and the
    stamp (int32; int64 from the first stamp beyond 2**31 - 1 steps), 8 bytes; exact
    times (SpikeSourceArray off the grid) add a float64, 8 bytes more, only once the
    group reports them. Nothing is kept per step, so a sparse recording costs what a
    dense one does. The buffers grow by half when full (copies amortised over the
    spikes), so they hold at most 1.5 times what is used: at most 12 bytes a spike on
    the grid and 24 with exact times, i.e. at most twice the spike data (an int32 id
    and a float64 time, 12 bytes) in every case (tests/test_memory_estimates.py
    measures dense and sparse recordings), rather than three small arrays per step
    (~240 bytes a spike).
    """

    _INT32_MAX = np.iinfo(np.int32).max

    def __init__(self, group):
        self.group = group
        self.mask = np.zeros(group.size, bool)
        self.all_recorded = False
        self.clear()

    def add_indices(self, local_indices):
        if self.mask.size < self.group.size:
            self.mask = np.concatenate([self.mask, np.zeros(self.group.size - self.mask.size, bool)])
        self.mask[local_indices] = True
        self.all_recorded = bool(self.mask.all())

    def _make_room(self, m, last_stamp):
        """Room for ``m`` more spikes, the last stamped ``last_stamp``: every per-spike
        buffer grows together, by half at least (never to more than 1.5 times what
        is used, nor less than needed)."""
        n = self._n
        needed = n + m
        if last_stamp > self._INT32_MAX and self._stamps.dtype != np.int64:
            self._stamps = self._stamps.astype(np.int64)
        if needed <= self._neurons.size:
            return
        size = max(needed, self._neurons.size + self._neurons.size // 2)
        for name in ("_neurons", "_stamps", "_times"):
            old = getattr(self, name)
            if old is not None:
                try:
                    grown = np.empty(size, old.dtype)
                except MemoryError:
                    raise AllocationTooLargeError(
                        f"recording the spikes of {type(self.group).__name__} cells: "
                        f"{n:,} spikes are kept and room for {size:,} "
                        f"({gib(size * self.bytes_per_spike())}) cannot be allocated; "
                        "record fewer cells, or run in shorter pieces with "
                        "get_data(clear=True) or write_data() in between") from None
                grown[:n] = old[:n]
                setattr(self, name, grown)

    def bytes_per_spike(self):
        """Bytes one kept spike takes in the buffers."""
        return sum(b.itemsize for b in (self._neurons, self._stamps, self._times)
                   if b is not None)

    def record(self, stamp, spiked, times=None):
        """Keep the spikes of ``spiked`` stamped ``stamp``; ``times``: their exact times, if any."""
        if not self.all_recorded:
            recorded = self.mask[spiked]
            spiked = spiked[recorded]
            if times is not None:
                times = times[recorded]
        m = spiked.size
        if m == 0:
            return
        self._make_room(m, stamp)
        n = self._n
        if times is not None and self._times is None:
            self._times = np.full(self._neurons.size, np.nan)     # the spikes so far: stamps
        self._neurons[n:n + m] = spiked
        self._stamps[n:n + m] = stamp
        if self._times is not None:
            self._times[n:n + m] = np.nan if times is None else times
        self._n = n + m

    def record_chunk(self, stamps, neurons):
        """Keep spikes of recorded neurons already selected, stamps ascending (a
        compiled stretch of steps records this way)."""
        m = stamps.size
        if m == 0:
            return
        self._make_room(m, int(stamps[-1]))
        n = self._n
        self._neurons[n:n + m] = neurons
        self._stamps[n:n + m] = stamps
        if self._times is not None:
            self._times[n:n + m] = np.nan
        self._n = n + m

    def nbytes(self):
        """Bytes held by the spike buffers."""
        return self._neurons.nbytes + self._stamps.nbytes + \
            (0 if self._times is None else self._times.nbytes)

    def get(self):
        """All recorded spikes as (stamps, local indices), in time order."""
        n = self._n
        return self._stamps[:n].astype(np.int64), self._neurons[:n].astype(np.int64)

    def get_times(self, dt):
        """The spike times (ms) in the order of :meth:`get`: exact where known, else stamp * dt."""
        stamps = self._stamps[:self._n].astype(np.int64)
        if self._times is None:
            return stamps * dt
        return np.where(np.isnan(self._times[:self._n]), stamps * dt, self._times[:self._n])

    def clear(self):
        self._neurons = np.empty(0, np.int32)
        self._stamps = np.empty(0, np.int32)
        self._times = None
        self._n = 0

    def truncate(self, step):
        """Drop the spikes stamped after ``step`` (a run stopped inside a step)."""
        self._n = int(np.searchsorted(self._stamps[:self._n], step, side="right"))

    def mark(self):
        """Where the recording stands now: pass it to :meth:`since` later."""
        return self._n

    def since(self, mark):
        """Spikes recorded after ``mark`` (from :meth:`mark`): (stamps, local indices).

        Costs only what was recorded since (live output reads the new spikes of
        each stretch of steps this way); a mark from before a :meth:`clear` or
        :meth:`truncate` reads from the start.
        """
        n0 = mark if mark <= self._n else 0
        return (self._stamps[n0:self._n].astype(np.int64),
                self._neurons[n0:self._n].astype(np.int64))
