"""Do the backends agree? Per population and metric, a decision and a reason in words.

The inputs are, per backend, a list of repetitions (seeds), each a dict
population -> metrics (statistics.population_statistics). Every pair of backends that
produced data is compared on every metric of every population they share.

Each comparison is a statistical test over seeds (equivalence.py): Welch's t-test,
Holm-adjusted across all comparisons of the run, for a difference; two one-sided Welch
tests (TOST) against a practical margin for equivalence. Its outcome is one of

``equivalent``     the 90 % Welch interval of the difference lies inside +-margin;
``differ``         Holm-adjusted p < ALPHA and the difference is larger than the margin;
``inconclusive``   neither (more seeds would decide);
``too few seeds``  fewer than MIN_SEEDS finite values on a backend;
``undefined``      the metric has no value on a backend (NaN: no CV for a silent population,
                   no correlation when every bin holds the same count); never a difference by
                   itself (a silent backend is caught by its rate, which is always defined).

Margins (``MARGINS``: metric -> (absolute, relative to the two means' mean)) are
documented defaults, overridable per metric (``margins=`` / ``--margin``).

With three or more backends, the backends that stand apart are named: the smallest set
of backends that takes part in every differing pair, when the others do not differ among
themselves (``standouts``).

A per-cell two-sample Kolmogorov-Smirnov test (rates, CVs, mean v pooled over seeds) is
reported but does not decide: the cells of one run share their input, so they are not
independent samples and its p-value comes out too small.

Disagreements and failed runs are explained from ``KNOWN_CAUSES``: symptoms
(an error message, rates pinned at 1/dt, a silent backend) mapped to causes that
are known to differ between backends.

Exit codes: 0 no metric differs and every one could be judged; 1 something differs or
failed on some backend; 2 the script failed on every backend that ran (or no requested
backend could run); 3 nothing differs but some metrics had too few seeds to judge (or,
with ``strict``, stayed inconclusive).
"""

import dataclasses
import itertools
import math
import re

import numpy as np

from . import equivalence as eq
from .equivalence import DIFFER, EQUIVALENT, INCONCLUSIVE, TOO_FEW, UNDEFINED  # noqa: F401

ALPHA = 0.05
#: the default number of seeds per backend (compare, tinysim compare, assert_backends_agree)
DEFAULT_SEEDS = 5
#: below this many finite per-seed values on either backend a metric is not judged
MIN_SEEDS = 3
KS_MIN_N = 10

#: metric -> (absolute margin, relative margin): the practical equivalence margin is the
#: larger of the two (relative to the mean of the two backends' means)
MARGINS = {
    "rate_hz": (0.5, 0.10),
    "cv_isi": (0.05, 0.10),
    "fano_factor": (0.1, 0.25),
    "corr_coef": (0.02, 0.25),
    "sync_ratio": (0.02, 0.25),
    "v_mean": (1.0, 0.0),
    "v_std": (0.5, 0.15),
}
TOLERANCES = MARGINS          # the name earlier versions used
#: metrics reported but not judged (too sensitive to be a verdict on their own)
INFORMATIONAL = ("osc_peak_hz",)
INFORMATIONAL_MARGINS = {"osc_peak_hz": (2.0, 0.10)}
UNITS = {"rate_hz": "Hz", "v_mean": "mV", "v_std": "mV", "osc_peak_hz": "Hz"}
PER_CELL = ("rate_hz", "cv_isi", "v_mean")

EXIT_AGREE, EXIT_DISAGREE, EXIT_FAILED_EVERYWHERE, EXIT_UNDECIDED = 0, 1, 2, 3


@dataclasses.dataclass
class Comparison:
    population: str
    metric: str
    reference: str             # the first backend of the pair, in the order asked for
    backend: str
    ref_values: list           # finite per-seed values
    values: list
    ref_mean: float
    mean: float
    diff: float                # |mean - ref_mean|
    tolerance: float           # the practical margin
    status: str = INCONCLUSIVE
    test: dict = None          # equivalence.welch() output
    p_adjusted: float = math.nan
    ks: dict = None            # {"D", "p", "n_ref", "n"}: reported, not decisive
    explanation: str = ""
    reason: str = ""           # why undefined / too few seeds
    undefined_on: list = dataclasses.field(default_factory=list)

    @property
    def margin(self):
        return self.tolerance

    @property
    def judged(self):
        """Does this comparison take part in the verdict (not an informational metric)?"""
        return self.metric not in INFORMATIONAL

    @property
    def tested(self):
        return self.test is not None

    @property
    def agree(self):
        return self.status != DIFFER

    @property
    def differs(self):
        return self.status == DIFFER and self.judged


