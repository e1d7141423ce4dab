"""Equivalent of ``spynnaker.pyNN.utilities.neo_convertor`` (served where sPyNNaker is absent).

sPyNNaker's helpers that turn neo data into its old (sPyNNaker 7) numpy
layout: spikes as rows ``(neuron index, time ms)``, signals as rows
``(neuron index, time ms, value)``, neuron by neuron. Same names, arguments
and layouts; written for pyNN.tinysim's neo output (pyNN's ``source_index``
annotation on spike trains, ``channel_index`` on signals).
"""

import numpy as np
import quantities as pq


def _channel_ids(signal):
    """The neuron indices of a signal's columns."""
    for source in (signal.array_annotations, signal.annotations):
        for key in ("channel_index", "channel_names", "source_ids"):
            if key in source and len(source[key]) == signal.shape[1]:
                return np.asarray(source[key])
    return np.arange(signal.shape[1])


def convert_analog_signal(signal_array, time_unit=pq.ms):
    """Rows (neuron index, time, value) of an AnalogSignal, neuron after neuron."""
    ids = _channel_ids(signal_array)
    times = signal_array.times.rescale(time_unit).magnitude
    values = np.asarray(signal_array.magnitude)
    return np.column_stack((np.repeat(ids, len(times)), np.tile(times, len(ids)),
                            values.T.reshape(-1)))


def _segment(data, run):
    if len(data.segments) <= run:
        raise ValueError(f"Data only contains {len(data.segments)} so unable to run {run}. "
                         "Note run is the zero based index.")
    return data.segments[run]


def convert_data(data, name, run=0):
    """Rows for the variable ``name`` ("spikes" or a signal) of segment ``run``."""
    segment = _segment(data, run)
    if name == "all":
        raise ValueError("Unable to convert all data in one go as result would be "
                         "comparing apples and oranges.")
    if name == "spikes":
        return convert_spiketrains(segment.spiketrains)
    return convert_analog_signal(segment.filter(name=name)[0])


def convert_data_list(data, name, runs=None):
    """:func:`convert_data` for each run (default: every segment)."""
    runs = range(len(data.segments)) if runs is None else runs
    return [convert_data(data, name, run=run) for run in runs]


def convert_v_list(data, runs=None):
    return convert_data_list(data, "v", runs=runs)


def convert_gsyn_exc_list(data, runs=None):
    return convert_data_list(data, "gsyn_exc", runs=runs)


def convert_gsyn_inh_list(data, runs=None):
    return convert_data_list(data, "gsyn_inh", runs=runs)


def convert_gsyn(gsyn_exc, gsyn_inh):
    """Rows (neuron index, time, gsyn_exc, gsyn_inh) of the first segment of each block."""
    exc = gsyn_exc.segments[0].filter(name="gsyn_exc")[0]
    inh = gsyn_inh.segments[0].filter(name="gsyn_inh")[0]
    ids, ids_inh = _channel_ids(exc), _channel_ids(inh)
    if len(ids) != len(ids_inh) or not np.array_equal(ids, ids_inh):
        raise ValueError("IDs in gsyn_exc and gsyn_inh do not match")
    times = exc.times.rescale(pq.ms).magnitude
    if len(times) != len(inh.times) or not np.allclose(times, inh.times.rescale(pq.ms).magnitude):
        raise ValueError("times in gsyn_exc and gsyn_inh do not match")
    return np.column_stack((np.repeat(ids, len(times)), np.tile(times, len(ids)),
                            np.asarray(exc.magnitude).T.reshape(-1),
                            np.asarray(inh.magnitude).T.reshape(-1)))


def convert_spiketrains(spiketrains):
    """Rows (neuron index, spike time ms) of a list of SpikeTrains, train after train."""
    if len(spiketrains) == 0:
        return np.empty((0, 2))
    neurons = np.concatenate([
        np.full(len(train), train.annotations.get("source_index", i), dtype=float)
        for i, train in enumerate(spiketrains)])
    times = np.concatenate([train.rescale(pq.ms).magnitude for train in spiketrains])
    return np.column_stack((neurons, times))


def convert_spikes(neo, run=0):
    """Rows (neuron index, spike time ms) of segment ``run``."""
    return convert_spiketrains(_segment(neo, run).spiketrains)


def count_spiketrains(spiketrains):
    """The number of spikes in a list of SpikeTrains."""
    return sum(len(train) for train in spiketrains)


def count_spikes(neo):
    """The number of spikes in the first segment."""
    return count_spiketrains(neo.segments[0].spiketrains)
