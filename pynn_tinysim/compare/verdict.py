"""Do the backends agree? Per population and metric, a decision and a reason in words.

The inputs are, per backend, a list of repetitions (seeds), each a dict
population -> metrics (statistics.population_statistics). The first backend with
data is the reference; every other one is compared with it.

A metric agrees when

    |mean_other - mean_ref| <= max(K * spread, abs_floor, rel_floor * |mean_ref|)

with ``spread = sqrt(sd_ref**2 + sd_other**2)``, the seed-to-seed standard deviations
of that metric on each backend (0 with one seed, where the floors alone decide).
So two backends disagree only when they differ by more than different seeds of one
backend do. Floors (``TOLERANCES``) keep a metric that is nearly deterministic
(the same network and seed on an exact integrator) from demanding bit-identical
results.

For per-cell metrics (rate, CV, mean v) a two-sample Kolmogorov-Smirnov test
(scipy.stats.ks_2samp; a NumPy version without scipy) on the values pooled over
seeds must also pass: it fails when p < KS_ALPHA *and* the KS distance exceeds
KS_MIN_D. The p-value alone is not enough: the cells of one run share their input,
so they are not independent samples and p comes out too small, and with thousands
of cells it flags differences nobody cares about (checked: tinysim vs NEST on
tests/networks/tiny_net.py reached D = 0.25 with two seeds and agrees with four).

Disagreements and failed runs are explained from ``KNOWN_CAUSES``: symptoms
(an error message, rates pinned at 1/dt, a silent backend) mapped to causes that
are known to differ between backends.

Exit codes: 0 all agree, 1 something disagrees or failed on some backend,
2 the script failed on every backend that ran (or no requested backend could run).
"""

import dataclasses
import math
import re

import numpy as np

K_SPREAD = 3.0
KS_ALPHA = 1e-3
KS_MIN_D = 0.3
KS_MIN_N = 10

#: metric -> (absolute floor, relative floor)
TOLERANCES = {
    "rate_hz": (0.5, 0.10),
    "cv_isi": (0.05, 0.10),
    "fano_factor": (0.1, 0.25),
    "corr_coef": (0.02, 0.25),
    "sync_ratio": (0.02, 0.25),
    "v_mean": (1.0, 0.0),
    "v_std": (0.5, 0.15),
}
#: metrics reported but not judged (too sensitive to be a verdict on their own)
INFORMATIONAL = ("osc_peak_hz",)
UNITS = {"rate_hz": "Hz", "v_mean": "mV", "v_std": "mV", "osc_peak_hz": "Hz"}

EXIT_AGREE, EXIT_DISAGREE, EXIT_FAILED_EVERYWHERE = 0, 1, 2


@dataclasses.dataclass
class Comparison:
    population: str
    metric: str
    reference: str
    backend: str
    ref_values: list
    values: list
    ref_mean: float
    mean: float
    diff: float
    tolerance: float
    agree: bool
    ks: dict = None           # {"D", "p", "agree", "n_ref", "n"} or None
    explanation: str = ""

    @property
    def judged(self):
        return self.metric not in INFORMATIONAL


# --- distribution test ---------------------------------------------------------------------

def _kolmogorov_sf(x):
    """Survival function of the Kolmogorov distribution (asymptotic two-sample p)."""
    if x <= 0:
        return 1.0
    total = 0.0
    for k in range(1, 101):
        term = 2 * (-1) ** (k - 1) * math.exp(-2 * k * k * x * x)
        total += term
        if abs(term) < 1e-12:
            break
    return min(1.0, max(0.0, total))