# --- per-cell distribution (reported only) ----------------------------------------------------

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
        import warnings
        from scipy.stats import ks_2samp as scipy_ks
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)   # exact -> asymptotic switch
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


# --- per metric --------------------------------------------------------------------------

def _finite(values):
    return [float(v) for v in values if v is not None and np.isfinite(v)]


def margin(metric, ref_values, values, margins=None):
    """The practical margin of ``metric`` for these per-seed values (see MARGINS)."""
    table = dict(MARGINS, **INFORMATIONAL_MARGINS, **(margins or {}))
    abs_m, rel_m = table.get(metric, (0.0, 0.10))
    ref_mean = float(np.mean(ref_values)) if len(ref_values) else 0.0
    mean = float(np.mean(values)) if len(values) else ref_mean
    return eq.margin_for(abs_m, rel_m, ref_mean, mean)


def tolerance(metric, ref_values, values, margins=None):
    """The margin (name kept from earlier versions)."""
    return margin(metric, ref_values, values, margins)


def _undefined_reason(backend, n_all, n_finite):
    if n_all == 0:
        return f"not recorded on {backend}"
    return f"undefined on {backend} in {n_all - n_finite} of {n_all} seed(s)"


def compare_metric(population, metric, reference, backend, ref_values, values,
                   ref_cells=None, cells=None, margins=None, min_seeds=MIN_SEEDS, alpha=ALPHA):
    """One Comparison (status ``undefined`` / ``too few seeds`` / tested, pending Holm);
    None when neither backend has a finite value and neither ran it (nothing to say)."""
    ref_f, f = _finite(ref_values), _finite(values)
    n_ref_all = sum(1 for v in ref_values if v is not None)
    n_all = sum(1 for v in values if v is not None)
    if not ref_f and not f and (not (n_ref_all or n_all) or metric in ("v_mean", "v_std")):
        return None           # nothing recorded (v of a population that records spikes only)
    ref_mean = float(np.mean(ref_f)) if ref_f else math.nan
    mean = float(np.mean(f)) if f else math.nan
    m = margin(metric, ref_f, f, margins)
    comp = Comparison(population, metric, reference, backend, ref_f, f, ref_mean, mean,
                      abs(mean - ref_mean) if ref_f and f else math.nan, m)
    if ref_cells is not None and cells is not None:
        a, b = _finite(ref_cells), _finite(cells)
        if len(a) >= KS_MIN_N and len(b) >= KS_MIN_N:
            d, p = ks_2samp(a, b)
            comp.ks = {"D": d, "p": p, "n_ref": len(a), "n": len(b)}
    if not ref_f or not f:
        why = [_undefined_reason(b, n, len(v)) for b, n, v in
               ((reference, n_ref_all, ref_f), (backend, n_all, f)) if not v]
        comp.status, comp.reason = UNDEFINED, "; ".join(why)
        comp.undefined_on = [b for b, v in ((reference, ref_f), (backend, f)) if not v]
        return comp
    if min(len(ref_f), len(f)) < min_seeds:
        comp.status = TOO_FEW
        comp.reason = (f"{len(ref_f)} seed(s) with a value on {reference}, {len(f)} on "
                       f"{backend}; at least {min_seeds} per backend are needed")
        return comp
    comp.test = eq.welch(ref_f, f, m, alpha)
    return comp


def apply_holm(comparisons, alpha=ALPHA):
    """Holm-adjust the difference p-values of the judged, tested comparisons (one family: the
    whole run) and set every tested comparison's status. Informational metrics get their
    unadjusted outcome, for the report only."""
    family = [c for c in comparisons if c.tested and c.judged]
    adjusted = eq.holm([c.test["p_diff"] for c in family])
    for c, p in zip(family, adjusted):
        c.p_adjusted = float(p)
        c.status = eq.outcome(c.test, p, alpha)
    for c in comparisons:
        if c.tested and not c.judged:
            c.p_adjusted = c.test["p_diff"]
            c.status = eq.outcome(c.test, c.p_adjusted, alpha)


