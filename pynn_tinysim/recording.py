"""Recorder: from the engine's recording arrays to what PyNN turns into neo objects.

The engine records per neuron group (see :mod:`pynn_tinysim.engine.recorders`);
a Population's Recorder selects its own cells, and its own time window (after
``get_data(clear=True)``), when PyNN asks for spikes or signals.
"""

import numpy as np
import quantities as pq

from pyNN import recording, errors
from neo.core.spiketrain import SpikeTrain
from neo.core.spiketrainlist import SpikeTrainList

from . import simulator
from .engine.network import signal_recorder
from .files import write_block


class RecordingAfterRunError(errors.RecordingError):
    """record() of a signal for new cells after the present segment has started."""

    def __init__(self, message):
        Exception.__init__(self, message)
        self.message = message

    def __str__(self):
        return self.message


class Recorder(recording.Recorder):
    _simulator = simulator

    def __init__(self, population, file=None):
        super().__init__(population, file=file)
        self._interval_steps = 1

    # --- what to record ---------------------------------------------------------

    def _local_indices(self, ids):
        population = self.population
        return population._to_group(population.id_to_index(
            np.fromiter(ids, dtype=np.int64, count=len(ids))))

    def record(self, variables, ids, sampling_interval=None, locations=None):
        if sampling_interval is not None:
            try:
                ok = np.isfinite(float(sampling_interval)) and float(sampling_interval) > 0
            except (TypeError, ValueError, OverflowError):
                ok = False
            if not ok:      # 0 would otherwise mean "dt", NaN fail in int()
                raise errors.InvalidParameterValueError(
                    f"sampling_interval={sampling_interval!r} ms: the sampling interval must "
                    "be a whole multiple of the time step "
                    f"({self._simulator.state.dt} ms)")
        # PyNN adds the cells to self.recorded before _record() checks them: a refused
        # record() must leave the recorded sets as they were
        before = {variable: set(cells) for variable, cells in self.recorded.items()}
        try:
            super().record(variables, ids, sampling_interval, locations)
        except Exception:
            for variable in list(self.recorded):
                if variable in before:
                    self.recorded[variable] = before[variable]
                else:
                    del self.recorded[variable]
            raise

    def _record(self, variable, new_ids, sampling_interval=None):
        state = self._simulator.state
        network = state.require_setup()
        group = self.population._group
        local = self._local_indices(new_ids)
        if variable.name == "spikes":
            network.record_spikes(group, local)
            return
        interval = sampling_interval or self.sampling_interval or state.dt
        steps = interval / state.dt
        if not 1 - 1e-9 <= steps < 2.0 ** 62 or abs(steps - round(steps)) > 1e-6:
            raise errors.InvalidParameterValueError(
                f"sampling_interval={interval} ms must be a whole multiple of the time step "
                f"({state.dt} ms)")
        if network.step_count > self._start_step() and len(new_ids):
            # the engine keeps no past values: these cells' samples since the start of
            # the segment would be NaN rows. NEST cannot do it either.
            raise RecordingAfterRunError(
                f"cannot start recording {variable.name!r} of {len(new_ids)} cell(s) of "
                f"{self.population.label!r} at t={state.t} ms: signals are recorded from "
                f"the start of a segment (t={self._start_step() * state.dt} ms); call "
                "record() before run(), or after reset()")
        self.sampling_interval = interval
        self._interval_steps = int(round(steps))
        if variable.name not in group.recordable:
            raise errors.RecordingError(variable.name, self.population.celltype)
        try:
            network.record_signal(group, variable.name, local, self._interval_steps)
        except ValueError as err:
            raise ValueError(str(err)) from None

    def _reset(self):
        group = self.population._group
        if group.spike_recorder is not None:
            group.spike_recorder.mask[self.population._group_indices] = False

    def _clear_simulator(self):
        # engine data is shared with other Populations of the same model family, so it
        # is not deleted here; data before _recording_start_time is filtered out instead
        pass

    def get(self, variables, gather=False, filter_ids=None, clear=False, annotations=None,
            locations=None):
        self.population._group       # StaleObjectError for a Population of an old setup()
        state = self._simulator.state
        if gather and state.num_processes > 1 and next(iter(self.cache), None) is None:
            # every rank's arrays in one collective, then one Block built on every rank
            # ("gathered to all"), instead of PyNN's pickled Blocks merged on rank 0
            self._gathered = self._gather_arrays()
            try:
                return super().get(variables, False, filter_ids, clear, annotations,
                                   locations)
            finally:
                self._gathered = None
        return super().get(variables, gather, filter_ids, clear, annotations, locations)

    _gathered = None    # while a gathered get() runs: variable -> all ranks' data

    def _gather_arrays(self):
        """{variable: (ids, spike ids, spike times, signals)} of every rank, merged.

        One allgather, whatever variables are asked for (the ranks' sets of
        variables are iterated in different orders, so one collective per variable
        could pair different variables).
        """
        local = {}
        for variable, cells in self.recorded.items():
            ids = np.array(sorted(int(i) for i in cells), np.int64)
            if variable.name == "spikes":
                local[tuple(variable)] = (ids,) + self._spikes(ids) + (None,)
            else:
                values, _ = self._get_all_signals(variable, ids)
                local[tuple(variable)] = (ids, None, None, values)
        merged = {}
        for part in self._simulator.state.network.exchange.comm.allgather(local):
            for key, item in part.items():
                merged.setdefault(key, []).append(item)
        result = {}
        for key, items in merged.items():
            ids = np.concatenate([it[0] for it in items])
            if items[0][3] is None:
                result[key] = (ids, np.concatenate([it[1] for it in items]),
                               np.concatenate([it[2] for it in items]), None)
            else:
                result[key] = (ids, None, None, np.hstack([it[3] for it in items]))
        return result

    def filter_recorded(self, variable, filter_ids):
        if self._gathered is None:
            return super().filter_recorded(variable, filter_ids)
        item = self._gathered.get(tuple(variable))
        ids = set() if item is None else set(item[0].tolist())
        return ids if filter_ids is None else ids.intersection(int(i) for i in filter_ids)

    def write(self, variables, file=None, gather=False, filter_ids=None,
              clear=False, annotations=None, locations=None):
        """Write recorded data to a file name or a neo IO, atomically (see :mod:`.files`)."""
        data = self.get(variables, gather, filter_ids, clear, annotations=annotations,
                        locations=locations)
        state = self._simulator.state
        # as PyNN: under MPI, gathered data is written by rank 0; otherwise each rank
        # writes its own cells' data to the file name with ".<rank>" appended
        if not gather and state.num_processes > 1:
            write_block(file or self.file, data, suffix=f".{state.mpi_rank}")
        elif state.mpi_rank == 0:
            write_block(file or self.file, data)

    # --- what was recorded ------------------------------------------------------

    def _get_current_segment(self, filter_ids=None, variables='all', clear=False):
        segment = super()._get_current_segment(filter_ids=filter_ids, variables=variables,
                                               clear=clear)
        fill_spiketrains(segment.spiketrains)
        return segment

    def _start_step(self):
        return int(round(float(self._recording_start_time.rescale("ms").magnitude)
                         / self._simulator.state.dt))

    def _spikes(self, ids):
        """(ids, times in ms) of recorded spikes of the given cells since recording start."""
        group = self.population._group
        if group.spike_recorder is None:
            return np.zeros(0, np.int64), np.zeros(0)
        stamps, local = group.spike_recorder.get()
        # by stamp: a spike recorded at its exact time (SpikeSourceArray, off_grid) belongs
        # to the get_data(clear=True) window its emission step is in
        keep = stamps > self._start_step()
        wanted = np.zeros(group.size, bool)
        if len(ids):
            wanted[self._local_indices(ids)] = True
        keep &= wanted[local]
        times = group.spike_recorder.get_times(self._simulator.state.dt)
        return group.ids[local[keep]], times[keep]

    def _get_spiketimes(self, ids, clear=False):
        if self._gathered is not None:
            _, spike_ids, times, _ = self._gathered[("spikes", None, None)]
            keep = np.isin(spike_ids, np.asarray(ids, np.int64))
            return spike_ids[keep], times[keep]
        return self._spikes(ids)

    def _get_all_signals(self, variable, ids, clear=False):
        if self._gathered is not None:
            all_ids, _, _, values = self._gathered[tuple(variable)]
            order = np.argsort(all_ids, kind="stable")
            columns = order[np.searchsorted(all_ids[order], np.asarray(ids, np.int64))]
            return values[:, columns], None
        state = self._simulator.state
        group = self.population._group
        step = self._interval_steps
        recorder = signal_recorder(group, variable.name, step)
        first_sample = -(-self._start_step() // step)
        last_sample = state.network.step_count // step
        n_samples = max(last_sample - first_sample + 1, 0)
        if state.network.step_count == 0:
            n_samples = 0       # nothing has run (run(0) included): no sample, not a NaN row
        if recorder is None or len(ids) == 0:
            return np.zeros((n_samples, 0)), None
        values = recorder.get(self._local_indices(ids), first_sample, n_samples)
        return values, None

    def _local_count(self, variable, filter_ids=None):
        ids = sorted(self.filter_recorded(variable, filter_ids))
        spike_ids, _ = self._spikes(ids)
        counts = dict.fromkeys((int(i) for i in ids), 0)
        if spike_ids.size:
            unique, n = np.unique(spike_ids, return_counts=True)
            counts.update(zip(unique.tolist(), n.tolist()))
        return counts


# --- fast SpikeTrain construction ------------------------------------------------
#
# PyNN hands neo the spikes as one multiplexed (times, ids) array pair; neo turns
# them into SpikeTrain objects the first time the list is iterated, one
# ``SpikeTrain(...)`` call per cell, each of which parses unit strings and compares
# quantities several times (~90 us a train: 0.35 s for the 4000 cells of the VA
# benchmark). ``fill_spiketrains`` builds the very same objects directly, with one
# stable argsort for all cells, and stores them where neo would have put them.
# The result is checked once per process against neo's own construction; if any
# attribute differs (another neo version), neo's lazy path is left to do the work.

_fast_ok = None


def _split_by_channel(spiketrains):
    """neo's per-channel selection (``times[ids == channel]``), for all channels at once."""
    ids = np.asarray(spiketrains._channel_id_array)
    channels = np.asarray(spiketrains._all_channel_ids)
    times = spiketrains._spike_time_array
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    lo = np.searchsorted(sorted_ids, channels, side="left")
    hi = np.searchsorted(sorted_ids, channels, side="right")
    return times[order], lo.tolist(), hi.tolist()


def _build_fast(spiketrains):
    """The list neo's ``SpikeTrainList._spiketrains_from_array`` would build, or None."""
    metadata = spiketrains._spiketrain_metadata
    times = spiketrains._spike_time_array
    if set(metadata) != {"t_start", "t_stop"} or not isinstance(times, pq.Quantity):
        return None
    try:
        # one real construction: neo's own units/dtype handling of t_start, t_stop
        proto = SpikeTrain(times[:0], **metadata)
    except Exception:
        return None     # let neo raise the same error when the list is used
    mag = times.magnitude
    if mag.size and (mag.min() < proto.t_start.magnitude or mag.max() > proto.t_stop.magnitude):
        return None
    sorted_times, lo, hi = _split_by_channel(spiketrains)
    channels = spiketrains._all_channel_ids
    n = len(channels)
    # (name, value, one value per channel?) in neo's order of annotate() calls
    annotation_specs = [
        (name, value,
         not isinstance(value, str) and hasattr(value, "__len__") and len(value) == n)
        for name, value in spiketrains._annotations.items()]
    t_start, t_stop = proto.t_start, proto.t_stop
    sampling_rate, segment = proto.sampling_rate, spiketrains.segment
    array_dict = type(proto.array_annotations)
    sorted_mags = sorted_times.view(np.ndarray)
    dim = sorted_times._dimensionality
    items = []
    for i, channel_id in enumerate(channels):
        st = sorted_mags[lo[i]:hi[i]].view(SpikeTrain)
        st._dimensionality = dim.copy()
        st.t_start = t_start.copy()
        st.t_stop = t_stop.copy()
        st.sampling_rate = sampling_rate
        st.array_annotations = array_dict(hi[i] - lo[i])
        annotations = {}
        for name, value, per_channel in annotation_specs:
            annotations[name] = value[i] if per_channel else value
        annotations["channel_id"] = channel_id
        st.annotations = annotations
        st.name = st.description = st.file_origin = None
        st.segment = segment
        items.append(st)
    return items


def _same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return (a.dtype == b.dtype and a.shape == b.shape and bool(np.array_equal(a, b))
                and getattr(a, "_dimensionality", None) == getattr(b, "_dimensionality", None)
                and (not isinstance(a, SpikeTrain) or _same_attrs(a, b)))
    if isinstance(a, dict):
        return (list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
                and _same_attrs(a, b))
    return a == b if not hasattr(a, "__dict__") else (a is b or _same_attrs(a, b))


def _same_attrs(a, b):
    va, vb = getattr(a, "__dict__", {}), getattr(b, "__dict__", {})
    return list(va) == list(vb) and all(
        va[k] is vb[k] or _same(va[k], vb[k]) for k in va if k != "segment")


def _fast_path_ok():
    """Does ``_build_fast`` reproduce neo's own SpikeTrains exactly (checked once)?"""
    global _fast_ok
    if _fast_ok is None:
        try:
            def sample():
                stl = SpikeTrainList.from_spike_time_array(
                    np.array([0.5, 0.1, 0.7, 0.3, 2.0]) * pq.ms, np.array([3, 1, 3, 2, 1]),
                    np.array([1, 2, 3, 4]), t_stop=2.5 * pq.ms, units="ms",
                    t_start=0.0 * pq.ms, source_population="p",
                    source_index=np.array([0, 1, 2, 3]))
                return stl
            ref = sample()
            ref._spiketrains_from_array()
            fast = _build_fast(sample())
            _fast_ok = (fast is not None and len(fast) == len(ref._items)
                        and all(_same(x, y) for x, y in zip(fast, ref._items)))
        except Exception:
            _fast_ok = False
    return _fast_ok


def fill_spiketrains(spiketrains):
    """Build the SpikeTrains of a multiplexed SpikeTrainList now, as neo would lazily."""
    if (type(spiketrains) is not SpikeTrainList or spiketrains._items is not None
            or spiketrains._spike_time_array is None or not _fast_path_ok()):
        return
    items = _build_fast(spiketrains)
    if items is not None:
        spiketrains._items = items
