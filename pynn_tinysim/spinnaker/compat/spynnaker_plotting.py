"""Equivalent of ``spynnaker.spynnaker_plotting`` (served where sPyNNaker is absent).

sPyNNaker's matplotlib helpers: raster plots of spike trains or of
``(neuron, time)`` rows, heat maps of signals, a whole neo Segment. Same
names and arguments; matplotlib is imported only when one is called.
"""

import numpy as np

from . import neo_convertor


def _options(axes, options):
    options = dict(options)
    for name in ("xlim", "ylim", "xlabel", "ylabel", "title"):
        value = options.pop(name, None)
        if value is not None:
            getattr(axes, f"set_{name}")(value)
    if options.pop("legend", False):
        axes.legend()
    if not options.pop("xticks", True):
        axes.set_xticklabels([])
    if not options.pop("yticks", True):
        axes.set_yticklabels([])
    return options


def plot_spikes_numpy(axes, spikes, label="", **options):
    """Raster plot of rows (neuron index, time ms)."""
    spikes = np.asarray(spikes).reshape(-1, 2)
    rest = _options(axes, options)
    axes.plot(spikes[:, 1], spikes[:, 0], ".", markersize=rest.pop("markersize", 2),
              label=label, **rest)
    axes.set_xlabel(axes.get_xlabel() or "Time (ms)")
    axes.set_ylabel(axes.get_ylabel() or "Neuron index")


def plot_spiketrains(axes, spiketrains, label="", **options):
    """Raster plot of a list of neo SpikeTrains."""
    plot_spikes_numpy(axes, neo_convertor.convert_spiketrains(spiketrains), label, **options)


def heat_plot_numpy(axes, data, label="", **options):
    """Heat map of rows (neuron index, time, value)."""
    data = np.asarray(data)
    neurons = data[:, 0].astype(int)
    times = data[:, 1]
    steps = np.unique(times)
    grid = np.full((neurons.max() + 1 if neurons.size else 0, steps.size), np.nan)
    grid[neurons, np.searchsorted(steps, times)] = data[:, 2]
    rest = _options(axes, options)
    image = axes.imshow(grid, aspect="auto", interpolation="none", origin="lower",
                        extent=(steps[0], steps[-1], 0, grid.shape[0]) if steps.size else None,
                        **rest)
    axes.set_xlabel(axes.get_xlabel() or "Time (ms)")
    axes.set_ylabel(axes.get_ylabel() or "Neuron index")
    if label:
        axes.set_title(axes.get_title() or label)
    return image


def heat_plot_neo(axes, signal_array, label="", **options):
    """Heat map of a neo AnalogSignal."""
    return heat_plot_numpy(axes, neo_convertor.convert_analog_signal(signal_array),
                           label or signal_array.name, **options)


def plot_segment(axes, segment, label="", **options):
    """Spikes of a Segment as a raster, or its one signal as a heat map."""
    if segment.spiketrains:
        return plot_spiketrains(axes, segment.spiketrains, label=label, **options)
    if len(segment.analogsignals) > 1:
        raise ValueError("Please call with a single signal")
    if segment.analogsignals:
        return heat_plot_neo(axes, segment.analogsignals[0], label=label, **options)
    raise ValueError("No spikes or signals in the segment")