def standouts(backends, differing_pairs):
    """The backends that stand apart: the unique smallest set of backends meeting every
    differing pair, leaving at least two backends that do not differ from each other.
    [] when there is none (no difference, two backends only, or no clear odd one out)."""
    backends = list(backends)
    pairs = {frozenset(p) for p in differing_pairs}
    if len(backends) < 3 or not pairs:
        return []
    for size in range(1, len(backends) - 1):
        covers = [set(s) for s in itertools.combinations(backends, size)
                  if all(p & set(s) for p in pairs)]
        if covers:
            return sorted(covers[0], key=backends.index) if len(covers) == 1 else []
    return []


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
        "the script calls sPyNNaker-only API (set_number_of_neurons_per_core, extra_models, "
        "external_devices...), which PyNN-standard backends do not have. The script is "
        "written for SpiNNaker: pyNN.tinysim.spinnaker (backend spinnaker-emu) has these "
        "calls; for PyNN-standard backends, remove them or guard them with "
        "hasattr(sim, 'set_number_of_neurons_per_core')"),
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


#: |i_offset| (nA) above which a PyNN-standard Izhikevich cell is driven to fire every step
#: (I = 1000 * i_offset into 1 pF: 0.1 nA is I = 100, ten times what makes it fire tonically)
IZHIKEVICH_I_OFFSET_SUSPECT_NA = 0.1


def izhikevich_i_offset_hints(runs, order, standard):
    """Warnings for PyNN-standard backends whose Izhikevich populations were given an i_offset
    that reads as sPyNNaker's (I itself) rather than nA: seen from the populations the script
    created, so the warning appears even when the run stopped earlier (e.g. at a weight-sign
    error)."""
    out = []
    if not standard:
        return out
    flagged = {}
    for b in order:
        if b not in standard:
            continue
        for pop in runs[b].get("created") or []:
            value = pop.get("i_offset_max_abs")
            if "izhikevich" in str(pop.get("celltype", "")).lower() and value is not None \
                    and value > IZHIKEVICH_I_OFFSET_SUSPECT_NA:
                flagged.setdefault((pop["key"], value), []).append(b)
    grouped = {}
    for (key, value), backends in flagged.items():
        grouped.setdefault((value, tuple(backends)), []).append(key)
    for (value, backends), keys in grouped.items():
        out.append(f"{', '.join(keys)}: Izhikevich i_offset = {value:g} on {', '.join(backends)}; "
                   f"{KNOWN_CAUSES['izhikevich-i-offset'].explanation}")
    return out


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


def _num(x, unit=""):
    if x is None or not np.isfinite(x):
        return "n/a"
    text = f"{x:.0f}" if abs(x) >= 100 else f"{x:.3g}"
    return text + (f" {unit}" if unit else "")


def test_words(comp):
    """The numbers behind an outcome, e.g. ``difference +2.3 Hz, 90% CI [1.4, 3.2], margin
    +-1.1; Welch p = 0.001 (Holm 0.02), df 7.4; 5 vs 5 seeds``."""
    t = comp.test
    if t is None:
        return comp.reason
    unit = UNITS.get(comp.metric, "")
    unit_s = f" {unit}" if unit else ""
    n = f"{t['n_a']} vs {t['n_b']} seeds"
    if t["exact"]:
        return (f"difference {t['diff']:+.3g}{unit_s} on every seed (no seed-to-seed spread), "
                f"margin ±{comp.tolerance:.2g}; {n}")
    lo, hi = t["ci"]
    conf = int(round(100 * (1 - 2 * ALPHA)))
    holm = f" (Holm {comp.p_adjusted:.2g})" if comp.judged and np.isfinite(comp.p_adjusted) else ""
    return (f"difference {t['diff']:+.3g}{unit_s}, {conf}% CI [{lo:.3g}, {hi:.3g}], margin "
            f"±{comp.tolerance:.2g}; Welch p = {t['p_diff']:.2g}{holm}, df {t['df']:.1f}; {n}")


