"""Firing statistics of one Population's recorded data (a neo Block).

``population_statistics(block)`` returns a flat dict of population-level metrics
and, under ``"per_cell"``, the per-cell values the distribution tests use.

Metrics (spikes; every segment of the block counts, durations add up):

``rate_hz``       mean over cells of the firing rate (elephant.statistics.mean_firing_rate)
``cv_isi``        mean over cells with >= 3 spikes of CV(ISI) (elephant.statistics.isi, cv)
``fano_factor``   Fano factor of the spike counts across cells (elephant.statistics.fanofactor)
``corr_coef``     mean pairwise correlation coefficient of spike counts in 5 ms bins
                  (elephant.spike_train_correlation.correlation_coefficient on a
                  BinnedSpikeTrain) over at most 100 active cells, a fixed sample
``sync_ratio``    spike-count variance ratio: Var(population mean count) / mean over cells
                  of Var(count), 5 ms bins; ~1/N for independent cells, 1 for lockstep
                  (Golomb's chi^2 on spike counts)
``osc_peak_hz``   frequency of the largest peak of the population rate's power spectrum
                  (1 ms bins smoothed by a 2 ms Gaussian, 2 Hz and up); ``osc_peak_power``
                  that peak over the mean power (reported, not judged)
``v_mean``/``v_std`` (when v was recorded) mean over cells of the time mean / std of v

elephant is optional (the ``compare`` extra): without it every metric above is
computed by the small NumPy fallback below (same definitions, checked against
elephant in the tests), and ``ENGINE`` says which one ran.
"""

import math
import warnings

import numpy as np

try:  # pragma: no cover - depends on the environment
    import elephant
    import elephant.conversion as _conversion
    import elephant.spike_train_correlation as _correlation
    import elephant.statistics as _estats
    import quantities as pq
    HAVE_ELEPHANT = True
    ENGINE = f"elephant {elephant.__version__}"
except Exception:  # ImportError, or a broken elephant install
    HAVE_ELEPHANT = False
    ENGINE = "numpy fallback (elephant not installed: pip install 'pynn-tinysim[compare]')"

BIN_MS = 5.0              # bin for correlation and synchrony
RATE_BIN_MS = 1.0         # bin for the population-rate spectrum
RATE_SMOOTH_MS = 2.0      # sd of the Gaussian kernel smoothing that rate
MAX_CORR_CELLS = 100      # cells sampled for the pairwise correlation
MIN_SPIKES_CV = 3

#: population-level metrics, in the order reports list them
METRICS = ("rate_hz", "cv_isi", "fano_factor", "corr_coef", "sync_ratio",
           "osc_peak_hz", "v_mean", "v_std")


def _nan():
    return float("nan")


def _shifted(train, shift_ms):
    """``train`` with its spikes ``shift_ms`` later (t_start/t_stop kept; spikes beyond
    t_stop dropped)."""
    import neo
    t_stop = float(train.t_stop.rescale("ms").magnitude)
    times = np.asarray(train.rescale("ms").magnitude, dtype=float) + shift_ms
    return neo.SpikeTrain(times[times <= t_stop], t_start=train.t_start.rescale("ms"),
                          t_stop=train.t_stop.rescale("ms"), units="ms",
                          **dict(train.annotations))


def _trains_by_segment(block, shift_ms=0.0):
    """[(t_start_ms, t_stop_ms, [spike times ms arrays])] per segment with spike trains."""
    out = []
    for seg in block.segments:
        if not seg.spiketrains:
            continue
        trains = sorted(seg.spiketrains, key=lambda st: st.annotations.get("source_index", 0))
        if shift_ms:
            trains = [_shifted(st, shift_ms) for st in trains]
        t_start = float(trains[0].t_start.rescale("ms").magnitude)
        t_stop = float(trains[0].t_stop.rescale("ms").magnitude)
        times = [np.sort(np.asarray(st.rescale("ms").magnitude, dtype=float)) for st in trains]
        out.append((t_start, t_stop, times, trains))
    return out


# --- NumPy fallback (also the reference definitions) -----------------------------------

def np_cv(isi):
    return float(np.std(isi) / np.mean(isi))


def np_fanofactor(counts):
    counts = np.asarray(counts, dtype=float)
    mean = counts.mean() if counts.size else 0.0
    return float(counts.var() / mean) if mean > 0 else _nan()