def ks_2samp(a, b):
    """(D, p): two-sample KS test; scipy's when installed, else an asymptotic NumPy one."""
    a = np.sort(np.asarray(a, dtype=float))
    b = np.sort(np.asarray(b, dtype=float))
    try:
        from scipy.stats import ks_2samp as scipy_ks
        result = scipy_ks(a, b)
        return float(result.statistic), float(result.pvalue)
    except ImportError:
        pass
    grid = np.concatenate([a, b])
    d = float(np.max(np.abs(np.searchsorted(a, grid, side="right") / a.size
                            - np.searchsorted(b, grid, side="right") / b.size)))
    n = a.size * b.size / (a.size + b.size)
    return d, _kolmogorov_sf((math.sqrt(n) + 0.12 + 0.11 / math.sqrt(n)) * d)


# --- per metric --------------------------------------------------------------------------

def _finite(values):
    return [float(v) for v in values if v is not None and np.isfinite(v)]


def _sd(values):
    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def tolerance(metric, ref_values, values, k=K_SPREAD):
    abs_floor, rel_floor = TOLERANCES.get(metric, (0.0, 0.10))
    spread = math.hypot(_sd(ref_values), _sd(values))
    ref_mean = float(np.mean(ref_values)) if ref_values else 0.0
    return max(k * spread, abs_floor, rel_floor * abs(ref_mean))


def compare_metric(population, metric, reference, backend, ref_values, values,
                   ref_cells=None, cells=None, k=K_SPREAD):
    """One Comparison; None when neither backend has a finite value (nothing to judge)."""
    ref_f, f = _finite(ref_values), _finite(values)
    if not ref_f and not f:
        return None
    if not ref_f or not f:
        # a value on one side only (e.g. CV where one backend has no cell with 3 spikes)
        return Comparison(population, metric, reference, backend, ref_f, f,
                          float(np.mean(ref_f)) if ref_f else math.nan,
                          float(np.mean(f)) if f else math.nan, math.inf, 0.0, False,
                          explanation="defined on one backend only")
    ref_mean, mean = float(np.mean(ref_f)), float(np.mean(f))
    tol = tolerance(metric, ref_f, f, k)
    diff = abs(mean - ref_mean)
    agree = diff <= tol
    ks = None
    if ref_cells is not None and cells is not None:
        a, b = _finite(ref_cells), _finite(cells)
        if len(a) >= KS_MIN_N and len(b) >= KS_MIN_N:
            d, p = ks_2samp(a, b)
            ks = {"D": d, "p": p, "agree": not (p < KS_ALPHA and d > KS_MIN_D),
                  "n_ref": len(a), "n": len(b)}
    return Comparison(population, metric, reference, backend, ref_f, f, ref_mean, mean,
                      diff, tol, agree, ks)


# --- known causes ------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class KnownCause:
    name: str
    symptom: str            # for the docs: what we look for
    explanation: str


