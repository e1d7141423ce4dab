"""Capture every Population's recorded data in a child process, whatever the script does.

``install(backend_module, out_dir)`` wraps the backend's Population class so that
every Population is registered when it is created, and wraps ``end()`` and
``setup()`` so that, before the simulator is torn down or rebuilt, each registered
Population that recorded anything is asked for ``get_data()`` and the neo Block is
saved as ``<out_dir>/<key>.pkl`` (neo PickleIO). ``flush()`` does the same at the
end of the child (a script that never calls end() or get_data()), and after an
exception (what was recorded before it is kept). If the script itself called
``get_data(clear=True)``, the blocks it got are kept and saved with the rest.

Compact by default: spikes are saved as recorded, but analog signals are not (an 800-cell
network recording v at 0.1 ms is hundreds of MB per run). For ``v`` the statistics and
figures need only each cell's time mean and standard deviation and the population-mean
trace; those go to ``<key>.signals.npz`` (``membrane_summary``) and every analog signal is
dropped from the pickle. ``keep_signals=True`` (``--keep-signals``) keeps them all.

Population keys: the label the script gave (made unique with ``#<n>`` when two
Populations share it), otherwise ``population<n>`` with n the creation index, so
the same script gives the same keys on every backend (sPyNNaker and PyNN name
unlabelled Populations differently).
"""

import functools
import inspect
import os
import re

_SAFE = re.compile(r"[^A-Za-z0-9_.#-]+")


def safe_filename(key):
    return _SAFE.sub("_", key).strip("._") or "population"


MAX_TRACE_POINTS = 2000     # points of the population-mean v trace kept for the figure