def explain_metric(comp, info_ref, info_other, symptoms, standard=None):
    """Plain words for a differing Comparison."""
    unit = UNITS.get(comp.metric, "")
    cause = None
    if comp.metric == "rate_hz":
        lo, hi = sorted([comp.ref_mean, comp.mean])
        if lo <= 0.05 and hi > 1.0:
            silent = comp.backend if comp.mean < comp.ref_mean else comp.reference
            active = comp.reference if silent == comp.backend else comp.backend
            text = f"{silent} is silent where {active} fires at {_hz(hi)} Hz"
            cause = "silent"
        else:
            ratio = hi / lo if lo > 0 else math.inf
            what = f"rates differ {ratio:.3g}x" if ratio >= 1.5 else "rates differ"
            text = (f"{what} ({_hz(comp.ref_mean)} Hz on {comp.reference}, {_hz(comp.mean)} Hz "
                    f"on {comp.backend}; {test_words(comp)})")
    else:
        text = (f"{comp.metric} differs: {_num(comp.ref_mean, unit)} on {comp.reference}, "
                f"{_num(comp.mean, unit)} on {comp.backend} ({test_words(comp)})")
    for b in (comp.backend, comp.reference):
        if b in symptoms:
            cause = symptoms[b]
            break
    cause = cause or semantic_cause(comp, info_ref, info_other, standard)
    if cause:
        text += f"; {KNOWN_CAUSES[cause].explanation}"
    return text


def _short(comp):
    unit = UNITS.get(comp.metric, "")
    return f"{comp.metric} {_num(comp.ref_mean)} vs {_num(comp.mean, unit)}"


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
    standouts: dict = dataclasses.field(default_factory=dict)   # population -> [backends]
    counts: dict = dataclasses.field(default_factory=dict)      # outcome -> number (judged)
    alpha: float = ALPHA
    min_seeds: int = MIN_SEEDS
    margins: dict = dataclasses.field(default_factory=dict)


def _per_cell(reps, metric):
    if metric not in PER_CELL:
        return None
    return np.concatenate([np.asarray(r.get("per_cell", {}).get(metric, []), dtype=float)
                           for r in reps] or [np.array([])])