KNOWN_CAUSES = {
    "spinnaker-weight-sign": KnownCause(
        "spinnaker-weight-sign",
        "ConnectionError about a positive weight on an inhibitory (current-based) synapse",
        "the script gives inhibitory weights as positive magnitudes, sPyNNaker's convention "
        "(the receptor type gives the sign); PyNN-standard backends require negative "
        "weights there. The script looks written for SpiNNaker: run it on "
        "pyNN.tinysim.spinnaker (backend spinnaker-emu), or negate the inhibitory weights "
        "for PyNN-standard backends"),
    "izhikevich-tau-syn": KnownCause(
        "izhikevich-tau-syn",
        "Izhikevich given tau_syn_E/tau_syn_I",
        "sPyNNaker's Izhikevich has exponential current synapses (tau_syn_E, tau_syn_I); "
        "PyNN-standard Izhikevich has delta synapses and no such parameters"),
    "spinnaker-only-api": KnownCause(
        "spinnaker-only-api",
        "AttributeError for set_number_of_neurons_per_core, extra_models, external_devices",
        "the script calls sPyNNaker-only API, which PyNN-standard backends do not have"),
    "izhikevich-i-offset": KnownCause(
        "izhikevich-i-offset",
        "Izhikevich cells fire at ~1/dt (1000 Hz at dt = 1 ms) on some backend",
        "Izhikevich i_offset semantics differ between sPyNNaker and PyNN: PyNN-standard "
        "backends take i_offset in nA into a 1 pF membrane (I = 1000 * i_offset in the v "
        "equation), sPyNNaker uses I = i_offset. A value written for SpiNNaker "
        "(i_offset = 5) drives every cell to fire on every time step here; the "
        "PyNN-standard equivalent is i_offset = 0.005"),
    "izhikevich-semantics": KnownCause(
        "izhikevich-semantics",
        "a PyNN-standard backend and a sPyNNaker-semantics one disagree on Izhikevich cells",
        "Izhikevich is a different model on sPyNNaker and in PyNN standard: i_offset is I "
        "itself on sPyNNaker but nA into 1 pF (I = 1000 * i_offset) in PyNN standard, and "
        "sPyNNaker's synapses are exponential currents (tau_syn_E/I) where PyNN standard's "
        "are delta synapses (v jumps by the weight in mV)"),
    "spinnaker-semantics": KnownCause(
        "spinnaker-semantics",
        "a PyNN-standard backend and a sPyNNaker-semantics one (spinnaker, spinnaker-emu) "
        "disagree on a non-Izhikevich population",
        "sPyNNaker's semantics differ from PyNN standard's (weights as magnitudes, the LIF "
        "update with the input held over a step, exponential-synapse scaling, refractoriness "
        "in whole steps, delays rounded to steps, s16.15 fixed point): the same parameters "
        "are not the same model there"),
    "saturated": KnownCause(
        "saturated",
        "cells fire at the largest rate the time step allows on some backend",
        "the cells are driven far above threshold (check the units of currents and "
        "weights: nA, uS, mV)"),
    "silent": KnownCause(
        "silent",
        "a population is silent on one backend and active on another",
        "check weight units and signs, delays below min_delay (clipped up on sPyNNaker) "
        "and cell parameters a backend does not support"),
    "spinnaker-connector-rng": KnownCause(
        "spinnaker-connector-rng",
        "sPyNNaker ConfigurationException: use of rng in a connector is not supported",
        "sPyNNaker draws connections on the board and does not take a connector's rng= "
        "(it wants Population(..., seed=...)); PyNN-standard backends use the NumpyRNG. "
        "Drop rng= for SpiNNaker, set [Simulation] error_on_non_spynnaker_pynn = False in "
        "~/.spynnaker.cfg to make it a warning, or compare with spinnaker-emu"),
    "timeout": KnownCause("timeout", "the run passed the time limit", "the run took too long"),
    "virtual-board": KnownCause(
        "virtual-board",
        "sPyNNaker ran on a virtual board",
        "sPyNNaker mapped the network on a virtual board (no SpiNNaker machine is "
        "configured in ~/.spynnaker.cfg): the script is portable to SpiNNaker, but a "
        "virtual run records no data, so it is not compared"),
}


def explain_failure(backend, error):
    """One line: why ``backend`` failed, with a known cause when one matches."""
    if not error:
        return f"{backend} failed"
    etype, message = error.get("type", "Error"), (error.get("message") or "").strip()
    first = message.splitlines()[0] if message else ""
    if len(first) > 200:
        first = first[:197] + "..."
    verb = "could not be imported" if error.get("stage") == "import" else "rejected the script"
    line = f"{backend} {verb}: {etype}: {first}" if first else f"{backend} {verb}: {etype}"
    cause = failure_cause(error)
    if cause is not None:
        line += f" -- known cause: {KNOWN_CAUSES[cause].explanation}"
    return line