def membrane_summary(block):
    """{"v_cell_mean", "v_cell_std" (per cell, averaged over segments), "v_trace_t",
    "v_trace_mean" (population-mean v of the first segment with v, at most
    MAX_TRACE_POINTS points)} or None when v was not recorded."""
    import numpy as np
    from .statistics import membrane_per_segment
    per_segment = membrane_per_segment(block)
    if not per_segment:
        return None
    _, _, times, trace = per_segment[0]
    step = max(1, times.size // MAX_TRACE_POINTS)
    return {"v_cell_mean": np.mean(np.vstack([seg[0] for seg in per_segment]), axis=0),
            "v_cell_std": np.mean(np.vstack([seg[1] for seg in per_segment]), axis=0),
            "v_trace_t": times[::step], "v_trace_mean": trace[::step]}


def _drop_signals(block):
    for seg in block.segments:
        seg.analogsignals = []
        if hasattr(seg, "irregularlysampledsignals"):
            seg.irregularlysampledsignals = []


class Capture:
    def __init__(self, out_dir, keep_signals=False):
        self.out_dir = out_dir
        self.keep_signals = keep_signals
        self.entries = []          # [population, index, label_given] in creation order
        self.cleared = {}          # id(pop) -> [Block] the script cleared
        self.saved = []            # manifest entries
        self.generation = 0        # incremented by each setup() after the first
        self.errors = []
        self.timestep = None
        self.t_stop = None
        self.n_created = 0
        self.created = []          # every Population made: key, celltype, size, i_offset

    # --- registry ---------------------------------------------------------------
    def register(self, population, label_given):
        self.entries.append((population, self.n_created, label_given))
        self.n_created += 1

    def _keys(self):
        """Population keys (see the module doc), unique within this run."""
        keys, used = [], {}
        for population, index, label_given in self.entries:
            base = str(label_given) if label_given else f"population{index}"
            if self.generation:
                base = f"setup{self.generation}/{base}"
            n = used.get(base, 0)
            used[base] = n + 1
            keys.append(base if n == 0 else f"{base}#{n}")
        return keys

    # --- saving -----------------------------------------------------------------
    def note_time(self, sim):
        for attr, getter in (("timestep", "get_time_step"), ("t_stop", "get_current_time")):
            try:
                setattr(self, attr, float(getattr(sim, getter)()))
            except Exception:
                pass

    def flush(self, sim=None):
        """Save the data of every registered Population; forget them."""
        if sim is not None:
            self.note_time(sim)
        from neo.io import PickleIO

        os.makedirs(self.out_dir, exist_ok=True)
        for (population, index, label_given), key in zip(self.entries, self._keys()):
            self.created.append(_describe(population, key))
            try:
                block = population.get_data("all", gather=True, clear=False)
            except Exception as err:   # not recording, or the backend refuses
                block = None
                if not _is_not_recording_error(err):
                    self.errors.append(f"{key}: get_data() failed: {type(err).__name__}: {err}")
            blocks = self.cleared.pop(id(population), []) + ([block] if block is not None else [])
            block = _merge(blocks)
            if block is None or not _has_recordings(block):
                continue
            filename = safe_filename(key) + ".pkl"
            variables = _variables(block)
            signals_file = None
            if not self.keep_signals and any(seg.analogsignals for seg in block.segments):
                summary = membrane_summary(block)
                if summary is not None:
                    import numpy as np
                    signals_file = safe_filename(key) + ".signals.npz"
                    np.savez_compressed(os.path.join(self.out_dir, signals_file), **summary)
                _drop_signals(block)
            try:
                PickleIO(os.path.join(self.out_dir, filename)).write_block(block)
            except Exception as err:
                self.errors.append(f"{key}: could not save data: {type(err).__name__}: {err}")
                continue
            self.saved.append({
                "key": key,
                "label": str(getattr(population, "label", key)),
                "index": index,
                "size": int(getattr(population, "size", 0) or 0),
                "celltype": _celltype_name(population),
                "file": filename,
                "variables": variables,
                "signals_file": signals_file,
                "signals_kept": bool(self.keep_signals),
                "segments": len(block.segments),
            })
        self.entries = []

    def manifest(self):
        return {"populations": self.saved, "timestep_ms": self.timestep,
                "t_stop_ms": self.t_stop, "capture_errors": self.errors,
                "created": self.created}


def _describe(population, key):
    """What the verdict may need to explain a run that failed before recording: the cell type
    and its largest |i_offset| (a sPyNNaker-style Izhikevich i_offset shows even when the run
    stops at a weight-sign error)."""
    out = {"key": key, "celltype": _celltype_name(population),
           "size": int(getattr(population, "size", 0) or 0)}
    try:
        import numpy as np
        names = population.celltype.get_parameter_names()
        if "i_offset" in names:
            value = population.get("i_offset")
            out["i_offset_max_abs"] = float(np.max(np.abs(np.asarray(value, dtype=float))))
    except Exception:
        pass
    return out


def _is_not_recording_error(err):
    text = f"{type(err).__name__} {err}".lower()
    return "record" in text


def _celltype_name(population):
    celltype = getattr(population, "celltype", None)
    if celltype is None:
        return "?"
    return celltype.__name__ if isinstance(celltype, type) else type(celltype).__name__


def _has_recordings(block):
    return any(seg.spiketrains or seg.analogsignals for seg in block.segments)


def _variables(block):
    out = set()
    for seg in block.segments:
        if seg.spiketrains:
            out.add("spikes")
        for sig in seg.analogsignals:
            out.add(str(sig.name))
    return sorted(out)


def _merge(blocks):
    blocks = [b for b in blocks if b is not None]
    if not blocks:
        return None
    if len(blocks) == 1:
        return blocks[0]
    merged = blocks[0]
    for block in blocks[1:]:
        for seg in block.segments:
            merged.segments.append(seg)
    return merged


def install(capture, sim):
    """Wrap ``sim.Population``, ``sim.end`` and ``sim.setup`` to feed ``capture``."""
    cls = sim.Population
    original_init = cls.__init__
    if not getattr(original_init, "_pynn_tinysim_capture", False):
        try:
            signature = inspect.signature(original_init)
        except (TypeError, ValueError):
            signature = None

        @functools.wraps(original_init)
        def __init__(self, *args, **kwargs):
            original_init(self, *args, **kwargs)
            label = kwargs.get("label")
            if label is None and signature is not None:
                try:
                    label = signature.bind(self, *args, **kwargs).arguments.get("label")
                except TypeError:
                    label = None
            if not getattr(self, "_pynn_tinysim_registered", False):
                try:
                    self._pynn_tinysim_registered = True
                except Exception:
                    pass
                capture.register(self, label)

        __init__._pynn_tinysim_capture = True
        cls.__init__ = __init__

    original_get_data = getattr(cls, "get_data", None)
    if original_get_data is not None and not getattr(original_get_data, "_pynn_tinysim_capture", False):
        @functools.wraps(original_get_data)
        def get_data(self, *args, **kwargs):
            block = original_get_data(self, *args, **kwargs)
            clear = kwargs.get("clear", args[2] if len(args) > 2 else False)
            if clear:
                capture.cleared.setdefault(id(self), []).append(block)
            return block

        get_data._pynn_tinysim_capture = True
        cls.get_data = get_data

    original_end = sim.end

    @functools.wraps(original_end)
    def end(*args, **kwargs):
        capture.flush(sim)
        return original_end(*args, **kwargs)

    sim.end = end

    original_setup = sim.setup

    @functools.wraps(original_setup)
    def setup(*args, **kwargs):
        if capture.entries:          # a second setup() destroys the first network
            capture.flush(sim)
            capture.generation += 1
        return original_setup(*args, **kwargs)

    sim.setup = setup