def np_correlation_matrix(binned):
    """Pearson correlation of the rows of a (cells x bins) count matrix (elephant's definition)."""
    x = binned - binned.mean(axis=1, keepdims=True)
    norm = np.sqrt((x * x).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return (x @ x.T) / np.outer(norm, norm)


def bin_counts(times_list, t_start, t_stop, bin_ms):
    n_bins = max(1, int(math.floor((t_stop - t_start) / bin_ms + 1e-9)))
    edges = t_start + bin_ms * np.arange(n_bins + 1)
    return np.array([np.histogram(t[(t >= t_start) & (t < edges[-1])], edges)[0]
                     for t in times_list], dtype=float).reshape(len(times_list), n_bins)


# --- the metrics ------------------------------------------------------------------------

def _rates(segments, engine):
    total_counts = None
    duration = 0.0
    for t_start, t_stop, times, trains in segments:
        counts = np.array([t.size for t in times], dtype=float)
        total_counts = counts if total_counts is None else total_counts + counts
        duration += (t_stop - t_start)
    if total_counts is None or duration <= 0:
        return np.array([]), duration
    if engine == "elephant" and len(segments) == 1:
        t_start, t_stop, times, trains = segments[0]
        rates = np.array([float(_estats.mean_firing_rate(st).rescale("Hz").magnitude)
                          for st in trains])
    else:
        rates = total_counts / (duration / 1000.0)
    return rates, duration


def _cvs(segments, engine):
    """Per-cell CV(ISI) (nan for cells with fewer than MIN_SPIKES_CV spikes in all segments)."""
    n_cells = len(segments[0][2])
    cvs = np.full(n_cells, np.nan)
    for i in range(n_cells):
        isis = [np.diff(seg[2][i]) for seg in segments if seg[2][i].size >= 2]
        n_spikes = sum(seg[2][i].size for seg in segments)
        if n_spikes < MIN_SPIKES_CV or not isis:
            continue
        if engine == "elephant" and len(segments) == 1:
            isi = _estats.isi(segments[0][3][i]).magnitude
            cvs[i] = float(_estats.cv(isi))
        else:
            cvs[i] = np_cv(np.concatenate(isis))
    return cvs


def _fano(segments, engine):
    values = []
    for t_start, t_stop, times, trains in segments:
        if engine == "elephant":
            if sum(t.size for t in times) == 0:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                values.append(float(_estats.fanofactor(trains)))
        else:
            values.append(np_fanofactor([t.size for t in times]))
    values = [v for v in values if np.isfinite(v)]
    return float(np.mean(values)) if values else _nan()


def _sample_active(times, limit, seed=0):
    active = np.flatnonzero([t.size > 0 for t in times])
    if active.size > limit:
        active = np.sort(np.random.default_rng(seed).choice(active, limit, replace=False))
    return active


def _corr(segments, engine):
    # elephant warns when the last partial bin's spikes are dropped: intended here
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _corr_impl(segments, engine)


def _corr_impl(segments, engine):
    values = []
    for t_start, t_stop, times, trains in segments:
        idx = _sample_active(times, MAX_CORR_CELLS)
        if idx.size < 2 or t_stop - t_start < 2 * BIN_MS:
            continue
        if engine == "elephant":
            binned = _conversion.BinnedSpikeTrain(
                [trains[i] for i in idx], bin_size=BIN_MS * pq.ms,
                t_start=t_start * pq.ms, t_stop=(t_start + BIN_MS * math.floor(
                    (t_stop - t_start) / BIN_MS + 1e-9)) * pq.ms)
            cc = np.asarray(_correlation.correlation_coefficient(binned))
        else:
            cc = np_correlation_matrix(bin_counts([times[i] for i in idx], t_start, t_stop, BIN_MS))
        off = cc[~np.eye(cc.shape[0], dtype=bool)]
        off = off[np.isfinite(off)]
        if off.size:
            values.append(float(off.mean()))
    return float(np.mean(values)) if values else _nan()


def _sync(segments):
    values = []
    for t_start, t_stop, times, trains in segments:
        if len(times) < 2 or t_stop - t_start < 2 * BIN_MS:
            continue
        counts = bin_counts(times, t_start, t_stop, BIN_MS)
        mean_var = counts.var(axis=1).mean()
        if mean_var > 0:
            values.append(float(counts.mean(axis=0).var() / mean_var))
    return float(np.mean(values)) if values else _nan()


def _oscillation(segments):
    """(peak frequency Hz, peak power / mean power) of the population rate, first segment."""
    for t_start, t_stop, times, trains in segments:
        if t_stop - t_start < 100 * RATE_BIN_MS:
            continue
        all_times = np.concatenate(times) if times else np.array([])
        if all_times.size < 10:
            continue
        n_bins = int(math.floor((t_stop - t_start) / RATE_BIN_MS + 1e-9))
        rate = np.histogram(all_times, t_start + RATE_BIN_MS * np.arange(n_bins + 1))[0].astype(float)
        rate -= rate.mean()
        freqs = np.fft.rfftfreq(n_bins, d=RATE_BIN_MS / 1000.0)
        # the rate smoothed by a Gaussian kernel (sd RATE_SMOOTH_MS): without it every
        # harmonic of a train of volleys has the fundamental's power
        kernel = np.exp(-(2 * np.pi * freqs * RATE_SMOOTH_MS / 1000.0) ** 2)
        power = np.abs(np.fft.rfft(rate)) ** 2 * kernel
        band = freqs >= 2.0
        if not band.any() or power[band].mean() <= 0:
            continue
        k = np.argmax(power[band])
        return float(freqs[band][k]), float(power[band][k] / power[band].mean())
    return _nan(), _nan()


def membrane_per_segment(block):
    """Per segment with a non-empty ``v`` signal: (per-cell time mean, per-cell standard
    deviation, times in ms, population-mean trace), all in mV. The one loop over a Block's
    membrane signals, shared by these statistics and the harness's compact capture."""
    out = []
    for seg in block.segments:
        for sig in seg.analogsignals:
            if str(sig.name) != "v":
                continue
            data = np.asarray(sig.rescale("mV").magnitude, dtype=float)
            if data.size == 0:
                continue
            times = np.asarray(sig.times.rescale("ms").magnitude, dtype=float)
            out.append((data.mean(axis=0), data.std(axis=0), times, data.mean(axis=1)))
    return out


def _membrane(block):
    per_segment = membrane_per_segment(block)
    if not per_segment:
        return None, None
    # cells are columns; segments are averaged
    return (np.mean(np.vstack([seg[0] for seg in per_segment]), axis=0),
            np.mean(np.vstack([seg[1] for seg in per_segment]), axis=0))


def population_statistics(block, engine=None, spike_shift_ms=0.0, signals=None):
    """Metrics of one population (see the module doc); ``engine``: 'elephant' or 'numpy'.

    ``spike_shift_ms``: added to every spike time first. Brian2 stamps a spike with the
    start of the step in which the threshold was crossed (0..999 ms for 1000 steps of 1 ms),
    NEST and tinysim with its end (1..1000 ms); the harness shifts Brian2's spikes by one
    step so that binned measures (correlation, synchrony) see the same grid on both.
    ``signals``: the compact membrane summary (capture.py) when the block's analog signals
    were not kept.
    """
    with warnings.catch_warnings():
        # elephant 1.2 on quantities 0.16 warns about an argument it passes itself
        warnings.simplefilter("ignore", DeprecationWarning)
        return _population_statistics(block, engine, spike_shift_ms, signals)


def _population_statistics(block, engine, spike_shift_ms=0.0, signals=None):
    if engine is None:
        engine = "elephant" if HAVE_ELEPHANT else "numpy"
    if engine == "elephant" and not HAVE_ELEPHANT:
        raise RuntimeError("elephant is not installed")
    out = {m: _nan() for m in METRICS}
    out.update(n_cells=0, n_spikes=0, duration_ms=0.0, osc_peak_power=_nan(),
               has_spikes=False, has_v=False)
    per_cell = {}
    segments = _trains_by_segment(block, spike_shift_ms)
    if segments:
        rates, duration = _rates(segments, engine)
        n_spikes = int(sum(t.size for seg in segments for t in seg[2]))
        cvs = _cvs(segments, engine)
        out.update(
            n_cells=len(segments[0][2]), n_spikes=n_spikes, duration_ms=duration,
            has_spikes=True,
            rate_hz=float(rates.mean()) if rates.size else _nan(),
            cv_isi=float(np.nanmean(cvs)) if np.isfinite(cvs).any() else _nan(),
            fano_factor=_fano(segments, engine),
            corr_coef=_corr(segments, engine),
            sync_ratio=_sync(segments),
        )
        out["osc_peak_hz"], out["osc_peak_power"] = _oscillation(segments)
        per_cell["rate_hz"] = rates
        per_cell["cv_isi"] = cvs[np.isfinite(cvs)]
    v_mean, v_std = _membrane(block)
    if v_mean is None and signals is not None and "v_cell_mean" in signals:
        v_mean, v_std = np.asarray(signals["v_cell_mean"]), np.asarray(signals["v_cell_std"])
    if v_mean is not None:
        out.update(v_mean=float(v_mean.mean()), v_std=float(v_std.mean()), has_v=True)
        out["n_cells"] = out["n_cells"] or int(v_mean.size)
        per_cell["v_mean"] = v_mean
        per_cell["v_std"] = v_std
    out["per_cell"] = per_cell
    return out


def load_block(path):
    from neo.io import PickleIO
    return PickleIO(path).read_block()