def grouped_failures(failures):
    """The failure lines, with backends that failed the same way (same verb, error type
    and known cause) merged into one line: ``"tinysim, nest rejected the script: ..."``
    (the message shown is the first backend's)."""
    groups, order = {}, []
    for backend, line in failures.items():
        m = re.match(re.escape(backend) + r" (rejected the script|could not be imported): "
                     r"([\w.]+)(.*?)( -- known cause: .*)?$", line, re.S)
        key = (m.group(1), m.group(2), m.group(4)) if m and m.group(4) else ("", backend, line)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append((backend, line))
    out = []
    for key in order:
        members = groups[key]
        if len(members) == 1:
            out.append(members[0][1])
        else:
            first_backend, first_line = members[0]
            out.append(", ".join(b for b, _ in members) + first_line[len(first_backend):])
    return out


def failure_cause(error):
    etype = error.get("type", "")
    text = f"{etype}: {error.get('message', '')}"
    low = text.lower()
    if etype == "Timeout":
        return "timeout"
    if "connectionerror" in low and ("inhibitory" in low or "negative" in low or "weight" in low):
        return "spinnaker-weight-sign"
    if re.search(r"tau_syn_[ei]", low) and "izhikevich" in low:
        return "izhikevich-tau-syn"
    if "rng" in low and "not supported" in low and "connector" in low:
        return "spinnaker-connector-rng"
    if re.search(r"set_number_of_neurons_per_core|extra_models|external_devices|"
                 r"spynnaker", low) and etype in ("AttributeError", "ModuleNotFoundError",
                                                  "ImportError"):
        return "spinnaker-only-api"
    return None


def _max_rate(dt_ms):
    return 1000.0 / dt_ms if dt_ms else math.inf


def rate_symptoms(population, by_backend):
    """Known causes visible in the rates: {backend: cause} for ``population``.

    ``by_backend``: backend -> {"rate_hz": mean, "celltype": str, "dt_ms": float}.
    """
    out = {}
    for backend, info in by_backend.items():
        rate, dt = info.get("rate_hz"), info.get("dt_ms")
        if rate is None or not np.isfinite(rate) or not dt:
            continue
        if rate >= 0.8 * _max_rate(dt):
            out[backend] = ("izhikevich-i-offset" if "izhikevich" in str(info.get("celltype", "")).lower()
                            else "saturated")
    return out


def semantic_cause(comp, info_ref, info_other, standard):
    """Known cause when exactly one of the two backends has sPyNNaker semantics."""
    if standard is None or (comp.reference in standard) == (comp.backend in standard):
        return None
    celltype = str((info_ref or {}).get("celltype") or (info_other or {}).get("celltype") or "")
    return "izhikevich-semantics" if "izhikevich" in celltype.lower() else "spinnaker-semantics"


def _hz(x):
    return f"{x:.0f}" if abs(x) >= 100 else f"{x:.3g}"