def decide(runs, order, k=None, standard=None, margins=None, min_seeds=MIN_SEEDS,
           alpha=ALPHA, strict=False):
    """Compare backends.

    ``runs``: backend -> {"status": "ok" | "failed" | "virtual",
    "error": {...} (failed), "reps": [ {population: metrics} ] (ok),
    "populations": {population: {"celltype", "dt_ms"}}}.
    ``order``: backends in the order asked for (the first of each pair is its reference).
    ``standard``: the backends with PyNN-standard semantics (None: not known; then no
    semantic cause is suggested). ``margins``: {metric: (absolute, relative)} overriding
    MARGINS. ``strict``: inconclusive metrics make the exit status 3. (``k`` is accepted
    and ignored: the spread rule it set is gone.)
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
    warnings += izhikevich_i_offset_hints(runs, attempted, standard)

    if attempted and all(runs[b]["status"] == "failed" for b in attempted):
        summary = "the script failed on every backend"
        return Verdict(EXIT_FAILED_EVERYWHERE, reference, [], list(failures.values()),
                       failures, warnings, summary, margins=dict(MARGINS, **(margins or {})))

    populations = []
    for b in with_data:
        for rep in runs[b]["reps"]:
            for pop in rep:
                if pop not in populations:
                    populations.append(pop)

    pop_info = {}
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
        pop_info[pop] = (info, symptoms, present)
        missing = [b for b in with_data if b not in present]
        if missing and present:
            disagreements.append(f"{pop}: recorded on {', '.join(present)} but not on "
                                 f"{', '.join(missing)}")
        if len(present) == len(with_data) and len(with_data) > 1 and symptoms and \
                len(symptoms) == len(present):
            b0 = present[0]
            warnings.append(f"{pop}: fires at ~{info[b0]['rate_hz']:.0f} Hz, every time step, "
                            f"on every backend; {KNOWN_CAUSES[symptoms[b0]].explanation}")
        for ref, other in itertools.combinations(present, 2):
            ref_reps = [rep[pop] for rep in runs[ref]["reps"] if pop in rep]
            reps = [rep[pop] for rep in runs[other]["reps"] if pop in rep]
            for metric in list(MARGINS) + list(INFORMATIONAL):
                comp = compare_metric(pop, metric, ref, other,
                                      [r.get(metric) for r in ref_reps],
                                      [r.get(metric) for r in reps],
                                      _per_cell(ref_reps, metric), _per_cell(reps, metric),
                                      margins, min_seeds, alpha)
                if comp is not None:
                    comparisons.append(comp)

    apply_holm(comparisons, alpha)

    standout = {}
    for pop in populations:
        info, symptoms, present = pop_info[pop]
        pair_lines = []
        for ref, other in itertools.combinations(present, 2):
            failing = [c for c in comparisons if c.population == pop and c.reference == ref
                       and c.backend == other and c.differs]
            if not failing:
                continue
            for c in failing:
                c.explanation = explain_metric(c, info.get(ref), info.get(other), symptoms,
                                               standard)
            # one line per population and pair: the first differing metric (the rate when it
            # differs) in full, the others briefly
            head, rest = failing[0], failing[1:]
            line = f"{pop} ({other} vs {ref}): {head.explanation}"
            if rest:
                line += "; also different: " + ", ".join(_short(c) for c in rest)
            pair_lines.append((ref, other, line))
        apart = standouts(present, [(a, b) for a, b, _ in pair_lines])
        if not apart:
            disagreements += [line for _, _, line in pair_lines]
            continue
        standout[pop] = apart
        rest = [b for b in present if b not in apart]
        metrics = sorted({c.metric for c in comparisons if c.population == pop and c.differs},
                         key=list(MARGINS).index)
        disagreements.append(
            f"{pop}: {' and '.join(apart)} {'stands' if len(apart) == 1 else 'stand'} apart "
            f"({', '.join(metrics)}): {', '.join(rest)} do not differ from each other")
        for b in apart:
            mine = [(x, y, line) for x, y, line in pair_lines if b in (x, y)]
            if not mine:
                continue
            line = mine[0][2]
            others = [y if x == b else x for x, y, _ in mine[1:]]
            if others:
                line += f" (likewise against {', '.join(others)})"
            disagreements.append(line)

    judged = [c for c in comparisons if c.judged]
    counts = {s: sum(1 for c in judged if c.status == s)
              for s in (EQUIVALENT, DIFFER, INCONCLUSIVE, TOO_FEW, UNDEFINED)}
    for c in judged:
        if c.status == UNDEFINED:
            warnings.append(f"{c.population} {c.metric} ({c.backend} vs {c.reference}): "
                            f"undefined ({c.reason}); not compared")
    n_ok = len(with_data)
    parts_ok = [f"{counts[s]} {s}" for s in (EQUIVALENT, INCONCLUSIVE, TOO_FEW, UNDEFINED)
                if counts[s]]
    if failures or disagreements:
        code = EXIT_DISAGREE
        parts = []
        if failures:
            parts.append(f"failed on {', '.join(failures)}")
        if counts[DIFFER]:
            parts.append(f"{counts[DIFFER]} metric comparison(s) differ")
        if standout:
            names = sorted({b for v in standout.values() for b in v}, key=with_data.index)
            parts.append(f"{', '.join(names)} stand{'s' if len(names) == 1 else ''} apart")
        summary = "; ".join(parts) or "disagree"
    elif n_ok < 2:
        code = EXIT_AGREE
        summary = "nothing to compare: fewer than two backends produced data"
        warnings.append(summary)
    elif counts[TOO_FEW] or (strict and counts[INCONCLUSIVE]):
        code = EXIT_UNDECIDED
        why = (f"{counts[TOO_FEW]} metric comparison(s) had too few seeds to judge (at least "
               f"{min_seeds} per backend needed)" if counts[TOO_FEW] else
               f"{counts[INCONCLUSIVE]} metric comparison(s) inconclusive (strict)")
        summary = f"no difference found, but {why}: " + ", ".join(parts_ok)
    elif counts[EQUIVALENT] + counts[INCONCLUSIVE] == 0:
        code = EXIT_UNDECIDED
        summary = "nothing could be judged: " + (", ".join(parts_ok) or "no metrics")
    else:
        code = EXIT_AGREE
        summary = (f"no difference in {counts[EQUIVALENT] + counts[INCONCLUSIVE]} metric "
                   f"comparison(s) ({', '.join(parts_ok)}; {', '.join(with_data)})")
        if counts[INCONCLUSIVE]:
            warnings.append(f"{counts[INCONCLUSIVE]} metric comparison(s) inconclusive: no "
                            "difference beyond the margin, but not shown to be within it "
                            "either; more seeds would decide")
    return Verdict(code, reference, comparisons, disagreements, failures, warnings, summary,
                   standout, counts, alpha, min_seeds, dict(MARGINS, **(margins or {})))
