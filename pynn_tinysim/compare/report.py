"""The comparison's report: ``results.json``, ``summary.md``, ``report.html`` (the same,
self-contained, figures inline as base64 PNG), PNG figures (rasters of every backend in
its own colour, population rate (PSTH) with the seed-to-seed spread, mean v, per-cell
histograms), and the compact table printed on the terminal. Tables give the per-seed
values, the margin and the test figures of every comparison.

``results.json`` has every metric of every population for every backend and seed
(``runs.<backend>.seeds[i].populations.<population>``), the comparisons with their
tolerances and KS tests, the failures, warnings and the exit code. Per-cell values
are not in it (they are in the saved neo data next to it).

Figures need matplotlib (the ``compare`` extra); without it the report says so and
everything else is written as usual.
"""

import datetime
import json
import math
import os

import numpy as np

from . import equivalence, statistics, verdict as verdict_mod

TABLE_METRICS = ("rate_hz", "cv_isi", "fano_factor", "corr_coef", "sync_ratio",
                 "osc_peak_hz", "v_mean", "v_std")


def _clean(value):
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.ndarray):
        return [_clean(v) for v in value.tolist()]
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _comparison_dict(c):
    t = c.test or {}
    return {
        "population": c.population, "metric": c.metric, "reference": c.reference,
        "backend": c.backend, "reference_values": c.ref_values, "values": c.values,
        "reference_mean": c.ref_mean, "mean": c.mean, "difference": c.diff,
        "margin": c.tolerance, "tolerance": c.tolerance, "judged": c.judged,
        "outcome": c.status, "agree": bool(c.agree), "reason": c.reason or None,
        "test": ({"name": "Welch t-test / TOST", "n_reference": t.get("n_a"),
                  "n": t.get("n_b"), "df": t.get("df"), "p_difference": t.get("p_diff"),
                  "p_difference_holm": c.p_adjusted if c.judged else None,
                  "p_equivalence_tost": t.get("p_equiv"),
                  "ci_difference": list(t.get("ci", ())), "exact": t.get("exact")}
                 if c.test else None),
        "ks_per_cell": c.ks, "explanation": c.explanation}


def to_dict(result):
    runs = {}
    for name, entry in result.runs.items():
        seeds = []
        for r in entry["results"]:
            manifest = r.manifest or {}
            rec = {"rep": r.rep, "status": r.status, "wall_s": r.wall_s, "dir": r.run_dir,
                   "error": ({k: v for k, v in (r.error or {}).items() if k != "traceback"}
                             if r.error else None),
                   "seeds_used": manifest.get("seeds"),
                   "timestep_ms": manifest.get("timestep_ms"),
                   "t_stop_ms": manifest.get("t_stop_ms"),
                   "capture_errors": manifest.get("capture_errors") or []}
            if r.status == "ok" and r.rep in entry["rep_ids"]:
                pops = entry["reps"][entry["rep_ids"].index(r.rep)]
                rec["populations"] = {k: {m: v for m, v in stats.items() if m != "per_cell"}
                                      for k, stats in pops.items()}
            seeds.append(rec)
        runs[name] = {"status": entry["status"], "virtual": entry["virtual"],
                      "populations": entry["populations"], "seeds": seeds,
                      "failure": result.verdict.failures.get(name)}
    v = result.verdict
    return _clean({
        "script": result.script,
        "script_args": result.script_args,
        "created": datetime.datetime.now().isoformat(timespec="seconds"),
        "backends_requested": result.requested,
        "backends_run": [b.name for b in result.plan.run],
        "skipped": result.plan.skipped,
        "notes": result.plan.notes,
        "seeds": result.seeds,
        "base_seed": result.base_seed,
        "keep_script_seeds": result.keep_script_seeds,
        "keep_signals": result.keep_signals,
        "statistics_engine": result.engine,
        "test": {"name": equivalence.TEST_NAME, "alpha": v.alpha,
                 "multiple_comparisons": "Holm (family-wise error rate) over all judged "
                                         "comparisons of the run",
                 "min_seeds": v.min_seeds, "margins": v.margins,
                 "informational": list(verdict_mod.INFORMATIONAL),
                 "ks_per_cell": "reported only"},
        "runs": runs,
        "comparisons": [_comparison_dict(c) for c in v.comparisons],
        "verdict": {"exit_code": v.exit_code, "summary": v.summary,
                    "counts": v.counts, "standouts": v.standouts,
                    "disagreements": v.disagreements, "failures": v.failures,
                    "warnings": v.warnings},
    })