def explain_metric(comp, info_ref, info_other, symptoms, standard=None):
    """Plain words for a disagreeing Comparison."""
    unit = UNITS.get(comp.metric, "")
    unit_s = f" {unit}" if unit else ""
    if comp.agree and comp.ks is not None and not comp.ks["agree"]:
        text = (f"{comp.metric} per-cell distributions differ (KS D = {comp.ks['D']:.2f}, "
                f"p = {comp.ks['p']:.1e}) although the means agree "
                f"({comp.ref_mean:.3g} on {comp.reference}, {comp.mean:.3g}{unit_s} on "
                f"{comp.backend})")
        cause = next((symptoms[b] for b in (comp.backend, comp.reference) if b in symptoms), None)
        cause = cause or semantic_cause(comp, info_ref, info_other, standard)
        if cause:
            text += f"; {KNOWN_CAUSES[cause].explanation}"
        return text
    if comp.metric == "rate_hz":
        lo, hi = sorted([comp.ref_mean, comp.mean])
        if lo <= 0.05 and hi > 1.0:
            silent = comp.backend if comp.mean < comp.ref_mean else comp.reference
            active = comp.reference if silent == comp.backend else comp.backend
            text = (f"{silent} is silent where {active} fires at {_hz(hi)} Hz")
            cause = "silent"
        else:
            ratio = hi / lo if lo > 0 else math.inf
            text = (f"rates differ {ratio:.3g}x ({_hz(comp.ref_mean)} Hz on {comp.reference}, "
                    f"{_hz(comp.mean)} Hz on {comp.backend}; tolerance from the seed-to-seed "
                    f"spread {_hz(comp.tolerance)} Hz)") if ratio >= 1.5 else (
                    f"rates differ by {_hz(comp.diff)} Hz ({_hz(comp.ref_mean)} on "
                    f"{comp.reference}, {_hz(comp.mean)} on {comp.backend}), more than the "
                    f"tolerance {_hz(comp.tolerance)} Hz from the seed-to-seed spread")
            cause = None
        for b in (comp.backend, comp.reference):
            if b in symptoms:
                cause = symptoms[b]
                break
        cause = cause or semantic_cause(comp, info_ref, info_other, standard)
        if cause:
            text += f"; {KNOWN_CAUSES[cause].explanation}"
        return text
    if comp.explanation:
        return f"{comp.metric} {comp.explanation}"
    text = (f"{comp.metric} differs: {comp.ref_mean:.3g}{unit_s} on {comp.reference}, "
            f"{comp.mean:.3g}{unit_s} on {comp.backend} (tolerance {comp.tolerance:.2g})")
    cause = next((symptoms[b] for b in (comp.backend, comp.reference) if b in symptoms), None)
    cause = cause or semantic_cause(comp, info_ref, info_other, standard)
    if cause:
        text += f"; {KNOWN_CAUSES[cause].explanation}"
    return text


def _short(comp):
    if comp.agree and comp.ks is not None and not comp.ks["agree"]:
        return f"{comp.metric} distribution (KS D = {comp.ks['D']:.2f})"
    unit = UNITS.get(comp.metric, "")
    return f"{comp.metric} {comp.ref_mean:.3g} vs {comp.mean:.3g}{(' ' + unit) if unit else ''}"


# --- whole verdict ---------------------------------------------------------------------------

@dataclasses.dataclass
class Verdict:
    exit_code: int
    reference: str
    comparisons: list
    disagreements: list        # plain-language lines
    failures: dict             # backend -> line
    warnings: list
    summary: str