# --- the table ------------------------------------------------------------------------------

def _fmt(values):
    values = [v for v in values if v is not None and np.isfinite(v)]
    if not values:
        return "-"
    mean = float(np.mean(values))
    text = f"{mean:.0f}" if abs(mean) >= 100 else f"{mean:.3g}"
    if len(values) == 1:
        return text
    sd = float(np.std(values, ddof=1))
    if sd <= 1e-9 * max(1.0, abs(mean)):
        sd = 0.0
    return f"{text} ± {sd:.0f}" if sd >= 100 else f"{text} ± {sd:.2g}"


def table_rows(result):
    """[(population, metric, {backend: cell text}, verdict text)]."""
    ok = [b for b, e in result.runs.items() if e["status"] == "ok" and any(e["reps"])]
    pops = []
    for b in ok:
        for rep in result.runs[b]["reps"]:
            for p in rep:
                if p not in pops:
                    pops.append(p)
    comps = {}
    for c in result.verdict.comparisons:
        comps.setdefault((c.population, c.metric), []).append(c)
    rows = []
    for pop in pops:
        for metric in TABLE_METRICS:
            cells = {}
            for b in ok:
                cells[b] = _fmt([rep[pop].get(metric) for rep in result.runs[b]["reps"] if pop in rep])
            if all(v == "-" for v in cells.values()):
                continue
            v = verdict_cell(result, comps.get((pop, metric), []), metric)
            rows.append((pop, metric, cells, v))
    return ok, rows


def verdict_cell(result, comps, metric):
    """The verdict column for one population and metric, over every pair of backends."""
    if not comps:
        return "-"
    if metric in verdict_mod.INFORMATIONAL:
        return "(info)"           # reported, not judged: its tests are in the report only
    prefix = ""
    statuses = [c.status for c in comps]
    if verdict_mod.DIFFER in statuses:
        pairs = [(c.reference, c.backend) for c in comps if c.status == verdict_mod.DIFFER]
        order = list(result.runs)
        apart = verdict_mod.standouts([b for b in order if any(b in (c.reference, c.backend)
                                                                  for c in comps)], pairs)
        if apart:
            return prefix + "DIFFER: " + ",".join(apart)
        return prefix + "DIFFER: " + ",".join(f"{a}/{b}" for a, b in pairs)
    if verdict_mod.UNDEFINED in statuses:
        undefined = sorted({b for c in comps for b in c.undefined_on})
        rest = [s for s in statuses if s != verdict_mod.UNDEFINED]
        tail = f"; else {_worst(rest)}" if rest else ""
        return prefix + f"undefined on {','.join(undefined)}{tail}"
    return prefix + _worst(statuses)


def _worst(statuses):
    for s in (verdict_mod.TOO_FEW, verdict_mod.INCONCLUSIVE):
        if s in statuses:
            return s
    return "agree (equivalent)" if statuses else "-"


def _text_table(header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
    return lines


def backend_lines(result):
    rows = []
    for name, entry in result.runs.items():
        n = len(entry["results"])
        n_ok = sum(1 for r in entry["results"] if r.status != "failed")
        status = entry["status"]
        if status == "virtual":
            status = "virtual board (maps; no data)"
        elif status == "ok" and entry["errors"]:
            status = "ok (some seeds failed)"
        skipped = sum(1 for r in entry["results"] if (r.error or {}).get("not_run"))
        note = f"{entry['wall_s']:.1f} s" + (f" (seed 0 failed: {skipped} more not run)"
                                             if skipped else "")
        rows.append((name, status, f"{n_ok}/{n}", note))
    for name, why in result.plan.skipped.items():
        rows.append((name, "skipped", "-", why))
    return rows


def terminal_table(result):
    shown = os.path.relpath(result.script)
    shown = result.script if shown.startswith("..") else shown
    lines = [f"tinysim compare {shown}: {result.seeds} seed(s) per "
             f"backend; statistics: {result.engine}"]
    lines += _text_table(("backend", "status", "runs", "wall / note"), backend_lines(result))
    lines.append("")
    ok, rows = table_rows(result)
    if rows:
        header = ("population", "metric", *ok, "verdict")
        body, last = [], None
        for pop, metric, cells, v in rows:
            body.append((pop if pop != last else "", metric, *[cells[b] for b in ok], v))
            last = pop
        lines += _text_table(header, body)
        lines.append("")
    for line in result.plan.notes:
        lines.append(f"note: {line}")
    for line in result.verdict.warnings:
        lines.append(f"warning: {line}")
    for line in verdict_mod.grouped_failures(result.verdict.failures):
        lines.append(f"FAILED: {line}")
    for line in result.verdict.disagreements:
        if line in result.verdict.failures.values():
            continue
        lines.append(f"DIFFER: {line}")
    lines.append(f"verdict: {result.verdict.summary} (exit {result.verdict.exit_code})")
    lines.append(f"report: {result.report_files.get('html') or result.out_dir}")
    return "\n".join(lines)


# --- markdown ----------------------------------------------------------------------------

def _md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        out.append("| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |")
    return out


def _g(x, digits=3):
    if x is None or not np.isfinite(x):
        return "-"
    return f"{x:.{digits}g}"


def _p(x):
    if x is None or not np.isfinite(x):
        return "-"
    return "< 1e-4" if x < 1e-4 else f"{x:.2g}"


def test_description(result):
    v = result.verdict
    return (f"per metric, over seeds: {equivalence.TEST_NAME}; alpha = {v.alpha:g}. A metric "
            f"differs when its Holm-adjusted Welch p < {v.alpha:g} and the difference of the "
            f"means exceeds the margin; it is equivalent when the "
            f"{int(round(100 * (1 - 2 * v.alpha)))} % confidence interval of the difference "
            f"lies inside ±margin; otherwise inconclusive. At least {v.min_seeds} seeds with a "
            f"value per backend, else 'too few seeds'; NaN values are 'undefined', never a "
            f"difference. Holm controls the chance that any reported difference is false "
            f"(what an exit status 1 means).")


def comparison_rows(result):
    """One row per comparison: per-seed values, test figures, margin, outcome."""
    rows = []
    for c in result.verdict.comparisons:
        t = c.test or {}
        ci = t.get("ci")
        rows.append((c.population, c.metric, f"{c.backend} vs {c.reference}",
                     ", ".join(_g(x) for x in c.ref_values) or "-",
                     ", ".join(_g(x) for x in c.values) or "-",
                     _g((c.mean - c.ref_mean) if c.ref_values and c.values else math.nan),
                     (f"[{_g(ci[0])}, {_g(ci[1])}]" if ci else "-"),
                     "±" + _g(c.tolerance, 2),
                     _g(t.get("df"), 2) if t and not t.get("exact") else ("exact" if t else "-"),
                     _p(t.get("p_diff")) if t else "-",
                     (_p(c.p_adjusted) if c.judged else "(info)") if t else "-",
                     _p(t.get("p_equiv")) if t else "-",
                     c.status + (f" ({c.reason})" if c.reason else "")
                     + ("" if c.judged else " (info)")))
    return rows


COMPARISON_HEADER = ("population", "metric", "pair", "reference per seed", "other per seed",
                     "difference", "90% CI", "margin", "df", "Welch p", "Holm p", "TOST p",
                     "outcome")


def margin_rows(result):
    return [(m, _g(a), f"{100 * r:g} %") for m, (a, r) in result.verdict.margins.items()]


def _findings(result):
    v = result.verdict
    out = [("note", n) for n in result.plan.notes]
    out += [("warning", w) for w in v.warnings]
    out += [("failed", f) for f in verdict_mod.grouped_failures(v.failures)]
    out += [("differs", d) for d in v.disagreements if d not in v.failures.values()]
    return out


def markdown(result, figures):
    v = result.verdict
    lines = [f"# Cross-backend comparison: `{os.path.basename(result.script)}`", "",
             f"- script: `{result.script}`" + (f" with arguments `{' '.join(result.script_args)}`"
                                               if result.script_args else ""),
             f"- seeds per backend: {result.seeds} (base seed {result.base_seed}; "
             + ("script seeds kept" if result.keep_script_seeds else
                "explicit script seeds kept in repetition 0, varied after") + ")",
             f"- statistics: {result.engine}",
             f"- test: {test_description(result)}",
             "", f"**Verdict: {v.summary}** (exit code {v.exit_code})", "", "## Backends", ""]
    lines += _md_table(("backend", "status", "runs", "wall / note"), backend_lines(result))
    lines.append("")
    findings = _findings(result)
    if findings:
        lines += ["## Findings", ""]
        lines += [f"- **{k}**: {t}" if k in ("failed", "differs") else f"- {k}: {t}"
                  for k, t in findings]
        lines.append("")
    ok, rows = table_rows(result)
    if rows:
        lines += ["## Statistics (mean ± seed-to-seed sd)", ""]
        lines += _md_table(("population", "metric", *ok, "verdict"),
                           [(p, m, *[c[b] for b in ok], vv) for p, m, c, vv in rows])
        lines.append("")
    if result.verdict.comparisons:
        lines += ["## Tests: per-seed values, margins, results", ""]
        lines += _md_table(COMPARISON_HEADER, comparison_rows(result))
        lines += ["", "Margins (the larger of absolute and relative to the mean of the two "
                      "backends' means; `--margin METRIC=ABS[,REL]` overrides):", ""]
        lines += _md_table(("metric", "absolute", "relative"), margin_rows(result))
        lines.append("")
    lines += ["## Figures", ""]
    if isinstance(figures, str):
        lines.append(figures)
    elif figures:
        lines += [f"![{os.path.splitext(f)[0]}]({f})" for f in figures]
    else:
        lines.append("No figures (no spike data).")
    lines += ["", "Data: `<backend>/seed_<n>/<population>.pkl` (neo PickleIO; analog signals "
              "summarised in `<population>.signals.npz` unless `--keep-signals`), with the "
              "run's `status.json`, `stdout.txt` and `stderr.txt`; every metric and test: "
              "`results.json`; the same report with figures inline: `report.html`.", ""]
    return "\n".join(lines)


# --- figures ---------------------------------------------------------------------------------

def _blocks(result, backend, pop, first_only=False):
    """[(run_dir, manifest entry, Block)] of ``pop`` for the successful runs of ``backend``."""
    out = []
    entry = result.runs[backend]
    for r in entry["results"]:
        if r.status != "ok":
            continue
        for p in (r.manifest or {}).get("populations", []):
            if p["key"] == pop:
                try:
                    out.append((r, p, statistics.load_block(os.path.join(r.run_dir, p["file"]))))
                except Exception:
                    pass
        if first_only and out:
            break
    return out


def _shift_ms(result, backend, r):
    from . import backends as backends_mod
    try:
        steps = backends_mod.get(backend).spike_stamp_steps
    except ValueError:
        return 0.0
    dt = (r.manifest or {}).get("timestep_ms") or 0.0
    return steps * dt


def _colours(plt, names):
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return {b: cycle[i % len(cycle)] for i, b in enumerate(names)}


def _raster(plt, result, pop, ok, colours):
    data = {}
    for b in ok:
        found = _blocks(result, b, pop, first_only=True)
        if not found:
            continue
        r, _, blk = found[0]
        seg = next((s for s in blk.segments if s.spiketrains), None)
        if seg is not None:
            data[b] = (seg, _shift_ms(result, b, r))
    if not data:
        return None
    fig, axes = plt.subplots(len(data), 1, figsize=(8, 1.2 + 1.5 * len(data)), sharex=True,
                             squeeze=False)
    for ax, (b, (seg, shift)) in zip(axes[:, 0], data.items()):
        trains = sorted(seg.spiketrains, key=lambda st: st.annotations.get("source_index", 0))
        trains = trains[:200]
        xs, ys = [], []
        for i, st in enumerate(trains):
            t = np.asarray(st.rescale("ms").magnitude) + shift
            xs.append(t)
            ys.append(np.full(t.size, i))
        if xs:
            ax.scatter(np.concatenate(xs), np.concatenate(ys), s=1.5, marker="|",
                       color=colours[b], linewidths=0.8)
            ax.set_xlim(float(trains[0].t_start.rescale("ms")), float(trains[0].t_stop.rescale("ms")))
        ax.set_ylabel(f"{b}\ncell", color=colours[b])
        n = len(seg.spiketrains)
        ax.set_title(f"{b}, seed 0" + (f" (first 200 of {n} cells)" if n > 200 else ""),
                     fontsize=9, color=colours[b], loc="left")
    axes[-1, 0].set_xlabel("time (ms)")
    fig.suptitle(f"{pop}: spike rasters")
    fig.tight_layout()
    return fig


def _psth(plt, result, pop, ok, colours, bin_ms=5.0):
    fig, ax = plt.subplots(figsize=(8, 3.2))
    drew = False
    for b in ok:
        curves = []
        t_edges = None
        for r, entry, blk in _blocks(result, b, pop):
            seg = next((s for s in blk.segments if s.spiketrains), None)
            if seg is None:
                continue
            t0 = float(seg.spiketrains[0].t_start.rescale("ms"))
            t1 = float(seg.spiketrains[0].t_stop.rescale("ms"))
            edges = t0 + bin_ms * np.arange(int((t1 - t0) // bin_ms) + 1)
            if edges.size < 2:
                continue
            shift = _shift_ms(result, b, r)
            allt = np.concatenate([np.asarray(st.rescale("ms").magnitude) + shift
                                   for st in seg.spiketrains] or [np.array([])])
            counts = np.histogram(allt, edges)[0]
            curves.append(counts / (len(seg.spiketrains) * bin_ms / 1000.0))
            t_edges = edges if t_edges is None else t_edges
        if not curves:
            continue
        n = min(c.size for c in curves)
        arr = np.vstack([c[:n] for c in curves])
        centres = 0.5 * (t_edges[:-1] + t_edges[1:])[:n]
        mean = arr.mean(axis=0)
        ax.plot(centres, mean, color=colours[b], lw=1.2, label=f"{b} ({arr.shape[0]} seeds)")
        if arr.shape[0] > 1:
            sd = arr.std(axis=0, ddof=1)
            ax.fill_between(centres, mean - sd, mean + sd, color=colours[b], alpha=0.15, lw=0)
        drew = True
    if not drew:
        plt.close(fig)
        return None
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(f"rate (Hz, {bin_ms:g} ms bins)")
    ax.set_title(f"{pop}: population rate, mean ± sd over seeds")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _mean_v(plt, result, pop, ok, colours):
    fig, ax = plt.subplots(figsize=(8, 3.0))
    drew = False
    for b in ok:
        found = _blocks(result, b, pop, first_only=True)
        if not found:
            continue
        r, entry, blk = found[0]
        t = v = None
        if entry.get("signals_file"):
            try:
                with np.load(os.path.join(r.run_dir, entry["signals_file"])) as data:
                    t, v = data["v_trace_t"], data["v_trace_mean"]
            except Exception:
                pass
        if t is None:
            from .capture import membrane_summary
            summary = membrane_summary(blk)
            if summary is not None:
                t, v = summary["v_trace_t"], summary["v_trace_mean"]
        if t is None:
            continue
        ax.plot(t, v, color=colours[b], lw=1, label=b)
        drew = True
    if not drew:
        plt.close(fig)
        return None
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("mean v (mV)")
    ax.set_title(f"{pop}: membrane potential averaged over cells (seed 0)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _histograms(plt, result, pop, ok, colours):
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    drew = False
    for ax, metric, label in ((axes[0], "rate_hz", "firing rate (Hz)"),
                              (axes[1], "cv_isi", "CV(ISI)")):
        data = {}
        for b in ok:
            vals = [np.asarray(rep[pop]["per_cell"].get(metric, []))
                    for rep in result.runs[b]["reps"] if pop in rep]
            vals = np.concatenate(vals) if vals else np.array([])
            vals = vals[np.isfinite(vals)]
            if vals.size:
                data[b] = vals
        if not data:
            ax.set_visible(False)
            continue
        lo = min(v.min() for v in data.values())
        hi = max(v.max() for v in data.values())
        bins = np.linspace(lo, hi if hi > lo else lo + 1, 30)
        for b, vals in data.items():
            ax.hist(vals, bins=bins, histtype="step", lw=1.5, color=colours[b], label=b,
                    density=True)
        ax.set_xlabel(label)
        ax.set_ylabel("density")
        ax.legend(fontsize=8)
        drew = True
    fig.suptitle(f"{pop}: per-cell values, all seeds")
    fig.tight_layout()
    if not drew:
        plt.close(fig)
        return None
    return fig


def figures(result):
    """Write PNGs into the report directory; a list of file names, or a note (str)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception:
        return ("Figures skipped: matplotlib is not installed "
                "(pip install 'pynn-tinysim[compare]').")
    ok, rows = table_rows(result)
    pops = []
    for p, *_ in rows:
        if p not in pops:
            pops.append(p)
    colours = _colours(plt, list(result.runs))
    files = []
    for pop in pops:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in pop)
        for kind, make in (("raster", _raster), ("psth", _psth), ("v", _mean_v),
                           ("hist", _histograms)):
            try:
                fig = make(plt, result, pop, ok, colours)
            except Exception as err:   # a figure must never cost the report
                fig = None
                result.verdict.warnings.append(f"figure {kind} of {pop} failed: "
                                               f"{type(err).__name__}: {err}")
            if fig is None:
                continue
            name = f"{kind}_{safe}.png"
            fig.savefig(os.path.join(result.out_dir, name), dpi=80)
            plt.close(fig)
            files.append(name)
    return files


# --- HTML ------------------------------------------------------------------------------------

_CSS = """body{font-family:sans-serif;margin:1.5em;max-width:1400px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:13px}
td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}
th{background:#f0f0f0}.differ{background:#fdd}.equivalent{background:#efe}
.inconclusive,.too-few-seeds{background:#ffe}.undefined{background:#eee}
.verdict{font-size:1.2em;padding:.5em;border:2px solid #888;display:inline-block}
img{max-width:100%;display:block;margin:.5em 0}code{background:#f4f4f4}"""


def _esc(x):
    import html
    return html.escape(str(x))


def _html_table(header, rows, classes=None):
    out = ["<table><tr>" + "".join(f"<th>{_esc(h)}</th>" for h in header) + "</tr>"]
    for i, r in enumerate(rows):
        cls = f' class="{classes[i]}"' if classes and classes[i] else ""
        out.append(f"<tr{cls}>" + "".join(f"<td>{_esc(c)}</td>" for c in r) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def html_report(result, figures):
    """The report as one self-contained HTML page (figures inline as base64 PNG)."""
    import base64
    v = result.verdict
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>tinysim compare: "
             f"{_esc(os.path.basename(result.script))}</title><style>{_CSS}</style></head><body>",
             f"<h1>Cross-backend comparison: <code>{_esc(os.path.basename(result.script))}</code></h1>",
             f"<p>script <code>{_esc(result.script)}</code>"
             + (f" with arguments <code>{_esc(' '.join(result.script_args))}</code>"
                if result.script_args else "")
             + f"; {result.seeds} seed(s) per backend (base seed {result.base_seed}); "
               f"statistics: {_esc(result.engine)}</p>",
             f"<p>{_esc(test_description(result))}</p>",
             f"<p class='verdict'><b>Verdict:</b> {_esc(v.summary)} (exit code {v.exit_code})</p>",
             "<h2>Backends</h2>",
             _html_table(("backend", "status", "runs", "wall / note"), backend_lines(result))]
    findings = _findings(result)
    if findings:
        parts.append("<h2>Findings</h2><ul>" + "".join(
            f"<li><b>{_esc(k)}</b>: {_esc(t)}</li>" for k, t in findings) + "</ul>")
    ok, rows = table_rows(result)
    if rows:
        parts.append("<h2>Statistics (mean ± seed-to-seed sd)</h2>")
        parts.append(_html_table(("population", "metric", *ok, "verdict"),
                                 [(p, m, *[c[b] for b in ok], vv) for p, m, c, vv in rows],
                                 ["differ" if "DIFFER" in vv else "" for *_, vv in rows]))
    if v.comparisons:
        parts.append("<h2>Tests: per-seed values, margins, results</h2>")
        parts.append(_html_table(COMPARISON_HEADER, comparison_rows(result),
                                 [c.status.replace(" ", "-") for c in v.comparisons]))
        parts.append("<p>Margins (the larger of absolute and relative to the mean of the two "
                     "backends' means):</p>")
        parts.append(_html_table(("metric", "absolute", "relative"), margin_rows(result)))
    parts.append("<h2>Figures</h2>")
    if isinstance(figures, str):
        parts.append(f"<p>{_esc(figures)}</p>")
    for name in (figures if isinstance(figures, list) else []):
        with open(os.path.join(result.out_dir, name), "rb") as f:
            data = base64.b64encode(f.read()).decode("ascii")
        parts.append(f"<h3>{_esc(os.path.splitext(name)[0])}</h3>"
                     f"<img alt='{_esc(name)}' src='data:image/png;base64,{data}'>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_all(result, figures=True, html=True):
    out = result.out_dir
    files = {}
    figs = globals()["figures"](result) if figures else "Figures not requested."
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(to_dict(result), f, indent=1)
    files["json"] = os.path.join(out, "results.json")
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write(markdown(result, figs))
    files["markdown"] = os.path.join(out, "summary.md")
    if html:
        with open(os.path.join(out, "report.html"), "w") as f:
            f.write(html_report(result, figs))
        files["html"] = os.path.join(out, "report.html")
    files["figures"] = [os.path.join(out, f) for f in figs] if isinstance(figs, list) else []
    if isinstance(figs, str):
        files["figures_note"] = figs
    return files