def decide(runs, order, k=K_SPREAD, standard=None):
    """Compare backends.

    ``runs``: backend -> {"status": "ok" | "failed" | "virtual",
    "error": {...} (failed), "reps": [ {population: metrics} ] (ok),
    "populations": {population: {"celltype", "dt_ms"}}}.
    ``order``: backends in the order asked for (the first with data is the reference).
    ``standard``: the backends with PyNN-standard semantics (None: not known; then no
    semantic cause is suggested).
    """
    failures, warnings, disagreements, comparisons = {}, [], [], []
    attempted = [b for b in order if b in runs]
    for b in attempted:
        if runs[b]["status"] == "failed":
            failures[b] = explain_failure(b, runs[b].get("error"))
        elif runs[b]["status"] == "virtual":
            warnings.append(f"{b}: {KNOWN_CAUSES['virtual-board'].explanation}")
        if runs[b]["status"] != "failed" and runs[b].get("errors"):
            errors = runs[b]["errors"]
            reps = ", ".join(str(e.get("rep", "?")) for e in errors)
            failures[b] = explain_failure(b, errors[0]) + f" (on repetition(s) {reps} only)"
        if runs[b]["status"] == "ok" and not any(runs[b].get("reps") or []):
            warnings.append(f"{b}: the script ran but no Population recorded anything")
    with_data = [b for b in attempted
                 if runs[b]["status"] == "ok" and any(runs[b].get("reps") or [])]
    reference = with_data[0] if with_data else None

    if attempted and all(runs[b]["status"] == "failed" for b in attempted):
        summary = "the script failed on every backend"
        return Verdict(EXIT_FAILED_EVERYWHERE, reference, [], list(failures.values()),
                       failures, warnings, summary)

    populations = []
    for b in with_data:
        for rep in runs[b]["reps"]:
            for pop in rep:
                if pop not in populations:
                    populations.append(pop)

    for pop in populations:
        info = {}
        for b in with_data:
            reps = [rep[pop] for rep in runs[b]["reps"] if pop in rep]
            meta = runs[b].get("populations", {}).get(pop, {})
            rates = _finite([r.get("rate_hz") for r in reps])
            info[b] = {"rate_hz": float(np.mean(rates)) if rates else None,
                       "celltype": meta.get("celltype"), "dt_ms": meta.get("dt_ms")}
        symptoms = rate_symptoms(pop, info)
        present = [b for b in with_data if any(pop in rep for rep in runs[b]["reps"])]
        missing = [b for b in with_data if b not in present]
        if missing and present:
            disagreements.append(f"{pop}: recorded on {', '.join(present)} but not on "
                                 f"{', '.join(missing)}")
        if len(present) == len(with_data) and len(with_data) > 1 and symptoms and \
                len(symptoms) == len(present):
            b0 = present[0]
            warnings.append(f"{pop}: fires at ~{info[b0]['rate_hz']:.0f} Hz, every time step, "
                            f"on every backend; {KNOWN_CAUSES[symptoms[b0]].explanation}")
        if len(present) < 2:
            continue
        ref = present[0]
        for other in present[1:]:
            failing = []
            for metric in list(TOLERANCES) + list(INFORMATIONAL):
                ref_reps = [rep[pop] for rep in runs[ref]["reps"] if pop in rep]
                reps = [rep[pop] for rep in runs[other]["reps"] if pop in rep]
                ref_cells = cells = None
                if metric in ("rate_hz", "cv_isi", "v_mean"):
                    ref_cells = np.concatenate([np.asarray(r.get("per_cell", {}).get(metric, []))
                                                for r in ref_reps] or [np.array([])])
                    cells = np.concatenate([np.asarray(r.get("per_cell", {}).get(metric, []))
                                            for r in reps] or [np.array([])])
                comp = compare_metric(pop, metric, ref, other,
                                      [r.get(metric) for r in ref_reps],
                                      [r.get(metric) for r in reps], ref_cells, cells, k)
                if comp is None:
                    continue
                comparisons.append(comp)
                if not comp.judged:
                    continue
                ok = comp.agree and (comp.ks is None or comp.ks["agree"])
                if not ok:
                    comp.explanation = explain_metric(comp, info.get(ref), info.get(other),
                                                      symptoms, standard)
                    failing.append(comp)
            if failing:
                # one line per population and pair: the first failing metric (the rate when
                # it fails) in full, the others briefly
                head, rest = failing[0], failing[1:]
                line = f"{pop} ({other} vs {ref}): {head.explanation}"
                if rest:
                    line += "; also different: " + ", ".join(_short(c) for c in rest)
                disagreements.append(line)

    n_ok = len(with_data)
    if failures or disagreements:
        code = EXIT_DISAGREE
        parts = []
        if failures:
            parts.append(f"failed on {', '.join(failures)}")
        n_dis = sum(1 for c in comparisons if c.judged and not (c.agree and (c.ks is None or c.ks["agree"])))
        if n_dis:
            parts.append(f"{n_dis} metric comparison(s) disagree")
        summary = "; ".join(parts) or "disagree"
    else:
        code = EXIT_AGREE
        if n_ok < 2:
            summary = "nothing to compare: fewer than two backends produced data"
            warnings.append(summary)
        else:
            n = sum(1 for c in comparisons if c.judged)
            summary = f"all {n} metric comparison(s) agree ({', '.join(with_data)})"
    return Verdict(code, reference, comparisons, disagreements, failures, warnings, summary)
